/*
 * test_sockstack.h -- shared by test_sockstack.c (UDP, events, limits,
 * create/destroy) and test_sockstack_tcp.c: a counting allocator, stack
 * creation and teardown checks, loopback addresses and plain sockets,
 * and bounded (2 s) loops driving a stack.  Private to those tests.
 */
#ifndef TB_TEST_SOCKSTACK_H
#define TB_TEST_SOCKSTACK_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <tibra/hosted.h>
#include <tibra/sockstack.h>

#include "check.h"

/* ---- a counting allocator --------------------------------------------- */

static long live_blocks, live_bytes, alloc_calls, fail_at = -1;

static inline void *c_alloc(void *ctx, size_t n)
{
    void *p;

    (void)ctx;
    if (alloc_calls++ == fail_at)
        return NULL;
    if ((p = malloc(n)) != NULL) {
        live_blocks++;
        live_bytes += (long)n;
    }
    return p;
}
static inline void *c_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx, (void)p, (void)o, (void)n;
    return NULL; /* the stack never reallocates */
}
static inline void c_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (p == NULL)
        return;
    live_blocks--;
    live_bytes -= (long)n;
    free(p);
}
static const struct tb_alloc A = {c_alloc, c_realloc, c_free, NULL};

static inline struct tb_stack *mk(uint32_t eps, uint32_t udp_eps,
                                  uint32_t batch, uint32_t udp_max)
{
    struct tb_sock_config c;
    struct tb_stack *s = NULL;

    tb_sock_config_default(&c);
    c.endpoints = eps;
    c.udp_endpoints = udp_eps;
    c.udp_batch = batch;
    c.udp_max = udp_max;
    if (tb_sock_stack_create(&s, &c, &A) != 0)
        return NULL;
    return s;
}

static inline void teardown(struct tb_stack *s)
{
    CHECK_EQ(tb_sock_endpoints_in_use(s), 0);
    tb_sock_stack_destroy(s);
    CHECK_EQ(live_blocks, 0);
    CHECK_EQ(live_bytes, 0);
}

/* ---- addresses and plain sockets -------------------------------------- */

static bool have_ip6;

static inline uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline struct tb_addr addr(const char *ip, uint16_t port)
{
    struct tb_addr a;

    memset(&a, 0, sizeof(a));
    a.port = port;
    if (strchr(ip, ':') != NULL) {
        a.af = TB_AF_INET6;
        inet_pton(AF_INET6, ip, a.ip);
    } else {
        a.af = TB_AF_INET;
        inet_pton(AF_INET, ip, a.ip);
    }
    return a;
}

static inline struct tb_addr any(uint8_t af, uint16_t port)
{
    struct tb_addr a;

    memset(&a, 0, sizeof(a));
    a.af = af;
    a.port = port;
    return a;
}

static inline bool same(const struct tb_addr *a, const struct tb_addr *b)
{
    return a->af == b->af && a->port == b->port &&
           memcmp(a->ip, b->ip, a->af == TB_AF_INET ? 4 : 16) == 0;
}

static inline socklen_t to_sa(const struct tb_addr *a,
                              struct sockaddr_storage *ss)
{
    return (socklen_t)tb_addr_to_sockaddr(a, ss);
}

static inline struct tb_addr from_sa(const struct sockaddr_storage *ss)
{
    struct tb_addr a;

    memset(&a, 0, sizeof(a));
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        a.af = TB_AF_INET;
        a.port = ntohs(s4->sin_port);
        memcpy(a.ip, &s4->sin_addr, 4);
    } else {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        a.af = TB_AF_INET6;
        a.port = ntohs(s6->sin6_port);
        memcpy(a.ip, &s6->sin6_addr, 16);
    }
    return a;
}

/* A port the kernel just handed out for (type) on both families. */
static inline uint16_t free_port(int type)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    struct tb_addr a = any(have_ip6 ? TB_AF_INET6 : TB_AF_INET, 0);
    int fd = socket(have_ip6 ? AF_INET6 : AF_INET, type, 0), off = 0;
    uint16_t port = 0;

    if (fd < 0)
        return 0;
    if (have_ip6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
    if (bind(fd, (struct sockaddr *)&ss, to_sa(&a, &ss)) == 0 &&
        getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
        port = from_sa(&ss).port;
    close(fd);
    return port;
}

/* A plain UDP socket bound to (ip) and an ephemeral port. */
static inline int udp_plain(const char *ip, struct tb_addr *self)
{
    struct tb_addr a = addr(ip, 0);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = socket(a.af == TB_AF_INET ? AF_INET : AF_INET6, SOCK_DGRAM, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, to_sa(&a, &ss)) != 0 ||
        getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *self = from_sa(&ss);
    return fd;
}

static inline void send_to(int fd, const struct tb_addr *to, const void *p,
                           size_t n)
{
    struct sockaddr_storage ss;

    CHECK_EQ(sendto(fd, p, n, 0, (struct sockaddr *)&ss, to_sa(to, &ss)),
             (long long)n);
}

/* Receives one datagram within 2 s; returns its length or -1. */
static inline long recv_from(int fd, void *buf, size_t cap,
                             struct tb_addr *from)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    long r;

    if (poll(&p, 1, 2000) != 1)
        return -1;
    r = recvfrom(fd, buf, cap, 0, (struct sockaddr *)&ss, &len);
    if (r >= 0 && from != NULL)
        *from = from_sa(&ss);
    return r;
}

/* ---- driving the stack ------------------------------------------------ */

/* Polls until (ep) reports one of (want), for up to 2 s.  Returns all the
 * events it reported then, or 0. */
static inline uint32_t wait_ev(struct tb_stack *s, int ep, uint32_t want)
{
    struct tb_event ev[64];
    uint64_t end = mono_ns() + 2000000000u;

    do {
        int n = tb_stack_poll(s, ev, 64);
        for (int i = 0; i < n; i++)
            if (ev[i].ep == ep && (ev[i].events & want))
                return ev[i].events;
        tb_stack_wait(s, mono_ns() + 20000000u);
    } while (mono_ns() < end);
    return 0;
}

/* The events (ep) reports in one poll (0: not reported). */
static inline uint32_t poll_ep(struct tb_stack *s, int ep)
{
    struct tb_event ev[64];
    int n = tb_stack_poll(s, ev, 64);

    for (int i = 0; i < n; i++)
        if (ev[i].ep == ep)
            return ev[i].events;
    return 0;
}

/* Receives on (ep) until (want) datagrams arrived (2 s at most), copying
 * them into (buf) at (stride); lengths into (len).  Returns the count and
 * the largest single tb_udp_recv() result in (*most). */
static inline int recv_all(struct tb_stack *s, int ep, int want, uint8_t *buf,
                           size_t stride, size_t *len, struct tb_dgram *meta,
                           int *most)
{
    struct tb_dgram d[16];
    uint64_t end = mono_ns() + 2000000000u;
    int got = 0;

    *most = 0;
    while (got < want && mono_ns() < end) {
        int n = tb_udp_recv(s, ep, d, 16);
        if (n == TB_EAGAIN) {
            wait_ev(s, ep, TB_EV_READ);
            continue;
        }
        if (n < 0)
            break;
        *most = TB_MAX(*most, n);
        for (int i = 0; i < n && got < want; i++, got++) {
            memcpy(buf + (size_t)got * stride, d[i].data,
                   TB_MIN(d[i].len, stride));
            len[got] = d[i].len;
            if (meta != NULL)
                meta[got] = d[i];
        }
    }
    return got;
}

/* An established pair on (s): (*c) connected to listener (lep) on (la),
 * (*a) accepted. */
static inline bool tcp_pair(struct tb_stack *s, const struct tb_addr *la,
                            int lep, int *c, int *a)
{
    if (tb_tcp_connect(s, la, c) != 0)
        return false;
    if (!(wait_ev(s, lep, TB_EV_READ) & TB_EV_READ) ||
        tb_tcp_accept(s, lep, a, NULL) != 0)
        return false;
    return (wait_ev(s, *c, TB_EV_WRITE) & TB_EV_WRITE) != 0;
}

/* Reads from (ep) until (n) bytes or EOF/error within 2 s. */
static inline long read_n(struct tb_stack *s, int ep, uint8_t *buf, size_t n)
{
    uint64_t end = mono_ns() + 2000000000u;
    size_t got = 0;

    while (got < n && mono_ns() < end) {
        int r = tb_tcp_read(s, ep, buf + got, n - got);
        if (r == TB_EAGAIN) {
            wait_ev(s, ep, TB_EV_READ);
            continue;
        }
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return (long)got;
}

/* Waits up to 2 s for a plain TCP socket to be reset. */
static inline bool plain_reset(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char b;

    return poll(&p, 1, 2000) == 1 && recv(fd, &b, 1, 0) < 0 &&
           errno == ECONNRESET;
}

static inline int plain_connect(const struct tb_addr *to)
{
    struct sockaddr_storage ss;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd >= 0 && connect(fd, (struct sockaddr *)&ss, to_sa(to, &ss)) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* Sets have_ip6: can a socket bind ::1 here? */
static inline void probe_ip6(void)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct tb_addr lo6 = addr("::1", 0);
    struct sockaddr_storage ss;

    have_ip6 =
        fd >= 0 && bind(fd, (struct sockaddr *)&ss, to_sa(&lo6, &ss)) == 0;
    if (fd >= 0)
        close(fd);
}

#endif /* TB_TEST_SOCKSTACK_H */
