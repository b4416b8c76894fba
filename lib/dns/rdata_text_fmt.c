/*
 * rdata_text_fmt.c -- uncompressed wire rdata -> canonical presentation
 * form, and wire rdata validation, both driven by the field layouts of
 * rrtype.c.  One walker does both: dns_rdata_check() runs it without
 * output.  Output style is what NSD and Knot print: numbers in decimal,
 * names absolute, strings always quoted, hex upper case, base64 in one
 * run, base32hex lower case, RRSIG times as YYYYMMDDHHmmSS, AAAA as
 * inet_ntop() writes it.  Rdata that does not fit its layout is printed
 * as RFC 3597 "\# len hex" so every record still round-trips.
 */
#include <stdarg.h>
#include <stdio.h>
#include <tibra/dns.h>

#include "rdata_text_int.h"

void rw_mem(struct rw *w, const char *s, size_t n)
{
    if (w == NULL)
        return;
    if (w->err == 0 && w->len + n < w->cap)
        memcpy(w->b + w->len, s, n);
    else
        w->err = TB_ESPACE;
    w->len += n;
}

void rw_str(struct rw *w, const char *s)
{
    rw_mem(w, s, strlen(s));
}

void rw_fmt(struct rw *w, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    int n;

    if (w == NULL)
        return;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        w->err = TB_ESPACE;
        return;
    }
    rw_mem(w, tmp, (size_t)n);
}

void rw_ip4(struct rw *w, const uint8_t *a)
{
    rw_fmt(w, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* As glibc inet_ntop (what NSD and Knot print): lib/base/inet.c. */
void rw_ip6(struct rw *w, const uint8_t *a)
{
    char buf[TB_INET6_TEXT_MAX];

    if (tb_inet_ntop6(a, buf, sizeof(buf)) >= 0)
        rw_str(w, buf);
}

static const char hexd[] = "0123456789ABCDEF";

static void rw_hex(struct rw *w, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        char c[2] = {hexd[p[i] >> 4], hexd[p[i] & 15]};
        rw_mem(w, c, 2);
    }
}

void rw_b64(struct rw *w, const uint8_t *v, size_t l)
{
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i;

    for (i = 0; i < l; i += 3) {
        uint32_t x = (uint32_t)v[i] << 16;
        size_t m = TB_MIN((size_t)3, l - i);
        char q[4];
        if (m > 1)
            x |= (uint32_t)v[i + 1] << 8;
        if (m > 2)
            x |= v[i + 2];
        q[0] = b64[x >> 18 & 63];
        q[1] = b64[x >> 12 & 63];
        q[2] = m > 1 ? b64[x >> 6 & 63] : '=';
        q[3] = m > 2 ? b64[x & 63] : '=';
        rw_mem(w, q, 4);
    }
}

static void rw_b32(struct rw *w, const uint8_t *v, size_t l)
{
    static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
    uint32_t acc = 0;
    unsigned bits = 0;
    size_t i;

    for (i = 0; i < l; i++) {
        acc = acc << 8 | v[i];
        bits += 8;
        while (bits >= 5) {
            rw_mem(w, &b32[acc >> (bits - 5) & 31], 1);
            bits -= 5;
        }
    }
    if (bits > 0)
        rw_mem(w, &b32[acc << (5 - bits) & 31], 1);
}

/* A <character-string> body, quoted, with \" \\ and \DDD escapes. */
static void rw_qstr(struct rw *w, const uint8_t *p, size_t n)
{
    size_t i, run = 0;

    rw_str(w, "\"");
    for (i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c >= 0x20 && c <= 0x7e && c != '"' && c != '\\') {
            run++;
            continue;
        }
        rw_mem(w, (const char *)p + i - run, run);
        run = 0;
        if (c == '"' || c == '\\')
            rw_fmt(w, "\\%c", c);
        else
            rw_fmt(w, "\\%03u", c);
    }
    rw_mem(w, (const char *)p + n - run, run);
    rw_str(w, "\"");
}

static void rw_type(struct rw *w, uint16_t t)
{
    char b[16];

    if (dns_type_to_text(t, b, sizeof(b)) > 0)
        rw_str(w, b);
}

/* Civil date from days since 1970-01-01 [Hinnant]. */
static void rw_time(struct rw *w, uint32_t v)
{
    int64_t z = (int64_t)(v / 86400) + 719468, era, doe, yoe, y, doy, mp;
    unsigned d, m, s = v % 86400;

    era = z / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    y = yoe + era * 400;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    y += m <= 2;
    rw_fmt(w, "%04lld%02u%02u%02u%02u%02u", (long long)y, m, d, s / 3600,
           s / 60 % 60, s % 60);
}

/* Validates the bitmap (p, n) and writes its types (each after a space). */
static int rw_bitmap(struct rw *w, const uint8_t *p, size_t n)
{
    size_t i = 0;
    int prev = -1;

    while (i < n) {
        unsigned win, len, k, b;
        if (n - i < 2)
            return TB_EMALF;
        win = p[i];
        len = p[i + 1];
        /* RFC 4034 4.1.2: windows ascending, 1..32 bytes, no empty tail. */
        if ((int)win <= prev || len == 0 || len > 32 || n - i - 2 < len ||
            p[i + 1 + len] == 0)
            return TB_EMALF;
        prev = (int)win;
        for (k = 0; k < len; k++)
            for (b = 0; b < 8; b++)
                if (p[i + 2 + k] & (0x80 >> b)) {
                    rw_str(w, " ");
                    rw_type(w, (uint16_t)(win << 8 | (k * 8 + b)));
                }
        i += 2 + len;
    }
    return 0;
}

/* Length of the wire name at (p, n), or 0 if malformed. */
static size_t name_len(const uint8_t *p, size_t n)
{
    size_t i = 0;

    while (i < n && i < DNS_NAME_MAXLEN) {
        if (p[i] == 0)
            return i + 1;
        if (p[i] > DNS_LABEL_MAXLEN)
            return 0;
        i += (size_t)p[i] + 1;
    }
    return 0;
}

/* Where the names of one rdata sit (for canonical comparison). */
struct spans {
    size_t n;
    size_t off[DNS_RDF_MAX], len[DNS_RDF_MAX];
};

/*
 * Walks (rdata, n) along layout (rdf), writing to (w) (which MAY be NULL:
 * validation only) and noting name fields in (sp) (MAY be NULL).  Returns
 * 0 or TB_EMALF.
 */
static int walk(const uint8_t *rdf, const uint8_t *p, size_t n, struct rw *w,
                struct spans *sp)
{
    size_t o = 0, k, l;
    char nb[DNS_NAME_TEXT_MAX];

    for (k = 0; k < DNS_RDF_MAX && rdf[k] != DNS_RDF_END; k++) {
        const uint8_t *v = p + o;
        size_t left = n - o;
        if (k > 0 && rdf[k] != DNS_RDF_BITMAP && !(rdf[k] == DNS_RDF_SVCPARAMS))
            rw_str(w, " ");
        switch (rdf[k]) {
        case DNS_RDF_NAME:
        case DNS_RDF_NAME_NC:
            l = name_len(v, left);
            if (l == 0)
                return TB_EMALF;
            if (sp != NULL) {
                sp->off[sp->n] = o;
                sp->len[sp->n++] = l;
            }
            if (w != NULL) {
                uint8_t tmp[DNS_NAME_MAXLEN];
                memcpy(tmp, v, l);
                dns_name_to_text(tmp, nb, sizeof(nb));
                rw_str(w, nb);
            }
            break;
        case DNS_RDF_U8:
        case DNS_RDF_ALG:
            l = 1;
            if (left < l)
                return TB_EMALF;
            rw_fmt(w, "%u", v[0]);
            break;
        case DNS_RDF_U16:
        case DNS_RDF_CERTTYPE:
            l = 2;
            if (left < l)
                return TB_EMALF;
            rw_fmt(w, "%u", (unsigned)tb_get16(v));
            break;
        case DNS_RDF_TYPE:
            l = 2;
            if (left < l)
                return TB_EMALF;
            rw_type(w, tb_get16(v));
            break;
        case DNS_RDF_U32:
        case DNS_RDF_TTL:
            l = 4;
            if (left < l)
                return TB_EMALF;
            rw_fmt(w, "%lu", (unsigned long)tb_get32(v));
            break;
        case DNS_RDF_TIME:
            l = 4;
            if (left < l)
                return TB_EMALF;
            if (w != NULL)
                rw_time(w, tb_get32(v));
            break;
        case DNS_RDF_A:
            l = 4;
            if (left < l)
                return TB_EMALF;
            if (w != NULL)
                rw_ip4(w, v);
            break;
        case DNS_RDF_AAAA:
            l = 16;
            if (left < l)
                return TB_EMALF;
            if (w != NULL)
                rw_ip6(w, v);
            break;
        case DNS_RDF_STR:
            if (left < 1 || left - 1 < v[0])
                return TB_EMALF;
            l = 1 + (size_t)v[0];
            if (w != NULL)
                rw_qstr(w, v + 1, v[0]);
            break;
        case DNS_RDF_STRS:
            if (left == 0)
                return TB_EMALF;
            for (l = 0; l < left; l += 1 + (size_t)v[l]) {
                if (left - l - 1 < v[l])
                    return TB_EMALF;
                if (l > 0)
                    rw_str(w, " ");
                if (w != NULL)
                    rw_qstr(w, v + l + 1, v[l]);
            }
            break;
        case DNS_RDF_STR_REST:
            l = left;
            if (w != NULL)
                rw_qstr(w, v, l);
            break;
        case DNS_RDF_CAATAG:
            if (left < 1 || v[0] == 0 || left - 1 < v[0])
                return TB_EMALF;
            l = 1 + (size_t)v[0];
            for (size_t i = 1; i < l; i++) {
                uint8_t c = v[i];
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                      (c >= 'A' && c <= 'Z')))
                    return TB_EMALF;
            }
            rw_mem(w, (const char *)v + 1, v[0]);
            break;
        case DNS_RDF_HEX:
        case DNS_RDF_HEX0:
            l = left;
            if (l == 0 && rdf[k] == DNS_RDF_HEX)
                return TB_EMALF;
            rw_hex(w, v, l);
            break;
        case DNS_RDF_B64:
            l = left;
            if (l == 0)
                return TB_EMALF;
            if (w != NULL)
                rw_b64(w, v, l);
            break;
        case DNS_RDF_SALT:
            if (left < 1 || left - 1 < v[0])
                return TB_EMALF;
            l = 1 + (size_t)v[0];
            if (v[0] == 0)
                rw_str(w, "-");
            else
                rw_hex(w, v + 1, v[0]);
            break;
        case DNS_RDF_B32:
            if (left < 1 || v[0] == 0 || left - 1 < v[0])
                return TB_EMALF;
            l = 1 + (size_t)v[0];
            if (w != NULL)
                rw_b32(w, v + 1, v[0]);
            break;
        case DNS_RDF_BITMAP:
            l = left;
            if (rw_bitmap(w, v, l) != 0)
                return TB_EMALF;
            break;
        case DNS_RDF_SVCPARAMS:
            l = left;
            if (rw_svcparams(w, v, l) != 0)
                return TB_EMALF;
            break;
        case DNS_RDF_LOC:
            l = left;
            if (rw_loc(w, v, l) != 0)
                return TB_EMALF;
            break;
        case DNS_RDF_EUI48:
        case DNS_RDF_EUI64:
            l = rdf[k] == DNS_RDF_EUI48 ? 6 : 8;
            if (left < l)
                return TB_EMALF;
            for (size_t i = 0; i < l; i++)
                rw_fmt(w, i ? "-%02x" : "%02x", v[i]);
            break;
        case DNS_RDF_ILNP64:
            l = 8;
            if (left < l)
                return TB_EMALF;
            rw_fmt(w, "%04x:%04x:%04x:%04x", tb_get16(v), tb_get16(v + 2),
                   tb_get16(v + 4), tb_get16(v + 6));
            break;
        case DNS_RDF_APL:
            for (l = 0; l < left;) {
                uint8_t a[16];
                unsigned afi, pfx, alen;
                if (left - l < 4)
                    return TB_EMALF;
                afi = tb_get16(v + l);
                pfx = v[l + 2];
                alen = v[l + 3] & 0x7f;
                if ((afi != 1 && afi != 2) || pfx > (afi == 1 ? 32 : 128) ||
                    alen > (afi == 1 ? 4u : 16u) || left - l - 4 < alen ||
                    (alen > 0 && v[l + 3 + alen] == 0))
                    return TB_EMALF;
                memset(a, 0, sizeof(a));
                memcpy(a, v + l + 4, alen);
                if (l > 0)
                    rw_str(w, " ");
                rw_fmt(w, "%s%u:", v[l + 3] & 0x80 ? "!" : "", afi);
                if (w != NULL) {
                    if (afi == 1)
                        rw_ip4(w, a);
                    else
                        rw_ip6(w, a);
                }
                rw_fmt(w, "/%u", pfx);
                l += 4 + alen;
            }
            break;
        case DNS_RDF_IPSECKEY: {
            unsigned gt;
            if (left < 2)
                return TB_EMALF;
            gt = v[0];
            rw_fmt(w, "%u %u ", gt, v[1]);
            l = 2;
            if (gt == 0) {
                rw_str(w, ".");
            } else if (gt == 1 || gt == 2) {
                size_t al = gt == 1 ? 4 : 16;
                if (left - l < al)
                    return TB_EMALF;
                if (w != NULL) {
                    if (gt == 1)
                        rw_ip4(w, v + l);
                    else
                        rw_ip6(w, v + l);
                }
                l += al;
            } else if (gt == 3) {
                size_t nl = name_len(v + l, left - l);
                if (nl == 0)
                    return TB_EMALF;
                if (sp != NULL) {
                    sp->off[sp->n] = o + l;
                    sp->len[sp->n++] = nl;
                }
                if (w != NULL) {
                    uint8_t tmp[DNS_NAME_MAXLEN];
                    memcpy(tmp, v + l, nl);
                    dns_name_to_text(tmp, nb, sizeof(nb));
                    rw_str(w, nb);
                }
                l += nl;
            } else {
                return TB_EMALF;
            }
            if (l < left) {
                rw_str(w, " ");
                if (w != NULL)
                    rw_b64(w, v + l, left - l);
            }
            l = left;
            break;
        }
        default:
            return TB_EMALF;
        }
        o += l;
    }
    return o == n ? 0 : TB_EMALF;
}

int dns_rdata_check(uint16_t type, const uint8_t *rdata, size_t rdlen)
{
    const struct dns_rrtype *t = dns_rrtype_get(type);

    if (rdlen > DNS_RDATA_MAXLEN)
        return TB_EMALF;
    if (t == NULL || t->rdf[0] == DNS_RDF_END)
        return 0;
    return walk(t->rdf, rdata, rdlen, NULL, NULL);
}

int dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t rdlen,
                      char *buf, size_t cap)
{
    const struct dns_rrtype *t = dns_rrtype_get(type);
    struct rw w = {buf, cap, 0, 0};

    if (cap == 0)
        return TB_ESPACE;
    if (t != NULL && t->rdf[0] != DNS_RDF_END && rdlen <= DNS_RDATA_MAXLEN &&
        walk(t->rdf, rdata, rdlen, &w, NULL) == 0) {
        if (w.err != 0)
            return TB_ESPACE;
        buf[w.len] = '\0';
        return (int)w.len;
    }
    /* RFC 3597 5: the generic form. */
    w.len = 0;
    w.err = 0;
    rw_fmt(&w, "\\# %zu", rdlen);
    if (rdlen > 0)
        rw_str(&w, " ");
    rw_hex(&w, rdata, rdlen);
    if (w.err != 0)
        return TB_ESPACE;
    buf[w.len] = '\0';
    return (int)w.len;
}

/* Byte (i) of (p) in canonical form: lower-cased inside a name span. */
static uint8_t canon_at(const uint8_t *p, size_t i, const struct spans *sp)
{
    uint8_t c = p[i];
    size_t k;

    if (c < 'A' || c > 'Z')
        return c;
    for (k = 0; k < sp->n; k++)
        if (i >= sp->off[k] && i < sp->off[k] + sp->len[k])
            return (uint8_t)(c + 32);
    return c;
}

void dns_rdata_canon(uint16_t type, const uint8_t *rdata, size_t rdlen,
                     uint8_t *out)
{
    const struct dns_rrtype *t = dns_rrtype_get(type);
    struct spans sp = {0, {0}, {0}};
    size_t i;

    if (t == NULL || !(t->flags & DNS_RRT_CANON) || t->rdf[0] == DNS_RDF_END ||
        walk(t->rdf, rdata, rdlen, NULL, &sp) != 0) {
        memcpy(out, rdata, rdlen);
        return;
    }
    for (i = 0; i < rdlen; i++)
        out[i] = canon_at(rdata, i, &sp);
}

int dns_rdata_cmp(uint16_t type, const uint8_t *a, size_t alen,
                  const uint8_t *b, size_t blen)
{
    const struct dns_rrtype *t = dns_rrtype_get(type);
    struct spans sa = {0, {0}, {0}}, sb = {0, {0}, {0}};
    size_t n = TB_MIN(alen, blen), i;
    int r;

    if (t == NULL || !(t->flags & DNS_RRT_CANON) || t->rdf[0] == DNS_RDF_END ||
        walk(t->rdf, a, alen, NULL, &sa) != 0 ||
        walk(t->rdf, b, blen, NULL, &sb) != 0 || (sa.n == 0 && sb.n == 0)) {
        r = memcmp(a, b, n);
    } else {
        r = 0;
        for (i = 0; i < n && r == 0; i++)
            r = (int)canon_at(a, i, &sa) - (int)canon_at(b, i, &sb);
    }
    if (r != 0)
        return r < 0 ? -1 : 1;
    return alen < blen ? -1 : alen > blen;
}
