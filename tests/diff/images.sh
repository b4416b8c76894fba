#!/usr/bin/env bash
# test-timeout: 300
# tests/diff/images.sh -- the DNS unikernel images answer exactly as
# tibra-dnsd does: byte for byte, over UDP and TCP, on the differential
# corpus (tests/diff/queries) and zones (tests/diff/zones).
#
# One service description (name, tcp-clients, identity, version, nsid, the
# three zones) is written twice: target unix for tibra-dnsd, target spt
# for `tibra build`, which makes the spt image and, with --target hvt, the
# hvt image (when /dev/kvm is usable).  In a network namespace made here,
# tibra-dnsd listens on 127.0.0.1 and ::1, and each image runs under its
# tender behind its own TAP device (spt 10.77.1.2, fd77:1::2; hvt
# 10.77.2.2, its address given at run time over the image's default).
# dnsdiff.py's "same" subcommand, run in the namespace, sends every query
# of the corpus to tibra-dnsd and to the images, once over UDP and once
# over TCP, and requires the same response bytes for the same query bytes
# (no normalisation: both drivers call the same lib/dns).  The spt image
# and the hvt image are also asked over IPv6.  Where KVM is emulated
# (PVM) the hvt guest is slow: DIFF_HVT_SHARE=N sends it only every N-th
# query of each pass (default 1: all of them; the whole test takes about
# 30 s here, 2 would send each query once, alternately over UDP and TCP).
# No divergence is accepted: a difference is a bug in a driver (the guest
# app, the stack, the platform), to be fixed, not listed.
#
# Exit: 0 pass; 77 (SKIP line) without root, ip(8), /dev/net/tun or a
# network namespace/TAP; else fail -- also when tibra-dnsd, tibra (for
# tibra build), its staged library or a tender is not built.  Prints one
# summary line per comparison: queries compared per target and transport.
# Report (one line per query and transport): $TIBRA_BUILD/diff/images-*.txt
#
# Only PIDs started here are stopped; every wait is bounded; UDP queries
# are retried (dnsdiff.py), and a silence is asked again once.
set -u
name=diff/images
here=$(cd "$(dirname "$0")" && pwd)
src=${TIBRA_SRC:-$(cd "$here/../.." && pwd)}
build=${TIBRA_BUILD:-$src/build}
unix=${TIBRA_UNIX:-$build/unix-$(uname -m)}
thost=${TIBRA_HOST:-$build/host-$(uname -m)}
arch=${TIBRA_ARCH:-$(uname -m)}
py=/usr/bin/python3
hvt_share=${DIFF_HVT_SHARE:-1}
zone_names="example.org child.example.org example.net"

skip() { echo "SKIP $name: $*"; exit 77; }
fail() { echo "FAIL $name: $*"; exit 1; }

[ "$(id -u)" = 0 ] || skip "needs root (network namespace, TAP)"
command -v ip >/dev/null || skip "no ip(8) (iproute2)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
[ "$arch" = "$(uname -m)" ] || skip "images of another architecture do not run here"
"$py" -c 'import dns.message' 2>/dev/null ||
    fail "$py cannot import dns (apt-get install python3-dnspython)"

first() { # the first executable of its arguments, or ""
    local c
    for c in "$@"; do [ -x "$c" ] && { echo "$c"; return; }; done
}
dnsd=$(first "$build/bin/tibra-dnsd" "$unix/tibra-dnsd" "$unix/app/dnsd/tibra-dnsd")
tibra=$(first "$build/bin/tibra")
spt=$(first "$build/bin/tibra-spt" "$thost/tender/spt/tibra-spt")
hvt=$(first "$build/bin/tibra-hvt" "$thost/tender/hvt/tibra-hvt")
[ -n "$dnsd" ] || fail "tibra-dnsd not built (looked in $build/bin, $unix)"
[ -n "$tibra" ] || fail "tibra not built ($build/bin/tibra, for tibra build)"
[ -n "$spt" ] || fail "tibra-spt not built ($build/bin, $thost/tender/spt)"
use_hvt=0
if [ "$arch" = x86_64 ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    [ -n "$hvt" ] || fail "tibra-hvt not built (and /dev/kvm is usable)"
    use_hvt=1
else
    echo "note: hvt not compared: no usable /dev/kvm (or not x86_64)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-dimg.XXXXXX")
NS="tbdimg_$$"
TAP_S="tdspt$$"
TAP_H="tdhvt$$"
pids=()
cmp_pid=""
# ours PID: true while PID runs something started here (its command line
# names our temporary directory), so that a reused PID is never signalled.
ours() {
    { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -qF "$tmp/"
}
stop_pid() { # PID SECONDS: TERM, wait up to SECONDS, then KILL
    local p=$1 i
    ours "$p" && kill -TERM "$p" 2>/dev/null
    for i in $(seq $(($2 * 10))); do
        ours "$p" || break
        sleep 0.1
    done
    ours "$p" && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
}
cleanup() {
    local p
    [ -n "$cmp_pid" ] && stop_pid "$cmp_pid" 2
    for p in "${pids[@]}"; do stop_pid "$p" 5; done
    pids=()
    ip netns del "$NS" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "FAIL $name: interrupted"; exit 1' INT TERM HUP
nsx() { ip netns exec "$NS" "$@"; }

# --- the service, twice ------------------------------------------------------
for z in $zone_names; do cp "$here/zones/$z.zone" "$tmp/" || fail "no $z"; done
service() { # TARGET LINE...: the common service with target-specific lines
    local t=$1 l z
    shift
    printf 'service: name diff; target %s\n' "$t"
    printf '         tcp-clients 64; identity "tibra-diff"; version "tibra-diff"\n'
    printf '         nsid tibra-diff\n'
    # A server cookie holds the time and a per-process secret, so the
    # bytes differ between any two servers; guest_cookies checks that the
    # drivers agree on cookies (same secret: each accepts the other's).
    printf '         cookies off\n'
    for l in "$@"; do printf '         %s\n' "$l"; done
    for z in $zone_names; do printf 'zone:    %s; file %s.zone\n' "$z" "$z"; done
}
service unix "listen 127.0.0.1@53; listen ::1@53" "workers 1" >"$tmp/dnsd.conf"
service spt "address 10.77.1.2/24; address fd77:1::2/64" "memory 16M" \
    >"$tmp/image.conf"

build_image() { # TARGET
    if ! "$tibra" build "$tmp/image.conf" --target "$1" -o "$tmp/diff.$1" \
        >"$tmp/build-$1.log" 2>&1; then
        cat "$tmp/build-$1.log"
        fail "tibra build --target $1 failed (is $build/lib/tibra staged? make)"
    fi
    echo "built $(head -n 1 "$tmp/build-$1.log")"
}
build_image spt
[ $use_hvt = 1 ] && build_image hvt

# --- the namespace: tibra-dnsd on loopback, each image behind a TAP ----------
ip netns add "$NS" || skip "cannot create a network namespace"
nsx ip link set lo up
tap() { # NAME SUBNET-NUMBER: a TAP whose Linux side is 10.77.N.1, fd77:N::1
    nsx ip tuntap add "$1" mode tap || skip "cannot create a TAP device"
    nsx ip link set "$1" up
    nsx ip addr add "10.77.$2.1/24" dev "$1"
    nsx ip addr add "fd77:$2::1/64" dev "$1" nodad
}
tap "$TAP_S" 1
[ $use_hvt = 1 ] && tap "$TAP_H" 2

start() { # LABEL CMD...: in the namespace, output to $tmp/LABEL.log
    local label=$1
    shift
    # Not through nsx: $! must be ip(8), which becomes timeout(1) (its
    # command line names $tmp), not a subshell.
    ip netns exec "$NS" timeout -k 5 280 "$@" >"$tmp/$label.log" 2>&1 \
        </dev/null &
    pids+=($!)
    echo "started $label (pid $!): $*"
}
ready() { # LABEL PID SECONDS: waits for READY (images), "serving" (dnsd)
    local i
    for i in $(seq $(($3 * 10))); do
        grep -qE '^READY|: serving ' "$tmp/$1.log" && return 0
        ours "$2" || break
        sleep 0.1
    done
    cat "$tmp/$1.log"
    fail "$1 did not start within $3 s"
}
start dnsd "$dnsd" "$tmp/dnsd.conf"
start spt "$spt" --mem=16 "--net:service0=$TAP_S" "$tmp/diff.spt"
# Small memory: where KVM is slow to fault guest memory in (nested, PVM)
# a large heap makes the boot take seconds.
[ $use_hvt = 1 ] && start hvt "$hvt" --mem=16 "--net:service0=$TAP_H" \
    "$tmp/diff.hvt" --ipv4=10.77.2.2/24 --ipv6=fd77:2::2/64
ready dnsd "${pids[0]}" 10
ready spt "${pids[1]}" 10
[ $use_hvt = 1 ] && ready hvt "${pids[2]}" 60
addrs="127.0.0.1 ::1 10.77.1.2 fd77:1::2"
[ $use_hvt = 1 ] && addrs="$addrs 10.77.2.2 fd77:2::2"
for a in $addrs; do
    for z in $zone_names; do
        nsx "$py" "$here/dnsdiff.py" wait "$a:53" "$z" --timeout 20 ||
            fail "$a does not serve $z"
    done
done

# --- the comparisons ---------------------------------------------------------
mkdir -p "$build/diff"
rc=0
labels=(dnsd spt)
[ $use_hvt = 1 ] && labels+=(hvt)
all_up() { # true if every server started is still running; else says which
    local i up=0
    for i in "${!labels[@]}"; do
        ours "${pids[$i]}" && continue
        echo "FAIL $name: ${labels[$i]} exited during the run"
        tail -n 20 "$tmp/${labels[$i]}.log"
        up=1
    done
    return $up
}
compare() { # FAMILY DNSDIFF-OPTIONS...: tibra-dnsd against the images
    local rep=$1
    shift
    all_up || { rc=1; return; }
    echo "== $rep: tibra-dnsd, spt$([ $use_hvt = 1 ] && echo ", hvt" &&
        [ "$hvt_share" != 1 ] && echo " (1/$hvt_share of each pass)")"
    ip netns exec "$NS" "$py" "$here/dnsdiff.py" same --jobs 16 \
        --tcp-timeout 4 --label "$rep" --corpus "$here/queries" \
        --report "$tmp/report-$rep.txt" "$@" >"$tmp/cmp-$rep.out" 2>&1 &
    cmp_pid=$!
    wait "$cmp_pid" || rc=1
    cmp_pid=""
    cat "$tmp/cmp-$rep.out"
    cp "$tmp/report-$rep.txt" "$build/diff/images-$rep.txt" 2>/dev/null
}
t0=$SECONDS
v4=(--server dnsd=127.0.0.1:53 --server spt=10.77.1.2:53)
v6=(--server "dnsd=[::1]:53" --server "spt=[fd77:1::2]:53")
if [ $use_hvt = 1 ]; then
    v4+=(--server hvt=10.77.2.2:53 --share "hvt=$hvt_share")
    v6+=(--server "hvt=[fd77:2::2]:53" --share "hvt=$hvt_share")
fi
compare ipv4 "${v4[@]}"
compare ipv6 "${v6[@]}"
echo "comparisons took $((SECONDS - t0)) s"

# --- every server still up; stop them, show the images' counters ------------
all_up || rc=1
for i in "${!labels[@]}"; do stop_pid "${pids[$i]}" 5; done
pids=()
for l in spt hvt; do
    [ -f "$tmp/$l.log" ] || continue
    echo "--- $l image console (after the stop)"
    grep -E '^(queries|rcode|drops|tcp) |dnsd: st' "$tmp/$l.log" |
        sed 's/^/    /'
done
# The summary: queries compared per target and transport, both families.
echo "summary:"
sed -n 's/^same (\(ipv[46]\)): /    \1: /p' "$tmp"/cmp-*.out
[ $rc = 0 ] && echo "PASS $name" || echo "FAIL $name"
exit $rc
