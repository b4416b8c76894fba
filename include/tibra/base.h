/*
 * base.h -- the foundation every Tibra library builds on: error codes, the
 * explicit allocator context for cold paths, the per-query arena, and the
 * sticky-error wire cursor used by every decoder of untrusted bytes.
 *
 * This header is freestanding: it includes only compiler headers and
 * <string.h>, so the same code compiles for the unix target (hosted libc)
 * and for guests (platform/common/libc).  It never allocates on its own.
 */
#ifndef TB_BASE_H
#define TB_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#define TB_API          __attribute__((visibility("default")))
#define TB_LIKELY(x)    __builtin_expect(!!(x), 1)
#define TB_UNLIKELY(x)  __builtin_expect(!!(x), 0)
#define TB_UNUSED       __attribute__((unused))
#define TB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TB_API
#define TB_LIKELY(x)   (x)
#define TB_UNLIKELY(x) (x)
#define TB_UNUSED
#define TB_PRINTF(f, a)
#endif

#define TB_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define TB_MIN(a, b)     ((a) < (b) ? (a) : (b))
#define TB_MAX(a, b)     ((a) > (b) ? (a) : (b))

/*
 * Errors.  0 is success; every failure is a negative TB_E* from this one
 * enum.  The first group mirrors errno values (so platform code can return
 * -errno unchanged); domain errors sit below -1000.
 */
enum tb_err {
    TB_OK = 0,
    TB_EPERM = -1,
    TB_ENOENT = -2,
    TB_EIO = -5,
    TB_EBADF = -9,
    TB_EAGAIN = -11,
    TB_ENOMEM = -12,
    TB_EACCES = -13,
    TB_EEXIST = -17,
    TB_EINVAL = -22,
    TB_ENOSPC = -28,
    TB_EPIPE = -32, /* write after shutdown */
    TB_ERANGE = -34,
    TB_ENOSYS = -38,
    TB_EADDRINUSE = -98, /* bind/listen: address taken */
    TB_ENETUNREACH = -101, /* no route / unresolvable next hop */
    TB_ECONNRESET = -104, /* peer reset the connection */
    TB_ENOTCONN = -107, /* not (yet) connected */
    TB_ETIMEDOUT = -110,
    TB_ECONNREFUSED = -111, /* connect answered with RST */
    TB_EMALF = -1001, /* malformed input (wire, text) */
    TB_ETRUNC = -1002, /* input ended early */
    TB_ESPACE = -1003, /* output buffer too small */
    TB_ELOOP = -1004, /* compression loop / too many hops */
    TB_ENOTSUP = -1005, /* valid but not supported */
    TB_ESEMANTIC = -1006, /* well-formed but violates a rule (zone checks) */
    TB_ENOTREG = -1007 /* a FIFO, directory or device where a file goes */
};

/* Returns a static, human-readable string for (err).  Never NULL. */
TB_API const char *tb_strerror(int err);

/* ---- addresses (peers, listeners, ACLs: one type everywhere) --------- */

enum tb_af { TB_AF_UNSPEC = 0, TB_AF_INET = 4, TB_AF_INET6 = 6 };

/*
 * A transport address.  (ip) holds 4 bytes (IPv4, network order, in
 * ip[0..3]) or 16 bytes (IPv6); (port) is in host order.  An all-zero
 * address with af TB_AF_UNSPEC means "any address of either family".
 */
struct tb_addr {
    uint8_t af; /* enum tb_af */
    uint8_t pad;
    uint16_t port;
    uint8_t ip[16];
};

/*
 * Defensive checks in the style of SQLite: ALWAYS(x) / NEVER(x) evaluate to
 * (x) in release builds, and assert that the branch is (not) taken in debug
 * builds.  Use them where an impossible condition is still handled.
 */
#ifdef NDEBUG
#define ALWAYS(x) (x)
#define NEVER(x)  (x)
#else
void tb_assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));
#define ALWAYS(x) ((x) ? 1 : (tb_assert_fail(#x, __FILE__, __LINE__), 0))
#define NEVER(x)  ((x) ? (tb_assert_fail(#x, __FILE__, __LINE__), 1) : 0)
#endif

/* Overflow-checked arithmetic (C23 ckd_* spelled with GCC builtins).
 * Each returns true when the result overflowed (and *r is unspecified). */
#define tb_ckd_add(r, a, b) __builtin_add_overflow((a), (b), (r))
#define tb_ckd_sub(r, a, b) __builtin_sub_overflow((a), (b), (r))
#define tb_ckd_mul(r, a, b) __builtin_mul_overflow((a), (b), (r))

/* Big-endian loads and stores; never cast wire bytes to a struct. */
static inline uint16_t tb_get16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}
static inline uint32_t tb_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}
static inline void tb_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void tb_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/*
 * Allocator context for cold paths (zone load, config, tools).  The packet
 * path never calls it.  (alloc) returns NULL on exhaustion; (free) accepts
 * NULL.  (size) is passed to free so arena-like allocators can account.
 */
struct tb_alloc {
    void *(*alloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *p, size_t old_size, size_t new_size);
    void (*free)(void *ctx, void *p, size_t size);
    void *ctx;
};

static inline void *tb_alloc(const struct tb_alloc *a, size_t n)
{
    return a->alloc(a->ctx, n);
}
static inline void *tb_realloc(const struct tb_alloc *a, void *p, size_t o,
                               size_t n)
{
    return a->realloc(a->ctx, p, o, n);
}
static inline void tb_free(const struct tb_alloc *a, void *p, size_t n)
{
    a->free(a->ctx, p, n);
}

/*
 * Budget: a struct tb_alloc that counts what it has handed out over
 * another allocator and refuses (returns NULL) what would take the count
 * past (limit), setting (over).  For cold paths that must not grow
 * without bound on untrusted input (a zone reload under zone-memory):
 * pass (&b->a) down; memory obtained another way is counted with
 * tb_budget_charge().  The count relies on the sizes callers give to
 * free and realloc (the tb_alloc contract); a realloc counts its new
 * size only.  Fields are public, read-only to callers.
 */
struct tb_budget {
    struct tb_alloc a; /* the allocator to pass down */
    const struct tb_alloc *under;
    size_t limit; /* 0: no limit (counting only) */
    size_t used, peak; /* bytes out now, most out at once */
    bool over; /* something was refused */
};

/* Sets (b) up over (under) with (limit) bytes (0: none), counts 0. */
TB_API void tb_budget_init(struct tb_budget *b, const struct tb_alloc *under,
                           size_t limit);
/* Counts (n) bytes taken elsewhere.  Returns false (and sets (over))
 * if that would pass the limit; then nothing is counted. */
TB_API bool tb_budget_charge(struct tb_budget *b, size_t n);
/* Gives back (n) bytes counted with tb_budget_charge(). */
TB_API void tb_budget_uncharge(struct tb_budget *b, size_t n);

/*
 * Growable byte buffer over a struct tb_alloc (cold paths only).  (err) is
 * sticky: after an allocation failure every append does nothing and
 * (err) stays TB_ENOMEM.
 */
struct tb_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    int err;
    const struct tb_alloc *a;
};

TB_API void tb_buf_init(struct tb_buf *b, const struct tb_alloc *a);
/* Ensures room for (n) more bytes.  Returns 0 or TB_ENOMEM (sticky). */
TB_API int tb_buf_reserve(struct tb_buf *b, size_t n);
TB_API int tb_buf_append(struct tb_buf *b, const void *p, size_t n);
TB_API void tb_buf_free(struct tb_buf *b);

/*
 * Sorts the (n) indices at (v) stably by (cmp)(ctx, x, y) (< 0, 0, > 0
 * as x sorts before, with or after y): a bottom-up merge sort, no
 * recursion (lib/ has no qsort in every target), with n * 4 bytes of
 * scratch from (a).  Returns 0 or TB_ENOMEM (v unchanged).
 */
TB_API int tb_sort_idx(uint32_t *v, size_t n, const struct tb_alloc *a,
                       int (*cmp)(const void *ctx, uint32_t x, uint32_t y),
                       const void *ctx);

/*
 * Arena: bump allocation from one caller-provided block, reset as a whole.
 * Used per query (reset after each answer) and for compiled zone data.
 * tb_arena_alloc returns NULL when the block is exhausted; it never falls
 * back to another allocator.  Alignment is 8 bytes (or (align), a power of
 * two, with tb_arena_alloc_align).
 */
struct tb_arena {
    uint8_t *base; /* private */
    size_t size; /* private */
    size_t used; /* private */
    size_t peak; /* private: high-water mark, for tests and stats */
};

TB_API void tb_arena_init(struct tb_arena *ar, void *mem, size_t size);
TB_API void *tb_arena_alloc(struct tb_arena *ar, size_t n);
TB_API void *tb_arena_alloc_align(struct tb_arena *ar, size_t n, size_t align);
static inline void tb_arena_reset(struct tb_arena *ar)
{
    ar->used = 0;
}
static inline size_t tb_arena_used(const struct tb_arena *ar)
{
    return ar->used;
}

/*
 * Sticky-error read cursor over untrusted bytes [Knot wire_ctx].  After the
 * first error every read returns 0 and does not move; callers check (err)
 * once per group of reads.  (p) never passes (end).
 */
struct tb_rcur {
    const uint8_t *start; /* private: beginning of the whole message */
    const uint8_t *p; /* private */
    const uint8_t *end; /* private */
    int err;
};

static inline void tb_rcur_init(struct tb_rcur *c, const uint8_t *buf,
                                size_t len)
{
    c->start = buf;
    c->p = buf;
    c->end = buf + len;
    c->err = 0;
}
static inline size_t tb_rcur_left(const struct tb_rcur *c)
{
    return (size_t)(c->end - c->p);
}
static inline size_t tb_rcur_off(const struct tb_rcur *c)
{
    return (size_t)(c->p - c->start);
}
static inline bool tb_rcur_need(struct tb_rcur *c, size_t n)
{
    if (TB_UNLIKELY(c->err != 0))
        return false;
    if (TB_UNLIKELY(tb_rcur_left(c) < n)) {
        c->err = TB_ETRUNC;
        return false;
    }
    return true;
}
static inline uint8_t tb_rcur_u8(struct tb_rcur *c)
{
    if (!tb_rcur_need(c, 1))
        return 0;
    return *c->p++;
}
static inline uint16_t tb_rcur_u16(struct tb_rcur *c)
{
    if (!tb_rcur_need(c, 2))
        return 0;
    uint16_t v = tb_get16(c->p);
    c->p += 2;
    return v;
}
static inline uint32_t tb_rcur_u32(struct tb_rcur *c)
{
    if (!tb_rcur_need(c, 4))
        return 0;
    uint32_t v = tb_get32(c->p);
    c->p += 4;
    return v;
}
static inline void tb_rcur_bytes(struct tb_rcur *c, void *dst, size_t n)
{
    if (!tb_rcur_need(c, n)) {
        if (n)
            memset(dst, 0, n);
        return;
    }
    memcpy(dst, c->p, n);
    c->p += n;
}
static inline void tb_rcur_skip(struct tb_rcur *c, size_t n)
{
    if (tb_rcur_need(c, n))
        c->p += n;
}

/*
 * Sticky-error write cursor into a caller buffer sized to a protocol
 * maximum.  On overflow (err) becomes TB_ESPACE and nothing more is written.
 */
struct tb_wcur {
    uint8_t *start; /* private */
    uint8_t *p; /* private */
    uint8_t *end; /* private */
    int err;
};

static inline void tb_wcur_init(struct tb_wcur *c, uint8_t *buf, size_t cap)
{
    c->start = buf;
    c->p = buf;
    c->end = buf + cap;
    c->err = 0;
}
static inline size_t tb_wcur_len(const struct tb_wcur *c)
{
    return (size_t)(c->p - c->start);
}
static inline bool tb_wcur_need(struct tb_wcur *c, size_t n)
{
    if (TB_UNLIKELY(c->err != 0))
        return false;
    if (TB_UNLIKELY((size_t)(c->end - c->p) < n)) {
        c->err = TB_ESPACE;
        return false;
    }
    return true;
}
static inline void tb_wcur_u8(struct tb_wcur *c, uint8_t v)
{
    if (tb_wcur_need(c, 1))
        *c->p++ = v;
}
static inline void tb_wcur_u16(struct tb_wcur *c, uint16_t v)
{
    if (tb_wcur_need(c, 2)) {
        tb_put16(c->p, v);
        c->p += 2;
    }
}
static inline void tb_wcur_u32(struct tb_wcur *c, uint32_t v)
{
    if (tb_wcur_need(c, 4)) {
        tb_put32(c->p, v);
        c->p += 4;
    }
}
static inline void tb_wcur_bytes(struct tb_wcur *c, const void *src, size_t n)
{
    if (tb_wcur_need(c, n)) {
        memcpy(c->p, src, n);
        c->p += n;
    }
}

/*
 * IP addresses in text (lib/base/inet.c).  (s, len) is not NUL-terminated.
 * tb_inet_pton4 takes exactly a.b.c.d, each part 0..255 without leading
 * zeros; tb_inet_pton6 the RFC 4291 2.2 forms ("::" once, an embedded
 * dotted quad last), no scope id.  Both return 0 with the address in (out),
 * or TB_EMALF.  tb_inet_ntop6 writes (a) as glibc's inet_ntop() does (RFC
 * 5952 compression; ::a.b.c.d and ::ffff:a.b.c.d with a dotted tail) into
 * (buf, cap) with a NUL, and returns the length, or TB_ESPACE;
 * TB_INET6_TEXT_MAX always suffices.
 */
#define TB_INET6_TEXT_MAX 46
TB_API int tb_inet_pton4(const char *s, size_t len, uint8_t out[4]);
TB_API int tb_inet_pton6(const char *s, size_t len, uint8_t out[16]);
TB_API int tb_inet_ntop6(const uint8_t a[16], char *buf, size_t cap);

/*
 * Hex digits (lib/base/inet.c).  tb_hexval returns the value of hex digit
 * (c) (either case), or -1.  tb_hex_decode reads (s, len), an even number
 * of hex digits without a prefix, into (out, cap) and returns the byte
 * count, or TB_EMALF (odd length, a non-hex digit), TB_ESPACE (more than
 * (cap) bytes).
 */
TB_API int tb_hexval(int c);
TB_API int tb_hex_decode(const char *s, size_t len, uint8_t *out, size_t cap);

/*
 * Base64 (RFC 4648 4; lib/base/base64.c): decodes (s, len), which MAY
 * contain spaces, tabs and line breaks anywhere, padding required, into
 * (out, cap) and returns the byte count, or TB_EMALF (a character outside
 * the alphabet, misplaced '=', a partial group), TB_ESPACE (more than
 * (cap) bytes).  Untrusted input: nothing is written past (cap).
 */
TB_API int tb_base64_decode(const char *s, size_t len, uint8_t *out,
                            size_t cap);

/* Fast 64-bit hash of (n) bytes with (seed); not for cryptography. */
TB_API uint64_t tb_hash64(const void *p, size_t n, uint64_t seed);

/*
 * SipHash-2-4 (lib/base/siphash.c) of (n) bytes at (p) under the 16-byte
 * (key): a keyed PRF, for values a client must not be able to forge
 * without the key (DNS server cookies).  The result is the 64-bit value
 * of the reference implementation; as bytes, it is written
 * little-endian (tb_siphash24 of the paper's vectors).
 */
TB_API uint64_t tb_siphash24(const uint8_t key[16], const void *p, size_t n);

#endif /* TB_BASE_H */
