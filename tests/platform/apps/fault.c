/*
 * fault.c -- a misbehaving guest.  By default it dereferences a NULL
 * structure pointer (address 0x10); with "recurse" on its command line it
 * recurses until the stack overflows into the guard page below it.  The
 * platform MUST catch the fault, print a fault line and a register dump
 * (with the faulting address for the NULL case), and exit non-zero (255).
 * Two deliberate ends take the same exit: "abort" calls tb_abort(), and
 * "never" fails a NEVER() check (tb_assert_fail, as lib/ code would).
 * Printing "NOT CAUGHT" means the program went on, which is a failure.
 */
#include "app.h"

TB_MANIFEST(0); /* no devices; the manifest still carries the ABI */

struct pair {
    uint64_t a, b, c;
};

/* Volatile so the compiler cannot prove the pointer NULL and elide it. */
static struct pair *volatile nowhere;
static volatile uint64_t depth_limit = UINT64_MAX;

/* Not a tail call: the frame (and its buffer) stays live. */
static __attribute__((noinline)) uint64_t recurse(uint64_t n)
{
    volatile uint8_t frame[512];

    frame[n % sizeof(frame)] = (uint8_t)n;
    if (n >= depth_limit)
        return 0;
    return recurse(n + 1) + frame[(n + 1) % sizeof(frame)];
}

int tb_app_main(const struct tb_start_info *si)
{
    if (arg_has(si->cmdline, "abort")) {
        say("fault: calling tb_abort()\n");
        tb_abort();
    }
    if (arg_has(si->cmdline, "never")) {
        say("fault: failing NEVER()\n");
        if (NEVER(si->heap_size != 0xdead))
            say("NOT CAUGHT: NEVER() returned\n");
        return 1;
    }
    if (arg_has(si->cmdline, "recurse")) {
        say("fault: recursing until the stack overflows\n");
        uint64_t r = recurse(0);
        say("NOT CAUGHT: recursion returned %llu\n", (unsigned long long)r);
        return 1;
    }
    say("fault: reading address %p\n", (void *)&nowhere->c);
    uint64_t v = *(volatile uint64_t *)&nowhere->c;
    say("NOT CAUGHT: read %llu\n", (unsigned long long)v);
    return 1;
}
