# dnsd.bash -- shared helpers for the tibra-dnsd integration tests
# (sourced, not run: the runner only runs *.sh).  A test starts the server
# as a newcomer would -- a service file and a zone in a temporary
# directory, a free loopback port -- and stops only the PID it started,
# whatever happens (trap).  Every wait is bounded.
#
#   dnsd_setup NAME        tmp dir, tools check, trap; sets DNSD, TMP
#   dnsd_zone FILE SERIAL  writes the test zone (example.test) to FILE
#   dnsd_conf [EXTRA]      writes $TMP/ns.conf listening on 127.0.0.1@$PORT
#                          (and [::1]@$PORT when IPV6=1)
#   dnsd_start [ARGS]      starts tibra-dnsd $TMP/ns.conf; waits until it
#                          answers; PID in DNSD_PID, stderr in $TMP/log
#   dnsd_stop [SIG]        SIGTERM (or SIG), wait up to 10 s (else fail;
#                          the trap then kills it); exit status in DNSD_RC
#   q ARGS...              dig @127.0.0.1 -p $PORT +time=2 +tries=2 ARGS
#   dnsd_guest_stop        the DNS unikernel's unix image started in GPID:
#                          SIGTERM, wait up to 5 s (then SIGKILL); exit
#                          status in rc, GPID emptied
#   expect WHAT GOT WANT   fails the test with a message unless equal
#   pid_stop PID           a process this test started: SIGTERM, wait up
#                          to 5 s (then SIGKILL), reaped
set -u

fail() {
    echo "FAIL $TEST_NAME: $*"
    [ -f "${TMP:-/nonexistent}/log" ] && sed 's/^/    log| /' "$TMP/log"
    exit 1
}
skip() {
    echo "SKIP $TEST_NAME: $*"
    exit 77
}

dnsd_cleanup() {
    if [ -n "${DNSD_PID:-}" ] && kill -0 "$DNSD_PID" 2>/dev/null; then
        kill -TERM "$DNSD_PID" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$DNSD_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$DNSD_PID" 2>/dev/null
    fi
    [ -n "${TMP:-}" ] && rm -rf "$TMP"
}

pid_stop() {
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}

dnsd_setup() {
    TEST_NAME=$1
    DNSD=${TIBRA_UNIX:-build/unix-$(uname -m)}/tibra-dnsd
    [ -x "$DNSD" ] || fail "$DNSD not built (make O=... first)"
    command -v dig >/dev/null || skip "dig not installed (bind9-dnsutils)"
    command -v python3 >/dev/null || skip "python3 not installed"
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/tibra-it.XXXXXX")
    DNSD_PID=
    trap dnsd_cleanup EXIT
    trap 'exit 1' INT TERM
    # A cross build (CROSS=aarch64-linux-gnu-) runs under qemu-user,
    # through a wrapper that execs it (so the PID is tibra-dnsd's).
    local arch=${TIBRA_ARCH:-$(uname -m)}
    if [ "$arch" != "$(uname -m)" ]; then
        local qemu
        qemu=$(command -v "qemu-$arch" || command -v "qemu-$arch-static") ||
            skip "no qemu-user for $arch"
        printf '#!/bin/sh\nexec %s -L /usr/%s-linux-gnu %s "$@"\n' \
            "$qemu" "$arch" "$(cd "$(dirname "$DNSD")" && pwd)/tibra-dnsd" \
            >"$TMP/tibra-dnsd"
        chmod +x "$TMP/tibra-dnsd"
        DNSD=$TMP/tibra-dnsd
        CROSS_RUN=1
    fi
    PORT=$(dnsd_free_port)
    [ -n "$PORT" ] || fail "no free loopback port"
}

# A port free for both UDP and TCP on 127.0.0.1 (and ::1 if present),
# below the kernel's ephemeral range: a client's random source port (dig
# binds one from that range) can then never equal the server's port, which
# made dig's connected socket receive its own query once (a CI rehearsal:
# "query response not set").
dnsd_free_port() {
    /usr/bin/python3 - <<'PY'
import socket, random
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        low = int(f.read().split()[0])
except (OSError, ValueError, IndexError):
    low = 32768
for _ in range(200):
    p = random.randint(10000, max(10001, low - 1))
    socks = []
    try:
        for fam, addr in ((socket.AF_INET, "127.0.0.1"),
                          (socket.AF_INET6, "::1")):
            for typ in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                try:
                    s = socket.socket(fam, typ)
                except OSError:
                    continue
                socks.append(s)
                try:
                    s.bind((addr, p))
                except OSError as e:
                    if fam == socket.AF_INET6 and e.errno == 99:
                        continue  # no ::1 here: fine
                    raise
        print(p)
        break
    except OSError:
        pass
    finally:
        for s in socks:
            s.close()
PY
}

have_ipv6() {
    /usr/bin/python3 -c 'import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::1", 0))' 2>/dev/null
}

# The test zone: every answer kind the tests look for.
dnsd_zone() {
    local file=$1 serial=$2
    {
        cat <<ZONE
\$ORIGIN example.test.
\$TTL 300
@       SOA   ns1 hostmaster $serial 3600 900 604800 60
        NS    ns1
        MX    10 mail
ns1     A     192.0.2.1
www     A     192.0.2.10
        AAAA  2001:db8::10
mail    A     192.0.2.25
alias   CNAME www
*.wild  A     192.0.2.99
sub     NS    ns.sub
ns.sub  A     192.0.2.53
serial  TXT   "serial $serial"
ZONE
        # An RRset too large for 512 bytes: TC over UDP without EDNS.
        for i in $(seq 1 40); do
            echo "big     TXT   \"record $i padding padding padding\""
        done
    } >"$file"
}

dnsd_conf() {
    local extra=${1:-}
    {
        echo "service: name it; target unix; workers 2"
        echo "         listen 127.0.0.1@$PORT"
        [ "${IPV6:-0}" = 1 ] && echo "         listen ::1@$PORT"
        [ -n "$extra" ] && echo "         $extra"
        echo "zone:    example.test; file zones/example.test.zone"
    } >"$TMP/ns.conf"
}

q() {
    dig @127.0.0.1 -p "$PORT" +time=2 +tries=2 "$@"
}

dnsd_start() {
    "$DNSD" "$@" "$TMP/ns.conf" 2>"$TMP/log" &
    DNSD_PID=$!
    for _ in $(seq 100); do
        if ! kill -0 "$DNSD_PID" 2>/dev/null; then
            wait "$DNSD_PID"
            fail "tibra-dnsd exited early (status $?)"
        fi
        if q +short example.test SOA 2>/dev/null | grep -q hostmaster; then
            return 0
        fi
        sleep 0.1
    done
    fail "tibra-dnsd did not answer within 10 s"
}

dnsd_stop() {
    local sig=${1:-TERM}
    kill -"$sig" "$DNSD_PID"
    DNSD_RC=
    for _ in $(seq 100); do
        if ! kill -0 "$DNSD_PID" 2>/dev/null; then
            wait "$DNSD_PID"
            DNSD_RC=$?
            DNSD_PID=
            return 0
        fi
        sleep 0.1
    done
    fail "tibra-dnsd did not stop within 10 s of SIG$sig"
}

# dnsd_guest_stop: SIGTERM is the image's stop request (it prints its
# counters and exits 0); one that has not exited after 5 s is killed.
dnsd_guest_stop() {
    kill -TERM "$GPID"
    for _ in $(seq 50); do
        kill -0 "$GPID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$GPID" 2>/dev/null
    wait "$GPID"
    rc=$?
    GPID=
}

expect() {
    local what=$1 got=$2 want=$3
    if [ "$got" != "$want" ]; then
        fail "$what: got '$got', wanted '$want'"
    fi
    echo "ok   $what"
}

# expect_match WHAT TEXT REGEX
expect_match() {
    local what=$1 text=$2 re=$3
    if ! printf '%s\n' "$text" | grep -Eq -- "$re"; then
        printf '%s\n' "$text" | sed 's/^/    | /'
        fail "$what: no line matches /$re/"
    fi
    echo "ok   $what"
}
