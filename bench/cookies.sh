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
    *) echo "usage: bench/cookies.sh [-d SECONDS] [-o OUTDIR]" >&2; exit 2 ;;
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

SECRET=e5e973e5a6b2a43f48e7dc849e37bfcf
CL=2464c4abcf10c957
origin=bench.example
mkdir -p "$out/logs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-cookies.XXXXXX")
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
log() { printf '%s\n' "$*" | tee -a "$out/logs/cookies.log"; }
: >"$out/logs/cookies.log"

"$here/gen-zone" -n "$names" "$tmp/z" >>"$out/logs/cookies.log"
zf="$tmp/z/$origin.zone"
queries="$tmp/z/queries.txt"
read -r -a ports <<EOF
$(/usr/bin/python3 "$src/tests/diff/dnsdiff.py" ports 4)
EOF
declare -A PORT=([nsd]=${ports[0]} [knot]=${ports[1]} [tibra]=${ports[2]})
cgport=${ports[3]}

mkdir -p "$tmp/nsd" "$tmp/knot" "$tmp/tibra"
cat >"$tmp/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@${PORT[nsd]}
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$tmp/nsd/zone.list"
    xfrdfile: "$tmp/nsd/xfrd.state"
    pidfile: "$tmp/nsd/nsd.pid"
    rrl-ratelimit: 0
    answer-cookie: yes
    cookie-secret: "$SECRET"
    verbosity: 0
remote-control:
    control-enable: no
zone:
    name: "$origin"
    zonefile: "$zf"
EOF
cat >"$tmp/knot/knot.conf" <<EOF
server:
    rundir: "$tmp/knot"
    listen: 127.0.0.1@${PORT[knot]}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$tmp/knot"
log:
  - target: stderr
    any: error
mod-cookies:
  - id: default
    secret: 0x$SECRET
template:
  - id: default
    storage: "$tmp/knot"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    global-module: mod-cookies/default
zone:
  - domain: $origin
    file: "$zf"
EOF
echo $SECRET >"$tmp/tibra/secret"
tconf() { # PORT: a tibra-dnsd service file on PORT
    printf 'service: name bench; target unix; workers 1\n'
    printf '         listen 127.0.0.1@%s; cookie-secret-file secret\n' "$1"
    printf 'zone:    %s; file %s\n' "$origin" "$zf"
}
tconf "${PORT[tibra]}" >"$tmp/tibra/bench.conf"
tconf "$cgport" >"$tmp/tibra/cg.conf"

start() { # NAME CMD...
    local name=$1
    shift
    taskset -c 1 "$@" >"$tmp/$name.out" 2>&1 </dev/null &
    started+=("$!")
}
start nsd nsd -d -c "$tmp/nsd/nsd.conf"
start knot knotd -c "$tmp/knot/knot.conf"
start tibra "$tibra" "$tmp/tibra/bench.conf"
for s in nsd knot tibra; do
    for _ in $(seq 300); do
        dig @127.0.0.1 -p "${PORT[$s]}" +tcp +time=1 +tries=1 +short \
            "$origin" SOA 2>/dev/null | grep -q . && break
        sleep 0.1
    done
    dig @127.0.0.1 -p "${PORT[$s]}" +tcp +time=1 +tries=1 +short "$origin" SOA |
        grep -q . || { log "bench: $s does not answer: $(cat "$tmp/$s.out")"; exit 1; }
done
# Knot pins its threads itself: every thread back on CPU 1.
for p in "${started[@]}"; do taskset -a -p -c 1 "$p" >/dev/null 2>&1; done

ck=$(dig @127.0.0.1 -p "${PORT[tibra]}" +cookie=$CL "$origin" SOA |
    sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p')
[ ${#ck} = 48 ] || { log "bench: no cookie from tibra-dnsd"; exit 1; }
for s in nsd knot; do # valid there too (else the run measures BADCOOKIE)
    dig @127.0.0.1 -p "${PORT[$s]}" +cookie="$ck" +nobadcookie "$origin" SOA |
        grep -q "status: NOERROR" || { log "bench: the cookie is not valid at $s"; exit 1; }
done
log "cookie $ck (valid at all three)"

declare -A R
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
for r in $(seq "$rounds"); do
    for s in nsd knot tibra; do
        for m in plain cookie; do
            opt=(-e)
            [ $m = cookie ] && opt=(-E "10:$ck")
            f="$out/logs/cookies.$s.$m.$r"
            taskset -c 0 dnsperf -s 127.0.0.1 -p "${PORT[$s]}" -d "$queries" \
                -l "$secs" -q 100 "${opt[@]}" >"$f" 2>&1
            q=$(awk '/Queries per second/ {print int($4)}' "$f")
            lost=$(awk '/Queries lost/ {print $3}' "$f")
            log "round $r $s $m: ${q:-?} qps, lost ${lost:-?}"
        done
    done
done
for s in nsd knot tibra; do
    for m in plain cookie; do
        R[$s.$m]=$(cat "$out/logs/cookies.$s.$m".* |
            awk '/Queries per second/ {print int($4)}' | median)
    done
done

# Instructions per query in the service core (answer included).
for m in plain cookie; do
    opt=(-e)
    [ $m = cookie ] && opt=(-E "10:$ck")
    taskset -c 1 valgrind --tool=callgrind --toggle-collect=dns_srv_udp \
        --callgrind-out-file="$tmp/cg.$m" "$tibra" "$tmp/tibra/cg.conf" \
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
        -t 5 "${opt[@]}" >"$out/logs/cookies.cg.$m" 2>&1
    kill -TERM "$vp"
    for _ in $(seq 100); do kill -0 "$vp" 2>/dev/null || break; sleep 0.1; done
    done_q=$(awk '/Queries completed/ {print $3}' "$out/logs/cookies.cg.$m")
    ir=$(callgrind_annotate "$tmp/cg.$m" 2>/dev/null |
        awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
    R[tibra.ir.$m]=$(awk -v i="${ir:-0}" -v q="${done_q:-0}" \
        'BEGIN {if (q > 0) printf "%.0f", i / q; else print "?"}')
    log "callgrind $m: $ir instructions, $done_q queries"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "?"}'; }
{
    echo "# DNS Cookies: cost (bench/cookies.sh, $(date -u +%Y-%m-%d))"
    echo
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds of ${secs} s, medians."
    echo
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
