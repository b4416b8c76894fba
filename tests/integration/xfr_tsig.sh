#!/usr/bin/env bash
# xfr_tsig -- tibra-dnsd as a TSIG primary (RFC 8945, issue 10): NSD 4.6,
# Knot 3.2 and BIND 9.18 secondaries configured with the same
# hmac-sha256 key AXFR the zone with signed requests and verify every
# signed message (a secondary that cannot verify keeps nothing), then,
# after a change, SIGHUP and NOTIFY, IXFR the change signed.  tibra-dnsd
# allows transfers only with the key (allow-transfer 127.0.0.1 key K), so
# an unsigned transfer (dig) is refused.  Every wait is bounded; only the
# PIDs started here are stopped.
# test-timeout: 200
. "$(dirname "$0")/dnsd.bash"
. "$(dirname "$0")/peers.bash"
dnsd_setup xfr_tsig
command -v knotd >/dev/null || skip "knotd not installed"
command -v nsd >/dev/null || skip "nsd not installed"
command -v named >/dev/null || skip "named not installed (bind9)"
peer_setup

NPORT=$(dnsd_free_port)
KPORT=$(dnsd_free_port)
BPORT=$(dnsd_free_port)
zone=$TMP/zones/example.test.zone
mkdir -p "$TMP/zones" "$TMP/keys"
K=$(printf 'tibra xfr_tsig test secret, 32 B' | base64 -w0)
printf '%s\n' "$K" >"$TMP/keys/xfr.key"
chmod 600 "$TMP/keys/xfr.key"
dnsd_zone "$zone" 1
dnsd_conf
cat >>"$TMP/ns.conf" <<EOF
         allow-transfer 127.0.0.1 key xfr-key
         notify 127.0.0.1@$NPORT 127.0.0.1@$KPORT 127.0.0.1@$BPORT
key:     xfr-key; algorithm hmac-sha256; secret-file keys/xfr.key
EOF
dnsd_start

out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 example.test AXFR)
expect_match "unsigned AXFR refused" "$out" 'Transfer failed|REFUSED'

peer_secondaries xfr-key "$K"
wait_for "NSD: signed AXFR of serial 1" serial_is "$NPORT" 1
wait_for "Knot: signed AXFR of serial 1" serial_is "$KPORT" 1
wait_for "BIND: signed AXFR of serial 1" serial_is "$BPORT" 1
echo "ok   NSD, Knot and BIND serve serial 1 (AXFR with TSIG)"
for p in "$NPORT" "$KPORT" "$BPORT"; do
    expect "secondary @$p: www" \
        "$(dig @127.0.0.1 -p "$p" +short www.example.test A)" 192.0.2.10
done
# Knot 3.2 does not log the key of a transfer: that it has the zone
# shows it, since tibra-dnsd transfers only with the key and Knot
# verifies every message of a keyed remote.
expect_match "NSD: TSIG verified (serial 1)" "$(cat "$TMP/nsd/log")" \
    "update to serial 1 .*TSIG verified with key xfr-key"
expect_match "BIND: transferred with TSIG (serial 1)" "$(cat "$TMP/bind/log")" \
    "transferred serial 1: TSIG 'xfr-key'"

# A change, SIGHUP, NOTIFY: each secondary IXFRs it, signed.
dnsd_zone "$zone" 2
echo 'new     A     192.0.2.77' >>"$zone"
kill -HUP "$DNSD_PID"
wait_for "tibra-dnsd serves serial 2" serial_is "$PORT" 2
wait_for "NSD: signed transfer of serial 2" serial_is "$NPORT" 2
wait_for "Knot: signed transfer of serial 2" serial_is "$KPORT" 2
wait_for "BIND: signed transfer of serial 2" serial_is "$BPORT" 2
for p in "$NPORT" "$KPORT" "$BPORT"; do
    expect "secondary @$p: new record" \
        "$(dig @127.0.0.1 -p "$p" +short new.example.test A)" 192.0.2.77
done
expect_match "Knot: IXFR" "$(cat "$TMP/knot/log")" \
    "IXFR, incoming.*(finished|serial 1 -> 2)"
expect_match "NSD: TSIG verified (serial 2)" "$(cat "$TMP/nsd/log")" \
    "update to serial 2 .*TSIG verified with key xfr-key"
expect_match "BIND: transferred with TSIG (serial 2)" "$(cat "$TMP/bind/log")" \
    "transferred serial 2: TSIG 'xfr-key'"
dnsd_stop
expect "exit status" "$DNSD_RC" 0
echo "SUCCESS xfr_tsig"
