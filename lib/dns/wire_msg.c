/*
 * wire_msg.c -- validating parser for any DNS message (RFC 1035 4.1) and
 * the RR iterator over it; also the per-RR validator that the query hot
 * path (wire_query.c) shares.  Used by the resolver, transfers, the
 * differential tools and tests: dns_msg_parse() checks everything once
 * (names and their compression, RDLENGTH, rdata layout, OPT and TSIG
 * placement), after which dns_rr_next() walks the message without
 * failing.  It keeps offsets into the caller's buffer and copies nothing
 * but the owner names the iterator hands out.
 *
 *   +--------+----------+--------+-----------+------------+
 *   | header | question | answer | authority | additional |
 *   +--------+----------+--------+-----------+------------+
 *     12 B     QDCOUNT x  ANCOUNT  NSCOUNT     ARCOUNT x RR
 *              {name, type, class}           (OPT, TSIG last)
 */
#include <tibra/dns.h>

#include "wire_priv.h"

int dns_wire_rr_check(const uint8_t *msg, size_t len, size_t *pos, unsigned sec,
                      bool last, struct dns_wire_walk *wk,
                      struct dns_wire_rr *rr)
{
    size_t p = *pos;
    bool root;

    rr->off = p;
    if (TB_UNLIKELY(p >= len))
        return TB_EMALF;
    root = msg[p] == 0;
    if (root) {
        p++;
    } else {
        uint8_t tmp[DNS_NAME_MAXLEN];
        size_t n;
        if (dns_wire_name_unpack(msg, len, p, tmp, &n, &p, &wk->hops) < 0)
            return TB_EMALF;
    }
    if (TB_UNLIKELY(len - p < DNS_RR_FIXED_LEN))
        return TB_EMALF;
    rr->type = tb_get16(msg + p);
    rr->rclass = tb_get16(msg + p + 2);
    rr->ttl = tb_get32(msg + p + 4);
    rr->rdlen = tb_get16(msg + p + 8);
    p += DNS_RR_FIXED_LEN;
    if (TB_UNLIKELY(rr->rdlen > len - p))
        return TB_EMALF;
    rr->rdoff = p;

    if (rr->type == DNS_TYPE_OPT) {
        /* RFC 6891 6.1.1: only in the additional section, at most one,
         * owner the root; a message breaking this is malformed. */
        if (sec != DNS_SEC_ADDITIONAL || wk->opt_off != 0 || !root)
            return TB_EMALF;
        wk->opt_off = rr->off;
    } else if (rr->type == DNS_TYPE_TSIG) {
        /* RFC 8945 5.1 (and RFC 6891 6.1.1): the last RR, additional. */
        if (sec != DNS_SEC_ADDITIONAL || !last)
            return TB_EMALF;
        wk->tsig_off = rr->off;
    } else if (rr->rdlen == 0 && rr->rclass != DNS_CLASS_IN) {
        /* RFC 2136 2.5.2-2.5.4: UPDATE deletes with empty rdata in
         * classes ANY and NONE; accepted outside IN as Knot does. */
        *pos = p;
        return 0;
    }
    if (dns_wire_rdata_unpack(msg, len, p, rr->rdlen, rr->type, NULL, 0, NULL,
                              &wk->hops) < 0)
        return TB_EMALF;
    *pos = p + rr->rdlen;
    return 0;
}

int dns_msg_parse(struct dns_msg *m, const uint8_t *buf, size_t len)
{
    struct dns_wire_walk wk = {0, 0, SIZE_MAX};
    struct dns_wire_rr rr;
    size_t p = DNS_HDR_LEN, nrr;

    if (len < DNS_HDR_LEN)
        return TB_ETRUNC;
    m->buf = buf;
    m->len = len;
    m->id = tb_get16(buf);
    m->flags = tb_get16(buf + 2);
    for (unsigned s = 0; s < 4; s++)
        m->count[s] = tb_get16(buf + 4 + 2 * s);
    /* Counts bounded by the bytes left: a question is at least 5 bytes,
     * an RR at least 11. */
    nrr = (size_t)m->count[1] + m->count[2] + m->count[3];
    if (m->count[0] > (len - p) / 5 || nrr > (len - p) / DNS_RR_MIN_LEN)
        return TB_EMALF;

    m->sec_off[DNS_SEC_QUESTION] = p;
    for (unsigned i = 0; i < m->count[0]; i++) {
        uint8_t tmp[DNS_NAME_MAXLEN];
        size_t n;
        if (dns_name_unpack(buf, len, p, tmp, &n, &p) < 0 || len - p < 4)
            return TB_EMALF;
        p += 4;
    }
    for (unsigned s = DNS_SEC_ANSWER; s <= DNS_SEC_ADDITIONAL; s++) {
        m->sec_off[s] = p;
        for (unsigned i = 0; i < m->count[s]; i++) {
            nrr--;
            if (dns_wire_rr_check(buf, len, &p, s, nrr == 0, &wk, &rr) < 0)
                return TB_EMALF;
        }
    }
    m->end = p;
    m->opt_off = wk.opt_off;
    m->tsig_off = wk.tsig_off;
    return 0;
}

void dns_rr_iter_init(struct dns_rr_iter *it, const struct dns_msg *m,
                      enum dns_section section)
{
    it->m = m;
    it->sec = (unsigned)section;
    it->pos = m->sec_off[section];
    it->left = m->count[section];
}

bool dns_rr_next(struct dns_rr_iter *it, struct dns_rr *rr)
{
    const struct dns_msg *m = it->m;
    size_t p;

    while (it->left == 0) {
        if (it->sec >= DNS_SEC_ADDITIONAL)
            return false;
        it->sec++;
        it->pos = m->sec_off[it->sec];
        it->left = m->count[it->sec];
    }
    rr->off = it->pos;
    rr->section = (uint8_t)it->sec;
    if (NEVER(dns_name_unpack(m->buf, m->len, it->pos, rr->owner,
                              &rr->owner_len, &p) < 0))
        return false;
    rr->type = tb_get16(m->buf + p);
    rr->rclass = tb_get16(m->buf + p + 2);
    if (it->sec == DNS_SEC_QUESTION) {
        rr->ttl = 0;
        rr->rdoff = 0;
        rr->rdlen = 0;
        p += 4;
    } else {
        rr->ttl = tb_get32(m->buf + p + 4);
        rr->rdlen = tb_get16(m->buf + p + 8);
        rr->rdoff = p + DNS_RR_FIXED_LEN;
        p = rr->rdoff + rr->rdlen;
    }
    it->pos = p;
    it->left--;
    return true;
}
