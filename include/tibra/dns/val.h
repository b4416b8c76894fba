/*
 * dns/val.h -- DNSSEC validation primitives (RFC 4033-4035, 5155, 6840,
 * 9276), sans-I/O: RRsets, signatures, keys and denial records in, a state
 * and a reason out.  No clock (the caller passes UNIX seconds), no
 * allocation (the caller passes a scratch buffer), no I/O.
 *
 * lib/dns/val.c: RRSIG/DNSKEY/DS parsing, key tags, canonical signed data
 * and signature checks; val_chain.c: DNSKEY RRsets against DS sets, trust
 * anchors; val_denial.c: NSEC and NSEC3 proofs.  RSA (algorithms 8, 10),
 * ECDSA (13, 14) and the digests are BearSSL's; Ed25519 (15) is verified
 * by a function the driver supplies (struct dns_val_conf), libsodium's in
 * hosted programs; without one, algorithm 15 is unsupported.
 */
#ifndef DNS_VAL_H
#define DNS_VAL_H
#include <tibra/dns.h>

/* RFC 4035 4.3 states. */
enum dns_val_state {
    DNS_VAL_SECURE = 1,
    DNS_VAL_INSECURE,
    DNS_VAL_BOGUS,
    DNS_VAL_INDETERMINATE
};

/*
 * Why a state is what it is.  dns_val_ede() maps a reason to its RFC 8914
 * Extended DNS Error code.
 */
enum dns_val_reason {
    DNS_VAL_R_OK = 0,
    DNS_VAL_R_MALFORMED, /* rdata that does not parse */
    DNS_VAL_R_NO_SIG, /* no RRSIG covers the RRset (EDE 10) */
    DNS_VAL_R_NO_KEY, /* no DNSKEY matches signer/alg/tag (EDE 9) */
    DNS_VAL_R_BAD_SIG, /* the signature does not verify (EDE 6) */
    DNS_VAL_R_EXPIRED, /* now after expiration (EDE 7) */
    DNS_VAL_R_NOT_YET, /* now before inception (EDE 8) */
    DNS_VAL_R_LABELS, /* RRSIG labels over the owner's (EDE 6) */
    DNS_VAL_R_SIGNER, /* signer not the zone / not above the owner */
    DNS_VAL_R_UNSUP_ALG, /* only unsupported algorithms (EDE 1) */
    DNS_VAL_R_UNSUP_DIGEST, /* only unsupported DS digests (EDE 2) */
    DNS_VAL_R_DS_MISMATCH, /* no DNSKEY matches a DS (EDE 9) */
    DNS_VAL_R_TOO_BIG, /* RRset over the scratch or record limit */
    DNS_VAL_R_NO_PROOF, /* denial records do not prove it (EDE 12) */
    DNS_VAL_R_NSEC3_ITER, /* NSEC3 iterations over the limit (EDE 27) */
    DNS_VAL_R_COUNT
};

/* RFC 8914 INFO-CODE for (reason), or -1 when there is none. */
TB_API int dns_val_ede(enum dns_val_reason reason);
/* Short text for (reason) ("signature expired"), never NULL. */
TB_API const char *dns_val_reason_str(enum dns_val_reason reason);

/* DNSSEC algorithm numbers (RFC 8624) and DS digest types. */
#define DNS_ALG_RSASHA256       8
#define DNS_ALG_RSASHA512       10
#define DNS_ALG_ECDSAP256SHA256 13
#define DNS_ALG_ECDSAP384SHA384 14
#define DNS_ALG_ED25519         15
#define DNS_DS_SHA1             1
#define DNS_DS_SHA256           2
#define DNS_DS_SHA384           4

#define DNS_DNSKEY_F_ZONE   0x0100 /* RFC 4034 2.1.1 */
#define DNS_DNSKEY_F_SEP    0x0001
#define DNS_DNSKEY_F_REVOKE 0x0080 /* RFC 5011 7 */

/* RFC 9276 3.2: NSEC3 iterations above this make a denial insecure (as
 * Unbound 1.17's val-nsec3-keysize-iterations and BIND 9.18 do). */
#define DNS_VAL_NSEC3_ITER_MAX 150
/* Failed signature verifications (crypto run, signature wrong) after
 * which dns_val_rrset() and dns_val_dnskey() give up: BOGUS, BAD_SIG.
 * KeyTrap (CVE-2023-50387): colliding key tags times many RRSIGs must
 * not buy an attacker unbounded CPU. */
#define DNS_VAL_CRYPTO_FAIL_MAX 8
/* Records in one RRset that are verified; more is DNS_VAL_R_TOO_BIG. */
#define DNS_VAL_RRSET_MAX 256

/*
 * Verifies an Ed25519 signature (sig, 64 bytes) of (msg, len) by the
 * public key (pk, 32 bytes).  Returns true when valid.
 */
typedef bool (*dns_val_ed25519_fn)(const uint8_t *sig, const uint8_t *msg,
                                   size_t len, const uint8_t *pk);

/*
 * Scratch an RRset needs: its canonical rdatas, then the signed data
 * (RRSIG fields and signer, then owner + 10 bytes + rdata per record):
 * 2 x (sum of rdata lengths) + 18 + 255 + n x (owner length + 10).
 * DNS_VAL_SCRATCH_MAX covers any RRset of one message (rdata at most
 * 65535 bytes in all, DNS_VAL_RRSET_MAX records of 255-byte owners).
 */
#define DNS_VAL_SCRATCH_MAX                                                    \
    (2 * 65535 + 18 + 255 + DNS_VAL_RRSET_MAX * (255 + 10))

/*
 * What a validation needs from its caller.  (scratch, scratch_len) holds
 * the canonical signed data of one RRset (its size bounds the RRsets that
 * can be validated: DNS_VAL_R_TOO_BIG past it; DNS_VAL_SCRATCH_MAX always
 * suffices, 72 KB does for RRsets of modest owners).  (now) is UNIX
 * seconds (compared by RFC 1982 serial arithmetic, RFC 4034 3.1.5).
 * (ed25519) MAY be NULL.  (nsec3_iter_max) 0 means DNS_VAL_NSEC3_ITER_MAX.
 * (budget), when not NULL, counts down the signature verifications
 * (crypto) allowed: at 0 a signature is not checked but reported not to
 * verify (a resolver's bound per client query, beside the per-RRset
 * DNS_VAL_CRYPTO_FAIL_MAX: KeyTrap).
 */
struct dns_val_conf {
    uint8_t *scratch;
    size_t scratch_len;
    uint32_t now;
    dns_val_ed25519_fn ed25519;
    uint16_t nsec3_iter_max;
    unsigned *budget;
};

/*
 * An RRset as the validator reads it: owner (a trusted wire name, any
 * case), type, class, and (n) rdatas (uncompressed wire form).  Duplicates
 * are removed in the signed data (RFC 4034 6.3).
 */
struct dns_val_rdata {
    const uint8_t *p;
    uint16_t len;
};
struct dns_val_rrset {
    const uint8_t *owner;
    uint16_t type;
    uint16_t rclass;
    size_t n;
    const struct dns_val_rdata *rd;
};

/* RRSIG rdata, parsed (RFC 4034 3.1); pointers into the rdata. */
struct dns_val_rrsig {
    uint16_t covered;
    uint8_t alg;
    uint8_t labels;
    uint32_t orig_ttl;
    uint32_t expiration;
    uint32_t inception;
    uint16_t keytag;
    const uint8_t *signer; /* checked wire name */
    size_t signer_len;
    const uint8_t *sig;
    size_t sig_len;
};
/* DNSKEY rdata, parsed (RFC 4034 2.1). */
struct dns_val_dnskey {
    uint16_t flags;
    uint8_t protocol;
    uint8_t alg;
    uint16_t keytag;
    const uint8_t *key;
    size_t key_len;
};
/* DS rdata, parsed (RFC 4034 5.1). */
struct dns_val_ds {
    uint16_t keytag;
    uint8_t alg;
    uint8_t digest_type;
    const uint8_t *digest;
    size_t digest_len;
};

/*
 * Parse (rdata, len) of an RRSIG, DNSKEY or DS into (*out), which then
 * points into (rdata).  Return 0 or TB_EMALF (short, a bad signer name,
 * empty signature or key, a DS digest not of its type's length).
 */
TB_API int dns_val_rrsig_parse(const uint8_t *rdata, size_t len,
                               struct dns_val_rrsig *out);
TB_API int dns_val_dnskey_parse(const uint8_t *rdata, size_t len,
                                struct dns_val_dnskey *out);
TB_API int dns_val_ds_parse(const uint8_t *rdata, size_t len,
                            struct dns_val_ds *out);

/* The key tag of DNSKEY rdata (rdata, len) (RFC 4034 Appendix B; the
 * algorithm 1 special case is not implemented: algorithm 1 is not
 * supported). */
TB_API uint16_t dns_val_keytag(const uint8_t *rdata, size_t len);

/* True when algorithm (alg) can be verified under (conf). */
TB_API bool dns_val_alg_supported(const struct dns_val_conf *conf, uint8_t alg);
/* True when DS digest type (dt) is supported (1, 2, 4). */
TB_API bool dns_val_digest_supported(uint8_t dt);

/*
 * Checks one signature: RRSIG rdata (rrsig, rrsig_len) over (set) with
 * the DNSKEY rdata (key, key_len) of zone (zone).  Checks, in order: the
 * RRSIG parses, covers (set)'s type, its signer equals (zone) and is at
 * or above the owner, labels not over the owner's, the key's algorithm,
 * protocol 3, ZONE flag, no REVOKE flag and key tag match the RRSIG, the
 * validity window at (conf)->now, then the signature over the RFC 4034
 * 3.1.8.1 signed data (owner lowercased and rebuilt as a wildcard from
 * the labels count, original TTL, rdatas in canonical form and order).
 * Returns DNS_VAL_R_OK or the reason it fails.
 */
TB_API enum dns_val_reason dns_val_verify(const struct dns_val_conf *conf,
                                          const struct dns_val_rrset *set,
                                          const uint8_t *rrsig,
                                          size_t rrsig_len, const uint8_t *zone,
                                          const uint8_t *key, size_t key_len);

/*
 * Validates (set) with its RRSIGs (sigs, nsigs: RRSIG rdatas; those not
 * covering the type are ignored) against the DNSKEY RRset (keys, nkeys)
 * of zone (zone), already secure.  SECURE when one signature verifies;
 * otherwise BOGUS with the most telling reason -- or INSECURE
 * (DNS_VAL_R_UNSUP_ALG) when every RRSIG is of an algorithm (conf) does
 * not support.  Gives up after DNS_VAL_CRYPTO_FAIL_MAX failed
 * verifications.  (*wildcard), when not NULL, gets the number of labels of
 * the wildcard's parent when the verifying RRSIG shows a wildcard
 * expansion (labels < owner labels), else 0: the caller MUST then prove
 * that the name itself does not exist (RFC 4035 5.3.4).
 */
TB_API enum dns_val_state
dns_val_rrset(const struct dns_val_conf *conf, const struct dns_val_rrset *set,
              const struct dns_val_rdata *sigs, size_t nsigs,
              const uint8_t *zone, const struct dns_val_rdata *keys,
              size_t nkeys, enum dns_val_reason *reason, unsigned *wildcard);

/*
 * True when DS rdata (ds, ds_len) of (owner) matches DNSKEY rdata (key,
 * key_len): key tag, algorithm and the digest of owner (lowercased) |
 * DNSKEY rdata (RFC 4034 5.1.4).  False for unsupported digest types.
 */
TB_API bool dns_val_ds_match(const uint8_t *owner, const uint8_t *ds,
                             size_t ds_len, const uint8_t *key, size_t key_len);

/*
 * Validates the DNSKEY RRset (keys: owner (zone), rdatas) with its RRSIGs
 * (sigs) against the DS RRset (ds, nds) from the parent (or a trust
 * anchor's), RFC 4035 5.2: SECURE when a DNSKEY with the ZONE flag that
 * matches a supported DS signs the DNSKEY RRset; INSECURE when no DS has
 * both a supported digest and a supported algorithm (DNS_VAL_R_UNSUP_ALG
 * / _DIGEST); BOGUS otherwise (DS_MISMATCH when no key matches a DS,
 * else the signature's reason).  Trust-anchor DNSKEYs (anchor_keys,
 * nanchor) count as matched DS records.  Either list MAY be empty.
 */
TB_API enum dns_val_state
dns_val_dnskey(const struct dns_val_conf *conf,
               const struct dns_val_rrset *keys,
               const struct dns_val_rdata *sigs, size_t nsigs,
               const struct dns_val_rdata *ds, size_t nds,
               const struct dns_val_rdata *anchor_keys, size_t nanchor,
               enum dns_val_reason *reason);

/*
 * Trust anchors: DS and DNSKEY records of one or more zones, read from
 * zone-file text.  Caller-placed; (zone) owns the records.
 */
struct dns_val_anchors {
    struct dns_zone_src zone;
};
/* The built-in default: the root zone's KSK-2017 (20326) and KSK-2024
 * (38696) as DS records (IANA root-anchors.xml). */
TB_API extern const char dns_val_root_anchors[];
/*
 * Parses trust anchors from (text, len) (zone-file syntax, absolute
 * names; only DS and DNSKEY records; (file) names it in messages) into
 * (a), memory from (al).  Returns 0, TB_EMALF (a syntax error or a record
 * of another type, reported through (d), which MAY be NULL), TB_ENOENT (no
 * anchor), TB_ENOMEM.  On error (a) is freed.
 */
TB_API int dns_val_anchors_parse(struct dns_val_anchors *a, const char *text,
                                 size_t len, const char *file,
                                 const struct tb_alloc *al, struct dns_diag *d);
/* Frees (a). */
TB_API void dns_val_anchors_free(struct dns_val_anchors *a);
/*
 * Copies into (out, cap) the rdatas of the anchors of (type) (DS or
 * DNSKEY) at exactly (owner); returns how many there are (possibly more
 * than (cap)).
 */
TB_API size_t dns_val_anchors_get(const struct dns_val_anchors *a,
                                  const uint8_t *owner, uint16_t type,
                                  struct dns_val_rdata *out, size_t cap);

/*
 * Denial of existence.  (nsec) lists NSEC or NSEC3 records of the zone
 * (zone), each already validated SECURE by the caller: owner and rdata.
 */
struct dns_val_nrr {
    const uint8_t *owner;
    const uint8_t *rdata;
    uint16_t rdlen;
};
enum dns_val_denial {
    DNS_VAL_DENY_NXDOMAIN = 1, /* (qname) does not exist */
    DNS_VAL_DENY_NODATA, /* (qname) exists without (qtype), no CNAME */
    DNS_VAL_DENY_WILDCARD /* (qname) does not exist, so a wildcard
                             answer applies (RFC 4035 5.3.4) */
};
/*
 * NSEC proofs (RFC 4035 5.4, 3.1.3, RFC 6840 4.1): returns SECURE when
 * (nsec) proves (what) for (qname, qtype) in zone (zone), else BOGUS with
 * DNS_VAL_R_NO_PROOF.  NXDOMAIN: an NSEC covers the name and one covers
 * the wildcard at its closest encloser.  NODATA: an NSEC at the name
 * without the type or CNAME, an empty non-terminal, or a wildcard NODATA.
 * WILDCARD: (wc_labels) is the verifying RRSIG's labels count (from
 * dns_val_rrset()); the next closer name must be covered.  An NSEC of a
 * delegation (NS without SOA) or DNAME proves nothing below it, and at it
 * only the absence of DS (with NSEC a delegation without DS is a secure
 * NODATA for DS).
 */
TB_API enum dns_val_state
dns_val_nsec(const uint8_t *zone, const struct dns_val_nrr *nsec, size_t n,
             const uint8_t *qname, uint16_t qtype, enum dns_val_denial what,
             unsigned wc_labels, enum dns_val_reason *reason);
/*
 * NSEC3 proofs (RFC 5155 8.3-8.8, RFC 9276): as dns_val_nsec().  Records
 * with a hash algorithm other than 1, unknown flags or a bad owner are
 * ignored; the first usable one sets the salt and iterations, records
 * with others are ignored.  Iterations over the limit give INSECURE
 * (DNS_VAL_R_NSEC3_ITER) before any hashing.  A DS NODATA, an NXDOMAIN or
 * a wildcard answer whose next-closer cover has opt-out is INSECURE with
 * DNS_VAL_R_OK (an unsigned delegation may be there, RFC 5155 8.6, 9.2).
 * At most 128 names are hashed per call.
 */
TB_API enum dns_val_state
dns_val_nsec3(const struct dns_val_conf *conf, const uint8_t *zone,
              const struct dns_val_nrr *nsec3, size_t n, const uint8_t *qname,
              uint16_t qtype, enum dns_val_denial what, unsigned wc_labels,
              enum dns_val_reason *reason);

/*
 * True when the NSEC or NSEC3 records (nsec, n) of (zone), already
 * validated SECURE (a DS NODATA proof, say), show (name) as a delegation:
 * a record at exactly (name) whose bitmap has NS and not SOA (RFC 6840
 * 4.1).  A resolver uses it to tell an unsigned child zone from unsigned
 * (stripped) data at a name of the parent.  At most one NSEC3 hash.
 */
TB_API bool dns_val_delegation(const struct dns_val_conf *conf,
                               const uint8_t *zone,
                               const struct dns_val_nrr *nsec, size_t n,
                               const uint8_t *name);

/*
 * Validates one server's response (msg, len) to (qname, qtype), a name in
 * zone (zone) whose DNSKEY RRset (keys, nkeys) is SECURE (RFC 4035 5.3,
 * 5.4).  Walks the answer chain from (qname): the (qtype) RRset or a
 * CNAME at each step must verify, a wildcard expansion needs its denial
 * proof from the authority section; the chain may leave (zone) -- the
 * rest is another zone's to prove and is not looked at.  Without an
 * answer: a referral (no AA, an NS RRset below (zone) above the name) is
 * SECURE with a verified DS RRset, INSECURE with a proof that there is
 * no DS; NXDOMAIN and NODATA need the NSEC or NSEC3 proof, each of their
 * RRsets verified.  Other RCODEs are INDETERMINATE.  Only the answer and
 * authority sections are read (at most 64 records); their uncompressed
 * records go to (work, cap) (DNS_MSG_MAXLEN + 16 KB suffices).  Returns
 * the worst state met, the first reason in (*reason).
 */
TB_API enum dns_val_state
dns_val_response(const struct dns_val_conf *conf, const uint8_t *msg,
                 size_t len, const uint8_t *qname, uint16_t qtype,
                 const uint8_t *zone, const struct dns_val_rdata *keys,
                 size_t nkeys, uint8_t *work, size_t cap,
                 enum dns_val_reason *reason);

/*
 * The NSEC3 hash (RFC 5155 5) of (name) with (salt, saltlen) and
 * (iterations) into (out, 20 bytes) (name lowercased first).  Returns 0.
 */
TB_API int dns_val_nsec3_hash(const uint8_t *name, const uint8_t *salt,
                              size_t saltlen, uint16_t iterations,
                              uint8_t *out);

#endif /* DNS_VAL_H */
