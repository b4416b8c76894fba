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
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tibra/dns/catalog.h>
#include <tibra/zonefile.h>

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

/* ---- consumers --------------------------------------------------------
 *
 * A `catalog consumer` zone is a secondary like any other (xfrin.c keeps
 * it in FILE).  Its members become secondaries of the same primaries at
 * start-up: dnsd_catalog_expand() reads the kept copy, parses it
 * (lib/dns/catalog.c) and appends one zone per member to the service's
 * zone list, kept in FILE.members/NAME.zone; kept copies of zones no
 * longer members are deleted there.  A new version of the catalog
 * transferred while running is compared with the members in use; when
 * they differ, the transfer thread asks the main thread (SIGUSR1,
 * dnsd_reload_request) to apply it: reconf.c re-parses the running
 * service file's text, expands the catalogs again from their kept copies
 * and swaps the zone plane (members added start as secondaries, members
 * removed stop being served and their kept copies are deleted).
 */

/* The members in use, per consumer (index in the service's zones); those
 * of an expansion not yet applied. */
static struct dns_catalog *in_use, *pending;
static size_t n_in_use, n_pending;

static void cats_free(struct dns_catalog *c, size_t n)
{
    for (size_t i = 0; c != NULL && i < n; i++)
        dns_catalog_free(&c[i]);
    free(c);
}

void dnsd_catalog_commit(bool keep)
{
    if (keep) {
        cats_free(in_use, n_in_use);
        in_use = pending;
        n_in_use = n_pending;
    } else {
        cats_free(pending, n_pending);
    }
    pending = NULL;
    n_pending = 0;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);

    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* Reads consumer (cz)'s kept copy into (cat); false when there is none or
 * it is not a valid catalog (logged). */
static bool read_catalog(const struct svc_zone *cz, struct dns_catalog *cat)
{
    struct dns_zone_src z;
    struct dns_diag d;
    struct stat st;
    bool ok;

    if (stat(cz->file, &st) != 0)
        return false; /* not transferred yet */
    dnsd_diag_init(&d);
    dns_zone_src_init(&z, cz->origin, &tb_heap);
    ok = dns_zone_load_file(&z, cz->file, cz->origin, DNS_CLASS_IN, &tb_heap,
                            &d) == 0 &&
         dns_zone_check(&z, &d) == 0 && dns_catalog_parse(&z, cat, &d) == 0;
    if (!ok)
        dnsd_log("catalog %s: %s is not a valid catalog (above); no members",
                 cz->name, cz->file);
    dns_zone_src_free(&z);
    return ok;
}

static bool is_zone(const struct svc_conf *c, const uint8_t *name)
{
    size_t n = dns_name_len(name);

    for (size_t i = 0; i < c->nzones; i++)
        if (c->zones[i].origin_len == n &&
            memcmp(c->zones[i].origin, name, n) == 0)
            return true;
    return false;
}

/* Appends member (name) of consumer (ci) to (c). */
static int add_member(struct svc_conf *c, size_t ci, const uint8_t *name,
                      const char *dir)
{
    const struct svc_zone *cz;
    struct svc_zone *z;
    char text[DNS_NAME_TEXT_MAX], path[4096];

    if (c->nzones == SVC_ZONES_MAX)
        return TB_ERANGE;
    if (c->nzones == c->zones_cap) {
        size_t ncap = c->zones_cap ? c->zones_cap * 2 : 8;
        struct svc_zone *nz = realloc(c->zones, ncap * sizeof(*nz));
        if (nz == NULL)
            return TB_ENOMEM;
        c->zones = nz;
        c->zones_cap = ncap;
    }
    cz = &c->zones[ci];
    z = &c->zones[c->nzones];
    *z = (struct svc_zone){0};
    memcpy(z->origin, name, dns_name_len(name));
    z->origin_len = dns_name_len(name);
    dns_name_to_text(name, text, sizeof(text));
    if (snprintf(path, sizeof(path), "%s/%szone", dir, text) >=
        (int)sizeof(path))
        return TB_ERANGE;
    z->name = xstrdup(text);
    z->file = xstrdup(path);
    z->line = cz->line;
    z->max_size = cz->max_size;
    z->max_records = cz->max_records;
    z->nprimary = cz->nprimary;
    memcpy(z->primary, cz->primary, sizeof(z->primary));
    for (unsigned k = 0; k < cz->nprimary; k++)
        if (cz->primary_key[k] != NULL)
            z->primary_key[k] = xstrdup(cz->primary_key[k]);
    z->refresh_min = cz->refresh_min, z->refresh_max = cz->refresh_max;
    z->retry_min = cz->retry_min, z->retry_max = cz->retry_max;
    z->expire_min = cz->expire_min, z->expire_max = cz->expire_max;
    z->ixfr_history = SVC_DEFAULT_IXFR_HISTORY;
    z->ixfr_history_size = SVC_DEFAULT_IXFR_HISTORY_SIZE;
    z->catalog_of = SIZE_MAX;
    if (z->name == NULL || z->file == NULL)
        return TB_ENOMEM;
    c->nzones++;
    return 0;
}

/* Deletes kept copies in (dir) of zones that are not members of (cat). */
static void prune(const char *dir, const struct svc_zone *cz,
                  const struct dns_catalog *cat)
{
    DIR *dp = opendir(dir);
    struct dirent *e;

    while (dp != NULL && (e = readdir(dp)) != NULL) {
        size_t n = strlen(e->d_name);
        uint8_t name[DNS_NAME_MAXLEN];
        size_t nl, base = n;
        bool member = false;
        char path[4096];

        if (n > 7 && strcmp(e->d_name + n - 7, ".expire") == 0)
            base = n - 7;
        if (base < 5 || memcmp(e->d_name + base - 4, "zone", 4) != 0 ||
            dns_name_from_text(e->d_name, base - 4, NULL, name, &nl) != 0)
            continue; /* not NAME.zone[.expire]: not ours */
        dns_name_lower(name);
        for (size_t i = 0; i < cat->n && !member; i++)
            member = dns_name_equal(dns_catalog_zone(cat, i), name);
        if (member)
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) <
                (int)sizeof(path) &&
            unlink(path) == 0)
            dnsd_log("catalog %s: %s deleted (no longer a member)", cz->name,
                     path);
    }
    if (dp != NULL)
        closedir(dp);
}

int dnsd_catalog_expand(struct svc_conf *c)
{
    size_t nconf = c->nzones;

    cats_free(pending, n_pending);
    pending = calloc(nconf + 1, sizeof(*pending));
    n_pending = 0;
    if (pending == NULL)
        return TB_ENOMEM;
    for (size_t i = 0; i < nconf; i++)
        dns_catalog_init(&pending[i], &tb_heap);
    n_pending = nconf;
    for (size_t i = 0; i < nconf; i++) {
        char dir[4096];
        struct dns_catalog *cat = &pending[i];
        size_t added = 0;

        if (c->zones[i].catalog_role != SVC_CATALOG_CONSUMER)
            continue;
        snprintf(dir, sizeof(dir), "%s.members", c->zones[i].file);
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            dnsd_log("catalog %s: cannot create %s: %s", c->zones[i].name, dir,
                     strerror(errno));
            return TB_EIO;
        }
        if (!read_catalog(&c->zones[i], cat))
            dns_catalog_free(cat); /* none yet: no members */
        prune(dir, &c->zones[i], cat);
        for (size_t k = 0; k < cat->n; k++) {
            const uint8_t *m = dns_catalog_zone(cat, k);
            char text[DNS_NAME_TEXT_MAX];
            int rc;
            if (is_zone(c, m)) {
                dns_name_to_text(m, text, sizeof(text));
                dnsd_log("catalog %s: member %s is already a zone of the "
                         "service file: that one is served",
                         c->zones[i].name, text);
                continue;
            }
            rc = add_member(c, i, m, dir);
            if (rc != 0)
                return rc;
            added++;
        }
        dnsd_log("catalog %s: %zu member%s, secondaries of its primaries",
                 c->zones[i].name, added, added == 1 ? "" : "s");
    }
    return 0;
}

void dnsd_catalog_changed(size_t ci, const char *name,
                          const struct dns_zone_src *z)
{
    struct dns_catalog cat;
    struct dns_diag d;
    size_t *add, *del, na = 0, nd = 0;

    if (ci >= n_in_use)
        return;
    dnsd_diag_init(&d);
    dns_catalog_init(&cat, &tb_heap);
    if (dns_catalog_parse(z, &cat, &d) != 0) {
        dnsd_log("catalog %s: the new version is not a valid catalog "
                 "(above); the members in use stay",
                 name);
        return;
    }
    add = calloc(cat.n + 1, sizeof(*add));
    del = calloc(in_use[ci].n + 1, sizeof(*del));
    if (add != NULL && del != NULL)
        dns_catalog_diff(&in_use[ci], &cat, add, &na, del, &nd);
    if (na != 0 || nd != 0) {
        dnsd_log("catalog %s: %zu member%s added, %zu removed: applying", name,
                 na, na == 1 ? "" : "s", nd);
        dnsd_reload_request();
    }
    free(add);
    free(del);
    dns_catalog_free(&cat);
}
