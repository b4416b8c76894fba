/*
 * test_xfrin.c -- the secondary's state machine (lib/dns/xfrin.c) against
 * a fake primary and a fake clock: AXFR in several messages cut at every
 * byte boundary, refresh with an unchanged serial, IXFR deltas, IXFR
 * refused or answered with a lone SOA (AXFR fallback), lost datagrams,
 * streams cut short, bad records (out of zone, other class, framing),
 * serial wrap (RFC 1982), expiry, NOTIFY from a primary and from a
 * stranger.
 */
#include <tibra/dns/serial.h>
#include <tibra/dns/srv.h>
#include <tibra/dns/tsig.h>
#include <tibra/dns/xfrin.h>

#include "check.h"
#include "test_auth_util.h"

#define S (1000000000ull)

static const struct dns_xfrin_conf conf = {
    .refresh_min = 1,
    .retry_min = 1,
    .expire_min = 1,
    .udp_timeout_ms = 1000,
    .udp_tries = 2,
    .tcp_timeout_ms = 5000,
};

/* ---- the fake primary -------------------------------------------------- */

struct fake {
    struct tb_addr addr;
    struct dns_zone_src z; /* records of the version served, SOA first */
    uint32_t serial;
    /* IXFR: one delta from (from) to (serial): deletions and additions */
    bool has_delta;
    uint32_t from;
    struct dns_zone_src del, add;
    unsigned ixfr_rcode; /* answer IXFR with this RCODE (0: serve) */
    bool ixfr_soa_only; /* answer IXFR with the new SOA alone */
    unsigned drop_udp; /* SOA queries to ignore */
    bool refuse_udp; /* answer SOA over UDP with REFUSED (Knot, catalogs) */
    bool no_tcp; /* no TCP: every connection refused */
    unsigned tcp_soas; /* SOA queries over TCP */
    size_t cut_after; /* stream: stop after this many bytes (0: all) */
    unsigned per_msg; /* records per message */
    bool bad_class, out_of_zone, bad_close; /* corrupt the AXFR */
    unsigned soa_queries, axfrs, ixfrs;
    /* TSIG: with (key) set, queries MUST verify and every answer is
     * signed (every message of a stream but the ones (skip_sign) says) */
    const struct dns_tsig_keyring *kr;
    unsigned bad_queries;
    bool sign_last_only, unsigned_last;
    bool spoof; /* a forged SOA answer from another port, first */
    uint16_t bad_port; /* also a primary at this port, whose transfers
                          carry a record of another class */
    unsigned spoofed;
};

#define UNIX0 1700000000ull
static uint64_t g_now; /* the fake clock, for TSIG times */

/* The fake primary's check of a signed query: its TSIG context, or NULL
 * (no keys, or the query fails: counted). */
static struct dns_tsig_ctx *fake_verify(struct fake *f, const uint8_t *q,
                                        size_t qlen)
{
    static struct dns_tsig_ctx ctx;
    size_t off;

    if (f->kr == NULL)
        return NULL;
    if (dns_tsig_find(q, qlen, &off) != 0 ||
        dns_tsig_verify_request(f->kr, q, qlen, off, UNIX0 + g_now / S, &ctx) !=
            0 ||
        ctx.error != 0) {
        f->bad_queries++;
        return NULL;
    }
    return &ctx;
}

static uint8_t origin[256];

static void zone_lines(struct dns_zone_src *z, const char *const *l)
{
    dns_zone_src_init(z, origin, &ta);
    for (; *l != NULL; l++)
        ta_rr(z, *l);
}

static void fake_version(struct fake *f, uint32_t serial, const char *extra)
{
    char soa[128];
    const char *lines[] = {soa,
                           "@ 3600 NS ns1",
                           "ns1 3600 A 192.0.2.1",
                           "www 300 A 192.0.2.80",
                           extra,
                           NULL};

    snprintf(soa, sizeof(soa), "@ 3600 SOA ns1 hostmaster %u 100 10 1000 60",
             serial);
    dns_zone_src_free(&f->z);
    zone_lines(&f->z, lines);
    f->serial = serial;
}

/* Writes the records (rr[0..n)) of (z) as one or more framed messages. */
struct stream {
    uint8_t buf[1 << 18];
    size_t len;
};

static struct dns_tsig_ctx *g_sign; /* sign the messages put (NULL: no) */
static bool g_sign_first_only;

static void put_msg(struct stream *s, uint16_t id, uint16_t qtype,
                    unsigned rcode, bool question, const struct dns_zone_src *z,
                    const struct dns_zrr *const *rr, size_t n,
                    const struct fake *f)
{
    struct dns_writer w;
    uint8_t *p = s->buf + s->len + 2;

    dns_writer_init(&w, p, 65535 - DNS_TSIG_RR_MAX, id,
                    DNS_FLAG_QR | DNS_FLAG_AA | rcode);
    if (question)
        dns_writer_question(&w, origin, qtype, DNS_CLASS_IN);
    for (size_t i = 0; i < n; i++) {
        const struct dns_zrr *r = rr[i];
        uint8_t owner[256];
        uint16_t rclass = DNS_CLASS_IN;
        memcpy(owner, dns_zrr_owner(z, r), dns_name_len(dns_zrr_owner(z, r)));
        if (f != NULL && f->bad_class && r->type == DNS_TYPE_A)
            rclass = DNS_CLASS_CH;
        if (f != NULL && f->out_of_zone && r->type == DNS_TYPE_A)
            ta_name("www.elsewhere.test.", NULL, owner);
        REQUIRE(dns_writer_rr(&w, owner, r->type, rclass, r->ttl,
                              dns_zrr_rdata(z, r), r->rdlen) == 0);
    }
    size_t len = dns_writer_finish(&w);
    if (g_sign != NULL && (s->len == 0 || !g_sign_first_only))
        len = dns_tsig_sign(g_sign, p, len, 65535, UNIX0 + g_now / S);
    REQUIRE(len != 0);
    tb_put16(s->buf + s->len, (uint16_t)len);
    s->len += 2 + len;
}

/* A list of record pointers (into several zone_srcs) for one stream. */
struct rlist {
    const struct dns_zone_src *z[4096];
    const struct dns_zrr *r[4096];
    size_t n;
};

static void rl_add(struct rlist *l, const struct dns_zone_src *z,
                   const struct dns_zrr *r)
{
    l->z[l->n] = z;
    l->r[l->n++] = r;
}

static const struct dns_zrr *soa_of(const struct dns_zone_src *z)
{
    for (size_t i = 0; i < z->nrr; i++)
        if (z->rr[i].type == DNS_TYPE_SOA)
            return &z->rr[i];
    abort();
}

static void rl_zone(struct rlist *l, const struct dns_zone_src *z)
{
    for (size_t i = 0; i < z->nrr; i++)
        if (z->rr[i].type != DNS_TYPE_SOA)
            rl_add(l, z, &z->rr[i]);
}

/* Packs (l) into messages of f->per_msg records (all from one zone_src
 * per message: the writer takes one src, so a message ends when the src
 * changes). */
static void pack(struct stream *s, const struct fake *f, uint16_t id,
                 uint16_t qtype, const struct rlist *l)
{
    size_t i = 0;
    bool first = true;

    while (i < l->n) {
        const struct dns_zrr *rr[4096];
        size_t n = 0;
        const struct dns_zone_src *z = l->z[i];
        while (i < l->n && l->z[i] == z && n < (f->per_msg ? f->per_msg : 3))
            rr[n++] = l->r[i++];
        put_msg(s, id, qtype, 0, first, z, rr, n, f);
        first = false;
    }
}

/* The fake primary's answer to the transfer query (q). */
static void fake_xfr(struct fake *f, const uint8_t *q, size_t qlen,
                     struct stream *s)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    struct rlist *l = calloc(1, sizeof(*l));
    uint32_t theirs = 0;

    s->len = 0;
    REQUIRE(dns_msg_parse(&m, q, qlen) == 0);
    uint16_t qtype = 0;
    g_sign = fake_verify(f, q, qlen);
    g_sign_first_only = f->sign_last_only;
    if (f->kr != NULL && g_sign == NULL) {
        free(l);
        return; /* an unverified query: no transfer (EOF) */
    }
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    dns_rr_next(&it, &rr);
    qtype = rr.type;
    if (rr.type == DNS_TYPE_IXFR) {
        f->ixfrs++;
        REQUIRE(dns_rr_next(&it, &rr) && rr.type == DNS_TYPE_SOA);
        theirs = tb_get32(q + rr.rdoff + rr.rdlen - 20);
        if (f->ixfr_rcode != 0) {
            put_msg(s, m.id, DNS_TYPE_IXFR, f->ixfr_rcode, true, &f->z, NULL, 0,
                    NULL);
            goto out;
        }
        if (f->ixfr_soa_only || theirs == f->serial) {
            const struct dns_zrr *soa = soa_of(&f->z);
            put_msg(s, m.id, DNS_TYPE_IXFR, 0, true, &f->z, &soa, 1, NULL);
            goto out;
        }
        if (f->has_delta && theirs == f->from) {
            rl_add(l, &f->z, soa_of(&f->z));
            rl_add(l, &f->del, soa_of(&f->del));
            rl_zone(l, &f->del);
            rl_add(l, &f->add, soa_of(&f->add));
            rl_zone(l, &f->add);
            rl_add(l, &f->z, soa_of(&f->z));
            pack(s, f, m.id, DNS_TYPE_IXFR, l);
            goto out;
        }
        /* else AXFR-style */
    } else {
        f->axfrs++;
    }
    rl_add(l, &f->z, soa_of(&f->z));
    rl_zone(l, &f->z);
    if (f->bad_close) { /* a closing SOA of another serial */
        rl_add(l, &f->del, soa_of(&f->del));
    } else {
        rl_add(l, &f->z, soa_of(&f->z));
    }
    pack(s, f, m.id, qtype, l);
out:
    if (f->cut_after != 0 && f->cut_after < s->len)
        s->len = f->cut_after;
    free(l);
}

static size_t fake_soa_rcode(struct fake *f, const uint8_t *q, size_t qlen,
                             uint8_t *resp, unsigned rcode)
{
    struct dns_msg m;
    struct dns_writer w;
    const struct dns_zrr *soa = soa_of(&f->z);

    f->soa_queries++;
    if (dns_msg_parse(&m, q, qlen) != 0)
        abort();
    dns_writer_init(&w, resp, 512, m.id,
                    DNS_FLAG_QR | (rcode ? rcode : DNS_FLAG_AA));
    dns_writer_question(&w, origin, DNS_TYPE_SOA, DNS_CLASS_IN);
    if (rcode == 0)
        dns_writer_rr(&w, origin, DNS_TYPE_SOA, DNS_CLASS_IN, soa->ttl,
                      dns_zrr_rdata(&f->z, soa), soa->rdlen);
    size_t len = dns_writer_finish(&w);
    struct dns_tsig_ctx *ctx = fake_verify(f, q, qlen);
    if (ctx != NULL)
        len = dns_tsig_sign(ctx, resp, len, 1024, UNIX0 + g_now / S);
    return len;
}

static size_t fake_soa(struct fake *f, const uint8_t *q, size_t qlen,
                       uint8_t *resp)
{
    return fake_soa_rcode(f, q, qlen, resp, 0);
}

/* The query's type (a framed TCP query or a datagram). */
static uint16_t qtype_of(const uint8_t *q, size_t qlen)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;

    if (dns_msg_parse(&m, q, qlen) != 0)
        abort();
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    if (!dns_rr_next(&it, &rr))
        abort();
    return rr.type;
}

/* ---- the driver -------------------------------------------------------- */

struct run {
    unsigned zones, fresh, logs, closes, udp, tcp, dead;
    size_t nrr;
    uint32_t serial;
    bool commit_ok;
    size_t chunk; /* TCP read size (0: all at once) */
};

/* Polls (x) at (now) and plays every action against (f) until NONE. */
static void step(struct dns_xfrin *x, struct fake *f, uint64_t now,
                 struct run *r)
{
    struct dns_xfrin_io io;
    static struct stream s;

    g_now = now;
    for (int guard = 0; guard < 100; guard++) {
        switch (dns_xfrin_poll(x, now, &io)) {
        case DNS_XFRIN_NONE:
            return;
        case DNS_XFRIN_LOG:
            r->logs++;
            if (getenv("V"))
                printf("  log: %s\n", io.msg);
            break;
        case DNS_XFRIN_FRESH:
            r->fresh++;
            break;
        case DNS_XFRIN_CLOSE:
            r->closes++;
            break;
        case DNS_XFRIN_UDP: {
            uint8_t resp[1024];
            size_t n;
            r->udp++;
            if (f->bad_port != 0 && io.peer->port == f->bad_port) {
                n = fake_soa(f, io.out, io.out_len, resp);
                dns_xfrin_udp_input(x, io.peer, resp, n, now);
                break;
            }
            if (io.peer->port != f->addr.port) {
                r->dead++; /* a primary that does not exist: lost */
                break;
            }
            if (f->spoof) { /* an answer from another port first */
                struct tb_addr o = f->addr;
                o.port++;
                n = fake_soa(f, io.out, io.out_len, resp);
                dns_xfrin_udp_input(x, &o, resp, n, now);
                f->soa_queries--;
                /* ignored: still waiting for the answer (a transfer to
                 * open would make the deadline now) */
                CHECK(dns_xfrin_deadline(x) > now);
                f->spoofed++;
            }
            if (f->drop_udp > 0) {
                f->drop_udp--;
                break;
            }
            n = fake_soa_rcode(f, io.out, io.out_len, resp,
                               f->refuse_udp ? DNS_RCODE_REFUSED : 0);
            dns_xfrin_udp_input(x, &f->addr, resp, n, now);
            break;
        }
        case DNS_XFRIN_TCP: {
            size_t off = 0;
            r->tcp++;
            REQUIRE(io.out_len > 2 && tb_get16(io.out) == io.out_len - 2);
            if (f->no_tcp || (io.peer->port != f->addr.port &&
                              io.peer->port != f->bad_port)) {
                dns_xfrin_tcp_closed(x, now); /* connection refused */
                break;
            }
            if (f->bad_port != 0)
                f->bad_class = io.peer->port == f->bad_port;
            if (qtype_of(io.out + 2, io.out_len - 2) == DNS_TYPE_SOA) {
                f->tcp_soas++;
                s.len = 2 + fake_soa(f, io.out + 2, io.out_len - 2, s.buf + 2);
                tb_put16(s.buf, (uint16_t)(s.len - 2));
            } else {
                fake_xfr(f, io.out + 2, io.out_len - 2, &s);
            }
            while (off < s.len) {
                uint8_t *p;
                size_t room = dns_xfrin_tcp_rspace(x, &p), n = s.len - off;
                if (room == 0)
                    break; /* the receiver is done (or failed) */
                if (r->chunk != 0 && n > r->chunk)
                    n = r->chunk;
                if (n > room)
                    n = room;
                memcpy(p, s.buf + off, n);
                off += n;
                dns_xfrin_tcp_received(x, n, now);
            }
            if (off == s.len && dns_xfrin_tcp_rspace(x, &(uint8_t *){0}) != 0)
                dns_xfrin_tcp_closed(x, now);
            break;
        }
        case DNS_XFRIN_ZONE: {
            const struct dns_zone_src *z = dns_xfrin_zone(x);
            REQUIRE(z != NULL);
            r->zones++;
            r->nrr = z->nrr;
            dns_xfrin_commit(x, r->commit_ok, now);
            break;
        }
        }
    }
    CHECK(!"poll loop did not settle");
}

static void setup(struct dns_xfrin *x, struct fake *f)
{
    memset(f, 0, sizeof(*f));
    ta_name("example.test.", NULL, origin);
    dns_zone_src_init(&f->z, origin, &ta);
    dns_zone_src_init(&f->del, origin, &ta);
    dns_zone_src_init(&f->add, origin, &ta);
    f->addr.af = TB_AF_INET;
    f->addr.port = 5300;
    f->addr.ip[0] = 127;
    f->addr.ip[3] = 1;
    fake_version(f, 1, NULL);
    REQUIRE(dns_xfrin_init(x, origin, &f->addr, 1, &conf, 42, &ta) == 0);
}

static void teardown(struct dns_xfrin *x, struct fake *f)
{
    dns_xfrin_free(x);
    dns_zone_src_free(&f->z);
    dns_zone_src_free(&f->del);
    dns_zone_src_free(&f->add);
}

/* Does the current version hold the record (owner text, type)? */
static bool has(struct dns_xfrin *x, const char *owner, uint16_t type)
{
    uint8_t o[256];

    ta_name(owner, origin, o);
    for (size_t i = 0; i < x->cur.nrr; i++)
        if (x->cur.rr[i].type == type &&
            dns_name_equal(dns_zrr_owner(&x->cur, &x->cur.rr[i]), o))
            return true;
    return false;
}

/* ---- tests ------------------------------------------------------------- */

static void test_axfr_every_cut(void)
{
    /* The same AXFR delivered in reads of 1..40 bytes and at once. */
    for (size_t chunk = 0; chunk <= 40; chunk++) {
        struct dns_xfrin x;
        struct fake f;
        struct run r = {.commit_ok = true, .chunk = chunk};
        setup(&x, &f);
        f.per_msg = 1 + chunk % 3;
        CHECK_EQ(dns_xfrin_deadline(&x), 0);
        step(&x, &f, 1 * S, &r);
        CHECK_EQ(r.zones, 1);
        CHECK_EQ(r.nrr, 4);
        CHECK_EQ(f.axfrs, 1);
        CHECK(dns_xfrin_serving(&x));
        CHECK_EQ(dns_xfrin_serial(&x), 1);
        /* refresh 100 s from the SOA; expire 1000 s */
        CHECK_EQ(dns_xfrin_deadline(&x), 101 * S);
        CHECK_EQ(dns_xfrin_expire_in(&x, 1 * S), 1000);
        teardown(&x, &f);
    }
}

static void test_refresh_unchanged_then_ixfr(void)
{
    struct dns_xfrin x;
    struct fake f;
    struct run r = {.commit_ok = true};
    const char *del[] = {"@ 3600 SOA ns1 hostmaster 1 100 10 1000 60",
                         "www 300 A 192.0.2.80", NULL};
    const char *add[] = {"@ 3600 SOA ns1 hostmaster 2 100 10 1000 60",
                         "www 300 A 192.0.2.81", "new 300 A 192.0.2.99", NULL};

    setup(&x, &f);
    step(&x, &f, 1 * S, &r);
    CHECK_EQ(r.zones, 1);
    step(&x, &f, 50 * S, &r); /* before refresh: nothing */
    CHECK_EQ(r.udp, 1);
    step(&x, &f, 101 * S, &r); /* refresh: same serial */
    CHECK_EQ(r.udp, 2);
    CHECK_EQ(r.fresh, 1);
    CHECK_EQ(r.tcp, 1);
    CHECK_EQ(dns_xfrin_expire_in(&x, 101 * S), 1000);
    /* The primary moves to serial 2 with a delta. */
    fake_version(&f, 2, "new 300 A 192.0.2.99");
    dns_zone_src_free(&f.z);
    {
        const char *v2[] = {"@ 3600 SOA ns1 hostmaster 2 100 10 1000 60",
                            "@ 3600 NS ns1",
                            "ns1 3600 A 192.0.2.1",
                            "www 300 A 192.0.2.81",
                            "new 300 A 192.0.2.99",
                            NULL};
        zone_lines(&f.z, v2);
    }
    zone_lines(&f.del, del);
    zone_lines(&f.add, add);
    f.has_delta = true;
    f.from = 1;
    step(&x, &f, 201 * S, &r);
    CHECK_EQ(f.ixfrs, 1);
    CHECK_EQ(f.axfrs, 1);
    CHECK_EQ(r.zones, 2);
    CHECK_EQ(dns_xfrin_serial(&x), 2);
    CHECK_EQ(r.nrr, 5);
    CHECK(has(&x, "new", DNS_TYPE_A));
    teardown(&x, &f);
}

static void test_ixfr_fallbacks(void)
{
    /* NOTIMP to IXFR, a lone newer SOA, and a delta deleting a record we
     * do not have: each ends in an AXFR of the new version. */
    for (int mode = 0; mode < 3; mode++) {
        struct dns_xfrin x;
        struct fake f;
        struct run r = {.commit_ok = true};
        const char *del[] = {"@ 3600 SOA ns1 hostmaster 1 100 10 1000 60",
                             "nothere 300 A 192.0.2.7", NULL};
        const char *add[] = {"@ 3600 SOA ns1 hostmaster 3 100 10 1000 60",
                             NULL};
        setup(&x, &f);
        step(&x, &f, 1 * S, &r);
        fake_version(&f, 3, "extra 60 A 192.0.2.3");
        if (mode == 0)
            f.ixfr_rcode = DNS_RCODE_NOTIMP;
        else if (mode == 1)
            f.ixfr_soa_only = true;
        else {
            zone_lines(&f.del, del);
            zone_lines(&f.add, add);
            f.has_delta = true;
            f.from = 1;
        }
        step(&x, &f, 101 * S, &r);
        CHECK_EQ(f.ixfrs, 1);
        CHECK_EQ(f.axfrs, 2);
        CHECK_EQ(dns_xfrin_serial(&x), 3);
        CHECK(has(&x, "extra", DNS_TYPE_A));
        teardown(&x, &f);
    }
}

static void test_lost_datagrams(void)
{
    struct dns_xfrin x;
    struct fake f;
    struct run r = {.commit_ok = true};
    uint64_t t = 1 * S;

    setup(&x, &f);
    f.drop_udp = 1; /* the first try is lost, the second answered */
    for (int i = 0; i < 10 && r.zones == 0; i++, t += S / 2)
        step(&x, &f, t, &r);
    CHECK_EQ(r.udp, 2);
    CHECK_EQ(r.zones, 1);
    /* Every try lost: after udp_tries (2) the attempt fails; retry
     * after the SOA's retry (10 s). */
    f.drop_udp = 100;
    r.udp = 0;
    t = 101 * S;
    for (int i = 0; i < 8; i++, t += S / 2)
        step(&x, &f, t, &r);
    CHECK_EQ(r.udp, 2);
    CHECK(dns_xfrin_deadline(&x) >= 111 * S);
    CHECK(dns_xfrin_serving(&x));
    teardown(&x, &f);
}

static void test_broken_transfers_keep_old(void)
{
    /* Cut short at many lengths, a record of another class, one outside
     * the zone, a closing SOA of another serial, a failed compile: the
     * serving version stays serial 1. */
    for (int mode = 0; mode < 5; mode++) {
        for (size_t cut = 1; cut < (mode == 0 ? 200u : 2u); cut += 7) {
            struct dns_xfrin x;
            struct fake f;
            struct run r = {.commit_ok = true};
            const char *other[] = {
                "@ 3600 SOA ns1 hostmaster 77 100 10 1000 60", NULL};
            setup(&x, &f);
            step(&x, &f, 1 * S, &r);
            REQUIRE(dns_xfrin_serial(&x) == 1);
            fake_version(&f, 2, NULL);
            if (mode == 0)
                f.cut_after = cut;
            f.bad_class = mode == 1;
            f.out_of_zone = mode == 2;
            if (mode == 3) {
                f.bad_close = true;
                zone_lines(&f.del, other);
            }
            f.ixfr_rcode = DNS_RCODE_NOTIMP; /* straight to AXFR */
            r.commit_ok = mode != 4;
            step(&x, &f, 101 * S, &r);
            CHECK_EQ(dns_xfrin_serial(&x), 1);
            CHECK(dns_xfrin_serving(&x));
            CHECK(has(&x, "www", DNS_TYPE_A));
            /* retried after the SOA's retry interval (10 s) */
            CHECK_EQ(dns_xfrin_deadline(&x), 111 * S);
            teardown(&x, &f);
        }
    }
}

static void test_serial_wrap(void)
{
    struct dns_xfrin x;
    struct fake f;
    struct run r = {.commit_ok = true};

    CHECK(dns_serial_newer(1, 0xffffffffu));
    CHECK(!dns_serial_newer(0xffffffffu, 1));
    CHECK_EQ(dns_serial_cmp(0x80000000u, 0), 2);
    CHECK(!dns_serial_newer(0x80000000u, 0));
    setup(&x, &f);
    fake_version(&f, 0xffffffffu, NULL);
    step(&x, &f, 1 * S, &r);
    CHECK_EQ(dns_xfrin_serial(&x), 0xffffffffu);
    fake_version(&f, 1, "after 60 A 192.0.2.1");
    f.ixfr_rcode = DNS_RCODE_NOTIMP;
    step(&x, &f, 101 * S, &r);
    CHECK_EQ(dns_xfrin_serial(&x), 1);
    CHECK(has(&x, "after", DNS_TYPE_A));
    /* An older serial (RFC 1982) is not transferred. */
    fake_version(&f, 0xfffffff0u, NULL);
    step(&x, &f, 201 * S, &r);
    CHECK_EQ(dns_xfrin_serial(&x), 1);
    teardown(&x, &f);
}

static void test_expiry(void)
{
    struct dns_xfrin x;
    struct fake f;
    struct run r = {.commit_ok = true};
    uint64_t t;

    setup(&x, &f);
    step(&x, &f, 1 * S, &r);
    f.drop_udp = 1000000; /* the primary unreachable: UDP and TCP */
    f.no_tcp = true;
    for (t = 2 * S; t < 1000 * S; t += S)
        step(&x, &f, t, &r);
    CHECK(dns_xfrin_serving(&x));
    step(&x, &f, 1001 * S, &r);
    CHECK(!dns_xfrin_serving(&x));
    CHECK_EQ(dns_xfrin_expire_in(&x, 1001 * S), 0);
    /* The primary answers again with the same serial: served again. */
    f.drop_udp = 0;
    f.no_tcp = false;
    for (t = 1002 * S; t < 1020 * S && !dns_xfrin_serving(&x); t += S)
        step(&x, &f, t, &r);
    CHECK(dns_xfrin_serving(&x));
    teardown(&x, &f);
}

static void test_restore(void)
{
    struct dns_xfrin x;
    struct fake f;
    struct run r = {.commit_ok = true};
    struct dns_zone_src z;
    const char *v[] = {"@ 3600 SOA ns1 hostmaster 1 100 10 1000 60",
                       "@ 3600 NS ns1", "ns1 3600 A 192.0.2.1", NULL};

    setup(&x, &f);
    zone_lines(&z, v);
    struct dns_diag d = {NULL, NULL, 0, 0};
    REQUIRE(dns_zone_check(&z, &d) == 0);
    CHECK_EQ(dns_xfrin_restore(&x, &z, 500, 1 * S), 0);
    CHECK(dns_xfrin_serving(&x));
    CHECK_EQ(dns_xfrin_serial(&x), 1);
    CHECK_EQ(z.nrr, 0);
    dns_zone_src_free(&z);
    step(&x, &f, 1 * S, &r); /* same serial: renewed, no transfer */
    CHECK_EQ(r.tcp, 0);
    CHECK_EQ(dns_xfrin_expire_in(&x, 1 * S), 1000);
    teardown(&x, &f);
}

static size_t notify_q(uint8_t *q, const char *name, uint16_t id)
{
    struct dns_writer w;
    uint8_t n[256];

    ta_name(name, NULL, n);
    dns_writer_init(&w, q, 512, id, DNS_OPCODE_NOTIFY << 11 | DNS_FLAG_AA);
    dns_writer_question(&w, n, DNS_TYPE_SOA, DNS_CLASS_IN);
    return dns_writer_finish(&w);
}

static void test_notify(void)
{
    struct dns_xfrin x, y, *set[2] = {&x, &y};
    struct fake f;
    struct run r = {.commit_ok = true};
    uint8_t q[512], resp[512], o2[256];
    struct tb_addr other;
    bool marked;
    size_t n, len;

    setup(&x, &f);
    ta_name("b.test.", NULL, o2);
    REQUIRE(dns_xfrin_init(&y, o2, &f.addr, 1, &conf, 1, &ta) == 0);
    dns_xfrin_sort(set, 2);
    CHECK(set[0] == &y); /* b.test < example.test */
    step(&x, &f, 1 * S, &r);
    CHECK_EQ(r.udp, 1);
    /* from the primary's address, another port: NOERROR, AA */
    struct tb_addr from = f.addr;
    from.port = 40000;
    n = notify_q(q, "Example.Test.", 0x1234);
    len = dns_xfrin_notify_in(set, 2, &from, q, n, resp, sizeof(resp), &marked);
    CHECK_EQ(len, n);
    CHECK(marked);
    CHECK_EQ(tb_get16(resp), 0x1234);
    CHECK_EQ(tb_get16(resp + 2), DNS_FLAG_QR | DNS_OPCODE_NOTIFY << 11 |
                                     DNS_FLAG_AA | DNS_RCODE_NOERROR);
    CHECK_MEM(resp + 12, q + 12, n - 12); /* question echoed, case kept */
    CHECK_EQ(dns_xfrin_deadline(&x), 0);
    step(&x, &f, 2 * S, &r);
    CHECK_EQ(r.udp, 2); /* refreshed at once */
    /* a stranger: REFUSED, no mark */
    other = f.addr;
    other.ip[3] = 9;
    len =
        dns_xfrin_notify_in(set, 2, &other, q, n, resp, sizeof(resp), &marked);
    CHECK_EQ(len, n);
    CHECK(!marked);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_REFUSED);
    CHECK(!(tb_get16(resp + 2) & DNS_FLAG_AA));
    /* not a secondary zone, a plain query: left to the engine */
    n = notify_q(q, "other.test.", 1);
    CHECK_EQ(
        dns_xfrin_notify_in(set, 2, &from, q, n, resp, sizeof(resp), &marked),
        0);
    n = ta_query(q, "example.test.", DNS_TYPE_SOA, DNS_CLASS_IN, -1, false);
    CHECK_EQ(
        dns_xfrin_notify_in(set, 2, &from, q, n, resp, sizeof(resp), &marked),
        0);
    /* find: longest match */
    uint8_t nm[256];
    ta_name("a.b.example.test.", NULL, nm);
    CHECK(dns_xfrin_find(set, 2, nm) == &x);
    ta_name("test.", NULL, nm);
    CHECK(dns_xfrin_find(set, 2, nm) == NULL);
    dns_xfrin_free(&y);
    teardown(&x, &f);
}

/* Through the service core: NOTIFY answered and flagged for the driver;
 * a query inside a secondary zone that is not served gets SERVFAIL. */
static void test_srv_core(void)
{
    struct dns_xfrin x, *set[1] = {&x};
    struct fake f;
    struct dns_zoneset *zs;
    struct dns_srv_conf sc = {0};
    struct dns_srv srv;
    uint8_t q[512], resp[1232];
    size_t n, len;

    setup(&x, &f);
    REQUIRE(dns_zoneset_build(&zs, NULL, NULL, 0, NULL, &ta) == 0);
    dns_srv_init(&srv, zs, &sc);
    srv.xfrin = set;
    srv.nxfrin = 1;
    n = ta_query(q, "www.Example.test.", DNS_TYPE_A, DNS_CLASS_IN, 1232, false);
    len = dns_srv_udp(&srv, &f.addr, q, n, resp, sizeof(resp), 1);
    REQUIRE(len >= 12);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_SERVFAIL);
    CHECK_EQ(tb_get16(resp + 4), 1);
    CHECK_EQ(tb_get16(resp + 10), 0);
    CHECK_EQ(len, 12 + 18 + 4); /* the question alone */
    CHECK_EQ(srv.st.auth.servfail, 1);
    CHECK_EQ(srv.st.auth.refused, 0);
    n = ta_query(q, "www.other.test.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    len = dns_srv_udp(&srv, &f.addr, q, n, resp, sizeof(resp), 1);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_REFUSED);
    CHECK(!srv.notified);
    n = notify_q(q, "example.test.", 7);
    len = dns_srv_udp(&srv, &f.addr, q, n, resp, sizeof(resp), 1);
    CHECK_EQ(len, n);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_NOERROR);
    CHECK(tb_get16(resp + 2) & DNS_FLAG_AA);
    CHECK(srv.notified);
    CHECK_EQ(dns_xfrin_deadline(&x), 0);
    dns_zoneset_free(zs, &ta);

    /* Served: a refused AXFR (no allow-transfer) stays REFUSED, and so
     * does a refused class; answers are the engine's. */
    static const char *const lines[] = {
        "@ 3600 SOA ns1 hostmaster 1 100 10 1000 60", "@ 3600 NS ns1",
        "ns1 3600 A 192.0.2.1", NULL};
    size_t blen;
    uint8_t *blob = ta_zone("example.test.", lines, &blen);
    const void *b = blob;
    REQUIRE(dns_zoneset_build(&zs, &b, &blen, 1, NULL, &ta) == 0);
    srv.zs = zs;
    n = ta_query(q, "example.test.", DNS_TYPE_IXFR, DNS_CLASS_IN, -1, false);
    size_t tl = dns_srv_udp(&srv, &f.addr, q, n, resp, sizeof(resp), 1);
    CHECK(tl >= 12);
    CHECK(DNS_RCODE(tb_get16(resp + 2)) != DNS_RCODE_SERVFAIL);
    n = ta_query(q, "example.test.", DNS_TYPE_TXT, DNS_CLASS_CH, -1, false);
    dns_srv_udp(&srv, &f.addr, q, n, resp, sizeof(resp), 1);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_REFUSED);
    n = ta_query(q, "ns1.example.test.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    dns_srv_udp(&srv, &f.addr, q, n, resp, sizeof(resp), 1);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_NOERROR);
    CHECK_EQ(tb_get16(resp + 6), 1);
    dns_zoneset_free(zs, &ta);
    free(blob);
    teardown(&x, &f);
}

/* TSIG (RFC 8945): signed queries, verified answers; a primary with
 * another secret, and a stream whose last message is unsigned, give no
 * zone. */
static void test_tsig(void)
{
    static const uint8_t kname[] = "\3xfr\3key";
    struct dns_tsig_key good, other;
    struct dns_tsig_keyring kr;
    struct dns_xfrin_conf c = conf;

    REQUIRE(dns_tsig_key_init(&good, kname, sizeof(kname), DNS_TSIG_HMAC_SHA256,
                              (const uint8_t *)"0123456789abcdef", 16) == 0);
    REQUIRE(dns_tsig_key_init(&other, kname, sizeof(kname),
                              DNS_TSIG_HMAC_SHA256,
                              (const uint8_t *)"fedcba9876543210", 16) == 0);
    dns_tsig_keyring_init(&kr, &good, 1);
    c.unix_offset_s = (int64_t)UNIX0;
    c.tsig_sign = dns_tsig_sign_request;
    c.tsig_verify = dns_tsig_verify_response;
    for (int mode = 0; mode < 4; mode++) {
        struct dns_xfrin x;
        struct fake f;
        struct run r = {.commit_ok = true};
        setup(&x, &f);
        x.conf = &c;
        c.key[0] = mode == 1 ? &other : mode == 3 ? NULL : &good;
        f.kr = &kr;
        f.per_msg = 2;
        f.sign_last_only = mode == 2; /* in fact: the first only */
        step(&x, &f, 1 * S, &r);
        if (mode == 0) {
            CHECK_EQ(r.zones, 1);
            CHECK_EQ(f.bad_queries, 0);
            CHECK(dns_xfrin_serving(&x));
        } else {
            CHECK_EQ(r.zones, 0);
            CHECK(!dns_xfrin_serving(&x));
            CHECK(f.bad_queries > 0 || mode == 2);
        }
        teardown(&x, &f);
    }
    dns_tsig_key_wipe(&good);
    dns_tsig_key_wipe(&other);
}

/* Primary 1 never answers: after its tries the second one is asked;
 * an answer from the right address but another port is ignored. */
static void test_failover_and_spoof(void)
{
    struct dns_xfrin x;
    struct fake f;
    struct run r = {.commit_ok = true};
    struct tb_addr p[2];
    uint64_t t = 1 * S;

    setup(&x, &f);
    dns_xfrin_free(&x);
    p[0] = f.addr;
    p[0].port = 1; /* nobody */
    p[1] = f.addr;
    REQUIRE(dns_xfrin_init(&x, origin, p, 2, &conf, 5, &ta) == 0);
    f.spoof = true;
    for (int i = 0; i < 10 && r.zones == 0; i++, t += S)
        step(&x, &f, t, &r);
    CHECK_EQ(r.dead, 2); /* udp_tries to primary 1 */
    CHECK_EQ(f.spoofed, 1);
    CHECK_EQ(r.zones, 1);
    CHECK_EQ(dns_xfrin_serial(&x), 1);
    teardown(&x, &f);
}

/* The first primary's transfer is broken: the second is asked at once,
 * not after the retry interval. */
static void test_failover_broken_transfer(void)
{
    struct dns_xfrin x;
    struct fake f;
    struct run r = {.commit_ok = true};
    struct tb_addr p[2];

    setup(&x, &f);
    dns_xfrin_free(&x);
    p[0] = f.addr;
    p[0].port = 5399;
    p[1] = f.addr;
    f.bad_port = 5399;
    REQUIRE(dns_xfrin_init(&x, origin, p, 2, &conf, 5, &ta) == 0);
    step(&x, &f, 1 * S, &r); /* one poll turn, same time: no timer */
    CHECK_EQ(f.axfrs, 2);
    CHECK_EQ(r.zones, 1);
    CHECK_EQ(dns_xfrin_serial(&x), 1);
    /* Both broken: the retry interval, from the first primary again. */
    fake_version(&f, 2, NULL);
    f.addr.port = 5398; /* the good one gone too */
    for (uint64_t t = 101 * S; t < 105 * S; t += S / 2)
        step(&x, &f, t, &r);
    CHECK_EQ(dns_xfrin_serial(&x), 1);
    CHECK(dns_xfrin_deadline(&x) >= 112 * S); /* retry 10 s after */
    teardown(&x, &f);
}

/* bug: xfr_rx_new() left (incremental) as the allocator found it (it
 * sits after the zeroed part of struct dns_xfrin_rx): an AXFR received
 * into reused memory was taken for an IXFR with no zone to apply it to
 * and failed (tibra-dnsd, a catalog member added after a reload).  Every
 * allocation poisoned: the AXFR still gives the zone. */
static void *poison_alloc(void *ctx, size_t n)
{
    void *p = malloc(n ? n : 1);
    (void)ctx;
    if (p != NULL)
        memset(p, 0xa5, n ? n : 1);
    return p;
}
static void *poison_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    (void)o;
    return realloc(p, n ? n : 1);
}
static void poison_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    (void)n;
    free(p);
}

static void bug_rx_uninit(void)
{
    static const struct tb_alloc pa = {poison_alloc, poison_realloc,
                                       poison_free, NULL};
    struct dns_xfrin x;
    struct fake f;
    struct run r = {.commit_ok = true};

    setup(&x, &f);
    dns_xfrin_free(&x);
    REQUIRE(dns_xfrin_init(&x, origin, &f.addr, 1, &conf, 42, &pa) == 0);
    step(&x, &f, 1 * S, &r);
    CHECK_EQ(f.axfrs, 1);
    CHECK_EQ(r.zones, 1);
    CHECK_EQ(dns_xfrin_serial(&x), 1);
    teardown(&x, &f);
}

/* A primary that refuses SOA queries over UDP (Knot, for the catalogs
 * it generates): asked over TCP at once, then over TCP only; one that
 * does not answer over UDP at all: TCP after the UDP tries; a primary
 * without TCP either: the next primary, then the retry interval. */
static void test_soa_over_tcp(void)
{
    struct dns_xfrin x;
    struct fake f;
    struct run r = {.commit_ok = true};
    uint64_t t = 1 * S;

    setup(&x, &f);
    f.refuse_udp = true;
    step(&x, &f, t, &r);
    CHECK_EQ(r.udp, 1); /* REFUSED: no second UDP try */
    CHECK_EQ(f.tcp_soas, 1);
    CHECK_EQ(r.zones, 1);
    CHECK_EQ(f.axfrs, 1);
    CHECK_EQ(dns_xfrin_serial(&x), 1);
    /* The next refresh asks over TCP only, and an IXFR follows. */
    fake_version(&f, 2, "new 300 A 192.0.2.2");
    r.udp = 0;
    step(&x, &f, 101 * S, &r);
    CHECK_EQ(r.udp, 0);
    CHECK_EQ(f.tcp_soas, 2);
    CHECK_EQ(r.zones, 2);
    CHECK_EQ(dns_xfrin_serial(&x), 2);
    CHECK(has(&x, "new", DNS_TYPE_A));
    /* Unchanged: renewed over TCP, no transfer. */
    r.fresh = 0;
    step(&x, &f, 201 * S, &r);
    CHECK_EQ(f.tcp_soas, 3);
    CHECK_EQ(r.fresh, 1);
    CHECK_EQ(r.zones, 2);
    teardown(&x, &f);

    /* Every UDP try lost: the same query over TCP, then the AXFR. */
    memset(&r, 0, sizeof(r));
    r.commit_ok = true;
    setup(&x, &f);
    f.drop_udp = 100;
    for (int i = 0; i < 6 && r.zones == 0; i++, t += S)
        step(&x, &f, i * S + S, &r);
    CHECK_EQ(r.udp, 2); /* udp_tries */
    CHECK_EQ(f.tcp_soas, 1);
    CHECK_EQ(r.zones, 1);
    /* Not remembered as TCP-only (UDP was lost, not refused). */
    r.udp = 0;
    f.drop_udp = 0;
    step(&x, &f, 200 * S, &r);
    CHECK_EQ(r.udp, 1);
    CHECK_EQ(f.tcp_soas, 1);
    teardown(&x, &f);

    /* No UDP answer and no TCP: the retry interval, still serving. */
    memset(&r, 0, sizeof(r));
    r.commit_ok = true;
    setup(&x, &f);
    step(&x, &f, 1 * S, &r);
    CHECK_EQ(r.zones, 1);
    f.refuse_udp = true;
    f.no_tcp = true;
    r.logs = 0;
    step(&x, &f, 101 * S, &r);
    CHECK(r.logs >= 2); /* refused over UDP; closed over TCP */
    CHECK(dns_xfrin_deadline(&x) >= 111 * S);
    CHECK(dns_xfrin_serving(&x));
    teardown(&x, &f);
}

int main(void)
{
    RUN(test_axfr_every_cut);
    RUN(test_refresh_unchanged_then_ixfr);
    RUN(test_ixfr_fallbacks);
    RUN(test_lost_datagrams);
    RUN(test_broken_transfers_keep_old);
    RUN(test_serial_wrap);
    RUN(test_expiry);
    RUN(test_restore);
    RUN(test_notify);
    RUN(test_srv_core);
    RUN(test_tsig);
    RUN(test_failover_and_spoof);
    RUN(test_failover_broken_transfer);
    RUN(test_soa_over_tcp);
    RUN(bug_rx_uninit);
    return check_done();
}
