/*
 * dns/acl.h -- address prefixes that say who may do something: outgoing
 * transfers (allow-transfer, dns/srv.h) and resolver clients (allow,
 * dns/res.h).  One matcher, lib/dns/acl.c.
 */
#ifndef DNS_ACL_H
#define DNS_ACL_H

#include <tibra/dns.h>

/* One entry: an address prefix (port ignored). */
struct dns_acl {
    struct tb_addr addr; /* af TB_AF_INET or TB_AF_INET6 */
    uint8_t plen; /* prefix length; 32 / 128: one address */
    /* allow-transfer only: a TSIG key name (wire form, lowercase) the
     * request MUST be signed with (RFC 8945, verified against srv.keys);
     * NULL: the address suffices (a signed request must still verify).
     * Ignored by dns_acl_match(). */
    const uint8_t *key;
};

/*
 * True if address (a) lies in the prefix (p): same family and the first
 * (p->plen) bits equal.  A prefix length over the family's width never
 * matches.
 */
TB_API bool dns_acl_match(const struct dns_acl *p, const struct tb_addr *a);

#endif /* DNS_ACL_H */
