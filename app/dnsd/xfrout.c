/*
 * xfrout.c -- tibra-dnsd's glue for outgoing transfers: the service
 * file's allow-transfer lists and each zone's IXFR history, published
 * with the zone set (struct dnsd_zones.xfr) so that the service core
 * (lib/dns/xfr.c) streams AXFR and IXFR from them.
 *
 *   reload: old set + new blobs --dnsd_xfr_setup--> new deltas
 *   (the delta an update made the blob from, else dns_ixfr_diff of the
 *   old and new blob), history trimmed to
 *   ixfr-history / ixfr-history-size --> dns_xfr_conf --> workers
 *
 * Deltas are shared by successive sets, reference-counted by the main
 * thread only (as blobs are, zones.c).  The history lives in memory:
 * a restart starts it empty (secondaries then get AXFR-style answers
 * until the next change); a journal on disk comes with dynamic updates.
 */
#include <stdlib.h>
#include <string.h>

#include <tibra/dns/serial.h>

#include "dnsd.h"

/* One delta, shared by the sets that keep it. */
struct dnsd_hist {
    unsigned ref;
    struct dns_ixfr_delta d; /* d.rrs points into (bytes) */
    uint8_t *bytes;
};

/* Zone i's transfer state in one set. */
struct dnsd_zxfr {
    struct dnsd_hist **h; /* [nh], oldest first */
    size_t nh;
    struct dns_ixfr_delta *d; /* [nh]: copies, what the core reads */
    struct dns_acl *acl; /* [nacl] */
    size_t nacl;
};

static void hist_put(struct dnsd_hist *h)
{
    if (h != NULL && --h->ref == 0) {
        free(h->bytes);
        free(h);
    }
}

void dnsd_xfr_free(struct dnsd_zones *z)
{
    if (z->zx != NULL) {
        for (size_t i = 0; i < z->n; i++) {
            for (size_t k = 0; k < z->zx[i].nh; k++)
                hist_put(z->zx[i].h[k]);
            free(z->zx[i].h);
            free(z->zx[i].d);
            free(z->zx[i].acl);
        }
        free(z->zx);
    }
    free((void *)(uintptr_t)z->xfr.zones); /* allocated by setup */
    z->zx = NULL;
    z->xfr.zones = NULL;
    z->xfr.n = 0;
}

bool dnsd_xfr_changed(const struct dnsd_zones *old, const struct dnsd_zones *z,
                      size_t i)
{
    const struct dnsd_blob *b = z->blob[i];
    const struct dnsd_blob *o = old != NULL ? old->blob[i] : NULL;

    return b != NULL &&
           (o == NULL || dns_serial_cmp(b->serial, o->serial) == 1);
}

/* The delta from (o) to (b), or NULL (logged). */
static struct dnsd_hist *diff(const struct svc_zone *sz,
                              const struct dnsd_blob *o,
                              const struct dnsd_blob *b)
{
    struct dnsd_hist *h = calloc(1, sizeof(*h));
    struct tb_buf out;
    int rc;

    if (h == NULL)
        return NULL;
    /* The delta the version was made from (an update's): no diff of two
     * compiled versions, O(zone), per update. */
    if (b->delta != NULL && b->d.from == o->serial && b->d.to == b->serial &&
        (h->bytes = malloc(b->d.len ? b->d.len : 1)) != NULL) {
        memcpy(h->bytes, b->delta, b->d.len);
        h->ref = 1;
        h->d = b->d;
        h->d.rrs = h->bytes;
        dnsd_debug("zone %s: IXFR delta %u -> %u, %u records, %zu bytes "
                   "(the update's)",
                   sz->name, h->d.from, h->d.to, h->d.nrrs, h->d.len);
        return h;
    }
    tb_buf_init(&out, &tb_heap);
    rc = dns_ixfr_diff(o->data, o->len, b->data, b->len, &out, &h->d);
    if (rc != 0) {
        dnsd_log("zone %s: no IXFR delta %u -> %u: %s", sz->name, o->serial,
                 b->serial, tb_strerror(rc));
        tb_buf_free(&out);
        free(h);
        return NULL;
    }
    h->ref = 1;
    h->bytes = out.data; /* tb_heap is malloc */
    h->d.rrs = h->bytes;
    dnsd_debug("zone %s: IXFR delta %u -> %u, %u records, %zu bytes", sz->name,
               h->d.from, h->d.to, h->d.nrrs, h->d.len);
    return h;
}

/* Zone (i)'s history in (z): (old)'s, plus the delta to the new blob. */
static int history(const struct svc_zone *sz, const struct dnsd_zones *old,
                   struct dnsd_zones *z, size_t i)
{
    struct dnsd_zxfr *x = &z->zx[i];
    const struct dnsd_zxfr *ox = old != NULL && old->zx ? &old->zx[i] : NULL;
    const struct dnsd_blob *o = old != NULL ? old->blob[i] : NULL;
    const struct dnsd_blob *b = z->blob[i];
    struct dnsd_hist *nd = NULL;
    size_t keep = ox != NULL ? ox->nh : 0, first = 0, bytes = 0;

    if (o != NULL && o != b && sz->ixfr_history != 0) {
        int c = dns_serial_cmp(b->serial, o->serial);
        if (c == 1) {
            nd = diff(sz, o, b);
            if (nd == NULL)
                keep = 0; /* a gap: the older deltas cannot lead here */
        } else if (c != 0 || o->len != b->len ||
                   memcmp(o->data, b->data, b->len) != 0) {
            dnsd_log("zone %s: changed without a newer serial (%u, was "
                     "%u): IXFR history dropped, secondaries that have "
                     "%u will not see the change",
                     sz->name, b->serial, o->serial, o->serial);
            keep = 0;
        }
    }
    x->h = calloc(keep + 2, sizeof(*x->h));
    x->d = calloc(keep + 2, sizeof(*x->d));
    if (x->h == NULL || x->d == NULL) {
        hist_put(nd);
        return TB_ENOMEM;
    }
    for (size_t k = 0; k < keep; k++)
        x->h[x->nh++] = ox->h[k];
    if (nd != NULL)
        x->h[x->nh++] = nd;
    /* Trim from the oldest: at most ixfr-history deltas and
     * ixfr-history-size bytes. */
    for (size_t k = 0; k < x->nh; k++)
        bytes += x->h[k]->d.len;
    while (first < x->nh && (x->nh - first > sz->ixfr_history ||
                             bytes > sz->ixfr_history_size)) {
        bytes -= x->h[first]->d.len;
        first++;
    }
    for (size_t k = 0; k < x->nh; k++) {
        if (k >= first && k < keep)
            x->h[k]->ref++; /* shared with (old) */
        else if (k < first && k >= keep)
            hist_put(x->h[k]); /* the new delta, trimmed at once */
    }
    memmove(x->h, x->h + first, (x->nh - first) * sizeof(*x->h));
    x->nh -= first;
    for (size_t k = 0; k < x->nh; k++)
        x->d[k] = x->h[k]->d;
    return 0;
}

static int acl(const struct svc_conf *c, const struct svc_zone *sz,
               struct dnsd_zxfr *x)
{
    x->acl = calloc(sz->nallow_xfr + 1, sizeof(*x->acl));
    if (x->acl == NULL)
        return TB_ENOMEM;
    for (size_t k = 0; k < sz->nallow_xfr; k++) {
        const struct svc_addr *a = &sz->allow_xfr[k];
        struct dns_acl *e = &x->acl[x->nacl++];
        e->addr.af = a->family == 4 ? TB_AF_INET : TB_AF_INET6;
        memcpy(e->addr.ip, a->addr, 16);
        e->plen = a->plen;
        /* A key entry: the name of its key: statement (checked by the
         * parser), which lives as long as (c). */
        if (sz->allow_xfr_key != NULL && sz->allow_xfr_key[k] != NULL) {
            const struct svc_key *key = svc_key_find(
                c, sz->allow_xfr_key[k], strlen(sz->allow_xfr_key[k]));
            if (key == NULL)
                return TB_EINVAL;
            e->key = key->wire;
        }
    }
    return 0;
}

int dnsd_xfr_setup(const struct svc_conf *c, const struct dnsd_zones *old,
                   struct dnsd_zones *z)
{
    static uint64_t gens; /* main thread only */
    struct dns_xfr_zone *xz;
    size_t nx = 0;

    z->gen = ++gens;
    z->zx = calloc(z->n + 1, sizeof(*z->zx));
    xz = calloc(z->n + 1, sizeof(*xz));
    z->xfr.zones = xz;
    if (z->zx == NULL || xz == NULL)
        goto nomem;
    for (size_t i = 0; i < z->n; i++) {
        const struct svc_zone *sz = &c->zones[i];
        if (sz->nallow_xfr == 0 || z->blob[i] == NULL)
            continue;
        if (acl(c, sz, &z->zx[i]) != 0 || history(sz, old, z, i) != 0)
            goto nomem;
        memcpy(xz[nx].origin, sz->origin, sz->origin_len);
        xz[nx].allow = z->zx[i].acl;
        xz[nx].nallow = z->zx[i].nacl;
        xz[nx].hist = z->zx[i].d;
        xz[nx].nhist = z->zx[i].nh;
        nx++;
    }
    z->xfr.n = nx;
    return 0;
nomem:
    dnsd_log("transfers: out of memory; none served from this set");
    dnsd_xfr_free(z);
    return TB_ENOMEM;
}

int dnsd_zones_remap(const struct dnsd_zones *cur, const struct svc_conf *oc,
                     const struct svc_conf *nc, struct dnsd_zones **out)
{
    struct dnsd_zones *v = calloc(1, sizeof(*v));

    *out = NULL;
    if (v == NULL)
        return TB_ENOMEM;
    v->n = nc->nzones;
    v->blob = calloc(v->n + 1, sizeof(*v->blob));
    v->zx = calloc(v->n + 1, sizeof(*v->zx));
    if (v->blob == NULL || v->zx == NULL) {
        dnsd_zones_remap_free(v);
        return TB_ENOMEM;
    }
    for (size_t i = 0; i < nc->nzones; i++) {
        const struct svc_zone *z = &nc->zones[i];
        for (size_t k = 0; k < oc->nzones && k < cur->n; k++) {
            if (oc->zones[k].origin_len != z->origin_len ||
                memcmp(oc->zones[k].origin, z->origin, z->origin_len) != 0)
                continue;
            v->blob[i] = cur->blob[k];
            if (cur->zx != NULL)
                v->zx[i] = cur->zx[k]; /* shallow: history() takes refs */
            break;
        }
    }
    *out = v;
    return 0;
}

void dnsd_zones_remap_free(struct dnsd_zones *v)
{
    if (v == NULL)
        return;
    free(v->blob);
    free(v->zx);
    free(v);
}
