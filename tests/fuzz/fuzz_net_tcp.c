/*
 * fuzz_net_tcp.c -- one TCP connection of lib/net driven through a
 * sequence of segments and application calls chosen by the fuzzer, so
 * the state machine (RFC 9293 3.10), RFC 5961 checks, SACK, windows,
 * retransmission and close paths see sequences, not single packets.  A
 * scripted handshake opens the connection; then each operation is
 *
 *   0 seg:   flags(1) dseq(2) dack(2) win(2) olen(1) opts(olen&~3)
 *            dlen(1) data(dlen) -- a segment from the peer, checksummed,
 *            seq/ack relative to what the peer has seen from the stack
 *   1 read   2 write n(1)   3 shutdown   4 close   5 time ms10(1)
 *   6 abort  7 SYN from another port: opts as above
 *
 * (op = byte % 8).  Ends by running all timers out and checking that
 * every buffer came back.
 */
#include <stdlib.h>
#include <string.h>
#include <tibra/net.h>
#include <tibra/hosted.h>

static const uint8_t ME[4] = {10, 0, 0, 2}, PEER[4] = {10, 0, 0, 1};
static const uint8_t MYMAC[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t PMAC[6] = {2, 0, 0, 0, 0, 2};

/* What the peer has seen of the stack's side of the connection. */
static uint32_t st_nxt, st_ack;
static uint8_t st_flags;

static int tx(void *ctx, const struct tb_frame *f, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *b = f[i].buf;
        size_t hl, tot, doff;
        uint32_t seq, end;
        if (f[i].len < 54 || b[12] != 8 || b[13] != 0 || b[23] != 6)
            continue;
        hl = (size_t)(b[14] & 15) * 4;
        tot = (size_t)b[16] << 8 | b[17];
        doff = (size_t)(b[14 + hl + 12] >> 4) * 4;
        seq = tb_get32(b + 14 + hl + 4);
        end = seq + (uint32_t)(tot - hl - doff) + !!(b[14 + hl + 13] & 3);
        if ((int32_t)(end - st_nxt) > 0 || st_flags == 0)
            st_nxt = end;
        st_ack = tb_get32(b + 14 + hl + 8);
        st_flags = b[14 + hl + 13];
    }
    return (int)n;
}

static uint32_t sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}
static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static void segment(struct tb_stack *s, uint16_t sport, uint32_t seq,
                    uint32_t ack, uint8_t flags, uint16_t win,
                    const uint8_t *opt, size_t olen, const uint8_t *d, size_t n)
{
    static uint8_t f[1600];
    uint8_t *ip = f + 14, *t = f + 34;
    size_t tl = 20 + olen + n;

    memcpy(f, MYMAC, 6);
    memcpy(f + 6, PMAC, 6);
    tb_put16(f + 12, 0x0800);
    memset(ip, 0, 20);
    ip[0] = 0x45;
    tb_put16(ip + 2, (uint32_t)(20 + tl));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, PEER, 4);
    memcpy(ip + 16, ME, 4);
    tb_put16(ip + 10, fold(sum(0, ip, 20)));
    memset(t, 0, 20);
    tb_put16(t, sport);
    tb_put16(t + 2, 7);
    tb_put32(t + 4, seq);
    tb_put32(t + 8, ack);
    t[12] = (uint8_t)(((20 + olen) / 4) << 4);
    t[13] = flags;
    tb_put16(t + 14, win);
    if (olen)
        memcpy(t + 20, opt, olen);
    if (n)
        memcpy(t + 20 + olen, d, n);
    tb_put16(t + 16, fold(sum(sum(0, ip + 12, 8) + 6 + (uint32_t)tl, t, tl)));
    net_input(s, f, 34 + tl);
    net_flush(s);
}

static struct tb_stack *setup(int *lep, int *ep, uint32_t *pseq)
{
    static const uint8_t opt[12] = {2, 4, 5, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2};
    uint8_t arp[42] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2,  0, 0, 0, 0,
                       2,    8,    6,    0,    1,    8,    0,  6, 4, 0, 1,
                       2,    0,    0,    0,    0,    2,    10, 0, 0, 1, 0,
                       0,    0,    0,    0,    0,    10,   0,  0, 2};
    struct net_config c;
    struct tb_stack *s;
    struct tb_addr any = {.port = 7};

    net_config_default(&c);
    memcpy(c.mac, MYMAC, 6);
    memcpy(c.ip4, ME, 4);
    c.ip4_prefix = 24;
    c.ip6_disable = true;
    c.pkts = 64;
    c.neigh = 4;
    c.reasm_slots = 1;
    c.reasm_max = 1500;
    c.udp_eps = 1;
    c.tcp_listeners = 1;
    c.tcp_conns = 3;
    c.tcp_rcvbuf = 3000;
    c.tcp_sndbuf = 3000;
    c.tcp_msl_ms = 1000;
    c.secret = 7;
    c.tx = tx;
    if (net_stack_create(&s, &c, &tb_heap, 1000000000ull) != 0)
        abort();
    net_input(s, arp, sizeof(arp));
    if (tb_tcp_listen(s, &any, 2, lep) != 0)
        abort();
    st_flags = 0;
    segment(s, 5000, 100, 0, 0x02, 65535, opt, 12, NULL, 0);
    *pseq = 101;
    segment(s, 5000, 101, st_nxt, 0x10, 65535, NULL, 0, NULL, 0);
    if (tb_tcp_accept(s, *lep, ep, NULL) != 0)
        abort();
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[4096];
    tb_time_t now = 1000000000ull;
    uint32_t pseq;
    int lep, ep;
    bool open = true;
    struct tb_stack *s = setup(&lep, &ep, &pseq);
    size_t i = 0;

#define NEED(k)                                                                \
    if (size - i < (k))                                                        \
    goto out
    while (i < size) {
        uint8_t op = data[i++] % 8;
        switch (op) {
        case 0:
        case 7: {
            uint8_t fl, olen, dlen;
            int16_t dseq, dack;
            uint16_t win;
            NEED(8);
            fl = data[i] & 0x3f;
            dseq = (int16_t)((data[i + 1] << 8) | data[i + 2]);
            dack = (int16_t)((data[i + 3] << 8) | data[i + 4]);
            win = (uint16_t)((data[i + 5] << 8) | data[i + 6]);
            olen = data[i + 7] & 40;
            i += 8;
            NEED(olen);
            {
                const uint8_t *opt = data + i;
                i += olen;
                NEED(1);
                dlen = data[i++];
                NEED(dlen);
                if (op == 7)
                    segment(s, (uint16_t)(6000 + dseq % 8), 5, 0, 0x02, win,
                            opt, olen, NULL, 0);
                else
                    segment(s, 5000, pseq + (uint32_t)dseq,
                            st_nxt + (uint32_t)dack, fl, win, opt, olen,
                            data + i, dlen);
                if (op == 0 && dseq == 0)
                    pseq += dlen + !!(fl & 1);
                i += dlen;
            }
            break;
        }
        case 1:
            if (open)
                tb_tcp_read(s, ep, buf, sizeof(buf));
            break;
        case 2:
            NEED(1);
            if (open)
                tb_tcp_write(s, ep, buf, (size_t)data[i] * 16);
            i++;
            break;
        case 3:
            if (open)
                tb_tcp_shutdown(s, ep);
            break;
        case 4:
        case 6:
            if (open)
                (op == 4 ? tb_tcp_close : tb_tcp_abort)(s, ep);
            open = false;
            break;
        case 5:
            NEED(1);
            now += (tb_time_t)data[i++] * 10000000ull;
            net_advance(s, now);
            break;
        }
        net_flush(s);
        {
            struct tb_event ev[8];
            int n = net_events(s, ev, 8), e2;
            for (int k = 0; k < n; k++)
                if (ev[k].ep == lep)
                    while (tb_tcp_accept(s, lep, &e2, NULL) == 0)
                        tb_tcp_abort(s, e2);
        }
    }
out:
    if (open)
        tb_tcp_abort(s, ep);
    tb_tcp_close(s, lep);
    for (int k = 0; k < 1000; k++) { /* > 12 backed-off RTOs */
        now += 1000000000ull;
        net_advance(s, now);
        net_flush(s);
    }
    if (net_pkts_in_use(s) != 0 || tb_stack_deadline(s) != UINT64_MAX) {
#ifdef NET_FUZZ_DEBUG
        fprintf(stderr, "in use %u deadline %llu now %llu\n",
                net_pkts_in_use(s), (unsigned long long)tb_stack_deadline(s),
                (unsigned long long)now);
#endif
        abort();
    }
    net_stack_destroy(s);
    return 0;
}
