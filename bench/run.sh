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
#   2. QPS and latency with dnsperf (100 outstanding);
#   3. QPS and latency percentiles with bench/tibra-load;
#      for 2 and 3 all servers are up at once (on their own ports) and
#      measured in ROUNDS (3) interleaved rounds of SECONDS/ROUNDS each, so
#      a shared machine's changing load falls on all alike; medians;
#      during the tibra-load rounds, the server's CPU time (utime+stime of
#      all its processes, /proc/PID/stat) per answered query and its user
#      share: what a query costs, kernel included, whatever the QPS;
#   4. user-space instructions per answered query: the server runs under
#      valgrind --tool=callgrind with instrumentation off until it answers,
#      on for CG_QUERIES queries, off again; total Ir / answered queries;
#   5. zone-load time: start with the 1M-name zone until it answers the
#      zone's SOA with NOERROR (median of 3 interleaved rounds).
# Prints a table (Markdown) with the ratios Tibra/NSD and Tibra/Knot and
# writes it, the machine, the versions and the load average to
# OUTDIR/results.md; raw tool output stays in OUTDIR/logs/.
#
# Environment: O (build dir, default build), TIBRA_DNSD (tibra-dnsd path),
# NAMES (100000), LOAD_NAMES (1000000), CG_QUERIES (20000), INFLIGHT (100),
# ROUNDS (3).
# Servers listen on 127.0.0.1 only; every wait is bounded; only the PIDs
# started here are stopped.
set -u
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
dnsdiff="$src/tests/diff/dnsdiff.py"
load="$O/unix-$arch/bench/tibra-load"
bench_opts "bench/run.sh [-d SECONDS] [-o OUTDIR] [SERVER...]" 15 "$@"
servers=${args[*]:-nsd knot tibra}
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
bench_need nsd knotd dnsperf valgrind callgrind_control taskset
[ -x "$load" ] || { echo "bench: build $load first: make O=$O"; exit 1; }
if [[ " $servers " == *" tibra "* ]] && [ ! -x "$tibra" ]; then
    echo "bench: tibra-dnsd not found (set TIBRA_DNSD); measuring without it"
    servers=${servers/tibra/}
fi

bench_tmp run

# --- data -------------------------------------------------------------------
log "generating zones ($names and $load_names names) in $tmp"
"$here/gen-zone" -n "$names" "$tmp/z100k" | tee -a "$out/logs/run.log"
"$here/gen-zone" -n "$load_names" -q 1000 "$tmp/z1m" | tee -a "$out/logs/run.log"
queries="$tmp/z100k/queries.txt"

declare -A PORT SP
read -r -a ports <<EOF
$("$py" "$dnsdiff" ports 3)
EOF
i=0
for s in $servers; do PORT[$s]=${ports[$i]}; i=$((i + 1)); done

# --- per-server configuration -------------------------------------------------
# conf NAME ZONEFILE DIR -> prints the command line that starts the server
conf() {
    local name=$1 zf=$2 d=$3 port=${PORT[$1]}
    mkdir -p "$d"
    case $name in
    nsd)
        bench_nsd_conf "$d" "$port" "$zf" "xfrdir: \"$d\"" \
            "logfile: \"$d/nsd.log\"" "rrl-ratelimit: 0"
        echo "nsd -d -c $d/nsd.conf" ;;
    knot)
        # Its control socket: the default, knot.sock in rundir ($d).
        bench_knot_conf "$d" "$port" "$zf" warning
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

# start NAME ZONEFILE DIR [WRAPPER...]: starts on CPU $srv_cpu; sets SP[NAME].
start() {
    local name=$1 zf=$2 d=$3
    shift 3
    local cmd
    cmd=$(conf "$name" "$zf" "$d")
    # shellcheck disable=SC2086
    taskset -c $srv_cpu "$@" $cmd >"$d/stdout.log" 2>&1 </dev/null &
    SP[$name]=$!
    started+=("$!")
}
# ready NAME DIR TIMEOUT: waits for NOERROR to SOA, then re-pins threads.
ready() {
    local name=$1 d=$2 to=$3 p
    if ! "$py" "$dnsdiff" wait "127.0.0.1:${PORT[$name]}" "$origin" \
        --timeout "$to" --interval 0.02; then
        log "bench: $name did not answer; its log:"
        tail -n 20 "$d"/*.log
        return 1
    fi
    for p in $(tree "${SP[$name]}"); do
        taskset -a -p -c $srv_cpu "$p" >/dev/null 2>&1
    done
}
# stop NAME DIR: NSD through its pidfile, then the tree we started.
stop() {
    local name=$1 d=$2 p i all
    all=$(tree "${SP[$name]}")
    if [ -s "$d/nsd.pid" ]; then
        p=$(cat "$d/nsd.pid" 2>/dev/null)
        [ -n "$p" ] && ours "$p" && kill -TERM "$p" 2>/dev/null
    fi
    ours "${SP[$name]}" && kill -TERM "${SP[$name]}" 2>/dev/null
    for p in $all; do
        for i in $(seq 100); do ours "$p" || break; sleep 0.1; done
        ours "$p" && kill -KILL "$p" 2>/dev/null
    done
    wait "${SP[$name]}" 2>/dev/null
    # Forget the PID, so that the exit trap never signals a reused one.
    local keep=() x
    for x in "${started[@]}"; do
        [ "$x" = "${SP[$name]}" ] || keep+=("$x")
    done
    started=("${keep[@]}")
}
mem_kb() { # NAME -> "RSS PSS" (kB), summed over its process tree
    local p rss=0 pss=0 r s
    for p in $(tree "${SP[$1]}"); do
        r=$(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
        s=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null)
        rss=$((rss + ${r:-0}))
        pss=$((pss + ${s:-0}))
    done
    echo "$rss $pss"
}
cpu_ticks() { # NAME -> "UTIME STIME" (clock ticks) summed over its processes
    local p u=0 k=0 f
    for p in $(tree "${SP[$1]}"); do
        # Fields 14 and 15 of /proc/PID/stat, counted after the ")" that
        # ends the command name (which may hold spaces).
        f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        set -- $f
        u=$((u + ${12:-0}))
        k=$((k + ${13:-0}))
    done
    echo "$u $k"
}

declare -A R
rounds=${ROUNDS:-3}
per=$(( secs / rounds ))
[ "$per" -ge 1 ] || per=1
for s in $servers; do R[$s.load0]=$(cut -d' ' -f1 /proc/loadavg); done

# 1-3: all servers up at once on the 100k-name zone (an idle server costs
# nothing), then ROUNDS interleaved rounds of SECONDS/ROUNDS per server and
# tool -- nsd knot tibra nsd knot tibra ... -- so that the shared machine's
# changing load falls on every server alike; medians are reported.
log ""
log "=== QPS: $rounds rounds of $per s per server and tool ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
for s in $servers; do start "$s" "$tmp/z100k/$origin.zone" "$tmp/$s"; done
for s in $servers; do ready "$s" "$tmp/$s" 60 || exit 1; done
for s in $servers; do
    read -r R[$s.rss] R[$s.pss] <<<"$(mem_kb "$s")"
    log "$s: memory after load: RSS ${R[$s.rss]} kB, PSS ${R[$s.pss]} kB"
done
for r in $(seq "$rounds"); do
    for s in $servers; do
        f="$out/logs/$s.dnsperf.$r"
        taskset -c $gen_cpu dnsperf -s 127.0.0.1 -p "${PORT[$s]}" \
            -d "$queries" -l "$per" -q "$inflight" >"$f" 2>&1
        log "$s: dnsperf round $r: $(awk '/Queries per second/ {q = $4}
            /Average Latency/ {l = $4 * 1e6} /Queries lost/ {x = $3}
            END {printf "%.0f qps, avg latency %.0f us, lost %s", q, l, x}' "$f")"
    done
done
for r in $(seq "$rounds"); do
    for s in $servers; do
        f="$out/logs/$s.tibra-load.$r"
        read -r u0 k0 <<<"$(cpu_ticks "$s")"
        taskset -c $gen_cpu "$load" -p "${PORT[$s]}" -d "$per" \
            -c "$inflight" -S 1 "$queries" >"$f" 2>&1
        read -r u1 k1 <<<"$(cpu_ticks "$s")"
        ans=$(sed -n 's/^RESULT.* answered=\([0-9]*\).*/\1/p' "$f")
        # Server CPU time per answered query, and its user-space share.
        awk -v u=$((u1 - u0)) -v k=$((k1 - k0)) -v a="${ans:-0}" \
            -v hz="$(getconf CLK_TCK)" 'BEGIN { if (a > 0 && u + k > 0)
            printf "%.2f %.0f\n", (u + k) * 1e6 / hz / a, 100 * u / (u + k) }' \
            >"$f.cpu"
        log "$s: tibra-load round $r: $(grep '^RESULT' "$f"); server CPU us/query, user %: $(cat "$f.cpu")"
    done
done
for s in $servers; do
    R[$s.dp_qps]=$(cat "$out/logs/$s".dnsperf.* |
        awk '/Queries per second/ {printf "%.0f\n", $4}' | median)
    R[$s.dp_lat]=$(cat "$out/logs/$s".dnsperf.* |
        awk '/Average Latency/ {printf "%.0f\n", $4 * 1e6}' | median)
    for k in qps p50_us p99_us cpu_pct; do
        R[$s.tl_$k]=$(sed -n "s/^RESULT.* $k=\([0-9]*\).*/\1/p" \
            "$out/logs/$s".tibra-load.* | median)
    done
    R[$s.cpu_us]=$(cat "$out/logs/$s".tibra-load.*.cpu | awk '{print $1}' |
        median)
    R[$s.cpu_user]=$(cat "$out/logs/$s".tibra-load.*.cpu | awk '{print $2}' |
        median)
    R[$s.tl_lost]=$(sed -n 's/^RESULT.* lost=\([0-9]*\).*/\1/p' \
        "$out/logs/$s".tibra-load.* | awk '{ t += $1 } END { print t + 0 }')
done
for s in $servers; do stop "$s" "$tmp/$s"; rm -rf "${tmp:?}/$s"; done

# 4: instructions per query under callgrind (independent of the load).
for s in $servers; do
    d="$tmp/$s"
    start "$s" "$tmp/z100k/$origin.zone" "$d" valgrind --tool=callgrind \
        --trace-children=yes --instr-atstart=no \
        "--callgrind-out-file=$tmp/cg.$s.%p"
    if ready "$s" "$d" 300; then
        pids=$(tree "${SP[$s]}" | tr '\n' ' ')
        # shellcheck disable=SC2086
        callgrind_control -i on $pids >/dev/null 2>&1
        taskset -c $gen_cpu "$load" -p "${PORT[$s]}" -n "$cg_queries" -c 20 \
            -t 5000 "$queries" >"$out/logs/$s.callgrind-load" 2>&1
        # shellcheck disable=SC2086
        callgrind_control -i off $pids >/dev/null 2>&1
        stop "$s" "$d"
        ir=$(cat "$tmp"/cg."$s".* | awk '/^totals:/ {t += $2} END {print t + 0}')
        ans=$(sed -n 's/^RESULT.* answered=\([0-9]*\).*/\1/p' \
            "$out/logs/$s.callgrind-load")
        R[$s.ir]=$(awk -v i="$ir" -v a="${ans:-0}" \
            'BEGIN { if (a > 0) printf "%.0f", i / a; else print "n/a" }')
        R[$s.cg_rcodes]=$(sed -n 's/^rcodes: *//p' "$out/logs/$s.callgrind-load" |
            tr ' ' ',')
        log "$s: callgrind: $ir Ir for $ans answered queries = ${R[$s.ir]} Ir/query (${R[$s.cg_rcodes]})"
    else
        stop "$s" "$d"
        R[$s.ir]=n/a
    fi
    rm -rf "$d" "$tmp"/cg."$s".*
done

# 5: zone-load time for the 1M-name zone, 3 interleaved rounds, median.
for i in 1 2 3; do
    for s in $servers; do
        d="$tmp/$s"
        t0=$(date +%s%N)
        start "$s" "$tmp/z1m/$origin.zone" "$d"
        if ready "$s" "$d" 120; then
            t1=$(date +%s%N)
            R[$s.load_all]="${R[$s.load_all]:-} $(( (t1 - t0) / 1000000 ))"
        fi
        stop "$s" "$d"
        rm -rf "$d"
    done
done
for s in $servers; do
    # shellcheck disable=SC2086
    R[$s.load_ms]=$(printf '%s\n' ${R[$s.load_all]:-} | median)
    log "$s: zone load ($load_names names):${R[$s.load_all]:-} ms, median ${R[$s.load_ms]:-n/a}"
    R[$s.load1]=$(cut -d' ' -f1 /proc/loadavg)
done
log "=== done (load $(cut -d' ' -f1-3 /proc/loadavg))"

# --- table --------------------------------------------------------------------
{
    echo "# bench/run.sh results $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; kernel $(uname -r)"
    echo "- $(nsd -v 2>&1 | head -1); $(knotd -V 2>&1 | head -1); dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ {print $2}'); $(valgrind --version)"
    echo "- tibra: $("$tibra" -V 2>/dev/null | head -1) ($tibra)"
    echo "- $secs s per server per tool in $rounds interleaved rounds (medians); $inflight queries in flight; servers on CPU $srv_cpu, generators on CPU $gen_cpu"
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
    for key in dp_qps tl_qps dp_lat tl_p50_us tl_p99_us ir cpu_us cpu_user \
        load_ms rss pss \
        tl_lost tl_cpu_pct cg_rcodes load0 load1; do
        case $key in
        dp_qps) label="QPS (dnsperf)" ;;
        tl_qps) label="QPS (tibra-load)" ;;
        dp_lat) label="mean latency us (dnsperf)" ;;
        tl_p50_us) label="p50 latency us (tibra-load)" ;;
        tl_p99_us) label="p99 latency us (tibra-load)" ;;
        ir) label="user instructions/query (callgrind)" ;;
        cpu_us) label="server CPU us/query, user+sys (during tibra-load)" ;;
        cpu_user) label="user share of server CPU, % (during tibra-load)" ;;
        load_ms) label="zone load, $load_names names, ms" ;;
        rss) label="RSS kB, $names names" ;;
        pss) label="PSS kB, $names names" ;;
        tl_lost) label="lost queries (tibra-load)" ;;
        tl_cpu_pct) label="generator CPU % (tibra-load)" ;;
        cg_rcodes) label="rcodes of the $cg_queries callgrind queries" ;;
        load0) label="load average (1 min) at the start" ;;
        load1) label="load average (1 min) at the end" ;;
        esac
        printf '| %s |' "$label"
        for s in $servers; do printf ' %s |' "${R[$s.$key]:-n/a}"; done
        case $key in
        tl_lost | tl_cpu_pct | cg_rcodes | load0 | load1 | cpu_user)
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
