/*
 * inet.c -- IP addresses in text: dotted-quad IPv4 and the RFC 4291 2.2
 * forms of IPv6, parsed from length-delimited strings (zone files, service
 * files, tools), and IPv6 written back as glibc's inet_ntop() does (RFC 5952
 * compression, a dotted IPv4 tail for ::a.b.c.d and ::ffff:a.b.c.d), which
 * is also what NSD and Knot print.  No host-name resolution, no scope ids.
 */
#include <stdio.h>
#include <tibra/base.h>

int tb_hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int tb_hex_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
    if (len % 2 != 0)
        return TB_EMALF;
    if (len / 2 > cap)
        return TB_ESPACE;
    for (size_t i = 0; i < len / 2; i++) {
        int hi = tb_hexval(s[2 * i]), lo = tb_hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return TB_EMALF;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return (int)(len / 2);
}

int tb_inet_pton4(const char *s, size_t len, uint8_t out[4])
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
            /* No leading zeros: inet_pton() (NSD, Knot) refuses them, and
             * an octal reading of "010" would surprise. */
            if (digits == 1 && v == 0)
                return TB_EMALF;
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

int tb_inet_pton6(const char *s, size_t len, uint8_t out[16])
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

        while (i < len && i - start < 5 && (h = tb_hexval(s[i])) >= 0) {
            v = v << 4 | (unsigned)h;
            i++;
        }
        if (i < len && s[i] == '.') {
            /* Embedded IPv4: the rest of the string, two groups. */
            uint8_t v4[4];
            if (ng > 6 || tb_inet_pton4(s + start, len - start, v4) != 0)
                return TB_EMALF;
            g[ng++] = (uint16_t)(v4[0] << 8 | v4[1]);
            g[ng++] = (uint16_t)(v4[2] << 8 | v4[3]);
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
    int tail = gap < 0 ? 0 : ng - gap;
    int head = ng - tail;
    for (int k = 0; k < head; k++)
        tb_put16(out + 2 * k, g[k]);
    for (int k = 0; k < tail; k++)
        tb_put16(out + 16 - 2 * (tail - k), g[head + k]);
    return 0;
}

int tb_inet_ntop6(const uint8_t a[16], char *buf, size_t cap)
{
    int best = -1, bestlen = 0, cur = -1, curlen = 0, len = 0, n = 0;

    for (int i = 0; i < 8; i++) {
        if (tb_get16(a + 2 * i) == 0) {
            if (cur < 0) {
                cur = i;
                curlen = 0;
            }
            if (++curlen > bestlen) {
                best = cur;
                bestlen = curlen;
            }
        } else {
            cur = -1;
        }
    }
    if (bestlen < 2)
        best = -1; /* RFC 5952 4.2.2: one zero group is not compressed */
    for (int i = 0; i < 8; i++) {
        const char *sep = i > 0 ? ":" : "";
        if (best >= 0 && i >= best && i < best + bestlen) {
            n = i == best ? snprintf(buf + len, cap - (size_t)len, ":") : 0;
        } else if (i == 6 && best == 0 &&
                   (bestlen == 6 ||
                    (bestlen == 5 && tb_get16(a + 10) == 0xffff))) {
            n = snprintf(buf + len, cap - (size_t)len, "%s%u.%u.%u.%u", sep,
                         a[12], a[13], a[14], a[15]);
            i = 8;
        } else {
            n = snprintf(buf + len, cap - (size_t)len, "%s%x", sep,
                         tb_get16(a + 2 * i));
        }
        if (n < 0 || (size_t)n >= cap - (size_t)len)
            return TB_ESPACE;
        len += n;
    }
    if (best >= 0 && best + bestlen == 8) {
        if ((size_t)len + 1 >= cap)
            return TB_ESPACE;
        buf[len++] = ':';
        buf[len] = '\0';
    }
    return len;
}
