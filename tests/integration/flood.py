#!/usr/bin/python3
"""flood.py IP PORT MAC TAP SECONDS -- hostile clients against a DNS
server (tests/integration/guest_flood.sh): while TCP connections that never
finish a query hold every session the server has (one byte every 0.5 s,
or a length prefix and nothing more), send malformed UDP datagrams and
random Ethernet frames (raw, on TAP, to MAC) as fast as this process can,
with a valid query every 200 datagrams.  Then check that the server still
answers: every valid query asked during the flood is answered within its
retries, and once the idle timeout has closed the stalled connections a
new TCP query is answered.  Bounded: the flood lasts SECONDS, every wait
has a timeout.  Prints 'ok ...' lines; exits 1 on failure.
"""
import random
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
from dnsq import query, recv_tcp  # noqa: E402

ip, port, mac, tap, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], \
    sys.argv[4], float(sys.argv[5])
fam = socket.AF_INET6 if ':' in ip else socket.AF_INET
rnd = random.Random(7)


def ask_udp(qid, tries=5, timeout=0.5):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        for _ in range(tries):
            s.sendto(query(qid), (ip, port))
            end = time.time() + timeout
            while time.time() < end:
                try:
                    data = s.recv(4096)
                except socket.timeout:
                    break
                if len(data) >= 12 and struct.unpack(">H", data[:2])[0] == qid \
                        and data[2] & 0x80 and (data[3] & 0xf) == 0:
                    return True
        return False
    finally:
        s.close()


def ask_tcp(qid, timeout=2.0):
    try:
        s = socket.create_connection((ip, port), timeout=timeout)
    except OSError:
        return False
    try:
        s.settimeout(timeout)
        m = query(qid)
        s.sendall(struct.pack(">H", len(m)) + m)
        r = recv_tcp(s)
        return r is not None and struct.unpack(">H", r[:2])[0] == qid
    except OSError:
        return False
    finally:
        s.close()


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


if not ask_udp(1) or not ask_tcp(2):
    fail("the server does not answer before the flood")
print("ok   answers before the flood")

# Stalled TCP clients, more than the server has sessions: each announces
# a 64-byte query and sends it one byte every 0.5 s, never finishing.
SLOW = b'\x00\x40' + b'a' * 62
stalled = []
misses = 0
for i in range(40):
    try:
        c = socket.create_connection((ip, port), timeout=0.5)
        c.setblocking(False)
        c.send(SLOW[:1])
        stalled.append([c, 1])
    except OSError:
        misses += 1  # refused or not accepted in time: the server is full
        if misses >= 3:
            break
print("ok   %d stalled TCP connections opened" % len(stalled))

raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw.bind((tap, 0))
dst = bytes.fromhex(mac.replace(':', ''))
src = bytes.fromhex('02aabbccddee')
udp = socket.socket(fam, socket.SOCK_DGRAM)
udp.setblocking(False)
sent = frames = 0
valid = answered = 0
end = time.time() + secs
next_trickle = time.time()
while time.time() < end:
    for _ in range(200):
        n = rnd.randrange(0, 600)
        kind = rnd.randrange(4)
        if kind == 0:
            d = bytes(rnd.getrandbits(8) for _ in range(n))
        elif kind == 1:  # a header with lying counts
            d = struct.pack(">HHHHHH", rnd.getrandbits(16), 0x0100,
                            rnd.getrandbits(16), rnd.getrandbits(16),
                            rnd.getrandbits(16), rnd.getrandbits(16))
            d += bytes(rnd.getrandbits(8) for _ in range(n % 64))
        elif kind == 2:  # a response (QR set): must be ignored
            d = bytearray(query(rnd.getrandbits(16)))
            d[2] |= 0x80
            d = bytes(d)
        else:  # a query cut short
            d = query(rnd.getrandbits(16))[:rnd.randrange(0, 20)]
        try:
            udp.sendto(d, (ip, port))
            sent += 1
        except BlockingIOError:
            pass
        etype = rnd.choice([b'\x08\x00', b'\x86\xdd', b'\x08\x06',
                            bytes([rnd.getrandbits(8), rnd.getrandbits(8)])])
        f = dst + src + etype + bytes(rnd.getrandbits(8)
                                      for _ in range(rnd.randrange(0, 200)))
        try:
            raw.send(f)
            frames += 1
        except OSError:
            pass
    valid += 1
    if ask_udp(1000 + valid, tries=3, timeout=0.3):
        answered += 1
    if time.time() >= next_trickle:  # the stalled clients trickle a byte
        next_trickle = time.time() + 0.5
        for sc in stalled:
            if sc[1] < len(SLOW) - 1:
                try:
                    sc[0].send(SLOW[sc[1]:sc[1] + 1])
                    sc[1] += 1
                except OSError:
                    pass
print("ok   sent %d malformed datagrams, %d random frames" % (sent, frames))
if answered != valid:
    fail("%d of %d valid queries answered during the flood" %
         (answered, valid))
print("ok   %d of %d valid queries answered during the flood" %
      (answered, valid))

# The idle timeout is measured from the last complete message: the
# trickling clients never sent one, so their sessions are closed, and a
# new TCP client is served within the timeout (plus margin).
deadline = time.time() + 15
ok = False
while time.time() < deadline and not ok:
    ok = ask_tcp(5000)
    if not ok:
        time.sleep(0.5)
if not ok:
    fail("no TCP answer within 15 s after the flood")
print("ok   TCP answered after the stalled connections timed out")
closed = 0
for c, _ in stalled:
    try:
        c.setblocking(True)
        c.settimeout(0.2)
        if c.recv(16) == b'':
            closed += 1
    except (socket.timeout, BlockingIOError):
        pass
    except OSError:
        closed += 1
    c.close()
print("ok   %d of %d stalled connections closed by the server" %
      (closed, len(stalled)))
if closed == 0:
    fail("no stalled connection was closed")
if not ask_udp(9999):
    fail("no UDP answer after the flood")
print("ok   still answering")
