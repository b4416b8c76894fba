#!/bin/bash
# xfr_in.sh -- tibra-dnsd as a secondary (issue 10, lib/dns/xfrin.c):
#   Knot primary (TSIG hmac-sha256): a wrong secret -> nothing served
#                  (SERVFAIL); initial AXFR; a change + NOTIFY -> IXFR (Knot
#                  keeps a journal: zonefile-load difference); two changes
#                  while tibra-dnsd is down -> restart serves the kept copy,
#                  then one IXFR of two deltas; a stranger's NOTIFY REFUSED
#   NSD primary:   initial AXFR; a change + NOTIFY -> the new data (NSD
#                  4.6 has no IXFR out: it answers IXFR with the whole zone);
#                  tibra passes the zone on (allow-transfer, dig AXFR)
#   BIND primary:  initial AXFR; a change + NOTIFY -> IXFR
#                  (ixfr-from-differences)
#   fake primary (dnspython, xfr_fake.py): a broken zone (a record outside
#                  the zone) with a newer serial leaves the old one
#                  serving; a transfer stalled half-way, tibra-dnsd killed
#                  with SIGKILL, restarted without any primary: it serves
#                  the kept copy at once (old, complete); SOA expire 5 s
#                  with the primary gone -> SERVFAIL; SIGHUP keeps it;
#                  5 rounds of kill -9 at a random point while versions of
#                  2000 stamped records stream in: each restart serves one
#                  whole version
# Everything on 127.0.0.1, ports picked free; every wait bounded; only
# PIDs started here are stopped.
TEST_NAME=xfr_in
. "$(dirname "$0")/dnsd.bash"
. "$(dirname "$0")/peers.bash"
dnsd_setup xfr_in
command -v knotd >/dev/null || skip "knotd not installed"
command -v knotc >/dev/null || skip "knotc not installed"
command -v nsd >/dev/null || skip "nsd not installed"
/usr/bin/python3 -c 'import dns.message' 2>/dev/null ||
    skip "python3-dnspython not installed"
HERE=$(cd "$(dirname "$0")" && pwd)
peer_setup
# Primaries (Knot, NSD, BIND) skip a zone file whose modification time
# did not change: each new version gets a later one, however fast.
BUMPS=0
bump() {
    BUMPS=$((BUMPS + 1))
    touch -d "@$(($(date +%s) + 10 * BUMPS))" "$1"
}
sec_conf() { # sec_conf PRIMARY-PORT [EXTRA ZONE KEYS] [KEY]
    mkdir -p "$TMP/sec"
    {
        echo "service: name sec; workers 2; listen 127.0.0.1@$PORT"
        [ -n "${3:-}" ] &&
            echo "key: $3; algorithm hmac-sha256; secret-file $3.secret"
        echo "zone: example.test; file sec/example.test.zone"
        echo "  primary 127.0.0.1@$1${3:+ key $3}"
        [ -n "${2:-}" ] && echo "  $2"
    } >"$TMP/ns.conf"
}
sec_start() {
    "$DNSD" "$TMP/ns.conf" 2>>"$TMP/log" &
    DNSD_PID=$!
}

# ---- Knot primary, TSIG (hmac-sha256) -----------------------------------
KPORT=$(dnsd_free_port)
mkdir -p "$TMP/knot"
SECRET=$(head -c 32 /dev/urandom | base64)
echo "$SECRET" >"$TMP/xfr.key.secret"
dnsd_zone "$TMP/knot/example.test.zone" 1
peer_knot "$KPORT" <<EOF
key:
  - id: xfr.key
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: tibra
    address: 127.0.0.1@$PORT
acl:
  - id: xfr
    address: 127.0.0.1
    key: xfr.key
    action: transfer
template:
  - id: default
    storage: "$TMP/knot"
    zonefile-load: difference
    journal-content: changes
    zonefile-sync: -1
    semantic-checks: off
zone:
  - domain: example.test
    file: "example.test.zone"
    notify: tibra
    acl: xfr
EOF
wait_for "knotd answers" dig @127.0.0.1 -p "$KPORT" +short example.test SOA
# First with another secret: Knot refuses, nothing is served.
head -c 32 /dev/urandom | base64 >"$TMP/xfr.key.secret"
sec_conf "$KPORT" "" xfr.key
sec_start
wait_for "a wrong TSIG secret refused" grep -q "fails TSIG\|TSIG verification failed\|failed: transfer refused\|NOTAUTH" "$TMP/log"
expect "wrong secret: SERVFAIL (nothing transferred)" \
    "$(q example.test SOA | grep -o 'status: [A-Z]*')" "status: SERVFAIL"
dnsd_stop
echo "$SECRET" >"$TMP/xfr.key.secret"
: >"$TMP/log"
sec_start
wait_for "initial AXFR from Knot" serial_is "$PORT" 1
expect "Knot: www after AXFR" "$(q +short www.example.test A)" 192.0.2.10
expect_match "Knot: logged AXFR" "$(cat "$TMP/log")" "serial 1, .*\(AXFR\)"
# (Knot's ACL takes transfers signed with xfr.key only: the wrong secret
# above was refused, so this AXFR was signed and verified both ways.)

dnsd_zone "$TMP/knot/example.test.zone" 2
echo "new A 192.0.2.77" >>"$TMP/knot/example.test.zone"
bump "$TMP/knot/example.test.zone"
knotc -c "$TMP/knot/knot.conf" zone-reload example.test >/dev/null ||
    fail "knotc zone-reload"
# The SOA refresh is 3600 s: only the NOTIFY brings serial 2 this soon.
wait_for "NOTIFY + IXFR from Knot" serial_is "$PORT" 2
expect "Knot: new record after IXFR" "$(q +short new.example.test A)" \
    192.0.2.77
expect_match "Knot: logged IXFR" "$(cat "$TMP/log")" "serial 2, .*\(IXFR\)"
expect_match "Knot: NOTIFY answered" "$(cat "$TMP/knot/log")" \
    "notify, outgoing, remote 127.0.0.1@$PORT, serial 2"
# Two changes while tibra-dnsd is down; restarted, it serves its kept copy
# (serial 2) and catches up by one IXFR of two deltas (2 -> 3 -> 4).
dnsd_stop
dnsd_zone "$TMP/knot/example.test.zone" 3
printf 'new A 192.0.2.77\nrec3 A 192.0.2.3\n' >>"$TMP/knot/example.test.zone"
bump "$TMP/knot/example.test.zone"
knotc -c "$TMP/knot/knot.conf" zone-reload example.test >/dev/null ||
    fail "knotc zone-reload (3)"
wait_for "Knot at serial 3" sh -c \
    "dig @127.0.0.1 -p $KPORT +short example.test SOA | grep -q ' 3 '"
dnsd_zone "$TMP/knot/example.test.zone" 4
printf 'rec3 A 192.0.2.3\nrec4 A 192.0.2.4\n' >>"$TMP/knot/example.test.zone"
bump "$TMP/knot/example.test.zone"
knotc -c "$TMP/knot/knot.conf" zone-reload example.test >/dev/null ||
    fail "knotc zone-reload (4)"
wait_for "Knot at serial 4" sh -c \
    "dig @127.0.0.1 -p $KPORT +short example.test SOA | grep -q ' 4 '"
: >"$TMP/log"
sec_start
wait_for "IXFR 2 -> 4 after a restart" serial_is "$PORT" 4
expect_match "restart: the kept copy served first" "$(cat "$TMP/log")" \
    "serial 2 from .*example.test.zone, serving it"
expect_match "restart: caught up by IXFR" "$(cat "$TMP/log")" \
    "serial 4, .*\(IXFR\)"
expect "after two deltas: rec3, rec4" \
    "$(q +short rec3.example.test A) $(q +short rec4.example.test A)" \
    "192.0.2.3 192.0.2.4"
expect "after two deltas: new is gone" "$(q +short new.example.test A)" ""
# A NOTIFY from a stranger (not the primary's address) is refused.
rc=$(/usr/bin/python3 - "$PORT" <<'PY'
import sys, dns.message, dns.query, dns.opcode, dns.rdatatype
m = dns.message.make_query("example.test.", dns.rdatatype.SOA)
m.set_opcode(dns.opcode.NOTIFY)
r = dns.query.udp(m, "127.0.0.1", port=int(sys.argv[1]), timeout=3,
                  source="127.0.0.2")
print(dns.rcode.to_text(r.rcode()))
PY
)
expect "NOTIFY from 127.0.0.2 refused" "$rc" REFUSED
dnsd_stop
peer_stop "$KNOT_PID"

# ---- NSD primary -------------------------------------------------------
NPORT=$(dnsd_free_port)
mkdir -p "$TMP/nsd"
rm -rf "$TMP/sec"
dnsd_zone "$TMP/nsd/example.test.zone" 10
peer_nsd "$NPORT" <<EOF
remote-control:
    control-enable: yes
    control-interface: "$TMP/nsd/ctl.sock"
zone:
    name: example.test
    zonefile: example.test.zone
    notify: 127.0.0.1@$PORT NOKEY
    provide-xfr: 127.0.0.1 NOKEY
EOF
wait_for "nsd answers" dig @127.0.0.1 -p "$NPORT" +short example.test SOA
# This secondary also passes the zone on (allow-transfer): NSD -> tibra
# -> dig.
sec_conf "$NPORT" "allow-transfer 127.0.0.1"
: >"$TMP/log"
sec_start
wait_for "initial AXFR from NSD" serial_is "$PORT" 10
expect "NSD -> tibra -> AXFR out: records" \
    "$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 example.test AXFR |
        grep -cv '^;\|^$')" 53
dnsd_zone "$TMP/nsd/example.test.zone" 11
echo "new A 192.0.2.78" >>"$TMP/nsd/example.test.zone"
bump "$TMP/nsd/example.test.zone"
nsd-control -c "$TMP/nsd/nsd.conf" reload example.test >/dev/null ||
    fail "nsd-control reload"
wait_for "NOTIFY + transfer from NSD" serial_is "$PORT" 11
expect "NSD: new record" "$(q +short new.example.test A)" 192.0.2.78
dnsd_stop
peer_stop "$NSD_PID"

# ---- BIND primary (ixfr-from-differences: IXFR out) ---------------------
if command -v named >/dev/null; then
    BPORT=$(dnsd_free_port)
    mkdir -p "$TMP/bind"
    rm -rf "$TMP/sec"
    dnsd_zone "$TMP/bind/example.test.zone" 30
    peer_bind "$BPORT" "allow-transfer { 127.0.0.1; };" "notify explicit;" \
        "also-notify { 127.0.0.1 port $PORT; };" \
        "ixfr-from-differences yes;" <<NAMED
controls { };
zone "example.test" {
    type primary;
    file "$TMP/bind/example.test.zone";
};
NAMED
    wait_for "named answers" dig @127.0.0.1 -p "$BPORT" +short example.test SOA
    sec_conf "$BPORT"
    : >"$TMP/log"
    sec_start
    wait_for "initial AXFR from BIND" serial_is "$PORT" 30
    dnsd_zone "$TMP/bind/example.test.zone" 31
    echo "new A 192.0.2.79" >>"$TMP/bind/example.test.zone"
    bump "$TMP/bind/example.test.zone"
    kill -HUP "$BIND_PID" # named reloads the zone and sends NOTIFY
    wait_for "NOTIFY + IXFR from BIND" serial_is "$PORT" 31
    expect "BIND: new record" "$(q +short new.example.test A)" 192.0.2.79
    expect_match "BIND: logged IXFR" "$(cat "$TMP/log")" \
        "serial 31, .*\(IXFR\)"
    dnsd_stop
    peer_stop "$BIND_PID"
else
    echo "note: named not installed: no BIND primary"
fi

# ---- a fake primary: broken zones, a stalled transfer, expiry -----------
FPORT=$(dnsd_free_port)
rm -rf "$TMP/sec"
# Serial 20 good; then serial 21 with a record outside the zone.
/usr/bin/python3 "$HERE/xfr_fake.py" "$FPORT" "$TMP/fake" &
PIDS+=($!)
wait_for "fake primary answers" dig @127.0.0.1 -p "$FPORT" +short example.test SOA
sec_conf "$FPORT" "expire-max-interval 5; refresh-max-interval 1; retry-max-interval 1"
: >"$TMP/log"
sec_start
wait_for "AXFR from the fake primary" serial_is "$PORT" 20
echo bad >"$TMP/fake.mode" # serve serial 21 with an out-of-zone record
wait_for "the broken transfer refused" grep -q "a record outside the zone" \
    "$TMP/log"
expect "broken zone: serial 20 still served" \
    "$(q +short example.test SOA | awk '{print $3}')" 20
expect "broken zone: data still served" "$(q +short www.example.test A)" \
    192.0.2.10
echo stall >"$TMP/fake.mode" # serial 22: half the stream, then silence
wait_for "a transfer stalled" grep -q "stalling" "$TMP/fake.log"
kill -KILL "$DNSD_PID"
wait "$DNSD_PID" 2>/dev/null
DNSD_PID=
# Restart with the primary silent: the kept copy is served at once,
# whole (serial 20: every record of it, none of 22's).
echo silent >"$TMP/fake.mode"
sec_start
wait_for "restart serves the kept copy" serial_is "$PORT" 20
expect "kept copy: www" "$(q +short www.example.test A)" 192.0.2.10
expect "kept copy: no record of the stalled version" \
    "$(q +short half.example.test A)" ""
expect "kept copy: big RRset whole" \
    "$(q +tcp +short big.example.test TXT | wc -l)" 40
# No refresh succeeds: after the SOA's expire (bounded to 5 s) SERVFAIL.
wait_for "expiry" sh -c "dig @127.0.0.1 -p $PORT +time=2 +tries=1 \
    example.test SOA | grep -q 'status: SERVFAIL'"
expect_match "expiry logged" "$(cat "$TMP/log")" "expired"
echo good >"$TMP/fake.mode"
wait_for "served again after a transfer" serial_is "$PORT" 20
kill -HUP "$DNSD_PID" # a reload keeps what a secondary serves
wait_for "SIGHUP reload done" grep -q "reload done" "$TMP/log"
expect "after SIGHUP: still serial 20" \
    "$(q +short example.test SOA | awk '{print $3}')" 20
dnsd_stop

# kill -9 at random points while new versions stream in (refresh 1 s,
# every transfer one serial newer, 2000 records stamped with it); each
# restart, primary silent, serves one whole version: the SOA's serial
# on every record checked.
consistent() { # every vN TXT says the SOA's serial
    local s t
    s=$(q +short example.test SOA | awk '{print $3}')
    [ -n "$s" ] || return 1
    for n in 0 777 1999; do
        t=$(q +short "v$n.example.test" TXT)
        [ "$t" = "\"version $s\"" ] || {
            echo "v$n: '$t' with serial $s"
            return 1
        }
    done
    echo "$s"
}
# (expire at least 60 s here: a slow restart must not meet the expiry)
sec_conf "$FPORT" "expire-min-interval 60; refresh-max-interval 1; retry-max-interval 1"
for round in 1 2 3 4 5; do
    echo grow >"$TMP/fake.mode"
    sec_start
    wait_for "round $round: a grown version" \
        sh -c "dig @127.0.0.1 -p $PORT +short v0.example.test TXT | grep -q version"
    sleep "$((RANDOM % 3)).$((RANDOM % 10))" # into a later transfer, or not
    kill -KILL "$DNSD_PID"
    wait "$DNSD_PID" 2>/dev/null
    DNSD_PID=
    echo silent >"$TMP/fake.mode"
    sec_start
    wait_for "round $round: serving after kill -9" \
        sh -c "dig @127.0.0.1 -p $PORT +short v0.example.test TXT | grep -q version"
    got=$(consistent) || fail "round $round: a mix of versions: $got"
    echo "ok   kill -9 round $round: serial $got, whole"
    dnsd_stop
done

# An image of the same service file is a secondary too: its zone is not
# compiled in but transferred at start (a unix image keeps no state:
# tibra_secondary.sh tests spt/hvt images with their state device).
if [ -x "${TIBRA_HOST:-}/tibra" ]; then
    out=$("$TIBRA_HOST/tibra" build "$TMP/ns.conf" -o "$TMP/sec.img" 2>&1) ||
        fail "tibra build refused a secondary zone: $out"
    out=$("$TIBRA_HOST/tibra" inspect "$TMP/sec.img" 2>&1)
    expect_match "the image is a secondary of the primary" "$out" \
        "--primary=example.test:127.0.0.1@"
    expect_match "the secondary zone is not compiled into the image" "$out" \
        "zones: +0"
fi
echo "SUCCESS"
