/*
 * test_wire_query.c -- unit tests for dns_query_parse() (wire_query.c)
 * and the per-RR checks it shares with dns_msg_parse(): header seams,
 * question name limits, counts larger than the message, OPT placement
 * and form, TSIG placement, trailing bytes, and the result codes that
 * tell drop from FORMERR.  Messages are built byte by byte.
 */
#include "check.h"
#include <tibra/dns.h>

/* A tiny message builder for tests. */
struct mb {
    uint8_t b[70000];
    size_t n;
};

static void mb_bytes(struct mb *m, const void *p, size_t n)
{
    if (n > 0)
        memcpy(m->b + m->n, p, n);
    m->n += n;
}
static void mb_u8(struct mb *m, unsigned v)
{
    m->b[m->n++] = (uint8_t)v;
}
static void mb_u16(struct mb *m, unsigned v)
{
    mb_u8(m, v >> 8);
    mb_u8(m, v);
}
static void mb_u32(struct mb *m, uint32_t v)
{
    mb_u16(m, v >> 16);
    mb_u16(m, v & 0xffff);
}
static void mb_hdr(struct mb *m, unsigned flags, unsigned qd, unsigned an,
                   unsigned ns, unsigned ar)
{
    m->n = 0;
    mb_u16(m, 0x1234);
    mb_u16(m, flags);
    mb_u16(m, qd);
    mb_u16(m, an);
    mb_u16(m, ns);
    mb_u16(m, ar);
}
#define NAME(m, s) mb_bytes((m), (s), sizeof(s) - 1)
static void mb_q(struct mb *m, unsigned type, unsigned cls)
{
    NAME(m, "\x03WwW\x07"
            "ExAmple\x03org\x00");
    mb_u16(m, type);
    mb_u16(m, cls);
}
static void mb_opt(struct mb *m, unsigned udp, uint32_t ttl, const void *opts,
                   unsigned optlen)
{
    mb_u8(m, 0);
    mb_u16(m, DNS_TYPE_OPT);
    mb_u16(m, udp);
    mb_u32(m, ttl);
    mb_u16(m, optlen);
    mb_bytes(m, opts, optlen);
}
static void mb_rr(struct mb *m, const void *owner, size_t olen, unsigned type,
                  unsigned cls, const void *rd, unsigned rdlen)
{
    mb_bytes(m, owner, olen);
    mb_u16(m, type);
    mb_u16(m, cls);
    mb_u32(m, 3600);
    mb_u16(m, rdlen);
    mb_bytes(m, rd, rdlen);
}

static int parse(struct dns_query *q, const struct mb *m)
{
    memset(q, 0xAA, sizeof(*q));
    return dns_query_parse(q, m->b, m->n);
}

static struct mb m;

static void test_typical(void)
{
    struct dns_query q;

    mb_hdr(&m, DNS_FLAG_RD, 1, 0, 0, 1);
    mb_q(&m, DNS_TYPE_AAAA, DNS_CLASS_IN);
    size_t qend = m.n;
    mb_opt(&m, 1232, DNS_EDNS_DO,
           "\x00\x0a\x00\x08"
           "abcdefgh",
           12);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_EQ(q.id, 0x1234);
    CHECK_EQ(q.flags, DNS_FLAG_RD);
    CHECK_EQ(q.qdcount, 1);
    CHECK_EQ(q.arcount, 1);
    CHECK_EQ(q.qname_len, 17);
    CHECK_MEM(q.qname,
              "\x03www\x07"
              "example\x03org\x00",
              17);
    CHECK_EQ(q.qtype, DNS_TYPE_AAAA);
    CHECK_EQ(q.qclass, DNS_CLASS_IN);
    CHECK_EQ(q.question_end, qend);
    CHECK_EQ(q.end, m.n);
    CHECK(q.has_opt);
    CHECK_EQ(q.udp_size, 1232);
    CHECK_EQ(q.edns_flags, DNS_EDNS_DO);
    CHECK_EQ(q.edns_version, 0);
    CHECK_EQ(q.ext_rcode, 0);
    CHECK_EQ(q.opt_off, qend);
    CHECK_EQ(q.opt_len, 11 + 12);
    CHECK_EQ(q.tsig_off, 0);
    /* the question as received keeps its case */
    CHECK_MEM(m.b + 12, "\x03WwW", 4);

    const uint8_t *v;
    uint16_t vl;
    CHECK(dns_opt_find(m.b + q.opt_off + 11, q.opt_len - 11, 10, &v, &vl));
    CHECK_EQ(vl, 8);
    CHECK_MEM(v, "abcdefgh", 8);
    CHECK(!dns_opt_find(m.b + q.opt_off + 11, q.opt_len - 11, 3, &v, &vl));

    /* no EDNS at all */
    mb_hdr(&m, 0, 1, 0, 0, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK(!q.has_opt);
    CHECK_EQ(q.opt_off, 0);
    CHECK_EQ(q.end, m.n);

    /* EDNS fields: ext rcode, version, flags */
    mb_hdr(&m, 0, 1, 0, 0, 1);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_opt(&m, 100, 0x05018000, NULL, 0);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_EQ(q.udp_size, 100);
    CHECK_EQ(q.ext_rcode, 5);
    CHECK_EQ(q.edns_version, 1);
    CHECK_EQ(q.edns_flags, 0x8000);
}

static void test_drop_and_header(void)
{
    struct dns_query q;

    /* 0..11 bytes: drop */
    mb_hdr(&m, 0, 1, 0, 0, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    for (size_t n = 0; n < 12; n++) {
        memset(&q, 0xAA, sizeof(q));
        CHECK_EQ(dns_query_parse(&q, m.b, n), TB_ETRUNC);
        CHECK(dns_query_drop(TB_ETRUNC));
    }
    /* a bare header: QDCOUNT 0 is its own result */
    mb_hdr(&m, 0, 0, 0, 0, 0);
    CHECK_EQ(parse(&q, &m), DNS_QUERY_NOQUESTION);
    CHECK_EQ(q.qname_len, 0);
    CHECK_EQ(q.end, 12);
    CHECK(!dns_query_drop(DNS_QUERY_NOQUESTION));

    /* QR set: drop, header still read */
    mb_hdr(&m, DNS_FLAG_QR, 1, 0, 0, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    CHECK_EQ(parse(&q, &m), TB_EINVAL);
    CHECK(dns_query_drop(TB_EINVAL));
    CHECK_EQ(q.id, 0x1234);

    /* two questions: FORMERR, header valid */
    mb_hdr(&m, 0, 2, 0, 0, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    CHECK(!dns_query_drop(TB_EMALF));
    CHECK_EQ(q.id, 0x1234);
    CHECK_EQ(q.qdcount, 2);

    /* QDCOUNT 1 but nothing follows the header */
    mb_hdr(&m, 0, 1, 0, 0, 0);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    CHECK_EQ(q.qname_len, 0);

    /* question cut at every byte */
    mb_hdr(&m, 0, 1, 0, 0, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    for (size_t n = 12; n < m.n; n++)
        CHECK_EQ(dns_query_parse(&q, m.b, n), TB_EMALF);
    CHECK_EQ(dns_query_parse(&q, m.b, m.n), 0);
}

static void test_qname(void)
{
    struct dns_query q;
    uint8_t name[300];

    /* compressed question name: refused like NSD and Knot */
    mb_hdr(&m, 0, 1, 0, 0, 0);
    NAME(&m, "\x03www\xc0\x00");
    mb_u16(&m, 1);
    mb_u16(&m, 1);
    CHECK_EQ(parse(&q, &m), TB_EMALF);

    /* root qname */
    mb_hdr(&m, 0, 1, 0, 0, 0);
    NAME(&m, "\x00");
    mb_u16(&m, DNS_TYPE_NS);
    mb_u16(&m, 1);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_EQ(q.qname_len, 1);
    CHECK_EQ(q.qtype, DNS_TYPE_NS);

    /* 255-byte qname (4 labels: 63 63 63 61) with mixed case in every
     * 8-byte lane, ok; 256 refused */
    size_t p = 0;
    for (int l = 0; l < 4; l++) {
        unsigned ll = l < 3 ? 63 : 61;
        name[p++] = (uint8_t)ll;
        for (unsigned i = 0; i < ll; i++)
            name[p++] = (uint8_t)("AzZa@[`{"[i % 8]);
    }
    name[p++] = 0;
    CHECK_EQ(p, 255);
    mb_hdr(&m, 0, 1, 0, 0, 0);
    mb_bytes(&m, name, p);
    mb_u16(&m, 1);
    mb_u16(&m, 1);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_EQ(q.qname_len, 255);
    uint8_t want[255];
    memcpy(want, name, 255);
    dns_name_lower(want);
    CHECK_MEM(q.qname, want, 255);
    CHECK_EQ(q.qname[1], 'a');
    CHECK_EQ(q.qname[3], 'z');
    CHECK_EQ(q.qname[5], '@');
    CHECK_EQ(q.qname[6], '[');

    name[192] = 62; /* the last label grows: 256 bytes */
    memmove(name + 254, name + 253, 2);
    name[254] = 'x';
    mb_hdr(&m, 0, 1, 0, 0, 0);
    mb_bytes(&m, name, 256);
    mb_u16(&m, 1);
    mb_u16(&m, 1);
    CHECK_EQ(parse(&q, &m), TB_EMALF);

    /* 64-byte label, and labels of types 01 / 10 */
    mb_hdr(&m, 0, 1, 0, 0, 0);
    mb_u8(&m, 64);
    for (int i = 0; i < 64; i++)
        mb_u8(&m, 'a');
    mb_u8(&m, 0);
    mb_u16(&m, 1);
    mb_u16(&m, 1);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    mb_hdr(&m, 0, 1, 0, 0, 0);
    NAME(&m, "\x80\x00\x00\x01\x00\x01");
    CHECK_EQ(parse(&q, &m), TB_EMALF);

    /* non-ASCII bytes are not folded */
    mb_hdr(&m, 0, 1, 0, 0, 0);
    NAME(&m, "\x0a\xc1\xda\xdbZ\x80\xff"
             "ABCD\x00\x00\x01\x00\x01");
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_MEM(q.qname,
              "\x0a\xc1\xda\xdbz\x80\xff"
              "abcd\x00",
              12);
}

static void test_counts(void)
{
    struct dns_query q;

    /* counts larger than the message */
    mb_hdr(&m, 0, 1, 0, 0, 1);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    CHECK_EQ(q.qname_len, 17); /* the question itself parsed */
    CHECK(q.question_end > 0);
    mb_hdr(&m, 0, 1, 0xffff, 0xffff, 0xffff);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_opt(&m, 512, 0, NULL, 0);
    CHECK_EQ(parse(&q, &m), TB_EMALF);

    /* an RR whose rdlength runs past the end, by one byte */
    mb_hdr(&m, 0, 1, 0, 0, 1);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_opt(&m, 512, 0, "\x00\x0a\x00\x00", 4);
    CHECK_EQ(dns_query_parse(&q, m.b, m.n), 0);
    CHECK_EQ(dns_query_parse(&q, m.b, m.n - 1), TB_EMALF);

    /* trailing bytes are ignored but reported (NSD's choice) */
    size_t n = m.n;
    mb_bytes(&m, "junk", 4);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_EQ(q.end, n);
    CHECK(q.has_opt);

    /* answer and authority RRs are checked, not rejected */
    mb_hdr(&m, 0, 1, 1, 1, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_rr(&m, "\xc0\x0c", 2, DNS_TYPE_A, 1, "\x01\x02\x03\x04", 4);
    mb_rr(&m, "\x00", 1, DNS_TYPE_NS, 1,
          "\x01"
          "a\xc0\x0c",
          4);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_EQ(q.end, m.n);
    /* rdata of the wrong shape: A of 5 bytes */
    mb_hdr(&m, 0, 1, 1, 0, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_rr(&m, "\xc0\x0c", 2, DNS_TYPE_A, 1, "\x01\x02\x03\x04\x05", 5);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    /* forward pointer in an owner */
    mb_hdr(&m, 0, 1, 1, 0, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_rr(&m, "\xc0\x40", 2, DNS_TYPE_A, 1, "\x01\x02\x03\x04", 4);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    /* empty rdata: fine in class ANY/NONE (UPDATE), not for IN A */
    mb_hdr(&m, 5 << 11, 1, 0, 1, 0);
    mb_q(&m, DNS_TYPE_SOA, DNS_CLASS_IN);
    mb_rr(&m, "\xc0\x0c", 2, DNS_TYPE_A, DNS_CLASS_ANY, NULL, 0);
    CHECK_EQ(parse(&q, &m), 0);
    mb_hdr(&m, 5 << 11, 1, 0, 1, 0);
    mb_q(&m, DNS_TYPE_SOA, DNS_CLASS_IN);
    mb_rr(&m, "\xc0\x0c", 2, DNS_TYPE_A, DNS_CLASS_IN, NULL, 0);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
}

static void test_opt_rules(void)
{
    struct dns_query q;

    /* OPT in the answer or authority section */
    mb_hdr(&m, 0, 1, 1, 0, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_opt(&m, 512, 0, NULL, 0);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    mb_hdr(&m, 0, 1, 0, 1, 0);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_opt(&m, 512, 0, NULL, 0);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    /* two OPTs */
    mb_hdr(&m, 0, 1, 0, 0, 2);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_opt(&m, 512, 0, NULL, 0);
    mb_opt(&m, 512, 0, NULL, 0);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    /* OPT with a non-root owner (RFC 6891 6.1.1) */
    mb_hdr(&m, 0, 1, 0, 0, 1);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_rr(&m, "\xc0\x0c", 2, DNS_TYPE_OPT, 512, NULL, 0);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    /* options that do not fill the rdata exactly */
    mb_hdr(&m, 0, 1, 0, 0, 1);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_opt(&m, 512, 0,
           "\x00\x0a\x00\x05"
           "abcd",
           8);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    mb_hdr(&m, 0, 1, 0, 0, 1);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_opt(&m, 512, 0, "\x00\x0a\x00", 3);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    /* OPT after another additional RR is fine */
    mb_hdr(&m, 0, 1, 0, 0, 2);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    mb_rr(&m, "\xc0\x0c", 2, DNS_TYPE_A, 1, "\x01\x02\x03\x04", 4);
    size_t off = m.n;
    mb_opt(&m, 4096, 0, NULL, 0);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_EQ(q.opt_off, off);
    CHECK_EQ(q.udp_size, 4096);
    /* QDCOUNT 0 with OPT (NSD answers FORMERR with EDNS) */
    mb_hdr(&m, 0, 0, 0, 0, 1);
    mb_opt(&m, 1232, 0, NULL, 0);
    CHECK_EQ(parse(&q, &m), DNS_QUERY_NOQUESTION);
    CHECK(q.has_opt);
    CHECK_EQ(q.udp_size, 1232);
}

static void tsig_rr(struct mb *mm)
{
    static const uint8_t rd[] = "\x0bhmac-sha256\x00" /* algorithm */
                                "\x00\x00\x5f\x00\x00\x00" /* time signed */
                                "\x01\x2c" /* fudge */
                                "\x00\x04"
                                "MAC!" /* MAC */
                                "\x12\x34\x00\x00" /* original id, error */
                                "\x00\x00"; /* other */
    mb_rr(mm, "\x03key\x00", 5, DNS_TYPE_TSIG, DNS_CLASS_ANY, rd,
          sizeof(rd) - 1);
}

static void test_tsig_rules(void)
{
    struct dns_query q;

    mb_hdr(&m, 0, 1, 0, 0, 2);
    mb_q(&m, DNS_TYPE_SOA, DNS_CLASS_IN);
    mb_opt(&m, 512, 0, NULL, 0);
    size_t off = m.n;
    tsig_rr(&m);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_EQ(q.tsig_off, off);
    CHECK(q.has_opt);

    /* TSIG before OPT: not last */
    mb_hdr(&m, 0, 1, 0, 0, 2);
    mb_q(&m, DNS_TYPE_SOA, DNS_CLASS_IN);
    tsig_rr(&m);
    mb_opt(&m, 512, 0, NULL, 0);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    /* two TSIGs */
    mb_hdr(&m, 0, 1, 0, 0, 2);
    mb_q(&m, DNS_TYPE_SOA, DNS_CLASS_IN);
    tsig_rr(&m);
    tsig_rr(&m);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    /* TSIG in the authority section */
    mb_hdr(&m, 0, 1, 0, 1, 0);
    mb_q(&m, DNS_TYPE_SOA, DNS_CLASS_IN);
    tsig_rr(&m);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    /* TSIG with a MAC length running past its rdata */
    mb_hdr(&m, 0, 1, 0, 0, 1);
    mb_q(&m, DNS_TYPE_SOA, DNS_CLASS_IN);
    tsig_rr(&m);
    m.b[m.n - 11] = 9;
    CHECK_EQ(parse(&q, &m), TB_EMALF);
}

/*
 * A chain of 126 pointers (each to the one before) in the rdata of one RR,
 * then (n) RRs whose owners point at its top: 127 hops each.  Honest
 * messages never need that; the query parser's hop budget refuses it in
 * time linear in the message, dns_msg_parse() (no budget) accepts it.
 */
static size_t chain_msg(struct mb *mm, unsigned n)
{
    mb_hdr(mm, 0, 1, 0, 0, 0);
    mb_q(mm, DNS_TYPE_A, DNS_CLASS_IN);
    size_t start = mm->n + 2 + 10; /* rdata of the first RR */
    uint8_t rd[1 + 2 * 126];
    size_t prev = start;
    rd[0] = 0;
    for (int i = 0; i < 126; i++) {
        rd[1 + 2 * i] = (uint8_t)(0xc0 | prev >> 8);
        rd[2 + 2 * i] = (uint8_t)prev;
        prev = start + 1 + 2 * (size_t)i;
    }
    mb_rr(mm, "\xc0\x0c", 2, DNS_TYPE_NULL, 1, rd, sizeof(rd));
    for (unsigned i = 0; i < n; i++) {
        uint8_t o[2] = {(uint8_t)(0xc0 | prev >> 8), (uint8_t)prev};
        mb_rr(mm, o, 2, DNS_TYPE_NULL, 1, NULL, 0);
    }
    mm->b[11] = (uint8_t)(n + 1);
    mm->b[10] = (uint8_t)((n + 1) >> 8);
    return mm->n;
}

static void test_hop_budget(void)
{
    struct dns_query q;
    struct dns_msg dm;

    /* a few such RRs pass (the budget is far above honest needs) */
    chain_msg(&m, 2);
    CHECK_EQ(parse(&q, &m), 0);
    CHECK_EQ(dns_msg_parse(&dm, m.b, m.n), 0);
    /* 80 of them in 1.2 KB: 10000 hops, refused by the query parser */
    chain_msg(&m, 80);
    CHECK(m.n < 1300);
    CHECK_EQ(parse(&q, &m), TB_EMALF);
    CHECK_EQ(dns_msg_parse(&dm, m.b, m.n), 0);
    /* honest compression: 200 RRs each pointing at the question name */
    mb_hdr(&m, 0, 1, 0, 0, 200);
    mb_q(&m, DNS_TYPE_A, DNS_CLASS_IN);
    for (int i = 0; i < 200; i++)
        mb_rr(&m, "\x01x\xc0\x0c", 4, DNS_TYPE_A, 1, "\x01\x02\x03\x04", 4);
    CHECK_EQ(parse(&q, &m), 0);
}

int main(void)
{
    RUN(test_typical);
    RUN(test_drop_and_header);
    RUN(test_qname);
    RUN(test_counts);
    RUN(test_opt_rules);
    RUN(test_tsig_rules);
    RUN(test_hop_budget);
    return check_done();
}
