/*
 * test_name.c -- unit tests for the wire half of lib/dns/name.c:
 * decompression (pointer seams, loops, forward pointers, label types,
 * the 255-byte and 63-byte limits), validation, and the comparisons.
 * Names are byte literals: the text form belongs to name_text.c.
 */
#include "check.h"
#include <tibra/dns.h>

#define N(s) ((const uint8_t *)(s))

static int unpack(const uint8_t *msg, size_t len, size_t off, uint8_t *out,
                  size_t *outlen, size_t *next)
{
    memset(out, 0xAA, DNS_NAME_MAXLEN);
    return dns_name_unpack(msg, len, off, out, outlen, next);
}

static void test_unpack_plain(void)
{
    static const uint8_t msg[] = "\x03www\x07"
                                 "example\x03org\x00";
    uint8_t out[DNS_NAME_MAXLEN];
    size_t n, next;

    CHECK_EQ(unpack(msg, sizeof(msg) - 1, 0, out, &n, &next), 0);
    CHECK_EQ(n, 17);
    CHECK_EQ(next, 17);
    CHECK_MEM(out, msg, 17);
    CHECK_EQ(out[17], 0xAA); /* nothing written past the name */

    /* root */
    CHECK_EQ(unpack(N("\x00"), 1, 0, out, &n, &next), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(next, 1);
    CHECK_EQ(out[0], 0);

    /* truncated: missing root, label running off, empty message */
    CHECK_EQ(unpack(msg, 16, 0, out, &n, &next), TB_ETRUNC);
    CHECK_EQ(unpack(msg, 10, 0, out, &n, &next), TB_ETRUNC);
    CHECK_EQ(unpack(msg, 0, 0, out, &n, &next), TB_ETRUNC);
    CHECK_EQ(unpack(msg, 17, 17, out, &n, &next), TB_ETRUNC);
    /* label ending exactly at the end, no root */
    CHECK_EQ(unpack(N("\x03"
                      "abc"),
                    4, 0, out, &n, &next),
             TB_ETRUNC);
}

static void test_unpack_pointers(void)
{
    /* 0: example.org.  13: www + ptr(0)  19: mail + ptr(13) */
    static const uint8_t msg[] = "\x07"
                                 "example\x03org\x00"
                                 "\x03www\xc0\x00"
                                 "\x04mail\xc0\x0d";
    size_t len = sizeof(msg) - 1;
    uint8_t out[DNS_NAME_MAXLEN];
    size_t n, next;

    CHECK_EQ(len, 26);
    CHECK_EQ(unpack(msg, len, 13, out, &n, &next), 0);
    CHECK_EQ(n, 17);
    CHECK_EQ(next, 19);
    CHECK_MEM(out,
              "\x03www\x07"
              "example\x03org\x00",
              17);

    /* two hops; the pointer is the last two bytes of the message */
    CHECK_EQ(unpack(msg, len, 19, out, &n, &next), 0);
    CHECK_EQ(n, 22);
    CHECK_EQ(next, 26);
    CHECK_MEM(out,
              "\x04mail\x03www\x07"
              "example\x03org\x00",
              22);

    /* pointer cut in half by the end of the message */
    CHECK_EQ(unpack(msg, len - 1, 19, out, &n, &next), TB_ETRUNC);

    /* a bare pointer as the whole name */
    static const uint8_t m2[] = "\x00\xc0\x00";
    CHECK_EQ(unpack(m2, 3, 1, out, &n, &next), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(next, 3);
}

static void test_unpack_bad_pointers(void)
{
    uint8_t out[DNS_NAME_MAXLEN];
    size_t n, next;

    /* pointer to itself */
    CHECK_EQ(unpack(N("\xc0\x00"), 2, 0, out, &n, &next), TB_EMALF);
    /* forward pointer */
    CHECK_EQ(unpack(N("\xc0\x02\x00"), 3, 0, out, &n, &next), TB_EMALF);
    /* pointer past the end */
    CHECK_EQ(unpack(N("\x00\xc0\x10"), 3, 1, out, &n, &next), TB_EMALF);
    /* label types 01 and 10 */
    CHECK_EQ(unpack(N("\x41\x00"), 2, 0, out, &n, &next), TB_EMALF);
    CHECK_EQ(unpack(N("\x80\x00"), 2, 0, out, &n, &next), TB_EMALF);
    CHECK_EQ(unpack(N("\x40\x00"), 2, 0, out, &n, &next), TB_EMALF);
    /* a loop through a backward pointer: "a" then a pointer back to it,
     * a second name at 3 jumps to 0 which reads a, then pointer at 2
     * -> 0 again; the 255-byte limit or the hop limit ends it */
    CHECK(unpack(N("\x01"
                   "a\xc0\x00\xc0\x00"),
                 6, 4, out, &n, &next) < 0);

    /* a chain of 128 pointers each pointing to the previous one */
    uint8_t m[1 + 2 * 130];
    m[0] = 0;
    for (int i = 0; i < 130; i++) {
        size_t at = 1 + 2 * (size_t)i, to = i == 0 ? 0 : at - 2;
        m[at] = (uint8_t)(0xc0 | to >> 8);
        m[at + 1] = (uint8_t)to;
    }
    /* 127 hops are allowed */
    CHECK_EQ(unpack(m, sizeof(m), 1 + 2 * 126, out, &n, &next), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(unpack(m, sizeof(m), 1 + 2 * 127, out, &n, &next), TB_ELOOP);
}

/* Builds a name of (labels) labels of (llen) bytes each. */
static size_t build(uint8_t *buf, unsigned labels, unsigned llen)
{
    size_t p = 0;
    for (unsigned i = 0; i < labels; i++) {
        buf[p++] = (uint8_t)llen;
        memset(buf + p, 'a' + (int)(i % 26), llen);
        p += llen;
    }
    buf[p++] = 0;
    return p;
}

static void test_limits(void)
{
    uint8_t name[600], out[DNS_NAME_MAXLEN];
    size_t len, n, next;

    /* 63-byte label fine, 64 refused (it is the 01 label type) */
    len = build(name, 1, 63);
    CHECK_EQ(unpack(name, len, 0, out, &n, &next), 0);
    CHECK_EQ(dns_name_check(name, len), (int)len);
    name[0] = 64;
    CHECK_EQ(unpack(name, len + 1, 0, out, &n, &next), TB_EMALF);
    CHECK_EQ(dns_name_check(name, sizeof(name)), TB_EMALF);

    /* exactly 255 bytes: 3 x 63 + 1 x 61 labels = 64*3 + 62 + 1 = 255 */
    len = build(name, 3, 63);
    len--; /* drop root */
    name[len++] = 61;
    memset(name + len, 'z', 61);
    len += 61;
    name[len++] = 0;
    CHECK_EQ(len, 255);
    CHECK_EQ(unpack(name, len, 0, out, &n, &next), 0);
    CHECK_EQ(n, 255);
    CHECK_MEM(out, name, 255);
    CHECK_EQ(dns_name_check(name, len), 255);
    CHECK_EQ(dns_name_len(out), 255);
    CHECK_EQ(dns_name_labels(out), 4);

    /* 256 bytes: the last label grows to 62 */
    name[192] = 62;
    name[254] = 'z';
    name[255] = 0;
    CHECK_EQ(dns_name_check(name, 192), TB_ETRUNC);
    CHECK_EQ(dns_name_check(name, len + 1), TB_EMALF);
    CHECK_EQ(unpack(name, len + 1, 0, out, &n, &next), TB_EMALF);

    /* 127 one-byte labels = 255 bytes, 128 = too long */
    len = build(name, 127, 1);
    CHECK_EQ(len, 255);
    CHECK_EQ(unpack(name, len, 0, out, &n, &next), 0);
    CHECK_EQ(dns_name_labels(out), 127);
    len = build(name, 128, 1);
    CHECK_EQ(unpack(name, len, 0, out, &n, &next), TB_EMALF);
    CHECK_EQ(dns_name_check(name, len), TB_EMALF);

    /* over 255 through compression: 200 bytes + pointer to 100 bytes */
    uint8_t m[400];
    size_t a = build(m, 1, 98); /* 100 bytes */
    size_t b = build(m + a, 4, 49) - 1; /* 200 bytes, no root */
    m[a + b] = 0xc0;
    m[a + b + 1] = 0;
    CHECK_EQ(unpack(m, a + b + 2, a, out, &n, &next), TB_EMALF);

    /* dns_name_check maxlen seam */
    CHECK_EQ(dns_name_check(N("\x01"
                              "a\x00"),
                            3),
             3);
    CHECK_EQ(dns_name_check(N("\x01"
                              "a\x00"),
                            2),
             TB_ETRUNC);
    CHECK_EQ(dns_name_check(N("\x00"), 0), TB_ETRUNC);
    CHECK_EQ(dns_name_check(N("\xc0\x00"), 2), TB_EMALF);
}

static void test_compare(void)
{
    const uint8_t *a = N("\x03www\x07"
                         "Example\x03ORG\x00");
    const uint8_t *b = N("\x03WWW\x07"
                         "example\x03org\x00");
    const uint8_t *org = N("\x03org\x00");
    const uint8_t *root = N("\x00");

    CHECK(dns_name_equal(a, b));
    CHECK(!dns_name_equal(a, org));
    CHECK(dns_name_equal(root, root));
    CHECK(!dns_name_equal(N("\x01"
                            "a\x00"),
                          N("\x01"
                            "b\x00")));
    CHECK(dns_name_is_sub(a, org));
    CHECK(dns_name_is_sub(a, root));
    CHECK(dns_name_is_sub(a, b));
    CHECK(!dns_name_is_sub(org, a));
    CHECK(!dns_name_is_sub(N("\x04xorg\x00"), org));
    CHECK(dns_name_skip(a, 2) == a + 12);
    CHECK(dns_name_skip(a, 0) == a);
    CHECK(dns_name_is_wildcard(N("\x01*\x03org\x00")));
    CHECK(!dns_name_is_wildcard(N("\x02*a\x03org\x00")));
    CHECK(!dns_name_is_wildcard(root));
    CHECK_EQ(dns_name_labels(root), 0);
    CHECK_EQ(dns_name_len(root), 1);

    uint8_t c[32];
    memcpy(c, a, 17);
    dns_name_lower(c);
    CHECK_MEM(c,
              "\x03www\x07"
              "example\x03org\x00",
              17);
    /* non-ASCII bytes are not letters */
    memcpy(c, "\x02\xc4\x5b\x00", 4);
    dns_name_lower(c);
    CHECK_MEM(c, "\x02\xc4\x5b\x00", 4);
    CHECK(!dns_name_equal(N("\x01\xc4\x00"), N("\x01\xe4\x00")));
}

static void test_canonical_order(void)
{
    /* RFC 4034 6.1 example, in order */
    static const char *const order[] = {
        "\x07"
        "example\x00",
        "\x01"
        "a\x07"
        "example\x00",
        "\x08yljkjljk\x01"
        "a\x07"
        "example\x00",
        "\x01Z\x01"
        "a\x07"
        "example\x00",
        "\x04zABC\x01"
        "a\x07"
        "example\x00",
        "\x01z\x07"
        "example\x00",
        "\x01\x01\x01z\x07"
        "example\x00",
        "\x01*\x01z\x07"
        "example\x00",
        "\x01\xc8\x01z\x07"
        "example\x00",
    };
    size_t n = TB_ARRAY_SIZE(order);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(dns_name_cmp(N(order[i]), N(order[i])), 0);
        for (size_t j = i + 1; j < n; j++) {
            CHECK(dns_name_cmp(N(order[i]), N(order[j])) < 0);
            CHECK(dns_name_cmp(N(order[j]), N(order[i])) > 0);
        }
    }
    CHECK_EQ(dns_name_cmp(N("\x01"
                            "A\x00"),
                          N("\x01"
                            "a\x00")),
             0);
    CHECK(dns_name_cmp(N("\x00"), N("\x01"
                                    "a\x00")) < 0);
    /* shorter label that is a prefix sorts first */
    CHECK(dns_name_cmp(N("\x01"
                         "a\x00"),
                       N("\x02"
                         "aa\x00")) < 0);
    CHECK(dns_name_cmp(N("\x02"
                         "ab\x00"),
                       N("\x01"
                         "b\x00")) < 0);
}

int main(void)
{
    RUN(test_unpack_plain);
    RUN(test_unpack_pointers);
    RUN(test_unpack_bad_pointers);
    RUN(test_limits);
    RUN(test_compare);
    RUN(test_canonical_order);
    return check_done();
}
