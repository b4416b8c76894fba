/*
 * reconf.c -- SIGHUP re-reads the service file and applies its zones;
 * SIGUSR1 applies a catalog's new members.
 *
 * The zone plane -- the service file's zone list, the zone set built on
 * it, the secondaries' state machines and their thread (xfrin.c), the
 * zones taking updates and their thread (update.c), the notifier, the
 * TSIG keys, the cookie secret, the status-file's lines -- is indexed by
 * the zone list, so a changed list is applied by building the next plane
 * beside the running one and swapping them:
 *
 *   parse the new text (errors: FILE:LINE, nothing changes)
 *   -> keys, cookie secret (errors: FILE:LINE, nothing changes)
 *   -> stop the transfer and update threads (queued updates answered;
 *      the workers keep answering from the published set)
 *   -> catalogs expanded from their kept copies
 *   -> zones loaded against the running set remapped by name (blobs and
 *      IXFR history of zones kept carry over), secondaries and update
 *      zones opened from their kept copies and journals
 *   -> under dnsd_publish_lock: the workers' hooks (dnsd_rt) and the set
 *      published together; once publish returned no worker holds the old
 *      plane, which is freed; the new threads start.
 *
 * A failure after the threads stopped restarts them: the old plane goes
 * on.  What is set up once (listen addresses, workers, socket limits, RRL
 * tables, cookies on/off, the resolver, metrics, pidfile, status-file,
 * chaos/identity/version/nsid, zone-memory) is logged as needing a
 * restart and not applied.  A reload with the same zones (catalog members
 * included), the same key secrets and cookie secret takes the short way: zone
 * files reloaded into a new set, the secondaries and update zones left
 * running.  Main thread, cold path.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tibra/zonefile.h>

#include "dnsd.h"
#include "dot.h"
#include "signer.h"

static unsigned ndiff;

static void say(const char *what, const char *kind)
{
    ndiff++;
    dnsd_log("SIGHUP: service file: %s: %s", what, kind);
}

#define RESTART                                                                \
    "needs a restart (listen addresses, workers and limits are "               \
    "set up once)"
#define NOT_YET "not applied: restart to apply"

static bool str_eq(const char *a, const char *b)
{
    return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

static bool addrs_eq(const struct svc_addr *a, size_t na,
                     const struct svc_addr *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].family != b[i].family || a[i].plen != b[i].plen ||
            a[i].port != b[i].port || memcmp(a[i].addr, b[i].addr, 16) != 0)
            return false;
    return true;
}

/* The service: settings, compared as a whole where they are set up once. */
static void service_diff(const struct svc_conf *o, const struct svc_conf *n)
{
    if (!addrs_eq(o->listen, o->nlisten, n->listen, n->nlisten))
        say("listen changed", RESTART);
    if (o->workers != n->workers)
        say("workers changed", RESTART);
    if (o->tcp_clients != n->tcp_clients ||
        o->tcp_clients_per_address != n->tcp_clients_per_address ||
        o->tcp_idle_timeout != n->tcp_idle_timeout ||
        o->tcp_max_queries != n->tcp_max_queries || o->udp_size != n->udp_size)
        say("tcp-clients, tcp-*, or udp-size changed", RESTART);
    if (o->rrl_rate != n->rrl_rate || o->rrl_slip != n->rrl_slip ||
        o->rrl_ipv4_prefix != n->rrl_ipv4_prefix ||
        o->rrl_ipv6_prefix != n->rrl_ipv6_prefix ||
        o->rrl_table_size != n->rrl_table_size ||
        o->rrl_exempt_loopback != n->rrl_exempt_loopback)
        say("rrl-* changed", RESTART);
    if (o->cookies != n->cookies || o->cookies_require != n->cookies_require)
        say("cookies or cookies-require changed", RESTART);
    if (!addrs_eq(&o->metrics, 1, &n->metrics, 1))
        say("metrics changed", RESTART);
    /* DNS over TLS: the listeners are opened once; the certificate and
       key are read again (dnsd_dot_reload) on every SIGHUP. */
    if (!addrs_eq(o->tls_listen, o->ntls_listen, n->tls_listen,
                  n->ntls_listen) ||
        !addrs_eq(o->resolver.tls_listen, o->resolver.ntls_listen,
                  n->resolver.tls_listen, n->resolver.ntls_listen))
        say("tls-listen changed", RESTART);
    if (!str_eq(o->pidfile, n->pidfile) ||
        !str_eq(o->status_file, n->status_file))
        say("pidfile or status-file changed", RESTART);
    if (o->resolver.enabled != n->resolver.enabled ||
        !addrs_eq(o->resolver.listen, o->resolver.nlisten, n->resolver.listen,
                  n->resolver.nlisten))
        say("resolver: changed", RESTART);
    if (o->chaos != n->chaos || !str_eq(o->identity, n->identity) ||
        !str_eq(o->version, n->version) || o->nsid_len != n->nsid_len ||
        memcmp(o->nsid, n->nsid, o->nsid_len) != 0)
        say("chaos, identity, version or nsid changed", NOT_YET);
    if (o->zone_memory != n->zone_memory)
        say("zone-memory changed", NOT_YET);
}

static const struct svc_zone *find_zone(const struct svc_conf *c,
                                        const struct svc_zone *z)
{
    for (size_t i = 0; i < c->nzones; i++)
        if (c->zones[i].origin_len == z->origin_len &&
            memcmp(c->zones[i].origin, z->origin, z->origin_len) == 0)
            return &c->zones[i];
    return NULL;
}

/* Whether zone (o) of the running file and (n) of the new one differ in
 * anything a reload applies. */
static bool zone_differs(const struct svc_zone *o, const struct svc_zone *n)
{
    bool keys = o->nallow_xfr == n->nallow_xfr && o->nprimary == n->nprimary &&
                o->nallow_update == n->nallow_update;

    for (size_t k = 0; keys && k < o->nallow_xfr; k++)
        keys = str_eq(o->allow_xfr_key[k], n->allow_xfr_key[k]);
    for (unsigned k = 0; keys && k < o->nprimary; k++)
        keys = str_eq(o->primary_key[k], n->primary_key[k]);
    for (unsigned k = 0; keys && k < o->nallow_update; k++)
        keys = str_eq(o->allow_update_key[k], n->allow_update_key[k]);
    for (size_t k = 0; keys && k < o->nnotify && k < n->nnotify; k++)
        keys = str_eq(o->notify_key ? o->notify_key[k] : NULL,
                      n->notify_key ? n->notify_key[k] : NULL);
    return !str_eq(o->file, n->file) || o->max_size != n->max_size ||
           o->max_records != n->max_records ||
           !addrs_eq(o->primary, o->nprimary, n->primary, n->nprimary) ||
           !addrs_eq(o->allow_xfr, o->nallow_xfr, n->allow_xfr,
                     n->nallow_xfr) ||
           !addrs_eq(o->notify, o->nnotify, n->notify, n->nnotify) || !keys ||
           o->ixfr_history != n->ixfr_history ||
           o->ixfr_history_size != n->ixfr_history_size ||
           o->refresh_min != n->refresh_min ||
           o->refresh_max != n->refresh_max || o->retry_min != n->retry_min ||
           o->retry_max != n->retry_max || o->expire_min != n->expire_min ||
           o->expire_max != n->expire_max ||
           o->journal_max_size != n->journal_max_size ||
           o->serial_policy != n->serial_policy ||
           o->catalog_role != n->catalog_role ||
           o->catalog_of != n->catalog_of || !str_eq(o->catalog, n->catalog) ||
           !str_eq(o->catalog_group, n->catalog_group);
}

/* Logs how the zones of (n) differ from (run)'s; returns how many do. */
static unsigned zones_diff(const struct svc_conf *run, const struct svc_conf *n,
                           const char *why)
{
    char what[300];
    unsigned d = 0;

    for (size_t i = 0; i < n->nzones; i++) {
        const struct svc_zone *z = &n->zones[i], *o = find_zone(run, z);
        if (o == NULL)
            snprintf(what, sizeof(what), "zone %s added (line %u)", z->name,
                     z->line);
        else if (zone_differs(o, z))
            snprintf(what, sizeof(what), "zone %s (line %u) changed", z->name,
                     z->line);
        else
            continue;
        d++;
        dnsd_log("%s: %s: applied", why, what);
    }
    for (size_t i = 0; i < run->nzones; i++)
        if (find_zone(n, &run->zones[i]) == NULL) {
            d++;
            dnsd_log("%s: zone %s removed: applied", why, run->zones[i].name);
        }
    if (run->nkeys != n->nkeys)
        d++;
    for (size_t i = 0; i < run->nkeys && i < n->nkeys; i++)
        if (!str_eq(run->keys[i].name, n->keys[i].name) ||
            run->keys[i].alg != n->keys[i].alg ||
            !str_eq(run->keys[i].secret_file, n->keys[i].secret_file))
            d++;
    if (d != 0 && (run->nkeys != 0 || n->nkeys != 0))
        dnsd_log("SIGHUP: service file: key: statements re-read: applied");
    return d;
}

/* ---- the swap ------------------------------------------------------- */

static pthread_t main_thread;
static bool main_set;

void dnsd_reconf_ready(void)
{
    main_thread = pthread_self();
    main_set = true;
}

void dnsd_reload_request(void)
{
    if (main_set)
        pthread_kill(main_thread, SIGUSR1);
}

static void cookie_free(struct dns_cookie *ck)
{
    if (ck == NULL)
        return;
    memset(ck, 0, sizeof(*ck)); /* secrets */
    free(ck);
}

/* The parts of a plane being built or replaced. */
struct part {
    struct svc_conf *c;
    struct dnsd_keys *keys;
    struct dns_cookie *cookie;
    struct dnsd_xfrin *xfrin;
    struct dnsd_updater *upd;
    struct dnsd_notifier *nt;
    struct dnsd_rt *rt;
    struct dnsd_zones *z;
    struct dnsd_signer *sig;
};

static void part_free(struct part *p, const struct svc_conf *boot)
{
    dnsd_xfrin_close(p->xfrin);
    dnsd_update_close(p->upd);
    dnsd_signer_close(p->sig);
    dnsd_notify_close(p->nt);
    dnsd_zones_free(p->z);
    dnsd_keys_free(p->keys);
    cookie_free(p->cookie);
    free(p->rt);
    if (p->c != NULL && p->c != boot) {
        svc_conf_free(p->c);
        free(p->c);
    }
}

/* The short way: the same zone list, every zone file reloaded. */
static int reload_zones(struct dnsd_plane *p, struct dnsd_server *srv)
{
    struct dnsd_zones *nz, *old;

    dnsd_signer_stop(p->sig); /* it publishes under the lock */
    pthread_mutex_lock(&dnsd_publish_lock); /* vs transfers in, updates */
    if (dnsd_zones_load(p->c, dnsd_server_current(srv), p->opts, &nz) != 0) {
        pthread_mutex_unlock(&dnsd_publish_lock);
        dnsd_signer_start(p->sig, srv);
        dnsd_log("reload failed; still serving the previous zones");
        return -1;
    }
    dnsd_signer_reload(&p->sig, p->c, p->opts, &nz); /* the signed zones */
    old = dnsd_server_publish(srv, nz);
    dnsd_zones_free(old); /* no worker can still be reading it */
    pthread_mutex_unlock(&dnsd_publish_lock);
    if (dnsd_signer_start(p->sig, srv) != 0)
        dnsd_log("reload: the signer thread did not restart");
    if (p->metrics != NULL)
        dnsd_metrics_zones(p->metrics, nz);
    return 0;
}

/* Builds the zone plane of (n->c) beside (p)'s; the threads of (p) are
 * stopped.  Returns 0 or a TB_E* (logged). */
static int build(struct dnsd_plane *p, struct dnsd_server *srv, struct part *n)
{
    struct dnsd_zones *view = NULL;
    struct dns_xfrin *const *sec;
    int rc;

    rc = dnsd_zones_remap(dnsd_server_current(srv), p->c, n->c, &view);
    if (rc == 0)
        rc = dnsd_zones_load(n->c, view, p->opts, &n->z);
    dnsd_zones_remap_free(view);
    if (rc != 0) {
        dnsd_log("zones: the new set cannot be built: %s", tb_strerror(rc));
        return rc;
    }
    rc = dnsd_update_open(&n->upd, n->c, p->opts, dnsd_keys_ring(n->keys),
                          &n->z);
    if (rc != 0) {
        dnsd_log("dynamic update zones failed to load");
        return rc;
    }
    /* Signed zones kept from (p) go on with their keys and versions. */
    if ((rc = dnsd_signer_open(&n->sig, n->c, p->opts, &n->z, p->sig)) != 0)
        return rc;
    if ((rc = dnsd_notify_open(&n->nt, n->c, dnsd_keys_ring(n->keys))) != 0)
        return rc;
    if ((n->rt = calloc(1, sizeof(*n->rt))) == NULL)
        return TB_ENOMEM;
    /* Last: it takes over (p)'s unchanged secondaries, which then belong
     * to (n); nothing after it may fail (a failed build restarts (p)). */
    if (dnsd_xfrin_reopen(&n->xfrin, n->c, p->opts, dnsd_keys_ring(n->keys),
                          &n->z, p->xfrin) != 0) {
        dnsd_log("secondary zones: out of memory");
        return TB_ENOMEM;
    }
    dnsd_xfrin_secondaries(n->xfrin, &sec, &n->rt->nsec);
    n->rt->sec = sec;
    n->rt->upd = n->upd;
    n->rt->keys = dnsd_keys_ring(n->keys);
    n->rt->cookie = n->cookie != NULL ? n->cookie : p->cookie;
    return 0;
}

/* Publishes (n) in place of (p)'s plane, which goes into (n) to be freed.
 * Under dnsd_publish_lock; the threads of both are stopped. */
static void swap(struct dnsd_plane *p, struct dnsd_server *srv, struct part *n)
{
    struct dnsd_zones *view = NULL, *old;
    struct dnsd_notifier *nt = n->nt;
    struct part was = {p->c,          p->keys, NULL, p->xfrin, p->upd,
                       dnsd_notifier, p->rt,   NULL, p->sig};

    /* The running set seen with the new zone list: what NOTIFY compares. */
    if (dnsd_zones_remap(dnsd_server_current(srv), p->c, n->c, &view) != 0)
        view = NULL;
    dnsd_notifier = NULL; /* publish() would compare by the old list */
    dnsd_status_reconf(n->c); /* publish() writes the status-file */
    dnsd_server_runtime(srv, n->rt);
    old = dnsd_server_publish(srv, n->z);
    if (nt != NULL)
        dnsd_notify_published(nt, view, n->z);
    dnsd_notifier = nt;
    dnsd_zones_remap_free(view);
    was.z = old;
    if (n->cookie != NULL) {
        was.cookie = p->cookie;
        p->cookie = n->cookie;
    }
    p->c = n->c;
    p->keys = n->keys;
    p->xfrin = n->xfrin;
    p->upd = n->upd;
    p->sig = n->sig;
    p->rt = n->rt;
    *n = was;
}

int dnsd_reconf(struct dnsd_plane *p, struct dnsd_server *srv, bool catalog)
{
    struct part n = {0};
    struct dns_diag d;
    char *text = NULL;
    size_t len = 0;
    unsigned nd;
    int rc;

    dnsd_diag_init(&d);
    if (catalog) {
        if ((text = malloc(p->len + 1)) != NULL)
            memcpy(text, p->text, p->len);
        len = p->len;
    } else if ((rc = dns_zonefile_read(p->boot->path, &text, &len)) != 0) {
        dnsd_log("SIGHUP: %s: cannot read: %s; the running configuration "
                 "is kept",
                 p->boot->path, tb_strerror(rc));
        return -1;
    }
    if (text == NULL || (n.c = calloc(1, sizeof(*n.c))) == NULL) {
        free(text);
        dnsd_log("reload: out of memory; the running configuration is kept");
        return -1;
    }
    svc_conf_init(n.c, &tb_heap);
    if (svc_parse(n.c, p->boot->path, text, len, &d) != 0) {
        dnsd_log("SIGHUP: %s: %u error%s; the running configuration is kept",
                 p->boot->path, d.errors, d.errors == 1 ? "" : "s");
        goto refused;
    }
    /* Members from the catalogs' kept copies (copies of former members
     * deleted), applied with the rest or dropped. */
    if ((rc = dnsd_catalog_expand(n.c)) != 0) {
        dnsd_log("catalog members could not be set up: %s; the running "
                 "configuration is kept",
                 tb_strerror(rc));
        goto refused;
    }
    ndiff = 0;
    if (!catalog) {
        service_diff(p->boot, n.c);
        dnsd_dot_reload(n.c); /* a failure keeps the one in use (logged) */
    }
    nd = zones_diff(p->c, n.c,
                    catalog ? "catalog members" : "SIGHUP: service file");
    if (catalog && nd == 0) {
        dnsd_catalog_commit(false);
        part_free(&n, p->boot);
        free(text);
        return 0;
    }
    if (dnsd_keys_load(n.c, &n.keys) != 0 ||
        dnsd_server_cookie(srv, n.c, &n.cookie) != 0) {
        dnsd_log("%s: keys or cookie secret not loaded; the running "
                 "configuration is kept",
                 p->boot->path);
        goto refused;
    }
    if (!catalog && nd == 0 && dnsd_keys_same(n.keys, p->keys) &&
        (n.cookie == NULL ||
         dns_cookie_same(n.cookie, p->cookie ? p->cookie
                                             : dnsd_server_cookie_boot(srv)))) {
        /* The same zones, keys and cookie secret: only the zone files
         * (the short way; secondaries and update zones untouched). */
        dnsd_catalog_commit(false);
        part_free(&n, p->boot);
        free(text);
        dnsd_log("SIGHUP: reloading %zu zone%s", p->c->nzones,
                 p->c->nzones == 1 ? "" : "s");
        if (reload_zones(p, srv) != 0)
            return -1;
        dnsd_log("reload done");
        return 0;
    }
    dnsd_log("%s: applying %zu zone%s", catalog ? "catalog" : "SIGHUP",
             n.c->nzones, n.c->nzones == 1 ? "" : "s");
    dnsd_xfrin_stop(p->xfrin);
    dnsd_update_stop(p->upd);
    dnsd_signer_stop(p->sig);
    rc = build(p, srv, &n);
    if (rc != 0) {
        if (dnsd_xfrin_start(p->xfrin, srv) != 0 ||
            dnsd_update_start(p->upd, srv) != 0 ||
            dnsd_signer_start(p->sig, srv) != 0)
            dnsd_log("reload: a thread of the running zones did not "
                     "restart");
        dnsd_log("reload failed; still serving the previous zones");
        goto refused;
    }
    dnsd_catalog_commit(true);
    pthread_mutex_lock(&dnsd_publish_lock);
    swap(p, srv, &n);
    pthread_mutex_unlock(&dnsd_publish_lock);
    free(p->text);
    p->text = text;
    p->len = len;
    text = NULL;
    part_free(&n, p->boot); /* the old plane: no worker holds it */
    if (dnsd_xfrin_start(p->xfrin, srv) != 0 ||
        dnsd_update_start(p->upd, srv) != 0 ||
        dnsd_signer_start(p->sig, srv) != 0 ||
        dnsd_notify_start(dnsd_notifier) != 0)
        dnsd_log("reload: a thread did not start (above)");
    if (p->metrics != NULL)
        dnsd_metrics_zones(p->metrics, dnsd_server_current(srv));
    dnsd_log("reload done");
    return 0;
refused:
    dnsd_catalog_commit(false);
    part_free(&n, p->boot);
    free(text);
    return -1;
}
