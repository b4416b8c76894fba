#!/usr/bin/env bash
# tibra_sign -- DNSSEC signing in `tibra build` (issue 12, "Reproducible",
# "Validation by others"): keys from `tibra key generate` (KSK + ZSK,
# ECDSA P-256; a second zone with an RSA CSK and NSEC3), the example zone
# signed; two builds in different directories, a second apart, with the
# same keys and SOURCE_DATE_EPOCH give the same image and record, and
# `tibra verify` says identical; a different key gives a different image
# and verify names the key file; ldns-verify-zone, kzonecheck --dnssec on
# and BIND's dnssec-verify accept both signed zones (exported with
# --signed-zones); `tibra key ds` matches BIND's dnssec-dsfromkey; no
# private key in the image or the record; signatures that would expire
# within dnssec-margin, a missing key directory and bad dnssec items are
# FILE:LINE errors and no image; `tibra run` warns about an image whose
# signatures are near or past their expiry.
. "$(dirname "$0")/tibra.bash"
tb_setup tibra_sign "${TIBRA_HOST:-build/host-$(uname -m)}/tibra"
LIB=$(dirname "$TB")/../lib/tibra
ARCH=${TIBRA_ARCH:-$(uname -m)}
[ "$ARCH" = "$(uname -m)" ] || skip "cross build"
for t in ldns-verify-zone kzonecheck dnssec-verify dnssec-dsfromkey; do
    command -v $t >/dev/null || skip "$t not installed"
done
MEM=
if [ -f "$LIB/unix-$ARCH/link.txt" ]; then
    TARGET=unix
elif [ -f "$LIB/spt-$ARCH/link.txt" ]; then
    TARGET=spt MEM="; memory 16M"
else
    skip "no unix or spt library staged"
fi
NOW=$(date +%s)
SDE=$((NOW - 86400))

out=$("$TB" key --help) || fail "key --help: status $?"
expect_match "key --help" "$out" "^    tibra key generate"
"$TB" key generate --algorithm 15 example.org "$TMP" >/dev/null 2>&1
expect "key generate --algorithm 15: usage status" "$?" "2"

# The tree: the example zone, a second zone, the service file, the keys.
mk_tree() { # DIR
    mkdir -p "$1/zones" "$1/out"
    cp examples/zones/example.org.zone "$1/zones/"
    cat >"$1/zones/example.net.zone" <<'EOF'
$TTL 300
@ SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.1
a.b.c TXT "empty non-terminals b.c and c"
*.w TXT "wildcard"
child NS ns.child.example.org.
insecure NS ns.elsewhere.example.
EOF
    cat >"$1/ns1.conf" <<EOF
service: name ns1; target $TARGET$MEM
         listen 127.0.0.1@5353

zone:    example.org; file zones/example.org.zone
         dnssec keys/org
zone:    example.net; file zones/example.net.zone
         dnssec keys/net nsec3 iterations 0 salt - ; dnssec-validity 21d
EOF
}
A=$TMP/a
B=$TMP/b/somewhere/much/deeper
mk_tree "$A"
mkdir -p "$A/keys/org" "$A/keys/net"
ksk=$("$TB" key generate --algorithm 13 --ksk example.org "$A/keys/org") ||
    fail "key generate (KSK)"
zsk=$("$TB" key generate --algorithm 13 example.org. "$A/keys/org") ||
    fail "key generate (ZSK)"
csk=$("$TB" key generate --algorithm 8 --bits 2048 --ksk example.net \
    "$A/keys/net") || fail "key generate (RSA CSK)"
expect_match "key name" "$ksk" '^Kexample\.org\.\+013\+[0-9]{5}$'
expect "private key mode" "$(stat -c %a "$A/keys/org/$ksk.private")" "600"
expect "public key mode" "$(stat -c %a "$A/keys/org/$ksk.key")" "644"
# A spare ZSK, kept outside the key directory for the "another key" test.
mkdir -p "$TMP/spare"
spare=$("$TB" key generate --algorithm 13 example.org "$TMP/spare") ||
    fail "key generate (spare ZSK)"

# DS for the parent, as BIND computes it.
for k in "$A/keys/org/$ksk.key" "$A/keys/net/$csk.key"; do
    ours=$("$TB" key ds "$k") || fail "key ds $k"
    bind=$(dnssec-dsfromkey -2 "$k" | sed 's/[[:space:]]\+/ /g')
    expect "key ds $(basename "$k") = dnssec-dsfromkey" "$ours" "$bind"
done

# Two builds: other directory, other time, same keys and clock.
out=$(cd "$A" && SOURCE_DATE_EPOCH=$SDE "$TB" build ns1.conf -o img \
    --signed-zones out 2>&1) || fail "build A: $out"
echo "     $out"
mkdir -p "$B"
cp -R "$A/zones" "$A/ns1.conf" "$A/keys" "$B/"
mkdir -p "$B/out"
touch -d '2001-02-03 04:05:06' "$B"/ns1.conf "$B"/zones/*
sleep 1
out=$(cd "$TMP" && SOURCE_DATE_EPOCH=$SDE "$TB" build "$B/ns1.conf" \
    -o "$B/img" --signed-zones "$B/out" 2>&1) || fail "build B: $out"
expect "same image in two trees" "$(tb_sha "$B/img")" "$(tb_sha "$A/img")"
cmp -s "$A/img.record" "$B/img.record" ||
    fail "records differ: $(diff "$A/img.record" "$B/img.record" | head -5)"
echo "ok   same build record"
cmp -s "$A/out/example.org.zone" "$B/out/example.org.zone" ||
    fail "signed zones differ"
echo "ok   same signed zone text"
out=$("$TB" verify "$A/img" 2>&1) || fail "verify: $out"
expect_match "verify" "$out" "^identical: "

# What the record holds: public keys and tags, never a private key.
rec=$A/img.record
expect_match "record: dnssec line" "$(grep '^dnssec example.org. ' "$rec")" \
    "^dnssec example.org. time $SDE inception $((SDE - 3600)) expiration $((SDE + 14 * 86400)) margin $((7 * 86400)) nsec$"
expect_match "record: nsec3 line" "$(grep '^dnssec example.net. ' "$rec")" \
    " nsec3 iterations 0 salt - opt-out 0$"
expect "record: dnssec-key lines" "$(grep -c '^dnssec-key ' "$rec")" "3"
expect_match "record: key file input" \
    "$(grep "^input dnssec-key .* keys/org/$ksk.key$" "$rec")" "^input"
for p in "$A"/keys/*/K*.private; do
    while read -r f v; do
        [ "$f" = "Private-key-format:" ] || [ "$f" = "Algorithm:" ] && continue
        [ ${#v} -ge 16 ] || continue
        ! grep -qF "$v" "$rec" || fail "$f of $(basename "$p") in the record"
        ! grep -aqF "$v" "$A/img" || fail "$f of $(basename "$p") in the image"
    done <"$p"
done
echo "ok   no private key material in the record or the image"

# Validation by others.
for z in example.org example.net; do
    f=$A/out/$z.zone
    out=$(ldns-verify-zone "$f" 2>&1) || fail "ldns-verify-zone $z: $out"
    echo "ok   ldns-verify-zone $z"
    out=$(kzonecheck --dnssec on -o $z "$f" 2>&1) ||
        fail "kzonecheck $z: $out"
    echo "ok   kzonecheck --dnssec on $z"
done
out=$(dnssec-verify -o example.org "$A/out/example.org.zone" 2>&1) ||
    fail "dnssec-verify example.org: $out"
echo "ok   dnssec-verify example.org (KSK + ZSK)"
# A CSK: BIND wants -z to accept a key with the SEP bit signing all.
out=$(dnssec-verify -z -o example.net "$A/out/example.net.zone" 2>&1) ||
    fail "dnssec-verify -z example.net: $out"
echo "ok   dnssec-verify -z example.net (CSK, NSEC3)"
# @ ns1 a.b.c *.w child insecure, and the empty non-terminals b.c c w.
expect "NSEC3 records (6 names + 3 empty non-terminals)" \
    "$(awk '$4 == "NSEC3"' "$A/out/example.net.zone" | wc -l)" "9"

# A different key: a different image, and verify names the key file.
rm -f "$B/keys/org/$zsk".*
cp "$TMP/spare/$spare".* "$B/keys/org/"
out=$(cd "$B" && SOURCE_DATE_EPOCH=$SDE "$TB" build ns1.conf -o img2 2>&1) ||
    fail "build with another ZSK: $out"
[ "$(tb_sha "$B/img2")" != "$(tb_sha "$A/img")" ] ||
    fail "another key gave the same image"
echo "ok   another key, another image"
rm -f "$A/keys/org/$zsk".*
cp "$TMP/spare/$spare".* "$A/keys/org/"
out=$("$TB" verify "$A/img" 2>&1)
expect "verify with another key: status" "$?" "1"
expect_match "verify names the key" "$out" \
    "^keys/org/$(printf %s "$zsk" | sed 's/[.+]/\\&/g')\.key: missing"

# tibra run warns about signatures near or past their expiry (the record
# edited: run reads the image's record; the image then refuses the
# unknown argument and exits).
cp "$B/img" "$B/img.record" "$TMP/"
sed -i "s/ expiration [0-9]* / expiration $((NOW + 3600)) /" "$TMP/img.record"
out=$(timeout 20 "$TB" run "$TMP/img" -- --no-such-option 2>&1)
expect_match "run: near expiry" "$out" \
    "WARNING: .*zone example.org.: its DNSSEC signatures expire at .*within its dnssec-margin"
sed -i "s/ expiration [0-9]* / expiration $((NOW - 60)) /" "$TMP/img.record"
out=$(timeout 20 "$TB" run "$TMP/img" -- --no-such-option 2>&1)
expect_match "run: expired" "$out" "WARNING: .*signatures EXPIRED at"
out=$(timeout 20 "$TB" run "$B/img" -- --no-such-option 2>&1)
case $out in *WARNING*) fail "run warned about fresh signatures: $out" ;; esac
echo "ok   run: no warning for fresh signatures"

# Refusals: FILE:LINE and no image.
out=$(cd "$B" && SOURCE_DATE_EPOCH=$((NOW - 10 * 86400)) "$TB" build \
    ns1.conf -o img3 2>&1)
expect "signatures within the margin: status" "$?" "1"
expect_match "margin message" "$out" \
    "^ns1.conf:5: zone example.org: signatures made at .* within dnssec-margin"
[ ! -e "$B/img3" ] || fail "an image was written"
sed -i 's|dnssec keys/org|dnssec keys/none|' "$B/ns1.conf"
out=$(cd "$B" && SOURCE_DATE_EPOCH=$SDE "$TB" build ns1.conf -o img3 2>&1)
expect "no keys: status" "$?" "1"
expect_match "no keys message" "$out" \
    "^ns1.conf:5: zone example.org.: no key files Kexample.org.\+\*.key in"
sed -i 's|dnssec keys/none|dnssec keys/org nsec5|' "$B/ns1.conf"
out=$(cd "$B" && "$TB" build ns1.conf -o img3 2>&1)
expect "bad dnssec item: status" "$?" "1"
expect_match "bad dnssec item message" "$out" \
    "^ns1.conf:5: dnssec: unexpected 'nsec5'"
echo "PASS tibra_sign"
