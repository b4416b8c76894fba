/*
 * fuzz_xfr.c -- outgoing transfers and NOTIFY out on untrusted bytes:
 *
 *   byte 0 even: the rest is one TCP query from an allowed peer to a
 *                session whose service core has transfers on (a zone
 *                with a records section and a one-delta IXFR history),
 *                and the output is drained by sends of (byte 0 * 37 + 1)
 *                bytes: every message must be whole, parse and have QR
 *   byte 0 odd:  the rest is a UDP datagram: to dns_srv_udp() (IXFR over
 *                UDP), then as a response to a pending NOTIFY
 *                (dns_notify_input), from the target's address
 *
 * Invariants: no crash, no read outside the buffers (ASan), responses
 * well-formed, the session ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include "zone_fix.h"
#include <tibra/dns/notify.h>
#include <tibra/dns/srv.h>

/* Version 1 is fix_zone; version 2 changes www, drops the wildcard and
 * adds an MX. */
static const char *const v2[] = {
    "@ 3600 SOA ns1 hostmaster 2 7200 3600 1209600 300",
    "@ 3600 NS ns1",
    "ns1 3600 A 192.0.2.53",
    "www 3600 A 192.0.2.81",
    "alias 300 CNAME www",
    "mail 300 MX 10 mx.example.net.",
    NULL};

static struct dns_zoneset *zs;
static struct dns_srv_conf conf = {.tcp_idle_ns = 10000000000ull};
static struct dns_xfr_zone xz;
static struct dns_xfr_conf xc = {&xz, 1};
static struct dns_ixfr_delta d;
static struct dns_acl acl;
static struct tb_addr peer = {.af = TB_AF_INET,
                              .port = 5353,
                              .ip = {127, 0, 0, 1}};
static uint8_t *rbuf, *wbuf;

static void init(void)
{
    size_t l1, l2;
    uint8_t *b1 =
        ta_zone_flags("example.com.", fix_zone, DNS_ZONE_COMPILE_RECORDS, &l1);
    uint8_t *b2 =
        ta_zone_flags("example.com.", v2, DNS_ZONE_COMPILE_RECORDS, &l2);
    const void *b[1] = {b2};
    struct tb_buf hist;

    REQUIRE(dns_zoneset_build(&zs, b, &l2, 1, NULL, &ta) == 0);
    tb_buf_init(&hist, &ta);
    REQUIRE(dns_ixfr_diff(b1, l1, b2, l2, &hist, &d) == 0);
    d.rrs = hist.data;
    ta_name("example.com.", NULL, xz.origin);
    acl.addr = peer;
    acl.plen = 8;
    xz.allow = &acl;
    xz.nallow = 1;
    xz.hist = &d;
    xz.nhist = 1;
    rbuf = malloc(DNS_TCP_RBUF);
    wbuf = malloc(DNS_TCP_WBUF);
    free(b1);
    /* b2, the history and zs live for the process */
}

static void tcp(const uint8_t *q, size_t len, size_t step)
{
    struct dns_srv srv;
    struct dns_tcp t;
    uint8_t *dst;
    size_t room;

    dns_srv_init(&srv, zs, &conf);
    srv.xfr = &xc;
    dns_tcp_open(&t, &srv, &peer, rbuf, wbuf, 0);
    room = dns_tcp_rspace(&t, &dst);
    if (len > DNS_SRV_QUERY_MAX || room < len + 2)
        return;
    tb_put16(dst, (uint16_t)len);
    memcpy(dst + 2, q, len);
    dns_tcp_received(&t, len + 2, 0);
    dns_tcp_eof(&t, 0);
    for (unsigned i = 0; i < 100000 && !dns_tcp_done(&t); i++) {
        const uint8_t *p;
        size_t n = dns_tcp_output(&t, &p);
        if (n == 0)
            break;
        /* Whole frames whenever the buffer is drained from its start. */
        for (size_t off = 0; off + 2 <= n;) {
            size_t m = tb_get16(p + off);
            struct dns_msg msg;
            if (off + 2 + m > n)
                abort();
            REQUIRE(dns_msg_parse(&msg, p + off + 2, m) == 0);
            REQUIRE(msg.flags & DNS_FLAG_QR);
            off += 2 + m;
        }
        dns_tcp_sent(&t, n < step ? n : step, 0);
        /* The rest of a partly sent buffer: send it whole. */
        while ((n = dns_tcp_output(&t, &p)) != 0 && t.woff != 0)
            dns_tcp_sent(&t, n, 0);
    }
}

static void udp(const uint8_t *q, size_t len)
{
    struct dns_srv srv;
    struct dns_notify n;
    struct tb_addr to;
    uint8_t r[1232], out[512];
    size_t rl;

    dns_srv_init(&srv, zs, &conf);
    srv.xfr = &xc;
    rl = dns_srv_udp(&srv, &peer, q, len, r, sizeof(r), 0);
    if (rl != 0) {
        struct dns_msg msg;
        REQUIRE(dns_msg_parse(&msg, r, rl) == 0);
    }
    REQUIRE(dns_notify_init(&n, xz.origin, &peer, 1, 1) == 0);
    REQUIRE(dns_notify_start_zs(&n, zs, 0) == 0);
    REQUIRE(dns_notify_poll(&n, 0, &to, out, sizeof(out)) != 0);
    dns_notify_input(&n, &peer, q, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (zs == NULL)
        init();
    if (size < 1)
        return 0;
    if (data[0] % 2 == 0)
        tcp(data + 1, size - 1, (size_t)data[0] * 37 + 1);
    else
        udp(data + 1, size - 1);
    return 0;
}
