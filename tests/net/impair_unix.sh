#!/usr/bin/env bash
# impair_unix.sh -- TCP and UDP echo through a lossy link: 5% loss, 5%
# reordering and 5% duplication.  Uses tc netem on the namespace's TAP
# when the kernel has it; otherwise (kernels built without sch_netem, as
# on the CI VMs) the echo app impairs frames itself in both directions
# (impair=50,50,50 per mille: the same rates on the same path).
# 10 MB TCP echo checked by sha256, IPv4 and IPv6.  Needs root.
name=impair_unix
. "$(dirname "$0")/lib.inc"
net_require
ECHO="$TIBRA_UNIX/tests/net/echo"
[ -x "$ECHO" ] || { echo "FAIL: $ECHO not built"; exit 1; }
net_setup
IMPAIR=
if nsx tc qdisc add dev $TAP root netem loss 5% duplicate 5% \
        reorder 5% 50% delay 1ms 2>/dev/null; then
    echo "impairment: tc netem on $TAP (one direction: stack -> Linux)"
    IMPAIR="impair=25,25,25" # and the other direction in the app
else
    echo "impairment: no netem in this kernel; the echo app impairs frames"
    IMPAIR="impair=50,50,50"
fi
start_echo "$ECHO" --mem=512 --net:service0=$TAP -- ip4=$IP4/24 \
    ip6=$IP6HEX/64 $IMPAIR seed=$$
step "udp v4 (lossy: retries)" peer udp $IP4 7 100
step "tcp 10 MB echo v4 (lossy)" peer tcp $IP4 7 10
step "tcp 10 MB echo v6 (lossy)" peer tcp $IP6 7 10
step "tcp 20 concurrent connections (lossy)" peer many $IP4 7 20 64
stop_echo
grep -q 'retrans=0 fast=0' "$ECHO_LOG" && {
    echo "FAIL: no retransmission at all under loss"; exit 1; }
echo SUCCESS
