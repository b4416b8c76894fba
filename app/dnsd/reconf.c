/*
 * reconf.c -- SIGHUP re-reads the service file and says what changed.
 *
 * Today every running part of tibra-dnsd (the zone sets, the secondaries'
 * state machines, the notifier, the metrics, the status file, the key
 * set the workers read) holds the service file's zone list as it was at
 * start-up, so nothing of a changed service file is applied yet: this
 * file checks the new text (a bad one is reported FILE:LINE and changes
 * nothing: the server keeps serving) and logs every difference from the
 * running configuration, each with "restart to apply".  What a reload
 * will apply at run time (zones added, removed or changed, keys,
 * allow-transfer, notify) and what will always need a restart (listen
 * addresses, workers, socket limits, RRL tables, the resolver) is set out
 * in docs/tibra-dnsd.md, SIGNALS.  Main thread, cold path.
 */
#include <stdio.h>
#include <string.h>

#include "dnsd.h"

static unsigned ndiff;

static void say(const char *what, const char *kind)
{
    ndiff++;
    dnsd_log("SIGHUP: service file: %s: %s", what, kind);
}

#define RESTART                                                                \
    "needs a restart (listen addresses, workers and limits are "               \
    "set up once)"
#define NOT_YET                                                                \
    "not applied: restart to apply (a service-file reload is "                 \
    "not done yet)"

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
    if (o->cookies != n->cookies || o->cookies_require != n->cookies_require ||
        !str_eq(o->cookie_secret_file, n->cookie_secret_file))
        say("cookies, cookies-require or cookie-secret-file changed", RESTART);
    if (!addrs_eq(&o->metrics, 1, &n->metrics, 1))
        say("metrics changed", RESTART);
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

static void zone_diff(const struct svc_zone *o, const struct svc_zone *n)
{
    char what[300];
    bool keys = o->nallow_xfr == n->nallow_xfr && o->nprimary == n->nprimary;

    for (size_t k = 0; keys && k < o->nallow_xfr; k++)
        keys = str_eq(o->allow_xfr_key[k], n->allow_xfr_key[k]);
    for (unsigned k = 0; keys && k < o->nprimary; k++)
        keys = str_eq(o->primary_key[k], n->primary_key[k]);
    if (!str_eq(o->file, n->file) || o->max_size != n->max_size ||
        o->max_records != n->max_records ||
        !addrs_eq(o->primary, o->nprimary, n->primary, n->nprimary) ||
        !addrs_eq(o->allow_xfr, o->nallow_xfr, n->allow_xfr, n->nallow_xfr) ||
        !addrs_eq(o->notify, o->nnotify, n->notify, n->nnotify) || !keys ||
        o->ixfr_history != n->ixfr_history ||
        o->ixfr_history_size != n->ixfr_history_size ||
        o->refresh_min != n->refresh_min || o->refresh_max != n->refresh_max ||
        o->retry_min != n->retry_min || o->retry_max != n->retry_max ||
        o->expire_min != n->expire_min || o->expire_max != n->expire_max ||
        o->catalog_role != n->catalog_role || !str_eq(o->catalog, n->catalog) ||
        !str_eq(o->catalog_group, n->catalog_group)) {
        snprintf(what, sizeof(what), "zone %s (line %u) changed", n->name,
                 n->line);
        say(what, NOT_YET);
    }
}

int dnsd_reconf_check(const struct svc_conf *run, const char *path)
{
    struct svc_conf n;
    struct dns_diag d;
    char what[300];

    ndiff = 0;
    dnsd_diag_init(&d);
    svc_conf_init(&n, &tb_heap);
    if (svc_load_file(&n, path, &d) != 0) {
        dnsd_log("SIGHUP: %s: %u error%s; the running configuration is kept",
                 path, d.errors, d.errors == 1 ? "" : "s");
        svc_conf_free(&n);
        return -1;
    }
    service_diff(run, &n);
    for (size_t i = 0; i < n.nzones; i++) {
        const struct svc_zone *o = find_zone(run, &n.zones[i]);
        if (o != NULL) {
            zone_diff(o, &n.zones[i]);
            continue;
        }
        snprintf(what, sizeof(what), "zone %s added (line %u)", n.zones[i].name,
                 n.zones[i].line);
        say(what, NOT_YET);
    }
    for (size_t i = 0; i < run->nzones; i++)
        if (find_zone(&n, &run->zones[i]) == NULL) {
            snprintf(what, sizeof(what), "zone %s removed", run->zones[i].name);
            say(what, NOT_YET);
        }
    if (run->nkeys != n.nkeys)
        say("key: statements changed", NOT_YET);
    for (size_t i = 0; i < run->nkeys && i < n.nkeys; i++)
        if (!str_eq(run->keys[i].name, n.keys[i].name) ||
            run->keys[i].alg != n.keys[i].alg ||
            !str_eq(run->keys[i].secret_file, n.keys[i].secret_file)) {
            snprintf(what, sizeof(what), "key %s changed", n.keys[i].name);
            say(what, NOT_YET);
        }
    svc_conf_free(&n);
    return (int)ndiff;
}
