/*
 * rrtype.c -- the RR type and class tables and their mnemonics: code,
 * presentation mnemonic, rdata field layout and properties of every type
 * Tibra knows.  The zone parser (zone_parse.c) and the rdata text codecs
 * (rdata_text*.c) read the layouts; the wire codec and the authoritative
 * engine read the properties (compression, canonical form, meta types).
 * Types without a row still work everywhere as RFC 3597 unknown types.
 * Also the TTL text form (RFC 1035 5.1, units as BIND/NSD/Knot take them).
 */
#include <stdio.h>
#include <tibra/dns.h>

#define C DNS_RRT_COMPRESS
#define K DNS_RRT_CANON
#define M DNS_RRT_META
#define O DNS_RRT_OBSOLETE
#define S DNS_RRT_DNSSEC

#define NAME DNS_RDF_NAME
#define NNC  DNS_RDF_NAME_NC
#define U8   DNS_RDF_U8
#define U16  DNS_RDF_U16
#define U32  DNS_RDF_U32
#define TTL  DNS_RDF_TTL
#define ALG  DNS_RDF_ALG
#define STR  DNS_RDF_STR
#define B64  DNS_RDF_B64
#define HEX  DNS_RDF_HEX

/* Sorted by code: dns_rrtype_get() searches it by bisection. */
static const struct dns_rrtype types[] = {
    {1, 0, {DNS_RDF_A}, "A"},
    {2, C | K, {NAME}, "NS"},
    {3, C | K | O, {NAME}, "MD"},
    {4, C | K | O, {NAME}, "MF"},
    {5, C | K, {NAME}, "CNAME"},
    /* RFC 1035 3.3.13; the timers take TTL units as NSD and Knot do. */
    {6, C | K, {NAME, NAME, U32, TTL, TTL, TTL, TTL}, "SOA"},
    {7, C | K | O, {NAME}, "MB"},
    {8, C | K | O, {NAME}, "MG"},
    {9, C | K | O, {NAME}, "MR"},
    {10, 0, {0}, "NULL"},
    {11, 0, {0}, "WKS"},
    {12, C | K, {NAME}, "PTR"},
    {13, K, {STR, STR}, "HINFO"},
    {14, C | K, {NAME, NAME}, "MINFO"},
    {15, C | K, {U16, NAME}, "MX"},
    {16, 0, {DNS_RDF_STRS}, "TXT"},
    {17, K, {NNC, NNC}, "RP"},
    {18, K, {U16, NNC}, "AFSDB"},
    {19, O, {STR}, "X25"},
    {20, O, {0}, "ISDN"},
    {21, K | O, {U16, NNC}, "RT"},
    {22, O, {0}, "NSAP"},
    {23, K | O, {0}, "NSAP-PTR"},
    {24,
     K | O,
     {DNS_RDF_TYPE, ALG, U8, TTL, DNS_RDF_TIME, DNS_RDF_TIME, U16, NNC, B64},
     "SIG"},
    {25, O, {U16, U8, ALG, B64}, "KEY"},
    {26, K | O, {U16, NNC, NNC}, "PX"},
    {27, O, {0}, "GPOS"},
    {28, 0, {DNS_RDF_AAAA}, "AAAA"},
    {29, 0, {DNS_RDF_LOC}, "LOC"},
    {30, K | O, {0}, "NXT"},
    {33, K, {U16, U16, U16, NNC}, "SRV"},
    {35, K, {U16, U16, STR, STR, STR, NNC}, "NAPTR"},
    {36, K, {U16, NNC}, "KX"},
    {37, 0, {DNS_RDF_CERTTYPE, U16, ALG, B64}, "CERT"},
    {38, K | O, {0}, "A6"},
    {39, K, {NNC}, "DNAME"},
    {41, M, {0}, "OPT"},
    {42, 0, {DNS_RDF_APL}, "APL"},
    {43, 0, {U16, ALG, U8, HEX}, "DS"},
    {44, 0, {U8, U8, HEX}, "SSHFP"},
    {45, 0, {U8, DNS_RDF_IPSECKEY}, "IPSECKEY"},
    {46,
     K | S,
     {DNS_RDF_TYPE, ALG, U8, TTL, DNS_RDF_TIME, DNS_RDF_TIME, U16, NNC, B64},
     "RRSIG"},
    {47, S, {NNC, DNS_RDF_BITMAP}, "NSEC"},
    {48, 0, {U16, U8, ALG, B64}, "DNSKEY"},
    {49, 0, {B64}, "DHCID"},
    {50, 0, {U8, U8, U16, DNS_RDF_SALT, DNS_RDF_B32, DNS_RDF_BITMAP}, "NSEC3"},
    {51, 0, {U8, U8, U16, DNS_RDF_SALT}, "NSEC3PARAM"},
    {52, 0, {U8, U8, U8, HEX}, "TLSA"},
    {53, 0, {U8, U8, U8, HEX}, "SMIMEA"},
    {55, 0, {0}, "HIP"},
    {59, 0, {U16, ALG, U8, HEX}, "CDS"},
    {60, 0, {U16, U8, ALG, B64}, "CDNSKEY"},
    {61, 0, {B64}, "OPENPGPKEY"},
    {62, 0, {U32, U16, DNS_RDF_BITMAP}, "CSYNC"},
    {63, 0, {U32, U8, U8, HEX}, "ZONEMD"},
    {64, 0, {U16, NNC, DNS_RDF_SVCPARAMS}, "SVCB"},
    {65, 0, {U16, NNC, DNS_RDF_SVCPARAMS}, "HTTPS"},
    {99, 0, {DNS_RDF_STRS}, "SPF"},
    {104, 0, {U16, DNS_RDF_ILNP64}, "NID"},
    {105, 0, {U16, DNS_RDF_A}, "L32"},
    {106, 0, {U16, DNS_RDF_ILNP64}, "L64"},
    {107, 0, {U16, NNC}, "LP"},
    {108, 0, {DNS_RDF_EUI48}, "EUI48"},
    {109, 0, {DNS_RDF_EUI64}, "EUI64"},
    {249, M, {0}, "TKEY"},
    {250, M, {0}, "TSIG"},
    {251, M, {0}, "IXFR"},
    {252, M, {0}, "AXFR"},
    {253, M, {0}, "MAILB"},
    {254, M, {0}, "MAILA"},
    {255, M, {0}, "ANY"},
    {256, 0, {U16, U16, DNS_RDF_STR_REST}, "URI"},
    {257, 0, {U8, DNS_RDF_CAATAG, DNS_RDF_STR_REST}, "CAA"},
    {32769, O, {U16, ALG, U8, HEX}, "DLV"},
};

const struct dns_rrtype *dns_rrtype_get(uint16_t type)
{
    size_t lo = 0, hi = TB_ARRAY_SIZE(types);

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (types[mid].code == type)
            return &types[mid];
        if (types[mid].code < type)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int upper(int c)
{
    return c >= 'a' && c <= 'z' ? c - 32 : c;
}

/* Case-insensitive compare of (txt, len) with the NUL-terminated (name). */
static bool eq_ci(const char *txt, size_t len, const char *name)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (name[i] == '\0' || upper((unsigned char)txt[i]) != name[i])
            return false;
    return name[len] == '\0';
}

/* Parses "PFXnnn" (nnn decimal 0..65535).  Returns 0 or TB_EINVAL. */
static int generic(const char *txt, size_t len, const char *pfx, uint16_t *out)
{
    size_t n = strlen(pfx), i;
    uint32_t v = 0;

    if (len <= n || len > n + 5)
        return TB_EINVAL;
    for (i = 0; i < n; i++)
        if (upper((unsigned char)txt[i]) != pfx[i])
            return TB_EINVAL;
    for (; i < len; i++) {
        if (txt[i] < '0' || txt[i] > '9')
            return TB_EINVAL;
        v = v * 10 + (uint32_t)(txt[i] - '0');
    }
    if (v > 65535)
        return TB_EINVAL;
    *out = (uint16_t)v;
    return 0;
}

int dns_type_from_text(const char *txt, size_t len, uint16_t *type)
{
    size_t i;
    int c0;

    if (len == 0)
        return TB_EINVAL;
    c0 = upper((unsigned char)txt[0]);
    for (i = 0; i < TB_ARRAY_SIZE(types); i++) {
        if (types[i].name[0] == c0 && eq_ci(txt, len, types[i].name)) {
            *type = types[i].code;
            return 0;
        }
    }
    return generic(txt, len, "TYPE", type);
}

int dns_type_to_text(uint16_t type, char *buf, size_t cap)
{
    const struct dns_rrtype *t = dns_rrtype_get(type);
    int n;

    if (t != NULL)
        n = snprintf(buf, cap, "%s", t->name);
    else
        n = snprintf(buf, cap, "TYPE%u", (unsigned)type);
    if (n < 0 || (size_t)n >= cap)
        return TB_ESPACE;
    return n;
}

static const struct {
    uint16_t code;
    const char *name;
} classes[] = {
    {DNS_CLASS_IN, "IN"},     {DNS_CLASS_CH, "CH"},   {DNS_CLASS_HS, "HS"},
    {DNS_CLASS_NONE, "NONE"}, {DNS_CLASS_ANY, "ANY"},
};

int dns_class_from_text(const char *txt, size_t len, uint16_t *rclass)
{
    size_t i;

    for (i = 0; i < TB_ARRAY_SIZE(classes); i++) {
        if (eq_ci(txt, len, classes[i].name)) {
            *rclass = classes[i].code;
            return 0;
        }
    }
    return generic(txt, len, "CLASS", rclass);
}

int dns_class_to_text(uint16_t rclass, char *buf, size_t cap)
{
    size_t i;
    int n = -1;

    for (i = 0; i < TB_ARRAY_SIZE(classes); i++)
        if (classes[i].code == rclass)
            n = snprintf(buf, cap, "%s", classes[i].name);
    if (n == -1)
        n = snprintf(buf, cap, "CLASS%u", (unsigned)rclass);
    if (n < 0 || (size_t)n >= cap)
        return TB_ESPACE;
    return n;
}

/*
 * RFC 1035 gives TTLs as decimal seconds; BIND introduced units (w d h m s,
 * any case, in any order, each optional) and NSD and Knot accept them too.
 * A unit must follow digits; either every number has a unit or there is
 * one bare number ("1h30" is refused, as Knot does; NSD reads 5430).
 */
int dns_ttl_from_text(const char *txt, size_t len, uint32_t *ttl)
{
    uint64_t total = 0, num = 0;
    bool digits = false, any_unit = false;
    size_t i;

    if (len == 0)
        return TB_EINVAL;
    for (i = 0; i < len; i++) {
        char c = txt[i];
        uint64_t mul;

        if (c >= '0' && c <= '9') {
            num = num * 10 + (uint64_t)(c - '0');
            if (num > UINT32_MAX)
                return TB_ERANGE;
            digits = true;
            continue;
        }
        switch (upper((unsigned char)c)) {
        case 'S':
            mul = 1;
            break;
        case 'M':
            mul = 60;
            break;
        case 'H':
            mul = 3600;
            break;
        case 'D':
            mul = 86400;
            break;
        case 'W':
            mul = 604800;
            break;
        default:
            return TB_EINVAL;
        }
        if (!digits)
            return TB_EINVAL;
        total += num * mul;
        if (total > UINT32_MAX)
            return TB_ERANGE;
        num = 0;
        digits = false;
        any_unit = true;
    }
    /* "1h1": a bare number after a unit is refused, as Knot does. */
    if ((!digits && !any_unit) || (digits && any_unit))
        return TB_EINVAL;
    total += num;
    if (total > UINT32_MAX)
        return TB_ERANGE;
    *ttl = (uint32_t)total;
    return 0;
}
