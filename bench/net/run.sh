#!/usr/bin/env bash
# bench/net/run.sh -- the direct stack against Linux's own stack, in one
# run, on this machine (root; creates and removes its namespaces):
#
#   ours:  netload (client, Linux sockets in netns A) -> TAP -> the echo
#          app on lib/net (unix target, a process reading the TAP fd)
#   linux-tap: netload (client, netns A) -> TAP tap1 -> "netload relay"
#          (a process copying frames, as ours reads its TAP) -> TAP tap2
#          in netns B -> Linux's stack -> "netload serve" (epoll,
#          recvmmsg/sendmmsg echo).  The same TAP path as ours, plus one
#          more TAP crossing on the server side.
#   linux-veth: the same client -> veth -> netns C -> Linux's stack ->
#          "netload serve": Linux with no user-space hop at all.
#
# The client side (and its kernel work) is identical in all three.  Prints UDP
# request/response rates (window 1 and 32, 64-byte requests) and TCP echo
# throughput (one connection, 200 MB each way).
#
# Usage: bench/net/run.sh [BUILD_DIR]   (default build; needs
# BUILD_DIR/unix-ARCH/tests/net/echo and .../bench/net/netload)
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
B=${1:-$src/build}
U="$B/unix-$(uname -m)"
ECHO="$U/tests/net/echo"
LOAD="$U/bench/net/netload"
SECS=${SECS:-5}
MB=${MB:-200}
[ "$(id -u)" = 0 ] || { echo "bench/net: needs root"; exit 77; }
[ -x "$ECHO" ] && [ -x "$LOAD" ] || { echo "build $ECHO and $LOAD first"; exit 1; }
A=tbbench_a_$$ S=tbbench_b_$$ C=tbbench_c_$$
logs=$(mktemp -d)
cleanup() {
    for p in ${P1:-} ${P2:-} ${P3:-} ${P4:-}; do kill "$p" 2>/dev/null; done
    for n in $A $S $C; do ip netns del $n 2>/dev/null; done
    rm -rf "$logs"
}
trap cleanup EXIT
# ready NAME PID: waits (up to 10 s) for NAME's READY line in $logs/NAME;
# exits loudly if it never comes or the process died.
ready() {
    for _ in $(seq 100); do
        grep -q '^READY' "$logs/$1" 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || break
        sleep 0.1
    done
    echo "bench/net: $1 not ready within 10 s:"
    cat "$logs/$1"
    exit 1
}
ip netns add $A
ip netns add $S
ip netns add $C
for n in $A $S $C; do ip -n $n link set lo up; done
# Linux behind the TAP path: tap1 (client side) <-> relay <-> tap2 (B).
ip -n $A tuntap add tap1 mode tap
ip -n $A tuntap add tap2 mode tap
ip -n $A addr add 10.79.0.1/24 dev tap1
ip -n $A link set tap1 up
ip netns exec $A "$LOAD" relay tap1 tap2 600 >"$logs/relay" 2>&1 &
P3=$!
ready relay $P3 # it holds tap2 open before tap2 moves to $S
ip -n $A link set tap2 netns $S
ip -n $S addr add 10.79.0.2/24 dev tap2
ip -n $S link set tap2 up
ip -n $A tuntap add tap0 mode tap
ip -n $A addr add 10.77.0.1/24 dev tap0
ip -n $A link set tap0 up
ip -n $A link add veth0 type veth peer name veth1 netns $C
ip -n $A addr add 10.78.0.1/24 dev veth0
ip -n $C addr add 10.78.0.2/24 dev veth1
ip -n $A link set veth0 up
ip -n $C link set veth1 up

ip netns exec $A "$ECHO" --mem=512 --net:service0=tap0 -- ip4=10.77.0.2/24 \
    dad=0 time=600 >"$logs/echo" 2>&1 &
P1=$!
ip netns exec $S "$LOAD" serve 7 600 >"$logs/serve-tap" 2>&1 &
P2=$!
ip netns exec $C "$LOAD" serve 7 600 >"$logs/serve-veth" 2>&1 &
P4=$!
ready echo $P1
ready serve-tap $P2
ready serve-veth $P4
for ip in 10.77.0.2 10.78.0.2 10.79.0.2; do
    ip netns exec $A ping -c 1 -W 2 $ip >/dev/null || echo "no ping $ip"
done

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
for t in "udp 1 64" "udp 32 64" "tcp"; do
    set -- $t
    for who in ours linux-tap linux-veth; do
        ip=10.77.0.2
        [ $who = linux-tap ] && ip=10.79.0.2
        [ $who = linux-veth ] && ip=10.78.0.2
        if [ "$1" = udp ]; then
            r=$(ip netns exec $A "$LOAD" udp $ip 7 "$SECS" "$2" "$3")
        else
            r=$(ip netns exec $A "$LOAD" tcp $ip 7 "$MB")
        fi
        printf '%-10s %s\n' "$who" "$r"
    done
done
