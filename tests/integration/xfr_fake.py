#!/usr/bin/python3
# xfr_fake.py PORT STATE -- a primary for example.test that misbehaves on
# request, for xfr_in.sh.  It answers SOA over UDP and AXFR/IXFR over TCP
# (IXFR with the whole zone) on 127.0.0.1@PORT.  Before each answer it
# reads STATE.mode (missing: good):
#   good    serial 20, the test zone
#   bad     serial 21 with a record outside the zone (out.example.com)
#   stall   serial 22: the first message (with half.example.test), then
#           nothing for 60 s, the connection held ("stalling" logged)
#   silent  no answers at all
#   grow    every SOA answer and transfer is one serial newer than the
#           last (from 100, kept in STATE.serial), with 2000 records
#           "vN.example.test TXT "version S"", for kill -9 tests
# It logs to STATE.log and exits after 300 s in any case.
import os
import socket
import socketserver
import struct
import sys
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.rdatatype
import dns.rrset

PORT = int(sys.argv[1])
STATE = sys.argv[2]
ORIGIN = "example.test."


def log(msg):
    with open(STATE + ".log", "a") as f:
        f.write(msg + "\n")


def mode():
    try:
        with open(STATE + ".mode") as f:
            return f.read().strip()
    except OSError:
        return "good"


def soa(serial):
    return dns.rrset.from_text(
        ORIGIN, 300, "IN", "SOA",
        "ns1.example.test. hostmaster.example.test. %d 3600 900 5 60" %
        serial)


def records(m):
    o = ORIGIN
    rr = [(o, "NS", "ns1." + o), (o, "MX", "10 mail." + o),
          ("ns1", "A", "192.0.2.1"), ("www", "A", "192.0.2.10"),
          ("www", "AAAA", "2001:db8::10"), ("mail", "A", "192.0.2.25"),
          ("alias", "CNAME", "www." + o), ("*.wild", "A", "192.0.2.99"),
          ("sub", "NS", "ns.sub." + o), ("ns.sub", "A", "192.0.2.53")]
    rr += [("big", "TXT", '"record %d padding padding padding"' % i)
           for i in range(1, 41)]
    out = []
    for owner, t, data in rr:
        name = owner if owner == o else owner + "." + o
        out.append(dns.rrset.from_text(name, 300, "IN", t, data))
    if m == "bad":
        out.insert(3, dns.rrset.from_text("out.example.com.", 300, "IN", "A",
                                          "192.0.2.66"))
    if m == "stall":
        out.insert(0, dns.rrset.from_text("half.example.test.", 300, "IN",
                                          "A", "192.0.2.50"))
    return out


SERIAL = {"good": 20, "bad": 21, "stall": 22}


def grow_serial(bump):
    try:
        with open(STATE + ".serial") as f:
            n = int(f.read())
    except (OSError, ValueError):
        n = 100
    if bump:
        with open(STATE + ".serial.tmp", "w") as f:
            f.write(str(n + 1))
        os.rename(STATE + ".serial.tmp", STATE + ".serial")
    return n + 1


def serial_of(m, bump=False):
    return grow_serial(bump) if m == "grow" else SERIAL.get(m, 20)


class UDP(socketserver.BaseRequestHandler):
    def handle(self):
        data, sock = self.request
        m = mode()
        if m == "silent":
            return
        q = dns.message.from_wire(data)
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        r.answer.append(soa(serial_of(m)))
        sock.sendto(r.to_wire(), self.client_address)


class TCP(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(10)
        m = mode()
        if m == "silent":
            return
        hdr = s.recv(2)
        if len(hdr) < 2:
            return
        n = struct.unpack(">H", hdr)[0]
        data = b""
        while len(data) < n:
            chunk = s.recv(n - len(data))
            if not chunk:
                return
            data += chunk
        q = dns.message.from_wire(data)
        serial = serial_of(m, bump=True)
        rrs = [soa(serial)] + records(m)
        if m == "grow":
            rrs += [dns.rrset.from_text("v%d.%s" % (i, ORIGIN), 300, "IN",
                                        "TXT", '"version %d"' % serial)
                    for i in range(2000)]
        rrs += [soa(serial)]
        log("transfer mode %s serial %d" % (m, serial))
        for i in range(0, len(rrs), 64 if m == "grow" else 8):
            r = dns.message.make_response(q)
            r.flags |= dns.flags.AA
            if i > 0:
                r.question = []
            r.answer = rrs[i:i + (64 if m == "grow" else 8)]
            w = r.to_wire()
            try:
                s.sendall(struct.pack(">H", len(w)) + w)
            except OSError:  # the secondary gave up on a broken zone
                return
            if m == "stall":
                log("stalling")
                time.sleep(60)
                return


class TS(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


class US(socketserver.ThreadingMixIn, socketserver.UDPServer):
    daemon_threads = True


u = US(("127.0.0.1", PORT), UDP)
t = TS(("127.0.0.1", PORT), TCP)
for srv in (u, t):
    threading.Thread(target=srv.serve_forever, daemon=True).start()
log("ready")
time.sleep(300)
