/*
 * udp.c -- UDP endpoints of the socket stack: bind, batched receive and
 * send, close.
 *
 *     kernel --recvmmsg(udp_batch)--> endpoint's buffers --> tb_dgram
 *            (peer from msg_name; local from IP_PKTINFO / IPV6_PKTINFO
 *            on wildcard endpoints; SO_RXQ_OVFL counts host drops)
 *     tb_dgram --> mmsghdr (+ a pktinfo naming the source) --sendmmsg-->
 *
 * Each UDP endpoint owns a set of udp_batch buffers of udp_max bytes,
 * taken from the pool at bind and given back at close, so the data a
 * receive hands out is not overwritten by another endpoint's receive.
 * The message headers are the stack's, used by one call at a time.  What
 * this does not do: IPv6 scope ids (struct tb_addr has none, so
 * link-local peers cannot be answered), multicast, broadcast.
 */
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "sock_int.h"

#define RECV_ROUNDS 8 /* bounded work when every datagram is oversized */

int tb_udp_bind(struct tb_stack *s, const struct tb_addr *local, int *ep)
{
    int i, fd, family, err, one = 1;
    struct sock_ep *e;

    if ((err = sock_local_ok(local)) != 0)
        return err;
    if ((i = sock_ep_next(s)) < 0 || s->set_nfree == 0)
        return TB_ENOSPC;
    if ((fd = sock_open_bound(local, SOCK_DGRAM, &family)) < 0)
        return fd;
    e = &s->ep[i];
    e->wildcard = sock_ip_zero(local->ip, 16);
    if (e->wildcard &&
        (family == AF_INET
             ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
             : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
                          sizeof(one))) != 0) {
        err = sock_err(errno);
        close(fd);
        e->wildcard = false;
        return err;
    }
#ifdef SO_RXQ_OVFL
    /* Only a counter: a host (or emulator) without it loses the count. */
    (void)setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
#endif
    e->local = *local;
    e->set = s->set_free[s->set_nfree - 1];
    if ((err = sock_ep_open(s, i, fd, EP_UDP, family, TB_EV_READ)) != 0)
        return err;
    s->set_nfree--;
    *ep = i;
    return 0;
}

/* The datagram's local address: pktinfo if there is one, else the bound
 * address; and the host's drop count, if it moved. */
static void recv_ctl(struct tb_stack *s, struct sock_ep *e, struct msghdr *h,
                     struct tb_addr *local)
{
    struct cmsghdr *cm;

    *local = e->local;
    for (cm = CMSG_FIRSTHDR(h); cm != NULL; cm = CMSG_NXTHDR(h, cm)) {
        if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
            memset(local->ip, 0, sizeof(local->ip));
            local->af = TB_AF_INET;
            memcpy(local->ip, &pi.ipi_addr, 4);
        } else if (cm->cmsg_level == IPPROTO_IPV6 &&
                   cm->cmsg_type == IPV6_PKTINFO) {
            struct in6_pktinfo pi;
            memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
            memset(local->ip, 0, sizeof(local->ip));
            if (IN6_IS_ADDR_V4MAPPED(&pi.ipi6_addr)) {
                local->af = TB_AF_INET;
                memcpy(local->ip, &pi.ipi6_addr.s6_addr[12], 4);
            } else {
                local->af = TB_AF_INET6;
                memcpy(local->ip, &pi.ipi6_addr, 16);
            }
#ifdef SO_RXQ_OVFL
        } else if (cm->cmsg_level == SOL_SOCKET &&
                   cm->cmsg_type == SO_RXQ_OVFL) {
            uint32_t v;
            memcpy(&v, CMSG_DATA(cm), sizeof(v));
            /* The socket's drop count when this datagram was queued. */
            s->st.udp_rx_drop_full += (uint32_t)(v - e->ovfl);
            e->ovfl = v;
#endif
        }
    }
    local->port = e->local.port;
}

int tb_udp_recv(struct tb_stack *s, int ep, struct tb_dgram *d, size_t n)
{
    struct sock_ep *e = sock_ep_get(s, ep, EP_UDP);
    const size_t cap = s->cfg.udp_max;
    uint32_t m;
    uint8_t *base;
    int k = 0;

    if (e == NULL)
        return TB_EBADF;
    if (n == 0)
        return 0;
    m = n < s->cfg.udp_batch ? (uint32_t)n : s->cfg.udp_batch;
    base = s->bufs + (size_t)e->set * s->cfg.udp_batch * cap;
    for (int round = 0; round < RECV_ROUNDS && k == 0; round++) {
        int r;

        for (uint32_t i = 0; i < m; i++) {
            struct msghdr *h = &s->msg[i].msg_hdr;
            s->iov[i].iov_base = base + i * cap;
            s->iov[i].iov_len = cap;
            h->msg_name = &s->name[i];
            h->msg_namelen = sizeof(s->name[i]);
            h->msg_iov = &s->iov[i];
            h->msg_iovlen = 1;
            h->msg_control = s->ctl[i].buf;
            h->msg_controllen = sizeof(s->ctl[i].buf);
            h->msg_flags = 0;
        }
        r = recvmmsg(e->fd, s->msg, m, MSG_DONTWAIT, NULL);
        if (r <= 0)
            break; /* EAGAIN, or an error the next readiness repeats */
        for (int i = 0; i < r; i++) {
            struct msghdr *h = &s->msg[i].msg_hdr;
            struct tb_addr local;

            recv_ctl(s, e, h, &local);
            if (h->msg_flags & MSG_TRUNC) {
                s->st.udp_rx_drop_trunc++;
                continue;
            }
            tb_addr_from_sockaddr((const struct sockaddr *)&s->name[i],
                                  &d[k].peer);
            d[k].local = local;
            d[k].data = s->iov[i].iov_base;
            d[k].len = s->msg[i].msg_len;
            k++;
        }
        if ((uint32_t)r < m)
            break; /* the queue is empty */
    }
    s->st.udp_rx += (uint64_t)k;
    return k > 0 ? k : TB_EAGAIN;
}

/* Adds a pktinfo naming (local) as the source to message (i). */
static void send_src(struct tb_stack *s, const struct sock_ep *e,
                     const struct tb_addr *local, uint32_t i)
{
    struct msghdr *h = &s->msg[i].msg_hdr;
    struct cmsghdr *cm;

    h->msg_control = s->ctl[i].buf;
    h->msg_controllen = sizeof(s->ctl[i].buf);
    cm = CMSG_FIRSTHDR(h);
    if (e->family == AF_INET) {
        struct in_pktinfo pi;
        memset(&pi, 0, sizeof(pi));
        memcpy(&pi.ipi_spec_dst, local->ip, 4);
        cm->cmsg_level = IPPROTO_IP;
        cm->cmsg_type = IP_PKTINFO;
        cm->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
        h->msg_controllen = CMSG_SPACE(sizeof(pi));
    } else {
        /* Also for an IPv4 source on a dual-stack socket: the kernel
         * takes a v4-mapped IPV6_PKTINFO there (ip_cmsg_send). */
        struct in6_pktinfo pi;
        memset(&pi, 0, sizeof(pi));
        if (local->af == TB_AF_INET) {
            pi.ipi6_addr.s6_addr[10] = 0xff;
            pi.ipi6_addr.s6_addr[11] = 0xff;
            memcpy(&pi.ipi6_addr.s6_addr[12], local->ip, 4);
        } else {
            memcpy(&pi.ipi6_addr, local->ip, 16);
        }
        cm->cmsg_level = IPPROTO_IPV6;
        cm->cmsg_type = IPV6_PKTINFO;
        cm->cmsg_len = CMSG_LEN(sizeof(pi));
        memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
        h->msg_controllen = CMSG_SPACE(sizeof(pi));
    }
}

/* Fills message (i) for (d), or returns TB_EINVAL. */
static int send_prepare(struct tb_stack *s, const struct sock_ep *e,
                        const struct tb_dgram *d, uint32_t i)
{
    struct msghdr *h = &s->msg[i].msg_hdr;
    uint8_t af = d->peer.af;
    size_t alen = af == TB_AF_INET ? 4 : 16;
    socklen_t len;

    if ((af != TB_AF_INET && af != TB_AF_INET6) || d->peer.port == 0 ||
        (e->local.af != TB_AF_UNSPEC && e->local.af != af))
        return TB_EINVAL;
    /* 65535 minus the UDP header and the IPv4 / IPv6 header. */
    if (d->len > (af == TB_AF_INET ? 65507u : 65527u))
        return TB_EINVAL;
    if ((len = sock_to_sa(&d->peer, e->family, &s->name[i])) == 0)
        return TB_EINVAL;
    s->iov[i].iov_base = (void *)(uintptr_t)d->data;
    s->iov[i].iov_len = d->len;
    h->msg_name = &s->name[i];
    h->msg_namelen = len;
    h->msg_iov = &s->iov[i];
    h->msg_iovlen = 1;
    h->msg_control = NULL;
    h->msg_controllen = 0;
    h->msg_flags = 0;
    /* A source only where it may differ from the bound address. */
    if (d->local.af == af && !sock_ip_zero(d->local.ip, alen) &&
        (e->wildcard || memcmp(d->local.ip, e->local.ip, alen) != 0))
        send_src(s, e, &d->local, i);
    return 0;
}

/*
 * Hands messages [0, m) to the host.  Returns how many it took (0..m):
 * fewer when the socket buffer is full (*full) or a datagram failed (its
 * TB_E* in (*err)).  A datagram the host refuses for policy (a firewall's
 * EPERM) counts as sent and dropped, as a router would drop it.
 */
static uint32_t send_run(struct tb_stack *s, const struct sock_ep *e,
                         uint32_t m, bool *full, int *err)
{
    uint32_t k = 0;

    while (k < m) {
        int r = sendmmsg(e->fd, s->msg + k, m - k, MSG_DONTWAIT);

        if (r > 0) {
            k += (uint32_t)r;
            s->st.udp_tx += (uint64_t)r;
            continue;
        }
        switch (errno) {
        case EINTR:
            continue;
        case EAGAIN:
        case ENOBUFS:
        case ENOMEM:
            *full = true;
            return k;
        case EPERM:
        case EACCES:
        case ECONNREFUSED:
            s->st.udp_tx_drop++;
            k++;
            continue;
        default:
            *err = sock_err(errno);
            return k;
        }
    }
    return k;
}

int tb_udp_send(struct tb_stack *s, int ep, const struct tb_dgram *d, size_t n)
{
    struct sock_ep *e = sock_ep_get(s, ep, EP_UDP);
    size_t done = 0;

    if (e == NULL)
        return TB_EBADF;
    if (n > INT_MAX)
        n = INT_MAX;
    while (done < n) {
        uint32_t m = 0, sent;
        bool full = false;
        int bad = 0, err = 0;

        while (m < s->cfg.udp_batch && done + m < n &&
               (bad = send_prepare(s, e, &d[done + m], m)) == 0)
            m++;
        sent = send_run(s, e, m, &full, &err);
        done += sent;
        if (full) {
            s->st.udp_tx_full += (uint64_t)(n - done);
            break;
        }
        if (err != 0 || bad != 0)
            return done == 0 ? (err != 0 ? err : bad) : (int)done;
    }
    return (int)done;
}

int tb_udp_close(struct tb_stack *s, int ep)
{
    struct sock_ep *e = sock_ep_get(s, ep, EP_UDP);

    if (e == NULL)
        return TB_EBADF;
    s->set_free[s->set_nfree++] = e->set;
    sock_ep_release(s, e);
    return 0;
}

uint32_t sock_udp_events(struct tb_stack *s, struct sock_ep *e, uint32_t ev)
{
    uint32_t out = 0;

    (void)s;
    if (ev & EPOLLERR) { /* only with IP_RECVERR or connect(); clear it */
        int v;
        socklen_t l = sizeof(v);
        getsockopt(e->fd, SOL_SOCKET, SO_ERROR, &v, &l);
    }
    if (ev & EPOLLIN)
        out |= TB_EV_READ;
    if (ev & EPOLLOUT)
        out |= TB_EV_WRITE;
    return out & e->interest;
}
