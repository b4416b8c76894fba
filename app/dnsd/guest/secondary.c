/*
 * secondary.c -- secondary zones in the DNS unikernel: lib/dns's transfer
 * state machine (dns/xfrin.h) driven over stack.h, the zones kept on the
 * image's state device (dns/store.h).  The same protocol code as
 * tibra-dnsd's app/dnsd/xfrin.c; this file only moves bytes and time.
 *
 *   boot: --primary=ZONE:ADDR@PORT words -> one struct dns_xfrin per
 *     zone; --state-device=NAME -> dns_store_open over tb_block_*; each
 *     zone's kept copy loaded, compiled and served at once until its
 *     saved expiry (dns_xfrin_restore); a refresh is due at once
 *   loop: dnsg_sec_run(now) polls every zone and does what it asks:
 *     UDP   SOA query through one endpoint on a random high port
 *     TCP   connect, send the framed query, read into the zone's buffer
 *     ZONE  compile, commit, keep (dns_store_put), publish a new zone set
 *     FRESH keep the new expiry (dns_store_times)
 *   NOTIFY in is answered by the service core (srv.xfrin); a marked zone
 *   refreshes at its next poll, which the loop makes at once.
 *
 * Memory: a pool (<tibra/pool.h>) over a part of the heap reserved at
 * boot (--secondary-memory, default half of what the zones left): every
 * transfer, compile and zone set comes from it and goes back to it.
 * The zone set is rebuilt over the bundle's blobs and every served
 * secondary's blob; single-threaded, so the old set is freed as soon as
 * the new one is published (srv.zs_gen cuts transfers out of it).
 */
#include <stdio.h>
#include <string.h>

#include <tibra/bundle.h>
#include <tibra/dns/serial.h>
#include <tibra/dns/store.h>
#include <tibra/dns/update.h>
#include <tibra/dns/xfrin.h>
#include <tibra/pool.h>

#include "dnsg.h"

#define SEC_MAX DNSG_PRIMARY_MAX

/* A zone of the image that takes dynamic updates. */
struct upz {
    char name[DNS_NAME_TEXT_MAX];
    uint8_t origin[DNS_NAME_MAXLEN];
    uint8_t keys[DNSG_UPDATE_MAX][DNS_NAME_MAXLEN];
    const uint8_t *keyp[DNSG_UPDATE_MAX];
    struct dns_zone_src cur; /* the current version */
    unsigned base; /* its blob: S.base[base] */
    bool rtx;
};

struct sec {
    struct dns_xfrin x;
    char name[DNS_NAME_TEXT_MAX];
    int tcp; /* -1: none */
    uint8_t q[2 + 1024 + DNS_TSIG_RR_MAX]; /* the framed query to send */
    size_t qlen, qsent;
    void *blob; /* the compiled current version, from the pool */
    size_t blen;
    bool published;
    bool rtx; /* compile with the records section (allow-transfer) */
};

static struct {
    struct tb_pool pool;
    struct sec *z; /* [n] */
    unsigned n;
    struct dns_xfrin **sorted; /* [n], for srv.xfrin */
    struct dns_xfrin_conf conf;
    int udp;
    const void **base; /* the bundle's blobs [nbase] */
    size_t *base_len;
    unsigned nbase;
    const struct dns_auth_opts *opts;
    struct dns_zoneset *zs; /* from the pool; NULL: the boot set */
    struct dns_store_dev dev;
    struct dns_store st;
    tb_handle_t blk;
    bool have_store;
    int64_t wall_off_s; /* UNIX seconds = monotonic seconds + this */
    uint64_t seed;
    bool *base_owned; /* [nbase]: the blob is a pool copy (updated) */
    struct upz *u; /* [nu] */
    struct dns_update_zone *uz; /* [nu], for dns_update_run_delta */
    unsigned nu;
    struct dns_srv_update hook;
    struct dnsg *g;
} S = {.udp = -1};

static int64_t wall_s(uint64_t now)
{
    return (int64_t)(now / 1000000000u) + S.wall_off_s;
}

/* ---- the state device ------------------------------------------------- */

static int blk_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    (void)ctx;
    return tb_block_read(S.blk, off, buf, len);
}

static int blk_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    (void)ctx;
    return tb_block_write(S.blk, off, buf, len);
}

/* ---- publishing ------------------------------------------------------- */

static int compile_rtx(bool rtx, const struct dns_zone_src *z, void **blob,
                       size_t *len)
{
    struct tb_buf b;
    struct dns_diag d = {NULL, NULL, 0, 0};
    int rc;

    tb_buf_init(&b, &S.pool.a);
    rc = dns_zone_compile_flags(z, &b, &d, rtx ? DNS_ZONE_COMPILE_RECORDS : 0);
    if (rc == 0)
        rc = dns_zone_open(b.data, b.len, NULL, NULL);
    if (rc != 0) {
        tb_buf_free(&b);
        return rc;
    }
    *blob = b.data;
    *len = b.len;
    return 0;
}

static int compile(struct sec *s, const struct dns_zone_src *z, void **blob,
                   size_t *len)
{
    return compile_rtx(s->rtx, z, blob, len);
}

/* Builds and publishes the zone set: the bundle's zones and every served
 * secondary. */
static int publish(struct dnsg *g)
{
    const void **blobs;
    size_t *lens, n = S.nbase;
    struct dns_zoneset *zs;
    int rc;

    blobs = tb_alloc(&S.pool.a, (S.nbase + S.n + 1) * sizeof(*blobs));
    lens = tb_alloc(&S.pool.a, (S.nbase + S.n + 1) * sizeof(*lens));
    if (blobs == NULL || lens == NULL) {
        rc = TB_ENOMEM;
        goto out;
    }
    for (unsigned i = 0; i < S.nbase; i++) {
        blobs[i] = S.base[i];
        lens[i] = S.base_len[i];
    }
    for (unsigned i = 0; i < S.n; i++) {
        struct sec *s = &S.z[i];
        s->published = s->blob != NULL && dns_xfrin_serving(&s->x);
        if (s->published) {
            blobs[n] = s->blob;
            lens[n++] = s->blen;
        }
    }
    rc = dns_zoneset_build(&zs, blobs, lens, n, S.opts, &S.pool.a);
    if (rc == 0) {
        g->srv.zs = zs;
        g->srv.zs_gen++;
        if (S.zs != NULL)
            dns_zoneset_free(S.zs, &S.pool.a);
        S.zs = zs;
    }
out:
    tb_free(&S.pool.a, blobs, (S.nbase + S.n + 1) * sizeof(*blobs));
    tb_free(&S.pool.a, lens, (S.nbase + S.n + 1) * sizeof(*lens));
    return rc;
}

/* Keeps the current version of (s) (after commit) on the device. */
static void keep(struct sec *s, uint64_t now)
{
    const struct dns_zone_src *z = dns_xfrin_current(&s->x);
    int rc;

    if (!S.have_store || z == NULL)
        return;
    rc = dns_store_put(&S.st, z, wall_s(now) + dns_xfrin_expire_in(&s->x, now),
                       wall_s(now), 0);
    if (rc != 0)
        dnsg_say("dnsd: zone %s: cannot keep serial %u on the state device: "
                 "%s (served anyway)",
                 s->name, dns_xfrin_serial(&s->x), tb_strerror(rc));
}

static void new_version(struct dnsg *g, struct sec *s, uint64_t now,
                        const char *kind)
{
    const struct dns_zone_src *z = dns_xfrin_zone(&s->x);
    size_t nrr = z->nrr, blen;
    void *blob;
    int rc = compile(s, z, &blob, &blen);

    if (rc != 0) {
        dnsg_say("dnsd: zone %s: the transferred zone does not compile: %s",
                 s->name, tb_strerror(rc));
        dns_xfrin_commit(&s->x, false, now);
        return;
    }
    dns_xfrin_commit(&s->x, true, now);
    keep(s, now);
    void *old = s->blob;
    size_t olen = s->blen;
    s->blob = blob;
    s->blen = blen;
    if ((rc = publish(g)) != 0) {
        dnsg_say("dnsd: zone %s: cannot build the zone set: %s", s->name,
                 tb_strerror(rc));
        /* the set still points at the old blob: keep it */
        s->blob = old;
        s->blen = olen;
        tb_free(&S.pool.a, blob, blen);
        return;
    }
    tb_free(&S.pool.a, old, olen);
    dnsg_say("dnsd: zone %s: serial %u, %zu records, %zu bytes compiled (%s)",
             s->name, dns_xfrin_serial(&s->x), nrr, blen, kind);
}

/* ---- sockets ---------------------------------------------------------- */

static void tcp_close(struct dnsg *g, struct sec *s)
{
    if (s->tcp >= 0)
        tb_tcp_abort(g->s, s->tcp);
    s->tcp = -1;
}

static void do_tcp(struct dnsg *g, struct sec *s, const struct dns_xfrin_io *io,
                   uint64_t now)
{
    tcp_close(g, s);
    if (io->out_len > sizeof(s->q) ||
        tb_tcp_connect(g->s, io->peer, &s->tcp) != 0) {
        s->tcp = -1;
        dns_xfrin_tcp_closed(&s->x, now);
        return;
    }
    memcpy(s->q, io->out, io->out_len);
    s->qlen = io->out_len;
    s->qsent = 0;
    tb_stack_interest(g->s, s->tcp, TB_EV_READ | TB_EV_WRITE);
}

static void tcp_event(struct dnsg *g, struct sec *s, uint32_t events,
                      uint64_t now)
{
    int n;

    while (s->qsent < s->qlen) {
        n = tb_tcp_write(g->s, s->tcp, s->q + s->qsent, s->qlen - s->qsent);
        if (n == TB_EAGAIN || n == TB_ENOTCONN) {
            if (events & TB_EV_ERR)
                goto closed;
            return;
        }
        if (n < 0)
            goto closed;
        s->qsent += (size_t)n;
    }
    tb_stack_interest(g->s, s->tcp, TB_EV_READ);
    for (;;) {
        uint8_t *p;
        size_t room = dns_xfrin_tcp_rspace(&s->x, &p);
        if (room == 0)
            return; /* no transfer: the next poll closes */
        n = tb_tcp_read(g->s, s->tcp, p, room);
        if (n == TB_EAGAIN || n == TB_ENOTCONN)
            return;
        if (n <= 0)
            goto closed;
        dns_xfrin_tcp_received(&s->x, (size_t)n, now);
    }
closed:
    tcp_close(g, s);
    dns_xfrin_tcp_closed(&s->x, now);
}

/* ---- the loop --------------------------------------------------------- */

static void run_zone(struct dnsg *g, struct sec *s, uint64_t now)
{
    struct dns_xfrin_io io;

    for (int guard = 0; guard < 64; guard++) {
        switch (dns_xfrin_poll(&s->x, now, &io)) {
        case DNS_XFRIN_NONE:
            goto sync;
        case DNS_XFRIN_LOG:
            dnsg_say("dnsd: zone %s: %s", s->name, io.msg);
            break;
        case DNS_XFRIN_UDP: {
            struct tb_dgram d = {.peer = *io.peer,
                                 .data = io.out,
                                 .len = io.out_len};
            tb_udp_send(g->s, S.udp, &d, 1); /* lost: retried on time */
            break;
        }
        case DNS_XFRIN_TCP:
            do_tcp(g, s, &io, now);
            break;
        case DNS_XFRIN_CLOSE:
            tcp_close(g, s);
            break;
        case DNS_XFRIN_ZONE:
            new_version(g, s, now, io.msg);
            break;
        case DNS_XFRIN_FRESH:
            if (S.have_store &&
                dns_store_times(&S.st, s->x.origin,
                                wall_s(now) + dns_xfrin_expire_in(&s->x, now),
                                wall_s(now)) == TB_ENOENT)
                keep(s, now);
            break;
        }
    }
sync:
    /* Expired, or serving again: the published set follows. */
    if (s->blob != NULL && dns_xfrin_serving(&s->x) != s->published &&
        publish(g) == 0)
        dnsg_say("dnsd: zone %s: %s", s->name,
                 s->published ? "served again" : "expired: SERVFAIL");
}

uint64_t dnsg_sec_run(struct dnsg *g, uint64_t now)
{
    uint64_t next = UINT64_MAX;

    if (S.n == 0)
        return next;
    g->srv.notified = false;
    for (unsigned i = 0; i < S.n; i++) {
        run_zone(g, &S.z[i], now);
        next = TB_MIN(next, dns_xfrin_deadline(&S.z[i].x));
    }
    return next;
}

bool dnsg_sec_handle(struct dnsg *g, const struct tb_event *e, uint64_t now)
{
    if (S.n == 0)
        return false;
    if (e->ep == S.udp) {
        struct tb_dgram d[8];
        int n;
        while ((n = tb_udp_recv(g->s, S.udp, d, 8)) > 0)
            for (int i = 0; i < n; i++)
                for (unsigned k = 0; k < S.n; k++)
                    dns_xfrin_udp_input(&S.z[k].x, &d[i].peer, d[i].data,
                                        d[i].len, now);
        return true;
    }
    for (unsigned k = 0; k < S.n; k++)
        if (S.z[k].tcp >= 0 && e->ep == S.z[k].tcp) {
            tcp_event(g, &S.z[k], e->events, now);
            return true;
        }
    return false;
}

/* ---- dynamic updates ------------------------------------------------- */

static bool same_zone(const char *a, size_t alen, const uint8_t *o);

/*
 * An UPDATE (srv.update): applied (lib/dns/update.c), its delta appended
 * to the zone's journal on the state device -- durable when the write
 * returns (O_DSYNC) -- or, the journal full, the new version put whole;
 * then compiled and published, and only then answered.  Over UDP and
 * TCP alike the answer is returned at once (one thread: the loop does
 * nothing else meanwhile).
 */
static size_t update_submit(void *ctx, const struct tb_addr *peer,
                            const uint8_t *q, size_t qlen, uint8_t *resp,
                            size_t cap, bool tcp)
{
    struct dnsg *g = ctx;
    uint64_t now = tb_clock_monotonic();
    uint64_t now_s = (uint64_t)wall_s(now);
    struct dns_update u;
    struct dns_zone_src next;
    struct tb_buf delta;
    struct dns_ixfr_delta dl = {0};
    unsigned rcode;
    bool moved = false;

    (void)peer, (void)tcp;
    tb_buf_init(&delta, &S.pool.a);
    dns_update_run_delta(&u, S.uz, S.nu, g->srv.keys, q, qlen, now_s, &next,
                         &delta, &dl, &S.pool.a);
    rcode = u.rcode;
    if (u.rcode != 0 && u.why[0] != '\0')
        dnsg_say("dnsd: update refused: %s", u.why);
    if (u.changed && u.zone < S.nu) {
        struct upz *z = &S.u[u.zone];
        void *blob = NULL;
        size_t blen = 0;
        int rc;

        dl.rrs = delta.data;
        rc = delta.err != 0 ? TB_ENOMEM
                            : dns_store_append(&S.st, z->origin, &dl);
        if (rc == TB_ENOSPC) /* a full journal: the version whole */
            rc = dns_store_put(&S.st, &next, 0, (int64_t)now_s,
                               DNS_STORE_JOURNAL_DEFAULT);
        if (rc == 0)
            rc = compile_rtx(z->rtx, &next, &blob, &blen);
        if (rc != 0) {
            dnsg_say("dnsd: zone %s: update to serial %u not applied: %s",
                     z->name, u.serial, tb_strerror(rc));
            rcode = DNS_RCODE_SERVFAIL;
        } else {
            const void *old = S.base[z->base];
            size_t olen = S.base_len[z->base];
            bool owned = S.base_owned[z->base];

            S.base[z->base] = blob;
            S.base_len[z->base] = blen;
            S.base_owned[z->base] = true;
            if (publish(g) != 0) {
                /* durable: served from the next start */
                S.base[z->base] = old;
                S.base_len[z->base] = olen;
                S.base_owned[z->base] = owned;
                tb_free(&S.pool.a, blob, blen);
                dnsg_say("dnsd: zone %s: serial %u kept but not served (no "
                         "memory for the zone set)",
                         z->name, u.serial);
                rcode = DNS_RCODE_SERVFAIL;
            } else {
                if (owned)
                    tb_free(&S.pool.a, (void *)(uintptr_t)old, olen);
                dns_zone_src_free(&z->cur);
                z->cur = next;
                S.uz[u.zone].cur = &z->cur;
                moved = true;
                dnsg_say("dnsd: zone %s: update: serial %u, journaled", z->name,
                         u.serial);
            }
        }
    }
    if (!moved)
        dns_zone_src_free(&next);
    tb_buf_free(&delta);
    return dns_update_reply(&u, q, qlen, rcode, resp, cap, now_s, g->srv.keys);
}

/* The update zones of (c): their versions (the state device's when newer
 * than the image's), keys, the hook.  0 or TB_E* with (err). */
static int update_start(struct dnsg *g, const struct dnsg_conf *c,
                        const struct tb_alloc *a, char *err, size_t cap)
{
    S.u = tb_alloc(a, c->nupd * sizeof(*S.u));
    S.uz = tb_alloc(a, c->nupd * sizeof(*S.uz));
    if (S.u == NULL || S.uz == NULL) {
        snprintf(err, cap, "allow-update: out of memory");
        return TB_ENOMEM;
    }
    if (!S.have_store) {
        snprintf(err, cap,
                 "allow-update needs --state-device (updates are "
                 "journaled there before they are answered)");
        return TB_EINVAL;
    }
    for (unsigned i = 0; i < c->nupd; i++) {
        uint8_t o[DNS_NAME_MAXLEN];
        size_t olen;
        struct upz *z = NULL;
        int rc;

        if (dns_name_from_text(c->upd[i].zone, c->upd[i].zlen,
                               (const uint8_t *)"", o, &olen) != 0)
            return TB_EINVAL; /* checked by args.c */
        dns_name_lower(o);
        for (unsigned k = 0; k < S.nu && z == NULL; k++)
            if (dns_name_equal(S.u[k].origin, o))
                z = &S.u[k];
        if (z != NULL) { /* another key of a zone seen */
            unsigned k = (unsigned)(z - S.u);
            memcpy(z->keys[S.uz[k].nkeys], c->upd[i].key, DNS_NAME_MAXLEN);
            z->keyp[S.uz[k].nkeys] = z->keys[S.uz[k].nkeys];
            S.uz[k].nkeys++;
            continue;
        }
        z = &S.u[S.nu];
        memset(z, 0, sizeof(*z));
        memcpy(z->origin, o, olen);
        if (dns_name_to_text(o, z->name, sizeof(z->name)) < 0)
            snprintf(z->name, sizeof(z->name), "?");
        z->base = UINT32_MAX;
        for (unsigned k = 0; k < S.nbase; k++) {
            const uint8_t *bo;
            if (dns_zone_open(S.base[k], S.base_len[k], &bo, NULL) == 0 &&
                dns_name_equal(bo, o))
                z->base = k;
        }
        if (z->base == UINT32_MAX) {
            snprintf(err, cap, "allow-update: zone %s is not in the image",
                     z->name);
            return TB_EINVAL;
        }
        for (unsigned k = 0; k < c->nxfr && !z->rtx; k++)
            z->rtx = same_zone(c->xfr[k].zone, c->xfr[k].zlen, o);
        /* The image's version, and the kept one when it is newer. */
        uint32_t bserial = 0;
        dns_zone_open(S.base[z->base], S.base_len[z->base], NULL, &bserial);
        struct dns_store_meta m;
        struct dns_diag d = {NULL, NULL, 0, 0};
        rc = dns_store_load(&S.st, o, &z->cur, &m, &d);
        if (rc == 0 &&
            (m.serial == bserial || dns_serial_newer(m.serial, bserial))) {
            void *blob;
            size_t blen;
            if ((rc = compile_rtx(z->rtx, &z->cur, &blob, &blen)) != 0) {
                snprintf(err, cap,
                         "zone %s: the kept version does not "
                         "compile: %s",
                         z->name, tb_strerror(rc));
                return rc;
            }
            S.base[z->base] = blob;
            S.base_len[z->base] = blen;
            S.base_owned[z->base] = true;
            dnsg_say("dnsd: zone %s: serial %u from the state device (%u "
                     "updates replayed%s)",
                     z->name, m.serial, m.entries,
                     m.journal_cut ? "; a later entry did not apply" : "");
        } else {
            if (rc == 0)
                dnsg_say("dnsd: zone %s: the image's serial %u is newer than "
                         "the kept %u: starting from the image's",
                         z->name, bserial, m.serial);
            else if (rc != TB_ENOENT)
                dnsg_say("dnsd: zone %s: the kept version is not usable (%s): "
                         "starting from the image's",
                         z->name, tb_strerror(rc));
            dns_zone_src_free(&z->cur);
            rc = dns_zone_src_from_blob(&z->cur, S.base[z->base],
                                        S.base_len[z->base], &S.pool.a);
            if (rc == 0)
                rc = dns_store_put(&S.st, &z->cur, 0,
                                   wall_s(tb_clock_monotonic()),
                                   DNS_STORE_JOURNAL_DEFAULT);
            if (rc != 0) {
                snprintf(err, cap, "zone %s: allow-update: %s%s", z->name,
                         tb_strerror(rc),
                         rc == TB_ENOENT ? " (compiled without its records)"
                                         : "");
                return rc;
            }
        }
        S.uz[S.nu] = (struct dns_update_zone){.origin = z->origin,
                                              .cur = &z->cur,
                                              .keys = z->keyp,
                                              .nkeys = 1,
                                              .policy = DNS_SERIAL_INCREMENT};
        memcpy(z->keys[0], c->upd[i].key, DNS_NAME_MAXLEN);
        z->keyp[0] = z->keys[0];
        S.nu++;
    }
    S.hook = (struct dns_srv_update){update_submit, g};
    g->srv.update = &S.hook;
    return 0;
}

/* ---- boot ------------------------------------------------------------- */

/* Loads the kept copy of (s), if any: served at once until its expiry. */
static void restore(struct sec *s, uint64_t now)
{
    struct dns_zone_src z;
    struct dns_store_meta m;
    struct dns_diag d = {NULL, NULL, 0, 0};
    int64_t left;
    int rc;

    if (!S.have_store)
        return;
    rc = dns_store_load(&S.st, s->x.origin, &z, &m, &d);
    if (rc == TB_ENOENT) {
        dns_zone_src_free(&z);
        return;
    }
    if (rc == 0)
        rc = compile(s, &z, &s->blob, &s->blen);
    left = m.expire_at - wall_s(now);
    if (left < 0)
        left = 0;
    if (left > UINT32_MAX)
        left = UINT32_MAX;
    if (rc == 0 &&
        (rc = dns_xfrin_restore(&s->x, &z, (uint32_t)left, now)) != 0) {
        tb_free(&S.pool.a, s->blob, s->blen);
        s->blob = NULL;
    }
    dns_zone_src_free(&z);
    if (rc != 0)
        dnsg_say("dnsd: zone %s: the kept copy is not usable: %s; waiting "
                 "for a transfer",
                 s->name, tb_strerror(rc));
    else
        dnsg_say("dnsd: zone %s: serial %u from the state device, %s", s->name,
                 m.serial,
                 left ? "serving it until a refresh"
                      : "expired: SERVFAIL "
                        "until a transfer");
}

static bool same_zone(const char *a, size_t alen, const uint8_t *o)
{
    uint8_t n[DNS_NAME_MAXLEN];
    size_t nlen;

    return dns_name_from_text(a, alen, (const uint8_t *)"", n, &nlen) == 0 &&
           dns_name_equal(n, o);
}

int dnsg_sec_start(struct dnsg *g, const struct dnsg_conf *c,
                   const struct tb_bundle *b, const struct dns_auth_opts *opts,
                   size_t heap_left, const struct tb_alloc *a, char *err,
                   size_t cap)
{
    uint64_t now = tb_clock_monotonic(), seed;
    size_t mem;
    void *region;
    int rc;

    if (c->nprimary == 0 && c->nupd == 0) {
        if (c->state_device[0] != '\0')
            dnsg_say("dnsd: state-device %s: no secondary zones use it",
                     c->state_device);
        return 0;
    }
    if (c->nres_listen != 0) {
        snprintf(err, cap,
                 "secondary zones and allow-update beside the "
                 "resolver: not yet");
        return TB_EINVAL;
    }
    if ((rc = tb_entropy(&seed, sizeof(seed))) != 0) {
        snprintf(err, cap, "secondary zones: no entropy: %s", tb_strerror(rc));
        return rc;
    }
    mem = c->sec_memory ? (size_t)c->sec_memory : heap_left / 2;
    if (mem > heap_left || mem < (1u << 20) ||
        (region = tb_alloc(a, mem)) == NULL ||
        tb_pool_init(&S.pool, region, mem) != 0) {
        snprintf(err, cap,
                 "secondary-memory: %zu bytes do not fit in the "
                 "%zu left",
                 mem, heap_left);
        return TB_ENOMEM;
    }
    S.opts = opts;
    S.wall_off_s =
        (int64_t)(tb_clock_wall() / 1000000000u) - (int64_t)(now / 1000000000u);
    S.conf.unix_offset_s = S.wall_off_s;
    /* The bundle's zones stay in every set. */
    S.nbase = b->nzones;
    S.base = tb_alloc(a, (b->nzones + 1) * sizeof(*S.base));
    S.base_len = tb_alloc(a, (b->nzones + 1) * sizeof(*S.base_len));
    S.z = tb_alloc(a, c->nprimary * sizeof(*S.z));
    S.sorted = tb_alloc(a, c->nprimary * sizeof(*S.sorted));
    S.base_owned = tb_alloc(a, (b->nzones + 1) * sizeof(*S.base_owned));
    if (S.base == NULL || S.base_len == NULL ||
        (c->nprimary != 0 && (S.z == NULL || S.sorted == NULL)) ||
        S.base_owned == NULL) {
        snprintf(err, cap, "secondary zones: out of memory");
        return TB_ENOMEM;
    }
    for (uint32_t i = 0; i < b->nzones; i++) {
        const uint8_t *p;
        tb_bundle_zone(b, i, &p, &S.base_len[i]);
        S.base[i] = p;
        S.base_owned[i] = false;
    }
    /* One zone per name, its primaries in the order given. */
    for (unsigned i = 0; i < c->nprimary; i++) {
        struct tb_addr pr[DNS_XFRIN_PRIMARIES_MAX];
        uint8_t o[DNS_NAME_MAXLEN];
        size_t olen;
        unsigned np = 0;
        bool seen = false;

        if (dns_name_from_text(c->primary[i].zone, c->primary[i].zlen,
                               (const uint8_t *)"", o, &olen) != 0)
            return TB_EINVAL; /* checked by args.c */
        dns_name_lower(o);
        for (unsigned k = 0; k < S.n && !seen; k++)
            seen = dns_name_equal(S.z[k].x.origin, o);
        if (seen)
            continue;
        for (uint32_t k = 0; k < b->nzones; k++) {
            const uint8_t *bo;
            if (dns_zone_open(S.base[k], S.base_len[k], &bo, NULL) == 0 &&
                dns_name_equal(bo, o)) {
                snprintf(err, cap,
                         "zone %.*s: both in the image and a secondary",
                         (int)c->primary[i].zlen, c->primary[i].zone);
                return TB_EINVAL;
            }
        }
        for (unsigned j = i; j < c->nprimary; j++)
            if (same_zone(c->primary[j].zone, c->primary[j].zlen, o)) {
                if (np == DNS_XFRIN_PRIMARIES_MAX) {
                    snprintf(err, cap, "zone %.*s: more than %u primaries",
                             (int)c->primary[i].zlen, c->primary[i].zone,
                             DNS_XFRIN_PRIMARIES_MAX);
                    return TB_EINVAL;
                }
                pr[np++] = c->primary[j].addr;
            }
        struct sec *s = &S.z[S.n];
        memset(s, 0, sizeof(*s));
        s->tcp = -1;
        if (dns_name_to_text(o, s->name, sizeof(s->name)) < 0)
            snprintf(s->name, sizeof(s->name), "?");
        for (unsigned k = 0; k < c->nxfr && !s->rtx; k++)
            s->rtx = same_zone(c->xfr[k].zone, c->xfr[k].zlen, o);
        rc = dns_xfrin_init(&s->x, o, pr, np, &S.conf, seed + S.n, &S.pool.a);
        if (rc != 0) {
            snprintf(err, cap, "zone %s: %s", s->name, tb_strerror(rc));
            return rc;
        }
        S.sorted[S.n] = &s->x;
        S.n++;
    }
    /* The state device: kept copies served at once. */
    if (c->state_device[0] != '\0') {
        struct tb_block_info bi;
        if ((rc = tb_block_acquire(c->state_device, &S.blk, &bi)) != 0) {
            snprintf(err, cap, "state-device %s: %s", c->state_device,
                     tb_strerror(rc));
            return rc;
        }
        S.dev = (struct dns_store_dev){bi.capacity, (uint32_t)bi.block_size,
                                       blk_read, blk_write, NULL};
        if ((rc = dns_store_open(&S.st, &S.dev, &S.pool.a)) != 0) {
            snprintf(err, cap, "state-device %s: %s", c->state_device,
                     tb_strerror(rc));
            return rc;
        }
        S.have_store = true;
        dnsg_say("dnsd: state device %s: %llu KiB, generation %llu",
                 c->state_device, (unsigned long long)(bi.capacity >> 10),
                 (unsigned long long)dns_store_generation(&S.st));
    } else {
        dnsg_say("dnsd: no state-device: secondary zones are transferred "
                 "again at every start");
    }
    for (unsigned i = 0; i < S.n; i++)
        restore(&S.z[i], now);
    S.seed = seed;
    if (c->nupd != 0 && (rc = update_start(g, c, a, err, cap)) != 0)
        return rc;
    dns_xfrin_sort(S.sorted, S.n);
    g->srv.xfrin = S.sorted;
    g->srv.nxfrin = S.n;
    if ((rc = publish(g)) != 0) {
        snprintf(err, cap, "secondary zones: the zone set: %s",
                 tb_strerror(rc));
        return rc;
    }
    dnsg_say("dnsd: %u secondary zone%s, %u zone%s taking updates; %zu KiB "
             "for transfers and updates",
             S.n, S.n == 1 ? "" : "s", S.nu, S.nu == 1 ? "" : "s", mem >> 10);
    return 0;
}

int dnsg_sec_listen(struct dnsg *g, char *err, size_t cap)
{
    struct tb_addr any = {.af = TB_AF_UNSPEC};
    int rc = TB_EADDRINUSE;

    if (S.n == 0)
        return 0;
    /* One UDP endpoint on a random high port for the SOA queries. */
    for (unsigned t = 0; t < 16 && rc == TB_EADDRINUSE; t++) {
        any.port = (uint16_t)(49152 + ((S.seed >> 20) + t * 997) % 16384);
        rc = tb_udp_bind(g->s, &any, &S.udp);
    }
    if (rc != 0)
        snprintf(err, cap, "secondary zones: no UDP port: %s", tb_strerror(rc));
    return rc;
}
