/*
 * args.c -- the DNS unikernel's boot arguments: first the defaults that
 * `tibra build` put into the image's bundle (the service file's values),
 * then the tender's command line, later words winning, so that one image
 * can be deployed on several hosts (the syntax is documented once, in
 * <tibra/bundle.h>).  Both sources are untrusted text: every word is
 * checked completely (range, length, address syntax) and a bad one ends
 * the boot with a one-line message that names it.  No allocation: values
 * are copied into struct dnsg_conf's fixed fields.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "dnsg.h"

void dnsg_conf_default(struct dnsg_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->port = 53;
    c->tcp_clients = 1000; /* = SVC_DEFAULT_TCP_CLIENTS */
    c->tcp_idle_s = 10;
    c->tcp_max_queries = 0;
    c->udp_size = DNS_EDNS_DEFAULT_UDP;
    dns_rrl_conf_default(&c->rrl);
    c->chaos = true;
    c->cookies = true;
}

/* One word of the argument string: "--key=value". */
struct word {
    const char *key, *val; /* key without the leading "--" */
    size_t klen, vlen, len; /* len: the whole word */
    const char *p;
    bool has_val;
};

static bool key_is(const struct word *w, const char *k)
{
    return w->klen == strlen(k) && memcmp(w->key, k, w->klen) == 0;
}

/* A decimal number in [lo, hi], digits only. */
static bool num(const struct word *w, uint64_t lo, uint64_t hi, uint64_t *out)
{
    uint64_t v = 0;

    if (w->vlen == 0 || w->vlen > 20)
        return false;
    for (size_t i = 0; i < w->vlen; i++) {
        unsigned d = (unsigned)(w->val[i] - '0');
        if (d > 9 || tb_ckd_mul(&v, v, 10) || tb_ckd_add(&v, v, d))
            return false;
    }
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/*
 * --tsig-key=NAME:ALG:BASE64 (RFC 8945 key: its name, an algorithm as
 * the service file names it, the secret in base64).  Returns 1, or 0 when
 * any part is wrong or there are DNSG_TSIG_MAX keys already.
 */
static int tsig_key(const struct word *w, struct dnsg_conf *c)
{
    static const uint8_t root[1] = {0};
    const char *v = w->val, *e = w->val + w->vlen, *c1, *c2;
    enum dns_tsig_alg alg;
    int n;

    if (c->ntsig == DNSG_TSIG_MAX ||
        (c1 = memchr(v, ':', (size_t)(e - v))) == NULL ||
        (c2 = memchr(c1 + 1, ':', (size_t)(e - c1 - 1))) == NULL)
        return 0;
    if (c1 == v ||
        dns_name_from_text(v, (size_t)(c1 - v), root, c->tsig[c->ntsig].name,
                           &c->tsig[c->ntsig].name_len) != 0 ||
        dns_tsig_alg_from_text(c1 + 1, (size_t)(c2 - c1 - 1), &alg) != 0)
        return 0;
    n = tb_base64_decode(c2 + 1, (size_t)(e - c2 - 1), c->tsig[c->ntsig].secret,
                         DNSG_TSIG_SECRET_MAX);
    if (n <= 0)
        return 0;
    c->tsig[c->ntsig].alg = (int)alg;
    c->tsig[c->ntsig].secret_len = (size_t)n;
    c->ntsig++;
    return 1;
}

/* "on" or "off" into (*out).  Returns 1, or 0 for anything else. */
static int onoff(const struct word *w, bool *out)
{
    if (w->vlen == 2 && memcmp(w->val, "on", 2) == 0)
        *out = true;
    else if (w->vlen == 3 && memcmp(w->val, "off", 3) == 0)
        *out = false;
    else
        return 0;
    return 1;
}

/* Bytes, with an optional K, M or G suffix (binary). */
static bool size_val(const struct word *w, uint64_t *out)
{
    struct word n = *w;
    unsigned shift = 0;
    uint64_t v;

    if (n.vlen > 1) {
        switch (n.val[n.vlen - 1]) {
        case 'K':
        case 'k':
            shift = 10;
            break;
        case 'M':
        case 'm':
            shift = 20;
            break;
        case 'G':
        case 'g':
            shift = 30;
            break;
        }
        if (shift)
            n.vlen--;
    }
    if (!num(&n, 1, UINT64_MAX >> 30, &v))
        return false;
    *out = v << shift;
    return true;
}

/* ADDR/N for (af); (*plen) 1..32 or 1..128. */
static bool prefix_addr(const struct word *w, int af, uint8_t *ip,
                        uint8_t *plen)
{
    const char *sl = memchr(w->val, '/', w->vlen);
    struct word pw;
    uint64_t n;

    if (sl == NULL)
        return false;
    size_t alen = (size_t)(sl - w->val);
    if ((af == TB_AF_INET ? tb_inet_pton4(w->val, alen, ip)
                          : tb_inet_pton6(w->val, alen, ip)) != 0)
        return false;
    pw = *w;
    pw.val = sl + 1;
    pw.vlen = w->vlen - alen - 1;
    if (!num(&pw, 1, af == TB_AF_INET ? 32 : 128, &n))
        return false;
    *plen = (uint8_t)n;
    return true;
}

/* ADDR@PORT, ADDR IPv4 or IPv6 (no brackets: the last '@' separates). */
static bool listen_addr(const struct word *w, struct tb_addr *a)
{
    const char *at = NULL;
    struct word pw;
    uint64_t port;

    for (size_t i = 0; i < w->vlen; i++)
        if (w->val[i] == '@')
            at = w->val + i;
    if (at == NULL)
        return false;
    size_t alen = (size_t)(at - w->val);
    memset(a, 0, sizeof(*a));
    if (tb_inet_pton4(w->val, alen, a->ip) == 0)
        a->af = TB_AF_INET;
    else if (tb_inet_pton6(w->val, alen, a->ip) == 0)
        a->af = TB_AF_INET6;
    else
        return false;
    pw = *w;
    pw.val = at + 1;
    pw.vlen = w->vlen - alen - 1;
    if (!num(&pw, 1, 65535, &port))
        return false;
    a->port = (uint16_t)port;
    return true;
}

static bool text(const struct word *w, char *dst)
{
    if (w->vlen > DNSG_TEXT_MAX)
        return false;
    memcpy(dst, w->val, w->vlen);
    dst[w->vlen] = '\0';
    return true;
}

/* RFC 5001 2.3: NSID payload, as text or as 0xHEX, as the service file's
 * nsid key takes it (lib/svc, after Knot: a lowercase 0x prefix). */
static bool nsid(const struct word *w, struct dnsg_conf *c)
{
    int r;

    if (w->vlen >= 2 && w->val[0] == '0' && w->val[1] == 'x') {
        r = tb_hex_decode(w->val + 2, w->vlen - 2, c->nsid, DNSG_TEXT_MAX);
        if (r < 0)
            return false;
        c->nsid_len = (size_t)r;
    } else {
        if (w->vlen == 0 || w->vlen > DNSG_TEXT_MAX)
            return false;
        memcpy(c->nsid, w->val, w->vlen);
        c->nsid_len = w->vlen;
    }
    c->has_nsid = c->nsid_len != 0;
    return true;
}

/* ADDR or ADDR/N, IPv4 or IPv6, into (*e). */
static bool acl_prefix(const char *v, size_t vlen, struct dns_acl *e)
{
    const char *sl = memchr(v, '/', vlen);
    size_t alen = sl != NULL ? (size_t)(sl - v) : vlen;
    struct word pw;
    uint64_t n;

    memset(e, 0, sizeof(*e));
    if (tb_inet_pton4(v, alen, e->addr.ip) == 0)
        e->addr.af = TB_AF_INET;
    else if (tb_inet_pton6(v, alen, e->addr.ip) == 0)
        e->addr.af = TB_AF_INET6;
    else
        return false;
    e->plen = e->addr.af == TB_AF_INET ? 32 : 128;
    if (sl != NULL) {
        memset(&pw, 0, sizeof(pw));
        pw.val = sl + 1;
        pw.vlen = vlen - alen - 1;
        if (!num(&pw, 0, e->plen, &n))
            return false;
        e->plen = (uint8_t)n;
    }
    return true;
}

/* ZONE:REST (the first ':' ends the zone name, which must be a name): the
 * zone's wire form into name (its length in (*nlen)), the length of its
 * text in (*zlen), REST into (*rest). */
static bool zone_colon(const struct word *w, uint8_t *name, size_t *nlen,
                       size_t *zlen, struct word *rest)
{
    const char *colon = memchr(w->val, ':', w->vlen);

    if (colon == NULL)
        return false;
    *zlen = (size_t)(colon - w->val);
    if (*zlen == 0 ||
        dns_name_from_text(w->val, *zlen, (const uint8_t *)"", name, nlen) != 0)
        return false;
    *rest = *w;
    rest->val = colon + 1;
    rest->vlen = w->vlen - *zlen - 1;
    return true;
}

/* ZONE:ADDR[/N] (the first ':' ends the zone name; IPv4 or IPv6). */
static bool allow_transfer(const struct word *w, struct dnsg_conf *c)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t zlen, nlen;
    struct word pw;

    if (c->nxfr == DNSG_XFR_MAX || !zone_colon(w, name, &nlen, &zlen, &pw) ||
        !acl_prefix(pw.val, pw.vlen, &c->xfr[c->nxfr].acl))
        return false;
    c->xfr[c->nxfr].zone = w->val;
    c->xfr[c->nxfr].zlen = zlen;
    c->nxfr++;
    return true;
}

/* --primary=ZONE:ADDR@PORT: as notify_target(). */
static bool primary_word(const struct word *w, struct dnsg_conf *c)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t zlen, nlen;
    struct word pw;

    if (c->nprimary == DNSG_PRIMARY_MAX ||
        !zone_colon(w, name, &nlen, &zlen, &pw) ||
        !listen_addr(&pw, &c->primary[c->nprimary].addr))
        return false;
    c->primary[c->nprimary].zone = w->val;
    c->primary[c->nprimary].zlen = zlen;
    c->nprimary++;
    return true;
}

/* --allow-update=ZONE:KEY */
static bool allow_update(const struct word *w, struct dnsg_conf *c)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t zlen, nlen;
    struct word kw;

    if (c->nupd == DNSG_UPDATE_MAX || !zone_colon(w, name, &nlen, &zlen, &kw) ||
        kw.vlen == 0 ||
        dns_name_from_text(kw.val, kw.vlen, (const uint8_t *)"",
                           c->upd[c->nupd].key, &nlen) != 0)
        return false;
    dns_name_lower(c->upd[c->nupd].key);
    c->upd[c->nupd].zone = w->val;
    c->upd[c->nupd].zlen = zlen;
    c->nupd++;
    return true;
}

/* ZONE:ADDR@PORT (the first ':' ends the zone name). */
static bool notify_target(const struct word *w, struct dnsg_conf *c)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t zlen, nlen;
    struct word pw;

    if (c->nnotify == DNSG_NOTIFY_MAX ||
        !zone_colon(w, name, &nlen, &zlen, &pw) ||
        !listen_addr(&pw, &c->notify[c->nnotify].to))
        return false;
    c->notify[c->nnotify].zone = w->val;
    c->notify[c->nnotify].zlen = zlen;
    c->nnotify++;
    return true;
}

/* --resolver-forward=ZONE:ADDR@PORT, --resolver-stub=ZONE:ADDR@PORT: an
 * address of a forward or stub zone (a zone's words add up). */
static bool res_fwd(const struct word *w, struct dnsg_conf *c, bool recursive)
{
    uint8_t zone[DNS_NAME_MAXLEN];
    struct dns_res_fwd *f = NULL;
    struct tb_addr a;
    struct word pw;
    size_t zlen, nlen;

    if (!zone_colon(w, zone, &nlen, &zlen, &pw))
        return false;
    dns_name_lower(zone);
    if (!listen_addr(&pw, &a))
        return false;
    for (unsigned i = 0; i < c->nres_fwd && f == NULL; i++)
        if (dns_name_equal(c->res_fwd[i].zone, zone))
            f = &c->res_fwd[i];
    if (f == NULL) {
        if (c->nres_fwd == DNSG_RES_FWD_MAX)
            return false;
        f = &c->res_fwd[c->nres_fwd++];
        memset(f, 0, sizeof(*f));
        memcpy(f->zone, zone, nlen);
        f->recursive = recursive;
    }
    if (f->recursive != recursive || f->naddr == DNS_RES_FWD_ADDRS)
        return false;
    f->addr[f->naddr++] = a;
    return true;
}

/* --root-hint=NAME:ADDR: a root name server and one of its addresses. */
static bool root_hint(const struct word *w, struct dnsg_conf *c)
{
    struct dns_res_hints *h = &c->res_hints;
    const char *colon = memchr(w->val, ':', w->vlen);
    uint8_t name[DNS_NAME_MAXLEN];
    size_t nlen, alen;
    struct tb_addr a = {.port = 53};
    unsigned k;

    if (colon == NULL || colon == w->val || h->naddr == DNS_RES_ADDRS_MAX ||
        dns_name_from_text(w->val, (size_t)(colon - w->val),
                           (const uint8_t *)"", name, &nlen) != 0)
        return false;
    dns_name_lower(name);
    alen = w->vlen - (size_t)(colon - w->val) - 1;
    if (tb_inet_pton4(colon + 1, alen, a.ip) == 0)
        a.af = TB_AF_INET;
    else if (tb_inet_pton6(colon + 1, alen, a.ip) == 0)
        a.af = TB_AF_INET6;
    else
        return false;
    for (k = 0; k < h->nns && !dns_name_equal(h->ns[k], name); k++)
        ;
    if (k == h->nns) {
        if (h->nns == DNS_RES_HINTS_MAX)
            return false;
        memcpy(h->ns[h->nns++], name, nlen);
    }
    h->addr[h->naddr].ns = (uint8_t)k;
    h->addr[h->naddr++].addr = a;
    return true;
}

/* --trust-anchor=none, or --trust-anchor=NAME:DS:TAG:ALG:TYPE:HEX or
 * NAME:DNSKEY:FLAGS:PROTO:ALG:BASE64 (NAME absolute): one trust anchor,
 * kept as a zone-file line for dns_val_anchors_parse (dnssec.c), which
 * checks the record.  The first one given at run time replaces the
 * image's. */
static bool trust_anchor(const struct word *w, struct dnsg_conf *c,
                         bool cmdline)
{
    const char *f[6];
    size_t n[6], k = 6, end = w->vlen;
    uint8_t name[DNS_NAME_MAXLEN];
    size_t nlen;

    if (cmdline && !c->res_anchors_cmdline) {
        c->res_anchors_cmdline = true;
        c->res_anchors_len = 0;
        c->res_no_val = false;
    }
    if (w->vlen == 4 && !memcmp(w->val, "none", 4)) {
        c->res_no_val = true;
        c->res_anchors_len = 0;
        return true;
    }
    /* nothing the zone-file lexer would read as more than a field */
    for (size_t i = 0; i < w->vlen; i++)
        if (memchr(";()\"$", w->val[i], 5) != NULL)
            return false;
    /* the five fields after the name hold no ':' (numbers, hex, base64) */
    for (size_t i = w->vlen; i > 0 && k > 1; i--)
        if (w->val[i - 1] == ':') {
            k--;
            f[k] = w->val + i;
            n[k] = end - i;
            end = i - 1;
        }
    if (k != 1 || end == 0)
        return false;
    f[0] = w->val;
    n[0] = end;
    for (k = 1; k < 6; k++)
        if (n[k] == 0)
            return false;
    if (w->val[end - 1] != '.' ||
        dns_name_from_text(f[0], n[0], (const uint8_t *)"", name, &nlen) != 0)
        return false;
    if (!(n[1] == 2 && !memcmp(f[1], "DS", 2)) &&
        !(n[1] == 6 && !memcmp(f[1], "DNSKEY", 6)))
        return false;
    if (c->res_anchors_len + w->vlen + 1 >= sizeof(c->res_anchors))
        return false;
    for (k = 0; k < 6; k++) {
        memcpy(c->res_anchors + c->res_anchors_len, f[k], n[k]);
        c->res_anchors_len += n[k];
        c->res_anchors[c->res_anchors_len++] = k < 5 ? ' ' : '\n';
    }
    c->res_no_val = false;
    return true;
}

/* --resolver-insecure=DOMAIN: nothing at or under it is validated. */
static bool res_insecure(const struct word *w, struct dnsg_conf *c)
{
    uint8_t *name = c->res_insecure[c->nres_insecure];
    size_t nlen;

    if (c->nres_insecure == DNSG_RES_INSECURE_MAX || w->vlen == 0 ||
        dns_name_from_text(w->val, w->vlen, (const uint8_t *)"", name, &nlen) !=
            0)
        return false;
    dns_name_lower(name);
    c->nres_insecure++;
    return true;
}

/* What a bad value of each key should have been. */
static const char *const expect[][2] = {
    {"name", "TEXT of at most 255 bytes"},
    {"ipv4", "A.B.C.D/N with N 1-32"},
    {"ipv4-gateway", "A.B.C.D"},
    {"ipv6", "X::Y/N with N 1-128"},
    {"ipv6-gateway", "an IPv6 address"},
    {"port", "a port 1-65535"},
    {"listen", "ADDR@PORT (IPv4 or IPv6, port 1-65535)"},
    {"metrics", "ADDR@PORT (IPv4 or IPv6, port 1-65535) or off"},
    {"tcp-clients", "a number 1-1000000"},
    {"tcp-clients-per-address", "a number 1-1000000"},
    {"tcp-idle-timeout", "seconds 1-86400"},
    {"tcp-max-queries", "a number 0-1000000000 (0: no limit)"},
    {"udp-size", "bytes 512-65535"},
    {"rrl-rate", "a number 0-1000000 (0: off)"},
    {"rrl-slip", "a number 0-100"},
    {"rrl-ipv4-prefix", "a prefix length 1-32"},
    {"rrl-ipv6-prefix", "a prefix length 1-128"},
    {"rrl-table-size", "a number 16-16777216"},
    {"rrl-exempt-loopback", "on or off"},
    {"chaos", "on or off"},
    {"identity", "TEXT of at most 255 bytes"},
    {"version", "TEXT of at most 255 bytes"},
    {"nsid", "TEXT or 0xHEX of at most 255 bytes"},
    {"memory", "BYTES (a K, M or G suffix allowed)"},
    {"allow-transfer", "ZONE:ADDR or ZONE:ADDR/N (at most 64)"},
    {"notify", "ZONE:ADDR@PORT (at most 64)"},
    {"primary", "ZONE:ADDR@PORT (at most 64)"},
    {"state-device", "a block device name of 1-31 bytes"},
    {"allow-update", "ZONE:KEY (a TSIG key name; at most 16)"},
    {"secondary-memory", "BYTES (a K, M or G suffix allowed)"},
    {"time", "seconds 0-31536000"},
    {"cookies", "on or off"},
    {"cookies-require", "on or off"},
    {"cookie-secret", "32 hex digits (16 bytes), or up to 4 of them "
                      "separated by commas, on the command line only"},
    {"resolver-listen", "ADDR@PORT (at most 4)"},
    {"resolver-allow", "ADDR or ADDR/N (at most 64)"},
    {"resolver-forward", "ZONE:ADDR@PORT (at most 16 zones of 8 addresses, "
                         "not a stub zone)"},
    {"resolver-stub", "ZONE:ADDR@PORT (at most 16 zones of 8 addresses, "
                      "not a forward zone)"},
    {"root-hint", "NAME:ADDR (at most 16 names, 32 addresses)"},
    {"resolver-cache-size", "BYTES 64K-4G (a K, M or G suffix allowed)"},
    {"resolver-resolutions", "a number 1-65536"},
    {"resolver-ratelimit", "a number 0-1000000 (0: off)"},
    {"resolver-serve-stale", "seconds 0-604800 (0: off)"},
    {"resolver-prefetch", "on or off"},
    {"resolver-use-0x20", "on or off"},
    {"trust-anchor", "none, NAME:DS:TAG:ALG:TYPE:HEX or "
                     "NAME:DNSKEY:FLAGS:PROTO:ALG:BASE64 (NAME absolute; at "
                     "most 4 KB of anchors)"},
    {"resolver-insecure", "a domain name (at most 16)"},
    {"tsig-key", "NAME:ALG:BASE64 (ALG hmac-sha256, hmac-sha384, "
                 "hmac-sha512, hmac-sha224, hmac-sha1 or hmac-md5; a secret "
                 "of 1 to 128 bytes), on the command line only, at most 4"},
};

/* The words that take a number from lo to hi, and the field it goes to. */
#define NUMW(k, lo, hi, f)                                                     \
    {                                                                          \
        k, lo, hi, offsetof(struct dnsg_conf, f),                              \
            sizeof(((struct dnsg_conf *)0)->f)                                 \
    }
static const struct {
    const char *key;
    uint64_t lo, hi;
    size_t off, size;
} numw[] = {
    NUMW("port", 1, 65535, port),
    NUMW("tcp-clients", 1, 1000000, tcp_clients),
    NUMW("tcp-clients-per-address", 1, 1000000, tcp_per_addr),
    NUMW("tcp-idle-timeout", 1, 86400, tcp_idle_s),
    NUMW("tcp-max-queries", 0, 1000000000, tcp_max_queries),
    NUMW("udp-size", DNS_UDP_MINLEN, 65535, udp_size),
    NUMW("rrl-rate", 0, 1000000, rrl.rate),
    NUMW("rrl-slip", 0, 100, rrl.slip),
    NUMW("rrl-ipv4-prefix", 1, 32, rrl.ipv4_prefix),
    NUMW("rrl-ipv6-prefix", 1, 128, rrl.ipv6_prefix),
    NUMW("rrl-table-size", 16, DNS_RRL_TABLE_MAX, rrl.table_size),
    NUMW("resolver-resolutions", 1, 65536, res_tasks),
    NUMW("resolver-ratelimit", 0, 1000000, res_ratelimit),
    NUMW("resolver-serve-stale", 0, 7 * 86400, res_serve_stale),
    NUMW("time", 0, 31536000, time_s),
};
#undef NUMW

/* A word of numw[]: 1 (done), 0 (bad value), -1 (not one of them). */
static int num_word(struct dnsg_conf *c, const struct word *w)
{
    uint8_t *f = (uint8_t *)c;
    uint64_t x;

    for (size_t i = 0; i < TB_ARRAY_SIZE(numw); i++) {
        if (!key_is(w, numw[i].key))
            continue;
        if (!num(w, numw[i].lo, numw[i].hi, &x))
            return 0;
        f += numw[i].off;
        switch (numw[i].size) {
        case 1:
            *f = (uint8_t)x;
            break;
        case 2:
            *(uint16_t *)(void *)f = (uint16_t)x;
            break;
        case 4:
            *(uint32_t *)(void *)f = (uint32_t)x;
            break;
        default:
            *(uint64_t *)(void *)f = x;
            break;
        }
        return 1;
    }
    return -1;
}

/* Applies one word.  Returns 1 (done), 0 (bad value), -1 (unknown key). */
static int apply(struct dnsg_conf *c, const struct word *w, bool cmdline)
{
    int r;

    if (!w->has_val)
        return -1;
    if ((r = num_word(c, w)) >= 0)
        return r;
    if (key_is(w, "name"))
        return text(w, c->name);
    if (key_is(w, "ipv4"))
        return c->has_ip4 = prefix_addr(w, TB_AF_INET, c->ip4, &c->ip4_prefix);
    if (key_is(w, "ipv4-gateway"))
        return c->has_ip4_gw = tb_inet_pton4(w->val, w->vlen, c->ip4_gw) == 0;
    if (key_is(w, "ipv6"))
        return c->has_ip6 = prefix_addr(w, TB_AF_INET6, c->ip6, &c->ip6_prefix);
    if (key_is(w, "ipv6-gateway"))
        return c->has_ip6_gw = tb_inet_pton6(w->val, w->vlen, c->ip6_gw) == 0;
    if (key_is(w, "listen")) {
        struct tb_addr a;
        if (!listen_addr(w, &a))
            return 0;
        if (cmdline && !c->listen_cmdline) {
            c->nlisten = 0; /* the first at run time replaces the defaults */
            c->listen_cmdline = true;
        }
        for (unsigned i = 0; i < c->nlisten; i++)
            if (memcmp(&c->listen[i], &a, sizeof(a)) == 0)
                return 1; /* given twice: once is enough */
        if (c->nlisten == DNSG_LISTEN_MAX)
            return 0;
        c->listen[c->nlisten++] = a;
        return 1;
    }
    if (key_is(w, "metrics")) {
        if (w->vlen == 3 && memcmp(w->val, "off", 3) == 0) {
            c->has_metrics = false;
            return 1;
        }
        if (!listen_addr(w, &c->metrics))
            return 0;
        c->has_metrics = true;
        return 1;
    }
    if (key_is(w, "chaos"))
        return onoff(w, &c->chaos);
    if (key_is(w, "rrl-exempt-loopback"))
        return onoff(w, &c->rrl.exempt_loopback);
    if (key_is(w, "identity"))
        return c->has_identity = text(w, c->identity);
    if (key_is(w, "version"))
        return c->has_version = text(w, c->version);
    if (key_is(w, "nsid"))
        return nsid(w, c);
    if (key_is(w, "allow-transfer"))
        return allow_transfer(w, c);
    if (key_is(w, "notify"))
        return notify_target(w, c);
    if (key_is(w, "primary"))
        return primary_word(w, c);
    if (key_is(w, "allow-update"))
        return allow_update(w, c);
    if (key_is(w, "state-device")) {
        if (w->vlen == 0 || w->vlen >= sizeof(c->state_device))
            return 0;
        memcpy(c->state_device, w->val, w->vlen);
        c->state_device[w->vlen] = '\0';
        return 1;
    }
    if (key_is(w, "secondary-memory"))
        return size_val(w, &c->sec_memory);
    if (key_is(w, "memory"))
        return size_val(w, &c->memory);
    if (key_is(w, "cookies"))
        return onoff(w, &c->cookies);
    if (key_is(w, "cookies-require"))
        return onoff(w, &c->cookies_require);
    if (key_is(w, "tsig-key"))
        return cmdline && tsig_key(w, c);
    if (key_is(w, "cookie-secret")) {
        /* Secrets are given at run time, never baked into an image. */
        unsigned line;
        int n = cmdline ? dns_cookie_secrets_parse(w->val, w->vlen,
                                                   c->cookie_secret, &line)
                        : TB_EINVAL;
        if (n < 0)
            return 0;
        c->ncookie_secrets = (unsigned)n;
        return 1;
    }
    if (key_is(w, "resolver-listen")) {
        struct tb_addr a;
        if (!listen_addr(w, &a) || c->nres_listen == DNSG_RES_LISTEN_MAX)
            return 0;
        c->res_listen[c->nres_listen++] = a;
        return 1;
    }
    if (key_is(w, "resolver-allow")) {
        if (c->nres_allow == DNSG_RES_ALLOW_MAX ||
            !acl_prefix(w->val, w->vlen, &c->res_allow[c->nres_allow]))
            return 0;
        c->nres_allow++;
        return 1;
    }
    if (key_is(w, "resolver-forward"))
        return res_fwd(w, c, true);
    if (key_is(w, "resolver-stub"))
        return res_fwd(w, c, false);
    if (key_is(w, "root-hint"))
        return root_hint(w, c);
    if (key_is(w, "resolver-cache-size"))
        return size_val(w, &c->res_cache) && c->res_cache >= (64u << 10) &&
               c->res_cache <= (4ull << 30);
    if (key_is(w, "resolver-prefetch"))
        return onoff(w, &c->res_prefetch);
    if (key_is(w, "resolver-use-0x20"))
        return onoff(w, &c->res_use_0x20);
    if (key_is(w, "trust-anchor"))
        return trust_anchor(w, c, cmdline);
    if (key_is(w, "resolver-insecure"))
        return res_insecure(w, c);
    return -1;
}

int dnsg_args_apply(struct dnsg_conf *c, const char *s, size_t len,
                    bool cmdline, char *err, size_t cap)
{
    const char *end = s + len;
    const char *src = cmdline ? "" : " (in the image's default arguments)";

    while (s < end) {
        struct word w;
        const char *eq;

        while (s < end && (*s == ' ' || *s == '\t' || *s == '\n'))
            s++;
        if (s == end)
            break;
        memset(&w, 0, sizeof(w));
        w.p = s;
        while (s < end && *s != ' ' && *s != '\t' && *s != '\n')
            s++;
        w.len = (size_t)(s - w.p);
        /* Shown in messages: at most 64 bytes of the word. */
        int show = (int)TB_MIN(w.len, 64u);
        if (w.len < 3 || w.p[0] != '-' || w.p[1] != '-') {
            snprintf(err, cap,
                     "unknown argument '%.*s'%s (expected --KEY=VALUE)", show,
                     w.p, src);
            return -1;
        }
        w.key = w.p + 2;
        eq = memchr(w.key, '=', w.len - 2);
        w.has_val = eq != NULL;
        w.klen = eq ? (size_t)(eq - w.key) : w.len - 2;
        w.val = eq ? eq + 1 : w.p + w.len;
        w.vlen = (size_t)(w.p + w.len - w.val);
        /* A secret is never shown: the key alone. */
        if (key_is(&w, "tsig-key") || key_is(&w, "cookie-secret"))
            show = (int)TB_MIN(w.klen + 3, 64u);
        int r = apply(c, &w, cmdline);
        if (r < 0) {
            snprintf(err, cap, "unknown argument '%.*s'%s", show, w.p, src);
            return -1;
        }
        if (r == 0) {
            const char *want = "a valid value";
            for (size_t i = 0; i < TB_ARRAY_SIZE(expect); i++)
                if (key_is(&w, expect[i][0]))
                    want = expect[i][1];
            if (key_is(&w, "listen") && c->nlisten == DNSG_LISTEN_MAX)
                want = "at most 32 listen addresses";
            snprintf(err, cap, "bad argument '%.*s'%s: expected %s", show, w.p,
                     src, want);
            return -1;
        }
    }
    return 0;
}
