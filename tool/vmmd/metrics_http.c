/*
 * metrics_http.c -- the daemon's side of --metrics (metrics_http.h):
 * accept, read into the responder, render stats_text() as the body,
 * write, close.  At most METRICS_CONN_MAX connections at once (more are
 * closed at accept), each done within DNS_HTTP_TIMEOUT_NS.
 */
#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <tibra/dns.h>
#include <tibra/dns/metrics.h>

#include "metrics_http.h"
#include "vmmd.h"

#define OUT_CAP (512u << 10)

static struct mconn {
    int fd;
    struct dns_http h;
    uint8_t *out;
} mc[METRICS_CONN_MAX];
static unsigned nmc;

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int metrics_listen(const char *spec)
{
    char host[128];
    const char *colon = strrchr(spec, ':');
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV},
                    *ai;
    size_t hl;
    int s, one = 1;

    if (colon == NULL || colon == spec ||
        (hl = (size_t)(colon - spec)) >= sizeof(host))
        errx(1, "--metrics %s: want ADDR:PORT ([ADDR]:PORT for IPv6)", spec);
    if (spec[0] == '[' && colon[-1] == ']') {
        memcpy(host, spec + 1, hl - 2);
        host[hl - 2] = 0;
    } else {
        memcpy(host, spec, hl);
        host[hl] = 0;
    }
    if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
        errx(1, "--metrics %s: want a numeric ADDR:PORT", spec);
    s = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        err(1, "socket");
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s, ai->ai_addr, ai->ai_addrlen) != 0 || listen(s, 16) != 0)
        err(1, "--metrics %s", spec);
    freeaddrinfo(ai);
    return s;
}

nfds_t metrics_pollfds(int mfd, struct pollfd *pf)
{
    nfds_t n = 0;

    if (mfd < 0)
        return 0;
    pf[n++] = (struct pollfd){mfd, POLLIN, 0};
    for (unsigned i = 0; i < nmc; i++) {
        const uint8_t *p;
        bool out = dns_http_output(&mc[i].h, &p) > 0;
        pf[n++] = (struct pollfd){mc[i].fd, (short)(out ? POLLOUT : POLLIN), 0};
    }
    return n;
}

static void step(struct mconn *c, short ev)
{
    uint8_t *p, *body;
    const uint8_t *o;
    size_t n, cap;
    ssize_t r;

    if (ev & (POLLIN | POLLHUP | POLLERR)) {
        while ((n = dns_http_rspace(&c->h, &p)) > 0) {
            r = recv(c->fd, p, n, MSG_DONTWAIT);
            if (r > 0) {
                dns_http_received(&c->h, (size_t)r);
                continue;
            }
            if (r == 0 || (errno != EAGAIN && errno != EINTR))
                dns_http_eof(&c->h);
            break;
        }
    }
    if (dns_http_want_body(&c->h, &body, &cap)) {
        struct sbuf s = {0};
        stats_text(NULL, &s);
        if (s.len <= cap)
            memcpy(body, s.s, s.len);
        dns_http_body(&c->h, s.len);
        sb_free(&s);
    }
    while ((n = dns_http_output(&c->h, &o)) > 0) {
        r = send(c->fd, o, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r <= 0) {
            if (r < 0 && (errno == EAGAIN || errno == EINTR))
                break;
            dns_http_expire(&c->h, UINT64_MAX); /* peer gone */
            break;
        }
        dns_http_sent(&c->h, (size_t)r);
    }
}

void metrics_serve(int mfd, const struct pollfd *pf)
{
    uint64_t now = now_ns();

    if (mfd < 0)
        return;
    for (unsigned i = 0; i < nmc; i++)
        step(&mc[i], pf[1 + i].revents);
    for (unsigned i = 0; i < nmc;) {
        dns_http_expire(&mc[i].h, now);
        if (!dns_http_done(&mc[i].h)) {
            i++;
            continue;
        }
        close(mc[i].fd);
        free(mc[i].out);
        mc[i] = mc[--nmc];
    }
    if (pf[0].revents & POLLIN) {
        int fd = accept4(mfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0 && nmc == METRICS_CONN_MAX) {
            close(fd);
        } else if (fd >= 0) {
            struct mconn *c = &mc[nmc++];
            c->fd = fd;
            c->out = xmalloc(OUT_CAP);
            dns_http_open(&c->h, c->out, OUT_CAP, now, DNS_HTTP_TIMEOUT_NS);
        }
    }
}
