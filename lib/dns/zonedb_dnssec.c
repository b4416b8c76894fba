/*
 * zonedb_dnssec.c -- the zone compiler's part of serving pre-signed
 * zones: which denial of existence a signed zone uses (NSEC, or NSEC3
 * with the apex NSEC3PARAM's salt and iterations), its NSEC3 owners
 * sorted by hash (for the referrals' insecure-delegation proofs compiled
 * into entries, zonedb_answer.c), and the denial table of the blob
 * (zonedb.h "Denial") that the answer path searches for what depends on
 * the query name (zonedb_proof.c).  Unsigned zones get none of it: their
 * blobs do not change.
 */
#include "zonedb_int.h"

/* base32hex (RFC 4648 7), lowercase, of a 32-character label. */
static bool b32hex_hash(const uint8_t *label, uint8_t h[ZDB_NSEC3_HASHLEN])
{
    uint64_t acc = 0;
    unsigned bits = 0, o = 0;

    if (label[0] != 32)
        return false;
    for (unsigned i = 1; i <= 32; i++) {
        uint8_t ch = label[i], v;
        if (ch >= '0' && ch <= '9')
            v = (uint8_t)(ch - '0');
        else if (ch >= 'a' && ch <= 'v')
            v = (uint8_t)(ch - 'a' + 10);
        else
            return false;
        acc = acc << 5 | v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            h[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o == ZDB_NSEC3_HASHLEN;
}

static int n3_cmp(const void *ctx, uint32_t x, uint32_t y)
{
    const struct cn3 *v = ctx;
    return memcmp(v[x].h, v[y].h, ZDB_NSEC3_HASHLEN);
}

/* The NSEC3 owners (whose NSEC3 has the zone's parameters), sorted. */
static int index_nsec3(struct cc *c)
{
    size_t n = 0, k = 0;
    struct cn3 *v, *s;
    uint32_t *ix;
    int err;

    for (uint32_t i = 0; i < c->nn; i++)
        if (cc_rrset(c, i, DNS_TYPE_NSEC3) != NULL)
            n++;
    if (n == 0)
        return 0;
    if ((v = tb_alloc(c->a, n * sizeof(*v))) == NULL)
        return TB_ENOMEM;
    for (uint32_t i = 0; i < c->nn; i++) {
        const struct crs *rs = cc_rrset(c, i, DNS_TYPE_NSEC3);
        const struct dns_zrr *rr;
        const uint8_t *rd;
        if (rs == NULL)
            continue;
        rr = cc_rr(c, rs->first);
        rd = dns_zrr_rdata(c->z, rr);
        if (rr->rdlen < 5 || rd[0] != 1 || tb_get16(rd + 2) != c->iter ||
            rd[4] != c->saltlen || rr->rdlen < 5u + rd[4] ||
            memcmp(rd + 5, c->salt, c->saltlen) != 0 ||
            !b32hex_hash(cc_name(c, &c->nodes[i]), v[k].h))
            continue;
        v[k++].node = i;
    }
    s = tb_alloc(c->a, (k ? k : 1) * sizeof(*s));
    ix = tb_alloc(c->a, (k ? k : 1) * 4);
    err = s == NULL || ix == NULL ? TB_ENOMEM : 0;
    for (size_t i = 0; err == 0 && i < k; i++)
        ix[i] = (uint32_t)i;
    if (err == 0)
        err = tb_sort_idx(ix, k, c->a, n3_cmp, v);
    for (size_t i = 0; err == 0 && i < k; i++)
        s[i] = v[ix[i]];
    tb_free(c->a, v, n * sizeof(*v));
    if (ix != NULL)
        tb_free(c->a, ix, (k ? k : 1) * 4);
    if (err != 0) {
        if (s != NULL)
            tb_free(c->a, s, (k ? k : 1) * sizeof(*s));
        return err;
    }
    if (k == 0) {
        tb_free(c->a, s, sizeof(*s));
        return 0;
    }
    c->n3 = s;
    c->nn3 = k;
    return 0;
}

int cc_dnssec_index(struct cc *c)
{
    const struct crs *p3 = cc_rrset(c, 0, DNS_TYPE_NSEC3PARAM);
    const struct dns_zrr *rr;
    const uint8_t *rd;
    uint8_t h[ZDB_NSEC3_HASHLEN];

    if (!(c->zflags & ZF_SIGNED))
        return 0;
    if (p3 == NULL) {
        if (cc_rrset(c, 0, DNS_TYPE_NSEC) != NULL)
            c->pkind = 1;
        return 0;
    }
    rr = cc_rr(c, p3->first);
    rd = dns_zrr_rdata(c->z, rr);
    if (rr->rdlen < 5 || rd[0] != 1 || rr->rdlen != 5u + rd[4]) {
        dns_diag(c->diag, DNS_DIAG_WARNING, dns_zrr_file(c->z, rr), rr->line,
                 "NSEC3PARAM with an unknown hash: no denial of existence");
        return 0;
    }
    if (tb_get16(rd + 2) > ZDB_NSEC3_MAXITER) {
        dns_diag(c->diag, DNS_DIAG_ERROR, dns_zrr_file(c->z, rr), rr->line,
                 "NSEC3 iterations over 2500 (RFC 5155 10.3)");
        return TB_ESEMANTIC;
    }
    c->iter = tb_get16(rd + 2);
    c->saltlen = rd[4];
    memcpy(c->salt, rd + 5, rd[4]);
    if (!zdb_nsec3_hash(c->origin, c->olen, c->salt, c->saltlen, c->iter, h)) {
        dns_diag(c->diag, DNS_DIAG_ERROR, NULL, 0,
                 "an NSEC3 zone needs SHA-1, and this program has no "
                 "BearSSL");
        return TB_ESEMANTIC;
    }
    c->pkind = 3;
    return index_nsec3(c);
}

uint32_t cc_nsec3_find(const struct cc *c, const uint8_t *name, size_t len,
                       bool *match)
{
    uint8_t h[ZDB_NSEC3_HASHLEN];
    size_t lo = 0, hi = c->nn3;

    *match = false;
    if (c->nn3 == 0 ||
        !zdb_nsec3_hash(name, len, c->salt, c->saltlen, c->iter, h))
        return ZDB_NONE;
    if (memcmp(c->n3[0].h, h, sizeof(h)) > 0)
        return c->n3[c->nn3 - 1].node;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (memcmp(c->n3[mid].h, h, sizeof(h)) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    *match = memcmp(c->n3[lo].h, h, sizeof(h)) == 0;
    return c->n3[lo].node;
}

uint32_t cc_nsec_cover(const struct cc *c, const uint8_t *name, size_t len)
{
    size_t lo = 0, hi = c->nn; /* node lo <= name < node hi */

    (void)len;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (dns_name_cmp(cc_name(c, &c->nodes[mid]), name) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    for (size_t i = lo + 1; i > 0; i--)
        if (cc_rrset(c, (uint32_t)(i - 1), DNS_TYPE_NSEC) != NULL)
            return (uint32_t)(i - 1);
    return ZDB_NONE;
}

int cc_proofs(struct cc *c)
{
    uint8_t hd[8] = {0}, pad[8] = {0}, e[24];
    uint32_t *off, cur = 0;
    size_t n = c->pkind == 1 ? c->nn : c->nn3, at;
    int err = 0;

    if (c->pkind == 0 || n == 0)
        return 0;
    if ((off = tb_alloc(c->a, n * 4)) == NULL)
        return TB_ENOMEM;
    for (size_t i = 0; i < n && err == 0; i++) {
        if (c->pkind == 3) {
            err = cc_render_chunk(c, c->n3[i].node, DNS_TYPE_NSEC3, &off[i]);
            continue;
        }
        if (cc_rrset(c, (uint32_t)i, DNS_TYPE_NSEC) != NULL)
            err = cc_render_chunk(c, (uint32_t)i, DNS_TYPE_NSEC, &cur);
        off[i] = cur;
    }
    if (err == 0) {
        at = c->data.len;
        hd[0] = c->pkind;
        hd[1] = c->saltlen;
        zdb_st16(hd + 2, c->iter);
        zdb_st32(hd + 4, (uint32_t)n);
        tb_buf_append(&c->data, hd, 8);
        tb_buf_append(&c->data, c->salt, c->saltlen);
        tb_buf_append(&c->data, pad, ZDB_PAD(c->saltlen) - c->saltlen);
        for (size_t i = 0; i < n; i++) {
            if (c->pkind == 1) {
                zdb_st32(e, off[i]);
                tb_buf_append(&c->data, e, 4);
                continue;
            }
            memcpy(e, c->n3[i].h, ZDB_NSEC3_HASHLEN);
            zdb_st32(e + 20, off[i]);
            tb_buf_append(&c->data, e, 24);
        }
        err = c->data.err != 0                          ? TB_ENOMEM
              : c->names.len + c->data.len > 0x7fffffff ? TB_ERANGE
                                                        : 0;
        c->proof = (uint32_t)(c->names.len + at);
    }
    tb_free(c->a, off, n * 4);
    return err;
}
