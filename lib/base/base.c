/*
 * base.c -- error strings, the growable cold-path buffer, the bump arena and
 * a fast non-cryptographic hash.  Nothing here allocates except through an
 * explicit struct tb_alloc, and nothing here knows which target it runs on.
 */
#include <tibra/base.h>

const char *tb_strerror(int err)
{
    switch (err) {
    case TB_OK:
        return "success";
    case TB_EPERM:
        return "operation not permitted";
    case TB_ENOENT:
        return "no such file or entry";
    case TB_EIO:
        return "input/output error";
    case TB_EBADF:
        return "bad handle";
    case TB_EAGAIN:
        return "try again";
    case TB_ENOMEM:
        return "out of memory";
    case TB_EACCES:
        return "permission denied";
    case TB_EEXIST:
        return "already exists";
    case TB_EINVAL:
        return "invalid argument";
    case TB_ENOSPC:
        return "no space left";
    case TB_ERANGE:
        return "value out of range";
    case TB_ENOSYS:
        return "not implemented";
    case TB_ETIMEDOUT:
        return "timed out";
    case TB_EPIPE:
        return "connection shut down for writing";
    case TB_EADDRINUSE:
        return "address already in use";
    case TB_ENETUNREACH:
        return "network unreachable";
    case TB_ECONNRESET:
        return "connection reset by peer";
    case TB_ENOTCONN:
        return "not connected";
    case TB_ECONNREFUSED:
        return "connection refused";
    case TB_EMALF:
        return "malformed input";
    case TB_ETRUNC:
        return "input truncated";
    case TB_ESPACE:
        return "output buffer too small";
    case TB_ELOOP:
        return "compression loop";
    case TB_ENOTSUP:
        return "not supported";
    case TB_ESEMANTIC:
        return "semantic error";
    case TB_ENOTREG:
        return "not a regular file";
    default:
        return "unknown error";
    }
}

/*
 * Weak default for assertion failures: platforms (unix, hvt, spt) provide a
 * strong definition that prints the expression and location before aborting.
 */
__attribute__((weak, noreturn)) void tb_assert_fail(const char *expr,
                                                    const char *file, int line)
{
    (void)expr;
    (void)file;
    (void)line;
    __builtin_trap();
}

void tb_buf_init(struct tb_buf *b, const struct tb_alloc *a)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->err = 0;
    b->a = a;
}

int tb_buf_reserve(struct tb_buf *b, size_t n)
{
    size_t need, ncap;
    uint8_t *p;

    if (b->err)
        return b->err;
    if (tb_ckd_add(&need, b->len, n)) {
        b->err = TB_ENOMEM;
        return b->err;
    }
    if (need <= b->cap)
        return 0;
    ncap = b->cap ? b->cap : 64;
    while (ncap < need) {
        if (tb_ckd_mul(&ncap, ncap, (size_t)2)) {
            b->err = TB_ENOMEM;
            return b->err;
        }
    }
    p = tb_realloc(b->a, b->data, b->cap, ncap);
    if (p == NULL) {
        b->err = TB_ENOMEM;
        return b->err;
    }
    b->data = p;
    b->cap = ncap;
    return 0;
}

int tb_buf_append(struct tb_buf *b, const void *p, size_t n)
{
    if (tb_buf_reserve(b, n) != 0)
        return b->err;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

void tb_buf_free(struct tb_buf *b)
{
    if (b->data)
        tb_free(b->a, b->data, b->cap);
    b->data = NULL;
    b->len = b->cap = 0;
}

int tb_sort_idx(uint32_t *v, size_t n, const struct tb_alloc *a,
                int (*cmp)(const void *, uint32_t, uint32_t), const void *ctx)
{
    uint32_t *tmp, *src = v, *dst;

    if (n < 2)
        return 0;
    if (n > SIZE_MAX / 4 || (tmp = tb_alloc(a, n * 4)) == NULL)
        return TB_ENOMEM;
    dst = tmp;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = TB_MIN(lo + w, n), hi = TB_MIN(lo + 2 * w, n);
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = cmp(ctx, src[i], src[j]) <= 0 ? src[i++] : src[j++];
            while (i < mid)
                dst[k++] = src[i++];
            while (j < hi)
                dst[k++] = src[j++];
        }
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * 4);
    tb_free(a, tmp, n * 4);
    return 0;
}

void tb_arena_init(struct tb_arena *ar, void *mem, size_t size)
{
    ar->base = mem;
    ar->size = size;
    ar->used = 0;
    ar->peak = 0;
}

void *tb_arena_alloc_align(struct tb_arena *ar, size_t n, size_t align)
{
    uintptr_t base = (uintptr_t)ar->base;
    size_t off, end;

    /* align is a power of two */
    off = (size_t)(((base + ar->used + (align - 1)) & ~(uintptr_t)(align - 1)) -
                   base);
    if (off > ar->size || tb_ckd_add(&end, off, n) || end > ar->size)
        return NULL;
    ar->used = end;
    if (end > ar->peak)
        ar->peak = end;
    return ar->base + off;
}

void *tb_arena_alloc(struct tb_arena *ar, size_t n)
{
    return tb_arena_alloc_align(ar, n, 8);
}

/*
 * A 64-bit multiply-mix hash over 8-byte words (wyhash-like folding).  Good
 * distribution for DNS names, ~1 cycle/byte, no table.
 */
static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t tb_hash64(const void *p, size_t n, uint64_t seed)
{
    const uint8_t *s = p;
    uint64_t h = seed ^ 0x9e3779b97f4a7c15ull ^ (uint64_t)n;
    uint64_t w;

    while (n >= 8) {
        memcpy(&w, s, 8);
        h = mix(h ^ w, 0xbf58476d1ce4e5b9ull);
        s += 8;
        n -= 8;
    }
    w = 0;
    if (n)
        memcpy(&w, s, n);
    h = mix(h ^ w ^ ((uint64_t)n << 56), 0x94d049bb133111ebull);
    return mix(h, 0x2545f4914f6cdd1dull);
}
