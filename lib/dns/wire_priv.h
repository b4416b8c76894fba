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
    size_t off; /* offset of the owner */
    size_t rdoff; /* offset of the rdata */
    uint16_t type, rclass;
    uint32_t ttl;
    uint16_t rdlen;
};

/*
 * State of a walk over the RR sections: OPT and TSIG placement, and the
 * compression pointers the message may still make us follow.  Every name
 * costs at most 127 hops (RFC 1035 4.1.4 bounds nothing more), so a small
 * message of pointer chains could cost 100 times an honest one; a budget
 * per message (dns_wire_hop_budget) keeps the hot path linear in the
 * message size.
 */
struct dns_wire_walk {
    size_t opt_off; /* 0 if no OPT seen yet */
    size_t tsig_off; /* 0 if no TSIG seen */
    size_t hops; /* pointer hops left; SIZE_MAX = unlimited */
};

/*
 * Hops a query of (len) bytes may make: a name needs a hop per level of
 * nesting at most, and costs at least 2 bytes, so this is far above
 * honest queries (a few hops per name) and far below a chain attack (127
 * hops per 2-byte pointer).
 */
static inline size_t dns_wire_hop_budget(size_t len)
{
    return 2 * (size_t)DNS_NAME_MAXLEN + len / 2;
}

/* dns_name_unpack() charging each pointer followed to (*budget) (MAY be
 * NULL); TB_ELOOP when it runs out. */
int dns_wire_name_unpack(const uint8_t *msg, size_t msglen, size_t off,
                         uint8_t *out, size_t *outlen, size_t *next,
                         size_t *budget);

/* dns_rdata_unpack() charging pointers to (*budget) (MAY be NULL). */
int dns_wire_rdata_unpack(const uint8_t *msg, size_t msglen, size_t rdoff,
                          size_t rdlen, uint16_t type, uint8_t *out, size_t cap,
                          size_t *outlen, size_t *budget);

/*
 * Validates the RR at (*pos) of (msg, len), an entry of section (sec);
 * (last) says it is the message's last RR.  On success advances (*pos)
 * past it, fills (rr) and records OPT/TSIG in (wk).  Returns 0 or
 * TB_EMALF (every failure, truncation included, is a malformed message).
 */
int dns_wire_rr_check(const uint8_t *msg, size_t len, size_t *pos, unsigned sec,
                      bool last, struct dns_wire_walk *wk,
                      struct dns_wire_rr *rr);

/*
 * Lowercases the 8 bytes packed in (w) (SWAR): a byte gets 0x20 added iff
 * it is in 'A'..'Z'.  With h the low 7 bits of a byte, h + 0x3f has bit 7
 * set iff h >= 'A', h + 0x25 iff h > 'Z' (no carries: h + 0x3f < 0x100);
 * bytes with bit 7 set are not letters.  Label length bytes (<= 63) are
 * never letters, so a whole wire name can be folded this way.
 */
static inline uint64_t dns_wire_lower8(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101ull, high = ones * 0x80;
    uint64_t h = w & ~high;
    uint64_t m = ((h + ones * 0x3f) ^ (h + ones * 0x25)) & ~w & high;
    return w | (m >> 2);
}

/* RFC 1035 types whose rdata names are compressed on send (RFC 3597 4). */
static inline bool dns_wire_type_compresses(uint16_t type)
{
    switch (type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_MD:
    case DNS_TYPE_MF:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_SOA:
    case DNS_TYPE_MB:
    case DNS_TYPE_MG:
    case DNS_TYPE_MR:
    case DNS_TYPE_PTR:
    case DNS_TYPE_MINFO:
    case DNS_TYPE_MX:
        return true;
    default:
        return false;
    }
}

#endif /* DNS_WIRE_PRIV_H */
