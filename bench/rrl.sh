#!/usr/bin/env bash
# bench/rrl.sh -- what response rate limiting costs: tibra-dnsd, NSD and
# Knot (mod-rrl), each with RRL off and on, in one run, one core each
# (never run by `make check`).
#
#   bench/rrl.sh [-d SECONDS] [-o OUTDIR]
#
# "on" is RRL with the same settings everywhere (slip 2, /24 and /56,
# nothing exempt: tibra-dnsd's rrl-exempt-loopback off) and a rate of
# 16,000 per second, so that dnsperf's stream (the bench/gen-zone mix
# over 10,000 names, from one client; its busiest bucket, NXDOMAIN for
# the zone, gets 15% of ~100k qps) is not limited and every query pays
# the bookkeeping -- classify, hash, find and charge a bucket -- without
# its responses being dropped (which would measure dnsperf's losses, not
# the server; the "lost" column says if any were).  Not higher: Knot 3.2
# keeps 4 s of tokens in 16 bits (rate-limit 1,000,000 limited it to 4k
# qps).  The table sizes are each server's default.
# Servers on CPU 1, dnsperf on CPU 0; ROUNDS (3) interleaved rounds of
# SECONDS (5) per server and mode; medians.  Then tibra-dnsd's user-space
# instructions per query in both modes (callgrind,
# --toggle-collect=dns_srv_udp: the service core, answer and RRL
# included; independent of the machine's load).  Prints a Markdown table
# (QPS on/off per server, Tibra/NSD and Tibra/Knot with RRL on) and
# writes it to OUTDIR/rrl.md, raw output to OUTDIR/logs/.
#
# Environment: O (build dir, default build), TIBRA_DNSD, ROUNDS (3),
# NAMES (10000), CG_QUERIES (20000).  Loopback only; only the PIDs started
# here are stopped; every wait is bounded.
set -u
. "$(dirname "$0")/lib.sh"
bench_opts "bench/rrl.sh [-d SECONDS] [-o OUTDIR]" 5 "$@"
rounds=${ROUNDS:-3}
names=${NAMES:-10000}
cg_queries=${CG_QUERIES:-20000}
tibra=${TIBRA_DNSD:-$O/unix-$arch/tibra-dnsd}
bench_need nsd knotd dnsperf dig valgrind taskset
[ -x "$tibra" ] || { echo "bench: $tibra not built (make O=...)"; exit 1; }

RATE=${RATE:-16000}
bench_tmp rrl

"$here/gen-zone" -n "$names" "$tmp/z" >>"$out/logs/rrl.log"
zf="$tmp/z/$origin.zone"
queries="$tmp/z/queries.txt"
read -r -a ports <<<"$(bench_ports 7)"

# conf SERVER MODE DIR PORT: writes the server's configuration, prints
# the command that runs it.
conf() {
    local s=$1 m=$2 d=$3 port=$4 nsdr=0 knotmod=""
    mkdir -p "$d"
    if [ "$m" = on ]; then
        nsdr=$RATE
        knotmod=mod-rrl/on
    fi
    case $s in
    nsd)
        bench_nsd_conf "$d" "$port" "$zf" "rrl-ratelimit: $nsdr" \
            "rrl-slip: 2" "rrl-whitelist-ratelimit: $nsdr"
        echo "nsd -d -c $d/nsd.conf" ;;
    knot)
        bench_knot_conf "$d" "$port" "$zf" error "mod-rrl:
  - id: on
    rate-limit: $RATE
    slip: 2" "$knotmod"
        echo "knotd -c $d/knot.conf" ;;
    tibra)
        {
            printf 'service: name bench; target unix; workers 1\n'
            printf '         listen 127.0.0.1@%s\n' "$port"
            [ "$m" = on ] &&
                printf '         rrl-rate %s; rrl-slip 2; rrl-exempt-loopback off\n' $RATE
            printf 'zone:    %s; file %s\n' "$origin" "$zf"
        } >"$d/bench.conf"
        echo "$tibra $d/bench.conf" ;;
    esac
}

declare -A PORT
i=0
for s in nsd knot tibra; do
    for m in off on; do
        PORT[$s.$m]=${ports[$i]}
        i=$((i + 1))
        cmd=$(conf $s $m "$tmp/$s.$m" "${PORT[$s.$m]}")
        # shellcheck disable=SC2086
        bench_start $s.$m $cmd
    done
done
cgport=${ports[6]}
for k in "${!PORT[@]}"; do bench_wait $k "${PORT[$k]}" "$tmp/$k.out"; done
bench_pin

declare -A R L
for r in $(seq "$rounds"); do
    for s in nsd knot tibra; do
        for m in off on; do
            bench_dnsperf "$out/logs/rrl.$s.$m.$r" "${PORT[$s.$m]}"
            log "round $r $s rrl $m: ${q:-?} qps, lost ${lost:-?}"
            L[$s.$m]=$(( ${L[$s.$m]:-0} + ${lost:-0} ))
        done
    done
done
for s in nsd knot tibra; do
    for m in off on; do
        R[$s.$m]=$(bench_qps "$out/logs/rrl.$s.$m".*)
    done
done

# Instructions per query in the service core (answer and RRL included).
for m in off on; do
    conf tibra $m "$tmp/cg.$m" "$cgport" >/dev/null
    bench_callgrind "$tmp/cg.$m/bench.conf" "$cgport" "$tmp/cg.$m/cg" \
        "$out/logs/rrl.cg.$m"
    R[tibra.ir.$m]=$ir_q
    log "callgrind rrl $m: $ir instructions, $done_q queries"
done

{
    bench_md_head "RRL: cost" bench/rrl.sh
    echo "| server | QPS RRL off | QPS RRL on | on/off | queries lost (off, on) |"
    echo "|---|---|---|---|---|"
    for s in nsd knot tibra; do
        echo "| $s | ${R[$s.off]} | ${R[$s.on]} | $(ratio "${R[$s.on]}" "${R[$s.off]}") | ${L[$s.off]}, ${L[$s.on]} |"
    done
    echo
    echo "Tibra/NSD with RRL on: $(ratio "${R[tibra.on]}" "${R[nsd.on]}");" \
        "Tibra/Knot with RRL on: $(ratio "${R[tibra.on]}" "${R[knot.on]}")."
    echo
    echo "tibra-dnsd instructions per query in dns_srv_udp (callgrind):" \
        "RRL off ${R[tibra.ir.off]}, on ${R[tibra.ir.on]}" \
        "(ratio $(ratio "${R[tibra.ir.on]}" "${R[tibra.ir.off]}"))."
} | tee "$out/rrl.md"
