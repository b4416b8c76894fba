/*
 * acl.c -- address prefix matching, shared by outgoing transfers
 * (xfr.c, allow-transfer) and the resolver's client check (res.c, allow).
 */
#include <tibra/dns/acl.h>

bool dns_acl_match(const struct dns_acl *p, const struct tb_addr *a)
{
    unsigned bytes = p->plen / 8, bits = p->plen % 8;

    if (a->af != p->addr.af || p->plen > (a->af == TB_AF_INET ? 32 : 128))
        return false;
    if (memcmp(a->ip, p->addr.ip, bytes) != 0)
        return false;
    if (bits == 0)
        return true;
    uint8_t m = (uint8_t)(0xff << (8 - bits));
    return (a->ip[bytes] & m) == (p->addr.ip[bytes] & m);
}
