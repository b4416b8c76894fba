# vmmd.bash -- shared helpers for the tibra-vmmd tests (sourced): a
# network namespace of the test's own (unshare -n, so every TAP, bridge
# and address dies with it), a bridge br0 at 10.0.0.1/24, a daemon on a
# state directory and socket in $TMP, service files for unikernels.
#
#   vm_setup NAME          checks, re-execs in a new netns, sets TB VMMD TMP
#   vm_daemon [ARGS...]    starts tibra-vmmd (pid in DPID), waits for it
#   vm_daemon_stop [SIG]   SIGTERM (or SIG), waits (bounded)
#   vm_svc NAME ADDR TARGET  writes $TMP/s/NAME.conf
#   tbv ARGS...            tibra ARGS with --socket (status in RC)
#   ask ADDR [TRIES]       dig www.example.org A at ADDR until it answers
. "$(dirname "${BASH_SOURCE[0]}")/tibra.bash"

vm_setup() {
    TEST_NAME=$1
    shift
    [ "$(id -u)" = 0 ] || skip "needs root (network namespace, TAPs)"
    [ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "cross build"
    [ -c /dev/net/tun ] || skip "no /dev/net/tun"
    command -v ip >/dev/null || skip "ip not installed (iproute2)"
    command -v dig >/dev/null || skip "dig not installed (bind9-dnsutils)"
    command -v unshare >/dev/null || skip "unshare not installed (util-linux)"
    getent passwd nobody >/dev/null || skip "no user nobody"
    if [ -z "${TIBRA_IN_NETNS:-}" ]; then
        exec unshare -n env TIBRA_IN_NETNS=1 bash "$0" "$@"
    fi
    ip link set lo up || skip "cannot set up a network namespace"
    tb_setup "$TEST_NAME" "${TIBRA_HOST:-build/host-$(uname -m)}/tibra"
    VMMD=$(dirname "$TB")/tibra-vmmd
    [ -x "$VMMD" ] || fail "$VMMD not built"
    # The tenders run as nobody: what they read must be reachable.
    chmod 755 "$TMP"
    DPID=
    trap 'vm_daemon_stop KILL; vm_kill_tenders; rm -rf "$TMP"' EXIT
    ip link add br0 type bridge || skip "cannot create a bridge"
    ip addr add 10.0.0.1/24 dev br0
    ip link set br0 up
    tb_tree "$TMP/s"
    HVT_OK=
    [ -r /dev/kvm ] && [ -w /dev/kvm ] && HVT_OK=1
}

vm_daemon() {
    rm -f "$TMP/sock" # the daemon makes it once its state is loaded
    "$VMMD" --state "$TMP/state" --socket "$TMP/sock" --user nobody "$@" \
        >>"$TMP/vmmd.log" 2>&1 &
    DPID=$!
    for _ in $(seq 100); do
        [ -S "$TMP/sock" ] && break
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.1
    done
    [ -S "$TMP/sock" ] || fail "tibra-vmmd did not start: $(cat "$TMP/vmmd.log")"
}

vm_daemon_stop() {
    [ -n "${DPID:-}" ] || return 0
    kill "-${1:-TERM}" "$DPID" 2>/dev/null
    for _ in $(seq 150); do
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$DPID" 2>/dev/null
    wait "$DPID" 2>/dev/null
    DRC=$?
    DPID=
}

# Tenders that run from our state directory (after a failed test).
vm_kill_tenders() {
    local p
    for p in $(pgrep -f "$TMP/state/images/" 2>/dev/null); do
        kill -KILL "$p" 2>/dev/null
    done
}

vm_svc() { # NAME ADDR TARGET
    cat >"$TMP/s/$1.conf" <<EOS
service: name $1; target $3; memory 16M
         address $2/24; gateway 10.0.0.1
zone:    example.org; file zones/example.org.zone
EOS
}

tbv() {
    OUT=$("$TB" "$@" --socket "$TMP/sock" 2>&1)
    RC=$?
}

ask() { # ADDR [TRIES]: one answer, else empty
    local a
    for _ in $(seq "${2:-40}"); do
        a=$(dig +time=1 +tries=1 +short @"$1" www.example.org A 2>/dev/null)
        [ "$a" = 192.0.2.10 ] && break
        sleep 0.5
    done
    echo "$a"
}

# info_field NAME FIELD: a field of tibra info NAME
info_field() {
    "$TB" info "$1" --socket "$TMP/sock" 2>/dev/null |
        sed -n "s/^$2: *//p"
}

# alive PID: the process exists and is not a zombie (orphans of a killed
# daemon are reaped by PID 1 whenever it gets to it).
alive() {
    local st
    st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
    [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
