/*
 * stack_sock.c -- the DNS unikernel on host sockets (<tibra/sockstack.h>):
 * the unix target as a plain Linux process, serving on every --listen=
 * ADDR@PORT address (UDP and TCP each).  Linked instead of
 * stack_direct.c; everything else in the image is the same objects.
 */
#include <stdio.h>
#include <string.h>

#include <tibra/sockstack.h>

#include "dnsg.h"

/* A stop request (SIGTERM) arriving just before epoll_wait would only
 * be seen at the next wakeup: bound the wait. */
const uint64_t dnsg_stack_wait_max = 200000000u;

static void config(struct tb_sock_config *s, const struct dnsg_conf *c,
                   uint32_t conns)
{
    tb_sock_config_default(s);
    /* One per listen address, and NOTIFY's own (notify.c). */
    uint32_t ru, rl, rc;
    dnsg_res_stack_needs(c, &ru, &rl, &rc);
    s->udp_endpoints = (c->nlisten ? c->nlisten : 1) + (c->nnotify != 0) +
                       (c->nprimary != 0); /* secondary.c's SOA queries */
    /* UDP and TCP listeners, the connections, a few spare; the
     * resolver's listeners, outbound queries and clients. */
    s->endpoints =
        2 * s->udp_endpoints + conns + 8 + ru + rl + rc + c->nprimary;
    s->udp_endpoints += ru;
    s->udp_batch = DNSG_UDP_BATCH;
    s->udp_max = 65535; /* longer than DNS_SRV_QUERY_MAX: srv.h counts it */
}

size_t dnsg_stack_memory(const struct dnsg_conf *c, uint32_t conns)
{
    struct tb_sock_config s;

    config(&s, c, conns);
    /* An upper bound: the receive buffers, their message headers, and a
     * slot per endpoint (sockstack.h keeps these small). */
    return (size_t)s.udp_endpoints * s.udp_batch * (s.udp_max + 256) +
           (size_t)s.endpoints * 256 + (64u << 10);
}

int dnsg_stack_open(struct tb_stack **sp, const struct dnsg_conf *c,
                    uint32_t conns, const struct tb_alloc *a, char *err,
                    size_t cap)
{
    struct tb_sock_config s;
    int rc;

    config(&s, c, conns);
    rc = tb_sock_stack_create(sp, &s, a);
    if (rc != 0)
        snprintf(err, cap, "cannot create the socket stack: %s",
                 tb_strerror(rc));
    return rc;
}

size_t dnsg_stack_locals(const struct dnsg_conf *c, struct tb_addr *out,
                         size_t max, char *err, size_t cap)
{
    if (c->nlisten == 0) {
        snprintf(err, cap, "no address to serve on: give --listen=ADDR@PORT");
        return 0;
    }
    size_t n = TB_MIN((size_t)c->nlisten, max);
    memcpy(out, c->listen, n * sizeof(*out));
    return n;
}

void dnsg_stack_describe(const struct dnsg_conf *c, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    for (unsigned i = 0; i < c->nlisten && len + 1 < cap; i++) {
        const struct tb_addr *l = &c->listen[i];
        char a[TB_INET6_TEXT_MAX];
        int n;

        if (l->af == TB_AF_INET6)
            tb_inet_ntop6(l->ip, a, sizeof(a));
        else
            snprintf(a, sizeof(a), "%u.%u.%u.%u", l->ip[0], l->ip[1], l->ip[2],
                     l->ip[3]);
        n = snprintf(buf + len, cap - len, "%s%s@%u", i ? " " : "", a, l->port);
        if (n > 0)
            len = TB_MIN(len + (size_t)n, cap - 1);
    }
}
