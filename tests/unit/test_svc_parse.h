/*
 * test_svc_parse.h -- shared by the service-file tests that parse a text
 * with the plain allocator (test_svc_tls, test_svc_key, test_svc_dnssec):
 * ta (malloc, realloc, free), parse(c, text) (svc_parse of TEXT as
 * /etc/tibra/ns1.conf, diag_text emptied first and filled with the
 * messages: test_svc_util.h) and HEAD, a minimal service: section.
 *
 * Hosted test code; never linked into lib/.
 */
#ifndef TEST_SVC_PARSE_H
#define TEST_SVC_PARSE_H

#include <stdlib.h>
#include <string.h>
#include <tibra/svc.h>

#include "test_svc_util.h"

static void *t_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n ? n : 1);
}
static void *t_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    (void)o;
    return realloc(p, n ? n : 1);
}
static void t_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    (void)n;
    free(p);
}
static const struct tb_alloc ta = {t_alloc, t_realloc, t_free, NULL};

static int parse(struct svc_conf *c, const char *text)
{
    struct dns_diag d = {collect, NULL, 0, 0};
    diag_text[0] = 0;
    svc_conf_init(c, &ta);
    return svc_parse(c, "/etc/tibra/ns1.conf", text, strlen(text), &d);
}

#define HEAD "service: listen 127.0.0.1@5353\n"

#endif
