/*
 * test_res_tls.c -- the resolver core's hook for forwarding over TLS
 * (lib/dns/res*.c, dns_res_fwd.tls, DNS_RES_TLS): a forward zone whose
 * servers are forward-tls ones is asked with transport DNS_RES_TLS, never
 * UDP or plain TCP; a reply is taken only over that transport (the same
 * bytes over UDP or TCP are rejected, as a reply over the wrong transport
 * always is); a TC reply over TLS does not fall back (it is not UDP); a
 * forwarder that never answers gets SERVFAIL after TLS queries only; a
 * plain forward zone beside it is asked over UDP as before.  The TLS
 * itself is the driver's (tests/integration/dnsd_dot.sh).
 */
#include "check.h"
#include "test_auth_util.h"
#include <tibra/dns/res.h>

#define SEC 1000000000ull

static struct dns_cache *cache;
static struct dns_res *res;
static uint32_t seed = 12345;

static uint32_t rng(void *ctx)
{
    (void)ctx;
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static struct tb_addr ip(const char *s, uint16_t port)
{
    struct tb_addr a = {.af = TB_AF_INET, .port = port};
    unsigned b[4];
    if (sscanf(s, "%u.%u.%u.%u", &b[0], &b[1], &b[2], &b[3]) != 4)
        abort();
    for (int i = 0; i < 4; i++)
        a.ip[i] = (uint8_t)b[i];
    return a;
}

static void setup(void)
{
    static struct dns_res_fwd z[2];
    static const uint8_t root[1] = {0};
    size_t wl;
    struct dns_cache_conf cc = {.mem_bytes = 1 << 20};
    struct dns_res_hints h;
    static const char hints[] = ". 3600000 NS a.root.\n"
                                "a.root. 3600000 A 10.0.0.1\n";

    memset(z, 0, sizeof(z));
    z[0].recursive = z[0].tls = true;
    z[0].naddr = 1;
    z[0].addr[0] = ip("10.0.9.1", 853);
    dns_name_from_text("example.", 8, root, z[0].zone, &wl);
    z[1].recursive = true;
    z[1].naddr = 1;
    z[1].addr[0] = ip("10.0.9.2", 53);
    dns_name_from_text("plain.", 6, root, z[1].zone, &wl);
    struct dns_res_conf rc = {.random = rng, .fwd = z, .nfwd = 2};
    if (dns_cache_init(&cache, &cc, &ta) != 0 ||
        dns_res_hints_parse(&h, hints, sizeof(hints) - 1, "hints", &ta, NULL) !=
            0 ||
        dns_res_init(&res, &rc, &h, cache, &ta) != 0)
        abort();
}

/* Starts a resolution of (name) A; returns its task. */
static struct dns_res_task *ask(const char *name, uint64_t now)
{
    uint8_t q[512], out[512];
    size_t qlen = ta_query(q, name, DNS_TYPE_A, DNS_CLASS_IN, -1, false), n;
    struct dns_res_task *t = NULL;

    tb_put16(q + 2, DNS_FLAG_RD);
    if (dns_res_query(res, q, qlen, NULL, false, now, out, sizeof(out), &n,
                      &t) != DNS_RES_STARTED)
        abort();
    return t;
}

/* The forwarder's answer to query (s): its ID and question, QR RA, one A
 * record (flags |= extra, e.g. TC). */
static size_t reply(const struct dns_res_send *s, uint8_t *r, uint16_t extra)
{
    size_t p = DNS_HDR_LEN;

    memcpy(r, s->msg, s->len);
    while (r[p] != 0)
        p += r[p] + 1u;
    p += 5; /* root label, type, class */
    tb_put16(r + 2,
             (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA | extra));
    tb_put16(r + 6, (extra & DNS_FLAG_TC) ? 0 : 1);
    tb_put16(r + 8, 0);
    tb_put16(r + 10, 0);
    if (extra & DNS_FLAG_TC)
        return p;
    static const uint8_t a[] = {0xc0, 0x0c, 0, 1, 0,   1, 0, 0,
                                1,    44,   0, 4, 192, 0, 2, 7};
    memcpy(r + p, a, sizeof(a));
    return p + sizeof(a);
}

static void test_tls_transport(void)
{
    struct dns_res_send s;
    uint8_t r[1024];
    const uint8_t *msg;
    struct dns_res_task *t = ask("www.example.", 0);
    struct tb_addr fwd = ip("10.0.9.1", 853);

    REQUIRE(dns_res_task_next(t, 0, &s) == DNS_RES_SEND);
    CHECK_EQ(s.transport, DNS_RES_TLS);
    CHECK(s.server.port == 853 && s.server.ip[3] == 1);
    CHECK(tb_get16(s.msg + 2) & DNS_FLAG_RD);
    size_t n = reply(&s, r, 0);
    /* the right bytes over the wrong transports: rejected */
    CHECK(dns_res_task_input(t, &fwd, DNS_RES_UDP, r, n, 1) != 0);
    CHECK(dns_res_task_input(t, &fwd, DNS_RES_TCP, r, n, 1) != 0);
    CHECK_EQ(dns_res_task_input(t, &fwd, DNS_RES_TLS, r, n, 1), 0);
    REQUIRE(dns_res_task_next(t, 1, &s) == DNS_RES_DONE);
    size_t len = dns_res_task_response(t, &msg);
    REQUIRE(len > DNS_HDR_LEN);
    CHECK_EQ(msg[3] & 0xf, DNS_RCODE_NOERROR);
    CHECK_EQ(tb_get16(msg + 6), 1);
    dns_res_task_free(t);
}

static void test_tls_no_tc_fallback(void)
{
    struct dns_res_send s;
    uint8_t r[1024];
    struct tb_addr fwd = ip("10.0.9.1", 853);
    struct dns_res_task *t = ask("tc.example.", 10 * SEC);
    unsigned sends = 0;
    int rc;

    /* TC over TLS: unusable (as over TCP), never retried over UDP or
     * TCP; with no other forwarder the client gets SERVFAIL */
    while ((rc = dns_res_task_next(t, 10 * SEC, &s)) == DNS_RES_SEND) {
        CHECK_EQ(s.transport, DNS_RES_TLS);
        if (++sends > 50)
            break;
        size_t n = reply(&s, r, DNS_FLAG_TC);
        if (dns_res_task_input(t, &fwd, DNS_RES_TLS, r, n, 10 * SEC) != 0)
            dns_res_task_timeout(t, 20 * SEC);
    }
    REQUIRE(rc == DNS_RES_DONE);
    const uint8_t *msg;
    REQUIRE(dns_res_task_response(t, &msg) > DNS_HDR_LEN);
    CHECK_EQ(msg[3] & 0xf, DNS_RCODE_SERVFAIL);
    dns_res_task_free(t);
}

static void test_tls_timeouts(void)
{
    struct dns_res_send s;
    struct dns_res_task *t = ask("dead.example.", 100 * SEC);
    uint64_t now = 100 * SEC;
    unsigned sends = 0;
    int rc;

    while ((rc = dns_res_task_next(t, now, &s)) == DNS_RES_SEND) {
        CHECK_EQ(s.transport, DNS_RES_TLS);
        CHECK(s.deadline > now); /* with a handshake's room */
        if (++sends > 50)
            break;
        now = s.deadline;
        dns_res_task_timeout(t, now);
    }
    REQUIRE(rc == DNS_RES_DONE);
    CHECK(sends >= 1 && sends <= 50);
    const uint8_t *msg;
    REQUIRE(dns_res_task_response(t, &msg) > DNS_HDR_LEN);
    CHECK_EQ(msg[3] & 0xf, DNS_RCODE_SERVFAIL);
    dns_res_task_free(t);
}

static void test_plain_beside(void)
{
    struct dns_res_send s;
    struct dns_res_task *t = ask("www.plain.", 200 * SEC);

    REQUIRE(dns_res_task_next(t, 200 * SEC, &s) == DNS_RES_SEND);
    CHECK_EQ(s.transport, DNS_RES_UDP);
    CHECK_EQ(s.server.port, 53);
    dns_res_task_free(t);
}

int main(void)
{
    setup();
    RUN(test_tls_transport);
    RUN(test_tls_no_tc_fallback);
    RUN(test_tls_timeouts);
    RUN(test_plain_beside);
    dns_res_free(res);
    dns_cache_free(cache);
    return check_done();
}
