/* dns/auth.h -- see dns.h; owned by its module. */
#ifndef DNS_AUTH_H
#define DNS_AUTH_H
#include <tibra/dns.h>
#endif
