/*
 * svc_addr.c -- IP addresses in service files: the text forms of RFC 4291
 * 2.2 (IPv6, including "::" and an embedded dotted quad) and dotted-quad
 * IPv4 (lib/base/inet.c), with an optional port, and written back in the
 * RFC 5952 form for logs and messages.
 * Used by svc.c for `listen`, `address` and `gateway`; kept separate so
 * tools and tests can use it alone.  Does not resolve host names.
 */
#include <stdio.h>
#include <tibra/svc.h>

int svc_parse_ip(const char *s, size_t len, struct svc_addr *out)
{
    struct svc_addr a;

    memset(&a, 0, sizeof(a));
    if (len == 0 || len > 45)
        return TB_EMALF;
    if (memchr(s, ':', len) != NULL) {
        if (tb_inet_pton6(s, len, a.addr) != 0)
            return TB_EMALF;
        a.family = 6;
        a.plen = 128;
    } else {
        if (tb_inet_pton4(s, len, a.addr) != 0)
            return TB_EMALF;
        a.family = 4;
        a.plen = 32;
    }
    a.port = out->port;
    a.line = out->line;
    *out = a;
    return 0;
}

int svc_addr_to_text(const struct svc_addr *a, bool with_port, char *buf,
                     size_t cap)
{
    char ip[TB_INET6_TEXT_MAX];
    int n;

    if (cap == 0)
        return TB_ESPACE;
    if (a->family == 6) {
        if (tb_inet_ntop6(a->addr, ip, sizeof(ip)) < 0)
            return TB_ESPACE;
        n = with_port ? snprintf(buf, cap, "[%s]@%u", ip, a->port)
                      : snprintf(buf, cap, "%s", ip);
    } else {
        n = snprintf(buf, cap, "%u.%u.%u.%u", a->addr[0], a->addr[1],
                     a->addr[2], a->addr[3]);
        if (n > 0 && with_port && (size_t)n < cap)
            n += snprintf(buf + n, cap - (size_t)n, "@%u", a->port);
    }
    if (n < 0 || (size_t)n >= cap)
        return TB_ESPACE;
    return n;
}
