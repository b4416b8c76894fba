#!/bin/bash
# xfr_catalog_in.sh -- tibra-dnsd consumes a catalog zone (RFC 9432 v2)
# served by Knot (a catalog zone file, as an operator or a tool writes
# it): `catalog consumer` (app/dnsd/catalog.c over lib/dns/catalog.c,
# applied at run time by app/dnsd/reconf.c).  The catalog is a secondary
# like any other; its members become secondaries of the same primary as
# the catalog's versions arrive, with no restart.  Steps:
#   start: the catalog transfers; m1.test and m2.test served (AXFR);
#   Knot adds m3.test (knotc reload, NOTIFY): m3.test served;
#   Knot drops m2.test: m2.test REFUSED, its kept copy deleted;
#   restart: m1.test and m3.test served from their kept copies.
# (A catalog Knot generates itself: xfr_catalog_knot.sh.)
# Everything on 127.0.0.1, ports picked free; every wait bounded; only
# PIDs started here are stopped.
TEST_NAME=xfr_catalog_in
. "$(dirname "$0")/dnsd.bash"
dnsd_setup xfr_catalog_in
. "$(dirname "$0")/peers.bash" # pid_stop, knot_tibra_xfr
command -v knotd >/dev/null || skip "knotd not installed"
command -v knotc >/dev/null || skip "knotc not installed"
KPID=
cleanup_all() {
    [ -n "$KPID" ] && pid_stop "$KPID"
    dnsd_cleanup
}
trap cleanup_all EXIT
wait_for() { # WHAT CMD...: up to 30 s
    local what=$1
    shift
    for _ in $(seq 300); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    [ -f "$TMP/knot/log" ] && tail -15 "$TMP/knot/log" | sed 's/^/    knot| /'
    fail "$what: not within 30 s"
}
serves() { # serves ZONE: tibra-dnsd answers its SOA with AA
    dig @127.0.0.1 -p "$PORT" +time=1 +tries=1 +norec "$1" SOA |
        grep -q 'flags: qr aa'
}
log_has() { grep -Eq -- "$1" "$TMP/log"; }

KPORT=$(dnsd_free_port)
mkdir -p "$TMP/knot" "$TMP/zones" "$TMP/kept"
for z in m1.test m2.test m3.test; do
    printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 900 604800 60\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.7\n' \
        >"$TMP/knot/$z.zone"
done
# knot_conf MEMBERS...: cat.test lists them (any unique label is an
# ID), serial = the number of the call.
CATSERIAL=0
knot_conf() {
    CATSERIAL=$((CATSERIAL + 1))
    {
        echo '$TTL 0'
        echo "@ SOA invalid. invalid. $CATSERIAL 3600 600 2147483646 0"
        echo '@ NS invalid.'
        echo 'version TXT "2"'
        for m in "$@"; do echo "id-${m%%.*}.zones PTR $m."; done
    } >"$TMP/knot/cat.test.zone"
    {
        cat <<EOF
server:
    rundir: "$TMP/knot"
    listen: 127.0.0.1@$KPORT
database:
    storage: "$TMP/knot"
log:
  - target: "$TMP/knot/log"
    any: info
EOF
        knot_tibra_xfr
        cat <<EOF
zone:
  - domain: cat.test
    file: "cat.test.zone"
    acl: xfr
    notify: tibra
EOF
        for m in "$@"; do
            cat <<EOF
  - domain: $m
    file: "$m.zone"
    acl: xfr
EOF
        done
    } >"$TMP/knot/knot.conf"
}
knot_conf m1.test m2.test
knotd -c "$TMP/knot/knot.conf" 2>>"$TMP/knot/log" &
KPID=$!
wait_for "Knot serves the catalog" dig @127.0.0.1 -p "$KPORT" +short cat.test SOA

dnsd_zone "$TMP/zones/example.test.zone" 1
dnsd_conf
cat >>"$TMP/ns.conf" <<EOF
zone:    cat.test; catalog consumer; primary 127.0.0.1@$KPORT
         file kept/cat.test.zone
EOF
"$DNSD" --check "$TMP/ns.conf" >"$TMP/check.out" 2>&1 ||
    fail "--check: $(cat "$TMP/check.out")"
dnsd_start
wait_for "catalog transferred, 2 members added" log_has \
    'catalog cat\.test: 2 members added, 0 removed: applying'
echo "ok   catalog transferred; 2 members to add"
for z in m1.test m2.test; do
    wait_for "member $z served with no restart" serves $z
    expect "member $z: www" "$(q +short www.$z A)" 192.0.2.7
done
[ -s "$TMP/kept/cat.test.zone.members/m2.test.zone" ] ||
    fail "no kept copy of m2.test"
echo "ok   kept copies in kept/cat.test.zone.members/"

# Knot adds m3.test: served at once.
knot_conf m1.test m2.test m3.test
knotc -c "$TMP/knot/knot.conf" -s "$TMP/knot/knot.sock" reload >/dev/null ||
    fail "knotc reload"
wait_for "tibra-dnsd sees m3.test join" log_has \
    'catalog cat\.test: 1 member added, 0 removed: applying'
wait_for "member m3.test served with no restart" serves m3.test
echo "ok   m3.test added to Knot's catalog: served with no restart"

# Knot drops m2.test: no longer served, its kept copy deleted.
knot_conf m1.test m3.test
knotc -c "$TMP/knot/knot.conf" -s "$TMP/knot/knot.sock" reload >/dev/null ||
    fail "knotc reload"
wait_for "tibra-dnsd sees m2.test leave" log_has \
    'catalog cat\.test: 0 members added, 1 removed: applying'
refused() { q "$1" SOA | grep -q 'status: REFUSED'; }
wait_for "m2.test no longer served" refused m2.test
echo "ok   m2.test removed from Knot's catalog: REFUSED with no restart"
[ ! -e "$TMP/kept/cat.test.zone.members/m2.test.zone" ] ||
    fail "m2.test's kept copy not deleted"
expect_match "m2.test's kept copy deleted (logged)" "$(cat "$TMP/log")" \
    'm2\.test\.zone deleted \(no longer a member\)'
serves m1.test || fail "m1.test no longer served"
echo "ok   m1.test still served"
grep -q 'restart' "$TMP/log" && fail "a restart was asked for"

# A restart serves the members at once from their kept copies.
dnsd_stop
dnsd_start
expect_match "restart: the members" "$(cat "$TMP/log")" \
    'catalog cat\.test: 2 members, secondaries of its primaries'
for z in m1.test m3.test; do
    wait_for "member $z served after a restart" serves $z
done
expect "m2.test still not served" "$(q m2.test SOA | sed -n 's/.*status: \([A-Z]*\).*/\1/p')" REFUSED
dnsd_stop
expect "exit status" "$DNSD_RC" 0
echo "PASS $TEST_NAME"
