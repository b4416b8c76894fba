#!/usr/bin/python3
"""peer.py -- the Linux side of the net tests: drives the echo app
(tests/net/echo.c) on the direct stack over a TAP link, using Linux's own
stack as the peer.  Each subcommand prints what it checked and exits
non-zero on the first failure.  Every wait is bounded.

  udp ADDR PORT N            N datagrams of varied sizes echoed intact
  bigudp ADDR PORT SIZE      one datagram of SIZE bytes (fragmented) echoed
  tcp ADDR PORT MB           MB megabytes echoed, sha256 compared
  many ADDR PORT CONNS KB    CONNS concurrent connections, KB each
  refused ADDR PORT          connect gets RST (ECONNREFUSED)
  reset ADDR PORT            accepted then reset (ECONNRESET or EOF by RST)
  portunreach ADDR PORT      UDP to a closed port -> ICMP port unreachable
  listen4 PORT [SECS] / listen6 PORT [SECS]  print LISTENING once bound,
                             then wait (SECS, default 10) for a datagram
                             sent by the stack
  quit ADDR PORT SECS        "QUIT!" every 200 ms for SECS seconds, until
                             the caller (watching the app's PID) stops it
                             with SIGTERM; prints how many were sent and
                             echoed
"""
import hashlib
import os
import selectors
import signal
import socket
import sys
import threading
import time


def fam(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def udp(addr, port, n):
    s = socket.socket(fam(addr), socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((addr, port))
    ok = stale = 0
    sent = set()
    for i in range(n):
        data = os.urandom(1 + (i * 37) % 1400)
        for attempt in range(5):
            s.send(data)
            try:
                got = s.recv(65536)
                while got != data:  # a duplicate of an earlier echo
                    if got not in sent:
                        fail("udp echo mismatch at %d" % i)
                    stale += 1
                    got = s.recv(65536)
            except socket.timeout:
                continue
            ok += 1
            sent.add(data)
            break
        else:
            fail("udp echo %d lost 5 times" % i)
    print("udp: %d datagrams echoed (%d late duplicates)" % (ok, stale))


def bigudp(addr, port, size):
    s = socket.socket(fam(addr), socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((addr, port))
    data = os.urandom(size)
    for attempt in range(3):
        s.send(data)
        try:
            got = s.recv(65536)
        except socket.timeout:
            continue
        if got != data:
            fail("big udp mismatch (%d vs %d bytes)" % (len(got), size))
        print("bigudp: %d bytes echoed (fragmented both ways)" % size)
        return
    fail("big udp datagram never echoed")


def tcp(addr, port, mb, timeout=120):
    total = mb * 1024 * 1024
    c = socket.create_connection((addr, port), timeout=10)
    c.settimeout(timeout)
    h_out, h_in = hashlib.sha256(), hashlib.sha256()
    err = []

    def sender():
        try:
            left = total
            seed = os.urandom(65536)
            i = 0
            while left > 0:
                chunk = seed[i % 7:][: min(left, 60000)]
                h_out.update(chunk)
                c.sendall(chunk)
                left -= len(chunk)
                i += 1
            c.shutdown(socket.SHUT_WR)
        except Exception as e:  # noqa: BLE001
            err.append(e)

    t0 = time.time()
    th = threading.Thread(target=sender)
    th.start()
    got = 0
    while True:
        b = c.recv(262144)
        if not b:
            break
        h_in.update(b)
        got += len(b)
    th.join(timeout)
    dt = time.time() - t0
    c.close()
    if err:
        fail("tcp send: %r" % err[0])
    if got != total or h_in.digest() != h_out.digest():
        fail("tcp echo: sent %d got %d, sha256 %s" %
             (total, got, "match" if h_in.digest() == h_out.digest()
              else "differs"))
    print("tcp: %d MB echoed, sha256 ok, %.2f s, %.1f Mbit/s each way" %
          (mb, dt, total * 8 / dt / 1e6))


def many(addr, port, conns, kb):
    sel = selectors.DefaultSelector()
    payload = os.urandom(kb * 1024)
    state = {}
    for i in range(conns):
        c = socket.create_connection((addr, port), timeout=10)
        c.setblocking(False)
        state[c] = [0, bytearray()]
        sel.register(c, selectors.EVENT_READ | selectors.EVENT_WRITE)
    done = 0
    deadline = time.time() + 60
    while done < conns and time.time() < deadline:
        for key, ev in sel.select(timeout=1):
            c = key.fileobj
            st = state[c]
            if ev & selectors.EVENT_WRITE and st[0] < len(payload):
                try:
                    st[0] += c.send(payload[st[0]:st[0] + 65536])
                except BlockingIOError:
                    pass
                if st[0] == len(payload):
                    c.shutdown(socket.SHUT_WR)
                    sel.modify(c, selectors.EVENT_READ)
            if ev & selectors.EVENT_READ:
                try:
                    b = c.recv(65536)
                except BlockingIOError:
                    continue
                if b:
                    st[1] += b
                else:
                    if bytes(st[1]) != payload:
                        fail("conn echo mismatch (%d bytes)" % len(st[1]))
                    sel.unregister(c)
                    c.close()
                    done += 1
    if done != conns:
        fail("only %d of %d connections completed" % (done, conns))
    print("many: %d concurrent connections x %d KB echoed" % (conns, kb))


def refused(addr, port):
    try:
        socket.create_connection((addr, port), timeout=5)
    except ConnectionRefusedError:
        print("refused: RST for port %d" % port)
        return
    except socket.timeout:
        fail("connect timed out instead of RST")
    fail("connect to closed port succeeded")


def reset(addr, port):
    try:
        c = socket.create_connection((addr, port), timeout=5)
    except ConnectionResetError:
        # The handshake completed (else it would be ECONNREFUSED) and the
        # RST came before connect() returned to us.
        print("reset: connection reset by peer right after the handshake")
        return
    c.settimeout(5)
    try:
        c.sendall(b"x" * 1000)
        time.sleep(0.2)
        b = c.recv(100)
        c.sendall(b"y" * 1000)
        b = c.recv(100)
    except ConnectionResetError:
        print("reset: connection reset by peer")
        return
    except socket.timeout:
        fail("no reset seen")
    fail("reset: read returned %r" % b)


def portunreach(addr, port):
    s = socket.socket(fam(addr), socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect((addr, port))
    for attempt in range(3):
        s.send(b"anyone?")
        try:
            s.recv(100)
        except ConnectionRefusedError:
            print("portunreach: ICMP port unreachable received")
            return
        except socket.timeout:
            continue
        fail("closed port answered")
    fail("no ICMP port unreachable (3 datagrams)")


def quit_app(addr, port, secs):
    # Until the caller sees the app exit and stops us: an echo only says
    # the app read one; it may still sleep until its next timer before it
    # looks at its quit flag, and the next datagram wakes it.
    s = socket.socket(fam(addr), socket.SOCK_DGRAM)
    s.connect((addr, port))
    end = time.monotonic() + secs
    n = {"sent": 0, "echoed": 0}

    def stopped(signo, frame):  # the caller saw the app exit
        print("quit: %(sent)d datagram(s) sent, %(echoed)d echoed" % n)
        sys.exit(0)

    signal.signal(signal.SIGTERM, stopped)
    while time.monotonic() < end:
        try:
            s.send(b"QUIT!")
            n["sent"] += 1
        except OSError:  # an ICMP error from an earlier datagram
            pass
        tick = time.monotonic() + 0.2
        while time.monotonic() < tick:
            s.settimeout(max(tick - time.monotonic(), 0.001))
            try:
                if s.recv(100) == b"QUIT!":
                    n["echoed"] += 1
            except (socket.timeout, OSError):
                pass
    fail("quit: the app still runs after %(sent)d datagram(s), "
         "%(echoed)d echoed" % n + " in %g s" % secs)


def listen(af, port, secs):
    s = socket.socket(af, socket.SOCK_DGRAM)
    if af == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
    s.bind(("::" if af == socket.AF_INET6 else "0.0.0.0", port))
    print("LISTENING", flush=True)
    s.settimeout(secs)
    try:
        data, peer = s.recvfrom(100)
    except socket.timeout:
        fail("no datagram from the stack (its ARP/ND resolution failed)")
    print("listen: %r from %s (stack resolved us)" % (data, peer[0]))


def main():
    a = sys.argv[1:]
    cmd = a[0]
    if cmd == "udp":
        udp(a[1], int(a[2]), int(a[3]))
    elif cmd == "bigudp":
        bigudp(a[1], int(a[2]), int(a[3]))
    elif cmd == "tcp":
        tcp(a[1], int(a[2]), int(a[3]))
    elif cmd == "many":
        many(a[1], int(a[2]), int(a[3]), int(a[4]))
    elif cmd == "refused":
        refused(a[1], int(a[2]))
    elif cmd == "reset":
        reset(a[1], int(a[2]))
    elif cmd == "portunreach":
        portunreach(a[1], int(a[2]))
    elif cmd == "listen4":
        listen(socket.AF_INET, int(a[1]), float(a[2]) if a[2:] else 10)
    elif cmd == "listen6":
        listen(socket.AF_INET6, int(a[1]), float(a[2]) if a[2:] else 10)
    elif cmd == "quit":
        quit_app(a[1], int(a[2]), float(a[3]))
    else:
        fail("unknown command " + cmd)


if __name__ == "__main__":
    main()
