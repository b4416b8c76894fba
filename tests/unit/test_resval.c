/*
 * test_resval.c -- the validating resolver (lib/dns/res_val.c with the
 * resolver core and the cache's hit path) against a fake network of our
 * own authoritative engine serving a tree signed in the test with
 * lib/dns/sign.c (ECDSA P-256 keys from fixed seeds):
 *
 *   .     signed (NSEC), the anchor is its key's DS
 *   sec.  signed (NSEC), DS at the root: data, a wildcard, a CNAME into
 *         an unsigned zone, NODATA, NXDOMAIN
 *   n3.   signed (NSEC3), DS at the root
 *   ins.  unsigned, no DS (a proven insecure delegation)
 *   nods. signed, but no DS at the root (insecure: an island)
 *   bad.  signed, DS at the root, one RRSIG broken after signing
 *   exp.  signed with signatures that expired a month ago
 *   alg.  a DS of an unsupported algorithm only (insecure)
 *   miss. DS at the root for a key that does not sign the zone
 *   nta.  like bad., but under a negative trust anchor
 *
 * Checked: RCODE, AD (for AD and DO clients; not without), the RRSIGs and
 * denial proofs for DO, SERVFAIL with the RFC 8914 code for bogus data and
 * the data with CD, and that a cache hit gives the same answer without a
 * single outbound query (the state stored, never recomputed).
 */
#include <arpa/inet.h>

#include "check.h"
#include "test_auth_util.h"
#include <tibra/dns/res.h>
#include <tibra/dns/sign.h>
#include <tibra/dns/val.h>

#define MS  1000000ull
#define SEC 1000000000ull
/* the test's wall clock: 2026-01-01 at monotonic time 0 */
#define UNIX0 1767225600u

enum {
    K_ROOT,
    K_SEC,
    K_N3,
    K_NODS,
    K_BAD,
    K_EXP,
    K_MISS,
    K_OTHER,
    K_NTA,
    K_SUB,
    K_TWO,
    NK
};
static struct dns_sign_key key[NK];

struct server {
    const char *ip;
    struct dns_zoneset *zs;
    unsigned queries;
};
static struct server net[] = {
    {"10.0.8.1", NULL, 0}, /* . */
    {"10.0.8.2", NULL, 0}, /* sec. */
    {"10.0.8.3", NULL, 0}, /* ins. alg. */
    {"10.0.8.4", NULL, 0}, /* n3. */
    {"10.0.8.5", NULL, 0}, /* nods. */
    {"10.0.8.6", NULL, 0}, /* bad. */
    {"10.0.8.7", NULL, 0}, /* exp. */
    {"10.0.8.8", NULL, 0}, /* miss. */
    {"10.0.8.9", NULL, 0}, /* nta. */
    {"10.0.8.10", NULL, 0}, /* two.: a broken copy */
    {"10.0.8.11", NULL, 0}, /* two.: a good copy */
};
static bool broken; /* signed_zone() breaks www.ORIGIN A's RRSIG */

static char ds_text[NK][200];

/* "OWNER 86400 DS ..." of key (k) for zone (origin). */
static void ds_of(int k, const char *origin, char *out, size_t cap)
{
    uint8_t o[256], ds[DNS_DS_SHA256_LEN];
    char hex[2 * 32 + 1];

    ta_name(origin, NULL, o);
    dns_sign_ds(o, key[k].dnskey, key[k].dnskey_len, ds);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02X", ds[4 + i]);
    snprintf(out, cap, "%s 86400 DS %u 13 2 %s", origin, tb_get16(ds), hex);
}

static void report(void *ctx, int level, const char *file, unsigned line,
                   const char *msg)
{
    (void)ctx;
    if (level == DNS_DIAG_ERROR)
        fprintf(stderr, "%s:%u: %s\n", file ? file : "-", line, msg);
}

/* Parses, checks, signs (key (k); (nsec3); the window) and compiles. */
static uint8_t *signed_zone(const char *origin, const char *const *lines, int k,
                            bool nsec3, uint32_t inc, uint32_t exp, size_t *len)
{
    struct dns_zone_src z;
    struct dns_sign_params p = {&key[k], 1, inc, exp, nsec3, false, 0, 0, {0}};
    struct tb_buf out;
    struct dns_diag d = {report, NULL, 0, 0};

    static char text[16384];
    uint8_t o[256];
    size_t tl = 0;

    for (size_t i = 0; lines[i] != NULL; i++)
        tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%s\n", lines[i]);
    ta_name(origin, NULL, o);
    dns_zone_src_init(&z, o, &ta);
    if (dns_zone_parse(&z, text, tl, origin, NULL, &d) != 0 ||
        dns_zone_check(&z, &d) != 0 || dns_sign_zone(&z, &p, &d) != 0)
        abort();
    if (k == K_BAD || broken) {
        /* break the signature over www.ORIGIN A (its last byte) */
        uint8_t www[64];
        char wn[64];
        snprintf(wn, sizeof(wn), "www.%s", origin);
        ta_name(wn, NULL, www);
        for (size_t i = 0; i < z.nrr; i++) {
            const uint8_t *rd = dns_zrr_rdata(&z, &z.rr[i]);
            if (z.rr[i].type == DNS_TYPE_RRSIG && tb_get16(rd) == DNS_TYPE_A &&
                dns_name_equal(dns_zrr_owner(&z, &z.rr[i]), www))
                z.data.data[z.rr[i].rdata + z.rr[i].rdlen - 1] ^= 0x55;
        }
    }
    tb_buf_init(&out, &ta);
    if (dns_zone_compile(&z, &out, NULL) != 0)
        abort();
    dns_zone_src_free(&z);
    *len = out.len;
    return out.data;
}

static struct dns_zoneset *zset1(uint8_t *blob, size_t len)
{
    struct dns_zoneset *zs;
    const void *b[1] = {blob};
    if (dns_zoneset_build(&zs, b, &len, 1, NULL, &ta) != 0)
        abort();
    return zs;
}

static uint8_t *blobs[16];
static size_t nblobs;
static struct dns_val_anchors anchors;
static struct dns_val_anchors *anchors_use = &anchors; /* res_setup's */

static void net_setup(void)
{
    uint8_t seed[32];
    uint32_t inc = UNIX0 - 86400, exp = UNIX0 + 30 * 86400;
    size_t len;

    for (int i = 0; i < NK; i++) {
        memset(seed, 0x40 + i, sizeof(seed));
        if (dns_sign_key_generate(&key[i], DNS_ALG_ECDSAP256SHA256,
                                  DNS_DNSKEY_KSK, 0, seed, 32) != 0)
            abort();
    }
    ds_of(K_SEC, "sec.", ds_text[K_SEC], sizeof(ds_text[0]));
    ds_of(K_N3, "n3.", ds_text[K_N3], sizeof(ds_text[0]));
    ds_of(K_BAD, "bad.", ds_text[K_BAD], sizeof(ds_text[0]));
    ds_of(K_EXP, "exp.", ds_text[K_EXP], sizeof(ds_text[0]));
    ds_of(K_OTHER, "miss.", ds_text[K_MISS], sizeof(ds_text[0]));
    ds_of(K_NTA, "nta.", ds_text[K_NTA], sizeof(ds_text[0]));
    ds_of(K_SUB, "sub.sec.", ds_text[K_SUB], sizeof(ds_text[0]));
    ds_of(K_TWO, "two.", ds_text[K_TWO], sizeof(ds_text[0]));
    const char *root[] = {
        "@ 86400 SOA a.root. host.root. 1 1800 900 604800 60",
        "@ 86400 NS a.root.", "a.root. 86400 A 10.0.8.1",
        "sec. 86400 NS ns.sec.", "ns.sec. 86400 A 10.0.8.2", ds_text[K_SEC],
        "ins. 86400 NS ns.ins.", "ns.ins. 86400 A 10.0.8.3",
        "alg. 86400 NS ns.ins.",
        /* algorithm 253 (private): unsupported */
        "alg. 86400 DS 4711 253 2 "
        "0011223344556677889900112233445566778899001122334455667788990011",
        "n3. 86400 NS ns.n3.", "ns.n3. 86400 A 10.0.8.4", ds_text[K_N3],
        "nods. 86400 NS ns.nods.", "ns.nods. 86400 A 10.0.8.5",
        "bad. 86400 NS ns.bad.", "ns.bad. 86400 A 10.0.8.6", ds_text[K_BAD],
        "exp. 86400 NS ns.exp.", "ns.exp. 86400 A 10.0.8.7", ds_text[K_EXP],
        "miss. 86400 NS ns.miss.", "ns.miss. 86400 A 10.0.8.8", ds_text[K_MISS],
        "nta. 86400 NS ns.nta.", "ns.nta. 86400 A 10.0.8.9", ds_text[K_NTA],
        "two. 86400 NS ns1.two.", "two. 86400 NS ns2.two.",
        "ns1.two. 86400 A 10.0.8.10", "ns2.two. 86400 A 10.0.8.11",
        ds_text[K_TWO], NULL};
    /* sub.sec. (signed, DS) and uns.sec. (unsigned, no DS) are served by
       sec.'s own server: it answers from them with AA, no referral */
    const char *sec[] = {"@ 3600 SOA ns host 1 1800 900 604800 300",
                         "sub 3600 NS ns",
                         ds_text[K_SUB],
                         "uns 3600 NS ns",
                         "@ 3600 NS ns",
                         "ns 3600 A 10.0.8.2",
                         "www 300 A 192.0.2.1",
                         "www 300 A 192.0.2.2",
                         "*.wild 300 A 192.0.2.9",
                         "alias 300 CNAME www",
                         "out 300 CNAME www.ins.",
                         "txt 300 TXT hello",
                         NULL};
    static const char *const ins[] = {
        "@ 3600 SOA ns host 1 1800 900 604800 300", "@ 3600 NS ns",
        "ns 3600 A 10.0.8.3", "www 300 A 192.0.2.3", NULL};
    static const char *const alg[] = {
        "@ 3600 SOA ns.ins. host 1 1800 900 604800 300", "@ 3600 NS ns.ins.",
        "www 300 A 192.0.2.4", NULL};
    static const char *const simple[] = {
        "@ 3600 SOA ns host 1 1800 900 604800 300", "@ 3600 NS ns",
        "ns 3600 A 10.0.8.200", "www 300 A 192.0.2.5", NULL};
    const char *origins[] = {"n3.", "nods.", "bad.", "exp.", "miss.", "nta."};
    const int keys[] = {K_N3, K_NODS, K_BAD, K_EXP, K_MISS, K_NTA};
    const int srv[] = {3, 4, 5, 6, 7, 8};

    blobs[nblobs] = signed_zone(".", root, K_ROOT, false, inc, exp, &len);
    net[0].zs = zset1(blobs[nblobs++], len);
    {
        static const char *const sub[] = {
            "@ 3600 SOA ns.sec. host 1 1800 900 604800 300",
            "@ 3600 NS ns.sec.", "www 300 A 192.0.2.11", NULL};
        static const char *const uns[] = {
            "@ 3600 SOA ns.sec. host 1 1800 900 604800 300",
            "@ 3600 NS ns.sec.", "www 300 A 192.0.2.12", NULL};
        size_t l[3];
        uint8_t *b0 = signed_zone("sec.", sec, K_SEC, false, inc, exp, &l[0]);
        uint8_t *b1 =
            signed_zone("sub.sec.", sub, K_SUB, false, inc, exp, &l[1]);
        uint8_t *b2 = ta_zone("uns.sec.", uns, &l[2]);
        const void *b[3] = {b0, b1, b2};
        blobs[nblobs++] = b0;
        blobs[nblobs++] = b1;
        blobs[nblobs++] = b2;
        if (dns_zoneset_build(&net[1].zs, b, l, 3, NULL, &ta) != 0)
            abort();
    }
    {
        size_t l[2];
        uint8_t *b0 = ta_zone("ins.", ins, &l[0]);
        uint8_t *b1 = ta_zone("alg.", alg, &l[1]);
        const void *b[2] = {b0, b1};
        blobs[nblobs++] = b0;
        blobs[nblobs++] = b1;
        if (dns_zoneset_build(&net[2].zs, b, l, 2, NULL, &ta) != 0)
            abort();
    }
    for (int i = 0; i < 6; i++) {
        bool expired = keys[i] == K_EXP;
        blobs[nblobs] =
            signed_zone(origins[i], simple, keys[i], keys[i] == K_N3,
                        expired ? UNIX0 - 60 * 86400 : inc,
                        expired ? UNIX0 - 30 * 86400 : exp, &len);
        net[srv[i]].zs = zset1(blobs[nblobs++], len);
    }
    /* two.: the same zone from two servers, one copy broken */
    {
        static const char *const two[] = {
            "@ 3600 SOA ns1 host 1 1800 900 604800 300",
            "@ 3600 NS ns1",
            "@ 3600 NS ns2",
            "ns1 3600 A 10.0.8.10",
            "ns2 3600 A 10.0.8.11",
            "www 300 A 192.0.2.7",
            NULL};
        broken = true;
        blobs[nblobs] = signed_zone("two.", two, K_TWO, false, inc, exp, &len);
        net[9].zs = zset1(blobs[nblobs++], len);
        broken = false;
        blobs[nblobs] = signed_zone("two.", two, K_TWO, false, inc, exp, &len);
        net[10].zs = zset1(blobs[nblobs++], len);
    }
    /* the anchor: the root key's DS */
    char a[200];
    ds_of(K_ROOT, ".", a, sizeof(a));
    if (dns_val_anchors_parse(&anchors, a, strlen(a), "anchor", &ta, NULL) != 0)
        abort();
}

static void net_teardown(void)
{
    for (size_t i = 0; i < TB_ARRAY_SIZE(net); i++)
        dns_zoneset_free(net[i].zs, &ta);
    for (size_t i = 0; i < nblobs; i++)
        free(blobs[i]);
    dns_val_anchors_free(&anchors);
    for (int i = 0; i < NK; i++)
        dns_sign_key_wipe(&key[i]);
}

static struct server *net_find(const struct tb_addr *a)
{
    char txt[64];
    inet_ntop(AF_INET, a->ip, txt, sizeof(txt));
    for (size_t i = 0; i < TB_ARRAY_SIZE(net); i++)
        if (strcmp(net[i].ip, txt) == 0)
            return &net[i];
    return NULL;
}

static uint32_t rng_state = 777;
static uint32_t rng(void *ctx)
{
    (void)ctx;
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static struct dns_cache *cache;
static struct dns_res *res;
static struct dns_res_val val;
static const struct dns_res_fwd *fwd; /* conf.fwd of the next res_setup */
static uint64_t now = 1000 * SEC;
static unsigned sends;
static uint8_t nta_name[1][DNS_NAME_MAXLEN];

static void res_setup(bool validate)
{
    struct dns_cache_conf cc = {.mem_bytes = 1 << 20};
    struct dns_res_conf rc = {.random = rng,
                              .val = validate ? &val : NULL,
                              .fwd = fwd,
                              .nfwd = fwd != NULL};
    struct dns_res_hints h;
    static const char hints[] = ". 3600000 NS a.root.\n"
                                "a.root. 3600000 A 10.0.8.1\n";

    memset(&val, 0, sizeof(val));
    val.anchors = anchors_use;
    ta_name("nta.", NULL, nta_name[0]);
    val.insecure = nta_name;
    val.ninsecure = 1;
    val.unix_at_zero = UNIX0;
    dns_res_val_init(&val);
    if (dns_cache_init(&cache, &cc, &ta) != 0 ||
        dns_res_hints_parse(&h, hints, sizeof(hints) - 1, "hints", &ta, NULL) !=
            0 ||
        dns_res_init(&res, &rc, &h, cache, &ta) != 0)
        abort();
}

static void res_teardown(void)
{
    dns_res_free(res);
    dns_cache_free(cache);
}

/* What an answer said. */
struct got {
    unsigned rcode;
    bool ad, tc;
    int ede; /* -1: none */
    unsigned an, an_sig, ns_sig, ns_nsec; /* counts */
    bool started; /* a task ran (not a cache hit) */
};

static void parse(const uint8_t *r, size_t n, struct got *g)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;

    memset(g, 0, sizeof(*g));
    g->ede = -1;
    if (dns_msg_parse(&m, r, n) != 0)
        abort();
    g->rcode = DNS_RCODE(m.flags);
    g->ad = (m.flags & DNS_FLAG_AD) != 0;
    g->tc = (m.flags & DNS_FLAG_TC) != 0;
    dns_rr_iter_init(&it, &m, DNS_SEC_ANSWER);
    while (dns_rr_next(&it, &rr)) {
        if (rr.section == DNS_SEC_ANSWER) {
            g->an++;
            g->an_sig += rr.type == DNS_TYPE_RRSIG;
        } else if (rr.section == DNS_SEC_AUTHORITY) {
            g->ns_sig += rr.type == DNS_TYPE_RRSIG;
            g->ns_nsec += rr.type == DNS_TYPE_NSEC || rr.type == DNS_TYPE_NSEC3;
        } else if (rr.type == DNS_TYPE_OPT) {
            const uint8_t *o = r + rr.rdoff;
            for (size_t p = 0; p + 4 <= rr.rdlen;) {
                uint16_t code = tb_get16(o + p), l = tb_get16(o + p + 2);
                if (code == 15 && l >= 2)
                    g->ede = tb_get16(o + p + 4);
                p += 4 + l;
            }
        }
    }
}

/* Asks (name, type) with DO (dnssec), CD, AD; fills (*g). */
static void ask(const char *name, uint16_t type, bool dnssec, bool cd, bool ad,
                struct got *g)
{
    uint8_t q[512], resp[65535], reply[65535];
    size_t qlen = ta_query(q, name, type, DNS_CLASS_IN, 1232, dnssec), n = 0;
    struct dns_res_task *t;
    struct dns_res_send s;
    const uint8_t *msg;
    int rc;

    if (cd)
        q[3] |= 0x10;
    if (ad)
        q[3] |= 0x20;
    sends = 0;
    now += 10 * MS;
    rc = dns_res_query(res, q, qlen, NULL, true, now, resp, sizeof(resp), &n,
                       &t);
    if (rc == DNS_RES_ANSWERED) {
        parse(resp, n, g);
        return;
    }
    if (rc != DNS_RES_STARTED)
        abort();
    for (unsigned guard = 0;; guard++) {
        if (guard > 1000)
            abort();
        if (dns_res_task_next(t, now, &s) == DNS_RES_DONE)
            break;
        sends++;
        struct server *sv = net_find(&s.server);
        if (sv == NULL || sv->zs == NULL) {
            now = s.deadline;
            dns_res_task_timeout(t, now);
            continue;
        }
        now += 1 * MS;
        sv->queries++;
        size_t rl =
            dns_auth_answer(sv->zs, s.msg, s.len, reply, sizeof(reply),
                            s.transport == DNS_RES_TCP ? DNS_AUTH_TCP : 0,
                            &(struct dns_auth_stats){0});
        if (dns_res_task_input(t, &s.server, s.transport, reply, rl, now) != 0)
            abort();
    }
    n = dns_res_task_response(t, &msg);
    parse(msg, n, g);
    g->started = true;
    dns_res_task_free(t);
}

#define EXPECT(name, type, dnssec, cd, rc_, ad_, ede_)                         \
    do {                                                                       \
        struct got g_;                                                         \
        ask(name, type, dnssec, cd, false, &g_);                               \
        if (g_.rcode != (rc_) || g_.ad != (ad_) || g_.ede != (ede_))           \
            fprintf(stderr,                                                    \
                    "%s %s/%u do=%d cd=%d: rcode %u ad %d ede %d, want "       \
                    "%u %d %d\n",                                              \
                    check_current, name, type, dnssec, cd, g_.rcode, g_.ad,    \
                    g_.ede, (unsigned)(rc_), (int)(ad_), (int)(ede_));         \
        CHECK_EQ(g_.rcode, (unsigned)(rc_));                                   \
        CHECK_EQ(g_.ad, (ad_));                                                \
        CHECK_EQ(g_.ede, (ede_));                                              \
    } while (0)

static void test_secure(void)
{
    struct got g, h;

    res_setup(true);
    /* secure data, with the RRSIG for DO, AD for DO */
    ask("www.sec.", DNS_TYPE_A, true, false, false, &g);
    CHECK(g.started);
    CHECK_EQ(g.rcode, DNS_RCODE_NOERROR);
    CHECK(g.ad);
    CHECK_EQ(g.an, 3); /* two A and their RRSIG */
    CHECK_EQ(g.an_sig, 1);
    CHECK_EQ(g.ede, -1);
    /* the same from the cache: no query, same answer */
    ask("www.sec.", DNS_TYPE_A, true, false, false, &h);
    CHECK(!h.started);
    CHECK_EQ(h.an, 3);
    CHECK(h.ad);
    /* AD asked without DO: AD, no RRSIG (RFC 6840 5.7) */
    ask("www.sec.", DNS_TYPE_A, false, false, true, &h);
    CHECK(h.ad);
    CHECK_EQ(h.an, 2);
    /* neither: no AD */
    EXPECT("www.sec.", DNS_TYPE_A, false, false, DNS_RCODE_NOERROR, false, -1);
    /* NXDOMAIN and NODATA with their NSEC proofs */
    ask("nothere.sec.", DNS_TYPE_A, true, false, false, &g);
    CHECK_EQ(g.rcode, DNS_RCODE_NXDOMAIN);
    CHECK(g.ad);
    CHECK(g.ns_nsec >= 1);
    CHECK(g.ns_sig >= 2); /* the SOA's and the NSECs' */
    ask("nothere.sec.", DNS_TYPE_A, true, false, false, &h);
    CHECK(!h.started);
    CHECK_EQ(h.rcode, DNS_RCODE_NXDOMAIN);
    CHECK(h.ad);
    CHECK_EQ(h.ns_nsec, g.ns_nsec);
    ask("www.sec.", DNS_TYPE_TXT, true, false, false, &g);
    CHECK_EQ(g.rcode, DNS_RCODE_NOERROR);
    CHECK_EQ(g.an, 0);
    CHECK(g.ad);
    CHECK(g.ns_nsec >= 1);
    /* a wildcard answer (its next-closer proof checked) */
    ask("a.wild.sec.", DNS_TYPE_A, true, false, false, &g);
    CHECK_EQ(g.rcode, DNS_RCODE_NOERROR);
    CHECK(g.ad);
    CHECK_EQ(g.an, 2);
    /* a CNAME in the zone */
    EXPECT("alias.sec.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, true, -1);
    /* a CNAME from a signed zone into an unsigned one: not AD */
    ask("out.sec.", DNS_TYPE_A, true, false, false, &g);
    CHECK_EQ(g.rcode, DNS_RCODE_NOERROR);
    CHECK(!g.ad);
    CHECK_EQ(g.an, 3); /* CNAME, its RRSIG, the A */
    /* child zones served by the parent's server, no referral seen: a
       signed one (the RRSIG's signer tells) and an unsigned one (its DS
       NODATA shows a delegation) */
    EXPECT("www.sub.sec.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, true,
           -1);
    EXPECT("www.uns.sec.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, false,
           -1);
    EXPECT("www.sub.sec.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, true,
           -1);
    EXPECT("nothere.uns.sec.", DNS_TYPE_A, true, false, DNS_RCODE_NXDOMAIN,
           false, -1);
    /* NSEC3: data, NXDOMAIN, NODATA */
    EXPECT("www.n3.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, true, -1);
    ask("nothere.n3.", DNS_TYPE_A, true, false, false, &g);
    CHECK_EQ(g.rcode, DNS_RCODE_NXDOMAIN);
    CHECK(g.ad);
    CHECK(g.ns_nsec >= 1); /* one record may match and cover */
    CHECK(g.ns_sig >= 2);
    EXPECT("www.n3.", DNS_TYPE_MX, true, false, DNS_RCODE_NOERROR, true, -1);
    /* the DS and DNSKEY sets themselves */
    EXPECT("sec.", DNS_TYPE_DNSKEY, true, false, DNS_RCODE_NOERROR, true, -1);
    EXPECT("sec.", DNS_TYPE_DS, true, false, DNS_RCODE_NOERROR, true, -1);
    EXPECT("ins.", DNS_TYPE_DS, true, false, DNS_RCODE_NOERROR, true, -1);
    res_teardown();
}

static void test_insecure(void)
{
    res_setup(true);
    /* a proven unsigned delegation, an island of security without DS,
       an unsupported algorithm, a negative trust anchor over bad data */
    EXPECT("www.ins.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, false, -1);
    EXPECT("nothere.ins.", DNS_TYPE_A, true, false, DNS_RCODE_NXDOMAIN, false,
           -1);
    EXPECT("www.nods.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, false, -1);
    EXPECT("www.alg.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, false, -1);
    EXPECT("www.nta.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, false, -1);
    res_teardown();
}

static void test_bogus(void)
{
    struct got g;

    res_setup(true);
    /* a broken signature: SERVFAIL, EDE 6; with CD the data, no AD */
    EXPECT("www.bad.", DNS_TYPE_A, true, false, DNS_RCODE_SERVFAIL, false, 6);
    ask("www.bad.", DNS_TYPE_A, true, false, false, &g);
    CHECK(!g.started); /* the bogus state is cached */
    CHECK_EQ(g.rcode, DNS_RCODE_SERVFAIL);
    CHECK_EQ(g.ede, 6);
    ask("www.bad.", DNS_TYPE_A, true, true, false, &g);
    CHECK_EQ(g.rcode, DNS_RCODE_NOERROR);
    CHECK(!g.ad);
    CHECK_EQ(g.an, 2); /* the A and its (bad) RRSIG */
    /* the rest of bad. is fine */
    EXPECT("bad.", DNS_TYPE_SOA, true, false, DNS_RCODE_NOERROR, true, -1);
    /* expired signatures (the DNSKEY set's first): EDE 7 */
    EXPECT("www.exp.", DNS_TYPE_A, true, false, DNS_RCODE_SERVFAIL, false, 7);
    EXPECT("www.exp.", DNS_TYPE_A, false, true, DNS_RCODE_NOERROR, false, -1);
    /* a DS no DNSKEY matches: EDE 9 */
    EXPECT("www.miss.", DNS_TYPE_A, true, false, DNS_RCODE_SERVFAIL, false, 9);
    /* bogus lasts DNS_CACHE_BOGUS_TTL, then it is asked again */
    now += (DNS_CACHE_BOGUS_TTL + 1) * SEC;
    ask("www.bad.", DNS_TYPE_A, true, false, false, &g);
    CHECK(g.started);
    CHECK_EQ(g.rcode, DNS_RCODE_SERVFAIL);
    res_teardown();
}

/* A bogus reply from one server of a zone: another is asked (as Unbound
 * does), and its good copy is the answer. */
static void test_bogus_retry(void)
{
    struct got g;
    unsigned broken_asked = 0;

    for (unsigned i = 0; i < 8; i++) {
        rng_state = 1000 + i;
        res_setup(true);
        net[9].queries = net[10].queries = 0;
        ask("www.two.", DNS_TYPE_A, true, false, false, &g);
        CHECK_EQ(g.rcode, DNS_RCODE_NOERROR);
        CHECK(g.ad);
        CHECK_EQ(g.an, 2);
        broken_asked += net[9].queries > 0;
        res_teardown();
    }
    CHECK(broken_asked > 0); /* the broken copy was met, and passed over */
}

/* A forward zone: what the forwarder returns is validated here, the
 * DS and DNSKEY RRsets asked of it too (n3.'s server stands in for a
 * recursive forwarder: it answers what it serves). */
static void test_forward(void)
{
    static struct dns_res_fwd z;
    struct got g;

    memset(&z, 0, sizeof(z));
    ta_name("n3.", NULL, z.zone);
    z.recursive = true;
    z.naddr = 1;
    z.addr[0].af = TB_AF_INET;
    inet_pton(AF_INET, "10.0.8.4", z.addr[0].ip);
    z.addr[0].port = 53;
    fwd = &z;
    res_setup(true);
    net[3].queries = 0;
    EXPECT("www.n3.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, true, -1);
    ask("nothere.n3.", DNS_TYPE_A, true, false, false, &g);
    CHECK_EQ(g.rcode, DNS_RCODE_NXDOMAIN);
    CHECK(g.ad);
    CHECK(net[3].queries >= 3); /* DNSKEY, A, A (NXDOMAIN) */
    res_teardown();
    fwd = NULL;
}

/* The anchor as the root's DNSKEY record (the form tibra key and BIND
 * key files write) instead of its DS: the same answers. */
static void test_dnskey_anchor(void)
{
    static char pub[4096 + 64], priv[8192];
    static struct dns_val_anchors a;
    uint8_t root[1] = {0};
    char text[4200];
    struct got g;

    CHECK_EQ(dns_sign_key_write(&key[K_ROOT], root, pub, sizeof(pub), priv,
                                sizeof(priv)),
             0);
    memset(priv, 0, sizeof(priv)); /* secrets never outlive their use */
    snprintf(text, sizeof(text), "$TTL 3600\n%s", pub);
    REQUIRE(dns_val_anchors_parse(&a, text, strlen(text), "key", &ta, NULL) ==
            0);
    anchors_use = &a;
    res_setup(true);
    ask("www.sec.", DNS_TYPE_A, true, false, false, &g);
    CHECK_EQ(g.rcode, DNS_RCODE_NOERROR);
    CHECK(g.ad);
    EXPECT("www.bad.", DNS_TYPE_A, true, false, DNS_RCODE_SERVFAIL, false, 6);
    res_teardown();
    anchors_use = &anchors;
    dns_val_anchors_free(&a);
}

static void test_off(void)
{
    struct got g;

    /* without validation nothing is checked and AD is never set */
    res_setup(false);
    EXPECT("www.sec.", DNS_TYPE_A, true, false, DNS_RCODE_NOERROR, false, -1);
    ask("www.bad.", DNS_TYPE_A, true, false, false, &g);
    CHECK_EQ(g.rcode, DNS_RCODE_NOERROR);
    CHECK(!g.ad);
    res_teardown();
}

int main(void)
{
    net_setup();
    RUN(test_secure);
    RUN(test_insecure);
    RUN(test_bogus);
    RUN(test_bogus_retry);
    RUN(test_forward);
    RUN(test_dnskey_anchor);
    RUN(test_off);
    net_teardown();
    return check_done();
}
