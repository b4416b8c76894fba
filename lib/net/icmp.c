/*
 * icmp.c -- ICMP for IPv4 (RFC 792, RFC 1122 3.2.2): echo replies, and the
 * errors a host sends (protocol and port unreachable, reassembly time
 * exceeded), rate-limited by a token bucket (RFC 1122 3.2.2, cfg.icmp_rate
 * per second) and never sent about ICMP errors, broadcasts, non-initial
 * fragments or bogus sources (RFC 1122 3.2.2).  Received errors are
 * checked and passed to TCP (hard errors abort an opening connection,
 * RFC 1122 4.2.3.9); the rest are counted.  Timestamp, address mask and
 * redirects are ignored.
 */
#include "net_int.h"

#define ICMP_ECHO_REPLY    0
#define ICMP_UNREACH       3
#define ICMP_ECHO          8
#define ICMP_TIME_EXCEEDED 11
#define ICMP_PARAM         12
#define ICMP_QUOTE_MAX     548 /* reply fits in 576 bytes (RFC 1812 4.3.2.3) */

static void send_icmp(struct tb_stack *s, const uint8_t *dst, uint8_t type,
                      uint8_t code, uint32_t rest, const uint8_t *body,
                      uint32_t blen)
{
    struct pkt *p;
    uint8_t *h;

    if (blen + 8 + IP4_HLEN > s->cfg.mtu)
        return;
    p = pkt_alloc_tx(s, ETH_HLEN + IP4_HLEN);
    if (p == NULL)
        return;
    h = p->data;
    h[0] = type;
    h[1] = code;
    tb_put16(h + 2, 0);
    tb_put32(h + 4, rest);
    memcpy(h + 8, body, blen);
    p->len = 8 + blen;
    tb_put16(h + 2, csum_fold(csum_add(0, h, p->len)));
    ip4_output(s, p, s->cfg.ip4, dst, PROTO_ICMP, 64);
}

void icmp_error(struct tb_stack *s, uint8_t type, uint8_t code, uint32_t param,
                const uint8_t *ip, uint32_t iplen)
{
    uint32_t hl = (uint32_t)(ip[0] & 15) * 4;
    const uint8_t *src = ip + 12;

    /* RFC 1122 3.2.2: never about an ICMP error, a non-initial fragment,
     * a broadcast/multicast, or a source that is not a unicast host. */
    if ((tb_get16(ip + 6) & 0x1fff) != 0 || src[0] >= 224 || src[0] == 127 ||
        ip_zero(src, 4) || !ip4_is_local(s, ip + 16) ||
        (s->ip4_mask != 0xffffffffu && memcmp(src, s->ip4_bcast, 4) == 0))
        return;
    if (ip[9] == PROTO_ICMP && iplen >= hl + 1) {
        uint8_t t = ip[hl];
        if (t != ICMP_ECHO && t != ICMP_ECHO_REPLY && t != 13 && t != 14)
            return;
    }
    if (!icmp_rate_ok(s))
        return;
    s->st.icmp_err_tx++;
    send_icmp(s, src, type, code, param << 24, ip,
              TB_MIN(iplen, (uint32_t)ICMP_QUOTE_MAX));
}

void icmp_input(struct tb_stack *s, struct pkt *p, const uint8_t *src,
                const uint8_t *dst, const uint8_t *l4, uint32_t len)
{
    s->st.icmp_rx++;
    if (len < 8 || csum_fold(csum_add(0, l4, len)) != 0) {
        s->st.icmp_drop++;
        goto out;
    }
    switch (l4[0]) {
    case ICMP_ECHO:
        /* RFC 1122 3.2.2.6: reply with the same data; broadcast echo MAY
         * be ignored, and is. */
        if (!ip4_is_local(s, dst) || l4[1] != 0)
            break;
        send_icmp(s, src, ICMP_ECHO_REPLY, 0, tb_get32(l4 + 4), l4 + 8,
                  len - 8);
        break;
    case ICMP_UNREACH:
    case ICMP_TIME_EXCEEDED:
    case ICMP_PARAM: {
        /* The quoted header must be ours: IPv4, from us, with 8 bytes. */
        const uint8_t *q = l4 + 8;
        uint32_t ql = len - 8, qhl;
        if (ql < IP4_HLEN || (q[0] >> 4) != 4 ||
            ql < (qhl = (uint32_t)(q[0] & 15) * 4) + 8 ||
            !ip4_is_local(s, q + 12)) {
            s->st.icmp_drop++;
            break;
        }
        /* RFC 1122 4.2.3.9: protocol/port unreachable are hard errors. */
        if (l4[0] == ICMP_UNREACH && q[9] == PROTO_TCP &&
            (l4[1] == 2 || l4[1] == 3))
            tcp_icmp_unreach(s, TB_AF_INET, q + 12, q + 16, q + qhl);
        break;
    }
    default:
        break; /* RFC 1122 3.2.2: unknown types are silently discarded */
    }
out:
    pkt_free(s, p);
}
