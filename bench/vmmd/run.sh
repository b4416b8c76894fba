#!/usr/bin/env bash
# bench/vmmd/run.sh -- the unikernel manager against starting the tender
# by hand (docs/BENCHMARKS-unikernel.md, "The manager"):
#   1. create-to-first-answer: `tibra create NAME IMAGE --net
#      service0=br0` (the CLI, the daemon's checks, image store, TAP,
#      bridge, fork+exec of the tender as nobody) until the first correct
#      UDP answer, against `tibra-spt/-hvt --net:service0=TAP IMAGE` on a
#      TAP made beforehand and already on the bridge; ROUNDS each,
#      alternating, median and min.
#   2. memory with N small unikernels (spt, --mem 16): the daemon's RSS,
#      the sum of the tenders' RSS, against N tenders by hand.
# Root; runs in a network namespace of its own.  Not part of make check.
#
#   bench/vmmd/run.sh [BUILD-DIR] [ROUNDS] [N]
set -u
O=${1:-build}
ROUNDS=${2:-10}
N=${3:-50}
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
H="$src/$O/host-$(uname -m)"
[ "$(id -u)" = 0 ] || { echo "bench/vmmd: needs root"; exit 1; }
if [ -z "${TIBRA_IN_NETNS:-}" ]; then
    exec unshare -n env TIBRA_IN_NETNS=1 bash "$0" "$@"
fi
TMP=$(mktemp -d)
chmod 755 "$TMP"
DPID=
cleanup() {
    [ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
    for p in $(pgrep -f "$TMP/"); do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT
ip link set lo up
ip link add br0 type bridge
ip addr add 10.0.0.1/16 dev br0
ip link set br0 up
mkdir -p "$TMP/s/zones"
cp "$src/examples/zones/example.org.zone" "$TMP/s/zones/"
svc() { # NAME ADDR TARGET
    printf 'service: name %s; target %s; memory 16M\n         address %s/16; gateway 10.0.0.1\nzone:    example.org; file zones/example.org.zone\n' \
        "$1" "$3" "$2" >"$TMP/s/$1.conf"
    "$H/tibra" build -q "$TMP/s/$1.conf" -o "$TMP/$1.$3" || exit 1
}
"$H/tibra-vmmd" --state "$TMP/state" --socket "$TMP/sock" --user nobody \
    >"$TMP/vmmd.log" 2>&1 &
DPID=$!
for _ in $(seq 100); do [ -S "$TMP/sock" ] && break; sleep 0.1; done
TB() { "$H/tibra" "$@" --socket "$TMP/sock"; }
med() { sort -n | awk '{a[NR]=$1} END {printf "median %.2f ms, min %.2f ms (%d runs)", (NR%2?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2), a[1], NR}'; }

targets=spt
[ -r /dev/kvm ] && [ -w /dev/kvm ] && targets="spt hvt"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
echo "== 1. create to first answer (${ROUNDS} rounds each)"
for t in $targets; do
    svc "fa$t" 10.0.1.2 "$t"
    ip tuntap add dev tbhand mode tap
    ip link set tbhand master br0
    ip link set tbhand up
    : >"$TMP/m.$t" ; : >"$TMP/h.$t"
    for r in $(seq "$ROUNDS"); do
        # Both start with an empty neighbour cache (their MACs differ).
        ip neigh flush dev br0
        out=$(python3 "$here/firstans.py" 10.0.1.2 -- "$H/tibra" create fa \
            "$TMP/fa$t.$t" --net service0=br0 --socket "$TMP/sock") ||
            { echo "manager $t round $r: $out"; exit 1; }
        echo "$out" | sed -n 's/first_answer_ms=\([0-9.]*\).*/\1/p' >>"$TMP/m.$t"
        TB destroy fa >/dev/null
        ip neigh flush dev br0
        # By hand: the same image under its tender on a ready TAP, as root.
        out=$(FA_WAIT=0 python3 "$here/firstans.py" 10.0.1.2 -- \
            "$H/tender/$t/tibra-$t" --mem=16 --net:service0=tbhand \
            --net-mac:service0=02:00:00:00:01:02 "$TMP/fa$t.$t") ||
            { echo "by hand $t round $r: $out"; exit 1; }
        echo "$out" | sed -n 's/first_answer_ms=\([0-9.]*\).*/\1/p' >>"$TMP/h.$t"
        pkill -TERM -f "tibra-$t --mem=16 --net:service0=tbhand"
        for _ in $(seq 50); do
            pgrep -f "net:service0=tbhand" >/dev/null || break; sleep 0.1
        done
    done
    echo "$t manager: $(med <"$TMP/m.$t")"
    echo "$t by hand: $(med <"$TMP/h.$t")"
    ip link del tbhand
done

echo "== 2. memory with $N small unikernels (spt, --mem 16)"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
R0=$(rss "$DPID")
svc mem 10.0.2.1 spt
for i in $(seq "$N"); do
    a=10.0.$((2 + i / 200)).$((i % 200 + 10))
    # One image for all: the address comes from --arg (later words win).
    TB create "m$i" "$TMP/mem.spt" --net service0=br0 \
        --arg "--ipv4=$a/16" >/dev/null || { echo "create m$i failed"; exit 1; }
done
ok=0
for i in $(seq "$N"); do
    a=10.0.$((2 + i / 200)).$((i % 200 + 10))
    [ "$(dig +time=2 +tries=3 +short @"$a" www.example.org A)" = 192.0.2.10 ] && ok=$((ok + 1))
done
R1=$(rss "$DPID")
T=0
for p in $(pgrep -f "$TMP/state/images/"); do T=$((T + $(rss "$p"))); done
echo "answering: $ok of $N"
echo "daemon RSS: ${R0} KiB idle, ${R1} KiB with $N unikernels"
echo "tenders' RSS: $((T / 1024)) MiB in all, $((T / N)) KiB each"
for i in $(seq "$N"); do TB destroy "m$i" >/dev/null; done
# By hand: N tenders on N TAPs, no daemon.
T=0
for i in $(seq "$N"); do
    a=10.0.$((2 + i / 200)).$((i % 200 + 10))
    ip tuntap add dev "th$i" mode tap && ip link set "th$i" master br0 up
    "$H/tender/spt/tibra-spt" --mem=16 --net:service0="th$i" "$TMP/mem.spt" \
        "--ipv4=$a/16" >/dev/null 2>&1 &
done
sleep 2
for p in $(pgrep -f "tibra-spt --mem=16 --net:service0=th"); do T=$((T + $(rss "$p"))); done
echo "by hand: tenders' RSS $((T / 1024)) MiB in all, $((T / N)) KiB each"
pkill -TERM -f "tibra-spt --mem=16 --net:service0=th"
sleep 1
