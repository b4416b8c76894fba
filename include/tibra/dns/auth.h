/*
 * dns/auth.h -- compiled zones, zone sets and the authoritative engine.
 *
 *   struct dns_zone_src --dns_zone_compile--> blob (bytes: store it, bake
 *   it into an image, mmap it)  --dns_zoneset_build--> struct dns_zoneset
 *   (immutable)  --dns_auth_answer(query bytes)--> response bytes
 *
 * A compiled zone ("blob") is one position-independent read-only byte
 * string: a versioned header with a magic, canonical node table, name hash
 * table and, for every (name, type), the response sections already in
 * wire form.  Answering is: parse the question, hash the name, memcpy the
 * prepared sections, patch a few compression pointers.  Blobs are
 * little-endian and need no alignment; the format is described in
 * lib/dns/zonedb.h.
 *
 * lib/dns/zonedb_compile.c (compiler, cold), zonedb.c (blob validation),
 * zoneset.c, auth.c (the answer path: no allocation, no global state,
 * reentrant; one zone set MAY be used by several threads at once).
 */
#ifndef DNS_AUTH_H
#define DNS_AUTH_H
#include <tibra/dns.h>

struct dns_zone_src;

/*
 * Compiles zone (z) into a blob appended to (out) (a struct tb_buf whose
 * allocator the caller set).  (z) SHOULD have passed dns_zone_check(); the
 * compiler sorts and groups the records itself and needs only: an SOA at
 * the origin, every owner at or below the origin, class IN (or CH), rdata
 * well-formed for the types whose names it reads (NS, CNAME, DNAME, SOA,
 * MX, SRV, PTR, ...).  Anything else is reported through (diag) (MAY be
 * NULL) and fails.  Returns 0, TB_ESEMANTIC (zone unusable, see diag),
 * TB_EMALF (bad rdata), TB_ERANGE (a prepared response exceeds 65535
 * bytes or the zone exceeds 4 GiB), or TB_ENOMEM; on error (out) keeps its
 * previous length.  Deterministic: the same zone gives the same bytes.
 */
TB_API int dns_zone_compile(const struct dns_zone_src *z, struct tb_buf *out,
                            struct dns_diag *diag);

/* Also store every record of the zone in the blob (its records section,
 * lib/dns/zonedb.h), which outgoing transfers (AXFR, IXFR) stream from;
 * a blob without it answers queries alike but refuses transfers. */
#define DNS_ZONE_COMPILE_RECORDS 0x1u

/* dns_zone_compile() with (flags): 0 or DNS_ZONE_COMPILE_RECORDS. */
TB_API int dns_zone_compile_flags(const struct dns_zone_src *z,
                                  struct tb_buf *out, struct dns_diag *diag,
                                  unsigned flags);

/*
 * Validates blob (blob, len), not trusted (it may come from a file or an
 * image), and returns its origin: a pointer into (blob) to the lowercased
 * wire name in (*origin) (MAY be NULL) and the serial in (*serial) (MAY be
 * NULL).  Returns 0, TB_EMALF (not a blob or any offset out of bounds),
 * TB_ENOTSUP (a blob of another format version).  O(len).
 */
TB_API int dns_zone_open(const void *blob, size_t len, const uint8_t **origin,
                         uint32_t *serial);

/* Server options copied into a zone set. */
struct dns_auth_opts {
    bool chaos; /* answer CH TXT id.server etc.; else REFUSED */
    const char *identity; /* id.server / hostname.bind (NULL: "tibra") */
    const char *version; /* version.server / version.bind (NULL: "") */
    uint16_t udp_max; /* largest UDP response with EDNS; 0 = 1232;
                         values below 512 count as 512 */
    const uint8_t *nsid; /* NSID payload (RFC 5001), any bytes, sent to
                            queries whose OPT asks for it */
    size_t nsid_len; /* at most 255; 0 (or nsid NULL): no NSID */
};

struct dns_zoneset;

/*
 * Builds an immutable zone set over (n) compiled zones (blobs[i], lens[i]),
 * validating each (dns_zone_open).  The blobs are NOT copied: they are
 * owned by the caller and MUST stay unchanged and alive until
 * dns_zoneset_free.  (opts) (MAY be NULL for defaults) is copied, strings
 * and NSID included.  Memory comes from (a).  Returns 0 with the set in
 * (*zs), or TB_EMALF / TB_ENOTSUP (blob (i) invalid; nothing is built),
 * TB_EEXIST (two zones with the same origin), TB_EINVAL (n > 65535, a
 * string or the NSID over 255 bytes), TB_ENOMEM.  n == 0 is allowed (everything
 * is REFUSED).
 */
TB_API int dns_zoneset_build(struct dns_zoneset **zs, const void *const *blobs,
                             const size_t *lens, size_t n,
                             const struct dns_auth_opts *opts,
                             const struct tb_alloc *a);

/* Frees (zs) (MAY be NULL), with the allocator it was built with. */
TB_API void dns_zoneset_free(struct dns_zoneset *zs, const struct tb_alloc *a);

/* True when the trusted wire name (name) (any case) is at or under the
 * origin of a zone of (zs) (MAY be NULL: false).  O(zones). */
TB_API bool dns_zoneset_covers(const struct dns_zoneset *zs,
                               const uint8_t *name);

/* Query types counted one by one (dns_auth_stats.qtype); every other
 * type counts as OTHER. */
enum dns_qt {
    DNS_QT_A,
    DNS_QT_NS,
    DNS_QT_CNAME,
    DNS_QT_SOA,
    DNS_QT_PTR,
    DNS_QT_MX,
    DNS_QT_TXT,
    DNS_QT_AAAA,
    DNS_QT_SRV,
    DNS_QT_DS,
    DNS_QT_DNSKEY,
    DNS_QT_HTTPS,
    DNS_QT_ANY,
    DNS_QT_AXFR,
    DNS_QT_IXFR,
    DNS_QT_OTHER,
    DNS_QT_COUNT
};

/* Counters dns_auth_answer adds to; the caller owns and sums them
 * (one per thread needs no locking).  Every field is a uint64_t. */
struct dns_auth_stats {
    uint64_t queries; /* every call */
    uint64_t noerror, nxdomain, refused, formerr, notimp, servfail;
    uint64_t truncated; /* responses sent with TC */
    uint64_t dropped; /* no response (QR set, shorter than a header) */
    uint64_t qtype[DNS_QT_COUNT]; /* queries whose question parsed */
};

#define DNS_AUTH_TCP 0x1u /* the query came over TCP: no UDP size limit */

/*
 * Answers query (q, qlen) (untrusted bytes, without the TCP length prefix)
 * into (resp, cap) and returns the response length, or 0 when nothing must
 * be sent (QR set, shorter than 12 bytes, (cap) < 512).  Never allocates
 * and never reads (zs) beyond its blobs.  The response never exceeds
 * (cap): over UDP it is limited to 512 bytes, or with EDNS to
 * max(512, min(client's size, udp_max)), and what does not fit is handled
 * per RFC 2181 9 (TC set, whole RRsets dropped) and RFC 9471 (an
 * additional RRset that does not fit is left out without TC, unless it is
 * glue of a referral).  (flags) is DNS_AUTH_TCP or 0; for TCP (cap) SHOULD
 * be 65535.  (st) MUST NOT be NULL.
 *
 * Semantics (RFC 1034 4.3.2 and the issue "The authoritative engine";
 * choices between NSD and Knot in docs/DESIGN.md, "auth"): longest-match
 * zone; exact answers with AA; CNAME chains followed inside the zone
 * (through wildcards and DNAMEs, into delegations) up to the first name
 * that already owns one of their records (a loop: NOERROR, each RR once);
 * RFC 4592 wildcards; RFC 6672 DNAME synthesis, the new name chased
 * inside the zone (through further DNAMEs, into a referral with AA);
 * referrals (AA clear, NS in authority, glue below the cut required in
 * additional, sibling glue after it; DS answered from the parent side,
 * also at a child apex when the parent is in the set); RFC 2308 negative
 * answers with the SOA (TTL = min(SOA TTL, SOA minimum)); additional
 * A/AAAA for NS, MX and SRV targets in the zone; EDNS(0) (OPT echoed with
 * udp_max, DO echoed and RRSIGs added when set, BADVERS for version > 0,
 * FORMERR for two OPTs); REFUSED outside our zones and for classes other
 * than IN and ANY (CH: CHAOS TXT, without AA); FORMERR (with the question
 * when it parsed) for malformed queries; NOTIFY REFUSED, any other
 * opcode but QUERY NOTIMP; AXFR over UDP NOTIMP, other transfers REFUSED
 * (those an allow-transfer list permits are streamed by the service core,
 * dns/srv.h, before this engine sees them); TSIG-signed queries NOTAUTH
 * with a BADKEY TSIG (no keys yet); ANY: one RRset, the first in type
 * order (RFC 8482).
 * With EDNS: REFUSED for a name outside our zones carries Extended DNS
 * Error 20, Not Authoritative, a refused transfer 18, Prohibited (RFC
 * 8914); a query whose OPT holds an NSID option gets the configured NSID
 * (RFC 5001) in every response with an OPT but BADVERS, room kept for
 * it (when the NSID and the question cannot both fit in (cap), no NSID).
 * A query with QDCOUNT 0 and an OPT gets FORMERR with an OPT.
 * (st->servfail) counts every RCODE without a counter of its own.
 */
TB_API size_t dns_auth_answer(const struct dns_zoneset *zs, const uint8_t *q,
                              size_t qlen, uint8_t *resp, size_t cap,
                              unsigned flags, struct dns_auth_stats *st);

struct dns_cookie;

/* What an answer depends on besides the query (dns_auth_answer_env()). */
struct dns_auth_env {
    const struct dns_cookie *cookie; /* NULL: COOKIE options ignored */
    const struct tb_addr *peer; /* the client (IPv4 or IPv6) when cookie */
    uint64_t now; /* monotonic ns (the cookie's clock, srv.h) */
    uint8_t cookie_res; /* out: enum dns_cookie_res (srv.h); the caller
                           sets DNS_COOKIE_NONE (0) before the call */
};

/*
 * dns_auth_answer() with the service's context (env) (MAY be NULL: then
 * exactly dns_auth_answer()).  With (env->cookie), DNS Cookies (RFC 7873
 * 5.2, RFC 9018; srv.h): a COOKIE option of a bad length gets FORMERR; a
 * valid one gets the answer and our client+server cookie (echoed, or
 * fresh after half an hour); a client cookie alone or an invalid server
 * cookie gets the answer and a new cookie, or, when the context requires
 * cookies and (flags) has no DNS_AUTH_TCP, BADCOOKIE (23) with the new
 * cookie.  A query with QDCOUNT 0 and a COOKIE option (RFC 7873 5.4) gets
 * NOERROR with the cookie, BADCOOKIE when its server cookie is invalid.
 * (env->cookie_res) says what the option was (left as it is without).
 * Queries without options never reach this code (the common path).
 */
TB_API size_t dns_auth_answer_env(const struct dns_zoneset *zs,
                                  const uint8_t *q, size_t qlen, uint8_t *resp,
                                  size_t cap, unsigned flags,
                                  struct dns_auth_env *env,
                                  struct dns_auth_stats *st);

#endif /* DNS_AUTH_H */
