/*
 * ssp.c -- a misbehaving guest that overruns a stack buffer.  Built with
 * -fstack-protector-strong like all Tibra code, the overrun corrupts the
 * canary and the function's epilogue MUST call __stack_chk_fail, which
 * prints "stack smashing detected" and exits 255.  The length comes from
 * the command line (default 64 bytes into a 16-byte buffer) and the copy
 * goes through a volatile pointer, so neither the compiler nor
 * _FORTIFY_SOURCE sees it coming.
 */
#include "app.h"

TB_MANIFEST(0); /* no devices; the manifest still carries the ABI */

static __attribute__((noinline)) int smash(size_t n)
{
    char buf[16];
    volatile char *p = buf;

    for (size_t i = 0; i < n; i++)
        p[i] = (char)('A' + i % 26);
    return buf[0];
}

int tb_app_main(const struct tb_start_info *si)
{
    size_t n = (size_t)arg_u64(si->cmdline, "len", 64);

    say("ssp: writing %zu bytes into a 16-byte buffer\n", n);
    int r = smash(n);
    say("NOT CAUGHT: returned %d\n", r);
    return 1;
}
