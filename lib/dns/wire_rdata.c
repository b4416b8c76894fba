/*
 * wire_rdata.c -- rdata on the wire: the per-type layout table, the walker
 * that validates rdata against it and decompresses embedded names (RFC
 * 3597 4), and dns_rdata_unpack() on top.  Both message parsers
 * (wire_query.c, wire_msg.c) run the walker in validate-only mode on every
 * RR, so anything past them has rdata of the right shape.  Unknown types
 * are opaque (RFC 3597 2).  This is a wire-level table, deliberately
 * separate from the presentation table in rrtype.c: it is small, has no
 * text, and sits on the query path.
 */
#include <tibra/dns.h>

#include "wire_priv.h"

/*
 * Layout opcodes, one byte each, a layout ends with R_END.  R_FIX(n) is a
 * fixed field of n bytes (n < 64).
 */
enum {
    R_END = 0,
    R_NAMEC, /* name, compression met on receipt (RFC 3597 4) */
    R_NAME, /* name, MUST NOT be compressed */
    R_STR, /* <character-string>: length byte + bytes */
    R_STR1, /* <character-string> of at least one byte */
    R_STRS, /* rest: one or more <character-string>s */
    R_REM, /* rest: any bytes, possibly none */
    R_REM1, /* rest: at least one byte */
    R_B16, /* 16-bit length + bytes (TSIG/TKEY MAC, key, other) */
    R_A6, /* RFC 2874 3.1: prefix length, suffix, prefix name */
    R_OPT, /* RFC 6891 6.1.2: option TLVs */
    R_FIX0 = 0x40
};
#define R_FIX(n) (R_FIX0 | (n))

static const uint8_t L_A[] = {R_FIX(4), R_END};
static const uint8_t L_NAMEC[] = {R_NAMEC, R_END};
static const uint8_t L_SOA[] = {R_NAMEC, R_NAMEC, R_FIX(20), R_END};
static const uint8_t L_REM[] = {R_REM, R_END};
static const uint8_t L_REM1[] = {R_REM1, R_END};
static const uint8_t L_WKS[] = {R_FIX(5), R_REM, R_END};
static const uint8_t L_STR2[] = {R_STR, R_STR, R_END};
static const uint8_t L_STR3[] = {R_STR, R_STR, R_STR, R_END};
static const uint8_t L_STR[] = {R_STR, R_END};
static const uint8_t L_STRS[] = {R_STRS, R_END};
static const uint8_t L_2NAMEC[] = {R_NAMEC, R_NAMEC, R_END};
static const uint8_t L_MX[] = {R_FIX(2), R_NAMEC, R_END};
static const uint8_t L_SIG[] = {R_FIX(18), R_NAMEC, R_REM1, R_END};
static const uint8_t L_RRSIG[] = {R_FIX(18), R_NAME, R_REM1, R_END};
static const uint8_t L_KEY[] = {R_FIX(4), R_REM1, R_END};
static const uint8_t L_PX[] = {R_FIX(2), R_NAMEC, R_NAMEC, R_END};
static const uint8_t L_AAAA[] = {R_FIX(16), R_END};
static const uint8_t L_NXT[] = {R_NAMEC, R_REM, R_END};
static const uint8_t L_NSEC[] = {R_NAME, R_REM, R_END};
static const uint8_t L_SRV[] = {R_FIX(6), R_NAMEC, R_END};
static const uint8_t L_NAPTR[] = {R_FIX(4), R_STR,   R_STR,
                                  R_STR,    R_NAMEC, R_END};
static const uint8_t L_CERT[] = {R_FIX(5), R_REM, R_END};
static const uint8_t L_A6[] = {R_A6, R_END};
static const uint8_t L_OPT[] = {R_OPT, R_END};
static const uint8_t L_SSHFP[] = {R_FIX(2), R_REM1, R_END};
static const uint8_t L_TLSA[] = {R_FIX(3), R_REM1, R_END};
static const uint8_t L_NSEC3[] = {R_FIX(4), R_STR, R_STR1, R_REM, R_END};
static const uint8_t L_NSEC3P[] = {R_FIX(4), R_STR, R_END};
static const uint8_t L_CSYNC[] = {R_FIX(6), R_REM, R_END};
static const uint8_t L_ZONEMD[] = {R_FIX(6), R_REM1, R_END};
static const uint8_t L_SVCB[] = {R_FIX(2), R_NAME, R_REM, R_END};
static const uint8_t L_F6[] = {R_FIX(6), R_END};
static const uint8_t L_F8[] = {R_FIX(8), R_END};
static const uint8_t L_F10[] = {R_FIX(10), R_END};
static const uint8_t L_LP[] = {R_FIX(2), R_NAME, R_END};
static const uint8_t L_TKEY[] = {R_NAME, R_FIX(12), R_B16, R_B16, R_END};
static const uint8_t L_TSIG[] = {R_NAME,   R_FIX(8), R_B16,
                                 R_FIX(4), R_B16,    R_END};
static const uint8_t L_URI[] = {R_FIX(4), R_REM1, R_END};
static const uint8_t L_CAA[] = {R_FIX(1), R_STR1, R_REM, R_END};

/* The layout of (type), or NULL for an opaque one. */
static const uint8_t *layout(uint16_t type)
{
    switch (type) {
    case DNS_TYPE_A:
        return L_A;
    case DNS_TYPE_NS:
    case DNS_TYPE_MD:
    case DNS_TYPE_MF:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_MB:
    case DNS_TYPE_MG:
    case DNS_TYPE_MR:
    case DNS_TYPE_PTR:
    case DNS_TYPE_DNAME:
        return L_NAMEC;
    case DNS_TYPE_SOA:
        return L_SOA;
    case DNS_TYPE_NULL:
        return L_REM;
    case DNS_TYPE_WKS:
        return L_WKS;
    case DNS_TYPE_HINFO:
        return L_STR2;
    case DNS_TYPE_MINFO:
    case DNS_TYPE_RP:
        return L_2NAMEC;
    case DNS_TYPE_MX:
    case DNS_TYPE_AFSDB:
    case DNS_TYPE_RT:
    case DNS_TYPE_KX:
        return L_MX;
    case DNS_TYPE_TXT:
    case DNS_TYPE_SPF:
    case DNS_TYPE_ISDN:
        return L_STRS;
    case DNS_TYPE_X25:
        return L_STR;
    case DNS_TYPE_NSAP:
        return L_REM1;
    case DNS_TYPE_SIG:
        return L_SIG;
    case DNS_TYPE_KEY:
    case DNS_TYPE_DNSKEY:
    case DNS_TYPE_CDNSKEY:
    case DNS_TYPE_DS:
    case DNS_TYPE_CDS:
        return L_KEY;
    case DNS_TYPE_PX:
        return L_PX;
    case DNS_TYPE_GPOS:
        return L_STR3;
    case DNS_TYPE_AAAA:
    case DNS_TYPE_LOC:
        return L_AAAA;
    case DNS_TYPE_NXT:
        return L_NXT;
    case DNS_TYPE_SRV:
        return L_SRV;
    case DNS_TYPE_NAPTR:
        return L_NAPTR;
    case DNS_TYPE_CERT:
        return L_CERT;
    case DNS_TYPE_A6:
        return L_A6;
    case DNS_TYPE_OPT:
        return L_OPT;
    case DNS_TYPE_SSHFP:
        return L_SSHFP;
    case DNS_TYPE_RRSIG:
        return L_RRSIG;
    case DNS_TYPE_NSEC:
        return L_NSEC;
    case DNS_TYPE_DHCID:
    case DNS_TYPE_OPENPGPKEY:
        return L_REM1;
    case DNS_TYPE_NSEC3:
        return L_NSEC3;
    case DNS_TYPE_NSEC3PARAM:
        return L_NSEC3P;
    case DNS_TYPE_TLSA:
    case DNS_TYPE_SMIMEA:
        return L_TLSA;
    case DNS_TYPE_CSYNC:
        return L_CSYNC;
    case DNS_TYPE_ZONEMD:
        return L_ZONEMD;
    case DNS_TYPE_SVCB:
    case DNS_TYPE_HTTPS:
        return L_SVCB;
    case DNS_TYPE_NID:
    case DNS_TYPE_L64:
        return L_F10;
    case DNS_TYPE_L32:
    case DNS_TYPE_EUI48:
        return L_F6;
    case DNS_TYPE_EUI64:
        return L_F8;
    case DNS_TYPE_LP:
        return L_LP;
    case DNS_TYPE_TKEY:
        return L_TKEY;
    case DNS_TYPE_TSIG:
        return L_TSIG;
    case DNS_TYPE_URI:
        return L_URI;
    case DNS_TYPE_CAA:
        return L_CAA;
    default:
        return NULL;
    }
}

/* Output cursor: (out) NULL means validate only; (budget) MAY be NULL. */
struct rdout {
    uint8_t *out;
    size_t cap, len;
    size_t *budget;
};

static int put(struct rdout *o, const uint8_t *src, size_t n)
{
    if (o->out != NULL) {
        if (o->cap - o->len < n)
            return TB_ESPACE;
        memcpy(o->out + o->len, src, n);
    }
    o->len += n;
    return 0;
}

/* One name at (*p) (must end by (end)); decompressed if (compr). */
static int name_field(const uint8_t *msg, size_t *p, size_t end, bool compr,
                      struct rdout *o)
{
    uint8_t tmp[DNS_NAME_MAXLEN];
    size_t n, next;
    int r;

    if (!compr) {
        r = dns_name_check(msg + *p, end - *p);
        if (r < 0)
            return TB_EMALF;
        n = (size_t)r;
        r = put(o, msg + *p, n);
        *p += n;
        return r;
    }
    /* Pointers may reach anywhere earlier in the message, but the name
     * itself (up to its first pointer) must lie inside the rdata. */
    r = dns_wire_name_unpack(msg, end, *p, tmp, &n, &next, o->budget);
    if (r < 0)
        return TB_EMALF;
    *p = next;
    return put(o, tmp, n);
}

static int walk(const uint8_t *msg, size_t p, size_t end, const uint8_t *l,
                struct rdout *o)
{
    int r = 0;

    for (; *l != R_END && r == 0; l++) {
        size_t n, left = end - p;
        switch (*l) {
        case R_NAMEC:
        case R_NAME:
            if (left == 0)
                return TB_EMALF;
            r = name_field(msg, &p, end, *l == R_NAMEC, o);
            continue;
        case R_STR:
        case R_STR1:
            if (left == 0 || (size_t)msg[p] + 1 > left)
                return TB_EMALF;
            if (*l == R_STR1 && msg[p] == 0)
                return TB_EMALF;
            n = (size_t)msg[p] + 1;
            break;
        case R_STRS:
            if (left == 0)
                return TB_EMALF;
            for (n = 0; n < left; n += (size_t)msg[p + n] + 1)
                ;
            if (n != left)
                return TB_EMALF;
            break;
        case R_REM1:
            if (left == 0)
                return TB_EMALF;
            /* FALLTHROUGH */
        case R_REM:
            n = left;
            break;
        case R_B16:
            if (left < 2 || (size_t)tb_get16(msg + p) + 2 > left)
                return TB_EMALF;
            n = (size_t)tb_get16(msg + p) + 2;
            break;
        case R_OPT:
            /* RFC 6891 6.1.2: {code, length, value}* filling the rdata */
            for (n = 0; n < left; n += (size_t)tb_get16(msg + p + n + 2) + 4)
                if (left - n < 4)
                    return TB_EMALF;
            if (n != left)
                return TB_EMALF;
            break;
        case R_A6: {
            /* RFC 2874 3.1: prefix length 0..128, (128 - prefix) / 8
             * rounded up address suffix bytes, prefix name if non-zero */
            if (left == 0 || msg[p] > 128)
                return TB_EMALF;
            unsigned plen = msg[p];
            n = 1 + (128 - plen + 7) / 8;
            if (n > left)
                return TB_EMALF;
            r = put(o, msg + p, n);
            p += n;
            if (r == 0 && plen > 0) {
                if (p == end)
                    return TB_EMALF;
                r = name_field(msg, &p, end, true, o);
            }
            continue;
        }
        default:
            n = *l & 0x3f; /* R_FIX(n) */
            if (n > left)
                return TB_EMALF;
            break;
        }
        r = put(o, msg + p, n);
        p += n;
    }
    if (r == 0 && p != end)
        return TB_EMALF; /* bytes left over inside the rdata */
    return r;
}

int dns_wire_rdata_unpack(const uint8_t *msg, size_t msglen, size_t rdoff,
                          size_t rdlen, uint16_t type, uint8_t *out, size_t cap,
                          size_t *outlen, size_t *budget)
{
    struct rdout o = {out, cap, 0, budget};
    const uint8_t *l;
    int r;

    if (rdoff > msglen || rdlen > msglen - rdoff)
        return TB_ETRUNC;
    l = layout(type);
    if (l == NULL)
        r = put(&o, msg + rdoff, rdlen);
    else
        r = walk(msg, rdoff, rdoff + rdlen, l, &o);
    if (r == 0 && outlen != NULL)
        *outlen = o.len;
    return r;
}

int dns_rdata_unpack(const uint8_t *msg, size_t msglen, size_t rdoff,
                     size_t rdlen, uint16_t type, uint8_t *out, size_t cap,
                     size_t *outlen)
{
    return dns_wire_rdata_unpack(msg, msglen, rdoff, rdlen, type, out, cap,
                                 outlen, NULL);
}

bool dns_opt_find(const uint8_t *opts, size_t optlen, uint16_t code,
                  const uint8_t **val, uint16_t *vlen)
{
    size_t p = 0;

    while (optlen - p >= 4) {
        uint16_t c = tb_get16(opts + p), l = tb_get16(opts + p + 2);
        if (l > optlen - p - 4)
            return false; /* NEVER for validated options */
        if (c == code) {
            *val = opts + p + 4;
            *vlen = l;
            return true;
        }
        p += 4 + (size_t)l;
    }
    return false;
}
