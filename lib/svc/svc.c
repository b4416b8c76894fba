/*
 * svc.c -- the service-file parser: text --> struct svc_conf (see svc.h
 * for the syntax and docs/service-file.md for every key).
 *
 * One pass, line by line.  A line that starts in column 0 opens a
 * statement (`section:`), an indented line continues the current one; each
 * line is cut into tokens (bare words, "quoted strings", `;`), and the
 * tokens between separators form one item `key value...`, dispatched
 * through a table per section.  Errors are reported with file:line and
 * parsing goes on with the next item or line, so one run shows every
 * problem.  After the last line the service as a whole is checked.
 *
 * The parser never reads past (text + len), never needs a NUL, and bounds
 * everything: line count by the text size, tokens per line, string sizes,
 * numbers (overflow-checked).  It does not open the zone files it names:
 * that is the loader's job (lib/hosted, app/dnsd).
 */
#include <stdarg.h>
#include <stdio.h>
#include <tibra/dns/tsig.h>
#include <tibra/svc.h>

#define TOK_MAX    64 /* tokens on one line */
#define WORD_MAX   4096 /* bytes in one token (a path, a string) */
#define ERRORS_MAX 100 /* stop reporting after this many errors */

enum section {
    SEC_NONE,
    SEC_SERVICE,
    SEC_ZONE,
    SEC_KEY,
    SEC_RESOLVER,
    SEC_SKIP
};

struct tok {
    const char *p; /* raw text (for bare words) or the unescaped string */
    size_t len;
    bool quoted;
    bool semi; /* a ';' separator */
};

/* Keys that may be given once per service, for "given twice" errors. */
enum once_key {
    K_NAME,
    K_TARGET,
    K_ARCH,
    K_MEMORY,
    K_WORKERS,
    K_TCP_CLIENTS,
    K_TCP_IDLE,
    K_TCP_MAXQ,
    K_UDP_SIZE,
    K_CHAOS,
    K_IDENTITY,
    K_VERSION,
    K_PIDFILE,
    K_NSID,
    K_RRL_RATE,
    K_RRL_SLIP,
    K_RRL_IPV4,
    K_RRL_IPV6,
    K_RRL_TABLE,
    K_RRL_LOOPBACK,
    K_ZONE_MAX_SIZE,
    K_ZONE_MAX_RECORDS,
    K_ZONE_MEMORY,
    K_COOKIES,
    K_COOKIES_REQUIRE,
    K_COOKIE_SECRET,
    K_TCP_PER_ADDR,
    K_STATUS_FILE,
    K_TLS_CERT,
    K_TLS_KEY,
    K_STATE,
    K_ONCE_COUNT
};

struct parser {
    struct svc_conf *c;
    struct dns_diag *diag;
    const char *file; /* for messages */
    const char *dir; /* directory of the file with its final '/' */
    size_t dirlen;
    unsigned line;
    enum section sec;
    bool zone_named; /* the current zone: statement has its name */
    unsigned once[K_ONCE_COUNT]; /* line where given, 0 if not */
    unsigned memory_line, address_line, gateway_line, service_line;
    unsigned zone_memory_line;
    char strbuf[TOK_MAX][WORD_MAX / 16]; /* unescaped short strings */
    char longbuf[WORD_MAX]; /* one unescaped long string */
    bool longbuf_used;
    int err; /* TB_ENOMEM once allocation failed */
};

static void perr(struct parser *ps, const char *fmt, ...) TB_PRINTF(2, 3);

static void perr(struct parser *ps, const char *fmt, ...)
{
    char msg[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (ps->diag->errors < ERRORS_MAX)
        dns_diag(ps->diag, DNS_DIAG_ERROR, ps->file, ps->line, "%s", msg);
    else
        ps->diag->errors++;
}

static void pwarn(struct parser *ps, unsigned line, const char *msg)
{
    dns_diag(ps->diag, DNS_DIAG_WARNING, ps->file, line, "%s", msg);
}

/* ---- strings --------------------------------------------------------- */

static char *dup_str(struct parser *ps, const char *s, size_t n)
{
    char *d;

    if (n >= SIZE_MAX)
        return NULL;
    d = tb_alloc(ps->c->a, n + 1);
    if (d == NULL) {
        if (ps->err == 0)
            perr(ps, "out of memory");
        ps->err = TB_ENOMEM;
        return NULL;
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void free_str(const struct tb_alloc *a, char *s)
{
    if (s != NULL)
        tb_free(a, s, strlen(s) + 1);
}

/* A path value: absolute stays, relative is joined to the file's dir. */
static char *dup_path(struct parser *ps, const struct tok *t)
{
    char *d;
    size_t n;

    if (t->len > 0 && t->p[0] == '/')
        return dup_str(ps, t->p, t->len);
    if (ps->dirlen == 0)
        return dup_str(ps, t->p, t->len);
    n = ps->dirlen + t->len;
    d = tb_alloc(ps->c->a, n + 1);
    if (d == NULL) {
        ps->err = TB_ENOMEM;
        perr(ps, "out of memory");
        return NULL;
    }
    memcpy(d, ps->dir, ps->dirlen);
    memcpy(d + ps->dirlen, t->p, t->len);
    d[n] = '\0';
    return d;
}

static bool tok_is(const struct tok *t, const char *s)
{
    size_t n = strlen(s);
    return !t->quoted && t->len == n && memcmp(t->p, s, n) == 0;
}

/* Quotes (t) for a message: at most 40 bytes, unprintables as '?'. */
static const char *show(const struct tok *t, char *buf, size_t cap)
{
    size_t n = TB_MIN(t->len, cap - 4), i;

    for (i = 0; i < n; i++) {
        char ch = t->p[i];
        buf[i] = (ch >= 0x20 && ch < 0x7f) ? ch : '?';
    }
    if (n < t->len) {
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
    return buf;
}
#define SHOW(t) show((t), showbuf, sizeof(showbuf))

/* ---- values ---------------------------------------------------------- */

/* Decimal (no sign, no leading '+'), overflow-checked, within [lo, hi]. */
static bool num(struct parser *ps, const char *key, const struct tok *t,
                uint64_t lo, uint64_t hi, uint64_t *out)
{
    char showbuf[48];
    uint64_t v = 0;

    if (t->len == 0 || t->len > 20)
        goto bad;
    for (size_t i = 0; i < t->len; i++) {
        char ch = t->p[i];
        if (ch < '0' || ch > '9' || tb_ckd_mul(&v, v, 10) ||
            tb_ckd_add(&v, v, (uint64_t)(ch - '0')))
            goto bad;
    }
    if (v < lo || v > hi) {
        perr(ps, "%s %s is out of range (%llu..%llu)", key, SHOW(t),
             (unsigned long long)lo, (unsigned long long)hi);
        return false;
    }
    *out = v;
    return true;
bad:
    perr(ps, "%s: '%s' is not a number", key, SHOW(t));
    return false;
}

/* SIZE with an optional K, M or G suffix (binary multiples). */
static bool size_val(struct parser *ps, const char *key, const struct tok *t,
                     uint64_t lo, uint64_t hi, uint64_t *out)
{
    char showbuf[48];
    struct tok d = *t;
    uint64_t mul = 1, v;

    if (d.len > 1) {
        switch (d.p[d.len - 1]) {
        case 'k':
        case 'K':
            mul = 1ull << 10;
            d.len--;
            break;
        case 'm':
        case 'M':
            mul = 1ull << 20;
            d.len--;
            break;
        case 'g':
        case 'G':
            mul = 1ull << 30;
            d.len--;
            break;
        default:
            break;
        }
    }
    if (!num(ps, key, &d, 0, UINT64_MAX >> 30, &v))
        return false;
    v *= mul;
    if (v < lo || v > hi) {
        perr(ps, "%s %s is out of range (%lluK..%lluM)", key, SHOW(t),
             (unsigned long long)(lo >> 10), (unsigned long long)(hi >> 20));
        return false;
    }
    *out = v;
    return true;
}

static bool onoff(struct parser *ps, const char *key, const struct tok *t,
                  bool *out)
{
    char showbuf[48];

    if (tok_is(t, "on") || tok_is(t, "yes")) {
        *out = true;
        return true;
    }
    if (tok_is(t, "off") || tok_is(t, "no")) {
        *out = false;
        return true;
    }
    perr(ps, "%s: expected on or off, not '%s'", key, SHOW(t));
    return false;
}

/* ADDR[@PORT] or [ADDR6]@PORT; (port) is used when none is given. */
static bool addr_port(struct parser *ps, const char *key, const struct tok *t,
                      struct svc_addr *out)
{
    char showbuf[48];
    const char *p = t->p, *at;
    size_t len = t->len, alen;
    uint64_t port = SVC_DEFAULT_PORT;

    at = NULL;
    for (size_t i = len; i > 0; i--)
        if (p[i - 1] == '@') {
            at = p + i - 1;
            break;
        }
    alen = at ? (size_t)(at - p) : len;
    if (at != NULL) {
        struct tok pt = {at + 1, len - alen - 1, false, false};
        if (!num(ps, key, &pt, 1, 65535, &port))
            return false;
    }
    if (alen >= 2 && p[0] == '[' && p[alen - 1] == ']') {
        p++;
        alen -= 2;
        if (memchr(p, ':', alen) == NULL)
            goto bad;
    }
    out->line = ps->line;
    if (svc_parse_ip(p, alen, out) != 0)
        goto bad;
    out->port = (uint16_t)port;
    return true;
bad:
    perr(ps, "%s: '%s' is not an IP address (ADDR or ADDR@PORT)", key, SHOW(t));
    return false;
}

/* ---- service: keys --------------------------------------------------- */

static bool once(struct parser *ps, enum once_key k, const char *key)
{
    if (ps->once[k] != 0) {
        perr(ps, "%s given twice (first on line %u)", key, ps->once[k]);
        return false;
    }
    ps->once[k] = ps->line;
    return true;
}

/*
 * nsid: the NSID payload (RFC 5001 2.3), as Knot's `nsid:` takes it: text,
 * or "0x" and an even number of hex digits for any bytes; "" or "0x"
 * alone: none.  (NSD's `nsid:` is hex without 0x, or ascii_TEXT.)
 */
static void nsid(struct parser *ps, const struct tok *v, struct svc_conf *c)
{
    size_t n = v->len;

    if (n >= 2 && v->p[0] == '0' && v->p[1] == 'x') {
        const char *h = v->p + 2;
        int r = tb_hex_decode(h, n - 2, c->nsid, SVC_NSID_MAX);
        if (r == TB_ESPACE) {
            perr(ps, "nsid is longer than %d bytes", SVC_NSID_MAX);
        } else if (r < 0 && (n - 2) % 2 != 0) {
            perr(ps, "nsid: 0x needs an even number of hex digits");
        } else if (r < 0) {
            size_t i = 0; /* the first pair that is not a hex byte */
            while (tb_hexval(h[i]) >= 0 && tb_hexval(h[i + 1]) >= 0)
                i += 2;
            perr(ps, "nsid: '%c%c' is not a hex byte", h[i], h[i + 1]);
        } else {
            c->nsid_len = (size_t)r;
        }
        return;
    }
    if (n > SVC_NSID_MAX) {
        perr(ps, "nsid is longer than %d bytes", SVC_NSID_MAX);
        return;
    }
    memcpy(c->nsid, v->p, n);
    c->nsid_len = n;
}

/*
 * DNS Cookies (RFC 7873): `cookies on|off`, `cookies-require on|off`,
 * `cookie-secret-file PATH` (read by tibra-dnsd at start-up, never put in
 * an image).  Dispatched by name from
 * service_item()'s default case.
 */
static void cookie_item(struct parser *ps, const char *key, const struct tok *v)
{
    struct svc_conf *c = ps->c;

    if (strcmp(key, "cookies") == 0) {
        onoff(ps, key, v, &c->cookies);
    } else if (strcmp(key, "cookies-require") == 0) {
        onoff(ps, key, v, &c->cookies_require);
    } else if (strcmp(key, "cookie-secret-file") == 0) {
        if (v->len == 0) {
            perr(ps, "cookie-secret-file is empty");
            return;
        }
        c->cookie_secret_file = dup_path(ps, v);
        c->cookie_secret_line = ps->line;
    }
}

/*
 * DNS over TLS (RFC 7858): `tls-listen ADDR[@PORT]` (port 853 unless
 * given; answered as the listen addresses are), `tls-certificate PATH`
 * and `tls-key PATH` (PEM, read by tibra-dnsd at start-up, never put in
 * an image).  Dispatched by name from service_item()'s default case.
 */
static void tls_item(struct parser *ps, const char *key, const struct tok *v)
{
    struct svc_conf *c = ps->c;
    char showbuf[48];

    if (strcmp(key, "tls-listen") == 0) {
        struct svc_addr a = {0};
        if (!addr_port(ps, key, v, &a))
            return;
        if (memchr(v->p, '@', v->len) == NULL)
            a.port = SVC_DEFAULT_TLS_PORT;
        for (size_t i = 0; i < c->ntls_listen; i++)
            if (c->tls_listen[i].family == a.family &&
                c->tls_listen[i].port == a.port &&
                memcmp(c->tls_listen[i].addr, a.addr, 16) == 0) {
                perr(ps, "tls-listen %s given twice (first on line %u)",
                     SHOW(v), c->tls_listen[i].line);
                return;
            }
        if (c->ntls_listen == SVC_LISTEN_MAX) {
            perr(ps, "too many tls-listen addresses (at most %d)",
                 SVC_LISTEN_MAX);
            return;
        }
        c->tls_listen[c->ntls_listen++] = a;
        return;
    }
    if (v->len == 0) {
        perr(ps, "%s is empty", key);
        return;
    }
    if (strcmp(key, "tls-certificate") == 0) {
        c->tls_certificate = dup_path(ps, v);
        c->tls_line = ps->line;
    } else {
        c->tls_key = dup_path(ps, v);
    }
}

static void service_item(struct parser *ps, const struct tok *t, size_t n)
{
    struct svc_conf *c = ps->c;
    char showbuf[48];
    const struct tok *v = t + 1;
    const char *key;
    uint64_t x;

    static const struct {
        const char *key;
        signed char once; /* enum once_key, or -1 */
    } keys[] = {
        {"name", K_NAME},
        {"target", K_TARGET},
        {"arch", K_ARCH},
        {"memory", K_MEMORY},
        {"address", -1},
        {"gateway", -1},
        {"listen", -1},
        {"workers", K_WORKERS},
        {"tcp-clients", K_TCP_CLIENTS},
        {"tcp-idle-timeout", K_TCP_IDLE},
        {"tcp-max-queries", K_TCP_MAXQ},
        {"udp-size", K_UDP_SIZE},
        {"chaos", K_CHAOS},
        {"identity", K_IDENTITY},
        {"version", K_VERSION},
        {"pidfile", K_PIDFILE},
        {"nsid", K_NSID},
        {"rrl-rate", K_RRL_RATE},
        {"rrl-slip", K_RRL_SLIP},
        {"rrl-ipv4-prefix", K_RRL_IPV4},
        {"rrl-ipv6-prefix", K_RRL_IPV6},
        {"rrl-table-size", K_RRL_TABLE},
        {"rrl-exempt-loopback", K_RRL_LOOPBACK},
        {"zone-max-size", K_ZONE_MAX_SIZE},
        {"zone-max-records", K_ZONE_MAX_RECORDS},
        {"zone-memory", K_ZONE_MEMORY},
        {"tcp-clients-per-address", K_TCP_PER_ADDR},
        {"metrics", -1},
        {"cookies", K_COOKIES},
        {"cookies-require", K_COOKIES_REQUIRE},
        {"cookie-secret-file", K_COOKIE_SECRET},
        {"status-file", K_STATUS_FILE},
        {"tls-listen", -1},
        {"tls-certificate", K_TLS_CERT},
        {"tls-key", K_TLS_KEY},
        {"state", K_STATE},
    };
    size_t k;

    for (k = 0; k < TB_ARRAY_SIZE(keys); k++)
        if (tok_is(&t[0], keys[k].key))
            break;
    if (k == TB_ARRAY_SIZE(keys)) {
        perr(ps, "unknown service key '%s'", SHOW(&t[0]));
        return;
    }
    key = keys[k].key;
    if (n != 2) {
        perr(ps,
             n < 2
                 ? "%s needs a value"
                 : "%s takes one value (separate items with ';' or a newline)",
             key);
        return;
    }
    if (keys[k].once >= 0 && !once(ps, (enum once_key)keys[k].once, key))
        return;

    switch (k) {
    case 0: /* name: a label-like word, used in logs and image names */
        for (size_t i = 0; i < v->len; i++) {
            char ch = v->p[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                  (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
                  ch == '.') ||
                v->len > 63) {
                perr(ps,
                     "name '%s': use up to 63 letters, digits, '-', "
                     "'_' or '.'",
                     SHOW(v));
                return;
            }
        }
        if (v->len == 0) {
            perr(ps, "name is empty");
            return;
        }
        c->name = dup_str(ps, v->p, v->len);
        break;
    case 1: {
        enum svc_target tg;
        if (tok_is(v, "unix"))
            tg = SVC_TARGET_UNIX;
        else if (tok_is(v, "hvt"))
            tg = SVC_TARGET_HVT;
        else if (tok_is(v, "spt"))
            tg = SVC_TARGET_SPT;
        else {
            perr(ps, "unknown target '%s' (unix, hvt or spt)", SHOW(v));
            break;
        }
        if (!c->target_fixed)
            c->target = tg;
        break;
    }
    case 2:
        if (tok_is(v, "x86_64"))
            c->arch = SVC_ARCH_X86_64;
        else if (tok_is(v, "aarch64"))
            c->arch = SVC_ARCH_AARCH64;
        else
            perr(ps, "unknown arch '%s' (x86_64 or aarch64)", SHOW(v));
        break;
    case 3:
        if (size_val(ps, key, v, 1ull << 20, 64ull << 30, &x)) {
            c->memory = x;
            ps->memory_line = ps->line;
        }
        break;
    case 4: { /* address PREFIX: ADDR/LEN */
        const char *sl = memchr(v->p, '/', v->len);
        struct svc_addr a = {0};
        size_t alen = sl ? (size_t)(sl - v->p) : v->len;
        uint64_t plen;

        a.line = ps->line;
        if (sl == NULL || svc_parse_ip(v->p, alen, &a) != 0) {
            perr(ps, "address: '%s' is not ADDR/PREFIXLEN", SHOW(v));
            return;
        }
        struct tok pt = {sl + 1, v->len - alen - 1, false, false};
        if (!num(ps, "address prefix length", &pt, 1, a.family == 4 ? 32 : 128,
                 &plen))
            return;
        a.plen = (uint8_t)plen;
        struct svc_addr *dst = a.family == 4 ? &c->address4 : &c->address6;
        if (dst->family != 0) {
            perr(ps, "a second IPv%u address (first on line %u)", a.family,
                 dst->line);
            return;
        }
        *dst = a;
        ps->address_line = ps->line;
        break;
    }
    case 5: { /* gateway ADDR */
        struct svc_addr a = {0};
        a.line = ps->line;
        if (svc_parse_ip(v->p, v->len, &a) != 0) {
            perr(ps, "gateway: '%s' is not an IP address", SHOW(v));
            return;
        }
        struct svc_addr *dst = a.family == 4 ? &c->gateway4 : &c->gateway6;
        if (dst->family != 0) {
            perr(ps, "a second IPv%u gateway (first on line %u)", a.family,
                 dst->line);
            return;
        }
        *dst = a;
        ps->gateway_line = ps->line;
        break;
    }
    case 6: { /* listen ADDR[@PORT] */
        struct svc_addr a = {0};
        if (!addr_port(ps, key, v, &a))
            return;
        for (size_t i = 0; i < c->nlisten; i++)
            if (c->listen[i].family == a.family &&
                c->listen[i].port == a.port &&
                memcmp(c->listen[i].addr, a.addr, 16) == 0) {
                perr(ps, "listen %s given twice (first on line %u)", SHOW(v),
                     c->listen[i].line);
                return;
            }
        if (c->nlisten == SVC_LISTEN_MAX) {
            perr(ps, "too many listen addresses (at most %d)", SVC_LISTEN_MAX);
            return;
        }
        c->listen[c->nlisten++] = a;
        break;
    }
    case 7:
        if (num(ps, key, v, 1, SVC_WORKERS_MAX, &x))
            c->workers = (unsigned)x;
        break;
    case 8:
        if (num(ps, key, v, 1, 1000000, &x))
            c->tcp_clients = (unsigned)x;
        break;
    case 9:
        if (num(ps, key, v, 1, 86400, &x))
            c->tcp_idle_timeout = (unsigned)x;
        break;
    case 10:
        if (num(ps, key, v, 0, 1000000000, &x))
            c->tcp_max_queries = (unsigned)x;
        break;
    case 11: /* RFC 6891 6.2.5: below 512 is treated as 512; we refuse it */
        if (num(ps, key, v, DNS_UDP_MINLEN, 65535, &x))
            c->udp_size = (uint16_t)x;
        break;
    case 12:
        onoff(ps, key, v, &c->chaos);
        break;
    case 13: /* identity, version: TXT strings of at most 255 bytes */
    case 14:
        if (v->len > 255) {
            perr(ps, "%s is longer than 255 bytes", key);
            return;
        }
        if (k == 13)
            c->identity = dup_str(ps, v->p, v->len);
        else
            c->version = dup_str(ps, v->p, v->len);
        break;
    case 15:
        if (v->len == 0) {
            perr(ps, "pidfile is empty");
            return;
        }
        c->pidfile = dup_path(ps, v);
        break;
    case 16:
        nsid(ps, v, c);
        break;
    case 17:
        if (num(ps, key, v, 0, SVC_RRL_RATE_MAX, &x))
            c->rrl_rate = (unsigned)x;
        break;
    case 18:
        if (num(ps, key, v, 0, SVC_RRL_SLIP_MAX, &x))
            c->rrl_slip = (unsigned)x;
        break;
    case 19:
    case 20:
        if (num(ps, key, v, 1, k == 19 ? 32 : 128, &x)) {
            if (k == 19)
                c->rrl_ipv4_prefix = (uint8_t)x;
            else
                c->rrl_ipv6_prefix = (uint8_t)x;
        }
        break;
    case 21:
        if (num(ps, key, v, SVC_RRL_TABLE_MIN, SVC_RRL_TABLE_MAX, &x))
            c->rrl_table_size = (unsigned)x;
        break;
    case 22:
        onoff(ps, key, v, &c->rrl_exempt_loopback);
        break;
    case 23:
        size_val(ps, key, v, 1ull << 10, SVC_ZONE_MAX_SIZE_MAX,
                 &c->zone_max_size);
        break;
    case 24:
        num(ps, key, v, 1, SVC_ZONE_MAX_RECORDS_MAX, &c->zone_max_records);
        break;
    case 25:
        if (size_val(ps, key, v, 0, SVC_ZONE_MEMORY_MAX, &c->zone_memory))
            ps->zone_memory_line = ps->line;
        break;
    case 26:
        if (num(ps, key, v, 1, 1000000, &x))
            c->tcp_clients_per_address = (unsigned)x;
        break;
    case 27: /* metrics ADDR@PORT: the port is not defaulted to 53 */
        if (memchr(v->p, '@', v->len) == NULL) {
            perr(ps, "metrics: '%s' is not ADDR@PORT (e.g. 127.0.0.1@9153)",
                 SHOW(v));
            return;
        }
        if (c->metrics.family != 0) {
            perr(ps, "metrics given twice (first on line %u)", c->metrics.line);
            return;
        }
        addr_port(ps, key, v, &c->metrics);
        break;
    default:
        if (strcmp(key, "status-file") == 0) { /* tibra-dnsd --status */
            if (v->len == 0)
                perr(ps, "status-file is empty");
            else
                c->status_file = dup_path(ps, v);
            break;
        }
        if (strncmp(key, "tls-", 4) == 0) {
            tls_item(ps, key, v);
            break;
        }
        if (strcmp(key, "state") == 0) { /* images: block device "state" */
            if (size_val(ps, key, v, SVC_STATE_MIN, SVC_STATE_MAX,
                         &c->state_size))
                c->state_line = ps->line;
            break;
        }
        cookie_item(ps, key, v);
        break;
    }
}

/* ---- zone: ----------------------------------------------------------- */

static struct svc_zone *cur_zone(struct parser *ps)
{
    return ps->c->nzones ? &ps->c->zones[ps->c->nzones - 1] : NULL;
}

static void zone_name(struct parser *ps, const struct tok *t)
{
    struct svc_conf *c = ps->c;
    struct svc_zone *z;
    char showbuf[48];
    static const uint8_t root[1] = {0};

    if (tok_is(t, "file")) {
        perr(ps, "zone: expected the zone name first");
        ps->sec = SEC_SKIP;
        return;
    }
    if (c->nzones == SVC_ZONES_MAX) {
        perr(ps, "too many zones (at most %d)", SVC_ZONES_MAX);
        ps->sec = SEC_SKIP;
        return;
    }
    if (c->nzones == c->zones_cap) {
        size_t ncap = c->zones_cap ? c->zones_cap * 2 : 8;
        struct svc_zone *nz = tb_realloc(
            c->a, c->zones, c->zones_cap * sizeof(*nz), ncap * sizeof(*nz));
        if (nz == NULL) {
            ps->err = TB_ENOMEM;
            perr(ps, "out of memory");
            ps->sec = SEC_SKIP;
            return;
        }
        c->zones = nz;
        c->zones_cap = ncap;
    }
    z = &c->zones[c->nzones];
    memset(z, 0, sizeof(*z));
    z->line = ps->line;
    z->ixfr_history = SVC_DEFAULT_IXFR_HISTORY;
    z->ixfr_history_size = SVC_DEFAULT_IXFR_HISTORY_SIZE;
    z->catalog_of = SIZE_MAX;
    if (t->len == 0 || dns_name_from_text(t->p, t->len, root, z->origin,
                                          &z->origin_len) != 0) {
        perr(ps, "zone: '%s' is not a domain name", SHOW(t));
        ps->sec = SEC_SKIP;
        return;
    }
    dns_name_lower(z->origin);
    z->name = dup_str(ps, t->p, t->len);
    if (z->name == NULL) {
        ps->sec = SEC_SKIP;
        return;
    }
    c->nzones++;
    ps->zone_named = true;
}

/* zone-max-size / zone-max-records for one zone (0 until then: the
 * service's value is filled in by check_zones). */
static void zone_limit(struct parser *ps, struct svc_zone *z,
                       const struct tok *t, size_t n)
{
    bool size = tok_is(&t[0], "zone-max-size");
    const char *key = size ? "zone-max-size" : "zone-max-records";
    uint64_t *dst = size ? &z->max_size : &z->max_records;

    if (n != 2) {
        perr(ps, "%s needs exactly one value", key);
        return;
    }
    if (*dst != 0) {
        perr(ps, "zone %s: %s given twice", z->name, key);
        return;
    }
    if (size)
        size_val(ps, key, &t[1], 1ull << 10, SVC_ZONE_MAX_SIZE_MAX, dst);
    else
        num(ps, key, &t[1], 1, SVC_ZONE_MAX_RECORDS_MAX, dst);
}

/* Appends (a) to the array (*v, *n) of at most (max) entries. */
static void addr_push(struct parser *ps, const char *key, struct svc_addr **v,
                      size_t *n, size_t max, const struct svc_addr *a)
{
    struct svc_addr *nv;

    if (*n == max) {
        perr(ps, "%s: more than %zu entries", key, max);
        return;
    }
    nv = tb_realloc(ps->c->a, *v, *n * sizeof(*nv), (*n + 1) * sizeof(*nv));
    if (nv == NULL) {
        ps->err = TB_ENOMEM;
        perr(ps, "out of memory");
        return;
    }
    nv[(*n)++] = *a;
    *v = nv;
}

/* (t) as ADDR or ADDR/LEN into (*a) (plen: LEN, else the whole
 * address), for (key)'s messages.  Returns false after an error. */
static bool addr_prefix(struct parser *ps, const char *key, const struct tok *t,
                        struct svc_addr *a)
{
    char showbuf[48];
    const char *sl = memchr(t->p, '/', t->len);
    size_t alen = sl ? (size_t)(sl - t->p) : t->len;
    uint64_t plen;

    if (svc_parse_ip(t->p, alen, a) != 0) {
        perr(ps, "%s: '%s' is not ADDR or ADDR/LEN", key, SHOW(t));
        return false;
    }
    a->line = ps->line;
    if (sl != NULL) {
        struct tok pt = {sl + 1, t->len - alen - 1, false, false};
        char what[64];
        snprintf(what, sizeof(what), "%s prefix length", key);
        if (!num(ps, what, &pt, 0, a->family == 4 ? 32 : 128, &plen))
            return false;
        a->plen = (uint8_t)plen;
    }
    return true;
}

/* One allow-transfer entry (a) with its key (MAY be NULL). */
static void allow_push(struct parser *ps, struct svc_zone *z,
                       const struct svc_addr *a, const struct tok *key)
{
    size_t n = z->nallow_xfr;
    char **nk, *name = NULL;

    if (n == SVC_ALLOW_XFR_MAX) {
        addr_push(ps, "allow-transfer", &z->allow_xfr, &z->nallow_xfr,
                  SVC_ALLOW_XFR_MAX, a); /* reports it */
        return;
    }
    nk = tb_realloc(ps->c->a, z->allow_xfr_key, n * sizeof(*nk),
                    (n + 1) * sizeof(*nk));
    if (nk == NULL) {
        ps->err = TB_ENOMEM;
        perr(ps, "out of memory");
        return;
    }
    z->allow_xfr_key = nk;
    if (key != NULL && (name = dup_str(ps, key->p, key->len)) == NULL)
        return;
    addr_push(ps, "allow-transfer", &z->allow_xfr, &z->nallow_xfr,
              SVC_ALLOW_XFR_MAX, a);
    if (z->nallow_xfr == n) {
        free_str(ps->c->a, name);
        return;
    }
    nk[n] = name;
}

/* allow-transfer ADDR[/LEN]... [key NAME]: who may AXFR/IXFR the zone. */
static void allow_transfer(struct parser *ps, struct svc_zone *z,
                           const struct tok *t, size_t n)
{
    const struct tok *key = NULL;

    /* ADDR[/LEN]... [key NAME]: the key (TSIG) is required of each
     * address of the item; `key NAME` alone: of any address. */
    if (n >= 3 && tok_is(&t[n - 2], "key")) {
        key = &t[n - 1];
        n -= 2;
        if (n == 1) {
            static const char *const any[2] = {"0.0.0.0", "::"};
            for (int f = 0; f < 2; f++) {
                struct svc_addr a = {0};
                svc_parse_ip(any[f], strlen(any[f]), &a);
                a.plen = 0;
                a.line = ps->line;
                allow_push(ps, z, &a, key);
            }
            return;
        }
    }
    if (n < 2) {
        perr(ps, "allow-transfer needs at least one ADDR or ADDR/LEN (and "
                 "optionally key NAME)");
        return;
    }
    for (size_t i = 1; i < n; i++) {
        struct svc_addr a = {0};

        if (tok_is(&t[i], "key")) {
            perr(ps, "allow-transfer: key NAME comes last (ADDR... key "
                     "NAME)");
            return;
        }
        if (addr_prefix(ps, "allow-transfer", &t[i], &a))
            allow_push(ps, z, &a, key);
    }
}

/* notify ADDR[@PORT]... [key NAME]: secondaries told of every new
 * serial; with a key, each NOTIFY to them is signed (RFC 8945). */
static void notify_targets(struct parser *ps, struct svc_zone *z,
                           const struct tok *t, size_t n)
{
    const struct tok *key = NULL;

    if (n >= 3 && tok_is(&t[n - 2], "key")) {
        key = &t[n - 1];
        n -= 2;
    }
    if (n < 2) {
        perr(ps, "notify needs at least one ADDR or ADDR@PORT (and "
                 "optionally key NAME)");
        return;
    }
    /* The keys: one slot per possible target, allocated once. */
    if (key != NULL && z->notify_key == NULL) {
        z->notify_key =
            tb_alloc(ps->c->a, SVC_NOTIFY_MAX * sizeof(*z->notify_key));
        if (z->notify_key == NULL) {
            ps->err = TB_ENOMEM;
            perr(ps, "out of memory");
            return;
        }
        memset(z->notify_key, 0, SVC_NOTIFY_MAX * sizeof(*z->notify_key));
    }
    for (size_t i = 1; i < n; i++) {
        struct svc_addr a = {0};
        size_t was = z->nnotify;

        if (tok_is(&t[i], "key")) {
            perr(ps, "notify: key NAME comes last (ADDR... key NAME)");
            return;
        }
        if (!addr_port(ps, "notify", &t[i], &a))
            continue;
        addr_push(ps, "notify", &z->notify, &z->nnotify, SVC_NOTIFY_MAX, &a);
        if (key != NULL && z->nnotify != was)
            z->notify_key[was] = dup_str(ps, key->p, key->len);
    }
}

/* allow-update key NAME...: the TSIG keys that may update the zone. */
static void allow_update(struct parser *ps, struct svc_zone *z,
                         const struct tok *t, size_t n)
{
    if (n < 3 || !tok_is(&t[1], "key")) {
        perr(ps, "allow-update needs key NAME... (updates must be signed)");
        return;
    }
    z->allow_update_line = ps->line;
    for (size_t i = 2; i < n; i++) {
        if (z->nallow_update == SVC_ALLOW_UPDATE_MAX) {
            perr(ps, "zone %s: more than %d allow-update keys", z->name,
                 SVC_ALLOW_UPDATE_MAX);
            return;
        }
        z->allow_update_key[z->nallow_update] = dup_str(ps, t[i].p, t[i].len);
        if (z->allow_update_key[z->nallow_update] == NULL)
            return;
        z->nallow_update++;
    }
}

/* primary ADDR[@PORT] [key NAME]: a secondary zone (transfers in). */
static void primary_item(struct parser *ps, struct svc_zone *z,
                         const struct tok *t, size_t n)
{
    struct svc_addr a = {0};

    if (n != 2 && !(n == 4 && tok_is(&t[2], "key"))) {
        perr(ps, "primary needs one ADDR or ADDR@PORT (and optionally "
                 "key NAME)");
        return;
    }
    if (z->nprimary == SVC_PRIMARIES_MAX) {
        perr(ps, "zone %s: more than %d primaries", z->name, SVC_PRIMARIES_MAX);
        return;
    }
    if (!addr_port(ps, "primary", &t[1], &a))
        return;
    /* The key: statement may come later: check_zones() resolves it. */
    if (n == 4 &&
        (z->primary_key[z->nprimary] = dup_str(ps, t[3].p, t[3].len)) == NULL)
        return;
    z->primary[z->nprimary++] = a;
}

/* The bounds on a secondary's SOA timers (Knot's names and defaults). */
static bool secondary_timer(struct parser *ps, struct svc_zone *z,
                            const struct tok *t, size_t n)
{
    static const char *const keys[6] = {
        "refresh-min-interval", "refresh-max-interval", "retry-min-interval",
        "retry-max-interval",   "expire-min-interval",  "expire-max-interval"};
    uint32_t *dst[6] = {&z->refresh_min, &z->refresh_max, &z->retry_min,
                        &z->retry_max,   &z->expire_min,  &z->expire_max};
    uint64_t v;

    for (unsigned i = 0; i < 6; i++) {
        if (!tok_is(&t[0], keys[i]))
            continue;
        if (n != 2)
            perr(ps, "%s needs exactly one value (seconds)", keys[i]);
        else if (num(ps, keys[i], &t[1], 1, UINT32_MAX, &v))
            *dst[i] = (uint32_t)v;
        return true;
    }
    return false;
}

/* catalog producer | consumer | NAME (a member of producer NAME);
 * catalog-group TEXT (RFC 9432 4.4.2). */
static void catalog_item(struct parser *ps, struct svc_zone *z,
                         const struct tok *t, size_t n)
{
    bool group = tok_is(&t[0], "catalog-group");

    if (n != 2) {
        perr(ps, group ? "catalog-group needs exactly one value (a text)"
                       : "catalog needs exactly one value: producer, "
                         "consumer or the name of a producer zone");
        return;
    }
    if (group) {
        if (z->catalog_group != NULL)
            perr(ps, "zone %s: catalog-group given twice", z->name);
        else if (t[1].len == 0 || t[1].len > 255)
            perr(ps, "catalog-group: 1 to 255 bytes");
        else
            z->catalog_group = dup_str(ps, t[1].p, t[1].len);
        return;
    }
    if (z->catalog_role != SVC_CATALOG_NONE || z->catalog != NULL) {
        perr(ps, "zone %s: catalog given twice", z->name);
        return;
    }
    z->catalog_line = ps->line;
    if (!t[1].quoted && tok_is(&t[1], "producer"))
        z->catalog_role = SVC_CATALOG_PRODUCER;
    else if (!t[1].quoted && tok_is(&t[1], "consumer"))
        z->catalog_role = SVC_CATALOG_CONSUMER;
    else
        z->catalog = dup_str(ps, t[1].p, t[1].len);
}

/* dnssec KEYDIR [nsec | nsec3 [iterations N] [salt HEX|-] [opt-out]] */
static void dnssec_item(struct parser *ps, struct svc_zone *z,
                        const struct tok *t, size_t n)
{
    char showbuf[48];
    size_t i = 2;

    if (z->dnssec_dir != NULL) {
        perr(ps, "zone %s: dnssec given twice", z->name);
        return;
    }
    if (n < 2 || t[1].len == 0) {
        perr(ps, "dnssec needs a key directory");
        return;
    }
    z->dnssec_line = ps->line;
    if (n > 2 && tok_is(&t[2], "nsec")) {
        i = 3;
    } else if (n > 2 && tok_is(&t[2], "nsec3")) {
        z->dnssec_nsec3 = true;
        for (i = 3; i < n; i++) {
            uint64_t v;
            if (tok_is(&t[i], "opt-out")) {
                z->dnssec_optout = true;
            } else if (tok_is(&t[i], "iterations") && i + 1 < n) {
                if (!num(ps, "iterations", &t[++i], 0,
                         SVC_DNSSEC_ITERATIONS_MAX, &v))
                    return;
                z->dnssec_iterations = (uint16_t)v;
            } else if (tok_is(&t[i], "salt") && i + 1 < n) {
                const struct tok *x = &t[++i];
                int len = 0;
                if (!(x->len == 1 && x->p[0] == '-'))
                    len = x->len == 0 || x->len > 2 * SVC_DNSSEC_SALT_MAX
                              ? -1
                              : tb_hex_decode(x->p, x->len, z->dnssec_salt,
                                              SVC_DNSSEC_SALT_MAX);
                if (len < 0) {
                    perr(ps,
                         "salt '%s' is not hex of at most %d bytes (or '-')",
                         SHOW(x), SVC_DNSSEC_SALT_MAX);
                    return;
                }
                z->dnssec_saltlen = (uint8_t)len;
            } else {
                break;
            }
        }
    }
    if (i < n) {
        perr(ps,
             "dnssec: unexpected '%s' (dnssec KEYDIR [nsec | nsec3 "
             "[iterations N] [salt HEX|-] [opt-out]])",
             SHOW(&t[i]));
        return;
    }
    z->dnssec_dir = dup_path(ps, &t[1]);
}

/* dnssec-validity / dnssec-margin DURATION (seconds, or with units as
 * TTLs: 14d, 2w), dnssec-time UNIX-SECONDS. */
static void dnssec_time_item(struct parser *ps, struct svc_zone *z,
                             const struct tok *t, size_t n)
{
    char showbuf[48];
    uint32_t v;
    uint64_t u;

    if (n != 2) {
        perr(ps, "%s needs exactly one value", SHOW(&t[0]));
        return;
    }
    if (tok_is(&t[0], "dnssec-time")) {
        if (num(ps, "dnssec-time", &t[1], 1, UINT32_MAX, &u))
            z->dnssec_time = u;
        return;
    }
    if (t[1].quoted || dns_ttl_from_text(t[1].p, t[1].len, &v) != 0 ||
        v < 3600 || v > 366u * 86400) {
        perr(ps, "%s '%s' is not a duration of 1h to 366d",
             tok_is(&t[0], "dnssec-validity") ? "dnssec-validity"
                                              : "dnssec-margin",
             SHOW(&t[1]));
        return;
    }
    if (tok_is(&t[0], "dnssec-validity"))
        z->dnssec_validity = v;
    else
        z->dnssec_margin = v;
}

static void zone_item(struct parser *ps, const struct tok *t, size_t n)
{
    struct svc_zone *z = cur_zone(ps);
    char showbuf[48];

    if (tok_is(&t[0], "file")) {
        if (n != 2) {
            perr(ps, "file needs exactly one value (a path)");
            return;
        }
        if (z->file != NULL) {
            perr(ps, "zone %s: file given twice", z->name);
            return;
        }
        if (t[1].len == 0) {
            perr(ps, "file is empty");
            return;
        }
        z->file = dup_path(ps, &t[1]);
    } else if (tok_is(&t[0], "zone-max-size") ||
               tok_is(&t[0], "zone-max-records")) {
        zone_limit(ps, z, t, n);
    } else if (tok_is(&t[0], "allow-transfer")) {
        allow_transfer(ps, z, t, n);
    } else if (tok_is(&t[0], "notify")) {
        notify_targets(ps, z, t, n);
    } else if (tok_is(&t[0], "ixfr-history")) {
        uint64_t v;
        if (n != 2)
            perr(ps, "ixfr-history needs exactly one value (a count)");
        else if (num(ps, "ixfr-history", &t[1], 0, SVC_IXFR_HISTORY_MAX, &v))
            z->ixfr_history = (unsigned)v;
    } else if (tok_is(&t[0], "ixfr-history-size")) {
        if (n != 2)
            perr(ps, "ixfr-history-size needs exactly one value (a size)");
        else
            size_val(ps, "ixfr-history-size", &t[1], 0, 1ull << 40,
                     &z->ixfr_history_size);
    } else if (tok_is(&t[0], "allow-update")) {
        allow_update(ps, z, t, n);
    } else if (tok_is(&t[0], "serial-policy")) {
        static const char *const pol[3] = {"increment", "unixtime",
                                           "dateserial"};
        unsigned k = 0;
        while (n == 2 && k < 3 && !tok_is(&t[1], pol[k]))
            k++;
        if (n != 2 || k == 3)
            perr(ps, "serial-policy is increment, unixtime or dateserial");
        else
            z->serial_policy = (uint8_t)k;
    } else if (tok_is(&t[0], "journal-max-size")) {
        if (n != 2)
            perr(ps, "journal-max-size needs exactly one value (a size)");
        else
            size_val(ps, "journal-max-size", &t[1], 1, 1ull << 40,
                     &z->journal_max_size);
    } else if (tok_is(&t[0], "dnssec")) {
        dnssec_item(ps, z, t, n);
    } else if (tok_is(&t[0], "dnssec-validity") ||
               tok_is(&t[0], "dnssec-margin") || tok_is(&t[0], "dnssec-time")) {
        dnssec_time_item(ps, z, t, n);
    } else if (tok_is(&t[0], "primary")) {
        primary_item(ps, z, t, n);
    } else if (tok_is(&t[0], "catalog") || tok_is(&t[0], "catalog-group")) {
        catalog_item(ps, z, t, n);
    } else if (secondary_timer(ps, z, t, n)) {
        /* refresh-min-interval ... expire-max-interval */
    } else {
        perr(ps, "unknown zone key '%s'", SHOW(&t[0]));
    }
}

/* ---- key: (TSIG, RFC 8945) ------------------------------------------- */

/* key: NAME -- a TSIG key's name (a domain name, as Knot and BIND take
 * it); its items follow. */
static void key_name(struct parser *ps, const struct tok *t)
{
    struct svc_conf *c = ps->c;
    struct svc_key *k;
    char showbuf[48];
    static const uint8_t root[1] = {0};

    if (c->nkeys == SVC_KEYS_MAX) {
        perr(ps, "too many keys (at most %d)", SVC_KEYS_MAX);
        ps->sec = SEC_SKIP;
        return;
    }
    if (c->nkeys == c->keys_cap) {
        size_t ncap = c->keys_cap ? c->keys_cap * 2 : 4;
        struct svc_key *nk = tb_realloc(
            c->a, c->keys, c->keys_cap * sizeof(*nk), ncap * sizeof(*nk));
        if (nk == NULL) {
            ps->err = TB_ENOMEM;
            perr(ps, "out of memory");
            ps->sec = SEC_SKIP;
            return;
        }
        c->keys = nk;
        c->keys_cap = ncap;
    }
    k = &c->keys[c->nkeys];
    memset(k, 0, sizeof(*k));
    k->line = ps->line;
    if (t->quoted || t->len == 0 ||
        dns_name_from_text(t->p, t->len, root, k->wire, &k->wire_len) != 0) {
        perr(ps, "key: '%s' is not a key name (a domain name)", SHOW(t));
        ps->sec = SEC_SKIP;
        return;
    }
    dns_name_lower(k->wire);
    k->name = dup_str(ps, t->p, t->len);
    if (k->name == NULL) {
        ps->sec = SEC_SKIP;
        return;
    }
    c->nkeys++;
    ps->zone_named = true;
}

/* algorithm ALG; secret-file PATH.  The secret itself is never in the
 * service file: it is read at run time (svc_key_load()), so it never
 * enters an image or a build record. */
static void key_item(struct parser *ps, const struct tok *t, size_t n)
{
    struct svc_key *k = &ps->c->keys[ps->c->nkeys - 1];
    char showbuf[48];
    enum dns_tsig_alg alg;

    if (k->alg == 0 && !t[0].quoted &&
        dns_tsig_alg_from_text(t[0].p, t[0].len, &alg) == 0) {
        /* The short form `key: k1 hmac-sha256 secret-file PATH`. */
        k->alg = (int)alg;
        if (n > 1)
            key_item(ps, t + 1, n - 1);
    } else if (tok_is(&t[0], "algorithm")) {
        if (n != 2) {
            perr(ps, "algorithm needs exactly one value (e.g. hmac-sha256)");
        } else if (k->alg != 0) {
            perr(ps, "key %s: algorithm given twice", k->name);
        } else {
            enum dns_tsig_alg a;
            if (dns_tsig_alg_from_text(t[1].p, t[1].len, &a) == 0)
                k->alg = (int)a;
            else
                perr(ps,
                     "key %s: unknown algorithm '%s' (hmac-sha256, "
                     "hmac-sha384, hmac-sha512, hmac-sha224, hmac-sha1, "
                     "hmac-md5)",
                     k->name, SHOW(&t[1]));
        }
    } else if (tok_is(&t[0], "secret-file")) {
        if (n != 2 || t[1].len == 0)
            perr(ps, "secret-file needs exactly one value (a path)");
        else if (k->secret_file != NULL)
            perr(ps, "key %s: secret-file given twice", k->name);
        else
            k->secret_file = dup_path(ps, &t[1]);
    } else if (tok_is(&t[0], "secret")) {
        perr(ps,
             "key %s: a secret is not written in the service file (it would "
             "enter images and build records); put it in a file and give "
             "secret-file PATH",
             k->name);
    } else {
        perr(ps, "unknown key item '%s' (algorithm, secret-file)", SHOW(&t[0]));
    }
}

const struct svc_key *svc_key_find(const struct svc_conf *c, const char *name,
                                   size_t len)
{
    static const uint8_t root[1] = {0};
    uint8_t w[DNS_NAME_MAXLEN];
    size_t wl;

    if (dns_name_from_text(name, len, root, w, &wl) != 0)
        return NULL;
    dns_name_lower(w);
    for (size_t i = 0; i < c->nkeys; i++)
        if (c->keys[i].wire_len == wl && memcmp(c->keys[i].wire, w, wl) == 0)
            return &c->keys[i];
    return NULL;
}

static void check_keys(struct parser *ps)
{
    struct svc_conf *c = ps->c;

    for (size_t i = 0; i < c->nkeys; i++) {
        const struct svc_key *k = &c->keys[i];
        ps->line = k->line;
        if (k->alg == 0)
            perr(ps, "key %s has no algorithm (add: algorithm hmac-sha256)",
                 k->name);
        if (k->secret_file == NULL)
            perr(ps, "key %s has no secret-file (add: secret-file PATH)",
                 k->name);
        for (size_t j = 0; j < i; j++)
            if (c->keys[j].wire_len == k->wire_len &&
                memcmp(c->keys[j].wire, k->wire, k->wire_len) == 0) {
                perr(ps, "key %s given twice (first on line %u)", k->name,
                     c->keys[j].line);
                break;
            }
    }
}

/* ---- lines and tokens ------------------------------------------------ */

/* ---- resolver: keys (docs/service-file.md) ---------------------------- */

/* forward|stub ZONE ADDR[@PORT]...: the servers of a domain. */
/*
 * One server of forward-tls ZONE ADDR[@PORT]... name NAME (port 853
 * unless given), with (name), the authentication name (RFC 8310) its
 * certificate must carry.
 */
static bool fwd_tls_addr(struct parser *ps, const struct tok *t,
                         const struct tok *name, struct svc_res_fwd *e)
{
    struct svc_addr *a = &e->addr[e->naddr];

    if (!addr_port(ps, "forward-tls", t, a))
        return false;
    if (memchr(t->p, '@', t->len) == NULL)
        a->port = SVC_DEFAULT_TLS_PORT;
    memcpy(e->auth[e->naddr], name->p, name->len);
    e->auth[e->naddr][name->len] = '\0';
    e->naddr++;
    return true;
}

static void resolver_fwd(struct parser *ps, const struct tok *t, size_t n)
{
    static const uint8_t root[1] = {0};
    struct svc_resolver *r = &ps->c->resolver;
    bool tls = tok_is(&t[0], "forward-tls");
    bool recursive = tls || tok_is(&t[0], "forward");
    const char *key = tls ? "forward-tls" : recursive ? "forward" : "stub";
    struct svc_res_fwd e = {.recursive = recursive,
                            .tls = tls,
                            .line = ps->line};
    struct svc_res_fwd *nv;
    char showbuf[48];
    size_t wl;

    if (tls && (n < 5 || !tok_is(&t[n - 2], "name") || t[n - 1].len == 0 ||
                t[n - 1].len >= sizeof(e.auth[0]))) {
        perr(ps, "resolver: forward-tls needs ZONE ADDR[@PORT]... name "
                 "NAME (NAME: what the servers' certificates are checked "
                 "for, e.g. forward-tls . 192.0.2.1 name dns.example.net)");
        return;
    }
    if (tls)
        n -= 2; /* name NAME, taken by fwd_tls_addr() */
    if (n < 3) {
        perr(ps, "resolver: %s needs ZONE ADDR[@PORT]...", key);
        return;
    }
    if (dns_name_from_text(t[1].p, t[1].len, root, e.zone, &wl) != 0) {
        perr(ps, "resolver: %s: '%s' is not a domain name", key, SHOW(&t[1]));
        return;
    }
    dns_name_lower(e.zone);
    if (n - 2 > SVC_RES_FWD_ADDRS) {
        perr(ps, "resolver: %s: more than %d addresses", key,
             SVC_RES_FWD_ADDRS);
        return;
    }
    for (size_t i = 2; i < n; i++)
        if (!(tls ? fwd_tls_addr(ps, &t[i], &t[n + 1], &e)
                  : addr_port(ps, key, &t[i], &e.addr[e.naddr++])))
            return;
    for (size_t i = 0; i < r->nfwd; i++)
        if (dns_name_equal(r->fwd[i].zone, e.zone)) {
            perr(ps, "resolver: %s %s: the zone has a %s already (line %u)",
                 key, SHOW(&t[1]), r->fwd[i].recursive ? "forward" : "stub",
                 r->fwd[i].line);
            return;
        }
    if (r->nfwd == SVC_RES_FWD_MAX) {
        perr(ps, "resolver: more than %d forward and stub zones",
             SVC_RES_FWD_MAX);
        return;
    }
    nv = tb_realloc(ps->c->a, r->fwd, r->nfwd * sizeof(*nv),
                    (r->nfwd + 1) * sizeof(*nv));
    if (nv == NULL) {
        ps->err = TB_ENOMEM;
        perr(ps, "out of memory");
        return;
    }
    nv[r->nfwd++] = e;
    r->fwd = nv;
}

/* insecure DOMAIN...: negative trust anchors (RFC 7646). */
static void resolver_insecure(struct parser *ps, const struct tok *t, size_t n)
{
    static const uint8_t root[1] = {0};
    struct svc_resolver *r = &ps->c->resolver;
    char showbuf[48];

    for (size_t i = 1; i < n; i++) {
        uint8_t name[DNS_NAME_MAXLEN];
        uint8_t(*nv)[DNS_NAME_MAXLEN];
        size_t wl;
        if (dns_name_from_text(t[i].p, t[i].len, root, name, &wl) != 0) {
            perr(ps, "resolver: insecure: '%s' is not a domain name",
                 SHOW(&t[i]));
            return;
        }
        dns_name_lower(name);
        if (r->ninsecure == SVC_RES_INSECURE_MAX) {
            perr(ps, "resolver: more than %d insecure domains",
                 SVC_RES_INSECURE_MAX);
            return;
        }
        nv = tb_realloc(ps->c->a, r->insecure, r->ninsecure * sizeof(*nv),
                        (r->ninsecure + 1) * sizeof(*nv));
        if (nv == NULL) {
            ps->err = TB_ENOMEM;
            perr(ps, "out of memory");
            return;
        }
        memset(nv[r->ninsecure], 0, sizeof(nv[0]));
        memcpy(nv[r->ninsecure], name, wl);
        r->ninsecure++;
        r->insecure = nv;
    }
}

static void resolver_item(struct parser *ps, const struct tok *t, size_t n)
{
    struct svc_resolver *r = &ps->c->resolver;
    char showbuf[48];
    uint64_t v;

    if (n < 2) {
        perr(ps, "resolver: %s needs a value", SHOW(&t[0]));
        return;
    }
    if (tok_is(&t[0], "listen")) {
        for (size_t i = 1; i < n; i++) {
            if (r->nlisten == SVC_LISTEN_MAX) {
                perr(ps, "resolver: more than %d listen addresses",
                     SVC_LISTEN_MAX);
                return;
            }
            if (addr_port(ps, "listen", &t[i], &r->listen[r->nlisten]))
                r->nlisten++;
        }
        return;
    }
    if (tok_is(&t[0], "tls-listen")) { /* DNS over TLS: port 853 by default */
        for (size_t i = 1; i < n; i++) {
            struct svc_addr *a = &r->tls_listen[r->ntls_listen];
            if (r->ntls_listen == SVC_LISTEN_MAX) {
                perr(ps, "resolver: more than %d tls-listen addresses",
                     SVC_LISTEN_MAX);
                return;
            }
            if (!addr_port(ps, "tls-listen", &t[i], a))
                continue;
            if (memchr(t[i].p, '@', t[i].len) == NULL)
                a->port = SVC_DEFAULT_TLS_PORT;
            r->ntls_listen++;
        }
        return;
    }
    if (tok_is(&t[0], "forward") || tok_is(&t[0], "stub") ||
        tok_is(&t[0], "forward-tls")) {
        resolver_fwd(ps, t, n);
        return;
    }
    if (tok_is(&t[0], "insecure")) {
        resolver_insecure(ps, t, n);
        return;
    }
    if (tok_is(&t[0], "allow")) {
        for (size_t i = 1; i < n; i++) {
            struct svc_addr a = {0};
            if (addr_prefix(ps, "allow", &t[i], &a))
                addr_push(ps, "allow", &r->allow, &r->nallow, SVC_RES_ALLOW_MAX,
                          &a);
        }
        return;
    }
    if (n > 2) {
        perr(ps, "resolver: %s takes one value", SHOW(&t[0]));
        return;
    }
    if (tok_is(&t[0], "tls-ca")) { /* forward-tls: the CAs accepted */
        if (r->tls_ca != NULL)
            perr(ps, "resolver: tls-ca given twice");
        else
            r->tls_ca = dup_path(ps, &t[1]);
    } else if (tok_is(&t[0], "root-hints")) {
        if (r->root_hints != NULL)
            perr(ps, "resolver: root-hints given twice");
        else
            r->root_hints = dup_path(ps, &t[1]);
    } else if (tok_is(&t[0], "trust-anchor")) {
        if (r->trust_anchor != NULL || r->no_validation)
            perr(ps, "resolver: trust-anchor given twice");
        else if (tok_is(&t[1], "none"))
            r->no_validation = true;
        else
            r->trust_anchor = dup_path(ps, &t[1]);
    } else if (tok_is(&t[0], "cache-size")) {
        if (size_val(ps, "cache-size", &t[1], 65536, 1ull << 32, &v))
            r->cache_size = v;
    } else if (tok_is(&t[0], "ratelimit")) {
        if (num(ps, "ratelimit", &t[1], 1, 1000000, &v))
            r->ratelimit = (unsigned)v;
    } else if (tok_is(&t[0], "resolutions")) {
        if (num(ps, "resolutions", &t[1], 1, 65536, &v))
            r->resolutions = (unsigned)v;
    } else if (tok_is(&t[0], "serve-stale")) {
        /* RFC 8767 5: a max stale timer of 1 to 3 days suggested */
        if (tok_is(&t[1], "off"))
            r->serve_stale = 0;
        else if (num(ps, "serve-stale", &t[1], 1, 7 * 86400, &v))
            r->serve_stale = (uint32_t)v;
    } else if (tok_is(&t[0], "prefetch")) {
        onoff(ps, "prefetch", &t[1], &r->prefetch);
    } else if (tok_is(&t[0], "use-0x20")) {
        onoff(ps, "use-0x20", &t[1], &r->use_0x20);
    } else {
        perr(ps,
             "unknown resolver: key '%s' (listen, allow, forward, stub, "
             "root-hints, cache-size, resolutions, ratelimit, trust-anchor, "
             "insecure, serve-stale, prefetch, use-0x20)",
             SHOW(&t[0]));
    }
}

static void item(struct parser *ps, const struct tok *t, size_t n)
{
    char showbuf[48];

    if (n == 0)
        return;
    switch (ps->sec) {
    case SEC_SERVICE:
        if (t[0].quoted) {
            perr(ps, "expected a key, not the string \"%s\"", SHOW(&t[0]));
            return;
        }
        service_item(ps, t, n);
        break;
    case SEC_ZONE:
        if (!ps->zone_named) {
            zone_name(ps, &t[0]);
            if (ps->sec == SEC_ZONE && n > 1)
                zone_item(ps, t + 1, n - 1);
            return;
        }
        zone_item(ps, t, n);
        break;
    case SEC_KEY:
        if (!ps->zone_named) {
            key_name(ps, &t[0]);
            if (ps->sec == SEC_KEY && n > 1)
                key_item(ps, t + 1, n - 1);
            return;
        }
        key_item(ps, t, n);
        break;
    case SEC_RESOLVER:
        resolver_item(ps, t, n);
        break;
    case SEC_NONE:
        perr(ps,
             "'%s' outside a section (start one with 'service:' or "
             "'zone:' in column 0)",
             SHOW(&t[0]));
        ps->sec = SEC_SKIP;
        break;
    case SEC_SKIP:
        break;
    }
}

/* Unescapes the string whose body is [p, q) into a line-local buffer. */
static const char *unescape(struct parser *ps, size_t ntok, const char *p,
                            const char *q, size_t *outlen)
{
    char *dst;
    size_t cap, n = 0;

    if ((size_t)(q - p) < sizeof(ps->strbuf[0])) {
        dst = ps->strbuf[ntok];
        cap = sizeof(ps->strbuf[0]);
    } else if (!ps->longbuf_used && (size_t)(q - p) <= sizeof(ps->longbuf)) {
        dst = ps->longbuf;
        cap = sizeof(ps->longbuf);
        ps->longbuf_used = true;
    } else {
        return NULL;
    }
    while (p < q && n < cap) {
        if (*p == '\\' && p + 1 < q)
            p++;
        dst[n++] = *p++;
    }
    *outlen = n;
    return dst;
}

/* Cuts [p, end) -- one line without its newline -- into tokens. */
static size_t tokenize(struct parser *ps, const char *p, const char *end,
                       struct tok *t)
{
    size_t n = 0;

    ps->longbuf_used = false;
    while (p < end) {
        char ch = *p;
        if (ch == ' ' || ch == '\t' || ch == '\r') {
            p++;
            continue;
        }
        if (ch == '#')
            break;
        if (n == TOK_MAX) {
            perr(ps, "too many words on one line (at most %d)", TOK_MAX);
            return (size_t)-1;
        }
        if (ch == ';') {
            t[n++] = (struct tok){p, 1, false, true};
            p++;
        } else if (ch == '"') {
            const char *q = ++p;
            while (q < end && *q != '"') {
                if (*q == '\\' && q + 1 < end)
                    q++;
                q++;
            }
            if (q >= end) {
                perr(ps, "unterminated string");
                return (size_t)-1;
            }
            t[n].p = unescape(ps, n, p, q, &t[n].len);
            if (t[n].p == NULL) {
                perr(ps, "string too long (at most %d bytes)", WORD_MAX);
                return (size_t)-1;
            }
            t[n].quoted = true;
            t[n].semi = false;
            n++;
            p = q + 1;
        } else {
            const char *q = p;
            while (q < end && *q != ' ' && *q != '\t' && *q != '\r' &&
                   *q != ';' && *q != '#' && *q != '"')
                q++;
            if ((size_t)(q - p) > WORD_MAX) {
                perr(ps, "word too long (at most %d bytes)", WORD_MAX);
                return (size_t)-1;
            }
            t[n++] = (struct tok){p, (size_t)(q - p), false, false};
            p = q;
        }
    }
    return n;
}

/* A statement's head: `word:` in column 0.  Returns the bytes consumed. */
static size_t section_head(struct parser *ps, const char *p, const char *end)
{
    const char *q = p;
    char showbuf[48];

    while (q < end && ((*q >= 'a' && *q <= 'z') || *q == '-'))
        q++;
    if (q == end || *q != ':' || q == p) {
        const char *w = p;
        while (w < end && *w != ' ' && *w != '\t' && *w != ';')
            w++;
        struct tok t = {p, (size_t)(w - p), false, false};
        perr(ps,
             "expected 'section:' in column 0, not '%s' (indent lines "
             "that continue a statement)",
             SHOW(&t));
        ps->sec = SEC_SKIP;
        return (size_t)(end - p);
    }
    struct tok h = {p, (size_t)(q - p), false, false};
    ps->zone_named = false;
    if (tok_is(&h, "service")) {
        if (ps->service_line != 0) {
            perr(ps, "a second service: statement (first on line %u)",
                 ps->service_line);
            ps->sec = SEC_SKIP;
        } else {
            ps->service_line = ps->line;
            ps->sec = SEC_SERVICE;
        }
    } else if (tok_is(&h, "zone")) {
        ps->sec = SEC_ZONE;
    } else if (tok_is(&h, "key")) {
        ps->sec = SEC_KEY;
    } else if (tok_is(&h, "resolver")) {
        if (ps->c->resolver.enabled) {
            perr(ps, "a second resolver: statement (first on line %u)",
                 ps->c->resolver.line);
            ps->sec = SEC_SKIP;
        } else {
            ps->c->resolver.enabled = true;
            ps->c->resolver.line = ps->line;
            ps->sec = SEC_RESOLVER;
        }
    } else if (tok_is(&h, "acl")) {
        perr(ps, "'%s:' statements are not supported yet", SHOW(&h));
        ps->sec = SEC_SKIP;
    } else {
        perr(ps, "unknown section '%s:' (service:, zone: or key:)", SHOW(&h));
        ps->sec = SEC_SKIP;
    }
    return (size_t)(q + 1 - p);
}

static void parse_line(struct parser *ps, const char *p, const char *end)
{
    struct tok t[TOK_MAX];
    size_t n, start = 0;

    if (p < end && *p != ' ' && *p != '\t' && *p != '#' && *p != '\r') {
        if (ps->sec == SEC_ZONE && !ps->zone_named)
            perr(ps, "zone: statement above has no zone name");
        if (ps->sec == SEC_KEY && !ps->zone_named)
            perr(ps, "key: statement above has no key name");
        p += section_head(ps, p, end);
    }
    n = tokenize(ps, p, end, t);
    if (n == (size_t)-1)
        return;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || t[i].semi) {
            item(ps, t + start, i - start);
            start = i + 1;
        }
    }
}

/* ---- the whole service ----------------------------------------------- */

/* dnssec: zone files signed by tibra build; its defaults filled in. */
static void check_dnssec(struct parser *ps, struct svc_zone *z)
{
    if (z->dnssec_dir == NULL) {
        if (z->dnssec_validity != 0 || z->dnssec_margin != 0 ||
            z->dnssec_time != 0) {
            ps->line = z->line;
            perr(ps,
                 "zone %s: dnssec-validity, dnssec-margin and dnssec-time "
                 "need dnssec KEYDIR",
                 z->name);
        }
        return;
    }
    ps->line = z->dnssec_line;
    if (z->nprimary != 0 || z->catalog_role == SVC_CATALOG_PRODUCER)
        perr(ps,
             "zone %s: dnssec: a secondary or a catalog producer cannot be "
             "signed (a secondary is served as transferred)",
             z->name);
    if (z->dnssec_validity == 0)
        z->dnssec_validity = SVC_DEFAULT_DNSSEC_VALIDITY;
    if (z->dnssec_margin == 0)
        z->dnssec_margin = SVC_DEFAULT_DNSSEC_MARGIN;
    if (z->dnssec_margin >= z->dnssec_validity)
        perr(ps,
             "zone %s: dnssec-margin (%u s) must be shorter than "
             "dnssec-validity (%u s)",
             z->name, z->dnssec_margin, z->dnssec_validity);
}

/* A catalog producer is made by the server, not read or transferred; a
 * member names a producer of this file. */
static void check_catalog(struct parser *ps, size_t i, const uint32_t *prod,
                          size_t nprod)
{
    struct svc_conf *c = ps->c;
    struct svc_zone *z = &c->zones[i];
    uint8_t w[DNS_NAME_MAXLEN];
    size_t wl;
    static const uint8_t root[1] = {0};

    ps->line = z->catalog_line;
    if (z->catalog_role == SVC_CATALOG_PRODUCER &&
        (z->file != NULL || z->nprimary != 0))
        perr(ps,
             "zone %s: a catalog producer is generated from its "
             "members: no file or primary",
             z->name);
    if (z->catalog_role == SVC_CATALOG_CONSUMER &&
        (z->file == NULL || z->nprimary == 0))
        perr(ps,
             "zone %s: a catalog consumer is a secondary with a file (its "
             "kept copy; members are kept in FILE.members/): add primary "
             "and file",
             z->name);
    if (z->catalog_role != SVC_CATALOG_NONE && c->target != SVC_TARGET_UNIX)
        perr(ps,
             "zone %s: catalog zones are not supported in unikernel "
             "images yet (tibra-dnsd serves it)",
             z->name);
    if (z->catalog == NULL)
        return;
    if (dns_name_from_text(z->catalog, strlen(z->catalog), root, w, &wl) == 0) {
        dns_name_lower(w);
        for (size_t k = 0; k < nprod; k++)
            if (c->zones[prod[k]].origin_len == wl &&
                memcmp(c->zones[prod[k]].origin, w, wl) == 0)
                z->catalog_of = prod[k];
    }
    if (z->catalog_of == SIZE_MAX)
        perr(ps,
             "zone %s: catalog %s: no zone with `catalog producer` of that "
             "name",
             z->name, z->catalog);
}

static void check_zones(struct parser *ps)
{
    struct svc_conf *c = ps->c;
    uint32_t prod[16]; /* the producers (few): members look them up */
    size_t nprod = 0;

    for (size_t i = 0; i < c->nzones; i++)
        if (c->zones[i].catalog_role == SVC_CATALOG_PRODUCER) {
            if (nprod == 16) {
                ps->line = c->zones[i].catalog_line;
                perr(ps, "more than 16 catalog producers");
            } else {
                prod[nprod++] = (uint32_t)i;
            }
        }

    for (size_t i = 0; i < c->nzones; i++) {
        for (size_t k = 0; k < c->zones[i].nallow_xfr; k++) {
            const char *kn = c->zones[i].allow_xfr_key[k];
            if (kn != NULL && svc_key_find(c, kn, strlen(kn)) == NULL) {
                ps->line = c->zones[i].allow_xfr[k].line;
                perr(ps,
                     "zone %s: allow-transfer: no key '%s' (add a key: "
                     "statement)",
                     c->zones[i].name, kn);
            }
        }
        for (size_t k = 0; k < c->zones[i].nnotify; k++) {
            const char *kn = c->zones[i].notify_key != NULL
                                 ? c->zones[i].notify_key[k]
                                 : NULL;
            if (kn != NULL && svc_key_find(c, kn, strlen(kn)) == NULL) {
                ps->line = c->zones[i].notify[k].line;
                perr(ps, "zone %s: notify: no key '%s' (add a key: statement)",
                     c->zones[i].name, kn);
            }
        }
        for (unsigned k = 0; k < c->zones[i].nallow_update; k++) {
            const char *kn = c->zones[i].allow_update_key[k];
            ps->line = c->zones[i].allow_update_line;
            if (svc_key_find(c, kn, strlen(kn)) == NULL)
                perr(ps,
                     "zone %s: allow-update: no key '%s' (add a key: "
                     "statement)",
                     c->zones[i].name, kn);
            if (k == 0 && c->zones[i].nprimary != 0)
                perr(ps, "zone %s: allow-update on a secondary zone",
                     c->zones[i].name);
            if (k == 0 && c->zones[i].file == NULL)
                perr(ps,
                     "zone %s: allow-update needs a file (its journal is "
                     "FILE.journal)",
                     c->zones[i].name);
        }
        for (unsigned k = 0; k < c->zones[i].nprimary; k++) {
            const char *kn = c->zones[i].primary_key[k];
            if (kn != NULL && svc_key_find(c, kn, strlen(kn)) == NULL) {
                ps->line = c->zones[i].primary[k].line;
                perr(ps,
                     "zone %s: primary: no key '%s' (add a key: "
                     "statement)",
                     c->zones[i].name, kn);
            }
        }
        check_catalog(ps, i, prod, nprod);
        if (c->zones[i].file == NULL && c->zones[i].nprimary == 0 &&
            c->zones[i].catalog_role != SVC_CATALOG_PRODUCER) {
            ps->line = c->zones[i].line;
            perr(ps, "zone %s has no file (add: file PATH)", c->zones[i].name);
        }
        check_dnssec(ps, &c->zones[i]);
        if (c->zones[i].max_size == 0)
            c->zones[i].max_size = c->zone_max_size;
        if (c->zones[i].max_records == 0)
            c->zones[i].max_records = c->zone_max_records;
    }
    if (c->nzones < 2)
        return;
    /* Duplicates through an open-addressing table of zone indexes. */
    size_t cap = 16;
    while (cap < c->nzones * 2)
        cap *= 2;
    uint32_t *tab = tb_alloc(c->a, cap * sizeof(*tab));
    if (tab == NULL) {
        ps->err = TB_ENOMEM;
        perr(ps, "out of memory");
        return;
    }
    memset(tab, 0xff, cap * sizeof(*tab));
    for (size_t i = 0; i < c->nzones; i++) {
        const struct svc_zone *z = &c->zones[i];
        size_t h = (size_t)tb_hash64(z->origin, z->origin_len, 0) & (cap - 1);
        while (tab[h] != UINT32_MAX) {
            const struct svc_zone *o = &c->zones[tab[h]];
            if (o->origin_len == z->origin_len &&
                memcmp(o->origin, z->origin, z->origin_len) == 0) {
                ps->line = z->line;
                perr(ps, "zone %s given twice (first on line %u)", z->name,
                     o->line);
                break;
            }
            h = (h + 1) & (cap - 1);
        }
        if (tab[h] == UINT32_MAX)
            tab[h] = (uint32_t)i;
    }
    tb_free(c->a, tab, cap * sizeof(*tab));
}

/* The metrics port is not a DNS port, and a guest serves it on one of
 * its own addresses. */
static void check_metrics(struct parser *ps)
{
    const struct svc_conf *c = ps->c;
    const struct svc_addr *m = &c->metrics;
    const struct svc_addr *own = m->family == 4 ? &c->address4 : &c->address6;
    char t[SVC_ADDR_TEXT_MAX];

    if (m->family == 0)
        return;
    ps->line = m->line;
    svc_addr_to_text(m, true, t, sizeof(t));
    if (c->target != SVC_TARGET_UNIX &&
        (own->family == 0 || memcmp(own->addr, m->addr, 16) != 0)) {
        perr(ps,
             "metrics %s: a unikernel serves metrics on its own address "
             "(the service's 'address')",
             t);
        return;
    }
    for (size_t i = 0; i < c->nlisten; i++) {
        const struct svc_addr *l = &c->listen[i];
        static const uint8_t any[16];
        if (l->port == m->port && l->family == m->family &&
            (memcmp(l->addr, m->addr, 16) == 0 ||
             memcmp(l->addr, any, 16) == 0 || memcmp(m->addr, any, 16) == 0)) {
            perr(ps, "metrics %s: the port is also a listen port (line %u)", t,
                 l->line);
            return;
        }
    }
    if (c->target != SVC_TARGET_UNIX &&
        m->port == (c->nlisten ? c->listen[0].port : SVC_DEFAULT_PORT))
        perr(ps, "metrics %s: the port is the DNS port", t);
}

/* The name forward-tls gave server (a) in the resolver's entries before
 * (upto), or NULL. */
static const char *tls_name_before(const struct svc_resolver *r, size_t upto,
                                   const struct svc_addr *a)
{
    for (size_t j = 0; j < upto; j++)
        for (size_t m = 0; r->fwd[j].tls && m < r->fwd[j].naddr; m++)
            if (r->fwd[j].addr[m].family == a->family &&
                r->fwd[j].addr[m].port == a->port &&
                memcmp(r->fwd[j].addr[m].addr, a->addr, 16) == 0)
                return r->fwd[j].auth[m];
    return NULL;
}

/* tls-listen needs a certificate and a key, and a Linux process. */
static void check_tls(struct parser *ps)
{
    const struct svc_conf *c = ps->c;
    unsigned saved = ps->line;

    for (size_t i = 0; i < c->resolver.nfwd; i++) {
        const struct svc_res_fwd *f = &c->resolver.fwd[i];
        ps->line = f->line;
        if (f->tls && c->target != SVC_TARGET_UNIX)
            perr(ps, "resolver: forward-tls: DNS over TLS is for target "
                     "unix only (not yet in images)");
        else if (f->tls && c->resolver.tls_ca == NULL)
            perr(ps, "resolver: forward-tls needs tls-ca FILE (the CA "
                     "certificates its servers' certificates are checked "
                     "against, PEM)");
        /* a server is known by its address: one name for each */
        for (size_t k = 0; f->tls && k < f->naddr; k++) {
            const char *o = tls_name_before(&c->resolver, i, &f->addr[k]);
            if (o != NULL && strcmp(o, f->auth[k]) != 0)
                perr(ps,
                     "resolver: forward-tls: a server given name %s "
                     "before has another name here",
                     o);
        }
    }
    ps->line = saved;
    if (c->ntls_listen == 0 && c->resolver.ntls_listen == 0) {
        if (c->tls_certificate != NULL || c->tls_key != NULL)
            pwarn(ps, c->tls_line ? c->tls_line : ps->service_line,
                  "tls-certificate and tls-key are unused without "
                  "tls-listen");
        return;
    }
    ps->line =
        c->ntls_listen ? c->tls_listen[0].line : c->resolver.tls_listen[0].line;
    if (c->target != SVC_TARGET_UNIX)
        perr(ps, "tls-listen: DNS over TLS is served by target unix only "
                 "(not yet by images)");
    else if (c->tls_certificate == NULL || c->tls_key == NULL)
        perr(ps, "tls-listen needs tls-certificate FILE and tls-key FILE "
                 "(PEM)");
    ps->line = saved;
}

static void check_service(struct parser *ps)
{
    struct svc_conf *c = ps->c;

    check_metrics(ps);
    check_tls(ps);
    check_zones(ps);
    check_keys(ps);
    if (c->nzones == 0 && !c->resolver.enabled)
        pwarn(ps, ps->service_line,
              "no zone: statements; every query will be refused");
    if (c->resolver.enabled) {
        unsigned saved = ps->line;
        ps->line = c->resolver.line;
        if (c->resolver.nlisten == 0)
            perr(ps, "resolver: no listen address (add e.g. 'listen "
                     "127.0.0.1@5300')");
        /* A unikernel's resolver listens on the image's own address,
         * beside (on another port than) its authoritative port. */
        for (size_t i = 0;
             c->target != SVC_TARGET_UNIX && i < c->resolver.nlisten; i++) {
            const struct svc_addr *l = &c->resolver.listen[i];
            const struct svc_addr *own =
                l->family == 4 ? &c->address4 : &c->address6;
            uint16_t port = c->nlisten ? c->listen[0].port : SVC_DEFAULT_PORT;
            char t[SVC_ADDR_TEXT_MAX];
            svc_addr_to_text(l, true, t, sizeof(t));
            if (own->family == 0 || memcmp(own->addr, l->addr, 16) != 0)
                perr(ps,
                     "resolver: listen %s: a unikernel's resolver listens "
                     "on its own address (the service's 'address')",
                     t);
            else if (l->port == port)
                perr(ps,
                     "resolver: listen %s: the port is the authoritative "
                     "port (give the service another 'listen' port)",
                     t);
        }
        ps->line = saved;
    }
    if (c->target != SVC_TARGET_UNIX && ps->zone_memory_line)
        pwarn(ps, ps->zone_memory_line,
              "zone-memory is ignored for this target (an image's zones "
              "are compiled in)");
    if (c->target == SVC_TARGET_UNIX) {
        /* Guest-only settings mean nothing to a Linux process. */
        if (ps->memory_line)
            pwarn(ps, ps->memory_line, "memory is ignored for target unix");
        if (ps->address_line)
            pwarn(ps, ps->address_line,
                  "address is ignored for target unix (use listen)");
        if (ps->gateway_line)
            pwarn(ps, ps->gateway_line, "gateway is ignored for target unix");
        if (c->nlisten == 0) {
            ps->line = ps->service_line;
            perr(ps, "no listen address (add e.g. 'listen 127.0.0.1@5353' "
                     "to the service: statement)");
        }
        if (c->state_line)
            pwarn(ps, c->state_line,
                  "state is ignored for target unix (tibra-dnsd keeps "
                  "zones in files; a unix image keeps none)");
    } else {
        /* An image keeps secondary zones and update journals on its
         * block device "state" (docs/DESIGN.md "store"): without one a
         * secondary would transfer again at every start and an update
         * could not be made durable before it is answered. */
        for (size_t i = 0; c->state_size == 0 && i < c->nzones; i++) {
            const struct svc_zone *z = &c->zones[i];
            if (z->nprimary == 0 && z->nallow_update == 0)
                continue;
            ps->line = z->nprimary ? z->primary[0].line : z->allow_update_line;
            perr(ps,
                 "zone %s: %s needs a state device in %s images (add "
                 "e.g. 'state 64M' to the service: statement)",
                 z->name, z->nprimary ? "a secondary zone" : "allow-update",
                 svc_target_name(c->target));
        }
        if (c->address4.family == 0 && c->address6.family == 0) {
            ps->line = ps->service_line;
            perr(ps,
                 "target %s needs an address (e.g. 'address "
                 "10.0.0.2/24')",
                 svc_target_name(c->target));
        }
    }
}

void svc_conf_init(struct svc_conf *c, const struct tb_alloc *a)
{
    memset(c, 0, sizeof(*c));
    c->a = a;
    c->target = SVC_TARGET_UNIX;
    c->arch = SVC_ARCH_HOST;
    c->tcp_clients = SVC_DEFAULT_TCP_CLIENTS;
    c->tcp_idle_timeout = SVC_DEFAULT_TCP_IDLE_S;
    c->tcp_max_queries = SVC_DEFAULT_TCP_MAX_QUERIES;
    c->udp_size = SVC_DEFAULT_UDP_SIZE;
    c->rrl_slip = SVC_DEFAULT_RRL_SLIP;
    c->rrl_ipv4_prefix = SVC_DEFAULT_RRL_IPV4_PREFIX;
    c->rrl_ipv6_prefix = SVC_DEFAULT_RRL_IPV6_PREFIX;
    c->rrl_table_size = SVC_DEFAULT_RRL_TABLE_SIZE;
    c->rrl_exempt_loopback = true;
    c->zone_max_size = SVC_DEFAULT_ZONE_MAX_SIZE;
    c->zone_max_records = SVC_DEFAULT_ZONE_MAX_RECORDS;
    c->chaos = true;
    c->cookies = true;
}

void svc_conf_free(struct svc_conf *c)
{
    const struct tb_alloc *a = c->a;

    free_str(a, c->name);
    free_str(a, c->identity);
    free_str(a, c->version);
    free_str(a, c->pidfile);
    free_str(a, c->resolver.root_hints);
    free_str(a, c->resolver.tls_ca);
    free_str(a, c->resolver.trust_anchor);
    if (c->resolver.insecure != NULL)
        tb_free(a, c->resolver.insecure,
                c->resolver.ninsecure * sizeof(*c->resolver.insecure));
    if (c->resolver.fwd != NULL)
        tb_free(a, c->resolver.fwd,
                c->resolver.nfwd * sizeof(struct svc_res_fwd));
    if (c->resolver.allow != NULL)
        tb_free(a, c->resolver.allow,
                c->resolver.nallow * sizeof(struct svc_addr));
    for (size_t i = 0; i < c->nkeys; i++) {
        free_str(a, c->keys[i].name);
        free_str(a, c->keys[i].secret_file);
    }
    if (c->keys != NULL)
        tb_free(a, c->keys, c->keys_cap * sizeof(*c->keys));
    free_str(a, c->cookie_secret_file);
    free_str(a, c->tls_certificate);
    free_str(a, c->tls_key);
    free_str(a, c->status_file);
    for (size_t i = 0; i < c->nzones; i++) {
        free_str(a, c->zones[i].name);
        free_str(a, c->zones[i].file);
        free_str(a, c->zones[i].dnssec_dir);
        free_str(a, c->zones[i].catalog);
        free_str(a, c->zones[i].catalog_group);
        for (unsigned k = 0; k < c->zones[i].nprimary; k++)
            free_str(a, c->zones[i].primary_key[k]);
        for (unsigned k = 0; k < c->zones[i].nallow_update; k++)
            free_str(a, c->zones[i].allow_update_key[k]);
        if (c->zones[i].allow_xfr_key != NULL) {
            for (size_t k = 0; k < c->zones[i].nallow_xfr; k++)
                free_str(a, c->zones[i].allow_xfr_key[k]);
            tb_free(a, c->zones[i].allow_xfr_key,
                    c->zones[i].nallow_xfr * sizeof(char *));
        }
        if (c->zones[i].allow_xfr != NULL)
            tb_free(a, c->zones[i].allow_xfr,
                    c->zones[i].nallow_xfr * sizeof(struct svc_addr));
        if (c->zones[i].notify_key != NULL) {
            for (size_t k = 0; k < c->zones[i].nnotify; k++)
                free_str(a, c->zones[i].notify_key[k]);
            tb_free(a, c->zones[i].notify_key, SVC_NOTIFY_MAX * sizeof(char *));
        }
        if (c->zones[i].notify != NULL)
            tb_free(a, c->zones[i].notify,
                    c->zones[i].nnotify * sizeof(struct svc_addr));
    }
    if (c->zones != NULL)
        tb_free(a, c->zones, c->zones_cap * sizeof(*c->zones));
    svc_conf_init(c, a);
}

int svc_parse(struct svc_conf *c, const char *path, const char *text,
              size_t len, struct dns_diag *diag)
{
    /* The parser state holds line buffers (20 KiB): static would not be
     * reentrant, and this runs on cold paths of hosted programs. */
    struct parser ps;
    const char *p = text, *end = text + len;
    unsigned errors0 = diag->errors;

    memset(&ps, 0, sizeof(ps));
    ps.c = c;
    ps.diag = diag;
    ps.file = path ? path : "-";
    c->path = path;
    if (path != NULL) {
        const char *slash = NULL;
        for (const char *q = path; *q; q++)
            if (*q == '/')
                slash = q;
        if (slash != NULL) {
            ps.dir = path;
            ps.dirlen = (size_t)(slash - path) + 1;
        }
    }
    if (len > SVC_TEXT_MAX) {
        perr(&ps, "service file is larger than %u bytes", SVC_TEXT_MAX);
        return TB_ERANGE;
    }
    if (memchr(text, '\0', len) != NULL) {
        ps.line = 1;
        for (const char *q = text; *q; q++)
            ps.line += *q == '\n';
        perr(&ps, "NUL byte in the service file (is it a text file?)");
        return TB_EMALF;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        ps.line++;
        parse_line(&ps, p, eol);
        p = nl ? nl + 1 : end;
        if (ps.err != 0)
            return ps.err;
    }
    if (ps.sec == SEC_ZONE && !ps.zone_named)
        perr(&ps, "zone: statement has no zone name");
    if (ps.sec == SEC_KEY && !ps.zone_named)
        perr(&ps, "key: statement has no key name");
    check_service(&ps);
    if (ps.err != 0)
        return ps.err;
    return diag->errors != errors0 ? TB_EMALF : 0;
}

const char *svc_target_name(enum svc_target t)
{
    switch (t) {
    case SVC_TARGET_UNIX:
        return "unix";
    case SVC_TARGET_HVT:
        return "hvt";
    case SVC_TARGET_SPT:
        return "spt";
    }
    return "?";
}

const char *svc_arch_name(enum svc_arch a)
{
    switch (a) {
    case SVC_ARCH_HOST:
        return "host";
    case SVC_ARCH_X86_64:
        return "x86_64";
    case SVC_ARCH_AARCH64:
        return "aarch64";
    }
    return "?";
}
