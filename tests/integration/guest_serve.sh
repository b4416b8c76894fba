#!/usr/bin/env bash
# test-timeout: 240
# guest_serve.sh -- the DNS unikernel (app/dnsd/guest) as an spt image,
# and as an hvt image where /dev/kvm is usable, in a network namespace
# behind a TAP device (tests/net/lib.inc): dig and kdig ask it over UDP
# and TCP, IPv4 and IPv6, and get examples/zones/example.org.zone's
# answers; tests/integration/dnscmp.py then requires byte-identical
# responses from the image and from tibra-dnsd (in the same namespace,
# on loopback) for the same queries; SIGTERM stops the image cleanly with
# its counters (exit 0); TCP limits (clients, idle timeout, queries per
# connection) hold on the direct stack.  The images are make
# check-build's test images (mk/dnsg.mk: the example zone, defaults
# --name=ns1 --tcp-clients=64).
# Needs root (namespace, TAP); skips otherwise.
name=guest_serve
. "$(dirname "$0")/../net/lib.inc"
. "$(dirname "$0")/guest.bash"
net_require
command -v dig >/dev/null || skip "dig not installed (bind9-dnsutils)"
command -v kdig >/dev/null || skip "kdig not installed (knot-dnsutils)"
DNSD="$TIBRA_UNIX/tibra-dnsd"
CMP="$TIBRA_SRC/tests/integration/dnscmp.py"
guest_require "$DNSD"
net_setup

# tibra-dnsd in the namespace, for the byte-for-byte comparison.
DNSD_PID=
DNSD_LOG=$(mktemp)
DCONF=$(mktemp)
cat >"$DCONF" <<EOF
service: name ns1; target unix; version test
         listen 127.0.0.1@5300
zone:    example.org; file $TIBRA_SRC/examples/zones/example.org.zone
EOF
cleanup_all() {
    if [ -n "$DNSD_PID" ]; then
        kill -TERM "$DNSD_PID" 2>/dev/null
        for _ in $(seq 30); do
            kill -0 "$DNSD_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$DNSD_PID" 2>/dev/null
        wait "$DNSD_PID" 2>/dev/null
    fi
    rm -f "$DCONF" "$DNSD_LOG"
    cleanup
}
trap cleanup_all EXIT
# Not through nsx (a function: $! would be a subshell, and killing it
# would leave tibra-dnsd running): ip(8) execs tibra-dnsd, so $! is it.
ip netns exec "$NS" "$DNSD" "$DCONF" >"$DNSD_LOG" 2>&1 &
DNSD_PID=$!

# ask WANT DIG-ARGS...: dig (+short, retried) must print a line WANT.
ask() {
    local want=$1 out
    shift
    out=$(nsx dig +short +time=1 +tries=3 "$@" 2>&1)
    printf '%s\n' "$out" | grep -qxF -- "$want" ||
        fail "dig $*: wanted '$want', got '$out'"
    echo "ok   dig $* -> $want"
}
kask() {
    local want=$1 out
    shift
    out=$(nsx kdig +short +timeout=1 +retry=2 "$@" 2>&1)
    printf '%s\n' "$out" | grep -qxF -- "$want" ||
        fail "kdig $*: wanted '$want', got '$out'"
    echo "ok   kdig $* -> $want"
}

# IPv6 answers once DAD is over (about a second): wait for it, bounded.
wait_v6() {
    for _ in $(seq 20); do
        nsx dig +short +time=1 +tries=1 @$IP6 www.example.org AAAA 2>/dev/null |
            grep -qx '2001:db8::10' && return 0
        sleep 0.3
    done
    fail "no answer over IPv6"
}

for t in $targets; do
    echo "== $t"
    guest_start "$t" --ipv4=$IP4/24 --ipv6=$IP6/64 --version=test
    grep -q "serving 1 zone (example.org.) on $IP4/24 $IP6/64 port 53" \
        "$ECHO_LOG" || fail "no boot line"
    ask 192.0.2.10 @$IP4 www.example.org A
    ask 192.0.2.10 +tcp @$IP4 www.example.org A
    ask "10 mail.example.org." @$IP4 example.org MX
    ask "www.example.org." @$IP4 web.example.org A
    ask 192.0.2.80 +tcp @$IP4 anything.apps.example.org A
    ask '"v=spf1 mx -all"' @$IP4 example.org TXT
    ask '"ns1"' @$IP4 id.server CH TXT
    kask 2001:db8::25 @$IP4 mail.example.org AAAA
    kask 2001:db8::25 +tcp @$IP4 mail.example.org AAAA
    out=$(nsx dig +time=1 +tries=3 @$IP4 nope.example.org A)
    printf '%s\n' "$out" | grep -q 'status: NXDOMAIN' || fail "no NXDOMAIN: $out"
    echo "ok   NXDOMAIN"
    out=$(nsx dig +time=1 +tries=3 +norec @$IP4 host.lab.example.org A)
    printf '%s\n' "$out" | grep -q 'ns.lab.example.org.*192.0.2.200' ||
        fail "no referral with glue: $out"
    echo "ok   referral with glue"
    wait_v6
    ask 2001:db8::10 @$IP6 www.example.org AAAA
    ask 2001:db8::10 +tcp @$IP6 www.example.org AAAA
    kask 192.0.2.1 @$IP6 ns1.example.org A
    kask 192.0.2.1 +tcp @$IP6 ns1.example.org A
    # Pipelined TCP: kdig sends several queries on one connection.
    out=$(nsx kdig +tcp +keepopen +short +timeout=2 @$IP4 www.example.org A \
        www.example.org AAAA example.org SOA 2>&1)
    [ "$(printf '%s\n' "$out" | grep -c .)" = 3 ] ||
        fail "pipelined kdig: $out"
    echo "ok   3 queries on one TCP connection"

    nsx /usr/bin/python3 "$CMP" $IP4 53 127.0.0.1 5300 || fail "differs from tibra-dnsd"
    nsx /usr/bin/python3 "$CMP" $IP6 53 127.0.0.1 5300 || fail "differs from tibra-dnsd (IPv6)"

    term_echo
    rc=$ECHO_RC
    [ $rc = 0 ] || fail "$t: exit status $rc after SIGTERM"
    grep -Eq '^queries udp [1-9][0-9]* tcp [1-9]' "$ECHO_LOG" ||
        fail "$t: no counters"
    grep -q '^dnsd: stopped' "$ECHO_LOG" || fail "$t: did not stop cleanly"
    echo "ok   $t stopped by SIGTERM with its counters"
done

# TCP limits on the direct stack (lib/net's TCP, the app's session pool),
# as tests/integration/guest_unix.sh checks them on host sockets.
echo "== spt: TCP limits"
guest_start spt --ipv4=$IP4/24 --tcp-clients=2 --tcp-clients-per-address=2 \
    --tcp-idle-timeout=1 --tcp-max-queries=2
nsx /usr/bin/python3 "$TIBRA_SRC/tests/integration/tcplimits.py" $IP4 53 ||
    fail "TCP limits"
term_echo
rc=$ECHO_RC
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
grep -q '^tcp open 3 refused 1 idle-closed 2 limit-closed 1' "$ECHO_LOG" ||
    fail "TCP counters"
echo SUCCESS
