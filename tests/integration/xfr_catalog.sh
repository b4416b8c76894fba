#!/bin/bash
# xfr_catalog.sh -- catalog zones (RFC 9432 v2, issue 10): tibra-dnsd as
# the producer (`catalog producer` + members' `catalog NAME`,
# app/dnsd/catalog.c over lib/dns/catalog.c), Knot 3.2 (catalog-role:
# interpret) and BIND 9.18 (catalog-zones) as consumers:
#   the catalog's records (version "2", one PTR per member, the stable
#   IDs lib/dns/catalog.c makes, the group property, NS invalid.);
#   Knot and BIND transfer it and then every member, and answer them;
#   a member added and one removed (restart with a new service file:
#   the catalog's serial grows, NOTIFY) -> both consumers add the new one
#   and drop the old one.
# tibra-dnsd as a consumer (`catalog consumer`): xfr_catalog_in.sh (a
# catalog zone file Knot serves), xfr_catalog_knot.sh (one Knot generates).
# Everything on 127.0.0.1, ports picked free; every wait bounded; only
# PIDs started here are stopped.
TEST_NAME=xfr_catalog
. "$(dirname "$0")/dnsd.bash"
dnsd_setup xfr_catalog
command -v knotd >/dev/null || skip "knotd not installed"
command -v named >/dev/null || skip "named not installed (bind9)"
PIDS=()
cleanup_all() {
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do # bounded: 5 s each at most, then SIGKILL
        pid_stop "$p"
    done
    dnsd_cleanup
}
trap cleanup_all EXIT

# wait_for WHAT CMD...: up to 30 s for CMD to succeed.
wait_for() {
    local what=$1
    shift
    for _ in $(seq 300); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    for f in "$TMP"/knot/log "$TMP"/bind/log; do
        [ -f "$f" ] && tail -20 "$f" | sed "s|^|    $(basename "$(dirname "$f")")| |"
    done
    fail "$what: not within 30 s"
}
# serves PORT ZONE: the server at PORT answers ZONE's SOA with AA.
serves() {
    dig @127.0.0.1 -p "$1" +time=1 +tries=1 +norec "$2" SOA |
        grep -q 'flags: qr aa'
}
gone() { ! serves "$@"; }

KPORT=$(dnsd_free_port)
BPORT=$(dnsd_free_port)
mkdir -p "$TMP/zones" "$TMP/knot" "$TMP/bind"
dnsd_zone "$TMP/zones/example.test.zone" 1
for z in two.test three.test; do
    printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 900 604800 60\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.2\n' \
        >"$TMP/zones/$z.zone"
done
# conf MEMBER2: the service file with example.test and MEMBER2 in cat.test
conf() {
    cat >"$TMP/ns.conf" <<EOF
service: name it; target unix; workers 2
         listen 127.0.0.1@$PORT
zone:    example.test; file zones/example.test.zone; catalog cat.test
         allow-transfer 127.0.0.1
zone:    $1; file zones/$1.zone; catalog cat.test; catalog-group "g one"
         allow-transfer 127.0.0.1
zone:    cat.test; catalog producer; allow-transfer 127.0.0.1
         notify 127.0.0.1@$KPORT 127.0.0.1@$BPORT
EOF
}
conf two.test
"$DNSD" --check "$TMP/ns.conf" >"$TMP/check.out" 2>&1 ||
    fail "--check: $(cat "$TMP/check.out")"
dnsd_start

# ---- the catalog's records -------------------------------------------------
ax=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 +nocmd +nostats +nocomments \
    cat.test AXFR | awk 'NF && $1 !~ /^;/' | tr -s ' \t' ' ')
expect "catalog: records (SOA NS version 2 PTR group, SOA again)" \
    "$(printf '%s\n' "$ax" | wc -l)" 7
expect_match "catalog: version 2" "$ax" '^version\.cat\.test\. 0 IN TXT "2"$'
expect_match "catalog: NS invalid." "$ax" '^cat\.test\. 0 IN NS invalid\.$'
id1=$(printf '%s\n' "$ax" | awk '$5 == "example.test." && $4 == "PTR" {print $1}')
id2=$(printf '%s\n' "$ax" | awk '$5 == "two.test." && $4 == "PTR" {print $1}')
expect_match "catalog: example.test's member node" "$id1" '^[0-9a-f]{16}\.zones\.cat\.test\.$'
expect_match "catalog: two.test's member node" "$id2" '^[0-9a-f]{16}\.zones\.cat\.test\.$'
[ "$id1" != "$id2" ] || fail "catalog: two members with one ID"
expect_match "catalog: group property" "$ax" "^group\\.$id2 0 IN TXT \"g one\"\$"
serial1=$(dig @127.0.0.1 -p "$PORT" +short cat.test SOA | awk '{print $3}')
now=$(date +%s)
[ $((now - serial1)) -ge 0 ] && [ $((now - serial1)) -lt 600 ] ||
    fail "catalog: serial $serial1 is not the start time ($now)"
echo "ok   catalog: serial $serial1 (the start time)"

# ---- Knot and BIND consume it ----------------------------------------------
cat >"$TMP/knot/knot.conf" <<EOF
server:
    rundir: "$TMP/knot"
    listen: 127.0.0.1@$KPORT
database:
    storage: "$TMP/knot"
log:
  - target: "$TMP/knot/log"
    any: info
remote:
  - id: tibra
    address: 127.0.0.1@$PORT
acl:
  - id: notify
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: "$TMP/knot"
    semantic-checks: off
  - id: member
    storage: "$TMP/knot"
    master: tibra
    acl: notify
zone:
  - domain: cat.test
    master: tibra
    acl: notify
    catalog-role: interpret
    catalog-template: member
EOF
knotd -c "$TMP/knot/knot.conf" 2>>"$TMP/knot/log" &
PIDS+=($!)
cat >"$TMP/bind/named.conf" <<EOF
options {
    directory "$TMP/bind";
    pid-file "$TMP/bind/named.pid";
    session-keyfile "$TMP/bind/session.key";
    managed-keys-directory "$TMP/bind";
    listen-on port $BPORT { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
    notify no;
    allow-new-zones yes;
    catalog-zones {
        zone "cat.test" default-primaries { 127.0.0.1 port $PORT; }
            zone-directory "$TMP/bind" in-memory yes;
    };
};
zone "cat.test" {
    type secondary;
    primaries { 127.0.0.1 port $PORT; };
    file "cat.test.db";
    allow-notify { 127.0.0.1; };
};
EOF
named -g -c "$TMP/bind/named.conf" >"$TMP/bind/log" 2>&1 &
PIDS+=($!)
for p in "$KPORT:Knot" "$BPORT:BIND"; do
    for z in example.test two.test; do
        wait_for "${p#*:}: member $z served" serves "${p%%:*}" $z
        echo "ok   ${p#*:} serves member $z"
    done
    a=$(dig @127.0.0.1 -p "${p%%:*}" +short www.two.test A)
    expect "${p#*:}: www.two.test" "$a" 192.0.2.2
done

# ---- a member added, one removed -------------------------------------------
sleep 1 # the new start time is a newer serial
dnsd_stop
conf three.test
dnsd_start
serial2=$(dig @127.0.0.1 -p "$PORT" +short cat.test SOA | awk '{print $3}')
[ "$serial2" -gt "$serial1" ] || fail "catalog serial $serial2 not > $serial1"
echo "ok   catalog: serial $serial1 -> $serial2"
id1b=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 +nocmd +nostats \
    +nocomments cat.test AXFR | awk '$5 == "example.test." {print $1}')
expect "catalog: example.test keeps its ID" "$id1b" "$id1"
for p in "$KPORT:Knot" "$BPORT:BIND"; do
    wait_for "${p#*:}: member three.test added" serves "${p%%:*}" three.test
    echo "ok   ${p#*:} serves the new member three.test"
    wait_for "${p#*:}: member two.test removed" gone "${p%%:*}" two.test
    echo "ok   ${p#*:} no longer serves two.test"
    serves "${p%%:*}" example.test || fail "${p#*:}: example.test lost"
    echo "ok   ${p#*:} still serves example.test"
done
dnsd_stop
expect "tibra-dnsd exit status" "$DNSD_RC" 0
echo "PASS $TEST_NAME"
