/*
 * metrics.c -- the service core's counters as Prometheus text exposition
 * format 0.0.4 (dns/metrics.h), the same on every driver:
 *
 *   driver: sum struct dns_srv_stats, list zones --> dns_metrics_text()
 *     [+ dns_metrics_res_text() of the resolver's counters]
 *     --> body of the HTTP response (http.c)
 *
 * Each family has its HELP and TYPE lines once, then its samples; every
 * counter is always written, zero or not.  Names follow Prometheus'
 * conventions: a tibra_dns_ prefix, _total on counters, base units
 * (seconds).  No I/O, no allocation: the caller's buffer, and the length
 * the whole text needs so that a driver can tell truncation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tibra/dns/metrics.h>

struct out {
    char *buf;
    size_t cap, len; /* len: what the text needs so far (may pass cap) */
};

static void put(struct out *o, const char *fmt, ...) TB_PRINTF(2, 3);
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    if (o->len < o->cap)
        n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    else
        n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

static void putc_(struct out *o, char ch)
{
    if (o->len + 1 < o->cap) {
        o->buf[o->len] = ch;
        o->buf[o->len + 1] = '\0';
    }
    o->len++;
}

/* A label value: backslash, double quote and newline escaped (0.0.4). */
static void put_label(struct out *o, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"') {
            putc_(o, '\\');
            putc_(o, *v);
        } else if (*v == '\n') {
            putc_(o, '\\');
            putc_(o, 'n');
        } else {
            putc_(o, *v);
        }
    }
}

static void family(struct out *o, const char *name, const char *type,
                   const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(struct out *o, const char *name, const char *label,
                   const char *value, uint64_t x)
{
    if (label != NULL) {
        put(o, "%s{%s=\"", name, label);
        put_label(o, value);
        put(o, "\"} %llu\n", (unsigned long long)x);
    } else {
        put(o, "%s %llu\n", name, (unsigned long long)x);
    }
}

size_t dns_metrics_text_max(size_t nz)
{
    /* The fixed part is ~3.5 KiB today; a zone costs two samples with
     * its name (escaping at most doubles it) and two numbers. */
    return 8192 + nz * (2 * (2 * DNS_NAME_TEXT_MAX + 64));
}

size_t dns_metrics_text(const struct dns_srv_stats *st,
                        const struct dns_metrics_zone *z, size_t nz, char *buf,
                        size_t cap)
{
    const struct dns_auth_stats *a = &st->auth;
    struct out o = {buf, cap, 0};
    const char *n;

    if (cap > 0)
        buf[0] = '\0';

    n = "tibra_dns_queries_total";
    family(&o, n, "counter", "DNS messages received, by transport.");
    sample(&o, n, "transport", "udp", st->udp);
    sample(&o, n, "transport", "tcp", st->tcp);

    n = "tibra_dns_query_types_total";
    family(&o, n, "counter",
           "Queries whose question parsed, by QTYPE (others: \"other\").");
    for (unsigned i = 0; i < DNS_QT_COUNT; i++)
        sample(&o, n, "type", dns_srv_qt_name(i), a->qtype[i]);

    n = "tibra_dns_responses_total";
    family(&o, n, "counter", "Responses made, by RCODE.");
    sample(&o, n, "rcode", "NOERROR", a->noerror);
    sample(&o, n, "rcode", "FORMERR", a->formerr);
    sample(&o, n, "rcode", "SERVFAIL", a->servfail);
    sample(&o, n, "rcode", "NXDOMAIN", a->nxdomain);
    sample(&o, n, "rcode", "NOTIMP", a->notimp);
    sample(&o, n, "rcode", "REFUSED", a->refused);

    n = "tibra_dns_responses_truncated_total";
    family(&o, n, "counter", "Responses sent with TC=1 (UDP size).");
    sample(&o, n, NULL, NULL, a->truncated);

    n = "tibra_dns_drops_total";
    family(&o, n, "counter", "Messages not answered, by reason.");
    sample(&o, n, "reason", "unanswerable", a->dropped);
    sample(&o, n, "reason", "udp_size", st->drop_udp_size);
    sample(&o, n, "reason", "tcp_length", st->drop_tcp_len);
    sample(&o, n, "reason", "rrl", st->rrl_drop);

    n = "tibra_dns_tcp_connections_total";
    family(&o, n, "counter",
           "TCP connections: accepted, refused (pool full, or the "
           "address's tcp-clients-per-address), closed idle or at "
           "tcp-max-queries.");
    sample(&o, n, "event", "accepted", st->tcp_open);
    sample(&o, n, "event", "refused", st->tcp_refused);
    sample(&o, n, "event", "refused_address", st->tcp_refused_addr);
    sample(&o, n, "event", "closed_idle", st->tcp_idle);
    sample(&o, n, "event", "closed_limit", st->tcp_limit);

    n = "tibra_dns_rrl_slipped_total";
    family(&o, n, "counter",
           "Responses over the RRL limit sent truncated (TC=1).");
    sample(&o, n, NULL, NULL, st->rrl_slip);

    n = "tibra_dns_cookie_queries_total";
    family(&o, n, "counter", "Queries with a COOKIE option (RFC 7873).");
    sample(&o, n, NULL, NULL, st->cookie);
    n = "tibra_dns_cookies_total";
    family(&o, n, "counter",
           "COOKIE options by outcome: new (client cookie only), valid, "
           "invalid, badcookie (answered BADCOOKIE), formerr (bad length).");
    sample(&o, n, "result", "new", st->cookie_new);
    sample(&o, n, "result", "valid", st->cookie_valid);
    sample(&o, n, "result", "invalid", st->cookie_invalid);
    sample(&o, n, "result", "badcookie", st->cookie_badcookie);
    sample(&o, n, "result", "formerr", st->cookie_formerr);

    n = "tibra_dns_xfr_total";
    family(&o, n, "counter",
           "Transfers out started: axfr (IXFR fallbacks included), ixfr "
           "(deltas), ixfr_current (the SOA alone).");
    sample(&o, n, "kind", "axfr", st->xfr_axfr);
    sample(&o, n, "kind", "ixfr", st->xfr_ixfr);
    sample(&o, n, "kind", "ixfr_current", st->xfr_current);
    n = "tibra_dns_xfr_denied_total";
    family(&o, n, "counter",
           "Transfers refused by allow-transfer, or with no records to send.");
    sample(&o, n, NULL, NULL, st->xfr_denied);
    n = "tibra_dns_xfr_cut_total";
    family(&o, n, "counter",
           "Transfers cut because a new zone set was published meanwhile.");
    sample(&o, n, NULL, NULL, st->xfr_cut);
    n = "tibra_dns_xfr_messages_total";
    family(&o, n, "counter", "Transfer messages produced.");
    sample(&o, n, NULL, NULL, st->xfr_msgs);

    if (nz > 0) {
        n = "tibra_dns_zone_serial";
        family(&o, n, "gauge", "SOA serial of the zone version served.");
        for (size_t i = 0; i < nz; i++)
            if (z[i].loaded)
                sample(&o, n, "zone", z[i].name, z[i].serial);
        n = "tibra_dns_zone_load_time_seconds";
        family(&o, n, "gauge", "Unix time the zone version served was loaded.");
        for (size_t i = 0; i < nz; i++)
            if (z[i].loaded && z[i].load_time > 0)
                sample(&o, n, "zone", z[i].name, (uint64_t)z[i].load_time);
    }
    return o.len;
}

/* One family with one unlabelled sample. */
static void single(struct out *o, const char *name, const char *type,
                   const char *help, uint64_t x)
{
    family(o, name, type, help);
    sample(o, name, NULL, NULL, x);
}

size_t dns_metrics_res_text(const struct dns_res_stats *st,
                            const struct dns_cache_stats *cs, char *buf,
                            size_t cap)
{
    struct out o = {buf, cap, 0};
    const char *n;

    if (cap > 0)
        buf[0] = '\0';
    single(&o, "tibra_resolver_queries_total", "counter",
           "Client queries to the resolver.", st->queries);
    single(&o, "tibra_resolver_refused_total", "counter",
           "Client queries REFUSED: the client is not in allow.",
           st->refused_acl);
    single(&o, "tibra_resolver_cache_hits_total", "counter",
           "Client queries answered from the cache at once.", st->cache_hits);
    single(&o, "tibra_resolver_cache_misses_total", "counter",
           "Client queries the cache could not answer.", st->cache_misses);
    single(&o, "tibra_resolver_resolutions_total", "counter",
           "Resolutions started.", st->tasks);
    single(&o, "tibra_resolver_busy_total", "counter",
           "Client queries answered SERVFAIL: no resolution free.", st->busy);
    single(&o, "tibra_resolver_servfail_total", "counter",
           "Resolutions that ended in SERVFAIL.", st->servfail);
    single(&o, "tibra_resolver_limit_total", "counter",
           "Resolutions stopped by a work limit.", st->limit);
    single(&o, "tibra_resolver_ratelimited_total", "counter",
           "Client queries dropped: the client was over ratelimit.",
           st->ratelimited);
    single(&o, "tibra_resolver_local_total", "counter",
           "Client queries answered from the service's own zones (local "
           "data).",
           st->local);
    single(&o, "tibra_resolver_stale_total", "counter",
           "Failed resolutions answered with stale data (serve-stale, "
           "RFC 8767).",
           st->stale);
    single(&o, "tibra_resolver_prefetch_total", "counter",
           "Refreshes of names near expiry started (prefetch).", st->prefetch);
    single(&o, "tibra_resolver_upstream_case_mismatch_total", "counter",
           "Replies rejected: the question not in the case sent (0x20).",
           st->case_mismatch);
    single(&o, "tibra_resolver_primes_total", "counter",
           "Root priming queries started (RFC 8109).", st->primes);
    single(&o, "tibra_resolver_inflight", "gauge", "Resolutions in progress.",
           st->inflight);
    n = "tibra_resolver_validation_total";
    family(&o, n, "counter",
           "Replies validated (DNSSEC), by outcome (RFC 4035 4.3).");
    sample(&o, n, "state", "secure", st->val_secure);
    sample(&o, n, "state", "insecure", st->val_insecure);
    sample(&o, n, "state", "bogus", st->val_bogus);
    sample(&o, n, "state", "indeterminate", st->val_indeterminate);
    n = "tibra_resolver_upstream_queries_total";
    family(&o, n, "counter", "Queries sent to other servers, by transport.");
    sample(&o, n, "transport", "udp", st->sent_udp);
    sample(&o, n, "transport", "tcp", st->sent_tcp);
    n = "tibra_resolver_upstream_replies_total";
    family(&o, n, "counter",
           "Replies from other servers: accepted, or rejected (wrong "
           "address, ID or question, malformed).");
    sample(&o, n, "result", "accepted", st->replies);
    sample(&o, n, "result", "rejected", st->rejected);
    single(&o, "tibra_resolver_upstream_timeouts_total", "counter",
           "Queries to other servers not answered in time.", st->timeouts);
    single(&o, "tibra_resolver_upstream_held_down_total", "counter",
           "Servers held down after timeouts in a row.", st->held_down);
    single(&o, "tibra_resolver_upstream_lame_total", "counter",
           "REFUSED, SERVFAIL, lame or unusable replies.", st->lame);
    single(&o, "tibra_resolver_out_of_bailiwick_total", "counter",
           "Records dropped from accepted replies (not believed).",
           st->out_of_bailiwick);
    single(&o, "tibra_resolver_cache_entries", "gauge",
           "Entries in the resolver's caches.", cs->entries);
    single(&o, "tibra_resolver_cache_bytes", "gauge",
           "Bytes of the caches' rings in use.", cs->bytes);
    n = "tibra_resolver_cache_events_total";
    family(&o, n, "counter",
           "Cache events: inserted, replaced, evicted (for room), "
           "expired_evicted (already expired), refused_rank (a weaker "
           "entry not stored over a stronger one).");
    sample(&o, n, "event", "inserted", cs->inserts);
    sample(&o, n, "event", "replaced", cs->replaced);
    sample(&o, n, "event", "evicted", cs->evicted);
    sample(&o, n, "event", "expired_evicted", cs->expired_evicted);
    sample(&o, n, "event", "refused_rank", cs->refused_rank);
    return o.len;
}
