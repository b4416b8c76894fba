/*
 * zonedb.h -- private to lib/dns/zonedb*.c, zoneset.c and auth.c: the
 * layout of a compiled zone blob, its little-endian accessors, the name
 * hash, and the validated view the answer path reads.
 *
 * A compiled zone is one position-independent, read-only byte string (no
 * pointers, only offsets from its start; every integer little-endian, read
 * with memcpy so the blob needs no alignment):
 *
 *   +--------------------+ 0
 *   | header (96 bytes)  |  magic "TBZB", version, offsets of the rest
 *   +--------------------+
 *   | nodes[nnodes]      |  24 bytes each, canonical (RFC 4034 6.1) order:
 *   |                    |  every owner name and every empty non-terminal
 *   +--------------------+
 *   | hash[hmask + 1]    |  8 bytes each: node index + 1 (0 = empty) and
 *   |                    |  the high 32 bits of the name hash
 *   +--------------------+
 *   | ents[nents]        |  48 bytes each: one prepared response part
 *   +--------------------+
 *   | data[datalen]      |  lowercased wire names (zero-padded to a
 *   |                    |  multiple of 8 bytes), prepared sections,
 *   |                    |  fixup lists, additional-section cut lists
 *   +--------------------+
 *   | rrs[rrslen]        |  optional (ZH_RRS 0: none): every record of
 *   |                    |  the zone, for outgoing transfers (zone.h
 *   |                    |  DNS_ZONE_COMPILE_RECORDS), see "Records"
 *   +--------------------+
 *
 * An "entry" is everything after the question of one response: answer,
 * authority and additional RRs in wire form, placed right after the
 * question, whose name the client sent at offset 12.  RR owners equal to
 * the query name are the pointer 0xC00C; other names are compressed against
 * suffixes of the query name and against earlier names of the entry.  For
 * an entry whose query name length is not fixed (wildcards, negative
 * answers, referrals from below the cut) those pointers depend on the query
 * name length qlen and are listed as fixups: (u16 offset in the entry, i16
 * add), and the pointer written is 0xC000 | (qlen + add).
 *
 * dns_zone_open() validates every offset, count and index of a blob it did
 * not build; after that the answer path only reads in bounds, whatever the
 * bytes say (a hostile blob can make wrong answers, never a crash).
 */
#ifndef DNS_ZONEDB_H
#define DNS_ZONEDB_H

#include <tibra/dns.h>

#define ZDB_MAGIC    0x425a4254u /* "TBZB" as little-endian bytes */
#define ZDB_VERSION  1
#define ZDB_HDR_LEN  96
#define ZDB_NODE_LEN 24
#define ZDB_SLOT_LEN 8
#define ZDB_ENT_LEN  48
#define ZDB_NONE     0xffffffffu
#define ZDB_SEED     0x7469627261646e73ull /* "tibradns" */

/* Header fields (byte offsets). */
enum {
    ZH_MAGIC = 0, /* u32 */
    ZH_VERSION = 4, /* u16 */
    ZH_HDRLEN = 6, /* u16, >= 96; later versions may grow it */
    ZH_TOTAL = 8, /* u32, length of the whole blob */
    ZH_FLAGS = 12, /* u32, ZF_* */
    ZH_ORIGIN = 16, /* u32, data offset of the lowercased origin */
    ZH_OLEN = 20, /* u16 origin length */
    ZH_CLASS = 22, /* u16 */
    ZH_NNODES = 24, /* u32 */
    ZH_NODES = 28, /* u32 offset */
    ZH_HMASK = 32, /* u32, slots - 1, slots a power of two */
    ZH_HASH = 36, /* u32 offset */
    ZH_NENTS = 40, /* u32 */
    ZH_ENTS = 44, /* u32 offset */
    ZH_DATA = 48, /* u32 offset */
    ZH_DATALEN = 52, /* u32 */
    ZH_NXDOMAIN = 56, /* u32 entry: the zone's NXDOMAIN (variable) */
    ZH_NODATA = 60, /* u32 entry: the zone's NODATA (variable) */
    ZH_SERIAL = 64, /* u32 SOA serial, for transfers later */
    ZH_OLABELS = 68, /* u8 labels of the origin */
    /* 69..71 reserved, zero */
    ZH_RRS = 72, /* u32 offset of the records section, 0 = none */
    ZH_RRSLEN = 76, /* u32 its length */
    ZH_NRRS = 80, /* u32 records in it */
    ZH_SOARR = 84, /* u32 offset of the apex SOA in it */
    ZH_PROOF = 88, /* u32 data offset of the denial table, 0 = none */
    /* 92..95 reserved, zero */
};
#define ZF_SIGNED 0x1u /* the zone holds RRSIGs: DO entries differ */

/* Node fields. */
enum {
    ZN_NAME = 0, /* u32 data offset of the lowercased wire name */
    ZN_NLEN = 4, /* u8 name length - 1 (names are 1..255 bytes) */
    ZN_LABELS = 5, /* u8 */
    ZN_FLAGS = 6, /* u16 ZNF_* */
    ZN_ENT = 8, /* u32 first entry */
    ZN_NENT = 12, /* u16 entries, by type; type 0 = any other type */
    ZN_PAD = 14, /* u16 zero */
    ZN_REDIR = 16, /* u32 topmost cut or DNAME redirecting this node */
    ZN_WILD = 20, /* u32 node "*.<this name>", or ZDB_NONE */
};
#define ZNF_APEX  0x1u
#define ZNF_CUT   0x2u /* NS here and not the apex: a delegation */
#define ZNF_DNAME 0x4u
#define ZNF_CNAME 0x8u
#define ZNF_WILD  0x10u /* first label is "*" */
#define ZNF_ENT   0x20u /* empty non-terminal: no RRs */
#define ZNF_REFERRAL                                                           \
    0x40u /* a cut: entry (ZN_ENT + ZN_NENT) is its referral                   \
           */

/* Entry fields.  The first 10 bytes are ready-made header bytes (big-
 * endian, as on the wire): QDCOUNT..ARCOUNT, then the flags. */
enum {
    ZE_COUNTS = 0, /* 8 bytes BE: QDCOUNT 1, ANCOUNT, NSCOUNT, ARCOUNT */
    ZE_HFLAGS = 8, /* u16 BE: QR, AA, RCODE */
    ZE_TYPE = 10, /* u16 qtype it answers, 0 = default */
    ZE_OFF = 12, /* u32 data offset of the sections */
    ZE_LEN = 16, /* u32 their length */
    ZE_MINLEN = 20, /* u32 answer + authority length */
    ZE_FIX = 24, /* u32 data offset of nfix (u16 off, i16 add) */
    ZE_CUTS = 28, /* u32 data offset of ncut (u32 end, u16 rrs, u16 0) */
    ZE_NFIX = 32, /* u16 */
    ZE_NCUT = 34, /* u16 additional RRsets, in order */
    ZE_NREQ = 36, /* u16 of which the first nreq are required (glue) */
    ZE_PROOF = 38, /* u16 ZP_*: DO entries that need a denial proof
                      made at query time (zero in older blobs) */
    ZE_DO = 40, /* u32 entry to use instead when DO is set */
    ZE_ALT = 44, /* u32 data offset of a wildcard alternative, or 0 */
};

#define ZP_NEG  1u /* the zone's NXDOMAIN/NODATA: NSEC/NSEC3 denial */
#define ZP_WILD 2u /* a wildcard's answer: the qname does not exist */

/*
 * Denial of existence (ZH_PROOF, 0 in unsigned zones and older blobs):
 * what a signed zone's DO answers need that depends on the query name
 * (RFC 4035 3.1.3, RFC 5155 7.2), found at query time
 * (zonedb_proof.c) and appended to the authority section of a DO entry
 * whose ZE_PROOF is set.  At the data offset ZH_PROOF:
 *
 *   u8 kind (1 NSEC, 3 NSEC3) | u8 salt length | u16 iterations |
 *   u32 n | salt, zero-padded to 8 | table
 *
 * NSEC: n = nnodes, u32 per node: the data offset of the chunk of the
 * NSEC owned by the greatest name at or before the node in canonical
 * order (the NSEC covering or matching it), 0 = none.
 * NSEC3: n entries of 24 bytes, sorted: the 20-byte SHA-1 hash of an
 * NSEC3 owner (its first label, base32hex-decoded) | u32 its chunk.
 *
 * A chunk is an RRset ready to copy: u16 RRs | u16 length | the NSEC or
 * NSEC3 records and their RRSIGs, owner names uncompressed.
 */
#define ZDB_NSEC3_HASHLEN 20
#define ZDB_NSEC3_MAXITER 2500 /* RFC 5155 10.3, for 4096-bit keys */

/*
 * A wildcard alternative (ZE_ALT, 0 in nearly every entry): an entry to
 * use instead of this one when it is reached by wildcard synthesis (RFC
 * 4592) for a query name equal to the name here, or for any name when
 * the name is empty.  A CNAME chain that loops back to its own wildcard
 * differs for one query name (zonedb_answer.c, plan_wild_alt()).  Older
 * blobs have 0 there: reserved bytes, zero.
 *
 *   u32 entry | u8 name length (0: any) | 3 zero | name, zero-padded to 8
 */

/*
 * Records (the optional section ZH_RRS, for AXFR/IXFR out, xfr.c): every
 * RR of the zone once, in the compiler's order -- nodes in canonical
 * order, then type, then rdata as bytes -- each
 *
 *   u32 node | u16 type | u16 rdlen | u32 ttl | rdata (uncompressed wire)
 *
 * The owner is the node's (lowercased) name; the class is the zone's.
 * Old blobs have zeros in ZH_RRS..ZH_SOARR: no transfers from them.
 * zdb_open() checks every record (node in range, rdata well formed for
 * its type: the transfer writer compresses names inside it).
 */
enum { ZR_NODE = 0, ZR_TYPE = 4, ZR_RDLEN = 6, ZR_TTL = 8, ZR_RDATA = 12 };

/* Names in the blob are followed by zeros up to a multiple of 8. */
#define ZDB_PAD(n) (((size_t)(n) + 7) & ~(size_t)7)

/* Little-endian loads and stores, alignment-free. */
static inline uint16_t zdb_ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (uint16_t)p[1] << 8);
}
static inline uint32_t zdb_ld32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}
static inline uint64_t zdb_ld64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}
static inline void zdb_st16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void zdb_st32(uint8_t *p, uint32_t v)
{
    zdb_st16(p, (uint16_t)v);
    zdb_st16(p + 2, (uint16_t)(v >> 16));
}

/*
 * The name hash of the blob format (part of it: never change it without a
 * version bump).  (p) holds (n) bytes followed by zero bytes up to the next
 * multiple of 8; words are read little-endian.
 */
static inline uint64_t zdb_hash_final(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 29);
}
static inline uint64_t zdb_hash(const uint8_t *p, size_t n)
{
    uint64_t h = ZDB_SEED ^ n;

    for (size_t i = 0; i < n; i += 8)
        h = (h ^ zdb_ld64(p + i)) * 0x9e3779b97f4a7c15ull;
    return zdb_hash_final(h);
}

/* Lowercases ASCII A-Z in (n) bytes of a wire name, 8 at a time.  Label
 * length bytes are < 64 and never letters, so the whole name can be
 * treated as text.  (p) MUST be padded to a multiple of 8. */
static inline void zdb_lower(uint8_t *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull;
    for (size_t i = 0; i < n; i += 8) {
        uint64_t x, h, a, z;
        memcpy(&x, p + i, 8);
        h = x & (0x7f * ones);
        a = h + (0x80 - 'A') * ones; /* high bit: >= 'A' */
        z = h + (0x80 - 'Z' - 1) * ones; /* high bit: > 'Z' */
        x |= ((a ^ z) & ~x & (0x80 * ones)) >> 2;
        memcpy(p + i, &x, 8);
    }
}

/* True if the zero-padded names (a) and (b) of length (n) are equal:
 * padded to whole words, they compare a word at a time. */
static inline bool zdb_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint64_t d = 0, x, y;

    for (size_t i = 0; i < n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);
        d |= x ^ y;
    }
    return d == 0;
}

/* A validated compiled zone (see dns_zone_open); fields are private. */
struct zdb {
    const uint8_t *blob;
    const uint8_t *nodes;
    const uint8_t *hash;
    const uint8_t *ents;
    const uint8_t *data;
    const uint8_t *origin; /* lowercased wire name, in data */
    const uint8_t *rrs; /* the records section, NULL: none */
    uint32_t rrslen, nrrs, soarr;
    uint32_t total, nnodes, hmask, nents, datalen, nxdomain, nodata;
    uint32_t flags;
    uint16_t olen, rclass;
    uint8_t olabels;
    /* denial (ZH_PROOF): kind 0 none, 1 NSEC, 3 NSEC3 */
    uint8_t pkind, saltlen;
    uint16_t iter;
    uint32_t pn;
    const uint8_t *salt, *ptab;
};

/* Node (idx) of (z) whose name equals the lowercased, zero-padded (name,
 * len) with hash (h), or ZDB_NONE.  Probing ends: zdb_open() made sure
 * that a slot is empty, and the count bounds it anyway. */
static inline uint32_t zdb_find(const struct zdb *z, const uint8_t *name,
                                size_t len, uint64_t h)
{
    uint32_t i = (uint32_t)h & z->hmask, tag = (uint32_t)(h >> 32);

    for (uint32_t n = 0; n <= z->hmask; n++) {
        uint64_t s = zdb_ld64(z->hash + (size_t)i * ZDB_SLOT_LEN);
        uint32_t idx = (uint32_t)s;
        if (idx == 0)
            return ZDB_NONE;
        if ((uint32_t)(s >> 32) == tag) {
            const uint8_t *nd = z->nodes + (size_t)(idx - 1) * ZDB_NODE_LEN;
            if ((size_t)nd[ZN_NLEN] + 1 == len &&
                zdb_eq(z->data + zdb_ld32(nd + ZN_NAME), name, len))
                return idx - 1;
        }
        i = (i + 1) & z->hmask;
    }
    return ZDB_NONE;
}

static inline const uint8_t *zdb_node(const struct zdb *z, uint32_t i)
{
    return z->nodes + (size_t)i * ZDB_NODE_LEN;
}
static inline const uint8_t *zdb_ent(const struct zdb *z, uint32_t i)
{
    return z->ents + (size_t)i * ZDB_ENT_LEN;
}

/* Validates (blob, len) and fills (z).  0, TB_EMALF, TB_ENOTSUP (other
 * version). */
int zdb_open(struct zdb *z, const void *blob, size_t len);

/* The NSEC3 hash (RFC 5155 5) of the lowercased wire name (name, len)
 * with (salt, saltlen) and (iter) extra iterations into (out).  False if
 * this program has no SHA-1 (BearSSL not linked: guests). */
bool zdb_nsec3_hash(const uint8_t *name, size_t len, const uint8_t *salt,
                    unsigned saltlen, unsigned iter,
                    uint8_t out[ZDB_NSEC3_HASHLEN]);

/* Checks the denial table of (z) (zdb_open).  0 or TB_EMALF. */
int zdb_proof_open(struct zdb *z, const uint8_t *b);

/* A query as zdb_proof() needs it: the lowercased zero-padded name,
 * its length, its label offsets and count, its node or ZDB_NONE. */
struct zdb_q {
    const uint8_t *name, *offs;
    size_t nlen;
    unsigned nl;
    uint32_t idx;
};

#define ZDB_PROOF_MAX 4
/* The chunks (zonedb.h "Denial") that the DO entry with ZE_PROOF (kind)
 * needs for query (q) of zone (z), at most ZDB_PROOF_MAX, distinct, into
 * (out); returns how many, or -1 when they cannot be made (no SHA-1). */
int zdb_proof(const struct zdb *z, const struct zdb_q *q, unsigned kind,
              const uint8_t **out);

/*
 * The RFC 1035 types whose rdata names are compressed in answers (RFC
 * 3597 4): (*pre) bytes, then (*names) names, then the rest as it is.
 * Returns false for every other type (rdata copied unchanged).  Used when
 * compiling answers (zonedb_answer.c) and when relocating them for DNAME
 * synthesis (auth.c), which must agree.
 */
static inline bool zdb_comp_layout(uint16_t type, size_t *pre, unsigned *names)
{
    switch (type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_MD:
    case DNS_TYPE_MF:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_MB:
    case DNS_TYPE_MG:
    case DNS_TYPE_MR:
    case DNS_TYPE_PTR:
        *pre = 0, *names = 1;
        return true;
    case DNS_TYPE_SOA:
    case DNS_TYPE_MINFO:
        *pre = 0, *names = 2;
        return true;
    case DNS_TYPE_MX:
        *pre = 2, *names = 1;
        return true;
    default:
        return false;
    }
}

#endif /* DNS_ZONEDB_H */
