/*
 * dns/tsig.h -- TSIG, secret key transaction authentication (RFC 8945):
 * keys, verifying and signing messages, single and multi-message
 * (zone transfers), as a server and as a client.
 *
 *   server:  request --dns_tsig_verify_request--> ctx (key, request MAC,
 *            error) ... answer ... --dns_tsig_sign--> response + TSIG RR
 *            (then dns_tsig_sign again for every further message of an
 *            AXFR/IXFR stream: RFC 8945 5.3.1)
 *   client:  request --dns_tsig_sign_request--> request + TSIG RR, ctx;
 *            each response message --dns_tsig_verify_response(ctx)-->
 *            verified / unsigned-but-allowed / not authentic
 *
 * Sans-I/O: bytes and the time (UNIX seconds) in, bytes out.  Nothing
 * here allocates; keys and contexts are caller-placed.  HMAC and hashes
 * are BearSSL's (br_hmac_*); MACs are compared in constant time.
 * Algorithms: hmac-sha256, hmac-sha384, hmac-sha512, hmac-sha224, and for
 * old peers hmac-sha1 and hmac-md5 (HMAC-MD5.SIG-ALG.REG.INT).
 *
 * lib/dns/tsig.c.  Linking it pulls in BearSSL; the service core reaches
 * it only through struct dns_tsig_keyring's (answer) pointer, so a driver
 * that publishes no key set (srv.keys NULL) links no crypto, and its
 * signed queries get NOTAUTH/BADKEY from the engine (auth.c).
 */
#ifndef DNS_TSIG_H
#define DNS_TSIG_H

#include <tibra/dns.h>

/* RFC 8945 / IANA DNS RCODE registry: TSIG error field values. */
#define DNS_TSIG_NOERROR  0
#define DNS_TSIG_BADSIG   16
#define DNS_TSIG_BADKEY   17
#define DNS_TSIG_BADTIME  18
#define DNS_TSIG_BADTRUNC 22

#define DNS_TSIG_MAC_MAX    64 /* hmac-sha512 */
#define DNS_TSIG_SECRET_MAX 512 /* bytes of secret (BIND keys: 16..64) */
#define DNS_TSIG_FUDGE      300 /* seconds (RFC 8945 10: recommended) */
/* Unsigned messages allowed between two signed ones of a stream when
 * verifying (RFC 8945 5.3.1: the 100th MUST be signed). */
#define DNS_TSIG_UNSIGNED_MAX 99
/* Room a TSIG RR we write can take: owner (a key name) + fixed part +
 * algorithm name + time/fudge/MAC size + MAC + ID/error/other len + 6
 * bytes of other data (BADTIME).  Reserve this much when building a
 * message that will be signed. */
#define DNS_TSIG_RR_MAX                                                        \
    (DNS_NAME_MAXLEN + DNS_RR_FIXED_LEN + 26 + 10 + DNS_TSIG_MAC_MAX + 6 + 6)

enum dns_tsig_alg {
    DNS_TSIG_HMAC_MD5 = 1,
    DNS_TSIG_HMAC_SHA1,
    DNS_TSIG_HMAC_SHA224,
    DNS_TSIG_HMAC_SHA256,
    DNS_TSIG_HMAC_SHA384,
    DNS_TSIG_HMAC_SHA512
};

/*
 * The algorithm named (s, len) in text ("hmac-sha256", any case, an
 * optional final dot; "hmac-md5" and "hmac-md5.sig-alg.reg.int" both
 * mean hmac-md5).  Returns 0 with it in (*alg), or TB_ENOTSUP.
 */
TB_API int dns_tsig_alg_from_text(const char *s, size_t len,
                                  enum dns_tsig_alg *alg);

/* Its name as text ("hmac-sha256"; hmac-md5 is "hmac-md5"), or "?". */
TB_API const char *dns_tsig_alg_text(enum dns_tsig_alg alg);

/* The full MAC length of (alg) in bytes (16 .. 64), or 0 if unknown. */
TB_API size_t dns_tsig_alg_maclen(enum dns_tsig_alg alg);

/*
 * A key: caller-placed, set up by dns_tsig_key_init(), then read-only (one
 * key MAY be used by several threads at once).  Fields public for reading;
 * (priv) is the precomputed HMAC key (BearSSL's br_hmac_key_context).
 */
struct dns_tsig_key {
    uint8_t name[DNS_NAME_MAXLEN]; /* wire form, lowercased */
    uint8_t name_len;
    enum dns_tsig_alg alg;
    /* Shortest MAC accepted from a peer, bytes (RFC 8945 5.2.2.1 and
     * 5.2.4: local policy).  dns_tsig_key_init() sets the full length:
     * truncated MACs get BADTRUNC unless a caller lowers it (never below
     * max(10, maclen / 2), the RFC's floor, which is always enforced). */
    uint16_t min_mac;
    /* private */
    uint64_t priv[20];
};

/*
 * Sets (k) up: (name, name_len) a valid wire name (copied, lowercased),
 * (alg), the secret (secret, len) (1 .. DNS_TSIG_SECRET_MAX bytes; not
 * kept: only its HMAC state is).  Returns 0, TB_EINVAL (empty or too
 * long secret, bad name), TB_ENOTSUP (alg).
 */
TB_API int dns_tsig_key_init(struct dns_tsig_key *k, const uint8_t *name,
                             size_t name_len, enum dns_tsig_alg alg,
                             const uint8_t *secret, size_t len);

/* Overwrites (k) with zeros (what is derived from the secret included). */
TB_API void dns_tsig_key_wipe(struct dns_tsig_key *k);

struct dns_zoneset;
struct dns_auth_env;
struct dns_auth_stats;
struct dns_tsig_keyring;

/* How the service core answers a TSIG-signed query (dns_tsig_answer). */
typedef size_t (*dns_tsig_answer_fn)(const struct dns_tsig_keyring *kr,
                                     const struct dns_zoneset *zs,
                                     const uint8_t *q, size_t qlen,
                                     uint8_t *resp, size_t cap, unsigned flags,
                                     struct dns_auth_env *env, uint64_t now_s,
                                     struct dns_auth_stats *st);

struct dns_tsig_ctx;

/* dns_tsig_verify_request() and dns_tsig_sign(), as pointers. */
typedef int (*dns_tsig_verify_fn)(const struct dns_tsig_keyring *kr,
                                  const uint8_t *msg, size_t len, size_t off,
                                  uint64_t now_s, struct dns_tsig_ctx *ctx);
typedef size_t (*dns_tsig_sign_fn)(struct dns_tsig_ctx *ctx, uint8_t *msg,
                                   size_t len, size_t cap, uint64_t now_s);

/*
 * A key set, as a driver publishes it to the service core (srv.keys,
 * beside srv.zs): (n) keys at (keys), owned by the driver, read-only
 * while published.  Names SHOULD be distinct (the first match is used).
 * The service core (srv.c, xfr.c) calls TSIG only through the pointers
 * here, so a program that never builds a key set links no crypto.
 */
struct dns_tsig_keyring {
    const struct dns_tsig_key *keys;
    size_t n;
    dns_tsig_answer_fn answer; /* dns_tsig_answer, set by _init */
    dns_tsig_verify_fn verify; /* dns_tsig_verify_request */
    dns_tsig_sign_fn sign; /* dns_tsig_sign */
};

/* Sets (kr) over (keys, n) (kept, not copied; n MAY be 0: then every
 * signed query gets BADKEY). */
TB_API void dns_tsig_keyring_init(struct dns_tsig_keyring *kr,
                                  const struct dns_tsig_key *keys, size_t n);

/* The key named (name, name_len) (a wire name, any case) in (kr), or
 * NULL. */
TB_API const struct dns_tsig_key *
dns_tsig_keyring_find(const struct dns_tsig_keyring *kr, const uint8_t *name,
                      size_t name_len);

/*
 * The state of one signed exchange: a request and its response(s).
 * Caller-placed, filled by dns_tsig_verify_request() (server) or
 * dns_tsig_sign_request() (client); fields public for reading.
 */
struct dns_tsig_ctx {
    const struct dns_tsig_key *key; /* NULL when the key is unknown */
    uint16_t error; /* DNS_TSIG_*: what the request's check found */
    uint16_t fudge; /* the request's */
    uint64_t time_signed; /* the request's, UNIX seconds (48 bits) */
    uint32_t nmsg; /* messages signed / verified so far */
    uint32_t unsigned_run; /* verifying: unsigned messages since the last
                              signed one */
    uint16_t mac_len; /* (mac): the MAC the next one chains on */
    uint8_t mac[DNS_TSIG_MAC_MAX];
    /* private */
    bool client; /* started by dns_tsig_sign_request() */
    bool failed; /* verifying: the exchange is over (TB_EPERM/TB_EMALF) */
    uint8_t keyname[DNS_NAME_MAXLEN]; /* the request's key name and */
    uint8_t keyname_len; /* algorithm, as sent (for errors with */
    uint8_t alg[DNS_NAME_MAXLEN]; /* an unknown key) */
    uint8_t alg_len;
    uint64_t run[64]; /* running HMAC (br_hmac_context) over unsigned
                         messages of a stream being verified */
};

/*
 * Finds the TSIG RR of message (msg, len): the last RR of the additional
 * section (RFC 8945 5.1).  Skips names and RDLENGTHs only (cheap: the
 * service core calls it on queries with an unusual additional section).
 * Returns 0 with the offset of the TSIG RR's owner in (*off), TB_ENOENT
 * when the last RR is not a TSIG (or there is none), TB_EMALF when the
 * records do not fit the message.
 */
TB_API int dns_tsig_find(const uint8_t *msg, size_t len, size_t *off);

/*
 * Server side, RFC 8945 5.2: checks the TSIG RR at (off) (from
 * dns_tsig_find()) of request (msg, len) received at (now_s) (UNIX
 * seconds) against key set (kr), and sets (ctx) up for the response:
 *   key unknown (name or algorithm)         ctx->error BADKEY (5.2.1)
 *   MAC wrong                               BADSIG (5.2.2)
 *   MAC valid, time outside fudge           BADTIME (5.2.3)
 *   MAC valid but shorter than key->min_mac BADTRUNC (5.2.4)
 *   else                                    0: authentic
 * The checks run in that order.  Returns 0 (whatever ctx->error), or
 * TB_EMALF: the TSIG RR is malformed (owner compressed, class not ANY,
 * TTL not 0, rdata layout) or its MAC size breaks RFC 8945 5.2.2.1 (over
 * the hash length, or under max(10, half of it) and not 0): the request
 * MUST be answered FORMERR, unsigned.  The MAC is compared in constant
 * time.  (msg) is not modified.
 */
TB_API int dns_tsig_verify_request(const struct dns_tsig_keyring *kr,
                                   const uint8_t *msg, size_t len, size_t off,
                                   uint64_t now_s, struct dns_tsig_ctx *ctx);

/*
 * Appends a TSIG RR to message (msg, len) (cap bytes available at msg,
 * the header's ARCOUNT incremented) and returns the new length, or 0 if
 * it does not fit in (cap) (msg unchanged).  (now_s) is the time signed.
 *
 * Server, after dns_tsig_verify_request() (RFC 8945 5.3):
 *   ctx->error 0: the first call signs with the request MAC and every
 *     TSIG variable (5.3); each later call signs the next message of the
 *     same stream with the prior MAC and the timers only (5.3.1: AXFR,
 *     IXFR; we sign every message).
 *   BADKEY, BADSIG: an unsigned TSIG (MAC size 0) with that error and the
 *     request's key name, algorithm, time and fudge (5.3.2).
 *   BADTIME: signed (with the request MAC), Time Signed the request's,
 *     Other Data our time (now_s) (5.2.3); BADTRUNC: signed (5.2.4).
 *   The RCODE is the caller's (NOTAUTH for a TSIG error, 5.3.2); the
 *   Original ID written is the message's own ID.
 * Client, after dns_tsig_sign_request(): MUST NOT be called.
 */
TB_API size_t dns_tsig_sign(struct dns_tsig_ctx *ctx, uint8_t *msg, size_t len,
                            size_t cap, uint64_t now_s);

/*
 * Client side: starts exchange (ctx) with (key) and signs request (msg,
 * len) (cap bytes at msg): appends the TSIG RR (time now_s, fudge
 * DNS_TSIG_FUDGE) and returns the new length, or 0 if it does not fit.
 * For a secondary's SOA/IXFR/AXFR queries and NOTIFY out.
 */
TB_API size_t dns_tsig_sign_request(struct dns_tsig_ctx *ctx,
                                    const struct dns_tsig_key *key,
                                    uint8_t *msg, size_t len, size_t cap,
                                    uint64_t now_s);

/* What dns_tsig_verify_response() found. */
#define DNS_TSIG_VERIFIED 0 /* signed, MAC and time valid */
#define DNS_TSIG_UNSIGNED                                                      \
    1 /* unsigned, allowed (RFC 8945 5.3.1: between                            \
         signed messages of a stream) */

/*
 * Client side, RFC 8945 5.3.1 / 5.4: verifies message (msg, len), the
 * next response of exchange (ctx) (the first, or one more of an AXFR/IXFR
 * stream), received at (now_s).  The first response MUST be signed;
 * later ones MAY be unsigned, at most DNS_TSIG_UNSIGNED_MAX in a row (the
 * running MAC covers them; the next signed one proves them).  A caller
 * MUST NOT accept the end of a stream on an unsigned message.  Returns
 * DNS_TSIG_VERIFIED, DNS_TSIG_UNSIGNED, or TB_EPERM: not authentic, with
 * the reason in ctx->error (BADKEY: another key name or algorithm;
 * BADSIG: wrong MAC, unsigned first message or too many unsigned;
 * BADTIME: time outside fudge; BADTRUNC: MAC shorter than key->min_mac;
 * or the error the peer's TSIG carries), TB_EMALF: the TSIG RR or the
 * message is malformed.  After TB_EPERM or TB_EMALF the exchange is
 * over: every later call returns the same.
 */
TB_API int dns_tsig_verify_response(struct dns_tsig_ctx *ctx,
                                    const uint8_t *msg, size_t len,
                                    uint64_t now_s);

/*
 * The service core's answer to a signed query (the keyring's (answer);
 * srv.c calls it for a query whose last additional RR is a TSIG when a
 * key set is published): verifies it (dns_tsig_verify_request), answers
 * the query without its TSIG with dns_auth_answer_env() and (env) (MAY
 * be NULL; DNS Cookies) into (resp, cap) with room kept for the TSIG, and
 * signs the response; a query without a TSIG is answered by
 * dns_auth_answer_env() alone.  A request that
 * fails the check gets NOTAUTH with the TSIG error (BADKEY, BADSIG
 * unsigned; BADTIME, BADTRUNC signed), a malformed TSIG FORMERR.
 * Arguments and result as dns_auth_answer(), plus (now_s) (UNIX time).
 * No allocation (the query without its TSIG is copied on the stack:
 * qlen SHOULD be at most 4096 + 512; longer queries get FORMERR).
 */
TB_API size_t dns_tsig_answer(const struct dns_tsig_keyring *kr,
                              const struct dns_zoneset *zs, const uint8_t *q,
                              size_t qlen, uint8_t *resp, size_t cap,
                              unsigned flags, struct dns_auth_env *env,
                              uint64_t now_s, struct dns_auth_stats *st);

#endif /* DNS_TSIG_H */
