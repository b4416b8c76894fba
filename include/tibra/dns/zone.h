/*
 * dns/zone.h -- zone files (RFC 1035 5) into a struct dns_zone_src, and the
 * checks that make a zone servable.  Cold path: everything here allocates
 * through the struct tb_alloc given at init and reports problems as
 * file:line: message through a struct dns_diag.
 *
 * lib/dns/zone_lex.c (tokens), zone_parse.c (directives, owners, TTLs,
 * classes, $INCLUDE through a callback: lib/ never opens files), and
 * zone_check.c (semantic checks, canonical sort).
 */
#ifndef DNS_ZONE_H
#define DNS_ZONE_H
#include <tibra/dns.h>

/*
 * One resource record of a zone being loaded.  Owner names and rdata live
 * in the zone's (data) buffer at the given offsets; rdata is uncompressed
 * wire form.  (file, line) say where the record was read, for messages.
 */
struct dns_zrr {
    uint32_t owner;  /* offset in data of the wire owner name */
    uint32_t rdata;  /* offset in data of the rdata */
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    uint16_t rdlen;
    uint16_t file;   /* index into files[] */
    uint32_t line;
};

/*
 * A zone as loaded from text (or built by a test, or received by
 * transfer).  After dns_zone_check() succeeds, (rr) is sorted in canonical
 * order (owner per RFC 4034 6.1, then type, then rdata) with exact duplicates
 * removed, and the zone satisfies every rule dns_zone_check() lists.
 */
struct dns_zone_src {
    uint8_t origin[DNS_NAME_MAXLEN];
    size_t origin_len;
    uint16_t rclass;        /* class of the zone (IN unless stated) */
    struct dns_zrr *rr;
    size_t nrr;
    size_t rr_cap;          /* private */
    struct tb_buf data;     /* owner names and rdata */
    const char *files[64];  /* file names, for messages; not owned */
    unsigned nfiles;
    const struct tb_alloc *a;
};

/* Initialises (z) for zone (origin) (trusted wire name). */
TB_API void dns_zone_src_init(struct dns_zone_src *z, const uint8_t *origin,
                              const struct tb_alloc *a);
/* Frees everything (z) owns. */
TB_API void dns_zone_src_free(struct dns_zone_src *z);
/*
 * Appends one record (owner and rdata are copied).  Returns 0 or TB_ENOMEM.
 * The record is not checked here: dns_zone_check() does that.
 */
TB_API int dns_zone_src_add(struct dns_zone_src *z, const uint8_t *owner,
                            uint16_t type, uint16_t rclass, uint32_t ttl,
                            const uint8_t *rdata, uint16_t rdlen,
                            uint16_t file, uint32_t line);
/* Accessors for a record of (z). */
static inline const uint8_t *dns_zrr_owner(const struct dns_zone_src *z,
                                           const struct dns_zrr *r)
{
    return z->data.data + r->owner;
}
static inline const uint8_t *dns_zrr_rdata(const struct dns_zone_src *z,
                                           const struct dns_zrr *r)
{
    return z->data.data + r->rdata;
}

#endif /* DNS_ZONE_H */
