#!/usr/bin/env bash
# guest_unix.sh -- the DNS unikernel application linked for the unix
# target on host sockets (mk/dnsg.mk's test image: the example zone, its
# bundle's defaults --name=ns1 --tcp-clients=64 --listen=127.0.0.1@5353):
# the command line's --listen replaces the defaults; dig and kdig get
# examples/zones/example.org.zone's answers over UDP and TCP on 127.0.0.1
# (and ::1 where the host has it); the responses are byte-identical to
# tibra-dnsd's for the same queries (dnscmp.py); bad arguments are one
# line naming the argument and exit 1; tcp-clients beyond the memory is
# said at boot; SIGTERM stops it with its counters (exit 0).  No root.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup guest_unix
IMG=${TIBRA_UNIX:-build/unix-$(uname -m)}/app/dnsd/guest/dnsd
[ -x "$IMG" ] || fail "$IMG not built (make check-build)"
command -v kdig >/dev/null || skip "kdig not installed (knot-dnsutils)"
if [ -n "${CROSS_RUN:-}" ]; then # as dnsd_setup does for tibra-dnsd
    arch=${TIBRA_ARCH:-$(uname -m)}
    printf '#!/bin/sh\nexec %s -L /usr/%s-linux-gnu %s "$@"\n' \
        "$(command -v "qemu-$arch" || command -v "qemu-$arch-static")" \
        "$arch" "$(cd "$(dirname "$IMG")" && pwd)/dnsd" >"$TMP/dnsd"
    chmod +x "$TMP/dnsd"
    IMG=$TMP/dnsd
fi
GPID=
# stop_guest: SIGTERM (a stop request), a bounded wait (5 s, then
# SIGKILL); the exit status in rc, the log printed.
stop_guest() {
    dnsd_guest_stop
    cat "$TMP/glog"
}
trap '[ -n "$GPID" ] && kill -KILL $GPID 2>/dev/null; dnsd_cleanup' EXIT

# run_bad WHAT REGEX ARGS...: the image refuses ARGS: exit 1, one line.
run_bad() {
    local what=$1 re=$2 out rc
    shift 2
    out=$(timeout 20 "$IMG" "$@" 2>&1)
    rc=$?
    [ $rc = 1 ] || fail "$what: exit status $rc, expected 1 ($out)"
    [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] || fail "$what: not one line: $out"
    expect_match "$what" "$out" "$re"
}
run_bad "unknown argument" "^dnsd: unknown argument '--bogus=1'" --bogus=1
run_bad "not --KEY=VALUE" "^dnsd: unknown argument 'port=53'" port=53
run_bad "bad port" "^dnsd: bad argument '--port=99999': expected a port" \
    --port=99999
run_bad "bad listen" "^dnsd: bad argument '--listen=1.2.3@53'" \
    --listen=1.2.3@53
run_bad "bad chaos" "^dnsd: bad argument '--chaos=maybe'" --chaos=maybe
run_bad "bad udp-size" "^dnsd: bad argument '--udp-size=100'" --udp-size=100
run_bad "long identity" "^dnsd: bad argument '--identity=xxx" \
    --identity="$(printf 'x%.0s' $(seq 300))"
run_bad "bad nsid hex" "^dnsd: bad argument '--nsid=0xzz'" --nsid=0xzz

V6=
have_ipv6 && V6=1
args=(--listen=127.0.0.1@$PORT)
[ -n "$V6" ] && args+=(--listen=::1@$PORT)
"$IMG" --mem=16 -- "${args[@]}" --tcp-clients=1000 --version=test \
    --nsid=ns1-guest >"$TMP/glog" 2>&1 &
GPID=$!
for _ in $(seq 100); do
    grep -q READY "$TMP/glog" && break
    kill -0 "$GPID" 2>/dev/null || break
    sleep 0.1
done
cat "$TMP/glog"
grep -q READY "$TMP/glog" || fail "the image did not start"
expect_match "boot line" "$(cat "$TMP/glog")" \
    "^dnsd: ns1: serving 1 zone \(example.org.\) on 127.0.0.1@$PORT"
expect_match "tcp-clients that do not fit are said" "$(cat "$TMP/glog")" \
    "^dnsd: tcp-clients 1000 do not fit in 16.0 MiB"
grep -q "@5353" "$TMP/glog" && fail "the default --listen was not replaced"

a() { # a WANT ARGS: dig +short must print a line WANT
    local want=$1 out
    shift
    out=$(dig +short +time=2 +tries=2 "$@" 2>&1)
    printf '%s\n' "$out" | grep -qxF -- "$want" || fail "dig $*: got '$out'"
    echo "ok   dig $* -> $want"
}
a 192.0.2.10 @127.0.0.1 -p $PORT www.example.org A
a 192.0.2.10 +tcp @127.0.0.1 -p $PORT www.example.org A
a "20 mail2.example.net." @127.0.0.1 -p $PORT example.org MX
a 192.0.2.80 @127.0.0.1 -p $PORT x.apps.example.org A
out=$(dig +nsid +time=2 +tries=2 @127.0.0.1 -p $PORT www.example.org A)
expect_match "NSID (RFC 5001) from --nsid" "$out" 'NSID: .*"ns1-guest"'
out=$(kdig +short +tcp +timeout=2 @127.0.0.1 -p $PORT ns2.example.org AAAA)
expect "kdig over TCP" "$out" "2001:db8:1::2"
if [ -n "$V6" ]; then
    a 2001:db8::10 @::1 -p $PORT www.example.org AAAA
    a 2001:db8::10 +tcp @::1 -p $PORT www.example.org AAAA
    out=$(kdig +short +timeout=2 @::1 -p $PORT ns1.example.org A)
    expect "kdig over IPv6" "$out" "192.0.2.1"
fi

# tibra-dnsd beside it on the next free port, for the comparison.
P2=$(dnsd_free_port)
cat >"$TMP/ns.conf" <<EOF
service: name ns1; target unix; version test; workers 1; nsid ns1-guest
         listen 127.0.0.1@$P2
zone:    example.org; file $TIBRA_SRC/examples/zones/example.org.zone
EOF
"$DNSD" "$TMP/ns.conf" 2>"$TMP/log" &
DNSD_PID=$!
for _ in $(seq 100); do
    dig +short +time=1 +tries=1 @127.0.0.1 -p $P2 example.org SOA 2>/dev/null |
        grep -q hostmaster && break
    sleep 0.1
done
/usr/bin/python3 "$TIBRA_SRC/tests/integration/dnscmp.py" 127.0.0.1 $PORT \
    127.0.0.1 $P2 || fail "answers differ from tibra-dnsd's"
echo "ok   byte-identical to tibra-dnsd"

stop_guest
expect "exit status after SIGTERM" "$rc" 0
expect_match "counters" "$(cat "$TMP/glog")" "^queries udp [1-9][0-9]* tcp [1-9]"
expect_match "clean stop" "$(cat "$TMP/glog")" "^dnsd: stopped"

# TCP limits, decided by lib/dns's session (srv.h) and the app's pool: 2
# clients at once (a third is closed and counted), 1 s idle timeout, 2
# answers per connection.
: >"$TMP/glog" # emptied here: the first image's READY must not be seen
"$IMG" -- --listen=127.0.0.1@$PORT --tcp-clients=2 --tcp-clients-per-address=2 \
    --tcp-idle-timeout=1 \
    --tcp-max-queries=2 >>"$TMP/glog" 2>&1 &
GPID=$!
for _ in $(seq 100); do
    grep -q READY "$TMP/glog" && break
    sleep 0.1
done
/usr/bin/python3 "$TIBRA_SRC/tests/integration/tcplimits.py" 127.0.0.1 \
    "$PORT" || fail "TCP limits (see above)"
stop_guest
expect "exit status after SIGTERM" "$rc" 0
expect_match "TCP counters" "$(cat "$TMP/glog")" \
    "^tcp open 3 refused 1 idle-closed 2 limit-closed 1"
echo SUCCESS
