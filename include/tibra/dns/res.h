/*
 * dns/res.h -- the caching resolver core (issue 11, first part): a cache of
 * RRsets and negative answers, and a sans-I/O iterative resolver on top of
 * it.  A driver (tibra-dnsd, the guest app, a test) only moves bytes and
 * time:
 *
 *   client query --dns_res_query--> answer from the cache at once
 *                               \--> a task: loop
 *                                      dns_res_task_next() -> SEND (server,
 *                                        transport, bytes, deadline) | DONE
 *                                      dns_res_task_input(reply bytes, from)
 *                                      dns_res_task_timeout() at the deadline
 *                                    until DONE: dns_res_task_response()
 *
 * Nothing here does I/O, reads a clock or allocates after init: time is
 * passed in (monotonic nanoseconds), randomness (query IDs) comes from a
 * callback the driver supplies, memory is reserved by dns_cache_init() and
 * dns_res_init().  Source-port randomisation is the driver's duty (a fresh
 * socket per outbound query); the core matches a reply on (server address
 * and port, transport, ID, question) and rejects anything else.
 *
 * lib/dns/res_cache.c (the cache), res.c (tasks, server selection, client
 * queries), res_iter.c (frames, replies, what is believed), res_hints.c
 * (root hints), res_stale.c (serve-stale, prefetch).  Not yet: DNAME,
 * lock-free sharing of
 * one cache by several threads (see docs/DESIGN.md, "res").
 */
#ifndef DNS_RES_H
#define DNS_RES_H

#include <tibra/dns.h>
#include <tibra/dns/acl.h>
#include <tibra/dns/val.h>

/*
 * ---------------------------------------------------------------------
 * Cache
 * ---------------------------------------------------------------------
 */

/* How much an RRset is trusted (RFC 2181 5.4.1): a lower rank never
 * replaces a higher one that has not expired, and clients are answered
 * only from DNS_RANK_ANSWER data. */
enum dns_rank {
    DNS_RANK_GLUE = 1, /* additional section of a referral (in bailiwick) */
    DNS_RANK_REFERRAL = 2, /* NS RRset of a referral (parent side) */
    DNS_RANK_ANSWER = 3 /* answer or negative from an authoritative server */
};

/* Cache entry kinds (dns_cache_view.kind). */
enum dns_cache_kind {
    DNS_CACHE_RRSET = 1, /* positive: (nrr) RRs of (type) */
    DNS_CACHE_NODATA = 2, /* RFC 2308 NODATA for (name, type) */
    DNS_CACHE_NXDOMAIN = 3 /* RFC 2308 NXDOMAIN for (name), every type */
};

/* Validation state of an entry (dns_cache_view.sec): an enum
 * dns_val_state, or this when it was never validated (validation off, or
 * data a validating resolver took without checking: glue, the addresses
 * of NS names).  A validating cache answers clients only from checked
 * entries. */
#define DNS_CACHE_UNCHECKED 0

/*
 * What a lookup found.  (data, len) points into the cache and is valid
 * until the next dns_cache_put() or dns_cache_free() on the same cache.
 *   RRSET: (nrr) records, each [rdlen u16][rdata], uncompressed wire rdata.
 *   NODATA, NXDOMAIN: the SOA as [owner name][rdlen u16][rdata], its
 *          TTL the entry's (len 0: the answer came without an SOA).
 * (extra, extra_len): DNSSEC records kept beside the data (RRSET: its
 * RRSIGs; negative: the NSEC/NSEC3 records and RRSIGs of the proof), each
 * [owner name][type u16][rdlen u16][rdata]; returned to DO clients.
 * (sec): DNS_CACHE_UNCHECKED or the enum dns_val_state found when the
 * entry was stored (never recomputed on a hit); (ede): for BOGUS, the RFC
 * 8914 info-code (0: none).
 */
struct dns_cache_view {
    uint8_t kind; /* enum dns_cache_kind */
    uint8_t rank; /* enum dns_rank */
    uint16_t nrr;
    uint32_t ttl; /* seconds left (>= 0 at the time of the lookup) */
    const uint8_t *data;
    size_t len;
    uint8_t sec, ede;
    const uint8_t *extra;
    size_t extra_len;
};

struct dns_cache;

/* Limits given at init (from the service file). */
struct dns_cache_conf {
    size_t mem_bytes; /* hard bound on everything the cache allocates,
                         its table included; at least 64 KiB */
    uint32_t ttl_min; /* positive TTLs below are raised (0: none) */
    uint32_t ttl_max; /* positive TTLs above are lowered (0: 86400) */
    uint32_t neg_ttl_max; /* negative TTLs above are lowered (0: 3600,
                             RFC 2308 5 suggests 1-3 hours) */
    uint64_t seed; /* keys the table's hash so clients cannot aim names
                      at one bucket: the driver's random bits (0: the
                      block's address, for tests) */
};

/*
 * Creates a cache that takes exactly (conf->mem_bytes) bytes from (a) now,
 * in one block, and never more: entries live in a ring log inside it,
 * reclaimed oldest first with a second chance for entries read since
 * they were written (CLOCK over a log).  Returns 0 with the cache in (*c),
 * or TB_EINVAL (mem_bytes below 64 KiB or above 4 GiB), TB_ENOMEM.
 */
TB_API int dns_cache_init(struct dns_cache **c,
                          const struct dns_cache_conf *conf,
                          const struct tb_alloc *a);

/* Frees (c) (MAY be NULL) with the allocator it was created with. */
TB_API void dns_cache_free(struct dns_cache *c);

/*
 * Looks up (name, type) in class IN; (name) a trusted wire name in any
 * case; (type) 0 looks for an NXDOMAIN entry of (name).  Entries expired
 * at (now) or of a rank below (min_rank) are not found.  Marks the entry
 * used (its second chance).  Returns true and fills (*v), else false.
 */
TB_API bool dns_cache_get(struct dns_cache *c, const uint8_t *name,
                          uint16_t type, uint64_t now, unsigned min_rank,
                          struct dns_cache_view *v);

/*
 * Stores an entry for (name, type) (type 0 only with NXDOMAIN), replacing
 * one of the same key unless that one has a higher rank and has not
 * expired.  (kind), (rank), (nrr) and (data, len) as in struct
 * dns_cache_view (copied); (ttl) in seconds, capped by the conf's limits
 * (negative ones by neg_ttl_max).  A TTL of 0 is not stored.  Older entries
 * are evicted to make room.  Returns 0 (stored, or not replaced because
 * of rank or TTL 0), or TB_ENOSPC (larger than a quarter of the cache).
 */
TB_API int dns_cache_put(struct dns_cache *c, const uint8_t *name,
                         uint16_t type, uint8_t kind, uint8_t rank,
                         uint32_t ttl, uint16_t nrr, const uint8_t *data,
                         size_t len, uint64_t now);

/*
 * dns_cache_put() with a validation state (sec) (DNS_CACHE_UNCHECKED or
 * an enum dns_val_state), the EDE info-code (ede) of a BOGUS state, and
 * the DNSSEC records (extra, extra_len) in the form of dns_cache_view's
 * extra (copied).  A BOGUS entry lives at most DNS_CACHE_BOGUS_TTL
 * seconds (as Unbound's val-bogus-ttl).
 */
#define DNS_CACHE_BOGUS_TTL 60
TB_API int dns_cache_put_sec(struct dns_cache *c, const uint8_t *name,
                             uint16_t type, uint8_t kind, uint8_t rank,
                             uint32_t ttl, uint16_t nrr, const uint8_t *data,
                             size_t len, uint8_t sec, uint8_t ede,
                             const uint8_t *extra, size_t extra_len,
                             uint64_t now);

/*
 * Makes (c) a validating resolver's cache: the hit path answers only
 * from validated entries (others are misses, resolved again), sets AD on
 * SECURE answers to clients that set AD or DO (RFC 6840 5.7), adds the
 * RRSIGs and denial proofs for DO, and answers a BOGUS entry with
 * SERVFAIL and its Extended DNS Error unless the client set CD.
 * dns_res_init() calls it when validation is on.
 */
TB_API void dns_cache_set_validating(struct dns_cache *c, bool on);

/* Counters of one cache. */
struct dns_cache_stats {
    uint64_t entries; /* live entries now */
    uint64_t bytes; /* bytes of the ring in use now (dead ones included) */
    uint64_t inserts, replaced, evicted, expired_evicted, refused_rank;
};
/* Copies the counters of (c) into (*st). */
TB_API void dns_cache_stats(const struct dns_cache *c,
                            struct dns_cache_stats *st);

/*
 * The fast hit path.  Answers the client query (q, qlen) (untrusted bytes)
 * from the cache alone, writing the response into (out, cap) (cap >= 512).
 * The answer is the client's ID and question, RD copied, RA set, then the
 * cached chain: CNAMEs (at most 8) ending in the RRset, a NODATA or an
 * NXDOMAIN (with its SOA in the authority section), TTLs counted down;
 * an OPT RR when the query had one.  A validating cache
 * (dns_cache_set_validating) also sets AD, adds RRSIGs and proofs for DO
 * and answers BOGUS entries with SERVFAIL and EDE (not with CD).  Over UDP
 * ((tcp) false) the response is limited to 512 bytes or the client's EDNS size
 * (at most 1232); what does not fit is answered with TC and no records. Returns
 * the length, or 0 when the cache cannot answer (a miss, or a query this path
 * does not handle: anything but a well-formed class IN QUERY with one question
 * and EDNS version 0 of a data type).
 */
TB_API size_t dns_cache_answer(struct dns_cache *c, const uint8_t *q,
                               size_t qlen, bool tcp, uint64_t now,
                               uint8_t *out, size_t cap);

/*
 * The same for a query the caller has parsed: (qu) MUST be what
 * dns_query_parse() returned 0 for on (q), and the caller MUST have
 * checked what dns_cache_answer() checks (QUERY, class IN, a data type,
 * no TSIG, EDNS version 0).  Saves the second parse on the hit path.
 */
TB_API size_t dns_cache_answer_parsed(struct dns_cache *c, const uint8_t *q,
                                      const struct dns_query *qu, bool tcp,
                                      uint64_t now, uint8_t *out, size_t cap);

/*
 * Serve-stale (RFC 8767): answers the parsed client query (q, qu) as
 * dns_cache_answer_parsed() does, but from entries expired at most
 * (max_stale_s) seconds before (now) (fresh ones too), every TTL 30
 * (RFC 8767 4, the stale answer TTL) and, when the query had an OPT,
 * Extended DNS Error 3 Stale Answer (RFC 8914 4.4).  For a resolution
 * that failed.  Returns the length, or 0 (nothing, or too stale).
 */
#define DNS_CACHE_STALE_TTL 30
TB_API size_t dns_cache_answer_stale(struct dns_cache *c, const uint8_t *q,
                                     const struct dns_query *qu, bool tcp,
                                     uint64_t now, uint32_t max_stale_s,
                                     uint8_t *out, size_t cap);

/*
 * ---------------------------------------------------------------------
 * Root hints
 * ---------------------------------------------------------------------
 */

#define DNS_RES_HINTS_MAX 16 /* name servers of the root */
#define DNS_RES_ADDRS_MAX 32 /* addresses of a server set */

/* The root's name servers and their addresses (one entry per address). */
struct dns_res_hints {
    unsigned nns;
    uint8_t ns[DNS_RES_HINTS_MAX][DNS_NAME_MAXLEN];
    unsigned naddr;
    struct {
        uint8_t ns; /* index into ns[] */
        struct tb_addr addr; /* port 53 */
    } addr[DNS_RES_ADDRS_MAX];
};

/*
 * Parses a root hints file (text, len) (the IANA named.root format: a
 * zone file of ". NS name" and "name A/AAAA address" records; other
 * records are ignored) with the zone parser, reading (file) in messages
 * through (d).  (text) NULL uses the built-in copy of IANA's named.root.
 * (a) is for the parser's temporary memory.  Returns 0, TB_EMALF (does
 * not parse), TB_ESEMANTIC (no root NS with an address), TB_ENOMEM.
 */
TB_API int dns_res_hints_parse(struct dns_res_hints *h, const char *text,
                               size_t len, const char *file,
                               const struct tb_alloc *a, struct dns_diag *d);

/*
 * ---------------------------------------------------------------------
 * Resolver
 * ---------------------------------------------------------------------
 */

/* How a query goes out.  DNS_RES_TLS (forward-tls forwarders only): DNS
 * over TCP inside TLS (RFC 7858), which the driver sets up (dns/tls.h)
 * with the authentication name it was given for that server; the core
 * treats it as TCP (no TC fallback, the handshake in the deadline). */
enum dns_res_transport { DNS_RES_UDP = 0, DNS_RES_TCP = 1, DNS_RES_TLS = 2 };

#define DNS_RES_FWD_ADDRS 8 /* servers of a forward or stub zone */

/*
 * A forward or stub zone (the service file's forward and stub).  Names at
 * or under (zone) are resolved through (addr) instead of from the root:
 *   forward (recursive true): each is asked with RD set and its answers
 *     are taken without AA -- the answer chain for names under (zone),
 *     NXDOMAIN and NODATA with an SOA under (zone); a CNAME that leaves
 *     (zone) is followed from the root (or another forward or stub
 *     zone); no referral is followed.
 *   stub (recursive false): (addr) are the authoritative servers of
 *     (zone): iteration starts there (referrals below it followed, AA
 *     required), whatever the public tree says.
 * The longest zone that covers a name is used ("." forwards everything).
 */
struct dns_res_fwd {
    uint8_t zone[DNS_NAME_MAXLEN]; /* wire form, lower case */
    bool recursive; /* forward; false: stub */
    bool tls; /* forward-tls: (addr) are asked over DNS_RES_TLS */
    unsigned naddr; /* 1..DNS_RES_FWD_ADDRS */
    struct tb_addr addr[DNS_RES_FWD_ADDRS]; /* with their ports */
};

struct dns_rrl; /* dns/srv.h */

/*
 * DNSSEC validation of a resolver (conf.val).  The caller fills the first
 * fields and calls dns_res_val_init(), which adds the validator's entry
 * points: a program that validates links lib/dns/val*.c and BearSSL
 * through it, one that does not (a guest without BearSSL) never names it.
 */
struct dns_res_val {
    /* trust anchors (DS or DNSKEY records, dns_val_anchors_parse();
       borrowed: MUST outlive the resolver).  Names under no anchor are
       insecure. */
    const struct dns_val_anchors *anchors;
    /* negative trust anchors (Unbound's domain-insecure): wire names,
       lower case (borrowed); nothing at or under them is validated */
    const uint8_t (*insecure)[DNS_NAME_MAXLEN];
    size_t ninsecure;
    dns_val_ed25519_fn ed25519; /* algorithm 15 (MAY be NULL: unsupported) */
    /* UNIX seconds at the driver's monotonic time 0 (signature windows
       are in UNIX time; the core reads no clock) */
    int64_t unix_at_zero;
    /* set by dns_res_val_init() */
    enum dns_val_state (*response)(const struct dns_val_conf *, const uint8_t *,
                                   size_t, const uint8_t *, uint16_t,
                                   const uint8_t *,
                                   const struct dns_val_rdata *, size_t,
                                   uint8_t *, size_t, enum dns_val_reason *);
    enum dns_val_state (*dnskey)(const struct dns_val_conf *,
                                 const struct dns_val_rrset *,
                                 const struct dns_val_rdata *, size_t,
                                 const struct dns_val_rdata *, size_t,
                                 const struct dns_val_rdata *, size_t,
                                 enum dns_val_reason *);
    size_t (*anchors_get)(const struct dns_val_anchors *, const uint8_t *,
                          uint16_t, struct dns_val_rdata *, size_t);
    int (*ede)(enum dns_val_reason);
    bool (*alg_supported)(const struct dns_val_conf *, uint8_t);
    bool (*digest_supported)(uint8_t);
    bool (*delegation)(const struct dns_val_conf *, const uint8_t *,
                       const struct dns_val_nrr *, size_t, const uint8_t *);
};

/* Fills the entry points of (v) (lib/dns/res_valops.c). */
TB_API void dns_res_val_init(struct dns_res_val *v);

struct dns_res;
/* The driver's wall clock again (dns_res_val.unix_at_zero), for resolver
 * (r) from now on: a driver calls it now and then (tibra-dnsd: once a
 * second) so that a step of the system clock moves signature windows. */
TB_API void dns_res_set_unix_time(struct dns_res *r, int64_t unix_at_zero);
struct dns_zoneset; /* dns/auth.h */

/* Limits on the work one client query may cause (no amplification). */
struct dns_res_conf {
    unsigned max_tasks; /* concurrent resolutions (0: 64) */
    unsigned max_queries; /* outbound queries per client query (0: 48) */
    unsigned max_referrals; /* referrals followed per name (0: 16) */
    unsigned max_depth; /* nested lookups of glueless NS names (0: 3,
                           at most DNS_RES_DEPTH_MAX) */
    unsigned max_cname; /* CNAMEs followed (0: 8) */
    unsigned max_tries; /* unanswered queries per server address per
                           name (0: 2) */
    uint64_t timeout_min_ns; /* shortest wait for a reply (0: 100 ms) */
    uint64_t timeout_max_ns; /* longest wait (0: 1.5 s) */
    bool ipv6; /* also use servers' IPv6 addresses */
    bool no_qmin; /* QNAME minimisation (RFC 9156) off; on by default */
    /* Serve-stale (RFC 8767; the service file's serve-stale): a
       resolution that ends in SERVFAIL because upstreams failed (not a
       validation failure) is answered from cache entries expired at most
       (serve_stale_s) seconds ago, TTL 30, EDE 3 (counted in stale);
       0: off. */
    uint32_t serve_stale_s;
    /* Prefetch (the service file's prefetch, as Unbound's): a cache hit
       on an entry with less than 10% of its TTL left queues a refresh of
       the question, which the driver runs as a task with no client
       (dns_res_prefetch_next), while clients keep getting the cached
       answer.  Counted in prefetch. */
    bool prefetch;
    /* 0x20 (draft-vixie-dnsext-dns0x20; the service file's use-0x20, as
       Unbound's use-caps-for-id): the letters of every name asked are
       upper or lower case at random, and a reply whose question is not
       in exactly that case is rejected (counted in case_mismatch), as a
       forgery that guessed the ID and port would be. */
    bool use_0x20;
    /* Root priming (RFC 8109): while the cache holds no answer for the
       root's NS set, dns_res_prefetch_next() also hands out a task asking
       the hints for ". NS" (its glue cached too), at most once per 10 s;
       resolutions use the hints meanwhile.  Not when "." is a forward or
       stub zone.  Counted in primes. */
    bool prime;
    /* Access control (the service file's allow): clients in one of the
       prefixes (allow)[nallow] (borrowed: MUST outlive the resolver; keys
       ignored) are served, others answered REFUSED, with Extended DNS
       Error 18 Prohibited (RFC 8914) when they sent an OPT.  (nallow) 0:
       loopback only (127.0.0.0/8, ::1), as Unbound's default. */
    const struct dns_acl *allow;
    size_t nallow;
    /* Forward and stub zones, (fwd)[nfwd] (borrowed: MUST outlive the
       resolver); none: everything from the root hints. */
    const struct dns_res_fwd *fwd;
    size_t nfwd;
    /* Rate limit per client (the service file's ratelimit): a table of
       dns_rrl_init() (dns/srv.h; the driver's, of this resolver's thread,
       borrowed) charged by dns_rrl_client() for each client query the
       cache cannot answer; over the limit the query is dropped (as
       Unbound's ip-ratelimit), counted in ratelimited.  Cache hits are
       never limited.  NULL: no limit. */
    struct dns_rrl *ratelimit;
    /* Local data (the service's own zones, Unbound's local-zone and
       auth-zone): a query for a name at or under an origin of (local)
       (borrowed; NULL or no zones: none) is answered by the authoritative
       engine (dns_auth_answer: AA, its data, its NXDOMAIN and NODATA),
       RA set, before the cache and never recursed; also without RD, as
       Unbound's allow serves local data to non-recursive queries.
       Counted in (local).  dns_res_set_local() replaces it. */
    const struct dns_zoneset *local;
    /* DNSSEC validation (RFC 4033-4035): NULL, or anchors NULL: off.
       Borrowed: MUST outlive the resolver.  On: every query carries DO,
       the DS and DNSKEY RRsets along the chain are fetched and cached,
       answers, referrals and denials are validated once, when they
       arrive, and the state is stored with the cache entry. */
    const struct dns_res_val *val;
    /* Randomness for query IDs: the driver's CSPRNG (getrandom, the
       platform's entropy); MUST NOT be NULL. */
    uint32_t (*random)(void *ctx);
    void *random_ctx;
};
#define DNS_RES_DEPTH_MAX 4

struct dns_res;
struct dns_res_task;

/* Counters, one set per resolver. */
struct dns_res_stats {
    uint64_t queries; /* client queries */
    uint64_t refused_acl; /* of them REFUSED: the client is not allowed */
    uint64_t cache_hits; /* answered at once by dns_res_query */
    uint64_t cache_misses; /* looked up in the cache, not found there */
    uint64_t tasks; /* resolutions started */
    uint64_t busy; /* SERVFAIL: no free task */
    uint64_t sent_udp, sent_tcp; /* outbound queries */
    uint64_t replies; /* replies accepted */
    uint64_t rejected; /* replies rejected: wrong server, ID, question,
                          not a response, malformed */
    uint64_t timeouts;
    uint64_t held_down; /* servers held down after timeouts in a row */
    uint64_t lame; /* REFUSED, SERVFAIL, lame or unusable replies */
    uint64_t out_of_bailiwick; /* records dropped from accepted replies */
    uint64_t limit; /* resolutions stopped by a work limit */
    uint64_t servfail; /* resolutions that ended in SERVFAIL */
    uint64_t ratelimited; /* client queries dropped: over ratelimit */
    uint64_t val_secure, val_insecure, val_bogus, val_indeterminate;
    /* replies validated, by outcome */
    uint64_t local; /* answered from conf.local's zones */
    uint64_t stale; /* failed resolutions answered stale (conf.serve_stale_s) */
    uint64_t prefetch; /* refreshes started (conf.prefetch) */
    uint64_t case_mismatch; /* replies rejected: 0x20 case (use_0x20) */
    uint64_t primes; /* root priming queries started (conf.prime) */
    uint64_t inflight; /* a gauge: tasks in use when dns_res_stats() ran */
};

/*
 * Creates a resolver over (cache) (borrowed; it MUST outlive the
 * resolver) with the root hints (hints) (copied) and limits (conf)
 * (copied).  Every task and the server RTT table are allocated from (a)
 * now.  Returns 0, TB_EINVAL (no random callback, no hints, max_depth
 * above DNS_RES_DEPTH_MAX), TB_ENOMEM.
 */
TB_API int dns_res_init(struct dns_res **r, const struct dns_res_conf *conf,
                        const struct dns_res_hints *hints,
                        struct dns_cache *cache, const struct tb_alloc *a);

/* Makes (zs) (borrowed, MAY be NULL) the local zones of (r) from now on
 * (conf.local): a driver whose zone set changes publishes the new one. */
TB_API void dns_res_set_local(struct dns_res *r, const struct dns_zoneset *zs);

/* Frees (r) (MAY be NULL) and every task it has. */
TB_API void dns_res_free(struct dns_res *r);

/* Results of dns_res_query. */
#define DNS_RES_ANSWERED 1 /* (out) holds the response */
#define DNS_RES_STARTED  2 /* (*task) is a new resolution */
#define DNS_RES_DROP                                                           \
    3 /* nothing to send (not a query, too short,                              \
          over conf.ratelimit) */

/*
 * A client query (q, qlen) (untrusted) from (client) over (tcp) at (now).
 * Answers at once into (out, cap) (cap >= 512) when it can -- REFUSED
 * with EDE 18 to a client not allowed (conf.allow; checked before
 * anything else), from the cache (dns_cache_answer), FORMERR, NOTIMP (opcode,
 * meta types ANY, AXFR, IXFR), REFUSED (class other than IN; RD clear, as
 * Unbound's "allow" without snooping), BADVERS, SERVFAIL (no free task)
 * -- and returns DNS_RES_ANSWERED with the length in (*outlen).  Else it
 * starts a resolution and returns DNS_RES_STARTED with it in (*task): the
 * driver then calls dns_res_task_next().  DNS_RES_DROP: send nothing.
 * (client) is recorded for the driver (dns_res_task_client) and MAY be
 * NULL: a caller with no client address (tests, fuzzers) is not checked
 * against conf.allow; drivers MUST pass the peer.
 */
TB_API int dns_res_query(struct dns_res *r, const uint8_t *q, size_t qlen,
                         const struct tb_addr *client, bool tcp, uint64_t now,
                         uint8_t *out, size_t cap, size_t *outlen,
                         struct dns_res_task **task);

/* One outbound query the core wants sent. */
struct dns_res_send {
    struct tb_addr server; /* address and port 53 */
    uint8_t transport; /* enum dns_res_transport; TCP: the driver frames it
                          (RFC 1035 4.2.2) and passes the reply unframed */
    const uint8_t *msg; /* the query, valid until the next call on the task */
    size_t len;
    uint64_t deadline; /* call dns_res_task_timeout() then, if no reply
                          was accepted */
};

#define DNS_RES_SEND 1 /* send (*s), then wait for the reply or deadline */
#define DNS_RES_DONE 2 /* the response is ready: dns_res_task_response */

/*
 * What task (t) needs next, at (now).  Returns DNS_RES_SEND with the query
 * in (*s) -- each call after SEND starts another query, so call it once
 * per reply or timeout -- or DNS_RES_DONE.
 */
TB_API int dns_res_task_next(struct dns_res_task *t, uint64_t now,
                             struct dns_res_send *s);

/*
 * A reply (msg, len) (untrusted, unframed) that arrived from (from) over
 * (transport) for task (t)'s outstanding query.  Returns 0 when it was
 * accepted (the query is answered: call dns_res_task_next()), or
 * TB_EINVAL when it does not match the query (another address or port,
 * transport, ID, question, not a response) or is malformed: it is
 * ignored, the task keeps waiting for the real reply.
 */
TB_API int dns_res_task_input(struct dns_res_task *t,
                              const struct tb_addr *from, unsigned transport,
                              const uint8_t *msg, size_t len, uint64_t now);

/* The outstanding query of (t) timed out at (now): the server is charged
 * and the next dns_res_task_next() tries another. */
TB_API void dns_res_task_timeout(struct dns_res_task *t, uint64_t now);

/* The response of a task that returned DNS_RES_DONE: the client's ID and
 * question, RA, the answer.  Valid until dns_res_task_free(). */
TB_API size_t dns_res_task_response(const struct dns_res_task *t,
                                    const uint8_t **msg);

/* The client address and transport given to dns_res_query(). */
TB_API const struct tb_addr *dns_res_task_client(const struct dns_res_task *t,
                                                 bool *tcp);

/* Returns (t) to its resolver's pool (any state). */
TB_API void dns_res_task_free(struct dns_res_task *t);

/*
 * Prefetch (conf.prefetch): the next refresh cache hits have asked for,
 * or root priming when it is due (conf.prime), started at (now) as a
 * task with no client, or NULL (none queued, or fewer than half the
 * tasks free: clients come first).  The driver runs
 * it as any other task and, when DONE, frees it without sending its
 * response anywhere.  Drivers call it after their client queries.
 */
TB_API struct dns_res_task *dns_res_prefetch_next(struct dns_res *r,
                                                  uint64_t now);

/* True for a task of dns_res_prefetch_next(). */
TB_API bool dns_res_task_background(const struct dns_res_task *t);

/* Copies the counters of (r) into (*st) and counts the tasks in use
 * (inflight); the driver sums them if it runs several resolvers
 * (dns_res_stats_add). */
TB_API void dns_res_stats(const struct dns_res *r, struct dns_res_stats *st);

/* Adds every counter of (one) to (sum); the same for cache counters. */
TB_API void dns_res_stats_add(struct dns_res_stats *sum,
                              const struct dns_res_stats *one);
TB_API void dns_cache_stats_add(struct dns_cache_stats *sum,
                                const struct dns_cache_stats *one);

/*
 * ---------------------------------------------------------------------
 * Clients over TCP (RFC 7766)
 * ---------------------------------------------------------------------
 *
 * A caller-placed session per client connection: the driver reads into
 * the span dns_res_conn_rspace() names and reports it with
 * dns_res_conn_received(); dns_res_conn_next() turns each complete query
 * into an answer (appended to the output at once) or a task the driver
 * drives as a UDP one and hands back with dns_res_conn_answer() when
 * DONE; the driver writes out what dns_res_conn_output() names and
 * reports it with dns_res_conn_sent().  Answers go out as they are ready,
 * not in query order (RFC 7766 7: clients match them by ID).  At most
 * DNS_RES_CONN_PENDING queries of one connection are resolved at once,
 * and a query is taken only when the output has room for every answer
 * it may then owe: back-pressure, no read while that is not so.
 */
#define DNS_RES_CONN_PENDING 4
#define DNS_RES_CONN_QMAX    4096 /* longest query taken; longer closes */
#define DNS_RES_CONN_RBUF    (2 + DNS_RES_CONN_QMAX)
#define DNS_RES_CONN_ANSMAX  16384 /* longest answer (else TC) */
#define DNS_RES_CONN_WBUF                                                      \
    ((DNS_RES_CONN_PENDING + 1) * (2 + DNS_RES_CONN_ANSMAX))

/* Caller-placed; every field is private. */
struct dns_res_conn {
    struct dns_res *r;
    struct tb_addr peer;
    bool has_peer; /* peer given: checked against conf.allow */
    uint8_t *rbuf; /* DNS_RES_CONN_RBUF bytes */
    uint8_t *wbuf; /* DNS_RES_CONN_WBUF bytes */
    size_t rlen, wlen, woff;
    unsigned pending; /* tasks out with the driver */
    bool closing; /* EOF or a framing error: no more queries */
    uint64_t last; /* last complete query in or answer out */
};

/* Starts session (c) for a connection from (peer) (MAY be NULL) of
 * resolver (r), with the driver's buffers (rbuf) and (wbuf). */
TB_API void dns_res_conn_open(struct dns_res_conn *c, struct dns_res *r,
                              const struct tb_addr *peer, uint8_t *rbuf,
                              uint8_t *wbuf, uint64_t now);

/* Where to read to: returns the room in (*p), 0 when no read may be
 * made now (back-pressure, or closing). */
TB_API size_t dns_res_conn_rspace(struct dns_res_conn *c, uint8_t **p);

/* (n) bytes were read into the span; (n) 0 is the peer's EOF. */
TB_API void dns_res_conn_received(struct dns_res_conn *c, size_t n,
                                  uint64_t now);

/*
 * Takes the next complete query, if the output has room.  Returns 0 (none
 * now), 1 (answered at once: see dns_res_conn_output) or 2 with a task
 * in (*t) that the driver MUST run to DONE and hand back to
 * dns_res_conn_answer(), or free with dns_res_task_free() if the
 * connection goes away first.  A length prefix of 0 or over
 * DNS_RES_CONN_QMAX ends the session (closing).
 */
TB_API int dns_res_conn_next(struct dns_res_conn *c, uint64_t now,
                             struct dns_res_task **t);

/* Appends the response of task (t) (DONE, started by this session) and
 * frees the task. */
TB_API void dns_res_conn_answer(struct dns_res_conn *c, struct dns_res_task *t,
                                uint64_t now);

/* The output waiting to be written: its length, the bytes in (*p). */
TB_API size_t dns_res_conn_output(const struct dns_res_conn *c,
                                  const uint8_t **p);

/* (n) bytes of the output were written. */
TB_API void dns_res_conn_sent(struct dns_res_conn *c, size_t n, uint64_t now);

/* True when the driver should close: closing with nothing pending or
 * unsent, or idle (no query in or answer out) for (idle_ns) with
 * nothing pending (RFC 7766 6.2.3). */
TB_API bool dns_res_conn_done(const struct dns_res_conn *c, uint64_t now,
                              uint64_t idle_ns);

#endif /* DNS_RES_H */
