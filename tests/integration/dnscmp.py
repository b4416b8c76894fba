#!/usr/bin/env python3
"""dnscmp.py -- sends the same DNS queries to two servers, over UDP and
over TCP, and requires byte-identical responses: the DNS unikernel
(app/dnsd/guest) against tibra-dnsd, which must answer alike because both
call lib/dns.  Queries cover examples/zones/example.org.zone: answers,
CNAME, wildcard, referral, NXDOMAIN, NODATA, REFUSED, CHAOS, EDNS with
and without DO, a small EDNS size that truncates, a malformed query.

    dnscmp.py HOST1 PORT1 HOST2 PORT2

UDP is retried (a lossy path must not fail the test); every socket has a
timeout.  Prints one line per difference and exits 1 if there is any.
"""
import socket
import struct
import sys


def name(n):
    out = b""
    for label in n.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def query(qid, qname, qtype, qclass=1, edns=None, do=False, rd=True):
    flags = 0x0100 if rd else 0
    hdr = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 1 if edns else 0)
    q = hdr + name(qname) + struct.pack(">HH", qtype, qclass)
    if edns:
        q += b"\0" + struct.pack(">HHIH", 41, edns, 0x8000 if do else 0, 0)
    return q


A, NS, CNAME, SOA, MX, TXT, AAAA, SRV, ANY, CAA = 1, 2, 5, 6, 15, 16, 28, 33, 255, 257
CASES = [
    ("www.example.org", A, {}),
    ("www.example.org", AAAA, {}),
    ("example.org", MX, {}),
    ("example.org", NS, {}),
    ("example.org", SOA, {}),
    ("example.org", TXT, {}),
    ("example.org", CAA, {}),
    ("example.org", ANY, {}),
    ("web.example.org", A, {}),
    ("foo.apps.example.org", A, {}),
    ("foo.apps.example.org", TXT, {}),
    ("_sip._udp.example.org", SRV, {}),
    ("host.lab.example.org", A, {}),
    ("nope.example.org", A, {}),
    ("www.example.org", MX, {}),
    ("www.example.com", A, {}),
    ("WwW.ExAmPlE.oRg", A, {}),
    ("www.example.org", A, {"edns": 1232}),
    ("www.example.org", A, {"edns": 4096, "do": True}),
    ("example.org", ANY, {"edns": 512}),
    ("example.org", NS, {"rd": False}),
    ("version.bind", TXT, {"qclass": 3}),
    ("id.server", TXT, {"qclass": 3}),
    ("hostname.bind", TXT, {"qclass": 3}),
]


def udp(host, port, msg):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        for _ in range(5):
            s.sendto(msg, (host, port))
            try:
                while True:
                    data, _ = s.recvfrom(65535)
                    if data[:2] == msg[:2]:
                        return data
            except socket.timeout:
                continue
    return None


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp(host, port, msgs):
    """All (msgs) pipelined on one connection; the responses in order."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    for attempt in range(3):
        try:
            with socket.socket(fam, socket.SOCK_STREAM) as s:
                s.settimeout(5.0)
                s.connect((host, port))
                s.sendall(b"".join(struct.pack(">H", len(m)) + m for m in msgs))
                out = []
                for _ in msgs:
                    hdr = recv_exact(s, 2)
                    if hdr is None:
                        break
                    out.append(recv_exact(s, struct.unpack(">H", hdr)[0]))
                return out
        except OSError:
            continue
    return []


def main():
    h1, p1, h2, p2 = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    msgs = []
    for i, (qn, qt, kw) in enumerate(CASES):
        msgs.append(query(0x1000 + i, qn, qt, **kw))
    msgs.append(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07exa")
    diffs = 0
    for m in msgs:
        r1, r2 = udp(h1, p1, m), udp(h2, p2, m)
        if r1 != r2:
            diffs += 1
            print("udp differs for %s: %s / %s" % (m.hex(), r1 and r1.hex(), r2 and r2.hex()))
    t1, t2 = tcp(h1, p1, msgs[:-1]), tcp(h2, p2, msgs[:-1])
    if len(t1) != len(msgs) - 1 or t1 != t2:
        diffs += 1
        print("tcp differs: %d / %d responses" % (len(t1), len(t2)))
        for a, b in zip(t1, t2):
            if a != b:
                print("  %s / %s" % (a and a.hex(), b and b.hex()))
    print("%d queries over udp and tcp: %s" % (len(msgs), "identical" if diffs == 0 else "%d differences" % diffs))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
