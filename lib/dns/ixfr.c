/*
 * ixfr.c -- the difference of two versions of a zone as an IXFR delta
 * (RFC 1995 2), for the history outgoing IXFR is answered from (xfr.c):
 *
 *   reload: old blob, new blob (records sections, zonedb.h) --
 *   dns_ixfr_diff (here) --> delta bytes --> the driver's history
 *   (struct dns_xfr_zone.hist) --> dns_xfr_next()
 *
 * Both records sections are in the compiler's order (owner canonical,
 * type, rdata bytes), so the difference is one linear merge: a record in
 * the old version only is deleted, in the new one only added, and a
 * record in both with another TTL is deleted and added again.  The SOAs
 * head the two halves.  Cold path: it allocates through the buffers'
 * allocator.  Keeping the history on disk (a journal) belongs to dynamic
 * updates, later.
 */
#include <tibra/dns/serial.h>
#include <tibra/dns/srv.h>

#include "zonedb.h"

/* Record (pos) of (z): owner name, type, rdata. */
struct drec {
    const uint8_t *owner, *rdata, *raw;
    uint16_t type, rdlen;
    uint32_t ttl, size;
};

static void get(const struct zdb *z, uint32_t pos, struct drec *r)
{
    const uint8_t *p = z->rrs + pos;

    r->raw = p;
    r->owner = z->data + zdb_ld32(zdb_node(z, zdb_ld32(p + ZR_NODE)) + ZN_NAME);
    r->type = zdb_ld16(p + ZR_TYPE);
    r->rdlen = zdb_ld16(p + ZR_RDLEN);
    r->ttl = zdb_ld32(p + ZR_TTL);
    r->rdata = p + ZR_RDATA;
    r->size = ZR_RDATA + r->rdlen;
}

/* The compiler's order (zonedb_compile.c rr_cmp), TTL aside. */
static int cmp(const struct drec *a, const struct drec *b)
{
    int c = dns_name_cmp(a->owner, b->owner);
    size_t m;

    if (c != 0)
        return c;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    m = TB_MIN(a->rdlen, b->rdlen);
    c = memcmp(a->rdata, b->rdata, m);
    if (c != 0)
        return c;
    return a->rdlen == b->rdlen ? 0 : (a->rdlen < b->rdlen ? -1 : 1);
}

/* Appends (r) in the delta format (srv.h struct dns_ixfr_delta). */
static void put(struct tb_buf *b, const struct drec *r)
{
    uint8_t f[8];

    tb_put16(f, r->type);
    tb_put16(f + 2, r->rdlen);
    tb_put32(f + 4, r->ttl);
    tb_buf_append(b, r->owner, dns_name_len(r->owner));
    tb_buf_append(b, f, 8);
    tb_buf_append(b, r->rdata, r->rdlen);
}

int dns_ixfr_diff(const void *oldb, size_t oldlen, const void *newb,
                  size_t newlen, struct tb_buf *out, struct dns_ixfr_delta *d)
{
    struct zdb zo, zn;
    struct drec a, b, soa;
    struct tb_buf del, add;
    uint32_t pa = 0, pb = 0, na, nb, ndel = 0, nadd = 0;
    size_t keep = out->len;
    int err;

    if ((err = zdb_open(&zo, oldb, oldlen)) != 0 ||
        (err = zdb_open(&zn, newb, newlen)) != 0)
        return err;
    if (zo.rrs == NULL || zn.rrs == NULL || zo.olen != zn.olen ||
        memcmp(zo.origin, zn.origin, zo.olen) != 0)
        return TB_EINVAL;
    d->from = zdb_ld32(zo.blob + ZH_SERIAL);
    d->to = zdb_ld32(zn.blob + ZH_SERIAL);
    if (dns_serial_cmp(d->to, d->from) != 1)
        return TB_EINVAL; /* IXFR needs a newer serial (RFC 1995 2) */
    tb_buf_init(&del, out->a);
    tb_buf_init(&add, out->a);
    na = zo.nrrs;
    nb = zn.nrrs;
    while (na != 0 || nb != 0) {
        int c;
        if (na != 0)
            get(&zo, pa, &a);
        if (nb != 0)
            get(&zn, pb, &b);
        c = na == 0 ? 1 : nb == 0 ? -1 : cmp(&a, &b);
        if (c <= 0) {
            /* The SOAs head the halves: skip them here. */
            if (pa != zo.soarr && (c < 0 || a.ttl != b.ttl)) {
                put(&del, &a);
                ndel++;
            }
            pa += a.size;
            na--;
        }
        if (c >= 0) {
            if (pb != zn.soarr && (c > 0 || a.ttl != b.ttl)) {
                put(&add, &b);
                nadd++;
            }
            pb += b.size;
            nb--;
        }
    }
    get(&zo, zo.soarr, &soa);
    put(out, &soa);
    if (del.len != 0)
        tb_buf_append(out, del.data, del.len);
    get(&zn, zn.soarr, &soa);
    put(out, &soa);
    if (add.len != 0)
        tb_buf_append(out, add.data, add.len);
    err = del.err != 0 || add.err != 0 || out->err != 0 ? TB_ENOMEM : 0;
    tb_buf_free(&del);
    tb_buf_free(&add);
    if (err != 0) {
        out->len = keep;
        out->err = 0;
        return err;
    }
    d->nrrs = 2 + ndel + nadd;
    d->rrs = NULL; /* (out) may still move: the caller points it */
    d->len = out->len - keep;
    return 0;
}
