#!/usr/bin/env bash
# bench/boot/net_fps.sh -- frames per second through the net path of the
# reflector test application (tests/platform/apps/net.c: one tb_net_read
# and one tb_net_write per batch of up to 8) under tibra-hvt and
# tibra-spt, on a TAP interface in a network namespace created and removed
# here; bench/boot/net_fps.py drives it.  Then ICMP echo through a whole
# stack, `ping -f -c PINGS`, against Tibra's tests/net/echo.c (lib/net)
# and Solo5's tests/test_net (its minimal ARP/ICMP responder), each on
# hvt and spt: Solo5 has no reflector, so this is the side-by-side.  Root
# only.
#
#   bench/boot/net_fps.sh        (from the repository root)
# Environment: O (build dir, default build), TOTAL (frames, default
# 20000), WINDOW (frames in flight, default 8), PINGS (default 500),
# SOLO5 (a Solo5 tree built outside this repository, default
# /work/peers/solo5; skipped if absent).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$src"
O=${O:-build}
TOTAL=${TOTAL:-20000}
WINDOW=${WINDOW:-8}
PINGS=${PINGS:-500}
SOLO5=${SOLO5:-/work/peers/solo5}
arch=$(uname -m)
H="$O/host-$arch"
G="$O/guest-$arch"
[ "$(id -u)" -eq 0 ] || { echo "net_fps.sh: needs root" >&2; exit 1; }
make -s -j2 O="$O" "$H/tender/hvt/tibra-hvt" "$H/tender/spt/tibra-spt" \
    "$G/tests/platform/apps/net.hvt" "$G/tests/platform/apps/net.spt" \
    "$G/tests/net/echo.hvt" "$G/tests/net/echo.spt"

ns="tibra-fps-$$"
log=$(mktemp)
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -f "$log"
}
trap cleanup EXIT

run() { # NAME CMD...
    local name=$1 mac=""
    shift
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" tuntap add dev tap0 mode tap
    ip -n "$ns" link set tap0 up
    ip netns exec "$ns" timeout 300 "$@" count=$TOTAL timeout=240 \
        >"$log" 2>&1 </dev/null &
    pid=$!
    for _ in $(seq 100); do
        mac=$(sed -n 's/^READY mac \([0-9a-f:]*\) .*/\1/p' "$log")
        [ -n "$mac" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    printf '%s: ' "$name"
    if [ -z "$mac" ]; then
        echo "no READY within 10 s, not measured:"
        sed 's/^/    | /' "$log"
    else
        ip netns exec "$ns" python3 bench/boot/net_fps.py tap0 "$mac" \
            "$TOTAL" "$WINDOW" || true
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
    ip netns del "$ns"
}
[ -r /dev/kvm ] && run "tibra-hvt net (--mem=2)" "$H/tender/hvt/tibra-hvt" \
    --mem=2 --net:service0=tap0 "$G/tests/platform/apps/net.hvt"
run "tibra-spt net" "$H/tender/spt/tibra-spt" --net:service0=tap0 \
    "$G/tests/platform/apps/net.spt"

ping_run() { # NAME CMD...
    local name=$1
    shift
    ip netns add "$ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" tuntap add dev tap0 mode tap
    ip -n "$ns" addr add 10.0.0.1/24 dev tap0
    ip -n "$ns" link set tap0 up
    ip netns exec "$ns" timeout 300 "$@" >"$log" 2>&1 </dev/null &
    pid=$!
    printf '%s: ' "$name"
    # Measured from the first answer on (the guest has booted and
    # resolved us), not after a fixed sleep; at most 10 s of tries.
    local up=0
    for _ in $(seq 20); do
        ip netns exec "$ns" ping -q -c 1 -W 0.5 10.0.0.2 >/dev/null 2>&1 &&
            { up=1; break; }
        kill -0 "$pid" 2>/dev/null || break
    done
    if [ $up = 0 ]; then
        echo "no answer to ping within 10 s, not measured"
    else
        ip netns exec "$ns" ping -q -f -c "$PINGS" -w 120 10.0.0.2 |
            sed -n 's/.*received.* time \([0-9]*\)ms/\1 ms total/p;
                s/^rtt [^=]*= //p' | tr '\n' ' '
        echo
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
    ip netns del "$ns"
}
echo "ICMP echo, ping -f -c $PINGS (rtt min/avg/max/mdev):"
EARGS="ip4=10.0.0.2/24 conns=8 rcvbuf=32768 sndbuf=32768 pkts=256"
[ -r /dev/kvm ] && ping_run "tibra-hvt echo (lib/net)" \
    "$H/tender/hvt/tibra-hvt" --net:service0=tap0 \
    "$G/tests/net/echo.hvt" $EARGS
ping_run "tibra-spt echo (lib/net)" "$H/tender/spt/tibra-spt" \
    --mem=32 --net:service0=tap0 "$G/tests/net/echo.spt" $EARGS
S5="$SOLO5/tests/test_net/test_net"
if [ -f "$S5.hvt" ] && [ -r /dev/kvm ]; then
    ping_run "solo5-hvt test_net" "$SOLO5/tenders/hvt/solo5-hvt" \
        --mem=4 --net:service0=tap0 "$S5.hvt"
fi
if [ -f "$S5.spt" ]; then
    ping_run "solo5-spt test_net" "$SOLO5/tenders/spt/solo5-spt" \
        --mem=4 --net:service0=tap0 "$S5.spt"
fi
