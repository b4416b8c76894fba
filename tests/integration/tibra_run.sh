#!/usr/bin/env bash
# test-timeout: 400
# tibra_run -- `tibra run` of examples/ns1-spt.conf for spt, and for hvt
# (--target hvt) where /dev/kvm exists, in a network namespace of its own
# (so its TAP device and 10.0.0.0/24 meet nobody else's): tibra builds the
# image, creates the TAP device with the service's gateways, runs the
# tender, and dig/kdig get correct answers over UDP and TCP, IPv4 and IPv6;
# SIGTERM stops it with status 0.  Then: --tap with a TAP made by hand,
# and the message of a user without CAP_NET_ADMIN.  Needs root (unshare).
. "$(dirname "$0")/tibra.bash"
TEST_NAME=tibra_run
[ "$(id -u)" = 0 ] || skip "needs root (network namespace, TAP devices)"
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "cross build"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
command -v ip >/dev/null || skip "ip not installed (iproute2)"
command -v dig >/dev/null || skip "dig not installed (bind9-dnsutils)"
command -v unshare >/dev/null || skip "unshare not installed (util-linux)"
if [ -z "${TIBRA_IN_NETNS:-}" ]; then
    exec unshare -n env TIBRA_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
tb_setup tibra_run "${TIBRA_HOST:-build/host-$(uname -m)}/tibra"
tb_tree "$TMP/s"
cd "$TMP/s" || fail "no tree"
PID=
stop() { # SIGTERM until it exits, bounded; status in RC
    RC=
    [ -n "$PID" ] || return 0
    for _ in $(seq 100); do
        kill -TERM "$PID" 2>/dev/null || break
        for _ in $(seq 10); do
            kill -0 "$PID" 2>/dev/null || break 2
            sleep 0.1
        done
    done
    kill -KILL "$PID" 2>/dev/null
    wait "$PID"
    RC=$?
    PID=
}
trap 'stop; rm -rf "$TMP"' EXIT

# run_case LABEL WAIT-S ARGS...: tibra run ARGS, ask, stop.
run_case() {
    local label=$1 wait_s=$2
    shift 2
    # The parent empties the log itself: the child's truncation may come
    # after the first grep, which must not see the last run's READY.
    : >"$TMP/run.log"
    "$TB" run "$@" >>"$TMP/run.log" 2>&1 &
    PID=$!
    for _ in $(seq $((wait_s * 10))); do
        grep -q READY "$TMP/run.log" && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q READY "$TMP/run.log"; then
        local st=running
        kill -0 "$PID" 2>/dev/null || { wait "$PID"; st="exited with status $?"; }
        fail "$label: not ready after ${wait_s}s (tibra run $st): $(cat "$TMP/run.log")"
    fi
    sed 's/^/     | /' "$TMP/run.log" | grep -E 'tibra:|serving'
    local q=(+time=3 +tries=3 +short)
    expect "$label: UDP IPv4" "$(dig "${q[@]}" @10.0.0.2 www.example.org A)" "192.0.2.10"
    expect "$label: TCP IPv4" "$(dig "${q[@]}" +tcp @10.0.0.2 www.example.org AAAA)" "2001:db8::10"
    expect "$label: UDP IPv6" "$(dig "${q[@]}" @fd00:10::2 www.example.org A)" "192.0.2.10"
    if command -v kdig >/dev/null; then
        expect "$label: TCP IPv6 (kdig)" \
            "$(kdig +time=3 +retry=2 +short +tcp @fd00:10::2 www.example.org AAAA)" "2001:db8::10"
    else
        expect "$label: TCP IPv6" "$(dig "${q[@]}" +tcp @fd00:10::2 www.example.org AAAA)" "2001:db8::10"
    fi
    stop
    expect "$label: SIGTERM status" "$RC" "0"
}

run_case "spt" 20 ns1-spt.conf
grep -q "^tibra: ip tuntap add dev tb-ns1 mode tap" "$TMP/run.log" ||
    fail "spt: the TAP creation was not said"
echo "ok   spt: said what it did"
ip link del tb-ns1

LIB=$(dirname "$TB")/../lib/tibra
if [ -c /dev/kvm ] && [ -f "$LIB/hvt-$(uname -m)/link.txt" ]; then
    run_case "hvt" 120 ns1-spt.conf --target hvt
    ip link del tb-ns1
else
    echo "     (hvt: no /dev/kvm or no hvt library: not run)"
fi

# --tap: a TAP device made by hand is used as it is.
ip tuntap add dev tapx mode tap
ip addr add 10.0.0.1/24 dev tapx
ip -6 addr add fd00:10::1/64 dev tapx nodad
ip link set tapx up
run_case "spt --tap" 20 ns1-spt.conf --tap tapx
grep -q "using TAP device tapx as it is" "$TMP/run.log" || fail "--tap: not said"
echo "ok   --tap: used as it is"
ip link del tapx

# Without CAP_NET_ADMIN: the missing privilege and the commands are named.
chmod -R a+rX "$TMP/s"
out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
    "$TB_OTHER" run "$TMP/s/dist/ns1.spt" 2>&1)
expect "no CAP_NET_ADMIN: status" "$?" "3"
expect_match "no CAP_NET_ADMIN: says which" "$out" "needs CAP_NET_ADMIN"
expect_match "no CAP_NET_ADMIN: says how" "$out" "ip tuntap add dev tb-ns1 mode tap user"
echo SUCCESS
