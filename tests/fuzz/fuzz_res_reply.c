/*
 * fuzz_res_reply.c -- the resolver core (lib/dns/res*.c) fed arbitrary
 * replies.  A fixed tree of zones (root, tld, example.tld, other.) is
 * compiled once and answers like the fake network of test_res.  Each
 * input starts one client question (its first byte picks it) in a fresh
 * resolver and cache, then drives the task with the rest, cut into
 * chunks [op u8][len u16 BE][len bytes]:
 *
 *   op & 3 == 0  reply with the bytes as they are; op & 4: the ID patched
 *                to the outstanding query's, op & 8: its question copied
 *                over bytes 12.. (so the fuzzer gets past the matching)
 *   op & 3 == 1  the real reply of the server addressed, then the bytes
 *                as (offset u16, xor u8) mutations; op & 4: cut to the
 *                offset of the first mutation
 *   op & 3 == 2  a timeout
 *   op & 3 == 3  the real reply, from another address (must be rejected)
 *
 * After the chunks, timeouts until the task is done.  Invariants: no
 * crash, no sanitizer report; the task ends within a bounded number of
 * steps (its work limits); sends per task never exceed max_queries; the
 * response parses, has QR, the client's ID and question; the cache's
 * memory stays within its bound; a cache hit for the same question then
 * parses too.
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

static const char *const z_root[] = {
    "@ 86400 SOA a.root. host.root. 1 1800 900 604800 60",
    "@ 86400 NS a.root.",
    "a.root. 86400 A 10.0.0.1",
    "tld. 86400 NS ns1.tld.",
    "ns1.tld. 86400 A 10.0.1.1",
    "other. 86400 NS ns.other.",
    "ns.other. 86400 A 10.0.2.1",
    NULL};
static const char *const z_tld[] = {"@ 86400 SOA ns1 host 1 1800 900 604800 60",
                                    "@ 86400 NS ns1",
                                    "ns1 86400 A 10.0.1.1",
                                    "example 3600 NS ns1.example",
                                    "example 3600 NS ns.other.",
                                    "ns1.example 3600 A 10.0.5.1",
                                    "glueless 3600 NS ns.other.",
                                    NULL};
static const char *const z_other[] = {"@ 3600 SOA ns host 1 1800 900 604800 30",
                                      "@ 3600 NS ns", "ns 3600 A 10.0.2.1",
                                      "www 600 A 192.0.2.20", NULL};
static const char *const z_example[] = {
    "@ 3600 SOA ns1 host 1 1800 900 604800 120",
    "@ 3600 NS ns1",
    "@ 3600 NS ns.other.",
    "ns1 3600 A 10.0.5.1",
    "www 300 A 192.0.2.1",
    "www 300 AAAA 2001:db8::1",
    "alias 300 CNAME www",
    "ext 300 CNAME www.other.",
    "big 300 TXT _ _ _ _ _ _ _ _",
    NULL};

static const char *const qnames[] = {"www.example.tld.", "alias.example.tld.",
                                     "nx.example.tld.",  "ext.example.tld.",
                                     "big.example.tld.", "www.other.",
                                     "x.glueless.tld.",  "tld."};
static const uint16_t qtypes[] = {DNS_TYPE_A,   DNS_TYPE_AAAA, DNS_TYPE_NS,
                                  DNS_TYPE_TXT, DNS_TYPE_MX,   DNS_TYPE_CNAME,
                                  DNS_TYPE_DS,  DNS_TYPE_SOA};

static struct dns_zoneset *zs[3]; /* 10.0.0.1, 10.0.1.1, 10.0.5.1 */
static struct dns_zoneset *zs_other; /* 10.0.2.1: other. */

static struct dns_zoneset *one(const char *origin, const char *const *z)
{
    size_t len;
    uint8_t *b = ta_zone(origin, z, &len);
    struct dns_zoneset *s;
    REQUIRE(dns_zoneset_build(&s, (const void *[]){b}, &len, 1, NULL, &ta) ==
            0);
    return s; /* the blob stays alive for the process */
}

static void setup(void)
{
    zs[0] = one(".", z_root);
    zs[1] = one("tld.", z_tld);
    zs[2] = one("example.tld.", z_example);
    zs_other = one("other.", z_other);
}

static struct dns_zoneset *server(const struct tb_addr *a)
{
    if (a->af != TB_AF_INET || a->ip[0] != 10)
        return NULL;
    switch (a->ip[2]) {
    case 0:
        return zs[0];
    case 1:
        return zs[1];
    case 2:
        return zs_other;
    case 5:
        return zs[2];
    }
    return NULL;
}

static uint32_t rng_state;
static uint32_t rng(void *ctx)
{
    (void)ctx;
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

#define MS 1000000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    static uint8_t reply[65536], resp[65535], q[512];
    struct dns_cache_conf cc = {.mem_bytes = 65536};
    struct dns_res_conf rc = {.random = rng, .max_tasks = 1};
    struct dns_res_hints h;
    struct dns_cache *c;
    struct dns_res *r;
    struct dns_res_task *t;
    struct dns_res_send s;
    struct dns_cache_stats cst;
    uint64_t now = 1000000 * MS;
    size_t qlen, n, pos = 1;
    unsigned sends = 0;
    int rcode;

    if (!init) {
        setup();
        init = true;
    }
    if (size < 1)
        return 0;
    rng_state = data[0];
    qlen = ta_query(q, qnames[data[0] & 7], qtypes[(data[0] >> 3) & 7],
                    DNS_CLASS_IN, 1232, false);
    static const char hints[] = ". 1 NS a.root.\na.root. 1 A 10.0.0.1\n";
    REQUIRE(dns_res_hints_parse(&h, hints, sizeof(hints) - 1, "h", &ta, NULL) ==
            0);
    REQUIRE(dns_cache_init(&c, &cc, &ta) == 0);
    REQUIRE(dns_res_init(&r, &rc, &h, c, &ta) == 0);
    rcode = dns_res_query(r, q, qlen, NULL, data[0] & 0x40, now, resp,
                          sizeof(resp), &n, &t);
    REQUIRE(rcode == DNS_RES_STARTED);
    for (unsigned step = 0;; step++) {
        REQUIRE(step < 10000); /* bounded by the work limits */
        if (dns_res_task_next(t, now, &s) == DNS_RES_DONE)
            break;
        REQUIRE(++sends <= 48);
        REQUIRE(s.len >= DNS_HDR_LEN && s.deadline > now);
        uint8_t op = 2;
        size_t len = 0;
        const uint8_t *arg = NULL;
        if (pos + 3 <= size) {
            op = data[pos];
            len = tb_get16(data + pos + 1);
            if (len > size - pos - 3)
                len = size - pos - 3;
            arg = data + pos + 3;
            pos += 3 + len;
        }
        now += 1 * MS;
        struct dns_zoneset *z = server(&s.server);
        size_t rl = 0;
        if ((op & 3) == 0) {
            memcpy(reply, arg, len);
            rl = len;
            if ((op & 4) && rl >= 2)
                tb_put16(reply, tb_get16(s.msg));
            if ((op & 8) && rl >= 12) {
                size_t qe = DNS_HDR_LEN + dns_name_len(s.msg + 12) + 4;
                if (rl < qe)
                    rl = qe;
                memcpy(reply + 12, s.msg + 12, qe - 12);
                reply[4] = 0;
                reply[5] = 1;
            }
        } else if ((op & 3) == 2 || z == NULL) {
            now = s.deadline;
            dns_res_task_timeout(t, now);
            continue;
        } else {
            rl = dns_auth_answer(z, s.msg, s.len, reply, 65535,
                                 s.transport ? DNS_AUTH_TCP : 0,
                                 &(struct dns_auth_stats){0});
            for (size_t i = 0; (op & 3) == 1 && i + 3 <= len; i += 3) {
                size_t off = tb_get16(arg + i);
                if (rl == 0)
                    break;
                if (i == 0 && (op & 4))
                    rl = off % rl;
                if (rl > 0)
                    reply[off % rl] ^= arg[i + 2];
            }
        }
        struct tb_addr from = s.server;
        if ((op & 3) == 3)
            from.port = 5353;
        int rc2 = dns_res_task_input(t, &from, s.transport, reply, rl, now);
        if ((op & 3) == 3)
            REQUIRE(rc2 != 0);
        if (rc2 != 0) { /* rejected: the driver waits for the deadline */
            now = s.deadline;
            dns_res_task_timeout(t, now);
        }
    }
    {
        const uint8_t *m;
        struct dns_msg pm;
        n = dns_res_task_response(t, &m);
        REQUIRE(n >= DNS_HDR_LEN);
        REQUIRE(dns_msg_parse(&pm, m, n) == 0);
        REQUIRE((pm.flags & DNS_FLAG_QR) && pm.id == tb_get16(q));
        REQUIRE(memcmp(m + 12, q + 12, qlen - 12 - 11) == 0);
    }
    dns_res_task_free(t);
    n = dns_cache_answer(c, q, qlen, false, now, resp, sizeof(resp));
    if (n > 0) {
        struct dns_msg pm;
        REQUIRE(n <= 1232);
        REQUIRE(dns_msg_parse(&pm, resp, n) == 0 && pm.id == tb_get16(q));
    }
    dns_cache_stats(c, &cst);
    REQUIRE(cst.bytes <= 65536);
    dns_res_free(r);
    dns_cache_free(c);
    return 0;
}
