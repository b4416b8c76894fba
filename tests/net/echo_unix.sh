#!/usr/bin/env bash
# echo_unix.sh -- the direct stack on the unix target over a TAP device in
# a network namespace, with Linux's own stack as the peer: ping and ping -6,
# ARP and NDP both ways, UDP echo (also fragmented), ICMP port
# unreachable, TCP refusal and reset, 10 MB TCP echo over IPv4 and IPv6
# checked by sha256, 100 concurrent connections.  Needs root.
name=echo_unix
. "$(dirname "$0")/lib.inc"
net_require
ECHO="$TIBRA_UNIX/tests/net/echo"
[ -x "$ECHO" ] || { echo "FAIL: $ECHO not built"; exit 1; }
net_setup
listen_start
start_echo "$ECHO" --mem=512 --net:service0=$TAP -- ip4=$IP4/24 \
    ip6=$IP6HEX/64 hello4=10.77.0.1 hello6=fd770000000000000000000000000001
listen_check
echo_suite
stop_echo
echo SUCCESS
