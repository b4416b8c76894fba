/*
 * tcp_in.c -- TCP segment arrival (RFC 9293 3.10.7), the heart of the
 * state machine: header and checksum checks, option parsing (MSS, window
 * scale), demultiplexing to a connection or listener, SYN handling with a
 * bounded SYN queue that evicts the oldest half-open connection when full
 * (SYN flood defence), the sequence acceptability test, RFC 5961 RST/SYN/
 * ACK checks with challenge ACKs, ACK processing (RTT samples per RFC 6298
 * with Karn's rule, congestion window per RFC 5681, fast retransmit and
 * NewReno recovery per RFC 6582), window updates, in-order and
 * out-of-order data placed straight into the receive ring, and FIN.
 */
#include "net_int.h"

#define TCP_MSS_DEFAULT4 536 /* RFC 9293 3.7.1 */
#define TCP_MSS_DEFAULT6 1220 /* RFC 8200 5: 1280 - 60 */

struct seg {
    uint32_t seq, ack, dlen;
    uint16_t sport, dport, win;
    uint8_t flags;
    uint16_t mss; /* 0: absent */
    int ws; /* -1: absent */
    bool sack_perm;
    uint8_t nsack;
    uint32_t sack[4][2];
    const uint8_t *data;
};

static bool parse(const uint8_t *l4, uint32_t len, struct seg *g)
{
    uint32_t doff = (uint32_t)(l4[12] >> 4) * 4;
    const uint8_t *o = l4 + TCP_HLEN, *end = l4 + doff;

    if (doff < TCP_HLEN || doff > len)
        return false;
    g->sport = tb_get16(l4);
    g->dport = tb_get16(l4 + 2);
    g->seq = tb_get32(l4 + 4);
    g->ack = tb_get32(l4 + 8);
    g->flags = l4[13] & 0x3f;
    g->win = tb_get16(l4 + 14);
    g->data = l4 + doff;
    g->dlen = len - doff;
    g->mss = 0;
    g->ws = -1;
    g->sack_perm = false;
    g->nsack = 0;
    while (o < end) {
        if (*o == 0)
            break;
        if (*o == 1) {
            o++;
            continue;
        }
        if (end - o < 2 || o[1] < 2 || o[1] > end - o)
            return false;
        if (o[0] == 2 && o[1] == 4)
            g->mss = tb_get16(o + 2);
        else if (o[0] == 3 && o[1] == 3)
            g->ws = TB_MIN(o[2], 14); /* RFC 7323 2.3 */
        else if (o[0] == 4 && o[1] == 2)
            g->sack_perm = true;
        else if (o[0] == 5 && o[1] >= 10 && (o[1] - 2) % 8 == 0)
            for (int i = 0; i < (o[1] - 2) / 8 && i < 4; i++) {
                g->sack[i][0] = tb_get32(o + 2 + 8 * i);
                g->sack[i][1] = tb_get32(o + 6 + 8 * i);
                g->nsack = (uint8_t)(i + 1);
            }
        o += o[1];
    }
    return g->sport != 0 && g->dport != 0;
}

static struct tcb *find_tcb(struct tb_stack *s, uint8_t af, const uint8_t *src,
                            const uint8_t *dst, const struct seg *g)
{
    size_t n = af_len(af);

    for (uint32_t i = 0; i < s->cfg.tcp_conns; i++) {
        struct tcb *t = &s->tcb[i];
        if (t->state != TCP_CLOSED && t->local.af == af &&
            t->local.port == g->dport && t->remote.port == g->sport &&
            memcmp(t->remote.ip, src, n) == 0 &&
            memcmp(t->local.ip, dst, n) == 0)
            return t;
    }
    return NULL;
}

static int find_listener(struct tb_stack *s, uint8_t af, const uint8_t *dst,
                         uint16_t port)
{
    int wild = -1;

    for (uint32_t i = 0; i < s->cfg.tcp_listeners; i++) {
        struct tcp_listener *l = &s->lst[i];
        if (!l->used || l->local.port != port ||
            !addr_match(&l->local, af, dst))
            continue;
        if (!ip_zero(l->local.ip, 16))
            return (int)i;
        wild = (int)i;
    }
    return wild;
}

static void reset_reply(struct tb_stack *s, uint8_t af, const uint8_t *src,
                        const uint8_t *dst, const struct seg *g)
{
    uint32_t len = g->dlen + !!(g->flags & TCP_SYN) + !!(g->flags & TCP_FIN);

    if (g->flags & TCP_RST)
        return;
    if (g->flags & TCP_ACK)
        tcp_send_rst(s, af, dst, src, g->dport, g->sport, g->ack, 0, false);
    else
        tcp_send_rst(s, af, dst, src, g->dport, g->sport, 0, g->seq + len,
                     true);
}

static void apply_syn_options(struct tb_stack *s, struct tcb *t,
                              const struct seg *g)
{
    uint32_t mine = s->cfg.mtu - TCP_HLEN -
                    (t->local.af == TB_AF_INET ? IP4_HLEN : IP6_HLEN);
    uint32_t dflt =
        t->local.af == TB_AF_INET ? TCP_MSS_DEFAULT4 : TCP_MSS_DEFAULT6;

    t->mss = (uint16_t)TB_MIN(mine, g->mss ? TB_MAX(g->mss, 64u) : dflt);
    if (g->ws >= 0 && (t->state == TCP_SYN_SENT || t->ws_ok)) {
        t->ws_ok = true;
        t->snd_ws = (uint8_t)g->ws;
    } else {
        t->ws_ok = false;
        t->snd_ws = 0;
        t->rcv_ws = 0;
    }
    /* RFC 2018 2: SACK only if both SYNs carried SACK-permitted. */
    t->sack_ok = g->sack_perm && (t->state == TCP_SYN_SENT || t->sack_ok);
    t->cwnd = TB_MIN(10u * t->mss, TB_MAX(2u * t->mss, 14600u)); /* RFC 6928 */
    t->ssthresh = 0xffffffffu;
    t->irs = g->seq;
    t->rcv_nxt = g->seq + 1;
}

static uint8_t pick_rcv_ws(uint32_t rcap)
{
    uint8_t ws = 0;

    while (ws < 14 && (rcap >> ws) > 65535)
        ws++;
    return ws;
}

static uint32_t isn(const struct tb_stack *s, const struct tcb *t)
{
    /* RFC 6528: a clock plus a keyed hash of the connection id. */
    uint8_t id[36];

    memcpy(id, t->local.ip, 16);
    memcpy(id + 16, t->remote.ip, 16);
    tb_put16(id + 32, t->local.port);
    tb_put16(id + 34, t->remote.port);
    return (uint32_t)(s->now / 4000) +
           (uint32_t)tb_hash64(id, sizeof(id), s->cfg.secret);
}

/* Initial values shared by passive and active opens. */
void tcb_open_common(struct tb_stack *s, struct tcb *t)
{
    t->iss = isn(s, t);
    t->snd_una = t->iss;
    t->snd_nxt = t->iss;
    t->snd_max = t->iss;
    t->rcv_ws = pick_rcv_ws(t->rcap);
    t->rto = NS_PER_S; /* RFC 6298 2.1 */
    t->srtt = 0;
    t->rtx_deadline = TIME_NEVER;
    t->tw_deadline = TIME_NEVER;
    t->tlp_deadline = TIME_NEVER;
    t->born = s->now;
    t->mss = TCP_MSS_DEFAULT4;
}

static struct tcb *oldest_syn(struct tb_stack *s, int li)
{
    struct tcb *o = NULL;

    for (uint32_t i = 0; i < s->cfg.tcp_conns; i++) {
        struct tcb *t = &s->tcb[i];
        if (t->state == TCP_SYN_RCVD && t->listener >= 0 &&
            (li < 0 || t->listener == li) && (o == NULL || t->born < o->born))
            o = t;
    }
    return o;
}

static void listen_input(struct tb_stack *s, int li, uint8_t af,
                         const uint8_t *src, const uint8_t *dst,
                         const struct seg *g)
{
    struct tcp_listener *l = &s->lst[li];
    struct tcb *t;

    if (g->flags & TCP_RST)
        return;
    if (g->flags & TCP_ACK) {
        reset_reply(s, af, src, dst, g);
        return;
    }
    if (!(g->flags & TCP_SYN) || dst[0] == 0xff)
        return;
    if (l->nacc >= l->backlog) {
        s->st.tcp_accept_overflow++;
        return; /* the peer retries its SYN */
    }
    if (l->nsyn + l->nacc >= l->backlog) {
        s->st.tcp_syn_evict++;
        tcb_free(s, oldest_syn(s, li));
    }
    t = tcb_alloc(s);
    if (t == NULL && (t = oldest_syn(s, -1)) != NULL) {
        s->st.tcp_syn_evict++;
        tcb_free(s, t);
        t = tcb_alloc(s);
    }
    if (t == NULL && tcb_reclaim_orphan(s))
        t = tcb_alloc(s);
    if (t == NULL) {
        s->st.nomem++;
        return;
    }
    memset(&t->local, 0, sizeof(t->local));
    memset(&t->remote, 0, sizeof(t->remote));
    t->local.af = t->remote.af = af;
    memcpy(t->local.ip, dst, af_len(af));
    memcpy(t->remote.ip, src, af_len(af));
    t->local.port = g->dport;
    t->remote.port = g->sport;
    t->state = TCP_SYN_RCVD;
    tcb_open_common(s, t);
    t->ws_ok = true; /* provisional: apply_syn_options decides */
    t->sack_ok = true;
    apply_syn_options(s, t, g);
    t->snd_wnd = g->win; /* RFC 7323 2.2: SYN windows are not scaled */
    t->max_snd_wnd = t->snd_wnd;
    t->snd_wl1 = g->seq;
    t->listener = li;
    l->nsyn++;
    tcp_send_syn(s, t);
}

/* RFC 5961 7: challenge ACKs are throttled (stack-wide, per second), so
 * they cannot be used to amplify traffic or probe for sequence numbers
 * faster than the limit. */
#define TCP_CHACK_PER_S 1000

static void challenge_ack(struct tb_stack *s, struct tcb *t)
{
    if (s->now >= s->chack_second + NS_PER_S) {
        s->chack_second = s->now;
        s->chack_count = 0;
    }
    if (s->chack_count >= TCP_CHACK_PER_S)
        return;
    s->chack_count++;
    s->st.tcp_challenge_ack++;
    tcp_send_ack(s, t);
}

static void rtt_sample(struct tcb *t, uint64_t r)
{
    /* RFC 6298 2.2 / 2.3, alpha 1/8, beta 1/4, G = 1 ms. */
    if (t->srtt == 0) {
        t->srtt = r;
        t->rttvar = r / 2;
    } else {
        uint64_t d = t->srtt > r ? t->srtt - r : r - t->srtt;
        t->rttvar = (3 * t->rttvar + d) / 4;
        t->srtt = (7 * t->srtt + r) / 8;
    }
    t->rto = t->srtt + TB_MAX(NS_PER_MS, 4 * t->rttvar);
    t->rto = TB_MAX(t->rto, 200 * NS_PER_MS); /* see DESIGN.md (net) */
    t->rto = TB_MIN(t->rto, 60 * NS_PER_S);
}

static void established(struct tb_stack *s, struct tcb *t)
{
    t->state = TCP_ESTABLISHED;
    if (t->listener >= 0) {
        struct tcp_listener *l = &s->lst[t->listener];
        l->nsyn--;
        l->nacc++;
        t->aq_next = NULL;
        if (l->acc_tail)
            l->acc_tail->aq_next = t;
        else
            l->acc_head = t;
        l->acc_tail = t;
    }
}

/* Merges the peer's SACK blocks into the scoreboard (blocks outside
 * (snd_una, snd_max] are ignored: RFC 2018 / RFC 6675 validity). */
static void sack_update(struct tcb *t, const struct seg *g)
{
    for (uint8_t k = 0; k < g->nsack; k++) {
        uint32_t a = g->sack[k][0], b = g->sack[k][1];
        uint8_t i = 0;
        if (!seq_lt(a, b) || !seq_gt(a, t->snd_una) || seq_gt(b, t->snd_max))
            continue;
        while (i < t->nsack) {
            if (seq_le(a, t->sack[i].end) && seq_ge(b, t->sack[i].start)) {
                if (seq_lt(t->sack[i].start, a))
                    a = t->sack[i].start;
                if (seq_gt(t->sack[i].end, b))
                    b = t->sack[i].end;
                t->sack[i] = t->sack[--t->nsack];
            } else {
                i++;
            }
        }
        if (t->nsack == TB_ARRAY_SIZE(t->sack))
            t->nsack--;
        t->sack[t->nsack].start = a;
        t->sack[t->nsack].end = b;
        t->nsack++;
    }
}

static uint32_t sacked_bytes(const struct tcb *t)
{
    uint32_t n = 0;

    for (uint8_t i = 0; i < t->nsack; i++)
        n += t->sack[i].end - t->sack[i].start;
    return n;
}

static void sack_trim(struct tcb *t)
{
    for (uint8_t i = 0; i < t->nsack;) {
        if (seq_le(t->sack[i].end, t->snd_una)) {
            t->sack[i] = t->sack[--t->nsack];
            continue;
        }
        if (seq_lt(t->sack[i].start, t->snd_una))
            t->sack[i].start = t->snd_una;
        i++;
    }
}

/* Retransmits the first segment from max(snd_una, rtx_hi) the peer does
 * not hold, if it lies below data the peer does hold (a hole).  Without
 * SACK information that is the segment at snd_una, once. */
static void retransmit_hole(struct tb_stack *s, struct tcb *t)
{
    uint32_t h = seq_gt(t->rtx_hi, t->snd_una) ? t->rtx_hi : t->snd_una;
    uint32_t top = t->snd_una, n;
    bool moved = true;

    for (uint8_t i = 0; i < t->nsack; i++)
        if (seq_gt(t->sack[i].end, top))
            top = t->sack[i].end;
    while (moved) {
        moved = false;
        for (uint8_t i = 0; i < t->nsack; i++)
            if (seq_ge(h, t->sack[i].start) && seq_lt(h, t->sack[i].end)) {
                h = t->sack[i].end;
                moved = true;
            }
    }
    if (t->nsack ? !seq_lt(h, top) : h != t->snd_una)
        return;
    n = TB_MIN((uint32_t)t->mss, t->slen - (h - t->snd_una));
    for (uint8_t i = 0; i < t->nsack; i++)
        if (seq_gt(t->sack[i].start, h) && t->sack[i].start - h < n)
            n = t->sack[i].start - h;
    if (n == 0 || !seq_lt(h, t->snd_una + t->slen))
        return;
    s->st.tcp_retrans++;
    tcp_send_segment(s, t, h, n, TCP_ACK);
    t->rtx_hi = h + n;
}

static void fast_retransmit(struct tb_stack *s, struct tcb *t)
{
    uint32_t flight = t->snd_max - t->snd_una;

    s->st.tcp_fast_retrans++;
    t->ssthresh = TB_MAX(flight / 2, 2u * t->mss);
    t->cwnd = t->ssthresh + 3u * t->mss;
    t->recover = t->snd_max;
    t->in_recovery = true;
    t->rtt_active = false;
    t->rtx_hi = t->snd_una;
    retransmit_hole(s, t);
    tcp_rto_arm(s, t);
}

/* Returns false if the segment must be dropped. */
static bool process_ack(struct tb_stack *s, struct tcb *t, const struct seg *g)
{
    uint32_t acked, dacked;
    uint32_t win = (uint32_t)g->win << t->snd_ws;

    if (t->sack_ok)
        sack_update(t, g);
    /* RFC 5961 5.2: too old or not yet sent: ACK and drop. */
    if (seq_gt(g->ack, t->snd_max) ||
        seq_lt(g->ack, t->snd_una - t->max_snd_wnd)) {
        challenge_ack(s, t);
        return false;
    }
    if (seq_le(g->ack, t->snd_una)) {
        /* RFC 5681 2 defines a duplicate ACK as carrying no data and
         * not changing the window.  With SACK, an ACK of snd_una that
         * reports data held above it is the loss signal, data or not
         * (in a bidirectional flow the peer's dupacks ride on its data;
         * RFC 6675 5).  Without SACK, pure ACKs count even if the window
         * moved: receivers holding out-of-order data (Linux) shrink it
         * with every dupack, which would hide the loss. */
        if (g->ack == t->snd_una && t->snd_max != t->snd_una &&
            !(g->flags & (TCP_SYN | TCP_FIN)) &&
            (g->dlen == 0 || (t->sack_ok && g->nsack > 0))) {
            ++t->dupacks;
            /* Loss: DupThresh dupacks, or SACK of our tail loss probe,
             * or DupThresh segments SACKed above snd_una (RFC 6675 4,
             * RFC 8985 7.4). */
            if (!t->in_recovery &&
                (t->dupacks >= 3 || (t->nsack && t->tlp_done) ||
                 sacked_bytes(t) >= 3u * t->mss)) {
                fast_retransmit(s, t);
            } else if (t->dupacks > 3 && t->in_recovery) {
                t->cwnd += t->mss;
                if (t->nsack) /* each dupack: one more hole (RFC 6675) */
                    retransmit_hole(s, t);
            }
        }
    } else {
        acked = g->ack - t->snd_una;
        dacked = TB_MIN(acked, t->slen);
        if (t->rtt_active && seq_ge(g->ack, t->rtt_seq)) {
            rtt_sample(t, s->now - t->rtt_start);
            t->rtt_active = false;
        }
        if (t->in_recovery) {
            if (seq_ge(g->ack, t->recover)) {
                t->in_recovery = false;
                t->cwnd = t->ssthresh;
            } else { /* RFC 6582 partial ACK: retransmit the next hole */
                t->cwnd = t->cwnd > dacked ? t->cwnd - dacked : t->mss;
                t->cwnd += t->mss;
                t->shead = (t->shead + dacked) % t->scap;
                t->slen -= dacked;
                t->snd_una = g->ack;
                sack_trim(t);
                if (!t->nsack)
                    t->rtx_hi = t->snd_una;
                retransmit_hole(s, t);
                dacked = 0;
            }
        } else if (t->cwnd < t->ssthresh) {
            t->cwnd += TB_MIN(dacked, (uint32_t)t->mss);
        } else {
            t->cwnd += TB_MAX(1u, t->mss * t->mss / t->cwnd);
        }
        t->shead = (t->shead + dacked) % t->scap;
        t->slen -= dacked;
        t->snd_una = g->ack;
        sack_trim(t);
        if (seq_lt(t->snd_nxt, t->snd_una))
            t->snd_nxt = t->snd_una;
        t->dupacks = 0;
        t->retries = 0;
        t->tlp_done = false;
        if (t->srtt)
            t->rto = TB_MAX(t->srtt + 4 * t->rttvar, 200 * NS_PER_MS);
        if (t->snd_una == t->snd_max)
            t->rtx_deadline = TIME_NEVER;
        else
            tcp_rto_arm(s, t);
    }
    /* RFC 9293 3.10.7.4: window update. */
    if (seq_lt(t->snd_wl1, g->seq) ||
        (t->snd_wl1 == g->seq && seq_le(t->snd_wl2, g->ack))) {
        t->snd_wnd = win;
        t->snd_wl1 = g->seq;
        t->snd_wl2 = g->ack;
        t->max_snd_wnd = TB_MAX(t->max_snd_wnd, win);
        if (win > 0 && t->snd_una == t->snd_max)
            t->rtx_deadline = TIME_NEVER; /* persist no longer needed */
    }
    return true;
}

static bool fin_acked(const struct tcb *t)
{
    return t->fin_sent && t->snd_una == t->snd_max && t->slen == 0;
}

/* Copies (d, n) into the receive ring at sequence (seq) (in window). */
static void ring_put(struct tcb *t, uint32_t seq, const uint8_t *d, uint32_t n)
{
    uint32_t pos = (t->rhead + t->rlen + (seq - t->rcv_nxt)) % t->rcap;
    uint32_t k = TB_MIN(n, t->rcap - pos);

    memcpy(t->rbuf + pos, d, k);
    memcpy(t->rbuf, d + k, n - k);
}

/* Records [a, b) as held out of order, merged with what it touches, and
 * puts it first: SACK blocks report the most recent first (RFC 2018 4).
 * When the table is full the oldest range is forgotten (the data stays
 * in the ring; the peer retransmits it: reneging is allowed, RFC 2018 8).
 */
static void ooo_add(struct tb_stack *s, struct tcb *t, uint32_t a, uint32_t b)
{
    uint8_t i = 0;

    s->st.tcp_ooo++;
    while (i < t->nooo) {
        if (seq_le(a, t->ooo[i].end) && seq_ge(b, t->ooo[i].start)) {
            if (seq_lt(t->ooo[i].start, a))
                a = t->ooo[i].start;
            if (seq_gt(t->ooo[i].end, b))
                b = t->ooo[i].end;
            memmove(&t->ooo[i], &t->ooo[i + 1],
                    (size_t)(t->nooo - i - 1) * sizeof(t->ooo[0]));
            t->nooo--;
        } else {
            i++;
        }
    }
    if (t->nooo == TCP_OOO_MAX)
        t->nooo--;
    memmove(&t->ooo[1], &t->ooo[0], (size_t)t->nooo * sizeof(t->ooo[0]));
    t->ooo[0].start = a;
    t->ooo[0].end = b;
    t->nooo++;
}

static void data_in(struct tb_stack *s, struct tcb *t, uint32_t seq,
                    const uint8_t *d, uint32_t n)
{
    if (n == 0)
        return;
    ring_put(t, seq, d, n);
    if (seq != t->rcv_nxt) {
        ooo_add(s, t, seq, seq + n);
        tcp_send_ack(s, t); /* RFC 5681 4.2: dupack at once */
        return;
    }
    t->rcv_nxt += n;
    t->rlen += n;
    for (bool moved = true; moved;) {
        moved = false;
        for (uint8_t i = 0; i < t->nooo; i++) {
            if (seq_gt(t->ooo[i].start, t->rcv_nxt))
                continue;
            if (seq_gt(t->ooo[i].end, t->rcv_nxt)) {
                t->rlen += t->ooo[i].end - t->rcv_nxt;
                t->rcv_nxt = t->ooo[i].end;
            }
            memmove(&t->ooo[i], &t->ooo[i + 1],
                    (size_t)(t->nooo - i - 1) * sizeof(t->ooo[0]));
            t->nooo--;
            moved = true;
            break;
        }
    }
    if (t->nooo)
        tcp_send_ack(s, t); /* filled part of a hole: tell at once */
    else
        t->ack_now = true;
}

static void syn_sent_input(struct tb_stack *s, struct tcb *t,
                           const struct seg *g)
{
    bool ack_ok = (g->flags & TCP_ACK) && seq_gt(g->ack, t->iss) &&
                  seq_le(g->ack, t->snd_max);

    if ((g->flags & TCP_ACK) && !ack_ok) {
        if (!(g->flags & TCP_RST))
            tcp_send_rst(s, t->local.af, t->local.ip, t->remote.ip,
                         t->local.port, t->remote.port, g->ack, 0, false);
        return;
    }
    if (g->flags & TCP_RST) {
        if (ack_ok)
            tcb_reset(s, t, TB_ECONNREFUSED);
        return;
    }
    if (!(g->flags & TCP_SYN))
        return;
    apply_syn_options(s, t, g);
    if (ack_ok) {
        t->snd_una = g->ack;
        if (t->retries == 0 && t->rtt_active)
            rtt_sample(t, s->now - t->rtt_start);
        t->rtt_active = false;
        t->retries = 0;
        t->rtx_deadline = TIME_NEVER;
        t->snd_wnd = (uint32_t)g->win << t->snd_ws;
        t->max_snd_wnd = t->snd_wnd;
        t->snd_wl1 = g->seq;
        t->snd_wl2 = g->ack;
        t->state = TCP_ESTABLISHED;
        tcp_send_ack(s, t);
        tcp_output(s, t);
    } else {
        t->state = TCP_SYN_RCVD; /* simultaneous open */
        t->snd_wnd = g->win;
        t->snd_wl1 = g->seq;
        tcp_send_syn(s, t);
    }
}

static bool acceptable(const struct tcb *t, const struct seg *g, uint32_t slen)
{
    uint32_t wnd = tcp_rcv_window(t), nxt = t->rcv_nxt;

    /* RFC 9293 3.10.7.4, the four cases, except that an empty segment
     * exactly at the right edge is accepted (as Linux does): a peer that
     * filled our window sends its ACKs there, and refusing them while we
     * hold out-of-order data starves both sides of ACKs. */
    if (slen == 0)
        return seq_ge(g->seq, nxt) && seq_le(g->seq, nxt + wnd);
    if (wnd == 0)
        return false;
    return (seq_ge(g->seq, nxt) && seq_lt(g->seq, nxt + wnd)) ||
           (seq_ge(g->seq + slen - 1, nxt) &&
            seq_lt(g->seq + slen - 1, nxt + wnd));
}

static void enter_time_wait(struct tb_stack *s, struct tcb *t)
{
    t->state = TCP_TIME_WAIT;
    t->rtx_deadline = TIME_NEVER;
    t->tw_deadline = s->now + 2ull * s->cfg.tcp_msl_ms * NS_PER_MS;
}

static void conn_input(struct tb_stack *s, struct tcb *t, struct seg *g)
{
    uint32_t slen = g->dlen + !!(g->flags & TCP_SYN) + !!(g->flags & TCP_FIN);
    uint32_t wnd;
    bool fin;

    if (!acceptable(t, g, slen)) {
        if (!(g->flags & TCP_RST))
            tcp_send_ack(s, t);
        return;
    }
    if (g->flags & TCP_RST) {
        /* RFC 5961 3.2: exact match resets, else challenge. */
        if (g->seq != t->rcv_nxt) {
            challenge_ack(s, t);
            return;
        }
        tcb_reset(s, t,
                  t->state == TCP_SYN_RCVD && t->listener < 0 ? TB_ECONNREFUSED
                                                              : TB_ECONNRESET);
        return;
    }
    if (g->flags & TCP_SYN) {
        /* RFC 5961 4.2: any SYN in a synchronised state. */
        challenge_ack(s, t);
        return;
    }
    if (!(g->flags & TCP_ACK))
        return;
    if (t->state == TCP_SYN_RCVD) {
        if (!seq_gt(g->ack, t->snd_una) || seq_gt(g->ack, t->snd_max)) {
            tcp_send_rst(s, t->local.af, t->local.ip, t->remote.ip,
                         t->local.port, t->remote.port, g->ack, 0, false);
            return;
        }
        t->snd_una = g->ack;
        t->snd_wnd = (uint32_t)g->win << t->snd_ws;
        t->max_snd_wnd = t->snd_wnd;
        t->snd_wl1 = g->seq;
        t->snd_wl2 = g->ack;
        t->rtx_deadline = TIME_NEVER;
        t->retries = 0;
        established(s, t);
    }
    if (!process_ack(s, t, g))
        return;
    switch (t->state) {
    case TCP_FIN_WAIT_1:
        if (fin_acked(t)) {
            t->state = TCP_FIN_WAIT_2;
            if (!t->app) /* orphaned: do not wait forever (Linux: 60 s) */
                t->tw_deadline = s->now + 60 * NS_PER_S;
        }
        break;
    case TCP_CLOSING:
        if (fin_acked(t))
            enter_time_wait(s, t);
        break;
    case TCP_LAST_ACK:
        if (fin_acked(t)) {
            tcb_reset(s, t, 0);
            return;
        }
        break;
    case TCP_TIME_WAIT:
        if (g->flags & TCP_FIN) { /* retransmitted FIN: ack, restart */
            tcp_send_ack(s, t);
            enter_time_wait(s, t);
        }
        return;
    }
    /* Trim to the window, then take the text (RFC 9293 3.10.7.4). */
    fin = (g->flags & TCP_FIN) != 0;
    if (seq_lt(g->seq, t->rcv_nxt)) {
        uint32_t cut = TB_MIN(t->rcv_nxt - g->seq, g->dlen);
        g->data += cut;
        g->dlen -= cut;
        g->seq += cut;
    }
    wnd = tcp_rcv_window(t);
    if (g->dlen > 0 && seq_gt(g->seq + g->dlen, t->rcv_nxt + wnd)) {
        g->dlen = t->rcv_nxt + wnd - g->seq;
        fin = false;
    }
    switch (t->state) {
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
        data_in(s, t, g->seq, g->data, g->dlen);
        break;
    default:
        if (g->dlen)
            t->ack_now = true; /* text after FIN: ignored, re-ACKed */
        break;
    }
    if (fin && g->seq + g->dlen == t->rcv_nxt && !t->fin_rcvd) {
        t->fin_rcvd = true;
        t->rcv_nxt++;
        tcp_send_ack(s, t);
        switch (t->state) {
        case TCP_ESTABLISHED:
            t->state = TCP_CLOSE_WAIT;
            break;
        case TCP_FIN_WAIT_1:
            if (fin_acked(t))
                enter_time_wait(s, t);
            else
                t->state = TCP_CLOSING;
            break;
        case TCP_FIN_WAIT_2:
            enter_time_wait(s, t);
            break;
        }
    } else if (fin && !t->fin_rcvd) {
        t->ack_now = true;
    }
    tcp_output(s, t);
}

void tcp_input(struct tb_stack *s, uint8_t af, const uint8_t *src,
               const uint8_t *dst, const uint8_t *l4, uint32_t len)
{
    struct seg g;
    struct tcb *t;
    int li;

    s->st.tcp_rx++;
    if (len < TCP_HLEN || !parse(l4, len, &g)) {
        s->st.tcp_drop_hdr++;
        return;
    }
    if (csum_fold(csum_add(csum_pseudo(af, src, dst, PROTO_TCP, len), l4,
                           len)) != 0) {
        s->st.tcp_drop_csum++;
        return;
    }
    t = find_tcb(s, af, src, dst, &g);
    if (t == NULL) {
        li = find_listener(s, af, dst, g.dport);
        if (li >= 0)
            listen_input(s, li, af, src, dst, &g);
        else
            reset_reply(s, af, src, dst, &g); /* RFC 9293 3.10.7.1 */
        return;
    }
    if (t->state == TCP_SYN_SENT)
        syn_sent_input(s, t, &g);
    else
        conn_input(s, t, &g);
}

void tcp_icmp_unreach(struct tb_stack *s, uint8_t af, const uint8_t *src,
                      const uint8_t *dst, const uint8_t *th)
{
    struct seg g;
    struct tcb *t;

    /* The quoted segment went from us (src) to the peer (dst). */
    g.sport = tb_get16(th + 2);
    g.dport = tb_get16(th);
    t = find_tcb(s, af, dst, src, &g);
    if (t == NULL || t->state != TCP_SYN_SENT)
        return; /* RFC 5927: only act where it cannot be abused */
    if (tb_get32(th + 4) != t->iss)
        return;
    tcb_reset(s, t, TB_ECONNREFUSED);
}
