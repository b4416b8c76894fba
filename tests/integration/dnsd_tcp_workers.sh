#!/usr/bin/env bash
# dnsd_tcp_workers -- tcp-clients is the server's limit, not a share per
# worker that the wrong worker may enforce: with 2 workers and
# tcp-clients 20, 18 idle connections are held open and a 19th and 20th
# are still answered, round after round (a worker whose share is full
# leaves new connections to the other).  All 20 busy, the 21st is
# refused.  Every socket has a timeout.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_tcp_workers

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 1
dnsd_conf "tcp-clients 20; tcp-clients-per-address 20; tcp-idle-timeout 60"
dnsd_start -w 2
expect_match "2 workers" "$(cat "$TMP/log")" "with 2 workers"

/usr/bin/python3 - "$PORT" <<'PY' || fail "TCP connections over workers"
import socket, struct, sys
port = int(sys.argv[1])
q = struct.pack(">HHHHHH", 9, 0, 1, 0, 0, 0) + b"\3www\7example\4test\0" \
    + struct.pack(">HH", 1, 1)
msg = struct.pack(">H", len(q)) + q

def conn():
    return socket.create_connection(("127.0.0.1", port), timeout=3)

def ask(s):
    """One query over (s); True if answered with the A record."""
    try:
        s.sendall(msg)
        b = b""
        while len(b) < 2 or len(b) < 2 + struct.unpack(">H", b[:2])[0]:
            d = s.recv(4096)
            if not d:
                return False
            b += d
        return struct.unpack(">H", b[8:10])[0] == 1  # ancount
    except OSError:
        return False

def alive(s):
    """The server has not closed (s): no EOF or reset waiting."""
    s.setblocking(False)
    try:
        return s.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.settimeout(3)

idle = [conn() for _ in range(18)]
for rnd in range(10):
    extra = [conn(), conn()]
    for i, s in enumerate(extra):
        if not ask(s):
            sys.exit("round %d: connection %d of 20 not answered" % (rnd, 19 + i))
    for s in extra:
        s.close()
dead = [i for i, s in enumerate(idle) if not alive(s)]
if dead:
    sys.exit("idle connections closed by the server: %r" % dead)
print("ok   18 idle + 2: the 19th and 20th answered, 10 rounds of 10")

# Over the limit: with 20 open, a 21st is refused (closed at once).
extra = [conn(), conn()]
for s in extra:
    if not ask(s):
        sys.exit("20 connections: not all answered")
s = conn()
if ask(s):
    sys.exit("21st connection answered over tcp-clients 20")
print("ok   21st connection refused")
for s in idle + extra + [s]:
    s.close()
PY

dnsd_stop TERM
expect "SIGTERM exit status" "$DNSD_RC" "0"
echo SUCCESS
