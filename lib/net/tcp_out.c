/*
 * tcp_out.c -- building and sending TCP segments (RFC 9293 3.1): the
 * header with options on SYNs (MSS, window scale RFC 7323 2, SACK
 * permitted) and SACK blocks on pure ACKs while out-of-order data is held
 * (RFC 2018), the payload copied from the connection's send ring, the checksum
 * over the pseudo header; tcp_output() sends what the send window, the
 * congestion window (RFC 5681) and the queue allow, then the FIN; RSTs for
 * segments that have no connection (RFC 9293 3.10.7.1).  No Nagle (applications
 * write whole messages), no timestamps, no urgent data.
 */
#include "net_int.h"

static uint16_t adv_window(struct tcb *t, uint8_t flags)
{
    uint32_t w = tcp_rcv_window(t);

    if (flags & TCP_SYN) /* RFC 7323 2.2: never scaled in a SYN */
        return (uint16_t)TB_MIN(w, 65535u);
    t->rcv_adv = t->rcv_nxt + (TB_MIN(w >> t->rcv_ws, 65535u) << t->rcv_ws);
    return (uint16_t)TB_MIN(w >> t->rcv_ws, 65535u);
}

static uint32_t our_mss(const struct tb_stack *s, uint8_t af)
{
    return s->cfg.mtu - (af == TB_AF_INET ? IP4_HLEN : IP6_HLEN) - TCP_HLEN;
}

int tcp_send_segment(struct tb_stack *s, struct tcb *t, uint32_t seq,
                     uint32_t len, uint8_t flags)
{
    uint8_t af = t->local.af, *h;
    uint32_t hl = TCP_HLEN, off, sum;
    struct pkt *p = pkt_alloc_tx(s, ETH_HLEN + IP6_HLEN + TCP_HLEN + 40);

    if (p == NULL)
        return TB_ENOMEM;
    h = p->data;
    if (flags & TCP_SYN) {
        uint32_t m = our_mss(s, af);
        h[20] = 2; /* MSS */
        h[21] = 4;
        tb_put16(h + 22, (uint16_t)TB_MIN(m, 65535u));
        hl += 4;
        if (t->ws_ok || t->state == TCP_SYN_SENT) {
            h[24] = 1; /* NOP, window scale */
            h[25] = 3;
            h[26] = 3;
            h[27] = t->rcv_ws;
            hl += 4;
        }
        if (t->sack_ok || t->state == TCP_SYN_SENT) {
            h[hl] = 1; /* NOP, NOP, SACK permitted (RFC 2018 2) */
            h[hl + 1] = 1;
            h[hl + 2] = 4;
            h[hl + 3] = 2;
            hl += 4;
        }
    } else if (len == 0 && t->sack_ok && t->nooo > 0 && (flags & TCP_ACK)) {
        /* RFC 2018 3/4: up to 4 blocks, the most recent first. */
        uint8_t n = (uint8_t)TB_MIN(t->nooo, 4);
        h[20] = 1;
        h[21] = 1;
        h[22] = 5;
        h[23] = (uint8_t)(2 + 8 * n);
        for (uint8_t i = 0; i < n; i++) {
            tb_put32(h + 24 + 8 * i, t->ooo[i].start);
            tb_put32(h + 28 + 8 * i, t->ooo[i].end);
        }
        hl += 4 + 8u * n;
    }
    tb_put16(h, t->local.port);
    tb_put16(h + 2, t->remote.port);
    tb_put32(h + 4, seq);
    tb_put32(h + 8, (flags & TCP_ACK) ? t->rcv_nxt : 0);
    h[12] = (uint8_t)((hl / 4) << 4);
    h[13] = flags;
    tb_put16(h + 14, adv_window(t, flags));
    tb_put16(h + 16, 0);
    tb_put16(h + 18, 0);
    if (len > 0) {
        /* Payload from the send ring at (seq - snd_una), maybe wrapped. */
        uint32_t k;
        off = (t->shead + (seq - t->snd_una)) % t->scap;
        k = TB_MIN(len, t->scap - off);
        memcpy(h + hl, t->sbuf + off, k);
        memcpy(h + hl + k, t->sbuf, len - k);
    }
    p->len = hl + len;
    sum = csum_pseudo(af, t->local.ip, t->remote.ip, PROTO_TCP, p->len);
    tb_put16(h + 16, csum_fold(csum_add(sum, h, p->len)));
    if (flags & TCP_ACK)
        t->ack_now = false;
    if (af == TB_AF_INET)
        return ip4_output(s, p, t->local.ip, t->remote.ip, PROTO_TCP, 64);
    return ip6_output(s, p, t->local.ip, t->remote.ip, PROTO_TCP, 64);
}

void tcp_send_ack(struct tb_stack *s, struct tcb *t)
{
    tcp_send_segment(s, t, t->snd_nxt, 0, TCP_ACK);
}

void tcp_send_syn(struct tb_stack *s, struct tcb *t)
{
    uint8_t fl = TCP_SYN | (t->state == TCP_SYN_RCVD ? TCP_ACK : 0);

    tcp_send_segment(s, t, t->iss, 0, fl);
    if (seq_lt(t->snd_nxt, t->iss + 1))
        t->snd_nxt = t->iss + 1;
    t->snd_max = t->iss + 1;
    if (t->rtx_deadline == TIME_NEVER)
        t->rtx_deadline = s->now + t->rto;
}

void tcp_send_rst(struct tb_stack *s, uint8_t af, const uint8_t *src,
                  const uint8_t *dst, uint16_t sport, uint16_t dport,
                  uint32_t seq, uint32_t ack, bool with_ack)
{
    struct pkt *p = pkt_alloc_tx(s, ETH_HLEN + IP6_HLEN + TCP_HLEN);
    uint8_t *h;
    uint32_t sum;

    if (p == NULL)
        return;
    h = p->data;
    memset(h, 0, TCP_HLEN);
    tb_put16(h, sport);
    tb_put16(h + 2, dport);
    tb_put32(h + 4, seq);
    tb_put32(h + 8, with_ack ? ack : 0);
    h[12] = 5 << 4;
    h[13] = TCP_RST | (with_ack ? TCP_ACK : 0);
    p->len = TCP_HLEN;
    sum = csum_pseudo(af, src, dst, PROTO_TCP, TCP_HLEN);
    tb_put16(h + 16, csum_fold(csum_add(sum, h, TCP_HLEN)));
    s->st.tcp_rst_tx++;
    if (af == TB_AF_INET)
        ip4_output(s, p, src, dst, PROTO_TCP, 64);
    else
        ip6_output(s, p, src, dst, PROTO_TCP, 64);
}

void tcp_rto_arm(struct tb_stack *s, struct tcb *t)
{
    t->rtx_deadline = s->now + t->rto;
    /* RFC 8985 7.2: a tail loss probe after PTO = 2 SRTT (at least 2 ms
     * here), once per episode, so a loss at the end of a flight is
     * reported by SACK instead of waiting for the RTO. */
    if (t->sack_ok && t->srtt && !t->tlp_done && !t->in_recovery &&
        t->state == TCP_ESTABLISHED) {
        tb_time_t pto = TB_MAX(2 * t->srtt, 2 * NS_PER_MS);
        t->tlp_deadline =
            s->now + pto < t->rtx_deadline ? s->now + pto : TIME_NEVER;
    } else {
        t->tlp_deadline = TIME_NEVER;
    }
}

void tcp_send_tlp(struct tb_stack *s, struct tcb *t)
{
    /* The probe repeats the highest segment sent (never beyond snd_max,
     * never the FIN's sequence number). */
    uint32_t end = seq_lt(t->snd_max, t->snd_una + t->slen)
                       ? t->snd_max
                       : t->snd_una + t->slen,
             seq, n;

    t->tlp_deadline = TIME_NEVER;
    if (t->snd_una == t->snd_max || t->in_recovery || t->tlp_done)
        return;
    t->tlp_done = true;
    s->st.tcp_retrans++;
    /* New data if the window allows, else the last segment again. */
    if (seq_lt(t->snd_nxt, t->snd_una + t->slen) &&
        seq_lt(t->snd_nxt - t->snd_una, TB_MIN(t->snd_wnd, t->cwnd))) {
        tcp_output(s, t);
        return;
    }
    if (!seq_lt(t->snd_una, end))
        return;
    seq = seq_gt(end - t->mss, t->snd_una) ? end - t->mss : t->snd_una;
    n = end - seq;
    tcp_send_segment(s, t, seq, n, TCP_ACK);
}

static bool can_send(const struct tcb *t)
{
    switch (t->state) {
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
    case TCP_FIN_WAIT_1:
    case TCP_CLOSING:
    case TCP_LAST_ACK:
        return true;
    default:
        return false;
    }
}

void tcp_output(struct tb_stack *s, struct tcb *t)
{
    bool sws = false;

    if (!can_send(t))
        return;
    for (;;) {
        uint32_t sent = t->snd_nxt - t->snd_una;
        uint32_t wnd = TB_MIN(t->snd_wnd, t->cwnd);
        uint32_t inflight = sent;
        if (sent < t->slen) {
            uint32_t avail = t->slen - sent, n;
            if (inflight >= wnd)
                break;
            n = TB_MIN(TB_MIN(avail, wnd - inflight), (uint32_t)t->mss);
            /* Sender SWS avoidance (RFC 9293 3.8.6.2.1): a short segment
             * only if it is all we have or half the peer's max window;
             * the persist timer overrides it when nothing is in flight. */
            if (n < t->mss && n < avail && n < t->max_snd_wnd / 2) {
                sws = true;
                break;
            }
            if (tcp_send_segment(s, t, t->snd_nxt, n,
                                 TCP_ACK | (n == avail ? TCP_PSH : 0)) != 0)
                break;
            if (!t->rtt_active && t->snd_nxt == t->snd_max) {
                t->rtt_active = true; /* Karn: only new data is timed */
                t->rtt_seq = t->snd_nxt;
                t->rtt_start = s->now;
            }
            t->snd_nxt += n;
        } else if (t->fin_queued && sent == t->slen) {
            if (tcp_send_segment(s, t, t->snd_nxt, 0, TCP_ACK | TCP_FIN) != 0)
                break;
            t->fin_sent = true;
            t->snd_nxt++;
        } else {
            break;
        }
        if (seq_gt(t->snd_nxt, t->snd_max))
            t->snd_max = t->snd_nxt;
        if (t->rtx_deadline == TIME_NEVER)
            tcp_rto_arm(s, t);
    }
    /* Data waiting behind a zero or too small window with nothing in
     * flight: the persist timer probes it (RFC 9293 3.8.6.1), so a lost
     * window update cannot stall the connection. */
    if (t->snd_una == t->snd_max && t->slen > 0 && (t->snd_wnd == 0 || sws) &&
        t->rtx_deadline == TIME_NEVER)
        tcp_rto_arm(s, t);
}
