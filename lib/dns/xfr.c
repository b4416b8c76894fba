/*
 * xfr.c -- outgoing zone transfers, AXFR (RFC 5936) and IXFR (RFC 1995),
 * as streams of messages a TCP session (srv.c) pulls one at a time:
 *
 *   query --dns_tcp_received--> dns_xfr_start (zone, allow-transfer,
 *   IXFR serial) --> dns_xfr_next() x N, each time the session's output
 *   buffer has room --> dns_tcp_output --> the driver's socket
 *
 * AXFR: the SOA, every other record of the blob's records section, the
 * SOA again.  IXFR: the current SOA, then each delta of the history from
 * the client's serial on (old SOA, deletions, new SOA, additions), then
 * the current SOA; a single SOA when the client is current; AXFR-style
 * when the history does not reach back (RFC 1995 4).  Messages are
 * written with name compression (wire_write.c) and closed past
 * DNS_XFR_MSG_TARGET bytes; the question and, when the request had one,
 * an OPT go into every message (as Knot does).
 *
 * No allocation, no I/O: the state lives in struct dns_xfr_out, pointing
 * into the published zone set and history, and a transfer is cut when
 * the driver publishes another one ((struct dns_srv).zs_gen changes), so
 * nothing is read after it may have been freed.  TSIG (RFC 8945): a
 * signed request is verified against the published key set (srv.keys)
 * before the allow-transfer check, which may require a key, and then
 * every message of the stream is signed, each with the previous MAC
 * (5.3.1); a request whose TSIG fails is left to the engine's path
 * (srv.c, tsig.c), which answers the TSIG error.  IXFR over UDP: srv.c.
 */
#include <tibra/dns/serial.h>
#include <tibra/dns/srv.h>

#include "zoneset.h"

enum {
    XS_NONE = 0,
    XS_SOA1, /* the first SOA */
    XS_AXFR, /* the records section, SOA skipped */
    XS_IXFR, /* the deltas hist[di..] */
    XS_SOA2, /* the last SOA */
    XS_CUT, /* the zone set changed: close */
    XS_REFUSE /* a refused IXFR: the engine's answer to its question */
};

bool dns_xfr_active(const struct dns_xfr_out *x)
{
    return x->state != XS_NONE && x->state != XS_CUT;
}

bool dns_xfr_cut(const struct dns_xfr_out *x)
{
    return x->state == XS_CUT;
}

/* An entry naming a key matches only a request signed with that key
 * ((key) NULL: unsigned). */
static bool acl_allows(const struct dns_xfr_zone *xz,
                       const struct tb_addr *peer,
                       const struct dns_tsig_key *key)
{
    for (size_t i = 0; i < xz->nallow; i++) {
        const uint8_t *k = xz->allow[i].key;
        if (k != NULL && (key == NULL || key->name_len != dns_name_len(k) ||
                          memcmp(key->name, k, key->name_len) != 0))
            continue;
        if (dns_acl_match(&xz->allow[i], peer))
            return true;
    }
    return false;
}

/* The zone of (zs) whose origin is exactly (name, len), or NULL. */
static const struct zdb *zone_at(const struct dns_zoneset *zs,
                                 const uint8_t *name, size_t len)
{
    for (size_t i = 0; i < zs->n; i++)
        if (zs->z[i].olen == len && memcmp(zs->z[i].origin, name, len) == 0)
            return &zs->z[i];
    return NULL;
}

static const struct dns_xfr_zone *xfr_zone(const struct dns_xfr_conf *c,
                                           const uint8_t *name, size_t len)
{
    for (size_t i = 0; i < c->n; i++)
        if (dns_name_len(c->zones[i].origin) == len &&
            memcmp(c->zones[i].origin, name, len) == 0)
            return &c->zones[i];
    return NULL;
}

/*
 * The client's serial from an IXFR request: the SOA of the zone in the
 * authority section (RFC 1995 3).  Returns false if there is none.
 */
static bool ixfr_serial(const uint8_t *q, size_t len, const uint8_t *origin,
                        uint32_t *serial)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;

    if (dns_msg_parse(&m, q, len) != 0 || m.count[DNS_SEC_AUTHORITY] != 1)
        return false;
    dns_rr_iter_init(&it, &m, DNS_SEC_AUTHORITY);
    if (!dns_rr_next(&it, &rr) || rr.type != DNS_TYPE_SOA || rr.rdlen < 22)
        return false;
    dns_name_lower(rr.owner);
    if (rr.owner_len != dns_name_len(origin) ||
        memcmp(rr.owner, origin, rr.owner_len) != 0)
        return false;
    *serial = tb_get32(q + rr.rdoff + rr.rdlen - 20);
    return true;
}

/* Index of the delta of (xz) starting at (from) when the deltas from it
 * on lead to (to), else (xz->nhist). */
static size_t hist_from(const struct dns_xfr_zone *xz, uint32_t from,
                        uint32_t to)
{
    for (size_t i = 0; i < xz->nhist; i++) {
        if (xz->hist[i].from != from)
            continue;
        for (size_t j = i; j < xz->nhist; j++) {
            if (j > i && xz->hist[j].from != xz->hist[j - 1].to)
                return xz->nhist;
            if (xz->hist[j].to == to)
                return i;
        }
        return xz->nhist;
    }
    return xz->nhist;
}

static size_t refuse(struct dns_xfr_out *x, struct dns_srv *s, uint8_t *out,
                     size_t cap);

/* The type of the one uncompressed question of QUERY (q, len): a cheap
 * look before anything is parsed for real. */
static uint16_t peek_qtype(const uint8_t *q, size_t len)
{
    size_t p = DNS_HDR_LEN;

    if (len < DNS_HDR_LEN + 5 || (q[2] & 0xf8) != 0 || tb_get16(q + 4) != 1)
        return 0;
    while (p < len && q[p] != 0 && q[p] <= DNS_LABEL_MAXLEN)
        p += q[p] + 1u;
    if (p >= len || q[p] != 0 || len - p < 5)
        return 0;
    return tb_get16(q + p + 1);
}

static bool start(struct dns_xfr_out *x, struct dns_srv *s,
                  const struct tb_addr *peer, const uint8_t *q, size_t len,
                  uint16_t qtype, bool udp)
{
    struct dns_query dq;
    struct dns_tsig_ctx tsig;
    const struct dns_xfr_zone *xz;
    const struct zdb *z;
    uint32_t cur, serial;

    /* Everything else the engine would check. */
    if (s->xfr == NULL || dns_query_parse(&dq, q, len) != 0 ||
        dq.qclass != DNS_CLASS_IN || DNS_RCODE(dq.flags) != 0 ||
        dq.ancount != 0 || (dq.has_opt && dq.edns_version != 0) ||
        (qtype == DNS_TYPE_AXFR && dq.nscount != 0))
        return false;
    if ((z = zone_at(s->zs, dq.qname, dq.qname_len)) == NULL)
        return false; /* not ours: the engine refuses it */
    /* A signed request that does not verify (or no keys): the engine's
     * path answers the TSIG error (RFC 8945 5.2). */
    if (dq.tsig_off != 0 && (s->keys == NULL ||
                             s->keys->verify(s->keys, q, len, dq.tsig_off,
                                             s->tsig_now_s, &tsig) != 0 ||
                             tsig.error != 0))
        return false;
    xz = xfr_zone(s->xfr, dq.qname, dq.qname_len);
    memset(x, 0, sizeof(*x));
    if (dq.tsig_off != 0) {
        x->tsigned = true;
        x->tsig = tsig;
    }
    x->opt = dq.has_opt;
    x->id = dq.id;
    x->rd = dq.flags & DNS_FLAG_RD;
    x->qtype = qtype;
    x->qlen = dq.qname_len;
    memcpy(x->qname, q + DNS_HDR_LEN, dq.qname_len);
    x->gen = s->zs_gen;
    x->z = z;
    x->xz = xz;
    if (xz == NULL || z->rrs == NULL || peer == NULL ||
        !acl_allows(xz, peer, x->tsigned ? x->tsig.key : NULL)) {
        s->st.xfr_denied++;
        if (qtype == DNS_TYPE_AXFR)
            return false; /* the engine's REFUSED + EDE 18 */
        /* The engine answers FORMERR to the SOA an IXFR carries in its
         * authority section: it answers the question alone instead. */
        x->state = XS_REFUSE;
        return true;
    }
    x->state = XS_SOA1;
    x->di = xz->nhist; /* no deltas: AXFR-style */
    s->st.auth.queries++;
    s->st.auth.noerror++;
    s->st.auth.qtype[qtype == DNS_TYPE_AXFR ? DNS_QT_AXFR : DNS_QT_IXFR]++;
    if (qtype == DNS_TYPE_AXFR) {
        s->st.xfr_axfr++;
        return true;
    }
    cur = zdb_ld32(z->blob + ZH_SERIAL);
    if (!ixfr_serial(q, len, z->origin, &serial)) {
        s->st.xfr_axfr++; /* no usable SOA: the whole zone (as Knot) */
        return true;
    }
    int c = dns_serial_cmp(serial, cur);
    if (c == 0 || c == 1 || udp) {
        /* RFC 1995 2: the client is current (or newer): one SOA.  Over
         * UDP always one SOA: the client then asks again over TCP if it
         * is not current (as when the delta does not fit). */
        x->state = XS_SOA2;
        s->st.xfr_current++;
        return true;
    }
    x->di = hist_from(xz, serial, cur);
    if (x->di < xz->nhist) {
        s->st.xfr_ixfr++;
        return true;
    }
    s->st.xfr_axfr++; /* RFC 1995 4: history too short, AXFR-style */
    return true;
}

bool dns_xfr_start(struct dns_xfr_out *x, struct dns_srv *s,
                   const struct tb_addr *peer, const uint8_t *q, size_t len)
{
    uint16_t qtype = peek_qtype(q, len);

    if (qtype != DNS_TYPE_AXFR && qtype != DNS_TYPE_IXFR)
        return false;
    return start(x, s, peer, q, len, qtype, false);
}

size_t dns_xfr_udp(struct dns_srv *s, const struct tb_addr *peer,
                   const uint8_t *q, size_t len, uint8_t *resp, size_t cap)
{
    struct dns_xfr_out x;
    size_t n;

    /* AXFR over UDP is the engine's (NOTIMP, RFC 5936 4.2). */
    if (peek_qtype(q, len) != DNS_TYPE_IXFR ||
        !start(&x, s, peer, q, len, DNS_TYPE_IXFR, true))
        return 0;
    if (x.state == XS_REFUSE)
        return refuse(&x, s, resp, cap);
    if (cap > DNS_UDP_MINLEN && !x.opt)
        cap = DNS_UDP_MINLEN; /* one SOA and the question always fit */
    n = dns_xfr_next(&x, s, resp, cap);
    s->st.xfr_msgs -= n != 0; /* counted as an answer, not a stream */
    return n;
}

/* Room the TSIG RR of (x)'s messages takes at most: its owner (the
 * key's name), the fixed part, the longest algorithm name (26), time,
 * fudge, sizes, the longest MAC, ID, error, other length and BADTIME's 6
 * bytes of other data. */
static size_t tsig_room(const struct dns_xfr_out *x)
{
    return (size_t)x->tsig.key->name_len + DNS_RR_FIXED_LEN + 26 + 16 +
           DNS_TSIG_MAC_MAX + 6;
}

/* One record to write. */
struct rec {
    const uint8_t *owner, *rdata;
    uint16_t type, rdlen;
    uint32_t ttl;
    uint32_t size; /* bytes it takes in its list */
};

static void blob_rec(const struct zdb *z, uint32_t pos, struct rec *r)
{
    const uint8_t *p = z->rrs + pos;
    const uint8_t *nd = zdb_node(z, zdb_ld32(p + ZR_NODE));

    r->owner = z->data + zdb_ld32(nd + ZN_NAME);
    r->type = zdb_ld16(p + ZR_TYPE);
    r->rdlen = zdb_ld16(p + ZR_RDLEN);
    r->ttl = zdb_ld32(p + ZR_TTL);
    r->rdata = p + ZR_RDATA;
    r->size = ZR_RDATA + r->rdlen;
}

static void delta_rec(const uint8_t *p, struct rec *r)
{
    size_t n = dns_name_len(p);

    r->owner = p;
    r->type = tb_get16(p + n);
    r->rdlen = tb_get16(p + n + 2);
    r->ttl = tb_get32(p + n + 4);
    r->rdata = p + n + 8;
    r->size = (uint32_t)(n + 8 + r->rdlen);
}

/* The record (x) sends next, or false when the stream is over.  Moves
 * between parts of the stream as they run out. */
static bool peek(struct dns_xfr_out *x, struct rec *r)
{
    const struct zdb *z = x->z;

    for (;;) {
        switch (x->state) {
        case XS_SOA1:
        case XS_SOA2:
            blob_rec(z, z->soarr, r);
            return true;
        case XS_AXFR:
            if (x->left != 0 && x->pos == z->soarr) {
                blob_rec(z, x->pos, r); /* skip the SOA: first and last */
                x->pos += r->size;
                x->left--;
            }
            if (x->left == 0) {
                x->state = XS_SOA2;
                continue;
            }
            blob_rec(z, x->pos, r);
            return true;
        case XS_IXFR:
            if (x->left == 0) {
                if (++x->di >= x->xz->nhist ||
                    x->xz->hist[x->di - 1].to ==
                        zdb_ld32(z->blob + ZH_SERIAL)) {
                    x->state = XS_SOA2;
                    continue;
                }
                x->pos = 0;
                x->left = x->xz->hist[x->di].nrrs;
                continue;
            }
            delta_rec(x->xz->hist[x->di].rrs + x->pos, r);
            return true;
        default:
            return false;
        }
    }
}

/* (r), just written, is consumed. */
static void advance(struct dns_xfr_out *x, const struct rec *r)
{
    switch (x->state) {
    case XS_SOA1:
        x->pos = 0;
        if (x->di < x->xz->nhist) {
            x->state = XS_IXFR;
            x->left = x->xz->hist[x->di].nrrs;
        } else {
            x->state = XS_AXFR;
            x->left = ((const struct zdb *)x->z)->nrrs;
        }
        break;
    case XS_SOA2:
        x->state = XS_NONE;
        break;
    default:
        x->pos += r->size;
        x->left--;
    }
}

/* The engine's answer to (x)'s question alone (with an OPT if the
 * request had one): REFUSED and EDE 18, as for a refused AXFR. */
static size_t refuse(struct dns_xfr_out *x, struct dns_srv *s, uint8_t *out,
                     size_t cap)
{
    uint8_t q[DNS_HDR_LEN + DNS_NAME_MAXLEN + 4 + 11];
    size_t n = DNS_HDR_LEN + x->qlen;

    if (cap < DNS_UDP_MINLEN)
        return 0;
    memset(q, 0, DNS_HDR_LEN);
    tb_put16(q, x->id);
    tb_put16(q + 2, x->rd);
    q[5] = 1;
    memcpy(q + DNS_HDR_LEN, x->qname, x->qlen);
    tb_put16(q + n, x->qtype);
    tb_put16(q + n + 2, DNS_CLASS_IN);
    n += 4;
    if (x->opt) {
        q[11] = 1;
        memset(q + n, 0, 11);
        q[n + 2] = DNS_TYPE_OPT;
        tb_put16(q + n + 3, DNS_UDP_MINLEN);
        n += 11;
    }
    x->state = XS_NONE;
    if (!x->tsigned)
        return dns_auth_answer(s->zs, q, n, out, cap, DNS_AUTH_TCP,
                               &s->st.auth);
    if (s->keys == NULL || cap < DNS_UDP_MINLEN + tsig_room(x))
        return 0;
    n = dns_auth_answer(s->zs, q, n, out, cap - tsig_room(x), DNS_AUTH_TCP,
                        &s->st.auth);
    return n != 0 ? s->keys->sign(&x->tsig, out, n, cap, s->tsig_now_s) : 0;
}

size_t dns_xfr_next(struct dns_xfr_out *x, struct dns_srv *s, uint8_t *out,
                    size_t cap)
{
    const struct zdb *z = x->z;
    struct dns_writer w;
    struct rec r;
    unsigned n = 0;
    uint16_t flags = DNS_FLAG_QR | DNS_FLAG_AA | x->rd;

    if (!dns_xfr_active(x))
        return 0;
    if (s->zs_gen != x->gen) {
        x->state = XS_CUT; /* (z) may be gone: touch nothing */
        s->st.xfr_cut++;
        return 0;
    }
    if (x->state == XS_REFUSE)
        return refuse(x, s, out, cap);
    if (x->tsigned) {
        /* Room for the TSIG RR every message ends with. */
        if (s->keys == NULL) {
            x->state = XS_CUT; /* keys withdrawn: nothing can be signed */
            return 0;
        }
        if (cap < tsig_room(x))
            return 0;
        cap -= tsig_room(x);
    }
    if (cap < DNS_HDR_LEN + (size_t)x->qlen + 4 + 11)
        return 0;
    dns_writer_init(&w, out, cap, x->id, flags);
    if (dns_writer_question(&w, x->qname, x->qtype, z->rclass) != 0 ||
        (x->opt && dns_writer_reserve(&w, 11) != 0))
        return 0;
    while (peek(x, &r)) {
        if (n > 0 && dns_writer_len(&w) >= DNS_XFR_MSG_TARGET)
            break;
        if (dns_writer_rr(&w, r.owner, r.type, z->rclass, r.ttl, r.rdata,
                          r.rdlen) != 0) {
            if (n == 0)
                return 0; /* wants more room */
            break;
        }
        advance(x, &r);
        n++;
    }
    if (x->opt)
        dns_writer_opt(&w, s->zs->udp_max, 0, 0, 0, NULL, 0);
    s->st.xfr_msgs++;
    if (!x->tsigned)
        return dns_writer_finish(&w);
    /* RFC 8945 5.3.1: every message signed, chained on the last MAC. */
    return s->keys->sign(&x->tsig, out, dns_writer_finish(&w),
                         cap + tsig_room(x), s->tsig_now_s);
}
