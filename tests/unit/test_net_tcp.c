/*
 * test_net_tcp.c -- TCP in lib/net driven by a scripted peer and a fake
 * clock: passive and active open with options, data both ways, FIN
 * handshakes and TIME_WAIT, RST for closed ports, RFC 5961 challenge
 * ACKs, out-of-order data with SACK blocks, receive window exhaustion and
 * update, zero-window probes, retransmission timeouts with backoff and
 * Karn's rule, giving up, fast retransmit, SYN queue eviction.  Every test
 * ends with no packet buffer and no connection left.
 */
#include "check.h"
#include "test_net_harness.h"

static uint8_t F[H_FRAME];

struct tseg {
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t win, mss;
    int ws, sackp, nsack;
    uint32_t sack0[2];
    size_t len;
    const uint8_t *data;
};

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

static size_t arp_req(uint8_t *f)
{
    uint8_t *a = f + 14;
    h_eth(f, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 0x0806);
    h_put16(a, 1);
    h_put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    h_put16(a + 6, 1);
    memcpy(a + 8, P_MAC, 6);
    memcpy(a + 14, P_IP4, 4);
    memset(a + 18, 0, 6);
    memcpy(a + 24, H_IP4, 4);
    return 42;
}

static struct harness *start(void)
{
    struct harness *h = h_new();
    h_in(h, F, arp_req(F));
    h->nf = 0;
    return h;
}

static void finish(struct harness *h)
{
    for (int i = 0; i < 70; i++)
        h_time(h, 1000);
    CHECK_EQ(net_pkts_in_use(h->s), 0);
    CHECK_EQ(tb_stack_deadline(h->s), UINT64_MAX); /* no connection left */
    h_free_all(h);
}

/* Parses captured frame (i) as IPv4 TCP; returns 0 if it is not. */
static int parse(const struct harness *h, int i, struct tseg *o)
{
    const uint8_t *f, *t, *op;
    size_t hl, tot, doff;

    if (i < 0 || (size_t)i >= h->nf)
        return 0;
    f = h->f[i];
    if (h_get16(f + 12) != 0x0800 || f[23] != 6 || !h_ok4(f, h->len[i]))
        return 0;
    hl = (size_t)(f[14] & 15) * 4;
    tot = h_get16(f + 16);
    t = f + 14 + hl;
    doff = (size_t)(t[12] >> 4) * 4;
    memset(o, 0, sizeof(*o));
    o->seq = h_get32(t + 4);
    o->ack = h_get32(t + 8);
    o->flags = t[13];
    o->win = h_get16(t + 14);
    o->ws = -1;
    o->len = tot - hl - doff;
    o->data = t + doff;
    for (op = t + 20; op < t + doff;) {
        if (*op == 0)
            break;
        if (*op == 1) {
            op++;
            continue;
        }
        if (op[0] == 2)
            o->mss = h_get16(op + 2);
        if (op[0] == 3)
            o->ws = op[2];
        if (op[0] == 4)
            o->sackp = 1;
        if (op[0] == 5) {
            o->nsack = (op[1] - 2) / 8;
            o->sack0[0] = h_get32(op + 2);
            o->sack0[1] = h_get32(op + 6);
        }
        op += op[1];
    }
    return 1;
}

static int last(const struct harness *h, struct tseg *o)
{
    return parse(h, h_find(h, 0x0800, 6), o);
}

static int count_tcp(const struct harness *h)
{
    int n = 0;
    struct tseg o;
    for (size_t i = 0; i < h->nf; i++)
        n += parse(h, (int)i, &o);
    return n;
}

/* The scripted peer: its port, next sequence number, and what it acks. */
struct peer {
    struct harness *h;
    uint16_t port, lport;
    uint32_t seq, ack;
    uint16_t win;
};

static void send_seg(struct peer *p, uint8_t flags, const void *d, size_t n)
{
    size_t len = h_tcp4(F, p->port, p->lport, p->seq, p->ack, flags, p->win,
                        NULL, 0, d, n);
    h_in(p->h, F, len);
}

/* Opens a connection to listener port (lport) on the stack; returns the
 * accepted endpoint or -1. */
static int open_passive(struct harness *h, struct peer *p, int lep,
                        uint16_t port)
{
    static const uint8_t opt[12] = {2, 4, 0x03, 0xe8, 1, 3, 3, 2, 1, 1, 4, 2};
    struct tseg o;
    int ep;

    p->h = h;
    p->port = port;
    p->lport = 7;
    p->seq = 1000;
    p->win = 65535;
    h->nf = 0;
    h_in(h, F, h_tcp4(F, port, 7, p->seq, 0, SYN, 65535, opt, 12, NULL, 0));
    if (!last(h, &o) || o.flags != (SYN | ACK) || o.ack != 1001)
        return -1;
    p->seq = 1001;
    p->ack = o.seq + 1;
    send_seg(p, ACK, NULL, 0);
    if (tb_tcp_accept(h->s, lep, &ep, NULL) != 0)
        return -1;
    return ep;
}

static int listen7(struct harness *h)
{
    struct tb_addr any = {.port = 7};
    int lep = -1;
    tb_tcp_listen(h->s, &any, 4, &lep);
    return lep;
}

static void test_passive_open_data_close(void)
{
    static const uint8_t opt[12] = {2, 4, 0x03, 0xe8, 1, 3, 3, 2, 1, 1, 4, 2};
    struct harness *h = start();
    struct tb_event ev[8];
    struct tb_addr peer;
    struct peer p = {.h = h,
                     .port = 5000,
                     .lport = 7,
                     .seq = 1000,
                     .win = 65535};
    struct tseg o;
    char buf[64];
    int lep = listen7(h), ep, n;

    REQUIRE(lep >= 0);
    CHECK_EQ(tb_tcp_accept(h->s, lep, &ep, NULL), TB_EAGAIN);
    h_in(h, F, h_tcp4(F, 5000, 7, 1000, 0, SYN, 65535, opt, 12, NULL, 0));
    REQUIRE(last(h, &o));
    CHECK_EQ(o.flags, SYN | ACK);
    CHECK_EQ(o.ack, 1001);
    CHECK_EQ(o.mss, 1460);
    CHECK_EQ(o.ws, 0); /* 8 KiB buffer needs no scaling */
    CHECK_EQ(o.sackp, 1);
    CHECK_EQ(o.win, 8192);
    CHECK_EQ(tb_tcp_accept(h->s, lep, &ep, NULL), TB_EAGAIN);
    p.seq = 1001;
    p.ack = o.seq + 1;
    send_seg(&p, ACK, NULL, 0);
    n = net_events(h->s, ev, 8);
    REQUIRE(n == 1);
    CHECK_EQ(ev[0].ep, lep);
    REQUIRE(tb_tcp_accept(h->s, lep, &ep, &peer) == 0);
    CHECK_EQ(peer.port, 5000);
    CHECK(memcmp(peer.ip, P_IP4, 4) == 0);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, sizeof(buf)), TB_EAGAIN);
    /* Data in: readable, ACKed at the flush. */
    h->nf = 0;
    send_seg(&p, ACK | PSH, "hello", 5);
    p.seq += 5;
    REQUIRE(last(h, &o));
    CHECK_EQ(o.ack, 1006);
    CHECK_EQ(o.win, 8192 - 5);
    n = net_events(h->s, ev, 8);
    REQUIRE(n == 1);
    CHECK_EQ(ev[0].ep, ep);
    CHECK_EQ(ev[0].events, TB_EV_READ);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, sizeof(buf)), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    /* Data out. */
    h->nf = 0;
    CHECK_EQ(tb_tcp_write(h->s, ep, "world!", 6), 6);
    net_flush(h->s);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.len, 6);
    CHECK_EQ(o.seq, p.ack);
    CHECK_EQ(o.flags, ACK | PSH);
    CHECK(memcmp(o.data, "world!", 6) == 0);
    p.ack += 6;
    send_seg(&p, ACK, NULL, 0);
    /* Peer closes: ACK of FIN, EOF, then our FIN on close. */
    h->nf = 0;
    send_seg(&p, ACK | FIN, NULL, 0);
    p.seq++;
    REQUIRE(last(h, &o));
    CHECK_EQ(o.ack, p.seq);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, sizeof(buf)), 0);
    CHECK_EQ(tb_tcp_write(h->s, ep, "x", 1), 1); /* CLOSE_WAIT may send */
    h->nf = 0;
    CHECK_EQ(tb_tcp_close(h->s, ep), 0);
    net_flush(h->s);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.flags & FIN, FIN);
    CHECK_EQ(o.seq + o.len, p.ack + 1);
    p.ack += 2;
    send_seg(&p, ACK, NULL, 0);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 1), TB_EBADF);
    CHECK_EQ(tb_tcp_close(h->s, lep), 0);
    finish(h);
}

static void test_closed_port_rst(void)
{
    struct harness *h = start();
    struct tseg o;

    h_in(h, F, h_tcp4(F, 5000, 8, 777, 0, SYN, 1000, NULL, 0, NULL, 0));
    REQUIRE(last(h, &o));
    CHECK_EQ(o.flags, RST | ACK);
    CHECK_EQ(o.seq, 0);
    CHECK_EQ(o.ack, 778);
    h->nf = 0;
    h_in(h, F, h_tcp4(F, 5000, 8, 777, 4242, ACK, 1000, NULL, 0, "x", 1));
    REQUIRE(last(h, &o));
    CHECK_EQ(o.flags, RST);
    CHECK_EQ(o.seq, 4242);
    /* A RST never answers a RST; a bad checksum is a counted drop. */
    h->nf = 0;
    h_in(h, F, h_tcp4(F, 5000, 8, 777, 0, RST, 1000, NULL, 0, NULL, 0));
    CHECK_EQ(h->nf, 0);
    h_tcp4(F, 5000, 8, 777, 0, SYN, 1000, NULL, 0, NULL, 0);
    F[34 + 16] ^= 1;
    h_in(h, F, 54);
    CHECK_EQ(h->nf, 0);
    CHECK_EQ(net_stats(h->s)->tcp_drop_csum, 1);
    finish(h);
}

static void test_rfc5961(void)
{
    struct harness *h = start();
    struct peer p;
    struct tseg o;
    char buf[8];
    int lep = listen7(h), ep = open_passive(h, &p, lep, 5001);
    uint64_t ch = net_stats(h->s)->tcp_challenge_ack;

    REQUIRE(ep >= 0);
    /* RST in the window but not at rcv_nxt: challenge ACK, survives. */
    h->nf = 0;
    p.seq += 100;
    send_seg(&p, RST, NULL, 0);
    p.seq -= 100;
    REQUIRE(last(h, &o));
    CHECK_EQ(o.flags, ACK);
    CHECK_EQ(o.ack, p.seq);
    CHECK_EQ(net_stats(h->s)->tcp_challenge_ack, ch + 1);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 8), TB_EAGAIN);
    /* SYN on an established connection: challenge ACK. */
    h->nf = 0;
    send_seg(&p, SYN, NULL, 0);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.flags, ACK);
    CHECK_EQ(net_stats(h->s)->tcp_challenge_ack, ch + 2);
    /* RST outside the window: ignored silently. */
    h->nf = 0;
    p.seq += 100000;
    send_seg(&p, RST, NULL, 0);
    p.seq -= 100000;
    CHECK_EQ(h->nf, 0);
    /* ACK for data never sent: ACK back, dropped. */
    p.ack += 5000;
    send_seg(&p, ACK, "zz", 2);
    p.ack -= 5000;
    REQUIRE(last(h, &o));
    CHECK_EQ(o.ack, p.seq);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 8), TB_EAGAIN);
    /* Challenge ACKs are throttled: 1000 per second (RFC 5961 7). */
    h->nf = 0;
    for (int k = 0; k < 1200; k++) {
        send_seg(&p, SYN, NULL, 0);
        h->nf = 0;
    }
    CHECK_EQ(net_stats(h->s)->tcp_challenge_ack, ch + 1000);
    h_time(h, 1000);
    send_seg(&p, SYN, NULL, 0);
    CHECK_EQ(net_stats(h->s)->tcp_challenge_ack, ch + 1001);
    /* Exact RST: reset. */
    send_seg(&p, RST, NULL, 0);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 8), TB_ECONNRESET);
    {
        struct tb_event ev[4];
        int n = net_events(h->s, ev, 4);
        CHECK(n == 1 && (ev[0].events & TB_EV_ERR));
    }
    CHECK_EQ(tb_tcp_close(h->s, ep), 0);
    tb_tcp_close(h->s, lep);
    finish(h);
}

static void test_rto_backoff_and_giveup(void)
{
    struct harness *h = start();
    struct peer p;
    struct tseg o;
    char buf[8];
    int lep = listen7(h), ep = open_passive(h, &p, lep, 5002);
    uint64_t gaps[4];

    REQUIRE(ep >= 0);
    h->nf = 0;
    CHECK_EQ(tb_tcp_write(h->s, ep, "data", 4), 4);
    net_flush(h->s);
    CHECK_EQ(count_tcp(h), 1);
    /* Initial RTO is 1 s (RFC 6298 2.1): nothing at 999 ms. */
    h_time(h, 999);
    CHECK_EQ(count_tcp(h), 1);
    h_time(h, 1);
    CHECK_EQ(count_tcp(h), 2);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.seq, p.ack);
    CHECK_EQ(o.len, 4);
    /* Then 2 s, 4 s, 8 s (backoff). */
    for (int k = 0; k < 3; k++) {
        uint64_t t = 0;
        int before = count_tcp(h);
        while (count_tcp(h) == before && t < 100000) {
            h_time(h, 100);
            t += 100;
        }
        gaps[k] = t;
    }
    CHECK_EQ(gaps[0], 2000);
    CHECK_EQ(gaps[1], 4000);
    CHECK_EQ(gaps[2], 8000);
    /* An ACK now: Karn, no RTT sample from the retransmitted segment,
     * and the backed-off RTO stays until a fresh sample arrives. */
    p.ack += 4;
    send_seg(&p, ACK, NULL, 0);
    h->nf = 0;
    tb_tcp_write(h->s, ep, "more", 4);
    net_flush(h->s);
    /* Never acknowledged: retries end the connection (TB_ETIMEDOUT) with
     * a RST (which may wait for ARP: the scripted peer answers none). */
    {
        uint64_t rst = net_stats(h->s)->tcp_rst_tx;
        for (int i = 0; i < 20 * 60; i++)
            h_time(h, 1000);
        CHECK_EQ(net_stats(h->s)->tcp_rst_tx, rst + 1);
    }
    CHECK(net_stats(h->s)->tcp_retrans >= 12);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 8), TB_ETIMEDOUT);
    tb_tcp_close(h->s, ep);
    tb_tcp_close(h->s, lep);
    finish(h);
}

static void test_ooo_sack_and_window(void)
{
    struct harness *h = start();
    struct peer p;
    struct tseg o;
    static uint8_t big[12000], got[12000];
    int lep = listen7(h), ep = open_passive(h, &p, lep, 5003);
    int n;

    REQUIRE(ep >= 0);
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 13);
    /* Second segment first: dupack with a SACK block for it. */
    h->nf = 0;
    p.seq += 1000;
    send_seg(&p, ACK, big + 1000, 1000);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.ack, p.seq - 1000);
    CHECK_EQ(o.nsack, 1);
    CHECK_EQ(o.sack0[0], p.seq);
    CHECK_EQ(o.sack0[1], p.seq + 1000);
    p.seq -= 1000;
    send_seg(&p, ACK, big, 1000);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.ack, p.seq + 2000);
    CHECK_EQ(o.nsack, 0);
    p.seq += 2000;
    CHECK_EQ(tb_tcp_read(h->s, ep, got, sizeof(got)), 2000);
    CHECK(memcmp(got, big, 2000) == 0);
    /* Fill the 8 KiB window without reading: it closes. */
    for (int k = 0; k < 8; k++) {
        send_seg(&p, ACK, big + 2000 + k * 1024, 1024);
        p.seq += 1024;
    }
    REQUIRE(last(h, &o));
    CHECK_EQ(o.win, 0);
    CHECK_EQ(o.ack, p.seq);
    /* Data beyond a zero window is not taken: re-ACK, same ack. */
    h->nf = 0;
    send_seg(&p, ACK, "zz", 2);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.ack, p.seq);
    /* Reading reopens the window and announces it. */
    h->nf = 0;
    n = tb_tcp_read(h->s, ep, got, sizeof(got));
    CHECK_EQ(n, 8192);
    CHECK(memcmp(got, big + 2000, 8192) == 0);
    net_flush(h->s);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.win, 8192);
    tb_tcp_abort(h->s, ep);
    tb_tcp_close(h->s, lep);
    finish(h);
}

static void test_zero_window_probe(void)
{
    struct harness *h = start();
    struct peer p;
    struct tseg o;
    int lep = listen7(h), ep = open_passive(h, &p, lep, 5004);

    REQUIRE(ep >= 0);
    p.win = 0;
    send_seg(&p, ACK, NULL, 0); /* window update: zero */
    h->nf = 0;
    CHECK_EQ(tb_tcp_write(h->s, ep, "abc", 3), 3);
    net_flush(h->s);
    CHECK_EQ(count_tcp(h), 0);
    h_time(h, 1000);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.len, 1); /* one byte probe */
    CHECK_EQ(o.seq, p.ack);
    /* The window opens: the rest goes out. */
    p.win = 1000;
    send_seg(&p, ACK, NULL, 0);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.len, 2);
    CHECK_EQ(o.seq, p.ack + 1);
    p.ack += 3;
    send_seg(&p, ACK, NULL, 0);
    tb_tcp_abort(h->s, ep);
    tb_tcp_close(h->s, lep);
    finish(h);
}

/* A window smaller than the MSS that never grows (its update was lost):
 * the persist timer sends what fits (SWS override), not nothing. */
static void test_small_window_override(void)
{
    struct harness *h = start();
    struct peer p;
    struct tseg o;
    static uint8_t d[3000];
    int lep = listen7(h), ep = open_passive(h, &p, lep, 5006);

    REQUIRE(ep >= 0);
    p.win = 100; /* scaled by 4 (the peer's window scale 2): 400 bytes */
    send_seg(&p, ACK, NULL, 0);
    h->nf = 0;
    CHECK_EQ(tb_tcp_write(h->s, ep, d, sizeof(d)), 3000);
    net_flush(h->s);
    CHECK_EQ(count_tcp(h), 0); /* SWS avoidance holds it back */
    h_time(h, 1000);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.len, 400);
    CHECK_EQ(o.seq, p.ack);
    p.ack += 400;
    p.win = 65535;
    send_seg(&p, ACK, NULL, 0); /* the window opens: the rest goes */
    CHECK_EQ(count_tcp(h), 4);
    p.ack += 2600;
    send_seg(&p, ACK, NULL, 0);
    tb_tcp_abort(h->s, ep);
    tb_tcp_close(h->s, lep);
    finish(h);
}

/* Tail loss probe (RFC 8985 7): after 2 SRTT without an ACK, the last
 * segment sent is sent again -- never data beyond it. */
static void test_tail_loss_probe(void)
{
    struct harness *h = start();
    struct peer p;
    struct tseg o;
    static uint8_t d[8000];
    int lep = listen7(h), ep = open_passive(h, &p, lep, 5007);

    REQUIRE(ep >= 0);
    CHECK_EQ(tb_tcp_write(h->s, ep, d, 1000), 1000);
    net_flush(h->s);
    h_time(h, 10);
    p.ack += 1000;
    send_seg(&p, ACK, NULL, 0); /* SRTT 10 ms */
    p.win = 750; /* x4: 3000 bytes */
    send_seg(&p, ACK, NULL, 0);
    h->nf = 0;
    CHECK_EQ(tb_tcp_write(h->s, ep, d, 8000), 8000);
    net_flush(h->s);
    CHECK_EQ(count_tcp(h), 3); /* the window allows 3 segments */
    h_time(h, 19);
    CHECK_EQ(count_tcp(h), 3);
    h_time(h, 2);
    CHECK_EQ(count_tcp(h), 4);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.seq, p.ack + 2000);
    CHECK_EQ(o.len, 1000);
    p.ack += 3000;
    send_seg(&p, ACK, NULL, 0);
    tb_tcp_abort(h->s, ep);
    tb_tcp_close(h->s, lep);
    finish(h);
}

static void test_fast_retransmit(void)
{
    struct harness *h = start();
    struct peer p;
    struct tseg o;
    static uint8_t d[5000];
    int lep = listen7(h), ep = open_passive(h, &p, lep, 5005);

    REQUIRE(ep >= 0);
    h->nf = 0;
    CHECK_EQ(tb_tcp_write(h->s, ep, d, 5000), 5000);
    net_flush(h->s);
    CHECK_EQ(count_tcp(h), 5); /* MSS 1000 from the peer's option */
    /* With SACK agreed, dupacks report what the peer holds above the
     * loss: segments 2..4 arrive, segment 1 does not. */
    h->nf = 0;
    for (int i = 0; i < 3; i++) {
        uint8_t opt[12] = {1, 1, 5, 10};
        h_put32(opt + 4, p.ack + 1000);
        h_put32(opt + 8, p.ack + 2000 + 1000u * (uint32_t)i);
        h_in(h, F,
             h_tcp4(F, p.port, 7, p.seq, p.ack, ACK, 65535, opt, 12, NULL, 0));
    }
    REQUIRE(last(h, &o));
    CHECK_EQ(o.seq, p.ack);
    CHECK_EQ(o.len, 1000);
    CHECK_EQ(net_stats(h->s)->tcp_fast_retrans, 1);
    /* A fourth dupack: the next hole is past the SACKed range (4000). */
    {
        uint8_t opt[12] = {1, 1, 5, 10};
        h_put32(opt + 4, p.ack + 1000);
        h_put32(opt + 8, p.ack + 4000);
        h->nf = 0;
        h_in(h, F,
             h_tcp4(F, p.port, 7, p.seq, p.ack, ACK, 65535, opt, 12, NULL, 0));
        CHECK_EQ(count_tcp(h), 0); /* nothing below 4000 is missing */
    }
    /* Data-carrying segments without SACK are not dupacks. */
    h->nf = 0;
    for (int i = 0; i < 3; i++) {
        send_seg(&p, ACK, "d", 1);
        p.seq++;
    }
    CHECK_EQ(net_stats(h->s)->tcp_fast_retrans, 1);
    p.ack += 5000;
    send_seg(&p, ACK, NULL, 0);
    tb_tcp_abort(h->s, ep);
    tb_tcp_close(h->s, lep);
    finish(h);
}

static void test_syn_queue_eviction(void)
{
    struct harness *h = start();
    struct tb_addr any = {.port = 7};
    int lep, synacks = 0;
    struct tseg o;

    REQUIRE(tb_tcp_listen(h->s, &any, 2, &lep) == 0);
    for (uint16_t port = 6000; port < 6005; port++)
        h_in(h, F, h_tcp4(F, port, 7, 1, 0, SYN, 1000, NULL, 0, NULL, 0));
    for (size_t i = 0; i < h->nf; i++)
        synacks += parse(h, (int)i, &o) && o.flags == (SYN | ACK);
    CHECK_EQ(synacks, 5);
    CHECK_EQ(net_stats(h->s)->tcp_syn_evict, 3);
    CHECK_EQ(tb_tcp_close(h->s, lep), 0);
    finish(h);
}

/* Every slot held by a connection the application closed and whose
 * peer never answers the FIN (FIN_WAIT_1, orphaned): a new client's SYN
 * resets the oldest orphan and takes its slot, instead of being refused
 * for the orphan timeout. */
static void bug7_orphans_hold_slots(void)
{
    struct harness *h = start();
    struct peer p[8];
    struct tseg o;
    int lep = listen7(h), n = 0, rsts = 0, synacks = 0;

    REQUIRE(lep >= 0);
    for (uint16_t i = 0; i < 8; i++) { /* the harness's 8 slots */
        int ep = open_passive(h, &p[i], lep, (uint16_t)(6000 + i));
        if (ep < 0)
            break;
        CHECK_EQ(tb_tcp_close(h->s, ep), 0); /* FIN sent, never acked */
        n++;
    }
    REQUIRE(n == 8);
    h->nf = 0;
    h_in(h, F, h_tcp4(F, 7000, 7, 1, 0, SYN, 1000, NULL, 0, NULL, 0));
    for (size_t i = 0; i < h->nf; i++) {
        if (!parse(h, (int)i, &o))
            continue;
        synacks += o.flags == (SYN | ACK);
        rsts += (o.flags & RST) != 0;
    }
    CHECK_EQ(synacks, 1);
    CHECK_EQ(rsts, 1);
    CHECK_EQ(net_stats(h->s)->tcp_orphan_evict, 1);
    CHECK_EQ(tb_tcp_close(h->s, lep), 0);
    /* The other orphans give up on their FIN (retransmissions back off
     * for minutes) before finish() checks that nothing is left. */
    for (int i = 0; i < 1800; i++)
        h_time(h, 1000);
    finish(h);
}

static void test_active_open_and_time_wait(void)
{
    struct harness *h = start();
    struct tb_addr dst = {.af = TB_AF_INET, .port = 80};
    struct tb_event ev[4];
    struct peer p = {.h = h, .port = 80, .seq = 9000, .win = 4000};
    struct tseg o;
    char buf[8];
    int ep;

    memcpy(dst.ip, P_IP4, 4);
    REQUIRE(tb_tcp_connect(h->s, &dst, &ep) == 0);
    net_flush(h->s);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.flags, SYN);
    CHECK(o.mss > 0 && o.ws >= 0 && o.sackp);
    CHECK_EQ(tb_tcp_write(h->s, ep, "x", 1), TB_EAGAIN);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 8), TB_ENOTCONN);
    p.lport = (uint16_t)h_get16(h->f[h_find(h, 0x0800, 6)] + 34);
    p.ack = o.seq + 1;
    h->nf = 0;
    send_seg(&p, SYN | ACK, NULL, 0);
    p.seq++;
    REQUIRE(last(h, &o));
    CHECK_EQ(o.flags, ACK);
    CHECK_EQ(o.ack, p.seq);
    CHECK(net_events(h->s, ev, 4) == 1 && (ev[0].events & TB_EV_WRITE));
    CHECK_EQ(tb_tcp_write(h->s, ep, "GET", 3), 3);
    CHECK_EQ(tb_tcp_shutdown(h->s, ep), 0);
    CHECK_EQ(tb_tcp_write(h->s, ep, "x", 1), TB_EPIPE);
    h->nf = 0;
    net_flush(h->s);
    p.ack += 4; /* data + FIN */
    send_seg(&p, ACK, NULL, 0); /* -> FIN_WAIT_2 */
    send_seg(&p, ACK | FIN, "ok", 2); /* -> TIME_WAIT */
    p.seq += 3;
    REQUIRE(last(h, &o));
    CHECK_EQ(o.ack, p.seq);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 8), 2);
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 8), 0);
    CHECK_EQ(tb_tcp_close(h->s, ep), 0);
    /* A retransmitted FIN in TIME_WAIT is ACKed again. */
    h->nf = 0;
    p.seq -= 1;
    send_seg(&p, ACK | FIN, NULL, 0);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.ack, p.seq + 1);
    /* 2 MSL (60 s here) later the connection is gone. */
    h_time(h, 61000);
    h->nf = 0;
    send_seg(&p, ACK, NULL, 0);
    REQUIRE(last(h, &o));
    CHECK_EQ(o.flags, RST);
    finish(h);
}

static void test_connect_refused(void)
{
    struct harness *h = start();
    struct tb_addr dst = {.af = TB_AF_INET, .port = 81};
    struct tseg o;
    char buf[4];
    int ep;

    memcpy(dst.ip, P_IP4, 4);
    REQUIRE(tb_tcp_connect(h->s, &dst, &ep) == 0);
    net_flush(h->s);
    REQUIRE(last(h, &o));
    /* An unacceptable RST (wrong ack) is ignored, a matching one refuses. */
    h_in(h, F,
         h_tcp4(F, 81, h_get16(h->f[h_find(h, 0x0800, 6)] + 34), 0, o.seq + 7,
                RST | ACK, 0, NULL, 0, NULL, 0));
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 4), TB_ENOTCONN);
    h_in(h, F,
         h_tcp4(F, 81, h_get16(h->f[h_find(h, 0x0800, 6)] + 34), 0, o.seq + 1,
                RST | ACK, 0, NULL, 0, NULL, 0));
    CHECK_EQ(tb_tcp_read(h->s, ep, buf, 4), TB_ECONNREFUSED);
    CHECK_EQ(tb_tcp_close(h->s, ep), 0);
    finish(h);
}

int main(void)
{
    RUN(test_passive_open_data_close);
    RUN(test_closed_port_rst);
    RUN(test_rfc5961);
    RUN(test_rto_backoff_and_giveup);
    RUN(test_ooo_sack_and_window);
    RUN(test_zero_window_probe);
    RUN(test_small_window_override);
    RUN(test_tail_loss_probe);
    RUN(test_fast_retransmit);
    RUN(test_syn_queue_eviction);
    RUN(bug7_orphans_hold_slots);
    RUN(test_active_open_and_time_wait);
    RUN(test_connect_refused);
    return check_done();
}
