/*
 * dns/notify.h -- NOTIFY out (RFC 1996): telling a zone's secondaries
 * that it has a new serial, sans-I/O, for every driver:
 *
 *   new serial --dns_notify_start--> targets pending
 *   dns_notify_poll(now) --> (address, datagram) to send, one at a time
 *   dns_notify_deadline() --> when to poll again (retries, backoff)
 *   a datagram received --dns_notify_input--> a target acknowledged
 *
 * One struct dns_notify per zone.  Each target gets a NOTIFY (opcode 4,
 * AA, the zone's SOA in the answer section, RFC 1996 3.7) with an ID of
 * its own; it is sent again after DNS_NOTIFY_RTO_NS, doubling each time
 * (RFC 1996 3.6 leaves the interval to the primary), until a response
 * with the same ID, QR, opcode NOTIFY and question comes from the
 * target's address, or DNS_NOTIFY_TRIES sends went unanswered.  A newer
 * serial started before the last round ended restarts every target.
 *
 * TSIG (RFC 8945): a target given a key (dns_notify_key) gets each
 * NOTIFY signed, and only a response that verifies with it acknowledges
 * it (an unsigned or forged one is ignored, so the NOTIFY is sent again);
 * the driver supplies the two dns/tsig.h calls through (tsig_sign,
 * tsig_verify), so lib/dns needs BearSSL only where keys are used, as in
 * dns/xfrin.h.  A response is verified against the UNIX time of the last
 * dns_notify_poll() (it comes within seconds; TSIG's fudge is 300).
 *
 * lib/dns/notify.c.  No allocation, no I/O, no clock: the driver sends
 * and receives (tibra-dnsd: one UDP socket per family in a thread of its
 * own; a guest: stack.h UDP) and passes the time (ns, monotonic).
 */
#ifndef DNS_NOTIFY_H
#define DNS_NOTIFY_H
#include <tibra/dns.h>

struct dns_tsig_key;
struct dns_tsig_ctx;

#define DNS_NOTIFY_TARGETS_MAX 16
#define DNS_NOTIFY_TRIES       5
#define DNS_NOTIFY_RTO_NS      1000000000ull /* first retry after 1 s */

enum dns_notify_state {
    DNS_NOTIFY_IDLE = 0, /* nothing to do */
    DNS_NOTIFY_PENDING, /* to send (again) at (next) */
    DNS_NOTIFY_ACKED, /* a matching response came */
    DNS_NOTIFY_FAILED /* DNS_NOTIFY_TRIES sends, no response */
};

struct dns_notify_target {
    struct tb_addr addr; /* where to (port included) */
    uint8_t state; /* enum dns_notify_state */
    uint8_t tries; /* sends so far this round */
    uint16_t id; /* of the NOTIFY sent last */
    uint8_t rcode; /* of the response (ACKED) */
    uint64_t next; /* PENDING: when to send */
    const struct dns_tsig_key *key; /* NULL: unsigned (dns_notify_key) */
    struct dns_tsig_ctx *tsig; /* with (key): the exchange, caller's */
};

/* One zone's NOTIFY state: caller-placed, fields public for reading. */
struct dns_notify {
    uint8_t origin[DNS_NAME_MAXLEN]; /* wire name */
    size_t olen;
    uint16_t rclass;
    uint32_t ttl; /* of the SOA */
    uint16_t soalen;
    uint8_t soa[2 * DNS_NAME_MAXLEN + 20]; /* SOA rdata, uncompressed */
    uint32_t serial;
    uint64_t rng; /* private: message IDs */
    struct dns_notify_target t[DNS_NOTIFY_TARGETS_MAX];
    size_t n;
    /* TSIG, set by a driver that gives keys (dns_tsig_sign_request and
     * dns_tsig_verify_response); NULL with a key: nothing is sent to
     * that target (fail closed) */
    size_t (*tsig_sign)(struct dns_tsig_ctx *ctx,
                        const struct dns_tsig_key *key, uint8_t *msg,
                        size_t len, size_t cap, uint64_t now_s);
    int (*tsig_verify)(struct dns_tsig_ctx *ctx, const uint8_t *msg, size_t len,
                       uint64_t now_s);
    int64_t unix_offset_s; /* UNIX time = monotonic seconds + this */
    uint64_t unix_now; /* private: at the last dns_notify_poll() */
    /* counters */
    uint64_t sent, acked, failed, ignored;
};

/*
 * Sets (n) up for zone (origin) (wire name) of class IN, with (ntargets)
 * addresses (targets) (at most DNS_NOTIFY_TARGETS_MAX; copied), every
 * one idle, counters 0.  (seed) MUST be random (message IDs come from
 * it: RFC 5452 for NOTIFY's sake too).  Returns 0 or TB_EINVAL.
 */
TB_API int dns_notify_init(struct dns_notify *n, const uint8_t *origin,
                           const struct tb_addr *targets, size_t ntargets,
                           uint64_t seed);

/*
 * Target (i) of (n) gets its NOTIFYs signed with (key) (MAY be NULL:
 * unsigned), the exchange kept in (ctx) (caller-placed, alive as long as
 * (n); needed with a key).  After dns_notify_init(); (n)'s tsig_sign and
 * tsig_verify MUST be set for a key to be usable.  Returns 0 or TB_EINVAL.
 */
TB_API int dns_notify_key(struct dns_notify *n, size_t i,
                          const struct dns_tsig_key *key,
                          struct dns_tsig_ctx *ctx);

/*
 * A new version of the zone is served: its SOA rdata (soa, soalen)
 * (uncompressed wire form, MNAME RNAME and five 32-bit fields) with
 * (ttl).  Every target becomes pending, to be sent at once (at (now)).
 * Returns 0 or TB_EINVAL (SOA rdata malformed or too long).
 */
TB_API int dns_notify_start(struct dns_notify *n, const uint8_t *soa,
                            size_t soalen, uint32_t ttl, uint64_t now);

struct dns_zoneset;

/*
 * dns_notify_start() with the SOA that zone set (zs) serves for (n)'s
 * zone (asked of dns_auth_answer() as a client would).  Returns 0,
 * TB_ENOENT (the set does not serve the zone), TB_EINVAL.
 */
TB_API int dns_notify_start_zs(struct dns_notify *n,
                               const struct dns_zoneset *zs, uint64_t now);

/*
 * The next datagram due at (now): writes the NOTIFY into (out, cap) and
 * its destination into (*to) and returns its length; 0 when nothing is
 * due (then dns_notify_deadline() says when).  A target whose
 * DNS_NOTIFY_TRIES-th send is unanswered by its deadline becomes FAILED
 * here.  (cap) SHOULD be 512 or more (an SOA NOTIFY always fits).
 */
TB_API size_t dns_notify_poll(struct dns_notify *n, uint64_t now,
                              struct tb_addr *to, uint8_t *out, size_t cap);

/* When dns_notify_poll() has something to do (UINT64_MAX: never). */
TB_API uint64_t dns_notify_deadline(const struct dns_notify *n);

/*
 * A datagram (msg, len) from (from) (untrusted): if it is the response to
 * the NOTIFY last sent to that target (same address and port, ID, QR set,
 * opcode NOTIFY, the zone's name, type SOA, class IN in the question),
 * the target is ACKED (whatever the RCODE: a REFUSED secondary will not
 * change its mind on a retry) and true is returned; anything else is
 * counted in (ignored) and false returned.
 */
TB_API bool dns_notify_input(struct dns_notify *n, const struct tb_addr *from,
                             const uint8_t *msg, size_t len);

/* True while a target is still pending. */
TB_API bool dns_notify_busy(const struct dns_notify *n);

#endif /* DNS_NOTIFY_H */
