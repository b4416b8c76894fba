#!/bin/bash
# dnsd_reload_conf.sh -- SIGHUP re-reads the service file (issue 10,
# app/dnsd/reconf.c): nothing of it is applied yet, and the log says so,
# setting by setting:
#   unchanged service file: no "service file:" line, the zones reload;
#   listen, workers changed: "needs a restart"; a zone added, one changed:
#   "not applied: restart to apply"; the added zone is not served, the
#   running ones are, and their files still reload;
#   a broken service file: its FILE:LINE error, "the running configuration
#   is kept", and the server keeps answering.
TEST_NAME=dnsd_reload_conf
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_reload_conf
mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 1
dnsd_conf
dnsd_start
# wait_log N: up to 10 s for "reload done" to appear N times.
wait_log() {
    for _ in $(seq 100); do
        [ "$(grep -c 'reload done' "$TMP/log")" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail "no reload done #$1 within 10 s"
}
serial() { q +short example.test SOA | awk '{print $3}'; }

kill -HUP "$DNSD_PID"
wait_log 1
grep -q 'service file:' "$TMP/log" && fail "unchanged service file: a change was logged"
echo "ok   unchanged service file: nothing logged"

OPORT=$(dnsd_free_port)
dnsd_zone "$TMP/zones/example.test.zone" 2
cp "$TMP/zones/example.test.zone" "$TMP/zones/new.test.zone"
sed -i 's/example\.test\./new.test./' "$TMP/zones/new.test.zone"
cat >"$TMP/ns.conf" <<EOF
service: name it; target unix; workers 3
         listen 127.0.0.1@$PORT; listen 127.0.0.1@$OPORT
zone:    example.test; file zones/example.test.zone; allow-transfer 127.0.0.1
zone:    new.test; file zones/new.test.zone
EOF
kill -HUP "$DNSD_PID"
wait_log 2
log=$(cat "$TMP/log")
expect_match "listen: needs a restart" "$log" \
    'SIGHUP: service file: listen changed: needs a restart'
expect_match "workers: needs a restart" "$log" \
    'SIGHUP: service file: workers changed: needs a restart'
expect_match "zone added: not applied" "$log" \
    'SIGHUP: service file: zone new.test added \(line 4\): not applied: restart to apply'
expect_match "zone changed: not applied" "$log" \
    'SIGHUP: service file: zone example.test \(line 3\) changed: not applied'
expect "the zone file still reloads" "$(serial)" 2
st=$(q new.test SOA | sed -n 's/.*status: \([A-Z]*\).*/\1/p')
expect "the added zone is not served" "$st" REFUSED

printf 'service: listen 127.0.0.1@%s\nzone: example.test; file\n' "$PORT" >"$TMP/ns.conf"
kill -HUP "$DNSD_PID"
wait_log 3
log=$(cat "$TMP/log")
expect_match "broken service file: FILE:LINE" "$log" "ns\.conf:2: "
expect_match "broken service file: kept" "$log" \
    'SIGHUP: .*ns\.conf: [0-9]+ errors?; the running configuration is kept'
expect "still serving after a broken service file" "$(serial)" 2
dnsd_stop
expect "exit status" "$DNSD_RC" 0
echo "PASS $TEST_NAME"
