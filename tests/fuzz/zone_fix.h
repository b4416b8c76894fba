/*
 * zone_fix.h -- shared by the fuzz targets that drive the service core
 * over a zone (fuzz_srv_tcp, fuzz_xfr): REQUIRE(), which aborts where a
 * unit test would CHECK, and the zone they serve as example.com. (SOA,
 * NS and glue, an address, a CNAME to it, a wildcard), in
 * test_auth_util.h's line format.  Test code only.
 */
#ifndef TB_FUZZ_ZONE_FIX_H
#define TB_FUZZ_ZONE_FIX_H

#include <stdlib.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static const char *const fix_zone[] = {
    "@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300",
    "@ 3600 NS ns1",
    "ns1 3600 A 192.0.2.53",
    "www 3600 A 192.0.2.80",
    "alias 300 CNAME www",
    "* 300 TXT wild",
    NULL};

#endif /* TB_FUZZ_ZONE_FIX_H */
