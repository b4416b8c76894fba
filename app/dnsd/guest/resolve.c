/*
 * resolve.c -- the DNS unikernel's driver for the resolver core (lib/dns/
 * res*.c, <tibra/dns/res.h>), over stack.h: the same core tibra-dnsd's
 * app/dnsd/resolver.c drives, here on one thread and the guest's own
 * network stack (lib/net on spt and hvt, host sockets in unix images).
 *
 *   client datagram -> dns_res_query -> answered: tb_udp_send
 *   client TCP -> struct dns_res_conn (framing, pipelining, limits)
 *                                    \-> a task: dns_res_task_next -> SEND:
 *                                        UDP: a fresh endpoint on a random
 *                                        port per query (RFC 5452), the
 *                                        reply from any peer handed to the
 *                                        core, which matches server, port,
 *                                        ID and question; TCP: an active
 *                                        open, RFC 1035 4.2.2 framing ->
 *                                        dns_res_task_input | deadline ->
 *                                        dns_res_task_timeout ... DONE: the
 *                                        response to the client
 *
 * Every DNS decision is the core's.  Memory is reserved at boot from the
 * boot heap: the cache (--resolver-cache-size), a slot per task, a few
 * framed-reply buffers for outbound TCP (a task without one when it needs
 * TCP loses that query: the core tries again or gives up within its
 * bounds), client TCP sessions.  Query IDs and source ports come from
 * tb_entropy().  Local zones: the image's own zones are answered first,
 * by the authoritative engine (conf.local, dns/res.h), never recursed.
 */
#include <stdio.h>
#include <string.h>

#include <tibra/dns/metrics.h>

#include "dnsg.h"

#define RES_CONNS  16 /* client TCP connections at once */
#define RES_TCPOUT 8 /* outbound TCP queries at once */
#define TBUF       (2 + DNS_MSG_MAXLEN)
#define CONN_IDLE  (10 * 1000000000ull) /* RFC 7766 6.2.3 */
#define UDP_BATCH  16
#define PORT_TRIES 16
#define DEF_CACHE  (32ull << 20)
#define DEF_TASKS  64u

struct rslot {
    struct dns_res_task *t; /* NULL: free */
    int ep; /* the outbound query's endpoint, -1 if none */
    uint8_t transport;
    uint64_t deadline;
    /* the client: a UDP listener (cep >= 0) or a TCP connection */
    int cep;
    struct tb_addr peer, local;
    struct tb_addr server; /* TCP out: the connection's peer */
    int conn;
    uint32_t gen;
    /* TCP out: the framed query and the framed reply */
    uint8_t q[2 + DNS_UDP_MINLEN];
    size_t qlen, qsent;
    int tb; /* index of the reply buffer, -1 */
    size_t tlen;
};

struct rconn {
    int ep; /* -1: free */
    uint32_t gen; /* bumped at each close: late answers are dropped */
    bool dirty;
    struct dns_res_conn s;
    uint8_t *rbuf, *wbuf;
};

struct dnsg_res {
    struct dns_cache *cache;
    struct dns_res *res;
    struct dns_rrl rl;
    struct tb_addr listen[DNSG_RES_LISTEN_MAX];
    int udp[DNSG_RES_LISTEN_MAX], tcp[DNSG_RES_LISTEN_MAX];
    unsigned nl, nbound;
    struct rslot *slots;
    unsigned nslots, nactive;
    uint8_t *tbuf[RES_TCPOUT];
    bool tbuf_used[RES_TCPOUT];
    struct rconn conns[RES_CONNS];
    unsigned nconns;
    uint8_t *out; /* DNS_MSG_MAXLEN */
    uint32_t rnd[64];
    unsigned rnd_left;
    uint64_t send_failed; /* queries the stack did not take */
    struct dns_res_val val; /* DNSSEC (dnssec.c) */
    bool validating;
    uint64_t next_clock; /* when the wall clock is read again */
};

static struct dnsg_res R;

static uint32_t random32(void *ctx)
{
    struct dnsg_res *r = ctx;

    if (r->rnd_left == 0) {
        if (tb_entropy(r->rnd, sizeof(r->rnd)) != 0)
            tb_abort(); /* never send guessable IDs or ports */
        r->rnd_left = TB_ARRAY_SIZE(r->rnd);
    }
    return r->rnd[--r->rnd_left];
}

void dnsg_res_stack_needs(const struct dnsg_conf *c, uint32_t *udp_eps,
                          uint32_t *tcp_listeners, uint32_t *tcp_conns)
{
    uint32_t tasks = c->res_tasks ? c->res_tasks : DEF_TASKS;

    *udp_eps = *tcp_listeners = *tcp_conns = 0;
    if (c->nres_listen == 0)
        return;
    *udp_eps = c->nres_listen + tasks;
    *tcp_listeners = c->nres_listen;
    *tcp_conns = RES_TCPOUT + RES_CONNS + 8; /* + closing ones */
}

int dnsg_res_init(struct dnsg *g, const struct dnsg_conf *c,
                  const struct dns_zoneset *zs, size_t heap_size,
                  const struct tb_alloc *a, char *err, size_t cap)
{
    struct dnsg_res *r = &R;
    struct dns_res_hints h;
    struct dns_cache_conf cc = {0};
    struct dns_res_conf rc = {.random = random32, .random_ctx = r};
    struct dns_diag diag = {0};
    int rc_;

    if (c->nres_listen == 0)
        return 0;
    memset(r, 0, sizeof(*r));
    if (c->res_hints.nns > 0) {
        h = c->res_hints;
    } else if ((rc_ = dns_res_hints_parse(&h, NULL, 0, "named.root", a,
                                          &diag)) != 0) {
        snprintf(err, cap, "resolver: the built-in root hints: %s",
                 tb_strerror(rc_));
        return rc_;
    }
    cc.mem_bytes = c->res_cache;
    if (cc.mem_bytes == 0)
        cc.mem_bytes = TB_MAX((size_t)(64u << 10),
                              TB_MIN((size_t)DEF_CACHE, heap_size / 4));
    cc.seed = (uint64_t)random32(r) << 32 | random32(r);
    rc.allow = c->res_allow;
    rc.nallow = c->nres_allow;
    rc.fwd = c->res_fwd;
    rc.nfwd = c->nres_fwd;
    rc.local = zs;
    rc.serve_stale_s = c->res_serve_stale;
    rc.prefetch = c->res_prefetch;
    rc.use_0x20 = c->res_use_0x20;
    rc.prime = true;
    if ((rc_ = dnsg_val_start(c, &r->val, &r->validating, a, err, cap)) != 0)
        return rc_;
    rc.val = r->validating ? &r->val : NULL;
    r->nslots = c->res_tasks ? c->res_tasks : DEF_TASKS;
    rc.max_tasks = r->nslots;
    if (c->res_ratelimit > 0) {
        struct dns_rrl_conf rl;
        dns_rrl_conf_default(&rl);
        rl.rate = c->res_ratelimit;
        rl.slip = 0;
        rl.ipv4_prefix = 32;
        rl.ipv6_prefix = 64;
        if ((rc_ = dns_rrl_init(&r->rl, &rl, cc.seed ^ random32(r), a)) != 0)
            goto nomem;
        rc.ratelimit = &r->rl;
    }
    if ((rc_ = dns_cache_init(&r->cache, &cc, a)) != 0 ||
        (rc_ = dns_res_init(&r->res, &rc, &h, r->cache, a)) != 0)
        goto nomem;
    r->slots = tb_alloc(a, r->nslots * sizeof(*r->slots));
    r->out = tb_alloc(a, DNS_MSG_MAXLEN);
    if (r->slots == NULL || r->out == NULL)
        goto nomem;
    memset(r->slots, 0, r->nslots * sizeof(*r->slots));
    for (unsigned i = 0; i < r->nslots; i++) {
        r->slots[i].ep = -1;
        r->slots[i].tb = -1;
    }
    for (unsigned i = 0; i < RES_TCPOUT; i++)
        if ((r->tbuf[i] = tb_alloc(a, TBUF)) == NULL)
            goto nomem;
    for (unsigned i = 0; i < RES_CONNS; i++) {
        r->conns[i].ep = -1;
        r->conns[i].rbuf = tb_alloc(a, DNS_RES_CONN_RBUF);
        r->conns[i].wbuf = tb_alloc(a, DNS_RES_CONN_WBUF);
        if (r->conns[i].rbuf == NULL || r->conns[i].wbuf == NULL)
            goto nomem;
    }
    memcpy(r->listen, c->res_listen, c->nres_listen * sizeof(r->listen[0]));
    r->nl = c->nres_listen;
    g->res = r;
    dnsg_say("dnsd: resolver: %zu KiB of cache, %u resolutions, %u root "
             "server address%s%s, %u forward/stub zone%s, %u allow prefix%s",
             (size_t)(cc.mem_bytes >> 10), r->nslots, h.naddr,
             h.naddr == 1 ? "" : "es", c->res_hints.nns ? "" : " (IANA's)",
             c->nres_fwd, c->nres_fwd == 1 ? "" : "s", c->nres_allow,
             c->nres_allow == 1 ? "" : "es");
    if (r->validating)
        dnsg_say("dnsd: resolver: DNSSEC validation on (%s trust anchors, "
                 "%u insecure domain%s; Ed25519 %s)",
                 c->res_anchors_len ? "the service's" : "the built-in root",
                 c->nres_insecure, c->nres_insecure == 1 ? "" : "s",
                 dnsg_val_ed25519() ? "verified" : "unsupported: insecure");
    return 0;
nomem:
    snprintf(err, cap,
             "resolver: not enough memory for %llu bytes of cache and %u "
             "resolutions (give the tender more --mem)",
             (unsigned long long)cc.mem_bytes, r->nslots);
    return TB_ENOMEM;
}

int dnsg_res_listen(struct dnsg *g, char *err, size_t cap)
{
    struct dnsg_res *r = g->res;

    for (unsigned i = 0; r != NULL && i < r->nl; i++) {
        int rc = tb_udp_bind(g->s, &r->listen[i], &r->udp[i]);
        if (rc == 0 &&
            (rc = tb_tcp_listen(g->s, &r->listen[i], 64, &r->tcp[i])) != 0)
            tb_udp_close(g->s, r->udp[i]);
        if (rc != 0) {
            snprintf(err, cap, "resolver: cannot listen on port %u: %s",
                     r->listen[i].port, tb_strerror(rc));
            return rc;
        }
        r->nbound = i + 1;
    }
    return 0;
}

/* ---- outbound queries -------------------------------------------------- */

static void close_out(struct dnsg *g, struct rslot *s)
{
    if (s->ep >= 0) {
        if (s->transport == DNS_RES_TCP)
            tb_tcp_abort(g->s, s->ep);
        else
            tb_udp_close(g->s, s->ep);
        s->ep = -1;
    }
    if (s->tb >= 0) {
        g->res->tbuf_used[s->tb] = false;
        s->tb = -1;
    }
}

/* Opens an endpoint for (q) and sends it (UDP) or starts connecting
 * (TCP).  Returns 0, or -1: the query counts as lost. */
static int open_out(struct dnsg *g, struct rslot *s,
                    const struct dns_res_send *q)
{
    struct dnsg_res *r = g->res;
    int rc = TB_EADDRINUSE;

    s->transport = q->transport;
    s->deadline = q->deadline;
    if (q->transport == DNS_RES_TCP) {
        if (q->len > DNS_UDP_MINLEN)
            return -1;
        for (unsigned i = 0; i < RES_TCPOUT && s->tb < 0; i++)
            if (!r->tbuf_used[i]) {
                r->tbuf_used[i] = true;
                s->tb = (int)i;
            }
        if (s->tb < 0 || tb_tcp_connect(g->s, &q->server, &s->ep) != 0) {
            s->ep = -1;
            close_out(g, s);
            return -1;
        }
        s->server = q->server;
        tb_put16(s->q, (uint16_t)q->len);
        memcpy(s->q + 2, q->msg, q->len);
        s->qlen = q->len + 2;
        s->qsent = 0;
        s->tlen = 0;
        tb_stack_interest(g->s, s->ep, TB_EV_READ | TB_EV_WRITE);
        return 0;
    }
    /* A fresh endpoint on a random port per query (RFC 5452 9.2). */
    struct tb_addr any = {.af = q->server.af};
    for (unsigned k = 0; k < PORT_TRIES && rc == TB_EADDRINUSE; k++) {
        any.port = (uint16_t)(1024 + random32(r) % (65536 - 1024));
        rc = tb_udp_bind(g->s, &any, &s->ep);
    }
    if (rc != 0) {
        s->ep = -1;
        return -1;
    }
    struct tb_dgram d = {.peer = q->server, .data = q->msg, .len = q->len};
    if (tb_udp_send(g->s, s->ep, &d, 1) != 1) {
        r->send_failed++;
        close_out(g, s);
        return -1;
    }
    return 0;
}

/* The response of a finished task to its client. */
static void deliver(struct dnsg *g, struct rslot *s, uint64_t now)
{
    struct dnsg_res *r = g->res;
    const uint8_t *msg;
    size_t n = dns_res_task_response(s->t, &msg);

    if (s->cep < 0 && s->conn < 0) { /* a prefetch: no one to answer */
        dns_res_task_free(s->t);
    } else if (s->cep < 0) { /* TCP: the session owns the answer */
        struct rconn *c = &r->conns[s->conn];
        if (c->ep >= 0 && c->gen == s->gen) {
            dns_res_conn_answer(&c->s, s->t, now);
            c->dirty = true;
        } else {
            dns_res_task_free(s->t); /* the client left */
        }
    } else {
        if (n > 0) {
            struct tb_dgram d = {.peer = s->peer,
                                 .local = s->local,
                                 .data = msg,
                                 .len = n};
            tb_udp_send(g->s, s->cep, &d, 1);
        }
        dns_res_task_free(s->t);
    }
    s->t = NULL;
    r->nactive--;
}

/* Runs slot (s)'s task until it waits for a reply or is done. */
static void drive(struct dnsg *g, struct rslot *s, uint64_t now)
{
    struct dns_res_send q;

    for (;;) { /* each turn is one query of the core's bounded budget */
        close_out(g, s);
        if (dns_res_task_next(s->t, now, &q) == DNS_RES_DONE) {
            deliver(g, s, now);
            return;
        }
        if (open_out(g, s, &q) == 0)
            return;
        dns_res_task_timeout(s->t, now); /* not sent: the next server */
    }
}

static struct rslot *free_slot(struct dnsg_res *r)
{
    for (unsigned i = 0; i < r->nslots; i++)
        if (r->slots[i].t == NULL)
            return &r->slots[i];
    return NULL;
}

static void udp_reply(struct dnsg *g, struct rslot *s, uint64_t now)
{
    struct tb_dgram d[4];
    int n;

    while (s->ep >= 0 && (n = tb_udp_recv(g->s, s->ep, d, 4)) > 0)
        for (int i = 0; i < n; i++)
            if (dns_res_task_input(s->t, &d[i].peer, DNS_RES_UDP, d[i].data,
                                   d[i].len, now) == 0) {
                drive(g, s, now); /* closes the endpoint */
                return;
            }
}

/* TCP out: send the framed query, read the framed reply. */
static void tcp_reply(struct dnsg *g, struct rslot *s, uint64_t now,
                      uint32_t events)
{
    uint8_t *tb = g->res->tbuf[s->tb];
    int n;

    if (events & TB_EV_ERR)
        goto lost;
    while (s->qsent < s->qlen) {
        n = tb_tcp_write(g->s, s->ep, s->q + s->qsent, s->qlen - s->qsent);
        if (n == TB_EAGAIN || n == TB_ENOTCONN)
            return;
        if (n < 0)
            goto lost;
        s->qsent += (size_t)n;
    }
    tb_stack_interest(g->s, s->ep, TB_EV_READ);
    for (;;) {
        size_t need = s->tlen < 2 ? 2 : 2 + (size_t)tb_get16(tb);
        if (s->tlen == need && need > 2) {
            /* The connection was opened to the server asked. */
            if (dns_res_task_input(s->t, &s->server, DNS_RES_TCP, tb + 2,
                                   need - 2, now) == 0)
                drive(g, s, now);
            else
                close_out(g, s); /* wait for the deadline */
            return;
        }
        n = tb_tcp_read(g->s, s->ep, tb + s->tlen, need - s->tlen);
        if (n == TB_EAGAIN || n == TB_ENOTCONN)
            return;
        if (n <= 0)
            goto lost;
        s->tlen += (size_t)n;
    }
lost: /* the deadline will charge the server */
    close_out(g, s);
}

/* ---- clients ----------------------------------------------------------- */

static void start_task(struct dnsg *g, struct dns_res_task *t, int cep,
                       const struct tb_dgram *d, int conn, uint64_t now)
{
    struct dnsg_res *r = g->res;
    struct rslot *s = free_slot(r);

    if (NEVER(s == NULL)) { /* the core's pool is as large */
        dns_res_task_free(t);
        return;
    }
    s->t = t;
    s->cep = cep;
    s->conn = conn;
    if (d != NULL) {
        s->peer = d->peer;
        s->local = d->local;
    } else if (conn >= 0) {
        s->gen = r->conns[conn].gen;
    }
    r->nactive++;
    drive(g, s, now);
}

static void client_udp(struct dnsg *g, int ep, uint64_t now)
{
    struct dnsg_res *r = g->res;
    struct tb_dgram d[UDP_BATCH];

    for (unsigned round = 0; round < 4; round++) {
        int n = tb_udp_recv(g->s, ep, d, UDP_BATCH);
        if (n <= 0)
            return;
        for (int i = 0; i < n; i++) {
            struct dns_res_task *t;
            size_t len;
            int rc =
                dns_res_query(r->res, d[i].data, d[i].len, &d[i].peer, false,
                              now, r->out, DNS_MSG_MAXLEN, &len, &t);
            if (rc == DNS_RES_ANSWERED) {
                struct tb_dgram o = {.peer = d[i].peer,
                                     .local = d[i].local,
                                     .data = r->out,
                                     .len = len};
                tb_udp_send(g->s, ep, &o, 1);
            } else if (rc == DNS_RES_STARTED) {
                start_task(g, t, ep, &d[i], -1, now);
            }
        }
        if (n < UDP_BATCH)
            return;
    }
}

static void conn_close(struct dnsg *g, struct rconn *c)
{
    tb_tcp_close(g->s, c->ep);
    c->ep = -1;
    c->gen++;
    c->dirty = false;
    g->res->nconns--;
}

/* Moves client connection (c) on until nothing moves. */
static void conn_service(struct dnsg *g, struct rconn *c, uint64_t now)
{
    struct dnsg_res *r = g->res;

    c->dirty = false;
    for (unsigned turn = 0; turn < 64; turn++) {
        bool moved = false;
        const uint8_t *p;
        uint8_t *dst;
        struct dns_res_task *t;
        size_t n;
        int rc;

        while ((n = dns_res_conn_output(&c->s, &p)) > 0) {
            int w = tb_tcp_write(g->s, c->ep, p, n);
            if (w == TB_EAGAIN)
                break;
            if (w <= 0)
                goto close;
            dns_res_conn_sent(&c->s, (size_t)w, now);
            moved = true;
        }
        if ((n = dns_res_conn_rspace(&c->s, &dst)) > 0) {
            int got = tb_tcp_read(g->s, c->ep, dst, n);
            if (got >= 0) {
                dns_res_conn_received(&c->s, (size_t)got, now);
                moved = true;
            } else if (got != TB_EAGAIN) {
                goto close;
            }
        }
        while ((rc = dns_res_conn_next(&c->s, now, &t)) != 0) {
            moved = true;
            if (rc == 2)
                start_task(g, t, -1, NULL, (int)(c - r->conns), now);
            if (c->ep < 0)
                return;
        }
        if (!moved)
            break;
    }
    if (dns_res_conn_done(&c->s, now, CONN_IDLE))
        goto close;
    const uint8_t *p;
    uint8_t *dst;
    uint32_t ev = dns_res_conn_output(&c->s, &p) > 0 ? TB_EV_WRITE : 0;
    if (dns_res_conn_rspace(&c->s, &dst) > 0 || ev == 0)
        ev |= TB_EV_READ;
    tb_stack_interest(g->s, c->ep, ev);
    return;
close:
    conn_close(g, c);
}

static void conn_accept(struct dnsg *g, int lep, uint64_t now)
{
    struct dnsg_res *r = g->res;

    for (unsigned k = 0; k < 16; k++) {
        struct tb_addr peer;
        unsigned ci;
        int ep;

        if (tb_tcp_accept(g->s, lep, &ep, &peer) != 0)
            return;
        for (ci = 0; ci < RES_CONNS && r->conns[ci].ep >= 0; ci++)
            ;
        if (ci == RES_CONNS) {
            tb_tcp_close(g->s, ep); /* full: the client may retry */
            continue;
        }
        struct rconn *c = &r->conns[ci];
        c->ep = ep;
        r->nconns++;
        dns_res_conn_open(&c->s, r->res, &peer, c->rbuf, c->wbuf, now);
        conn_service(g, c, now);
    }
}

bool dnsg_res_handle(struct dnsg *g, const struct tb_event *e, uint64_t now)
{
    struct dnsg_res *r = g->res;

    if (r == NULL)
        return false;
    for (unsigned i = 0; i < r->nbound; i++) {
        if (e->ep == r->udp[i]) {
            client_udp(g, e->ep, now);
            return true;
        }
        if (e->ep == r->tcp[i]) {
            conn_accept(g, e->ep, now);
            return true;
        }
    }
    for (unsigned i = 0; r->nactive > 0 && i < r->nslots; i++) {
        struct rslot *s = &r->slots[i];
        if (s->t == NULL || s->ep != e->ep)
            continue;
        if (s->transport == DNS_RES_TCP)
            tcp_reply(g, s, now, e->events);
        else
            udp_reply(g, s, now);
        return true;
    }
    for (unsigned i = 0; r->nconns > 0 && i < RES_CONNS; i++)
        if (r->conns[i].ep == e->ep) {
            conn_service(g, &r->conns[i], now);
            return true;
        }
    return false;
}

uint64_t dnsg_res_run(struct dnsg *g, uint64_t now)
{
    struct dnsg_res *r = g->res;
    uint64_t next = UINT64_MAX;

    if (r == NULL)
        return next;
    /* the wall clock again now and then: a step of it moves signature
     * windows (as tibra-dnsd does once a second) */
    if (r->validating && now >= r->next_clock) {
        dns_res_set_unix_time(r->res, dnsg_unix_at_zero());
        r->next_clock = now + 1000000000u;
    }
    /* refreshes the hits asked for (--resolver-prefetch) */
    for (struct dns_res_task *t; (t = dns_res_prefetch_next(r->res, now));)
        start_task(g, t, -1, NULL, -1, now);
    for (unsigned i = 0; r->nactive > 0 && i < r->nslots; i++) {
        struct rslot *s = &r->slots[i];
        if (s->t != NULL && s->deadline <= now) {
            close_out(g, s);
            dns_res_task_timeout(s->t, now);
            drive(g, s, now);
        }
        if (s->t != NULL)
            next = TB_MIN(next, s->deadline);
    }
    for (unsigned i = 0; r->nconns > 0 && i < RES_CONNS; i++) {
        struct rconn *c = &r->conns[i];
        if (c->ep < 0)
            continue;
        if (c->dirty || dns_res_conn_done(&c->s, now, CONN_IDLE))
            conn_service(g, c, now);
        if (c->ep >= 0) /* look again at most a second later (idle) */
            next = TB_MIN(next, now + 1000000000ull);
    }
    return next;
}

size_t dnsg_res_metrics(struct dnsg *g, char *buf, size_t cap)
{
    struct dns_res_stats st;
    struct dns_cache_stats cs;

    if (g->res == NULL)
        return 0;
    dns_res_stats(g->res->res, &st);
    dns_cache_stats(g->res->cache, &cs);
    return dns_metrics_res_text(&st, &cs, buf, cap);
}

void dnsg_res_report(struct dnsg *g)
{
    struct dnsg_res *r = g->res;
    struct dns_res_stats st;
    struct dns_cache_stats cs;

    if (r == NULL)
        return;
    dns_res_stats(r->res, &st);
    dns_cache_stats(r->cache, &cs);
    dnsg_say("dnsd: resolver: %llu queries (%llu refused: not allowed, %llu "
             "over ratelimit, %llu local), %llu cache hits, %llu "
             "resolutions (%llu SERVFAIL, %llu over a limit, %llu busy, "
             "%llu answered stale, %llu prefetches, %llu root primings), "
             "%llu sent (%llu tcp, %llu not taken), %llu replies, %llu "
             "rejected, %llu timeouts; cache %llu entries, %llu bytes",
             (unsigned long long)st.queries, (unsigned long long)st.refused_acl,
             (unsigned long long)st.ratelimited, (unsigned long long)st.local,
             (unsigned long long)st.cache_hits, (unsigned long long)st.tasks,
             (unsigned long long)st.servfail, (unsigned long long)st.limit,
             (unsigned long long)st.busy, (unsigned long long)st.stale,
             (unsigned long long)st.prefetch, (unsigned long long)st.primes,
             (unsigned long long)(st.sent_udp + st.sent_tcp),
             (unsigned long long)st.sent_tcp,
             (unsigned long long)r->send_failed, (unsigned long long)st.replies,
             (unsigned long long)st.rejected, (unsigned long long)st.timeouts,
             (unsigned long long)cs.entries, (unsigned long long)cs.bytes);
}
