/*
 * dns/serial.h -- serial number arithmetic (RFC 1982) for SOA serials:
 * 32-bit serials compare on a circle, so 1 is newer than 4294967295 and
 * two serials 2^31 apart are not comparable.  Header-only; shared by the
 * secondary (lib/dns/xfrin.c) and whatever else compares serials.
 */
#ifndef DNS_SERIAL_H
#define DNS_SERIAL_H
#include <tibra/dns.h>

/*
 * Compares serials (a) and (b) per RFC 1982 3.2: returns -1 if (a) is
 * older than (b), 0 if equal, 1 if newer, and 2 when the two are exactly
 * 2^31 apart (undefined by the RFC: callers MUST treat it as "not newer").
 */
static inline int dns_serial_cmp(uint32_t a, uint32_t b)
{
    uint32_t d = a - b;

    if (d == 0)
        return 0;
    if (d == 0x80000000u)
        return 2;
    return d < 0x80000000u ? 1 : -1;
}

/* True if serial (a) is newer than (b) (RFC 1982 3.2). */
static inline bool dns_serial_newer(uint32_t a, uint32_t b)
{
    return dns_serial_cmp(a, b) == 1;
}

#endif /* DNS_SERIAL_H */
