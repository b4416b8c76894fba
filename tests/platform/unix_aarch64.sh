#!/usr/bin/env bash
# test-timeout: 900
# unix_aarch64.sh -- the aarch64 cross build, tested under qemu-user:
# builds `make platform-cross` with CROSS=aarch64-linux-gnu- into
# $TIBRA_BUILD/cross (the unix test applications, every unit test, and
# the guest runtime with the spt and stub links), runs every unit test
# under qemu-aarch64, then runs the platform test scripts (hello, clock,
# block, fault, ssp, net) on the cross-built unix target and on the
# aarch64 spt images (under tibra-spt-nofilter: qemu-user cannot apply a
# seccomp filter, so the filter is tested natively only).  Skips when the
# cross compiler or qemu-aarch64 is absent, or when this build is itself
# the cross build.  LeakSanitizer cannot run under qemu-user (it needs
# ptrace-like thread control), so leaks are checked natively only.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${TIBRA_BUILD:?run me through tests/run}"
CROSS=aarch64-linux-gnu-
if [ "$(uname -m)" = aarch64 ] || [ "${TIBRA_ARCH:-}" = aarch64 ]; then
    echo "SKIP unix_aarch64: this build is already aarch64"
    exit 77
fi
if ! command -v ${CROSS}gcc >/dev/null; then
    echo "SKIP unix_aarch64: ${CROSS}gcc not installed (gcc-aarch64-linux-gnu)"
    exit 77
fi
QEMU=$(command -v qemu-aarch64 || command -v qemu-aarch64-static)
if [ -z "$QEMU" ]; then
    echo "SKIP unix_aarch64: qemu-aarch64 not installed (qemu-user)"
    exit 77
fi
XB="$TIBRA_BUILD/cross"
echo "building into $XB"
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$TIBRA_SRC" --no-print-directory -j"$(nproc)" O="$XB" \
    CROSS=$CROSS platform-cross >"$TIBRA_BUILD/cross-build.log" 2>&1; then
    tail -n 40 "$TIBRA_BUILD/cross-build.log"
    echo "FAIL unix_aarch64: cross build failed (log: $TIBRA_BUILD/cross-build.log)"
    exit 1
fi
readelf -h "$XB/unix-aarch64/tests/platform/apps/hello" |
    grep -q 'Machine:.*AArch64' || {
    echo "FAIL unix_aarch64: hello is not an aarch64 executable"
    exit 1
}

fail=0 pass=0
export QEMU_LD_PREFIX=/usr/aarch64-linux-gnu
export ASAN_OPTIONS=detect_leaks=0
for t in "$XB"/check-aarch64/tests/unit/test_*; do
    case "$t" in *.d | *.o) continue ;; esac
    [ -x "$t" ] || continue
    if out=$(timeout 120 "$QEMU" "$t" 2>&1 </dev/null); then
        pass=$((pass + 1))
        echo "ok   unit/$(basename "$t") (qemu-aarch64)"
    else
        fail=$((fail + 1))
        echo "FAIL unit/$(basename "$t") (qemu-aarch64)"
        printf '%s\n' "$out" | tail -n 20 | sed 's/^/    | /'
    fi
done

for s in hello clock block fault ssp net; do
    out=$(TIBRA_UNIX="$XB/unix-aarch64" TIBRA_ARCH=aarch64 PLAT_TARGETS=unix \
        PLAT_UNIX_RUNNER="$QEMU" bash "$here/$s.sh" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        echo "ok   platform/$s (unix-aarch64 under qemu)"
    elif [ $rc -eq 77 ]; then
        echo "skip platform/$s: $(printf '%s\n' "$out" | grep -m1 '^SKIP')"
    else
        fail=$((fail + 1))
        echo "FAIL platform/$s (unix-aarch64 under qemu)"
        printf '%s\n' "$out" | tail -n 20 | sed 's/^/    | /'
    fi
done
# The aarch64 spt images, under the filterless test tender (qemu-user
# cannot apply seccomp filters; the filter itself is tested natively).
for s in hello clock block fault ssp net; do
    out=$(TIBRA_GUEST="$XB/guest-aarch64" TIBRA_ARCH=aarch64 PLAT_TARGETS=spt \
        PLAT_SPT="$XB/unix-aarch64/tender/spt/tibra-spt-nofilter" \
        PLAT_SPT_RUNNER="$QEMU" bash "$here/$s.sh" 2>&1)
    rc=$?
    if [ $rc -eq 0 ]; then
        pass=$((pass + 1))
        echo "ok   platform/$s (spt-aarch64 under qemu, no filter)"
    elif [ $rc -eq 77 ]; then
        echo "skip platform/$s: $(printf '%s\n' "$out" | grep -m1 '^SKIP')"
    else
        fail=$((fail + 1))
        echo "FAIL platform/$s (spt-aarch64 under qemu, no filter)"
        printf '%s\n' "$out" | tail -n 20 | sed 's/^/    | /'
    fi
done
echo "unix_aarch64: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $pass -gt 0 ]
