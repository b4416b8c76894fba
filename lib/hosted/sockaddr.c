/*
 * sockaddr.c -- host socket addresses as Tibra's one address type (struct
 * tb_addr, base.h), for the hosted programs that meet both: tibra-dnsd's
 * UDP path and outbound sockets (NOTIFY, secondaries, the resolver), and
 * the stack over host sockets (platform/unix/sock).
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <tibra/hosted.h>

void tb_addr_from_sockaddr(const struct sockaddr *sa, struct tb_addr *a)
{
    memset(a, 0, sizeof(*a));
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        a->af = TB_AF_INET;
        a->port = ntohs(s4->sin_port);
        memcpy(a->ip, &s4->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        a->port = ntohs(s6->sin6_port);
        if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
            a->af = TB_AF_INET;
            memcpy(a->ip, &s6->sin6_addr.s6_addr[12], 4);
        } else {
            a->af = TB_AF_INET6;
            memcpy(a->ip, &s6->sin6_addr, 16);
        }
    }
}

size_t tb_addr_to_sockaddr(const struct tb_addr *a, struct sockaddr_storage *ss)
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
