#!/usr/bin/env bash
# bench/unikernel/run.sh -- the DNS unikernel (app/dnsd/guest, images from
# `tibra build`) measured side by side in one run (never run by `make
# check`; root: it creates and removes its own network namespaces and TAP
# devices, named tbb*_PID):
#
#   1. size: the spt, hvt and unix images of three services (the example
#      zone, a 10k-record and a 100k-record zone), stripped as `tibra
#      build` writes them (unix: also stripped), split into the zone
#      bundle (<tibra/bundle.h>, found by its magic) and the rest (code,
#      data, manifest);
#   2. boot to first answer: bench/unikernel/firstans starts the tender
#      (the clock starts just before fork+exec) inside a network namespace
#      whose TAP the guest gets, and asks www.example.org A every 1 ms until
#      a correct answer comes; the image serves examples/zones/
#      example.org.zone as examples/ns1-spt.conf declares it (tcp-clients
#      by default, so the guest sizes its pools from --mem); spt and hvt at
#      each --mem of BOOT_MEMS, and the unix image (host sockets, loopback
#      of the namespace), interleaved, BOOT_ROUNDS rounds (hvt
#      HVT_BOOT_ROUNDS); the neighbour entry for the guest is flushed before
#      every boot.  For hvt also the guest instructions (`perf record -e
#      kvm:kvm_emulate_insn`, timestamps on firstans's clock) from the start
#      to READY and to the first answer, and the guest functions they were
#      spent in (bench/unikernel/insn-split.py);
#   3. the smallest --mem (MiB) with which the 10k- and 100k-record images
#      (tcp-clients 100) boot and answer: 300 queries of the zone's query
#      file over UDP, all answered with the rcodes tibra-dnsd gives them,
#      and the SOA over TCP; spt: doubling from 2 MiB, then bisection; hvt
#      (slow to boot under emulation): spt's result, then one below;
#   4. QPS and CPU per query through a TAP, 100k-record zone, interleaved
#      rounds (QPS_ROUNDS of QPS_SECS each per server and tool, medians),
#      with bench/tibra-load (100 in flight) and dnsperf (-q 100) run in the
#      client namespace C on CPU 0; every server side on CPU 1:
#        tibra-spt  C --TAP--> tibra-spt (the guest's own stack, lib/net)
#        tibra-hvt  C --TAP--> tibra-hvt (the same, under KVM)
#        nsd-tap    C --TAP--> relay (netload relay, a process copying
#                   frames) --TAP--> namespace S: Linux's stack -> nsd
#        knot-tap   the same path -> knotd
#        dnsd-tap   the same path -> tibra-dnsd (Tibra as a Linux process)
#        nsd-veth   C --veth--> namespace V: Linux's stack -> nsd (no
#                   user-space hop: the bound no TAP design reaches)
#      Server CPU per answered query: utime+stime of the server's processes
#      (and of the relay, for the *-tap servers), /proc/PID/stat, during
#      the tibra-load rounds; with tick accounting (no IRQ time accounting)
#      softirq work is charged to the process it interrupted, so the TAP
#      writes' network processing lands on the relay or the tender.  Also
#      the whole machine's busy time per query (/proc/stat; includes the
#      client, and anyone else's jobs).  For hvt, guest instructions per
#      query (perf stat -e kvm:kvm_emulate_insn on the tender).
#
# Usage: bench/unikernel/run.sh [-o OUTDIR] [PART...]   (parts: size boot
#        mem qps; default all).  Needs `make O=$O` first.
# Environment: O (build dir, default build), BOOT_ROUNDS (20),
# HVT_BOOT_ROUNDS (5), HVT_PERF_ROUNDS (1 per size), BOOT_MEMS ("16 4":
# MiB; 16 as examples/ns1-spt.conf declares), QPS_ROUNDS (3), QPS_SECS (5),
# QPS_MEM (64), INFLIGHT (100), SERVERS (tibra-spt tibra-hvt nsd-tap
# knot-tap dnsd-tap nsd-veth), NO_HVT=1 (skip hvt everywhere).
# Every wait is bounded; only the PIDs started here are signalled.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
O=${O:-build}
case "$O" in /*) ;; *) O="$src/$O" ;; esac
arch=$(uname -m)
out="$O/bench-unikernel"
while getopts o: opt; do
    case $opt in
    o) out=$OPTARG ;;
    *) echo "usage: bench/unikernel/run.sh [-o OUTDIR] [size|boot|mem|qps...]" >&2
       exit 2 ;;
    esac
done
shift $((OPTIND - 1))
parts=" ${*:-size boot mem qps} "

TIBRA="$O/bin/tibra"
SPT="$O/bin/tibra-spt"
HVT="$O/bin/tibra-hvt"
DNSD="$O/bin/tibra-dnsd"
LOAD="$O/unix-$arch/bench/tibra-load"
RELAY="$O/unix-$arch/bench/net/netload"
FA="$out/firstans"
SPLIT="$here/insn-split.py"
boot_rounds=${BOOT_ROUNDS:-20}
hvt_boot_rounds=${HVT_BOOT_ROUNDS:-5}
hvt_perf_rounds=${HVT_PERF_ROUNDS:-1}
boot_mems=${BOOT_MEMS:-16 4}
qps_rounds=${QPS_ROUNDS:-3}
qps_secs=${QPS_SECS:-5}
qps_mem=${QPS_MEM:-64}
inflight=${INFLIGHT:-100}
servers=${SERVERS:-tibra-spt tibra-hvt nsd-tap knot-tap dnsd-tap nsd-veth}
srv_cpu=1
gen_cpu=0

[ "$(id -u)" = 0 ] || { echo "bench/unikernel: needs root (netns, TAP)"; exit 77; }
[ -c /dev/net/tun ] || { echo "bench/unikernel: no /dev/net/tun"; exit 77; }
for f in "$TIBRA" "$SPT" "$DNSD" "$LOAD" "$RELAY"; do
    [ -x "$f" ] || { echo "bench/unikernel: $f missing: make O=$O first"; exit 1; }
done
for t in ip taskset dig nsd knotd dnsperf cc python3 strip; do
    command -v $t >/dev/null || { echo "bench/unikernel: $t missing (deps.txt)"; exit 1; }
done
hvt=1
if [ -n "${NO_HVT:-}" ] || [ ! -x "$HVT" ] || [ ! -w /dev/kvm ]; then
    hvt=0
    servers=${servers/tibra-hvt/}
fi
perf_ok=0
command -v perf >/dev/null && perf list 2>/dev/null | grep -q 'kvm:kvm_emulate_insn' &&
    perf_ok=1

mkdir -p "$out/logs"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tbb-unikernel.XXXXXX")
C=tbbc_$$ S=tbbs_$$ V=tbbv_$$
started=()      # every PID started here (servers, relay), for the trap
# ours PID: true while PID runs something started here (its command line
# names our temporary directory, or is our relay): a reused PID is never
# signalled.
ours() {
    tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -qE "$tmp/|relay tbr1 tbr2"
}
cleanup() {
    local p
    for p in "${started[@]}"; do ours "$p" && kill -TERM "$p" 2>/dev/null; done
    for p in "${started[@]}"; do
        for _ in $(seq 30); do ours "$p" || break; sleep 0.1; done
        ours "$p" && kill -KILL "$p" 2>/dev/null
    done
    for n in $C $S $V; do ip netns del "$n" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
log() { printf '%s\n' "$*" | tee -a "$out/logs/run.log"; }
: >"$out/logs/run.log"
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)] }'; }
minimum() { sort -g | head -1; }
pct() { # P: the P-th percentile (nearest rank) of numbers on stdin
    sort -g | awk -v p="$1" '{ a[NR] = $1 } END { if (NR) { i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print a[i] } }'
}
ratio() {
    awk -v a="${1:-}" -v b="${2:-}" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else printf "n/a" }'
}
declare -A R

# Stops PID (TERM, then KILL after 5 s) and forgets it.
stop_pid() {
    local p=$1 keep=() x
    ours "$p" && kill -TERM "$p" 2>/dev/null
    for _ in $(seq 50); do ours "$p" || break; sleep 0.1; done
    ours "$p" && kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    for x in "${started[@]}"; do [ "$x" = "$p" ] || keep+=("$x"); done
    started=("${keep[@]}")
}

# --- tools, data, images ------------------------------------------------------
cc -std=c11 -O2 -Wall -Wextra -Werror -o "$FA" "$here/firstans.c" ||
    { echo "bench/unikernel: cannot build firstans"; exit 1; }
log "bench/unikernel: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), load $(cut -d' ' -f1-3 /proc/loadavg)"
log "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r); kvm: $(dmesg 2>/dev/null | grep -o 'kvm[-_a-z]*: loaded' | head -1)"
log "$("$TIBRA" --version 2>/dev/null | head -1); $(nsd -v 2>&1 | head -1); $(knotd -V 2>&1 | head -1); dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ {print $2}'); $(perf --version 2>/dev/null)"

# gen NAME RECORDS: a gen-zone zone with at least RECORDS records.
gen() {
    local d="$tmp/$1" want=$2 n rec
    n=$((want * 78 / 100))
    for _ in $(seq 20); do
        rec=$("$src/bench/gen-zone" -n "$n" -q 20000 "$d" |
            sed -n 's/.* names, \([0-9]*\) records.*/\1/p')
        [ "${rec:-0}" -ge "$want" ] && break
        n=$((n + (want - rec) * 78 / 100 + 1))
    done
    R[$1.records]=$rec
    R[$1.names]=$n
    log "zone $1: gen-zone -n $n: $rec records"
}
gen z10k 10000
gen z100k 100000
mkdir -p "$tmp/ex"
cp "$src/examples/zones/example.org.zone" "$tmp/ex/"

# svc NAME ORIGIN ZONEFILE MEM [EXTRA]: service files for the guest targets
# (address on the TAP) and for unix (listen on the namespace's loopback).
svc() {
    cat >"$tmp/$1.g.conf" <<EOF
service: name $1; target spt; memory ${4}M
         address 10.77.0.2/24; gateway 10.77.0.1
         ${5:-}
zone:    $2; file $3
EOF
    cat >"$tmp/$1.u.conf" <<EOF
service: name $1; target unix
         listen 127.0.0.1@5353
         ${5:-}
zone:    $2; file $3
EOF
}
# Boot: examples/ns1-spt.conf's service (16M, tcp-clients by default).
svc ex example.org "$tmp/ex/example.org.zone" 16
# The measured zones: tcp-clients 100 (NSD's default tcp-count) keeps the
# pools, and so an hvt boot, small.
svc z10k bench.example "$tmp/z10k/bench.example.zone" 8 "tcp-clients 100"
svc z100k bench.example "$tmp/z100k/bench.example.zone" "$qps_mem" "tcp-clients 100"
# Records as the zone compiler counts them (tibra-dnsd -c -v).
for z in ex z10k z100k; do
    R[$z.records]=$("$DNSD" -c -v "$tmp/$z.u.conf" 2>&1 |
        sed -n 's/.*, \([0-9]*\) records, \([0-9]*\) bytes compiled.*/\1/p')
done
img="$tmp/img"
mkdir -p "$img"
targets="spt unix"
[ $hvt = 1 ] && targets="spt hvt unix"
for z in ex z10k z100k; do
    for t in $targets; do
        c="$tmp/$z.g.conf"
        [ $t = unix ] && c="$tmp/$z.u.conf"
        if ! "$TIBRA" build "$c" --target $t -o "$img/$z.$t" >>"$out/logs/build.log" 2>&1; then
            log "tibra build $z --target $t failed:"
            tail -5 "$out/logs/build.log"
            exit 1
        fi
    done
done
log "images built with $TIBRA build (records in $out/logs/build.log)"
# dbg_twin IMAGE TARGET: rebuilds IMAGE with its symbols (IMAGE.dbg) by
# replaying the link.txt recipe `tibra build` used, on a copy of the
# library and the bundle taken out of IMAGE; kept only if stripping it
# gives IMAGE byte for byte.  (tibra build keeps no symbols; the profiles
# of step 2 need them.)
dbg_twin() {
    local im=$1 t=$2 lib="$O/lib/tibra/$2-$arch" d="$tmp/dbg.$2" cc oc sde
    rm -rf "$d" && mkdir -p "$d" && cp -r "$lib"/. "$d"/ || return 1
    python3 - "$im" "$d/tibra-bundle.bin" <<'PYEOF' || return 1
import struct, sys
d = open(sys.argv[1], "rb").read()
o = d.find(b"TBBUNDL1")
while o >= 0:
    n = struct.unpack_from("<I", d, o + 8)[0]
    if 40 <= n <= len(d) - o and o % 16 == 0:
        open(sys.argv[2], "wb").write(d[o:o + n])
        sys.exit(0)
    o = d.find(b"TBBUNDL1", o + 1)
sys.exit(1)
PYEOF
    printf '%s\n' '# The bundle of compiled zones and default arguments (bundle.h),' \
        '# written by tibra build.' '	.section .rodata.tibra.bundle,"a"' \
        '	.balign 16' '	.globl tb_bundle_start' 'tb_bundle_start:' \
        '	.incbin "tibra-bundle.bin"' '	.globl tb_bundle_end' 'tb_bundle_end:' \
        '	.section .note.GNU-stack,"",%progbits' >"$d/tibra-bundle.s"
    cc=$(awk '$1 == "cc" {print $2}' "$d/link.txt")
    oc=$(awk '$1 == "objcopy" {print $2}' "$d/link.txt")
    sde=$(awk '$1 == "source-date-epoch" {print $2}' "$d/link.txt")
    sub() { sed -n "s/^$1 //p" "$d/link.txt" | sed 's/@BUNDLE_S@/tibra-bundle.s/; s/@BUNDLE_O@/tibra-bundle.o/;
        s/@DEBUG@/tibra-image.dbg/; s/@IMAGE@/tibra-image/'; }
    # shellcheck disable=SC2046
    (cd "$d" && env -i LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH="$sde" PATH=/usr/bin:/bin \
        "$cc" $(sub assemble) && env -i LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH="$sde" \
        PATH=/usr/bin:/bin "$cc" $(sub link) && env -i LC_ALL=C TZ=UTC \
        SOURCE_DATE_EPOCH="$sde" PATH=/usr/bin:/bin "$oc" $(sub strip)) \
        >>"$out/logs/build.log" 2>&1 || return 1
    cmp -s "$d/tibra-image" "$im" || { log "dbg_twin: the relinked $t image differs from $im"; return 1; }
    cp "$d/tibra-image.dbg" "$im.dbg"
    rm -rf "$d"
}
dbg_hvt=
if [ $hvt = 1 ] && dbg_twin "$img/ex.hvt" hvt; then
    dbg_hvt="$img/ex.hvt.dbg"
    log "ex.hvt relinked with symbols: stripped, it is the same image byte for byte"
fi

# --- 1. size -----------------------------------------------------------------
size_part() {
    local z t f
    for z in ex z10k z100k; do
        for t in $targets; do
            f="$img/$z.$t"
            [ $t = unix ] && { cp "$f" "$tmp/s.unix"; strip -s "$tmp/s.unix"; f="$tmp/s.unix"; }
            read -r R[$z.$t.size] R[$z.$t.bundle] <<<"$(python3 - "$f" <<'EOF'
import struct, sys
d = open(sys.argv[1], "rb").read()
best = 0
o = d.find(b"TBBUNDL1")
while o >= 0:
    n = struct.unpack_from("<I", d, o + 8)[0] if o + 12 <= len(d) else 0
    if 40 <= n <= len(d) - o:
        best = max(best, n)
    o = d.find(b"TBBUNDL1", o + 1)
print(len(d), best)
EOF
)"
            R[$z.$t.code]=$(( R[$z.$t.size] - R[$z.$t.bundle] ))
            log "size $z.$t: ${R[$z.$t.size]} bytes = bundle ${R[$z.$t.bundle]} + rest ${R[$z.$t.code]}"
        done
    done
}

# --- the network ---------------------------------------------------------------
# C: the client side: tbs0 (spt guest 10.77.0.2), tbh0 (hvt guest
# 10.76.0.2), tbr1 (relay to S, 10.79.0.1), tbv0 (veth to V, 10.78.0.1).
net_up() {
    ip netns add $C && ip netns add $S && ip netns add $V || return 1
    for n in $C $S $V; do ip -n $n link set lo up; done
    ip -n $C tuntap add tbs0 mode tap && ip -n $C addr add 10.77.0.1/24 dev tbs0 &&
        ip -n $C link set tbs0 up || return 1
    ip -n $C tuntap add tbh0 mode tap && ip -n $C addr add 10.76.0.1/24 dev tbh0 &&
        ip -n $C link set tbh0 up || return 1
    ip -n $C tuntap add tbr1 mode tap && ip -n $C tuntap add tbr2 mode tap &&
        ip -n $C addr add 10.79.0.1/24 dev tbr1 && ip -n $C link set tbr1 up || return 1
    ip netns exec $C taskset -c $srv_cpu "$RELAY" relay tbr1 tbr2 7200 \
        >"$out/logs/relay.log" 2>&1 &
    RELAY_PID=$!
    started+=("$RELAY_PID")
    for _ in $(seq 50); do grep -q READY "$out/logs/relay.log" && break; sleep 0.1; done
    ip -n $C link set tbr2 netns $S &&
        ip -n $S addr add 10.79.0.2/24 dev tbr2 && ip -n $S addr add 10.79.0.3/24 dev tbr2 &&
        ip -n $S addr add 10.79.0.4/24 dev tbr2 && ip -n $S link set tbr2 up || return 1
    ip -n $C link add tbv0 type veth peer name tbv1 netns $V &&
        ip -n $C addr add 10.78.0.1/24 dev tbv0 && ip -n $V addr add 10.78.0.2/24 dev tbv1 &&
        ip -n $C link set tbv0 up && ip -n $V link set tbv1 up || return 1
}
net_up || { echo "bench/unikernel: cannot set up the namespaces"; exit 1; }
# Runs a command in C (never in the background: "cx CMD &" would make $!
# a subshell's PID, not CMD's; background commands use ip netns exec).
cx() { ip netns exec $C "$@"; }

# guest TARGET -> "TAP IP4" of that target's TAP in C
guest_tap() { if [ "$1" = hvt ]; then echo "tbh0 10.76.0.2"; else echo "tbs0 10.77.0.2"; fi; }
tender() { if [ "$1" = hvt ]; then echo "$HVT"; else echo "$SPT"; fi; }

# --- 2. boot to first answer ---------------------------------------------------
# boot_one TARGET MIB ROUND: one boot; appends to R[boot.TARGET@MIB.*]
# (unix: MIB is ignored, the key is unix@-).
boot_one() {
    local t=$1 m=$2 r=$3 k="$1@$2" f="$out/logs/boot.$1.$2.$3" tap ip line
    read -r tap ip <<<"$(guest_tap "$t")"
    if [ "$t" = unix ]; then
        cx "$FA" -C $srv_cpu -s 127.0.0.1 -p 5353 -k KILL -t 20000 -- \
            "$img/ex.unix" >"$f" 2>&1
    else
        ip -n $C neigh flush dev "$tap" 2>/dev/null
        cx "$FA" -C $srv_cpu -s "$ip" -k KILL -t 60000 -- "$(tender "$t")" \
            --mem="$m" --net:service0="$tap" "$img/ex.$t" \
            --ipv4="$ip/24" >"$f" 2>&1
    fi
    line=$(grep '^first_answer_us=' "$f")
    if [ -z "$line" ]; then
        log "boot $t --mem=$m round $r: FAILED: $(tail -2 "$f" | tr '\n' ' ')"
        return 1
    fi
    [ -n "${R[boot.$k.line]:-}" ] || R[boot.$k.line]=$(grep -m1 'serving' "$f")
    R[boot.$k.fa]="${R[boot.$k.fa]:-} $(sed 's/.*first_answer_us=\([0-9.]*\).*/\1/' <<<"$line")"
    R[boot.$k.rd]="${R[boot.$k.rd]:-} $(sed 's/.*ready_us=\([0-9.-]*\).*/\1/' <<<"$line")"
    R[boot.$k.sent]="${R[boot.$k.sent]:-} $(sed 's/.* sent=\([0-9]*\).*/\1/' <<<"$line")"
}
# boot_hvt_perf MIB ROUND: the hvt boot under perf record, split by
# insn-split.py at READY and at the first answer.
boot_hvt_perf() {
    local m=$1 r=$2 f="$out/logs/boot.hvt-perf.$1.$2" line
    ip -n $C neigh flush dev tbh0 2>/dev/null
    cx "$FA" -w -C $srv_cpu -s 10.76.0.2 -k KILL -t 120000 -- perf record -q \
        -k CLOCK_MONOTONIC -o "$tmp/perf.data" -e kvm:kvm_emulate_insn \
        -e kvm:kvm_pio "$HVT" --mem="$m" --net:service0=tbh0 \
        "$img/ex.hvt" --ipv4=10.76.0.2/24 >"$f" 2>&1
    line=$(grep '^first_answer_us=' "$f")
    if [ -z "$line" ]; then
        log "boot hvt --mem=$m under perf, round $r: FAILED: $(tail -2 "$f" | tr '\n' ' ')"
        return 1
    fi
    perf script -i "$tmp/perf.data" --ns -F time,event,trace 2>/dev/null |
        python3 "$SPLIT" "$line" "${dbg_hvt:-/dev/null}" 8 >"$f.split"
    rm -f "$tmp/perf.data"
    log "boot hvt --mem=$m under perf, round $r: $(sed 's/ t0_ns.*//' <<<"$line"); $(head -1 "$f.split")"
    tail -n +2 "$f.split" | sed 's/^/    /' | tee -a "$out/logs/run.log"
    R[boot.hvt@$m.insn]="${R[boot.hvt@$m.insn]:-} $(sed -n '1s/.*insn_first=\([0-9]*\).*/\1/p' "$f.split")"
    R[boot.hvt@$m.insn_ready]="${R[boot.hvt@$m.insn_ready]:-} $(sed -n '1s/.*insn_ready=\([0-9]*\).*/\1/p' "$f.split")"
    R[boot.hvt@$m.pio]="${R[boot.hvt@$m.pio]:-} $(sed -n '1s/.*pio_first=\([0-9]*\).*/\1/p' "$f.split")"
}
boot_keys=()
boot_part() {
    local r t m
    log ""
    log "=== boot to first answer: $boot_rounds rounds (hvt $hvt_boot_rounds), --mem in {$boot_mems} ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
    for m in $boot_mems; do
        boot_keys+=("spt@$m")
        [ $hvt = 1 ] && boot_keys+=("hvt@$m")
    done
    boot_keys+=("unix@-")
    for r in $(seq "$boot_rounds"); do
        for m in $boot_mems; do
            boot_one spt "$m" "$r"
            [ $hvt = 1 ] && [ "$r" -le "$hvt_boot_rounds" ] && boot_one hvt "$m" "$r"
        done
        boot_one unix - "$r"
    done
    for k in "${boot_keys[@]}"; do
        [ -n "${R[boot.$k.fa]:-}" ] || continue
        log "boot $k first answer us:${R[boot.$k.fa]}"
        log "boot $k READY us:${R[boot.$k.rd]}"
        log "boot $k queries sent:${R[boot.$k.sent]}"
        log "boot $k: ${R[boot.$k.line]:-}"
    done
    if [ $hvt = 1 ] && [ $perf_ok = 1 ]; then
        for m in $boot_mems; do
            for r in $(seq "$hvt_perf_rounds"); do boot_hvt_perf "$m" "$r"; done
        done
    elif [ $hvt = 1 ]; then
        log "boot hvt: no perf with kvm tracepoints: instruction counts not measured"
    fi
    R[boot.load]=$(cut -d' ' -f1-3 /proc/loadavg)
}

# --- 3. smallest memory --------------------------------------------------------
# The rcodes tibra-dnsd gives to the first 300 queries of each zone's file
# (on the client namespace's loopback, port 5353).
ref_rcodes() { # ZONE
    local p
    ip netns exec $C "$DNSD" "$tmp/$1.u.conf" >"$out/logs/ref.$1.log" 2>&1 &
    p=$!
    started+=("$p")
    for _ in $(seq 100); do
        cx dig +short +time=1 +tries=1 -p 5353 @127.0.0.1 bench.example SOA 2>/dev/null |
            grep -q hostmaster && break
        sleep 0.1
    done
    R[$1.ref]=$(cx "$LOAD" -s 127.0.0.1 -p 5353 -n 300 -c 4 -S 1 -t 2000 \
        "$tmp/$1/queries.txt" | sed -n 's/^rcodes: *//p')
    stop_pid "$p"
    log "reference rcodes ($1, first 300 queries, tibra-dnsd): ${R[$1.ref]}"
}
# mem_ok ZONE TARGET MIB: 0 if the image boots with --mem=MIB and answers.
mem_ok() {
    local z=$1 t=$2 m=$3 tap ip p f="$out/logs/mem.$1.$2.$3" ok=1 to=20 rc
    read -r tap ip <<<"$(guest_tap "$t")"
    [ "$t" = hvt ] && to=240
    ip -n $C neigh flush dev "$tap" 2>/dev/null
    ip netns exec $C taskset -c $srv_cpu "$(tender "$t")" --mem="$m" --net:service0="$tap" \
        "$img/$z.$t" --ipv4="$ip/24" >"$f" 2>&1 &
    p=$!
    started+=("$p")
    for _ in $(seq $((to * 10))); do
        grep -q '^READY' "$f" && break
        kill -0 "$p" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q '^READY' "$f" && kill -0 "$p" 2>/dev/null; then
        echo "bench: no READY after $to s; state: $(ps -o stat=,wchan=,etimes= -p "$p")" >>"$f"
    fi
    if grep -q '^READY' "$f"; then
        rc=$(cx "$LOAD" -s "$ip" -n 300 -c 4 -S 1 -t 5000 "$tmp/$z/queries.txt" 2>&1 |
            tee "$f.load" | sed -n 's/^rcodes: *//p')
        if [ "$rc" = "${R[$z.ref]}" ] &&
            cx dig +tcp +short +time=5 +tries=2 @"$ip" bench.example SOA | grep -q hostmaster; then
            ok=0
        fi
    fi
    stop_pid "$p"
    R[mem.$z.$t.line.$m]=$(grep -m1 'serving\|not enough\|outside guest\|^bench:' "$f")
    log "mem $z $t --mem=$m: $([ $ok = 0 ] && echo serves || echo no): ${R[mem.$z.$t.line.$m]}"
    return $ok
}
# min_mem ZONE TARGET [START [LO]]: the smallest --mem that serves, by doubling
# from START (2) until one serves, then bisection below it; sets
# R[mem.Z.T] and R[mem.Z.T.line] (the guest's boot line at that size).
min_mem() {
    local z=$1 t=$2 lo=${4:-0} hi="" m=${3:-2}
    while [ "$m" -le 4096 ]; do
        if mem_ok "$z" "$t" "$m"; then hi=$m; break; fi
        lo=$m
        m=$((m * 2))
    done
    [ -n "$hi" ] || { R[mem.$z.$t]=">4096"; return; }
    # (lo: the largest size known not to serve; 0 if none was tried.)
    while [ $((hi - lo)) -gt 1 ]; do
        m=$(((lo + hi) / 2))
        if mem_ok "$z" "$t" "$m"; then hi=$m; else lo=$m; fi
    done
    R[mem.$z.$t]=$hi
    R[mem.$z.$t.line]=${R[mem.$z.$t.line.$hi]}
    log "smallest --mem for $z on $t: $hi MiB"
}
# min_mem_near ZONE TARGET GUESS: the same, for a target that boots slowly
# (hvt under emulation): GUESS, then GUESS-1 (two boots when GUESS is the
# answer), bisection or min_mem beyond.
min_mem_near() {
    local z=$1 t=$2 g=$3 lo hi m
    if ! mem_ok "$z" "$t" "$g"; then
        min_mem "$z" "$t" $((g * 2)) "$g"
        return
    fi
    hi=$g
    lo=$((g - 1))
    if [ "$lo" -ge 1 ] && mem_ok "$z" "$t" "$lo"; then
        hi=$lo
        lo=0
        while [ $((hi - lo)) -gt 1 ]; do
            m=$(((lo + hi) / 2))
            if mem_ok "$z" "$t" "$m"; then hi=$m; else lo=$m; fi
        done
    fi
    R[mem.$z.$t]=$hi
    R[mem.$z.$t.line]=${R[mem.$z.$t.line.$hi]}
    log "smallest --mem for $z on $t: $hi MiB"
}
mem_part() {
    local z
    log ""
    log "=== smallest memory ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
    for z in z10k z100k; do
        ref_rcodes "$z"
        min_mem "$z" spt
        # hvt boots slowly under emulation: start at spt's minimum.
        if [ $hvt = 1 ] && [[ ${R[mem.$z.spt]} =~ ^[0-9]+$ ]]; then
            min_mem_near "$z" hvt "${R[mem.$z.spt]}"
        fi
    done
    R[mem.load]=$(cut -d' ' -f1-3 /proc/loadavg)
}

# --- 4. QPS through the TAP path ------------------------------------------------
declare -A ADDR PIDS
ADDR[tibra-spt]=10.77.0.2 ADDR[tibra-hvt]=10.76.0.2 ADDR[nsd-tap]=10.79.0.2
ADDR[knot-tap]=10.79.0.3 ADDR[dnsd-tap]=10.79.0.4 ADDR[nsd-veth]=10.78.0.2
nsd_conf() { # DIR ADDR
    mkdir -p "$1"
    cat >"$1/nsd.conf" <<EOF
server:
    ip-address: $2@53
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$1/zone.list"
    xfrdfile: "$1/xfrd.state"
    xfrdir: "$1"
    pidfile: "$1/nsd.pid"
    logfile: "$1/nsd.log"
    rrl-ratelimit: 0
    verbosity: 0
remote-control:
    control-enable: no
zone:
    name: "bench.example"
    zonefile: "$tmp/z100k/bench.example.zone"
EOF
}
knot_conf() { # DIR ADDR
    mkdir -p "$1"
    cat >"$1/knot.conf" <<EOF
server:
    rundir: "$1"
    listen: $2@53
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$1/knot.sock"
database:
    storage: "$1"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$1"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: bench.example
    file: "$tmp/z100k/bench.example.zone"
EOF
}
# shellcheck disable=SC2046
tree() { local p; for p in "$@"; do echo "$p"; tree $(ps -o pid= --ppid "$p"); done; }
start_server() { # NAME
    local s=$1 d="$tmp/srv.$1" f="$out/logs/qps.$1.server"
    mkdir -p "$d"
    case $s in
    tibra-spt) ip netns exec $C taskset -c $srv_cpu "$SPT" --mem="$qps_mem" --net:service0=tbs0 \
                   "$img/z100k.spt" --ipv4=10.77.0.2/24 >"$f" 2>&1 & ;;
    tibra-hvt) ip netns exec $C taskset -c $srv_cpu "$HVT" --mem="$qps_mem" --net:service0=tbh0 \
                   "$img/z100k.hvt" --ipv4=10.76.0.2/24 >"$f" 2>&1 & ;;
    nsd-tap) nsd_conf "$d" 10.79.0.2
             ip netns exec $S taskset -c $srv_cpu nsd -d -c "$d/nsd.conf" >"$f" 2>&1 & ;;
    nsd-veth) nsd_conf "$d" 10.78.0.2
              ip netns exec $V taskset -c $srv_cpu nsd -d -c "$d/nsd.conf" >"$f" 2>&1 & ;;
    knot-tap) knot_conf "$d" 10.79.0.3
              ip netns exec $S taskset -c $srv_cpu knotd -c "$d/knot.conf" >"$f" 2>&1 & ;;
    dnsd-tap) printf 'service: name bench; target unix\n         listen 10.79.0.4@53; workers 1\nzone:    bench.example; file %s\n' \
                  "$tmp/z100k/bench.example.zone" >"$d/bench.conf"
              ip netns exec $S taskset -c $srv_cpu "$DNSD" "$d/bench.conf" >"$f" 2>&1 & ;;
    esac
    PIDS[$s]=$!
    started+=("$!")
}
wait_server() { # NAME TIMEOUT_S
    local s=$1 p
    for _ in $(seq $(($2 * 2))); do
        cx dig +short +time=1 +tries=1 @"${ADDR[$s]}" bench.example SOA 2>/dev/null |
            grep -q hostmaster && break
        kill -0 "${PIDS[$s]}" 2>/dev/null || return 1
        sleep 0.4
    done
    cx dig +short +time=2 +tries=1 @"${ADDR[$s]}" bench.example SOA 2>/dev/null |
        grep -q hostmaster || return 1
    # Every thread on the server CPU (Knot pins its UDP threads itself).
    for p in $(tree "${PIDS[$s]}"); do taskset -a -p -c $srv_cpu "$p" >/dev/null 2>&1; done
}
side_pids() { # NAME -> the PIDs whose CPU time is the server side's
    tree "${PIDS[$1]}"
    case $1 in nsd-tap | knot-tap | dnsd-tap) echo "$RELAY_PID" ;; esac
}
cpu_ticks() { # PID... -> utime+stime (ticks), summed; every thread counted
    local p f t=0
    for p in "$@"; do
        f=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        set -- $f
        t=$((t + ${12:-0} + ${13:-0}))
    done
    echo $t
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
qps_part() {
    local s r f t0 b0 t1 b1 ans hz p pp
    hz=$(getconf CLK_TCK)
    log ""
    log "=== QPS through the TAP path: $qps_rounds rounds of $qps_secs s per server and tool, servers: $servers ($(date -u +%H:%M:%S), load $(cut -d' ' -f1-3 /proc/loadavg))"
    for s in $servers; do start_server "$s"; done
    for s in $servers; do
        if ! wait_server "$s" 300; then
            log "qps: $s does not answer; its log:"
            tail -5 "$out/logs/qps.$s.server"
            servers=${servers/$s/}
        fi
    done
    for s in $servers; do
        R[qps.$s.rc]=$(cx "$LOAD" -s "${ADDR[$s]}" -n 1000 -c 10 -S 1 -t 5000 \
            "$tmp/z100k/queries.txt" | sed -n 's/^rcodes: *//p')
        log "qps: $s answers the first 1000 queries with: ${R[qps.$s.rc]}"
    done
    grep -m1 serving "$out/logs/qps.tibra-spt.server" 2>/dev/null | tee -a "$out/logs/run.log"
    for r in $(seq "$qps_rounds"); do
        for s in $servers; do
            f="$out/logs/qps.$s.tibra-load.$r"
            # shellcheck disable=SC2046
            t0=$(cpu_ticks $(side_pids "$s"))
            r0=$(cpu_ticks "$RELAY_PID")
            b0=$(busy_ticks)
            pp=
            if [ "$s" = tibra-hvt ] && [ $perf_ok = 1 ]; then
                perf stat -x, -o "$f.perf" -e kvm:kvm_emulate_insn \
                    -p "${PIDS[$s]}" -- sleep "$qps_secs" >/dev/null 2>&1 &
                pp=$!
            fi
            cx taskset -c $gen_cpu "$LOAD" -s "${ADDR[$s]}" -d "$qps_secs" \
                -c "$inflight" -S 1 "$tmp/z100k/queries.txt" >"$f" 2>&1
            [ -n "$pp" ] && wait "$pp"
            # shellcheck disable=SC2046
            t1=$(cpu_ticks $(side_pids "$s"))
            r1=$(cpu_ticks "$RELAY_PID")
            b1=$(busy_ticks)
            ans=$(sed -n 's/^RESULT.* answered=\([0-9]*\).*/\1/p' "$f")
            # server side, whole machine, relay alone (us per answered query)
            awk -v d=$((t1 - t0)) -v b=$((b1 - b0)) -v r=$((r1 - r0)) -v a="${ans:-0}" -v hz="$hz" \
                'BEGIN { if (a > 0) printf "%.2f %.2f %.2f\n", d * 1e6 / hz / a, b * 1e6 / hz / a, r * 1e6 / hz / a; else print "n/a n/a n/a" }' >"$f.cpu"
            if [ -n "$pp" ]; then
                awk -F, -v a="${ans:-0}" '/kvm_emulate_insn/ { if (a > 0) printf "%.0f\n", $1 / a }' \
                    "$f.perf" >"$f.insn"
            fi
            log "$s: tibra-load round $r: $(grep '^RESULT' "$f"); CPU us/query: server side, machine, relay: $(cat "$f.cpu")$([ -s "$f.insn" ] && echo "; guest instructions/query $(cat "$f.insn")")"
        done
    done
    for r in $(seq "$qps_rounds"); do
        for s in $servers; do
            f="$out/logs/qps.$s.dnsperf.$r"
            cx taskset -c $gen_cpu dnsperf -s "${ADDR[$s]}" -d "$tmp/z100k/queries.txt" \
                -l "$qps_secs" -q "$inflight" >"$f" 2>&1
            log "$s: dnsperf round $r: $(awk '/Queries per second/ {q = $4}
                /Average Latency/ {l = $4 * 1e6} /Queries lost/ {x = $3}
                END {printf "%.0f qps, avg latency %.0f us, lost %s", q, l, x}' "$f")"
        done
    done
    for s in $servers; do
        R[qps.$s.tl]=$(sed -n 's/^RESULT qps=\([0-9]*\).*/\1/p' "$out/logs/qps.$s".tibra-load.? | median)
        R[qps.$s.tl_all]=$(sed -n 's/^RESULT qps=\([0-9]*\).*/\1/p' "$out/logs/qps.$s".tibra-load.? | tr '\n' ' ')
        for k in p50_us p99_us cpu_pct; do
            R[qps.$s.$k]=$(sed -n "s/^RESULT.* $k=\([0-9]*\).*/\1/p" "$out/logs/qps.$s".tibra-load.? | median)
        done
        R[qps.$s.lost]=$(sed -n 's/^RESULT.* lost=\([0-9]*\).*/\1/p' "$out/logs/qps.$s".tibra-load.? |
            awk '{ t += $1 } END { print t + 0 }')
        R[qps.$s.cpu]=$(cat "$out/logs/qps.$s".tibra-load.?.cpu | awk '{print $1}' | median)
        R[qps.$s.cpu_all]=$(cat "$out/logs/qps.$s".tibra-load.?.cpu | awk '{print $1}' | tr '\n' ' ')
        R[qps.$s.mcpu]=$(cat "$out/logs/qps.$s".tibra-load.?.cpu | awk '{print $2}' | median)
        case $s in
        nsd-tap | knot-tap | dnsd-tap)
            R[qps.$s.rcpu]=$(cat "$out/logs/qps.$s".tibra-load.?.cpu | awk '{print $3}' | median) ;;
        esac
        R[qps.$s.dp]=$(cat "$out/logs/qps.$s".dnsperf.? | awk '/Queries per second/ {printf "%.0f\n", $4}' | median)
        R[qps.$s.dp_all]=$(cat "$out/logs/qps.$s".dnsperf.? | awk '/Queries per second/ {printf "%.0f ", $4}')
        R[qps.$s.dp_lat]=$(cat "$out/logs/qps.$s".dnsperf.? | awk '/Average Latency/ {printf "%.0f\n", $4 * 1e6}' | median)
        if ls "$out/logs/qps.$s".tibra-load.?.insn >/dev/null 2>&1; then
            R[qps.$s.insn]=$(cat "$out/logs/qps.$s".tibra-load.?.insn | median)
        fi
    done
    for s in $servers; do stop_pid "${PIDS[$s]}"; done
    for s in tibra-spt tibra-hvt; do
        [ -f "$out/logs/qps.$s.server" ] && grep -A8 'stopping' "$out/logs/qps.$s.server" >>"$out/logs/run.log"
    done
    R[qps.load]=$(cut -d' ' -f1-3 /proc/loadavg)
}

# --- run ------------------------------------------------------------------------
R[load0]=$(cut -d' ' -f1-3 /proc/loadavg)
[[ $parts == *" size "* ]] && size_part
[[ $parts == *" boot "* ]] && boot_part
[[ $parts == *" mem "* ]] && mem_part
[[ $parts == *" qps "* ]] && qps_part
R[load1]=$(cut -d' ' -f1-3 /proc/loadavg)
log "=== done ($(date -u +%H:%M:%S), load ${R[load1]})"

# --- report ---------------------------------------------------------------------
list() { printf '%s\n' $1; }   # word list -> lines
{
    echo "# bench/unikernel/run.sh results $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "- $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); kernel $(uname -r); $(dmesg 2>/dev/null | grep -o 'kvm[-_a-z]*: loaded' | head -1)"
    echo "- $("$TIBRA" --version 2>/dev/null | head -1), built in $O"
    echo "- load average at the start ${R[load0]}, at the end ${R[load1]}"
    if [[ $parts == *" size "* ]]; then
        echo
        echo "## Image size (bytes, stripped)"
        echo
        echo "| service | records | target | image | zone bundle | rest (code, data) |"
        echo "|---|---:|---|---:|---:|---:|"
        for z in ex z10k z100k; do
            for t in $targets; do
                echo "| $z | ${R[$z.records]} | $t | ${R[$z.$t.size]} | ${R[$z.$t.bundle]} | ${R[$z.$t.code]} |"
            done
        done
    fi
    if [[ $parts == *" boot "* ]]; then
        echo
        echo "## Boot to first answer (ms; a query every 1 ms from t0 = just before fork+exec)"
        echo
        echo "| target | --mem | runs | median | min | p90 | max | READY median | queries sent (median) |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
        for k in "${boot_keys[@]}"; do
            [ -n "${R[boot.$k.fa]:-}" ] || continue
            fa=$(list "${R[boot.$k.fa]}")
            printf '| %s | %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %s |\n' "${k%@*}" "${k#*@}" \
                "$(wc -l <<<"$fa")" "$(median <<<"$fa" | awk '{print $1/1000}')" \
                "$(minimum <<<"$fa" | awk '{print $1/1000}')" \
                "$(pct 90 <<<"$fa" | awk '{print $1/1000}')" \
                "$(pct 100 <<<"$fa" | awk '{print $1/1000}')" \
                "$(list "${R[boot.$k.rd]}" | median | awk '{print $1/1000}')" \
                "$(list "${R[boot.$k.sent]}" | median)"
        done
        echo
        for k in "${boot_keys[@]}"; do
            [ -n "${R[boot.$k.line]:-}" ] && echo "- $k: \`${R[boot.$k.line]}\`"
        done
        for m in $boot_mems; do
            [ -n "${R[boot.hvt@$m.insn]:-}" ] || continue
            echo "- hvt --mem=$m, guest instructions emulated (kvm:kvm_emulate_insn) per run: to READY${R[boot.hvt@$m.insn_ready]}; to the first answer${R[boot.hvt@$m.insn]}; port-I/O exits to the first answer${R[boot.hvt@$m.pio]}"
        done
        echo "(load at the end of this part: ${R[boot.load]:-})"
    fi
    if [[ $parts == *" mem "* ]]; then
        echo
        echo "## Smallest --mem that serves (MiB)"
        echo
        echo "| zone | records | target | --mem | the guest's boot line at that size |"
        echo "|---|---:|---|---:|---|"
        for z in z10k z100k; do
            for t in spt hvt; do
                [ -n "${R[mem.$z.$t]:-}" ] || continue
                echo "| $z | ${R[$z.records]} | $t | ${R[mem.$z.$t]} | \`${R[mem.$z.$t.line]:-}\` |"
            done
        done
        echo
        echo "(load at the end of this part: ${R[mem.load]:-})"
    fi
    if [[ $parts == *" qps "* ]]; then
        echo
        echo "## QPS through the TAP path (100k-record zone, $qps_rounds rounds x $qps_secs s, $inflight in flight; medians)"
        echo
        printf '| metric |'
        for s in $servers; do printf ' %s |' "$s"; done
        printf ' spt/nsd-tap | spt/knot-tap |\n|---|'
        for s in $servers; do printf -- '---:|'; done
        printf -- '---:|---:|\n'
        for k in tl dp p50_us p99_us dp_lat cpu rcpu mcpu insn lost cpu_pct tl_all dp_all cpu_all rc; do
            case $k in
            tl) l="QPS (tibra-load)" ;; dp) l="QPS (dnsperf)" ;;
            p50_us) l="p50 latency us (tibra-load)" ;; p99_us) l="p99 latency us (tibra-load)" ;;
            dp_lat) l="mean latency us (dnsperf)" ;;
            cpu) l="server-side CPU us/query (+ relay for *-tap)" ;;
            rcpu) l="of which the relay" ;;
            mcpu) l="whole-machine busy CPU us/query" ;;
            insn) l="guest instructions/query (hvt, emulated)" ;;
            lost) l="lost queries (tibra-load, all rounds)" ;;
            cpu_pct) l="generator CPU % (tibra-load)" ;;
            tl_all) l="rounds: QPS tibra-load" ;; dp_all) l="rounds: QPS dnsperf" ;;
            cpu_all) l="rounds: server-side CPU us/query" ;;
            rc) l="rcodes of the first 1000 queries" ;;
            esac
            printf '| %s |' "$l"
            for s in $servers; do printf ' %s |' "${R[qps.$s.$k]:-}"; done
            case $k in
            tl | dp | p50_us | p99_us | dp_lat | cpu | mcpu)
                printf ' %s | %s |\n' "$(ratio "${R[qps.tibra-spt.$k]:-}" "${R[qps.nsd-tap.$k]:-}")" \
                    "$(ratio "${R[qps.tibra-spt.$k]:-}" "${R[qps.knot-tap.$k]:-}")" ;;
            *) printf ' | |\n' ;;
            esac
        done
        # Round by round (each pair measured seconds apart): how often spt
        # was at least as fast as each TAP reference.
        for ref in nsd-tap knot-tap; do
            [ -n "${R[qps.tibra-spt.tl_all]:-}" ] && [ -n "${R[qps.$ref.tl_all]:-}" ] || continue
            for k in tl_all dp_all; do
                paste <(list "${R[qps.tibra-spt.$k]}") <(list "${R[qps.$ref.$k]}") |
                    awk -v k="$k" -v ref="$ref" '{ n++; if ($1 >= $2) w++ }
                    END { printf "- %s: tibra-spt >= %s in %d of %d interleaved rounds\n",
                          k == "tl_all" ? "tibra-load" : "dnsperf", ref, w, n }'
            done
        done
        echo
        echo "(load at the end of this part: ${R[qps.load]:-})"
    fi
} >"$out/results.md"
echo
cat "$out/results.md"
