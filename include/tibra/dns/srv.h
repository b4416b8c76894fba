/*
 * dns/srv.h -- the DNS service core: everything a DNS server decides,
 * shared by every driver.  A driver only moves bytes and time:
 *
 *   tibra-dnsd (app/dnsd: threads, recvmmsg/sendmmsg, epoll) --+
 *                                                             +--> dns_srv_*
 *   the unikernel app (app/dnsd/guest: stack.h, one thread) ---+    dns_tcp_*
 *
 * Inbound datagrams go through dns_srv_udp(): bytes, the peer and the
 * time in, response bytes out (or nothing: a counted drop).  A TCP
 * connection is a struct dns_tcp session (RFC 7766): the driver reads
 * into the buffer the session names, reports what it read, writes out
 * what the session has produced and reports what was sent; the session
 * frames, answers pipelined queries in order, applies back-pressure,
 * limits and timeouts, and says when to close.  No call blocks, none
 * allocates, none knows about sockets: the core is tested with fake
 * peers and a fake clock (tests/unit/test_srv.c).
 *
 * Time is monotonic nanoseconds (plat.h's tb_clock_monotonic() in a
 * guest, CLOCK_MONOTONIC in tibra-dnsd).  Zone sets are published by the
 * driver (struct dns_srv.zs: an RCU swap in tibra-dnsd, a plain store in a
 * guest); the core reads the pointer once per message.
 *
 * Later protocols (transfers, NOTIFY, UPDATE, TSIG, the resolver) enter
 * through the same calls: a TCP session then streams several messages for
 * one request (the driver keeps pulling dns_tcp_output()), and outbound
 * work is polled with a deadline, the shape lib/net has.
 */
#ifndef DNS_SRV_H
#define DNS_SRV_H

#include <tibra/dns.h>
#include <tibra/dns/acl.h>
#include <tibra/dns/auth.h>
#include <tibra/dns/tsig.h>

/* Largest query accepted: over UDP (a longer datagram is dropped and
 * counted) and over TCP (a longer length prefix closes the connection). */
#define DNS_SRV_QUERY_MAX 4096
/* Buffers a TCP session needs, owned by the driver (pools, no malloc). */
#define DNS_TCP_RBUF (2 + DNS_SRV_QUERY_MAX)
#define DNS_TCP_WBUF (2 + DNS_MSG_MAXLEN + 4096)

/* Settings from the service file, shared read-only by every session. */
struct dns_srv_conf {
    uint64_t tcp_idle_ns; /* RFC 7766 6.2.3: close after this long with no
                             complete message in or answer out; 0 = never */
    uint32_t tcp_max_queries; /* answers per connection, 0 = no limit */
};

/*
 * Counters, one set per driver thread (no locking); drivers sum them
 * with dns_srv_stats_add().  Every message received is counted once in
 * (udp) or (tcp); responses by RCODE are in (auth).
 */
struct dns_srv_stats {
    struct dns_auth_stats auth; /* queries by type, responses by rcode,
                                   TC, engine drops */
    uint64_t udp, tcp; /* queries received, by transport */
    /* drops, by reason */
    uint64_t drop_udp_size; /* datagram over DNS_SRV_QUERY_MAX */
    uint64_t drop_tcp_len; /* length prefix < 12 or > QUERY_MAX: closed */
    /* TCP connections */
    uint64_t tcp_open; /* sessions opened (accepted) */
    uint64_t tcp_refused; /* not accepted: connection limit (driver) */
    uint64_t tcp_refused_addr; /* not accepted: that address's limit
                                  (dns_tcplim_open) */
    uint64_t tcp_idle; /* closed by the idle timeout */
    uint64_t tcp_limit; /* closed after tcp_max_queries answers */
    /* response rate limiting (UDP only) */
    uint64_t rrl_drop; /* over the limit: not sent */
    uint64_t rrl_slip; /* over the limit: sent truncated (TC=1) */
    /* DNS Cookies (RFC 7873), only while the core has a dns_cookie */
    uint64_t cookie; /* queries with a COOKIE option */
    uint64_t cookie_new; /* client cookie only: a server cookie given */
    uint64_t cookie_valid; /* our server cookie, in its lifetime */
    uint64_t cookie_invalid; /* a server cookie not ours or expired */
    uint64_t cookie_badcookie; /* answered BADCOOKIE (cookies-require) */
    uint64_t cookie_formerr; /* an option of a bad length: FORMERR */
    /* outgoing transfers (xfr.c); refused ones are counted by the engine
     * as REFUSED responses */
    uint64_t xfr_axfr; /* AXFR streams started (IXFR fallbacks included) */
    uint64_t xfr_ixfr; /* IXFR streams of deltas started */
    uint64_t xfr_current; /* IXFR answered with the current SOA alone */
    uint64_t xfr_denied; /* by allow-transfer, or no records to send */
    uint64_t xfr_cut; /* cut: a new zone set was published meanwhile */
    uint64_t xfr_msgs; /* transfer messages produced */
};

struct dns_rrl;
struct dns_cookie;
struct dns_xfr_conf;

/*
 * Dynamic updates (dns/update.h) are applied by the driver, which must
 * write its journal and publish a new zone set before answering: the
 * core hands every UPDATE (opcode 5, QR clear) to (submit) with its
 * (peer) (NULL when unknown) instead of answering it.  Over UDP (tcp
 * false) the driver queues it and answers later itself (submit returns
 * 0: nothing to send now); over TCP (tcp true) it returns the answer's
 * length in (resp, cap), which the session sends in order.
 */
struct dns_srv_update {
    size_t (*submit)(void *ctx, const struct tb_addr *peer, const uint8_t *q,
                     size_t qlen, uint8_t *resp, size_t cap, bool tcp);
    void *ctx;
};

/* One service core per driver thread: caller-placed, fields public. */
struct dns_srv {
    const struct dns_zoneset *zs; /* published by the driver; NOT NULL */
    uint64_t zs_gen; /* the driver changes it whenever it publishes
                        another (zs) or (xfr): transfers in progress over
                        the old ones are cut */
    const struct dns_srv_conf *conf; /* NOT NULL */
    const struct dns_xfr_conf *xfr; /* transfers out; NULL: none allowed */
    struct dns_rrl *rrl; /* this thread's RRL table; NULL: RRL off */
    const struct dns_cookie *cookie; /* shared by the threads (read-only);
                                        NULL: cookies off */
    /* Secondary zones (dns/xfrin.h), sorted by dns_xfrin_sort(): NOTIFY
     * for them is answered here, and a query REFUSED inside one (not
     * served: no transfer yet, or expired) gets SERVFAIL.  The driver
     * sets them; (notified) turns true when a NOTIFY marked a zone for
     * refresh, and the driver clears it when it has woken its loop. */
    struct dns_xfrin *const *xfrin;
    size_t nxfrin;
    bool notified;
    /* TSIG (dns/tsig.h): the key set the driver publishes beside (zs)
     * (the same pointer rules); NULL: no keys, and a signed query gets
     * NOTAUTH/BADKEY from the engine without any TSIG code linked.  TSIG
     * times are wall-clock seconds: (now) + (wall_off_ns), which the
     * driver sets (CLOCK_REALTIME minus its monotonic clock). */
    const struct dns_tsig_keyring *keys;
    int64_t wall_off_ns;
    const struct dns_srv_update *update; /* NULL: UPDATE gets NOTIMP */
    uint64_t tsig_now_s; /* private: wall-clock seconds of the message
                            srv.c is handling, for xfr.c's TSIG */
    struct dns_srv_stats st;
};

/* Sets (s) up over (zs) and (conf) (both kept, not copied), counters 0,
 * RRL off (a driver sets (s->rrl) to a table from dns_rrl_init()),
 * cookies off (a driver sets (s->cookie) after dns_cookie_init()). */
TB_API void dns_srv_init(struct dns_srv *s, const struct dns_zoneset *zs,
                         const struct dns_srv_conf *conf);

/*
 * Answers one datagram (q, qlen) from (peer) (MAY be NULL) received at
 * (now) into (resp, cap) and returns the response length, or 0 when
 * nothing must be sent (counted: a datagram over DNS_SRV_QUERY_MAX bytes,
 * or what dns_auth_answer() drops, or a response RRL drops; a response
 * RRL slips is returned truncated).  (qlen) is the datagram's real length
 * (the driver MAY have kept only its first DNS_SRV_QUERY_MAX bytes when
 * it is longer).  (cap) SHOULD be at least the service's udp-size.
 */
TB_API size_t dns_srv_udp(struct dns_srv *s, const struct tb_addr *peer,
                          const uint8_t *q, size_t qlen, uint8_t *resp,
                          size_t cap, uint64_t now);

/* Adds (x) into (sum). */
TB_API void dns_srv_stats_add(struct dns_srv_stats *sum,
                              const struct dns_srv_stats *x);

/*
 * Writes (st) as text into (buf, cap) with a NUL: a few lines of
 * "key value" pairs, the same on every driver (tibra-dnsd logs them, a
 * guest prints them on its console when asked to stop).  Returns the
 * length (without the NUL), truncated to cap - 1.
 */
TB_API size_t dns_srv_stats_text(const struct dns_srv_stats *st, char *buf,
                                 size_t cap);

/* The name of query-type counter (i) of struct dns_auth_stats ("A",
 * ..., "other"). */
TB_API const char *dns_srv_qt_name(unsigned i);

/* ---- response rate limiting (lib/dns/rrl.c) ----------------------------
 *
 * RRL keeps a server from being used as an amplifier by spoofed UDP
 * queries (as NSD's and Knot's do): each UDP response is charged to a
 * bucket keyed by (client prefix, response category, name) and a bucket
 * over its rate drops the response, except every (slip)-th one, sent
 * truncated (TC=1, header and question only) so that a real client
 * behind a spoofed-on prefix retries over TCP, which RRL never limits.
 *
 * A bucket is a GCRA token bucket: (rate) responses per second, with a
 * burst of DNS_RRL_BURST_S seconds' worth.  The table has a fixed number
 * of entries, allocated once by dns_rrl_init(); a response costs one
 * keyed hash and one probe, no allocation and no lock (one table per
 * driver thread).  The hash is seeded with a secret from the driver, so
 * a client cannot choose which entries its queries collide with.
 */
#define DNS_RRL_BURST_S             2
#define DNS_RRL_DEFAULT_SLIP        2
#define DNS_RRL_DEFAULT_IPV4_PREFIX 24
#define DNS_RRL_DEFAULT_IPV6_PREFIX 56
#define DNS_RRL_DEFAULT_TABLE_SIZE  65536
#define DNS_RRL_TABLE_MAX           (1u << 24)

/* What a response is charged as; the name hashed in is in brackets. */
enum dns_rrl_cat {
    DNS_RRL_ANSWER, /* NOERROR with answers [qname] */
    DNS_RRL_NODATA, /* NOERROR, no answer, authoritative [zone: SOA owner] */
    DNS_RRL_NXDOMAIN, /* [zone: SOA owner] */
    DNS_RRL_REFERRAL, /* NOERROR, no answer, not AA [delegation: NS owner] */
    DNS_RRL_ERROR, /* any other RCODE [no name] */
    DNS_RRL_CAT_COUNT
};

struct dns_rrl_conf {
    uint32_t rate; /* responses per second per bucket; 0 = RRL off */
    uint32_t slip; /* every slip-th limited response truncated; 0 = none */
    uint8_t ipv4_prefix; /* 1..32: client addresses aggregated to this */
    uint8_t ipv6_prefix; /* 1..128 */
    bool exempt_loopback; /* 127.0.0.0/8 and ::1 never limited */
    uint32_t table_size; /* entries (rounded down to a power of two) */
    uint32_t shares; /* tables the rate is split over (workers); 0 = 1 */
};

/* A table: caller-placed, fields private. */
struct dns_rrl {
    /* private */
    struct dns_rrl_entry *tab;
    uint32_t mask; /* entries - 1 */
    uint32_t slip;
    uint64_t interval_ns; /* cost of one response */
    uint64_t burst_ns; /* the bucket's depth */
    uint64_t seed;
    uint8_t ipv4_prefix, ipv6_prefix;
    bool exempt_loopback;
    const struct tb_alloc *a;
};

/* Sets (c) to the defaults: rate 0 (off), slip 2, /24 and /56, loopback
 * exempt, DNS_RRL_DEFAULT_TABLE_SIZE entries, one share. */
TB_API void dns_rrl_conf_default(struct dns_rrl_conf *c);

/* Bytes dns_rrl_init() takes from its allocator for (c). */
TB_API size_t dns_rrl_memory(const struct dns_rrl_conf *c);

/*
 * Sets table (r) up for (c) (copied), with (seed) (a secret: random at
 * start-up) keying its hash and its entries from (a) (kept for
 * dns_rrl_free()).  (c->rate) MUST NOT be 0.  Returns 0, TB_EINVAL (a
 * prefix or table size out of range), TB_ENOMEM.
 */
TB_API int dns_rrl_init(struct dns_rrl *r, const struct dns_rrl_conf *c,
                        uint64_t seed, const struct tb_alloc *a);

/* Returns (r)'s entries to its allocator. */
TB_API void dns_rrl_free(struct dns_rrl *r);

/* The category (resp, len), a response dns_auth_answer() made, is
 * charged as. */
TB_API enum dns_rrl_cat dns_rrl_category(const uint8_t *resp, size_t len);

/*
 * Charges response (resp, len) (len >= DNS_HDR_LEN) to (peer) at (now)
 * and returns the length to send: (len) within the limit, 0 when dropped
 * (counted in st->rrl_drop), or the length of the header and question
 * after truncating (resp) in place (TC=1, counted in st->rrl_slip).
 * A loopback peer under exempt_loopback is always within the limit.
 */
TB_API size_t dns_rrl_apply(struct dns_rrl *r, const struct tb_addr *peer,
                            uint8_t *resp, size_t len, uint64_t now,
                            struct dns_srv_stats *st);

/*
 * A rate per client rather than per response (the resolver's ratelimit):
 * charges the bucket of (peer)'s prefix alone (ipv4_prefix, ipv6_prefix;
 * no category, no name) at (now) in (r), whose rate and burst apply.
 * Returns true within the limit, false over it (slip does not apply: the
 * caller decides).  A loopback peer under exempt_loopback is always
 * within.
 */
TB_API bool dns_rrl_client(struct dns_rrl *r, const struct tb_addr *peer,
                           uint64_t now);

/* ---- TCP connections per client address (lib/dns/tcplim.c) -------------
 *
 * A table of open connections per client (the IPv4 address, the /64 of
 * an IPv6 address), so that one client cannot hold every TCP slot.  A
 * driver calls dns_tcplim_open() when it accepts a connection it has a
 * slot for (refusing it when that returns false) and dns_tcplim_close()
 * with the same address when it closes it.  The table is sized once for
 * the connections the driver can hold, allocated at init; open and close
 * cost one keyed hash and a short probe, no allocation.  No locking:
 * drivers with several threads share one table under their own lock.
 */
/* The default limit per address for (clients) TCP clients: an eighth,
 * rounded up, so that it takes eight addresses to fill the pool, while a
 * busy resolver falling back to TCP still gets many connections. */
static inline uint32_t dns_tcplim_default(uint32_t clients)
{
    return clients / 8 + (clients % 8 != 0);
}

struct dns_tcplim_entry;

/* A table: caller-placed, fields private. */
struct dns_tcplim {
    /* private */
    struct dns_tcplim_entry *tab;
    uint32_t mask; /* entries - 1 */
    uint32_t used; /* keys present */
    uint32_t per_addr;
    uint64_t seed;
    const struct tb_alloc *a;
};

/* Bytes dns_tcplim_init() takes from its allocator for (clients). */
TB_API size_t dns_tcplim_memory(uint32_t clients);

/*
 * Sets table (l) up for a driver holding at most (clients) connections
 * at once, each address (IPv4) or /64 (IPv6) allowed (per_addr) of them,
 * with (seed) (a secret) keying its hash and its entries from (a) (kept
 * for dns_tcplim_free()).  Returns 0, TB_EINVAL (clients or per_addr 0),
 * TB_ENOMEM.
 */
TB_API int dns_tcplim_init(struct dns_tcplim *l, uint32_t clients,
                           uint32_t per_addr, uint64_t seed,
                           const struct tb_alloc *a);

/* Returns (l)'s entries to its allocator. */
TB_API void dns_tcplim_free(struct dns_tcplim *l);

/*
 * A connection from (peer) is being accepted: returns true and counts it,
 * or false (counted in st->tcp_refused_addr) when (peer) already has
 * per_addr open; the driver MUST then close it.  A NULL (peer) or one
 * without an address, and any peer of a table that was never set up, is
 * always allowed and not counted.  The driver MUST NOT open more
 * connections than the (clients) given to dns_tcplim_init().
 */
TB_API bool dns_tcplim_open(struct dns_tcplim *l, const struct tb_addr *peer,
                            struct dns_srv_stats *st);

/* A connection dns_tcplim_open() allowed from (peer) was closed. */
TB_API void dns_tcplim_close(struct dns_tcplim *l, const struct tb_addr *peer);

/* Connections counted open from (peer)'s address (tests, diagnostics). */
TB_API uint32_t dns_tcplim_count(const struct dns_tcplim *l,
                                 const struct tb_addr *peer);

/* ---- DNS Cookies (lib/dns/cookie.c) -----------------------------------
 *
 * RFC 7873 cookies with RFC 9018 interoperable server cookies: a client
 * sends an 8-byte client cookie in an EDNS COOKIE option; we answer with
 * it and a 16-byte server cookie, version 1, 3 reserved bytes, a 32-bit
 * timestamp (wall-clock seconds, serial arithmetic) and
 *   SipHash-2-4(client cookie | version | reserved | timestamp | client IP,
 *               secret)
 * so every server of an anycast set that shares the secret accepts the
 * cookies of the others.  A client that returns a valid server cookie has
 * proven it receives our answers at its address: it is never
 * rate-limited (RRL) and never gets BADCOOKIE.  The answer engine does the
 * protocol (dns_auth_answer_env(), auth.h); this is the cookie itself.
 */
#define DNS_COOKIE_OPT         10 /* EDNS option code */
#define DNS_COOKIE_CLIENT_LEN  8
#define DNS_COOKIE_SERVER_LEN  16 /* RFC 9018's; RFC 7873 allows 8..32 */
#define DNS_COOKIE_MAX_LEN     40 /* client + the longest server cookie */
#define DNS_COOKIE_SECRET_LEN  16
#define DNS_COOKIE_SECRETS_MAX 4 /* the active one and 3 accepted */
#define DNS_COOKIE_VERSION     1
#define DNS_COOKIE_REFRESH_S   1800 /* RFC 9018 4.3: older: a fresh one */
#define DNS_COOKIE_LIFETIME_S  3600 /* older: not valid */
#define DNS_COOKIE_SKEW_S      300 /* from the future by more: not valid */

/* What a query's COOKIE option is (dns_cookie_check()). */
enum dns_cookie_res {
    DNS_COOKIE_NONE = 0, /* no option, or cookies off */
    DNS_COOKIE_NEW, /* a client cookie only: a new server cookie */
    DNS_COOKIE_VALID, /* our server cookie, within its lifetime */
    DNS_COOKIE_INVALID, /* a server cookie not ours, or expired: a new one */
    DNS_COOKIE_MALFORMED /* length not 8 nor 16..40: FORMERR */
};

/* The cookie context of a service: caller-placed, shared read-only by
 * every thread; fields private. */
struct dns_cookie {
    /* private */
    uint8_t secret[DNS_COOKIE_SECRETS_MAX][DNS_COOKIE_SECRET_LEN]; /* [0]:
                                                    active */
    unsigned nsecrets;
    int64_t wall_off_ns; /* wall clock = monotonic (now) + this */
    bool require; /* BADCOOKIE to UDP queries without a valid one */
};

/*
 * Sets (c) up with (secret) (DNS_COOKIE_SECRET_LEN bytes, copied: given
 * at run time, random unless the operator shares one between servers)
 * and (wall_off_ns), the wall clock (ns since the epoch) minus the
 * driver's monotonic clock, from which the core's (now) derives the
 * cookie timestamps.  (require): UDP queries without a valid server
 * cookie get BADCOOKIE and a fresh cookie instead of an answer.
 */
TB_API void dns_cookie_init(struct dns_cookie *c, const uint8_t *secret,
                            int64_t wall_off_ns, bool require);

/*
 * Also accepts server cookies made with (secret) (16 bytes, copied), an
 * earlier one during a rollover (RFC 9018 5): a cookie it made is valid
 * and answered with a fresh cookie made with the active secret.  Returns
 * 0, or TB_ESPACE when (c) holds DNS_COOKIE_SECRETS_MAX secrets already.
 */
TB_API int dns_cookie_accept(struct dns_cookie *c, const uint8_t *secret);

/* Whether (a) and (b) (either MAY be NULL: false) hold the same secrets
 * in the same order (a reload that read the same secret file).  The
 * secrets are compared in constant time. */
TB_API bool dns_cookie_same(const struct dns_cookie *a,
                            const struct dns_cookie *b);

/*
 * Reads cookie secrets from text (s, len) (a secret file, a boot
 * argument): 32 hex digits each, separated by spaces, tabs, line breaks
 * or commas, into (out) (DNS_COOKIE_SECRETS_MAX * DNS_COOKIE_SECRET_LEN
 * bytes), the first being the active one.  Returns their count (1 or
 * more), or TB_EMALF (no secret, or one not of 32 hex digits: its line,
 * from 1, in (*line)), TB_ESPACE (more than DNS_COOKIE_SECRETS_MAX).
 */
TB_API int dns_cookie_secrets_parse(const char *s, size_t len, uint8_t *out,
                                    unsigned *line);

/*
 * The RFC 9018 server cookie (out, DNS_COOKIE_SERVER_LEN bytes) for
 * client cookie (client, 8 bytes) from (peer) (IPv4 or IPv6) at wall time
 * (ts) (seconds) under (secret) (16 bytes).  Reserved bytes are zero.
 */
TB_API void dns_cookie_make(const uint8_t *secret, const uint8_t *client,
                            const struct tb_addr *peer, uint32_t ts,
                            uint8_t *out);

/*
 * Judges COOKIE option data (opt, len) (untrusted) from (peer) (IPv4 or
 * IPv6, NOT NULL) at monotonic (now) under (c), and unless the result is
 * DNS_COOKIE_MALFORMED writes the option data to send back into (out)
 * (DNS_COOKIE_CLIENT_LEN + DNS_COOKIE_SERVER_LEN bytes): the client
 * cookie and, for DNS_COOKIE_VALID, the server cookie echoed while it is
 * younger than DNS_COOKIE_REFRESH_S and made with the active secret, else
 * a fresh one (made with the active secret).  Constant time in the hash
 * comparison.
 */
TB_API enum dns_cookie_res dns_cookie_check(const struct dns_cookie *c,
                                            const struct tb_addr *peer,
                                            uint64_t now, const uint8_t *opt,
                                            size_t len, uint8_t *out);

/* (c) requires cookies of UDP clients (cookies-require). */
static inline bool dns_cookie_required(const struct dns_cookie *c)
{
    return c->require;
}

/* ---- outgoing zone transfers (lib/dns/xfr.c) ----------------------------
 *
 * AXFR (RFC 5936) and IXFR (RFC 1995) over TCP are answered by the TCP
 * session, which streams several messages for one request: the session
 * asks dns_xfr_next() for the next message whenever its output buffer
 * has room, so a slow secondary holds one buffer, never the whole zone.
 * Records come from the blob's records section (DNS_ZONE_COMPILE_RECORDS;
 * a blob without it refuses transfers), deltas from the zone's history,
 * both in (struct dns_srv).xfr, which the driver publishes with the zone
 * set.  A request not allowed (no allow-transfer entry matches) is left
 * to dns_auth_answer(): REFUSED with EDE 18, as before.
 */
#define DNS_XFR_MSG_TARGET 16384 /* a message is closed past this size */

/* allow-transfer entries are struct dns_acl (dns/acl.h). */

/*
 * One IXFR delta (RFC 1995 2): from serial (from) to (to), as records in
 * (rrs, len) in the IXFR order -- the old SOA, the records deleted, the
 * new SOA, the records added -- each record
 *   owner (wire, lowercased) | u16 type | u16 rdlen | u32 ttl | rdata
 * with integers big-endian (dns_ixfr_diff() makes them).
 */
struct dns_ixfr_delta {
    uint32_t from, to;
    uint32_t nrrs; /* records in it, both SOAs included */
    const uint8_t *rrs;
    size_t len;
};

/*
 * Computes the IXFR delta from compiled zone (oldb, oldlen) to (newb,
 * newlen) -- two versions of one zone, both compiled with
 * DNS_ZONE_COMPILE_RECORDS -- by one merge of their records sections,
 * and appends it to (out) (a struct tb_buf with its allocator set).  Sets
 * (d->from, to, nrrs, len); (d->rrs) is left NULL: (out) may still move,
 * the caller points it at the bytes once they stay put.  Returns 0,
 * TB_EMALF / TB_ENOTSUP (a blob does not validate), TB_EINVAL (no records
 * section, other origins, or the new serial is not newer than the old
 * one, RFC 1982), TB_ENOMEM; on error (out) keeps its length.  Cold path,
 * O(old + new).
 */
TB_API int dns_ixfr_diff(const void *oldb, size_t oldlen, const void *newb,
                         size_t newlen, struct tb_buf *out,
                         struct dns_ixfr_delta *d);

/* Transfer settings of one zone (the service file's allow-transfer), and
 * its history for IXFR. */
struct dns_xfr_zone {
    uint8_t origin[DNS_NAME_MAXLEN]; /* lowercased wire name */
    const struct dns_acl *allow; /* [nallow]; none: every request refused */
    size_t nallow;
    const struct dns_ixfr_delta *hist; /* [nhist], oldest first, each one's
                                          (to) the next one's (from) */
    size_t nhist;
};

struct dns_xfr_conf {
    const struct dns_xfr_zone *zones; /* [n], any order */
    size_t n;
};

/* A transfer being streamed; caller-placed (inside struct dns_tcp),
 * fields private. */
struct dns_xfr_out {
    /* private */
    uint8_t state; /* XS_* (xfr.c); 0: none */
    bool opt; /* the request had an OPT: every message gets ours */
    uint16_t id, qtype, rd;
    uint8_t qlen;
    uint64_t gen; /* (struct dns_srv).zs_gen when it started */
    const void *z; /* the zone (const struct zdb *) */
    const struct dns_xfr_zone *xz;
    size_t di; /* IXFR: delta being sent */
    uint32_t pos; /* offset of the next record (records section, delta) */
    uint32_t left; /* records left in it */
    uint8_t qname[DNS_NAME_MAXLEN]; /* as the client wrote it */
    bool tsigned; /* the request was signed: every message is (tsig) */
    struct dns_tsig_ctx tsig; /* RFC 8945 5.3.1: the stream's MAC chain */
};

/*
 * Looks at TCP query (q, len) from (peer) (MAY be NULL: nothing matches
 * an allow-transfer list).  When it is an AXFR or IXFR request for one of
 * (s)'s zones that (s->xfr) allows (peer in allow-transfer, the blob has
 * its records), sets (x) up to stream the answer and returns true;
 * otherwise (not a transfer, not allowed, malformed, TSIG-signed) returns
 * false and the caller answers (q) with dns_auth_answer() (REFUSED and
 * EDE 18 for a refused transfer).  Counts xfr_* in (s->st).
 */
TB_API bool dns_xfr_start(struct dns_xfr_out *x, struct dns_srv *s,
                          const struct tb_addr *peer, const uint8_t *q,
                          size_t len);

/*
 * Writes the next message of transfer (x) into (out, cap) (cap <= 65535)
 * and returns its length; 0 when nothing was written: the transfer is
 * over (dns_xfr_active() false), or the next record does not fit in
 * (cap) (call again with more room; 65535 always suffices), or the zone
 * set changed since it began ((s->zs_gen) differs: it is cut, counted in
 * xfr_cut, and dns_xfr_cut() is true: the connection must be closed).
 */
TB_API size_t dns_xfr_next(struct dns_xfr_out *x, struct dns_srv *s,
                           uint8_t *out, size_t cap);

/*
 * IXFR over UDP (RFC 1995 2): when datagram (q, len) from (peer) is an
 * IXFR request dns_xfr_start() would accept, writes the answer into
 * (resp, cap) -- the zone's current SOA alone, whether the client is
 * current or not (a client that is not asks again over TCP) -- and
 * returns its length; else 0 (the engine answers).
 */
TB_API size_t dns_xfr_udp(struct dns_srv *s, const struct tb_addr *peer,
                          const uint8_t *q, size_t len, uint8_t *resp,
                          size_t cap);

/* True while (x) has messages to send. */
TB_API bool dns_xfr_active(const struct dns_xfr_out *x);
/* True when (x) was cut (see dns_xfr_next). */
TB_API bool dns_xfr_cut(const struct dns_xfr_out *x);

/* ---- TCP sessions (RFC 7766) -------------------------------------------
 *
 * A driver's loop for one connection, until it would block:
 *
 *     while ((n = dns_tcp_output(t, &p)) > 0)         // answers to send
 *         if ((w = write(p, n)) > 0) dns_tcp_sent(t, w, now); else break;
 *     if ((n = dns_tcp_rspace(t, &p)) > 0)            // room to read
 *         r = read(p, n): r > 0 ? dns_tcp_received(t, r, now)
 *                       : r == 0 ? dns_tcp_eof(t, now) : (would block)
 *     if (dns_tcp_done(t)) close;
 *
 * and, on its timer, dns_tcp_expire(t, now) at dns_tcp_deadline(t).
 * While answers wait to be sent and there is no room for another
 * maximum-size answer, dns_tcp_rspace() returns 0: reading stops and the
 * peer's TCP window stops the peer (back-pressure, no unbounded queue).
 */
struct dns_tcp {
    /* private */
    struct dns_srv *srv;
    uint8_t *rbuf, *wbuf;
    uint32_t rlen; /* rbuf: [0, rlen) received, not yet answered */
    uint32_t woff, wlen; /* wbuf: [woff, wlen) not yet sent */
    uint32_t answered;
    uint8_t state; /* DNS_TCP_S_* (srv.c) */
    uint64_t last; /* time of the last complete message in or out */
    struct tb_addr peer;
    struct dns_xfr_out xfr; /* a transfer being streamed */
};

/*
 * Starts session (t) for a connection from (peer) (MAY be NULL) accepted
 * at (now), answering through (s), with the driver's buffers (rbuf)
 * (DNS_TCP_RBUF bytes) and (wbuf) (DNS_TCP_WBUF bytes), which MUST stay
 * valid until the connection is closed.  Counts stats.tcp_open.
 */
TB_API void dns_tcp_open(struct dns_tcp *t, struct dns_srv *s,
                         const struct tb_addr *peer, uint8_t *rbuf,
                         uint8_t *wbuf, uint64_t now);

/*
 * Where the driver may read the next bytes: sets (*p) and returns how
 * many may be written there, or 0 if nothing must be read now
 * (back-pressure, end of input, or the session is done).
 */
TB_API size_t dns_tcp_rspace(struct dns_tcp *t, uint8_t **p);

/* (n) bytes were read into the space dns_tcp_rspace() gave (n > 0 and
 * not more than it returned).  Answers every complete query it can. */
TB_API void dns_tcp_received(struct dns_tcp *t, size_t n, uint64_t now);

/* The peer closed its side: what is complete is still answered, then
 * the session is done. */
TB_API void dns_tcp_eof(struct dns_tcp *t, uint64_t now);

/* Sets (*p) to the bytes waiting to be sent and returns their count
 * (0: nothing to send). */
TB_API size_t dns_tcp_output(struct dns_tcp *t, const uint8_t **p);

/* (n) bytes of the output were accepted by the transport (n not more
 * than dns_tcp_output() returned).  Answers queries that waited for room. */
TB_API void dns_tcp_sent(struct dns_tcp *t, size_t n, uint64_t now);

/* True when the connection must be closed now: a framing error, a
 * timeout, or end of input (EOF, query limit) with every answer sent. */
TB_API bool dns_tcp_done(const struct dns_tcp *t);

/* When dns_tcp_expire() must be called (UINT64_MAX: no timeout). */
TB_API uint64_t dns_tcp_deadline(const struct dns_tcp *t);

/* Checks the timeouts at (now); returns true (and counts it) if the
 * session timed out: then dns_tcp_done() is true and the driver closes. */
TB_API bool dns_tcp_expire(struct dns_tcp *t, uint64_t now);

#endif /* DNS_SRV_H */
