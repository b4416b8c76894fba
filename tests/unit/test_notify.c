/*
 * test_notify.c -- NOTIFY out (lib/dns/notify.c) with a fake clock and
 * fake secondaries: the message (opcode, AA, question, SOA in the
 * answer), retries with a doubling interval when datagrams are lost,
 * FAILED after DNS_NOTIFY_TRIES, a response accepted only when its ID,
 * QR, opcode, question and source address and port all match, and a new
 * serial restarting every target.
 */
#include "check.h"
#include "test_auth_util.h"
#include <tibra/dns/notify.h>

#define SEC 1000000000ull

static uint8_t origin[256], soa[600];
static size_t soalen;

static struct tb_addr addr(const char *ip, uint16_t port)
{
    struct tb_addr a = {0};
    a.af = TB_AF_INET;
    inet_pton(AF_INET, ip, a.ip);
    a.port = port;
    return a;
}

static void make_soa(uint32_t serial)
{
    uint8_t *p = soa;
    p += ta_name("ns1.example.com.", NULL, p);
    p += ta_name("host.example.com.", NULL, p);
    tb_put32(p, serial);
    tb_put32(p + 4, 3600);
    tb_put32(p + 8, 600);
    tb_put32(p + 12, 86400);
    tb_put32(p + 16, 300);
    soalen = (size_t)(p + 20 - soa);
}

/* The response a secondary would send to (req). */
static size_t respond(const uint8_t *req, size_t len, uint8_t *out)
{
    memcpy(out, req, len);
    out[2] |= 0x80; /* QR */
    tb_put16(out + 6, 0); /* no answer section back */
    /* keep header + question only */
    size_t q = 12 + dns_name_len(req + 12) + 4;
    return q;
}

static void test_message(void)
{
    struct dns_notify n;
    struct tb_addr t[1] = {addr("192.0.2.1", 5300)}, to;
    uint8_t out[512];
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t len;

    ta_name("example.com.", NULL, origin);
    make_soa(7);
    REQUIRE(dns_notify_init(&n, origin, t, 1, 42) == 0);
    CHECK_EQ(dns_notify_deadline(&n), UINT64_MAX);
    CHECK_EQ(dns_notify_poll(&n, SEC, &to, out, sizeof(out)), 0);
    REQUIRE(dns_notify_start(&n, soa, soalen, 3600, SEC) == 0);
    CHECK_EQ(n.serial, 7);
    len = dns_notify_poll(&n, SEC, &to, out, sizeof(out));
    REQUIRE(len > 12);
    CHECK(to.port == 5300 && memcmp(to.ip, t[0].ip, 4) == 0);
    REQUIRE(dns_msg_parse(&m, out, len) == 0);
    CHECK_EQ(DNS_OPCODE(m.flags), DNS_OPCODE_NOTIFY);
    CHECK(m.flags & DNS_FLAG_AA);
    CHECK(!(m.flags & DNS_FLAG_QR));
    CHECK_EQ(m.count[DNS_SEC_QUESTION], 1);
    CHECK_EQ(m.count[DNS_SEC_ANSWER], 1);
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    REQUIRE(dns_rr_next(&it, &rr));
    CHECK_EQ(rr.type, DNS_TYPE_SOA);
    CHECK(dns_name_cmp(rr.owner, origin) == 0);
    REQUIRE(dns_rr_next(&it, &rr));
    CHECK_EQ(rr.type, DNS_TYPE_SOA);
    CHECK_EQ(rr.ttl, 3600);
    CHECK_EQ(tb_get32(out + rr.rdoff + rr.rdlen - 20), 7);
    /* Nothing more until the retry time. */
    CHECK_EQ(dns_notify_poll(&n, SEC, &to, out, sizeof(out)), 0);
    CHECK_EQ(dns_notify_deadline(&n), SEC + DNS_NOTIFY_RTO_NS);
}

/* Every datagram lost: sends at 0, 1, 3, 7, 15 s, FAILED at 31 s. */
static void test_lost(void)
{
    struct dns_notify n;
    struct tb_addr t[2] = {addr("192.0.2.1", 53), addr("192.0.2.2", 53)}, to;
    uint8_t out[512];
    uint64_t now = 100 * SEC, start = now;
    unsigned sends = 0;

    REQUIRE(dns_notify_init(&n, origin, t, 2, 1) == 0);
    REQUIRE(dns_notify_start(&n, soa, soalen, 300, now) == 0);
    for (unsigned i = 0; i < 100 && dns_notify_busy(&n); i++) {
        now = dns_notify_deadline(&n);
        while (dns_notify_poll(&n, now, &to, out, sizeof(out)) != 0)
            sends++;
    }
    CHECK(!dns_notify_busy(&n));
    CHECK_EQ(sends, 2 * DNS_NOTIFY_TRIES);
    CHECK_EQ(n.failed, 2);
    CHECK_EQ(n.t[0].state, DNS_NOTIFY_FAILED);
    CHECK_EQ(now - start, 31 * SEC); /* 1 + 2 + 4 + 8 + 16 */
}

/* Two lost, the third answered: ACKED, no more sends. */
static void test_retry_then_ack(void)
{
    struct dns_notify n;
    struct tb_addr t[2] = {addr("192.0.2.1", 53), addr("192.0.2.2", 5301)};
    struct tb_addr to, wrong;
    uint8_t out[512], resp[512];
    uint64_t now = SEC;
    size_t len, rl;

    REQUIRE(dns_notify_init(&n, origin, t, 2, 99) == 0);
    REQUIRE(dns_notify_start(&n, soa, soalen, 300, now) == 0);
    /* first round: both lost */
    CHECK(dns_notify_poll(&n, now, &to, out, sizeof(out)) != 0);
    CHECK(dns_notify_poll(&n, now, &to, out, sizeof(out)) != 0);
    now = dns_notify_deadline(&n);
    /* second: target 0's lost, target 1 answers */
    CHECK(dns_notify_poll(&n, now, &to, out, sizeof(out)) != 0);
    len = dns_notify_poll(&n, now, &to, out, sizeof(out));
    REQUIRE(len != 0);
    CHECK_EQ(to.port, 5301);
    rl = respond(out, len, resp);
    /* From another port, or another address: ignored. */
    wrong = to;
    wrong.port = 5302;
    CHECK(!dns_notify_input(&n, &wrong, resp, rl));
    wrong = t[0];
    CHECK(!dns_notify_input(&n, &wrong, resp, rl));
    /* Another ID: ignored.  Not a response (QR clear): ignored. */
    resp[1] ^= 1;
    CHECK(!dns_notify_input(&n, &to, resp, rl));
    resp[1] ^= 1;
    resp[2] &= 0x7f;
    CHECK(!dns_notify_input(&n, &to, resp, rl));
    resp[2] |= 0x80;
    /* Garbage: ignored. */
    CHECK(!dns_notify_input(&n, &to, resp, 5));
    CHECK_EQ(n.ignored, 5);
    CHECK(dns_notify_input(&n, &to, resp, rl));
    CHECK_EQ(n.t[1].state, DNS_NOTIFY_ACKED);
    /* Twice: the target is done, the duplicate ignored. */
    CHECK(!dns_notify_input(&n, &to, resp, rl));
    /* Target 0 goes on alone. */
    now = dns_notify_deadline(&n);
    len = dns_notify_poll(&n, now, &to, out, sizeof(out));
    REQUIRE(len != 0);
    CHECK_EQ(to.port, 53);
    CHECK_EQ(dns_notify_poll(&n, now, &to, out, sizeof(out)), 0);
    /* An answer to an older NOTIFY (an earlier ID) is not this one. */
    rl = respond(out, len, resp);
    CHECK(dns_notify_input(&n, &to, resp, rl));
    CHECK(!dns_notify_busy(&n));
    CHECK_EQ(n.acked, 2);
    /* A newer serial: every target again. */
    make_soa(8);
    REQUIRE(dns_notify_start(&n, soa, soalen, 300, now) == 0);
    CHECK(dns_notify_busy(&n));
    CHECK(dns_notify_poll(&n, now, &to, out, sizeof(out)) != 0);
    CHECK(dns_notify_poll(&n, now, &to, out, sizeof(out)) != 0);
    CHECK_EQ(n.serial, 8);
    /* Bad input to start: refused. */
    CHECK(dns_notify_start(&n, soa, 10, 300, now) == TB_EINVAL);
    CHECK(dns_notify_init(&n, origin, t, DNS_NOTIFY_TARGETS_MAX + 1, 1) ==
          TB_EINVAL);
}

/* The SOA taken from a zone set as a client would ask for it. */
static void test_from_zoneset(void)
{
    static const char *const zone[] = {
        "@ 600 SOA ns1 host 42 3600 600 86400 300", "@ 600 NS ns1",
        "ns1 600 A 192.0.2.1", NULL};
    struct dns_notify n;
    struct tb_addr t[1] = {addr("192.0.2.1", 53)}, to;
    struct dns_zoneset *zs;
    size_t len;
    uint8_t *blob = ta_zone("example.com.", zone, &len), out[512], other[256];
    const void *b[1] = {blob};

    ta_name("example.com.", NULL, origin);
    REQUIRE(dns_zoneset_build(&zs, b, &len, 1, NULL, &ta) == 0);
    REQUIRE(dns_notify_init(&n, origin, t, 1, 5) == 0);
    CHECK(dns_notify_start_zs(&n, zs, SEC) == 0);
    CHECK_EQ(n.serial, 42);
    CHECK_EQ(n.ttl, 600);
    CHECK(dns_notify_poll(&n, SEC, &to, out, sizeof(out)) != 0);
    /* A zone the set does not serve. */
    ta_name("example.net.", NULL, other);
    REQUIRE(dns_notify_init(&n, other, t, 1, 5) == 0);
    CHECK(dns_notify_start_zs(&n, zs, SEC) == TB_ENOENT);
    dns_zoneset_free(zs, &ta);
    free(blob);
}

int main(void)
{
    RUN(test_from_zoneset);
    RUN(test_message);
    RUN(test_lost);
    RUN(test_retry_then_ack);
    return check_done();
}
