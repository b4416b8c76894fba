/*
 * fuzz_net_frames.c -- lib/net's whole input path (Ethernet, ARP, IPv4 and
 * reassembly, ICMP, IPv6 with extension headers and reassembly, NDP,
 * UDP, TCP) fed a sequence of frames, with the application side reading
 * and answering.  Input: records of
 *
 *     ctl(1) len(2, big endian) frame(len)
 *
 * ctl bit 0: fix the IPv4 header checksum and the IPv4/IPv6 transport
 * checksum before injecting (so the fuzzer gets past them); bits 2..7:
 * advance the fake clock by that many x 500 ms afterwards.  The stack has
 * a UDP echo endpoint and a TCP echo listener on port 7.  Every input ends
 * with all buffers returned (asserted).
 */
#include <stdlib.h>
#include <string.h>
#include <tibra/net.h>
#include <tibra/hosted.h>

static int tx(void *ctx, const struct tb_frame *f, size_t n)
{
    (void)ctx, (void)f;
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

/* Offset of the checksum field for (proto) in its header, or -1. */
static int ck_off(uint8_t proto)
{
    return proto == 6 ? 16 : proto == 17 ? 6 : proto == 58 ? 2 : -1;
}

static void fix(uint8_t *f, size_t n)
{
    if (n >= 34 && f[12] == 8 && f[13] == 0 && (f[14] >> 4) == 4) {
        uint8_t *ip = f + 14;
        size_t hl = (size_t)(ip[0] & 15) * 4, tot;
        if (hl < 20 || 14 + hl > n)
            return;
        tot = (size_t)ip[2] << 8 | ip[3];
        if (tot > n - 14 || tot < hl)
            tot = n - 14;
        tb_put16(ip + 10, 0);
        tb_put16(ip + 10, fold(sum(0, ip, hl)));
        if ((ip[6] & 0x3f) || ip[7])
            return; /* fragments: transport checksum spans them all */
        if (ip[9] == 1 && tot >= hl + 4) {
            tb_put16(ip + hl + 2, 0);
            tb_put16(ip + hl + 2, fold(sum(0, ip + hl, tot - hl)));
        } else if (ck_off(ip[9]) > 0 && tot >= hl + (size_t)ck_off(ip[9]) + 2) {
            uint32_t s = sum(0, ip + 12, 8) + ip[9] + (uint32_t)(tot - hl);
            tb_put16(ip + hl + ck_off(ip[9]), 0);
            tb_put16(ip + hl + ck_off(ip[9]), fold(sum(s, ip + hl, tot - hl)));
        }
    } else if (n >= 54 && f[12] == 0x86 && f[13] == 0xdd) {
        uint8_t *ip = f + 14;
        size_t pl = (size_t)ip[4] << 8 | ip[5];
        int o = ck_off(ip[6]);
        if (pl > n - 54)
            pl = n - 54;
        if (o > 0 && pl >= (size_t)o + 2) {
            uint32_t s = sum(0, ip + 8, 32) + ip[6] + (uint32_t)pl;
            tb_put16(ip + 40 + o, 0);
            tb_put16(ip + 40 + o, fold(sum(s, ip + 40, pl)));
        }
    }
}

static void app(struct tb_stack *s, int uep, int lep)
{
    struct tb_event ev[16];
    int n = net_events(s, ev, 16);

    for (int i = 0; i < n; i++) {
        if (ev[i].ep == uep) {
            struct tb_dgram d[4];
            int k = tb_udp_recv(s, uep, d, 4);
            if (k > 0)
                tb_udp_send(s, uep, d, (size_t)k);
        } else if (ev[i].ep == lep) {
            int ep;
            while (tb_tcp_accept(s, lep, &ep, NULL) == 0)
                ;
        } else {
            uint8_t buf[512];
            int r = tb_tcp_read(s, ev[i].ep, buf, sizeof(buf));
            if (r > 0)
                tb_tcp_write(s, ev[i].ep, buf, (size_t)r);
            else if (r != TB_EAGAIN && r != TB_ENOTCONN)
                tb_tcp_close(s, ev[i].ep);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[9100];
    struct net_config c;
    struct tb_stack *s;
    struct tb_addr any = {.port = 7};
    tb_time_t now = 1000000000ull;
    int uep, lep;

    net_config_default(&c);
    memcpy(c.mac, "\x02\0\0\0\0\x01", 6);
    memcpy(c.ip4, "\x0a\0\0\x02", 4);
    c.ip4_prefix = 24;
    memcpy(c.ip4_gw, "\x0a\0\0\xfe", 4);
    c.ip6_count = 1;
    memcpy(c.ip6[0], "\xfd\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x02", 16);
    c.ip6_prefix[0] = 64;
    c.ip6_dad = false;
    c.pkts = 64;
    c.neigh = 8;
    c.neigh_pending = 8;
    c.reasm_slots = 2;
    c.reasm_max = 9000;
    c.udp_eps = 2;
    c.udp_queue = 4;
    c.tcp_listeners = 1;
    c.tcp_conns = 4;
    c.tcp_rcvbuf = 4096;
    c.tcp_sndbuf = 4096;
    c.tcp_msl_ms = 1000;
    c.secret = 1;
    c.tx = tx;
    if (net_stack_create(&s, &c, &tb_heap, now) != 0)
        abort();
    if (tb_udp_bind(s, &any, &uep) != 0 || tb_tcp_listen(s, &any, 4, &lep))
        abort();
    while (size >= 3) {
        uint8_t ctl = data[0];
        size_t n = (size_t)data[1] << 8 | data[2];
        data += 3;
        size -= 3;
        if (n > size)
            n = size;
        if (n > sizeof(frame))
            n = sizeof(frame);
        memcpy(frame, data, n);
        data += n;
        size -= n;
        if (ctl & 1)
            fix(frame, n);
        net_input(s, frame, n);
        app(s, uep, lep);
        if (ctl >> 2) {
            now += (tb_time_t)(ctl >> 2) * 500000000ull;
            net_advance(s, now);
        }
        net_flush(s);
    }
    /* Run every timer out; then nothing may be left in use. */
    for (int i = 0; i < 1000; i++) { /* > 12 backed-off RTOs */
        now += 1000000000ull;
        net_advance(s, now);
        app(s, uep, lep);
        net_flush(s);
    }
    tb_udp_close(s, uep);
    for (int ep = 0; ep < 16; ep++)
        if (ep != uep)
            tb_tcp_abort(s, ep);
    for (int i = 0; i < 5; i++) {
        now += 1000000000ull;
        net_advance(s, now);
        net_flush(s);
    }
    if (net_pkts_in_use(s) != 0)
        abort();
    net_stack_destroy(s);
    return 0;
}
