/*
 * tcp.c -- the TCP half of stack.h (listen, accept, connect, read, write,
 * shutdown, close, abort), the connection table (a fixed pool of control
 * blocks, each with its receive and send rings reserved at init), timers
 * (retransmission with RFC 6298 backoff and Karn's rule, zero-window
 * probes, TIME_WAIT, half-open and orphan limits) and readiness events.
 * Segment processing is in tcp_in.c, segment building in tcp_out.c.
 *
 * Limits: cfg.tcp_conns control blocks in all states; when none is free a
 * TIME_WAIT block is recycled (oldest first); listeners bound their
 * half-open and unaccepted connections by their backlog.
 */
#include "net_int.h"

#define TCP_MAX_RETRIES     12 /* data: about 15 minutes with backoff */
#define TCP_MAX_SYN_RETRIES 6
#define TCP_MAX_RTO         (60 * NS_PER_S) /* RFC 6298 2.5 */


uint32_t tcp_rcv_window(const struct tcb *t)
{
    return t->rcap - t->rlen;
}

static void tcb_clear(struct tcb *t)
{
    uint8_t *rb = t->rbuf, *sb = t->sbuf;
    uint32_t rc = t->rcap, sc = t->scap;

    memset(t, 0, sizeof(*t));
    t->rbuf = rb;
    t->sbuf = sb;
    t->rcap = rc;
    t->scap = sc;
    t->listener = -1;
    t->rtx_deadline = TIME_NEVER;
    t->tw_deadline = TIME_NEVER;
    t->tlp_deadline = TIME_NEVER;
}

struct tcb *tcb_alloc(struct tb_stack *s)
{
    struct tcb *tw = NULL;

    for (uint32_t i = 0; i < s->cfg.tcp_conns; i++) {
        struct tcb *t = &s->tcb[i];
        if (t->state == TCP_CLOSED && !t->app) {
            tcb_clear(t);
            return t;
        }
        if (t->state == TCP_TIME_WAIT && !t->app &&
            (tw == NULL || t->tw_deadline < tw->tw_deadline))
            tw = t;
    }
    if (tw != NULL) {
        tcb_clear(tw);
        return tw;
    }
    return NULL;
}

/*
 * Frees the slot of the oldest orphan -- a connection the application has
 * closed that is still finishing (FIN_WAIT_1/2, CLOSING, LAST_ACK) -- with
 * an RST, for a new passive open when no slot is free.  Without it, peers
 * that never acknowledge or answer our FIN hold the slots of connections
 * the application is done with for the orphan timeout, and refuse every
 * new client meanwhile (Linux resets orphans past tcp_max_orphans the
 * same way).  Returns true if a slot was freed.
 */
bool tcb_reclaim_orphan(struct tb_stack *s)
{
    struct tcb *o = NULL;

    for (uint32_t i = 0; i < s->cfg.tcp_conns; i++) {
        struct tcb *t = &s->tcb[i];
        if (t->app ||
            (t->state != TCP_FIN_WAIT_1 && t->state != TCP_FIN_WAIT_2 &&
             t->state != TCP_CLOSING && t->state != TCP_LAST_ACK))
            continue;
        if (o == NULL || t->born < o->born)
            o = t;
    }
    if (o == NULL)
        return false;
    tcp_send_rst(s, o->local.af, o->local.ip, o->remote.ip, o->local.port,
                 o->remote.port, o->snd_nxt, 0, false);
    s->st.tcp_orphan_evict++;
    tcb_free(s, o);
    return true;
}

/* Takes (t) off its listener's queues. */
static void detach(struct tb_stack *s, struct tcb *t)
{
    struct tcp_listener *l;

    if (t->listener < 0)
        return;
    l = &s->lst[t->listener];
    if (t->state == TCP_SYN_RCVD) {
        l->nsyn--;
    } else {
        struct tcb **pp = &l->acc_head, *prev = NULL;
        while (*pp != NULL && *pp != t) {
            prev = *pp;
            pp = &(*pp)->aq_next;
        }
        if (*pp == t) {
            *pp = t->aq_next;
            if (l->acc_tail == t)
                l->acc_tail = prev;
            l->nacc--;
        }
    }
    t->listener = -1;
    t->aq_next = NULL;
}

void tcb_free(struct tb_stack *s, struct tcb *t)
{
    if (t == NULL)
        return;
    detach(s, t);
    tcb_clear(t);
}

/* The connection is over: if the application holds it, keep the block
 * as CLOSED with the error for it to read; else free it. */
void tcb_reset(struct tb_stack *s, struct tcb *t, int err)
{
    if (!t->app) {
        tcb_free(s, t);
        return;
    }
    detach(s, t);
    t->state = TCP_CLOSED;
    t->err = err;
    t->rtx_deadline = TIME_NEVER;
    t->tlp_deadline = TIME_NEVER;
    t->tw_deadline = TIME_NEVER;
    t->slen = 0;
}

static void on_rtx_timer(struct tb_stack *s, struct tcb *t)
{
    uint8_t max = t->state == TCP_SYN_SENT || t->state == TCP_SYN_RCVD
                      ? TCP_MAX_SYN_RETRIES
                      : TCP_MAX_RETRIES;

    t->rtx_deadline = TIME_NEVER;
    t->tlp_deadline = TIME_NEVER;
    if (t->snd_una == t->snd_max) {
        /* Persist timer (RFC 9293 3.8.6.1): probe a zero window with one
         * byte beyond it, or send what a small window allows (the SWS
         * override); backoff as for retransmissions. */
        uint32_t sent = t->snd_nxt - t->snd_una, n;
        if (t->slen > sent) {
            n = t->snd_wnd == 0 ? 1 : TB_MIN(t->snd_wnd, (uint32_t)t->mss);
            n = TB_MIN(n, t->slen - sent);
            if (tcp_send_segment(s, t, t->snd_nxt, n, TCP_ACK) == 0) {
                t->snd_nxt += n;
                t->snd_max = t->snd_nxt;
                t->rto = TB_MIN(t->rto * 2, TCP_MAX_RTO);
                tcp_rto_arm(s, t);
            }
        }
        return;
    }
    if (++t->retries > max) {
        if (t->state != TCP_SYN_SENT && t->state != TCP_SYN_RCVD)
            tcp_send_rst(s, t->local.af, t->local.ip, t->remote.ip,
                         t->local.port, t->remote.port, t->snd_nxt, 0, false);
        tcb_reset(s, t, TB_ETIMEDOUT);
        return;
    }
    s->st.tcp_retrans++;
    s->st.tcp_rto++;
    /* RFC 6298 5.5-5.7 (backoff), RFC 5681 3.1 (loss window), Karn. */
    t->rto = TB_MIN(t->rto * 2, TCP_MAX_RTO);
    t->rtt_active = false;
    t->ssthresh = TB_MAX((t->snd_max - t->snd_una) / 2, 2u * t->mss);
    t->cwnd = t->mss;
    t->in_recovery = false;
    t->dupacks = 0;
    if (t->state == TCP_SYN_SENT || t->state == TCP_SYN_RCVD) {
        tcp_send_syn(s, t);
        tcp_rto_arm(s, t);
        return;
    }
    t->snd_nxt = t->snd_una; /* go back N */
    tcp_rto_arm(s, t);
    tcp_output(s, t);
}

void tcp_timers(struct tb_stack *s)
{
    for (uint32_t i = 0; i < s->cfg.tcp_conns; i++) {
        struct tcb *t = &s->tcb[i];
        if (t->state == TCP_CLOSED)
            continue;
        if (t->tlp_deadline <= s->now)
            tcp_send_tlp(s, t);
        if (t->rtx_deadline <= s->now)
            on_rtx_timer(s, t);
        if (t->state != TCP_CLOSED && t->tw_deadline <= s->now)
            tcb_reset(s, t, 0); /* TIME_WAIT over, or orphan FIN_WAIT_2 */
    }
}

tb_time_t tcp_deadline(const struct tb_stack *s)
{
    tb_time_t d = TIME_NEVER;

    for (uint32_t i = 0; i < s->cfg.tcp_conns; i++) {
        const struct tcb *t = &s->tcb[i];
        if (t->state == TCP_CLOSED)
            continue;
        if (t->ack_now)
            return 0;
        d = TB_MIN(d, TB_MIN(t->rtx_deadline, t->tw_deadline));
        d = TB_MIN(d, t->tlp_deadline);
    }
    return d;
}

void tcp_flush_acks(struct tb_stack *s)
{
    for (uint32_t i = 0; i < s->cfg.tcp_conns; i++) {
        struct tcb *t = &s->tcb[i];
        if (t->ack_now && t->state != TCP_CLOSED)
            tcp_send_ack(s, t);
    }
}

int tcp_events(struct tb_stack *s, struct tb_event *ev, size_t n)
{
    size_t k = 0;

    for (uint32_t i = 0; i < s->cfg.tcp_listeners && k < n; i++) {
        struct tcp_listener *l = &s->lst[i];
        if (l->used && l->acc_head && (l->interest & TB_EV_READ)) {
            ev[k].ep = (int)(s->cfg.udp_eps + i);
            ev[k++].events = TB_EV_READ;
        }
    }
    for (uint32_t i = 0; i < s->cfg.tcp_conns && k < n; i++) {
        struct tcb *t = &s->tcb[i];
        uint32_t e = 0;
        if (!t->app)
            continue;
        if (t->rlen > 0 || t->fin_rcvd || t->err)
            e |= TB_EV_READ;
        if ((t->state == TCP_ESTABLISHED || t->state == TCP_CLOSE_WAIT) &&
            !t->fin_queued && t->slen < t->scap)
            e |= TB_EV_WRITE;
        e &= t->interest;
        if (t->err || (t->state == TCP_CLOSED && t->interest))
            e |= TB_EV_ERR;
        if (t->fin_rcvd && (t->interest & TB_EV_READ))
            e |= TB_EV_HUP;
        if (e) {
            ev[k].ep = tcb_ep(s, t);
            ev[k++].events = e;
        }
    }
    return (int)k;
}

/* ---- stack.h ---------------------------------------------------------- */

int tb_tcp_listen(struct tb_stack *s, const struct tb_addr *local, int backlog,
                  int *ep)
{
    struct tcp_listener *f = NULL;

    if (local->port == 0 ||
        (local->af != TB_AF_UNSPEC && local->af != TB_AF_INET &&
         local->af != TB_AF_INET6))
        return TB_EINVAL;
    for (uint32_t i = 0; i < s->cfg.tcp_listeners; i++) {
        struct tcp_listener *l = &s->lst[i];
        if (!l->used) {
            if (f == NULL)
                f = l;
        } else if (l->local.port == local->port &&
                   (l->local.af == local->af || !l->local.af || !local->af) &&
                   (ip_zero(l->local.ip, 16) || ip_zero(local->ip, 16) ||
                    memcmp(l->local.ip, local->ip, 16) == 0)) {
            return TB_EADDRINUSE;
        }
    }
    if (f == NULL)
        return TB_ENOSPC;
    memset(f, 0, sizeof(*f));
    f->used = true;
    f->local = *local;
    f->interest = TB_EV_READ;
    f->backlog = (uint32_t)TB_MAX(1, TB_MIN(backlog, (int)s->cfg.tcp_conns));
    *ep = (int)(s->cfg.udp_eps + (uint32_t)(f - s->lst));
    return 0;
}

int tb_tcp_accept(struct tb_stack *s, int lep, int *ep, struct tb_addr *peer)
{
    int i = ep_lst(s, lep);
    struct tcp_listener *l;
    struct tcb *t;

    if (i < 0 || !s->lst[i].used)
        return TB_EBADF;
    l = &s->lst[i];
    if ((t = l->acc_head) == NULL)
        return TB_EAGAIN;
    detach(s, t);
    t->app = true;
    t->interest = TB_EV_READ;
    if (peer != NULL)
        *peer = t->remote;
    *ep = tcb_ep(s, t);
    return 0;
}

static bool port_in_use(const struct tb_stack *s, uint16_t port)
{
    for (uint32_t i = 0; i < s->cfg.tcp_conns; i++)
        if (s->tcb[i].state != TCP_CLOSED && s->tcb[i].local.port == port)
            return true;
    for (uint32_t i = 0; i < s->cfg.tcp_listeners; i++)
        if (s->lst[i].used && s->lst[i].local.port == port)
            return true;
    return false;
}

int tb_tcp_connect(struct tb_stack *s, const struct tb_addr *remote, int *ep)
{
    struct tcb *t;
    uint8_t nh[16];
    uint16_t port = 0;

    if ((remote->af != TB_AF_INET && remote->af != TB_AF_INET6) ||
        remote->port == 0)
        return TB_EINVAL;
    if (remote->af == TB_AF_INET && ip4_route(s, remote->ip, nh) != 0)
        return TB_ENETUNREACH;
    if (remote->af == TB_AF_INET6 && s->nip6 == 0)
        return TB_ENETUNREACH;
    for (int tries = 0; tries < 16384 && port == 0; tries++) {
        uint16_t p = s->eph_next;
        s->eph_next = (uint16_t)(p == 65535 ? 49152 : p + 1);
        if (!port_in_use(s, p))
            port = p;
    }
    if (port == 0 || (t = tcb_alloc(s)) == NULL)
        return TB_ENOSPC;
    t->remote = *remote;
    memset(&t->local, 0, sizeof(t->local));
    t->local.af = remote->af;
    t->local.port = port;
    if (remote->af == TB_AF_INET)
        memcpy(t->local.ip, s->cfg.ip4, 4);
    else
        ip6_pick_src(s, remote->ip, t->local.ip);
    t->state = TCP_SYN_SENT;
    tcb_open_common(s, t);
    t->app = true;
    t->interest = TB_EV_READ | TB_EV_WRITE;
    t->rtt_active = true;
    t->rtt_start = s->now;
    tcp_send_syn(s, t);
    *ep = tcb_ep(s, t);
    return 0;
}

static struct tcb *app_tcb(struct tb_stack *s, int ep)
{
    int i = ep_tcb(s, ep);

    return i >= 0 && s->tcb[i].app ? &s->tcb[i] : NULL;
}

int tb_tcp_read(struct tb_stack *s, int ep, void *buf, size_t cap)
{
    struct tcb *t = app_tcb(s, ep);
    uint32_t n, k, before;

    if (t == NULL)
        return TB_EBADF;
    if (t->rlen == 0) {
        if (t->err)
            return t->err;
        if (t->fin_rcvd || t->state == TCP_CLOSED)
            return 0;
        if (t->state == TCP_SYN_SENT || t->state == TCP_SYN_RCVD)
            return TB_ENOTCONN;
        return TB_EAGAIN;
    }
    before = tcp_rcv_window(t);
    n = (uint32_t)TB_MIN(cap, (size_t)TB_MIN(t->rlen, (uint32_t)INT32_MAX));
    k = TB_MIN(n, t->rcap - t->rhead);
    memcpy(buf, t->rbuf + t->rhead, k);
    memcpy((uint8_t *)buf + k, t->rbuf, n - k);
    t->rhead = (t->rhead + n) % t->rcap;
    t->rlen -= n;
    /* Receiver SWS avoidance (RFC 9293 3.8.6.2.2): announce the opened
     * window once it grew by 2 MSS or half the buffer. */
    if (t->state != TCP_CLOSED && !t->fin_rcvd &&
        (t->rcv_nxt + tcp_rcv_window(t)) - t->rcv_adv >=
            TB_MIN(2u * t->mss, t->rcap / 2) &&
        before < t->rcap)
        t->ack_now = true;
    return (int)n;
}

int tb_tcp_write(struct tb_stack *s, int ep, const void *buf, size_t len)
{
    struct tcb *t = app_tcb(s, ep);
    uint32_t n, pos, k;

    if (t == NULL)
        return TB_EBADF;
    if (t->err)
        return t->err;
    if (t->fin_queued)
        return TB_EPIPE;
    if (t->state != TCP_ESTABLISHED && t->state != TCP_CLOSE_WAIT)
        return t->state == TCP_CLOSED ? TB_ENOTCONN : TB_EAGAIN;
    n = (uint32_t)TB_MIN(len, (size_t)(t->scap - t->slen));
    n = TB_MIN(n, (uint32_t)INT32_MAX);
    if (n == 0)
        return TB_EAGAIN;
    pos = (t->shead + t->slen) % t->scap;
    k = TB_MIN(n, t->scap - pos);
    memcpy(t->sbuf + pos, buf, k);
    memcpy(t->sbuf, (const uint8_t *)buf + k, n - k);
    t->slen += n;
    tcp_output(s, t);
    return (int)n;
}

/* RFC 9293 3.10.4: CLOSE in each state. */
static void queue_fin(struct tb_stack *s, struct tcb *t)
{
    switch (t->state) {
    case TCP_SYN_RCVD:
    case TCP_ESTABLISHED:
        t->state = TCP_FIN_WAIT_1;
        break;
    case TCP_CLOSE_WAIT:
        t->state = TCP_LAST_ACK;
        break;
    default:
        return;
    }
    t->fin_queued = true;
    tcp_output(s, t);
}

int tb_tcp_shutdown(struct tb_stack *s, int ep)
{
    struct tcb *t = app_tcb(s, ep);

    if (t == NULL)
        return TB_EBADF;
    if (t->state == TCP_SYN_SENT || t->state == TCP_CLOSED)
        return TB_ENOTCONN;
    queue_fin(s, t);
    return 0;
}

static void abort_tcb(struct tb_stack *s, struct tcb *t)
{
    switch (t->state) {
    case TCP_SYN_RCVD:
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
        tcp_send_rst(s, t->local.af, t->local.ip, t->remote.ip, t->local.port,
                     t->remote.port, t->snd_nxt, 0, false);
        break;
    }
    t->app = false;
    tcb_free(s, t);
}

int tb_tcp_abort(struct tb_stack *s, int ep)
{
    int i = ep_lst(s, ep);
    struct tcb *t;

    if (i >= 0 && s->lst[i].used)
        return tb_tcp_close(s, ep);
    if ((t = app_tcb(s, ep)) == NULL)
        return TB_EBADF;
    abort_tcb(s, t);
    return 0;
}

int tb_tcp_close(struct tb_stack *s, int ep)
{
    int i = ep_lst(s, ep);
    struct tcb *t;

    if (i >= 0 && s->lst[i].used) {
        for (uint32_t j = 0; j < s->cfg.tcp_conns; j++)
            if (s->tcb[j].listener == i)
                abort_tcb(s, &s->tcb[j]);
        memset(&s->lst[i], 0, sizeof(s->lst[i]));
        return 0;
    }
    if ((t = app_tcb(s, ep)) == NULL)
        return TB_EBADF;
    if (t->rlen > 0 || t->state == TCP_SYN_SENT) {
        abort_tcb(s, t); /* RFC 2525 2.17: unread data -> RST */
        return 0;
    }
    t->app = false;
    if (t->state == TCP_CLOSED) {
        tcb_free(s, t);
        return 0;
    }
    queue_fin(s, t);
    if (t->state == TCP_FIN_WAIT_2 && t->tw_deadline == TIME_NEVER)
        t->tw_deadline = s->now + 60 * NS_PER_S;
    return 0;
}
