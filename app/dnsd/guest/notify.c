/*
 * notify.c -- NOTIFY out from the DNS unikernel (lib/dns/notify.c's state
 * machine over stack.h UDP):
 *
 *   boot: --notify=ZONE:ADDR@PORT words --dnsg_notify_start--> one
 *   struct dns_notify per zone, started with the image's SOA, one UDP
 *   endpoint on a random high port;  loop: dnsg_notify_run(now) sends
 *   what is due and says when next; dnsg_notify_handle() takes responses
 *
 * An image's zones never change while it runs, so NOTIFY goes out once,
 * at boot (a restarted image with a new bundle notifies again).  State
 * is static: there is one loop.  Outcomes are console lines, as
 * tibra-dnsd logs them.
 */
#include <stdio.h>
#include <string.h>

#include <tibra/dns/notify.h>

#include "dnsg.h"

#define NOTIFY_ZONES_MAX DNSG_NOTIFY_MAX

static struct dns_notify *zn; /* [nz], from the boot heap */
static size_t nz;
static int ep = -1;
static uint8_t said[NOTIFY_ZONES_MAX][DNS_NOTIFY_TARGETS_MAX];

int dnsg_notify_start(struct dnsg *g, const struct dnsg_conf *c,
                      const struct dns_zoneset *zs, uint64_t seed,
                      const struct tb_alloc *a, char *err, size_t cap)
{
    uint16_t port;
    struct tb_addr any = {0};
    int rc;

    if (c->nnotify == 0)
        return 0;
    zn = tb_alloc(a, c->nnotify * sizeof(*zn));
    if (zn == NULL) {
        snprintf(err, cap, "notify: out of memory");
        return TB_ENOMEM;
    }
    /* One dns_notify per zone, its targets in the order given. */
    for (unsigned i = 0; i < c->nnotify; i++) {
        struct tb_addr t[DNS_NOTIFY_TARGETS_MAX];
        uint8_t o[DNS_NAME_MAXLEN], p[DNS_NAME_MAXLEN];
        size_t olen, plen, nt = 0;
        bool seen = false;

        if (dns_name_from_text(c->notify[i].zone, c->notify[i].zlen,
                               (const uint8_t *)"", o, &olen) != 0)
            return TB_EINVAL; /* checked by args.c */
        for (size_t k = 0; k < nz && !seen; k++)
            seen = dns_name_cmp(zn[k].origin, o) == 0;
        if (seen)
            continue;
        for (unsigned j = i; j < c->nnotify && nt < DNS_NOTIFY_TARGETS_MAX; j++)
            if (dns_name_from_text(c->notify[j].zone, c->notify[j].zlen,
                                   (const uint8_t *)"", p, &plen) == 0 &&
                dns_name_cmp(p, o) == 0)
                t[nt++] = c->notify[j].to;
        dns_notify_init(&zn[nz], o, t, nt, seed + i);
        rc = dns_notify_start_zs(&zn[nz], zs, tb_clock_monotonic());
        if (rc != 0) {
            snprintf(err, cap, "notify: zone %.*s is not in the image",
                     (int)c->notify[i].zlen, c->notify[i].zone);
            return rc;
        }
        memset(said[nz], DNS_NOTIFY_PENDING, sizeof(said[nz]));
        nz++;
    }
    /* Responses come back to a port of our own, random (RFC 5452). */
    port = (uint16_t)(49152 + (seed >> 48) % 16384);
    any.af = TB_AF_UNSPEC;
    for (unsigned tries = 0; tries < 16; tries++) {
        any.port = (uint16_t)(49152 + (port - 49152 + tries * 997) % 16384);
        if ((rc = tb_udp_bind(g->s, &any, &ep)) != TB_EADDRINUSE)
            break;
    }
    if (rc != 0) {
        snprintf(err, cap, "notify: no UDP port: %s", tb_strerror(rc));
        return rc;
    }
    return 0;
}

bool dnsg_notify_handle(struct dnsg *g, const struct tb_event *e)
{
    struct tb_dgram d[8];
    int n;

    if (ep < 0 || e->ep != ep)
        return false;
    while ((n = tb_udp_recv(g->s, ep, d, 8)) > 0)
        for (int i = 0; i < n; i++)
            for (size_t k = 0; k < nz; k++)
                if (dns_notify_input(&zn[k], &d[i].peer, d[i].data, d[i].len))
                    break;
    return true;
}

static void say_addr(const struct tb_addr *a, char *buf, size_t cap)
{
    char ip[TB_INET6_TEXT_MAX];

    if (a->af == TB_AF_INET)
        snprintf(buf, cap, "%u.%u.%u.%u@%u", a->ip[0], a->ip[1], a->ip[2],
                 a->ip[3], a->port);
    else {
        tb_inet_ntop6(a->ip, ip, sizeof(ip));
        snprintf(buf, cap, "[%s]@%u", ip, a->port);
    }
}

uint64_t dnsg_notify_run(struct dnsg *g, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    uint8_t buf[1024];

    for (size_t k = 0; k < nz; k++) {
        struct dns_notify *n = &zn[k];
        struct tb_dgram d = {0};
        size_t len;

        while ((len = dns_notify_poll(n, now, &d.peer, buf, sizeof(buf))) !=
               0) {
            d.data = buf;
            d.len = len;
            tb_udp_send(g->s, ep, &d, 1); /* lost: resent on time */
        }
        for (size_t i = 0; i < n->n; i++) {
            const struct dns_notify_target *t = &n->t[i];
            char a[TB_INET6_TEXT_MAX + 10], z[DNS_NAME_TEXT_MAX];
            if (t->state == said[k][i] ||
                (t->state != DNS_NOTIFY_ACKED && t->state != DNS_NOTIFY_FAILED))
                continue;
            said[k][i] = t->state;
            say_addr(&t->addr, a, sizeof(a));
            if (dns_name_to_text(n->origin, z, sizeof(z)) < 0)
                snprintf(z, sizeof(z), "?");
            if (t->state == DNS_NOTIFY_ACKED)
                dnsg_say("dnsd: zone %s: NOTIFY serial %u to %s: "
                         "acknowledged (rcode %u)",
                         z, n->serial, a, t->rcode);
            else
                dnsg_say("dnsd: zone %s: NOTIFY serial %u to %s: no response "
                         "after %u tries",
                         z, n->serial, a, t->tries);
        }
        next = TB_MIN(next, dns_notify_deadline(n));
    }
    return next;
}
