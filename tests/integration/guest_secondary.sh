#!/usr/bin/env bash
# test-timeout: 300
# guest_secondary.sh -- secondary zones in the DNS unikernel (issue 10,
# docs/DESIGN.md "Secondary zones in images"): the test image with a
# state device (dnsd-state.spt, and .hvt where /dev/kvm works) behind the
# TAP of tests/net/lib.inc, a secondary of example.test from tibra-dnsd
# running in the namespace (10.77.0.1@53, NOTIFY to the image, IXFR from
# its history), the zone kept on a 4 MiB state file. On each target:
#   AXFR at boot: the image answers the primary's records;
#   NOTIFY -> IXFR after the primary's change (its log says IXFR);
#   restarted with the primary stopped: the kept copy answers at once;
#   kill -9 of the tender during the transfer of a large version
#   (20,000 records): after a restart (primary stopped) the zone is the
#   old version or the new one, whole (an AXFR of it counts the records).
# Needs root (namespace, TAP).
name=guest_secondary
. "$(dirname "$0")/../net/lib.inc"
. "$(dirname "$0")/guest.bash"
net_require
command -v dig >/dev/null || skip "dig not installed (bind9-dnsutils)"
DNSD="$TIBRA_UNIX/tibra-dnsd"
[ -x "$DNSD" ] || { echo "FAIL $name: $DNSD not built"; exit 1; }
guest_require "$TIBRA_GUEST/app/dnsd/guest/dnsd-state.spt"
net_setup
W=$(mktemp -d)
PPID_=
primary_stop() {
    [ -n "$PPID_" ] || return 0
    kill -TERM "$PPID_" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$PPID_" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$PPID_" 2>/dev/null
    wait "$PPID_" 2>/dev/null
    PPID_=
}
trap 'primary_stop; cleanup; rm -rf "$W"' EXIT

# zone SERIAL [N]: example.test with www<serial> and N bulk records.
zone() {
    {
        echo '$TTL 300'
        echo "@ SOA ns1.example.test. hostmaster.example.test. $1 3600 600 86400 300"
        echo "@ NS ns1"
        echo "ns1 A 10.77.0.1"
        for s in $(seq 1 "$1"); do echo "www$s A 192.0.2.$s"; done
        [ "${2:-0}" -gt 0 ] && seq 1 "$2" | awk '{print "bulk" $1 " TXT \"record " $1 " padding padding\""}'
    } >"$W/zones/example.test.zone.new"
    mv "$W/zones/example.test.zone.new" "$W/zones/example.test.zone"
}
primary_start() {
    ip netns exec "$NS" "$DNSD" "$W/ns.conf" 2>>"$W/primary.log" &
    PPID_=$!
    for _ in $(seq 100); do
        nsx dig @10.77.0.1 +time=1 +tries=1 +short example.test SOA 2>/dev/null |
            grep -q hostmaster && return 0
        sleep 0.1
    done
    cat "$W/primary.log"
    fail "the primary tibra-dnsd did not answer"
}
gq() { nsx dig @$IP4 +time=1 +tries=2 "$@"; }
serial() { gq +short example.test SOA 2>/dev/null | awk '{print $3}'; }
# wait_serial N [SECONDS]: the image answers serial N
wait_serial() {
    for _ in $(seq $((${2:-20} * 5))); do
        [ "$(serial)" = "$1" ] && return 0
        sleep 0.2
    done
    fail "the image does not answer serial $1 (answers '$(serial)')"
}
# records: the records of an AXFR of the image (SOA counted once)
records() {
    gq example.test AXFR +nocmd +nostats 2>/dev/null |
        grep -c 'IN[[:space:]]' | awk '{print $1 - 1}'
}
image_start() { # T: the state image on the TAP, the zone kept in state.img
    local tender=$SPT
    [ "$1" = hvt ] && tender=$HVT
    READY_WAIT=20 start_echo "$tender" --mem=64 --net:service0=$TAP \
        --block:state="$W/state.img" \
        "$TIBRA_GUEST/app/dnsd/guest/dnsd-state.$1" --ipv4=$IP4/24 \
        --primary=example.test:10.77.0.1@53 --state-device=state \
        --allow-transfer=example.test:10.77.0.1
}

mkdir -p "$W/zones"
cat >"$W/ns.conf" <<EOF
service: name p; target unix; workers 1
         listen 10.77.0.1@53
zone:    example.test; file zones/example.test.zone
         allow-transfer 10.77.0.2; notify 10.77.0.2
EOF

for t in $targets; do
    [ -f "$TIBRA_GUEST/app/dnsd/guest/dnsd-state.$t" ] || {
        echo "note: dnsd-state.$t not built: $t not run"
        continue
    }
    echo "== $t"
    rm -f "$W/state.img"
    truncate -s 4M "$W/state.img"
    zone 1
    primary_start
    image_start "$t"
    wait_serial 1
    [ "$(gq +short www1.example.test A)" = 192.0.2.1 ] || fail "$t: www1"
    grep -q 'serial 1, .*(AXFR)' "$ECHO_LOG" || fail "$t: no AXFR line"
    echo "ok   $t: AXFR at boot, serial 1 answered"

    zone 2
    kill -HUP "$PPID_"
    wait_serial 2
    [ "$(gq +short www2.example.test A)" = 192.0.2.2 ] || fail "$t: www2"
    grep -q 'serial 2, .*(IXFR)' "$ECHO_LOG" || fail "$t: serial 2 not by IXFR"
    echo "ok   $t: NOTIFY -> IXFR, serial 2 answered"

    term_echo >/dev/null
    primary_stop
    image_start "$t"
    grep -q 'serial 2 from the state device' "$ECHO_LOG" ||
        fail "$t: the kept copy was not loaded"
    [ "$(serial)" = 2 ] || fail "$t: restarted without its primary: serial '$(serial)'"
    [ "$(gq +short www2.example.test A)" = 192.0.2.2 ] || fail "$t: kept www2"
    echo "ok   $t: restarted with the primary stopped: serial 2 served at once"

    # kill -9 during the transfer of a large version: old or new, whole.
    primary_start
    zone 3 20000
    kill -HUP "$PPID_"
    for _ in $(seq 200); do # the transfer starting
        grep -q 'serial 3\|IXFR\|AXFR' <(tail -n 3 "$ECHO_LOG") && break
        sleep 0.02
    done
    sleep 0.$((RANDOM % 5))
    # start_echo ran timeout(1), which runs the tender: kill -9 the tender
    tpid=$(pgrep -P "$ECHO_PID")
    [ -n "$tpid" ] || fail "$t: no tender under $ECHO_PID"
    kill -KILL $tpid
    wait "$ECHO_PID" 2>/dev/null
    tail -n 3 "$ECHO_LOG" | sed 's/^/    killed| /'
    ECHO_PID=
    primary_stop
    image_start "$t"
    s=$(serial)
    n=$(records)
    case "$s:$n" in
    2:5) echo "ok   $t: kill -9 during the transfer: the old version (serial 2, $n records)" ;;
    3:20006) echo "ok   $t: kill -9 during the transfer: the new version (serial 3, $n records)" ;;
    *) fail "$t: after kill -9 during the transfer: serial '$s' with $n records" ;;
    esac
    term_echo >/dev/null
done
echo "PASS $name"
