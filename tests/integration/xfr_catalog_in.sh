#!/bin/bash
# xfr_catalog_in.sh -- tibra-dnsd consumes a catalog zone (RFC 9432 v2)
# served by Knot 3.2 (a catalog zone file, as an operator or a tool
# writes it): `catalog consumer`
# (app/dnsd/catalog.c over lib/dns/catalog.c).  What is done: the catalog
# is a secondary like any other; its members become secondaries of the
# same primary at start-up, from the kept copy; a change while running is
# logged (added/removed) and applied at the next start, when the kept
# copies of removed members are deleted.  Not done: applying it at run
# time; a catalog Knot generates itself (catalog-role: generate), because
# Knot answers its SOA only over TCP and tibra-dnsd's refresh asks over
# UDP (REFUSED: the zone is never transferred).  Steps:
#   start: the catalog transfers, the log says 2 members to add;
#   restart: m1.test and m2.test served (from Knot, AXFR);
#   Knot drops m2.test (knotc reload): tibra-dnsd logs 1 removed;
#   restart: m2.test refused, its kept copy deleted, m1.test served.
# Everything on 127.0.0.1, ports picked free; every wait bounded; only
# PIDs started here are stopped.
TEST_NAME=xfr_catalog_in
. "$(dirname "$0")/dnsd.bash"
dnsd_setup xfr_catalog_in
command -v knotd >/dev/null || skip "knotd not installed"
command -v knotc >/dev/null || skip "knotc not installed"
KPID=
cleanup_all() {
    if [ -n "$KPID" ]; then
        kill -TERM "$KPID" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$KPID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$KPID" 2>/dev/null
        wait "$KPID" 2>/dev/null
    fi
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
for z in m1.test m2.test; do
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
remote:
  - id: tibra
    address: 127.0.0.1@$PORT
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$TMP/knot"
    semantic-checks: off
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
wait_for "catalog transferred, 2 members to add" log_has \
    'catalog cat\.test: 2 members added, 0 removed since start-up: restart'
echo "ok   catalog transferred; the log says 2 members to add at restart"
serves m1.test && fail "m1.test served before a restart (applied at run time?)"

dnsd_stop
dnsd_start
expect_match "restart: the members" "$(cat "$TMP/log")" \
    'catalog cat\.test: 2 members, secondaries of its primaries'
for z in m1.test m2.test; do
    wait_for "member $z served" serves $z
    expect "member $z: www" "$(q +short www.$z A)" 192.0.2.7
done
[ -s "$TMP/kept/cat.test.zone.members/m2.test.zone" ] ||
    fail "no kept copy of m2.test"
echo "ok   kept copies in kept/cat.test.zone.members/"

knot_conf m1.test
knotc -c "$TMP/knot/knot.conf" -s "$TMP/knot/knot.sock" reload >/dev/null ||
    fail "knotc reload"
wait_for "tibra-dnsd sees m2.test leave" log_has \
    'catalog cat\.test: 0 members added, 1 removed since start-up'
echo "ok   m2.test removed from Knot's catalog: logged"

dnsd_stop
dnsd_start
wait_for "m1.test still served" serves m1.test
st=$(q m2.test SOA | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
expect "m2.test no longer served" "$st" REFUSED
[ ! -e "$TMP/kept/cat.test.zone.members/m2.test.zone" ] ||
    fail "m2.test's kept copy not deleted"
expect_match "m2.test's kept copy deleted (logged)" "$(cat "$TMP/log")" \
    'm2\.test\.zone deleted \(no longer a member\)'
dnsd_stop
expect "exit status" "$DNSD_RC" 0
echo "PASS $TEST_NAME"
