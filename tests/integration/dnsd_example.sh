#!/usr/bin/env bash
# dnsd_example -- the example a newcomer runs first (`make run`:
# examples/ns1.conf and examples/zones/example.org.zone) checks clean and
# answers as the README says, here on a free port instead of 5353 (which
# another run may hold): www A, MX, SRV, CAA, TXT, CNAME, the wildcard, the
# delegation with glue, CHAOS version.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_example
src=${TIBRA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

cp -r "$src/examples/." "$TMP/"
OUT=$("$DNSD" --check "$TMP/ns1.conf" 2>&1)
RC=$?
expect "--check examples/ns1.conf" "$RC" "0"
expect_match "no warnings" "$(echo "$OUT" | grep -c warning)" "^0$"
# The same file, on our port, IPv4 only when ::1 is missing.
sed -e "s/@5353/@$PORT/g" "$TMP/ns1.conf" >"$TMP/ns.conf"
have_ipv6 || sed -i 's/; listen ::1@[0-9]*//' "$TMP/ns.conf"
# dnsd_start waits for example.test; wait for example.org instead.
"$DNSD" "$TMP/ns.conf" 2>"$TMP/log" &
DNSD_PID=$!
for _ in $(seq 100); do
    q +short example.org SOA 2>/dev/null | grep -q hostmaster && break
    kill -0 "$DNSD_PID" 2>/dev/null || fail "tibra-dnsd exited early"
    sleep 0.1
done

expect "www A (the README's query)" "$(q +short www.example.org A)" \
    "192.0.2.10"
expect "MX" "$(q +short example.org MX | sort | tr '\n' ' ')" \
    "10 mail.example.org. 20 mail2.example.net. "
expect "SRV" "$(q +short _sip._udp.example.org SRV)" \
    "10 60 5060 sip.example.org."
expect_match "CAA" "$(q +short example.org CAA)" 'issue "letsencrypt.org"'
expect "TXT" "$(q +short example.org TXT)" '"v=spf1 mx -all"'
expect "CNAME" "$(q +short web.example.org A | tr '\n' ' ')" \
    "www.example.org. 192.0.2.10 "
expect "wildcard" "$(q +short anything.apps.example.org A)" "192.0.2.80"
out=$(q host.lab.example.org A)
expect_match "delegation: NS" "$out" \
    "^lab\.example\.org\..*NS.*ns\.lab\.example\.org\."
expect_match "delegation: glue" "$out" \
    "^ns\.lab\.example\.org\..*A.*192\.0\.2\.200"
expect_match "CHAOS version" "$(q +short CH TXT version.server)" '^"tibra '
dnsd_stop
expect "SIGTERM exit status" "$DNSD_RC" "0"
echo SUCCESS
