/*
 * test_net_harness.h -- shared by the lib/net unit tests (test_net_*.c)
 * and the net fuzz targets: a stack with a fake clock whose transmitted
 * frames are captured in memory, and builders for crafted frames
 * (Ethernet, ARP, IPv4, IPv6, UDP, TCP, ICMP) with correct checksums that
 * a test may then break on purpose.
 */
#ifndef TB_TEST_NET_HARNESS_H
#define TB_TEST_NET_HARNESS_H

#include <stdlib.h>
#include <string.h>
#include <tibra/net.h>

#define H_MAXF  512
#define H_FRAME 9100

struct harness {
    struct tb_stack *s;
    tb_time_t now;
    size_t nf;
    size_t len[H_MAXF];
    uint8_t f[H_MAXF][H_FRAME];
    size_t accept; /* frames the link takes per call (SIZE_MAX: all) */
};

static const uint8_t H_MAC[6] = {0x02, 0, 0, 0, 0, 0x01}; /* the stack */
static const uint8_t P_MAC[6] = {0x02, 0, 0, 0, 0, 0x02}; /* the peer */
static const uint8_t H_IP4[4] = {10, 0, 0, 2};
static const uint8_t P_IP4[4] = {10, 0, 0, 1};
static const uint8_t H_IP6[16] = {0xfd, 0, [15] = 2};
static const uint8_t P_IP6[16] = {0xfd, 0, [15] = 1};

static int h_tx(void *ctx, const struct tb_frame *fr, size_t n)
{
    struct harness *h = ctx;
    size_t k = n < h->accept ? n : h->accept;

    for (size_t i = 0; i < k; i++) {
        if (h->nf < H_MAXF && fr[i].len <= H_FRAME) {
            memcpy(h->f[h->nf], fr[i].buf, fr[i].len);
            h->len[h->nf++] = fr[i].len;
        }
    }
    return (int)k;
}

static void *h_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n);
}
static void *h_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx, (void)o;
    return realloc(p, n);
}
static void h_free(void *ctx, void *p, size_t n)
{
    (void)ctx, (void)n;
    free(p);
}
static const struct tb_alloc h_heap = {h_alloc, h_realloc, h_free, NULL};

static inline void h_config(struct net_config *c, struct harness *h)
{
    net_config_default(c);
    memcpy(c->mac, H_MAC, 6);
    memcpy(c->ip4, H_IP4, 4);
    c->ip4_prefix = 24;
    c->ip4_gw[0] = 10, c->ip4_gw[3] = 254;
    c->ip6_count = 1;
    memcpy(c->ip6[0], H_IP6, 16);
    c->ip6_prefix[0] = 64;
    c->ip6_dad = false;
    c->pkts = 256;
    c->tcp_conns = 8;
    c->tcp_rcvbuf = 8192;
    c->tcp_sndbuf = 8192;
    c->udp_queue = 8;
    c->icmp_rate = 10;
    c->secret = 42;
    c->tx = h_tx;
    c->tx_ctx = h;
}

static inline struct harness *h_new_cfg(const struct net_config *c0)
{
    struct harness *h = calloc(1, sizeof(*h));
    struct net_config c = *c0;

    h->accept = SIZE_MAX;
    h->now = 1000000000ull;
    c.tx_ctx = h;
    if (net_stack_create(&h->s, &c, &h_heap, h->now) != 0)
        abort();
    net_flush(h->s);
    h->nf = 0;
    return h;
}

static inline struct harness *h_new(void)
{
    struct net_config c;
    h_config(&c, NULL);
    return h_new_cfg(&c);
}

static inline void h_free_all(struct harness *h)
{
    net_stack_destroy(h->s);
    free(h);
}

static inline void h_in(struct harness *h, const uint8_t *f, size_t n)
{
    net_input(h->s, f, n);
    net_flush(h->s);
}

static inline void h_time(struct harness *h, uint64_t ms)
{
    h->now += ms * 1000000ull;
    net_advance(h->s, h->now);
    net_flush(h->s);
}

/* ---- checksums and builders ------------------------------------------- */

static inline uint32_t h_sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}
static inline uint16_t h_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}
static inline void h_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void h_put32(uint8_t *p, uint32_t v)
{
    h_put16(p, (uint16_t)(v >> 16));
    h_put16(p + 2, (uint16_t)v);
}
static inline uint16_t h_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t h_get32(const uint8_t *p)
{
    return (uint32_t)h_get16(p) << 16 | h_get16(p + 2);
}

static inline size_t h_eth(uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, P_MAC, 6);
    h_put16(f + 12, type);
    return 14;
}

/* IPv4 header at f+14 around (l4, n) already placed at f+34. */
static inline size_t h_ip4(uint8_t *f, uint8_t proto, uint16_t id,
                           uint16_t frag, size_t n)
{
    uint8_t *ip = f + 14;
    h_eth(f, H_MAC, 0x0800);
    ip[0] = 0x45;
    ip[1] = 0;
    h_put16(ip + 2, (uint16_t)(20 + n));
    h_put16(ip + 4, id);
    h_put16(ip + 6, frag);
    ip[8] = 64;
    ip[9] = proto;
    h_put16(ip + 10, 0);
    memcpy(ip + 12, P_IP4, 4);
    memcpy(ip + 16, H_IP4, 4);
    h_put16(ip + 10, h_fold(h_sum(0, ip, 20)));
    return 34 + n;
}

static inline size_t h_ip6(uint8_t *f, uint8_t nh, size_t n, const uint8_t *src,
                           const uint8_t *dst, uint8_t hlim)
{
    uint8_t *ip = f + 14;
    uint8_t mac[6] = {0x33, 0x33, dst[12], dst[13], dst[14], dst[15]};
    h_eth(f, dst[0] == 0xff ? mac : H_MAC, 0x86dd);
    memset(ip, 0, 40);
    ip[0] = 0x60;
    h_put16(ip + 4, (uint16_t)n);
    ip[6] = nh;
    ip[7] = hlim;
    memcpy(ip + 8, src, 16);
    memcpy(ip + 24, dst, 16);
    return 54 + n;
}

/* Transport checksum at (ck_off) inside (l4, n) with the pseudo header. */
static inline void h_l4sum(uint8_t *l4, size_t n, size_t ck_off, int af,
                           const uint8_t *src, const uint8_t *dst,
                           uint8_t proto)
{
    size_t al = af == 6 ? 16 : 4;
    uint32_t s = h_sum(0, src, al);
    s = h_sum(s, dst, al);
    s += proto + (uint32_t)n;
    h_put16(l4 + ck_off, 0);
    h_put16(l4 + ck_off, h_fold(h_sum(s, l4, n)));
}

static inline size_t h_udp4(uint8_t *f, uint16_t sport, uint16_t dport,
                            const void *data, size_t n)
{
    uint8_t *u = f + 34;
    h_put16(u, sport);
    h_put16(u + 2, dport);
    h_put16(u + 4, (uint16_t)(8 + n));
    memcpy(u + 8, data, n);
    h_l4sum(u, 8 + n, 6, 4, P_IP4, H_IP4, 17);
    return h_ip4(f, 17, 1, 0, 8 + n);
}

static inline size_t h_udp6(uint8_t *f, uint16_t sport, uint16_t dport,
                            const void *data, size_t n)
{
    uint8_t *u = f + 54;
    h_put16(u, sport);
    h_put16(u + 2, dport);
    h_put16(u + 4, (uint16_t)(8 + n));
    memcpy(u + 8, data, n);
    h_l4sum(u, 8 + n, 6, 6, P_IP6, H_IP6, 17);
    return h_ip6(f, 17, 8 + n, P_IP6, H_IP6, 64);
}

/* A TCP segment from the peer (v4) with optional options (olen % 4 == 0). */
static inline size_t h_tcp4(uint8_t *f, uint16_t sport, uint16_t dport,
                            uint32_t seq, uint32_t ack, uint8_t flags,
                            uint16_t win, const uint8_t *opt, size_t olen,
                            const void *data, size_t n)
{
    uint8_t *t = f + 34;
    memset(t, 0, 20);
    h_put16(t, sport);
    h_put16(t + 2, dport);
    h_put32(t + 4, seq);
    h_put32(t + 8, ack);
    t[12] = (uint8_t)(((20 + olen) / 4) << 4);
    t[13] = flags;
    h_put16(t + 14, win);
    if (olen)
        memcpy(t + 20, opt, olen);
    if (n)
        memcpy(t + 20 + olen, data, n);
    h_l4sum(t, 20 + olen + n, 16, 4, P_IP4, H_IP4, 6);
    return h_ip4(f, 6, 7, 0x4000, 20 + olen + n);
}

/* Finds the last captured frame with EtherType (type) and IP protocol
 * (proto) (0: any); returns its index or -1. */
static inline int h_find(const struct harness *h, uint16_t type, uint8_t proto)
{
    for (int i = (int)h->nf - 1; i >= 0; i--) {
        const uint8_t *f = h->f[i];
        if (h_get16(f + 12) != type)
            continue;
        if (proto == 0 || (type == 0x0800 && f[14 + 9] == proto) ||
            (type == 0x86dd && f[14 + 6] == proto))
            return i;
    }
    return -1;
}

/* Verifies the IPv4 header checksum and the transport checksum. */
static inline int h_ok4(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14;
    size_t hl = (size_t)(ip[0] & 15) * 4, tot = h_get16(ip + 2);
    uint32_t s;
    if (len < 14 + tot || h_fold(h_sum(0, ip, hl)) != 0)
        return 0;
    if (ip[9] != 6 && ip[9] != 17 && ip[9] != 1)
        return 1;
    if (ip[9] == 1)
        return h_fold(h_sum(0, ip + hl, tot - hl)) == 0;
    s = h_sum(0, ip + 12, 8) + ip[9] + (uint32_t)(tot - hl);
    return h_fold(h_sum(s, ip + hl, tot - hl)) == 0;
}

static inline int h_ok6(const uint8_t *f)
{
    const uint8_t *ip = f + 14;
    size_t n = h_get16(ip + 4);
    uint32_t s = h_sum(0, ip + 8, 32) + ip[6] + (uint32_t)n;
    return h_fold(h_sum(s, ip + 40, n)) == 0;
}

#endif /* TB_TEST_NET_HARNESS_H */
