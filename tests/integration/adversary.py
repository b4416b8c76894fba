#!/usr/bin/python3
"""adversary.py -- hostile TCP and UDP clients against a DNS server, while a
legitimate client keeps asking (tests/integration/dnsd_adversary.sh for
tibra-dnsd on loopback, guest_adversary.sh for the spt/hvt images behind a
TAP).  The server must serve www.example.test (tibra-dnsd's test zone) or
www.example.org (the images' example zone): --name says which.

Phases, in order (each bounded in time):
  warmup     every TCP slot used once with a query, a UDP burst: the
             server's buffers are touched, then memory and descriptors
             are measured (baseline)
  slowloris  tcp-clients - 2 connections, spread over the attacker
             addresses within the per-address limit, each trickling one
             byte of a query every 0.5 s: the server must close each one
             within idle + 2 s (idle counts from the last whole message)
  exhaust    tcp-clients connections that send nothing hold every slot;
             the server closes them at the idle timeout
  oneaddr    tcp-clients + 4 connections from one address: exactly
             per-address of them stay open, the others are closed at once
  halfsent   a length prefix alone, a prefix and half a query (closed at
             the idle timeout); a prefix of 65535 and one of 5 (closed at
             once: no query is that long or that short)
  udpflood   malformed datagrams (random bytes, lying counts, responses,
             cut queries, oversized) from another process, as fast as it
             can, for --flood seconds
  (pause)    with --pause-file F, waits until F is deleted (at most 60 s):
             the calling script does what it must while the legitimate
             client keeps counting (zone reloads with special files, an
             oversized zone)

All the while a separate process asks a UDP query every 50 ms (resent
every 0.5 s for up to 3 s + the flood's length) and a TCP query every 250 ms on a new connection (retried for
up to idle + 4 s + the flood's length: while every slot is held, a slot
frees at the idle timeout; while the flood fills a TAP's queue, a
handshake is lost as easily as a datagram, until the flood ends).  Any legitimate query left unanswered fails the test.  With
--pid, /proc/PID's VmRSS and descriptor count are compared with the
baseline at the end, once the server has closed every connection: the
descriptors must be back exactly, VmRSS within --rss-slack KiB.

    adversary.py --server IP --port N --legit SRC --attack SRC[,SRC...]
                 --tcp-clients N --per-addr N --idle S [--pid PID]
                 [--flood S] [--pause-file F] [--name NAME]

Prints "ok ..." lines and a summary; exits 1 on the first failure.
"""
import argparse
import multiprocessing as mp
import os
import random
import socket
import struct
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import dnsq  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--server", required=True)
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--legit", required=True)
ap.add_argument("--attack", required=True)
ap.add_argument("--tcp-clients", type=int, required=True)
ap.add_argument("--per-addr", type=int, required=True)
ap.add_argument("--idle", type=float, required=True)
ap.add_argument("--pid", type=int)
ap.add_argument("--flood", type=float, default=5)
ap.add_argument("--pause-file")
ap.add_argument("--name", default="www.example.test")
ap.add_argument("--rss-slack", type=int, default=2048)
ap.add_argument("--phases",
                default="warmup,slowloris,exhaust,oneaddr,halfsent,udpflood")
A = ap.parse_args()
FAM = socket.AF_INET6 if ":" in A.server else socket.AF_INET
ATTACK = A.attack.split(",")
T0 = time.monotonic()


def log(msg):
    print("[%5.1f] %s" % (time.monotonic() - T0, msg), flush=True)


def fail(msg):
    log("FAIL " + msg)
    sys.exit(1)


def query(qid, name=A.name, qtype=1):
    return dnsq.query(qid, name, qtype)


def answered(data, qid):
    return (len(data) >= 12 and struct.unpack(">H", data[:2])[0] == qid and
            data[2] & 0x80 and (data[3] & 0xF) == 0 and
            struct.unpack(">H", data[6:8])[0] >= 1)


def tcp_conn(src, timeout=2):
    s = socket.socket(FAM, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src, 0))
    s.connect((A.server, A.port))
    return s


def closed(s, wait):
    """True if the server closed (s) (EOF or reset) within (wait) s."""
    s.settimeout(wait)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except (socket.timeout, BlockingIOError):
        return False
    except OSError:
        return True


def ask_tcp_once(src, qid):
    try:
        s = tcp_conn(src, 1.0)
    except OSError:
        return False
    try:
        q = query(qid)
        s.sendall(struct.pack(">H", len(q)) + q)
        r = dnsq.recv_tcp(s)
        return r is not None and answered(r, qid)
    except OSError:
        return False
    finally:
        s.close()


# ---- the legitimate client (its own process) ---------------------------

def legit(stop, out):
    rnd = random.Random(1)
    udp = socket.socket(FAM, socket.SOCK_DGRAM)
    udp.bind((A.legit, 0))
    udp.settimeout(0.5)
    res = {"udp": [0, 0], "tcp": [0, 0], "lost": []}
    next_tcp = 0.0
    # While every slot is held a slot frees at the idle timeout; while the
    # flood fills a TAP's queue, handshakes are lost until it ends.
    tcp_bound = A.idle + 4 + A.flood
    udp_bound = 3 + A.flood
    while not stop.is_set():
        qid = rnd.randrange(65536)
        res["udp"][0] += 1
        ok = False
        t = time.monotonic()
        while not ok and time.monotonic() - t < udp_bound:
            udp.sendto(query(qid), (A.server, A.port))
            end = time.monotonic() + 0.5
            try:
                while time.monotonic() < end and not ok:
                    ok = answered(udp.recv(4096), qid)
            except socket.timeout:
                pass
        if ok:
            res["udp"][1] += 1
        else:
            res["lost"].append("udp at %.1f" % (time.monotonic() - T0))
        if time.monotonic() >= next_tcp:
            res["tcp"][0] += 1
            t = time.monotonic()
            ok = False
            while not ok and time.monotonic() - t < tcp_bound:
                ok = ask_tcp_once(A.legit, qid)
                if not ok:
                    time.sleep(0.2)
            if ok:
                res["tcp"][1] += 1
            else:
                res["lost"].append("tcp at %.1f" % (t - T0))
            next_tcp = time.monotonic() + 0.25
        time.sleep(0.05)
    out.put(res)


# ---- the UDP flood (its own process) -----------------------------------

def flood(secs, out):
    rnd = random.Random(7)
    socks = []
    for src in ATTACK:
        s = socket.socket(FAM, socket.SOCK_DGRAM)
        s.bind((src, 0))
        s.setblocking(False)
        socks.append(s)
    good = query(1)
    kinds = [
        lambda: bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 64))),
        lambda: good[:12] + b"\xff" * rnd.randrange(0, 40),  # lying counts
        lambda: bytes([good[0], good[1], good[2] | 0x80]) + good[3:],  # QR
        lambda: good[:rnd.randrange(1, len(good))],  # cut
        lambda: good[:2] + b"\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01" +
        good[12:] + b"\x00\x00\x29" + b"\xff" * 8,  # broken OPT
        lambda: good + bytes(5000),  # over the largest query
    ]
    pkts = [kinds[i % len(kinds)]() for i in range(600)]
    n = 0
    end = time.monotonic() + secs
    while time.monotonic() < end:
        for p in pkts:
            try:
                socks[n % len(socks)].sendto(p, (A.server, A.port))
            except (BlockingIOError, OSError):
                pass
            n += 1
    out.put(n)


# ---- server state -------------------------------------------------------

def proc_state():
    if not A.pid:
        return None
    with open("/proc/%d/status" % A.pid) as f:
        rss = [int(l.split()[1]) for l in f if l.startswith("VmRSS:")][0]
    return rss, len(os.listdir("/proc/%d/fd" % A.pid))


def spread(n):
    """(n) source addresses, each used at most per-addr times."""
    out = []
    for a in ATTACK:
        out += [a] * A.per_addr
    if len(out) < n:
        fail("%d attacker addresses of %d connections each cannot make %d"
             % (len(ATTACK), A.per_addr, n))
    return out[:n]


def all_closed_within(conns, wait, what):
    end = time.monotonic() + wait
    open_ = list(conns)
    while open_ and time.monotonic() < end:
        open_ = [s for s in open_ if not closed(s, 0.05)]
    if open_:
        fail("%s: %d of %d connections still open %.0f s later"
             % (what, len(open_), len(conns), wait))
    for s in conns:
        s.close()


def trickle(conns, secs):
    """One byte of a (never completed) query per connection every 0.5 s,
    for (secs); returns the connections the server closed meanwhile."""
    q = query(2)
    msg = struct.pack(">H", len(q)) + q
    pos = [0] * len(conns)
    closed_at = {}
    end = time.monotonic() + secs
    while time.monotonic() < end and len(closed_at) < len(conns):
        for i, s in enumerate(conns):
            if i in closed_at:
                continue
            try:
                if pos[i] < len(msg) - 1:  # never the last byte
                    s.send(msg[pos[i]:pos[i] + 1])
                    pos[i] += 1
            except OSError:
                closed_at[i] = time.monotonic()
                continue
            if closed(s, 0):
                closed_at[i] = time.monotonic()
        time.sleep(0.5)
    return closed_at


def phase_warmup():
    conns = [tcp_conn(a) for a in spread(A.tcp_clients)]
    for i, s in enumerate(conns):
        q = query(100 + i)
        s.sendall(struct.pack(">H", len(q)) + q)
    for i, s in enumerate(conns):
        s.settimeout(3)
        if len(s.recv(4096)) < 14:
            fail("warmup: connection %d not answered" % i)
        s.close()
    time.sleep(0.5)
    log("ok   warmup: %d TCP slots used once" % len(conns))


def phase_slowloris():
    n = max(1, A.tcp_clients - 2)
    conns = [tcp_conn(a) for a in spread(n)]
    t = time.monotonic()
    closed_at = trickle(conns, A.idle + 3)
    if len(closed_at) < n:
        fail("slowloris: %d of %d trickling connections still open %.1f s "
             "after their first byte" % (n - len(closed_at), n, A.idle + 3))
    worst = max(closed_at.values()) - t
    for s in conns:
        s.close()
    log("ok   slowloris: %d connections trickling one byte per 0.5 s all "
        "closed by the server, the last %.1f s after it opened" % (n, worst))


def phase_exhaust():
    conns = []
    # Every slot must be held before one more is tried: a handshake lost
    # on a busy TAP (or a slow guest) is tried again, for 15 s at most.
    end = time.monotonic() + 15
    for a in spread(A.tcp_clients):
        while True:
            try:
                conns.append(tcp_conn(a))
                break
            except OSError:
                if time.monotonic() > end:
                    fail("exhaust: only %d of %d connections opened in 15 s"
                         % (len(conns), A.tcp_clients))
                time.sleep(0.2)
    time.sleep(0.3)
    extra = tcp_conn(ATTACK[-1]) if A.per_addr * len(ATTACK) > A.tcp_clients \
        else None
    if extra is not None and not closed(extra, 2):
        fail("exhaust: a connection over tcp-clients was not refused")
    all_closed_within(conns, A.idle + 3, "exhaust")
    log("ok   exhaust: %d idle connections held every slot, %s, all closed "
        "at the idle timeout" % (len(conns),
                                 "one more refused" if extra else
                                 "(no address left for one more)"))


def phase_oneaddr():
    n = A.tcp_clients + 4
    conns = []
    for _ in range(n):
        try:
            conns.append(tcp_conn(ATTACK[0]))
        except OSError:
            pass
    time.sleep(0.5)
    alive = [s for s in conns if not closed(s, 0.05)]
    want = min(A.per_addr, A.tcp_clients)
    if len(alive) != want:
        fail("oneaddr: %d of %d connections from %s stayed open, wanted %d"
             % (len(alive), n, ATTACK[0], want))
    for s in conns:
        s.close()
    time.sleep(0.3)
    log("ok   oneaddr: %d connections from one address, %d kept, %d "
        "refused" % (n, len(alive), n - len(alive)))


def phase_halfsent():
    q = query(3)
    srcs = spread(4)
    slow = [tcp_conn(srcs[0]), tcp_conn(srcs[1])]
    slow[0].sendall(struct.pack(">H", len(q)))
    slow[1].sendall(struct.pack(">H", len(q)) + q[:len(q) // 2])
    bad = [tcp_conn(srcs[2]), tcp_conn(srcs[3])]
    bad[0].sendall(struct.pack(">H", 65535) + q)
    bad[1].sendall(struct.pack(">H", 5) + q[:5])
    for i, s in enumerate(bad):
        if not closed(s, 2):
            fail("halfsent: a length prefix of %s was not closed at once"
                 % ("65535", "5")[i])
        s.close()
    all_closed_within(slow, A.idle + 3, "halfsent")
    log("ok   halfsent: bad lengths closed at once, half-sent messages at "
        "the idle timeout")


def phase_udpflood():
    out = mp.Queue()
    p = mp.Process(target=flood, args=(A.flood, out))
    p.start()
    n = out.get(timeout=A.flood + 30)
    p.join(10)
    log("ok   udpflood: %d malformed datagrams in %.0f s" % (n, A.flood))


def phase_pause():
    end = time.monotonic() + 60
    log("pause: waiting for %s to go" % A.pause_file)
    while os.path.exists(A.pause_file) and time.monotonic() < end:
        time.sleep(0.1)
    if os.path.exists(A.pause_file):
        fail("pause: %s still there after 60 s" % A.pause_file)


def main():
    stop = mp.Event()
    out = mp.Queue()
    phases = A.phases.split(",")
    if "warmup" in phases:
        phase_warmup()
    base = proc_state()
    if base:
        log("baseline: VmRSS %d KiB, %d descriptors" % base)
    prober = mp.Process(target=legit, args=(stop, out))
    prober.start()
    try:
        for ph in phases:
            if ph != "warmup":
                globals()["phase_" + ph]()
        if A.pause_file:
            phase_pause()
    finally:
        stop.set()
    res = out.get(timeout=A.idle + 30)
    prober.join(10)
    log("legitimate: udp %d/%d answered, tcp %d/%d answered"
        % (res["udp"][1], res["udp"][0], res["tcp"][1], res["tcp"][0]))
    if res["lost"]:
        fail("legitimate queries lost: %s" % ", ".join(res["lost"][:10]))
    if res["udp"][0] < 10 or res["tcp"][0] < 5:
        fail("too few legitimate queries to mean anything")
    if base:
        # Every connection is closed (each phase waited for it); give the
        # server a moment to reap, within a bound.
        end = time.monotonic() + 5
        now = proc_state()
        while now[1] != base[1] and time.monotonic() < end:
            time.sleep(0.2)
            now = proc_state()
        log("after: VmRSS %d KiB, %d descriptors" % now)
        if now[1] != base[1]:
            fail("descriptors: %d before, %d after" % (base[1], now[1]))
        if now[0] > base[0] + A.rss_slack:
            fail("VmRSS grew from %d to %d KiB (slack %d)"
                 % (base[0], now[0], A.rss_slack))
        log("ok   descriptors back to %d, VmRSS %+d KiB (slack %d)"
            % (now[1], now[0] - base[0], A.rss_slack))
    log("ok   every legitimate query answered")


main()
