#!/usr/bin/env bash
# clock.sh -- clocks and tb_yield() on every available target: monotonic
# time advances and never goes back, the wall clock is sane, yields return
# at (not before) their deadline and within 100 ms of it.
. "$(dirname "$0")/lib/platform.sh"

for t in $(plat_targets clock); do
    plat_run "$t" clock -- slack=100
    expect_success "clock/$t"
done
finish clock
