/*
 * metrics.c -- tibra-dnsd's metrics port: one thread, one TCP listener on
 * the service's `metrics ADDR@PORT`, a few connections, each driven
 * through lib/dns's HTTP responder (struct dns_http), which answers
 * GET /metrics with dns_metrics_text() of the workers' counters.
 *
 *   accept -> read -> dns_http_received -> want body? ->
 *     dnsd_server_stats + zones -> dns_metrics_text -> dns_http_body ->
 *   write dns_http_output -> close when dns_http_done (or at its deadline)
 *
 * It never touches a worker: the workers copy their counters under a
 * lock once per loop turn (server.c), and the main thread hands over the
 * zones' serials after each publish (dnsd_metrics_zones).  Nothing here
 * is on the query path; it allocates freely (cold path).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <tibra/dns/metrics.h>

#include "dnsd.h"
#include "resolver.h"

#define CONNS    8 /* scrapes at once; more wait in the backlog */
#define EV_LFD   (CONNS + 0)
#define EV_STOPF (CONNS + 1)

struct mconn {
    int fd; /* -1: free */
    uint32_t events;
    struct dns_http h;
    uint8_t *out;
    size_t ocap;
};

struct dnsd_metrics {
    struct dnsd_server *srv;
    int lfd, ep, stopfd;
    bool listening; /* lfd is in (ep): off while every slot is busy */
    pthread_t thread;
    bool started;
    char where[SVC_ADDR_TEXT_MAX + 8]; /* HOST:PORT, as in a URL */
    struct mconn c[CONNS];
    pthread_mutex_t zlock; /* zones, nz, res */
    struct dnsd_resolver *res; /* its counters too; NULL: none */
    struct dns_metrics_zone *zones;
    char *names; /* zones[i].name point here */
    size_t nz;
};

int dnsd_metrics_open(struct dnsd_metrics **out, const struct svc_conf *c,
                      struct dnsd_server *srv)
{
    struct dnsd_metrics *m = calloc(1, sizeof(*m));
    struct sockaddr_storage ss;
    socklen_t sl;
    int one = 1;

    if (m == NULL)
        return TB_ENOMEM;
    m->srv = srv;
    m->ep = m->stopfd = -1;
    pthread_mutex_init(&m->zlock, NULL);
    for (int i = 0; i < CONNS; i++)
        m->c[i].fd = -1;
    char host[SVC_ADDR_TEXT_MAX];
    svc_addr_to_text(&c->metrics, false, host, sizeof(host));
    snprintf(m->where, sizeof(m->where),
             c->metrics.family == 6 ? "[%s]:%u" : "%s:%u", host,
             c->metrics.port);
    memset(&ss, 0, sizeof(ss));
    if (c->metrics.family == 4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(c->metrics.port);
        memcpy(&s4->sin_addr, c->metrics.addr, 4);
        sl = sizeof(*s4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(c->metrics.port);
        memcpy(&s6->sin6_addr, c->metrics.addr, 16);
        sl = sizeof(*s6);
    }
    m->lfd =
        socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m->lfd < 0 ||
        setsockopt(m->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        (ss.ss_family == AF_INET6 &&
         setsockopt(m->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
        bind(m->lfd, (struct sockaddr *)&ss, sl) != 0 ||
        listen(m->lfd, 16) != 0) {
        dnsd_log("cannot serve metrics on %s: %s", m->where, strerror(errno));
        goto fail;
    }
    m->ep = epoll_create1(EPOLL_CLOEXEC);
    m->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event le = {.events = EPOLLIN, .data.u32 = EV_LFD};
    struct epoll_event se = {.events = EPOLLIN, .data.u32 = EV_STOPF};
    if (m->ep < 0 || m->stopfd < 0 ||
        epoll_ctl(m->ep, EPOLL_CTL_ADD, m->lfd, &le) != 0 ||
        epoll_ctl(m->ep, EPOLL_CTL_ADD, m->stopfd, &se) != 0) {
        dnsd_log("metrics: %s", strerror(errno));
        goto fail;
    }
    m->listening = true;
    *out = m;
    return 0;
fail:
    dnsd_metrics_stop(m);
    return TB_EIO;
}

void dnsd_metrics_zones(struct dnsd_metrics *m, const struct dnsd_zones *z)
{
    struct dns_metrics_zone *zones = calloc(z->n + 1, sizeof(*zones));
    char *names = malloc((z->n + 1) * DNS_NAME_TEXT_MAX);
    size_t nz = 0;

    if (zones == NULL || names == NULL) {
        dnsd_log("metrics: out of memory; zone gauges not updated");
        free(zones);
        free(names);
        return;
    }
    for (size_t i = 0; i < z->n; i++) {
        const struct dnsd_blob *b = z->blob[i];
        const uint8_t *origin;
        char *name = names + nz * DNS_NAME_TEXT_MAX;

        if (b == NULL || dns_zone_open(b->data, b->len, &origin, NULL) != 0 ||
            dns_name_to_text(origin, name, DNS_NAME_TEXT_MAX) < 0)
            continue; /* not served: no gauge */
        zones[nz].name = name;
        zones[nz].serial = b->serial;
        zones[nz].loaded = true;
        zones[nz].load_time = b->loaded;
        nz++;
    }
    pthread_mutex_lock(&m->zlock);
    free(m->zones);
    free(m->names);
    m->zones = zones;
    m->names = names;
    m->nz = nz;
    pthread_mutex_unlock(&m->zlock);
}

void dnsd_metrics_resolver(struct dnsd_metrics *m, struct dnsd_resolver *r)
{
    pthread_mutex_lock(&m->zlock);
    m->res = r;
    pthread_mutex_unlock(&m->zlock);
}

/* Renders the body into the span (h) names. */
static void render(struct dnsd_metrics *m, struct mconn *x)
{
    struct dns_srv_stats st;
    uint8_t *p;
    size_t cap, len;

    if (!dns_http_want_body(&x->h, &p, &cap))
        return;
    dnsd_server_stats(m->srv, &st);
    pthread_mutex_lock(&m->zlock);
    len = dns_metrics_text(&st, m->zones, m->nz, (char *)p, cap);
    if (m->res != NULL && len < cap) { /* the resolver's after them */
        struct dns_res_stats rs;
        struct dns_cache_stats cs;
        dnsd_resolver_stats(m->res, &rs, &cs);
        len += dns_metrics_res_text(&rs, &cs, (char *)p + len, cap - len);
    }
    pthread_mutex_unlock(&m->zlock);
    /* A text that filled the span was cut (its NUL took the last byte). */
    dns_http_body(&x->h, len < cap ? len : SIZE_MAX);
}

/* Listener readiness on or off: while every slot is busy it is off, or
 * a level-triggered listener with a connection waiting would wake the
 * loop at once, for ever. */
static void listen_interest(struct dnsd_metrics *m, bool on)
{
    struct epoll_event le = {.events = on ? EPOLLIN : 0, .data.u32 = EV_LFD};

    if (on != m->listening && epoll_ctl(m->ep, EPOLL_CTL_MOD, m->lfd, &le) == 0)
        m->listening = on;
}

static void conn_close(struct dnsd_metrics *m, struct mconn *x)
{
    close(x->fd);
    x->fd = -1;
    free(x->out);
    x->out = NULL;
    listen_interest(m, true);
}

static void conn_run(struct dnsd_metrics *m, struct mconn *x)
{
    for (int round = 0; round < 16; round++) {
        bool progress = false;
        uint8_t *p;
        const uint8_t *o;
        size_t n;

        if ((n = dns_http_rspace(&x->h, &p)) > 0) {
            ssize_t r = read(x->fd, p, n);
            if (r > 0) {
                dns_http_received(&x->h, (size_t)r);
                progress = true;
            } else if (r == 0) {
                dns_http_eof(&x->h);
                progress = true;
            } else if (errno != EAGAIN && errno != EINTR) {
                conn_close(m, x);
                return;
            }
        }
        render(m, x);
        while ((n = dns_http_output(&x->h, &o)) > 0) {
            ssize_t w = send(x->fd, o, n, MSG_NOSIGNAL);
            if (w < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            if (w <= 0) {
                conn_close(m, x);
                return;
            }
            dns_http_sent(&x->h, (size_t)w);
            progress = true;
        }
        if (dns_http_done(&x->h)) {
            conn_close(m, x);
            return;
        }
        if (!progress)
            break;
    }
    uint32_t ev = dns_http_output(&x->h, &(const uint8_t *){NULL}) > 0
                      ? EPOLLOUT
                      : EPOLLIN;
    if (ev != x->events) {
        struct epoll_event e = {.events = ev, .data.u32 = (uint32_t)(x - m->c)};
        epoll_ctl(m->ep, EPOLL_CTL_MOD, x->fd, &e);
        x->events = ev;
    }
}

static void accept_some(struct dnsd_metrics *m)
{
    for (int i = 0; i < CONNS; i++) {
        struct mconn *x = &m->c[i];
        if (x->fd >= 0)
            continue;
        int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        pthread_mutex_lock(&m->zlock);
        x->ocap = DNS_HTTP_HEAD_ROOM + dns_metrics_text_max(m->nz) +
                  DNS_METRICS_RES_TEXT_MAX;
        pthread_mutex_unlock(&m->zlock);
        x->out = malloc(x->ocap);
        struct epoll_event e = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (x->out == NULL || epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &e) != 0) {
            free(x->out);
            x->out = NULL;
            close(fd);
            continue;
        }
        x->fd = fd;
        x->events = EPOLLIN;
        dns_http_open(&x->h, x->out, x->ocap, dnsd_mono_ns(),
                      DNS_HTTP_TIMEOUT_NS);
        conn_run(m, x);
    }
    /* Every slot busy: the rest wait in the backlog until one is free. */
    for (int i = 0; i < CONNS; i++)
        if (m->c[i].fd < 0)
            return;
    listen_interest(m, false);
}

static void *metrics_main(void *arg)
{
    struct dnsd_metrics *m = arg;
    struct epoll_event ev[CONNS + 2];

    for (;;) {
        uint64_t now = dnsd_mono_ns(), next = UINT64_MAX;
        for (int i = 0; i < CONNS; i++) {
            if (m->c[i].fd < 0)
                continue;
            if (dns_http_expire(&m->c[i].h, now))
                conn_close(m, &m->c[i]);
            else
                next = TB_MIN(next, dns_http_deadline(&m->c[i].h));
        }
        int timeout = next == UINT64_MAX ? -1
                      : next <= now      ? 0
                                         : (int)((next - now) / 1000000 + 1);
        int n = epoll_wait(m->ep, ev, CONNS + 2, timeout);
        for (int i = 0; i < n; i++) {
            uint32_t k = ev[i].data.u32;
            if (k == EV_STOPF)
                return NULL;
            if (k == EV_LFD)
                accept_some(m);
            else if (k < CONNS && m->c[k].fd >= 0)
                conn_run(m, &m->c[k]);
        }
    }
}

int dnsd_metrics_start(struct dnsd_metrics *m)
{
    int e = pthread_create(&m->thread, NULL, metrics_main, m);
    if (e != 0) {
        dnsd_log("metrics: cannot start its thread: %s", strerror(e));
        return TB_EIO;
    }
    m->started = true;
    dnsd_log("metrics on http://%s/metrics", m->where);
    return 0;
}

void dnsd_metrics_stop(struct dnsd_metrics *m)
{
    if (m == NULL)
        return;
    if (m->started) {
        uint64_t one = 1;
        if (write(m->stopfd, &one, sizeof(one)) != sizeof(one))
            dnsd_log("metrics: cannot stop its thread: %s", strerror(errno));
        pthread_join(m->thread, NULL);
    }
    for (int i = 0; i < CONNS; i++)
        if (m->c[i].fd >= 0)
            conn_close(m, &m->c[i]);
    if (m->lfd >= 0)
        close(m->lfd);
    if (m->ep >= 0)
        close(m->ep);
    if (m->stopfd >= 0)
        close(m->stopfd);
    free(m->zones);
    free(m->names);
    pthread_mutex_destroy(&m->zlock);
    free(m);
}
