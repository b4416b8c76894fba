/*
 * wire_priv.h -- what the wire_*.c modules share and nobody else sees:
 * the per-RR validator both parsers run (owner, fixed part, RDLENGTH,
 * OPT/TSIG placement, rdata layout) and the rdata walker behind
 * dns_rdata_unpack().  Not installed; symbols are hidden.
 */
#ifndef DNS_WIRE_PRIV_H
#define DNS_WIRE_PRIV_H
#include <tibra/dns.h>

/* What dns_wire_rr_check() learnt about one RR. */
struct dns_wire_rr {
    size_t off;      /* offset of the owner */
    size_t rdoff;    /* offset of the rdata */
    uint16_t type, rclass;
    uint32_t ttl;
    uint16_t rdlen;
};

/* State of a walk over the RR sections (OPT and TSIG placement). */
struct dns_wire_walk {
    size_t opt_off;  /* 0 if no OPT seen yet */
    size_t tsig_off; /* 0 if no TSIG seen */
};

/*
 * Validates the RR at (*pos) of (msg, len), an entry of section (sec);
 * (last) says it is the message's last RR.  On success advances (*pos)
 * past it, fills (rr) and records OPT/TSIG in (wk).  Returns 0 or
 * TB_EMALF (every failure, truncation included, is a malformed message).
 */
int dns_wire_rr_check(const uint8_t *msg, size_t len, size_t *pos,
                      unsigned sec, bool last, struct dns_wire_walk *wk,
                      struct dns_wire_rr *rr);

/* RFC 1035 types whose rdata names are compressed on send (RFC 3597 4). */
static inline bool dns_wire_type_compresses(uint16_t type)
{
    switch (type) {
    case DNS_TYPE_NS: case DNS_TYPE_MD: case DNS_TYPE_MF:
    case DNS_TYPE_CNAME: case DNS_TYPE_SOA: case DNS_TYPE_MB:
    case DNS_TYPE_MG: case DNS_TYPE_MR: case DNS_TYPE_PTR:
    case DNS_TYPE_MINFO: case DNS_TYPE_MX:
        return true;
    default:
        return false;
    }
}

#endif /* DNS_WIRE_PRIV_H */
