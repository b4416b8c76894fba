/*
 * diag.c -- file:line diagnostics for the cold paths of lib/dns (zone text,
 * zone checks, configuration).  Formats into a fixed buffer and hands the
 * message to the caller's report function; never allocates.
 */
#include <stdarg.h>
#include <stdio.h>
#include <tibra/dns.h>

void dns_diag(struct dns_diag *d, int level, const char *file, unsigned line,
              const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (level == DNS_DIAG_ERROR)
        d->errors++;
    else
        d->warnings++;
    if (d->report == NULL)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    d->report(d->ctx, level, file, line, msg);
}
