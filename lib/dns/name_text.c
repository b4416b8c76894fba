/*
 * name_text.c -- domain names in presentation form (RFC 1035 5.1) <->
 * uncompressed wire form.  Used by the zone parser for owners and rdata
 * names, by configuration and by every tool that prints a name.  The wire
 * half (decompression, comparison) is name.c; this file never sees a
 * message.  One pass over the text, no allocation: labels are built in
 * place in the caller's 255-byte buffer.
 */
#include <tibra/dns.h>

/* Length of a trusted wire name (kept local: name.c is another module). */
static size_t wire_len(const uint8_t *n)
{
    const uint8_t *p = n;

    while (*p != 0)
        p += *p + 1;
    return (size_t)(p - n) + 1;
}

/*
 * Reads one \DDD or \X escape at (p) (just past the backslash), bounded by
 * (end).  Returns the number of bytes consumed after the backslash, with
 * the byte in (*c), or 0 if the escape is malformed (\ at the end, \DDD
 * over 255, fewer than three digits after a digit).
 */
static size_t unescape(const char *p, const char *end, uint8_t *c)
{
    if (p >= end)
        return 0;
    if (*p >= '0' && *p <= '9') {
        unsigned v;
        if (end - p < 3 || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
            return 0;
        v = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
            (unsigned)(p[2] - '0');
        if (v > 255)
            return 0;
        *c = (uint8_t)v;
        return 3;
    }
    *c = (uint8_t)*p;
    return 1;
}

int dns_name_from_text(const char *txt, size_t len, const uint8_t *origin,
                       uint8_t *out, size_t *outlen)
{
    const char *p = txt, *end = txt + len;
    size_t o = 0, lab = 0; /* (lab) is the current label's length byte */
    bool absolute = false;

    if (len == 0)
        return TB_EMALF;
    if (len == 1 && txt[0] == '@') {
        /* RFC 1035 5.1: "@" denotes the current origin. */
        if (origin == NULL)
            return TB_EINVAL;
        o = wire_len(origin);
        memcpy(out, origin, o);
        *outlen = o;
        return 0;
    }
    if (len == 1 && txt[0] == '.') {
        out[0] = 0;
        *outlen = 1;
        return 0;
    }
    out[0] = 0;
    o = 1;
    while (p < end) {
        uint8_t c = (uint8_t)*p++;

        if (c == '.') {
            if (out[lab] == 0)
                return TB_EMALF; /* empty label */
            if (p == end) {
                absolute = true;
                break;
            }
            lab = o;
            if (o >= DNS_NAME_MAXLEN)
                return TB_ERANGE;
            out[o++] = 0;
            continue;
        }
        if (c == '\\') {
            size_t n = unescape(p, end, &c);
            if (n == 0)
                return TB_EMALF;
            p += n;
        }
        if (out[lab] == DNS_LABEL_MAXLEN)
            return TB_ERANGE;
        /* Leave room for the root label. */
        if (o >= DNS_NAME_MAXLEN - 1)
            return TB_ERANGE;
        out[o++] = c;
        out[lab]++;
    }
    if (absolute) {
        out[o++] = 0;
        *outlen = o;
        return 0;
    }
    if (origin == NULL)
        return TB_EINVAL;
    {
        size_t olen = wire_len(origin);
        if (o + olen > DNS_NAME_MAXLEN)
            return TB_ERANGE;
        memcpy(out + o, origin, olen);
        *outlen = o + olen;
    }
    return 0;
}

/* RFC 1035 5.1 specials, plus those a zone file would misread. */
static bool special(uint8_t c)
{
    switch (c) {
    case '.':
    case '\\':
    case '"':
    case '(':
    case ')':
    case ';':
    case '@':
    case '$':
    case ' ':
        return true;
    default:
        return false;
    }
}

int dns_name_to_text(const uint8_t *name, char *buf, size_t cap)
{
    size_t o = 0;
    const uint8_t *p = name;

    if (*p == 0) {
        if (cap < 2)
            return TB_ESPACE;
        buf[0] = '.';
        buf[1] = '\0';
        return 1;
    }
    while (*p != 0) {
        uint8_t n = *p++, i;

        for (i = 0; i < n; i++, p++) {
            uint8_t c = *p;
            if (c < 0x20 || c > 0x7e) {
                if (o + 4 >= cap)
                    return TB_ESPACE;
                buf[o++] = '\\';
                buf[o++] = (char)('0' + c / 100);
                buf[o++] = (char)('0' + c / 10 % 10);
                buf[o++] = (char)('0' + c % 10);
            } else if (special(c)) {
                if (o + 2 >= cap)
                    return TB_ESPACE;
                buf[o++] = '\\';
                buf[o++] = (char)c;
            } else {
                if (o + 1 >= cap)
                    return TB_ESPACE;
                buf[o++] = (char)c;
            }
        }
        if (o + 1 >= cap)
            return TB_ESPACE;
        buf[o++] = '.';
    }
    buf[o] = '\0';
    return (int)o;
}
