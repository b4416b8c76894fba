/*
 * test_srv.c -- the DNS service core (lib/dns/srv.c) with a fake clock and
 * fake transports: UDP answers and counters, and RFC 7766 TCP sessions fed
 * byte by byte, pipelined, with back-pressure, framing errors, the query
 * limit, EOF with queries pending, and the idle timeout measured from the
 * last complete message (a client trickling one byte at a time is closed).
 */
#include "check.h"
#include "test_auth_util.h"
#include <tibra/dns/srv.h>

#define SEC 1000000000ull

static const char *const zone[] = {
    "@ 3600 SOA ns1 host 1 7200 3600 1209600 300",
    "@ 3600 NS ns1",
    "ns1 3600 A 192.0.2.1",
    "www 3600 A 192.0.2.80",
    "big 3600 TXT aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    NULL};

static uint8_t *blob;
static size_t blob_len;
static struct dns_zoneset *zs;
static struct dns_srv_conf conf = {.tcp_idle_ns = 10 * SEC};
static struct dns_srv srv;
static uint8_t rbuf[DNS_TCP_RBUF], wbuf[DNS_TCP_WBUF];

static void setup(void)
{
    const void *b[1];
    size_t l[1];

    blob = ta_zone("example.com.", zone, &blob_len);
    b[0] = blob;
    l[0] = blob_len;
    if (dns_zoneset_build(&zs, b, l, 1, NULL, &ta) != 0)
        abort();
}

/* A framed query: 2-byte length, then the message. */
static size_t framed(uint8_t *out, const char *name, uint16_t type)
{
    size_t n = ta_query(out + 2, name, type, DNS_CLASS_IN, -1, false);
    tb_put16(out, (uint16_t)n);
    return n + 2;
}

/* Feeds (len) bytes of (p) through rspace/received, (step) at a time. */
static size_t feed(struct dns_tcp *t, const uint8_t *p, size_t len, size_t step,
                   uint64_t now)
{
    size_t done = 0;

    while (done < len) {
        uint8_t *dst;
        size_t room = dns_tcp_rspace(t, &dst);
        if (room == 0)
            break;
        size_t n = len - done < step ? len - done : step;
        n = n < room ? n : room;
        memcpy(dst, p + done, n);
        dns_tcp_received(t, n, now);
        done += n;
    }
    return done;
}

/* Takes all output; returns the number of framed messages in it. */
static unsigned drain(struct dns_tcp *t, uint64_t now, uint8_t *first_rcode)
{
    const uint8_t *p;
    size_t n;
    unsigned msgs = 0;

    while ((n = dns_tcp_output(t, &p)) > 0) {
        for (size_t off = 0; off + 2 <= n;) {
            size_t m = tb_get16(p + off);
            if (msgs == 0 && first_rcode)
                *first_rcode = p[off + 2 + 3] & 0xf;
            msgs++;
            off += 2 + m;
        }
        dns_tcp_sent(t, n, now);
    }
    return msgs;
}

static void test_udp(void)
{
    uint8_t q[512], r[1232];
    size_t ql =
        ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);

    dns_srv_init(&srv, zs, &conf);
    CHECK(dns_srv_udp(&srv, NULL, q, ql, r, sizeof(r), 0) > 12);
    CHECK_EQ(DNS_RCODE(tb_get16(r + 2)), DNS_RCODE_NOERROR);
    ql = ta_query(q, "nope.example.com.", DNS_TYPE_MX, DNS_CLASS_IN, -1, false);
    CHECK(dns_srv_udp(&srv, NULL, q, ql, r, sizeof(r), 0) > 12);
    /* Oversized datagram: dropped and counted. */
    CHECK_EQ(dns_srv_udp(&srv, NULL, q, DNS_SRV_QUERY_MAX + 1, r, sizeof(r), 0),
             0);
    /* A response (QR set): no answer. */
    q[2] |= 0x80;
    CHECK_EQ(dns_srv_udp(&srv, NULL, q, ql, r, sizeof(r), 0), 0);
    CHECK_EQ(srv.st.udp, 4);
    CHECK_EQ(srv.st.auth.qtype[DNS_QT_A], 1);
    CHECK_EQ(srv.st.auth.qtype[DNS_QT_MX], 1);
    CHECK_EQ(srv.st.drop_udp_size, 1);
    CHECK_EQ(srv.st.auth.noerror, 1);
    CHECK_EQ(srv.st.auth.nxdomain, 1);
    CHECK_EQ(srv.st.auth.dropped, 1);

    char text[1024];
    size_t tl = dns_srv_stats_text(&srv.st, text, sizeof(text));
    CHECK(tl == strlen(text));
    CHECK(strstr(text, "queries udp 4 tcp 0") != NULL);
    CHECK(strstr(text, "nxdomain 1") != NULL);
    CHECK(strstr(text, "qtype A 1 MX 1") != NULL);
    CHECK(strstr(text, "udp-size 1") != NULL);
    /* Truncated to the buffer, always NUL-terminated. */
    CHECK_EQ(dns_srv_stats_text(&srv.st, text, 10), 9);
    CHECK_EQ(text[9], '\0');

    struct dns_srv_stats sum = {0};
    dns_srv_stats_add(&sum, &srv.st);
    dns_srv_stats_add(&sum, &srv.st);
    CHECK_EQ(sum.udp, 8);
    CHECK_EQ(sum.auth.noerror, 2);
}

/* Pipelined queries fed one byte at a time are answered in order. */
static void test_tcp_pipeline(void)
{
    struct dns_tcp t;
    uint8_t in[4096];
    size_t len = 0;
    uint8_t rc = 0xff;

    dns_srv_init(&srv, zs, &conf);
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, 0);
    len += framed(in + len, "www.example.com.", DNS_TYPE_A);
    len += framed(in + len, "nope.example.com.", DNS_TYPE_A);
    len += framed(in + len, "example.com.", DNS_TYPE_SOA);
    /* Byte by byte; reading pauses while an answer waits to be sent. */
    unsigned msgs = 0;
    for (size_t done = 0, rounds = 0; done < len && rounds < 1000; rounds++) {
        done += feed(&t, in + done, len - done, 1, 1);
        msgs += drain(&t, 2, msgs == 0 ? &rc : NULL);
    }
    CHECK_EQ(msgs, 3);
    CHECK_EQ(rc, DNS_RCODE_NOERROR);
    CHECK_EQ(srv.st.tcp, 3);
    CHECK_EQ(srv.st.tcp_open, 1);
    CHECK(!dns_tcp_done(&t));
    /* EOF with nothing pending: done. */
    dns_tcp_eof(&t, 3);
    CHECK(dns_tcp_done(&t));
}

/* While answers wait for the transport nothing is read; once sent, the
 * queries that waited are answered; at EOF they are still answered. */
static void test_tcp_backpressure(void)
{
    struct dns_tcp t;
    uint8_t in[4096], *dst;
    size_t len = framed(in, "www.example.com.", DNS_TYPE_A);
    const uint8_t *out;

    dns_srv_init(&srv, zs, &conf);
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, 0);
    CHECK_EQ(feed(&t, in, len, len, 1), len);
    size_t n = dns_tcp_output(&t, &out);
    CHECK(n > 2);
    CHECK_EQ(dns_tcp_rspace(&t, &dst), 0); /* answer waiting: no reading */
    dns_tcp_sent(&t, 1, 2); /* partial send */
    CHECK_EQ(dns_tcp_rspace(&t, &dst), 0);
    CHECK_EQ(dns_tcp_output(&t, &out), n - 1);
    dns_tcp_sent(&t, n - 1, 3);
    CHECK(dns_tcp_rspace(&t, &dst) > 0);
    /* Two queries, then EOF before the answers are taken. */
    size_t l2 = framed(in, "www.example.com.", DNS_TYPE_A);
    l2 += framed(in + l2, "big.example.com.", DNS_TYPE_TXT);
    CHECK_EQ(feed(&t, in, l2, l2, 4), l2);
    dns_tcp_eof(&t, 5);
    CHECK(!dns_tcp_done(&t));
    CHECK_EQ(drain(&t, 6, NULL), 2);
    CHECK(dns_tcp_done(&t));
    /* An incomplete query at EOF is dropped: done at once. */
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, 0);
    CHECK_EQ(feed(&t, in, 5, 5, 1), 5);
    dns_tcp_eof(&t, 2);
    CHECK(dns_tcp_done(&t));
}

static void test_tcp_framing(void)
{
    struct dns_tcp t;
    uint8_t in[8] = {0, 11, 0, 0, 0, 0, 0, 0};

    dns_srv_init(&srv, zs, &conf);
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, 0);
    feed(&t, in, 2, 2, 1); /* length 11 < a header */
    CHECK(dns_tcp_done(&t));
    CHECK_EQ(srv.st.drop_tcp_len, 1);
    const uint8_t *p;
    CHECK_EQ(dns_tcp_output(&t, &p), 0);
    CHECK_EQ(dns_tcp_deadline(&t), UINT64_MAX);

    tb_put16(in, DNS_SRV_QUERY_MAX + 1); /* longer than we accept */
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, 0);
    feed(&t, in, 2, 1, 1);
    CHECK(dns_tcp_done(&t));
    CHECK_EQ(srv.st.drop_tcp_len, 2);

    /* A maximum-size query fills rbuf exactly and is taken. */
    static uint8_t big[DNS_TCP_RBUF];
    size_t ql = ta_query(big + 2, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN,
                         -1, false);
    (void)ql;
    tb_put16(big, DNS_SRV_QUERY_MAX); /* trailing garbage after the OPT-less
                                         question: the engine's business */
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, 0);
    CHECK_EQ(feed(&t, big, sizeof(big), 1000, 1), sizeof(big));
    CHECK_EQ(drain(&t, 2, NULL), 1);
    CHECK(!dns_tcp_done(&t));
}

static void test_tcp_limit(void)
{
    struct dns_srv_conf c2 = {.tcp_idle_ns = 10 * SEC, .tcp_max_queries = 2};
    struct dns_tcp t;
    uint8_t in[4096], *dst;
    size_t len = 0;

    dns_srv_init(&srv, zs, &c2);
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, 0);
    for (int i = 0; i < 3; i++)
        len += framed(in + len, "www.example.com.", DNS_TYPE_A);
    feed(&t, in, len, len, 1);
    CHECK_EQ(dns_tcp_rspace(&t, &dst), 0);
    CHECK_EQ(drain(&t, 2, NULL), 2);
    CHECK(dns_tcp_done(&t)); /* the third is never answered */
    CHECK_EQ(srv.st.tcp_limit, 1);
    CHECK_EQ(srv.st.tcp, 2);
}

/* RFC 7766 6.2.3: idle is measured from the last complete message, so a
 * client sending one byte every 3 s is closed 10 s after its last query. */
static void test_tcp_idle(void)
{
    struct dns_tcp t;
    uint8_t in[512];
    size_t len = framed(in, "www.example.com.", DNS_TYPE_A);
    uint64_t now = 100 * SEC;

    dns_srv_init(&srv, zs, &conf);
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, now);
    CHECK_EQ(dns_tcp_deadline(&t), now + 10 * SEC);
    CHECK(!dns_tcp_expire(&t, now + 10 * SEC - 1));
    size_t i;
    for (i = 0; i < len - 1; i++) {
        now += 3 * SEC;
        if (dns_tcp_expire(&t, now))
            break;
        feed(&t, in + i, 1, 1, now);
    }
    CHECK(i < len - 1); /* closed before the query completed */
    CHECK(dns_tcp_done(&t));
    CHECK_EQ(srv.st.tcp_idle, 1);
    CHECK_EQ(srv.st.tcp, 0);

    /* A complete query moves the deadline; sending the answer too. */
    now = 200 * SEC;
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, now);
    feed(&t, in, len, len, now + 5 * SEC);
    CHECK_EQ(dns_tcp_deadline(&t), now + 15 * SEC);
    drain(&t, now + 7 * SEC, NULL);
    CHECK_EQ(dns_tcp_deadline(&t), now + 17 * SEC);
    CHECK(!dns_tcp_expire(&t, now + 17 * SEC - 1));
    CHECK(dns_tcp_expire(&t, now + 17 * SEC));

    /* No idle timeout configured: no deadline. */
    struct dns_srv_conf c0 = {0};
    dns_srv_init(&srv, zs, &c0);
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, now);
    CHECK_EQ(dns_tcp_deadline(&t), UINT64_MAX);
    CHECK(!dns_tcp_expire(&t, UINT64_MAX - 1));
}

/* The UPDATE hook (dns/update.h's driver path): what it was given. */
static unsigned hook_calls;
static bool hook_tcp;
static size_t hook_qlen;
static size_t hook_submit(void *ctx, const struct tb_addr *peer,
                          const uint8_t *q, size_t qlen, uint8_t *resp,
                          size_t cap, bool tcp)
{
    (void)ctx, (void)peer;
    hook_calls++;
    hook_tcp = tcp;
    hook_qlen = qlen;
    if (!tcp)
        return 0; /* answered later by the driver */
    memcpy(resp, q, DNS_HDR_LEN); /* a NOERROR reply, header only */
    resp[2] |= 0x80;
    memset(resp + 4, 0, 8);
    return cap >= DNS_HDR_LEN ? DNS_HDR_LEN : 0;
}

/* UPDATE goes to the driver's hook over UDP (nothing sent now) and TCP
 * (its answer sent in order between the others); without a hook the
 * engine answers it (NOTIMP); a response with opcode UPDATE is not
 * handed on. */
static void test_update_hook(void)
{
    const struct dns_srv_update hook = {hook_submit, NULL};
    uint8_t q[512], r[1232], in[4096];
    size_t ql =
        ta_query(q, "example.com.", DNS_TYPE_SOA, DNS_CLASS_IN, -1, false);
    struct dns_tcp t;
    size_t len = 0;

    q[2] = (uint8_t)((q[2] & 0x87) | DNS_OPCODE_UPDATE << 3);
    dns_srv_init(&srv, zs, &conf);
    CHECK(dns_srv_udp(&srv, NULL, q, ql, r, sizeof(r), 0) != 0);
    CHECK_EQ(DNS_RCODE(tb_get16(r + 2)), DNS_RCODE_NOTIMP);
    CHECK_EQ(hook_calls, 0);
    srv.update = &hook;
    CHECK_EQ(dns_srv_udp(&srv, NULL, q, ql, r, sizeof(r), 0), 0);
    CHECK_EQ(hook_calls, 1);
    CHECK(!hook_tcp);
    CHECK_EQ(hook_qlen, ql);
    q[2] |= 0x80;
    CHECK_EQ(dns_srv_udp(&srv, NULL, q, ql, r, sizeof(r), 0), 0);
    CHECK_EQ(hook_calls, 1);
    q[2] &= 0x7f;

    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, 0);
    len += framed(in + len, "www.example.com.", DNS_TYPE_A);
    tb_put16(in + len, (uint16_t)ql);
    memcpy(in + len + 2, q, ql);
    len += 2 + ql;
    len += framed(in + len, "example.com.", DNS_TYPE_SOA);
    /* All at once (it fits): the three answers in order, the UPDATE's
     * second. */
    CHECK_EQ(feed(&t, in, len, len, 1), len);
    const uint8_t *p;
    size_t n = dns_tcp_output(&t, &p);
    uint8_t ops[3] = {9, 9, 9};
    unsigned msgs = 0;
    for (size_t off = 0; off + 4 < n && msgs < 3; msgs++) {
        ops[msgs] = (uint8_t)DNS_OPCODE(tb_get16(p + off + 4));
        off += 2 + tb_get16(p + off);
    }
    CHECK_EQ(msgs, 3);
    CHECK_EQ(ops[0], DNS_OPCODE_QUERY);
    CHECK_EQ(ops[1], DNS_OPCODE_UPDATE);
    CHECK_EQ(ops[2], DNS_OPCODE_QUERY);
    CHECK_EQ(hook_calls, 2);
    CHECK(hook_tcp);
}

int main(void)
{
    setup();
    RUN(test_udp);
    RUN(test_tcp_pipeline);
    RUN(test_tcp_backpressure);
    RUN(test_tcp_framing);
    RUN(test_tcp_limit);
    RUN(test_tcp_idle);
    RUN(test_update_hook);
    dns_zoneset_free(zs, &ta);
    free(blob);
    return check_done();
}
