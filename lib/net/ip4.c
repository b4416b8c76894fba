/*
 * ip4.c -- IPv4 for a host (RFC 791, RFC 1122 3.2.1): ip4_input() checks
 * the header once (version, IHL, total length against the frame, header
 * checksum, source and destination classes), reassembles fragments
 * through reasm.c and hands the payload to ICMP, UDP or TCP, answering an
 * unknown protocol with ICMP protocol unreachable.  ip4_output() prepends
 * the header, routes (on-link, else the default gateway) and fragments
 * datagrams larger than the MTU (RFC 791 3.2).  No forwarding, no
 * options processing (options are skipped), no multicast groups.
 */
#include "net_int.h"

#define IP4_DF      0x4000
#define IP4_MF      0x2000
#define IP4_OFFMASK 0x1fff

bool ip4_is_local(const struct tb_stack *s, const uint8_t *a)
{
    return s->cfg.ip4_prefix != 0 && memcmp(a, s->cfg.ip4, 4) == 0;
}

static bool is_bcast(const struct tb_stack *s, const uint8_t *a)
{
    return memcmp(a, "\xff\xff\xff\xff", 4) == 0 ||
           (s->ip4_mask != 0xffffffffu && memcmp(a, s->ip4_bcast, 4) == 0);
}

/* RFC 1122 3.2.1.3: a source that is broadcast, multicast, loopback or
 * class E is bogus. */
static bool bad_src(const struct tb_stack *s, const uint8_t *a)
{
    return is_bcast(s, a) || a[0] >= 224 || a[0] == 127;
}

static void deliver(struct tb_stack *s, struct pkt *p, const uint8_t *ip,
                    uint32_t hl, uint32_t tot, bool unicast)
{
    const uint8_t *src = ip + 12, *dst = ip + 16, *l4 = ip + hl;
    uint32_t len = tot - hl;

    switch (ip[9]) {
    case PROTO_ICMP:
        icmp_input(s, p, src, dst, l4, len);
        return;
    case PROTO_UDP:
        udp_input(s, p, TB_AF_INET, src, dst, l4, len, ip, tot);
        return;
    case PROTO_TCP:
        if (unicast)
            tcp_input(s, TB_AF_INET, src, dst, l4, len);
        break;
    default:
        /* RFC 1122 3.2.2.1: protocol unreachable. */
        if (unicast)
            icmp_error(s, 3, 2, 0, ip, tot);
        s->st.ip4_drop_addr++;
    }
    pkt_free(s, p);
}

void ip4_input(struct tb_stack *s, struct pkt *p)
{
    const uint8_t *ip = p->data;
    uint32_t hl, tot, off;
    uint16_t fl;
    bool unicast;

    s->st.ip4_rx++;
    if (p->len < IP4_HLEN || (ip[0] >> 4) != 4 || (ip[0] & 15) < 5) {
        s->st.ip4_drop_hdr++;
        goto drop;
    }
    hl = (uint32_t)(ip[0] & 15) * 4;
    tot = tb_get16(ip + 2);
    if (hl > p->len || tot < hl || tot > p->len) {
        s->st.ip4_drop_hdr++;
        goto drop;
    }
    if (csum_fold(csum_add(0, ip, hl)) != 0) {
        s->st.ip4_drop_csum++;
        goto drop;
    }
    p->len = tot; /* drop Ethernet padding */
    unicast = ip4_is_local(s, ip + 16);
    if ((!unicast && !is_bcast(s, ip + 16)) || bad_src(s, ip + 12)) {
        s->st.ip4_drop_addr++;
        goto drop;
    }
    fl = tb_get16(ip + 6);
    off = (uint32_t)(fl & IP4_OFFMASK) * 8;
    if ((fl & IP4_MF) || off != 0) {
        struct pkt *whole;
        s->st.frag_rx++;
        if ((fl & IP4_MF) && ((tot - hl) % 8 != 0 || tot == hl)) {
            s->st.frag_drop++; /* RFC 791: non-last fragments: 8n bytes */
            goto drop;
        }
        whole =
            reasm_add(s, TB_AF_INET, ip + 12, ip + 16, tb_get16(ip + 4), ip[9],
                      ip, hl, off, ip + hl, tot - hl, (fl & IP4_MF) != 0);
        pkt_free(s, p);
        if (whole == NULL)
            return;
        ip = whole->data;
        deliver(s, whole, ip, hl, whole->len, unicast);
        return;
    }
    deliver(s, p, ip, hl, tot, unicast);
    return;
drop:
    pkt_free(s, p);
}

int ip4_route(const struct tb_stack *s, const uint8_t *dst, uint8_t *nh)
{
    if (s->cfg.ip4_prefix == 0)
        return TB_ENETUNREACH;
    if (((tb_get32(dst) ^ tb_get32(s->cfg.ip4)) & s->ip4_mask) == 0 ||
        memcmp(dst, "\xff\xff\xff\xff", 4) == 0) {
        memcpy(nh, dst, 4);
        return 0;
    }
    if (ip_zero(s->cfg.ip4_gw, 4))
        return TB_ENETUNREACH;
    memcpy(nh, s->cfg.ip4_gw, 4);
    return 0;
}

static void put_hdr(struct tb_stack *s, uint8_t *h, uint32_t tot, uint16_t id,
                    uint16_t fl, uint8_t proto, uint8_t ttl, const uint8_t *src,
                    const uint8_t *dst)
{
    h[0] = 0x45;
    h[1] = 0;
    tb_put16(h + 2, (uint16_t)tot);
    tb_put16(h + 4, id);
    tb_put16(h + 6, fl);
    h[8] = ttl;
    h[9] = proto;
    h[10] = h[11] = 0;
    memcpy(h + 12, src, 4);
    memcpy(h + 16, dst, 4);
    tb_put16(h + 10, csum_fold(csum_add(0, h, IP4_HLEN)));
    (void)s;
}

/* Copies [off, off + n) of the concatenation (a, an) ++ (b, bn) to (to). */
static void gather(uint8_t *to, const uint8_t *a, uint32_t an, const uint8_t *b,
                   uint32_t off, uint32_t n)
{
    if (off < an) {
        uint32_t k = TB_MIN(n, an - off);
        memcpy(to, a + off, k);
        to += k;
        off += k;
        n -= k;
    }
    if (n)
        memcpy(to, b + (off - an), n);
}

/* RFC 791 3.2: sends (h, hl) ++ (d, dl) (transport header and payload) as
 * fragments of at most mtu bytes, each in its own frame buffer. */
int ip4_output_frags(struct tb_stack *s, const uint8_t *src, const uint8_t *dst,
                     uint8_t proto, const uint8_t *h, uint32_t hl,
                     const uint8_t *d, uint32_t dl)
{
    uint32_t per = (s->cfg.mtu - IP4_HLEN) & ~7u, off = 0, total = hl + dl;
    uint16_t id = s->ip4_id++;
    uint8_t nh[4];
    int err = ip4_route(s, dst, nh);

    if (err != 0)
        return err;
    if (total > 65535 - IP4_HLEN)
        return TB_EINVAL;
    while (off < total) {
        uint32_t n = TB_MIN(per, total - off);
        bool more = off + n < total;
        struct pkt *f = pkt_alloc_tx(s, ETH_HLEN + IP4_HLEN);
        if (f == NULL)
            return TB_ENOMEM;
        gather(f->data, h, hl, d, off, n);
        f->data -= IP4_HLEN;
        f->len = n + IP4_HLEN;
        put_hdr(s, f->data, f->len, id,
                (uint16_t)((more ? IP4_MF : 0) | (off / 8)), proto, 64, src,
                dst);
        eth_output_ip(s, f, TB_AF_INET, nh);
        off += n;
    }
    return 0;
}

int ip4_output(struct tb_stack *s, struct pkt *p, const uint8_t *src,
               const uint8_t *dst, uint8_t proto, uint8_t ttl)
{
    uint8_t nh[4];
    int err = ip4_route(s, dst, nh);

    if (err != 0) {
        pkt_free(s, p);
        return err;
    }
    assert(p->len + IP4_HLEN <= s->cfg.mtu);
    p->data -= IP4_HLEN;
    p->len += IP4_HLEN;
    /* DF on whole datagrams: path MTU discovery is the peer's business for
     * TCP; small UDP answers fit. */
    put_hdr(s, p->data, p->len, s->ip4_id++, proto == PROTO_TCP ? IP4_DF : 0,
            proto, ttl, src, dst);
    eth_output_ip(s, p, TB_AF_INET, nh);
    return 0;
}
