/*
 * xfrin.c -- tibra-dnsd's driver for secondary zones: one thread that
 * runs lib/dns's struct dns_xfrin state machines (dns/xfrin.h) over
 * host sockets and publishes what they produce.
 *
 *   poll(2) on the sockets + an eventfd --> dns_xfrin_poll(now) per zone:
 *     UDP   -> sendto (one unconnected socket per zone; replies checked
 *              by the state machine against the primary's address)
 *     TCP   -> non-blocking connect, send the query, feed what is read
 *     ZONE  -> dns_zone_compile, keep it on disk (temp, fsync, rename),
 *              swap it into a new zone set (dnsd_zones_swap) and publish
 *     FRESH -> the expiry moved: keep it on disk; serve again if expired
 *
 * Everything DNS is decided in lib/dns; this file moves bytes and time.
 * Publishing is serialised with SIGHUP reloads by (dnsd_publish_lock):
 * the main thread and this one are the only writers of the zone set.
 * Workers wake this thread through dnsd_xfrin_kick() when a NOTIFY marked
 * a zone (dns_srv.notified).
 *
 * A kept zone is FILE (the zone's `file`: zone text, "owner TTL CLASS
 * TYPE rdata" lines, read back with the ordinary zone loader) and
 * FILE.expire ("expire UNIX-SECONDS"), each written to a temporary file,
 * fsynced and renamed, so a crash leaves the old or the new version,
 * never a mix.  The zone file is renamed first: a crash between the two
 * keeps the older (earlier) expiry.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <tibra/dns/xfrin.h>
#include <tibra/zonefile.h>

#include "dnsd.h"

pthread_mutex_t dnsd_publish_lock = PTHREAD_MUTEX_INITIALIZER;

struct sec {
    struct dns_xfrin x;
    struct dns_xfrin_conf xc;
    const struct svc_zone *sz;
    size_t zi; /* index in the service's zones */
    int udp, tcp; /* -1: none */
    bool connecting;
    uint8_t q[2 + 1024]; /* the transfer query to send */
    size_t qlen, qoff;
    struct dnsd_blob *blob; /* the last good version (kept when expired) */
    bool published; /* (blob) is in the published set */
    bool moved; /* (x) and (blob) went to the next set (a reload) */
};

struct dnsd_xfrin {
    struct sec *s;
    size_t n;
    struct dns_xfrin **sorted;
    const struct svc_conf *c;
    const struct dns_auth_opts *opts;
    struct dnsd_server *srv;
    pthread_t th;
    bool started;
    _Atomic bool stop;
};

static int kick_fd = -1;
/* A key for a primary whose key did not load (cannot happen after
 * dnsd_keys_load() succeeded; defensive): its zone gets no TSIG functions,
 * so nothing of it verifies.  Never handed to BearSSL. */
static struct dns_tsig_key no_key;

_Static_assert(SVC_PRIMARIES_MAX <= DNS_XFRIN_PRIMARIES_MAX,
               "svc primaries fit a struct dns_xfrin");

void dnsd_xfrin_kick(void)
{
    uint64_t one = 1;

    if (kick_fd >= 0 && write(kick_fd, &one, sizeof(one)) < 0)
        (void)0; /* counter full: the thread wakes anyway */
}

/* ---- keeping zones on disk ------------------------------------------ */

/* Writes (len) bytes fully. */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Replaces (path) atomically by what (fill) writes into (fd). */
int dnsd_replace_file(const char *path, int (*fill)(int, const void *),
                      const void *arg)
{
    char tmp[4096], dir[4096];
    const char *slash = strrchr(path, '/');
    int fd, dfd;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -1;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (fill(fd, arg) != 0 || fsync(fd) != 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    /* The rename itself is durable once the directory is synced. */
    snprintf(dir, sizeof(dir), "%.*s",
             slash ? (int)(slash - path) + (slash == path) : 1,
             slash ? path : ".");
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

int dnsd_fill_zone(int fd, const void *arg)
{
    const struct dns_zone_src *z = arg;
    /* One record's text at most DNS_RDATA_TEXT_MAX + a name; lines are
     * gathered and written 1 MiB at a time (one write per record would
     * be a million system calls for a million records). */
    size_t rec = DNS_RDATA_TEXT_MAX + 2 * DNS_NAME_TEXT_MAX;
    size_t cap = rec + (1u << 20), len = 0;
    char *buf = malloc(cap);
    int rc = 0;

    if (buf == NULL)
        return -1;
    for (size_t i = 0; i < z->nrr && rc == 0; i++) {
        int n = dns_zone_rr_to_text(z, &z->rr[i], buf + len, rec);
        if (n < 0) {
            rc = -1;
            break;
        }
        len += (size_t)n;
        buf[len++] = '\n';
        if (len >= cap - rec) {
            rc = write_all(fd, buf, len);
            len = 0;
        }
    }
    if (rc == 0)
        rc = write_all(fd, buf, len);
    free(buf);
    return rc;
}

static int fill_expire(int fd, const void *arg)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "expire %lld\n",
                     (long long)*(const time_t *)arg);

    return write_all(fd, line, (size_t)n);
}

static void keep_expire(struct sec *s, uint64_t now)
{
    char path[4096];
    time_t until = time(NULL) + dns_xfrin_expire_in(&s->x, now);

    if (s->sz->file == NULL)
        return;
    snprintf(path, sizeof(path), "%s.expire", s->sz->file);
    if (dnsd_replace_file(path, fill_expire, &until) != 0)
        dnsd_log("zone %s: cannot write %s: %s", s->sz->name, path,
                 strerror(errno));
}

/* Seconds the kept version of (s) is still valid, from FILE.expire. */
static uint32_t kept_expire_in(const struct sec *s)
{
    char path[4096], *text;
    size_t len;
    long long until;
    time_t now = time(NULL);

    snprintf(path, sizeof(path), "%s.expire", s->sz->file);
    if (dns_zonefile_read(path, &text, &len) != 0)
        return 0;
    if (sscanf(text, "expire %lld", &until) != 1)
        until = 0;
    free(text);
    return until > (long long)now ? (uint32_t)(until - now) : 0;
}

/* ---- publishing ------------------------------------------------------ */

/* Compiles (z) for zone (sz): with its records section where transfers
 * out are allowed (a secondary passes the zone on, as primary zones do). */
static int compile(const struct svc_zone *sz, const struct dns_zone_src *z,
                   struct dnsd_blob **out)
{
    /* Loaded 0: a transferred version (dnsd_status_published). */
    return dnsd_blob_compile(
        z, sz->nallow_xfr != 0 ? DNS_ZONE_COMPILE_RECORDS : 0, 0, out);
}

/* Puts zone (s) in the published set (its blob) or takes it out. */
static void publish(struct dnsd_xfrin *xf, struct sec *s, bool serve)
{
    struct dnsd_zones *nz, *old;

    pthread_mutex_lock(&dnsd_publish_lock);
    if (dnsd_zones_swap(xf->c, dnsd_server_current(xf->srv), s->zi,
                        serve ? s->blob : NULL, xf->opts, &nz) != 0) {
        pthread_mutex_unlock(&dnsd_publish_lock);
        dnsd_log("zone %s: cannot build the zone set", s->sz->name);
        return;
    }
    old = dnsd_server_publish(xf->srv, nz);
    dnsd_zones_free(old);
    pthread_mutex_unlock(&dnsd_publish_lock);
    s->published = serve;
}

static void new_version(struct dnsd_xfrin *xf, struct sec *s, uint64_t now,
                        const char *kind)
{
    const struct dns_zone_src *z = dns_xfrin_zone(&s->x);
    struct dnsd_blob *b = NULL;
    int rc = compile(s->sz, z, &b);

    if (rc != 0) {
        dnsd_log("zone %s: the transferred zone does not compile: %s",
                 s->sz->name, tb_strerror(rc));
        dns_xfrin_commit(&s->x, false, now);
        return;
    }
    if (s->sz->file != NULL &&
        dnsd_replace_file(s->sz->file, dnsd_fill_zone, z) != 0)
        dnsd_log("zone %s: cannot keep it in %s: %s (served anyway)",
                 s->sz->name, s->sz->file, strerror(errno));
    if (s->sz->catalog_role == SVC_CATALOG_CONSUMER)
        dnsd_catalog_changed(s->zi, s->sz->name, z);
    dns_xfrin_commit(&s->x, true, now);
    keep_expire(s, now);
    pthread_mutex_lock(&dnsd_publish_lock);
    dnsd_blob_put(s->blob);
    s->blob = b;
    pthread_mutex_unlock(&dnsd_publish_lock);
    publish(xf, s, true);
    dnsd_log("zone %s: serial %u, %zu records, %zu bytes compiled (%s)",
             s->sz->name, b->serial, b->nrr, b->len, kind);
}

/* ---- sockets --------------------------------------------------------- */

static void tcp_close(struct sec *s)
{
    if (s->tcp >= 0)
        close(s->tcp);
    s->tcp = -1;
    s->connecting = false;
}

static void do_udp(struct sec *s, const struct dns_xfrin_io *io)
{
    struct sockaddr_storage ss;
    socklen_t sl = (socklen_t)tb_addr_to_sockaddr(io->peer, &ss);

    if (s->udp < 0)
        s->udp = socket(io->peer->af == TB_AF_INET ? AF_INET : AF_INET6,
                        SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->udp < 0 ||
        sendto(s->udp, io->out, io->out_len, 0, (struct sockaddr *)&ss, sl) < 0)
        dnsd_debug("zone %s: SOA query not sent: %s", s->sz->name,
                   strerror(errno));
    /* A datagram not sent is a datagram lost: the state machine retries. */
}

static void do_tcp(struct sec *s, const struct dns_xfrin_io *io, uint64_t now)
{
    struct sockaddr_storage ss;
    socklen_t sl = (socklen_t)tb_addr_to_sockaddr(io->peer, &ss);

    tcp_close(s);
    memcpy(s->q, io->out, io->out_len);
    s->qlen = io->out_len;
    s->qoff = 0;
    s->tcp = socket(io->peer->af == TB_AF_INET ? AF_INET : AF_INET6,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->tcp < 0 || (connect(s->tcp, (struct sockaddr *)&ss, sl) != 0 &&
                       errno != EINPROGRESS)) {
        dnsd_log("zone %s: cannot connect for a transfer: %s", s->sz->name,
                 strerror(errno));
        tcp_close(s);
        dns_xfrin_tcp_closed(&s->x, now);
        return;
    }
    s->connecting = true;
}

/* The TCP socket is ready: finish connecting, send, read. */
static void tcp_ready(struct sec *s, short rev, uint64_t now)
{
    int err = 0;
    socklen_t el = sizeof(err);

    if (s->connecting) {
        if (getsockopt(s->tcp, SOL_SOCKET, SO_ERROR, &err, &el) != 0 ||
            err != 0) {
            dnsd_log("zone %s: transfer connection failed: %s", s->sz->name,
                     strerror(err ? err : errno));
            goto closed;
        }
        s->connecting = false;
    }
    while (s->qoff < s->qlen) {
        ssize_t w =
            send(s->tcp, s->q + s->qoff, s->qlen - s->qoff, MSG_NOSIGNAL);
        if (w < 0 && errno == EAGAIN)
            return;
        if (w <= 0)
            goto closed;
        s->qoff += (size_t)w;
    }
    if (!(rev & (POLLIN | POLLHUP | POLLERR)))
        return;
    for (int i = 0; i < 64; i++) { /* bounded: other zones get turns */
        uint8_t *p;
        size_t room = dns_xfrin_tcp_rspace(&s->x, &p);
        ssize_t r;
        if (room == 0)
            return; /* done or failed: CLOSE comes from the poll */
        r = read(s->tcp, p, room);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        if (r <= 0)
            goto closed;
        dns_xfrin_tcp_received(&s->x, (size_t)r, now);
    }
    return;
closed:
    tcp_close(s);
    dns_xfrin_tcp_closed(&s->x, now);
}

static void udp_ready(struct sec *s, uint64_t now)
{
    for (int i = 0; i < 16; i++) {
        uint8_t buf[4096];
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        struct tb_addr peer;
        ssize_t r =
            recvfrom(s->udp, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
        if (r < 0)
            return;
        tb_addr_from_sockaddr((struct sockaddr *)&ss, &peer);
        dns_xfrin_udp_input(&s->x, &peer, buf, (size_t)r, now);
    }
}

/* ---- the loop -------------------------------------------------------- */

static void run_zone(struct dnsd_xfrin *xf, struct sec *s, uint64_t now)
{
    struct dns_xfrin_io io;

    for (int guard = 0; guard < 64; guard++) {
        switch (dns_xfrin_poll(&s->x, now, &io)) {
        case DNS_XFRIN_NONE:
            goto sync;
        case DNS_XFRIN_LOG:
            dnsd_log("zone %s: %s", s->sz->name, io.msg);
            dnsd_status_secondary(s->zi, &s->x, now, io.msg);
            break;
        case DNS_XFRIN_UDP:
            do_udp(s, &io);
            break;
        case DNS_XFRIN_TCP:
            do_tcp(s, &io, now);
            break;
        case DNS_XFRIN_CLOSE:
            tcp_close(s);
            break;
        case DNS_XFRIN_ZONE: {
            char ev[64];
            uint32_t was = dns_xfrin_serial(&s->x);
            snprintf(ev, sizeof(ev), "%s", io.msg);
            new_version(xf, s, now, io.msg);
            if (dns_xfrin_serial(&s->x) != was)
                snprintf(ev + strlen(ev), sizeof(ev) - strlen(ev),
                         ": serial %u", dns_xfrin_serial(&s->x));
            else
                snprintf(ev + strlen(ev), sizeof(ev) - strlen(ev),
                         ": not applied (see the log)");
            dnsd_status_secondary(s->zi, &s->x, now, ev);
            break;
        }
        case DNS_XFRIN_FRESH:
            keep_expire(s, now);
            dnsd_status_secondary(s->zi, &s->x, now, "SOA check: current");
            dnsd_debug("zone %s: serial %u is current", s->sz->name,
                       dns_xfrin_serial(&s->x));
            break;
        }
    }
sync:
    /* Expired (or back): the published set follows the state machine. */
    if (dns_xfrin_serving(&s->x) != s->published && s->blob != NULL)
        publish(xf, s, dns_xfrin_serving(&s->x));
    dnsd_status_secondary(s->zi, &s->x, now, NULL);
}

static void *loop(void *arg)
{
    struct dnsd_xfrin *xf = arg;
    struct pollfd *pfd = calloc(2 * xf->n + 1, sizeof(*pfd));
    struct sec **who = calloc(2 * xf->n + 1, sizeof(*who));

    if (pfd == NULL || who == NULL) {
        dnsd_log("secondary zones: out of memory; no transfers");
        free(pfd);
        free(who);
        return NULL;
    }
    while (!xf->stop) {
        uint64_t now = dnsd_mono_ns(), next = UINT64_MAX;
        size_t np = 1;
        int timeout;

        for (size_t i = 0; i < xf->n; i++) {
            struct sec *s = &xf->s[i];
            uint64_t d;
            run_zone(xf, s, now);
            d = dns_xfrin_deadline(&s->x);
            if (d < next)
                next = d;
            if (s->udp >= 0) {
                pfd[np] = (struct pollfd){s->udp, POLLIN, 0};
                who[np++] = s;
            }
            if (s->tcp >= 0) {
                pfd[np] = (struct pollfd){
                    s->tcp,
                    s->connecting || s->qoff < s->qlen ? POLLOUT : POLLIN, 0};
                who[np++] = s;
            }
        }
        pfd[0] = (struct pollfd){kick_fd, POLLIN, 0};
        now = dnsd_mono_ns();
        timeout = next <= now ? 0
                  : next - now > 1000000000ull
                      ? 1000
                      : (int)((next - now + 999999) / 1000000);
        if (poll(pfd, np, timeout) <= 0)
            continue;
        now = dnsd_mono_ns();
        if (pfd[0].revents) {
            uint64_t v;
            if (read(kick_fd, &v, sizeof(v)) < 0)
                (void)0;
        }
        for (size_t k = 1; k < np; k++) {
            if (pfd[k].revents == 0)
                continue;
            if (pfd[k].fd == who[k]->udp)
                udp_ready(who[k], now);
            else if (pfd[k].fd == who[k]->tcp)
                tcp_ready(who[k], pfd[k].revents, now);
        }
    }
    free(pfd);
    free(who);
    return NULL;
}

/* ---- set-up ---------------------------------------------------------- */

static uint32_t or_default(uint32_t v, uint32_t d)
{
    return v != 0 ? v : d;
}

/* Loads the kept copy of (s), if any, into its state machine and blob. */
static void restore(struct sec *s, uint64_t now)
{
    struct dns_zone_src z;
    struct dns_diag d;
    uint32_t expire_in;

    if (s->sz->file == NULL || access(s->sz->file, F_OK) != 0)
        return;
    dnsd_diag_init(&d);
    if (dns_zone_load_file(&z, s->sz->file, s->sz->origin, DNS_CLASS_IN,
                           &tb_heap, &d) != 0) {
        dnsd_log("zone %s: the kept copy %s does not load; waiting for a "
                 "transfer",
                 s->sz->name, s->sz->file);
        return;
    }
    expire_in = kept_expire_in(s);
    if (compile(s->sz, &z, &s->blob) != 0 ||
        dns_xfrin_restore(&s->x, &z, expire_in, now) != 0) {
        dnsd_log("zone %s: the kept copy %s is not usable", s->sz->name,
                 s->sz->file);
        dnsd_blob_put(s->blob);
        s->blob = NULL;
    } else {
        dnsd_log("zone %s: serial %u from %s, %s", s->sz->name, s->blob->serial,
                 s->sz->file,
                 expire_in ? "serving it until a refresh" : "expired");
    }
    dns_zone_src_free(&z);
}

/* The TSIG key of primary (k) of (sz) in (kr) (NULL: none).  The service
 * file's checks made sure the key: statement exists, and dnsd_keys_load()
 * that it loaded. */
static const struct dns_tsig_key *primary_key(const struct svc_conf *c,
                                              const struct svc_zone *sz,
                                              unsigned k,
                                              const struct dns_tsig_keyring *kr)
{
    const char *name = sz->primary_key[k];
    const struct svc_key *sk;

    if (name == NULL || kr == NULL)
        return NULL;
    sk = svc_key_find(c, name, strlen(name));
#if defined(TB_HAVE_TSIG)
    return sk != NULL ? dns_tsig_keyring_find(kr, sk->wire, sk->wire_len)
                      : NULL;
#else
    (void)sk;
    return NULL; /* no keys without BearSSL (dnsd_keys_load refuses) */
#endif
}

static bool addr_same(const struct svc_addr *a, const struct svc_addr *b)
{
    return a->family == b->family && a->port == b->port &&
           memcmp(a->addr, b->addr, 16) == 0;
}

static bool str_same(const char *a, const char *b)
{
    return (a == NULL) == (b == NULL) && (a == NULL || strcmp(a, b) == 0);
}

/* Zone (a) of the running set and (b) of the next are the same
 * secondary: same primaries and keys, timers, file, compile flags. */
static bool same_secondary(const struct svc_zone *a, const struct svc_zone *b)
{
    if (a->origin_len != b->origin_len ||
        memcmp(a->origin, b->origin, a->origin_len) != 0 ||
        a->nprimary != b->nprimary || !str_same(a->file, b->file) ||
        a->refresh_min != b->refresh_min || a->refresh_max != b->refresh_max ||
        a->retry_min != b->retry_min || a->retry_max != b->retry_max ||
        a->expire_min != b->expire_min || a->expire_max != b->expire_max ||
        a->max_records != b->max_records ||
        (a->nallow_xfr != 0) != (b->nallow_xfr != 0) ||
        a->catalog_role != b->catalog_role)
        return false;
    for (unsigned k = 0; k < a->nprimary; k++)
        if (!addr_same(&a->primary[k], &b->primary[k]) ||
            !str_same(a->primary_key[k], b->primary_key[k]))
            return false;
    return true;
}

/*
 * The secondary of (prev) (MAY be NULL) that (sz) continues, between
 * exchanges (its thread is stopped): it is taken over as it runs, with
 * its copy and timers, rather than read again from disk.
 */
static struct sec *continued(struct dnsd_xfrin *prev, const struct svc_zone *sz)
{
    for (size_t i = 0; prev != NULL && i < prev->n; i++) {
        struct sec *p = &prev->s[i];
        if (!p->moved && same_secondary(p->sz, sz))
            return dns_xfrin_idle(&p->x) && p->tcp < 0 ? p : NULL;
    }
    return NULL;
}

int dnsd_xfrin_open(struct dnsd_xfrin **out, const struct svc_conf *c,
                    const struct dns_auth_opts *opts,
                    const struct dns_tsig_keyring *kr,
                    struct dnsd_zones **zones)
{
    return dnsd_xfrin_reopen(out, c, opts, kr, zones, NULL);
}

int dnsd_xfrin_reopen(struct dnsd_xfrin **out, const struct svc_conf *c,
                      const struct dns_auth_opts *opts,
                      const struct dns_tsig_keyring *kr,
                      struct dnsd_zones **zones, struct dnsd_xfrin *prev)
{
    struct dnsd_xfrin *xf;
    size_t n = 0;
    uint64_t now = dnsd_mono_ns();

    *out = NULL;
    for (size_t i = 0; i < c->nzones; i++)
        n += c->zones[i].nprimary > 0;
    if (n == 0)
        return 0;
    xf = calloc(1, sizeof(*xf));
    if (xf == NULL || (xf->s = calloc(n, sizeof(*xf->s))) == NULL ||
        (xf->sorted = calloc(n, sizeof(*xf->sorted))) == NULL) {
        if (xf != NULL)
            free(xf->s);
        free(xf);
        return TB_ENOMEM;
    }
    xf->c = c;
    xf->opts = opts;
    /* One for the process: a reload opens the next set of secondaries
     * before it closes the last (workers kick either). */
    if (kick_fd < 0)
        kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    for (size_t i = 0; i < c->nzones; i++) {
        const struct svc_zone *sz = &c->zones[i];
        struct sec *s = &xf->s[xf->n];
        struct tb_addr p[SVC_PRIMARIES_MAX];
        uint64_t seed = 0;

        if (sz->nprimary == 0)
            continue;
        s->sz = sz;
        s->zi = i;
        s->udp = s->tcp = -1;
        s->xc = (struct dns_xfrin_conf){
            .refresh_min = or_default(sz->refresh_min, SVC_DEFAULT_REFRESH_MIN),
            .refresh_max = or_default(sz->refresh_max, SVC_DEFAULT_REFRESH_MAX),
            .retry_min = or_default(sz->retry_min, SVC_DEFAULT_RETRY_MIN),
            .retry_max = or_default(sz->retry_max, SVC_DEFAULT_RETRY_MAX),
            .expire_min = or_default(sz->expire_min, SVC_DEFAULT_EXPIRE_MIN),
            .expire_max = or_default(sz->expire_max, SVC_DEFAULT_EXPIRE_MAX),
            .max_records = sz->max_records,
        };
        for (unsigned k = 0; k < sz->nprimary; k++) {
            p[k] = (struct tb_addr){.af = sz->primary[k].family,
                                    .port = sz->primary[k].port};
            memcpy(p[k].ip, sz->primary[k].addr, 16);
            s->xc.key[k] = primary_key(c, sz, k, kr);
            if (sz->primary_key[k] != NULL && s->xc.key[k] == NULL) {
                /* Not loaded: fail closed (nothing verifies), said. */
                dnsd_log("zone %s: primary %u: key %s not loaded; its "
                         "answers will not verify",
                         sz->name, k + 1, sz->primary_key[k]);
                s->xc.key[k] = &no_key;
            }
        }
#if defined(TB_HAVE_TSIG)
        /* Through pointers (dns/xfrin.h): BearSSL only where linked. */
        s->xc.tsig_sign = dns_tsig_sign_request;
        s->xc.tsig_verify = dns_tsig_verify_response;
#endif
        for (unsigned k = 0; k < sz->nprimary; k++) {
            if (s->xc.key[k] == &no_key) { /* fail closed, see no_key */
                s->xc.tsig_sign = NULL;
                s->xc.tsig_verify = NULL;
            }
        }
        s->xc.unix_offset_s =
            (int64_t)time(NULL) - (int64_t)(now / 1000000000ull);
        struct sec *ps = continued(prev, sz);
        if (ps != NULL) {
            /* Moved, not copied: the old place is never freed. */
            s->x = ps->x;
            s->x.conf = &s->xc;
            s->udp = ps->udp;
            s->blob = ps->blob;
            s->published = ps->published;
            ps->udp = -1;
            ps->blob = NULL;
            ps->moved = true;
            dnsd_debug("zone %s: continues (serial %u)", sz->name,
                       dns_xfrin_serial(&s->x));
            xf->sorted[xf->n] = &s->x;
            xf->n++;
            continue;
        }
        if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
            seed = now ^ (uint64_t)getpid();
        dns_xfrin_init(&s->x, sz->origin, p, sz->nprimary, &s->xc, seed,
                       &tb_heap);
        restore(s, now);
        if (s->blob != NULL && dns_xfrin_serving(&s->x)) {
            struct dnsd_zones *nz;
            if (dnsd_zones_swap(c, *zones, i, s->blob, opts, &nz) == 0) {
                dnsd_zones_free(*zones);
                *zones = nz;
                s->published = true;
            }
        }
        xf->sorted[xf->n] = &s->x;
        xf->n++;
    }
    dns_xfrin_sort(xf->sorted, xf->n);
    *out = xf;
    return 0;
}

void dnsd_xfrin_secondaries(const struct dnsd_xfrin *xf,
                            struct dns_xfrin *const **zones, size_t *n)
{
    *zones = xf != NULL ? xf->sorted : NULL;
    *n = xf != NULL ? xf->n : 0;
}

int dnsd_xfrin_start(struct dnsd_xfrin *xf, struct dnsd_server *srv)
{
    int rc;

    if (xf == NULL)
        return 0;
    xf->srv = srv;
    xf->stop = false;
    rc = pthread_create(&xf->th, NULL, loop, xf);
    if (rc != 0) {
        dnsd_log("cannot start the transfer thread: %s", strerror(rc));
        return TB_ENOMEM;
    }
    xf->started = true;
    return 0;
}

void dnsd_xfrin_stop(struct dnsd_xfrin *xf)
{
    if (xf == NULL || !xf->started)
        return;
    xf->stop = true;
    dnsd_xfrin_kick();
    pthread_join(xf->th, NULL);
    xf->started = false;
}

void dnsd_xfrin_close(struct dnsd_xfrin *xf)
{
    if (xf == NULL)
        return;
    dnsd_xfrin_stop(xf);
    for (size_t i = 0; i < xf->n; i++) {
        struct sec *s = &xf->s[i];
        tcp_close(s);
        if (s->udp >= 0)
            close(s->udp);
        if (!s->moved) /* else the next set owns its state */
            dns_xfrin_free(&s->x);
        dnsd_blob_put(s->blob);
    }
    free(xf->sorted);
    free(xf->s);
    free(xf);
}
