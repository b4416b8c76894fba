/*
 * res_iter.c -- the resolver's frames and replies: where a name's
 * resolution starts (the cache, then the closest cut it knows, else the
 * root hints), what a reply means for it (RFC 1034 5.3.3; RFC 2308
 * negative answers; referrals), and what of a reply is believed (RFC
 * 5452, RFC 2181 5.4.1: only records under the cut of the server asked,
 * glue only for the NS names of the referral and under that cut).
 *
 *   res.c dns_res_task_input (matched reply) -> res_process -> answer
 *   chain | negative | referral | lame -> frame done, moved or restarted
 *
 * Nothing here sends or waits: res.c's dns_res_task_next() picks the
 * server and writes the next query from the state left here.
 */
#include <assert.h>
#include "res_int.h"

/* ---- frames ---------------------------------------------------------- */

void res_frame_done(struct dns_res_task *t, uint16_t rcode)
{
    if (t->depth > 0) {
        t->depth--;
        return;
    }
    t->rcode = rcode;
    t->done = true;
    if (rcode == DNS_RCODE_SERVFAIL) {
        /* RFC 1035 4.1.1: no partial chain with SERVFAIL */
        uint8_t q[DNS_NAME_MAXLEN + 4];
        size_t n = dns_name_len(t->resp + DNS_HDR_LEN) + 4;
        memcpy(q, t->resp + DNS_HDR_LEN, n);
        res_response_start(t, q);
        t->soa_len = t->proof_len = 0;
        t->trunc = false;
        t->r->st.servfail++;
    }
}

void res_fail_limit(struct dns_res_task *t)
{
    t->r->st.limit++;
    res_frame_done(t, DNS_RCODE_SERVFAIL);
}

/* Adds address (rd, rdlen) of a type A/AAAA record for NS (ns) to (f). */
static void frame_addr(struct dns_res *r, struct frame *f, unsigned ns,
                       uint16_t type, const uint8_t *rd, size_t rdlen)
{
    struct tb_addr a;

    memset(&a, 0, sizeof(a));
    if (type == DNS_TYPE_A && rdlen == 4) {
        a.af = TB_AF_INET;
    } else if (type == DNS_TYPE_AAAA && rdlen == 16 && r->conf.ipv6) {
        a.af = TB_AF_INET6;
    } else {
        return;
    }
    memcpy(a.ip, rd, rdlen);
    a.port = 53;
    for (unsigned i = 0; i < f->naddr; i++)
        if (res_addr_eq(&f->addr[i].addr, &a))
            return;
    if (f->naddr == DNS_RES_ADDRS_MAX)
        return;
    memset(&f->addr[f->naddr], 0, sizeof(f->addr[0]));
    f->addr[f->naddr].addr = a;
    f->addr[f->naddr].ns = (uint8_t)ns;
    f->naddr++;
}

/* Adds every address of an RRset in cache form (nrr, p). */
static void frame_addrs(struct dns_res *r, struct frame *f, unsigned ns,
                        uint16_t type, unsigned nrr, const uint8_t *p)
{
    for (unsigned i = 0; i < nrr; i++) {
        uint16_t rl = tb_get16(p);
        frame_addr(r, f, ns, type, p + 2, rl);
        p += 2 + rl;
    }
}

static void frame_addrs_cached(struct dns_res_task *t, struct frame *f,
                               uint64_t now)
{
    struct dns_cache_view v;

    for (unsigned i = 0; i < f->nns; i++) {
        if (dns_cache_get(t->r->cache, f->ns[i], DNS_TYPE_A, now, DNS_RANK_GLUE,
                          &v) &&
            v.kind == DNS_CACHE_RRSET)
            frame_addrs(t->r, f, i, DNS_TYPE_A, v.nrr, v.data);
        if (t->r->conf.ipv6 &&
            dns_cache_get(t->r->cache, f->ns[i], DNS_TYPE_AAAA, now,
                          DNS_RANK_GLUE, &v) &&
            v.kind == DNS_CACHE_RRSET)
            frame_addrs(t->r, f, i, DNS_TYPE_AAAA, v.nrr, v.data);
    }
}

/* A new cut: its key state is looked up again (res_val_keys). */
static void frame_keys_reset(struct frame *f)
{
    f->ks = KS_UNKNOWN;
    f->kede = 0;
    f->pushed_ds = f->pushed_dnskey = false;
    f->probe = f->probe_pushed = 0;
    f->bogus_retries = f->bogus_ede = 0;
}

/* Makes (zone) with the NS RRset (nrr, p) (cache form) the frame's cut. */
static void frame_cut(struct frame *f, const uint8_t *zone, unsigned nrr,
                      const uint8_t *p)
{
    frame_keys_reset(f);
    memcpy(f->zone, zone, dns_name_len(zone));
    dns_name_lower(f->zone);
    f->nns = f->naddr = 0;
    f->fwd = false;
    f->mlabels = (uint8_t)(dns_name_labels(zone) + 1);
    f->msteps = 0;
    for (unsigned i = 0; i < nrr; i++) {
        uint16_t rl = tb_get16(p);
        if (f->nns < NS_MAX) {
            memcpy(f->ns[f->nns], p + 2, rl);
            dns_name_lower(f->ns[f->nns]);
            f->ns_looked[f->nns] = false;
            f->nns++;
        }
        p += 2 + rl;
    }
}

/* The forward or stub zone of conf.fwd that covers (name) (the longest),
 * or NULL. */
static const struct dns_res_fwd *fwd_find(const struct dns_res *r,
                                          const uint8_t *name)
{
    const struct dns_res_fwd *best = NULL;

    for (size_t i = 0; i < r->conf.nfwd; i++) {
        const struct dns_res_fwd *z = &r->conf.fwd[i];
        if (dns_name_is_sub(name, z->zone) &&
            (best == NULL ||
             dns_name_labels(z->zone) > dns_name_labels(best->zone)))
            best = z;
    }
    return best;
}

/* Makes the servers of forward or stub zone (z) the frame's cut. */
static void frame_fwd(struct frame *f, const struct dns_res_fwd *z)
{
    frame_keys_reset(f);
    /* Validated as any zone's answers (res_val.c): a stub zone's from
       its DS in the public tree (one the signed tree does not delegate,
       a private name whose DS query is answered NXDOMAIN, is bogus,
       DNSKEY missing, as with Unbound 1.17: name it with insecure too);
       a forward zone's by the signers of what the forwarders return,
       their DS and DNSKEY asked of the forwarders too. */
    memcpy(f->zone, z->zone, dns_name_len(z->zone));
    f->mlabels = (uint8_t)(dns_name_labels(z->zone) + 1);
    f->msteps = 0;
    f->nns = 0; /* no NS names: the addresses are all there is */
    f->naddr = 0;
    f->fwd = z->recursive;
    if (f->fwd)
        f->qmin = false; /* a recursive server is asked the name itself */
    for (unsigned i = 0; i < z->naddr; i++) { /* given: IPv6 too */
        memset(&f->addr[f->naddr], 0, sizeof(f->addr[0]));
        f->addr[f->naddr].addr = z->addr[i];
        f->addr[f->naddr].tls = z->tls;
        f->naddr++;
    }
}

/* Sets the frame's cut to the closest one in the cache, else the hints.
 * Under a forward zone: its forwarders, never the cache's cuts; under a
 * stub zone: a cached cut below it, else its servers. */
static void frame_closest(struct dns_res_task *t, struct frame *f, uint64_t now)
{
    struct dns_res *r = t->r;
    struct dns_cache_view v;
    const uint8_t *n = f->qname;
    const struct dns_res_fwd *z;

    /* RFC 4035 4.2 (and 3.1.4.1): DS lives on the parent side */
    if (f->qtype == DNS_TYPE_DS && n[0] != 0)
        n = dns_name_skip(n, 1);
    z = fwd_find(r, n);
    for (;; n = dns_name_skip(n, 1)) {
        if (z != NULL && (z->recursive || dns_name_equal(n, z->zone))) {
            frame_fwd(f, z);
            return;
        }
        if (dns_cache_get(r->cache, n, DNS_TYPE_NS, now, DNS_RANK_REFERRAL,
                          &v) &&
            v.kind == DNS_CACHE_RRSET && v.nrr > 0) {
            frame_cut(f, n, v.nrr, v.data);
            frame_addrs_cached(t, f, now);
            if (f->naddr > 0)
                return;
            /* The root's NS set without any address cached (a client
               asked ". NS" of a server that gave no glue): the hints,
               not a dead end (its names are all under the root). */
            /* no address known at all: still usable through lookups of
               its NS names, unless they are all under the cut */
            for (unsigned i = 0; i < f->nns; i++)
                if (!dns_name_is_sub(f->ns[i], f->zone))
                    return;
        }
        if (n[0] == 0)
            break;
    }
    memset(f->zone, 0, sizeof(f->zone));
    frame_keys_reset(f);
    f->mlabels = 1;
    f->msteps = 0;
    f->fwd = false;
    f->nns = r->hints.nns;
    for (unsigned i = 0; i < f->nns; i++) {
        memcpy(f->ns[i], r->hints.ns[i], dns_name_len(r->hints.ns[i]));
        f->ns_looked[i] = true; /* hints' addresses are all there is */
    }
    f->naddr = 0;
    for (unsigned i = 0; i < r->hints.naddr; i++)
        if (r->hints.addr[i].addr.af == TB_AF_INET || r->conf.ipv6) {
            memset(&f->addr[f->naddr], 0, sizeof(f->addr[0]));
            f->addr[f->naddr].addr = r->hints.addr[i].addr;
            f->addr[f->naddr].ns = r->hints.addr[i].ns;
            f->naddr++;
        }
}

/* The frame reached an RRset of (type) owned by (owner) (ttl, nrr, p in
 * cache form; validation state (sec, ede); its RRSIGs (x, xlen) in
 * view.extra form): frame 0 writes it to the client's answer (the
 * RRSIGs too when the client set DO), a deeper frame hands addresses to
 * its parent. */
static void emit_rrset(struct dns_res_task *t, const uint8_t *owner,
                       uint16_t type, uint32_t ttl, unsigned nrr,
                       const uint8_t *p, uint8_t sec, uint8_t ede,
                       const uint8_t *x, size_t xlen)
{
    if (t->depth > 0) {
        struct frame *f = &t->f[t->depth];
        if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA)
            frame_addrs(t->r, &t->f[t->depth - 1], (unsigned)f->parent_ns, type,
                        nrr, p);
        return;
    }
    res_val_merge(t, sec, ede);
    for (unsigned i = 0; i < nrr && !t->trunc; i++) {
        uint16_t rl = tb_get16(p);
        if (dns_writer_rr(&t->w, owner, type, DNS_CLASS_IN, ttl, p + 2, rl) !=
            0)
            t->trunc = true;
        p += 2 + rl;
    }
    if (!t->edns_do || !t->r->validating)
        return;
    for (size_t o = 0; o < xlen && !t->trunc;) {
        size_t on = dns_name_len(x + o);
        uint16_t xt = tb_get16(x + o + on), rl = tb_get16(x + o + on + 2);
        if (!dns_name_equal(x + o, owner)) {
            /* a wildcard's proof: the authority section, at the end */
            if (t->proof_len + on + 4 + rl <= sizeof(t->proof)) {
                memcpy(t->proof + t->proof_len, x + o, on + 4 + rl);
                t->proof_len += on + 4 + rl;
                t->proof_ttl = ttl;
            }
        } else if (dns_writer_rr(&t->w, owner, xt, DNS_CLASS_IN, ttl,
                                 x + o + on + 4, rl) != 0) {
            t->trunc = true;
        }
        o += on + 4 + rl;
    }
}

/* A negative answer (SOA in cache form, MAY be empty; its state (sec,
 * ede) and denial proof (x, xlen)) ends the frame. */
static void emit_negative(struct dns_res_task *t, uint16_t rcode,
                          const uint8_t *soa, size_t len, uint32_t ttl,
                          uint8_t sec, uint8_t ede, const uint8_t *x,
                          size_t xlen)
{
    if (t->depth == 0) {
        res_val_merge(t, sec, ede);
        if (t->proof_len + xlen <= sizeof(t->proof)) {
            memcpy(t->proof + t->proof_len, x, xlen);
            t->proof_len += xlen;
            t->proof_ttl = ttl;
        }
    }
    if (t->depth == 0 && len > 0 && len <= sizeof(t->soa)) {
        memcpy(t->soa, soa, len);
        t->soa_len = len;
        t->soa_ttl = ttl;
    }
    res_frame_done(t, rcode);
}

/* May the frame use cache entry (v)?  A validating resolver answers
 * clients (and validates) only from validated entries. */
static bool usable(const struct dns_res_task *t, const struct frame *f,
                   const struct dns_cache_view *v)
{
    return !t->r->validating || f->kind == FR_NSADDR ||
           v->sec != DNS_CACHE_UNCHECKED;
}

/* Follows the cache for the frame's name; true if the frame ended. */
static bool frame_from_cache(struct dns_res_task *t, struct frame *f,
                             uint64_t now)
{
    struct dns_cache *c = t->r->cache;
    struct dns_cache_view v;

    for (;;) {
        if (dns_cache_get(c, f->qname, f->qtype, now, DNS_RANK_ANSWER, &v)) {
            if (!usable(t, f, &v))
                return false;
            if (v.kind == DNS_CACHE_NODATA) {
                emit_negative(t, DNS_RCODE_NOERROR, v.data, v.len, v.ttl, v.sec,
                              v.ede, v.extra, v.extra_len);
            } else {
                emit_rrset(t, f->qname, f->qtype, v.ttl, v.nrr, v.data, v.sec,
                           v.ede, v.extra, v.extra_len);
                res_frame_done(t, DNS_RCODE_NOERROR);
            }
            return true;
        }
        if (f->qtype != DNS_TYPE_CNAME &&
            dns_cache_get(c, f->qname, DNS_TYPE_CNAME, now, DNS_RANK_ANSWER,
                          &v) &&
            v.nrr == 1) {
            if (!usable(t, f, &v))
                return false;
            if (++t->cnames > t->r->conf.max_cname) {
                res_fail_limit(t);
                return true;
            }
            emit_rrset(t, f->qname, DNS_TYPE_CNAME, v.ttl, 1, v.data, v.sec,
                       v.ede, v.extra, v.extra_len);
            memcpy(f->qname, v.data + 2, tb_get16(v.data));
            dns_name_lower(f->qname);
            continue;
        }
        if (dns_cache_get(c, f->qname, 0, now, DNS_RANK_ANSWER, &v)) {
            if (!usable(t, f, &v))
                return false;
            emit_negative(t, DNS_RCODE_NXDOMAIN, v.data, v.len, v.ttl, v.sec,
                          v.ede, v.extra, v.extra_len);
            return true;
        }
        return false;
    }
}

/* (Re)starts frame (f) for its qname: the cache, then the closest cut. */
void res_frame_start(struct dns_res_task *t, struct frame *f, uint64_t now)
{
    if (t->refresh) /* prefetch: ask upstream, once */
        t->refresh = false;
    else if (frame_from_cache(t, f, now))
        return;
    f->referrals = 0;
    f->qmin = !t->r->conf.no_qmin;
    frame_closest(t, f, now);
}

/* Pushes a frame resolving the address of NS (ns) of the top frame. */
void res_frame_push(struct dns_res_task *t, unsigned ns, uint64_t now)
{
    struct frame *p = &t->f[t->depth], *f = &t->f[t->depth + 1];

    p->ns_looked[ns] = true;
    memcpy(f->qname, p->ns[ns], dns_name_len(p->ns[ns]));
    f->qtype = DNS_TYPE_A;
    f->parent_ns = (int)ns;
    f->kind = FR_NSADDR;
    t->depth++;
    res_frame_start(t, f, now);
}

/* Pushes a frame fetching the DS or DNSKEY RRset (type) of (name) that
 * the top frame needs to validate (res_val_keys); what it finds is
 * cached with its state, where the frame below looks again. */
void res_frame_push_key(struct dns_res_task *t, const uint8_t *name,
                        uint16_t type, uint64_t now)
{
    struct frame *f = &t->f[t->depth + 1];

    memcpy(f->qname, name, dns_name_len(name));
    dns_name_lower(f->qname);
    f->qtype = type;
    f->parent_ns = -1;
    f->kind = FR_KEY;
    t->depth++;
    res_frame_start(t, f, now);
}

/* May NS (i) of the top frame be looked up? Not when it lies under the
 * cut it serves (only glue can reach it), nor when a frame below is
 * already after that name (a loop). */
bool res_lookup_ok(const struct dns_res_task *t, unsigned i)
{
    const struct frame *f = &t->f[t->depth];

    if (f->ns_looked[i] || dns_name_is_sub(f->ns[i], f->zone))
        return false;
    for (unsigned d = 0; d <= t->depth; d++)
        if (dns_name_equal(t->f[d].qname, f->ns[i]))
            return false;
    for (unsigned k = 0; k < f->naddr; k++)
        if (f->addr[k].ns == i)
            return false;
    return true;
}

/* ---- replies ---------------------------------------------------------- */

/* True if (rd, rl) is already among the first (n) records of (p, len)
 * (RFC 2181 5: an RRset has no duplicates); only the first 64 are
 * compared, which bounds the work of a reply of thousands. */
static bool duplicate(const uint8_t *p, size_t len, unsigned n,
                      const uint8_t *rd, size_t rl)
{
    size_t o = 0;

    for (unsigned i = 0; i < n && i < 64 && o < len; i++) {
        size_t l = tb_get16(p + o);
        if (l == rl && memcmp(p + o + 2, rd, rl) == 0)
            return true;
        o += 2 + l;
    }
    return false;
}

/*
 * Gathers the RRset (owner, type) of section (sec) of (m) into the
 * resolver's payload buffer (cache form).  Returns the number of RRs
 * (0: none) with the length in (*len) and the smallest TTL in (*ttl).
 */
static unsigned gather(struct dns_res *r, const struct dns_msg *m,
                       enum dns_section sec, const uint8_t *owner,
                       uint16_t type, size_t *len, uint32_t *ttl)
{
    struct dns_rr_iter it;
    struct dns_rr rr;
    unsigned n = 0;
    size_t w = 0;

    *ttl = UINT32_MAX;
    dns_rr_iter_init(&it, m, sec);
    while (dns_rr_next(&it, &rr) && rr.section == sec) {
        size_t rl;
        if (rr.type != type || rr.rclass != DNS_CLASS_IN ||
            !dns_name_equal(rr.owner, owner))
            continue;
        if (dns_rdata_unpack(m->buf, m->len, rr.rdoff, rr.rdlen, rr.type,
                             r->rdata, sizeof(r->rdata), &rl) != 0 ||
            rl > 0xffff || w + 2 + rl > sizeof(r->payload) || n == 0xffff ||
            duplicate(r->payload, w, n, r->rdata, rl))
            continue;
        tb_put16(r->payload + w, (uint16_t)rl);
        memcpy(r->payload + w + 2, r->rdata, rl);
        w += 2 + rl;
        n++;
        /* RFC 2181 8: a TTL with the top bit set is 0 */
        uint32_t tl = rr.ttl > 0x7fffffffu ? 0 : rr.ttl;
        *ttl = TB_MIN(*ttl, tl);
    }
    *len = w;
    return n;
}

/* Finds the SOA of a negative answer in the authority section: its owner
 * MUST be under (zone) and (name) under it.  Writes it in cache form to
 * (out) and returns the length (0: none usable) and the negative TTL
 * (RFC 2308 5: min(SOA TTL, SOA MINIMUM)). */
static size_t neg_soa(struct dns_res *r, const struct dns_msg *m,
                      const uint8_t *zone, const uint8_t *name, uint8_t *out,
                      size_t cap, uint32_t *ttl)
{
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t rl;

    dns_rr_iter_init(&it, m, DNS_SEC_AUTHORITY);
    while (dns_rr_next(&it, &rr) && rr.section == DNS_SEC_AUTHORITY) {
        if (rr.type != DNS_TYPE_SOA || rr.rclass != DNS_CLASS_IN)
            continue;
        if (!dns_name_is_sub(rr.owner, zone) ||
            !dns_name_is_sub(name, rr.owner)) {
            r->st.out_of_bailiwick++;
            continue;
        }
        if (dns_rdata_unpack(m->buf, m->len, rr.rdoff, rr.rdlen, rr.type,
                             r->rdata, sizeof(r->rdata), &rl) != 0 ||
            rr.owner_len + 2 + rl > cap || rl < 22)
            continue;
        memcpy(out, rr.owner, rr.owner_len);
        tb_put16(out + rr.owner_len, (uint16_t)rl);
        memcpy(out + rr.owner_len + 2, r->rdata, rl);
        uint32_t t = rr.ttl > 0x7fffffffu ? 0 : rr.ttl;
        uint32_t min = tb_get32(r->rdata + rl - 4);
        *ttl = TB_MIN(t, min);
        return rr.owner_len + 2 + rl;
    }
    *ttl = 0;
    return 0;
}

/* A negative answer for the frame's name: cache it, end the frame. */
static void negative(struct dns_res_task *t, const struct dns_msg *m,
                     uint16_t rcode, uint64_t now)
{
    struct dns_res *r = t->r;
    struct frame *f = &t->f[t->depth];
    uint8_t soa[DNS_NAME_MAXLEN + 2 + 600];
    uint32_t ttl;
    size_t n = neg_soa(r, m, f->zone, f->qname, soa, sizeof(soa), &ttl);
    size_t xl =
        r->validating && t->vsec != DNS_CACHE_UNCHECKED
            ? res_val_proof(r, m, f->zone, false, r->xbuf, sizeof(r->xbuf))
            : 0;

    /* RFC 2308 5: without an SOA it is not cached */
    if (n > 0)
        dns_cache_put_sec(
            r->cache, f->qname, rcode == DNS_RCODE_NXDOMAIN ? 0 : f->qtype,
            rcode == DNS_RCODE_NXDOMAIN ? DNS_CACHE_NXDOMAIN : DNS_CACHE_NODATA,
            DNS_RANK_ANSWER, ttl, 0, soa, n, t->vsec, t->vede, r->xbuf, xl,
            now);
    emit_negative(t, rcode, soa, n, ttl, t->vsec, t->vede, r->xbuf, xl);
}

/*
 * A referral (RFC 1034 4.3.2 step 3b) for the frame's name: an NS RRset
 * in the authority section owned by a cut strictly below the current
 * one and at or above the name.  Returns true if (m) is one and the frame
 * moved to the new cut (its glue taken if under the old cut).
 */
static bool referral(struct dns_res_task *t, const struct dns_msg *m,
                     uint64_t now)
{
    struct dns_res *r = t->r;
    struct frame *f = &t->f[t->depth];
    struct dns_rr_iter it;
    struct dns_rr rr;
    uint8_t cut[DNS_NAME_MAXLEN], old[DNS_NAME_MAXLEN];
    size_t len;
    uint32_t ttl;
    unsigned nrr;

    dns_rr_iter_init(&it, m, DNS_SEC_AUTHORITY);
    for (;;) {
        if (!dns_rr_next(&it, &rr) || rr.section != DNS_SEC_AUTHORITY)
            return false;
        if (rr.type == DNS_TYPE_NS && rr.rclass == DNS_CLASS_IN &&
            dns_name_is_sub(f->qname, rr.owner) &&
            dns_name_is_sub(rr.owner, f->zone) &&
            !dns_name_equal(rr.owner, f->zone))
            break;
    }
    if (f->qtype == DNS_TYPE_DS && dns_name_equal(rr.owner, f->qname))
        return false; /* the parent must answer DS itself */
    if (++f->referrals > r->conf.max_referrals) {
        res_fail_limit(t);
        return true;
    }
    memcpy(cut, rr.owner, rr.owner_len);
    memcpy(old, f->zone, dns_name_len(f->zone));
    nrr = gather(r, m, DNS_SEC_AUTHORITY, cut, DNS_TYPE_NS, &len, &ttl);
    dns_cache_put(r->cache, cut, DNS_TYPE_NS, DNS_CACHE_RRSET,
                  DNS_RANK_REFERRAL, ttl, (uint16_t)nrr, r->payload, len, now);
    frame_cut(f, cut, nrr, r->payload);
    if (r->validating && t->vsec != DNS_CACHE_UNCHECKED) {
        /* The child's key state (res_val.c): its DS set as validated
           here, or its proven absence (insecure); a bogus one makes the
           child bogus.  Parent-side data: referral rank. */
        uint32_t nsttl = ttl, dttl;
        size_t xl = 0;
        nrr = gather(r, m, DNS_SEC_AUTHORITY, cut, DNS_TYPE_DS, &len, &dttl);
        if (nrr > 0) {
            xl = res_val_sigs(r, m, DNS_SEC_AUTHORITY, cut, DNS_TYPE_DS,
                              r->xbuf, sizeof(r->xbuf));
            dttl = res_val_ttl(r, r->xbuf, xl, dttl, now);
        }
        dns_cache_put_sec(r->cache, cut, DNS_TYPE_DS,
                          nrr > 0 ? DNS_CACHE_RRSET : DNS_CACHE_NODATA,
                          DNS_RANK_REFERRAL, nrr > 0 ? dttl : nsttl,
                          (uint16_t)nrr, r->payload, nrr > 0 ? len : 0, t->vsec,
                          t->vede, r->xbuf, xl, now);
    }
    f->qmin = !r->conf.no_qmin; /* a new zone: minimise again */
    /* Glue: addresses of the listed NS names, only under the old cut
       (what the server we asked is authoritative for, RFC 5452 6). */
    for (unsigned i = 0; i < f->nns; i++) {
        static const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
        for (unsigned k = 0; k < 2; k++) {
            nrr = gather(r, m, DNS_SEC_ADDITIONAL, f->ns[i], types[k], &len,
                         &ttl);
            if (nrr == 0)
                continue;
            if (!dns_name_is_sub(f->ns[i], old)) {
                r->st.out_of_bailiwick += nrr;
                continue;
            }
            dns_cache_put(r->cache, f->ns[i], types[k], DNS_CACHE_RRSET,
                          DNS_RANK_GLUE, ttl, (uint16_t)nrr, r->payload, len,
                          now);
            frame_addrs(r, f, i, types[k], nrr, r->payload);
        }
    }
    frame_addrs_cached(t, f, now);
    return true;
}

/*
 * An authoritative NS RRset at the apex of the zone asked (the r->payload
 * gather() left, (nrr) records; a priming answer, RFC 8109, or a
 * client's "ZONE NS"): the additional A and AAAA records of its names
 * under the zone are cached as glue (RFC 5452 6: what the server is
 * authoritative for), so that the cut, once cached, has addresses.
 */
static void apex_glue(struct dns_res_task *t, const struct dns_msg *m,
                      const uint8_t *zone, unsigned nrr, uint64_t now)
{
    static const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
    struct dns_res *r = t->r;
    uint8_t ns[NS_MAX][DNS_NAME_MAXLEN];
    const uint8_t *p = r->payload;
    unsigned n = 0;
    size_t len;
    uint32_t ttl;

    for (unsigned i = 0; i < nrr && n < NS_MAX; i++) {
        uint16_t rl = tb_get16(p);
        if (rl <= DNS_NAME_MAXLEN && dns_name_is_sub(p + 2, zone))
            memcpy(ns[n++], p + 2, rl);
        p += 2 + rl;
    }
    for (unsigned i = 0; i < n; i++)
        for (unsigned k = 0; k < 2; k++) {
            unsigned na =
                gather(r, m, DNS_SEC_ADDITIONAL, ns[i], types[k], &len, &ttl);
            if (na > 0)
                dns_cache_put(r->cache, ns[i], types[k], DNS_CACHE_RRSET,
                              DNS_RANK_GLUE, ttl, (uint16_t)na, r->payload, len,
                              now);
        }
}

/*
 * The answer chain of an authoritative reply: from the frame's name, the
 * RRset asked for or a CNAME (then on from its target), each owner under
 * the cut; (*taken) counts the records used.  Returns 1 if the
 * frame ended, 0 if nothing was taken, -1 if the chain moved the name
 * (written to the frame) without reaching the end.
 */
static int answer_chain(struct dns_res_task *t, const struct dns_msg *m,
                        unsigned *taken, uint64_t now)
{
    struct dns_res *r = t->r;
    struct frame *f = &t->f[t->depth];
    size_t len;
    uint32_t ttl;
    unsigned nrr;
    uint8_t rank = DNS_RANK_ANSWER;
    int moved = 0;

    for (;;) {
        if (!dns_name_is_sub(f->qname, f->zone))
            return moved;
        nrr = gather(r, m, DNS_SEC_ANSWER, f->qname, f->qtype, &len, &ttl);
        *taken += nrr;
        if (nrr > 0) {
            size_t xl = r->validating
                            ? res_val_sigs(r, m, DNS_SEC_ANSWER, f->qname,
                                           f->qtype, r->xbuf, sizeof(r->xbuf))
                            : 0;
            if (xl > 0) { /* a wildcard's proof beside its RRSIGs */
                ttl = res_val_ttl(r, r->xbuf, xl, ttl, now);
                xl += res_val_wildcard(r, m, f->zone, f->qname, r->xbuf, xl,
                                       r->xbuf + xl, sizeof(r->xbuf) - xl);
            }
            dns_cache_put_sec(r->cache, f->qname, f->qtype, DNS_CACHE_RRSET,
                              rank, ttl, (uint16_t)nrr, r->payload, len,
                              t->vsec, t->vede, r->xbuf, xl, now);
            emit_rrset(t, f->qname, f->qtype, ttl, nrr, r->payload, t->vsec,
                       t->vede, r->xbuf, xl);
            if (f->qtype == DNS_TYPE_NS && !f->fwd &&
                dns_name_equal(f->qname, f->zone))
                apex_glue(t, m, f->zone, nrr, now);
            res_frame_done(t, DNS_RCODE_NOERROR);
            return 1;
        }
        if (f->qtype == DNS_TYPE_CNAME)
            return moved;
        nrr =
            gather(r, m, DNS_SEC_ANSWER, f->qname, DNS_TYPE_CNAME, &len, &ttl);
        if (nrr != 1) /* RFC 2181 10.1: one CNAME only */
            return moved;
        *taken += 1;
        if (++t->cnames > r->conf.max_cname) {
            res_fail_limit(t);
            return 1;
        }
        size_t xl = r->validating
                        ? res_val_sigs(r, m, DNS_SEC_ANSWER, f->qname,
                                       DNS_TYPE_CNAME, r->xbuf, sizeof(r->xbuf))
                        : 0;
        if (xl > 0) {
            ttl = res_val_ttl(r, r->xbuf, xl, ttl, now);
            xl += res_val_wildcard(r, m, f->zone, f->qname, r->xbuf, xl,
                                   r->xbuf + xl, sizeof(r->xbuf) - xl);
        }
        dns_cache_put_sec(r->cache, f->qname, DNS_TYPE_CNAME, DNS_CACHE_RRSET,
                          rank, ttl, 1, r->payload, len, t->vsec, t->vede,
                          r->xbuf, xl, now);
        emit_rrset(t, f->qname, DNS_TYPE_CNAME, ttl, 1, r->payload, t->vsec,
                   t->vede, r->xbuf, xl);
        memcpy(f->qname, r->payload + 2, tb_get16(r->payload));
        dns_name_lower(f->qname);
        moved = -1;
    }
}

/* Counts answer-section records the chain did not take. */
static void count_unused(struct dns_res *r, const struct dns_msg *m,
                         unsigned taken)
{
    if (m->count[DNS_SEC_ANSWER] > taken)
        r->st.out_of_bailiwick += m->count[DNS_SEC_ANSWER] - taken;
}

static void lame(struct dns_res_task *t)
{
    t->f[t->depth].addr[t->cur].bad = true;
    t->r->st.lame++;
}

void res_process(struct dns_res_task *t, const struct dns_msg *m, uint64_t now)
{
    struct frame *f = &t->f[t->depth];
    uint16_t rcode = DNS_RCODE(m->flags);
    /* a forwarder's answers are recursive ones: AA is not expected */
    bool aa = (m->flags & DNS_FLAG_AA) != 0 || f->fwd;
    unsigned taken = 0;
    int c;

    if (m->flags & DNS_FLAG_TC) {
        if (t->transport == DNS_RES_UDP) {
            t->want_tcp = true; /* RFC 1035 4.2.1, RFC 7766 5 */
            return;
        }
        lame(t); /* TC over TCP: unusable */
        return;
    }
    t->want_tcp = false;
    if ((rcode == DNS_RCODE_FORMERR || rcode == DNS_RCODE_NOTIMP) && t->edns &&
        m->opt_off == 0) {
        /* RFC 6891 7: a server that does not know EDNS; ask it again
           without (its try was given back with the answer) */
        f->addr[t->cur].noedns = true;
        return;
    }
    if (rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN) {
        lame(t); /* REFUSED, SERVFAIL, NOTIMP, FORMERR: try another */
        return;
    }
    if (t->minimised) {
        /* RFC 9156 3: a referral moves on; an authoritative NOERROR
           (data or an empty non-terminal) means no cut here, so one more
           label; NXDOMAIN or anything else: ask the whole name (2.3,
           relaxed, as Unbound: some servers deny empty non-terminals) */
        if (!aa && rcode == DNS_RCODE_NOERROR) {
            res_val_reply(t, m, now);
            if (res_val_retry(t))
                return; /* bogus: another server first */
            if (referral(t, m, now))
                return;
        }
        if (aa && rcode == DNS_RCODE_NOERROR)
            f->mlabels++;
        else
            f->qmin = false;
        return;
    }
    if (aa && res_val_cut(t, m, now))
        return; /* a child zone answered: its keys first, then again */
    res_val_reply(t, m, now);
    if (res_val_retry(t))
        return; /* bogus: another server first */
    c = aa ? answer_chain(t, m, &taken, now) : 0;
    count_unused(t->r, m, taken);
    if (c == 1)
        return;
    if (c == -1) {
        /* The chain stopped at a new name: an NXDOMAIN or NODATA for it
           from this server (its SOA under the cut), else resolve the new
           name afresh from the closest cut (another zone). */
        uint8_t soa[DNS_NAME_MAXLEN + 2 + 600];
        uint32_t ttl;
        if (dns_name_is_sub(f->qname, f->zone) &&
            (rcode == DNS_RCODE_NXDOMAIN ||
             neg_soa(t->r, m, f->zone, f->qname, soa, sizeof(soa), &ttl) > 0)) {
            negative(t, m, rcode, now);
            return;
        }
        res_frame_start(t, f, now);
        return;
    }
    if (rcode == DNS_RCODE_NXDOMAIN) {
        if (aa)
            negative(t, m, DNS_RCODE_NXDOMAIN, now);
        else
            lame(t);
        return;
    }
    if (!aa && referral(t, m, now))
        return;
    if (aa) {
        negative(t, m, DNS_RCODE_NOERROR, now); /* NODATA */
        return;
    }
    lame(t); /* neither answer nor referral: lame, or an upward referral */
}
