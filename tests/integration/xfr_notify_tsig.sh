#!/bin/bash
# xfr_notify_tsig.sh -- signed NOTIFY out (RFC 1996 + RFC 8945, issue 10):
# `notify ADDR key K` makes tibra-dnsd sign each NOTIFY to that
# secondary (lib/dns/notify.c, app/dnsd/notify.c), and count it answered
# only when the response verifies with K.  Knot 3.2 is the secondary of
# two zones, taking NOTIFY only when signed with k1 (acl: key k1, action
# notify) and transferring with k1; refresh is an hour, so only a NOTIFY
# brings a change quickly:
#   signed.test (notify ... key k1): serial 2 after a SIGHUP reaches Knot
#   at once; tibra-dnsd logs the NOTIFY acknowledged with rcode 0;
#   plain.test (notify without key, the control): Knot answers the
#   NOTIFY NOTAUTH (RFC 8945 5.2) and still serves serial 1.
# Everything on 127.0.0.1, ports picked free; every wait bounded; only
# PIDs started here are stopped.
TEST_NAME=xfr_notify_tsig
. "$(dirname "$0")/dnsd.bash"
dnsd_setup xfr_notify_tsig
command -v knotd >/dev/null || skip "knotd not installed"
. "$(dirname "$0")/peers.bash"
peer_setup
log_has() { grep -Eq -- "$1" "$TMP/log"; }
knot_serial() { # ZONE
    dig @127.0.0.1 -p "$KPORT" +short +time=1 +tries=1 "$1" SOA |
        awk '{print $3}'
}
knot_serial_is() { [ "$(knot_serial "$1")" = "$2" ]; }

KPORT=$(dnsd_free_port)
K=$(printf 'tibra notify tsig test secret 32' | base64 -w0)
mkdir -p "$TMP/zones" "$TMP/keys"
printf '%s\n' "$K" >"$TMP/keys/k1"
chmod 600 "$TMP/keys/k1"
zone() { # NAME SERIAL
    printf '$TTL 300\n@ SOA ns1 hostmaster %s 3600 900 604800 60\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.%s\n' \
        "$2" "$2" >"$TMP/zones/$1.zone"
}
zone signed.test 1
zone plain.test 1
cat >"$TMP/ns.conf" <<CONF
service: name it; target unix; workers 2
         listen 127.0.0.1@$PORT
zone:    signed.test; file zones/signed.test.zone
         allow-transfer 127.0.0.1 key k1; notify 127.0.0.1@$KPORT key k1
zone:    plain.test; file zones/plain.test.zone
         allow-transfer 127.0.0.1 key k1; notify 127.0.0.1@$KPORT
key:     k1; algorithm hmac-sha256; secret-file keys/k1
CONF
"$DNSD" "$TMP/ns.conf" 2>"$TMP/log" &
DNSD_PID=$!
wait_for "tibra-dnsd answers" dig @127.0.0.1 -p "$PORT" +short signed.test SOA

peer_knot "$KPORT" <<KNOT
key:
  - id: k1
    algorithm: hmac-sha256
    secret: $K
remote:
  - id: tibra
    address: 127.0.0.1@$PORT
    key: k1
acl:
  - id: signed_notify
    address: 127.0.0.1
    key: k1
    action: notify
template:
  - id: default
    storage: "$TMP/knot"
    master: tibra
    acl: signed_notify
zone:
  - domain: signed.test
  - domain: plain.test
KNOT
wait_for "Knot transfers signed.test (serial 1)" knot_serial_is signed.test 1
wait_for "Knot transfers plain.test (serial 1)" knot_serial_is plain.test 1
echo "ok   Knot is the secondary of both (AXFR with k1)"

zone signed.test 2
zone plain.test 2
kill -HUP "$DNSD_PID"
wait_for "signed NOTIFY acknowledged" log_has \
    'zone signed\.test: NOTIFY serial 2 to 127\.0\.0\.1@[0-9]+: acknowledged \(rcode 0\)'
wait_for "Knot serves signed.test serial 2" knot_serial_is signed.test 2
echo "ok   signed NOTIFY: Knot took it and transferred serial 2"
wait_for "Knot refuses the unsigned NOTIFY (NOTAUTH)" log_has \
    'zone plain\.test: NOTIFY serial 2 to 127\.0\.0\.1@[0-9]+: acknowledged \(rcode 9\)'
expect "unsigned NOTIFY: Knot still serves plain.test serial" \
    "$(knot_serial plain.test)" 1
echo "ok   unsigned NOTIFY: refused by Knot (NOTAUTH: its acl needs k1)"
dnsd_stop
expect "exit status" "$DNSD_RC" 0
echo "PASS $TEST_NAME"
