/*
 * fuzz_guest.c -- the DNS unikernel's whole input path, frames to
 * answers: Ethernet frames into lib/net, the app's serving loop
 * (app/dnsd/guest/serve.c: UDP batches, TCP sessions from its pool) and
 * lib/dns's service core behind it, as in an spt or hvt image.  The
 * platform is faked here: a clock the input moves, no device (frames are
 * injected with net_input(), transmissions are dropped), a stop request
 * once the loop has nothing left to do.  Input: records of
 *
 *     ctl(1) len(2, big endian) frame(len)
 *
 * ctl bit 0: fix the IPv4 header and transport checksums (net_fix.h);
 * bits 2..7: advance the clock by that many x 500 ms afterwards.  The
 * guest is 10.0.0.2/24 and fd00::2/64 with MAC 02:00:00:00:00:01, and
 * serves one zone (example.com) on port 53 with 4 TCP sessions.
 * Invariants: no memory error (ASan), no undefined behaviour (UBSan), no
 * unbounded loop (the serving loop runs a bounded number of turns per
 * frame), and every packet buffer returned at the end.
 */
#include <stdlib.h>
#include <string.h>
#include <tibra/net.h>
#include "../../app/dnsd/guest/dnsg.h"
#include "../unit/test_auth_util.h"
#include "net_fix.h"

/* ---- the fake platform ------------------------------------------------ */

static tb_time_t fake_now;
static unsigned turns; /* loop turns left before the stop request */

tb_time_t tb_clock_monotonic(void)
{
    return fake_now;
}

bool tb_stop_requested(void)
{
    if (turns == 0)
        return true;
    turns--;
    return false;
}

int tb_stack_poll(struct tb_stack *s, struct tb_event *ev, size_t n)
{
    net_advance(s, fake_now);
    net_flush(s);
    return net_events(s, ev, n);
}

/* Nothing more to do until (deadline): this frame is done. */
void tb_stack_wait(struct tb_stack *s, tb_time_t deadline)
{
    (void)s, (void)deadline;
    turns = 0;
}

const uint64_t dnsg_stack_wait_max = UINT64_MAX;

/* resolve.c's randomness (this target runs no resolver: never called). */
int tb_entropy(void *buf, size_t len)
{
    memset(buf, 0x5a, len);
    return 0;
}

void tb_abort(void)
{
    abort();
}

/* secondary.c's (this target runs no secondary zone: never called) */
tb_time_t tb_clock_wall(void)
{
    return fake_now;
}

int tb_block_acquire(const char *name, tb_handle_t *h,
                     struct tb_block_info *info)
{
    (void)name, (void)h, (void)info;
    return TB_ENOENT;
}

int tb_block_read(tb_handle_t h, uint64_t off, void *buf, size_t len)
{
    (void)h, (void)off, (void)buf, (void)len;
    return TB_EBADF;
}

int tb_block_write(tb_handle_t h, uint64_t off, const void *buf, size_t len)
{
    (void)h, (void)off, (void)buf, (void)len;
    return TB_EBADF;
}

void dnsg_say(const char *fmt, ...)
{
    (void)fmt;
}

/* ---- memory: one arena, reset for each input -------------------------- */

static uint8_t *arena;
static size_t arena_used;
#define ARENA_SIZE (8u << 20)

static void *ar_alloc(void *ctx, size_t n)
{
    (void)ctx;
    n = (n + 15) & ~(size_t)15;
    if (n > ARENA_SIZE - arena_used)
        return NULL;
    arena_used += n;
    return arena + arena_used - n;
}
static void *ar_realloc(void *ctx, void *p, size_t o, size_t n)
{
    void *q = ar_alloc(ctx, n);
    if (q && p)
        memcpy(q, p, o < n ? o : n);
    return q;
}
static void ar_free(void *ctx, void *p, size_t n)
{
    (void)ctx, (void)p, (void)n;
}
static const struct tb_alloc ar = {ar_alloc, ar_realloc, ar_free, NULL};

static int tx(void *ctx, const struct tb_frame *f, size_t n)
{
    (void)ctx, (void)f;
    return (int)n;
}

static const char *const zone[] = {
    "@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300",
    "@ 3600 NS ns1",
    "@ 3600 MX 10 mail",
    "ns1 3600 A 10.0.0.2",
    "ns1 3600 AAAA fd00::2",
    "mail 3600 A 192.0.2.25",
    "www 3600 A 192.0.2.80",
    "alias 300 CNAME www",
    "* 300 TXT wild",
    "sub 3600 NS ns.sub",
    "ns.sub 3600 A 192.0.2.99",
    NULL};

static struct dns_zoneset *zs;

static void init(void)
{
    size_t len;
    uint8_t *blob = ta_zone("example.com.", zone, &len);
    const void *b[1] = {blob};

    if (dns_zoneset_build(&zs, b, &len, 1, NULL, &ta) != 0)
        abort();
    arena = aligned_alloc(64, ARENA_SIZE);
    if (arena == NULL)
        abort();
    /* blob and zs live for the process */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t frame[9100];
    static struct dnsg g;
    struct net_config c;
    struct tb_addr any = {.af = TB_AF_UNSPEC, .port = 53};
    char err[128];

    if (zs == NULL)
        init();
    arena_used = 0;
    fake_now = 1000000000ull;
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
    c.udp_queue = 8;
    c.tcp_listeners = 2;
    c.tcp_conns = 6;
    c.tcp_rcvbuf = 8192;
    c.tcp_sndbuf = 8192;
    c.tcp_msl_ms = 1000;
    c.secret = 1;
    c.tx = tx;
    memset(&g, 0, sizeof(g));
    if (net_stack_create(&g.s, &c, &ar, fake_now) != 0)
        abort();
    g.sconf.tcp_idle_ns = 2000000000ull;
    g.sconf.tcp_max_queries = 8;
    dns_srv_init(&g.srv, zs, &g.sconf);
    g.tcp_per_addr = 3; /* 4 sessions: one address cannot take them all */
    g.tcplim_seed = 5;
    if (dnsg_init(&g, 4, 1232, &ar) != 0 ||
        dnsg_listen(&g, &any, 1, err, sizeof(err)) != 0)
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
        net_input(g.s, frame, n);
        if (ctl >> 2)
            fake_now += (tb_time_t)(ctl >> 2) * 500000000ull;
        turns = 64;
        dnsg_serve(&g, UINT64_MAX);
    }
    /* Run every timer out (TCP retransmissions, idle sessions). */
    for (int i = 0; i < 200; i++) {
        fake_now += 1000000000ull;
        turns = 8;
        dnsg_serve(&g, UINT64_MAX);
    }
    net_stack_destroy(g.s);
    return 0;
}
