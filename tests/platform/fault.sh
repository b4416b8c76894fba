#!/usr/bin/env bash
# fault.sh -- a NULL structure dereference (address 0x10) on every
# available target: the platform prints a fault line naming the faulting
# address, a register dump, and exits non-zero; the load never returns.
# Then a stack overflow, which must be caught the same way, and the two
# deliberate ends, tb_abort() and a failed NEVER(): exit 255 with a message.
. "$(dirname "$0")/lib/platform.sh"

for t in $(plat_targets fault); do
    plat_run "$t" fault
    if [ "$RC" -eq 0 ] || [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then
        bad "fault/$t" "exit status $RC, expected a non-zero exit"
    else
        ok "fault/$t exit $RC"
    fi
    expect_output "fault/$t address" '[Ff]ault.*0x0*10([^0-9a-fA-F]|$)'
    # A register dump: at least eight 64-bit hex values.
    n=$(printf '%s\n' "$OUT" | grep -oE '0x[0-9a-fA-F]{16}' | wc -l)
    if [ "$n" -ge 8 ]; then ok "fault/$t register dump"; else
        bad "fault/$t register dump" "only $n register values"; fi
    if printf '%s\n' "$OUT" | grep -q 'NOT CAUGHT'; then
        bad "fault/$t" "the faulting load returned"; fi

    # A stack overflow: caught like any fault (the guard page), not a hang.
    plat_run "$t" fault -- recurse
    if [ "$RC" -eq 0 ] || [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ] ||
        printf '%s\n' "$OUT" | grep -q 'NOT CAUGHT'; then
        bad "fault/$t stack overflow" "exit status $RC"
    else
        expect_output "fault/$t stack overflow (exit $RC)" '[Ff]ault'
    fi

    for mode in abort never; do
        plat_run "$t" fault -- $mode
        if [ "$RC" -ne 255 ]; then
            bad "fault/$t $mode" "exit status $RC, expected 255"
        elif printf '%s\n' "$OUT" | grep -q 'NOT CAUGHT'; then
            bad "fault/$t $mode" "went on"
        else
            ok "fault/$t $mode (exit 255)"
        fi
    done
    expect_output "fault/$t never message" \
        'assertion failed: .*heap_size.*fault\.c:[0-9]+'
done
finish fault
