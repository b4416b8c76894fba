/*
 * xfrin.c -- secondary zones (dns/xfrin.h): the per-zone state machine
 * that keeps a copy of a primary's zone (RFC 1034 4.3.5), polled with the
 * time, and NOTIFY in (RFC 1996) for the service core.
 *
 *   IDLE --refresh due / NOTIFY--> SOA (UDP, retries, each primary)
 *     (no answer, or one without the SOA --> SOA_TCP: the same query
 *     over TCP, once per primary, as BIND does)
 *     --newer serial--> XFR (TCP: IXFR, or AXFR; xfrin_rx.c parses)
 *     --complete--> ZONE (the driver compiles and publishes) --> IDLE
 *
 * No I/O and no clock of its own: dns_xfrin_poll() returns what the
 * driver must do, inputs come back through dns_xfrin_udp_input() and the
 * TCP calls.  A failure anywhere leaves the current version as it is.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tibra/dns/serial.h>

#include "xfrin_int.h"

#define NS_PER_S  1000000000ull
#define NS_PER_MS 1000000ull

enum {
    ST_IDLE = 0, /* waiting for the refresh (or retry) time */
    ST_SOA, /* SOA query sent, waiting for the answer */
    ST_CONNECT, /* a transfer is to be opened (next poll: TCP) */
    ST_XFR, /* receiving the transfer */
    ST_ZONE, /* a new version waits for dns_xfrin_commit() */
    ST_SOA_TCP /* SOA query sent over TCP, waiting for the answer */
};

/* Without an SOA (no zone yet), retry this often (bounded by the conf). */
#define XFRIN_FIRST_RETRY_S 10

static uint32_t bound(uint32_t v, uint32_t lo, uint32_t hi)
{
    if (v < lo)
        v = lo;
    if (hi != 0 && v > hi)
        v = hi;
    return v;
}

static uint32_t udp_tries(const struct dns_xfrin *x)
{
    return x->conf->udp_tries ? x->conf->udp_tries : 3;
}

static uint64_t udp_timeout(const struct dns_xfrin *x)
{
    return (x->conf->udp_timeout_ms ? x->conf->udp_timeout_ms : 2000) *
           NS_PER_MS;
}

static uint64_t tcp_timeout(const struct dns_xfrin *x)
{
    return (x->conf->tcp_timeout_ms ? x->conf->tcp_timeout_ms : 10000) *
           NS_PER_MS;
}

static uint16_t next_id(struct dns_xfrin *x)
{
    /* xorshift32: unpredictable enough with a secret seed for a query ID
     * (the reply must also come from the primary's address and port). */
    uint32_t r = x->rng;
    r ^= r << 13;
    r ^= r >> 17;
    r ^= r << 5;
    x->rng = r;
    return (uint16_t)(r >> 8);
}

static void logf_(struct dns_xfrin *x, const char *fmt, ...) TB_PRINTF(2, 3);
static void logf_(struct dns_xfrin *x, const char *fmt, ...)
{
    va_list ap;

    if (x->has_msg)
        return; /* one line per poll; the first reason is the one */
    va_start(ap, fmt);
    vsnprintf(x->msg, sizeof(x->msg), fmt, ap);
    va_end(ap);
    x->has_msg = true;
}

/* The SOA of the current version (sorted: at the apex, near the start). */
static const struct dns_zrr *cur_soa(const struct dns_xfrin *x)
{
    for (size_t i = 0; i < x->cur.nrr; i++) {
        const struct dns_zrr *r = &x->cur.rr[i];
        if (!dns_name_equal(dns_zrr_owner(&x->cur, r), x->origin))
            break;
        if (r->type == DNS_TYPE_SOA)
            return r;
    }
    return NULL;
}

/* Timers from the current version's SOA, within the configured bounds. */
static void set_timers(struct dns_xfrin *x)
{
    const struct dns_xfrin_conf *c = x->conf;
    const struct dns_zrr *soa = cur_soa(x);
    uint32_t serial, refresh = 3600, retry = 600, expire = 604800;

    if (soa != NULL)
        xfr_soa_fields(dns_zrr_rdata(&x->cur, soa), soa->rdlen, &serial,
                       &refresh, &retry, &expire);
    x->refresh = bound(refresh, c->refresh_min, c->refresh_max);
    x->retry = bound(retry, c->retry_min, c->retry_max);
    x->expire = bound(expire, c->expire_min, c->expire_max);
    if (x->expire < x->refresh) /* RFC 1912 2.2: expire > refresh */
        x->expire = x->refresh;
}

int dns_xfrin_init(struct dns_xfrin *x, const uint8_t *origin,
                   const struct tb_addr *primary, unsigned nprimary,
                   const struct dns_xfrin_conf *conf, uint64_t seed,
                   const struct tb_alloc *a)
{
    memset(x, 0, sizeof(*x));
    if (nprimary == 0 || nprimary > DNS_XFRIN_PRIMARIES_MAX)
        return TB_EINVAL;
    x->origin_len = dns_name_len(origin);
    memcpy(x->origin, origin, x->origin_len);
    dns_name_lower(x->origin);
    memcpy(x->primary, primary, nprimary * sizeof(*primary));
    x->nprimary = nprimary;
    x->conf = conf;
    x->a = a;
    x->rng = (uint32_t)(seed ^ (seed >> 32)) | 1;
    x->state = ST_IDLE;
    x->t_next = 0;
    x->retry = bound(XFRIN_FIRST_RETRY_S, conf->retry_min, conf->retry_max);
    dns_zone_src_init(&x->cur, origin, a);
    return 0;
}

static void drop_transfer(struct dns_xfrin *x)
{
    xfr_rx_free(x->rx);
    x->rx = NULL;
    if (x->rbuf != NULL)
        tb_free(x->a, x->rbuf, 2 + DNS_MSG_MAXLEN);
    x->rbuf = NULL;
    x->rlen = 0;
}

void dns_xfrin_free(struct dns_xfrin *x)
{
    drop_transfer(x);
    dns_zone_src_free(&x->cur);
}

int dns_xfrin_restore(struct dns_xfrin *x, struct dns_zone_src *z,
                      uint32_t expire_in_s, uint64_t now)
{
    struct dns_zone_src old = x->cur;
    const struct dns_zrr *soa;

    x->cur = *z;
    soa = cur_soa(x);
    if (soa == NULL || !xfr_soa_fields(dns_zrr_rdata(&x->cur, soa), soa->rdlen,
                                       &x->serial, NULL, NULL, NULL)) {
        x->cur = old;
        return TB_EINVAL;
    }
    dns_zone_src_free(&old);
    dns_zone_src_init(z, x->origin, x->a);
    x->have_zone = true;
    set_timers(x);
    x->expired = expire_in_s == 0;
    x->reported_expiry = x->expired;
    x->t_expire = now + (uint64_t)expire_in_s * NS_PER_S;
    x->t_next = now;
    return 0;
}

/* The primary has our serial (RFC 1034 4.3.5): the zone is fresh for
 * another expire interval, also when it had expired (the data is the
 * primary's current version). */
static void renewed(struct dns_xfrin *x, uint64_t now)
{
    x->state = ST_IDLE;
    x->t_next = now + (uint64_t)x->refresh * NS_PER_S;
    x->t_expire = now + (uint64_t)x->expire * NS_PER_S;
    if (x->expired)
        logf_(x, "the primary still has serial %u: serving it again",
              x->serial);
    x->expired = false;
    x->pending_fresh = true;
}

/* An attempt failed: keep what we have, try again after the retry time. */
static void failed(struct dns_xfrin *x, uint64_t now)
{
    if (x->state == ST_XFR || x->state == ST_CONNECT)
        x->pending_close = x->state == ST_XFR;
    drop_transfer(x);
    x->state = ST_IDLE;
    x->soa_tcp = false;
    if (x->cur_primary + 1 < x->nprimary) {
        /* The next primary may do better (a broken or cut transfer, a
         * timeout): ask it at once; the retry interval is for when every
         * primary has failed. */
        x->next_primary = x->cur_primary + 1;
        x->t_next = now;
        return;
    }
    x->next_primary = 0;
    x->t_next = now + (uint64_t)x->retry * NS_PER_S;
}

/* Writes the SOA query (UDP) or the transfer query (TCP, framed). */
static uint64_t unix_now(const struct dns_xfrin *x, uint64_t now)
{
    return (uint64_t)((int64_t)(now / NS_PER_S) + x->conf->unix_offset_s);
}

static const struct dns_tsig_key *cur_key(const struct dns_xfrin *x)
{
    return x->conf->key[x->cur_primary];
}

/* Checks the TSIG of one answer of a keyed exchange (RFC 8945 5.3.1). */
static bool tsig_ok(struct dns_xfrin *x, const uint8_t *msg, size_t len,
                    uint64_t now)
{
    int r;

    if (cur_key(x) == NULL)
        return true;
    if (x->conf->tsig_verify == NULL)
        return x->tsig_last_ok = false;
    r = x->conf->tsig_verify(&x->tsig, msg, len, unix_now(x, now));
    x->tsig_last_ok = r == DNS_TSIG_VERIFIED;
    return r == DNS_TSIG_VERIFIED || r == DNS_TSIG_UNSIGNED;
}

static void build_query(struct dns_xfrin *x, uint16_t qtype, bool framed,
                        uint64_t now)
{
    struct dns_writer w;
    uint8_t *p = framed ? x->out + 2 : x->out;
    size_t cap = sizeof(x->out) - 2;

    x->id = next_id(x);
    dns_writer_init(&w, p, cap - DNS_TSIG_RR_MAX, x->id, 0);
    dns_writer_question(&w, x->origin, qtype, DNS_CLASS_IN);
    if (qtype == DNS_TYPE_IXFR) {
        /* RFC 1995 3: our SOA in the authority section. */
        const struct dns_zrr *soa = cur_soa(x);
        dns_writer_section(&w, DNS_SEC_AUTHORITY);
        /* Two names of at most 255 bytes and 20: it always fits. */
        if (soa != NULL)
            (void)dns_writer_rr(&w, x->origin, DNS_TYPE_SOA, DNS_CLASS_IN,
                                soa->ttl, dns_zrr_rdata(&x->cur, soa),
                                soa->rdlen);
    }
    x->out_len = dns_writer_finish(&w);
    if (cur_key(x) != NULL && x->conf->tsig_sign != NULL) {
        /* RFC 8945 5.1: the last RR, signed */
        size_t n = x->conf->tsig_sign(&x->tsig, cur_key(x), p, x->out_len, cap,
                                      unix_now(x, now));
        if (ALWAYS(n != 0))
            x->out_len = n;
        x->tsig_last_ok = false;
    }
    if (framed) {
        tb_put16(x->out, (uint16_t)x->out_len);
        x->out_len += 2;
    }
}

static enum dns_xfrin_act send_soa(struct dns_xfrin *x, uint64_t now,
                                   struct dns_xfrin_io *io)
{
    build_query(x, DNS_TYPE_SOA, false, now);
    x->state = ST_SOA;
    x->t_timeout = now + udp_timeout(x);
    io->act = DNS_XFRIN_UDP;
    io->peer = &x->primary[x->cur_primary];
    io->out = x->out;
    io->out_len = x->out_len;
    return io->act;
}

/* The SOA query over TCP (framed; the answer comes through the TCP
 * calls into rbuf). */
static enum dns_xfrin_act send_soa_tcp(struct dns_xfrin *x, uint64_t now,
                                       struct dns_xfrin_io *io)
{
    x->soa_tcp = true;
    if (x->rbuf == NULL)
        x->rbuf = tb_alloc(x->a, 2 + DNS_MSG_MAXLEN);
    if (x->rbuf == NULL) {
        logf_(x, "out of memory for an SOA query over TCP");
        failed(x, now);
        return dns_xfrin_poll(x, now, io);
    }
    x->rlen = 0;
    build_query(x, DNS_TYPE_SOA, true, now);
    x->state = ST_SOA_TCP;
    x->t_timeout = now + tcp_timeout(x);
    io->act = DNS_XFRIN_TCP;
    io->peer = &x->primary[x->cur_primary];
    io->out = x->out;
    io->out_len = x->out_len;
    return io->act;
}

/* Asks the current primary's SOA: over TCP if it refuses UDP. */
static enum dns_xfrin_act ask_soa(struct dns_xfrin *x, uint64_t now,
                                  struct dns_xfrin_io *io)
{
    x->tries = 0;
    x->soa_tcp = false;
    x->soa_udp_refused = false;
    if (x->soa_tcp_only & (1u << x->cur_primary))
        return send_soa_tcp(x, now, io);
    return send_soa(x, now, io);
}

/* The TCP SOA exchange with the current primary failed: on to the next
 * primary (through ST_SOA's timeout, which sees soa_tcp). */
static void soa_tcp_failed(struct dns_xfrin *x, uint64_t now, bool close)
{
    drop_transfer(x);
    x->pending_close = close;
    x->state = ST_SOA;
    x->tries = udp_tries(x);
    x->t_timeout = now;
}

static enum dns_xfrin_act open_transfer(struct dns_xfrin *x, uint64_t now,
                                        struct dns_xfrin_io *io)
{
    uint16_t qtype;

    x->ixfr = x->have_zone && !x->want_axfr && cur_soa(x) != NULL;
    qtype = x->ixfr ? DNS_TYPE_IXFR : DNS_TYPE_AXFR;
    build_query(x, qtype, true, now);
    x->rx = xfr_rx_new(x->origin, x->id, qtype, x->serial, x->conf->max_records,
                       x->a);
    x->rbuf = tb_alloc(x->a, 2 + DNS_MSG_MAXLEN);
    if (x->rx == NULL || x->rbuf == NULL) {
        logf_(x, "out of memory for a transfer");
        failed(x, now);
        return dns_xfrin_poll(x, now, io);
    }
    x->rlen = 0;
    x->state = ST_XFR;
    x->t_timeout = now + tcp_timeout(x);
    io->act = DNS_XFRIN_TCP;
    io->peer = &x->primary[x->cur_primary];
    io->out = x->out;
    io->out_len = x->out_len;
    return io->act;
}

enum dns_xfrin_act dns_xfrin_poll(struct dns_xfrin *x, uint64_t now,
                                  struct dns_xfrin_io *io)
{
    memset(io, 0, sizeof(*io));
    if (x->pending_close) {
        x->pending_close = false;
        return io->act = DNS_XFRIN_CLOSE;
    }
    if (x->has_msg) {
        x->has_msg = false;
        io->msg = x->msg;
        return io->act = DNS_XFRIN_LOG;
    }
    if (x->pending_fresh) {
        x->pending_fresh = false;
        return io->act = DNS_XFRIN_FRESH;
    }
    if (x->have_zone && !x->expired && now >= x->t_expire) {
        x->expired = true;
        logf_(x,
              "expired: no successful refresh for %u s (the SOA's "
              "expire); answering SERVFAIL until a transfer succeeds",
              x->expire);
        return dns_xfrin_poll(x, now, io);
    }
    switch (x->state) {
    case ST_IDLE:
        if (__atomic_exchange_n(&x->notify_mark, 0, __ATOMIC_ACQ_REL))
            x->t_next = now;
        if (now < x->t_next)
            break;
        x->cur_primary = x->next_primary;
        x->next_primary = 0;
        return ask_soa(x, now, io);
    case ST_SOA:
        if (now < x->t_timeout)
            break;
        if (!x->soa_tcp && ++x->tries < udp_tries(x))
            return send_soa(x, now, io);
        if (!x->soa_tcp) /* UDP gave nothing: TCP once (as BIND does) */
            return send_soa_tcp(x, now, io);
        if (++x->cur_primary < x->nprimary)
            return ask_soa(x, now, io);
        x->soa_tcp = false;
        logf_(x, "no answer to the SOA query from %s; retrying in %u s",
              x->nprimary == 1 ? "the primary" : "any primary", x->retry);
        failed(x, now);
        return dns_xfrin_poll(x, now, io);
    case ST_SOA_TCP:
        if (now < x->t_timeout)
            break;
        soa_tcp_failed(x, now, true);
        return dns_xfrin_poll(x, now, io);
    case ST_CONNECT:
        return open_transfer(x, now, io);
    case ST_XFR:
        if (now < x->t_timeout)
            break;
        logf_(x, "transfer timed out; retrying in %u s", x->retry);
        failed(x, now);
        return dns_xfrin_poll(x, now, io);
    case ST_ZONE:
        io->msg =
            x->ixfr && x->rx != NULL && x->rx->incremental ? "IXFR" : "AXFR";
        return io->act = DNS_XFRIN_ZONE;
    }
    return io->act = DNS_XFRIN_NONE;
}

uint64_t dns_xfrin_deadline(const struct dns_xfrin *x)
{
    uint64_t t = UINT64_MAX;

    if (x->pending_close || x->has_msg || x->pending_fresh)
        return 0;
    switch (x->state) {
    case ST_IDLE:
        if (__atomic_load_n(&x->notify_mark, __ATOMIC_ACQUIRE))
            return 0;
        t = x->t_next;
        break;
    case ST_SOA:
    case ST_SOA_TCP:
    case ST_XFR:
        t = x->t_timeout;
        break;
    case ST_CONNECT:
    case ST_ZONE:
        return 0;
    default:
        break;
    }
    if (x->have_zone && !x->expired && x->t_expire < t)
        t = x->t_expire;
    return t;
}

static bool same_peer(const struct tb_addr *a, const struct tb_addr *b)
{
    return a->af == b->af && a->port == b->port &&
           memcmp(a->ip, b->ip, sizeof(a->ip)) == 0;
}

/* Results of soa_answer(). */
enum { SOA_IGNORED, SOA_USED, SOA_NONE, SOA_BADSIG };

/*
 * An answer (buf, len) to the SOA query of the current exchange, over
 * UDP or TCP: SOA_IGNORED when it is not that answer (RFC 5452 9.1),
 * SOA_BADSIG when it fails TSIG (logged), SOA_NONE when it has no
 * authoritative SOA (logged), SOA_USED when the state moved on (a
 * transfer to open, or the zone renewed).
 */
static int soa_answer(struct dns_xfrin *x, const uint8_t *buf, size_t len,
                      uint64_t now)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    uint32_t serial;
    bool found = false;

    if (dns_msg_parse(&m, buf, len) != 0 || m.id != x->id ||
        !(m.flags & DNS_FLAG_QR) || DNS_OPCODE(m.flags) != DNS_OPCODE_QUERY ||
        m.count[DNS_SEC_QUESTION] != 1)
        return SOA_IGNORED;
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    dns_rr_next(&it, &rr);
    if (!dns_name_equal(rr.owner, x->origin) || rr.type != DNS_TYPE_SOA ||
        rr.rclass != DNS_CLASS_IN)
        return SOA_IGNORED;
    if (!tsig_ok(x, buf, len, now) || (cur_key(x) && !x->tsig_last_ok)) {
        /* Not authentic: as if lost (a forger must not stop the refresh),
         * but said, since a wrong key never heals by itself. */
        logf_(x, "SOA answer from primary %u fails TSIG (error %u)",
              x->cur_primary + 1, x->tsig.error);
        return SOA_BADSIG;
    }
    while (!found && dns_rr_next(&it, &rr) && rr.section == DNS_SEC_ANSWER) {
        uint8_t rd[2 * DNS_NAME_MAXLEN + 20];
        size_t rdlen;
        if (rr.type == DNS_TYPE_SOA && rr.rclass == DNS_CLASS_IN &&
            dns_name_equal(rr.owner, x->origin) &&
            dns_rdata_unpack(buf, len, rr.rdoff, rr.rdlen, DNS_TYPE_SOA, rd,
                             sizeof(rd), &rdlen) == 0 &&
            xfr_soa_fields(rd, rdlen, &serial, NULL, NULL, NULL))
            found = true;
    }
    if (DNS_RCODE(m.flags) != DNS_RCODE_NOERROR || !(m.flags & DNS_FLAG_AA) ||
        !found) {
        /* Over UDP it is followed by the same question over TCP. */
        logf_(x,
              "SOA query%s: primary %u answered without an "
              "authoritative SOA (rcode %u)%s",
              x->soa_tcp ? " over TCP" : "", x->cur_primary + 1,
              DNS_RCODE(m.flags), x->soa_tcp ? "" : "; asking over TCP");
        return SOA_NONE;
    }
    if (x->soa_tcp && x->soa_udp_refused &&
        !(x->soa_tcp_only & (1u << x->cur_primary))) {
        /* RFC 5936 leaves SOA over UDP optional for a primary: Knot
         * refuses it for catalogs.  Ask this one over TCP from now on. */
        x->soa_tcp_only |= (uint8_t)(1u << x->cur_primary);
        logf_(x,
              "primary %u answers the SOA over TCP only: asked over TCP "
              "from now on",
              x->cur_primary + 1);
    }
    x->remote_serial = serial;
    if (!x->have_zone || dns_serial_newer(serial, x->serial)) {
        x->want_axfr = !x->have_zone;
        x->state = ST_CONNECT;
        return SOA_USED;
    }
    if (dns_serial_cmp(serial, x->serial) != 0)
        logf_(x, "the primary has serial %u, older than ours (%u): kept",
              serial, x->serial);
    renewed(x, now);
    return SOA_USED;
}

void dns_xfrin_udp_input(struct dns_xfrin *x, const struct tb_addr *peer,
                         const uint8_t *buf, size_t len, uint64_t now)
{
    if (x->state != ST_SOA || x->soa_tcp || peer == NULL ||
        !same_peer(peer, &x->primary[x->cur_primary]))
        return; /* not the answer we wait for: ignore (RFC 5452 9.1) */
    if (soa_answer(x, buf, len, now) == SOA_NONE) {
        /* An answer, but no authoritative SOA: ask it over TCP now (a
         * primary may serve some zones over TCP only). */
        x->soa_udp_refused = true;
        x->tries = udp_tries(x);
        x->t_timeout = now;
    }
}

/* A whole message arrived over TCP for the SOA query. */
static void soa_tcp_input(struct dns_xfrin *x, const uint8_t *buf, size_t len,
                          uint64_t now)
{
    int r = soa_answer(x, buf, len, now);

    if (r == SOA_USED) {
        drop_transfer(x);
        x->pending_close = true;
        return;
    }
    if (r == SOA_IGNORED)
        logf_(x, "SOA query over TCP: primary %u answered something else",
              x->cur_primary + 1);
    soa_tcp_failed(x, now, true);
}

size_t dns_xfrin_tcp_rspace(struct dns_xfrin *x, uint8_t **p)
{
    if ((x->state != ST_XFR && x->state != ST_SOA_TCP) || x->rbuf == NULL)
        return 0;
    *p = x->rbuf + x->rlen;
    return 2 + DNS_MSG_MAXLEN - x->rlen;
}

/* The transfer ended with rx result (r). */
static void finish(struct dns_xfrin *x, int r, uint64_t now)
{
    const char *kind = x->ixfr ? "IXFR" : "AXFR";

    switch (r) {
    case XRX_R_DONE: {
        struct dns_zone_src out;
        r = xfr_rx_build(x->rx, x->have_zone ? &x->cur : NULL, &out);
        if (r == 0) {
            dns_zone_src_free(&x->rx->z);
            x->rx->z = out;
            x->pending_close = true;
            x->state = ST_ZONE;
            return;
        }
        finish(x, r, now);
        return;
    }
    case XRX_R_UPTODATE:
        drop_transfer(x);
        x->pending_close = true;
        renewed(x, now);
        return;
    case XRX_R_FALLBACK:
        if (x->ixfr) {
            logf_(x, "IXFR from serial %u: %s; asking for AXFR", x->serial,
                  x->rx->msg);
            drop_transfer(x);
            x->pending_close = true;
            x->want_axfr = true;
            x->state = ST_CONNECT;
            return;
        }
        /* FALLTHROUGH */
    default:
        if (x->cur_primary + 1 < x->nprimary)
            logf_(x,
                  "%s from primary %u failed: %s; keeping serial %u, "
                  "asking primary %u",
                  kind, x->cur_primary + 1, x->rx ? x->rx->msg : "?", x->serial,
                  x->cur_primary + 2);
        else
            logf_(x,
                  "%s from primary %u failed: %s; keeping serial %u, "
                  "retrying in %u s",
                  kind, x->cur_primary + 1, x->rx ? x->rx->msg : "?", x->serial,
                  x->retry);
        failed(x, now);
        x->pending_close = true;
    }
}

void dns_xfrin_tcp_received(struct dns_xfrin *x, size_t n, uint64_t now)
{
    uint32_t off = 0;

    if (x->state == ST_SOA_TCP &&
        ALWAYS(n <= 2 + DNS_MSG_MAXLEN - (size_t)x->rlen)) {
        x->rlen += (uint32_t)n;
        if (x->rlen >= 2 && x->rlen >= 2u + tb_get16(x->rbuf))
            soa_tcp_input(x, x->rbuf + 2, tb_get16(x->rbuf), now);
        return;
    }
    if (x->state != ST_XFR ||
        !ALWAYS(n <= 2 + DNS_MSG_MAXLEN - (size_t)x->rlen))
        return;
    x->rlen += (uint32_t)n;
    x->t_timeout = now + tcp_timeout(x);
    while (x->state == ST_XFR && x->rlen - off >= 2) {
        uint32_t mlen = tb_get16(x->rbuf + off);
        int r;
        if (x->rlen - off < 2 + mlen)
            break;
        if (!tsig_ok(x, x->rbuf + off + 2, mlen, now)) {
            snprintf(x->rx->msg, sizeof(x->rx->msg),
                     "TSIG verification failed (error %u)", x->tsig.error);
            finish(x, XRX_R_FAIL, now);
            break;
        }
        r = xfr_rx_msg(x->rx, x->rbuf + off + 2, mlen);
        if ((r == XRX_R_DONE || r == XRX_R_UPTODATE) && cur_key(x) != NULL &&
            !x->tsig_last_ok) { /* RFC 8945 5.3.1: the last is signed */
            snprintf(x->rx->msg, sizeof(x->rx->msg),
                     "the transfer's last message is not signed");
            r = XRX_R_FAIL;
        }
        off += 2 + mlen;
        if (r != 0)
            finish(x, r, now);
    }
    if (x->state == ST_XFR && off != 0) {
        memmove(x->rbuf, x->rbuf + off, x->rlen - off);
        x->rlen -= off;
    }
}

void dns_xfrin_tcp_closed(struct dns_xfrin *x, uint64_t now)
{
    if (x->state == ST_SOA_TCP) {
        logf_(x, "SOA query over TCP: primary %u closed the connection",
              x->cur_primary + 1);
        soa_tcp_failed(x, now, false); /* the driver closes it already */
        return;
    }
    if (x->state != ST_XFR)
        return;
    if (x->ixfr && x->rx->phase == XRX_SECOND) {
        /* One SOA, newer than ours, then the end: RFC 1995 4. */
        snprintf(x->rx->msg, sizeof(x->rx->msg),
                 "answered with only an SOA (serial %u)", x->rx->last);
        finish(x, XRX_R_FALLBACK, now);
    } else {
        if (x->rx->msg[0] == '\0')
            snprintf(x->rx->msg, sizeof(x->rx->msg),
                     "the connection ended before the transfer did");
        finish(x, XRX_R_FAIL, now);
    }
    x->pending_close = false; /* the driver closes it already */
}

const struct dns_zone_src *dns_xfrin_zone(const struct dns_xfrin *x)
{
    return x->state == ST_ZONE && x->rx != NULL ? &x->rx->z : NULL;
}

void dns_xfrin_commit(struct dns_xfrin *x, bool ok, uint64_t now)
{
    if (x->state != ST_ZONE)
        return;
    if (!ok) {
        logf_(x,
              "the transferred zone was not used; keeping serial %u, "
              "retrying in %u s",
              x->serial, x->retry);
        failed(x, now);
        x->pending_close = false;
        return;
    }
    dns_zone_src_free(&x->cur);
    x->cur = x->rx->z;
    dns_zone_src_init(&x->rx->z, x->origin, x->a);
    drop_transfer(x);
    x->have_zone = true;
    x->want_axfr = false;
    const struct dns_zrr *soa = cur_soa(x);
    if (ALWAYS(soa != NULL))
        xfr_soa_fields(dns_zrr_rdata(&x->cur, soa), soa->rdlen, &x->serial,
                       NULL, NULL, NULL);
    set_timers(x);
    x->expired = false;
    x->t_expire = now + (uint64_t)x->expire * NS_PER_S;
    x->t_next = now + (uint64_t)x->refresh * NS_PER_S;
    x->state = ST_IDLE;
}

const struct dns_zone_src *dns_xfrin_current(const struct dns_xfrin *x)
{
    return x->have_zone ? &x->cur : NULL;
}

bool dns_xfrin_idle(const struct dns_xfrin *x)
{
    return x->state == ST_IDLE && x->rx == NULL && x->rbuf == NULL &&
           !x->pending_close;
}

bool dns_xfrin_serving(const struct dns_xfrin *x)
{
    return x->have_zone && !x->expired;
}

uint32_t dns_xfrin_serial(const struct dns_xfrin *x)
{
    return x->have_zone ? x->serial : 0;
}

uint32_t dns_xfrin_expire_in(const struct dns_xfrin *x, uint64_t now)
{
    if (!dns_xfrin_serving(x) || now >= x->t_expire)
        return 0;
    return (uint32_t)((x->t_expire - now + NS_PER_S - 1) / NS_PER_S);
}
