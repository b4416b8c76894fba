/*
 * test_catalog.c -- catalog zones (lib/dns/catalog.c, RFC 9432 v2): a
 * catalog read from zone text (members, IDs, group and coo, ignored
 * properties), every rule that refuses a catalog whole (and says so with
 * FILE:LINE), the generator's stable IDs and a round trip through the
 * parser, and the member deltas a consumer applies (added, removed, an ID
 * change as a reset).
 */
#include "check.h"
#include "test_auth_util.h"
#include <tibra/dns/catalog.h>

static char msgs[2048];

static void report(void *ctx, int level, const char *file, unsigned line,
                   const char *msg)
{
    size_t n = strlen(msgs);

    (void)ctx;
    snprintf(msgs + n, sizeof(msgs) - n, "%s%s:%u: %s\n",
             level == DNS_DIAG_WARNING ? "W " : "", file ? file : "-", line,
             msg);
}

#define HEAD                                                                   \
    "$TTL 0\n"                                                                 \
    "@ SOA invalid. invalid. 1 3600 600 2147483646 0\n"                        \
    "@ NS invalid.\n"

/* Parses (text) as zone cat.example into (c); returns dns_catalog_parse's
 * result (or -1 if the zone itself is bad). */
static int parse(const char *text, struct dns_catalog *c)
{
    struct dns_diag d = {.report = report};
    struct dns_zone_src z;
    uint8_t o[256];
    int rc;

    msgs[0] = 0;
    ta_name("cat.example.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    dns_catalog_init(c, &ta);
    if (dns_zone_parse(&z, text, strlen(text), "cat.zone", NULL, &d) != 0 ||
        dns_zone_check(&z, &d) != 0) {
        dns_zone_src_free(&z);
        return -1;
    }
    rc = dns_catalog_parse(&z, c, &d);
    dns_zone_src_free(&z);
    return rc;
}

static bool member(const struct dns_catalog *c, size_t i, const char *zone,
                   const char *id)
{
    uint8_t n[256];
    size_t len;
    const uint8_t *p;

    if (i >= c->n)
        return false;
    ta_name(zone, NULL, n);
    p = dns_catalog_id(c, i, &len);
    return dns_name_equal(dns_catalog_zone(c, i), n) && len == strlen(id) &&
           memcmp(p, id, len) == 0;
}

static void test_parse(void)
{
    struct dns_catalog c;
    const uint8_t *g;

    REQUIRE(parse(HEAD "version TXT \"2\"\n"
                       "b1.zones PTR Example.ORG.\n"
                       "group.b1.zones TXT \"silver\"\n"
                       "a2.zones PTR example.net.\n"
                       "coo.a2.zones PTR new-cat.example.\n"
                       "other.a2.zones TXT \"ignored property\"\n"
                       "c3.zones TXT \"a TXT at a member node: ignored\"\n"
                       "c3.zones PTR example.com.\n"
                       "x.zones TXT \"no PTR: not a member\"\n"
                       "group.x.zones TXT \"property of no member\"\n"
                       "deep.er.q.zones PTR ignored.example.\n"
                       "ext TXT \"custom\"\n",
                  &c) == 0);
    CHECK_EQ(c.n, 3);
    /* sorted by member name: example.com, example.net, example.org */
    CHECK(member(&c, 0, "example.com.", "c3"));
    CHECK(member(&c, 1, "example.net.", "a2"));
    CHECK(member(&c, 2, "example.org.", "b1"));
    CHECK(c.m[0].group == UINT32_MAX && c.m[0].coo == UINT32_MAX);
    REQUIRE(c.m[2].group != UINT32_MAX);
    g = c.data.data + c.m[2].group;
    CHECK(g[0] == 6 && memcmp(g + 1, "silver", 6) == 0);
    REQUIRE(c.m[1].coo != UINT32_MAX);
    {
        uint8_t n[256];
        ta_name("new-cat.example.", NULL, n);
        CHECK(dns_name_equal(c.data.data + c.m[1].coo, n));
    }
    CHECK_EQ(msgs[0], 0);
    dns_catalog_free(&c);

    /* an empty catalog is valid */
    CHECK_EQ(parse(HEAD "version TXT \"2\"\n", &c), 0);
    CHECK_EQ(c.n, 0);
    dns_catalog_free(&c);
}

/* Each of these is refused whole, with the message and line given. */
static void test_invalid(void)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {HEAD "a.zones PTR example.org.\n", "no version TXT record"},
        {HEAD "version TXT \"1\"\na.zones PTR example.org.\n",
         "cat.zone:4: catalog zone: version.cat.example.: schema version is "
         "not \"2\""},
        {HEAD "version TXT \"2\" \"x\"\n", "schema version is not"},
        {HEAD "version TXT \"2\"\nversion TXT \"02\"\n",
         "more than one version TXT record"},
        {HEAD "version TXT \"2\"\na.zones PTR example.org.\n"
              "a.zones PTR example.net.\n",
         "more than one PTR record at a member node"},
        {HEAD "version TXT \"2\"\na.zones PTR example.org.\n"
              "b.zones PTR EXAMPLE.org.\n",
         "member example.org. listed twice"},
        {HEAD "version TXT \"2\"\na.zones PTR cat.example.\n",
         "lists itself as a member"},
        {HEAD "version TXT \"2\"\na.zones PTR example.org.\n"
              "group.a.zones TXT \"x\"\ngroup.a.zones TXT \"y\"\n",
         "more than one group TXT record"},
        {HEAD "version TXT \"2\"\na.zones PTR example.org.\n"
              "group.a.zones TXT \"x\" \"y\"\n",
         "a group TXT record holds one string"},
        {HEAD "version TXT \"2\"\na.zones PTR example.org.\n"
              "coo.a.zones PTR c1.\ncoo.a.zones PTR c2.\n",
         "more than one coo PTR record"},
    };
    struct dns_catalog c;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse(bad[i].text, &c);
        CHECK_EQ(rc, TB_ESEMANTIC);
        CHECK_EQ(c.n, 0);
        if (strstr(msgs, bad[i].msg) == NULL)
            fprintf(stderr, "case %zu: want \"%s\", got:\n%s", i, bad[i].msg,
                    msgs);
        CHECK(strstr(msgs, bad[i].msg) != NULL);
        dns_catalog_free(&c);
    }
}

static void test_generate(void)
{
    static const char *const names[] = {"example.org.", "Example.NET.",
                                        "a.example.com.", NULL};
    struct dns_catalog c, back;
    struct dns_diag d = {.report = report};
    struct dns_zone_src z;
    uint8_t o[256], n[256], id1[DNS_CATALOG_ID_LEN], id2[DNS_CATALOG_ID_LEN];
    size_t len;
    const uint8_t *p;

    /* stable, case-blind, different per name, 16 hex digits */
    ta_name("example.org.", NULL, n);
    dns_catalog_make_id(n, id1);
    ta_name("EXAMPLE.org.", NULL, n);
    dns_catalog_make_id(n, id2);
    CHECK_MEM(id1, id2, sizeof(id1));
    ta_name("example.net.", NULL, n);
    dns_catalog_make_id(n, id2);
    CHECK(memcmp(id1, id2, sizeof(id1)) != 0);
    for (size_t i = 0; i < sizeof(id1); i++)
        CHECK(strchr("0123456789abcdef", id1[i]) != NULL);

    dns_catalog_init(&c, &ta);
    for (size_t i = 0; names[i] != NULL; i++) {
        ta_name(names[i], NULL, n);
        CHECK_EQ(dns_catalog_add(&c, n, NULL, 0, i == 1 ? "gold" : NULL, 4), 0);
    }
    CHECK_EQ(dns_catalog_sort(&c), 0);
    ta_name("cat.example.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    REQUIRE(dns_catalog_generate(&c, 42, &z) == 0);
    msgs[0] = 0;
    REQUIRE(dns_zone_check(&z, &d) == 0);
    CHECK_EQ(z.nrr, 3 + 3 + 1); /* SOA NS version, 3 PTR, 1 group */
    dns_catalog_init(&back, &ta);
    REQUIRE(dns_catalog_parse(&z, &back, &d) == 0);
    REQUIRE(back.n == 3);
    for (size_t i = 0; i < 3; i++) {
        size_t l2;
        const uint8_t *a = dns_catalog_id(&c, i, &len);
        const uint8_t *b = dns_catalog_id(&back, i, &l2);
        CHECK(dns_name_equal(dns_catalog_zone(&c, i),
                             dns_catalog_zone(&back, i)));
        CHECK(len == l2 && memcmp(a, b, len) == 0);
    }
    /* example.net. (sorted second, lower-cased) has the group */
    ta_name("example.net.", NULL, n);
    CHECK(dns_name_equal(dns_catalog_zone(&back, 1), n));
    p = dns_catalog_id(&back, 1, &len);
    dns_catalog_make_id(n, id1);
    CHECK(len == 16 && memcmp(p, id1, 16) == 0);
    REQUIRE(back.m[1].group != UINT32_MAX);
    CHECK(memcmp(back.data.data + back.m[1].group, "\x04gold", 5) == 0);
    {
        char line[256];
        /* the SOA, as Knot's generated catalogs */
        size_t k = 0;
        while (k < z.nrr && z.rr[k].type != DNS_TYPE_SOA)
            k++;
        REQUIRE(k < z.nrr);
        REQUIRE(dns_zone_rr_to_text(&z, &z.rr[k], line, sizeof(line)) > 0);
        CHECK(strcmp(line, "cat.example. 0 IN SOA invalid. invalid. 42 3600 "
                           "600 2147483646 0") == 0);
    }
    /* a member twice, or an ID twice, cannot make a catalog */
    ta_name("EXAMPLE.org.", NULL, n);
    CHECK_EQ(dns_catalog_add(&c, n, NULL, 0, NULL, 0), 0);
    CHECK_EQ(dns_catalog_sort(&c), TB_EEXIST);
    dns_catalog_free(&c);
    ta_name("a.example.", NULL, n);
    CHECK_EQ(dns_catalog_add(&c, n, (const uint8_t *)"x", 1, NULL, 0), 0);
    ta_name("b.example.", NULL, n);
    CHECK_EQ(dns_catalog_add(&c, n, (const uint8_t *)"X", 1, NULL, 0), 0);
    CHECK_EQ(dns_catalog_sort(&c), TB_EEXIST);
    CHECK_EQ(dns_catalog_add(&c, n, (const uint8_t *)"x", 0, NULL, 0),
             TB_EINVAL);
    dns_catalog_free(&c);
    dns_catalog_free(&back);
    dns_zone_src_free(&z);
}

static void test_diff(void)
{
    struct dns_catalog a, b;
    size_t add[8], del[8], nadd, ndel;

    REQUIRE(parse(HEAD "version TXT \"2\"\n"
                       "1.zones PTR keep.example.\n"
                       "2.zones PTR gone.example.\n"
                       "3.zones PTR reset.example.\n",
                  &a) == 0);
    REQUIRE(parse(HEAD "version TXT \"2\"\n"
                       "1.zones PTR keep.example.\n"
                       "4.zones PTR new.example.\n"
                       "5.zones PTR reset.example.\n"
                       "6.zones PTR a-new.example.\n",
                  &b) == 0);
    dns_catalog_diff(&a, &b, add, &nadd, del, &ndel);
    /* a: gone keep reset; b: a-new keep new reset */
    CHECK_EQ(ndel, 2);
    CHECK(member(&a, del[0], "gone.example.", "2"));
    CHECK(member(&a, del[1], "reset.example.", "3"));
    CHECK_EQ(nadd, 3);
    CHECK(member(&b, add[0], "a-new.example.", "6"));
    CHECK(member(&b, add[1], "new.example.", "4"));
    CHECK(member(&b, add[2], "reset.example.", "5"));
    /* from nothing: everything added; to nothing: everything removed */
    dns_catalog_diff(&b, &b, add, &nadd, del, &ndel);
    CHECK(nadd == 0 && ndel == 0);
    dns_catalog_free(&a);
    dns_catalog_diff(&a, &b, add, &nadd, del, &ndel);
    CHECK(nadd == 4 && ndel == 0);
    dns_catalog_diff(&b, &a, add, &nadd, del, &ndel);
    CHECK(nadd == 0 && ndel == 4);
    dns_catalog_free(&b);
}

int main(void)
{
    RUN(test_parse);
    RUN(test_invalid);
    RUN(test_generate);
    RUN(test_diff);
    return check_done();
}
