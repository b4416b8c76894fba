/*
 * resolver.h -- tibra-dnsd's resolver driver (app/dnsd/resolver.c): one
 * thread that moves bytes and time for the resolver core in lib/dns
 * (include/tibra/dns/res.h) when the service file has a resolver:
 * statement.
 */
#ifndef DNSD_RESOLVER_H
#define DNSD_RESOLVER_H

#include <tibra/dns/res.h>
#include <tibra/svc.h>

struct dnsd_resolver;
struct dnsd_server;

/*
 * Reads the root hints (the resolver: root-hints file, else IANA's built
 * in), reserves the cache and the tasks, binds the resolver's UDP
 * listeners and starts its thread.  The zone set (srv) publishes is the
 * resolver's local data (answered first, dns_res_set_local), each
 * worker a reader of it (dnsd_server_reader).  Returns 0 with the driver
 * in (*out),
 * or non-zero after logging why (nothing is left running).
 */
int dnsd_resolver_start(const struct svc_conf *c, struct dnsd_server *srv,
                        struct dnsd_resolver **out);

/* Reads and parses the root hints as dnsd_resolver_start() would (for
 * tibra-dnsd -c).  Returns 0, or non-zero after logging why. */
int dnsd_resolver_check(const struct svc_conf *c);

/* The counters of every worker summed (snapshots at most 1 s old), for
 * the metrics thread. */
void dnsd_resolver_stats(struct dnsd_resolver *r, struct dns_res_stats *st,
                         struct dns_cache_stats *cs);

/* Makes (m)'s /metrics include the counters of resolver (r) (NULL: none
 * any more; MUST be called before dnsd_resolver_stop()).  Takes effect
 * between two requests. */
struct dnsd_metrics;
void dnsd_metrics_resolver(struct dnsd_metrics *m, struct dnsd_resolver *r);

/* Stops the thread, logs the counters, frees everything; (r) MAY be NULL. */
void dnsd_resolver_stop(struct dnsd_resolver *r);

#endif /* DNSD_RESOLVER_H */
