#!/usr/bin/env bash
# dnsd_cookies_peers -- DNS Cookies against NSD 4.6 (answer-cookie) and
# Knot 3.2 (mod-cookies) sharing one secret (RFC 9018: an anycast set of
# different servers must accept each other's cookies):
#   - a cookie NSD or Knot made is valid at tibra-dnsd (echoed, counted
#     valid), and tibra-dnsd's is valid at NSD (echoed) and at Knot
#     (answered, not BADCOOKIE);
#   - where RFC 7873 leaves the choice open, the behaviours side by side:
#     a client cookie alone or an invalid server cookie over UDP is
#     answered by NSD and by tibra-dnsd (default), BADCOOKIE from Knot
#     and from tibra-dnsd with cookies-require; over TCP all answer; a
#     2-byte option is FORMERR everywhere.
# Loopback only; each daemon is stopped by its PID; every wait bounded.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_cookies_peers
command -v nsd >/dev/null || skip "nsd not installed"
command -v knotd >/dev/null || skip "knotd not installed (knot)"

SECRET=e5e973e5a6b2a43f48e7dc849e37bfcf
CL=2464c4abcf10c957
NSD_PID=
KNOT_PID=
peers_cleanup() {
    for p in $NSD_PID $KNOT_PID; do
        kill -TERM "$p" 2>/dev/null
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null
    done
    dnsd_cleanup
}
trap peers_cleanup EXIT

mkdir -p "$TMP/zones" "$TMP/nsd" "$TMP/knot"
dnsd_zone "$TMP/zones/example.test.zone" 1
cp "$TMP/zones/example.test.zone" "$TMP/nsd/example.test.zone"
cp "$TMP/zones/example.test.zone" "$TMP/knot/example.test.zone"
echo $SECRET >"$TMP/secret"

TPORT=$PORT
NPORT=$(dnsd_free_port)
KPORT=$(dnsd_free_port)
[ -n "$NPORT" ] && [ -n "$KPORT" ] && [ "$NPORT" != "$KPORT" ] &&
    [ "$NPORT" != "$TPORT" ] && [ "$KPORT" != "$TPORT" ] || fail "no free ports"

cat >"$TMP/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$NPORT
    port: $NPORT
    zonesdir: "$TMP/nsd"
    zonelistfile: "$TMP/nsd/zone.list"
    database: ""
    pidfile: "$TMP/nsd/nsd.pid"
    xfrdfile: "$TMP/nsd/xfrd.state"
    username: ""
    answer-cookie: yes
    cookie-secret: "$SECRET"
    verbosity: 0
remote-control:
    control-enable: no
zone:
    name: example.test
    zonefile: example.test.zone
EOF
cat >"$TMP/knot/knot.conf" <<EOF
server:
    listen: 127.0.0.1@$KPORT
    rundir: $TMP/knot
database:
    storage: $TMP/knot/db
mod-cookies:
  - id: default
    secret: 0x$SECRET
    badcookie-slip: 1
template:
  - id: default
    storage: $TMP/knot
    global-module: mod-cookies/default
zone:
  - domain: example.test
    file: example.test.zone
log:
  - target: stderr
    any: error
EOF
nsd -d -c "$TMP/nsd/nsd.conf" >"$TMP/nsd/log" 2>&1 &
NSD_PID=$!
knotd -c "$TMP/knot/knot.conf" >"$TMP/knot/log" 2>&1 &
KNOT_PID=$!
dnsd_conf "cookie-secret-file secret"
dnsd_start

# dq PORT ARGS...: dig at a port; waits for the peers to answer first.
dq() {
    local port=$1
    shift
    dig @127.0.0.1 -p "$port" +time=2 +tries=2 "$@" 2>&1
}
for port in $NPORT $KPORT; do
    for _ in $(seq 100); do
        dq "$port" +tcp +short example.test SOA | grep -q hostmaster && break
        sleep 0.1
    done
    dq "$port" +tcp +short example.test SOA | grep -q hostmaster ||
        fail "the peer on port $port does not answer (logs: $(cat "$TMP"/*/log))"
done
cookie_of() { sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p' | tail -1; }
status_of() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' | tail -1; }

# ---- one secret, three implementations -------------------------------------
nck=$(dq $NPORT +cookie=$CL www.example.test A | cookie_of)
kck=$(dq $KPORT +cookie=$CL www.example.test A | cookie_of) # after BADCOOKIE
tck=$(dq $TPORT +cookie=$CL www.example.test A | cookie_of)
for c in "$nck" "$kck" "$tck"; do
    [ ${#c} = 48 ] || fail "a 24-byte cookie from each server: '$nck' '$kck' '$tck'"
done
out=$(dq $TPORT +cookie="$nck" www.example.test A)
expect_match "NSD's cookie is valid at tibra-dnsd" "$out" "COOKIE: $nck \(good\)"
out=$(dq $TPORT +cookie="$kck" www.example.test A)
expect_match "Knot's cookie is valid at tibra-dnsd" "$out" "COOKIE: $kck \(good\)"
out=$(dq $NPORT +cookie="$tck" www.example.test A)
expect_match "tibra-dnsd's cookie is valid at NSD" "$out" "COOKIE: $tck \(good\)"
out=$(dq $KPORT +cookie="$tck" +nobadcookie www.example.test A)
expect "tibra-dnsd's cookie is valid at Knot" "$(printf '%s\n' "$out" | status_of)" "NOERROR"
dnsd_stop TERM
expect_match "tibra-dnsd counted them valid" "$(cat "$TMP/log")" " valid 2 invalid 0 "

# ---- where the RFC leaves the choice open ----------------------------------
BAD=${CL}0100000000000000deadbeefdeadbeef
row() { # WHAT ARGS...: the status from NSD, Knot, tibra-dnsd default, require
    local what=$1
    shift
    printf '%-28s nsd %-9s knot %-9s tibra %-9s tibra-require %s\n' "$what" \
        "$(dq $NPORT "$@" | status_of)" "$(dq $KPORT "$@" | status_of)" \
        "$(dq $TPORT "$@" | status_of)" "$(dq $RPORT "$@" | status_of)"
}
dnsd_conf "cookie-secret-file secret"
dnsd_start
RPORT=$(dnsd_free_port)
[ -n "$RPORT" ] && [ "$RPORT" != "$TPORT" ] || fail "no free port"
{
    echo "service: name req; target unix; workers 1"
    echo "         listen 127.0.0.1@$RPORT; cookies-require on"
    echo "         cookie-secret-file secret"
    echo "zone:    example.test; file zones/example.test.zone"
} >"$TMP/req.conf"
"$DNSD" "$TMP/req.conf" 2>"$TMP/req.log" &
REQ_PID=$!
NSD_PID="$NSD_PID $REQ_PID" # stopped with the peers
for _ in $(seq 100); do
    dq $RPORT +tcp +short example.test SOA | grep -q hostmaster && break
    sleep 0.1
done
table=$(
    row "client cookie only (UDP)" +cookie=$CL +nobadcookie www.example.test A
    row "invalid server cookie (UDP)" +cookie=$BAD +nobadcookie www.example.test A
    row "invalid server cookie (TCP)" +tcp +cookie=$BAD www.example.test A
    row "2-byte COOKIE option" +nocookie +ednsopt=10:0102 www.example.test A
)
printf '%s\n' "$table" | sed 's/^/     /'
expect_match "client only: NSD and tibra answer, Knot and require BADCOOKIE" "$table" \
    "^client cookie only \(UDP\) +nsd NOERROR +knot BADCOOKIE +tibra NOERROR +tibra-require BADCOOKIE$"
expect_match "invalid (UDP): likewise" "$table" \
    "^invalid server cookie \(UDP\) +nsd NOERROR +knot BADCOOKIE +tibra NOERROR +tibra-require BADCOOKIE$"
expect_match "invalid (TCP): all answer" "$table" \
    "^invalid server cookie \(TCP\) +nsd NOERROR +knot NOERROR +tibra NOERROR +tibra-require NOERROR$"
expect_match "2-byte option: FORMERR everywhere" "$table" \
    "^2-byte COOKIE option +nsd FORMERR +knot FORMERR +tibra FORMERR +tibra-require FORMERR$"
dnsd_stop TERM
echo SUCCESS
