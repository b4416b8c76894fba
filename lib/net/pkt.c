/*
 * pkt.c -- packet buffers, the transmit queue, Internet checksums and the
 * ICMP error rate limit: the small shared machinery under every protocol
 * module.  Buffers come from two fixed pools reserved at net_stack_create()
 * (frame-sized, and big ones for reassembly); they are refcounted so a
 * received datagram can wait in a UDP queue and be read in place.  Nothing
 * here allocates.
 */
#include "net_int.h"

struct pkt *pkt_alloc(struct tb_stack *s)
{
    struct pkt *p = s->free_pkts;

    if (p == NULL) {
        s->st.nomem++;
        return NULL;
    }
    s->free_pkts = p->next;
    p->next = NULL;
    p->ref = 1;
    p->data = p->buf;
    p->len = 0;
    s->pkts_used++;
    return p;
}

struct pkt *pkt_alloc_big(struct tb_stack *s)
{
    struct pkt *p = s->free_big;

    if (p == NULL) {
        s->st.nomem++;
        return NULL;
    }
    s->free_big = p->next;
    p->next = NULL;
    p->ref = 1;
    p->data = p->buf;
    p->len = 0;
    return p;
}

struct pkt *pkt_alloc_tx(struct tb_stack *s, uint32_t headroom)
{
    struct pkt *p = pkt_alloc(s);

    if (p != NULL)
        p->data = p->buf + headroom;
    return p;
}

void pkt_ref(struct pkt *p)
{
    p->ref++;
}

void pkt_free(struct tb_stack *s, struct pkt *p)
{
    if (p == NULL)
        return;
    assert(p->ref > 0);
    if (--p->ref > 0)
        return;
#ifdef TB_CHECK
    memset(p->buf, 0x55, p->cap);
#endif
    if (p->big) {
        p->next = s->free_big;
        s->free_big = p;
    } else {
        p->next = s->free_pkts;
        s->free_pkts = p;
        s->pkts_used--;
    }
}

/* RFC 1071: one's complement sum, accumulated 16 bits at a time.  (sum)
 * carries between calls, so odd-length pieces MUST come last. */
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    uint64_t acc = sum;

    while (n >= 2) {
        acc += (uint32_t)p[0] << 8 | p[1];
        p += 2;
        n -= 2;
    }
    if (n)
        acc += (uint32_t)p[0] << 8;
    while (acc >> 32)
        acc = (acc & 0xffffffffu) + (acc >> 32);
    return (uint32_t)acc;
}

uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Pseudo-header sums: RFC 768 / RFC 9293 3.1 (IPv4), RFC 8200 8.1. */
uint32_t csum_pseudo(uint8_t af, const uint8_t *src, const uint8_t *dst,
                     uint8_t proto, uint32_t len)
{
    size_t n = af_len(af);
    uint32_t sum = csum_add(0, src, n);

    sum = csum_add(sum, dst, n);
    return sum + proto + (len >> 16) + (len & 0xffff);
}

void txq_push(struct tb_stack *s, struct pkt *p)
{
    if (s->txq_len == s->txq_cap) {
        s->st.tx_dropped++;
        pkt_free(s, p);
        return;
    }
    s->txq[(s->txq_head + s->txq_len) % s->txq_cap] = p;
    s->txq_len++;
}

/* Token bucket: cfg.icmp_rate errors per second, burst of the same. */
bool icmp_rate_ok(struct tb_stack *s)
{
    uint32_t rate = s->cfg.icmp_rate;

    if (s->now >= s->icmp_refill) {
        uint64_t add = (s->now - s->icmp_refill) * rate / NS_PER_S + 1;
        s->icmp_tokens = (uint32_t)TB_MIN(rate, s->icmp_tokens + add);
        s->icmp_refill = s->now + (rate ? NS_PER_S / rate : NS_PER_S);
    }
    if (s->icmp_tokens == 0) {
        s->st.icmp_rate_limited++;
        return false;
    }
    s->icmp_tokens--;
    return true;
}
