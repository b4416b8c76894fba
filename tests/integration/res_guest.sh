#!/usr/bin/env bash
# res_guest -- the resolver as a unikernel image (issue 11, "both
# targets"): `tibra build` turns a service file with a resolver: section
# (and a zone of its own, its local data) into an spt image (and an hvt
# one where /dev/kvm works); the image runs on a TAP in res_tree.bash's
# namespace, where the private tree's NSD servers are local addresses,
# and resolves over the guest's own network stack (lib/net: a UDP
# endpoint on a random port per query, TCP for truncated answers).  Every
# question of the list is asked of the image and of Unbound (same hints,
# same stub and forward zones), twice (cold, then from the caches); the
# status and answer sections must be equal.  Also: TCP clients (the
# large TXT whole), a client outside the allow list REFUSED with EDE 18,
# the local zone answered with AA and without recursion (also without
# RD, as Unbound's local data), the counters the image prints at exit.
# test-timeout: 300
set -u
TEST_NAME=res_guest
. "$(dirname "$0")/res_tree.bash"
tree_need "network namespace, TAP" ip nsd unbound dig
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "native only"
TB=${TIBRA_HOST:-build/host-$(uname -m)}/tibra
SPT=${TIBRA_HOST:-build/host-$(uname -m)}/tender/spt/tibra-spt
HVT=${TIBRA_HOST:-build/host-$(uname -m)}/tender/hvt/tibra-hvt
for f in "$TB" "$SPT"; do
    [ -x "$f" ] || fail "$f not built"
done
LIB=$(cd "$(dirname "$TB")/.." && pwd)/lib/tibra
targets=spt
if [ -x "$HVT" ] && [ -f "$LIB/hvt-$(uname -m)/link.txt" ] &&
    [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    targets="spt hvt"
else
    echo "note: hvt not run (no usable /dev/kvm, tibra-hvt or hvt library)"
fi

tree_start
TAP=tbrg$$
TAP=${TAP:0:15}
run ip tuntap add "$TAP" mode tap || skip "cannot create a TAP device"
run ip link set "$TAP" up
run ip addr add 10.55.0.1/24 dev "$TAP"

# The image's own zone: local data, answered first, never recursed.
cat >local.test.zone <<'EOF'
$TTL 300
@       SOA ns host 1 1800 900 604800 60
@       NS  ns
ns      A   10.55.0.2
www     A   192.0.2.99
EOF
cat >res-guest.conf <<EOF
service:
    name res-guest
    target spt
    memory 64M
    address 10.55.0.2/24
    gateway 10.55.0.1
    listen 10.55.0.2@5353
    metrics 10.55.0.2@9153
zone: local.test
    file local.test.zone
resolver:
    listen 10.55.0.2@53
    root-hints $TMP/hints
    cache-size 1M
    allow 10.53.0.0/24 10.55.0.1/32
    stub private. 10.53.0.5
    forward fwd. 10.53.0.5@53
    trust-anchor none
    use-0x20 on
EOF
for t in $targets; do
    out=$("$TB" build --target "$t" res-guest.conf 2>&1) ||
        fail "tibra build --target $t: $out"
    [ -f "dist/res-guest.$t" ] || fail "no dist/res-guest.$t: $out"
done
grep -q -- '--resolver-listen=10.55.0.2@53' dist/res-guest.spt.record ||
    fail "the build record's args have no resolver"
grep -q -- '--root-hint=a.root.:10.53.0.1' dist/res-guest.spt.record ||
    fail "the build record's args have no root hints"
# Reproducible: rebuilt from its record, the same bytes.
tree_verify res-guest

tree_unbound

wait_up() { tree_wait_up 150 "$@"; } # ADDR NAME [dig args]
wait_up 10.53.0.1 . +norec
wait_up 10.53.0.3 example.tld. +norec
wait_up 10.53.0.11 tld.

ask() { tree_ask "$@"; }

cases=$tree_cases

total=0
for t in $targets; do
    tender=$SPT
    [ "$t" = hvt ] && tender=$HVT
    ip netns exec "$NS" "$tender" --mem=64 --net:service0="$TAP" \
        "dist/res-guest.$t" >"guest-$t.log" 2>&1 &
    gpid=$!
    PIDS+=($gpid)
    for _ in $(seq 100); do
        grep -q READY "guest-$t.log" && break
        kill -0 $gpid 2>/dev/null || fail "the $t image exited at boot"
        sleep 0.1
    done
    grep -q READY "guest-$t.log" || fail "the $t image is not READY"
    grep -q 'resolver: .* cache' "guest-$t.log" || fail "no resolver at boot ($t)"
    # The first recursive answer (ARP for the gateway, the root) within 30 s.
    for i in $(seq 30); do
        run dig @10.55.0.2 +time=2 +tries=1 tld. SOA 2>/dev/null |
            grep -q 'status: NOERROR' && break
        [ "$i" = 30 ] && fail "the $t image does not resolve tld. SOA"
        sleep 0.5
    done

    n=0
    for round in 1 2; do
        for c in $cases; do
            name=${c%/*}.
            type=${c#*/}
            g=$(ask 10.55.0.2 "$name" "$type")
            u=$(ask 10.53.0.11 "$name" "$type")
            if [ "$g" != "$u" ]; then
                echo "$t round $round $name $type:"
                echo "  image:   $(echo "$g" | tr '\n' '|')"
                echo "  unbound: $(echo "$u" | tr '\n' '|')"
                fail "answers differ"
            fi
            case "$g" in *"status "?*) ;; *) fail "no answer for $name $type ($t)" ;; esac
            n=$((n + 1))
        done
    done
    case "$(ask 10.55.0.2 www.private. A)" in
    *192.0.2.60*) ;;
    *) fail "www.private. (stub) has no address ($t)" ;;
    esac
    case "$(ask 10.55.0.2 www.fwd. TXT)" in
    *forwarded*) ;;
    *) fail "www.fwd. (forward) has no TXT ($t)" ;;
    esac
    # TCP clients: the same answers, the large TXT whole.
    for c in www.example.tld/A big.example.tld/TXT nx.example.tld/A; do
        name=${c%/*}.
        type=${c#*/}
        g=$(ask 10.55.0.2 "$name" "$type" +tcp)
        u=$(ask 10.53.0.11 "$name" "$type" +tcp)
        [ "$g" = "$u" ] || fail "over TCP, $name $type: image '$g', unbound '$u' ($t)"
        n=$((n + 1))
    done
    # Local data: AA, the zone's answer, with RD and without.
    for rd in +rec +norec; do
        o=$(run dig @10.55.0.2 +time=5 +tries=2 "$rd" www.local.test. A)
        echo "$o" | grep -q 'flags: qr aa' || fail "local data without AA ($rd, $t): $o"
        echo "$o" | grep -q '192.0.2.99' || fail "local data not answered ($rd, $t): $o"
    done
    o=$(run dig @10.55.0.2 +time=5 +tries=2 nx.local.test. A)
    echo "$o" | grep -q 'status: NXDOMAIN' || fail "local NXDOMAIN ($t): $o"
    echo "$o" | grep -q 'flags: qr aa' || fail "local NXDOMAIN without AA ($t): $o"
    # A client outside the allow list: REFUSED, EDE 18.
    run ip addr add 10.55.0.3/24 dev "$TAP" 2>/dev/null
    o=$(run dig @10.55.0.2 -b 10.55.0.3 +time=5 +tries=2 www.example.tld. A)
    echo "$o" | grep -q 'status: REFUSED' || fail "a client not allowed ($t): $o"
    echo "$o" | grep -q 'EDE: 18' || fail "no EDE 18 ($t): $o"
    # The authoritative port serves the zone too.
    o=$(run dig @10.55.0.2 -p 5353 +time=5 +tries=2 +norec www.local.test. A)
    echo "$o" | grep -q '192.0.2.99' || fail "the authoritative port ($t): $o"

    # The resolver's counters on the image's metrics port, beside the
    # authoritative ones (promcheck.py checks the text's format).
    run python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(
    "http://10.55.0.2:9153/metrics", timeout=5).read().decode())' \
        >"metrics-$t.txt" || fail "no /metrics ($t)"
    grep -q '^tibra_resolver_local_total 3$' "metrics-$t.txt" ||
        fail "no resolver counters in the image's /metrics ($t)"
    grep -q '^tibra_resolver_primes_total 1$' "metrics-$t.txt" ||
        fail "no priming counted in the image's /metrics ($t)"
    python3 "${TIBRA_SRC:-.}/tests/integration/promcheck.py" \
        "metrics-$t.txt" "metrics-$t.txt" >/dev/null ||
        fail "the image's /metrics is not valid Prometheus text ($t)"

    kill -TERM $gpid
    for _ in $(seq 100); do
        kill -0 $gpid 2>/dev/null || break
        sleep 0.1
    done
    grep -q 'resolver: [0-9]* queries (1 refused: not allowed, 0 over ratelimit, 3 local)' \
        "guest-$t.log" || fail "the image's counters at exit ($t)"
    grep -q ', 1 root primings)' "guest-$t.log" ||
        fail "the image did not prime the root once ($t)"
    grep 'resolver: [0-9]* queries' "guest-$t.log" | sed 's/^/    /'
    echo "$t: $n answers equal to Unbound's"
    total=$((total + n))
done
echo "SUCCESS $TEST_NAME: $total answers equal to Unbound's ($targets)"
exit 0
