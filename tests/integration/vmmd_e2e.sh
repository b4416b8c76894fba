#!/usr/bin/env bash
# test-timeout: 300
# vmmd_e2e -- tibra-vmmd as a new operator meets it, in a network
# namespace of the test's own with a bridge br0 (10.0.0.1/24): start the
# daemon, create three unikernels from service files (hvt where /dev/kvm
# works, spt also), dig each; SIGKILL one tender and see it restarted
# (stable MAC: answering again) and counted; console and stats; restart
# the daemon (SIGTERM) and see all three come back; crash it (SIGKILL) and
# see the next start kill the tenders it left and bring all back; destroy
# all and find no TAP, tender or state file left.  Needs root.
. "$(dirname "$0")/vmmd.bash"
vm_setup vmmd_e2e "$@"

T2=spt T3=spt
[ -n "$HVT_OK" ] && T2=hvt && T3=hvt
vm_svc u1 10.0.0.11 spt
vm_svc u2 10.0.0.12 "$T2"
vm_svc u3 10.0.0.13 "$T3"
vm_daemon --allow-bridge br0 --max-unikernels 8
echo "targets: u1 spt, u2 $T2, u3 $T3"

tbv create u1 "$TMP/s/u1.conf" --net service0=br0 --restart-on-fail --startup 30
expect "create u1" "$RC" 0
tbv create u2 "$TMP/s/u2.conf" --net service0=br0 --restart-on-fail --startup 20
expect "create u2" "$RC" 0
tbv create u3 "$TMP/s/u3.conf" --net service0=br0 --restart-on-fail --startup 10
expect "create u3" "$RC" 0
expect_match "create says what it made" "$OUT" "^created u3: $T3, 16 MiB, image sha256:[0-9a-f]{64}"
for i in 1 2 3; do
    expect "u$i answers" "$(ask 10.0.0.1$i)" 192.0.2.10
done
tbv list
expect_match "list" "$OUT" "u2 +running +$T2 +16Mi"
tbv info u1
expect_match "info: image hash" "$OUT" "image: +sha256:[0-9a-f]{64}"
expect_match "info: stable MAC" "$OUT" "net: +service0 bridge br0 tap tbv[0-9a-f]{10} mac 02:"
MAC1=$(printf '%s\n' "$OUT" | sed -n 's/.* mac //p')

# The tender runs as nobody, with no capabilities.
P1=$(info_field u1 pid)
expect "u1 tender user" "$(ps -o user= -p "$P1" | tr -d ' ')" nobody
expect "u1 tender caps" "$(sed -n 's/^CapEff:\t*//p' "/proc/$P1/status")" 0000000000000000

# SIGKILL a tender: restarted after ~1 s, same MAC, answering.
kill -KILL "$P1"
for _ in $(seq 100); do
    [ "$(info_field u1 restarts)" = 1 ] && [ "$(info_field u1 state)" = running ] && break
    sleep 0.1
done
expect "u1 restarted" "$(info_field u1 restarts)" 1
P1B=$(info_field u1 pid)
[ -n "$P1B" ] && [ "$P1B" != "$P1" ] || fail "u1 has no new tender ($P1 -> $P1B)"
expect "u1 answers after SIGKILL" "$(ask 10.0.0.11)" 192.0.2.10
expect "u1 keeps its MAC" "$("$TB" info u1 --socket "$TMP/sock" | sed -n 's/.* mac //p')" "$MAC1"
tbv console u1
expect_match "console: the kill" "$OUT" "tender killed by signal 9"
expect_match "console: guest output" "$OUT" "^[0-9-]{10}T[0-9:.]{12}Z .*READY"
tbv console u1 --since 3600
expect_match "console --since" "$OUT" "restarting in 1000 ms"

# Stats: Prometheus text; the TAP counters saw the queries.
tbv stats
expect "stats" "$RC" 0
expect_match "stats: up" "$OUT" "^tibra_vmm_up\{name=\"u2\",target=\"$T2\"\} 1$"
expect_match "stats: restarts" "$OUT" "^tibra_vmm_restarts_total\{name=\"u1\"\} 1$"
RX=$(printf '%s\n' "$OUT" | sed -n 's/^tibra_vmm_net_rx_packets_total{name="u3",dev="service0"} //p')
[ "${RX:-0}" -gt 0 ] || fail "no rx packets counted for u3: $OUT"
echo "ok   stats: u3 received $RX frames"
# 20 more queries: the TAP counters move by at least that (and by a
# bounded number of others: ARP, the kernel's IPv6 chatter, retries).
pkts() { "$TB" stats u3 --socket "$TMP/sock" | sed -n "s/^tibra_vmm_net_$1_packets_total{name=\"u3\",dev=\"service0\"} //p"; }
RX0=$(pkts rx) TX0=$(pkts tx)
for _ in $(seq 20); do
    [ "$(dig +time=2 +tries=3 +short @10.0.0.13 www.example.org A)" = 192.0.2.10 ] ||
        fail "u3 did not answer"
done
RX1=$(pkts rx) TX1=$(pkts tx)
[ $((RX1 - RX0)) -ge 20 ] && [ $((RX1 - RX0)) -le 100 ] ||
    fail "u3 rx packets moved by $((RX1 - RX0)) for 20 queries"
[ $((TX1 - TX0)) -ge 20 ] && [ $((TX1 - TX0)) -le 100 ] ||
    fail "u3 tx packets moved by $((TX1 - TX0)) for 20 answers"
echo "ok   stats: 20 queries -> rx +$((RX1 - RX0)), tx +$((TX1 - TX0)) frames"
expect_match "stats: the manager" "$OUT" "^tibra_vmm_unikernels 3$"
RSS=$(printf '%s\n' "$OUT" | sed -n 's/^tibra_vmm_resident_memory_bytes{name="u1"} //p')
[ "${RSS:-0}" -gt 0 ] || fail "no RSS for u1"
echo "ok   stats: u1 tender RSS $RSS bytes"

# Daemon restart: the unikernels stop with it and come back.
OLD="$(info_field u1 pid) $(info_field u2 pid) $(info_field u3 pid)"
vm_daemon_stop TERM
expect "daemon SIGTERM status" "$DRC" 0
for p in $OLD; do
    alive "$p" && fail "tender $p outlived the daemon's stop"
done
ip -o link show | grep -q tbv && fail "TAPs left while the daemon is down"
: >"$TMP/vmmd.log"
vm_daemon --allow-bridge br0 --max-unikernels 8
for i in 1 2 3; do
    expect "u$i back after daemon restart" "$(ask 10.0.0.1$i)" 192.0.2.10
done
expect "startup order (priorities 30, 20, 10)" \
    "$(sed -n 's/^tibra-vmmd: \(u[0-9]\): started .*/\1/p' "$TMP/vmmd.log" | tr '\n' ' ')" \
    "u3 u2 u1 "

# Daemon crash: its tenders live on; the next start kills them first.
OLD="$(info_field u1 pid) $(info_field u2 pid) $(info_field u3 pid)"
vm_daemon_stop KILL
for p in $OLD; do
    alive "$p" || fail "tender $p died with the daemon"
done
# Leftovers of writes a crash interrupted: removed at the next start.
STRAY=$(printf '%064d' 7)
: >"$TMP/state/images/$STRAY"
: >"$TMP/state/vm/u9.tmp"
vm_daemon --allow-bridge br0 --max-unikernels 8
[ -e "$TMP/state/images/$STRAY" ] && fail "an unused image was kept"
[ -e "$TMP/state/vm/u9.tmp" ] && fail "a temporary record was kept"
echo "ok   unused image and temporary record removed at start"
grep -q "killing tender .* left by a previous run" "$TMP/vmmd.log" ||
    fail "no reconcile message: $(cat "$TMP/vmmd.log")"
for p in $OLD; do
    alive "$p" && fail "tender $p of the crashed daemon still runs"
done
for i in 1 2 3; do
    expect "u$i back after daemon crash" "$(ask 10.0.0.1$i)" 192.0.2.10
done
expect "one tender each" "$(pgrep -fc "$TMP/state/images/")" 3

# Destroy everything: nothing left.
for i in 1 2 3; do
    tbv destroy u$i
    expect "destroy u$i" "$RC" 0
done
grep -q "tibra-vmmd: u3: destroy asked by uid 0 (pid [0-9]*)" "$TMP/vmmd.log" ||
    fail "destroy not logged with its uid: $(tail -5 "$TMP/vmmd.log")"
echo "ok   changes logged with the asking uid"
tbv list
expect "list empty" "$(printf '%s\n' "$OUT" | wc -l)" 1
expect "no tender left" "$(pgrep -fc "$TMP/state/images/")" 0
expect "no TAP left" "$(ip -o link show | grep -c tbv)" 0
expect "no state file left" "$(find "$TMP/state/vm" "$TMP/state/run" "$TMP/state/images" -type f | wc -l)" 0
vm_daemon_stop TERM
expect "daemon exit" "$DRC" 0
echo "SUCCESS"
