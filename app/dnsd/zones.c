/*
 * zones.c -- tibra-dnsd's engine glue: every zone of the service file goes
 * file --dns_zonefile_compile (lib/hosted: read, $INCLUDE, parse, check,
 * compile, validate)--> blob, and the blobs --dns_zoneset_build--> one
 * immutable zone set, which server.c publishes to the workers.
 *
 * Reload (SIGHUP) builds a complete new set off to the side; a zone that
 * fails to load keeps its previous blob (shared, reference-counted: the
 * main thread is the only one that touches the counts), so one broken
 * file never takes a zone down.  The old set is freed by the caller after
 * dnsd_server_publish() has waited out every worker.  Cold path: this file
 * allocates freely (malloc through tb_heap).
 */
#include <stdlib.h>
#include <string.h>

#include <tibra/zonefile.h>

#include "dnsd.h"

static void blob_put(struct dnsd_blob *b)
{
    if (b != NULL && --b->ref == 0) {
        free(b->data);
        free(b);
    }
}

/* Parses, checks and compiles one zone.  Problems go to (d). */
static int load_one(const struct svc_zone *sz, struct dnsd_blob **out,
                    struct dns_diag *d)
{
    struct dns_zonefile_blob zb;
    struct dnsd_blob *b;
    int rc;

    /* Reads the file, serves $INCLUDE relative to it, parses, checks,
     * compiles and validates the blob. */
    rc = dns_zonefile_compile(sz->file, sz->origin, DNS_CLASS_IN, d, NULL, NULL,
                              &zb);
    if (rc != 0)
        return rc;
    b = calloc(1, sizeof(*b));
    if (b == NULL) {
        free(zb.data);
        return TB_ENOMEM;
    }
    b->ref = 1;
    b->nrr = zb.nrr;
    b->len = zb.len;
    b->data = zb.data;
    b->serial = zb.serial;
    *out = b;
    return 0;
}

void dnsd_zones_free(struct dnsd_zones *z)
{
    if (z == NULL)
        return;
    dns_zoneset_free(z->zs, &tb_heap);
    for (size_t i = 0; i < z->n; i++)
        blob_put(z->blob[i]);
    free(z->blob);
    free(z);
}

int dnsd_zones_load(const struct svc_conf *c, const struct dnsd_zones *old,
                    const struct dns_auth_opts *opts, struct dnsd_zones **out)
{
    struct dnsd_zones *z = calloc(1, sizeof(*z));
    const void **blobs = NULL;
    size_t *lens = NULL, nb = 0, failed = 0, unchanged = 0;
    struct dns_diag d;
    int rc = 0;

    dnsd_diag_init(&d);
    if (z == NULL)
        return TB_ENOMEM;
    z->n = c->nzones;
    z->blob = calloc(c->nzones + 1, sizeof(*z->blob));
    blobs = calloc(c->nzones + 1, sizeof(*blobs));
    lens = calloc(c->nzones + 1, sizeof(*lens));
    if (z->blob == NULL || blobs == NULL || lens == NULL) {
        rc = TB_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < c->nzones; i++) {
        const struct svc_zone *sz = &c->zones[i];
        struct dnsd_blob *b = NULL;
        unsigned e0 = d.errors;
        int r = load_one(sz, &b, &d);

        if (r != 0 && d.errors == e0) /* make sure it is said */
            dns_diag(&d, DNS_DIAG_ERROR, sz->file, 0, "%s", tb_strerror(r));
        if (r != 0) {
            failed++;
            if (old != NULL && old->blob[i] != NULL) {
                b = old->blob[i];
                b->ref++;
                dnsd_log("zone %s: not reloaded (errors above); still "
                         "serving serial %u",
                         sz->name, b->serial);
            } else {
                dnsd_log("zone %s: not loaded (errors above)", sz->name);
            }
        } else if (old != NULL && old->blob[i] != NULL &&
                   old->blob[i]->serial == b->serial &&
                   old->blob[i]->len == b->len &&
                   memcmp(old->blob[i]->data, b->data, b->len) == 0) {
            dnsd_debug("zone %s: unchanged (serial %u)", sz->name, b->serial);
            unchanged++;
        } else {
            dnsd_log("zone %s: serial %u, %zu records, %zu bytes compiled%s",
                     sz->name, b->serial, b->nrr, b->len,
                     old != NULL ? " (reloaded)" : "");
        }
        z->blob[i] = b;
        if (b != NULL) {
            blobs[nb] = b->data;
            lens[nb] = b->len;
            nb++;
        }
    }
    if (failed != 0 && old == NULL) {
        rc = TB_EMALF;
        goto out;
    }
    rc = dns_zoneset_build(&z->zs, blobs, lens, nb, opts, &tb_heap);
    if (rc != 0) {
        dnsd_log("cannot build the zone set: %s", tb_strerror(rc));
        goto out;
    }
    if (old != NULL)
        dnsd_log("reload: %zu zone%s changed, %zu unchanged, %zu failed",
                 c->nzones - unchanged - failed,
                 c->nzones - unchanged - failed == 1 ? "" : "s", unchanged,
                 failed);
out:
    free(blobs);
    free(lens);
    if (rc != 0) {
        dnsd_zones_free(z);
        return rc;
    }
    *out = z;
    return 0;
}
