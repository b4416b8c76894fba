#!/usr/bin/env bash
# test-timeout: 300
# guest_update.sh -- dynamic updates in the DNS unikernel (issue 10,
# docs/DESIGN.md "Dynamic updates in images"): the test image with a
# state device (dnsd-state.spt, and .hvt where /dev/kvm works) behind the
# TAP of tests/net/lib.inc, example.org open to updates signed with key
# k1 (--allow-update, --tsig-key), journaled on a 4 MiB state file.  On
# each target:
#   nsupdate -y (TSIG) adds a record: answered at once; unsigned refused;
#   a stream of updates, one nsupdate each, while the tender is killed
#   with SIGKILL at a random point: every update nsupdate saw
#   acknowledged is answered after a restart (the journal replayed);
#   the image's SOA serial counts the updates.
# x86_64 (TSIG in guests needs BearSSL); needs root (namespace, TAP).
name=guest_update
. "$(dirname "$0")/../net/lib.inc"
. "$(dirname "$0")/guest.bash"
net_require
[ "$(uname -m)" = x86_64 ] || skip "TSIG in guests needs x86_64 (no arm64 BearSSL)"
command -v dig >/dev/null || skip "dig not installed (bind9-dnsutils)"
command -v nsupdate >/dev/null || skip "nsupdate not installed (bind9-dnsutils)"
guest_require "$TIBRA_GUEST/app/dnsd/guest/dnsd-state.spt"
[ -f "$TIBRA_GUEST/app/dnsd/guest/tsig.o" ] ||
    skip "no BearSSL for guests (libbearssl-dev not installed)"
net_setup
W=$(mktemp -d)
trap 'cleanup; rm -rf "$W"' EXIT
K=$(printf 'tibra guest update test secret 32' | base64 -w0)

gq() { nsx dig @$IP4 +time=1 +tries=2 "$@"; }
image_start() { # T
    local tender=$SPT
    [ "$1" = hvt ] && tender=$HVT
    READY_WAIT=20 start_echo "$tender" --mem=64 --net:service0=$TAP \
        --block:state="$W/state.img" \
        "$TIBRA_GUEST/app/dnsd/guest/dnsd-state.$1" --ipv4=$IP4/24 \
        --state-device=state --tsig-key=k1:hmac-sha256:$K \
        --allow-update=example.org:k1
}
# upd I [KEYARGS...]: adds uI.example.org TXT "update I"; nsupdate's status
upd() {
    local i=$1
    shift
    printf 'server %s\nzone example.org\nupdate add u%s.example.org 300 TXT "update %s"\nsend\n' \
        "$IP4" "$i" "$i" | nsx timeout 10 nsupdate -t 3 "$@" >/dev/null 2>&1
}

for t in $targets; do
    [ -f "$TIBRA_GUEST/app/dnsd/guest/dnsd-state.$t" ] || {
        echo "note: dnsd-state.$t not built: $t not run"
        continue
    }
    echo "== $t"
    rm -f "$W/state.img" "$W/acked"
    truncate -s 4M "$W/state.img"
    image_start "$t"
    s0=$(gq +short example.org SOA | awk '{print $3}')
    upd 0 -y hmac-sha256:k1:$K || fail "$t: signed update refused"
    [ "$(gq +short u0.example.org TXT)" = '"update 0"' ] || fail "$t: u0 not answered"
    upd 1000 && fail "$t: an unsigned update was accepted"
    [ -z "$(gq +short u1000.example.org TXT)" ] || fail "$t: u1000 answered"
    s1=$(gq +short example.org SOA | awk '{print $3}')
    [ "$s1" = $((s0 + 1)) ] || fail "$t: serial $s0 -> $s1 after one update"
    echo "ok   $t: a signed update answered (serial $s0 -> $s1), an unsigned one refused"

    # A stream of updates, the tender killed at a random point.
    (
        for i in $(seq 1 400); do
            upd "$i" -y hmac-sha256:k1:$K || exit 0
            echo "$i" >>"$W/acked"
        done
    ) &
    writer=$!
    for _ in $(seq 100); do # at least a few acknowledged first
        [ "$(wc -l <"$W/acked" 2>/dev/null || echo 0)" -ge 5 ] && break
        sleep 0.1
    done
    sleep 0.$((RANDOM % 10))
    tpid=$(pgrep -P "$ECHO_PID")
    [ -n "$tpid" ] || fail "$t: no tender under $ECHO_PID"
    kill -KILL $tpid
    wait "$ECHO_PID" 2>/dev/null
    ECHO_PID=
    wait "$writer"
    n=$(wc -l <"$W/acked")
    [ "$n" -ge 5 ] || fail "$t: only $n updates acknowledged before the kill"
    image_start "$t"
    grep -q "serial .* from the state device" "$ECHO_LOG" ||
        fail "$t: the journal was not replayed"
    missing=0
    for i in 0 $(cat "$W/acked"); do
        [ "$(gq +short u$i.example.org TXT)" = "\"update $i\"" ] || {
            echo "missing: u$i"
            missing=$((missing + 1))
        }
    done
    [ "$missing" = 0 ] || fail "$t: $missing acknowledged updates lost"
    s2=$(gq +short example.org SOA | awk '{print $3}')
    # every acknowledged update is there; one more may have landed unacknowledged
    [ "$s2" = $((s1 + n)) ] || [ "$s2" = $((s1 + n + 1)) ] ||
        fail "$t: serial $s2 after $n acknowledged updates from $s1"
    echo "ok   $t: kill -9 after $n acknowledged updates: all $n answered after a restart (serial $s2)"
    grep 'from the state device' "$ECHO_LOG"
    term_echo >/dev/null
done
echo "PASS $name"
