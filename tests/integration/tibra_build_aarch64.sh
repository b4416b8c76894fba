#!/usr/bin/env bash
# test-timeout: 900
# tibra_build_aarch64 -- the aarch64 half of "Reproducible" and "Cross"
# (issue 7): stages the aarch64 library and a tibra beside it with
# `make stage CROSS=aarch64-linux-gnu-` into $TIBRA_BUILD/cross (the
# directory tests/platform/unix_aarch64.sh builds into, so most objects
# are already there), builds examples/ns1.conf (unix) and ns1-spt.conf
# (spt) for aarch64 in two trees as two users with different umasks and
# environments, compares images and records, runs `tibra verify`, and
# asks the aarch64 unix image, run under qemu-aarch64, with dig over UDP
# and TCP.  Skips without the cross compiler (gcc-aarch64-linux-gnu).
. "$(dirname "$0")/tibra.bash"
TEST_NAME=tibra_build_aarch64
CROSS=aarch64-linux-gnu-
if [ "$(uname -m)" = aarch64 ] || [ "${TIBRA_ARCH:-}" = aarch64 ]; then
    skip "this build is already aarch64"
fi
command -v ${CROSS}gcc >/dev/null ||
    skip "${CROSS}gcc not installed (gcc-aarch64-linux-gnu)"
XB="$TIBRA_BUILD/cross"
echo "staging into $XB"
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TIBRA_SRC" \
    --no-print-directory -j"$(nproc)" O="$XB" CROSS=$CROSS stage \
    >"$TIBRA_BUILD/cross-stage.log" 2>&1; then
    tail -n 40 "$TIBRA_BUILD/cross-stage.log"
    fail "make stage CROSS=$CROSS failed (log: $TIBRA_BUILD/cross-stage.log)"
fi
tb_setup tibra_build_aarch64 "$XB/bin/tibra"

for t in unix spt; do
    [ -f "$XB/lib/tibra/$t-aarch64/link.txt" ] ||
        fail "no $t-aarch64 library staged in $XB/lib/tibra"
done
tb_repro "unix-aarch64" ns1.conf unix --arch aarch64
UNIX=$REPRO_IMAGE_A
tb_repro "spt-aarch64" ns1-spt.conf spt --arch aarch64
readelf -h "$UNIX" | grep -q 'Machine:.*AArch64' || fail "not an aarch64 image"
out=$("$TB" inspect "$REPRO_IMAGE_A")
expect_match "inspect: arch" "$out" "^arch: +aarch64$"
expect_match "inspect: target" "$out" "^target: +spt$"

for img in "$UNIX" "$REPRO_IMAGE_A"; do
    out=$("$TB" verify "$img" 2>&1)
    rc=$?
    echo "     $out"
    expect "verify $(basename "$img"): status" "$rc" "0"
    expect_match "verify $(basename "$img"): identical" "$out" "^identical"
done

# The aarch64 unix image answers under qemu-user.
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static) || {
    echo "SUCCESS (qemu-aarch64 not installed: the image was not run)"
    exit 0
}
command -v dig >/dev/null || {
    echo "SUCCESS (dig not installed: the image was not asked)"
    exit 0
}
PORT=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$QEMU" -L /usr/aarch64-linux-gnu "$UNIX" --listen=127.0.0.1@"$PORT" \
    >"$TMP/q.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 100); do
    grep -q READY "$TMP/q.log" && break
    kill -0 $PID 2>/dev/null || fail "image exited: $(cat "$TMP/q.log")"
    sleep 0.1
done
expect "qemu: dig UDP" "$(dig @127.0.0.1 -p "$PORT" +time=2 +tries=3 +short www.example.org A)" "192.0.2.10"
expect "qemu: dig TCP" "$(dig @127.0.0.1 -p "$PORT" +time=2 +tries=3 +tcp +short www.example.org AAAA)" "2001:db8::10"
kill -TERM $PID
wait $PID
expect "qemu: SIGTERM status" "$?" "0"
echo SUCCESS
