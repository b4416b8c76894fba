/*
 * test_wire_corpus.c -- real messages must parse.  The fuzz corpus of
 * dns_msg ships queries and responses captured from dig/kdig and Knot
 * (files real-q-* and real-r-*: EDNS with cookies, NSID, ECS, padding,
 * DNSSEC answers, TSIG-signed queries and AXFR messages); every query
 * must pass dns_query_parse() and every message dns_msg_parse(), and all
 * rdata must unpack.  Reads $TIBRA_SRC/tests/fuzz/corpus/dns_msg.
 */
#include "check.h"
#include <dirent.h>
#include <tibra/dns.h>

static uint8_t msg[65536], rd[65535 + 256];
static unsigned nq, nr, nrr, nopt, ntsig;

static void one(const char *dir, const char *name)
{
    char path[4096];
    struct dns_query q;
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t n;
    FILE *f;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return;
    f = fopen(path, "rb");
    REQUIRE(f != NULL);
    n = fread(msg, 1, sizeof(msg), f);
    fclose(f);
    if (strncmp(name, "real-q-", 7) == 0) {
        int r = dns_query_parse(&q, msg, n);
        if (r != 0 && r != DNS_QUERY_NOQUESTION)
            fprintf(stderr, "%s: %s\n", name, tb_strerror(r));
        CHECK(r == 0 || r == DNS_QUERY_NOQUESTION);
        CHECK_EQ(q.end, n);
        nq++;
        nopt += q.has_opt;
        ntsig += q.tsig_off != 0;
    } else {
        nr++;
    }
    int r = dns_msg_parse(&m, msg, n);
    if (r != 0)
        fprintf(stderr, "%s: %s\n", name, tb_strerror(r));
    REQUIRE(r == 0);
    CHECK_EQ(m.end, n);
    dns_rr_iter_init(&it, &m, DNS_SEC_ANSWER);
    while (dns_rr_next(&it, &rr)) {
        size_t ol;
        CHECK_EQ(dns_rdata_unpack(msg, n, rr.rdoff, rr.rdlen, rr.type, rd,
                                  sizeof(rd), &ol),
                 0);
        nrr++;
    }
}

static void test_real(void)
{
    const char *src = getenv("TIBRA_SRC");
    char dir[4096];
    DIR *d;
    struct dirent *e;

    REQUIRE(src != NULL);
    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/dns_msg", src);
    d = opendir(dir);
    REQUIRE(d != NULL);
    while ((e = readdir(d)) != NULL)
        if (strncmp(e->d_name, "real-", 5) == 0)
            one(dir, e->d_name);
    closedir(d);
    printf("%u queries, %u responses, %u RRs, %u OPT, %u TSIG\n", nq, nr, nrr,
           nopt, ntsig);
    CHECK(nq >= 50);
    CHECK(nr >= 50);
    CHECK(ntsig >= 1);
}

int main(void)
{
    if (getenv("TIBRA_SRC") == NULL) {
        printf(
            "SKIP test_wire_corpus: TIBRA_SRC not set (run via tests/run)\n");
        return 77;
    }
    RUN(test_real);
    return check_done();
}
