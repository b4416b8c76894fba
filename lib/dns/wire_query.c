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

/*
 * Lowercases the 8 ASCII bytes packed in (w) (SWAR): a byte gets 0x20
 * added iff it is in 'A'..'Z'.  Label length bytes (<= 63) are never
 * letters, so a whole wire name can be folded this way.
 */
static inline uint64_t lower8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
    uint64_t h = w & ~high;                  /* low 7 bits of each byte */
    uint64_t ge_a = h + ones * (0x80 - 'A'); /* high bit: h >= 'A' */
    uint64_t gt_z = h + ones * (0x7f - 'Z'); /* high bit: h > 'Z' */
    uint64_t upper = ge_a & ~gt_z & ~w & high;
    return w | (upper >> 2);
}

/* Copies the (n)-byte wire name (src) into (dst), folding ASCII case. */
static inline void copy_lower(uint8_t *dst, const uint8_t *src, size_t n)
{
    size_t i = 0;
    uint64_t w;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, src + i, 8);
        w = lower8(w);
        memcpy(dst + i, &w, 8);
    }
    for (; i < n; i++) {
        uint8_t c = src[i];
        dst[i] = (uint8_t)((unsigned)(c - 'A') < 26u ? c + 32 : c);
    }
}

/* Reads the OPT RR just validated at (rr) into (q) (RFC 6891 6.1.3). */
static void read_opt(struct dns_query *q, const struct dns_wire_rr *rr)
{
    q->has_opt = true;
    q->udp_size = rr->rclass;
    q->ext_rcode = (uint8_t)(rr->ttl >> 24);
    q->edns_version = (uint8_t)(rr->ttl >> 16);
    q->edns_flags = (uint16_t)rr->ttl;
    q->opt_off = rr->off;
    q->opt_len = rr->rdoff + rr->rdlen - rr->off;
}

int dns_query_parse(struct dns_query *q, const uint8_t *buf, size_t len)
{
    struct dns_wire_walk wk = {0, 0};
    struct dns_wire_rr rr;
    size_t p = DNS_HDR_LEN, nrr;
    unsigned counts[4];

    q->qname_len = 0;
    q->question_end = 0;
    q->end = 0;
    q->has_opt = false;
    q->opt_off = q->opt_len = q->tsig_off = 0;
    q->udp_size = 0;
    q->edns_version = q->ext_rcode = 0;
    q->edns_flags = 0;
    q->qtype = q->qclass = 0;
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
        size_t s = p;
        for (;;) {
            if (TB_UNLIKELY(s >= len))
                return TB_EMALF;
            unsigned c = buf[s];
            if (c == 0)
                break;
            if (TB_UNLIKELY(c > DNS_LABEL_MAXLEN))
                return TB_EMALF;
            s += c + 1;
            if (TB_UNLIKELY(s - p > DNS_NAME_MAXLEN - 1))
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

    counts[1] = q->ancount;
    counts[2] = q->nscount;
    counts[3] = q->arcount;
    nrr = (size_t)counts[1] + counts[2] + counts[3];
    if (TB_UNLIKELY(nrr > (len - p) / DNS_RR_MIN_LEN))
        return TB_EMALF;
    for (unsigned s = DNS_SEC_ANSWER; s <= DNS_SEC_ADDITIONAL; s++) {
        for (unsigned i = 0; i < counts[s]; i++) {
            nrr--;
            if (dns_wire_rr_check(buf, len, &p, s, nrr == 0, &wk, &rr) < 0)
                return TB_EMALF;
            if (rr.type == DNS_TYPE_OPT)
                read_opt(q, &rr);
        }
    }
    q->tsig_off = wk.tsig_off;
    q->end = p;
    return q->qdcount == 1 ? 0 : DNS_QUERY_NOQUESTION;
}
