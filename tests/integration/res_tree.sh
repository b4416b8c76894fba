#!/usr/bin/env bash
# res_tree -- tibra-dnsd's resolver (a resolver: statement, app/dnsd/
# resolver.c over lib/dns/res*.c) against Unbound, over a private DNS tree
# the test builds in a network namespace: five NSD instances on addresses of
# a veth interface serve the root (10.53.0.1), tld. (.2), example.tld.
# (.3), other. and glueless.tld. (.4), and a lame server that refuses
# everything (.5); ns2.example.tld. and ns.dead. (.6) never answer.
# Tibra (.10) and Unbound (.11) get the same root hints; every question of
# the list is asked of both, twice (the second time from their caches), and
# the status and answer sections (TTLs left out, order sorted) must be
# equal.  Cases: referrals with glue, a dead server beside a live one,
# glueless NS, CNAME in the zone and across zones, CNAME to NXDOMAIN,
# NXDOMAIN, NODATA, a lame delegation, a TXT too large for UDP (TC, then
# TCP to the server), MX, NS, SOA, an empty non-terminal and NXDOMAIN below
# a name (both resolvers minimise QNAMEs, RFC 9156); and an unresponsive
# delegation, where only Tibra's SERVFAIL and its time are checked (Unbound
# retries longer than a client waits); a client outside the allow lists
# is refused by both; a stub zone (private.) and a forward zone (fwd.),
# neither delegated from the root, are answered the same by both.
# test-timeout: 240
set -u
TEST_NAME=res_tree
. "$(dirname "$0")/res_tree.bash"
tree_need "network namespace" ip nsd unbound dig
DNSD=${TIBRA_UNIX:-build/unix-$(uname -m)}/tibra-dnsd
[ -x "$DNSD" ] || fail "$DNSD not built"
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "native only"

# The tree (namespace, NSD servers, zones, hints): res_tree.bash.
tree_start
# The service's own zone: the resolver's local data (answered first).
cat >local.test.zone <<'EOF'
$TTL 300
@       SOA ns host 1 1800 900 604800 60
@       NS  ns
ns      A   10.53.0.9
www     A   192.0.2.99
EOF
cat >res.conf <<EOF
service:
    name res-tree
    listen 10.53.0.9@53
    metrics 10.53.0.9@9153
zone: local.test
    file $TMP/local.test.zone
resolver:
    listen 10.53.0.10@53
    root-hints $TMP/hints
    cache-size 256K
    allow 10.53.0.0/24
    stub private. 10.53.0.5
    forward fwd. 10.53.0.5@53
    trust-anchor none
    serve-stale 3600
    use-0x20 on
EOF
# tibra-dnsd -c checks the root hints too.
"$DNSD" -c "$TMP/res.conf" >check.log 2>&1 || fail "-c refuses res.conf"
printf '. 3600 NS a.root.\n' >badhints
sed "s|root-hints .*|root-hints $TMP/badhints|" res.conf >bad.conf
"$DNSD" -c "$TMP/bad.conf" >check.log 2>&1 && fail "-c takes hints without addresses"
grep -q 'no root name server with an address' check.log ||
    fail "-c does not say why the hints are unusable"
ip netns exec "$NS" "$DNSD" "$TMP/res.conf" >tibra.log 2>&1 &
PIDS+=($!)
tree_unbound

# Wait (bounded) for every server to answer.
wait_up() { tree_wait_up 100 "$1" "$2" +norec; } # ADDR NAME
wait_up 10.53.0.1 .
wait_up 10.53.0.2 tld.
wait_up 10.53.0.3 example.tld.
wait_up 10.53.0.4 other.
wait_up 10.53.0.9 example.
wait_up 10.53.0.11 tld.
# Both resolvers answer a first recursive question (priming done) before
# the comparison starts; 30 s at most each.
for r in 10.53.0.10 10.53.0.11; do
    for i in $(seq 16); do
        run dig @$r +time=2 +tries=1 tld. SOA 2>/dev/null |
            grep -q 'status: NOERROR' && break
        [ "$i" = 16 ] && fail "$r does not resolve tld. SOA"
        sleep 0.1
    done
done

# status + answer section without TTLs, sorted
ask() { tree_ask "$@"; }

cases=$tree_cases
n=0
for round in 1 2; do
    for c in $cases; do
        name=${c%/*}.
        type=${c#*/}
        t=$(ask 10.53.0.10 "$name" "$type")
        u=$(ask 10.53.0.11 "$name" "$type")
        if [ "$t" != "$u" ]; then
            echo "round $round $name $type:"
            echo "  tibra:   $(echo "$t" | tr '\n' '|')"
            echo "  unbound: $(echo "$u" | tr '\n' '|')"
            fail "answers differ"
        fi
        case "$t" in *"status "*) ;; *) fail "no answer for $name $type" ;; esac
        n=$((n + 1))
    done
done
# The stub and forward zones answered with their data (not an NXDOMAIN
# from the root that both resolvers might share).
case "$(ask 10.53.0.10 www.private. A)" in
*192.0.2.60*) ;;
*) fail "www.private. (stub) has no address" ;;
esac
case "$(ask 10.53.0.10 out.private. A)" in
*192.0.2.1*) ;;
*) fail "out.private. (stub, CNAME out of it) has no address" ;;
esac
case "$(ask 10.53.0.10 www.fwd. TXT)" in
*forwarded*) ;;
*) fail "www.fwd. (forward) has no TXT" ;;
esac
# Over TCP (RFC 7766) the same answers, the large TXT whole; several
# queries on one connection (dig +keepopen).
for c in www.example.tld/A big.example.tld/TXT ext.example.tld/A nx.example.tld/A; do
    name=${c%/*}.
    type=${c#*/}
    t=$(run dig @10.53.0.10 +tcp +time=10 +tries=1 +noall +comments +answer \
        "$name" "$type" | awk '/status:/ { print $6 } /^[^;]/ && NF >= 5 { $2 = ""; print }' | sort)
    u=$(run dig @10.53.0.11 +tcp +time=10 +tries=1 +noall +comments +answer \
        "$name" "$type" | awk '/status:/ { print $6 } /^[^;]/ && NF >= 5 { $2 = ""; print }' | sort)
    [ -n "$t" ] && [ "$t" = "$u" ] ||
        fail "over TCP, $name $type: tibra '$t', unbound '$u'"
    n=$((n + 1))
done
k=$(run dig @10.53.0.10 +tcp +keepopen +time=10 +tries=1 +short \
    www.example.tld. A alias.example.tld. A www.other. A | sort | tr '\n' ' ')
[ "$k" = "192.0.2.1 192.0.2.1 192.0.2.2 192.0.2.2 192.0.2.20 www.example.tld. " ] ||
    fail "three queries on one TCP connection: '$k'"

# The resolver's counters in /metrics (Prometheus text, promcheck.py):
# five cache hits move exactly what they should, and nothing else.
# Workers copy their counters at least once a second: 2.5 s after the
# last answer the scrape has them.
scrape() {
    run python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(
    "http://10.53.0.9:9153/metrics", timeout=5).read().decode())'
}
sleep 2.5
scrape >m1 || fail "no /metrics"
grep -q '^tibra_resolver_queries_total ' m1 || fail "no resolver counters in /metrics"
for _ in 1 2 3 4 5; do
    run dig @10.53.0.10 +time=5 +tries=1 www.example.tld. A >/dev/null ||
        fail "dig for the metrics"
done
sleep 2.5
scrape >m2 || fail "no /metrics"
python3 "${TIBRA_SRC:-.}/tests/integration/promcheck.py" m1 m2 \
    tibra_resolver_queries_total=5 tibra_resolver_cache_hits_total=5 \
    --gauge tibra_resolver_inflight=0:0 ||
    fail "resolver metrics: not exactly 5 cache hits"

# Local data: the service's zone answered by the resolver with AA, also
# without RD, never recursed; after a SIGHUP with a new version of the
# zone, the resolver answers the new data (its workers read the set the
# server publishes).
for rd in +rec +norec; do
    o=$(run dig @10.53.0.10 +time=5 +tries=2 "$rd" www.local.test. A)
    echo "$o" | grep -q 'flags: qr aa' || fail "local data without AA ($rd): $o"
    echo "$o" | grep -q '192.0.2.99' || fail "local data not answered ($rd): $o"
done
o=$(run dig @10.53.0.10 +time=5 +tries=2 nx.local.test. A)
echo "$o" | grep -q 'status: NXDOMAIN' || fail "local NXDOMAIN: $o"
sed -i 's/ 1 1800 / 2 1800 /; s/192.0.2.99/192.0.2.98/' local.test.zone
kill -HUP "${PIDS[5]}"
ok=0
for _ in $(seq 100); do
    run dig @10.53.0.10 +time=2 +tries=1 +short www.local.test. A |
        grep -q '^192.0.2.98$' && ok=1 && break
    sleep 0.1
done
[ $ok = 1 ] || fail "the resolver does not answer the reloaded local zone"
echo "local data: answered with AA, and reloaded"

# Non-recursive queries are refused by both (no cache snooping).
t=$(run dig @10.53.0.10 +norec +time=5 www.example.tld. A | grep -o 'status: [A-Z]*')
u=$(run dig @10.53.0.11 +norec +time=5 www.example.tld. A | grep -o 'status: [A-Z]*')
[ "$t" = "$u" ] && [ "$t" = "status: REFUSED" ] ||
    fail "RD clear: tibra '$t', unbound '$u'"

# A client outside the allow lists (Tibra's allow, Unbound's
# access-control) is refused by both; Tibra says why (EDE 18, RFC 8914;
# Unbound 1.17 sends no EDE).  The counters at exit count it.
t=$(run dig @10.53.0.10 -b 10.54.0.1 +time=5 www.example.tld. A)
u=$(run dig @10.53.0.11 -b 10.54.0.1 +time=5 www.example.tld. A)
[ "$(echo "$t" | grep -o 'status: [A-Z]*')" = "status: REFUSED" ] &&
    [ "$(echo "$u" | grep -o 'status: [A-Z]*')" = "status: REFUSED" ] ||
    fail "a client not allowed: tibra '$t', unbound '$u'"
echo "$t" | grep -q 'EDE: 18' || fail "no EDE 18 with the REFUSED: '$t'"
echo "$t" | grep -q '^www.example.tld.*A' && fail "a refused client got data"

# An unresponsive delegation: Tibra gives up within its bounds (2 tries of
# the one server, 1.5 s at most each, after the root); Unbound keeps
# trying for longer than a client waits (not compared).
start=$(date +%s)
case "$(ask 10.53.0.10 www.dead. A)" in
*"status SERVFAIL"*) ;;
*) fail "www.dead. is not SERVFAIL" ;;
esac
[ $(($(date +%s) - start)) -le 8 ] || fail "www.dead. took over 8 s"
# A flood of 3000 random names (each a resolution and an NXDOMAIN to
# cache; 300 sent at a time, answers read for 10 s at most; NSD's own RRL
# truncates or drops some of the resolver's queries, which then go over
# TCP or time out): the cache (256K, smaller than what the flood leaves)
# stays within its size, the process within a fixed size, and the
# resolver still answers.
run python3 - <<'PY' || fail "flood failed"
import os, random, socket, struct, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
random.seed(11)
got = 0
def q(i):
    name = b"".join(bytes([len(l)]) + l for l in
                    [b"r%d-%d" % (i, random.randrange(10**9)), b"example",
                     b"tld"]) + b"\0"
    return struct.pack(">HHHHHH", i & 0xffff, 0x0100, 1, 0, 0, 0) + name + \
        b"\0\1\0\1"
deadline = time.time() + 30
for burst in range(10):
    for i in range(300):
        s.sendto(q(burst * 300 + i), ("10.53.0.10", 53))
    end = time.time() + 1
    while time.time() < end:
        try:
            s.recv(2048)
            got += 1
        except socket.timeout:
            pass
print("flood: %d of 3000 answered" % got)
PY
# Servers that timed out under the flood (NSD's RRL drops some of the
# resolver's queries; a loaded machine others) are held down for 5 s and
# then probed again, so the answer may take a few tries (each dig up to
# 20 s; tries start for 30 s).
ok=0 try=0 t0=$SECONDS
while [ $((SECONDS - t0)) -lt 30 ]; do
    try=$((try + 1))
    case "$(ask 10.53.0.10 www.example.tld. A)" in
    *192.0.2.1*) ok=1 && break ;;
    esac
    sleep 1
done
[ $ok = 1 ] || fail "www.example.tld has no address $try tries after the flood"
echo "answered after the flood (try $try)"
rss=$(awk '/^VmRSS/ { print $2 }' "/proc/${PIDS[5]}/status")
echo "tibra-dnsd RSS after the flood: ${rss} kB"
[ "${rss:-999999}" -le 65536 ] || fail "RSS ${rss} kB over 64 MB"

# Serve-stale (RFC 8767): stale.example.tld. (TTL 1) is cached, then the
# zone's server stops (ns2 never answered); once the data has expired,
# the resolver still answers it, TTL 30, with EDE 3 (Stale Answer), and
# a name it never saw gets SERVFAIL.  Bounded polls: the first tries may
# still find the data fresh, or time out while the servers are tried.
# Its servers may still be held down after the flood: bounded retries,
# as for www.example.tld. above.
ok=0 t0=$SECONDS
while [ $((SECONDS - t0)) -lt 30 ]; do
    case "$(ask 10.53.0.10 stale.example.tld. A)" in
    *192.0.2.77*) ok=1 && break ;;
    esac
    sleep 1
done
[ $ok = 1 ] || fail "stale.example.tld. has no address after 30 s of tries"
kill -TERM "${PIDS[2]}"
for _ in $(seq 50); do
    kill -0 "${PIDS[2]}" 2>/dev/null || break
    sleep 0.1
done
got=
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 40 ]; do
    got=$(run dig @10.53.0.10 +time=10 +tries=1 stale.example.tld. A 2>&1)
    case "$got" in *"EDE: 3"*) break ;; esac
    sleep 0.5
done
echo "$got" | grep -q 'EDE: 3' || fail "no stale answer (EDE 3): $got"
echo "$got" | grep -q 'status: NOERROR' || fail "stale answer not NOERROR: $got"
echo "$got" | grep -Eq '^stale\.example\.tld\.[[:space:]]+30[[:space:]]+IN[[:space:]]+A[[:space:]]+192\.0\.2\.77' ||
    fail "stale answer without TTL 30 and the address: $got"
case "$(ask 10.53.0.10 never.example.tld. A)" in
*"status SERVFAIL"*) ;;
*) fail "a name never cached is not SERVFAIL with its server down" ;;
esac
echo "serve-stale: stale.example.tld. answered with TTL 30 and EDE 3"

kill -TERM "${PIDS[5]}"
for _ in $(seq 100); do
    kill -0 "${PIDS[5]}" 2>/dev/null || break
    sleep 0.1
done
grep -q 'resolver: .* queries' tibra.log || fail "no resolver counters at exit"
grep -q 'resolver: [0-9]* queries (1 refused: not allowed, 0 over ratelimit)' tibra.log ||
    fail "the refused client is not counted"
grep 'resolver: ' tibra.log | tail -1 | sed 's/^/    /'
bytes=$(sed -n 's/.*cache [0-9]* entries, \([0-9]*\) bytes.*/\1/p' tibra.log)
[ -n "$bytes" ] && [ "$bytes" -le $((256 << 10)) ] ||
    fail "cache holds ${bytes:-?} bytes, over its 256K"
echo "SUCCESS $TEST_NAME: $n answers equal to Unbound's"
exit 0
