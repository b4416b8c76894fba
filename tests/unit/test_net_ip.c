/*
 * test_net_ip.c -- lib/net below TCP, fed crafted frames with a fake
 * clock: Ethernet filtering, ARP (replies, cache, pending queue bound,
 * timeouts, gratuitous ARP), IPv4 header checks, ICMP echo and errors with
 * rate limiting, UDP (checksums, queues, zero-copy receive, port
 * unreachable), IPv4 and IPv6 reassembly (out of order, overlap,
 * duplicates, timeout), IPv6 (NDP, DAD, extension headers, parameter
 * problems), outgoing fragmentation.  Every test ends with no packet
 * buffer in use.
 */
#include "check.h"
#include "test_net_harness.h"

static uint8_t F[H_FRAME];

static size_t arp(uint8_t *f, uint16_t op, const uint8_t *spa,
                  const uint8_t *tpa);
static size_t icmp6(uint8_t *f, const uint8_t *src, const uint8_t *dst,
                    const uint8_t *body, size_t n, uint8_t hlim);

/* The peer introduces itself: an ARP request and an NS for our
 * addresses, so the stack knows its MAC for both families. */
static void learn(struct harness *h)
{
    uint8_t ns[32] = {135}, sn[16] = {0xff, 2, [11] = 1, [12] = 0xff, [15] = 2};
    memcpy(ns + 8, H_IP6, 16);
    ns[24] = 1;
    ns[25] = 1;
    memcpy(ns + 26, P_MAC, 6);
    h_in(h, F, arp(F, 1, P_IP4, H_IP4));
    h_in(h, F, icmp6(F, P_IP6, sn, ns, 32, 255));
    h->nf = 0;
}

static void done(struct harness *h)
{
    for (int i = 0; i < 5; i++) /* frames waiting for resolution give up */
        h_time(h, 1000);
    net_flush(h->s);
    CHECK_EQ(net_pkts_in_use(h->s), 0);
    h_free_all(h);
}

static void test_gratuitous_arp(void)
{
    struct harness *h = calloc(1, sizeof(*h));
    struct net_config c;

    h_config(&c, h);
    h->accept = SIZE_MAX;
    REQUIRE(net_stack_create(&h->s, &c, &h_heap, 1) == 0);
    net_flush(h->s);
    REQUIRE(h->nf >= 1);
    /* Broadcast ARP request whose sender and target are our address. */
    CHECK(memcmp(h->f[0], "\xff\xff\xff\xff\xff\xff", 6) == 0);
    CHECK_EQ(h_get16(h->f[0] + 12), 0x0806);
    CHECK(memcmp(h->f[0] + 14 + 14, H_IP4, 4) == 0);
    CHECK(memcmp(h->f[0] + 14 + 24, H_IP4, 4) == 0);
    done(h);
}

static size_t arp(uint8_t *f, uint16_t op, const uint8_t *spa,
                  const uint8_t *tpa)
{
    uint8_t *a = f + 14;
    h_eth(f, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", 0x0806);
    h_put16(a, 1);
    h_put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    h_put16(a + 6, op);
    memcpy(a + 8, P_MAC, 6);
    memcpy(a + 14, spa, 4);
    memset(a + 18, 0, 6);
    memcpy(a + 24, tpa, 4);
    return 42;
}

static void test_arp_reply_and_learn(void)
{
    struct harness *h = h_new();
    const uint8_t other[4] = {10, 0, 0, 9};
    size_t n = arp(F, 1, P_IP4, H_IP4);
    int i;

    h_in(h, F, n);
    REQUIRE(h->nf == 1);
    CHECK_EQ(h_get16(h->f[0] + 14 + 6), 2); /* reply */
    CHECK(memcmp(h->f[0], P_MAC, 6) == 0);
    CHECK(memcmp(h->f[0] + 14 + 8, H_MAC, 6) == 0);
    CHECK(memcmp(h->f[0] + 14 + 14, H_IP4, 4) == 0);
    /* Learned the peer: an echo request is answered without ARP. */
    h->nf = 0;
    {
        uint8_t *ic = F + 34;
        memset(ic, 0, 8 + 32);
        ic[0] = 8;
        h_put16(ic + 4, 0x1234);
        h_put16(ic + 2, h_fold(h_sum(0, ic, 40)));
        n = h_ip4(F, 1, 3, 0, 40);
    }
    h_in(h, F, n);
    REQUIRE((i = h_find(h, 0x0800, 1)) >= 0);
    CHECK_EQ(h->f[i][34], 0); /* echo reply */
    CHECK(h_ok4(h->f[i], h->len[i]));
    CHECK(memcmp(h->f[i], P_MAC, 6) == 0);
    /* A request for someone else is not answered. */
    h->nf = 0;
    h_in(h, F, arp(F, 1, P_IP4, other));
    CHECK_EQ(h->nf, 0);
    /* Malformed ARP (hlen 5) is a counted drop. */
    arp(F, 1, P_IP4, H_IP4);
    F[14 + 4] = 5;
    h_in(h, F, 42);
    CHECK_EQ(h->nf, 0);
    CHECK(net_stats(h->s)->arp_drop >= 1);
    done(h);
}

static void test_arp_pending_and_timeout(void)
{
    struct harness *h = h_new();
    struct tb_addr local = {.af = TB_AF_INET, .port = 53};
    struct tb_dgram d = {
        .peer = {.af = TB_AF_INET, .port = 99, .ip = {10, 0, 0, 7}},
        .data = (const uint8_t *)"x",
        .len = 1};
    int ep, arps = 0;

    REQUIRE(tb_udp_bind(h->s, &local, &ep) == 0);
    for (int i = 0; i < 10; i++)
        CHECK_EQ(tb_udp_send(h->s, ep, &d, 1), 1);
    net_flush(h->s);
    /* One ARP request, no UDP yet; only 4 datagrams queued. */
    CHECK_EQ(h->nf, 1);
    CHECK_EQ(h_get16(h->f[0] + 12), 0x0806);
    CHECK_EQ(net_stats(h->s)->arp_pending_drop, 6);
    /* Retried each second, three times in all, then given up. */
    h->nf = 0;
    for (int s = 0; s < 5; s++)
        h_time(h, 1000);
    for (size_t i = 0; i < h->nf; i++)
        arps += h_get16(h->f[i] + 12) == 0x0806;
    CHECK_EQ(arps, 2);
    CHECK_EQ(net_stats(h->s)->arp_pending_drop, 10);
    CHECK_EQ(tb_stack_deadline(h->s), UINT64_MAX);
    /* Resolution releases the queue. */
    h->nf = 0;
    for (int i = 0; i < 3; i++)
        tb_udp_send(h->s, ep, &d, 1);
    {
        uint8_t ip7[4] = {10, 0, 0, 7};
        size_t n = arp(F, 2, ip7, H_IP4);
        memcpy(F, H_MAC, 6);
        h_in(h, F, n);
    }
    CHECK_EQ(h_find(h, 0x0800, 17) >= 0, 1);
    {
        int udps = 0;
        for (size_t i = 0; i < h->nf; i++)
            udps += h_get16(h->f[i] + 12) == 0x0800;
        CHECK_EQ(udps, 3);
    }
    tb_udp_close(h->s, ep);
    done(h);
}

static void test_ip4_header_checks(void)
{
    struct harness *h = h_new();
    const struct net_stats *st = net_stats(h->s);
    size_t n = h_udp4(F, 1000, 7, "abcd", 4);
    uint64_t hdr = st->ip4_drop_hdr, ck = st->ip4_drop_csum;

    F[14] = 0x55; /* version 5 */
    h_in(h, F, n);
    CHECK_EQ(st->ip4_drop_hdr, hdr + 1);
    n = h_udp4(F, 1000, 7, "abcd", 4);
    F[14] = 0x44; /* IHL 4 */
    h_in(h, F, n);
    CHECK_EQ(st->ip4_drop_hdr, hdr + 2);
    n = h_udp4(F, 1000, 7, "abcd", 4);
    h_in(h, F, n - 1); /* total length beyond the frame */
    CHECK_EQ(st->ip4_drop_hdr, hdr + 3);
    n = h_udp4(F, 1000, 7, "abcd", 4);
    F[14 + 10] ^= 1; /* header checksum */
    h_in(h, F, n);
    CHECK_EQ(st->ip4_drop_csum, ck + 1);
    n = h_udp4(F, 1000, 7, "abcd", 4);
    F[14 + 12] = 224; /* multicast source */
    h_in(h, F, n);
    h_in(h, F, 10); /* runt */
    CHECK_EQ(h->nf, 0);
    done(h);
}

/* IPv4 options are skipped (IHL 6); an unknown protocol gets ICMP
 * protocol unreachable (RFC 1122 3.2.2.1); a broadcast one does not. */
static void test_ip4_options_and_proto_unreach(void)
{
    struct harness *h = h_new();
    struct tb_addr any = {.port = 7};
    struct tb_dgram d;
    uint8_t *ip = F + 14;
    int ep, i;

    learn(h);
    REQUIRE(tb_udp_bind(h->s, &any, &ep) == 0);
    h_udp4(F, 1000, 7, "opt", 3);
    memmove(F + 38, F + 34, 11); /* make room for 4 option bytes */
    memset(F + 34, 1, 4); /* NOPs */
    ip[0] = 0x46;
    h_put16(ip + 2, 24 + 11);
    h_put16(ip + 10, 0);
    h_put16(ip + 10, h_fold(h_sum(0, ip, 24)));
    h_in(h, F, 14 + 24 + 11);
    REQUIRE(tb_udp_recv(h->s, ep, &d, 1) == 1);
    CHECK(d.len == 3 && memcmp(d.data, "opt", 3) == 0);
    memset(F + 34, 0, 8);
    h_in(h, F, h_ip4(F, 99, 5, 0, 8));
    REQUIRE((i = h_find(h, 0x0800, 1)) >= 0);
    CHECK_EQ(h->f[i][34], 3);
    CHECK_EQ(h->f[i][35], 2);
    CHECK(h_ok4(h->f[i], h->len[i]));
    h->nf = 0;
    h_ip4(F, 99, 6, 0, 8);
    memset(ip + 16, 0xff, 4); /* limited broadcast */
    h_put16(ip + 10, 0);
    h_put16(ip + 10, h_fold(h_sum(0, ip, 20)));
    h_in(h, F, 42);
    CHECK_EQ(h->nf, 0);
    tb_udp_close(h->s, ep);
    done(h);
}

static void test_udp_recv_send(void)
{
    struct harness *h = h_new();
    struct tb_addr any = {.port = 7};
    struct tb_dgram d[4];
    int ep, i;
    size_t n;

    learn(h);
    REQUIRE(tb_udp_bind(h->s, &any, &ep) == 0);
    {
        int ep2;
        CHECK_EQ(tb_udp_bind(h->s, &any, &ep2), TB_EADDRINUSE);
    }
    n = h_udp4(F, 1000, 7, "hello", 5);
    h_in(h, F, n);
    n = h_udp4(F, 1001, 7, "bad!", 4);
    F[34 + 8] ^= 0xff; /* payload: checksum now wrong */
    h_in(h, F, n);
    n = h_udp4(F, 1002, 7, "nock", 4);
    h_put16(F + 34 + 6, 0); /* IPv4: zero means no checksum */
    h_in(h, F, n);
    CHECK_EQ(net_stats(h->s)->udp_drop_csum, 1);
    REQUIRE(tb_udp_recv(h->s, ep, d, 4) == 2);
    CHECK_EQ(d[0].len, 5);
    CHECK(memcmp(d[0].data, "hello", 5) == 0);
    CHECK_EQ(d[0].peer.port, 1000);
    CHECK(memcmp(d[0].peer.ip, P_IP4, 4) == 0);
    CHECK(memcmp(d[0].local.ip, H_IP4, 4) == 0);
    CHECK_EQ(d[1].peer.port, 1002);
    /* Echo both back (the data stays valid until the next recv). */
    h->nf = 0;
    CHECK_EQ(tb_udp_send(h->s, ep, d, 2), 2);
    net_flush(h->s);
    REQUIRE(h->nf == 2);
    CHECK(h_ok4(h->f[0], h->len[0]));
    CHECK_EQ(h_get16(h->f[0] + 34), 7);
    CHECK_EQ(h_get16(h->f[0] + 36), 1000);
    CHECK(memcmp(h->f[0] + 42, "hello", 5) == 0);
    CHECK_EQ(tb_udp_recv(h->s, ep, d, 4), TB_EAGAIN);
    /* The queue is bounded (udp_queue = 8). */
    for (i = 0; i < 12; i++)
        h_in(h, F, h_udp4(F, 1000, 7, "q", 1));
    CHECK_EQ(net_stats(h->s)->udp_drop_full, 4);
    CHECK_EQ(tb_udp_close(h->s, ep), 0);
    CHECK_EQ(tb_udp_close(h->s, ep), TB_EBADF);
    done(h);
}

static void test_udp_port_unreachable_rate_limited(void)
{
    struct harness *h = h_new();
    int errs = 0;

    learn(h);
    for (int i = 0; i < 50; i++)
        h_in(h, F, h_udp4(F, 1000, 9999, "x", 1));
    for (size_t i = 0; i < h->nf; i++) {
        const uint8_t *f = h->f[i];
        if (h_get16(f + 12) == 0x0800 && f[23] == 1) {
            CHECK_EQ(f[34], 3);
            CHECK_EQ(f[35], 3);
            CHECK(h_ok4(f, h->len[i]));
            /* The quote starts with the offending IPv4 header. */
            CHECK(memcmp(f + 42 + 12, P_IP4, 4) == 0);
            errs++;
        }
    }
    CHECK_EQ(errs, 10); /* icmp_rate = 10 per second, burst 10 */
    CHECK(net_stats(h->s)->icmp_rate_limited >= 40);
    h->nf = 0;
    h_time(h, 1000);
    h_in(h, F, h_udp4(F, 1000, 9999, "x", 1));
    CHECK_EQ(h->nf, 1);
    done(h);
}

/* Cuts a UDP datagram into IPv4 fragments of (per) payload bytes. */
static size_t frag4(uint8_t *f, const uint8_t *udp, size_t off, size_t len,
                    bool more, uint16_t id)
{
    memcpy(f + 34, udp + off, len);
    return h_ip4(f, 17, id, (uint16_t)((more ? 0x2000 : 0) | off / 8), len);
}

static void make_udp(uint8_t *u, size_t plen)
{
    h_put16(u, 1000);
    h_put16(u + 2, 7);
    h_put16(u + 4, (uint16_t)(8 + plen));
    for (size_t i = 0; i < plen; i++)
        u[8 + i] = (uint8_t)(i * 7);
    h_l4sum(u, 8 + plen, 6, 4, P_IP4, H_IP4, 17);
}

static void test_ip4_reassembly(void)
{
    struct harness *h = h_new();
    struct tb_addr any = {.port = 7};
    static uint8_t u[3008];
    struct tb_dgram d;
    int ep;

    make_udp(u, 3000);
    learn(h);
    REQUIRE(tb_udp_bind(h->s, &any, &ep) == 0);
    /* Out of order, with an exact duplicate. */
    h_in(h, F, frag4(F, u, 2400, 608, false, 77));
    h_in(h, F, frag4(F, u, 1200, 1200, true, 77));
    h_in(h, F, frag4(F, u, 1200, 1200, true, 77));
    CHECK_EQ(tb_udp_recv(h->s, ep, &d, 1), TB_EAGAIN);
    h_in(h, F, frag4(F, u, 0, 1200, true, 77));
    REQUIRE(tb_udp_recv(h->s, ep, &d, 1) == 1);
    CHECK_EQ(d.len, 3000);
    CHECK(memcmp(d.data, u + 8, 3000) == 0);
    CHECK_EQ(net_stats(h->s)->frag_done, 1);
    /* Overlap (RFC 5722 rule): the whole datagram is discarded. */
    h_in(h, F, frag4(F, u, 0, 1200, true, 78));
    h_in(h, F, frag4(F, u, 1192, 1200, true, 78));
    h_in(h, F, frag4(F, u, 2400, 608, false, 78));
    CHECK_EQ(net_stats(h->s)->frag_overlap, 1);
    CHECK_EQ(tb_udp_recv(h->s, ep, &d, 1), TB_EAGAIN);
    /* Non-final fragment not a multiple of 8: dropped. */
    h_in(h, F, frag4(F, u, 0, 1001, true, 79));
    CHECK(net_stats(h->s)->frag_drop >= 1);
    /* Timeout: ICMP time exceeded (reassembly) after 30 s. */
    h->nf = 0;
    h_in(h, F, frag4(F, u, 0, 1200, true, 80));
    h_time(h, 29000);
    CHECK_EQ(net_stats(h->s)->frag_timeout, 0);
    h_time(h, 2000);
    /* 78's last fragment came after the discard and timed out too. */
    CHECK_EQ(net_stats(h->s)->frag_timeout, 2);
    {
        int i = h_find(h, 0x0800, 1);
        REQUIRE(i >= 0);
        CHECK_EQ(h->f[i][34], 11);
        CHECK_EQ(h->f[i][35], 1);
    }
    /* Too large for reasm_max (16384): dropped, no buffer leaked. */
    h_in(h, F, frag4(F, u, 0, 8, true, 81));
    memset(F + 34, 0, 8);
    {
        uint64_t drops = net_stats(h->s)->frag_drop;
        h_in(h, F, h_ip4(F, 17, 81, 0x2000 | (20000 / 8), 8));
        CHECK_EQ(net_stats(h->s)->frag_drop, drops + 1);
    }
    tb_udp_close(h->s, ep);
    done(h);
}

static void test_udp_send_fragments(void)
{
    struct harness *h = h_new();
    struct tb_addr any = {.port = 7};
    static uint8_t big[4000];
    struct tb_dgram d = {.peer = {.af = TB_AF_INET, .port = 1000},
                         .data = big,
                         .len = sizeof(big)};
    int ep;
    size_t total = 0;

    memcpy(d.peer.ip, P_IP4, 4);
    h_in(h, F, arp(F, 1, P_IP4, H_IP4)); /* learn the peer */
    h->nf = 0;
    REQUIRE(tb_udp_bind(h->s, &any, &ep) == 0);
    CHECK_EQ(tb_udp_send(h->s, ep, &d, 1), 1);
    net_flush(h->s);
    REQUIRE(h->nf == 3);
    for (size_t i = 0; i < h->nf; i++) {
        const uint8_t *ip = h->f[i] + 14;
        CHECK(h->len[i] <= 1514);
        CHECK_EQ(h_fold(h_sum(0, ip, 20)), 0);
        CHECK_EQ((h_get16(ip + 6) & 0x1fff) * 8, total);
        CHECK_EQ(!!(h_get16(ip + 6) & 0x2000), i < 2);
        total += h_get16(ip + 2) - 20u;
    }
    CHECK_EQ(total, 4008);
    tb_udp_close(h->s, ep);
    done(h);
}

/* ---- IPv6 --------------------------------------------------------------- */

static size_t icmp6(uint8_t *f, const uint8_t *src, const uint8_t *dst,
                    const uint8_t *body, size_t n, uint8_t hlim)
{
    memcpy(f + 54, body, n);
    h_l4sum(f + 54, n, 2, 6, src, dst, 58);
    return h_ip6(f, 58, n, src, dst, hlim);
}

static void test_ndp(void)
{
    struct harness *h = h_new();
    uint8_t ns[32] = {135}, sn[16] = {0xff, 2, [11] = 1, [12] = 0xff, [15] = 2};
    int i;

    memcpy(ns + 8, H_IP6, 16);
    ns[24] = 1;
    ns[25] = 1;
    memcpy(ns + 26, P_MAC, 6);
    h_in(h, F, icmp6(F, P_IP6, sn, ns, 32, 255));
    REQUIRE((i = h_find(h, 0x86dd, 58)) >= 0);
    CHECK_EQ(h->f[i][54], 136);
    CHECK_EQ(h->f[i][58] & 0x60, 0x60); /* solicited, override */
    CHECK(memcmp(h->f[i] + 62, H_IP6, 16) == 0);
    CHECK(memcmp(h->f[i], P_MAC, 6) == 0);
    CHECK_EQ(h->f[i][14 + 7], 255);
    CHECK(h_ok6(h->f[i]));
    /* Hop limit not 255: ignored (RFC 4861 7.1.1). */
    h->nf = 0;
    h_in(h, F, icmp6(F, P_IP6, sn, ns, 32, 64));
    CHECK_EQ(h->nf, 0);
    /* Echo to our address, answered from the learned neighbour. */
    {
        uint8_t e[16] = {128, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g'};
        h_in(h, F, icmp6(F, P_IP6, H_IP6, e, 16, 64));
        REQUIRE((i = h_find(h, 0x86dd, 58)) >= 0);
        CHECK_EQ(h->f[i][54], 129);
        CHECK(memcmp(h->f[i] + 62, "ping", 4) == 0);
        CHECK(h_ok6(h->f[i]));
    }
    done(h);
}

static void test_dad(void)
{
    struct net_config c;
    struct harness *h;
    uint8_t ns[24] = {135}, sn[16] = {0xff, 2, [11] = 1, [12] = 0xff, [15] = 2};
    uint8_t e[8] = {128};
    const uint8_t unspec[16] = {0};

    h_config(&c, NULL);
    c.ip6_dad = true;
    h = h_new_cfg(&c);
    /* Tentative: echo to it is not answered. */
    h_in(h, F, icmp6(F, P_IP6, H_IP6, e, 8, 64));
    CHECK_EQ(h->nf, 0);
    /* Another node's DAD for the same address: ours is a duplicate. */
    memcpy(ns + 8, H_IP6, 16);
    h_in(h, F, icmp6(F, unspec, sn, ns, 24, 255));
    h_time(h, 1500);
    h->nf = 0;
    h_in(h, F, icmp6(F, P_IP6, H_IP6, e, 8, 64));
    CHECK_EQ(h->nf, 0);
    h_free_all(h);
    /* Without a conflict the address is usable after 1 s. */
    h = h_new_cfg(&c);
    h_time(h, 1100);
    h->nf = 0;
    h_in(h, F, icmp6(F, P_IP6, H_IP6, e, 8, 64));
    CHECK(h->nf >= 1); /* NS for the peer (not yet known) or the reply */
    done(h);
}

static void test_ip6_ext_headers(void)
{
    struct harness *h = h_new();
    struct tb_addr any = {.port = 7};
    struct tb_dgram d;
    int ep, i;
    size_t n;

    REQUIRE(tb_udp_bind(h->s, &any, &ep) == 0);
    learn(h); /* so errors are sent straight away */
    /* Zero UDP checksum over IPv6: dropped (RFC 8200 8.1). */
    n = h_udp6(F, 1000, 7, "zz", 2);
    h_put16(F + 54 + 6, 0);
    h_in(h, F, n);
    CHECK_EQ(tb_udp_recv(h->s, ep, &d, 1), TB_EAGAIN);
    /* Hop-by-hop (PadN) + destination options (Pad1s) + UDP: delivered. */
    {
        uint8_t u[16];
        n = h_udp6(F, 1000, 7, "ok", 2);
        memcpy(u, F + 54, 10);
        memmove(F + 54 + 16, u, 10);
        F[54] = 60;
        F[55] = 0;
        F[56] = 1;
        F[57] = 4;
        memset(F + 58, 0, 4);
        F[62] = 17;
        F[63] = 0;
        memset(F + 64, 0, 6);
        n = h_ip6(F, 0, 26, P_IP6, H_IP6, 64);
        h_in(h, F, n);
        REQUIRE(tb_udp_recv(h->s, ep, &d, 1) == 1);
        CHECK(memcmp(d.data, "ok", 2) == 0);
    }
    /* Unknown next header: parameter problem code 1 -> offset 6. */
    h->nf = 0;
    memset(F + 54, 0, 8);
    h_in(h, F, h_ip6(F, 253, 8, P_IP6, H_IP6, 64));
    REQUIRE((i = h_find(h, 0x86dd, 58)) >= 0);
    CHECK_EQ(h->f[i][54], 4);
    CHECK_EQ(h->f[i][55], 1);
    CHECK_EQ(h_get32(h->f[i] + 58), 6);
    CHECK(h_ok6(h->f[i]));
    /* Routing type 0 with segments left: refused, pointer to its type. */
    h->nf = 0;
    memset(F + 54, 0, 24);
    F[54] = 59;
    F[55] = 2;
    F[56] = 0;
    F[57] = 1;
    h_in(h, F, h_ip6(F, 43, 24, P_IP6, H_IP6, 64));
    REQUIRE((i = h_find(h, 0x86dd, 58)) >= 0);
    CHECK_EQ(h->f[i][54], 4);
    CHECK_EQ(h->f[i][55], 0);
    CHECK_EQ(h_get32(h->f[i] + 58), 40 + 2);
    /* Hop-by-hop after another header: parameter problem code 1. */
    h->nf = 0;
    memset(F + 54, 0, 16);
    F[54] = 0; /* dst opts -> hop-by-hop */
    F[62] = 59;
    h_in(h, F, h_ip6(F, 60, 16, P_IP6, H_IP6, 64));
    REQUIRE((i = h_find(h, 0x86dd, 58)) >= 0);
    CHECK_EQ(h->f[i][55], 1);
    CHECK_EQ(h_get32(h->f[i] + 58), 40);
    /* Unknown option with action 10: parameter problem code 2. */
    h->nf = 0;
    memset(F + 54, 0, 8);
    F[54] = 59;
    F[56] = 0x80;
    F[57] = 4;
    h_in(h, F, h_ip6(F, 60, 8, P_IP6, H_IP6, 64));
    REQUIRE((i = h_find(h, 0x86dd, 58)) >= 0);
    CHECK_EQ(h->f[i][55], 2);
    CHECK_EQ(h_get32(h->f[i] + 58), 42);
    /* UDP to a closed port: destination unreachable, port (code 4). */
    h->nf = 0;
    h_in(h, F, h_udp6(F, 1000, 8, "x", 1));
    REQUIRE((i = h_find(h, 0x86dd, 58)) >= 0);
    CHECK_EQ(h->f[i][54], 1);
    CHECK_EQ(h->f[i][55], 4);
    tb_udp_close(h->s, ep);
    done(h);
}

static void test_ip6_reassembly(void)
{
    struct harness *h = h_new();
    struct tb_addr any = {.port = 7};
    static uint8_t u[2008];
    struct tb_dgram d;
    int ep;

    h_put16(u, 1000);
    h_put16(u + 2, 7);
    h_put16(u + 4, 2008);
    for (int i = 0; i < 2000; i++)
        u[8 + i] = (uint8_t)(i ^ 0x5a);
    h_l4sum(u, 2008, 6, 6, P_IP6, H_IP6, 17);
    REQUIRE(tb_udp_bind(h->s, &any, &ep) == 0);
    for (int k = 1; k >= 0; k--) { /* second half first */
        size_t off = (size_t)k * 1000, len = k ? 1008 : 1000;
        F[54] = 17;
        F[55] = 0;
        h_put16(F + 56, (uint16_t)(off | (k ? 0 : 1)));
        h_put32(F + 58, 0xabcd);
        memcpy(F + 62, u + off, len);
        h_in(h, F, h_ip6(F, 44, 8 + len, P_IP6, H_IP6, 64));
    }
    REQUIRE(tb_udp_recv(h->s, ep, &d, 1) == 1);
    CHECK_EQ(d.len, 2000);
    CHECK(memcmp(d.data, u + 8, 2000) == 0);
    tb_udp_close(h->s, ep);
    done(h);
}

int main(void)
{
    RUN(test_gratuitous_arp);
    RUN(test_arp_reply_and_learn);
    RUN(test_arp_pending_and_timeout);
    RUN(test_ip4_header_checks);
    RUN(test_ip4_options_and_proto_unreach);
    RUN(test_udp_recv_send);
    RUN(test_udp_port_unreachable_rate_limited);
    RUN(test_ip4_reassembly);
    RUN(test_udp_send_fragments);
    RUN(test_ndp);
    RUN(test_dad);
    RUN(test_ip6_ext_headers);
    RUN(test_ip6_reassembly);
    return check_done();
}
