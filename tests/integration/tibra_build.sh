#!/usr/bin/env bash
# tibra_build -- `tibra build` is reproducible and careful (issue 7, "What
# it must show: Reproducible, Robust"): examples/ns1.conf (unix) and
# examples/ns1-spt.conf (spt, and hvt with --target hvt where staged),
# each built in two directories, a second apart, with different mtimes,
# as root and as nobody, with different umasks, TMPDIR, locale, time zone
# and compiler variables, give the same image and the same build record;
# `tibra verify` says identical; one changed byte in a zone changes the
# image and `verify` names the zone; a broken zone or service file gives
# FILE:LINE and no image (an existing one is left as it was).
. "$(dirname "$0")/tibra.bash"
tb_setup tibra_build "${TIBRA_HOST:-build/host-$(uname -m)}/tibra"
LIB=$(dirname "$TB")/../lib/tibra
ARCH=${TIBRA_ARCH:-$(uname -m)}
[ "$ARCH" = "$(uname -m)" ] || skip "cross build (tibra_build_aarch64 covers it)"

# --help of each command, and usage errors.
for c in build verify inspect run check; do
    out=$("$TB" "$c" --help) || fail "$c --help: status $?"
    expect_match "$c --help" "$out" "^    tibra $c "
done
"$TB" build >/dev/null 2>&1
expect "build without a file: usage status" "$?" "2"

if [ -f "$LIB/unix-$ARCH/link.txt" ]; then
    tb_repro "unix" ns1.conf unix
else
    echo "     (no unix-$ARCH library staged: unix skipped)"
fi
tb_repro "spt" ns1-spt.conf spt
SPT=$REPRO_IMAGE_A
if [ -f "$LIB/hvt-$ARCH/link.txt" ]; then
    tb_repro "hvt" ns1-spt.conf hvt --target hvt
fi

# What the record says.
rec=$SPT.record
expect_match "record: image hash" "$(grep '^image-sha256 ' "$rec")" \
    "^image-sha256 $(tb_sha "$SPT")$"
expect_match "record: service file" "$(grep '^input service ' "$rec")" \
    "^input service $(tb_sha "$TMP/a/ns1-spt.conf") ns1-spt.conf$"
expect_match "record: zone" "$(grep '^input zone ' "$rec")" \
    "^input zone $(tb_sha "$TMP/a/zones/example.org.zone") zones/example.org.zone$"
expect_match "record: zone summary" "$(grep '^zone ' "$rec")" \
    "^zone example\.org\. serial [0-9]+ records [0-9]+ bytes [0-9]+$"
expect_match "record: library" "$(grep -c '^input lib ' "$rec")" "^[4-9]|[1-9][0-9]$"
expect_match "record: link.txt" "$(grep '^input lib .* spt-' "$rec" | head -1)" \
    "spt-$ARCH/link.txt$"
expect_match "record: compiler" "$(grep '^cc-version ' "$rec")" "^cc-version .+"
expect_match "record: packages" "$(grep '^package ' "$rec" | head -1)" \
    "^package [a-z0-9.+-]+ [^ ]+$"
expect_match "record: time of the Tibra build" \
    "$(grep '^source-date-epoch ' "$rec")" "^source-date-epoch [0-9]+$"
expect_match "record: args" "$(grep '^args ' "$rec")" \
    "^args --name=ns1 --ipv4=10\.0\.0\.2/24 --ipv4-gateway=10\.0\.0\.1"
grep -q "$TMP" "$rec" && fail "record names the build directory"
grep -q "$TMP" "$SPT" && fail "image names the build directory"
echo "ok   no path of the build in the image or the record"

# tibra verify: identical.
out=$("$TB" verify "$SPT" 2>&1)
rc=$?
echo "     $out"
expect "verify: status" "$rc" "0"
expect_match "verify: identical" "$out" "^identical"

# One changed byte in a zone: verify names it; a rebuild changes the hash.
old=$(tb_sha "$SPT")
sed -i 's/192\.0\.2\.10/192.0.2.11/' "$TMP/a/zones/example.org.zone"
out=$("$TB" verify "$SPT" 2>&1)
rc=$?
echo "     $out"
expect "verify after a zone change: status" "$rc" "1"
expect_match "verify names the zone" "$out" \
    "^zones/example\.org\.zone: sha256 differs from the build record"
out=$(cd "$TMP/a" && "$TB" build ns1-spt.conf 2>&1) || fail "rebuild: $out"
new=$(tb_sha "$SPT")
echo "     one byte changed: $old -> $new"
[ "$new" != "$old" ] || fail "the image did not change with the zone"
echo "ok   one changed byte in a zone changes the image"

# Broken inputs: FILE:LINE, status 1, the image left as it was.
before=$(tb_sha "$SPT")
printf 'bad.example.org. 3600 IN A 999.0.0.1\n' >>"$TMP/a/zones/example.org.zone"
n=$(wc -l <"$TMP/a/zones/example.org.zone")
out=$(cd "$TMP/a" && "$TB" build ns1-spt.conf 2>&1)
rc=$?
expect "broken zone: status" "$rc" "1"
expect_match "broken zone: FILE:LINE" "$out" "^zones/example\.org\.zone:$n: "
expect "broken zone: image untouched" "$(tb_sha "$SPT")" "$before"
ls "$TMP/a/dist" | grep -q tmp && fail "broken zone: a temporary file remains"

mkdir -p "$TMP/c/zones"
tb_tree "$TMP/c"
printf 'service: name ns1; target spt; address 10.0.0.2/24\n         bogus 1\nzone: example.org; file zones/example.org.zone\n' \
    >"$TMP/c/bad.conf"
out=$("$TB" build "$TMP/c/bad.conf" 2>&1)
rc=$?
expect "broken service file: status" "$rc" "1"
expect_match "broken service file: FILE:LINE" "$out" "^$TMP/c/bad\.conf:2: "
[ -e "$TMP/c/dist" ] && fail "broken service file: dist/ was created"
echo "ok   broken service file: no image"

# --target overrides the file's target, and the checks are the override's:
# a unix service with guest settings builds for spt without "ignored"
# warnings; an spt service without listen cannot build for unix.
printf 'service: name t2; target unix; listen 127.0.0.1@5353\n         address 10.0.0.2/24; memory 8M\nzone: example.org; file zones/example.org.zone\n' \
    >"$TMP/c/t2.conf"
out=$("$TB" build --target spt "$TMP/c/t2.conf" 2>&1) ||
    fail "--target spt of a unix service: $out"
printf '%s\n' "$out" | grep -q "ignored" && fail "--target spt: warns: $out"
[ -f "$TMP/c/dist/t2.spt" ] || fail "--target spt: no dist/t2.spt"
echo "ok   --target spt: built, no warning meant for target unix"
printf 'service: name t3; target spt; address 10.0.0.2/24\nzone: example.org; file zones/example.org.zone\n' \
    >"$TMP/c/t3.conf"
out=$("$TB" build --target unix "$TMP/c/t3.conf" 2>&1)
expect "--target unix without listen: status" "$?" "1"
expect_match "--target unix without listen: FILE:LINE" "$out" \
    "^$TMP/c/t3\.conf:1: .*no listen address"
echo "SUCCESS"
