#!/usr/bin/env bash
# guest_cookies -- DNS Cookies in the DNS unikernel application (the unix
# test image of mk/dnsg.mk, example.org) on loopback, the same checks as
# dnsd_cookies.sh for tibra-dnsd: dig +cookie gets a cookie that is valid
# when sent back (UDP and TCP); a bad server cookie gets a new one; a
# 2-byte option gets FORMERR; --cookie-secret given at run time makes the
# cookies tibra-dnsd makes with the same secret (one secret, both drivers);
# --cookies-require=on: BADCOOKIE, then dig's retry is answered;
# --cookie-secret=NEW,OLD accepts OLD's cookies (a rollover);
# --cookie-secret is refused in a bad form; the counters at stop.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup guest_cookies
IMG=${TIBRA_UNIX:-build/unix-$(uname -m)}/app/dnsd/guest/dnsd
[ -x "$IMG" ] || fail "$IMG not built (make check-build)"
[ -z "${CROSS_RUN:-}" ] || skip "cross build: guest_unix.sh covers qemu-user"
SECRET=00112233445566778899aabbccddeeff
CL=0102030405060708
GPID=
trap '[ -n "$GPID" ] && kill -KILL $GPID 2>/dev/null; dnsd_cleanup' EXIT

guest_start() { # ARGS...: the image on 127.0.0.1@$PORT, until it answers
    "$IMG" --listen=127.0.0.1@"$PORT" "$@" >"$TMP/glog" 2>&1 &
    GPID=$!
    for _ in $(seq 100); do
        kill -0 "$GPID" 2>/dev/null || fail "the image exited: $(cat "$TMP/glog")"
        q +tcp +short example.org SOA 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    fail "the image did not answer within 10 s"
}
guest_stop() {
    dnsd_guest_stop
    [ $rc = 0 ] || fail "exit status $rc: $(cat "$TMP/glog")"
}
cookie_of() { sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p' | head -1; }

guest_start --cookie-secret=$SECRET
expect_match "cookies on, secret given" "$(cat "$TMP/glog")" "cookies on, secret given"
out=$(q +cookie=$CL www.example.org A)
expect_match "answered" "$out" "^www\.example\.org\..*192\.0\.2\.10"
ck=$(printf '%s\n' "$out" | cookie_of)
[ ${#ck} = 48 ] || fail "no cookie: $out"
out=$(q +cookie="$ck" www.example.org A)
expect_match "the cookie sent back is good" "$out" "COOKIE: $ck \(good\)"
out=$(q +tcp +cookie="$ck" www.example.org A)
expect_match "TCP: echoed" "$out" "COOKIE: $ck \(good\)"
bad=${CL}0100000000000000deadbeefdeadbeef
out=$(q +cookie=$bad www.example.org A)
nck=$(printf '%s\n' "$out" | cookie_of)
expect_match "bad server cookie: answered" "$out" "status: NOERROR"
[ ${#nck} = 48 ] && [ "$nck" != "$bad" ] || fail "bad server cookie: '$nck'"
out=$(q +nocookie +ednsopt=10:0102 www.example.org A)
expect_match "2-byte option: FORMERR" "$out" "status: FORMERR"
guest_stop
expect_match "counters" "$(cat "$TMP/glog")" \
    "cookie queries [0-9]+ new [0-9]+ valid 2 invalid 1 badcookie 0 formerr 1"

# One secret, both drivers: tibra-dnsd's cookie is valid at the guest.
mkdir -p "$TMP/zones"
cp examples/zones/example.org.zone "$TMP/zones/example.org.zone"
echo $SECRET >"$TMP/secret"
{
    echo "service: name it; target unix; workers 1"
    echo "         listen 127.0.0.1@$PORT; cookie-secret-file secret"
    echo "zone:    example.org; file zones/example.org.zone"
} >"$TMP/ns.conf"
"$DNSD" "$TMP/ns.conf" 2>"$TMP/log" &
DNSD_PID=$!
for _ in $(seq 100); do
    q +short example.org SOA 2>/dev/null | grep -q . && break
    sleep 0.1
done
tck=$(q +cookie=$CL www.example.org A | cookie_of)
[ ${#tck} = 48 ] || fail "no cookie from tibra-dnsd"
dnsd_stop TERM
guest_start --cookie-secret=$SECRET --cookies-require=on
out=$(q +cookie="$tck" www.example.org A 2>&1)
expect_match "tibra-dnsd's cookie: good at the guest" "$out" "COOKIE: $tck \(good\)"
case $out in *BADCOOKIE*) fail "tibra-dnsd's cookie got BADCOOKIE" ;; esac
guest_stop
# A rollover: a new secret first, the old one accepted.
guest_start --cookie-secret=ffeeddccbbaa99887766554433221100,$SECRET \
    --cookies-require=on
out=$(q +cookie="$tck" www.example.org A 2>&1)
case $out in *BADCOOKIE*) fail "rollover: the old secret's cookie got BADCOOKIE" ;; esac
rck=$(printf '%s\n' "$out" | cookie_of)
[ ${#rck} = 48 ] && [ "$rck" != "$tck" ] || fail "rollover: not a new cookie: '$rck'"
echo "ok   rollover: the old cookie accepted, a new one given"
out=$(q +cookie=$CL www.example.org A 2>&1)
expect_match "require: BADCOOKIE first" "$out" "BADCOOKIE, retrying"
expect_match "require: then answered" "$out" "^www\.example\.org\..*192\.0\.2\.10"
guest_stop
expect_match "require: counted" "$(cat "$TMP/glog")" "valid [1-9][0-9]* .*badcookie [1-9]"

# Refused forms: one line naming the argument, exit 1.
for bad in --cookie-secret=0011 --cookie-secret=zz112233445566778899aabbccddeeff \
    --cookie-secret=$SECRET,00 \
    --cookies=maybe; do
    out=$(timeout 20 "$IMG" --listen=127.0.0.1@"$PORT" "$bad" 2>&1)
    rc=$?
    [ $rc = 1 ] || fail "$bad: exit status $rc ($out)"
    expect_match "$bad refused" "$out" "bad argument '${bad%%=*}="
done
echo SUCCESS
