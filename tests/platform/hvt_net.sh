#!/usr/bin/env bash
# hvt_net.sh -- the net reflector under tibra-hvt through a TAP interface
# in a network namespace this test creates and removes: frames of 60..1514
# bytes one at a time, then bursts of 8 (batched reads and writes), all
# come back with MACs swapped (tests/platform/lib/frames.py); the guest
# gets the MAC given with --net-mac, or else a random locally
# administered one, and bad --net-mac values are refused; and while the
# guest runs the tender is
# confined by seccomp (/proc/PID/status: Seccomp 2, filter mode).  Root
# only (netns, TAP): skips otherwise.
. "$(dirname "$0")/hvt_lib/hvt.sh"
hvt_require hvt_net
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null ||
    [ ! -c /dev/net/tun ]; then
    echo "SKIP hvt_net: needs root, iproute2 and /dev/net/tun"
    exit 77
fi

tmp=$(mktemp -d)
ns="tibra-hvt-$$"
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" || { echo "FAIL: cannot create netns"; exit 1; }
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" tuntap add dev tap0 mode tap
ip -n "$ns" link set tap0 up

SINGLES=12
BURSTS=3
MAC=02:54:42:00:00:01
ip netns exec "$ns" timeout -k 5 60 "$HVT" --mem=2 --net:service0=tap0 \
    --net-mac:service0=$MAC "$HVT_APPS/net.hvt" count=$((SINGLES + 8 * BURSTS)) timeout=50 \
    >"$tmp/log" 2>&1 </dev/null &
pid=$!
mac=""
for _ in $(seq 100); do
    mac=$(sed -n 's/^READY mac \([0-9a-f:]*\) .*/\1/p' "$tmp/log")
    [ -n "$mac" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$mac" ]; then
    OUT=$(cat "$tmp/log")
    bad "net app ready" "it never printed READY"
else
    ok "net app ready"
    if [ "$mac" = "$MAC" ]; then ok "MAC set by --net-mac"; else
        bad "MAC set by --net-mac" "guest has $mac"; fi
    tender=$(pgrep -P "$pid" -f tibra-hvt | head -n1)
    [ -z "$tender" ] && tender=$pid
    if grep -qE '^Seccomp:[[:space:]]+2$' "/proc/$tender/status" 2>/dev/null
    then ok "tender confined by a seccomp filter"
    else OUT=$(grep Seccomp "/proc/$tender/status" 2>&1)
        bad "seccomp" "tender $tender not in filter mode"; fi
    OUT=$(ip netns exec "$ns" timeout 60 /usr/bin/python3 \
        "$HVT_SRC/lib/frames.py" tap0 "$mac" $SINGLES $BURSTS 2>&1)
    if [ $? -eq 0 ]; then ok "frames reflected ($OUT)"; else
        bad "frames reflected" "frames.py failed"; fi
fi
wait "$pid"
RC=$?
pid=""
OUT=$(cat "$tmp/log")
expect_success "net app"

# Without --net-mac: a random, locally administered unicast MAC.
OUT=$(ip netns exec "$ns" timeout -k 5 30 "$HVT" --net:service0=tap0 \
    "$HVT_APPS/net.hvt" count=0 timeout=1 2>&1 </dev/null)
mac=$(printf '%s\n' "$OUT" | sed -n 's/^READY mac \([0-9a-f:]*\) .*/\1/p')
case $mac in
?[26ae]:*) ok "random MAC $mac is locally administered unicast" ;;
*) bad "random MAC" "'$mac' is not locally administered unicast" ;;
esac
for m in 03:00:00:00:00:01 00:00:00:00:00:00 02:11:22:33:44 zz; do
    OUT=$(ip netns exec "$ns" "$HVT" --net:service0=tap0 \
        --net-mac:service0=$m "$HVT_APPS/net.hvt" 2>&1 </dev/null)
    RC=$?
    if [ $RC -eq 1 ] && printf '%s\n' "$OUT" | grep -q 'want a unicast MAC'
    then ok "--net-mac $m refused"; else
        bad "--net-mac $m refused" "exit $RC"; fi
done
finish hvt_net
