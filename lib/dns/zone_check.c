/*
 * zone_check.c -- the rules that make a parsed zone servable, and its
 * canonical order: dns_zone_check() sorts the records (RFC 4034 6.1 owner
 * order, then type, then rdata bytes), drops exact duplicates (RFC 2181
 * 5), evens out TTLs inside an RRset (RFC 2181 5.2) and checks apex, CNAME,
 * DNAME, delegation and glue rules as nsd-checkzone and kzonecheck do
 * (where they differ, tests/diff/KNOWN-zonecheck says which way we went).
 * It sits between zone_parse.c and the zone compiler (zonedb), which may
 * rely on the order.
 *
 * Sorting a million records must take well under a second: each distinct
 * owner gets a byte key (labels from the root, lower-cased, so memcmp is
 * canonical order) and an 8-byte integer prefix of the key past the
 * origin, so most comparisons are one integer compare; owners are sorted
 * once with a merge sort that first checks whether the input is already
 * in order, ranked, and records are then bucketed by owner rank (counting
 * sort) and ordered by (type, rdata) inside each small bucket.
 */
#include <stdio.h>
#include <tibra/dns.h>

/* Per distinct owner. */
struct own {
    uint64_t pfx[2]; /* key bytes [okl, okl + 16) big-endian, 0-padded */
    uint32_t key; /* offset of its key in the key buffer */
    uint16_t keylen;
    uint8_t inzone; /* key starts with the origin's key */
    uint32_t rank; /* position in canonical order (equal names share) */
};

struct ck {
    struct dns_zone_src *z;
    struct dns_diag *d;
    struct own *own;
    size_t nown;
    uint32_t *rown; /* per record: its owner index */
    struct tb_buf keys;
    uint32_t *ord; /* record indices, sorted */
    uint32_t *ordrank; /* owner rank of ord[i] */
    uint8_t *hasaddr; /* per rank: 1 if the name has an A or AAAA */
    size_t nrank;
    size_t okl; /* length of the origin's key */
};

/*
 * Canonical key of (name): labels from the root, each lower-cased and
 * followed by 0x00; bytes 0x00 and 0x01 inside labels become 01 01 and
 * 01 02 so that a separator always sorts first (RFC 4034 6.1: a shorter
 * label sorts first, bytes compare as unsigned).  Returns the key length
 * (at most 2 * 255).
 */
static size_t canon_key(const uint8_t *name, uint8_t *key)
{
    const uint8_t *lab[128];
    size_t n = 0, o = 0;
    const uint8_t *p = name;

    while (*p != 0 && n < 128) {
        lab[n++] = p;
        p += *p + 1;
    }
    while (n > 0) {
        const uint8_t *l = lab[--n];
        unsigned i;
        for (i = 1; i <= l[0]; i++) {
            uint8_t c = l[i];
            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c + 32);
            if (c <= 1) {
                key[o++] = 1;
                key[o++] = (uint8_t)(c + 1);
            } else {
                key[o++] = c;
            }
        }
        key[o++] = 0;
    }
    return o;
}

/* Is the key (a, al) equal to or below (b, bl)?  Keys are label-wise. */
static bool key_is_sub(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    return al >= bl && memcmp(a, b, bl) == 0;
}

/*
 * Canonical owner order.  In-zone keys all start with the origin's key,
 * so their prefixes (the next 16 bytes; a real key never holds two 0
 * bytes in a row, so the 0 padding sorts like the end of the key) decide
 * most comparisons; ties and out-of-zone keys fall back to memcmp.
 */
static int cmp_owner(const struct ck *c, uint32_t x, uint32_t y)
{
    const struct own *a = &c->own[x], *b = &c->own[y];
    size_t n;
    int r;

    if (a->inzone && b->inzone) {
        if (a->pfx[0] != b->pfx[0])
            return a->pfx[0] < b->pfx[0] ? -1 : 1;
        if (a->pfx[1] != b->pfx[1])
            return a->pfx[1] < b->pfx[1] ? -1 : 1;
    }
    n = TB_MIN(a->keylen, b->keylen);
    r = memcmp(c->keys.data + a->key, c->keys.data + b->key, n);
    if (r != 0)
        return r;
    return (int)a->keylen - (int)b->keylen;
}

/*
 * Owner sort entries: the prefixes sit in the array being sorted, so a
 * merge pass streams through memory instead of chasing indices.
 */
struct oent {
    uint64_t p0, p1;
    uint32_t idx;
    uint32_t inzone;
};

static int cmp_oent(const struct ck *c, const struct oent *a,
                    const struct oent *b)
{
    if (a->inzone && b->inzone) {
        if (a->p0 != b->p0)
            return a->p0 < b->p0 ? -1 : 1;
        if (a->p1 != b->p1)
            return a->p1 < b->p1 ? -1 : 1;
    }
    return cmp_owner(c, a->idx, b->idx);
}

static void msort_oent(const struct ck *c, struct oent *v, struct oent *tmp,
                       size_t n)
{
    size_t width, i;

    for (i = 1; i < n; i++)
        if (cmp_oent(c, &v[i - 1], &v[i]) > 0)
            break;
    if (i >= n)
        return;
    for (width = 1; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            size_t lo = i, mid = TB_MIN(i + width, n),
                   hi = TB_MIN(i + 2 * width, n), a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                tmp[o++] = cmp_oent(c, &v[b], &v[a]) < 0 ? v[b++] : v[a++];
            while (a < mid)
                tmp[o++] = v[a++];
            while (b < hi)
                tmp[o++] = v[b++];
        }
        memcpy(v, tmp, n * sizeof(*v));
    }
}

/* Records of one owner: type, then canonical rdata (RFC 4034 6.3). */
static int cmp_rr(const struct ck *c, uint32_t x, uint32_t y)
{
    const struct dns_zrr *a = &c->z->rr[x], *b = &c->z->rr[y];

    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return dns_rdata_cmp(a->type, dns_zrr_rdata(c->z, a), a->rdlen,
                         dns_zrr_rdata(c->z, b), b->rdlen);
}

/* Stable merge sort of (v, n) with scratch (tmp), by (cmp). */
static void msort(const struct ck *c, uint32_t *v, uint32_t *tmp, size_t n,
                  int (*cmp)(const struct ck *, uint32_t, uint32_t))
{
    size_t width, i;

    for (i = 1; i < n; i++)
        if (cmp(c, v[i - 1], v[i]) > 0)
            break;
    if (i >= n)
        return; /* already in order */
    for (width = 1; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            size_t lo = i, mid = TB_MIN(i + width, n),
                   hi = TB_MIN(i + 2 * width, n), a = lo, b = mid, o = lo;
            while (a < mid && b < hi)
                tmp[o++] = cmp(c, v[b], v[a]) < 0 ? v[b++] : v[a++];
            while (a < mid)
                tmp[o++] = v[a++];
            while (b < hi)
                tmp[o++] = v[b++];
        }
        memcpy(v, tmp, n * sizeof(*v));
    }
}

static void *xalloc(struct ck *c, size_t n, size_t sz)
{
    size_t t;

    if (tb_ckd_mul(&t, n ? n : 1, sz))
        return NULL;
    return tb_alloc(c->z->a, t);
}

static void xfree(struct ck *c, void *p, size_t n, size_t sz)
{
    if (p != NULL)
        tb_free(c->z->a, p, (n ? n : 1) * sz);
}

static const char *type_name(uint16_t t, char *b, size_t cap)
{
    dns_type_to_text(t, b, cap);
    return b;
}

static const char *name_text(const uint8_t *n, char *b, size_t cap)
{
    if (dns_name_to_text(n, b, cap) < 0)
        snprintf(b, cap, "?");
    return b;
}

#define ERR(c, r, ...)                                                         \
    dns_diag((c)->d, DNS_DIAG_ERROR, dns_zrr_file((c)->z, (r)), (r)->line,     \
             __VA_ARGS__)
#define WARN(c, r, ...)                                                        \
    dns_diag((c)->d, DNS_DIAG_WARNING, dns_zrr_file((c)->z, (r)), (r)->line,   \
             __VA_ARGS__)

/* Builds owners and keys; reports out-of-zone and per-record errors. */
static int index_owners(struct ck *c)
{
    struct dns_zone_src *z = c->z;
    uint8_t key[2 * DNS_NAME_MAXLEN];
    size_t i;
    uint32_t last = UINT32_MAX;
    char nb[DNS_NAME_TEXT_MAX], ob[DNS_NAME_TEXT_MAX], tb[16];

    uint8_t okey[2 * DNS_NAME_MAXLEN];
    size_t okl = canon_key(z->origin, okey);

    c->okl = okl;
    c->rown = xalloc(c, z->nrr, sizeof(*c->rown));
    c->own = xalloc(c, z->nrr, sizeof(*c->own));
    if (c->rown == NULL || c->own == NULL)
        return TB_ENOMEM;
    for (i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        const struct dns_rrtype *rt = dns_rrtype_get(r->type);
        if (r->owner != last) {
            const uint8_t *on = dns_zrr_owner(z, r);
            size_t kl = canon_key(on, key);
            struct own *o = &c->own[c->nown];
            size_t b;
            o->key = (uint32_t)c->keys.len;
            o->keylen = (uint16_t)kl;
            o->rank = 0;
            o->inzone = kl >= okl && memcmp(key, okey, okl) == 0;
            o->pfx[0] = o->pfx[1] = 0;
            for (b = 0; b < 16; b++)
                o->pfx[b / 8] =
                    o->pfx[b / 8] << 8 | (okl + b < kl ? key[okl + b] : 0);
            if (tb_buf_append(&c->keys, key, kl) != 0)
                return TB_ENOMEM;
            c->nown++;
            last = r->owner;
        }
        c->rown[i] = (uint32_t)(c->nown - 1);
        if (r->rclass != z->rclass)
            ERR(c, r, "class %u differs from the zone's class %u", r->rclass,
                z->rclass);
        if (rt != NULL && (rt->flags & DNS_RRT_META))
            ERR(c, r, "%s is a meta type and cannot be in a zone",
                type_name(r->type, tb, sizeof(tb)));
        else if (dns_rdata_check(r->type, dns_zrr_rdata(z, r), r->rdlen))
            ERR(c, r, "malformed %s rdata", type_name(r->type, tb, sizeof(tb)));
    }
    /* Out-of-zone owners (RFC 1035 5.2: NSD refuses, Knot ignores). */
    {
        for (i = 0; i < z->nrr; i++) {
            const struct own *o = &c->own[c->rown[i]];
            if (i > 0 && c->rown[i] == c->rown[i - 1])
                continue;
            if (!o->inzone)
                ERR(c, &z->rr[i], "out of zone data: %s is outside %s",
                    name_text(dns_zrr_owner(z, &z->rr[i]), nb, sizeof(nb)),
                    name_text(z->origin, ob, sizeof(ob)));
        }
    }
    return 0;
}

/*
 * Sorts owners and ranks them, then records: a counting sort by owner
 * rank (stable: file order inside a name), then (type, rdata) inside each
 * rank's bucket (insertion sort; merge sort for large buckets).
 */
static int sort_all(struct ck *c)
{
    struct dns_zone_src *z = c->z;
    uint32_t *ov, *tmp, *cnt;
    struct oent *oe, *otmp;
    size_t i, n = TB_MAX(c->nown, z->nrr);

    ov = xalloc(c, c->nown, sizeof(*ov));
    tmp = xalloc(c, n, sizeof(*tmp));
    c->ord = xalloc(c, z->nrr, sizeof(*c->ord));
    c->ordrank = xalloc(c, z->nrr, sizeof(*c->ordrank));
    oe = xalloc(c, c->nown, sizeof(*oe));
    otmp = xalloc(c, c->nown, sizeof(*otmp));
    if (ov == NULL || tmp == NULL || c->ord == NULL || c->ordrank == NULL ||
        oe == NULL || otmp == NULL) {
        xfree(c, ov, c->nown, sizeof(*ov));
        xfree(c, tmp, n, sizeof(*tmp));
        xfree(c, oe, c->nown, sizeof(*oe));
        xfree(c, otmp, c->nown, sizeof(*otmp));
        return TB_ENOMEM;
    }
    for (i = 0; i < c->nown; i++) {
        oe[i].p0 = c->own[i].pfx[0];
        oe[i].p1 = c->own[i].pfx[1];
        oe[i].idx = (uint32_t)i;
        oe[i].inzone = c->own[i].inzone;
    }
    msort_oent(c, oe, otmp, c->nown);
    c->nrank = 0;
    for (i = 0; i < c->nown; i++) {
        if (i > 0 && cmp_oent(c, &oe[i - 1], &oe[i]) != 0)
            c->nrank++;
        c->own[oe[i].idx].rank = (uint32_t)c->nrank;
    }
    if (c->nown > 0)
        c->nrank++;
    xfree(c, oe, c->nown, sizeof(*oe));
    xfree(c, otmp, c->nown, sizeof(*otmp));
    /* Counting sort by rank; (ov) is reused as the counts (nrank <= nown). */
    cnt = ov;
    memset(cnt, 0, (c->nown ? c->nown : 1) * sizeof(*cnt));
    for (i = 0; i < z->nrr; i++)
        cnt[c->own[c->rown[i]].rank]++;
    {
        uint32_t sum = 0;
        for (i = 0; i < c->nrank; i++) {
            uint32_t k = cnt[i];
            cnt[i] = sum;
            sum += k;
        }
    }
    for (i = 0; i < z->nrr; i++) {
        uint32_t rk = c->own[c->rown[i]].rank;
        c->ord[cnt[rk]] = (uint32_t)i;
        c->ordrank[cnt[rk]++] = rk;
    }
    for (i = 0; i < z->nrr;) {
        size_t j = i + 1, a, b;
        while (j < z->nrr && c->ordrank[j] == c->ordrank[i])
            j++;
        if (j - i > 16) {
            msort(c, c->ord + i, tmp, j - i, cmp_rr);
        } else {
            for (a = i + 1; a < j; a++) {
                uint32_t v = c->ord[a];
                for (b = a; b > i && cmp_rr(c, c->ord[b - 1], v) > 0; b--)
                    c->ord[b] = c->ord[b - 1];
                c->ord[b] = v;
            }
        }
        i = j;
    }
    xfree(c, ov, c->nown, sizeof(*ov));
    xfree(c, tmp, n, sizeof(*tmp));
    return 0;
}

/* Index of the first record whose owner key is (key, kl), or SIZE_MAX. */
static size_t find_name(const struct ck *c, const uint8_t *key, size_t kl)
{
    size_t lo = 0, hi = c->z->nrr;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct own *o = &c->own[c->rown[c->ord[mid]]];
        size_t n = TB_MIN(o->keylen, kl);
        int r = memcmp(c->keys.data + o->key, key, n);
        if (r == 0)
            r = (int)o->keylen - (int)kl;
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < c->z->nrr) {
        const struct own *o = &c->own[c->rown[c->ord[lo]]];
        if (o->keylen == kl && memcmp(c->keys.data + o->key, key, kl) == 0)
            return lo;
    }
    return SIZE_MAX;
}

/*
 * A position of the name with key (key, kl) (not necessarily its first),
 * or SIZE_MAX: first the few positions from (pos) on, since glue usually
 * sorts right after its delegation, then find_name().
 */
static size_t find_near(const struct ck *c, size_t pos, const uint8_t *key,
                        size_t kl)
{
    size_t k;

    for (k = pos; k < c->z->nrr && k < pos + 8; k++) {
        const struct own *o = &c->own[c->rown[c->ord[k]]];
        if (o->keylen == kl && memcmp(c->keys.data + o->key, key, kl) == 0)
            return k;
    }
    return find_name(c, key, kl);
}

static bool has_addr(const struct ck *c, size_t pos)
{
    return pos != SIZE_MAX && (c->hasaddr[c->ordrank[pos]] & 1);
}

/* Warns about NS targets inside the zone that have no address. */
static void check_glue(struct ck *c, size_t pos, const struct dns_zrr *r,
                       const uint8_t *okey, size_t okl)
{
    uint8_t key[2 * DNS_NAME_MAXLEN];
    const uint8_t *target = dns_zrr_rdata(c->z, r);
    char nb[DNS_NAME_TEXT_MAX];
    size_t kl = canon_key(target, key);

    if (!key_is_sub(key, kl, okey, okl))
        return;
    if (!has_addr(c, find_near(c, pos, key, kl)))
        WARN(c, r, "missing glue: NS target %s has no A or AAAA record",
             name_text(target, nb, sizeof(nb)));
}

/* Walks names in canonical order and applies the per-name rules. */
static void check_names(struct ck *c)
{
    struct dns_zone_src *z = c->z;
    uint8_t okey[2 * DNS_NAME_MAXLEN];
    size_t okl = canon_key(z->origin, okey), i = 0;
    size_t cut = SIZE_MAX, dname = SIZE_MAX; /* positions in ord */
    unsigned nsoa = 0;
    bool apex_ns = false;
    char nb[DNS_NAME_TEXT_MAX], cb[DNS_NAME_TEXT_MAX], tb[16];

    while (i < z->nrr) {
        size_t j = i, k;
        const struct own *o = &c->own[c->rown[c->ord[i]]];
        const uint8_t *key = c->keys.data + o->key;
        const struct dns_zrr *first = &z->rr[c->ord[i]];
        bool apex = o->keylen == okl && memcmp(key, okey, okl) == 0;
        bool inzone = key_is_sub(key, o->keylen, okey, okl);
        unsigned ncname = 0, nother = 0, ndname = 0, nns = 0;
        const struct dns_zrr *cname = NULL;

        while (j < z->nrr && c->ordrank[j] == c->ordrank[i])
            j++;
        for (k = i; k < j; k++) {
            const struct dns_zrr *r = &z->rr[c->ord[k]];
            const struct dns_rrtype *rt = dns_rrtype_get(r->type);
            if (k > i && cmp_rr(c, c->ord[k - 1], c->ord[k]) == 0)
                continue; /* a duplicate (RFC 2181 5) counts once */
            switch (r->type) {
            case DNS_TYPE_CNAME:
                if (++ncname == 2)
                    ERR(c, r, "multiple CNAMEs at the same name");
                cname = r;
                break;
            case DNS_TYPE_DNAME:
                ndname++;
                nother++;
                break;
            case DNS_TYPE_NS:
                nns++;
                nother++;
                break;
            case DNS_TYPE_SOA:
                if (!apex)
                    ERR(c, r, "SOA record not at the zone apex (%s)",
                        name_text(dns_zrr_owner(z, r), nb, sizeof(nb)));
                else if (++nsoa > 1)
                    ERR(c, r, "more than one SOA record");
                nother++;
                break;
            default:
                /* RFC 2181 10.1, RFC 4035 2.5: DNSSEC types may. */
                if (rt == NULL || !(rt->flags & DNS_RRT_DNSSEC))
                    nother++;
                break;
            }
        }
        if (ncname > 0 && nother > 0)
            ERR(c, cname, "CNAME and other data at the same name");
        if (ncname > 0 && ndname > 0)
            ERR(c, cname, "DNAME and CNAME at the same name");
        if (apex)
            apex_ns = nns > 0;
        /* Below a DNAME: RFC 6672 2.3; NSD and Knot both refuse. */
        if (dname != SIZE_MAX && inzone) {
            const struct own *d = &c->own[c->rown[c->ord[dname]]];
            if (key_is_sub(key, o->keylen, c->keys.data + d->key, d->keylen))
                ERR(c, first, "%s is below the DNAME at %s",
                    name_text(dns_zrr_owner(z, first), nb, sizeof(nb)),
                    name_text(dns_zrr_owner(z, &z->rr[c->ord[dname]]), cb,
                              sizeof(cb)));
            else
                dname = SIZE_MAX;
        }
        /* Below a zone cut: only glue (addresses) belongs there. */
        if (cut != SIZE_MAX) {
            const struct own *d = &c->own[c->rown[c->ord[cut]]];
            if (key_is_sub(key, o->keylen, c->keys.data + d->key, d->keylen)) {
                for (k = i; k < j; k++) {
                    const struct dns_zrr *r = &z->rr[c->ord[k]];
                    if (r->type == DNS_TYPE_A || r->type == DNS_TYPE_AAAA)
                        continue;
                    WARN(c, r,
                         "%s %s is below the delegation at %s "
                         "(occluded, not served)",
                         name_text(dns_zrr_owner(z, r), nb, sizeof(nb)),
                         type_name(r->type, tb, sizeof(tb)),
                         name_text(dns_zrr_owner(z, &z->rr[c->ord[cut]]), cb,
                                   sizeof(cb)));
                    break;
                }
                i = j;
                continue;
            }
            cut = SIZE_MAX;
        }
        if (inzone && !apex && nns > 0) {
            cut = i;
            /* At the cut the parent holds only NS, DS, their DNSSEC
             * records and glue (RFC 4035 2.2, RFC 1034 4.2.1). */
            for (k = i; k < j; k++) {
                const struct dns_zrr *r = &z->rr[c->ord[k]];
                switch (r->type) {
                case DNS_TYPE_NS:
                case DNS_TYPE_DS:
                case DNS_TYPE_RRSIG:
                case DNS_TYPE_NSEC:
                case DNS_TYPE_A:
                case DNS_TYPE_AAAA:
                    continue;
                default:
                    break;
                }
                WARN(c, r,
                     "%s %s at a delegation point (occluded, not "
                     "served)",
                     name_text(dns_zrr_owner(z, r), nb, sizeof(nb)),
                     type_name(r->type, tb, sizeof(tb)));
                break;
            }
        }
        if (ndname > 0 && inzone && dname == SIZE_MAX)
            dname = i;
        if (inzone)
            for (k = i; k < j; k++)
                if (z->rr[c->ord[k]].type == DNS_TYPE_NS)
                    check_glue(c, j, &z->rr[c->ord[k]], okey, okl);
        i = j;
    }
    if (nsoa == 0)
        dns_diag(c->d, DNS_DIAG_ERROR, z->nfiles ? z->files[0] : NULL, 0,
                 "no SOA record at the zone apex %s",
                 name_text(z->origin, nb, sizeof(nb)));
    else if (!apex_ns)
        dns_diag(c->d, DNS_DIAG_WARNING, z->nfiles ? z->files[0] : NULL, 0,
                 "no NS records at the zone apex %s",
                 name_text(z->origin, nb, sizeof(nb)));
}

/*
 * Rebuilds (z)->rr in sorted order without exact duplicates, giving each
 * RRset the TTL of its record read first (RFC 2181 5.2).
 */
static int rebuild(struct ck *c)
{
    struct dns_zone_src *z = c->z;
    struct dns_zrr *out = xalloc(c, z->nrr, sizeof(*out));
    size_t i = 0, n = 0, k;
    char nb[DNS_NAME_TEXT_MAX], tb[16];

    if (out == NULL)
        return TB_ENOMEM;
    while (i < z->nrr) {
        size_t j = i + 1, firstidx = c->ord[i];
        const struct dns_zrr *a = &z->rr[c->ord[i]];
        uint32_t rank = c->ordrank[i];
        bool warned = false;
        while (j < z->nrr && z->rr[c->ord[j]].type == a->type &&
               c->ordrank[j] == rank) {
            if (c->ord[j] < firstidx)
                firstidx = c->ord[j];
            j++;
        }
        for (k = i; k < j; k++) {
            const struct dns_zrr *r = &z->rr[c->ord[k]];
            /* RFC 4034 3: each RRSIG has the TTL of the RRset it covers,
             * so RRSIGs at one name legitimately differ. */
            bool sig = r->type == DNS_TYPE_RRSIG || r->type == DNS_TYPE_SIG;
            if (!sig && r->ttl != z->rr[firstidx].ttl && !warned) {
                WARN(c, r,
                     "%s %s: TTL %lu differs from the RRset's TTL "
                     "%lu (RFC 2181 5.2), using %lu",
                     name_text(dns_zrr_owner(z, r), nb, sizeof(nb)),
                     type_name(r->type, tb, sizeof(tb)), (unsigned long)r->ttl,
                     (unsigned long)z->rr[firstidx].ttl,
                     (unsigned long)z->rr[firstidx].ttl);
                warned = true;
            }
            if (k > i && cmp_rr(c, c->ord[k - 1], c->ord[k]) == 0)
                continue; /* RFC 2181 5: duplicates are one record */
            out[n] = *r;
            if (!sig)
                out[n].ttl = z->rr[firstidx].ttl;
            n++;
        }
        i = j;
    }
    tb_free(z->a, z->rr, z->rr_cap * sizeof(*z->rr));
    z->rr = out;
    z->rr_cap = z->nrr ? z->nrr : 1;
    z->nrr = n;
    return 0;
}

int dns_zone_check(struct dns_zone_src *z, struct dns_diag *d)
{
    struct ck c;
    unsigned errors = d->errors;
    size_t nrr0 = z->nrr;
    int rc;

    memset(&c, 0, sizeof(c));
    c.z = z;
    c.d = d;
    tb_buf_init(&c.keys, z->a);
    /* Root owners have empty keys: keep (keys.data) non-NULL anyway, so
     * that data + 0 is defined (clang's UBSan pointer-overflow). */
    rc = tb_buf_reserve(&c.keys, 64);
    if (rc == 0)
        rc = index_owners(&c);
    if (rc == 0)
        rc = sort_all(&c);
    if (rc == 0) {
        size_t i;
        c.hasaddr = xalloc(&c, c.nrank, 1);
        if (c.hasaddr == NULL)
            rc = TB_ENOMEM;
        else
            memset(c.hasaddr, 0, c.nrank ? c.nrank : 1);
        for (i = 0; rc == 0 && i < z->nrr; i++) {
            uint16_t t = z->rr[c.ord[i]].type;
            if (t == DNS_TYPE_A || t == DNS_TYPE_AAAA)
                c.hasaddr[c.ordrank[i]] = 1;
        }
    }
    if (rc == 0) {
        check_names(&c);
        if (d->errors == errors)
            rc = rebuild(&c);
    }
    /* Sized as allocated: rebuild() may have dropped duplicates. */
    xfree(&c, c.rown, nrr0, sizeof(*c.rown));
    xfree(&c, c.own, nrr0, sizeof(*c.own));
    xfree(&c, c.ord, nrr0, sizeof(*c.ord));
    xfree(&c, c.ordrank, nrr0, sizeof(*c.ordrank));
    xfree(&c, c.hasaddr, c.nrank, 1);
    tb_buf_free(&c.keys);
    if (rc != 0)
        return rc;
    return d->errors > errors ? TB_ESEMANTIC : 0;
}

int dns_zone_rr_to_text(const struct dns_zone_src *z, const struct dns_zrr *r,
                        char *buf, size_t cap)
{
    char cls[16], ty[16];
    int n, m;

    n = dns_name_to_text(dns_zrr_owner(z, r), buf, cap);
    if (n < 0)
        return TB_ESPACE;
    dns_class_to_text(r->rclass, cls, sizeof(cls));
    dns_type_to_text(r->type, ty, sizeof(ty));
    m = snprintf(buf + n, cap - (size_t)n, " %lu %s %s ", (unsigned long)r->ttl,
                 cls, ty);
    if (m < 0 || (size_t)m >= cap - (size_t)n)
        return TB_ESPACE;
    n += m;
    m = dns_rdata_to_text(r->type, dns_zrr_rdata(z, r), r->rdlen, buf + n,
                          cap - (size_t)n);
    if (m < 0)
        return TB_ESPACE;
    if (m == 0) /* empty rdata (APL): no trailing blank */
        buf[--n] = '\0';
    return n + m;
}
