/*
 * dns/name.h -- domain names in uncompressed wire form (RFC 1035 3.1):
 * a sequence of length-prefixed labels ending with the root label 0.
 * At most DNS_NAME_MAXLEN (255) bytes including the final 0, labels at
 * most 63 bytes.  Names that have passed dns_name_unpack(),
 * dns_name_check() or dns_name_from_text() are trusted by every other
 * function here (they only assert).
 *
 * lib/dns/name.c implements the wire functions, lib/dns/name_text.c the
 * presentation-form ones.
 */
#ifndef DNS_NAME_H
#define DNS_NAME_H
#include <tibra/dns.h>

/*
 * Reads the possibly compressed name at (msg)[(off)] out of the message
 * (msg, msglen) into (out), which MUST hold DNS_NAME_MAXLEN bytes.  Every
 * compression pointer MUST point strictly before the label that holds it
 * (RFC 1035 4.1.4; this also bounds the walk), and at most 127 pointers
 * are followed.  Labels of type 01/10 (RFC 6891 6.2 / 2673) are refused.
 * On success returns 0, the name's length in (*outlen) and in (*next) the
 * offset just past the name as it sits in the message (after the first
 * pointer, if any).  Errors: TB_ETRUNC (ran off the message), TB_EMALF
 * (bad label type, name over 255 bytes, forward pointer), TB_ELOOP.
 * (out) is left unspecified on error.
 */
TB_API int dns_name_unpack(const uint8_t *msg, size_t msglen, size_t off,
                           uint8_t *out, size_t *outlen, size_t *next);

/*
 * Validates an uncompressed wire name of at most (maxlen) bytes at (name).
 * Returns its length (>= 1), or TB_ETRUNC / TB_EMALF.
 */
TB_API int dns_name_check(const uint8_t *name, size_t maxlen);

/* Length of a trusted name, including the root label. */
TB_API size_t dns_name_len(const uint8_t *name);
/* Number of labels, not counting the root (root -> 0). */
TB_API unsigned dns_name_labels(const uint8_t *name);
/* True if (a) and (b) are equal ignoring ASCII case (RFC 4343). */
TB_API bool dns_name_equal(const uint8_t *a, const uint8_t *b);
/* True if (name) is (parent) or below it (ASCII case-insensitive). */
TB_API bool dns_name_is_sub(const uint8_t *name, const uint8_t *parent);
/* Canonical order, RFC 4034 6.1: <0, 0 or >0.  Case-insensitive. */
TB_API int dns_name_cmp(const uint8_t *a, const uint8_t *b);
/* Lowercases ASCII letters in place. */
TB_API void dns_name_lower(uint8_t *name);
/* Pointer to the name with the first (n) labels removed (n <= labels). */
TB_API const uint8_t *dns_name_skip(const uint8_t *name, unsigned n);
/* True if the first label is exactly "*" (RFC 4592). */
TB_API bool dns_name_is_wildcard(const uint8_t *name);

/*
 * Parses the presentation form (txt, len) -- labels separated by '.',
 * escapes \X and \DDD (RFC 1035 5.1), "@" for the origin -- into (out),
 * which MUST hold DNS_NAME_MAXLEN bytes.  A name not ending in an unescaped
 * '.' is relative and gets (origin) appended; (origin) MAY be NULL, and
 * then a relative name is TB_EINVAL.  Returns 0 and the length in
 * (*outlen), or TB_EMALF (empty label, bad escape), TB_ERANGE (label > 63
 * or name > 255 bytes), TB_EINVAL.
 */
TB_API int dns_name_from_text(const char *txt, size_t len,
                              const uint8_t *origin, uint8_t *out,
                              size_t *outlen);

/*
 * Writes the absolute presentation form of (name) (ending in '.'; the root
 * is ".") into (buf, cap) with a terminating NUL.  Characters outside
 * printable ASCII are written as \DDD, and . \ " ( ) ; @ $ and space are
 * escaped with a backslash.  Returns the length written (without the NUL),
 * or TB_ESPACE; DNS_NAME_TEXT_MAX always suffices.
 */
#define DNS_NAME_TEXT_MAX (4 * DNS_NAME_MAXLEN + 2)
TB_API int dns_name_to_text(const uint8_t *name, char *buf, size_t cap);

#endif /* DNS_NAME_H */
