/*
 * zonedb.c -- validation of compiled zone blobs (layout in zonedb.h).
 * dns_zone_compile() -> blob -> [file, image] -> dns_zone_open() /
 * dns_zoneset_build() -> zdb_open() here -> struct zdb for auth.c.
 *
 * A blob is untrusted: it may be read from a file or an image built
 * elsewhere.  zdb_open() checks, once and in O(len), everything the answer
 * path relies on for memory safety: every offset and length within the
 * blob, every node and entry index in range, names well-formed, at least
 * one empty hash slot (so probing ends), fixups and cut lists inside their
 * entries.  It does not prove that the prepared sections are sensible DNS:
 * a forged blob can make wrong answers, never out-of-bounds accesses.
 */
#include "zonedb.h"

/* True if [off, off + len) lies within [0, total). */
static bool in(uint64_t off, uint64_t len, uint64_t total)
{
    return off <= total && len <= total - off;
}

static bool name_ok(const uint8_t *p, size_t len)
{
    size_t i = 0;

    while (i < len) {
        uint8_t c = p[i];
        if (c == 0)
            return i + 1 == len;
        if (c > DNS_LABEL_MAXLEN)
            return false;
        i += (size_t)c + 1;
    }
    return false;
}

static int check_ent(const struct zdb *z, uint32_t e)
{
    const uint8_t *en = zdb_ent(z, e);
    uint32_t off = zdb_ld32(en + ZE_OFF), len = zdb_ld32(en + ZE_LEN);
    uint32_t nfix = zdb_ld16(en + ZE_NFIX), fix = zdb_ld32(en + ZE_FIX);
    uint32_t ncut = zdb_ld16(en + ZE_NCUT), cuts = zdb_ld32(en + ZE_CUTS);
    uint32_t prev, alt;

    if (!in(off, len, z->datalen) || len > DNS_MSG_MAXLEN ||
        zdb_ld32(en + ZE_MINLEN) > len)
        return TB_EMALF;
    if (!in(fix, (uint64_t)nfix * 4, z->datalen) ||
        !in(cuts, (uint64_t)ncut * 8, z->datalen) ||
        zdb_ld16(en + ZE_NREQ) > ncut || zdb_ld32(en + ZE_DO) >= z->nents)
        return TB_EMALF;
    for (uint32_t i = 0; i < nfix; i++)
        if ((uint32_t)zdb_ld16(z->data + fix + 4 * i) + 2 > len)
            return TB_EMALF;
    if ((alt = zdb_ld32(en + ZE_ALT)) != 0 &&
        (!in(alt, 8, z->datalen) || zdb_ld32(z->data + alt) >= z->nents ||
         !in((uint64_t)alt + 8, ZDB_PAD(z->data[alt + 4]), z->datalen)))
        return TB_EMALF;
    prev = zdb_ld32(en + ZE_MINLEN);
    for (uint32_t i = 0; i < ncut; i++) {
        uint32_t end = zdb_ld32(z->data + cuts + 8 * i);
        if (end < prev || end > len)
            return TB_EMALF;
        prev = end;
    }
    return 0;
}

static int check_node(const struct zdb *z, uint32_t i)
{
    const uint8_t *nd = zdb_node(z, i);
    uint32_t name = zdb_ld32(nd + ZN_NAME), nlen = nd[ZN_NLEN] + 1u;
    uint32_t ent = zdb_ld32(nd + ZN_ENT), nent = zdb_ld16(nd + ZN_NENT);
    uint32_t redir = zdb_ld32(nd + ZN_REDIR), wild = zdb_ld32(nd + ZN_WILD);

    if (!in(name, ZDB_PAD(nlen), z->datalen) || !name_ok(z->data + name, nlen))
        return TB_EMALF;
    /* A cut keeps its referral entry just after its own entries. */
    if (zdb_ld16(nd + ZN_FLAGS) & ZNF_REFERRAL)
        nent++;
    if (!in(ent, nent, z->nents))
        return TB_EMALF;
    if ((redir != ZDB_NONE && redir >= z->nnodes) ||
        (wild != ZDB_NONE && wild >= z->nnodes))
        return TB_EMALF;
    if (redir != ZDB_NONE &&
        !(zdb_ld16(zdb_node(z, redir) + ZN_FLAGS) & ZNF_REFERRAL) &&
        !(zdb_ld16(zdb_node(z, redir) + ZN_FLAGS) & ZNF_DNAME))
        return TB_EMALF;
    return 0;
}

/* The optional records section: every record in bounds, owners in the
 * node table, rdata well formed, the SOA where the header says. */
static int check_rrs(struct zdb *z, const uint8_t *b, uint32_t hdrlen)
{
    uint32_t off = zdb_ld32(b + ZH_RRS), len = zdb_ld32(b + ZH_RRSLEN);
    uint32_t n = zdb_ld32(b + ZH_NRRS), soa = zdb_ld32(b + ZH_SOARR), p = 0;
    bool soa_ok = false;

    if (off == 0)
        return len == 0 && n == 0 && soa == 0 ? 0 : TB_EMALF;
    if (off < hdrlen || !in(off, len, z->total) || n > len / ZR_RDATA)
        return TB_EMALF;
    z->rrs = b + off;
    z->rrslen = len;
    z->nrrs = n;
    z->soarr = soa;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *r = z->rrs + p;
        uint32_t rdlen;
        if (len - p < ZR_RDATA)
            return TB_EMALF;
        rdlen = zdb_ld16(r + ZR_RDLEN);
        if (len - p - ZR_RDATA < rdlen || zdb_ld32(r + ZR_NODE) >= z->nnodes ||
            dns_rdata_check(zdb_ld16(r + ZR_TYPE), r + ZR_RDATA, rdlen) != 0)
            return TB_EMALF;
        if (p == soa && zdb_ld16(r + ZR_TYPE) == DNS_TYPE_SOA &&
            zdb_ld32(r + ZR_NODE) == 0)
            soa_ok = true;
        p += ZR_RDATA + rdlen;
    }
    return p == len && soa_ok ? 0 : TB_EMALF;
}

int zdb_open(struct zdb *z, const void *blob, size_t len)
{
    const uint8_t *b = blob;
    uint32_t hdrlen, nodes, hash, ents, data, empty = 0;
    int err;

    if (len < ZDB_HDR_LEN || zdb_ld32(b + ZH_MAGIC) != ZDB_MAGIC)
        return TB_EMALF;
    if (zdb_ld16(b + ZH_VERSION) != ZDB_VERSION)
        return TB_ENOTSUP;
    hdrlen = zdb_ld16(b + ZH_HDRLEN);
    if (hdrlen < ZDB_HDR_LEN || zdb_ld32(b + ZH_TOTAL) != len ||
        len > 0xffffffffu)
        return TB_EMALF;
    memset(z, 0, sizeof(*z));
    z->blob = b;
    z->total = (uint32_t)len;
    z->flags = zdb_ld32(b + ZH_FLAGS);
    z->nnodes = zdb_ld32(b + ZH_NNODES);
    z->hmask = zdb_ld32(b + ZH_HMASK);
    z->nents = zdb_ld32(b + ZH_NENTS);
    z->datalen = zdb_ld32(b + ZH_DATALEN);
    z->nxdomain = zdb_ld32(b + ZH_NXDOMAIN);
    z->nodata = zdb_ld32(b + ZH_NODATA);
    z->olen = zdb_ld16(b + ZH_OLEN);
    z->rclass = zdb_ld16(b + ZH_CLASS);
    nodes = zdb_ld32(b + ZH_NODES);
    hash = zdb_ld32(b + ZH_HASH);
    ents = zdb_ld32(b + ZH_ENTS);
    data = zdb_ld32(b + ZH_DATA);
    if ((z->hmask & (z->hmask + 1)) != 0 || z->hmask == 0xffffffffu ||
        z->nnodes == 0 || z->nnodes == ZDB_NONE ||
        !in(nodes, (uint64_t)z->nnodes * ZDB_NODE_LEN, len) ||
        !in(hash, ((uint64_t)z->hmask + 1) * ZDB_SLOT_LEN, len) ||
        !in(ents, (uint64_t)z->nents * ZDB_ENT_LEN, len) ||
        !in(data, z->datalen, len) || nodes < hdrlen || hash < hdrlen ||
        ents < hdrlen || data < hdrlen)
        return TB_EMALF;
    z->nodes = b + nodes;
    z->hash = b + hash;
    z->ents = b + ents;
    z->data = b + data;
    if (z->nxdomain >= z->nents || z->nodata >= z->nents ||
        !in(zdb_ld32(b + ZH_ORIGIN), ZDB_PAD(z->olen), z->datalen) ||
        z->olen == 0 || z->olen > DNS_NAME_MAXLEN)
        return TB_EMALF;
    z->origin = z->data + zdb_ld32(b + ZH_ORIGIN);
    if (!name_ok(z->origin, z->olen))
        return TB_EMALF;
    /* The label count the answer path trusts is counted, not read. */
    z->olabels = 0;
    for (const uint8_t *p = z->origin; *p != 0; p += *p + 1)
        z->olabels++;
    for (uint32_t i = 0; i <= z->hmask; i++) {
        uint32_t idx = (uint32_t)zdb_ld64(z->hash + (size_t)i * ZDB_SLOT_LEN);
        if (idx == 0)
            empty++;
        else if (idx > z->nnodes)
            return TB_EMALF;
    }
    if (empty == 0)
        return TB_EMALF;
    if ((err = check_rrs(z, b, hdrlen)) != 0)
        return err;
    if ((err = zdb_proof_open(z, b)) != 0)
        return err;
    for (uint32_t i = 0; i < z->nnodes; i++)
        if ((err = check_node(z, i)) != 0)
            return err;
    for (uint32_t i = 0; i < z->nents; i++)
        if ((err = check_ent(z, i)) != 0)
            return err;
    return 0;
}

int dns_zone_open(const void *blob, size_t len, const uint8_t **origin,
                  uint32_t *serial)
{
    struct zdb z;
    int err = zdb_open(&z, blob, len);

    if (err != 0)
        return err;
    if (origin != NULL)
        *origin = z.origin;
    if (serial != NULL)
        *serial = zdb_ld32(z.blob + ZH_SERIAL);
    return 0;
}
