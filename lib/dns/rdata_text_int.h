/*
 * rdata_text_int.h -- private to rdata_text*.c: the rdata parser's state
 * and the helpers the field parsers share.  Not a public interface.
 */
#ifndef DNS_RDATA_TEXT_INT_H
#define DNS_RDATA_TEXT_INT_H
#include <tibra/dns.h>

/* Parser state over one record's rdata tokens; (err) is sticky. */
struct rp {
    const struct dns_tok *t;
    size_t n, i; /* tokens, next token */
    const uint8_t *origin;
    struct tb_wcur w;
    struct dns_rdata_err *e;
    int err;
};

/* Printer state: (len) keeps counting past (cap); (err) is sticky. */
struct rw {
    char *b;
    size_t cap, len;
    int err;
};

void rp_fail(struct rp *r, int err, const char *msg);
/* The next token, or NULL after failing with (what) when none is left. */
const struct dns_tok *rp_next(struct rp *r, const char *what);
int rp_unescape(const struct dns_tok *t, uint8_t *buf, size_t cap);
int rp_number(const char *s, size_t len, uint64_t max, uint64_t *v);
void rp_name(struct rp *r);
void rp_svcparams(struct rp *r);
void rp_loc(struct rp *r);

void rw_mem(struct rw *w, const char *s, size_t n);
void rw_str(struct rw *w, const char *s);
void rw_fmt(struct rw *w, const char *fmt, ...) TB_PRINTF(2, 3);
void rw_ip4(struct rw *w, const uint8_t *a);
void rw_ip6(struct rw *w, const uint8_t *a);
/* RFC 4648 4 base64 of (v, l), padded, no line breaks. */
void rw_b64(struct rw *w, const uint8_t *v, size_t l);
/* Writes the SvcParams (p, n); returns 0 or TB_EMALF (then writes junk). */
int rw_svcparams(struct rw *w, const uint8_t *p, size_t n);
int rw_loc(struct rw *w, const uint8_t *p, size_t n);

#endif /* DNS_RDATA_TEXT_INT_H */
