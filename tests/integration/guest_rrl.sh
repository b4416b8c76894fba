#!/usr/bin/env bash
# test-timeout: 120
# guest_rrl.sh -- response rate limiting in the DNS unikernel, through its
# boot arguments (--rrl-rate=20 --rrl-slip=2): the spt image, and the hvt
# image where /dev/kvm is usable, behind a TAP in a namespace of its own,
# get tests/integration/rrlpeers.py's stream (a burst of 160 queries,
# then 40/s for 3 s) from 10.77.0.1; the answered and slipped counts must
# match the GCRA model of lib/dns/rrl.c fed with the real send times, as
# tibra-dnsd's do in rrl_peers.sh, and the counters the image prints on
# SIGTERM ("rrl dropped D slipped S") must agree with what the client
# saw (within 2: a datagram may be lost on the TAP).  Needs root.
name=guest_rrl
. "$(dirname "$0")/../net/lib.inc"
. "$(dirname "$0")/guest.bash"
net_require
guest_require
net_setup
out=$(mktemp)
trap 'rm -f "$out"; cleanup' EXIT

for t in $targets; do
    echo "== $t"
    guest_start $t --ipv4=$IP4/24 --rrl-rate=20 --rrl-slip=2
    grep -q "rrl 20 responses/s" "$ECHO_LOG" || fail "$t: no RRL boot line"
    for _ in $(seq 20); do
        nsx ping -c1 -W1 $IP4 >/dev/null 2>&1 && break
    done
    nsx "$PY" "$TIBRA_SRC/tests/integration/rrlpeers.py" --rate 20 --slip 2 \
        --server $IP4 --source 10.77.0.1 --name www.example.org tibra=53 \
        >"$out" 2>&1
    rc=$?
    cat "$out"
    [ $rc = 0 ] || fail "$t: RRL differs from its model (see above)"
    term_echo
    [ "$ECHO_RC" = 0 ] || fail "$t: exit status $ECHO_RC after SIGTERM"
    seen_s=$(sed -n 's/.* slipped \([0-9]*\) (expected.*/\1/p' "$out")
    seen_d=$(sed -n 's/.*, dropped \([0-9]*\)$/\1/p' "$out" | head -n 1)
    cnt=$(sed -n 's/^rrl dropped \([0-9]*\) slipped \([0-9]*\)$/\1 \2/p' "$ECHO_LOG")
    [ -n "$cnt" ] && [ -n "$seen_s" ] && [ -n "$seen_d" ] ||
        fail "$t: counters or measurements missing"
    set -- $cnt
    d=$1 s=$2
    [ $((d - seen_d)) -le 2 ] && [ $((seen_d - d)) -le 2 ] &&
        [ $((s - seen_s)) -le 2 ] && [ $((seen_s - s)) -le 2 ] ||
        fail "$t: counted dropped $d slipped $s, the client saw $seen_d and $seen_s"
    echo "ok   $t: counters dropped $d slipped $s, the client saw $seen_d and $seen_s"
done
echo SUCCESS
