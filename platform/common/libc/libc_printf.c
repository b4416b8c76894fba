/*
 * libc_printf.c -- snprintf and vsnprintf for the guest C library subset
 * (platform/common/libc/include/stdio.h).  Formatting into a caller buffer
 * is all a guest needs: the console is reached through tb_log() or
 * tb_console_write(), never a FILE.  Supported: flags "-+ #0", width and
 * precision (numbers or '*'), length modifiers hh h l ll j z t, conversions
 * d i u o x X c s p %.  No floating point (guests are built with
 * general-purpose registers only) and no %n (a write primitive nobody on
 * the packet path needs).  An unknown conversion is copied through as
 * text.  Returns, as C11 7.21.6.5 requires, the length the full output
 * would have had; the buffer is always NUL-terminated when (n) > 0.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Output state: characters past (cap) are counted, never stored. */
struct out {
    char *buf;
    size_t cap; /* bytes storable, excluding the NUL */
    size_t len; /* bytes produced so far (may exceed cap) */
};

static void put(struct out *o, char c)
{
    if (o->len < o->cap)
        o->buf[o->len] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

struct spec {
    bool left, plus, space, alt, zero;
    int width;
    int prec; /* -1: none */
};

static void emit_str(struct out *o, const struct spec *sp, const char *s)
{
    size_t n;

    if (s == NULL)
        s = "(null)";
    n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
    if (!sp->left)
        pad(o, ' ', sp->width - (int)n);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        pad(o, ' ', sp->width - (int)n);
}

static void emit_num(struct out *o, const struct spec *sp, uintmax_t v,
                     bool neg, unsigned base, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24]; /* 2^64 in octal is 22 digits */
    int nd = 0, nz, total;
    char sign = 0;
    const char *prefix = "";
    bool nonzero = v != 0;

    while (v) {
        tmp[nd++] = digits[v % base];
        v /= base;
    }
    /* C11 7.21.6.1: precision 0 with value 0 prints no digits. */
    if (nd == 0 && sp->prec != 0)
        tmp[nd++] = '0';
    if (neg)
        sign = '-';
    else if (sp->plus)
        sign = '+';
    else if (sp->space)
        sign = ' ';
    if (sp->alt && base == 16 && nonzero)
        prefix = upper ? "0X" : "0x";
    nz = sp->prec > nd ? sp->prec - nd : 0;
    if (sp->alt && base == 8 && nz == 0 && (nd == 0 || tmp[nd - 1] != '0'))
        nz = 1;
    total = nd + nz + (sign != 0) + (int)strlen(prefix);
    if (sp->zero && !sp->left && sp->prec < 0 && sp->width > total) {
        nz += sp->width - total;
        total = sp->width;
    }
    if (!sp->left)
        pad(o, ' ', sp->width - total);
    if (sign)
        put(o, sign);
    for (const char *p = prefix; *p; p++)
        put(o, *p);
    pad(o, '0', nz);
    while (nd)
        put(o, tmp[--nd]);
    if (sp->left)
        pad(o, ' ', sp->width - total);
}

enum len {
    L_INT,
    L_CHAR,
    L_SHORT,
    L_LONG,
    L_LLONG,
    L_INTMAX,
    L_SIZE,
    L_PTRDIFF
};

static uintmax_t get_unsigned(va_list *ap, enum len l)
{
    switch (l) {
    case L_CHAR:
        return (unsigned char)va_arg(*ap, unsigned int);
    case L_SHORT:
        return (unsigned short)va_arg(*ap, unsigned int);
    case L_LONG:
        return va_arg(*ap, unsigned long);
    case L_LLONG:
        return va_arg(*ap, unsigned long long);
    case L_INTMAX:
        return va_arg(*ap, uintmax_t);
    case L_SIZE:
        return va_arg(*ap, size_t);
    case L_PTRDIFF:
        return (uintmax_t)va_arg(*ap, ptrdiff_t);
    default:
        return va_arg(*ap, unsigned int);
    }
}

static intmax_t get_signed(va_list *ap, enum len l)
{
    switch (l) {
    case L_CHAR:
        return (signed char)va_arg(*ap, int);
    case L_SHORT:
        return (short)va_arg(*ap, int);
    case L_LONG:
        return va_arg(*ap, long);
    case L_LLONG:
        return va_arg(*ap, long long);
    case L_INTMAX:
        return va_arg(*ap, intmax_t);
    case L_SIZE:
        return (intmax_t)va_arg(*ap, size_t);
    case L_PTRDIFF:
        return va_arg(*ap, ptrdiff_t);
    default:
        return va_arg(*ap, int);
    }
}

/* Parses flags, width, precision and length at (*fp); advances it. */
static enum len parse_spec(const char **fp, struct spec *sp, va_list *ap)
{
    const char *f = *fp;
    enum len l = L_INT;

    memset(sp, 0, sizeof(*sp));
    sp->prec = -1;
    for (;; f++) {
        if (*f == '-')
            sp->left = true;
        else if (*f == '+')
            sp->plus = true;
        else if (*f == ' ')
            sp->space = true;
        else if (*f == '#')
            sp->alt = true;
        else if (*f == '0')
            sp->zero = true;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = true;
            sp->width = sp->width == INT32_MIN ? 0 : -sp->width;
        }
        f++;
    } else {
        while (*f >= '0' && *f <= '9') {
            if (sp->width < 100000)
                sp->width = sp->width * 10 + (*f - '0');
            f++;
        }
    }
    if (*f == '.') {
        f++;
        sp->prec = 0;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int);
            if (sp->prec < 0)
                sp->prec = -1;
            f++;
        } else {
            while (*f >= '0' && *f <= '9') {
                if (sp->prec < 100000)
                    sp->prec = sp->prec * 10 + (*f - '0');
                f++;
            }
        }
    }
    switch (*f) {
    case 'h':
        l = f[1] == 'h' ? L_CHAR : L_SHORT;
        f += f[1] == 'h' ? 2 : 1;
        break;
    case 'l':
        l = f[1] == 'l' ? L_LLONG : L_LONG;
        f += f[1] == 'l' ? 2 : 1;
        break;
    case 'j':
        l = L_INTMAX;
        f++;
        break;
    case 'z':
        l = L_SIZE;
        f++;
        break;
    case 't':
        l = L_PTRDIFF;
        f++;
        break;
    default:
        break;
    }
    *fp = f;
    return l;
}

int vsnprintf(char *restrict buf, size_t n, const char *restrict fmt,
              va_list ap0)
{
    struct out o = {.buf = buf, .cap = n ? n - 1 : 0, .len = 0};
    struct spec sp;
    va_list ap;

    va_copy(ap, ap0);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') {
            put(&o, *f);
            continue;
        }
        const char *start = f++;
        enum len l = parse_spec(&f, &sp, &ap);
        switch (*f) {
        case 'd':
        case 'i': {
            intmax_t v = get_signed(&ap, l);
            uintmax_t u = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            emit_num(&o, &sp, u, v < 0, 10, false);
            break;
        }
        case 'u':
            emit_num(&o, &sp, get_unsigned(&ap, l), false, 10, false);
            break;
        case 'o':
            emit_num(&o, &sp, get_unsigned(&ap, l), false, 8, false);
            break;
        case 'x':
            emit_num(&o, &sp, get_unsigned(&ap, l), false, 16, false);
            break;
        case 'X':
            emit_num(&o, &sp, get_unsigned(&ap, l), false, 16, true);
            break;
        case 'p':
            sp.alt = true;
            emit_num(&o, &sp, (uintptr_t)va_arg(ap, void *), false, 16, false);
            break;
        case 'c':
            if (!sp.left)
                pad(&o, ' ', sp.width - 1);
            put(&o, (char)va_arg(ap, int));
            if (sp.left)
                pad(&o, ' ', sp.width - 1);
            break;
        case 's':
            emit_str(&o, &sp, va_arg(ap, const char *));
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            /* Unknown or truncated: copy the directive through verbatim. */
            for (const char *p = start; p <= f && *p; p++)
                put(&o, *p);
            if (*f == '\0')
                f--;
            break;
        }
    }
    va_end(ap);
    if (n)
        buf[o.len < o.cap ? o.len : o.cap] = '\0';
    return o.len > INT32_MAX ? -1 : (int)o.len;
}

int snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return r;
}
