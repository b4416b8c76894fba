#!/usr/bin/env bash
# res_spoof -- tibra-dnsd's resolver under a spoofing attack (issue 11:
# "an off-path attacker races forged answers (wrong port, wrong ID,
# out-of-bailiwick data, forged glue) against the real ones; none is ever
# cached or answered").
#
# res_tree.bash's tree (NSD: root, tld., example.tld., other. and
# glueless.tld., a lame server) in its namespace NS, plus evil. delegated
# from the root to a malicious authoritative server (spoofnet.py evil,
# 10.53.0.12): in-zone answers carrying out-of-bailiwick records (an A for
# www.example.tld. in the answer, forged addresses of ns1.example.tld.,
# ns.other., mail.example.tld., www.other., a foreign NS set for
# example.tld., a CNAME's target with a forged address, an NXDOMAIN with
# example.tld.'s SOA) and a referral (sub.evil.) whose glue is for names
# outside the delegated zone, pointing at itself.
#
# tibra-dnsd runs in a second namespace (RNS) where the servers'
# addresses are the sockets of spoofnet.py wire: it forwards each query to
# the real server in NS and holds the real reply 50 ms (the kernel has no
# netem here: a delay proxy), and before forwarding races forged replies
# at the resolver: 8 with wrong IDs, 4 with a question that does not match
# (name, type, class, none), 2 with the question in another case (0x20),
# 8 with the right ID to wrong ports -- each with a poisoned address
# (198.51.100.66) and forged glue (10.53.0.12).  The attacker is given
# the port and ID (an oracle: the strongest off-path attacker short of a
# full guess), so every race is run and the forgeries arrive first.  In
# phase 2 (a new tibra-dnsd, cold cache, the same questions) it also
# races, right port, ID and case, each genuine reply it saw in phase 1
# with records for names outside the server's zones added to the
# additional section: answers with other zones' addresses (c), referrals
# with glue outside the delegated zone (d).  Those are accepted (they
# are the real reply, first); their foreign records must not be.
# Unbound in NS, on the same hints and not attacked, is the genuine data.
#
# Checks: every answer (the attacked names, the poisoning's targets, the
# evil names), cold and cached, equals Unbound's; no answer holds
# 198.51.100.66, and 10.53.0.12 only as ns.evil.'s own address; the
# malicious server is never asked a name outside evil. nor x.sub.evil.
# (its forged glue unused); the counters: the forgeries on the right port
# are rejected (the resolver's "rejected" and case mismatches: at least
# 90% of those sent, in case a slot's deadline ran first on a loaded
# machine; all of them in every run so far), the wrong ports dropped by
# the kernel (NoPorts, 90%), out-of-bailiwick records counted.
# test-timeout: 240
set -u
TEST_NAME=res_spoof
. "$(dirname "$0")/res_tree.bash"
tree_need "network namespace" ip nsd unbound dig python3
DNSD=${TIBRA_UNIX:-build/unix-$(uname -m)}/tibra-dnsd
[ -x "$DNSD" ] || fail "$DNSD not built"
DNSD=$(realpath "$DNSD")
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "native only"
SPOOF=$(realpath "$(dirname "$0")/spoofnet.py")

# The tree (namespace NS, NSD servers, zones, hints): res_tree.bash.
tree_start
RNS=tbspf$$
# res_tree.bash's trap removes NS and TMP and stops PIDS; RNS too.
trap 'cleanup; ip netns del "$RNS" 2>/dev/null' EXIT
ip netns add "$RNS" || fail "cannot create the resolver's namespace"
rrun() { ip netns exec "$RNS" "$@"; }
rrun ip link set lo up
for a in 1 2 3 4 5 6 12; do
    rrun ip addr add 10.53.0.$a/32 dev lo || fail "ip addr add 10.53.0.$a"
done
rrun ip addr add 10.55.0.10/32 dev lo || fail "ip addr add 10.55.0.10"
# the probe's address: its queries through the wire are not attacked
rrun ip addr add 10.55.0.20/32 dev lo || fail "ip addr add 10.55.0.20"
run ip addr add 10.53.0.12/24 dev v0 || fail "ip addr add 10.53.0.12"

# evil. delegated from the root: NSD 1 restarted with it.
printf 'evil.       NS  ns.evil.\nns.evil.    A   10.53.0.12\n' >>root.zone
kill -TERM "${PIDS[0]}"
for _ in $(seq 50); do
    kill -0 "${PIDS[0]}" 2>/dev/null || break
    sleep 0.1
done
ip netns exec "$NS" nsd -d -c "$TMP/nsd1.conf" >nsd1.out.log 2>&1 &
PIDS[0]=$!
ip netns exec "$NS" python3 -B "$SPOOF" evil --addr 10.53.0.12 \
    --log "$TMP/evil.queries" >evil.log 2>&1 &
PIDS+=($!)
ip netns exec "$RNS" python3 -B "$SPOOF" wire --ns "/run/netns/$NS" \
    --addrs 10.53.0.1,10.53.0.2,10.53.0.3,10.53.0.4,10.53.0.5,10.53.0.6,10.53.0.12 \
    --delay-ms 50 --source 10.53.0.10 --spare 10.55.0.20 --log "$TMP/wire.json" >wire.log 2>&1 &
PIDS+=($!)
WIRE=$!

cat >res.conf <<EOF
service:
    name res-spoof
    listen 10.55.0.10@5353
    metrics 10.55.0.10@9153
resolver:
    listen 10.55.0.10@53
    root-hints $TMP/hints
    cache-size 1M
    allow 10.55.0.0/24
    trust-anchor none
    use-0x20 on
EOF
"$DNSD" -c "$TMP/res.conf" >check.log 2>&1 || fail "-c refuses res.conf"
# the reference (res_tree.bash), sending from its own address, without
# the stub and forward zones
tree_unbound '    outgoing-interface: 10.53.0.11
' ''

wait_up() { tree_wait_up 100 "$1" "$2" +norec; } # ADDR NAME (in NS)
wait_up 10.53.0.1 evil.
wait_up 10.53.0.2 tld.
wait_up 10.53.0.3 example.tld.
wait_up 10.53.0.4 other.
wait_up 10.53.0.12 evil.
wait_up 10.53.0.11 tld.
run dig @10.53.0.1 +norec +time=2 +tries=1 x.evil. A | grep -q 'ns.evil' ||
    fail "the root does not delegate evil."
for i in $(seq 100); do # the wire's sockets, through the delay
    rrun dig @10.53.0.3 -b 10.55.0.20 +time=1 +tries=1 +norec example.tld. SOA 2>/dev/null |
        grep -q 'status: NOERROR' && break
    [ "$i" = 100 ] && fail "no answer through the wire"
    sleep 0.1
done
snmp_noports() {
    rrun cat /proc/net/snmp | awk '/^Udp:/ { if (h) { print $3; exit } h = 1 }'
}
np0=$(snmp_noports)
start_dnsd() {
    ip netns exec "$RNS" "$DNSD" "$TMP/res.conf" >tibra.log 2>&1 &
    PIDS+=($!)
    DPID=$!
    for i in $(seq 100); do
        rrun dig @10.55.0.10 +time=2 +tries=1 tld. SOA 2>/dev/null |
            grep -q 'status: NOERROR' && return 0
        [ "$i" = 100 ] && fail "tibra-dnsd does not resolve tld. SOA under attack"
        sleep 0.2
    done
}
# Its counters: case mismatches from the metrics (workers copy theirs at
# least once a second: polled until two scrapes 1.2 s apart agree, 10
# tries), the rest from the totals at exit; summed over both phases.
scrape() {
    rrun python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen(
    "http://10.55.0.10:9153/metrics", timeout=5).read().decode())'
}
rej=0 cm=0 oob=0
stop_dnsd() {
    local prev='' cur='' line
    for _ in $(seq 10); do
        sleep 1.2
        scrape >m.txt || fail "no /metrics"
        cur=$(grep -E '^tibra_resolver_(upstream_replies_total|upstream_case_mismatch_total)' m.txt)
        [ -n "$cur" ] && [ "$cur" = "$prev" ] && break
        prev=$cur
    done
    cm=$((cm + $(awk '$1 == "tibra_resolver_upstream_case_mismatch_total" { print $2 }' m.txt)))
    kill -TERM "$DPID"
    for _ in $(seq 100); do
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.1
    done
    kill -0 "$DPID" 2>/dev/null && fail "tibra-dnsd does not stop"
    line=$(grep 'resolver: .* queries' tibra.log | tail -1)
    [ -n "$line" ] || fail "no resolver counters at exit"
    echo "    $line"
    rej=$((rej + $(echo "$line" | sed -n 's/.* \([0-9]*\) rejected.*/\1/p')))
    oob=$((oob + $(echo "$line" | sed -n 's/.* \([0-9]*\) out-of-bailiwick records.*/\1/p')))
    mv tibra.log "tibra-$1.log"
}

# status + answer section without TTLs, sorted (ask: Tibra, in RNS;
# ref: Unbound, in NS)
filt() {
    awk '/->>HEADER<<-/ { for (i = 1; i <= NF; i++)
                            if ($i == "status:") s = $(i + 1)
                          sub(/,$/, "", s) }
         /^[^;]/ && NF >= 5 { $2 = ""; print }
         END { print "status " s }' | sort
}
ask() { rrun dig @10.55.0.10 +time=10 +tries=2 +noall +comments +answer "$1" "$2" 2>&1 | filt; }
ref() { run dig @10.53.0.11 +time=10 +tries=2 +noall +comments +answer "$1" "$2" 2>&1 | filt; }

# The evil names first (their poison would be cached before the targets
# are asked), then the targets of the poisoning, then the other names.
cases="a.evil/A c.evil/A mx.evil/MX n.evil/A ns.evil/A evil/NS x.sub.evil/A
www.example.tld/A ns1.example.tld/A mail.example.tld/A www.other/A
ns.other/A host.glueless.tld/A example.tld/NS other/NS example.tld/SOA
alias.example.tld/A ext.example.tld/A nx.example.tld/A
www.example.tld/AAAA example.tld/MX a.b.c.example.tld/A tld/NS"
n=0
rounds() { # PHASE
    for round in 1 2; do
        for c in $cases; do
            name=${c%/*}.
            type=${c#*/}
            t=$(ask "$name" "$type")
            u=$(ref "$name" "$type")
            case "$t" in *"status "[A-Z]*) ;; *) fail "no answer for $name $type" ;; esac
            if [ "$t" != "$u" ]; then
                echo "phase $1 round $round $name $type:"
                echo "  tibra:   $(echo "$t" | tr '\n' '|')"
                echo "  unbound: $(echo "$u" | tr '\n' '|')"
                fail "answers differ"
            fi
            case "$t" in *198.51.100.66*) fail "forged address in $name $type: $t" ;; esac
            if [ "$name" != ns.evil. ] && [ "$name" != evil. ]; then
                case "$t" in *10.53.0.12*) fail "forged glue answered for $name $type: $t" ;; esac
            fi
            n=$((n + 1))
        done
    done
    # Answers that must hold the genuine data (not a shared failure).
    chk www.example.tld. A 192.0.2.1
    chk ns1.example.tld. A 10.53.0.3
    chk mail.example.tld. A 192.0.2.25
    chk www.other. A 192.0.2.20
    chk ns.other. A 10.53.0.4
    chk host.glueless.tld. A 192.0.2.30
    chk a.evil. A 192.0.2.200
    chk c.evil. A 192.0.2.1
    chk example.tld. NS ns1.example.tld.
}
chk() { # NAME TYPE WANT
    case "$(ask "$1" "$2")" in *"$3"*) ;; *) fail "$1 $2 lacks $3" ;; esac
}
# Phase 1: the wire has seen nothing yet (forgeries b, e, x, a); phase 2,
# a new tibra-dnsd with an empty cache: the same questions again, and
# the wire now races each genuine reply it saw in phase 1 with forged
# out-of-bailiwick records and glue added (c, d), right port, ID and
# case: accepted first, their foreign records must not be.
start_dnsd
rounds 1
stop_dnsd 1
start_dnsd
rounds 2
stop_dnsd 2
np1=$(snmp_noports)
kill -TERM "$WIRE"
for _ in $(seq 50); do
    kill -0 "$WIRE" 2>/dev/null || break
    sleep 0.1
done

# The malicious server was asked about evil. only, and never for
# x.sub.evil. (that would be its forged glue for ns1.example.tld. or
# ns.other. used).  Its log: "PEER NAME TYPE"; Tibra's queries come
# through the wire from 10.53.0.10, Unbound's from 10.53.0.11.
grep '^10\.53\.0\.10 ' evil.queries >evil.tibra
[ -s evil.tibra ] || fail "the malicious server was never asked by Tibra"
grep -v ' \(.*\.\)\?evil\. [0-9]*$' evil.tibra | grep . &&
    fail "the malicious server was asked a name outside evil."
grep -q ' x\.sub\.evil\. ' evil.tibra &&
    fail "the resolver used forged glue: x.sub.evil. asked of 10.53.0.12"
echo "malicious server: $(wc -l <evil.tibra) queries from Tibra, all in evil., none for x.sub.evil."

read -r q b e x a cf df < <(python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print(s["queries"], s["b"], s["e"], s["x"], s["a"], s["c"], s["d"])' wire.json) ||
    fail "no wire counts"
echo "wire: $q queries raced ($b wrong ID, $e wrong question, $x wrong case, $a wrong port; $cf answers and $df referrals with out-of-bailiwick records)"
echo "tibra-dnsd: $rej rejected, $cm case mismatches, $oob out-of-bailiwick records; kernel NoPorts +$((np1 - np0))"
[ "$q" -ge 40 ] || fail "only $q queries went through the wire"
if [ "$cf" -lt 5 ] || [ "$df" -lt 2 ]; then
    fail "too few learned forgeries: $cf answers, $df referrals"
fi
# Every wrong-ID, wrong-question and wrong-case forgery reached a socket
# still waiting (they arrive 50 ms before the real reply): each rejected.
# A slot whose deadline ran first on a loaded machine may have closed
# with some unread: 90% at least.
[ "$rej" -ge $(((b + e + x) * 9 / 10)) ] ||
    fail "$rej rejected of $((b + e + x)) forgeries on the right port"
[ "$cm" -ge $((x * 9 / 10)) ] ||
    fail "$cm case mismatches of $x forgeries in another case"
[ $((np1 - np0)) -ge $((a * 9 / 10)) ] ||
    fail "kernel NoPorts +$((np1 - np0)), $a forgeries to wrong ports"
[ "$oob" -gt 0 ] || fail "no out-of-bailiwick record counted"
echo "SUCCESS $TEST_NAME: $n answers equal to Unbound's under $((b + e + x + a + cf + df)) forged replies"
exit 0
