/*
 * test_zonedb.c -- the zone compiler's refusals and the blob validator,
 * one field at a time: every offset, count and index that dns_zone_open()
 * must check is corrupted in turn and must be refused (or, for content
 * the answer path tolerates, accepted and answered without harm).  Also
 * the allocation discipline: building a zone set allocates once, answering
 * allocates never, freeing returns everything.
 */
#include "check.h"
#include "test_auth_util.h"

/* Little-endian field access, as zonedb.h lays the blob out. */
static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}
static void st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static const char *const zone[] = {"@ 3600 SOA ns1 h 7 7200 3600 1209600 300",
                                   "@ 3600 NS ns1",
                                   "ns1 3600 A 192.0.2.53",
                                   "*.w 3600 A 192.0.2.9",
                                   "sub 3600 NS ns.sub",
                                   "ns.sub 3600 A 192.0.2.10",
                                   "dn 3600 DNAME example.net.",
                                   NULL};

static int compile_lines(const char *origin, const char *const *lines)
{
    struct dns_zone_src z;
    struct tb_buf out;
    int err;

    ta_src(&z, origin, lines, &ta);
    tb_buf_init(&out, &ta);
    err = dns_zone_compile(&z, &out, NULL);
    tb_buf_free(&out);
    dns_zone_src_free(&z);
    return err;
}

static void test_compile_refuses(void)
{
    static const char *const nosoa[] = {"@ 60 NS ns1", NULL};
    static const char *const outside[] = {
        "@ 60 SOA ns1 h 1 1 1 1 1", "www.example.org. 60 A 192.0.2.1", NULL};
    static const char *const soa_low[] = {"www 60 A 192.0.2.1",
                                          "www 60 SOA ns1 h 1 1 1 1 1", NULL};

    CHECK_EQ(compile_lines("example.com.", nosoa), TB_ESEMANTIC);
    CHECK_EQ(compile_lines("example.com.", outside), TB_ESEMANTIC);
    CHECK_EQ(compile_lines("example.com.", soa_low), TB_ESEMANTIC);
    /* An MX whose exchange is not a name. */
    {
        struct dns_zone_src z;
        struct tb_buf out;
        uint8_t o[256], x[256];
        ta_name("example.com.", NULL, o);
        ta_name("x.example.com.", NULL, x);
        dns_zone_src_init(&z, o, &ta);
        ta_rr(&z, "@ 60 SOA ns1 h 1 1 1 1 1");
        REQUIRE(dns_zone_src_add(&z, x, DNS_TYPE_MX, DNS_CLASS_IN, 60,
                                 (const uint8_t *)"\0\1\5ab", 5, 0, 0) == 0);
        tb_buf_init(&out, &ta);
        CHECK_EQ(dns_zone_compile(&z, &out, NULL), TB_EMALF);
        CHECK_EQ(out.len, 0);
        tb_buf_free(&out);
        dns_zone_src_free(&z);
    }
    CHECK_EQ(compile_lines("example.com.", zone), 0);
}

/* Records in any order give the same blob as records that
 * dns_zone_check() sorted (the compiler sorts only when it must). */
static void order_same(const char *const *lines)
{
    struct dns_zone_src z;
    struct tb_buf a, b;
    struct dns_diag d = {0};
    uint8_t o[256];

    ta_name("example.com.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    for (size_t i = 0; lines[i] != NULL; i++)
        ta_rr(&z, lines[i]);
    tb_buf_init(&a, &ta);
    tb_buf_init(&b, &ta);
    CHECK_EQ(dns_zone_compile(&z, &a, NULL), 0);
    CHECK_EQ(dns_zone_check(&z, &d), 0);
    CHECK_EQ(dns_zone_compile(&z, &b, NULL), 0);
    CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
    tb_buf_free(&a);
    tb_buf_free(&b);
    dns_zone_src_free(&z);
}

/* Unsorted records, duplicates (one in another case), empty
 * non-terminals, a wildcard and a cut compile as their sorted form. */
static void test_order(void)
{
    static const char *const messy[] = {
        "www 3600 A 192.0.2.1",
        "x.y.z 3600 TXT \"deep\"",
        "@ 3600 SOA ns1 h 7 7200 3600 1209600 300",
        "WWW 3600 A 192.0.2.1",
        "*.y.z 3600 A 192.0.2.9",
        "www 3600 A 192.0.2.1",
        "@ 3600 NS ns1",
        "d.y 3600 NS ns.d.y",
        "ns.d.y 3600 A 192.0.2.7",
        "ns1 3600 A 192.0.2.53",
        "B.c 3600 A 192.0.2.2",
        "a.c 3600 CNAME www",
        "www 3600 AAAA 2001:db8::1",
        NULL};

    order_same(zone);
    order_same(messy);
}

/* A blob and its header offsets. */
static uint8_t *blob;
static size_t blen;

static int open_with(size_t at, uint32_t v)
{
    uint8_t *b = malloc(blen);
    int err;
    memcpy(b, blob, blen);
    st32(b + at, v);
    err = dns_zone_open(b, blen, NULL, NULL);
    free(b);
    return err;
}

static void test_open_fields(void)
{
    uint32_t nnodes = ld32(blob + 24), nodes = ld32(blob + 28);
    uint32_t hmask = ld32(blob + 32), hash = ld32(blob + 36);
    uint32_t nents = ld32(blob + 40), ents = ld32(blob + 44);
    uint32_t data = ld32(blob + 48), dlen = ld32(blob + 52);

    REQUIRE(dns_zone_open(blob, blen, NULL, NULL) == 0);
    CHECK_EQ(open_with(0, 0x12345678), TB_EMALF); /* magic */
    CHECK_EQ(open_with(8, (uint32_t)blen + 1), TB_EMALF); /* total */
    CHECK_EQ(open_with(24, nnodes + 1), TB_EMALF); /* nnodes */
    CHECK_EQ(open_with(24, 0), TB_EMALF);
    CHECK_EQ(open_with(28, (uint32_t)blen), TB_EMALF); /* nodes */
    CHECK_EQ(open_with(32, hmask * 2), TB_EMALF); /* not 2^n-1 */
    CHECK_EQ(open_with(32, hmask * 2 + 1), TB_EMALF); /* too big */
    CHECK_EQ(open_with(36, (uint32_t)blen - 8), TB_EMALF); /* hash */
    CHECK_EQ(open_with(40, nents + 1000), TB_EMALF); /* nents */
    CHECK_EQ(open_with(44, 0xfffffff0u), TB_EMALF); /* ents */
    CHECK_EQ(open_with(48, data + 1), TB_EMALF); /* data */
    CHECK_EQ(open_with(52, dlen + 1), TB_EMALF); /* datalen */
    CHECK_EQ(open_with(56, nents), TB_EMALF); /* nxdomain */
    CHECK_EQ(open_with(60, nents), TB_EMALF); /* nodata */
    CHECK_EQ(open_with(16, dlen), TB_EMALF); /* origin */
    /* Every node: name offset, entry range, redirect and wildcard. */
    for (uint32_t i = 0; i < nnodes; i++) {
        size_t nd = nodes + 24 * (size_t)i;
        CHECK_EQ(open_with(nd + 0, dlen), TB_EMALF);
        CHECK_EQ(open_with(nd + 8, nents + 1), TB_EMALF);
        CHECK_EQ(open_with(nd + 16, nnodes), TB_EMALF);
        CHECK_EQ(open_with(nd + 20, nnodes), TB_EMALF);
    }
    /* Every entry: sections, fixups, cuts, DO variant. */
    for (uint32_t i = 0; i < nents; i++) {
        size_t e = ents + 48 * (size_t)i;
        CHECK_EQ(open_with(e + 12, dlen), TB_EMALF);
        CHECK_EQ(open_with(e + 16, 0x10000), TB_EMALF);
        CHECK_EQ(open_with(e + 20, ld32(blob + e + 16) + 1), TB_EMALF);
        CHECK_EQ(open_with(e + 24, dlen + 1), TB_EMALF);
        CHECK_EQ(open_with(e + 40, nents), TB_EMALF);
    }
    /* A full hash table (no empty slot) would make probing endless. */
    {
        uint8_t *b = malloc(blen);
        memcpy(b, blob, blen);
        for (uint32_t s = 0; s <= hmask; s++)
            if (ld32(b + hash + 8 * s) == 0)
                st32(b + hash + 8 * s, 1);
        CHECK_EQ(dns_zone_open(b, blen, NULL, NULL), TB_EMALF);
        free(b);
    }
}

/*
 * Issue 7: a wildcard CNAME loop gives its default entry a wildcard
 * alternative (zonedb.h ZE_ALT at entry byte 44: data offset of u32
 * entry, u8 name length, 3 zero, name).  The validator checks the offset,
 * the entry index and the name's bytes; every other entry has 0 there.
 */
static void bug7_wild_alt_fields(void)
{
    static const char *const loops[] = {
        "@ 300 SOA ns1 h 1 7200 3600 1209600 60",
        "@ 300 NS ns1",
        "ns1 300 A 192.0.2.1",
        "*.wloop 300 CNAME x.wloop",
        "*.wself 300 CNAME *.wself",
        NULL};
    size_t len;
    uint8_t *b = ta_zone("loop.test.", loops, &len), *c;
    uint32_t nents = ld32(b + 40), ents = ld32(b + 44), data = ld32(b + 48);
    uint32_t dlen = ld32(b + 52);
    unsigned found = 0;

    REQUIRE(dns_zone_open(b, len, NULL, NULL) == 0);
    c = malloc(len);
    for (uint32_t i = 0; i < nents; i++) {
        size_t e = ents + 48 * (size_t)i;
        uint32_t alt = ld32(b + e + 44);
        if (alt == 0)
            continue;
        found++;
        REQUIRE(alt + 8 <= dlen);
        CHECK(ld32(b + data + alt) < nents);
        /* x.wloop: the name; *.wself: empty (every synthesized name). */
        CHECK(b[data + alt + 4] == 0 ||
              (b[data + alt + 4] == 19 &&
               memcmp(b + data + alt + 8, "\1x\5wloop\4loop\4test", 19) == 0));
        memcpy(c, b, len);
        st32(c + e + 44, dlen - 4);
        CHECK_EQ(dns_zone_open(c, len, NULL, NULL), TB_EMALF);
        memcpy(c, b, len);
        st32(c + data + alt, nents);
        CHECK_EQ(dns_zone_open(c, len, NULL, NULL), TB_EMALF);
        memcpy(c, b, len);
        st32(c + e + 44, dlen - 16);
        st32(c + data + dlen - 16, 0);
        c[data + dlen - 12] = 0;
        CHECK_EQ(dns_zone_open(c, len, NULL, NULL), 0);
        c[data + dlen - 12] = 200; /* a name running past the data */
        CHECK_EQ(dns_zone_open(c, len, NULL, NULL), TB_EMALF);
    }
    CHECK_EQ(found, 2);
    free(c);
    free(b);
}

/* Counting allocator: the answer path never calls it. */
static size_t n_alloc, n_free, live;
static void *c_alloc(void *ctx, size_t n)
{
    (void)ctx;
    n_alloc++;
    live += n;
    return malloc(n);
}
static void *c_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    n_alloc += p == NULL;
    live += n - o;
    return realloc(p, n);
}
static void c_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (p != NULL) {
        n_free++;
        live -= n;
    }
    free(p);
}

static void test_alloc_discipline(void)
{
    const struct tb_alloc ca = {c_alloc, c_realloc, c_free, NULL};
    struct dns_zoneset *zs;
    struct dns_auth_stats st = {0};
    const void *b[1] = {blob};
    static uint8_t resp[65535];
    size_t before;

    REQUIRE(dns_zoneset_build(&zs, b, &blen, 1, NULL, &ca) == 0);
    CHECK_EQ(n_alloc, 1); /* one block, the blob is not copied */
    before = n_alloc;
    for (int i = 0; i < 100; i++) {
        uint8_t q[512];
        size_t ql =
            ta_query(q, i & 1 ? "x.w.example.com." : "nx.example.com.",
                     DNS_TYPE_A, DNS_CLASS_IN, i & 2 ? 1232 : -1, i & 4);
        CHECK(dns_auth_answer(zs, q, ql, resp, sizeof(resp), 0, &st) > 12);
    }
    CHECK_EQ(n_alloc, before);
    dns_zoneset_free(zs, &ca);
    CHECK_EQ(n_free, n_alloc);
    CHECK_EQ(live, 0);
    /* The compiler returns all it takes, on success and on failure. */
    n_alloc = n_free = live = 0;
    {
        struct dns_zone_src z;
        struct tb_buf out;
        ta_src(&z, "example.com.", zone, &ca);
        tb_buf_init(&out, &ca);
        CHECK_EQ(dns_zone_compile(&z, &out, NULL), 0);
        CHECK_EQ(out.len, blen);
        tb_buf_free(&out);
        dns_zone_src_free(&z);
    }
    CHECK_EQ(live, 0);
    CHECK_EQ(n_free, n_alloc);
}

/* dns_zone_compile appends: into an empty buffer of the zone's allocator
 * it may hand over a buffer of its own, otherwise it copies after what is
 * there.  Both give the same bytes. */
static void test_append(void)
{
    const struct tb_alloc ca = {c_alloc, c_realloc, c_free, NULL};
    struct dns_zone_src z;
    struct tb_buf out;
    uint8_t o[256];

    ta_name("example.com.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    for (size_t i = 0; zone[i] != NULL; i++)
        ta_rr(&z, zone[i]);
    /* After three bytes, same allocator. */
    tb_buf_init(&out, &ta);
    tb_buf_append(&out, "abc", 3);
    CHECK_EQ(dns_zone_compile(&z, &out, NULL), 0);
    REQUIRE(out.len == 3 + blen);
    CHECK(memcmp(out.data, "abc", 3) == 0);
    CHECK(memcmp(out.data + 3, blob, blen) == 0);
    tb_buf_free(&out);
    /* Empty, another allocator. */
    n_alloc = n_free = live = 0;
    tb_buf_init(&out, &ca);
    CHECK_EQ(dns_zone_compile(&z, &out, NULL), 0);
    REQUIRE(out.len == blen);
    CHECK(memcmp(out.data, blob, blen) == 0);
    tb_buf_free(&out);
    CHECK_EQ(live, 0);
    /* Empty, the zone's allocator, with a buffer already allocated. */
    tb_buf_init(&out, &ta);
    REQUIRE(tb_buf_reserve(&out, 100) == 0);
    CHECK_EQ(dns_zone_compile(&z, &out, NULL), 0);
    REQUIRE(out.len == blen);
    CHECK(memcmp(out.data, blob, blen) == 0);
    tb_buf_free(&out);
    dns_zone_src_free(&z);
}

/* Fault injection: allocation N fails, for every N the compiler makes. */
static size_t fail_at, calls;
static void *f_alloc(void *ctx, size_t n)
{
    return ++calls == fail_at ? NULL : c_alloc(ctx, n);
}
static void *f_realloc(void *ctx, void *p, size_t o, size_t n)
{
    return ++calls == fail_at ? NULL : c_realloc(ctx, p, o, n);
}

static void test_alloc_failures(void)
{
    const struct tb_alloc fa = {f_alloc, f_realloc, c_free, NULL};
    struct dns_zone_src z;
    uint8_t o[256];
    unsigned failed = 0;

    ta_name("example.com.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    for (size_t i = 0; zone[i] != NULL; i++)
        ta_rr(&z, zone[i]);
    z.a = &fa;
    for (fail_at = 1; fail_at < 200; fail_at++) {
        struct tb_buf out;
        int err;
        calls = 0;
        n_alloc = n_free = live = 0;
        tb_buf_init(&out, &fa);
        err = dns_zone_compile(&z, &out, NULL);
        CHECK(err == 0 || err == TB_ENOMEM);
        failed += err == TB_ENOMEM;
        if (err == TB_ENOMEM)
            CHECK_EQ(out.len, 0);
        tb_buf_free(&out);
        CHECK_EQ(live, 0);
        if (calls < fail_at)
            break; /* no allocation left to fail */
    }
    CHECK(failed > 5);
    z.a = &ta;
    dns_zone_src_free(&z);
}

int main(void)
{
    blob = ta_zone("example.com.", zone, &blen);
    RUN(test_compile_refuses);
    RUN(test_order);
    RUN(test_open_fields);
    RUN(bug7_wild_alt_fields);
    RUN(test_alloc_discipline);
    RUN(test_alloc_failures);
    RUN(test_append);
    free(blob);
    return check_done();
}
