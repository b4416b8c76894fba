#!/usr/bin/env bash
# bench/run.sh -- Tibra's tibra-dnsd against NSD and Knot DNS, side by side
# in one run, on one core each (never run by `make check`).
#
#   bench/run.sh [-d SECONDS] [-o OUTDIR] [SERVER...]     (default: nsd knot
#                                                          tibra)
# Every server gets CPU 1 (taskset; Knot pins its UDP threads itself, so
# every thread of knotd is re-pinned after start with taskset -a -p), the
# load generators get CPU 0.  For each server:
#   1. resident memory once the 100k-name zone is loaded (RSS and PSS,
#      summed over the server's processes);
#   2. QPS and latency with dnsperf (-l SECONDS, 100 outstanding);
#   3. QPS and latency percentiles with bench/tibra-load (-d SECONDS);
#   4. user-space instructions per answered query: the server runs under
#      valgrind --tool=callgrind with instrumentation off until it answers,
#      on for CG_QUERIES queries, off again; total Ir / answered queries;
#   5. zone-load time: start with the 1M-name zone until it answers the
#      zone's SOA with NOERROR (median of 3).
# Prints a table (Markdown) with the ratios Tibra/NSD and Tibra/Knot and
# writes it, the machine, the versions and the load average to
# OUTDIR/results.md; raw tool output stays in OUTDIR/logs/.
#
# Environment: O (build dir, default build), TIBRA_DNSD (tibra-dnsd path),
# NAMES (100000), LOAD_NAMES (1000000), CG_QUERIES (20000), INFLIGHT (100).
# Servers listen on 127.0.0.1 only; every wait is bounded; only the PIDs
# started here are stopped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
O=${O:-build}
case "$O" in /*) ;; *) O="$src/$O" ;; esac
arch=$(uname -m)
py=/usr/bin/python3
dnsdiff="$src/tests/diff/dnsdiff.py"
load="$O/unix-$arch/bench/tibra-load"
secs=15
out="$O/bench"
while getopts d:o: opt; do
    case $opt in
    d) secs=$OPTARG ;;
    o) out=$OPTARG ;;
    *) echo "usage: bench/run.sh [-d SECONDS] [-o OUTDIR] [SERVER...]" >&2
       exit 2 ;;
    esac
done
shift $((OPTIND - 1))
servers=${*:-nsd knot tibra}
names=${NAMES:-100000}
load_names=${LOAD_NAMES:-1000000}
cg_queries=${CG_QUERIES:-20000}
inflight=${INFLIGHT:-100}
srv_cpu=1
gen_cpu=0

tibra=${TIBRA_DNSD:-}
if [ -z "$tibra" ]; then
    for c in "$O/unix-$arch/app/dnsd/tibra-dnsd" "$O/unix-$arch/tibra-dnsd" \
        "$O/unix-$arch/bin/tibra-dnsd"; do
        [ -x "$c" ] && { tibra=$c; break; }
    done
fi
for t in nsd knotd dnsperf valgrind callgrind_control taskset; do
    command -v $t >/dev/null || { echo "bench: $t missing (deps.txt)"; exit 1; }
done
[ -x "$load" ] || { echo "bench: build $load first: make O=$O"; exit 1; }
if [[ " $servers " == *" tibra "* ]] && [ ! -x "$tibra" ]; then
    echo "bench: tibra-dnsd not found (set TIBRA_DNSD); measuring without it"
    servers=${servers/tibra/}
fi

mkdir -p "$out/logs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-bench.XXXXXX")
started=()     # every PID this script started, for the trap
cleanup() {
    local p i
    for p in "${started[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${started[@]}"; do
        for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

log() { printf '%s\n' "$*" | tee -a "$out/logs/run.log"; }
: >"$out/logs/run.log"

# --- data -------------------------------------------------------------------
log "generating zones ($names and $load_names names) in $tmp"
"$here/gen-zone" -n "$names" "$tmp/z100k" | tee -a "$out/logs/run.log"
"$here/gen-zone" -n "$load_names" -q 1000 "$tmp/z1m" | tee -a "$out/logs/run.log"
origin=bench.example
queries="$tmp/z100k/queries.txt"

read -r port <<EOF
$("$py" "$dnsdiff" ports 1)
EOF

# --- per-server configuration -------------------------------------------------
# conf NAME ZONEFILE DIR -> prints the command line that starts the server
conf() {
    local name=$1 zf=$2 d=$3
    mkdir -p "$d"
    case $name in
    nsd)
        cat >"$d/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$port
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    xfrdir: "$d"
    pidfile: "$d/nsd.pid"
    logfile: "$d/nsd.log"
    rrl-ratelimit: 0
    verbosity: 0
remote-control:
    control-enable: no
zone:
    name: "$origin"
    zonefile: "$zf"
EOF
        echo "nsd -d -c $d/nsd.conf" ;;
    knot)
        cat >"$d/knot.conf" <<EOF
server:
    rundir: "$d"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$d/knot.sock"
database:
    storage: "$d"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $origin
    file: "$zf"
EOF
        echo "knotd -c $d/knot.conf" ;;
    tibra)
        cat >"$d/bench.conf" <<EOF
service: name bench; target unix
         listen 127.0.0.1@$port
         workers 1
zone:    $origin; file $zf
EOF
        echo "$tibra $d/bench.conf" ;;
    esac
}

# Every PID of the process tree below (and including) the given PIDs.
tree() {
    local p
    for p in "$@"; do
        echo "$p"
        # shellcheck disable=SC2046
        tree $(ps -o pid= --ppid "$p")
    done
}

SPID=""
# start NAME ZONEFILE DIR [WRAPPER...]: starts on CPU $srv_cpu; sets SPID.
start() {
    local name=$1 zf=$2 d=$3
    shift 3
    local cmd
    cmd=$(conf "$name" "$zf" "$d")
    # shellcheck disable=SC2086
    taskset -c $srv_cpu "$@" $cmd >"$d/stdout.log" 2>&1 </dev/null &
    SPID=$!
    started+=("$SPID")
}
# ready NAME DIR TIMEOUT: waits for NOERROR to SOA, then re-pins threads.
ready() {
    local name=$1 d=$2 to=$3 p
    if ! "$py" "$dnsdiff" wait "127.0.0.1:$port" "$origin" --timeout "$to" \
        --interval 0.02; then
        log "bench: $name did not answer; its log:"
        tail -n 20 "$d"/*.log
        return 1
    fi
    for p in $(tree "$SPID"); do
        taskset -a -p -c $srv_cpu "$p" >/dev/null 2>&1
    done
}
stop() {
    local d=$1 p i
    local all
    all=$(tree "$SPID")
    if [ -s "$d/nsd.pid" ]; then
        kill -TERM "$(cat "$d/nsd.pid")" 2>/dev/null
    fi
    kill -TERM "$SPID" 2>/dev/null
    for p in $all; do
        for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    wait "$SPID" 2>/dev/null
}
mem_kb() { # RSS PSS (kB), summed over the tree
    local p rss=0 pss=0 r s
    for p in $(tree "$SPID"); do
        r=$(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
        s=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
        rss=$((rss + ${r:-0}))
        pss=$((pss + ${s:-0}))
    done
    echo "$rss $pss"
}

declare -A R
for s in $servers; do
    d="$tmp/$s"
    log ""
    R[$s.load0]=$(cut -d' ' -f1 /proc/loadavg)
    log "=== $s ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
    # 1-3: memory, dnsperf, tibra-load on the 100k-name zone.
    start "$s" "$tmp/z100k/$origin.zone" "$d"
    ready "$s" "$d" 60 || exit 1
    read -r R[$s.rss] R[$s.pss] <<<"$(mem_kb)"
    log "$s: memory after load: RSS ${R[$s.rss]} kB, PSS ${R[$s.pss]} kB"
    taskset -c $gen_cpu dnsperf -s 127.0.0.1 -p "$port" -d "$queries" \
        -l "$secs" -q "$inflight" >"$out/logs/$s.dnsperf" 2>&1
    R[$s.dp_qps]=$(awk '/Queries per second/ {printf "%.0f", $4}' \
        "$out/logs/$s.dnsperf")
    R[$s.dp_lat]=$(awk '/Average Latency/ {printf "%.0f", $4 * 1e6}' \
        "$out/logs/$s.dnsperf")
    R[$s.dp_lost]=$(awk '/Queries lost/ {print $3}' "$out/logs/$s.dnsperf")
    log "$s: dnsperf: ${R[$s.dp_qps]} qps, avg latency ${R[$s.dp_lat]} us, lost ${R[$s.dp_lost]}"
    taskset -c $gen_cpu "$load" -p "$port" -d "$secs" -c "$inflight" -S 1 \
        "$queries" >"$out/logs/$s.tibra-load" 2>&1
    line=$(grep '^RESULT' "$out/logs/$s.tibra-load")
    for kv in $line; do
        case $kv in *=*) R[$s.tl_${kv%%=*}]=${kv#*=} ;; esac
    done
    log "$s: tibra-load: $line"
    stop "$d"
    rm -rf "$d"

    # 4: instructions per query under callgrind.
    start "$s" "$tmp/z100k/$origin.zone" "$d" valgrind --tool=callgrind \
        --trace-children=yes --instr-atstart=no \
        "--callgrind-out-file=$tmp/cg.$s.%p"
    if ready "$s" "$d" 300; then
        pids=$(tree "$SPID" | tr '\n' ' ')
        # shellcheck disable=SC2086
        callgrind_control -i on $pids >/dev/null 2>&1
        taskset -c $gen_cpu "$load" -p "$port" -n "$cg_queries" -c 20 \
            -t 5000 "$queries" >"$out/logs/$s.callgrind-load" 2>&1
        # shellcheck disable=SC2086
        callgrind_control -i off $pids >/dev/null 2>&1
        stop "$d"
        ir=$(cat "$tmp"/cg."$s".* | awk '/^totals:/ {t += $2} END {print t + 0}')
        ans=$(sed -n 's/^RESULT.* answered=\([0-9]*\).*/\1/p' \
            "$out/logs/$s.callgrind-load")
        R[$s.ir]=$(awk -v i="$ir" -v a="${ans:-0}" \
            'BEGIN { if (a > 0) printf "%.0f", i / a; else print "n/a" }')
        R[$s.cg_rcodes]=$(sed -n 's/^rcodes: *//p' "$out/logs/$s.callgrind-load" |
            tr ' ' ',')
        log "$s: callgrind: $ir Ir for $ans answered queries = ${R[$s.ir]} Ir/query (${R[$s.cg_rcodes]})"
    else
        stop "$d"
        R[$s.ir]=n/a
    fi
    rm -rf "$d" "$tmp"/cg."$s".*

    # 5: zone-load time for the 1M-name zone (median of 3).
    times=()
    for i in 1 2 3; do
        t0=$(date +%s%N)
        start "$s" "$tmp/z1m/$origin.zone" "$d"
        if ready "$s" "$d" 120; then
            t1=$(date +%s%N)
            times+=($(( (t1 - t0) / 1000000 )))
        fi
        stop "$d"
        rm -rf "$d"
    done
    R[$s.load_ms]=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
    log "$s: zone load ($load_names names): ${times[*]} ms, median ${R[$s.load_ms]:-n/a}"
    R[$s.load1]=$(cut -d' ' -f1 /proc/loadavg)
    log "=== $s done (load $(cut -d' ' -f1-3 /proc/loadavg))"
done

# --- table --------------------------------------------------------------------
ratio() { # a b -> a/b with 2 decimals, or n/a
    awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
        if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0)
            printf "%.2f", a / b; else printf "n/a" }'
}
{
    echo "# bench/run.sh results $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; kernel $(uname -r)"
    echo "- $(nsd -v 2>&1 | head -1); $(knotd -V 2>&1 | head -1); dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ {print $2}'); $(valgrind --version)"
    echo "- tibra: $("$tibra" -V 2>/dev/null | head -1) ($tibra)"
    echo "- $secs s per server per tool; $inflight queries in flight; servers on CPU $srv_cpu, generators on CPU $gen_cpu"
    echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    printf '| metric |'
    for s in $servers; do printf ' %s |' "$s"; done
    if [[ " $servers " == *" tibra "* ]]; then printf ' Tibra/NSD | Tibra/Knot |\n'
    else printf ' Knot/NSD |\n'; fi
    printf '|---|'
    for s in $servers; do printf -- '---:|'; done
    if [[ " $servers " == *" tibra "* ]]; then printf -- '---:|---:|\n'
    else printf -- '---:|\n'; fi
    for key in dp_qps tl_qps dp_lat tl_p50_us tl_p99_us ir load_ms rss pss \
        tl_lost tl_cpu_pct cg_rcodes load0 load1; do
        case $key in
        dp_qps) label="QPS (dnsperf)" ;;
        tl_qps) label="QPS (tibra-load)" ;;
        dp_lat) label="mean latency us (dnsperf)" ;;
        tl_p50_us) label="p50 latency us (tibra-load)" ;;
        tl_p99_us) label="p99 latency us (tibra-load)" ;;
        ir) label="user instructions/query (callgrind)" ;;
        load_ms) label="zone load, $load_names names, ms" ;;
        rss) label="RSS kB, $names names" ;;
        pss) label="PSS kB, $names names" ;;
        tl_lost) label="lost queries (tibra-load)" ;;
        tl_cpu_pct) label="generator CPU % (tibra-load)" ;;
        cg_rcodes) label="rcodes of the $cg_queries callgrind queries" ;;
        load0) label="load average (1 min) before this server" ;;
        load1) label="load average (1 min) after this server" ;;
        esac
        printf '| %s |' "$label"
        for s in $servers; do printf ' %s |' "${R[$s.$key]:-n/a}"; done
        case $key in
        tl_lost | tl_cpu_pct | cg_rcodes | load0 | load1)
            if [[ " $servers " == *" tibra "* ]]; then printf ' | |\n'
            else printf ' |\n'; fi
            continue ;;
        esac
        if [[ " $servers " == *" tibra "* ]]; then
            printf ' %s | %s |\n' \
                "$(ratio "${R[tibra.$key]:-}" "${R[nsd.$key]:-}")" \
                "$(ratio "${R[tibra.$key]:-}" "${R[knot.$key]:-}")"
        else
            printf ' %s |\n' "$(ratio "${R[knot.$key]:-}" "${R[nsd.$key]:-}")"
        fi
    done
} >"$out/results.md"
echo
cat "$out/results.md"
