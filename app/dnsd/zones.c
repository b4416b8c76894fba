/*
 * zones.c -- tibra-dnsd's engine glue: every zone of the service file goes
 * file --dns_zonefile_compile (lib/hosted: read, $INCLUDE, parse, check,
 * compile, validate)--> blob, and the blobs --dns_zoneset_build--> one
 * immutable zone set, which server.c publishes to the workers.
 *
 * Reload (SIGHUP) builds a complete new set off to the side; a zone that
 * fails to load keeps its previous blob (shared, reference-counted: the
 * main thread is the only one that touches the counts), so one broken
 * file never takes a zone down.  With zone-memory set, a reload whose
 * compiled zones would exceed it sends the zones that grew most back to
 * their previous blobs (fit_memory), so the others still update.  The
 * old set is freed by the caller after dnsd_server_publish() has waited
 * out every worker.  Cold path: this file allocates freely (malloc
 * through tb_heap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tibra/zonefile.h>

#include "dnsd.h"

static void blob_put(struct dnsd_blob *b)
{
    if (b != NULL && --b->ref == 0) {
        free(b->data);
        free(b->delta);
        free(b);
    }
}

/*
 * zone-memory: what one load or reload may allocate, from the first byte
 * of text read to the last blob kept, so that a huge zone file stops
 * early instead of taking the host's memory (peak: the zones served +
 * zone-memory).  One budget per dnsd_zones_load() call, on the main
 * thread; the blobs it keeps stay counted until it returns.  NULL: no
 * zone-memory.
 */
static struct tb_budget *load_budget;

/* Parses, checks and compiles one zone.  Problems go to (d). */
static int load_one(const struct svc_zone *sz, struct dnsd_blob **out,
                    struct dns_diag *d)
{
    /* The records section (transfers out) only where they are allowed. */
    struct dns_zonefile_limits lim = {
        sz->max_size, sz->max_records,
        sz->nallow_xfr != 0 ? DNS_ZONE_COMPILE_RECORDS : 0, load_budget};
    struct dns_zonefile_blob zb;
    struct dnsd_blob *b;
    int rc;

    /* Reads the file, serves $INCLUDE relative to it, parses, checks,
     * compiles and validates the blob; refuses it past its limits. */
    rc = dns_zonefile_compile(sz->file, sz->origin, DNS_CLASS_IN, d, NULL, NULL,
                              &lim, &zb);
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
    b->loaded = (int64_t)time(NULL);
    *out = b;
    return 0;
}

void dnsd_zones_free(struct dnsd_zones *z)
{
    if (z == NULL)
        return;
    dns_zoneset_free(z->zs, &tb_heap);
    dnsd_xfr_free(z);
    for (size_t i = 0; i < z->n; i++)
        blob_put(z->blob[i]);
    free(z->blob);
    free(z);
}

/* A zone that grew on reload: (i) in the set, (grow) bytes more. */
struct growth {
    size_t i, grow;
};

static int by_growth(const void *a, const void *b)
{
    const struct growth *x = a, *y = b;

    if (x->grow != y->grow)
        return x->grow < y->grow ? 1 : -1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static size_t blob_len(const struct dnsd_blob *b)
{
    return b != NULL ? b->len : 0;
}

/* Zone (i) goes back to its blob in (old) (NULL: not served), saying why. */
static void send_back(const struct svc_conf *c, struct dnsd_zones *z,
                      const struct dnsd_zones *old, size_t i, size_t grow,
                      size_t total)
{
    struct dnsd_blob *b = old->blob[i];
    char was[40] = "not served";

    if (b != NULL)
        snprintf(was, sizeof(was), "still serving serial %u", b->serial);
    dnsd_log("zone %s: not reloaded: serial %u, %zu bytes compiled (%zu "
             "more), would take the zones to %zu bytes, over zone-memory "
             "(%llu bytes) by %zu; %s",
             c->zones[i].name, z->blob[i]->serial, z->blob[i]->len, grow, total,
             (unsigned long long)c->zone_memory, total - (size_t)c->zone_memory,
             was);
    blob_put(z->blob[i]);
    if (b != NULL)
        b->ref++;
    z->blob[i] = b;
}

/*
 * zone-memory on reload: while the new zones (total bytes) are over the
 * cap, the zone that grew most goes back to its old blob.  The old set was
 * within the cap, so this ends within it.  Returns how many went back.
 */
static size_t fit_memory(const struct svc_conf *c, struct dnsd_zones *z,
                         const struct dnsd_zones *old, bool *fresh,
                         size_t total)
{
    struct growth *g = calloc(c->nzones + 1, sizeof(*g));
    size_t ng = 0, back = 0;

    for (size_t i = 0; i < c->nzones; i++) {
        size_t now = blob_len(z->blob[i]), was = blob_len(old->blob[i]);
        if (!fresh[i] || now <= was)
            continue;
        if (g != NULL) {
            g[ng++] = (struct growth){i, now - was};
        } else if (total > c->zone_memory) { /* cannot sort: file order */
            send_back(c, z, old, i, now - was, total);
            total -= now - was;
            fresh[i] = false;
            back++;
        }
    }
    if (g != NULL)
        qsort(g, ng, sizeof(*g), by_growth);
    for (size_t k = 0; k < ng && total > c->zone_memory; k++) {
        send_back(c, z, old, g[k].i, g[k].grow, total);
        total -= g[k].grow;
        fresh[g[k].i] = false;
        back++;
    }
    free(g);
    return back;
}

/* The zones' compiled size; at start-up, over zone-memory is an error. */
static size_t zones_total(const struct svc_conf *c, const struct dnsd_zones *z,
                          bool startup)
{
    size_t total = 0, big = 0;

    for (size_t i = 0; i < c->nzones; i++) {
        total += blob_len(z->blob[i]);
        if (blob_len(z->blob[i]) > blob_len(z->blob[big]))
            big = i;
    }
    if (startup && c->zone_memory != 0 && total > c->zone_memory)
        dnsd_log("zones: %zu bytes compiled, over zone-memory (%llu bytes) "
                 "by %zu (the largest: zone %s, %zu bytes)",
                 total, (unsigned long long)c->zone_memory,
                 total - (size_t)c->zone_memory, c->zones[big].name,
                 blob_len(z->blob[big]));
    return total;
}

/* Logs what a load did to each freshly compiled zone; returns how many
 * were unchanged. */
static size_t log_loaded(const struct svc_conf *c, const struct dnsd_zones *z,
                         const struct dnsd_zones *old, const bool *fresh)
{
    size_t unchanged = 0;

    for (size_t i = 0; i < c->nzones; i++) {
        const struct dnsd_blob *b = z->blob[i];
        const struct dnsd_blob *o = old != NULL ? old->blob[i] : NULL;

        if (!fresh[i])
            continue;
        if (o != NULL && o->serial == b->serial && o->len == b->len &&
            memcmp(o->data, b->data, b->len) == 0) {
            dnsd_debug("zone %s: unchanged (serial %u)", c->zones[i].name,
                       b->serial);
            unchanged++;
        } else {
            dnsd_log("zone %s: serial %u, %zu records, %zu bytes compiled%s",
                     c->zones[i].name, b->serial, b->nrr, b->len,
                     old != NULL ? " (reloaded)" : "");
        }
    }
    return unchanged;
}

int dnsd_zones_load(const struct svc_conf *c, const struct dnsd_zones *old,
                    const struct dns_auth_opts *opts, struct dnsd_zones **out)
{
    struct dnsd_zones *z = calloc(1, sizeof(*z));
    const void **blobs = NULL;
    size_t *lens = NULL, nb = 0, failed = 0, unchanged, total;
    bool *fresh = NULL;
    struct dns_diag d;
    struct tb_budget bud;
    int rc = 0;

    dnsd_diag_init(&d);
    if (z == NULL)
        return TB_ENOMEM;
    tb_budget_init(&bud, &tb_heap, (size_t)c->zone_memory);
    load_budget = c->zone_memory != 0 ? &bud : NULL;
    z->n = c->nzones;
    z->blob = calloc(c->nzones + 1, sizeof(*z->blob));
    blobs = calloc(c->nzones + 1, sizeof(*blobs));
    lens = calloc(c->nzones + 1, sizeof(*lens));
    fresh = calloc(c->nzones + 1, sizeof(*fresh));
    if (z->blob == NULL || blobs == NULL || lens == NULL || fresh == NULL) {
        rc = TB_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < c->nzones; i++) {
        const struct svc_zone *sz = &c->zones[i];
        struct dnsd_blob *b = NULL;
        unsigned e0 = d.errors;
        int r;

        if (sz->nprimary > 0 || sz->nallow_update > 0 ||
            sz->dnssec_dir != NULL) {
            /* A secondary: its versions come from xfrin.c (the kept copy
             * at start-up, transfers after); a zone taking updates, from
             * update.c (its file and journal); a signed zone, from
             * signer.c (which re-reads its file on SIGHUP); a reload keeps
             * what is served. */
            b = old != NULL ? old->blob[i] : NULL;
            if (b != NULL)
                b->ref++;
            z->blob[i] = b;
            continue;
        }
        if (sz->catalog_role == SVC_CATALOG_PRODUCER)
            r = dnsd_catalog_make(c, i, old != NULL ? old->blob[i] : NULL, &b,
                                  &d);
        else
            r = load_one(sz, &b, &d);

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
        }
        fresh[i] = r == 0;
        z->blob[i] = b;
    }
    if (failed != 0 && old == NULL) {
        rc = TB_EMALF;
        goto out;
    }
    total = zones_total(c, z, old == NULL);
    if (c->zone_memory != 0 && total > c->zone_memory) {
        if (old == NULL) {
            rc = TB_ERANGE;
            goto out;
        }
        failed += fit_memory(c, z, old, fresh, total);
    }
    unchanged = log_loaded(c, z, old, fresh);
    for (size_t i = 0; i < c->nzones; i++) {
        if (z->blob[i] != NULL) {
            blobs[nb] = z->blob[i]->data;
            lens[nb] = z->blob[i]->len;
            nb++;
        }
    }
    dnsd_xfr_setup(c, old, z); /* on failure: served, not transferred */
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
    load_budget = NULL;
    free(fresh);
    free(blobs);
    free(lens);
    if (rc != 0) {
        dnsd_zones_free(z);
        return rc;
    }
    *out = z;
    return 0;
}

void dnsd_blob_put(struct dnsd_blob *b)
{
    blob_put(b);
}

int dnsd_blob_compile(const struct dns_zone_src *z, unsigned flags,
                      int64_t loaded, struct dnsd_blob **out)
{
    struct tb_buf buf;
    struct dns_diag d;
    struct dnsd_blob *b;
    uint32_t serial;
    int rc;

    dnsd_diag_init(&d);
    tb_buf_init(&buf, &tb_heap);
    rc = dns_zone_compile_flags(z, &buf, &d, flags);
    if (rc == 0)
        rc = dns_zone_open(buf.data, buf.len, NULL, &serial);
    if (rc != 0 || (b = calloc(1, sizeof(*b))) == NULL) {
        tb_buf_free(&buf);
        return rc != 0 ? rc : TB_ENOMEM;
    }
    b->ref = 1;
    b->serial = serial;
    b->loaded = loaded;
    b->nrr = z->nrr;
    b->len = buf.len;
    b->data = buf.data;
    *out = b;
    return 0;
}

int dnsd_zones_swap(const struct svc_conf *c, const struct dnsd_zones *cur,
                    size_t i, struct dnsd_blob *b,
                    const struct dns_auth_opts *opts, struct dnsd_zones **out)
{
    struct dnsd_zones *z = calloc(1, sizeof(*z));
    const void **blobs = calloc(c->nzones + 1, sizeof(*blobs));
    size_t *lens = calloc(c->nzones + 1, sizeof(*lens)), nb = 0;
    int rc = TB_ENOMEM;

    if (z == NULL || blobs == NULL || lens == NULL)
        goto out;
    z->n = c->nzones;
    z->blob = calloc(c->nzones + 1, sizeof(*z->blob));
    if (z->blob == NULL)
        goto out;
    for (size_t k = 0; k < c->nzones; k++) {
        struct dnsd_blob *x = k == i ? b : cur->blob[k];
        if (x == NULL)
            continue;
        x->ref++;
        z->blob[k] = x;
        blobs[nb] = x->data;
        lens[nb++] = x->len;
    }
    dnsd_xfr_setup(c, cur, z); /* on failure: served, not transferred */
    rc = dns_zoneset_build(&z->zs, blobs, lens, nb, opts, &tb_heap);
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
