#!/bin/bash
# xfr_catalog_knot.sh -- tibra-dnsd consumes a catalog zone that Knot
# generates itself (catalog-role: generate, RFC 9432 v2; issue 10's
# interop matrix: "a catalog zone from Knot consumed by Tibra").  Knot
# answers nothing of a generated catalog over UDP (REFUSED), so the
# refresh of lib/dns/xfrin.c asks the SOA over TCP after a UDP answer
# without it (as BIND does), and remembers that primary as TCP-only.
# Steps:
#   Knot refuses the catalog's SOA over UDP (the reason for the fallback);
#   tibra-dnsd (catalog consumer) logs the switch to TCP, transfers the
#   catalog and serves its members m1.test, m2.test (no restart);
#   m3.test joins Knot's catalog (knotc reload): served;
#   m2.test leaves it: REFUSED, its kept copy deleted.
# Everything on 127.0.0.1, ports picked free; every wait bounded; only
# PIDs started here are stopped.
TEST_NAME=xfr_catalog_knot
. "$(dirname "$0")/dnsd.bash"
dnsd_setup xfr_catalog_knot
command -v knotd >/dev/null || skip "knotd not installed"
command -v knotc >/dev/null || skip "knotc not installed"
. "$(dirname "$0")/peers.bash"
peer_setup
serves() { # serves ZONE: tibra-dnsd answers its SOA with AA
    dig @127.0.0.1 -p "$PORT" +time=1 +tries=1 +norec "$1" SOA |
        grep -q 'flags: qr aa'
}
refused() { q "$1" SOA | grep -q 'status: REFUSED'; }
log_has() { grep -Eq -- "$1" "$TMP/log"; }

KPORT=$(dnsd_free_port)
mkdir -p "$TMP/knot" "$TMP/zones" "$TMP/kept"
for z in m1.test m2.test m3.test; do
    printf '$TTL 300\n@ SOA ns1 hostmaster 1 3600 900 604800 60\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.8\n' \
        >"$TMP/knot/$z.zone"
done
# knot_zones MEMBERS...: the zone: section, cat.test generated from them.
knot_zones() {
    knot_tibra_xfr
    cat <<KNOT
zone:
  - domain: cat.test
    catalog-role: generate
    acl: xfr
    notify: tibra
KNOT
    for m in "$@"; do
        cat <<KNOT
  - domain: $m
    file: "$m.zone"
    catalog-role: member
    catalog-zone: cat.test
    acl: xfr
KNOT
    done
}
knot_reload() { # MEMBERS...: rewrites knot.conf's zones, knotc reload
    local conf
    conf=$(sed '/^remote:/,$d' "$TMP/knot/knot.conf")
    {
        printf '%s\n' "$conf"
        knot_zones "$@"
    } >"$TMP/knot/knot.conf"
    knotc -c "$TMP/knot/knot.conf" -s "$TMP/knot/knot.sock" reload >/dev/null ||
        fail "knotc reload"
}
knot_zones m1.test m2.test | peer_knot "$KPORT"
wait_for "Knot generates the catalog" \
    dig @127.0.0.1 -p "$KPORT" +tcp +short cat.test SOA
st=$(dig @127.0.0.1 -p "$KPORT" +notcp +time=2 +tries=2 cat.test SOA |
    sed -n 's/.*status: \([A-Z]*\).*/\1/p')
expect "Knot refuses the generated catalog's SOA over UDP" "$st" REFUSED

dnsd_zone "$TMP/zones/example.test.zone" 1
dnsd_conf
cat >>"$TMP/ns.conf" <<CONF
zone:    cat.test; catalog consumer; primary 127.0.0.1@$KPORT
         file kept/cat.test.zone
CONF
dnsd_start
wait_for "the SOA asked over TCP" log_has \
    'zone cat\.test: primary 1 answers the SOA over TCP only'
wait_for "catalog transferred, 2 members added" log_has \
    'catalog cat\.test: 2 members added, 0 removed: applying'
echo "ok   Knot's generated catalog transferred (SOA over TCP)"
for z in m1.test m2.test; do
    wait_for "member $z served" serves $z
    expect "member $z: www" "$(q +short www.$z A)" 192.0.2.8
done

knot_reload m1.test m2.test m3.test
wait_for "m3.test joins" log_has \
    'catalog cat\.test: 1 member added, 0 removed: applying'
wait_for "member m3.test served" serves m3.test
echo "ok   m3.test added to Knot's catalog: served with no restart"

knot_reload m1.test m3.test
wait_for "m2.test leaves" log_has \
    'catalog cat\.test: 0 members added, 1 removed: applying'
wait_for "m2.test no longer served" refused m2.test
echo "ok   m2.test removed from Knot's catalog: REFUSED"
[ ! -e "$TMP/kept/cat.test.zone.members/m2.test.zone" ] ||
    fail "m2.test's kept copy not deleted"
echo "ok   m2.test's kept copy deleted"
serves m1.test || fail "m1.test no longer served"
echo "ok   m1.test still served"
dnsd_stop
expect "exit status" "$DNSD_RC" 0
echo "PASS $TEST_NAME"
