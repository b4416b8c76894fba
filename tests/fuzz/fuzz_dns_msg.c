/*
 * fuzz_dns_msg.c -- the message codec end to end on arbitrary bytes:
 * dns_query_parse(), dns_msg_parse(), the RR iterator, dns_rdata_unpack()
 * on every RR, then the writer re-encodes the message (questions, RRs
 * with decompressed rdata, OPT, TSIG last) and the result is parsed again.
 *
 * Invariants: a message the query parser accepts, the general parser
 * accepts too, with the same end, OPT and TSIG; the iterator yields
 * exactly the header counts and stops at (end); rdata that unpacks stays
 * within its bound; the re-encoded message parses, has the same counts,
 * and every entry matches the original (owner equal ignoring case, type,
 * class, TTL, rdata equal after decompression ignoring case).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tibra/dns.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

#define RDMAX (65535 + 256)
static uint8_t rd1[RDMAX], rd2[RDMAX], out[65535];

static void fold(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 'A' && p[i] <= 'Z')
            p[i] += 32;
}

/*
 * Re-encodes (m) into (out) under the size limit (cap); returns the
 * length, or 0 if it did not fit (decompressed rdata of the
 * never-compressed types can grow).  With (trunc), stops at the first RR
 * that does not fit, as a server setting TC does, and returns what was
 * written; the writer MUST be unchanged by the failed RR.
 */
static size_t reencode(const struct dns_msg *m, size_t cap, bool trunc)
{
    static struct dns_writer w, before;
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t n;

    dns_writer_init(&w, out, cap, m->id, m->flags);
    dns_rr_iter_init(&it, m, DNS_SEC_QUESTION);
    while (dns_rr_next(&it, &rr)) {
        if (rr.section == DNS_SEC_QUESTION) {
            if (dns_writer_question(&w, rr.owner, rr.type, rr.rclass) != 0)
                return 0;
            continue;
        }
        if (rr.off == m->opt_off || rr.off == m->tsig_off)
            continue; /* written last, in that order */
        dns_writer_section(&w, (enum dns_section)rr.section);
        int r = dns_rdata_unpack(m->buf, m->len, rr.rdoff, rr.rdlen, rr.type,
                                 rd1, sizeof(rd1), &n);
        if (r != 0) {
            /* only empty rdata outside class IN gets here (UPDATE) */
            REQUIRE(rr.rdlen == 0 && rr.rclass != DNS_CLASS_IN);
            n = 0;
        }
        if (n > 65535)
            return 0;
        before = w;
        if (dns_writer_rr(&w, rr.owner, rr.type, rr.rclass, rr.ttl, rd1,
                          (uint16_t)n) != 0) {
            if (!trunc)
                return 0;
            REQUIRE(w.len == before.len && w.nnames == before.nnames);
            REQUIRE(memcmp(w.count, before.count, sizeof(w.count)) == 0);
            REQUIRE(memcmp(w.slot, before.slot, sizeof(w.slot)) == 0);
            return dns_writer_finish(&w);
        }
    }
    if (m->opt_off != 0) {
        const uint8_t *o = m->buf + m->opt_off;
        if (dns_writer_opt(&w, tb_get16(o + 3), o[5], o[6], tb_get16(o + 7),
                           o + 11, tb_get16(o + 9)) != 0)
            return 0;
    }
    if (m->tsig_off != 0) {
        struct dns_msg one = *m;
        one.sec_off[DNS_SEC_ADDITIONAL] = m->tsig_off;
        one.count[DNS_SEC_ADDITIONAL] = 1;
        dns_rr_iter_init(&it, &one, DNS_SEC_ADDITIONAL);
        REQUIRE(dns_rr_next(&it, &rr) && rr.type == DNS_TYPE_TSIG);
        dns_writer_section(&w, DNS_SEC_ADDITIONAL);
        if (dns_writer_rr(&w, rr.owner, rr.type, rr.rclass, rr.ttl,
                          m->buf + rr.rdoff, rr.rdlen) != 0)
            return 0;
    }
    return dns_writer_finish(&w);
}

/* Next entry of (it) that is not the OPT or TSIG RR of (m). */
static bool next_plain(struct dns_rr_iter *it, const struct dns_msg *m,
                       struct dns_rr *rr)
{
    while (dns_rr_next(it, rr))
        if (rr->section == DNS_SEC_QUESTION ||
            (rr->off != m->opt_off && rr->off != m->tsig_off))
            return true;
    return false;
}

/* Compares (a) and its re-encoding (b) entry by entry; the OPT and TSIG
 * RRs moved to the end and are compared byte for byte. */
static void compare(const struct dns_msg *a, const struct dns_msg *b)
{
    struct dns_rr_iter ia, ib;
    static struct dns_rr ra, rb;
    size_t na, nb;

    for (unsigned s = 0; s < 4; s++)
        REQUIRE(a->count[s] == b->count[s]);
    REQUIRE((a->opt_off == 0) == (b->opt_off == 0));
    REQUIRE((a->tsig_off == 0) == (b->tsig_off == 0));
    if (a->opt_off != 0) {
        size_t l = 11 + (size_t)tb_get16(a->buf + a->opt_off + 9);
        REQUIRE(memcmp(a->buf + a->opt_off, b->buf + b->opt_off, l) == 0);
    }
    dns_rr_iter_init(&ia, a, DNS_SEC_QUESTION);
    dns_rr_iter_init(&ib, b, DNS_SEC_QUESTION);
    for (;;) {
        bool ga = next_plain(&ia, a, &ra), gb = next_plain(&ib, b, &rb);
        REQUIRE(ga == gb);
        if (!ga)
            break;
        REQUIRE(ra.section == rb.section);
        REQUIRE(dns_name_equal(ra.owner, rb.owner));
        REQUIRE(ra.type == rb.type && ra.rclass == rb.rclass);
        REQUIRE(ra.ttl == rb.ttl);
        if (ra.section == DNS_SEC_QUESTION)
            continue;
        int r1 = dns_rdata_unpack(a->buf, a->len, ra.rdoff, ra.rdlen, ra.type,
                                  rd1, sizeof(rd1), &na);
        int r2 = dns_rdata_unpack(b->buf, b->len, rb.rdoff, rb.rdlen, rb.type,
                                  rd2, sizeof(rd2), &nb);
        REQUIRE(r1 == r2);
        if (r1 == 0) {
            REQUIRE(na == nb);
            fold(rd1, na);
            fold(rd2, nb);
            REQUIRE(memcmp(rd1, rd2, na) == 0);
        }
    }
}

/* Every entry of (b) equals the entry of (a) at the same position. */
static void prefix(const struct dns_msg *a, const struct dns_msg *b)
{
    struct dns_rr_iter ia, ib;
    static struct dns_rr ra, rb;

    dns_rr_iter_init(&ia, a, DNS_SEC_QUESTION);
    dns_rr_iter_init(&ib, b, DNS_SEC_QUESTION);
    while (next_plain(&ib, b, &rb)) {
        REQUIRE(next_plain(&ia, a, &ra));
        REQUIRE(ra.section == rb.section && ra.type == rb.type);
        REQUIRE(dns_name_equal(ra.owner, rb.owner));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_query q;
    static struct dns_msg m, m2;
    static struct dns_rr rr;
    struct dns_rr_iter it;
    size_t n;
    int rq, rm;

    rq = dns_query_parse(&q, data, size);
    REQUIRE(rq == 0 || rq == DNS_QUERY_NOQUESTION || rq == TB_EMALF ||
            rq == TB_ETRUNC || rq == TB_EINVAL);
    rm = dns_msg_parse(&m, data, size);
    REQUIRE(rm == 0 || rm == TB_EMALF || rm == TB_ETRUNC);
    if (rq >= 0) {
        REQUIRE(rm == 0);
        REQUIRE(q.end == m.end);
        REQUIRE(q.has_opt == (m.opt_off != 0));
        REQUIRE(!q.has_opt || q.opt_off == m.opt_off);
        REQUIRE(q.tsig_off == m.tsig_off);
        REQUIRE(q.qname_len == 0 ||
                dns_name_check(q.qname, q.qname_len) == (int)q.qname_len);
        if (rq == 0)
            REQUIRE(q.question_end > DNS_HDR_LEN && q.question_end <= size);
    }
    if (rm != 0)
        return 0;

    /* the iterator yields the counts and ends at (end) */
    unsigned seen[4] = {0, 0, 0, 0};
    size_t last = DNS_HDR_LEN;
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    while (dns_rr_next(&it, &rr)) {
        seen[rr.section]++;
        REQUIRE(rr.owner_len <= DNS_NAME_MAXLEN);
        REQUIRE(dns_name_check(rr.owner, rr.owner_len) == (int)rr.owner_len);
        if (rr.section != DNS_SEC_QUESTION) {
            REQUIRE(rr.rdoff + rr.rdlen <= m.end);
            last = rr.rdoff + rr.rdlen;
            if (dns_rdata_unpack(data, size, rr.rdoff, rr.rdlen, rr.type, rd1,
                                 sizeof(rd1), &n) == 0)
                REQUIRE(n <= sizeof(rd1));
        } else {
            last = it.pos;
        }
    }
    REQUIRE(last == m.end);
    for (unsigned s = 0; s < 4; s++)
        REQUIRE(seen[s] == m.count[s]);

    /* a truncated re-encoding (TC-style) parses, and is a prefix */
    n = reencode(&m, DNS_HDR_LEN + (size_t)data[size - 1] * 4, true);
    if (n > 0) {
        REQUIRE(dns_msg_parse(&m2, out, n) == 0);
        REQUIRE(m2.end == n);
        prefix(&m, &m2);
    }
    n = reencode(&m, sizeof(out), false);
    if (n == 0)
        return 0;
    REQUIRE(dns_msg_parse(&m2, out, n) == 0);
    REQUIRE(m2.end == n);
    compare(&m, &m2);
    return 0;
}
