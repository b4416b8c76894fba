/*
 * fuzz_res_query.c -- client queries into the resolver core: arbitrary
 * bytes through dns_res_query(), which answers errors and cache hits at
 * once (dns_cache_answer, the hit path) or starts a task.  The cache
 * holds a fixed set of entries (an RRset, a CNAME chain ending in an
 * NXDOMAIN, a NODATA, a CNAME loop, a large TXT) put in once.  The first
 * input byte picks UDP or TCP and the time (entries expire), the rest is
 * the query.
 *
 * Invariants: an answered query's response parses with dns_msg_parse(),
 * has QR and the query's ID, and is at most 512 bytes over UDP without
 * EDNS, at most 1232 with; a started task is freed at once (the pool never
 * runs dry); nothing reads outside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include <tibra/dns/res.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static struct dns_cache *cache;
static struct dns_res *res;

static uint32_t rng(void *ctx)
{
    (void)ctx;
    return 4; /* chosen by a fair dice roll: IDs do not matter here */
}

static void put(const char *name, uint16_t type, uint8_t kind, const char *rd1,
                const char *rd2)
{
    uint8_t n[256], data[2048];
    size_t w = 0, l;
    uint16_t nrr = 0;
    const char *rds[2] = {rd1, rd2};

    ta_name(name, NULL, n);
    for (int i = 0; i < 2 && rds[i] != NULL; i++, nrr++) {
        if (type == DNS_TYPE_A) {
            l = 4;
            inet_pton(AF_INET, rds[i], data + w + 2);
        } else if (type == DNS_TYPE_TXT) {
            l = 1000;
            memset(data + w + 2, 'x', l);
            data[w + 2] = 255;
            data[w + 2 + 256] = 255;
            data[w + 2 + 512] = 255;
            data[w + 2 + 768] = 231;
        } else {
            l = ta_name(rds[i], NULL, data + w + 2);
        }
        tb_put16(data + w, (uint16_t)l);
        w += 2 + l;
    }
    if (kind != DNS_CACHE_RRSET) { /* an SOA: owner, rdlen, rdata */
        uint8_t *p = data;
        w = ta_name("example.", NULL, p);
        l = ta_name("ns.example.", NULL, p + w + 2);
        l += ta_name("host.example.", NULL, p + w + 2 + l);
        memset(p + w + 2 + l, 0, 20);
        l += 20;
        tb_put16(p + w, (uint16_t)l);
        w += 2 + l;
        nrr = 0;
    }
    REQUIRE(dns_cache_put(cache, n, type, kind, DNS_RANK_ANSWER, 100, nrr, data,
                          w, 0) == 0);
}

static void setup(void)
{
    struct dns_cache_conf cc = {.mem_bytes = 1 << 20};
    struct dns_res_conf rc = {.random = rng, .max_tasks = 1};
    struct dns_res_hints h;
    static const char hints[] = ". 1 NS a.root.\na.root. 1 A 10.0.0.1\n";

    REQUIRE(dns_cache_init(&cache, &cc, &ta) == 0);
    REQUIRE(dns_res_hints_parse(&h, hints, sizeof(hints) - 1, "h", &ta, NULL) ==
            0);
    REQUIRE(dns_res_init(&res, &rc, &h, cache, &ta) == 0);
    put("www.example.", DNS_TYPE_A, DNS_CACHE_RRSET, "192.0.2.1", "192.0.2.2");
    put("alias.example.", DNS_TYPE_CNAME, DNS_CACHE_RRSET, "www.example.",
        NULL);
    put("a1.example.", DNS_TYPE_CNAME, DNS_CACHE_RRSET, "a2.example.", NULL);
    put("a2.example.", DNS_TYPE_CNAME, DNS_CACHE_RRSET, "nx.example.", NULL);
    put("nx.example.", 0, DNS_CACHE_NXDOMAIN, NULL, NULL);
    put("www.example.", DNS_TYPE_MX, DNS_CACHE_NODATA, NULL, NULL);
    put("loop1.example.", DNS_TYPE_CNAME, DNS_CACHE_RRSET, "loop2.example.",
        NULL);
    put("loop2.example.", DNS_TYPE_CNAME, DNS_CACHE_RRSET, "loop1.example.",
        NULL);
    put("big.example.", DNS_TYPE_TXT, DNS_CACHE_RRSET, "", "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[65535 + 16];
    struct dns_res_task *t;
    struct dns_query qu;
    size_t n = 0;
    bool tcp;
    uint64_t now;
    int rc;

    if (cache == NULL)
        setup();
    if (size < 1)
        return 0;
    tcp = data[0] & 1;
    now = (uint64_t)(data[0] >> 1) * 1000000000ull; /* 0..127 s */
    data++;
    size--;
    memset(out, 0xAA, sizeof(out));
    rc = dns_res_query(res, data, size, NULL, tcp, now, out, 65535, &n, &t);
    REQUIRE(out[65535] == 0xAA); /* the sentinel after the buffer */
    if (rc == DNS_RES_STARTED) {
        REQUIRE(t != NULL);
        dns_res_task_free(t);
        return 0;
    }
    if (rc == DNS_RES_DROP)
        return 0;
    REQUIRE(rc == DNS_RES_ANSWERED && n >= DNS_HDR_LEN);
    struct dns_msg m;
    REQUIRE(dns_msg_parse(&m, out, n) == 0);
    REQUIRE(m.flags & DNS_FLAG_QR);
    REQUIRE(m.id == tb_get16(data));
    if (!tcp) {
        int prc = dns_query_parse(&qu, data, size);
        REQUIRE(n <= (prc >= 0 && qu.has_opt ? 1232u : 512u) ||
                (prc < 0 && n <= DNS_HDR_LEN + 255 + 4 + 11));
    }
    return 0;
}
