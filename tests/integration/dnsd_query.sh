#!/usr/bin/env bash
# dnsd_query -- tibra-dnsd answers over UDP and TCP on IPv4: positive
# answers (AA), CNAME, wildcard, referral with glue, NXDOMAIN, NODATA,
# truncation without EDNS and the TCP retry, several pipelined queries on
# one TCP connection (also written byte by byte), kdig over UDP and TCP,
# a record from an $INCLUDE'd file,
# a malformed TCP length closing the connection, and SIGTERM -> exit 0.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_query
command -v kdig >/dev/null || skip "kdig not installed (knot-dnsutils)"

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 2026010101
# $INCLUDE, relative to the including file.
mkdir -p "$TMP/zones/inc"
echo 'included A 192.0.2.111' >"$TMP/zones/inc/extra.zone"
echo '$INCLUDE inc/extra.zone' >>"$TMP/zones/example.test.zone"
dnsd_conf
dnsd_start

expect "UDP A" "$(q +short www.example.test A)" "192.0.2.10"
expect "UDP AAAA" "$(q +short www.example.test AAAA)" "2001:db8::10"
out=$(q www.example.test A)
expect_match "AA flag" "$out" "flags: qr aa"
expect_match "CNAME followed" "$(q alias.example.test A)" \
    "^alias\.example\.test\..*CNAME.*www\.example\.test\."
expect "\$INCLUDE'd record" "$(q +short included.example.test A)" \
    "192.0.2.111"
expect "wildcard" "$(q +short anything.wild.example.test A)" "192.0.2.99"
out=$(q www.sub.example.test A)
expect_match "referral: NS in authority" "$out" "^sub\.example\.test\..*NS"
expect_match "referral: glue" "$out" \
    "^ns\.sub\.example\.test\..*A.*192\.0\.2\.53"
expect_match "NXDOMAIN" "$(q nope.example.test A)" "status: NXDOMAIN"
out=$(q www.example.test MX)
expect_match "NODATA: NOERROR" "$out" "status: NOERROR.*"
expect_match "NODATA: no answer" "$out" "ANSWER: 0,"
expect_match "NODATA: SOA in authority" "$out" "^example\.test\..*SOA"
expect_match "REFUSED outside our zones" "$(q www.example.com A)" \
    "status: REFUSED"

# TCP
expect "TCP A" "$(q +tcp +short www.example.test A)" "192.0.2.10"
expect_match "TCP NXDOMAIN" "$(q +tcp nope.example.test A)" "status: NXDOMAIN"

# Truncation: 40 TXT records do not fit in 512 bytes without EDNS.
out=$(q +noedns +ignore big.example.test TXT)
expect_match "TC without EDNS" "$out" "flags: qr aa tc"
out=$(q +noedns big.example.test TXT)
n=$(printf '%s\n' "$out" | grep -c '^big\.example\.test\..*TXT')
expect "TCP retry after TC: all 40 records" "$n" "40"

# kdig, UDP and TCP
expect "kdig UDP" "$(kdig @127.0.0.1 -p "$PORT" +short www.example.test A)" \
    "192.0.2.10"
expect "kdig TCP" \
    "$(kdig @127.0.0.1 -p "$PORT" +tcp +short www.example.test AAAA)" \
    "2001:db8::10"

# Pipelining: several queries in one TCP write, and one written byte by
# byte; answers in order, on one connection.  Then a bad length closes.
/usr/bin/python3 - "$PORT" <<'PY' || fail "TCP pipelining (see above)"
import socket, struct, sys, time
port = int(sys.argv[1])

def query(qid, name, qtype=1):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    return struct.pack(">H", len(q)) + q

def read_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise SystemExit("connection closed after %d of %d bytes"
                             % (len(buf), n))
        buf += chunk
    return buf

def answer(s):
    (n,) = struct.unpack(">H", read_exact(s, 2))
    msg = read_exact(s, n)
    qid, flags = struct.unpack(">HH", msg[:4])
    return qid, flags & 0xf

# UDP: a burst (one recvmmsg batch, most likely) mixing queries with
# datagrams that get no answer (QR set; larger than 4096 bytes): every
# query is answered, nothing else is.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
want = set()
for i in range(40):
    q = query(500 + i, "www.example.test")[2:]
    if i % 7 == 3:
        q = q[:2] + bytes([q[2] | 0x80]) + q[3:]  # QR set: a response
    elif i % 11 == 5:
        q = q + b"\0" * 5000                       # oversized
    else:
        want.add(500 + i)
    u.sendto(q, ("127.0.0.1", port))
got = set()
u.settimeout(2)
try:
    while len(got) < len(want):
        got.add(struct.unpack(">H", u.recv(4096)[:2])[0])
    u.settimeout(0.3)
    got.add(struct.unpack(">H", u.recv(4096)[:2])[0])  # nothing more
except socket.timeout:
    pass
if got != want:
    raise SystemExit("UDP burst: answered %s, wanted %s"
                     % (sorted(got), sorted(want)))
print("ok   UDP burst with unanswerable datagrams: %d answered" % len(got))

s = socket.create_connection(("127.0.0.1", port), timeout=5)
names = ["www.example.test", "nope.example.test", "mail.example.test",
         "alias.example.test", "www.example.test"]
s.sendall(b"".join(query(100 + i, n) for i, n in enumerate(names)))
got = [answer(s) for _ in names]
want = [(100, 0), (101, 3), (102, 0), (103, 0), (104, 0)]
if got != want:
    raise SystemExit("pipelined: got %r, wanted %r" % (got, want))
print("ok   5 pipelined queries, answered in order on one connection")
for b in query(200, "www.example.test"):
    s.send(bytes([b]))
    time.sleep(0.002)
if answer(s) != (200, 0):
    raise SystemExit("byte-by-byte query: wrong answer")
print("ok   a query written byte by byte")
# Pipelined queries whose answers (~1.7 KB each) outgrow the output
# buffer's slack: the server must resume reading once it has flushed.
s.sendall(b"".join(query(300 + i, "big.example.test", 16) for i in range(8)))
got = [answer(s) for _ in range(8)]
if got != [(300 + i, 0) for i in range(8)]:
    raise SystemExit("large pipelined answers: got %r" % got)
print("ok   8 pipelined queries with large answers")
# A length shorter than a DNS header is malformed: the server closes.
s.sendall(struct.pack(">H", 3) + b"abc")
s.settimeout(5)
if s.recv(10) != b"":
    raise SystemExit("malformed length: connection not closed")
print("ok   malformed TCP length closes the connection")
s.close()
PY

dnsd_stop
expect "SIGTERM exit status" "$DNSD_RC" "0"
expect_match "stop logged" "$(cat "$TMP/log")" "SIGTERM: stopping"
echo SUCCESS
