"""dnsq.py -- DNS messages for the test clients (imported, not run):
a query, one message read whole from a TCP stream, and the replies to a
burst of UDP queries tallied.  Used by adversary.py, flood.py and the
UDP bursts of dnsd_cookies.sh and dnsd_rrl.sh (PYTHONPATH), each with
bytecode caching off: nothing is written into the source tree.
"""
import socket
import struct


def query(qid, name="www.example.org", qtype=1):
    """A query for (name, qtype) IN with ID qid and RD set."""
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", qtype, 1)


def recv_tcp(s):
    """Reads one length-prefixed message from the stream socket s: the
    bytes after the prefix, or None if the peer closed first.  A timeout
    or another OSError is raised."""
    b = b""
    while len(b) < 2 or len(b) < 2 + struct.unpack(">H", b[:2])[0]:
        d = s.recv(4096)
        if not d:
            return None
        b += d
    return b[2:]


def tally(s, n, wait=1.0):
    """Reads the replies to queries with IDs 0..n-1 from the connected UDP
    socket s until each has one or none comes for (wait) seconds; other
    IDs and repeats are ignored.  Returns (answered, truncated, silent):
    replies with ANCOUNT > 0 and no TC, replies with TC, IDs unanswered."""
    ans = tc = 0
    seen = set()
    s.settimeout(wait)
    try:
        while len(seen) < n:
            r = s.recv(4096)
            qid, flags, _, ancount = struct.unpack(">HHHH", r[:8])
            if qid >= n or qid in seen:
                continue
            seen.add(qid)
            if flags & 0x0200:
                tc += 1
            elif ancount > 0:
                ans += 1
    except socket.timeout:
        pass
    return ans, tc, n - len(seen)
