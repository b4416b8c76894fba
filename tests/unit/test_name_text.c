/*
 * test_name_text.c -- presentation-form names (name_text.c), the type and
 * class mnemonics and TTL units (rrtype.c), and struct dns_zone_src
 * (zone_src.c): round trips, escapes, limits at exactly 63/255 bytes.
 */
#include <stdlib.h>
#include <tibra/dns.h>
#include <tibra/hosted.h>

#include "check.h"

static const uint8_t org[] = "\7example\3org";

static int from(const char *s, const uint8_t *origin, uint8_t *out, size_t *len)
{
    return dns_name_from_text(s, strlen(s), origin, out, len);
}

static void test_from_text(void)
{
    uint8_t out[DNS_NAME_MAXLEN];
    size_t n = 0;

    CHECK_EQ(from("www.example.org.", NULL, out, &n), 0);
    CHECK_EQ(n, 17);
    CHECK_MEM(out, "\3www\7example\3org", 17);
    CHECK_EQ(from("www", org, out, &n), 0);
    CHECK_EQ(n, 17);
    CHECK_MEM(out, "\3www\7example\3org", 17);
    CHECK_EQ(from("@", org, out, &n), 0);
    CHECK_EQ(n, 13);
    CHECK_EQ(from(".", org, out, &n), 0);
    CHECK_EQ(n, 1);
    CHECK_EQ(out[0], 0);
    CHECK_EQ(from("a\\.b.", NULL, out, &n), 0);
    CHECK_EQ(n, 5);
    CHECK_MEM(out, "\3a.b", 5);
    CHECK_EQ(from("\\065\\000.", NULL, out, &n), 0);
    CHECK_EQ(n, 4);
    CHECK_MEM(out, "\2A\0", 4);
    CHECK_EQ(from("a..b.", NULL, out, &n), TB_EMALF);
    CHECK_EQ(from(".a.", NULL, out, &n), TB_EMALF);
    CHECK_EQ(from("a\\25.", NULL, out, &n), TB_EMALF);
    CHECK_EQ(from("a\\256.", NULL, out, &n), TB_EMALF);
    CHECK_EQ(from("a\\", NULL, out, &n), TB_EMALF);
    CHECK_EQ(from("a", NULL, out, &n), TB_EINVAL);
    CHECK_EQ(from("", org, out, &n), TB_EMALF);
}

static void test_limits(void)
{
    char txt[600];
    uint8_t out[DNS_NAME_MAXLEN];
    size_t n = 0, i;

    memset(txt, 'a', 63);
    strcpy(txt + 63, ".");
    CHECK_EQ(from(txt, NULL, out, &n), 0);
    CHECK_EQ(n, 65);
    memset(txt, 'a', 64);
    strcpy(txt + 64, ".");
    CHECK_EQ(from(txt, NULL, out, &n), TB_ERANGE);
    /* 4 x (63 + 1) = 256 > 255, 3 x 64 + 61 + 1 + 1 = 255. */
    txt[0] = '\0';
    for (i = 0; i < 3; i++) {
        memset(txt + i * 64, 'b', 63);
        txt[i * 64 + 63] = '.';
    }
    memset(txt + 192, 'c', 61);
    strcpy(txt + 253, ".");
    CHECK_EQ(from(txt, NULL, out, &n), 0);
    CHECK_EQ(n, 255);
    memset(txt + 192, 'c', 62);
    strcpy(txt + 254, ".");
    CHECK_EQ(from(txt, NULL, out, &n), TB_ERANGE);
    /* Relative name that only overflows with the origin. */
    memset(txt + 192, 'c', 61);
    txt[253] = '\0';
    CHECK_EQ(from(txt, org, out, &n), TB_ERANGE);
}

static void test_to_text(void)
{
    char buf[DNS_NAME_TEXT_MAX];
    static const uint8_t odd[] = "\5a.b c\1\xff";

    CHECK_EQ(dns_name_to_text((const uint8_t *)"", buf, sizeof(buf)), 1);
    CHECK_STR(buf, ".");
    CHECK_EQ(dns_name_to_text(org, buf, sizeof(buf)), 12);
    CHECK_STR(buf, "example.org.");
    CHECK(dns_name_to_text(odd, buf, sizeof(buf)) > 0);
    CHECK_STR(buf, "a\\.b\\ c.\\255.");
    CHECK_EQ(dns_name_to_text(org, buf, 12), TB_ESPACE);
    CHECK_EQ(dns_name_to_text(org, buf, 13), 12);
}

static void test_roundtrip(void)
{
    uint8_t name[DNS_NAME_MAXLEN], back[DNS_NAME_MAXLEN];
    char buf[DNS_NAME_TEXT_MAX];
    size_t n, m, i;
    int r;

    srand(7);
    for (i = 0; i < 2000; i++) {
        size_t o = 0, labs = 1 + (size_t)rand() % 4, l, k;
        for (l = 0; l < labs; l++) {
            size_t ll = 1 + (size_t)rand() % 20;
            name[o++] = (uint8_t)ll;
            for (k = 0; k < ll; k++)
                name[o++] = (uint8_t)rand();
        }
        name[o++] = 0;
        n = o;
        r = dns_name_to_text(name, buf, sizeof(buf));
        REQUIRE(r > 0);
        CHECK_EQ(dns_name_from_text(buf, (size_t)r, NULL, back, &m), 0);
        CHECK_EQ(m, n);
        CHECK_MEM(back, name, n);
    }
}

static void test_types(void)
{
    uint16_t t = 0;
    char buf[16];

    CHECK_EQ(dns_type_from_text("aaaa", 4, &t), 0);
    CHECK_EQ(t, DNS_TYPE_AAAA);
    CHECK_EQ(dns_type_from_text("TYPE65535", 9, &t), 0);
    CHECK_EQ(t, 65535);
    CHECK_EQ(dns_type_from_text("type1", 5, &t), 0);
    CHECK_EQ(t, 1);
    CHECK_EQ(dns_type_from_text("TYPE65536", 9, &t), TB_EINVAL);
    CHECK_EQ(dns_type_from_text("TYPE", 4, &t), TB_EINVAL);
    CHECK_EQ(dns_type_from_text("AAAAA", 5, &t), TB_EINVAL);
    CHECK_EQ(dns_type_from_text("NSEC3PARAM", 10, &t), 0);
    CHECK_EQ(t, DNS_TYPE_NSEC3PARAM);
    CHECK_EQ(dns_type_to_text(DNS_TYPE_HTTPS, buf, sizeof(buf)), 5);
    CHECK_STR(buf, "HTTPS");
    CHECK_EQ(dns_type_to_text(65280, buf, sizeof(buf)), 9);
    CHECK_STR(buf, "TYPE65280");
    CHECK_EQ(dns_type_to_text(65280, buf, 9), TB_ESPACE);
    CHECK_EQ(dns_class_from_text("ch", 2, &t), 0);
    CHECK_EQ(t, DNS_CLASS_CH);
    CHECK_EQ(dns_class_from_text("CLASS1", 6, &t), 0);
    CHECK_EQ(t, 1);
    CHECK_EQ(dns_class_from_text("IX", 2, &t), TB_EINVAL);
    CHECK_EQ(dns_class_to_text(7, buf, sizeof(buf)), 6);
    CHECK_STR(buf, "CLASS7");
    CHECK(dns_rrtype_get(DNS_TYPE_CAA) != NULL);
    CHECK(dns_rrtype_get(1000) == NULL);
}

static void test_ttl(void)
{
    uint32_t v = 0;

    CHECK_EQ(dns_ttl_from_text("3600", 4, &v), 0);
    CHECK_EQ(v, 3600);
    CHECK_EQ(dns_ttl_from_text("1h2m3s", 6, &v), 0);
    CHECK_EQ(v, 3723);
    CHECK_EQ(dns_ttl_from_text("2W", 2, &v), 0);
    CHECK_EQ(v, 1209600);
    CHECK_EQ(dns_ttl_from_text("1d1", 3, &v), TB_EINVAL);
    CHECK_EQ(dns_ttl_from_text("4294967295", 10, &v), 0);
    CHECK_EQ(v, 4294967295u);
    CHECK_EQ(dns_ttl_from_text("4294967296", 10, &v), TB_ERANGE);
    CHECK_EQ(dns_ttl_from_text("h", 1, &v), TB_EINVAL);
    CHECK_EQ(dns_ttl_from_text("1x", 2, &v), TB_EINVAL);
    CHECK_EQ(dns_ttl_from_text("", 0, &v), TB_EINVAL);
}

static void test_zone_src(void)
{
    struct dns_zone_src z;
    static const uint8_t a[] = "\3www\7example\3org";
    static const uint8_t ip[4] = {192, 0, 2, 1};
    size_t i;

    dns_zone_src_init(&z, org, &tb_heap);
    CHECK_EQ(z.origin_len, 13);
    CHECK_EQ(z.rclass, DNS_CLASS_IN);
    CHECK_EQ(dns_zone_src_file(&z, "a.zone"), 0);
    CHECK_EQ(dns_zone_src_file(&z, "b.zone"), 1);
    CHECK_EQ(dns_zone_src_file(&z, "a.zone"), 0);
    for (i = 0; i < 1000; i++)
        REQUIRE(dns_zone_src_add(&z, i % 2 ? a : org, DNS_TYPE_A, 1, 60, ip, 4,
                                 1, (uint32_t)i + 1) == 0);
    CHECK_EQ(z.nrr, 1000);
    CHECK_MEM(dns_zrr_owner(&z, &z.rr[999]), a, sizeof(a));
    CHECK_MEM(dns_zrr_rdata(&z, &z.rr[999]), ip, 4);
    CHECK_STR(dns_zrr_file(&z, &z.rr[3]), "b.zone");
    /* Same owner twice in a row is stored once. */
    REQUIRE(dns_zone_src_add(&z, a, DNS_TYPE_A, 1, 60, ip, 4, 0, 1) == 0);
    CHECK_EQ(z.rr[1000].owner, z.rr[999].owner);
    dns_zone_src_free(&z);
}

int main(void)
{
    RUN(test_from_text);
    RUN(test_limits);
    RUN(test_to_text);
    RUN(test_roundtrip);
    RUN(test_types);
    RUN(test_ttl);
    RUN(test_zone_src);
    return check_done();
}
