/*
 * journal.c -- the journal of a dynamically updated zone (dns/update.h):
 * entries framed and checksummed (CRC-32C), read back from untrusted
 * bytes, and applied to a version to make the next one.
 *
 *   driver: the update's delta -> dns_journal_entry -> append, fsync
 *   start:  file bytes -> dns_journal_next (frame, CRC) -> delta
 *           -> dns_journal_apply (every record checked) -> next version
 *
 * CRC-32C (Castagnoli), bitwise: the journal is written once per update
 * and read once per start, so a table buys nothing; no crypto library is
 * needed (guests link this too).
 */
#include <string.h>
#include <tibra/dns/serial.h>
#include <tibra/dns/update.h>

#include "update_int.h"

#define J_MAGIC  "TBJOURNL"
#define J_ENTRY  0x54424a45u /* "TBJE" */
#define J_VERS   1
#define J_RR_MIN 9 /* root owner + type, rdlen, ttl */

static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n-- != 0) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    return ~crc;
}

void dns_journal_header(uint8_t *out)
{
    memcpy(out, J_MAGIC, 8);
    tb_put32(out + 8, J_VERS);
    tb_put32(out + 12, 0);
}

int dns_journal_entry(struct tb_buf *out, const struct dns_ixfr_delta *d)
{
    uint8_t h[20], c[4];
    size_t keep = out->len;

    tb_put32(h, J_ENTRY);
    tb_put32(h + 4, (uint32_t)d->len);
    tb_put32(h + 8, d->from);
    tb_put32(h + 12, d->to);
    tb_put32(h + 16, d->nrrs);
    tb_put32(c, crc32c(crc32c(0, h, 20), d->rrs, d->len));
    tb_buf_append(out, h, 20);
    tb_buf_append(out, d->rrs, d->len);
    tb_buf_append(out, c, 4);
    if (out->err != 0 || d->len > UINT32_MAX - DNS_JOURNAL_ENTRY_MIN) {
        out->len = keep;
        out->err = 0;
        return TB_ENOMEM;
    }
    return 0;
}

int dns_journal_next(const uint8_t *p, size_t len, size_t *off,
                     struct dns_ixfr_delta *d)
{
    size_t o = *off;
    uint32_t n;

    if (o == 0) {
        if (len < DNS_JOURNAL_HDR_LEN || memcmp(p, J_MAGIC, 8) != 0 ||
            tb_get32(p + 8) != J_VERS)
            return TB_EMALF;
        *off = o = DNS_JOURNAL_HDR_LEN;
    }
    if (o == len)
        return TB_ENOENT;
    if (o > len || len - o < DNS_JOURNAL_ENTRY_MIN ||
        tb_get32(p + o) != J_ENTRY)
        return TB_ETRUNC;
    n = tb_get32(p + o + 4);
    if (n > len - o - DNS_JOURNAL_ENTRY_MIN)
        return TB_ETRUNC;
    if (crc32c(0, p + o, 20 + (size_t)n) != tb_get32(p + o + 20 + n))
        return TB_ETRUNC;
    d->from = tb_get32(p + o + 8);
    d->to = tb_get32(p + o + 12);
    d->nrrs = tb_get32(p + o + 16);
    d->rrs = p + o + 20;
    d->len = n;
    *off = o + DNS_JOURNAL_ENTRY_MIN + n;
    return 0;
}

/* One record of a delta, checked. */
struct jrr {
    const uint8_t *owner, *rd;
    uint16_t type, rdlen;
    uint32_t ttl;
};

/* Reads the record at (*pos) of (d).  0 or TB_EMALF. */
static int jrr_read(const struct dns_ixfr_delta *d, size_t *pos, struct jrr *r)
{
    size_t p = *pos, left = d->len - p;
    int nl = dns_name_check(d->rrs + p, TB_MIN(left, DNS_NAME_MAXLEN));

    if (nl < 0 || left - (size_t)nl < 8)
        return TB_EMALF;
    r->owner = d->rrs + p;
    p += (size_t)nl;
    r->type = tb_get16(d->rrs + p);
    r->rdlen = tb_get16(d->rrs + p + 2);
    r->ttl = tb_get32(d->rrs + p + 4);
    p += 8;
    if (r->rdlen > d->len - p)
        return TB_EMALF;
    r->rd = d->rrs + p;
    if (dns_rdata_check(r->type, r->rd, r->rdlen) != 0)
        return TB_EMALF;
    *pos = p + r->rdlen;
    return 0;
}

static uint32_t jrr_serial(const struct jrr *r, bool *ok)
{
    size_t off = soa_serial_off(r->rd, r->rdlen);

    *ok = r->type == DNS_TYPE_SOA && off != 0;
    return *ok ? tb_get32(r->rd + off) : 0;
}

int dns_journal_apply(const struct dns_zone_src *cur,
                      const struct dns_ixfr_delta *d, struct dns_zone_src *out,
                      const struct tb_alloc *a, struct dns_diag *diag)
{
    struct uset s;
    struct jrr r;
    size_t pos = 0, i;
    uint32_t k;
    bool ok, adding = false;
    int rc;

    dns_zone_src_init(out, cur->origin, a);
    if ((rc = uset_init(&s, cur, a)) != 0)
        goto out;
    rc = TB_EMALF;
    if (d->nrrs < 2 || jrr_read(d, &pos, &r) != 0)
        goto out;
    if (jrr_serial(&r, &ok) != d->from || !ok ||
        dns_zone_src_serial(cur) != d->from ||
        !dns_name_equal(r.owner, cur->origin)) {
        rc = TB_ESEMANTIC;
        goto out;
    }
    if ((i = uset_soa(&s)) == SIZE_MAX) {
        rc = TB_ESEMANTIC;
        goto out;
    }
    rc = TB_ENOMEM;
    if (uset_del(&s, i) != 0)
        goto out;
    for (k = 1; k < d->nrrs; k++) {
        rc = TB_EMALF;
        if (jrr_read(d, &pos, &r) != 0)
            goto out;
        if (!dns_name_is_sub(r.owner, cur->origin)) {
            rc = TB_ESEMANTIC;
            goto out;
        }
        if (!adding && r.type == DNS_TYPE_SOA &&
            dns_name_equal(r.owner, cur->origin)) {
            if (jrr_serial(&r, &ok) != d->to || !ok ||
                !dns_serial_newer(d->to, d->from)) {
                rc = TB_ESEMANTIC;
                goto out;
            }
            adding = true;
        } else if (!adding) {
            if ((i = uset_find(&s, r.owner, r.type, r.rd, r.rdlen)) ==
                SIZE_MAX) {
                rc = TB_ESEMANTIC; /* deletes what is not there */
                goto out;
            }
            rc = TB_ENOMEM;
            if (uset_del(&s, i) != 0)
                goto out;
            continue;
        }
        rc = TB_ENOMEM;
        if (uset_add(&s, r.owner, r.type, r.ttl, r.rd, r.rdlen) != 0)
            goto out;
    }
    rc = TB_EMALF;
    if (!adding || pos != d->len)
        goto out;
    dns_zone_src_free(out);
    rc = uset_finish(&s, out, NULL, NULL, diag);
    if (rc == 0 && dns_zone_src_serial(out) != d->to)
        rc = TB_ESEMANTIC;
out:
    uset_free(&s);
    return rc;
}
