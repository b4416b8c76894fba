/*
 * syscall.c -- a misbehaving guest for tender/spt's seccomp filter: it
 * makes one raw system call the filter forbids, chosen by its command
 * line, and the tender's filter must kill it (SIGSYS) before it returns:
 *   getpid      a call not on the allowlist at all
 *   write3      write(2) on descriptor 3, which is not a console or device
 *   clock       clock_gettime(CLOCK_PROCESS_CPUTIME_ID), a clock not allowed
 * Reaching the line after the call prints "NOT KILLED" and exits 1.  On the
 * unix target nothing forbids these calls, so the test runs it under spt
 * only (and hvt, where a system call instruction itself traps).
 */
#include "app.h"

TB_MANIFEST(0); /* no devices; the manifest still carries the ABI */

static long raw_syscall(long nr, long a0, long a1, long a2)
{
    long ret;
#if defined(__x86_64__)
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
                     : "rcx", "r11", "memory");
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a0;
    register long x1 __asm__("x1") = a1;
    register long x2 __asm__("x2") = a2;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2)
                     : "memory");
    ret = x0;
#else
#error "raw_syscall: unsupported architecture"
#endif
    return ret;
}

#if defined(__x86_64__)
#define NR_GETPID        39
#define NR_WRITE         1
#define NR_CLOCK_GETTIME 228
#elif defined(__aarch64__)
#define NR_GETPID        172
#define NR_WRITE         64
#define NR_CLOCK_GETTIME 113
#endif

int tb_app_main(const struct tb_start_info *si)
{
    static char msg[] = "forbidden write\n";
    struct {
        long s, ns;
    } ts;
    long r;

    say("syscall: trying '%s'\n", si->cmdline);
    if (arg_has(si->cmdline, "getpid"))
        r = raw_syscall(NR_GETPID, 0, 0, 0);
    else if (arg_has(si->cmdline, "write3"))
        r = raw_syscall(NR_WRITE, 3, (long)msg, sizeof(msg) - 1);
    else if (arg_has(si->cmdline, "clock"))
        r = raw_syscall(NR_CLOCK_GETTIME, 2 /* CLOCK_PROCESS_CPUTIME_ID */,
                        (long)&ts, 0);
    else {
        say("FAILURE: expected getpid, write3 or clock\n");
        return 2;
    }
    say("NOT KILLED: system call returned %ld\n", r);
    return 1;
}
