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
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
O=${O:-build}
case "$O" in /*) ;; *) O="$src/$O" ;; esac
arch=$(uname -m)
secs=5
out="$O/bench"
while getopts d:o: opt; do
    case $opt in
    d) secs=$OPTARG ;;
    o) out=$OPTARG ;;
    *) echo "usage: bench/rrl.sh [-d SECONDS] [-o OUTDIR]" >&2; exit 2 ;;
    esac
done
rounds=${ROUNDS:-3}
names=${NAMES:-10000}
cg_queries=${CG_QUERIES:-20000}
tibra=${TIBRA_DNSD:-$O/unix-$arch/tibra-dnsd}
for t in nsd knotd dnsperf dig valgrind taskset; do
    command -v $t >/dev/null || { echo "bench: $t missing (deps.txt)"; exit 1; }
done
[ -x "$tibra" ] || { echo "bench: $tibra not built (make O=...)"; exit 1; }

RATE=${RATE:-16000}
origin=bench.example
mkdir -p "$out/logs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-rrl.XXXXXX")
started=()
ours() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "$tmp/"; }
cleanup() {
    local p i
    for p in "${started[@]}"; do ours "$p" && kill -TERM "$p" 2>/dev/null; done
    for p in "${started[@]}"; do
        for i in $(seq 50); do ours "$p" || break; sleep 0.1; done
        ours "$p" && kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
log() { printf '%s\n' "$*" | tee -a "$out/logs/rrl.log"; }
: >"$out/logs/rrl.log"

"$here/gen-zone" -n "$names" "$tmp/z" >>"$out/logs/rrl.log"
zf="$tmp/z/$origin.zone"
queries="$tmp/z/queries.txt"
# Seven free loopback ports (UDP and TCP), chosen by the kernel.
pick_ports() {
    /usr/bin/python3 -c '
import socket
socks, out = [], []
while len(out) < 7:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p))
    except OSError:
        continue
    socks += [t, u]; out.append(str(p))
print(" ".join(out))'
}
read -r -a ports <<<"$(pick_ports)"

# conf SERVER MODE DIR PORT: writes the server's configuration, prints
# the command that runs it.
conf() {
    local s=$1 m=$2 d=$3 port=$4 nsdr=0 knotmod=""
    mkdir -p "$d"
    if [ "$m" = on ]; then
        nsdr=$RATE
        knotmod="    global-module: mod-rrl/on"
    fi
    case $s in
    nsd)
        cat >"$d/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$port
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    pidfile: "$d/nsd.pid"
    rrl-ratelimit: $nsdr
    rrl-slip: 2
    rrl-whitelist-ratelimit: $nsdr
    verbosity: 0
remote-control:
    control-enable: no
zone:
    name: "$origin"
    zonefile: "$zf"
CONF
        echo "nsd -d -c $d/nsd.conf" ;;
    knot)
        cat >"$d/knot.conf" <<CONF
server:
    rundir: "$d"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$d"
log:
  - target: stderr
    any: error
mod-rrl:
  - id: on
    rate-limit: $RATE
    slip: 2
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
$knotmod
zone:
  - domain: $origin
    file: "$zf"
CONF
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
        taskset -c 1 $cmd >"$tmp/$s.$m.out" 2>&1 </dev/null &
        started+=("$!")
    done
done
cgport=${ports[6]}
for k in "${!PORT[@]}"; do
    for _ in $(seq 300); do
        dig @127.0.0.1 -p "${PORT[$k]}" +tcp +time=1 +tries=1 +short \
            "$origin" SOA 2>/dev/null | grep -q . && break
        sleep 0.1
    done
    dig @127.0.0.1 -p "${PORT[$k]}" +tcp +time=1 +tries=1 +short "$origin" SOA |
        grep -q . || { log "bench: $k does not answer: $(cat "$tmp/$k.out")"; exit 1; }
done
# Knot pins its threads itself: every thread back on CPU 1.
for p in "${started[@]}"; do taskset -a -p -c 1 "$p" >/dev/null 2>&1; done

declare -A R L
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for r in $(seq "$rounds"); do
    for s in nsd knot tibra; do
        for m in off on; do
            f="$out/logs/rrl.$s.$m.$r"
            taskset -c 0 dnsperf -s 127.0.0.1 -p "${PORT[$s.$m]}" -d "$queries" \
                -l "$secs" -q 100 >"$f" 2>&1
            q=$(awk '/Queries per second/ {print int($4)}' "$f")
            lost=$(awk '/Queries lost/ {print $3}' "$f")
            log "round $r $s rrl $m: ${q:-?} qps, lost ${lost:-?}"
            L[$s.$m]=$(( ${L[$s.$m]:-0} + ${lost:-0} ))
        done
    done
done
for s in nsd knot tibra; do
    for m in off on; do
        R[$s.$m]=$(cat "$out/logs/rrl.$s.$m".* |
            awk '/Queries per second/ {print int($4)}' | median)
    done
done

# Instructions per query in the service core (answer and RRL included).
for m in off on; do
    conf tibra $m "$tmp/cg.$m" "$cgport" >/dev/null
    taskset -c 1 valgrind --tool=callgrind --toggle-collect=dns_srv_udp \
        --callgrind-out-file="$tmp/cg.$m/cg" "$tibra" "$tmp/cg.$m/bench.conf" \
        >"$tmp/cg.$m.out" 2>&1 </dev/null &
    vp=$!
    started+=("$vp")
    for _ in $(seq 300); do
        dig @127.0.0.1 -p "$cgport" +tcp +time=1 +tries=1 +short "$origin" SOA \
            2>/dev/null | grep -q . && break
        sleep 0.2
    done
    head -n "$cg_queries" "$queries" >"$tmp/cgq"
    taskset -c 0 dnsperf -s 127.0.0.1 -p "$cgport" -d "$tmp/cgq" -n 1 -q 10 \
        -t 5 >"$out/logs/rrl.cg.$m" 2>&1
    kill -TERM "$vp"
    for _ in $(seq 100); do kill -0 "$vp" 2>/dev/null || break; sleep 0.1; done
    done_q=$(awk '/Queries completed/ {print $3}' "$out/logs/rrl.cg.$m")
    ir=$(callgrind_annotate "$tmp/cg.$m/cg" 2>/dev/null |
        awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    R[tibra.ir.$m]=$(awk -v i="${ir:-0}" -v q="${done_q:-0}" \
        'BEGIN {if (q > 0) printf "%.0f", i / q; else print "?"}')
    log "callgrind rrl $m: $ir instructions, $done_q queries"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "?"}'; }
{
    echo "# RRL: cost (bench/rrl.sh, $(date -u +%Y-%m-%d))"
    echo
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of ${secs} s, medians."
    echo
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
