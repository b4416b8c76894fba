/*
 * xfrin_int.h -- private to lib/dns/xfrin.c and xfrin_rx.c: the receiver
 * of one transfer stream (AXFR or IXFR), message by message.
 */
#ifndef DNS_XFRIN_INT_H
#define DNS_XFRIN_INT_H
#include <tibra/dns/xfrin.h>

/* A set of records with a hash index, for IXFR deletions and additions. */
struct xfr_set {
    struct dns_zone_src z;
    uint32_t *slot; /* record index + 1; 0 = empty */
    size_t cap; /* slots, a power of two */
    size_t live; /* records not cancelled */
};

enum {
    XRX_FIRST = 0, /* waiting for the first SOA */
    XRX_SECOND, /* IXFR: the record after the first SOA decides */
    XRX_AXFR, /* full zone until the closing SOA */
    XRX_DEL, /* IXFR: deletions of a delta */
    XRX_ADD, /* IXFR: additions of a delta */
    XRX_DONE
};

/* Results of xfr_rx_msg() (besides 0: more messages expected). */
#define XRX_R_DONE     1 /* the transfer is complete */
#define XRX_R_UPTODATE 2 /* IXFR: one SOA, not newer than ours */
#define XRX_R_FALLBACK 3 /* IXFR not usable: retry as AXFR (msg says why) */
#define XRX_R_FAIL     4 /* broken transfer (msg says why) */

struct dns_xfrin_rx {
    const struct tb_alloc *a;
    uint8_t origin[DNS_NAME_MAXLEN];
    uint16_t id;
    uint16_t qtype; /* DNS_TYPE_AXFR or DNS_TYPE_IXFR */
    int phase;
    uint32_t ours; /* IXFR: the serial we asked from */
    uint32_t last; /* the first SOA's serial: the new version */
    uint32_t ver; /* IXFR: version the deltas have reached */
    uint64_t max_records;
    size_t nmsg, nrr;
    uint8_t soa1[DNS_RDATA_MAXLEN]; /* first SOA (rdata) and its TTL */
    size_t soa1_len;
    uint32_t soa1_ttl;
    struct dns_zone_src z; /* AXFR: the zone */
    struct xfr_set add, del; /* IXFR (incremental) */
    bool incremental;
    char msg[200];
    uint8_t rdbuf[DNS_RDATA_MAXLEN + DNS_NAME_MAXLEN];
};

/*
 * Starts a receiver for a transfer of zone (origin) asked with query ID
 * (id) and (qtype) (AXFR, or IXFR from serial (ours)).  Returns NULL when
 * out of memory.
 */
struct dns_xfrin_rx *xfr_rx_new(const uint8_t *origin, uint16_t id,
                                uint16_t qtype, uint32_t ours,
                                uint64_t max_records, const struct tb_alloc *a);
void xfr_rx_free(struct dns_xfrin_rx *rx);

/* Feeds one message (untrusted). Returns 0 or an XRX_R_* value. */
int xfr_rx_msg(struct dns_xfrin_rx *rx, const uint8_t *buf, size_t len);

/*
 * After XRX_R_DONE: builds the new version into (out) (initialised here):
 * the AXFR's records, or (cur) without the IXFR's deletions plus its
 * additions applied beside (cur) with the checks on the touched names
 * (update_int.h); an AXFR gets dns_zone_check().  Returns 0, or
 * XRX_R_FALLBACK (an IXFR deletes a record (cur) lacks) or XRX_R_FAIL
 * with rx->msg set.
 */
int xfr_rx_build(struct dns_xfrin_rx *rx, const struct dns_zone_src *cur,
                 struct dns_zone_src *out);

/* SOA timer fields of rdata (soa, len): serial, refresh, retry, expire. */
bool xfr_soa_fields(const uint8_t *soa, size_t len, uint32_t *serial,
                    uint32_t *refresh, uint32_t *retry, uint32_t *expire);

#endif /* DNS_XFRIN_INT_H */
