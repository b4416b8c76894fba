#!/bin/bash
# dnsd_status.sh -- `status-file` and `tibra-dnsd --status` (issue 10,
# app/dnsd/status.c): tibra-dnsd B serves own.test (a primary zone) and
# example.test as a secondary of tibra-dnsd A (NOTIFY from A):
#   --status without status-file: exit 2, says what to add;
#   --status before B runs: exit 1;
#   after B's AXFR: exit 0, one line per zone with kind, serial, when the
#   version came, next check and expiry (secondary), "AXFR: serial 1";
#   A reloads serial 2 -> NOTIFY -> B's status says "IXFR: serial 2";
#   own.test changed + SIGHUP on B -> its new serial in the status;
#   kill -9 B -> --status exit 1, "NOT RUNNING".
# Everything on 127.0.0.1, ports picked free; every wait bounded; only
# PIDs started here are stopped.
TEST_NAME=dnsd_status
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_status
APID=
cleanup_all() {
    [ -n "$APID" ] && pid_stop "$APID"
    dnsd_cleanup
}
trap cleanup_all EXIT
wait_for() { # WHAT CMD...: up to 20 s
    local what=$1
    shift
    for _ in $(seq 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "$what: not within 20 s"
}
st() { "$DNSD" --status "$TMP/ns.conf"; }
st_has() { st | grep -Eq -- "$1"; }

APORT=$(dnsd_free_port)
mkdir -p "$TMP/a/zones" "$TMP/zones"
dnsd_zone "$TMP/a/zones/example.test.zone" 1
printf '$TTL 300\n@ SOA ns1 hostmaster 4 3600 900 604800 60\n@ NS ns1\nns1 A 192.0.2.1\n' \
    >"$TMP/zones/own.test.zone"
cat >"$TMP/a/a.conf" <<EOF
service: name a; listen 127.0.0.1@$APORT; workers 1
zone:    example.test; file zones/example.test.zone
         allow-transfer 127.0.0.1; notify 127.0.0.1@$PORT
EOF
cat >"$TMP/ns.conf" <<EOF
service: name b; listen 127.0.0.1@$PORT; workers 1
zone:    own.test; file zones/own.test.zone
EOF
out=$(st 2>&1)
rc=$?
expect "--status without status-file: exit" "$rc" 2
expect_match "--status without status-file: says what to add" "$out" \
    "no status-file \(add .status-file PATH. to service:\)"
cat >"$TMP/ns.conf" <<EOF
service: name b; listen 127.0.0.1@$PORT; workers 1
         status-file run/b.status
zone:    own.test; file zones/own.test.zone
zone:    example.test; primary 127.0.0.1@$APORT; file zones/example.test.zone
EOF
mkdir -p "$TMP/run"
out=$(st 2>&1)
expect "--status before the server runs: exit" "$?" 1
expect_match "--status before the server runs: why" "$out" "run/b.status: No such file"

"$DNSD" "$TMP/a/a.conf" 2>"$TMP/a/log" &
APID=$!
wait_for "A answers" dig @127.0.0.1 -p "$APORT" +short example.test SOA
dnsd_start # B; waits until example.test answers (transferred)
wait_for "status: example.test transferred" st_has \
    '^example\.test +secondary +1 .* AXFR: serial 1$'
out=$(st)
expect "--status while running: exit" "$?" 0
printf '%s\n' "$out" | sed 's/^/    | /'
expect_match "status: header with B's pid" "$out" "^tibra-dnsd pid $DNSD_PID, up since 20"
expect_match "status: own.test, primary, serial 4" "$out" \
    '^own\.test +primary +4 +20[0-9-]+T[0-9:]+Z +- +- +-$'
expect_match "status: example.test next check and expiry" "$out" \
    '^example\.test +secondary +1 +20[^ ]+Z +20[^ ]+Z +20[^ ]+Z '
expect_match "status: running" "$out" '^running \(status written [0-9]+ s ago\)$'

# A's zone changes: NOTIFY, B's IXFR shows.
dnsd_zone "$TMP/a/zones/example.test.zone" 2
kill -HUP "$APID"
wait_for "status: IXFR of serial 2" st_has \
    '^example\.test +secondary +2 .* IXFR: serial 2$'
echo "ok   status: IXFR of serial 2 after A's NOTIFY"
# B's own zone reloaded.
sed -i 's/ 4 3600/ 5 3600/' "$TMP/zones/own.test.zone"
kill -HUP "$DNSD_PID"
wait_for "status: own.test serial 5 after SIGHUP" st_has '^own\.test +primary +5 '
echo "ok   status: own.test serial 5 after SIGHUP"

# The server dies: the file stays, --status says so.
kill -KILL "$DNSD_PID"
wait "$DNSD_PID" 2>/dev/null
pid=$DNSD_PID
DNSD_PID=
out=$(st 2>&1)
expect "--status after kill -9: exit" "$?" 1
expect_match "--status after kill -9: says so" "$out" \
    "^NOT RUNNING: pid $pid is gone; this is its last status$"
# A clean stop removes the file.
dnsd_start
wait_for "status file back" st_has '^own\.test '
dnsd_stop
expect "clean stop: exit status" "$DNSD_RC" 0
[ ! -e "$TMP/run/b.status" ] || fail "status-file left after a clean stop"
echo "ok   status-file removed at a clean stop"
echo "PASS $TEST_NAME"
