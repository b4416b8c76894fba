/*
 * log.c -- formatted console output for platform code: boot messages,
 * errors, register dumps.  Each call formats into one bounded stack buffer
 * and makes one tb_console_write(), so lines from a fault handler are not
 * interleaved with half-written ones.  Applications do their own
 * formatting with snprintf; this is the platforms' shared printer.
 */
#include <stdio.h>

#include "rt.h"

void tb_vlog(const char *fmt, va_list ap)
{
    char line[TB_LOG_LINE_MAX];
    int n = vsnprintf(line, sizeof(line), fmt, ap);

    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        /* Truncated: mark it, keeping a trailing newline if there was one. */
        size_t fl = strlen(fmt);
        bool nl = fl > 0 && fmt[fl - 1] == '\n';
        memcpy(line + sizeof(line) - 5, nl ? "...\n" : "...", nl ? 5 : 4);
        n = (int)strlen(line);
    }
    tb_console_write(line, (size_t)n);
}

void tb_log(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    tb_vlog(fmt, ap);
    va_end(ap);
}

char *tb_fmt_hex64(char *buf, uint64_t v)
{
    static const char hex[] = "0123456789abcdef";

    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 16; i++)
        buf[2 + i] = hex[(v >> (60 - 4 * i)) & 0xf];
    buf[18] = '\0';
    return buf;
}
