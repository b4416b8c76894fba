# tests/platform/hvt_lib/hvt.sh -- sourced by the hvt test scripts
# (tests/platform/hvt_*.sh).  Skips the calling test (exit 77) unless
# tibra-hvt, the hvt images and a usable /dev/kvm are there; provides
# hvt_run (a bounded run collecting OUT and RC) and the ok/bad/finish
# bookkeeping of tests/platform/lib/platform.sh.

: "${TIBRA_BUILD:?run me through tests/run}"
. "$(dirname "${BASH_SOURCE[0]}")/../lib/platform.sh"
HVT_APPS="$TIBRA_GUEST/tests/platform/apps"
HVT_BAD="$TIBRA_GUEST/tests/platform/hvt_apps"
HVT_SRC="$TIBRA_SRC/tests/platform"

# hvt_require NAME: skip NAME unless hvt can run here.
hvt_require() {
    if [ "$(uname -m)" != x86_64 ] || [ "${TIBRA_ARCH:-x86_64}" != x86_64 ]
    then
        echo "SKIP $1: hvt is x86_64 only"
        exit 77
    fi
    if [ ! -x "$HVT" ] || [ ! -f "$HVT_APPS/hello.hvt" ]; then
        echo "SKIP $1: tibra-hvt or hvt images not built (make check-build)"
        exit 77
    fi
    if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
        echo "SKIP $1: no usable /dev/kvm"
        exit 77
    fi
}

# hvt_run ARGS...: runs tibra-hvt ARGS under the timeout; sets OUT, RC.
hvt_run() {
    OUT=$(ulimit -c 0; timeout -k 5 "$PLAT_TIMEOUT" "$HVT" "$@" 2>&1 \
        </dev/null)
    RC=$?
}

# expect_rc NAME WANT: the last run exited with WANT.
expect_rc() {
    if [ "$RC" -eq "$2" ]; then ok "$1 (exit $RC)"; else
        bad "$1" "exit status $RC, expected $2"; fi
}
