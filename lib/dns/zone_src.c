/*
 * zone_src.c -- struct dns_zone_src, a zone as records in memory between
 * the parser (zone_parse.c, or a transfer, or a test) and the compiler
 * (zonedb): the record array, one byte buffer for owner names and rdata,
 * and the names of the files records came from.  Consecutive records with
 * the same owner share one copy of it (zone files list a name's records
 * together), which halves the memory of a typical zone.  Cold path: all
 * memory comes from the struct tb_alloc given at init.
 */
#include <tibra/dns.h>

void dns_zone_src_init(struct dns_zone_src *z, const uint8_t *origin,
                       const struct tb_alloc *a)
{
    const uint8_t *p = origin;

    memset(z, 0, sizeof(*z));
    while (*p != 0)
        p += *p + 1;
    z->origin_len = (size_t)(p - origin) + 1;
    memcpy(z->origin, origin, z->origin_len);
    z->rclass = DNS_CLASS_IN;
    z->a = a;
    tb_buf_init(&z->data, a);
}

void dns_zone_src_free(struct dns_zone_src *z)
{
    unsigned i;

    if (z->rr != NULL)
        tb_free(z->a, z->rr, z->rr_cap * sizeof(*z->rr));
    z->rr = NULL;
    z->nrr = z->rr_cap = 0;
    tb_buf_free(&z->data);
    for (i = 0; i < z->nfiles; i++)
        tb_free(z->a, (void *)(uintptr_t)z->files[i], strlen(z->files[i]) + 1);
    z->nfiles = 0;
}

int dns_zone_src_file(struct dns_zone_src *z, const char *name)
{
    unsigned i;
    size_t n;
    char *copy;

    for (i = 0; i < z->nfiles; i++)
        if (strcmp(z->files[i], name) == 0)
            return (int)i;
    if (z->nfiles >= TB_ARRAY_SIZE(z->files))
        return TB_ENOSPC;
    n = strlen(name) + 1;
    copy = tb_alloc(z->a, n);
    if (copy == NULL)
        return TB_ENOMEM;
    memcpy(copy, name, n);
    z->files[z->nfiles] = copy;
    return (int)z->nfiles++;
}

const char *dns_zrr_file(const struct dns_zone_src *z, const struct dns_zrr *r)
{
    return r->file < z->nfiles ? z->files[r->file] : "-";
}

static size_t wire_len(const uint8_t *n)
{
    const uint8_t *p = n;

    while (*p != 0)
        p += *p + 1;
    return (size_t)(p - n) + 1;
}

int dns_zone_src_add(struct dns_zone_src *z, const uint8_t *owner,
                     uint16_t type, uint16_t rclass, uint32_t ttl,
                     const uint8_t *rdata, uint16_t rdlen, uint16_t file,
                     uint32_t line)
{
    struct dns_zrr *r;
    size_t olen = wire_len(owner), need;
    uint32_t ooff;

    if (z->nrr == z->rr_cap) {
        size_t ncap = z->rr_cap ? z->rr_cap * 2 : 256, osz, nsz;
        void *p;
        if (tb_ckd_mul(&nsz, ncap, sizeof(*z->rr)))
            return TB_ENOMEM;
        osz = z->rr_cap * sizeof(*z->rr);
        p = z->rr ? tb_realloc(z->a, z->rr, osz, nsz) : tb_alloc(z->a, nsz);
        if (p == NULL)
            return TB_ENOMEM;
        z->rr = p;
        z->rr_cap = ncap;
    }
    /* Offsets are 32-bit: a zone's text data is bounded at 4 GiB. */
    if (tb_ckd_add(&need, z->data.len, olen + (size_t)rdlen) ||
        need > UINT32_MAX)
        return TB_ENOMEM;
    /* Share the owner with the previous record when it is the same. */
    if (z->nrr > 0) {
        const struct dns_zrr *prev = &z->rr[z->nrr - 1];
        const uint8_t *po = z->data.data + prev->owner;
        if (wire_len(po) == olen && memcmp(po, owner, olen) == 0)
            ooff = prev->owner;
        else
            ooff = UINT32_MAX;
    } else {
        ooff = UINT32_MAX;
    }
    if (ooff == UINT32_MAX) {
        ooff = (uint32_t)z->data.len;
        if (tb_buf_append(&z->data, owner, olen) != 0)
            return TB_ENOMEM;
    }
    r = &z->rr[z->nrr];
    r->owner = ooff;
    r->rdata = (uint32_t)z->data.len;
    if (tb_buf_append(&z->data, rdata, rdlen) != 0)
        return TB_ENOMEM;
    r->type = type;
    r->rclass = rclass;
    r->ttl = ttl;
    r->rdlen = rdlen;
    r->file = file;
    r->line = line;
    z->nrr++;
    return 0;
}
