/*
 * res_val.c -- DNSSEC validation in the resolver (RFC 4033-4035): where
 * the key states of zones come from, and the validation of each reply
 * once, when it arrives.  The validator itself (lib/dns/val*.c) is called
 * through conf.val's entry points (dns_res_val_init), so that a resolver
 * without validation links no cryptography.
 *
 *   dns_res_task_next -> res_val_keys: the frame's zone has SECURE keys
 *     (cached DNSKEY RRset), is INSECURE (no anchor above, a negative
 *     trust anchor, a proven absence of DS at or above it, only
 *     unsupported algorithms) or BOGUS -- or a frame is pushed to fetch
 *     its DS (from the parent) or DNSKEY RRset first;
 *   dns_res_task_input -> res_process -> res_val_reply: the reply is
 *     validated against those keys (dns_val_response; a DNSKEY RRset at
 *     the apex against the DS set or the anchor: dns_val_dnskey), and
 *     every cache entry made from it carries the state (and the EDE of a
 *     BOGUS one); the client's answer carries the worst state met.
 *
 * Key states live in the cache as the DS and DNSKEY entries themselves:
 * DNSKEY RRSET SECURE = keys; DS RRSET SECURE = fetch the DNSKEY; DS
 * NODATA (proven, or the parent insecure) or INSECURE = the zone is
 * insecure; a BOGUS DS or DNSKEY entry = the zone is bogus (60 s).  So a
 * key state is found again by a cache lookup, never recomputed, and a
 * cache hit reads only the state stored with its entry.
 */
#include "res_int.h"

#define NS_PER_S 1000000000ull

/* Worst-first order of states (RFC 4035 4.3): bogus > indeterminate >
 * insecure > secure. */
static unsigned sec_rank(uint8_t s)
{
    switch (s) {
    case DNS_VAL_SECURE:
        return 1;
    case DNS_VAL_INSECURE:
        return 2;
    case DNS_VAL_INDETERMINATE:
        return 3;
    case DNS_VAL_BOGUS:
        return 4;
    default:
        return 2; /* unchecked data is not secure */
    }
}

void res_val_merge(struct dns_res_task *t, uint8_t sec, uint8_t ede)
{
    if (!t->r->validating)
        return;
    if (sec == DNS_CACHE_UNCHECKED)
        sec = DNS_VAL_INSECURE;
    if (t->sec == 0 || sec_rank(sec) > sec_rank(t->sec)) {
        t->sec = sec;
        t->ede = ede;
    }
}

static void val_conf(struct dns_res_task *t, uint64_t now,
                     struct dns_val_conf *vc)
{
    struct dns_res *r = t->r;

    memset(vc, 0, sizeof(*vc));
    vc->scratch = r->vscratch;
    vc->scratch_len = VAL_SCRATCH;
    vc->now = (uint32_t)(r->unix_at_zero + (int64_t)(now / NS_PER_S));
    vc->ed25519 = r->conf.val->ed25519;
    vc->budget = &t->budget;
}

/* Rdatas of a cached RRset (nrr, p) into (out, cap); returns how many. */
static size_t rdatas(unsigned nrr, const uint8_t *p, struct dns_val_rdata *out,
                     size_t cap)
{
    size_t n = 0;

    for (unsigned i = 0; i < nrr && n < cap; i++) {
        out[n].len = tb_get16(p);
        out[n].p = p + 2;
        p += 2 + out[n].len;
        n++;
    }
    return n;
}

/* The closest name at or above (zone) with a trust anchor, or NULL. */
static const uint8_t *anchor_of(const struct dns_res *r, const uint8_t *zone)
{
    const struct dns_res_val *v = r->conf.val;

    for (const uint8_t *n = zone;; n = dns_name_skip(n, 1)) {
        if (v->anchors_get(v->anchors, n, DNS_TYPE_DS, NULL, 0) > 0 ||
            v->anchors_get(v->anchors, n, DNS_TYPE_DNSKEY, NULL, 0) > 0)
            return n;
        if (n[0] == 0)
            return NULL;
    }
}

enum { NEED_DS = 32, NEED_DNSKEY = 33 };

/* Does a DS of the set (nrr, p) have an algorithm and a digest type we
 * support?  None: the zone is insecure (RFC 4035 5.2, RFC 6840 5.2). */
static bool ds_usable(struct dns_res *r, unsigned nrr, const uint8_t *p)
{
    struct dns_val_conf vc = {.ed25519 = r->conf.val->ed25519};

    for (unsigned i = 0; i < nrr; i++) {
        uint16_t rl = tb_get16(p);
        if (rl >= 4 && r->conf.val->alg_supported(&vc, p[2 + 2]) &&
            r->conf.val->digest_supported(p[2 + 3]))
            return true;
        p += 2 + rl;
    }
    return false;
}

/*
 * The key state of (zone) from the anchors and the cache: SECURE (its
 * DNSKEY RRset in (*kv)), INSECURE, BOGUS (EDE in (*ede)), or what to
 * fetch first: NEED_DS, NEED_DNSKEY.
 */
static int zone_keys(struct dns_res *r, const uint8_t *zone, uint64_t now,
                     uint8_t *ede, struct dns_cache_view *kv)
{
    const struct dns_res_val *val = r->conf.val;
    const uint8_t *anchor;
    struct dns_cache_view v;
    bool ds_secure = false;

    *ede = 0;
    for (size_t i = 0; i < val->ninsecure; i++)
        if (dns_name_is_sub(zone, val->insecure[i]))
            return DNS_VAL_INSECURE; /* a negative trust anchor */
    anchor = anchor_of(r, zone);
    if (anchor == NULL)
        return DNS_VAL_INSECURE; /* no chain of trust reaches it */
    /* From the zone up to the anchor: a cut whose DS is proven absent
       (or was read insecure) makes all below it insecure; a bogus one,
       bogus.  Only known cuts count (a name's NODATA for DS is not an
       insecure delegation). */
    for (const uint8_t *n = zone; dns_name_labels(n) > dns_name_labels(anchor);
         n = dns_name_skip(n, 1)) {
        bool here = n == zone;
        if (!here && !(dns_cache_get(r->cache, n, DNS_TYPE_NS, now,
                                     DNS_RANK_REFERRAL, &v) &&
                       v.kind == DNS_CACHE_RRSET))
            continue;
        if (dns_cache_get(r->cache, n, DNS_TYPE_DNSKEY, now, DNS_RANK_ANSWER,
                          &v) &&
            v.sec != DNS_CACHE_UNCHECKED) {
            if (v.sec == DNS_VAL_BOGUS || v.sec == DNS_VAL_INDETERMINATE) {
                *ede = v.ede;
                return DNS_VAL_BOGUS;
            }
            if (v.sec == DNS_VAL_INSECURE)
                return DNS_VAL_INSECURE;
            if (here && v.kind == DNS_CACHE_RRSET) {
                *kv = v;
                return DNS_VAL_SECURE;
            }
        }
        if (dns_cache_get(r->cache, n, DNS_TYPE_DS, now, DNS_RANK_REFERRAL,
                          &v) &&
            v.sec != DNS_CACHE_UNCHECKED) {
            if (v.sec == DNS_VAL_BOGUS || v.sec == DNS_VAL_INDETERMINATE) {
                *ede = v.ede;
                return DNS_VAL_BOGUS;
            }
            if (v.kind != DNS_CACHE_RRSET || v.sec == DNS_VAL_INSECURE ||
                !ds_usable(r, v.nrr, v.data))
                return DNS_VAL_INSECURE;
            if (here)
                ds_secure = true;
        }
    }
    if (dns_cache_get(r->cache, zone, DNS_TYPE_DNSKEY, now, DNS_RANK_ANSWER,
                      &v) &&
        v.sec != DNS_CACHE_UNCHECKED) {
        if (v.sec == DNS_VAL_SECURE && v.kind == DNS_CACHE_RRSET) {
            *kv = v;
            return DNS_VAL_SECURE;
        }
        if (v.sec == DNS_VAL_INSECURE)
            return DNS_VAL_INSECURE;
        *ede = v.ede ? v.ede : EDE_NO_DNSKEY;
        return DNS_VAL_BOGUS;
    }
    if (ds_secure || dns_name_equal(zone, anchor))
        return NEED_DNSKEY;
    return NEED_DS;
}

/*
 * Called before the top frame asks its servers: makes the key state of
 * its zone known (frame.ks).  Returns true when it pushed a frame to
 * fetch a DS or DNSKEY RRset first (the caller loops).
 */
bool res_val_keys(struct dns_res_task *t, uint64_t now)
{
    struct dns_res *r = t->r;
    struct frame *f = &t->f[t->depth];
    struct dns_cache_view kv;
    int k;

    if (f->ks != KS_UNKNOWN)
        return false;
    if (f->kind == FR_NSADDR) {
        f->ks = KS_NONE; /* not validated */
        return false;
    }
    k = zone_keys(r, f->zone, now, &f->kede, &kv);
    if (k == DNS_VAL_SECURE || k == DNS_VAL_INSECURE || k == DNS_VAL_BOGUS) {
        f->ks = (uint8_t)k;
        return false;
    }
    if (k == NEED_DNSKEY && f->qtype == DNS_TYPE_DNSKEY &&
        dns_name_equal(f->qname, f->zone)) {
        f->ks = KS_DNSKEY; /* this frame fetches them */
        return false;
    }
    bool *pushed = k == NEED_DS ? &f->pushed_ds : &f->pushed_dnskey;
    bool loop = false;
    uint16_t type = k == NEED_DS ? DNS_TYPE_DS : DNS_TYPE_DNSKEY;
    for (unsigned d = 0; d <= t->depth; d++)
        if (t->f[d].qtype == type && dns_name_equal(t->f[d].qname, f->zone))
            loop = true;
    if (*pushed || loop || t->depth + 1 >= r->nframes) {
        /* fetched and still unknown (no answer, no keys), or no room:
           the keys are missing (RFC 4035 5.5; Unbound: bogus) */
        f->ks = DNS_VAL_BOGUS;
        f->kede = EDE_NO_DNSKEY;
        return false;
    }
    *pushed = true;
    res_frame_push_key(t, f->zone, type, now);
    return true;
}

/* Gathers the RRSIGs covering (type) of (owner) in section (sec) of (m)
 * into (out) in view.extra form (owner lowercased).  Returns the length
 * (what does not fit in (cap) is left out). */
size_t res_val_sigs(struct dns_res *r, const struct dns_msg *m,
                    enum dns_section sec, const uint8_t *owner, uint16_t type,
                    uint8_t *out, size_t cap)
{
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t w = 0, on = dns_name_len(owner), rl;

    dns_rr_iter_init(&it, m, sec);
    while (dns_rr_next(&it, &rr) && rr.section == sec) {
        if (rr.type != DNS_TYPE_RRSIG || rr.rclass != DNS_CLASS_IN ||
            rr.rdlen < 2 || !dns_name_equal(rr.owner, owner) ||
            tb_get16(m->buf + rr.rdoff) != type)
            continue;
        if (dns_rdata_unpack(m->buf, m->len, rr.rdoff, rr.rdlen, rr.type,
                             r->rdata, sizeof(r->rdata), &rl) != 0 ||
            w + on + 4 + rl > cap)
            continue;
        memcpy(out + w, owner, on);
        dns_name_lower(out + w);
        tb_put16(out + w + on, DNS_TYPE_RRSIG);
        tb_put16(out + w + on + 2, (uint16_t)rl);
        memcpy(out + w + on + 4, r->rdata, rl);
        w += on + 4 + rl;
    }
    return w;
}

/* The denial records of a negative answer's authority section (NSEC,
 * NSEC3 and every RRSIG, owners under (zone); with (denial_only) only the
 * RRSIGs of NSEC and NSEC3) into (out) in view.extra form.  Returns the
 * length (0 when they do not all fit). */
size_t res_val_proof(struct dns_res *r, const struct dns_msg *m,
                     const uint8_t *zone, bool denial_only, uint8_t *out,
                     size_t cap)
{
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t w = 0, rl;

    dns_rr_iter_init(&it, m, DNS_SEC_AUTHORITY);
    while (dns_rr_next(&it, &rr) && rr.section == DNS_SEC_AUTHORITY) {
        if ((rr.type != DNS_TYPE_NSEC && rr.type != DNS_TYPE_NSEC3 &&
             rr.type != DNS_TYPE_RRSIG) ||
            rr.rclass != DNS_CLASS_IN || !dns_name_is_sub(rr.owner, zone))
            continue;
        if (dns_rdata_unpack(m->buf, m->len, rr.rdoff, rr.rdlen, rr.type,
                             r->rdata, sizeof(r->rdata), &rl) != 0)
            continue;
        if (denial_only && rr.type == DNS_TYPE_RRSIG && rl >= 2 &&
            tb_get16(r->rdata) != DNS_TYPE_NSEC &&
            tb_get16(r->rdata) != DNS_TYPE_NSEC3)
            continue;
        if (w + rr.owner_len + 4 + rl > cap)
            return 0;
        memcpy(out + w, rr.owner, rr.owner_len);
        dns_name_lower(out + w);
        tb_put16(out + w + rr.owner_len, rr.type);
        tb_put16(out + w + rr.owner_len + 2, (uint16_t)rl);
        memcpy(out + w + rr.owner_len + 4, r->rdata, rl);
        w += rr.owner_len + 4 + rl;
    }
    return w;
}

/* Moves the frame's zone down to (zone) (a cut the referrals did not
 * show); its key state is looked up again. */
static void move_zone(struct frame *f, const uint8_t *zone)
{
    memmove(f->zone, zone, dns_name_len(zone));
    dns_name_lower(f->zone);
    f->ks = KS_UNKNOWN;
    f->kede = 0;
    f->pushed_ds = f->pushed_dnskey = false;
    f->probe = 0;
    f->qmin = false;
}

/* Is (x), a name between the frame's zone and the name asked, an unsigned
 * child zone?  Its DS NODATA (cached, validated) must show a delegation
 * (NSEC/NSEC3 bitmap with NS, without SOA), or come from an opt-out span
 * (insecure). */
static bool proven_cut(struct dns_res_task *t, const struct frame *f,
                       const uint8_t *x, const struct dns_cache_view *v,
                       uint64_t now)
{
    struct dns_res *r = t->r;
    struct dns_val_nrr nr[16];
    struct dns_val_conf vc;
    size_t n = 0;

    if (v->sec == DNS_VAL_INSECURE)
        return true;
    if (v->sec != DNS_VAL_SECURE)
        return false;
    for (size_t o = 0; o < v->extra_len && n < TB_ARRAY_SIZE(nr);) {
        const uint8_t *p = v->extra + o;
        size_t on = dns_name_len(p);
        uint16_t type = tb_get16(p + on), rl = tb_get16(p + on + 2);
        if (type == DNS_TYPE_NSEC || type == DNS_TYPE_NSEC3) {
            nr[n].owner = p;
            nr[n].rdata = p + on + 4;
            nr[n++].rdlen = rl;
        }
        o += on + 4 + rl;
    }
    val_conf(t, now, &vc);
    return r->conf.val->delegation(&vc, f->zone, nr, n, x);
}

/*
 * A zone cut the referrals did not show: a server of the frame's zone
 * that also serves a child zone answers from the child (AA).  Signed, the
 * signer of the answer's RRSIG (else of the negative answer's SOA) names
 * the child, as Unbound's validator reads it; unsigned, the names between
 * the zone and the name asked are tried, from the top, for an unsigned
 * delegation: their DS is fetched (a key frame) and a proven delegation
 * without DS is the child (stripped signatures at a name that is no
 * delegation stay bogus).  The frame then moves its zone there (the same
 * servers serve it), looks up its key state and asks again: true.
 * Bounded: the zone only moves down, one DS fetch per name.
 */
bool res_val_cut(struct dns_res_task *t, const struct dns_msg *m, uint64_t now)
{
    struct dns_res *r = t->r;
    struct frame *f = &t->f[t->depth];
    struct dns_rr_iter it;
    struct dns_rr rr;
    struct dns_cache_view v;
    size_t rl;
    unsigned zl, sl;

    if (!r->validating || f->kind == FR_NSADDR || f->ks != DNS_VAL_SECURE)
        return false;
    for (int sec = DNS_SEC_ANSWER; sec <= DNS_SEC_AUTHORITY; sec++) {
        dns_rr_iter_init(&it, m, (enum dns_section)sec);
        while (dns_rr_next(&it, &rr) && rr.section == (enum dns_section)sec) {
            if (rr.type != DNS_TYPE_RRSIG || rr.rclass != DNS_CLASS_IN ||
                rr.rdlen < 20)
                continue;
            uint16_t covered = tb_get16(m->buf + rr.rdoff);
            if (sec == DNS_SEC_ANSWER ? !dns_name_equal(rr.owner, t->sent)
                                      : covered != DNS_TYPE_SOA)
                continue;
            if (dns_rdata_unpack(m->buf, m->len, rr.rdoff, rr.rdlen, rr.type,
                                 r->rdata, sizeof(r->rdata), &rl) != 0 ||
                rl < 19)
                return false;
            const uint8_t *signer = r->rdata + 18;
            if (!dns_name_is_sub(signer, f->zone) ||
                dns_name_equal(signer, f->zone) ||
                !dns_name_is_sub(t->sent, signer))
                return false; /* signed by the zone (or nonsense) */
            move_zone(f, signer);
            return true;
        }
    }
    /* unsigned: an unsigned child zone between? */
    zl = dns_name_labels(f->zone);
    sl = dns_name_labels(t->sent);
    for (unsigned l = TB_MAX(zl + 1, (unsigned)f->probe + 1); l <= sl; l++) {
        const uint8_t *x = dns_name_skip(t->sent, sl - l);
        if (l == sl && t->sent_type == DNS_TYPE_DS)
            break; /* a DS is the parent's */
        if (!dns_cache_get(r->cache, x, DNS_TYPE_DS, now, DNS_RANK_REFERRAL,
                           &v) ||
            v.sec == DNS_CACHE_UNCHECKED) {
            if (f->probe_pushed == l || t->depth + 1 >= r->nframes)
                continue; /* asked already: no usable answer */
            f->probe_pushed = (uint8_t)l;
            f->probe = (uint8_t)(l - 1);
            res_frame_push_key(t, x, DNS_TYPE_DS, now);
            return true;
        }
        if ((v.kind == DNS_CACHE_RRSET && v.sec == DNS_VAL_SECURE) ||
            (v.kind == DNS_CACHE_NODATA && proven_cut(t, f, x, &v, now))) {
            move_zone(f, x);
            return true;
        }
        f->probe = (uint8_t)l; /* not a cut: the next name down */
    }
    return false;
}

/* RFC 4035 5.3.3: a validated RRset is kept no longer than its RRSIGs'
 * original TTL and expiration allow (the RRSIGs (sigs, slen) in
 * view.extra form).  Returns (ttl) capped. */
uint32_t res_val_ttl(struct dns_res *r, const uint8_t *sigs, size_t slen,
                     uint32_t ttl, uint64_t now)
{
    uint32_t t = (uint32_t)(r->unix_at_zero + (int64_t)(now / NS_PER_S));

    for (size_t o = 0; o < slen;) {
        size_t on = dns_name_len(sigs + o);
        uint16_t rl = tb_get16(sigs + o + on + 2);
        const uint8_t *rd = sigs + o + on + 4;
        if (rl >= 12 && tb_get16(sigs + o + on) == DNS_TYPE_RRSIG) {
            uint32_t orig = tb_get32(rd + 4), expi = tb_get32(rd + 8);
            int32_t left = (int32_t)(expi - t); /* RFC 1982 */
            ttl = TB_MIN(ttl, orig);
            if (left >= 0)
                ttl = TB_MIN(ttl, (uint32_t)left);
        }
        o += on + 4 + rl;
    }
    return ttl;
}

/* An RRset's RRSIGs (sigs, slen) (view.extra form) show a wildcard
 * expansion (labels below the owner's): its denial proof from the
 * authority section (RFC 4035 3.1.3.3) goes to (out) for DO clients.
 * Returns its length (0: not a wildcard, or no proof). */
size_t res_val_wildcard(struct dns_res *r, const struct dns_msg *m,
                        const uint8_t *zone, const uint8_t *owner,
                        const uint8_t *sigs, size_t slen, uint8_t *out,
                        size_t cap)
{
    unsigned labels = dns_name_labels(owner);
    bool wild = false;

    for (size_t o = 0; o < slen;) {
        size_t on = dns_name_len(sigs + o);
        uint16_t rl = tb_get16(sigs + o + on + 2);
        if (rl >= 4 && sigs[o + on + 4 + 3] < labels)
            wild = true;
        o += on + 4 + rl;
    }
    return wild ? res_val_proof(r, m, zone, true, out, cap) : 0;
}

/*
 * A reply found BOGUS by the zone's own keys may be one server's fault
 * (stale signatures, a broken copy): as Unbound does, the reply is
 * dropped and another server of the zone asked, at most BOGUS_RETRIES
 * times per frame and only while one is left to ask.  Returns true then
 * (the server is marked bad for this name).  When no server answers
 * better, the last bogus reply is taken (the frame's servers all agree)
 * or, if none is left at all, the frame ends SERVFAIL with its EDE.
 */
bool res_val_retry(struct dns_res_task *t)
{
    struct frame *f = &t->f[t->depth];

    if (t->vsec != DNS_VAL_BOGUS ||
        (f->ks != DNS_VAL_SECURE && f->ks != KS_DNSKEY) ||
        f->bogus_retries >= BOGUS_RETRIES)
        return false;
    for (unsigned k = 0; k < f->naddr; k++)
        if ((int)k != t->cur && !f->addr[k].bad &&
            f->addr[k].tries < t->r->conf.max_tries) {
            f->addr[t->cur].bad = true;
            f->bogus_retries++;
            f->bogus_ede = t->vede ? t->vede : EDE_BOGUS;
            return true;
        }
    return false;
}

/* RFC 8914 code of a reason for a BOGUS state (6 when it has none). */
static uint8_t bogus_ede(const struct dns_res *r, enum dns_val_reason why)
{
    int e = r->conf.val->ede(why);
    return (uint8_t)(e > 0 && e < 256 ? e : EDE_BOGUS);
}

/* Validates the DNSKEY RRset of the frame's zone in (m) against the DS
 * set (cached, SECURE) or the anchor. */
static uint8_t val_dnskey(struct dns_res_task *t, const struct dns_msg *m,
                          const struct dns_val_conf *vc, uint64_t now,
                          uint8_t *ede)
{
    struct dns_res *r = t->r;
    const struct dns_res_val *val = r->conf.val;
    struct frame *f = &t->f[t->depth];
    struct dns_val_rdata keys[32], sigs[16], ds[16], ak[16];
    struct dns_val_rrset set = {f->zone, DNS_TYPE_DNSKEY, DNS_CLASS_IN, 0,
                                keys};
    struct dns_cache_view v;
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t nsig = 0, nds, nak, w = 0, rl;
    enum dns_val_reason why = DNS_VAL_R_OK;
    enum dns_val_state st;

    /* the records, decompressed into the resolver's payload buffer */
    dns_rr_iter_init(&it, m, DNS_SEC_ANSWER);
    while (dns_rr_next(&it, &rr) && rr.section == DNS_SEC_ANSWER) {
        bool key = rr.type == DNS_TYPE_DNSKEY;
        if ((!key && rr.type != DNS_TYPE_RRSIG) || rr.rclass != DNS_CLASS_IN ||
            !dns_name_equal(rr.owner, f->zone) ||
            (key ? set.n == TB_ARRAY_SIZE(keys) : nsig == TB_ARRAY_SIZE(sigs)))
            continue;
        if (dns_rdata_unpack(m->buf, m->len, rr.rdoff, rr.rdlen, rr.type,
                             r->payload + w, sizeof(r->payload) - w, &rl) != 0)
            continue;
        if (key) {
            keys[set.n].p = r->payload + w;
            keys[set.n++].len = (uint16_t)rl;
        } else {
            sigs[nsig].p = r->payload + w;
            sigs[nsig++].len = (uint16_t)rl;
        }
        w += rl;
    }
    if (set.n == 0) {
        *ede = EDE_NO_DNSKEY;
        return DNS_VAL_BOGUS;
    }
    nak = val->anchors_get(val->anchors, f->zone, DNS_TYPE_DNSKEY, ak,
                           TB_ARRAY_SIZE(ak));
    nds = val->anchors_get(val->anchors, f->zone, DNS_TYPE_DS, ds,
                           TB_ARRAY_SIZE(ds));
    nak = TB_MIN(nak, TB_ARRAY_SIZE(ak));
    nds = TB_MIN(nds, TB_ARRAY_SIZE(ds));
    if (nak == 0 && nds == 0) {
        if (!dns_cache_get(r->cache, f->zone, DNS_TYPE_DS, now,
                           DNS_RANK_REFERRAL, &v) ||
            v.kind != DNS_CACHE_RRSET || v.sec != DNS_VAL_SECURE) {
            *ede = EDE_NO_DNSKEY;
            return DNS_VAL_BOGUS;
        }
        nds = rdatas(v.nrr, v.data, ds, TB_ARRAY_SIZE(ds));
    }
    st = val->dnskey(vc, &set, sigs, nsig, ds, nds, ak, nak, &why);
    *ede = st == DNS_VAL_BOGUS ? bogus_ede(r, why) : 0;
    return (uint8_t)st;
}

/*
 * Validates reply (m) of the top frame's servers once: sets t->vsec (the
 * state every cache entry made from it carries) and t->vede.  Not
 * validated (DNS_CACHE_UNCHECKED): without validation, and the addresses
 * of NS names (frames FR_NSADDR).
 */
void res_val_reply(struct dns_res_task *t, const struct dns_msg *m,
                   uint64_t now)
{
    struct dns_res *r = t->r;
    struct frame *f = &t->f[t->depth];
    struct dns_val_conf vc;
    struct dns_cache_view kv;
    struct dns_val_rdata keys[32];
    enum dns_val_reason why = DNS_VAL_R_OK;
    uint8_t ede = 0, st;

    t->vsec = DNS_CACHE_UNCHECKED;
    t->vede = 0;
    if (!r->validating || f->kind == FR_NSADDR)
        return;
    switch (f->ks) {
    case DNS_VAL_INSECURE:
        st = DNS_VAL_INSECURE;
        break;
    case DNS_VAL_BOGUS:
    case DNS_VAL_INDETERMINATE:
        st = DNS_VAL_BOGUS;
        ede = f->kede ? f->kede : EDE_BOGUS;
        break;
    case KS_DNSKEY:
        val_conf(t, now, &vc);
        st = val_dnskey(t, m, &vc, now, &ede);
        break;
    case DNS_VAL_SECURE:
        if (zone_keys(r, f->zone, now, &ede, &kv) != DNS_VAL_SECURE) {
            st = DNS_VAL_BOGUS; /* evicted meanwhile: ask again later */
            ede = EDE_NO_DNSKEY;
            break;
        }
        val_conf(t, now, &vc);
        st = r->conf.val->response(
            &vc, m->buf, m->len, t->sent, t->sent_type, f->zone, keys,
            rdatas(kv.nrr, kv.data, keys, TB_ARRAY_SIZE(keys)), r->vwork,
            VAL_WORK, &why);
        if (st == DNS_VAL_BOGUS || st == DNS_VAL_INDETERMINATE) {
            st = DNS_VAL_BOGUS;
            ede = bogus_ede(r, why);
        }
        break;
    default:
        return; /* keys not looked at: nothing is believed unchecked */
    }
    t->vsec = st;
    t->vede = ede;
    switch (st) {
    case DNS_VAL_SECURE:
        r->st.val_secure++;
        break;
    case DNS_VAL_INSECURE:
        r->st.val_insecure++;
        break;
    case DNS_VAL_BOGUS:
        r->st.val_bogus++;
        break;
    default:
        r->st.val_indeterminate++;
        break;
    }
}
