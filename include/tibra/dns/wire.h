/* dns/wire.h -- see dns.h; owned by its module. */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H
#include <tibra/dns.h>
#endif
