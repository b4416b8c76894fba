#!/usr/bin/env bash
# test-timeout: 240
# guest_adversary.sh -- the DNS unikernel under the hostile clients of
# tests/integration/adversary.py (slowloris below the limit, connection
# exhaustion, many connections from one address, half-sent and badly
# framed messages, a malformed UDP flood), as tibra-dnsd gets them in
# dnsd_adversary.sh: the spt image, and the hvt image where /dev/kvm is
# usable, behind a TAP in a network namespace of its own.  The attackers
# are 10.77.0.3-7 on the namespace's side (addresses added here), the
# legitimate client 10.77.0.1: every legitimate UDP and TCP query must be
# answered, the tender's descriptors must be back to the baseline and its
# VmRSS within 2 MiB of it afterwards, and the image must stop cleanly
# with the per-address refusals counted.  Zone files are not part of it:
# an image's zones are compiled in.  Needs root; skips otherwise.
name=guest_adversary
. "$(dirname "$0")/../net/lib.inc"
. "$(dirname "$0")/guest.bash"
net_require
guest_require
net_setup
attack=
for i in 3 4 5 6 7; do
    nsx ip addr add 10.77.0.$i/24 dev "$TAP"
    attack=$attack${attack:+,}10.77.0.$i
done

for t in $targets; do
    echo "== $t"
    guest_start $t --ipv4=$IP4/24 --tcp-clients=12 --tcp-clients-per-address=3 \
        --tcp-idle-timeout=2
    # The tender: `ip netns exec` execs timeout(1), which runs it.
    tpid=
    for _ in $(seq 20); do
        tpid=$(pgrep -P "$ECHO_PID" | head -n 1)
        [ -n "$tpid" ] && break
        sleep 0.1
    done
    [ -n "$tpid" ] || fail "$t: no tender process under $ECHO_PID"
    for _ in $(seq 20); do
        nsx ping -c1 -W1 $IP4 >/dev/null 2>&1 && break
    done
    nsx "$PY" "$TIBRA_SRC/tests/integration/adversary.py" --server $IP4 \
        --port 53 --legit 10.77.0.1 --attack "$attack" --tcp-clients 12 \
        --per-addr 3 --idle 2 --flood 5 --pid "$tpid" \
        --name www.example.org || fail "$t: hostile clients (see above)"
    kill -0 "$ECHO_PID" 2>/dev/null || fail "$t: the guest died"
    term_echo
    [ "$ECHO_RC" = 0 ] || fail "$t: exit status $ECHO_RC after SIGTERM"
    grep -Eq '^tcp open [0-9]+ refused [0-9]+ idle-closed [1-9][0-9]* limit-closed 0 address-refused [1-9]' \
        "$ECHO_LOG" || fail "$t: counters"
    echo "ok   $t: every legitimate query answered, resources back"
done
echo SUCCESS
