/*
 * rdata_text_loc.c -- LOC rdata (RFC 1876) in presentation form <-> wire,
 * for rdata_text.c and rdata_text_fmt.c.  Text (RFC 1876 3):
 *
 *   d1 [m1 [s1]] N|S d2 [m2 [s2]] E|W alt[m] [siz[m] [hp[m] [vp[m]]]]
 *
 * Wire: VERSION(0) SIZE HORIZ_PRE VERT_PRE (each a mantissa/exponent pair
 * in centimetres), LATITUDE and LONGITUDE in thousandths of an arc second
 * offset by 2^31, ALTITUDE in centimetres above 100 km below the WGS 84
 * spheroid.  Defaults: size 1 m, horizontal precision 10 km, vertical
 * 10 m.  Printed as Knot prints it (two decimals on every length).
 */
#include <tibra/dns.h>

#include "rdata_text_int.h"

/*
 * Parses a decimal with at most (frac) fraction digits, an optional
 * leading '-' when (neg_ok), and an optional trailing 'm' when (unit), as
 * an integer scaled by 10^frac.  Returns 0 or -1.
 */
static int decimal(const struct dns_tok *t, unsigned frac, bool neg_ok,
                   bool unit, int64_t *out)
{
    size_t i = 0, n = t->len;
    int64_t v = 0;
    unsigned fd = 0;
    bool neg = false, digits = false;

    if (unit && n > 0 && (t->s[n - 1] == 'm' || t->s[n - 1] == 'M'))
        n--;
    if (neg_ok && i < n && t->s[i] == '-') {
        neg = true;
        i++;
    }
    for (; i < n && t->s[i] >= '0' && t->s[i] <= '9'; i++) {
        v = v * 10 + (t->s[i] - '0');
        digits = true;
        if (v > 100000000000LL)
            return -1;
    }
    if (i < n && t->s[i] == '.') {
        for (i++; i < n && t->s[i] >= '0' && t->s[i] <= '9'; i++) {
            if (fd == frac)
                return -1;
            v = v * 10 + (t->s[i] - '0');
            fd++;
            digits = true;
        }
    }
    if (i != n || !digits)
        return -1;
    for (; fd < frac; fd++)
        v *= 10;
    *out = neg ? -v : v;
    return 0;
}

static bool is_dir(const struct dns_tok *t, char a, char b)
{
    return t->len == 1 && (t->s[0] == a || t->s[0] == b || t->s[0] == a + 32 ||
                           t->s[0] == b + 32);
}

/*
 * One coordinate: degrees [minutes [seconds]] then a direction out of
 * (pos, neg).  Returns the wire value or fails (r).
 */
static uint32_t coord(struct rp *r, unsigned maxdeg, char pos, char neg)
{
    int64_t part[3] = {0, 0, 0}, v;
    unsigned k;
    const struct dns_tok *t;

    for (k = 0; k < 4; k++) {
        t = rp_next(r, "LOC: missing coordinate");
        if (t == NULL)
            return 0;
        if (k > 0 && (is_dir(t, pos, neg)))
            break;
        if (k == 3 || decimal(t, k == 2 ? 3 : 0, false, false, &part[k]) != 0) {
            r->i--;
            rp_fail(r, TB_EMALF, "LOC: bad coordinate");
            return 0;
        }
    }
    if (part[0] > maxdeg || part[1] > 59 || part[2] > 59999 ||
        (part[0] == maxdeg && (part[1] || part[2]))) {
        r->i--;
        rp_fail(r, TB_EMALF, "LOC: coordinate out of range");
        return 0;
    }
    v = ((part[0] * 60 + part[1]) * 60) * 1000 + part[2];
    if (t->s[0] == neg || t->s[0] == neg + 32)
        v = -v;
    return (uint32_t)((int64_t)0x80000000LL + v);
}

/* RFC 1876 precsize_aton: centimetres as mantissa << 4 | exponent. */
static uint8_t precsize(int64_t cm)
{
    unsigned e = 0;
    int64_t m;

    while (e < 9) {
        int64_t p = 1;
        unsigned k;
        for (k = 0; k <= e; k++)
            p *= 10;
        if (cm < p)
            break;
        e++;
    }
    m = cm;
    {
        unsigned k;
        for (k = 0; k < e; k++)
            m /= 10;
    }
    if (m > 9)
        m = 9;
    return (uint8_t)(m << 4 | e);
}

void rp_loc(struct rp *r)
{
    uint32_t lat, lon;
    int64_t alt, pr[3] = {100, 1000000, 1000}; /* 1m 10000m 10m in cm */
    const struct dns_tok *t;
    unsigned k;

    lat = coord(r, 90, 'N', 'S');
    lon = coord(r, 180, 'E', 'W');
    t = rp_next(r, "LOC: missing altitude");
    if (t == NULL)
        return;
    if (decimal(t, 2, true, true, &alt) != 0 || alt < -10000000 ||
        alt > 4284967295LL) {
        r->i--;
        rp_fail(r, TB_EMALF, "LOC: bad altitude");
        return;
    }
    for (k = 0; k < 3 && r->err == 0 && r->i < r->n; k++) {
        t = &r->t[r->i];
        if (decimal(t, 2, false, true, &pr[k]) != 0 || pr[k] > 9000000000LL) {
            rp_fail(r, TB_EMALF, "LOC: bad size or precision");
            return;
        }
        r->i++;
    }
    if (r->err != 0)
        return;
    tb_wcur_u8(&r->w, 0);
    tb_wcur_u8(&r->w, precsize(pr[0]));
    tb_wcur_u8(&r->w, precsize(pr[1]));
    tb_wcur_u8(&r->w, precsize(pr[2]));
    tb_wcur_u32(&r->w, lat);
    tb_wcur_u32(&r->w, lon);
    tb_wcur_u32(&r->w, (uint32_t)(alt + 10000000));
}

/* Writes a precision byte as metres with two decimals. */
static int rw_prec(struct rw *w, uint8_t b)
{
    unsigned m = b >> 4, e = b & 15, k;
    uint64_t cm = m;

    if (m > 9 || e > 9)
        return TB_EMALF;
    for (k = 0; k < e; k++)
        cm *= 10;
    rw_fmt(w, " %llu.%02llum", (unsigned long long)(cm / 100),
           (unsigned long long)(cm % 100));
    return 0;
}

static void rw_coord(struct rw *w, uint32_t v, char pos, char neg)
{
    int64_t x = (int64_t)v - 0x80000000LL;
    char dir = x < 0 ? neg : pos;
    uint64_t a = (uint64_t)(x < 0 ? -x : x);

    rw_fmt(w, "%llu %llu %llu.%03llu %c", (unsigned long long)(a / 3600000),
           (unsigned long long)(a / 60000 % 60),
           (unsigned long long)(a / 1000 % 60), (unsigned long long)(a % 1000),
           dir);
}

int rw_loc(struct rw *w, const uint8_t *p, size_t n)
{
    uint32_t lat, lon;
    int64_t alt;

    if (n != 16 || p[0] != 0)
        return TB_EMALF;
    lat = tb_get32(p + 4);
    lon = tb_get32(p + 8);
    /* RFC 1876 3: out-of-range coordinates are invalid. */
    if (lat < 0x80000000u - 324000000u || lat > 0x80000000u + 324000000u ||
        lon < 0x80000000u - 648000000u || lon > 0x80000000u + 648000000u)
        return TB_EMALF;
    alt = (int64_t)tb_get32(p + 12) - 10000000;
    rw_coord(w, lat, 'N', 'S');
    rw_str(w, " ");
    rw_coord(w, lon, 'E', 'W');
    rw_fmt(w, " %s%llu.%02llum", alt < 0 ? "-" : "",
           (unsigned long long)((alt < 0 ? -alt : alt) / 100),
           (unsigned long long)((alt < 0 ? -alt : alt) % 100));
    if (rw_prec(w, p[1]) || rw_prec(w, p[2]) || rw_prec(w, p[3]))
        return TB_EMALF;
    return 0;
}
