/*
 * update_set.c -- a change to a checked zone version, kept beside the
 * version instead of in a copy of it (update_int.h): the working set of
 * dynamic updates (update.c), journal replay (journal.c) and IXFR in
 * (xfrin_rx.c).
 *
 *   lookups: binary search of the version's canonical order (O(log n)),
 *            the additions hashed by owner, deletions in a hash set
 *   uset_finish: TTLs and duplicates of the additions, the zone checks
 *            on the touched names only, the next version by one merge,
 *            the IXFR delta from the change (no diff of two versions)
 *
 * So refusing or checking an update costs O(change * log n).  Writing
 * the next version is still one pass over the records (memcpy runs of
 * the untouched ones: the compiler wants a whole struct dns_zone_src),
 * cheap beside the compile that follows it.  What it does not do: the
 * warnings of dns_zone_check (missing glue, occluded data) are not
 * repeated for the change.
 */
#include <stdio.h>
#include <string.h>

#include <tibra/dns/serial.h>
#include <tibra/dns/update.h>

#include "update_int.h"

#define REC_OVERHEAD 12 /* dead_bytes charged per deleted record's owner */

/* ---- hashing ------------------------------------------------------------ */

static uint64_t owner_hash(const uint8_t *n)
{
    uint64_t h = 0xcbf29ce484222325ull;

    for (;;) {
        unsigned l = *n;
        h = (h ^ l) * 0x100000001b3ull;
        if (l == 0)
            return h ^ (h >> 29);
        for (unsigned i = 1; i <= l; i++) {
            uint8_t c = n[i];
            if (c >= 'A' && c <= 'Z')
                c = (uint8_t)(c + 32);
            h = (h ^ c) * 0x100000001b3ull;
        }
        n += l + 1;
    }
}

static uint64_t idx_hash(uint32_t v)
{
    uint64_t h = (uint64_t)v * 0x9e3779b97f4a7c15ull;
    return h ^ (h >> 32);
}

/* ---- the set ----------------------------------------------------------- */

int uset_init(struct uset *s, const struct dns_zone_src *cur,
              const struct tb_alloc *a)
{
    memset(s, 0, sizeof(*s));
    s->cur = cur;
    s->a = a;
    dns_zone_src_init(&s->add, cur->origin, a);
    s->add.rclass = cur->rclass;
    s->add_cap = 16;
    s->amask = 31;
    s->dmask = 31;
    s->dead = tb_alloc(a, s->add_cap);
    s->anext = tb_alloc(a, s->add_cap * 4);
    s->ahead = tb_alloc(a, (s->amask + 1) * 4);
    s->del = tb_alloc(a, (s->dmask + 1) * 4);
    if (s->dead == NULL || s->anext == NULL || s->ahead == NULL ||
        s->del == NULL)
        return TB_ENOMEM;
    memset(s->ahead, 0, (s->amask + 1) * 4);
    memset(s->del, 0, (s->dmask + 1) * 4);
    return 0;
}

void uset_free(struct uset *s)
{
    if (s->a == NULL)
        return;
    if (s->dead != NULL)
        tb_free(s->a, s->dead, s->add_cap);
    if (s->anext != NULL)
        tb_free(s->a, s->anext, s->add_cap * 4);
    if (s->ahead != NULL)
        tb_free(s->a, s->ahead, (s->amask + 1) * 4);
    if (s->del != NULL)
        tb_free(s->a, s->del, (s->dmask + 1) * 4);
    dns_zone_src_free(&s->add);
    s->dead = NULL;
    s->anext = s->ahead = s->del = NULL;
}

const struct dns_zrr *uset_rr(const struct uset *s, size_t h,
                              const struct dns_zone_src **z)
{
    if (h < s->cur->nrr) {
        *z = s->cur;
        return &s->cur->rr[h];
    }
    *z = &s->add;
    return &s->add.rr[h - s->cur->nrr];
}

static bool deleted(const struct uset *s, size_t i)
{
    for (size_t k = idx_hash((uint32_t)i) & s->dmask;; k = (k + 1) & s->dmask) {
        if (s->del[k] == 0)
            return false;
        if (s->del[k] == i + 1)
            return true;
    }
}

/* First index of cur whose owner is not before (owner) (after: past it). */
static size_t bound(const struct dns_zone_src *z, const uint8_t *owner,
                    bool after)
{
    size_t lo = 0, hi = z->nrr;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = dns_name_cmp(dns_zrr_owner(z, &z->rr[mid]), owner);
        if (c < 0 || (after && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void uset_iter(const struct uset *s, struct uset_it *it, const uint8_t *owner)
{
    it->owner = owner;
    it->i = bound(s->cur, owner, false);
    it->end = it->i;
    while (it->end < s->cur->nrr &&
           dns_name_equal(dns_zrr_owner(s->cur, &s->cur->rr[it->end]), owner))
        it->end++;
    it->an = s->ahead[owner_hash(owner) & s->amask];
}

bool uset_next(const struct uset *s, struct uset_it *it, size_t *h)
{
    while (it->i < it->end) {
        size_t i = it->i++;
        if (s->ndel == 0 || !deleted(s, i)) {
            *h = i;
            return true;
        }
    }
    while (it->an != 0) {
        uint32_t k = it->an - 1;
        it->an = s->anext[k];
        if (!s->dead[k] &&
            dns_name_equal(dns_zrr_owner(&s->add, &s->add.rr[k]), it->owner)) {
            *h = s->cur->nrr + k;
            return true;
        }
    }
    return false;
}

size_t uset_find(const struct uset *s, const uint8_t *owner, uint16_t type,
                 const uint8_t *rd, size_t rdlen)
{
    struct uset_it it;
    size_t h;

    uset_iter(s, &it, owner);
    while (uset_next(s, &it, &h)) {
        const struct dns_zone_src *z;
        const struct dns_zrr *r = uset_rr(s, h, &z);
        if (r->type == type &&
            dns_rdata_cmp(type, dns_zrr_rdata(z, r), r->rdlen, rd, rdlen) == 0)
            return h;
    }
    return SIZE_MAX;
}

/* Doubles the additions' arrays and rehashes their chains. */
static int grow_add(struct uset *s)
{
    size_t ncap = s->add_cap * 2, nmask = s->amask * 2 + 1;
    uint8_t *dead = tb_realloc(s->a, s->dead, s->add_cap, ncap);
    uint32_t *next, *head;

    if (dead == NULL)
        return TB_ENOMEM;
    s->dead = dead;
    if ((next = tb_realloc(s->a, s->anext, s->add_cap * 4, ncap * 4)) == NULL)
        return TB_ENOMEM;
    s->anext = next;
    s->add_cap = ncap;
    if ((head = tb_alloc(s->a, (nmask + 1) * 4)) == NULL)
        return TB_ENOMEM;
    memset(head, 0, (nmask + 1) * 4);
    tb_free(s->a, s->ahead, (s->amask + 1) * 4);
    s->ahead = head;
    s->amask = nmask;
    /* Rebuilt in reverse so that each chain stays in addition order. */
    for (size_t k = s->add.nrr; k-- > 0;) {
        size_t b = owner_hash(dns_zrr_owner(&s->add, &s->add.rr[k])) & nmask;
        s->anext[k] = head[b];
        head[b] = (uint32_t)k + 1;
    }
    return 0;
}

int uset_add(struct uset *s, const uint8_t *owner, uint16_t type, uint32_t ttl,
             const uint8_t *rd, uint16_t rdlen)
{
    size_t k = s->add.nrr, b;
    uint32_t *p;

    if (k == s->add_cap && grow_add(s) != 0)
        return TB_ENOMEM;
    if (dns_zone_src_add(&s->add, owner, type, s->cur->rclass, ttl, rd, rdlen,
                         0, 0) != 0)
        return TB_ENOMEM;
    s->dead[k] = 0;
    s->anext[k] = 0;
    /* Appended at the chain's end: iteration is in addition order, as
     * the records were in the copy this set replaces. */
    b = owner_hash(owner) & s->amask;
    for (p = &s->ahead[b]; *p != 0; p = &s->anext[*p - 1])
        ;
    *p = (uint32_t)k + 1;
    s->changed = true;
    return 0;
}

int uset_del(struct uset *s, size_t h)
{
    s->changed = true;
    if (h >= s->cur->nrr) {
        s->dead[h - s->cur->nrr] = 1;
        return 0;
    }
    if ((s->ndel + 1) * 2 > s->dmask + 1) {
        size_t nmask = s->dmask * 2 + 1;
        uint32_t *nd = tb_alloc(s->a, (nmask + 1) * 4);
        if (nd == NULL)
            return TB_ENOMEM;
        memset(nd, 0, (nmask + 1) * 4);
        for (size_t i = 0; i <= s->dmask; i++) {
            size_t k;
            if (s->del[i] == 0)
                continue;
            for (k = idx_hash(s->del[i] - 1) & nmask; nd[k] != 0;
                 k = (k + 1) & nmask)
                ;
            nd[k] = s->del[i];
        }
        tb_free(s->a, s->del, (s->dmask + 1) * 4);
        s->del = nd;
        s->dmask = nmask;
    }
    size_t k = idx_hash((uint32_t)h) & s->dmask;
    while (s->del[k] != 0 && s->del[k] != h + 1)
        k = (k + 1) & s->dmask;
    if (s->del[k] == 0) {
        s->del[k] = (uint32_t)h + 1;
        s->ndel++;
    }
    return 0;
}

size_t uset_soa(const struct uset *s)
{
    struct uset_it it;
    size_t h;

    uset_iter(s, &it, s->cur->origin);
    while (uset_next(s, &it, &h)) {
        const struct dns_zone_src *z;
        if (uset_rr(s, h, &z)->type == DNS_TYPE_SOA)
            return h;
    }
    return SIZE_MAX;
}

size_t soa_serial_off(const uint8_t *rd, size_t rdlen)
{
    int a = dns_name_check(rd, rdlen), b;

    if (a < 0 || (b = dns_name_check(rd + a, rdlen - (size_t)a)) < 0 ||
        (size_t)a + (size_t)b + 20 != rdlen)
        return 0;
    return (size_t)a + (size_t)b;
}

uint32_t dns_zone_src_serial(const struct dns_zone_src *z)
{
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        size_t off;
        if (r->type == DNS_TYPE_SOA &&
            dns_name_equal(dns_zrr_owner(z, r), z->origin) &&
            (off = soa_serial_off(dns_zrr_rdata(z, r), r->rdlen)) != 0)
            return tb_get32(dns_zrr_rdata(z, r) + off);
    }
    return 0;
}

/* ---- finishing: TTLs, duplicates, checks ---------------------------------
 */

static bool is_sig(uint16_t t)
{
    return t == DNS_TYPE_RRSIG || t == DNS_TYPE_SIG;
}

/*
 * RFC 2181 5.2 as dns_zone_check() applies it to the version followed by
 * the additions: an RRset takes the TTL of its first record, a live one
 * of (cur) if any (they all share it), else its first addition; and RFC
 * 2181 5: an addition equal to a live record before it is dropped.
 */
static void settle_additions(struct uset *s)
{
    const struct dns_zone_src *cur = s->cur;
    struct dns_zone_src *add = &s->add;

    for (size_t k = 0; k < add->nrr; k++) {
        struct dns_zrr *x = &add->rr[k];
        const uint8_t *xo = dns_zrr_owner(add, x);
        struct uset_it it;
        size_t h;
        bool ttl_set = false;

        if (s->dead[k])
            continue;
        uset_iter(s, &it, xo);
        while (uset_next(s, &it, &h)) {
            const struct dns_zone_src *z;
            const struct dns_zrr *r = uset_rr(s, h, &z);
            if (h == cur->nrr + k)
                break; /* records after it do not matter */
            if (r->type != x->type)
                continue;
            if (!ttl_set && !is_sig(x->type)) {
                x->ttl = r->ttl;
                ttl_set = true;
            }
            if (dns_rdata_cmp(x->type, dns_zrr_rdata(z, r), r->rdlen,
                              dns_zrr_rdata(add, x), x->rdlen) == 0) {
                s->dead[k] = 1; /* a duplicate: the first one stays */
                break;
            }
        }
    }
}

static const char *name_text(const uint8_t *n, char *b, size_t cap)
{
    if (dns_name_to_text(n, b, cap) < 0)
        snprintf(b, cap, "?");
    return b;
}

/* True if a live record of (type) is at (owner). */
static bool has_type(const struct uset *s, const uint8_t *owner, uint16_t type)
{
    struct uset_it it;
    size_t h;

    uset_iter(s, &it, owner);
    while (uset_next(s, &it, &h)) {
        const struct dns_zone_src *z;
        if (uset_rr(s, h, &z)->type == type)
            return true;
    }
    return false;
}

/* True if a live record of (cur) is strictly below (owner).  Owners below
 * a name follow it in canonical order; an owner whose records are all
 * deleted costs one step per deleted record. */
static bool cur_has_below(const struct uset *s, const uint8_t *owner)
{
    const struct dns_zone_src *z = s->cur;

    for (size_t i = bound(z, owner, true); i < z->nrr; i++) {
        if (!dns_name_is_sub(dns_zrr_owner(z, &z->rr[i]), owner))
            return false;
        if (s->ndel == 0 || !deleted(s, i))
            return true;
    }
    return false;
}

/* True if a live addition is strictly below (owner). */
static bool add_has_below(const struct uset *s, const uint8_t *owner)
{
    for (size_t k = 0; k < s->add.nrr; k++) {
        const uint8_t *o = dns_zrr_owner(&s->add, &s->add.rr[k]);
        if (!s->dead[k] && !dns_name_equal(o, owner) &&
            dns_name_is_sub(o, owner))
            return true;
    }
    return false;
}

/* True if (name) is strictly below a delegation (a live NS at an
 * ancestor other than the apex): dns_zone_check() passes over such
 * occluded names, so a DNAME there does not count. */
static bool occluded(const struct uset *s, const uint8_t *name)
{
    unsigned l = dns_name_labels(name), ol = dns_name_labels(s->cur->origin);

    for (unsigned n = 1; l > ol + n; n++)
        if (has_type(s, dns_name_skip(name, n), DNS_TYPE_NS))
            return true;
    return false;
}

#define ERR(d, ...) dns_diag((d), DNS_DIAG_ERROR, "-", 0, __VA_ARGS__)

/* RFC 6672 2.3 for a DNAME at (dn): no names below it, unless the DNAME
 * is occluded (as dns_zone_check() walks). */
static void check_dname_below(const struct uset *s, const uint8_t *dn,
                              struct dns_diag *d)
{
    char nb[DNS_NAME_TEXT_MAX];

    if (!occluded(s, dn) && (cur_has_below(s, dn) || add_has_below(s, dn)))
        ERR(d, "names below the DNAME at %s", name_text(dn, nb, sizeof(nb)));
}

/* dns_zone_check()'s rules at owner (o) of an addition: what an addition
 * can break (a deletion cannot: it removes records from a checked zone,
 * and the callers never delete the apex SOA without adding one). */
static void check_owner(const struct uset *s, const uint8_t *o,
                        struct dns_diag *d)
{
    const uint8_t *origin = s->cur->origin;
    unsigned ncname = 0, nother = 0, ndname = 0, nsoa = 0;
    struct uset_it it;
    size_t h, first_cname = SIZE_MAX;
    char nb[DNS_NAME_TEXT_MAX], cb[DNS_NAME_TEXT_MAX];
    bool apex = dns_name_equal(o, origin);

    uset_iter(s, &it, o);
    while (uset_next(s, &it, &h)) {
        const struct dns_zone_src *z;
        const struct dns_zrr *r = uset_rr(s, h, &z);
        const struct dns_rrtype *rt = dns_rrtype_get(r->type);
        switch (r->type) {
        case DNS_TYPE_CNAME:
            if (first_cname == SIZE_MAX)
                first_cname = h;
            ncname++; /* live records are distinct: no duplicates */
            break;
        case DNS_TYPE_DNAME:
            ndname++;
            nother++;
            break;
        case DNS_TYPE_SOA:
            nsoa++;
            nother++;
            break;
        default:
            if (rt == NULL || !(rt->flags & DNS_RRT_DNSSEC))
                nother++;
        }
    }
    if (ncname > 1)
        ERR(d, "multiple CNAMEs at the same name (%s)",
            name_text(o, nb, sizeof(nb)));
    if (ncname > 0 && nother > 0)
        ERR(d, "CNAME and other data at the same name (%s)",
            name_text(o, nb, sizeof(nb)));
    if (ncname > 0 && ndname > 0)
        ERR(d, "DNAME and CNAME at the same name (%s)",
            name_text(o, nb, sizeof(nb)));
    if (nsoa > 0 && !apex)
        ERR(d, "SOA record not at the zone apex (%s)",
            name_text(o, nb, sizeof(nb)));
    if (nsoa > 1 && apex)
        ERR(d, "more than one SOA record");
    /* RFC 6672 2.3: nothing below a DNAME, whichever came last. */
    for (unsigned n = 1, l = dns_name_labels(o), ol = dns_name_labels(origin);
         l >= ol + n; n++) {
        const uint8_t *up = dns_name_skip(o, n);
        if (has_type(s, up, DNS_TYPE_DNAME) && !occluded(s, up)) {
            ERR(d, "%s is below the DNAME at %s", name_text(o, nb, sizeof(nb)),
                name_text(up, cb, sizeof(cb)));
            break;
        }
    }
    if (ndname > 0)
        check_dname_below(s, o, d);
}

/* A delegation removed at (c): the DNAMEs it occluded count again. */
static void check_uncovered(const struct uset *s, const uint8_t *c,
                            struct dns_diag *d)
{
    const struct dns_zone_src *z = s->cur, *add = &s->add;

    if (dns_name_equal(c, z->origin) || has_type(s, c, DNS_TYPE_NS))
        return;
    for (size_t i = bound(z, c, true); i < z->nrr; i++) {
        const uint8_t *o = dns_zrr_owner(z, &z->rr[i]);
        if (!dns_name_is_sub(o, c))
            break;
        if (z->rr[i].type == DNS_TYPE_DNAME && (s->ndel == 0 || !deleted(s, i)))
            check_dname_below(s, o, d);
    }
    for (size_t k = 0; k < add->nrr; k++) {
        const uint8_t *o = dns_zrr_owner(add, &add->rr[k]);
        if (!s->dead[k] && add->rr[k].type == DNS_TYPE_DNAME &&
            !dns_name_equal(o, c) && dns_name_is_sub(o, c))
            check_dname_below(s, o, d);
    }
}

static void check_additions(const struct uset *s, struct dns_diag *d)
{
    const struct dns_zone_src *add = &s->add;
    char nb[DNS_NAME_TEXT_MAX], tb[16];

    for (size_t k = 0; k < add->nrr; k++) {
        const struct dns_zrr *x = &add->rr[k];
        const uint8_t *o = dns_zrr_owner(add, x);
        const struct dns_rrtype *rt = dns_rrtype_get(x->type);
        bool first = true;

        if (s->dead[k])
            continue;
        if (!dns_name_is_sub(o, s->cur->origin))
            ERR(d, "out of zone data: %s", name_text(o, nb, sizeof(nb)));
        if (rt != NULL && (rt->flags & DNS_RRT_META)) {
            dns_type_to_text(x->type, tb, sizeof(tb));
            ERR(d, "%s is a meta type and cannot be in a zone", tb);
        } else if (dns_rdata_check(x->type, dns_zrr_rdata(add, x), x->rdlen)) {
            dns_type_to_text(x->type, tb, sizeof(tb));
            ERR(d, "malformed %s rdata", tb);
        }
        /* Each owner once: the first live addition at it checks it. */
        for (size_t j = 0; j < k && first; j++)
            first = s->dead[j] ||
                    !dns_name_equal(dns_zrr_owner(add, &add->rr[j]), o);
        if (first)
            check_owner(s, o, d);
    }
    if (uset_soa(s) == SIZE_MAX)
        ERR(d, "no SOA record at the zone apex %s",
            name_text(s->cur->origin, nb, sizeof(nb)));
    for (size_t i = 0; i <= s->dmask; i++) {
        const struct dns_zrr *r;
        if (s->del[i] == 0)
            continue;
        r = &s->cur->rr[s->del[i] - 1];
        if (r->type == DNS_TYPE_NS)
            check_uncovered(s, dns_zrr_owner(s->cur, r), d);
    }
}

/* ---- finishing: the next version and the delta ------------------------ */

/* Canonical order of two records (owner, type, canonical rdata). */
static int rr_order(const struct dns_zone_src *za, const struct dns_zrr *a,
                    const struct dns_zone_src *zb, const struct dns_zrr *b)
{
    int c = dns_name_cmp(dns_zrr_owner(za, a), dns_zrr_owner(zb, b));

    if (c != 0)
        return c;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    return dns_rdata_cmp(a->type, dns_zrr_rdata(za, a), a->rdlen,
                         dns_zrr_rdata(zb, b), b->rdlen);
}

static int add_cmp(const void *ctx, uint32_t x, uint32_t y)
{
    const struct dns_zone_src *z = ctx;
    return rr_order(z, &z->rr[x], z, &z->rr[y]);
}

static int idx_cmp(const void *ctx, uint32_t x, uint32_t y)
{
    (void)ctx;
    return x < y ? -1 : x > y;
}

/* First index of cur that sorts after addition (x). */
static size_t place(const struct uset *s, const struct dns_zrr *x)
{
    const struct dns_zone_src *z = s->cur;
    size_t lo = 0, hi = z->nrr;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rr_order(z, &z->rr[mid], &s->add, x) <= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Copies cur->rr[from, to) into out->rr, skipping the deleted indices
 * (dl, ndl) from (*di) on, as memcpy runs. */
static void copy_run(const struct dns_zone_src *cur, struct dns_zone_src *out,
                     size_t from, size_t to, const uint32_t *dl, size_t ndl,
                     size_t *di)
{
    while (from < to) {
        size_t end = to;
        while (*di < ndl && dl[*di] < from)
            (*di)++;
        if (*di < ndl && dl[*di] < to)
            end = dl[*di];
        memcpy(&out->rr[out->nrr], &cur->rr[from],
               (end - from) * sizeof(*out->rr));
        out->nrr += end - from;
        from = end;
        if (from < to && *di < ndl && dl[*di] == from) {
            from++;
            (*di)++;
        }
    }
}

/* Appends record (r) of (z) in the delta format (srv.h), owner
 * lowercased as the compiled records dns_ixfr_diff() reads have it. */
static void put_rr(struct tb_buf *b, const struct dns_zone_src *z,
                   const struct dns_zrr *r)
{
    uint8_t own[DNS_NAME_MAXLEN], f[8];
    size_t ol = dns_name_len(dns_zrr_owner(z, r));

    memcpy(own, dns_zrr_owner(z, r), ol);
    dns_name_lower(own);
    tb_put16(f, r->type);
    tb_put16(f + 2, r->rdlen);
    tb_put32(f + 4, r->ttl);
    tb_buf_append(b, own, ol);
    tb_buf_append(b, f, 8);
    tb_buf_append(b, dns_zrr_rdata(z, r), r->rdlen);
}

static bool same_rr(const struct dns_zone_src *za, const struct dns_zrr *a,
                    const struct dns_zone_src *zb, const struct dns_zrr *b)
{
    return a->type == b->type && a->ttl == b->ttl && a->rdlen == b->rdlen &&
           dns_name_equal(dns_zrr_owner(za, a), dns_zrr_owner(zb, b)) &&
           memcmp(dns_zrr_rdata(za, a), dns_zrr_rdata(zb, b), a->rdlen) == 0;
}

/*
 * The delta (dns_ixfr_diff's format and meaning: a record whose bytes or
 * TTL change is deleted and added again; one deleted and added back the
 * same is no change).  (dl, ndl): the deleted indices of cur; (al, nal):
 * the live additions.
 */
static int write_delta(const struct uset *s, const struct dns_zone_src *out,
                       const uint32_t *dl, size_t ndl, const uint32_t *al,
                       size_t nal, struct tb_buf *b, struct dns_ixfr_delta *d)
{
    const struct dns_zone_src *cur = s->cur, *add = &s->add;
    size_t keep = b->len, osoa = SIZE_MAX, nsoa = SIZE_MAX;
    uint32_t ndel = 0, nadd = 0;
    struct tb_buf del, ad;
    uint8_t *gone;
    int rc;

    /* The old SOA is cur's apex SOA; the new one is out's. */
    for (size_t i = 0; i < cur->nrr && osoa == SIZE_MAX; i++)
        if (cur->rr[i].type == DNS_TYPE_SOA &&
            dns_name_equal(dns_zrr_owner(cur, &cur->rr[i]), cur->origin))
            osoa = i;
    for (size_t i = 0; i < out->nrr && nsoa == SIZE_MAX; i++)
        if (out->rr[i].type == DNS_TYPE_SOA &&
            dns_name_equal(dns_zrr_owner(out, &out->rr[i]), out->origin))
            nsoa = i;
    if (osoa == SIZE_MAX || nsoa == SIZE_MAX)
        return TB_EINVAL;
    d->from = tb_get32(dns_zrr_rdata(cur, &cur->rr[osoa]) +
                       soa_serial_off(dns_zrr_rdata(cur, &cur->rr[osoa]),
                                      cur->rr[osoa].rdlen));
    d->to = tb_get32(dns_zrr_rdata(out, &out->rr[nsoa]) +
                     soa_serial_off(dns_zrr_rdata(out, &out->rr[nsoa]),
                                    out->rr[nsoa].rdlen));
    if (dns_serial_cmp(d->to, d->from) != 1)
        return TB_EINVAL; /* IXFR needs a newer serial (RFC 1995 2) */
    if ((gone = tb_alloc(s->a, nal ? nal : 1)) == NULL)
        return TB_ENOMEM;
    memset(gone, 0, nal ? nal : 1);
    tb_buf_init(&del, s->a);
    tb_buf_init(&ad, s->a);
    for (size_t k = 0; k < ndl; k++) {
        const struct dns_zrr *r = &cur->rr[dl[k]];
        bool back = false;
        if (dl[k] == osoa)
            continue;
        for (size_t j = 0; j < nal && !back; j++)
            if (!gone[j] && same_rr(cur, r, add, &add->rr[al[j]]))
                gone[j] = back = true;
        if (!back) {
            put_rr(&del, cur, r);
            ndel++;
        }
    }
    for (size_t j = 0; j < nal; j++) {
        const struct dns_zrr *x = &add->rr[al[j]];
        if (gone[j] || (x->type == DNS_TYPE_SOA &&
                        dns_name_equal(dns_zrr_owner(add, x), cur->origin)))
            continue;
        put_rr(&ad, add, x);
        nadd++;
    }
    put_rr(b, cur, &cur->rr[osoa]);
    if (del.len != 0)
        tb_buf_append(b, del.data, del.len);
    put_rr(b, out, &out->rr[nsoa]);
    if (ad.len != 0)
        tb_buf_append(b, ad.data, ad.len);
    rc = del.err != 0 || ad.err != 0 || b->err != 0 ? TB_ENOMEM : 0;
    tb_buf_free(&del);
    tb_buf_free(&ad);
    tb_free(s->a, gone, nal ? nal : 1);
    if (rc != 0) {
        b->len = keep;
        b->err = 0;
        return rc;
    }
    d->nrrs = 2 + ndel + nadd;
    d->rrs = NULL;
    d->len = b->len - keep;
    return 0;
}

/* Rewrites (z) with only the bytes its records use. */
static int compact(struct dns_zone_src *z)
{
    struct dns_zone_src n;

    dns_zone_src_init(&n, z->origin, z->a);
    n.rclass = z->rclass;
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        if (dns_zone_src_add(&n, dns_zrr_owner(z, r), r->type, r->rclass,
                             r->ttl, dns_zrr_rdata(z, r), r->rdlen, 0,
                             0) != 0) {
            dns_zone_src_free(&n);
            return TB_ENOMEM;
        }
    }
    dns_zone_src_free(z);
    *z = n;
    return 0;
}

/* The next version: cur without the deleted records, the live additions
 * merged in at their places. */
static int merge(const struct uset *s, struct dns_zone_src *out,
                 const uint32_t *dl, size_t ndl, const uint32_t *al, size_t nal)
{
    const struct dns_zone_src *cur = s->cur, *add = &s->add;
    size_t n = cur->nrr - ndl + nal, ci = 0, di = 0, shift = cur->data.len;
    size_t dead = cur->dead_bytes;

    if ((out->rr = tb_alloc(s->a, (n ? n : 1) * sizeof(*out->rr))) == NULL)
        return TB_ENOMEM;
    out->rr_cap = n ? n : 1;
    if (tb_buf_reserve(&out->data, cur->data.len + add->data.len + 8) != 0 ||
        tb_buf_append(&out->data, cur->data.data, cur->data.len) != 0 ||
        tb_buf_append(&out->data, add->data.data, add->data.len) != 0)
        return TB_ENOMEM;
    for (size_t j = 0; j < nal; j++) {
        const struct dns_zrr *x = &add->rr[al[j]];
        size_t at = place(s, x);
        copy_run(cur, out, ci, at, dl, ndl, &di);
        ci = at;
        out->rr[out->nrr] = *x;
        out->rr[out->nrr].owner += (uint32_t)shift;
        out->rr[out->nrr].rdata += (uint32_t)shift;
        out->nrr++;
    }
    copy_run(cur, out, ci, cur->nrr, dl, ndl, &di);
    /* Bytes no record uses: the deleted ones, the dead additions. */
    for (size_t k = 0; k < ndl; k++)
        dead += cur->rr[dl[k]].rdlen + REC_OVERHEAD;
    for (size_t k = 0; k < add->nrr; k++)
        if (s->dead[k])
            dead += add->rr[k].rdlen + REC_OVERHEAD;
    out->dead_bytes = dead;
    /* Amortised: the version is rewritten when half of it is garbage. */
    if (dead > out->data.len / 2 + 65536)
        return compact(out);
    return 0;
}

int uset_finish(struct uset *s, struct dns_zone_src *out, struct tb_buf *delta,
                struct dns_ixfr_delta *dl, struct dns_diag *d)
{
    const struct dns_zone_src *cur = s->cur;
    struct dns_diag quiet = {NULL, NULL, 0, 0};
    unsigned errors;
    uint32_t *dels = NULL, *adds = NULL;
    size_t ndl = 0, nal = 0;
    int rc = TB_ENOMEM;

    if (d == NULL)
        d = &quiet;
    errors = d->errors;
    dns_zone_src_init(out, cur->origin, s->a);
    out->rclass = cur->rclass;
    settle_additions(s);
    check_additions(s, d);
    if (d->errors != errors)
        return TB_ESEMANTIC;
    dels = tb_alloc(s->a, (s->ndel ? s->ndel : 1) * 4);
    adds = tb_alloc(s->a, (s->add.nrr ? s->add.nrr : 1) * 4);
    if (dels == NULL || adds == NULL)
        goto out;
    for (size_t i = 0; i <= s->dmask; i++)
        if (s->del[i] != 0)
            dels[ndl++] = s->del[i] - 1;
    for (size_t k = 0; k < s->add.nrr; k++)
        if (!s->dead[k])
            adds[nal++] = (uint32_t)k;
    if (tb_sort_idx(dels, ndl, s->a, idx_cmp, NULL) != 0 ||
        tb_sort_idx(adds, nal, s->a, add_cmp, &s->add) != 0)
        goto out;
    rc = merge(s, out, dels, ndl, adds, nal);
    if (rc == 0 && delta != NULL)
        rc = write_delta(s, out, dels, ndl, adds, nal, delta, dl);
out:
    if (dels != NULL)
        tb_free(s->a, dels, (s->ndel ? s->ndel : 1) * 4);
    if (adds != NULL)
        tb_free(s->a, adds, (s->add.nrr ? s->add.nrr : 1) * 4);
    return rc;
}
