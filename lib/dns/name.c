/*
 * name.c -- domain names in wire form (RFC 1035 3.1, 4.1.4): decompression
 * out of an untrusted message, validation of uncompressed names, and the
 * comparisons every later stage uses (equality, subdomain, RFC 4034 6.1
 * canonical order).  It sits under everything in lib/dns: the query parser
 * (wire_query.c), the message parser and writer (wire_msg.c, wire_write.c),
 * the zone compiler and the authoritative lookup.  dns_name_unpack and
 * dns_name_check are the only functions here that see untrusted bytes;
 * everything else takes names they (or dns_name_from_text in name_text.c)
 * have validated, and only asserts.  Nothing here allocates.
 */
#include <assert.h>
#include <tibra/dns.h>

#include "wire_priv.h"

/* RFC 1035 4.1.4: at most this many compression pointers per name.  A name
 * has at most 127 labels, so an honest encoder never needs more. */
#define NAME_MAX_HOPS 127

/* ASCII-only case folding (RFC 4343 3): bytes >= 0x80 are not letters. */
static inline uint8_t lower(uint8_t c)
{
    return (uint8_t)((unsigned)(c - 'A') < 26u ? c + 32 : c);
}

int dns_wire_name_unpack(const uint8_t *msg, size_t msglen, size_t off,
                         uint8_t *out, size_t *outlen, size_t *next,
                         size_t *budget)
{
    size_t pos = off, len = 0, nxt = 0;
    unsigned hops = 0;

    for (;;) {
        if (TB_UNLIKELY(pos >= msglen))
            return TB_ETRUNC;
        unsigned c = msg[pos];
        if (c == 0) {
            out[len++] = 0;
            break;
        }
        if (c < 64) {
            /* Ordinary label: the length byte plus c octets, and the name
             * must still have room for at least the root label. */
            if (TB_UNLIKELY(c >= msglen - pos))
                return TB_ETRUNC;
            if (TB_UNLIKELY(len + c + 1 > DNS_NAME_MAXLEN - 1))
                return TB_EMALF;
            memcpy(out + len, msg + pos, c + 1);
            len += c + 1;
            pos += c + 1;
            continue;
        }
        if (TB_UNLIKELY(c < 0xc0))
            return TB_EMALF; /* 01 (RFC 6891 6.2) or 10: refused */
        if (TB_UNLIKELY(pos + 1 >= msglen))
            return TB_ETRUNC;
        size_t target = (size_t)(c & 0x3f) << 8 | msg[pos + 1];
        /* RFC 1035 4.1.4: the pointer MUST refer to an earlier
         * occurrence; we demand strictly before the pointer itself, as
         * Knot does.  Together with the hop limit this bounds the walk. */
        if (TB_UNLIKELY(target >= pos))
            return TB_EMALF;
        if (TB_UNLIKELY(++hops > NAME_MAX_HOPS))
            return TB_ELOOP;
        if (budget != NULL) {
            if (TB_UNLIKELY(*budget == 0))
                return TB_ELOOP;
            --*budget;
        }
        if (nxt == 0)
            nxt = pos + 2;
        pos = target;
    }
    *outlen = len;
    *next = nxt ? nxt : pos + 1;
    return 0;
}

int dns_name_unpack(const uint8_t *msg, size_t msglen, size_t off, uint8_t *out,
                    size_t *outlen, size_t *next)
{
    return dns_wire_name_unpack(msg, msglen, off, out, outlen, next, NULL);
}

int dns_name_check(const uint8_t *name, size_t maxlen)
{
    size_t pos = 0;

    for (;;) {
        if (TB_UNLIKELY(pos >= maxlen))
            return TB_ETRUNC;
        unsigned c = name[pos];
        if (c == 0)
            return (int)(pos + 1);
        if (TB_UNLIKELY(c > DNS_LABEL_MAXLEN))
            return TB_EMALF; /* compression or extended label */
        pos += c + 1;
        if (TB_UNLIKELY(pos > DNS_NAME_MAXLEN - 1))
            return TB_EMALF;
    }
}

size_t dns_name_len(const uint8_t *name)
{
    const uint8_t *p = name;

    while (*p != 0) {
        assert(*p <= DNS_LABEL_MAXLEN);
        p += *p + 1;
    }
    assert(p - name < DNS_NAME_MAXLEN);
    return (size_t)(p - name) + 1;
}

unsigned dns_name_labels(const uint8_t *name)
{
    unsigned n = 0;

    while (*name != 0) {
        name += *name + 1;
        n++;
    }
    return n;
}

bool dns_name_equal(const uint8_t *a, const uint8_t *b)
{
    /* Length bytes are < 64 and so never letters: folding them is
     * harmless, and a byte-wise walk compares lengths and octets alike. */
    for (;;) {
        unsigned la = *a;
        if (la != *b)
            return false;
        if (la == 0)
            return true;
        a++;
        b++;
        for (unsigned i = 0; i < la; i++)
            if (lower(a[i]) != lower(b[i]))
                return false;
        a += la;
        b += la;
    }
}

bool dns_name_is_sub(const uint8_t *name, const uint8_t *parent)
{
    unsigned n = dns_name_labels(name), p = dns_name_labels(parent);

    if (n < p)
        return false;
    return dns_name_equal(dns_name_skip(name, n - p), parent);
}

/* Fills (lab) with the offsets of the labels of (name), first label first;
 * returns the count (at most 127 for a valid name). */
static unsigned label_offsets(const uint8_t *name, uint8_t lab[128])
{
    unsigned n = 0, pos = 0;

    while (name[pos] != 0) {
        assert(n < 128);
        lab[n++] = (uint8_t)pos;
        pos += name[pos] + 1u;
    }
    return n;
}

int dns_name_cmp(const uint8_t *a, const uint8_t *b)
{
    uint8_t la[128], lb[128];
    unsigned na = label_offsets(a, la), nb = label_offsets(b, lb);

    /* RFC 4034 6.1: compare label by label from the most significant
     * (rightmost); each label as a left-justified octet string with
     * uppercase letters folded; a missing label sorts first. */
    while (na > 0 && nb > 0) {
        const uint8_t *pa = a + la[--na], *pb = b + lb[--nb];
        unsigned ca = pa[0], cb = pb[0], m = ca < cb ? ca : cb;
        for (unsigned i = 1; i <= m; i++) {
            int d = (int)lower(pa[i]) - (int)lower(pb[i]);
            if (d != 0)
                return d;
        }
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return na == nb ? 0 : (na < nb ? -1 : 1);
}

void dns_name_lower(uint8_t *name)
{
    while (*name != 0) {
        unsigned l = *name++;
        for (unsigned i = 0; i < l; i++)
            name[i] = lower(name[i]);
        name += l;
    }
}

const uint8_t *dns_name_skip(const uint8_t *name, unsigned n)
{
    while (n-- > 0) {
        assert(*name != 0);
        name += *name + 1;
    }
    return name;
}

bool dns_name_is_wildcard(const uint8_t *name)
{
    return name[0] == 1 && name[1] == '*';
}
