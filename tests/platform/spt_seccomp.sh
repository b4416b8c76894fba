#!/usr/bin/env bash
# spt_seccomp.sh -- tibra-spt's seccomp filter kills a guest that makes a
# forbidden system call: one not on the allowlist (getpid), an allowed
# call on a descriptor it may not use (write to fd 3), and an allowed call
# with a forbidden argument (clock_gettime of the process CPU clock).  The
# kill is SIGSYS, so the exit status is 128 + 31 = 159, and the guest never
# prints "NOT KILLED".  hvt runs the same image: a system call instruction
# in a KVM guest traps, so only a non-zero exit is required there.
. "$(dirname "$0")/lib/platform.sh"

for t in $(PLAT_TARGETS="spt hvt" plat_targets syscall); do
    for mode in getpid write3 clock; do
        plat_run "$t" syscall -- "$mode"
        if printf '%s\n' "$OUT" | grep -q 'NOT KILLED'; then
            bad "syscall/$t/$mode" "the forbidden call returned"
        elif [ "$t" = spt ] && [ "$RC" -ne 159 ]; then
            bad "syscall/$t/$mode" "exit status $RC, expected 159 (SIGSYS)"
        elif [ "$RC" -eq 0 ] || [ "$RC" -eq 124 ]; then
            bad "syscall/$t/$mode" "exit status $RC"
        else
            ok "syscall/$t/$mode killed (exit $RC)"
        fi
    done
done
SKIP_WHY="tibra-spt or the syscall image not built"
finish spt_seccomp
