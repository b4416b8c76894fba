/*
 * resolver.c -- tibra-dnsd's driver for the resolver core (lib/dns/res*.c,
 * include/tibra/dns/res.h): worker threads, each with an epoll set,
 * moving bytes and time and nothing else.
 *
 *   client datagram -> dns_res_query -> answered: sendto
 *   client TCP -> struct dns_res_conn (framing, pipelining, limits) ->
 *                 dns_res_query -> the same
 *                                   \-> task: dns_res_task_next -> SEND:
 *                                       a fresh socket per query (UDP
 *                                       connected to the server, so the
 *                                       kernel picks a random source port
 *                                       and drops other senders; TCP when
 *                                       the core asks) -> reply ->
 *                                       dns_res_task_input | deadline ->
 *                                       dns_res_task_timeout -> ... DONE:
 *                                       the response to the client
 *
 * Every DNS decision is the core's: matching, what is believed, retries,
 * limits, the cache.  Query IDs come from getrandom() through the core's
 * random callback.  The service's zones are the core's local data: each
 * worker reads the set server.c publishes (a reader of it, online
 * between two epoll_waits) and hands it to its core (dns_res_set_local).
 *
 * DNS over TLS (resolver: tls-listen, RFC 7858): the same client
 * connections with a TLS session (lib/dns/tls.c) between the socket and
 * the same struct dns_res_conn (dns_tls_pump_res moves the plaintext).
 * forward-tls: a query the core sends with DNS_RES_TLS goes out as over
 * TCP, with a TLS client session (the server's certificate checked
 * against tls-ca for the name given with its address) in the slot.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <tibra/dns/res.h>
#include <tibra/dns/srv.h>
#include <tibra/zonefile.h>
#include "dnsd.h"
#include "dot.h"
#include "resolver.h"

#define TCP_BUF      (2 + DNS_MSG_MAXLEN)
#define WORKERS_MAX  64
#define K_LISTEN     1u
#define K_SLOT       2u
#define K_STOP       3u
#define K_ACCEPT     4u
#define K_CONN       5u
#define CONNS_MAX    32 /* client TCP connections per worker */
#define CONN_IDLE_NS (10 * 1000000000ull) /* RFC 7766 6.2.3 */
#define EV_KEY(k, i) ((uint64_t)(k) << 32 | (uint32_t)(i))
#define SNAP_NS      (100 * 1000000ull) /* counter snapshots, at most */

/* A slot's TLS client session and its records (forward-tls). */
#define UP_SIZE ((sizeof(struct dns_tls) + DNS_TLS_IOBUF + 7) & ~(size_t)7)

/* Where a connection's TLS session starts in its memory (8-byte aligned). */
#define TLS_OFF ((DNS_RES_CONN_RBUF + DNS_RES_CONN_WBUF + 7) & ~(size_t)7)

struct slot {
    struct dns_res_task *t; /* NULL: free */
    int fd; /* the outbound query's socket, -1 if none */
    int cfd; /* the listener the client asked on (UDP) */
    int conn; /* or the TCP connection (index), -1 for UDP */
    uint32_t gen; /* the connection's generation when asked */
    struct sockaddr_storage peer;
    socklen_t plen;
    uint8_t transport;
    bool connecting; /* TCP: connect() in progress */
    uint64_t deadline;
    uint8_t q[2 + DNS_UDP_MINLEN]; /* TCP: the framed query */
    size_t qlen, qsent;
    uint8_t *tbuf; /* TCP: the framed reply (TCP_BUF bytes) */
    size_t tlen;
    struct dns_tls *tls; /* forward-tls: the session, in (tls_area) */
    uint8_t *tlsbuf;
    bool qput; /* TLS: the query was given to the session */
};

/* A forward-tls server and the name its certificate must carry. */
struct dot_up {
    struct tb_addr addr;
    char name[256];
};

/* A client's TCP connection: the socket and the lib/dns session. */
struct conn {
    int fd; /* -1: free */
    uint32_t gen; /* bumped at each close: late answers are dropped */
    bool dirty; /* answers were added: service it */
    struct dns_res_conn s;
    bool tls; /* from a tls-listen address: (tlss) in use */
    bool eof; /* TLS: the socket's EOF was seen */
    struct dns_tls *tlss; /* in the connection's memory (tls-listen) */
    uint8_t *tlsbuf;
};

struct worker {
    pthread_t th;
    struct dnsd_server *srv; /* the zone set: local data (reader rid) */
    int rid;
    const struct worker *first; /* worker 0 logs for all */
    int ep, evfd;
    int lfd[SVC_LISTEN_MAX];
    size_t nl;
    struct dns_cache *cache;
    struct dns_res *res;
    struct dns_rrl rl; /* resolver: ratelimit, this worker's table */
    bool rl_on;
    bool validating; /* DNSSEC: the wall clock is given again each second */
    unsigned nslots, nactive; /* slots, slots with a task */
    struct slot *slots;
    uint8_t *tcp_area; /* nslots * TCP_BUF, MAP_NORESERVE */
    struct conn conns[CONNS_MAX];
    unsigned nconns;
    uint8_t *conn_area; /* CONNS_MAX * (RBUF + WBUF), MAP_NORESERVE */
    const int *tcp_listen; /* the resolver's TCP listeners (shared): */
    size_t ntcp; /* listen's [0, nplain), then tls-listen's */
    size_t nplain;
    const struct dns_tls_cred *cred; /* tls-certificate and tls-key */
    const struct dot_up *up; /* forward-tls servers [nup] (shared) */
    size_t nup;
    const struct dns_tls_trust *trust; /* tls-ca */
    uint8_t *tls_area; /* nslots TLS client sessions, with nup only */
    size_t conn_size; /* bytes of a connection's buffers */
    uint8_t buf[DNS_MSG_MAXLEN + 1];
    uint8_t out[DNS_MSG_MAXLEN];
    uint32_t rnd[64];
    unsigned rnd_left;
    /* counters for the metrics thread, copied at most every SNAP_NS */
    pthread_mutex_t snap_lock;
    struct dns_res_stats snap;
    struct dns_cache_stats csnap;
    uint64_t snap_at;
};

static uint32_t random32(void *ctx)
{
    struct worker *r = ctx;

    if (r->rnd_left == 0) {
        if (getrandom(r->rnd, sizeof(r->rnd), 0) != (ssize_t)sizeof(r->rnd))
            abort(); /* no entropy: never send guessable IDs */
        r->rnd_left = TB_ARRAY_SIZE(r->rnd);
    }
    return r->rnd[--r->rnd_left];
}

static void close_out(struct slot *s)
{
    if (s->fd >= 0) {
        close(s->fd); /* also leaves the epoll set */
        s->fd = -1;
    }
}

/* forward-tls: a client session for server (to) in slot (s), with the
 * name given for it.  False if it is not a forward-tls server. */
static bool up_open(struct worker *r, struct slot *s, const struct tb_addr *to)
{
    for (size_t i = 0; i < r->nup; i++)
        if (r->up[i].addr.af == to->af && r->up[i].addr.port == to->port &&
            memcmp(r->up[i].addr.ip, to->ip, 16) == 0) {
            s->qput = false;
            return dnsd_dot_connect(s->tls, r->trust, r->up[i].name, s->tlsbuf);
        }
    return false;
}

/* Opens the socket for query (q) of slot (i) and sends it (UDP) or starts
 * connecting (TCP).  Returns 0 or -1 (then the query counts as lost). */
static int open_out(struct worker *r, unsigned i, const struct dns_res_send *q)
{
    struct slot *s = &r->slots[i];
    struct sockaddr_storage ss;
    socklen_t sl = (socklen_t)tb_addr_to_sockaddr(&q->server, &ss);
    struct epoll_event ev = {.data.u64 = EV_KEY(K_SLOT, i)};
    int type = q->transport == DNS_RES_UDP ? SOCK_DGRAM : SOCK_STREAM;

    s->fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0)
        return -1;
    s->transport = q->transport;
    s->connecting = false;
    if (connect(s->fd, (struct sockaddr *)&ss, sl) != 0) {
        if (type == SOCK_DGRAM || errno != EINPROGRESS)
            goto fail;
        s->connecting = true;
    }
    if (type == SOCK_DGRAM) {
        if (send(s->fd, q->msg, q->len, 0) != (ssize_t)q->len)
            goto fail;
        ev.events = EPOLLIN;
    } else { /* RFC 1035 4.2.2 framing, RFC 7766 */
        tb_put16(s->q, (uint16_t)q->len);
        memcpy(s->q + 2, q->msg, q->len);
        s->qlen = q->len + 2;
        s->qsent = 0;
        s->tlen = 0;
        ev.events = EPOLLIN | EPOLLOUT;
        if (q->transport == DNS_RES_TLS && !up_open(r, s, &q->server))
            goto fail;
    }
    if (epoll_ctl(r->ep, EPOLL_CTL_ADD, s->fd, &ev) != 0)
        goto fail;
    return 0;
fail:
    close_out(s);
    return -1;
}

/* Runs slot (i)'s task until it waits for a reply or is done. */
static void drive(struct worker *r, unsigned i, uint64_t now)
{
    struct slot *s = &r->slots[i];
    struct dns_res_send q;

    /* Each turn is one query of the core's bounded budget. */
    for (;;) {
        close_out(s);
        if (dns_res_task_next(s->t, now, &q) == DNS_RES_DONE) {
            const uint8_t *msg;
            size_t n = dns_res_task_response(s->t, &msg);
            if (s->conn >= 0) { /* TCP: the session owns the answer */
                struct conn *c = &r->conns[s->conn];
                if (c->fd >= 0 && c->gen == s->gen) {
                    dns_res_conn_answer(&c->s, s->t, now);
                    c->dirty = true;
                } else {
                    dns_res_task_free(s->t); /* the client left */
                }
            } else {
                /* a prefetch (cfd -1) has no one to answer */
                if (n > 0 && s->cfd >= 0)
                    sendto(s->cfd, msg, n, 0, (struct sockaddr *)&s->peer,
                           s->plen);
                dns_res_task_free(s->t);
            }
            s->t = NULL;
            r->nactive--;
            return;
        }
        s->deadline = q.deadline;
        if (open_out(r, i, &q) == 0)
            return;
        dns_res_task_timeout(s->t, now); /* unreachable: next server */
    }
}

static void client_input(struct worker *r, int fd, uint64_t now)
{
    for (unsigned k = 0; k < 64; k++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        struct dns_res_task *t;
        struct tb_addr pa;
        size_t n;
        ssize_t got = recvfrom(fd, r->buf, sizeof(r->buf), 0,
                               (struct sockaddr *)&peer, &plen);
        if (got < 0)
            return;
        tb_addr_from_sockaddr((struct sockaddr *)&peer, &pa);
        int rc = dns_res_query(r->res, r->buf, (size_t)got, &pa, false, now,
                               r->out, sizeof(r->out), &n, &t);
        if (rc == DNS_RES_ANSWERED) {
            sendto(fd, r->out, n, 0, (struct sockaddr *)&peer, plen);
        } else if (rc == DNS_RES_STARTED) {
            unsigned i;
            for (i = 0; i < r->nslots && r->slots[i].t != NULL; i++)
                ;
            if (NEVER(i == r->nslots)) { /* the core's pool is as large */
                dns_res_task_free(t);
                continue;
            }
            r->slots[i].t = t;
            r->nactive++;
            r->slots[i].conn = -1;
            r->slots[i].cfd = fd;
            r->slots[i].peer = peer;
            r->slots[i].plen = plen;
            drive(r, i, now);
        }
    }
}

/* TCP: finish connecting, send the framed query, read the framed reply. */
static void tcp_event(struct worker *r, unsigned i, uint64_t now)
{
    struct slot *s = &r->slots[i];
    ssize_t n;

    if (s->connecting) {
        int err = 0;
        socklen_t el = sizeof(err);
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err == EINPROGRESS)
            return;
        s->connecting = false;
        if (err != 0)
            goto lost;
    }
    while (s->qsent < s->qlen) {
        n = send(s->fd, s->q + s->qsent, s->qlen - s->qsent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN)
                return;
            goto lost;
        }
        s->qsent += (size_t)n;
    }
    for (;;) {
        size_t need = s->tlen < 2 ? 2 : 2 + (size_t)tb_get16(s->tbuf);
        if (s->tlen == need && need > 2) {
            struct sockaddr_storage ss;
            struct tb_addr from;
            socklen_t sl = sizeof(ss);
            getpeername(s->fd, (struct sockaddr *)&ss, &sl);
            tb_addr_from_sockaddr((struct sockaddr *)&ss, &from);
            if (dns_res_task_input(s->t, &from, DNS_RES_TCP, s->tbuf + 2,
                                   need - 2, now) == 0)
                drive(r, i, now);
            else
                close_out(s); /* wait for the deadline */
            return;
        }
        n = recv(s->fd, s->tbuf + s->tlen, need - s->tlen, 0);
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0)
            goto lost;
        s->tlen += (size_t)n;
    }
lost: /* the deadline will charge the server */
    close_out(s);
}

#if defined(TB_HAVE_TLS)
/* forward-tls: finish connecting, run the handshake, give the framed
 * query to the session, read the framed reply out of it. */
static void tls_event(struct worker *r, unsigned i, uint64_t now)
{
    struct slot *s = &r->slots[i];
    const uint8_t *p;
    uint8_t *d;
    size_t n;
    ssize_t k;

    if (s->connecting) {
        int err = 0;
        socklen_t el = sizeof(err);
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err == EINPROGRESS)
            return;
        s->connecting = false;
        if (err != 0)
            goto lost;
    }
    for (unsigned turn = 0; turn < 64; turn++) {
        bool moved = false;
        if (!s->qput && dns_tls_ready(s->tls) &&
            dns_tls_app_space(s->tls, &d) >= s->qlen) {
            memcpy(d, s->q, s->qlen);
            dns_tls_app_written(s->tls, s->qlen);
            dns_tls_app_flush(s->tls);
            s->qput = moved = true;
        }
        while ((n = dns_tls_output(s->tls, &p)) > 0) {
            if ((k = send(s->fd, p, n, MSG_NOSIGNAL)) < 0) {
                if (errno == EAGAIN)
                    break;
                goto lost;
            }
            dns_tls_sent(s->tls, (size_t)k);
            moved = true;
        }
        if ((n = dns_tls_rspace(s->tls, &d)) > 0) {
            k = recv(s->fd, d, n, 0);
            if (k == 0 || (k < 0 && errno != EAGAIN))
                goto lost;
            if (k > 0) {
                dns_tls_received(s->tls, (size_t)k);
                moved = true;
            }
        }
        while ((n = dns_tls_app_input(s->tls, &p)) > 0) {
            size_t need = s->tlen < 2 ? 2 : 2 + (size_t)tb_get16(s->tbuf);
            n = TB_MIN(n, need - s->tlen);
            memcpy(s->tbuf + s->tlen, p, n);
            dns_tls_app_consumed(s->tls, n);
            s->tlen += n;
            moved = true;
            if (s->tlen >= 2 && s->tlen == 2 + (size_t)tb_get16(s->tbuf) &&
                s->tlen > 2) {
                struct sockaddr_storage ss;
                struct tb_addr from;
                socklen_t sl = sizeof(ss);
                getpeername(s->fd, (struct sockaddr *)&ss, &sl);
                tb_addr_from_sockaddr((struct sockaddr *)&ss, &from);
                if (dns_res_task_input(s->t, &from, DNS_RES_TLS, s->tbuf + 2,
                                       s->tlen - 2, now) == 0)
                    drive(r, i, now);
                else
                    close_out(s); /* wait for the deadline */
                return;
            }
        }
        if (dns_tls_closed(s->tls))
            goto lost; /* handshake failed: the deadline charges it */
        if (!moved)
            break;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_KEY(K_SLOT, i)};
    if (dns_tls_output(s->tls, &p) > 0)
        ev.events |= EPOLLOUT;
    epoll_ctl(r->ep, EPOLL_CTL_MOD, s->fd, &ev);
    return;
lost:
    close_out(s);
}
#else
static void tls_event(struct worker *r, unsigned i, uint64_t now)
{
    (void)now;
    close_out(&r->slots[i]); /* never opened without BearSSL */
}
#endif

static void udp_event(struct worker *r, unsigned i, uint64_t now)
{
    struct slot *s = &r->slots[i];

    for (unsigned k = 0; k < 16 && s->fd >= 0; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        struct tb_addr from;
        ssize_t n = recvfrom(s->fd, r->buf, sizeof(r->buf), 0,
                             (struct sockaddr *)&ss, &sl);
        if (n < 0 && errno == ECONNREFUSED) {
            /* ICMP port unreachable: no need to wait for the deadline */
            close_out(s);
            dns_res_task_timeout(s->t, now);
            drive(r, i, now);
            return;
        }
        if (n < 0)
            return;
        tb_addr_from_sockaddr((struct sockaddr *)&ss, &from);
        if (dns_res_task_input(s->t, &from, DNS_RES_UDP, r->buf, (size_t)n,
                               now) == 0) {
            drive(r, i, now);
            return;
        }
    }
}

/* A free slot for a new task (the core's pool is as large: one exists
 * whenever the core gave a task). */
static int free_slot(struct worker *r)
{
    for (unsigned i = 0; i < r->nslots; i++)
        if (r->slots[i].t == NULL)
            return (int)i;
    return -1;
}

static void conn_close(struct worker *r, struct conn *c)
{
    close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->gen++;
    c->dirty = false;
    r->nconns--;
}

/* Starts the queries connection (ci) has read: answered at once, or
 * handed to a free slot.  Returns 1 if any was taken, 0 if none, -1 if
 * the connection must be closed. */
static int take_queries(struct worker *r, unsigned ci, uint64_t now)
{
    struct conn *c = &r->conns[ci];
    struct dns_res_task *t;
    int rc, moved = 0;

    while ((rc = dns_res_conn_next(&c->s, now, &t)) != 0) {
        moved = 1;
        if (rc != 2)
            continue;
        int i = free_slot(r);
        if (NEVER(i < 0)) {
            dns_res_task_free(t);
            return -1;
        }
        r->slots[i].t = t;
        r->slots[i].conn = (int)ci;
        r->slots[i].gen = c->gen;
        r->nactive++;
        drive(r, (unsigned)i, now);
    }
    return moved;
}

#if defined(TB_HAVE_TLS)
/* conn_service() of a tls-listen connection: records out, records in,
 * the plaintext between the TLS session and the client session. */
static void conn_service_tls(struct worker *r, unsigned ci, uint64_t now)
{
    struct conn *c = &r->conns[ci];

    c->dirty = false;
    for (unsigned turn = 0; turn < 64; turn++) {
        bool moved = false;
        const uint8_t *p;
        uint8_t *dst;
        size_t n;
        int rc;

        /* Plaintext: queries in, answers out, until neither moves; the
           answers of a turn then leave in as few records as they fit. */
        for (;;) {
            bool m = dns_tls_pump_res(c->tlss, &c->s, now);
            if ((rc = take_queries(r, ci, now)) < 0)
                goto close;
            if (!m && rc == 0)
                break;
            moved = true;
        }
        if (!dns_tls_closed(c->tlss))
            dns_tls_app_flush(c->tlss);
        while ((n = dns_tls_output(c->tlss, &p)) > 0) {
            ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EAGAIN)
                break;
            if (w <= 0)
                goto close;
            dns_tls_sent(c->tlss, (size_t)w);
            moved = true;
        }
        if (!c->eof && (n = dns_tls_rspace(c->tlss, &dst)) > 0) {
            ssize_t got = recv(c->fd, dst, n, 0);
            if (got < 0 && errno != EAGAIN)
                goto close;
            if (got == 0) { /* what is owed is still sent */
                c->eof = true;
                dns_res_conn_received(&c->s, 0, now);
            } else if (got > 0) {
                dns_tls_received(c->tlss, (size_t)got);
            }
            moved |= got >= 0;
        }
        if (!moved)
            break;
    }
    if (dns_tls_res_done(c->tlss, &c->s, now, CONN_IDLE_NS))
        goto close;
    return;
close:
    conn_close(r, c);
}
#else
static void conn_service_tls(struct worker *r, unsigned ci, uint64_t now)
{
    (void)now;
    conn_close(r, &r->conns[ci]); /* never accepted without BearSSL */
}
#endif

/* Whether connection (c) is over at (now): closed by its session. */
static bool conn_over(struct conn *c, uint64_t now)
{
#if defined(TB_HAVE_TLS)
    if (c->tls)
        return dns_tls_res_done(c->tlss, &c->s, now, CONN_IDLE_NS);
#endif
    return dns_res_conn_done(&c->s, now, CONN_IDLE_NS);
}

/* Moves connection (ci) on: writes what is ready, reads what the session
 * takes, starts the queries read, until nothing moves; closes it when
 * the session says so.  Edge-triggered: everything available is done. */
static void conn_service(struct worker *r, unsigned ci, uint64_t now)
{
    struct conn *c = &r->conns[ci];

    if (c->tls) {
        conn_service_tls(r, ci, now);
        return;
    }
    c->dirty = false;
    for (unsigned turn = 0; turn < 64; turn++) {
        bool moved = false;
        const uint8_t *p;
        uint8_t *dst;
        size_t n;
        int rc;

        while ((n = dns_res_conn_output(&c->s, &p)) > 0) {
            ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno == EAGAIN)
                break;
            if (w <= 0)
                goto close;
            dns_res_conn_sent(&c->s, (size_t)w, now);
            moved = true;
        }
        if ((n = dns_res_conn_rspace(&c->s, &dst)) > 0) {
            ssize_t got = recv(c->fd, dst, n, 0);
            if (got < 0 && errno != EAGAIN)
                goto close;
            if (got >= 0) {
                dns_res_conn_received(&c->s, (size_t)got, now);
                moved = true;
            }
        }
        if ((rc = take_queries(r, ci, now)) < 0)
            goto close;
        moved |= rc > 0;
        if (!moved)
            break;
    }
    if (dns_res_conn_done(&c->s, now, CONN_IDLE_NS))
        goto close;
    return;
close:
    conn_close(r, c);
}

static void conn_accept(struct worker *r, size_t li, uint64_t now)
{
    int lfd = r->tcp_listen[li];

    for (unsigned k = 0; k < 16; k++) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer);
        struct tb_addr pa;
        int fd = accept4(lfd, (struct sockaddr *)&peer, &plen,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        unsigned ci;

        if (fd < 0)
            return;
        for (ci = 0; ci < CONNS_MAX && r->conns[ci].fd >= 0; ci++)
            ;
        if (ci == CONNS_MAX) {
            close(fd); /* full: the client may retry */
            continue;
        }
        struct conn *c = &r->conns[ci];
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET,
                                 .data.u64 = EV_KEY(K_CONN, ci)};
        uint8_t *base = r->conn_area + (size_t)ci * r->conn_size;
        tb_addr_from_sockaddr((struct sockaddr *)&peer, &pa);
        c->tls = li >= r->nplain;
        c->eof = false;
        c->tlss = (struct dns_tls *)(void *)(base + TLS_OFF);
        c->tlsbuf = (uint8_t *)(c->tlss + 1);
        if ((c->tls && !dnsd_dot_accept(c->tlss, c->tlsbuf)) ||
            epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            c->tls = false;
            close(fd);
            continue;
        }
        c->fd = fd;
        r->nconns++;
        dns_res_conn_open(&c->s, r->res, &pa, base, base + DNS_RES_CONN_RBUF,
                          now);
        conn_service(r, ci, now);
    }
}

static void *loop(void *arg)
{
    struct worker *r = arg;
    struct epoll_event ev[64];

    for (;;) {
        uint64_t now = dnsd_mono_ns(), next = now + 1000000000ull;
        /* The scans are O(slots) only while resolutions are running:
           the cache-hit path costs none of it. */
        for (unsigned i = 0; r->nactive > 0 && i < r->nslots; i++)
            if (r->slots[i].t != NULL && r->slots[i].deadline < next)
                next = r->slots[i].deadline;
        int ms = next > now ? (int)((next - now + 999999) / 1000000) : 0;
        /* Holds no zone set while it waits (a publish does not wait). */
        if (r->rid >= 0)
            dnsd_server_reader_offline(r->srv, r->rid);
        int n = epoll_wait(r->ep, ev, 64, ms);
        if (r->rid >= 0) { /* the set published now: local data */
            const struct dnsd_zones *z =
                dnsd_server_reader_online(r->srv, r->rid);
            dns_res_set_local(r->res, z != NULL ? z->zs : NULL);
        }
        now = dnsd_mono_ns();
        for (int k = 0; k < n; k++) {
            unsigned kind = (unsigned)(ev[k].data.u64 >> 32);
            unsigned idx = (unsigned)ev[k].data.u64;
            if (kind == K_STOP) {
                if (r->rid >= 0)
                    dnsd_server_reader_offline(r->srv, r->rid);
                return NULL;
            }
            if (kind == K_LISTEN)
                client_input(r, r->lfd[idx], now);
            else if (kind == K_ACCEPT)
                conn_accept(r, idx, now);
            else if (kind == K_CONN) {
                if (r->conns[idx].fd >= 0)
                    conn_service(r, idx, now);
            } else if (r->slots[idx].t != NULL && r->slots[idx].fd >= 0) {
                if (r->slots[idx].transport == DNS_RES_TLS)
                    tls_event(r, idx, now);
                else if (r->slots[idx].transport == DNS_RES_TCP)
                    tcp_event(r, idx, now);
                else
                    udp_event(r, idx, now);
            }
        }
        /* refreshes the hits asked for (resolver: prefetch) */
        for (struct dns_res_task *t;
             (t = dns_res_prefetch_next(r->res, now)) != NULL;) {
            int i = free_slot(r);
            if (NEVER(i < 0)) { /* the core keeps half its tasks free */
                dns_res_task_free(t);
                break;
            }
            r->slots[i].t = t;
            r->slots[i].conn = -1;
            r->slots[i].cfd = -1;
            r->nactive++;
            drive(r, (unsigned)i, now);
        }
        for (unsigned i = 0; r->nactive > 0 && i < r->nslots; i++) {
            struct slot *s = &r->slots[i];
            if (s->t != NULL && s->deadline <= now) {
                close_out(s);
                dns_res_task_timeout(s->t, now);
                drive(r, i, now);
            }
        }
        if (now >= r->snap_at && r->validating) { /* the wall clock again */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            dns_res_set_unix_time(r->res, (int64_t)ts.tv_sec -
                                              (int64_t)(now / 1000000000ull));
        }
        if (now >= r->snap_at) { /* the loop wakes once a second at least */
            pthread_mutex_lock(&r->snap_lock);
            dns_res_stats(r->res, &r->snap);
            dns_cache_stats(r->cache, &r->csnap);
            pthread_mutex_unlock(&r->snap_lock);
            r->snap_at = now + SNAP_NS;
        }
        /* connections with new answers, or idle ones to close */
        for (unsigned i = 0; r->nconns > 0 && i < CONNS_MAX; i++) {
            struct conn *c = &r->conns[i];
            if (c->fd >= 0 && (c->dirty || conn_over(c, now)))
                conn_service(r, i, now);
        }
    }
}

/* A socket of (type) bound to (a); UDP ones with SO_REUSEPORT, one per
 * worker.  Returns the descriptor or -1. */
static int listen_udp(const struct svc_addr *a, int type)
{
    struct tb_addr ta = {.af = a->family == 4 ? TB_AF_INET : TB_AF_INET6,
                         .port = a->port};
    struct sockaddr_storage ss;
    socklen_t sl;
    int fd, one = 1;

    memcpy(ta.ip, a->addr, 16);
    sl = (socklen_t)tb_addr_to_sockaddr(&ta, &ss);
    fd = socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (ss.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (type == SOCK_DGRAM)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    else /* a restart need not wait for TIME_WAIT */
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

struct dnsd_resolver {
    unsigned n;
    struct dns_acl *acl; /* resolver: allow, read by every worker's core */
    size_t nacl;
    struct dns_res_fwd *fwd; /* resolver: forward and stub, read likewise */
    size_t nfwd;
    /* DNSSEC: the trust anchors and negative ones, read likewise */
    struct dns_val_anchors anchors;
    bool anchors_on;
    uint8_t (*insecure)[DNS_NAME_MAXLEN];
    struct dns_res_val val;
    int guard[2 * SVC_LISTEN_MAX]; /* listen's, then tls-listen's */
    size_t nguard, nplain;
    struct dns_tls_cred *cred; /* with tls-listen */
    struct dot_up *up; /* forward-tls servers [nup], read by the workers */
    size_t nup;
    struct dns_tls_trust *trust; /* tls-ca */
    struct worker *w[WORKERS_MAX];
};

static int setup(struct worker *r, const struct svc_conf *c,
                 const struct dns_res_hints *h, size_t cache_bytes,
                 unsigned slots, const struct dnsd_resolver *d)
{
    const struct svc_resolver *rc = &c->resolver;
    struct dns_cache_conf cc = {.mem_bytes = cache_bytes};
    struct dns_res_conf resc = {.random = random32,
                                .random_ctx = r,
                                .allow = d->acl,
                                .nallow = d->nacl,
                                .fwd = d->fwd,
                                .nfwd = d->nfwd,
                                .serve_stale_s = c->resolver.serve_stale,
                                .prefetch = c->resolver.prefetch,
                                .use_0x20 = c->resolver.use_0x20,
                                .prime = true,
                                .val = d->anchors_on ? &d->val : NULL};

    cc.seed = (uint64_t)random32(r) << 32 | random32(r);
    if (c->resolver.ratelimit > 0) { /* per client: an address, a /64 */
        struct dns_rrl_conf rlc;
        dns_rrl_conf_default(&rlc);
        rlc.rate = c->resolver.ratelimit;
        rlc.slip = 0;
        rlc.ipv4_prefix = 32;
        rlc.ipv6_prefix = 64;
        rlc.shares = d->n; /* a client's queries spread over the workers */
        if (dns_rrl_init(&r->rl, &rlc, cc.seed ^ random32(r), &tb_heap) != 0) {
            dnsd_log("resolver: out of memory");
            return -1;
        }
        r->rl_on = true;
        resc.ratelimit = &r->rl;
    }
    r->nslots = slots;
    resc.max_tasks = r->nslots;
    r->validating = resc.val != NULL;
    if (dns_cache_init(&r->cache, &cc, &tb_heap) != 0 ||
        dns_res_init(&r->res, &resc, h, r->cache, &tb_heap) != 0) {
        dnsd_log("resolver: out of memory");
        return -1;
    }
    r->slots = calloc(r->nslots, sizeof(*r->slots));
    r->tcp_area =
        mmap(NULL, (size_t)r->nslots * TCP_BUF, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r->slots == NULL || r->tcp_area == MAP_FAILED) {
        r->tcp_area = NULL;
        dnsd_log("resolver: out of memory");
        return -1;
    }
    for (unsigned i = 0; i < r->nslots; i++) {
        r->slots[i].fd = -1;
        r->slots[i].conn = -1;
        r->slots[i].tbuf = r->tcp_area + (size_t)i * TCP_BUF;
    }
    if (d->nup > 0) { /* forward-tls: a client session per slot */
        r->up = d->up;
        r->nup = d->nup;
        r->trust = d->trust;
        r->tls_area =
            mmap(NULL, (size_t)r->nslots * UP_SIZE, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r->tls_area == MAP_FAILED) {
            r->tls_area = NULL;
            dnsd_log("resolver: out of memory");
            return -1;
        }
        for (unsigned i = 0; i < r->nslots; i++) {
            r->slots[i].tls =
                (struct dns_tls *)(void *)(r->tls_area + (size_t)i * UP_SIZE);
            r->slots[i].tlsbuf = (uint8_t *)(r->slots[i].tls + 1);
        }
    }
    /* a connection's buffers; with tls-listen, a TLS session (8-byte
       aligned) and its records after them */
    r->conn_size = TLS_OFF;
    if (r->ntcp > r->nplain)
        r->conn_size =
            (r->conn_size + sizeof(struct dns_tls) + DNS_TLS_IOBUF + 7) &
            ~(size_t)7; /* every connection 8-byte aligned */
    r->conn_area =
        mmap(NULL, (size_t)CONNS_MAX * r->conn_size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (r->conn_area == MAP_FAILED) {
        r->conn_area = NULL;
        dnsd_log("resolver: out of memory");
        return -1;
    }
    for (unsigned i = 0; i < CONNS_MAX; i++)
        r->conns[i].fd = -1;
    r->ep = epoll_create1(EPOLL_CLOEXEC);
    r->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->ep < 0 || r->evfd < 0)
        return -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = EV_KEY(K_STOP, 0)};
    epoll_ctl(r->ep, EPOLL_CTL_ADD, r->evfd, &ev);
    for (size_t i = 0; i < r->ntcp; i++) { /* shared: one worker wakes */
        struct epoll_event ta = {.events = EPOLLIN | EPOLLEXCLUSIVE,
                                 .data.u64 = EV_KEY(K_ACCEPT, i)};
        if (epoll_ctl(r->ep, EPOLL_CTL_ADD, r->tcp_listen[i], &ta) != 0)
            return -1;
    }
    for (size_t i = 0; i < rc->nlisten; i++) {
        char txt[SVC_ADDR_TEXT_MAX];
        svc_addr_to_text(&rc->listen[i], true, txt, sizeof(txt));
        r->lfd[i] = listen_udp(&rc->listen[i], SOCK_DGRAM);
        if (r->lfd[i] < 0) {
            dnsd_log("resolver: cannot listen on %s: %s", txt, strerror(errno));
            return -1;
        }
        r->nl = i + 1;
        ev.data.u64 = EV_KEY(K_LISTEN, i);
        epoll_ctl(r->ep, EPOLL_CTL_ADD, r->lfd[i], &ev);
        if (r == r->first)
            dnsd_log("resolver: listening on %s (udp, tcp)", txt);
    }
    return 0;
}

static void teardown(struct worker *r)
{
    for (size_t i = 0; i < r->nl; i++)
        close(r->lfd[i]);
    for (unsigned i = 0; r->slots != NULL && i < r->nslots; i++)
        if (r->slots[i].fd >= 0)
            close(r->slots[i].fd);
    if (r->ep >= 0)
        close(r->ep);
    if (r->evfd >= 0)
        close(r->evfd);
    if (r->tcp_area != NULL)
        munmap(r->tcp_area, (size_t)r->nslots * TCP_BUF);
    if (r->tls_area != NULL)
        munmap(r->tls_area, (size_t)r->nslots * UP_SIZE);
    for (unsigned i = 0; i < CONNS_MAX; i++)
        if (r->conns[i].fd >= 0)
            close(r->conns[i].fd);
    if (r->conn_area != NULL)
        munmap(r->conn_area, (size_t)CONNS_MAX * r->conn_size);
    free(r->slots);
    dns_res_free(r->res);
    dns_cache_free(r->cache);
    if (r->rl_on)
        dns_rrl_free(&r->rl); /* after the core that borrowed it */
    free(r);
}

/*
 * The resolver: one worker per thread, each with its own cache, tasks,
 * epoll set and SO_REUSEPORT listeners, sharing nothing (no lock on any
 * path; a name may be resolved once per worker).  One TCP listener per
 * address, shared by the workers (EPOLLEXCLUSIVE), also keeps a second
 * server from silently joining the UDP group.
 */
static unsigned cpus(void)
{
    cpu_set_t set;
    return sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0
               ? (unsigned)CPU_COUNT(&set)
               : 1;
}

static int read_hints(const struct svc_resolver *rc, struct dns_res_hints *h)
{
    struct dns_diag diag;
    char *text = NULL;
    size_t len = 0;
    int err;

    dnsd_diag_init(&diag);
    if (rc->root_hints != NULL &&
        (err = dns_zonefile_read(rc->root_hints, &text, &len)) != 0) {
        dnsd_log("resolver: %s: %s", rc->root_hints, tb_strerror(err));
        return -1;
    }
    err = dns_res_hints_parse(h, text, len, rc->root_hints, &tb_heap, &diag);
    free(text);
    return err == 0 ? 0 : -1;
}

/* The trust anchors of resolver: trust-anchor FILE, else IANA's root
 * keys built in; (*on) false with trust-anchor none. */
static int read_anchors(const struct svc_resolver *rc,
                        struct dns_val_anchors *a, bool *on)
{
    struct dns_diag diag;
    char *text = NULL;
    size_t len = 0;
    int err;

    *on = false;
    if (rc->no_validation)
        return 0;
    dnsd_diag_init(&diag);
    if (rc->trust_anchor != NULL) {
        if ((err = dns_zonefile_read(rc->trust_anchor, &text, &len)) != 0) {
            dnsd_log("resolver: trust-anchor %s: %s", rc->trust_anchor,
                     tb_strerror(err));
            return -1;
        }
        err = dns_val_anchors_parse(a, text, len, rc->trust_anchor, &tb_heap,
                                    &diag);
    } else {
        err = dns_val_anchors_parse(a, dns_val_root_anchors,
                                    strlen(dns_val_root_anchors),
                                    "built-in root anchors", &tb_heap, &diag);
    }
    free(text);
    if (err != 0) {
        dnsd_log("resolver: trust-anchor %s: %s",
                 rc->trust_anchor ? rc->trust_anchor : "(built in)",
                 err == TB_ENOENT ? "no DS or DNSKEY record"
                                  : tb_strerror(err));
        return -1;
    }
    *on = true;
    return 0;
}

int dnsd_resolver_check(const struct svc_conf *c)
{
    struct dns_res_hints h;
    struct dns_val_anchors a;
    bool on;

    if (read_hints(&c->resolver, &h) != 0 ||
        read_anchors(&c->resolver, &a, &on) != 0)
        return -1;
    if (on)
        dns_val_anchors_free(&a);
    return 0;
}

#if TIBRA_DNSD_SODIUM
#include <sodium.h>
/* Ed25519 (algorithm 15) for the validator: libsodium's (BearSSL has no
 * EdDSA). */
static bool ed25519_verify(const uint8_t *sig, const uint8_t *msg, size_t len,
                           const uint8_t *pk)
{
    return crypto_sign_ed25519_verify_detached(sig, msg, len, pk) == 0;
}
#endif

/* forward-tls: tls-ca read, and each server with its name, for the
 * workers to find by address. */
static int fwd_tls(const struct svc_resolver *rc, struct dnsd_resolver *r)
{
    size_t n = 0;

    for (size_t i = 0; i < rc->nfwd; i++)
        n += rc->fwd[i].tls ? rc->fwd[i].naddr : 0;
    if (n == 0)
        return 0;
    if ((r->up = calloc(n, sizeof(*r->up))) == NULL ||
        dnsd_dot_trust(rc->tls_ca, &r->trust) != 0)
        return -1;
    for (size_t i = 0; i < rc->nfwd; i++)
        for (size_t k = 0; rc->fwd[i].tls && k < rc->fwd[i].naddr; k++) {
            const struct svc_addr *a = &rc->fwd[i].addr[k];
            struct dot_up *u = &r->up[r->nup++];
            u->addr.af = a->family == 4 ? TB_AF_INET : TB_AF_INET6;
            u->addr.port = a->port;
            memcpy(u->addr.ip, a->addr, 16);
            memcpy(u->name, rc->fwd[i].auth[k], sizeof(u->name));
        }
    return 0;
}

/* resolver: tls-listen: the service's certificate and key, and one TCP
 * listener per address after the plain ones in (r->guard). */
static int tls_listen(const struct svc_conf *c, struct dnsd_resolver *r)
{
    const struct svc_resolver *rc = &c->resolver;

    if (dnsd_dot_cred(c, &r->cred) != 0)
        return -1;
    for (size_t i = 0; i < rc->ntls_listen; i++) {
        char txt[SVC_ADDR_TEXT_MAX];
        int fd = listen_udp(&rc->tls_listen[i], SOCK_STREAM);
        svc_addr_to_text(&rc->tls_listen[i], true, txt, sizeof(txt));
        if (fd >= 0 && listen(fd, 128) != 0) {
            close(fd);
            fd = -1;
        }
        if (fd < 0) {
            dnsd_log("resolver: cannot listen on %s: %s", txt, strerror(errno));
            return -1;
        }
        r->guard[r->nguard++] = fd;
        dnsd_log("resolver: listening on %s (tls, %s certificate from %s)", txt,
                 dnsd_dot_cred_type(r->cred), c->tls_certificate);
    }
    return 0;
}

int dnsd_resolver_start(const struct svc_conf *c, struct dnsd_server *srv,
                        struct dnsd_resolver **out)
{
    const struct svc_resolver *rc = &c->resolver;
    struct dnsd_resolver *r = calloc(1, sizeof(*r));
    struct dns_res_hints h;
    size_t cache = rc->cache_size ? rc->cache_size : 32u << 20;
    unsigned slots = rc->resolutions ? rc->resolutions : 256;

    *out = NULL;
    if (r == NULL || read_hints(rc, &h) != 0)
        goto fail;
    /* allow: the core refuses other clients (none given: loopback) */
    if (rc->nallow > 0 &&
        (r->acl = calloc(rc->nallow, sizeof(*r->acl))) == NULL)
        goto fail;
    for (size_t i = 0; i < rc->nallow; i++) {
        r->acl[i].addr.af = rc->allow[i].family == 4 ? TB_AF_INET : TB_AF_INET6;
        memcpy(r->acl[i].addr.ip, rc->allow[i].addr, 16);
        r->acl[i].plen = rc->allow[i].plen;
    }
    r->nacl = rc->nallow;
    /* forward and stub zones: the core asks their servers */
    if (rc->nfwd > 0 && (r->fwd = calloc(rc->nfwd, sizeof(*r->fwd))) == NULL)
        goto fail;
    for (size_t i = 0; i < rc->nfwd; i++) {
        const struct svc_res_fwd *e = &rc->fwd[i];
        memcpy(r->fwd[i].zone, e->zone, sizeof(e->zone));
        r->fwd[i].recursive = e->recursive;
        r->fwd[i].tls = e->tls;
        for (size_t k = 0; k < e->naddr && k < DNS_RES_FWD_ADDRS; k++) {
            struct tb_addr *a = &r->fwd[i].addr[r->fwd[i].naddr++];
            a->af = e->addr[k].family == 4 ? TB_AF_INET : TB_AF_INET6;
            a->port = e->addr[k].port;
            memcpy(a->ip, e->addr[k].addr, 16);
        }
    }
    r->nfwd = rc->nfwd;
    if (fwd_tls(rc, r) != 0)
        goto fail;
    /* DNSSEC validation: on unless trust-anchor none */
    if (read_anchors(rc, &r->anchors, &r->anchors_on) != 0)
        goto fail;
    if (r->anchors_on) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (rc->ninsecure > 0 &&
            (r->insecure = calloc(rc->ninsecure, sizeof(*r->insecure))) == NULL)
            goto fail;
        for (size_t i = 0; i < rc->ninsecure; i++)
            memcpy(r->insecure[i], rc->insecure[i], sizeof(r->insecure[i]));
        r->val.anchors = &r->anchors;
        r->val.insecure = (const uint8_t(*)[DNS_NAME_MAXLEN])r->insecure;
        r->val.ninsecure = rc->ninsecure;
        /* signature windows are UNIX time; the core gets monotonic */
        r->val.unix_at_zero =
            (int64_t)ts.tv_sec - (int64_t)(dnsd_mono_ns() / 1000000000ull);
#if TIBRA_DNSD_SODIUM
        if (sodium_init() >= 0)
            r->val.ed25519 = ed25519_verify;
#endif
        dns_res_val_init(&r->val);
    }
    r->n = c->workers ? c->workers : cpus();
    r->n = TB_MIN(r->n, WORKERS_MAX);
    /* cache-size and resolutions are the service's totals */
    while (r->n > 1 && (cache / r->n < 65536 || slots / r->n == 0))
        r->n--;
    for (size_t i = 0; i < rc->nlisten; i++) {
        r->guard[i] = listen_udp(&rc->listen[i], SOCK_STREAM);
        if (r->guard[i] >= 0 && listen(r->guard[i], 128) != 0) {
            close(r->guard[i]);
            r->guard[i] = -1;
        }
        if (r->guard[i] < 0) {
            char txt[SVC_ADDR_TEXT_MAX];
            svc_addr_to_text(&rc->listen[i], true, txt, sizeof(txt));
            dnsd_log("resolver: cannot listen on %s: %s", txt, strerror(errno));
            goto fail;
        }
        r->nguard = i + 1;
    }
    r->nplain = r->nguard;
    if (rc->ntls_listen > 0 && tls_listen(c, r) != 0)
        goto fail;
    for (unsigned i = 0; i < r->n; i++) {
        struct worker *w = calloc(1, sizeof(*w));
        if (w == NULL)
            goto fail;
        w->ep = w->evfd = -1;
        w->srv = srv;
        /* the service's zones are local data: a reader of the set */
        w->rid = c->nzones > 0 && srv != NULL ? dnsd_server_reader(srv) : -1;
        pthread_mutex_init(&w->snap_lock, NULL);
        w->first = r->w[0] ? r->w[0] : w;
        w->tcp_listen = r->guard;
        w->ntcp = r->nguard;
        w->nplain = r->nplain;
        w->cred = r->cred;
        for (unsigned k = 0; k < CONNS_MAX; k++)
            w->conns[k].fd = -1;
        r->w[i] = w;
        if (setup(w, c, &h, cache / r->n, slots / r->n, r) != 0)
            goto fail;
    }
    for (unsigned i = 0; i < r->n; i++)
        if (pthread_create(&r->w[i]->th, NULL, loop, r->w[i]) != 0) {
            r->n = i; /* the threads started are stopped */
            dnsd_resolver_stop(r);
            return -1;
        }
    dnsd_log("resolver: %u worker%s, %zu bytes of cache and %u resolutions "
             "each, DNSSEC validation %s",
             r->n, r->n == 1 ? "" : "s", cache / r->n, slots / r->n,
             r->anchors_on ? "on" : "off (trust-anchor none)");
    *out = r;
    return 0;
fail:
    for (unsigned i = 0; r != NULL && i < WORKERS_MAX; i++)
        if (r->w[i] != NULL)
            teardown(r->w[i]);
    for (size_t i = 0; r != NULL && i < r->nguard; i++)
        close(r->guard[i]);
    if (r != NULL) {
        dnsd_dot_cred_free(r->cred);
        dnsd_dot_trust_free(r->trust);
        free(r->up);
        free(r->acl);
        free(r->fwd);
        free(r->insecure);
        if (r->anchors_on)
            dns_val_anchors_free(&r->anchors);
    }
    free(r);
    return -1;
}

void dnsd_resolver_stats(struct dnsd_resolver *r, struct dns_res_stats *st,
                         struct dns_cache_stats *cs)
{
    memset(st, 0, sizeof(*st));
    memset(cs, 0, sizeof(*cs));
    for (unsigned i = 0; i < r->n; i++) {
        struct worker *w = r->w[i];
        pthread_mutex_lock(&w->snap_lock);
        dns_res_stats_add(st, &w->snap);
        dns_cache_stats_add(cs, &w->csnap);
        pthread_mutex_unlock(&w->snap_lock);
    }
}

void dnsd_resolver_stop(struct dnsd_resolver *r)
{
    struct dns_res_stats st = {0}, one;
    struct dns_cache_stats cs = {0}, cone;
    uint64_t v = 1;

    if (r == NULL)
        return;
    for (unsigned i = 0; i < r->n; i++)
        if (write(r->w[i]->evfd, &v, sizeof(v)) != sizeof(v))
            dnsd_log("resolver: cannot signal worker %u", i);
    for (unsigned i = 0; i < r->n; i++) {
        pthread_join(r->w[i]->th, NULL);
        dns_res_stats(r->w[i]->res, &one);
        dns_cache_stats(r->w[i]->cache, &cone);
        dns_res_stats_add(&st, &one);
        dns_cache_stats_add(&cs, &cone);
    }
    dnsd_log(
        "resolver: %llu queries (%llu refused: not allowed, %llu "
        "over ratelimit), %llu cache hits, %llu resolutions "
        "(%llu SERVFAIL, %llu over a limit, %llu busy), %llu sent "
        "(%llu tcp), %llu replies, %llu rejected, %llu timeouts, %llu "
        "lame, %llu out-of-bailiwick records; cache %llu entries, %llu "
        "bytes",
        (unsigned long long)st.queries, (unsigned long long)st.refused_acl,
        (unsigned long long)st.ratelimited, (unsigned long long)st.cache_hits,
        (unsigned long long)st.tasks, (unsigned long long)st.servfail,
        (unsigned long long)st.limit, (unsigned long long)st.busy,
        (unsigned long long)(st.sent_udp + st.sent_tcp),
        (unsigned long long)st.sent_tcp, (unsigned long long)st.replies,
        (unsigned long long)st.rejected, (unsigned long long)st.timeouts,
        (unsigned long long)st.lame, (unsigned long long)st.out_of_bailiwick,
        (unsigned long long)cs.entries, (unsigned long long)cs.bytes);
    for (unsigned i = 0; i < WORKERS_MAX; i++)
        if (r->w[i] != NULL)
            teardown(r->w[i]);
    for (size_t i = 0; i < r->nguard; i++)
        close(r->guard[i]);
    dnsd_dot_cred_free(r->cred);
    dnsd_dot_trust_free(r->trust);
    free(r->up);
    free(r->acl);
    free(r->fwd);
    free(r->insecure);
    if (r->anchors_on)
        dns_val_anchors_free(&r->anchors);
    free(r);
}
