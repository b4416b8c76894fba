/*
 * signer.c -- tibra-dnsd's online DNSSEC signing: the driver of
 * lib/dns/sign.c (dns_sign_resign, dns_sign_refresh), which does every
 * part of the signing; this file holds the keys, reads the clock and
 * publishes.
 *
 *   start-up: KEYDIR --dns_sign_keydir_read--> keys (the private halves
 *     stay in this process's memory; never logged)
 *   a zone without updates: file --dns_zone_load_file--> zone
 *     --dnsd_zsign_version--> signed (a signed file's own signatures are
 *     verified and kept) --compile--> swapped in before the first publish
 *   the thread: at the earliest refresh time (expiration - dnssec-margin)
 *     --dnsd_zsign_refresh--> next version (serial by serial-policy, the
 *     due signatures and the SOA's made again) --compile--> dnsd_zones_swap
 *     + publish under dnsd_publish_lock (IXFR history and NOTIFY follow);
 *     on SIGHUP the files whose serial changed are read and signed against
 *     the version served (unchanged RRsets keep their signatures)
 *   zones with allow-update: update.c's thread calls dnsd_zsign_version
 *     on each update's result and dnsd_zsign_refresh when due.
 *
 * Times: inception now - 1 h, expiration now + dnssec-validity, refresh
 * when a signature is within dnssec-margin of its expiration (Knot's
 * rrsig-lifetime and rrsig-refresh), those within a tenth of the margin
 * more refreshed with them (Knot's rrsig-pre-refresh) so refreshes batch.
 * TIBRA_DNSD_DNSSEC_SCALE=N (tests only) divides validity and margin by
 * N: a fast clock for the durations, while every signature stays valid in
 * real time for the validators that check it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tibra/dns/serial.h>
#include <tibra/dns/update.h>
#include <tibra/zonefile.h>

#include "signer.h"

#if defined(TB_HAVE_TSIG)
#include <tibra/dns/sign.h>
#include <tibra/dns/signdir.h>
#endif

#define ZSIGN_KEYS_MAX 8
#define BACKDATE_S     3600 /* inception: clocks of validators behind ours */

int64_t dnsd_zsign_now(void)
{
    return (int64_t)time(NULL);
}

/* The compiled form of (z), records kept where transfers out are allowed. */
static int compile(const struct svc_zone *sz, const struct dns_zone_src *z,
                   struct dnsd_blob **out)
{
    return dnsd_blob_compile(z,
                             sz->nallow_xfr != 0 ? DNS_ZONE_COMPILE_RECORDS : 0,
                             (int64_t)time(NULL), out);
}

#if defined(TB_HAVE_TSIG)
struct dnsd_zsign {
    const struct svc_zone *sz;
    struct dns_sign_key keys[ZSIGN_KEYS_MAX];
    size_t nkeys;
    uint32_t validity, margin; /* seconds, after TIBRA_DNSD_DNSSEC_SCALE */
};

static unsigned time_scale(void)
{
    const char *e = getenv("TIBRA_DNSD_DNSSEC_SCALE");
    char *end;
    unsigned long v;

    if (e == NULL || *e == '\0')
        return 1;
    v = strtoul(e, &end, 10);
    return *end == '\0' && v >= 1 && v <= 100000 ? (unsigned)v : 1;
}

int dnsd_zsign_open(const struct svc_conf *c, const struct svc_zone *sz,
                    struct dnsd_zsign **out)
{
    struct dnsd_zsign *zs = calloc(1, sizeof(*zs));
    struct dns_diag d;
    unsigned sc = time_scale();
    char tags[ZSIGN_KEYS_MAX * 12] = "";
    int rc;

    *out = NULL;
    if (zs == NULL)
        return TB_ENOMEM;
    dnsd_diag_init(&d);
    zs->sz = sz;
    rc = dns_sign_keydir_read(sz->dnssec_dir, sz->origin, zs->keys,
                              ZSIGN_KEYS_MAX, &zs->nkeys, NULL, NULL, &d,
                              c->path, sz->dnssec_line);
    if (rc != 0) {
        dnsd_log("zone %s: no signing keys (errors above)", sz->name);
        free(zs);
        return rc;
    }
    zs->validity = sz->dnssec_validity / sc;
    zs->margin = sz->dnssec_margin / sc;
    if (zs->margin == 0 || zs->validity <= zs->margin)
        zs->validity = zs->margin + 2;
    for (size_t i = 0; i < zs->nkeys; i++) {
        size_t l = strlen(tags);
        snprintf(tags + l, sizeof(tags) - l, "%s%u%s", i ? " " : "",
                 zs->keys[i].tag,
                 zs->keys[i].flags == DNS_DNSKEY_KSK ? "(ksk)" : "");
    }
    dnsd_log("zone %s: signed online, %zu key%s (tags %s), %s, signatures "
             "valid %u s, refreshed %u s before they expire",
             sz->name, zs->nkeys, zs->nkeys == 1 ? "" : "s", tags,
             sz->dnssec_nsec3 ? "nsec3" : "nsec", zs->validity, zs->margin);
    *out = zs;
    return 0;
}

int dnsd_zsign_dup(const struct dnsd_zsign *zs, const struct svc_zone *sz,
                   struct dnsd_zsign **out)
{
    if ((*out = malloc(sizeof(**out))) == NULL)
        return TB_ENOMEM;
    memcpy(*out, zs, sizeof(**out));
    (*out)->sz = sz;
    return 0;
}

void dnsd_zsign_free(struct dnsd_zsign *zs)
{
    if (zs == NULL)
        return;
    for (size_t i = 0; i < ZSIGN_KEYS_MAX; i++)
        dns_sign_key_wipe(&zs->keys[i]);
    free(zs);
}

/* Parameters for signing at (now); the time before which signatures are
 * made again in (*refresh_at). */
static int params(const struct dnsd_zsign *zs, int64_t now,
                  struct dns_sign_params *p, uint32_t *refresh_at)
{
    const struct svc_zone *sz = zs->sz;

    if (now < BACKDATE_S || now + zs->validity > UINT32_MAX)
        return TB_ERANGE;
    memset(p, 0, sizeof(*p));
    p->keys = zs->keys;
    p->nkeys = zs->nkeys;
    p->inception = (uint32_t)(now - BACKDATE_S);
    p->expiration = (uint32_t)(now + zs->validity);
    p->nsec3 = sz->dnssec_nsec3;
    p->optout = sz->dnssec_optout;
    p->iterations = sz->dnssec_iterations;
    p->saltlen = sz->dnssec_saltlen;
    memcpy(p->salt, sz->dnssec_salt, sz->dnssec_saltlen);
    *refresh_at = (uint32_t)(now + zs->margin + zs->margin / 10);
    return 0;
}

static void done(const struct dnsd_zsign *zs, const char *what,
                 const struct dns_sign_stats *st, uint32_t serial, int64_t *due)
{
    *due = (int64_t)st->expire_min - zs->margin;
    dnsd_debug("zone %s: %s: serial %u, %zu signatures made, %zu kept, next "
               "refresh in %lld s",
               zs->sz->name, what, serial, st->made, st->kept,
               (long long)(*due - dnsd_zsign_now()));
}

/* A signature must outlive the caches holding it: warns when
 * dnssec-margin is shorter than (z)'s largest TTL (first signing only). */
static void check_margin(const struct dnsd_zsign *zs,
                         const struct dns_zone_src *z)
{
    uint32_t max = 0;

    for (size_t i = 0; i < z->nrr; i++)
        max = TB_MAX(max, z->rr[i].ttl);
    if (zs->margin < max)
        dnsd_log("zone %s: warning: signatures are refreshed %u s before "
                 "they expire, less than the largest TTL (%u s): a cache may "
                 "hold one past its expiration (raise dnssec-margin)",
                 zs->sz->name, zs->margin, max);
}

int dnsd_zsign_version(struct dnsd_zsign *zs, struct dns_zone_src *z,
                       const struct dns_zone_src *prev, int64_t *due)
{
    struct dns_sign_params p;
    struct dns_sign_stats st;
    struct dns_diag d;
    uint32_t refresh_at;
    int64_t now = dnsd_zsign_now();
    int rc = params(zs, now, &p, &refresh_at);

    dnsd_diag_init(&d);
    if (prev == NULL)
        check_margin(zs, z);
    if (rc == 0)
        rc = dns_sign_resign(z, prev, &p, (uint32_t)now, refresh_at, &st, &d);
    if (rc != 0) {
        dnsd_log("zone %s: signing failed: %s", zs->sz->name, tb_strerror(rc));
        return rc;
    }
    done(zs, prev != NULL ? "re-signed" : "signed", &st, dns_zone_src_serial(z),
         due);
    return 0;
}

/* The earliest expiration of (z)'s RRSIGs. */
static uint32_t expire_min(const struct dns_zone_src *z)
{
    uint32_t m = UINT32_MAX;

    for (size_t i = 0; i < z->nrr; i++)
        if (z->rr[i].type == DNS_TYPE_RRSIG && z->rr[i].rdlen >= 18)
            m = TB_MIN(m, tb_get32(dns_zrr_rdata(z, &z->rr[i]) + 8));
    return m;
}

int dnsd_zsign_refresh(struct dnsd_zsign *zs, const struct dns_zone_src *prev,
                       bool verify, struct dns_zone_src *out, bool *changed,
                       int64_t *due)
{
    struct dns_sign_params p;
    struct dns_sign_stats st;
    struct dns_diag d;
    uint32_t refresh_at, serial;
    int64_t now = dnsd_zsign_now();
    int rc = params(zs, now, &p, &refresh_at);

    dnsd_diag_init(&d);
    memset(out, 0, sizeof(*out));
    if (verify)
        check_margin(zs, prev);
    serial = dns_serial_next(dns_zone_src_serial(prev),
                             (enum dns_serial_policy)zs->sz->serial_policy,
                             (uint64_t)now);
    if (rc == 0)
        rc = dns_sign_refresh(prev, serial, out, &p, (uint32_t)now, refresh_at,
                              verify, &st, &tb_heap, &d);
    if (rc != 0) {
        dnsd_log("zone %s: signing failed: %s", zs->sz->name, tb_strerror(rc));
        return rc;
    }
    /* The SOA's signature is always new (its serial); anything else made
     * or dropped is a change. */
    *changed = st.made > 1 || out->nrr != prev->nrr;
    if (!*changed) /* (prev) stays: its SOA signature counts too */
        st.expire_min = TB_MIN(st.expire_min, expire_min(prev));
    done(zs, "signatures refreshed", &st, serial, due);
    return 0;
}
#else
int dnsd_zsign_open(const struct svc_conf *c, const struct svc_zone *sz,
                    struct dnsd_zsign **out)
{
    *out = NULL;
    dnsd_log("%s:%u: zone %s: this tibra-dnsd was built without BearSSL "
             "for its architecture and cannot sign",
             c->path, sz->dnssec_line, sz->name);
    return TB_ENOTSUP;
}

void dnsd_zsign_free(struct dnsd_zsign *zs)
{
    (void)zs;
}

int dnsd_zsign_dup(const struct dnsd_zsign *zs, const struct svc_zone *sz,
                   struct dnsd_zsign **out)
{
    (void)zs, (void)sz;
    *out = NULL;
    return TB_ENOTSUP;
}

int dnsd_zsign_version(struct dnsd_zsign *zs, struct dns_zone_src *z,
                       const struct dns_zone_src *prev, int64_t *due)
{
    (void)zs, (void)z, (void)prev, (void)due;
    return TB_ENOTSUP;
}

int dnsd_zsign_refresh(struct dnsd_zsign *zs, const struct dns_zone_src *prev,
                       bool verify, struct dns_zone_src *out, bool *changed,
                       int64_t *due)
{
    (void)zs, (void)prev, (void)verify, (void)changed, (void)due;
    memset(out, 0, sizeof(*out));
    return TB_ENOTSUP;
}
#endif

/* ---- signed zones without updates ---------------------------------- */

struct szone {
    const struct svc_zone *sz;
    size_t zi; /* index in the service's zones */
    struct dnsd_zsign *zs;
    struct dns_zone_src cur; /* the signed version served */
    struct dnsd_blob *blob; /* compiled (cur), one reference held */
    uint32_t file_serial; /* the zone file's, when last read */
    int64_t due; /* next refresh, UNIX seconds */
};

struct dnsd_signer {
    const struct svc_conf *c;
    const struct dns_auth_opts *opts;
    struct dnsd_server *srv;
    struct szone *z;
    size_t n;
    pthread_t th;
    bool started, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv;
};

/* (nb) becomes zone (z)'s version: swapped into (*zones) at start-up, or
 * published (srv). */
static int install(struct dnsd_signer *s, struct szone *z, struct dnsd_blob *nb,
                   struct dnsd_zones **zones)
{
    struct dnsd_zones *nz, *old;
    int rc;

    if (zones != NULL) {
        dnsd_blob_put(z->blob);
        z->blob = nb;
        rc = dnsd_zones_swap(s->c, *zones, z->zi, nb, s->opts, &nz);
        if (rc == 0) {
            dnsd_zones_free(*zones);
            *zones = nz;
        }
        return rc;
    }
    pthread_mutex_lock(&dnsd_publish_lock); /* blob counts: under it */
    dnsd_blob_put(z->blob);
    z->blob = nb;
    rc = dnsd_zones_swap(s->c, dnsd_server_current(s->srv), z->zi, nb, s->opts,
                         &nz);
    if (rc == 0) {
        old = dnsd_server_publish(s->srv, nz);
        dnsd_zones_free(old);
    }
    pthread_mutex_unlock(&dnsd_publish_lock);
    if (rc != 0)
        dnsd_log("zone %s: cannot build the zone set: %s", z->sz->name,
                 tb_strerror(rc));
    return rc;
}

/* Makes (next) zone (z)'s version (taken over in every case). */
static int commit(struct dnsd_signer *s, struct szone *z,
                  struct dns_zone_src *next, struct dnsd_zones **zones)
{
    struct dnsd_blob *nb = NULL;
    int rc = compile(z->sz, next, &nb);

    if (rc != 0) {
        dnsd_log("zone %s: does not compile: %s", z->sz->name, tb_strerror(rc));
        dns_zone_src_free(next);
        return rc;
    }
    dns_zone_src_free(&z->cur);
    z->cur = *next;
    memset(next, 0, sizeof(*next));
    return install(s, z, nb, zones);
}

/* A reload: the zone file again, if its serial changed, signed against
 * the version served; its serial is the file's when newer, else the next. */
static void reload(struct dnsd_signer *s, struct szone *z,
                   struct dnsd_zones **zones)
{
    struct dns_zone_src next;
    struct dns_diag d;
    uint32_t fs, serial = z->blob->serial;
    int64_t due;

    dnsd_diag_init(&d);
    if (dns_zone_load_file(&next, z->sz->file, z->sz->origin, DNS_CLASS_IN,
                           &tb_heap, &d) != 0) {
        dnsd_log("zone %s: not reloaded (errors above); still serving "
                 "serial %u",
                 z->sz->name, serial);
        return;
    }
    fs = dns_zone_src_serial(&next);
    if (fs == z->file_serial) {
        dnsd_debug("zone %s: file serial %u unchanged", z->sz->name, fs);
        dns_zone_src_free(&next);
        return;
    }
    if (!dns_serial_newer(fs, serial)) {
        uint32_t ns = dns_serial_next(
            serial, (enum dns_serial_policy)z->sz->serial_policy,
            (uint64_t)dnsd_zsign_now());
        for (size_t i = 0; i < next.nrr; i++) {
            struct dns_zrr *r = &next.rr[i];
            if (r->type == DNS_TYPE_SOA && r->rdlen >= 22) {
                tb_put32(next.data.data + r->rdata + r->rdlen - 20, ns);
                break;
            }
        }
    }
    if (dnsd_zsign_version(z->zs, &next, &z->cur, &due) != 0) {
        dns_zone_src_free(&next);
        return;
    }
    z->file_serial = fs;
    z->due = due;
    if (commit(s, z, &next, zones) == 0)
        dnsd_log("zone %s: reloaded (file serial %u), serial %u", z->sz->name,
                 fs, z->blob->serial);
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* The zone of (old) that (sz) continues: same name, file, keys and chain
 * (NULL: none; then it is signed afresh). */
static struct szone *same_zone(struct dnsd_signer *old,
                               const struct svc_zone *sz)
{
    for (size_t i = 0; old != NULL && i < old->n; i++) {
        struct szone *o = &old->z[i];
        const struct svc_zone *x = o->sz;
        if (o->zs != NULL && dns_name_equal(x->origin, sz->origin) &&
            str_eq(x->file, sz->file) &&
            str_eq(x->dnssec_dir, sz->dnssec_dir) &&
            x->dnssec_nsec3 == sz->dnssec_nsec3 &&
            x->dnssec_optout == sz->dnssec_optout &&
            x->dnssec_iterations == sz->dnssec_iterations &&
            x->dnssec_saltlen == sz->dnssec_saltlen &&
            memcmp(x->dnssec_salt, sz->dnssec_salt, sz->dnssec_saltlen) == 0 &&
            x->dnssec_validity == sz->dnssec_validity &&
            x->dnssec_margin == sz->dnssec_margin)
            return o;
    }
    return NULL;
}

/* A copy of (src) into (dst) (initialised here); 0 or TB_ENOMEM. */
static int zone_copy(struct dns_zone_src *dst, const struct dns_zone_src *src)
{
    int rc = 0;

    dns_zone_src_init(dst, src->origin, &tb_heap);
    dst->rclass = src->rclass;
    for (size_t i = 0; i < src->nrr && rc == 0; i++) {
        const struct dns_zrr *r = &src->rr[i];
        rc = dns_zone_src_add(dst, dns_zrr_owner(src, r), r->type, r->rclass,
                              r->ttl, dns_zrr_rdata(src, r), r->rdlen, 0, 0);
    }
    return rc;
}

/* A reload: (z) continues (o) -- copies of its keys and version, so that
 * (o) is intact if the reload is given up --, reads the file again if its
 * serial changed, and its version goes into (*zones). */
static int take_over(struct dnsd_signer *s, struct szone *z, struct szone *o,
                     struct dnsd_zones **zones)
{
    int rc = dnsd_zsign_dup(o->zs, z->sz, &z->zs);

    if (rc == 0)
        rc = zone_copy(&z->cur, &o->cur);
    if (rc != 0)
        return rc;
    z->file_serial = o->file_serial, z->due = o->due;
    o->blob->ref++;
    if ((rc = install(s, z, o->blob, zones)) != 0)
        return rc;
    reload(s, z, zones);
    return 0;
}

static int open_zone(struct dnsd_signer *s, struct szone *z,
                     struct dnsd_zones **zones, struct dnsd_signer *old)
{
    struct dns_zone_src next;
    struct dns_diag d;
    struct szone *o = same_zone(old, z->sz);
    int rc;

    if (o != NULL)
        return take_over(s, z, o, zones);
    dnsd_diag_init(&d);
    rc = dnsd_zsign_open(s->c, z->sz, &z->zs);
    if (rc != 0)
        return rc;
    rc = dns_zone_load_file(&next, z->sz->file, z->sz->origin, DNS_CLASS_IN,
                            &tb_heap, &d);
    if (rc != 0) {
        dnsd_log("zone %s: not loaded (errors above)", z->sz->name);
        return rc;
    }
    z->file_serial = dns_zone_src_serial(&next);
    rc = dnsd_zsign_version(z->zs, &next, NULL, &z->due);
    if (rc == 0)
        rc = commit(s, z, &next, zones);
    else
        dns_zone_src_free(&next);
    if (rc == 0)
        dnsd_log("zone %s: serial %u, %zu records signed", z->sz->name,
                 z->blob->serial, z->blob->nrr);
    return rc;
}

/* The signatures of (z) are due: the next version, published. */
static void refresh(struct dnsd_signer *s, struct szone *z)
{
    struct dns_zone_src next;
    bool changed;

    if (dnsd_zsign_refresh(z->zs, &z->cur, false, &next, &changed, &z->due) !=
        0) {
        dns_zone_src_free(&next);
        z->due = dnsd_zsign_now() + 60; /* logged; try again */
        return;
    }
    if (commit(s, z, &next, NULL) == 0)
        dnsd_log("zone %s: signatures refreshed, serial %u", z->sz->name,
                 z->blob->serial);
}

static void *signer_main(void *arg)
{
    struct dnsd_signer *s = arg;

    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        int64_t due = INT64_MAX, now = dnsd_zsign_now();
        for (size_t i = 0; i < s->n; i++)
            due = TB_MIN(due, s->z[i].due);
        if (due > now) {
            struct timespec ts = {(time_t)due, 0};
            pthread_cond_timedwait(&s->cv, &s->mu, &ts);
            continue;
        }
        pthread_mutex_unlock(&s->mu);
        for (size_t i = 0; i < s->n; i++) {
            if (s->z[i].due <= dnsd_zsign_now())
                refresh(s, &s->z[i]);
        }
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

int dnsd_signer_open(struct dnsd_signer **out, const struct svc_conf *c,
                     const struct dns_auth_opts *opts,
                     struct dnsd_zones **zones, struct dnsd_signer *old)
{
    struct dnsd_signer *s;
    size_t n = 0;
    int rc = 0;

    *out = NULL;
    for (size_t i = 0; i < c->nzones; i++)
        n += c->zones[i].dnssec_dir != NULL && c->zones[i].nallow_update == 0 &&
             c->zones[i].nprimary == 0;
    if (n == 0)
        return 0;
    if ((s = calloc(1, sizeof(*s))) == NULL ||
        (s->z = calloc(n, sizeof(*s->z))) == NULL) {
        free(s);
        return TB_ENOMEM;
    }
    s->c = c;
    s->opts = opts;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    for (size_t i = 0; i < c->nzones && rc == 0; i++) {
        const struct svc_zone *sz = &c->zones[i];
        if (sz->dnssec_dir == NULL || sz->nallow_update != 0 ||
            sz->nprimary != 0)
            continue;
        struct szone *z = &s->z[s->n++];
        z->sz = sz;
        z->zi = i;
        rc = open_zone(s, z, zones, old);
    }
    if (rc != 0) {
        dnsd_signer_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int dnsd_signer_reload(struct dnsd_signer **s, const struct svc_conf *c,
                       const struct dns_auth_opts *opts,
                       struct dnsd_zones **zones)
{
    struct dnsd_signer *ns = NULL;
    int rc = dnsd_signer_open(&ns, c, opts, zones, *s);

    if (rc != 0)
        return rc; /* the zones keep the versions served */
    dnsd_signer_close(*s);
    *s = ns;
    return 0;
}

int dnsd_signer_start(struct dnsd_signer *s, struct dnsd_server *srv)
{
    if (s == NULL)
        return 0;
    s->srv = srv;
    return dnsd_plane_start(&s->th, &s->mu, &s->stop, &s->started, signer_main,
                            s, "signer");
}

void dnsd_signer_stop(struct dnsd_signer *s)
{
    if (s != NULL)
        dnsd_plane_stop(s->th, &s->mu, &s->cv, &s->stop, &s->started);
}

void dnsd_signer_close(struct dnsd_signer *s)
{
    if (s == NULL)
        return;
    dnsd_signer_stop(s);
    for (size_t i = 0; i < s->n; i++) {
        dns_zone_src_free(&s->z[i].cur);
        dnsd_blob_put(s->z[i].blob);
        dnsd_zsign_free(s->z[i].zs);
    }
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s->z);
    free(s);
}
