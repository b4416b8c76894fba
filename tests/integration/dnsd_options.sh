#!/usr/bin/env bash
# dnsd_options -- the service file's server options take effect:
# tcp-idle-timeout closes an idle connection, tcp-max-queries closes after
# N answers, tcp-clients refuses connections over the limit, chaos and
# identity/version answer CH TXT, udp-size bounds EDNS answers, pidfile is
# written and removed, -w sets the worker count.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_options

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 5
cat >"$TMP/ns.conf" <<CONF
service: name opt; listen 127.0.0.1@$PORT
         tcp-idle-timeout 1; tcp-max-queries 2; tcp-clients 3
         tcp-clients-per-address 3
         identity "ns-test"; version "v-test"; udp-size 600
         pidfile run/dnsd.pid
zone:    example.test; file zones/example.test.zone
CONF
mkdir -p "$TMP/run"
dnsd_start -w 1 -v
expect_match "-w 1 used" "$(cat "$TMP/log")" "with 1 worker "
expect "pidfile" "$(cat "$TMP/run/dnsd.pid")" "$DNSD_PID"

expect "CH TXT version.server" "$(q +short CH TXT version.server)" \
    '"v-test"'
expect "CH TXT id.server" "$(q +short CH TXT id.server)" '"ns-test"'
# 40 TXT records are about 1.7 KB: over udp-size 600 even with EDNS 4096.
expect_match "udp-size bounds EDNS answers" \
    "$(q +bufsize=4096 +ignore big.example.test TXT)" "flags: qr aa tc"

/usr/bin/python3 - "$PORT" <<'PY' || fail "TCP limits (see above)"
import socket, struct, sys, time
port = int(sys.argv[1])
q = struct.pack(">HHHHHH", 9, 0, 1, 0, 0, 0) + b"\3www\7example\4test\0" \
    + struct.pack(">HH", 1, 1)
msg = struct.pack(">H", len(q)) + q

def conn():
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    return s

def recv_all(s, limit=5.0):
    data, end = b"", time.time() + limit
    s.settimeout(limit)
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            return data, False
        if not chunk:
            return data, True
        data += chunk
    return data, False

def count(data):
    n = 0
    while len(data) >= 2:
        (l,) = struct.unpack(">H", data[:2])
        data = data[2 + l:]
        n += 1
    return n

# tcp-max-queries 2: three queries, two answers, then the server closes.
s = conn()
s.sendall(msg * 3)
data, closed = recv_all(s)
if count(data) != 2 or not closed:
    raise SystemExit("max-queries: %d answers, closed=%s"
                     % (count(data), closed))
print("ok   tcp-max-queries 2: two answers, then closed")
s.close()

# tcp-idle-timeout 1: an idle connection is closed within ~2 s.
s = conn()
t0 = time.time()
data, closed = recv_all(s, 5.0)
dt = time.time() - t0
if not closed or dt > 5.0:
    raise SystemExit("idle: closed=%s after %.1f s" % (closed, dt))
print("ok   idle connection closed after %.1f s" % dt)
s.close()

# tcp-clients 3: a fourth connection is closed at once; the three work.
held = [conn() for _ in range(3)]
time.sleep(0.2)
extra = conn()
data, closed = recv_all(extra, 2.0)
if not closed:
    raise SystemExit("tcp-clients: the 4th connection was not closed")
for h in held:  # all three before tcp-idle-timeout (1 s) passes
    h.sendall(msg)
for h in held:
    d, _ = recv_all(h, 1.5)
    if count(d) < 1:
        raise SystemExit("tcp-clients: a held connection got no answer")
print("ok   tcp-clients 3: the 4th connection refused, the 3 served")
PY

dnsd_stop
expect "SIGTERM exit status" "$DNSD_RC" "0"
[ -e "$TMP/run/dnsd.pid" ] && fail "pidfile not removed at exit"
echo "ok   pidfile removed"
expect_match "TCP refusals counted" "$(cat "$TMP/log")" \
    "tcp open [0-9]* refused 1 "
echo SUCCESS
