#!/usr/bin/python3
# gen_corpus.py -- seeds for tests/fuzz/fuzz_tsig.c (see its header for the
# input format), from the dnspython vectors in tests/unit/tsig_vectors.h:
#   python3 tests/data/tsig/gen_corpus.py tests/fuzz/corpus/tsig
import os
import re
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
src = open(os.path.join(here, "../../unit/tsig_vectors.h")).read()
vec = {}
for m in re.finditer(r"static const uint8_t (\w+)\[\] = \{([^}]*)\};", src):
    vec[m.group(1)] = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})", m.group(2)))

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


def seed(name, mode, clock, payload):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([mode, clock]) + payload)


def tsig_fields(m):
    """Offsets of the TSIG RR's RDLENGTH and MAC size field (key
    "tsig-key.", the vectors' only key)."""
    off = m.rindex(b"\x08tsig-key\x00\x00\xfa")
    rd = off + 10 + 8
    alg = rd + 2
    p = alg
    while m[p] != 0:
        p += m[p] + 1
    return rd, p + 1 + 8


def truncated(m, n):
    rd, mac = tsig_fields(m)
    old = struct.unpack("!H", m[mac:mac + 2])[0]
    rdlen = struct.unpack("!H", m[rd:rd + 2])[0]
    m = bytearray(m)
    m[mac:mac + 2] = struct.pack("!H", n)
    m[rd:rd + 2] = struct.pack("!H", rdlen - (old - n))
    del m[mac + 2 + n:mac + 2 + old]
    return bytes(m)


q = vec["tv_q_sha256"]
for alg in ("md5", "sha1", "sha224", "sha256", "sha384", "sha512"):
    seed("req-" + alg, 1, 128, vec["tv_q_" + alg])
    seed("answer-" + alg, 3, 128, vec["tv_q_" + alg])
seed("req-badtime", 1, 255, q)
seed("answer-badtime", 3, 0, q)
seed("req-trunc16", 1, 128, truncated(q, 16))
seed("req-trunc10", 1, 128, truncated(q, 10))
seed("req-trunc0", 1, 128, truncated(q, 0))
seed("answer-trunc16", 3, 128, truncated(q, 16))
seed("answer-trunc8", 3, 128, truncated(q, 8))
rd, mac = tsig_fields(q)
bad = bytearray(q)
bad[mac:mac + 2] = struct.pack("!H", 33)
seed("req-macsize33", 1, 128, bytes(bad))
bad = bytearray(q)
bad[rd:rd + 2] = struct.pack("!H", struct.unpack("!H", q[rd:rd + 2])[0] + 1)
seed("req-rdlen-long", 1, 128, bytes(bad))
seed("req-cut", 1, 128, q[:-3])
bad = bytearray(q)
bad[mac + 2] ^= 1
seed("answer-badsig", 3, 128, bytes(bad))
bad = bytearray(q)
bad[13] = ord("x")
seed("answer-badkey", 3, 128, bytes(bad).replace(b"\x08tsig-key", b"\x08tsig-kez"))
seed("answer-unsigned", 3, 128, q[:q.rindex(b"\x08tsig-key")][:10] + b"\x00\x00" + q[12:q.rindex(b"\x08tsig-key")])


def frames(*msgs):
    return b"".join(struct.pack("!H", len(m)) + m for m in msgs)


seed("stream-signed", 2, 128, frames(vec["tv_r0"], vec["tv_r1"], vec["tv_r2"]))
seed("stream-unsigned", 2, 128, frames(vec["tv_u0"], vec["tv_u1"], vec["tv_u2"]))
seed("stream-first-unsigned", 2, 128, frames(vec["tv_u1"], vec["tv_u2"]))
seed("stream-badtime", 2, 255, frames(vec["tv_r0"]))
seed("stream-many-unsigned", 2, 128, frames(vec["tv_u0"], *([vec["tv_u1"]] * 101)))
seed("stream-trunc", 2, 128, frames(truncated(vec["tv_r0"], 16)))
seed("b64-key", 0, 0, b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
seed("b64-lines", 0, 0, b" AAECAwQF\r\n BgcICQoL\tDA0ODw==\n")
seed("b64-bad", 0, 0, b"AAE=CAwQ")
seed("b64-long", 0, 0, b"QUFB" * 40)

# Modes 4 and 5: TCP streams into a service core with transfers (mode 4
# from 127.0.0.1, where the key is required; 5 from 192.0.2.1, where it
# is not): signed AXFR and IXFR, unsigned, a wrong key; framed.
import base64 as _b64
import time as _time
import dns.message
import dns.rdatatype
import dns.tsigkeyring

_time.time = lambda: 1700000000
_kr = dns.tsigkeyring.from_text({"tsig-key.": ("hmac-sha256", _b64.b64encode(bytes(range(32))).decode())})
_bad = dns.tsigkeyring.from_text({"tsig-key.": ("hmac-sha256", _b64.b64encode(b"wrong").decode())})


def _q(rdtype, keyring=None, serial=None):
    q = dns.message.make_query("example.com.", rdtype)
    q.id = 0x4242
    if serial is not None:
        q.authority.append(dns.rrset.from_text("example.com.", 0, "IN", "SOA",
                                               "ns1.example.com. hostmaster.example.com. %d 1 1 1 1" % serial))
    if keyring is not None:
        q.use_tsig(keyring, keyname="tsig-key.")
    return q.to_wire()


import dns.rrset
for mode in (4, 5):
    seed("xfr%d-axfr-signed" % mode, mode, 128, frames(_q("AXFR", _kr)))
    seed("xfr%d-ixfr-signed" % mode, mode, 128, frames(_q("IXFR", _kr, 1)))
    seed("xfr%d-axfr-unsigned" % mode, mode, 128, frames(_q("AXFR")))
    seed("xfr%d-axfr-badsig" % mode, mode, 128, frames(_q("AXFR", _bad)))
    seed("xfr%d-axfr-badtime" % mode, mode, 255, frames(_q("AXFR", _kr)))
    seed("xfr%d-two" % mode, mode, 128, frames(_q("AXFR", _kr), _q("SOA", _kr)))
