/*
 * arp.c -- ARP for IPv4 over Ethernet (RFC 826), with the RFC 1122 2.3.2
 * refinements: the packet reception algorithm of RFC 826 (merge the
 * sender into the cache if present, add it if the request targets us,
 * answer requests for our address), requests for next hops on behalf of
 * neigh.c, and the gratuitous ARP announcing our address at start
 * (RFC 5227 3).  Proxy ARP and address conflict defence are not done; a
 * conflicting sender is only counted.
 *
 *   0      2      4    5    6      8       14      18      24      28
 *   | htype| ptype|hlen|plen| oper |  sha  |  spa  |  tha  |  tpa  |
 */
#include "net_int.h"

#define ARP_LEN     28
#define ARP_REQUEST 1
#define ARP_REPLY   2

static void arp_send(struct tb_stack *s, uint16_t op, const uint8_t *tha,
                     const uint8_t *tpa, const uint8_t *dst_mac)
{
    struct pkt *p = pkt_alloc_tx(s, ETH_HLEN);
    uint8_t *a;

    if (p == NULL)
        return;
    a = p->data;
    tb_put16(a, 1);
    tb_put16(a + 2, ETH_P_IP);
    a[4] = 6;
    a[5] = 4;
    tb_put16(a + 6, op);
    memcpy(a + 8, s->cfg.mac, 6);
    memcpy(a + 14, s->cfg.ip4, 4);
    memcpy(a + 18, tha, 6);
    memcpy(a + 24, tpa, 4);
    p->len = ARP_LEN;
    /* Pad to the Ethernet minimum (60 bytes without FCS). */
    memset(a + ARP_LEN, 0, 60 - ETH_HLEN - ARP_LEN);
    p->len = 60 - ETH_HLEN;
    eth_output(s, p, ETH_P_ARP, dst_mac);
}

void arp_request(struct tb_stack *s, const uint8_t *tip, bool gratuitous)
{
    static const uint8_t zero[6], bc[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct neigh *n;

    if (s->cfg.ip4_prefix == 0)
        return;
    if (gratuitous) {
        arp_send(s, ARP_REQUEST, zero, s->cfg.ip4, bc);
        return;
    }
    /* A probe of a known (stale) entry goes unicast (RFC 1122 2.3.2.1). */
    n = neigh_find(s, TB_AF_INET, tip);
    if (n != NULL && n->state == NB_STALE)
        arp_send(s, ARP_REQUEST, zero, tip, n->mac);
    else
        arp_send(s, ARP_REQUEST, zero, tip, bc);
}

void arp_input(struct tb_stack *s, struct pkt *p)
{
    const uint8_t *a = p->data;
    uint8_t sha[6], spa[4], tpa[4];
    uint16_t op;
    bool for_us;

    s->st.arp_rx++;
    if (p->len < ARP_LEN || tb_get16(a) != 1 || tb_get16(a + 2) != ETH_P_IP ||
        a[4] != 6 || a[5] != 4 || s->cfg.ip4_prefix == 0) {
        s->st.arp_drop++;
        goto out;
    }
    op = tb_get16(a + 6);
    memcpy(sha, a + 8, 6);
    memcpy(spa, a + 14, 4);
    memcpy(tpa, a + 24, 4);
    if ((op != ARP_REQUEST && op != ARP_REPLY) || (sha[0] & 1)) {
        s->st.arp_drop++;
        goto out;
    }
    if (memcmp(spa, s->cfg.ip4, 4) == 0) {
        /* Someone else claims our address (RFC 5227 2.4): counted. */
        s->st.arp_drop++;
        goto out;
    }
    for_us = memcmp(tpa, s->cfg.ip4, 4) == 0;
    /* RFC 826: merge if known; add if the packet targets us.  An
     * all-zero sender is an address probe (RFC 5227) and teaches nothing.
     */
    if (!ip_zero(spa, 4))
        neigh_update(s, TB_AF_INET, spa, sha, for_us, for_us);
    if (for_us && op == ARP_REQUEST)
        arp_send(s, ARP_REPLY, sha, spa, sha);
out:
    pkt_free(s, p);
}
