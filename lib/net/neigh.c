/*
 * neigh.c -- the neighbour cache shared by ARP (RFC 826, RFC 1122 2.3.2)
 * and IPv6 Neighbor Discovery (RFC 4861 7.3): a fixed table of entries,
 * each INCOMPLETE (being resolved, with a bounded queue of frames waiting
 * for it), REACHABLE (confirmed recently) or STALE (usable, revalidated on
 * use).  Bounded everywhere: at most 4 frames per entry and
 * cfg.neigh_pending in total; the least recently used entry is evicted
 * when the table is full.  Requests are retried 3 times, 1 s apart.
 */
#include "net_int.h"

#define NB_REACHABLE_NS   (30 * NS_PER_S) /* RFC 4861 REACHABLE_TIME */
#define NB_RETRANS_NS     (1 * NS_PER_S) /* RFC 4861 RETRANS_TIMER */
#define NB_MAX_PROBES     3
#define NB_PEND_PER_ENTRY 4

struct neigh *neigh_find(struct tb_stack *s, uint8_t af, const uint8_t *ip)
{
    size_t n = af_len(af);

    for (uint32_t i = 0; i < s->cfg.neigh; i++) {
        struct neigh *e = &s->nb[i];
        if (e->state != NB_FREE && e->af == af && memcmp(e->ip, ip, n) == 0)
            return e;
    }
    return NULL;
}

static void drop_pending(struct tb_stack *s, struct neigh *e)
{
    while (e->pend != NULL) {
        struct pkt *p = e->pend;
        e->pend = p->next;
        p->next = NULL;
        s->nb_pending--;
        s->st.arp_pending_drop++;
        pkt_free(s, p);
    }
    e->npend = 0;
}

static struct neigh *neigh_new(struct tb_stack *s, uint8_t af,
                               const uint8_t *ip)
{
    struct neigh *victim = NULL;

    for (uint32_t i = 0; i < s->cfg.neigh; i++) {
        struct neigh *e = &s->nb[i];
        if (e->state == NB_FREE) {
            victim = e;
            break;
        }
        if (victim == NULL || e->used < victim->used)
            victim = e;
    }
    drop_pending(s, victim);
    memset(victim, 0, sizeof(*victim));
    victim->af = af;
    memcpy(victim->ip, ip, af_len(af));
    victim->used = s->now;
    return victim;
}

static void send_pending(struct tb_stack *s, struct neigh *e)
{
    uint16_t type = e->af == TB_AF_INET ? ETH_P_IP : ETH_P_IPV6;

    while (e->pend != NULL) {
        struct pkt *p = e->pend;
        e->pend = p->next;
        p->next = NULL;
        s->nb_pending--;
        eth_output(s, p, type, e->mac);
    }
    e->npend = 0;
}

void neigh_update(struct tb_stack *s, uint8_t af, const uint8_t *ip,
                  const uint8_t *mac, bool create, bool confirmed)
{
    struct neigh *e = neigh_find(s, af, ip);

    if (e == NULL) {
        if (!create)
            return;
        e = neigh_new(s, af, ip);
    }
    if (e->state == NB_INCOMPLETE || confirmed || memcmp(e->mac, mac, 6) != 0) {
        memcpy(e->mac, mac, 6);
        e->state = confirmed ? NB_REACHABLE : NB_STALE;
        e->expires = s->now + (confirmed ? NB_REACHABLE_NS : 0);
        e->probes = 0;
    }
    send_pending(s, e);
}

static void solicit(struct tb_stack *s, struct neigh *e)
{
    if (e->af == TB_AF_INET)
        arp_request(s, e->ip, false);
    else
        nd_solicit(s, e->ip, false, NULL);
}

void neigh_resolve(struct tb_stack *s, struct pkt *p, uint8_t af,
                   const uint8_t *ip)
{
    struct neigh *e = neigh_find(s, af, ip);

    if (e == NULL) {
        e = neigh_new(s, af, ip);
        e->state = NB_INCOMPLETE;
        e->probes = 1;
        e->expires = s->now + NB_RETRANS_NS;
        if (s->nb_next_timer > e->expires || s->nb_next_timer <= s->now)
            s->nb_next_timer = e->expires;
        solicit(s, e);
    }
    if (e->npend >= NB_PEND_PER_ENTRY ||
        s->nb_pending >= s->cfg.neigh_pending) {
        s->st.arp_pending_drop++;
        pkt_free(s, p);
        return;
    }
    p->next = NULL;
    if (e->pend == NULL) {
        e->pend = p;
    } else {
        struct pkt *q = e->pend;
        while (q->next != NULL)
            q = q->next;
        q->next = p;
    }
    e->npend++;
    s->nb_pending++;
}

void neigh_timers(struct tb_stack *s)
{
    tb_time_t next = TIME_NEVER;

    for (uint32_t i = 0; i < s->cfg.neigh; i++) {
        struct neigh *e = &s->nb[i];
        if (e->state == NB_FREE)
            continue;
        if (e->state == NB_REACHABLE && e->expires <= s->now) {
            e->state = NB_STALE; /* revalidated on next use */
            e->probes = 0;
        } else if ((e->state == NB_INCOMPLETE ||
                    (e->state == NB_STALE && e->probes > 0)) &&
                   e->expires <= s->now) {
            if (e->probes >= NB_MAX_PROBES) {
                drop_pending(s, e);
                e->state = NB_FREE;
                continue;
            }
            e->probes++;
            e->expires = s->now + NB_RETRANS_NS;
            if (e->state == NB_INCOMPLETE)
                solicit(s, e);
            else if (e->af == TB_AF_INET)
                arp_request(s, e->ip, false);
            else
                nd_solicit(s, e->ip, false, e->mac);
        }
        if (e->state == NB_INCOMPLETE || (e->state == NB_STALE && e->probes))
            next = TB_MIN(next, e->expires);
    }
    s->nb_next_timer = next;
}

tb_time_t neigh_deadline(const struct tb_stack *s)
{
    return s->nb_next_timer;
}
