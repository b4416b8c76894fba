#!/usr/bin/env bash
# ssp.sh -- a stack buffer overrun on every available target: the stack
# protector catches it on return, prints "stack smashing detected" and the
# program exits 255.
. "$(dirname "$0")/lib/platform.sh"

for t in $(plat_targets ssp); do
    plat_run "$t" ssp -- len=64
    if [ "$RC" -eq 255 ]; then ok "ssp/$t exit 255"; else
        bad "ssp/$t" "exit status $RC, expected 255"; fi
    expect_output "ssp/$t message" 'stack smashing detected'
    if printf '%s\n' "$OUT" | grep -q 'NOT CAUGHT'; then
        bad "ssp/$t" "the smashed function returned"; fi
done
finish ssp
