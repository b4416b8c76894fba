# bench/lib.sh -- shared by bench/run.sh, cookies.sh and rrl.sh (sourced,
# not run): their options, the temporary directory and the exit trap that
# stops only the PIDs they started, NSD's and Knot's configuration, the
# wait for a server's first answer, and the dnsperf and callgrind runs.
# Sourcing sets here, src, O (absolute), arch and origin (bench.example).
#
#   bench_opts USAGE SECS ARG...  -d SECONDS (SECS) and -o OUTDIR ($O/bench)
#                                 into secs and out; the operands in args
#   bench_need TOOL...            exits unless every TOOL is installed
#   bench_tmp NAME                OUTDIR/logs, a temporary directory in tmp,
#                                 started=() and the exit trap stopping the
#                                 PIDs in it; log LINE... appends to
#                                 OUTDIR/logs/NAME.log (emptied here)
#   bench_ports N                 prints N loopback ports free (UDP and TCP)
#   bench_nsd_conf DIR PORT ZF [LINE...]
#                                 DIR/nsd.conf serving ZF on PORT, with the
#                                 LINEs ("key: value") in server:
#   bench_knot_conf DIR PORT ZF LEVEL [MODULE GLOBAL]
#                                 DIR/knot.conf serving ZF on PORT, logging
#                                 LEVEL to stderr; MODULE (YAML sections)
#                                 before the template, GLOBAL (an id) as
#                                 its global-module
#   bench_start NAME CMD...       runs CMD on CPU 1 (output in $tmp/NAME.out)
#   bench_wait WHAT PORT OUTFILE  waits (30 s) until PORT answers the SOA;
#                                 else logs OUTFILE and exits
#   bench_pin                     every thread of every started PID on CPU 1
#   bench_dnsperf FILE PORT [OPT...]
#                                 one dnsperf round (CPU 0, secs seconds,
#                                 100 in flight) into FILE; q and lost set
#   bench_callgrind CONF PORT CGOUT LOG [OPT...]
#                                 tibra-dnsd CONF under callgrind
#                                 (--toggle-collect=dns_srv_udp) on PORT,
#                                 CG_QUERIES queries (dnsperf OPTs) logged to
#                                 LOG; ir, done_q and ir_q (per query) set
#   bench_qps FILE...             the median QPS of the dnsperf runs FILE...
#   bench_md_head TITLE SCRIPT    a report's Markdown title (SCRIPT, the
#                                 date), the load average and the rounds
#   median                        numbers on stdin -> the (lower) median
#   ratio A B                     A/B with 2 decimals, or n/a
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
O=${O:-build}
case "$O" in /*) ;; *) O="$src/$O" ;; esac
arch=$(uname -m)
origin=bench.example

bench_opts() {
    local usage=$1 opt OPTIND=1
    secs=$2
    out="$O/bench"
    shift 2
    while getopts d:o: opt; do
        case $opt in
        d) secs=$OPTARG ;;
        o) out=$OPTARG ;;
        *) echo "usage: $usage" >&2; exit 2 ;;
        esac
    done
    args=("${@:OPTIND}")
}

bench_need() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || { echo "bench: $t missing (deps.txt)"; exit 1; }
    done
}

# ours PID: true while PID runs one of our servers (its command line names
# our temporary directory): a reused PID is never signalled.
ours() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qF "$tmp/"; }
bench_cleanup() {
    local p i
    for p in "${started[@]}"; do ours "$p" && kill -TERM "$p" 2>/dev/null; done
    for p in "${started[@]}"; do
        for i in $(seq 50); do ours "$p" || break; sleep 0.1; done
        ours "$p" && kill -KILL "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
bench_tmp() {
    mkdir -p "$out/logs"
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-$1.XXXXXX")
    started=()
    trap bench_cleanup EXIT
    trap 'exit 1' INT TERM HUP
    bench_log="$out/logs/$1.log"
    : >"$bench_log"
}
log() { printf '%s\n' "$*" | tee -a "$bench_log"; }

bench_ports() { /usr/bin/python3 "$src/tests/diff/dnsdiff.py" ports "$1"; }

bench_nsd_conf() {
    local d=$1 port=$2 zf=$3 l
    shift 3
    {
        cat <<EOF
server:
    ip-address: 127.0.0.1@$port
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    pidfile: "$d/nsd.pid"
EOF
        for l in "$@"; do printf '    %s\n' "$l"; done
        cat <<EOF
    verbosity: 0
remote-control:
    control-enable: no
zone:
    name: "$origin"
    zonefile: "$zf"
EOF
    } >"$d/nsd.conf"
}

bench_knot_conf() {
    local d=$1 port=$2 zf=$3 level=$4 module=${5:-} global=${6:-}
    {
        cat <<EOF
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
    any: $level
EOF
        [ -z "$module" ] || printf '%s\n' "$module"
        cat <<EOF
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
EOF
        [ -z "$global" ] || printf '    global-module: %s\n' "$global"
        cat <<EOF
zone:
  - domain: $origin
    file: "$zf"
EOF
    } >"$d/knot.conf"
}

bench_start() {
    local name=$1
    shift
    taskset -c 1 "$@" >"$tmp/$name.out" 2>&1 </dev/null &
    started+=("$!")
}

soa_tcp() { # PORT: prints the SOA when the server on PORT answers over TCP
    dig @127.0.0.1 -p "$1" +tcp +time=1 +tries=1 +short "$origin" SOA
}
bench_wait() {
    for _ in $(seq 300); do
        soa_tcp "$2" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    soa_tcp "$2" | grep -q . ||
        { log "bench: $1 does not answer: $(cat "$3")"; exit 1; }
}

# Knot pins its threads itself: every thread back on CPU 1.
bench_pin() {
    local p
    for p in "${started[@]}"; do taskset -a -p -c 1 "$p" >/dev/null 2>&1; done
}

bench_dnsperf() {
    local f=$1 port=$2
    shift 2
    taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$queries" \
        -l "$secs" -q 100 "$@" >"$f" 2>&1
    q=$(awk '/Queries per second/ {print int($4)}' "$f")
    lost=$(awk '/Queries lost/ {print $3}' "$f")
}

bench_callgrind() {
    local conf=$1 port=$2 cgout=$3 lf=$4 vp
    shift 4
    taskset -c 1 valgrind --tool=callgrind --toggle-collect=dns_srv_udp \
        --callgrind-out-file="$cgout" "$tibra" "$conf" \
        >"$cgout.out" 2>&1 </dev/null &
    vp=$!
    started+=("$vp")
    for _ in $(seq 300); do
        soa_tcp "$port" 2>/dev/null | grep -q . && break
        sleep 0.2
    done
    head -n "$cg_queries" "$queries" >"$tmp/cgq"
    taskset -c 0 dnsperf -s 127.0.0.1 -p "$port" -d "$tmp/cgq" -n 1 -q 10 \
        -t 5 "$@" >"$lf" 2>&1
    kill -TERM "$vp"
    for _ in $(seq 100); do kill -0 "$vp" 2>/dev/null || break; sleep 0.1; done
    done_q=$(awk '/Queries completed/ {print $3}' "$lf")
    ir=$(callgrind_annotate "$cgout" 2>/dev/null |
        awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    ir_q=$(awk -v i="${ir:-0}" -v q="${done_q:-0}" \
        'BEGIN {if (q > 0) printf "%.0f", i / q; else print "?"}')
}

bench_qps() {
    cat "$@" | awk '/Queries per second/ {print int($4)}' | median
}

bench_md_head() {
    echo "# $1 ($2, $(date -u +%Y-%m-%d))"
    echo
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of ${secs} s, medians."
    echo
}

median() {
    sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'
}
ratio() {
    awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
        if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0)
            printf "%.2f", a / b; else printf "n/a" }'
}
