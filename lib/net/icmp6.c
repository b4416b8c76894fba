/*
 * icmp6.c -- ICMPv6 (RFC 4443) and Neighbor Discovery for a host (RFC
 * 4861): echo replies; the errors a host sends (destination/port
 * unreachable, parameter problem, reassembly time exceeded), rate-limited
 * and never about errors, multicast destinations or unspecified/multicast
 * sources (RFC 4443 2.4(e)); NS/NA processing with all the validity checks
 * of RFC 4861 7.1 (hop limit 255, code 0, lengths, options); the DAD side
 * of RFC 4862 5.4 (an NS or NA for a tentative address means a duplicate:
 * the address is dropped).  Router and prefix discovery, redirects and MLD
 * are not implemented: addresses and the default router are configured.
 *
 * NS/NA body:  | type | code | csum | flags/reserved(4) | target(16) | opts
 */
#include "net_int.h"

#define ICMP6_ECHO       128
#define ICMP6_ECHO_REPLY 129
#define ND_NS            135
#define ND_NA            136
#define OPT_SLLA         1
#define OPT_TLLA         2
#define ICMP6_QUOTE_MAX  (1280 - IP6_HLEN - 8)

static const uint8_t all_nodes[16] = {0xff, 2, [15] = 1};

static void send6(struct tb_stack *s, struct pkt *p, const uint8_t *src,
                  const uint8_t *dst, uint8_t hlim, const uint8_t *mac)
{
    uint8_t *h = p->data;
    uint32_t sum = csum_pseudo(TB_AF_INET6, src, dst, PROTO_ICMP6, p->len);

    tb_put16(h + 2, 0);
    tb_put16(h + 2, csum_fold(csum_add(sum, h, p->len)));
    if (mac == NULL) {
        ip6_output(s, p, src, dst, PROTO_ICMP6, hlim);
        return;
    }
    /* Unicast probe of a known neighbour: no resolution needed. */
    p->data -= IP6_HLEN;
    tb_put32(p->data, 6u << 28);
    tb_put16(p->data + 4, (uint16_t)p->len);
    p->data[6] = PROTO_ICMP6;
    p->data[7] = hlim;
    memcpy(p->data + 8, src, 16);
    memcpy(p->data + 24, dst, 16);
    p->len += IP6_HLEN;
    eth_output(s, p, ETH_P_IPV6, mac);
}

void icmp6_error(struct tb_stack *s, uint8_t type, uint8_t code, uint32_t param,
                 const uint8_t *ip, uint32_t iplen)
{
    const uint8_t *src = ip + 8, *dst = ip + 24;
    uint8_t me[16];
    struct pkt *p;
    uint32_t n;

    if (src[0] == 0xff || ip_zero(src, 16) || dst[0] == 0xff)
        return;
    if (ip[6] == PROTO_ICMP6 && iplen > IP6_HLEN && ip[IP6_HLEN] < 128)
        return; /* never about an error (direct ICMPv6 only) */
    if (!icmp_rate_ok(s))
        return;
    p = pkt_alloc_tx(s, ETH_HLEN + IP6_HLEN);
    if (p == NULL)
        return;
    n = TB_MIN(iplen, (uint32_t)ICMP6_QUOTE_MAX);
    n = TB_MIN(n, s->cfg.mtu - IP6_HLEN - 8);
    p->data[0] = type;
    p->data[1] = code;
    tb_put32(p->data + 4, param);
    memcpy(p->data + 8, ip, n);
    p->len = 8 + n;
    if (ip6_local_index(s, dst) >= 0)
        memcpy(me, dst, 16);
    else
        ip6_pick_src(s, src, me);
    s->st.icmp_err_tx++;
    send6(s, p, me, src, 64, NULL);
}

static void solicited_node(const uint8_t *a, uint8_t *out)
{
    static const uint8_t sn[13] = {0xff, 2, [11] = 1, [12] = 0xff};
    memcpy(out, sn, 13);
    memcpy(out + 13, a + 13, 3);
}

void nd_solicit(struct tb_stack *s, const uint8_t *target, bool dad,
                const uint8_t *unicast_mac)
{
    struct pkt *p = pkt_alloc_tx(s, ETH_HLEN + IP6_HLEN);
    uint8_t src[16], dst[16];

    if (p == NULL)
        return;
    memset(p->data, 0, 24);
    p->data[0] = ND_NS;
    memcpy(p->data + 8, target, 16);
    p->len = 24;
    if (!dad) { /* RFC 4861 4.3: source link-layer option */
        p->data[24] = OPT_SLLA;
        p->data[25] = 1;
        memcpy(p->data + 26, s->cfg.mac, 6);
        p->len = 32;
        ip6_pick_src(s, target, src);
    } else {
        memset(src, 0, 16);
    }
    if (unicast_mac != NULL)
        memcpy(dst, target, 16);
    else
        solicited_node(target, dst);
    send6(s, p, src, dst, 255, unicast_mac);
}

static void send_na(struct tb_stack *s, const uint8_t *target,
                    const uint8_t *dst, bool solicited, const uint8_t *mac)
{
    struct pkt *p = pkt_alloc_tx(s, ETH_HLEN + IP6_HLEN);

    if (p == NULL)
        return;
    memset(p->data, 0, 32);
    p->data[0] = ND_NA;
    /* R=0 (host), S, O=1 */
    p->data[4] = (uint8_t)((solicited ? 0x40 : 0) | 0x20);
    memcpy(p->data + 8, target, 16);
    p->data[24] = OPT_TLLA;
    p->data[25] = 1;
    memcpy(p->data + 26, s->cfg.mac, 6);
    p->len = 32;
    send6(s, p, target, dst, 255, mac);
}

void nd_advert_unsolicited(struct tb_stack *s, const uint8_t *ip)
{
    send_na(s, ip, all_nodes, false, NULL);
}

/* Finds option (type) of 8 bytes (an Ethernet address); checks that every
 * option has a non-zero length (RFC 4861 7.1.1).  Returns NULL if absent
 * or sets (*bad). */
static const uint8_t *nd_opt(const uint8_t *o, uint32_t n, uint8_t type,
                             bool *bad)
{
    const uint8_t *found = NULL;

    *bad = false;
    while (n >= 2) {
        uint32_t l = (uint32_t)o[1] * 8;
        if (l == 0 || l > n) {
            *bad = true;
            return NULL;
        }
        if (o[0] == type && l >= 8)
            found = o + 2;
        o += l;
        n -= l;
    }
    return found;
}

static void dad_failed(struct tb_stack *s, int i)
{
    /* RFC 4862 5.4.5: the address is a duplicate and is not used. */
    memmove(s->ip6[i], s->ip6[i + 1], (size_t)(s->nip6 - i - 1) * 16);
    memmove(&s->ip6_plen[i], &s->ip6_plen[i + 1], (size_t)(s->nip6 - i - 1));
    memmove(&s->ip6_tentative[i], &s->ip6_tentative[i + 1],
            (size_t)(s->nip6 - i - 1));
    s->nip6--;
    s->st.ip6_drop_addr++;
}

static void nd_input(struct tb_stack *s, const uint8_t *src, const uint8_t *dst,
                     const uint8_t *m, uint32_t len, uint8_t hlim)
{
    const uint8_t *target = m + 8, *ll;
    bool bad, unspec = ip_zero(src, 16);
    int li;

    if (hlim != 255 || m[1] != 0 || len < 24 || target[0] == 0xff)
        goto drop; /* RFC 4861 7.1.1 / 7.1.2 */
    li = ip6_local_index(s, target);
    if (m[0] == ND_NS) {
        ll = nd_opt(m + 24, len - 24, OPT_SLLA, &bad);
        if (bad || (unspec && (ll != NULL || dst[0] != 0xff)))
            goto drop;
        if (li < 0)
            return; /* not for us */
        if (s->ip6_tentative[li]) {
            if (unspec)
                dad_failed(s, li); /* another node's DAD: RFC 4862 5.4.3 */
            return;
        }
        if (unspec) { /* RFC 4861 7.2.4: answer DAD to all-nodes */
            send_na(s, target, all_nodes, false, NULL);
            return;
        }
        if (ll != NULL)
            neigh_update(s, TB_AF_INET6, src, ll, true, false);
        send_na(s, target, src, true, ll);
        return;
    }
    /* ND_NA */
    ll = nd_opt(m + 24, len - 24, OPT_TLLA, &bad);
    if (bad || ((m[4] & 0x40) && dst[0] == 0xff))
        goto drop;
    if (li >= 0) {
        if (s->ip6_tentative[li])
            dad_failed(s, li); /* RFC 4862 5.4.4 */
        else
            s->st.ip6_drop_addr++; /* someone claims our address */
        return;
    }
    if (ll != NULL)
        neigh_update(s, TB_AF_INET6, target, ll, false, (m[4] & 0x40) != 0);
    return;
drop:
    s->st.icmp_drop++;
}

void icmp6_input(struct tb_stack *s, struct pkt *p, const uint8_t *src,
                 const uint8_t *dst, const uint8_t *l4, uint32_t len,
                 uint8_t hlim)
{
    uint32_t sum;

    s->st.icmp_rx++;
    sum = csum_pseudo(TB_AF_INET6, src, dst, PROTO_ICMP6, len);
    if (len < 8 || csum_fold(csum_add(sum, l4, len)) != 0) {
        s->st.icmp_drop++;
        goto out;
    }
    /* RFC 4862 5.4: a tentative address takes only NS and NA. */
    if (l4[0] != ND_NS && l4[0] != ND_NA && ip6_local_index(s, dst) >= 0 &&
        !ip6_is_local(s, dst))
        goto out;
    switch (l4[0]) {
    case ICMP6_ECHO: {
        /* RFC 4443 4.2: reply to unicast and to multicast echoes. */
        struct pkt *r;
        uint8_t me[16];
        if (l4[1] != 0 || len - 8 > s->cfg.mtu - IP6_HLEN - 8)
            break;
        if (ip_zero(src, 16) || src[0] == 0xff)
            break;
        r = pkt_alloc_tx(s, ETH_HLEN + IP6_HLEN);
        if (r == NULL)
            break;
        memcpy(r->data, l4, len);
        r->data[0] = ICMP6_ECHO_REPLY;
        r->len = len;
        if (dst[0] == 0xff)
            ip6_pick_src(s, src, me);
        else
            memcpy(me, dst, 16);
        send6(s, r, me, src, 64, NULL);
        break;
    }
    case ND_NS:
    case ND_NA:
        nd_input(s, src, dst, l4, len, hlim);
        break;
    case 1: /* destination unreachable */
        /* RFC 4443 3.1 / RFC 1122 4.2.3.9: port unreachable is hard. */
        if (len >= 8 + IP6_HLEN + 20 && l4[8 + 6] == PROTO_TCP &&
            (l4[1] == 4 || l4[1] == 1) && ip6_is_local(s, l4 + 8 + 8))
            tcp_icmp_unreach(s, TB_AF_INET6, l4 + 16, l4 + 32,
                             l4 + 8 + IP6_HLEN);
        break;
    default:
        break; /* RFC 4443 2.4(a)/(b): others are passed over */
    }
out:
    pkt_free(s, p);
}
