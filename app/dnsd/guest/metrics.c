/*
 * metrics.c -- the DNS unikernel's metrics port: a TCP listener on
 * --metrics=ADDR@PORT in the same stack as DNS, a couple of connections,
 * each driven through lib/dns's HTTP responder (struct dns_http), whose
 * GET /metrics body is dns_metrics_text() of the service core's counters
 * and, with a resolver, dns_metrics_res_text() of its counters
 * (resolve.c) -- the same text tibra-dnsd serves.
 *
 *   serve.c handle() -> dnsg_metrics_handle(): listener -> accept;
 *     connection -> read -> dns_http_received -> want body? ->
 *     dns_metrics_text(g->srv.st, zones) -> dns_http_body ->
 *     tb_tcp_write(dns_http_output) -> close when dns_http_done
 *   serve.c's wait also ends at dnsg_metrics_expire()'s deadline.
 *
 * Memory is taken once at boot (dnsg_metrics_init): the zone gauges'
 * names from the bundle's blobs, and per connection a response buffer
 * sized by rendering the text once with every counter at its widest, so
 * a scrape can never be cut short.  One thread, so the counters read are
 * exact.  The load time of every zone is the boot's wall-clock time: the
 * zones are in the image and are loaded when it boots.
 */
#include <stdio.h>
#include <string.h>

#include <tibra/bundle.h>
#include <tibra/dns/metrics.h>

#include "dnsg.h"

#define MCONNS 2 /* scrapes at once; more are refused (closed) */

struct mconn {
    int ep; /* -1: free */
    struct dns_http h;
    uint8_t *out;
};

static struct {
    bool on;
    int lep;
    struct mconn c[MCONNS];
    size_t ocap;
    struct dns_metrics_zone *zones;
    size_t nz;
} m = {.lep = -1};

int dnsg_metrics_init(const struct dnsg_conf *c, const struct tb_bundle *b,
                      int64_t boot_s, const struct tb_alloc *a)
{
    struct dns_srv_stats widest;
    size_t len;

    if (!c->has_metrics)
        return 0;
    m.zones = b->nzones ? tb_alloc(a, b->nzones * sizeof(*m.zones)) : NULL;
    if (b->nzones && m.zones == NULL)
        return TB_ENOMEM;
    for (uint32_t i = 0; i < b->nzones; i++) {
        const uint8_t *blob, *origin;
        char name[DNS_NAME_TEXT_MAX], *copy;
        uint32_t serial;
        size_t blen;
        int n;

        tb_bundle_zone(b, i, &blob, &blen);
        if (dns_zone_open(blob, blen, &origin, &serial) != 0 ||
            (n = dns_name_to_text(origin, name, sizeof(name))) < 0)
            continue; /* the zone set refuses it too */
        if ((copy = tb_alloc(a, (size_t)n + 1)) == NULL)
            return TB_ENOMEM;
        memcpy(copy, name, (size_t)n + 1);
        m.zones[m.nz].name = copy;
        m.zones[m.nz].serial = serial;
        m.zones[m.nz].loaded = true;
        m.zones[m.nz].load_time = boot_s;
        m.nz++;
    }
    /* The longest the text can be: every counter at its widest. */
    memset(&widest, 0xff, sizeof(widest));
    len = dns_metrics_text(&widest, m.zones, m.nz, NULL, 0);
    if (c->nres_listen > 0) /* the resolver's counters follow */
        len += DNS_METRICS_RES_TEXT_MAX;
    m.ocap = DNS_HTTP_HEAD_ROOM + len + 1;
    for (int i = 0; i < MCONNS; i++) {
        m.c[i].ep = -1;
        if ((m.c[i].out = tb_alloc(a, m.ocap)) == NULL)
            return TB_ENOMEM;
    }
    m.on = true;
    return 0;
}

int dnsg_metrics_listen(struct dnsg *g, const struct dnsg_conf *c, char *err,
                        size_t cap)
{
    int rc;

    if (!m.on)
        return 0;
    char a[TB_INET6_TEXT_MAX];
    if (c->metrics.af == TB_AF_INET6)
        tb_inet_ntop6(c->metrics.ip, a, sizeof(a));
    else
        snprintf(a, sizeof(a), "%u.%u.%u.%u", c->metrics.ip[0],
                 c->metrics.ip[1], c->metrics.ip[2], c->metrics.ip[3]);
    rc = tb_tcp_listen(g->s, &c->metrics, 16, &m.lep);
    if (rc != 0)
        snprintf(err, cap, "cannot serve metrics on %s port %u: %s", a,
                 c->metrics.port, tb_strerror(rc));
    else
        dnsg_say(c->metrics.af == TB_AF_INET6
                     ? "dnsd: metrics on http://[%s]:%u/metrics"
                     : "dnsd: metrics on http://%s:%u/metrics",
                 a, c->metrics.port);
    return rc;
}

static void conn_close(struct dnsg *g, struct mconn *x)
{
    tb_tcp_close(g->s, x->ep);
    x->ep = -1;
}

static void conn_run(struct dnsg *g, struct mconn *x)
{
    for (int round = 0; round < 16; round++) {
        bool progress = false;
        const uint8_t *o;
        uint8_t *p;
        size_t n, cap;

        if ((n = dns_http_rspace(&x->h, &p)) > 0) {
            int r = tb_tcp_read(g->s, x->ep, p, n);
            if (r > 0) {
                dns_http_received(&x->h, (size_t)r);
                progress = true;
            } else if (r == 0) {
                dns_http_eof(&x->h);
                progress = true;
            } else if (r != TB_EAGAIN) {
                conn_close(g, x);
                return;
            }
        }
        if (dns_http_want_body(&x->h, &p, &cap)) {
            size_t len =
                dns_metrics_text(&g->srv.st, m.zones, m.nz, (char *)p, cap);
            if (len < cap) /* the resolver's (tibra_resolver_*), if any */
                len += dnsg_res_metrics(g, (char *)p + len, cap - len);
            dns_http_body(&x->h, len < cap ? len : SIZE_MAX);
        }
        while ((n = dns_http_output(&x->h, &o)) > 0) {
            int w = tb_tcp_write(g->s, x->ep, o, n);
            if (w == TB_EAGAIN)
                break;
            if (w < 0) {
                conn_close(g, x);
                return;
            }
            dns_http_sent(&x->h, (size_t)w);
            progress = true;
        }
        if (dns_http_done(&x->h)) {
            conn_close(g, x);
            return;
        }
        if (!progress)
            break;
    }
    const uint8_t *o;
    tb_stack_interest(
        g->s, x->ep, dns_http_output(&x->h, &o) > 0 ? TB_EV_WRITE : TB_EV_READ);
}

static void accept_all(struct dnsg *g, uint64_t now)
{
    int ep;

    for (int k = 0; k < 16 && tb_tcp_accept(g->s, m.lep, &ep, NULL) == 0; k++) {
        struct mconn *x = NULL;
        for (int i = 0; i < MCONNS && x == NULL; i++)
            if (m.c[i].ep < 0)
                x = &m.c[i];
        if (x == NULL) {
            tb_tcp_close(g->s, ep); /* busy: the scraper retries */
            continue;
        }
        x->ep = ep;
        dns_http_open(&x->h, x->out, m.ocap, now, DNS_HTTP_TIMEOUT_NS);
        conn_run(g, x);
    }
}

bool dnsg_metrics_handle(struct dnsg *g, const struct tb_event *e, uint64_t now)
{
    if (!m.on)
        return false;
    if (e->ep == m.lep) {
        accept_all(g, now);
        return true;
    }
    for (int i = 0; i < MCONNS; i++)
        if (m.c[i].ep >= 0 && m.c[i].ep == e->ep) {
            conn_run(g, &m.c[i]);
            return true;
        }
    return false;
}

uint64_t dnsg_metrics_expire(struct dnsg *g, uint64_t now)
{
    uint64_t next = UINT64_MAX;

    for (int i = 0; m.on && i < MCONNS; i++) {
        struct mconn *x = &m.c[i];
        if (x->ep < 0)
            continue;
        if (dns_http_expire(&x->h, now))
            conn_close(g, x);
        else
            next = TB_MIN(next, dns_http_deadline(&x->h));
    }
    return next;
}
