/*
 * tcp.c -- TCP endpoints of the socket stack: listeners and connections
 * over the host's TCP.  Every socket is non-blocking; a connect() in
 * progress is watched for EPOLLOUT whatever the interest, and settled
 * (established, or failed with SO_ERROR) by the first poll that sees it,
 * or by a read, write or shutdown that finds it still pending.
 *
 * A connection's error (reset, refused, timed out, unreachable) is read
 * once from the host, which then forgets it, so it is kept in the
 * endpoint: later reads (after any data still queued) and writes return
 * it and every poll reports TB_EV_ERR, as lib/net does.  tb_tcp_close()
 * is close(2): FIN after the queued data, or RST when unread data is
 * pending (RFC 2525 2.17, which is stack.h's rule too); tb_tcp_abort()
 * sets SO_LINGER {1, 0} first, so close(2) sends RST.  Closing a listener
 * resets the connections it had not handed out.  What this does not do:
 * socket options beyond these (no Nagle control, no keepalive), and it
 * leaves timers, retransmission and TIME_WAIT to the host.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "sock_int.h"

static int so_error(int fd)
{
    int v = 0;
    socklen_t l = sizeof(v);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) != 0)
        return 0;
    return v;
}

static bool conn_err(int err)
{
    return err == TB_ECONNRESET || err == TB_ECONNREFUSED ||
           err == TB_ETIMEDOUT || err == TB_ENETUNREACH;
}

/* close(2) with SO_LINGER {1, 0}: the host sends RST. */
static void reset_close(int fd)
{
    struct linger lg = {.l_onoff = 1, .l_linger = 0};

    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

int tb_tcp_listen(struct tb_stack *s, const struct tb_addr *local, int backlog,
                  int *ep)
{
    int i, fd, family, err;

    if ((err = sock_local_ok(local)) != 0)
        return err;
    if ((i = sock_ep_next(s)) < 0)
        return TB_ENOSPC;
    if ((fd = sock_open_bound(local, SOCK_STREAM, &family)) < 0)
        return fd;
    backlog = TB_MAX(1, TB_MIN(backlog, (int)s->cfg.endpoints));
    if (listen(fd, backlog) != 0) {
        err = sock_err(errno);
        close(fd);
        return err;
    }
    s->ep[i].local = *local;
    if ((err = sock_ep_open(s, i, fd, EP_LISTEN, family, TB_EV_READ)) != 0)
        return err;
    *ep = i;
    return 0;
}

/*
 * Out of descriptors (EMFILE, ENFILE): the pending connection would keep
 * the level-triggered listener ready for ever.  Give up the spare
 * descriptor for a moment to take it and reset it.
 */
static void accept_shed(struct tb_stack *s, const struct sock_ep *l)
{
    int fd;

    if (s->spare_fd < 0)
        return;
    close(s->spare_fd);
    if ((fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
        reset_close(fd);
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int tb_tcp_accept(struct tb_stack *s, int lep, int *ep, struct tb_addr *peer)
{
    struct sock_ep *l = sock_ep_get(s, lep, EP_LISTEN);
    struct sockaddr_in6 sa;
    socklen_t len;
    int i, fd;

    if (l == NULL)
        return TB_EBADF;
    for (;;) {
        len = sizeof(sa);
        fd = accept4(l->fd, (struct sockaddr *)&sa, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            break;
        switch (errno) {
        case EINTR:
        case ECONNABORTED: /* reset while queued: take the next one */
            continue;
        case EAGAIN:
            return TB_EAGAIN;
        case EMFILE:
        case ENFILE:
            s->st.tcp_accept_err++;
            accept_shed(s, l);
            return TB_EAGAIN;
        default: /* ENOBUFS, ENOMEM, EPERM (firewall), EPROTO */
            s->st.tcp_accept_err++;
            return TB_EAGAIN;
        }
    }
    if ((i = sock_ep_next(s)) < 0) {
        s->st.tcp_accept_drop++;
        reset_close(fd);
        return TB_EAGAIN;
    }
    if (sock_ep_open(s, i, fd, EP_TCP, l->family, TB_EV_READ) != 0) {
        s->st.tcp_accept_err++;
        return TB_EAGAIN;
    }
    s->st.tcp_accepted++;
    if (peer != NULL)
        tb_addr_from_sockaddr((const struct sockaddr *)&sa, peer);
    *ep = i;
    return 0;
}

int tb_tcp_connect(struct tb_stack *s, const struct tb_addr *remote, int *ep)
{
    struct sockaddr_in6 sa;
    struct sock_ep *e;
    int i, fd, family, err;

    if ((remote->af != TB_AF_INET && remote->af != TB_AF_INET6) ||
        remote->port == 0)
        return TB_EINVAL;
    if ((i = sock_ep_next(s)) < 0)
        return TB_ENOSPC;
    family = remote->af == TB_AF_INET ? AF_INET : AF_INET6;
    fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return errno == EAFNOSUPPORT ? TB_ENETUNREACH : sock_err(errno);
    e = &s->ep[i];
    if (connect(fd, (struct sockaddr *)&sa, sock_to_sa(remote, family, &sa)) !=
        0) {
        err = errno;
        if (err == EINPROGRESS) {
            e->connecting = true;
        } else if (err == EADDRNOTAVAIL || err == EAGAIN) {
            close(fd); /* no ephemeral port left */
            return TB_ENOSPC;
        } else if (err == ECONNREFUSED || err == ECONNRESET ||
                   err == ETIMEDOUT) {
            e->err = sock_err(err); /* reported as TB_EV_ERR, as promised */
        } else {
            close(fd);
            return sock_err(err);
        }
    }
    if ((err = sock_ep_open(s, i, fd, EP_TCP, family,
                            TB_EV_READ | TB_EV_WRITE)) != 0)
        return err;
    *ep = i;
    return 0;
}

/* Settles a connect() in progress if the host has: established or not. */
static void settle(struct tb_stack *s, struct sock_ep *e)
{
    struct pollfd p = {.fd = e->fd, .events = POLLOUT};

    if (!e->connecting || poll(&p, 1, 0) <= 0)
        return;
    if (p.revents & (POLLERR | POLLHUP)) {
        int v = so_error(e->fd);
        e->err = v != 0 ? sock_err(v) : TB_ECONNRESET;
    }
    e->connecting = false;
    sock_ep_rearm(s, e);
}

int tb_tcp_read(struct tb_stack *s, int ep, void *buf, size_t cap)
{
    struct sock_ep *e = sock_ep_get(s, ep, EP_TCP);
    ssize_t r;

    if (e == NULL)
        return TB_EBADF;
    if (e->connecting) {
        settle(s, e);
        if (e->connecting)
            return TB_ENOTCONN;
    }
    r = recv(e->fd, buf, TB_MIN(cap, (size_t)INT_MAX), MSG_DONTWAIT);
    if (r > 0)
        return (int)r;
    if (r < 0 && errno != EAGAIN && errno != EINTR) {
        int err = sock_err(errno);
        if (!conn_err(err) && e->err == 0)
            return err;
        if (e->err == 0)
            e->err = err;
    }
    /* Queued data first (above), then a connection error, then EOF. */
    if (e->err != 0)
        return e->err;
    return r == 0 ? 0 : TB_EAGAIN;
}

int tb_tcp_write(struct tb_stack *s, int ep, const void *buf, size_t len)
{
    struct sock_ep *e = sock_ep_get(s, ep, EP_TCP);
    ssize_t r;
    int err;

    if (e == NULL)
        return TB_EBADF;
    if (e->connecting)
        settle(s, e);
    if (e->err != 0)
        return e->err;
    if (e->shut_wr)
        return TB_EPIPE;
    if (e->connecting || len == 0)
        return TB_EAGAIN;
    r = send(e->fd, buf, TB_MIN(len, (size_t)INT_MAX),
             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r > 0)
        return (int)r;
    if (r == 0 || errno == EAGAIN || errno == EINTR)
        return TB_EAGAIN;
    err = sock_err(errno);
    if (conn_err(err))
        e->err = err;
    return err;
}

int tb_tcp_shutdown(struct tb_stack *s, int ep)
{
    struct sock_ep *e = sock_ep_get(s, ep, EP_TCP);

    if (e == NULL)
        return TB_EBADF;
    settle(s, e);
    /* Linux's shutdown() would abandon a connect() in progress. */
    if (e->connecting || e->err != 0)
        return TB_ENOTCONN;
    if (shutdown(e->fd, SHUT_WR) != 0)
        return sock_err(errno);
    e->shut_wr = true;
    sock_ep_rearm(s, e);
    return 0;
}

int tb_tcp_close(struct tb_stack *s, int ep)
{
    struct sock_ep *e = sock_ep_get(s, ep, EP_TCP);

    if (e == NULL && (e = sock_ep_get(s, ep, EP_LISTEN)) == NULL)
        return TB_EBADF;
    sock_ep_release(s, e);
    return 0;
}

int tb_tcp_abort(struct tb_stack *s, int ep)
{
    struct sock_ep *e = sock_ep_get(s, ep, EP_TCP);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};

    if (e == NULL)
        return tb_tcp_close(s, ep); /* a listener, or TB_EBADF */
    setsockopt(e->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    sock_ep_release(s, e);
    return 0;
}

uint32_t sock_tcp_events(struct tb_stack *s, struct sock_ep *e, uint32_t ev)
{
    uint32_t out = 0;

    if (e->kind == EP_LISTEN) {
        if (ev & EPOLLERR)
            (void)so_error(e->fd);
        return ev & EPOLLIN ? e->interest & TB_EV_READ : 0;
    }
    if (ev & EPOLLERR) {
        int v = so_error(e->fd);
        if (v != 0 && e->err == 0)
            e->err = sock_err(v);
    }
    if (e->connecting) {
        if (e->err == 0 && (ev & EPOLLHUP))
            e->err = TB_ECONNRESET; /* closed without telling why */
        if (e->err != 0 || (ev & EPOLLOUT)) {
            e->connecting = false;
            sock_ep_rearm(s, e);
        }
    }
    if ((ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) || e->err != 0)
        out |= TB_EV_READ;
    if ((ev & EPOLLOUT) && !e->connecting && !e->shut_wr && e->err == 0)
        out |= TB_EV_WRITE;
    out &= e->interest;
    if (e->err != 0)
        out |= TB_EV_ERR;
    if (ev & (EPOLLRDHUP | EPOLLHUP))
        out |= TB_EV_HUP;
    return out;
}
