/*
 * tsig_int.h -- private to tsig.c and tsig_alg.c: the one table of TSIG
 * algorithms (names, MAC lengths).  tsig_alg.c needs no crypto, so the
 * service-file parser names algorithms without linking BearSSL.
 */
#ifndef DNS_TSIG_INT_H
#define DNS_TSIG_INT_H

#include <tibra/dns/tsig.h>

struct dns_tsig_alg_info {
    enum dns_tsig_alg id;
    const char *text;
    const uint8_t *wire; /* canonical (lowercase) wire name */
    uint8_t wire_len;
    uint8_t maclen;
};

#define DNS_TSIG_NALGS 6
extern const struct dns_tsig_alg_info dns_tsig_algs[DNS_TSIG_NALGS];

/* The entry of (id), or NULL. */
const struct dns_tsig_alg_info *dns_tsig_alg_get(enum dns_tsig_alg id);

#endif /* DNS_TSIG_INT_H */
