/*
 * zonedb_answer.c -- the ahead-of-time half of the authoritative engine:
 * for every node of a zone being compiled, decides what each query type
 * gets (RFC 1034 4.3.2: data, CNAME chains inside the zone, referrals,
 * RFC 2308 negative answers, additional A/AAAA for NS/MX/SRV targets) and
 * renders it as wire bytes with name compression (RFC 1035 4.1.4).
 * dns_zone_compile() -> cc_answers() (here) -> entries + data of the blob.
 *
 * A plan lists the RRsets of each section; render() writes them once
 * without and, for signed zones, once with RRSIGs (the DO variant).
 * Compression targets are suffixes of the query name (known from the
 * node, or only as a suffix of it: wildcards, negative answers, referrals)
 * and names earlier in the entry; see zonedb.h for the pointer fixups
 * that make an entry usable for query names of any length.
 */
#include "zonedb_int.h"

#define PLAN_MAX  64
#define CHAIN_MAX 16

#define RF_QOWNER 0x1u /* owner is the query name: 0xC00C */
#define RF_NEGTTL 0x2u /* TTL min(TTL, SOA minimum): RFC 2308 5 */
#define RF_DOONLY 0x4u /* only in the DO variant (DS in referrals) */
#define RF_SYNTH                                                               \
    0x8u /* CNAME synthesized from the DNAME at (node) to                      \
            names[owner + 1] (RFC 6672 2.2) */

struct rref {
    uint32_t node;
    uint16_t type;
    uint8_t flags;
    uint8_t owner; /* index into plan.names, or 0xff: the node's name */
};

struct plan {
    uint16_t type; /* the qtype this entry answers; 0 = any other */
    uint8_t rcode;
    bool aa, any, var;
    uint8_t known[DNS_NAME_MAXLEN]; /* a suffix of every query name */
    size_t known_len;
    struct rref r[3][PLAN_MAX];
    unsigned n[3];
    unsigned nreq;
    uint8_t names[CHAIN_MAX][DNS_NAME_MAXLEN];
    unsigned nnames;
};

/* Rendering writes the sections straight into the data section
 * (c->data from (base) on, blob data offset c->names.len + base); fixups and
 * cut lists go to scratch buffers kept for the whole compile and are appended
 * after them. */
struct rctx {
    struct cc *c;
    const struct plan *p;
    struct tb_buf *b, *fix, *cuts;
    size_t base; /* where the entry starts in (b) */
    size_t qlen; /* exact query name length (not var) */
    size_t qmax; /* largest query name length this entry serves */
    int err;
};

/* Appends (n) bytes to (b); the common case needs no call. */
static inline void buf_put(struct tb_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (b->cap - b->len >= n && b->err == 0) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    } else {
        tb_buf_append(b, p, n);
    }
}
static void rd_byte(struct rctx *r, const void *p, size_t n)
{
    buf_put(r->b, p, n);
}
/* Offset in the entry being written. */
static inline size_t rd_pos(const struct rctx *r)
{
    return r->b->len - r->base;
}
static void rd_u16(struct rctx *r, uint16_t v)
{
    uint8_t b[2];
    tb_put16(b, v);
    rd_byte(r, b, 2);
}
static void rd_u32(struct rctx *r, uint32_t v)
{
    uint8_t b[4];
    tb_put32(b, v);
    rd_byte(r, b, 4);
}

/* Remembers (name, len) (lowercased) at pointer value qlen + (add). */
static void ct_add(struct rctx *r, const uint8_t *name, size_t len, int32_t add)
{
    struct ctab *t = r->c->ctab;

    if (len <= 1 || t->n == CT_MAX || (int64_t)r->qmax + add >= 0x3fff ||
        (int64_t)r->qmax + add < DNS_HDR_LEN)
        return;
    memcpy(t->e[t->n].name, name, len);
    t->e[t->n].len = (uint8_t)len;
    t->e[t->n].add = add;
    t->n++;
}

static bool ct_find(const struct rctx *r, const uint8_t *name, size_t len,
                    int32_t *add)
{
    const struct ctab *t = r->c->ctab;

    for (unsigned i = 0; i < t->n; i++)
        if (t->e[i].len == len && memcmp(t->e[i].name, name, len) == 0) {
            *add = t->e[i].add;
            return true;
        }
    return false;
}

static void put_ptr(struct rctx *r, int32_t add)
{
    if (r->p->var) {
        uint8_t f[4];
        zdb_st16(f, (uint16_t)rd_pos(r));
        zdb_st16(f + 2, (uint16_t)(int16_t)add);
        buf_put(r->fix, f, 4);
        rd_u16(r, 0xc000);
    } else {
        rd_u16(r, (uint16_t)(0xc000 | (r->qlen + (size_t)add)));
    }
}

/* Writes the trusted name (name), compressed if (compress), and makes
 * its suffixes written in full available as targets. */
static void put_name(struct rctx *r, const uint8_t *name, bool compress)
{
    uint8_t ln[DNS_NAME_MAXLEN];
    size_t len = dns_name_len(name), off = 0, start = rd_pos(r);
    int32_t add = 0;
    bool hit = false;

    memcpy(ln, name, len);
    dns_name_lower(ln);
    for (off = 0; ln[off] != 0; off += ln[off] + 1u)
        if (compress && ct_find(r, ln + off, len - off, &add)) {
            hit = true;
            break;
        }
    rd_byte(r, name, hit ? off : len);
    if (hit)
        put_ptr(r, add);
    for (size_t s = 0; s < off && ln[s] != 0; s += ln[s] + 1u)
        ct_add(r, ln + s, len - s, (int32_t)(16 + start + s));
}

/* Writes (rdata) of (type), compressing the names RFC 3597 4 allows. */
static int put_rdata(struct rctx *r, uint16_t type, const uint8_t *rd, size_t n)
{
    size_t pre;
    unsigned names;
    int l1, l2;

    if (!zdb_comp_layout(type, &pre, &names)) {
        rd_byte(r, rd, n);
        return 0;
    }
    if (n < pre + 1)
        return TB_EMALF;
    rd_byte(r, rd, pre);
    l1 = dns_name_check(rd + pre, n - pre);
    if (l1 < 0)
        return TB_EMALF;
    put_name(r, rd + pre, true);
    pre += (size_t)l1;
    if (names == 2) {
        l2 = dns_name_check(rd + pre, n - pre);
        if (l2 < 0)
            return TB_EMALF;
        put_name(r, rd + pre, true);
        pre += (size_t)l2;
    }
    if (type == DNS_TYPE_SOA ? n - pre != 20 : n != pre)
        return TB_EMALF;
    rd_byte(r, rd + pre, n - pre);
    return 0;
}

static uint32_t soa_min(const struct cc *c)
{
    const struct crs *s = cc_rrset(c, 0, DNS_TYPE_SOA);
    const struct dns_zrr *rr = cc_rr(c, s->first);
    uint32_t m =
        rr->rdlen >= 20 ? tb_get32(dns_zrr_rdata(c->z, rr) + rr->rdlen - 4) : 0;
    return TB_MIN(m, rr->ttl);
}

static void put_rr(struct rctx *r, const struct rref *f, const uint8_t *own,
                   const struct dns_zrr *rr)
{
    size_t lenpos;
    int err;

    if (f->flags & RF_QOWNER)
        rd_u16(r, 0xc00c);
    else
        put_name(r, own, true);
    rd_u16(r, rr->type);
    rd_u16(r, r->c->rclass);
    rd_u32(r,
           (f->flags & RF_NEGTTL) ? TB_MIN(rr->ttl, soa_min(r->c)) : rr->ttl);
    lenpos = r->b->len;
    rd_u16(r, 0);
    err = put_rdata(r, rr->type, dns_zrr_rdata(r->c->z, rr), rr->rdlen);
    if (err != 0 && r->err == 0) {
        r->err = err;
        dns_diag(r->c->diag, DNS_DIAG_ERROR, dns_zrr_file(r->c->z, rr),
                 rr->line, "malformed rdata");
    }
    if (r->b->err == 0)
        tb_put16(r->b->data + lenpos, (uint16_t)(r->b->len - lenpos - 2));
}

/* Writes one RRset (and its RRSIGs when (dnssec)); returns RRs written. */
static unsigned put_rrset(struct rctx *r, const struct rref *f, bool dnssec)
{
    struct cc *c = r->c;
    const struct crs *rs =
        cc_rrset(c, f->node, (f->flags & RF_SYNTH) ? DNS_TYPE_DNAME : f->type);
    const struct crs *sig;
    const uint8_t *own;
    unsigned n = 0;

    if (rs == NULL || ((f->flags & RF_DOONLY) && !dnssec) ||
        (dnssec && r->p->any && f->type == DNS_TYPE_RRSIG))
        return 0;
    own = f->owner != 0xff ? r->p->names[f->owner]
                           : cc_name(c, &c->nodes[f->node]);
    if (f->flags & RF_SYNTH) {
        /* owner, CNAME, class, the DNAME's TTL, the new name */
        const struct dns_zrr *d = cc_rr(c, rs->first);
        size_t lenpos;
        put_name(r, own, true);
        rd_u16(r, DNS_TYPE_CNAME);
        rd_u16(r, c->rclass);
        rd_u32(r, d->ttl);
        lenpos = r->b->len;
        rd_u16(r, 0);
        put_name(r, r->p->names[f->owner + 1], true);
        if (r->b->err == 0)
            tb_put16(r->b->data + lenpos, (uint16_t)(r->b->len - lenpos - 2));
        return 1;
    }
    for (uint32_t i = 0; i < rs->n; i++, n++)
        put_rr(r, f, own, cc_rr(c, rs->first + i));
    if (!dnssec || f->type == DNS_TYPE_RRSIG ||
        (sig = cc_rrset(c, f->node, DNS_TYPE_RRSIG)) == NULL)
        return n;
    for (uint32_t i = 0; i < sig->n; i++) {
        const struct dns_zrr *rr = cc_rr(c, sig->first + i);
        if (rr->rdlen >= 2 && tb_get16(dns_zrr_rdata(c->z, rr)) == f->type) {
            put_rr(r, f, own, rr);
            n++;
        }
    }
    return n;
}

/* Renders (p) as one entry; returns its index in (*idx). */
static int render(struct cc *c, const struct plan *p, bool dnssec,
                  uint32_t *idx)
{
    struct rctx r = {.c = c,
                     .p = p,
                     .b = &c->data,
                     .fix = &c->fix,
                     .cuts = &c->cuts,
                     .base = c->data.len};
    uint8_t e[ZDB_ENT_LEN] = {0};
    unsigned cnt[3] = {0}, ncut = 0;
    size_t minlen = 0, len;
    int err;

    c->fix.len = 0;
    c->cuts.len = 0;
    r.qlen = p->known_len;
    r.qmax = p->var ? DNS_NAME_MAXLEN : p->known_len;
    c->ctab->n = 0;
    /* Every suffix of (known) is a suffix of the query name at 12. */
    for (size_t s = 0; p->known[s] != 0; s += p->known[s] + 1u)
        ct_add(&r, p->known + s, p->known_len - s,
               (int32_t)(DNS_HDR_LEN - (p->known_len - s)));
    for (unsigned sec = 0; sec < 3; sec++) {
        for (unsigned i = 0; i < p->n[sec]; i++) {
            cnt[sec] += put_rrset(&r, &p->r[sec][i], dnssec);
            if (sec == 2) {
                uint8_t cut[8] = {0};
                zdb_st32(cut, (uint32_t)rd_pos(&r));
                zdb_st16(cut + 4, (uint16_t)cnt[2]);
                buf_put(&c->cuts, cut, 8);
                ncut++;
            }
        }
        if (sec == 1)
            minlen = rd_pos(&r);
    }
    len = rd_pos(&r);
    err = r.err ? r.err : (c->data.err | c->fix.err | c->cuts.err);
    if (err == 0 && (len > DNS_MSG_MAXLEN - DNS_HDR_LEN || cnt[0] > 0xffff ||
                     cnt[1] > 0xffff || cnt[2] > 0xffff)) {
        dns_diag(c->diag, DNS_DIAG_ERROR, NULL, 0,
                 "a response exceeds 65535 bytes");
        err = TB_ERANGE;
    }
    if (err != 0) {
        if (c->data.err == 0)
            c->data.len = r.base;
        return err;
    }
    tb_put16(e + ZE_COUNTS, 1);
    tb_put16(e + ZE_COUNTS + 2, (uint16_t)cnt[0]);
    tb_put16(e + ZE_COUNTS + 4, (uint16_t)cnt[1]);
    tb_put16(e + ZE_COUNTS + 6, (uint16_t)cnt[2]);
    tb_put16(e + ZE_HFLAGS,
             (uint16_t)(DNS_FLAG_QR | p->rcode | (p->aa ? DNS_FLAG_AA : 0)));
    zdb_st16(e + ZE_TYPE, p->type);
    zdb_st16(e + ZE_NFIX, (uint16_t)(c->fix.len / 4));
    zdb_st32(e + ZE_OFF, (uint32_t)(c->names.len + r.base));
    zdb_st32(e + ZE_LEN, (uint32_t)len);
    zdb_st32(e + ZE_MINLEN, (uint32_t)minlen);
    zdb_st32(e + ZE_FIX, (uint32_t)(c->names.len + c->data.len));
    buf_put(&c->data, c->fix.data, c->fix.len);
    zdb_st32(e + ZE_CUTS, (uint32_t)(c->names.len + c->data.len));
    buf_put(&c->data, c->cuts.data, c->cuts.len);
    zdb_st16(e + ZE_NCUT, (uint16_t)ncut);
    zdb_st16(e + ZE_NREQ, (uint16_t)TB_MIN(p->nreq, ncut));
    zdb_st32(e + ZE_DO, c->nents);
    buf_put(&c->ents, e, sizeof(e));
    *idx = c->nents++;
    if (c->names.len + c->data.len > 0x7fffffff)
        return TB_ERANGE;
    return c->data.err | c->ents.err;
}

static void plan_init(struct plan *p, uint16_t type, const uint8_t *known,
                      bool var)
{
    p->type = type;
    p->rcode = DNS_RCODE_NOERROR;
    p->aa = true;
    p->any = false;
    p->var = var;
    p->known_len = dns_name_len(known);
    memcpy(p->known, known, p->known_len);
    p->n[0] = p->n[1] = p->n[2] = 0;
    p->nreq = 0;
    p->nnames = 0;
}

static void plan_add(struct plan *p, unsigned sec, uint32_t node, uint16_t type,
                     uint8_t flags, uint8_t owner)
{
    for (unsigned i = 0; i < p->n[sec]; i++)
        if (p->r[sec][i].node == node && p->r[sec][i].type == type &&
            p->r[sec][i].owner == owner)
            return;
    if (p->n[sec] < PLAN_MAX)
        p->r[sec][p->n[sec]++] = (struct rref){.node = node,
                                               .type = type,
                                               .flags = flags,
                                               .owner = owner};
}

/* Additional-section processing (RFC 1035 3.3.2, 3.3.9, RFC 2782): A and
 * AAAA of in-zone targets of (node, type).  (cut) != ZDB_NONE: a referral
 * from that cut, glue only (targets at or below it, RFC 9471). */
static void plan_additional(struct cc *c, struct plan *p, uint32_t node,
                            uint16_t type, uint32_t cut)
{
    const struct crs *rs = cc_rrset(c, node, type);
    size_t skip = type == DNS_TYPE_MX ? 2 : type == DNS_TYPE_SRV ? 6 : 0;

    if (rs == NULL ||
        (type != DNS_TYPE_NS && type != DNS_TYPE_MX && type != DNS_TYPE_SRV))
        return;
    /* Pass 0: glue below the cut (referrals only); pass 1: the rest.
     * The first TGT_MEMO targets are looked up once for both passes. */
    enum { TGT_MEMO = 16, TGT_NONE = 0, TGT_BELOW = 1, TGT_OTHER = 2 };
    uint32_t memo_node[TGT_MEMO];
    uint8_t memo[TGT_MEMO];
    for (int pass = cut == ZDB_NONE; pass < 2; pass++) {
        for (uint32_t i = 0; i < rs->n; i++) {
            const struct dns_zrr *rr;
            uint8_t t[DNS_NAME_MAXLEN];
            int len;
            uint32_t tn;
            bool below;

            if (pass == 1 && cut != ZDB_NONE && i < TGT_MEMO) {
                if (memo[i] != TGT_OTHER)
                    continue;
                tn = memo_node[i];
                goto add;
            }
            rr = cc_rr(c, rs->first + i);
            if (i < TGT_MEMO)
                memo[i] = TGT_NONE;
            if (rr->rdlen <= skip ||
                (len = dns_name_check(dns_zrr_rdata(c->z, rr) + skip,
                                      rr->rdlen - skip)) < 0)
                continue;
            memcpy(t, dns_zrr_rdata(c->z, rr) + skip, (size_t)len);
            dns_name_lower(t);
            /* Names outside the zone are no node: skip the lookup. */
            if (!dns_name_is_sub(t, c->origin) ||
                (tn = cc_find(c, t, (size_t)len)) == ZDB_NONE)
                continue;
            below = cut != ZDB_NONE &&
                    dns_name_is_sub(t, cc_name(c, &c->nodes[cut]));
            if (i < TGT_MEMO) {
                memo[i] = below ? TGT_BELOW : TGT_OTHER;
                memo_node[i] = tn;
            }
            if (pass == 0 && !below)
                continue;
            if (pass == 1 && below)
                continue;
        add:
            /* Occluded data is served only as glue of a referral. */
            if (cut == ZDB_NONE && c->nodes[tn].redir != ZDB_NONE)
                continue;
            plan_add(p, 2, tn, DNS_TYPE_A, 0, 0xff);
            plan_add(p, 2, tn, DNS_TYPE_AAAA, 0, 0xff);
        }
        if (pass == 0)
            p->nreq = p->n[2];
    }
}

static void plan_negative(struct plan *p)
{
    plan_add(p, 1, 0, DNS_TYPE_SOA, RF_NEGTTL, 0xff);
}

/*
 * With DO, the NSEC/NSEC3 RRsets proving what the name (name, len) at
 * the end of a CNAME chain lacks (RFC 4035 3.1.3, RFC 5155 7.2): for
 * (kind) ZP_NEG that it does not exist or has no data of the type, for
 * ZP_WILD that it was synthesized from a wildcard.  The compile-time
 * twin of zdb_proof(), for names that do not depend on the query.
 */
static void plan_denial(struct cc *c, struct plan *p, const uint8_t *name,
                        size_t len, unsigned kind)
{
    uint8_t w[DNS_NAME_MAXLEN];
    const uint8_t *s, *prev = name;
    uint32_t m;
    bool exact = cc_find(c, name, len) != ZDB_NONE, match;

    if (c->pkind == 1) {
        if (exact && kind == ZP_WILD)
            return;
        if ((m = cc_nsec_cover(c, name, len)) != ZDB_NONE)
            plan_add(p, 1, m, DNS_TYPE_NSEC, RF_DOONLY, 0xff);
        if (exact || kind != ZP_NEG)
            return;
        for (s = name + *name + 1; *s != 0; s += *s + 1)
            if (cc_find(c, s, len - (size_t)(s - name)) != ZDB_NONE)
                break;
        if (len - (size_t)(s - name) + 2 > DNS_NAME_MAXLEN)
            return;
        w[0] = 1, w[1] = '*';
        memcpy(w + 2, s, len - (size_t)(s - name));
        if ((m = cc_nsec_cover(c, w, len - (size_t)(s - name) + 2)) != ZDB_NONE)
            plan_add(p, 1, m, DNS_TYPE_NSEC, RF_DOONLY, 0xff);
        return;
    }
    if (c->pkind != 3 || (exact && kind == ZP_WILD))
        return;
    for (s = name;; prev = s, s += *s + 1) {
        size_t sl = len - (size_t)(s - name);
        m = cc_nsec3_find(c, s, sl, &match);
        if (m == ZDB_NONE || (!match && *s == 0))
            return;
        if (!match)
            continue;
        if (s == name) {
            plan_add(p, 1, m, DNS_TYPE_NSEC3, RF_DOONLY, 0xff);
            return;
        }
        if (kind == ZP_NEG)
            plan_add(p, 1, m, DNS_TYPE_NSEC3, RF_DOONLY, 0xff);
        m = cc_nsec3_find(c, prev, len - (size_t)(prev - name), &match);
        if (m != ZDB_NONE)
            plan_add(p, 1, m, DNS_TYPE_NSEC3, RF_DOONLY, 0xff);
        if (kind == ZP_NEG && !exact && sl + 2 <= DNS_NAME_MAXLEN) {
            w[0] = 1, w[1] = '*';
            memcpy(w + 2, s, sl);
            m = cc_nsec3_find(c, w, sl + 2, &match);
            if (m != ZDB_NONE)
                plan_add(p, 1, m, DNS_TYPE_NSEC3, RF_DOONLY, 0xff);
        }
        return;
    }
}

/* What a name resolves to inside the zone at compile time: (*node) is
 * the node with the data, the cut (RES_CUT) or the DNAME (RES_DNAME). */
enum { RES_NODE, RES_NODATA, RES_NX, RES_OUT, RES_CUT, RES_DNAME };

static int redirected(const struct cc *c, uint32_t r, uint32_t *node)
{
    *node = r;
    return (c->nodes[r].flags & ZNF_CUT) ? RES_CUT : RES_DNAME;
}

static int resolve(struct cc *c, const uint8_t *name, size_t len,
                   uint32_t *node)
{
    uint32_t n;

    if (!dns_name_is_sub(name, c->origin))
        return RES_OUT;
    if ((n = cc_find(c, name, len)) != ZDB_NONE) {
        *node = n;
        if (c->nodes[n].redir != ZDB_NONE)
            return redirected(c, c->nodes[n].redir, node);
        return (c->nodes[n].flags & ZNF_ENT) ? RES_NODATA : RES_NODE;
    }
    for (const uint8_t *p = name + *name + 1;; p += *p + 1) {
        n = cc_find(c, p, len - (size_t)(p - name));
        if (n == ZDB_NONE)
            continue;
        const struct cnode *ce = &c->nodes[n];
        if (ce->redir != ZDB_NONE)
            return redirected(c, ce->redir, node);
        if (ce->flags & ZNF_DNAME)
            return redirected(c, n, node);
        if (ce->wild == ZDB_NONE)
            return RES_NX;
        *node = ce->wild;
        if (c->nodes[ce->wild].redir == ce->wild)
            return RES_CUT;
        return (c->nodes[ce->wild].flags & ZNF_ENT) ? RES_NODATA : RES_NODE;
    }
}

/* An insecure delegation's proof that it has no DS, with DO (RFC 4035
 * 3.1.4.1: the cut's NSEC; RFC 5155 7.2.7: the cut's NSEC3, or with
 * opt-out the closest provable encloser's and the one covering the next
 * closer name). */
static void plan_insecure(struct cc *c, struct plan *p, uint32_t n)
{
    const uint8_t *name = cc_name(c, &c->nodes[n]), *prev = name;
    size_t len = c->nodes[n].nlen;
    uint32_t m;
    bool match;

    if (c->pkind == 1 && cc_rrset(c, n, DNS_TYPE_NSEC) != NULL)
        plan_add(p, 1, n, DNS_TYPE_NSEC, RF_DOONLY, 0xff);
    if (c->pkind != 3)
        return;
    m = cc_nsec3_find(c, name, len, &match);
    if (m == ZDB_NONE || match) {
        if (m != ZDB_NONE)
            plan_add(p, 1, m, DNS_TYPE_NSEC3, RF_DOONLY, 0xff);
        return;
    }
    for (const uint8_t *a = name + *name + 1; *prev != 0; a += *a + 1) {
        size_t al = len - (size_t)(a - name);
        m = cc_nsec3_find(c, a, al, &match);
        if (match) {
            plan_add(p, 1, m, DNS_TYPE_NSEC3, RF_DOONLY, 0xff);
            m = cc_nsec3_find(c, prev, len - (size_t)(prev - name), &match);
            plan_add(p, 1, m, DNS_TYPE_NSEC3, RF_DOONLY, 0xff);
            return;
        }
        if (*a == 0)
            return;
        prev = a;
    }
}

/* The referral from cut (n) (RFC 1034 4.3.2 3b): NS in authority, DS
 * with DO (RFC 4035 3.1.4), addresses of the NS targets in additional:
 * glue below the cut is required (RFC 9471), sibling glue and other
 * addresses in the zone are added after it when they fit, as NSD and
 * Knot do. */
static void plan_referral(struct cc *c, struct plan *p, uint32_t n)
{
    plan_add(p, 1, n, DNS_TYPE_NS, 0, 0xff);
    if (cc_rrset(c, n, DNS_TYPE_DS) != NULL)
        plan_add(p, 1, n, DNS_TYPE_DS, RF_DOONLY, 0xff);
    else
        plan_insecure(c, p, n);
    plan_additional(c, p, n, DNS_TYPE_NS, n);
}

/* Plans collected for one node, rendered together so that its entries
 * are contiguous and the DO variants follow.  With (alt), the last plan
 * is the wildcard alternative of the one before it (the default plan),
 * for synthesized query names equal to alt_name (any, if alt_len is 0);
 * see plan_cname() and ZE_ALT in zonedb.h. */
struct plans {
    struct plan *v;
    size_t n, cap;
    bool alt;
    uint8_t alt_len;
    uint8_t alt_name[DNS_NAME_MAXLEN];
};

static struct plan *plans_new(struct cc *c, struct plans *ps)
{
    if (ps->n == ps->cap) {
        size_t nc = ps->cap ? ps->cap * 2 : 8;
        struct plan *nv =
            tb_realloc(c->a, ps->v, ps->cap * sizeof(*nv), nc * sizeof(*nv));
        if (nv == NULL)
            return NULL;
        ps->v = nv;
        ps->cap = nc;
    }
    return &ps->v[ps->n++];
}

static bool has_type(const struct plans *ps, uint16_t type)
{
    for (size_t i = 0; i < ps->n; i++)
        if (ps->v[i].type == type)
            return true;
    return false;
}

/* Copies the first name of the rdata of (type) at node (n), lowercased,
 * into (out); returns its length or 0. */
static size_t rdata_name(struct cc *c, uint32_t n, uint16_t type, uint8_t *out)
{
    const struct crs *rs = cc_rrset(c, n, type);
    const struct dns_zrr *rr;
    int len;

    if (rs == NULL)
        return 0;
    rr = cc_rr(c, rs->first);
    if ((len = dns_name_check(dns_zrr_rdata(c->z, rr), rr->rdlen)) <= 0)
        return 0;
    memcpy(out, dns_zrr_rdata(c->z, rr), (size_t)len);
    dns_name_lower(out);
    return (size_t)len;
}

/* True if the name (t, tlen) already owns a record of the chain in (p):
 * an earlier target, or the query name when it is known (not a
 * wildcard's). */
static bool chain_owns(const struct plan *p, const uint8_t *t, size_t tlen)
{
    if (!p->var && p->known_len == tlen && memcmp(p->known, t, tlen) == 0)
        return true;
    for (unsigned i = 0; i < p->nnames; i++)
        if (dns_name_len(p->names[i]) == tlen &&
            memcmp(p->names[i], t, tlen) == 0)
            return true;
    return false;
}

/*
 * A wildcard's chain that came back to the wildcard (*.P CNAME x.P: x.P
 * is synthesized from it again) ends with a CNAME of the wildcard owned
 * by a name (tm) that a query name may equal; for that query name the
 * chain stops one record earlier, or it would repeat its first record.
 * The answers differ by the last answer RRset only: the plan without it
 * goes after the default plan (ps->alt), used by the answer path for the
 * query name tm.  When tm is the wildcard's own name (*.P CNAME *.P),
 * which only the exact query *.P can equal, the roles swap: the default
 * plan (the node's entries serve *.P itself) is the shorter one and the
 * alternative, the full chain, serves every synthesized name.
 */
static int plan_wild_alt(struct cc *c, struct plans *ps, uint32_t n)
{
    struct plan *base = &ps->v[ps->n - 1], *alt;
    const struct rref *last = &base->r[0][base->n[0] - 1];
    const uint8_t *tm;
    size_t tml;

    if (base->n[0] < 2 || last->node != n || last->type != DNS_TYPE_CNAME ||
        (last->flags & (RF_SYNTH | RF_QOWNER)) || last->owner == 0xff)
        return 0;
    if ((alt = plans_new(c, ps)) == NULL)
        return TB_ENOMEM;
    base = &ps->v[ps->n - 2]; /* the vector may have moved */
    *alt = *base;
    tm = base->names[last->owner];
    tml = dns_name_len(tm);
    if (tml == c->nodes[n].nlen &&
        memcmp(tm, cc_name(c, &c->nodes[n]), tml) == 0) {
        base->n[0]--;
        ps->alt_len = 0;
    } else {
        alt->n[0]--;
        memcpy(ps->alt_name, tm, tml);
        ps->alt_len = (uint8_t)tml;
    }
    ps->alt = true;
    return 0;
}

/*
 * RFC 1034 4.3.2 step 3b: a CNAME chain from node (n), followed inside the
 * zone as NSD and Knot do: through wildcards, DNAMEs (RFC 6672 3.2: the
 * DNAME and a synthesized CNAME) and into a delegation (the chain, then
 * the referral).  One plan per type at the end of the chain, and a
 * default plan (last) for the other types: the chain and, when it ends
 * inside the zone, the negative answer of its last name (RFC 6604).
 * The chain stops before a name that already owns one of its records (a
 * loop: the CNAMEs so far, NOERROR, as NSD and Knot answer, without the
 * records they repeat), so it holds each record once; wildcards and
 * DNAMEs make loops of names, not of nodes (plan_wild_alt()).
 */
static int plan_cname(struct cc *c, struct plans *ps, uint32_t n,
                      const uint8_t *known, bool var)
{
    struct plan *base, *p;
    uint32_t fin = ZDB_NONE;
    int res = RES_OUT;
    bool looped = false;
    uint8_t *t;
    size_t tlen;

    if ((base = plans_new(c, ps)) == NULL)
        return TB_ENOMEM;
    plan_init(base, 0, known, var);
    plan_add(base, 0, n, DNS_TYPE_CNAME, RF_QOWNER, 0xff);
    t = base->names[0];
    if ((tlen = rdata_name(c, n, DNS_TYPE_CNAME, t)) == 0)
        return TB_EMALF;
    while (base->nnames + 2 < CHAIN_MAX) {
        uint32_t nx = ZDB_NONE;

        if (chain_owns(base, t, tlen)) {
            looped = true;
            res = RES_OUT;
            break;
        }
        res = resolve(c, t, tlen, &nx);
        if (res == RES_OUT || res == RES_NX)
            break;
        base->nnames++; /* (t) is the owner of what follows */
        if (res == RES_CUT) {
            plan_referral(c, base, nx);
            break;
        }
        if (res == RES_DNAME) {
            uint8_t *nt = base->names[base->nnames];
            size_t dl = c->nodes[nx].nlen, pre = tlen - dl;
            size_t ntl = rdata_name(c, nx, DNS_TYPE_DNAME, nt + pre);
            if (ntl == 0 || pre + ntl > DNS_NAME_MAXLEN) {
                res = RES_OUT; /* YXDOMAIN is the runtime's business */
                break;
            }
            memcpy(nt, t, pre);
            plan_add(base, 0, nx, DNS_TYPE_DNAME, 0, 0xff);
            plan_add(base, 0, nx, DNS_TYPE_CNAME, RF_SYNTH,
                     (uint8_t)(base->nnames - 1));
            t = nt;
            tlen = pre + ntl;
            continue;
        }
        fin = nx;
        if (res == RES_NODATA || !(c->nodes[nx].flags & ZNF_CNAME))
            break;
        plan_add(base, 0, nx, DNS_TYPE_CNAME, 0, (uint8_t)(base->nnames - 1));
        fin = ZDB_NONE;
        t = base->names[base->nnames];
        if ((tlen = rdata_name(c, nx, DNS_TYPE_CNAME, t)) == 0)
            return TB_EMALF;
    }
    if (fin == ZDB_NONE && (res == RES_NODE || res == RES_DNAME))
        res = RES_OUT; /* too long */
    /* (t) may point into a plan's names, and plans_new() below may move
     * the plans: keep the last name aside. */
    uint8_t last[DNS_NAME_MAXLEN];
    memcpy(last, t, tlen);
    t = last;
    /* One entry per type at the end of the chain. */
    if (fin != ZDB_NONE && res == RES_NODE) {
        const struct cnode *f = &c->nodes[fin];
        for (uint32_t i = 0; i < f->nrs; i++) {
            uint16_t ty = c->rs[f->rs + i].type;
            if (has_type(ps, ty))
                continue;
            if ((p = plans_new(c, ps)) == NULL)
                return TB_ENOMEM;
            base = &ps->v[ps->n - 2]; /* the vector may have moved */
            *p = *base;
            p->type = ty;
            plan_add(p, 0, fin, ty, 0, (uint8_t)(p->nnames - 1));
            plan_additional(c, p, fin, ty, ZDB_NONE);
            if (c->nodes[fin].flags & ZNF_WILD)
                plan_denial(c, p, t, tlen, ZP_WILD);
            /* keep the default plan last */
            struct plan tmp = *p;
            *p = *base;
            *base = tmp;
        }
    }
    base = &ps->v[ps->n - 1];
    if (res == RES_NX)
        base->rcode = DNS_RCODE_NXDOMAIN;
    if (res == RES_NX || res == RES_NODE || res == RES_NODATA) {
        plan_negative(base);
        plan_denial(c, base, t, tlen, ZP_NEG);
    }
    return looped && var ? plan_wild_alt(c, ps, n) : 0;
}

static int node_plans(struct cc *c, uint32_t n, struct plans *ps)
{
    const struct cnode *nd = &c->nodes[n];
    const uint8_t *name = cc_name(c, nd);
    bool var = (nd->flags & ZNF_WILD) != 0;
    const uint8_t *known = var ? dns_name_skip(name, 1) : name;
    struct plan *p;

    if (nd->redir != ZDB_NONE && nd->redir != n)
        return 0; /* below a cut or DNAME: never answered from here */
    for (uint32_t i = 0; i < nd->nrs; i++) {
        uint16_t t = c->rs[nd->rs + i].type;
        if ((nd->flags & ZNF_CUT) && t != DNS_TYPE_DS && t != DNS_TYPE_NSEC)
            continue; /* parent side of a cut: DS and NSEC only */
        if ((p = plans_new(c, ps)) == NULL)
            return TB_ENOMEM;
        plan_init(p, t, known, var);
        plan_add(p, 0, n, t, RF_QOWNER, 0xff);
        plan_additional(c, p, n, t, ZDB_NONE);
    }
    if (nd->flags & ZNF_CUT)
        return 0;
    if (nd->nrs > 0) {
        /* ANY: one RRset, the first in type order, RRSIG only if there is
         * nothing else (RFC 8482 4.1, as Knot; NSD picks another). */
        uint16_t t = c->rs[nd->rs].type;
        for (uint32_t i = 0; t == DNS_TYPE_RRSIG && i < nd->nrs; i++)
            if (c->rs[nd->rs + i].type != DNS_TYPE_RRSIG)
                t = c->rs[nd->rs + i].type;
        /* Usually that is the node's first entry as it stands, and the
         * answer path uses it for ANY (auth.c node_entry); an entry of its
         * own only when it would differ: no additional data for ANY (as
         * NSD), a CNAME node, RRSIG first. */
        if ((nd->flags & ZNF_CNAME) || t != c->rs[nd->rs].type ||
            t == DNS_TYPE_NS || t == DNS_TYPE_MX || t == DNS_TYPE_SRV) {
            if ((p = plans_new(c, ps)) == NULL)
                return TB_ENOMEM;
            plan_init(p, DNS_TYPE_ANY, known, var);
            p->any = true;
            plan_add(p, 0, n, t, RF_QOWNER, 0xff);
        }
    }
    if (nd->flags & ZNF_CNAME)
        return plan_cname(c, ps, n, known, var);
    return 0;
}

static int render_all(struct cc *c, struct plans *ps, uint32_t *first)
{
    uint32_t base = c->nents, idx;
    int err;

    *first = base;
    for (size_t i = 0; i < ps->n; i++)
        if ((err = render(c, &ps->v[i], false, &idx)) != 0)
            return err;
    if (!(c->zflags & ZF_SIGNED))
        return 0;
    for (size_t i = 0; i < ps->n; i++) {
        if ((err = render(c, &ps->v[i], true, &idx)) != 0)
            return err;
        zdb_st32(c->ents.data + (size_t)(base + i) * ZDB_ENT_LEN + ZE_DO, idx);
    }
    return 0;
}

/* The record ZE_ALT of the default entry (first + n - 2) points to:
 * the alternative's entry (first + n - 1), the name it is for. */
static void put_alt(struct cc *c, const struct plans *ps, uint32_t first)
{
    uint8_t rec[8 + ZDB_PAD(DNS_NAME_MAXLEN)] = {0};
    uint8_t *e = c->ents.data + (size_t)(first + ps->n - 2) * ZDB_ENT_LEN;

    if (c->ents.err != 0)
        return;
    zdb_st32(rec, (uint32_t)(first + ps->n - 1));
    rec[4] = ps->alt_len;
    memcpy(rec + 8, ps->alt_name, ps->alt_len);
    zdb_st32(e + ZE_ALT, (uint32_t)(c->names.len + c->data.len));
    buf_put(&c->data, rec, 8 + ZDB_PAD(ps->alt_len));
}

/* Marks the DO variants of entries [first, first + n) as needing the
 * query-time denial proof (kind), when the zone has NSEC or NSEC3. */
static void mark_proof(struct cc *c, uint32_t first, size_t n, unsigned kind)
{
    if (c->pkind == 0 || c->ents.err != 0)
        return;
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = c->ents.data + (size_t)(first + i) * ZDB_ENT_LEN;
        zdb_st16(c->ents.data + (size_t)zdb_ld32(e + ZE_DO) * ZDB_ENT_LEN +
                     ZE_PROOF,
                 (uint16_t)kind);
    }
}

int cc_render_chunk(struct cc *c, uint32_t node, uint16_t type, uint32_t *off)
{
    static const struct plan none; /* no query name, nothing known */
    struct rctx r = {.c = c,
                     .p = &none,
                     .b = &c->data,
                     .fix = &c->fix,
                     .cuts = &c->cuts,
                     .base = c->data.len,
                     .qmax = 0x4000}; /* no compression targets */
    struct rref f = {.node = node, .type = type, .owner = 0xff};
    uint8_t hd[4] = {0};
    unsigned n;
    size_t len;

    c->ctab->n = 0;
    buf_put(&c->data, hd, 4);
    n = put_rrset(&r, &f, true);
    if (r.err != 0)
        return r.err;
    if (c->data.err != 0)
        return TB_ENOMEM;
    len = c->data.len - r.base - 4;
    if (len > 0xffff || n > 0xffff)
        return TB_ERANGE;
    zdb_st16(c->data.data + r.base, (uint16_t)n);
    zdb_st16(c->data.data + r.base + 2, (uint16_t)len);
    *off = (uint32_t)(c->names.len + r.base);
    return 0;
}

int cc_answers(struct cc *c)
{
    struct plans ps = {0};
    struct plan *p;
    uint32_t first;
    int err = 0;

    for (uint32_t n = 0; n < c->nn && err == 0; n++) {
        struct cnode *nd = &c->nodes[n];
        /* Cache misses dominate: ask for what nodes a little ahead will
         * read (their rdata, then their targets' slot, node, name and
         * records). */
        if (n + 16 < c->nn)
            cc_prefetch(c, n + 16, 0);
        if (n + 8 < c->nn)
            cc_prefetch(c, n + 8, 1);
        if (n + 4 < c->nn)
            cc_prefetch(c, n + 4, 2);
        if (n + 2 < c->nn)
            cc_prefetch(c, n + 2, 3);
        if (n + 1 < c->nn)
            cc_prefetch(c, n + 1, 4);
        ps.n = 0;
        ps.alt = false;
        if ((err = node_plans(c, n, &ps)) != 0)
            break;
        nd->nent = (uint16_t)(ps.n - ps.alt);
        if (ps.n > 0xfff0) {
            err = TB_ERANGE;
            break;
        }
        if (nd->flags & ZNF_CUT) {
            /* The referral (RFC 1034 4.3.2 3b): NS in authority, DS
             * with DO (RFC 4035 3.1.4), glue in additional. */
            if ((p = plans_new(c, &ps)) == NULL) {
                err = TB_ENOMEM;
                break;
            }
            plan_init(p, 0, cc_name(c, nd), true);
            p->aa = false;
            plan_referral(c, p, n);
        }
        err = render_all(c, &ps, &first);
        nd->ent = first;
        if (err == 0 && (nd->flags & ZNF_WILD))
            mark_proof(c, first, ps.n, ZP_WILD);
        if (err == 0 && ps.alt)
            put_alt(c, &ps, first);
    }
    if (err == 0) {
        /* The zone's negative answers (RFC 2308 2.1, 2.2). */
        ps.n = 0;
        if ((p = plans_new(c, &ps)) == NULL) {
            err = TB_ENOMEM;
        } else {
            plan_init(p, 0, c->origin, true);
            p->rcode = DNS_RCODE_NXDOMAIN;
            plan_negative(p);
            if ((p = plans_new(c, &ps)) == NULL) {
                err = TB_ENOMEM;
            } else {
                plan_init(p, 0, c->origin, true);
                plan_negative(p);
                err = render_all(c, &ps, &first);
                if (err == 0)
                    mark_proof(c, first, 2, ZP_NEG);
                c->nxdomain = first;
                c->nodata = first + 1;
            }
        }
    }
    tb_free(c->a, ps.v, ps.cap * sizeof(*ps.v));
    return err;
}
