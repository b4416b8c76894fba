/*
 * test_rrl.c -- response rate limiting (lib/dns/rrl.c) with a fake clock:
 * the rate and its burst, slip (every n-th limited response truncated),
 * client prefixes aggregated (IPv4 /24, IPv6 /56, IPv4-mapped as IPv4),
 * one bucket per category and name (NXDOMAIN per zone), loopback exempt,
 * a full table (colliding keys share a busy bucket, take over a full
 * one), the counters, and dns_srv_udp() applying it.
 */
#include "check.h"
#include "test_addr_util.h"
#include "test_auth_util.h"
#include <tibra/dns/srv.h>

#define SEC 1000000000ull
#define MS  1000000ull

static const char *const zone[] = {
    "@ 3600 SOA ns1 host 1 7200 3600 1209600 300",
    "@ 3600 NS ns1",
    "ns1 3600 A 192.0.2.1",
    "www 3600 A 192.0.2.80",
    "web 3600 A 192.0.2.81",
    "sub 3600 NS ns.sub",
    "ns.sub 3600 A 192.0.2.53",
    NULL};

static uint8_t *blob;
static size_t blob_len;
static struct dns_zoneset *zs;
static struct dns_srv_conf sconf;
static struct dns_srv srv;

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

static uint8_t resp[DNS_MSG_MAXLEN];

/* Answers (name, type) from (peer) at (now) through srv (and its RRL)
 * into resp: returns the length to send. */
static size_t ask(const struct tb_addr *peer, const char *name, uint16_t type,
                  uint64_t now)
{
    uint8_t q[512];
    size_t ql = ta_query(q, name, type, DNS_CLASS_IN, 1232, false);

    return dns_srv_udp(&srv, peer, q, ql, resp, sizeof(resp), now);
}

/* How many of (n) queries at (now) are answered in full. */
static unsigned answered(const struct tb_addr *peer, const char *name,
                         uint16_t type, unsigned n, uint64_t now)
{
    unsigned k = 0;

    for (unsigned i = 0; i < n; i++) {
        size_t len = ask(peer, name, type, now);
        if (len != 0 && !(resp[2] & (DNS_FLAG_TC >> 8)))
            k++;
    }
    return k;
}

static struct dns_rrl rrl;

static void start(uint32_t rate, void (*tweak)(struct dns_rrl_conf *))
{
    struct dns_rrl_conf c;

    dns_rrl_conf_default(&c);
    c.rate = rate;
    if (tweak)
        tweak(&c);
    dns_srv_init(&srv, zs, &sconf);
    REQUIRE(dns_rrl_init(&rrl, &c, 0x1234567890abcdefull, &ta) == 0);
    srv.rrl = &rrl;
}

static void stop(void)
{
    dns_rrl_free(&rrl);
    srv.rrl = NULL;
}

static void test_conf(void)
{
    struct dns_rrl_conf c;
    struct dns_rrl r;

    dns_rrl_conf_default(&c);
    CHECK_EQ(c.rate, 0);
    CHECK_EQ(c.slip, 2);
    CHECK_EQ(c.ipv4_prefix, 24);
    CHECK_EQ(c.ipv6_prefix, 56);
    CHECK(c.exempt_loopback);
    CHECK_EQ(dns_rrl_memory(&c), 0); /* off: nothing */
    CHECK_EQ(dns_rrl_init(&r, &c, 1, &ta), TB_EINVAL);
    c.rate = 10;
    c.table_size = 1;
    size_t one = dns_rrl_memory(&c);
    CHECK(one > 0);
    c.table_size = 3; /* rounded down to 2 entries */
    CHECK_EQ(dns_rrl_memory(&c), 2 * one);
    c.ipv4_prefix = 0;
    CHECK_EQ(dns_rrl_init(&r, &c, 1, &ta), TB_EINVAL);
    c.ipv4_prefix = 24;
    c.ipv6_prefix = 129;
    CHECK_EQ(dns_rrl_init(&r, &c, 1, &ta), TB_EINVAL);
    c.ipv6_prefix = 56;
    c.table_size = DNS_RRL_TABLE_MAX + 1;
    CHECK_EQ(dns_rrl_init(&r, &c, 1, &ta), TB_EINVAL);
}

static void test_rate_burst(void)
{
    struct tb_addr p = v4(192, 0, 2, 7);
    uint64_t t = 1000 * SEC;

    start(10, NULL);
    /* A burst of DNS_RRL_BURST_S seconds' worth, then nothing. */
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 30, t),
             10 * DNS_RRL_BURST_S);
    /* One more every 1/rate seconds. */
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 5, t + 99 * MS), 0);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 5, t + 100 * MS), 1);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 5, t + 350 * MS), 2);
    /* A second later: (rate) more; after the burst window: a full burst. */
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 30, t + 1350 * MS),
             10);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 30, t + 10 * SEC),
             20);
    /* Sustained: 100 queries a second for 5 s get 10 a second. */
    unsigned got = 0;
    for (unsigned i = 0; i < 500; i++)
        got += answered(&p, "www.example.com.", DNS_TYPE_A, 1,
                        t + 20 * SEC + i * 10 * MS);
    CHECK(got >= 20 + 49 && got <= 20 + 51);
    stop();
}

/* The name in the key is lowercased (word at a time): any mix of case is
 * one bucket, and names of every length up to a word past the label
 * bytes keep theirs apart. */
static void test_case(void)
{
    struct tb_addr p = v4(192, 0, 2, 9);
    uint64_t t = 2000 * SEC;

    start(10, NULL);
    CHECK_EQ(answered(&p, "WwW.ExAmPlE.CoM.", DNS_TYPE_A, 7, t), 7);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 7, t), 7);
    CHECK_EQ(answered(&p, "WWW.EXAMPLE.COM.", DNS_TYPE_A, 30, t), 6);
    /* Another name (same length, one letter apart) has its own bucket. */
    CHECK_EQ(answered(&p, "WEB.example.com.", DNS_TYPE_A, 30, t), 20);
    stop();
}

static void slip0(struct dns_rrl_conf *c)
{
    c->slip = 0;
}
static void slip1(struct dns_rrl_conf *c)
{
    c->slip = 1;
}

static void test_slip(void)
{
    struct tb_addr p = v4(198, 51, 100, 1);
    uint8_t q[512];
    size_t ql =
        ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);

    start(1, NULL);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 2, 0), 2);
    /* Over the limit: drop, slip, drop, slip... */
    for (unsigned i = 0; i < 6; i++) {
        size_t len = dns_srv_udp(&srv, &p, q, ql, resp, sizeof(resp), 0);
        if (i % 2 == 0) {
            CHECK_EQ(len, 0);
            continue;
        }
        /* Header and question, TC=1, no records, same ID and RCODE. */
        REQUIRE(len == ql - 11);
        CHECK(resp[2] & (DNS_FLAG_TC >> 8));
        CHECK(resp[2] & 0x80); /* QR */
        CHECK_EQ(tb_get16(resp), 0x1234);
        CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_NOERROR);
        CHECK_EQ(tb_get16(resp + 4), 1);
        CHECK_EQ(tb_get16(resp + 6) | tb_get16(resp + 8) | tb_get16(resp + 10),
                 0);
        CHECK_MEM(resp + 12, q + 12, ql - 11 - 12);
    }
    CHECK_EQ(srv.st.rrl_drop, 3);
    CHECK_EQ(srv.st.rrl_slip, 3);
    stop();

    start(1, slip0);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 10, 0), 2);
    CHECK_EQ(srv.st.rrl_drop, 8);
    CHECK_EQ(srv.st.rrl_slip, 0);
    stop();

    start(1, slip1);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 10, 0), 2);
    CHECK_EQ(srv.st.rrl_drop, 0);
    CHECK_EQ(srv.st.rrl_slip, 8);
    stop();
}

static void prefix32(struct dns_rrl_conf *c)
{
    c->ipv4_prefix = 32;
    c->ipv6_prefix = 128;
}

static void test_prefix(void)
{
    struct tb_addr a = v4(192, 0, 2, 1), b = v4(192, 0, 2, 200),
                   c = v4(192, 0, 3, 1);
    struct tb_addr mapped = v6("::ffff:192.0.2.9");
    struct tb_addr x = v6("2001:db8:0:100::1"),
                   y = v6("2001:db8:0:1ff:ffff::2"),
                   z = v6("2001:db8:0:200::1");
    const char *n = "www.example.com.";

    start(1, NULL);
    /* IPv4 /24: a and b share a bucket (and IPv4-mapped with them), c
     * does not. */
    CHECK_EQ(answered(&a, n, DNS_TYPE_A, 1, 0), 1);
    CHECK_EQ(answered(&b, n, DNS_TYPE_A, 1, 0), 1);
    CHECK_EQ(answered(&b, n, DNS_TYPE_A, 1, 0), 0);
    CHECK_EQ(answered(&mapped, n, DNS_TYPE_A, 1, 0), 0);
    CHECK_EQ(answered(&c, n, DNS_TYPE_A, 3, 0), 2);
    /* IPv6 /56: x and y share one, z is another. */
    CHECK_EQ(answered(&x, n, DNS_TYPE_A, 1, 0), 1);
    CHECK_EQ(answered(&y, n, DNS_TYPE_A, 3, 0), 1);
    CHECK_EQ(answered(&z, n, DNS_TYPE_A, 3, 0), 2);
    stop();

    start(1, prefix32);
    CHECK_EQ(answered(&a, n, DNS_TYPE_A, 3, 0), 2);
    CHECK_EQ(answered(&b, n, DNS_TYPE_A, 3, 0), 2);
    CHECK_EQ(answered(&x, n, DNS_TYPE_A, 3, 0), 2);
    CHECK_EQ(answered(&y, n, DNS_TYPE_A, 3, 0), 2);
    stop();
}

static void test_categories(void)
{
    struct tb_addr p = v4(203, 0, 113, 5);

    static const struct {
        const char *name;
        uint16_t type;
        enum dns_rrl_cat cat;
    } cases[] = {
        {"www.example.com.", DNS_TYPE_A, DNS_RRL_ANSWER},
        {"nope.example.com.", DNS_TYPE_A, DNS_RRL_NXDOMAIN},
        {"www.example.com.", DNS_TYPE_MX, DNS_RRL_NODATA},
        {"a.sub.example.com.", DNS_TYPE_A, DNS_RRL_REFERRAL},
        {"www.example.org.", DNS_TYPE_A, DNS_RRL_ERROR},
    };
    start(1, NULL);
    for (size_t i = 0; i < TB_ARRAY_SIZE(cases); i++) {
        size_t len = ask(&p, cases[i].name, cases[i].type, 0);
        REQUIRE(len != 0);
        CHECK_EQ(dns_rrl_category(resp, len), cases[i].cat);
    }
    stop();

    /* Each category and name has its own bucket (2 each at rate 1)... */
    start(1, NULL);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 5, 0), 2);
    CHECK_EQ(answered(&p, "web.example.com.", DNS_TYPE_A, 5, 0), 2);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_MX, 5, 0), 2);
    CHECK_EQ(answered(&p, "a.sub.example.com.", DNS_TYPE_A, 5, 0), 2);
    CHECK_EQ(answered(&p, "www.example.org.", DNS_TYPE_A, 5, 0), 2);
    /* ...answers by qname (case-insensitively)... */
    CHECK_EQ(answered(&p, "WWW.Example.COM.", DNS_TYPE_A, 5, 0), 0);
    /* ...NXDOMAIN and NODATA by zone: random names share one bucket... */
    CHECK_EQ(answered(&p, "r1.example.com.", DNS_TYPE_A, 1, 0), 1);
    CHECK_EQ(answered(&p, "r2.example.com.", DNS_TYPE_A, 1, 0), 1);
    CHECK_EQ(answered(&p, "r3.example.com.", DNS_TYPE_A, 1, 0), 0);
    CHECK_EQ(answered(&p, "web.example.com.", DNS_TYPE_MX, 1, 0), 0);
    /* ...referrals by delegation, errors by nothing but the client. */
    CHECK_EQ(answered(&p, "b.sub.example.com.", DNS_TYPE_A, 1, 0), 0);
    CHECK_EQ(answered(&p, "other.example.net.", DNS_TYPE_A, 1, 0), 0);
    stop();
}

static void no_exempt(struct dns_rrl_conf *c)
{
    c->exempt_loopback = false;
}

static void test_loopback(void)
{
    struct tb_addr lo4 = v4(127, 0, 0, 5), lo6 = v6("::1"),
                   lom = v6("::ffff:127.0.0.1");
    const char *n = "www.example.com.";

    start(1, NULL);
    CHECK_EQ(answered(&lo4, n, DNS_TYPE_A, 50, 0), 50);
    CHECK_EQ(answered(&lo6, n, DNS_TYPE_A, 50, 0), 50);
    CHECK_EQ(answered(&lom, n, DNS_TYPE_A, 50, 0), 50);
    CHECK_EQ(srv.st.rrl_drop + srv.st.rrl_slip, 0);
    stop();

    start(1, no_exempt);
    CHECK_EQ(answered(&lo4, n, DNS_TYPE_A, 50, 0), 2);
    CHECK_EQ(answered(&lo6, n, DNS_TYPE_A, 50, 0), 2);
    stop();
}

static void tiny(struct dns_rrl_conf *c)
{
    c->table_size = 1;
}

static void test_table_full(void)
{
    struct tb_addr a = v4(192, 0, 2, 1), b = v4(198, 51, 100, 1);
    const char *n = "www.example.com.";

    /* One entry: every key collides. */
    start(1, tiny);
    CHECK_EQ(answered(&a, n, DNS_TYPE_A, 5, 0), 2);
    /* b meets a's busy bucket: it shares it (fails closed)... */
    CHECK_EQ(answered(&b, n, DNS_TYPE_A, 2, 0), 0);
    CHECK_EQ(answered(&b, n, DNS_TYPE_A, 2, SEC), 1);
    /* ...and takes the slot over once it is full again. */
    CHECK_EQ(answered(&b, n, DNS_TYPE_A, 5, 10 * SEC), 2);
    CHECK_EQ(answered(&a, n, DNS_TYPE_A, 1, 10 * SEC), 0);
    CHECK_EQ(srv.st.rrl_drop + srv.st.rrl_slip, 3 + 2 + 1 + 3 + 1);
    stop();

    /* A big table: 1000 clients from different /24s, each limited on its
     * own (the odd collision shares a bucket: a few, not many). */
    start(1, NULL);
    unsigned full = 0;
    for (unsigned i = 0; i < 1000; i++) {
        struct tb_addr p = v4(10, (uint8_t)(i >> 8), (uint8_t)i, 1);
        full += answered(&p, n, DNS_TYPE_A, 3, 0) == 2;
    }
    CHECK(full >= 980);
    stop();
}

static void test_counters(void)
{
    struct tb_addr p = v4(192, 0, 2, 1);
    char text[1024];

    start(1, NULL);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 12, 0), 2);
    CHECK_EQ(srv.st.rrl_drop, 5);
    CHECK_EQ(srv.st.rrl_slip, 5);
    CHECK_EQ(srv.st.udp, 12);
    dns_srv_stats_text(&srv.st, text, sizeof(text));
    CHECK(strstr(text, "\nrrl dropped 5 slipped 5\n") != NULL);
    struct dns_srv_stats sum = {0};
    dns_srv_stats_add(&sum, &srv.st);
    dns_srv_stats_add(&sum, &srv.st);
    CHECK_EQ(sum.rrl_drop, 10);
    CHECK_EQ(sum.rrl_slip, 10);
    /* No peer (a driver that cannot tell): not limited. */
    CHECK(ask(NULL, "www.example.com.", DNS_TYPE_A, 0) != 0);
    stop();
}

static void shares4(struct dns_rrl_conf *c)
{
    c->shares = 4;
}

static void test_shares(void)
{
    struct tb_addr p = v4(192, 0, 2, 1);

    /* rate 40 over 4 workers: 10 a second per table, a burst of 20. */
    start(40, shares4);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 100, 0), 20);
    CHECK_EQ(answered(&p, "www.example.com.", DNS_TYPE_A, 100, SEC), 10);
    stop();
}

int main(void)
{
    setup();
    RUN(test_conf);
    RUN(test_rate_burst);
    RUN(test_slip);
    RUN(test_case);
    RUN(test_prefix);
    RUN(test_categories);
    RUN(test_loopback);
    RUN(test_table_full);
    RUN(test_counters);
    RUN(test_shares);
    dns_zoneset_free(zs, &ta);
    free(blob);
    return check_done();
}
