#!/usr/bin/python3
"""net_fps.py -- frames per second through a reflector guest's net path:
sends windows of WINDOW Ethernet frames (ethertype 0x88B5, 64 bytes)
through an AF_PACKET socket on IFACE to GUEST_MAC, waits for each window
to come back reflected, and reports reflected frames per second over
TOTAL frames.  Every wait is bounded (2 s per window); a window that does
not fully return counts only the frames that did.

usage: net_fps.py IFACE GUEST_MAC TOTAL WINDOW
"""
import select
import socket
import struct
import sys
import time

ETHERTYPE = 0x88B5


def main():
    iface, mac, total, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4])
    guest = bytes(int(x, 16) for x in mac.split(":"))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(ETHERTYPE))
    s.bind((iface, 0))
    ours = s.getsockname()[4]
    hdr = guest + ours + struct.pack("!H", ETHERTYPE)
    back = lost = 0
    t0 = time.monotonic()
    for seq in range(0, total, window):
        n = min(window, total - seq)
        for i in range(n):
            s.send(hdr + struct.pack("!I", seq + i) + bytes(46))
        got = 0
        deadline = time.monotonic() + 2
        while got < n and time.monotonic() < deadline:
            r, _, _ = select.select([s], [], [], deadline - time.monotonic())
            if not r:
                break
            data, addr = s.recvfrom(2048)
            if addr[2] == socket.PACKET_OUTGOING or data[0:6] != ours:
                continue
            got += 1
        back += got
        lost += n - got
    dt = time.monotonic() - t0
    print("%d frames reflected in %.3f s: %.0f frames/s (window %d, %d lost)"
          % (back, dt, back / dt if dt > 0 else 0, window, lost))
    return 0 if back else 1


if __name__ == "__main__":
    sys.exit(main())
