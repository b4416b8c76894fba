#!/usr/bin/env bash
# metrics.sh -- Prometheus metrics (lib/dns/metrics.c, lib/dns/http.c)
# from tibra-dnsd (service key `metrics ADDR@PORT`) and from the DNS
# unikernel linked for the unix target (--metrics=ADDR@PORT, as `tibra
# build` passes the key), on loopback: a first scrape, a known set of
# queries over UDP and TCP, a second scrape; both parse strictly as text
# format 0.0.4 (promcheck.py) and every counter moved by exactly what was
# sent (by type, transport, the RCODE each response had), every other by
# 0; the zone serial and load time gauges are right; a reload shows the
# new serial; what is not GET /metrics gets 404/405/431; a scrape works
# while another connection sits idle; service-file errors name
# FILE:LINE.  No root.  (The spt/hvt images: metrics_tap.sh.)
. "$(dirname "$0")/dnsd.bash"
. "$(dirname "$0")/metrics.bash"
dnsd_setup metrics
command -v curl >/dev/null || skip "curl not installed"
IMG=${TIBRA_UNIX:-build/unix-$(uname -m)}/app/dnsd/guest/dnsd
[ -x "$IMG" ] || fail "$IMG not built (make check-build)"
TMPM=$TMP
ZONE=${TIBRA_SRC:-.}/examples/zones/example.org.zone
SERIAL=$(awk '/SOA/ {f=1} f && /[0-9]+ *;.*serial/ {print $1; exit}' "$ZONE")
[ -n "$SERIAL" ] || SERIAL=$(sed -n 's/^[^;]*SOA[^(]*( *\([0-9]*\).*/\1/p' "$ZONE")
[ -n "$SERIAL" ] || fail "cannot read the serial of $ZONE"

# -- service-file errors: FILE:LINE: message
MP=$(dnsd_free_port)
mkdir -p "$TMP/zones"
cp "$ZONE" "$TMP/zones/example.org.zone"
bad() {
    printf 'service: name m; listen 127.0.0.1@%s\n         %s\nzone: example.org; file zones/example.org.zone\n' \
        "$PORT" "$1" >"$TMP/bad.conf"
    out=$("$DNSD" --check "$TMP/bad.conf" 2>&1) && fail "accepted: $1"
    expect_match "refused: $1" "$out" "^tibra-dnsd: $TMP/bad.conf:2: $2"
}
bad "metrics 127.0.0.1" "metrics: '127.0.0.1' is not ADDR@PORT"
bad "metrics 127.0.0.1@$PORT" "metrics 127.0.0.1@$PORT: the port is also a listen port \(line 1\)"
bad "metrics 0.0.0.0@$PORT" "metrics 0.0.0.0@$PORT: the port is also a listen port"
bad "metrics 127.0.0.1@0" "metrics"
printf 'service: name m; target spt; address 10.0.0.2/24\n         metrics 10.0.0.3@9153\nzone: example.org; file zones/example.org.zone\n' >"$TMP/bad.conf"
out=$("$DNSD" --check "$TMP/bad.conf" 2>&1)
expect_match "a guest's metrics address is its own" "$out" \
    "^tibra-dnsd: $TMP/bad.conf:2: metrics 10.0.0.3@9153: a unikernel serves metrics on its own address"

# -- tibra-dnsd
{
    echo "service: name it; target unix; workers 2"
    echo "         listen 127.0.0.1@$PORT"
    echo "         metrics 127.0.0.1@$MP"
    echo "zone:    example.org; file zones/example.org.zone"
} >"$TMP/ns.conf"
# dnsd_start probes example.test; ours serves example.org: probe here.
"$DNSD" "$TMP/ns.conf" 2>"$TMP/log" &
DNSD_PID=$!
for _ in $(seq 100); do
    kill -0 "$DNSD_PID" 2>/dev/null || fail "tibra-dnsd exited early"
    curl -s -m 1 -o /dev/null "http://127.0.0.1:$MP/metrics" && break
    sleep 0.1
done
URL=http://127.0.0.1:$MP/metrics
expect_match "tibra-dnsd says where" "$(cat "$TMP/log")" \
    "^tibra-dnsd: metrics on http://127.0.0.1:$MP/metrics$"
t0=$(date +%s)
metrics_scrape "$URL" "$TMP/before"
metrics_queries 127.0.0.1 "$PORT"
# An idle connection does not hold the scrape up.
exec 7<>/dev/tcp/127.0.0.1/$MP
metrics_check "$URL" "$TMP/before" \
    --gauge "tibra_dns_zone_serial{zone=\"example.org.\"}=$SERIAL:$SERIAL" \
    --gauge "tibra_dns_zone_load_time_seconds{zone=\"example.org.\"}=$((t0 - 60)):$(($(date +%s) + 1))"
exec 7>&-
metrics_http 127.0.0.1 "$MP"
# Every slot (8) held by an idle client: a ninth waits in the backlog
# without the metrics thread spinning, and is served once a slot frees.
for fd in 20 21 22 23 24 25 26 27; do eval "exec $fd<>/dev/tcp/127.0.0.1/$MP"; done
sleep 0.3
curl -sS -m 20 -o "$TMP/ninth" "$URL" 20>&- 21>&- 22>&- 23>&- 24>&- 25>&- 26>&- 27>&- &
CPID=$!
cpu() { awk '{print $14 + $15}' "/proc/$DNSD_PID/stat"; }
c0=$(cpu)
sleep 1
c1=$(cpu)
[ $((c1 - c0)) -lt 30 ] ||
    fail "with every metrics slot busy tibra-dnsd used $((c1 - c0)) ticks of CPU in 1 s"
kill -0 $CPID 2>/dev/null || fail "the ninth scrape did not wait for a slot"
t0=$(date +%s%N)
for fd in 20 21 22 23 24 25 26 27; do eval "exec $fd>&-"; done
wait $CPID || fail "the ninth scrape failed"
t1=$(date +%s%N)
[ $(((t1 - t0) / 1000000)) -lt 5000 ] ||
    fail "the ninth scrape took $(((t1 - t0) / 1000000)) ms after the slots were freed"
grep -q '^tibra_dns_queries_total{transport="udp"}' "$TMP/ninth" || fail "the ninth scrape: $(head -3 "$TMP/ninth")"
echo "ok   8 idle clients: a ninth scrape waits (tibra-dnsd $((c1 - c0)) CPU ticks in 1 s), then is served ($(((t1 - t0) / 1000000)) ms after they leave)"
# A reload with a new serial: the gauge follows.
NEW=$((SERIAL + 1))
sed -i "s/$SERIAL/$NEW/" "$TMP/zones/example.org.zone"
cp "$TMP/after" "$TMP/before"
kill -HUP "$DNSD_PID"
for _ in $(seq 50); do
    metrics_scrape "$URL" "$TMP/r"
    grep -q "^tibra_dns_zone_serial{zone=\"example.org.\"} $NEW$" "$TMP/r" && break
    sleep 0.1
done
expect_match "after SIGHUP the serial gauge is the new one" "$(cat "$TMP/r")" \
    "^tibra_dns_zone_serial\{zone=\"example.org.\"\} $NEW$"
dnsd_stop
expect "tibra-dnsd exit status" "$DNSD_RC" 0

# -- the unikernel, unix target (host sockets)
GPID=
trap '[ -n "$GPID" ] && kill -KILL $GPID 2>/dev/null; dnsd_cleanup' EXIT
"$IMG" --mem=16 -- --listen=127.0.0.1@$PORT --metrics=127.0.0.1@$MP \
    >"$TMP/glog" 2>&1 &
GPID=$!
for _ in $(seq 100); do
    grep -q READY "$TMP/glog" && break
    kill -0 "$GPID" 2>/dev/null || break
    sleep 0.1
done
grep -q READY "$TMP/glog" || { cat "$TMP/glog"; fail "the image did not start"; }
expect_match "the image says where" "$(cat "$TMP/glog")" \
    "^dnsd: metrics on http://127.0.0.1:$MP/metrics$"
t0=$(date +%s)
metrics_scrape "$URL" "$TMP/before"
metrics_queries 127.0.0.1 "$PORT"
exec 7<>/dev/tcp/127.0.0.1/$MP
metrics_check "$URL" "$TMP/before" \
    --gauge "tibra_dns_zone_serial{zone=\"example.org.\"}=$SERIAL:$SERIAL" \
    --gauge "tibra_dns_zone_load_time_seconds{zone=\"example.org.\"}=$((t0 - 60)):$(($(date +%s) + 1))"
exec 7>&-
metrics_http 127.0.0.1 "$MP"
kill -TERM "$GPID"
for _ in $(seq 50); do
    kill -0 "$GPID" 2>/dev/null || break
    sleep 0.1
done
wait "$GPID"
rc=$?
GPID=
expect "image exit status after SIGTERM" "$rc" 0
echo "SUCCESS"
