/*
 * test_cookie.c -- DNS Cookies: SipHash-2-4 (lib/base/siphash.c) against
 * the paper's vectors and libsodium, RFC 9018's Appendix A vectors
 * (lib/dns/cookie.c), the lifetime window in serial arithmetic, and the
 * protocol through the service core (lib/dns/srv.c -> auth.c) with a fake
 * clock and fake peers: client cookie only, valid (echoed, refreshed),
 * invalid, malformed (FORMERR), cookies-require (BADCOOKIE over UDP, not
 * over TCP), QDCOUNT 0 (RFC 7873 5.4), cookies off, the counters, and a
 * client with a valid cookie never rate-limited by RRL.
 */
#include "check.h"
#include "test_auth_util.h"
#include <tibra/dns/srv.h>

#define SEC 1000000000ull

/* libsodium's SipHash-2-4, when the test is linked with it (mk/cookie.mk). */
extern int
crypto_shorthash_siphash24(unsigned char *out, const unsigned char *in,
                           unsigned long long inlen, const unsigned char *k)
    __attribute__((weak));

static void hex(const char *s, uint8_t *out, size_t n)
{
    if (strlen(s) != 2 * n || tb_hex_decode(s, 2 * n, out, n) != (int)n)
        abort();
}

static struct tb_addr ip(const char *text)
{
    struct tb_addr a = {.port = 5353};

    if (inet_pton(AF_INET, text, a.ip) == 1)
        a.af = TB_AF_INET;
    else if (inet_pton(AF_INET6, text, a.ip) == 1)
        a.af = TB_AF_INET6;
    else
        abort();
    return a;
}

/* ---- SipHash-2-4 ---------------------------------------------------- */

static void test_siphash_vectors(void)
{
    uint8_t key[16], msg[64];

    for (unsigned i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (unsigned i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    /* The paper's vectors (key 00..0f, message 00..n-1), Appendix A, and
     * the reference vectors.h: n = 0, 1, 15. */
    CHECK_EQ(tb_siphash24(key, msg, 0), 0x726fdb47dd0e0e31ull);
    CHECK_EQ(tb_siphash24(key, msg, 1), 0x74f839c593dc67fdull);
    CHECK_EQ(tb_siphash24(key, msg, 15), 0xa129ca6149be45e5ull);
}

static void test_siphash_libsodium(void)
{
    uint8_t key[16], msg[200], out[8];
    uint64_t x = 0x0123456789abcdefull;

    if (crypto_shorthash_siphash24 == NULL) {
        printf("SKIP siphash_libsodium: not linked with libsodium\n");
        return;
    }
    for (unsigned i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (unsigned round = 0; round < 64; round++) {
        for (unsigned n = 0; n < sizeof(msg); n++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            msg[n] = (uint8_t)(x >> 56);
        }
        for (size_t n = 0; n <= sizeof(msg); n++) {
            uint64_t want = 0;
            crypto_shorthash_siphash24(out, msg, n, key);
            for (unsigned i = 0; i < 8; i++)
                want |= (uint64_t)out[i] << (8 * i);
            if (tb_siphash24(key, msg, n) != want) {
                CHECK_EQ(tb_siphash24(key, msg, n), want);
                return;
            }
        }
        memcpy(key, msg + 100, 16); /* another key each round */
    }
    CHECK(true);
}

/* ---- RFC 9018 Appendix A -------------------------------------------- */

/* A context whose wall clock reads (wall) seconds at monotonic 0. */
static struct dns_cookie ctx(const char *secret, uint32_t wall, bool require)
{
    struct dns_cookie c;
    uint8_t s[16];

    hex(secret, s, 16);
    dns_cookie_init(&c, s, (int64_t)wall * (int64_t)SEC, require);
    return c;
}

static enum dns_cookie_res check_hex(const struct dns_cookie *c,
                                     const char *peer, uint64_t now,
                                     const char *opt, char *out_hex)
{
    uint8_t o[40], out[24];
    size_t n = strlen(opt) / 2;
    struct tb_addr a = ip(peer);
    enum dns_cookie_res r;

    hex(opt, o, n);
    memset(out, 0xee, sizeof(out));
    r = dns_cookie_check(c, &a, now, o, n, out);
    for (unsigned i = 0; i < 24; i++)
        sprintf(out_hex + 2 * i, "%02x", out[i]);
    return r;
}

static void test_rfc9018_vectors(void)
{
    const char *s1 = "e5e973e5a6b2a43f48e7dc849e37bfcf";
    struct dns_cookie c;
    uint8_t sec[16], cl[8], out[16];
    struct tb_addr a = ip("198.51.100.100");
    char h[64];

    /* A.1: a new server cookie. */
    hex(s1, sec, 16);
    hex("2464c4abcf10c957", cl, 8);
    dns_cookie_make(sec, cl, &a, 1559731985, out);
    for (unsigned i = 0; i < 16; i++)
        sprintf(h + 2 * i, "%02x", out[i]);
    CHECK_STR(h, "010000005cf79f111f8130c3eee29480");
    c = ctx(s1, 1559731985, false);
    CHECK_EQ(check_hex(&c, "198.51.100.100", 0, "2464c4abcf10c957", h),
             DNS_COOKIE_NEW);
    CHECK_STR(h, "2464c4abcf10c957010000005cf79f111f8130c3eee29480");
    /* A.2: 40 minutes later the same client is valid and gets a fresh
     * cookie (older than half an hour). */
    c = ctx(s1, 1559734385, false);
    CHECK_EQ(check_hex(&c, "198.51.100.100", 0,
                       "2464c4abcf10c957010000005cf79f111f8130c3eee29480", h),
             DNS_COOKIE_VALID);
    CHECK_STR(h, "2464c4abcf10c957010000005cf7a871d4a564a1442aca77");
    /* A.3: another client, whose cookie has reserved bytes set (part of
     * the hash).  At the example's time it is 1h56m old, past our
     * lifetime: a new one; 100 s after it was made, valid and echoed. */
    c = ctx(s1, 1559734700, false);
    CHECK_EQ(check_hex(&c, "203.0.113.203", 0,
                       "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", h),
             DNS_COOKIE_INVALID);
    CHECK_STR(h, "fc93fc62807ddb86010000005cf7a9acf73a7810aca2381e");
    c = ctx(s1, 0x5cf78f71 + 100, false);
    CHECK_EQ(check_hex(&c, "203.0.113.203", 0,
                       "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", h),
             DNS_COOKIE_VALID);
    CHECK_STR(h, "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5");
    /* ... and not from another address. */
    CHECK_EQ(check_hex(&c, "203.0.113.204", 0,
                       "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", h),
             DNS_COOKIE_INVALID);
    /* A.4: IPv6, after the secret rolled over: the old secret's cookie is
     * valid under it, invalid under the new one, which makes the RFC's. */
    c = ctx("dd3bdf9344b678b185a6f5cb60fca715", 0x5cf7c579 + 10, false);
    CHECK_EQ(check_hex(&c, "2001:db8:220:1:59de:d0f4:8769:82b8", 0,
                       "22681ab97d52c298010000005cf7c57926556bd0934c72f8", h),
             DNS_COOKIE_VALID);
    c = ctx("445536bcd2513298075a5d379663c962", 1559741961, false);
    CHECK_EQ(check_hex(&c, "2001:db8:220:1:59de:d0f4:8769:82b8", 0,
                       "22681ab97d52c298010000005cf7c57926556bd0934c72f8", h),
             DNS_COOKIE_INVALID);
    CHECK_STR(h, "22681ab97d52c298010000005cf7c609a6bb79d16625507a");
}

/* RFC 9018 5 and A.4: a rollover.  The new secret active, the old one
 * accepted: the old secret's cookie is valid and replaced by the new
 * secret's (the RFC's A.4 response); parsing secrets from text. */
static void test_rollover(void)
{
    uint8_t s[DNS_COOKIE_SECRETS_MAX * 16], x[16];
    struct dns_cookie c;
    unsigned line = 0;
    char h[64];
    const char *text = "  445536bcd2513298075a5d379663c962\n"
                       "dd3bdf9344b678b185a6f5cb60fca715, \n";

    REQUIRE(dns_cookie_secrets_parse(text, strlen(text), s, &line) == 2);
    dns_cookie_init(&c, s, (int64_t)1559741961 * (int64_t)SEC, false);
    CHECK_EQ(check_hex(&c, "2001:db8:220:1:59de:d0f4:8769:82b8", 0,
                       "22681ab97d52c298010000005cf7c57926556bd0934c72f8", h),
             DNS_COOKIE_INVALID); /* the old secret not accepted yet */
    REQUIRE(dns_cookie_accept(&c, s + 16) == 0);
    CHECK_EQ(check_hex(&c, "2001:db8:220:1:59de:d0f4:8769:82b8", 0,
                       "22681ab97d52c298010000005cf7c57926556bd0934c72f8", h),
             DNS_COOKIE_VALID);
    CHECK_STR(h, "22681ab97d52c298010000005cf7c609a6bb79d16625507a");
    /* A fresh cookie of the active secret is echoed. */
    CHECK_EQ(check_hex(&c, "2001:db8:220:1:59de:d0f4:8769:82b8", 0,
                       "22681ab97d52c298010000005cf7c609a6bb79d16625507a", h),
             DNS_COOKIE_VALID);
    CHECK_STR(h, "22681ab97d52c298010000005cf7c609a6bb79d16625507a");
    memset(x, 7, sizeof(x));
    CHECK_EQ(dns_cookie_accept(&c, x), 0);
    CHECK_EQ(dns_cookie_accept(&c, x), 0);
    CHECK_EQ(dns_cookie_accept(&c, x), TB_ESPACE);
    /* Text errors name their line. */
    CHECK_EQ(dns_cookie_secrets_parse("", 0, s, &line), TB_EMALF);
    CHECK_EQ(line, 1);
    text = "445536bcd2513298075a5d379663c962\n\n0011\n";
    CHECK_EQ(dns_cookie_secrets_parse(text, strlen(text), s, &line), TB_EMALF);
    CHECK_EQ(line, 3);
    text = "445536bcd2513298075a5d379663c96g";
    CHECK_EQ(dns_cookie_secrets_parse(text, strlen(text), s, &line), TB_EMALF);
    text = "445536bcd2513298075a5d379663c962,445536bcd2513298075a5d379663c962,"
           "445536bcd2513298075a5d379663c962,445536bcd2513298075a5d379663c962,"
           "445536bcd2513298075a5d379663c962";
    CHECK_EQ(dns_cookie_secrets_parse(text, strlen(text), s, &line), TB_ESPACE);
}

/* The lifetime: echoed up to 30 min, refreshed to 60 min, invalid after;
 * up to 5 min from the future; serial arithmetic across 2^32. */
static void test_window(void)
{
    const char *s1 = "00112233445566778899aabbccddeeff";
    uint8_t sec[16], cl[8] = {1, 2, 3, 4, 5, 6, 7, 8}, opt[24], out[24];
    struct tb_addr a = ip("192.0.2.1");
    static const struct {
        int64_t age;
        enum dns_cookie_res r;
        bool echoed;
    } t[] = {
        {0, DNS_COOKIE_VALID, true},       {1800, DNS_COOKIE_VALID, true},
        {1801, DNS_COOKIE_VALID, false},   {3600, DNS_COOKIE_VALID, false},
        {3601, DNS_COOKIE_INVALID, false}, {-300, DNS_COOKIE_VALID, true},
        {-301, DNS_COOKIE_INVALID, false}, {86400, DNS_COOKIE_INVALID, false}};
    uint32_t stamps[] = {1700000000u, 4294967000u, 100u};

    hex(s1, sec, 16);
    for (size_t s = 0; s < TB_ARRAY_SIZE(stamps); s++) {
        for (size_t i = 0; i < TB_ARRAY_SIZE(t); i++) {
            uint32_t now_s = (uint32_t)(stamps[s] + t[i].age);
            /* the monotonic clock reads 7 s; the wall clock now_s */
            struct dns_cookie c;
            dns_cookie_init(&c, sec, (int64_t)now_s * (int64_t)SEC - 7 * SEC,
                            false);
            memcpy(opt, cl, 8);
            dns_cookie_make(sec, cl, &a, stamps[s], opt + 8);
            CHECK_EQ(dns_cookie_check(&c, &a, 7 * SEC, opt, 24, out), t[i].r);
            CHECK_EQ(memcmp(out, opt, 24) == 0, t[i].echoed);
            CHECK(memcmp(out, cl, 8) == 0);
            if (!t[i].echoed) /* a fresh cookie stamped now */
                CHECK_EQ(tb_get32(out + 12), now_s);
        }
    }
}

static void test_lengths(void)
{
    uint8_t sec[16] = {0}, opt[48], out[24];
    struct tb_addr a = ip("192.0.2.1");
    struct dns_cookie c;

    dns_cookie_init(&c, sec, 0, false);
    memset(opt, 0x11, sizeof(opt));
    for (size_t n = 0; n <= 44; n++) {
        enum dns_cookie_res want = n == 8               ? DNS_COOKIE_NEW
                                   : n >= 16 && n <= 40 ? DNS_COOKIE_INVALID
                                                        : DNS_COOKIE_MALFORMED;
        CHECK_EQ(dns_cookie_check(&c, &a, 0, opt, n, out), want);
    }
    /* a good hash under another version is not ours */
    memcpy(opt, "clientck", 8);
    dns_cookie_make(sec, opt, &a, 0, opt + 8);
    CHECK_EQ(dns_cookie_check(&c, &a, 0, opt, 24, out), DNS_COOKIE_VALID);
    opt[8] = 2;
    CHECK_EQ(dns_cookie_check(&c, &a, 0, opt, 24, out), DNS_COOKIE_INVALID);
    /* another client cookie with our server cookie: invalid */
    opt[8] = 1;
    opt[0] ^= 1;
    CHECK_EQ(dns_cookie_check(&c, &a, 0, opt, 24, out), DNS_COOKIE_INVALID);
}

/* ---- the protocol, through the service core ------------------------- */

static const char *const zone[] = {
    "@ 3600 SOA ns1 host 1 7200 3600 1209600 300", "@ 3600 NS ns1",
    "ns1 3600 A 192.0.2.1", "www 3600 A 192.0.2.80", NULL};

static struct dns_zoneset *zs;
static uint8_t *blob;
static struct dns_srv_conf conf = {.tcp_idle_ns = 10 * SEC};
static const uint32_t WALL = 1700000000u;

static void setup(void)
{
    const void *b[1];
    size_t l[1], len;
    static const struct dns_auth_opts o = {.nsid = (const uint8_t *)"ns1",
                                           .nsid_len = 3};

    b[0] = blob = ta_zone("example.com.", zone, &len);
    l[0] = len;
    if (dns_zoneset_build(&zs, b, l, 1, &o, &ta) != 0)
        abort();
}

/* A query for (name) A with an OPT holding (ck, cklen) as COOKIE (ck NULL:
 * no COOKIE) and an NSID request when (nsid). */
static size_t query(uint8_t *q, const char *name, const uint8_t *ck,
                    size_t cklen, bool nsid)
{
    size_t n = ta_query(q, name, DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    size_t rd = n - 2, p = n;

    if (nsid) {
        tb_put16(q + p, 3);
        tb_put16(q + p + 2, 0);
        p += 4;
    }
    if (ck) {
        tb_put16(q + p, DNS_COOKIE_OPT);
        tb_put16(q + p + 2, (uint16_t)cklen);
        memcpy(q + p + 4, ck, cklen);
        p += 4 + cklen;
    }
    tb_put16(q + rd, (uint16_t)(p - n));
    return p;
}

/* What a response holds: the RCODE (extended included), the answer
 * count, and its COOKIE and NSID options. */
struct resp {
    unsigned rcode, an, qd;
    bool opt;
    uint8_t ck[64];
    size_t cklen; /* 0: no COOKIE */
    bool nsid;
    unsigned ede; /* 0: none */
};

static size_t skip(const uint8_t *m, size_t len, size_t p)
{
    while (p < len) {
        if ((m[p] & 0xc0) == 0xc0)
            return p + 2;
        if (m[p] == 0)
            return p + 1;
        p += m[p] + 1u;
    }
    return len;
}

static struct resp parse(const uint8_t *m, size_t len)
{
    struct resp r = {0};
    size_t p = DNS_HDR_LEN;
    unsigned rrs;

    if (len < DNS_HDR_LEN)
        abort();
    r.rcode = m[3] & 0xf;
    r.qd = tb_get16(m + 4);
    r.an = tb_get16(m + 6);
    for (unsigned i = 0; i < r.qd; i++)
        p = skip(m, len, p) + 4;
    rrs = r.an + tb_get16(m + 8) + tb_get16(m + 10);
    for (unsigned i = 0; i < rrs && p < len; i++) {
        p = skip(m, len, p);
        uint16_t type = tb_get16(m + p), rdlen = tb_get16(m + p + 8);
        if (type == DNS_TYPE_OPT) {
            r.opt = true;
            r.rcode |= (unsigned)m[p + 4] << 4;
            for (size_t o = p + 10; o + 4 <= p + 10 + rdlen;) {
                uint16_t code = tb_get16(m + o), ol = tb_get16(m + o + 2);
                if (code == DNS_COOKIE_OPT && ol <= sizeof(r.ck)) {
                    memcpy(r.ck, m + o + 4, ol);
                    r.cklen = ol;
                }
                if (code == 3)
                    r.nsid = true;
                if (code == 15)
                    r.ede = tb_get16(m + o + 4);
                o += 4u + ol;
            }
        }
        p += 10u + rdlen;
    }
    CHECK_EQ(p, len);
    return r;
}

static struct resp udp(struct dns_srv *s, const struct tb_addr *peer,
                       const uint8_t *q, size_t qlen, uint64_t now)
{
    uint8_t out[1232];
    size_t n = dns_srv_udp(s, peer, q, qlen, out, sizeof(out), now);
    struct resp none = {0};

    return n ? parse(out, n) : none;
}

static const uint8_t CL[8] = {0x24, 0x64, 0xc4, 0xab, 0xcf, 0x10, 0xc9, 0x57};

static void test_srv_udp(void)
{
    uint8_t q[512], sec[16], good[24], sc[16];
    struct tb_addr a = ip("192.0.2.7"), b = ip("2001:db8::7");
    struct dns_cookie c;
    struct dns_srv s;
    struct resp r;
    size_t n;

    memset(sec, 0x5a, sizeof(sec));
    dns_cookie_init(&c, sec, (int64_t)WALL * (int64_t)SEC - 5 * SEC, false);
    dns_srv_init(&s, zs, &conf);
    s.cookie = &c;

    /* A client cookie only: the answer and our cookie, made now. */
    n = query(q, "www.example.com.", CL, 8, false);
    r = udp(&s, &a, q, n, 5 * SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_NOERROR);
    CHECK_EQ(r.an, 1);
    REQUIRE(r.cklen == 24);
    dns_cookie_make(sec, CL, &a, WALL, sc);
    CHECK(memcmp(r.ck, CL, 8) == 0 && memcmp(r.ck + 8, sc, 16) == 0);
    memcpy(good, r.ck, 24);
    CHECK_EQ(s.st.cookie, 1);
    CHECK_EQ(s.st.cookie_new, 1);
    /* Returned 10 minutes later: valid, echoed. */
    n = query(q, "www.example.com.", good, 24, true);
    r = udp(&s, &a, q, n, 605 * SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_NOERROR);
    CHECK_EQ(r.an, 1);
    CHECK(r.nsid); /* both options */
    REQUIRE(r.cklen == 24);
    CHECK(memcmp(r.ck, good, 24) == 0);
    CHECK_EQ(s.st.cookie_valid, 1);
    /* 40 minutes later: valid, refreshed. */
    r = udp(&s, &a, q, n, 2405 * SEC);
    CHECK_EQ(s.st.cookie_valid, 2);
    REQUIRE(r.cklen == 24);
    CHECK(memcmp(r.ck + 12, good + 12, 4) != 0); /* a new timestamp */
    CHECK_EQ(tb_get32(r.ck + 12), WALL + 2400);
    /* From another address: invalid, a new cookie for that address. */
    r = udp(&s, &b, q, n, 605 * SEC);
    CHECK_EQ(r.an, 1);
    CHECK_EQ(s.st.cookie_invalid, 1);
    REQUIRE(r.cklen == 24);
    dns_cookie_make(sec, CL, &b, WALL + 600, sc);
    CHECK(memcmp(r.ck + 8, sc, 16) == 0);
    /* A bad hash: a new one. */
    good[23] ^= 1;
    n = query(q, "www.example.com.", good, 24, false);
    r = udp(&s, &a, q, n, 605 * SEC);
    CHECK_EQ(r.an, 1);
    CHECK_EQ(s.st.cookie_invalid, 2);
    CHECK(r.cklen == 24 && memcmp(r.ck + 8, good + 8, 16) != 0);
    good[23] ^= 1;
    /* Malformed lengths: FORMERR with an OPT, no cookie. */
    {
        uint8_t junk[48];
        memset(junk, 0x33, sizeof(junk));
        memcpy(junk, good, 24);
        for (size_t len = 0; len <= 41; len++) {
            if (len == 8 || (len >= 16 && len <= 40))
                continue; /* well-formed */
            n = query(q, "www.example.com.", junk, len, false);
            r = udp(&s, &a, q, n, 605 * SEC);
            CHECK_EQ(r.rcode, DNS_RCODE_FORMERR);
            CHECK(r.opt);
            CHECK_EQ(r.cklen, 0);
            CHECK_EQ(r.qd, 1);
        }
    }
    CHECK_EQ(s.st.cookie_formerr, 16);
    /* A REFUSED name keeps its EDE, with the cookie. */
    n = query(q, "www.example.net.", CL, 8, false);
    r = udp(&s, &a, q, n, 605 * SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_REFUSED);
    CHECK_EQ(r.ede, 20);
    CHECK_EQ(r.cklen, 24);
    /* BADVERS: no cookie. */
    n = query(q, "www.example.com.", CL, 8, false);
    q[n - 12 - 11 + 6] = 1; /* the OPT's version */
    r = udp(&s, &a, q, n, 605 * SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_BADVERS);
    CHECK_EQ(r.cklen, 0);
    CHECK_EQ(s.st.cookie_badcookie, 0);
    {
        char text[1024];
        dns_srv_stats_text(&s.st, text, sizeof(text));
        CHECK(strstr(text, "cookie queries 22 new 2 valid 2 invalid 2 "
                           "badcookie 0 formerr 16\n") != NULL);
    }
}

static void test_srv_off(void)
{
    uint8_t q[512], ck[24];
    struct tb_addr a = ip("192.0.2.7");
    struct dns_srv s;
    struct resp r;
    size_t n;

    dns_srv_init(&s, zs, &conf); /* no s.cookie */
    n = query(q, "www.example.com.", CL, 8, false);
    r = udp(&s, &a, q, n, SEC);
    CHECK_EQ(r.an, 1);
    CHECK_EQ(r.cklen, 0);
    n = query(q, "www.example.com.", CL, 5, false); /* ignored when off */
    r = udp(&s, &a, q, n, SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_NOERROR);
    CHECK_EQ(s.st.cookie, 0);
    /* On, but no peer: as off. */
    struct dns_cookie c;
    memset(ck, 0, sizeof(ck));
    dns_cookie_init(&c, ck, 0, true);
    s.cookie = &c;
    r = udp(&s, NULL, q, n, SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_NOERROR);
    CHECK_EQ(s.st.cookie, 0);
}

static void test_srv_require(void)
{
    uint8_t q[512], sec[16], good[24], rbuf[DNS_TCP_RBUF], wbuf[DNS_TCP_WBUF];
    struct tb_addr a = ip("192.0.2.9");
    struct dns_cookie c;
    struct dns_srv s;
    struct dns_tcp t;
    struct resp r;
    const uint8_t *p;
    size_t n;
    uint8_t *dst;

    memset(sec, 0xa5, sizeof(sec));
    dns_cookie_init(&c, sec, (int64_t)WALL * (int64_t)SEC, true);
    dns_srv_init(&s, zs, &conf);
    s.cookie = &c;
    /* UDP, client cookie only: BADCOOKIE with a fresh cookie, no answer. */
    n = query(q, "www.example.com.", CL, 8, false);
    r = udp(&s, &a, q, n, SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_BADCOOKIE);
    CHECK_EQ(r.an, 0);
    CHECK_EQ(r.qd, 1);
    REQUIRE(r.cklen == 24);
    memcpy(good, r.ck, 24);
    CHECK_EQ(s.st.cookie_badcookie, 1);
    /* The retry with it is answered. */
    n = query(q, "www.example.com.", good, 24, false);
    r = udp(&s, &a, q, n, 2 * SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_NOERROR);
    CHECK_EQ(r.an, 1);
    /* An invalid one: BADCOOKIE again. */
    good[9] = 1;
    n = query(q, "www.example.com.", good, 24, false);
    r = udp(&s, &a, q, n, 2 * SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_BADCOOKIE);
    CHECK_EQ(s.st.cookie_badcookie, 2);
    /* Without a COOKIE option at all: answered (RFC 7873 5.2.1; as BIND's
     * require-server-cookie, which needs a cookie-capable client). */
    n = query(q, "www.example.com.", NULL, 0, true);
    r = udp(&s, &a, q, n, 2 * SEC);
    CHECK_EQ(r.an, 1);
    /* Over TCP the client cookie alone is enough. */
    dns_tcp_open(&t, &s, &a, rbuf, wbuf, 0);
    n = query(q + 2, "www.example.com.", CL, 8, false);
    tb_put16(q, (uint16_t)n);
    REQUIRE(dns_tcp_rspace(&t, &dst) >= n + 2);
    memcpy(dst, q, n + 2);
    dns_tcp_received(&t, n + 2, SEC);
    REQUIRE(dns_tcp_output(&t, &p) > 2);
    r = parse(p + 2, tb_get16(p));
    CHECK_EQ(r.rcode, DNS_RCODE_NOERROR);
    CHECK_EQ(r.an, 1);
    CHECK_EQ(r.cklen, 24);
}

/* RFC 7873 5.4: a query without a question, for a cookie. */
static void test_srv_qdcount0(void)
{
    uint8_t q[512], sec[16] = {0};
    struct tb_addr a = ip("192.0.2.7");
    struct dns_cookie c;
    struct dns_srv s;
    struct resp r;
    size_t n;

    dns_cookie_init(&c, sec, (int64_t)WALL * (int64_t)SEC, false);
    dns_srv_init(&s, zs, &conf);
    n = query(q, "www.example.com.", CL, 8, false);
    /* drop the question: header, then the OPT at 12 */
    size_t qend = 12 + 17 + 4;
    memmove(q + 12, q + qend, n - qend);
    n -= qend - 12;
    q[5] = 0;
    r = udp(&s, &a, q, n, SEC); /* cookies off: FORMERR */
    CHECK_EQ(r.rcode, DNS_RCODE_FORMERR);
    s.cookie = &c;
    r = udp(&s, &a, q, n, SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_NOERROR);
    CHECK_EQ(r.qd, 0);
    REQUIRE(r.cklen == 24);
    /* with that cookie: NOERROR; with a broken one: BADCOOKIE */
    uint8_t q2[512];
    size_t n2 = 12 + 11 + 4 + 24;
    memcpy(q2, q, 12);
    q2[12] = 0;
    tb_put16(q2 + 13, DNS_TYPE_OPT);
    tb_put16(q2 + 15, 1232);
    tb_put32(q2 + 17, 0);
    tb_put16(q2 + 21, 28);
    tb_put16(q2 + 23, DNS_COOKIE_OPT);
    tb_put16(q2 + 25, 24);
    memcpy(q2 + 27, r.ck, 24);
    r = udp(&s, &a, q2, n2, 2 * SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_NOERROR);
    CHECK_EQ(s.st.cookie_valid, 1);
    q2[n2 - 1] ^= 1;
    r = udp(&s, &a, q2, n2, 2 * SEC);
    CHECK_EQ(r.rcode, DNS_RCODE_BADCOOKIE);
    CHECK_EQ(r.cklen, 24);
}

/* A client with a valid server cookie is not limited; one without is. */
static void test_srv_rrl(void)
{
    uint8_t q[512], sec[16] = {1}, good[24];
    struct tb_addr a = ip("192.0.2.7"), b = ip("192.0.2.8");
    struct dns_rrl_conf rc;
    struct dns_rrl rrl;
    struct dns_cookie c;
    struct dns_srv s;
    struct resp r;
    unsigned full_a = 0, full_b = 0;
    size_t n;

    dns_rrl_conf_default(&rc);
    rc.rate = 1;
    rc.exempt_loopback = false;
    REQUIRE(dns_rrl_init(&rrl, &rc, 42, &ta) == 0);
    dns_cookie_init(&c, sec, (int64_t)WALL * (int64_t)SEC, false);
    dns_srv_init(&s, zs, &conf);
    s.cookie = &c;
    s.rrl = &rrl;
    n = query(q, "www.example.com.", CL, 8, false);
    r = udp(&s, &a, q, n, SEC);
    REQUIRE(r.cklen == 24);
    memcpy(good, r.ck, 24);
    /* b: the same flood with a client cookie only (not yet proven) */
    for (unsigned i = 0; i < 50; i++) {
        r = udp(&s, &b, q, n, SEC + i);
        full_b += r.an == 1;
    }
    n = query(q, "www.example.com.", good, 24, false);
    for (unsigned i = 0; i < 50; i++) {
        r = udp(&s, &a, q, n, SEC + i);
        full_a += r.an == 1 && r.cklen == 24;
    }
    CHECK_EQ(full_a, 50);
    CHECK(full_b < 10);
    CHECK(s.st.rrl_drop + s.st.rrl_slip >= 40);
    dns_rrl_free(&rrl);
}

int main(void)
{
    setup();
    RUN(test_siphash_vectors);
    RUN(test_siphash_libsodium);
    RUN(test_rfc9018_vectors);
    RUN(test_rollover);
    RUN(test_window);
    RUN(test_lengths);
    RUN(test_srv_udp);
    RUN(test_srv_off);
    RUN(test_srv_require);
    RUN(test_srv_qdcount0);
    RUN(test_srv_rrl);
    dns_zoneset_free(zs, &ta);
    free(blob);
    return check_done();
}
