#!/usr/bin/env bash
# bench/dnssec.sh -- serving a signed zone with the DO bit: tibra-dnsd, NSD
# and Knot serving the same pre-signed zone, in one run, one core each
# (never run by `make check`).
#
#   bench/dnssec.sh [-d SECONDS] [-o OUTDIR]
#
# bench/gen-zone's zone (NAMES names, 10,000) is signed once with
# ldns-signzone (ECDSA P-256, a CSK) twice: with NSEC and with NSEC3 (no
# extra iteration, no salt: RFC 9276).  Each server loads the same signed
# file.  dnsperf sends gen-zone's query mix (existing names, NXDOMAIN,
# NODATA, wildcards, referrals) with DO=1 ("-D"): every answer carries its
# RRSIGs and every negative answer its NSEC or NSEC3 proofs.  Servers on
# CPU 1, dnsperf on CPU 0; ROUNDS (3) interleaved rounds of SECONDS each per
# server and chain; medians.  Then user-space instructions per query for
# tibra-dnsd with DO=1, per chain (callgrind, --toggle-collect=dns_srv_udp;
# independent of the machine's load).  Prints a Markdown table with the
# ratios Tibra/NSD and Tibra/Knot and writes it to OUTDIR/dnssec.md, raw
# output to OUTDIR/logs/.
#
# Environment: O (build dir, default build), TIBRA_DNSD, ROUNDS (3),
# NAMES (10000), CG_QUERIES (20000).  Loopback only; only the PIDs started
# here are stopped; every wait is bounded.
set -u
. "$(dirname "$0")/lib.sh"
bench_opts "bench/dnssec.sh [-d SECONDS] [-o OUTDIR]" 5 "$@"
rounds=${ROUNDS:-3}
names=${NAMES:-10000}
cg_queries=${CG_QUERIES:-20000}
tibra=${TIBRA_DNSD:-$O/unix-$arch/tibra-dnsd}
bench_need nsd knotd dnsperf dig valgrind taskset ldns-keygen ldns-signzone
[ -x "$tibra" ] || { echo "bench: $tibra not built (make O=...)"; exit 1; }
bench_tmp dnssec

"$here/gen-zone" -n "$names" "$tmp/z" >>"$bench_log"
queries="$tmp/z/queries.txt"
(cd "$tmp/z" && ldns-keygen -a ECDSAP256SHA256 -k "$origin" >keyname) ||
    { log "bench: ldns-keygen failed"; exit 1; }
key="$tmp/z/$(cat "$tmp/z/keyname")"
# Expiration a year ahead, so no server refuses or re-signs anything.
exp=$(date -u -d '+1 year' +%Y%m%d%H%M%S)
ldns-signzone -e "$exp" -f "$tmp/z/nsec.zone" "$tmp/z/$origin.zone" "$key" ||
    { log "bench: ldns-signzone (NSEC) failed"; exit 1; }
ldns-signzone -n -t 0 -e "$exp" -f "$tmp/z/nsec3.zone" \
    "$tmp/z/$origin.zone" "$key" ||
    { log "bench: ldns-signzone (NSEC3) failed"; exit 1; }
log "signed: $(grep -c RRSIG "$tmp/z/nsec.zone") RRSIGs (NSEC)," \
    "$(grep -c RRSIG "$tmp/z/nsec3.zone") (NSEC3)"

read -r -a ports <<EOF
$(bench_ports 7)
EOF
declare -A PORT
i=0
for c in nsec nsec3; do
    for s in nsd knot tibra; do
        PORT[$s.$c]=${ports[$i]}
        i=$((i + 1))
    done
done
cgport=${ports[6]}

tconf() { # PORT ZONEFILE: a tibra-dnsd service file
    printf 'service: name bench; target unix; workers 1\n'
    printf '         listen 127.0.0.1@%s\n' "$1"
    printf 'zone:    %s; file %s\n' "$origin" "$2"
}
for c in nsec nsec3; do
    zf="$tmp/z/$c.zone"
    for s in nsd knot tibra; do mkdir -p "$tmp/$s.$c"; done
    bench_nsd_conf "$tmp/nsd.$c" "${PORT[nsd.$c]}" "$zf" "rrl-ratelimit: 0"
    bench_knot_conf "$tmp/knot.$c" "${PORT[knot.$c]}" "$zf" error
    tconf "${PORT[tibra.$c]}" "$zf" >"$tmp/tibra.$c/bench.conf"
    tconf "$cgport" "$zf" >"$tmp/tibra.$c/cg.conf"
    bench_start "nsd.$c" nsd -d -c "$tmp/nsd.$c/nsd.conf"
    bench_start "knot.$c" knotd -c "$tmp/knot.$c/knot.conf"
    bench_start "tibra.$c" "$tibra" "$tmp/tibra.$c/bench.conf"
done
for c in nsec nsec3; do
    for s in nsd knot tibra; do
        bench_wait "$s.$c" "${PORT[$s.$c]}" "$tmp/$s.$c.out"
    done
done
bench_pin

# The three must give the same answer to a DO=1 NXDOMAIN (a quick check
# that each serves the signed file: RRSIGs and proofs in the answer).
for c in nsec nsec3; do
    for s in nsd knot tibra; do
        n=$(dig @127.0.0.1 -p "${PORT[$s.$c]}" +dnssec +norec \
            "no-such-name.$origin" A | grep -c "RRSIG")
        [ "$n" -ge 2 ] || { log "bench: $s ($c) sent no signed proof"; exit 1; }
    done
done

declare -A R
for r in $(seq "$rounds"); do
    for c in nsec nsec3; do
        for s in nsd knot tibra; do
            bench_dnsperf "$out/logs/dnssec.$s.$c.$r" "${PORT[$s.$c]}" -D
            log "round $r $s $c: ${q:-?} qps, lost ${lost:-?}"
        done
    done
done
for c in nsec nsec3; do
    for s in nsd knot tibra; do
        R[$s.$c]=$(bench_qps "$out/logs/dnssec.$s.$c".*)
    done
    bench_callgrind "$tmp/tibra.$c/cg.conf" "$cgport" "$tmp/cg.$c" \
        "$out/logs/dnssec.cg.$c" -D
    R[ir.$c]=$ir_q
    log "callgrind $c: $ir instructions, $done_q queries"
done

{
    bench_md_head "Signed zone, DO=1: QPS" bench/dnssec.sh
    echo "| chain | NSD | Knot | Tibra | Tibra/NSD | Tibra/Knot | Tibra instr/query |"
    echo "|---|---|---|---|---|---|---|"
    for c in nsec nsec3; do
        echo "| $c | ${R[nsd.$c]} | ${R[knot.$c]} | ${R[tibra.$c]} |" \
            "$(ratio "${R[tibra.$c]}" "${R[nsd.$c]}") |" \
            "$(ratio "${R[tibra.$c]}" "${R[knot.$c]}") | ${R[ir.$c]} |"
    done
} | tee "$out/dnssec.md"
