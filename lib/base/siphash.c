/*
 * siphash.c -- SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012): a keyed 64-bit PRF for short inputs, used
 * where an attacker must not be able to compute or forge a value without
 * the key (RFC 9018 DNS server cookies).
 *
 * Written here rather than linked from a library because one
 * implementation serves every target: Debian's libsodium (1.0.18)
 * has crypto_shorthash_siphash24, but as a hosted object built without
 * the guests' ABI flags (-mno-red-zone -mno-sse, aarch64 -mstrict-align)
 * and for the host's architecture only.  tests/unit/test_cookie.c checks
 * this one against the paper's 64 vectors and against libsodium when it
 * is installed (docs/DESIGN.md, "DNS Cookies").
 */
#include <string.h>
#include <tibra/base.h>

static uint64_t ld64le(const uint8_t *p)
{
    return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
           (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
           (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                               \
    do {                                                                       \
        v0 += v1;                                                              \
        v1 = ROTL(v1, 13);                                                     \
        v1 ^= v0;                                                              \
        v0 = ROTL(v0, 32);                                                     \
        v2 += v3;                                                              \
        v3 = ROTL(v3, 16);                                                     \
        v3 ^= v2;                                                              \
        v0 += v3;                                                              \
        v3 = ROTL(v3, 21);                                                     \
        v3 ^= v0;                                                              \
        v2 += v1;                                                              \
        v1 = ROTL(v1, 17);                                                     \
        v1 ^= v2;                                                              \
        v2 = ROTL(v2, 32);                                                     \
    } while (0)

uint64_t tb_siphash24(const uint8_t key[16], const void *p, size_t n)
{
    const uint8_t *s = p;
    uint64_t k0 = ld64le(key), k1 = ld64le(key + 8);
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    uint64_t b = (uint64_t)n << 56, m;
    uint8_t last[8] = {0};

    for (; n >= 8; n -= 8, s += 8) {
        m = ld64le(s);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    memcpy(last, s, n); /* the 0..7 bytes left, zero-padded */
    b |= ld64le(last);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}
