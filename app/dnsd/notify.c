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
#include <unistd.h>

#include <tibra/dns/notify.h>

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

int dnsd_notify_open(struct dnsd_notifier **out, const struct svc_conf *c)
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
    free(nt->zs);
    free(nt);
}
