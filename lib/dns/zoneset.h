/*
 * zoneset.h -- private to zoneset.c and auth.c: the layout of struct
 * dns_zoneset (immutable after dns_zoneset_build()).
 */
#ifndef DNS_ZONESET_H
#define DNS_ZONESET_H

#include "zonedb.h"

struct dns_zoneset {
    size_t n;
    bool chaos;
    uint16_t udp_max;
    uint8_t identity_len, version_len;
    char identity[256], version[256];
    uint8_t nsid_len; /* 0: no NSID */
    uint8_t nsid[255]; /* RFC 5001 payload */
    uint8_t opt[11]; /* our OPT RR: root, type 41, udp_max, 0, 0, 0 */
    struct zdb z[]; /* by decreasing origin label count */
};

#endif /* DNS_ZONESET_H */
