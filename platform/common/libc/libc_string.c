/*
 * libc_string.c -- the memory and string functions of the guest C library
 * subset (platform/common/libc/include/string.h).  Linked into every guest
 * image (hvt, spt) and into the stub link test; the unix target uses the
 * host C library instead.  lib/ calls memcpy and memcmp on the packet path,
 * so the copies move a word at a time when both pointers allow it (always
 * on x86_64; `rep movsb` measured 5-8x slower for packet sizes on a
 * virtualised CPU here).  Compiled with
 * -fno-builtin and -fno-tree-loop-distribute-patterns so the compiler never
 * turns these loops back into calls to themselves.  No locale: the case
 * functions know ASCII only, which is all DNS needs (RFC 4343).
 */
#define TB_LIBC_IMPL 1
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
/* Unaligned word accesses, declared as such (aligned(1)). */
typedef uint64_t __attribute__((may_alias, aligned(1))) word_t;
#else
typedef uint64_t __attribute__((may_alias)) word_t;
#endif
#define WSIZE sizeof(word_t)
#define WMASK (WSIZE - 1)

/*
 * May both pointers be accessed a word at a time?  x86_64 loads and stores
 * unaligned words at full speed; aarch64 guests are built -mstrict-align.
 */
static inline int words_ok(const void *a, const void *b)
{
#if defined(__x86_64__)
    (void)a;
    (void)b;
    return 1;
#else
    return (((uintptr_t)a | (uintptr_t)b) & WMASK) == 0;
#endif
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;

    if (words_ok(dp, sp)) {
        for (; n >= WSIZE; n -= WSIZE, dp += WSIZE, sp += WSIZE)
            *(word_t *)(void *)dp = *(const word_t *)(const void *)sp;
    }
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;

    if (dp == sp || n == 0)
        return d;
    /* Forward copy is safe unless the destination starts inside source:
     * memcpy reads each word before writing the one at the same offset. */
    if ((uintptr_t)dp - (uintptr_t)sp >= n)
        return memcpy(d, s, n);
    dp += n;
    sp += n;
    if (words_ok(dp, sp)) {
        for (; n >= WSIZE; n -= WSIZE) {
            dp -= WSIZE;
            sp -= WSIZE;
            *(word_t *)(void *)dp = *(const word_t *)(const void *)sp;
        }
    }
    while (n--)
        *--dp = *--sp;
    return d;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *dp = d;
    unsigned char b = (unsigned char)c;

    if (words_ok(dp, dp) && n >= WSIZE) {
        word_t w = (word_t)b * 0x0101010101010101ull;
        for (; n >= WSIZE; n -= WSIZE, dp += WSIZE)
            *(word_t *)(void *)dp = w;
    }
    while (n--)
        *dp++ = b;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *ap = a, *bp = b;

    if (words_ok(ap, bp)) {
        /* Skip equal words; the byte loop finds the first difference. */
        while (n >= WSIZE && *(const word_t *)(const void *)ap ==
                                 *(const word_t *)(const void *)bp) {
            ap += WSIZE;
            bp += WSIZE;
            n -= WSIZE;
        }
    }
    for (; n; n--, ap++, bp++) {
        if (*ap != *bp)
            return *ap - *bp;
    }
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    unsigned char b = (unsigned char)c;

    for (; n; n--, p++) {
        if (*p == b)
            return (void *)(uintptr_t)p;
    }
    return NULL;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && s[i])
        i++;
    return i;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (; n; n--, a++, b++) {
        if (*a != *b || *a == '\0')
            return (unsigned char)*a - (unsigned char)*b;
    }
    return 0;
}

static int lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
}

int strcasecmp(const char *a, const char *b)
{
    int ca, cb;

    do {
        ca = lower((unsigned char)*a++);
        cb = lower((unsigned char)*b++);
    } while (ca && ca == cb);
    return ca - cb;
}

int strncasecmp(const char *a, const char *b, size_t n)
{
    int ca, cb;

    for (; n; n--) {
        ca = lower((unsigned char)*a++);
        cb = lower((unsigned char)*b++);
        if (ca != cb || ca == 0)
            return ca - cb;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    char ch = (char)c;

    for (;; s++) {
        if (*s == ch)
            return (char *)(uintptr_t)s;
        if (*s == '\0')
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    char ch = (char)c;
    const char *last = NULL;

    for (;; s++) {
        if (*s == ch)
            last = s;
        if (*s == '\0')
            return (char *)(uintptr_t)last;
    }
}
