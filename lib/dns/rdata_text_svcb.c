/*
 * rdata_text_svcb.c -- SVCB/HTTPS SvcParams (RFC 9460 2.1, 7, Appendix A)
 * in presentation form <-> wire form, for rdata_text.c and
 * rdata_text_fmt.c.  Text: "key", "key=value" or key="value" (the lexer
 * cuts the last one into an unquoted "key=" and a joined quoted token).
 * A value is first a <character-string> (\DDD, \X), then value lists split
 * on commas, where "\," and "\\" (after the first unescaping, so "\\," in
 * the file) keep a literal comma or backslash inside an item (Appendix
 * A.1).  Keys may come in any order; the wire form is sorted, duplicates
 * and an inconsistent "mandatory" are errors (RFC 9460 2.2, 8).
 */
#include <tibra/dns.h>

#include "rdata_text_int.h"

enum {
    KEY_MANDATORY = 0,
    KEY_ALPN = 1,
    KEY_NO_DEFAULT_ALPN = 2,
    KEY_PORT = 3,
    KEY_IPV4HINT = 4,
    KEY_ECH = 5,
    KEY_IPV6HINT = 6,
    KEY_DOHPATH = 7,
    KEY_OHTTP = 8
    /* 65535 is reserved (RFC 9460 14.3.2) but NSD and Knot take it. */
};

static const char *const key_names[] = {
    "mandatory", "alpn",     "no-default-alpn", "port",  "ipv4hint",
    "ech",       "ipv6hint", "dohpath",         "ohttp",
};

/* Parses a key name or "keyNNNNN".  Returns 0 or -1. */
static int key_from_text(const char *s, size_t n, uint16_t *key)
{
    size_t i;
    uint64_t v;

    for (i = 0; i < TB_ARRAY_SIZE(key_names); i++) {
        if (strlen(key_names[i]) == n && memcmp(key_names[i], s, n) == 0) {
            *key = (uint16_t)i;
            return 0;
        }
    }
    if (n > 3 && memcmp(s, "key", 3) == 0 &&
        rp_number(s + 3, n - 3, 65535, &v) == 0 && !(n > 4 && s[3] == '0')) {
        *key = (uint16_t)v;
        return 0;
    }
    return -1;
}

/*
 * Splits the next item of a value list (v, n) starting at (*pos) into
 * (item, cap): "\," and "\\" are literal, a bare ',' ends the item and
 * sets (*more).  Returns the item length, or -1 (too long, or a trailing
 * backslash).
 */
static int next_item(const uint8_t *v, size_t n, size_t *pos, uint8_t *item,
                     size_t cap, bool *more)
{
    size_t i = *pos, o = 0;

    while (i < n && v[i] != ',') {
        uint8_t c = v[i++];
        if (c == '\\') {
            if (i >= n)
                return -1;
            c = v[i++];
        }
        if (o >= cap)
            return -1;
        item[o++] = c;
    }
    *more = i < n;
    *pos = i < n ? i + 1 : i;
    return (int)o;
}

static const char *value(struct rp *r, uint16_t key, const uint8_t *v, size_t n,
                         bool has)
{
    uint8_t item[256];
    uint8_t *vstart = r->w.p;
    size_t pos = 0;
    bool more;
    int len;

    switch (key) {
    case KEY_NO_DEFAULT_ALPN:
    case KEY_OHTTP:
        return has ? "this SvcParam takes no value" : NULL;
    case KEY_PORT: {
        uint64_t p;
        if (!has || rp_number((const char *)v, n, 65535, &p) != 0)
            return "bad port";
        tb_wcur_u16(&r->w, (uint16_t)p);
        return NULL;
    }
    case KEY_ECH: {
        /* Base64 of the ECHConfigList, decoded as DHCID's layout is. */
        struct dns_tok t = {(const char *)v, (uint32_t)n, 0, 0, 0};
        size_t got = 0;
        if (!has || n == 0 ||
            dns_rdata_from_text(DNS_TYPE_DHCID, &t, 1, NULL, r->w.p,
                                (size_t)(r->w.end - r->w.p), &got, NULL) != 0)
            return "bad ech value (base64)";
        r->w.p += got;
        return NULL;
    }
    default:
        break;
    }
    if (!has)
        return key == KEY_MANDATORY || key == KEY_ALPN || key == KEY_IPV4HINT ||
                       key == KEY_IPV6HINT || key == KEY_DOHPATH
                   ? "this SvcParam needs a value"
                   : NULL;
    if (key >= 9 || key == KEY_DOHPATH) {
        /* Opaque value: the character-string bytes as they are. */
        tb_wcur_bytes(&r->w, v, n);
        return NULL;
    }
    if (n == 0)
        return "empty value list";
    for (more = true; more;) {
        len = next_item(v, n, &pos, item, sizeof(item) - 1, &more);
        if (len <= 0)
            return "bad value list item";
        switch (key) {
        case KEY_MANDATORY: {
            uint16_t k;
            if (key_from_text((const char *)item, (size_t)len, &k) != 0)
                return "unknown key in mandatory";
            tb_wcur_u16(&r->w, k);
            break;
        }
        case KEY_ALPN:
            tb_wcur_u8(&r->w, (uint8_t)len);
            tb_wcur_bytes(&r->w, item, (size_t)len);
            break;
        case KEY_IPV4HINT: {
            uint8_t a[4];
            if (tb_inet_pton4((const char *)item, (size_t)len, a) != 0)
                return "bad IPv4 address in ipv4hint";
            tb_wcur_bytes(&r->w, a, 4);
            break;
        }
        case KEY_IPV6HINT: {
            uint8_t a[16];
            if (tb_inet_pton6((const char *)item, (size_t)len, a) != 0)
                return "bad IPv6 address in ipv6hint";
            tb_wcur_bytes(&r->w, a, 16);
            break;
        }
        default:
            return "bad key";
        }
    }
    if (key == KEY_MANDATORY && r->w.err == 0) {
        /* RFC 9460 8: keys in strictly increasing order on the wire. */
        size_t a, b, cnt = (size_t)(r->w.p - vstart) / 2;
        for (a = 1; a < cnt; a++) {
            uint16_t k = tb_get16(vstart + 2 * a);
            for (b = a; b > 0 && tb_get16(vstart + 2 * (b - 1)) > k; b--)
                tb_put16(vstart + 2 * b, tb_get16(vstart + 2 * (b - 1)));
            tb_put16(vstart + 2 * b, k);
        }
    }
    return NULL;
}

/* Reverses (p, n) in place: three reversals rotate a block. */
static void reverse(uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n / 2; i++) {
        uint8_t c = p[i];
        p[i] = p[n - 1 - i];
        p[n - 1 - i] = c;
    }
}

/*
 * Sorts the (count) params at (p, len) by key, in place (insertion sort by
 * block rotation: a few params, no scratch buffer), and checks duplicates
 * and mandatory (RFC 9460 8).  Returns NULL or the problem.
 */
static const char *sort_params(uint8_t *p, size_t len)
{
    size_t a = 0;
    const uint8_t *m = NULL;
    size_t mlen = 0, i, j;

    while (a < len) {
        size_t alen = 4 + tb_get16(p + a + 2), b = 0;
        uint16_t ka = tb_get16(p + a);
        /* Find the first param before (a) with a larger key. */
        while (b < a && tb_get16(p + b) < ka)
            b += 4 + tb_get16(p + b + 2);
        if (b < a) {
            if (tb_get16(p + b) == ka)
                return "duplicate SvcParam key";
            reverse(p + b, a - b);
            reverse(p + a, alen);
            reverse(p + b, a - b + alen);
        }
        a += alen;
    }
    for (a = 0; a < len; a += 4 + tb_get16(p + a + 2)) {
        if (tb_get16(p + a) == KEY_MANDATORY) {
            m = p + a + 4;
            mlen = tb_get16(p + a + 2);
        }
    }
    for (i = 0; i < mlen; i += 2) {
        uint16_t k = tb_get16(m + i);
        bool found = false;
        if (k == KEY_MANDATORY)
            return "mandatory lists itself";
        for (j = 0; j < i; j += 2)
            if (tb_get16(m + j) == k)
                return "duplicate key in mandatory";
        for (a = 0; a < len; a += 4 + tb_get16(p + a + 2))
            if (tb_get16(p + a) == k)
                found = true;
        if (!found)
            return "mandatory key missing from the record";
    }
    return NULL;
}

void rp_svcparams(struct rp *r)
{
    uint8_t *start = r->w.p;
    uint8_t val[DNS_RDATA_MAXLEN > 4096 ? 4096 : DNS_RDATA_MAXLEN];
    const char *why;

    while (r->err == 0 && r->w.err == 0 && r->i < r->n) {
        const struct dns_tok *t = &r->t[r->i], *vt = NULL;
        const char *eq = memchr(t->s, '=', t->len);
        size_t klen = eq ? (size_t)(eq - t->s) : t->len;
        uint16_t key;
        int vlen = 0;
        uint8_t *lenp;

        if (t->flags & DNS_TOK_QUOTED || key_from_text(t->s, klen, &key) != 0) {
            rp_fail(r, TB_EMALF, "bad SvcParam key");
            return;
        }
        r->i++;
        if (eq != NULL) {
            if (eq + 1 == t->s + t->len && r->i < r->n &&
                (r->t[r->i].flags & (DNS_TOK_QUOTED | DNS_TOK_JOINED)) ==
                    (DNS_TOK_QUOTED | DNS_TOK_JOINED)) {
                vt = &r->t[r->i++];
                vlen = rp_unescape(vt, val, sizeof(val));
            } else {
                struct dns_tok sub = *t;
                sub.s = eq + 1;
                sub.len = (uint32_t)(t->len - klen - 1);
                vlen = rp_unescape(&sub, val, sizeof(val));
            }
            if (vlen < 0) {
                r->i--;
                rp_fail(r, TB_EMALF, "bad SvcParam value");
                return;
            }
        }
        tb_wcur_u16(&r->w, key);
        lenp = r->w.p;
        tb_wcur_u16(&r->w, 0);
        if (r->w.err != 0)
            break;
        why = value(r, key, val, (size_t)vlen, eq != NULL);
        if (why != NULL) {
            r->i--;
            rp_fail(r, TB_EMALF, why);
            return;
        }
        if (r->w.err != 0)
            break;
        tb_put16(lenp, (uint16_t)(r->w.p - lenp - 2));
    }
    if (r->err != 0 || r->w.err != 0)
        return;
    why = sort_params(start, (size_t)(r->w.p - start));
    if (why != NULL) {
        r->i = r->n;
        rp_fail(r, TB_EMALF, why);
    }
}

/* Writes (p, n) escaped for a quoted value list item or string. */
static void rw_escaped(struct rw *w, const uint8_t *p, size_t n, bool list)
{
    size_t i;

    for (i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (list && c == ',')
            rw_str(w, "\\\\,"); /* two layers of escaping: A.1 */
        else if (list && c == '\\')
            rw_str(w, "\\\\\\\\");
        else if (c < 0x20 || c > 0x7e)
            rw_fmt(w, "\\%03u", c);
        else if (c == '"' || c == '\\')
            rw_fmt(w, "\\%c", c);
        else
            rw_mem(w, (const char *)&c, 1);
    }
}

static void rw_key(struct rw *w, uint16_t k)
{
    if (k < TB_ARRAY_SIZE(key_names))
        rw_str(w, key_names[k]);
    else
        rw_fmt(w, "key%u", (unsigned)k);
}

int rw_svcparams(struct rw *w, const uint8_t *p, size_t n)
{
    size_t a = 0;
    int prev = -1;

    while (a < n) {
        uint16_t k, l;
        const uint8_t *v;
        size_t i;

        if (n - a < 4)
            return TB_EMALF;
        k = tb_get16(p + a);
        l = tb_get16(p + a + 2);
        v = p + a + 4;
        if ((int)k <= prev || n - a - 4 < l)
            return TB_EMALF;
        prev = k;
        a += 4 + (size_t)l;
        rw_str(w, " ");
        rw_key(w, k);
        switch (k) {
        case KEY_NO_DEFAULT_ALPN:
        case KEY_OHTTP:
            if (l != 0)
                return TB_EMALF;
            break;
        case KEY_MANDATORY:
            if (l == 0 || l % 2)
                return TB_EMALF;
            for (i = 2; i < l; i += 2)
                if (tb_get16(v + i) <= tb_get16(v + i - 2))
                    return TB_EMALF;
            for (i = 0; i < l; i += 2) {
                rw_str(w, i ? "," : "=");
                rw_key(w, tb_get16(v + i));
            }
            break;
        case KEY_ALPN:
            if (l == 0)
                return TB_EMALF;
            rw_str(w, "=\"");
            for (i = 0; i < l; i += 1 + (size_t)v[i]) {
                if (v[i] == 0 || i + 1 + v[i] > l)
                    return TB_EMALF;
                if (i)
                    rw_str(w, ",");
                rw_escaped(w, v + i + 1, v[i], true);
            }
            rw_str(w, "\"");
            break;
        case KEY_PORT:
            if (l != 2)
                return TB_EMALF;
            rw_fmt(w, "=%u", (unsigned)tb_get16(v));
            break;
        case KEY_IPV4HINT:
        case KEY_IPV6HINT: {
            size_t sz = k == KEY_IPV4HINT ? 4 : 16;
            if (l == 0 || l % sz)
                return TB_EMALF;
            for (i = 0; i < l; i += sz) {
                rw_str(w, i ? "," : "=");
                if (sz == 4)
                    rw_ip4(w, v + i);
                else
                    rw_ip6(w, v + i);
            }
            break;
        }
        case KEY_ECH:
            if (l == 0)
                return TB_EMALF;
            rw_str(w, "=");
            rw_b64(w, v, l);
            break;
        default:
            if (k == KEY_DOHPATH && l == 0)
                return TB_EMALF;
            if (l > 0) {
                rw_str(w, "=\"");
                rw_escaped(w, v, l, false);
                rw_str(w, "\"");
            }
            break;
        }
    }
    return 0;
}
