/*
 * zone_blob.c -- a compiled zone's records section back into a struct
 * dns_zone_src (dns/store.h): the version an image's dynamically updated
 * zone starts from when its state device has none yet.
 */
#include <tibra/dns/store.h>
#include <tibra/dns/zone.h>

#include "zonedb.h"

int dns_zone_src_from_blob(struct dns_zone_src *out, const void *blob,
                           size_t len, const struct tb_alloc *a)
{
    struct zdb z;
    struct dns_diag d = {NULL, NULL, 0, 0};
    uint32_t pos = 0;
    int rc;

    if (zdb_open(&z, blob, len) != 0)
        return TB_EMALF;
    dns_zone_src_init(out, z.origin, a);
    out->rclass = z.rclass;
    if (z.rrs == NULL)
        return TB_ENOENT;
    for (uint32_t i = 0; i < z.nrrs; i++) {
        const uint8_t *p = z.rrs + pos;
        const uint8_t *owner =
            z.data + zdb_ld32(zdb_node(&z, zdb_ld32(p + ZR_NODE)) + ZN_NAME);
        uint16_t rdlen = zdb_ld16(p + ZR_RDLEN);

        rc = dns_zone_src_add(out, owner, zdb_ld16(p + ZR_TYPE), z.rclass,
                              zdb_ld32(p + ZR_TTL), p + ZR_RDATA, rdlen, 0,
                              i + 1);
        if (rc != 0)
            return rc;
        pos += ZR_RDATA + (uint32_t)rdlen;
    }
    return dns_zone_check(out, &d) == 0 ? 0 : TB_EMALF;
}
