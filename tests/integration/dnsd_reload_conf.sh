#!/bin/bash
# dnsd_reload_conf.sh -- SIGHUP re-reads the service file and applies its
# zones at run time (issue 10, app/dnsd/reconf.c), while a client queries
# without a break:
#   unchanged service file: no "service file:" line, the zones reload;
#   a primary zone added, a zone's allow-transfer changed (to a TSIG key
#   added with it), a secondary added (its primary a second tibra-dnsd):
#   each "applied", served at once (the secondary after its AXFR), the
#   transfer refused without the key and given with it; listen and
#   workers changed: "needs a restart", not applied;
#   the same file again: the short way (zone files reloaded, nothing
#   else rebuilt); the key's secret changed: the old secret no longer
#   transfers, the new one does; a zone removed: REFUSED;
#   a broken service file: its FILE:LINE error, "the running configuration
#   is kept", every zone still served.
# Throughout, a client sends SOA queries for example.test (UDP, each
# retried 10 times 0.5 s apart): none may go unanswered or be answered
# with anything but NOERROR.  Everything on 127.0.0.1; every wait bounded;
# only PIDs started here are stopped.
TEST_NAME=dnsd_reload_conf
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_reload_conf
mkdir -p "$TMP/zones" "$TMP/keys" "$TMP/p" "$TMP/sec"
dnsd_zone "$TMP/zones/example.test.zone" 1
dnsd_conf
dnsd_start
PPID2= CPID=
cleanup_all() {
    [ -n "$CPID" ] && kill "$CPID" 2>/dev/null && wait "$CPID" 2>/dev/null
    [ -n "$PPID2" ] && pid_stop "$PPID2"
    dnsd_cleanup
}
trap cleanup_all EXIT

# The concurrent client: until $TMP/stop exists; counts in $TMP/client.
python3 - "$PORT" "$TMP/stop" "$TMP/client" <<'PY' &
import os, socket, struct, sys, time
port, stop, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("127.0.0.1", port))
ok = lost = bad = 0
qid = 0
while not os.path.exists(stop):
    qid = (qid + 1) & 0xffff
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    q += b"\x07example\x04test\x00" + struct.pack(">HH", 6, 1)
    got = None
    for _ in range(10):
        s.send(q)
        s.settimeout(0.5)
        try:
            while True:
                r = s.recv(4096)
                if len(r) >= 12 and struct.unpack(">H", r[:2])[0] == qid:
                    got = r
                    break
        except socket.timeout:
            continue
        break
    if got is None:
        lost += 1
    elif got[3] & 0xF != 0 or not got[2] & 0x04:
        bad += 1
    else:
        ok += 1
    time.sleep(0.005)
with open(out, "w") as f:
    f.write("%d %d %d\n" % (ok, lost, bad))
PY
CPID=$!

# wait_log N: up to 30 s for "reload done" to appear N times.
wait_log() {
    for _ in $(seq 300); do
        [ "$(grep -c 'reload done' "$TMP/log")" -ge "$1" ] && return 0
        sleep 0.1
    done
    fail "no reload done #$1 within 30 s"
}
wait_for() { # WHAT CMD...: up to 30 s
    local what=$1
    shift
    for _ in $(seq 300); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "$what: not within 30 s"
}
serial() { q +short example.test SOA | awk '{print $3}'; }
rcode() { q "$1" SOA | sed -n 's/.*status: \([A-Z]*\).*/\1/p'; }
serves() { q +norec "$1" SOA | grep -q 'flags: qr aa'; }
axfr() { # axfr [KEYSPEC]: the AXFR's record count (0: refused)
    dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 ${1:+-y "$1"} example.test \
        AXFR 2>/dev/null | grep -c '^[a-z0-9*].*IN' || true
}

kill -HUP "$DNSD_PID"
wait_log 1
grep -q 'service file:' "$TMP/log" && fail "unchanged service file: a change was logged"
echo "ok   unchanged service file: nothing logged"
expect "no transfers allowed yet" "$(axfr)" 0

# A second tibra-dnsd, primary of sec.test for the secondary added below.
P2=$(dnsd_free_port)
printf '$ORIGIN sec.test.\n$TTL 300\n@ SOA ns1 h 7 3600 900 604800 60\n@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.77\n' \
    >"$TMP/p/sec.test.zone"
cat >"$TMP/p/ns.conf" <<EOF
service: name p; target unix; workers 1
         listen 127.0.0.1@$P2
zone:    sec.test; file sec.test.zone; allow-transfer 127.0.0.1
EOF
"$DNSD" "$TMP/p/ns.conf" 2>"$TMP/p/log" &
PPID2=$!
wait_for "the second tibra-dnsd answers" \
    dig @127.0.0.1 -p "$P2" +time=1 +tries=1 +short sec.test SOA

K1=$(printf 'tibra reload test secret 1, 32 B' | base64 -w0)
K2=$(printf 'tibra reload test secret 2, 32 B' | base64 -w0)
printf '%s\n' "$K1" >"$TMP/keys/k1"
chmod 600 "$TMP/keys/k1"
OPORT=$(dnsd_free_port)
dnsd_zone "$TMP/zones/example.test.zone" 2
sed 's/example\.test\./new.test./' "$TMP/zones/example.test.zone" \
    >"$TMP/zones/new.test.zone"
cat >"$TMP/ns.conf" <<EOF
service: name it; target unix; workers 3
         listen 127.0.0.1@$PORT; listen 127.0.0.1@$OPORT
zone:    example.test; file zones/example.test.zone; allow-transfer 127.0.0.1 key k1
zone:    new.test; file zones/new.test.zone
zone:    sec.test; file sec/sec.test.zone; primary 127.0.0.1@$P2
key:     k1; algorithm hmac-sha256; secret-file keys/k1
EOF
kill -HUP "$DNSD_PID"
wait_log 2
log=$(cat "$TMP/log")
expect_match "listen: needs a restart" "$log" \
    'SIGHUP: service file: listen changed: needs a restart'
expect_match "workers: needs a restart" "$log" \
    'SIGHUP: service file: workers changed: needs a restart'
expect_match "zone added: applied" "$log" \
    'SIGHUP: service file: zone new.test added \(line 4\): applied'
expect_match "secondary added: applied" "$log" \
    'SIGHUP: service file: zone sec.test added \(line 5\): applied'
expect_match "zone changed: applied" "$log" \
    'SIGHUP: service file: zone example.test \(line 3\) changed: applied'
expect "the zone file reloads" "$(serial)" 2
serves new.test || fail "the added zone is not served"
echo "ok   the added primary zone is served"
wait_for "the added secondary transferred and served" serves sec.test
expect "the secondary's data" \
    "$(q +short www.sec.test A)" 192.0.2.77
[ -s "$TMP/sec/sec.test.zone" ] || fail "the secondary's copy is not kept"
echo "ok   the secondary's copy is kept"
expect "allow-transfer changed: unsigned AXFR refused" "$(axfr)" 0
n=$(axfr "hmac-sha256:k1:$K1")
[ "$n" -gt 50 ] || fail "AXFR with the added key: $n records"
echo "ok   AXFR with the key added by the reload ($n records)"
dig @127.0.0.1 -p "$OPORT" +time=1 +tries=1 example.test SOA >/dev/null 2>&1 &&
    fail "the new listen address was applied"
echo "ok   the new listen address is not used (restart)"

# The same file again (same zones, same key secret): the short way, the
# zone files reloaded, secondaries and keys left as they run.
a0=$(grep -c 'SIGHUP: applying' "$TMP/log")
kill -HUP "$DNSD_PID"
wait_log 3
expect "same zones and key: no plane swap" \
    "$(grep -c 'SIGHUP: applying' "$TMP/log")" "$a0"
expect_match "same zones and key: the zone files reloaded" \
    "$(cat "$TMP/log")" 'SIGHUP: reloading 3 zones'

# The key's secret changes; new.test is removed: the plane is rebuilt,
# and the secondary goes on as it runs (not read again from its copy).
printf '%s\n' "$K2" >"$TMP/keys/k1"
sed -i '/^zone:    new.test/d' "$TMP/ns.conf"
r0=$(grep -c 'zone sec.test: serial 7 from' "$TMP/log")
kill -HUP "$DNSD_PID"
wait_log 4
expect "the secondary continues (its kept copy not read again)" \
    "$(grep -c 'zone sec.test: serial 7 from' "$TMP/log")" "$r0"
expect_match "zone removed: applied" "$(cat "$TMP/log")" \
    'SIGHUP: service file: zone new.test removed: applied'
expect "the removed zone is refused" "$(rcode new.test)" REFUSED
expect "the old secret no longer transfers" "$(axfr "hmac-sha256:k1:$K1")" 0
n=$(axfr "hmac-sha256:k1:$K2")
[ "$n" -gt 50 ] || fail "AXFR with the new secret: $n records"
echo "ok   the key's new secret is read ($n records)"
serves sec.test || fail "the secondary is no longer served"
echo "ok   the secondary is still served"

printf 'service: listen 127.0.0.1@%s\nzone: example.test; file\n' "$PORT" >"$TMP/ns.conf"
kill -HUP "$DNSD_PID"
for _ in $(seq 300); do
    grep -q 'the running configuration is kept' "$TMP/log" && break
    sleep 0.1
done
log=$(cat "$TMP/log")
expect_match "broken service file: FILE:LINE" "$log" "ns\.conf:2: "
expect_match "broken service file: kept" "$log" \
    'SIGHUP: .*ns\.conf: [0-9]+ errors?; the running configuration is kept'
expect "still serving after a broken service file" "$(serial)" 2
serves sec.test || fail "a broken service file took the secondary away"
echo "ok   the secondary still served after a broken service file"

touch "$TMP/stop"
wait "$CPID"
CPID=
read -r ok lost bad <"$TMP/client"
echo "client: $ok answered, $lost unanswered, $bad not NOERROR/AA"
[ "$ok" -gt 20 ] || fail "the client got only $ok answers"
expect "queries unanswered during the reloads" "$lost" 0
expect "answers not NOERROR during the reloads" "$bad" 0
dnsd_stop
expect "exit status" "$DNSD_RC" 0
echo "PASS $TEST_NAME"
