/*
 * test_rdata_text.c -- rdata presentation <-> wire (rdata_text*.c): known
 * wire bytes for tricky forms (LOC, SVCB, NSEC bitmaps, base32hex, RRSIG
 * times), text -> wire -> text round trips, dns_rdata_check() on
 * malformed wire, and output buffers cut one byte short (sentinels).
 */
#include <tibra/dns.h>

#include "check.h"

/* Splits (s) on blanks into tokens (quotes honoured, no escapes). */
static size_t toks(const char *s, struct dns_tok *t, size_t max)
{
    size_t n = 0;
    const char *prev_end = NULL;

    while (*s && n < max) {
        if (*s == ' ') {
            s++;
            continue;
        }
        t[n].flags = prev_end == s ? DNS_TOK_JOINED : 0;
        t[n].line = 1;
        if (*s == '"') {
            const char *b = ++s;
            while (*s && *s != '"') {
                if (*s == '\\' && s[1])
                    s++;
                s++;
            }
            t[n].s = b;
            t[n].len = (uint32_t)(s - b);
            t[n].flags |= DNS_TOK_QUOTED;
            if (*s)
                s++;
        } else {
            const char *b = s;
            while (*s && *s != ' ' && *s != '"') {
                if (*s == '\\' && s[1])
                    s++;
                s++;
            }
            t[n].s = b;
            t[n].len = (uint32_t)(s - b);
        }
        prev_end = s;
        n++;
    }
    return n;
}

static const uint8_t org[] = "\7example\3org";

static int parse(uint16_t type, const char *txt, uint8_t *out, size_t *len)
{
    struct dns_tok t[64];
    struct dns_rdata_err e;
    size_t n = toks(txt, t, 64);

    return dns_rdata_from_text(type, t, n, org, out, 65535, len, &e);
}

/* Parses (in), expects the wire (wire, wlen) when given, and prints. */
static void rt(uint16_t type, const char *in, const char *expect_text,
               const void *wire, size_t wlen)
{
    static uint8_t buf[65535];
    char txt[4096];
    size_t len = 0;
    int rc = parse(type, in, buf, &len);

    if (rc != 0) {
        fprintf(stderr, "parse failed (%d): %s\n", rc, in);
        CHECK(rc == 0);
        return;
    }
    if (wire != NULL) {
        CHECK_EQ(len, wlen);
        if (len == wlen)
            CHECK_MEM(buf, wire, wlen);
    }
    CHECK_EQ(dns_rdata_check(type, buf, len), 0);
    rc = dns_rdata_to_text(type, buf, len, txt, sizeof(txt));
    CHECK(rc > 0);
    CHECK_STR(txt, expect_text);
    /* The printed form parses back to the same bytes. */
    {
        static uint8_t again[65535];
        size_t l2 = 0;
        CHECK_EQ(parse(type, txt, again, &l2), 0);
        CHECK_EQ(l2, len);
        CHECK_MEM(again, buf, len);
    }
}

static void test_basic(void)
{
    rt(DNS_TYPE_A, "192.0.2.1", "192.0.2.1", "\xc0\x00\x02\x01", 4);
    rt(DNS_TYPE_AAAA, "::ffff:1.2.3.4", "::ffff:1.2.3.4",
       "\0\0\0\0\0\0\0\0\0\0\xff\xff\1\2\3\4", 16);
    rt(DNS_TYPE_MX, "10 mail", "10 mail.example.org.",
       "\0\x0a\4mail\7example\3org", 20);
    rt(DNS_TYPE_SOA, "ns1 h 1 1h 2 3 4",
       "ns1.example.org. h.example.org. "
       "1 3600 2 3 4",
       NULL, 0);
    rt(DNS_TYPE_TXT, "\"a b\" c \"\\\"\\\\\\255\"",
       "\"a b\" \"c\" "
       "\"\\\"\\\\\\255\"",
       "\3a b\1c\3\"\\\xff", 10);
    rt(DNS_TYPE_CAA, "0 issue \"ca.example\"", "0 issue \"ca.example\"",
       "\0\5issueca.example", 17);
    rt(DNS_TYPE_URI, "1 2 \"\"", "1 2 \"\"", "\0\1\0\2", 4);
}

static void test_dnssec(void)
{
    /* RFC 4034 4.3 example bitmap: A MX RRSIG NSEC TYPE1234. */
    static const uint8_t nsec[] = {
        4,    'h',  'o',  's',  't',  7,    'e', 'x',  'a',  'm',  'p',
        'l',  'e',  3,    'o',  'r',  'g',  0,   0x00, 0x06, 0x40, 0x01,
        0x00, 0x00, 0x00, 0x03, 0x04, 0x1b, 0,   0,    0,    0,    0,
        0,    0,    0,    0,    0,    0,    0,   0,    0,    0,    0,
        0,    0,    0,    0,    0,    0,    0,   0,    0,    0,    0x20};
    rt(DNS_TYPE_NSEC, "host.example.org. A MX RRSIG NSEC TYPE1234",
       "host.example.org. A MX RRSIG NSEC TYPE1234", nsec, sizeof(nsec));
    rt(DNS_TYPE_NSEC, "host.example.org.", "host.example.org.", NULL, 0);
    /* RFC 4648 10 test vector "foobar" in base32hex: CPNMUOJ1E8. */
    {
        uint8_t b[64];
        size_t l;
        CHECK_EQ(parse(DNS_TYPE_NSEC3, "1 0 0 - CPNMUOJ1E8======", b, &l),
                 TB_EMALF);
        CHECK_EQ(parse(DNS_TYPE_NSEC3, "1 0 0 - CPNMUOJ1E9", b, &l),
                 TB_EMALF); /* non-zero padding bits */
    }
    rt(DNS_TYPE_NSEC3, "1 1 12 aabbccdd CPNMUOJ1E8 A",
       "1 1 12 AABBCCDD cpnmuoj1e8 A",
       "\1\1\0\x0c\4\xaa\xbb\xcc\xdd\6foobar\0\1\x40", 19);
    rt(DNS_TYPE_RRSIG,
       "A 8 2 3600 20240101000000 19700101000001 1 example.org. Zm9v YmFy",
       "A 8 2 3600 20240101000000 19700101000001 1 example.org. Zm9vYmFy", NULL,
       0);
    rt(DNS_TYPE_DS, "1 RSASHA256 2 ab CD", "1 8 2 ABCD", "\0\1\x08\2\xab\xcd",
       6);
}

static void test_svcb(void)
{
    /* RFC 9460 D.2 figure 8. */
    static const uint8_t f8[] = {
        0x00, 0x10, 0x03, 'f',  'o',  'o',  0x07, 'e',  'x',  'a',  'm',  'p',
        'l',  'e',  0x03, 'o',  'r',  'g',  0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x01, 0x00, 0x04, 0x00, 0x01, 0x00, 0x09, 0x02, 'h',  '2',  0x05, 'h',
        '3',  '-',  '1',  '9',  0x00, 0x04, 0x00, 0x04, 0xc0, 0x00, 0x02, 0x01};
    rt(DNS_TYPE_SVCB,
       "16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn "
       "ipv4hint=192.0.2.1",
       "16 foo.example.org. mandatory=alpn,ipv4hint alpn=\"h2,h3-19\" "
       "ipv4hint=192.0.2.1",
       f8, sizeof(f8));
    rt(DNS_TYPE_HTTPS, "1 . key667=\"hello\\210qoo\"",
       "1 . key667=\"hello\\210qoo\"", NULL, 0);
    rt(DNS_TYPE_HTTPS, "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"",
       "1 . alpn=\"f\\\\\\\\oo\\\\,bar,h2\"",
       "\0\1\0\0\1\0\x0c\x08"
       "f\\oo,bar\2h2",
       19);
}

static void test_loc(void)
{
    /* RFC 1876 example: 42 21 54 N 71 06 18 W -24m 30m. */
    static const uint8_t loc[] = {0x00, 0x33, 0x16, 0x13, 0x89, 0x17,
                                  0x2d, 0xd0, 0x70, 0xbe, 0x15, 0xf0,
                                  0x00, 0x98, 0x8d, 0x20};
    rt(DNS_TYPE_LOC, "42 21 54 N 71 06 18 W -24m 30m",
       "42 21 54.000 N 71 6 18.000 W -24.00m 30.00m 10000.00m 10.00m", loc,
       sizeof(loc));
}

static void test_generic(void)
{
    uint8_t buf[64];
    size_t len = 0;
    char txt[64];

    CHECK_EQ(parse(DNS_TYPE_A, "\\# 4 c0000201", buf, &len), 0);
    CHECK_EQ(len, 4);
    CHECK_EQ(parse(DNS_TYPE_A, "\\# 3 c00002", buf, &len), TB_EMALF);
    CHECK_EQ(parse(65000, "\\# 0", buf, &len), 0);
    CHECK_EQ(len, 0);
    CHECK_EQ(parse(65000, "01", buf, &len), TB_EMALF);
    CHECK_EQ(dns_rdata_to_text(65000, buf, 0, txt, sizeof(txt)), 4);
    CHECK_STR(txt, "\\# 0");
    /* Malformed wire for a known type prints generically. */
    CHECK_EQ(dns_rdata_check(DNS_TYPE_MX, (const uint8_t *)"\0\1\5ab", 5),
             TB_EMALF);
    CHECK_EQ(dns_rdata_to_text(DNS_TYPE_MX, (const uint8_t *)"\0\1\5ab", 5, txt,
                               sizeof(txt)),
             15);
    CHECK_STR(txt, "\\# 5 0001056162");
}

static void test_wire_check(void)
{
    CHECK_EQ(dns_rdata_check(DNS_TYPE_A, (const uint8_t *)"\1\2\3", 3),
             TB_EMALF);
    CHECK_EQ(dns_rdata_check(DNS_TYPE_TXT, (const uint8_t *)"\3ab", 3),
             TB_EMALF);
    CHECK_EQ(dns_rdata_check(DNS_TYPE_TXT, (const uint8_t *)"", 0), TB_EMALF);
    /* Bitmap windows out of order / with a zero trailing byte. */
    CHECK_EQ(dns_rdata_check(DNS_TYPE_NSEC,
                             (const uint8_t *)"\0\1\0\1\x40\0\1\x40", 8),
             TB_EMALF);
    CHECK_EQ(dns_rdata_check(DNS_TYPE_NSEC, (const uint8_t *)"\0\0\2\x40\0", 5),
             TB_EMALF);
    /* SvcParams keys must ascend. */
    CHECK_EQ(dns_rdata_check(DNS_TYPE_SVCB,
                             (const uint8_t *)"\0\1\0\0\3\0\2\0\x35\0\1\0\3"
                                              "\2h2",
                             16),
             TB_EMALF);
}

static void test_short_buffers(void)
{
    uint8_t buf[64];
    size_t len = 0, cap;
    char txt[128];
    int full;

    REQUIRE(parse(DNS_TYPE_MX, "10 mail", buf, &len) == 0);
    full = dns_rdata_to_text(DNS_TYPE_MX, buf, len, txt, sizeof(txt));
    REQUIRE(full > 0);
    for (cap = 0; cap <= (size_t)full; cap++) {
        memset(txt, 0x55, sizeof(txt));
        CHECK_EQ(dns_rdata_to_text(DNS_TYPE_MX, buf, len, txt, cap), TB_ESPACE);
        CHECK_EQ((uint8_t)txt[cap], 0x55); /* nothing past cap */
    }
    CHECK_EQ(dns_rdata_to_text(DNS_TYPE_MX, buf, len, txt, (size_t)full + 1),
             full);
    /* Parsing into a buffer one byte short. */
    {
        struct dns_tok t[4];
        size_t n = toks("10 mail", t, 4);
        CHECK_EQ(
            dns_rdata_from_text(DNS_TYPE_MX, t, n, org, buf, 19, &len, NULL),
            TB_ESPACE);
        CHECK_EQ(
            dns_rdata_from_text(DNS_TYPE_MX, t, n, org, buf, 20, &len, NULL),
            0);
    }
}

static void test_big_txt(void)
{
    static char txt[300 * 258];
    static uint8_t buf[65535];
    struct dns_tok t[300];
    size_t i, n, len = 0;

    /* 257 strings of 254 bytes = 65535 bytes exactly; one more fails. */
    memset(txt, 'x', 254);
    for (i = 0; i < 300; i++) {
        t[i].s = txt;
        t[i].len = 254;
        t[i].flags = 0;
        t[i].line = 1;
    }
    n = 257;
    CHECK_EQ(dns_rdata_from_text(DNS_TYPE_TXT, t, n, org, buf, sizeof(buf),
                                 &len, NULL),
             0);
    CHECK_EQ(len, 65535);
    t[256].len = 255;
    CHECK_EQ(dns_rdata_from_text(DNS_TYPE_TXT, t, n, org, buf, sizeof(buf),
                                 &len, NULL),
             TB_ESPACE);
}

static void test_cmp(void)
{
    uint8_t a[64], b[64];
    size_t al = 0, bl = 0;

    REQUIRE(parse(DNS_TYPE_MX, "10 Mail.Example.org.", a, &al) == 0);
    REQUIRE(parse(DNS_TYPE_MX, "10 mail.example.ORG.", b, &bl) == 0);
    CHECK_EQ(dns_rdata_cmp(DNS_TYPE_MX, a, al, b, bl), 0);
    REQUIRE(parse(DNS_TYPE_MX, "9 z.example.org.", b, &bl) == 0);
    CHECK_EQ(dns_rdata_cmp(DNS_TYPE_MX, a, al, b, bl), 1);
    CHECK_EQ(dns_rdata_cmp(DNS_TYPE_MX, b, bl, a, al), -1);
    /* TXT is not case-folded; a prefix sorts first. */
    REQUIRE(parse(DNS_TYPE_TXT, "ABC", a, &al) == 0);
    REQUIRE(parse(DNS_TYPE_TXT, "abc", b, &bl) == 0);
    CHECK_EQ(dns_rdata_cmp(DNS_TYPE_TXT, a, al, b, bl), -1);
    CHECK_EQ(dns_rdata_cmp(DNS_TYPE_A, (const uint8_t *)"\1\2", 2,
                           (const uint8_t *)"\1\2\3", 3),
             -1);
    /* RFC 6840 5.1: NSEC's next name is not lowered. */
    REQUIRE(parse(DNS_TYPE_NSEC, "A.example.org. A", a, &al) == 0);
    REQUIRE(parse(DNS_TYPE_NSEC, "a.example.org. A", b, &bl) == 0);
    CHECK_EQ(dns_rdata_cmp(DNS_TYPE_NSEC, a, al, b, bl), -1);
}

int main(void)
{
    RUN(test_basic);
    RUN(test_dnssec);
    RUN(test_svcb);
    RUN(test_loc);
    RUN(test_generic);
    RUN(test_wire_check);
    RUN(test_short_buffers);
    RUN(test_big_txt);
    RUN(test_cmp);
    return check_done();
}
