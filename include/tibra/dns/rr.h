/* dns/rr.h -- see dns.h; owned by its module. */
#ifndef DNS_RR_H
#define DNS_RR_H
#include <tibra/dns.h>
#endif
