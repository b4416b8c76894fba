#!/usr/bin/env bash
# dnsd_update -- dynamic updates (RFC 2136, RFC 3007, issue 10) against
# tibra-dnsd: nsupdate -y adds and deletes records and dig sees them at
# once; unsigned, wrong-key and badly signed updates are refused and
# change nothing; prerequisites that fail get their RCODE (YXDOMAIN,
# NXDOMAIN, YXRRSET, NXRRSET), records out of the zone NOTZONE; a CNAME
# beside data is ignored; the SOA serial follows serial-policy; IXFR
# serves the updates' deltas; a restart replays the journal; and a
# stream of updates killed with SIGKILL at random points loses none that
# was acknowledged (tests/integration/update_stream.py), across journal
# compactions.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_update
command -v nsupdate >/dev/null || skip "nsupdate not installed (bind9-dnsutils)"
/usr/bin/python3 -c 'import dns.tsig, dns.update' 2>/dev/null ||
    skip "python3-dnspython not installed"

mkdir -p "$TMP/zones" "$TMP/keys"
dnsd_zone "$TMP/zones/example.test.zone" 1
K1=$(printf 'tibra-update-test-secret-k1-32by' | base64 -w0)
K2=$(printf 'tibra-update-test-secret-k2-32by' | base64 -w0)
printf '%s\n' "$K1" >"$TMP/keys/k1"
printf '%s\n' "$K2" >"$TMP/keys/k2"
chmod 600 "$TMP/keys/"*
dnsd_conf
cat >>"$TMP/ns.conf" <<CONF
         allow-update key upd-key
         allow-transfer 127.0.0.1
         journal-max-size ${JOURNAL_MAX:-64K}
key:     upd-key; algorithm hmac-sha256; secret-file keys/k1
key:     other-key; algorithm hmac-sha256; secret-file keys/k2
CONF
"$DNSD" --check "$TMP/ns.conf" 2>"$TMP/check.log" ||
    { cat "$TMP/check.log"; fail "--check refused the service"; }
dnsd_start -v

# nsupdate SCRIPT-LINES... with the allowed key; prints its output.
upd() {
    local key=${KEY:-hmac-sha256:upd-key:$K1}
    {
        echo "server 127.0.0.1 $PORT"
        echo "zone example.test"
        printf '%s\n' "$@"
        echo "send"
        echo "answer"
    } | timeout 20 nsupdate ${NSUPD_OPTS:-} -y "$key" 2>&1
}
serial() { q +short example.test SOA | awk '{print $3}'; }

expect "serial before" "$(serial)" 1
out=$(upd "update add new.example.test. 300 IN A 192.0.2.77")
expect_match "nsupdate add: NOERROR" "$out" 'status: NOERROR'
expect "dig sees the added A" "$(q +short new.example.test A)" 192.0.2.77
expect "serial incremented" "$(serial)" 2
out=$(upd "update add new.example.test. 300 IN TXT \"two\"" \
    "update add www.example.test. 300 IN A 192.0.2.11")
expect "TXT added" "$(q +short new.example.test TXT)" '"two"'
expect "A added to an RRset" "$(q +short www.example.test A | sort | tr '\n' ' ')" \
    "192.0.2.10 192.0.2.11 "
out=$(upd "update delete www.example.test. A 192.0.2.10")
expect "delete one RR" "$(q +short www.example.test A)" 192.0.2.11
out=$(upd "update delete new.example.test. TXT")
expect "delete an RRset" "$(q +short new.example.test TXT)" ""
expect "the rest of the name stays" "$(q +short new.example.test A)" 192.0.2.77
out=$(upd "update delete new.example.test.")
expect_match "delete a name: NOERROR" "$out" 'status: NOERROR'
expect_match "delete a name: NXDOMAIN" "$(q new.example.test A)" \
    'status: NXDOMAIN'
out=$(upd "update delete example.test. NS" "update delete example.test. SOA")
expect "apex NS kept" "$(q +short example.test NS)" ns1.example.test.
out=$(upd "update add alias.example.test. 300 IN A 192.0.2.5")
expect "no A beside a CNAME" "$(q +short alias.example.test A)" \
    "www.example.test.
192.0.2.11"
s0=$(serial)
out=$(upd "update add example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 1000 3600 900 604800 60")
expect "a newer SOA serial from the update" "$(serial)" 1000
out=$(upd "update add example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 999 3600 900 604800 60")
expect "an older SOA serial is ignored" "$(serial)" 1000

# Prerequisites (RFC 2136 2.4).
out=$(upd "prereq yxdomain nothere.example.test." "update add x.example.test. 300 IN A 192.0.2.1")
expect_match "prereq yxdomain fails: NXDOMAIN" "$out" 'status: NXDOMAIN'
out=$(upd "prereq nxdomain www.example.test." "update add x.example.test. 300 IN A 192.0.2.1")
expect_match "prereq nxdomain fails: YXDOMAIN" "$out" 'status: YXDOMAIN'
out=$(upd "prereq nxrrset www.example.test. A" "update add x.example.test. 300 IN A 192.0.2.1")
expect_match "prereq nxrrset fails: YXRRSET" "$out" 'status: YXRRSET'
out=$(upd "prereq yxrrset www.example.test. TXT" "update add x.example.test. 300 IN A 192.0.2.1")
expect_match "prereq yxrrset fails: NXRRSET" "$out" 'status: NXRRSET'
out=$(upd "prereq yxrrset www.example.test. A 192.0.2.99" "update add x.example.test. 300 IN A 192.0.2.1")
expect_match "prereq value-dependent fails: NXRRSET" "$out" 'status: NXRRSET'
expect "a failed prerequisite changes nothing" "$(q +short x.example.test A)" ""
out=$(upd "prereq yxrrset www.example.test. A 192.0.2.11" "prereq nxdomain x.example.test." \
    "update add x.example.test. 300 IN A 192.0.2.1")
expect_match "prerequisites that hold: NOERROR" "$out" 'status: NOERROR'
expect "and the update is applied" "$(q +short x.example.test A)" 192.0.2.1
out=$(upd "update add x.other.test. 300 IN A 192.0.2.1")
expect_match "out of zone: NOTZONE" "$out" 'status: NOTZONE'

# Refusals: another key, a wrong secret, no signature.
s1=$(serial)
out=$(KEY="hmac-sha256:other-key:$K2" upd "update add k.example.test. 300 IN A 192.0.2.2")
expect_match "a key not in allow-update: REFUSED" "$out" 'status: REFUSED'
out=$(KEY="hmac-sha256:upd-key:$K2" upd "update add k.example.test. 300 IN A 192.0.2.2")
expect_match "a wrong secret: NOTAUTH" "$out" 'NOTAUTH|BADSIG|tsig verify failure'
out=$(/usr/bin/python3 - "$PORT" <<'PY'
import sys, dns.update, dns.query, dns.rcode
u = dns.update.UpdateMessage("example.test")
u.add("k.example.test.", 300, "A", "192.0.2.2")
r = dns.query.udp(u, "127.0.0.1", port=int(sys.argv[1]), timeout=3)
print(dns.rcode.to_text(r.rcode()))
PY
)
expect "unsigned: REFUSED" "$out" REFUSED
expect "refused updates change nothing" "$(q +short k.example.test A)/$(serial)" "/$s1"

# Over TCP (nsupdate -v).
out=$(NSUPD_OPTS=-v upd "update add tcp.example.test. 300 IN A 192.0.2.3")
expect_match "nsupdate -v (TCP): NOERROR" "$out" 'status: NOERROR'
expect "TCP update applied" "$(q +short tcp.example.test A)" 192.0.2.3

# IXFR serves the updates' deltas.
s2=$(serial)
out=$(upd "update add ixfr.example.test. 300 IN A 192.0.2.4")
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 example.test IXFR="$s2")
expect_match "IXFR from the previous serial: the delta" "$out" \
    '^ixfr\.example\.test\..*A[[:space:]]+192\.0\.2\.4'
n=$(printf '%s\n' "$out" | grep -c 'IN[[:space:]]SOA')
expect "IXFR: old SOA, new SOA, framing (4 SOAs)" "$n" 4

# SIGHUP keeps what the updates made (the zone file is not re-read).
before=$(q +short ixfr.example.test A)/$(serial)
kill -HUP "$DNSD_PID"
for _ in $(seq 50); do
    grep -q 'SIGHUP\|reload' "$TMP/log" && break
    sleep 0.1
done
sleep 0.3
expect "after SIGHUP: the updates are still served" \
    "$(q +short ixfr.example.test A)/$(serial)" "$before"

# A restart replays the journal.
before=$(q +short ixfr.example.test A)/$(serial)
dnsd_stop KILL
dnsd_start -v
expect "after SIGKILL and restart: the updates are there" \
    "$(q +short ixfr.example.test A)/$(serial)" "$before"
expect_match "the journal was replayed" "$(cat "$TMP/log")" 'journal entr'
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 example.test IXFR="$s2")
expect_match "after the restart, IXFR serves the journal's delta" "$out" \
    '^ixfr\.example\.test\..*A[[:space:]]+192\.0\.2\.4'
expect "  as a delta (4 SOAs), not the whole zone" \
    "$(printf '%s\n' "$out" | grep -c 'IN[[:space:]]SOA')" 4

# A torn tail is cut off at start-up.
dnsd_stop KILL
printf 'TBJE\0\0\1\0garbage' >>"$TMP/zones/example.test.zone.journal"
dnsd_start -v
expect_match "a torn entry is cut off" "$(cat "$TMP/log")" 'torn entry'
expect "and the acknowledged ones stay" \
    "$(q +short ixfr.example.test A)/$(serial)" "$before"

# A compaction cut short (zone file written, journal not yet emptied):
# the entries the file already holds are skipped at start-up.
dnsd_stop TERM
cp "$TMP/zones/example.test.zone.journal" "$TMP/journal.before"
sed -i 's/journal-max-size .*/journal-max-size 1/' "$TMP/ns.conf"
dnsd_start -v
upd "update add compact.example.test. 300 IN A 192.0.2.6" >/dev/null
expect_match "past journal-max-size: compacted" "$(cat "$TMP/log")" \
    'journal compacted'
want=$(q +short compact.example.test A)/$(q +short ixfr.example.test A)/$(serial)
dnsd_stop TERM
cp "$TMP/journal.before" "$TMP/zones/example.test.zone.journal"
sed -i "s/journal-max-size .*/journal-max-size ${JOURNAL_MAX:-64K}/" \
    "$TMP/ns.conf"
dnsd_start -v
expect_match "entries already in the file: skipped" "$(cat "$TMP/log")" \
    'journal entries replayed, [1-9][0-9]* skipped'
expect "and the zone is the compacted one" \
    "$(q +short compact.example.test A)/$(q +short ixfr.example.test A)/$(serial)" \
    "$want"

# Crash safety: a stream of updates, SIGKILL at random points.
dnsd_stop TERM
N=${UPDATE_STREAM_N:-1000}
/usr/bin/python3 "$(dirname "$0")/update_stream.py" "$DNSD" "$TMP/ns.conf" \
    "$PORT" "$K1" "$N" "$TMP/acked" "$TMP/log" ||
    fail "update stream: see above"
echo "ok   stream: $(wc -l <"$TMP/acked") updates acknowledged, none lost across kills"
exit 0
