#!/usr/bin/env bash
# dnsd_special_files -- a zone file, an $INCLUDE or a service file that is
# not a regular file (a FIFO, whose open() would block for good; a
# directory; a device) never hangs tibra-dnsd or `tibra build`: it is
# refused with "FILE: not a regular file".  At start-up and on --check the
# exit status is 1, promptly; on SIGHUP the old zone keeps being served,
# a later SIGHUP reloads the restored file and SIGTERM still exits 0 and
# removes the pidfile.  Every wait is bounded; only PIDs started here are
# stopped.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_special_files
command -v mkfifo >/dev/null || skip "mkfifo not installed"

zone=$TMP/zones/example.test.zone
mkdir -p "$TMP/zones" "$TMP/run"
dnsd_zone "$TMP/good.zone" 1
dnsd_conf "pidfile run/dnsd.pid"

run() { # tibra-dnsd ARGS, bounded; sets RC and OUT (stderr+stdout)
    OUT=$(timeout 10 "$DNSD" "$@" 2>&1)
    RC=$?
}

# 1. --check and start-up on a FIFO, a directory and a device.
for kind in fifo dir dev; do
    rm -rf "$zone"
    case $kind in
    fifo) mkfifo "$zone" ;;
    dir) mkdir "$zone" ;;
    dev) ln -s /dev/zero "$zone" ;;
    esac
    start=$(date +%s)
    run --check "$TMP/ns.conf"
    expect "--check, $kind zone: status" "$RC" "1"
    expect_match "--check, $kind zone: message" "$OUT" \
        "example\.test\.zone: (error: )?not a regular file"
    [ $(($(date +%s) - start)) -le 5 ] || fail "--check, $kind: too slow"
    run "$TMP/ns.conf"
    expect "start, $kind zone: status" "$RC" "1"
    expect_match "start, $kind zone: message" "$OUT" "not a regular file"
done

# 2. An $INCLUDE of a FIFO: the error names the including file's line.
rm -rf "$zone"
cp "$TMP/good.zone" "$zone"
mkfifo "$TMP/zones/inc.fifo"
echo '$INCLUDE inc.fifo' >>"$zone"
line=$(wc -l <"$zone")
run --check "$TMP/ns.conf"
expect "--check, \$INCLUDE fifo: status" "$RC" "1"
expect_match "--check, \$INCLUDE fifo: file:line" "$OUT" \
    "example\.test\.zone:$line: .*inc\.fifo: not a regular file"

# 3. The service file itself a FIFO.
mkfifo "$TMP/fifo.conf"
run --check "$TMP/fifo.conf"
expect "--check, fifo service file: status" "$RC" "1"
expect_match "--check, fifo service file: message" "$OUT" \
    "fifo\.conf: (error: )?not a regular file"

# 4. SIGHUP with the zone replaced by a FIFO: serial 1 stays, the error is
# logged; restored, a second SIGHUP serves serial 2; SIGTERM exits 0.
cp "$TMP/good.zone" "$zone"
dnsd_start
expect "serial 1" "$(q +short example.test SOA | awk '{print $3}')" "1"
rm -f "$zone"
mkfifo "$zone"
kill -HUP "$DNSD_PID"
for _ in $(seq 50); do
    grep -q "not a regular file" "$TMP/log" && break
    sleep 0.1
done
expect_match "SIGHUP, fifo zone: error logged" "$(cat "$TMP/log")" \
    "example\.test\.zone: (error: )?not a regular file"
expect "SIGHUP, fifo zone: serial 1 still served" \
    "$(q +short example.test SOA | awk '{print $3}')" "1"
rm -f "$zone"
dnsd_zone "$zone" 2
kill -HUP "$DNSD_PID"
for _ in $(seq 50); do
    [ "$(q +short example.test SOA | awk '{print $3}')" = 2 ] && break
    sleep 0.1
done
expect "second SIGHUP: serial 2 served" \
    "$(q +short example.test SOA | awk '{print $3}')" "2"
dnsd_stop TERM
expect "SIGTERM exit status" "$DNSD_RC" "0"
[ -e "$TMP/run/dnsd.pid" ] && fail "pidfile not removed at exit"
echo "ok   pidfile removed"

# 5. `tibra build` of a service file whose zone is a FIFO.
TB=${TIBRA_BUILD:-build}/bin/tibra
if [ -x "$TB" ]; then
    mkdir -p "$TMP/b/zones"
    printf 'service: name it; target unix; listen 127.0.0.1@%s\n' "$PORT" \
        >"$TMP/b/it.conf"
    printf 'zone: example.test; file zones/example.test.zone\n' \
        >>"$TMP/b/it.conf"
    mkfifo "$TMP/b/zones/example.test.zone"
    OUT=$(cd "$TMP/b" && timeout 20 "$TB" build it.conf 2>&1)
    RC=$?
    expect "tibra build, fifo zone: status" "$RC" "1"
    expect_match "tibra build, fifo zone: message" "$OUT" \
        "example\.test\.zone: (error: )?not a regular file"
    mkfifo "$TMP/b/fifo.conf"
    OUT=$(cd "$TMP/b" && timeout 20 "$TB" build fifo.conf 2>&1)
    RC=$?
    expect "tibra build, fifo service file: status" "$RC" "1"
    expect_match "tibra build, fifo service file: message" "$OUT" \
        "fifo\.conf: not a regular file"
else
    echo "     ($TB not built: tibra build skipped)"
fi
echo SUCCESS
