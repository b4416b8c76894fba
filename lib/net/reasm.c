/*
 * reasm.c -- fragment reassembly for IPv4 (RFC 791 3.2, RFC 815) and IPv6
 * (RFC 8200 4.5), with bounded memory: cfg.reasm_slots datagrams at once,
 * each at most cfg.reasm_max bytes, in big buffers reserved at init.  A
 * bitmap of 8-byte blocks records what arrived.  Overlapping fragments
 * discard the whole datagram (RFC 5722, and the same for IPv4, as Linux
 * does); exact duplicates are ignored.  A datagram not complete in time
 * (30 s IPv4, 60 s IPv6) is dropped, with an ICMP time exceeded
 * (fragment reassembly) if its first fragment had come.  When the table is
 * full the oldest datagram is evicted.
 *
 * Buffer layout: [ RS_ROOM - hdrlen | header | payload ... ]; the header
 * is the unfragmentable part of the first fragment (IPv4 header, or a
 * synthetic IPv6 header), so the finished datagram is contiguous.
 */
#include "net_int.h"

#define RS_ROOM     128
#define RS_TIMEOUT4 (30 * NS_PER_S)
#define RS_TIMEOUT6 (60 * NS_PER_S) /* RFC 8200 4.5 */

static void slot_free(struct tb_stack *s, struct reasm *r)
{
    pkt_free(s, r->p);
    r->p = NULL;
    r->used = false;
}

static struct reasm *slot_get(struct tb_stack *s, uint8_t af,
                              const uint8_t *src, const uint8_t *dst,
                              uint32_t id, uint8_t proto)
{
    struct reasm *old = NULL, *r = NULL;
    size_t n = af_len(af);

    for (uint32_t i = 0; i < s->cfg.reasm_slots; i++) {
        r = &s->rs[i];
        if (r->used && r->af == af && r->id == id && r->proto == proto &&
            memcmp(r->src, src, n) == 0 && memcmp(r->dst, dst, n) == 0)
            return r;
    }
    for (uint32_t i = 0; i < s->cfg.reasm_slots; i++) {
        r = &s->rs[i];
        if (!r->used)
            break;
        if (old == NULL || r->expires < old->expires)
            old = r;
        r = NULL;
    }
    if (r == NULL) {
        s->st.frag_drop++; /* evict the oldest */
        slot_free(s, old);
        r = old;
    }
    r->p = pkt_alloc_big(s);
    if (r->p == NULL)
        return NULL;
    r->used = true;
    r->af = af;
    r->id = id;
    r->proto = proto;
    memcpy(r->src, src, n);
    memcpy(r->dst, dst, n);
    r->total = 0;
    r->have = 0;
    r->hdrlen = 0;
    r->expires = s->now + (af == TB_AF_INET ? RS_TIMEOUT4 : RS_TIMEOUT6);
    memset(r->map, 0, s->cfg.reasm_max / 64 + 1);
    return r;
}

static bool map_test(const uint8_t *m, uint32_t b)
{
    return (m[b / 8] >> (b % 8)) & 1;
}

/* Returns 0 if no block of [b0, b1) is set, 1 if all are, 2 if some. */
static int map_check(const uint8_t *m, uint32_t b0, uint32_t b1)
{
    uint32_t set = 0;

    for (uint32_t b = b0; b < b1; b++)
        set += map_test(m, b);
    return set == 0 ? 0 : set == b1 - b0 ? 1 : 2;
}

struct pkt *reasm_add(struct tb_stack *s, uint8_t af, const uint8_t *src,
                      const uint8_t *dst, uint32_t id, uint8_t proto,
                      const uint8_t *hdr, uint32_t hdrlen, uint32_t off,
                      const uint8_t *frag, uint32_t len, bool more)
{
    struct reasm *r = slot_get(s, af, src, dst, id, proto);
    uint32_t end, b0, b1;
    uint8_t *pl;
    struct pkt *p;

    if (r == NULL) {
        s->st.frag_drop++;
        return NULL;
    }
    pl = r->p->buf + RS_ROOM;
    end = off + len;
    if (len == 0 || end > s->cfg.reasm_max || hdrlen > RS_ROOM ||
        (r->total != 0 && (end > r->total || (!more && end != r->total))) ||
        (!more && r->have > 0 &&
         map_check(r->map, end / 8 + (end % 8 != 0), s->cfg.reasm_max / 8) !=
             0)) {
        s->st.frag_drop++;
        slot_free(s, r);
        return NULL;
    }
    b0 = off / 8;
    b1 = (end + 7) / 8;
    switch (map_check(r->map, b0, b1)) {
    case 1:
        if (memcmp(pl + off, frag, len) == 0)
            return NULL; /* exact duplicate */
        /* FALLTHROUGH */
    case 2:
        s->st.frag_overlap++;
        slot_free(s, r);
        return NULL;
    }
    memcpy(pl + off, frag, len);
    for (uint32_t b = b0; b < b1; b++)
        r->map[b / 8] |= (uint8_t)(1u << (b % 8));
    r->have += len;
    if (!more)
        r->total = end;
    if (off == 0) {
        r->hdrlen = hdrlen;
        memcpy(pl - hdrlen, hdr, hdrlen);
    }
    if (r->total == 0 || r->have != r->total || r->hdrlen == 0)
        return NULL;
    p = r->p;
    r->p = NULL;
    r->used = false;
    p->data = pl - r->hdrlen;
    p->len = r->hdrlen + r->total;
    if (af == TB_AF_INET) {
        /* The finished datagram: total length, no MF, offset 0. */
        uint8_t *h = p->data;
        tb_put16(h + 2, (uint16_t)p->len);
        tb_put16(h + 6, 0);
        tb_put16(h + 10, 0);
        tb_put16(h + 10, csum_fold(csum_add(0, h, r->hdrlen)));
    } else {
        tb_put16(p->data + 4, (uint16_t)(p->len - IP6_HLEN));
    }
    s->st.frag_done++;
    return p;
}

void reasm_timers(struct tb_stack *s)
{
    for (uint32_t i = 0; i < s->cfg.reasm_slots; i++) {
        struct reasm *r = &s->rs[i];
        if (!r->used || r->expires > s->now)
            continue;
        s->st.frag_timeout++;
        if (r->hdrlen != 0) {
            /* RFC 792 / RFC 8200 4.5: time exceeded, reassembly. */
            const uint8_t *h = r->p->buf + RS_ROOM - r->hdrlen;
            uint32_t n = r->hdrlen + TB_MIN(8u, r->have);
            if (r->af == TB_AF_INET)
                icmp_error(s, 11, 1, 0, h, n);
            else
                icmp6_error(s, 3, 1, 0, h, n);
        }
        slot_free(s, r);
    }
}

tb_time_t reasm_deadline(const struct tb_stack *s)
{
    tb_time_t d = TIME_NEVER;

    for (uint32_t i = 0; i < s->cfg.reasm_slots; i++)
        if (s->rs[i].used)
            d = TB_MIN(d, s->rs[i].expires);
    return d;
}
