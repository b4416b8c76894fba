/*
 * eth.c -- Ethernet II framing: eth_input() checks the destination and
 * dispatches on EtherType (ARP, IPv4, IPv6); eth_output_ip() maps a
 * next-hop address to a MAC (broadcast, IPv6 multicast RFC 2464 7, or the
 * neighbour cache, queueing the frame while ARP/ND resolves it) and puts
 * the frame on the transmit queue.  No VLANs, no 802.3 length frames
 * (counted drops).
 */
#include "net_int.h"

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

void eth_input(struct tb_stack *s, struct pkt *p)
{
    const uint8_t *h = p->data;
    uint16_t type;

    if (p->len < ETH_HLEN) {
        s->st.eth_drop++;
        pkt_free(s, p);
        return;
    }
    /* Ours, broadcast, or multicast (IPv4 01:00:5e, IPv6 33:33). */
    if (memcmp(h, s->cfg.mac, 6) != 0 && !(h[0] & 1)) {
        s->st.eth_drop++;
        pkt_free(s, p);
        return;
    }
    type = tb_get16(h + 12);
    p->data += ETH_HLEN;
    p->len -= ETH_HLEN;
    switch (type) {
    case ETH_P_ARP:
        arp_input(s, p);
        break;
    case ETH_P_IP:
        ip4_input(s, p);
        break;
    case ETH_P_IPV6:
        ip6_input(s, p);
        break;
    default:
        s->st.eth_drop++;
        pkt_free(s, p);
    }
}

void eth_output(struct tb_stack *s, struct pkt *p, uint16_t type,
                const uint8_t *dst_mac)
{
    assert(p->data - p->buf >= ETH_HLEN);
    p->data -= ETH_HLEN;
    p->len += ETH_HLEN;
    memcpy(p->data, dst_mac, 6);
    memcpy(p->data + 6, s->cfg.mac, 6);
    tb_put16(p->data + 12, type);
    txq_push(s, p);
}

void eth_output_ip(struct tb_stack *s, struct pkt *p, uint8_t af,
                   const uint8_t *nh)
{
    struct neigh *n;

    if (af == TB_AF_INET) {
        if (memcmp(nh, "\xff\xff\xff\xff", 4) == 0 ||
            (s->ip4_mask != 0xffffffffu && memcmp(nh, s->ip4_bcast, 4) == 0)) {
            eth_output(s, p, ETH_P_IP, bcast_mac);
            return;
        }
    } else if (nh[0] == 0xff) {
        uint8_t m[6] = {0x33, 0x33, nh[12], nh[13], nh[14], nh[15]};
        eth_output(s, p, ETH_P_IPV6, m);
        return;
    }
    n = neigh_find(s, af, nh);
    if (n != NULL && (n->state == NB_REACHABLE || n->state == NB_STALE)) {
        n->used = s->now;
        if (n->state == NB_REACHABLE && n->expires <= s->now) {
            n->state = NB_STALE;
            n->probes = 0;
        }
        if (n->state == NB_STALE && n->probes == 0) {
            /* RFC 4861 7.3.3 / RFC 1122 2.3.2.1: revalidate a stale
             * entry by unicast while still using it. */
            n->probes = 1;
            n->expires = s->now + 1000 * NS_PER_MS;
            if (s->nb_next_timer > n->expires || s->nb_next_timer <= s->now)
                s->nb_next_timer = n->expires;
            if (af == TB_AF_INET)
                arp_request(s, nh, false);
            else
                nd_solicit(s, nh, false, n->mac);
        }
        eth_output(s, p, af == TB_AF_INET ? ETH_P_IP : ETH_P_IPV6, n->mac);
        return;
    }
    neigh_resolve(s, p, af, nh);
}
