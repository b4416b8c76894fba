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
    uint32_t owner; /* offset in data of the wire owner name */
    uint32_t rdata; /* offset in data of the rdata */
    uint16_t type;
    uint16_t rclass;
    uint32_t ttl;
    uint16_t rdlen;
    uint16_t file; /* index into files[] */
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
    uint16_t rclass; /* class of the zone (IN unless stated) */
    struct dns_zrr *rr;
    size_t nrr;
    size_t rr_cap; /* private */
    struct tb_buf data; /* owner names and rdata */
    const char *files[64]; /* file names, for messages; copies owned by
                              (z), made by dns_zone_src_file() */
    unsigned nfiles;
    uint32_t default_ttl; /* private: parser state ($TTL / SOA minimum) */
    uint32_t flags; /* private: DNS_ZONE_F_* */
    size_t max_records; /* 0: no limit; set after init: dns_zone_parse()
                           stops at the record past it */
    size_t dead_bytes; /* private: bytes of (data) no record uses (a
                          version made by an update keeps its parent's
                          bytes and appends; rewritten past half) */
    const struct tb_alloc *a;
};

/*
 * Initialises (z) for zone (origin) (trusted wire name), class IN (set
 * (z)->rclass after init for another class).  Never fails: memory is
 * taken from (a) when records are added.
 */
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
                            const uint8_t *rdata, uint16_t rdlen, uint16_t file,
                            uint32_t line);
/*
 * Records the file name (name) (copied) and returns its index for
 * dns_zone_src_add(), or TB_ENOMEM, or TB_ENOSPC when 64 files are already
 * recorded.  A name already recorded returns its existing index.
 */
TB_API int dns_zone_src_file(struct dns_zone_src *z, const char *name);
/* The file name of record (r), or "-" if none was recorded. */
TB_API const char *dns_zrr_file(const struct dns_zone_src *z,
                                const struct dns_zrr *r);

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


/*
 * $INCLUDE (RFC 1035 5.1).  lib/ never opens files: the parser asks
 * (open) for the text of (path) as written in the file (NUL-terminated),
 * included from the file named (from).  (open) returns 0 and the text in
 * (*text, *len) (valid until (close) is called with it) and a display
 * name for messages in (*name) (copied by the parser), or a negative
 * TB_E* which the parser reports as an error at the $INCLUDE line.
 * lib/hosted/zonefile.c provides the file-system version.
 */
struct dns_zone_include {
    int (*open)(void *ctx, const char *path, const char *from,
                const char **text, size_t *len, const char **name);
    void (*close)(void *ctx, const char *text, size_t len);
    void *ctx;
};

/* Nesting limit for $INCLUDE (NSD has none; Knot refuses loops by depth). */
#define DNS_ZONE_INCLUDE_MAX_DEPTH 10

/*
 * Parses zone-file text (text, len), read from the file named (file) (for
 * messages; MAY be NULL), appending its records to (z): $ORIGIN, $TTL,
 * $INCLUDE (through (inc), which MAY be NULL: then $INCLUDE is an error),
 * parentheses, comments, "@", relative names, blank owners, \DDD and \X
 * escapes, quoted strings, TTL and class in either order, TTL units, RFC
 * 3597 types and rdata.  A record without a TTL and no $TTL before it
 * takes the SOA's minimum field (RFC 2308 4 as NSD and Knot do; a
 * warning) or, before any SOA, is an error.  The class, when given, MUST
 * be the zone's.  Every problem is reported through (d) as file:line:
 * message, and parsing goes on to the end to report them all.
 * When (z)->max_records is not 0, the record that would take (z) past it
 * is reported as "zone exceeds zone-max-records (N)" (the service-file key
 * that sets it) and parsing stops there, so a huge file costs no more
 * memory than the limit allows.
 * Returns 0, or TB_EMALF when any error was reported, TB_ERANGE when the
 * record limit was reached, or TB_ENOMEM.  On error (z) holds an
 * unspecified subset of the records: the caller frees it and MUST NOT use
 * it.
 */
TB_API int dns_zone_parse(struct dns_zone_src *z, const char *text, size_t len,
                          const char *file, const struct dns_zone_include *inc,
                          struct dns_diag *d);

/*
 * Checks a parsed zone and puts it in canonical order, reporting through
 * (d) (file:line of the offending record):
 *   errors:  no SOA, a second (different) SOA, an SOA below the apex;
 *            data out of zone; a CNAME beside other data (only RRSIG and
 *            NSEC may, RFC 2181 10.1, RFC 4035 2.5, so the apex can have
 *            no CNAME), two CNAMEs at one name; a DNAME beside a CNAME or
 *            with names below it (RFC 6672 2.3, 2.4); a record of a meta
 *            type (OPT, TSIG, ANY...); rdata not matching its type's
 *            layout (dns_rdata_check); a class other than the zone's;
 *   warnings: no NS at the apex; TTLs differing inside an RRset (RFC
 *            2181 5.2: all take the TTL of the record read first; RRSIGs
 *            keep theirs, RFC 4034 3); data
 *            at a delegation other than NS, DS and addresses, and data
 *            below one other than addresses (occluded, never served); an
 * in-zone NS target without an A or AAAA record (missing glue). Duplicates
 * (equal in canonical form, dns_rdata_cmp) are dropped silently (RFC 2181 5).
 * Returns 0 with (z)->rr sorted (RFC 4034 6.1 owner order, then type, then
 * canonical rdata), TB_ESEMANTIC if any error was reported, or TB_ENOMEM.
 */
TB_API int dns_zone_check(struct dns_zone_src *z, struct dns_diag *d);

/*
 * Writes record (r) of (z) in presentation form, "owner TTL CLASS TYPE
 * rdata" with single spaces and names absolute, NUL-terminated, into (buf,
 * cap).  Returns the length or TB_ESPACE.
 */
TB_API int dns_zone_rr_to_text(const struct dns_zone_src *z,
                               const struct dns_zrr *r, char *buf, size_t cap);

#endif /* DNS_ZONE_H */
