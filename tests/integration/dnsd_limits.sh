#!/usr/bin/env bash
# dnsd_limits -- what a zone may cost: zone-max-records and zone-max-size
# refuse a zone at start-up and on --check (exit 1, FILE[:LINE] and the
# limit in one line), and on SIGHUP the old version goes on being served
# with the error logged; zone-memory (what a whole load may allocate)
# refuses a start-up over it, and on SIGHUP keeps the old version of the
# zone whose load does not fit while another zone still updates; `tibra build` refuses the same zones.  Every wait is
# bounded; only PIDs started here are stopped.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_limits

zone=$TMP/zones/example.test.zone
mkdir -p "$TMP/zones"

run() { # tibra-dnsd ARGS, bounded; sets RC and OUT (stderr+stdout)
    OUT=$(timeout 20 "$DNSD" "$@" 2>&1)
    RC=$?
}
grow() { # FILE N: appends N A records
    for i in $(seq "$1"); do echo "grown$i A 192.0.2.$((i % 250 + 1))"; done
}
serial_served() { q +short "${1:-example.test}" SOA | awk '{print $3}'; }
wait_log() { # REGEX: bounded wait for a log line
    for _ in $(seq 100); do
        grep -Eq -- "$1" "$TMP/log" && return 0
        sleep 0.1
    done
    fail "no log line matches /$1/ within 10 s"
}

# The test zone has 52 records, on lines 3-54.
dnsd_zone "$zone" 1
dnsd_conf "zone-max-records 100"

# 1. --check and start-up: the 101st record (line 103) is refused.
grow 60 >>"$zone"
run --check "$TMP/ns.conf"
expect "--check, 112 records, limit 100: status" "$RC" "1"
expect_match "--check: FILE:LINE and the limit" "$OUT" \
    "example\.test\.zone:103: (error: )?zone exceeds zone-max-records \(100\)$"
run "$TMP/ns.conf"
expect "start, 112 records: status" "$RC" "1"

# 2. zone-max-size, per zone (overrides the service's): refused from the
# file's size, before it is read.
size=$(stat -c %s "$zone")
sed -i '$d' "$TMP/ns.conf"
echo "zone: example.test; file zones/example.test.zone; zone-max-size 1K" \
    >>"$TMP/ns.conf"
run --check "$TMP/ns.conf"
expect "--check, $size bytes, limit 1K: status" "$RC" "1"
expect_match "--check: FILE and the size limit" "$OUT" \
    "example\.test\.zone: (error: )?zone exceeds zone-max-size \(1024 bytes\)$"

# 3. Serving serial 1; a reload that grows the zone past 100 records keeps
# serial 1 with the error logged; a reload within the limit is served.
dnsd_zone "$zone" 1
dnsd_conf "zone-max-records 100"
dnsd_start
expect "serial 1 served" "$(serial_served)" "1"
dnsd_zone "$zone" 2
grow 60 >>"$zone"
kill -HUP "$DNSD_PID"
wait_log "zone example.test: not reloaded .*still serving serial 1"
expect_match "reload over zone-max-records: error logged" "$(cat "$TMP/log")" \
    "example\.test\.zone:103: zone exceeds zone-max-records \(100\)"
expect "serial 1 still served" "$(serial_served)" "1"
dnsd_zone "$zone" 3
grow 40 >>"$zone"
kill -HUP "$DNSD_PID"
wait_log "zone example.test: serial 3, 92 records"
expect "92 records, within the limit: serial 3 served" "$(serial_served)" "3"
dnsd_stop
expect "exit status" "$DNSD_RC" "0"

# 4. zone-memory bounds the whole load -- texts, records, checks and the
# compiled blobs -- not only its result: at start-up a load over it is
# exit 1 naming the zone; on SIGHUP the zone whose load does not fit keeps
# its old version while another zone still updates.  (A load costs ~1 MiB
# of parser buffers whatever its size.)
small=$TMP/zones/small.test.zone
small_zone() {
    printf '$TTL 300\n@ SOA ns h %s 3600 900 604800 60\n@ NS ns\nns A 192.0.2.1\n' \
        "$1" >"$small"
}
small_zone 1
dnsd_zone "$zone" 1
mem_conf() {
    dnsd_conf "zone-memory $1"
    echo "zone:    small.test; file zones/small.test.zone" >>"$TMP/ns.conf"
}
mem_conf 64K
run "$TMP/ns.conf"
expect "start over zone-memory: status" "$RC" "1"
expect_match "start over zone-memory: message" "$OUT" \
    "example\.test\.zone: (error: )?zone example\.test needs more than zone-memory 65536 bytes to load$"

# Room for both: example.test grows by 60,000 records (~1.5 MB of text)
# past 2 MiB, small.test only changes its serial: small.test serial 2 is
# served, example.test keeps serial 1.
mem_conf 2M
dnsd_start
dnsd_zone "$zone" 2
grow 60000 >>"$zone"
small_zone 2
kill -HUP "$DNSD_PID"
wait_log "reload: "
expect_match "reload over zone-memory: which zone, the limit" \
    "$(cat "$TMP/log")" \
    "example\.test\.zone: zone example\.test needs more than zone-memory 2 MiB to load$"
expect_match "reload over zone-memory: the old version kept" \
    "$(cat "$TMP/log")" \
    "zone example\.test: not reloaded \(errors above\); still serving serial 1"
expect "example.test: serial 1 still served" "$(serial_served)" "1"
expect "small.test: serial 2 served" "$(serial_served small.test)" "2"
expect_match "reload summary" "$(cat "$TMP/log")" \
    "reload: 1 zone changed, 0 unchanged, 1 failed"
# Shrunk back within the limit: served.
dnsd_zone "$zone" 3
kill -HUP "$DNSD_PID"
wait_log "zone example.test: serial 3"
expect "example.test: serial 3 served" "$(serial_served)" "3"
dnsd_stop
expect "exit status" "$DNSD_RC" "0"

# 5. `tibra build` refuses the same zones.
TB=${TIBRA_BUILD:-build}/bin/tibra
case $TB in /*) ;; *) TB=$PWD/$TB ;; esac
if [ -x "$TB" ]; then
    mkdir -p "$TMP/b/zones"
    dnsd_zone "$TMP/b/zones/example.test.zone" 1
    grow 60 >>"$TMP/b/zones/example.test.zone"
    {
        echo "service: name it; target unix; listen 127.0.0.1@$PORT"
        echo "         zone-max-records 100"
        echo "zone: example.test; file zones/example.test.zone"
    } >"$TMP/b/it.conf"
    OUT=$(cd "$TMP/b" && timeout 60 "$TB" build it.conf 2>&1)
    RC=$?
    expect "tibra build, over zone-max-records: status" "$RC" "1"
    expect_match "tibra build, over zone-max-records: message" "$OUT" \
        "example\.test\.zone:103: (error: )?zone exceeds zone-max-records \(100\)"
    echo "zone: example.test; file zones/example.test.zone; zone-max-size 1K" \
        >"$TMP/b/it.conf2"
    sed -i '$d' "$TMP/b/it.conf"
    cat "$TMP/b/it.conf2" >>"$TMP/b/it.conf"
    OUT=$(cd "$TMP/b" && timeout 60 "$TB" build it.conf 2>&1)
    RC=$?
    expect "tibra build, over zone-max-size: status" "$RC" "1"
    expect_match "tibra build, over zone-max-size: message" "$OUT" \
        "example\.test\.zone: (error: )?zone exceeds zone-max-size \(1024 bytes\)"
else
    echo "     ($TB not built: tibra build skipped)"
fi
echo SUCCESS
