/*
 * zonefile.h -- zone files from the file system (lib/hosted/zonefile.c):
 * reads a zone file, serves $INCLUDE from files relative to the including
 * file, and parses and checks the zone in one call.  Hosted only (unix
 * target, tools, tests): guests get zones already compiled.
 */
#ifndef TB_ZONEFILE_H
#define TB_ZONEFILE_H

#include <tibra/dns.h>
#include <tibra/hosted.h> /* tb_heap, the allocator to pass */

/*
 * A dns_diag report function printing "file:line: error: msg" (or
 * "warning:") to the FILE * given as (ctx) (stderr when NULL).
 */
TB_API void dns_zonefile_report(void *ctx, int level, const char *file,
                                unsigned line, const char *msg);

/*
 * Loads the zone (origin) (trusted wire name) of class (rclass) from the
 * file (path): initialises (z) with allocator (a), reads the file,
 * dns_zone_parse() with $INCLUDE served from files (a relative include
 * path is taken relative to the including file's directory; at most
 * DNS_ZONE_INCLUDE_MAX_DEPTH deep), then dns_zone_check().  Problems are
 * reported through (d).  Returns 0 with (z) parsed, checked and sorted
 * (the caller frees it with dns_zone_src_free()), or TB_ENOENT / TB_EIO /
 * TB_EACCES (the file could not be read), TB_EMALF (syntax errors),
 * TB_ESEMANTIC (check errors), TB_ENOMEM; on error nothing is returned:
 * (z) is left empty (freeing it again is harmless).
 */
TB_API int dns_zone_load_file(struct dns_zone_src *z, const char *path,
                              const uint8_t *origin, uint16_t rclass,
                              const struct tb_alloc *a, struct dns_diag *d);

/*
 * Called for every file a zone load reads, in the order read: the zone
 * file first, then each $INCLUDE with its resolved path (as opened: the
 * including file's directory joined with a relative name), and the bytes
 * that were parsed (text, len), owned by the loader and valid only during
 * the call.  `tibra build` hashes them for its build record.
 */
typedef void (*dns_zonefile_seen_fn)(void *ctx, const char *path,
                                     const char *text, size_t len);

/*
 * What one zone may cost (the service file's zone-max-size and
 * zone-max-records, docs/service-file.md); 0: no limit.
 */
struct dns_zonefile_limits {
    uint64_t max_size; /* bytes of text: the zone file and its $INCLUDEs */
    uint64_t max_records; /* records parsed (before duplicates are dropped) */
    unsigned compile_flags; /* dns_zonefile_compile(): DNS_ZONE_COMPILE_*
                               (the records section for transfers out) */
    struct tb_budget *budget; /* zone-memory: everything the load
                                 allocates (texts, records, checks, the
                                 compiled blob) counts in it; MAY be NULL */
};

/*
 * As dns_zone_load_file(), and calls (seen) (MAY be NULL) with (ctx) for
 * every file read, including those of a load that then fails.  With
 * (lim) (MAY be NULL: no limits), a file whose size (fstat, before it is
 * read) would take the zone's text past lim->max_size is not read and is
 * reported as "FILE: zone exceeds zone-max-size (N bytes)", and parsing
 * stops at the record past lim->max_records, reported as
 * "FILE:LINE: zone exceeds zone-max-records (N)"; both return TB_ERANGE
 * (an $INCLUDE over the size limit fails the load as a syntax error does:
 * TB_EMALF).  With lim->budget, each file's text is counted in it before
 * it is read (TB_ENOSPC, unreported, when it does not fit) and given
 * back once parsed; (a) SHOULD then be &lim->budget->a.
 */
TB_API int dns_zone_load_file_seen(struct dns_zone_src *z, const char *path,
                                   const uint8_t *origin, uint16_t rclass,
                                   const struct tb_alloc *a, struct dns_diag *d,
                                   dns_zonefile_seen_fn seen, void *ctx,
                                   const struct dns_zonefile_limits *lim);

/* A compiled zone (dns_zone_compile() output) made from a file. */
struct dns_zonefile_blob {
    uint8_t *data; /* malloc'd: the caller frees it with free() */
    size_t len;
    uint32_t serial; /* the SOA serial, read back from the blob */
    size_t nrr; /* records in the zone as loaded */
};

/*
 * Loads zone (origin) of class (rclass) from the file (path) as
 * dns_zone_load_file_seen() does (memory from tb_heap; (lim) MAY be NULL),
 * compiles it with dns_zone_compile() and validates the result with
 * dns_zone_open().  Problems are reported through (d) (MUST NOT be NULL);
 * a failure that was not reported by the loader or compiler is reported
 * as "path: message".  With lim->budget, every allocation of the load
 * (texts, records, checks, the blob) is counted in it; a load that would
 * pass its limit stops there and is reported as "path: zone NAME needs
 * more than zone-memory N to load" (TB_ENOSPC); the blob returned stays
 * counted (the caller discards the budget when done).  Returns 0 with
 * (*out) filled, or the loader's and compiler's errors (then (*out) is
 * zeroed and nothing is to be freed).
 */
TB_API int dns_zonefile_compile(const char *path, const uint8_t *origin,
                                uint16_t rclass, struct dns_diag *d,
                                dns_zonefile_seen_fn seen, void *ctx,
                                const struct dns_zonefile_limits *lim,
                                struct dns_zonefile_blob *out);

/*
 * Reads the whole file (path) into a malloc'd, NUL-terminated buffer:
 * (*text, *len).  Returns 0 or a negative TB_E* (errno mapped).  The
 * caller frees (*text) with free().
 */
TB_API int dns_zonefile_read(const char *path, char **text, size_t *len);

#endif /* TB_ZONEFILE_H */
