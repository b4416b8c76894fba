/*
 * test_res.c -- the resolver core (lib/dns/res*.c) against a fake network
 * made of our own authoritative engine: a small tree of compiled zones
 * (root, tld, other, example.tld with two servers, glueless.tld served by
 * the server of other., a lame server answering REFUSED, unresponsive
 * servers), each address answering with dns_auth_answer() from its own
 * zone set.  A fake clock; packets lost on purpose; forged replies (wrong
 * address, port, transport, ID, question, not a response, out-of-bailiwick
 * records and glue) that must be rejected or ignored and never cached.
 * Also the cache alone: TTLs, ranks, negative entries, the hit path, and
 * its memory bound under churn.
 */
#include <arpa/inet.h>

#include "check.h"
#include "test_auth_util.h"
#include <tibra/dns/res.h>
#include <tibra/dns/srv.h>

#define MS  1000000ull
#define SEC 1000000000ull

static const char *const z_root[] = {
    "@ 86400 SOA a.root. host.root. 1 1800 900 604800 60",
    "@ 86400 NS a.root.",
    "a.root. 86400 A 10.0.0.1",
    "tld. 86400 NS ns1.tld.",
    "ns1.tld. 86400 A 10.0.1.1",
    "other. 86400 NS ns.other.",
    "ns.other. 86400 A 10.0.2.1",
    "lame. 86400 NS ns.lame.",
    "ns.lame. 86400 A 10.0.3.1",
    "dead. 86400 NS ns.dead.",
    "ns.dead. 86400 A 10.0.4.1",
    NULL};

static const char *const z_tld[] = {"@ 86400 SOA ns1 host 1 1800 900 604800 60",
                                    "@ 86400 NS ns1",
                                    "ns1 86400 A 10.0.1.1",
                                    "example 3600 NS ns1.example",
                                    "example 3600 NS ns2.example",
                                    "ns1.example 3600 A 10.0.5.1",
                                    "ns2.example 3600 A 10.0.5.2",
                                    "glueless 3600 NS ns.other.",
                                    "loop1 3600 NS ns.loop2",
                                    "loop2 3600 NS ns.loop1",
                                    NULL};

static const char *const z_other[] = {"@ 3600 SOA ns host 1 1800 900 604800 30",
                                      "@ 3600 NS ns",
                                      "ns 3600 A 10.0.2.1",
                                      "www 600 A 192.0.2.20",
                                      "cloop 600 CNAME cloop.example.tld.",
                                      NULL};

static const char *const z_glueless[] = {
    "@ 3600 SOA ns.other. host 1 1800 900 604800 30", "@ 3600 NS ns.other.",
    "host 600 A 192.0.2.30", NULL};

static const char *const z_example[] = {
    "@ 3600 SOA ns1 host 1 1800 900 604800 120",
    "@ 3600 NS ns1",
    "@ 3600 NS ns2",
    "ns1 3600 A 10.0.5.1",
    "ns2 3600 A 10.0.5.2",
    "www 300 A 192.0.2.1",
    "www 300 A 192.0.2.2",
    "alias 300 CNAME www",
    "ext 300 CNAME www.other.",
    "extnx 300 CNAME nothere.other.",
    "cloop 300 CNAME cloop.other.",
    "big 300 TXT _ _ _ _ _ _ _ _",
    "a1 300 A 192.0.2.101",
    "a2 300 A 192.0.2.102",
    "a3 300 A 192.0.2.103",
    "a4 300 A 192.0.2.104",
    "a5 300 A 192.0.2.105",
    "a.b.c 300 A 192.0.2.50",
    "dn 300 DNAME other.",
    NULL};

/* The fake network: one zone set per server address, NULL = no answer. */
struct server {
    const char *ip;
    struct dns_zoneset *zs;
    bool dead;
    unsigned queries;
    bool recursive; /* a forwarder: answers without AA, wants RD */
};
static struct server net[] = {
    {"10.0.0.1", NULL, false, 0, false},
    {"10.0.1.1", NULL, false, 0, false},
    {"10.0.2.1", NULL, false, 0, false},
    {"10.0.3.1", NULL, false, 0, false},
    {"10.0.4.1", NULL, true, 0, false},
    {"10.0.5.1", NULL, false, 0, false},
    {"10.0.5.2", NULL, true, 0, false},
    /* a recursive server knowing every zone (a forward target) */
    {"10.0.9.1", NULL, false, 0, true},
};
#define NET_FWD 7
static uint8_t *blobs[5];

static struct dns_zoneset *zset(const void *const *b, const size_t *l, size_t n)
{
    struct dns_zoneset *zs;
    if (dns_zoneset_build(&zs, b, l, n, NULL, &ta) != 0)
        abort();
    return zs;
}

static void net_setup(void)
{
    size_t len[5];
    const char *origins[5] = {".", "tld.", "other.", "glueless.tld.",
                              "example.tld."};
    const char *const *zones[5] = {z_root, z_tld, z_other, z_glueless,
                                   z_example};

    /* tld. also delegates fan.tld. to 100 glueless NS names that do not
       exist (a name as an amplifier: the work bounds must hold) */
    static char fan[100][64];
    static const char *tld[TB_ARRAY_SIZE(z_tld) + 100];
    size_t k = 0;
    for (; z_tld[k] != NULL; k++)
        tld[k] = z_tld[k];
    for (int i = 0; i < 100; i++) {
        snprintf(fan[i], sizeof(fan[i]), "fan 3600 NS ns%d.nowhere.other.", i);
        tld[k++] = fan[i];
    }
    tld[k] = NULL;
    zones[1] = tld;
    for (int i = 0; i < 5; i++)
        blobs[i] = ta_zone(origins[i], zones[i], &len[i]);
    net[0].zs = zset((const void *[]){blobs[0]}, &len[0], 1);
    net[1].zs = zset((const void *[]){blobs[1]}, &len[1], 1);
    net[2].zs = zset((const void *[]){blobs[2], blobs[3]},
                     (size_t[]){len[2], len[3]}, 2);
    net[3].zs = zset(NULL, NULL, 0); /* lame: REFUSED for everything */
    net[5].zs = zset((const void *[]){blobs[4]}, &len[4], 1);
    net[NET_FWD].zs =
        zset((const void *[]){blobs[0], blobs[1], blobs[2], blobs[3], blobs[4]},
             len, 5);
}

static void net_teardown(void)
{
    for (size_t i = 0; i < TB_ARRAY_SIZE(net); i++)
        dns_zoneset_free(net[i].zs, &ta);
    for (int i = 0; i < 5; i++)
        free(blobs[i]);
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

/* Deterministic "randomness" (the driver's job in real life). */
static uint32_t rng_state = 12345;
static uint32_t rng(void *ctx)
{
    (void)ctx;
    rng_state = rng_state * 1103515245u + 12345u;
    return rng_state >> 8;
}

static struct dns_cache *cache;
static struct dns_res *res;
static uint64_t now = 1000 * SEC;

/* Test hooks for the driver loop. */
static unsigned drop_next; /* lose this many packets (requests) */
static unsigned sends; /* queries sent by the last resolution */
static bool forge_spoofs; /* race forged replies before each real one */
static unsigned spoof_accepted;
static size_t (*forge_reply)(const struct dns_res_send *s, uint8_t *out);
static bool qlog_on; /* log the questions servers are asked */
static char qlog[4096];

static bool no_qmin;

static const struct dns_acl *allow; /* conf.allow of the next res_setup */
static size_t nallow;
static const struct dns_res_fwd *fwd; /* conf.fwd of the next res_setup */
static struct dns_rrl *ratelimit; /* conf.ratelimit of the next res_setup */
static size_t nfwd;

static const struct dns_zoneset *local; /* conf.local of the next res_setup */
static uint32_t serve_stale; /* conf.serve_stale_s of the next res_setup */
static bool prefetch; /* conf.prefetch of the next res_setup */
static bool use_0x20; /* conf.use_0x20 of the next res_setup */
static bool prime; /* conf.prime of the next res_setup */

static void res_setup(size_t cache_mem)
{
    struct dns_cache_conf cc = {.mem_bytes = cache_mem};
    struct dns_res_conf rc = {.random = rng,
                              .no_qmin = no_qmin,
                              .allow = allow,
                              .nallow = nallow,
                              .fwd = fwd,
                              .nfwd = nfwd,
                              .ratelimit = ratelimit,
                              .local = local,
                              .serve_stale_s = serve_stale,
                              .prefetch = prefetch,
                              .use_0x20 = use_0x20,
                              .prime = prime};
    struct dns_res_hints h;
    static const char hints[] = ". 3600000 NS a.root.\n"
                                "a.root. 3600000 A 10.0.0.1\n";

    if (dns_cache_init(&cache, &cc, &ta) != 0 ||
        dns_res_hints_parse(&h, hints, sizeof(hints) - 1, "hints", &ta, NULL) !=
            0 ||
        dns_res_init(&res, &rc, &h, cache, &ta) != 0)
        abort();
    for (size_t i = 0; i < TB_ARRAY_SIZE(net); i++)
        net[i].queries = 0;
}

static void res_teardown(void)
{
    dns_res_free(res);
    dns_cache_free(cache);
    res = NULL;
    cache = NULL;
}

/* Races forged replies against the real one; each MUST be rejected. */
static void spoof(struct dns_res_task *t, const struct dns_res_send *s,
                  const uint8_t *real, size_t len)
{
    uint8_t f[4096];
    struct tb_addr a = s->server;

    memcpy(f, real, len);
    f[0] ^= 0x5a; /* wrong ID */
    if (dns_res_task_input(t, &s->server, s->transport, f, len, now) == 0)
        spoof_accepted++;
    memcpy(f, real, len);
    a.port = 5353; /* wrong port */
    if (dns_res_task_input(t, &a, s->transport, f, len, now) == 0)
        spoof_accepted++;
    a = s->server;
    a.ip[3] ^= 1; /* wrong address */
    if (dns_res_task_input(t, &a, s->transport, f, len, now) == 0)
        spoof_accepted++;
    if (dns_res_task_input(t, &s->server, !s->transport, f, len, now) == 0)
        spoof_accepted++;
    f[2] &= 0x7f; /* QR clear: a query, not a reply */
    if (dns_res_task_input(t, &s->server, s->transport, f, len, now) == 0)
        spoof_accepted++;
    memcpy(f, real, len);
    f[13] ^= 0x01; /* the question's first letter changed */
    if (dns_res_task_input(t, &s->server, s->transport, f, len, now) == 0)
        spoof_accepted++;
    if (dns_res_task_input(t, &s->server, s->transport, f, len / 2, now) ==
        0) /* cut short: malformed */
        spoof_accepted++;
}

/*
 * Resolves (name, type) as a client over (tcp) and prints the response
 * into (out) (ta_print).  Returns DNS_RES_ANSWERED if answered at once,
 * DNS_RES_STARTED if a task ran (its sends counted in (sends)).
 */
static int resolve(const char *name, uint16_t type, bool tcp, char *out,
                   size_t cap)
{
    uint8_t q[512], resp[65535], reply[65535];
    size_t qlen = ta_query(q, name, type, DNS_CLASS_IN, 1232, false), n = 0;
    struct dns_res_task *t;
    struct dns_res_send s;
    const uint8_t *msg;
    int rc;

    sends = 0;
    rc =
        dns_res_query(res, q, qlen, NULL, tcp, now, resp, sizeof(resp), &n, &t);
    if (rc == DNS_RES_ANSWERED) {
        ta_print(resp, n, out, cap);
        return rc;
    }
    if (rc != DNS_RES_STARTED)
        abort();
    for (unsigned guard = 0;; guard++) {
        if (guard > 1000)
            abort(); /* the core failed to bound its work */
        if (dns_res_task_next(t, now, &s) == DNS_RES_DONE)
            break;
        sends++;
        struct server *sv = net_find(&s.server);
        if (sv == NULL || sv->dead || drop_next > 0) {
            if (drop_next > 0)
                drop_next--;
            now = s.deadline;
            dns_res_task_timeout(t, now);
            continue;
        }
        sv->queries++;
        if (qlog_on) { /* "server name TYPE;" for every query answered */
            struct dns_msg m;
            struct dns_rr_iter it;
            struct dns_rr qq;
            char nm[DNS_NAME_TEXT_MAX];
            size_t o = strlen(qlog);
            if (dns_msg_parse(&m, s.msg, s.len) != 0)
                abort();
            dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
            dns_rr_next(&it, &qq);
            dns_name_to_text(qq.owner, nm, sizeof(nm));
            snprintf(qlog + o, sizeof(qlog) - o, "%s %s %u;", sv->ip, nm,
                     qq.type);
        }
        now += 2 * MS;
        size_t rl = forge_reply ? forge_reply(&s, reply) : 0;
        if (rl == 0)
            rl = dns_auth_answer(sv->zs, s.msg, s.len, reply,
                                 s.transport == DNS_RES_TCP ? 65535 : 65535,
                                 s.transport == DNS_RES_TCP ? DNS_AUTH_TCP : 0,
                                 &(struct dns_auth_stats){0});
        if (sv->recursive) { /* asked with RD; answers as a resolver */
            CHECK(s.msg[2] & 0x01);
            reply[2] &= (uint8_t)~0x04; /* AA */
            reply[3] |= 0x80; /* RA */
        } else {
            CHECK(!(s.msg[2] & 0x01)); /* iterative: RD clear */
        }
        if (forge_spoofs)
            spoof(t, &s, reply, rl);
        if (dns_res_task_input(t, &s.server, s.transport, reply, rl, now) != 0)
            abort();
    }
    n = dns_res_task_response(t, &msg);
    ta_print(msg, n, out, cap);
    dns_res_task_free(t);
    return rc;
}

#define EXPECT(name, type, want)                                               \
    do {                                                                       \
        static char got_[8192];                                                \
        resolve(name, type, false, got_, sizeof(got_));                        \
        if (strcmp(got_, want) != 0)                                           \
            fprintf(stderr, "%s %s:\n got: %s want: %s", check_current, name,  \
                    got_, want);                                               \
        CHECK(strcmp(got_, want) == 0);                                        \
    } while (0)

static void test_iterate(void)
{
    char out[8192];
    struct dns_res_stats st;

    res_setup(1 << 20);
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    /* root, tld, then example.tld (ns2 is dead: maybe one timeout) */
    CHECK(sends >= 3 && sends <= 4);
    /* the same again: the cache, no query */
    now += 10 * SEC;
    CHECK_EQ(resolve("www.example.tld.", DNS_TYPE_A, false, out, sizeof(out)),
             DNS_RES_ANSWERED);
    CHECK(strcmp(out, "NOERROR qd=1 an=2 ns=0 ar=1\n"
                      "AN www.example.tld. 290 A 192.0.2.1\n"
                      "AN www.example.tld. 290 A 192.0.2.2\n"
                      "OPT size=1232 ext=0 flags=0000\n") == 0);
    /* an in-zone CNAME, answered by the example.tld server at once */
    EXPECT("alias.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=3 ns=0 ar=1\n"
           "AN alias.example.tld. 300 CNAME www.example.tld.\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(sends, 1); /* the cut example.tld came from the cache */
    /* NXDOMAIN and NODATA with the SOA, then from the negative cache */
    EXPECT("nx.example.tld.", DNS_TYPE_A,
           "NXDOMAIN qd=1 an=0 ns=1 ar=1\n"
           "NS example.tld. 120 SOA ns1.example.tld. host.example.tld. 1 "
           "1800 900 604800 120\n"
           "OPT size=1232 ext=0 flags=0000\n");
    EXPECT("www.example.tld.", DNS_TYPE_AAAA,
           "NOERROR qd=1 an=0 ns=1 ar=1\n"
           "NS example.tld. 120 SOA ns1.example.tld. host.example.tld. 1 "
           "1800 900 604800 120\n"
           "OPT size=1232 ext=0 flags=0000\n");
    now += 60 * SEC;
    CHECK_EQ(resolve("nx.example.tld.", DNS_TYPE_MX, false, out, sizeof(out)),
             DNS_RES_ANSWERED);
    CHECK(strstr(out, "NXDOMAIN") == out && strstr(out, " 60 SOA") != NULL);
    CHECK_EQ(
        resolve("www.example.tld.", DNS_TYPE_AAAA, false, out, sizeof(out)),
        DNS_RES_ANSWERED);
    now += 61 * SEC; /* the negative TTL (120) has run out */
    CHECK_EQ(resolve("nx.example.tld.", DNS_TYPE_MX, false, out, sizeof(out)),
             DNS_RES_STARTED);
    CHECK(strstr(out, "NXDOMAIN") == out);
    dns_res_stats(res, &st);
    CHECK_EQ(st.cache_hits, 3);
    CHECK_EQ(st.rejected, 0);
    res_teardown();
}

static void test_cross_zone(void)
{
    res_setup(1 << 20);
    /* CNAME into another zone: the target resolved from the root down */
    EXPECT("ext.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN ext.example.tld. 300 CNAME www.other.\n"
           "AN www.other. 600 A 192.0.2.20\n"
           "OPT size=1232 ext=0 flags=0000\n");
    /* CNAME to a name that does not exist in the other zone */
    EXPECT("extnx.example.tld.", DNS_TYPE_A,
           "NXDOMAIN qd=1 an=1 ns=1 ar=1\n"
           "AN extnx.example.tld. 300 CNAME nothere.other.\n"
           "NS other. 30 SOA ns.other. host.other. 1 1800 900 604800 30\n"
           "OPT size=1232 ext=0 flags=0000\n");
    /* ... and now from the cache, chain and all */
    EXPECT("extnx.example.tld.", DNS_TYPE_A,
           "NXDOMAIN qd=1 an=1 ns=1 ar=1\n"
           "AN extnx.example.tld. 300 CNAME nothere.other.\n"
           "NS other. 30 SOA ns.other. host.other. 1 1800 900 604800 30\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(sends, 0);
    /* DNAME (RFC 6672): the synthesized CNAME is followed (the DNAME
       record itself is not passed on yet) */
    EXPECT("www.dn.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.dn.example.tld. 300 CNAME www.other.\n"
           "AN www.other. 600 A 192.0.2.20\n"
           "OPT size=1232 ext=0 flags=0000\n");
    /* glueless delegation: ns.other. is looked up first */
    EXPECT("host.glueless.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN host.glueless.tld. 600 A 192.0.2.30\n"
           "OPT size=1232 ext=0 flags=0000\n");
    res_teardown();

    /* glueless from scratch: root, tld (referral without glue), then
       ns.other. from the root down, then glueless.tld's server */
    res_setup(1 << 20);
    EXPECT("host.glueless.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN host.glueless.tld. 600 A 192.0.2.30\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(sends, 5);
    res_teardown();
}

static void test_failures(void)
{
    char out[8192];
    struct dns_res_stats st;

    res_setup(1 << 20);
    /* a lame server (REFUSED) and an unresponsive one: SERVFAIL */
    EXPECT("www.lame.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    uint64_t t0 = now;
    EXPECT("www.dead.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    /* root, then ns.dead twice (max_tries), each waited for */
    CHECK_EQ(sends, 3);
    CHECK(now - t0 >= 200 * MS && now - t0 <= 5 * SEC);
    dns_res_stats(res, &st);
    CHECK_EQ(st.lame, 1);
    CHECK_EQ(st.timeouts, 2);
    /* CNAME loop across zones: bounded, SERVFAIL */
    EXPECT("cloop.example.tld.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(sends <= 48);
    /* two glueless zones whose servers are in each other: bounded */
    EXPECT("x.loop1.tld.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(sends <= 48);
    dns_res_stats(res, &st);
    CHECK(st.limit >= 1);
    /* 100 NS names, none of them resolvable: bounded, SERVFAIL */
    EXPECT("www.fan.tld.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(sends <= 48);
    /* the resolver still answers others */
    CHECK_EQ(resolve("www.other.", DNS_TYPE_A, false, out, sizeof(out)),
             DNS_RES_STARTED);
    CHECK(strstr(out, "192.0.2.20") != NULL);
    res_teardown();
}

/* A server that timed out 3 times in a row is held down: a dead zone
   then answers SERVFAIL at once, with one probe every 5 s. */
static void test_holddown(void)
{
    struct dns_res_stats st;
    uint64_t t0;

    res_setup(1 << 20);
    EXPECT("a.dead.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(sends, 3); /* the root, then ns.dead. twice */
    EXPECT("b.dead.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(sends, 1); /* the third timeout holds it down */
    t0 = now;
    EXPECT("c.dead.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(sends, 0);
    CHECK_EQ(now, t0); /* no waiting */
    now += 6 * SEC; /* a probe is due */
    EXPECT("d.dead.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(sends, 1);
    EXPECT("e.dead.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(sends, 0);
    dns_res_stats(res, &st);
    CHECK_EQ(st.held_down, 1);
    /* other zones are not affected */
    EXPECT("www.other.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN www.other. 600 A 192.0.2.20\n"
           "OPT size=1232 ext=0 flags=0000\n");
    res_teardown();
}

static void test_loss_and_rtt(void)
{
    char out[8192];
    struct dns_res_stats st;
    uint64_t to;

    res_setup(1 << 20);
    /* the first packet is lost: the root is asked again */
    drop_next = 1;
    EXPECT("a1.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN a1.example.tld. 300 A 192.0.2.101\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(drop_next, 0);
    /* ns2.example.tld (dead) has been tried at most once; its RTT now
       keeps it behind ns1, so later names under example.tld never wait */
    dns_res_stats(res, &st);
    to = st.timeouts;
    CHECK(to >= 1 && to <= 2); /* the lost packet; ns2 at most once */
    const char *names[] = {"a2.example.tld.", "a3.example.tld.",
                           "a4.example.tld.", "a5.example.tld."};
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(resolve(names[i], DNS_TYPE_A, false, out, sizeof(out)),
                 DNS_RES_STARTED);
        CHECK(strstr(out, "NOERROR") == out);
    }
    dns_res_stats(res, &st);
    CHECK_EQ(st.timeouts, to); /* ns1 answers fast: ns2 is never chosen */
    uint64_t before = st.timeouts;
    for (int i = 0; i < 4; i++)
        resolve(names[i], DNS_TYPE_MX, false, out, sizeof(out));
    dns_res_stats(res, &st);
    CHECK_EQ(st.timeouts, before);
    res_teardown();
}

static void test_tc_tcp(void)
{
    char out[16384];
    struct dns_res_stats st;

    res_setup(1 << 20);
    /* 1.6 KB of TXT (one RR): TC over UDP, asked again over TCP; the client
       over TCP gets all of it, a UDP client (EDNS 1232) a TC from the cache */
    CHECK_EQ(resolve("big.example.tld.", DNS_TYPE_TXT, true, out, sizeof(out)),
             DNS_RES_STARTED);
    CHECK(strncmp(out, "NOERROR qd=1 an=1 ns=0 ar=1\n", 28) == 0);
    CHECK(strlen(out) > 8 * 200);
    dns_res_stats(res, &st);
    CHECK_EQ(st.sent_tcp, 1);
    CHECK_EQ(resolve("big.example.tld.", DNS_TYPE_TXT, false, out, sizeof(out)),
             DNS_RES_ANSWERED);
    CHECK(strcmp(out, "NOERROR tc qd=1 an=0 ns=0 ar=1\n"
                      "OPT size=1232 ext=0 flags=0000\n") == 0);
    res_teardown();
}

/* Forged replies: out-of-bailiwick data from the example.tld server
   (answer for another name, NS for other., glue for ns.other.) and a
   tld referral with out-of-bailiwick glue. */
static size_t forge(const struct dns_res_send *s, uint8_t *out)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr q;
    struct dns_writer w;
    uint8_t n1[256], n2[256], n3[256];
    const uint8_t evil[4] = {6, 6, 6, 6}, good[4] = {192, 0, 2, 1};
    char qn[DNS_NAME_TEXT_MAX];

    if (dns_msg_parse(&m, s->msg, s->len) != 0)
        abort();
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    dns_rr_next(&it, &q);
    dns_name_to_text(q.owner, qn, sizeof(qn));
    dns_writer_init(&w, out, 4096, m.id, DNS_FLAG_QR | DNS_FLAG_AA);
    dns_writer_question(&w, q.owner, q.type, q.rclass);
    if (strcmp(qn, "www.example.tld.") == 0 && s->server.ip[2] == 5) {
        dns_writer_rr(&w, q.owner, DNS_TYPE_A, DNS_CLASS_IN, 300, good, 4);
        ta_name("victim.other.", NULL, n1);
        dns_writer_rr(&w, n1, DNS_TYPE_A, DNS_CLASS_IN, 300, evil, 4);
        dns_writer_section(&w, DNS_SEC_AUTHORITY);
        ta_name("other.", NULL, n2);
        ta_name("ns.evil.", NULL, n3);
        dns_writer_rr(&w, n2, DNS_TYPE_NS, DNS_CLASS_IN, 300, n3,
                      (uint16_t)dns_name_len(n3));
        dns_writer_section(&w, DNS_SEC_ADDITIONAL);
        ta_name("ns.other.", NULL, n1);
        dns_writer_rr(&w, n1, DNS_TYPE_A, DNS_CLASS_IN, 300, evil, 4);
        return dns_writer_finish(&w);
    }
    if ((strcmp(qn, "www.glueless.tld.") == 0 ||
         strcmp(qn, "glueless.tld.") == 0) && /* minimised or not */
        s->server.ip[2] == 1) {
        /* a referral whose glue for ns.other. is outside tld. */
        dns_writer_set_flags(&w, DNS_FLAG_QR);
        dns_writer_section(&w, DNS_SEC_AUTHORITY);
        ta_name("glueless.tld.", NULL, n2);
        ta_name("ns.other.", NULL, n3);
        dns_writer_rr(&w, n2, DNS_TYPE_NS, DNS_CLASS_IN, 300, n3,
                      (uint16_t)dns_name_len(n3));
        dns_writer_section(&w, DNS_SEC_ADDITIONAL);
        dns_writer_rr(&w, n3, DNS_TYPE_A, DNS_CLASS_IN, 300, evil, 4);
        return dns_writer_finish(&w);
    }
    return 0;
}

static void test_spoofing(void)
{
    char out[8192];
    struct dns_res_stats st;
    struct dns_cache_view v;
    uint8_t n[256];

    res_setup(1 << 20);
    forge_spoofs = true;
    forge_reply = forge;
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(spoof_accepted, 0);
    ta_name("victim.other.", NULL, n);
    CHECK(!dns_cache_get(cache, n, DNS_TYPE_A, now, 0, &v));
    ta_name("ns.other.", NULL, n);
    CHECK(!dns_cache_get(cache, n, DNS_TYPE_A, now, 0, &v));
    ta_name("other.", NULL, n);
    CHECK(!dns_cache_get(cache, n, DNS_TYPE_NS, now, 0, &v));
    /* the referral's foreign glue is dropped: ns.other. is looked up */
    EXPECT("www.glueless.tld.", DNS_TYPE_A,
           "NXDOMAIN qd=1 an=0 ns=1 ar=1\n"
           "NS glueless.tld. 30 SOA ns.other. host.glueless.tld. 1 1800 900 "
           "604800 30\n"
           "OPT size=1232 ext=0 flags=0000\n");
    ta_name("ns.other.", NULL, n);
    CHECK(dns_cache_get(cache, n, DNS_TYPE_A, now, 0, &v));
    CHECK(v.nrr == 1 && memcmp(v.data + 2, "\x0a\x00\x02\x01", 4) == 0);
    CHECK_EQ(spoof_accepted, 0);
    dns_res_stats(res, &st);
    CHECK(st.rejected >= 7 * sends);
    CHECK(st.out_of_bailiwick >= 2);
    forge_spoofs = false;
    forge_reply = NULL;
    (void)out;
    res_teardown();
}

/* A server of example.tld. that answers FORMERR to EDNS (RFC 6891 7)
   and repeats records. */
static unsigned formerrs;
static size_t old_server(const struct dns_res_send *s, uint8_t *out)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr q;
    struct dns_writer w;
    const uint8_t a[4] = {192, 0, 2, 77};

    if (s->server.ip[2] != 5 || dns_msg_parse(&m, s->msg, s->len) != 0)
        return 0;
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    dns_rr_next(&it, &q);
    dns_writer_init(&w, out, 512, m.id, DNS_FLAG_QR | DNS_FLAG_AA);
    dns_writer_question(&w, q.owner, q.type, q.rclass);
    if (m.opt_off != 0) {
        formerrs++;
        dns_writer_set_flags(&w, DNS_FLAG_QR | DNS_RCODE_FORMERR);
        return dns_writer_finish(&w);
    }
    for (int i = 0; i < 3; i++) /* the same record three times */
        dns_writer_rr(&w, q.owner, DNS_TYPE_A, DNS_CLASS_IN, 300, a, 4);
    return dns_writer_finish(&w);
}

static void test_edns_fallback(void)
{
    res_setup(1 << 20);
    forge_reply = old_server;
    EXPECT("old.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN old.example.tld. 300 A 192.0.2.77\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_EQ(formerrs, 1); /* then asked without EDNS */
    forge_reply = NULL;
    res_teardown();
}

/* QNAME minimisation (RFC 9156): each server sees one label more than
   the zone it serves, type A, until the whole question; empty
   non-terminals go one label further; NXDOMAIN for a minimised name
   falls back to the whole name; off, servers see the whole question. */
static void test_qmin(void)
{
    res_setup(1 << 20);
    qlog_on = true;
    qlog[0] = 0;
    EXPECT("www.example.tld.", DNS_TYPE_MX,
           "NOERROR qd=1 an=0 ns=1 ar=1\n"
           "NS example.tld. 120 SOA ns1.example.tld. host.example.tld. 1 "
           "1800 900 604800 120\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(strcmp(qlog, "10.0.0.1 tld. 1;10.0.1.1 example.tld. 1;"
                       "10.0.5.1 www.example.tld. 15;") == 0);
    qlog[0] = 0;
    EXPECT("a.b.c.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN a.b.c.example.tld. 300 A 192.0.2.50\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(strcmp(qlog, "10.0.5.1 c.example.tld. 1;"
                       "10.0.5.1 b.c.example.tld. 1;"
                       "10.0.5.1 a.b.c.example.tld. 1;") == 0);
    qlog[0] = 0;
    EXPECT("x.y.nx.example.tld.", DNS_TYPE_TXT,
           "NXDOMAIN qd=1 an=0 ns=1 ar=1\n"
           "NS example.tld. 120 SOA ns1.example.tld. host.example.tld. 1 "
           "1800 900 604800 120\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(strcmp(qlog, "10.0.5.1 nx.example.tld. 1;"
                       "10.0.5.1 x.y.nx.example.tld. 16;") == 0);
    res_teardown();

    no_qmin = true;
    res_setup(1 << 20);
    qlog[0] = 0;
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(strcmp(qlog, "10.0.0.1 www.example.tld. 1;"
                       "10.0.1.1 www.example.tld. 1;"
                       "10.0.5.1 www.example.tld. 1;") == 0);
    if (strcmp(qlog, "10.0.0.1 www.example.tld. 1;"
                     "10.0.1.1 www.example.tld. 1;"
                     "10.0.5.1 www.example.tld. 1;") != 0)
        fprintf(stderr, "qlog: %s\n", qlog);
    res_teardown();
    no_qmin = false;
    qlog_on = false;
}

static void test_hints(void)
{
    struct dns_res_hints h;
    static const char bad[] = ". 3600 NS a.root.\n";
    static const char broken[] = ". 3600 NS\n";

    CHECK_EQ(dns_res_hints_parse(&h, NULL, 0, NULL, &ta, NULL), 0);
    CHECK_EQ(h.nns, 13);
    CHECK_EQ(h.naddr, 26);
    CHECK(h.addr[0].addr.af == TB_AF_INET &&
          memcmp(h.addr[0].addr.ip, "\xc6\x29\x00\x04", 4) == 0 &&
          h.addr[0].addr.port == 53);
    CHECK(h.addr[1].addr.af == TB_AF_INET6);
    CHECK(dns_name_equal(h.ns[12], (const uint8_t *)"\001m\014root-servers"
                                                    "\003net"));
    CHECK_EQ(dns_res_hints_parse(&h, bad, sizeof(bad) - 1, "b", &ta, NULL),
             TB_ESEMANTIC);
    CHECK_EQ(
        dns_res_hints_parse(&h, broken, sizeof(broken) - 1, "b", &ta, NULL),
        TB_EMALF);
}

/* Runs task (t) to DONE over the fake network (no losses, no forgeries). */
static void run_task(struct dns_res_task *t)
{
    struct dns_res_send s;
    uint8_t reply[65535];

    for (unsigned guard = 0; dns_res_task_next(t, now, &s) == DNS_RES_SEND;
         guard++) {
        struct server *sv = net_find(&s.server);
        if (guard > 1000)
            abort();
        if (sv == NULL || sv->dead) {
            now = s.deadline;
            dns_res_task_timeout(t, now);
            continue;
        }
        now += 2 * MS;
        size_t rl =
            dns_auth_answer(sv->zs, s.msg, s.len, reply, 65535,
                            s.transport == DNS_RES_TCP ? DNS_AUTH_TCP : 0,
                            &(struct dns_auth_stats){0});
        if (dns_res_task_input(t, &s.server, s.transport, reply, rl, now) != 0)
            abort();
    }
}

/* Feeds (len) bytes through rspace/received, (step) at a time; returns
 * how many were taken. */
static size_t conn_feed(struct dns_res_conn *c, const uint8_t *p, size_t len,
                        size_t step)
{
    size_t done = 0;

    while (done < len) {
        uint8_t *dst;
        size_t room = dns_res_conn_rspace(c, &dst);
        if (room == 0)
            break;
        size_t n = TB_MIN(TB_MIN(len - done, step), room);
        memcpy(dst, p + done, n);
        dns_res_conn_received(c, n, now);
        done += n;
    }
    return done;
}

/* RFC 7766 sessions: framing fed a byte at a time, pipelining with
   answers as they are ready (the cached one first), at most 4 queries
   resolved at once per connection (back-pressure), TC-free large answers,
   a bad length prefix, EOF with answers owed, the idle rule. */
static void test_conn(void)
{
    static uint8_t rbuf[DNS_RES_CONN_RBUF], wbuf[DNS_RES_CONN_WBUF];
    static uint8_t in[16384];
    struct dns_res_conn c;
    struct dns_res_task *t, *tasks[8];
    const uint8_t *out;
    size_t n = 0, len, fed;
    unsigned nt = 0, ids[16], nids = 0, max_nt = 0;
    const char *names[] = {"a1.example.tld.", "a2.example.tld.",
                           "a3.example.tld.", "a4.example.tld.",
                           "a5.example.tld.", "big.example.tld."};

    res_setup(1 << 20);
    /* prime the cut and one answer */
    char txt[8192];
    resolve("www.example.tld.", DNS_TYPE_A, false, txt, sizeof(txt));
    dns_res_conn_open(&c, res, NULL, rbuf, wbuf, now);
    /* seven pipelined queries: six to resolve, one from the cache */
    for (unsigned i = 0; i < 7; i++) {
        size_t ql = ta_query(in + n + 2, i < 6 ? names[i] : "www.example.tld.",
                             i == 5 ? DNS_TYPE_TXT : DNS_TYPE_A, DNS_CLASS_IN,
                             -1, false);
        tb_put16(in + n + 2, (uint16_t)(0x100 + i)); /* ID */
        tb_put16(in + n, (uint16_t)ql);
        n += 2 + ql;
    }
    fed = 0;
    int rc;
    for (unsigned round = 0; round < 100 && fed < n; round++) {
        fed += conn_feed(&c, in + fed, n - fed, 1);
        while ((rc = dns_res_conn_next(&c, now, &t)) != 0)
            if (rc == 2)
                tasks[nt++] = t;
        size_t more = conn_feed(&c, in + fed, n - fed, 1);
        fed += more;
        if (more == 0 && nt > 0) {
            /* blocked: at most 4 resolving at once */
            CHECK(nt <= DNS_RES_CONN_PENDING);
            max_nt = TB_MAX(max_nt, nt);
            run_task(tasks[--nt]);
            dns_res_conn_answer(&c, tasks[nt], now);
        }
    }
    CHECK_EQ(fed, n);
    CHECK_EQ(max_nt, DNS_RES_CONN_PENDING); /* the limit was reached */
    while (nt > 0) {
        run_task(tasks[--nt]);
        dns_res_conn_answer(&c, tasks[nt], now);
    }
    while ((rc = dns_res_conn_next(&c, now, &t)) != 0)
        if (rc == 2) {
            run_task(t);
            dns_res_conn_answer(&c, t, now);
        }
    /* every answer once, framed, with its query's ID; the TXT whole */
    len = dns_res_conn_output(&c, &out);
    bool big = false;
    for (size_t o = 0; o + 2 <= len;) {
        size_t m = tb_get16(out + o);
        struct dns_msg pm;
        REQUIRE(o + 2 + m <= len && dns_msg_parse(&pm, out + o + 2, m) == 0);
        CHECK(!(pm.flags & DNS_FLAG_TC));
        CHECK_EQ(DNS_RCODE(pm.flags), DNS_RCODE_NOERROR);
        if (nids < 16)
            ids[nids++] = pm.id;
        big |= pm.id == 0x105 && m > 1600;
        o += 2 + m;
    }
    CHECK_EQ(nids, 7);
    for (unsigned i = 0; i < 7; i++) {
        unsigned seen = 0;
        for (unsigned k = 0; k < nids; k++)
            seen += ids[k] == 0x100 + i;
        CHECK_EQ(seen, 1);
    }
    CHECK(big);
    dns_res_conn_sent(&c, len - 10, now);
    CHECK(!dns_res_conn_done(&c, now + 100 * SEC, 10 * SEC)); /* unsent */
    dns_res_conn_sent(&c, 10, now);
    CHECK(!dns_res_conn_done(&c, now + 9 * SEC, 10 * SEC));
    CHECK(dns_res_conn_done(&c, now + 10 * SEC, 10 * SEC)); /* idle */
    /* EOF with a query owed: done only once it is answered and sent */
    n = ta_query(in + 2, "a1.other.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    tb_put16(in, (uint16_t)n);
    CHECK_EQ(conn_feed(&c, in, n + 2, 7), n + 2);
    CHECK_EQ(dns_res_conn_next(&c, now, &t), 2);
    dns_res_conn_received(&c, 0, now); /* EOF */
    uint8_t *dst;
    CHECK_EQ(dns_res_conn_rspace(&c, &dst), 0);
    CHECK(!dns_res_conn_done(&c, now, 10 * SEC));
    run_task(t);
    dns_res_conn_answer(&c, t, now);
    CHECK(!dns_res_conn_done(&c, now, 10 * SEC));
    len = dns_res_conn_output(&c, &out);
    CHECK(len > 12);
    dns_res_conn_sent(&c, len, now);
    CHECK(dns_res_conn_done(&c, now, 10 * SEC));
    /* a length prefix below a header closes the session */
    dns_res_conn_open(&c, res, NULL, rbuf, wbuf, now);
    CHECK_EQ(conn_feed(&c, (const uint8_t *)"\x00\x05hello", 7, 7), 7);
    CHECK_EQ(dns_res_conn_next(&c, now, &t), 0);
    CHECK(dns_res_conn_done(&c, now, 0));
    res_teardown();
}

/* ---- the cache alone -------------------------------------------------- */

static void test_cache_basic(void)
{
    struct dns_cache *c;
    struct dns_cache_conf cc = {.mem_bytes = 65536, .ttl_max = 1000};
    struct dns_cache_view v;
    struct dns_cache_stats st;
    uint8_t n[256], rd[6] = {0, 4, 192, 0, 2, 9};

    REQUIRE(dns_cache_init(&c, &cc, &ta) == 0);
    ta_name("Www.Example.", NULL, n);
    CHECK_EQ(dns_cache_put(c, n, DNS_TYPE_A, DNS_CACHE_RRSET, DNS_RANK_GLUE,
                           5000, 1, rd, 6, now),
             0);
    /* case-insensitive, TTL capped at ttl_max */
    ta_name("www.EXAMPLE.", NULL, n);
    CHECK(dns_cache_get(c, n, DNS_TYPE_A, now, DNS_RANK_GLUE, &v));
    CHECK_EQ(v.ttl, 1000);
    CHECK(v.nrr == 1 && v.len == 6 && memcmp(v.data, rd, 6) == 0);
    /* glue is not an answer */
    CHECK(!dns_cache_get(c, n, DNS_TYPE_A, now, DNS_RANK_ANSWER, &v));
    /* an answer replaces glue; glue does not replace an answer */
    rd[5] = 10;
    dns_cache_put(c, n, DNS_TYPE_A, DNS_CACHE_RRSET, DNS_RANK_ANSWER, 100, 1,
                  rd, 6, now);
    rd[5] = 11;
    dns_cache_put(c, n, DNS_TYPE_A, DNS_CACHE_RRSET, DNS_RANK_GLUE, 100, 1, rd,
                  6, now);
    CHECK(dns_cache_get(c, n, DNS_TYPE_A, now, DNS_RANK_ANSWER, &v));
    CHECK_EQ(v.data[5], 10);
    /* it expires */
    CHECK(!dns_cache_get(c, n, DNS_TYPE_A, now + 100 * SEC, 0, &v));
    CHECK(dns_cache_get(c, n, DNS_TYPE_A, now + 99 * SEC, 0, &v));
    CHECK_EQ(v.ttl, 1);
    /* TTL 0 is not stored */
    ta_name("zero.", NULL, n);
    dns_cache_put(c, n, DNS_TYPE_A, DNS_CACHE_RRSET, DNS_RANK_ANSWER, 0, 1, rd,
                  6, now);
    CHECK(!dns_cache_get(c, n, DNS_TYPE_A, now, 0, &v));
    /* too large for the cache */
    static uint8_t big[40000];
    CHECK_EQ(dns_cache_put(c, n, DNS_TYPE_TXT, DNS_CACHE_RRSET, DNS_RANK_ANSWER,
                           10, 1, big, sizeof(big), now),
             TB_ENOSPC);
    dns_cache_stats(c, &st);
    CHECK_EQ(st.entries, 1);
    CHECK_EQ(st.refused_rank, 1);
    dns_cache_free(c);
    CHECK_EQ(
        dns_cache_init(&c, &(struct dns_cache_conf){.mem_bytes = 1000}, &ta),
        TB_EINVAL);
}

/* Counting allocator: the cache takes exactly mem_bytes, once. */
static size_t counted, counted_calls;
static void *cnt_alloc(void *ctx, size_t n)
{
    (void)ctx;
    counted += n;
    counted_calls++;
    return malloc(n);
}
static void cnt_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    counted -= n;
    free(p);
}

static void test_cache_bound(void)
{
    const struct tb_alloc ca = {cnt_alloc, NULL, cnt_free, NULL};
    struct dns_cache *c;
    struct dns_cache_conf cc = {.mem_bytes = 100000};
    struct dns_cache_view v;
    struct dns_cache_stats st;
    uint8_t n[256], rd[2 + 300];
    char txt[64];
    unsigned found = 0;

    REQUIRE(dns_cache_init(&c, &cc, &ca) == 0);
    CHECK_EQ(counted, 100000);
    memset(rd, 0x41, sizeof(rd));
    /* 20,000 entries of varying size through a 100 KB cache; every tenth
       is read back at once (second chance) */
    for (unsigned i = 0; i < 20000; i++) {
        size_t l = 1 + (i * 37) % 300;
        tb_put16(rd, (uint16_t)l);
        snprintf(txt, sizeof(txt), "n%u.churn.test.", i);
        ta_name(txt, NULL, n);
        CHECK_EQ(dns_cache_put(c, n, DNS_TYPE_TXT, DNS_CACHE_RRSET,
                               DNS_RANK_ANSWER, 3600, 1, rd, 2 + l, now),
                 0);
        if (i % 10 == 0)
            dns_cache_get(c, n, DNS_TYPE_TXT, now, 0, &v);
        dns_cache_stats(c, &st);
        if (st.bytes > 100000)
            break;
    }
    dns_cache_stats(c, &st);
    CHECK(st.bytes <= 100000);
    CHECK(st.evicted > 15000);
    CHECK_EQ(counted, 100000);
    CHECK_EQ(counted_calls, 1);
    /* the newest entries are there, with the right contents */
    for (unsigned i = 19900; i < 20000; i++) {
        snprintf(txt, sizeof(txt), "N%u.churn.test.", i);
        ta_name(txt, NULL, n);
        if (dns_cache_get(c, n, DNS_TYPE_TXT, now, 0, &v)) {
            found++;
            CHECK_EQ(tb_get16(v.data), 1 + (i * 37) % 300);
        }
    }
    CHECK_EQ(found, 100);
    CHECK_EQ(st.entries,
             st.inserts - st.evicted - st.expired_evicted - st.replaced);
    dns_cache_free(c);
    CHECK_EQ(counted, 0);
}

static void test_query_errors(void)
{
    uint8_t q[512], out[512];
    size_t n, ql;
    struct dns_res_task *t;

    res_setup(1 << 20);
    ql = ta_query(q, "x.", DNS_TYPE_ANY, DNS_CLASS_IN, -1, false);
    CHECK_EQ(
        dns_res_query(res, q, ql, NULL, false, now, out, sizeof(out), &n, &t),
        DNS_RES_ANSWERED);
    CHECK_EQ(DNS_RCODE(tb_get16(out + 2)), DNS_RCODE_NOTIMP);
    ql = ta_query(q, "x.", DNS_TYPE_A, DNS_CLASS_CH, -1, false);
    dns_res_query(res, q, ql, NULL, false, now, out, sizeof(out), &n, &t);
    CHECK_EQ(DNS_RCODE(tb_get16(out + 2)), DNS_RCODE_REFUSED);
    CHECK_EQ(n, ql);
    ql = ta_query(q, "x.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    q[2] = 0; /* RD clear: refused, no cache snooping */
    CHECK_EQ(
        dns_res_query(res, q, ql, NULL, false, now, out, sizeof(out), &n, &t),
        DNS_RES_ANSWERED);
    CHECK_EQ(DNS_RCODE(tb_get16(out + 2)), DNS_RCODE_REFUSED);
    q[2] |= 0x80; /* a response */
    CHECK_EQ(
        dns_res_query(res, q, ql, NULL, false, now, out, sizeof(out), &n, &t),
        DNS_RES_DROP);
    ql = ta_query(q, "x.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    q[ql - 5] = 1; /* EDNS version 1 */
    dns_res_query(res, q, ql, NULL, false, now, out, sizeof(out), &n, &t);
    CHECK_EQ(out[n - 6], 1); /* BADVERS: extended RCODE 16 */
    res_teardown();
}

/* Asks (name) A with EDNS or not from (client); returns the RCODE, or -1
 * when a resolution was started (freed at once).  (*ede) gets the EDE
 * info-code of the response's OPT, -1 without one, -2 without an OPT. */
static int ask_from(const char *client, bool edns, const char *name, int *ede)
{
    uint8_t q[512], out[512];
    size_t n = 0, ql = ta_query(q, name, DNS_TYPE_A, DNS_CLASS_IN,
                                edns ? 1232 : -1, false);
    struct dns_res_task *t;
    struct tb_addr a = {.port = 4242};
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;

    if (strchr(client, ':') != NULL) {
        a.af = TB_AF_INET6;
        CHECK(inet_pton(AF_INET6, client, a.ip) == 1);
    } else {
        a.af = TB_AF_INET;
        CHECK(inet_pton(AF_INET, client, a.ip) == 1);
    }
    if (dns_res_query(res, q, ql, &a, false, now, out, sizeof(out), &n, &t) ==
        DNS_RES_STARTED) {
        dns_res_task_free(t);
        return -1;
    }
    *ede = -2;
    CHECK_EQ(dns_msg_parse(&m, out, n), 0);
    CHECK_EQ(m.id, tb_get16(q));
    dns_rr_iter_init(&it, &m, DNS_SEC_ADDITIONAL);
    while (dns_rr_next(&it, &rr))
        if (rr.type == DNS_TYPE_OPT)
            *ede = rr.rdlen == 6 && tb_get16(out + rr.rdoff) == 15 &&
                           tb_get16(out + rr.rdoff + 2) == 2
                       ? tb_get16(out + rr.rdoff + 4)
                       : -1;
    return DNS_RCODE(m.flags);
}

/* allow: clients outside the list get REFUSED with EDE 18 (RFC 8914) when
 * they sent an OPT, before anything else is looked at; loopback only when
 * no list is given; an allowed client is served. */
static void test_acl(void)
{
    static const struct dns_acl list[2] = {
        {.addr = {.af = TB_AF_INET, .ip = {192, 0, 2}}, .plen = 24},
        {.addr = {.af = TB_AF_INET6, .ip = {0x20, 0x01, 0x0d, 0xb8}},
         .plen = 32}};
    struct dns_res_stats st;
    uint8_t q[512], out[512];
    size_t n, ql;
    struct dns_res_task *t;
    struct tb_addr far = {.af = TB_AF_INET, .ip = {198, 51, 100, 1}};
    int ede;

    res_setup(1 << 20); /* no list: loopback */
    CHECK_EQ(ask_from("127.0.0.1", true, "www.example.", &ede), -1);
    CHECK_EQ(ask_from("127.9.8.7", true, "www.example.", &ede), -1);
    CHECK_EQ(ask_from("::1", true, "www.example.", &ede), -1);
    CHECK_EQ(ask_from("10.0.0.7", true, "www.example.", &ede),
             DNS_RCODE_REFUSED);
    CHECK_EQ(ede, 18);
    CHECK_EQ(ask_from("::2", true, "www.example.", &ede), DNS_RCODE_REFUSED);
    CHECK_EQ(ede, 18);
    CHECK_EQ(ask_from("192.168.1.1", false, "www.example.", &ede),
             DNS_RCODE_REFUSED);
    CHECK_EQ(ede, -2); /* no OPT asked, none given */
    /* refused before it is parsed further: a malformed query too */
    ql = ta_query(q, "x.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    q[7] = 1; /* an answer record that is not there */
    CHECK_EQ(
        dns_res_query(res, q, ql, &far, false, now, out, sizeof(out), &n, &t),
        DNS_RES_ANSWERED);
    CHECK_EQ(DNS_RCODE(tb_get16(out + 2)), DNS_RCODE_REFUSED);
    CHECK_EQ(
        dns_res_query(res, q, ql, NULL, false, now, out, sizeof(out), &n, &t),
        DNS_RES_ANSWERED); /* no client given: not checked */
    CHECK_EQ(DNS_RCODE(tb_get16(out + 2)), DNS_RCODE_FORMERR);
    dns_res_stats(res, &st);
    CHECK_EQ(st.refused_acl, 4);
    CHECK_EQ(st.tasks, 3);
    res_teardown();

    allow = list;
    nallow = 2;
    res_setup(1 << 20);
    CHECK_EQ(ask_from("192.0.2.200", true, "www.example.", &ede), -1);
    CHECK_EQ(ask_from("2001:db8:ffff::1", false, "www.example.", &ede), -1);
    CHECK_EQ(ask_from("192.0.3.1", true, "www.example.", &ede),
             DNS_RCODE_REFUSED);
    CHECK_EQ(ede, 18);
    CHECK_EQ(ask_from("2001:db9::1", true, "www.example.", &ede),
             DNS_RCODE_REFUSED);
    /* a list replaces the default */
    CHECK_EQ(ask_from("127.0.0.1", true, "www.example.", &ede),
             DNS_RCODE_REFUSED);
    res_teardown();
    allow = NULL;
    nallow = 0;
}

/* A forward or stub zone (zone) to (ip) port 53. */
static struct dns_res_fwd fwd_zone(const char *zone, bool recursive,
                                   const char *ip)
{
    struct dns_res_fwd z = {.recursive = recursive, .naddr = 1};
    size_t len;

    CHECK_EQ(dns_name_from_text(zone, strlen(zone), NULL, z.zone, &len), 0);
    z.addr[0].af = TB_AF_INET;
    z.addr[0].port = 53;
    CHECK(inet_pton(AF_INET, ip, z.addr[0].ip) == 1);
    return z;
}

/* forward ".": every name is asked of the forwarder, with RD, once; its
 * answers (no AA) are taken and cached, negatives with their SOA. */
static void test_forward(void)
{
    static struct dns_res_fwd z[1];
    char out[8192];

    z[0] = fwd_zone(".", true, "10.0.9.1");
    fwd = z;
    nfwd = 1;
    res_setup(1 << 20);
    qlog_on = true;
    qlog[0] = 0;
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_STR(qlog, "10.0.9.1 www.example.tld. 1;");
    CHECK_EQ(resolve("www.example.tld.", DNS_TYPE_A, false, out, sizeof(out)),
             DNS_RES_ANSWERED); /* cached */
    qlog[0] = 0;
    EXPECT("nx.example.tld.", DNS_TYPE_A,
           "NXDOMAIN qd=1 an=0 ns=1 ar=1\n"
           "NS example.tld. 120 SOA ns1.example.tld. host.example.tld. 1 "
           "1800 900 604800 120\n"
           "OPT size=1232 ext=0 flags=0000\n");
    EXPECT("www.other.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN www.other. 600 A 192.0.2.20\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_STR(qlog, "10.0.9.1 nx.example.tld. 1;10.0.9.1 www.other. 1;");
    CHECK_EQ(net[0].queries + net[1].queries + net[5].queries, 0);
    /* the forwarder gone: SERVFAIL, the root is not asked instead */
    net[NET_FWD].dead = true;
    qlog[0] = 0;
    resolve("a1.example.tld.", DNS_TYPE_A, false, out, sizeof(out));
    CHECK(strncmp(out, "SERVFAIL", 8) == 0);
    CHECK_EQ(net[0].queries, 0);
    net[NET_FWD].dead = false;
    res_teardown();

    /* forward other. only: example.tld iterates from the root; a CNAME
       into other. goes to the forwarder for the rest of the chain */
    z[0] = fwd_zone("other.", true, "10.0.9.1");
    res_setup(1 << 20);
    qlog[0] = 0;
    EXPECT("ext.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN ext.example.tld. 300 CNAME www.other.\n"
           "AN www.other. 600 A 192.0.2.20\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(strstr(qlog, "10.0.0.1 tld. 1;") == qlog);
    CHECK(strstr(qlog, "10.0.9.1 www.other. 1;") != NULL);
    CHECK(strstr(qlog, "10.0.2.1") == NULL);
    res_teardown();
    fwd = NULL;
    nfwd = 0;
    qlog_on = false;
}

/* stub: iteration for the zone starts at the given servers (the root and
 * tld. are not asked), with RD clear and AA required. */
static void test_stub(void)
{
    static struct dns_res_fwd z[2];
    char out[8192];

    z[0] = fwd_zone("example.tld.", false, "10.0.5.1");
    z[1] = fwd_zone("glueless.tld.", false, "10.0.2.1");
    fwd = z;
    nfwd = 2;
    res_setup(1 << 20);
    qlog_on = true;
    qlog[0] = 0;
    EXPECT("a.b.c.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN a.b.c.example.tld. 300 A 192.0.2.50\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_STR(qlog, "10.0.5.1 c.example.tld. 1;10.0.5.1 b.c.example.tld. 1;"
                    "10.0.5.1 a.b.c.example.tld. 1;");
    qlog[0] = 0;
    EXPECT("host.glueless.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN host.glueless.tld. 600 A 192.0.2.30\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK_STR(qlog, "10.0.2.1 host.glueless.tld. 1;");
    CHECK_EQ(net[0].queries + net[1].queries, 0);
    /* outside the stubs: from the root as before */
    qlog[0] = 0;
    resolve("www.other.", DNS_TYPE_A, false, out, sizeof(out));
    CHECK(strstr(out, "192.0.2.20") != NULL);
    CHECK(strstr(qlog, "10.0.0.1 ") == qlog);
    res_teardown();
    /* a stub server that is not authoritative (REFUSED): SERVFAIL */
    z[0] = fwd_zone("example.tld.", false, "10.0.3.1");
    nfwd = 1;
    res_setup(1 << 20);
    resolve("www.example.tld.", DNS_TYPE_A, false, out, sizeof(out));
    CHECK(strncmp(out, "SERVFAIL", 8) == 0);
    CHECK_EQ(net[0].queries, 0);
    res_teardown();
    fwd = NULL;
    nfwd = 0;
    qlog_on = false;
}

/* ratelimit: resolutions per client prefix are limited (the rest are
 * dropped and counted), cache hits never; other clients and loopback are
 * not charged; the bucket refills with time. */
static void test_ratelimit(void)
{
    struct dns_rrl rl;
    struct dns_rrl_conf rc;
    struct dns_res_stats st;
    uint8_t q[512], out[512];
    size_t n, ql;
    struct dns_res_task *t;
    struct tb_addr a = {.af = TB_AF_INET, .ip = {192, 0, 2, 7}};
    struct tb_addr b = {.af = TB_AF_INET, .ip = {192, 0, 2, 8}};
    struct tb_addr lo = {.af = TB_AF_INET, .ip = {127, 0, 0, 1}};
    static const struct dns_acl any[1] = {
        {.addr = {.af = TB_AF_INET}, .plen = 0}};
    unsigned started = 0;
    char name[64];

    dns_rrl_conf_default(&rc);
    rc.rate = 1; /* a burst of DNS_RRL_BURST_S (2) */
    rc.ipv4_prefix = 32;
    CHECK_EQ(dns_rrl_init(&rl, &rc, 7, &ta), 0);
    allow = any;
    nallow = 1;
    ratelimit = &rl;
    res_setup(1 << 20);
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "n%d.example.tld.", i);
        ql = ta_query(q, name, DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
        int rcq =
            dns_res_query(res, q, ql, &a, false, now, out, sizeof(out), &n, &t);
        if (rcq == DNS_RES_STARTED) {
            started++;
            dns_res_task_free(t);
        } else {
            CHECK_EQ(rcq, DNS_RES_DROP);
        }
    }
    CHECK(started >= 2 && started <= 3);
    dns_res_stats(res, &st);
    CHECK_EQ(st.ratelimited, 10 - started);
    /* another client, and loopback (exempt by default): not limited */
    ql = ta_query(q, "x1.example.tld.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    CHECK_EQ(
        dns_res_query(res, q, ql, &b, false, now, out, sizeof(out), &n, &t),
        DNS_RES_STARTED);
    dns_res_task_free(t);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(dns_res_query(res, q, ql, &lo, false, now, out, sizeof(out),
                               &n, &t),
                 DNS_RES_STARTED);
        dns_res_task_free(t);
    }
    /* cache hits are never limited: resolve one (no client), then ask
       it from the limited client */
    resolve("www.example.tld.", DNS_TYPE_A, false, (char *)out, sizeof(out));
    ql = ta_query(q, "www.example.tld.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    for (int i = 0; i < 5; i++)
        CHECK_EQ(
            dns_res_query(res, q, ql, &a, false, now, out, sizeof(out), &n, &t),
            DNS_RES_ANSWERED);
    /* a few seconds later the client may resolve again */
    now += 3 * SEC;
    ql = ta_query(q, "later.example.tld.", DNS_TYPE_A, DNS_CLASS_IN, 1232,
                  false);
    CHECK_EQ(
        dns_res_query(res, q, ql, &a, false, now, out, sizeof(out), &n, &t),
        DNS_RES_STARTED);
    dns_res_task_free(t);
    res_teardown();
    ratelimit = NULL;
    dns_rrl_free(&rl);
    allow = NULL;
    nallow = 0;
}

/* Local data (conf.local): the service's own zones answered first, by
 * the authoritative engine, with AA and RA, never from upstream or the
 * cache, also without RD; other names resolved as before. */
static void test_local(void)
{
    static const char *const z_loc[] = {
        "@ 3600 SOA ns host 1 1800 900 604800 60", "@ 3600 NS ns",
        "ns 3600 A 10.9.9.9", "www 60 A 198.51.100.1", NULL};
    uint8_t q[512], out[4096];
    char txt[4096];
    struct dns_res_task *t;
    struct dns_res_stats st;
    size_t n, ql, blen;
    uint8_t *blob = ta_zone("example.tld.", z_loc, &blen);
    struct dns_zoneset *zs = zset((const void *[]){blob}, &blen, 1);

    local = zs;
    res_setup(1 << 20);
    local = NULL;
    /* shadows the public example.tld.: its data, AA, nothing sent */
    CHECK_EQ(resolve("www.example.tld.", DNS_TYPE_A, false, txt, sizeof(txt)),
             DNS_RES_ANSWERED);
    CHECK(strcmp(txt, "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
                      "AN www.example.tld. 60 A 198.51.100.1\n"
                      "OPT size=1232 ext=0 flags=0000\n") == 0);
    CHECK_EQ(net[5].queries, 0);
    ql = ta_query(q, "WWW.Example.TLD.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    q[2] &= (uint8_t)~0x01; /* RD clear: local data is still answered */
    CHECK_EQ(
        dns_res_query(res, q, ql, NULL, false, now, out, sizeof(out), &n, &t),
        DNS_RES_ANSWERED);
    CHECK(out[2] & 0x04); /* AA */
    CHECK(out[3] & 0x80); /* RA */
    CHECK_EQ(out[3] & 0x0f, DNS_RCODE_NOERROR);
    /* NXDOMAIN from the zone, with AA; never cached as the resolver's */
    CHECK_EQ(resolve("nx.example.tld.", DNS_TYPE_A, false, txt, sizeof(txt)),
             DNS_RES_ANSWERED);
    CHECK(strstr(txt, "NXDOMAIN aa ") == txt);
    /* a name outside: resolved from the root as before */
    EXPECT("www.other.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN www.other. 600 A 192.0.2.20\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(sends >= 2);
    /* without RD outside the local zones: REFUSED as before */
    ql = ta_query(q, "www.other.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    q[2] &= (uint8_t)~0x01;
    dns_res_query(res, q, ql, NULL, false, now, out, sizeof(out), &n, &t);
    CHECK_EQ(out[3] & 0x0f, DNS_RCODE_REFUSED);
    dns_res_stats(res, &st);
    CHECK_EQ(st.local, 3);
    /* replaced at run time: none, then the example.tld. servers again */
    dns_res_set_local(res, NULL);
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    CHECK(net[5].queries > 0);
    res_teardown();
    dns_zoneset_free(zs, &ta);
    free(blob);
}

/* Serve-stale (RFC 8767) with a fake clock: the servers of example.tld.
 * stop answering after its data expired; what the cache still holds is
 * answered, TTL 30 and EDE 3, within the max-stale bound, SERVFAIL after
 * it and for names never seen. */
static void test_serve_stale(void)
{
    struct dns_res_stats st;

    serve_stale = 3600;
    res_setup(1 << 20);
    serve_stale = 0;
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    EXPECT("nx.example.tld.", DNS_TYPE_A,
           "NXDOMAIN qd=1 an=0 ns=1 ar=1\n"
           "NS example.tld. 120 SOA ns1.example.tld. host.example.tld. 1 "
           "1800 900 604800 120\n"
           "OPT size=1232 ext=0 flags=0000\n");
    now += 400 * SEC; /* both expired */
    net[5].dead = true;
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.example.tld. 30 A 192.0.2.1\n"
           "AN www.example.tld. 30 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000 EDE=3\n");
    CHECK(sends >= 1); /* asked first: stale only when that failed */
    EXPECT("nx.example.tld.", DNS_TYPE_A,
           "NXDOMAIN qd=1 an=0 ns=1 ar=1\n"
           "NS example.tld. 30 SOA ns1.example.tld. host.example.tld. 1 "
           "1800 900 604800 120\n"
           "OPT size=1232 ext=0 flags=0000 EDE=3\n");
    /* never cached: nothing stale to give */
    EXPECT("mail.example.tld.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    dns_res_stats(res, &st);
    CHECK_EQ(st.stale, 2);
    /* past the bound (expired over 3,700 s ago, more than 3,600) */
    now += 3600 * SEC;
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    net[5].dead = false;
    res_teardown();

    /* off (the default): SERVFAIL as before */
    res_setup(1 << 20);
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    now += 400 * SEC;
    net[5].dead = true;
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "SERVFAIL qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000\n");
    net[5].dead = false;
    res_teardown();
}

/* Prefetch with a fake clock: a hit with less than 10% of the TTL left
 * queues a refresh; the driver runs it as a task without a client; the
 * cache then holds the whole TTL again.  One refresh per name at once. */
static void test_prefetch(void)
{
    struct dns_res_task *t;
    struct dns_res_stats st;
    char out[4096];
    unsigned before;

    prefetch = true;
    res_setup(1 << 20);
    prefetch = false;
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    now += 200 * SEC; /* 100 s of 300 left: no refresh */
    CHECK_EQ(resolve("www.example.tld.", DNS_TYPE_A, false, out, sizeof(out)),
             DNS_RES_ANSWERED);
    CHECK(dns_res_prefetch_next(res, now) == NULL);
    now += 75 * SEC; /* 25 s left: answered, and a refresh queued */
    CHECK_EQ(resolve("www.example.tld.", DNS_TYPE_A, false, out, sizeof(out)),
             DNS_RES_ANSWERED);
    CHECK(strstr(out, "AN www.example.tld. 25 A 192.0.2.1\n") != NULL);
    CHECK_EQ(resolve("www.example.tld.", DNS_TYPE_A, false, out, sizeof(out)),
             DNS_RES_ANSWERED); /* the same name twice: one refresh */
    t = dns_res_prefetch_next(res, now);
    REQUIRE(t != NULL);
    CHECK(dns_res_task_background(t));
    CHECK(dns_res_prefetch_next(res, now) == NULL);
    dns_res_stats(res, &st);
    before = (unsigned)st.sent_udp;
    run_task(t);
    dns_res_task_free(t);
    dns_res_stats(res, &st);
    CHECK(st.sent_udp > before); /* asked upstream, cache or not */
    now += 1 * SEC;
    CHECK_EQ(resolve("www.example.tld.", DNS_TYPE_A, false, out, sizeof(out)),
             DNS_RES_ANSWERED);
    CHECK(strstr(out, "AN www.example.tld. 299 A 192.0.2.1\n") != NULL);
    CHECK(dns_res_prefetch_next(res, now) == NULL);
    dns_res_stats(res, &st);
    CHECK_EQ(st.prefetch, 1);
    res_teardown();

    /* off: no refresh is ever queued */
    res_setup(1 << 20);
    EXPECT("www.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=2 ns=0 ar=1\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    now += 290 * SEC;
    CHECK_EQ(resolve("www.example.tld.", DNS_TYPE_A, false, out, sizeof(out)),
             DNS_RES_ANSWERED);
    CHECK(dns_res_prefetch_next(res, now) == NULL);
    res_teardown();
}

/* 0x20: every name asked has letters in random case; a reply whose
 * question is the same name in another case (a forger who guessed ID and
 * port but not the case) is rejected and counted, the real one taken;
 * the client's answer keeps the client's case. */
static void test_0x20(void)
{
    uint8_t q[512], resp[65535], reply[65535], forged[65535];
    size_t qlen = ta_query(q, "www.example.tld.", DNS_TYPE_A, DNS_CLASS_IN,
                           1232, false),
           n;
    struct dns_res_task *t;
    struct dns_res_send s;
    struct dns_res_stats st;
    const uint8_t *msg;
    unsigned upper = 0, forgeries = 0;
    char out[4096];

    use_0x20 = true;
    res_setup(1 << 20);
    use_0x20 = false;
    REQUIRE(dns_res_query(res, q, qlen, NULL, false, now, resp, sizeof(resp),
                          &n, &t) == DNS_RES_STARTED);
    for (unsigned guard = 0; dns_res_task_next(t, now, &s) == DNS_RES_SEND;
         guard++) {
        struct server *sv = net_find(&s.server);
        bool mixed = false;
        REQUIRE(guard < 100);
        if (sv == NULL || sv->dead) {
            now = s.deadline;
            dns_res_task_timeout(t, now);
            continue;
        }
        for (size_t i = DNS_HDR_LEN; i < s.len && s.msg[i] != 0; i++)
            mixed |= s.msg[i] >= 'A' && s.msg[i] <= 'Z';
        upper += mixed;
        now += 2 * MS;
        size_t rl = dns_auth_answer(sv->zs, s.msg, s.len, reply, sizeof(reply),
                                    0, &(struct dns_auth_stats){0});
        REQUIRE(rl > DNS_HDR_LEN);
        if (mixed) { /* the same reply, the question in lower case */
            memcpy(forged, reply, rl);
            for (size_t i = DNS_HDR_LEN; i < rl && forged[i] != 0; i++)
                if (forged[i] >= 'A' && forged[i] <= 'Z')
                    forged[i] |= 0x20;
            CHECK_EQ(
                dns_res_task_input(t, &s.server, s.transport, forged, rl, now),
                TB_EINVAL);
            forgeries++;
        }
        CHECK_EQ(dns_res_task_input(t, &s.server, s.transport, reply, rl, now),
                 0);
    }
    n = dns_res_task_response(t, &msg);
    ta_print(msg, n, out, sizeof(out));
    CHECK(strcmp(out, "NOERROR qd=1 an=2 ns=0 ar=1\n"
                      "AN www.example.tld. 300 A 192.0.2.1\n"
                      "AN www.example.tld. 300 A 192.0.2.2\n"
                      "OPT size=1232 ext=0 flags=0000\n") == 0);
    dns_res_task_free(t);
    CHECK(upper >= 2); /* of the three or so names asked */
    dns_res_stats(res, &st);
    CHECK_EQ(st.case_mismatch, forgeries);
    /* a CNAME target the server compressed to the question: read in the
       case of the name, not the random one (cache, client) */
    EXPECT("alias.example.tld.", DNS_TYPE_A,
           "NOERROR qd=1 an=3 ns=0 ar=1\n"
           "AN alias.example.tld. 300 CNAME www.example.tld.\n"
           "AN www.example.tld. 300 A 192.0.2.1\n"
           "AN www.example.tld. 300 A 192.0.2.2\n"
           "OPT size=1232 ext=0 flags=0000\n");
    res_teardown();
}

/* A client's ". NS" (the root's own answer, its glue in the additional
 * section) once left the root's NS set cached without an address: every
 * cold name then failed.  The apex NS answer's in-zone addresses are
 * glue now, and a root NS set without any address falls back to the
 * hints. */
static void test_root_ns(void)
{
    static const uint8_t root[1] = {0};
    uint8_t rd[32];
    size_t n;

    res_setup(1 << 20);
    EXPECT(".", DNS_TYPE_NS,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN . 86400 NS a.root.\n"
           "OPT size=1232 ext=0 flags=0000\n");
    EXPECT("www.other.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN www.other. 600 A 192.0.2.20\n"
           "OPT size=1232 ext=0 flags=0000\n");
    res_teardown();

    /* the root's NS set cached with no address at all: the hints */
    res_setup(1 << 20);
    REQUIRE(dns_name_from_text("b.root.", 7, root, rd + 2, &n) == 0);
    tb_put16(rd, (uint16_t)n);
    REQUIRE(dns_cache_put(cache, root, DNS_TYPE_NS, DNS_CACHE_RRSET,
                          DNS_RANK_ANSWER, 3600, 1, rd, 2 + n, now) == 0);
    EXPECT("www.other.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN www.other. 600 A 192.0.2.20\n"
           "OPT size=1232 ext=0 flags=0000\n");
    res_teardown();
}

/* Root priming (RFC 8109): a background task asks the hints for ". NS";
 * the root's NS set and its glue are cached, resolutions start from
 * them; no second priming while they are. */
static void test_prime(void)
{
    static const uint8_t root[1] = {0};
    static const uint8_t aroot[] = "\1a\4root";
    struct dns_cache_view v;
    struct dns_res_task *t;
    struct dns_res_stats st;

    prime = true;
    res_setup(1 << 20);
    prime = false;
    CHECK(!dns_cache_get(cache, root, DNS_TYPE_NS, now, DNS_RANK_ANSWER, &v));
    t = dns_res_prefetch_next(res, now);
    REQUIRE(t != NULL);
    CHECK(dns_res_task_background(t));
    CHECK(dns_res_prefetch_next(res, now) == NULL); /* one at a time */
    run_task(t);
    dns_res_task_free(t);
    CHECK(dns_cache_get(cache, root, DNS_TYPE_NS, now, DNS_RANK_ANSWER, &v));
    CHECK(dns_cache_get(cache, aroot, DNS_TYPE_A, now, DNS_RANK_GLUE, &v));
    now += 20 * SEC;
    CHECK(dns_res_prefetch_next(res, now) == NULL); /* primed */
    EXPECT("www.other.", DNS_TYPE_A,
           "NOERROR qd=1 an=1 ns=0 ar=1\n"
           "AN www.other. 600 A 192.0.2.20\n"
           "OPT size=1232 ext=0 flags=0000\n");
    dns_res_stats(res, &st);
    CHECK_EQ(st.primes, 1);
    CHECK_EQ(st.prefetch, 0);
    res_teardown();
}

int main(void)
{
    net_setup();
    RUN(test_hints);
    RUN(test_cache_basic);
    RUN(test_cache_bound);
    RUN(test_query_errors);
    RUN(test_acl);
    RUN(test_forward);
    RUN(test_stub);
    RUN(test_ratelimit);
    RUN(test_iterate);
    RUN(test_cross_zone);
    RUN(test_failures);
    RUN(test_loss_and_rtt);
    RUN(test_holddown);
    RUN(test_tc_tcp);
    RUN(test_spoofing);
    RUN(test_qmin);
    RUN(test_edns_fallback);
    RUN(test_conn);
    RUN(test_local);
    RUN(test_serve_stale);
    RUN(test_prefetch);
    RUN(test_0x20);
    RUN(test_root_ns);
    RUN(test_prime);
    net_teardown();
    return check_done();
}
