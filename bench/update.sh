#!/usr/bin/env bash
# bench/update.sh -- dynamic updates acknowledged per second, each synced
# to disk before its answer: tibra-dnsd (FILE.journal, fdatasync per
# update) against Knot DNS (its LMDB journal, journal-db-mode robust: a
# synced transaction per update) and BIND (its .jnl journal, synced per
# update), side by side in one run, on a zone of 100 records or, with
# -z NAMES, on bench/gen-zone's zone of NAMES names (-z 1000000: 1.28M
# records).
#
#   bench/update.sh [-n UPDATES] [-r ROUNDS] [-z NAMES] [SERVER...]
#                   (default: 500 updates, 3 rounds, knot tibra)
#   SERVER: knot, bind, tibra, or tibra-old (TIBRA_DNSD_OLD, another
#   build of tibra-dnsd to compare with, e.g. before a change)
#
# Each server runs on its own port, pinned to CPU 0 with one worker; the
# client (dnspython, pinned to CPU 1) sends signed (hmac-sha256) updates
# one after another over UDP, each adding one A record, and waits for
# each answer (NOERROR required): what one nsupdate-like client gets.
# On a big zone the client waits up to 120 s for each answer (5 s else).
# Rounds alternate the servers (a load change on this shared machine hits
# both alike); the median per server is reported, and tibra's ratio.
# Only PIDs started here are stopped; ports are picked free on
# 127.0.0.1; every wait is bounded.  The journals live in $TMPDIR (the
# same file system for both).
#
# Environment: O (build dir, default build), TIBRA_DNSD (tibra-dnsd path),
# TIBRA_DNSD_OLD (the tibra-old server's binary).
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
O=${O:-build}
case "$O" in /*) ;; *) O="$src/$O" ;; esac
tibra=${TIBRA_DNSD:-$O/unix-$(uname -m)/tibra-dnsd}
updates=500
rounds=3
names=0
while getopts n:r:z: o; do
    case $o in
    n) updates=$OPTARG ;;
    r) rounds=$OPTARG ;;
    z) names=$OPTARG ;;
    *) exit 2 ;;
    esac
done
shift $((OPTIND - 1))
servers=${*:-knot tibra}
[ -x "$tibra" ] || { echo "update.sh: $tibra not built" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-update.XXXXXX")
declare -A P PT
stop() {
    local pid=${P[$1]:-}
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    P[$1]=
}
cleanup() {
    for s in $servers; do stop "$s"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

secret=$(printf 'tibra-bench-update-secret-32byte' | base64 -w0)
origin=bench.test
if [ "$names" -gt 0 ]; then
    "$here/gen-zone" -n "$names" -q 1 --origin "$origin" "$tmp/gen" >&2 ||
        exit 1
fi
zone() { # file: SOA, NS, 98 A records (its address first); or gen-zone's
    if [ "$names" -gt 0 ]; then
        cp "$tmp/gen/$origin.zone" "$1"
        return
    fi
    {
        echo "\$ORIGIN $origin."
        echo "\$TTL 300"
        echo "@ SOA ns1 hostmaster 1 3600 900 604800 60"
        echo "@ NS ns1"
        echo "ns1 A 192.0.2.254" # BIND refuses an NS without an address
        for i in $(seq 1 97); do echo "h$i A 192.0.2.$((i % 250 + 1))"; done
    } >"$1"
}
port() {
    /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() { # server
    local d=$tmp/$1 port
    mkdir -p "$d"
    port=$(port)
    PT[$1]=$port
    zone "$d/zone"
    case $1 in
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
    journal-db-mode: robust
log:
  - target: stderr
    any: warning
key:
  - id: upd-key
    algorithm: hmac-sha256
    secret: $secret
acl:
  - id: upd
    key: upd-key
    action: update
template:
  - id: default
    storage: "$d"
    zonefile-sync: -1
    journal-content: changes
    semantic-checks: off
zone:
  - domain: $origin
    file: "$d/zone"
    acl: upd
EOF
        taskset -c 0 knotd -c "$d/knot.conf" 2>"$d/log" &
        ;;
    bind)
        cat >"$d/named.conf" <<EOF
options {
    directory "$d";
    pid-file none;
    listen-on port $port { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    notify no;
    check-names primary ignore;
    check-integrity no;
    dnssec-validation no;
};
controls { };
key "upd-key" { algorithm hmac-sha256; secret "$secret"; };
zone "$origin" {
    type primary;
    file "$d/zone";
    allow-update { key "upd-key"; };
};
EOF
        taskset -c 0 named -g -n 1 -c "$d/named.conf" 2>"$d/log" &
        ;;
    tibra | tibra-old)
        local bin=$tibra
        if [ "$1" = tibra-old ]; then
            bin=${TIBRA_DNSD_OLD:?tibra-old needs TIBRA_DNSD_OLD}
        fi
        printf '%s\n' "$secret" >"$d/key"
        cat >"$d/bench.conf" <<EOF
service: name bench; target unix; workers 1
         listen 127.0.0.1@$port
zone:    $origin; file zone; allow-update key upd-key
         journal-max-size 64M
key:     upd-key; algorithm hmac-sha256; secret-file key
EOF
        taskset -c 0 "$bin" "$d/bench.conf" 2>"$d/log" &
        ;;
    esac
    P[$1]=$!
    # A big zone takes a while to load (BIND: about a minute for 1M).
    for _ in $(seq $((names > 0 ? 3000 : 100))); do
        dig @127.0.0.1 -p "$port" +time=1 +tries=1 +short "$origin" SOA |
            grep -q hostmaster && return 0
        sleep 0.1
    done
    echo "update.sh: $1 did not answer" >&2
    cat "$d/log" >&2
    exit 1
}

for s in $servers; do start "$s"; done
fs=$(df -T "$tmp" | awk 'NR == 2 {print $2}')
zdesc="100-record zone"
[ "$names" -gt 0 ] && zdesc="gen-zone -n $names zone"
echo "update.sh: $updates updates x $rounds rounds, $zdesc," \
    "journals on $fs ($tmp)"
for r in $(seq 1 "$rounds"); do
    for s in $servers; do
        rate=$(taskset -c 1 /usr/bin/python3 - "${PT[$s]}" "$secret" \
            "$updates" "$r" "$origin" "$((names > 0 ? 120 : 5))" <<'PY'
import sys, time
import dns.query, dns.rcode, dns.tsigkeyring, dns.update
port, secret, n, r, origin, wait = sys.argv[1:7]
port, n = int(port), int(n)
kr = dns.tsigkeyring.from_text({"upd-key.": ("hmac-sha256", secret)})
t0 = time.monotonic()
for i in range(n):
    u = dns.update.UpdateMessage(origin + ".", keyring=kr,
                                 keyalgorithm="hmac-sha256")
    u.add("r%s-%d.%s." % (r, i, origin), 300, "A",
          "10.%d.%d.%d" % (int(r), i >> 8 & 255, i & 255))
    a = dns.query.udp(u, "127.0.0.1", port=port, timeout=float(wait))
    if a.rcode() != dns.rcode.NOERROR:
        sys.exit("update %d: %s" % (i, dns.rcode.to_text(a.rcode())))
r = n / (time.monotonic() - t0)
print(("%.2f" if r < 10 else "%.0f") % r)
PY
        ) || { echo "update.sh: $s failed" >&2; exit 1; }
        echo "round $r $s $rate updates/s"
        echo "$s $rate" >>"$tmp/rates"
    done
done
declare -A M
for s in $servers; do
    M[$s]=$(awk -v s="$s" '$1 == s {print $2}' "$tmp/rates" | sort -n |
        awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    echo "median $s ${M[$s]} updates/s"
done
for o in knot bind tibra-old; do
    if [ -n "${M[tibra]:-}" ] && [ -n "${M[$o]:-}" ]; then
        awk -v t="${M[tibra]}" -v k="${M[$o]}" -v o="$o" \
            'BEGIN {printf "tibra/%s %.2f\n", o, t / k}'
    fi
done
exit 0
