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
 * With bit 7 of the first byte the resolver validates (DNSSEC) and the
 * client sets DO: the zones are signed at start-up (lib/dns/sign.c, ECDSA
 * keys from fixed seeds, DS records in the parents, the root key's DS the
 * trust anchor), so the real replies are secure and the fuzzer's
 * mutations reach the validator, the key fetches and the cut discovery.
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
#include <tibra/dns/sign.h>

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

/* DNSSEC: the zones signed (key k of zone i), the root's DS the anchor */
#define UNIX0 1767225600u /* the signatures' "now" */
static struct dns_sign_key key[4];
static struct dns_val_anchors anchors;
static struct dns_res_val val;

static void no_report(void *ctx, int level, const char *file, unsigned line,
                      const char *msg)
{
    (void)ctx, (void)level, (void)file, (void)line, (void)msg;
}

/* Zone (origin) of (z) plus (extra) (MAY be NULL), signed with key (k). */
static struct dns_zoneset *one(const char *origin, const char *const *z,
                               const char *extra, int k)
{
    struct dns_zone_src src;
    struct dns_diag d = {no_report, NULL, 0, 0};
    struct dns_sign_params p = {
        &key[k], 1, UNIX0 - 86400, UNIX0 + 86400, k == 2, false, 0, 0, {0}};
    struct tb_buf out;
    struct dns_zoneset *s;

    ta_src(&src, origin, z, &ta);
    if (extra != NULL) {
        uint8_t o[256];
        ta_name(origin, NULL, o);
        REQUIRE(dns_zone_parse(&src, extra, strlen(extra), "ds", NULL, &d) ==
                0);
    }
    REQUIRE(dns_zone_check(&src, &d) == 0);
    REQUIRE(dns_sign_zone(&src, &p, &d) == 0); /* example.tld.: NSEC3 */
    tb_buf_init(&out, &ta);
    REQUIRE(dns_zone_compile(&src, &out, NULL) == 0);
    dns_zone_src_free(&src);
    size_t len = out.len;
    REQUIRE(dns_zoneset_build(&s, (const void *[]){out.data}, &len, 1, NULL,
                              &ta) == 0);
    return s; /* the blob stays alive for the process */
}

/* "OWNER 3600 DS ..." of key (k) for (origin) into (out). */
static void ds_of(int k, const char *origin, char *out, size_t cap)
{
    uint8_t o[256], ds[DNS_DS_SHA256_LEN];
    char hex[65];

    ta_name(origin, NULL, o);
    dns_sign_ds(o, key[k].dnskey, key[k].dnskey_len, ds);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02X", ds[4 + i]);
    snprintf(out, cap, "%s 3600 DS %u 13 2 %s\n", origin, tb_get16(ds), hex);
}

static void setup(void)
{
    char ds_root[512], ds_tld[256], anchor[256];
    uint8_t seed[32];

    for (int i = 0; i < 4; i++) {
        memset(seed, 0x61 + i, sizeof(seed));
        REQUIRE(dns_sign_key_generate(&key[i], DNS_ALG_ECDSAP256SHA256,
                                      DNS_DNSKEY_KSK, 0, seed, 32) == 0);
    }
    ds_of(1, "tld.", ds_root, sizeof(ds_root));
    ds_of(3, "other.", ds_root + strlen(ds_root),
          sizeof(ds_root) - strlen(ds_root));
    ds_of(2, "example.tld.", ds_tld, sizeof(ds_tld));
    ds_of(0, ".", anchor, sizeof(anchor));
    REQUIRE(dns_val_anchors_parse(&anchors, anchor, strlen(anchor), "a", &ta,
                                  NULL) == 0);
    val.anchors = &anchors;
    val.unix_at_zero = (int64_t)UNIX0 - 1000; /* the fuzzer's now: 1000 s */
    dns_res_val_init(&val);
    zs[0] = one(".", z_root, ds_root, 0);
    zs[1] = one("tld.", z_tld, ds_tld, 1);
    zs[2] = one("example.tld.", z_example, NULL, 2);
    zs_other = one("other.", z_other, NULL, 3);
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
                    DNS_CLASS_IN, 1232, data[0] & 0x80);
    rc.val = data[0] & 0x80 ? &val : NULL;
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
