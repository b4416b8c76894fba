#!/usr/bin/env bash
# bench/axfr.sh -- AXFR out: tibra-dnsd against NSD and Knot DNS as
# primaries of one large zone (bench/gen-zone), side by side in one run,
# into the same client.
#
#   bench/axfr.sh [-n NAMES] [-r ROUNDS] [-x CHANGES] [SERVER...]
#                 (default: 1000000 names, 5 rounds, 1000 changes, nsd
#                 knot tibra)
#
# Every server runs at once, on its own port, pinned to CPU 0 with one
# worker (NSD server-count 1, Knot 1 TCP worker, tibra-dnsd workers 1);
# the client, pinned to CPU 1, asks each in turn, round after round
# (interleaved: a load change on this shared machine hits all alike),
# with a small Python reader (below) that sends the AXFR query and reads
# the TCP stream until the answer counts of the messages add up to the
# zone's records plus the closing SOA, parsing nothing but the 2-byte
# lengths and the headers.  It reports, per server, the median time over
# ROUNDS transfers, records/s, messages and bytes, and the ratios of
# tibra-dnsd against each peer (what docs/BENCHMARKS.md records).  Then,
# with CHANGES > 0, the first CHANGES A records get new addresses under
# serial 2, the servers reload (tibra-dnsd SIGHUP, knotc zone-reload with
# zonefile-load: difference; NSD 4.6 serves no IXFR and is left out) and
# the client (dnspython's IXFR reader, the same for both) takes IXFR from
# serial 1, ROUNDS times each, interleaved: the medians again.  Only PIDs
# started here are stopped; ports are picked free on 127.0.0.1; every
# wait is bounded.
#
# Environment: O (build dir, default build), TIBRA_DNSD (tibra-dnsd path).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
O=${O:-build}
case "$O" in /*) ;; *) O="$src/$O" ;; esac
tibra=${TIBRA_DNSD:-$O/unix-$(uname -m)/tibra-dnsd}
names=1000000
rounds=5
changes=1000
while getopts n:r:x: o; do
    case $o in
    n) names=$OPTARG ;;
    r) rounds=$OPTARG ;;
    x) changes=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
servers=${*:-nsd knot tibra}
[ -x "$tibra" ] || { echo "axfr.sh: $tibra not built" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-axfr.XXXXXX")
declare -A P PT # server -> PID, port
stop() { # name
    local pid=${P[$1]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    P[$1]=
}
cleanup() {
    for s in "${!P[@]}"; do stop "$s"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
origin=bench.example
summary=$("$here/gen-zone" -n "$names" -q 1 --origin "$origin" "$tmp/z")
echo "$summary"
records=$(printf '%s\n' "$summary" | sed -n 's/.* \([0-9]*\) records.*/\1/p')
zf=$tmp/z/$origin.zone
# A fresh port for each server: a peer's children may linger a moment.
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cat >"$tmp/client.py" <<'PY'
import socket, struct, sys, time
port, want, rounds = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
q = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0)
for label in sys.argv[4].split("."):
    q += bytes([len(label)]) + label.encode()
q += b"\0" + struct.pack(">HH", 252, 1)
times = []
for _ in range(rounds):
    s = socket.create_connection(("127.0.0.1", port), timeout=120)
    t0 = time.perf_counter()
    s.sendall(struct.pack(">H", len(q)) + q)
    buf, got, msgs, total = bytearray(), 0, 0, 0
    while got < want:
        d = s.recv(1 << 20)
        if not d:
            sys.exit("connection closed after %d of %d records" % (got, want))
        buf += d
        total += len(d)
        off = 0
        while len(buf) - off >= 14:
            n = (buf[off] << 8) | buf[off + 1]
            if len(buf) - off < 2 + n:
                break
            if buf[off + 5] & 0xF:
                sys.exit("rcode %d" % (buf[off + 5] & 0xF))
            got += (buf[off + 8] << 8) | buf[off + 9]
            msgs += 1
            off += 2 + n
        del buf[:off]
    times.append(time.perf_counter() - t0)
    s.close()
times.sort()
print("%.4f %d %d %d" % (times[len(times) // 2], got, msgs, total))
PY

start() { # name: writes the config, starts the server on CPU 0
    local d=$tmp/$1 port
    port=$(free_port)
    PT[$1]=$port
    mkdir -p "$d"
    case $1 in
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
    logfile: "$d/log"
    verbosity: 0
zone:
    name: "$origin"
    zonefile: "$zf"
    provide-xfr: 127.0.0.1 NOKEY
EOF
        taskset -c 0 nsd -d -c "$d/nsd.conf" 2>"$d/log" &
        ;;
    knot)
        cat >"$d/knot.conf" <<EOF
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
    any: warning
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    semantic-checks: off
zone:
  - domain: $origin
    file: "$d/zone"
    acl: xfr
EOF
        cp "$zf" "$d/zone"
        taskset -c 0 knotd -c "$d/knot.conf" 2>"$d/log" &
        ;;
    tibra)
        cat >"$d/bench.conf" <<EOF
service: name bench; target unix; workers 1
         listen 127.0.0.1@$port
zone:    $origin; file $d/zone; allow-transfer 127.0.0.1
EOF
        cp "$zf" "$d/zone"
        taskset -c 0 "$tibra" "$d/bench.conf" 2>"$d/log" &
        ;;
    esac
    P[$1]=$!
    for _ in $(seq 3000); do # a large zone loads in tens of seconds
        kill -0 "${P[$1]}" 2>/dev/null || { cat "$d/log"; return 1; }
        dig @127.0.0.1 -p "$port" +time=1 +tries=1 +short "$origin" SOA 2>/dev/null |
            grep -Eq "^[^;]" && return 0
        sleep 0.1
    done
    echo "$1 did not answer within 300 s" >&2
    return 1
}

cat >"$tmp/ixfr.py" <<'PY'
import sys, time, dns.query, dns.rdatatype
port, rounds, origin = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
times = []
for _ in range(rounds):
    n = msgs = 0
    t0 = time.perf_counter()
    for m in dns.query.xfr("127.0.0.1", origin, rdtype=dns.rdatatype.IXFR,
                           serial=1, port=port, lifetime=120):
        msgs += 1
        n += sum(len(r) for r in m.answer)
    times.append(time.perf_counter() - t0)
times.sort()
print("%.4f %d %d" % (times[len(times) // 2], n, msgs))
PY

# The zone's version 2: the first $changes A records get new addresses.
awk -v c="$changes" '
    / SOA / && !s { sub(/ hostmaster 1 /, " hostmaster 2 "); s = 1 }
    $2 == "A" && $3 ~ /^10\./ && k < c { $3 = "172.16." int(k / 256) "." k % 256; k++ }
    { print }' "$zf" >"$tmp/v2.zone"

reload_v2() { # name: version 2 in, reloaded, serial 2 served
    local d=$tmp/$1
    cp "$tmp/v2.zone" "$d/zone"
    case $1 in
    tibra) kill -HUP "${P[$1]}" ;;
    knot) knotc -c "$d/knot.conf" zone-reload "$origin" >/dev/null ;;
    esac
    for _ in $(seq 600); do
        [ "$(dig @127.0.0.1 -p "${PT[$1]}" +time=1 +tries=1 +short "$origin" SOA |
            awk '{print $3}')" = 2 ] && return 0
        sleep 0.1
    done
    echo "$1: serial 2 not served within 60 s" >&2
    return 1
}

median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# Every server loaded at once (different ports, all on CPU 0, idle when
# not asked), then the rounds interleaved: a load change on this shared
# machine hits every server alike.
for s in $servers; do start "$s" || exit 1; done
for r in $(seq "$rounds"); do
    for s in $servers; do
        taskset -c 1 /usr/bin/python3 "$tmp/client.py" "${PT[$s]}" \
            $((records + 1)) 1 "$origin" >>"$tmp/$s.axfr" ||
            { echo "axfr.sh: $s: the AXFR failed" >&2; exit 1; }
    done
done
xs=""
if [ "$changes" -gt 0 ]; then
    for s in $servers; do
        [ "$s" = nsd ] && continue # NSD 4.6 serves no IXFR
        reload_v2 "$s" || exit 1
        xs="$xs $s"
    done
    for r in $(seq "$rounds"); do
        for s in $xs; do
            taskset -c 1 /usr/bin/python3 "$tmp/ixfr.py" "${PT[$s]}" 1 \
                "$origin" >>"$tmp/$s.ixfr" || exit 1
        done
    done
fi
declare -A T X
printf '%-6s %10s %12s %9s %12s\n' server median_s records/s messages bytes
for s in $servers; do
    t=$(awk '{print $1}' "$tmp/$s.axfr" | median)
    read -r _ got msgs bytes <"$tmp/$s.axfr"
    T[$s]=$t
    printf '%-6s %10s %12.0f %9s %12s\n' "$s" "$t" \
        "$(echo "$got / $t" | bc -l)" "$msgs" "$bytes"
done
for s in $xs; do
    t=$(awk '{print $1}' "$tmp/$s.ixfr" | median)
    read -r _ n m <"$tmp/$s.ixfr"
    X[$s]="$t $n $m"
done
for s in $servers; do
    [ -n "${X[$s]:-}" ] || continue
    read -r t n m <<<"${X[$s]}"
    printf 'IXFR of %s changes: %-6s median %s s, %s records, %s messages\n' \
        "$changes" "$s" "$t" "$n" "$m"
done
if [ -n "${X[tibra]:-}" ] && [ -n "${X[knot]:-}" ]; then
    printf 'IXFR: tibra-dnsd time / knot time: %.2f\n' \
        "$(echo "${X[tibra]%% *} / ${X[knot]%% *}" | bc -l)"
fi
if [ -n "${T[tibra]:-}" ]; then
    for p in nsd knot; do
        [ -n "${T[$p]:-}" ] &&
            printf 'tibra-dnsd time / %s time: %.2f\n' "$p" \
                "$(echo "${T[tibra]} / ${T[$p]}" | bc -l)"
    done
fi
exit 0
