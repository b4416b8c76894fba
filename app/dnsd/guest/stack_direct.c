/*
 * stack_direct.c -- the DNS unikernel on the direct stack: lib/net over
 * plat.h network device "service0" (spt and hvt images; the manifest
 * below makes the tender attach it).  Addresses come from --ipv4=,
 * --ipv6= and their gateways; both families are served on --port= from
 * one UDP endpoint and one TCP listener bound to any address (af
 * TB_AF_UNSPEC).  Linked instead of stack_sock.c: the choice of stack is
 * the choice of this object.
 */
#include <stdio.h>
#include <string.h>

#include <tibra/net.h>

#include "dnsg.h"

#ifdef DNSG_STATE_DEVICE /* images that keep zones: block device "state" */
TB_MANIFEST(2, TB_MFT_NET("service0"), TB_MFT_BLOCK("state"));
#else
TB_MANIFEST(1, TB_MFT_NET("service0"));
#endif

/* TCP buffers of one connection: a query is at most 4 KiB (srv.h), and
 * answers wait in the session's own buffer until the stack takes them. */
#define RCVBUF 8192
#define SNDBUF 16384

/* tb_yield() wakes for a stop request itself (plat.h). */
const uint64_t dnsg_stack_wait_max = UINT64_MAX;

static void config(struct net_config *n, const struct dnsg_conf *c,
                   uint32_t conns)
{
    net_config_default(n);
    if (c->has_ip4) {
        memcpy(n->ip4, c->ip4, 4);
        n->ip4_prefix = c->ip4_prefix;
    }
    if (c->has_ip4_gw)
        memcpy(n->ip4_gw, c->ip4_gw, 4);
    if (c->has_ip6) {
        memcpy(n->ip6[0], c->ip6, 16);
        n->ip6_prefix[0] = c->ip6_prefix;
        n->ip6_count = 1;
    }
    if (c->has_ip6_gw)
        memcpy(n->ip6_gw, c->ip6_gw, 16);
    uint32_t ru, rl, rc;
    dnsg_res_stack_needs(c, &ru, &rl, &rc);
    n->udp_eps = 2 + ru + (c->nprimary != 0); /* secondary.c's */
    n->udp_queue = 256;
    n->tcp_listeners = 2 + rl;
    n->tcp_conns = conns + rc;
    n->tcp_rcvbuf = RCVBUF;
    n->tcp_sndbuf = SNDBUF;
    n->pkts = 512;
}

size_t dnsg_stack_memory(const struct dnsg_conf *c, uint32_t conns)
{
    struct net_config n;

    config(&n, c, conns);
    return net_stack_memory(&n);
}

int dnsg_stack_open(struct tb_stack **s, const struct dnsg_conf *c,
                    uint32_t conns, const struct tb_alloc *a, char *err,
                    size_t cap)
{
    struct net_config n;
    int rc;

    config(&n, c, conns);
    rc = net_plat_open(s, "service0", &n, a);
    if (rc == TB_ENOENT)
        snprintf(err, cap,
                 "no network device 'service0' (attach one: "
                 "--net:service0=TAP)");
    else if (rc != 0)
        snprintf(err, cap, "cannot start the network stack: %s",
                 tb_strerror(rc));
    return rc;
}

size_t dnsg_stack_locals(const struct dnsg_conf *c, struct tb_addr *out,
                         size_t max, char *err, size_t cap)
{
    if (!c->has_ip4 && !c->has_ip6) {
        snprintf(err, cap,
                 "no address: give --ipv4=A.B.C.D/N and/or "
                 "--ipv6=X::Y/N");
        return 0;
    }
    if (max == 0)
        return 0;
    memset(&out[0], 0, sizeof(out[0])); /* any address, both families */
    out[0].af = TB_AF_UNSPEC;
    out[0].port = c->port;
    return 1;
}

void dnsg_stack_describe(const struct dnsg_conf *c, char *buf, size_t cap)
{
    char a6[TB_INET6_TEXT_MAX] = "";
    size_t len = 0;
    int n;

    buf[0] = '\0';
    if (c->has_ip4) {
        n = snprintf(buf, cap, "%u.%u.%u.%u/%u", c->ip4[0], c->ip4[1],
                     c->ip4[2], c->ip4[3], c->ip4_prefix);
        len = n > 0 ? TB_MIN((size_t)n, cap - 1) : 0;
    }
    if (c->has_ip6) {
        tb_inet_ntop6(c->ip6, a6, sizeof(a6));
        n = snprintf(buf + len, cap - len, "%s%s/%u", len ? " " : "", a6,
                     c->ip6_prefix);
        len = n > 0 ? TB_MIN(len + (size_t)n, cap - 1) : len;
    }
    snprintf(buf + len, cap - len, " port %u", c->port);
}
