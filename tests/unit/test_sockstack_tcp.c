/*
 * test_sockstack_tcp.c -- TCP on the socket stack (platform/unix/sock),
 * on loopback against itself and plain sockets: accept, read, write,
 * half close and EOF over both families, a dual-stack listener; flow control
 * with TB_EAGAIN and level-triggered WRITE; a connect still opening
 * (TB_ENOTCONN); reset by tb_tcp_abort() and by closing with unread data
 * (TB_ECONNRESET, sticky); refused connects (TB_ECONNREFUSED); accept with no
 * descriptor left (EMFILE).  Helpers and bounds as in test_sockstack.c.
 */
#include <sys/resource.h>

#include "test_sockstack.h"

/* ---- TCP -------------------------------------------------------------- */

static void tcp_stream_family(const char *lo)
{
    struct tb_stack *s = mk(16, 0, 1, 1);
    uint16_t port = free_port(SOCK_STREAM);
    struct tb_addr la = addr(lo, port), peer, sentinel;
    uint8_t buf[16];
    uint32_t ev;
    int lep, c, a, x = 777;

    REQUIRE(s != NULL && port != 0);
    REQUIRE(tb_tcp_listen(s, &la, 8, &lep) == 0);
    CHECK_EQ(tb_tcp_listen(s, &la, 8, &x), TB_EADDRINUSE);
    CHECK_EQ(tb_tcp_accept(s, lep, &x, NULL), TB_EAGAIN);
    CHECK_EQ(x, 777);
    REQUIRE(tb_tcp_connect(s, &la, &c) == 0);
    CHECK(wait_ev(s, lep, TB_EV_READ) == TB_EV_READ);
    memset(&peer, 0x5a, sizeof(peer));
    sentinel = peer;
    REQUIRE(tb_tcp_accept(s, lep, &a, &peer) == 0);
    CHECK(memcmp(&peer, &sentinel, sizeof(peer)) != 0);
    CHECK_EQ(peer.af, la.af);
    CHECK_MEM(peer.ip, la.ip, 16);
    CHECK(peer.port != 0 && peer.port != port);
    CHECK_EQ(tb_sock_stats(s)->tcp_accepted, 1);
    CHECK(wait_ev(s, c, TB_EV_WRITE) == TB_EV_WRITE);
    CHECK_EQ(tb_tcp_read(s, a, buf, sizeof(buf)), TB_EAGAIN);
    CHECK_EQ(tb_tcp_write(s, c, "ping", 4), 4);
    CHECK(wait_ev(s, a, TB_EV_READ) == TB_EV_READ);
    CHECK_EQ(tb_tcp_read(s, a, buf, sizeof(buf)), 4);
    CHECK_MEM(buf, "ping", 4);
    CHECK_EQ(tb_tcp_write(s, a, "pong", 4), 4);
    CHECK_EQ(read_n(s, c, buf, 4), 4);
    CHECK_MEM(buf, "pong", 4);
    CHECK_EQ(tb_tcp_read(s, c, buf, sizeof(buf)), TB_EAGAIN);
    /* Half close: c's FIN is a's EOF (READ | HUP); a still writes. */
    CHECK_EQ(tb_tcp_shutdown(s, c), 0);
    CHECK_EQ(tb_tcp_write(s, c, "x", 1), TB_EPIPE);
    CHECK(!(poll_ep(s, c) & TB_EV_WRITE));
    ev = wait_ev(s, a, TB_EV_HUP);
    CHECK_EQ(ev, TB_EV_READ | TB_EV_HUP);
    CHECK_EQ(tb_tcp_read(s, a, buf, sizeof(buf)), 0);
    CHECK_EQ(tb_tcp_read(s, a, buf, sizeof(buf)), 0);
    CHECK_EQ(tb_tcp_write(s, a, "bye", 3), 3);
    CHECK_EQ(read_n(s, c, buf, 3), 3);
    CHECK_MEM(buf, "bye", 3);
    CHECK_EQ(tb_tcp_close(s, a), 0);
    ev = wait_ev(s, c, TB_EV_HUP);
    CHECK(ev & TB_EV_READ);
    CHECK(!(ev & TB_EV_ERR));
    CHECK_EQ(tb_tcp_read(s, c, buf, sizeof(buf)), 0);
    CHECK_EQ(tb_tcp_close(s, c), 0);
    CHECK_EQ(tb_tcp_close(s, c), TB_EBADF);
    CHECK_EQ(tb_tcp_close(s, lep), 0);
    teardown(s);
}

static void tcp_stream4(void)
{
    tcp_stream_family("127.0.0.1");
}

static void tcp_stream6(void)
{
    if (!have_ip6) {
        printf("# tcp_stream6: no ::1 here, skipped\n");
        return;
    }
    tcp_stream_family("::1");
}

/* A listener on both families (TB_AF_UNSPEC, all zero): IPv4 peers are
 * reported as TB_AF_INET, not v4-mapped. */
static void tcp_dual(void)
{
    struct tb_stack *s = mk(16, 0, 1, 1);
    uint16_t port = free_port(SOCK_STREAM);
    struct tb_addr w = any(TB_AF_UNSPEC, port), peer;
    const char *lo[2] = {"127.0.0.1", "::1"};
    int lep, c, a;

    if (!have_ip6) {
        printf("# tcp_dual: no ::1 here, skipped\n");
        tb_sock_stack_destroy(s);
        return;
    }
    REQUIRE(s != NULL && port != 0);
    REQUIRE(tb_tcp_listen(s, &w, 4, &lep) == 0);
    for (int i = 0; i < 2; i++) {
        struct tb_addr to = addr(lo[i], port);
        REQUIRE(tb_tcp_connect(s, &to, &c) == 0);
        CHECK(wait_ev(s, lep, TB_EV_READ) & TB_EV_READ);
        REQUIRE(tb_tcp_accept(s, lep, &a, &peer) == 0);
        CHECK_EQ(peer.af, to.af);
        CHECK_MEM(peer.ip, to.ip, 16);
        CHECK_EQ(tb_tcp_close(s, c), 0);
        CHECK_EQ(tb_tcp_close(s, a), 0);
    }
    CHECK_EQ(tb_tcp_close(s, lep), 0);
    teardown(s);
}

/* Writes until the host's buffers are full (TB_EAGAIN), then moves 8 MB
 * with both ends driven by level-triggered events, checking every byte. */
static void tcp_flow(void)
{
    struct tb_stack *s = mk(16, 0, 1, 1);
    uint16_t port = free_port(SOCK_STREAM);
    struct tb_addr la = addr("127.0.0.1", port);
    static uint8_t chunk[65536], rbuf[65536];
    const size_t total = 8u << 20;
    size_t sent = 0, got = 0;
    uint64_t end = mono_ns() + 10000000000u;
    bool full = false, bad = false;
    int lep, c, a;

    REQUIRE(s != NULL && port != 0);
    REQUIRE(tb_tcp_listen(s, &la, 8, &lep) == 0);
    REQUIRE(tcp_pair(s, &la, lep, &c, &a));
    for (size_t i = 0; i < sizeof(chunk); i++)
        chunk[i] = (uint8_t)(i % 251);
    while (sent < total) {
        size_t off = sent % 251, n = TB_MIN(sizeof(chunk) - off, total - sent);
        int w = tb_tcp_write(s, c, chunk + off, n);
        if (w == TB_EAGAIN) {
            full = true;
            break;
        }
        REQUIRE(w > 0);
        sent += (size_t)w;
    }
    CHECK(full);
    CHECK(!(poll_ep(s, c) & TB_EV_WRITE));
    tb_stack_interest(s, c, TB_EV_WRITE);
    while (got < total && mono_ns() < end) {
        struct tb_event ev[8];
        int n = tb_stack_poll(s, ev, 8);
        for (int i = 0; i < n; i++) {
            if (ev[i].ep == a && (ev[i].events & TB_EV_READ)) {
                int r = tb_tcp_read(s, a, rbuf, sizeof(rbuf));
                for (int k = 0; k < r; k++)
                    bad |= rbuf[k] != (uint8_t)((got + (size_t)k) % 251);
                got += r > 0 ? (size_t)r : 0;
            }
            if (ev[i].ep == c && (ev[i].events & TB_EV_WRITE) && sent < total) {
                size_t off = sent % 251;
                int w = tb_tcp_write(s, c, chunk + off,
                                     TB_MIN(sizeof(chunk) - off, total - sent));
                sent += w > 0 ? (size_t)w : 0;
                if (sent == total)
                    tb_stack_interest(s, c, 0);
            }
        }
        if (n == 0)
            tb_stack_wait(s,
                          TB_MIN(tb_stack_deadline(s), mono_ns() + 100000000u));
    }
    CHECK_EQ(got, total);
    CHECK(!bad);
    CHECK_EQ(tb_tcp_close(s, c), 0);
    CHECK_EQ(tb_tcp_close(s, a), 0);
    CHECK_EQ(tb_tcp_close(s, lep), 0);
    teardown(s);
}

/* A connect the listener's full queue leaves in SYN_SENT (the host drops
 * its SYN and retries in 1 s): TB_ENOTCONN, TB_EAGAIN, no WRITE. */
static void tcp_opening(void)
{
    struct tb_stack *s = mk(16, 0, 1, 1);
    uint16_t port = free_port(SOCK_STREAM);
    struct tb_addr la = addr("127.0.0.1", port);
    uint8_t buf[4];
    int lep, c[3];

    REQUIRE(s != NULL && port != 0);
    REQUIRE(tb_tcp_listen(s, &la, 1, &lep) == 0);
    REQUIRE(tb_tcp_connect(s, &la, &c[0]) == 0);
    CHECK(wait_ev(s, c[0], TB_EV_WRITE) & TB_EV_WRITE);
    REQUIRE(tb_tcp_connect(s, &la, &c[1]) == 0);
    CHECK(wait_ev(s, c[1], TB_EV_WRITE) & TB_EV_WRITE);
    REQUIRE(tb_tcp_connect(s, &la, &c[2]) == 0);
    usleep(50000);
    CHECK(!(poll_ep(s, c[2]) & TB_EV_WRITE));
    CHECK_EQ(tb_tcp_read(s, c[2], buf, sizeof(buf)), TB_ENOTCONN);
    CHECK_EQ(tb_tcp_write(s, c[2], "x", 1), TB_EAGAIN);
    CHECK_EQ(tb_tcp_shutdown(s, c[2]), TB_ENOTCONN);
    for (int i = 0; i < 3; i++)
        CHECK_EQ(tb_tcp_close(s, c[i]), 0);
    CHECK_EQ(tb_tcp_close(s, lep), 0); /* resets the two queued */
    teardown(s);
}

static void tcp_reset(void)
{
    struct tb_stack *s = mk(16, 0, 1, 1);
    uint16_t port = free_port(SOCK_STREAM);
    struct tb_addr la = addr("127.0.0.1", port);
    uint8_t buf[8];
    uint32_t ev;
    int lep, c, a;

    REQUIRE(s != NULL && port != 0);
    REQUIRE(tb_tcp_listen(s, &la, 8, &lep) == 0);
    /* tb_tcp_abort(): RST. */
    REQUIRE(tcp_pair(s, &la, lep, &c, &a));
    CHECK_EQ(tb_tcp_abort(s, a), 0);
    CHECK_EQ(tb_tcp_abort(s, a), TB_EBADF);
    ev = wait_ev(s, c, TB_EV_ERR);
    CHECK(ev & TB_EV_ERR);
    CHECK(ev & TB_EV_READ);
    CHECK(!(ev & TB_EV_WRITE));
    CHECK_EQ(tb_tcp_read(s, c, buf, sizeof(buf)), TB_ECONNRESET);
    CHECK_EQ(tb_tcp_read(s, c, buf, sizeof(buf)), TB_ECONNRESET);
    CHECK_EQ(tb_tcp_write(s, c, "x", 1), TB_ECONNRESET);
    CHECK(poll_ep(s, c) & TB_EV_ERR); /* level-triggered */
    CHECK_EQ(tb_tcp_shutdown(s, c), TB_ENOTCONN);
    CHECK_EQ(tb_tcp_close(s, c), 0);
    /* tb_tcp_close() with unread data: RST too (RFC 2525 2.17). */
    REQUIRE(tcp_pair(s, &la, lep, &c, &a));
    CHECK_EQ(tb_tcp_write(s, c, "xyz", 3), 3);
    CHECK(wait_ev(s, a, TB_EV_READ) & TB_EV_READ);
    CHECK_EQ(tb_tcp_close(s, a), 0);
    CHECK(wait_ev(s, c, TB_EV_ERR) & TB_EV_ERR);
    CHECK_EQ(tb_tcp_read(s, c, buf, sizeof(buf)), TB_ECONNRESET);
    CHECK_EQ(tb_tcp_close(s, c), 0);
    CHECK_EQ(tb_tcp_abort(s, lep), 0); /* a listener: closed */
    teardown(s);
}

static void tcp_refused_family(const char *lo)
{
    struct tb_stack *s = mk(16, 0, 1, 1);
    uint16_t port = free_port(SOCK_STREAM);
    struct tb_addr ra = addr(lo, port);
    uint8_t buf[4];
    uint32_t ev;
    int c;

    REQUIRE(s != NULL && port != 0);
    REQUIRE(tb_tcp_connect(s, &ra, &c) == 0);
    ev = wait_ev(s, c, TB_EV_ERR);
    CHECK(ev & TB_EV_ERR);
    CHECK(!(ev & TB_EV_WRITE));
    CHECK_EQ(tb_tcp_read(s, c, buf, sizeof(buf)), TB_ECONNREFUSED);
    CHECK_EQ(tb_tcp_write(s, c, "x", 1), TB_ECONNREFUSED);
    CHECK_EQ(tb_tcp_read(s, c, buf, sizeof(buf)), TB_ECONNREFUSED);
    CHECK_EQ(tb_tcp_close(s, c), 0);
    teardown(s);
}

static void tcp_refused(void)
{
    struct tb_stack *s = mk(4, 0, 1, 1);
    struct tb_addr bad = addr("127.0.0.1", 0);
    int x = 99;

    REQUIRE(s != NULL);
    CHECK_EQ(tb_tcp_connect(s, &bad, &x), TB_EINVAL);
    bad = any(TB_AF_UNSPEC, 53);
    CHECK_EQ(tb_tcp_connect(s, &bad, &x), TB_EINVAL);
    CHECK_EQ(x, 99);
    teardown(s);
    tcp_refused_family("127.0.0.1");
    if (have_ip6)
        tcp_refused_family("::1");
}

/* accept4 failing with EMFILE: the spare descriptor lets the stack take
 * the connection and reset it, so the listener does not stay ready. */
static void accept_emfile(void)
{
    struct tb_stack *s = mk(8, 0, 1, 1);
    uint16_t port = free_port(SOCK_STREAM);
    struct tb_addr la = addr("127.0.0.1", port);
    struct rlimit old, low;
    int lep, fd, lowest, x = 3, r;

    REQUIRE(s != NULL && port != 0);
    REQUIRE(tb_tcp_listen(s, &la, 4, &lep) == 0);
    REQUIRE((fd = plain_connect(&la)) >= 0);
    CHECK(wait_ev(s, lep, TB_EV_READ) & TB_EV_READ);
    REQUIRE((lowest = dup(0)) >= 0);
    close(lowest);
    REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
    low = old;
    low.rlim_cur = (rlim_t)lowest; /* every new descriptor: EMFILE */
    REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
    r = tb_tcp_accept(s, lep, &x, NULL);
    setrlimit(RLIMIT_NOFILE, &old);
    CHECK_EQ(r, TB_EAGAIN);
    CHECK_EQ(x, 3);
    CHECK_EQ(tb_sock_stats(s)->tcp_accept_err, 1);
    CHECK(plain_reset(fd));
    CHECK_EQ(poll_ep(s, lep), 0);
    close(fd);
    CHECK_EQ(tb_tcp_close(s, lep), 0);
    teardown(s);
}

int main(void)
{
    probe_ip6();
    RUN(tcp_stream4);
    RUN(tcp_stream6);
    RUN(tcp_dual);
    RUN(tcp_flow);
    RUN(tcp_opening);
    RUN(tcp_reset);
    RUN(tcp_refused);
    RUN(accept_emfile);
    return check_done();
}
