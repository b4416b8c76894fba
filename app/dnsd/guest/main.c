/*
 * main.c -- the DNS unikernel's boot and stop.  At boot, in order: the
 * bundle linked into the image (tb_bundle_start..tb_bundle_end, written
 * by `tibra build`) is validated as untrusted bytes; its default
 * arguments and then the tender's command line give the configuration;
 * the zone set is built over the bundle's compiled zones in place (never
 * parsing zone text, never copying a blob); then every pool is reserved
 * from the platform heap -- the stack's, the TCP sessions', the UDP
 * response buffers -- sized from the heap and tcp-clients, so that the
 * query path never allocates.  One boot line says where it serves, what
 * and with how much memory; "READY" follows.  Asked to stop
 * (tb_stop_requested(), or --time=S for tests), it prints the service
 * core's counters and exits 0.  Any boot error is one console line and
 * exit status 1.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <tibra/bundle.h>
#include <tibra/version.h>

#include "dnsg.h"

/* The bundle, linked in by `tibra build` (section .rodata.tibra.bundle). */
extern const uint8_t tb_bundle_start[], tb_bundle_end[];

#define BACKLOG_CONNS 32 /* stack connections beyond the sessions */
#define SLACK         (64u << 10) /* alignment and rounding, heap bytes */

void dnsg_say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    tb_console_write(line, (size_t)n);
}

/* ---- memory: a bump allocator over the heap, for boot only ------------ */

struct bump {
    uint8_t *base, *p, *end, *last; /* last: the latest allocation */
};

static void *bump_alloc(void *ctx, size_t n)
{
    struct bump *b = ctx;
    uint8_t *r = (uint8_t *)(((uintptr_t)b->p + 63) & ~(uintptr_t)63);

    if (r > b->end || (size_t)(b->end - r) < n)
        return NULL;
    b->p = r + n;
    b->last = r;
    return r;
}

static void *bump_realloc(void *ctx, void *p, size_t o, size_t n)
{
    struct bump *b = ctx;
    uint8_t *q;

    if (p != NULL && p == b->last) { /* the latest one grows in place */
        if ((size_t)(b->end - b->last) < n)
            return NULL;
        b->p = b->last + n;
        return p;
    }
    if ((q = bump_alloc(ctx, n)) != NULL && p != NULL)
        memcpy(q, p, TB_MIN(o, n));
    return q;
}

static void bump_free(void *ctx, void *p, size_t n)
{
    struct bump *b = ctx;

    (void)n;
    if (p != NULL && p == b->last) /* only the latest one comes back */
        b->p = b->last;
}

static size_t bump_left(const struct bump *b)
{
    return (size_t)(b->end - b->p);
}

/* ---- boot ------------------------------------------------------------- */

static void mib(char *buf, size_t cap, size_t n)
{
    snprintf(buf, cap, "%zu.%zu MiB", n >> 20, ((n & 0xfffff) * 10) >> 20);
}

/* "example.org, example.net (+3 more)" */
static void zone_list(const struct tb_bundle *b, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    for (uint32_t i = 0; i < b->nzones && len + 1 < cap; i++) {
        const uint8_t *blob, *origin;
        char name[DNS_NAME_TEXT_MAX];
        size_t blen;
        int n;

        if (i == 3) {
            snprintf(buf + len, cap - len, " (+%u more)", b->nzones - 3);
            return;
        }
        tb_bundle_zone(b, i, &blob, &blen);
        if (dns_zone_open(blob, blen, &origin, NULL) != 0 ||
            dns_name_to_text(origin, name, sizeof(name)) < 0)
            memcpy(name, "?", 2);
        n = snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", name);
        if (n > 0)
            len = TB_MIN(len + (size_t)n, cap - 1);
    }
}

/* The answer options, kept: secondary.c rebuilds the zone set with them. */
static struct dns_auth_opts auth_opts;

/* Builds the zone set over the bundle's blobs (not copied). */
static int zones(const struct tb_bundle *b, const struct dnsg_conf *c,
                 const struct tb_alloc *a, struct dns_zoneset **zs)
{
    static char version[DNSG_TEXT_MAX + 1];
    struct dns_auth_opts *o = &auth_opts;
    const void **blobs = NULL;
    size_t *lens = NULL;
    int rc;

    memset(o, 0, sizeof(*o));
    o->chaos = c->chaos;
    /* As tibra-dnsd: identity, else the service name, else "tibra". */
    o->identity = c->has_identity ? c->identity
                  : c->name[0]    ? c->name
                                  : "tibra";
    if (c->has_version) {
        o->version = c->version;
    } else {
        snprintf(version, sizeof(version), "tibra %s", TB_VERSION);
        o->version = version;
    }
    o->udp_max = c->udp_size;
    if (c->has_nsid) {
        o->nsid = c->nsid;
        o->nsid_len = c->nsid_len;
    }
    if (b->nzones > 0) {
        blobs = tb_alloc(a, b->nzones * sizeof(*blobs));
        lens = tb_alloc(a, b->nzones * sizeof(*lens));
        if (blobs == NULL || lens == NULL)
            return TB_ENOMEM;
        for (uint32_t i = 0; i < b->nzones; i++) {
            const uint8_t *p;
            tb_bundle_zone(b, i, &p, &lens[i]);
            blobs[i] = p;
        }
    }
    rc = dns_zoneset_build(zs, blobs, lens, b->nzones, o, a);
    return rc;
}

/*
 * How many TCP sessions fit in (left) heap bytes beside the stack and
 * the UDP buffers: at most (want).
 */
static uint32_t sessions_fit(const struct dnsg_conf *c, size_t left, size_t udp,
                             uint32_t want)
{
    size_t fixed = dnsg_stack_memory(c, BACKLOG_CONNS);
    size_t per_conn = dnsg_stack_memory(c, BACKLOG_CONNS + 1);

    if (fixed == SIZE_MAX || per_conn == SIZE_MAX)
        return 0;
    per_conn = per_conn - fixed + 64;
    if (left < fixed + udp + SLACK)
        return 0;
    size_t n = (left - fixed - udp - SLACK) / (per_conn + dnsg_sess_cost());
    return (uint32_t)TB_MIN(n, (size_t)want);
}

static struct dnsg g;

/* Response rate limiting: one table (one thread), its memory taken before
 * the TCP sessions are sized, its hash keyed by the platform's entropy. */
static int rrl_start(const struct dnsg_conf *c, const struct tb_alloc *a)
{
    uint64_t seed;
    int rc;

    if ((rc = tb_entropy(&seed, sizeof(seed))) != 0) {
        dnsg_say("dnsd: no entropy for the RRL table: %s", tb_strerror(rc));
        return rc;
    }
    if ((rc = dns_rrl_init(&g.rrl, &c->rrl, seed, a)) != 0) {
        dnsg_say("dnsd: rrl-table-size %u: %s", c->rrl.table_size,
                 tb_strerror(rc));
        return rc;
    }
    g.srv.rrl = &g.rrl;
    dnsg_say("dnsd: rrl %u responses/s per /%u or /%u and category, slip %u, "
             "%zu KiB table",
             c->rrl.rate, c->rrl.ipv4_prefix, c->rrl.ipv6_prefix, c->rrl.slip,
             dns_rrl_memory(&c->rrl) / 1024);
    return 0;
}

/* DNS Cookies (RFC 7873, RFC 9018): the secret from --cookie-secret or
 * the platform's entropy, the wall clock as an offset from the monotonic
 * clock the loop passes as (now).  Every target has a wall clock
 * (tb_clock_wall: the host's on unix and spt, the tender's at boot plus
 * the TSC on hvt). */
static int cookie_start(struct dnsg_conf *c)
{
    int rc;

    if (c->ncookie_secrets == 0 &&
        (rc = tb_entropy(c->cookie_secret, DNS_COOKIE_SECRET_LEN)) != 0) {
        dnsg_say("dnsd: no entropy for the cookie secret: %s", tb_strerror(rc));
        return rc;
    }
    dns_cookie_init(&g.cookie, c->cookie_secret,
                    (int64_t)(tb_clock_wall() - tb_clock_monotonic()),
                    c->cookies_require);
    for (unsigned i = 1; i < c->ncookie_secrets; i++) /* still accepted */
        dns_cookie_accept(&g.cookie,
                          c->cookie_secret + i * DNS_COOKIE_SECRET_LEN);
    memset(c->cookie_secret, 0, sizeof(c->cookie_secret));
    g.srv.cookie = &g.cookie;
    dnsg_say("dnsd: cookies on, secret %s%s",
             c->ncookie_secrets ? "given" : "random",
             c->cookies_require ? ", required over UDP" : "");
    return 0;
}

/* Outgoing transfers (lib/dns/xfr.c): the --allow-transfer words grouped
 * by zone, from the boot heap.  The set never changes (zs_gen stays). */
static struct dns_xfr_conf xfr_conf;

static int xfr_start(const struct dnsg_conf *c, const struct tb_alloc *a)
{
    struct dns_xfr_zone *xz;
    struct dns_acl *acl;
    size_t nz = 0, na = 0;

    if (c->nxfr == 0)
        return 0;
    xz = tb_alloc(a, c->nxfr * sizeof(*xz));
    acl = tb_alloc(a, c->nxfr * sizeof(*acl));
    if (xz == NULL || acl == NULL)
        return TB_ENOMEM;
    for (unsigned i = 0; i < c->nxfr; i++) {
        uint8_t o[DNS_NAME_MAXLEN];
        size_t olen;
        bool seen = false;

        if (dns_name_from_text(c->xfr[i].zone, c->xfr[i].zlen,
                               (const uint8_t *)"", o, &olen) != 0)
            return TB_EINVAL; /* checked by args.c */
        dns_name_lower(o);
        for (size_t k = 0; k < nz && !seen; k++)
            seen = memcmp(xz[k].origin, o, olen) == 0;
        if (seen)
            continue;
        /* A new zone: its entries, in order, next to each other. */
        memset(&xz[nz], 0, sizeof(xz[nz]));
        memcpy(xz[nz].origin, o, olen);
        xz[nz].allow = acl + na;
        for (unsigned j = i; j < c->nxfr; j++) {
            uint8_t p[DNS_NAME_MAXLEN];
            size_t plen;
            if (dns_name_from_text(c->xfr[j].zone, c->xfr[j].zlen,
                                   (const uint8_t *)"", p, &plen) != 0)
                return TB_EINVAL;
            dns_name_lower(p);
            if (plen == olen && memcmp(p, o, olen) == 0) {
                acl[na++] = c->xfr[j].acl;
                xz[nz].nallow++;
            }
        }
        dnsg_say("dnsd: zone %.*s: transfers allowed to %zu prefix%s",
                 (int)c->xfr[i].zlen, c->xfr[i].zone, xz[nz].nallow,
                 xz[nz].nallow == 1 ? "" : "es");
        nz++;
    }
    xfr_conf.zones = xz;
    xfr_conf.n = nz;
    g.srv.xfr = &xfr_conf;
    return 0;
}

int tb_app_main(const struct tb_start_info *si)
{
    struct bump bp = {(uint8_t *)si->heap_start, (uint8_t *)si->heap_start,
                      (uint8_t *)si->heap_start + si->heap_size, NULL};
    struct tb_alloc a = {bump_alloc, bump_realloc, bump_free, &bp};
    /* static: some 40 KiB (the words' tables), too much for an hvt
     * guest's 64 KiB stack, which the serving loop and the resolver's
     * validator (BearSSL under lib/dns/val*.c) need */
    static struct dnsg_conf c;
    struct tb_bundle b;
    struct dns_zoneset *zs;
    struct tb_addr locals[DNSG_LISTEN_MAX];
    char err[256], where[256], names[256], used[32], freeb[32];
    size_t nlocals, resp_cap;
    uint32_t nsess;
    int rc;

    rc = tb_bundle_open(&b, tb_bundle_start,
                        (size_t)(tb_bundle_end - tb_bundle_start));
    if (rc != 0) {
        dnsg_say("dnsd: the image's zone bundle is damaged: %s",
                 tb_strerror(rc));
        return 1;
    }
    dnsg_conf_default(&c);
    if (dnsg_args_apply(&c, b.args, b.args_len, false, err, sizeof(err)) ||
        dnsg_args_apply(&c, si->cmdline, strlen(si->cmdline), true, err,
                        sizeof(err))) {
        dnsg_say("dnsd: %s", err);
        return 1;
    }
    nlocals = dnsg_stack_locals(&c, locals, DNSG_LISTEN_MAX, err, sizeof(err));
    if (nlocals == 0) {
        dnsg_say("dnsd: %s", err);
        return 1;
    }

    if ((rc = zones(&b, &c, &a, &zs)) != 0) {
        dnsg_say("dnsd: the image's zones cannot be served: %s",
                 tb_strerror(rc));
        return 1;
    }
    g.sconf.tcp_idle_ns = (uint64_t)c.tcp_idle_s * 1000000000u;
    g.sconf.tcp_max_queries = c.tcp_max_queries;
    dns_srv_init(&g.srv, zs, &g.sconf);
    if (c.rrl.rate != 0 && (rc = rrl_start(&c, &a)) != 0)
        return 1;
    if (c.cookies && cookie_start(&c) != 0)
        return 1;
    if (dnsg_tsig_start(&c, &g.srv) != 0)
        return 1;
    if ((rc = xfr_start(&c, &a)) != 0) {
        dnsg_say("dnsd: allow-transfer: %s", tb_strerror(rc));
        return 1;
    }
    /* The resolver's cache and tasks, before the TCP sessions are sized;
     * the image's zones are its local data. */
    if (dnsg_res_init(&g, &c, zs, si->heap_size, &a, err, sizeof(err)) != 0) {
        dnsg_say("dnsd: %s", err);
        return 1;
    }
    if (dnsg_metrics_init(&c, &b, (int64_t)(tb_clock_wall() / 1000000000u),
                          &a) != 0) {
        dnsg_say("dnsd: not enough memory for the metrics port");
        return 1;
    }
    /* Secondary zones: their pool, and the kept copies served at once. */
    if (dnsg_sec_start(&g, &c, &b, &auth_opts, bump_left(&bp), &a, err,
                       sizeof(err)) != 0) {
        dnsg_say("dnsd: %s", err);
        return 1;
    }

    /* The pools, sized from what the zones left. */
    resp_cap = TB_MAX((size_t)DNS_UDP_MINLEN, (size_t)c.udp_size);
    size_t udp = DNSG_UDP_BATCH * resp_cap + 64;
    nsess = sessions_fit(&c, bump_left(&bp), udp, c.tcp_clients);
    if (nsess == 0) {
        mib(freeb, sizeof(freeb), bump_left(&bp));
        dnsg_say("dnsd: not enough memory: %s left after the zones, not "
                 "enough for the network stack and one TCP client",
                 freeb);
        return 1;
    }
    rc = dnsg_stack_open(&g.s, &c, nsess + BACKLOG_CONNS, &a, err, sizeof(err));
    if (rc != 0) {
        dnsg_say("dnsd: %s", err);
        return 1;
    }
    /* The estimate was an upper bound: fit the sessions to what is left. */
    size_t left = bump_left(&bp) > udp + 4096 ? bump_left(&bp) - udp - 4096 : 0;
    nsess = (uint32_t)TB_MIN((size_t)nsess, left / dnsg_sess_cost());
    g.tcp_per_addr =
        c.tcp_per_addr ? c.tcp_per_addr : dns_tcplim_default(c.tcp_clients);
    if ((rc = tb_entropy(&g.tcplim_seed, sizeof(g.tcplim_seed))) != 0) {
        dnsg_say("dnsd: no entropy for the TCP address table: %s",
                 tb_strerror(rc));
        return 1;
    }
    if (nsess == 0 || dnsg_init(&g, nsess, resp_cap, &a) != 0) {
        dnsg_say("dnsd: not enough memory for the TCP sessions");
        return 1;
    }
    if (nsess < c.tcp_clients) {
        mib(freeb, sizeof(freeb), si->heap_size);
        dnsg_say("dnsd: tcp-clients %u do not fit in %s of memory: at most "
                 "%u TCP clients at once (give the tender more --mem)",
                 c.tcp_clients, freeb, nsess);
    }
    uint64_t nseed = 0;
    if (c.nnotify != 0 && (rc = tb_entropy(&nseed, sizeof(nseed))) != 0) {
        dnsg_say("dnsd: notify: no entropy: %s", tb_strerror(rc));
        return 1;
    }
    if (dnsg_listen(&g, locals, nlocals, err, sizeof(err)) != 0 ||
        dnsg_metrics_listen(&g, &c, err, sizeof(err)) != 0 ||
        dnsg_res_listen(&g, err, sizeof(err)) != 0 ||
        dnsg_sec_listen(&g, err, sizeof(err)) != 0 ||
        dnsg_notify_start(&g, &c, zs, nseed, &a, err, sizeof(err)) != 0) {
        dnsg_say("dnsd: %s", err);
        return 1;
    }

    dnsg_stack_describe(&c, where, sizeof(where));
    zone_list(&b, names, sizeof(names));
    mib(used, sizeof(used), (size_t)(bp.p - bp.base));
    mib(freeb, sizeof(freeb), bump_left(&bp));
    dnsg_say("dnsd: %s%sserving %u zone%s (%s) on %s, udp and tcp, %u tcp "
             "clients; memory %s used, %s free",
             c.name, c.name[0] ? ": " : "", b.nzones, b.nzones == 1 ? "" : "s",
             names, where, nsess, used, freeb);
    dnsg_say("READY");

    dnsg_serve(&g, c.time_s ? tb_clock_monotonic() + c.time_s * 1000000000u
                            : UINT64_MAX);

    char text[1024];
    size_t n = dns_srv_stats_text(&g.srv.st, text, sizeof(text));
    dnsg_say("dnsd: stopping; counters:");
    tb_console_write(text, n);
    dnsg_res_report(&g);
    if (g.udp_send_short)
        dnsg_say("udp responses not sent (no buffer) %llu",
                 (unsigned long long)g.udp_send_short);
    dnsg_say("dnsd: stopped");
    return 0;
}
