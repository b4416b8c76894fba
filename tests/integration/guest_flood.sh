#!/usr/bin/env bash
# test-timeout: 180
# guest_flood.sh -- the DNS unikernel (spt image) under hostile clients:
# tests/integration/flood.py opens more TCP connections than the guest has
# sessions and trickles one byte every 0.5 s on each, never finishing a
# query, while it sends malformed UDP datagrams (random bytes, lying
# counts, responses, cut queries) and random Ethernet frames straight
# onto the TAP; every valid query asked during the flood must be
# answered, the stalled sessions must be closed by the idle timeout
# (measured from the last complete message, RFC 7766 6.2.3) so that a new
# TCP client is served, and the guest must still stop cleanly with its
# counters.  Needs root (namespace, TAP); skips otherwise.
name=guest_flood
. "$(dirname "$0")/../net/lib.inc"
net_require
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] ||
    skip "guest images of another architecture do not run here"
SPT="$TIBRA_HOST/tender/spt/tibra-spt"
IMG="$TIBRA_GUEST/app/dnsd/guest/dnsd.spt"
for f in "$SPT" "$IMG"; do
    [ -e "$f" ] || { echo "FAIL $name: $f not built (make check-build)"; exit 1; }
done
net_setup
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$ECHO_LOG"; exit 1; }

start_echo "$SPT" --mem=32 --net:service0=$TAP "$IMG" --ipv4=$IP4/24 \
    --ipv6=$IP6/64 --tcp-clients=8 --tcp-clients-per-address=8 \
    --tcp-idle-timeout=2
# The guest's MAC, for the raw frames: learnt by the namespace's ARP.
for _ in $(seq 20); do
    nsx ping -c1 -W1 $IP4 >/dev/null 2>&1 && break
done
MAC=$(nsx ip neigh show $IP4 dev $TAP | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p')
[ -n "$MAC" ] || fail "the guest's MAC was not learnt"
nsx "$PY" "$TIBRA_SRC/tests/integration/flood.py" $IP4 53 "$MAC" $TAP 8 ||
    fail "flood over IPv4"
kill -0 "$ECHO_PID" 2>/dev/null || fail "the guest died"
term_echo
rc=$ECHO_RC
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
grep -Eq '^tcp open [0-9]+ refused [0-9]+ idle-closed [1-9]' "$ECHO_LOG" ||
    fail "no session closed by the idle timeout"
grep -Eq '^rcode .*formerr [1-9]' "$ECHO_LOG" || fail "no FORMERR counted"
echo SUCCESS
