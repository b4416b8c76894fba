/*
 * sock.c -- the monotonic clock the deadlines of tibra-dnsd's threads
 * beside the workers are on (NOTIFY out: notify.c; secondary zones:
 * xfrin.c; the resolver: resolver.c; metrics.c).  Their socket addresses
 * convert with lib/hosted's tb_addr_to_sockaddr()/tb_addr_from_sockaddr().
 * Also the workers' listening sockets (server.c: DNS and DNS over TLS):
 * opened, tuned, bound, and what went wrong said.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dnsd.h"

uint64_t dnsd_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- listening sockets (server.c) ---------------------------------- */

#define UDP_SOCKBUF (4 << 20) /* per UDP socket, each direction */

static socklen_t to_sockaddr(const struct svc_addr *a,
                             struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->family == 4) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(a->port);
        memcpy(&s4->sin_addr, a->addr, 4);
        return sizeof(*s4);
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->addr, 16);
    return sizeof(*s6);
}

static bool is_wildcard(const struct svc_addr *a)
{
    static const uint8_t zero[16];
    return memcmp(a->addr, zero, a->family == 4 ? 4 : 16) == 0;
}

/*
 * Best effort, as NSD does: socket buffers that absorb bursts between two
 * batches (SO_RCVBUFFORCE works for root beyond net.core.rmem_max), and
 * IPv4 answers never fragmented by path-MTU state an off-path attacker can
 * plant (IP_PMTUDISC_OMIT: send with DF clear, ignore ICMP "too big").
 */
static void tune_udp(int fd, uint8_t family)
{
    int buf = UDP_SOCKBUF;

    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
#ifdef IP_PMTUDISC_OMIT
    if (family == 4) {
        int omit = IP_PMTUDISC_OMIT;
        setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &omit, sizeof(omit));
    }
#else
    (void)family;
#endif
}

static bool is_ip6_loopback(const struct svc_addr *a)
{
    static const uint8_t one[16] = {[15] = 1};
    return a->family == 6 && memcmp(a->addr, one, 16) == 0;
}

int dnsd_listen_socket(const struct svc_addr *a, int type, bool *pktinfo)
{
    struct sockaddr_storage ss;
    socklen_t sl = to_sockaddr(a, &ss);
    char txt[SVC_ADDR_TEXT_MAX];
    const char *proto = type == SOCK_DGRAM ? "udp" : "tcp";
    int one = 1, fd, e;

    svc_addr_to_text(a, true, txt, sizeof(txt));
    fd = socket(a->family == 4 ? AF_INET : AF_INET6,
                type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        e = errno;
        dnsd_log("cannot listen on %s (%s): socket: %s%s", txt, proto,
                 strerror(e),
                 e == EAFNOSUPPORT ? " (no IPv6 here? remove this listen "
                                     "address from the service file)"
                                   : "");
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (type == SOCK_DGRAM &&
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        goto fail_opt;
    if (a->family == 6 &&
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0)
        goto fail_opt;
    if (type == SOCK_DGRAM)
        tune_udp(fd, a->family);
    if (pktinfo != NULL) {
        *pktinfo = is_wildcard(a);
        if (*pktinfo &&
            (a->family == 4
                 ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
                 : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
                              sizeof(one))) != 0)
            goto fail_opt;
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0) {
        e = errno;
        dnsd_log("cannot listen on %s (%s): %s%s", txt, proto, strerror(e),
                 e == EACCES ? " (ports below 1024 need privileges)"
                 : e == EADDRNOTAVAIL && is_ip6_loopback(a)
                     ? " (no interface has this address; no IPv6 here? "
                       "remove this listen address from the service file)"
                 : e == EADDRNOTAVAIL ? " (no interface has this address)"
                                      : "");
        close(fd);
        return -1;
    }
    if (type == SOCK_STREAM && listen(fd, 1024) != 0) {
        e = errno;
        dnsd_log("cannot listen on %s (%s): listen: %s", txt, proto,
                 strerror(e));
        close(fd);
        return -1;
    }
    return fd;
fail_opt:
    e = errno;
    dnsd_log("cannot listen on %s (%s): setsockopt: %s", txt, proto,
             strerror(e));
    close(fd);
    return -1;
}
