#!/usr/bin/env bash
# hvt_clock.sh -- clocks and yield under tibra-hvt: the clock application
# (monotonic never goes back, yields of 20/40/60 ms return after their
# deadline and within the slack, a past deadline polls) passes, and the
# guest's wall clock (TSC-scaled from the tender's CLOCK_REALTIME sample)
# agrees with the host's within 2 seconds.
. "$(dirname "$0")/hvt_lib/hvt.sh"
hvt_require hvt_clock

before=$(date +%s)
hvt_run --mem=2 "$HVT_APPS/clock.hvt" slack=200
after=$(date +%s)
expect_success "clock app"
expect_output "yields" '^yield 60 ms: returned [0-9]+ us after the deadline$'
wall=$(printf '%s\n' "$OUT" | sed -n 's/.*, wall \([0-9]*\) s$/\1/p')
if [ -n "$wall" ] && [ "$wall" -ge $((before - 2)) ] &&
    [ "$wall" -le $((after + 2)) ]; then
    ok "wall clock $wall s within [$before, $after] +- 2 s"
else
    bad "wall clock" "guest says '${wall:-nothing}', host [$before, $after]"
fi
finish hvt_clock
