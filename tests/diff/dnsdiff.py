#!/usr/bin/python3
# tests/diff/dnsdiff.py -- the query sender, normaliser and comparator of the
# differential test (tests/diff/run.sh starts the servers and calls this).
#
# Reads the query corpus (tests/diff/queries, format below), sends every query
# to every server over UDP or TCP, turns each answer into a canonical text
# form (normalise()) and compares Tibra's with each reference (NSD, Knot).
# Every divergence must be listed in tests/diff/KNOWN with its reason; where
# NSD and Knot disagree with each other Tibra must match at least one of
# them.  Prints a readable diff for each unaccepted divergence and exits 1.
#
# Corpus format, one query per line ('#' starts a comment):
#   ID  NAME TYPE [CLASS] [+flag ...]
#   ID  raw HEX... [+tcp]             (HEX: whole message, spaces allowed)
# Flags: +rec +norec (default: RD clear)  +edns[=VERSION]  +bufsize=N  +do
#   +nsid  +tcp  +cd  +ad  +z  +tc  +qr  +opcode=N  +id=N
# (+bufsize, +do and +nsid imply EDNS version 0).  Names are sent with the
# case they are written in.
#
# KNOWN format, one accepted divergence per line:
#   ID  PEER  REASON...     (PEER is nsd or knot; REASON cites the RFC or
#                            says why Tibra's behaviour is the one we want)
#
# Normalisation (what is NOT compared, and why it may differ):
#   - the message ID: only "matches the query" is compared;
#   - the order of RRs within each section (RFC 1035 does not fix it);
#   - the case of owner names and rdata names (RFC 4343), but NOT the case
#     of the question, which servers echo (resolvers rely on it, 0x20);
#   - the EDNS UDP payload size a server advertises and the options
#     COOKIE and PADDING (RFC 6891 6.2.3, 7873, 7830: per server); NSID
#     is compared (run.sh gives all three servers the same one);
#   - with TC=1, the content of answer/authority/additional (RFC 2181 9:
#     a truncated message may hold any subset);
#   - compression and other byte-level encoding (we compare parsed form);
#   - whether an error response (FORMERR, SERVFAIL, NOTIMP, REFUSED,
#     NOTAUTH, BADVERS) with empty sections copies the question: RFC 1035
#     4.1.1 does not require it and the references differ (NSD drops it
#     from FORMERR and NOTIMP, Knot copies it when it could parse it).
# TTLs are compared: all servers load the same zone files.
# One sanity rule is added for every server: a UDP answer fits the limit
# the query allowed (512 octets, or the EDNS payload size; RFC 6891 6.2.5).
#
# Subcommands: run (the comparison; --plain reads dnsperf's "NAME TYPE"
# files, --variants sends each query once per flag set, --sections limits
# what is compared: genzone.sh), same (byte-for-byte identity of the DNS
# images' answers with tibra-dnsd's, no normalisation: images.sh), mutate
# (robustness: mutate.sh), wait (poll a server until it answers a zone's
# SOA), ports (free loopback ports).

import argparse
import concurrent.futures
import difflib
import errno
import socket
import struct
import sys
import time

try:
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.opcode
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
except ImportError:
    print("FAIL: python3-dnspython missing (deps.txt group test); "
          "apt-get install python3-dnspython", file=sys.stderr)
    sys.exit(2)

UDP_TIMEOUT = 1.0
UDP_TRIES = 2
TCP_TIMEOUT = 2.0
IGNORED_OPTIONS = {10: "COOKIE", 12: "PADDING"}
# Error responses whose question section is not compared (see the top).
ERROR_RCODES = {1, 2, 4, 5, 9, 16}   # FORMERR SERVFAIL NOTIMP REFUSED
                                     # NOTAUTH BADVERS


class Query:
    def __init__(self, qid, line_no):
        self.qid = qid
        self.line_no = line_no
        self.wire = b""
        self.tcp = False
        self.udp_limit = 512   # None: the query is not valid enough to say
        self.text = ""


def parse_corpus(path, plain=False, variants=("",)):
    """Reads the corpus; (plain): dnsperf's "NAME TYPE" lines, id qLINE.
    Each line is sent once per variant (extra flags, e.g. "+edns +do"); the
    variant's flags joined by "" suffix the id (q12, q12+edns+do)."""
    queries = []
    seen = set()
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            for var in variants:
                tok = line.split()
                if plain:
                    tok = ["q%d" % n] + tok
                tok[0] += "".join(var.split())
                tok += var.split()
                q = Query(tok[0], n)
                if q.qid in seen:
                    raise SystemExit("%s:%d: duplicate id %s"
                                     % (path, n, q.qid))
                seen.add(q.qid)
                try:
                    build_query(q, tok[1:])
                except (ValueError, dns.exception.DNSException) as e:
                    raise SystemExit("%s:%d: %s" % (path, n, e))
                q.text = " ".join(tok[1:])
                queries.append(q)
    return queries


def build_query(q, tok):
    flags = [t for t in tok if t.startswith("+")]
    words = [t for t in tok if not t.startswith("+")]
    opt = {"rd": False, "edns": None, "bufsize": 1232, "do": False,
           "nsid": False, "cd": False, "ad": False, "z": False, "tc": False,
           "qr": False, "opcode": 0, "id": None}
    for fl in flags:
        k, _, v = fl[1:].partition("=")
        if k == "tcp":
            q.tcp = True
        elif k == "rec":
            opt["rd"] = True
        elif k == "norec":
            opt["rd"] = False
        elif k == "edns":
            opt["edns"] = int(v) if v else 0
        elif k == "bufsize":
            opt["bufsize"] = int(v)
            opt["edns"] = 0 if opt["edns"] is None else opt["edns"]
        elif k in ("do", "nsid"):
            opt[k] = True
            opt["edns"] = 0 if opt["edns"] is None else opt["edns"]
        elif k in ("cd", "ad", "z", "tc", "qr"):
            opt[k] = True
        elif k in ("opcode", "id"):
            opt[k] = int(v, 0)
        else:
            raise ValueError("unknown flag " + fl)
    if words and words[0] == "raw":
        q.wire = bytes.fromhex("".join(words[1:]))
        q.udp_limit = None
        return
    if len(words) not in (2, 3):
        raise ValueError("want NAME TYPE [CLASS]")
    name = dns.name.from_text(words[0])
    rdtype = dns.rdatatype.from_text(words[1])
    rdclass = dns.rdataclass.from_text(words[2]) if len(words) == 3 else 1
    msgid = opt["id"] if opt["id"] is not None else (
        (hash_id(q.qid)) & 0xffff)
    fl = (opt["opcode"] & 0xf) << 11
    fl |= 0x8000 if opt["qr"] else 0
    fl |= 0x0200 if opt["tc"] else 0
    fl |= 0x0100 if opt["rd"] else 0
    fl |= 0x0040 if opt["z"] else 0
    fl |= 0x0020 if opt["ad"] else 0
    fl |= 0x0010 if opt["cd"] else 0
    arcount = 1 if opt["edns"] is not None else 0
    w = struct.pack(">HHHHHH", msgid, fl, 1, 0, 0, arcount)
    w += name.to_wire() + struct.pack(">HH", rdtype, rdclass)
    if opt["edns"] is not None:
        opts = b""
        if opt["nsid"]:
            opts += struct.pack(">HH", 3, 0)
        ttl = (opt["edns"] & 0xff) << 16 | (0x8000 if opt["do"] else 0)
        w += b"\x00" + struct.pack(">HHIH", 41, opt["bufsize"], ttl,
                                   len(opts)) + opts
        q.udp_limit = max(512, opt["bufsize"]) if opt["edns"] == 0 else None
    q.wire = w


def hash_id(s):
    h = 5381
    for c in s.encode():
        h = (h * 33 + c) & 0xffffffff
    return h


# ---- transport --------------------------------------------------------------

def ask(addr, q):
    """Returns the answer's bytes, or a string saying why there is none."""
    host, port = addr
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    if q.tcp:
        s = socket.socket(fam, socket.SOCK_STREAM)
        s.settimeout(TCP_TIMEOUT)
        try:
            s.connect((host, port))
            s.sendall(struct.pack(">H", len(q.wire)) + q.wire)
            hdr = recv_exact(s, 2)
            if hdr is None:
                return "connection closed without an answer"
            body = recv_exact(s, struct.unpack(">H", hdr)[0])
            if body is None:
                return "connection closed inside an answer"
            return body
        except socket.timeout:
            return "no answer (TCP, %.1f s)" % TCP_TIMEOUT
        except ConnectionError as e:
            return "connection error: %s" % type(e).__name__
        except OSError as e:    # EHOSTUNREACH, ENETUNREACH: a server gone
            return "network error: %s" % errno.errorcode.get(e.errno, e)
        finally:
            s.close()
    # UDP: one retry after a silence, so that a busy machine does not turn
    # a slow answer into "no answer" (a server that drops stays silent).
    for attempt in range(UDP_TRIES):
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.settimeout(UDP_TIMEOUT)
        try:
            s.connect((host, port))
            s.send(q.wire)
            return s.recv(65535)
        except socket.timeout:
            continue
        except ConnectionError as e:
            return "connection error: %s" % type(e).__name__
        except OSError as e:
            return "network error: %s" % errno.errorcode.get(e.errno, e)
        finally:
            s.close()
    return "no answer (UDP, %d x %.1f s)" % (UDP_TRIES, UDP_TIMEOUT)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


# ---- normalisation ----------------------------------------------------------

def flag_text(fl):
    names = [("qr", 0x8000), ("aa", 0x0400), ("tc", 0x0200), ("rd", 0x0100),
             ("ra", 0x0080), ("z", 0x0040), ("ad", 0x0020), ("cd", 0x0010)]
    return " ".join(n for n, b in names if fl & b) or "-"


def rr_lines(section):
    out = []
    for rrset in section:
        owner = rrset.name.to_text().lower()
        for rd in rrset:
            out.append("%s %d %s %s %s" % (
                owner, rrset.ttl, dns.rdataclass.to_text(rrset.rdclass),
                dns.rdatatype.to_text(rrset.rdtype),
                rd.to_text().lower() if has_names(rrset.rdtype)
                else rd.to_text()))
    return sorted(out)


def has_names(rdtype):
    # Types whose rdata holds domain names (compared case-insensitively).
    return rdtype in (2, 5, 6, 12, 15, 17, 33, 35, 36, 39, 43, 47, 59, 64,
                      65)


def opt_text(o):
    if o.otype == 15 and getattr(o, "code", None) is not None:
        return "EDE(%d)" % o.code          # RFC 8914 info-code
    if o.otype == 3:                       # RFC 5001 payload
        return "NSID(%s)" % o.to_wire().hex()
    return "%d" % o.otype


# Sections compared (--sections); "additional" may be limited to referrals.
SECTIONS = {"answer", "authority", "additional"}


def normalise(q, raw):
    if isinstance(raw, str):
        return [raw]
    out = []
    if len(raw) < 12:
        return ["short message (%d octets): %s" % (len(raw), raw.hex())]
    mid, fl, qd, an, ns, ar = struct.unpack(">HHHHHH", raw[:12])
    qmid = struct.unpack(">H", q.wire[:2])[0] if len(q.wire) >= 2 else None
    out.append("id %s" % ("matches" if mid == qmid else "DIFFERS"))
    out.append("opcode %s" % dns.opcode.to_text((fl >> 11) & 0xf))
    out.append("flags %s" % flag_text(fl))
    if not q.tcp and q.udp_limit is not None and len(raw) > q.udp_limit:
        out.append("UDP ANSWER OVER LIMIT: %d > %d" % (len(raw), q.udp_limit))
    try:
        m = dns.message.from_wire(raw, ignore_trailing=False,
                                  question_only=False)
    except Exception as e:  # dnspython raises many types
        rc = fl & 0xf
        out.append("rcode %s (header)" % dns.rcode.to_text(rc))
        out.append("counts %san=%d ns=%d ar=%d" % (
            "" if rc in ERROR_RCODES else "qd=%d " % qd, an, ns, ar))
        out.append("unparseable: %s" % type(e).__name__)
        return out
    out.append("rcode %s" % dns.rcode.to_text(m.rcode()))
    if m.edns < 0:
        out.append("edns none")
    else:
        opts = sorted(opt_text(o) for o in m.options
                      if o.otype not in IGNORED_OPTIONS)
        out.append("edns version %d do=%d%s" % (
            m.edns, 1 if m.ednsflags & dns.flags.DO else 0,
            (" options " + ",".join(opts)) if opts else ""))
    if m.rcode() in ERROR_RCODES and not (m.answer or m.authority or
                                           m.additional):
        out.append("(question not compared in an error response)")
        return out + ["answer: 0", "authority: 0", "additional: 0"]
    for rrset in m.question:
        out.append("question %s %s %s" % (
            rrset.name.to_text(), dns.rdataclass.to_text(rrset.rdclass),
            dns.rdatatype.to_text(rrset.rdtype)))
    if fl & 0x0200:
        out.append("(TC=1: sections not compared, RFC 2181 9)")
        return out
    referral = not (fl & 0x0400) and not m.answer and m.rcode() == 0
    for title, sec in (("answer", m.answer), ("authority", m.authority),
                       ("additional", m.additional)):
        if title not in SECTIONS and not (
                title == "additional" and referral and
                "additional-in-referrals" in SECTIONS):
            continue
        lines = rr_lines(sec)
        out.append("%s: %d" % (title, len(lines)))
        out.extend("  " + l for l in lines)
    return out


# ---- comparison -------------------------------------------------------------

def load_known(path):
    known = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            tok = s.split(None, 2)
            if len(tok) < 3 or tok[1] not in ("nsd", "knot"):
                raise SystemExit("%s:%d: want 'ID nsd|knot REASON'"
                                 % (path, n))
            known[(tok[0], tok[1])] = tok[2]
    return known


def brief(lines):
    """One-line summary of a normalised answer, for the peers table."""
    if len(lines) == 1:
        return lines[0]
    d = {}
    for l in lines:
        k, _, v = l.partition(" ")
        d.setdefault(k.rstrip(":"), v)
    s = "%s, flags %s" % (d.get("rcode", "?"), d.get("flags", "?"))
    if "counts" in d:
        return s + ", " + d["counts"]
    if "question" not in d:
        s += ", no question"
    if "(TC=1:" in d:
        return s
    return s + ", an %s ns %s ar %s" % (
        d.get("answer", "?"), d.get("authority", "?"),
        d.get("additional", "?"))


def udiff(a, b, na, nb):
    return "\n".join("    " + l for l in difflib.unified_diff(
        a, b, na, nb, lineterm="", n=20))


def run(args):
    global SECTIONS
    SECTIONS = set(args.sections.split(","))
    queries = parse_corpus(args.corpus, args.plain,
                           args.variants.replace("_", " ").split(";"))
    servers = []
    for spec in args.server:
        name, _, hp = spec.partition("=")
        h, _, p = hp.rpartition(":")
        servers.append((name, (h, int(p))))
    names = [s[0] for s in servers]
    known = load_known(args.known) if args.known else {}
    results = {}
    with concurrent.futures.ThreadPoolExecutor(len(servers)) as ex:
        for q in queries:
            futs = [ex.submit(ask, addr, q) for _, addr in servers]
            results[q.qid] = {n: normalise(q, f.result())
                              for n, f in zip(names, futs)}
    rep = open(args.report, "w") if args.report else None
    for q in queries:
        if rep:
            rep.write("== %s: %s\n" % (q.qid, q.text))
            for n in names:
                rep.write("-- %s\n" % n)
                rep.write("".join("   %s\n" % l for l in results[q.qid][n]))
    if rep:
        rep.close()

    failures = 0
    failed_ids = []
    accepted = 0
    used = set()
    peer_disagree = []
    tib = args.subject
    for q in queries:
        r = results[q.qid]
        if "nsd" in r and "knot" in r and r["nsd"] != r["knot"]:
            peer_disagree.append(q)
        if tib not in r:
            continue
        differs = [p for p in ("nsd", "knot") if p in r and r[tib] != r[p]]
        if len(differs) == 2 and r["nsd"] != r["knot"]:
            failures += 1
            failed_ids.append(q.qid + "(neither)")
            print("FAIL %s (%s, line %d): NSD and Knot disagree and %s "
                  "matches neither" % (q.qid, q.text, q.line_no, tib))
            for p in differs:
                print(udiff(r[p], r[tib], p, tib))
            continue
        for p in differs:
            if (q.qid, p) in known:
                accepted += 1
                used.add((q.qid, p))
                continue
            failures += 1
            failed_ids.append("%s(%s)" % (q.qid, p))
            print("FAIL %s (%s, line %d): %s differs from %s, not in KNOWN"
                  % (q.qid, q.text, q.line_no, tib, p))
            print(udiff(r[p], r[tib], p, tib))
    if args.peers_verbose or tib not in names:
        for q in peer_disagree:
            print("PEERS %s (%s): NSD and Knot disagree" % (q.qid, q.text))
            print(udiff(results[q.qid]["nsd"], results[q.qid]["knot"],
                        "nsd", "knot"))
    if args.peers_summary:
        with open(args.peers_summary, "w") as f:
            for q in peer_disagree:
                f.write("%s (%s)\n    nsd:  %s\n    knot: %s\n" % (
                    q.qid, q.text, brief(results[q.qid]["nsd"]),
                    brief(results[q.qid]["knot"])))
    stale = sorted(k for k in known if k not in used) if tib in names else []
    for k in stale:
        print("NOTE stale KNOWN entry (no longer diverges): %s %s" % k)
    if failed_ids:
        print("failing: " + " ".join(failed_ids))
    print("diff: %d queries, %d servers (%s); NSD/Knot disagree on %d; "
          "%d accepted divergences (KNOWN), %d failures" % (
              len(queries), len(names), ",".join(names), len(peer_disagree),
              accepted, failures))
    return 1 if failures else 0


def mutate(args):
    """Robustness: sends (count) seeded mutations of the corpus's queries
    to one server and checks every answer is a response to that query (QR
    set, same ID) and that the server still answers (zone) SOA at the
    end.  No reference is involved: a malformed query may be answered or
    dropped, but it must never take the server down or be answered with
    garbage."""
    import random
    rng = random.Random(args.seed)
    base = [q for q in parse_corpus(args.corpus) if len(q.wire) >= 12]
    h, _, p = args.addr.rpartition(":")
    addr = (h, int(p))
    global UDP_TIMEOUT, UDP_TRIES, TCP_TIMEOUT
    UDP_TIMEOUT, UDP_TRIES, TCP_TIMEOUT = 0.15, 1, 0.5
    bad = answered = 0
    for i in range(args.count):
        src = rng.choice(base)
        w = bytearray(src.wire)
        op = rng.randrange(6)
        if op == 0:                      # flip bytes
            for _ in range(rng.randrange(1, 4)):
                j = rng.randrange(len(w))
                w[j] ^= 1 << rng.randrange(8)
        elif op == 1:                    # cut short
            w = w[:rng.randrange(len(w))]
        elif op == 2:                    # header counts lie
            j = 4 + 2 * rng.randrange(4)
            w[j:j + 2] = rng.randrange(65536).to_bytes(2, "big")
        elif op == 3:                    # random bytes inserted
            j = rng.randrange(12, len(w) + 1)
            w[j:j] = bytes(rng.randrange(256)
                           for _ in range(rng.randrange(1, 9)))
        elif op == 4:                    # a compression pointer anywhere
            j = rng.randrange(12, len(w)) if len(w) > 12 else 12
            w[j:j + 2] = (0xc000 | rng.randrange(len(w) + 16)).to_bytes(
                2, "big")
        else:                            # random flags and opcode
            w[2] = rng.randrange(256) & 0x7f     # QR stays clear
            w[3] = rng.randrange(256)
        q = Query("m%d" % i, 0)
        q.wire = bytes(w)
        q.tcp = rng.randrange(10) == 0
        r = ask(addr, q)
        if isinstance(r, str):
            if "connection error" in r and not q.tcp:
                bad += 1
                print("FAIL m%d: %s after %s" % (i, r, q.wire.hex()))
            continue
        answered += 1
        if len(r) < 12 or not (r[2] & 0x80) or \
                (len(q.wire) >= 2 and r[:2] != q.wire[:2]):
            bad += 1
            print("FAIL m%d: answer is not a response to the query\n"
                  "  query  %s\n  answer %s" % (i, q.wire.hex(),
                                                 r[:64].hex()))
    ok = wait(argparse.Namespace(addr=args.addr, zone=args.zone,
                                 timeout=5, interval=0.1)) == 0
    if not ok:
        bad += 1
        print("FAIL: the server no longer answers %s SOA" % args.zone)
    print("mutate: %d mutated queries (seed %d), %d answered, %d failures"
          % (args.count, args.seed, answered, bad))
    return 1 if bad else 0


def server_spec(spec):
    """NAME=HOST:PORT or NAME=[V6]:PORT -> (name, (host, port))."""
    name, _, hp = spec.partition("=")
    h, _, p = hp.rpartition(":")
    return name, (h.strip("[]"), int(p))


def hexdump(raw):
    if isinstance(raw, str):
        return ["(%s)" % raw]
    return ["%04x  %s" % (i, raw[i:i + 32].hex(" "))
            for i in range(0, len(raw), 32)] or ["(empty)"]


def dig_text(raw):
    """The answer as dig-like text (dnspython), or why it cannot be."""
    if isinstance(raw, str):
        return [raw]
    try:
        return dns.message.from_wire(raw).to_text().splitlines()
    except Exception as e:  # dnspython raises many types
        return ["(not parseable: %s)" % type(e).__name__]


CHUNK = 64   # same(): queries asked at once before their answers are compared


def alive(addr, zone, timeout=5.0):
    """True if (addr) answers (zone) SOA within (timeout) seconds."""
    q = Query("alive", 0)
    build_query(q, [zone, "SOA"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = ask(addr, q)
        if isinstance(r, bytes) and len(r) >= 12:
            return True
        time.sleep(0.1)
    return False


def same(args):
    """Byte for byte: every query of the corpus goes to the reference (the
    first --server, tibra-dnsd) and to each target (the DNS images) once
    per transport of --transports, and each target's answer must be the
    reference's, octet for octet (the same query bytes in give the same
    response bytes out: both run lib/dns).  "No answer" must match too.
    --share NAME=N sends target NAME only every N-th query of a pass,
    shifted by one in each pass (N=2 with udp,tcp: each query once).
    A target's silence where the reference answered is asked again, once,
    with three times the timeouts, before it counts as a difference."""
    global UDP_TIMEOUT, UDP_TRIES, TCP_TIMEOUT
    UDP_TIMEOUT, UDP_TRIES = args.udp_timeout, args.udp_tries
    TCP_TIMEOUT = args.tcp_timeout
    queries = parse_corpus(args.corpus)
    servers = [server_spec(s) for s in args.server]
    if len(servers) < 2:
        raise SystemExit("same: want a reference and at least one target")
    ref, ref_addr = servers[0]
    targets = servers[1:]
    share = {}
    for s in args.share:
        n, _, k = s.partition("=")
        share[n] = max(1, int(k))
    transports = args.transports.split(",")
    compared = {}        # (target, transport) -> count
    silent = {}          # (target, transport) -> both silent
    failures = []
    rep = open(args.report, "w") if args.report else None

    def retry(addr, q):
        global UDP_TIMEOUT, TCP_TIMEOUT
        # Only the main thread calls this, between chunks: the globals are
        # not in use by a worker then.
        saved = UDP_TIMEOUT, TCP_TIMEOUT
        UDP_TIMEOUT, TCP_TIMEOUT = 3 * saved[0], 3 * saved[1]
        try:
            return ask(addr, q)
        finally:
            UDP_TIMEOUT, TCP_TIMEOUT = saved

    def same_chunk(chunk, tr, ex):
        """Asks and compares (chunk); False if a server stopped answering
        (all silent in the chunk and no answer to a SOA probe either)."""
        futs = [(q, ex.submit(ask, ref_addr, q),
                 [(n, a, ex.submit(ask, a, q)) for n, a in who])
                for q, who in chunk]
        done = [(q, fr.result(), [(n, a, f.result()) for n, a, f in fs])
                for q, fr, fs in futs]
        heard = {}   # server -> [queries, answered]
        for q, r_ref, got in done:
            for n, a, r in [(ref, ref_addr, r_ref)] + got:
                h = heard.setdefault((n, a), [0, 0])
                h[0] += 1
                h[1] += isinstance(r, bytes)
        for (n, a), (asked, answered) in heard.items():
            if asked >= 8 and answered == 0 and not alive(a, args.zone):
                print("FAIL %s (%s:%d) no longer answers: no answer to %d "
                      "queries and to %s SOA; stopping" % (
                          n, a[0], a[1], asked, args.zone))
                return False
        for q, r_ref, got in done:
            line = ["%s %s %s=%s" % (
                q.qid, tr, ref, ("%d:%s" % (len(r_ref), r_ref.hex()[:16]))
                if isinstance(r_ref, bytes) else "none")]
            for n, a, r in got:
                if r != r_ref and (isinstance(r, str) or
                                   isinstance(r_ref, str)):
                    if isinstance(r_ref, str):
                        r_ref = retry(ref_addr, q)
                    if isinstance(r, str):
                        r = retry(a, q)
                key = (n, tr)
                compared[key] = compared.get(key, 0) + 1
                if r == r_ref:
                    line.append("%s=same" % n)
                    if isinstance(r, str):
                        silent[key] = silent.get(key, 0) + 1
                    continue
                line.append("%s=DIFFERS" % n)
                failures.append("%s/%s/%s" % (q.qid, n, tr))
                print("FAIL %s (%s, line %d) over %s: %s's answer is not %s's"
                      % (q.qid, q.text, q.line_no, tr, n, ref))
                print("    query  " + q.wire.hex())
                for who_, raw in ((ref, r_ref), (n, r)):
                    print("    %s:" % who_)
                    print("\n".join("      " + l for l in hexdump(raw)))
                if isinstance(r, bytes) and isinstance(r_ref, bytes):
                    at = next((j for j in range(min(len(r), len(r_ref)))
                               if r[j] != r_ref[j]),
                              min(len(r), len(r_ref)))
                    print("    first difference at octet %d (%d vs %d "
                          "octets)" % (at, len(r_ref), len(r)))
                print(udiff(dig_text(r_ref), dig_text(r), ref, n))
            if rep:
                rep.write(" ".join(line) + "\n")
        return True

    for p, tr in enumerate(transports):
        if tr not in ("udp", "tcp"):
            raise SystemExit("same: transport %s: want udp or tcp" % tr)
        work = []
        for i, q0 in enumerate(queries):
            q = Query(q0.qid, q0.line_no)
            q.wire, q.text, q.udp_limit = q0.wire, q0.text, q0.udp_limit
            q.tcp = tr == "tcp"
            who = [(n, a) for n, a in targets
                   if (i + p) % share.get(n, 1) == 0]
            work.append((q, who))
        t0 = time.monotonic()
        ex = concurrent.futures.ThreadPoolExecutor(args.jobs)
        try:
            for c in range(0, len(work), CHUNK):
                if not same_chunk(work[c:c + CHUNK], tr, ex):
                    return 1
        finally:
            ex.shutdown(cancel_futures=True)
        print("pass %s: %d queries in %.1f s" % (tr, len(work),
                                                  time.monotonic() - t0))
        sys.stdout.flush()
    if rep:
        rep.close()
    bad = len(failures)
    parts = []
    for n, _ in targets:
        per = ["%s %d" % (tr, compared.get((n, tr), 0)) for tr in transports]
        parts.append("%s (%s)" % (n, ", ".join(per)))
        for tr in transports:
            c, s = compared.get((n, tr), 0), silent.get((n, tr), 0)
            # Identical silence from a server that is down is no pass.
            if c == 0 or 2 * s > c:
                print("FAIL %s over %s: %d of %d queries unanswered by both"
                      % (n, tr, s, c))
                bad += 1
    if failures:
        print("differing: " + " ".join(failures))
    print("same%s: %d corpus queries; compared with %s byte for byte: %s; "
          "%d differences" % (" (%s)" % args.label if args.label else "",
                              len(queries), ref, "; ".join(parts),
                              len(failures)))
    return 1 if bad else 0


def wait(args):
    """Polls (addr) with an SOA query for (zone) until it answers."""
    h, _, p = args.addr.rpartition(":")
    q = Query("wait", 0)
    build_query(q, [args.zone, "SOA"])
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        r = ask((h, int(p)), q)
        if not isinstance(r, str) and len(r) >= 12 and (r[3] & 0xf) == 0:
            return 0
        time.sleep(args.interval)
    print("server at %s did not answer %s SOA within %d s"
          % (args.addr, args.zone, args.timeout), file=sys.stderr)
    return 1


def free_ports(args):
    """Prints (n) loopback ports free for both UDP and TCP right now."""
    ports = []
    held = []
    while len(ports) < args.n:
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        p = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p))
        except OSError:
            t.close()
            u.close()
            continue
        held += [t, u]
        ports.append(p)
    for s in held:
        s.close()
    print(" ".join(str(p) for p in ports))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--corpus", required=True)
    r.add_argument("--known")
    r.add_argument("--plain", action="store_true",
                   help="corpus in dnsperf's NAME TYPE format")
    r.add_argument("--variants", default="",
                   help="';'-separated flag sets ('_' for a space); every "
                   "query is sent once per set (default: once, as written)")
    r.add_argument("--sections", default="answer,authority,additional",
                   help="sections to compare; additional-in-referrals "
                   "compares the additional section of referrals only")
    r.add_argument("--report")
    r.add_argument("--subject", default="tibra")
    r.add_argument("--peers-verbose", action="store_true")
    r.add_argument("--peers-summary", metavar="FILE",
                   help="write where NSD and Knot disagree, one brief each")
    r.add_argument("--server", action="append", required=True,
                   help="NAME=HOST:PORT")
    w = sub.add_parser("wait")
    w.add_argument("addr")
    w.add_argument("zone")
    w.add_argument("--timeout", type=int, default=15)
    w.add_argument("--interval", type=float, default=0.1)
    m = sub.add_parser("mutate")
    m.add_argument("--corpus", required=True)
    m.add_argument("--count", type=int, default=2000)
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("addr")
    m.add_argument("zone")
    s = sub.add_parser("same")
    s.add_argument("--corpus", required=True)
    s.add_argument("--server", action="append", required=True,
                   help="NAME=HOST:PORT; the first is the reference")
    s.add_argument("--share", action="append", default=[],
                   help="NAME=N: NAME gets every N-th query of a pass")
    s.add_argument("--transports", default="udp,tcp")
    s.add_argument("--jobs", type=int, default=4)
    s.add_argument("--udp-timeout", type=float, default=UDP_TIMEOUT)
    s.add_argument("--udp-tries", type=int, default=3)
    s.add_argument("--tcp-timeout", type=float, default=TCP_TIMEOUT)
    s.add_argument("--report")
    s.add_argument("--label", help="named in the summary line")
    s.add_argument("--zone", default="example.org",
                   help="asked (SOA) to tell a silent server from a dead one")
    f = sub.add_parser("ports")
    f.add_argument("n", type=int)
    args = ap.parse_args()
    return {"run": run, "wait": wait, "ports": free_ports,
            "mutate": mutate, "same": same}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
