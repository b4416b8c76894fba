#!/usr/bin/python3
"""rrlpeers.py -- one query stream, the same for every server, and each
server's answered / slipped / dropped counts checked against the bucket
maths of its own RRL algorithm, fed with the times the queries were
actually sent (so the result does not depend on how fast this machine
sends).  tests/integration/rrl_peers.sh runs it against tibra-dnsd, NSD
and Knot configured alike (rate R, slip S, /24, nothing exempt).

The stream, from one address and port, all "www.example.test A":
  burst   8R queries as fast as they go, starting just after a second
          boundary of the wall clock (NSD and Knot count in wall seconds)
  paced   2R queries per second for 3 s (the limit in the steady state)
Then 1 s for late answers.  An answer with records is "answered", one with
TC and no records "slipped", none "dropped".

The models (what each server documents and does):
  tibra   GCRA: a response is allowed while max(tat, t) + 1/R - t <= 2 s
          (a 2 s burst), then tat += 1/R; every S-th limited one slips
  nsd     per wall second a counter of queries (limited ones too) and a
          smoothed rate (rate/2 + counter at each new second, halved per
          idle second); limited when counter + rate/2 >= 2R (NSD doubles
          rrl-ratelimit: its rate sums r(t) + r(t-1)/2); slip random 1/S
  knot    a token bucket of 4R tokens (4 s), R more per new wall second;
          limited at 0 tokens; slip random 1/S (mod-rrl, Knot 3.2)
Checks: measured answered within 3 + 5% of the model; slipped within 2 of
the model for tibra (deterministic), within 5 standard deviations of
limited/S (binomial) for NSD and Knot; every server limits most of the
stream; the fractions of limited responses slipped agree across servers
within 0.15.  Prints a table; exits 1 on a failure.

    rrlpeers.py --rate R --slip S [--server IP] [--source IP] [--name QNAME]
                NAME=PORT [NAME=PORT ...]     (NAME: tibra, nsd or knot)
"""
import argparse
import math
import random
import select
import socket
import struct
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--rate", type=int, required=True)
ap.add_argument("--slip", type=int, required=True)
ap.add_argument("--name", default="www.example.test")
ap.add_argument("--server", default="127.0.0.1")
ap.add_argument("--source", default="127.0.0.1")
ap.add_argument("servers", nargs="+")
A = ap.parse_args()
R, S = A.rate, A.slip


def query(qid):
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in A.name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack(">HH", 1, 1)


def run(port):
    """Sends the stream to (port); returns (send times, {qid: kind})."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((A.source, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.setblocking(False)
    got = {}

    def drain(wait):
        end = time.time() + wait
        while True:
            left = end - time.time()
            r, _, _ = select.select([s], [], [], max(0, left))
            if not r:
                if left <= 0:
                    return
                continue
            try:
                d = s.recv(4096)
            except BlockingIOError:
                continue
            if len(d) < 12:
                continue
            qid = struct.unpack(">H", d[:2])[0]
            an = struct.unpack(">H", d[6:8])[0]
            tc = d[2] & 0x02
            got[qid] = "answered" if an > 0 else ("slipped" if tc else "other")

    times = []
    # Just after a wall-clock second boundary.
    time.sleep(1.05 - (time.time() % 1.0))
    for i in range(8 * R):
        times.append(time.time())
        s.sendto(query(i), (A.server, port))
    drain(0)
    t0 = time.time()
    for k in range(6 * R):
        due = t0 + k / (2.0 * R)
        while time.time() < due:
            drain(min(due - time.time(), 0.01))
        i = 8 * R + k
        times.append(time.time())
        s.sendto(query(i), (A.server, port))
    drain(1.0)
    s.close()
    return times, got


def model_tibra(times):
    interval, burst = 1.0 / R, 2.0
    tat, nlim, kinds = None, 0, []
    for t in times:
        if tat is None or tat <= t:
            tat_now = t
        else:
            tat_now = tat
        if tat_now + interval - t <= burst + 1e-9:
            tat = tat_now + interval
            kinds.append("answered")
        else:
            nlim += 1
            kinds.append("slipped" if S and nlim % S == 0 else "dropped")
    return kinds


def model_nsd(times):
    # nsd's rrl_set_limit() doubles rrl-ratelimit: its "rate" is a sum of
    # r(t) + r(t-1)/2, about twice the queries per second.
    rate = counter = 0
    stamp = None
    kinds = []
    for t in times:
        now = int(t)
        if stamp is None:
            counter, rate, stamp = 1, 0, now
            cur = 1
        else:
            if now - stamp == 1:
                rate = rate // 2 + counter
                counter, stamp = 1, now
            elif now - stamp > 1:
                el = now - stamp
                if el > 16:
                    rate = 0
                else:
                    rate = (rate >> el) + (counter >> (el - 1))
                counter, stamp = 1, now
            else:
                counter += 1
            cur = counter + rate // 2 if counter > rate // 2 else rate
        kinds.append("answered" if cur < 2 * R else "limited")
    return kinds


def model_knot(times):
    ntok = None
    last = None
    kinds = []
    for t in times:
        now = int(t)
        if ntok is None:
            ntok, last = 4 * R, now
        dt = min(now - last, 4)
        last = now
        if dt > 0:
            ntok = min(ntok + R * dt, 4 * R)
        if ntok > 0:
            ntok -= 1
            kinds.append("answered")
        else:
            kinds.append("limited")
    return kinds


MODELS = {"tibra": model_tibra, "nsd": model_nsd, "knot": model_knot}
failed = []
rows = []
for spec in A.servers:
    name, port = spec.split("=")
    times, got = run(int(port))
    n = len(times)
    meas = {"answered": 0, "slipped": 0, "other": 0}
    for k in got.values():
        meas[k] += 1
    meas["dropped"] = n - sum(meas.values())
    pred = MODELS[name](times)
    p_ans = pred.count("answered")
    limited = n - meas["answered"]
    tol = 3 + 0.05 * p_ans
    ok = abs(meas["answered"] - p_ans) <= tol
    if name == "tibra":
        p_slip = pred.count("slipped")
        # its limited sequence is the measured one: recount from it
        p_slip = limited // S if S else 0
        sok = abs(meas["slipped"] - p_slip) <= 2
        sdesc = "%d (1 in %d of %d limited)" % (p_slip, S, limited)
    else:
        p_slip = limited / S if S else 0
        sd = math.sqrt(limited * (1.0 / S) * (1 - 1.0 / S)) if S else 0
        sok = abs(meas["slipped"] - p_slip) <= 5 * sd + 2
        sdesc = "%.0f +- %.0f (1/%d of %d limited, random)" % (
            p_slip, 5 * sd + 2, S, limited)
    if meas["other"]:
        failed.append("%s: %d answers neither full nor slipped" %
                      (name, meas["other"]))
    if not ok:
        failed.append("%s: %d answered, the model says %d (+- %.0f)" %
                      (name, meas["answered"], p_ans, tol))
    if not sok:
        failed.append("%s: %d slipped, expected %s" %
                      (name, meas["slipped"], sdesc))
    if limited < n / 2:
        failed.append("%s: only %d of %d limited" % (name, limited, n))
    rows.append((name, n, meas, p_ans, limited))
    burst = sum(1 for q, k in got.items() if q < 8 * R and k == "answered")
    print("%-6s %d queries: answered %d (model %d; in the burst %d, model "
          "%d), slipped %d (expected %s), dropped %d"
          % (name, n, meas["answered"], p_ans, burst,
             pred[:8 * R].count("answered"), meas["slipped"], sdesc,
             meas["dropped"]), flush=True)

print("\n| server | answered | slipped | dropped | slipped / limited |")
print("|---|---|---|---|---|")
fr = []
for name, n, m, p, lim in rows:
    f = m["slipped"] / lim if lim else 0
    fr.append(f)
    print("| %s | %.3f | %.3f | %.3f | %.3f |" % (
        name, m["answered"] / n, m["slipped"] / n, m["dropped"] / n, f))
if fr and max(fr) - min(fr) > 0.15:
    failed.append("slipped fractions of limited responses differ by %.3f "
                  "(> 0.15)" % (max(fr) - min(fr)))
for f in failed:
    print("FAIL " + f)
sys.exit(1 if failed else 0)
