/*
 * sign.c -- DNSSEC signing of a checked zone (dns/sign.h): the DNSKEY
 * RRset, the NSEC or NSEC3 chain and the RRSIGs, added to a struct
 * dns_zone_src in two passes over its canonical order.
 *
 *   pass 1 (chain): classify every owner (apex, authoritative, delegation,
 *     occluded below a delegation), add DNSKEY at the apex, then NSEC
 *     (next owner + type bitmap) or NSEC3 (owners and empty
 *     non-terminals hashed, sorted, linked) and NSEC3PARAM; re-sort.
 *   pass 2 (signatures): every authoritative RRset (at delegations only
 *     DS and NSEC) is hashed in canonical form (RFC 4034 6: owner and
 *     rdata names lower-cased, RRs in canonical order, the original TTL)
 *     after the RRSIG rdata minus its signature (RFC 4034 3.1.8.1) and
 *     signed by each applicable key; re-sort.
 *
 * Online signing (dns_sign_resign, dns_sign_refresh: tibra-dnsd) runs
 * the same passes on a zone whose RRSIGs and chain are taken out first;
 * pass 2 then carries an RRSIG over instead of signing when the previous
 * version (or, without one, the zone itself, verified) holds the same
 * RRset byte for byte with a signature by that key that is valid now and
 * not due for refresh: a merge walk of two canonical orders, so the
 * signing cost follows what changed (the chain is still rebuilt whole).
 *
 * Nothing depends on anything but the inputs: no clock, no randomness
 * (ECDSA nonces are RFC 6979's, sign_key.c), no addresses.
 */
#include <tibra/dns/sign.h>

#include <bearssl_hash.h>
#include <string.h>

enum { N_AUTH, N_APEX, N_CUT, N_OCC };

struct node {
    uint32_t first, end; /* records [first, end) */
    uint8_t kind; /* N_* */
    bool has_ds;
};

struct n3 {
    uint8_t h[20];
    uint32_t bm_off; /* type bitmap in (sg.bms) */
    uint16_t bm_len;
};

struct sg {
    struct dns_zone_src *z;
    const struct dns_sign_params *p;
    struct dns_diag *d;
    const struct tb_alloc *a;
    struct node *nodes;
    size_t nnodes, nodes_cap;
    uint8_t *canon; /* DNS_RDATA_MAXLEN scratch */
    uint8_t bits[8192]; /* type bitmap under construction */
    bool win[256]; /* windows touched in (bits) */
    uint32_t soa_ttl, neg_ttl;
    /* Re-signing (dns_sign_resign): the records whose RRSIGs may be kept,
     * in canonical order -- the previous version's (trusted: made here),
     * or (own) the zone's own before its RRSIGs were taken out (verified
     * before they are kept) -- and a cursor that follows pass 2. */
    bool resign, own;
    const struct dns_zone_src *vz; /* whose data (vrr) points into */
    struct dns_zrr *vrr;
    size_t vn, vi;
    uint32_t now, refresh_at;
    struct dns_sign_stats st;
};

static const uint8_t *owner(const struct sg *s, size_t i)
{
    return dns_zrr_owner(s->z, &s->z->rr[i]);
}

static void quiet(void *ctx, int level, const char *file, unsigned line,
                  const char *msg)
{
    (void)ctx, (void)level, (void)file, (void)line, (void)msg;
}

/* Re-sorts (z) after records were added; they are all well formed. */
static int resort(struct sg *s)
{
    struct dns_diag d = {quiet, NULL, 0, 0};
    int rc = dns_zone_check(s->z, &d);

    if (rc == TB_ESEMANTIC)
        dns_diag(s->d, DNS_DIAG_ERROR, NULL, 0,
                 "signing produced a zone that fails its checks");
    return rc;
}

/* Splits the zone into owners and classifies them (RFC 4035 2.2). */
static int index_nodes(struct sg *s)
{
    const struct dns_zone_src *z = s->z;
    uint8_t cut[DNS_NAME_MAXLEN];
    bool have_cut = false;
    size_t i = 0, n = 0;

    if (s->nodes != NULL)
        tb_free(s->a, s->nodes, s->nodes_cap * sizeof(*s->nodes));
    s->nnodes = 0;
    s->nodes_cap = z->nrr + 1;
    s->nodes = tb_alloc(s->a, s->nodes_cap * sizeof(*s->nodes));
    if (s->nodes == NULL)
        return TB_ENOMEM;
    while (i < z->nrr) {
        struct node *nd = &s->nodes[n++];
        const uint8_t *o = owner(s, i);
        bool ns = false;

        nd->first = (uint32_t)i;
        nd->has_ds = false;
        while (i < z->nrr && dns_name_equal(owner(s, i), o)) {
            ns |= z->rr[i].type == DNS_TYPE_NS;
            nd->has_ds |= z->rr[i].type == DNS_TYPE_DS;
            i++;
        }
        nd->end = (uint32_t)i;
        if (have_cut && dns_name_is_sub(o, cut)) {
            nd->kind = N_OCC;
            continue;
        }
        have_cut = false;
        if (dns_name_equal(o, z->origin)) {
            nd->kind = N_APEX;
        } else if (ns) {
            nd->kind = N_CUT;
            memcpy(cut, o, dns_name_len(o));
            have_cut = true;
        } else {
            nd->kind = N_AUTH;
        }
    }
    s->nnodes = n;
    return 0;
}

static void bm_set(struct sg *s, uint16_t t)
{
    s->bits[t >> 3] |= (uint8_t)(0x80 >> (t & 7));
    s->win[t >> 8] = true;
}

/* Encodes and clears (s->bits) (RFC 4034 4.1.2) into (out, 8704 max). */
static size_t bm_take(struct sg *s, uint8_t *out)
{
    size_t len = 0;

    for (unsigned w = 0; w < 256; w++) {
        if (!s->win[w])
            continue;
        uint8_t *b = s->bits + w * 32;
        unsigned n = 32;
        while (n > 0 && b[n - 1] == 0)
            n--;
        if (n > 0) {
            out[len++] = (uint8_t)w;
            out[len++] = (uint8_t)n;
            memcpy(out + len, b, n);
            len += n;
        }
        memset(b, 0, 32);
        s->win[w] = false;
    }
    return len;
}

/* Sets the bitmap of node (nd) as its NSEC or NSEC3 lists it. */
static void node_types(struct sg *s, const struct node *nd)
{
    bool secure = nd->kind != N_CUT || nd->has_ds;

    for (uint32_t i = nd->first; i < nd->end; i++) {
        uint16_t t = s->z->rr[i].type;
        if (nd->kind != N_CUT || t == DNS_TYPE_NS || t == DNS_TYPE_DS)
            bm_set(s, t);
    }
    if (nd->kind == N_APEX) {
        bm_set(s, DNS_TYPE_DNSKEY);
        if (s->p->nsec3)
            bm_set(s, DNS_TYPE_NSEC3PARAM);
    }
    if (!s->p->nsec3) {
        bm_set(s, DNS_TYPE_NSEC);
        bm_set(s, DNS_TYPE_RRSIG);
    } else if (secure) {
        bm_set(s, DNS_TYPE_RRSIG);
    }
}

static int add(struct sg *s, const uint8_t *o, uint16_t type, uint32_t ttl,
               const uint8_t *rd, size_t len)
{
    if (len > DNS_RDATA_MAXLEN)
        return TB_ESPACE;
    return dns_zone_src_add(s->z, o, type, s->z->rclass, ttl, rd, (uint16_t)len,
                            0, 0);
}

/* The next node after (k) in the chain (occluded names are not in it). */
static size_t next_node(const struct sg *s, size_t k)
{
    for (size_t i = 1; i <= s->nnodes; i++) {
        size_t j = (k + i) % s->nnodes;
        if (s->nodes[j].kind != N_OCC)
            return j;
    }
    return k;
}

static int add_nsec(struct sg *s)
{
    uint8_t *rd = s->canon, o[DNS_NAME_MAXLEN];
    int rc = 0;

    for (size_t k = 0; k < s->nnodes && rc == 0; k++) {
        const struct node *nd = &s->nodes[k];
        if (nd->kind == N_OCC)
            continue;
        const uint8_t *next = owner(s, s->nodes[next_node(s, k)].first);
        size_t nl = dns_name_len(next), len;
        memcpy(rd, next, nl);
        dns_name_lower(rd);
        node_types(s, nd);
        len = nl + bm_take(s, rd + nl);
        memcpy(o, owner(s, nd->first), dns_name_len(owner(s, nd->first)));
        rc = add(s, o, DNS_TYPE_NSEC, s->neg_ttl, rd, len);
    }
    return rc;
}

static void nsec3_hash(const struct sg *s, const uint8_t *name, uint8_t h[20])
{
    uint8_t lc[DNS_NAME_MAXLEN];
    size_t len = dns_name_len(name);
    br_sha1_context c;

    memcpy(lc, name, len);
    dns_name_lower(lc);
    br_sha1_init(&c);
    br_sha1_update(&c, lc, len);
    br_sha1_update(&c, s->p->salt, s->p->saltlen);
    br_sha1_out(&c, h);
    for (unsigned i = 0; i < s->p->iterations; i++) {
        br_sha1_init(&c);
        br_sha1_update(&c, h, 20);
        br_sha1_update(&c, s->p->salt, s->p->saltlen);
        br_sha1_out(&c, h);
    }
}

/* Bottom-up merge sort of (v, n) by hash (lib/ has no qsort). */
static int n3_sort(struct sg *s, struct n3 *v, size_t n)
{
    struct n3 *t = tb_alloc(s->a, (n + 1) * sizeof(*t)), *a = v, *b = t;

    if (t == NULL)
        return TB_ENOMEM;
    for (size_t w = 1; w < n; w *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * w) {
            size_t mid = TB_MIN(lo + w, n), hi = TB_MIN(lo + 2 * w, n);
            size_t i = lo, j = mid, o = lo;
            while (i < mid && j < hi)
                b[o++] = memcmp(a[j].h, a[i].h, 20) < 0 ? a[j++] : a[i++];
            while (i < mid)
                b[o++] = a[i++];
            while (j < hi)
                b[o++] = a[j++];
        }
        struct n3 *x = a;
        a = b, b = x;
    }
    if (a != v)
        memcpy(v, a, n * sizeof(*v));
    tb_free(s->a, t, (n + 1) * sizeof(*t));
    return 0;
}

/* One NSEC3 entry: (name) hashed, with the bitmap now in (s->bits). */
static int n3_push(struct sg *s, struct tb_buf *v, struct tb_buf *bms,
                   const uint8_t *name)
{
    uint8_t bm[8704];
    struct n3 e;
    size_t len = bm_take(s, bm);

    nsec3_hash(s, name, e.h);
    e.bm_off = (uint32_t)bms->len;
    e.bm_len = (uint16_t)len;
    if (bms->len > UINT32_MAX - len)
        return TB_ENOMEM;
    if (tb_buf_append(v, &e, sizeof(e)) != 0)
        return TB_ENOMEM;
    return tb_buf_append(bms, bm, len);
}

/* Hashed owner label (base32hex, RFC 4648 7, lower case) + origin. */
static size_t n3_owner(const struct sg *s, const uint8_t h[20], uint8_t *o)
{
    static const char b32[] = "0123456789abcdefghijklmnopqrstuv";

    o[0] = 32;
    for (unsigned i = 0; i < 32; i++) {
        unsigned bit = i * 5, byte = bit / 8, sh = bit % 8;
        unsigned v = (unsigned)h[byte] << 8 | (byte + 1 < 20 ? h[byte + 1] : 0);
        o[1 + i] = (uint8_t)b32[(v >> (11 - sh)) & 31];
    }
    memcpy(o + 33, s->z->origin, s->z->origin_len);
    return 33 + s->z->origin_len;
}

/* Collects the hashed names: owners, then empty non-terminals. */
static int n3_collect(struct sg *s, struct tb_buf *v, struct tb_buf *bms)
{
    const uint8_t *prev = NULL;
    int rc = 0;

    for (size_t k = 0; k < s->nnodes && rc == 0; k++) {
        const struct node *nd = &s->nodes[k];
        const uint8_t *o = owner(s, nd->first);
        if (nd->kind == N_OCC)
            continue;
        /* Ancestors of (o) not at or above (prev) are empty non-terminals
         * (a parent owning records, or one already seen, would be). */
        unsigned extra = dns_name_labels(o) - dns_name_labels(s->z->origin);
        for (unsigned l = 1; l < extra && rc == 0; l++) {
            const uint8_t *anc = dns_name_skip(o, l);
            if (prev != NULL && dns_name_is_sub(prev, anc))
                break;
            rc = n3_push(s, v, bms, anc);
        }
        prev = o;
        if (nd->kind == N_CUT && !nd->has_ds && s->p->optout)
            continue;
        node_types(s, nd);
        if (rc == 0)
            rc = n3_push(s, v, bms, o);
    }
    return rc;
}

static int add_nsec3(struct sg *s)
{
    struct tb_buf vb, bms;
    struct n3 *v;
    size_t n;
    uint8_t o[DNS_NAME_MAXLEN], *rd = s->canon;
    int rc;

    tb_buf_init(&vb, s->a);
    tb_buf_init(&bms, s->a);
    if (s->z->origin_len + 33 > DNS_NAME_MAXLEN) {
        dns_diag(s->d, DNS_DIAG_ERROR, NULL, 0,
                 "zone name too long for NSEC3 owner names");
        rc = TB_ESEMANTIC;
        goto out;
    }
    rc = n3_collect(s, &vb, &bms);
    if (rc != 0)
        goto out;
    v = (struct n3 *)vb.data;
    n = vb.len / sizeof(*v);
    rc = n3_sort(s, v, n);
    if (rc != 0)
        goto out;
    for (size_t i = 0; i + 1 < n; i++)
        if (memcmp(v[i].h, v[i + 1].h, 20) == 0) {
            dns_diag(s->d, DNS_DIAG_ERROR, NULL, 0,
                     "NSEC3 hash collision: choose another salt");
            rc = TB_EINVAL;
            goto out;
        }
    for (size_t i = 0; i < n && rc == 0; i++) {
        const struct n3 *e = &v[i], *nx = &v[(i + 1) % n];
        size_t len = 0;
        rd[len++] = 1; /* SHA-1 */
        rd[len++] = s->p->optout ? 1 : 0;
        rd[len++] = (uint8_t)(s->p->iterations >> 8);
        rd[len++] = (uint8_t)s->p->iterations;
        rd[len++] = s->p->saltlen;
        memcpy(rd + len, s->p->salt, s->p->saltlen);
        len += s->p->saltlen;
        rd[len++] = 20;
        memcpy(rd + len, nx->h, 20);
        len += 20;
        memcpy(rd + len, bms.data + e->bm_off, e->bm_len);
        len += e->bm_len;
        n3_owner(s, e->h, o);
        rc = add(s, o, DNS_TYPE_NSEC3, s->neg_ttl, rd, len);
    }
    if (rc == 0) {
        size_t len = 0;
        rd[len++] = 1;
        rd[len++] = 0; /* flags: 0 in NSEC3PARAM (RFC 5155 4.1.2) */
        rd[len++] = (uint8_t)(s->p->iterations >> 8);
        rd[len++] = (uint8_t)s->p->iterations;
        rd[len++] = s->p->saltlen;
        memcpy(rd + len, s->p->salt, s->p->saltlen);
        len += s->p->saltlen;
        rc = add(s, s->z->origin, DNS_TYPE_NSEC3PARAM, 0, rd, len);
    }
out:
    tb_buf_free(&bms);
    tb_buf_free(&vb);
    return rc;
}

static bool ksk_type(uint16_t t)
{
    return t == DNS_TYPE_DNSKEY || t == DNS_TYPE_CDS || t == DNS_TYPE_CDNSKEY;
}

/* Does key (k) sign RRsets of type (t)?  (dns_sign_zone's rules) */
static bool key_signs(const struct dns_sign_params *p,
                      const struct dns_sign_key *k, uint16_t t)
{
    bool ksk = false, zsk = false;

    for (size_t i = 0; i < p->nkeys; i++)
        if (p->keys[i].alg == k->alg) {
            ksk |= p->keys[i].flags == DNS_DNSKEY_KSK;
            zsk |= p->keys[i].flags != DNS_DNSKEY_KSK;
        }
    if (!(ksk && zsk))
        return true;
    return (k->flags == DNS_DNSKEY_KSK) == ksk_type(t);
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* SHA-256 of what an RRSIG over the RRset [first, end) of (s->z) signs
 * (RFC 4034 3.1.8.1): (head, hlen), its rdata up to the signature with
 * the signer lower-cased, then the RRs in canonical form. */
static void rrset_hash(struct sg *s, uint32_t first, uint32_t end,
                       const uint8_t *head, size_t hlen, uint8_t hash[32])
{
    const struct dns_zone_src *z = s->z;
    const struct dns_zrr *r0 = &z->rr[first];
    uint8_t lc[DNS_NAME_MAXLEN];
    size_t ol = dns_name_len(owner(s, first));
    br_sha256_context h;

    memcpy(lc, owner(s, first), ol);
    dns_name_lower(lc);
    br_sha256_init(&h);
    br_sha256_update(&h, head, hlen);
    for (uint32_t i = first; i < end; i++) {
        const struct dns_zrr *r = &z->rr[i];
        uint8_t fix[10];
        put16(fix, r->type);
        put16(fix + 2, r->rclass);
        put32(fix + 4, r0->ttl); /* the original TTL, RFC 4034 6.2 */
        put16(fix + 8, r->rdlen);
        dns_rdata_canon(r->type, dns_zrr_rdata(z, r), r->rdlen, s->canon);
        br_sha256_update(&h, lc, ol);
        br_sha256_update(&h, fix, sizeof(fix));
        br_sha256_update(&h, s->canon, r->rdlen);
    }
    br_sha256_out(&h, hash);
}

static unsigned sig_labels(const uint8_t *o)
{
    return dns_name_labels(o) - (dns_name_is_wildcard(o) ? 1 : 0);
}

/* Signs the RRset [first, end) of (s->z) with (k) and adds the RRSIG. */
static int sign_rrset(struct sg *s, uint32_t first, uint32_t end,
                      const struct dns_sign_key *k)
{
    const struct dns_zone_src *z = s->z;
    const struct dns_zrr *r0 = &z->rr[first];
    uint8_t o[DNS_NAME_MAXLEN], hash[32];
    uint8_t rd[18 + DNS_NAME_MAXLEN + DNS_SIGN_SIG_MAXLEN];
    size_t ol = dns_name_len(owner(s, first)), len = 18;
    int sl;

    memcpy(o, owner(s, first), ol);
    put16(rd, r0->type);
    rd[2] = k->alg;
    rd[3] = (uint8_t)sig_labels(o);
    put32(rd + 4, r0->ttl);
    put32(rd + 8, s->p->expiration);
    put32(rd + 12, s->p->inception);
    put16(rd + 16, k->tag);
    memcpy(rd + len, z->origin, z->origin_len);
    dns_name_lower(rd + len);
    len += z->origin_len;
    rrset_hash(s, first, end, rd, len, hash);
    sl = dns_sign_digest(k, hash, rd + len);
    if (sl < 0)
        return sl;
    s->st.made++;
    s->st.expire_min = TB_MIN(s->st.expire_min, s->p->expiration);
    return add(s, o, DNS_TYPE_RRSIG, r0->ttl, rd, len + (size_t)sl);
}

static const uint8_t *vowner(const struct sg *s, size_t i)
{
    return dns_zrr_owner(s->vz, &s->vrr[i]);
}

/* Whether view record (j), an RRSIG, is one by (k) over an RRset of
 * (type, ttl) at an owner of (labels) labels, signed by the apex, valid
 * at (s->now) and not to be refreshed. */
static bool sig_usable(const struct sg *s, size_t j, uint16_t type,
                       uint32_t ttl, unsigned labels,
                       const struct dns_sign_key *k)
{
    const struct dns_zrr *r = &s->vrr[j];
    const uint8_t *rd = dns_zrr_rdata(s->vz, r);

    if (r->type != DNS_TYPE_RRSIG || r->rdlen <= 18 + s->z->origin_len ||
        get16(rd) != type || rd[2] != k->alg || rd[3] != labels ||
        get32(rd + 4) != ttl || get16(rd + 16) != k->tag)
        return false;
    if (get32(rd + 8) <= s->refresh_at || get32(rd + 12) > s->now)
        return false;
    return dns_name_check(rd + 18, r->rdlen - 18u) == (int)s->z->origin_len &&
           dns_name_equal(rd + 18, s->z->origin);
}

/* Keeps an RRSIG by (k) over the RRset [first, end) from the view when the
 * view holds the same RRset (TTLs and rdata byte for byte) and a usable
 * signature of it.  Returns 1 (kept: added), 0 (sign it) or a TB_E*. */
static int keep(struct sg *s, uint32_t first, uint32_t end,
                const struct dns_sign_key *k)
{
    const struct dns_zrr *r0 = &s->z->rr[first];
    uint8_t o[DNS_NAME_MAXLEN], rd[18 + DNS_NAME_MAXLEN + DNS_SIGN_SIG_MAXLEN];
    size_t ge, a, b;

    memcpy(o, owner(s, first), dns_name_len(owner(s, first)));
    while (s->vi < s->vn && dns_name_cmp(vowner(s, s->vi), o) < 0)
        s->vi++;
    for (ge = s->vi; ge < s->vn && dns_name_cmp(vowner(s, ge), o) == 0; ge++)
        ;
    for (a = s->vi; a < ge && s->vrr[a].type != r0->type; a++)
        ;
    for (b = a; b < ge && s->vrr[b].type == r0->type; b++)
        ;
    if (b - a != end - first)
        return 0;
    for (size_t i = 0; i < b - a; i++) {
        const struct dns_zrr *x = &s->vrr[a + i], *y = &s->z->rr[first + i];
        if (x->ttl != y->ttl || x->rdlen != y->rdlen ||
            memcmp(dns_zrr_rdata(s->vz, x), dns_zrr_rdata(s->z, y), x->rdlen) !=
                0)
            return 0;
    }
    for (size_t j = s->vi; j < ge; j++) {
        const struct dns_zrr *r = &s->vrr[j];
        if (!sig_usable(s, j, r0->type, r0->ttl, sig_labels(o), k))
            continue;
        memcpy(rd, dns_zrr_rdata(s->vz, r), r->rdlen);
        if (s->own) { /* not made here: it must verify */
            size_t hl = 18 + s->z->origin_len;
            uint8_t hash[32];
            dns_name_lower(rd + 18);
            rrset_hash(s, first, end, rd, hl, hash);
            if (!dns_sign_verify_digest(k, hash, rd + hl, r->rdlen - hl))
                continue;
        }
        s->st.kept++;
        s->st.expire_min = TB_MIN(s->st.expire_min, get32(rd + 8));
        int rc = add(s, o, DNS_TYPE_RRSIG, r0->ttl, rd, r->rdlen);
        return rc != 0 ? rc : 1;
    }
    return 0;
}

static int sign_or_keep(struct sg *s, uint32_t first, uint32_t end,
                        const struct dns_sign_key *k)
{
    int rc = s->resign ? keep(s, first, end, k) : 0;

    if (rc != 0)
        return rc < 0 ? rc : 0;
    return sign_rrset(s, first, end, k);
}

static int sign_all(struct sg *s)
{
    size_t nn = s->nnodes;
    int rc = 0;

    for (size_t k = 0; k < nn && rc == 0; k++) {
        const struct node nd = s->nodes[k];
        if (nd.kind == N_OCC)
            continue;
        for (uint32_t i = nd.first, j; i < nd.end && rc == 0; i = j) {
            uint16_t t = s->z->rr[i].type;
            for (j = i; j < nd.end && s->z->rr[j].type == t; j++)
                ;
            if (nd.kind == N_CUT && t != DNS_TYPE_DS && t != DNS_TYPE_NSEC)
                continue;
            for (size_t q = 0; q < s->p->nkeys && rc == 0; q++)
                if (key_signs(s->p, &s->p->keys[q], t))
                    rc = sign_or_keep(s, i, j, &s->p->keys[q]);
        }
    }
    return rc;
}

/* Refuses signed input; finds the SOA's TTL and minimum. */
static int precheck(struct sg *s)
{
    const struct dns_zone_src *z = s->z;
    bool soa = false;

    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        char tn[16];
        switch (r->type) {
        case DNS_TYPE_RRSIG:
        case DNS_TYPE_NSEC:
        case DNS_TYPE_NSEC3:
        case DNS_TYPE_NSEC3PARAM:
            dns_type_to_text(r->type, tn, sizeof(tn));
            dns_diag(s->d, DNS_DIAG_ERROR, dns_zrr_file(z, r), r->line,
                     "%s record in a zone to sign (dnssec signs unsigned "
                     "zones; remove the old signatures and chain)",
                     tn);
            break;
        case DNS_TYPE_SOA:
            if (!soa && r->rdlen >= 20) {
                const uint8_t *m = dns_zrr_rdata(z, r) + r->rdlen - 4;
                uint32_t min = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 |
                               (uint32_t)m[2] << 8 | m[3];
                s->soa_ttl = r->ttl;
                s->neg_ttl = TB_MIN(r->ttl, min);
                soa = true;
            }
            break;
        default:
            break;
        }
    }
    if (!soa)
        dns_diag(s->d, DNS_DIAG_ERROR, NULL, 0, "zone to sign has no SOA");
    return s->d->errors > 0 ? TB_ESEMANTIC : 0;
}

static bool dnssec_type(uint16_t t)
{
    return t == DNS_TYPE_RRSIG || t == DNS_TYPE_NSEC || t == DNS_TYPE_NSEC3 ||
           t == DNS_TYPE_NSEC3PARAM;
}

/* Re-signing: takes the RRSIGs and the chain out of (s->z) (after a copy
 * of its records when they are the view). */
static int strip(struct sg *s)
{
    struct dns_zone_src *z = s->z;
    size_t n = 0;

    if (s->own) {
        s->vrr = tb_alloc(s->a, (z->nrr + 1) * sizeof(*s->vrr));
        if (s->vrr == NULL)
            return TB_ENOMEM;
        memcpy(s->vrr, z->rr, z->nrr * sizeof(*s->vrr));
        s->vn = z->nrr;
        s->vz = z;
    }
    for (size_t i = 0; i < z->nrr; i++)
        if (!dnssec_type(z->rr[i].type))
            z->rr[n++] = z->rr[i];
    z->nrr = n;
    return 0;
}

static int run(struct sg *s)
{
    const struct dns_sign_params *p = s->p;
    struct dns_zone_src *z = s->z;
    int rc;

    s->st.expire_min = UINT32_MAX;
    s->canon = tb_alloc(s->a, DNS_RDATA_MAXLEN + 8704);
    rc = s->canon == NULL ? TB_ENOMEM : s->resign ? strip(s) : 0;
    if (rc == 0)
        rc = precheck(s);
    if (rc == 0)
        rc = index_nodes(s);
    for (size_t i = 0; i < p->nkeys && rc == 0; i++)
        rc = add(s, z->origin, DNS_TYPE_DNSKEY, s->soa_ttl, p->keys[i].dnskey,
                 p->keys[i].dnskey_len);
    if (rc == 0)
        rc = p->nsec3 ? add_nsec3(s) : add_nsec(s);
    if (rc == 0)
        rc = resort(s);
    if (rc == 0)
        rc = index_nodes(s);
    if (rc == 0)
        rc = sign_all(s);
    if (rc == 0)
        rc = resort(s);
    if (s->canon != NULL)
        tb_free(s->a, s->canon, DNS_RDATA_MAXLEN + 8704);
    if (s->nodes != NULL)
        tb_free(s->a, s->nodes, s->nodes_cap * sizeof(*s->nodes));
    if (s->own && s->vrr != NULL)
        tb_free(s->a, s->vrr, (s->vn + 1) * sizeof(*s->vrr));
    return rc;
}

int dns_sign_zone(struct dns_zone_src *z, const struct dns_sign_params *p,
                  struct dns_diag *d)
{
    struct sg *s;
    unsigned errors0 = d->errors;
    int rc;

    if (p->nkeys == 0 || p->expiration <= p->inception)
        return TB_EINVAL;
    s = tb_alloc(z->a, sizeof(*s));
    if (s == NULL)
        return TB_ENOMEM;
    memset(s, 0, sizeof(*s));
    s->z = z, s->p = p, s->d = d, s->a = z->a;
    d->errors = 0;
    rc = run(s);
    d->errors += errors0;
    tb_free(s->a, s, sizeof(*s));
    return rc;
}

int dns_sign_resign(struct dns_zone_src *z, const struct dns_zone_src *prev,
                    const struct dns_sign_params *p, uint32_t now,
                    uint32_t refresh_at, struct dns_sign_stats *st,
                    struct dns_diag *d)
{
    struct sg *s;
    unsigned errors0 = d->errors;
    int rc;

    if (p->nkeys == 0 || p->expiration <= p->inception ||
        p->expiration <= refresh_at)
        return TB_EINVAL;
    s = tb_alloc(z->a, sizeof(*s));
    if (s == NULL)
        return TB_ENOMEM;
    memset(s, 0, sizeof(*s));
    s->z = z, s->p = p, s->d = d, s->a = z->a;
    s->resign = true;
    s->own = prev == NULL;
    if (prev != NULL) {
        s->vz = prev;
        s->vrr = prev->rr;
        s->vn = prev->nrr;
    }
    s->now = now;
    s->refresh_at = refresh_at;
    d->errors = 0;
    rc = run(s);
    d->errors += errors0;
    if (st != NULL)
        *st = s->st;
    tb_free(s->a, s, sizeof(*s));
    return rc;
}

int dns_sign_refresh(const struct dns_zone_src *prev, uint32_t serial,
                     struct dns_zone_src *out, const struct dns_sign_params *p,
                     uint32_t now, uint32_t refresh_at, bool verify,
                     struct dns_sign_stats *st, const struct tb_alloc *a,
                     struct dns_diag *d)
{
    uint8_t soa[DNS_RDATA_MAXLEN];
    int rc = 0;

    dns_zone_src_init(out, prev->origin, a);
    out->rclass = prev->rclass;
    for (size_t i = 0; i < prev->nrr && rc == 0; i++) {
        const struct dns_zrr *r = &prev->rr[i];
        const uint8_t *rd = dns_zrr_rdata(prev, r);
        if (dnssec_type(r->type) && !verify)
            continue;
        if (r->type == DNS_TYPE_SOA && r->rdlen >= 22 &&
            dns_name_equal(dns_zrr_owner(prev, r), prev->origin)) {
            memcpy(soa, rd, r->rdlen);
            put32(soa + r->rdlen - 20, serial); /* RFC 1035 3.3.13 */
            rd = soa;
        }
        rc = dns_zone_src_add(out, dns_zrr_owner(prev, r), r->type, r->rclass,
                              r->ttl, rd, r->rdlen, 0, 0);
    }
    if (rc == 0)
        rc = dns_sign_resign(out, verify ? NULL : prev, p, now, refresh_at, st,
                             d);
    return rc;
}
