/*
 * zone_parse.c -- zone files (RFC 1035 5) into a struct dns_zone_src:
 * zone_lex.c cuts entries, this file reads directives ($ORIGIN, $TTL,
 * $INCLUDE through the caller's callback) and records (owner, blank owner,
 * TTL and class in either order, type), and hands rdata tokens to
 * dns_rdata_from_text().  Errors are reported as file:line: message and
 * parsing continues to report them all; the caller discards the zone.
 * Semantic rules (one SOA, CNAME exclusivity, glue...) are zone_check.c's.
 * The scratch state (token array, rdata buffer) is allocated once per
 * call, never per record.
 */
#include <stdio.h>
#include <tibra/dns.h>

#include "rdata_text_int.h"
#include "zone_int.h"

#define ZP_MAXTOK 8192
/* NSD and Knot use 3600 when a record has no TTL and no $TTL came first. */
#define ZP_DEFAULT_TTL 3600

struct zp {
    struct dns_zone_src *z;
    struct dns_diag *d;
    const struct dns_zone_include *inc;
    uint8_t origin[DNS_NAME_MAXLEN];
    uint8_t owner[DNS_NAME_MAXLEN];
    bool have_owner;
    bool have_dttl;
    bool warned_ttl;
    uint32_t dttl;
    int nomem;
    bool full; /* z->max_records reached: stop */
    struct dns_tok toks[ZP_MAXTOK];
    uint8_t rdata[DNS_RDATA_MAXLEN];
};

static int parse_text(struct zp *zp, const char *text, size_t len,
                      const char *fname, uint16_t fidx, unsigned depth);

/* Copies a token for a message: at most 40 bytes, NUL-terminated. */
static const char *show(const struct dns_tok *t, char *buf, size_t cap)
{
    size_t n = TB_MIN((size_t)t->len, cap - 1);

    memcpy(buf, t->s, n);
    buf[n] = '\0';
    return buf;
}

static bool tok_is(const struct dns_tok *t, const char *word)
{
    size_t i, n = strlen(word);

    if (t->len != n || (t->flags & DNS_TOK_QUOTED))
        return false;
    for (i = 0; i < n; i++) {
        char c = t->s[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 32);
        if (c != word[i])
            return false;
    }
    return true;
}

static int name_err(struct zp *zp, const char *f, uint32_t line,
                    const char *what, const struct dns_tok *t, int rc)
{
    char b[48];

    dns_diag(zp->d, DNS_DIAG_ERROR, f, line, "%s '%s': %s", what,
             show(t, b, sizeof(b)),
             rc == TB_ERANGE   ? "label or name too long"
             : rc == TB_EINVAL ? "name must be absolute here"
                               : "bad domain name");
    return rc;
}

static void directive(struct zp *zp, const struct dns_tok *t, size_t n,
                      const char *f, uint32_t line, unsigned depth)
{
    char b[48];
    size_t len;
    int rc;

    if (tok_is(&t[0], "$ORIGIN")) {
        uint8_t o[DNS_NAME_MAXLEN];
        if (n != 2) {
            dns_diag(zp->d, DNS_DIAG_ERROR, f, line,
                     "$ORIGIN takes one domain name");
            return;
        }
        /* NSD and Knot both require an absolute name here. */
        rc = dns_name_from_text(t[1].s, t[1].len, NULL, o, &len);
        if (rc != 0) {
            name_err(zp, f, line, "$ORIGIN", &t[1], rc);
            return;
        }
        memcpy(zp->origin, o, len);
    } else if (tok_is(&t[0], "$TTL")) {
        if (n != 2 || dns_ttl_from_text(t[1].s, t[1].len, &zp->dttl) != 0) {
            dns_diag(zp->d, DNS_DIAG_ERROR, f, line,
                     "$TTL takes one TTL value");
            return;
        }
        zp->have_dttl = true;
    } else if (tok_is(&t[0], "$INCLUDE")) {
        char path[1024];
        uint8_t save_origin[DNS_NAME_MAXLEN], save_owner[DNS_NAME_MAXLEN];
        bool save_have = zp->have_owner;
        const char *text = NULL, *name = NULL;
        size_t tlen = 0;
        int idx, plen;

        if (n < 2 || n > 3) {
            dns_diag(zp->d, DNS_DIAG_ERROR, f, line,
                     "$INCLUDE takes a file name and an optional origin");
            return;
        }
        plen = rp_unescape(&t[1], (uint8_t *)path, sizeof(path) - 1);
        if (plen <= 0) {
            dns_diag(zp->d, DNS_DIAG_ERROR, f, line, "$INCLUDE: bad file name");
            return;
        }
        path[plen] = '\0';
        memcpy(save_origin, zp->origin, sizeof(save_origin));
        memcpy(save_owner, zp->owner, sizeof(save_owner));
        if (n == 3) {
            uint8_t o[DNS_NAME_MAXLEN];
            rc = dns_name_from_text(t[2].s, t[2].len, NULL, o, &len);
            if (rc != 0) {
                name_err(zp, f, line, "$INCLUDE origin", &t[2], rc);
                return;
            }
            memcpy(zp->origin, o, len);
        }
        if (zp->inc == NULL) {
            dns_diag(zp->d, DNS_DIAG_ERROR, f, line,
                     "$INCLUDE %s: includes are not allowed here", path);
            return;
        }
        if (depth >= DNS_ZONE_INCLUDE_MAX_DEPTH) {
            dns_diag(zp->d, DNS_DIAG_ERROR, f, line,
                     "$INCLUDE %s: nested more than %d deep", path,
                     DNS_ZONE_INCLUDE_MAX_DEPTH);
            return;
        }
        rc =
            zp->inc->open(zp->inc->ctx, path, f ? f : "-", &text, &tlen, &name);
        if (rc != 0) {
            dns_diag(zp->d, DNS_DIAG_ERROR, f, line, "$INCLUDE %s: %s", path,
                     tb_strerror(rc));
        } else {
            idx = dns_zone_src_file(zp->z, name ? name : path);
            if (idx == TB_ENOMEM) {
                zp->nomem = 1;
            } else if (idx < 0) {
                dns_diag(zp->d, DNS_DIAG_ERROR, f, line,
                         "$INCLUDE %s: too many files", path);
            } else {
                const char *fn = zp->z->files[idx];
                parse_text(zp, text, tlen, fn, (uint16_t)idx, depth + 1);
            }
            if (zp->inc->close != NULL)
                zp->inc->close(zp->inc->ctx, text, tlen);
        }
        /* RFC 1035 5.1: an include never changes the parent's origin. */
        memcpy(zp->origin, save_origin, sizeof(save_origin));
        memcpy(zp->owner, save_owner, sizeof(save_owner));
        zp->have_owner = save_have;
    } else {
        dns_diag(zp->d, DNS_DIAG_ERROR, f, line, "unknown directive %s",
                 show(&t[0], b, sizeof(b)));
    }
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void record(struct zp *zp, const struct dns_tok *t, size_t n, bool blank,
                   const char *f, uint16_t fidx, uint32_t line)
{
    size_t i = 0, len = 0, k;
    uint32_t ttl = 0;
    bool have_ttl = false, have_class = false;
    uint16_t rclass = zp->z->rclass, type = 0;
    struct dns_rdata_err e = {NULL, 0};
    char b[48], tb[16];
    int rc;

    if (!blank) {
        if (t[0].flags & DNS_TOK_QUOTED) {
            dns_diag(zp->d, DNS_DIAG_ERROR, f, line, "quoted owner name");
            return;
        }
        rc = dns_name_from_text(t[0].s, t[0].len, zp->origin, zp->owner, &len);
        if (rc != 0) {
            zp->have_owner = false;
            name_err(zp, f, line, "owner", &t[0], rc);
            return;
        }
        zp->have_owner = true;
        i = 1;
    } else if (!zp->have_owner) {
        dns_diag(zp->d, DNS_DIAG_ERROR, f, line,
                 "no owner name: the first record must name one");
        return;
    }
    /* RFC 1035 5.1: [<TTL>] [<class>] or [<class>] [<TTL>]. */
    for (k = 0; k < 2 && i < n; k++) {
        const struct dns_tok *x = &t[i];
        if (x->flags & DNS_TOK_QUOTED)
            break;
        if (!have_ttl && is_digit(x->s[0])) {
            rc = dns_ttl_from_text(x->s, x->len, &ttl);
            if (rc != 0) {
                dns_diag(zp->d, DNS_DIAG_ERROR, f, line, "bad TTL '%s'",
                         show(x, b, sizeof(b)));
                return;
            }
            have_ttl = true;
            i++;
        } else if (!have_class &&
                   dns_class_from_text(x->s, x->len, &rclass) == 0) {
            have_class = true;
            i++;
        } else {
            break;
        }
    }
    if (i >= n) {
        dns_diag(zp->d, DNS_DIAG_ERROR, f, line, "missing type");
        return;
    }
    if ((t[i].flags & DNS_TOK_QUOTED) ||
        dns_type_from_text(t[i].s, t[i].len, &type) != 0) {
        dns_diag(zp->d, DNS_DIAG_ERROR, f, line, "unknown type '%s'",
                 show(&t[i], b, sizeof(b)));
        return;
    }
    if (rclass != zp->z->rclass) {
        char zc[16], rc_[16];
        dns_class_to_text(rclass, rc_, sizeof(rc_));
        dns_class_to_text(zp->z->rclass, zc, sizeof(zc));
        dns_diag(zp->d, DNS_DIAG_ERROR, f, line,
                 "class %s differs from the zone's class %s", rc_, zc);
        return;
    }
    i++;
    rc = dns_rdata_from_text(type, t + i, n - i, zp->origin, zp->rdata,
                             sizeof(zp->rdata), &len, &e);
    if (rc != 0) {
        uint32_t l = e.tok < n - i ? t[i + e.tok].line : line;
        dns_type_to_text(type, tb, sizeof(tb));
        if (e.tok < n - i)
            dns_diag(zp->d, DNS_DIAG_ERROR, f, l, "%s record: %s at '%s'", tb,
                     e.msg, show(&t[i + e.tok], b, sizeof(b)));
        else
            dns_diag(zp->d, DNS_DIAG_ERROR, f, l, "%s record: %s", tb, e.msg);
        return;
    }
    if (!have_ttl) {
        if (zp->have_dttl) {
            ttl = zp->dttl;
        } else {
            ttl = ZP_DEFAULT_TTL;
            if (!zp->warned_ttl)
                dns_diag(zp->d, DNS_DIAG_WARNING, f, line,
                         "no TTL and no $TTL: using %u as NSD and Knot do",
                         ZP_DEFAULT_TTL);
            zp->warned_ttl = true;
        }
    }
    if (zp->z->max_records != 0 && zp->z->nrr >= zp->z->max_records) {
        dns_diag(zp->d, DNS_DIAG_ERROR, f, line,
                 "zone exceeds zone-max-records (%zu)", zp->z->max_records);
        zp->full = true;
        return;
    }
    if (dns_zone_src_add(zp->z, zp->owner, type, rclass, ttl, zp->rdata,
                         (uint16_t)len, fidx, line) != 0)
        zp->nomem = 1;
}

static int parse_text(struct zp *zp, const char *text, size_t len,
                      const char *fname, uint16_t fidx, unsigned depth)
{
    struct zlex lx;
    size_t n;
    uint32_t line;
    bool blank;
    int rc;

    zlex_init(&lx, text, len);
    while (!zp->nomem && !zp->full &&
           (rc = zlex_entry(&lx, zp->toks, ZP_MAXTOK, &n, &line, &blank)) !=
               0) {
        if (rc < 0) {
            dns_diag(zp->d, DNS_DIAG_ERROR, fname, lx.errline, "%s", lx.errmsg);
            continue;
        }
        if (!blank && zp->toks[0].len > 0 && zp->toks[0].s[0] == '$' &&
            !(zp->toks[0].flags & DNS_TOK_QUOTED))
            directive(zp, zp->toks, n, fname, line, depth);
        else
            record(zp, zp->toks, n, blank, fname, fidx, line);
    }
    return zp->nomem ? TB_ENOMEM : 0;
}

int dns_zone_parse(struct dns_zone_src *z, const char *text, size_t len,
                   const char *file, const struct dns_zone_include *inc,
                   struct dns_diag *d)
{
    struct zp *zp = tb_alloc(z->a, sizeof(*zp));
    unsigned errors = d->errors;
    int fidx = UINT16_MAX, rc; /* no file: dns_zrr_file() says "-" */
    const char *fname = file;

    if (zp == NULL)
        return TB_ENOMEM;
    memset(zp, 0, offsetof(struct zp, toks));
    zp->z = z;
    zp->d = d;
    zp->inc = inc;
    memcpy(zp->origin, z->origin, z->origin_len);
    if (file != NULL) {
        fidx = dns_zone_src_file(z, file);
        if (fidx < 0) {
            tb_free(z->a, zp, sizeof(*zp));
            return fidx == TB_ENOMEM ? TB_ENOMEM : TB_EINVAL;
        }
        fname = z->files[fidx];
    }
    rc = parse_text(zp, text, len, fname, (uint16_t)fidx, 0);
    if (rc == 0 && zp->full)
        rc = TB_ERANGE;
    tb_free(z->a, zp, sizeof(*zp));
    if (rc != 0)
        return rc;
    return d->errors > errors ? TB_EMALF : 0;
}
