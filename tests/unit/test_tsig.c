/*
 * test_tsig.c -- TSIG (lib/dns/tsig.c) against vectors from an independent
 * implementation (dnspython's dns.tsig, tests/unit/tsig_vectors.h made by
 * tests/data/tsig/gen_vectors.py), with a fake clock:
 *   - requests signed by dnspython with every algorithm verify, and our
 *     client signature of the same request is byte for byte dnspython's;
 *   - our server signature of a three-message response stream is byte for
 *     byte dnspython's, and our client verifies dnspython's stream, also
 *     with an unsigned message in the middle (RFC 8945 5.3.1);
 *   - every error branch: BADKEY (name, algorithm), BADSIG, BADTIME (both
 *     sides of the fudge), BADTRUNC, MAC sizes per 5.2.2.1 (FORMERR),
 *     malformed RRs, 100 unsigned messages in a row, a forged stream;
 *   - the error responses dns_tsig_answer() sends (NOTAUTH, unsigned for
 *     BADKEY/BADSIG, signed for BADTIME with our time) and a signed
 *     answer through the service core's path;
 *   - base64 (tb_base64_decode).
 */
#include "check.h"
#include "test_auth_util.h"
#include "tsig_vectors.h"
#include <tibra/dns/auth.h>
#include <tibra/dns/notify.h>
#include <tibra/dns/srv.h>
#include <tibra/dns/tsig.h>

static const uint8_t keyname[] = "\x08tsig-key";

static struct dns_tsig_key key_of(enum dns_tsig_alg alg)
{
    struct dns_tsig_key k;
    if (dns_tsig_key_init(&k, keyname, sizeof(keyname), alg, tv_secret,
                          sizeof(tv_secret)) != 0)
        abort();
    return k;
}

/* The offset of the TSIG RR of (m), or abort. */
static size_t tsig_at(const uint8_t *m, size_t len)
{
    size_t off;
    if (dns_tsig_find(m, len, &off) != 0)
        abort();
    return off;
}

/* (m) without its TSIG RR (ARCOUNT fixed) into (out); returns the length. */
static size_t strip(const uint8_t *m, size_t len, uint8_t *out)
{
    size_t off = tsig_at(m, len);
    memcpy(out, m, off);
    tb_put16(out + 10, (uint16_t)(tb_get16(m + 10) - 1));
    return off;
}

static void algorithms(void)
{
    enum dns_tsig_alg a;

    CHECK_EQ(dns_tsig_alg_from_text("hmac-sha256", 11, &a), 0);
    CHECK_EQ(a, DNS_TSIG_HMAC_SHA256);
    CHECK_EQ(dns_tsig_alg_from_text("HMAC-SHA512.", 12, &a), 0);
    CHECK_EQ(a, DNS_TSIG_HMAC_SHA512);
    CHECK_EQ(dns_tsig_alg_from_text("hmac-md5", 8, &a), 0);
    CHECK_EQ(a, DNS_TSIG_HMAC_MD5);
    CHECK_EQ(dns_tsig_alg_from_text("hmac-md5.sig-alg.reg.int.", 25, &a), 0);
    CHECK_EQ(a, DNS_TSIG_HMAC_MD5);
    CHECK_EQ(dns_tsig_alg_from_text("hmac-sha3", 9, &a), TB_ENOTSUP);
    CHECK_EQ(dns_tsig_alg_from_text("", 0, &a), TB_ENOTSUP);
    CHECK_EQ(dns_tsig_alg_maclen(DNS_TSIG_HMAC_SHA384), 48);
    CHECK_STR(dns_tsig_alg_text(DNS_TSIG_HMAC_SHA1), "hmac-sha1");
    struct dns_tsig_key k;
    CHECK_EQ(dns_tsig_key_init(&k, keyname, sizeof(keyname),
                               DNS_TSIG_HMAC_SHA256, tv_secret, 0),
             TB_EINVAL);
    CHECK_EQ(dns_tsig_key_init(&k, keyname, sizeof(keyname) - 1,
                               DNS_TSIG_HMAC_SHA256, tv_secret, 3),
             TB_EINVAL);
    CHECK_EQ(dns_tsig_key_init(&k, keyname, sizeof(keyname),
                               (enum dns_tsig_alg)99, tv_secret, 3),
             TB_ENOTSUP);
}

/* dnspython's signed query for each algorithm verifies, and we sign the
 * same request identically. */
static void request_vectors(void)
{
    static const struct {
        enum dns_tsig_alg alg;
        const uint8_t *q;
        size_t len;
    } v[] = {
        {DNS_TSIG_HMAC_MD5, tv_q_md5, sizeof(tv_q_md5)},
        {DNS_TSIG_HMAC_SHA1, tv_q_sha1, sizeof(tv_q_sha1)},
        {DNS_TSIG_HMAC_SHA224, tv_q_sha224, sizeof(tv_q_sha224)},
        {DNS_TSIG_HMAC_SHA256, tv_q_sha256, sizeof(tv_q_sha256)},
        {DNS_TSIG_HMAC_SHA384, tv_q_sha384, sizeof(tv_q_sha384)},
        {DNS_TSIG_HMAC_SHA512, tv_q_sha512, sizeof(tv_q_sha512)},
    };
    for (size_t i = 0; i < TB_ARRAY_SIZE(v); i++) {
        struct dns_tsig_key k = key_of(v[i].alg);
        struct dns_tsig_keyring kr;
        struct dns_tsig_ctx ctx;
        uint8_t buf[1024];
        size_t n;

        dns_tsig_keyring_init(&kr, &k, 1);
        CHECK_EQ(dns_tsig_verify_request(&kr, v[i].q, v[i].len,
                                         tsig_at(v[i].q, v[i].len), TV_TIME,
                                         &ctx),
                 0);
        CHECK_EQ(ctx.error, 0);
        CHECK(ctx.key == &k);
        CHECK_EQ(ctx.mac_len, dns_tsig_alg_maclen(v[i].alg));
        /* Client: the same request, signed by us at the same time. */
        n = strip(v[i].q, v[i].len, buf);
        n = dns_tsig_sign_request(&ctx, &k, buf, n, sizeof(buf), TV_TIME);
        CHECK_EQ(n, v[i].len);
        CHECK_MEM(buf, v[i].q, v[i].len);
        /* Too small a buffer: nothing written. */
        n = strip(v[i].q, v[i].len, buf);
        CHECK_EQ(dns_tsig_sign_request(&ctx, &k, buf, n, n + 20, TV_TIME), 0);
        CHECK_EQ(tb_get16(buf + 10), 0);
    }
}

/* Our server signature of dnspython's three-message response stream is
 * byte for byte dnspython's; our client verifies it. */
static void stream_vectors(void)
{
    const uint8_t *r[3] = {tv_r0, tv_r1, tv_r2};
    size_t rl[3] = {sizeof(tv_r0), sizeof(tv_r1), sizeof(tv_r2)};
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256);
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx srv, cli;
    uint8_t buf[1024];
    size_t n;

    dns_tsig_keyring_init(&kr, &k, 1);
    REQUIRE(dns_tsig_verify_request(&kr, tv_q_sha256, sizeof(tv_q_sha256),
                                    tsig_at(tv_q_sha256, sizeof(tv_q_sha256)),
                                    TV_TIME, &srv) == 0 &&
            srv.error == 0);
    for (int i = 0; i < 3; i++) {
        n = strip(r[i], rl[i], buf);
        n = dns_tsig_sign(&srv, buf, n, sizeof(buf), TV_TIME + 1);
        CHECK_EQ(n, rl[i]);
        CHECK_MEM(buf, r[i], rl[i]);
    }
    CHECK_EQ(srv.nmsg, 3);
    /* Client side: sign the request, verify the stream. */
    n = strip(tv_q_sha256, sizeof(tv_q_sha256), buf);
    REQUIRE(dns_tsig_sign_request(&cli, &k, buf, n, sizeof(buf), TV_TIME) ==
            sizeof(tv_q_sha256));
    for (int i = 0; i < 3; i++)
        CHECK_EQ(dns_tsig_verify_response(&cli, r[i], rl[i], TV_TIME + 2),
                 DNS_TSIG_VERIFIED);
    /* Out of order: message 2 where 1 is expected fails, for good. */
    n = strip(tv_q_sha256, sizeof(tv_q_sha256), buf);
    REQUIRE(dns_tsig_sign_request(&cli, &k, buf, n, sizeof(buf), TV_TIME) ==
            sizeof(tv_q_sha256));
    CHECK_EQ(dns_tsig_verify_response(&cli, r[0], rl[0], TV_TIME),
             DNS_TSIG_VERIFIED);
    CHECK_EQ(dns_tsig_verify_response(&cli, r[2], rl[2], TV_TIME), TB_EPERM);
    CHECK_EQ(cli.error, DNS_TSIG_BADSIG);
    CHECK_EQ(dns_tsig_verify_response(&cli, r[1], rl[1], TV_TIME), TB_EPERM);
}

/* RFC 8945 5.3.1: an unsigned message between signed ones is covered by
 * the next MAC (dnspython made the stream); tampering with it fails. */
static void stream_unsigned(void)
{
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256);
    struct dns_tsig_ctx cli;
    uint8_t q[1024], u1[sizeof(tv_u1)];
    size_t n = strip(tv_q_sha256, sizeof(tv_q_sha256), q);

    CHECK_EQ(tb_get16(tv_u1 + 10), 0); /* really unsigned */
    REQUIRE(dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME) != 0);
    CHECK_EQ(dns_tsig_verify_response(&cli, tv_u0, sizeof(tv_u0), TV_TIME),
             DNS_TSIG_VERIFIED);
    CHECK_EQ(dns_tsig_verify_response(&cli, tv_u1, sizeof(tv_u1), TV_TIME),
             DNS_TSIG_UNSIGNED);
    CHECK_EQ(dns_tsig_verify_response(&cli, tv_u2, sizeof(tv_u2), TV_TIME),
             DNS_TSIG_VERIFIED);
    /* The middle message changed: the third MAC no longer matches. */
    memcpy(u1, tv_u1, sizeof(u1));
    u1[sizeof(u1) - 1] ^= 1;
    n = strip(tv_q_sha256, sizeof(tv_q_sha256), q);
    REQUIRE(dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME) != 0);
    CHECK_EQ(dns_tsig_verify_response(&cli, tv_u0, sizeof(tv_u0), TV_TIME),
             DNS_TSIG_VERIFIED);
    CHECK_EQ(dns_tsig_verify_response(&cli, u1, sizeof(u1), TV_TIME),
             DNS_TSIG_UNSIGNED);
    CHECK_EQ(dns_tsig_verify_response(&cli, tv_u2, sizeof(tv_u2), TV_TIME),
             TB_EPERM);
    CHECK_EQ(cli.error, DNS_TSIG_BADSIG);
    /* The first response unsigned: refused. */
    n = strip(tv_q_sha256, sizeof(tv_q_sha256), q);
    REQUIRE(dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME) != 0);
    CHECK_EQ(dns_tsig_verify_response(&cli, tv_u1, sizeof(tv_u1), TV_TIME),
             TB_EPERM);
    /* 99 unsigned in a row are accepted, the 100th is not. */
    n = strip(tv_q_sha256, sizeof(tv_q_sha256), q);
    REQUIRE(dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME) != 0);
    CHECK_EQ(dns_tsig_verify_response(&cli, tv_u0, sizeof(tv_u0), TV_TIME),
             DNS_TSIG_VERIFIED);
    int unsigned_ok = 0;
    for (int i = 0; i < DNS_TSIG_UNSIGNED_MAX; i++)
        unsigned_ok += dns_tsig_verify_response(&cli, tv_u1, sizeof(tv_u1),
                                                TV_TIME) == DNS_TSIG_UNSIGNED;
    CHECK_EQ(unsigned_ok, DNS_TSIG_UNSIGNED_MAX);
    CHECK_EQ(dns_tsig_verify_response(&cli, tv_u1, sizeof(tv_u1), TV_TIME),
             TB_EPERM);
}

/* A writable copy of the sha256 request and its TSIG fields. */
struct req {
    uint8_t m[1024];
    size_t len, off, mac; /* mac: offset of the MAC size field */
};

static void req_init(struct req *r)
{
    size_t alg;
    memcpy(r->m, tv_q_sha256, sizeof(tv_q_sha256));
    r->len = sizeof(tv_q_sha256);
    r->off = tsig_at(r->m, r->len);
    alg = r->off + sizeof(keyname) + 10;
    r->mac = alg + 13 + 8; /* "\x0bhmac-sha256\0" + time + fudge */
}

/* Shortens the request's MAC to (n) bytes (a truncated MAC). */
static void req_truncate(struct req *r, size_t n)
{
    size_t old = tb_get16(r->m + r->mac), rd = r->off + sizeof(keyname) + 8;
    uint8_t *tail = r->m + r->mac + 2 + old;
    memmove(r->m + r->mac + 2 + n, tail, 6);
    tb_put16(r->m + r->mac, (uint16_t)n);
    tb_put16(r->m + rd, (uint16_t)(tb_get16(r->m + rd) - (old - n)));
    r->len -= old - n;
}

static void request_errors(void)
{
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256), other;
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx ctx;
    struct req r;

    dns_tsig_keyring_init(&kr, &k, 1);
    req_init(&r);
    /* Time: inside the fudge on both sides, then outside. */
    CHECK_EQ(
        dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME + 300, &ctx),
        0);
    CHECK_EQ(ctx.error, 0);
    CHECK_EQ(
        dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME - 300, &ctx),
        0);
    CHECK_EQ(ctx.error, 0);
    CHECK_EQ(
        dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME + 301, &ctx),
        0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADTIME);
    CHECK(ctx.key == &k); /* BADTIME only after the MAC checked out */
    CHECK_EQ(
        dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME - 301, &ctx),
        0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADTIME);
    /* No such key; the key under another algorithm. */
    dns_tsig_keyring_init(&kr, &k, 0);
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADKEY);
    CHECK(ctx.key == NULL);
    other = key_of(DNS_TSIG_HMAC_SHA512);
    dns_tsig_keyring_init(&kr, &other, 1);
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADKEY);
    /* Same name and algorithm, another secret: BADSIG. */
    REQUIRE(dns_tsig_key_init(&other, keyname, sizeof(keyname),
                              DNS_TSIG_HMAC_SHA256, (const uint8_t *)"x",
                              1) == 0);
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADSIG);
    /* A changed message byte, a changed MAC byte, a changed time (even
     * when the clock agrees with it): BADSIG. */
    dns_tsig_keyring_init(&kr, &k, 1);
    r.m[13] ^= 0x20; /* the qname's case is signed too */
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADSIG);
    req_init(&r);
    r.m[r.mac + 2] ^= 1;
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADSIG);
    req_init(&r);
    r.m[r.mac - 3] ^= 1; /* time signed, low byte */
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME + 1, &ctx),
             0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADSIG);
    /* Key names match in any case. */
    req_init(&r);
    r.m[r.off + 1] = 'T';
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, 0);
}

/* RFC 8945 5.2.2.1 and 5.2.4: truncated MACs. */
static void truncation(void)
{
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256);
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx ctx;
    struct req r;

    dns_tsig_keyring_init(&kr, &k, 1);
    /* 16 bytes (half of SHA-256): valid, but under our policy: BADTRUNC. */
    req_init(&r);
    req_truncate(&r, 16);
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADTRUNC);
    CHECK_EQ(ctx.mac_len, 16);
    /* Policy lowered to 16: accepted; 15 is under the RFC's floor. */
    k.min_mac = 16;
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, 0);
    /* A wrong truncated MAC is still BADSIG. */
    r.m[r.mac + 2 + 15] ^= 0x80;
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, DNS_TSIG_BADSIG);
    req_init(&r);
    req_truncate(&r, 15);
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx),
             TB_EMALF);
    req_init(&r);
    req_truncate(&r, 0);
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx),
             TB_EMALF);
    /* hmac-md5: the floor is 10 bytes, not 8. */
    struct dns_tsig_key m5 = key_of(DNS_TSIG_HMAC_MD5);
    dns_tsig_keyring_init(&kr, &m5, 1);
    m5.min_mac = 10;
    memcpy(r.m, tv_q_md5, sizeof(tv_q_md5));
    r.len = sizeof(tv_q_md5);
    r.off = tsig_at(r.m, r.len);
    r.mac = r.off + sizeof(keyname) + 10 + 26 + 8;
    CHECK_EQ(tb_get16(r.m + r.mac), 16);
    req_truncate(&r, 10);
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx), 0);
    CHECK_EQ(ctx.error, 0);
    req_truncate(&r, 9);
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx),
             TB_EMALF);
}

static void malformed(void)
{
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256);
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx ctx;
    struct req r;
    size_t off;

    dns_tsig_keyring_init(&kr, &k, 1);
    /* MAC size over the hash length. */
    req_init(&r);
    tb_put16(r.m + r.mac, 33);
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx),
             TB_EMALF);
    /* Class, TTL, RDLENGTH, other length wrong; trailing bytes. */
    req_init(&r);
    r.m[r.off + sizeof(keyname) + 3] = 1; /* class */
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx),
             TB_EMALF);
    req_init(&r);
    r.m[r.off + sizeof(keyname) + 7] = 1; /* TTL */
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx),
             TB_EMALF);
    req_init(&r);
    r.m[r.len - 1] = 1; /* other length 1, no data */
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len, r.off, TV_TIME, &ctx),
             TB_EMALF);
    req_init(&r);
    r.m[r.len] = 0;
    CHECK_EQ(dns_tsig_verify_request(&kr, r.m, r.len + 1, r.off, TV_TIME, &ctx),
             TB_EMALF);
    /* Truncated anywhere: never a read past the end, never accepted. */
    req_init(&r);
    for (size_t n = DNS_HDR_LEN; n < r.len; n++) {
        int rc = dns_tsig_find(r.m, n, &off);
        CHECK(rc != 0 ||
              dns_tsig_verify_request(&kr, r.m, n, off, TV_TIME, &ctx) != 0 ||
              ctx.error != 0);
    }
    /* Not the last RR: not found. */
    uint8_t m[64];
    size_t n =
        ta_query(m, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    CHECK_EQ(dns_tsig_find(m, n, &off), TB_ENOENT);
    m[11] = 2;
    CHECK_EQ(dns_tsig_find(m, n, &off), TB_EMALF);
}

/* ---- the service core's path ---------------------------------------- */

static const char *const zone[] = {
    "@ 3600 SOA ns1 host 1 7200 3600 1209600 300", "@ 3600 NS ns1",
    "ns1 3600 A 192.0.2.1", "www 3600 A 192.0.2.80", NULL};

static struct dns_zoneset *zs;
static uint8_t *blob;

static void setup(void)
{
    const void *b[1];
    size_t l[1];

    blob = ta_zone("example.com.", zone, &l[0]);
    b[0] = blob;
    if (dns_zoneset_build(&zs, b, l, 1, NULL, &ta) != 0)
        abort();
}

static void answer(void)
{
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256);
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx cli;
    struct dns_auth_stats st = {0};
    uint8_t q[512], resp[1024];
    char text[2048];
    size_t n, len;

    dns_tsig_keyring_init(&kr, &k, 1);
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    REQUIRE(n != 0);
    len =
        kr.answer(&kr, zs, q, n, resp, sizeof(resp), 0, NULL, TV_TIME + 5, &st);
    REQUIRE(len != 0);
    CHECK(ta_print(resp, len, text, sizeof(text)));
    CHECK(strstr(text, "NOERROR aa qd=1 an=1 ns=0 ar=2") != NULL);
    CHECK(strstr(text, "192.0.2.80") != NULL);
    CHECK_EQ(dns_tsig_verify_response(&cli, resp, len, TV_TIME + 6),
             DNS_TSIG_VERIFIED);
    /* The same over TCP, without EDNS. */
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    len = kr.answer(&kr, zs, q, n, resp, sizeof(resp), DNS_AUTH_TCP, NULL,
                    TV_TIME - 5, &st);
    CHECK(ta_print(resp, len, text, sizeof(text)));
    CHECK(strstr(text, "NOERROR aa qd=1 an=1 ns=0 ar=1") != NULL);
    CHECK_EQ(dns_tsig_verify_response(&cli, resp, len, TV_TIME),
             DNS_TSIG_VERIFIED);
    /* Unsigned queries are the engine's: untouched. */
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    len = kr.answer(&kr, zs, q, n, resp, sizeof(resp), 0, NULL, TV_TIME, &st);
    CHECK(ta_print(resp, len, text, sizeof(text)));
    CHECK(strstr(text, "NOERROR aa qd=1 an=1 ns=0 ar=0") != NULL);
}

/* The TSIG RR of response (r, len): error and MAC size. */
static void resp_tsig(const uint8_t *r, size_t len, uint16_t *error,
                      uint16_t *mac_len, uint16_t *other_len)
{
    size_t off = tsig_at(r, len), p = off;
    while (r[p] != 0)
        p += r[p] + 1u;
    p += 11; /* root, type, class, TTL, RDLENGTH */
    while (r[p] != 0)
        p += r[p] + 1u;
    p += 1 + 8;
    *mac_len = tb_get16(r + p);
    p += 2 + *mac_len + 2;
    *error = tb_get16(r + p);
    *other_len = tb_get16(r + p + 2);
}

static void answer_errors(void)
{
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256), bad;
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx cli;
    struct dns_auth_stats st = {0};
    uint8_t q[512], resp[1024];
    uint16_t err, mac, other;
    size_t n, len;

    dns_tsig_keyring_init(&kr, &k, 1);
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    /* BADTIME: NOTAUTH, signed, our time in Other Data; the client sees
     * the peer's error. */
    len = kr.answer(&kr, zs, q, n, resp, sizeof(resp), 0, NULL, TV_TIME + 1000,
                    &st);
    REQUIRE(len > DNS_HDR_LEN);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_NOTAUTH);
    CHECK_EQ(tb_get16(resp + 6), 0);
    resp_tsig(resp, len, &err, &mac, &other);
    CHECK_EQ(err, DNS_TSIG_BADTIME);
    CHECK_EQ(mac, 32);
    CHECK_EQ(other, 6);
    CHECK_EQ(tb_get32(resp + len - 4), (uint32_t)(TV_TIME + 1000));
    CHECK_EQ(dns_tsig_verify_response(&cli, resp, len, TV_TIME), TB_EPERM);
    CHECK_EQ(cli.error, DNS_TSIG_BADTIME);
    /* BADSIG (another secret): NOTAUTH, unsigned. */
    REQUIRE(dns_tsig_key_init(&bad, keyname, sizeof(keyname),
                              DNS_TSIG_HMAC_SHA256, (const uint8_t *)"wrong",
                              5) == 0);
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    n = dns_tsig_sign_request(&cli, &bad, q, n, sizeof(q), TV_TIME);
    len = kr.answer(&kr, zs, q, n, resp, sizeof(resp), 0, NULL, TV_TIME, &st);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_NOTAUTH);
    resp_tsig(resp, len, &err, &mac, &other);
    CHECK_EQ(err, DNS_TSIG_BADSIG);
    CHECK_EQ(mac, 0);
    CHECK_EQ(dns_tsig_verify_response(&cli, resp, len, TV_TIME), TB_EPERM);
    CHECK_EQ(cli.error, DNS_TSIG_BADSIG);
    /* BADKEY (unknown name): NOTAUTH, unsigned, the name echoed. */
    REQUIRE(dns_tsig_key_init(&bad, (const uint8_t *)"\x05other", 7,
                              DNS_TSIG_HMAC_SHA256, tv_secret, 32) == 0);
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    n = dns_tsig_sign_request(&cli, &bad, q, n, sizeof(q), TV_TIME);
    len = kr.answer(&kr, zs, q, n, resp, sizeof(resp), 0, NULL, TV_TIME, &st);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_NOTAUTH);
    resp_tsig(resp, len, &err, &mac, &other);
    CHECK_EQ(err, DNS_TSIG_BADKEY);
    CHECK_EQ(mac, 0);
    CHECK(memmem(resp, len, "\x05other", 7) != NULL);
    /* FORMERR for a MAC size under the floor, without a TSIG. */
    struct req r;
    req_init(&r);
    req_truncate(&r, 8);
    len = kr.answer(&kr, zs, r.m, r.len, resp, sizeof(resp), 0, NULL, TV_TIME,
                    &st);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_FORMERR);
    CHECK_EQ(tb_get16(resp + 10), 0);
    CHECK_EQ(tb_get16(resp + 4), 1);
}

/* Through the service core: a published key set, UDP and TCP; the
 * wall clock from the driver's offset. */
static void service_core(void)
{
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256);
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx cli;
    struct dns_srv_conf conf = {0};
    struct dns_srv s;
    struct dns_tcp t;
    static uint8_t rbuf[DNS_TCP_RBUF], wbuf[DNS_TCP_WBUF];
    uint8_t q[512], resp[1232], *p;
    const uint8_t *out;
    const uint64_t now = 5000000000ull; /* monotonic: 5 s */
    size_t n, len;

    dns_tsig_keyring_init(&kr, &k, 1);
    dns_srv_init(&s, zs, &conf);
    s.keys = &kr;
    s.wall_off_ns = (int64_t)(TV_TIME * 1000000000ull - now);
    /* A plain query: the engine's answer, as without keys. */
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    len = dns_srv_udp(&s, NULL, q, n, resp, sizeof(resp), now);
    CHECK(len > n && tb_get16(resp + 10) == 1);
    /* Signed: answered and signed at the wall-clock time. */
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    len = dns_srv_udp(&s, NULL, q, n, resp, sizeof(resp), now + 1000000000);
    REQUIRE(len != 0);
    CHECK_EQ(dns_tsig_verify_response(&cli, resp, len, TV_TIME),
             DNS_TSIG_VERIFIED);
    /* Ten minutes later by the driver's clock: BADTIME. */
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    len = dns_srv_udp(&s, NULL, q, n, resp, sizeof(resp),
                      now + 600 * 1000000000ull);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_NOTAUTH);
    CHECK_EQ(dns_tsig_verify_response(&cli, resp, len, TV_TIME), TB_EPERM);
    CHECK_EQ(cli.error, DNS_TSIG_BADTIME);
    /* TCP: two pipelined signed queries, each answer verified. */
    dns_tcp_open(&t, &s, NULL, rbuf, wbuf, now);
    struct dns_tsig_ctx c2;
    uint8_t q2[512];
    size_t n2 =
        ta_query(q2, "ns1.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    n2 = dns_tsig_sign_request(&c2, &k, q2, n2, sizeof(q2), TV_TIME);
    REQUIRE(dns_tcp_rspace(&t, &p) >= 4 + n + n2);
    tb_put16(p, (uint16_t)n);
    memcpy(p + 2, q, n);
    tb_put16(p + 2 + n, (uint16_t)n2);
    memcpy(p + 4 + n, q2, n2);
    dns_tcp_received(&t, 4 + n + n2, now);
    len = dns_tcp_output(&t, &out);
    REQUIRE(len > 4);
    size_t l1 = tb_get16(out);
    REQUIRE(l1 + 4 < len);
    CHECK_EQ(dns_tsig_verify_response(&cli, out + 2, l1, TV_TIME),
             DNS_TSIG_VERIFIED);
    CHECK_EQ(dns_tsig_verify_response(&c2, out + 4 + l1, tb_get16(out + 2 + l1),
                                      TV_TIME),
             DNS_TSIG_VERIFIED);
    /* Without keys published: the engine's BADKEY, as before. */
    s.keys = NULL;
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    len = dns_srv_udp(&s, NULL, q, n, resp, sizeof(resp), now);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_NOTAUTH);
    CHECK_EQ(dns_tsig_verify_response(&cli, resp, len, TV_TIME), TB_EPERM);
    CHECK_EQ(cli.error, DNS_TSIG_BADKEY);
}

/* Appends an 8-byte client cookie option to query (q, n) that ends with
 * its bare OPT RR; returns the new length. */
static size_t add_cookie(uint8_t *q, size_t n, const uint8_t *cc)
{
    tb_put16(q + n - 2, 12);
    tb_put16(q + n, 10); /* COOKIE */
    tb_put16(q + n + 2, 8);
    memcpy(q + n + 4, cc, 8);
    return n + 12;
}

/* True if (resp, len) carries a COOKIE option: (cc) and a 16-byte server
 * cookie. */
static bool has_cookie(const uint8_t *resp, size_t len, const uint8_t *cc)
{
    for (size_t i = DNS_HDR_LEN; i + 12 <= len; i++)
        if (tb_get16(resp + i) == 10 && tb_get16(resp + i + 2) == 24 &&
            memcmp(resp + i + 4, cc, 8) == 0)
            return true;
    return false;
}

/* DNS Cookies beside a key set: an unsigned query with a COOKIE option
 * (which takes the keyed path: it is not a lone bare OPT) and a signed
 * one both get our server cookie, the signed one signed. */
static void cookies_with_keys(void)
{
    static const uint8_t secret[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static const uint8_t cc[8] = {0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7};
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256);
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx cli;
    struct dns_srv_conf conf = {0};
    struct dns_cookie ck;
    struct dns_srv s;
    struct tb_addr peer = {.af = TB_AF_INET,
                           .port = 5353,
                           .ip = {127, 0, 0, 1}};
    uint8_t q[512], resp[1232];
    const uint64_t now = 5000000000ull;
    size_t n, len;

    dns_tsig_keyring_init(&kr, &k, 1);
    dns_srv_init(&s, zs, &conf);
    s.keys = &kr;
    s.wall_off_ns = (int64_t)(TV_TIME * 1000000000ull - now);
    dns_cookie_init(&ck, secret, s.wall_off_ns, false);
    s.cookie = &ck;
    n = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    n = add_cookie(q, n, cc);
    len = dns_srv_udp(&s, &peer, q, n, resp, sizeof(resp), now);
    REQUIRE(len > n);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_NOERROR);
    CHECK(has_cookie(resp, len, cc));
    CHECK_EQ(s.st.cookie_new, 1);
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    len = dns_srv_udp(&s, &peer, q, n, resp, sizeof(resp), now);
    REQUIRE(len > n);
    CHECK(has_cookie(resp, len, cc));
    CHECK_EQ(dns_tsig_verify_response(&cli, resp, len, TV_TIME),
             DNS_TSIG_VERIFIED);
    CHECK_EQ(s.st.cookie_new, 2);
}

/* Reads every framed message the session has produced into (cli)'s
 * verification; returns how many verified (-1 on the first failure),
 * and the RCODE of the last in (*rcode). */
static int drain_verify(struct dns_tcp *t, struct dns_tsig_ctx *cli,
                        uint64_t now, int *rcode, unsigned *unsigned_msgs)
{
    const uint8_t *out;
    size_t n;
    int ok = 0;

    for (int round = 0; round < 1000 && (n = dns_tcp_output(t, &out)) > 0;
         round++) {
        size_t p = 0;
        while (n - p >= 2 && n - p - 2 >= tb_get16(out + p)) {
            size_t l = tb_get16(out + p);
            int r = dns_tsig_verify_response(cli, out + p + 2, l, TV_TIME);
            *rcode = out[p + 2 + 3] & 0xf;
            if (r == DNS_TSIG_UNSIGNED)
                (*unsigned_msgs)++;
            else if (r != DNS_TSIG_VERIFIED)
                return -1;
            ok++;
            p += 2 + l;
        }
        dns_tcp_sent(t, p, now);
    }
    return ok;
}

/* Outgoing AXFR (xfr.c): a signed request verified, every message of the
 * stream signed (RFC 8945 5.3.1); allow-transfer entries naming a key. */
static void signed_axfr(void)
{
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256), other;
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx cli;
    struct dns_srv_conf conf = {0};
    struct dns_zone_src z;
    struct tb_buf out;
    uint8_t o[256], *p, q[512];
    char line[96];
    const void *b[1];
    size_t l[1], n;
    struct dns_zoneset *xzs;
    struct dns_srv s;
    struct dns_tcp t;
    static uint8_t rbuf[DNS_TCP_RBUF], wbuf[DNS_TCP_WBUF];
    const uint64_t now = 5000000000ull;
    struct tb_addr from = {.af = TB_AF_INET,
                           .port = 4000,
                           .ip = {127, 0, 0, 1}};
    int rcode = -1, msgs;
    unsigned uns = 0;

    /* A zone of 3,000 names: several messages. */
    ta_name("example.com.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    for (size_t i = 0; zone[i] != NULL; i++)
        ta_rr(&z, zone[i]);
    for (unsigned i = 0; i < 3000; i++) {
        snprintf(line, sizeof(line), "h%u 300 A 10.0.%u.%u", i, i >> 8 & 255,
                 i & 255);
        ta_rr(&z, line);
    }
    tb_buf_init(&out, &ta);
    REQUIRE(dns_zone_compile_flags(&z, &out, NULL, DNS_ZONE_COMPILE_RECORDS) ==
            0);
    dns_zone_src_free(&z);
    b[0] = out.data;
    l[0] = out.len;
    REQUIRE(dns_zoneset_build(&xzs, b, l, 1, NULL, &ta) == 0);
    /* 127.0.0.0/8 with the key; 192.0.2.0/24 without one. */
    struct dns_acl acl[2] = {
        {.addr = {.af = TB_AF_INET, .ip = {127}}, .plen = 8, .key = k.name},
        {.addr = {.af = TB_AF_INET, .ip = {192, 0, 2}}, .plen = 24}};
    struct dns_xfr_zone xz = {.allow = acl, .nallow = 2};
    memcpy(xz.origin, o, sizeof(o));
    struct dns_xfr_conf xc = {.zones = &xz, .n = 1};
    dns_tsig_keyring_init(&kr, &k, 1);
    dns_srv_init(&s, xzs, &conf);
    s.xfr = &xc;
    s.keys = &kr;
    s.wall_off_ns = (int64_t)(TV_TIME * 1000000000ull - now);

    /* Signed with the key: every message verifies. */
    n = ta_query(q, "example.com.", DNS_TYPE_AXFR, DNS_CLASS_IN, -1, false);
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    dns_tcp_open(&t, &s, &from, rbuf, wbuf, now);
    REQUIRE(dns_tcp_rspace(&t, &p) > n + 2);
    tb_put16(p, (uint16_t)n);
    memcpy(p + 2, q, n);
    dns_tcp_received(&t, n + 2, now);
    msgs = drain_verify(&t, &cli, now, &rcode, &uns);
    CHECK(msgs >= 3);
    CHECK_EQ(uns, 0);
    CHECK_EQ(rcode, 0);
    CHECK_EQ(s.st.xfr_axfr, 1);
    CHECK_EQ(cli.nmsg, (unsigned)msgs);
    /* Unsigned from 127.0.0.1: the entry needs the key: REFUSED. */
    dns_tcp_open(&t, &s, &from, rbuf, wbuf, now);
    n = ta_query(q, "example.com.", DNS_TYPE_AXFR, DNS_CLASS_IN, -1, false);
    REQUIRE(dns_tcp_rspace(&t, &p) > n + 2);
    tb_put16(p, (uint16_t)n);
    memcpy(p + 2, q, n);
    dns_tcp_received(&t, n + 2, now);
    const uint8_t *r;
    REQUIRE(dns_tcp_output(&t, &r) > 14);
    CHECK_EQ(r[2 + 3] & 0xf, DNS_RCODE_REFUSED);
    /* Signed with a wrong secret: NOTAUTH/BADSIG from the engine's path. */
    REQUIRE(dns_tsig_key_init(&other, keyname, sizeof(keyname),
                              DNS_TSIG_HMAC_SHA256, (const uint8_t *)"x",
                              1) == 0);
    dns_tcp_open(&t, &s, &from, rbuf, wbuf, now);
    n = ta_query(q, "example.com.", DNS_TYPE_AXFR, DNS_CLASS_IN, -1, false);
    n = dns_tsig_sign_request(&cli, &other, q, n, sizeof(q), TV_TIME);
    REQUIRE(dns_tcp_rspace(&t, &p) > n + 2);
    tb_put16(p, (uint16_t)n);
    memcpy(p + 2, q, n);
    dns_tcp_received(&t, n + 2, now);
    REQUIRE(dns_tcp_output(&t, &r) > 14);
    CHECK_EQ(r[2 + 3] & 0xf, DNS_RCODE_NOTAUTH);
    CHECK_EQ(dns_tsig_verify_response(&cli, r + 2, tb_get16(r), TV_TIME),
             TB_EPERM);
    CHECK_EQ(cli.error, DNS_TSIG_BADSIG);
    /* Signed from 192.0.2.9 (entry without a key): signed stream too. */
    struct tb_addr doc = {.af = TB_AF_INET, .ip = {192, 0, 2, 9}};
    dns_tcp_open(&t, &s, &doc, rbuf, wbuf, now);
    n = ta_query(q, "example.com.", DNS_TYPE_AXFR, DNS_CLASS_IN, 1232, false);
    n = dns_tsig_sign_request(&cli, &k, q, n, sizeof(q), TV_TIME);
    REQUIRE(dns_tcp_rspace(&t, &p) > n + 2);
    tb_put16(p, (uint16_t)n);
    memcpy(p + 2, q, n);
    dns_tcp_received(&t, n + 2, now);
    uns = 0;
    CHECK_EQ(drain_verify(&t, &cli, now, &rcode, &uns), msgs);
    CHECK_EQ(rcode, 0);
    dns_zoneset_free(xzs, &ta);
    tb_buf_free(&out);
}

static void base64(void)
{
    uint8_t out[64];

    CHECK_EQ(tb_base64_decode("", 0, out, sizeof(out)), 0);
    CHECK_EQ(tb_base64_decode("Zg==", 4, out, sizeof(out)), 1);
    CHECK_EQ(out[0], 'f');
    CHECK_EQ(tb_base64_decode("Zm8=", 4, out, sizeof(out)), 2);
    CHECK_EQ(tb_base64_decode("Zm9v", 4, out, sizeof(out)), 3);
    CHECK_MEM(out, "foo", 3);
    CHECK_EQ(tb_base64_decode(" Zm9v\r\nYmFy\t", 12, out, sizeof(out)), 6);
    CHECK_MEM(out, "foobar", 6);
    CHECK_EQ(tb_base64_decode("Zm9vYg", 6, out, sizeof(out)), TB_EMALF);
    CHECK_EQ(tb_base64_decode("Zm9vY===", 8, out, sizeof(out)), TB_EMALF);
    CHECK_EQ(tb_base64_decode("Zg==Zg==", 8, out, sizeof(out)), TB_EMALF);
    CHECK_EQ(tb_base64_decode("Z=g=", 4, out, sizeof(out)), TB_EMALF);
    CHECK_EQ(tb_base64_decode("Zm9v!", 5, out, sizeof(out)), TB_EMALF);
    CHECK_EQ(tb_base64_decode("Zm9v", 4, out, 2), TB_ESPACE);
    CHECK_EQ(tb_base64_decode("Zg==", 4, out, 1), 1);
    CHECK_EQ(tb_base64_decode("Zg==", 4, out, 0), TB_ESPACE);
}

/* NOTIFY out to a keyed target (lib/dns/notify.c): the NOTIFY is signed
 * and verifies as a request; only a response signed with the key acks
 * it (unsigned, or signed with another key: ignored, sent again); with
 * no way to sign, nothing is sent and the target fails. */
static void signed_notify(void)
{
    static const uint8_t soa[] =
        "\x03ns1\x07"
        "example\x00\x0ahostmaster\x07"
        "example\x00"
        "\x00\x00\x00\x07\x00\x00\x0e\x10\x00\x00\x03\x84"
        "\x00\x09\x3a\x80\x00\x00\x00\x3c";
    struct dns_tsig_key k = key_of(DNS_TSIG_HMAC_SHA256), other;
    struct dns_tsig_keyring kr;
    struct dns_tsig_ctx cctx, sctx;
    struct dns_notify n;
    struct tb_addr to, peer = {.af = TB_AF_INET, .port = 53};
    uint8_t out[1024], resp[1024], on[16];
    size_t len, rlen, off;
    uint64_t now = 5 * 1000000000ull;

    peer.ip[0] = 192, peer.ip[3] = 1;
    ta_name("example.", NULL, on);
    REQUIRE(dns_notify_init(&n, on, &peer, 1, 7) == 0);
    n.tsig_sign = dns_tsig_sign_request;
    n.tsig_verify = dns_tsig_verify_response;
    n.unix_offset_s = 1700000000;
    REQUIRE(dns_notify_key(&n, 0, &k, &cctx) == 0);
    CHECK_EQ(dns_notify_key(&n, 1, &k, &cctx), TB_EINVAL);
    REQUIRE(dns_notify_start(&n, soa, sizeof(soa) - 1, 3600, now) == 0);
    len = dns_notify_poll(&n, now, &to, out, sizeof(out));
    REQUIRE(len != 0);
    /* The secondary's view: a request signed with the key. */
    dns_tsig_keyring_init(&kr, &k, 1);
    REQUIRE(dns_tsig_find(out, len, &off) == 0);
    REQUIRE(dns_tsig_verify_request(&kr, out, len, off, 1700000005, &sctx) ==
            0);
    CHECK_EQ(sctx.error, 0);
    /* An unsigned response: ignored. */
    memcpy(resp, out, off);
    resp[2] |= 0x80; /* QR */
    tb_put16(resp + 10, 0); /* ARCOUNT: the TSIG is gone */
    CHECK(!dns_notify_input(&n, &peer, resp, off));
    CHECK(dns_notify_busy(&n));
    /* Signed with the key: acknowledged. */
    rlen = dns_tsig_sign(&sctx, resp, off, sizeof(resp), 1700000005);
    REQUIRE(rlen != 0);
    CHECK(dns_notify_input(&n, &peer, resp, rlen));
    CHECK_EQ(n.t[0].state, DNS_NOTIFY_ACKED);
    /* Signed with another key: not an answer. */
    REQUIRE(dns_notify_start(&n, soa, sizeof(soa) - 1, 3600, now) == 0);
    len = dns_notify_poll(&n, now, &to, out, sizeof(out));
    REQUIRE(len != 0 && dns_tsig_find(out, len, &off) == 0);
    other = key_of(DNS_TSIG_HMAC_SHA512);
    dns_tsig_keyring_init(&kr, &other, 1);
    dns_tsig_verify_request(&kr, out, len, off, 1700000005, &sctx);
    CHECK(sctx.error != 0); /* BADKEY: the secondary does not know it */
    memcpy(resp, out, off);
    resp[2] |= 0x80;
    tb_put16(resp + 10, 0);
    rlen = dns_tsig_sign(&sctx, resp, off, sizeof(resp), 1700000005);
    CHECK(!dns_notify_input(&n, &peer, resp, rlen));
    CHECK(dns_notify_busy(&n));
    /* No signing function: nothing goes out, the target fails. */
    n.tsig_sign = NULL;
    REQUIRE(dns_notify_start(&n, soa, sizeof(soa) - 1, 3600, now) == 0);
    CHECK_EQ(dns_notify_poll(&n, now, &to, out, sizeof(out)), 0);
    CHECK_EQ(n.t[0].state, DNS_NOTIFY_FAILED);
}

int main(void)
{
    setup();
    RUN(algorithms);
    RUN(request_vectors);
    RUN(stream_vectors);
    RUN(stream_unsigned);
    RUN(request_errors);
    RUN(truncation);
    RUN(malformed);
    RUN(answer);
    RUN(answer_errors);
    RUN(service_core);
    RUN(cookies_with_keys);
    RUN(signed_axfr);
    RUN(base64);
    RUN(signed_notify);
    dns_zoneset_free(zs, &ta);
    free(blob);
    return check_done();
}
