# metrics.bash -- shared by the metrics tests (sourced, not run): known
# queries, two scrapes, and the strict check that the counters moved by
# exactly what was sent (tests/integration/promcheck.py).
#
#   RUN=(...)             prefix for dig and curl ("ip netns exec NS" or empty)
#   metrics_scrape URL F  curl GET URL into F: HTTP 200 and the 0.0.4
#                         Content-Type, else the test fails
#   metrics_queries H P   sends the query set to H port P (dig +tries=1,
#                         no cookie); sets EXP to the counter deltas they
#                         must cause, from what was sent (types, transport)
#                         and what came back (each response's RCODE)
#   metrics_check URL B   scrapes URL into $TMPM/after until promcheck.py
#                         passes against B (at most 5 s: tibra-dnsd's
#                         workers publish their counters once per loop
#                         turn), else prints the differences and fails
PROMCHECK=${TIBRA_SRC:-.}/tests/integration/promcheck.py
RUN=()

metrics_scrape() {
    local url=$1 out=$2 code
    code=$("${RUN[@]}" curl -sS -m 5 -D "$out.hdr" -o "$out" -w '%{http_code}' \
        "$url") || fail "curl $url failed"
    [ "$code" = 200 ] || fail "GET $url: HTTP $code"
    grep -qi '^Content-Type: text/plain; version=0.0.4; charset=utf-8' \
        "$out.hdr" || fail "GET $url: Content-Type: $(grep -i content-type "$out.hdr")"
}

# mq PROTO(udp|tcp) NAME TYPE: one query; counts what it must move.
mq() {
    local proto=$1 name=$2 type=$3 out st flag=
    [ "$proto" = tcp ] && flag=+tcp
    out=$("${RUN[@]}" dig +nocookie +time=3 +tries=1 $flag -p "$MPORT" \
        @"$MHOST" "$name" "$type" 2>&1)
    st=$(printf '%s\n' "$out" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p')
    [ -n "$st" ] || fail "dig $flag $name $type: no response: $out"
    N_PROTO[$proto]=$((${N_PROTO[$proto]:-0} + 1))
    case $type in
    A | NS | CNAME | SOA | PTR | MX | TXT | AAAA | SRV | DS | DNSKEY | HTTPS | ANY) ;;
    *) type=other ;;
    esac
    N_TYPE[$type]=$((${N_TYPE[$type]:-0} + 1))
    N_RCODE[$st]=$((${N_RCODE[$st]:-0} + 1))
}

metrics_queries() {
    MHOST=$1 MPORT=$2
    declare -gA N_PROTO=() N_TYPE=() N_RCODE=()
    for _ in 1 2 3; do mq udp www.example.org A; done
    mq udp www.example.org AAAA
    mq udp mail.example.org AAAA
    mq udp example.org MX
    mq udp nope.example.org A        # NXDOMAIN
    mq udp www.example.com A         # not ours: REFUSED
    mq udp www.example.org TYPE65280 # counted as "other"
    mq tcp example.org SOA
    mq tcp example.org TXT
    EXP=()
    local k
    for k in "${!N_PROTO[@]}"; do
        EXP+=("tibra_dns_queries_total{transport=\"$k\"}=${N_PROTO[$k]}")
    done
    EXP+=("tibra_dns_tcp_connections_total{event=\"accepted\"}=${N_PROTO[tcp]}")
    for k in "${!N_TYPE[@]}"; do
        EXP+=("tibra_dns_query_types_total{type=\"$k\"}=${N_TYPE[$k]}")
    done
    for k in "${!N_RCODE[@]}"; do
        EXP+=("tibra_dns_responses_total{rcode=\"$k\"}=${N_RCODE[$k]}")
    done
    [ "${N_RCODE[NXDOMAIN]:-0}" = 1 ] && [ "${N_RCODE[REFUSED]:-0}" = 1 ] ||
        fail "unexpected answers: ${!N_RCODE[*]} = ${N_RCODE[*]}"
}

metrics_check() {
    local url=$1 before=$2 i
    shift 2
    for i in $(seq 50); do
        metrics_scrape "$url" "$TMPM/after"
        /usr/bin/python3 "$PROMCHECK" "$before" "$TMPM/after" "${EXP[@]}" "$@" \
            >"$TMPM/check" 2>&1 && break
        sleep 0.1
    done
    if [ -s "$TMPM/check" ]; then
        sed 's/^/    | /' "$TMPM/check"
        fail "$url: the counters do not match the queries sent"
    fi
    echo "ok   $url: every counter moved by exactly the ${#EXP[@]} expected deltas" \
        "(${N_PROTO[udp]} udp, ${N_PROTO[tcp]} tcp queries), the rest by 0"
}

# metrics_http HOST PORT: what is not GET /metrics gets its status.
metrics_http() {
    local base="http://$1:$2" code
    code=$("${RUN[@]}" curl -s -m 5 -o /dev/null -w '%{http_code}' "$base/")
    [ "$code" = 404 ] || fail "GET /: HTTP $code, expected 404"
    code=$("${RUN[@]}" curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
        "$base/metrics")
    [ "$code" = 405 ] || fail "POST /metrics: HTTP $code, expected 405"
    code=$("${RUN[@]}" curl -s -m 5 -o /dev/null -w '%{http_code}' --head \
        "$base/metrics")
    [ "$code" = 200 ] || fail "HEAD /metrics: HTTP $code, expected 200"
    code=$("${RUN[@]}" curl -s -m 5 -o /dev/null -w '%{http_code}' \
        -H "X-Big: $(head -c 5000 /dev/zero | tr '\0' a)" "$base/metrics")
    [ "$code" = 431 ] || fail "a 5000-byte header: HTTP $code, expected 431"
    echo "ok   $base: 404 for /, 405 for POST, 200 for HEAD, 431 for a 5 KB head"
}
