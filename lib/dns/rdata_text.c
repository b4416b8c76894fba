/*
 * rdata_text.c -- rdata presentation form -> uncompressed wire form, driven
 * by the field layouts of rrtype.c.  zone_parse.c cuts a record into
 * tokens (struct dns_tok, escapes still raw) and hands the rdata tokens
 * here; each field interprets escapes in its own way (a name keeps "\."
 * inside a label, a string turns "\"" into a quote).  RFC 3597 "\# len
 * hex" is accepted for every type and then checked against the type's
 * layout.  SvcParams and LOC, the two intricate forms, live in
 * rdata_text_svcb.c and rdata_text_loc.c.  Output goes through a
 * sticky-error tb_wcur into the caller's buffer; nothing is allocated.
 */
#include <tibra/dns.h>

#include "rdata_text_int.h"

void rp_fail(struct rp *r, int err, const char *msg)
{
    if (r->err != 0)
        return;
    r->err = err;
    if (r->e != NULL) {
        r->e->msg = msg;
        r->e->tok = r->i;
    }
}

const struct dns_tok *rp_next(struct rp *r, const char *what)
{
    if (r->err != 0)
        return NULL;
    if (r->i >= r->n) {
        rp_fail(r, TB_EMALF, what);
        return NULL;
    }
    return &r->t[r->i++];
}

/*
 * Copies token (t) into (buf, cap) with \X and \DDD interpreted.  Returns
 * the length, or -1 (bad escape) or -2 (longer than cap).
 */
int rp_unescape(const struct dns_tok *t, uint8_t *buf, size_t cap)
{
    const char *p = t->s, *end = t->s + t->len;
    size_t o = 0;

    while (p < end) {
        uint8_t c = (uint8_t)*p++;
        if (c == '\\') {
            if (p >= end)
                return -1;
            if (*p >= '0' && *p <= '9') {
                unsigned v;
                if (end - p < 3 || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
                    p[2] > '9')
                    return -1;
                v = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
                    (unsigned)(p[2] - '0');
                if (v > 255)
                    return -1;
                c = (uint8_t)v;
                p += 3;
            } else {
                c = (uint8_t)*p++;
            }
        }
        if (o >= cap)
            return -2;
        buf[o++] = c;
    }
    return (int)o;
}

/*
 * The token as plain text for numeric and encoded fields: escapes are
 * legal there too (RFC 1035 5.1 applies to every field), so a token with
 * a backslash is unescaped into (tmp).  Returns the length, or -1.
 */
static int plain(struct rp *r, const struct dns_tok *t, const char **s,
                 char *tmp, size_t cap)
{
    int n;

    if (memchr(t->s, '\\', t->len) == NULL) {
        *s = t->s;
        return (int)t->len;
    }
    n = rp_unescape(t, (uint8_t *)tmp, cap);
    if (n < 0) {
        rp_fail(r, TB_EMALF, "bad escape");
        return -1;
    }
    *s = tmp;
    return n;
}

int rp_number(const char *s, size_t len, uint64_t max, uint64_t *v)
{
    uint64_t x = 0;
    size_t i;

    if (len == 0 || len > 20)
        return TB_EMALF;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return TB_EMALF;
        x = x * 10 + (uint64_t)(s[i] - '0');
        if (x > max)
            return TB_ERANGE;
    }
    *v = x;
    return 0;
}

static void field_uint(struct rp *r, unsigned bytes, uint64_t max)
{
    const struct dns_tok *t = rp_next(r, "missing number");
    char tmp[64];
    const char *s;
    uint64_t v = 0;
    int n, rc;

    if (t == NULL || (n = plain(r, t, &s, tmp, sizeof(tmp))) < 0)
        return;
    rc = rp_number(s, (size_t)n, max, &v);
    if (rc != 0) {
        r->i--;
        rp_fail(r, rc, rc == TB_ERANGE ? "number out of range" : "bad number");
        return;
    }
    if (bytes == 1)
        tb_wcur_u8(&r->w, (uint8_t)v);
    else if (bytes == 2)
        tb_wcur_u16(&r->w, (uint16_t)v);
    else
        tb_wcur_u32(&r->w, (uint32_t)v);
}

/* Mnemonic tables (RFC 8624 / IANA; RFC 4398 2.1). */
static const struct mnem {
    const char *name;
    uint16_t v;
} algs[] = {{"RSAMD5", 1},
            {"DH", 2},
            {"DSA", 3},
            {"RSASHA1", 5},
            {"DSA-NSEC3-SHA1", 6},
            {"RSASHA1-NSEC3-SHA1", 7},
            {"RSASHA256", 8},
            {"RSASHA512", 10},
            {"ECC-GOST", 12},
            {"ECDSAP256SHA256", 13},
            {"ECDSAP384SHA384", 14},
            {"ED25519", 15},
            {"ED448", 16},
            {"INDIRECT", 252},
            {"PRIVATEDNS", 253},
            {"PRIVATEOID", 254},
            {NULL, 0}},
  certtypes[] = {{"PKIX", 1},  {"SPKI", 2},  {"PGP", 3},    {"IPKIX", 4},
                 {"ISPKI", 5}, {"IPGP", 6},  {"ACPKIX", 7}, {"IACPKIX", 8},
                 {"URI", 253}, {"OID", 254}, {NULL, 0}};

static void field_mnem(struct rp *r, const struct mnem *m, unsigned bytes)
{
    const struct dns_tok *t;
    size_t k;

    if (r->err == 0 && r->i < r->n) {
        t = &r->t[r->i];
        for (; m->name != NULL; m++) {
            size_t nl = strlen(m->name);
            if (nl != t->len)
                continue;
            for (k = 0; k < nl; k++) {
                char c = t->s[k];
                if (c >= 'a' && c <= 'z')
                    c = (char)(c - 32);
                if (c != m->name[k])
                    break;
            }
            if (k == nl) {
                r->i++;
                if (bytes == 1)
                    tb_wcur_u8(&r->w, (uint8_t)m->v);
                else
                    tb_wcur_u16(&r->w, m->v);
                return;
            }
        }
    }
    field_uint(r, bytes, bytes == 1 ? 255 : 65535);
}

void rp_name(struct rp *r)
{
    const struct dns_tok *t = rp_next(r, "missing domain name");
    uint8_t name[DNS_NAME_MAXLEN];
    size_t len = 0;
    int rc;

    if (t == NULL)
        return;
    rc = dns_name_from_text(t->s, t->len, r->origin, name, &len);
    if (rc != 0) {
        r->i--;
        rp_fail(r, rc == TB_ERANGE ? TB_ERANGE : TB_EMALF,
                rc == TB_ERANGE ? "domain name too long" : "bad domain name");
        return;
    }
    tb_wcur_bytes(&r->w, name, len);
}

static void field_type(struct rp *r)
{
    const struct dns_tok *t = rp_next(r, "missing type");
    uint16_t v = 0;

    if (t == NULL)
        return;
    if (dns_type_from_text(t->s, t->len, &v) != 0) {
        r->i--;
        rp_fail(r, TB_EMALF, "unknown type");
        return;
    }
    tb_wcur_u16(&r->w, v);
}

/* Days from 1970-01-01 to (y, m, d), proleptic Gregorian [Hinnant]. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/*
 * RFC 4034 3.2: a signature time is YYYYMMDDHHmmSS (UTC) or a decimal
 * count of seconds; the wire value is seconds since 1970 modulo 2^32
 * (serial number arithmetic, RFC 1982), so years past 2106 wrap.
 */
static void field_time(struct rp *r)
{
    const struct dns_tok *t = rp_next(r, "missing time");
    static const uint8_t mdays[] = {31, 29, 31, 30, 31, 30,
                                    31, 31, 30, 31, 30, 31};
    char tmp[64];
    const char *s;
    uint64_t v = 0;
    int n;

    if (t == NULL || (n = plain(r, t, &s, tmp, sizeof(tmp))) < 0)
        return;
    if (n == 14) {
        uint64_t y, mo, d, h, mi, se;
        int64_t secs;
        if (rp_number(s, 4, 9999, &y) || rp_number(s + 4, 2, 12, &mo) ||
            rp_number(s + 6, 2, 31, &d) || rp_number(s + 8, 2, 23, &h) ||
            rp_number(s + 10, 2, 59, &mi) || rp_number(s + 12, 2, 59, &se) ||
            mo == 0 || d == 0 || d > mdays[mo - 1] ||
            (mo == 2 && d == 29 &&
             !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))) {
            r->i--;
            rp_fail(r, TB_EMALF, "bad time (YYYYMMDDHHmmSS)");
            return;
        }
        secs = days_from_civil((int64_t)y, (unsigned)mo, (unsigned)d) * 86400 +
               (int64_t)(h * 3600 + mi * 60 + se);
        tb_wcur_u32(&r->w, (uint32_t)(uint64_t)secs);
        return;
    }
    if (rp_number(s, (size_t)n, UINT32_MAX, &v) != 0) {
        r->i--;
        rp_fail(r, TB_EMALF, "bad time");
        return;
    }
    tb_wcur_u32(&r->w, (uint32_t)v);
}

static void field_ttl(struct rp *r)
{
    const struct dns_tok *t = rp_next(r, "missing TTL");
    uint32_t v = 0;
    char tmp[64];
    const char *s;
    int n;

    if (t == NULL || (n = plain(r, t, &s, tmp, sizeof(tmp))) < 0)
        return;
    if (dns_ttl_from_text(s, (size_t)n, &v) != 0) {
        r->i--;
        rp_fail(r, TB_EMALF, "bad time value");
        return;
    }
    tb_wcur_u32(&r->w, v);
}

static void field_addr(struct rp *r, bool six)
{
    const struct dns_tok *t = rp_next(r, "missing address");
    uint8_t a[16];
    char tmp[128];
    const char *s;
    int n;

    if (t == NULL || (n = plain(r, t, &s, tmp, sizeof(tmp))) < 0)
        return;
    if ((six ? tb_inet_pton6(s, (size_t)n, a)
             : tb_inet_pton4(s, (size_t)n, a)) != 0) {
        r->i--;
        rp_fail(r, TB_EMALF, six ? "bad IPv6 address" : "bad IPv4 address");
        return;
    }
    tb_wcur_bytes(&r->w, a, six ? 16 : 4);
}

/*
 * RFC 1035 3.3 <character-string>: a length byte and up to 255 bytes, or
 * (lenbyte false) the rest of the rdata as one string (CAA value, URI).
 * Unescaped straight into the output.
 */
static void field_str(struct rp *r, bool lenbyte)
{
    const struct dns_tok *t = rp_next(r, "missing string");
    size_t room, limit;
    int n;

    if (t == NULL || r->w.err != 0)
        return;
    if (lenbyte)
        tb_wcur_u8(&r->w, 0);
    room = (size_t)(r->w.end - r->w.p);
    limit = lenbyte ? TB_MIN(room, (size_t)255) : room;
    n = rp_unescape(t, r->w.p, limit);
    if (n == -2 && limit == room) {
        r->w.err = TB_ESPACE;
        return;
    }
    if (n < 0) {
        r->i--;
        rp_fail(r, n == -2 ? TB_ERANGE : TB_EMALF,
                n == -2 ? "string longer than 255 bytes" : "bad escape");
        return;
    }
    if (lenbyte)
        r->w.p[-1] = (uint8_t)n;
    r->w.p += n;
}

/* RFC 8659 4.1: the tag is 1..15 (we allow 255) letters and digits. */
static void field_caatag(struct rp *r)
{
    const struct dns_tok *t = rp_next(r, "missing CAA tag");
    uint8_t buf[256];
    int n, i;

    if (t == NULL)
        return;
    n = rp_unescape(t, buf, 255);
    for (i = 0; n > 0 && i < n; i++) {
        uint8_t c = buf[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
              (c >= 'A' && c <= 'Z')))
            break;
    }
    if (n <= 0 || i != n) {
        r->i--;
        rp_fail(r, TB_EMALF, "bad CAA tag");
        return;
    }
    tb_wcur_u8(&r->w, (uint8_t)n);
    tb_wcur_bytes(&r->w, buf, (size_t)n);
}

/* Hex over all remaining tokens (RFC 4034 5.3: whitespace allowed). */
static void field_hex(struct rp *r, bool may_be_empty)
{
    int hi = -1;
    size_t bytes = 0;

    if (r->err != 0)
        return;
    if (r->i >= r->n && !may_be_empty) {
        rp_fail(r, TB_EMALF, "missing hex data");
        return;
    }
    for (; r->i < r->n; r->i++) {
        const struct dns_tok *t = &r->t[r->i];
        size_t k;
        for (k = 0; k < t->len; k++) {
            int v = tb_hexval(t->s[k]);
            if (v < 0) {
                rp_fail(r, TB_EMALF, "bad hex digit");
                return;
            }
            if (hi < 0) {
                hi = v;
            } else {
                tb_wcur_u8(&r->w, (uint8_t)(hi << 4 | v));
                hi = -1;
                bytes++;
            }
        }
    }
    if (hi >= 0) {
        r->i--;
        rp_fail(r, TB_EMALF, "odd number of hex digits");
    } else if (bytes == 0 && !may_be_empty) {
        r->i--;
        rp_fail(r, TB_EMALF, "missing hex data");
    }
}

static int b64val(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* RFC 4648 4 base64 over all remaining tokens, padding required. */
static void field_b64(struct rp *r)
{
    uint32_t acc = 0;
    unsigned nq = 0, pad = 0;

    if (r->err != 0)
        return;
    if (r->i >= r->n) {
        rp_fail(r, TB_EMALF, "missing base64 data");
        return;
    }
    for (; r->i < r->n; r->i++) {
        const struct dns_tok *t = &r->t[r->i];
        size_t k;
        for (k = 0; k < t->len; k++) {
            int c = (unsigned char)t->s[k], v;
            if (c == '=') {
                if (nq < 2) {
                    rp_fail(r, TB_EMALF, "bad base64 padding");
                    return;
                }
                pad++;
                nq++;
                acc <<= 6;
            } else {
                v = b64val(c);
                if (v < 0 || pad) {
                    rp_fail(r, TB_EMALF, "bad base64 character");
                    return;
                }
                acc = acc << 6 | (uint32_t)v;
                nq++;
            }
            if (nq == 4) {
                tb_wcur_u8(&r->w, (uint8_t)(acc >> 16));
                if (pad < 2)
                    tb_wcur_u8(&r->w, (uint8_t)(acc >> 8));
                if (pad < 1)
                    tb_wcur_u8(&r->w, (uint8_t)acc);
                nq = 0;
                acc = 0;
                if (pad)
                    pad = 3; /* only more padding may follow: none */
            }
        }
    }
    if (nq != 0) {
        r->i--;
        rp_fail(r, TB_EMALF, "truncated base64");
    }
}

/* RFC 5155 3.3: salt is hex with a length byte, "-" when empty. */
static void field_salt(struct rp *r)
{
    const struct dns_tok *t = rp_next(r, "missing salt");
    size_t k;

    if (t == NULL)
        return;
    if (t->len == 1 && t->s[0] == '-') {
        tb_wcur_u8(&r->w, 0);
        return;
    }
    if (t->len % 2 != 0 || t->len > 510 || t->len == 0) {
        r->i--;
        rp_fail(r, TB_EMALF, "bad salt");
        return;
    }
    tb_wcur_u8(&r->w, (uint8_t)(t->len / 2));
    for (k = 0; k < t->len; k += 2) {
        int a = tb_hexval(t->s[k]), b = tb_hexval(t->s[k + 1]);
        if (a < 0 || b < 0) {
            r->i--;
            rp_fail(r, TB_EMALF, "bad salt");
            return;
        }
        tb_wcur_u8(&r->w, (uint8_t)(a << 4 | b));
    }
}

/* RFC 4648 7 base32hex, no padding (RFC 5155 3.3), with a length byte. */
static void field_b32(struct rp *r)
{
    const struct dns_tok *t = rp_next(r, "missing hashed owner name");
    uint8_t out[256];
    size_t k, o = 0;
    uint64_t acc = 0;
    unsigned bits = 0;

    if (t == NULL)
        return;
    for (k = 0; k < t->len; k++) {
        int c = (unsigned char)t->s[k], v;
        if (c >= '0' && c <= '9')
            v = c - '0';
        else if (c >= 'a' && c <= 'v')
            v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'V')
            v = c - 'A' + 10;
        else
            goto bad;
        acc = acc << 5 | (uint64_t)v;
        bits += 5;
        if (bits >= 8) {
            if (o >= 255)
                goto bad;
            out[o++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    /* Leftover bits must be zero padding of a whole number of bytes. */
    if (o == 0 || bits >= 5 || (acc & ((1u << bits) - 1)) != 0)
        goto bad;
    tb_wcur_u8(&r->w, (uint8_t)o);
    tb_wcur_bytes(&r->w, out, o);
    return;
bad:
    r->i--;
    rp_fail(r, TB_EMALF, "bad base32hex");
}

/*
 * RFC 4034 4.1.2: the type bitmap as windows of up to 32 bytes, for every
 * type named in the remaining tokens (in any order; repeats are fine).
 */
static void field_bitmap(struct rp *r)
{
    uint8_t bits[8192];
    unsigned win;

    memset(bits, 0, sizeof(bits));
    for (; r->err == 0 && r->i < r->n; r->i++) {
        const struct dns_tok *t = &r->t[r->i];
        uint16_t ty = 0;
        if (dns_type_from_text(t->s, t->len, &ty) != 0) {
            rp_fail(r, TB_EMALF, "unknown type in type bitmap");
            return;
        }
        bits[ty >> 3] |= (uint8_t)(0x80 >> (ty & 7));
    }
    for (win = 0; win < 256; win++) {
        const uint8_t *w = bits + win * 32;
        int last = 31;
        while (last >= 0 && w[last] == 0)
            last--;
        if (last < 0)
            continue;
        tb_wcur_u8(&r->w, (uint8_t)win);
        tb_wcur_u8(&r->w, (uint8_t)(last + 1));
        tb_wcur_bytes(&r->w, w, (size_t)last + 1);
    }
}

/* RFC 7043 3.1, 4.1: EUI48 / EUI64 as hex pairs separated by '-'. */
static void field_eui(struct rp *r, size_t bytes)
{
    const struct dns_tok *t = rp_next(r, "missing EUI address");
    size_t k;

    if (t == NULL)
        return;
    if (t->len != bytes * 3 - 1)
        goto bad;
    for (k = 0; k < bytes; k++) {
        int a = tb_hexval(t->s[3 * k]), b = tb_hexval(t->s[3 * k + 1]);
        if (a < 0 || b < 0 || (k + 1 < bytes && t->s[3 * k + 2] != '-'))
            goto bad;
        tb_wcur_u8(&r->w, (uint8_t)(a << 4 | b));
    }
    return;
bad:
    r->i--;
    rp_fail(r, TB_EMALF, "bad EUI address");
}

/* RFC 6742 2.1: a 64-bit locator/node id as four 16-bit hex groups. */
static void field_ilnp64(struct rp *r)
{
    const struct dns_tok *t = rp_next(r, "missing locator");
    size_t k = 0;
    unsigned g;

    if (t == NULL)
        return;
    for (g = 0; g < 4; g++) {
        unsigned v = 0, d = 0;
        while (k < t->len && tb_hexval(t->s[k]) >= 0 && d < 5) {
            v = v * 16 + (unsigned)tb_hexval(t->s[k++]);
            d++;
        }
        if (d == 0 || d > 4 || (g < 3 && (k >= t->len || t->s[k++] != ':')))
            goto bad;
        tb_wcur_u16(&r->w, (uint16_t)v);
    }
    if (k == t->len)
        return;
bad:
    r->i--;
    rp_fail(r, TB_EMALF, "bad 64-bit locator");
}

/*
 * RFC 3123 4: APL items "[!]afi:address/prefix", AFI 1 (IPv4) or 2
 * (IPv6); the address is stored without its trailing zero bytes.
 */
static void field_apl(struct rp *r)
{
    for (; r->err == 0 && r->i < r->n; r->i++) {
        const struct dns_tok *t = &r->t[r->i];
        const char *s = t->s, *end = t->s + t->len, *colon, *slash;
        uint64_t afi, pfx;
        uint8_t a[16];
        size_t alen, k = 0;
        bool neg = false;

        if (s < end && *s == '!') {
            neg = true;
            s++;
        }
        colon = memchr(s, ':', (size_t)(end - s));
        slash = colon ? memchr(colon, '/', (size_t)(end - colon)) : NULL;
        if (colon == NULL || slash == NULL ||
            rp_number(s, (size_t)(colon - s), 65535, &afi) != 0 ||
            (afi != 1 && afi != 2) ||
            rp_number(slash + 1, (size_t)(end - slash - 1), afi == 1 ? 32 : 128,
                      &pfx) != 0 ||
            (afi == 1 ? tb_inet_pton4(colon + 1, (size_t)(slash - colon - 1), a)
                      : tb_inet_pton6(colon + 1, (size_t)(slash - colon - 1),
                                      a)) != 0) {
            rp_fail(r, TB_EMALF, "bad APL item");
            return;
        }
        alen = afi == 1 ? 4 : 16;
        while (alen > 0 && a[alen - 1] == 0)
            alen--;
        tb_wcur_u16(&r->w, (uint16_t)afi);
        tb_wcur_u8(&r->w, (uint8_t)pfx);
        tb_wcur_u8(&r->w, (uint8_t)((neg ? 0x80 : 0) | alen));
        for (k = 0; k < alen; k++)
            tb_wcur_u8(&r->w, a[k]);
    }
}

/*
 * RFC 4025 2: gateway type, algorithm, gateway ("." for none, an IPv4 or
 * IPv6 address, or a domain name) and an optional base64 public key.
 */
static void field_ipseckey(struct rp *r)
{
    const struct dns_tok *t;
    uint8_t gtype = 0, a[16];
    uint64_t v;

    t = rp_next(r, "missing gateway type");
    if (t == NULL)
        return;
    if (rp_number(t->s, t->len, 3, &v) != 0) {
        r->i--;
        rp_fail(r, TB_EMALF, "bad gateway type (0-3)");
        return;
    }
    gtype = (uint8_t)v;
    tb_wcur_u8(&r->w, gtype);
    field_uint(r, 1, 255); /* algorithm */
    t = rp_next(r, "missing gateway");
    if (t == NULL)
        return;
    if (gtype == 0) {
        if (t->len != 1 || t->s[0] != '.') {
            r->i--;
            rp_fail(r, TB_EMALF, "gateway type 0 needs \".\"");
        }
    } else if (gtype == 1 || gtype == 2) {
        if ((gtype == 1 ? tb_inet_pton4(t->s, t->len, a)
                        : tb_inet_pton6(t->s, t->len, a)) != 0) {
            r->i--;
            rp_fail(r, TB_EMALF, "bad gateway address");
            return;
        }
        tb_wcur_bytes(&r->w, a, gtype == 1 ? 4 : 16);
    } else {
        r->i--;
        rp_name(r);
    }
    if (r->err == 0 && r->i < r->n)
        field_b64(r);
}

static void field(struct rp *r, uint8_t kind)
{
    switch (kind) {
    case DNS_RDF_NAME:
    case DNS_RDF_NAME_NC:
        rp_name(r);
        break;
    case DNS_RDF_U8:
        field_uint(r, 1, 255);
        break;
    case DNS_RDF_U16:
        field_uint(r, 2, 65535);
        break;
    case DNS_RDF_U32:
        field_uint(r, 4, UINT32_MAX);
        break;
    case DNS_RDF_TTL:
        field_ttl(r);
        break;
    case DNS_RDF_ALG:
        field_mnem(r, algs, 1);
        break;
    case DNS_RDF_CERTTYPE:
        field_mnem(r, certtypes, 2);
        break;
    case DNS_RDF_TYPE:
        field_type(r);
        break;
    case DNS_RDF_TIME:
        field_time(r);
        break;
    case DNS_RDF_A:
        field_addr(r, false);
        break;
    case DNS_RDF_AAAA:
        field_addr(r, true);
        break;
    case DNS_RDF_STR:
        field_str(r, true);
        break;
    case DNS_RDF_STRS:
        field_str(r, true);
        while (r->err == 0 && r->i < r->n)
            field_str(r, true);
        break;
    case DNS_RDF_STR_REST:
        field_str(r, false);
        break;
    case DNS_RDF_CAATAG:
        field_caatag(r);
        break;
    case DNS_RDF_HEX:
        field_hex(r, false);
        break;
    case DNS_RDF_HEX0:
        field_hex(r, true);
        break;
    case DNS_RDF_B64:
        field_b64(r);
        break;
    case DNS_RDF_SALT:
        field_salt(r);
        break;
    case DNS_RDF_B32:
        field_b32(r);
        break;
    case DNS_RDF_BITMAP:
        field_bitmap(r);
        break;
    case DNS_RDF_SVCPARAMS:
        rp_svcparams(r);
        break;
    case DNS_RDF_LOC:
        rp_loc(r);
        break;
    case DNS_RDF_EUI48:
        field_eui(r, 6);
        break;
    case DNS_RDF_EUI64:
        field_eui(r, 8);
        break;
    case DNS_RDF_ILNP64:
        field_ilnp64(r);
        break;
    case DNS_RDF_APL:
        field_apl(r);
        break;
    case DNS_RDF_IPSECKEY:
        field_ipseckey(r);
        break;
    default:
        rp_fail(r, TB_EMALF, "unsupported field");
        break;
    }
}

/* RFC 3597 5: "\#" <length> <hex>...; the hex may be split anywhere. */
static void generic(struct rp *r)
{
    const struct dns_tok *t;
    char tmp[16];
    const char *s;
    uint64_t len = 0;
    size_t start;
    int n;

    r->i = 1;
    t = rp_next(r, "missing rdata length after \\#");
    if (t == NULL || (n = plain(r, t, &s, tmp, sizeof(tmp))) < 0)
        return;
    if (rp_number(s, (size_t)n, 65535, &len) != 0) {
        r->i--;
        rp_fail(r, TB_EMALF, "bad rdata length after \\#");
        return;
    }
    start = tb_wcur_len(&r->w);
    if (len == 0 && r->i < r->n) {
        rp_fail(r, TB_EMALF, "rdata after \\# 0");
        return;
    }
    if (len > 0)
        field_hex(r, false);
    if (r->err == 0 && tb_wcur_len(&r->w) - start != len && r->w.err == 0) {
        r->i = r->n;
        rp_fail(r, TB_EMALF, "\\# rdata length does not match its data");
    }
}

int dns_rdata_from_text(uint16_t type, const struct dns_tok *t, size_t ntok,
                        const uint8_t *origin, uint8_t *out, size_t cap,
                        size_t *outlen, struct dns_rdata_err *e)
{
    const struct dns_rrtype *rt = dns_rrtype_get(type);
    struct rp r;
    size_t k;

    memset(&r, 0, sizeof(r));
    r.t = t;
    r.n = ntok;
    r.origin = origin;
    r.e = e;
    tb_wcur_init(&r.w, out, TB_MIN(cap, (size_t)DNS_RDATA_MAXLEN));
    if (ntok > 0 && !(t[0].flags & DNS_TOK_QUOTED) && t[0].len == 2 &&
        t[0].s[0] == '\\' && t[0].s[1] == '#') {
        generic(&r);
        if (r.err == 0 && r.w.err == 0 &&
            dns_rdata_check(type, out, tb_wcur_len(&r.w)) != 0) {
            r.i = 0;
            rp_fail(&r, TB_EMALF, "\\# rdata is not valid for its type");
        }
    } else if (rt == NULL || rt->rdf[0] == DNS_RDF_END) {
        rp_fail(&r, TB_EMALF, "type has no text form here: use \\# (RFC 3597)");
    } else {
        for (k = 0; k < DNS_RDF_MAX && rt->rdf[k] != DNS_RDF_END; k++)
            field(&r, rt->rdf[k]);
        if (r.err == 0 && r.i < r.n)
            rp_fail(&r, TB_EMALF, "trailing data after rdata");
    }
    if (r.err == 0 && r.w.err != 0) {
        r.i = 0;
        rp_fail(&r, TB_ESPACE, "rdata too long");
    }
    if (r.err != 0)
        return r.err;
    *outlen = tb_wcur_len(&r.w);
    return 0;
}
