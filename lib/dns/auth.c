/*
 * auth.c -- the authoritative answer path: query bytes -> dns_auth_answer()
 * -> response bytes, between the server's receive and send (app/dnsd:
 * recvmmsg -> dns_auth_answer -> sendmmsg).
 *
 * Per query: parse the header and question (the name is copied,
 * lowercased 8 bytes at a time and its label offsets noted), pick the zone
 * whose origin is the longest suffix, hash the name and find its node; a
 * prepared entry (zonedb.h) then becomes the response by one memcpy and a
 * few pointer fixups.  A miss walks up the name (RFC 1034 4.3.2 step 3c,
 * RFC 4592 closest encloser) with one hash lookup per label.  Only DNAME
 * synthesis (RFC 6672) writes RRs here.
 *
 * Nothing here allocates or keeps state: everything comes from the
 * arguments, so one zone set serves any number of threads.  Untrusted
 * query bytes are checked once, here; the zone set was validated when
 * built.  DNS Cookies (RFC 7873) are answered on the slow path, with
 * the cookie made and checked by cookie.c.  Not done here yet: zone
 * transfers, NOTIFY, UPDATE, TSIG, NSEC denial (later issues).
 */
#include "zoneset.h"
#include <tibra/dns/srv.h>

/* The few functions of the common path are forced inline into
 * dns_auth_answer: calls cost more than their bodies here. */
#if defined(__GNUC__)
#define HOT_INLINE static inline __attribute__((always_inline))
#define NOINLINE   __attribute__((noinline))
#else
#define HOT_INLINE static inline
#define NOINLINE
#endif

/* EDNS option codes (RFC 6891 6.1.2, IANA registry): NSID (RFC 5001),
 * Extended DNS Error (RFC 8914) and two of its info-codes. */
#define OPT_NSID       3
#define OPT_EDE        15
#define EDE_PROHIBITED 18
#define EDE_NOT_AUTH   20

/* What the parse of a query found. */
struct qctx {
    const uint8_t *q;
    size_t qlen;
    size_t qend; /* offset after the question */
    size_t nlen; /* query name length */
    unsigned nl; /* labels */
    uint16_t qtype, qclass, flags;
    bool opt, dnssec; /* an OPT RR (RFC 6891), with DO */
    bool nsid; /* with an NSID option (RFC 5001 2.1) */
    uint8_t ede; /* answer_slow(): the Extended DNS Error chosen, or 0 */
    uint8_t ck_res; /* enum dns_cookie_res: ck goes back unless NONE or
                       MALFORMED */
    size_t cookie_off, cookie_len; /* the first COOKIE option's data; off 0:
                                      none */
    uint8_t ck[DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN]; /* ours */
    size_t tsig; /* offset of a TSIG RR's owner, 0 if none */
    size_t tsig_rd; /* offset of its rdata */
    uint8_t edns_version;
    uint16_t udp;
    uint64_t hash; /* zdb_hash of the name */
    uint8_t offs[128]; /* label offsets in the name; offs[nl] = root */
    uint8_t name[DNS_NAME_MAXLEN + 9]; /* lowercased, zero-padded */
};

/* Skips a name (compression allowed if (ptr)) from (p); returns the
 * offset after it or 0 if malformed (a label over 63 bytes, more than 255
 * bytes before its end or pointer: RFC 1035 3.1; a TSIG owner that long
 * was echoed into BADKEY responses, found by fuzz_tsig). */
static size_t skip_name2(const uint8_t *q, size_t len, size_t p, bool ptr)
{
    for (size_t start = p; p < len && p - start < DNS_NAME_MAXLEN;) {
        unsigned c = q[p];
        if (c == 0)
            return p + 1;
        if ((c & 0xc0) == 0xc0)
            return ptr && p + 2 <= len ? p + 2 : 0;
        if (c > DNS_LABEL_MAXLEN)
            return 0;
        p += c + 1;
    }
    return 0;
}

static size_t skip_name(const uint8_t *q, size_t len, size_t p)
{
    return skip_name2(q, len, p, true);
}

/*
 * The additional section of a query (RFC 6891 6.1.1): at most one OPT,
 * owner root.  Other RRs are refused as NSD does (TSIG comes later).
 * Returns false if malformed.
 */
static bool parse_additional(struct qctx *x, unsigned ar)
{
    const uint8_t *q = x->q;
    size_t p = x->qend;

    x->opt = x->nsid = false;
    x->tsig = 0;
    x->cookie_off = 0;
    for (unsigned i = 0; i < ar; i++) {
        size_t o = p;
        if ((p = skip_name(q, x->qlen, p)) == 0 || x->qlen - p < 10)
            return false;
        uint16_t type = tb_get16(q + p), rdlen = tb_get16(q + p + 8);
        if (x->qlen - p - 10 < rdlen)
            return false;
        if (type == DNS_TYPE_TSIG && i + 1 == ar) {
            /* RFC 8945 5.1: last, class ANY, TTL 0, owner uncompressed;
             * rdata: algorithm, time, fudge, MAC, original ID, error,
             * other data. */
            size_t r = p + 10, e = r + rdlen, n;
            if (tb_get16(q + p + 2) != DNS_CLASS_ANY ||
                tb_get32(q + p + 4) != 0 ||
                skip_name2(q, x->qlen, o, false) != p ||
                (n = skip_name2(q, e, r, false)) == 0 || e - n < 10 ||
                e - n - 10 < tb_get16(q + n + 8) ||
                e - n - 10 - tb_get16(q + n + 8) < 6 ||
                tb_get16(q + n + 14 + tb_get16(q + n + 8)) !=
                    e - n - 16 - tb_get16(q + n + 8))
                return false;
            x->tsig = o;
            x->tsig_rd = r;
            p = e;
            continue;
        }
        if (type != DNS_TYPE_OPT || q[o] != 0 || x->opt)
            return false;
        x->opt = true;
        x->udp = tb_get16(q + p + 2);
        x->edns_version = q[p + 5];
        x->dnssec = (tb_get16(q + p + 6) & DNS_EDNS_DO) != 0;
        /* Options are TLVs filling the rdata exactly (RFC 6891 6.1.2).  An
         * NSID request is empty (RFC 5001 2.3); NSD and Knot answer one
         * with data too, and so do we. */
        for (size_t r = p + 10, e = p + 10 + rdlen; r < e;) {
            if (e - r < 4 || e - r - 4 < tb_get16(q + r + 2))
                return false;
            if (tb_get16(q + r) == OPT_NSID) {
                x->nsid = true;
            } else if (tb_get16(q + r) == DNS_COOKIE_OPT &&
                       x->cookie_off == 0) { /* the first one counts */
                x->cookie_off = r + 4;
                x->cookie_len = tb_get16(q + r + 2);
            }
            r += 4 + (size_t)tb_get16(q + r + 2);
        }
        p += 10 + (size_t)rdlen;
    }
    return true; /* trailing bytes are ignored, as NSD does */
}

/* Copies (n) bytes; inline for the short copies of the answer path
 * (overlapping 8-byte words, never past dst + n). */
static inline void copy(uint8_t *dst, const uint8_t *src, size_t n)
{
    uint64_t a, b, c, d;

    if (TB_LIKELY(n >= 8 && n <= 32)) {
        memcpy(&a, src, 8);
        memcpy(&b, src + (n > 16 ? 8 : n - 8), 8);
        memcpy(&c, src + (n > 16 ? n - 16 : 0), 8);
        memcpy(&d, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + (n > 16 ? 8 : n - 8), &b, 8);
        memcpy(dst + (n > 16 ? n - 16 : 0), &c, 8);
        memcpy(dst + n - 8, &d, 8);
        return;
    }
    memcpy(dst, src, n);
}

/*
 * Parses the question (RFC 1035 4.1.2): labels of at most 63 bytes, no
 * compression (NSD and Knot refuse it there), at most 255 bytes.  Copies
 * the name lowercased and zero-padded into (x->name) and hashes it in the
 * same pass (zdb_hash).  False if malformed.
 */
HOT_INLINE bool parse_question(struct qctx *x)
{
    const uint8_t *q = x->q;
    size_t p = DNS_HDR_LEN;
    size_t lim = TB_MIN(x->qlen, DNS_HDR_LEN + DNS_NAME_MAXLEN);
    unsigned nl = 0, c;
    uint64_t h;

    if (TB_UNLIKELY(p >= lim))
        return false;
    for (c = q[p]; c != 0; c = q[p]) {
        if (TB_UNLIKELY(c > DNS_LABEL_MAXLEN))
            return false; /* compression or extended label type */
        x->offs[nl++] = (uint8_t)(p - DNS_HDR_LEN);
        p += c + 1;
        if (TB_UNLIKELY(p >= lim))
            return false;
    }
    /* p < 12 + 255: the name is at most 255 bytes. */
    x->nl = nl;
    x->nlen = p - DNS_HDR_LEN + 1;
    x->offs[nl] = (uint8_t)(x->nlen - 1);
    if (TB_UNLIKELY(x->qlen - p - 1 < 4))
        return false;
    x->qtype = tb_get16(q + p + 1);
    x->qclass = tb_get16(q + p + 3);
    x->qend = p + 5;
    copy(x->name, q + DNS_HDR_LEN, x->nlen);
    memset(x->name + x->nlen, 0, 8);
    /* zdb_lower() and zdb_hash() fused. */
    h = ZDB_SEED ^ x->nlen;
    for (size_t i = 0; i < x->nlen; i += 8) {
        const uint64_t ones = 0x0101010101010101ull;
        uint64_t w, m, a, z;
        memcpy(&w, x->name + i, 8);
        m = w & (0x7f * ones);
        a = m + (0x80 - 'A') * ones;
        z = m + (0x80 - 'Z' - 1) * ones;
        w |= ((a ^ z) & ~w & (0x80 * ones)) >> 2;
        memcpy(x->name + i, &w, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w);
#endif
        h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    }
    x->hash = zdb_hash_final(h);
    return true;
}

/* Response limit (RFC 1035 4.2.1, RFC 6891 6.2.5). */
static size_t limit(const struct dns_zoneset *zs, const struct qctx *x,
                    size_t cap, unsigned flags)
{
    size_t l;

    if (flags & DNS_AUTH_TCP)
        l = DNS_MSG_MAXLEN;
    else if (!x->opt)
        l = DNS_UDP_MINLEN;
    else
        l = TB_MAX(DNS_UDP_MINLEN, TB_MIN(x->udp, zs->udp_max));
    return TB_MIN(l, cap);
}

/* Header + question; returns the offset after them. */
static size_t put_head(const struct qctx *x, uint8_t *resp, uint16_t flags,
                       bool question)
{
    memcpy(resp, x->q, 2);
    tb_put16(resp + 2, flags);
    memset(resp + 4, 0, 8);
    if (!question)
        return DNS_HDR_LEN;
    resp[5] = 1;
    copy(resp + DNS_HDR_LEN, x->q + DNS_HDR_LEN, x->qend - DNS_HDR_LEN);
    return x->qend;
}

/* Appends our OPT RR (RFC 6891 6.1.2) if the query had one: the
 * zone set's template with our UDP size, DO echoed (RFC 3225 3). */
HOT_INLINE size_t put_opt(const struct dns_zoneset *zs, const struct qctx *x,
                          uint8_t *resp, size_t pos, uint8_t ext_rcode)
{
    uint8_t *o = resp + pos;

    if (!x->opt)
        return pos;
    memcpy(o, zs->opt, 8);
    memcpy(o + 8, zs->opt + 8, 3);
    o[5] = ext_rcode;
    o[7] = x->dnssec ? DNS_EDNS_DO >> 8 : 0;
    tb_put16(resp + 10, (uint16_t)(tb_get16(resp + 10) + 1));
    return pos + 11;
}


/* The room our COOKIE option takes in the response to (x). */
static size_t cookie_room(const struct qctx *x)
{
    return x->ck_res != DNS_COOKIE_NONE && x->ck_res != DNS_COOKIE_MALFORMED
               ? 4u + sizeof(x->ck)
               : 0;
}

/* The room an NSID option takes in the response to (x): RFC 5001 2.1,
 * only when asked and we have one. */
static size_t nsid_room(const struct dns_zoneset *zs, const struct qctx *x)
{
    return x->opt && x->nsid && zs->nsid_len != 0 ? 4u + zs->nsid_len : 0;
}

/*
 * Our OPT RR with options, for the responses that carry any (none is on
 * the common path): put_opt(), then NSID when asked (RFC 5001 2.2: in
 * every response to such a query, as Knot; not with BADVERS (ext_rcode),
 * whose options belong to an EDNS version we do not know, as NSD, nor
 * with BADCOOKIE), then our COOKIE (RFC 7873 5.2) when the query's was
 * judged, then Extended DNS Error (ede) if not 0 (RFC 8914 2: info-code,
 * no extra text, as NSD and Knot send it), each if it fits in (lim).
 */
static size_t put_opt_opts(const struct dns_zoneset *zs, const struct qctx *x,
                           uint8_t *resp, size_t pos, size_t lim,
                           uint8_t ext_rcode, unsigned ede)
{
    size_t rd;

    if (!x->opt)
        return pos;
    pos = put_opt(zs, x, resp, pos, ext_rcode);
    rd = pos - 2; /* the OPT's RDLENGTH */
    if (ext_rcode == 0 && nsid_room(zs, x) != 0 &&
        pos + nsid_room(zs, x) <= lim) {
        tb_put16(resp + pos, OPT_NSID);
        tb_put16(resp + pos + 2, zs->nsid_len);
        memcpy(resp + pos + 4, zs->nsid, zs->nsid_len);
        pos += 4u + zs->nsid_len;
    }
    if (cookie_room(x) != 0 && pos + cookie_room(x) <= lim) {
        tb_put16(resp + pos, DNS_COOKIE_OPT);
        tb_put16(resp + pos + 2, sizeof(x->ck));
        memcpy(resp + pos + 4, x->ck, sizeof(x->ck));
        pos += cookie_room(x);
    }
    if (ede != 0 && pos + 6 <= lim) {
        tb_put16(resp + pos, OPT_EDE);
        tb_put16(resp + pos + 2, 2);
        tb_put16(resp + pos + 4, (uint16_t)ede);
        pos += 6;
    }
    tb_put16(resp + rd, (uint16_t)(pos - rd - 2));
    return pos;
}

/* The counter of each RCODE (BADVERS folds into formerr, anything else
 * into servfail). */
HOT_INLINE void count(struct dns_auth_stats *st, unsigned rcode)
{
#define C(f) (uint8_t)(offsetof(struct dns_auth_stats, f) / 8)
    static const uint8_t ctr[32] = {
        C(noerror),  C(formerr),  C(servfail), C(nxdomain), C(notimp),
        C(refused),  C(servfail), C(servfail), C(servfail), C(servfail),
        C(servfail), C(servfail), C(servfail), C(servfail), C(servfail),
        C(servfail), C(formerr),  C(servfail), C(servfail), C(servfail),
        C(servfail), C(servfail), C(servfail), C(servfail), C(servfail),
        C(servfail), C(servfail), C(servfail), C(servfail), C(servfail),
        C(servfail), C(servfail)};
#undef C
    (*(uint64_t *)(void *)((char *)st + 8 * ctr[rcode & 31]))++;
}

/* A response without records: error or REFUSED, with Extended DNS Error
 * (ede) if not 0.  Never over 512 bytes. */
static size_t answer_error_ede(const struct dns_zoneset *zs,
                               const struct qctx *x, uint8_t *resp,
                               unsigned rcode, bool question, bool opt,
                               unsigned ede, struct dns_auth_stats *st)
{
    uint16_t f =
        DNS_FLAG_QR | (x->flags & (0x7800 | DNS_FLAG_RD | DNS_FLAG_CD));
    size_t pos = put_head(x, resp, (uint16_t)(f | (rcode & 0xf)), question);

    count(st, rcode);
    if (opt)
        pos = put_opt_opts(zs, x, resp, pos, DNS_UDP_MINLEN,
                           (uint8_t)(rcode >> 4), ede);
    return pos;
}

static size_t answer_error(const struct dns_zoneset *zs, const struct qctx *x,
                           uint8_t *resp, unsigned rcode, bool question,
                           bool opt, struct dns_auth_stats *st)
{
    return answer_error_ede(zs, x, resp, rcode, question, opt, 0, st);
}

/* REFUSED for a name in none of our zones; with EDNS, Extended DNS Error
 * 20 "Not Authoritative" (RFC 8914 4.21), as NSD 4.6 and Knot 3.2 send.
 * (Refused transfers get 18, as NSD; refused classes and NOTIFY none, as
 * Knot.) */
static size_t answer_notauth(const struct dns_zoneset *zs, struct qctx *x,
                             uint8_t *resp, struct dns_auth_stats *st)
{
    x->ede = EDE_NOT_AUTH; /* for answer_slow() */
    return answer_error_ede(zs, x, resp, DNS_RCODE_REFUSED, true, true,
                            EDE_NOT_AUTH, st);
}

/*
 * RFC 8945 5.2.1: no key is configured (TSIG comes in a later issue), so a
 * signed request gets NOTAUTH and an unsigned TSIG RR with error BADKEY:
 * the request's key name, algorithm, time and fudge, no MAC, its original
 * ID, error 17, no other data.  As NSD and Knot answer.
 */
static size_t answer_badkey(const struct dns_zoneset *zs, const struct qctx *x,
                            uint8_t *resp, struct dns_auth_stats *st)
{
    const uint8_t *q = x->q;
    size_t pos = answer_error(zs, x, resp, DNS_RCODE_NOTAUTH, true, true, st);
    size_t own = x->tsig_rd - 10 - x->tsig, alg, r = x->tsig_rd;
    size_t mac;
    uint8_t *o = resp + pos;

    alg = skip_name(q, x->qlen, r) - r;
    mac = tb_get16(q + r + alg + 8);
    /* owner + fixed + alg + time/fudge + MAC size + ID/error/other */
    if (pos + own + 10 + alg + 8 + 6 + 2 > DNS_UDP_MINLEN)
        return pos;
    memcpy(o, q + x->tsig, own);
    o += own;
    tb_put16(o, DNS_TYPE_TSIG);
    tb_put16(o + 2, DNS_CLASS_ANY);
    tb_put32(o + 4, 0);
    tb_put16(o + 8, (uint16_t)(alg + 8 + 6 + 2));
    o += 10;
    memcpy(o, q + r, alg + 8); /* algorithm, time signed, fudge */
    o += alg + 8;
    tb_put16(o, 0); /* MAC size */
    memcpy(o + 2, q + r + alg + 10 + mac, 2); /* original ID */
    tb_put16(o + 4, 17); /* BADKEY */
    tb_put16(o + 6, 0); /* other len */
    o += 8;
    tb_put16(resp + 10, (uint16_t)(tb_get16(resp + 10) + 1));
    return (size_t)(o - resp);
}

/*
 * The part of entry (e) that fits in (room) bytes at (dst): RFC 2181 9
 * (answer or authority that does not fit: TC, no records) and RFC 9471
 * (additional RRsets that do not fit are left out, TC only if required
 * glue is among them).  Fixes ARCOUNT; returns the length copied.
 */
static size_t put_partial(const struct zdb *z, const uint8_t *e, uint8_t *resp,
                          uint8_t *dst, size_t room, struct dns_auth_stats *st)
{
    size_t min = zdb_ld32(e + ZE_MINLEN), ncut = zdb_ld16(e + ZE_NCUT);
    size_t nreq = zdb_ld16(e + ZE_NREQ), k = 0, ar = 0, len;
    const uint8_t *cuts = z->data + zdb_ld32(e + ZE_CUTS);

    if (min > room) {
        resp[2] |= DNS_FLAG_TC >> 8;
        st->truncated++;
        memset(resp + 6, 0, 6);
        return 0;
    }
    for (len = min; k < ncut && zdb_ld32(cuts + 8 * k) <= room; k++) {
        len = zdb_ld32(cuts + 8 * k);
        ar = zdb_ld16(cuts + 8 * k + 4);
    }
    if (k < nreq) {
        resp[2] |= DNS_FLAG_TC >> 8;
        st->truncated++;
    }
    memcpy(dst, z->data + zdb_ld32(e + ZE_OFF), len);
    tb_put16(resp + 10, (uint16_t)ar);
    return len;
}

/*
 * Makes the response from entry (e) of zone (z): header (the entry's
 * counts and flags, the query's ID, RD and CD), the question as received,
 * the entry's sections with their pointers fixed for this query name's
 * length, and OPT.  Within (lim) bytes.
 */
HOT_INLINE size_t put_entry(const struct dns_zoneset *zs, const struct zdb *z,
                            const struct qctx *x, const uint8_t *e,
                            uint8_t *resp, size_t lim,
                            struct dns_auth_stats *st)
{
    size_t pos = x->qend, len = zdb_ld32(e + ZE_LEN);
    size_t room = lim - pos - (x->opt ? 11 : 0); /* lim >= 512 > pos + 11 */
    unsigned nfix = zdb_ld16(e + ZE_NFIX);
    uint16_t hf = tb_get16(e + ZE_HFLAGS);
    uint8_t *dst = resp + pos;

    memcpy(resp, x->q, 2);
    tb_put16(resp + 2,
             (uint16_t)(hf | (x->flags & (DNS_FLAG_RD | DNS_FLAG_CD))));
    memcpy(resp + 4, e + ZE_COUNTS, 8);
    copy(resp + DNS_HDR_LEN, x->q + DNS_HDR_LEN, pos - DNS_HDR_LEN);
    if (TB_LIKELY(len <= room))
        copy(dst, z->data + zdb_ld32(e + ZE_OFF), len);
    else
        len = put_partial(z, e, resp, dst, room, st);
    if (nfix != 0) {
        const uint8_t *fx = z->data + zdb_ld32(e + ZE_FIX);
        for (unsigned i = 0; i < nfix; i++, fx += 4) {
            size_t off = zdb_ld16(fx);
            size_t v = x->nlen + (size_t)(int16_t)zdb_ld16(fx + 2);
            if (off + 2 <= len)
                tb_put16(dst + off, (uint16_t)(0xc000 | (v & 0x3fff)));
        }
    }
    count(st, hf & 0xf);
    return put_opt(zs, x, resp, pos + len, 0);
}

/* The entry of node (nd) for the query type, or the zone's NODATA. */
HOT_INLINE const uint8_t *node_entry(const struct zdb *z, const uint8_t *nd,
                                     uint16_t qtype)
{
    uint32_t i = zdb_ld32(nd + ZN_ENT), n = zdb_ld16(nd + ZN_NENT);

    for (const uint8_t *e = zdb_ent(z, i); n > 0; n--, e += ZDB_ENT_LEN) {
        uint16_t t = zdb_ld16(e + ZE_TYPE);
        if (t == qtype || t == 0)
            return e;
    }
    /* ANY without an entry of its own: the first RRset (RFC 8482 4.1). */
    if (qtype == DNS_TYPE_ANY && zdb_ld16(nd + ZN_NENT) > 0)
        return zdb_ent(z, i);
    return zdb_ent(z, z->nodata);
}

/* The wildcard alternative of entry (e) for the query name of (x), or
 * (e) itself (zonedb.h, ZE_ALT; only CNAME wildcards have any). */
static const uint8_t *wild_alt(const struct zdb *z, const struct qctx *x,
                               const uint8_t *e)
{
    const uint8_t *a = z->data + zdb_ld32(e + ZE_ALT);

    if (a[4] == 0 || (a[4] == x->nlen && zdb_eq(a + 8, x->name, x->nlen)))
        return zdb_ent(z, zdb_ld32(a));
    return e;
}

/*
 * RFC 1034 4.3.2 step 3 inside zone (z): returns the entry to answer
 * with, or NULL when the answer is a DNAME synthesis from node (*dname).
 */
HOT_INLINE const uint8_t *lookup_at(const struct zdb *z, const struct qctx *x,
                                    uint32_t idx, const uint8_t **dname,
                                    const uint8_t **proof)
{
    const uint8_t *nd, *e;
    uint32_t r;

    if (TB_LIKELY(idx != ZDB_NONE)) {
        nd = zdb_node(z, idx);
        r = zdb_ld32(nd + ZN_REDIR);
        if (TB_UNLIKELY(r != ZDB_NONE) &&
            !(r == idx &&
              (x->qtype == DNS_TYPE_DS || x->qtype == DNS_TYPE_NSEC)))
            goto redirect;
        goto found;
    }
    /* Step 3c: the closest encloser, one label at a time; the origin
     * (the caller checked that the name is in the zone) is node 0. */
    for (unsigned i = 1; i + z->olabels <= x->nl; i++) {
        const uint8_t *s = x->name + x->offs[i];
        size_t sl = x->nlen - x->offs[i];
        if (i + z->olabels == x->nl)
            idx = 0;
        else if ((idx = zdb_find(z, s, sl, zdb_hash(s, sl))) == ZDB_NONE)
            continue;
        nd = zdb_node(z, idx);
        r = zdb_ld32(nd + ZN_REDIR);
        if (r != ZDB_NONE)
            goto redirect;
        if (zdb_ld16(nd + ZN_FLAGS) & ZNF_DNAME) {
            *dname = nd;
            return NULL;
        }
        r = zdb_ld32(nd + ZN_WILD);
        if (r == ZDB_NONE)
            break;
        /* RFC 4592 3.3.1: the source of synthesis answers, or its
         * alternative for this name (a CNAME loop, zonedb.h ZE_ALT). */
        nd = zdb_node(z, r);
        if (zdb_ld32(nd + ZN_REDIR) == r)
            goto redirect;
        e = node_entry(z, nd, x->qtype);
        if (TB_UNLIKELY(zdb_ld32(e + ZE_ALT) != 0))
            e = wild_alt(z, x, e);
        goto pick;
    }
    e = zdb_ent(z, z->nxdomain);
    goto pick;
redirect:
    nd = zdb_node(z, r);
    if (!(zdb_ld16(nd + ZN_FLAGS) & ZNF_REFERRAL)) {
        *dname = nd;
        return NULL;
    }
    /* The referral follows the cut's own entries. */
    e = zdb_ent(z, zdb_ld32(nd + ZN_ENT) + zdb_ld16(nd + ZN_NENT));
    goto pick;
found:
    e = node_entry(z, nd, x->qtype);
pick:
    if (!x->dnssec)
        return e;
    e = zdb_ent(z, zdb_ld32(e + ZE_DO));
    /* A denial that depends on the name: answer_proof(). */
    if (TB_UNLIKELY(zdb_ld16(e + ZE_PROOF) != 0) && proof != NULL) {
        *proof = e;
        return NULL;
    }
    return e;
}

HOT_INLINE const uint8_t *lookup(const struct zdb *z, const struct qctx *x,
                                 const uint8_t **dname)
{
    return lookup_at(z, x, zdb_find(z, x->name, x->nlen, x->hash), dname, NULL);
}

/*
 * DNAME chase (RFC 6672 3.2): after the synthesized CNAME, the answer for
 * the new name is appended when it is inside the same zone, as NSD and
 * Knot do.  Prepared entries assume their query name at offset 12, so the
 * entry is read as if it sat in a message for the new name (a "virtual
 * message": header, new name, type/class, entry with its fixups applied)
 * and every RR is rewritten with its names uncompressed, except the new
 * name itself, which becomes a pointer to the CNAME's rdata.
 */
struct vmsg {
    const uint8_t *n; /* the new name */
    size_t nlen;
    const uint8_t *e; /* the entry, fixups applied */
    size_t elen;
};

static int vget(const struct vmsg *v, size_t pos)
{
    if (pos >= DNS_HDR_LEN && pos - DNS_HDR_LEN < v->nlen)
        return v->n[pos - DNS_HDR_LEN];
    if (pos >= 16 + v->nlen && pos - 16 - v->nlen < v->elen)
        return v->e[pos - 16 - v->nlen];
    return -1;
}

/* The name at virtual (pos), uncompressed into (out); its length, 0 if
 * malformed; (*after) the position after it. */
static size_t vname(const struct vmsg *v, size_t pos, uint8_t *out,
                    size_t *after)
{
    size_t len = 0;
    bool jumped = false;

    for (unsigned hops = 0; hops < 64;) {
        int c = vget(v, pos), c2;
        if (c < 0)
            return 0;
        if ((c & 0xc0) == 0xc0) {
            if ((c2 = vget(v, pos + 1)) < 0)
                return 0;
            if (!jumped)
                *after = pos + 2;
            jumped = true;
            pos = ((size_t)(c & 0x3f) << 8) | (size_t)c2;
            hops++;
            continue;
        }
        if (c > DNS_LABEL_MAXLEN || len + (size_t)c + 1 > DNS_NAME_MAXLEN)
            return 0;
        out[len++] = (uint8_t)c;
        for (int i = 1; i <= c; i++) {
            int b = vget(v, pos + (size_t)i);
            if (b < 0)
                return 0;
            out[len++] = (uint8_t)b;
        }
        pos += (size_t)c + 1;
        if (c == 0) {
            if (!jumped)
                *after = pos;
            return len;
        }
    }
    return 0;
}

/*
 * Writes one RR of (v) at virtual (*pos) into [*o, end): names
 * uncompressed, the new name as a pointer to (npos).  Its owner,
 * lowercased and zero-padded, goes to (own) (DNS_NAME_MAXLEN + 8 bytes),
 * its length to (*olen) and its type to (*type).  False if malformed or
 * out of room.
 */
static bool relocate_rr(const struct vmsg *v, size_t *pos, size_t npos,
                        uint8_t **o, const uint8_t *end, uint8_t *own,
                        size_t *olen, uint16_t *type)
{
    uint8_t nm[DNS_NAME_MAXLEN + 8];
    uint8_t *w = *o, *lenp;
    size_t l = vname(v, *pos, nm, pos), rdlen, rstart, pre;
    unsigned names;

    if (l == 0)
        return false;
    memcpy(own, nm, l);
    memset(own + l, 0, 8);
    zdb_lower(own, l);
    *olen = l;
    if (l == v->nlen && memcmp(own, v->n, l) == 0) {
        if (end - w < 2)
            return false;
        tb_put16(w, (uint16_t)(0xc000 | npos));
        w += 2;
    } else {
        if ((size_t)(end - w) < l)
            return false;
        memcpy(w, nm, l);
        w += l;
    }
    if (end - w < 10)
        return false;
    for (int k = 0; k < 10; k++) {
        int b = vget(v, *pos + (size_t)k);
        if (b < 0)
            return false;
        w[k] = (uint8_t)b;
    }
    *type = tb_get16(w);
    rdlen = tb_get16(w + 8);
    lenp = w + 8;
    w += 10;
    *pos += 10;
    rstart = *pos;
    if (!zdb_comp_layout(*type, &pre, &names)) {
        pre = rdlen; /* no names: all of it as it is */
        names = 0;
    }
    for (size_t k = 0; k < pre; k++, w++) {
        int b = vget(v, *pos + k);
        if (b < 0 || w >= end)
            return false;
        *w = (uint8_t)b;
    }
    *pos += pre;
    for (size_t k = 0; k < names; k++) {
        if ((l = vname(v, *pos, nm, pos)) == 0 || (size_t)(end - w) < l)
            return false;
        memcpy(w, nm, l);
        w += l;
    }
    /* the rest of the rdata (SOA's 20 bytes), as it is */
    for (; *pos < rstart + rdlen; (*pos)++, w++) {
        int b = vget(v, *pos);
        if (b < 0 || w >= end)
            return false;
        *w = (uint8_t)b;
    }
    if (*pos != rstart + rdlen)
        return false;
    tb_put16(lenp, (uint16_t)(w - lenp - 2));
    *o = w;
    return true;
}

/* DNAMEs followed at query time, one after the other (the compiled
 * chains hold up to CHAIN_MAX names); Knot 3.2 stops after 5 steps, NSD
 * 4.6 goes on. */
#define DNAME_HOPS 8

/*
 * The answer answer_dname() builds: counts, the names that own its CNAMEs
 * (the query name, then each synthesized name; a name met again is a
 * loop) and the DNAMEs written (each once), where their targets are.
 * Positions stay below 12 + 271 + DNAME_HOPS * 536 < 0x4000, so pointers
 * reach them.
 */
struct dchain {
    const struct zdb *z;
    struct dns_auth_stats *st;
    uint8_t *resp, *o;
    const uint8_t *end;
    unsigned cnt[3];
    unsigned nown, ndn;
    size_t ownlen[DNAME_HOPS + 1];
    uint8_t own[DNAME_HOPS + 1][DNS_NAME_MAXLEN + 8]; /* lowercased */
    const uint8_t *dn[DNAME_HOPS]; /* DNAME nodes written */
    size_t dnpos[DNAME_HOPS]; /* where their targets are */
};

static bool owned(const struct dchain *ch, const uint8_t *n, size_t len)
{
    for (unsigned i = 0; i < ch->nown; i++)
        if (ch->ownlen[i] == len && zdb_eq(ch->own[i], n, len))
            return true;
    return false;
}

/* True if the owner (own, len) (lowercased, padded) is a DNAME written. */
static bool dname_written(const struct dchain *ch, const uint8_t *own,
                          size_t len)
{
    for (unsigned i = 0; i < ch->ndn; i++)
        if (ch->dn[i][ZN_NLEN] + 1u == len &&
            zdb_eq(ch->z->data + zdb_ld32(ch->dn[i] + ZN_NAME), own, len))
            return true;
    return false;
}

/*
 * Makes (y), whose name holds (len) bytes lowercased and zero-padded (made
 * of a DNAME target of the blob: checked here), the context for looking
 * it up inside zone (z) with the type and DO of (x).  False if malformed
 * or outside (z).
 */
static bool chase_ctx(const struct zdb *z, const struct qctx *x, size_t len,
                      struct qctx *y)
{
    const uint8_t *name = y->name;
    size_t off;

    y->nlen = len;
    y->nl = 0;
    for (off = 0; off < len && name[off] != 0; off += name[off] + 1u) {
        if (name[off] > DNS_LABEL_MAXLEN || y->nl >= 127)
            return false;
        y->offs[y->nl++] = (uint8_t)off;
    }
    if (off != len - 1)
        return false;
    y->offs[y->nl] = (uint8_t)off;
    if (y->nl < z->olabels)
        return false;
    off = y->offs[y->nl - z->olabels];
    if (len - off != z->olen || !zdb_eq(y->name + off, z->origin, z->olen))
        return false; /* outside the zone: the resolver goes on */
    y->hash = zdb_hash(y->name, len);
    y->qtype = x->qtype;
    y->dnssec = x->dnssec;
    return true;
}

/*
 * Appends entry (e) of zone (z), the answer for the new name (y), whose
 * CNAME rdata sits at (npos): RRs rewritten as from a message for (y)
 * (struct vmsg), a DNAME already written left out, and the chain cut
 * before a CNAME whose owner already owns one (a loop back to a name of
 * this answer: NOERROR, nothing more).  An answer or authority section
 * that does not fit sets TC (as NSD and Knot), additional RRs that do not
 * fit are left out (RFC 9471).  Returns the RCODE.
 */
static unsigned dname_append(struct dchain *ch, const struct qctx *y,
                             const uint8_t *e, size_t npos)
{
    const struct zdb *z = ch->z;
    uint8_t sc[1024], own[DNS_NAME_MAXLEN + 8];
    uint8_t rr[3 * DNS_NAME_MAXLEN + 10 + sizeof(sc)]; /* one RR of sc */
    size_t elen = zdb_ld32(e + ZE_LEN), pos = 16 + y->nlen, olen, rlen;
    unsigned nfix = zdb_ld16(e + ZE_NFIX),
             rcode = tb_get16(e + ZE_HFLAGS) & 0xf;
    struct vmsg v;
    uint8_t *w;
    uint16_t type;

    if (elen > sizeof(sc))
        return DNS_RCODE_NOERROR; /* the chain ends with the CNAME */
    memcpy(sc, z->data + zdb_ld32(e + ZE_OFF), elen);
    for (unsigned i = 0; i < nfix; i++) {
        const uint8_t *fx = z->data + zdb_ld32(e + ZE_FIX) + 4 * i;
        size_t fo = zdb_ld16(fx);
        size_t val = y->nlen + (size_t)(int16_t)zdb_ld16(fx + 2);
        if (fo + 2 <= elen)
            tb_put16(sc + fo, (uint16_t)(0xc000 | (val & 0x3fff)));
    }
    v = (struct vmsg){.n = y->name, .nlen = y->nlen, .e = sc, .elen = elen};
    /* Each RR goes to (rr) first, so that nothing is written past the
     * response that is not part of it. */
    for (unsigned sec = 0; sec < 3; sec++) {
        for (unsigned i = tb_get16(e + 2 + 2 * sec); i > 0; i--) {
            w = rr;
            if (!relocate_rr(&v, &pos, npos, &w, rr + sizeof(rr), own, &olen,
                             &type))
                return rcode; /* a forged blob: what came before */
            rlen = (size_t)(w - rr);
            if (sec == 0 && type == DNS_TYPE_DNAME &&
                dname_written(ch, own, olen))
                continue;
            if (sec == 0 && type == DNS_TYPE_CNAME && owned(ch, own, olen))
                return DNS_RCODE_NOERROR; /* a loop: the CNAMEs so far */
            if ((size_t)(ch->end - ch->o) < rlen) {
                if (sec < 2) { /* RFC 2181 9: what fits, and TC */
                    ch->resp[2] |= DNS_FLAG_TC >> 8;
                    ch->st->truncated++;
                }
                return rcode; /* RFC 9471: additional data left out */
            }
            memcpy(ch->o, rr, rlen);
            ch->o += rlen;
            ch->cnt[sec]++;
        }
    }
    return rcode;
}

/*
 * With DO: the NSEC/NSEC3 proof (zdb_proof) that the DNAME-synthesized
 * name (y), answered with entry (e), lacks its data, appended to the
 * authority section when nothing follows it (else TC if it does not fit).
 */
static void dname_proof(struct dchain *ch, const struct qctx *y,
                        const uint8_t *e)
{
    const uint8_t *c[ZDB_PROOF_MAX];
    struct zdb_q q = {.name = y->name,
                      .offs = y->offs,
                      .nlen = y->nlen,
                      .nl = y->nl,
                      .idx = zdb_find(ch->z, y->name, y->nlen, y->hash)};
    int n = zdb_proof(ch->z, &q, zdb_ld16(e + ZE_PROOF), c);

    if (n <= 0 || ch->cnt[2] != 0 || (ch->resp[2] & (DNS_FLAG_TC >> 8)))
        return;
    for (int i = 0; i < n; i++) {
        size_t len = zdb_ld16(c[i] + 2);
        if ((size_t)(ch->end - ch->o) < len) {
            ch->resp[2] |= DNS_FLAG_TC >> 8;
            ch->st->truncated++;
            return;
        }
        memcpy(ch->o, c[i] + 4, len);
        ch->o += len;
        ch->cnt[1] += zdb_ld16(c[i]);
    }
}

/*
 * With DO: the DNAME's RRSIGs (RFC 6672 5.3.1; the synthesized CNAME has
 * none), copied from the DO variant of the DNAME's entry (e) after the
 * DNAME RR, owner the pointer (at), written at (o) while they fit before
 * (end) (else TC, RFC 4035 3.1.1).  Returns the new end.
 */
static uint8_t *dname_sigs(const struct zdb *z, const uint8_t *e, uint8_t *o,
                           const uint8_t *end, size_t at, struct dchain *ch)
{
    const uint8_t *d = zdb_ent(z, zdb_ld32(e + ZE_DO));
    const uint8_t *rr = z->data + zdb_ld32(d + ZE_OFF);
    size_t len = zdb_ld32(d + ZE_LEN), p, rl;
    unsigned an = tb_get16(d + ZE_COUNTS + 2);

    if (len < 12 || zdb_ld16(d + ZE_TYPE) != DNS_TYPE_DNAME)
        return o;
    p = 12 + (size_t)tb_get16(rr + 10);
    for (unsigned i = 1; i < an && p + 12 <= len; i++) {
        if (tb_get16(rr + p) != 0xc00c ||
            tb_get16(rr + p + 2) != DNS_TYPE_RRSIG)
            break;
        rl = 10 + (size_t)tb_get16(rr + p + 10);
        if (p + 2 + rl > len)
            break;
        if ((size_t)(end - o) < 2 + rl) {
            ch->resp[2] |= DNS_FLAG_TC >> 8;
            ch->st->truncated++;
            break;
        }
        tb_put16(o, (uint16_t)(0xc000 | at));
        memcpy(o + 2, rr + p + 2, rl);
        o += 2 + rl;
        ch->cnt[0]++;
        p += 2 + rl;
    }
    return o;
}

/*
 * RFC 6672 2.2/3.2: the query name (x) is below the DNAME at node (d):
 * answer with the DNAME RR and a CNAME to the name with the DNAME's owner
 * suffix replaced by its target (TTL of the DNAME), then what the new
 * name has inside the zone, as NSD and Knot do: under another DNAME, the
 * same again (up to DNAME_HOPS); else its prepared entry (dname_append),
 * a referral included (AA kept, as NSD and Knot).  A synthesized name
 * over 255 bytes ends the answer with YXDOMAIN after its DNAME (RFC 6672
 * 2.2, as NSD); a name met again ends it, NOERROR, each RR once.
 */
static size_t answer_dname(const struct dns_zoneset *zs, const struct zdb *z,
                           const struct qctx *x, const uint8_t *d,
                           uint8_t *resp, size_t lim, struct dns_auth_stats *st)
{
    struct dchain ch;
    struct qctx y;
    uint8_t cc[DNS_NAME_MAXLEN + 8]; /* the current name as received */
    const uint8_t *cur = x->name; /* lowercased, padded */
    size_t clen = x->nlen, cpos = DNS_HDR_LEN, cflat = x->nlen, ctail = 0;
    unsigned rcode = DNS_RCODE_NOERROR;

    ch.z = z;
    ch.st = st;
    ch.resp = resp;
    ch.end = resp + lim - (x->opt ? 11 : 0);
    ch.cnt[0] = ch.cnt[1] = ch.cnt[2] = 0;
    ch.nown = 1;
    ch.ndn = 0;
    ch.ownlen[0] = x->nlen;
    memcpy(ch.own[0], x->name, x->nlen + 8);
    memcpy(cc, x->q + DNS_HDR_LEN, x->nlen);
    ch.o = resp + put_head(x, resp,
                           (uint16_t)(DNS_FLAG_QR | DNS_FLAG_AA |
                                      (x->flags & (DNS_FLAG_RD | DNS_FLAG_CD))),
                           true);
    for (unsigned hop = 0;; hop++) {
        const uint8_t *e = node_entry(z, d, DNS_TYPE_DNAME);
        const uint8_t *rr = z->data + zdb_ld32(e + ZE_OFF);
        size_t elen = zdb_ld32(e + ZE_LEN), dlen = d[ZN_NLEN] + 1u;
        size_t prefix = dlen < clen ? clen - dlen : 0, tlen, tpos, p, npos;
        size_t need;
        const uint8_t *dn = NULL, *ne;
        unsigned k;

        /* (d) owns a proper suffix of the name at a label boundary (so
         * in a blob we compiled; a forged one is refused here). */
        for (p = 0; p < prefix && cur[p] != 0; p += cur[p] + 1u)
            ;
        if (prefix == 0 || p != prefix ||
            !zdb_eq(cur + prefix, z->data + zdb_ld32(d + ZN_NAME), dlen) ||
            zdb_ld16(e + ZE_TYPE) != DNS_TYPE_DNAME || elen < 12 ||
            (tlen = tb_get16(rr + 10)) + 12 > elen || tlen == 0) {
            if (hop > 0)
                break;
            return answer_error(zs, x, resp, DNS_RCODE_SERVFAIL, true, true,
                                st);
        }
        for (k = 0; k < ch.ndn && ch.dn[k] != d; k++)
            ;
        need = (k == ch.ndn ? 12 + tlen : 0) +
               (prefix + tlen > DNS_NAME_MAXLEN ? 0 : 12 + prefix + 2);
        if ((size_t)(ch.end - ch.o) < need) {
            resp[2] |= DNS_FLAG_TC >> 8;
            st->truncated++;
            break;
        }
        if (k == ch.ndn) {
            /* The DNAME RR: its owner is a suffix of the current name. */
            size_t at = prefix < cflat ? cpos + prefix : ctail + prefix - cflat;
            tb_put16(ch.o, (uint16_t)(0xc000 | at));
            memcpy(ch.o + 2, rr + 2, 10 + tlen); /* type class ttl rdlen */
            ch.dn[ch.ndn] = d;
            ch.dnpos[ch.ndn++] = (size_t)(ch.o + 12 - resp);
            ch.o += 12 + tlen;
            ch.cnt[0]++;
            if (x->dnssec)
                ch.o = dname_sigs(z, e, ch.o, ch.end - (need - 12 - tlen), at,
                                  &ch);
        }
        tpos = ch.dnpos[k];
        if (prefix + tlen > DNS_NAME_MAXLEN) {
            rcode = DNS_RCODE_YXDOMAIN; /* RFC 6672 2.2 */
            break;
        }
        /* The synthesized CNAME: owner the current name, rdata the
         * prefix as received and a pointer to the DNAME's target. */
        tb_put16(ch.o, (uint16_t)(0xc000 | cpos));
        tb_put16(ch.o + 2, DNS_TYPE_CNAME);
        memcpy(ch.o + 4, rr + 4, 6); /* class, the DNAME's TTL */
        tb_put16(ch.o + 10, (uint16_t)(prefix + 2));
        memcpy(ch.o + 12, cc, prefix);
        tb_put16(ch.o + 12 + prefix, (uint16_t)(0xc000 | tpos));
        npos = (size_t)(ch.o + 12 - resp);
        ch.o += 12 + prefix + 2;
        ch.cnt[0]++;
        /* The new name, lowercased (cc keeps the case as received). */
        memcpy(cc + prefix, rr + 12, tlen);
        memcpy(y.name, cur, prefix);
        memcpy(y.name + prefix, rr + 12, tlen);
        memset(y.name + prefix + tlen, 0, 8);
        zdb_lower(y.name, prefix + tlen);
        if (owned(&ch, y.name, prefix + tlen) ||
            !chase_ctx(z, x, prefix + tlen, &y))
            break; /* a loop, or outside the zone */
        if ((ne = lookup(z, &y, &dn)) != NULL) {
            rcode = dname_append(&ch, &y, ne, npos);
            if (x->dnssec && zdb_ld16(ne + ZE_PROOF) != 0)
                dname_proof(&ch, &y, ne);
            break;
        }
        if (hop + 1 == DNAME_HOPS || ch.nown == DNAME_HOPS + 1)
            break;
        /* Under another DNAME: the new name is the current one. */
        ch.ownlen[ch.nown] = y.nlen;
        memcpy(ch.own[ch.nown], y.name, y.nlen + 8);
        cur = ch.own[ch.nown++];
        clen = y.nlen;
        cpos = npos;
        cflat = prefix;
        ctail = tpos;
        d = dn;
    }
    for (int k = 0; k < 3; k++)
        tb_put16(resp + 6 + 2 * k, (uint16_t)ch.cnt[k]);
    resp[3] = (uint8_t)((resp[3] & 0xf0) | rcode);
    count(st, rcode);
    return put_opt(zs, x, resp, (size_t)(ch.o - resp), 0);
}

/*
 * A signed zone's DO answer whose denial depends on the query name
 * (zonedb.h "Denial"): entry (e), then the NSEC/NSEC3 chunks that
 * zdb_proof() picks appended to the authority section (the entry's
 * optional additional RRsets are left out to keep the sections in
 * order).  TC with no records when they do not fit (RFC 4035 3.1.1);
 * SERVFAIL when this program cannot hash NSEC3 names.
 */
static NOINLINE size_t answer_proof(const struct dns_zoneset *zs,
                                    const struct zdb *z, const struct qctx *x,
                                    uint32_t idx, const uint8_t *e,
                                    uint8_t *resp, size_t lim,
                                    struct dns_auth_stats *st)
{
    const uint8_t *ch[ZDB_PROOF_MAX];
    struct zdb_q q = {.name = x->name,
                      .offs = x->offs,
                      .nlen = x->nlen,
                      .nl = x->nl,
                      .idx = idx};
    int n = zdb_proof(z, &q, zdb_ld16(e + ZE_PROOF), ch);
    size_t pos, plen = 0, nrr = 0, min = zdb_ld32(e + ZE_MINLEN);

    if (n <= 0)
        return n == 0 ? put_entry(zs, z, x, e, resp, lim, st)
                      : answer_error(zs, x, resp, DNS_RCODE_SERVFAIL, true,
                                     true, st);
    for (int i = 0; i < n; i++)
        plen += zdb_ld16(ch[i] + 2), nrr += zdb_ld16(ch[i]);
    pos = put_entry(zs, z, x, e, resp, lim, st);
    if ((resp[2] & (DNS_FLAG_TC >> 8)) != 0)
        return pos;
    if (x->qend + min + plen + 11 > lim) {
        resp[2] |= DNS_FLAG_TC >> 8;
        st->truncated++;
        memset(resp + 6, 0, 6);
        return put_opt(zs, x, resp, x->qend, 0);
    }
    pos = x->qend + min;
    for (int i = 0; i < n; i++) {
        memcpy(resp + pos, ch[i] + 4, zdb_ld16(ch[i] + 2));
        pos += zdb_ld16(ch[i] + 2);
    }
    tb_put16(resp + 8, (uint16_t)(tb_get16(resp + 8) + nrr));
    tb_put16(resp + 10, 0);
    return put_opt(zs, x, resp, pos, 0);
}

/* Answers from zone (z); (idx) is the query name's node, if known. */
HOT_INLINE size_t answer_zone_at(const struct dns_zoneset *zs,
                                 const struct zdb *z, const struct qctx *x,
                                 uint32_t idx, uint8_t *resp, size_t lim,
                                 struct dns_auth_stats *st)
{
    const uint8_t *dname = NULL, *proof = NULL;
    const uint8_t *e = lookup_at(z, x, idx, &dname, &proof);

    if (TB_UNLIKELY(e == NULL))
        return proof != NULL ? answer_proof(zs, z, x, idx, proof, resp, lim, st)
                             : answer_dname(zs, z, x, dname, resp, lim, st);
    return put_entry(zs, z, x, e, resp, lim, st);
}

static size_t answer_zone(const struct dns_zoneset *zs, const struct zdb *z,
                          const struct qctx *x, uint8_t *resp, size_t lim,
                          struct dns_auth_stats *st)
{
    return answer_zone_at(zs, z, x, zdb_find(z, x->name, x->nlen, x->hash),
                          resp, lim, st);
}

/* CHAOS TXT (id.server, hostname.bind: identity; version.server,
 * version.bind: version), as NSD and Knot answer them: without AA, TXT
 * only, REFUSED for anything else. */
static size_t answer_chaos(const struct dns_zoneset *zs, const struct qctx *x,
                           uint8_t *resp, size_t lim, struct dns_auth_stats *st)
{
    static const uint8_t id1[] = "\2id\6server", id2[] = "\10hostname\4bind";
    static const uint8_t v1[] = "\7version\6server", v2[] = "\7version\4bind";
    const char *txt;
    size_t tl, pos;

#define IS(n) (x->nlen == sizeof(n) && memcmp(x->name, n, sizeof(n)) == 0)
    if (!zs->chaos || x->qtype != DNS_TYPE_TXT)
        return answer_error(zs, x, resp, DNS_RCODE_REFUSED, true, true, st);
    if (IS(id1) || IS(id2)) {
        txt = zs->identity;
        tl = zs->identity_len;
    } else if (IS(v1) || IS(v2)) {
        txt = zs->version;
        tl = zs->version_len;
    } else {
        return answer_error(zs, x, resp, DNS_RCODE_REFUSED, true, true, st);
    }
#undef IS
    pos = put_head(
        x, resp,
        (uint16_t)(DNS_FLAG_QR | (x->flags & (DNS_FLAG_RD | DNS_FLAG_CD))),
        true);
    if (pos + 13 + tl + 11 <= lim) {
        uint8_t *o = resp + pos;
        tb_put16(o, 0xc00c);
        tb_put16(o + 2, DNS_TYPE_TXT);
        tb_put16(o + 4, DNS_CLASS_CH);
        tb_put32(o + 6, 0);
        tb_put16(o + 10, (uint16_t)(tl + 1));
        o[12] = (uint8_t)tl;
        memcpy(o + 13, txt, tl);
        pos += 13 + tl;
        resp[7] = 1;
    }
    st->noerror++;
    return put_opt(zs, x, resp, pos, 0);
}

/*
 * The answer to a well-formed QUERY (x) within (lim) bytes: CHAOS, other
 * classes, transfers, then the most specific zone (or REFUSED).
 */
HOT_INLINE size_t answer_query(const struct dns_zoneset *zs, struct qctx *x,
                               uint8_t *resp, size_t lim, unsigned flags,
                               struct dns_auth_stats *st)
{
    /* Class IN, or ANY (RFC 1035 3.2.5) answered as IN like Knot. */
    if (TB_UNLIKELY(x->qclass != DNS_CLASS_IN) && x->qclass != DNS_CLASS_ANY) {
        if (x->qclass == DNS_CLASS_CH)
            return answer_chaos(zs, x, resp, lim, st);
        return answer_error(zs, x, resp, DNS_RCODE_REFUSED, true, true, st);
    }
    /* Zone transfers: AXFR not over UDP (RFC 5936 4.2: NOTIMP as NSD and
     * Knot answer); over TCP, and IXFR, not yet: REFUSED with EDE 18
     * Prohibited (RFC 8914 4.19), as NSD says when no transfer is
     * allowed. */
    if (TB_UNLIKELY(x->qtype == DNS_TYPE_AXFR || x->qtype == DNS_TYPE_IXFR)) {
        if (x->qtype == DNS_TYPE_AXFR && !(flags & DNS_AUTH_TCP))
            return answer_error(zs, x, resp, DNS_RCODE_NOTIMP, true, true, st);
        x->ede = EDE_PROHIBITED; /* for answer_slow() */
        return answer_error_ede(zs, x, resp, DNS_RCODE_REFUSED, true, true,
                                EDE_PROHIBITED, st);
    }
    /* One zone (the usual server): a name found in it is in it, so the
     * origin is compared only on a miss. */
    if (zs->n == 1) {
        const struct zdb *z = &zs->z[0];
        uint32_t idx = zdb_find(z, x->name, x->nlen, x->hash);
        size_t off;
        if (TB_LIKELY(idx != ZDB_NONE))
            return answer_zone_at(zs, z, x, idx, resp, lim, st);
        if (z->olabels <= x->nl &&
            x->nlen - (off = x->offs[x->nl - z->olabels]) == z->olen &&
            zdb_eq(x->name + off, z->origin, z->olen))
            return answer_zone_at(zs, z, x, ZDB_NONE, resp, lim, st);
        return answer_notauth(zs, x, resp, st);
    }
    /* The most specific zone: origins by decreasing label count.  A DS
     * query for a zone's apex belongs to the parent (RFC 4035 3.1.4.1). */
    for (size_t i = 0; i < zs->n; i++) {
        const struct zdb *z = &zs->z[i];
        size_t off;
        if (z->olabels > x->nl)
            continue;
        off = x->offs[x->nl - z->olabels];
        if (x->nlen - off != z->olen ||
            !zdb_eq(x->name + off, z->origin, z->olen))
            continue;
        if (TB_UNLIKELY(x->qtype == DNS_TYPE_DS && off == 0 && x->nl > 0)) {
            for (size_t j = i + 1; j < zs->n; j++) {
                const struct zdb *p = &zs->z[j];
                size_t po;
                if (p->olabels > x->nl)
                    continue;
                po = x->offs[x->nl - p->olabels];
                if (x->nlen - po == p->olen &&
                    zdb_eq(x->name + po, p->origin, p->olen))
                    return answer_zone(zs, p, x, resp, lim, st);
            }
        }
        return answer_zone(zs, z, x, resp, lim, st);
    }
    return answer_notauth(zs, x, resp, st);
}

/*
 * Judges the COOKIE option of (x) (an OPT of version 0 holds one) for
 * (env) with cookies on: sets x->ck_res and x->ck, and env->cookie_res.
 */
static void cookie_judge(struct qctx *x, struct dns_auth_env *env)
{
    x->ck_res =
        (uint8_t)dns_cookie_check(env->cookie, env->peer, env->now,
                                  x->q + x->cookie_off, x->cookie_len, x->ck);
    env->cookie_res = x->ck_res;
}

/* Cookies are on for (env) and the query (x) has a COOKIE option in an
 * OPT of version 0. */
static bool cookie_on(const struct qctx *x, const struct dns_auth_env *env)
{
    return env != NULL && env->cookie != NULL && env->peer != NULL && x->opt &&
           x->cookie_off != 0 && x->edns_version == 0;
}

/*
 * FORMERR for a QUERY whose question did not parse, without it.  With
 * QDCOUNT 0 the additional section is read (as Knot): an OPT there gets
 * ours back (RFC 6891 7), NSID included.  With cookies on, a COOKIE
 * option there asks for a server cookie (RFC 7873 5.4): NOERROR with it,
 * or BADCOOKIE when the query's server cookie is invalid.
 */
static NOINLINE size_t answer_formerr(const struct dns_zoneset *zs,
                                      struct qctx *x, uint8_t *resp,
                                      struct dns_auth_env *env,
                                      struct dns_auth_stats *st)
{
    bool opt = false;
    unsigned rc = DNS_RCODE_FORMERR;

    if (x->qlen >= DNS_HDR_LEN && tb_get16(x->q + 4) == 0 &&
        tb_get16(x->q + 6) == 0 && tb_get16(x->q + 8) == 0 &&
        tb_get16(x->q + 10) != 0) {
        x->qend = DNS_HDR_LEN;
        opt = parse_additional(x, tb_get16(x->q + 10));
        if (opt && cookie_on(x, env) && x->tsig == 0 &&
            DNS_RCODE(x->flags) == 0) {
            cookie_judge(x, env);
            if (x->ck_res == DNS_COOKIE_INVALID)
                rc = DNS_RCODE_BADCOOKIE;
            else if (x->ck_res != DNS_COOKIE_MALFORMED)
                rc = DNS_RCODE_NOERROR;
        }
    }
    return answer_error(zs, x, resp, rc, false, opt, st);
}

/*
 * A QUERY with more in its additional section than the usual bare OPT:
 * options, TSIG.  Answered by the same answer_query() with the OPT left
 * out (x->opt cleared) and room kept for it, then the OPT is appended
 * with its options: NSID (RFC 5001) when asked, EDE when answer_query()
 * chose one.  So nothing on the common path looks at options.
 */
static NOINLINE size_t answer_slow(const struct dns_zoneset *zs, struct qctx *x,
                                   uint8_t *resp, size_t cap, unsigned flags,
                                   struct dns_auth_env *env,
                                   struct dns_auth_stats *st)
{
    bool opt = x->opt;
    size_t lim, keep, n;

    if (TB_UNLIKELY(DNS_RCODE(x->flags) != 0))
        return answer_error(zs, x, resp, DNS_RCODE_FORMERR, true, true, st);
    if (x->tsig != 0)
        return answer_badkey(zs, x, resp, st);
    if (opt && x->edns_version != 0) {
        x->dnssec = false;
        return answer_error(zs, x, resp, DNS_RCODE_BADVERS, true, true, st);
    }
    if (cookie_on(x, env)) {
        cookie_judge(x, env);
        if (x->ck_res == DNS_COOKIE_MALFORMED) /* RFC 7873 5.2.2 */
            return answer_error(zs, x, resp, DNS_RCODE_FORMERR, true, true, st);
        /* RFC 7873 5.2.3/5.2.4: over UDP, a server that requires cookies
         * answers BADCOOKIE with a fresh one; over TCP the address is
         * proven. */
        if (x->ck_res != DNS_COOKIE_VALID && !(flags & DNS_AUTH_TCP) &&
            dns_cookie_required(env->cookie))
            return answer_error(zs, x, resp, DNS_RCODE_BADCOOKIE, true, true,
                                st);
    }
    lim = limit(zs, x, cap, flags);
    keep = opt ? 11 + nsid_room(zs, x) + cookie_room(x) : 0;
    if (keep > lim - x->qend) { /* a long NSID and a long name in 512 */
        x->nsid = false;
        keep = 11 + cookie_room(x);
    }
    x->opt = false;
    x->ede = 0;
    n = answer_query(zs, x, resp, lim - keep, flags, st);
    x->opt = opt;
    return put_opt_opts(zs, x, resp, n, lim, 0, x->ede);
}

/* dns_auth_stats.qtype's counter for each type below 256, plus one (0:
 * OTHER); every type counted one by one is below 256. */
static const uint8_t qt_index[256] = {
    [DNS_TYPE_A] = DNS_QT_A + 1,           [DNS_TYPE_NS] = DNS_QT_NS + 1,
    [DNS_TYPE_CNAME] = DNS_QT_CNAME + 1,   [DNS_TYPE_SOA] = DNS_QT_SOA + 1,
    [DNS_TYPE_PTR] = DNS_QT_PTR + 1,       [DNS_TYPE_MX] = DNS_QT_MX + 1,
    [DNS_TYPE_TXT] = DNS_QT_TXT + 1,       [DNS_TYPE_AAAA] = DNS_QT_AAAA + 1,
    [DNS_TYPE_SRV] = DNS_QT_SRV + 1,       [DNS_TYPE_DS] = DNS_QT_DS + 1,
    [DNS_TYPE_DNSKEY] = DNS_QT_DNSKEY + 1, [65] = DNS_QT_HTTPS + 1,
    [DNS_TYPE_ANY] = DNS_QT_ANY + 1,       [DNS_TYPE_AXFR] = DNS_QT_AXFR + 1,
    [DNS_TYPE_IXFR] = DNS_QT_IXFR + 1};

HOT_INLINE void count_qtype(struct dns_auth_stats *st, uint16_t t)
{
    unsigned i = t < 256 ? qt_index[t] : 0;
    st->qtype[i != 0 ? i - 1 : DNS_QT_OTHER]++;
}

/* The answer path, inlined into both entry points: in dns_auth_answer()
 * (env) is NULL and the cookie code folds away; neither pays a call. */
HOT_INLINE size_t answer(const struct dns_zoneset *zs, const uint8_t *q,
                         size_t qlen, uint8_t *resp, size_t cap, unsigned flags,
                         struct dns_auth_env *env, struct dns_auth_stats *st)
{
    struct qctx x;
    uint64_t hw;
    bool ok;

    st->queries++;
    if (TB_UNLIKELY(qlen < DNS_HDR_LEN || cap < DNS_UDP_MINLEN ||
                    (q[2] & (DNS_FLAG_QR >> 8)))) {
        st->dropped++;
        return 0;
    }
    x.q = q;
    x.qlen = qlen;
    x.flags = tb_get16(q + 2);
    x.opt = x.dnssec = x.nsid = false;
    x.ede = 0;
    x.ck_res = DNS_COOKIE_NONE;
    x.qend = 0;
    /* QDCOUNT 1, ANCOUNT and NSCOUNT 0 (RFC 1035 4.1.2; NSD): bytes 4..9
     * are 00 01 00 00 00 00. */
    hw = zdb_ld64(q + 2);
    ok = (hw & 0xffffffffffff0000ull) == 0x0000000001000000ull &&
         parse_question(&x);
    if (TB_LIKELY(ok))
        count_qtype(st, x.qtype);
    if (TB_UNLIKELY(DNS_OPCODE(x.flags) != DNS_OPCODE_QUERY)) {
        /* NOTIFY: no primary is allowed to send one yet, REFUSED as NSD
         * says to an unlisted sender (RFC 1996); the rest: NOTIMP. */
        unsigned rc = DNS_OPCODE(x.flags) == DNS_OPCODE_NOTIFY
                          ? DNS_RCODE_REFUSED
                          : DNS_RCODE_NOTIMP;
        if (ok && !parse_additional(&x, tb_get16(q + 10)))
            x.opt = false;
        return answer_error(zs, &x, resp, rc, ok, true, st);
    }
    if (TB_UNLIKELY(!ok))
        return answer_formerr(zs, &x, resp, env, st);
    if (tb_get16(q + 10) == 1 && qlen - x.qend == 11 && q[x.qend] == 0 &&
        tb_get16(q + x.qend + 1) == DNS_TYPE_OPT &&
        tb_get16(q + x.qend + 9) == 0) {
        /* The usual OPT without options, alone (RFC 6891 6.1.2). */
        x.opt = true;
        x.udp = tb_get16(q + x.qend + 3);
        x.edns_version = q[x.qend + 6];
        x.dnssec = (q[x.qend + 7] & (DNS_EDNS_DO >> 8)) != 0;
    } else if (tb_get16(q + 10) != 0) {
        if (TB_UNLIKELY(!parse_additional(&x, tb_get16(q + 10)))) {
            x.opt = false;
            return answer_error(zs, &x, resp, DNS_RCODE_FORMERR, true, false,
                                st);
        }
        return answer_slow(zs, &x, resp, cap, flags, env, st);
    }
    if (TB_UNLIKELY(DNS_RCODE(x.flags) != 0))
        return answer_error(zs, &x, resp, DNS_RCODE_FORMERR, true, true, st);
    if (TB_UNLIKELY(x.opt && x.edns_version != 0)) {
        /* RFC 6891 6.1.3: BADVERS (16) = ext 1, header 0. */
        x.dnssec = false;
        return answer_error(zs, &x, resp, DNS_RCODE_BADVERS, true, true, st);
    }
    return answer_query(zs, &x, resp, limit(zs, &x, cap, flags), flags, st);
}

size_t dns_auth_answer(const struct dns_zoneset *zs, const uint8_t *q,
                       size_t qlen, uint8_t *resp, size_t cap, unsigned flags,
                       struct dns_auth_stats *st)
{
    return answer(zs, q, qlen, resp, cap, flags, NULL, st);
}

size_t dns_auth_answer_env(const struct dns_zoneset *zs, const uint8_t *q,
                           size_t qlen, uint8_t *resp, size_t cap,
                           unsigned flags, struct dns_auth_env *env,
                           struct dns_auth_stats *st)
{
    return answer(zs, q, qlen, resp, cap, flags, env, st);
}
