#!/usr/bin/env bash
# bench/res_hits.sh -- user-space instructions per answered cache hit:
# tibra-dnsd's resolver (a resolver: statement) against Unbound, both under
# callgrind, whole process (so the event loop, recvfrom/sendto wrappers,
# parsing, lookup and answer all count), one thread each (never run by
# `make check`).
#
#   bench/res_hits.sh            (as root: it makes a network namespace)
#
# In a private network namespace, NSD serves a root zone holding
# www.example. A on 127.0.0.1; both resolvers get it as their root hints
# (Unbound: module-config "iterator", num-threads 1).  A client asks each
# for www.example. A (with EDNS) 50 times (the first resolves, the rest
# are hits), reads the process's instruction total, asks N more times
# (N = CG_QUERIES, 2000) and reports (total after - total before) / N.
# The client waits for every answer before the next query, so idle wakeups
# are part of the count for both.
#
# DNSSEC=on signs the root zone (ldns-signzone, ECDSA P-256) and both
# resolvers validate from its DS (Tibra's trust-anchor, Unbound's
# trust-anchor-file with module-config "validator iterator"): the hits
# are then of a SECURE answer (AD set: the client sets AD); DNSSEC=do
# also sets DO (the answer carries the RRSIG).  Default off: both without
# validation (trust-anchor none, "iterator").
#
# Environment: O (build dir, default build), TIBRA_DNSD, CG_QUERIES,
# DNSSEC.  Only the PIDs started here are stopped; every wait is bounded.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
O=${O:-build}
case "$O" in /*) ;; *) O="$src/$O" ;; esac
DNSD=${TIBRA_DNSD:-$O/unix-$(uname -m)/tibra-dnsd}
N=${CG_QUERIES:-2000}
DNSSEC=${DNSSEC:-off}
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)"; exit 1; }
for t in nsd unbound valgrind callgrind_control python3; do
    command -v $t >/dev/null || { echo "$t not installed"; exit 1; }
done
[ -x "$DNSD" ] || { echo "$DNSD not built"; exit 1; }

NS=tbhits$$
T=$(mktemp -d "${TMPDIR:-/tmp}/tibra-hits.XXXXXX")
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 100); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$p" 2>/dev/null
    done
    ip netns del "$NS" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
cd "$T" || exit 1

cat >root.zone <<'EOF'
$TTL 86400
.            SOA a.root. host.root. 1 1800 900 604800 60
.            NS  a.root.
a.root.      A   127.0.0.1
www.example. A   192.0.2.1
EOF
zonefile=root.zone
anchor="trust-anchor none"
modules="iterator"
qflags=0x0100
do=0x0000
if [ "$DNSSEC" != off ]; then
    command -v ldns-signzone >/dev/null || { echo "ldns-signzone not installed"; exit 1; }
    k=$(ldns-keygen -a ECDSAP256SHA256 -k .) && z=$(ldns-keygen -a ECDSAP256SHA256 .) ||
        exit 1
    ldns-signzone -o . -f root.zone.signed root.zone "$k" "$z" || exit 1
    awk '{ print $1, 3600, "IN", "DS", $4, $5, $6, $7 }' "$k.ds" >root.ds
    zonefile=root.zone.signed
    anchor="trust-anchor $T/root.ds"
    modules="validator iterator"
    qflags=0x0120 # RD, AD
    [ "$DNSSEC" = do ] && do=0x8000
fi
cat >nsd.conf <<EOF
server:
  ip-address: 127.0.0.1
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$T"
  pidfile: "$T/nsd.pid"
  database: ""
  xfrdfile: "$T/xfrd.state"
  zonelistfile: "$T/zl"
  logfile: "$T/nsd.log"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: "."
  zonefile: "$T/$zonefile"
EOF
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n' >hints
cat >res.conf <<EOF
service:
    listen 127.0.0.1@5399
    workers 1
resolver:
    listen 127.0.0.1@5300
    root-hints $T/hints
    $anchor
EOF
ua=""
[ "$DNSSEC" != off ] && ua="trust-anchor-file: \"$T/root.ds\""
cat >unbound.conf <<EOF
server:
    interface: 127.0.0.1
    port: 5301
    do-ip6: no
    username: ""
    chroot: ""
    directory: "$T"
    pidfile: "$T/unbound.pid"
    use-syslog: no
    logfile: "$T/unbound.log"
    root-hints: "$T/hints"
    module-config: "$modules"
    do-not-query-localhost: no
    num-threads: 1
    $ua
remote-control:
    control-enable: no
EOF
cat >load.py <<'EOF'
import socket, struct, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
flags, do = int(sys.argv[3], 0), int(sys.argv[4], 0)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
q = lambda i: (struct.pack(">HHHHHH", i & 0xffff, flags, 1, 0, 0, 1) +
               b"\x03www\x07example\x00\x00\x01\x00\x01" +
               b"\x00\x00\x29\x04\xd0\x00\x00" + struct.pack(">H", do) +
               b"\x00\x00")
want_ad = flags & 0x20
ok = 0
for i in range(n):
    s.sendto(q(i), ("127.0.0.1", port))
    try:
        r = s.recv(2048)
        if len(r) > 40 and (not want_ad or r[3] & 0x20):
            ok += 1
    except socket.timeout:
        pass
if ok != n:
    sys.exit("port %d: %d of %d answered" % (port, ok, n))
EOF
ip netns exec "$NS" nsd -d -c "$T/nsd.conf" >nsd.out 2>&1 &
PIDS+=($!)
ip netns exec "$NS" valgrind --tool=callgrind \
    --callgrind-out-file="$T/cg.tibra" "$DNSD" "$T/res.conf" >tibra.log 2>&1 &
PIDS+=($!)
tibra=$!
ip netns exec "$NS" valgrind --tool=callgrind \
    --callgrind-out-file="$T/cg.unbound" unbound -d -c "$T/unbound.conf" \
    >unbound.log 2>&1 &
PIDS+=($!)
unbound=$!

total() { # PID: instructions of all its threads so far
    ip netns exec "$NS" callgrind_control -e "$1" 2>/dev/null |
        awk '/^ *Th / { gsub(",", "", $3); t += $3 } END { print t + 0 }'
}
for who in "tibra 5300 $tibra" "unbound 5301 $unbound"; do
    set -- $who
    for i in $(seq 60); do # up to 60 s to start under valgrind
        ip netns exec "$NS" python3 load.py "$2" 1 $qflags $do 2>/dev/null && break
        [ "$i" = 60 ] && { echo "$1 does not answer"; exit 1; }
        sleep 1
    done
    ip netns exec "$NS" python3 load.py "$2" 50 $qflags $do || exit 1
    a=$(total "$3")
    ip netns exec "$NS" python3 load.py "$2" "$N" $qflags $do || exit 1
    b=$(total "$3")
    eval "per_$1=$(((b - a) / N))"
done
echo "DNSSEC=$DNSSEC"
echo "| resolver | user-space instructions per cache hit (whole process) |"
echo "|---|---|"
echo "| tibra-dnsd | $per_tibra |"
echo "| Unbound $(unbound -V 2>/dev/null | awk '/^Version/ { print $2 }') | $per_unbound |"
echo "tibra/unbound: $(awk -v a="$per_tibra" -v b="$per_unbound" \
    'BEGIN { printf "%.2f", a / b }')"
