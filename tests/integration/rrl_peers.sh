#!/usr/bin/env bash
# test-timeout: 120
# rrl_peers -- response rate limiting compared with NSD's and Knot's:
# tibra-dnsd (workers 1, rrl-exempt-loopback off), NSD 4.6 (rrl-ratelimit,
# rrl-slip, rrl-ipv4-prefix-length; Debian's is built with ratelimit) and
# Knot 3.2 (mod-rrl rate-limit, slip) with the same rate (20/s), slip (2)
# and /24, each sent the same stream by tests/integration/rrlpeers.py (a
# burst of 160 queries, then 40/s for 3 s, one client, one name).  Each
# server's answered count must match the bucket maths of its own
# algorithm (tibra: 2 s of burst; NSD: per-second counter with a smoothed
# rate; Knot: 4 s of tokens) fed with the real send times, its slips the
# slip ratio, and the three must slip the same fraction of what they limit.
# Loopback only; only PIDs started here are stopped; every wait bounded.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup rrl_peers
command -v nsd >/dev/null || skip "nsd not installed"
command -v knotd >/dev/null || skip "knotd not installed"
RATE=20
SLIP=2

mkdir -p "$TMP/zones" "$TMP/nsd" "$TMP/knot"
dnsd_zone "$TMP/zones/example.test.zone" 1
zf=$TMP/zones/example.test.zone
NSD_PORT=$(dnsd_free_port)
KNOT_PORT=$(dnsd_free_port)
NSD_PID= KNOT_PID=
peers_cleanup() {
    local p
    for p in $NSD_PID $KNOT_PID; do
        kill -TERM "$p" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    dnsd_cleanup
}
trap peers_cleanup EXIT

cat >"$TMP/ns.conf" <<CONF
service: name it; target unix; workers 1
         listen 127.0.0.1@$PORT
         rrl-rate $RATE; rrl-slip $SLIP; rrl-ipv4-prefix 24
         rrl-exempt-loopback off
zone:    example.test; file zones/example.test.zone
CONF
dnsd_start

cat >"$TMP/nsd/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$NSD_PORT
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$TMP/nsd/zone.list"
    xfrdfile: "$TMP/nsd/xfrd.state"
    xfrdir: "$TMP/nsd"
    pidfile: "$TMP/nsd/nsd.pid"
    logfile: "$TMP/nsd/nsd.log"
    rrl-ratelimit: $RATE
    rrl-slip: $SLIP
    rrl-ipv4-prefix-length: 24
    rrl-whitelist-ratelimit: $RATE
    verbosity: 0
remote-control:
    control-enable: no
zone:
    name: "example.test"
    zonefile: "$zf"
CONF
cat >"$TMP/knot/knot.conf" <<CONF
server:
    rundir: "$TMP/knot"
    listen: 127.0.0.1@$KNOT_PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$TMP/knot/knot.sock"
database:
    storage: "$TMP/knot"
log:
  - target: stderr
    any: warning
mod-rrl:
  - id: limit
    rate-limit: $RATE
    slip: $SLIP
template:
  - id: default
    storage: "$TMP/knot"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    global-module: mod-rrl/limit
zone:
  - domain: example.test
    file: "$zf"
CONF
nsd -d -c "$TMP/nsd/nsd.conf" >"$TMP/nsd/out" 2>&1 &
NSD_PID=$!
knotd -c "$TMP/knot/knot.conf" >"$TMP/knot/out" 2>&1 &
KNOT_PID=$!
for p in $NSD_PORT $KNOT_PORT; do
    up=
    for _ in $(seq 100); do
        dig @127.0.0.1 -p "$p" +time=1 +tries=1 +short example.test SOA 2>/dev/null |
            grep -q hostmaster && { up=1; break; }
        sleep 0.1
    done
    [ -n "$up" ] || { cat "$TMP/nsd/out" "$TMP/nsd/nsd.log" "$TMP/knot/out" 2>/dev/null
        fail "a peer on port $p did not answer within 10 s"; }
done
# The readiness queries above used a few tokens of other buckets (SOA);
# the stream asks www.example.test A, a bucket of its own everywhere.
sleep 1
/usr/bin/python3 "$(dirname "$0")/rrlpeers.py" --rate $RATE --slip $SLIP \
    tibra=$PORT nsd=$NSD_PORT knot=$KNOT_PORT ||
    fail "RRL differs from its model or its peers (see above)"
dnsd_stop
expect "tibra-dnsd exit status" "$DNSD_RC" "0"
expect_match "tibra-dnsd counted its limiting" "$(cat "$TMP/log")" \
    "rrl dropped [1-9][0-9]* slipped [1-9]"
echo SUCCESS
