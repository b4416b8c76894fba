/*
 * test_xfr.c -- outgoing transfers (lib/dns/xfr.c, ixfr.c) through the
 * service core's TCP session with fake peers: the blob's records section
 * (validation, present only when asked for), AXFR streamed in several
 * messages with a slow reader (back-pressure), SOA first and last and
 * every record once, allow-transfer prefixes (refused: REFUSED + EDE 18),
 * AXFR over UDP still NOTIMP, the IXFR delta of two versions (deletions,
 * additions, a TTL change), IXFR answered from the history, with the
 * current SOA alone, or AXFR-style when the history does not reach back,
 * and a transfer cut when the driver publishes another zone set.
 */
#include "check.h"
#include "test_auth_util.h"
#include <tibra/dns/srv.h>

#define SEC 1000000000ull

static struct dns_srv_conf conf = {.tcp_idle_ns = 10 * SEC};
static uint8_t rbuf[DNS_TCP_RBUF], wbuf[DNS_TCP_WBUF];

/* ta_zone() with compile flags. */
static uint8_t *zone_flags(const char *origin, const char *const *lines,
                           size_t extra, unsigned flags, size_t *len)
{
    struct dns_zone_src z;
    struct tb_buf out;
    uint8_t o[256];
    char line[128];

    ta_name(origin, NULL, o);
    dns_zone_src_init(&z, o, &ta);
    for (size_t i = 0; lines[i] != NULL; i++)
        ta_rr(&z, lines[i]);
    for (size_t i = 0; i < extra; i++) {
        snprintf(line, sizeof(line), "host%zu 300 A 10.%zu.%zu.%zu", i,
                 i >> 16 & 255, i >> 8 & 255, i & 255);
        ta_rr(&z, line);
    }
    tb_buf_init(&out, &ta);
    if (dns_zone_compile_flags(&z, &out, NULL, flags) != 0)
        abort();
    dns_zone_src_free(&z);
    *len = out.len;
    return out.data;
}

static const char *const v1[] = {"@ 3600 SOA ns1 host 1 7200 3600 1209600 300",
                                 "@ 3600 NS ns1",
                                 "ns1 3600 A 192.0.2.1",
                                 "www 3600 A 192.0.2.80",
                                 "mail 3600 MX 10 mx.example.net.",
                                 NULL};
static const char *const v2[] = {
    "@ 3600 SOA ns1 host 2 7200 3600 1209600 300",
    "@ 3600 NS ns1",
    "ns1 600 A 192.0.2.1", /* TTL changed */
    "www2 3600 A 192.0.2.81", /* www gone, www2 new */
    "mail 3600 MX 10 mx.example.net.",
    NULL};

static struct tb_addr peer(const char *ip)
{
    struct tb_addr a = {0};
    if (inet_pton(AF_INET, ip, a.ip) == 1) {
        a.af = TB_AF_INET;
    } else {
        inet_pton(AF_INET6, ip, a.ip);
        a.af = TB_AF_INET6;
    }
    a.port = 40000;
    return a;
}

/* Summary of a stream of responses. */
struct seen {
    unsigned msgs, rrs, soas, rcode, max_len;
    bool soa_first, soa_last, ede18, qd_each;
    char rr[64][96]; /* the first records, "owner TYPE ttl" */
    uint32_t serials[16]; /* SOA serials in order */
};

static void collect(struct seen *s, const uint8_t *m, size_t len)
{
    struct dns_msg msg;
    struct dns_rr_iter it;
    struct dns_rr rr;
    unsigned in_msg = 0;

    REQUIRE(dns_msg_parse(&msg, m, len) == 0);
    s->msgs++;
    s->rcode = msg.flags & 0xf;
    if (len > s->max_len)
        s->max_len = (unsigned)len;
    if (msg.count[DNS_SEC_QUESTION] != 1)
        s->qd_each = false;
    if (msg.opt_off != 0 && len - msg.opt_off >= 15 &&
        tb_get16(m + msg.opt_off + 11) == 15 &&
        tb_get16(m + msg.opt_off + 15) == 18)
        s->ede18 = true;
    dns_rr_iter_init(&it, &msg, DNS_SEC_ANSWER);
    while (dns_rr_next(&it, &rr) && rr.section == DNS_SEC_ANSWER) {
        char name[DNS_NAME_TEXT_MAX];
        if (rr.type == DNS_TYPE_SOA) {
            uint8_t un[600];
            size_t ul;
            REQUIRE(dns_rdata_unpack(m, len, rr.rdoff, rr.rdlen, rr.type, un,
                                     sizeof(un), &ul) == 0);
            if (s->soas < 16)
                s->serials[s->soas] = tb_get32(un + ul - 20);
            s->soas++;
            if (s->rrs == 0)
                s->soa_first = true;
        }
        s->soa_last = rr.type == DNS_TYPE_SOA;
        if (s->rrs < 64) {
            dns_name_to_text(rr.owner, name, sizeof(name));
            snprintf(s->rr[s->rrs], sizeof(s->rr[0]), "%.60s %u %u", name,
                     rr.type, rr.ttl);
        }
        s->rrs++;
        in_msg++;
    }
}

/* Runs one TCP session: the framed query (q, qlen) from (from), the
 * output drained (step) bytes at a time, (gen_at): after that many
 * messages the driver publishes a new set (0: never).  Returns whether
 * the session ended (dns_tcp_done) or went idle. */
static bool session(struct dns_srv *srv, const uint8_t *q, size_t qlen,
                    const struct tb_addr *from, size_t step, unsigned gen_at,
                    struct seen *s)
{
    static uint8_t stream[1 << 22];
    struct dns_tcp t;
    uint8_t *dst;
    size_t slen = 0, off = 0;
    uint64_t now = SEC;

    memset(s, 0, sizeof(*s));
    s->qd_each = true;
    dns_tcp_open(&t, srv, from, rbuf, wbuf, now);
    CHECK(dns_tcp_rspace(&t, &dst) >= qlen + 2);
    tb_put16(dst, (uint16_t)qlen);
    memcpy(dst + 2, q, qlen);
    dns_tcp_received(&t, qlen + 2, now);
    dns_tcp_eof(&t, now); /* half-close: the stream goes on */
    for (unsigned turns = 0; turns < 100000; turns++) {
        const uint8_t *p;
        size_t n = dns_tcp_output(&t, &p);
        if (n == 0)
            break;
        n = n < step ? n : step;
        if (slen + n > sizeof(stream)) {
            CHECK(!"stream too long");
            return false;
        }
        memcpy(stream + slen, p, n);
        slen += n;
        dns_tcp_sent(&t, n, now);
        /* whole messages so far */
        while (slen - off >= 2 && slen - off >= 2u + tb_get16(stream + off)) {
            collect(s, stream + off + 2, tb_get16(stream + off));
            off += 2u + tb_get16(stream + off);
            if (gen_at != 0 && s->msgs == gen_at)
                srv->zs_gen++;
        }
    }
    CHECK_EQ(off, slen);
    return dns_tcp_done(&t);
}

static size_t query(uint8_t *q, uint16_t type, int edns, const uint32_t *serial)
{
    size_t n = ta_query(q, "example.com.", type, DNS_CLASS_IN, -1, false);
    uint8_t *p = q + n;

    if (serial != NULL) { /* RFC 1995 3: the client's SOA in authority */
        q[9] = 1;
        tb_put16(p, 0xc00c);
        tb_put16(p + 2, DNS_TYPE_SOA);
        tb_put16(p + 4, DNS_CLASS_IN);
        tb_put32(p + 6, 0);
        tb_put16(p + 10, 2 + 20);
        p[12] = 0; /* mname, rname: the root */
        p[13] = 0;
        tb_put32(p + 14, *serial);
        memset(p + 18, 0, 16);
        p += 34;
    }
    if (edns >= 0) {
        q[11] = 1;
        p[0] = 0;
        tb_put16(p + 1, DNS_TYPE_OPT);
        tb_put16(p + 3, (uint16_t)edns);
        memset(p + 5, 0, 6);
        p += 11;
    }
    return (size_t)(p - q);
}

static void test_records_section(void)
{
    size_t l0, l1;
    uint8_t *b0 = zone_flags("example.com.", v1, 100, 0, &l0);
    uint8_t *b1 =
        zone_flags("example.com.", v1, 100, DNS_ZONE_COMPILE_RECORDS, &l1);
    uint32_t serial = 0;

    CHECK(dns_zone_open(b0, l0, NULL, NULL) == 0);
    CHECK(dns_zone_open(b1, l1, NULL, &serial) == 0);
    CHECK_EQ(serial, 1);
    CHECK(l1 > l0);
    /* Records section: a header offset out of bounds, a wrong count or a
     * wrong SOA offset are refused. */
    uint8_t *bad = malloc(l1);
    memcpy(bad, b1, l1);
    bad[80]++; /* ZH_NRRS */
    CHECK(dns_zone_open(bad, l1, NULL, NULL) == TB_EMALF);
    memcpy(bad, b1, l1);
    bad[84]++; /* ZH_SOARR */
    CHECK(dns_zone_open(bad, l1, NULL, NULL) == TB_EMALF);
    memcpy(bad, b1, l1);
    bad[75] = 0x7f; /* ZH_RRS far out */
    CHECK(dns_zone_open(bad, l1, NULL, NULL) == TB_EMALF);
    free(bad);
    free(b0);
    free(b1);
}

static struct dns_acl acl[2];

static void setup_srv(struct dns_srv *srv, struct dns_zoneset **zs,
                      struct dns_xfr_zone *xz, struct dns_xfr_conf *xc,
                      uint8_t *blob, size_t len)
{
    const void *b[1] = {blob};
    size_t l[1] = {len};

    REQUIRE(dns_zoneset_build(zs, b, l, 1, NULL, &ta) == 0);
    dns_srv_init(srv, *zs, &conf);
    memset(xz, 0, sizeof(*xz));
    ta_name("example.com.", NULL, xz->origin);
    acl[0].addr = peer("192.0.2.0");
    acl[0].plen = 24;
    acl[1].addr = peer("2001:db8::1");
    acl[1].plen = 128;
    xz->allow = acl;
    xz->nallow = 2;
    xc->zones = xz;
    xc->n = 1;
    srv->xfr = xc;
}

static void test_axfr(void)
{
    enum { N = 3000 };
    size_t len, qlen;
    uint8_t *blob =
        zone_flags("example.com.", v1, N, DNS_ZONE_COMPILE_RECORDS, &len);
    struct dns_zoneset *zs;
    struct dns_xfr_zone xz;
    struct dns_xfr_conf xc;
    struct dns_srv srv;
    struct tb_addr ok = peer("192.0.2.77"), ok6 = peer("2001:db8::1"),
                   no = peer("192.0.3.1"), no6 = peer("2001:db8::2");
    struct seen s;
    uint8_t q[512], r[4096];

    setup_srv(&srv, &zs, &xz, &xc, blob, len);
    qlen = query(q, DNS_TYPE_AXFR, 1232, NULL);
    /* A reader taking 1000 bytes at a time: the session never holds more
     * than its buffer, and the whole zone arrives. */
    CHECK(session(&srv, q, qlen, &ok, 1000, 0, &s));
    CHECK_EQ(s.rcode, 0);
    CHECK_EQ(s.rrs, 5 + N + 1); /* every record, the SOA twice */
    CHECK_EQ(s.soas, 2);
    CHECK(s.soa_first && s.soa_last && s.qd_each);
    CHECK(s.msgs >= 4); /* ~3000 A records: several messages */
    CHECK(s.max_len <= DNS_XFR_MSG_TARGET + 512);
    CHECK_EQ(srv.st.xfr_axfr, 1);
    CHECK_EQ(srv.st.xfr_msgs, s.msgs);
    CHECK(strcmp(s.rr[0], "example.com. 6 3600") == 0);
    /* Owners compressed: ~3000 A records of "hostN" fit in ~20 bytes
     * each, not 30+. */
    CHECK(s.msgs <= (unsigned)(N * 24 / DNS_XFR_MSG_TARGET + 2));
    /* Over IPv6 too, one byte at a time for the first messages is too
     * slow here: 7 bytes at a time. */
    CHECK(session(&srv, q, qlen, &ok6, 7, 0, &s));
    CHECK_EQ(s.rrs, 5 + N + 1);
    /* Not in allow-transfer: the engine's REFUSED with EDE 18. */
    CHECK(session(&srv, q, qlen, &no, 65536, 0, &s));
    CHECK_EQ(s.msgs, 1);
    CHECK_EQ(s.rcode, DNS_RCODE_REFUSED);
    CHECK(s.ede18);
    CHECK(session(&srv, q, qlen, &no6, 65536, 0, &s));
    CHECK_EQ(s.rcode, DNS_RCODE_REFUSED);
    {
        /* A refused IXFR: REFUSED + EDE 18 too (not the engine's FORMERR
         * for the SOA in its authority section). */
        uint8_t iq[512];
        uint32_t ser = 1;
        size_t il = query(iq, DNS_TYPE_IXFR, 1232, &ser);
        CHECK(session(&srv, iq, il, &no, 65536, 0, &s));
        CHECK_EQ(s.msgs, 1);
        CHECK_EQ(s.rcode, DNS_RCODE_REFUSED);
        CHECK(s.ede18);
    }
    CHECK_EQ(srv.st.xfr_denied, 3);
    /* No peer known: refused. */
    CHECK(session(&srv, q, qlen, NULL, 65536, 0, &s));
    CHECK_EQ(s.rcode, DNS_RCODE_REFUSED);
    /* Over UDP: NOTIMP as before. */
    size_t n = dns_srv_udp(&srv, &ok, q, qlen, r, sizeof(r), SEC);
    CHECK(n >= 12 && (r[3] & 0xf) == DNS_RCODE_NOTIMP);
    /* Cut when another zone set is published after 2 messages. */
    CHECK(session(&srv, q, qlen, &ok, 1000, 2, &s));
    CHECK_EQ(srv.st.xfr_cut, 1);
    CHECK(s.msgs <= 6 && s.rrs < 5 + N + 1);
    dns_zoneset_free(zs, &ta);
    free(blob);
}

static void test_no_records(void)
{
    size_t len, qlen;
    uint8_t *blob = zone_flags("example.com.", v1, 0, 0, &len);
    struct dns_zoneset *zs;
    struct dns_xfr_zone xz;
    struct dns_xfr_conf xc;
    struct dns_srv srv;
    struct tb_addr ok = peer("192.0.2.77");
    struct seen s;
    uint8_t q[512];

    setup_srv(&srv, &zs, &xz, &xc, blob, len);
    qlen = query(q, DNS_TYPE_AXFR, -1, NULL);
    CHECK(session(&srv, q, qlen, &ok, 65536, 0, &s));
    CHECK_EQ(s.rcode, DNS_RCODE_REFUSED);
    CHECK_EQ(srv.st.xfr_denied, 1);
    dns_zoneset_free(zs, &ta);
    free(blob);
}

static void test_ixfr(void)
{
    size_t l1, l2, qlen;
    uint8_t *b1 =
        zone_flags("example.com.", v1, 3, DNS_ZONE_COMPILE_RECORDS, &l1);
    uint8_t *b2 =
        zone_flags("example.com.", v2, 3, DNS_ZONE_COMPILE_RECORDS, &l2);
    struct dns_zoneset *zs;
    struct dns_xfr_zone xz;
    struct dns_xfr_conf xc;
    struct dns_srv srv;
    struct dns_ixfr_delta d;
    struct tb_buf out;
    struct tb_addr ok = peer("192.0.2.77");
    struct seen s;
    uint8_t q[512];
    uint32_t serial;

    tb_buf_init(&out, &ta);
    /* Not newer: no delta. */
    CHECK(dns_ixfr_diff(b2, l2, b1, l1, &out, &d) == TB_EINVAL);
    CHECK_EQ(out.len, 0);
    REQUIRE(dns_ixfr_diff(b1, l1, b2, l2, &out, &d) == 0);
    d.rrs = out.data;
    CHECK_EQ(d.from, 1);
    CHECK_EQ(d.to, 2);
    /* SOA 1, -ns1 3600, -www, SOA 2, +ns1 600, +www2 */
    CHECK_EQ(d.nrrs, 6);
    CHECK_EQ(d.len, out.len);

    setup_srv(&srv, &zs, &xz, &xc, b2, l2);
    xz.hist = &d;
    xz.nhist = 1;
    serial = 1;
    qlen = query(q, DNS_TYPE_IXFR, 1232, &serial);
    CHECK(session(&srv, q, qlen, &ok, 100, 0, &s));
    CHECK_EQ(s.rcode, 0);
    CHECK_EQ(s.rrs, 8);
    CHECK_EQ(s.soas, 4);
    CHECK_EQ(s.serials[0], 2);
    CHECK_EQ(s.serials[1], 1);
    CHECK_EQ(s.serials[2], 2);
    CHECK_EQ(s.serials[3], 2);
    CHECK(strcmp(s.rr[2], "ns1.example.com. 1 3600") == 0);
    CHECK(strcmp(s.rr[3], "www.example.com. 1 3600") == 0);
    CHECK(strcmp(s.rr[5], "ns1.example.com. 1 600") == 0);
    CHECK(strcmp(s.rr[6], "www2.example.com. 1 3600") == 0);
    CHECK_EQ(srv.st.xfr_ixfr, 1);
    /* Current: the SOA alone. */
    serial = 2;
    qlen = query(q, DNS_TYPE_IXFR, -1, &serial);
    CHECK(session(&srv, q, qlen, &ok, 100, 0, &s));
    CHECK_EQ(s.rrs, 1);
    CHECK_EQ(s.serials[0], 2);
    CHECK_EQ(srv.st.xfr_current, 1);
    /* Newer than ours (a secondary ahead): the SOA alone too. */
    serial = 5;
    qlen = query(q, DNS_TYPE_IXFR, -1, &serial);
    CHECK(session(&srv, q, qlen, &ok, 100, 0, &s));
    CHECK_EQ(s.rrs, 1);
    /* Over UDP: the SOA alone, current or not (RFC 1995 2); refused for
     * a peer not allowed (the engine's REFUSED). */
    {
        uint8_t r[1232];
        struct tb_addr no = peer("198.51.100.1");
        struct dns_msg m;
        serial = 1;
        qlen = query(q, DNS_TYPE_IXFR, 1232, &serial);
        size_t n = dns_srv_udp(&srv, &ok, q, qlen, r, sizeof(r), SEC);
        REQUIRE(n > 12 && dns_msg_parse(&m, r, n) == 0);
        CHECK_EQ(m.count[DNS_SEC_ANSWER], 1);
        CHECK_EQ(DNS_RCODE(m.flags), 0);
        memset(&s, 0, sizeof(s));
        collect(&s, r, n);
        CHECK_EQ(s.serials[0], 2);
        n = dns_srv_udp(&srv, &no, q, qlen, r, sizeof(r), SEC);
        REQUIRE(n >= 12);
        CHECK_EQ(r[3] & 0xf, DNS_RCODE_REFUSED);
    }
    /* Older than the history: AXFR-style (RFC 1995 4). */
    serial = 0xfffffff0u;
    qlen = query(q, DNS_TYPE_IXFR, -1, &serial);
    CHECK(session(&srv, q, qlen, &ok, 100, 0, &s));
    CHECK_EQ(s.rrs, 5 + 3 + 1);
    CHECK_EQ(s.soas, 2);
    CHECK(s.soa_first && s.soa_last);
    dns_zoneset_free(zs, &ta);
    tb_buf_free(&out);
    free(b1);
    free(b2);
}

int main(void)
{
    RUN(test_records_section);
    RUN(test_axfr);
    RUN(test_no_records);
    RUN(test_ixfr);
    return check_done();
}
