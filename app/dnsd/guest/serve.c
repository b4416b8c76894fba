/*
 * serve.c -- the DNS unikernel's loop: stack.h events in, lib/dns's
 * service core deciding, stack.h sends out.
 *
 *   tb_stack_poll -> UDP endpoint: tb_udp_recv (batch) -> dns_srv_udp
 *                      -> tb_udp_send (batch, from the address asked)
 *                 -> TCP listener: tb_tcp_accept -> a session from the
 *                      pool (none left: counted in tcp_refused, closed)
 *                 -> TCP connection: srv.h's driver loop (read into
 *                      dns_tcp_rspace, write dns_tcp_output, close when
 *                      dns_tcp_done), write interest while output waits
 *   tb_stack_wait(min(stack timers, session timeouts, end))
 *
 * Nothing here allocates: sessions, their buffers, the endpoint map and
 * the UDP response buffers are reserved once by dnsg_init().  Nothing
 * here knows DNS either: a query is bytes handed to srv.h.
 */
#include <stdio.h>
#include <string.h>

#include "dnsg.h"

#define MAP_EMPTY   UINT32_MAX
#define ACCEPT_MAX  64 /* connections taken per listener event */
#define UDP_ROUNDS  8 /* batches per UDP event (then other endpoints) */
#define SESS_ROUNDS 16 /* read/write rounds per connection event */
#define EVENTS      256

size_t dnsg_sess_cost(void)
{
    /* The per-address table has fewer than 4 * nsess 16-byte entries
     * (at least 16: within main.c's slack). */
    return sizeof(struct dnsg_sess) + 2 * sizeof(uint32_t) + 64;
}

static uint32_t pow2_at_least(uint32_t n)
{
    uint32_t p = 16;
    while (p < n)
        p <<= 1;
    return p;
}

int dnsg_init(struct dnsg *g, uint32_t nsess, size_t resp_cap,
              const struct tb_alloc *a)
{
    g->resp_cap = resp_cap;
    g->resp = tb_alloc(a, DNSG_UDP_BATCH * resp_cap);
    g->nsess = nsess;
    g->sess = nsess ? tb_alloc(a, nsess * sizeof(*g->sess)) : NULL;
    g->mapcap = pow2_at_least(2 * nsess);
    g->map = tb_alloc(a, g->mapcap * sizeof(*g->map));
    if (g->resp == NULL || (nsess && g->sess == NULL) || g->map == NULL)
        return TB_ENOMEM;
    if (g->tcp_per_addr != 0 && nsess != 0 &&
        dns_tcplim_init(&g->tcplim, nsess, g->tcp_per_addr, g->tcplim_seed,
                        a) != 0)
        return TB_ENOMEM;
    for (uint32_t i = 0; i < nsess; i++) {
        g->sess[i].ep = -1;
        g->sess[i].next_free = i + 1;
    }
    g->free_head = 0;
    memset(g->map, 0xff, g->mapcap * sizeof(*g->map));
    g->next_expire = UINT64_MAX;
    return 0;
}

/* ---- endpoint -> session map (linear probing) ------------------------- */

static uint32_t slot_of(const struct dnsg *g, int ep)
{
    return ((uint32_t)ep * 2654435761u) & (g->mapcap - 1);
}

static struct dnsg_sess *map_find(struct dnsg *g, int ep)
{
    for (uint32_t i = slot_of(g, ep);; i = (i + 1) & (g->mapcap - 1)) {
        uint32_t k = g->map[i];
        if (k == MAP_EMPTY)
            return NULL;
        if (g->sess[k].ep == ep)
            return &g->sess[k];
    }
}

static void map_add(struct dnsg *g, int ep, uint32_t k)
{
    uint32_t i = slot_of(g, ep);
    while (g->map[i] != MAP_EMPTY)
        i = (i + 1) & (g->mapcap - 1);
    g->map[i] = k;
}

/* Removes (ep), shifting later entries of its run back (no tombstones). */
static void map_del(struct dnsg *g, int ep)
{
    uint32_t m = g->mapcap - 1, i = slot_of(g, ep);

    while (g->map[i] == MAP_EMPTY || g->sess[g->map[i]].ep != ep)
        i = (i + 1) & m;
    for (uint32_t j = (i + 1) & m; g->map[j] != MAP_EMPTY; j = (j + 1) & m) {
        uint32_t h = slot_of(g, g->sess[g->map[j]].ep);
        /* Move j to the hole at i unless its home h lies in (i, j]. */
        if (((j - h) & m) >= ((j - i) & m)) {
            g->map[i] = g->map[j];
            i = j;
        }
    }
    g->map[i] = MAP_EMPTY;
}

/* ---- TCP -------------------------------------------------------------- */

static void sess_close(struct dnsg *g, struct dnsg_sess *x)
{
    uint32_t k = (uint32_t)(x - g->sess);

    tb_tcp_close(g->s, x->ep);
    dns_tcplim_close(&g->tcplim, &x->peer);
    map_del(g, x->ep);
    x->ep = -1;
    x->next_free = g->free_head;
    g->free_head = k;
    g->used--;
}

/* srv.h's driver loop for one connection, until it would block. */
static void sess_run(struct dnsg *g, struct dnsg_sess *x, uint64_t now)
{
    struct dns_tcp *t = &x->t;
    const uint8_t *out;
    uint8_t *in;
    size_t n;

    for (int round = 0; round < SESS_ROUNDS; round++) {
        bool progress = false;
        while ((n = dns_tcp_output(t, &out)) > 0) {
            int w = tb_tcp_write(g->s, x->ep, out, n);
            if (w == TB_EAGAIN)
                break;
            if (w < 0) { /* reset, timed out: nothing more to say */
                sess_close(g, x);
                return;
            }
            dns_tcp_sent(t, (size_t)w, now);
            progress = true;
        }
        if ((n = dns_tcp_rspace(t, &in)) > 0) {
            int r = tb_tcp_read(g->s, x->ep, in, n);
            if (r > 0) {
                dns_tcp_received(t, (size_t)r, now);
                progress = true;
            } else if (r == 0) {
                dns_tcp_eof(t, now);
                progress = true;
            } else if (r != TB_EAGAIN) {
                sess_close(g, x);
                return;
            }
        }
        if (dns_tcp_done(t)) {
            sess_close(g, x);
            return;
        }
        if (!progress)
            break;
    }
    /* Write readiness only while answers wait; reading while there is
     * room (ERR and HUP are always reported). */
    uint32_t ev = dns_tcp_output(t, &out) > 0 ? TB_EV_WRITE : 0;
    if (dns_tcp_rspace(t, &in) > 0 || ev == 0)
        ev |= TB_EV_READ;
    tb_stack_interest(g->s, x->ep, ev);
}

static void accept_all(struct dnsg *g, int lep, uint64_t now)
{
    struct tb_addr peer;
    int ep;

    for (int k = 0; k < ACCEPT_MAX; k++) {
        if (tb_tcp_accept(g->s, lep, &ep, &peer) != 0)
            return;
        if (g->free_head >= g->nsess) {
            g->srv.st.tcp_refused++;
            tb_tcp_close(g->s, ep);
            continue;
        }
        if (!dns_tcplim_open(&g->tcplim, &peer, &g->srv.st)) {
            tb_tcp_close(g->s, ep); /* that address has its share */
            continue;
        }
        uint32_t i = g->free_head;
        struct dnsg_sess *x = &g->sess[i];
        g->free_head = x->next_free;
        g->used++;
        x->ep = ep;
        x->peer = peer;
        map_add(g, ep, i);
        dns_tcp_open(&x->t, &g->srv, &peer, x->rbuf, x->wbuf, now);
        /* A new session's deadline is the latest of all (it starts
         * now), so the cached minimum only needs setting when empty. */
        if (g->next_expire == UINT64_MAX)
            g->next_expire = dns_tcp_deadline(&x->t);
        sess_run(g, x, now);
    }
}

/* Closes timed-out sessions; recomputes the earliest deadline. */
static void expire(struct dnsg *g, uint64_t now)
{
    uint64_t next = UINT64_MAX;

    if (now < g->next_expire)
        return;
    for (uint32_t i = 0; i < g->nsess; i++) {
        struct dnsg_sess *x = &g->sess[i];
        if (x->ep < 0)
            continue;
        if (dns_tcp_expire(&x->t, now)) {
            sess_close(g, x);
            continue;
        }
        next = TB_MIN(next, dns_tcp_deadline(&x->t));
    }
    g->next_expire = next;
}

/* ---- UDP -------------------------------------------------------------- */

static void udp_run(struct dnsg *g, int ep, uint64_t now)
{
    struct tb_dgram in[DNSG_UDP_BATCH], out[DNSG_UDP_BATCH];

    for (int round = 0; round < UDP_ROUNDS; round++) {
        int n = tb_udp_recv(g->s, ep, in, DNSG_UDP_BATCH);
        size_t k = 0;
        if (n <= 0)
            return;
        for (int i = 0; i < n; i++) {
            uint8_t *r = g->resp + k * g->resp_cap;
            size_t len = dns_srv_udp(&g->srv, &in[i].peer, in[i].data,
                                     in[i].len, r, g->resp_cap, now);
            if (len == 0)
                continue;
            /* Reply from the address the query was sent to. */
            out[k].peer = in[i].peer;
            out[k].local = in[i].local;
            out[k].data = r;
            out[k].len = len;
            k++;
        }
        if (k > 0) {
            int s = tb_udp_send(g->s, ep, out, k);
            if (s >= 0 && (size_t)s < k)
                g->udp_send_short += k - (size_t)s;
            else if (s < 0)
                g->udp_send_short += k;
        }
        if ((size_t)n < DNSG_UDP_BATCH)
            return;
    }
}

/* ---- the loop ---------------------------------------------------------- */

int dnsg_listen(struct dnsg *g, const struct tb_addr *locals, size_t n,
                char *err, size_t cap)
{
    int rc;

    for (size_t i = 0; i < n; i++) {
        const char *what = "udp";
        rc = tb_udp_bind(g->s, &locals[i], &g->udp[i]);
        if (rc == 0) {
            what = "tcp";
            rc = tb_tcp_listen(g->s, &locals[i], 128, &g->tcp[i]);
        }
        if (rc != 0) {
            char a[TB_INET6_TEXT_MAX] = "any";
            if (locals[i].af == TB_AF_INET6)
                tb_inet_ntop6(locals[i].ip, a, sizeof(a));
            else if (locals[i].af == TB_AF_INET)
                snprintf(a, sizeof(a), "%u.%u.%u.%u", locals[i].ip[0],
                         locals[i].ip[1], locals[i].ip[2], locals[i].ip[3]);
            snprintf(err, cap, "cannot listen (%s) on %s port %u: %s", what, a,
                     locals[i].port, tb_strerror(rc));
            return rc;
        }
        g->nlocal = (unsigned)i + 1;
    }
    return 0;
}

static void handle(struct dnsg *g, const struct tb_event *e, uint64_t now)
{
    struct dnsg_sess *x;

    if (dnsg_metrics_handle(g, e, now))
        return;
    if (dnsg_notify_handle(g, e))
        return;
    if (dnsg_res_handle(g, e, now))
        return;
    if (dnsg_sec_handle(g, e, now))
        return;
    for (unsigned i = 0; i < g->nlocal; i++) {
        if (e->ep == g->udp[i]) {
            udp_run(g, e->ep, now);
            return;
        }
        if (e->ep == g->tcp[i]) {
            accept_all(g, e->ep, now);
            return;
        }
    }
    if ((x = map_find(g, e->ep)) != NULL)
        sess_run(g, x, now);
}

void dnsg_serve(struct dnsg *g, uint64_t end)
{
    struct tb_event ev[EVENTS];

    while (!tb_stop_requested()) {
        int n = tb_stack_poll(g->s, ev, EVENTS);
        uint64_t now = tb_clock_monotonic();
        if (now >= end)
            return;
        for (int i = 0; i < n; i++)
            handle(g, &ev[i], now);
        expire(g, now);
        uint64_t mexp = dnsg_metrics_expire(g, now);
        mexp = TB_MIN(mexp, dnsg_notify_run(g, now));
        mexp = TB_MIN(mexp, dnsg_res_run(g, now));
        mexp = TB_MIN(mexp, dnsg_sec_run(g, now));
        if (n > 0)
            continue;
        tb_time_t d = tb_stack_deadline(g->s);
        if (d == 0)
            continue;
        d = TB_MIN(TB_MIN(TB_MIN(d, g->next_expire), mexp), end);
        if (dnsg_stack_wait_max != UINT64_MAX)
            d = TB_MIN(d, now + dnsg_stack_wait_max);
        tb_stack_wait(g->s, d);
    }
}
