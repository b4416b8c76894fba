#!/usr/bin/env bash
# bench/cookies.sh -- what DNS Cookies cost: tibra-dnsd, NSD (answer-cookie)
# and Knot (mod-cookies), all with cookies on and one shared secret, in one
# run, one core each (never run by `make check`).
#
#   bench/cookies.sh [-d SECONDS] [-o OUTDIR]
#
# The query mix of bench/gen-zone (10,000 names) is sent by dnsperf twice:
# "plain" with EDNS and no option, "cookie" with a COOKIE option holding a
# client cookie and a server cookie that is valid at all three servers
# (RFC 9018: the same secret makes the same cookies; learnt from tibra-dnsd
# with dig before the rounds, valid for 30 minutes, so every query takes
# the validate-and-echo path).  Servers on CPU 1, dnsperf on CPU 0; ROUNDS
# (3) interleaved rounds of SECONDS each per server and mode; medians.
# Then user-space instructions per query for tibra-dnsd in both modes
# (callgrind, --toggle-collect=dns_srv_udp: the service core, answer
# included; independent of the machine's load).  Prints a Markdown table
# with the ratios cookie/plain per server and Tibra/NSD, Tibra/Knot, and
# writes it to OUTDIR/cookies.md, raw output to OUTDIR/logs/.
#
# Environment: O (build dir, default build), TIBRA_DNSD, ROUNDS (3),
# NAMES (10000), CG_QUERIES (20000).  Loopback only; only the PIDs started
# here are stopped; every wait is bounded.
set -u
. "$(dirname "$0")/lib.sh"
bench_opts "bench/cookies.sh [-d SECONDS] [-o OUTDIR]" 5 "$@"
rounds=${ROUNDS:-3}
names=${NAMES:-10000}
cg_queries=${CG_QUERIES:-20000}
tibra=${TIBRA_DNSD:-$O/unix-$arch/tibra-dnsd}
bench_need nsd knotd dnsperf dig valgrind taskset
[ -x "$tibra" ] || { echo "bench: $tibra not built (make O=...)"; exit 1; }

SECRET=e5e973e5a6b2a43f48e7dc849e37bfcf
CL=2464c4abcf10c957
bench_tmp cookies

"$here/gen-zone" -n "$names" "$tmp/z" >>"$out/logs/cookies.log"
zf="$tmp/z/$origin.zone"
queries="$tmp/z/queries.txt"
read -r -a ports <<EOF
$(bench_ports 4)
EOF
declare -A PORT=([nsd]=${ports[0]} [knot]=${ports[1]} [tibra]=${ports[2]})
cgport=${ports[3]}

mkdir -p "$tmp/nsd" "$tmp/knot" "$tmp/tibra"
bench_nsd_conf "$tmp/nsd" "${PORT[nsd]}" "$zf" "rrl-ratelimit: 0" \
    "answer-cookie: yes" "cookie-secret: \"$SECRET\""
bench_knot_conf "$tmp/knot" "${PORT[knot]}" "$zf" error "mod-cookies:
  - id: default
    secret: 0x$SECRET" mod-cookies/default
echo $SECRET >"$tmp/tibra/secret"
tconf() { # PORT: a tibra-dnsd service file on PORT
    printf 'service: name bench; target unix; workers 1\n'
    printf '         listen 127.0.0.1@%s; cookie-secret-file secret\n' "$1"
    printf 'zone:    %s; file %s\n' "$origin" "$zf"
}
tconf "${PORT[tibra]}" >"$tmp/tibra/bench.conf"
tconf "$cgport" >"$tmp/tibra/cg.conf"

bench_start nsd nsd -d -c "$tmp/nsd/nsd.conf"
bench_start knot knotd -c "$tmp/knot/knot.conf"
bench_start tibra "$tibra" "$tmp/tibra/bench.conf"
for s in nsd knot tibra; do bench_wait $s "${PORT[$s]}" "$tmp/$s.out"; done
bench_pin

ck=$(dig @127.0.0.1 -p "${PORT[tibra]}" +cookie=$CL "$origin" SOA |
    sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p')
[ ${#ck} = 48 ] || { log "bench: no cookie from tibra-dnsd"; exit 1; }
for s in nsd knot; do # valid there too (else the run measures BADCOOKIE)
    dig @127.0.0.1 -p "${PORT[$s]}" +cookie="$ck" +nobadcookie "$origin" SOA |
        grep -q "status: NOERROR" || { log "bench: the cookie is not valid at $s"; exit 1; }
done
log "cookie $ck (valid at all three)"

declare -A R
for r in $(seq "$rounds"); do
    for s in nsd knot tibra; do
        for m in plain cookie; do
            opt=(-e)
            [ $m = cookie ] && opt=(-E "10:$ck")
            bench_dnsperf "$out/logs/cookies.$s.$m.$r" "${PORT[$s]}" "${opt[@]}"
            log "round $r $s $m: ${q:-?} qps, lost ${lost:-?}"
        done
    done
done
for s in nsd knot tibra; do
    for m in plain cookie; do
        R[$s.$m]=$(bench_qps "$out/logs/cookies.$s.$m".*)
    done
done

# Instructions per query in the service core (answer included).
for m in plain cookie; do
    opt=(-e)
    [ $m = cookie ] && opt=(-E "10:$ck")
    bench_callgrind "$tmp/tibra/cg.conf" "$cgport" "$tmp/cg.$m" \
        "$out/logs/cookies.cg.$m" "${opt[@]}"
    R[tibra.ir.$m]=$ir_q
    log "callgrind $m: $ir instructions, $done_q queries"
done

{
    bench_md_head "DNS Cookies: cost" bench/cookies.sh
    echo "| server | QPS plain | QPS valid cookie | cookie/plain |"
    echo "|---|---|---|---|"
    for s in nsd knot tibra; do
        echo "| $s | ${R[$s.plain]} | ${R[$s.cookie]} | $(ratio "${R[$s.cookie]}" "${R[$s.plain]}") |"
    done
    echo
    echo "Tibra/NSD with cookies: $(ratio "${R[tibra.cookie]}" "${R[nsd.cookie]}");" \
        "Tibra/Knot with cookies: $(ratio "${R[tibra.cookie]}" "${R[knot.cookie]}")."
    echo
    echo "tibra-dnsd instructions per query in dns_srv_udp (callgrind):" \
        "plain ${R[tibra.ir.plain]}, valid cookie ${R[tibra.ir.cookie]}" \
        "(ratio $(ratio "${R[tibra.ir.cookie]}" "${R[tibra.ir.plain]}"))."
} | tee "$out/cookies.md"
