/*
 * val_denial.c -- authenticated denial of existence: NSEC (RFC 4035 5.4,
 * RFC 6840 4) and NSEC3 (RFC 5155 8, RFC 9276 iteration limits).  The
 * records given are already validated; this only reasons about them.
 */
#include <string.h>

#include <bearssl.h>
#include <tibra/dns/name.h>
#include <tibra/dns/val.h>

#include "val_int.h"

/* True when the type bitmap (bm, len) (RFC 4034 4.1.2) has (type). */
static bool bitmap_has(const uint8_t *bm, size_t len, uint16_t type)
{
    size_t o = 0;

    while (o + 2 <= len) {
        uint8_t win = bm[o], bl = bm[o + 1];
        if (bl == 0 || bl > 32 || bl > len - o - 2)
            return false;
        if (win == type >> 8) {
            unsigned bit = type & 0xff;
            return bit / 8 < bl && (bm[o + 2 + bit / 8] & (0x80 >> (bit % 8)));
        }
        o += 2 + (size_t)bl;
    }
    return false;
}

/* A delegation seen from the parent: NS without SOA (RFC 6840 4.1). */
static bool is_delegation(const uint8_t *bm, size_t len)
{
    return bitmap_has(bm, len, DNS_TYPE_NS) &&
           !bitmap_has(bm, len, DNS_TYPE_SOA);
}

/* ---- NSEC ------------------------------------------------------------ */

struct nsec {
    const uint8_t *owner, *next, *bm;
    size_t bmlen;
};

static bool nsec_get(const uint8_t *zone, const struct dns_val_nrr *r,
                     struct nsec *o)
{
    int nl = dns_name_check(r->rdata, r->rdlen);

    if (nl < 0 || !dns_name_is_sub(r->owner, zone))
        return false;
    o->owner = r->owner;
    o->next = r->rdata;
    o->bm = r->rdata + nl;
    o->bmlen = r->rdlen - (size_t)nl;
    return true;
}

/* (name) strictly between owner and next; the last NSEC wraps to the
 * apex (next <= owner). */
static bool nsec_covers(const struct nsec *n, const uint8_t *name)
{
    if (dns_name_cmp(n->owner, name) >= 0)
        return false;
    if (dns_name_cmp(n->next, n->owner) <= 0)
        return true;
    return dns_name_cmp(name, n->next) < 0;
}

/* Labels the two names share from the right. */
static unsigned common_labels(const uint8_t *a, const uint8_t *b)
{
    unsigned la = dns_name_labels(a), lb = dns_name_labels(b), n;

    n = TB_MIN(la, lb);
    while (n > 0 &&
           !dns_name_equal(dns_name_skip(a, la - n), dns_name_skip(b, lb - n)))
        n--;
    return n;
}

/* An NSEC that covers (name) and may speak for it: not a delegation or
 * DNAME above it (RFC 6840 4.1).  Returns its index or -1. */
static int nsec_find_cover(const uint8_t *zone, const struct dns_val_nrr *v,
                           size_t n, const uint8_t *name)
{
    struct nsec x;
    size_t i;

    for (i = 0; i < n; i++) {
        if (!nsec_get(zone, &v[i], &x) || !nsec_covers(&x, name))
            continue;
        if (dns_name_is_sub(name, x.owner) &&
            (is_delegation(x.bm, x.bmlen) ||
             bitmap_has(x.bm, x.bmlen, DNS_TYPE_DNAME)))
            continue;
        return (int)i;
    }
    return -1;
}

static int nsec_find_match(const uint8_t *zone, const struct dns_val_nrr *v,
                           size_t n, const uint8_t *name, struct nsec *x)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (nsec_get(zone, &v[i], x) && dns_name_equal(x->owner, name))
            return (int)i;
    return -1;
}

/* NODATA at an existing (matched) name. */
static bool nodata_bits(const uint8_t *bm, size_t len, uint16_t qtype,
                        bool apex)
{
    if (bitmap_has(bm, len, qtype) || bitmap_has(bm, len, DNS_TYPE_CNAME))
        return false;
    /* The child's apex cannot deny the DS its parent holds. */
    if (qtype == DNS_TYPE_DS && bitmap_has(bm, len, DNS_TYPE_SOA))
        return false;
    /* A parent-side delegation NSEC proves only that DS is absent. */
    if (!apex && is_delegation(bm, len) && qtype != DNS_TYPE_DS)
        return false;
    return true;
}

/* The closest encloser of (qname) from the NSEC covering it. */
static void closest_encloser(const uint8_t *qname, const struct nsec *x,
                             uint8_t *ce)
{
    unsigned a = common_labels(qname, x->owner),
             b = common_labels(qname, x->next), q = dns_name_labels(qname);
    const uint8_t *p = dns_name_skip(qname, q - TB_MAX(a, b));

    memcpy(ce, p, dns_name_len(p));
}

static bool make_wild(const uint8_t *ce, uint8_t *w)
{
    size_t l = dns_name_len(ce);

    if (l + 2 > DNS_NAME_MAXLEN)
        return false;
    w[0] = 1;
    w[1] = '*';
    memcpy(w + 2, ce, l);
    return true;
}

enum dns_val_state dns_val_nsec(const uint8_t *zone,
                                const struct dns_val_nrr *v, size_t n,
                                const uint8_t *qname, uint16_t qtype,
                                enum dns_val_denial what, unsigned wc_labels,
                                enum dns_val_reason *reason)
{
    uint8_t ce[DNS_NAME_MAXLEN], wild[DNS_NAME_MAXLEN];
    struct nsec x;
    int i;

    *reason = DNS_VAL_R_NO_PROOF;
    if (!dns_name_is_sub(qname, zone))
        return DNS_VAL_BOGUS;
    switch (what) {
    case DNS_VAL_DENY_NODATA:
        if (nsec_find_match(zone, v, n, qname, &x) >= 0)
            return nodata_bits(x.bm, x.bmlen, qtype,
                               dns_name_equal(qname, zone))
                       ? (*reason = DNS_VAL_R_OK, DNS_VAL_SECURE)
                       : DNS_VAL_BOGUS;
        i = nsec_find_cover(zone, v, n, qname);
        if (i < 0 || !nsec_get(zone, &v[i], &x))
            return DNS_VAL_BOGUS;
        /* An empty non-terminal: the next name is below it. */
        if (dns_name_is_sub(x.next, qname) && !dns_name_equal(x.next, qname))
            return *reason = DNS_VAL_R_OK, DNS_VAL_SECURE;
        /* Wildcard NODATA (RFC 4035 3.1.3.4). */
        closest_encloser(qname, &x, ce);
        if (!make_wild(ce, wild) || nsec_find_match(zone, v, n, wild, &x) < 0)
            return DNS_VAL_BOGUS;
        return nodata_bits(x.bm, x.bmlen, qtype, false)
                   ? (*reason = DNS_VAL_R_OK, DNS_VAL_SECURE)
                   : DNS_VAL_BOGUS;
    case DNS_VAL_DENY_NXDOMAIN:
        i = nsec_find_cover(zone, v, n, qname);
        if (i < 0 || !nsec_get(zone, &v[i], &x))
            return DNS_VAL_BOGUS;
        /* The next name below it: (qname) is an empty non-terminal. */
        if (dns_name_is_sub(x.next, qname))
            return DNS_VAL_BOGUS;
        closest_encloser(qname, &x, ce);
        if (!dns_name_is_sub(ce, zone) || !make_wild(ce, wild) ||
            nsec_find_cover(zone, v, n, wild) < 0)
            return DNS_VAL_BOGUS;
        *reason = DNS_VAL_R_OK;
        return DNS_VAL_SECURE;
    case DNS_VAL_DENY_WILDCARD: {
        /* The next closer name (one label below the wildcard's parent)
         * must not exist; covering it covers the query name's branch. */
        unsigned q = dns_name_labels(qname);
        if (wc_labels >= q)
            return DNS_VAL_BOGUS;
        /* Not the query name: a cover of it can start at an existing
         * next closer name (its ancestor sorts before it). */
        if (nsec_find_cover(zone, v, n,
                            dns_name_skip(qname, q - wc_labels - 1)) < 0)
            return DNS_VAL_BOGUS;
        *reason = DNS_VAL_R_OK;
        return DNS_VAL_SECURE;
    }
    }
    return DNS_VAL_BOGUS;
}

/* ---- NSEC3 ----------------------------------------------------------- */

int dns_val_nsec3_hash(const uint8_t *name, const uint8_t *salt, size_t saltlen,
                       uint16_t iterations, uint8_t *out)
{
    uint8_t low[DNS_NAME_MAXLEN];
    size_t nl = dns_name_len(name);
    br_sha1_context h;
    unsigned k;

    memcpy(low, name, nl);
    dns_name_lower(low);
    br_sha1_init(&h);
    br_sha1_update(&h, low, nl);
    br_sha1_update(&h, salt, saltlen);
    br_sha1_out(&h, out);
    for (k = 0; k < iterations; k++) {
        br_sha1_init(&h);
        br_sha1_update(&h, out, 20);
        br_sha1_update(&h, salt, saltlen);
        br_sha1_out(&h, out);
    }
    return 0;
}

struct nsec3 {
    uint8_t owner[20]; /* decoded first label */
    const uint8_t *next, *salt, *bm;
    size_t saltlen, bmlen;
    uint16_t iter;
    bool optout;
};

static int b32hex(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    if (c >= 'a' && c <= 'v')
        return c - 'a' + 10;
    return -1;
}

/* Parses an NSEC3 of (zone): SHA-1, flags 0 or 1, a 32-character
 * base32hex first label right under the zone. */
static bool nsec3_get(const uint8_t *zone, const struct dns_val_nrr *r,
                      struct nsec3 *o)
{
    const uint8_t *p = r->rdata;
    size_t len = r->rdlen, o2, i;
    uint64_t acc = 0;
    unsigned bits = 0, k = 0;

    if (r->owner[0] != 32 || !dns_name_equal(r->owner + 33, zone))
        return false;
    for (i = 0; i < 32; i++) {
        int v = b32hex(r->owner[1 + i]);
        if (v < 0)
            return false;
        acc = acc << 5 | (unsigned)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            o->owner[k++] = (uint8_t)(acc >> bits);
        }
    }
    if (len < 5 || p[0] != 1 || (p[1] & ~1u) != 0)
        return false;
    o->optout = p[1] & 1;
    o->iter = tb_get16(p + 2);
    o->saltlen = p[4];
    o->salt = p + 5;
    o2 = 5 + o->saltlen;
    if (o2 + 1 > len || p[o2] != 20 || o2 + 21 > len)
        return false;
    o->next = p + o2 + 1;
    o->bm = p + o2 + 21;
    o->bmlen = len - o2 - 21;
    return true;
}

struct n3ctx {
    const uint8_t *zone;
    const struct dns_val_nrr *v;
    size_t n;
    const uint8_t *salt;
    size_t saltlen;
    uint16_t iter;
    unsigned hashes;
};

static bool same_params(const struct n3ctx *c, const struct nsec3 *x)
{
    return x->iter == c->iter && x->saltlen == c->saltlen &&
           memcmp(x->salt, c->salt, c->saltlen) == 0;
}

static bool n3hash(struct n3ctx *c, const uint8_t *name, uint8_t *h)
{
    if (c->hashes >= 128)
        return false;
    c->hashes++;
    dns_val_nsec3_hash(name, c->salt, c->saltlen, c->iter, h);
    return true;
}

static bool n3match(const struct n3ctx *c, const uint8_t *h, struct nsec3 *x)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        if (nsec3_get(c->zone, &c->v[i], x) && same_params(c, x) &&
            memcmp(x->owner, h, 20) == 0)
            return true;
    return false;
}

static bool n3cover(const struct n3ctx *c, const uint8_t *h, struct nsec3 *x)
{
    size_t i;

    for (i = 0; i < c->n; i++) {
        int a, b;
        if (!nsec3_get(c->zone, &c->v[i], x) || !same_params(c, x))
            continue;
        a = memcmp(x->owner, h, 20);
        b = memcmp(h, x->next, 20);
        if (memcmp(x->next, x->owner, 20) <= 0 ? (a < 0 || b < 0)
                                               : (a < 0 && b < 0))
            return true;
    }
    return false;
}

/* RFC 5155 8.3: the closest encloser (*ce, as a pointer into qname) and
 * the cover of the next closer name (*nc). */
static bool ce_proof(struct n3ctx *c, const uint8_t *qname, const uint8_t **ce,
                     struct nsec3 *nc)
{
    unsigned q = dns_name_labels(qname), z = dns_name_labels(c->zone), l;
    uint8_t h[20];
    struct nsec3 m;

    for (l = q - 1; l + 1 > z; l--) {
        const uint8_t *cand = dns_name_skip(qname, q - l);
        if (!n3hash(c, cand, h))
            return false;
        if (!n3match(c, h, &m))
            continue;
        /* A delegation or DNAME cannot be the closest encloser. */
        if ((is_delegation(m.bm, m.bmlen) && l != z) ||
            bitmap_has(m.bm, m.bmlen, DNS_TYPE_DNAME))
            return false;
        if (!n3hash(c, dns_name_skip(qname, q - l - 1), h) ||
            !n3cover(c, h, nc))
            return false;
        *ce = cand;
        return true;
    }
    return false;
}

enum dns_val_state dns_val_nsec3(const struct dns_val_conf *conf,
                                 const uint8_t *zone,
                                 const struct dns_val_nrr *v, size_t n,
                                 const uint8_t *qname, uint16_t qtype,
                                 enum dns_val_denial what, unsigned wc_labels,
                                 enum dns_val_reason *reason)
{
    struct n3ctx c = {zone, v, n, NULL, 0, 0, 0};
    unsigned lim =
        conf->nsec3_iter_max ? conf->nsec3_iter_max : DNS_VAL_NSEC3_ITER_MAX;
    uint8_t h[20], wild[DNS_NAME_MAXLEN];
    struct nsec3 x, nc;
    const uint8_t *ce;
    size_t i;

    *reason = DNS_VAL_R_NO_PROOF;
    if (!dns_name_is_sub(qname, zone))
        return DNS_VAL_BOGUS;
    for (i = 0; i < n && c.salt == NULL; i++)
        if (nsec3_get(zone, &v[i], &x)) {
            c.salt = x.salt;
            c.saltlen = x.saltlen;
            c.iter = x.iter;
        }
    if (c.salt == NULL)
        return DNS_VAL_BOGUS;
    if (c.iter > lim) {
        *reason = DNS_VAL_R_NSEC3_ITER;
        return DNS_VAL_INSECURE;
    }
    switch (what) {
    case DNS_VAL_DENY_NODATA:
        if (!n3hash(&c, qname, h))
            return DNS_VAL_BOGUS;
        if (n3match(&c, h, &x))
            return nodata_bits(x.bm, x.bmlen, qtype,
                               dns_name_equal(qname, zone))
                       ? (*reason = DNS_VAL_R_OK, DNS_VAL_SECURE)
                       : DNS_VAL_BOGUS;
        if (!ce_proof(&c, qname, &ce, &nc))
            return DNS_VAL_BOGUS;
        /* RFC 5155 8.6: no DS under an opt-out span is insecure. */
        if (qtype == DNS_TYPE_DS && nc.optout)
            return *reason = DNS_VAL_R_OK, DNS_VAL_INSECURE;
        /* 8.7: wildcard NODATA. */
        if (!make_wild(ce, wild) || !n3hash(&c, wild, h) ||
            !n3match(&c, h, &x) || !nodata_bits(x.bm, x.bmlen, qtype, false))
            return DNS_VAL_BOGUS;
        return *reason = DNS_VAL_R_OK, DNS_VAL_SECURE;
    case DNS_VAL_DENY_NXDOMAIN:
        if (!ce_proof(&c, qname, &ce, &nc) || !make_wild(ce, wild) ||
            !n3hash(&c, wild, h) || !n3cover(&c, h, &x))
            return DNS_VAL_BOGUS;
        *reason = DNS_VAL_R_OK;
        /* Under an opt-out span an unsigned delegation may hide the name
         * (RFC 5155 9.2): proven, but not secure. */
        return nc.optout ? DNS_VAL_INSECURE : DNS_VAL_SECURE;
    case DNS_VAL_DENY_WILDCARD: {
        unsigned q = dns_name_labels(qname);
        if (wc_labels >= q ||
            !n3hash(&c, dns_name_skip(qname, q - wc_labels - 1), h) ||
            !n3cover(&c, h, &x))
            return DNS_VAL_BOGUS;
        *reason = DNS_VAL_R_OK;
        return x.optout ? DNS_VAL_INSECURE : DNS_VAL_SECURE;
    }
    }
    return DNS_VAL_BOGUS;
}

/* ---- delegations ---------------------------------------------------- */

bool dns_val_delegation(const struct dns_val_conf *conf, const uint8_t *zone,
                        const struct dns_val_nrr *v, size_t n,
                        const uint8_t *name)
{
    struct nsec x;
    struct nsec3 y;
    uint8_t h[20];
    size_t i;

    if (nsec_find_match(zone, v, n, name, &x) >= 0)
        return is_delegation(x.bm, x.bmlen);
    for (i = 0; i < n; i++) { /* the NSEC3 parameters of the first usable */
        if (!nsec3_get(zone, &v[i], &y))
            continue;
        uint16_t max = conf->nsec3_iter_max ? conf->nsec3_iter_max
                                            : DNS_VAL_NSEC3_ITER_MAX;
        struct n3ctx c = {zone, v, n, y.salt, y.saltlen, y.iter, 0};
        if (y.iter > max || !n3hash(&c, name, h))
            return false;
        if (n3match(&c, h, &y))
            return is_delegation(y.bm, y.bmlen);
        return false;
    }
    return false;
}
