#!/bin/bash
# xfr_out.sh -- tibra-dnsd as a primary (issue 10, lib/dns/xfr.c, ixfr.c,
# notify.c):
#   dig/kdig:  AXFR (every record, SOA first and last), AXFR refused from
#              an address not in allow-transfer (REFUSED), AXFR over UDP
#              NOTIMP; after a reload IXFR=1 is the delta (old SOA, the
#              deletions, new SOA, the additions), IXFR=2 the SOA alone
#   NSD, Knot and BIND as secondaries: AXFR at start; a change + SIGHUP ->
#              tibra-dnsd sends NOTIFY (logged as acknowledged by both)
#              -> both IXFR the change (tibra's counters: ixfr >= 2) and
#              answer it
#   a zone of 20,000 names: AXFR in several messages, identical to the
#              file's records (as sorted text)
#   the unikernel (tibra build, target unix): AXFR equal to tibra-dnsd's,
#              IXFR of the current serial the SOA alone, 127.0.0.2 refused,
#              its NOTIFY at boot acknowledged by Knot
# Everything on 127.0.0.1, ports picked free; every wait bounded; only
# PIDs started here are stopped.
TEST_NAME=xfr_out
. "$(dirname "$0")/dnsd.bash"
. "$(dirname "$0")/peers.bash"
dnsd_setup xfr_out
command -v knotd >/dev/null || skip "knotd not installed"
command -v kdig >/dev/null || skip "kdig not installed"
command -v nsd >/dev/null || skip "nsd not installed"
command -v named >/dev/null || skip "named not installed (bind9)"
/usr/bin/python3 -c 'import dns.message' 2>/dev/null ||
    skip "python3-dnspython not installed"
peer_setup
# The records of an AXFR as sorted text, TTLs and classes included.
axfr_text() {
    dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 +nocmd +nostats \
        +nocomments "$@" | awk 'NF && $1 !~ /^;/' |
        tr 'A-Z' 'a-z' | tr -s ' \t' ' ' | sort
}

NPORT=$(dnsd_free_port)
KPORT=$(dnsd_free_port)
BPORT=$(dnsd_free_port)
zone=$TMP/zones/example.test.zone
mkdir -p "$TMP/zones"
dnsd_zone "$zone" 1
dnsd_conf
cat >>"$TMP/ns.conf" <<EOF
         allow-transfer 127.0.0.1 ::1
         notify 127.0.0.1@$NPORT 127.0.0.1@$KPORT 127.0.0.1@$BPORT
zone:    big.test; file zones/big.test.zone; allow-transfer 127.0.0.0/8
EOF
{
    echo '$ORIGIN big.test.'
    echo '$TTL 300'
    echo '@ SOA ns hostmaster 7 3600 900 604800 60'
    echo '  NS ns'
    echo 'ns A 192.0.2.1'
    for i in $(seq 1 20000); do
        echo "host$i A 10.$((i / 65536)).$((i / 256 % 256)).$((i % 256))"
    done
} >"$TMP/zones/big.test.zone"
dnsd_start

# ---- dig and kdig against tibra-dnsd -------------------------------------
ax=$(axfr_text example.test AXFR)
expect "AXFR: records (52 + the SOA again)" "$(printf '%s\n' "$ax" | wc -l)" 53
first=$(q +nocmd +nostats +nocomments example.test AXFR | awk 'NF && $1 !~ /^;/' | head -1 | awk '{print $4}')
last=$(q +nocmd +nostats +nocomments example.test AXFR | awk 'NF && $1 !~ /^;/' | tail -1 | awk '{print $4}')
expect "AXFR: SOA first" "$first" SOA
expect "AXFR: SOA last" "$last" SOA
expect_match "AXFR: glue below the cut sent" "$ax" "^ns\.sub\.example\.test\. 300 in a 192\.0\.2\.53$"
kx=$(kdig @127.0.0.1 -p "$PORT" +noall +answer example.test AXFR |
    awk 'NF' | tr 'A-Z' 'a-z' | tr -s ' \t' ' ' | sort)
expect "kdig AXFR: same records as dig" "$(printf '%s\n' "$kx" | wc -l)" 53
refused=$(dig @127.0.0.1 -p "$PORT" -b 127.0.0.2 +time=2 +tries=1 example.test AXFR 2>&1)
expect_match "AXFR from 127.0.0.2: refused" "$refused" "Transfer failed|REFUSED"
udp=$(/usr/bin/python3 - "$PORT" <<'PY'
import sys, dns.message, dns.query, dns.rcode, dns.rdatatype
m = dns.message.make_query("example.test.", dns.rdatatype.AXFR)
r = dns.query.udp(m, "127.0.0.1", port=int(sys.argv[1]), timeout=3)
print(dns.rcode.to_text(r.rcode()))
PY
)
expect "AXFR over UDP" "$udp" NOTIMP
# The big zone: several messages, every record of the file.
bx=$(dig @127.0.0.1 -p "$PORT" +time=10 +tries=1 big.test AXFR)
msgs=$(printf '%s\n' "$bx" | sed -n 's/.*XFR size: \([0-9]*\) records (messages \([0-9]*\).*/\1 \2/p')
expect "big AXFR: records" "${msgs% *}" 20004
[ "${msgs#* }" -ge 10 ] || fail "big AXFR: ${msgs#* } messages, expected >= 10"
echo "ok   big AXFR: ${msgs#* } messages"
want=$( (echo 'big.test. 300 in soa ns.big.test. hostmaster.big.test. 7 3600 900 604800 60'
    echo 'big.test. 300 in ns ns.big.test.'
    echo 'ns.big.test. 300 in a 192.0.2.1'
    for i in $(seq 1 20000); do
        echo "host$i.big.test. 300 in a 10.$((i / 65536)).$((i / 256 % 256)).$((i % 256))"
    done) | sort)
got=$(printf '%s\n' "$bx" | awk 'NF && $1 !~ /^;/' | tr 'A-Z' 'a-z' | tr -s ' \t' ' ' | sort -u)
[ "$got" = "$want" ] || fail "big AXFR: records differ from the zone file"
echo "ok   big AXFR: records equal the zone file's"

# ---- NSD, Knot and BIND as secondaries --------------------------------
peer_secondaries
wait_for "NSD: AXFR of serial 1" serial_is "$NPORT" 1
wait_for "Knot: AXFR of serial 1" serial_is "$KPORT" 1
wait_for "BIND: AXFR of serial 1" serial_is "$BPORT" 1
echo "ok   NSD, Knot and BIND serve serial 1"
for p in "$NPORT" "$KPORT" "$BPORT"; do
    expect "secondary @$p: www" \
        "$(dig @127.0.0.1 -p "$p" +short www.example.test A)" 192.0.2.10
done

# A change: www's address, one record gone, one new; serial 2; SIGHUP.
dnsd_zone "$zone" 2
sed -i 's/^www     A     192.0.2.10$/www     A     192.0.2.11/; /^mail/d' "$zone"
echo 'mail    A     192.0.2.26' >>"$zone"
echo 'new     A     192.0.2.77' >>"$zone"
kill -HUP "$DNSD_PID"
wait_for "tibra-dnsd serves serial 2" serial_is "$PORT" 2
# SOA refresh is 3600 s: only the NOTIFY brings serial 2 this soon.
wait_for "NSD: NOTIFY + transfer of serial 2" serial_is "$NPORT" 2
wait_for "Knot: NOTIFY + transfer of serial 2" serial_is "$KPORT" 2
wait_for "BIND: NOTIFY + transfer of serial 2" serial_is "$BPORT" 2
for p in "$NPORT" "$KPORT" "$BPORT"; do
    expect "secondary @$p: new record" \
        "$(dig @127.0.0.1 -p "$p" +short new.example.test A)" 192.0.2.77
    expect "secondary @$p: changed record" \
        "$(dig @127.0.0.1 -p "$p" +short www.example.test A)" 192.0.2.11
    expect "secondary @$p: moved record" \
        "$(dig @127.0.0.1 -p "$p" +short mail.example.test A)" 192.0.2.26
done
wait_for "NOTIFY to NSD acknowledged" grep -q \
    "NOTIFY serial 2 to 127.0.0.1@$NPORT: acknowledged" "$TMP/log"
wait_for "NOTIFY to Knot acknowledged" grep -q \
    "NOTIFY serial 2 to 127.0.0.1@$KPORT: acknowledged" "$TMP/log"
wait_for "NOTIFY to BIND acknowledged" grep -q \
    "NOTIFY serial 2 to 127.0.0.1@$BPORT: acknowledged" "$TMP/log"
echo "ok   NOTIFY acknowledged by NSD, Knot and BIND"
expect_match "Knot: IXFR" "$(cat "$TMP/knot/log")" "IXFR, incoming.*(finished|serial 1 -> 2)"

# IXFR by hand: the delta, then the current SOA alone.
ix=$(q +nocmd +nostats +nocomments example.test IXFR=1 | awk 'NF && $1 !~ /^;/')
# deleted: mail .25, the serial TXT, www .10; added: mail .26, new,
# the serial TXT, www .11.
expect "IXFR=1: records (SOA 2, SOA 1, 3 deleted, SOA 2, 4 added, SOA 2)" \
    "$(printf '%s\n' "$ix" | wc -l)" 11
expect "IXFR=1: old SOA second" "$(printf '%s\n' "$ix" | sed -n 2p | awk '{print $7}')" 1
expect_match "IXFR=1: www's old address deleted" "$(printf '%s\n' "$ix" | sed -n 3,5p)" "^www\.example\.test\..*192\.0\.2\.10$"
expect_match "IXFR=1: new added" "$(printf '%s\n' "$ix" | sed -n 7,10p)" "^new\.example\.test\..*192\.0\.2\.77$"
cur=$(q +nocmd +nostats +nocomments example.test IXFR=2 | awk 'NF && $1 !~ /^;/')
expect "IXFR=2: the SOA alone" "$(printf '%s\n' "$cur" | wc -l)" 1
kix=$(kdig @127.0.0.1 -p "$PORT" +noall +answer example.test IXFR=1 | awk 'NF' | wc -l)
expect "kdig IXFR=1: same delta" "$kix" 11

AX2=$(axfr_text example.test AXFR) # for the guest, below
dnsd_stop
stats=$(grep 'xfr axfr' "$TMP/log")
ixfrs=$(printf '%s\n' "$stats" | sed -n 's/.* ixfr \([0-9]*\) .*/\1/p')
[ "${ixfrs:-0}" -ge 5 ] || fail "expected >= 5 IXFR streams (NSD, Knot, BIND, dig, kdig), got '$stats'"
echo "ok   counters: $stats"
# ---- the unikernel on the unix target (tibra build, host sockets) -------
# Built from the same zone file (serial 2 now): its AXFR must equal
# tibra-dnsd's, taken above while it still ran.
TB=${TIBRA_HOST:-build/host-$(uname -m)}/tibra
[ -x "$TB" ] || fail "$TB not built"
[ -d "$(dirname "$TB")/../lib/tibra" ] ||
    fail "no staged library beside $TB (make stage)"
GPORT=$(dnsd_free_port)
# Its NOTIFY goes to the Knot secondary (whose acl takes NOTIFY from
# 127.0.0.1, any port): acknowledged.
printf 'service: name g; target unix; listen 127.0.0.1@%s\nzone: example.test; file zones/example.test.zone; allow-transfer 127.0.0.1; notify 127.0.0.1@%s\n' \
    "$GPORT" "$KPORT" >"$TMP/g.conf"
"$TB" build "$TMP/g.conf" -o "$TMP/g.img" -q >"$TMP/gbuild" 2>&1 ||
    fail "tibra build: $(cat "$TMP/gbuild")"
bad=$(timeout 20 "$TMP/g.img" --allow-transfer=example.test:192.0.2.300 2>&1)
expect_match "guest: a bad --allow-transfer is refused" "$bad" \
    "^dnsd: bad argument '--allow-transfer=example.test:192.0.2.300'"
"$TMP/g.img" --time=60 >"$TMP/glog" 2>&1 &
GPID=$!
PIDS+=("$GPID")
wait_for "the guest answers" dig @127.0.0.1 -p "$GPORT" +short example.test SOA
gx=$(PORT=$GPORT axfr_text example.test AXFR)
[ "$gx" = "$AX2" ] || fail "guest AXFR differs from tibra-dnsd's"
echo "ok   guest AXFR: the same $(printf '%s\n' "$gx" | wc -l) records as tibra-dnsd"
gi=$(dig @127.0.0.1 -p "$GPORT" +nocmd +nostats +nocomments example.test IXFR=2 |
    awk 'NF && $1 !~ /^;/' | wc -l)
expect "guest IXFR=2 (current): the SOA alone" "$gi" 1
wait_for "guest NOTIFY to Knot acknowledged" grep -q \
    "NOTIFY serial 2 to 127.0.0.1@$KPORT: acknowledged (rcode 0)" "$TMP/glog"
echo "ok   guest NOTIFY acknowledged by Knot"
grefused=$(dig @127.0.0.1 -p "$GPORT" -b 127.0.0.2 +time=2 +tries=1 example.test AXFR 2>&1)
expect_match "guest AXFR from 127.0.0.2: refused" "$grefused" "Transfer failed|REFUSED"
kill -TERM "$GPID"
for _ in $(seq 50); do
    kill -0 "$GPID" 2>/dev/null || break
    sleep 0.1
done
expect_match "guest counters" "$(cat "$TMP/glog")" \
    "xfr axfr 1 ixfr 0 current 1 denied 1"
echo "SUCCESS xfr_out"
