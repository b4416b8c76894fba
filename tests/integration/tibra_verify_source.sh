#!/usr/bin/env bash
# test-timeout: 900
# tibra_verify_source -- `tibra verify --source DIR` (issue 7): a Tibra
# built from `git archive HEAD` (no .git, another directory) builds
# examples/ns1-spt.conf; verify --source $TIBRA_SRC rebuilds the library
# from the repository at the recorded commit and finds every library file
# identical (and for a secondary's image, linked with app-state.a); a
# library file changed by one byte is named by plain verify.
. "$(dirname "$0")/tibra.bash"
TEST_NAME=tibra_verify_source
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "cross build"
command -v git >/dev/null || skip "git not installed"
git -C "$TIBRA_SRC" rev-parse HEAD >/dev/null 2>&1 ||
    skip "$TIBRA_SRC is not a git repository"
TMP0=$(mktemp -d "${TMPDIR:-/tmp}/tibra-vs.XXXXXX")
trap 'rm -rf "$TMP0"' EXIT
head=$(git -C "$TIBRA_SRC" rev-parse HEAD)
sde=$(git -C "$TIBRA_SRC" log -1 --format=%ct)
mkdir "$TMP0/src"
git -C "$TIBRA_SRC" archive --format=tar HEAD | tar -x -C "$TMP0/src" ||
    fail "git archive HEAD"
echo "building Tibra at ${head:0:12} in $TMP0"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TMP0/src" -j"$(nproc)" \
    O="$TMP0/build" SOURCE_DATE_EPOCH="$sde" TB_VERSION="${head:0:7}" \
    STAGE_COMMIT="$head" stage >"$TMP0/make.log" 2>&1 ||
    fail "make stage at HEAD: $(tail -20 "$TMP0/make.log")"
tb_setup tibra_verify_source "$TMP0/build/bin/tibra"
tb_tree "$TMP/s"
out=$(cd "$TMP/s" && "$TB" build ns1-spt.conf 2>&1) || fail "build: $out"
echo "     $out"
out=$("$TB" verify --source "$TIBRA_SRC" "$TMP/s/dist/ns1.spt" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/     /'
expect "verify --source: status" "$rc" "0"
expect_match "verify --source: library identical" "$out" \
    "^library: the [0-9]+ files are identical to a build of commit ${head:0:12}"

# A secondary's image (issue 10) links app-state.a, the application
# whose manifest declares block device state: rebuilt from source too.
printf '%s\n' 'service: name sec; target spt; address 10.0.0.2/24; state 8M' \
    'zone: example.test; primary 10.0.0.1' >"$TMP/s/sec.conf"
out=$(cd "$TMP/s" && "$TB" build sec.conf 2>&1) || fail "build sec: $out"
out=$("$TB" verify --source "$TIBRA_SRC" "$TMP/s/dist/sec.spt" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/     /'
expect "verify --source (secondary): status" "$rc" "0"
grep -q " spt-$(uname -m)/app-state.a$" "$TMP/s/dist/sec.spt.record" ||
    fail "the secondary's record does not name app-state.a"
expect_match "verify --source (secondary): library identical" "$out" \
    "^library: the [0-9]+ files are identical to a build of commit ${head:0:12}"

# One byte of the installed library changed: verify names the file.
lib="$TMP0/build/lib/tibra/spt-$(uname -m)/libtibra.a"
printf 'X' | dd of="$lib" bs=1 seek=100 conv=notrunc 2>/dev/null
out=$("$TB" verify "$TMP/s/dist/ns1.spt" 2>&1)
expect "changed library: status" "$?" "1"
expect_match "changed library: named" "$out" \
    "^library file spt-$(uname -m)/libtibra\.a: sha256 differs from the build record"
echo SUCCESS
