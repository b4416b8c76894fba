#!/usr/bin/env bash
# test-timeout: 120
# dnsd_reload_memory -- zone-memory bounds what a reload may cost, not only
# its result (issue 8: a 200 MB zone file on SIGHUP took tibra-dnsd to
# 950 MB resident).  With zone-memory 32M, a 20,000-name zone reloads;
# then a generated zone of 300,000 names (~10 MB of text, 64 MB compiled,
# ~160 MB at its peak when loaded without a limit) is refused on SIGHUP
# with "FILE: zone example.test needs more than zone-memory 32 MiB to
# load", the old serial keeps answering, and the process's peak resident
# size (VmHWM) grew by less than zone-memory plus 16 MiB (the stated
# bound: the zones served + zone-memory, the margin for allocator slack
# and the reload's own bookkeeping).  Bounded; only the PID started here
# is stopped.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_reload_memory
GEN="$(dirname "$0")/../../bench/gen-zone"

zone=$TMP/zones/example.test.zone
mkdir -p "$TMP/zones" "$TMP/gen-small" "$TMP/gen-big"
dnsd_zone "$zone" 1
dnsd_conf "zone-memory 32M"
dnsd_start
serial_served() { q +short example.test SOA | awk '{print $3}'; }
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$DNSD_PID/status"; }
wait_log() { # REGEX N: bounded wait for the Nth line matching
    for _ in $(seq 300); do
        [ "$(grep -Ec -- "$1" "$TMP/log")" -ge "$2" ] && return 0
        sleep 0.1
    done
    fail "no log line matches /$1/ (x$2) within 30 s"
}

# 1. Within the budget: a 20,000-name zone (serial 1 from gen-zone, so
# its SOA is rewritten to serial 2) reloads.
"$GEN" -n 20000 -q 1 --origin example.test "$TMP/gen-small" >/dev/null ||
    fail "gen-zone"
sed 's/^\(@.*SOA.*\) 1 \([0-9]\)/\1 2 \2/' "$TMP/gen-small/example.test.zone" \
    >"$zone"
grep -q ' SOA .* 2 [0-9]' "$zone" || fail "could not set serial 2"
kill -HUP "$DNSD_PID"
wait_log "reload done" 1
expect "20,000 names within zone-memory 32M: serial 2 served" \
    "$(serial_served)" "2"

# 2. Over it: 300,000 names.  The peak before and after the reload.
"$GEN" -n 300000 -q 1 --origin example.test "$TMP/gen-big" >/dev/null ||
    fail "gen-zone"
sed 's/^\(@.*SOA.*\) 1 \([0-9]\)/\1 3 \2/' "$TMP/gen-big/example.test.zone" \
    >"$zone"
echo "     ($(wc -c <"$zone") bytes of zone text)"
before=$(hwm)
kill -HUP "$DNSD_PID"
wait_log "reload done" 2
after=$(hwm)
expect_match "over zone-memory: FILE: zone NAME needs more than zone-memory" \
    "$(cat "$TMP/log")" \
    "example\.test\.zone: (error: )?zone example\.test\.? needs more than zone-memory 32 MiB to load"
expect_match "the old zone keeps serving" "$(cat "$TMP/log")" \
    "zone example\.test: not reloaded .*still serving serial 2"
expect "serial 2 still served" "$(serial_served)" "2"
grow=$((after - before))
limit=$(((32 + 16) * 1024))
echo "     (VmHWM $before -> $after KiB: +$grow KiB, bound +$limit KiB)"
[ "$grow" -le "$limit" ] ||
    fail "the refused reload took the peak up by $grow KiB (> $limit)"
echo "ok   peak grew by $grow KiB, within zone-memory + 16 MiB"
kill -0 "$DNSD_PID" || fail "tibra-dnsd died"
dnsd_stop
expect "exit status" "$DNSD_RC" "0"
echo SUCCESS
