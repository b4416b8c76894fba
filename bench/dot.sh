#!/usr/bin/env bash
# bench/dot.sh -- DNS over TLS throughput: queries/s over DoT (dnsperf
# -m dot) from tibra-dnsd's authoritative side (tls-listen), its resolver
# (resolver: tls-listen, answering the zone as local data) and Unbound
# (tls-service-key, the same name as local-data), each with plain TCP
# (dnsperf -m tcp) in the same run as the anchor, one server thread each
# pinned to one CPU and dnsperf on another (never run by `make check`).
#
#   bench/dot.sh                 (O=build dir, SECS per run, CLIENTS)
#
# dnsperf keeps CLIENTS connections (default 10), each pipelining its
# share of up to 100 outstanding queries, for SECS seconds (default 10):
# handshakes are a small part; this is the cost of records, not of
# connections.  Only the PIDs started here are stopped.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/.." && pwd)
O=${O:-build}
case "$O" in /*) ;; *) O="$src/$O" ;; esac
DNSD=${TIBRA_DNSD:-$O/unix-$(uname -m)/tibra-dnsd}
SECS=${SECS:-10}
CLIENTS=${CLIENTS:-10}
for t in dnsperf unbound openssl taskset python3; do
    command -v $t >/dev/null || { echo "$t not installed"; exit 1; }
done
[ -x "$DNSD" ] || { echo "$DNSD not built"; exit 1; }
ncpu=$(nproc)
[ "$ncpu" -ge 2 ] || { echo "needs 2 CPUs"; exit 1; }

T=$(mktemp -d "${TMPDIR:-/tmp}/tibra-dot.XXXXXX")
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
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

free_ports() { # N distinct free TCP ports on 127.0.0.1
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}
read -r P_AUTH P_AUTH_TLS P_RES P_RES_TLS P_UB P_UB_TLS <<<"$(free_ports 6)"

(
    cd "$T" || exit 1
    openssl ecparam -name prime256v1 -genkey -noout -out key.pem &&
        openssl req -x509 -new -key key.pem -sha256 -days 2 \
            -subj "/CN=dns.example.test" -out cert.pem \
            -addext subjectAltName=DNS:dns.example.test
) >/dev/null 2>&1 || { echo "openssl failed"; exit 1; }

mkdir -p "$T/zones"
cat >"$T/zones/example.test.zone" <<'ZONE'
$ORIGIN example.test.
$TTL 300
@   SOA ns1 hostmaster 1 3600 900 604800 60
    NS  ns1
ns1 A   192.0.2.1
www A   192.0.2.10
ZONE
cat >"$T/tibra.conf" <<EOF
service: name bench; target unix; workers 1
         listen 127.0.0.1@$P_AUTH; tls-listen 127.0.0.1@$P_AUTH_TLS
         tls-certificate cert.pem; tls-key key.pem
         tcp-clients 1000; tcp-idle-timeout 60; cookies off
zone:    example.test; file zones/example.test.zone
resolver: listen 127.0.0.1@$P_RES; tls-listen 127.0.0.1@$P_RES_TLS
          trust-anchor none
EOF
cat >"$T/unbound.conf" <<EOF
server:
    interface: 127.0.0.1@$P_UB
    interface: 127.0.0.1@$P_UB_TLS
    tls-port: $P_UB_TLS
    tls-service-key: "$T/key.pem"
    tls-service-pem: "$T/cert.pem"
    num-threads: 1
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$T"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    access-control: 127.0.0.0/8 allow
    module-config: "iterator"
    incoming-num-tcp: 1000
    tcp-idle-timeout: 60000
    local-zone: "example.test." static
    local-data: "www.example.test. 300 IN A 192.0.2.10"
remote-control:
    control-enable: no
EOF
printf 'www.example.test A\n' >"$T/queries"

taskset -c 0 "$DNSD" "$T/tibra.conf" 2>"$T/tibra.log" &
PIDS+=($!)
taskset -c 0 unbound -d -c "$T/unbound.conf" 2>"$T/unbound.log" &
PIDS+=($!)
for p in $P_AUTH $P_RES $P_UB; do
    for _ in $(seq 100); do
        dig @127.0.0.1 -p "$p" +time=1 +tries=1 +short www.example.test A \
            2>/dev/null | grep -q 192.0.2.10 && break
        sleep 0.1
    done
done

run() { # NAME MODE PORT: prints queries/s
    local out
    out=$(taskset -c 1 dnsperf -m "$2" -s 127.0.0.1 -p "$3" -d "$T/queries" \
        -c "$CLIENTS" -q 100 -l "$SECS" 2>&1)
    local qps lost
    qps=$(printf '%s\n' "$out" | awk '/Queries per second/ {print $4}')
    lost=$(printf '%s\n' "$out" | awk '/Queries lost/ {print $3}')
    printf '%-28s %-4s %12s q/s  (lost %s)\n' "$1" "$2" "${qps:-?}" "${lost:-?}"
}
echo "DoT and TCP, $CLIENTS connections, $SECS s each, servers on CPU 0,"
echo "dnsperf on CPU 1; $(uname -m), $(nproc) CPUs"
run "tibra-dnsd (zone)" tcp "$P_AUTH"
run "tibra-dnsd (zone)" dot "$P_AUTH_TLS"
run "tibra-dnsd resolver (local)" tcp "$P_RES"
run "tibra-dnsd resolver (local)" dot "$P_RES_TLS"
run "unbound (local-data)" tcp "$P_UB"
run "unbound (local-data)" dot "$P_UB_TLS"
