/*
 * test_auth_perf.c -- the query mix of the speed goal (existing 70%,
 * NXDOMAIN 15%, NODATA 5%, wildcard 5%, referral 5%) against a zone of
 * 2,000 names, each response checked for its expected RCODE, AA and
 * counts.  A correctness test under `make check` (few rounds, sanitized);
 * built without sanitizers by mk/auth.mk as $(U)/tests/auth_perf, it is
 * the driver for counting instructions per answer:
 *
 *   valgrind --tool=callgrind --toggle-collect=dns_auth_answer \
 *       build/unix-x86_64/tests/auth_perf 200000 [KIND]
 *
 * (KIND 0..4: only existing, NXDOMAIN, NODATA, wildcard or referral
 * queries)
 * then (instructions in dns_auth_answer, inclusive) / (calls).  No
 * timing is asserted anywhere.
 */
#include "check.h"
#include "test_auth_util.h"

#define NQ 1000

static int only = -1;
static int names = 2000; /* hosts in the zone; argv[3] to time compiling */

struct pq {
    uint8_t q[300];
    size_t len;
    unsigned rcode, aa, an, ns;
};

static struct pq qs[NQ];
static uint8_t resp[65536];

static void add(struct dns_zone_src *z, const char *fmt, int i)
{
    char line[256];
    snprintf(line, sizeof(line), fmt, i, i % 250, i % 7);
    ta_rr(z, line);
}

static uint8_t *build(size_t *len)
{
    struct dns_zone_src z;
    struct tb_buf out;
    uint8_t o[256];

    ta_name("example.com.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    ta_rr(&z, "@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300");
    ta_rr(&z, "@ 3600 NS ns1");
    ta_rr(&z, "@ 3600 NS ns2");
    ta_rr(&z, "ns1 3600 A 192.0.2.1");
    ta_rr(&z, "ns2 3600 A 192.0.2.2");
    ta_rr(&z, "*.w 3600 A 192.0.2.3");
    for (int i = 0; i < names; i++) {
        add(&z, "host%d 3600 A 10.0.%d.%d", i);
        if (i % 4 == 0)
            add(&z, "host%d 3600 AAAA 2001:db8::%d:%d", i);
    }
    for (int i = 0; i < 50; i++) {
        add(&z, "d%d 3600 NS ns.d%d", i);
        add(&z, "ns.d%d 3600 A 192.0.%d.%d", i);
    }
    tb_buf_init(&out, &ta);
    if (dns_zone_compile(&z, &out, NULL) != 0)
        abort();
    dns_zone_src_free(&z);
    *len = out.len;
    return out.data;
}

static void make_queries(void)
{
    for (int i = 0; i < NQ; i++) {
        struct pq *p = &qs[i];
        char name[128];
        uint16_t type = DNS_TYPE_A;
        int k = (i * 7919) % 100; /* spread the kinds */
        if (only >= 0 && only <= 4) /* one kind: 0 existing .. 4 referral */
            k = (int[]){0, 70, 85, 90, 95}[only];
        unsigned h = (unsigned)(i * 2654435761u) % 2000; /* < names */

        p->rcode = DNS_RCODE_NOERROR;
        p->aa = 1;
        p->an = 1;
        p->ns = 0;
        if (k < 70) {
            snprintf(name, sizeof(name), "host%u.example.com.", h);
        } else if (k < 85) {
            snprintf(name, sizeof(name), "nx%u.example.com.", h);
            p->rcode = DNS_RCODE_NXDOMAIN;
            p->an = 0;
            p->ns = 1;
        } else if (k < 90) {
            snprintf(name, sizeof(name), "host%u.example.com.", h);
            type = DNS_TYPE_TXT;
            p->an = 0;
            p->ns = 1;
        } else if (k < 95) {
            snprintf(name, sizeof(name), "r%u.w.example.com.", h);
        } else {
            snprintf(name, sizeof(name), "www.d%u.example.com.", h % 50);
            p->aa = 0;
            p->an = 0;
            p->ns = 1;
        }
        /* Half the clients send EDNS, as resolvers do. */
        p->len =
            ta_query(p->q, name, type, DNS_CLASS_IN, i % 2 ? 1232 : -1, false);
    }
}

static unsigned long rounds = 3;

static void test_mix(void)
{
    struct dns_zoneset *zs;
    struct dns_auth_stats st = {0};
    size_t len;
    uint8_t *blob = build(&len);
    const void *b[1] = {blob};
    unsigned bad = 0;

    REQUIRE(dns_zoneset_build(&zs, b, &len, 1, NULL, &ta) == 0);
    make_queries();
    for (unsigned long r = 0; r < rounds; r++)
        for (int i = 0; i < NQ; i++) {
            const struct pq *p = &qs[i];
            size_t n = dns_auth_answer(zs, p->q, p->len, resp, 512, 0, &st);
            if (n < 12 || DNS_RCODE(tb_get16(resp + 2)) != p->rcode ||
                !!(resp[2] & 0x04) != p->aa || tb_get16(resp + 6) != p->an ||
                tb_get16(resp + 8) != p->ns)
                bad++;
        }
    CHECK_EQ(bad, 0);
    CHECK_EQ(st.queries, rounds * NQ);
    printf("zone %zu bytes, %llu queries: noerror %llu nxdomain %llu\n", len,
           (unsigned long long)st.queries, (unsigned long long)st.noerror,
           (unsigned long long)st.nxdomain);
    dns_zoneset_free(zs, &ta);
    free(blob);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        rounds = strtoul(argv[1], NULL, 10) / NQ + 1;
    if (argc > 2)
        only = atoi(argv[2]);
    if (argc > 3 && atoi(argv[3]) >= 2000)
        names = atoi(argv[3]);
    RUN(test_mix);
    return check_done();
}
