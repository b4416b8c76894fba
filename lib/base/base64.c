/*
 * base64.c -- RFC 4648 4 base64 text to bytes, for secrets read at run
 * time (TSIG keys: service-file secret files, BIND key files, a guest's
 * --tsig-key boot argument).  Untrusted input: every byte is checked,
 * nothing is written past (cap); fuzzed by tests/fuzz/fuzz_tsig.c.
 */
#include <tibra/base.h>

static int b64val(unsigned c)
{
    if (c >= 'A' && c <= 'Z')
        return (int)(c - 'A');
    if (c >= 'a' && c <= 'z')
        return (int)(c - 'a' + 26);
    if (c >= '0' && c <= '9')
        return (int)(c - '0' + 52);
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int tb_base64_decode(const char *s, size_t len, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    unsigned nq = 0, pad = 0;
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned c = (unsigned char)s[i];
        int v;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            continue;
        if (c == '=') {
            /* "xx==" or "xxx=": padding only after two or three digits. */
            if (nq < 2)
                return TB_EMALF;
            pad++;
            acc <<= 6;
        } else {
            if (pad != 0 || (v = b64val(c)) < 0)
                return TB_EMALF;
            acc = acc << 6 | (uint32_t)v;
        }
        if (++nq < 4)
            continue;
        if (cap - n < 3u - pad)
            return TB_ESPACE;
        out[n++] = (uint8_t)(acc >> 16);
        if (pad < 2)
            out[n++] = (uint8_t)(acc >> 8);
        if (pad < 1)
            out[n++] = (uint8_t)acc;
        nq = 0;
        acc = 0;
        if (pad != 0)
            pad = 3; /* the end: nothing but whitespace may follow */
    }
    if (nq != 0 || n > (size_t)INT32_MAX)
        return TB_EMALF;
    return (int)n;
}
