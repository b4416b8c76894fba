/*
 * catalog.c -- tibra-dnsd's catalog producers (RFC 9432): a zone with
 * `catalog producer` is generated from the zones that name it with
 * `catalog NAME` (lib/dns/catalog.c writes the records), checked and
 * compiled like a zone file, and served and transferred like any zone.
 *
 * Serial: at start-up the UNIX time; on reload the old version is kept
 * when the members are the same (same records), else the serial becomes
 * max(old + 1, now), so secondaries see every change (NOTIFY, IXFR from
 * the history) and a restart never goes back while the clock does not.
 * Main thread, cold path.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tibra/dns/catalog.h>

#include "dnsd.h"

/* Compiles catalog zone (i) of (c) with (serial) into (*out). */
static int make(const struct svc_conf *c, size_t i, uint32_t serial,
                struct dnsd_blob **out, struct dns_diag *d)
{
    const struct svc_zone *sz = &c->zones[i];
    struct dns_catalog cat;
    struct dns_zone_src z;
    struct dnsd_blob *b = NULL;
    struct tb_buf blob;
    int rc = 0;

    dns_catalog_init(&cat, &tb_heap);
    dns_zone_src_init(&z, sz->origin, &tb_heap);
    tb_buf_init(&blob, &tb_heap);
    for (size_t k = 0; k < c->nzones && rc == 0; k++) {
        const struct svc_zone *m = &c->zones[k];
        if (m->catalog_of != i)
            continue;
        rc = dns_catalog_add(&cat, m->origin, NULL, 0, m->catalog_group,
                             m->catalog_group ? strlen(m->catalog_group) : 0);
    }
    if (rc == 0 && (rc = dns_catalog_sort(&cat)) == TB_EEXIST)
        dns_diag(d, DNS_DIAG_ERROR, c->path, sz->line,
                 "catalog %s: two members with one unique ID (a hash "
                 "collision)",
                 sz->name);
    if (rc == 0)
        rc = dns_catalog_generate(&cat, serial, &z);
    if (rc == 0)
        rc = dns_zone_check(&z, d);
    if (rc == 0)
        rc = dns_zone_compile_flags(
            &z, &blob, d, sz->nallow_xfr != 0 ? DNS_ZONE_COMPILE_RECORDS : 0);
    if (rc == 0 && (b = calloc(1, sizeof(*b))) == NULL)
        rc = TB_ENOMEM;
    if (rc == 0) {
        b->ref = 1;
        b->serial = serial;
        b->nrr = z.nrr;
        b->len = blob.len;
        b->data = blob.data;
        b->loaded = (int64_t)time(NULL);
        blob.data = NULL;
        *out = b;
    }
    free(blob.data);
    dns_zone_src_free(&z);
    dns_catalog_free(&cat);
    return rc;
}

int dnsd_catalog_make(const struct svc_conf *c, size_t i,
                      const struct dnsd_blob *old, struct dnsd_blob **out,
                      struct dns_diag *d)
{
    uint32_t now = (uint32_t)time(NULL), serial;
    struct dnsd_blob *b;
    int rc;

    if (old == NULL)
        return make(c, i, now, out, d);
    rc = make(c, i, old->serial, &b, d);
    if (rc != 0)
        return rc;
    if (b->len == old->len && memcmp(b->data, old->data, b->len) == 0) {
        *out = b; /* the same members: the same version */
        return 0;
    }
    dnsd_blob_put(b);
    serial = old->serial + 1;
    if ((int32_t)(now - serial) > 0) /* RFC 1982: now is newer */
        serial = now;
    return make(c, i, serial, out, d);
}
