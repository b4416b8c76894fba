#!/usr/bin/env bash
# bench/boot/net_fps.sh -- frames per second through the net path of the
# reflector test application (tests/platform/apps/net.c: one tb_net_read
# and one tb_net_write per batch of up to 8) under tibra-hvt and
# tibra-spt, on a TAP interface in a network namespace created and removed
# here; bench/boot/net_fps.py drives it.  Root only.  Solo5 has no
# equivalent reflector among its tests, so it is not compared here.
#
#   bench/boot/net_fps.sh        (from the repository root)
# Environment: O (build dir, default build), TOTAL (frames, default
# 20000), WINDOW (frames in flight, default 8).
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$src"
O=${O:-build}
TOTAL=${TOTAL:-20000}
WINDOW=${WINDOW:-8}
arch=$(uname -m)
H="$O/host-$arch"
G="$O/guest-$arch"
[ "$(id -u)" -eq 0 ] || { echo "net_fps.sh: needs root" >&2; exit 1; }
make -s -j2 O="$O" "$H/tender/hvt/tibra-hvt" "$H/tender/spt/tibra-spt" \
    "$G/tests/platform/apps/net.hvt" "$G/tests/platform/apps/net.spt"

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
        sleep 0.1
    done
    printf '%s: ' "$name"
    ip netns exec "$ns" python3 bench/boot/net_fps.py tap0 "$mac" \
        "$TOTAL" "$WINDOW" || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    pid=""
    ip netns del "$ns"
}
[ -r /dev/kvm ] && run "tibra-hvt net (--mem=2)" "$H/tender/hvt/tibra-hvt" \
    --mem=2 --net:service0=tap0 "$G/tests/platform/apps/net.hvt"
run "tibra-spt net" "$H/tender/spt/tibra-spt" --net:service0=tap0 \
    "$G/tests/platform/apps/net.spt"
