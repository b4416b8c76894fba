/*
 * test_guest_libc.c -- the guest C library subset (platform/common/libc)
 * and the platform runtime helpers (cmdline, init-time allocator),
 * compiled hosted under ASan+UBSan.  The libc sources are included with
 * their functions renamed (g_*), and every result is compared with the
 * host C library's on the same inputs: formats with every flag, width,
 * precision and length modifier, truncation at every buffer size, and the
 * memory and string functions on all alignments and overlaps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"

/* Declared before the sources so they have prototypes under their new
 * names; <stdio.h> and <string.h> are already included, so the
 * sources' own includes add nothing. */
#define snprintf  g_snprintf
#define vsnprintf g_vsnprintf
int g_snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...);
int g_vsnprintf(char *restrict buf, size_t n, const char *restrict fmt,
                va_list ap);
#include "../../platform/common/libc/libc_printf.c"
#undef snprintf
#undef vsnprintf

#define memcpy      g_memcpy
#define memmove     g_memmove
#define memset      g_memset
#define memcmp      g_memcmp
#define memchr      g_memchr
#define strlen      g_strlen
#define strnlen     g_strnlen
#define strcmp      g_strcmp
#define strncmp     g_strncmp
#define strcasecmp  g_strcasecmp
#define strncasecmp g_strncasecmp
#define strchr      g_strchr
#define strrchr     g_strrchr
void *g_memcpy(void *restrict d, const void *restrict s, size_t n);
void *g_memmove(void *d, const void *s, size_t n);
void *g_memset(void *d, int c, size_t n);
int g_memcmp(const void *a, const void *b, size_t n);
void *g_memchr(const void *s, int c, size_t n);
size_t g_strlen(const char *s);
size_t g_strnlen(const char *s, size_t n);
int g_strcmp(const char *a, const char *b);
int g_strncmp(const char *a, const char *b, size_t n);
int g_strcasecmp(const char *a, const char *b);
int g_strncasecmp(const char *a, const char *b, size_t n);
char *g_strchr(const char *s, int c);
char *g_strrchr(const char *s, int c);
#include "../../platform/common/libc/libc_string.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strcasecmp
#undef strncasecmp
#undef strchr
#undef strrchr

#include "../../platform/common/cmdline.c"
#include "../../platform/common/heap.c"

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

/* Formats with both implementations and compares output and length. */
#define SAME(...)                                                              \
    do {                                                                       \
        char a_[256], b_[256];                                                 \
        memset(a_, 0x55, sizeof(a_));                                          \
        memset(b_, 0x55, sizeof(b_));                                          \
        int ra_ = g_snprintf(a_, sizeof(a_), __VA_ARGS__);                     \
        int rb_ = snprintf(b_, sizeof(b_), __VA_ARGS__);                       \
        CHECK_EQ(ra_, rb_);                                                    \
        if (strcmp(a_, b_) != 0) {                                             \
            CHECK(!"format differs");                                          \
            fprintf(stderr, "  %s: got '%s' want '%s'\n", #__VA_ARGS__, a_,    \
                    b_);                                                       \
        }                                                                      \
    } while (0)

static void test_printf_formats(void)
{
    SAME("plain text");
    SAME("%d %i %u", 42, -42, 42u);
    SAME("%d %d", INT32_MIN, INT32_MAX);
    SAME("%ld %lu", (long)INT64_MIN, (unsigned long)UINT64_MAX);
    SAME("%lld %llu", (long long)-1, (unsigned long long)UINT64_MAX);
    SAME("%hhd %hhu %hd %hu", -3, 300, -5, 70000);
    SAME("%zu %zd %td %jd %ju", (size_t)123, (ssize_t)-7, (ptrdiff_t)-9,
         (intmax_t)INT64_MIN, (uintmax_t)UINT64_MAX);
    SAME("%x %X %o %#x %#X %#o", 0xbeefu, 0xbeefu, 0755u, 0xbeefu, 0xbeefu,
         0755u);
    SAME("%#x %#o %#o", 0u, 0u, 8u);
    SAME("[%5d] [%-5d] [%05d] [%+d] [% d] [%+05d]", 42, 42, 42, 42, 42, -42);
    SAME("[%.3d] [%.0d] [%5.3d] [%-8.3x]", 7, 0, 7, 0xau);
    SAME("[%.0x] [%#.0x] [%.0o] [%#.0o]", 0u, 0u, 0u, 0u);
    SAME("[%s] [%10s] [%-10s] [%.2s] [%10.2s]", "abc", "abc", "abc", "abc",
         "abc");
    SAME("[%*d] [%-*d] [%*d] [%.*d] [%.*s]", 6, 1, 6, 1, -6, 1, 4, 3, 2, "xyz");
    SAME("[%c] [%3c] [%-3c]", 'a', 'b', 'c');
    SAME("%p %p", (void *)0x1234, (void *)UINTPTR_MAX);
    SAME("%%d");
    {
        /* Formats GCC warns about but C defines: through a variable. */
        const char *zero_prec = "[%08.3d]";
        SAME(zero_prec, 5);
    }
    SAME("%s", "");
    SAME("%llx %016llx", 0x0123456789abcdefull, 0xabull);
}

static void test_printf_truncation(void)
{
    const char *want = "hello world 12345";
    char buf[32];

    for (size_t n = 0; n <= strlen(want) + 2; n++) {
        memset(buf, 'Z', sizeof(buf));
        int r = g_snprintf(buf, n, "hello %s %d", "world", 12345);
        CHECK_EQ(r, (int)strlen(want));
        if (n > 0) {
            size_t l = TB_MIN(n - 1, strlen(want));
            CHECK(memcmp(buf, want, l) == 0);
            CHECK_EQ(buf[l], '\0');
        }
        /* Nothing written past n. */
        for (size_t i = n; i < sizeof(buf); i++)
            CHECK_EQ(buf[i], 'Z');
    }
    CHECK_EQ(g_snprintf(NULL, 0, "%d", 123456), 6);
    /* Unknown conversions are copied through. */
    memset(buf, 0, sizeof(buf));
    g_snprintf(buf, sizeof(buf), "a%qb");
    CHECK(strcmp(buf, "a%qb") == 0);
    g_snprintf(buf, sizeof(buf), "end%");
    CHECK(strcmp(buf, "end%") == 0);
}

static void test_mem(void)
{
    uint8_t src[300], a[320], b[320];

    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 37 + 11);
    for (size_t so = 0; so < 9; so++) {
        for (size_t dof = 0; dof < 9; dof++) {
            for (size_t n = 0; n < 70; n += (n < 20 ? 1 : 7)) {
                memset(a, 0xee, sizeof(a));
                memset(b, 0xee, sizeof(b));
                CHECK(g_memcpy(a + dof, src + so, n) == a + dof);
                memcpy(b + dof, src + so, n);
                CHECK(memcmp(a, b, sizeof(a)) == 0);
                CHECK(g_memset(a + dof, (int)so, n) == a + dof);
                memset(b + dof, (int)so, n);
                CHECK(memcmp(a, b, sizeof(a)) == 0);
                CHECK_EQ(sign(g_memcmp(src + so, src + dof, n)),
                         sign(memcmp(src + so, src + dof, n)));
            }
        }
    }
    /* Overlapping moves in both directions. */
    for (size_t s = 0; s < 24; s++) {
        for (size_t d = 0; d < 24; d++) {
            for (size_t n = 0; n < 40; n++) {
                memcpy(a, src, 100);
                memcpy(b, src, 100);
                CHECK(g_memmove(a + d, a + s, n) == a + d);
                memmove(b + d, b + s, n);
                CHECK(memcmp(a, b, 100) == 0);
            }
        }
    }
    /* memcmp: the first differing byte decides, compared unsigned. */
    memcpy(a, src, 64);
    memcpy(b, src, 64);
    b[40] = (uint8_t)(a[40] + 1);
    CHECK(g_memcmp(a, b, 64) < 0 && g_memcmp(b, a, 64) > 0);
    CHECK(g_memcmp(a, b, 40) == 0);
    a[3] = 0x80;
    b[3] = 0x01;
    CHECK(g_memcmp(a, b, 64) > 0);
    CHECK(g_memchr(src, src[77], 300) == memchr(src, src[77], 300));
    CHECK(g_memchr(src, 0x100 + src[5], 300) == memchr(src, src[5], 300));
    CHECK(g_memchr(src, src[77], 77) == memchr(src, src[77], 77));
}

static void test_str(void)
{
    static const char *const w[] = {"",    "a", "A",    "ab",  "abc",     "abd",
                                    "ABC", "b", "\x80", "aBc", "abcdefgh"};

    for (size_t i = 0; i < TB_ARRAY_SIZE(w); i++) {
        CHECK_EQ(g_strlen(w[i]), strlen(w[i]));
        CHECK_EQ(g_strnlen(w[i], 2), strnlen(w[i], 2));
        CHECK(g_strchr(w[i], 'b') == strchr(w[i], 'b'));
        CHECK(g_strchr(w[i], 0) == strchr(w[i], 0));
        CHECK(g_strrchr(w[i], 'c') == strrchr(w[i], 'c'));
        for (size_t j = 0; j < TB_ARRAY_SIZE(w); j++) {
            CHECK_EQ(sign(g_strcmp(w[i], w[j])), sign(strcmp(w[i], w[j])));
            CHECK_EQ(sign(g_strcasecmp(w[i], w[j])),
                     sign(strcasecmp(w[i], w[j])));
            for (size_t n = 0; n < 5; n++) {
                CHECK_EQ(sign(g_strncmp(w[i], w[j], n)),
                         sign(strncmp(w[i], w[j], n)));
                CHECK_EQ(sign(g_strncasecmp(w[i], w[j], n)),
                         sign(strncasecmp(w[i], w[j], n)));
            }
        }
    }
}

static void test_cmdline(void)
{
    char a0[] = "one", a1[] = "two=2", a2[] = "three";
    char *const argv[] = {a0, a1, a2};
    char buf[32], tok[8];
    const char *p, *v;
    size_t l;

    CHECK_EQ(tb_cmdline_join(buf, sizeof(buf), 3, argv), TB_OK);
    CHECK(strcmp(buf, "one two=2 three") == 0);
    CHECK_EQ(tb_cmdline_join(buf, 1, 0, argv), TB_OK);
    CHECK_EQ(buf[0], '\0');
    CHECK_EQ(tb_cmdline_join(buf, 15, 3, argv), TB_ESPACE);
    CHECK_EQ(tb_cmdline_join(buf, 16, 3, argv), TB_OK);
    CHECK(strlen(buf) < 16);

    p = "  alpha beta=1   toolongword ";
    CHECK_EQ(tb_cmdline_next(&p, tok, sizeof(tok)), 5);
    CHECK(strcmp(tok, "alpha") == 0);
    CHECK_EQ(tb_cmdline_next(&p, tok, sizeof(tok)), 6);
    CHECK(strcmp(tok, "beta=1") == 0);
    CHECK_EQ(tb_cmdline_next(&p, tok, sizeof(tok)), TB_ESPACE);
    CHECK_EQ(tb_cmdline_next(&p, tok, sizeof(tok)), 0);

    v = tb_cmdline_get("a=1 bb=22 b=3", "b", &l);
    REQUIRE(v != NULL);
    CHECK_EQ(l, 1u);
    CHECK_EQ(v[0], '3');
    v = tb_cmdline_get("a=1 bb=22 b=", "b", &l);
    REQUIRE(v != NULL);
    CHECK_EQ(l, 0u);
    CHECK(tb_cmdline_get("a=1 bb=22", "b", &l) == NULL);
    CHECK(tb_cmdline_get("b", "b", &l) == NULL);
}

static void test_heap(void)
{
    static uint8_t mem[3 * 4096] __attribute__((aligned(4096)));
    struct tb_heap hp;
    struct tb_alloc a;
    uintptr_t rs;
    size_t rz;
    uint8_t *p, *q;

    tb_heap_init(&hp, (uintptr_t)mem, sizeof(mem));
    p = tb_heap_take(&hp, 10, 1);
    CHECK(p == mem);
    q = tb_heap_take(&hp, 8, 64);
    CHECK(q == mem + 64);
    CHECK(tb_heap_take(&hp, 8, 3) == NULL);
    CHECK(tb_heap_take(&hp, sizeof(mem), 1) == NULL);
    CHECK(tb_heap_take(&hp, SIZE_MAX, 1) == NULL);
    tb_heap_rest(&hp, &rs, &rz);
    CHECK(rs == (uintptr_t)mem + 4096 && rz == 2 * 4096);
    tb_heap_alloc_ctx(&hp, &a);
    p = tb_alloc(&a, 100);
    REQUIRE(p != NULL);
    CHECK(((uintptr_t)p & 15) == 0);
    memset(p, 7, 100);
    q = tb_realloc(&a, p, 100, 200);
    REQUIRE(q != NULL);
    CHECK(q[99] == 7 && q[100] == 0);
    tb_free(&a, q, 200);
    CHECK(tb_alloc(&a, sizeof(mem)) == NULL);
    /* A region ending at the top of the address space is clipped. */
    tb_heap_init(&hp, UINTPTR_MAX - 10, 100);
    CHECK(tb_heap_take(&hp, 8, 4096) == NULL);
}

int main(void)
{
    RUN(test_printf_formats);
    RUN(test_printf_truncation);
    RUN(test_mem);
    RUN(test_str);
    RUN(test_cmdline);
    RUN(test_heap);
    return check_done();
}
