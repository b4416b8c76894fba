/*
 * server.c -- tibra-dnsd's sockets and worker threads.
 *
 *   kernel --recvmmsg(64)--> worker: dns_srv_udp() x n --sendmmsg--> kernel
 *
 * Every worker owns an epoll set, one UDP socket per listen address
 * (SO_REUSEPORT: the kernel spreads datagrams over the workers), a share of
 * the TCP connection pool and every buffer it uses, all allocated before
 * it starts: the query path makes no allocation and takes no lock.  TCP
 * listeners are shared (EPOLLEXCLUSIVE wakes one worker per connection);
 * a worker whose share of the pool is full stops watching them until one
 * of its connections closes, so new connections go to workers with room.
 * The last worker to fill keeps watching and refuses (closes) connections,
 * counted, only while every worker is full.
 *
 * UDP: a readable socket is drained with recvmmsg(MSG_DONTWAIT) in batches
 * of UDP_BATCH; each query is answered into its slot's response buffer
 * and the answers go out with one sendmmsg.  Sockets bound to a wildcard
 * address receive the destination address (IP_PKTINFO, IPV6_RECVPKTINFO)
 * and answer from it.
 *
 * TCP (RFC 7766): every decision -- framing, pipelining, back-pressure,
 * the query limit, the idle timeout -- is the service core's (struct
 * dns_tcp in lib/dns/srv.c, shared with the unikernel app); this file
 * only moves bytes between a socket and the session's buffers, on epoll
 * readiness, and closes when the session says so.
 *
 * DNS over TLS (RFC 7858, tls-listen): the same connections, pool and
 * limits (tcp-clients, tcp-clients-per-address, the idle timeout, which
 * also bounds a handshake), with a TLS session (lib/dns/tls.c) between
 * the socket and the same struct dns_tcp: ciphertext goes to and from
 * the socket, dns_tls_pump_tcp() moves the plaintext.
 *
 * Zone sets are published RCU style: the main thread swaps the pointer
 * (seq_cst), bumps a generation, and frees the old set once every worker
 * is offline (blocked in epoll_wait, holding no set) or has seen the new
 * generation.  A worker reloads the pointer after every epoll_wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dnsd.h"
#include "dot.h"

#define UDP_BATCH          64 /* datagrams per recvmmsg/sendmmsg */
#define UDP_QUERY_MAX      DNS_SRV_QUERY_MAX /* larger: dropped, counted */
#define UDP_ROUNDS         16 /* batches per readiness before epoll again */
#define EVENTS_MAX         64
#define CTRL_LEN           64 /* room for one in(6)_pktinfo cmsg */
#define OFFLINE            UINT64_MAX
#define SWEEP_MS           250 /* idle TCP check period */
#define TCP_READS_PER_TURN 16 /* recv calls per connection per loop turn */
#define TCP_SENDS_PER_TURN 16 /* send calls likewise (transfers) */

enum ev_kind { EV_STOP = 0, EV_UDP = 1, EV_LISTEN = 2, EV_CONN = 3 };
#define EV(kind, idx) ((uint64_t)(kind) << 32 | (uint32_t)(idx))

struct conn {
    int fd; /* -1: free */
    uint32_t events; /* epoll interest now registered */
    bool queued; /* on the worker's ready list */
    uint8_t *rbuf; /* DNS_TCP_RBUF */
    uint8_t *wbuf; /* DNS_TCP_WBUF */
    struct dns_tcp t; /* the session: everything RFC 7766 decides */
    struct tb_addr peer; /* counted in the server's tcplim */
    bool tls; /* accepted on a tls-listen address: (tlss) in use */
    struct dns_tls *tlss; /* in the slot's memory (tls-listen given) */
    uint8_t *tlsbuf; /* DNS_TLS_IOBUF, likewise */
};

struct listener {
    int fd;
    bool pktinfo; /* wildcard UDP: learn and answer from dst address */
    uint8_t family;
};

struct worker {
    struct dnsd_server *srv;
    unsigned id;
    pthread_t thread;
    bool started;
    int ep;
    struct listener *udp; /* [nlisten] */
    _Atomic uint64_t seen; /* generation seen, or OFFLINE */
    const struct dnsd_zones *cur; /* valid between quiescent points */
    const struct dnsd_rt *rt; /* the run-time hooks applied to (core) */
    struct dns_srv core; /* core.zs = cur->zs while online */
    struct dns_rrl rrl; /* this worker's RRL table (core.rrl), if on */
    /* With metrics on: (core.st) as of the last loop turn, for the
     * metrics thread (a copy under a lock: the counters are plain). */
    pthread_mutex_t snap_lock;
    struct dns_srv_stats snap;
    uint64_t udp_send_err, tcp_emfile;
    uint64_t tcp_blocked; /* sends that found the socket buffer full */
    bool accept_paused; /* out of descriptors: listeners off till sweep */
    bool full_paused; /* pool full, another has room: off till a close */
    bool listening; /* the shared TCP listeners are in (ep) */
    /* UDP batch state */
    struct mmsghdr rmsg[UDP_BATCH], smsg[UDP_BATCH];
    struct iovec riov[UDP_BATCH], siov[UDP_BATCH];
    struct sockaddr_storage from[UDP_BATCH];
    uint8_t ctrl[UDP_BATCH][CTRL_LEN];
    uint8_t *qbuf; /* UDP_BATCH * UDP_QUERY_MAX */
    uint8_t *abuf; /* UDP_BATCH * udp_cap */
    /* TCP */
    struct conn *conns;
    uint32_t nconns, nopen;
    uint32_t *freelist;
    uint32_t nfree;
    uint32_t *ready; /* connections to service without waiting for epoll */
    uint32_t *ready_next; /* the other half of the double buffer */
    uint32_t nready;
    uint8_t *tcpmem;
    size_t tcpmem_len;
    /* dynamic updates (update.c): the hook and the UDP listener being
     * drained, where an update's answer goes */
    struct dns_srv_update upd_hook;
    struct dnsd_updater *upd;
    int upd_fd;
};

struct dnsd_server {
    /* readers besides the workers (dnsd_server_reader): generation seen,
       or OFFLINE; the first (nreaders) are in use */
    _Atomic uint64_t reader_seen[DNSD_READERS_MAX];
    _Atomic unsigned nreaders;
    _Atomic(struct dnsd_zones *) cur;
    _Atomic(const struct dnsd_rt *) rt; /* NULL: the start-up hooks */
    _Atomic uint64_t gen;
    _Atomic bool stopping;
    int stopfd;
    const struct svc_conf *c;
    struct dns_srv_conf core_conf; /* from (c), shared by the workers */
    struct dns_rrl_conf rrl_conf; /* rate 0: RRL off */
    uint64_t rrl_seed; /* getrandom(): keys every worker's RRL hash */
    struct dns_cookie cookie; /* DNS Cookies, read by every worker */
    bool cookies; /* (cookie) is set up: the workers use it */
    size_t nlisten;
    size_t ntls; /* tls-listen addresses */
    int *tcp_listen; /* [nlisten + ntls]: listen's, then tls-listen's */
    struct dns_tls_cred *tls_cred; /* tls-certificate and tls-key */
    unsigned nworkers;
    struct worker *w;
    bool snapshots; /* metrics on: workers copy their counters to (snap) */
    _Atomic unsigned nfull; /* workers whose TCP pool is full */
    /* Connections per client address, across all workers: one table
     * under (tcplim_lock), taken only on accept and close. */
    struct dns_tcplim tcplim;
    pthread_mutex_t tcplim_lock;
    size_t udp_cap; /* response buffer per UDP slot */
};

/* Nanoseconds, from the coarse clock (vDSO, a few ns; ~4 ms steps). */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* ---- sockets (the listening ones: sock.c) -------------------------- */

static int ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* ---- RCU-style publication ------------------------------------------- */

/* Quiescent point: the worker holds no set until it calls online(). */
static inline void offline(struct worker *w)
{
    w->cur = NULL;
    atomic_store_explicit(&w->seen, OFFLINE, memory_order_release);
}

static size_t worker_update(void *ctx, const struct tb_addr *peer,
                            const uint8_t *q, size_t qlen, uint8_t *resp,
                            size_t cap, bool tcp);

static inline void online(struct worker *w)
{
    struct dnsd_server *s = w->srv;
    /* seq_cst store then seq_cst load: see dnsd_server_publish(). */
    atomic_store(&w->seen, atomic_load(&s->gen));
    w->cur = atomic_load(&s->cur);
    w->core.zs = w->cur->zs;
    /* A transfer streamed from an older set is cut (its blob may go). */
    w->core.zs_gen = w->cur->gen;
    w->core.xfr = w->cur->xfr.n != 0 ? &w->cur->xfr : NULL;
    /* A service-file reload replaced the hooks (dnsd_server_runtime). */
    const struct dnsd_rt *rt = atomic_load(&s->rt);
    if (TB_UNLIKELY(rt != w->rt) && rt != NULL) {
        w->rt = rt;
        w->core.xfrin = rt->sec;
        w->core.nxfrin = rt->nsec;
        w->core.keys = rt->keys;
        w->upd = rt->upd;
        w->upd_hook.submit = worker_update;
        w->upd_hook.ctx = w;
        w->core.update = rt->upd != NULL ? &w->upd_hook : NULL;
        if (s->cookies)
            w->core.cookie = rt->cookie != NULL ? rt->cookie : &s->cookie;
    }
}

/* Waits until every worker, and every other reader (dnsd_server_reader),
 * has passed a quiescent point after a new generation: then none holds
 * what was published before it. */
static void quiesce(struct dnsd_server *s)
{
    uint64_t g = atomic_fetch_add(&s->gen, 1) + 1;
    unsigned waited_ms = 0;

    /* A worker that loaded the old set stored seen < g before loading it,
     * and that store precedes our loads below in the seq_cst order; it
     * stays until the worker goes offline, after its last use of it. */
    for (unsigned i = 0; i < s->nworkers; i++) {
        struct worker *w = &s->w[i];
        for (;;) {
            uint64_t seen = atomic_load(&w->seen);
            if (!w->started || seen == OFFLINE || seen >= g)
                break;
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
            if (++waited_ms == 5000)
                dnsd_log("reload: worker %u has not passed a quiescent "
                         "point for 5 s; still waiting",
                         i);
        }
    }
    unsigned nr = atomic_load(&s->nreaders);
    for (unsigned i = 0; i < nr; i++) { /* likewise the other readers */
        for (;;) {
            uint64_t seen = atomic_load(&s->reader_seen[i]);
            if (seen == OFFLINE || seen >= g)
                break;
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
}

struct dnsd_zones *dnsd_server_publish(struct dnsd_server *s,
                                       struct dnsd_zones *z)
{
    struct dnsd_zones *old = atomic_exchange(&s->cur, z);

    quiesce(s);
    if (dnsd_notifier != NULL) /* zones with a newer serial: NOTIFY */
        dnsd_notify_published(dnsd_notifier, old, z);
    dnsd_status_published(z); /* status-file */
    return old;
}

struct dnsd_zones *dnsd_server_current(struct dnsd_server *s)
{
    return atomic_load(&s->cur);
}

int dnsd_server_reader(struct dnsd_server *s)
{
    unsigned n = atomic_load(&s->nreaders);

    if (n == DNSD_READERS_MAX)
        return -1;
    atomic_store(&s->reader_seen[n], OFFLINE); /* before it is counted */
    atomic_store(&s->nreaders, n + 1);
    return (int)n;
}

/* As online(): seq_cst store then seq_cst load (dnsd_server_publish). */
const struct dnsd_zones *dnsd_server_reader_online(struct dnsd_server *s,
                                                   int id)
{
    atomic_store(&s->reader_seen[id], atomic_load(&s->gen));
    return atomic_load(&s->cur);
}

void dnsd_server_reader_offline(struct dnsd_server *s, int id)
{
    atomic_store_explicit(&s->reader_seen[id], OFFLINE, memory_order_release);
}

void dnsd_server_runtime(struct dnsd_server *s, const struct dnsd_rt *rt)
{
    /* Read by online() with the set: published before the set that goes
     * with it, so no worker keeps a hook once that set's publish returns. */
    atomic_store(&s->rt, rt);
}

/* ---- UDP ------------------------------------------------------------- */

/* Answers from the address the query was sent to (wildcard sockets). */
static void reply_from_dst(struct msghdr *rh, struct msghdr *sh)
{
    struct cmsghdr *cm;

    sh->msg_control = NULL;
    sh->msg_controllen = 0;
    for (cm = CMSG_FIRSTHDR(rh); cm != NULL; cm = CMSG_NXTHDR(rh, cm)) {
        if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
            pi.ipi_spec_dst = pi.ipi_addr;
            pi.ipi_ifindex = 0;
            memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
        } else if (!(cm->cmsg_level == IPPROTO_IPV6 &&
                     cm->cmsg_type == IPV6_PKTINFO)) {
            continue;
        }
        sh->msg_control = cm;
        sh->msg_controllen = cm->cmsg_len;
        return;
    }
}

/* Sends answers [from, to) of the batch with as few sendmmsg as it takes. */
static void udp_send(struct worker *w, const struct listener *l, int from,
                     int to)
{
    while (from < to) {
        int m = sendmmsg(l->fd, w->smsg + from, (unsigned)(to - from),
                         MSG_DONTWAIT);
        if (m <= 0) {
            /* Socket buffer full or the peer unreachable: drop the rest
             * of the batch (counted), as a router would. */
            w->udp_send_err += (uint64_t)(to - from);
            return;
        }
        from += m;
    }
}

/*
 * Slot i of the batch is fixed: query buffer, client address, answer
 * buffer and send header are wired together once (worker_init), so each
 * query costs two stores besides the engine.  A query without an answer
 * (rare: QR set, oversized) splits the batch into two sendmmsg runs.
 */
static void udp_drain(struct worker *w, const struct listener *l)
{
    const size_t cap = w->srv->udp_cap;

    w->upd_fd = l->fd; /* an UPDATE is answered from there (update.c) */
    for (int round = 0; round < UDP_ROUNDS; round++) {
        int n = recvmmsg(l->fd, w->rmsg, UDP_BATCH, MSG_DONTWAIT, NULL);
        int run = 0; /* first answer not yet sent */
        uint64_t now;

        if (n <= 0)
            return; /* EAGAIN, or an error the next readiness repeats */
        now = now_ns(); /* one clock read per batch */
        for (int i = 0; i < n; i++) {
            struct msghdr *rh = &w->rmsg[i].msg_hdr;
            struct msghdr *sh = &w->smsg[i].msg_hdr;
            size_t len = 0;
            struct tb_addr peer, *pp = NULL;

            /* A truncated datagram was longer than we accept: the core
             * counts the drop. */
            size_t qlen = TB_LIKELY(!(rh->msg_flags & MSG_TRUNC))
                              ? w->rmsg[i].msg_len
                              : DNS_SRV_QUERY_MAX + 1;
            /* The core reads the peer only for RRL and cookies: no
             * conversion per query when both are off. */
            if (w->core.rrl != NULL || w->core.cookie != NULL ||
                w->core.update != NULL) {
                tb_addr_from_sockaddr((const struct sockaddr *)&w->from[i],
                                      &peer);
                pp = &peer;
            }
            len = dns_srv_udp(&w->core, pp, w->riov[i].iov_base, qlen,
                              w->siov[i].iov_base, cap, now);
            if (TB_LIKELY(len != 0)) {
                sh->msg_namelen = rh->msg_namelen;
                w->siov[i].iov_len = len;
                if (l->pktinfo)
                    reply_from_dst(rh, sh);
                else
                    sh->msg_controllen = 0;
            } else {
                udp_send(w, l, run, i);
                run = i + 1;
            }
            /* Value-result fields back to their sizes for the next call. */
            rh->msg_namelen = sizeof(w->from[i]);
            rh->msg_controllen = CTRL_LEN;
        }
        udp_send(w, l, run, n);
        if (n < UDP_BATCH)
            return;
    }
}

/* ---- TCP ------------------------------------------------------------- */

/* Registers the shared TCP listeners in (w)'s epoll set, or removes them,
 * as its pause flags say.  A listener added while connections wait is
 * reported at once (level-triggered). */
static void listen_update(struct worker *w)
{
    struct dnsd_server *s = w->srv;
    bool want = !w->accept_paused && !w->full_paused;

    if (want == w->listening)
        return;
    for (size_t i = 0; i < s->nlisten + s->ntls; i++)
        if (want)
            ep_add(w->ep, s->tcp_listen[i], EPOLLIN | EPOLLEXCLUSIVE,
                   EV(EV_LISTEN, i));
        else
            epoll_ctl(w->ep, EPOLL_CTL_DEL, s->tcp_listen[i], NULL);
    w->listening = want;
}

static void conn_close(struct worker *w, uint32_t idx)
{
    struct conn *c = &w->conns[idx];

    close(c->fd); /* also removes it from the epoll set */
    c->fd = -1;
    c->tls = false;
    pthread_mutex_lock(&w->srv->tcplim_lock);
    dns_tcplim_close(&w->srv->tcplim, &c->peer);
    pthread_mutex_unlock(&w->srv->tcplim_lock);
    if (w->nfree == 0) {
        /* Room again: back among the workers the kernel wakes. */
        atomic_fetch_sub(&w->srv->nfull, 1);
        w->full_paused = false;
        listen_update(w);
    }
    w->freelist[w->nfree++] = idx;
    w->nopen--;
}

/* Out of descriptors: a level-triggered listener would wake us forever,
 * so this worker stops watching the listeners until the next sweep. */
static void accept_pause(struct worker *w)
{
    if (w->accept_paused)
        return;
    w->accept_paused = true;
    listen_update(w);
    w->tcp_emfile++;
}

static void accept_resume(struct worker *w)
{
    w->accept_paused = false;
    listen_update(w);
}

/* (w)'s pool has just filled: unless every other worker is full too, it
 * stops watching the listeners so that their wake-ups go to a worker with
 * room.  The last one to fill goes on accepting, to refuse. */
static void pool_filled(struct worker *w)
{
    struct dnsd_server *s = w->srv;

    if (atomic_fetch_add(&s->nfull, 1) + 1 < s->nworkers) {
        w->full_paused = true;
        listen_update(w);
    }
}

/* A TLS server session for connection (c) (false without entropy: the
 * connection is dropped). */
static bool tls_open(struct conn *c)
{
    c->tls = dnsd_dot_accept(c->tlss, c->tlsbuf);
    return c->tls;
}

/* Accepts what listener (li) has queued, into free slots.  A full worker takes
 * a connection only to refuse it, and only while every worker is full;
 * otherwise it leaves it queued for one with room and stops listening. */
static void tcp_accept(struct worker *w, size_t li)
{
    struct dnsd_server *s = w->srv;
    int lfd = s->tcp_listen[li];

    for (int i = 0; i < 64 && w->listening; i++) {
        if (w->nfree == 0 && atomic_load(&s->nfull) < s->nworkers) {
            w->full_paused = true;
            listen_update(w);
            return;
        }
        struct sockaddr_storage from;
        socklen_t flen = sizeof(from);
        int fd = accept4(lfd, (struct sockaddr *)&from, &flen,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
                errno == ENOMEM)
                accept_pause(w);
            return; /* EAGAIN: another worker took it, or nothing left */
        }
        if (w->nfree == 0) {
            /* every worker is full: over tcp-clients */
            w->core.st.tcp_refused++;
            close(fd);
            continue;
        }
        struct tb_addr peer;
        tb_addr_from_sockaddr((const struct sockaddr *)&from, &peer);
        pthread_mutex_lock(&s->tcplim_lock);
        bool ok = dns_tcplim_open(&s->tcplim, &peer, &w->core.st);
        pthread_mutex_unlock(&s->tcplim_lock);
        if (!ok) {
            close(fd); /* that address holds its share already */
            continue;
        }
        uint32_t idx = w->freelist[--w->nfree];
        struct conn *c = &w->conns[idx];
        c->fd = fd; /* (queued stays: the slot may be on the list) */
        c->peer = peer;
        dns_tcp_open(&c->t, &w->core, &peer, c->rbuf, c->wbuf, now_ns());
        if (li >= s->nlisten && !tls_open(c)) {
            c->fd = -1;
            close(fd);
            w->freelist[w->nfree++] = idx;
            pthread_mutex_lock(&s->tcplim_lock);
            dns_tcplim_close(&s->tcplim, &peer);
            pthread_mutex_unlock(&s->tcplim_lock);
            continue;
        }
        c->events = EPOLLIN;
        w->nopen++;
        if (w->nfree == 0)
            pool_filled(w);
        if (ep_add(w->ep, fd, EPOLLIN, EV(EV_CONN, idx)) != 0)
            conn_close(w, idx);
    }
}

/* Sends what the session has produced.  Returns false if the connection
 * is dead; with output left, the socket buffer is full. */
static bool conn_flush(struct worker *w, struct conn *c, uint64_t now)
{
    const uint8_t *p;
    size_t n;
    unsigned sends = 0;

    while ((n = dns_tcp_output(&c->t, &p)) > 0) {
        /* Fairness: a zone transfer to a fast reader refills the output
         * as soon as it is sent; after this many sends the rest waits
         * for the next loop turn (EPOLLOUT, level-triggered). */
        if (++sends > TCP_SENDS_PER_TURN && dns_xfr_active(&c->t.xfr))
            return true;
        ssize_t k = send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0) {
            w->tcp_blocked++;
            return errno == EAGAIN || errno == EINTR;
        }
        dns_tcp_sent(&c->t, (size_t)k, now);
    }
    return true;
}

/*
 * Moves a connection as far as it can go without blocking: send what the
 * session produced, read what it has room for (it answers as it goes).
 * While answers wait for the socket the session has no room (the peer's
 * own window then stops it).
 */
/* Counts one more read of connection (idx) this loop turn; past
 * TCP_READS_PER_TURN its turn is over (true) and it is queued for another
 * after the others (fairness: a client that writes as fast as we answer
 * does not get the whole worker). */
static bool read_turn_over(struct worker *w, uint32_t idx, unsigned *reads)
{
    struct conn *c = &w->conns[idx];

    if (++*reads <= TCP_READS_PER_TURN)
        return false;
    if (!c->queued) {
        c->queued = true;
        w->ready[w->nready++] = idx;
    }
    return true;
}

/* Waits on connection (idx) for EPOLLOUT when (out), else EPOLLIN.
 * Returns false if epoll refused. */
static bool conn_want(struct worker *w, uint32_t idx, bool out)
{
    struct conn *c = &w->conns[idx];
    uint32_t want = out ? EPOLLOUT : EPOLLIN;

    if (want != c->events) {
        struct epoll_event ev = {.events = want, .data.u64 = EV(EV_CONN, idx)};
        if (epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev) != 0)
            return false;
        c->events = want;
    }
    return true;
}

#if defined(TB_HAVE_TLS)
/* Sends the TLS session's records.  Returns false if the connection is
 * dead; with output left, the socket buffer is full. */
static bool tls_flush(struct worker *w, struct conn *c, uint64_t now)
{
    const uint8_t *p;
    size_t n;
    unsigned sends = 0;

    while ((n = dns_tls_output(c->tlss, &p)) > 0) {
        if (++sends > TCP_SENDS_PER_TURN && dns_xfr_active(&c->t.xfr))
            return true; /* fairness, as conn_flush() */
        ssize_t k = send(c->fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0) {
            w->tcp_blocked++;
            return errno == EAGAIN || errno == EINTR;
        }
        dns_tls_sent(c->tlss, (size_t)k);
        dns_tls_pump_tcp(c->tlss, &c->t, now); /* room for more answers */
    }
    return true;
}

/* conn_service() of a tls-listen connection: records out, records in,
 * the plaintext between the TLS session and the DNS session. */
static void conn_service_tls(struct worker *w, uint32_t idx, uint64_t now)
{
    struct conn *c = &w->conns[idx];
    const uint8_t *out;
    unsigned reads = 0;

    for (;;) {
        dns_tls_pump_tcp(c->tlss, &c->t, now);
        if (!tls_flush(w, c, now))
            goto close;
        if (dns_tls_tcp_done(c->tlss, &c->t))
            goto close;
        uint8_t *dst;
        size_t room = dns_tls_rspace(c->tlss, &dst);
        if (room == 0)
            break; /* records waiting for EPOLLOUT, or plaintext waiting */
        if (read_turn_over(w, idx, &reads))
            break;
        ssize_t n = recv(c->fd, dst, room, MSG_DONTWAIT);
        if (n > 0)
            dns_tls_received(c->tlss, (size_t)n);
        else if (n == 0)
            goto close; /* no close_notify: nothing more can be sent */
        else if (errno == EAGAIN || errno == EINTR)
            break;
        else
            goto close;
    }
    if (!conn_want(w, idx, dns_tls_output(c->tlss, &out) > 0))
        goto close;
    return;
close:
    conn_close(w, idx);
}
#else
static void conn_service_tls(struct worker *w, uint32_t idx, uint64_t now)
{
    (void)now;
    conn_close(w, idx);
}
#endif

static void conn_service(struct worker *w, uint32_t idx, uint64_t now)
{
    struct conn *c = &w->conns[idx];
    const uint8_t *out;
    unsigned reads = 0;

    if (c->tls) {
        conn_service_tls(w, idx, now);
        return;
    }
    for (;;) {
        if (!conn_flush(w, c, now))
            goto close;
        if (dns_tcp_done(&c->t))
            goto close;
        uint8_t *dst;
        size_t room = dns_tcp_rspace(&c->t, &dst);
        if (room == 0)
            break; /* output waiting for EPOLLOUT, or end of input */
        if (read_turn_over(w, idx, &reads))
            break;
        ssize_t n = recv(c->fd, dst, room, MSG_DONTWAIT);
        if (n > 0)
            dns_tcp_received(&c->t, (size_t)n, now);
        else if (n == 0)
            dns_tcp_eof(&c->t, now);
        else if (errno == EAGAIN || errno == EINTR)
            break;
        else
            goto close;
    }
    if (!conn_want(w, idx, dns_tcp_output(&c->t, &out) > 0))
        goto close;
    return;
close:
    conn_close(w, idx);
}

/* Gives the connections that used up their turn another one.  Those
 * that use it up again queue themselves anew (for the next loop turn). */
static void service_ready(struct worker *w, uint64_t now)
{
    uint32_t *list = w->ready, n = w->nready;

    /* Swap halves: conn_service() queues into the other one.  A slot is
     * on a list at most once (its queued flag), so n <= nconns. */
    w->ready = w->ready_next;
    w->ready_next = list;
    w->nready = 0;
    for (uint32_t i = 0; i < n; i++)
        w->conns[list[i]].queued = false;
    for (uint32_t i = 0; i < n; i++)
        if (w->conns[list[i]].fd >= 0 && !w->conns[list[i]].queued)
            conn_service(w, list[i], now);
}

static void tcp_sweep(struct worker *w, uint64_t now)
{
    for (uint32_t i = 0; i < w->nconns; i++)
        if (w->conns[i].fd >= 0 && dns_tcp_expire(&w->conns[i].t, now))
            conn_close(w, i);
}

/* A full worker that stops listening after the kernel woke it for a
 * connection leaves that connection queued, and EPOLLEXCLUSIVE may have
 * woken no other worker: each sweep, a listening worker with room takes
 * whatever is queued (accept4 is non-blocking: EAGAIN if nothing). */
static void tcp_poll_listeners(struct worker *w)
{
    for (size_t i = 0; i < w->srv->nlisten + w->srv->ntls && w->nfree != 0; i++)
        if (w->listening)
            tcp_accept(w, i);
}

/* ---- the worker loop ------------------------------------------------- */

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct dnsd_server *s = w->srv;
    struct epoll_event ev[EVENTS_MAX];
    uint64_t last_sweep = now_ns();

    for (;;) {
        /* Timed while connections may expire, listeners are off here, or
         * a full worker may have left a connection queued (below). */
        bool timed = w->nopen != 0 || !w->listening ||
                     atomic_load_explicit(&s->nfull, memory_order_relaxed);
        if (s->snapshots) {
            pthread_mutex_lock(&w->snap_lock);
            w->snap = w->core.st;
            pthread_mutex_unlock(&w->snap_lock);
        }
        offline(w);
        int n = epoll_wait(w->ep, ev, EVENTS_MAX,
                           w->nready ? 0
                           : timed   ? SWEEP_MS
                                     : -1);
        online(w);
        if (atomic_load_explicit(&s->stopping, memory_order_relaxed))
            break;
        uint64_t now = 0;
        for (int i = 0; i < n; i++) {
            uint32_t idx = (uint32_t)ev[i].data.u64;
            switch ((enum ev_kind)(ev[i].data.u64 >> 32)) {
            case EV_UDP:
                udp_drain(w, &w->udp[idx]);
                break;
            case EV_LISTEN:
                tcp_accept(w, idx);
                break;
            case EV_CONN:
                if (now == 0)
                    now = now_ns();
                if (w->conns[idx].fd >= 0)
                    conn_service(w, idx, now);
                break;
            case EV_STOP:
                break;
            }
        }
        if (w->nready != 0)
            service_ready(w, now ? now : now_ns());
        if (TB_UNLIKELY(w->core.notified)) { /* a NOTIFY for a secondary */
            w->core.notified = false;
            dnsd_xfrin_kick();
        }
        if (timed) {
            now = now_ns();
            if (now - last_sweep >= SWEEP_MS * 1000000ull) {
                if (w->accept_paused)
                    accept_resume(w);
                tcp_sweep(w, now);
                tcp_poll_listeners(w);
                last_sweep = now;
            }
        }
    }
    offline(w);
    return NULL;
}

/* ---- setup and teardown ---------------------------------------------- */

static int worker_init(struct dnsd_server *s, struct worker *w, unsigned id,
                       uint32_t nconns)
{
    /* A slot's buffers; with tls-listen, a TLS session and its records
     * too (8-byte aligned: the session holds BearSSL's contexts). */
    const size_t plain = (DNS_TCP_RBUF + DNS_TCP_WBUF + 7) & ~(size_t)7;
    const size_t per =
        (plain + (s->ntls != 0 ? sizeof(struct dns_tls) + DNS_TLS_IOBUF : 0) +
         7) &
        ~(size_t)7; /* every slot 8-byte aligned */

    w->srv = s;
    dns_srv_init(&w->core, NULL, &s->core_conf);
    pthread_mutex_init(&w->snap_lock, NULL);
    w->id = id;
    w->seen = OFFLINE;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    w->udp = calloc(s->nlisten, sizeof(*w->udp));
    w->qbuf = malloc((size_t)UDP_BATCH * UDP_QUERY_MAX);
    w->abuf = malloc((size_t)UDP_BATCH * s->udp_cap);
    w->conns = calloc(nconns, sizeof(*w->conns));
    w->freelist = calloc(nconns, sizeof(*w->freelist));
    w->ready = calloc(nconns, sizeof(*w->ready));
    w->ready_next = calloc(nconns, sizeof(*w->ready_next));
    if (w->udp != NULL)
        for (size_t i = 0; i < s->nlisten; i++)
            w->udp[i].fd = -1;
    if (w->ep < 0 || !w->udp || !w->qbuf || !w->abuf || !w->conns ||
        !w->freelist || !w->ready || !w->ready_next) {
        dnsd_log("worker %u: out of memory", id);
        return TB_ENOMEM;
    }
    /* Connection buffers: reserved, touched only when used. */
    w->tcpmem_len = per * nconns;
    w->tcpmem = mmap(NULL, w->tcpmem_len, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (w->tcpmem == MAP_FAILED) {
        w->tcpmem = NULL;
        dnsd_log("worker %u: cannot reserve TCP buffers: %s", id,
                 strerror(errno));
        return TB_ENOMEM;
    }
    w->nconns = nconns;
    for (uint32_t i = 0; i < nconns; i++) {
        w->conns[i].fd = -1;
        w->conns[i].rbuf = w->tcpmem + per * i;
        w->conns[i].wbuf = w->conns[i].rbuf + DNS_TCP_RBUF;
        if (s->ntls != 0) {
            w->conns[i].tlss =
                (struct dns_tls *)(void *)(w->conns[i].rbuf + plain);
            w->conns[i].tlsbuf = (uint8_t *)(w->conns[i].tlss + 1);
        }
        w->freelist[i] = nconns - 1 - i;
    }
    w->nfree = nconns;
    if (nconns == 0)
        atomic_fetch_add(&s->nfull, 1); /* no room, ever */
    if (s->rrl_conf.rate != 0) {
        int rc = dns_rrl_init(&w->rrl, &s->rrl_conf, s->rrl_seed, &tb_heap);
        if (rc != 0) {
            dnsd_log("worker %u: RRL table: %s", id, tb_strerror(rc));
            return rc;
        }
        w->core.rrl = &w->rrl;
    }
    if (s->cookies)
        w->core.cookie = &s->cookie;
    for (unsigned i = 0; i < UDP_BATCH; i++) {
        w->riov[i].iov_base = w->qbuf + (size_t)i * UDP_QUERY_MAX;
        w->riov[i].iov_len = UDP_QUERY_MAX;
        w->rmsg[i].msg_hdr.msg_name = &w->from[i];
        w->rmsg[i].msg_hdr.msg_namelen = sizeof(w->from[i]);
        w->rmsg[i].msg_hdr.msg_iov = &w->riov[i];
        w->rmsg[i].msg_hdr.msg_iovlen = 1;
        w->rmsg[i].msg_hdr.msg_control = w->ctrl[i];
        w->rmsg[i].msg_hdr.msg_controllen = CTRL_LEN;
        w->smsg[i].msg_hdr.msg_name = &w->from[i];
        w->smsg[i].msg_hdr.msg_iov = &w->siov[i];
        w->smsg[i].msg_hdr.msg_iovlen = 1;
        w->siov[i].iov_base = w->abuf + (size_t)i * s->udp_cap;
    }
    for (size_t i = 0; i < s->nlisten; i++) {
        const struct svc_addr *a = &s->c->listen[i];
        struct listener *l = &w->udp[i];
        l->family = a->family;
        l->fd = dnsd_listen_socket(a, SOCK_DGRAM, &l->pktinfo);
        if (l->fd < 0)
            return TB_EIO;
        if (ep_add(w->ep, l->fd, EPOLLIN, EV(EV_UDP, i)) != 0 ||
            ep_add(w->ep, s->tcp_listen[i], EPOLLIN | EPOLLEXCLUSIVE,
                   EV(EV_LISTEN, i)) != 0)
            return TB_EIO;
    }
    for (size_t i = s->nlisten; i < s->nlisten + s->ntls; i++)
        if (ep_add(w->ep, s->tcp_listen[i], EPOLLIN | EPOLLEXCLUSIVE,
                   EV(EV_LISTEN, i)) != 0)
            return TB_EIO;
    w->listening = true;
    if (ep_add(w->ep, s->stopfd, EPOLLIN, EV(EV_STOP, 0)) != 0)
        return TB_EIO;
    return 0;
}

static void worker_free(struct worker *w)
{
    if (w->udp != NULL)
        for (size_t i = 0; i < w->srv->nlisten; i++)
            if (w->udp[i].fd >= 0)
                close(w->udp[i].fd);
    for (uint32_t i = 0; i < w->nconns; i++)
        if (w->conns[i].fd >= 0)
            close(w->conns[i].fd);
    if (w->ep >= 0)
        close(w->ep);
    if (w->tcpmem != NULL)
        munmap(w->tcpmem, w->tcpmem_len);
    free(w->udp);
    free(w->qbuf);
    free(w->abuf);
    free(w->conns);
    free(w->freelist);
    free(w->ready);
    free(w->ready_next);
    dns_rrl_free(&w->rrl);
    pthread_mutex_destroy(&w->snap_lock);
}

static void server_free(struct dnsd_server *s)
{
    for (unsigned i = 0; i < s->nworkers; i++)
        worker_free(&s->w[i]);
    for (size_t i = 0; s->tcp_listen != NULL && i < s->nlisten + s->ntls; i++)
        if (s->tcp_listen[i] >= 0)
            close(s->tcp_listen[i]);
    if (s->stopfd >= 0)
        close(s->stopfd);
    dnsd_dot_cred_free(s->tls_cred);
    free(s->tcp_listen);
    free(s->w);
    dns_tcplim_free(&s->tcplim);
    pthread_mutex_destroy(&s->tcplim_lock);
    free(s);
}

/*
 * Response rate limiting: one table per worker, no lock.  The kernel
 * spreads a client's datagrams over the workers' SO_REUSEPORT sockets by
 * source port, so each table gets 1/workers of the configured rate: a
 * prefix is held to rrl-rate in total, however its ports are spread (a
 * client on one port is held to rrl-rate / workers).
 */
static int rrl_setup(struct dnsd_server *s, const struct svc_conf *c,
                     unsigned workers)
{
    struct dns_rrl_conf *r = &s->rrl_conf;

    dns_rrl_conf_default(r);
    r->rate = c->rrl_rate;
    if (r->rate == 0)
        return 0;
    r->slip = c->rrl_slip;
    r->ipv4_prefix = c->rrl_ipv4_prefix;
    r->ipv6_prefix = c->rrl_ipv6_prefix;
    r->exempt_loopback = c->rrl_exempt_loopback;
    r->table_size = c->rrl_table_size;
    r->shares = workers;
    if (getrandom(&s->rrl_seed, sizeof(s->rrl_seed), 0) !=
        (ssize_t)sizeof(s->rrl_seed)) {
        dnsd_log("RRL: no random seed: %s", strerror(errno));
        return TB_EIO;
    }
    dnsd_log("rrl: %u responses/s per /%u or /%u and category (split over "
             "%u worker%s), slip %u",
             r->rate, r->ipv4_prefix, r->ipv6_prefix, workers,
             workers == 1 ? "" : "s", r->slip);
    return 0;
}

/* Connections per client address: one table for every worker (a
 * client's connections land on any of them), sized for all their slots.
 * Its seed is drawn separately from RRL's (which may be off). */
static int tcplim_setup(struct dnsd_server *s, const struct svc_conf *c,
                        uint32_t slots)
{
    uint32_t per = c->tcp_clients_per_address
                       ? c->tcp_clients_per_address
                       : dns_tcplim_default(c->tcp_clients);
    uint64_t seed;
    int rc;

    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
        dnsd_log("tcp-clients-per-address: no random seed: %s",
                 strerror(errno));
        return TB_EIO;
    }
    rc = dns_tcplim_init(&s->tcplim, slots, per, seed, &tb_heap);
    if (rc != 0)
        dnsd_log("tcp-clients-per-address: %s", tb_strerror(rc));
    return rc;
}

/*
 * Reads the cookie secrets from (path) (dns_cookie_secrets_parse(): 32 hex
 * digits each, one a line; the first is active, the others accepted, for
 * a rollover).  Opened without blocking and refused unless a regular file
 * (a FIFO would hang start-up).  Says what is wrong as FILE:LINE: message.
 * Returns the count of secrets in (out), or TB_EINVAL.
 */
static int cookie_setup(struct dnsd_server *s, const struct svc_conf *c)
{
    int nsec, rc;

    if (!c->cookies)
        return 0;
    if ((rc = dnsd_cookie_make(c, c->cookies_require, &s->cookie, &nsec)) != 0)
        return rc;
    s->cookies = true;
    dnsd_log("cookies: on, secret %s%s%s",
             c->cookie_secret_file ? "from " : "random",
             c->cookie_secret_file ? c->cookie_secret_file : "",
             nsec > 1 ? " (and earlier ones accepted)" : "");
    if (c->cookies_require)
        dnsd_log("cookies: required over UDP (BADCOOKIE without one)");
    return 0;
}

const struct dns_cookie *dnsd_server_cookie_boot(const struct dnsd_server *s)
{
    return s->cookies ? &s->cookie : NULL;
}

int dnsd_server_cookie(struct dnsd_server *s, const struct svc_conf *c,
                       struct dns_cookie **out)
{
    struct dns_cookie *ck;
    int nsec, rc;

    *out = NULL;
    if (!s->cookies || c->cookie_secret_file == NULL)
        return 0; /* off, or the start-up secret stays */
    if ((ck = calloc(1, sizeof(*ck))) == NULL)
        return TB_ENOMEM;
    rc = dnsd_cookie_make(c, s->c->cookies_require, ck, &nsec);
    if (rc != 0) {
        free(ck);
        return rc;
    }
    dnsd_log("cookies: secret from %s%s", c->cookie_secret_file,
             nsec > 1 ? " (and earlier ones accepted)" : "");
    *out = ck;
    return 0;
}

/*
 * DNS over TLS: the credentials from tls-certificate and tls-key (PEM,
 * read now, never kept as text), then the tls-listen sockets after the
 * listen ones in (s->tcp_listen).  Says what is wrong as FILE:LINE.
 */
static int tls_setup(struct dnsd_server *s, const struct svc_conf *c)
{
    if (c->ntls_listen == 0)
        return 0;
    if (dnsd_dot_cred(c, &s->tls_cred) != 0)
        return TB_EINVAL;
    for (size_t i = 0; i < c->ntls_listen; i++) {
        char txt[SVC_ADDR_TEXT_MAX];
        s->tcp_listen[s->nlisten + i] =
            dnsd_listen_socket(&c->tls_listen[i], SOCK_STREAM, NULL);
        if (s->tcp_listen[s->nlisten + i] < 0)
            return TB_EIO;
        s->ntls = i + 1;
        svc_addr_to_text(&c->tls_listen[i], true, txt, sizeof(txt));
        dnsd_log("listening on %s (tls, %s certificate from %s)", txt,
                 dnsd_dot_cred_type(s->tls_cred), c->tls_certificate);
    }
    return 0;
}

int dnsd_server_open(struct dnsd_server **out, const struct svc_conf *c,
                     unsigned workers)
{
    struct dnsd_server *s = calloc(1, sizeof(*s));
    uint32_t per_worker;
    int rc;

    if (s == NULL)
        return TB_ENOMEM;
    s->c = c;
    s->snapshots = c->metrics.family != 0;
    pthread_mutex_init(&s->tcplim_lock, NULL);
    s->core_conf.tcp_idle_ns = (uint64_t)c->tcp_idle_timeout * 1000000000;
    s->core_conf.tcp_max_queries = c->tcp_max_queries;
    rc = rrl_setup(s, c, workers);
    if (rc == 0)
        rc = cookie_setup(s, c);
    if (rc != 0) {
        free(s);
        return rc;
    }
    s->nlisten = c->nlisten;
    s->udp_cap = TB_MAX((size_t)c->udp_size, (size_t)DNS_UDP_MINLEN);
    s->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    s->tcp_listen = malloc((s->nlisten + c->ntls_listen) * sizeof(int) + 1);
    s->w = calloc(workers, sizeof(*s->w));
    if (s->stopfd < 0 || s->tcp_listen == NULL || s->w == NULL) {
        rc = TB_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < s->nlisten + c->ntls_listen; i++)
        s->tcp_listen[i] = -1;
    for (unsigned i = 0; i < workers; i++) {
        s->w[i].ep = -1;
        s->w[i].srv = s;
    }
    s->nworkers = workers;
    /* TCP first: it fails cleanly when the port is taken, while a second
     * SO_REUSEPORT UDP socket of the same user would silently share it. */
    for (size_t i = 0; i < s->nlisten; i++) {
        s->tcp_listen[i] = dnsd_listen_socket(&c->listen[i], SOCK_STREAM, NULL);
        if (s->tcp_listen[i] < 0) {
            rc = TB_EIO;
            goto fail;
        }
    }
    if ((rc = tls_setup(s, c)) != 0)
        goto fail;
    per_worker = (uint32_t)((c->tcp_clients + workers - 1) / workers);
    rc = tcplim_setup(s, c, per_worker * workers);
    if (rc != 0)
        goto fail;
    for (unsigned i = 0; i < workers; i++) {
        rc = worker_init(s, &s->w[i], i, per_worker);
        if (rc != 0)
            goto fail;
    }
    *out = s;
    return 0;
fail:
    server_free(s);
    return rc;
}

void dnsd_server_secondaries(struct dnsd_server *s,
                             struct dns_xfrin *const *zones, size_t n)
{
    for (unsigned i = 0; i < s->nworkers; i++) {
        s->w[i].core.xfrin = zones;
        s->w[i].core.nxfrin = n;
    }
}

/* The core's UPDATE hook: over TCP the worker waits for the answer, so
 * it is offline meanwhile (the update thread publishes and waits for
 * every worker's quiescent point) and back online on the new set. */
static size_t worker_update(void *ctx, const struct tb_addr *peer,
                            const uint8_t *q, size_t qlen, uint8_t *resp,
                            size_t cap, bool tcp)
{
    struct worker *w = ctx;
    size_t len;

    if (!tcp)
        return dnsd_update_submit(w->upd, w->upd_fd, peer, q, qlen, resp, cap);
    offline(w);
    len = dnsd_update_submit(w->upd, -1, peer, q, qlen, resp, cap);
    online(w);
    return len;
}

void dnsd_server_updater(struct dnsd_server *s, struct dnsd_updater *u)
{
    for (unsigned i = 0; u != NULL && i < s->nworkers; i++) {
        struct worker *w = &s->w[i];
        w->upd = u;
        w->upd_hook.submit = worker_update;
        w->upd_hook.ctx = w;
        w->core.update = &w->upd_hook;
    }
}

void dnsd_server_keys(struct dnsd_server *s, const struct dns_tsig_keyring *kr)
{
    struct timespec wall, mono;
    int64_t off;

    /* TSIG times are wall-clock seconds; the workers pass the monotonic
     * clock (as for cookies: a clock step after start-up shifts them). */
    clock_gettime(CLOCK_REALTIME, &wall);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
    off = ((int64_t)wall.tv_sec - (int64_t)mono.tv_sec) * 1000000000 +
          ((int64_t)wall.tv_nsec - (int64_t)mono.tv_nsec);
    for (unsigned i = 0; i < s->nworkers; i++) {
        s->w[i].core.keys = kr;
        s->w[i].core.wall_off_ns = off;
    }
}

int dnsd_server_start(struct dnsd_server *s, bool pin)
{
    cpu_set_t allowed;
    int ncpu = 0, cpus[CPU_SETSIZE];

    if (pin && sched_getaffinity(0, sizeof(allowed), &allowed) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &allowed))
                cpus[ncpu++] = c;
    for (unsigned i = 0; i < s->nworkers; i++) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        if (ncpu > 0) {
            /* Worker i on the i-th CPU the process may use (round robin). */
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpus[i % (unsigned)ncpu], &one);
            pthread_attr_setaffinity_np(&attr, sizeof(one), &one);
            dnsd_debug("worker %u pinned to CPU %d", i,
                       cpus[i % (unsigned)ncpu]);
        }
        /* Mark it online-capable before it runs: publish() waits for it. */
        s->w[i].started = true;
        int e = pthread_create(&s->w[i].thread, &attr, worker_main, &s->w[i]);
        pthread_attr_destroy(&attr);
        if (e != 0) {
            s->w[i].started = false;
            dnsd_log("cannot start worker %u: %s", i, strerror(e));
            return TB_ENOMEM;
        }
    }
    return 0;
}

struct dnsd_zones *dnsd_server_stop(struct dnsd_server *s,
                                    struct dns_srv_stats *st)
{
    uint64_t one = 1, senderr = 0, emfile = 0, blocked = 0;
    struct dnsd_zones *z;

    atomic_store(&s->stopping, true);
    if (write(s->stopfd, &one, sizeof(one)) < 0)
        dnsd_log("stop: eventfd: %s", strerror(errno));
    memset(st, 0, sizeof(*st));
    for (unsigned i = 0; i < s->nworkers; i++) {
        struct worker *w = &s->w[i];
        if (!w->started)
            continue;
        pthread_join(w->thread, NULL);
        dns_srv_stats_add(st, &w->core.st);
        senderr += w->udp_send_err;
        emfile += w->tcp_emfile;
        blocked += w->tcp_blocked;
    }
    dnsd_debug("TCP: %llu sends waited for a full socket buffer",
               (unsigned long long)blocked);
    if (emfile != 0)
        dnsd_log("TCP accepts paused %llu times: out of file descriptors",
                 (unsigned long long)emfile);
    if (senderr != 0)
        dnsd_log("%llu UDP answers not sent", (unsigned long long)senderr);
    z = atomic_load(&s->cur);
    server_free(s);
    return z;
}

void dnsd_server_stats(struct dnsd_server *s, struct dns_srv_stats *sum)
{
    memset(sum, 0, sizeof(*sum));
    for (unsigned i = 0; i < s->nworkers; i++) {
        struct worker *w = &s->w[i];
        pthread_mutex_lock(&w->snap_lock);
        dns_srv_stats_add(sum, &w->snap);
        pthread_mutex_unlock(&w->snap_lock);
    }
}
