/*
 * dns/xfrin.h -- secondary zones: transfers in (RFC 1034 4.3.5, RFC 5936
 * AXFR, RFC 1995 IXFR, RFC 1996 NOTIFY), sans-I/O.
 *
 * One struct dns_xfrin per secondary zone is a state machine polled with
 * the time.  The driver (tibra-dnsd's app/dnsd/xfrin.c; later a guest)
 * owns the sockets and the clock and does what dns_xfrin_poll() asks:
 *
 *   poll(now) -> UDP:   send (out) to (peer); replies -> dns_xfrin_udp_input
 *             -> TCP:   connect to (peer), send (out) (framed); bytes read ->
 *                       dns_xfrin_tcp_rspace/_received; EOF or error ->
 *                       dns_xfrin_tcp_closed
 *             -> CLOSE: close the TCP connection
 *             -> ZONE:  a new version, checked (dns_zone_check), is in
 *                       dns_xfrin_zone(): compile it, keep it on disk,
 *                       publish it, then dns_xfrin_commit(ok)
 *             -> FRESH: the primary still has our serial; the expiry was
 *                       renewed (the driver records the new expiry)
 *             -> LOG:   a line for the operator in (msg)
 *             -> NONE:  nothing now; call again at dns_xfrin_deadline()
 *
 * The cycle (RFC 1034 4.3.5): at refresh time an SOA query over UDP goes
 * to each primary in turn (udp_tries attempts each, udp_timeout_ms
 * apart; when none is answered, or the answer has no authoritative SOA
 * -- Knot refuses UDP for the catalogs it generates -- the same query
 * once over TCP, as BIND does, before the next primary; a primary that
 * answered over TCP only after refusing UDP is asked over TCP from then
 * on); when a primary's serial is newer than ours (RFC 1982), an IXFR
 * (RFC 1995, our SOA in the authority section) over TCP, or an AXFR when
 * we have no zone.  A transfer from one primary that fails (broken, cut,
 * timed out) moves on to the next primary at once.  An IXFR answered with an
 * error RCODE, with a single SOA newer than ours, or whose deltas do not apply
 * (a deletion of a record we do not have, a serial out of sequence) is retried
 * as an AXFR at once.  Every message of the stream is checked (ID, QR, opcode,
 * RCODE, TC, the question) and every record (class, owner inside the
 * zone, rdata layout, the SOA framing: an AXFR starts and ends with the
 * zone's SOA, an IXFR delta is SOA(old) deletions SOA(new) additions);
 * a failed transfer leaves the current version untouched and retries
 * after the SOA's retry interval.  Without a successful refresh for the
 * SOA's expire interval the zone expires: dns_xfrin_serving() turns
 * false and the driver stops serving it (queries get SERVFAIL).
 *
 * NOTIFY (RFC 1996) arrives at the service core (any worker thread):
 * dns_xfrin_notify_in() answers it (NOERROR, AA, the question echoed, for
 * a secondary zone and a peer that is one of its primaries; REFUSED
 * otherwise) and marks the zone, so its next poll starts a refresh at
 * once.  That mark is the only field written outside the driver's
 * thread (an atomic word).
 *
 * IXFR is applied in time proportional to the zone (the deltas are netted
 * into one set of deletions and additions, then the current version is
 * copied without the deletions and checked again): XXX not yet
 * proportional to the change, which issue 10 asks for.
 *
 * lib/dns/xfrin.c (the state machine, the stream parser, IXFR).  Cold
 * path: memory comes from the struct tb_alloc given at init.
 */
#ifndef DNS_XFRIN_H
#define DNS_XFRIN_H
#include <tibra/dns.h>
#include <tibra/dns/tsig.h>

#define DNS_XFRIN_PRIMARIES_MAX 8

/* Settings, from the service file (docs/service-file.md). */
struct dns_xfrin_conf {
    /* Bounds on the SOA's refresh, retry and expire fields, seconds
     * (Knot's refresh-min-interval etc.); 0 max = no upper bound. */
    uint32_t refresh_min, refresh_max;
    uint32_t retry_min, retry_max;
    uint32_t expire_min, expire_max;
    uint32_t udp_timeout_ms; /* one SOA query attempt (0: 2000) */
    uint32_t udp_tries; /* attempts per primary (0: 3) */
    uint32_t tcp_timeout_ms; /* connect, and between messages (0: 10000) */
    uint64_t max_records; /* records per transfer, 0 = no limit */
    /* TSIG (RFC 8945) per primary, in the order given to init: NULL for
     * none.  With a key, every query to that primary is signed and
     * every answer MUST verify (a transfer's messages may be unsigned
     * between signed ones, RFC 8945 5.3.1; the last MUST be signed). */
    const struct dns_tsig_key *key[DNS_XFRIN_PRIMARIES_MAX];
    int64_t unix_offset_s; /* UNIX time = monotonic seconds + this: the
                              driver's clock for TSIG times */
    /* dns_tsig_sign_request and dns_tsig_verify_response, set by a driver
     * that gives keys: called through these so that lib/dns needs
     * BearSSL only where keys are used (mk/tsig.mk).  A key without them
     * makes every answer fail verification. */
    size_t (*tsig_sign)(struct dns_tsig_ctx *ctx,
                        const struct dns_tsig_key *key, uint8_t *msg,
                        size_t len, size_t cap, uint64_t now_s);
    int (*tsig_verify)(struct dns_tsig_ctx *ctx, const uint8_t *msg, size_t len,
                       uint64_t now_s);
};

enum dns_xfrin_act {
    DNS_XFRIN_NONE = 0,
    DNS_XFRIN_UDP,
    DNS_XFRIN_TCP,
    DNS_XFRIN_CLOSE,
    DNS_XFRIN_ZONE,
    DNS_XFRIN_FRESH,
    DNS_XFRIN_LOG
};

/* What the driver must do (dns_xfrin_poll's result). */
struct dns_xfrin_io {
    enum dns_xfrin_act act;
    const struct tb_addr *peer; /* UDP, TCP: the primary */
    const uint8_t *out; /* UDP: the datagram; TCP: the framed query */
    size_t out_len;
    const char *msg; /* LOG: one line, NUL-terminated; ZONE: "IXFR"
                        (deltas applied) or "AXFR" (a whole zone) */
};

/* One secondary zone.  Caller-placed; fields private unless marked. */
struct dns_xfrin {
    uint8_t origin[DNS_NAME_MAXLEN]; /* read-only after init */
    size_t origin_len;
    struct tb_addr primary[DNS_XFRIN_PRIMARIES_MAX]; /* read-only */
    unsigned nprimary;
    uint32_t notify_mark; /* set by dns_xfrin_notify_in (atomic) */
    /* private */
    const struct dns_xfrin_conf *conf;
    const struct tb_alloc *a;
    int state;
    bool have_zone, expired, reported_expiry;
    uint32_t serial; /* of the current version (have_zone) */
    uint32_t refresh, retry, expire; /* seconds, bounded */
    uint64_t t_next; /* next refresh or attempt */
    uint64_t t_expire; /* the zone expires here (have_zone) */
    uint64_t t_timeout; /* the current exchange times out here */
    unsigned cur_primary, tries;
    unsigned next_primary; /* where the next attempt starts */
    uint16_t id;
    uint32_t rng;
    bool ixfr; /* the transfer running is an IXFR */
    bool want_axfr; /* the next transfer MUST be an AXFR */
    bool pending_close, pending_fresh;
    bool soa_tcp; /* this primary's SOA query goes (went) over TCP */
    bool soa_udp_refused; /* ... after a UDP answer without the SOA */
    uint8_t soa_tcp_only; /* bit p: primary p answers SOA only over TCP */
    uint32_t remote_serial;
    struct dns_zone_src cur; /* the current version (have_zone) */
    struct dns_xfrin_rx *rx; /* a transfer being received */
    uint8_t *rbuf; /* TCP framing buffer, 2 + 65535 */
    uint32_t rlen;
    uint8_t out[2 + 1024 + DNS_TSIG_RR_MAX]; /* a query: 255-byte name,
                                                SOA of 2 names, TSIG */
    struct dns_tsig_ctx tsig; /* the exchange with a keyed primary */
    bool tsig_last_ok; /* the last message verified was signed */
    size_t out_len;
    char msg[256];
    bool has_msg;
};

/*
 * Sets (x) up for zone (origin) (trusted wire name) served by the
 * (nprimary) primaries (primary) (1..DNS_XFRIN_PRIMARIES_MAX, copied)
 * with (conf) (kept, not copied) and memory from (a).  (seed) varies the
 * query IDs (a secret: tb_entropy, getrandom).  The zone has no data and
 * a refresh is due at once.  Returns 0 or TB_EINVAL.
 */
TB_API int dns_xfrin_init(struct dns_xfrin *x, const uint8_t *origin,
                          const struct tb_addr *primary, unsigned nprimary,
                          const struct dns_xfrin_conf *conf, uint64_t seed,
                          const struct tb_alloc *a);

/* Frees everything (x) owns (the current version too). */
TB_API void dns_xfrin_free(struct dns_xfrin *x);

/*
 * Gives (x) a version kept from an earlier run: (z) (checked, sorted,
 * with the zone's SOA; its records are moved into (x) and (z) is left
 * empty), valid for (expire_in_s) more seconds from (now) (0: expired,
 * served only after a new transfer).  A refresh is due at once.  Returns
 * 0, or TB_EINVAL when (z) has no SOA at the origin (then (z) is kept).
 */
TB_API int dns_xfrin_restore(struct dns_xfrin *x, struct dns_zone_src *z,
                             uint32_t expire_in_s, uint64_t now);

/*
 * Advances (x) to (now) (monotonic nanoseconds) and says in (*io) what the
 * driver must do next; returns io->act.  The driver calls it again until
 * it returns DNS_XFRIN_NONE, and whenever input arrived or the deadline
 * passed.  Pointers in (*io) stay valid until the next call on (x).
 */
TB_API enum dns_xfrin_act dns_xfrin_poll(struct dns_xfrin *x, uint64_t now,
                                         struct dns_xfrin_io *io);

/* When dns_xfrin_poll() wants to be called next (UINT64_MAX: never). */
TB_API uint64_t dns_xfrin_deadline(const struct dns_xfrin *x);

/*
 * A datagram (buf, len) (untrusted) from (peer) arrived at (now).  Only an
 * answer to the outstanding SOA query from the primary it was sent to is
 * used; anything else is ignored.
 */
TB_API void dns_xfrin_udp_input(struct dns_xfrin *x, const struct tb_addr *peer,
                                const uint8_t *buf, size_t len, uint64_t now);

/*
 * Where to read the transfer stream into: returns the room (> 0) and its
 * start in (*p), or 0 when no transfer is running (then read nothing).
 */
TB_API size_t dns_xfrin_tcp_rspace(struct dns_xfrin *x, uint8_t **p);

/* (n) bytes were read into the span dns_xfrin_tcp_rspace() named. */
TB_API void dns_xfrin_tcp_received(struct dns_xfrin *x, size_t n, uint64_t now);

/*
 * The TCP connection ended (EOF, reset, connect failure) at (now).  A
 * transfer not complete by then failed.  The driver closes its socket.
 */
TB_API void dns_xfrin_tcp_closed(struct dns_xfrin *x, uint64_t now);

/* After DNS_XFRIN_ZONE: the new version, checked and sorted. */
TB_API const struct dns_zone_src *dns_xfrin_zone(const struct dns_xfrin *x);

/*
 * After DNS_XFRIN_ZONE: (ok) true when the driver compiled and published
 * it (it becomes the current version), false when it could not (the
 * current version stays and a retry is scheduled).
 */
TB_API void dns_xfrin_commit(struct dns_xfrin *x, bool ok, uint64_t now);

/*
 * The current version (checked and sorted), or NULL when (x) has none:
 * for the driver to keep it (a unikernel's state device) after
 * dns_xfrin_commit(ok) made the new version current.  Valid until the
 * next call on (x).
 */
TB_API const struct dns_zone_src *dns_xfrin_current(const struct dns_xfrin *x);

/* True while (x) has a version that has not expired. */
TB_API bool dns_xfrin_serving(const struct dns_xfrin *x);

/*
 * True when (x) is between exchanges: no SOA query, transfer or version
 * waiting, nothing for the driver to close.  Then the struct may be moved
 * to another place (a driver's reload keeps a secondary's state and copy:
 * copy it, set its conf pointer to the new place's, and never free the
 * old place), with the same primaries in the same order.
 */
TB_API bool dns_xfrin_idle(const struct dns_xfrin *x);

/* Serial of the current version (0 if none). */
TB_API uint32_t dns_xfrin_serial(const struct dns_xfrin *x);

/*
 * Seconds from (now) until the current version expires (0: expired or
 * none), for the driver to keep across restarts.
 */
TB_API uint32_t dns_xfrin_expire_in(const struct dns_xfrin *x, uint64_t now);

/*
 * NOTIFY in (RFC 1996), for the service core; safe in any thread.
 * (zones) is an array of (n) secondaries sorted by origin
 * (dns_name_cmp; dns_xfrin_sort() does it), read-only but for their
 * notify marks.  If (q, qlen) is a NOTIFY (opcode 4) for one of them,
 * writes the answer into (resp, cap) and returns its length: NOERROR with
 * AA and the question (RFC 1996 4.7) when (peer)'s address is one of the
 * zone's primaries (the zone is then marked for an immediate refresh),
 * REFUSED otherwise.  Returns 0 when (q) is not a NOTIFY for a secondary
 * zone (the caller answers it as usual), SIZE_MAX when it must be
 * dropped (a response).  Sets (*marked) when a zone was marked.
 */
TB_API size_t dns_xfrin_notify_in(struct dns_xfrin *const *zones, size_t n,
                                  const struct tb_addr *peer, const uint8_t *q,
                                  size_t qlen, uint8_t *resp, size_t cap,
                                  bool *marked);

/* Sorts (zones) by origin for dns_xfrin_notify_in / _find. */
TB_API void dns_xfrin_sort(struct dns_xfrin **zones, size_t n);

/*
 * The secondary of the sorted (zones) that (name) (trusted wire name)
 * falls in (the longest match), or NULL.
 */
TB_API struct dns_xfrin *dns_xfrin_find(struct dns_xfrin *const *zones,
                                        size_t n, const uint8_t *name);

#endif /* DNS_XFRIN_H */
