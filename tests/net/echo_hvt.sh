#!/usr/bin/env bash
# echo_hvt.sh -- the echo_unix.sh scenario with the echo app as an hvt
# image (freestanding lib/net + platform/hvt) under tibra-hvt (KVM):
# ping, ping -6, ARP/NDP both ways, UDP (also fragmented), ICMP port
# unreachable, TCP refusal, reset, TCP echo over IPv4 and IPv6 and
# concurrent connections -- smaller than on unix/spt (1 MB, 20 x 16 KB):
# on hosts where KVM runs this guest slowly (nested/PVM: ~7 ms ping) 10 MB
# takes minutes.  TCP_MB=10 MANY_CONNS=100 give the full sizes.  Needs
# root and /dev/kvm.
name=echo_hvt
. "$(dirname "$0")/lib.inc"
net_require
HVT="$TIBRA_HOST/tender/hvt/tibra-hvt"
ECHO="$TIBRA_GUEST/tests/net/echo.hvt"
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] ||
    skip "hvt images of another architecture do not run here"
[ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "no usable /dev/kvm"
[ -x "$HVT" ] || skip "tibra-hvt not built"
[ -f "$ECHO" ] || skip "echo.hvt not built"
net_setup
READY_WAIT=60 listen_start
# Small pools: where KVM is slow to fault in guest memory (nested or
# PVM hosts) a large heap makes boot take seconds.
READY_WAIT=60 start_echo "$HVT" --mem=64 --net:service0=$TAP "$ECHO" \
    ip4=$IP4/24 ip6=$IP6HEX/64 conns=110 rcvbuf=16384 sndbuf=16384 pkts=512 \
    hello4=10.77.0.1 hello6=fd770000000000000000000000000001
listen_check
TCP_MB=${TCP_MB:-1} MANY_CONNS=${MANY_CONNS:-20} MANY_KB=${MANY_KB:-16} \
    echo_suite
stop_echo
echo SUCCESS
