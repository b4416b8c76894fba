/*
 * wire_query.c -- the authoritative hot path's query parser:
 * udp/tcp input -> dns_query_parse() -> auth lookup -> dns_writer_*.
 * It validates the whole message once (header, the one question, every
 * RR through the validator wire_msg.c shares) and extracts what answering
 * needs: the qname copied and lowercased in one pass, qtype/qclass, and
 * the EDNS(0) OPT fields.  A typical query (header, question, one OPT RR)
 * takes a single pass over the bytes and copies nothing but the qname.
 * Policy (opcode, RCODE, counts, EDNS version) stays with the caller;
 * see wire.h for how results map to drop / FORMERR / answer.
 */
#include <tibra/dns.h>

#include "wire_priv.h"

static inline void lower_word(uint8_t *dst, const uint8_t *src)
{
    uint64_t w;

    memcpy(&w, src, 8);
    w = dns_wire_lower8(w);
    memcpy(dst, &w, 8);
}

/*
 * Copies the (n)-byte wire name at (src) into (dst), folding ASCII case,
 * a word at a time; the last word overlaps the one before (folding is
 * idempotent), so there is no byte loop unless the name is under 8 bytes.
 */
static inline void copy_lower(uint8_t *dst, const uint8_t *src, size_t n)
{
    if (TB_LIKELY(n >= 8)) {
        for (size_t i = 0; i + 8 < n; i += 8)
            lower_word(dst + i, src + i);
        lower_word(dst + n - 8, src + n - 8);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t c = src[i];
        dst[i] = (uint8_t)((unsigned)(c - 'A') < 26u ? c + 32 : c);
    }
}

/* Stores the OPT RR fields (RFC 6891 6.1.3) of an RR at (off). */
static inline void set_opt(struct dns_query *q, size_t off, uint16_t rclass,
                           uint32_t ttl, size_t end)
{
    q->has_opt = true;
    q->udp_size = rclass;
    q->ext_rcode = (uint8_t)(ttl >> 24);
    q->edns_version = (uint8_t)(ttl >> 16);
    q->edns_flags = (uint16_t)ttl;
    q->opt_off = off;
    q->opt_len = end - off;
}

/*
 * The common case: the only RR is an OPT right after the question.  Same
 * checks as dns_wire_rr_check() makes for it (root owner, RDLENGTH,
 * option TLVs filling the rdata), without the general walk.  Returns the
 * offset after the OPT RR, or 0 if malformed.
 */
static inline size_t fast_opt(struct dns_query *q, const uint8_t *buf,
                              size_t len, size_t p)
{
    size_t o = p + DNS_RR_MIN_LEN, e = o + tb_get16(buf + p + 9);

    if (TB_UNLIKELY(e > len))
        return 0;
    while (e - o >= 4) {
        size_t l = tb_get16(buf + o + 2);
        if (TB_UNLIKELY(l > e - o - 4))
            return 0;
        o += 4 + l;
    }
    if (TB_UNLIKELY(o != e))
        return 0;
    set_opt(q, p, tb_get16(buf + p + 3), tb_get32(buf + p + 5), e);
    return e;
}

/* Every other case: walk all RRs with the shared validator. */
static __attribute__((noinline)) int slow_rrs(struct dns_query *q,
                                              const uint8_t *buf, size_t len,
                                              size_t p, size_t nrr)
{
    struct dns_wire_walk wk = {0, 0, dns_wire_hop_budget(len)};
    struct dns_wire_rr rr;
    unsigned counts[4] = {0, q->ancount, q->nscount, q->arcount};

    for (unsigned s = DNS_SEC_ANSWER; s <= DNS_SEC_ADDITIONAL; s++) {
        for (unsigned i = 0; i < counts[s]; i++) {
            nrr--;
            if (dns_wire_rr_check(buf, len, &p, s, nrr == 0, &wk, &rr) < 0)
                return TB_EMALF;
            if (rr.type == DNS_TYPE_OPT)
                set_opt(q, rr.off, rr.rclass, rr.ttl, rr.rdoff + rr.rdlen);
        }
    }
    q->tsig_off = wk.tsig_off;
    q->end = p;
    return 0;
}

int dns_query_parse(struct dns_query *q, const uint8_t *buf, size_t len)
{
    size_t p = DNS_HDR_LEN, nrr;

    memset(&q->qtype, 0,
           offsetof(struct dns_query, qname) -
               offsetof(struct dns_query, qtype));
    if (TB_UNLIKELY(len < DNS_HDR_LEN))
        return TB_ETRUNC;
    q->id = tb_get16(buf);
    q->flags = tb_get16(buf + 2);
    q->qdcount = tb_get16(buf + 4);
    q->ancount = tb_get16(buf + 6);
    q->nscount = tb_get16(buf + 8);
    q->arcount = tb_get16(buf + 10);
    if (TB_UNLIKELY(q->flags & DNS_FLAG_QR))
        return TB_EINVAL;

    if (TB_LIKELY(q->qdcount == 1)) {
        /* RFC 1035 4.1.2.  Compression is refused here, as NSD and Knot
         * refuse it: the only earlier bytes are the header. */
        size_t s = p, lim = TB_MIN(len, p + DNS_NAME_MAXLEN);
        unsigned c;
        if (TB_UNLIKELY(p >= len))
            return TB_EMALF;
        /* lim bounds the message and the name length (255) at once */
        while ((c = buf[s]) != 0) {
            s += c + 1;
            if (TB_UNLIKELY(c > DNS_LABEL_MAXLEN || s >= lim))
                return TB_EMALF;
        }
        size_t n = s - p + 1;
        if (TB_UNLIKELY(len - s < 5))
            return TB_EMALF;
        copy_lower(q->qname, buf + p, n);
        q->qname_len = (uint8_t)n;
        q->qtype = tb_get16(buf + s + 1);
        q->qclass = tb_get16(buf + s + 3);
        p = s + 5;
        q->question_end = p;
    } else if (q->qdcount != 0) {
        return TB_EMALF; /* RFC 9619: exactly one question */
    }

    /* Counts bounded by the bytes left (an RR is at least 11 bytes). */
    nrr = (size_t)q->ancount + q->nscount + q->arcount;
    if (nrr == 0) {
        q->end = p;
    } else if (TB_UNLIKELY(nrr * DNS_RR_MIN_LEN > len - p)) {
        return TB_EMALF;
    } else if (TB_LIKELY(q->arcount == 1 && nrr == 1 && buf[p] == 0 &&
                         tb_get16(buf + p + 1) == DNS_TYPE_OPT)) {
        q->end = fast_opt(q, buf, len, p);
        if (TB_UNLIKELY(q->end == 0))
            return TB_EMALF;
    } else if (slow_rrs(q, buf, len, p, nrr) < 0) {
        return TB_EMALF;
    }
    return q->qdcount == 1 ? 0 : DNS_QUERY_NOQUESTION;
}
