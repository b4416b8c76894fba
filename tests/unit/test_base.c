/*
 * test_base.c -- lib/base: error strings, cursors (sticky errors, exact
 * buffer edges), the arena (alignment, exhaustion), the growable buffer
 * (allocation failure injection) and the hash.
 */
#include <stdlib.h>
#include <tibra/base.h>

#include "check.h"

static void test_strerror(void)
{
    CHECK_STR(tb_strerror(TB_OK), "success");
    CHECK_STR(tb_strerror(TB_EMALF), "malformed input");
    CHECK_STR(tb_strerror(-424242), "unknown error");
    CHECK_STR(tb_strerror(TB_ECONNREFUSED), "connection refused");
    /* Every code in the enum has its own text. */
    static const int all[] = {
        TB_EPERM,     TB_ENOENT,     TB_EIO,          TB_EBADF,
        TB_EAGAIN,    TB_ENOMEM,     TB_EACCES,       TB_EEXIST,
        TB_EINVAL,    TB_ENOSPC,     TB_EPIPE,        TB_ERANGE,
        TB_ENOSYS,    TB_EADDRINUSE, TB_ENETUNREACH,  TB_ECONNRESET,
        TB_ENOTCONN,  TB_ETIMEDOUT,  TB_ECONNREFUSED, TB_EMALF,
        TB_ETRUNC,    TB_ESPACE,     TB_ELOOP,        TB_ENOTSUP,
        TB_ESEMANTIC, TB_ENOTREG};
    for (size_t i = 0; i < TB_ARRAY_SIZE(all); i++)
        CHECK(strcmp(tb_strerror(all[i]), "unknown error") != 0);
}

static void test_rcur_edges(void)
{
    const uint8_t b[7] = {0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x7f};
    struct tb_rcur c;

    tb_rcur_init(&c, b, sizeof(b));
    CHECK_EQ(tb_rcur_u16(&c), 0x1234);
    CHECK_EQ(tb_rcur_u32(&c), 0xdeadbeefu);
    CHECK_EQ(tb_rcur_left(&c), 1);
    CHECK_EQ(tb_rcur_u8(&c), 0x7f); /* ends exactly on the edge */
    CHECK_EQ(c.err, 0);
    CHECK_EQ(tb_rcur_u8(&c), 0);
    CHECK_EQ(c.err, TB_ETRUNC);
    /* Sticky: later reads do nothing, even ones that would fit. */
    CHECK_EQ(tb_rcur_off(&c), 7);

    tb_rcur_init(&c, b, 3);
    CHECK_EQ(tb_rcur_u32(&c), 0);
    CHECK_EQ(c.err, TB_ETRUNC);
    CHECK_EQ(tb_rcur_off(&c), 0);
    CHECK_EQ(tb_rcur_u8(&c), 0); /* would fit, but the error is sticky */
    CHECK_EQ(tb_rcur_off(&c), 0);

    uint8_t out[4];
    memset(out, 0xAA, sizeof(out));
    tb_rcur_init(&c, b, 2);
    tb_rcur_bytes(&c, out, 3);
    CHECK_EQ(c.err, TB_ETRUNC);
    CHECK_EQ(out[0], 0); /* zeroed on error, not half-filled */
    CHECK_EQ(out[3], 0xAA);
}

static void test_wcur_sentinel(void)
{
    uint8_t buf[8];
    struct tb_wcur w;

    memset(buf, 0x55, sizeof(buf));
    tb_wcur_init(&w, buf, 6);
    tb_wcur_u32(&w, 0x01020304);
    tb_wcur_u16(&w, 0x0506);
    CHECK_EQ(w.err, 0);
    CHECK_EQ(tb_wcur_len(&w), 6);
    tb_wcur_u8(&w, 0xff);
    CHECK_EQ(w.err, TB_ESPACE);
    CHECK_EQ(buf[6], 0x55); /* nothing written past the limit */
    CHECK_EQ(buf[7], 0x55);
    CHECK_EQ(buf[0], 1);
    CHECK_EQ(buf[5], 6);
}

static void test_arena(void)
{
    _Alignas(16) uint8_t mem[64];
    struct tb_arena ar;

    tb_arena_init(&ar, mem, sizeof(mem));
    uint8_t *a = tb_arena_alloc(&ar, 3);
    uint8_t *b = tb_arena_alloc(&ar, 8);
    REQUIRE(a != NULL && b != NULL);
    CHECK_EQ((uintptr_t)b % 8, 0);
    CHECK(b >= a + 3);
    CHECK(tb_arena_alloc(&ar, 64) == NULL); /* exhausted, no fallback */
    CHECK(tb_arena_alloc(&ar, SIZE_MAX) == NULL); /* no overflow */
    void *c = tb_arena_alloc_align(&ar, 16, 16);
    REQUIRE(c != NULL);
    CHECK_EQ((uintptr_t)c % 16, 0);
    size_t used = tb_arena_used(&ar);
    CHECK(used <= sizeof(mem));
    tb_arena_reset(&ar);
    CHECK_EQ(tb_arena_used(&ar), 0);
    CHECK(tb_arena_alloc(&ar, 64) == (void *)mem);
    CHECK(tb_arena_alloc(&ar, 1) == NULL);
}

/* An allocator that fails the Nth allocation (SQLite faultsim). */
static int fail_at, alloc_count;
static void *t_alloc(void *ctx, size_t n)
{
    (void)ctx;
    if (++alloc_count == fail_at)
        return NULL;
    return malloc(n);
}
static void *t_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    (void)o;
    if (++alloc_count == fail_at)
        return NULL;
    return realloc(p, n);
}
static void t_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    (void)n;
    free(p);
}
static const struct tb_alloc faulty = {t_alloc, t_realloc, t_free, NULL};

static void test_buf_faults(void)
{
    /* 1000 bytes take 5 growths (64 .. 1024): fail each one. */
    for (fail_at = 1; fail_at <= 5; fail_at++) {
        struct tb_buf b;
        int rc = 0;
        alloc_count = 0;
        tb_buf_init(&b, &faulty);
        for (int i = 0; i < 100 && rc == 0; i++)
            rc = tb_buf_append(&b, "0123456789", 10);
        CHECK_EQ(rc, TB_ENOMEM);
        CHECK_EQ(b.err, TB_ENOMEM);
        /* sticky: nothing more is appended */
        size_t len = b.len;
        CHECK_EQ(tb_buf_append(&b, "x", 1), TB_ENOMEM);
        CHECK_EQ(b.len, len);
        tb_buf_free(&b);
    }
    struct tb_buf b;
    fail_at = 0;
    tb_buf_init(&b, &faulty);
    for (int i = 0; i < 1000; i++)
        REQUIRE(tb_buf_append(&b, &i, sizeof(i)) == 0);
    CHECK_EQ(b.len, 1000 * sizeof(int));
    CHECK_EQ(((int *)b.data)[999], 999);
    tb_buf_free(&b);
}

static void test_hash(void)
{
    const char *s = "\3www\7example\3org";
    uint64_t h1 = tb_hash64(s, 17, 1), h2 = tb_hash64(s, 17, 1);
    CHECK(h1 == h2);
    CHECK(tb_hash64(s, 17, 2) != h1);
    CHECK(tb_hash64(s, 16, 1) != h1);
    /* Every length 0..32 hashes without reading past the input (ASan). */
    for (size_t n = 0; n <= 32; n++) {
        uint8_t *p = malloc(n ? n : 1);
        REQUIRE(p != NULL);
        memset(p, 'a', n);
        (void)tb_hash64(p, n, 0);
        free(p);
    }
    /* Distribution sanity: 4096 similar keys into 4096 buckets. */
    static uint8_t seen[4096];
    int collisions = 0;
    for (int i = 0; i < 4096; i++) {
        char k[16];
        int n = snprintf(k, sizeof(k), "host%d", i);
        uint64_t h = tb_hash64(k, (size_t)n, 0);
        if (seen[h & 4095]++)
            collisions++;
    }
    /* Expected ~1507 for a random function; far more means a bad mix. */
    CHECK(collisions < 1700);
}

static void test_ckd(void)
{
    size_t r;
    CHECK(tb_ckd_add(&r, SIZE_MAX, (size_t)1));
    CHECK(!tb_ckd_add(&r, (size_t)1, (size_t)2));
    CHECK_EQ(r, 3);
    uint16_t r16;
    CHECK(tb_ckd_mul(&r16, (uint16_t)300, (uint16_t)300));
}

static void test_inet(void)
{
    static const struct {
        const char *in, *out; /* out NULL: refused */
    } v6[] = {
        {"::", "::"},
        {"::1", "::1"},
        {"1::", "1::"},
        {"2001:db8::1", "2001:db8::1"},
        {"2001:DB8:0:0:0:0:0:1", "2001:db8::1"},
        {"2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1"}, /* longest run */
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, /* first on a tie */
        {"2001:db8:1:1:1:1:0:1", "2001:db8:1:1:1:1:0:1"}, /* one zero */
        {"::ffff:192.0.2.1", "::ffff:192.0.2.1"},
        {"::192.0.2.1", "::192.0.2.1"},
        {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
        {":::", NULL},
        {"1:2:3:4:5:6:7:8:9", NULL},
        {"1::2::3", NULL},
        {"12345::", NULL},
        {"1:", NULL},
        {":1", NULL},
        {"1:2:3:4:5:6:7::8", NULL}, /* "::" must stand for a group */
        {"::ffff:1.2.3", NULL},
        {"g::", NULL},
        {"", NULL},
    };
    for (size_t i = 0; i < TB_ARRAY_SIZE(v6); i++) {
        uint8_t a[16];
        char buf[TB_INET6_TEXT_MAX];
        int rc = tb_inet_pton6(v6[i].in, strlen(v6[i].in), a);
        if (v6[i].out == NULL) {
            CHECK_EQ(rc, TB_EMALF);
            continue;
        }
        CHECK_EQ(rc, 0);
        CHECK_EQ(tb_inet_ntop6(a, buf, sizeof(buf)), strlen(v6[i].out));
        CHECK_STR(buf, v6[i].out);
    }
    uint8_t a4[4];
    CHECK_EQ(tb_inet_pton4("192.0.2.255", 11, a4), 0);
    CHECK(a4[0] == 192 && a4[3] == 255);
    CHECK_EQ(tb_inet_pton4("192.0.2.256", 11, a4), TB_EMALF);
    CHECK_EQ(tb_inet_pton4("192.0.02.1", 10, a4), TB_EMALF);
    CHECK_EQ(tb_inet_pton4("192.0.2", 7, a4), TB_EMALF);
    CHECK_EQ(tb_inet_pton4("192.0.2.1.", 10, a4), TB_EMALF);
    CHECK_EQ(tb_inet_pton4("10.0.0.1x", 8, a4), 0); /* length-delimited */
    CHECK_EQ(a4[3], 1);
    /* Exact-size output buffers: one byte short is TB_ESPACE. */
    uint8_t full[16];
    memset(full, 0xab, sizeof(full));
    char small[40];
    CHECK_EQ(tb_inet_ntop6(full, small, 40), 39);
    CHECK_EQ(tb_inet_ntop6(full, small, 39), TB_ESPACE);
    uint8_t tail[16] = {0x20, 1, 0xd, 0xb8};
    CHECK_EQ(tb_inet_ntop6(tail, small, 11), 10); /* "2001:db8::" */
    CHECK_STR(small, "2001:db8::");
    CHECK_EQ(tb_inet_ntop6(tail, small, 10), TB_ESPACE);
}

static void test_hex(void)
{
    uint8_t out[4] = {0x55, 0x55, 0x55, 0x55};

    CHECK_EQ(tb_hexval('0'), 0);
    CHECK_EQ(tb_hexval('f'), 15);
    CHECK_EQ(tb_hexval('F'), 15);
    CHECK_EQ(tb_hexval('g'), -1);
    CHECK_EQ(tb_hexval(-1), -1);
    CHECK_EQ(tb_hex_decode("00fFa0", 6, out, 4), 3);
    CHECK(out[0] == 0 && out[1] == 0xff && out[2] == 0xa0);
    CHECK_EQ(out[3], 0x55); /* nothing written past the result */
    CHECK_EQ(tb_hex_decode("", 0, out, 0), 0);
    CHECK_EQ(tb_hex_decode("abc", 3, out, 4), TB_EMALF);
    CHECK_EQ(tb_hex_decode("zz", 2, out, 4), TB_EMALF);
    CHECK_EQ(tb_hex_decode("a z0", 4, out, 4), TB_EMALF);
    CHECK_EQ(tb_hex_decode("0011223344", 10, out, 4), TB_ESPACE);
}

int main(void)
{
    RUN(test_strerror);
    RUN(test_rcur_edges);
    RUN(test_wcur_sentinel);
    RUN(test_arena);
    RUN(test_buf_faults);
    RUN(test_hash);
    RUN(test_ckd);
    RUN(test_inet);
    RUN(test_hex);
    return check_done();
}
