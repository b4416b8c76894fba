/*
 * update_int.h -- private to lib/dns/update.c and journal.c: a working
 * copy of a zone version that records are added to and deleted from,
 * then checked into the next version.
 */
#ifndef DNS_UPDATE_INT_H
#define DNS_UPDATE_INT_H

#include <tibra/dns.h>

/* A version being changed: (z) holds the records, (gone) marks the
 * deleted ones (compacted away by uset_finish). */
struct uset {
    struct dns_zone_src *z;
    uint8_t *gone; /* [cap] */
    size_t cap;
    const struct tb_alloc *a;
    bool changed;
};

/* Copies (cur) into (out) (initialised here with (a)).  0 or TB_ENOMEM. */
int uset_init(struct uset *s, const struct dns_zone_src *cur,
              struct dns_zone_src *out, const struct tb_alloc *a);
/* Frees the marks (not the zone). */
void uset_free(struct uset *s);
/* Index of the live record (owner, type, rdata) (TTL ignored), or
 * SIZE_MAX. */
size_t uset_find(const struct uset *s, const uint8_t *owner, uint16_t type,
                 const uint8_t *rd, size_t rdlen);
/* Adds a record.  0 or TB_ENOMEM. */
int uset_add(struct uset *s, const uint8_t *owner, uint16_t type, uint32_t ttl,
             const uint8_t *rd, uint16_t rdlen);
/* Marks record (i) deleted. */
void uset_del(struct uset *s, size_t i);
/* Drops the deleted records and runs dns_zone_check() on the result. */
int uset_finish(struct uset *s, struct dns_diag *d);
/* The apex SOA's index, or SIZE_MAX. */
size_t uset_soa(const struct uset *s);
/* Offset of the serial in SOA rdata (rd, rdlen), or 0 if malformed. */
size_t soa_serial_off(const uint8_t *rd, size_t rdlen);

#endif /* DNS_UPDATE_INT_H */
