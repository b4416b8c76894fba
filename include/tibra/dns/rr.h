/*
 * dns/rr.h -- resource-record types and classes: the type table (code,
 * mnemonic, rdata field layout, properties), mnemonic <-> code for types
 * (RFC 3597 TYPEnnn) and classes (IN CH HS CLASSnnn), and rdata in
 * presentation form <-> uncompressed wire form.
 *
 * lib/dns/rrtype.c holds the tables; lib/dns/rdata_text.c parses rdata
 * text (one record's tokens, as the zone lexer cut them), and
 * lib/dns/rdata_text_fmt.c prints the canonical presentation form used by
 * zone dumps, tools and the golden tests (the form NSD and Knot print:
 * hex upper case, base64 in one run, RRSIG times as YYYYMMDDHHmmSS, unknown
 * types as RFC 3597 "\# len hex").
 *
 * Cold path: nothing here allocates; everything works in caller buffers.
 */
#ifndef DNS_RR_H
#define DNS_RR_H
#include <tibra/dns.h>

/*
 * Rdata field kinds.  A type's layout is a sequence of these, ended by
 * DNS_RDF_END (an empty layout means "opaque": only RFC 3597 generic text).
 * Kinds marked "rest" consume the rest of the rdata and come last.
 */
enum dns_rdf {
    DNS_RDF_END = 0,
    DNS_RDF_NAME, /* domain name, compressible (RFC 3597 4) */
    DNS_RDF_NAME_NC, /* domain name, never compressed on the wire */
    DNS_RDF_U8, /* decimal 0..255 */
    DNS_RDF_U16, /* decimal 0..65535 */
    DNS_RDF_U32, /* decimal 0..4294967295 */
    DNS_RDF_TTL, /* u32, decimal or with units (1h30m, RFC 2308) */
    DNS_RDF_ALG, /* u8 DNSSEC algorithm, number or mnemonic */
    DNS_RDF_CERTTYPE, /* u16 CERT type, number or mnemonic (RFC 4398) */
    DNS_RDF_TYPE, /* u16 RR type mnemonic (RRSIG type covered) */
    DNS_RDF_TIME, /* u32 YYYYMMDDHHmmSS or decimal (RFC 4034 3.2) */
    DNS_RDF_A, /* 4 bytes, dotted quad */
    DNS_RDF_AAAA, /* 16 bytes, RFC 4291 2.2 text */
    DNS_RDF_STR, /* one <character-string> (length byte) */
    DNS_RDF_STRS, /* rest: one or more <character-string>s (TXT) */
    DNS_RDF_STR_REST, /* rest: one string, no length byte (CAA value) */
    DNS_RDF_CAATAG, /* CAA tag: length byte + [A-Za-z0-9]+ */
    DNS_RDF_HEX, /* rest: hex, may span tokens, at least one byte */
    DNS_RDF_HEX0, /* rest: hex, may be empty */
    DNS_RDF_B64, /* rest: base64, may span tokens */
    DNS_RDF_SALT, /* length byte + hex, "-" for empty (RFC 5155 3.3) */
    DNS_RDF_B32, /* length byte + base32hex (RFC 5155 3.3, 4648) */
    DNS_RDF_BITMAP, /* rest: type bitmap, may be empty (RFC 4034 4.1.2) */
    DNS_RDF_SVCPARAMS, /* rest: SvcParams (RFC 9460 2.1) */
    DNS_RDF_LOC, /* the whole LOC rdata (RFC 1876 3) */
    DNS_RDF_EUI48, /* 6 bytes xx-xx-xx-xx-xx-xx (RFC 7043) */
    DNS_RDF_EUI64, /* 8 bytes xx-...-xx */
    DNS_RDF_ILNP64, /* 8 bytes xxxx:xxxx:xxxx:xxxx (RFC 6742) */
    DNS_RDF_APL, /* rest: APL items [!]afi:address/prefix (RFC 3123) */
    DNS_RDF_IPSECKEY, /* gateway type, algorithm, gateway, key (RFC 4025) */
    DNS_RDF_COUNT
};

/* Type properties (dns_rrtype.flags). */
#define DNS_RRT_COMPRESS 0x01 /* rdata names compressible (RFC 3597 4) */
#define DNS_RRT_CANON                                                          \
    0x02 /* names lowercased in canonical form                                 \
            (RFC 4034 6.2, RFC 6840 5.1) */
#define DNS_RRT_META     0x04 /* meta/query type: never in a zone */
#define DNS_RRT_OBSOLETE 0x08 /* obsolete; accepted, generic layout */
#define DNS_RRT_DNSSEC                                                         \
    0x10 /* RRSIG, NSEC: may sit beside a CNAME                                \
            (RFC 4035 2.5) */

#define DNS_RDF_MAX 10
struct dns_rrtype {
    uint16_t code;
    uint8_t flags; /* DNS_RRT_* */
    uint8_t rdf[DNS_RDF_MAX]; /* enum dns_rdf, DNS_RDF_END-terminated */
    const char *name; /* mnemonic, upper case */
};

/*
 * Returns the table entry for (type), or NULL for a type with no mnemonic
 * (then only TYPEnnn and the RFC 3597 generic rdata form apply).
 */
TB_API const struct dns_rrtype *dns_rrtype_get(uint16_t type);

/*
 * Parses a type mnemonic (case-insensitive) or RFC 3597 "TYPEnnn" from
 * (txt, len) into (*type).  Returns 0 or TB_EINVAL (unknown mnemonic, or
 * nnn not a decimal 0..65535).
 */
TB_API int dns_type_from_text(const char *txt, size_t len, uint16_t *type);

/*
 * Writes the mnemonic of (type), or "TYPEnnn", with a NUL into (buf, cap).
 * Returns the length (without NUL) or TB_ESPACE.  16 bytes always suffice.
 */
TB_API int dns_type_to_text(uint16_t type, char *buf, size_t cap);

/* Class mnemonics IN CH HS NONE ANY, or RFC 3597 "CLASSnnn"; as above. */
TB_API int dns_class_from_text(const char *txt, size_t len, uint16_t *rclass);
TB_API int dns_class_to_text(uint16_t rclass, char *buf, size_t cap);

/*
 * Parses a TTL: decimal seconds, or units w d h m s in any case and order
 * ("1h30m", "2W"), as BIND, NSD and Knot accept.  Returns 0 and the value
 * in (*ttl), or TB_EINVAL (not a TTL) / TB_ERANGE (over 2^32-1).
 */
TB_API int dns_ttl_from_text(const char *txt, size_t len, uint32_t *ttl);

/*
 * One presentation token of a record's rdata, as the zone lexer cut it.
 * (s, len) is the raw text: escapes are NOT interpreted (that depends on
 * the field: "\." is a literal dot in a name label, a plain "." in a
 * string), and a quoted token excludes its quotes.  DNS_TOK_QUOTED says it
 * was quoted; DNS_TOK_JOINED that no blank separated it from the token
 * before (svcb: key="value").
 */
#define DNS_TOK_QUOTED 0x1
#define DNS_TOK_JOINED 0x2
struct dns_tok {
    const char *s;
    uint32_t len;
    uint16_t flags;
    uint16_t pad_; /* private */
    uint32_t line; /* line the token starts on, for messages */
};

/*
 * Where and why rdata text was refused: (msg) a static sentence, (tok) the
 * index of the offending token (== ntok when tokens ran out).
 */
struct dns_rdata_err {
    const char *msg;
    size_t tok;
};

/* Largest uncompressed rdata. */
#define DNS_RDATA_MAXLEN 65535

/*
 * Parses the rdata of one record of (type) from tokens (t, ntok) into
 * (out, cap) as uncompressed wire form, relative names completed with
 * (origin) (trusted wire name; MAY be NULL, then relative names fail).
 * RFC 3597 "\# len hex" is accepted for every type.  Returns 0 and the
 * length in (*outlen), or TB_EMALF (bad field, too few or too many
 * tokens), TB_ERANGE (a number or length out of range), TB_ESPACE (over
 * (cap) or DNS_RDATA_MAXLEN); then (*e) says which token and why.
 * (e) MAY be NULL.  (out) is unspecified on error.
 */
TB_API int dns_rdata_from_text(uint16_t type, const struct dns_tok *t,
                               size_t ntok, const uint8_t *origin, uint8_t *out,
                               size_t cap, size_t *outlen,
                               struct dns_rdata_err *e);

/*
 * Writes the canonical presentation form of the rdata (rdata, rdlen) of
 * (type) with a NUL into (buf, cap); names absolute.  Rdata that does not
 * match the type's layout (or a type without one) is written as RFC 3597
 * "\# len hex".  Returns the length (without NUL) or TB_ESPACE.  A record
 * of a few hundred bytes needs a few KiB; DNS_RDATA_TEXT_MAX always
 * suffices (a full type bitmap spells 65536 mnemonics).
 */
#define DNS_RDATA_TEXT_MAX (11 * 65536 + 64)
TB_API int dns_rdata_to_text(uint16_t type, const uint8_t *rdata, size_t rdlen,
                             char *buf, size_t cap);

/*
 * Validates uncompressed wire rdata (rdata, rdlen) against (type)'s layout:
 * names well formed, fixed fields present, strings and bitmaps within
 * bounds, nothing left over.  Types without a layout are always valid.
 * Returns 0 or TB_EMALF.
 */
TB_API int dns_rdata_check(uint16_t type, const uint8_t *rdata, size_t rdlen);

/*
 * Compares the rdata (a, alen) and (b, blen) of (type) in canonical order
 * (RFC 4034 6.3): as octet strings, with the embedded names of the types
 * RFC 4034 6.2 lists (as RFC 6840 5.1 amends it) lower-cased.  Rdata not
 * matching its layout compares as plain bytes.  Returns -1, 0 or 1; 0
 * means the two are the same record (RFC 2181 5 duplicates).
 */
TB_API int dns_rdata_cmp(uint16_t type, const uint8_t *a, size_t alen,
                         const uint8_t *b, size_t blen);

/*
 * Writes the canonical form (RFC 4034 6.2, as RFC 6840 5.1 amends it) of
 * the rdata (rdata, rdlen) of (type) into (out), which MUST have room for
 * (rdlen) bytes: the same bytes with the embedded names of the listed
 * types lower-cased; rdata not matching its layout is copied unchanged
 * (the form dns_rdata_cmp() orders).  What DNSSEC signatures cover.
 */
TB_API void dns_rdata_canon(uint16_t type, const uint8_t *rdata, size_t rdlen,
                            uint8_t *out);

#endif /* DNS_RR_H */
