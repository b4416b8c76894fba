/*
 * store.c -- zones kept on a block device (dns/store.h): the superblock
 * pair and its directory, zone copies, and journals of
 * lib/dns/journal.c's entries, each on its own blocks.
 *
 *   open:   both superblocks -> the valid one with the highest generation
 *   load:   extent -> copy (CRC, records) -> dns_zone_check -> journal
 *           entries -> dns_journal_apply, one by one
 *   put:    records -> free extent (copy + zeroed journal) -> older
 *           superblock copy (gen + 1)
 *   append: entry -> the zeroed space after the last one
 *
 * Cold path: every call is one transfer, update or boot.
 */
#include <string.h>
#include <tibra/dns/name.h>
#include <tibra/dns/rr.h>
#include <tibra/dns/store.h>
#include <tibra/dns/update.h>

#define SB_MAGIC  "TBSTORE1"
#define SB_VERS   1
#define SB_HDR    32
#define Z_MAGIC   "TBZONE01"
#define Z_HDR     32
#define E_ORIGIN  0
#define E_OFF     256
#define E_COPYLEN 264
#define E_JOFF    272
#define E_JCAP    280
#define E_SERIAL  288
#define E_CRC     292
#define E_EXPIRE  296
#define E_REFRESH 304

/* CRC-32C (Castagnoli), bitwise, as journal.c's (a private copy: a few
 * lines, and journal.c keeps its own). */
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

static void put64(uint8_t *p, uint64_t v)
{
    tb_put32(p, (uint32_t)(v >> 32));
    tb_put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)tb_get32(p) << 32 | tb_get32(p + 4);
}

static uint64_t roundup(uint64_t n, uint64_t bs)
{
    return (n + bs - 1) & ~(bs - 1);
}

static uint8_t *entry(const struct dns_store *st, uint32_t i)
{
    return st->sb + SB_HDR + (size_t)i * DNS_STORE_ENTRY;
}

/* The directory entry of (origin), or -1. */
static int find(const struct dns_store *st, const uint8_t *origin)
{
    for (uint32_t i = 0; i < st->nzones; i++)
        if (dns_name_equal(entry(st, i) + E_ORIGIN, origin))
            return (int)i;
    return -1;
}

/* Checks superblock copy (p); 0 when usable. */
static int sb_check(const uint8_t *p, const struct dns_store_dev *dev)
{
    uint32_t n, used, crc;
    uint8_t h[SB_HDR];

    if (memcmp(p, SB_MAGIC, 8) != 0 || tb_get32(p + 8) != SB_VERS)
        return TB_EMALF;
    n = tb_get32(p + 12);
    used = tb_get32(p + 24);
    if (n > DNS_STORE_ZONES_MAX || used != SB_HDR + n * DNS_STORE_ENTRY ||
        get64(p + 16) >= UINT64_MAX - 1) /* never written: see sb_flip */
        return TB_EMALF;
    memcpy(h, p, SB_HDR);
    tb_put32(h + 28, 0);
    crc = crc32c(crc32c(0, h, SB_HDR), p + SB_HDR, used - SB_HDR);
    if (crc != tb_get32(p + 28))
        return TB_EMALF;
    /* The entries: names, and extents inside the data area. */
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = p + SB_HDR + (size_t)i * DNS_STORE_ENTRY;
        uint64_t off = get64(e + E_OFF), clen = get64(e + E_COPYLEN);
        uint64_t joff = get64(e + E_JOFF), jcap = get64(e + E_JCAP), end;

        if (dns_name_check(e + E_ORIGIN, DNS_NAME_MAXLEN) < 0)
            return TB_EMALF;
        if (off < DNS_STORE_DATA_OFF || off % dev->block_size != 0 ||
            clen < Z_HDR || joff % dev->block_size != 0 ||
            jcap % dev->block_size != 0 || joff < off || joff - off < clen ||
            tb_ckd_add(&end, joff, jcap) || end > dev->capacity)
            return TB_EMALF;
    }
    return 0;
}

int dns_store_open(struct dns_store *st, const struct dns_store_dev *dev,
                   const struct tb_alloc *a)
{
    uint8_t *b[2];
    int rc, ok[2];
    uint64_t gen[2] = {0, 0};

    memset(st, 0, sizeof(*st));
    st->dev = dev;
    st->a = a;
    if (dev->block_size < 512 || dev->block_size > DNS_STORE_SB_SIZE ||
        (dev->block_size & (dev->block_size - 1)) != 0 ||
        dev->capacity % dev->block_size != 0 ||
        dev->capacity < DNS_STORE_DATA_OFF + 2 * (uint64_t)dev->block_size)
        return TB_EINVAL;
    b[0] = tb_alloc(a, DNS_STORE_SB_SIZE);
    b[1] = tb_alloc(a, DNS_STORE_SB_SIZE);
    if (b[0] == NULL || b[1] == NULL) {
        tb_free(a, b[0], DNS_STORE_SB_SIZE);
        tb_free(a, b[1], DNS_STORE_SB_SIZE);
        return TB_ENOMEM;
    }
    for (unsigned k = 0; k < 2; k++) {
        rc = dev->read(dev->ctx, (uint64_t)k * DNS_STORE_SB_SIZE, b[k],
                       DNS_STORE_SB_SIZE);
        if (rc != 0) {
            tb_free(a, b[0], DNS_STORE_SB_SIZE);
            tb_free(a, b[1], DNS_STORE_SB_SIZE);
            return rc;
        }
        ok[k] = sb_check(b[k], dev) == 0;
        if (ok[k])
            gen[k] = get64(b[k] + 16);
    }
    if (!ok[0] && !ok[1]) { /* empty: gen 0 in copy 1, copy 0 next */
        memset(b[1], 0, DNS_STORE_SB_SIZE);
        st->cur = 1;
    } else {
        st->cur = (ok[1] && (!ok[0] || gen[1] > gen[0])) ? 1 : 0;
        st->gen = gen[st->cur];
        st->nzones = tb_get32(b[st->cur] + 12);
    }
    st->sb = b[st->cur];
    tb_free(a, b[st->cur ^ 1], DNS_STORE_SB_SIZE);
    return 0;
}

void dns_store_close(struct dns_store *st)
{
    if (st->sb != NULL)
        tb_free(st->a, st->sb, DNS_STORE_SB_SIZE);
    st->sb = NULL;
}

uint64_t dns_store_generation(const struct dns_store *st)
{
    return st->gen;
}

/* Writes the directory in (sb) (nzones entries) as generation gen + 1
 * into the older copy; on success it becomes the store. */
static int sb_flip(struct dns_store *st, uint8_t *sb, uint32_t nzones)
{
    uint32_t used = SB_HDR + nzones * DNS_STORE_ENTRY;
    unsigned next = st->cur ^ 1;
    int rc;

    if (st->gen + 1 >= UINT64_MAX - 1) /* 2^64 writes: not in practice */
        return TB_ENOSPC;
    memcpy(sb, SB_MAGIC, 8);
    tb_put32(sb + 8, SB_VERS);
    tb_put32(sb + 12, nzones);
    put64(sb + 16, st->gen + 1);
    tb_put32(sb + 24, used);
    tb_put32(sb + 28, 0);
    memset(sb + used, 0, DNS_STORE_SB_SIZE - used);
    tb_put32(sb + 28, crc32c(0, sb, used));
    rc = st->dev->write(st->dev->ctx, (uint64_t)next * DNS_STORE_SB_SIZE, sb,
                        DNS_STORE_SB_SIZE);
    if (rc != 0)
        return rc;
    if (sb != st->sb)
        memcpy(st->sb, sb, DNS_STORE_SB_SIZE);
    st->gen++;
    st->cur = next;
    st->nzones = nzones;
    return 0;
}

/* ---- zone copies ------------------------------------------------------ */

static int encode(const struct dns_zone_src *z, struct tb_buf *out, size_t bs)
{
    uint8_t h[Z_HDR] = {0}, r[8];
    size_t start = out->len;

    memcpy(h, Z_MAGIC, 8);
    tb_put32(h + 8, z->rclass);
    tb_put32(h + 12, (uint32_t)z->nrr);
    tb_put32(h + 16, dns_zone_src_serial(z));
    tb_buf_append(out, h, Z_HDR);
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *rr = &z->rr[i];
        const uint8_t *owner = z->data.data + rr->owner;

        tb_put16(r, rr->type);
        tb_put16(r + 2, rr->rdlen);
        tb_put32(r + 4, rr->ttl);
        tb_buf_append(out, owner, dns_name_len(owner));
        tb_buf_append(out, r, 8);
        tb_buf_append(out, z->data.data + rr->rdata, rr->rdlen);
    }
    if (out->err != 0 || out->len - start - Z_HDR > UINT32_MAX ||
        z->nrr > UINT32_MAX)
        return TB_ENOMEM;
    tb_put32(out->data + start + 20, (uint32_t)(out->len - start - Z_HDR));
    /* zero padding to the block */
    while (out->len % bs != 0 && out->err == 0)
        tb_buf_append(out, "", 1);
    return out->err;
}

/* Decodes copy (p, len) (untrusted) into (out) and checks it. */
static int decode(const uint8_t *p, size_t len, const uint8_t *origin,
                  struct dns_zone_src *out, struct dns_diag *diag)
{
    uint32_t n, dlen, serial;
    uint16_t rclass;
    size_t pos = Z_HDR, end;
    int rc;

    if (len < Z_HDR || memcmp(p, Z_MAGIC, 8) != 0 || tb_get32(p + 8) > 0xffff)
        return TB_EMALF;
    rclass = (uint16_t)tb_get32(p + 8);
    n = tb_get32(p + 12);
    serial = tb_get32(p + 16);
    dlen = tb_get32(p + 20);
    if (dlen != len - Z_HDR)
        return TB_EMALF;
    end = len;
    out->rclass = rclass;
    for (uint32_t i = 0; i < n; i++) {
        int nl = dns_name_check(p + pos, TB_MIN(end - pos, DNS_NAME_MAXLEN));
        const uint8_t *owner = p + pos;
        uint16_t type, rdlen;
        uint32_t ttl;

        if (nl < 0 || end - pos - (size_t)nl < 8)
            return TB_EMALF;
        pos += (size_t)nl;
        type = tb_get16(p + pos);
        rdlen = tb_get16(p + pos + 2);
        ttl = tb_get32(p + pos + 4);
        pos += 8;
        if (rdlen > end - pos)
            return TB_EMALF;
        if ((rc = dns_zone_src_add(out, owner, type, rclass, ttl, p + pos,
                                   rdlen, 0, i + 1)) != 0)
            return rc;
        pos += rdlen;
    }
    if (pos != end || !dns_name_equal(out->origin, origin))
        return TB_EMALF;
    if (dns_zone_check(out, diag) != 0)
        return TB_EMALF;
    if (dns_zone_src_serial(out) != serial || out->nrr != n)
        return TB_EMALF;
    return 0;
}

/* ---- journals --------------------------------------------------------- */

/* Reads zone (i)'s journal into (*buf) (its capacity; the caller frees
 * it) and finds the end of its entries, chained from (serial): sets
 * jend/jdirty.  Returns 0, TB_ENOMEM or the device's error. */
static int jread(struct dns_store *st, uint32_t i, uint8_t **buf)
{
    const uint8_t *e = entry(st, i);
    uint64_t joff = get64(e + E_JOFF), jcap = get64(e + E_JCAP);
    uint32_t bs = st->dev->block_size, serial = tb_get32(e + E_SERIAL);
    size_t off = bs;
    int rc;

    *buf = NULL;
    st->jend[i] = 0;
    st->jdirty[i] = false;
    st->jknown[i] = true;
    if (jcap == 0)
        return 0;
    if (jcap > SIZE_MAX || (*buf = tb_alloc(st->a, (size_t)jcap)) == NULL)
        return TB_ENOMEM;
    if ((rc = st->dev->read(st->dev->ctx, joff, *buf, (size_t)jcap)) != 0) {
        tb_free(st->a, *buf, (size_t)jcap);
        *buf = NULL;
        return rc;
    }
    {
        uint8_t h[DNS_JOURNAL_HDR_LEN];
        dns_journal_header(h);
        if (memcmp(*buf, h, DNS_JOURNAL_HDR_LEN) != 0) {
            /* no header: the journal is unusable; a put replaces it */
            st->jend[i] = jcap;
            return 0;
        }
    }
    for (;;) {
        struct dns_ixfr_delta d;
        size_t next = off;

        if (off >= jcap ||
            dns_journal_next(*buf, (size_t)jcap, &next, &d) != 0 ||
            d.from != serial)
            break;
        serial = d.to;
        off = (size_t)roundup(next, bs);
    }
    st->jend[i] = off;
    for (size_t k = off; k < jcap; k++)
        if ((*buf)[k] != 0) {
            st->jdirty[i] = true;
            break;
        }
    return 0;
}

int dns_store_load(struct dns_store *st, const uint8_t *origin,
                   struct dns_zone_src *out, struct dns_store_meta *m,
                   struct dns_diag *diag)
{
    int i = find(st, origin);
    struct dns_diag quiet = {NULL, NULL, 0, 0};
    const uint8_t *e;
    uint64_t off, clen, jcap;
    uint8_t *copy = NULL, *j = NULL;
    size_t pos;
    int rc;

    if (diag == NULL)
        diag = &quiet;
    dns_zone_src_init(out, origin, st->a);
    memset(m, 0, sizeof(*m));
    if (i < 0)
        return TB_ENOENT;
    e = entry(st, (uint32_t)i);
    off = get64(e + E_OFF);
    clen = get64(e + E_COPYLEN);
    jcap = get64(e + E_JCAP);
    m->expire_at = (int64_t)get64(e + E_EXPIRE);
    m->refreshed_at = (int64_t)get64(e + E_REFRESH);
    if (clen > SIZE_MAX - st->dev->block_size)
        return TB_ENOMEM;
    pos = (size_t)roundup(clen, st->dev->block_size);
    if ((copy = tb_alloc(st->a, pos)) == NULL)
        return TB_ENOMEM;
    if ((rc = st->dev->read(st->dev->ctx, off, copy, pos)) != 0)
        goto out;
    rc = TB_EMALF;
    if (crc32c(0, copy, (size_t)clen) != tb_get32(e + E_CRC))
        goto out;
    if ((rc = decode(copy, (size_t)clen, origin, out, diag)) != 0)
        goto out;
    m->serial = dns_zone_src_serial(out);
    /* The journal, replayed entry by entry. */
    if ((rc = jread(st, (uint32_t)i, &j)) != 0)
        goto out;
    pos = st->dev->block_size;
    while (pos < st->jend[i]) {
        struct dns_ixfr_delta d;
        struct dns_zone_src next;
        size_t n = pos;

        if (dns_journal_next(j, (size_t)jcap, &n, &d) != 0)
            break; /* jread() found the same end */
        rc = dns_journal_apply(out, &d, &next, st->a, diag);
        if (rc == TB_ENOMEM) {
            dns_zone_src_free(&next);
            goto out;
        }
        if (rc != 0) {
            dns_zone_src_free(&next);
            m->journal_cut = true;
            /* later appends go after the last entry that applied */
            st->jend[i] = pos;
            st->jdirty[i] = true;
            break;
        }
        dns_zone_src_free(out);
        *out = next;
        m->entries++;
        m->serial = d.to;
        pos = (size_t)roundup(n, st->dev->block_size);
    }
    rc = 0;
out:
    if (j != NULL)
        tb_free(st->a, j, (size_t)jcap);
    tb_free(st->a, copy, (size_t)roundup(clen, st->dev->block_size));
    if (rc != 0) {
        dns_zone_src_free(out);
        dns_zone_src_init(out, origin, st->a);
    }
    return rc;
}

int dns_store_append(struct dns_store *st, const uint8_t *origin,
                     const struct dns_ixfr_delta *d)
{
    int i = find(st, origin);
    uint32_t bs = st->dev->block_size;
    const uint8_t *e;
    uint64_t joff, jcap;
    struct tb_buf b;
    int rc;

    if (i < 0)
        return TB_ENOENT;
    e = entry(st, (uint32_t)i);
    joff = get64(e + E_JOFF);
    jcap = get64(e + E_JCAP);
    if (!st->jknown[i]) {
        uint8_t *j;
        if ((rc = jread(st, (uint32_t)i, &j)) != 0)
            return rc;
        if (j != NULL)
            tb_free(st->a, j, (size_t)jcap);
    }
    if (st->jend[i] >= jcap)
        return TB_ENOSPC;
    tb_buf_init(&b, st->a);
    if ((rc = dns_journal_entry(&b, d)) != 0)
        return rc;
    while (b.len % bs != 0 && b.err == 0)
        tb_buf_append(&b, "", 1);
    if (b.err != 0) {
        tb_buf_free(&b);
        return TB_ENOMEM;
    }
    if (b.len > jcap - st->jend[i]) {
        tb_buf_free(&b);
        return TB_ENOSPC;
    }
    if (st->jdirty[i]) { /* a torn entry's remains, or a cut replay */
        size_t n = (size_t)(jcap - st->jend[i]);
        uint8_t *z = tb_alloc(st->a, n);
        if (z == NULL) {
            tb_buf_free(&b);
            return TB_ENOMEM;
        }
        memset(z, 0, n);
        rc = st->dev->write(st->dev->ctx, joff + st->jend[i], z, n);
        tb_free(st->a, z, n);
        if (rc != 0) {
            tb_buf_free(&b);
            return rc;
        }
        st->jdirty[i] = false;
    }
    rc = st->dev->write(st->dev->ctx, joff + st->jend[i], b.data, b.len);
    if (rc == 0)
        st->jend[i] += b.len;
    else
        st->jdirty[i] = true;
    tb_buf_free(&b);
    return rc;
}

/* ---- new versions ----------------------------------------------------- */

struct ext {
    uint64_t off, end;
};

/* A free extent of (len) bytes, not overlapping any extent the current
 * directory names (first fit); 0 if none. */
static uint64_t alloc_ext(const struct dns_store *st, uint64_t len)
{
    struct ext x[DNS_STORE_ZONES_MAX];
    uint32_t n = st->nzones;
    uint64_t at = DNS_STORE_DATA_OFF;

    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = entry(st, i);
        x[i].off = get64(e + E_OFF);
        x[i].end = get64(e + E_JOFF) + get64(e + E_JCAP);
    }
    /* insertion sort by offset: at most DNS_STORE_ZONES_MAX */
    for (uint32_t i = 1; i < n; i++)
        for (uint32_t k = i; k > 0 && x[k].off < x[k - 1].off; k--) {
            struct ext t = x[k];
            x[k] = x[k - 1];
            x[k - 1] = t;
        }
    for (uint32_t i = 0; i <= n; i++) {
        uint64_t lim = i < n ? x[i].off : st->dev->capacity;
        if (lim >= at && lim - at >= len)
            return at;
        if (i < n && x[i].end > at)
            at = x[i].end;
    }
    return 0;
}

static void put_times(uint8_t *e, int64_t expire_at, int64_t refreshed_at)
{
    put64(e + E_EXPIRE, (uint64_t)expire_at);
    put64(e + E_REFRESH, (uint64_t)refreshed_at);
}

int dns_store_put(struct dns_store *st, const struct dns_zone_src *z,
                  int64_t expire_at, int64_t refreshed_at, size_t journal_cap)
{
    uint32_t bs = st->dev->block_size, n = st->nzones;
    int i = find(st, z->origin);
    uint64_t jcap = roundup(journal_cap, bs), clen, at, total;
    struct tb_buf b;
    uint8_t *sb = NULL, *e;
    int rc;

    if (z->nrr == 0)
        return TB_EINVAL;
    if (jcap != 0 && jcap < 2 * (uint64_t)bs)
        jcap = 2 * (uint64_t)bs;
    if (i < 0 && n >= DNS_STORE_ZONES_MAX)
        return TB_ENOSPC;
    tb_buf_init(&b, st->a);
    if ((rc = encode(z, &b, bs)) != 0)
        goto out;
    clen = tb_get32(b.data + 20) + (uint64_t)Z_HDR;
    /* the journal: its header, zeros */
    if (jcap > SIZE_MAX - b.len || tb_buf_reserve(&b, (size_t)jcap) != 0) {
        rc = TB_ENOMEM;
        goto out;
    }
    if (jcap != 0) {
        uint8_t *j = b.data + b.len;
        memset(j, 0, (size_t)jcap);
        dns_journal_header(j);
        b.len += (size_t)jcap;
    }
    total = b.len;
    if ((at = alloc_ext(st, total)) == 0) {
        rc = TB_ENOSPC;
        goto out;
    }
    if ((rc = st->dev->write(st->dev->ctx, at, b.data, b.len)) != 0)
        goto out;
    /* The new directory: the zone's entry replaced or added. */
    if ((sb = tb_alloc(st->a, DNS_STORE_SB_SIZE)) == NULL) {
        rc = TB_ENOMEM;
        goto out;
    }
    memcpy(sb, st->sb, DNS_STORE_SB_SIZE);
    if (i < 0)
        i = (int)n++;
    e = sb + SB_HDR + (size_t)i * DNS_STORE_ENTRY;
    memset(e, 0, DNS_STORE_ENTRY);
    memcpy(e + E_ORIGIN, z->origin, dns_name_len(z->origin));
    dns_name_lower(e + E_ORIGIN);
    put64(e + E_OFF, at);
    put64(e + E_COPYLEN, clen);
    put64(e + E_JOFF, at + (total - jcap));
    put64(e + E_JCAP, jcap);
    tb_put32(e + E_SERIAL, dns_zone_src_serial(z));
    tb_put32(e + E_CRC, crc32c(0, b.data, (size_t)clen));
    put_times(e, expire_at, refreshed_at);
    if ((rc = sb_flip(st, sb, n)) != 0)
        goto out;
    st->jend[i] = bs;
    st->jdirty[i] = false;
    st->jknown[i] = true;
out:
    if (sb != NULL)
        tb_free(st->a, sb, DNS_STORE_SB_SIZE);
    tb_buf_free(&b);
    return rc;
}

int dns_store_times(struct dns_store *st, const uint8_t *origin,
                    int64_t expire_at, int64_t refreshed_at)
{
    int i = find(st, origin);
    uint8_t *sb;
    int rc;

    if (i < 0)
        return TB_ENOENT;
    if ((sb = tb_alloc(st->a, DNS_STORE_SB_SIZE)) == NULL)
        return TB_ENOMEM;
    memcpy(sb, st->sb, DNS_STORE_SB_SIZE);
    put_times(sb + SB_HDR + (size_t)i * DNS_STORE_ENTRY, expire_at,
              refreshed_at);
    rc = sb_flip(st, sb, st->nzones);
    tb_free(st->a, sb, DNS_STORE_SB_SIZE);
    return rc;
}
