/*
 * dns/wire.h -- DNS messages on the wire (RFC 1035 4, RFC 6891, RFC 3597):
 *
 *   dns_query_parse   the authoritative hot path: header, one question
 *                     (qname copied and lowercased), every other RR
 *                     checked, EDNS(0) OPT and TSIG located; no call,
 *                     no copy but the qname on the common path.
 *   dns_msg_parse     any message (responses, transfers, tests): every RR
 *                     validated, section offsets kept, walked with
 *                     dns_rr_next().
 *   dns_rdata_unpack  rdata validated against its type and decompressed
 *                     (RFC 3597 4), so callers can trust its layout.
 *   dns_writer_*      a message writer with name compression, EDNS(0)
 *                     OPT, per-RR rollback when space runs out (-> TC).
 *
 * lib/dns/wire_query.c, wire_msg.c, wire_rdata.c, wire_write.c.  Nothing
 * here allocates: every function works in caller memory.  Offsets are
 * byte offsets from the start of the message.
 *
 * Reference behaviour (Tibra's answers are compared with NSD's and
 * Knot's): a question name containing a compression pointer is malformed
 * (both refuse it); bytes after the last RR are ignored (NSD ignores them,
 * Knot answers FORMERR; (end) reports where the records stopped so a
 * caller MAY be strict).
 */
#ifndef DNS_WIRE_H
#define DNS_WIRE_H
#include <tibra/dns.h>

/*
 * ---------------------------------------------------------------------
 * Queries (authoritative hot path)
 * ---------------------------------------------------------------------
 */

/* What dns_query_parse() found.  Filled by the parser; read-only after. */
struct dns_query {
    uint16_t id, flags; /* header; flags as on the wire (QR..RCODE) */
    uint16_t qdcount, ancount, nscount, arcount;
    /* From here to (tsig_off): zero unless the parse got that far. */
    uint16_t qtype, qclass;
    uint8_t qname_len; /* 0 if there is no (valid) question */
    bool has_opt; /* an EDNS(0) OPT RR was present */
    uint8_t edns_version;
    uint8_t ext_rcode; /* upper 8 bits of the extended RCODE */
    uint16_t udp_size; /* OPT CLASS as sent: callers MUST treat values
                          below 512 as 512 (RFC 6891 6.2.3) */
    uint16_t edns_flags; /* DNS_EDNS_DO | Z bits */
    size_t question_end; /* offset after the question; the question as
                            received (original case, never compressed) is
                            buf[DNS_HDR_LEN .. question_end) */
    size_t end; /* offset after the last RR; < len means
                   trailing bytes, which are ignored */
    size_t opt_off; /* offset of the OPT RR (its root owner byte) */
    size_t opt_len; /* whole OPT RR length; its options are at
                       opt_off + 11, opt_len - 11 bytes */
    size_t tsig_off; /* offset of the TSIG RR's owner, 0 if none */
    uint8_t qname[DNS_NAME_MAXLEN]; /* the first qname_len bytes: the
                                       name lowercased (RFC 4343) */
};

/* A successful parse of a message with QDCOUNT 0 (see dns_query_parse). */
#define DNS_QUERY_NOQUESTION 1

/*
 * Parses the query (buf, len), e.g. a UDP payload or one TCP message.
 * Checks: the 12-byte header; QDCOUNT 0 or 1; the question name (no
 * compression pointers, labels <= 63, name <= 255 bytes) and its type and
 * class; ANCOUNT+NSCOUNT+ARCOUNT bounded by the bytes left; every RR
 * (owner name with compression checks, RDLENGTH within the message, rdata
 * layout as dns_rdata_unpack() checks it, except that empty rdata is
 * accepted outside class IN, as UPDATE uses it, RFC 2136 2.5); at most one
 * OPT RR, only in the additional section, owner the root (RFC 6891 6.1.1),
 * options well-formed TLVs; TSIG only as the last additional RR (RFC 8945
 * 5.1) with well-formed rdata.  No allocation; only the qname is copied.
 *
 * Returns:
 *   0                     one question, everything valid; all of (*q) set.
 *   DNS_QUERY_NOQUESTION  QDCOUNT 0, the rest valid (some opcodes allow
 *                         it; a QUERY without question is a FORMERR).
 *   TB_EMALF              malformed: answer FORMERR.  The header fields
 *                         (id, flags, counts) are valid; qname_len and
 *                         question_end are non-zero if the question
 *                         itself parsed; has_opt, udp_size... describe
 *                         the OPT RR if it was reached and valid.
 *   TB_ETRUNC             shorter than a header: drop, nothing to answer.
 *   TB_EINVAL             QR set, a response: drop silently (header
 *                         fields valid).
 * dns_query_drop(rc) tells the two drop cases from the rest.  Policy is
 * the caller's: opcode, RCODE, AN/NS counts, extra additional RRs (NSD
 * answers FORMERR to anything but OPT and TSIG there, Knot accepts them),
 * EDNS version (BADVERS).
 */
TB_API int dns_query_parse(struct dns_query *q, const uint8_t *buf, size_t len);

static inline bool dns_query_drop(int rc)
{
    return rc < 0 && rc != TB_EMALF;
}

/*
 * Finds the first EDNS option (code) (RFC 6891 6.1.2) in the OPT rdata
 * (opts, optlen), which MUST have passed dns_query_parse() or
 * dns_msg_parse() (well-formed TLVs).  Returns true and the option's
 * value in (*val, *vlen), else false.
 */
TB_API bool dns_opt_find(const uint8_t *opts, size_t optlen, uint16_t code,
                         const uint8_t **val, uint16_t *vlen);

/*
 * ---------------------------------------------------------------------
 * General messages
 * ---------------------------------------------------------------------
 */

/* A validated message: header, where each section starts, OPT and TSIG. */
struct dns_msg {
    const uint8_t *buf; /* the message; not owned, MUST outlive (m) */
    size_t len;
    uint16_t id, flags;
    uint16_t count[4]; /* indexed by enum dns_section */
    size_t sec_off[4]; /* offset of each section's first entry */
    size_t end; /* offset after the last RR (trailing ignored) */
    size_t opt_off; /* offset of the OPT RR, 0 if none */
    size_t tsig_off; /* offset of the TSIG RR, 0 if none */
};

/*
 * Parses and validates the whole message (buf, len): header, QDCOUNT
 * questions and every RR of the three other sections, each with the
 * checks dns_query_parse() makes (owner names with compression, RDLENGTH,
 * rdata layout via dns_rdata_unpack(), OPT and TSIG placement).  Unlike
 * dns_query_parse() it accepts compressed question names, any QDCOUNT,
 * and QR set.  (buf) is kept in (m), not copied.  Returns 0, TB_ETRUNC
 * (shorter than a header) or TB_EMALF (anything else wrong; counts
 * larger than the message included).  (m) is unspecified on error.
 */
TB_API int dns_msg_parse(struct dns_msg *m, const uint8_t *buf, size_t len);

/* One RR (or question entry) of a parsed message. */
struct dns_rr {
    uint8_t owner[DNS_NAME_MAXLEN]; /* decompressed, case as received */
    size_t owner_len;
    uint16_t type, rclass;
    uint32_t ttl; /* 0 for questions */
    size_t off; /* offset of the entry's owner name */
    size_t rdoff; /* offset of the rdata (0 for questions) */
    uint16_t rdlen;
    uint8_t section; /* enum dns_section */
};

/* Iterator over a parsed message; fields private. */
struct dns_rr_iter {
    const struct dns_msg *m;
    size_t pos;
    unsigned sec;
    unsigned left;
};

/*
 * Starts (it) at the first entry of (section) of (m), which MUST have been
 * filled by a successful dns_msg_parse(); the walk continues through the
 * later sections.
 */
TB_API void dns_rr_iter_init(struct dns_rr_iter *it, const struct dns_msg *m,
                             enum dns_section section);

/*
 * Reads the next entry into (rr).  Returns true, or false at the end of the
 * message.  Question entries have ttl, rdoff and rdlen 0.  Never fails on a
 * message dns_msg_parse() accepted.
 */
TB_API bool dns_rr_next(struct dns_rr_iter *it, struct dns_rr *rr);

/*
 * Validates the rdata (msg[rdoff .. rdoff+rdlen)) of an RR of (type) found
 * in the message (msg, msglen), and writes it to (out, cap) in
 * uncompressed wire form, its length in (*outlen).  Names are
 * decompressed where RFC 3597 4 lets a receiver meet compression (NS MD MF
 * CNAME SOA MB MG MR PTR MINFO MX, and RP AFSDB RT SIG PX NXT NAPTR KX SRV
 * DNAME A6); names in other types MUST be uncompressed.  Known layouts are
 * checked exactly (A 4 bytes, AAAA 16, SOA two names + 20, MX 2 + name,
 * TXT one or more strings, RRSIG 18 + name + signature, ...); unknown
 * types are opaque.  Empty rdata is valid only for types whose layout
 * allows it (dns_msg_parse() accepts it outside class IN; UPDATE).
 * (out) MAY be NULL to validate only; otherwise (cap) of 65535 + 255
 * always suffices (compression expands).  Returns 0, TB_EMALF (layout
 * wrong, bad name), TB_ETRUNC (rdata runs past msglen) or TB_ESPACE.
 */
TB_API int dns_rdata_unpack(const uint8_t *msg, size_t msglen, size_t rdoff,
                            size_t rdlen, uint16_t type, uint8_t *out,
                            size_t cap, size_t *outlen);

/*
 * ---------------------------------------------------------------------
 * Writer
 * ---------------------------------------------------------------------
 */

/* Compression table: slots (a power of two) and names remembered. */
#define DNS_WRITER_SLOTS 64
#define DNS_WRITER_NAMES 48

/* Caller-placed writer state; every field is private. */
struct dns_writer {
    uint8_t *buf;
    size_t cap; /* size limit (UDP payload, or 65535) */
    size_t reserve; /* bytes held back (dns_writer_reserve) */
    size_t len;
    uint16_t count[4];
    unsigned sec;
    unsigned nnames;
    uint16_t qlen; /* length of the first question name, at offset 12 */
    struct {
        uint16_t off; /* offset of a name suffix in buf; 0 = empty */
        uint16_t tag; /* hash bits, to skip most false candidates */
    } slot[DNS_WRITER_SLOTS];
    uint8_t ins[DNS_WRITER_NAMES]; /* slots in insertion order (undo) */
};

/*
 * Starts a message in (buf), at most (cap) bytes (>= DNS_HDR_LEN, <=
 * 65535), with header (id, flags) and all counts 0.  (buf) is borrowed
 * until dns_writer_finish().
 */
TB_API void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap,
                            uint16_t id, uint16_t flags);

/* Replaces the header flags word (e.g. to set TC or an RCODE). */
TB_API void dns_writer_set_flags(struct dns_writer *w, uint16_t flags);

/*
 * Holds (n) bytes back from the size limit (e.g. for the OPT RR a
 * response will end with); dns_writer_reserve(w, 0) releases them.
 * Returns 0, or TB_ESPACE if (n) bytes are not free now.
 */
TB_API int dns_writer_reserve(struct dns_writer *w, size_t n);

/*
 * Writes a question entry (qname MUST be a valid wire name; written
 * uncompressed if first, and remembered for compression).  Questions
 * MUST precede every RR.  Returns 0 or TB_ESPACE (nothing written).
 */
TB_API int dns_writer_question(struct dns_writer *w, const uint8_t *qname,
                               uint16_t qtype, uint16_t qclass);

/*
 * Moves on to (section) (DNS_SEC_ANSWER .. DNS_SEC_ADDITIONAL); sections
 * MUST be entered in order.  RRs go to the current section (initially the
 * answer section).
 */
TB_API void dns_writer_section(struct dns_writer *w, enum dns_section sec);

/*
 * Appends one RR: (owner) a valid wire name, (rdata, rdlen) uncompressed
 * wire rdata of (type) that MUST be well-formed (a zone compiler or
 * dns_rdata_unpack() output).  The owner is compressed against every name
 * already written, and names inside the rdata only for the RFC 1035 types
 * NS MD MF CNAME SOA MB MG MR PTR MINFO MX (never for others, RFC 3597 4).
 * Matching is ASCII case-insensitive; a pointer reuses the case first
 * written.  Returns 0, or TB_ESPACE when the RR does not fit: then the
 * writer is exactly as before the call (length, counts, compression), so
 * the caller can stop and set TC.
 */
TB_API int dns_writer_rr(struct dns_writer *w, const uint8_t *owner,
                         uint16_t type, uint16_t rclass, uint32_t ttl,
                         const uint8_t *rdata, uint16_t rdlen);

/*
 * Appends the EDNS(0) OPT RR (RFC 6891 6.1.2) to the additional section:
 * root owner, CLASS (udp_size), TTL (ext_rcode, version, flags), then
 * (opts, optlen) verbatim (well-formed TLVs, MAY be NULL if optlen is 0).
 * Any reservation is released first.  Returns 0 or TB_ESPACE (nothing
 * written).
 */
TB_API int dns_writer_opt(struct dns_writer *w, uint16_t udp_size,
                          uint8_t ext_rcode, uint8_t version, uint16_t flags,
                          const uint8_t *opts, uint16_t optlen);

/* Current length in bytes (the header included). */
static inline size_t dns_writer_len(const struct dns_writer *w)
{
    return w->len;
}

/*
 * Writes the section counts into the header and returns the message
 * length.  The writer MAY go on afterwards (finish again to update).
 */
TB_API size_t dns_writer_finish(struct dns_writer *w);

#endif /* DNS_WIRE_H */
