/*
 * test_tcplim.c -- TCP connections per client address (lib/dns/tcplim.c):
 * the limit per IPv4 address and per IPv6 /64, other addresses unaffected,
 * slots given back on close, refusals counted, peers without an address
 * never counted, and a table filled to the driver's bound with keys
 * opened and closed in shuffled order (backward-shift deletion keeps
 * every remaining key findable).
 */
#include "check.h"
#include "test_addr_util.h"
#include "test_auth_util.h"
#include <tibra/dns/srv.h>

static void limit_per_ipv4(void)
{
    struct dns_tcplim l;
    struct dns_srv_stats st = {0};
    struct tb_addr a = v4(192, 0, 2, 1), b = v4(192, 0, 2, 2);

    REQUIRE(dns_tcplim_init(&l, 20, 3, 0x1234, &ta) == 0);
    for (int i = 0; i < 3; i++)
        CHECK(dns_tcplim_open(&l, &a, &st));
    a.port = 1; /* another source port: the same client */
    CHECK(!dns_tcplim_open(&l, &a, &st));
    CHECK(!dns_tcplim_open(&l, &a, &st));
    CHECK_EQ(st.tcp_refused_addr, 2);
    CHECK_EQ(dns_tcplim_count(&l, &a), 3);
    /* The neighbour in the same /24 is another client. */
    CHECK(dns_tcplim_open(&l, &b, &st));
    CHECK_EQ(dns_tcplim_count(&l, &b), 1);
    /* A close gives one slot back, to that address only. */
    dns_tcplim_close(&l, &a);
    CHECK_EQ(dns_tcplim_count(&l, &a), 2);
    CHECK(dns_tcplim_open(&l, &a, &st));
    CHECK(!dns_tcplim_open(&l, &a, &st));
    CHECK_EQ(st.tcp_refused_addr, 3);
    for (int i = 0; i < 3; i++)
        dns_tcplim_close(&l, &a);
    dns_tcplim_close(&l, &b);
    CHECK_EQ(dns_tcplim_count(&l, &a), 0);
    CHECK_EQ(l.used, 0);
    dns_tcplim_free(&l);
}

static void limit_per_ipv6_64(void)
{
    struct dns_tcplim l;
    struct dns_srv_stats st = {0};
    struct tb_addr a = v6("2001:db8:1:2::1"), b = v6("2001:db8:1:2:ffff::9");
    struct tb_addr c = v6("2001:db8:1:3::1");

    REQUIRE(dns_tcplim_init(&l, 8, 2, 99, &ta) == 0);
    CHECK(dns_tcplim_open(&l, &a, &st));
    CHECK(dns_tcplim_open(&l, &b, &st)); /* same /64 */
    CHECK(!dns_tcplim_open(&l, &a, &st));
    CHECK(!dns_tcplim_open(&l, &b, &st));
    CHECK(dns_tcplim_open(&l, &c, &st)); /* the next /64 */
    CHECK_EQ(st.tcp_refused_addr, 2);
    /* An IPv4 address whose bytes start the same is another key. */
    struct tb_addr x = v4(0x20, 0x01, 0x0d, 0xb8);
    CHECK_EQ(dns_tcplim_count(&l, &x), 0);
    dns_tcplim_close(&l, &b);
    CHECK(dns_tcplim_open(&l, &a, &st));
    dns_tcplim_close(&l, &a);
    dns_tcplim_close(&l, &a);
    dns_tcplim_close(&l, &c);
    CHECK_EQ(l.used, 0);
    dns_tcplim_free(&l);
}

static void no_address_not_counted(void)
{
    struct dns_tcplim l, off;
    struct dns_srv_stats st = {0};
    struct tb_addr none = {0};
    struct tb_addr a = v4(10, 0, 0, 1);

    REQUIRE(dns_tcplim_init(&l, 4, 1, 7, &ta) == 0);
    for (int i = 0; i < 10; i++) {
        CHECK(dns_tcplim_open(&l, NULL, &st));
        CHECK(dns_tcplim_open(&l, &none, &st));
    }
    dns_tcplim_close(&l, NULL);
    dns_tcplim_close(&l, &none);
    CHECK_EQ(l.used, 0);
    CHECK_EQ(st.tcp_refused_addr, 0);
    dns_tcplim_free(&l);
    /* A table never set up (a driver with the limit off) allows all. */
    memset(&off, 0, sizeof(off));
    CHECK(dns_tcplim_open(&off, &a, &st));
    CHECK(dns_tcplim_open(&off, &a, &st));
    dns_tcplim_close(&off, &a);
    CHECK_EQ(dns_tcplim_count(&off, &a), 0);
    CHECK_EQ(dns_tcplim_init(&off, 0, 1, 0, &ta), TB_EINVAL);
    CHECK_EQ(dns_tcplim_init(&off, 1, 0, 0, &ta), TB_EINVAL);
    CHECK(dns_tcplim_memory(1000) >= 2000 * 8);
}

/* xorshift, for a reproducible shuffle. */
static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Checks every key's count against (open): a broken backward shift
 * loses a key that had probed past the hole. */
static bool counts_ok(const struct dns_tcplim *l, const struct tb_addr *k,
                      const uint32_t *open, uint32_t n)
{
    for (uint32_t x = 0; x < n; x++)
        if (dns_tcplim_count(l, &k[x]) != open[x])
            return false;
    return true;
}

/* N connections from N/2 keys (two each) fill the driver's bound; then,
 * in shuffled order, each key closes both and a new key opens one, and
 * at last the new keys close in shuffled order: every count is checked
 * after every step. */
static void full_table_churn(void)
{
    enum { N = 200 };
    struct dns_tcplim l;
    struct dns_srv_stats st = {0};
    struct tb_addr k[N];
    uint32_t order[N / 2], seed = 2463534242u, open[N] = {0};

    REQUIRE(dns_tcplim_init(&l, N, 2, 0xfeedface, &ta) == 0);
    for (uint32_t i = 0; i < N; i++) {
        if (i % 2) {
            k[i] = v4(198, 51, (uint8_t)(i >> 8), (uint8_t)i);
        } else {
            k[i] = v6("2001:db8::");
            k[i].ip[6] = (uint8_t)(i >> 8);
            k[i].ip[7] = (uint8_t)i;
        }
    }
    for (uint32_t i = 0; i < N / 2; i++) {
        CHECK(dns_tcplim_open(&l, &k[i], &st));
        CHECK(dns_tcplim_open(&l, &k[i], &st));
        CHECK(!dns_tcplim_open(&l, &k[i], &st));
        open[i] = 2;
        order[i] = i;
    }
    CHECK_EQ(l.used, N / 2);
    CHECK(counts_ok(&l, k, open, N));
    for (uint32_t i = N / 2 - 1; i > 0; i--) {
        uint32_t j = rnd(&seed) % (i + 1), t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    for (uint32_t r = 0; r < N / 2; r++) {
        uint32_t i = order[r];
        dns_tcplim_close(&l, &k[i]);
        dns_tcplim_close(&l, &k[i]);
        open[i] = 0;
        CHECK(dns_tcplim_open(&l, &k[i + N / 2], &st));
        open[i + N / 2] = 1;
        CHECK(counts_ok(&l, k, open, N));
    }
    for (uint32_t r = 0; r < N / 2; r++) {
        uint32_t i = order[(r * 7) % (N / 2)] + N / 2;
        dns_tcplim_close(&l, &k[i]);
        open[i] = 0;
        CHECK(counts_ok(&l, k, open, N));
    }
    CHECK_EQ(l.used, 0);
    CHECK_EQ(st.tcp_refused_addr, N / 2);
    dns_tcplim_free(&l);
}

int main(void)
{
    RUN(limit_per_ipv4);
    RUN(limit_per_ipv6_64);
    RUN(no_address_not_counted);
    RUN(full_table_churn);
    return check_done();
}
