# tests/platform/lib/platform.sh -- sourced by the platform test scripts
# (tests/platform/*.sh, not the hvt_* ones).  Finds the targets this
# machine can run and runs one test application on one of them under a
# timeout, the way Solo5's tests.bats does: pass = exit status + marker.
#
# Targets and what each needs:
#   unix  $TIBRA_UNIX/tests/platform/apps/APP
#   spt   $TIBRA_HOST/tender/spt/tibra-spt and $TIBRA_GUEST/.../APP.spt
#         (guest ARCH == host ARCH)
#   hvt   $TIBRA_HOST/tender/hvt/tibra-hvt, $TIBRA_GUEST/.../APP.hvt and a
#         usable /dev/kvm
# PLAT_TARGETS (space-separated) restricts the list; PLAT_UNIX_RUNNER
# (e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu") prefixes unix commands;
# PLAT_SPT names another tender and PLAT_SPT_RUNNER prefixes it (the
# aarch64 test runs a filterless tender under qemu-user).

: "${TIBRA_BUILD:?run me through tests/run}"
PLAT_TIMEOUT=${PLAT_TIMEOUT:-30}
APPS_U="$TIBRA_UNIX/tests/platform/apps"
APPS_G="$TIBRA_GUEST/tests/platform/apps"
SPT=${PLAT_SPT:-$TIBRA_HOST/tender/spt/tibra-spt}
HVT="$TIBRA_HOST/tender/hvt/tibra-hvt"
npass=0
nfail=0
# A cross build (make check CROSS=...) runs its unix programs under
# qemu-user, as tests/run does for unit tests.
if [ -z "${PLAT_UNIX_RUNNER:-}" ] &&
    [ "${TIBRA_ARCH:-$(uname -m)}" != "$(uname -m)" ]; then
    q=$(command -v "qemu-$TIBRA_ARCH" || command -v "qemu-$TIBRA_ARCH-static")
    [ -n "$q" ] && PLAT_UNIX_RUNNER="$q -L /usr/$TIBRA_ARCH-linux-gnu"
fi

# plat_available TARGET APP: true if TARGET can run APP here.
plat_available() {
    case " ${PLAT_TARGETS:-unix spt hvt} " in *" $1 "*) ;; *) return 1 ;; esac
    case $1 in
    unix) [ -x "$APPS_U/$2" ] ;;
    spt) [ -x "$SPT" ] && [ -f "$APPS_G/$2.spt" ] &&
        { [ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] ||
            [ -n "${PLAT_SPT_RUNNER:-}" ]; } ;;
    hvt) [ -x "$HVT" ] && [ -f "$APPS_G/$2.hvt" ] && [ -r /dev/kvm ] &&
        [ -w /dev/kvm ] ;;
    *) return 1 ;;
    esac
}

# plat_targets APP: prints the targets that can run APP.
plat_targets() {
    local t
    for t in unix spt hvt; do
        plat_available "$t" "$1" && printf '%s ' "$t"
    done
    return 0
}

# plat_cmd TARGET APP [DEVICE-OPTIONS...] -- [ARGS...]: prints nothing,
# sets the array CMD to the command line running APP on TARGET.
plat_cmd() {
    local target=$1 app=$2 opts=()
    shift 2
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        opts+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    case $target in
    unix)
        # shellcheck disable=SC2206
        local runner=(${PLAT_UNIX_RUNNER:-})
        CMD=("${runner[@]}" "$APPS_U/$app" "${opts[@]}" -- "$@") ;;
    spt)
        # shellcheck disable=SC2206
        local sptrun=(${PLAT_SPT_RUNNER:-})
        CMD=("${sptrun[@]}" "$SPT" "${opts[@]}" "$APPS_G/$app.spt" "$@") ;;
    hvt) CMD=("$HVT" "${opts[@]}" "$APPS_G/$app.hvt" "$@") ;;
    esac
}

# plat_run TARGET APP [DEVICE-OPTIONS...] -- [ARGS...]: runs it under the
# timeout; sets OUT (stdout and stderr) and RC.
plat_run() {
    plat_cmd "$@"
    OUT=$(ulimit -c 0; timeout -k 5 "$PLAT_TIMEOUT" "${CMD[@]}" 2>&1 </dev/null)
    RC=$?
}

# ok NAME / bad NAME WHY: record one result (bad also prints OUT).
ok() {
    npass=$((npass + 1))
    echo "ok   $1"
}
bad() {
    nfail=$((nfail + 1))
    echo "FAIL $1: $2"
    printf '%s\n' "$OUT" | sed 's/^/    | /' | tail -n 30
}

# expect_success NAME: the run exited 0 and printed SUCCESS on its own line.
expect_success() {
    if [ "$RC" -ne 0 ]; then
        bad "$1" "exit status $RC, expected 0"
    elif ! printf '%s\n' "$OUT" | grep -qx 'SUCCESS'; then
        bad "$1" "no SUCCESS line"
    else
        ok "$1"
    fi
}

# expect_output NAME REGEX: OUT matches the extended REGEX.
expect_output() {
    if printf '%s\n' "$OUT" | grep -qE -- "$2"; then
        ok "$1"
    else
        bad "$1" "output does not match /$2/"
    fi
}

# finish NAME: exit 0 if everything passed, 77 (SKIP) if nothing ran.
finish() {
    if [ $((npass + nfail)) -eq 0 ]; then
        echo "SKIP $1: ${SKIP_WHY:-no target available (build with make check-build)}"
        exit 77
    fi
    echo "$1: $npass passed, $nfail failed"
    [ "$nfail" -eq 0 ]
}
