/*
 * test_wire_write.c -- unit tests for the message writer (wire_write.c):
 * exact bytes of a small compressed response, compression inside rdata
 * only for the RFC 1035 types, case handling, rollback when an RR does
 * not fit (state exactly as before, checked by writing on), the OPT RR
 * and reservations, sentinel bytes past the size limit, pointer range
 * (offsets >= 0x4000), a full compression table, and round trips through
 * dns_msg_parse() with many pseudo-random names.
 */
#include "check.h"
#include <tibra/dns.h>

#define N(s) ((const uint8_t *)(s))
#define SENT 0x5A

static uint8_t buf[70000];

static void test_basic(void)
{
    struct dns_writer w;
    const uint8_t *qn = N("\x03www\x07"
                          "Example\x03org\x00");

    memset(buf, SENT, sizeof(buf));
    dns_writer_init(&w, buf, 512, 0xabcd, DNS_FLAG_QR | DNS_FLAG_AA);
    CHECK_EQ(dns_writer_len(&w), 12);
    CHECK_EQ(dns_writer_question(&w, qn, DNS_TYPE_A, DNS_CLASS_IN), 0);
    CHECK_EQ(dns_writer_rr(&w,
                           N("\x03WWW\x07"
                             "example\x03ORG\x00"),
                           DNS_TYPE_A, DNS_CLASS_IN, 300, N("\xc0\x00\x02\x01"),
                           4),
             0);
    dns_writer_section(&w, DNS_SEC_AUTHORITY);
    /* NS rdata compresses: ns1 + pointer to example.org (16) */
    CHECK_EQ(dns_writer_rr(&w,
                           N("\x07"
                             "example\x03org\x00"),
                           DNS_TYPE_NS, DNS_CLASS_IN, 86400,
                           N("\x03ns1\x07"
                             "example\x03org\x00"),
                           17),
             0);
    dns_writer_section(&w, DNS_SEC_ADDITIONAL);
    CHECK_EQ(dns_writer_rr(&w,
                           N("\x03ns1\x07"
                             "example\x03org\x00"),
                           DNS_TYPE_A, DNS_CLASS_IN, 86400,
                           N("\xc0\x00\x02\x35"), 4),
             0);
    CHECK_EQ(dns_writer_opt(&w, 1232, 0, 0, DNS_EDNS_DO, NULL, 0), 0);
    size_t n = dns_writer_finish(&w);

    static const uint8_t want[] =
        "\xab\xcd\x84\x00\x00\x01\x00\x01\x00\x01\x00\x02"
        "\x03www\x07"
        "Example\x03org\x00\x00\x01\x00\x01"
        "\xc0\x0c\x00\x01\x00\x01\x00\x00\x01\x2c\x00\x04\xc0\x00\x02\x01"
        "\xc0\x10\x00\x02\x00\x01\x00\x01\x51\x80\x00\x06\x03ns1\xc0\x10"
        "\xc0\x3d\x00\x01\x00\x01\x00\x01\x51\x80\x00\x04\xc0\x00\x02\x35"
        "\x00\x00\x29\x04\xd0\x00\x00\x80\x00\x00\x00";
    CHECK_EQ(n, sizeof(want) - 1);
    CHECK_MEM(buf, want, sizeof(want) - 1);
    for (size_t i = n; i < 600; i++)
        if (buf[i] != SENT) {
            CHECK_EQ(i, -1);
            break;
        }

    struct dns_msg m;
    CHECK_EQ(dns_msg_parse(&m, buf, n), 0);
    CHECK_EQ(m.opt_off, n - 11);
}

static void test_rdata_compression_rules(void)
{
    struct dns_writer w;
    const uint8_t *org = N("\x07"
                           "example\x03org\x00");
    size_t n;

    /* SRV (RFC 2782) never compressed, though the name was written */
    dns_writer_init(&w, buf, 512, 1, 0);
    dns_writer_question(&w, org, DNS_TYPE_SRV, DNS_CLASS_IN);
    n = dns_writer_len(&w);
    CHECK_EQ(dns_writer_rr(&w, org, DNS_TYPE_SRV, 1, 60,
                           N("\x00\x01\x00\x02\x00\x03\x07"
                             "example\x03org"
                             "\x00"),
                           19),
             0);
    CHECK_EQ(dns_writer_len(&w), n + 2 + 10 + 19);
    CHECK_MEM(buf + n + 12,
              "\x00\x01\x00\x02\x00\x03\x07"
              "example",
              14);

    /* MX, SOA, MINFO, CNAME, PTR compress */
    n = dns_writer_len(&w);
    CHECK_EQ(dns_writer_rr(&w, org, DNS_TYPE_MX, 1, 60,
                           N("\x00\x0a\x04mail\x07"
                             "EXAMPLE\x03org\x00"),
                           20),
             0);
    CHECK_EQ(dns_writer_len(&w), n + 2 + 10 + 2 + 5 + 2);
    CHECK_MEM(buf + n + 12, "\x00\x0a\x04mail\xc0\x0c", 9);
    n = dns_writer_len(&w);
    CHECK_EQ(dns_writer_rr(&w, org, DNS_TYPE_SOA, 1, 60,
                           N("\x02ns\x07"
                             "example\x03org\x00"
                             "\x04mail\x07"
                             "example\x03org\x00"
                             "AAAABBBBCCCCDDDDEEEE"),
                           16 + 18 + 20),
             0);
    /* ns + ptr, then mail.example.org is already written (by the MX) */
    CHECK_EQ(dns_writer_len(&w), n + 2 + 10 + 5 + 2 + 20);
    CHECK_MEM(buf + n + 12, "\x02ns\xc0\x0c\xc0", 6);
    CHECK_MEM(buf + n + 19, "AAAABBBBCCCCDDDDEEEE", 20);
    CHECK_EQ(dns_writer_rr(&w, org, DNS_TYPE_MINFO, 1, 60, N("\x00\x00"), 2),
             0);
    n = dns_writer_len(&w);
    CHECK_EQ(dns_writer_rr(&w, org, DNS_TYPE_PTR, 1, 60, org, 13), 0);
    CHECK_EQ(dns_writer_len(&w), n + 2 + 10 + 2);
    /* DNAME and RRSIG: names verbatim */
    n = dns_writer_len(&w);
    CHECK_EQ(dns_writer_rr(&w, org, DNS_TYPE_DNAME, 1, 60, org, 13), 0);
    CHECK_EQ(dns_writer_len(&w), n + 2 + 10 + 13);
    n = dns_writer_finish(&w);

    /* everything reads back, rdata decompressed to what was given */
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    uint8_t out[600];
    size_t ol;
    REQUIRE(dns_msg_parse(&m, buf, n) == 0);
    CHECK_EQ(m.count[DNS_SEC_ANSWER], 6);
    dns_rr_iter_init(&it, &m, DNS_SEC_ANSWER);
    REQUIRE(dns_rr_next(&it, &rr)); /* SRV */
    REQUIRE(dns_rr_next(&it, &rr)); /* MX */
    CHECK_EQ(dns_rdata_unpack(buf, n, rr.rdoff, rr.rdlen, rr.type, out,
                              sizeof(out), &ol),
             0);
    CHECK_EQ(ol, 20);
    /* the pointer target keeps the case first written */
    CHECK_MEM(out,
              "\x00\x0a\x04mail\x07"
              "example\x03org\x00",
              20);
    REQUIRE(dns_rr_next(&it, &rr)); /* SOA */
    CHECK_EQ(dns_rdata_unpack(buf, n, rr.rdoff, rr.rdlen, rr.type, out,
                              sizeof(out), &ol),
             0);
    CHECK_EQ(ol, 16 + 18 + 20);
}

/* Writes RRs until one does not fit; returns the count written. */
static unsigned fill(struct dns_writer *w, unsigned start)
{
    uint8_t owner[32];
    unsigned i;

    for (i = start;; i++) {
        memcpy(owner,
               "\x04host\x07"
               "example\x03org\x00",
               19);
        owner[4] = (uint8_t)('a' + i % 26);
        owner[3] = (uint8_t)('a' + i / 26 % 26);
        if (dns_writer_rr(w, owner, DNS_TYPE_MX, 1, 60,
                          N("\x00\x01\x04mail\x04host\x07"
                            "example\x03org"
                            "\x00"),
                          25) != 0)
            return i - start;
    }
}

/* The writer's state that matters: length, counts, compression table. */
static bool same_state(const struct dns_writer *a, const struct dns_writer *b)
{
    return a->len == b->len && a->sec == b->sec &&
           memcmp(a->count, b->count, sizeof(a->count)) == 0 &&
           a->nnames == b->nnames &&
           memcmp(a->slot, b->slot, sizeof(a->slot)) == 0 &&
           memcmp(a->ins, b->ins, a->nnames) == 0;
}

static void test_rollback(void)
{
    static uint8_t ref[600];
    struct dns_writer w, w2;
    const uint8_t *org = N("\x07"
                           "example\x03org\x00");

    memset(buf, SENT, sizeof(buf));
    dns_writer_init(&w, buf, 300, 7, DNS_FLAG_QR);
    dns_writer_question(&w, org, DNS_TYPE_MX, DNS_CLASS_IN);
    unsigned k = fill(&w, 0);
    CHECK(k > 3);
    size_t len = dns_writer_len(&w);
    /* sentinel past the limit untouched, even after the failed RR */
    for (size_t i = 300; i < 400; i++)
        if (buf[i] != SENT) {
            CHECK_EQ(i, -1);
            break;
        }
    /* a failing RR leaves the writer exactly as it was: the same state
     * compared field by field with a copy taken before the attempt */
    memcpy(&w2, &w, sizeof(w));
    static uint8_t txt[250] = {249};
    CHECK_EQ(dns_writer_rr(&w, N("\x05other\x04zone\x00"), DNS_TYPE_TXT, 1, 60,
                           txt, 250),
             TB_ESPACE);
    CHECK_EQ(dns_writer_len(&w), len);
    CHECK(same_state(&w, &w2));
    /* compressible rdata failing half way (names remembered, then no
     * room): still restored exactly */
    memcpy(&w2, &w, sizeof(w));
    CHECK_EQ(dns_writer_rr(&w, N("\x05other\x04zone\x00"), DNS_TYPE_SOA, 1, 60,
                           N("\x05other\x04zone\x00\x05other\x04zone\x00"
                             "AAAABBBBCCCCDDDDEEEE"),
                           44),
             TB_ESPACE);
    CHECK(same_state(&w, &w2));

    /* an owner that fits exactly (so its suffix is remembered) followed
     * by no room for the fixed part */
    size_t room = 300 - dns_writer_len(&w);
    REQUIRE(room >= 3 && room <= 65);
    uint8_t big[70];
    big[0] = (uint8_t)(room - 2);
    memset(big + 1, 'q', room - 2);
    big[room - 1] = 0;
    memcpy(&w2, &w, sizeof(w));
    CHECK_EQ(
        dns_writer_rr(&w, big, DNS_TYPE_A, 1, 60, N("\x01\x02\x03\x04"), 4),
        TB_ESPACE);
    CHECK(same_state(&w, &w2));
    CHECK(memcmp(w.slot, w2.slot, sizeof(w.slot)) == 0);

    /* the same message written by a writer that never failed */
    dns_writer_init(&w2, ref, 300, 7, DNS_FLAG_QR);
    dns_writer_question(&w2, org, DNS_TYPE_MX, DNS_CLASS_IN);
    CHECK_EQ(fill(&w2, 0), k);
    dns_writer_set_flags(&w, DNS_FLAG_QR | DNS_FLAG_TC);
    dns_writer_set_flags(&w2, DNS_FLAG_QR | DNS_FLAG_TC);
    size_t n = dns_writer_finish(&w);
    CHECK_EQ(n, dns_writer_finish(&w2));
    CHECK_MEM(buf, ref, n);
    CHECK_EQ(buf[2], 0x82);

    struct dns_msg m;
    CHECK_EQ(dns_msg_parse(&m, buf, n), 0);
    CHECK_EQ(m.count[DNS_SEC_ANSWER], k);
}

static void test_reserve_and_opt(void)
{
    struct dns_writer w;
    const uint8_t *org = N("\x07"
                           "example\x03org\x00");

    dns_writer_init(&w, buf, 200, 7, DNS_FLAG_QR);
    dns_writer_question(&w, org, DNS_TYPE_MX, DNS_CLASS_IN);
    CHECK_EQ(dns_writer_reserve(&w, 1000), TB_ESPACE);
    CHECK_EQ(dns_writer_reserve(&w, 11 + 8), 0);
    unsigned k = fill(&w, 0);
    CHECK(200 - dns_writer_len(&w) >= 19);
    /* the OPT RR with one option fits in what was reserved */
    CHECK_EQ(dns_writer_opt(&w, 1232, 1, 0, 0,
                            N("\x00\x0a\x00\x04"
                              "abcd"),
                            8),
             0);
    size_t n = dns_writer_finish(&w);
    CHECK(n <= 200);
    struct dns_msg m;
    REQUIRE(dns_msg_parse(&m, buf, n) == 0);
    CHECK_EQ(m.count[DNS_SEC_ANSWER], k);
    CHECK_EQ(m.count[DNS_SEC_ADDITIONAL], 1);
    struct dns_query q;
    /* as a query (QR clear) the OPT reads back */
    buf[2] &= 0x7f;
    CHECK_EQ(dns_query_parse(&q, buf, n), 0);
    CHECK(q.has_opt);
    CHECK_EQ(q.ext_rcode, 1);
    CHECK_EQ(q.udp_size, 1232);
    /* no room for an OPT */
    dns_writer_init(&w, buf, 20, 7, 0);
    CHECK_EQ(dns_writer_opt(&w, 512, 0, 0, 0, NULL, 0), TB_ESPACE);
    CHECK_EQ(dns_writer_len(&w), 12);
    /* an exact fit: header + root question 5 bytes + OPT 11 = 28 */
    dns_writer_init(&w, buf, 28, 7, 0);
    CHECK_EQ(dns_writer_question(&w, N("\x00"), 2, 1), 0);
    CHECK_EQ(dns_writer_opt(&w, 512, 0, 0, 0, NULL, 0), 0);
    CHECK_EQ(dns_writer_finish(&w), 28);
    /* a question that does not fit */
    dns_writer_init(&w, buf, 20, 7, 0);
    CHECK_EQ(dns_writer_question(&w, org, 2, 1), TB_ESPACE);
    CHECK_EQ(dns_writer_len(&w), 12);
    CHECK_EQ(dns_writer_finish(&w), 12);
    CHECK_MEM(buf + 4, "\x00\x00\x00\x00\x00\x00\x00\x00", 8);
}

/* xorshift for reproducible pseudo-random names */
static uint32_t rng = 2463534242u;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* A random name below a few shared suffixes, mixed case. */
static size_t rand_name(uint8_t *out)
{
    static const char *const tails[] = {"\x03org",
                                        "\x03"
                                        "com\x01x",
                                        "\x02nl"};
    size_t p = 0;
    unsigned labels = rnd() % 4;
    for (unsigned i = 0; i < labels; i++) {
        unsigned l = 1 + rnd() % 6;
        out[p++] = (uint8_t)l;
        for (unsigned j = 0; j < l; j++)
            out[p++] = (uint8_t)("aAbB"[rnd() % 4]);
    }
    const char *t = tails[rnd() % 3];
    memcpy(out + p, t, strlen(t));
    p += strlen(t);
    out[p++] = 0;
    return p;
}

static void test_round_trip(void)
{
    enum { NRR = 3000 };
    static uint8_t owners[NRR][64], targets[NRR][64];
    static uint16_t types[NRR];
    struct dns_writer w;
    unsigned i;

    dns_writer_init(&w, buf, 65535, 1, DNS_FLAG_QR);
    for (i = 0; i < NRR; i++) {
        uint8_t rd[80];
        size_t ol = rand_name(owners[i]), tl = rand_name(targets[i]);
        (void)ol;
        types[i] = rnd() % 2 ? DNS_TYPE_MX : DNS_TYPE_SRV;
        memset(rd, 0, 6);
        memcpy(rd + (types[i] == DNS_TYPE_MX ? 2 : 6), targets[i], tl);
        size_t rl = tl + (types[i] == DNS_TYPE_MX ? 2 : 6);
        if (dns_writer_rr(&w, owners[i], types[i], 1, i, rd, (uint16_t)rl) != 0)
            break;
    }
    unsigned written = i;
    CHECK(written > 1500); /* and so well past offset 0x4000 */
    size_t n = dns_writer_finish(&w);
    CHECK(n > 0x4000);
    CHECK(n <= 65535);

    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    REQUIRE(dns_msg_parse(&m, buf, n) == 0);
    CHECK_EQ(m.count[DNS_SEC_ANSWER], written);
    dns_rr_iter_init(&it, &m, DNS_SEC_ANSWER);
    for (i = 0; i < written; i++) {
        uint8_t out[400];
        size_t ol;
        REQUIRE(dns_rr_next(&it, &rr));
        CHECK(dns_name_equal(rr.owner, owners[i]));
        CHECK_EQ(rr.ttl, i);
        CHECK_EQ(rr.type, types[i]);
        REQUIRE(dns_rdata_unpack(buf, n, rr.rdoff, rr.rdlen, rr.type, out,
                                 sizeof(out), &ol) == 0);
        size_t pre = types[i] == DNS_TYPE_MX ? 2 : 6;
        CHECK(dns_name_equal(out + pre, targets[i]));
        /* SRV targets are never compressed: exact case */
        if (types[i] == DNS_TYPE_SRV)
            CHECK_MEM(out + pre, targets[i], dns_name_len(targets[i]));
    }
    CHECK(!dns_rr_next(&it, &rr));
}

static void test_compression_seams(void)
{
    struct dns_writer w;
    uint8_t name[255];
    size_t p = 0;

    /* a 255-byte name written twice: the second is one pointer */
    for (int l = 0; l < 4; l++) {
        unsigned ll = l < 3 ? 63 : 61;
        name[p++] = (uint8_t)ll;
        memset(name + p, 'a' + l, ll);
        p += ll;
    }
    name[p++] = 0;
    dns_writer_init(&w, buf, 65535, 1, 0);
    CHECK_EQ(dns_writer_question(&w, name, 1, 1), 0);
    CHECK_EQ(dns_writer_len(&w), 12 + 255 + 4);
    CHECK_EQ(dns_writer_rr(&w, name, 1, 1, 0, N("\x01\x02\x03\x04"), 4), 0);
    CHECK_EQ(dns_writer_len(&w), 12 + 255 + 4 + 2 + 10 + 4);
    /* a name differing only in case compresses too */
    name[100] = 'B';
    CHECK_EQ(dns_writer_rr(&w, name, 1, 1, 0, N("\x01\x02\x03\x04"), 4), 0);
    CHECK_EQ(dns_writer_len(&w), 12 + 255 + 4 + 2 * (2 + 10 + 4));
    /* a suffix shares the tail labels */
    CHECK_EQ(dns_writer_rr(&w, name + 64, 1, 1, 0, N("\x01\x02\x03\x04"), 4),
             0);
    CHECK_EQ(dns_writer_len(&w), 12 + 255 + 4 + 3 * (2 + 10 + 4));
    /* the root never compresses (one byte is shorter than a pointer) */
    CHECK_EQ(dns_writer_rr(&w, N("\x00"), 1, 1, 0, N("\x01\x02\x03\x04"), 4),
             0);
    CHECK_EQ(dns_writer_len(&w), 12 + 255 + 4 + 3 * 16 + 15);
    size_t n = dns_writer_finish(&w);
    struct dns_msg m;
    CHECK_EQ(dns_msg_parse(&m, buf, n), 0);

    /* more distinct names than the table holds: still correct */
    dns_writer_init(&w, buf, 65535, 1, 0);
    for (unsigned i = 0; i < 300; i++) {
        uint8_t o[16] = "\x03"
                        "a00\x02zz\x00";
        o[2] = (uint8_t)('a' + i % 26);
        o[3] = (uint8_t)('a' + i / 26);
        o[5] = (uint8_t)('a' + i % 7);
        CHECK_EQ(dns_writer_rr(&w, o, 1, 1, 0, N("\x01\x02\x03\x04"), 4), 0);
    }
    n = dns_writer_finish(&w);
    CHECK_EQ(dns_msg_parse(&m, buf, n), 0);
    CHECK_EQ(m.count[1], 300);
}

int main(void)
{
    RUN(test_basic);
    RUN(test_rdata_compression_rules);
    RUN(test_rollback);
    RUN(test_reserve_and_opt);
    RUN(test_round_trip);
    RUN(test_compression_seams);
    return check_done();
}
