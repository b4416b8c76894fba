/*
 * dns.h -- lib/dns, Tibra's DNS library: protocol constants and the types
 * that pass between its stages, then one section header per module:
 *
 *   zone text --zone_parse--> struct dns_zone_src --zone_check--> (sorted,
 *   checked) --zone_compile--> compiled zone blob --auth--> answers
 *
 *   dns/name.h   wire names: decompression, comparison, text form
 *   dns/wire.h   messages: parse (untrusted) and write (with compression),
 *                EDNS(0), rdata validation and decompression
 *   dns/rr.h     RR type table, mnemonics, rdata presentation <-> wire
 *   dns/zone.h   zone-file lexer and parser, zone checks
 *   dns/auth.h   compiled zones, zone sets, the authoritative engine
 *
 * Everything here is freestanding (see base.h): the same objects serve the
 * unix target and every guest.  Cold paths take a struct tb_alloc; the
 * query path allocates nothing.
 */
#ifndef DNS_H
#define DNS_H

#include <tibra/base.h>

/* RFC 1035 2.3.4, 4.1.1 */
#define DNS_NAME_MAXLEN  255
#define DNS_LABEL_MAXLEN 63
#define DNS_HDR_LEN      12
#define DNS_MSG_MAXLEN   65535
#define DNS_UDP_MINLEN   512
#define DNS_RR_FIXED_LEN 10 /* type, class, ttl, rdlength */
#define DNS_RR_MIN_LEN   11 /* root owner + fixed part */
/* RFC 6891: what we advertise and accept by default (DNS flag day 2020). */
#define DNS_EDNS_DEFAULT_UDP 1232

/* Header flag bits (in the 16-bit flags word). RFC 1035 4.1.1, RFC 4035 */
#define DNS_FLAG_QR       0x8000
#define DNS_FLAG_AA       0x0400
#define DNS_FLAG_TC       0x0200
#define DNS_FLAG_RD       0x0100
#define DNS_FLAG_RA       0x0080
#define DNS_FLAG_Z        0x0040
#define DNS_FLAG_AD       0x0020
#define DNS_FLAG_CD       0x0010
#define DNS_OPCODE(flags) (((flags) >> 11) & 0xf)
#define DNS_RCODE(flags)  ((flags)&0xf)
/* EDNS flags (in the OPT TTL's low 16 bits). RFC 3225 */
#define DNS_EDNS_DO 0x8000

enum dns_opcode {
    DNS_OPCODE_QUERY = 0,
    DNS_OPCODE_IQUERY = 1,
    DNS_OPCODE_STATUS = 2,
    DNS_OPCODE_NOTIFY = 4,
    DNS_OPCODE_UPDATE = 5
};

enum dns_rcode {
    DNS_RCODE_NOERROR = 0,
    DNS_RCODE_FORMERR = 1,
    DNS_RCODE_SERVFAIL = 2,
    DNS_RCODE_NXDOMAIN = 3,
    DNS_RCODE_NOTIMP = 4,
    DNS_RCODE_REFUSED = 5,
    DNS_RCODE_YXDOMAIN = 6,
    DNS_RCODE_YXRRSET = 7,
    DNS_RCODE_NXRRSET = 8,
    DNS_RCODE_NOTAUTH = 9,
    DNS_RCODE_NOTZONE = 10,
    DNS_RCODE_BADVERS = 16, /* extended, RFC 6891 */
    DNS_RCODE_BADSIG = 16, /* TSIG, RFC 8945 */
    DNS_RCODE_BADKEY = 17,
    DNS_RCODE_BADTIME = 18,
    DNS_RCODE_BADCOOKIE = 23
};

enum dns_class {
    DNS_CLASS_IN = 1,
    DNS_CLASS_CH = 3,
    DNS_CLASS_HS = 4,
    DNS_CLASS_NONE = 254,
    DNS_CLASS_ANY = 255
};

enum dns_type {
    DNS_TYPE_A = 1,
    DNS_TYPE_NS = 2,
    DNS_TYPE_MD = 3,
    DNS_TYPE_MF = 4,
    DNS_TYPE_CNAME = 5,
    DNS_TYPE_SOA = 6,
    DNS_TYPE_MB = 7,
    DNS_TYPE_MG = 8,
    DNS_TYPE_MR = 9,
    DNS_TYPE_NULL = 10,
    DNS_TYPE_WKS = 11,
    DNS_TYPE_PTR = 12,
    DNS_TYPE_HINFO = 13,
    DNS_TYPE_MINFO = 14,
    DNS_TYPE_MX = 15,
    DNS_TYPE_TXT = 16,
    DNS_TYPE_RP = 17,
    DNS_TYPE_AFSDB = 18,
    DNS_TYPE_X25 = 19,
    DNS_TYPE_ISDN = 20,
    DNS_TYPE_RT = 21,
    DNS_TYPE_NSAP = 22,
    DNS_TYPE_SIG = 24,
    DNS_TYPE_KEY = 25,
    DNS_TYPE_PX = 26,
    DNS_TYPE_GPOS = 27,
    DNS_TYPE_AAAA = 28,
    DNS_TYPE_LOC = 29,
    DNS_TYPE_NXT = 30,
    DNS_TYPE_SRV = 33,
    DNS_TYPE_NAPTR = 35,
    DNS_TYPE_KX = 36,
    DNS_TYPE_CERT = 37,
    DNS_TYPE_A6 = 38,
    DNS_TYPE_DNAME = 39,
    DNS_TYPE_OPT = 41,
    DNS_TYPE_APL = 42,
    DNS_TYPE_DS = 43,
    DNS_TYPE_SSHFP = 44,
    DNS_TYPE_IPSECKEY = 45,
    DNS_TYPE_RRSIG = 46,
    DNS_TYPE_NSEC = 47,
    DNS_TYPE_DNSKEY = 48,
    DNS_TYPE_DHCID = 49,
    DNS_TYPE_NSEC3 = 50,
    DNS_TYPE_NSEC3PARAM = 51,
    DNS_TYPE_TLSA = 52,
    DNS_TYPE_SMIMEA = 53,
    DNS_TYPE_HIP = 55,
    DNS_TYPE_CDS = 59,
    DNS_TYPE_CDNSKEY = 60,
    DNS_TYPE_OPENPGPKEY = 61,
    DNS_TYPE_CSYNC = 62,
    DNS_TYPE_ZONEMD = 63,
    DNS_TYPE_SVCB = 64,
    DNS_TYPE_HTTPS = 65,
    DNS_TYPE_SPF = 99,
    DNS_TYPE_NID = 104,
    DNS_TYPE_L32 = 105,
    DNS_TYPE_L64 = 106,
    DNS_TYPE_LP = 107,
    DNS_TYPE_EUI48 = 108,
    DNS_TYPE_EUI64 = 109,
    DNS_TYPE_TKEY = 249,
    DNS_TYPE_TSIG = 250,
    DNS_TYPE_IXFR = 251,
    DNS_TYPE_AXFR = 252,
    DNS_TYPE_MAILB = 253,
    DNS_TYPE_MAILA = 254,
    DNS_TYPE_ANY = 255,
    DNS_TYPE_URI = 256,
    DNS_TYPE_CAA = 257
};

enum dns_section {
    DNS_SEC_QUESTION = 0,
    DNS_SEC_ANSWER = 1,
    DNS_SEC_AUTHORITY = 2,
    DNS_SEC_ADDITIONAL = 3
};

/*
 * Diagnostics for cold paths (zone text, config): every problem is reported
 * as file:line: message through (report).  (errors)/(warnings) count what
 * was reported.  (report) MAY be NULL (count only).
 */
enum dns_diag_level { DNS_DIAG_ERROR = 0, DNS_DIAG_WARNING = 1 };
struct dns_diag {
    void (*report)(void *ctx, int level, const char *file, unsigned line,
                   const char *msg);
    void *ctx;
    unsigned errors;
    unsigned warnings;
};
/* Formats and reports one diagnostic; counts it. (file) MAY be NULL. */
TB_API void dns_diag(struct dns_diag *d, int level, const char *file,
                     unsigned line, const char *fmt, ...) TB_PRINTF(5, 6);

#include <tibra/dns/name.h>
#include <tibra/dns/wire.h>
#include <tibra/dns/rr.h>
#include <tibra/dns/zone.h>
#include <tibra/dns/auth.h>

#endif /* DNS_H */
