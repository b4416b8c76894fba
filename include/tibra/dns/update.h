/*
 * dns/update.h -- dynamic updates (RFC 2136, signed per RFC 3007 with
 * TSIG, RFC 8945) and the journal that makes them survive a crash,
 * sans-I/O:
 *
 *   UPDATE bytes, the zones, the key set, the time
 *     --dns_update_run_delta--> RCODE + the zone's new version (checked)
 *     + the IXFR delta (the change itself)
 *   driver: delta --dns_journal_entry--> bytes it appends to the zone's
 *     journal and syncs; compiles, publishes
 *   --dns_update_reply--> the response bytes (signed), sent last
 *
 *   start-up: zone file -> version; journal bytes --dns_journal_next-->
 *     deltas --dns_journal_apply--> each next version
 *
 * Versions are struct dns_zone_src, checked and sorted (dns_zone_check),
 * the representation transfers in use.  An update is applied beside the
 * current version, never to a copy: lookups are binary searches, the
 * zone checks run on the names it touches, and the next version is
 * written by one sorted merge (lib/dns/update_set.c).  Compiling the next
 * version is the driver's and is still O(zone) (DESIGN.md, "update").
 * lib/dns/update.c and journal.c; memory from the struct tb_alloc given;
 * TSIG only through the key set's pointers (no crypto linked here).
 */
#ifndef DNS_UPDATE_H
#define DNS_UPDATE_H

#include <tibra/dns.h>
#include <tibra/dns/srv.h>
#include <tibra/dns/tsig.h>

/* SOA serial policy of an updated zone (Knot's serial-policy). */
enum dns_serial_policy {
    DNS_SERIAL_INCREMENT = 0, /* serial + 1 */
    DNS_SERIAL_UNIXTIME, /* the UNIX time, or serial + 1 if not newer */
    DNS_SERIAL_DATESERIAL /* YYYYMMDDnn of today (UTC), or serial + 1 */
};

/*
 * The serial after (cur) under (p) at UNIX time (unix_s).  Always newer
 * than (cur) in RFC 1982 order.
 */
TB_API uint32_t dns_serial_next(uint32_t cur, enum dns_serial_policy p,
                                uint64_t unix_s);

/* One zone updates may target (the service file's allow-update). */
struct dns_update_zone {
    const uint8_t *origin; /* wire name, lowercase */
    const struct dns_zone_src *cur; /* the current version (checked);
                                       NULL: not served (SERVFAIL) */
    const uint8_t *const *keys; /* [nkeys] TSIG key names (wire, lowercase)
                                   allowed to update; none: REFUSED */
    size_t nkeys;
    enum dns_serial_policy policy;
};

/* One update being processed; caller-placed, results public. */
struct dns_update {
    uint8_t rcode; /* DNS_RCODE_* to answer */
    bool changed; /* the new version is in (out) of dns_update_run() */
    size_t zone; /* index of the zone in the table, SIZE_MAX: none */
    uint32_t serial; /* the new version's serial (changed) */
    char why[160]; /* why it was refused, for the log ("" if not) */
    /* private */
    uint16_t id, flags;
    size_t zend; /* end of the zone section, 0: none */
    uint8_t zname[DNS_NAME_MAXLEN]; /* its name, decompressed (echoed) */
    uint16_t ztype, zclass;
    bool tsigned; /* the request carried a TSIG */
    bool tsig_bad; /* malformed TSIG: FORMERR, unsigned */
    struct dns_tsig_ctx tsig;
};

/*
 * Processes UPDATE message (q, qlen) received at UNIX time (now_s):
 * parses it (RFC 2136 3.1, FORMERR), verifies its TSIG with (kr) (MAY be
 * NULL: every signed update gets NOTAUTH/BADKEY), finds its zone in
 * (zones, n) (NOTAUTH if none), requires a key of the zone's list
 * (REFUSED: unsigned or another key), checks the prerequisites (3.2:
 * YXDOMAIN NXDOMAIN YXRRSET NXRRSET), prescans (3.4.1: NOTZONE, FORMERR)
 * and applies the update section in order (3.4.2: SOA only with a newer
 * serial and never deleted, no CNAME beside other data -- the add is
 * ignored --, the apex NS set never emptied, duplicates replace).  When
 * something changed, the serial is bumped by the zone's policy (unless
 * the update itself set a newer one), every dns_zone_check() rule is
 * applied to the result (REFUSED if one fails), and the new version is
 * left in (out), initialised here with (a) (the caller frees it with
 * dns_zone_src_free() in every case).  Results in (u).  Never fails:
 * out of memory is SERVFAIL.
 */
TB_API void dns_update_run(struct dns_update *u,
                           const struct dns_update_zone *zones, size_t n,
                           const struct dns_tsig_keyring *kr, const uint8_t *q,
                           size_t qlen, uint64_t now_s,
                           struct dns_zone_src *out, const struct tb_alloc *a);

/*
 * dns_update_run() that also gives the change: when (u->changed), the
 * IXFR delta from zones[u->zone].cur to (out) (old SOA, deletions, new
 * SOA, additions: what dns_ixfr_diff() of the two compiled versions
 * gives, made from the change without reading the zone) is appended to
 * (delta) (a struct tb_buf with its allocator set) and described in
 * (*dl), whose (rrs) is left NULL (the buffer may still move).  (delta)
 * and (dl) MAY be NULL: then this is dns_update_run().  A driver step
 * that changes (out) afterwards (signing) MUST add its own changes to
 * the delta, or diff the versions instead.
 */
TB_API void dns_update_run_delta(struct dns_update *u,
                                 const struct dns_update_zone *zones, size_t n,
                                 const struct dns_tsig_keyring *kr,
                                 const uint8_t *q, size_t qlen, uint64_t now_s,
                                 struct dns_zone_src *out, struct tb_buf *delta,
                                 struct dns_ixfr_delta *dl,
                                 const struct tb_alloc *a);

/*
 * Writes the response to update (q, qlen) after dns_update_run(u) into
 * (resp, cap) (cap >= 771): the header with RCODE (rcode) (u->rcode,
 * or SERVFAIL when the driver could not make the change durable), the
 * zone section echoed, and the TSIG when the request was signed (RFC
 * 8945 5.3; the TSIG error answers unsigned where 5.3.2 says so).
 * Returns the length, 0 if (q) is too short to answer.
 */
TB_API size_t dns_update_reply(struct dns_update *u, const uint8_t *q,
                               size_t qlen, unsigned rcode, uint8_t *resp,
                               size_t cap, uint64_t now_s,
                               const struct dns_tsig_keyring *kr);

/* ---- the journal (lib/dns/journal.c) ------------------------------------
 *
 * A per-zone file: a header, then one entry per accepted update,
 *
 *   header:  "TBJOURNL" u32 version (1) u32 0                  16 bytes
 *   entry:   u32 "TBJE" | u32 len | u32 from | u32 to | u32 nrrs |
 *            delta (len bytes, the struct dns_ixfr_delta format) |
 *            u32 CRC-32C of everything before it in the entry
 *
 * integers big-endian.  The driver appends an entry and syncs before it
 * answers; a torn last entry (power cut while writing) fails its length
 * or CRC, was never acknowledged, and is cut off at start-up.
 */
#define DNS_JOURNAL_HDR_LEN   16
#define DNS_JOURNAL_ENTRY_MIN 24 /* an entry without its delta */

/* Writes the header into (out) (DNS_JOURNAL_HDR_LEN bytes). */
TB_API void dns_journal_header(uint8_t *out);

/* Appends the entry for delta (d) (d->rrs, d->len) to (out).  Returns 0
 * or TB_ENOMEM ((out) keeps its length). */
TB_API int dns_journal_entry(struct tb_buf *out,
                             const struct dns_ixfr_delta *d);

/*
 * Reads the entry at (*off) of journal bytes (p, len) (untrusted; (*off)
 * 0 first: the header is checked then).  Returns 0 with it in (*d)
 * ((d->rrs) points into (p); the records are NOT yet validated:
 * dns_journal_apply() does that) and (*off) past it; TB_ENOENT at the
 * clean end; TB_ETRUNC for a torn tail (an incomplete entry, or a bad
 * CRC: (*off) is where the good part ends); TB_EMALF when the header is
 * not a journal's.
 */
TB_API int dns_journal_next(const uint8_t *p, size_t len, size_t *off,
                            struct dns_ixfr_delta *d);

/*
 * Applies delta (d) (untrusted records) to version (cur) into (out)
 * (initialised here with (a); the caller frees it in every case): the
 * SOA of (cur) MUST have serial d->from and be the delta's first record,
 * every deletion MUST be in (cur), the result MUST pass dns_zone_check()
 * (problems through (diag), MAY be NULL) and have serial d->to.  (cur)
 * MUST be checked; it is not copied (O(delta * log zone) up to one merge
 * that writes (out)).  Returns
 * 0, TB_EMALF (records malformed), TB_ESEMANTIC (does not apply),
 * TB_ENOMEM.
 */
TB_API int dns_journal_apply(const struct dns_zone_src *cur,
                             const struct dns_ixfr_delta *d,
                             struct dns_zone_src *out, const struct tb_alloc *a,
                             struct dns_diag *diag);

/* The SOA serial of checked version (z) (0 if it has none). */
TB_API uint32_t dns_zone_src_serial(const struct dns_zone_src *z);

#endif /* DNS_UPDATE_H */
