#!/usr/bin/env bash
# echo_spt.sh -- the same scenario as echo_unix.sh with the echo app built
# as an spt image (freestanding lib/net + platform/spt) under tibra-spt's
# seccomp sandbox: ping, ping -6, ARP/NDP both ways, UDP (also
# fragmented), ICMP port unreachable, TCP refusal, reset, 10 MB echo over
# IPv4 and IPv6, 100 concurrent connections.  Needs root.
name=echo_spt
. "$(dirname "$0")/lib.inc"
net_require
SPT="$TIBRA_HOST/tender/spt/tibra-spt"
ECHO="$TIBRA_GUEST/tests/net/echo.spt"
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] ||
    skip "spt images of another architecture do not run here"
[ -x "$SPT" ] || skip "tibra-spt not built"
[ -f "$ECHO" ] || { echo "FAIL: $ECHO not built"; exit 1; }
net_setup
listen_start
start_echo "$SPT" --mem=512 --net:service0=$TAP "$ECHO" ip4=$IP4/24 \
    ip6=$IP6HEX/64 hello4=10.77.0.1 hello6=fd770000000000000000000000000001
listen_check
echo_suite
stop_echo
echo SUCCESS
