/*
 * catalog.c -- catalog zones (RFC 9432 version 2): a checked zone into a
 * member list, a member list into a zone, and the difference of two
 * lists (include/tibra/dns/catalog.h).
 *
 * The parser walks the zone once in canonical order, where a member node
 * ID.zones.CATALOG comes right before the properties below it, so the
 * properties attach to the last member node seen.  Cold path.
 */
#include <tibra/dns/catalog.h>

#define NONE UINT32_MAX

static const uint8_t invalid_name[] = "\x07invalid";

void dns_catalog_init(struct dns_catalog *c, const struct tb_alloc *a)
{
    memset(c, 0, sizeof(*c));
    c->a = a;
    tb_buf_init(&c->data, a);
}

void dns_catalog_free(struct dns_catalog *c)
{
    const struct tb_alloc *a = c->a;

    if (c->m != NULL)
        tb_free(a, c->m, c->cap * sizeof(*c->m));
    tb_buf_free(&c->data);
    dns_catalog_init(c, a);
}

/* Appends (p, n) to the data buffer; its offset in (*off). */
static int put(struct dns_catalog *c, const void *p, size_t n, uint32_t *off)
{
    if (c->data.len > UINT32_MAX - n - 1)
        return TB_ENOMEM;
    *off = (uint32_t)c->data.len;
    return tb_buf_append(&c->data, p, n);
}

static int add_raw(struct dns_catalog *c, const uint8_t *zone,
                   const uint8_t *id, size_t id_len, const uint8_t *group,
                   size_t group_len, const uint8_t *coo)
{
    struct dns_catalog_member *m;
    uint8_t lab[64], low[DNS_NAME_MAXLEN];
    size_t zl = dns_name_len(zone);
    int rc;

    if (id_len < 1 || id_len > 63 || group_len > DNS_CATALOG_GROUP_MAX)
        return TB_EINVAL;
    if (c->n == c->cap) {
        size_t ncap = c->cap != 0 ? c->cap * 2 : 16;
        void *p =
            tb_realloc(c->a, c->m, c->cap * sizeof(*m), ncap * sizeof(*m));
        if (p == NULL)
            return TB_ENOMEM;
        c->m = p, c->cap = ncap;
    }
    m = &c->m[c->n];
    m->group = m->coo = NONE;
    memcpy(low, zone, zl);
    dns_name_lower(low);
    lab[0] = (uint8_t)id_len;
    for (size_t i = 0; i < id_len; i++)
        lab[1 + i] =
            (uint8_t)(id[i] >= 'A' && id[i] <= 'Z' ? id[i] + 32 : id[i]);
    rc = put(c, low, zl, &m->zone);
    if (rc == 0)
        rc = put(c, lab, id_len + 1, &m->id);
    if (rc == 0 && group != NULL) {
        uint8_t n = (uint8_t)group_len;
        rc = put(c, &n, 1, &m->group);
        if (rc == 0 && group_len > 0)
            rc = tb_buf_append(&c->data, group, group_len);
    }
    if (rc == 0 && coo != NULL) {
        memcpy(low, coo, dns_name_len(coo));
        dns_name_lower(low);
        rc = put(c, low, dns_name_len(low), &m->coo);
    }
    if (rc != 0)
        return rc;
    c->n++;
    return 0;
}

int dns_catalog_add(struct dns_catalog *c, const uint8_t *zone,
                    const uint8_t *id, size_t id_len, const char *group,
                    size_t group_len)
{
    uint8_t gen[DNS_CATALOG_ID_LEN];

    if (id == NULL) {
        dns_catalog_make_id(zone, gen);
        id = gen, id_len = sizeof(gen);
    }
    return add_raw(c, zone, id, id_len, (const uint8_t *)group, group_len,
                   NULL);
}

void dns_catalog_make_id(const uint8_t *zone, uint8_t out[DNS_CATALOG_ID_LEN])
{
    static const uint8_t key[16];
    static const char hex[] = "0123456789abcdef";
    uint8_t low[DNS_NAME_MAXLEN];
    size_t n = dns_name_len(zone);
    uint64_t h;

    memcpy(low, zone, n);
    dns_name_lower(low);
    h = tb_siphash24(key, low, n);
    for (int i = 0; i < DNS_CATALOG_ID_LEN; i++)
        out[i] = (uint8_t)hex[(h >> (60 - 4 * i)) & 15];
}

static int zone_cmp(const void *ctx, uint32_t i, uint32_t j)
{
    const struct dns_catalog *c = ctx;

    return dns_name_cmp(dns_catalog_zone(c, i), dns_catalog_zone(c, j));
}

static int id_cmp(const void *ctx, uint32_t i, uint32_t j)
{
    const struct dns_catalog *c = ctx;
    size_t li, lj;
    const uint8_t *x = dns_catalog_id(c, i, &li);
    const uint8_t *y = dns_catalog_id(c, j, &lj);

    if (li != lj)
        return li < lj ? -1 : 1;
    return memcmp(x, y, li);
}

int dns_catalog_sort(struct dns_catalog *c)
{
    struct dns_catalog_member *m;
    uint32_t *ix;
    int rc = 0;

    if (c->n < 2)
        return 0;
    if (c->n > UINT32_MAX || (ix = tb_alloc(c->a, c->n * 4)) == NULL)
        return TB_ENOMEM;
    m = tb_alloc(c->a, c->n * sizeof(*m));
    for (size_t i = 0; i < c->n; i++)
        ix[i] = (uint32_t)i;
    if (m == NULL || tb_sort_idx(ix, c->n, c->a, zone_cmp, c) != 0) {
        rc = TB_ENOMEM;
        goto out_free;
    }
    for (size_t i = 0; i < c->n; i++)
        m[i] = c->m[ix[i]];
    memcpy(c->m, m, c->n * sizeof(*m));
    for (size_t i = 1; i < c->n && rc == 0; i++)
        if (zone_cmp(c, (uint32_t)i - 1, (uint32_t)i) == 0)
            rc = TB_EEXIST;
    /* Unique IDs: indices sorted by ID, then neighbours compared. */
    for (size_t i = 0; i < c->n; i++)
        ix[i] = (uint32_t)i;
    if (rc == 0 && tb_sort_idx(ix, c->n, c->a, id_cmp, c) != 0)
        rc = TB_ENOMEM;
    for (size_t i = 1; i < c->n && rc == 0; i++)
        if (id_cmp(c, ix[i - 1], ix[i]) == 0)
            rc = TB_EEXIST;
out_free:
    if (m != NULL)
        tb_free(c->a, m, c->n * sizeof(*m));
    tb_free(c->a, ix, c->n * 4);
    return rc;
}

/* Parser state: the member node the properties that follow belong to. */
struct pst {
    const struct dns_zone_src *z;
    struct dns_catalog *c;
    struct dns_diag *d;
    uint8_t zones[DNS_NAME_MAXLEN]; /* zones.CATALOG */
    uint8_t version[DNS_NAME_MAXLEN]; /* version.CATALOG */
    const uint8_t *node; /* owner of the last member node with a PTR */
    size_t member; /* its index in c */
    unsigned nversion;
    bool bad_node; /* the node had two PTRs: its properties are moot */
    int rc;
};

static void perr(struct pst *s, const struct dns_zrr *r, const char *what)
{
    char name[DNS_NAME_TEXT_MAX];

    dns_name_to_text(dns_zrr_owner(s->z, r), name, sizeof(name));
    dns_diag(s->d, DNS_DIAG_ERROR, dns_zrr_file(s->z, r), r->line,
             "catalog zone: %s: %s", name, what);
    s->rc = TB_ESEMANTIC;
}

static bool label_is(const uint8_t *name, const char *lab)
{
    size_t n = strlen(lab);

    if (name[0] != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = name[1 + i];
        if ((ch >= 'A' && ch <= 'Z' ? ch + 32 : ch) != (uint8_t)lab[i])
            return false;
    }
    return true;
}

static void version_rr(struct pst *s, const struct dns_zrr *r)
{
    const uint8_t *rd = dns_zrr_rdata(s->z, r);

    if (r->type != DNS_TYPE_TXT)
        return;
    if (++s->nversion > 1)
        perr(s, r, "more than one version TXT record (RFC 9432 4.2.1)");
    else if (r->rdlen != 2 || rd[0] != 1 || rd[1] != '2')
        perr(s, r,
             "schema version is not \"2\" (RFC 9432 4.2.1: "
             "version 2 is the only one understood)");
}

static void member_rr(struct pst *s, const struct dns_zrr *r,
                      const uint8_t *owner)
{
    const uint8_t *rd = dns_zrr_rdata(s->z, r);
    int rc;

    if (r->type != DNS_TYPE_PTR)
        return; /* another type at a member node: ignored */
    if (s->node != NULL && dns_name_equal(s->node, owner)) {
        if (!s->bad_node)
            perr(s, r,
                 "more than one PTR record at a member node "
                 "(RFC 9432 4.1)");
        s->bad_node = true;
        return;
    }
    if (dns_name_equal(rd, s->z->origin)) {
        perr(s, r, "the catalog lists itself as a member");
        return;
    }
    rc = add_raw(s->c, rd, owner + 1, owner[0], NULL, 0, NULL);
    if (rc != 0) {
        s->rc = rc;
        return;
    }
    s->node = owner, s->member = s->c->n - 1, s->bad_node = false;
}

/* A property (owner PROP.ID.zones.CATALOG) of the last member node. */
static void property_rr(struct pst *s, const struct dns_zrr *r,
                        const uint8_t *owner)
{
    struct dns_catalog_member *m;
    const uint8_t *rd = dns_zrr_rdata(s->z, r);
    uint32_t off = 0;

    if (s->node == NULL || s->bad_node ||
        !dns_name_equal(dns_name_skip(owner, 1), s->node))
        return; /* no member here: ignored with its node */
    m = &s->c->m[s->member];
    if (label_is(owner, "group") && r->type == DNS_TYPE_TXT) {
        if (m->group != NONE) {
            perr(s, r, "more than one group TXT record (RFC 9432 4.4.2)");
            return;
        }
        if (r->rdlen < 1 || rd[0] != r->rdlen - 1) {
            perr(s, r,
                 "a group TXT record holds one string "
                 "(RFC 9432 4.4.2)");
            return;
        }
        if (put(s->c, rd, r->rdlen, &off) != 0)
            s->rc = TB_ENOMEM;
        m->group = off;
    } else if (label_is(owner, "coo") && r->type == DNS_TYPE_PTR) {
        if (m->coo != NONE) {
            perr(s, r, "more than one coo PTR record (RFC 9432 4.4.1)");
            return;
        }
        if (put(s->c, rd, r->rdlen, &off) != 0)
            s->rc = TB_ENOMEM;
        dns_name_lower(s->c->data.data + off);
        m->coo = off;
    }
}

int dns_catalog_parse(const struct dns_zone_src *z, struct dns_catalog *c,
                      struct dns_diag *d)
{
    struct pst s = {.z = z, .c = c, .d = d};
    unsigned olab = dns_name_labels(z->origin);

    if (z->origin_len + 6 > DNS_NAME_MAXLEN ||
        z->origin_len + 8 > DNS_NAME_MAXLEN) {
        dns_diag(d, DNS_DIAG_ERROR, NULL, 0,
                 "catalog zone: its name is too long for version/zones");
        return TB_ESEMANTIC;
    }
    memcpy(s.zones, "\x05zones", 6);
    memcpy(s.zones + 6, z->origin, z->origin_len);
    memcpy(s.version, "\x07version", 8);
    memcpy(s.version + 8, z->origin, z->origin_len);
    for (size_t i = 0; i < z->nrr && s.rc != TB_ENOMEM; i++) {
        const struct dns_zrr *r = &z->rr[i];
        const uint8_t *owner = dns_zrr_owner(z, r);
        unsigned k = dns_name_labels(owner);

        if (r->rclass != z->rclass || k < olab)
            continue; /* not after dns_zone_check(): defensive */
        k -= olab;
        if (k == 1 && dns_name_equal(owner, s.version))
            version_rr(&s, r);
        else if (k == 2 && dns_name_equal(dns_name_skip(owner, 1), s.zones))
            member_rr(&s, r, owner);
        else if (k == 3 && dns_name_equal(dns_name_skip(owner, 2), s.zones))
            property_rr(&s, r, owner);
    }
    if (s.nversion == 0 && s.rc == 0) {
        dns_diag(d, DNS_DIAG_ERROR, z->nfiles > 0 ? z->files[0] : NULL, 0,
                 "catalog zone: no version TXT record (RFC 9432 4.2.1)");
        s.rc = TB_ESEMANTIC;
    }
    if (s.rc == 0) {
        int rc = dns_catalog_sort(c);
        if (rc == TB_EEXIST) {
            char name[DNS_NAME_TEXT_MAX];
            for (size_t i = 1; i < c->n; i++)
                if (dns_name_equal(dns_catalog_zone(c, i - 1),
                                   dns_catalog_zone(c, i))) {
                    dns_name_to_text(dns_catalog_zone(c, i), name,
                                     sizeof(name));
                    dns_diag(d, DNS_DIAG_ERROR,
                             z->nfiles > 0 ? z->files[0] : NULL, 0,
                             "catalog zone: member %s listed twice "
                             "(RFC 9432 4.1)",
                             name);
                    break;
                }
            if (d->errors == 0)
                dns_diag(d, DNS_DIAG_ERROR, NULL, 0,
                         "catalog zone: two members with one unique ID");
            rc = TB_ESEMANTIC;
        }
        s.rc = rc;
    }
    if (s.rc != 0)
        dns_catalog_free(c);
    return s.rc;
}

static void st32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

int dns_catalog_generate(const struct dns_catalog *c, uint32_t serial,
                         struct dns_zone_src *out)
{
    uint8_t soa[2 * 9 + 20], owner[DNS_NAME_MAXLEN];
    const uint8_t *origin = out->origin;
    size_t ol = out->origin_len;
    int rc;

    memcpy(soa, invalid_name, 9), memcpy(soa + 9, invalid_name, 9);
    st32(soa + 18, serial), st32(soa + 22, 3600), st32(soa + 26, 600);
    st32(soa + 30, 2147483646u), st32(soa + 34, 0);
    rc = dns_zone_src_add(out, origin, DNS_TYPE_SOA, out->rclass, 0, soa,
                          sizeof(soa), 0, 0);
    if (rc == 0)
        rc = dns_zone_src_add(out, origin, DNS_TYPE_NS, out->rclass, 0,
                              invalid_name, 9, 0, 0);
    if (ol + 8 > DNS_NAME_MAXLEN)
        return TB_EINVAL;
    memcpy(owner, "\x07version", 8), memcpy(owner + 8, origin, ol);
    if (rc == 0)
        rc = dns_zone_src_add(out, owner, DNS_TYPE_TXT, out->rclass, 0,
                              (const uint8_t *)"\x01"
                                               "2",
                              2, 0, 0);
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        const struct dns_catalog_member *m = &c->m[i];
        const uint8_t *id = c->data.data + m->id;
        uint8_t gowner[DNS_NAME_MAXLEN];
        const uint8_t *g;

        if (ol + 6 + 1 + id[0] + 6 > DNS_NAME_MAXLEN)
            return TB_EINVAL;
        memcpy(owner, id, 1 + id[0]);
        memcpy(owner + 1 + id[0], "\x05zones", 6);
        memcpy(owner + 7 + id[0], origin, ol);
        rc = dns_zone_src_add(
            out, owner, DNS_TYPE_PTR, out->rclass, 0, c->data.data + m->zone,
            (uint16_t)dns_name_len(c->data.data + m->zone), 0, 0);
        if (rc != 0 || m->group == NONE)
            continue;
        g = c->data.data + m->group;
        memcpy(gowner, "\x05group", 6);
        memcpy(gowner + 6, owner, dns_name_len(owner));
        rc = dns_zone_src_add(out, gowner, DNS_TYPE_TXT, out->rclass, 0, g,
                              (uint16_t)(1 + g[0]), 0, 0);
    }
    return rc;
}

void dns_catalog_diff(const struct dns_catalog *old,
                      const struct dns_catalog *cur, size_t *add, size_t *nadd,
                      size_t *del, size_t *ndel)
{
    size_t i = 0, j = 0;

    *nadd = *ndel = 0;
    while (i < old->n || j < cur->n) {
        int c = i == old->n   ? 1
                : j == cur->n ? -1
                              : dns_name_cmp(dns_catalog_zone(old, i),
                                             dns_catalog_zone(cur, j));
        if (c < 0) {
            del[(*ndel)++] = i++;
        } else if (c > 0) {
            add[(*nadd)++] = j++;
        } else {
            size_t li, lj;
            const uint8_t *a = dns_catalog_id(old, i, &li);
            const uint8_t *b = dns_catalog_id(cur, j, &lj);
            if (li != lj || memcmp(a, b, li) != 0) {
                del[(*ndel)++] = i;
                add[(*nadd)++] = j;
            }
            i++, j++;
        }
    }
}
