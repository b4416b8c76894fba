/*
 * notify.c -- tibra-dnsd's driver for NOTIFY out (lib/dns/notify.c): one
 * thread with one unconnected UDP socket per family, sleeping in poll()
 * until the earliest retry or a response.
 *
 *   dnsd_server_publish(new set) --dnsd_notify_published--> zones with a
 *   newer serial and notify targets: dns_notify_start_zs --> thread:
 *   dns_notify_poll -> sendto ... recvfrom -> dns_notify_input
 *
 * The zone states are shared by the publishing thread (main: SIGHUP;
 * the secondary's thread: a transfer in) and this one under one mutex;
 * an eventfd wakes the thread for a new round.  Every outcome is logged:
 * "zone Z: NOTIFY serial S to ADDR: acknowledged (RCODE)" or "no
 * response after N tries".
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <tibra/dns/notify.h>
#include <tibra/dns/tsig.h>

#include "dnsd.h"

struct dnsd_notifier {
    const struct svc_conf *c;
    pthread_mutex_t lock;
    pthread_t thread;
    bool started;
    _Atomic bool stop;
    int fd4, fd6, evfd;
    struct nzone *zs; /* [nz]: the zones with notify targets only */
    size_t nz;
};

/* One zone with notify targets. */
struct nzone {
    size_t zi; /* its index in the service file */
    struct dns_notify n;
    struct dns_tsig_ctx *tsig; /* [targets] when one has a key, else NULL */
    uint8_t logged[DNS_NOTIFY_TARGETS_MAX]; /* state last logged */
};

struct dnsd_notifier *dnsd_notifier;

static void addr_text(const struct tb_addr *a, char *buf, size_t cap)
{
    struct svc_addr s = {0};

    s.family = a->af == TB_AF_INET ? 4 : 6;
    s.plen = s.family == 4 ? 32 : 128;
    s.port = a->port;
    memcpy(s.addr, a->ip, 16);
    svc_addr_to_text(&s, true, buf, cap);
}

/* Signs target (k) of zone (z) (service zone (sz)) with its `notify ...
 * key K` from (kr); 0, or -1 (logged: that target then gets nothing,
 * never an unsigned NOTIFY). */
static int set_key(struct nzone *z, const struct svc_conf *c,
                   const struct svc_zone *sz, size_t k,
                   const struct dns_tsig_keyring *kr)
{
    const char *name = sz->notify_key != NULL ? sz->notify_key[k] : NULL;
    const struct dns_tsig_key *key = NULL;

    if (name == NULL)
        return 0;
#if defined(TB_HAVE_TSIG)
    const struct svc_key *sk = svc_key_find(c, name, strlen(name));
    if (sk != NULL && kr != NULL)
        key = dns_tsig_keyring_find(kr, sk->wire, sk->wire_len);
    z->n.tsig_sign = dns_tsig_sign_request;
    z->n.tsig_verify = dns_tsig_verify_response;
#else
    (void)c;
    (void)kr;
#endif
    if (z->tsig == NULL)
        z->tsig = calloc(DNS_NOTIFY_TARGETS_MAX, sizeof(*z->tsig));
    if (key == NULL || z->tsig == NULL) {
        dnsd_log("zone %s: notify: key %s not loaded; no NOTIFY to target "
                 "%zu",
                 sz->name, name, k + 1);
        /* A key that cannot sign: the target FAILs (see dns/notify.h). */
        static const struct dns_tsig_key none;
        static struct dns_tsig_ctx none_ctx;
        z->n.tsig_sign = NULL;
        dns_notify_key(&z->n, k, &none, z->tsig ? &z->tsig[k] : &none_ctx);
        return -1;
    }
    return dns_notify_key(&z->n, k, key, &z->tsig[k]);
}

int dnsd_notify_open(struct dnsd_notifier **out, const struct svc_conf *c,
                     const struct dns_tsig_keyring *kr)
{
    struct dnsd_notifier *nt;
    size_t any = 0;
    uint64_t seed;

    *out = NULL;
    for (size_t i = 0; i < c->nzones; i++)
        any += c->zones[i].nnotify;
    if (any == 0)
        return 0;
    nt = calloc(1, sizeof(*nt));
    if (nt == NULL)
        return TB_ENOMEM;
    nt->c = c;
    nt->fd4 = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    nt->fd6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    nt->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    nt->zs = calloc(any + 1, sizeof(*nt->zs)); /* any >= zones with targets */
    pthread_mutex_init(&nt->lock, NULL);
    if (nt->evfd < 0 || nt->zs == NULL || (nt->fd4 < 0 && nt->fd6 < 0) ||
        getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        dnsd_log("notify: cannot set up: %s", strerror(errno));
        dnsd_notify_close(nt);
        return TB_EIO;
    }
    for (size_t i = 0; i < c->nzones; i++) {
        const struct svc_zone *sz = &c->zones[i];
        struct tb_addr t[DNS_NOTIFY_TARGETS_MAX];
        size_t n = 0;
        for (size_t k = 0; k < sz->nnotify && n < DNS_NOTIFY_TARGETS_MAX; k++) {
            const struct svc_addr *a = &sz->notify[k];
            memset(&t[n], 0, sizeof(t[n]));
            t[n].af = a->family == 4 ? TB_AF_INET : TB_AF_INET6;
            t[n].port = a->port;
            memcpy(t[n].ip, a->addr, 16);
            n++;
        }
        if (n == 0)
            continue;
        nt->zs[nt->nz].zi = i;
        dns_notify_init(&nt->zs[nt->nz].n, sz->origin, t, n, seed + i * 0x9e37);
        nt->zs[nt->nz].n.unix_offset_s =
            (int64_t)time(NULL) - (int64_t)(dnsd_mono_ns() / 1000000000ull);
        for (size_t k = 0; k < n; k++)
            set_key(&nt->zs[nt->nz], c, sz, k, kr);
        nt->nz++;
    }
    *out = nt;
    return 0;
}

void dnsd_notify_published(struct dnsd_notifier *nt,
                           const struct dnsd_zones *old,
                           const struct dnsd_zones *z)
{
    uint64_t now = dnsd_mono_ns(), one = 1;
    bool any = false;

    pthread_mutex_lock(&nt->lock);
    for (size_t k = 0; k < nt->nz; k++) {
        struct nzone *x = &nt->zs[k];
        if (x->zi >= z->n || !dnsd_xfr_changed(old, z, x->zi))
            continue;
        if (dns_notify_start_zs(&x->n, z->zs, now) == 0) {
            memset(x->logged, DNS_NOTIFY_PENDING, sizeof(x->logged));
            any = true;
        }
    }
    pthread_mutex_unlock(&nt->lock);
    if (any && write(nt->evfd, &one, sizeof(one)) < 0)
        dnsd_debug("notify: wake: %s", strerror(errno));
}

/* Sends what is due, logs outcomes; returns the earliest deadline. */
static uint64_t turn(struct dnsd_notifier *nt, uint64_t now)
{
    uint64_t next = UINT64_MAX;
    uint8_t buf[1024];

    for (size_t z = 0; z < nt->nz; z++) {
        struct dns_notify *n = &nt->zs[z].n;
        uint8_t *logged = nt->zs[z].logged;
        const char *name = nt->c->zones[nt->zs[z].zi].name;
        struct tb_addr to;
        size_t len;

        while ((len = dns_notify_poll(n, now, &to, buf, sizeof(buf))) != 0) {
            struct sockaddr_storage ss;
            socklen_t sl = (socklen_t)tb_addr_to_sockaddr(&to, &ss);
            int fd = to.af == TB_AF_INET ? nt->fd4 : nt->fd6;
            if (fd < 0 ||
                sendto(fd, buf, len, 0, (struct sockaddr *)&ss, sl) < 0)
                dnsd_debug("notify: send: %s", strerror(errno));
        }
        for (size_t k = 0; k < n->n; k++) {
            const struct dns_notify_target *t = &n->t[k];
            char a[SVC_ADDR_TEXT_MAX];
            if (t->state == logged[k] ||
                (t->state != DNS_NOTIFY_ACKED && t->state != DNS_NOTIFY_FAILED))
                continue;
            logged[k] = t->state;
            addr_text(&t->addr, a, sizeof(a));
            if (t->state == DNS_NOTIFY_ACKED)
                dnsd_log("zone %s: NOTIFY serial %u to %s: acknowledged "
                         "(rcode %u)",
                         name, n->serial, a, t->rcode);
            else
                dnsd_log("zone %s: NOTIFY serial %u to %s: no response "
                         "after %u tries",
                         name, n->serial, a, t->tries);
        }
        uint64_t d = dns_notify_deadline(n);
        if (d < next)
            next = d;
    }
    return next;
}

static void input(struct dnsd_notifier *nt, int fd)
{
    for (unsigned k = 0; k < 64; k++) {
        uint8_t buf[1024];
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        struct tb_addr from;
        ssize_t r =
            recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &sl);
        if (r < 0)
            return;
        tb_addr_from_sockaddr((struct sockaddr *)&ss, &from);
        for (size_t z = 0; z < nt->nz; z++)
            if (dns_notify_input(&nt->zs[z].n, &from, buf, (size_t)r))
                break;
    }
}

static void *notify_main(void *arg)
{
    struct dnsd_notifier *nt = arg;

    while (!atomic_load(&nt->stop)) {
        struct pollfd p[3] = {{nt->evfd, POLLIN, 0},
                              {nt->fd4, POLLIN, 0},
                              {nt->fd6, POLLIN, 0}};
        uint64_t now = dnsd_mono_ns(), next;
        int ms;

        pthread_mutex_lock(&nt->lock);
        next = turn(nt, now);
        pthread_mutex_unlock(&nt->lock);
        /* At most 1 s asleep: the stop flag is seen in time. */
        ms = next == UINT64_MAX || next - now > 1000000000ull
                 ? 1000
                 : (int)((next - now) / 1000000 + 1);
        if (poll(p, 3, ms) <= 0)
            continue;
        if (p[0].revents & POLLIN) {
            uint64_t v;
            if (read(nt->evfd, &v, sizeof(v)) < 0)
                continue;
        }
        pthread_mutex_lock(&nt->lock);
        if (nt->fd4 >= 0 && (p[1].revents & POLLIN))
            input(nt, nt->fd4);
        if (nt->fd6 >= 0 && (p[2].revents & POLLIN))
            input(nt, nt->fd6);
        pthread_mutex_unlock(&nt->lock);
    }
    return NULL;
}

int dnsd_notify_start(struct dnsd_notifier *nt)
{
    int e;

    if (nt == NULL)
        return 0;
    e = pthread_create(&nt->thread, NULL, notify_main, nt);
    if (e != 0) {
        dnsd_log("notify: cannot start its thread: %s", strerror(e));
        return TB_EIO;
    }
    nt->started = true;
    return 0;
}

void dnsd_notify_close(struct dnsd_notifier *nt)
{
    uint64_t one = 1;

    if (nt == NULL)
        return;
    if (nt->started) {
        atomic_store(&nt->stop, true);
        if (write(nt->evfd, &one, sizeof(one)) < 0)
            dnsd_debug("notify: wake: %s", strerror(errno));
        pthread_join(nt->thread, NULL);
    }
    if (nt->fd4 >= 0)
        close(nt->fd4);
    if (nt->fd6 >= 0)
        close(nt->fd6);
    if (nt->evfd >= 0)
        close(nt->evfd);
    pthread_mutex_destroy(&nt->lock);
    for (size_t z = 0; nt->zs != NULL && z < nt->nz; z++)
        free(nt->zs[z].tsig);
    free(nt->zs);
    free(nt);
}
