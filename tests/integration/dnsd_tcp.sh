#!/usr/bin/env bash
# dnsd_tcp -- the TCP state machine under pressure: a reader that stalls
# while ~12 MB of answers pile up (the server's socket buffer fills: partial
# writes, EPOLLOUT, back-pressure), then 24 concurrent connections, each
# pipelining 60 queries (large and small answers) in random-sized pieces
# and reading in random-sized pieces with pauses.  Every answer must arrive
# complete, in order, with its query's ID; then the server still answers
# and exits 0.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_tcp

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 9
# An RRset of ~57 KB: a few answers fill every socket buffer on the way.
pad=$(printf '%0150d' 0)
for i in $(seq 1 350); do
    echo "huge    TXT   \"$i $pad\""
done >>"$TMP/zones/example.test.zone"
dnsd_conf "tcp-idle-timeout 20"
dnsd_start -v

/usr/bin/python3 - "$PORT" <<'PY' || fail "TCP stress (see above)"
import random, selectors, socket, struct, sys, time
port = int(sys.argv[1])
rnd = random.Random(1234)

def query(qid, name, qtype):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack(">HH", qtype, 1)
    return struct.pack(">H", len(q)) + q

# (Receive buffers are set to 1 MB: with one not much larger than
# loopback's 64 KB MSS, the receiver never reopens a full segment of
# window and the sender falls back to zero-window probes that back off
# for many seconds -- a kernel stall, not the server's.)
# Deterministic: 110 queries (one read's worth, nothing left in the
# kernel) whose ~6 MB of answers overflow the socket buffers, so the
# server must stop with queries still buffered, and resume them once the
# reader drains.  (Bug: it waited for input that would never come.)
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 << 10)
s.connect(("127.0.0.1", port))
s.sendall(b"".join(query(i, "huge.example.test", 16) for i in range(110)))
time.sleep(0.5)
s.settimeout(10)
buf, got = b"", 0
while got < 110:
    try:
        chunk = s.recv(1 << 20)
    except socket.timeout:
        raise SystemExit("huge answers: no progress for 10 s after %d" % got)
    if not chunk:
        raise SystemExit("huge answers: closed after %d" % got)
    buf += chunk
    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
        (l,) = struct.unpack(">H", buf[:2])
        if l < 50000:
            raise SystemExit("huge answers: one was only %d bytes" % l)
        got += 1
        buf = buf[2 + l:]
s.close()
print("ok   110 pipelined 57 KB answers through full socket buffers")

NSTALL = 7000
# A reader that stops reading: 7000 large answers (~12 MB) pile up, the
# server's socket buffer fills, it must wait for EPOLLOUT and go on.  Five
# rounds (with pauses of different lengths): where the pile-up ends is
# timing, and a bug there (bug: queries left buffered after a flush, no
# event to resume them) showed in about one round out of four.
for rnd_i in range(5):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect(("127.0.0.1", port))
    s.sendall(b"".join(query(i % 65536, "big.example.test", 16)
                       for i in range(NSTALL)))
    time.sleep(0.2 + 0.2 * rnd_i)
    s.settimeout(10)
    buf, got = b"", []
    while len(got) < NSTALL:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            raise SystemExit("stalled reader: no progress for 10 s after "
                             "%d answers (round %d)" % (len(got), rnd_i))
        if not chunk:
            raise SystemExit("stalled reader: closed after %d answers"
                             % len(got))
        buf += chunk
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
            (l,) = struct.unpack(">H", buf[:2])
            got.append(struct.unpack(">H", buf[2:4])[0])
            buf = buf[2 + l:]
    if got != [i % 65536 for i in range(NSTALL)]:
        raise SystemExit("stalled reader: answers out of order")
    s.close()
print("ok   stalled readers get all %d large answers after resuming (x5)"
      % NSTALL)

NCONN, NQ = 24, 60
sel = selectors.DefaultSelector()
conns = []
for c in range(NCONN):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    ids, out = [], b""
    for i in range(NQ):
        qid = (c * NQ + i) & 0xffff
        big = rnd.random() < 0.5
        out += query(qid, "big.example.test" if big else "www.example.test",
                     16 if big else 1)
        ids.append(qid)
    st = {"s": s, "out": out, "in": b"", "ids": ids, "got": []}
    conns.append(st)
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, st)

deadline = time.time() + 60
open_ = NCONN
while open_ and time.time() < deadline:
    for key, ev in sel.select(timeout=1):
        st = key.data
        s = st["s"]
        if ev & selectors.EVENT_WRITE and st["out"]:
            n = rnd.randint(1, 700)
            try:
                sent = s.send(st["out"][:n])
                st["out"] = st["out"][sent:]
            except BlockingIOError:
                pass
        if ev & selectors.EVENT_READ:
            try:
                chunk = s.recv(rnd.randint(1, 3000))
            except BlockingIOError:
                chunk = None
            if chunk == b"":
                raise SystemExit("server closed a connection early")
            if chunk:
                st["in"] += chunk
                while len(st["in"]) >= 2:
                    (l,) = struct.unpack(">H", st["in"][:2])
                    if len(st["in"]) < 2 + l:
                        break
                    msg, st["in"] = st["in"][2:2 + l], st["in"][2 + l:]
                    qid, flags = struct.unpack(">HH", msg[:4])
                    if flags & 0xf != 0 or flags & 0x0200:
                        raise SystemExit("answer %d: rcode %d, flags %#x"
                                         % (qid, flags & 0xf, flags))
                    st["got"].append(qid)
        if not st["out"]:
            sel.modify(s, selectors.EVENT_READ, st)
        if len(st["got"]) == NQ:
            if st["got"] != st["ids"]:
                raise SystemExit("answers out of order on a connection")
            sel.unregister(s)
            s.close()
            open_ -= 1
        # Slow reader: let the server's output back up now and then.
        if rnd.random() < 0.02:
            time.sleep(0.01)
if open_:
    raise SystemExit("%d connections unfinished after 60 s" % open_)
print("ok   %d connections x %d pipelined queries, all answered in order"
      % (NCONN, NQ))
PY

expect "still answers" "$(q +tcp +short www.example.test A)" "192.0.2.10"
dnsd_stop
expect "SIGTERM exit status" "$DNSD_RC" "0"
# The slow readers must have made the server wait on full socket buffers
# (else this test did not exercise partial writes and EPOLLOUT).
n=$(sed -n 's/.*TCP: \([0-9]*\) sends waited.*/\1/p' "$TMP/log")
[ "${n:-0}" -gt 0 ] || fail "no partial write happened (${n:-none})"
echo "ok   $n sends waited for EPOLLOUT"
echo SUCCESS
