/*
 * test_svc_util.h -- shared by the service-file tests (test_svc and,
 * through test_svc_parse.h, test_svc_tls, test_svc_key, test_svc_dnssec):
 * a diagnostics sink that appends every message to
 * diag_text as "[warning: ]FILE:LINE: message\n", so a test checks the
 * messages with strstr().  The caller empties diag_text before a parse.
 *
 * Hosted test code (snprintf); never linked into lib/.
 */
#ifndef TEST_SVC_UTIL_H
#define TEST_SVC_UTIL_H

#include <stdio.h>
#include <string.h>
#include <tibra/dns.h>

static char diag_text[8192];

/* A dns_diag report function: (ctx) is unused. */
static void collect(void *ctx, int level, const char *file, unsigned line,
                    const char *msg)
{
    size_t n = strlen(diag_text);
    (void)ctx;
    snprintf(diag_text + n, sizeof(diag_text) - n, "%s%s:%u: %s\n",
             level == DNS_DIAG_WARNING ? "warning: " : "", file, line, msg);
}

#endif
