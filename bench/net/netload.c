/*
 * netload.c -- load generator for bench/net/run.sh (hosted, Linux):
 *
 *   netload udp ADDR PORT SECONDS WINDOW SIZE
 *       keeps WINDOW requests of SIZE bytes outstanding on one UDP socket
 *       and prints the request/response rate (replies per second).
 *   netload tcp ADDR PORT MB
 *       sends MB megabytes on one connection while reading the echo, and
 *       prints the throughput (Mbit/s each way) and whether it matched.
 *   netload serve PORT SECONDS
 *       Linux's own stack as the comparison server: UDP echo (recvmmsg /
 *       sendmmsg batches of 64) and TCP echo on PORT, epoll, one thread,
 *       for SECONDS.
 *   netload relay TAPA TAPB SECONDS
 *       copies frames between two TAP devices (a user-space hop, so that
 *       Linux's stack can be measured behind the same TAP path as ours).
 *
 * Both are bounded in time; a lost UDP request is replaced after 100 ms.
 */
#include <arpa/inet.h>
#include <err.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct sockaddr_in addr(const char *a, const char *p)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)atoi(p))};
    if (inet_pton(AF_INET, a, &sa.sin_addr) != 1)
        errx(2, "bad address %s", a);
    return sa;
}

static int udp(struct sockaddr_in sa, double secs, int window, size_t size)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    char buf[65536], req[65536];
    uint64_t got = 0;
    double t0, end, last;
    int outstanding = 0;

    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        err(1, "udp socket");
    memset(req, 'q', sizeof(req));
    t0 = now_s();
    end = t0 + secs;
    last = t0;
    while (now_s() < end) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        while (outstanding < window && send(fd, req, size, 0) > 0)
            outstanding++;
        if (poll(&p, 1, 100) <= 0) {
            outstanding = 0; /* lost: refill the window */
            continue;
        }
        for (int k = 0; k < 64; k++) {
            ssize_t r = recv(fd, buf, sizeof(buf), 0);
            if (r < 0)
                break;
            got++;
            if (outstanding > 0)
                outstanding--;
            last = now_s();
        }
    }
    printf("udp %.0f req/s (%llu replies in %.2f s, window %d, %zu bytes)\n",
           (double)got / (last - t0), (unsigned long long)got, last - t0,
           window, size);
    return got > 0 ? 0 : 1;
}

static int tcp(struct sockaddr_in sa, long mb)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    static char out[65536], in[262144];
    uint64_t total = (uint64_t)mb << 20, sent = 0, rcvd = 0, sum_o = 0,
             sum_i = 0;
    double t0, dl;

    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        err(1, "tcp connect");
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (char)(i * 31 + 7);
    t0 = now_s();
    dl = t0 + 300;
    while (rcvd < total && now_s() < dl) {
        struct pollfd p = {.fd = fd,
                           .events = POLLIN | (sent < total ? POLLOUT : 0)};
        if (poll(&p, 1, 1000) <= 0)
            continue;
        if ((p.revents & POLLOUT) && sent < total) {
            size_t n = total - sent < sizeof(out) ? total - sent : sizeof(out);
            ssize_t w = send(fd, out, n, MSG_DONTWAIT);
            if (w > 0) {
                for (ssize_t i = 0; i < w; i++)
                    sum_o += (uint8_t)out[i] * ((sent + (uint64_t)i) % 251 + 1);
                sent += (uint64_t)w;
            }
        }
        if (p.revents & POLLIN) {
            ssize_t r = recv(fd, in, sizeof(in), MSG_DONTWAIT);
            if (r == 0)
                break;
            for (ssize_t i = 0; r > 0 && i < r; i++)
                sum_i += (uint8_t)in[i] * ((rcvd + (uint64_t)i) % 251 + 1);
            if (r > 0)
                rcvd += (uint64_t)r;
        }
    }
    double dt = now_s() - t0;
    close(fd);
    printf("tcp %.0f Mbit/s each way (%ld MB echoed in %.2f s, %s)\n",
           (double)rcvd * 8 / dt / 1e6, mb, dt,
           rcvd == total && sum_i == sum_o ? "verified" : "MISMATCH");
    return rcvd == total && sum_i == sum_o ? 0 : 1;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static int serve(int port, double secs)
{
    static char bufs[64][2048], big[262144];
    struct mmsghdr m[64];
    struct iovec iov[64];
    struct sockaddr_in peers[64];
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    int one = 1, ep = epoll_create1(0);
    int u = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct epoll_event ev = {.events = EPOLLIN};
    double end = now_s() + secs;

    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(u, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        bind(l, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(l, 128))
        err(1, "bind");
    ev.data.fd = u;
    epoll_ctl(ep, EPOLL_CTL_ADD, u, &ev);
    ev.data.fd = l;
    epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
    printf("READY\n");
    fflush(stdout);
    while (now_s() < end) {
        struct epoll_event evs[32];
        int n = epoll_wait(ep, evs, 32, 200);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == u) {
                for (int k = 0; k < 64; k++) {
                    iov[k] = (struct iovec){bufs[k], sizeof(bufs[k])};
                    m[k].msg_hdr = (struct msghdr){.msg_name = &peers[k],
                                                   .msg_namelen = sizeof(sa),
                                                   .msg_iov = &iov[k],
                                                   .msg_iovlen = 1};
                }
                int r = recvmmsg(u, m, 64, MSG_DONTWAIT, NULL);
                for (int k = 0; k < r; k++)
                    iov[k].iov_len = m[k].msg_len;
                if (r > 0)
                    sendmmsg(u, m, (unsigned)r, 0);
            } else if (fd == l) {
                int c = accept(l, NULL, NULL);
                if (c >= 0) {
                    ev.data.fd = c;
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
                }
            } else {
                ssize_t r = read(fd, big, sizeof(big));
                if (r <= 0)
                    close(fd);
                else
                    write_all(fd, big, (size_t)r);
            }
        }
    }
    return 0;
}

static int tap_open(const char *name)
{
    struct ifreq ifr = {0};
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);

    if (fd < 0)
        err(1, "/dev/net/tun");
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0)
        err(1, "TUNSETIFF %s", name);
    return fd;
}

static int relay(const char *a, const char *b, double secs)
{
    int fa = tap_open(a), fb = tap_open(b);
    static char f[65536];
    double end = now_s() + secs;

    printf("READY\n");
    fflush(stdout);
    while (now_s() < end) {
        struct pollfd p[2] = {{.fd = fa, .events = POLLIN},
                              {.fd = fb, .events = POLLIN}};
        if (poll(p, 2, 200) <= 0)
            continue;
        for (int k = 0; k < 2; k++) {
            if (!(p[k].revents & POLLIN))
                continue;
            for (int n = 0; n < 64; n++) {
                ssize_t r = read(p[k].fd, f, sizeof(f));
                if (r <= 0)
                    break;
                if (write(p[1 - k].fd, f, (size_t)r) < 0)
                    break;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 5 && strcmp(argv[1], "relay") == 0)
        return relay(argv[2], argv[3], atof(argv[4]));
    if (argc >= 4 && strcmp(argv[1], "serve") == 0)
        return serve(atoi(argv[2]), atof(argv[3]));
    if (argc >= 7 && strcmp(argv[1], "udp") == 0)
        return udp(addr(argv[2], argv[3]), atof(argv[4]), atoi(argv[5]),
                   (size_t)atoi(argv[6]));
    if (argc >= 5 && strcmp(argv[1], "tcp") == 0)
        return tcp(addr(argv[2], argv[3]), atol(argv[4]));
    fprintf(stderr, "usage: netload udp ADDR PORT SECONDS WINDOW SIZE\n"
                    "       netload tcp ADDR PORT MB\n");
    return 2;
}
