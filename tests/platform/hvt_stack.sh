#!/usr/bin/env bash
# hvt_stack.sh -- the direct TCP/IP stack (lib/net) in an hvt guest: the
# net area's echo server (tests/net/echo.c) under tibra-hvt, on a TAP in a
# network namespace created and removed here, with Linux's stack as the
# peer: ARP and ping, a UDP echo, a 20 KB TCP echo checked byte for byte,
# then "QUIT!" (resent every 200 ms until the guest exits, for at most
# 10 s) and the server's SUCCESS.  Small transfers: where KVM emulates
# the guest (PVM hosts) each guest instruction costs ~1 us.
# Root only.
. "$(dirname "$0")/hvt_lib/hvt.sh"
hvt_require hvt_stack
ECHO="$TIBRA_GUEST/tests/net/echo.hvt"
[ -f "$ECHO" ] || { echo "SKIP hvt_stack: echo.hvt not built"; exit 77; }
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null ||
    ! command -v ping >/dev/null || [ ! -c /dev/net/tun ]; then
    echo "SKIP hvt_stack: needs root, iproute2, ping and /dev/net/tun"
    exit 77
fi

tmp=$(mktemp -d)
ns="tibra-hvts-$$"
pid="" qpid=""
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null
    ip netns del "$ns" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
ip netns add "$ns" || { echo "FAIL: cannot create netns"; exit 1; }
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n "$ns" tuntap add dev tap0 mode tap
ip -n "$ns" addr add 10.77.0.1/24 dev tap0
ip -n "$ns" link set tap0 up

ip netns exec "$ns" timeout -k 5 100 "$HVT" --net:service0=tap0 "$ECHO" \
    ip4=10.77.0.2/24 conns=8 rcvbuf=32768 sndbuf=32768 pkts=256 time=90 \
    >"$tmp/log" 2>&1 </dev/null &
pid=$!
for _ in $(seq 100); do
    grep -qE '^READY|FAIL' "$tmp/log" && break
    sleep 0.1
done
if ! grep -q '^READY' "$tmp/log"; then
    OUT=$(cat "$tmp/log")
    bad "echo.hvt ready" "no READY"
else
    ok "echo.hvt ready"
    OUT=$(ip netns exec "$ns" ping -c 3 -i 0.2 -W 5 10.77.0.2 2>&1)
    if [ $? -eq 0 ]; then ok "ping"; else bad "ping" "no replies"; fi
    OUT=$(ip netns exec "$ns" timeout 60 /usr/bin/python3 -c '
import socket, sys
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(5)
d = b""
for attempt in range(3):  # a datagram may be lost: resend
    u.sendto(b"hello hvt", ("10.77.0.2", 7))
    try:
        d, _ = u.recvfrom(100)
        break
    except socket.timeout:
        continue
print("udp echo:", d)
c = socket.create_connection(("10.77.0.2", 7), timeout=30)
data = bytes(range(256)) * 80
c.sendall(data)
got = b""
while len(got) < len(data):
    b = c.recv(65536)
    if not b:
        break
    got += b
c.close()
print("tcp echo: %d of %d bytes, %s" % (len(got), len(data),
      "equal" if got == data else "DIFFERENT"))
sys.exit(0 if d == b"hello hvt" and got == data else 1)
' 2>&1)
    if [ $? -eq 0 ]; then ok "udp and tcp echo: $(printf '%s' "$OUT" |
        tr '\n' ' ')"; else bad "udp and tcp echo" "peer failed"; fi
    # "QUIT!" every 200 ms until the guest exits (tests/net/peer.py).
    ip netns exec "$ns" /usr/bin/python3 "$TIBRA_SRC/tests/net/peer.py" \
        quit 10.77.0.2 7 10 >"$tmp/quit" 2>&1 &
    qpid=$!
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$qpid" 2>/dev/null
    wait "$qpid" 2>/dev/null
    qpid=""
    if kill -0 "$pid" 2>/dev/null; then
        OUT=$(cat "$tmp/quit")
        bad "echo.hvt quits" "still running 10 s after the first QUIT"
        kill "$pid" 2>/dev/null
    else
        ok "echo.hvt quits ($(cat "$tmp/quit"))"
    fi
fi
wait "$pid"
RC=$?
pid=""
OUT=$(cat "$tmp/log")
expect_success "echo.hvt"
finish hvt_stack
