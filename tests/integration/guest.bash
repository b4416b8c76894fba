# guest.bash -- shared by the tests that boot the DNS unikernel's test
# images (make check-build's app/dnsd/guest/dnsd.{spt,hvt}) behind the TAP
# of tests/net/lib.inc's namespace (sourced after it, not run: the runner
# only runs *.sh).
#
#   guest_require [FILE...]  skips on another architecture; sets SPT, HVT,
#                            IMG and targets (spt, and hvt where /dev/kvm
#                            and tibra-hvt are usable); fails unless the
#                            spt tender, the spt image and FILE are built
#   guest_start T [ARGS...]  start_echo the target T (spt|hvt) image with
#                            32 MiB on the TAP, then ARGS
#   fail MESSAGE             prints FAIL and the image's log; exits 1 (a
#                            script may define its own after sourcing)

fail() {
    echo "FAIL: $*"
    cat "$ECHO_LOG"
    exit 1
}

guest_require() {
    local f
    [ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] ||
        skip "guest images of another architecture do not run here"
    SPT="$TIBRA_HOST/tender/spt/tibra-spt"
    HVT="$TIBRA_HOST/tender/hvt/tibra-hvt"
    IMG="$TIBRA_GUEST/app/dnsd/guest/dnsd"
    for f in "$SPT" "$IMG.spt" "$@"; do
        [ -e "$f" ] || { echo "FAIL $name: $f not built (make check-build)"; exit 1; }
    done
    targets=spt
    if [ -x "$HVT" ] && [ -f "$IMG.hvt" ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
        targets="spt hvt"
    else
        echo "note: hvt not run (no usable /dev/kvm or tibra-hvt)"
    fi
}

guest_start() {
    local t=$1 tender=$SPT
    shift
    [ "$t" = hvt ] && tender=$HVT
    start_echo "$tender" --mem=32 --net:service0=$TAP "$IMG.$t" "$@"
}
