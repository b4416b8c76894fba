/*
 * res_cache.c -- the resolver's cache of RRsets and negative answers
 * (RFC 2308), keyed by (name, type) in class IN, and the fast hit path
 * that answers a client from it (dns_cache_answer).
 *
 *   dns_res_query -> dns_cache_answer -> hit: response bytes, done
 *                                     \-> miss: a resolution task, which
 *                                         reads (dns_cache_get) and fills
 *                                         (dns_cache_put) the cache
 *
 * Memory: one block of exactly conf.mem_bytes, taken at init: this
 * struct, a power-of-two table of bucket heads, and a ring log of
 * entries.  An entry is written at the ring's head; when there is no
 * room the entry at the tail goes (expired or unused ones), or, when it
 * was read since it was written, moves to the head once (its second
 * chance: CLOCK over a log, no list to update on a hit -- a hit only sets
 * a flag).  Entries never straddle the ring's end (a pad record fills
 * it).  So the bound is exact and there is no fragmentation.
 *
 * Not here: locking.  One cache is used by one thread; tibra-dnsd will
 * give each worker its own (see docs/DESIGN.md, "res").
 */
#include <assert.h>
#include <tibra/dns.h>
#include <tibra/dns/res.h>

#include "res_int.h"

/* Ring record header; records are 8-byte aligned. */
struct ent {
    uint32_t size; /* whole record, a multiple of 8 */
    uint32_t hnext; /* next record of the bucket, offset + 1, 0 = end */
    uint64_t expire; /* monotonic ns */
    uint32_t hash;
    uint16_t type;
    uint16_t nrr;
    uint32_t len; /* payload bytes after the name */
    uint8_t kind; /* enum dns_cache_kind, 0 = pad */
    uint8_t rank;
    uint8_t namelen; /* lowercased wire name follows the header */
    uint8_t flags; /* E_LIVE, E_REF */
    uint32_t xlen; /* DNSSEC records after the payload (view.extra) */
    uint8_t sec; /* DNS_CACHE_UNCHECKED or enum dns_val_state */
    uint8_t ede; /* BOGUS: the RFC 8914 info-code */
    uint16_t ttl0; /* the TTL stored, in units of 2 s (prefetch) */
};
#define E_LIVE 0x1 /* in the table (else dead: replaced or a pad) */
#define E_REF  0x2 /* read since written or moved: second chance */

struct dns_cache {
    struct tb_alloc a;
    size_t mem_bytes;
    struct dns_cache_conf conf;
    uint32_t *bucket; /* offset + 1 of the first record, 0 = empty */
    uint32_t mask;
    uint8_t *ring;
    size_t cap, head, tail, used;
    uint64_t seed;
    struct dns_cache_stats st;
    bool validating; /* dns_cache_set_validating */
    /* The answer being written is stale (dns_cache_answer_stale): every
       TTL DNS_CACHE_STALE_TTL, EDE 3. */
    bool stale;
    /* A hit read an entry with less than 10% of its TTL left: the
       resolver's prefetch takes it (res_cache_near_expiry). */
    bool near_expiry;
};

#define NS_PER_S 1000000000ull

static size_t align8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

static struct ent *at(const struct dns_cache *c, size_t off)
{
    return (struct ent *)(void *)(c->ring + off);
}

int dns_cache_init(struct dns_cache **cp, const struct dns_cache_conf *conf,
                   const struct tb_alloc *a)
{
    struct dns_cache *c;
    size_t mem = conf->mem_bytes, nb = 1024, hdr;
    uint8_t *block;

    if (mem < 65536 || mem > 0xffffffffull)
        return TB_EINVAL;
    /* One bucket (4 bytes) per 128 bytes of memory: chains stay short
       for entries of ~100 bytes and more. */
    while (nb * 2 * 128 <= mem)
        nb *= 2;
    hdr = align8(sizeof(*c));
    block = tb_alloc(a, mem);
    if (block == NULL)
        return TB_ENOMEM;
    c = (struct dns_cache *)(void *)block;
    memset(c, 0, sizeof(*c));
    c->a = *a;
    c->mem_bytes = mem;
    c->conf = *conf;
    if (c->conf.ttl_max == 0)
        c->conf.ttl_max = 86400;
    if (c->conf.neg_ttl_max == 0)
        c->conf.neg_ttl_max = 3600;
    c->bucket = (uint32_t *)(void *)(block + hdr);
    c->mask = (uint32_t)(nb - 1);
    memset(c->bucket, 0, nb * 4);
    c->ring = block + hdr + align8(nb * 4);
    c->cap = (mem - hdr - align8(nb * 4)) & ~(size_t)7;
    c->seed =
        conf->seed ? conf->seed : 0x5bd1e995u ^ (uint64_t)(uintptr_t)block;
    *cp = c;
    return 0;
}

void dns_cache_free(struct dns_cache *c)
{
    if (c != NULL) {
        struct tb_alloc a = c->a;
        tb_free(&a, c, c->mem_bytes);
    }
}

/* Lowercases (name) into (out); returns its length. */
static size_t lower(const uint8_t *name, uint8_t *out)
{
    size_t n = dns_name_len(name);
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = name[i];
        out[i] = ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + 32) : ch;
    }
    return n;
}

static uint32_t hash_key(const struct dns_cache *c, const uint8_t *lname,
                         size_t n, uint16_t type)
{
    return (uint32_t)tb_hash64(lname, n, c->seed ^ type);
}

/* Finds the live record of the key; returns its offset + 1, or 0. */
static uint32_t find(const struct dns_cache *c, const uint8_t *lname, size_t n,
                     uint16_t type, uint32_t h)
{
    for (uint32_t o = c->bucket[h & c->mask]; o != 0; o = at(c, o - 1)->hnext) {
        const struct ent *e = at(c, o - 1);
        if (e->hash == h && e->type == type && e->namelen == n &&
            memcmp(e + 1, lname, n) == 0)
            return o;
    }
    return 0;
}

/* Removes record (o) (offset + 1, live) from its bucket chain. */
static void unlink_ent(struct dns_cache *c, uint32_t o)
{
    struct ent *e = at(c, o - 1);
    uint32_t *pp = &c->bucket[e->hash & c->mask];

    while (*pp != o) {
        assert(*pp != 0);
        pp = &at(c, *pp - 1)->hnext;
    }
    *pp = e->hnext;
    e->flags &= (uint8_t)~E_LIVE;
    c->st.entries--;
}

static void link_ent(struct dns_cache *c, size_t off)
{
    struct ent *e = at(c, off);
    uint32_t *b = &c->bucket[e->hash & c->mask];

    e->hnext = *b;
    *b = (uint32_t)off + 1;
    e->flags |= E_LIVE;
    c->st.entries++;
}

static void advance(struct dns_cache *c, size_t *pos, size_t n)
{
    *pos += n;
    if (*pos == c->cap)
        *pos = 0;
}

/*
 * Frees the record at the tail, or gives it its second chance: a live,
 * unexpired record read since it was written is moved to the head (the
 * free space stays where it is, it only rotates) with its flag cleared,
 * so it goes the next time round unless read again.
 */
static void evict_tail(struct dns_cache *c, uint64_t now)
{
    struct ent *e = at(c, c->tail);
    size_t sz, off = c->tail;

    if (c->cap - off < sizeof(*e)) { /* a pad shorter than a header */
        c->used -= c->cap - off;
        c->tail = 0;
        return;
    }
    sz = e->size;
    assert(c->used >= sz && sz >= 8);
    if ((e->flags & E_LIVE) && (e->flags & E_REF) && e->expire > now) {
        /* head < tail or head == tail (full): [head, tail + sz) is free
           once this record leaves, so it fits at head. */
        unlink_ent(c, (uint32_t)off + 1);
        memmove(c->ring + c->head, c->ring + off, sz);
        at(c, c->head)->flags &= (uint8_t)~E_REF;
        link_ent(c, c->head);
        advance(c, &c->head, sz);
        advance(c, &c->tail, sz);
        return;
    }
    if (e->flags & E_LIVE) {
        unlink_ent(c, (uint32_t)off + 1);
        if (e->expire <= now)
            c->st.expired_evicted++;
        else
            c->st.evicted++;
    }
    c->used -= sz;
    advance(c, &c->tail, sz);
}

/* Finds (sz) contiguous bytes at the head, evicting as needed.  Returns
 * the offset, or -1 (cannot happen for sz <= cap / 4). */
static long reserve(struct dns_cache *c, size_t sz, uint64_t now)
{
    /* Each turn frees a record, pads the end, or moves a record whose
       second chance it clears: at most three passes over the ring. */
    size_t guard = 3 * (c->cap / sizeof(struct ent)) + 8;

    while (guard-- > 0) {
        if (c->used == 0)
            c->head = c->tail = 0;
        if (c->used == 0 || c->head > c->tail) {
            size_t room = c->cap - c->head;
            if (room >= sz)
                goto take;
            /* Pad to the end and wrap (room is a multiple of 8; a pad
               shorter than a header is recognised by its place). */
            if (room >= sizeof(struct ent)) {
                struct ent *p = at(c, c->head);
                memset(p, 0, sizeof(*p));
                p->size = (uint32_t)room;
            }
            c->used += room;
            c->head = 0;
            continue;
        }
        if (c->head < c->tail && c->tail - c->head >= sz)
            goto take;
        evict_tail(c, now);
    }
    return -1;
take:;
    size_t off = c->head;
    advance(c, &c->head, sz);
    c->used += sz;
    return (long)off;
}

static uint32_t cap_ttl(const struct dns_cache *c, uint8_t kind, uint32_t ttl)
{
    if (kind != DNS_CACHE_RRSET)
        return ttl > c->conf.neg_ttl_max ? c->conf.neg_ttl_max : ttl;
    if (ttl < c->conf.ttl_min)
        ttl = c->conf.ttl_min;
    return ttl > c->conf.ttl_max ? c->conf.ttl_max : ttl;
}

void dns_cache_set_validating(struct dns_cache *c, bool on)
{
    c->validating = on;
}

int dns_cache_put(struct dns_cache *c, const uint8_t *name, uint16_t type,
                  uint8_t kind, uint8_t rank, uint32_t ttl, uint16_t nrr,
                  const uint8_t *data, size_t len, uint64_t now)
{
    return dns_cache_put_sec(c, name, type, kind, rank, ttl, nrr, data, len,
                             DNS_CACHE_UNCHECKED, 0, NULL, 0, now);
}

int dns_cache_put_sec(struct dns_cache *c, const uint8_t *name, uint16_t type,
                      uint8_t kind, uint8_t rank, uint32_t ttl, uint16_t nrr,
                      const uint8_t *data, size_t len, uint8_t sec, uint8_t ede,
                      const uint8_t *extra, size_t xlen, uint64_t now)
{
    uint8_t lname[DNS_NAME_MAXLEN];
    size_t n = lower(name, lname), sz;
    uint32_t h = hash_key(c, lname, n, type), o;
    long off;

    if (ttl == 0)
        return 0; /* RFC 1035 3.2.1: use once, never cache */
    if (sec == DNS_VAL_BOGUS && ttl > DNS_CACHE_BOGUS_TTL)
        ttl = DNS_CACHE_BOGUS_TTL;
    sz = align8(sizeof(struct ent) + n + len + xlen);
    if (len > 0xffff + DNS_NAME_MAXLEN || xlen > 0xffff || sz > c->cap / 4)
        return TB_ENOSPC;
    o = find(c, lname, n, type, h);
    if (o != 0) {
        const struct ent *old = at(c, o - 1);
        if (old->rank > rank && old->expire > now) {
            c->st.refused_rank++;
            return 0;
        }
        unlink_ent(c, o);
        c->st.replaced++;
    }
    off = reserve(c, sz, now);
    if (NEVER(off < 0))
        return TB_ENOSPC;
    struct ent *e = at(c, (size_t)off);
    e->size = (uint32_t)sz;
    e->expire = now + (uint64_t)cap_ttl(c, kind, ttl) * NS_PER_S;
    e->hash = h;
    e->type = type;
    e->nrr = nrr;
    e->len = (uint32_t)len;
    e->kind = kind;
    e->rank = rank;
    e->namelen = (uint8_t)n;
    e->flags = 0;
    e->xlen = (uint32_t)xlen;
    e->sec = sec;
    e->ede = ede;
    e->ttl0 = (uint16_t)TB_MIN((cap_ttl(c, kind, ttl) + 1) / 2, 0xffffu);
    memcpy(e + 1, lname, n);
    if (len > 0)
        memcpy((uint8_t *)(e + 1) + n, data, len);
    if (xlen > 0)
        memcpy((uint8_t *)(e + 1) + n + len, extra, xlen);
    link_ent(c, (size_t)off);
    c->st.inserts++;
    return 0;
}

/* Lookup with a name already lowercased. */
static bool get_lower(struct dns_cache *c, const uint8_t *lname, size_t n,
                      uint16_t type, uint64_t now, unsigned min_rank,
                      struct dns_cache_view *v)
{
    uint32_t o = find(c, lname, n, type, hash_key(c, lname, n, type));
    struct ent *e;

    if (o == 0)
        return false;
    e = at(c, o - 1);
    if (e->expire <= now || e->rank < min_rank)
        return false;
    e->flags |= E_REF;
    v->kind = e->kind;
    v->rank = e->rank;
    v->nrr = e->nrr;
    /* rounded up: an entry just stored shows its whole TTL */
    v->ttl = (uint32_t)((e->expire - now + NS_PER_S - 1) / NS_PER_S);
    if ((uint64_t)v->ttl * 10 < (uint64_t)e->ttl0 * 2)
        c->near_expiry = true; /* under 10% left */
    if (TB_UNLIKELY(c->stale))
        v->ttl = DNS_CACHE_STALE_TTL;
    v->data = (const uint8_t *)(e + 1) + e->namelen;
    v->len = e->len;
    v->sec = e->sec;
    v->ede = e->ede;
    v->extra = v->data + e->len;
    v->extra_len = e->xlen;
    return true;
}

bool dns_cache_get(struct dns_cache *c, const uint8_t *name, uint16_t type,
                   uint64_t now, unsigned min_rank, struct dns_cache_view *v)
{
    uint8_t lname[DNS_NAME_MAXLEN];
    size_t n = lower(name, lname);

    return get_lower(c, lname, n, type, now, min_rank, v);
}

void dns_cache_stats(const struct dns_cache *c, struct dns_cache_stats *st)
{
    *st = c->st;
    st->bytes = c->used;
}

/*
 * ---------------------------------------------------------------------
 * The hit path
 * ---------------------------------------------------------------------
 */

static bool meta_type(uint16_t t)
{
    return t == DNS_TYPE_OPT || (t >= DNS_TYPE_TKEY && t <= DNS_TYPE_ANY) ||
           t == 0;
}

/* Appends one RR: owner (a pointer when (ptr) != 0, else the name),
 * class IN; returns the new length or 0 if it does not fit (limit). */
static size_t put_rr(uint8_t *out, size_t w, size_t limit, uint16_t ptr,
                     const uint8_t *owner, uint16_t type, uint32_t ttl,
                     const uint8_t *rd, size_t rdlen)
{
    size_t on = ptr ? 2 : dns_name_len(owner);

    if (w + on + DNS_RR_FIXED_LEN + rdlen > limit)
        return 0;
    if (ptr)
        tb_put16(out + w, ptr);
    else
        memcpy(out + w, owner, on);
    w += on;
    tb_put16(out + w, type);
    tb_put16(out + w + 2, DNS_CLASS_IN);
    tb_put32(out + w + 4, ttl);
    tb_put16(out + w + 8, (uint16_t)rdlen);
    memcpy(out + w + 10, rd, rdlen);
    return w + 10 + rdlen;
}

size_t dns_cache_answer(struct dns_cache *c, const uint8_t *q, size_t qlen,
                        bool tcp, uint64_t now, uint8_t *out, size_t cap)
{
    struct dns_query qu;

    if (dns_query_parse(&qu, q, qlen) != 0 ||
        DNS_OPCODE(qu.flags) != DNS_OPCODE_QUERY || qu.qclass != DNS_CLASS_IN ||
        meta_type(qu.qtype) || qu.tsig_off ||
        (qu.has_opt && qu.edns_version != 0))
        return 0;
    return dns_cache_answer_parsed(c, q, &qu, tcp, now, out, cap);
}

/* Is record (type, rd, rl) of an entry's extra part of a denial proof
 * (NSEC, NSEC3 and their RRSIGs: the authority section) rather than an
 * RRSIG of the RRset (the answer section)? */
static bool denial_rec(uint16_t type, const uint8_t *rd, uint16_t rl)
{
    if (type == DNS_TYPE_RRSIG && rl >= 2)
        type = tb_get16(rd);
    return type == DNS_TYPE_NSEC || type == DNS_TYPE_NSEC3;
}

/* Appends the DNSSEC records (x, xlen) of an entry (view.extra form) to
 * (out) at (w): with (denial) false the RRset's RRSIGs, owned by (owner)
 * (written as the pointer (ptr) when not 0; (owner) NULL: their own),
 * else the denial records with their own owners.  Returns the new length (0:
 * does not fit) and counts the records in (*n). */
static size_t put_extra(uint8_t *out, size_t w, size_t limit, bool denial,
                        uint16_t ptr, const uint8_t *owner, uint32_t ttl,
                        const uint8_t *x, size_t xlen, uint16_t *n)
{
    for (size_t o = 0; o < xlen;) {
        const uint8_t *xo = x + o;
        size_t on = dns_name_len(xo);
        uint16_t type = tb_get16(xo + on), rl = tb_get16(xo + on + 2);
        const uint8_t *rd = xo + on + 4;
        o += on + 4 + (size_t)rl;
        if (denial_rec(type, rd, rl) != denial)
            continue;
        w = denial || owner == NULL
                ? put_rr(out, w, limit, 0, xo, type, ttl, rd, rl)
                : put_rr(out, w, limit, ptr, owner, type, ttl, rd, rl);
        if (w == 0)
            return 0;
        (*n)++;
    }
    return w;
}

size_t dns_cache_answer_parsed(struct dns_cache *c, const uint8_t *q,
                               const struct dns_query *qp, bool tcp,
                               uint64_t now, uint8_t *out, size_t cap)
{
    const struct dns_query qu = *qp;
    struct dns_cache_view v;
    uint8_t cname[DNS_NAME_MAXLEN];
    const uint8_t *cur;
    size_t curlen, w, limit, opt_len;
    uint16_t ptr = 0xc00c, an = 0, ns = 0, rcode = DNS_RCODE_NOERROR;
    uint16_t tc = 0, ad = 0, ede = 0;
    /* validating: every entry used SECURE gives AD; DO gets the RRSIGs
       and proofs; a BOGUS entry is SERVFAIL unless CD */
    const bool val = c->validating;
    const bool dnssec = val && qu.has_opt && (qu.edns_flags & DNS_EDNS_DO);
    const bool cd = (qu.flags & DNS_FLAG_CD) != 0;
    bool secure = true;
    /* the denial proofs of wildcard answers in the chain: the authority
       section, after the answer */
    struct {
        const uint8_t *x;
        size_t len;
        uint32_t ttl;
    } pend[10];
    unsigned npend = 0;

    if (cap < DNS_UDP_MINLEN)
        return 0;
    limit = DNS_UDP_MINLEN;
    if (tcp)
        limit = DNS_MSG_MAXLEN;
    else if (qu.has_opt && qu.udp_size > DNS_UDP_MINLEN)
        limit = TB_MIN(qu.udp_size, DNS_EDNS_DEFAULT_UDP);
    limit = TB_MIN(limit, cap);
    opt_len = qu.has_opt ? DNS_RR_MIN_LEN + (c->stale ? 6 : 0) : 0;
    limit -= opt_len;
    memcpy(out + DNS_HDR_LEN, q + DNS_HDR_LEN, qu.question_end - DNS_HDR_LEN);
    w = qu.question_end;
    cur = qu.qname;
    curlen = qu.qname_len;
    for (unsigned step = 0;; step++) {
        size_t nw;
        if (step > 8)
            return 0; /* a long chain: the resolver decides */
        if (get_lower(c, cur, curlen, qu.qtype, now, DNS_RANK_ANSWER, &v)) {
            if (val) {
                if (v.sec == DNS_CACHE_UNCHECKED)
                    return 0;
                if (v.sec == DNS_VAL_BOGUS && !cd)
                    goto bogus;
                secure = secure && v.sec == DNS_VAL_SECURE;
            }
            if (v.kind == DNS_CACHE_NODATA)
                goto negative;
            const uint8_t *p = v.data;
            for (unsigned i = 0; i < v.nrr; i++) {
                uint16_t rl = tb_get16(p);
                nw =
                    put_rr(out, w, limit, ptr, cur, qu.qtype, v.ttl, p + 2, rl);
                if (nw == 0)
                    goto truncated;
                w = nw;
                an++;
                p += 2 + rl;
            }
            if (dnssec && v.extra_len > 0) {
                w = put_extra(out, w, limit, false, ptr, cur, v.ttl, v.extra,
                              v.extra_len, &an);
                if (w == 0)
                    goto truncated;
                pend[npend].x = v.extra;
                pend[npend].len = v.extra_len;
                pend[npend++].ttl = v.ttl;
            }
            break;
        }
        if (qu.qtype != DNS_TYPE_CNAME &&
            get_lower(c, cur, curlen, DNS_TYPE_CNAME, now, DNS_RANK_ANSWER,
                      &v) &&
            v.nrr == 1) {
            if (val) {
                if (v.sec == DNS_CACHE_UNCHECKED)
                    return 0;
                if (v.sec == DNS_VAL_BOGUS && !cd)
                    goto bogus;
                secure = secure && v.sec == DNS_VAL_SECURE;
            }
            uint16_t rl = tb_get16(v.data);
            nw = put_rr(out, w, limit, ptr, cur, DNS_TYPE_CNAME, v.ttl,
                        v.data + 2, rl);
            if (nw == 0)
                goto truncated;
            if (dnssec && v.extra_len > 0) {
                size_t xw = put_extra(out, nw, limit, false, ptr, cur, v.ttl,
                                      v.extra, v.extra_len, &an);
                if (xw == 0)
                    goto truncated;
                pend[npend].x = v.extra;
                pend[npend].len = v.extra_len;
                pend[npend++].ttl = v.ttl;
                /* the target's pointer still names the CNAME's rdata */
                ptr = nw - rl < 0x4000 ? (uint16_t)(0xc000 | (nw - rl)) : 0;
                w = xw;
            } else {
                ptr = nw - rl < 0x4000 ? (uint16_t)(0xc000 | (nw - rl)) : 0;
                w = nw;
            }
            an++;
            curlen = rl;
            memcpy(cname, v.data + 2, rl);
            dns_name_lower(cname);
            cur = cname;
            continue;
        }
        if (get_lower(c, cur, curlen, 0, now, DNS_RANK_ANSWER, &v)) {
            if (val) {
                if (v.sec == DNS_CACHE_UNCHECKED)
                    return 0;
                if (v.sec == DNS_VAL_BOGUS && !cd)
                    goto bogus;
                secure = secure && v.sec == DNS_VAL_SECURE;
            }
            rcode = DNS_RCODE_NXDOMAIN;
            goto negative;
        }
        return 0;
    }
    goto pending;
negative:
    if (v.len > 0) { /* the SOA: [owner][rdlen][rdata] */
        size_t on = dns_name_len(v.data);
        uint16_t rl = tb_get16(v.data + on);
        size_t nw = put_rr(out, w, limit, 0, v.data, DNS_TYPE_SOA, v.ttl,
                           v.data + on + 2, rl);
        if (nw == 0)
            goto truncated;
        w = nw;
        ns = 1;
    }
    if (dnssec && v.extra_len > 0) {
        w = put_extra(out, w, limit, true, 0, NULL, v.ttl, v.extra, v.extra_len,
                      &ns);
        if (w == 0)
            goto truncated;
        w = put_extra(out, w, limit, false, 0, NULL, v.ttl, v.extra,
                      v.extra_len, &ns);
        if (w == 0)
            goto truncated;
    }
pending: /* the denial proofs of wildcard answers (authority section) */
    for (unsigned i = 0; i < npend; i++) {
        w = put_extra(out, w, limit, true, 0, NULL, pend[i].ttl, pend[i].x,
                      pend[i].len, &ns);
        if (w == 0)
            goto truncated;
    }
    goto done;
bogus:
    /* RFC 4035 5.5: SERVFAIL; RFC 8914: why, in the OPT */
    w = qu.question_end;
    an = ns = 0;
    rcode = DNS_RCODE_SERVFAIL;
    ede = v.ede;
    secure = false;
    goto done;
truncated:
    w = qu.question_end;
    an = ns = 0;
    rcode = DNS_RCODE_NOERROR;
    tc = DNS_FLAG_TC;
done:
    if (TB_UNLIKELY(c->stale) && ede == 0) /* RFC 8914 4.4 */
        ede = 3; /* Stale Answer */
    /* RFC 6840 5.7: AD to a client that asked with AD or DO */
    if (val && secure && (dnssec || (qu.flags & DNS_FLAG_AD)))
        ad = DNS_FLAG_AD;
    tb_put16(out, qu.id);
    tb_put16(out + 2, (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA |
                                 (qu.flags & (DNS_FLAG_RD | DNS_FLAG_CD)) | tc |
                                 ad | rcode));
    tb_put16(out + 4, 1);
    tb_put16(out + 6, an);
    tb_put16(out + 8, ns);
    tb_put16(out + 10, qu.has_opt ? 1 : 0);
    if (qu.has_opt) { /* RFC 6891 6.1.2; RFC 3225 3: DO copied */
        out[w] = 0;
        tb_put16(out + w + 1, DNS_TYPE_OPT);
        tb_put16(out + w + 3, DNS_EDNS_DEFAULT_UDP);
        tb_put32(out + w + 5, qu.edns_flags & DNS_EDNS_DO);
        tb_put16(out + w + 9, ede ? 6 : 0);
        w += DNS_RR_MIN_LEN;
        if (ede) { /* RFC 8914 2: OPTION-CODE 15, the info-code */
            tb_put16(out + w, 15);
            tb_put16(out + w + 2, 2);
            tb_put16(out + w + 4, ede);
            w += 6;
        }
    }
    return w;
}

size_t dns_cache_answer_stale(struct dns_cache *c, const uint8_t *q,
                              const struct dns_query *qu, bool tcp,
                              uint64_t now, uint32_t max_stale_s, uint8_t *out,
                              size_t cap)
{
    uint64_t back = (uint64_t)max_stale_s * NS_PER_S;
    size_t n;

    /* Entries that expired after (now - back) are found: the lookups
       run at that time, and every TTL written is the stale one. */
    c->stale = true;
    n = dns_cache_answer_parsed(c, q, qu, tcp, now > back ? now - back : 0, out,
                                cap);
    c->stale = false;
    return n;
}

bool res_cache_near_expiry(struct dns_cache *c)
{
    bool v = c->near_expiry;
    c->near_expiry = false;
    return v;
}
