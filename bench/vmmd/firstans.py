#!/usr/bin/env python3
"""firstans.py -- create-to-first-answer: runs COMMAND (tibra create ...,
or a tender started by hand) and asks ADDR "www.example.org A" over UDP
every millisecond from one socket until a correct answer (ID ours, QR,
NOERROR, an A record 192.0.2.10) arrives.  The clock starts just before
the command is spawned.  Prints "first_answer_ms=M"; exit 1 after 20 s.
A command that exits (tibra create returns once the tender runs) is
fine; a non-zero status is an error.

    firstans.py ADDR -- COMMAND [ARG...]
"""
import os
import random
import select
import socket
import struct
import subprocess
import sys
import time


def query(qid):
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in b"www.example.org".split(b"."):
        q += bytes([len(label)]) + label
    return q + b"\x00" + struct.pack(">HH", 1, 1)


def good(resp, ids):
    if len(resp) < 12:
        return False
    qid, flags, qd, an = struct.unpack(">HHHH", resp[:8])
    return (qid in ids and flags & 0x8000 and flags & 0xF == 0 and an >= 1
            and bytes([192, 0, 2, 10]) in resp[-4:])


def main():
    addr = sys.argv[1]
    cmd = sys.argv[3:]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setblocking(False)
    ids = set()
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    deadline = t0 + 20
    while time.monotonic() < deadline:
        qid = random.randrange(65536)
        ids.add(qid)
        try:
            s.sendto(query(qid), (addr, 53))
        except OSError:
            pass  # no route yet (the TAP is not up)
        r, _, _ = select.select([s], [], [], 0.001)
        while r:
            try:
                resp = s.recv(4096)
            except BlockingIOError:
                break
            if good(resp, ids):
                ms = (time.monotonic() - t0) * 1000
                print("first_answer_ms=%.2f pid=%d" % (ms, p.pid))
                if p.poll() is None and os.environ.get("FA_WAIT") == "1":
                    p.wait(timeout=20)
                if p.poll() not in (None, 0):
                    sys.exit("command failed: status %s" % p.returncode)
                return 0
            r, _, _ = select.select([s], [], [], 0)
        if p.poll() not in (None, 0):
            sys.exit("command failed: status %s" % p.returncode)
    sys.exit("no answer within 20 s")


if __name__ == "__main__":
    sys.exit(main())
