/*
 * udp.c -- UDP (RFC 768) over IPv4 and IPv6 and the datagram half of
 * stack.h.  udp_input() checks length and checksum (optional for IPv4,
 * mandatory for IPv6: RFC 8200 8.1), finds the endpoint (a specific
 * address beats a wildcard) and queues the received buffer itself on it,
 * refcounted, so tb_udp_recv() hands the application pointers into the
 * frame (wrapped, not copied).  No listener: ICMP port unreachable,
 * rate-limited (RFC 1122 4.1.3.1, RFC 4443 3.1).  tb_udp_send() copies
 * the payload into a frame behind the headers, fragmenting datagrams
 * larger than the MTU.  No multicast membership, no UDP-Lite.
 */
#include "net_int.h"

static struct udp_ep *find_ep(struct tb_stack *s, uint8_t af,
                              const uint8_t *dst, uint16_t port)
{
    struct udp_ep *wild = NULL;

    for (uint32_t i = 0; i < s->cfg.udp_eps; i++) {
        struct udp_ep *e = &s->udp[i];
        if (!e->used || e->local.port != port ||
            !addr_match(&e->local, af, dst))
            continue;
        if (!ip_zero(e->local.ip, 16))
            return e;
        wild = e;
    }
    return wild;
}

void udp_input(struct tb_stack *s, struct pkt *p, uint8_t af,
               const uint8_t *src, const uint8_t *dst, const uint8_t *l4,
               uint32_t len, const uint8_t *ip, uint32_t iplen)
{
    uint32_t ulen;
    uint16_t ck;
    struct udp_ep *e;
    bool unicast;

    s->st.udp_rx++;
    if (len < UDP_HLEN || (ulen = tb_get16(l4 + 4)) < UDP_HLEN || ulen > len) {
        s->st.udp_drop_csum++;
        goto drop;
    }
    ck = tb_get16(l4 + 6);
    if (ck != 0 || af == TB_AF_INET6) {
        uint32_t sum = csum_pseudo(af, src, dst, PROTO_UDP, ulen);
        if (ck == 0 || csum_fold(csum_add(sum, l4, ulen)) != 0) {
            s->st.udp_drop_csum++;
            goto drop;
        }
    }
    unicast = af == TB_AF_INET ? ip4_is_local(s, dst) : ip6_is_local(s, dst);
    e = find_ep(s, af, dst, tb_get16(l4 + 2));
    if (e == NULL) {
        s->st.udp_drop_noport++;
        if (unicast && af == TB_AF_INET)
            icmp_error(s, 3, 3, 0, ip, iplen);
        else if (unicast)
            icmp6_error(s, 1, 4, 0, ip, iplen);
        goto drop;
    }
    if (e->qlen >= s->cfg.udp_queue) {
        s->st.udp_drop_full++;
        goto drop;
    }
    p->pl_off = (uint32_t)(l4 + UDP_HLEN - p->buf);
    p->pl_len = ulen - UDP_HLEN;
    memset(&p->peer, 0, sizeof(p->peer));
    memset(&p->local, 0, sizeof(p->local));
    p->peer.af = p->local.af = af;
    p->peer.port = tb_get16(l4);
    p->local.port = tb_get16(l4 + 2);
    memcpy(p->peer.ip, src, af_len(af));
    memcpy(p->local.ip, dst, af_len(af));
    p->next = NULL;
    if (e->qtail)
        e->qtail->next = p;
    else
        e->qhead = p;
    e->qtail = p;
    e->qlen++;
    return;
drop:
    pkt_free(s, p);
}

static void release_held(struct tb_stack *s, struct udp_ep *e)
{
    while (e->held) {
        struct pkt *p = e->held;
        e->held = p->next;
        p->next = NULL;
        pkt_free(s, p);
    }
}

static bool valid_local(struct tb_stack *s, const struct tb_addr *a)
{
    if (a->af == TB_AF_UNSPEC)
        return ip_zero(a->ip, 16);
    if (a->af == TB_AF_INET)
        return ip_zero(a->ip, 4) || ip4_is_local(s, a->ip);
    if (a->af == TB_AF_INET6)
        return ip_zero(a->ip, 16) || ip6_is_local(s, a->ip);
    return false;
}

/* Do two bound addresses overlap (same family or one is UNSPEC, and
 * equal or one is a wildcard)? */
static bool overlaps(const struct tb_addr *a, const struct tb_addr *b)
{
    if (a->af != b->af && a->af != TB_AF_UNSPEC && b->af != TB_AF_UNSPEC)
        return false;
    return ip_zero(a->ip, 16) || ip_zero(b->ip, 16) ||
           memcmp(a->ip, b->ip, 16) == 0;
}

int tb_udp_bind(struct tb_stack *s, const struct tb_addr *local, int *ep)
{
    struct udp_ep *free_ep = NULL;

    if (local->port == 0 || !valid_local(s, local))
        return TB_EINVAL;
    for (uint32_t i = 0; i < s->cfg.udp_eps; i++) {
        struct udp_ep *e = &s->udp[i];
        if (!e->used) {
            if (free_ep == NULL)
                free_ep = e;
        } else if (e->local.port == local->port && overlaps(&e->local, local)) {
            return TB_EADDRINUSE;
        }
    }
    if (free_ep == NULL)
        return TB_ENOSPC;
    memset(free_ep, 0, sizeof(*free_ep));
    free_ep->used = true;
    free_ep->local = *local;
    free_ep->interest = TB_EV_READ;
    *ep = (int)(free_ep - s->udp);
    return 0;
}

int tb_udp_recv(struct tb_stack *s, int ep, struct tb_dgram *d, size_t n)
{
    int i = ep_udp(s, ep), k = 0;
    struct udp_ep *e;
    struct pkt *tail = NULL;

    if (i < 0 || !s->udp[i].used)
        return TB_EBADF;
    e = &s->udp[i];
    release_held(s, e);
    if (e->qhead == NULL)
        return TB_EAGAIN;
    while (e->qhead != NULL && (size_t)k < n) {
        struct pkt *p = e->qhead;
        e->qhead = p->next;
        e->qlen--;
        p->next = NULL;
        if (tail)
            tail->next = p;
        else
            e->held = p;
        tail = p;
        d[k].peer = p->peer;
        d[k].local = p->local;
        d[k].data = p->buf + p->pl_off;
        d[k].len = p->pl_len;
        k++;
    }
    if (e->qhead == NULL)
        e->qtail = NULL;
    return k;
}

static int pick_src(struct tb_stack *s, const struct udp_ep *e,
                    const struct tb_dgram *d, uint8_t *src)
{
    uint8_t af = d->peer.af;
    size_t n = af_len(af);

    if (!ip_zero(d->local.ip, 16) && d->local.af == af) {
        memcpy(src, d->local.ip, n);
        return valid_local(s, &d->local) ? 0 : TB_EINVAL;
    }
    if (e->local.af == af && !ip_zero(e->local.ip, 16)) {
        memcpy(src, e->local.ip, n);
        return 0;
    }
    if (af == TB_AF_INET) {
        if (s->cfg.ip4_prefix == 0)
            return TB_ENETUNREACH;
        memcpy(src, s->cfg.ip4, 4);
        return 0;
    }
    if (s->nip6 == 0)
        return TB_ENETUNREACH;
    ip6_pick_src(s, d->peer.ip, src);
    return 0;
}

static int send_one(struct tb_stack *s, struct udp_ep *e,
                    const struct tb_dgram *d)
{
    uint8_t af = d->peer.af, src[16], h[UDP_HLEN];
    uint32_t ulen, iph = af == TB_AF_INET ? IP4_HLEN : IP6_HLEN, sum;
    struct pkt *p;
    int err;

    if ((af != TB_AF_INET && af != TB_AF_INET6) || d->peer.port == 0 ||
        (e->local.af != TB_AF_UNSPEC && e->local.af != af))
        return TB_EINVAL;
    if (d->len > 65535 - UDP_HLEN - iph)
        return TB_EINVAL;
    if ((err = pick_src(s, e, d, src)) != 0)
        return err;
    ulen = (uint32_t)d->len + UDP_HLEN;
    tb_put16(h, e->local.port);
    tb_put16(h + 2, d->peer.port);
    tb_put16(h + 4, (uint16_t)ulen);
    tb_put16(h + 6, 0);
    sum = csum_pseudo(af, src, d->peer.ip, PROTO_UDP, ulen);
    sum = csum_add(sum, h, UDP_HLEN);
    sum = csum_add(sum, d->data, d->len);
    /* RFC 768: a computed zero is sent as all ones. */
    tb_put16(h + 6, csum_fold(sum) ? csum_fold(sum) : 0xffff);
    if (ulen + iph > s->cfg.mtu) {
        if (af == TB_AF_INET)
            return ip4_output_frags(s, src, d->peer.ip, PROTO_UDP, h, UDP_HLEN,
                                    d->data, (uint32_t)d->len);
        return ip6_output_frags(s, src, d->peer.ip, PROTO_UDP, h, UDP_HLEN,
                                d->data, (uint32_t)d->len);
    }
    p = pkt_alloc_tx(s, ETH_HLEN + IP6_HLEN);
    if (p == NULL)
        return TB_ENOMEM;
    memcpy(p->data, h, UDP_HLEN);
    memcpy(p->data + UDP_HLEN, d->data, d->len);
    p->len = ulen;
    if (af == TB_AF_INET)
        return ip4_output(s, p, src, d->peer.ip, PROTO_UDP, 64);
    return ip6_output(s, p, src, d->peer.ip, PROTO_UDP, 64);
}

int tb_udp_send(struct tb_stack *s, int ep, const struct tb_dgram *d, size_t n)
{
    int i = ep_udp(s, ep), err;
    size_t k;

    if (i < 0 || !s->udp[i].used)
        return TB_EBADF;
    for (k = 0; k < n; k++) {
        err = send_one(s, &s->udp[i], &d[k]);
        if (err == TB_ENOMEM)
            break;
        if (err != 0)
            return k == 0 ? err : (int)k;
    }
    return (int)k;
}

int tb_udp_close(struct tb_stack *s, int ep)
{
    int i = ep_udp(s, ep);
    struct udp_ep *e;

    if (i < 0 || !s->udp[i].used)
        return TB_EBADF;
    e = &s->udp[i];
    release_held(s, e);
    while (e->qhead) {
        struct pkt *p = e->qhead;
        e->qhead = p->next;
        p->next = NULL;
        pkt_free(s, p);
    }
    memset(e, 0, sizeof(*e));
    return 0;
}

int udp_events(struct tb_stack *s, struct tb_event *ev, size_t n)
{
    size_t k = 0;

    for (uint32_t i = 0; i < s->cfg.udp_eps && k < n; i++) {
        struct udp_ep *e = &s->udp[i];
        if (!e->used)
            continue;
        release_held(s, e);
        if (e->qhead != NULL && (e->interest & TB_EV_READ)) {
            ev[k].ep = (int)i;
            ev[k].events = TB_EV_READ;
            k++;
        }
    }
    return (int)k;
}
