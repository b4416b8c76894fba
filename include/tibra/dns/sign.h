/*
 * dns/sign.h -- DNSSEC signing of a checked zone (RFC 4033-4035, RFC
 * 5155), sans-I/O: the caller reads keys and zone text, lib/dns adds
 * DNSKEY, the NSEC or NSEC3 chain (with NSEC3PARAM) and RRSIGs to a
 * struct dns_zone_src, deterministically (same zone, keys, times and
 * parameters -> the same records, byte for byte).
 *
 * lib/dns/sign.c (the zone: chain, canonical form, RRSIGs) and
 * lib/dns/sign_key.c (keys: BIND key files in and out, generation, key
 * tags, DS).  Cryptography is BearSSL's (libbearssl-dev): ECDSA P-256
 * with SHA-256 (algorithm 13) through br_ecdsa_i31_sign_raw, whose nonce
 * is RFC 6979's deterministic one (tests/unit/test_sign.c checks RFC 6979
 * A.2.5), and RSA PKCS#1 v1.5 with SHA-256 (algorithm 8), deterministic by
 * construction.  Ed25519 (algorithm 15) is not supported (docs/DESIGN.md
 * "sign").  Cold path: everything allocates through the zone's allocator.
 */
#ifndef DNS_SIGN_H
#define DNS_SIGN_H
#include <tibra/dns.h>

#define DNS_ALG_RSASHA256       8
#define DNS_ALG_ECDSAP256SHA256 13
#define DNS_DNSKEY_ZSK          256 /* flags: Zone Key */
#define DNS_DNSKEY_KSK          257 /* flags: Zone Key + SEP */

/* RSA moduli accepted: 1024..4096 bits (RFC 8624 3.1 and practice). */
#define DNS_SIGN_RSA_MINBITS 1024
#define DNS_SIGN_RSA_MAXBITS 4096
#define DNS_SIGN_RSA_MAXLEN  (DNS_SIGN_RSA_MAXBITS / 8)
/* Largest DNSKEY rdata we make: flags, protocol, algorithm, RFC 3110 key. */
#define DNS_SIGN_DNSKEY_MAXLEN (4 + 3 + 4 + DNS_SIGN_RSA_MAXLEN)
/* Largest signature: an RSA modulus. */
#define DNS_SIGN_SIG_MAXLEN DNS_SIGN_RSA_MAXLEN

/*
 * One signing key: its DNSKEY rdata (public), key tag (RFC 4034 B) and
 * private half.  Fields are read-only to callers; (priv_*) is private and
 * MUST be wiped with dns_sign_key_wipe() when done.
 */
struct dns_sign_key {
    uint8_t alg; /* DNS_ALG_* */
    uint16_t flags; /* DNS_DNSKEY_ZSK or DNS_DNSKEY_KSK */
    uint16_t tag;
    unsigned bits; /* RSA modulus bits; 256 for P-256 */
    uint8_t dnskey[DNS_SIGN_DNSKEY_MAXLEN]; /* DNSKEY rdata */
    size_t dnskey_len;
    /* private: P-256 scalar (32 bytes) or RSA p, q, dp, dq, iq, each at
     * (priv_off[i]) with length (priv_len[i]). */
    uint8_t priv[5 * (DNS_SIGN_RSA_MAXLEN / 2 + 8)];
    size_t priv_off[5], priv_len[5];
};

/* Zeroes the private half (and everything else) of (k). */
TB_API void dns_sign_key_wipe(struct dns_sign_key *k);

/* Key tag (RFC 4034 Appendix B) of the DNSKEY rdata (rdata, len). */
TB_API uint16_t dns_sign_key_tag(const uint8_t *rdata, size_t len);

/*
 * Generates a key of (alg) (DNS_ALG_ECDSAP256SHA256, or DNS_ALG_RSASHA256
 * with (bits) in DNS_SIGN_RSA_MINBITS..MAXBITS, public exponent 65537)
 * with (flags) into (k), from BearSSL's key generators over an HMAC-DRBG
 * (SHA-256) seeded with (seed, seedlen), which the caller MUST take from
 * the system's random source (at least 32 bytes; getrandom(2) in the
 * tool).  Returns 0, TB_EINVAL (algorithm, size, flags or a short seed),
 * or TB_EIO if BearSSL refused.
 */
TB_API int dns_sign_key_generate(struct dns_sign_key *k, uint8_t alg,
                                 uint16_t flags, unsigned bits,
                                 const uint8_t *seed, size_t seedlen);

/*
 * Reads a BIND key pair (untrusted text): (pub, publen), the "K*.key" file
 * named (pubfile) -- comments and one DNSKEY record of (origin) -- and
 * (priv, privlen), the "K*.private" file named (privfile) --
 * "Private-key-format: v1.x", "Algorithm: N", then PrivateKey (alg 13) or
 * Modulus, PublicExponent, PrivateExponent, Prime1, Prime2, Exponent1,
 * Exponent2, Coefficient (alg 8).  The private half MUST match the DNSKEY
 * (the public key is recomputed from it and compared).  Errors go to (d)
 * as FILE:LINE: message.  (a) is scratch for the DNSKEY record's parse.
 * Returns 0 with (k) filled, TB_EMALF (reported), TB_ENOTSUP (another
 * algorithm, reported) or TB_ENOMEM.  (k) is wiped on error.
 */
TB_API int dns_sign_key_read(struct dns_sign_key *k, const uint8_t *origin,
                             const char *pub, size_t publen,
                             const char *pubfile, const char *priv,
                             size_t privlen, const char *privfile,
                             const struct tb_alloc *a, struct dns_diag *d);

/*
 * Writes (k) as BIND files of zone (origin): the public record "ORIGIN
 * IN DNSKEY ..." with a comment line (into (pub, pubcap)) and the private
 * key in "Private-key-format: v1.3" (into (priv, privcap)), NUL
 * terminated.  Returns 0 or TB_ESPACE.  (priv) holds secrets: the caller
 * wipes it.
 */
TB_API int dns_sign_key_write(const struct dns_sign_key *k,
                              const uint8_t *origin, char *pub, size_t pubcap,
                              char *priv, size_t privcap);

/*
 * DS rdata (RFC 4034 5.1, digest type 2: SHA-256, RFC 4509) of the DNSKEY
 * rdata (dnskey, len) of zone (origin) into (out), 36 bytes.  Returns 36.
 */
#define DNS_DS_SHA256_LEN 36
TB_API size_t dns_sign_ds(const uint8_t *origin, const uint8_t *dnskey,
                          size_t len, uint8_t out[DNS_DS_SHA256_LEN]);

/* How a zone is signed. */
struct dns_sign_params {
    const struct dns_sign_key *keys; /* at least one */
    size_t nkeys;
    uint32_t inception, expiration; /* UNIX seconds (RFC 4034 3.1.5) */
    bool nsec3; /* NSEC3 (RFC 5155) instead of NSEC */
    bool optout; /* NSEC3 opt-out: insecure delegations left out */
    uint16_t iterations; /* NSEC3 extra iterations (RFC 9276: 0) */
    uint8_t saltlen; /* NSEC3 salt (RFC 9276: none) */
    uint8_t salt[255];
};

/*
 * Signs (z), which MUST have passed dns_zone_check() and MUST NOT
 * contain RRSIG, NSEC, NSEC3 or NSEC3PARAM records (reported through (d)
 * at their FILE:LINE: tibra signs unsigned zones; DNSKEY records already
 * at the apex are kept, published beside (p)'s keys).  Adds:
 *   - the DNSKEY RRset at the apex ((p)'s keys, TTL of the SOA);
 *   - NSEC at every authoritative name and delegation, or NSEC3 at
 *     their hashes and those of empty non-terminals (opt-out: not for
 *     delegations without DS), and NSEC3PARAM (TTL 0) at the apex; their
 *     TTL is the smaller of the SOA's TTL and minimum (RFC 9077);
 *   - an RRSIG by every applicable key over every authoritative RRset:
 *     at delegations only DS and NSEC, below them (glue) nothing; per
 *     algorithm, when it has both KSKs and ZSKs, the KSKs sign DNSKEY,
 *     CDS and CDNSKEY and the ZSKs the rest, else its keys sign all
 *     (RFC 6840 5.11: every algorithm signs every RRset).
 * Then (z) is in canonical order again (as after dns_zone_check()).
 * Returns 0, TB_EINVAL (no keys, expiration not after inception, an
 * NSEC3 hash collision), TB_ESEMANTIC (reported), or TB_ENOMEM; on error
 * (z) MUST be freed, not used.
 */
TB_API int dns_sign_zone(struct dns_zone_src *z,
                         const struct dns_sign_params *p, struct dns_diag *d);

/*
 * Signs the SHA-256 digest (hash) with (k) into (sig, DNS_SIGN_SIG_MAXLEN).
 * Returns the signature length (64 for P-256, r || s; the modulus length
 * for RSA) or TB_EIO.
 */
TB_API int dns_sign_digest(const struct dns_sign_key *k, const uint8_t hash[32],
                           uint8_t *sig);

/*
 * Verifies signature (sig, len) of the SHA-256 digest (hash) with the
 * public half of (k).  Returns true when it is (k)'s signature of (hash).
 */
TB_API bool dns_sign_verify_digest(const struct dns_sign_key *k,
                                   const uint8_t hash[32], const uint8_t *sig,
                                   size_t len);

/* ---- online signing (tibra-dnsd): signatures kept where they can be ---- */

/* What dns_sign_resign() did. */
struct dns_sign_stats {
    size_t made; /* RRSIGs made (signing operations) */
    size_t kept; /* RRSIGs carried over */
    uint32_t expire_min; /* earliest expiration of the zone's RRSIGs */
};

/*
 * Signs (z) again, at the cost of what changed: (z) MUST have passed
 * dns_zone_check() and MAY hold RRSIG, NSEC, NSEC3 and NSEC3PARAM records
 * (a signed version with an update applied, a zone file tibra-dnsd
 * wrote): they are taken out, the DNSKEY RRset and the NSEC or NSEC3
 * chain are made again from the data (as dns_sign_zone() does: O(zone)
 * hashing, no signing), and every RRset that dns_sign_zone() signs gets,
 * per applicable key of (p), either
 *   - an RRSIG carried over: one by that key (algorithm, tag), signer the
 *     apex, inception not after (now), expiration after
 *     (refresh_at), over an RRset equal byte for byte (TTLs, rdata) to
 *     the one it had in (prev), the previous signed version (MAY be NULL:
 *     then (z)'s own RRSIGs are the candidates, and one is kept only if
 *     it verifies against the RRset with the key's public half); or
 *   - a new RRSIG, inception and expiration (p)'s.
 * So RRsets an update did not touch keep their signatures, chain records
 * that did not change keep theirs, and signatures of keys no longer in
 * (p) are dropped.  (prev)'s records are read only.  (st) (MAY be NULL)
 * gets the counts and the earliest expiration in the result (the driver
 * re-signs before it).  Returns as dns_sign_zone(), and TB_EINVAL when
 * (p)'s expiration is not after (refresh_at).
 */
TB_API int dns_sign_resign(struct dns_zone_src *z,
                           const struct dns_zone_src *prev,
                           const struct dns_sign_params *p, uint32_t now,
                           uint32_t refresh_at, struct dns_sign_stats *st,
                           struct dns_diag *d);

/*
 * The next version of signed zone (prev) with its signatures refreshed:
 * (out) (initialised here with (a); the caller frees it in every case)
 * gets (prev)'s records without RRSIG and chain, the apex SOA's serial set
 * to (serial), and is signed by dns_sign_resign(out, prev, ...): the
 * signatures expiring before (refresh_at), and the SOA's, are made again.
 * With (verify), (prev) is not trusted (read from files at start-up): its
 * RRSIGs and chain are copied too and dns_sign_resign(out, NULL, ...) keeps
 * only those that verify.
 */
TB_API int dns_sign_refresh(const struct dns_zone_src *prev, uint32_t serial,
                            struct dns_zone_src *out,
                            const struct dns_sign_params *p, uint32_t now,
                            uint32_t refresh_at, bool verify,
                            struct dns_sign_stats *st, const struct tb_alloc *a,
                            struct dns_diag *d);

#endif /* DNS_SIGN_H */
