/*
 * panic.c -- the paths that end a program because something is wrong
 * inside it: tb_panic() for platform code and tb_assert_fail() for
 * assert(), ALWAYS() and NEVER() in lib/ (it overrides the weak default in
 * lib/base, which only traps).  Both print what failed and where, then call
 * tb_abort(), so every target exits with status 255 and the same message.
 */
#include <stdio.h>

#include "rt.h"

void tb_panic(const char *fmt, ...)
{
    char msg[TB_LOG_LINE_MAX - 16];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    tb_log("tibra: panic: %s\n", msg);
    tb_abort();
}

void tb_assert_fail(const char *expr, const char *file, int line)
{
    tb_log("tibra: assertion failed: %s (%s:%d)\n", expr, file, line);
    tb_abort();
}
