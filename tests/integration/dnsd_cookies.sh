#!/usr/bin/env bash
# dnsd_cookies -- DNS Cookies (RFC 7873, RFC 9018; issue 8) in tibra-dnsd,
# as dig and kdig see them:
#   - on by default: `dig +cookie` gets our server cookie; sent back, it
#     is valid (echoed, counted valid); kdig +cookie likewise;
#   - a server cookie that is not ours gets a new one and the answer;
#   - a COOKIE option of a bad length (2 bytes) gets FORMERR;
#   - cookie-secret-file: a second server with the same secret accepts the
#     first one's cookie (what an anycast set needs), one with another
#     secret does not, one with a new secret and the old one after it (a
#     rollover) accepts it and hands out a new-secret cookie; a bad secret
#     file or a FIFO is refused at start-up with FILE:LINE, without hanging;
#   - cookies-require: dig gets BADCOOKIE, retries with the cookie and is
#     answered; TCP and queries without any COOKIE option are answered;
#   - RRL (rrl-rate 5, loopback not exempt): 200 queries at once with a
#     valid server cookie are all answered in full, 200 without are
#     limited; cookies off: the option is ignored.
# Counters are checked in the exit log.  Loopback only, every wait bounded.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_cookies
command -v kdig >/dev/null || skip "kdig not installed (knot-dnsutils)"

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 1
CL=0102030405060708

# The COOKIE option dig printed ("; COOKIE: HEX (good)"), lowercase hex.
cookie_of() { sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p' | head -1; }

# ---- on by default -----------------------------------------------------
dnsd_conf ""
dnsd_start
expect_match "cookies on by default" "$(cat "$TMP/log")" "cookies: on, secret random"
out=$(q +cookie=$CL www.example.test A)
expect_match "first answer" "$out" "status: NOERROR"
expect_match "first answer: A" "$out" "^www\.example\.test\..*192\.0\.2\.10"
ck=$(printf '%s\n' "$out" | cookie_of)
[ ${#ck} = 48 ] || fail "no 24-byte cookie in the answer: '$ck'"
expect "client cookie echoed" "${ck:0:16}" "$CL"
expect "server cookie version 1, reserved 0" "${ck:16:8}" "01000000"
out=$(q +cookie="$ck" www.example.test A)
expect_match "second answer (good)" "$out" "COOKIE: $ck \(good\)"
expect_match "second answer: A" "$out" "^www\.example\.test\..*192\.0\.2\.10"
# kdig: learns the cookie, then sends it back.
kout=$(kdig @127.0.0.1 -p "$PORT" +time=2 +retry=1 +cookie=$CL www.example.test A)
kck=$(printf '%s\n' "$kout" | sed -n 's/^;; COOKIE: \([0-9A-Fa-f]*\).*/\1/p' | tr A-F a-f)
[ ${#kck} = 48 ] || fail "kdig: no cookie: $kout"
kout=$(kdig @127.0.0.1 -p "$PORT" +time=2 +retry=1 +cookie="$kck" www.example.test A)
expect_match "kdig with its cookie" "$kout" "status: NOERROR"
expect "kdig: the server cookie echoed" \
    "$(printf '%s\n' "$kout" | sed -n 's/^;; COOKIE: \([0-9A-Fa-f]*\).*/\1/p' | tr A-F a-f)" "$kck"
# A server cookie that is not ours: answered, with a new one.
bad=${CL}0100000000000000deadbeefdeadbeef
out=$(q +cookie=$bad www.example.test A)
expect_match "bad server cookie: answered" "$out" "^www\.example\.test\..*192\.0\.2\.10"
nck=$(printf '%s\n' "$out" | cookie_of)
[ ${#nck} = 48 ] && [ "$nck" != "$bad" ] || fail "bad server cookie: got '$nck'"
# A malformed option (2 bytes): FORMERR.
out=$(q +nocookie +ednsopt=10:0102 www.example.test A)
expect_match "malformed COOKIE: FORMERR" "$out" "status: FORMERR"
# Over TCP too.
out=$(q +tcp +cookie="$ck" www.example.test A)
expect_match "TCP: cookie echoed" "$out" "COOKIE: $ck \(good\)"
dnsd_stop TERM
expect "exit status" "$DNSD_RC" "0"
# 7 queries with a COOKIE option: dig x2 + kdig x2 + bad + malformed + TCP;
# valid: dig's second, kdig's second, TCP.
# (dnsd_start's probe, a dig, sends a client cookie too: "new" is not
# counted exactly.)
expect_match "cookie counters" "$(cat "$TMP/log")" \
    "cookie queries [0-9]+ new [0-9]+ valid 3 invalid 1 badcookie 0 formerr 1"

# ---- a shared secret: another server accepts the cookie ------------------
printf '  00112233445566778899aabbccddeeff\n' >"$TMP/secret"
dnsd_conf "cookie-secret-file secret"
dnsd_start
expect_match "secret from the file" "$(cat "$TMP/log")" "cookies: on, secret from .*secret"
ck=$(q +cookie=$CL www.example.test A | cookie_of)
[ ${#ck} = 48 ] || fail "no cookie with the file's secret"
dnsd_stop TERM
dnsd_start # a second server, the same secret
out=$(q +cookie="$ck" www.example.test A)
expect_match "same secret: the cookie is echoed" "$out" "COOKIE: $ck \(good\)"
dnsd_stop TERM
expect_match "same secret: valid" "$(cat "$TMP/log")" "new [0-9]+ valid 1 invalid 0 "
printf 'ffeeddccbbaa99887766554433221100\n' >"$TMP/secret"
dnsd_start # another secret
out=$(q +cookie="$ck" www.example.test A)
expect_match "another secret: answered" "$out" "^www\.example\.test\..*192\.0\.2\.10"
dnsd_stop TERM
expect_match "another secret: invalid" "$(cat "$TMP/log")" "new [0-9]+ valid 0 invalid 1 "
# A rollover (RFC 9018 5): the new secret first, the old one still
# accepted: the old cookie is valid, and answered with a new one.
printf 'ffeeddccbbaa99887766554433221100\n00112233445566778899aabbccddeeff\n' \
    >"$TMP/secret"
dnsd_start
expect_match "rollover: two secrets" "$(cat "$TMP/log")" "earlier ones accepted"
out=$(q +cookie="$ck" www.example.test A)
rck=$(printf '%s\n' "$out" | cookie_of)
[ ${#rck} = 48 ] && [ "$rck" != "$ck" ] || fail "rollover: not a new cookie: '$rck'"
out=$(q +cookie="$rck" www.example.test A)
expect_match "rollover: the new cookie is echoed" "$out" "COOKIE: $rck \(good\)"
dnsd_stop TERM
expect_match "rollover: both valid" "$(cat "$TMP/log")" "new [0-9]+ valid 2 invalid 0 "
# Bad secret files: refused at start-up with FILE:LINE, never hanging.
printf 'ffeeddccbbaa99887766554433221100\n0011\n' >"$TMP/secret"
timeout 10 "$DNSD" "$TMP/ns.conf" 2>"$TMP/err" >/dev/null
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || fail "a short secret: exit status $rc"
expect_match "short secret" "$(cat "$TMP/err")" "secret:2: cookie secret: want 32 hex digits"
rm -f "$TMP/secret"
mkfifo "$TMP/secret"
timeout 10 "$DNSD" "$TMP/ns.conf" 2>"$TMP/err" >/dev/null
rc=$?
[ $rc != 0 ] && [ $rc != 124 ] || fail "a FIFO secret: exit status $rc (124: hung)"
expect_match "FIFO secret" "$(cat "$TMP/err")" \
    "ns\.conf:[0-9]+: cookie-secret-file .*secret: not a regular file"
rm -f "$TMP/secret"

# ---- cookies-require -----------------------------------------------------
dnsd_conf "cookies-require on"
dnsd_start
out=$(q +cookie=$CL www.example.test A 2>&1)
expect_match "require: BADCOOKIE first" "$out" "BADCOOKIE, retrying"
expect_match "require: then answered" "$out" "status: NOERROR"
expect_match "require: the A" "$out" "^www\.example\.test\..*192\.0\.2\.10"
out=$(q +nocookie www.example.test A)
expect_match "require: no COOKIE option at all: answered" "$out" "status: NOERROR"
out=$(q +tcp +cookie=$CL www.example.test A)
expect_match "require: TCP needs no server cookie" "$out" "status: NOERROR"
kout=$(kdig @127.0.0.1 -p "$PORT" +time=2 +retry=1 +cookie=$CL www.example.test A)
expect_match "require: kdig sees BADCOOKIE" "$kout" "BADCOOKIE"
dnsd_stop TERM
# dig's and kdig's first tries (and dnsd_start's probe, a dig)
bc=$(sed -n 's/.*badcookie \([0-9]*\) formerr.*/\1/p' "$TMP/log")
[ -n "$bc" ] && [ "$bc" -ge 2 ] || fail "require: badcookie counter '$bc'"
echo "ok   require: $bc BADCOOKIE answers counted"

# ---- RRL: a valid cookie is never limited --------------------------------
rrl_flood() { # MODE: cookie (must all be answered) or plain (limited)
    PYTHONPATH="$(dirname "$0")" PYTHONDONTWRITEBYTECODE=1 \
        /usr/bin/python3 - "$PORT" "$1" <<'PY'
import socket, struct, sys
from dnsq import tally
port, mode = int(sys.argv[1]), sys.argv[2]
CL = bytes.fromhex("0102030405060708")

def query(qid, cookie, name=b"\3www"):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 1) + \
        name + b"\7example\4test\0" + struct.pack(">HH", 1, 1)
    opt = struct.pack(">HH", 10, len(cookie)) + cookie
    return q + b"\0" + struct.pack(">HHIH", 41, 1232, 0, len(opt)) + opt

def cookie_of(r):  # our answers end with the OPT; its last option: COOKIE
    if len(r) >= 28 and r[-28:-24] == b"\x00\x0a\x00\x18":
        return r[-24:]
    return None

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.connect(("127.0.0.1", port))
s.settimeout(2.0)
ck = CL
if mode == "cookie":  # learn the server cookie, on another name (bucket)
    for attempt in range(5):
        s.send(query(60000 + attempt, CL, b"\4mail"))
        try:
            r = s.recv(4096)
        except socket.timeout:
            continue
        ck = cookie_of(r)
        if ck:
            break
    if not ck or len(ck) != 24:
        sys.exit("no server cookie learnt")
n = 200
for i in range(n):
    s.send(query(i, ck))
ans, tc, silent = tally(s, n)
print("%s: %d queries, %d answered, %d truncated, %d silent"
      % (mode, n, ans, tc, silent))
if mode == "cookie" and ans != n:
    sys.exit("a client with a valid cookie was limited")
if mode == "plain" and ans > 40:
    sys.exit("a client without a valid cookie was not limited")
PY
}
dnsd_conf "rrl-rate 5; rrl-exempt-loopback off"
dnsd_start -w 1
rrl_flood plain || fail "RRL without a valid cookie"
rrl_flood cookie || fail "RRL with a valid cookie"
rrl_flood plain || fail "RRL without a valid cookie, after"
dnsd_stop TERM
grep -Eq 'rrl dropped [1-9][0-9]* slipped [1-9]' "$TMP/log" ||
    fail "no RRL counters in the exit log"
expect_match "rrl: 200 valid" "$(cat "$TMP/log")" " valid 200 "

# ---- cookies off -----------------------------------------------------------
dnsd_conf "cookies off"
dnsd_start
out=$(q +cookie=$CL www.example.test A)
expect_match "off: answered" "$out" "status: NOERROR"
printf '%s\n' "$out" | grep -q "COOKIE:" && fail "off: a COOKIE in the answer"
out=$(q +nocookie +ednsopt=10:0102 www.example.test A)
expect_match "off: a malformed option is ignored" "$out" "status: NOERROR"
dnsd_stop TERM
expect_match "off: no cookie counted" "$(cat "$TMP/log")" "cookie queries 0 "
echo SUCCESS
