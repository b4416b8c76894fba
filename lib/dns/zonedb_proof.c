/*
 * zonedb_proof.c -- the query-time half of DNSSEC denial of existence
 * (zonedb.h "Denial"): which NSEC or NSEC3 RRsets prove that a query
 * name does not exist (RFC 4035 3.1.3, RFC 5155 7.2), found by a binary
 * search over the node table (NSEC: canonical order) or over the sorted
 * NSEC3 owner hashes, after hashing the names with the zone's
 * NSEC3PARAM salt and iterations.  Everything a query name does not
 * decide (NODATA of a name, referrals) is compiled into the entries.
 *
 * SHA-1 comes from BearSSL, referenced weakly: a program that links it
 * (tibra-dnsd, the tool, the tests) hashes; a guest without it cannot
 * make NSEC3 proofs, and its caller answers SERVFAIL rather than an
 * answer that would not validate.
 */
#include "zonedb.h"

#include <bearssl_hash.h>

#pragma weak br_sha1_init
#pragma weak br_sha1_update
#pragma weak br_sha1_out

bool zdb_nsec3_hash(const uint8_t *name, size_t len, const uint8_t *salt,
                    unsigned saltlen, unsigned iter,
                    uint8_t out[ZDB_NSEC3_HASHLEN])
{
    br_sha1_context h;

    if (br_sha1_init == NULL || br_sha1_update == NULL || br_sha1_out == NULL)
        return false;
    br_sha1_init(&h);
    br_sha1_update(&h, name, len);
    br_sha1_update(&h, salt, saltlen);
    br_sha1_out(&h, out);
    for (unsigned i = 0; i < iter; i++) {
        br_sha1_init(&h);
        br_sha1_update(&h, out, ZDB_NSEC3_HASHLEN);
        br_sha1_update(&h, salt, saltlen);
        br_sha1_out(&h, out);
    }
    return true;
}

static bool in(uint64_t off, uint64_t n, uint64_t len)
{
    return off <= len && n <= len - off;
}

static bool chunk_ok(const struct zdb *z, uint32_t off)
{
    return off == 0 ||
           (in(off, 4, z->datalen) &&
            in((uint64_t)off + 4, zdb_ld16(z->data + off + 2), z->datalen));
}

int zdb_proof_open(struct zdb *z, const uint8_t *b)
{
    uint32_t off = zdb_ld32(b + ZH_PROOF);
    const uint8_t *p;
    uint64_t tab, esz;

    if (off == 0)
        return 0;
    if (!in(off, 8, z->datalen))
        return TB_EMALF;
    p = z->data + off;
    z->pkind = p[0];
    z->saltlen = p[1];
    z->iter = zdb_ld16(p + 2);
    z->pn = zdb_ld32(p + 4);
    tab = (uint64_t)off + 8 + ZDB_PAD(z->saltlen);
    esz = z->pkind == 1 ? 4 : 24;
    if ((z->pkind != 1 && z->pkind != 3) ||
        (z->pkind == 1 && z->pn != z->nnodes) || z->iter > ZDB_NSEC3_MAXITER ||
        !in(tab, z->pn * esz, z->datalen))
        return TB_EMALF;
    z->salt = p + 8;
    z->ptab = z->data + tab;
    for (uint32_t i = 0; i < z->pn; i++)
        if (!chunk_ok(z, zdb_ld32(z->ptab + i * esz + esz - 4)))
            return TB_EMALF;
    return 0;
}

/* Canonical order (RFC 4034 6.1) of two lowercased wire names. */
static int canon_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    uint8_t oa[128], ob[128];
    unsigned na = 0, nb = 0;

    for (size_t p = 0; p < al && a[p] != 0 && na < 128; p += a[p] + 1u)
        oa[na++] = (uint8_t)p;
    for (size_t p = 0; p < bl && b[p] != 0 && nb < 128; p += b[p] + 1u)
        ob[nb++] = (uint8_t)p;
    while (na > 0 && nb > 0) {
        const uint8_t *x = a + oa[--na], *y = b + ob[--nb];
        size_t lx = TB_MIN((size_t)*x, al - (size_t)(x - a) - 1);
        size_t ly = TB_MIN((size_t)*y, bl - (size_t)(y - b) - 1);
        int c = memcmp(x + 1, y + 1, TB_MIN(lx, ly));
        if (c != 0)
            return c;
        if (lx != ly)
            return lx < ly ? -1 : 1;
    }
    return na == nb ? 0 : na < nb ? -1 : 1;
}

/* NSEC: the chunk covering or matching (name, len): the entry of the
 * greatest node at or before it. */
static uint32_t nsec_cover(const struct zdb *z, const uint8_t *name, size_t len)
{
    uint32_t lo = 0, hi = z->nnodes; /* node lo <= name < node hi */

    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        const uint8_t *nd = zdb_node(z, mid);
        if (canon_cmp(z->data + zdb_ld32(nd + ZN_NAME), nd[ZN_NLEN] + 1u, name,
                      len) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    return zdb_ld32(z->ptab + (size_t)lo * 4);
}

/* NSEC3: the entry whose hash is the greatest at or before (h), or the
 * last (the chain wraps); (*match) if equal. */
static uint32_t nsec3_find(const struct zdb *z, const uint8_t *h, bool *match)
{
    uint32_t lo = 0, hi = z->pn;

    *match = false;
    if (z->pn == 0)
        return 0;
    if (memcmp(z->ptab, h, ZDB_NSEC3_HASHLEN) > 0)
        return zdb_ld32(z->ptab + (size_t)(z->pn - 1) * 24 + 20);
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (memcmp(z->ptab + (size_t)mid * 24, h, ZDB_NSEC3_HASHLEN) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    *match = memcmp(z->ptab + (size_t)lo * 24, h, ZDB_NSEC3_HASHLEN) == 0;
    return zdb_ld32(z->ptab + (size_t)lo * 24 + 20);
}

static void add(const uint8_t **out, int *n, const struct zdb *z, uint32_t c)
{
    if (c == 0 || *n >= ZDB_PROOF_MAX)
        return;
    for (int i = 0; i < *n; i++)
        if (out[i] == z->data + c)
            return;
    out[(*n)++] = z->data + c;
}

/* "*." + (ce, cl) into (w); returns its length, 0 if too long. */
static size_t wild_of(const uint8_t *ce, size_t cl, uint8_t *w)
{
    if (cl + 2 > DNS_NAME_MAXLEN)
        return 0;
    w[0] = 1;
    w[1] = '*';
    memcpy(w + 2, ce, cl);
    return cl + 2;
}

/* RFC 4035 3.1.3: NXDOMAIN (the NSEC covering the name, the one denying
 * the wildcard), NODATA (the owner's NSEC, or an empty non-terminal's
 * covering one), wildcard answer (covering the name) and wildcard
 * NODATA (both). */
static int nsec_proof(const struct zdb *z, const struct zdb_q *q, unsigned kind,
                      const uint8_t **out)
{
    uint8_t w[DNS_NAME_MAXLEN];
    size_t wl;
    int n = 0;

    if (q->idx != ZDB_NONE) {
        if (kind == ZP_NEG)
            add(out, &n, z, zdb_ld32(z->ptab + (size_t)q->idx * 4));
        return n;
    }
    add(out, &n, z, nsec_cover(z, q->name, q->nlen));
    if (kind != ZP_NEG)
        return n;
    for (unsigned i = 1; i + z->olabels <= q->nl; i++) {
        const uint8_t *s = q->name + q->offs[i];
        size_t sl = q->nlen - q->offs[i];
        if (i + z->olabels != q->nl &&
            zdb_find(z, s, sl, zdb_hash(s, sl)) == ZDB_NONE)
            continue;
        if ((wl = wild_of(s, sl, w)) != 0)
            add(out, &n, z, nsec_cover(z, w, wl));
        break;
    }
    return n;
}

/* RFC 5155 7.2: the closest provable encloser's matching NSEC3 and the
 * NSEC3 covering the next closer name (7.2.1), then for NXDOMAIN the one
 * covering the wildcard at the encloser, for wildcard NODATA the one
 * matching it (7.2.5); a wildcard answer needs only the next closer's
 * (7.2.6); NODATA the name's own (7.2.3), or for a name without one (a
 * DS query at an opt-out delegation, 7.2.4) the closest provable
 * encloser proof. */
static int nsec3_proof(const struct zdb *z, const struct zdb_q *q,
                       unsigned kind, const uint8_t **out)
{
    uint8_t h[ZDB_NSEC3_HASHLEN], prev[ZDB_NSEC3_HASHLEN] = {0};
    uint8_t w[DNS_NAME_MAXLEN];
    size_t wl;
    bool m;
    uint32_t c;
    unsigned start = 0;
    int n = 0;

    if (q->idx != ZDB_NONE && kind != ZP_NEG)
        return 0;
    /* Names below the closest encloser do not exist, so no NSEC3 matches
     * them: hashing starts at the next closer name (3 hashes for an
     * NXDOMAIN, as NSD, whatever the query name's depth). */
    for (unsigned i = 1; q->idx == ZDB_NONE && i + z->olabels <= q->nl; i++) {
        const uint8_t *s = q->name + q->offs[i];
        size_t sl = q->nlen - q->offs[i];
        if (i + z->olabels == q->nl ||
            zdb_find(z, s, sl, zdb_hash(s, sl)) != ZDB_NONE) {
            start = i - 1;
            break;
        }
    }
    for (unsigned i = start; i + z->olabels <= q->nl; i++) {
        const uint8_t *s = q->name + q->offs[i];
        size_t sl = q->nlen - q->offs[i];
        if (!zdb_nsec3_hash(s, sl, z->salt, z->saltlen, z->iter, h))
            return -1;
        c = nsec3_find(z, h, &m);
        if (!m) {
            memcpy(prev, h, sizeof(h));
            continue;
        }
        if (i == 0 && q->idx != ZDB_NONE) { /* the name's own: NODATA */
            add(out, &n, z, c);
            return n;
        }
        if (kind == ZP_NEG)
            add(out, &n, z, c);
        add(out, &n, z, nsec3_find(z, prev, &m));
        if (kind == ZP_NEG && q->idx == ZDB_NONE &&
            (wl = wild_of(s, sl, w)) != 0) {
            if (!zdb_nsec3_hash(w, wl, z->salt, z->saltlen, z->iter, h))
                return -1;
            add(out, &n, z, nsec3_find(z, h, &m));
        }
        return n;
    }
    return n;
}

int zdb_proof(const struct zdb *z, const struct zdb_q *q, unsigned kind,
              const uint8_t **out)
{
    if (z->pkind == 1)
        return nsec_proof(z, q, kind, out);
    if (z->pkind == 3)
        return nsec3_proof(z, q, kind, out);
    return 0;
}
