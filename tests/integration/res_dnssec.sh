#!/usr/bin/env bash
# res_dnssec -- tibra-dnsd's validating resolver against a validating
# Unbound over a SIGNED private tree, beside res_tree.bash's unsigned one
# (same namespace and veth): NSD serves a root signed with its own keys
# (10.53.0.21) and, at 10.53.0.22, the zones under it, signed by
# ldns-signzone (ECDSA P-256 KSK + ZSK) unless said otherwise:
#   sec.   NSEC: data, a wildcard, NODATA, NXDOMAIN, a CNAME in the zone,
#          CNAMEs into n3. (secure) and ins. (insecure), a secure child
#          sub.sec. and an insecure one uns.sec.
#   n3.    NSEC3 (salt, 0 extra iterations), served by Knot at 10.53.0.23
#          when knotd is installed (else by NSD)
#   a8. a10. a14. a15.  signed with RSASHA256 (2048), RSASHA512 (2048),
#          ECDSAP384SHA384, ED25519 (tibra-dnsd: libsodium): secure
#   notyet. signatures valid from next month: bogus (EDE 8)
#   nosig. www's RRSIG removed: bogus (EDE 10)
#   it.    NSEC3 with 200 iterations: its denials are insecure (RFC 9276,
#          over 150 as Unbound 1.17), its data secure
#   ins.   unsigned, no DS: insecure
#   nods.  signed, no DS: insecure (an island)
#   alg.   a DS of algorithm 253 only: insecure (unsupported)
#   bad.   a record changed after signing: bogus (EDE 6)
#   exp.   signatures expired a month ago: bogus (EDE 7)
#   miss.  the DS is of a key that does not sign the zone: bogus
#   nta.   bogus like bad., but a negative trust anchor in both resolvers
#   private.  not in the signed tree: a stub zone of both resolvers (the
#          unsigned one of res_tree.bash, NSD at 10.53.0.5): no DS can be
#          found for it (the root says NXDOMAIN), so both say bogus, EDE
#          9, as Unbound 1.17 does unless domain-insecure names it;
#   fwd.   the same as a stub zone, but with insecure / domain-insecure:
#          insecure
# Tibra also forwards n3. to Unbound (forward n3. 10.53.0.31): what
# Unbound returns is validated by Tibra, the keys fetched through it.
# Tibra (10.53.0.30) and Unbound (10.53.0.31, module-config "validator
# iterator", ede: yes) get the same hints and trust-anchor file (the
# root KSK's DS).  Every question is asked with +dnssec of both, twice
# (cold, then from the caches): RCODE, the AD flag, the answer section
# (RRSIGs included, TTLs left out) and the Extended DNS Error code must be
# equal; CD=1 on bogus names returns the data from both.  Then delv, given
# the same anchor, validates through Tibra itself: "fully validated" for
# every secure name, a failure for every bogus one.
# test-timeout: 240
set -u
TEST_NAME=res_dnssec
. "$(dirname "$0")/res_tree.bash"
tree_need "network namespace" ip nsd unbound dig delv ldns-keygen ldns-signzone
DNSD=${TIBRA_UNIX:-build/unix-$(uname -m)}/tibra-dnsd
[ -x "$DNSD" ] || fail "$DNSD not built"
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "native only"

. "$(dirname "$0")/res_signed.bash"
tree_start
for a in 30 31; do
    run ip addr add 10.53.0.$a/24 dev v0 || fail "ip addr add 10.53.0.$a"
done
# the signed tree (res_signed.bash): root.ds, hints, servers at .21-.23
signed_tree

cat >res.conf <<EOF
service:
    name res-dnssec
    listen 10.53.0.29@53
resolver:
    listen 10.53.0.30@53
    root-hints $sd/hints
    cache-size 1M
    allow 10.53.0.0/24
    trust-anchor $sd/root.ds
    insecure nta.
    stub private. 10.53.0.5
    stub fwd. 10.53.0.5
    insecure fwd.
    forward n3. 10.53.0.31
EOF
run ip addr add 10.53.0.29/24 dev v0 || fail "ip addr add 10.53.0.29"
"$DNSD" -c "$sd/res.conf" >"$TMP/check.log" 2>&1 || fail "-c refuses res.conf"
echo 'x. 3600 IN A 192.0.2.1' >notanchor
sed "s|trust-anchor .*|trust-anchor $sd/notanchor|" res.conf >bad.conf
"$DNSD" -c "$sd/bad.conf" >"$TMP/check.log" 2>&1 && fail "-c takes an A record as an anchor"
ip netns exec "$NS" "$DNSD" "$sd/res.conf" >"$TMP/tibra.log" 2>&1 &
PIDS+=($!)
TIBRA_PID=$!
signed_unbound '    val-log-level: 2
    log-queries: yes
    domain-insecure: "fwd."
stub-zone:
    name: "private."
    stub-addr: 10.53.0.5
stub-zone:
    name: "fwd."
    stub-addr: 10.53.0.5
'

wait_up() { tree_wait_up 100 "$1" "$2" +norec; } # ADDR NAME
wait_up 10.53.0.21 .
wait_up 10.53.0.22 sec.
wait_up 10.53.0.23 n3.
for r in 10.53.0.30 10.53.0.31; do
    for i in $(seq 30); do
        run dig @$r +time=2 +tries=1 sec. SOA 2>/dev/null |
            grep -q 'status: NOERROR' && break
        [ "$i" = 30 ] && fail "$r does not resolve sec. SOA"
        sleep 0.2
    done
done

# status, AD, EDE code, answer section without TTLs, sorted
ask() { # ADDR NAME TYPE [dig options]
    local a=$1 n=$2 t=$3
    shift 3
    run dig @"$a" +dnssec +time=10 +tries=2 +ignore +noall +comments +answer \
        "$@" "$n" "$t" 2>&1 |
        awk '/->>HEADER<<-/ { for (i = 1; i <= NF; i++)
                                if ($i == "status:") s = $(i + 1)
                              sub(/,$/, "", s) }
             /^;; flags:/ { ad = ($0 ~ / ad[ ;]/) ? " ad" : "" }
             /; EDE: / { for (i = 1; i <= NF; i++)
                           if ($i == "EDE:") e = " ede " $(i + 1) }
             /^[^;]/ && NF >= 5 { $2 = ""; print }
             END { print "status " s ad e }' | sort
}

secure="www.a8/A www.a10/A www.a14/A www.a15/A nothere.a15/A www.it/A
www.sec/A sec/DNSKEY sec/DS nothere.sec/A www.sec/TXT x.wild.sec/A
alias.sec/A xs.sec/A www.sub.sec/A sub.sec/DS uns.sec/DS www.n3/A
nothere.n3/A www.n3/TXT x.wild.n3/TXT a.b.wild.n3/TXT ins/DS ./DNSKEY"
insecure="out.sec/A www.uns.sec/A www.ins/A nothere.ins/A www.nods/A
www.alg/A x.wild.alg/TXT www.nta/A www.fwd/A www.fwd/TXT nx.fwd/A
nothere.it/A www.it/TXT"
optout="www.oo/A x.wild.oo/TXT nothere.oo/A www.oo/TXT deleg.oo/DS"
stubbogus="www.private/A nx.private/A"
bogus="www.bad/A www.exp/A www.miss/A www.notyet/A www.nosig/A"
# Round 2 answers from the caches.  There Unbound 1.17 says EDE 6 (DNSSEC
# Bogus) for every cached bogus answer, having kept no reason; Tibra keeps
# the reason with the entry (7, 9, ...): for bogus names round 2 compares
# without the EDE and requires Tibra's round-1 answer, EDE included.
declare -A first
n=0
for round in 1 2; do
    for c in $secure $insecure $bogus $stubbogus $optout; do
        name=${c%/*}.
        [ "$name" = .. ] && name=.
        type=${c#*/}
        t=$(ask 10.53.0.30 "$name" "$type")
        u=$(ask 10.53.0.31 "$name" "$type")
        case " $stubbogus " in
        *" $c "*) # Unbound: 6 once its key entry is cached bogus
            case "$t" in *"ede 9") ;; *) fail "$name $type: not EDE 9: $t" ;; esac
            t=$(echo "$t" | sed 's/ ede [0-9]*$//')
            u=$(echo "$u" | sed 's/ ede [0-9]*$//')
            ;;
        esac
        if [ $round = 1 ]; then
            first[$c]=$t
        else
            [ "$t" = "${first[$c]}" ] ||
                fail "$name $type from the cache: '$t', cold: '${first[$c]}'"
            case " $bogus $stubbogus " in
            *" $c "*)
                t=$(echo "$t" | sed 's/ ede [0-9]*$//')
                u=$(echo "$u" | sed 's/ ede [0-9]*$//')
                ;;
            esac
        fi
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
# n3. went through the forwarder (Unbound), its keys too: Tibra asked it
# for n3.'s DNSKEY RRset (no client here asks for it).
grep -q 'n3\. DNSKEY IN' "$TMP/unbound.log" ||
    fail "Tibra did not fetch n3.'s keys through its forwarder"
# NSEC3 opt-out (oo.): equal above; what both said, for the record
for c in $optout; do
    echo "opt-out ${c%/*}. ${c#*/}: $(ask 10.53.0.30 "${c%/*}." "${c#*/}" |
        grep '^status')"
done
for c in $bogus; do # and the bogus ones' EDE codes
    echo "bogus ${c%/*}. ${c#*/}: $(ask 10.53.0.30 "${c%/*}." "${c#*/}" |
        grep '^status')"
done
# The classes are what they say (not equal by both being wrong).
for c in $secure; do
    name=${c%/*}.
    [ "$name" = .. ] && name=.
    case "$(ask 10.53.0.30 "$name" "${c#*/}")" in
    *"status NOERROR ad"* | *"status NXDOMAIN ad"*) ;;
    *) fail "$name ${c#*/} is not secure (AD)" ;;
    esac
done
for c in $insecure; do
    case "$(ask 10.53.0.30 "${c%/*}." "${c#*/}")" in
    *" ad"*) fail "${c%/*}. is insecure but has AD" ;;
    *"status NOERROR"* | *"status NXDOMAIN"*) ;;
    *) fail "${c%/*}. ${c#*/} fails" ;;
    esac
done
for c in $bogus; do
    case "$(ask 10.53.0.30 "${c%/*}." "${c#*/}")" in
    *"status SERVFAIL ede "*) ;;
    *) fail "${c%/*}. ${c#*/} is not SERVFAIL with an EDE" ;;
    esac
    # CD: the data anyway, without AD, from both
    t=$(ask 10.53.0.30 "${c%/*}." "${c#*/}" +cd)
    u=$(ask 10.53.0.31 "${c%/*}." "${c#*/}" +cd)
    [ "$t" = "$u" ] || fail "CD ${c%/*}.: tibra '$t', unbound '$u'"
    case "$t" in
    *"status NOERROR"*192.0.2.*) ;;
    *) fail "CD ${c%/*}.: no data: $t" ;;
    esac
    n=$((n + 1))
done
# AD without DO (RFC 6840 5.7): AD, no RRSIG; neither: no AD
t=$(run dig @10.53.0.30 +adflag +time=5 www.sec. A)
echo "$t" | grep -q 'flags:.* ad[ ;]' || fail "AD query without DO: no AD"
echo "$t" | grep -q 'RRSIG' && fail "RRSIG without DO"
t=$(run dig @10.53.0.30 +noadflag +time=5 www.sec. A)
echo "$t" | grep -q 'flags:.* ad[ ;]' && fail "AD set for a client that asked neither AD nor DO"

# delv validates through Tibra (it asks with CD and checks the chain
# itself, from the same anchor).
dv=0
for c in $secure; do
    name=${c%/*}.
    [ "$name" = .. ] && name=.
    out=$(run delv @10.53.0.30 -a "$sd/delv.anchor" +root=. "$name" "${c#*/}" 2>&1)
    echo "$out" | grep -q 'fully validated' ||
        fail "delv: $name ${c#*/} not fully validated: $(echo "$out" | head -3)"
    dv=$((dv + 1))
done
for c in $bogus; do
    out=$(run delv @10.53.0.30 -a "$sd/delv.anchor" +root=. "${c%/*}." "${c#*/}" 2>&1)
    echo "$out" | grep -q 'fully validated' &&
        fail "delv: bogus ${c%/*}. validated"
    echo "$out" | grep -q 'resolution failed\|validation failed\|failed' ||
        fail "delv: bogus ${c%/*}.: no failure: $(echo "$out" | head -3)"
    dv=$((dv + 1))
done

kill -TERM "$TIBRA_PID"
for _ in $(seq 100); do
    kill -0 "$TIBRA_PID" 2>/dev/null || break
    sleep 0.1
done
grep -q 'DNSSEC validation on' "$TMP/tibra.log" || fail "no 'validation on' in the log"
echo "SUCCESS $TEST_NAME: $n answers equal to Unbound's (n3. by $n3by), $dv delv checks"
