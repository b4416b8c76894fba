/*
 * zonedb_int.h -- private to the zone compiler (zonedb_compile.c builds
 * the node table, zonedb_answer.c decides and renders the prepared
 * responses).  Cold path: everything here allocates through the zone's
 * struct tb_alloc.
 */
#ifndef DNS_ZONEDB_INT_H
#define DNS_ZONEDB_INT_H

#include "zonedb.h"

/* A node being compiled: a name of the zone (owner or empty
 * non-terminal) with its RRsets rs[rs .. rs + nrs). */
struct cnode {
    uint32_t name; /* offset of the lowercased name in cc.names */
    uint16_t nlen;
    uint8_t labels;
    uint16_t flags; /* ZNF_* */
    uint32_t rs, nrs;
    uint32_t redir, wild; /* node indices or ZDB_NONE */
    uint32_t parent; /* node index (ZDB_NONE for the apex) */
    uint32_t top; /* topmost cut or DNAME at or above this node, below
                     the apex, or ZDB_NONE (link_nodes only) */
    uint32_t ent;
    uint16_t nent;
};

/* An RRset: records ord[first .. first + n) of the sorted zone. */
struct crs {
    uint16_t type;
    uint32_t first, n;
};

/* The compression table of the entry being rendered: names already in
 * the message and where they are (pointer = qlen + add). */
#define CT_MAX 128
struct ctab {
    struct {
        uint8_t name[DNS_NAME_MAXLEN]; /* lowercased */
        uint8_t len;
        int32_t add;
    } e[CT_MAX];
    unsigned n;
};

struct cc {
    const struct dns_zone_src *z;
    struct dns_diag *diag;
    const struct tb_alloc *a;
    uint8_t origin[DNS_NAME_MAXLEN]; /* lowercased */
    size_t olen;
    unsigned olabels;
    uint16_t rclass;
    uint32_t zflags;
    unsigned cflags; /* DNS_ZONE_COMPILE_* */
    uint32_t *ord; /* record indices, sorted, duplicates removed */
    size_t nrr;
    struct cnode *nodes;
    size_t nn, nodes_cap;
    struct crs *rs;
    size_t nrs, rs_cap;
    uint64_t *slots; /* node index + 1 | hash tag << 32; 0 = empty */
    uint32_t hmask;
    /* The data section: the node names (all made before anything is
     * rendered), then the rendered sections at offset names.len on. */
    struct tb_buf names, ents, data;
    struct tb_buf fix, cuts; /* scratch of the entry being rendered */
    uint32_t nents, nxdomain, nodata;
    struct ctab *ctab;
    /* DNSSEC denial (zonedb_dnssec.c): kind 0 none, 1 NSEC, 3 NSEC3;
     * NSEC3's parameters and owners sorted by hash. */
    uint8_t pkind, saltlen;
    uint16_t iter;
    uint8_t salt[255];
    struct cn3 {
        uint8_t h[ZDB_NSEC3_HASHLEN];
        uint32_t node;
    } * n3;
    size_t nn3;
    uint32_t proof; /* blob data offset of the denial table, 0 = none */
};

static inline const uint8_t *cc_name(const struct cc *c, const struct cnode *n)
{
    return c->names.data + n->name;
}
static inline const struct dns_zrr *cc_rr(const struct cc *c, uint32_t i)
{
    return &c->z->rr[c->ord[i]];
}

/* Node (index) with lowercased name (name, len), or ZDB_NONE. */
uint32_t cc_find(const struct cc *c, const uint8_t *name, size_t len);
/* Cache hints for the node (m) about to be compiled: stage 0 its rdata,
 * 1..4 the hash slot, node, name and RRsets, then the records of its NS,
 * CNAME, MX and SRV targets (each stage needs the previous one done a
 * while before). */
void cc_prefetch(const struct cc *c, uint32_t m, unsigned stage);
const struct crs *cc_rrset(const struct cc *c, uint32_t n, uint16_t type);
/* Decides and renders every entry; sets node ranges, nxdomain, nodata. */
int cc_answers(struct cc *c);

/* zonedb_dnssec.c.  Before cc_answers(): finds the zone's denial kind
 * and NSEC3 parameters and sorts its NSEC3 owners.  0, TB_ENOMEM,
 * TB_ESEMANTIC (NSEC3 this program cannot hash, iterations over
 * ZDB_NSEC3_MAXITER). */
int cc_dnssec_index(struct cc *c);
/* NSEC3 owner node whose hash is the greatest at or before that of
 * (name, len) (wrapping), (*match) if equal; ZDB_NONE if none. */
uint32_t cc_nsec3_find(const struct cc *c, const uint8_t *name, size_t len,
                       bool *match);
/* NSEC: the node whose NSEC covers or matches (name, len) (the nearest
 * at or before it in canonical order that has one), or ZDB_NONE. */
uint32_t cc_nsec_cover(const struct cc *c, const uint8_t *name, size_t len);
/* After cc_answers(): the chunks and the denial table (c->proof). */
int cc_proofs(struct cc *c);
/* Renders the RRset (node, type) and its RRSIGs as a chunk at the end
 * of the data section; its blob data offset in (*off). */
int cc_render_chunk(struct cc *c, uint32_t node, uint16_t type, uint32_t *off);

#endif /* DNS_ZONEDB_INT_H */
