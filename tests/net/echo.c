/*
 * echo.c -- the net tests' server: an application on the direct stack
 * (lib/net over plat.h device "service0") that echoes UDP datagrams and
 * TCP streams on one port, over IPv4 and IPv6.  It uses only plat.h,
 * stack.h, net.h and the guest libc subset, so it links with every target
 * (unix, spt, hvt).  Arguments (key=value, space separated):
 *
 *   ip4=A.B.C.D/N  gw4=A.B.C.D  ip6=HEX16/N (32 hex digits)  port=7
 *   rst_port=9 (a listener that resets each connection it accepts)
 *   conns=256 rcvbuf=131072 sndbuf=131072 pkts=4096 time=S (0: forever)
 *   impair=LOSS,DUP,REORDER  per-mille rates applied to frames in both
 *   directions (a stand-in for tc netem where the kernel lacks it)
 *   seed=N
 *   A UDP datagram "QUIT!" ends the run (after echoing it).
 *   hello4=A.B.C.D hello6=HEX16 hello_port=5555: send "hello" there once a
 *   second (5 times) so the test sees the stack resolve its peer itself
 *
 * Prints "READY" once the stack is up, and on exit a line of counters and
 * "SUCCESS".  TCP echo keeps per-connection backlog when the send buffer
 * is full and stops reading until it drains (so flow control is end to
 * end).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tibra/net.h>
#include <tibra/plat.h>
#include <tibra/stack.h>

TB_MANIFEST(1, TB_MFT_NET("service0"));

#define MAXC 1024
#define PEND 16384

static void say(const char *fmt, ...) TB_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n > 0)
        tb_console_write(line, (size_t)n < sizeof(line) ? (size_t)n
                                                        : sizeof(line) - 1);
}

/* ---- arguments -------------------------------------------------------- */

static const char *arg(const char *cmd, const char *key)
{
    size_t k = strlen(key);

    for (const char *p = cmd; p && *p;) {
        while (*p == ' ')
            p++;
        if (strncmp(p, key, k) == 0 && p[k] == '=')
            return p + k + 1;
        p = strchr(p, ' ');
    }
    return NULL;
}

static uint64_t num(const char **pp)
{
    uint64_t v = 0;
    const char *p = *pp;

    while (*p >= '0' && *p <= '9')
        v = v * 10 + (uint64_t)(*p++ - '0');
    *pp = p;
    return v;
}

static uint64_t arg_u64(const char *cmd, const char *key, uint64_t dflt)
{
    const char *p = arg(cmd, key);
    return p ? num(&p) : dflt;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* ---- memory: a bump allocator over the platform heap ------------------ */

struct bump {
    uint8_t *p, *end;
};

static void *bump_alloc(void *ctx, size_t n)
{
    struct bump *b = ctx;
    uint8_t *r = (uint8_t *)(((uintptr_t)b->p + 63) & ~(uintptr_t)63);

    if (r > b->end || (size_t)(b->end - r) < n)
        return NULL;
    b->p = r + n;
    return r;
}
static void *bump_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx, (void)p, (void)o, (void)n;
    return NULL;
}
static void bump_free(void *ctx, void *p, size_t n)
{
    (void)ctx, (void)p, (void)n;
}

/* ---- impairment (tests only) ------------------------------------------ */

static uint32_t loss_pm, dup_pm, reorder_pm;
static uint64_t rng = 88172645463325252ull;
static tb_handle_t dev;
static uint8_t held_tx[9100], held_rx[9100];
static size_t held_tx_len, held_rx_len;
static uint64_t imp_drop, imp_dup, imp_reorder;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % 1000);
}

static bool dev_impaired(void)
{
    return loss_pm || dup_pm || reorder_pm;
}

static void write1(const uint8_t *b, size_t n)
{
    struct tb_frame f = {.buf = (uint8_t *)(uintptr_t)b, .cap = n, .len = n};
    tb_net_write(dev, &f, 1);
}

static int impair_tx(void *ctx, const struct tb_frame *fr, size_t n)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        if (rnd() < loss_pm) {
            imp_drop++;
            continue;
        }
        if (held_tx_len == 0 && rnd() < reorder_pm) {
            memcpy(held_tx, fr[i].buf, fr[i].len);
            held_tx_len = fr[i].len;
            imp_reorder++;
            continue;
        }
        write1(fr[i].buf, fr[i].len);
        if (rnd() < dup_pm) {
            write1(fr[i].buf, fr[i].len);
            imp_dup++;
        }
        if (held_tx_len) {
            write1(held_tx, held_tx_len);
            held_tx_len = 0;
        }
    }
    return (int)n;
}

static void impair_rx(struct tb_stack *s)
{
    static uint8_t bufs[32][9100];
    struct tb_frame fr[32];
    int n;

    for (int i = 0; i < 32; i++)
        fr[i] = (struct tb_frame){.buf = bufs[i], .cap = sizeof(bufs[i])};
    n = tb_net_read(dev, fr, 32);
    for (int i = 0; i < n; i++) {
        if (rnd() < loss_pm) {
            imp_drop++;
            continue;
        }
        if (held_rx_len == 0 && rnd() < reorder_pm) {
            memcpy(held_rx, fr[i].buf, fr[i].len);
            held_rx_len = fr[i].len;
            imp_reorder++;
            continue;
        }
        net_input(s, fr[i].buf, fr[i].len);
        if (rnd() < dup_pm) {
            net_input(s, fr[i].buf, fr[i].len);
            imp_dup++;
        }
        if (held_rx_len) {
            net_input(s, held_rx, held_rx_len);
            held_rx_len = 0;
        }
    }
}

/* ---- the echo server -------------------------------------------------- */

struct conn {
    bool open, rst;
    uint32_t off, len;
    uint8_t pend[PEND];
};

static struct conn conns[MAXC];
static uint64_t udp_n, tcp_bytes, tcp_accepted;
static bool quit;

static void conn_close(struct tb_stack *s, int ep, struct conn *c)
{
    tb_tcp_close(s, ep);
    c->open = false;
}

/* Writes pending bytes; then reads and echoes while the stack takes it. */
static void conn_work(struct tb_stack *s, int ep, struct conn *c,
                      uint32_t events)
{
    for (int rounds = 0; rounds < 64; rounds++) {
        while (c->len > 0) {
            int w = tb_tcp_write(s, ep, c->pend + c->off, c->len);
            if (w == TB_EAGAIN)
                break;
            if (w < 0) {
                conn_close(s, ep, c);
                return;
            }
            c->off += (uint32_t)w;
            c->len -= (uint32_t)w;
            tcp_bytes += (uint64_t)w;
        }
        if (c->len > 0) {
            tb_stack_interest(s, ep, TB_EV_WRITE);
            return;
        }
        tb_stack_interest(s, ep, TB_EV_READ);
        c->off = 0;
        int r = tb_tcp_read(s, ep, c->pend, PEND);
        if (r == TB_EAGAIN)
            return;
        if (r == 0) { /* EOF, everything echoed: close our side */
            conn_close(s, ep, c);
            return;
        }
        if (r < 0) {
            conn_close(s, ep, c);
            return;
        }
        c->len = (uint32_t)r;
    }
    (void)events;
}

static void handle(struct tb_stack *s, int uep, int lep, int rlep,
                   const struct tb_event *e)
{
    if (e->ep == uep) {
        struct tb_dgram d[32];
        int n = tb_udp_recv(s, uep, d, 32);
        for (int i = 0; i < n; i++)
            if (d[i].len == 5 && memcmp(d[i].data, "QUIT!", 5) == 0)
                quit = true;
        if (n > 0) {
            udp_n += (uint64_t)n;
            tb_udp_send(s, uep, d, (size_t)n);
        }
        return;
    }
    if (e->ep == lep || e->ep == rlep) {
        int ep;
        for (int k = 0; k < 64 && tb_tcp_accept(s, e->ep, &ep, NULL) == 0;
             k++) {
            tcp_accepted++;
            if (e->ep == rlep || ep >= MAXC) {
                tb_tcp_abort(s, ep);
                continue;
            }
            memset(&conns[ep], 0, offsetof(struct conn, pend));
            conns[ep].open = true;
            conn_work(s, ep, &conns[ep], TB_EV_READ);
        }
        return;
    }
    if (e->ep >= 0 && e->ep < MAXC && conns[e->ep].open)
        conn_work(s, e->ep, &conns[e->ep], e->events);
}

static bool parse_ip4(const char *p, uint8_t *ip, uint8_t *plen)
{
    for (int i = 0; i < 4; i++) {
        ip[i] = (uint8_t)num(&p);
        if (i < 3 && *p++ != '.')
            return false;
    }
    if (plen != NULL)
        *plen = *p == '/' ? (p++, (uint8_t)num(&p)) : 32;
    return true;
}

static bool parse_ip6(const char *p, uint8_t *ip, uint8_t *plen)
{
    for (int i = 0; i < 16; i++) {
        int hi = hexval(p[0]), lo = hexval(p[1]);
        if (hi < 0 || lo < 0)
            return false;
        ip[i] = (uint8_t)(hi << 4 | lo);
        p += 2;
    }
    if (plen != NULL)
        *plen = *p == '/' ? (p++, (uint8_t)num(&p)) : 64;
    return true;
}

static int setup(struct net_config *c, const char *cmd)
{
    const char *v;

    net_config_default(c);
    if ((v = arg(cmd, "ip4")) && !parse_ip4(v, c->ip4, &c->ip4_prefix))
        return -1;
    if ((v = arg(cmd, "gw4")) && !parse_ip4(v, c->ip4_gw, NULL))
        return -1;
    if ((v = arg(cmd, "ip6"))) {
        if (!parse_ip6(v, c->ip6[0], &c->ip6_prefix[0]))
            return -1;
        c->ip6_count = 1;
    }
    c->ip6_dad = arg_u64(cmd, "dad", 1) != 0;
    c->tcp_conns = (uint32_t)arg_u64(cmd, "conns", 256);
    c->tcp_rcvbuf = (uint32_t)arg_u64(cmd, "rcvbuf", 131072);
    c->tcp_sndbuf = (uint32_t)arg_u64(cmd, "sndbuf", 131072);
    c->pkts = (uint32_t)arg_u64(cmd, "pkts", 4096);
    c->udp_queue = 1024;
    c->tcp_msl_ms = (uint32_t)arg_u64(cmd, "msl_ms", 2000);
    c->icmp_rate = (uint32_t)arg_u64(cmd, "icmp_rate", 100);
    return 0;
}

static struct tb_dgram hello[2];
static int nhello, hello_sent;
static tb_time_t hello_next;

static void hello_init(const char *cmd)
{
    const char *v;
    uint16_t port = (uint16_t)arg_u64(cmd, "hello_port", 5555);

    if ((v = arg(cmd, "hello4")) && parse_ip4(v, hello[nhello].peer.ip, 0))
        hello[nhello++].peer.af = TB_AF_INET;
    if ((v = arg(cmd, "hello6")) && parse_ip6(v, hello[nhello].peer.ip, 0))
        hello[nhello++].peer.af = TB_AF_INET6;
    for (int i = 0; i < nhello; i++) {
        hello[i].peer.port = port;
        hello[i].data = (const uint8_t *)"hello";
        hello[i].len = 5;
    }
    hello_next = tb_clock_monotonic() + 1500000000ull; /* after DAD */
}

static tb_time_t hello_due(void)
{
    return nhello && hello_sent < 5 ? hello_next : UINT64_MAX;
}

static void hello_tick(struct tb_stack *s, int uep)
{
    if (nhello == 0 || hello_sent >= 5 || tb_clock_monotonic() < hello_next)
        return;
    tb_udp_send(s, uep, hello, (size_t)nhello);
    hello_sent++;
    hello_next += 1000000000ull;
}

int tb_app_main(const struct tb_start_info *si)
{
    struct bump b = {(uint8_t *)si->heap_start,
                     (uint8_t *)si->heap_start + si->heap_size};
    struct tb_alloc a = {bump_alloc, bump_realloc, bump_free, &b};
    struct net_config c;
    struct tb_stack *s;
    struct tb_event ev[256];
    struct tb_addr any = {0};
    int uep, lep, rlep = -1, err;
    uint64_t run_ns = arg_u64(si->cmdline, "time", 0) * 1000000000ull;
    tb_time_t end;
    const char *v;

    if (setup(&c, si->cmdline) != 0) {
        say("FAILURE: bad arguments\n");
        return 2;
    }
    if ((v = arg(si->cmdline, "impair")) != NULL) {
        loss_pm = (uint32_t)num(&v);
        if (*v == ',') {
            v++;
            dup_pm = (uint32_t)num(&v);
        }
        if (*v == ',') {
            v++;
            reorder_pm = (uint32_t)num(&v);
        }
        rng += arg_u64(si->cmdline, "seed", 1);
    }
    if (loss_pm || dup_pm || reorder_pm) {
        struct tb_net_info info;
        if ((err = tb_net_acquire("service0", &dev, &info)) != 0) {
            say("FAILURE: acquire: %d\n", err);
            return 1;
        }
        memcpy(c.mac, info.mac, 6);
        c.mtu = (uint32_t)info.mtu;
        tb_entropy(&c.secret, sizeof(c.secret));
        c.tx = impair_tx;
        err = net_stack_create(&s, &c, &a, tb_clock_monotonic());
    } else {
        err = net_plat_open(&s, "service0", &c, &a);
    }
    if (err != 0) {
        say("FAILURE: stack: %d\n", err);
        return 1;
    }
    any.port = (uint16_t)arg_u64(si->cmdline, "port", 7);
    if ((err = tb_udp_bind(s, &any, &uep)) != 0 ||
        (err = tb_tcp_listen(s, &any, 512, &lep)) != 0) {
        say("FAILURE: bind: %d\n", err);
        return 1;
    }
    any.port = (uint16_t)arg_u64(si->cmdline, "rst_port", 9);
    if (any.port && (err = tb_tcp_listen(s, &any, 16, &rlep)) != 0)
        return 1;
    say("READY\n");
    hello_init(si->cmdline);
    end = run_ns ? tb_clock_monotonic() + run_ns : UINT64_MAX;
    while (!quit && tb_clock_monotonic() < end) {
        int n;
        if (dev_impaired())
            impair_rx(s);
        n = dev_impaired() ? (net_advance(s, tb_clock_monotonic()),
                              net_flush(s), net_events(s, ev, 256))
                           : tb_stack_poll(s, ev, 256);
        for (int i = 0; i < n; i++)
            handle(s, uep, lep, rlep, &ev[i]);
        hello_tick(s, uep);
        if (dev_impaired()) {
            net_flush(s);
            tb_time_t d = tb_stack_deadline(s);
            tb_handle_set_t ready;
            if (d != 0 && !quit) /* QUIT! read: end now, not at a timer */
                tb_yield(TB_MIN(TB_MIN(d, end), hello_due()), &ready);
        } else {
            tb_time_t d = tb_stack_deadline(s);
            if (n == 0 && d != 0)
                tb_stack_wait(s, TB_MIN(TB_MIN(d, end), hello_due()));
        }
    }
    const struct net_stats *st = net_stats(s);
    say("STATS udp=%llu tcp_bytes=%llu accepted=%llu retrans=%llu "
        "fast=%llu rto=%llu ooo=%llu rx=%llu tx=%llu nomem=%llu txdrop=%llu "
        "impair_drop=%llu dup=%llu reorder=%llu\n",
        (unsigned long long)udp_n, (unsigned long long)tcp_bytes,
        (unsigned long long)tcp_accepted, (unsigned long long)st->tcp_retrans,
        (unsigned long long)st->tcp_fast_retrans,
        (unsigned long long)st->tcp_rto, (unsigned long long)st->tcp_ooo,
        (unsigned long long)st->rx_frames, (unsigned long long)st->tx_frames,
        (unsigned long long)st->nomem, (unsigned long long)st->tx_dropped,
        (unsigned long long)imp_drop, (unsigned long long)imp_dup,
        (unsigned long long)imp_reorder);
    say("SUCCESS\n");
    return 0;
}
