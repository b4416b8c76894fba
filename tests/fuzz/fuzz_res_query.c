/*
 * fuzz_res_query.c -- client queries into the resolver core: arbitrary
 * bytes through dns_res_query(), which answers errors and cache hits at
 * once (dns_cache_answer, the hit path) or starts a task.  The cache
 * holds a fixed set of entries (an RRset, a CNAME chain ending in an
 * NXDOMAIN, a NODATA, a CNAME loop, a large TXT) put in once.  The first
 * input byte picks UDP or TCP and the time (entries expire), the rest is
 * the query.  Each query is also asked of a validating resolver whose
 * cache holds entries with validation states and DNSSEC records beside
 * them (RRSIGs, a wildcard's and an NXDOMAIN's NSEC proof, a bogus entry
 * with its EDE, an unchecked one): the hit path's AD, DO, CD and SERVFAIL
 * branches and its reading of the extra records.
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

static struct dns_cache *cache, *vcache;
static struct dns_res *res, *vres;
static struct dns_val_anchors anchors;
static struct dns_res_val val;

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

/* An entry of the validating cache: (name, type) A 192.0.2.9 (or an
 * NXDOMAIN with an SOA) with state (sec), EDE (ede) and, in view.extra
 * form, an RRSIG owned by (name) and, with (proof), an NSEC and its
 * RRSIG owned by (proof). */
static void vput(const char *name, uint16_t type, uint8_t kind, uint8_t sec,
                 uint8_t ede, const char *proof)
{
    uint8_t n[256], data[512], x[1024];
    size_t w = 0, xl = 0, l;
    uint16_t nrr = 0;

    ta_name(name, NULL, n);
    if (kind == DNS_CACHE_RRSET) {
        tb_put16(data, 4);
        memcpy(data + 2, "\xc0\x00\x02\x09", 4);
        w = 6;
        nrr = 1;
    } else {
        w = ta_name("example.", NULL, data);
        l = ta_name("ns.example.", NULL, data + w + 2);
        memset(data + w + 2 + l, 0, 21); /* rname ".", then 20 bytes */
        l += 21;
        tb_put16(data + w, (uint16_t)l);
        w += 2 + l;
    }
    /* an RRSIG: covered, alg 13, labels, TTL, times, tag, signer, sig */
    const char *owners[3] = {name, proof, proof};
    uint16_t types[3] = {DNS_TYPE_RRSIG, DNS_TYPE_NSEC, DNS_TYPE_RRSIG};
    for (int i = 0; i < (proof ? 3 : 1); i++) {
        uint8_t *p = x + xl;
        size_t on = ta_name(owners[i], NULL, p), rl;
        uint8_t *rd = p + on + 4;
        tb_put16(p + on, types[i]);
        if (types[i] == DNS_TYPE_NSEC) {
            rl = ta_name("zz.example.", NULL, rd);
            memcpy(rd + rl, "\x00\x06\x40\x01\x00\x00\x00\x03", 8);
            rl += 8;
        } else {
            tb_put16(rd, i == 0 ? (type ? type : DNS_TYPE_SOA) : DNS_TYPE_NSEC);
            rd[2] = 13;
            rd[3] = 1;
            memset(rd + 4, 0x11, 14);
            rl = 18 + ta_name("example.", NULL, rd + 18);
            memset(rd + rl, 0x5a, 64);
            rl += 64;
        }
        tb_put16(p + on + 2, (uint16_t)rl);
        xl += on + 4 + rl;
    }
    REQUIRE(dns_cache_put_sec(vcache, n, type, kind, DNS_RANK_ANSWER, 100, nrr,
                              data, w, sec, ede, x, xl, 0) == 0);
}

static void vsetup(void)
{
    struct dns_cache_conf cc = {.mem_bytes = 1 << 20};
    struct dns_res_conf rc = {.random = rng, .max_tasks = 1, .val = &val};
    struct dns_res_hints h;
    static const char hints[] = ". 1 NS a.root.\na.root. 1 A 10.0.0.1\n";

    REQUIRE(dns_val_anchors_parse(&anchors, dns_val_root_anchors,
                                  strlen(dns_val_root_anchors), "a", &ta,
                                  NULL) == 0);
    val.anchors = &anchors;
    dns_res_val_init(&val);
    REQUIRE(dns_cache_init(&vcache, &cc, &ta) == 0);
    REQUIRE(dns_res_hints_parse(&h, hints, sizeof(hints) - 1, "h", &ta, NULL) ==
            0);
    REQUIRE(dns_res_init(&vres, &rc, &h, vcache, &ta) == 0);
    vput("www.example.", DNS_TYPE_A, DNS_CACHE_RRSET, DNS_VAL_SECURE, 0, NULL);
    vput("x.wild.example.", DNS_TYPE_A, DNS_CACHE_RRSET, DNS_VAL_SECURE, 0,
         "a.example.");
    vput("bad.example.", DNS_TYPE_A, DNS_CACHE_RRSET, DNS_VAL_BOGUS, 7, NULL);
    vput("ins.example.", DNS_TYPE_A, DNS_CACHE_RRSET, DNS_VAL_INSECURE, 0,
         NULL);
    vput("raw.example.", DNS_TYPE_A, DNS_CACHE_RRSET, DNS_CACHE_UNCHECKED, 0,
         NULL);
    vput("nx.example.", 0, DNS_CACHE_NXDOMAIN, DNS_VAL_SECURE, 0, "m.example.");
    vput("www.example.", DNS_TYPE_MX, DNS_CACHE_NODATA, DNS_VAL_SECURE, 0,
         "www.example.");
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

    if (cache == NULL) {
        setup();
        vsetup();
    }
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
    /* the validating resolver: the same invariants; AD never with
       SERVFAIL; an answer never from an unchecked entry */
    memset(out, 0xAA, sizeof(out));
    rc = dns_res_query(vres, data, size, NULL, tcp, now, out, 65535, &n, &t);
    REQUIRE(out[65535] == 0xAA);
    if (rc == DNS_RES_STARTED) {
        REQUIRE(t != NULL);
        dns_res_task_free(t);
        return 0;
    }
    if (rc == DNS_RES_DROP)
        return 0;
    REQUIRE(rc == DNS_RES_ANSWERED && n >= DNS_HDR_LEN);
    REQUIRE(dns_msg_parse(&m, out, n) == 0);
    REQUIRE(m.flags & DNS_FLAG_QR);
    REQUIRE(m.id == tb_get16(data));
    REQUIRE(
        !((m.flags & DNS_FLAG_AD) && DNS_RCODE(m.flags) == DNS_RCODE_SERVFAIL));
    if (!tcp) {
        int prc = dns_query_parse(&qu, data, size);
        REQUIRE(n <= (prc >= 0 && qu.has_opt ? 1232u : 512u) ||
                (prc < 0 && n <= DNS_HDR_LEN + 255 + 4 + 11 + 6));
    }
    return 0;
}
