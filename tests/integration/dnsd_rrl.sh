#!/usr/bin/env bash
# dnsd_rrl -- response rate limiting (issue 8): with rrl-rate 5 and
# loopback not exempt, one client sending 200 UDP queries at once from
# 127.0.0.1 gets far fewer full answers than queries (a burst of 2 s
# worth, 10), about half of the rest as truncated slips (TC=1, slip 2)
# and the others dropped; a second later it is answered again; TCP is
# never limited.  The same service without RRL answers all 200.  The
# counters are in the exit log.  Every socket has a timeout.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_rrl

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 1

flood() { # MODE: rrl or all
    PYTHONPATH="$(dirname "$0")" PYTHONDONTWRITEBYTECODE=1 \
        /usr/bin/python3 - "$PORT" "$1" <<'PY'
import socket, struct, sys, time
from dnsq import tally
port, mode = int(sys.argv[1]), sys.argv[2]

def query(qid):
    return struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0) + \
        b"\3www\7example\4test\0" + struct.pack(">HH", 1, 1)

def burst(n):
    """Sends n queries at once; returns (answered, truncated, silent)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect(("127.0.0.1", port))
    for i in range(n):
        s.send(query(i))
    r = tally(s, n)
    s.close()
    return r

ans, tc, silent = burst(200)
print("200 queries: %d answered, %d truncated, %d not answered"
      % (ans, tc, silent))
if mode == "all":
    if ans != 200:
        sys.exit("without RRL: %d of 200 answered" % ans)
    sys.exit(0)
if not (5 <= ans <= 30):
    sys.exit("rrl-rate 5: %d full answers to 200 queries" % ans)
if not (60 <= tc <= 120):
    sys.exit("slip 2: %d truncated of %d limited" % (tc, 200 - ans))
if silent < 60:
    sys.exit("only %d dropped" % silent)
time.sleep(1.2)
ans, tc, silent = burst(1)
if ans != 1:
    sys.exit("a second later: not answered (tc %d)" % tc)
print("ok   answered again after a second")
PY
}

# With RRL.
dnsd_conf "rrl-rate 5; rrl-exempt-loopback off"
dnsd_start -w 1
expect_match "rrl log" "$(cat "$TMP/log")" "rrl: 5 responses/s"
flood rrl || fail "with rrl-rate 5"
# TCP is never limited: the bucket is empty, TCP still answers.
for i in 1 2 3; do
    expect "TCP answer $i" "$(q +tcp +short www.example.test A)" "192.0.2.10"
done
dnsd_stop TERM
expect "SIGTERM exit status" "$DNSD_RC" "0"
grep -Eq 'rrl dropped [1-9][0-9]* slipped [1-9]' "$TMP/log" ||
    fail "no RRL counters in the exit log"

# The same service without RRL: every query answered.
dnsd_conf ""
dnsd_start -w 1
flood all || fail "without RRL"
dnsd_stop TERM
grep -q 'rrl dropped 0 slipped 0' "$TMP/log" || fail "RRL counters not 0"
echo SUCCESS
