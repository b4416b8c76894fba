#!/usr/bin/python3
"""update_stream.py DNSD CONF PORT SECRET N ACKED LOG -- crash safety of
dynamic updates (issue 10): sends N signed updates one after another
(each adds sI.example.test A), records every acknowledged one in ACKED,
and SIGKILLs tibra-dnsd (the one it started) at pseudo-random points
(a fixed seed: the same run every time), restarts it, and checks after
every restart (AXFR) that every acknowledged update is there.  Bounded:
at most 40 kills, 240 s in all.  Exit 0 when all N were acknowledged and
none was lost; else 1 with the reason on stdout."""
import os, random, signal, subprocess, sys, threading, time
import dns.message, dns.query, dns.rcode, dns.tsigkeyring, dns.update
import dns.zone, dns.exception

dnsd, conf, port, secret, n, acked_path, log_path = sys.argv[1:8]
port, n = int(port), int(n)
rng = random.Random(20261203)
keyring = dns.tsigkeyring.from_text({"upd-key.": ("hmac-sha256", secret)})
deadline = time.monotonic() + 240
proc = None


def start():
    global proc
    log = open(log_path, "a")
    proc = subprocess.Popen([dnsd, conf], stderr=log, stdout=log)
    for _ in range(100):
        if proc.poll() is not None:
            print("tibra-dnsd exited at start-up (status %d)" % proc.returncode)
            sys.exit(1)
        try:
            q = dns.message.make_query("example.test.", "SOA")
            dns.query.udp(q, "127.0.0.1", port=port, timeout=0.2)
            return
        except (dns.exception.Timeout, OSError):
            time.sleep(0.1)
    print("tibra-dnsd did not answer within 10 s of a restart")
    sys.exit(1)


def names():
    xfr = dns.query.xfr("127.0.0.1", "example.test.", port=port, timeout=10,
                        lifetime=30, relativize=False)
    z = dns.zone.from_xfr(xfr, relativize=False)
    return {str(k) for k in z.nodes.keys()}


def check(acked, when):
    have = names()
    lost = [i for i in acked if "s%d.example.test." % i not in have]
    if lost:
        print("LOST after %s: %d acknowledged updates, e.g. s%d" %
              (when, len(lost), lost[0]))
        sys.exit(1)


acked = []
i = kills = 0
start()
while i < n:
    if time.monotonic() > deadline:
        print("out of time: %d of %d acknowledged" % (len(acked), n))
        sys.exit(1)
    killer = None
    if kills < 40:
        pid = proc.pid
        killer = threading.Timer(rng.uniform(0.02, 0.3),
                                 lambda: os.kill(pid, signal.SIGKILL))
        killer.start()
    # Updates until the server dies (or the batch ends).
    while i < n and proc.poll() is None:
        u = dns.update.UpdateMessage("example.test.", keyring=keyring,
                                     keyalgorithm="hmac-sha256")
        u.add("s%d.example.test." % i, 300, "A",
              "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255))
        try:
            r = dns.query.udp(u, "127.0.0.1", port=port, timeout=0.5)
        except (dns.exception.Timeout, OSError, dns.exception.DNSException):
            if proc.poll() is None and not (killer and killer.is_alive()):
                time.sleep(0.05)
                continue  # lost datagram: send again
            break
        if r.rcode() != dns.rcode.NOERROR:
            print("update %d: %s" % (i, dns.rcode.to_text(r.rcode())))
            sys.exit(1)
        acked.append(i)
        with open(acked_path, "a") as f:
            f.write("%d\n" % i)
        i += 1
    if killer:
        killer.join()
    proc.wait()
    kills += 1
    start()
    check(acked, "kill %d" % kills)
check(acked, "the last update")
proc.send_signal(signal.SIGTERM)
proc.wait(timeout=10)
print("stream: %d acknowledged, %d kills, none lost" % (len(acked), kills))
sys.exit(0)
