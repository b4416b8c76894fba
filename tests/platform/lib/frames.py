#!/usr/bin/python3
"""frames.py -- drives the net test application from the host side of a
TAP interface: sends Ethernet frames (ethertype 0x88B5, IEEE local
experimental) to the guest's MAC through an AF_PACKET socket, and checks
that each comes back reflected: same payload, MACs swapped.  First one
frame at a time (sizes from minimum to 1514 bytes), then bursts of 8 to
exercise batched reads and writes.  Every wait is bounded.

usage: frames.py IFACE GUEST_MAC SINGLES BURSTS
Exits 0 if every frame came back, 1 otherwise (saying which).
"""
import os
import select
import socket
import struct
import sys
import time

ETHERTYPE = 0x88B5
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def main():
    iface, guest_mac, singles, bursts = sys.argv[1], sys.argv[2], \
        int(sys.argv[3]), int(sys.argv[4])
    guest = mac_bytes(guest_mac)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    ours = s.getsockname()[4]
    pending = {}
    seq = 0

    def frame(n, size):
        payload = struct.pack("!I", n) + os.urandom(max(size - 18, 0))
        return guest + ours + struct.pack("!H", ETHERTYPE) + payload

    def collect(deadline):
        while pending and time.monotonic() < deadline:
            r, _, _ = select.select([s], [], [], deadline - time.monotonic())
            if not r:
                break
            data, addr = s.recvfrom(65536)
            if addr[2] == PACKET_OUTGOING or len(data) < 18:
                continue
            if struct.unpack("!H", data[12:14])[0] != ETHERTYPE:
                continue
            n = struct.unpack("!I", data[14:18])[0]
            sent = pending.get(n)
            if sent is None:
                print("unexpected or duplicate frame %d" % n)
                return False
            want = sent[6:12] + sent[0:6] + sent[12:]
            if data != want:
                print("frame %d came back altered (%d bytes, sent %d)" %
                      (n, len(data), len(sent)))
                return False
            del pending[n]
        return True

    sizes = [60, 64, 128, 512, 1000, 1514]
    for i in range(singles):
        f = frame(seq, sizes[i % len(sizes)])
        pending[seq] = f
        seq += 1
        s.send(f)
        if not collect(time.monotonic() + 5) or pending:
            print("single frame %d not reflected" % (seq - 1))
            return 1
    for b in range(bursts):
        for i in range(8):
            f = frame(seq, 60 + 100 * i)
            pending[seq] = f
            seq += 1
            s.send(f)
        if not collect(time.monotonic() + 5) or pending:
            print("burst %d: frames %s not reflected" % (b, sorted(pending)))
            return 1
    print("frames.py: %d frames reflected" % seq)
    return 0


if __name__ == "__main__":
    sys.exit(main())
