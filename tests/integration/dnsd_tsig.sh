#!/usr/bin/env bash
# dnsd_tsig -- TSIG (RFC 8945, issue 10) against tibra-dnsd: keys from
# `key:` sections, secrets read at run time from files (base64 and BIND
# form).  dig -y and kdig -y get signed answers and verify them (UDP and
# TCP; hmac-sha256, hmac-sha512, hmac-md5); a wrong key name gets
# NOTAUTH/BADKEY, a wrong secret NOTAUTH/BADSIG, a clock 20 minutes off
# BADTIME with the server's time (dnspython with a fake clock), a MAC
# truncated below the key's policy BADTRUNC; unsigned queries are
# answered as before; no secret ever appears in the log; --check refuses
# a bad secret file with FILE:LINE.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_tsig
command -v kdig >/dev/null || skip "kdig not installed (knot-dnsutils)"
/usr/bin/python3 -c 'import dns.tsig' 2>/dev/null ||
    skip "python3-dnspython not installed"

mkdir -p "$TMP/zones" "$TMP/keys"
dnsd_zone "$TMP/zones/example.test.zone" 1
# Fixed secrets: the test must not depend on chance.
K1=$(printf 'tibra-tsig-test-secret-k1-32byte' | base64 -w0)
K2=$(printf 'a 64-byte secret for hmac-sha512 in a BIND key file, tibra test' |
    base64 -w0)
K3=$(printf 'old-peer-md5-key' | base64 -w0)
printf '%s\n' "$K1" >"$TMP/keys/k1"
cat >"$TMP/keys/k2.key" <<KEY
key "k2.example" {
	algorithm hmac-sha512;
	secret "$K2";
};
KEY
printf '%s\n' "$K3" >"$TMP/keys/k3"
chmod 600 "$TMP/keys/"*
dnsd_conf
cat >>"$TMP/ns.conf" <<CONF
         allow-transfer 127.0.0.1 key tsig-key
key:     tsig-key; algorithm hmac-sha256; secret-file keys/k1
key:     k2.example; algorithm hmac-sha512
         secret-file keys/k2.key
key:     k3 hmac-md5 secret-file keys/k3
CONF
"$DNSD" --check "$TMP/ns.conf" 2>"$TMP/check.log" ||
    { cat "$TMP/check.log"; fail "--check refused the service"; }
dnsd_start

# dig verifies the reply's TSIG and says "tsig verify failure" otherwise.
out=$(q -y "hmac-sha256:tsig-key:$K1" www.example.test A)
expect_match "dig -y hmac-sha256: NOERROR" "$out" 'status: NOERROR'
expect_match "dig -y hmac-sha256: the answer" "$out" \
    '^www\.example\.test\..*IN[[:space:]]+A[[:space:]]+192\.0\.2\.10'
expect_match "dig -y hmac-sha256: reply signed" "$out" \
    '^tsig-key\..*ANY[[:space:]]+TSIG[[:space:]]+hmac-sha256\..* NOERROR 0'
printf '%s\n' "$out" | grep -qi "verify failure\|couldn't verify" &&
    fail "dig could not verify the reply: $out"
out=$(q +tcp -y "hmac-sha512:k2.example:$K2" www.example.test AAAA)
expect_match "dig +tcp -y hmac-sha512 (BIND key file)" "$out" \
    '^k2\.example\..*TSIG[[:space:]]+hmac-sha512\..* NOERROR 0'
expect_match "dig +tcp: the answer" "$out" '2001:db8::10'
printf '%s\n' "$out" | grep -qi "verify failure\|couldn't verify" &&
    fail "dig could not verify the TCP reply: $out"
out=$(q -y "hmac-md5:k3:$K3" mail.example.test A)
expect_match "dig -y hmac-md5 (old peers)" "$out" \
    'TSIG[[:space:]]+hmac-md5\.sig-alg\.reg\.int\..* NOERROR 0'
out=$(kdig @127.0.0.1 -p "$PORT" +time=2 +retry=1 \
    -y "hmac-sha256:tsig-key:$K1" www.example.test A 2>&1)
expect_match "kdig -y: NOERROR" "$out" 'status: NOERROR'
expect_match "kdig -y: the answer" "$out" '192\.0\.2\.10'
expect_match "kdig -y: reply signed" "$out" 'TSIG PSEUDOSECTION'
printf '%s\n' "$out" | grep -qi "warning\|failed" &&
    fail "kdig did not accept the reply: $out"
out=$(kdig @127.0.0.1 -p "$PORT" +tcp +time=2 +retry=1 \
    -y "hmac-sha512:k2.example:$K2" example.test SOA 2>&1)
expect_match "kdig +tcp -y hmac-sha512" "$out" 'hostmaster\.example\.test\.'
printf '%s\n' "$out" | grep -qi "warning\|failed" &&
    fail "kdig did not accept the TCP reply: $out"

# AXFR with allow-transfer ... key: every message signed (RFC 8945
# 5.3.1); dig and kdig verify each one.  Unsigned: refused.
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 \
    -y "hmac-sha256:tsig-key:$K1" example.test AXFR)
expect_match "dig -y AXFR: the records" "$out" \
    '^mail\.example\.test\..*IN[[:space:]]+A[[:space:]]+192\.0\.2\.25'
expect "dig -y AXFR: SOA first and last" \
    "$(printf '%s\n' "$out" | grep -c 'IN[[:space:]]*SOA')" 2
expect_match "dig -y AXFR: signed" "$out" \
    '^tsig-key\..*TSIG[[:space:]]+hmac-sha256\..* NOERROR 0'
printf '%s\n' "$out" | grep -qi "verify failure\|couldn't verify\|failed" &&
    fail "dig did not verify the AXFR: $out"
out=$(kdig @127.0.0.1 -p "$PORT" +time=5 +retry=0 \
    -y "hmac-sha256:tsig-key:$K1" example.test AXFR 2>&1)
expect_match "kdig -y AXFR: received" "$out" 'Received [0-9]+ B \(1 messages, 5[0-9] records\)'
printf '%s\n' "$out" | grep -qi "warning\|failed\|;; error" &&
    fail "kdig did not accept the AXFR: $out"
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 example.test AXFR)
expect_match "unsigned AXFR: refused (the entry needs the key)" "$out" \
    'Transfer failed|REFUSED'
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 \
    -y "hmac-sha512:k2.example:$K2" example.test AXFR)
expect_match "AXFR signed with another key: refused" "$out" \
    'Transfer failed|REFUSED'

# Errors (RFC 8945 5.2): a key we do not have, a wrong secret.
out=$(q -y "hmac-sha256:nokey:$K1" www.example.test A)
expect_match "unknown key: NOTAUTH" "$out" 'status: NOTAUTH'
expect_match "unknown key: BADKEY" "$out" 'TSIG.*BADKEY'
out=$(q -y "hmac-sha256:tsig-key:$K3" www.example.test A)
expect_match "wrong secret: NOTAUTH" "$out" 'status: NOTAUTH'
expect_match "wrong secret: BADSIG" "$out" 'TSIG.*BADSIG'
out=$(q -y "hmac-sha512:tsig-key:$K1" www.example.test A)
expect_match "wrong algorithm: BADKEY" "$out" 'TSIG.*BADKEY'

# Time and truncation, crafted with dnspython (a fake clock).
/usr/bin/python3 - "$PORT" "$K1" <<'PY' || fail "dnspython checks (see above)"
import base64, socket, struct, sys, time
import dns.message, dns.tsig, dns.tsigkeyring, dns.rcode, dns.flags

port, k1 = int(sys.argv[1]), sys.argv[2]
kr = dns.tsigkeyring.from_text({"tsig-key.": ("hmac-sha256", k1)})


def ask(wire, tcp=False):
    if tcp:
        s = socket.create_connection(("127.0.0.1", port), timeout=3)
        s.sendall(struct.pack("!H", len(wire)) + wire)
        n = struct.unpack("!H", s.recv(2))[0]
        r = b""
        while len(r) < n:
            r += s.recv(n - len(r))
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(wire, ("127.0.0.1", port))
        r = s.recv(65535)
    s.close()
    return r


def raw(r):
    """RCODE and the TSIG RR's MAC, error and other data, read by hand
    (dnspython would validate, or refuse a TSIG without a key)."""
    i = r.rindex(b"\x08tsig-key\x00\x00\xfa")
    p = i + 10 + 10
    while r[p] != 0:
        p += r[p] + 1
    p += 1 + 8
    n = struct.unpack("!H", r[p:p + 2])[0]
    mac = r[p + 2:p + 2 + n]
    p += 2 + n + 2
    err, olen = struct.unpack("!HH", r[p:p + 4])
    return r[3] & 15, mac, err, r[p + 4:p + 4 + olen]


real = time.time
ok = True
for tcp in (False, True):
    # 20 minutes slow: BADTIME, signed, with our time in Other Data.
    q = dns.message.make_query("www.example.test.", "A")
    q.use_tsig(kr, keyname="tsig-key.")
    time.time = lambda: real() - 1200
    w = q.to_wire()
    time.time = real
    r = ask(w, tcp)
    try:
        dns.message.from_wire(r, keyring=kr, request_mac=q.mac)
        print("BADTIME: the response verified as a success"); ok = False
    except dns.tsig.PeerBadTime:
        pass
    rc, mac, err, other = raw(r)
    if rc != dns.rcode.NOTAUTH or err != 18 or len(other) != 6 or \
            abs(int.from_bytes(other, "big") - real()) > 5 or len(mac) != 32:
        print("BADTIME response wrong:", rc, err, other, mac); ok = False
    else:
        print("ok   BADTIME (%s): NOTAUTH, signed, server time in Other Data"
              % ("tcp" if tcp else "udp"))
    # A correctly signed query verifies with dnspython too.
    q = dns.message.make_query("www.example.test.", "A")
    q.use_tsig(kr, keyname="tsig-key.")
    w = q.to_wire()
    r = dns.message.from_wire(ask(w, tcp), keyring=kr, request_mac=q.mac)
    if r.rcode() != 0 or not r.answer or not r.had_tsig:
        print("signed query: bad answer", r); ok = False
    else:
        print("ok   dnspython verifies the signed answer (%s)"
              % ("tcp" if tcp else "udp"))
    # MAC truncated to 16 bytes (allowed by RFC 8945 5.2.2.1, under our
    # policy): BADTRUNC, signed.
    i = w.rindex(b"\x08tsig-key\x00\x00\xfa")
    rd = i + 10 + 8
    p = rd + 2 + len(b"\x0bhmac-sha256\x00") + 8
    mac_len = struct.unpack("!H", w[p:p + 2])[0]
    t = bytearray(w)
    t[p:p + 2] = struct.pack("!H", 16)
    del t[p + 2 + 16:p + 2 + mac_len]
    t[rd:rd + 2] = struct.pack("!H", struct.unpack("!H", w[rd:rd + 2])[0] -
                               (mac_len - 16))
    rc, mac, err, other = raw(ask(bytes(t), tcp))
    if rc != dns.rcode.NOTAUTH or err != 22 or len(mac) != 32:
        print("BADTRUNC response wrong:", rc, err, mac); ok = False
    else:
        print("ok   truncated MAC: BADTRUNC (%s)" % ("tcp" if tcp else "udp"))
    # MAC truncated below the RFC's floor: FORMERR.
    t2 = bytearray(t)
    t2[p:p + 2] = struct.pack("!H", 8)
    del t2[p + 2 + 8:p + 2 + 16]
    t2[rd:rd + 2] = struct.pack("!H", struct.unpack("!H", t[rd:rd + 2])[0] - 8)
    r = ask(bytes(t2), tcp)
    if r[3] & 15 != dns.rcode.FORMERR or struct.unpack("!H", r[10:12])[0]:
        print("MAC of 8 bytes: not an unsigned FORMERR:", r.hex()); ok = False
    else:
        print("ok   MAC of 8 bytes: FORMERR (%s)" % ("tcp" if tcp else "udp"))
sys.exit(0 if ok else 1)
PY

# Unsigned queries as before.
expect "unsigned query" "$(q +short www.example.test A)" "192.0.2.10"
dnsd_stop
expect "exit status" "$DNSD_RC" 0
for s in "$K1" "$K2" "$K3"; do
    grep -qF "$s" "$TMP/log" && fail "a secret is in the log"
done
echo "ok   no secret in the log"

# --check reads the secrets too: a bad one is refused with FILE:LINE.
printf 'not base64!\n' >"$TMP/keys/k3"
if "$DNSD" --check "$TMP/ns.conf" 2>"$TMP/check.log"; then
    fail "--check accepted a secret that is not base64"
fi
expect_match "--check: bad secret FILE:LINE" "$(cat "$TMP/check.log")" \
    'keys/k3:1: the secret is not base64'
grep -qF "not base64!" "$TMP/check.log" && fail "the bad secret was printed"
# tibra build never puts a secret into an image.  aarch64 spt images
# cannot take keys (no arm64 BearSSL): refused; x86_64 spt/hvt images
# take them at run time (guest_tsig.sh runs them), as a unix image does
# (--tsig-key=NAME:ALG:BASE64), which then signs like tibra-dnsd.
TIBRA=${TIBRA_HOST:-build/host-$(uname -m)}/tibra
if [ -x "$TIBRA" ] && [ -d "$(dirname "$TIBRA")/../lib/tibra" ]; then
    printf '%s\n' "$K3" >"$TMP/keys/k3"
    # allow-transfer ... key: images have no keyed ACL yet: refused.
    if "$TIBRA" build "$TMP/ns.conf" -o "$TMP/x.img" >"$TMP/build.log" 2>&1
    then
        fail "tibra build made an image with allow-transfer ... key"
    fi
    expect_match "tibra build: allow-transfer key refused (FILE:LINE)" \
        "$(cat "$TMP/build.log")" 'ns\.conf:[0-9]+: zone example\.test: allow-transfer \.\.\. key tsig-key is not supported in images'
    sed '/allow-transfer/d' "$TMP/ns.conf" >"$TMP/img.conf"
    sed 's/^service: .*/&; address 10.0.0.2\/24/' "$TMP/img.conf" \
        >"$TMP/spt.conf"
    if "$TIBRA" build "$TMP/spt.conf" --target spt --arch aarch64 \
        -o "$TMP/x.spt" >"$TMP/build.log" 2>&1; then
        fail "tibra build made an aarch64 spt image of a service with keys"
    fi
    expect_match "tibra build --target spt --arch aarch64: keys refused (FILE:LINE)" \
        "$(cat "$TMP/build.log")" 'spt\.conf:[0-9]+: key tsig-key: TSIG keys are not supported in spt-aarch64 images'
    if [ "$(uname -m)" = x86_64 ] &&
        [ -f "$(dirname "$TIBRA")/../lib/tibra/spt-x86_64/link.txt" ]; then
        "$TIBRA" build "$TMP/spt.conf" --target spt -o "$TMP/x.spt" \
            >"$TMP/build.log" 2>&1 ||
            fail "tibra build --target spt (x86_64) with keys: $(cat "$TMP/build.log")"
        expect_match "tibra build --target spt (x86_64): --tsig-key at run time" \
            "$(cat "$TMP/build.log")" 'key tsig-key: the secret is not put in the image'
    fi
    "$TIBRA" build "$TMP/img.conf" -o "$TMP/g.img" >"$TMP/build.log" 2>&1 ||
        fail "tibra build (unix): $(cat "$TMP/build.log")"
    expect_match "tibra build: says to give --tsig-key at run time" \
        "$(cat "$TMP/build.log")" 'key tsig-key: the secret is not put in the image: give it --tsig-key=tsig-key:hmac-sha256:BASE64'
    for s in "$K1" "$K2" "$K3" "$(printf '%s' "$K1" | base64 -d)"; do
        grep -rqaF -- "$s" "$TMP/build.log" "$TMP/g.img" "$TMP"/g.img.* \
            "$TMP/x.img" "$TMP/x.spt" 2>/dev/null &&
            fail "a secret was written by tibra build"
    done
    echo "ok   tibra build: no secret in the image, its record or output"
    bad=$(timeout 20 "$TMP/g.img" "--tsig-key=tsig-key:hmac-sha256:$K3!" 2>&1)
    expect_match "image: a bad --tsig-key is refused" "$bad" \
        "^dnsd: bad argument '--tsig-key=': expected NAME:ALG:BASE64"
    printf '%s\n' "$bad" | grep -qF "$K3" && fail "the image printed a secret"
    GPORT=$(dnsd_free_port)
    "$TMP/g.img" --time=60 --listen=127.0.0.1@"$GPORT" \
        "--tsig-key=tsig-key:hmac-sha256:$K1" \
        "--tsig-key=k3:hmac-md5:$K3" >"$TMP/glog" 2>&1 &
    GPID=$!
    for _ in $(seq 100); do
        grep -q READY "$TMP/glog" && break
        kill -0 "$GPID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q READY "$TMP/glog" || fail "the image did not start: $(cat "$TMP/glog")"
    out=$(dig @127.0.0.1 -p "$GPORT" +time=2 +tries=2 \
        -y "hmac-sha256:tsig-key:$K1" www.example.test A)
    expect_match "image: dig -y gets a signed answer" "$out" \
        '^tsig-key\..*TSIG[[:space:]]+hmac-sha256\..* NOERROR 0'
    expect_match "image: the answer" "$out" '192\.0\.2\.10'
    printf '%s\n' "$out" | grep -qi "verify failure\|couldn't verify" &&
        fail "dig could not verify the image's reply: $out"
    out=$(kdig @127.0.0.1 -p "$GPORT" +tcp +time=2 +retry=1 \
        -y "hmac-md5:k3:$K3" www.example.test A 2>&1)
    expect_match "image: kdig +tcp -y hmac-md5 signed" "$out" 'TSIG PSEUDOSECTION'
    printf '%s\n' "$out" | grep -qi "warning\|failed" &&
        fail "kdig did not accept the image's reply: $out"
    out=$(dig @127.0.0.1 -p "$GPORT" +time=2 +tries=2 \
        -y "hmac-sha256:tsig-key:$K3" www.example.test A)
    expect_match "image: wrong secret BADSIG" "$out" 'TSIG.*BADSIG'
    kill -TERM "$GPID"
    for _ in $(seq 50); do
        kill -0 "$GPID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$GPID" 2>/dev/null
    wait "$GPID" 2>/dev/null
    for s in "$K1" "$K3"; do
        grep -qF "$s" "$TMP/glog" && fail "the image logged a secret"
    done
    expect_match "image: TSIG on" "$(cat "$TMP/glog")" 'dnsd: TSIG: 2 keys'
else
    echo "note: no tibra tool or staged library: images not tested"
fi
echo "SUCCESS dnsd_tsig"
