/*
 * zone_lex.c -- the zone-file lexer (RFC 1035 5.1): one hand-written pass
 * over the whole buffer, driven by a 256-entry character class table, that
 * cuts it into entries of tokens.  Blanks separate tokens; ';' starts a
 * comment; '(' and ')' let an entry continue over line ends; '"' quotes a
 * token (blanks, ';' and line ends inside are data); '\' protects the next
 * character everywhere.  Escapes are left raw: their meaning depends on
 * the field (rdata_text.c, name_text.c).  No copy, no allocation: tokens
 * point into the text.  zone_parse.c is the only caller.
 */
#include <tibra/dns.h>

#include "zone_int.h"

enum { C_TXT = 0, C_BLANK, C_NL, C_SEMI, C_OPEN, C_CLOSE, C_QUOTE, C_BSL };

static const uint8_t cls[256] = {
    [' '] = C_BLANK, ['\t'] = C_BLANK, ['\r'] = C_BLANK,
    ['\n'] = C_NL,   [';'] = C_SEMI,   ['('] = C_OPEN,
    [')'] = C_CLOSE, ['"'] = C_QUOTE,  ['\\'] = C_BSL,
};

/* Skips to the end of the current line (not past its '\n'). */
static const char *eol(const char *p, const char *end)
{
    const char *q = memchr(p, '\n', (size_t)(end - p));

    return q != NULL ? q : end;
}

static int fail(struct zlex *lx, const char *msg, uint32_t line)
{
    lx->errmsg = msg;
    lx->errline = line;
    /* Resynchronise at the next line. */
    lx->p = eol(lx->p, lx->end);
    return -1;
}

int zlex_entry(struct zlex *lx, struct dns_tok *t, size_t max, size_t *n,
               uint32_t *line, bool *blank)
{
    const char *p = lx->p, *end = lx->end, *prev_end = NULL;
    const char *ls = p; /* start of the entry's first line */
    unsigned paren = 0;
    uint32_t open_line = 0;
    size_t k = 0;

    *blank = p < end && cls[(uint8_t)*p] == C_BLANK;
    *line = lx->line;
    while (p < end) {
        const char *s;
        uint16_t fl;

        switch (cls[(uint8_t)*p]) {
        case C_BLANK:
            p++;
            continue;
        case C_NL:
            p++;
            lx->line++;
            if (paren == 0) {
                if (k > 0) {
                    lx->p = p;
                    *n = k;
                    return 1;
                }
                /* Empty or comment-only line: start afresh. */
                *blank = p < end && cls[(uint8_t)*p] == C_BLANK;
                *line = lx->line;
                ls = p;
            }
            continue;
        case C_SEMI:
            p = eol(p, end);
            continue;
        case C_OPEN:
            if (paren) {
                lx->p = p;
                return fail(lx, "nested parentheses", lx->line);
            }
            paren = 1;
            open_line = lx->line;
            p++;
            continue;
        case C_CLOSE:
            if (!paren) {
                lx->p = p;
                return fail(lx, "')' without '('", lx->line);
            }
            paren = 0;
            p++;
            continue;
        case C_QUOTE:
            fl = DNS_TOK_QUOTED | (prev_end == p ? DNS_TOK_JOINED : 0);
            /* RFC 1035 5.1: the owner starts in the first column; after
             * a '(' it is blank (as NSD and Knot read it). */
            if (k == 0 && p != ls)
                *blank = true;
            s = ++p;
            {
                uint32_t l0 = lx->line;
                while (p < end && *p != '"') {
                    if (*p == '\\' && p + 1 < end)
                        p++;
                    if (*p == '\n')
                        lx->line++;
                    p++;
                }
                if (p >= end) {
                    lx->p = p;
                    return fail(lx, "unterminated quoted string", l0);
                }
                if (k == max) {
                    lx->p = p;
                    return fail(lx, "too many fields in one entry", l0);
                }
                t[k].s = s;
                t[k].len = (uint32_t)(p - s);
                t[k].flags = fl;
                t[k].pad_ = 0;
                t[k].line = l0;
                k++;
            }
            p++;
            prev_end = p;
            continue;
        default:
            fl = prev_end == p ? DNS_TOK_JOINED : 0;
            if (k == 0 && p != ls)
                *blank = true;
            s = p;
            while (p < end) {
                uint8_t c = cls[(uint8_t)*p];
                if (c == C_TXT) {
                    p++;
                } else if (c == C_BSL) {
                    /* An escaped line end stays in the token. */
                    if (p + 1 < end && p[1] == '\n')
                        lx->line++;
                    p += p + 1 < end ? 2 : 1;
                } else {
                    break;
                }
            }
            if (k == max) {
                lx->p = p;
                return fail(lx, "too many fields in one entry", lx->line);
            }
            t[k].s = s;
            t[k].len = (uint32_t)(p - s);
            t[k].flags = fl;
            t[k].pad_ = 0;
            t[k].line = lx->line;
            k++;
            prev_end = p;
            continue;
        }
    }
    lx->p = p;
    if (paren) {
        lx->p = end;
        lx->errmsg = "unbalanced '(' at end of file";
        lx->errline = open_line;
        return -1;
    }
    *n = k;
    return k > 0 ? 1 : 0;
}
