#!/usr/bin/env bash
# net.sh -- the net application on every available target, on a TAP
# device in a network namespace this test creates and removes: the app
# reflects frames with MACs swapped, lib/frames.py sends 16 single frames
# (60..1514 bytes) and 2 bursts of 8 through an AF_PACKET socket and
# checks each comes back; the app then reports SUCCESS.  Needs root (netns,
# TAP); skips otherwise.  IPv6 is off in the namespace so that the kernel
# sends nothing of its own on the TAP.
. "$(dirname "$0")/lib/platform.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP net: needs root for a network namespace and a TAP device"
    exit 77
fi
if ! command -v ip >/dev/null || [ ! -c /dev/net/tun ]; then
    echo "SKIP net: needs iproute2 and /dev/net/tun"
    exit 77
fi
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
ns=""
pid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

SINGLES=16
BURSTS=2
for t in $(plat_targets net); do
    ns="tibra-plat-$$-$t"
    ip netns add "$ns" || { bad "net/$t" "cannot create netns"; ns=""; continue; }
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip -n "$ns" tuntap add dev tap0 mode tap
    ip -n "$ns" link set tap0 up

    plat_cmd "$t" net --net:service0=tap0 -- \
        count=$((SINGLES + 8 * BURSTS)) timeout=25
    log="$tmp/$t.log"
    ip netns exec "$ns" timeout -k 5 "$PLAT_TIMEOUT" "${CMD[@]}" \
        >"$log" 2>&1 </dev/null &
    pid=$!
    mac=""
    for _ in $(seq 100); do
        mac=$(sed -n 's/^READY mac \([0-9a-f:]*\) .*/\1/p' "$log")
        [ -n "$mac" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$mac" ]; then
        OUT=$(cat "$log")
        bad "net/$t" "the app never printed READY"
    else
        OUT=$(ip netns exec "$ns" timeout 60 /usr/bin/python3 \
            "$here/lib/frames.py" tap0 "$mac" $SINGLES $BURSTS 2>&1)
        if [ $? -eq 0 ]; then ok "net/$t frames reflected"; else
            bad "net/$t frames reflected" "frames.py failed"; fi
    fi
    wait "$pid"
    RC=$?
    pid=""
    OUT=$(cat "$log")
    expect_success "net/$t"
    ip netns del "$ns"
    ns=""
done
finish net
