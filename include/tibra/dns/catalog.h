/*
 * dns/catalog.h -- catalog zones (RFC 9432, schema version 2), sans-I/O.
 *
 * A catalog zone lists member zones as PTR records, one per member node:
 *
 *   catalog.           SOA   invalid. invalid. 1 3600 600 2147483646 0
 *   catalog.           NS    invalid.
 *   version.catalog.   TXT   "2"
 *   ID.zones.catalog.  PTR   example.org.        ; a member, ID unique
 *   group.ID.zones.catalog.  TXT "name"          ; property (4.4.2)
 *   coo.ID.zones.catalog.    PTR other-catalog.  ; property (4.4.1)
 *
 * The parser turns a checked zone (dns_zone_check) into a struct
 * dns_catalog, a member list sorted by member name; a catalog that breaks
 * a rule of RFC 9432 is refused whole (every problem reported through a
 * struct dns_diag), so a consumer keeps the members it had.  The
 * generator does the opposite for a producer, with unique IDs derived
 * from the member names (stable across versions and restarts).  The diff
 * of two member lists is what a consumer adds and removes.
 *
 * lib/dns/catalog.c.  Cold path: memory from the struct tb_alloc given at
 * init.
 */
#ifndef DNS_CATALOG_H
#define DNS_CATALOG_H
#include <tibra/dns.h>
#include <tibra/dns/zone.h>

#define DNS_CATALOG_VERSION   2 /* the only schema version understood */
#define DNS_CATALOG_GROUP_MAX 255 /* a group property's text, bytes */

/*
 * One member.  Names are wire form, lower case, in the catalog's (data)
 * buffer at the given offsets (dns_catalog_zone() etc. resolve them).
 */
struct dns_catalog_member {
    uint32_t zone; /* the member zone's name */
    uint32_t id; /* its unique ID: one label (length byte, then bytes) */
    uint32_t group; /* length byte then text; UINT32_MAX: no group */
    uint32_t coo; /* coo property's catalog name; UINT32_MAX: none */
};

/* A member list.  Caller-placed; fields read-only for the caller. */
struct dns_catalog {
    struct dns_catalog_member *m; /* sorted by zone (dns_name_cmp) */
    size_t n;
    size_t cap; /* private */
    struct tb_buf data; /* private: names and labels */
    const struct tb_alloc *a; /* private */
};

/* An empty list with memory from (a). */
TB_API void dns_catalog_init(struct dns_catalog *c, const struct tb_alloc *a);
/* Frees what (c) owns and leaves it empty (usable again). */
TB_API void dns_catalog_free(struct dns_catalog *c);

static inline const uint8_t *dns_catalog_zone(const struct dns_catalog *c,
                                              size_t i)
{
    return c->data.data + c->m[i].zone;
}
/* The unique ID's label: (*len) bytes, not NUL-terminated. */
static inline const uint8_t *dns_catalog_id(const struct dns_catalog *c,
                                            size_t i, size_t *len)
{
    const uint8_t *p = c->data.data + c->m[i].id;

    *len = p[0];
    return p + 1;
}

/*
 * Appends member (zone) (trusted wire name) with the unique ID label
 * (id, id_len) (1..63 bytes; (id) NULL: dns_catalog_make_id()'s) and the
 * group (group, group_len) ((group) NULL: none).  Members MAY be added in
 * any order; dns_catalog_sort() orders them.  Returns 0, TB_EINVAL (a bad
 * ID or group length) or TB_ENOMEM.
 */
TB_API int dns_catalog_add(struct dns_catalog *c, const uint8_t *zone,
                           const uint8_t *id, size_t id_len, const char *group,
                           size_t group_len);

/*
 * Sorts (c) by member name, then checks it the way the parser does: a
 * member twice, or two members with one ID, is TB_EEXIST (the generator
 * then cannot make a valid catalog).  Returns 0 or TB_EEXIST.
 */
TB_API int dns_catalog_sort(struct dns_catalog *c);

/*
 * The unique ID the generator gives (zone) (trusted wire name): 16
 * lower-case hex digits of SipHash-2-4 (fixed all-zero key) of the name in
 * lower case, so the same member keeps the same ID in every version and
 * on every producer (as Knot's SHA-1 IDs).  Two members with one ID (a
 * 64-bit collision) make dns_catalog_sort() fail.  Writes 16 bytes to
 * (out).
 */
#define DNS_CATALOG_ID_LEN 16
TB_API void dns_catalog_make_id(const uint8_t *zone,
                                uint8_t out[DNS_CATALOG_ID_LEN]);

/*
 * Reads the catalog zone (z) (checked and sorted by dns_zone_check) into
 * (c), which MUST be empty.  The rules (RFC 9432):
 *   - exactly one TXT at version.CATALOG, holding one string "2" (4.2.1;
 *     another version is refused, as the RFC says a consumer MUST);
 *   - a member is a PTR at ID.zones.CATALOG (one label ID); exactly one
 *     PTR per member node (4.1); a member zone listed twice is an error;
 *     a member MUST NOT be the catalog itself;
 *   - properties at the member node: `group` (TXT, one string, at most
 *     one record) and `coo` (PTR, at most one) are read; any other
 *     record or property under zones.CATALOG, and anything elsewhere in
 *     the zone (custom properties, ext.), is ignored (4.4: unknown
 *     properties MUST be ignored).  A property of a node with no PTR is
 *     ignored with the node.
 * Every problem goes to (d) with the record's file:line (a transferred
 * zone: "-").  Returns 0 with (c) sorted, TB_ESEMANTIC (then (c) is empty
 * again: the catalog is refused whole) or TB_ENOMEM.
 */
TB_API int dns_catalog_parse(const struct dns_zone_src *z,
                             struct dns_catalog *c, struct dns_diag *d);

/*
 * Writes catalog zone (out) (initialised by the caller for the catalog's
 * origin) from (c) (sorted): SOA (invalid. invalid. (serial) 3600 600
 * 2147483646 0, as Knot), NS invalid., version TXT "2", and per member its
 * PTR and group TXT, all with TTL 0.  The caller checks it
 * (dns_zone_check).  Returns 0 or TB_ENOMEM.
 */
TB_API int dns_catalog_generate(const struct dns_catalog *c, uint32_t serial,
                                struct dns_zone_src *out);

/*
 * What changes from (old) to (cur) (both sorted): indices into (cur) of
 * members to add, into (old) of members to remove.  A member whose unique
 * ID changed is both (RFC 9432 5.4: a reset; its data is dropped and
 * transferred again).  (add) MUST hold cur->n entries, (del) old->n.
 */
TB_API void dns_catalog_diff(const struct dns_catalog *old,
                             const struct dns_catalog *cur, size_t *add,
                             size_t *nadd, size_t *del, size_t *ndel);

#endif /* DNS_CATALOG_H */
