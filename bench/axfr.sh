#!/usr/bin/env bash
# bench/axfr.sh -- AXFR out: tibra-dnsd against NSD and Knot DNS as
# primaries of one large zone (bench/gen-zone), side by side in one run,
# into the same client.
#
#   bench/axfr.sh [-n NAMES] [-r ROUNDS] [SERVER...]   (default: 1000000
#                                                       names, 5 rounds,
#                                                       nsd knot tibra)
#
# Each server runs alone, pinned to CPU 0 with one worker (NSD
# server-count 1, Knot 1 TCP worker, tibra-dnsd workers 1); the client,
# pinned to CPU 1, is a small Python reader (below): it sends the AXFR
# query and reads the TCP stream until the answer counts of the messages
# add up to the zone's records plus the closing SOA, parsing nothing but
# the 2-byte lengths and the header.  It reports, per server, the median
# time over ROUNDS transfers, records/s, messages and bytes, and the
# ratios of tibra-dnsd against each peer (what docs/BENCHMARKS.md
# records).  Only PIDs started here are stopped; ports are picked free on
# 127.0.0.1; every wait is bounded.
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
while getopts n:r: o; do
    case $o in
    n) names=$OPTARG ;;
    r) rounds=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
servers=${*:-nsd knot tibra}
[ -x "$tibra" ] || { echo "axfr.sh: $tibra not built" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-axfr.XXXXXX")
PID=
cleanup() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null
        for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$PID" 2>/dev/null
    fi
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
    local d=$tmp/$1
    port=$(free_port)
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
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
  - domain: $origin
    file: "$zf"
    acl: xfr
EOF
        taskset -c 0 knotd -c "$d/knot.conf" 2>"$d/log" &
        ;;
    tibra)
        cat >"$d/bench.conf" <<EOF
service: name bench; target unix; workers 1
         listen 127.0.0.1@$port
zone:    $origin; file $zf; allow-transfer 127.0.0.1
EOF
        taskset -c 0 "$tibra" "$d/bench.conf" 2>"$d/log" &
        ;;
    esac
    PID=$!
    for _ in $(seq 3000); do # a large zone loads in tens of seconds
        kill -0 "$PID" 2>/dev/null || { cat "$d/log"; return 1; }
        dig @127.0.0.1 -p "$port" +time=1 +tries=1 +short "$origin" SOA 2>/dev/null |
            grep -Eq "^[^;]" && return 0
        sleep 0.1
    done
    echo "$1 did not answer within 300 s" >&2
    return 1
}

stop() {
    kill -TERM "$PID" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null
    wait "$PID" 2>/dev/null
    PID=
}

declare -A T
printf '%-6s %10s %12s %9s %12s\n' server median_s records/s messages bytes
for s in $servers; do
    start "$s" || exit 1
    r=$(taskset -c 1 /usr/bin/python3 "$tmp/client.py" "$port" \
        $((records + 1)) "$rounds" "$origin") || { stop; exit 1; }
    stop
    read -r t got msgs bytes <<<"$r"
    T[$s]=$t
    printf '%-6s %10s %12.0f %9s %12s\n' "$s" "$t" \
        "$(echo "$got / $t" | bc -l)" "$msgs" "$bytes"
done
if [ -n "${T[tibra]:-}" ]; then
    for p in nsd knot; do
        [ -n "${T[$p]:-}" ] &&
            printf 'tibra-dnsd time / %s time: %.2f\n' "$p" \
                "$(echo "${T[tibra]} / ${T[$p]}" | bc -l)"
    done
fi
