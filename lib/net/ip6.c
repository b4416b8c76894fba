/*
 * ip6.c -- IPv6 for a host (RFC 8200): addresses (static ones plus the
 * link-local one made from the MAC, RFC 4862 5.3 / RFC 4291 2.5.1), DAD
 * (RFC 4862 5.4: one NS per address, 1 s, before it is used), input
 * checks, the extension headers a host must process (hop-by-hop first
 * only, destination options, routing: segments left 0 ignored, else type
 * 0 (RFC 5095) and every other type refused with a parameter problem;
 * fragment -> reasm.c; unknown option types acted on per their high bits;
 * unknown next header -> parameter problem, RFC 8200 4), dispatch to
 * ICMPv6, UDP and TCP, and output with routing (on-link prefixes and
 * link-local, else the configured router) and fragmentation.  No SLAAC,
 * no router discovery, no MLD reports (the TAP link delivers every
 * multicast frame), no forwarding.
 */
#include "net_int.h"

#define NH_HOP     0
#define NH_ROUTING 43
#define NH_FRAG    44
#define NH_NONE    59
#define NH_DSTOPT  60

void net_ip6_linklocal(const uint8_t mac[6], uint8_t out[16])
{
    memset(out, 0, 16);
    out[0] = 0xfe;
    out[1] = 0x80;
    out[8] = mac[0] ^ 0x02; /* modified EUI-64: flip the U/L bit */
    out[9] = mac[1];
    out[10] = mac[2];
    out[11] = 0xff;
    out[12] = 0xfe;
    out[13] = mac[3];
    out[14] = mac[4];
    out[15] = mac[5];
}

static bool is_linklocal(const uint8_t *a)
{
    return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/* Index of (a) among our addresses (tentative ones too), or -1. */
int ip6_local_index(const struct tb_stack *s, const uint8_t *a)
{
    for (int i = 0; i < s->nip6; i++)
        if (memcmp(s->ip6[i], a, 16) == 0)
            return i;
    return -1;
}

bool ip6_is_local(const struct tb_stack *s, const uint8_t *a)
{
    int i = ip6_local_index(s, a);
    return i >= 0 && s->ip6_tentative[i] == 0;
}

/* All-nodes, or the solicited-node group of one of our addresses. */
static bool our_multicast(const struct tb_stack *s, const uint8_t *a)
{
    static const uint8_t all[16] = {0xff, 2, [15] = 1};
    static const uint8_t sn[13] = {0xff, 2, [11] = 1, [12] = 0xff};

    if (memcmp(a, all, 16) == 0)
        return true;
    if (memcmp(a, sn, 13) != 0)
        return false;
    for (int i = 0; i < s->nip6; i++)
        if (memcmp(s->ip6[i] + 13, a + 13, 3) == 0)
            return true;
    return false;
}

void ip6_pick_src(const struct tb_stack *s, const uint8_t *dst, uint8_t *src)
{
    /* RFC 6724 in brief: link-local for link-scope destinations, else
     * the first usable global address, else link-local. */
    if (!is_linklocal(dst) && !(dst[0] == 0xff && (dst[1] & 15) <= 2))
        for (int i = 1; i < s->nip6; i++)
            if (s->ip6_tentative[i] == 0) {
                memcpy(src, s->ip6[i], 16);
                return;
            }
    memcpy(src, s->ip6[0], 16);
}

void ip6_start(struct tb_stack *s)
{
    const struct net_config *c = &s->cfg;

    if (c->ip6_disable)
        return;
    net_ip6_linklocal(c->mac, s->ip6[0]);
    s->ip6_plen[0] = 64;
    s->nip6 = 1;
    for (int i = 0; i < c->ip6_count; i++) {
        memcpy(s->ip6[s->nip6], c->ip6[i], 16);
        s->ip6_plen[s->nip6] = c->ip6_prefix[i];
        s->nip6++;
    }
    for (int i = 0; i < s->nip6; i++) {
        s->ip6_tentative[i] = c->ip6_dad ? 1 : 0;
        if (c->ip6_dad)
            nd_solicit(s, s->ip6[i], true, NULL);
        else
            nd_advert_unsolicited(s, s->ip6[i]);
    }
    if (c->ip6_dad)
        s->dad_next = s->now + NS_PER_S; /* RFC 4861 RETRANS_TIMER */
}

void ip6_dad_timer(struct tb_stack *s)
{
    if (s->dad_next == 0 || s->now < s->dad_next)
        return;
    s->dad_next = 0;
    for (int i = 0; i < s->nip6; i++)
        if (s->ip6_tentative[i]) {
            s->ip6_tentative[i] = 0;
            nd_advert_unsolicited(s, s->ip6[i]);
        }
}

/*
 * Walks the TLV options of a hop-by-hop or destination options header
 * (h, n) at offset (base) in the packet.  Returns 0 to go on, -1 to drop
 * silently, or the pointer+1 of an option to report (RFC 8200 4.2).
 */
static long walk_options(const uint8_t *h, uint32_t n, uint32_t base,
                         bool mcast, bool *report)
{
    uint32_t i = 2;

    *report = false;
    while (i < n) {
        uint8_t t = h[i];
        if (t == 0) { /* Pad1 */
            i++;
            continue;
        }
        if (i + 2 > n || i + 2 + h[i + 1] > n)
            return -1;
        if (t != 1) { /* not PadN: unrecognised */
            switch (t >> 6) {
            case 0:
                break;
            case 1:
                return -1;
            case 3:
                if (mcast)
                    return -1;
                /* FALLTHROUGH */
            case 2:
                *report = true;
                return (long)(base + i) + 1;
            }
        }
        i += 2u + h[i + 1];
    }
    return 0;
}

static void deliver6(struct tb_stack *s, struct pkt *p, const uint8_t *ip,
                     uint32_t tot, uint32_t off, uint8_t nh, bool unicast)
{
    const uint8_t *src = ip + 8, *dst = ip + 24;

    switch (nh) {
    case PROTO_ICMP6:
        icmp6_input(s, p, src, dst, ip + off, tot - off, ip[7]);
        return;
    case PROTO_UDP:
        udp_input(s, p, TB_AF_INET6, src, dst, ip + off, tot - off, ip, tot);
        return;
    case PROTO_TCP:
        if (unicast)
            tcp_input(s, TB_AF_INET6, src, dst, ip + off, tot - off);
        break;
    }
    pkt_free(s, p);
}

/* Processes the header chain of (p) (a whole datagram); consumes it. */
static void ip6_chain(struct tb_stack *s, struct pkt *p, bool unicast,
                      bool mcast)
{
    const uint8_t *ip = p->data;
    uint32_t tot = p->len, off = IP6_HLEN, nh_off = 6;
    uint8_t nh = ip[6];
    long bad;
    bool rep;

    for (;;) {
        const uint8_t *h = ip + off;
        uint32_t hl;
        switch (nh) {
        case NH_HOP:
        case NH_DSTOPT:
        case NH_ROUTING:
            if (nh == NH_HOP && off != IP6_HLEN) {
                bad = (long)nh_off + 1; /* hop-by-hop only first */
                rep = true;
                goto param_nh;
            }
            if (off + 8 > tot || off + (hl = 8u + 8u * h[1]) > tot)
                goto drop_ext;
            if (nh == NH_ROUTING) {
                /* RFC 8200 4.4, RFC 5095: we route nothing. */
                if (h[3] != 0) {
                    if (unicast)
                        icmp6_error(s, 4, 0, off + 2, ip, tot);
                    goto drop_ext;
                }
            } else if ((bad = walk_options(h, hl, off, mcast, &rep)) != 0) {
                if (bad > 0 && rep)
                    icmp6_error(s, 4, 2, (uint32_t)(bad - 1), ip, tot);
                goto drop_ext;
            }
            nh_off = off;
            nh = h[0];
            off += hl;
            continue;
        case NH_FRAG: {
            uint16_t fo;
            struct pkt *whole;
            uint8_t hdr[IP6_HLEN];
            if (off + 8 > tot)
                goto drop_ext;
            fo = tb_get16(h + 2);
            if ((fo & 0xfff8) == 0 && !(fo & 1)) {
                /* Atomic fragment (RFC 6946): process in place. */
                nh_off = off;
                nh = h[0];
                off += 8;
                continue;
            }
            s->st.frag_rx++;
            if ((fo & 1) && (tot - off - 8) % 8 != 0) {
                if (unicast) /* RFC 8200 4.5: point at Payload Length */
                    icmp6_error(s, 4, 0, 4, ip, tot);
                goto drop_ext;
            }
            memcpy(hdr, ip, IP6_HLEN);
            hdr[6] = h[0];
            whole = reasm_add(s, TB_AF_INET6, ip + 8, ip + 24, tb_get32(h + 4),
                              0, hdr, IP6_HLEN, fo & 0xfff8, h + 8,
                              tot - off - 8, fo & 1);
            pkt_free(s, p);
            if (whole != NULL)
                ip6_chain(s, whole, unicast, mcast);
            return;
        }
        case NH_NONE:
            pkt_free(s, p);
            return;
        case PROTO_ICMP6:
        case PROTO_UDP:
        case PROTO_TCP:
            deliver6(s, p, ip, tot, off, nh, unicast);
            return;
        default:
            /* RFC 8200 4: unrecognised Next Header -> code 1. */
            bad = (long)nh_off + 1;
            rep = true;
            goto param_nh;
        }
    }
param_nh:
    if (unicast)
        icmp6_error(s, 4, 1, (uint32_t)(bad - 1), ip, tot);
drop_ext:
    s->st.ip6_drop_ext++;
    pkt_free(s, p);
}

void ip6_input(struct tb_stack *s, struct pkt *p)
{
    const uint8_t *ip = p->data;
    uint32_t plen;
    int li;
    bool mcast;

    s->st.ip6_rx++;
    if (s->nip6 == 0 || p->len < IP6_HLEN || (ip[0] >> 4) != 6 ||
        (plen = tb_get16(ip + 4)) + IP6_HLEN > p->len) {
        s->st.ip6_drop_hdr++;
        goto drop;
    }
    p->len = plen + IP6_HLEN;
    mcast = ip[24] == 0xff;
    li = ip6_local_index(s, ip + 24);
    /* RFC 4291 2.7: multicast is never a source.  A tentative address
     * only takes NS/NA (RFC 4862 5.4), which arrive at multicast groups
     * or are handled by icmp6_input. */
    if (ip[8] == 0xff || (li < 0 && !(mcast && our_multicast(s, ip + 24))) ||
        (li >= 0 && s->ip6_tentative[li] && ip[6] != PROTO_ICMP6)) {
        s->st.ip6_drop_addr++;
        goto drop;
    }
    ip6_chain(s, p, li >= 0, mcast);
    return;
drop:
    pkt_free(s, p);
}

static int route6(const struct tb_stack *s, const uint8_t *dst, uint8_t *nh)
{
    if (dst[0] == 0xff || is_linklocal(dst)) {
        memcpy(nh, dst, 16);
        return 0;
    }
    for (int i = 1; i < s->nip6; i++) {
        uint8_t pl = s->ip6_plen[i];
        uint8_t m = (uint8_t)(0xff00 >> (pl % 8));
        if (memcmp(s->ip6[i], dst, pl / 8) == 0 &&
            (pl % 8 == 0 || ((s->ip6[i][pl / 8] ^ dst[pl / 8]) & m) == 0)) {
            memcpy(nh, dst, 16);
            return 0;
        }
    }
    if (ip_zero(s->cfg.ip6_gw, 16))
        return TB_ENETUNREACH;
    memcpy(nh, s->cfg.ip6_gw, 16);
    return 0;
}

static void put_hdr6(uint8_t *h, uint32_t plen, uint8_t nh, uint8_t hlim,
                     const uint8_t *src, const uint8_t *dst)
{
    tb_put32(h, 6u << 28);
    tb_put16(h + 4, (uint16_t)plen);
    h[6] = nh;
    h[7] = hlim;
    memcpy(h + 8, src, 16);
    memcpy(h + 24, dst, 16);
}

int ip6_output(struct tb_stack *s, struct pkt *p, const uint8_t *src,
               const uint8_t *dst, uint8_t proto, uint8_t hlim)
{
    uint8_t nh[16];
    int err = route6(s, dst, nh);

    if (err != 0) {
        pkt_free(s, p);
        return err;
    }
    assert(p->len + IP6_HLEN <= s->cfg.mtu);
    p->data -= IP6_HLEN;
    put_hdr6(p->data, p->len, proto, hlim, src, dst);
    p->len += IP6_HLEN;
    eth_output_ip(s, p, TB_AF_INET6, nh);
    return 0;
}

/* RFC 8200 4.5: (h, hl) ++ (d, dl) in fragments behind a fragment header. */
int ip6_output_frags(struct tb_stack *s, const uint8_t *src, const uint8_t *dst,
                     uint8_t proto, const uint8_t *h, uint32_t hl,
                     const uint8_t *d, uint32_t dl)
{
    uint32_t per = (s->cfg.mtu - IP6_HLEN - 8) & ~7u, off = 0, total = hl + dl;
    uint32_t id = ++s->frag6_id;
    uint8_t nh[16];
    int err = route6(s, dst, nh);

    if (err != 0)
        return err;
    while (off < total) {
        uint32_t n = TB_MIN(per, total - off), k = 0;
        bool more = off + n < total;
        struct pkt *f = pkt_alloc_tx(s, ETH_HLEN + IP6_HLEN + 8);
        uint8_t *fh;
        if (f == NULL)
            return TB_ENOMEM;
        if (off < hl) {
            k = TB_MIN(n, hl - off);
            memcpy(f->data, h + off, k);
        }
        memcpy(f->data + k, d + (off + k - hl), n - k);
        f->data -= 8;
        fh = f->data;
        fh[0] = proto;
        fh[1] = 0;
        tb_put16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
        tb_put32(fh + 4, id);
        f->data -= IP6_HLEN;
        put_hdr6(f->data, n + 8, NH_FRAG, 64, src, dst);
        f->len = n + 8 + IP6_HLEN;
        eth_output_ip(s, f, TB_AF_INET6, nh);
        off += n;
    }
    return 0;
}
