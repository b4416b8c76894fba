/*
 * zonedb_compile.c -- turns a loaded zone (struct dns_zone_src) into the
 * compiled blob of zonedb.h: zone text -> dns_zone_parse -> dns_zone_check
 * -> dns_zone_compile (here) -> blob -> dns_zoneset_build -> auth.c.
 *
 * Cold path, O(n log n).  Steps: sort and group the records (owner,
 * type), make one node per owner and per empty non-terminal, hash them,
 * link wildcards and the topmost cut/DNAME above each node, then decide
 * every answer the runtime can give from an exact name match -- RFC 1034
 * 4.3.2 run ahead of time, CNAME chains inside the zone included -- and
 * render each as wire bytes (zonedb_answer.c).  What depends on the query
 * name beyond its length (DNAME synthesis) stays in auth.c.
 *
 * On big zones the time goes to cache and TLB misses, so the passes are
 * few and sequential where they can be (nodes learn their parent from the
 * canonical walk instead of looking it up), random reads are prefetched
 * ahead (cc_prefetch), and the blob is written once in place.
 *
 * It does not re-check everything dns_zone_check() does; it checks what it
 * relies on (SOA at the apex, owners inside the zone, one class, names in
 * rdata well-formed) and otherwise compiles what it is given.
 */
#include "zonedb_int.h"

static int rr_cmp(const void *ctx, uint32_t x, uint32_t y)
{
    const struct dns_zone_src *z = ctx;
    const struct dns_zrr *a = &z->rr[x], *b = &z->rr[y];
    int c = a->owner == b->owner
                ? 0 /* shared by the parser */
                : dns_name_cmp(dns_zrr_owner(z, a), dns_zrr_owner(z, b));
    size_t m;

    if (c != 0)
        return c;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    m = TB_MIN(a->rdlen, b->rdlen);
    c = memcmp(dns_zrr_rdata(z, a), dns_zrr_rdata(z, b), m);
    if (c != 0)
        return c;
    return a->rdlen == b->rdlen ? 0 : (a->rdlen < b->rdlen ? -1 : 1);
}

/* Node with the lowercased (name, len), zero-padded to a multiple of 8,
 * and hash (h), or ZDB_NONE. */
static uint32_t find_padded(const struct cc *c, const uint8_t *name, size_t len,
                            uint64_t h)
{
    uint32_t tag = (uint32_t)(h >> 32);

    for (uint32_t i = (uint32_t)h & c->hmask;; i = (i + 1) & c->hmask) {
        uint64_t s = c->slots[i];
        if (s == 0)
            return ZDB_NONE;
        if ((uint32_t)(s >> 32) != tag)
            continue;
        const struct cnode *n = &c->nodes[(uint32_t)s - 1];
        if (n->nlen == len && zdb_eq(cc_name(c, n), name, len))
            return (uint32_t)s - 1;
    }
}

uint32_t cc_find(const struct cc *c, const uint8_t *name, size_t len)
{
    uint8_t pad[DNS_NAME_MAXLEN + 8];

    /* Only the bytes up to the next multiple of 8 need to be zero. */
    memcpy(pad, name, len);
    memset(pad + len, 0, 8);
    return find_padded(c, pad, len, zdb_hash(pad, len));
}

void cc_prefetch(const struct cc *c, uint32_t m, unsigned stage)
{
    const struct cnode *nd = &c->nodes[m];

    for (uint32_t j = 0; j < nd->nrs; j++) {
        const struct crs *rs = &c->rs[nd->rs + j];
        size_t skip = 0;

        switch (rs->type) {
        case DNS_TYPE_NS:
        case DNS_TYPE_CNAME:
            break;
        case DNS_TYPE_MX:
            skip = 2;
            break;
        case DNS_TYPE_SRV:
            skip = 6;
            break;
        default:
            if (stage != 0)
                continue;
            skip = 0xffff; /* no target: only the rdata */
        }
        for (uint32_t i = 0; i < rs->n && i < 4; i++) {
            const struct dns_zrr *rr = cc_rr(c, rs->first + i);
            const uint8_t *rd = dns_zrr_rdata(c->z, rr);
            uint8_t t[DNS_NAME_MAXLEN + 8];
            uint64_t h, sl;
            uint32_t k;
            int len;

            if (stage == 0) {
                __builtin_prefetch(rd);
                continue;
            }
            if (rr->rdlen <= skip ||
                (len = dns_name_check(rd + skip, rr->rdlen - skip)) <= 0)
                continue;
            memcpy(t, rd + skip, (size_t)len);
            memset(t + len, 0, 8);
            zdb_lower(t, (size_t)len);
            h = zdb_hash(t, (size_t)len);
            k = (uint32_t)h & c->hmask;
            if (stage == 1) {
                __builtin_prefetch(&c->slots[k]);
                continue;
            }
            while ((sl = c->slots[k]) != 0 && (uint32_t)(sl >> 32) != h >> 32)
                k = (k + 1) & c->hmask;
            if (sl == 0)
                continue;
            const struct cnode *tn = &c->nodes[(uint32_t)sl - 1];
            if (stage == 2) {
                __builtin_prefetch(tn);
                continue;
            }
            if (stage == 3) {
                __builtin_prefetch(cc_name(c, tn));
                __builtin_prefetch(&c->rs[tn->rs]);
                continue;
            }
            for (uint32_t x = 0; x < tn->nrs && x < 2; x++)
                __builtin_prefetch(cc_rr(c, c->rs[tn->rs + x].first));
        }
    }
}

/* The RRset (type) at node (n), or NULL. */
const struct crs *cc_rrset(const struct cc *c, uint32_t n, uint16_t type)
{
    const struct cnode *nd = &c->nodes[n];
    for (uint32_t i = 0; i < nd->nrs; i++)
        if (c->rs[nd->rs + i].type == type)
            return &c->rs[nd->rs + i];
    return NULL;
}

/* Steps 1-2: check, sort and de-duplicate the records. */
static int load_records(struct cc *c)
{
    const struct dns_zone_src *z = c->z;
    size_t n = 1;
    int err;

    if (z->nrr == 0 || z->nrr > 0x7fffffff) {
        dns_diag(c->diag, DNS_DIAG_ERROR, NULL, 0, "zone has no records");
        return TB_ESEMANTIC;
    }
    c->ord = tb_alloc(c->a, z->nrr * 4);
    if (c->ord == NULL)
        return TB_ENOMEM;
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        const uint8_t *own = dns_zrr_owner(z, r);
        if ((i == 0 || r->owner != z->rr[i - 1].owner) &&
            !dns_name_is_sub(own, c->origin)) {
            dns_diag(c->diag, DNS_DIAG_ERROR, dns_zrr_file(z, r), r->line,
                     "record out of zone");
            return TB_ESEMANTIC;
        }
        if (r->rclass != c->rclass) {
            dns_diag(c->diag, DNS_DIAG_ERROR, dns_zrr_file(z, r), r->line,
                     "record class differs from the zone's");
            return TB_ESEMANTIC;
        }
        c->ord[i] = (uint32_t)i;
    }
    /* dns_zone_check() leaves the records sorted: one pass checks that
     * and drops duplicates (the last kept record compares equal to the
     * previous one); only an unsorted zone is sorted, then de-duplicated. */
    for (size_t i = 1; i < z->nrr; i++) {
        int d = rr_cmp(z, c->ord[n - 1], (uint32_t)i);
        if (d < 0) {
            c->ord[n++] = (uint32_t)i;
        } else if (d > 0) {
            for (size_t j = 0; j < z->nrr; j++)
                c->ord[j] = (uint32_t)j;
            if ((err = tb_sort_idx(c->ord, z->nrr, c->a, rr_cmp, z)) != 0)
                return err;
            n = 1;
            for (size_t j = 1; j < z->nrr; j++)
                if (rr_cmp(z, c->ord[n - 1], c->ord[j]) != 0)
                    c->ord[n++] = c->ord[j];
            break;
        }
    }
    c->nrr = n;
    return 0;
}

/* Number of trailing labels the lowercased names (a) and (b) share. */
static unsigned common_labels(const uint8_t *a, const uint8_t *b)
{
    uint8_t la[128], lb[128];
    unsigned na = 0, nb = 0, k = 0;

    for (unsigned p = 0; a[p] != 0; p += a[p] + 1u)
        la[na++] = (uint8_t)p;
    for (unsigned p = 0; b[p] != 0; p += b[p] + 1u)
        lb[nb++] = (uint8_t)p;
    while (k < na && k < nb) {
        const uint8_t *x = a + la[na - 1 - k], *y = b + lb[nb - 1 - k];
        if (x[0] != y[0] || memcmp(x + 1, y + 1, x[0]) != 0)
            break;
        k++;
    }
    return k;
}

/* Appends the node (name) with (labels) labels below node (parent). */
static int add_node(struct cc *c, const uint8_t *name, size_t len,
                    unsigned labels, uint32_t parent)
{
    struct cnode *nd;
    size_t plen = ZDB_PAD(len);

    if (c->nn == c->nodes_cap) {
        size_t nc = c->nodes_cap ? c->nodes_cap * 2 : 256;
        struct cnode *nv = tb_realloc(
            c->a, c->nodes, c->nodes_cap * sizeof(*nv), nc * sizeof(*nv));
        if (nv == NULL)
            return TB_ENOMEM;
        c->nodes = nv;
        c->nodes_cap = nc;
    }
    if (tb_buf_reserve(&c->names, plen) != 0 ||
        c->names.len + plen > 0x7fffffff)
        return TB_ENOMEM;
    nd = &c->nodes[c->nn++];
    memset(nd, 0, sizeof(*nd));
    nd->name = (uint32_t)c->names.len;
    nd->nlen = (uint16_t)len;
    nd->labels = (uint8_t)labels;
    nd->redir = nd->wild = nd->top = ZDB_NONE;
    nd->parent = parent;
    /* Zero padding to 8 bytes: the answer path compares words. */
    memset(c->names.data + c->names.len + plen - 8, 0, 8);
    memcpy(c->names.data + c->names.len, name, len);
    c->names.len += plen;
    return 0;
}

/* Adds RR (i) of the sorted zone to the RRsets of the last node. */
static int add_rr(struct cc *c, size_t i, uint16_t type)
{
    struct cnode *nd = &c->nodes[c->nn - 1];

    if (nd->nrs > 0 && c->rs[nd->rs + nd->nrs - 1].type == type) {
        c->rs[nd->rs + nd->nrs - 1].n++;
        return 0;
    }
    if (c->nrs == c->rs_cap) {
        size_t nc = c->rs_cap ? c->rs_cap * 2 : 256;
        struct crs *n2 = tb_realloc(c->a, c->rs, c->rs_cap * sizeof(*c->rs),
                                    nc * sizeof(*c->rs));
        if (n2 == NULL)
            return TB_ENOMEM;
        c->rs = n2;
        c->rs_cap = nc;
    }
    if (nd->nrs == 0)
        nd->rs = (uint32_t)c->nrs;
    c->rs[c->nrs++] = (struct crs){.type = type, .first = (uint32_t)i, .n = 1};
    nd->nrs++;
    return 0;
}

/*
 * Steps 3-4: one node per owner and per empty non-terminal (RFC 4592
 * 2.2.2), in canonical order, without sorting: with the owners in
 * canonical order, the names to insert before an owner O are its ancestors
 * below the deepest one it shares with the previous owner (those sort
 * after the previous owner and before O).  (path) holds the node of each
 * ancestor of the last node by label count, so each node learns its
 * parent without a lookup.  The origin is node 0.  The names become the
 * start of the data section.  The records' RRsets are attached to their
 * owner's node on the way.
 */
static int make_nodes(struct cc *c)
{
    const struct dns_zone_src *z = c->z;
    uint8_t prev[DNS_NAME_MAXLEN];
    uint32_t path[DNS_NAME_MAXLEN / 2 + 1];
    size_t plen = c->olen;
    uint32_t prev_off = ZDB_NONE;
    int err;

    c->nn = 0;
    /* Usually no more nodes than records + 1 and never more RRsets than
     * records: size the arrays once (they grow if a zone has more). */
    if (c->nrr < SIZE_MAX / sizeof(*c->nodes) - 1) {
        c->nodes = tb_alloc(c->a, (c->nrr + 1) * sizeof(*c->nodes));
        if (c->nodes == NULL)
            return TB_ENOMEM;
        c->nodes_cap = c->nrr + 1;
        c->rs = tb_alloc(c->a, c->nrr * sizeof(*c->rs));
        if (c->rs == NULL)
            return TB_ENOMEM;
        c->rs_cap = c->nrr;
    }
    if ((err = add_node(c, c->origin, c->olen, c->olabels, ZDB_NONE)) != 0)
        return err;
    path[c->olabels] = 0;
    memcpy(prev, c->origin, c->olen);
    for (size_t i = 0; i < c->nrr; i++) {
        const struct dns_zrr *r = &z->rr[c->ord[i]];
        uint8_t own[DNS_NAME_MAXLEN];
        const uint8_t *o;
        size_t len;
        unsigned k, labels;

        if (r->owner == prev_off)
            goto add; /* the parser shares an owner between its RRs */
        prev_off = r->owner;
        o = dns_zrr_owner(z, r);
        len = dns_name_len(o);
        memcpy(own, o, len);
        dns_name_lower(own);
        if (plen == len && memcmp(prev, own, len) == 0)
            goto add;
        k = common_labels(own, prev);
        labels = dns_name_labels(own);
        for (unsigned j = k + 1; j <= labels; j++) {
            const uint8_t *a = dns_name_skip(own, labels - j);
            err = add_node(c, a, len - (size_t)(a - own), j, path[j - 1]);
            if (err != 0)
                return err;
            path[j] = (uint32_t)c->nn - 1;
        }
        memcpy(prev, own, len);
        plen = len;
    add:
        if ((err = add_rr(c, i, r->type)) != 0)
            return err;
    }
    return 0;
}

/*
 * RFC 5155 7.2.8: in an NSEC3 zone, a name that owns only an NSEC3 (and
 * its RRSIGs) and has nothing below it does not exist for queries: it is
 * left out of the hash table, so the compiler and the answer path find
 * NXDOMAIN there (the node stays, for its records and the NSEC3 chain).
 */
static bool n3only(const struct cc *c, size_t j)
{
    const struct cnode *nd = &c->nodes[j];

    if (j == 0 || nd->nrs == 0 || cc_rrset(c, 0, DNS_TYPE_NSEC3PARAM) == NULL ||
        (j + 1 < c->nn &&
         dns_name_is_sub(cc_name(c, &c->nodes[j + 1]), cc_name(c, nd))))
        return false;
    for (uint32_t k = 0; k < nd->nrs; k++)
        if (c->rs[nd->rs + k].type != DNS_TYPE_NSEC3 &&
            c->rs[nd->rs + k].type != DNS_TYPE_RRSIG)
            return false;
    return true;
}

/* Step 4: flags; hash table. */
static int group(struct cc *c)
{
    enum { AHEAD = 16 };
    uint64_t ring[AHEAD];

    for (size_t i = 0; i < c->nn; i++) {
        struct cnode *nd = &c->nodes[i];
        if (i == 0)
            nd->flags |= ZNF_APEX;
        if (nd->nrs == 0)
            nd->flags |= ZNF_ENT;
        if (dns_name_is_wildcard(cc_name(c, nd)))
            nd->flags |= ZNF_WILD;
        for (uint32_t j = 0; j < nd->nrs; j++) {
            switch (c->rs[nd->rs + j].type) {
            case DNS_TYPE_NS:
                if (i != 0)
                    nd->flags |= ZNF_CUT | ZNF_REFERRAL;
                break;
            case DNS_TYPE_DNAME:
                nd->flags |= ZNF_DNAME;
                break;
            case DNS_TYPE_CNAME:
                nd->flags |= ZNF_CNAME;
                break;
            case DNS_TYPE_RRSIG:
                c->zflags |= ZF_SIGNED;
                break;
            }
        }
    }
    if (cc_rrset(c, 0, DNS_TYPE_SOA) == NULL) {
        dns_diag(c->diag, DNS_DIAG_ERROR, NULL, 0, "no SOA at the apex");
        return TB_ESEMANTIC;
    }
    /* Hash table: a power of two >= 2n slots, so one is always empty. */
    size_t slots = 2;
    while (slots < 2 * c->nn)
        slots *= 2;
    if (slots > 0x40000000u)
        return TB_ERANGE;
    c->hmask = (uint32_t)(slots - 1);
    c->slots = tb_alloc(c->a, slots * 8);
    if (c->slots == NULL)
        return TB_ENOMEM;
    memset(c->slots, 0, slots * 8);
    /* The names are padded in (data) already.  Slots are random: hash
     * AHEAD nodes ahead and prefetch their first slot. */
    for (size_t i = 0; i < c->nn + AHEAD; i++) {
        if (i >= AHEAD) {
            size_t j = i - AHEAD;
            uint64_t h = ring[j % AHEAD];
            uint32_t s = (uint32_t)h & c->hmask;
            if (!n3only(c, j)) {
                while (c->slots[s] != 0)
                    s = (s + 1) & c->hmask;
                c->slots[s] = ((uint64_t)j + 1) | (h >> 32 << 32);
            }
        }
        if (i < c->nn) {
            const struct cnode *nd = &c->nodes[i];
            uint64_t h = zdb_hash(cc_name(c, nd), nd->nlen);
            ring[i % AHEAD] = h;
            __builtin_prefetch(&c->slots[(uint32_t)h & c->hmask], 1);
        }
    }
    return 0;
}

/* Step 5: wildcard children; topmost cut or DNAME above each node: from
 * just below the apex down to the node itself, the first cut (the node
 * included) or DNAME (strictly above) wins.  Parents come before their
 * children in canonical order. */
static void link_nodes(struct cc *c)
{
    for (size_t i = 1; i < c->nn; i++) {
        struct cnode *nd = &c->nodes[i];
        uint32_t up = c->nodes[nd->parent].top;
        if (nd->flags & ZNF_WILD)
            c->nodes[nd->parent].wild = (uint32_t)i;
        if (up == ZDB_NONE && (nd->flags & ZNF_CUT))
            nd->redir = (uint32_t)i;
        else
            nd->redir = up;
        if (up == ZDB_NONE && (nd->flags & (ZNF_CUT | ZNF_DNAME)))
            up = (uint32_t)i;
        nd->top = up;
    }
}

static void cc_free(struct cc *c)
{
    const struct tb_alloc *a = c->a;

    tb_free(a, c->ord, c->z->nrr * 4);
    tb_free(a, c->nodes, c->nodes_cap * sizeof(*c->nodes));
    tb_free(a, c->rs, c->rs_cap * sizeof(*c->rs));
    if (c->slots != NULL)
        tb_free(a, c->slots, (size_t)(c->hmask + 1) * 8);
    tb_buf_free(&c->ents);
    tb_buf_free(&c->names);
    tb_buf_free(&c->data);
    tb_buf_free(&c->fix);
    tb_buf_free(&c->cuts);
    tb_free(a, c->ctab, sizeof(*c->ctab));
    tb_free(a, c->n3, c->nn3 * sizeof(*c->n3));
}

/* The records section (zonedb.h "Records") at (w): node by node, so in
 * the order of (ord).  Returns the offset of the apex SOA in it. */
static uint32_t emit_rrs(const struct cc *c, uint8_t *w)
{
    uint8_t *p = w;
    uint32_t soa = 0;

    for (size_t i = 0; i < c->nn; i++) {
        const struct cnode *nd = &c->nodes[i];
        for (uint32_t j = 0; j < nd->nrs; j++) {
            const struct crs *rs = &c->rs[nd->rs + j];
            for (uint32_t k = rs->first; k < rs->first + rs->n; k++) {
                const struct dns_zrr *r = cc_rr(c, k);
                if (i == 0 && r->type == DNS_TYPE_SOA && k == rs->first)
                    soa = (uint32_t)(p - w);
                zdb_st32(p + ZR_NODE, (uint32_t)i);
                zdb_st16(p + ZR_TYPE, r->type);
                zdb_st16(p + ZR_RDLEN, r->rdlen);
                zdb_st32(p + ZR_TTL, r->ttl);
                memcpy(p + ZR_RDATA, dns_zrr_rdata(c->z, r), r->rdlen);
                p += ZR_RDATA + r->rdlen;
            }
        }
    }
    return soa;
}

/* Step 7: the blob. */
static int emit(struct cc *c, struct tb_buf *out)
{
    uint8_t hdr[ZDB_HDR_LEN] = {0};
    uint64_t nodes = ZDB_HDR_LEN, hash, ents, data, rrs, rrslen = 0, total;
    const struct crs *soa = cc_rrset(c, 0, DNS_TYPE_SOA);
    const struct dns_zrr *sr = &c->z->rr[c->ord[soa->first]];

    hash = nodes + (uint64_t)c->nn * ZDB_NODE_LEN;
    ents = hash + ((uint64_t)c->hmask + 1) * ZDB_SLOT_LEN;
    data = ents + c->ents.len;
    rrs = data + c->names.len + c->data.len;
    if (c->cflags & DNS_ZONE_COMPILE_RECORDS)
        for (size_t i = 0; i < c->nrr; i++)
            rrslen += ZR_RDATA + (uint64_t)cc_rr(c, (uint32_t)i)->rdlen;
    total = rrs + rrslen;
    if (total > 0xffffffffu)
        return TB_ERANGE;
    zdb_st32(hdr + ZH_MAGIC, ZDB_MAGIC);
    zdb_st16(hdr + ZH_VERSION, ZDB_VERSION);
    zdb_st16(hdr + ZH_HDRLEN, ZDB_HDR_LEN);
    zdb_st32(hdr + ZH_TOTAL, (uint32_t)total);
    zdb_st32(hdr + ZH_FLAGS, c->zflags);
    zdb_st32(hdr + ZH_ORIGIN, c->nodes[0].name);
    zdb_st16(hdr + ZH_OLEN, (uint16_t)c->olen);
    zdb_st16(hdr + ZH_CLASS, c->rclass);
    zdb_st32(hdr + ZH_NNODES, (uint32_t)c->nn);
    zdb_st32(hdr + ZH_NODES, (uint32_t)nodes);
    zdb_st32(hdr + ZH_HMASK, c->hmask);
    zdb_st32(hdr + ZH_HASH, (uint32_t)hash);
    zdb_st32(hdr + ZH_NENTS, c->nents);
    zdb_st32(hdr + ZH_ENTS, (uint32_t)ents);
    zdb_st32(hdr + ZH_DATA, (uint32_t)data);
    zdb_st32(hdr + ZH_DATALEN, (uint32_t)(c->names.len + c->data.len));
    zdb_st32(hdr + ZH_NXDOMAIN, c->nxdomain);
    zdb_st32(hdr + ZH_NODATA, c->nodata);
    if (sr->rdlen >= 20)
        zdb_st32(hdr + ZH_SERIAL,
                 tb_get32(dns_zrr_rdata(c->z, sr) + sr->rdlen - 20));
    hdr[ZH_OLABELS] = (uint8_t)c->olabels;
    zdb_st32(hdr + ZH_PROOF, c->proof);
    if (rrslen != 0) {
        zdb_st32(hdr + ZH_RRS, (uint32_t)rrs);
        zdb_st32(hdr + ZH_RRSLEN, (uint32_t)rrslen);
        zdb_st32(hdr + ZH_NRRS, (uint32_t)c->nrr);
    }
    /* When (out) is empty and uses the zone's allocator, the entries'
     * buffer grows into the blob and the entries move up in place: its
     * pages are in memory already, and faulting in fresh pages for a copy
     * costs more than the copy itself. */
    bool moved = false;
    if (out->len == 0 && out->err == 0 && out->a == c->a && c->ents.len > 0 &&
        c->ents.err == 0) {
        uint8_t *p = tb_realloc(c->a, c->ents.data, c->ents.cap, (size_t)total);
        if (p != NULL) {
            memmove(p + ents, p, c->ents.len);
            if (out->data != NULL)
                tb_free(out->a, out->data, out->cap);
            out->data = p;
            out->cap = (size_t)total;
            c->ents.data = NULL;
            c->ents.cap = 0;
            moved = true;
        }
    }
    if (!moved && tb_buf_reserve(out, (size_t)total) != 0)
        return TB_ENOMEM;
    /* Room for everything is there: write in place, each byte once. */
    uint8_t *w = out->data + out->len;
    memcpy(w, hdr, sizeof(hdr));
    w += sizeof(hdr);
    for (size_t i = 0; i < c->nn; i++, w += ZDB_NODE_LEN) {
        const struct cnode *nd = &c->nodes[i];
        zdb_st32(w + ZN_NAME, nd->name);
        w[ZN_NLEN] = (uint8_t)(nd->nlen - 1);
        w[ZN_LABELS] = nd->labels;
        zdb_st16(w + ZN_FLAGS, nd->flags);
        zdb_st32(w + ZN_ENT, nd->ent);
        zdb_st16(w + ZN_NENT, nd->nent);
        zdb_st16(w + ZN_PAD, 0);
        zdb_st32(w + ZN_REDIR, nd->redir);
        zdb_st32(w + ZN_WILD, nd->wild);
    }
    for (size_t i = 0; i <= c->hmask; i++, w += ZDB_SLOT_LEN) {
        zdb_st32(w, (uint32_t)c->slots[i]);
        zdb_st32(w + 4, (uint32_t)(c->slots[i] >> 32));
    }
    if (!moved && c->ents.len > 0)
        memcpy(w, c->ents.data, c->ents.len);
    w += c->ents.len;
    memcpy(w, c->names.data, c->names.len);
    w += c->names.len;
    if (c->data.len > 0)
        memcpy(w, c->data.data, c->data.len);
    w += c->data.len;
    if (rrslen != 0)
        zdb_st32(out->data + out->len + ZH_SOARR, emit_rrs(c, w));
    out->len += (size_t)total;
    return 0;
}

int dns_zone_compile(const struct dns_zone_src *z, struct tb_buf *out,
                     struct dns_diag *diag)
{
    return dns_zone_compile_flags(z, out, diag, 0);
}

int dns_zone_compile_flags(const struct dns_zone_src *z, struct tb_buf *out,
                           struct dns_diag *diag, unsigned flags)
{
    struct dns_diag quiet = {0};
    struct cc c;
    size_t keep = out->len;
    int err;

    memset(&c, 0, sizeof(c));
    c.z = z;
    c.a = z->a;
    c.diag = diag != NULL ? diag : &quiet;
    c.cflags = flags;
    c.rclass = z->rclass != 0 ? z->rclass : DNS_CLASS_IN;
    if (dns_name_check(z->origin, sizeof(z->origin)) <= 0) {
        dns_diag(c.diag, DNS_DIAG_ERROR, NULL, 0, "bad origin");
        return TB_ESEMANTIC;
    }
    memcpy(c.origin, z->origin, sizeof(c.origin));
    dns_name_lower(c.origin);
    c.olen = dns_name_len(c.origin);
    c.olabels = dns_name_labels(c.origin);
    tb_buf_init(&c.ents, c.a);
    tb_buf_init(&c.names, c.a);
    tb_buf_init(&c.data, c.a);
    tb_buf_init(&c.fix, c.a);
    tb_buf_init(&c.cuts, c.a);
    c.ctab = tb_alloc(c.a, sizeof(*c.ctab));
    if (c.ctab == NULL) {
        err = TB_ENOMEM;
        goto out;
    }
    if ((err = load_records(&c)) != 0)
        goto out;
    if ((err = make_nodes(&c)) != 0)
        goto out;
    if ((err = group(&c)) != 0)
        goto out;
    link_nodes(&c);
    if ((err = cc_dnssec_index(&c)) != 0)
        goto out;
    if ((err = cc_answers(&c)) != 0)
        goto out;
    if ((err = cc_proofs(&c)) != 0)
        goto out;
    if ((err = emit(&c, out)) != 0)
        goto out;
out:
    if (err != 0)
        out->len = keep;
    if (out->err != 0)
        out->err = 0, err = TB_ENOMEM;
    cc_free(&c);
    return err;
}
