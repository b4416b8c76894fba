/*
 * svc_addr.c -- IP addresses in service files: the text forms of RFC 4291
 * 2.2 (IPv6, including "::" and an embedded dotted quad) and dotted-quad
 * IPv4, parsed from a length-delimited string (never NUL-terminated), and
 * written back in the RFC 5952 canonical form for logs and messages.
 * Used by svc.c for `listen`, `address` and `gateway`; kept separate so
 * tools and tests can use it alone.  Does not resolve host names.
 */
#include <stdio.h>
#include <tibra/svc.h>

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Dotted quad, exactly four decimal parts 0..255, no leading zeros
 * (an octal reading of "010" would surprise). */
static int parse_ip4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;

    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;

        if (part > 0) {
            if (i >= len || s[i] != '.')
                return TB_EMALF;
            i++;
        }
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            if (digits == 1 && v == 0)
                return TB_EMALF; /* leading zero */
            v = v * 10 + (unsigned)(s[i] - '0');
            if (v > 255)
                return TB_EMALF;
            digits++;
            i++;
        }
        if (digits == 0)
            return TB_EMALF;
        out[part] = (uint8_t)v;
    }
    return i == len ? 0 : TB_EMALF;
}

/* RFC 4291 2.2: x:x:x:x:x:x:x:x, "::" once, a dotted quad last. */
static int parse_ip6(const char *s, size_t len, uint8_t out[16])
{
    uint16_t g[8];
    int ng = 0, gap = -1;
    size_t i = 0;

    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
        if (i == len)
            goto done;
    } else if (len >= 1 && s[0] == ':') {
        return TB_EMALF;
    }
    for (;;) {
        size_t start = i;
        unsigned v = 0;
        int h;

        while (i < len && i - start < 5 && (h = hexval(s[i])) >= 0) {
            v = v << 4 | (unsigned)h;
            i++;
        }
        if (i < len && s[i] == '.') {
            /* Embedded IPv4: the rest of the string, two groups. */
            uint8_t v4[4];
            if (ng > 6 || parse_ip4(s + start, len - start, v4) != 0)
                return TB_EMALF;
            g[ng++] = (uint16_t)(v4[0] << 8 | v4[1]);
            g[ng++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = len;
            break;
        }
        if (i == start || i - start > 4 || ng == 8)
            return TB_EMALF;
        g[ng++] = (uint16_t)v;
        if (i == len)
            break;
        if (s[i] != ':')
            return TB_EMALF;
        i++;
        if (i < len && s[i] == ':') {
            if (gap >= 0)
                return TB_EMALF; /* "::" twice */
            gap = ng;
            i++;
            if (i == len)
                break;
        } else if (i == len) {
            return TB_EMALF; /* trailing single ':' */
        }
    }
done:
    if (gap < 0 && ng != 8)
        return TB_EMALF;
    if (gap >= 0 && ng > 7)
        return TB_EMALF; /* "::" must stand for at least one group */
    memset(out, 0, 16);
    {
        int tail = gap < 0 ? 0 : ng - gap;
        int head = ng - tail;
        for (int k = 0; k < head; k++)
            tb_put16(out + 2 * k, g[k]);
        for (int k = 0; k < tail; k++)
            tb_put16(out + 16 - 2 * (tail - k), g[head + k]);
    }
    return 0;
}

int svc_parse_ip(const char *s, size_t len, struct svc_addr *out)
{
    struct svc_addr a;

    memset(&a, 0, sizeof(a));
    if (len == 0 || len > 45)
        return TB_EMALF;
    if (memchr(s, ':', len) != NULL) {
        if (parse_ip6(s, len, a.addr) != 0)
            return TB_EMALF;
        a.family = 6;
        a.plen = 128;
    } else {
        if (parse_ip4(s, len, a.addr) != 0)
            return TB_EMALF;
        a.family = 4;
        a.plen = 32;
    }
    a.port = out->port;
    a.line = out->line;
    *out = a;
    return 0;
}

/* RFC 5952 4: lower case, no leading zeros, the longest run (first on a
 * tie) of two or more zero groups as "::". */
static int ip6_to_text(const uint8_t *addr, char *buf, size_t cap)
{
    int best = -1, bestlen = 1, run = 0, len = 0, n;

    for (int k = 0; k < 8; k++) {
        if (tb_get16(addr + 2 * k) == 0) {
            run++;
            if (run > bestlen) {
                bestlen = run;
                best = k - run + 1;
            }
        } else {
            run = 0;
        }
    }
    for (int k = 0; k < 8; k++) {
        if (k == best) {
            n = snprintf(buf + len, cap - (size_t)len, "::");
            k += bestlen - 1;
        } else {
            n = snprintf(buf + len, cap - (size_t)len, "%s%x",
                         (k == 0 || k == best + bestlen) ? "" : ":",
                         tb_get16(addr + 2 * k));
        }
        if (n < 0 || (size_t)n >= cap - (size_t)len)
            return TB_ESPACE;
        len += n;
    }
    return len;
}

int svc_addr_to_text(const struct svc_addr *a, bool with_port, char *buf,
                     size_t cap)
{
    char ip[48];
    int n;

    if (cap == 0)
        return TB_ESPACE;
    if (a->family == 6) {
        if (ip6_to_text(a->addr, ip, sizeof(ip)) < 0)
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
