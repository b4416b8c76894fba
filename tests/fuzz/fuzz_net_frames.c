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
#include "net_fix.h"

static int tx(void *ctx, const struct tb_frame *f, size_t n)
{
    (void)ctx, (void)f;
    return (int)n;
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
