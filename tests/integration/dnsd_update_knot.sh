#!/usr/bin/env bash
# dnsd_update_knot -- a Knot DNS secondary follows tibra-dnsd's dynamic
# updates (issue 10): tibra-dnsd takes nsupdate -y updates, NOTIFYs Knot
# on every new serial, and Knot transfers each by IXFR (its log says so)
# and answers the updated records and serial as tibra-dnsd does.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_update_knot
command -v nsupdate >/dev/null || skip "nsupdate not installed (bind9-dnsutils)"
command -v knotd >/dev/null || skip "knotd not installed"

mkdir -p "$TMP/zones" "$TMP/keys" "$TMP/knot"
dnsd_zone "$TMP/zones/example.test.zone" 1
K1=$(printf 'tibra-update-knot-secret-32bytes' | base64 -w0)
printf '%s\n' "$K1" >"$TMP/keys/k1"
chmod 600 "$TMP/keys/k1"
KPORT=$(dnsd_free_port)
[ -n "$KPORT" ] && [ "$KPORT" != "$PORT" ] || fail "no second free port"
dnsd_conf
cat >>"$TMP/ns.conf" <<CONF
         allow-update key upd-key
         allow-transfer 127.0.0.1
         notify 127.0.0.1@$KPORT
key:     upd-key; algorithm hmac-sha256; secret-file keys/k1
CONF
dnsd_start
cat >"$TMP/knot/knot.conf" <<CONF
server:
    rundir: "$TMP/knot"
    listen: 127.0.0.1@$KPORT
database:
    storage: "$TMP/knot"
log:
  - target: stderr
    any: info
remote:
  - id: tibra
    address: 127.0.0.1@$PORT
acl:
  - id: notify
    address: 127.0.0.1
    action: notify
zone:
  - domain: example.test
    storage: "$TMP/knot"
    file: "example.test.zone"
    master: tibra
    acl: notify
    zonefile-sync: -1
CONF
knotd -c "$TMP/knot/knot.conf" 2>"$TMP/knot/log" &
KNOT_PID=$!
trap 'kill -TERM $KNOT_PID 2>/dev/null; wait $KNOT_PID 2>/dev/null; dnsd_cleanup' EXIT

serial_at() { dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short example.test SOA | awk '{print $3}'; }
wait_serial() { # PORT SERIAL WHAT
    for _ in $(seq 100); do
        [ "$(serial_at "$1")" = "$2" ] && { echo "ok   $3"; return 0; }
        sleep 0.2
    done
    sed 's/^/    knot| /' "$TMP/knot/log"
    fail "$3: serial $(serial_at "$1") at port $1, wanted $2"
}
wait_serial "$KPORT" 1 "Knot: AXFR of serial 1"

for i in 1 2 3; do
    out=$( {
        echo "server 127.0.0.1 $PORT"
        echo "zone example.test"
        echo "update add u$i.example.test. 300 IN A 192.0.2.$((100 + i))"
        [ "$i" = 2 ] && echo "update delete www.example.test. AAAA"
        echo "send"
        echo "answer"
    } | timeout 20 nsupdate -y "hmac-sha256:upd-key:$K1" 2>&1)
    printf '%s\n' "$out" | grep -q 'status: NOERROR' || fail "update $i: $out"
    wait_serial "$KPORT" $((1 + i)) "Knot follows update $i (serial $((1 + i)))"
done
n=$(grep -c 'IXFR, incoming.*finished' "$TMP/knot/log")
[ "$n" -ge 3 ] || { sed 's/^/    knot| /' "$TMP/knot/log"; fail "Knot: $n IXFRs finished, wanted 3 (one per update)"; }
echo "ok   Knot: $n IXFRs finished (one per update)"
for n in u1 u2 u3; do
    expect "Knot answers $n as tibra-dnsd" \
        "$(dig @127.0.0.1 -p "$KPORT" +short $n.example.test A)" \
        "$(q +short $n.example.test A)"
done
expect "Knot: the deleted AAAA is gone" \
    "$(dig @127.0.0.1 -p "$KPORT" +short www.example.test AAAA)" ""
exit 0
