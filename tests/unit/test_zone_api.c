/*
 * test_zone_api.c -- zone_parse.c and zone_check.c through the library
 * interface alone (no files): $INCLUDE through a callback and its depth
 * limit, zones built with dns_zone_src_add() (malformed rdata, meta
 * types, class), canonical order cross-checked against dns_name_cmp()
 * from name.c, and allocation failure injected at every allocation of a
 * parse + check (must fail cleanly with TB_ENOMEM, no leak: ASan).
 */
#include <stdlib.h>
#include <tibra/dns.h>

#include "check.h"

static long fail_at = -1, nallocs;

static void *f_alloc(void *c, size_t n)
{
    (void)c;
    if (fail_at >= 0 && nallocs++ == fail_at)
        return NULL;
    return malloc(n ? n : 1);
}
static void *f_realloc(void *c, void *p, size_t o, size_t n)
{
    (void)c;
    (void)o;
    if (fail_at >= 0 && nallocs++ == fail_at)
        return NULL;
    return realloc(p, n ? n : 1);
}
static void f_free(void *c, void *p, size_t n)
{
    (void)c;
    (void)n;
    free(p);
}
static const struct tb_alloc heap = {f_alloc, f_realloc, f_free, NULL};

static const uint8_t org[] = "\7example\3org";

/* The last error reported (warnings are ignored). */
static char last_msg[512];
static unsigned last_line;
static void report(void *ctx, int level, const char *file, unsigned line,
                   const char *msg)
{
    (void)ctx;
    (void)file;
    if (level != DNS_DIAG_ERROR)
        return;
    last_line = line;
    snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

#define HEAD "$TTL 300\n@ SOA ns1 h 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n"

static int load(const char *text, const struct dns_zone_include *inc,
                struct dns_zone_src *z, struct dns_diag *d)
{
    int rc;

    dns_zone_src_init(z, org, &heap);
    rc = dns_zone_parse(z, text, strlen(text), "t.zone", inc, d);
    if (rc == 0)
        rc = dns_zone_check(z, d);
    return rc;
}

static int opens;
static int inc_open(void *ctx, const char *path, const char *from,
                    const char **text, size_t *len, const char **name)
{
    (void)ctx;
    (void)from;
    opens++;
    if (strcmp(path, "self") == 0) {
        *text = "$INCLUDE self\n";
    } else if (strcmp(path, "ok") == 0) {
        *text = "inc A 192.0.2.9\n";
    } else {
        return TB_ENOENT;
    }
    *len = strlen(*text);
    *name = path;
    return 0;
}
static const struct dns_zone_include inc = {inc_open, NULL, NULL};

static void test_include(void)
{
    struct dns_zone_src z;
    struct dns_diag d = {report, NULL, 0, 0};

    CHECK_EQ(load(HEAD "$INCLUDE ok\n", &inc, &z, &d), 0);
    CHECK_EQ(z.nrr, 4);
    CHECK_STR(dns_zrr_file(&z, &z.rr[0]), "t.zone");
    dns_zone_src_free(&z);

    d.errors = 0;
    CHECK_EQ(load(HEAD "$INCLUDE ok\n", NULL, &z, &d), TB_EMALF);
    CHECK(strstr(last_msg, "not allowed") != NULL);
    dns_zone_src_free(&z);

    d.errors = 0;
    opens = 0;
    CHECK_EQ(load(HEAD "$INCLUDE self\n", &inc, &z, &d), TB_EMALF);
    CHECK_EQ(opens, DNS_ZONE_INCLUDE_MAX_DEPTH);
    CHECK(strstr(last_msg, "nested") != NULL);
    dns_zone_src_free(&z);

    d.errors = 0;
    CHECK_EQ(load(HEAD "\n\n$INCLUDE nope\n", &inc, &z, &d), TB_EMALF);
    CHECK_EQ(last_line, 7);
    dns_zone_src_free(&z);
}

static void test_built(void)
{
    struct dns_zone_src z;
    struct dns_diag d = {report, NULL, 0, 0};
    static const uint8_t soa[] = "\3ns1\7example\3org\0\1h\0"
                                 "\0\0\0\1\0\0\0\2\0\0\0\3\0\0\0\4\0\0\0\5";
    static const uint8_t ns[] = "\3ns1\7example\3org";
    static const uint8_t www[] = "\3www\7example\3org";

    dns_zone_src_init(&z, org, &heap);
    REQUIRE(dns_zone_src_add(&z, org, DNS_TYPE_SOA, 1, 60, soa, sizeof(soa) - 1,
                             0, 1) == 0);
    REQUIRE(dns_zone_src_add(&z, org, DNS_TYPE_NS, 1, 60, ns, 17, 0, 2) == 0);
    REQUIRE(dns_zone_src_add(&z, www, DNS_TYPE_A, 1, 60,
                             (const uint8_t *)"\1\2\3", 3, 0, 3) == 0);
    CHECK_EQ(dns_zone_check(&z, &d), TB_ESEMANTIC);
    CHECK(strstr(last_msg, "malformed A") != NULL);
    CHECK_EQ(last_line, 3);
    dns_zone_src_free(&z);

    d.errors = 0;
    dns_zone_src_init(&z, org, &heap);
    dns_zone_src_add(&z, org, DNS_TYPE_SOA, 1, 60, soa, sizeof(soa) - 1, 0, 1);
    dns_zone_src_add(&z, org, DNS_TYPE_NS, 1, 60, ns, 17, 0, 2);
    dns_zone_src_add(&z, www, DNS_TYPE_OPT, 1, 60, NULL, 0, 0, 3);
    CHECK_EQ(dns_zone_check(&z, &d), TB_ESEMANTIC);
    CHECK(strstr(last_msg, "meta type") != NULL);
    dns_zone_src_free(&z);

    d.errors = 0;
    dns_zone_src_init(&z, org, &heap);
    dns_zone_src_add(&z, org, DNS_TYPE_SOA, 1, 60, soa, sizeof(soa) - 1, 0, 1);
    dns_zone_src_add(&z, org, DNS_TYPE_NS, 1, 60, ns, 17, 0, 2);
    dns_zone_src_add(&z, www, DNS_TYPE_A, DNS_CLASS_CH, 60,
                     (const uint8_t *)"\1\2\3\4", 4, 0, 3);
    CHECK_EQ(dns_zone_check(&z, &d), TB_ESEMANTIC);
    CHECK(strstr(last_msg, "class") != NULL);
    dns_zone_src_free(&z);
}

/* Random owners: the checked order must agree with dns_name_cmp(). */
static void test_order(void)
{
    static char text[200000];
    static const char *const bits[] = {"a", "Z", "-", "\\000", "\\255",
                                       "*", "b", "9", "\\.",   "A"};
    struct dns_zone_src z;
    struct dns_diag d = {NULL, NULL, 0, 0};
    size_t o, i, k;

    srand(11);
    o = (size_t)snprintf(text, sizeof(text), "%s", HEAD);
    for (i = 0; i < 2000; i++) {
        size_t labels = 1 + (size_t)rand() % 3;
        for (k = 0; k < labels; k++) {
            size_t len = 1 + (size_t)rand() % 3, m;
            for (m = 0; m < len; m++)
                o += (size_t)snprintf(text + o, sizeof(text) - o, "%s",
                                      bits[(size_t)rand() % 10]);
            text[o++] = '.';
        }
        o += (size_t)snprintf(text + o, sizeof(text) - o,
                              "example.org. TXT \"%zu\"\n", i % 7);
    }
    text[o] = '\0';
    REQUIRE(load(text, NULL, &z, &d) == 0);
    CHECK(z.nrr > 1000);
    for (i = 1; i < z.nrr; i++) {
        const struct dns_zrr *a = &z.rr[i - 1], *b = &z.rr[i];
        int c = dns_name_cmp(dns_zrr_owner(&z, a), dns_zrr_owner(&z, b));
        CHECK(c <= 0);
        if (c == 0)
            CHECK(a->type < b->type ||
                  (a->type == b->type &&
                   dns_rdata_cmp(a->type, dns_zrr_rdata(&z, a), a->rdlen,
                                 dns_zrr_rdata(&z, b), b->rdlen) < 0));
    }
    dns_zone_src_free(&z);
}

/* Every allocation of a small parse + check fails once in turn. */
static void test_enomem(void)
{
    static const char text[] = HEAD "www A 192.0.2.1\n"
                                    "www TXT \"x\"\n"
                                    "$INCLUDE ok\n"
                                    "b MX 10 www\n";
    struct dns_zone_src z;
    struct dns_diag d = {NULL, NULL, 0, 0};
    long total, i;
    int rc;

    nallocs = 0;
    fail_at = 1000000; /* count only */
    REQUIRE(load(text, &inc, &z, &d) == 0);
    dns_zone_src_free(&z);
    total = nallocs;
    CHECK(total > 3);
    for (i = 0; i < total; i++) {
        nallocs = 0;
        fail_at = i;
        d.errors = 0;
        rc = load(text, &inc, &z, &d);
        CHECK_EQ(rc, TB_ENOMEM);
        dns_zone_src_free(&z);
    }
    fail_at = -1;
}

/* max_records: the record past it is refused with its line, and parsing
 * stops there (records in an $INCLUDE count too). */
static void test_max_records(void)
{
    struct dns_zone_src z;
    struct dns_diag d = {report, NULL, 0, 0};

    dns_zone_src_init(&z, org, &heap);
    z.max_records = 4;
    CHECK_EQ(dns_zone_parse(&z, HEAD "$INCLUDE ok\n", strlen(HEAD) + 12,
                            "t.zone", &inc, &d),
             0);
    CHECK_EQ(z.nrr, 4);
    dns_zone_src_free(&z);

    dns_zone_src_init(&z, org, &heap);
    z.max_records = 4;
    const char *t = HEAD "$INCLUDE ok\nx A 192.0.2.2\nbad A 1.2.3.999\n";
    CHECK_EQ(dns_zone_parse(&z, t, strlen(t), "t.zone", &inc, &d), TB_ERANGE);
    CHECK_EQ(d.errors, 1); /* stopped: the bad record is never read */
    CHECK_EQ(last_line, 6);
    CHECK_STR(last_msg, "zone exceeds zone-max-records (4)");
    CHECK_EQ(z.nrr, 4);
    dns_zone_src_free(&z);
}

int main(void)
{
    RUN(test_include);
    RUN(test_built);
    RUN(test_order);
    RUN(test_enomem);
    RUN(test_max_records);
    return check_done();
}
