/*
 * zone_int.h -- private to zone_*.c: the zone-file lexer's interface.
 * zone_lex.c cuts a buffer into entries (one record or directive, which
 * parentheses may spread over several lines) of struct dns_tok; it never
 * copies or allocates: tokens point into the caller's text.
 */
#ifndef DNS_ZONE_INT_H
#define DNS_ZONE_INT_H
#include <tibra/dns.h>

struct zlex {
    const char *p, *end; /* private: what is left of the text */
    uint32_t line; /* current line, from 1 */
    const char *errmsg; /* set when zlex_entry returns -1 */
    uint32_t errline;
};

static inline void zlex_init(struct zlex *lx, const char *text, size_t len)
{
    lx->p = text;
    lx->end = text + len;
    lx->line = 1;
    lx->errmsg = NULL;
    lx->errline = 0;
}

/*
 * Reads the next non-empty entry into (t, max): its tokens in (*n), the
 * line it starts on in (*line), and in (*blank) whether it starts with a
 * blank (RFC 1035 5.1: the owner is the previous one).  Returns 1, or 0 at
 * the end of the text, or -1 on a lexical error (unbalanced or nested
 * parentheses, an unterminated quote, more than (max) tokens), with
 * (errmsg, errline) set and the lexer moved past the bad entry.
 */
int zlex_entry(struct zlex *lx, struct dns_tok *t, size_t max, size_t *n,
               uint32_t *line, bool *blank);

#endif /* DNS_ZONE_INT_H */
