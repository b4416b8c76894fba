/*
 * update_int.h -- private to lib/dns/update.c, journal.c, xfrin_rx.c and
 * update_set.c: a change being made to a checked version of a zone,
 * kept as the version (read-only, not copied) plus the change, so that
 * everything an update, a journal entry or an IXFR does costs time in
 * proportion to the change (and log of the zone), not to the zone:
 *
 *   uset_init(cur) -> uset_find / uset_add / uset_del / iteration
 *     (binary search of cur's canonical order, additions hashed by owner)
 *   -> uset_finish: the zone checks on the names the change touches,
 *      then the next version (one sorted merge, no sort of the zone, no
 *      full dns_zone_check) and the IXFR delta from the change itself
 *
 * (cur) MUST be checked (dns_zone_check: sorted in canonical order,
 * RRset TTLs even, no duplicates) and MUST NOT change while the set
 * lives.
 */
#ifndef DNS_UPDATE_INT_H
#define DNS_UPDATE_INT_H

#include <tibra/dns.h>
#include <tibra/dns/srv.h>

/*
 * Records of the working set are named by handles: an index into
 * cur->rr (below cur->nrr), or cur->nrr + an index into (add).
 */
struct uset {
    const struct dns_zone_src *cur;
    struct dns_zone_src add; /* additions, in order */
    uint8_t *dead; /* [add_cap] an addition deleted again */
    uint32_t *anext; /* [add_cap] next addition in its hash chain + 1 */
    uint32_t *ahead; /* [amask + 1] first addition of a chain + 1 */
    size_t add_cap, amask;
    uint32_t *del; /* [dmask + 1] open addressing: deleted index + 1 */
    size_t dmask, ndel;
    const struct tb_alloc *a;
    bool changed;
};

/* Iterator over the live records of one owner. */
struct uset_it {
    const uint8_t *owner;
    size_t i, end; /* cur range */
    uint32_t an; /* next addition in the chain + 1 */
};

/* Starts an empty change to (cur).  0 or TB_ENOMEM (free it anyway). */
int uset_init(struct uset *s, const struct dns_zone_src *cur,
              const struct tb_alloc *a);
/* Frees what the set holds (never (cur)). */
void uset_free(struct uset *s);
/* The record of handle (h), and in (*z) the zone_src its offsets are in. */
const struct dns_zrr *uset_rr(const struct uset *s, size_t h,
                              const struct dns_zone_src **z);
/* Live records at (owner), any case: uset_next gives handles until false. */
void uset_iter(const struct uset *s, struct uset_it *it, const uint8_t *owner);
bool uset_next(const struct uset *s, struct uset_it *it, size_t *h);
/* Handle of the live record (owner, type, rdata) (TTL ignored, rdata
 * compared canonically), or SIZE_MAX. */
size_t uset_find(const struct uset *s, const uint8_t *owner, uint16_t type,
                 const uint8_t *rd, size_t rdlen);
/* Adds a record (owner lowercased by the caller or not).  0 or
 * TB_ENOMEM. */
int uset_add(struct uset *s, const uint8_t *owner, uint16_t type, uint32_t ttl,
             const uint8_t *rd, uint16_t rdlen);
/* Deletes live record (h).  0 or TB_ENOMEM. */
int uset_del(struct uset *s, size_t h);
/* The apex SOA's handle, or SIZE_MAX. */
size_t uset_soa(const struct uset *s);
/*
 * Ends the change: gives each added record its RRset's TTL and drops
 * added duplicates (as dns_zone_check would), checks every rule of
 * dns_zone_check() that the change can break, on the names it touches
 * (errors through (d), MAY be NULL), then writes the next version into
 * (out) (initialised here with the set's allocator; the caller frees it
 * in every case).  When (delta) is not NULL, the IXFR delta from (cur)
 * to (out) (struct dns_ixfr_delta format: old SOA, deletions, new SOA,
 * additions) is appended to it and described in (*dl) (dl->rrs left
 * NULL: the buffer may still move).  Returns 0, TB_ESEMANTIC (a check
 * failed) or TB_ENOMEM.
 */
int uset_finish(struct uset *s, struct dns_zone_src *out, struct tb_buf *delta,
                struct dns_ixfr_delta *dl, struct dns_diag *d);
/* Offset of the serial in SOA rdata (rd, rdlen), or 0 if malformed. */
size_t soa_serial_off(const uint8_t *rd, size_t rdlen);

#endif /* DNS_UPDATE_INT_H */
