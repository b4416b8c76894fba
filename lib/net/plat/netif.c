/*
 * netif.c -- the glue between lib/net and plat.h: opens a plat.h network
 * device for a direct stack, and implements the device half of stack.h's
 * loop (tb_stack_poll reads batches of frames straight into the stack's
 * buffers, advances the clock, flushes transmissions and collects events;
 * tb_stack_wait is tb_yield).  It calls plat.h only, so the one object
 * links with every target (unix, spt, hvt).  It is kept out of
 * libtibra.a (lib/net/plat/ is not in LIB_SRC) so that unit tests and fuzz
 * targets, which have no platform, link without it.
 */
#include "../net_int.h"

#define RX_BATCH  32
#define RX_ROUNDS 8 /* bounded work per poll: at most 256 frames */

static int plat_tx(void *ctx, const struct tb_frame *frames, size_t n)
{
    struct tb_stack *s = ctx;

    return tb_net_write(s->plat_handle, frames, n);
}

int net_plat_open(struct tb_stack **sp, const char *name, struct net_config *c,
                  const struct tb_alloc *a)
{
    struct tb_net_info info;
    tb_handle_t h;
    int err;

    if ((err = tb_net_acquire(name, &h, &info)) != 0)
        return err;
    memcpy(c->mac, info.mac, 6);
    if (c->mtu == 0 || c->mtu > info.mtu)
        c->mtu = (uint32_t)info.mtu;
    if (c->secret == 0 && tb_entropy(&c->secret, sizeof(c->secret)) != 0)
        c->secret = tb_clock_monotonic() ^ tb_clock_wall();
    c->tx = plat_tx;
    c->tx_ctx = NULL;
    err = net_stack_create(sp, c, a, tb_clock_monotonic());
    if (err != 0)
        return err;
    (*sp)->cfg.tx_ctx = *sp;
    (*sp)->plat_handle = h;
    (*sp)->plat_attached = true;
    net_flush(*sp); /* gratuitous ARP, DAD */
    return 0;
}

static void rx_round(struct tb_stack *s, bool *more)
{
    struct tb_frame fr[RX_BATCH];
    size_t k = 0, cap;
    int n;

    *more = false;
    while (k < RX_BATCH) {
        uint8_t *b = net_rxbuf_get(s, &cap);
        if (b == NULL)
            break;
        fr[k].buf = b;
        fr[k].cap = cap;
        fr[k].len = 0;
        k++;
    }
    if (k == 0)
        return;
    n = tb_net_read(s->plat_handle, fr, k);
    if (n < 0)
        n = 0;
    for (size_t i = 0; i < (size_t)n; i++)
        net_input_rxbuf(s, fr[i].buf, fr[i].len);
    for (size_t i = (size_t)n; i < k; i++)
        net_rxbuf_put(s, fr[i].buf);
    *more = (size_t)n == k;
}

int tb_stack_poll(struct tb_stack *s, struct tb_event *ev, size_t n)
{
    bool more = true;

    net_advance(s, tb_clock_monotonic());
    for (int r = 0; r < RX_ROUNDS && more && s->plat_attached; r++) {
        rx_round(s, &more);
        net_flush(s);
    }
    net_advance(s, tb_clock_monotonic());
    net_flush(s);
    return net_events(s, ev, n);
}

void tb_stack_wait(struct tb_stack *s, tb_time_t deadline)
{
    tb_handle_set_t ready;

    (void)s;
    tb_yield(deadline, &ready);
}
