/*
 * sock.c -- what tibra-dnsd's threads that talk to other servers (NOTIFY
 * out: notify.c; secondary zones: xfrin.c) share for their sockets: a
 * struct tb_addr as the host socket address sendto(2) and connect(2)
 * take, and the monotonic clock their deadlines are on.  The other way,
 * a socket address as a struct tb_addr, is lib/hosted's
 * tb_addr_from_sockaddr().  No sockets are opened here.
 */
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include "dnsd.h"

uint64_t dnsd_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

socklen_t dnsd_sockaddr(const struct tb_addr *a, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (a->af == TB_AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(a->port);
        memcpy(&s4->sin_addr, a->ip, 4);
        return sizeof(*s4);
    }
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(a->port);
    memcpy(&s6->sin6_addr, a->ip, 16);
    return sizeof(*s6);
}
