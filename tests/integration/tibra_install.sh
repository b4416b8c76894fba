#!/usr/bin/env bash
# tibra_install -- `make install PREFIX=DIR` gives a Tibra that needs no
# source checkout: DIR/bin/{tibra,tibra-dnsd,tibra-spt,tibra-hvt} and
# DIR/lib/tibra/TARGET-ARCH/ with link.txt; the installed tibra, started
# from elsewhere, builds examples/ns1-spt.conf into the same image as the
# build tree's tibra, its record names nothing of the source tree or the
# prefix, and `verify` with the installed tibra says identical.
. "$(dirname "$0")/tibra.bash"
TEST_NAME=tibra_install
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "cross build"
tb_setup tibra_install "${TIBRA_HOST:-build/host-$(uname -m)}/tibra"
P="$TMP/prefix with space"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TIBRA_SRC" \
    O="$TIBRA_BUILD" install PREFIX="$P" >"$TMP/install.log" 2>&1 ||
    fail "make install: $(tail -20 "$TMP/install.log")"
for p in tibra tibra-dnsd tibra-spt; do
    [ -x "$P/bin/$p" ] || fail "no $P/bin/$p"
done
[ "$(uname -m)" != x86_64 ] || [ -x "$P/bin/tibra-hvt" ] || fail "no tibra-hvt"
for t in spt unix; do
    [ -f "$P/lib/tibra/$t-$(uname -m)/link.txt" ] ||
        fail "no $P/lib/tibra/$t-$(uname -m)/link.txt"
done
echo "ok   installed: $(cd "$P" && find bin lib -type f | wc -l) files"

tb_tree "$TMP/s"
out=$(cd / && "$P/bin/tibra" build "$TMP/s/ns1-spt.conf" -o "$TMP/s/installed.spt" 2>&1) ||
    fail "installed tibra build: $out"
echo "     $out"
out=$(cd / && "$TB" build "$TMP/s/ns1-spt.conf" 2>&1) || fail "tree build: $out"
echo "     $out"
expect "installed and build-tree tibra: same image" \
    "$(tb_sha "$TMP/s/installed.spt")" "$(tb_sha "$TMP/s/dist/ns1.spt")"
grep -q "$TIBRA_SRC\|$TIBRA_BUILD\|$P" "$TMP/s/installed.spt.record" &&
    fail "the record names the source tree, build tree or prefix"
echo "ok   the record names no local path"
out=$("$P/bin/tibra" verify "$TMP/s/installed.spt" 2>&1)
expect "installed verify: status" "$?" "0"
expect_match "installed verify: identical" "$out" "^identical"
out=$("$P/bin/tibra" check "$TMP/s/ns1.conf" 2>&1)
expect "installed check (tibra-dnsd beside it): status" "$?" "0"
echo SUCCESS
