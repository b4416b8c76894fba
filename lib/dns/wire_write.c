/*
 * wire_write.c -- the DNS message writer: auth engine -> dns_writer_* ->
 * udp/tcp output.  Writes into a caller buffer under a size limit (the
 * client's UDP payload size, or 65535 on TCP), compresses names (RFC 1035
 * 4.1.4) against every name already written, appends the EDNS(0) OPT RR,
 * and rolls an RR back completely when it does not fit so the caller can
 * set TC.  It never allocates and never reads untrusted bytes: names and
 * rdata come from the zone compiler or from the validating parsers.
 *
 * Compression table: an open-addressing hash table of DNS_WRITER_SLOTS
 * slots, one per name suffix written uncompressed at an offset below
 * 0x4000 (the pointer range), keyed by a cheap hash of the suffix (its
 * size, label count and first 8 bytes, case folded).  A lookup probes the
 * new name's suffixes longest first and confirms a candidate by walking
 * the written name (through its own pointers) case-insensitively.  Insertions
 * are logged in order, so a rollback removes them last-in first-out, which
 * restores linear probing exactly.
 */
#include <tibra/dns.h>

#include "wire_priv.h"

#define PTR_MAX 0x3fff /* largest offset a pointer can hold */

static inline uint8_t lower(uint8_t c)
{
    return (uint8_t)((unsigned)(c - 'A') < 26u ? c + 32 : c);
}

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap,
                     uint16_t id, uint16_t flags)
{
    if (cap > DNS_MSG_MAXLEN)
        cap = DNS_MSG_MAXLEN;
    if (NEVER(cap < DNS_HDR_LEN))
        cap = DNS_HDR_LEN; /* contract broken: keep the writer safe */
    w->buf = buf;
    w->cap = cap;
    w->reserve = 0;
    w->len = DNS_HDR_LEN;
    memset(w->count, 0, sizeof(w->count));
    w->sec = DNS_SEC_ANSWER;
    w->nnames = 0;
    w->qlen = 0;
    memset(w->slot, 0, sizeof(w->slot));
    tb_put16(buf, id);
    tb_put16(buf + 2, flags);
    memset(buf + 4, 0, 8);
}

void dns_writer_set_flags(struct dns_writer *w, uint16_t flags)
{
    tb_put16(w->buf + 2, flags);
}

int dns_writer_reserve(struct dns_writer *w, size_t n)
{
    if (n > w->cap - w->len)
        return TB_ESPACE;
    w->reserve = n;
    return 0;
}

void dns_writer_section(struct dns_writer *w, enum dns_section sec)
{
    if (ALWAYS((unsigned)sec >= w->sec))
        w->sec = (unsigned)sec;
}

/* True if the name written at (off) in (buf) equals (s), ignoring case:
 * label by label, exact bytes first (the usual case), folded if not. */
static bool match(const uint8_t *buf, size_t off, const uint8_t *s)
{
    for (;;) {
        unsigned c = buf[off];
        if (c >= 0xc0) {
            off = (size_t)(c & 0x3f) << 8 | buf[off + 1];
            continue;
        }
        if (c != *s)
            return false;
        if (c == 0)
            return true;
        if (memcmp(buf + off + 1, s + 1, c) != 0)
            for (unsigned i = 1; i <= c; i++)
                if (lower(buf[off + i]) != lower(s[i]))
                    return false;
        off += c + 1;
        s += c + 1;
    }
}

/*
 * Hash of a name suffix (s) of (slen) bytes and (labels) labels, with
 * (before) bytes of its name readable before it: its first (up to) 8
 * bytes folded to lower case, mixed with its size.  Cheap, and
 * the same for every spelling of the suffix; match() settles collisions.
 */
static inline uint32_t suffix_hash(const uint8_t *s, size_t slen, size_t before,
                                   unsigned labels)
{
    uint64_t w = 0;

    if (slen >= 8) {
        memcpy(&w, s, 8);
    } else if (before + slen >= 8) {
        /* the 8 bytes ending with the suffix, the earlier ones shifted
         * out: the same value as the loop below on little-endian hosts
         * (elsewhere only tiny names hash differently: less compression,
         * never a wrong pointer) */
        memcpy(&w, s + slen - 8, 8);
        w >>= 8 * (8 - slen);
    } else {
        for (size_t i = 0; i < slen; i++)
            w |= (uint64_t)s[i] << (8 * i);
    }
    w = dns_wire_lower8(w) ^ ((uint64_t)slen << 56 | (uint64_t)labels << 48);
    w *= 0x9e3779b97f4a7c15ull;
    return (uint32_t)(w >> 32);
}

/* Remembers that the suffix hashed to (h) starts at (off). */
static void remember(struct dns_writer *w, uint32_t h, size_t off)
{
    unsigned i = h & (DNS_WRITER_SLOTS - 1);

    if (off > PTR_MAX || w->nnames >= DNS_WRITER_NAMES)
        return;
    while (w->slot[i].off != 0)
        i = (i + 1) & (DNS_WRITER_SLOTS - 1);
    w->slot[i].off = (uint16_t)off;
    w->slot[i].tag = (uint16_t)(h >> 16);
    w->ins[w->nnames++] = (uint8_t)i;
}

/* Offset of an earlier copy of suffix (s) hashed to (h), or 0. */
static size_t find(const struct dns_writer *w, uint32_t h, const uint8_t *s)
{
    unsigned i = h & (DNS_WRITER_SLOTS - 1);

    while (w->slot[i].off != 0) {
        if (w->slot[i].tag == (uint16_t)(h >> 16) &&
            match(w->buf, w->slot[i].off, s))
            return w->slot[i].off;
        i = (i + 1) & (DNS_WRITER_SLOTS - 1);
    }
    return 0;
}

/*
 * Writes the trusted wire name (name) at w->len, compressed, within
 * (limit): the longest suffix already in the message becomes a pointer.
 * Returns 0 or TB_ESPACE (then nothing was written or remembered).
 */
static int put_name(struct dns_writer *w, const uint8_t *name, size_t limit)
{
    uint8_t lab[128];
    uint32_t h[128];
    unsigned k = 0, i;
    size_t len = 0, target = 0, n;

    while (name[len] != 0) {
        lab[k++] = (uint8_t)len;
        len += name[len] + 1u;
    }
    len++; /* the root label */
    if (len == w->qlen && k > 0 &&
        memcmp(name, w->buf + DNS_HDR_LEN, len) == 0) {
        /* the most common owner: the question name, byte for byte */
        if (limit - w->len < 2)
            return TB_ESPACE;
        tb_put16(w->buf + w->len, 0xc000 | DNS_HDR_LEN);
        w->len += 2;
        return 0;
    }
    for (i = 0; i < k; i++) {
        h[i] = suffix_hash(name + lab[i], len - lab[i], lab[i], k - i);
        if (w->nnames > 0 && (target = find(w, h[i], name + lab[i])) != 0)
            break;
    }
    n = i < k ? lab[i] + 2u : len; /* bytes to write */
    if (limit - w->len < n)
        return TB_ESPACE;
    if (i < k) {
        memcpy(w->buf + w->len, name, lab[i]);
        tb_put16(w->buf + w->len + lab[i], (uint16_t)(0xc000 | target));
    } else {
        memcpy(w->buf + w->len, name, len);
    }
    for (unsigned j = 0; j < i; j++)
        remember(w, h[j], w->len + lab[j]);
    w->len += n;
    return 0;
}

/* Undoes everything written and remembered since (len, nnames). */
static void rollback(struct dns_writer *w, size_t len, unsigned nnames)
{
    while (w->nnames > nnames) {
        unsigned i = w->ins[--w->nnames];
        w->slot[i].off = 0;
        w->slot[i].tag = 0; /* as dns_writer_init left it */
    }
    w->len = len;
}

int dns_writer_question(struct dns_writer *w, const uint8_t *qname,
                        uint16_t qtype, uint16_t qclass)
{
    size_t len = w->len, limit = w->cap - w->reserve;
    unsigned nnames = w->nnames;

    if (NEVER(w->count[1] | w->count[2] | w->count[3]))
        return TB_EINVAL;
    if (put_name(w, qname, limit) != 0 || limit - w->len < 4) {
        rollback(w, len, nnames);
        return TB_ESPACE;
    }
    if (len == DNS_HDR_LEN)
        w->qlen = (uint16_t)(w->len - len); /* written uncompressed */
    tb_put16(w->buf + w->len, qtype);
    tb_put16(w->buf + w->len + 2, qclass);
    w->len += 4;
    w->count[DNS_SEC_QUESTION]++;
    return 0;
}

/*
 * Writes the rdata of a type that compresses (RFC 1035 3.3): its names
 * go through put_name, fixed fields are copied.  Returns 0, TB_ESPACE or
 * TB_EINVAL (rdata not of the type's shape: the contract was broken).
 */
static int put_rdata_compressed(struct dns_writer *w, uint16_t type,
                                const uint8_t *rd, size_t rdlen, size_t limit)
{
    size_t p = 0;
    unsigned names = type == DNS_TYPE_SOA || type == DNS_TYPE_MINFO ? 2 : 1;
    size_t pre = type == DNS_TYPE_MX ? 2 : 0;
    size_t post = type == DNS_TYPE_SOA ? 20 : 0;
    int r;

    if (NEVER(rdlen < pre))
        return TB_EINVAL;
    if (limit - w->len < pre)
        return TB_ESPACE;
    memcpy(w->buf + w->len, rd, pre);
    w->len += pre;
    p = pre;
    while (names-- > 0) {
        r = dns_name_check(rd + p, rdlen - p);
        if (NEVER(r < 0))
            return TB_EINVAL;
        if ((r = put_name(w, rd + p, limit)) != 0)
            return r;
        p += (size_t)dns_name_len(rd + p);
    }
    if (NEVER(rdlen - p != post))
        return TB_EINVAL;
    if (limit - w->len < post)
        return TB_ESPACE;
    memcpy(w->buf + w->len, rd + p, post);
    w->len += post;
    return 0;
}

int dns_writer_rr(struct dns_writer *w, const uint8_t *owner, uint16_t type,
                  uint16_t rclass, uint32_t ttl, const uint8_t *rdata,
                  uint16_t rdlen)
{
    size_t len = w->len, limit = w->cap - w->reserve, rdstart;
    unsigned nnames = w->nnames;
    int r;

    r = put_name(w, owner, limit);
    if (r != 0)
        goto out_rollback;
    r = TB_ESPACE;
    if (limit - w->len < DNS_RR_FIXED_LEN)
        goto out_rollback;
    tb_put16(w->buf + w->len, type);
    tb_put16(w->buf + w->len + 2, rclass);
    tb_put32(w->buf + w->len + 4, ttl);
    w->len += DNS_RR_FIXED_LEN;
    rdstart = w->len;
    if (dns_wire_type_compresses(type) && rdlen > 0) {
        r = put_rdata_compressed(w, type, rdata, rdlen, limit);
        if (r != 0)
            goto out_rollback;
    } else {
        if (limit - w->len < rdlen)
            goto out_rollback;
        if (rdlen > 0)
            memcpy(w->buf + w->len, rdata, rdlen);
        w->len += rdlen;
    }
    tb_put16(w->buf + rdstart - 2, (uint16_t)(w->len - rdstart));
    w->count[w->sec]++;
    return 0;

out_rollback:
    rollback(w, len, nnames);
    return r;
}

int dns_writer_opt(struct dns_writer *w, uint16_t udp_size, uint8_t ext_rcode,
                   uint8_t version, uint16_t flags, const uint8_t *opts,
                   uint16_t optlen)
{
    uint8_t *p;

    w->reserve = 0;
    if (w->cap - w->len < (size_t)DNS_RR_MIN_LEN + optlen)
        return TB_ESPACE;
    p = w->buf + w->len;
    p[0] = 0; /* root owner, RFC 6891 6.1.2 */
    tb_put16(p + 1, DNS_TYPE_OPT);
    tb_put16(p + 3, udp_size);
    p[5] = ext_rcode;
    p[6] = version;
    tb_put16(p + 7, flags);
    tb_put16(p + 9, optlen);
    if (optlen > 0)
        memcpy(p + 11, opts, optlen);
    w->len += DNS_RR_MIN_LEN + (size_t)optlen;
    w->sec = DNS_SEC_ADDITIONAL;
    w->count[DNS_SEC_ADDITIONAL]++;
    return 0;
}

size_t dns_writer_finish(struct dns_writer *w)
{
    for (unsigned s = 0; s < 4; s++)
        tb_put16(w->buf + 4 + 2 * s, w->count[s]);
    return w->len;
}
