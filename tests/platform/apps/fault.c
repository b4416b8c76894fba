/*
 * fault.c -- a misbehaving guest that dereferences a NULL structure
 * pointer (address 0x10).  The platform MUST catch the page fault, print
 * a register dump and the faulting address, and exit non-zero (255).
 * Printing "NOT CAUGHT" means the load succeeded, which is a failure.
 */
#include "app.h"

TB_MANIFEST(0); /* no devices; the manifest still carries the ABI */

struct pair {
    uint64_t a, b, c;
};

/* Volatile so the compiler cannot prove the pointer NULL and elide it. */
static struct pair *volatile nowhere;

int tb_app_main(const struct tb_start_info *si)
{
    (void)si;
    say("fault: reading address %p\n", (void *)&nowhere->c);
    uint64_t v = *(volatile uint64_t *)&nowhere->c;
    say("NOT CAUGHT: read %llu\n", (unsigned long long)v);
    return 1;
}
