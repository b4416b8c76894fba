#!/usr/bin/env python3
"""tcplimits.py -- the DNS unikernel's TCP limits, for a server started with
--tcp-clients=2 --tcp-idle-timeout=1 --tcp-max-queries=2: a third client
is closed at once (the session pool is empty), idle clients are closed
after about a second (RFC 7766 6.2.3), and a connection gets 2 answers
to 3 pipelined queries, then is closed.  The server's counters then read
"tcp open 3 refused 1 idle-closed 2 limit-closed 1".

    tcplimits.py HOST PORT
"""
import socket, struct, sys, time
host, port = sys.argv[1], int(sys.argv[2])

def conn():
    s = socket.create_connection((host, port), timeout=5)
    return s

def closed_within(s, secs):
    s.settimeout(secs)
    try:
        return s.recv(100) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

q = (struct.pack(">HHHHHH", 7, 0, 1, 0, 0, 0) + b"\x03www\x07example\x03org\x00"
     + struct.pack(">HH", 1, 1))
c1, c2 = conn(), conn()
time.sleep(0.3)
c3 = conn()
assert closed_within(c3, 2), "a third client was not closed"
t0 = time.time()
assert closed_within(c1, 4) and closed_within(c2, 4), "idle clients not closed"
assert 0.5 < time.time() - t0 < 3, "idle timeout %.1f s" % (time.time() - t0)
c4 = conn()
c4.sendall((struct.pack(">H", len(q)) + q) * 3)
data = b""
c4.settimeout(5)
while True:
    d = c4.recv(4096)
    if not d:
        break
    data += d
n = 0
while data:
    l = struct.unpack(">H", data[:2])[0]
    data = data[2 + l:]
    n += 1
assert n == 2, "%d answers on a connection limited to 2" % n
print("ok   TCP: third client closed, idle ones closed after ~1 s, 2 answers then close")
