/*
 * test_svc_xfr.c -- the service file's keys for transfers out (lib/svc):
 * allow-transfer (addresses and prefixes, several items adding up, the
 * 64-entry bound), notify (ADDR[@PORT], port 53 by default, IPv6 in
 * brackets), ixfr-history and ixfr-history-size (defaults and bounds),
 * and FILE:LINE on every error; every allocation freed.
 */
#include <stdlib.h>
#include <string.h>
#include <tibra/svc.h>

#include "check.h"

static size_t live_bytes;

static void *t_alloc(void *ctx, size_t n)
{
    (void)ctx;
    live_bytes += n;
    return malloc(n ? n : 1);
}
static void *t_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    void *q = realloc(p, n ? n : 1);
    if (q != NULL)
        live_bytes = live_bytes - o + n;
    return q;
}
static void t_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (p != NULL)
        live_bytes -= n;
    free(p);
}
static const struct tb_alloc ta = {t_alloc, t_realloc, t_free, NULL};

static char diag_text[8192];
static void collect(void *ctx, int level, const char *file, unsigned line,
                    const char *msg)
{
    size_t n = strlen(diag_text);
    (void)ctx;
    snprintf(diag_text + n, sizeof(diag_text) - n, "%s%s:%u: %s\n",
             level == DNS_DIAG_WARNING ? "warning: " : "", file, line, msg);
}

static int parse(struct svc_conf *c, const char *text)
{
    struct dns_diag d;

    diag_text[0] = '\0';
    memset(&d, 0, sizeof(d));
    d.report = collect;
    svc_conf_init(c, &ta);
    return svc_parse(c, "t.conf", text, strlen(text), &d);
}

static void test_allow_transfer(void)
{
    struct svc_conf c;
    const char *text = "service: name t; listen 127.0.0.1@5353\n"
                       "zone: example.org; file e.zone\n"
                       "  allow-transfer 192.0.2.1 10.0.0.0/8\n"
                       "  allow-transfer 2001:db8::/32 ::1\n"
                       "zone: example.net; file n.zone\n";

    REQUIRE(parse(&c, text) == 0);
    REQUIRE(c.nzones == 2);
    const struct svc_zone *z = &c.zones[0];
    REQUIRE(z->nallow_xfr == 4);
    CHECK_EQ(z->allow_xfr[0].family, 4);
    CHECK_EQ(z->allow_xfr[0].plen, 32);
    CHECK_EQ(z->allow_xfr[0].addr[3], 1);
    CHECK_EQ(z->allow_xfr[1].plen, 8);
    CHECK_EQ(z->allow_xfr[1].addr[0], 10);
    CHECK_EQ(z->allow_xfr[2].family, 6);
    CHECK_EQ(z->allow_xfr[2].plen, 32);
    CHECK_EQ(z->allow_xfr[3].plen, 128);
    CHECK_EQ(z->allow_xfr[3].line, 4);
    CHECK_EQ(c.zones[1].nallow_xfr, 0);
    /* Defaults of the history. */
    CHECK_EQ(z->ixfr_history, SVC_DEFAULT_IXFR_HISTORY);
    CHECK_EQ(z->ixfr_history_size, SVC_DEFAULT_IXFR_HISTORY_SIZE);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
}

static void test_notify(void)
{
    struct svc_conf c;
    const char *text =
        "service: name t; listen 127.0.0.1@5353\n"
        "zone: example.org; file e.zone\n"
        "  notify 192.0.2.53 192.0.2.54@5300 [2001:db8::2]@5301\n"
        "  ixfr-history 3; ixfr-history-size 1M\n";

    REQUIRE(parse(&c, text) == 0);
    const struct svc_zone *z = &c.zones[0];
    REQUIRE(z->nnotify == 3);
    CHECK_EQ(z->notify[0].port, 53);
    CHECK_EQ(z->notify[1].port, 5300);
    CHECK_EQ(z->notify[2].family, 6);
    CHECK_EQ(z->notify[2].port, 5301);
    CHECK_EQ(z->ixfr_history, 3);
    CHECK_EQ(z->ixfr_history_size, 1u << 20);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
}

/* (line) of (text) is wrong: the parse fails with "t.conf:LINE: (want)". */
static void expect_error(const char *text, const char *want)
{
    struct svc_conf c;

    CHECK_EQ(parse(&c, text), TB_EMALF);
    if (strstr(diag_text, want) == NULL) {
        CHECK(!"expected message not found");
        fprintf(stderr, "  wanted: %s\n  got:\n%s", want, diag_text);
    }
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
}

static void test_errors(void)
{
    const char *head = "service: name t; listen 127.0.0.1@5353\n"
                       "zone: example.org; file e.zone\n";
    char text[8192];

#define ERR(line, want)                                                        \
    do {                                                                       \
        snprintf(text, sizeof(text), "%s%s\n", head, line);                    \
        expect_error(text, want);                                              \
    } while (0)
    ERR("  allow-transfer", "t.conf:3: allow-transfer needs at least one");
    ERR("  allow-transfer 192.0.2.300",
        "t.conf:3: allow-transfer: '192.0.2.300' is not ADDR or ADDR/LEN");
    ERR("  allow-transfer 192.0.2.0/33", "t.conf:3: allow-transfer prefix");
    ERR("  allow-transfer ::1/129", "t.conf:3: allow-transfer prefix");
    ERR("  notify", "t.conf:3: notify needs at least one");
    ERR("  notify 192.0.2.1@0", "t.conf:3: notify");
    ERR("  notify example.org", "t.conf:3: notify: 'example.org' is not an IP");
    ERR("  ixfr-history 100001", "t.conf:3: ixfr-history");
    ERR("  ixfr-history", "t.conf:3: ixfr-history needs exactly one value");
    ERR("  ixfr-history-size lots", "t.conf:3: ixfr-history-size");
#undef ERR
    /* The bound on entries: 40 on a line (a line holds 64 words), the
     * 65th entry is the error, on its line. */
    size_t n = (size_t)snprintf(text, sizeof(text), "%s", head);
    for (int l = 0; l < 2; l++) {
        n += (size_t)snprintf(text + n, sizeof(text) - n, "  allow-transfer");
        for (int i = 0; i < 40; i++)
            n += (size_t)snprintf(text + n, sizeof(text) - n, " 10.0.%d.%d", l,
                                  i);
        n += (size_t)snprintf(text + n, sizeof(text) - n, "\n");
    }
    expect_error(text, "t.conf:4: allow-transfer: more than 64 entries");
}

int main(void)
{
    RUN(test_allow_transfer);
    RUN(test_notify);
    RUN(test_errors);
    return check_done();
}
