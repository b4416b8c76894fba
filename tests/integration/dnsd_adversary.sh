#!/usr/bin/env bash
# test-timeout: 240
# dnsd_adversary -- tibra-dnsd under hostile clients and hostile files
# (issue 8), with a legitimate client that must never lose a query:
# tests/integration/adversary.py runs slowloris with fewer connections than
# tcp-clients, connection exhaustion, many connections from one address,
# half-sent and badly framed messages and a malformed UDP flood, from
# 127.0.0.2-6 (loopback is one host: the legitimate client is 127.0.0.1);
# then, while it keeps asking, zones are reloaded with a FIFO, a
# directory and a device as the zone and as an $INCLUDE, and with a zone
# over zone-max-size: each reload is refused with the reason logged and
# the old zone keeps serving.  At the end the server's descriptors are
# back to the baseline exactly and VmRSS within 2 MiB of it (measured
# after a warm-up that used every TCP slot once), the per-address
# refusals are counted, and SIGTERM exits 0.  Bounded: ~60 s.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_adversary
command -v mkfifo >/dev/null || skip "mkfifo not installed"

zone=$TMP/zones/example.test.zone
mkdir -p "$TMP/zones"
dnsd_zone "$zone" 1
cp "$zone" "$TMP/good.zone"
dnsd_conf "tcp-clients 12; tcp-clients-per-address 3; tcp-idle-timeout 2
         zone-max-size 64K"
dnsd_start
wait_log() { # REGEX [N]: bounded wait for the Nth log line matching
    for _ in $(seq 100); do
        [ "$(grep -Ec -- "$1" "$TMP/log")" -ge "${2:-1}" ] && return 0
        sleep 0.1
    done
    fail "no log line matches /$1/ within 10 s"
}

pause=$TMP/pause
touch "$pause"
/usr/bin/python3 "$(dirname "$0")/adversary.py" --server 127.0.0.1 \
    --port "$PORT" --legit 127.0.0.1 \
    --attack 127.0.0.2,127.0.0.3,127.0.0.4,127.0.0.5,127.0.0.6 \
    --tcp-clients 12 --per-addr 3 --idle 2 --flood 5 --pid "$DNSD_PID" \
    --pause-file "$pause" >"$TMP/adv.out" 2>&1 &
adv=$!
# While the hostile clients run, the reloads wait for the pause.
for _ in $(seq 900); do
    grep -q "^.*pause: waiting" "$TMP/adv.out" && break
    kill -0 $adv 2>/dev/null || break
    sleep 0.1
done
grep -q "pause: waiting" "$TMP/adv.out" || {
    wait $adv
    cat "$TMP/adv.out"
    fail "the hostile clients (see above)"
}
n=0
for kind in fifo dir dev inc-fifo inc-dev big; do
    rm -rf "$zone" "$TMP/zones/inc"
    case $kind in
    fifo) mkfifo "$zone" ;;
    dir) mkdir "$zone" ;;
    dev) ln -s /dev/zero "$zone" ;;
    inc-fifo | inc-dev)
        cp "$TMP/good.zone" "$zone"
        if [ $kind = inc-fifo ]; then mkfifo "$TMP/zones/inc"; else
            ln -s /dev/urandom "$TMP/zones/inc"; fi
        sed -i 's/^@ *SOA.*/&\n$INCLUDE inc/' "$zone"
        sed -i 's/hostmaster 1 /hostmaster 2 /' "$zone" ;;
    big)
        dnsd_zone "$zone" 3
        for i in $(seq 3000); do echo "pad$i A 192.0.2.$((i % 250 + 1))"; done \
            >>"$zone" ;;
    esac
    kill -HUP "$DNSD_PID"
    n=$((n + 1))
    wait_log "zone example.test: not reloaded" $n
    expect "SIGHUP, $kind: serial 1 still served" \
        "$(q +short example.test SOA | awk '{print $3}')" "1"
done
expect_match "not a regular file, logged" "$(cat "$TMP/log")" \
    "example\.test\.zone: (error: )?not a regular file"
expect_match "\$INCLUDE of a FIFO, logged with its line" "$(cat "$TMP/log")" \
    "example\.test\.zone:[0-9]+: .*inc: not a regular file"
expect_match "over zone-max-size, logged" "$(cat "$TMP/log")" \
    "zone exceeds zone-max-size \(65536 bytes\)"
rm -f "$pause"
wait $adv
rc=$?
cat "$TMP/adv.out"
[ $rc = 0 ] || fail "the hostile clients (see above)"
kill -0 "$DNSD_PID" || fail "tibra-dnsd died"
dnsd_stop TERM
expect "SIGTERM exit status" "$DNSD_RC" "0"
expect_match "per-address refusals counted" "$(cat "$TMP/log")" \
    "^.*tcp open [0-9]+ refused [0-9]+ idle-closed [1-9][0-9]* limit-closed 0 address-refused [1-9]"
echo SUCCESS
