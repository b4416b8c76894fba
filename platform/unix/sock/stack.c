/*
 * stack.c -- the core of the socket stack (<tibra/sockstack.h>): creation,
 * with every table taken up front; the endpoint table; errno and address
 * mappings; and stack.h's loop over one level-triggered epoll set:
 *
 *     tb_stack_wait()  epoll_wait(until deadline) --> s->evq
 *     tb_stack_poll()  s->evq, or epoll_wait(0) --> udp.c / tcp.c turn
 *                      each report into TB_EV_* --> (ev)
 *
 * The wait keeps what it collected for the poll that follows, so a busy
 * loop makes one epoll_wait per round, not two.  It fetches at most as
 * many events as that poll last asked for: epoll moves every reported
 * descriptor to the back of its ready list, so fetching more than are
 * handed out would starve the ones dropped.  There are no timers here (the
 * host runs TCP's), so tb_stack_deadline() only says whether collected
 * events wait.  The UDP and TCP calls are in udp.c and tcp.c.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sock_int.h"

#define EP_MAX    (1u << 20)
#define BATCH_MAX 1024u /* UIO_MAXIOV, sendmmsg's limit */

void tb_sock_config_default(struct tb_sock_config *c)
{
    memset(c, 0, sizeof(*c));
    c->endpoints = 1024;
    c->udp_endpoints = 8;
    c->udp_batch = 32;
    c->udp_max = 65535;
}

int sock_err(int e)
{
    switch (e) {
    case EAGAIN:
    case EINTR:
        return TB_EAGAIN;
    case EBADF:
        return TB_EBADF;
    case EINVAL:
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
    case EMSGSIZE:
    case EDESTADDRREQ:
    case EOPNOTSUPP:
        return TB_EINVAL;
    case EADDRINUSE:
        return TB_EADDRINUSE;
    case EMFILE:
    case ENFILE:
        return TB_ENOSPC;
    case ENOBUFS:
    case ENOMEM:
        return TB_ENOMEM;
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ENETDOWN:
    case EHOSTDOWN:
        return TB_ENETUNREACH;
    case ECONNRESET:
    case ECONNABORTED:
        return TB_ECONNRESET;
    case ECONNREFUSED:
        return TB_ECONNREFUSED;
    case ETIMEDOUT:
        return TB_ETIMEDOUT;
    case ENOTCONN:
        return TB_ENOTCONN;
    case EPIPE:
        return TB_EPIPE;
    case EACCES:
        return TB_EACCES;
    case EPERM:
        return TB_EPERM;
    default:
        return TB_EIO;
    }
}

bool sock_ip_zero(const uint8_t *ip, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (ip[i] != 0)
            return false;
    return true;
}

socklen_t sock_to_sa(const struct tb_addr *a, int family,
                     struct sockaddr_in6 *sa)
{
    memset(sa, 0, sizeof(*sa));
    if (family == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
        if (a->af != TB_AF_INET)
            return 0;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(a->port);
        memcpy(&s4->sin_addr, a->ip, 4);
        return sizeof(*s4);
    }
    if (a->af == TB_AF_INET) { /* ::ffff:a.b.c.d */
        sa->sin6_addr.s6_addr[10] = 0xff;
        sa->sin6_addr.s6_addr[11] = 0xff;
        memcpy(&sa->sin6_addr.s6_addr[12], a->ip, 4);
    } else if (a->af == TB_AF_INET6) {
        memcpy(&sa->sin6_addr, a->ip, 16);
    } else {
        return 0;
    }
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(a->port);
    return sizeof(*sa);
}

int sock_local_ok(const struct tb_addr *local)
{
    if (local->port == 0)
        return TB_EINVAL;
    if (local->af == TB_AF_INET || local->af == TB_AF_INET6 ||
        (local->af == TB_AF_UNSPEC && sock_ip_zero(local->ip, 16)))
        return 0;
    return TB_EINVAL;
}

int sock_open_bound(const struct tb_addr *local, int type, int *family)
{
    struct tb_addr a = *local;
    struct sockaddr_in6 sa;
    int fd, fam, one = 1, v6only, err;

    if (sock_local_ok(local) != 0)
        return TB_EINVAL;
    fam = local->af == TB_AF_INET ? AF_INET : AF_INET6;
    fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 && errno == EAFNOSUPPORT && local->af == TB_AF_UNSPEC) {
        fam = AF_INET; /* a host without IPv6: "both" is IPv4 */
        fd = socket(fam, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0)
        return sock_err(errno);
    /* TCP only: a restarted server must not wait out TIME_WAIT.  UDP has
     * no TIME_WAIT, and there SO_REUSEADDR would let two endpoints share
     * a port instead of failing with TB_EADDRINUSE. */
    if (type == SOCK_STREAM &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0)
        goto fail;
    if (fam == AF_INET6) {
        v6only = local->af == TB_AF_INET6;
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
                       sizeof(v6only)) != 0)
            goto fail;
    }
    if (a.af == TB_AF_UNSPEC)
        a.af = fam == AF_INET ? TB_AF_INET : TB_AF_INET6;
    if (bind(fd, (struct sockaddr *)&sa, sock_to_sa(&a, fam, &sa)) != 0)
        goto fail;
    *family = fam;
    return fd;
fail:
    err = sock_err(errno);
    close(fd);
    return err;
}

/* ---- endpoint table --------------------------------------------------- */

static uint32_t ep_index(const struct tb_stack *s, const struct sock_ep *e)
{
    return (uint32_t)(e - s->ep);
}

static uint32_t want_mask(const struct sock_ep *e)
{
    uint32_t m = 0;

    if (e->interest & TB_EV_READ)
        m |= EPOLLIN;
    /* A connect completes with EPOLLOUT whatever the interest.  After
     * SHUT_WR the host reports EPOLLOUT for ever: never ask for it. */
    if (((e->interest & TB_EV_WRITE) && !e->shut_wr) || e->connecting)
        m |= EPOLLOUT;
    /* The peer's FIN: reported as TB_EV_HUP with read interest only, as
     * lib/net does (EPOLLHUP, both directions gone, is always reported). */
    if (e->kind == EP_TCP && (e->interest & TB_EV_READ))
        m |= EPOLLRDHUP;
    return m;
}

static int ep_ctl(struct tb_stack *s, struct sock_ep *e, int op, uint32_t m)
{
    struct epoll_event ev = {
        .events = m,
        .data.u64 = (uint64_t)e->gen << 32 | ep_index(s, e),
    };

    return epoll_ctl(s->epfd, op, e->fd, &ev);
}

struct sock_ep *sock_ep_get(struct tb_stack *s, int ep, enum sock_kind kind)
{
    struct sock_ep *e;

    if (ep < 0 || (uint32_t)ep >= s->cfg.endpoints)
        return NULL;
    e = &s->ep[ep];
    return e->kind == kind ? e : NULL;
}

int sock_ep_next(struct tb_stack *s)
{
    return s->ep_nfree > 0 ? (int)s->ep_free[s->ep_nfree - 1] : -1;
}

int sock_ep_open(struct tb_stack *s, int i, int fd, enum sock_kind kind,
                 int family, uint32_t interest)
{
    struct sock_ep *e = &s->ep[i];
    uint32_t gen = e->gen;
    int err;

    assert(i == sock_ep_next(s) && e->kind == EP_FREE);
    e->fd = fd;
    e->kind = (uint8_t)kind;
    e->family = (uint8_t)family;
    e->interest = interest;
    e->epmask = want_mask(e);
    if (ep_ctl(s, e, EPOLL_CTL_ADD, e->epmask) != 0) {
        err = sock_err(errno);
        close(fd);
        memset(e, 0, sizeof(*e));
        e->fd = -1;
        e->gen = gen;
        return err;
    }
    s->ep_nfree--;
    return 0;
}

void sock_ep_release(struct tb_stack *s, struct sock_ep *e)
{
    uint32_t gen = e->gen + 1;

    /* close() also leaves the epoll set (no descriptor is ever dup'd). */
    close(e->fd);
    memset(e, 0, sizeof(*e));
    e->fd = -1;
    e->gen = gen;
    s->ep_free[s->ep_nfree++] = ep_index(s, e);
}

void sock_ep_rearm(struct tb_stack *s, struct sock_ep *e)
{
    uint32_t m = want_mask(e);

    if (m != e->epmask && ep_ctl(s, e, EPOLL_CTL_MOD, m) == 0)
        e->epmask = m;
}

/* ---- create / destroy ------------------------------------------------- */

static bool config_ok(const struct tb_sock_config *c)
{
    return c->endpoints >= 1 && c->endpoints <= EP_MAX &&
           c->udp_endpoints <= c->endpoints && c->udp_batch >= 1 &&
           c->udp_batch <= BATCH_MAX && c->udp_max >= 1 && c->udp_max <= 65535;
}

/* Reserves (size) bytes at the 16-aligned end of the layout (*off). */
static size_t place(size_t *off, size_t size)
{
    size_t at = (*off + 15) & ~(size_t)15;

    *off = at + size;
    return at;
}

static bool probe_pwait2(int epfd)
{
    struct epoll_event ev;
    struct timespec ts = {0, 0};

    return syscall(SYS_epoll_pwait2, epfd, &ev, 1, &ts, NULL, 0) >= 0;
}

int tb_sock_stack_create(struct tb_stack **sp, const struct tb_sock_config *c,
                         const struct tb_alloc *a)
{
    struct tb_sock_config def;
    size_t off = sizeof(struct tb_stack), o_ep, o_free, o_evq, o_msg, o_iov,
           o_name, o_ctl, o_set, bufs_size;
    struct tb_stack *s;
    uint8_t *mem;
    int err;

    if (c == NULL) {
        tb_sock_config_default(&def);
        c = &def;
    }
    if (!config_ok(c) ||
        tb_ckd_mul(&bufs_size, (size_t)c->udp_endpoints * c->udp_batch,
                   (size_t)c->udp_max))
        return TB_EINVAL;
    o_ep = place(&off, c->endpoints * sizeof(struct sock_ep));
    o_free = place(&off, c->endpoints * sizeof(uint32_t));
    o_evq = place(&off, c->endpoints * sizeof(struct epoll_event));
    o_msg = place(&off, c->udp_batch * sizeof(struct mmsghdr));
    o_iov = place(&off, c->udp_batch * sizeof(struct iovec));
    o_name = place(&off, c->udp_batch * sizeof(struct sockaddr_in6));
    o_ctl = place(&off, c->udp_batch * sizeof(union sock_ctl));
    o_set = place(&off, c->udp_endpoints * sizeof(uint32_t));
    if ((mem = tb_alloc(a, off)) == NULL)
        return TB_ENOMEM;
    memset(mem, 0, off);
    s = (struct tb_stack *)mem;
    s->cfg = *c;
    s->a = a;
    s->mem_size = off;
    s->ep = (struct sock_ep *)(mem + o_ep);
    s->ep_free = (uint32_t *)(mem + o_free);
    s->evq = (struct epoll_event *)(mem + o_evq);
    s->msg = (struct mmsghdr *)(mem + o_msg);
    s->iov = (struct iovec *)(mem + o_iov);
    s->name = (struct sockaddr_in6 *)(mem + o_name);
    s->ctl = (union sock_ctl *)(mem + o_ctl);
    s->set_free = (uint32_t *)(mem + o_set);
    s->bufs_size = bufs_size;
    if (bufs_size > 0 && (s->bufs = tb_alloc(a, bufs_size)) == NULL) {
        err = TB_ENOMEM;
        goto out_free_mem;
    }
    if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        err = sock_err(errno);
        goto out_free_bufs;
    }
    /* Optional: without it EMFILE leaves the connection queued. */
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->pwait2 = probe_pwait2(s->epfd);
    /* Free stacks pop the lowest index first. */
    for (uint32_t i = 0; i < c->endpoints; i++) {
        s->ep[i].fd = -1;
        s->ep_free[i] = c->endpoints - 1 - i;
    }
    s->ep_nfree = c->endpoints;
    for (uint32_t i = 0; i < c->udp_endpoints; i++)
        s->set_free[i] = c->udp_endpoints - 1 - i;
    s->set_nfree = c->udp_endpoints;
    s->poll_max = c->endpoints;
    *sp = s;
    return 0;

out_free_bufs:
    if (s->bufs != NULL)
        tb_free(a, s->bufs, bufs_size);
out_free_mem:
    tb_free(a, mem, off);
    return err;
}

void tb_sock_stack_destroy(struct tb_stack *s)
{
    const struct tb_alloc *a;

    if (s == NULL)
        return;
    a = s->a;
    for (uint32_t i = 0; i < s->cfg.endpoints; i++)
        if (s->ep[i].kind != EP_FREE)
            close(s->ep[i].fd);
    close(s->epfd);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    if (s->bufs != NULL)
        tb_free(a, s->bufs, s->bufs_size);
    tb_free(a, s, s->mem_size);
}

const struct tb_sock_stats *tb_sock_stats(const struct tb_stack *s)
{
    return &s->st;
}

uint32_t tb_sock_endpoints_in_use(const struct tb_stack *s)
{
    return s->cfg.endpoints - s->ep_nfree;
}

/* ---- stack.h: the loop ------------------------------------------------ */

int tb_stack_poll(struct tb_stack *s, struct tb_event *ev, size_t n)
{
    uint32_t max = n < s->cfg.endpoints ? (uint32_t)n : s->cfg.endpoints;
    uint32_t cnt;
    int k = 0;

    if (max == 0)
        return 0;
    s->poll_max = max;
    if (s->evq_len > 0) {
        cnt = TB_MIN(s->evq_len, max);
        s->evq_len = 0;
    } else {
        int r = epoll_wait(s->epfd, s->evq, (int)max, 0);
        cnt = r > 0 ? (uint32_t)r : 0;
    }
    for (uint32_t i = 0; i < cnt; i++) {
        uint64_t data = s->evq[i].data.u64;
        uint32_t idx = (uint32_t)data, out;
        struct sock_ep *e;

        if (NEVER(idx >= s->cfg.endpoints))
            continue;
        e = &s->ep[idx];
        if (e->kind == EP_FREE || e->gen != (uint32_t)(data >> 32))
            continue; /* closed since the wait collected it */
        if (e->kind == EP_UDP)
            out = sock_udp_events(s, e, s->evq[i].events);
        else
            out = sock_tcp_events(s, e, s->evq[i].events);
        if (out != 0) {
            ev[k].ep = (int)idx;
            ev[k].events = out;
            k++;
        }
    }
    return k;
}

tb_time_t tb_stack_deadline(struct tb_stack *s)
{
    return s->evq_len > 0 ? 0 : UINT64_MAX;
}

static tb_time_t monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (tb_time_t)ts.tv_sec * 1000000000u + (tb_time_t)ts.tv_nsec;
}

/*
 * As platform/unix/time.c's tb_yield(): epoll_pwait2's nanoseconds where
 * the kernel has them, else milliseconds rounded up, so the deadline is
 * never returned from early except for input or a signal.
 */
void tb_stack_wait(struct tb_stack *s, tb_time_t deadline)
{
    int max = (int)s->poll_max;
    long r;

    if (s->evq_len > 0)
        return;
    if (deadline == UINT64_MAX) {
        r = epoll_wait(s->epfd, s->evq, max, -1);
    } else {
        tb_time_t now = monotonic_ns();
        tb_time_t wait = deadline > now ? deadline - now : 0;
        if (s->pwait2) {
            struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000u),
                                  .tv_nsec = (long)(wait % 1000000000u)};
            r = syscall(SYS_epoll_pwait2, s->epfd, s->evq, max, &ts, NULL, 0);
        } else {
            tb_time_t ms = (wait + 999999u) / 1000000u;
            r = epoll_wait(s->epfd, s->evq, max,
                           ms > INT_MAX ? INT_MAX : (int)ms);
        }
    }
    s->evq_len = r > 0 ? (uint32_t)r : 0;
}

int tb_stack_interest(struct tb_stack *s, int ep, uint32_t events)
{
    struct sock_ep *e;

    if (ep < 0 || (uint32_t)ep >= s->cfg.endpoints ||
        (e = &s->ep[ep])->kind == EP_FREE)
        return TB_EBADF;
    e->interest = events & (TB_EV_READ | TB_EV_WRITE);
    sock_ep_rearm(s, e);
    s->evq_len = 0; /* collected under the old interest */
    return 0;
}
