/*
 * dnsd.h -- private header of tibra-dnsd, the authoritative DNS server as
 * a Linux process (the unix target of app/dnsd).  Three parts:
 *
 *   main.c    options, logging, signals, startup and shutdown
 *   zones.c   the engine glue: zone files -> compiled blobs -> zone set,
 *             and reload with per-zone fallback (the only file that calls
 *             the zone parser and builds zone sets)
 *   server.c  worker threads: UDP with recvmmsg/sendmmsg, TCP with
 *             epoll, zone-set publication (RCU style); their listening
 *             sockets are opened by sock.c, the DNS Cookies context
 *             made by cookie.c
 *
 *   service file --svc_load_file--> svc_conf --dnsd_zones_load--> zones
 *     --dnsd_server_publish--> workers: recvmmsg -> dns_srv_udp -> sendmmsg
 *     (TCP: read -> struct dns_tcp (lib/dns/srv.c) -> send)
 */
#ifndef DNSD_H
#define DNSD_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <tibra/dns.h>
#include <tibra/dns/srv.h>
#include <tibra/hosted.h>
#include <tibra/svc.h>

/* ---- logging (main.c) ---------------------------------------------- */

extern int dnsd_verbose;
/* "tibra-dnsd: message" on stderr, one write(2) per line. */
void dnsd_log(const char *fmt, ...) TB_PRINTF(1, 2);
/* Only with -v. */
void dnsd_debug(const char *fmt, ...) TB_PRINTF(1, 2);
/* A struct dns_diag that prints "file:line: [warning: ]message". */
void dnsd_diag_init(struct dns_diag *d);
/* malloc/realloc/free as a struct tb_alloc, for cold paths. */

/* ---- zones (zones.c) ----------------------------------------------- */

/* One compiled zone, shared by successive zone sets (main thread only). */
struct dnsd_blob {
    unsigned ref;
    uint32_t serial;
    int64_t loaded; /* Unix time it was compiled (the metrics) */
    size_t nrr; /* records after the zone checks */
    size_t len;
    uint8_t *data;
    /* The IXFR delta from the version before (serial d.from), when the
     * one who made this version knew it (an update: the change itself),
     * so that the IXFR history need not diff the two; NULL otherwise.
     * d.rrs == delta; freed with the blob. */
    uint8_t *delta;
    struct dns_ixfr_delta d;
};

struct dnsd_zxfr;

/* An immutable zone set and the blobs under it; what workers read. */
struct dnsd_zones {
    struct dns_zoneset *zs;
    size_t n; /* = conf->nzones */
    struct dnsd_blob **blob; /* [n]; NULL: zone not loaded (not served) */
    uint64_t gen; /* unique per set: transfers from an older one are cut */
    struct dns_xfr_conf xfr; /* transfers out (xfrout.c); n 0: none */
    struct dnsd_zxfr *zx; /* [n]: allow-transfer and IXFR history */
};

/* ---- transfers out (xfrout.c) -------------------------------------- */

/*
 * Sets up (z)'s transfers out from (c) (allow-transfer) and the history
 * of (old) (MAY be NULL): the IXFR deltas kept per zone, plus, for each
 * zone whose blob changed to a newer serial, the delta from its old blob
 * (dns_ixfr_diff), trimmed to ixfr-history and ixfr-history-size.
 * Returns 0 or TB_ENOMEM (then (z) has no transfers).
 */
int dnsd_xfr_setup(const struct svc_conf *c, const struct dnsd_zones *old,
                   struct dnsd_zones *z);
/* Frees what dnsd_xfr_setup() made for (z). */
void dnsd_xfr_free(struct dnsd_zones *z);
/* Whether zone (i) of (z) has a new serial against (old) (NULL: start):
 * the zones NOTIFY is sent for. */
bool dnsd_xfr_changed(const struct dnsd_zones *old, const struct dnsd_zones *z,
                      size_t i);

/*
 * Loads every zone of (c): read, parse, check, compile.  With (old) NULL
 * (startup) any zone that fails is an error: it is reported and the
 * function returns TB_EMALF after trying every zone (so all problems are
 * shown).  With (old) (reload), a zone that fails keeps its compiled form
 * from (old) (an error is logged), and only the build of the set itself
 * can fail.  (opts) is copied into the set.  Logs one line per zone.
 * Returns 0 with the new set in (*out), or a TB_E*.
 */
int dnsd_zones_load(const struct svc_conf *c, const struct dnsd_zones *old,
                    const struct dns_auth_opts *opts, struct dnsd_zones **out);
/* Frees (z) (MAY be NULL) and drops its references to blobs. */
void dnsd_zones_free(struct dnsd_zones *z);
/*
 * A view of set (cur), built on zone list (oc), as zone list (nc) sees
 * it: zone i of (nc) has the blob and IXFR history of the zone of (oc)
 * with its name (none: not served), borrowed from (cur), for
 * dnsd_zones_load() and NOTIFY to compare with (xfrout.c).  No zone set
 * ((*out)->zs NULL).  Returns 0 or TB_ENOMEM.
 */
int dnsd_zones_remap(const struct dnsd_zones *cur, const struct svc_conf *oc,
                     const struct svc_conf *nc, struct dnsd_zones **out);
/* Frees a view (MAY be NULL); what it borrowed stays. */
void dnsd_zones_remap_free(struct dnsd_zones *v);

/*
 * Zone (i) of (c), a `catalog producer`: its records generated from the
 * zones naming it (catalog.c), compiled into (*out).  (old) (MAY be NULL)
 * is the version served: kept (same serial) when the members did not
 * change, else the serial grows.  Returns 0 or a TB_E* (reported to (d)).
 */
int dnsd_catalog_make(const struct svc_conf *c, size_t i,
                      const struct dnsd_blob *old, struct dnsd_blob **out,
                      struct dns_diag *d);

/*
 * Catalog consumers (catalog.c): each `catalog consumer` zone's kept copy
 * is read and its members appended to (c)'s zones as secondaries of the
 * same primaries, kept in FILE.members/ (copies of former members there
 * are deleted).  Before anything else uses (c).  The members are in use
 * after dnsd_catalog_commit(true) (false: dropped, the ones before stay).
 * Returns 0 or a TB_E*.
 */
int dnsd_catalog_expand(struct svc_conf *c);
void dnsd_catalog_commit(bool keep);
/* Consumer (ci) named (name) got version (z): when its members differ
 * from those in use, logs how and asks the main thread to apply them
 * (dnsd_reload_request; transfer thread). */
void dnsd_catalog_changed(size_t ci, const char *name,
                          const struct dns_zone_src *z);

/* Drops one reference to (b) (MAY be NULL); frees it at zero. */
void dnsd_blob_put(struct dnsd_blob *b);
/*
 * Compiles version (z) with (flags) (dns_zone_compile_flags: 0 or
 * DNS_ZONE_COMPILE_RECORDS) into a new blob of one reference in (*out),
 * (loaded) its load time (0: a transferred version, dnsd_status_published
 * stamps it).  Returns 0 or a TB_E* (nothing made).
 */
int dnsd_blob_compile(const struct dns_zone_src *z, unsigned flags,
                      int64_t loaded, struct dnsd_blob **out);
/*
 * A new set: (cur)'s blobs, shared, with zone (i)'s replaced by (b) (MAY
 * be NULL: zone (i) not served).  Returns 0 with it in (*out), or a
 * TB_E*.  Under dnsd_publish_lock (xfrin.c).
 */
int dnsd_zones_swap(const struct svc_conf *c, const struct dnsd_zones *cur,
                    size_t i, struct dnsd_blob *b,
                    const struct dns_auth_opts *opts, struct dnsd_zones **out);

/* ---- secondary zones (xfrin.c) ------------------------------------- */

struct dnsd_xfrin;
struct dns_xfrin;
struct dns_tsig_keyring;
struct dnsd_server;

/* Held by whoever builds and publishes a zone set after start-up (the
 * SIGHUP reload, the transfer thread): they are the only two writers. */
extern pthread_mutex_t dnsd_publish_lock;

/*
 * Sets up the secondary zones of (c) (none: (*out) NULL, returns 0):
 * one lib/dns state machine each, the kept copy (the zone's file and
 * FILE.expire) loaded and, while not expired, swapped into (*zones)
 * before the first publish.  Returns 0 or TB_ENOMEM.
 */
int dnsd_xfrin_open(struct dnsd_xfrin **out, const struct svc_conf *c,
                    const struct dns_auth_opts *opts,
                    const struct dns_tsig_keyring *kr,
                    struct dnsd_zones **zones);
/* dnsd_xfrin_open() for a reload: each secondary of (prev) (MAY be NULL;
 * its thread stopped) that goes on unchanged and is between exchanges is
 * taken over as it runs (its state machine, copy, timers and socket),
 * not read again from its kept copy; (prev) MUST then be closed after
 * the new set is published (it frees nothing taken over). */
int dnsd_xfrin_reopen(struct dnsd_xfrin **out, const struct svc_conf *c,
                      const struct dns_auth_opts *opts,
                      const struct dns_tsig_keyring *kr,
                      struct dnsd_zones **zones, struct dnsd_xfrin *prev);
/* The secondaries, sorted, for the workers' service cores (NOTIFY in,
 * SERVFAIL while not served); (xf) MAY be NULL (none). */
void dnsd_xfrin_secondaries(const struct dnsd_xfrin *xf,
                            struct dns_xfrin *const **zones, size_t *n);
/* Starts the transfer thread, which publishes through (srv). */
int dnsd_xfrin_start(struct dnsd_xfrin *xf, struct dnsd_server *srv);
/* Wakes the transfer thread (a NOTIFY marked a zone); any thread. */
void dnsd_xfrin_kick(void);
/* Stops the thread, closes its sockets, frees (xf) (MAY be NULL). */
void dnsd_xfrin_close(struct dnsd_xfrin *xf);
/* Stops the thread only ((xf) MAY be NULL): it publishes no more, its
 * state machines stay; dnsd_xfrin_start() runs it again. */
void dnsd_xfrin_stop(struct dnsd_xfrin *xf);

/* ---- server (server.c) --------------------------------------------- */

struct dnsd_server;

/*
 * Opens every socket of (c) -- per listen address one UDP socket per
 * worker (SO_REUSEPORT) and one TCP listener shared by the workers -- and
 * prepares (workers) workers with their buffers.  A socket that cannot be
 * opened or bound is logged with its address and fails the call.  Returns
 * 0 with the server in (*out), or a TB_E*.
 */
int dnsd_server_open(struct dnsd_server **out, const struct svc_conf *c,
                     unsigned workers);
/*
 * Publishes (z) to the workers (an atomic pointer swap) and returns the
 * set it replaced (NULL the first time) once no worker can still be
 * reading it: every worker has passed a quiescent point since the swap.
 * Call from the main thread only.
 */
struct dnsd_zones *dnsd_server_publish(struct dnsd_server *s,
                                       struct dnsd_zones *z);
/* The published set (main thread only: it is the only writer). */
struct dnsd_zones *dnsd_server_current(struct dnsd_server *s);

/*
 * Readers of the published set besides the server's workers (the
 * resolver's workers read it for their local data): a reader is online
 * (holding a set) from dnsd_server_reader_online() until its next
 * dnsd_server_reader_offline(), and dnsd_server_publish() waits for
 * every online reader to pass such a point, as it does for workers.
 * dnsd_server_reader() takes a reader slot (main thread; the slot stays
 * the server's, offline once its thread has stopped); returns its
 * number, or -1 when DNSD_READERS_MAX are taken.
 */
#define DNSD_READERS_MAX 64
int dnsd_server_reader(struct dnsd_server *s);
const struct dnsd_zones *dnsd_server_reader_online(struct dnsd_server *s,
                                                   int id);
void dnsd_server_reader_offline(struct dnsd_server *s, int id);

struct dnsd_updater;
struct dns_cookie;

/* What the workers read besides the zone set, replaced as a whole by a
 * service-file reload (reconf.c): the secondaries (NOTIFY in), the UPDATE
 * hook, the TSIG keys and the cookie secret (NULL: the start-up one). */
struct dnsd_rt {
    struct dns_xfrin *const *sec;
    size_t nsec;
    struct dnsd_updater *upd;
    const struct dns_tsig_keyring *keys;
    const struct dns_cookie *cookie;
};
/*
 * Hands the workers (rt) (kept by the caller): each takes it at its next
 * online point, with the set.  Publish a new set right after: once that
 * publish returns, no worker uses the hooks (rt) replaced, and they MAY
 * be freed.  Main thread, under dnsd_publish_lock.
 */
void dnsd_server_runtime(struct dnsd_server *s, const struct dnsd_rt *rt);
/*
 * A new cookie context from (c)'s cookie-secret-file (when the server
 * was started with cookies and (c) names a file; else (*out) NULL: the
 * secret in use stays).  Returns 0, or a TB_E* after logging FILE:LINE.
 */
int dnsd_server_cookie(struct dnsd_server *s, const struct svc_conf *c,
                       struct dns_cookie **out);
/* The cookie context set up at start (NULL: cookies off). */
const struct dns_cookie *dnsd_server_cookie_boot(const struct dnsd_server *s);
/* Gives every worker's service core the secondaries (before start). */
void dnsd_server_secondaries(struct dnsd_server *s,
                             struct dns_xfrin *const *zones, size_t n);
/* Starts the worker threads (a set MUST have been published); with (pin),
 * worker i runs only on the i-th CPU of the process's affinity mask. */
int dnsd_server_start(struct dnsd_server *s, bool pin);
/* Stops and joins the workers, sums their counters into (st), closes
 * every socket and frees (s).  Returns the published set for the caller
 * to free. */
struct dnsd_zones *dnsd_server_stop(struct dnsd_server *s,
                                    struct dns_srv_stats *st);
/* The workers' counters summed into (sum), as of each worker's last loop
 * turn (any thread; the server was opened with a metrics address). */
void dnsd_server_stats(struct dnsd_server *s, struct dns_srv_stats *sum);

/* ---- metrics (metrics.c) ------------------------------------------- */

struct dnsd_metrics;

/*
 * Opens the metrics listener of (c) (c->metrics, family not 0) for
 * (srv)'s counters.  Returns 0 with it in (*out), or a TB_E* (logged with
 * the address).
 */
int dnsd_metrics_open(struct dnsd_metrics **out, const struct svc_conf *c,
                      struct dnsd_server *srv);
/* Sets the zones the metrics show from (z) (main thread, after each
 * publish; copied). */
void dnsd_metrics_zones(struct dnsd_metrics *m, const struct dnsd_zones *z);
/* Starts the metrics thread.  Returns 0 or a TB_E* (logged). */
int dnsd_metrics_start(struct dnsd_metrics *m);
/* Stops the thread (if started), closes every socket and frees (m)
 * (MAY be NULL). */
void dnsd_metrics_stop(struct dnsd_metrics *m);

/* ---- TSIG keys (keys.c) -------------------------------------------- */

struct dnsd_keys;
struct dns_tsig_keyring;

/*
 * Loads the TSIG keys of (c), each secret read from its secret-file now.
 * Returns 0 with the set in (*out) (NULL when (c) has no keys), or a TB_E*
 * after logging FILE:LINE of what is wrong.
 */
int dnsd_keys_load(const struct svc_conf *c, struct dnsd_keys **out);
/* Whether (a) and (b) (MAY be NULL: no keys) hold the same keys: names,
 * algorithms and secrets, in the same order. */
bool dnsd_keys_same(const struct dnsd_keys *a, const struct dnsd_keys *b);
/* The key set to publish (srv.keys), NULL for (k) NULL. */
const struct dns_tsig_keyring *dnsd_keys_ring(const struct dnsd_keys *k);
/* Wipes and frees (k) (MAY be NULL), after the workers stopped. */
void dnsd_keys_free(struct dnsd_keys *k);
/* Publishes (kr) (MAY be NULL) to every worker, before the server
 * starts, with the wall clock's offset from the workers' clock. */
void dnsd_server_keys(struct dnsd_server *s, const struct dns_tsig_keyring *kr);

/* ---- SIGHUP and the service file (reconf.c) ------------------------ */

/* The zone plane: what a service-file reload replaces as a whole.  A
 * thread that publishes by zone index (xfrin.c, update.c) MUST be part
 * of it -- stopped, rebuilt for the new zone list and swapped by
 * dnsd_reconf() -- or its indices go stale at the first reload. */
struct dnsd_plane {
    struct svc_conf *c; /* the zones served (owned but for (boot)) */
    const struct svc_conf *boot; /* the start-up one: the service */
    char *text; /* the service file (c) was parsed from (owned) */
    size_t len;
    const struct dns_auth_opts *opts;
    struct dnsd_keys *keys;
    struct dnsd_xfrin *xfrin;
    struct dnsd_updater *upd;
    struct dns_cookie *cookie; /* NULL: the start-up secret */
    struct dnsd_rt *rt; /* NULL: the start-up hooks */
    struct dnsd_metrics *metrics; /* MAY be NULL */
    struct dnsd_signer *sig; /* signed zones without updates (signer.c) */
};

/*
 * SIGHUP (catalog false): re-reads the service file; a file with errors
 * is logged FILE:LINE and changes nothing.  Service settings set up once
 * (listen, workers, limits) are logged as needing a restart; the zones
 * are applied: added, removed, their options changed, TSIG keys and the
 * cookie secret re-read, every zone file reloaded (dnsd_zones_load).
 * SIGUSR1 (catalog true): the same file text as running, with the
 * catalogs' members as now kept (a catalog changed).  Main thread.
 * Returns 0 when applied, -1 when nothing changed (logged).
 */
int dnsd_reconf(struct dnsd_plane *p, struct dnsd_server *srv, bool catalog);
/* The calling thread (main) is the one dnsd_reload_request() signals. */
void dnsd_reconf_ready(void);
/* Asks the main thread for a catalog re-apply (SIGUSR1); any thread. */
void dnsd_reload_request(void);

/* ---- status (status.c) --------------------------------------------- */

struct dns_xfrin;
/* Sets up the status-file of (c) (none given: nothing is ever written).
 * Returns 0 or TB_ENOMEM. */
int dnsd_status_open(const struct svc_conf *c);
/* Set (z) was published: every zone's serial (any publisher; writes). */
void dnsd_status_published(const struct dnsd_zones *z);
/* Secondary (zi) of the service file after its state machine (x) ran at
 * (now) (monotonic ns); (event) (MAY be NULL) is its last transfer or
 * problem.  Writes the file when something changed (transfer thread). */
void dnsd_status_secondary(size_t zi, const struct dns_xfrin *x, uint64_t now,
                           const char *event);
/* Removes the status-file (at exit). */
void dnsd_status_close(void);
/* The zones are now (c)'s (a reload): lines kept by zone name (main
 * thread, while the transfer thread is stopped). */
void dnsd_status_reconf(const struct svc_conf *c);
/* tibra-dnsd --status: prints (c)'s status-file; 0 when the tibra-dnsd
 * that wrote it runs, 1 when not (or no file), 2 without status-file. */
int dnsd_status_print(const struct svc_conf *c);

/* ---- the helper threads' clock (sock.c) ---------------------------- */

/* The monotonic clock (CLOCK_MONOTONIC) in ns: what the threads beside
 * the workers (notify.c, xfrin.c, resolver.c, metrics.c) hand lib/dns's
 * state machines as (now).  Their sockets' addresses come from lib/hosted
 * (tb_addr_to_sockaddr, tb_addr_from_sockaddr). */
uint64_t dnsd_mono_ns(void);

/* ---- control-plane threads (plane.c) ------------------------------ */

/* Clears (*stop) under (mu) and starts (fn)(arg) in (*th); (*started) set.
 * Logs "WHAT: cannot start its thread" and returns TB_EIO on failure. */
int dnsd_plane_start(pthread_t *th, pthread_mutex_t *mu, bool *stop,
                     bool *started, void *(*fn)(void *), void *arg,
                     const char *what);
/* When (*started): sets (*stop) under (mu), wakes (cv)'s waiters, joins
 * (th) and clears (*started). */
void dnsd_plane_stop(pthread_t th, pthread_mutex_t *mu, pthread_cond_t *cv,
                     bool *stop, bool *started);

/* ---- DNS Cookies (cookie.c) ---------------------------------------- */

/* Initialises (ck) for (c) (its cookie-secret-file, else a random secret;
 * (require): BADCOOKIE without a cookie over UDP); the number of secrets
 * in (*nsecret).  Logs why and returns a TB_E* on error. */
int dnsd_cookie_make(const struct svc_conf *c, bool require,
                     struct dns_cookie *ck, int *nsecret);
/* A listening socket of (type) (SOCK_DGRAM: SO_REUSEPORT, one per worker,
 * large buffers, IPv4 never fragmented; SOCK_STREAM: listen()) bound to
 * (a); with (pktinfo) non-NULL, (*pktinfo) says whether it receives each
 * datagram's destination (a wildcard address).  Logs why and returns -1
 * on error; else the non-blocking descriptor. */
int dnsd_listen_socket(const struct svc_addr *a, int type, bool *pktinfo);

/* ---- NOTIFY out (notify.c) ----------------------------------------- */

struct dnsd_notifier;
/* The notifier dnsd_server_publish() tells of every new set (NULL: no
 * zone has notify targets).  Set by main() before the first publish. */
extern struct dnsd_notifier *dnsd_notifier;

/* Sets up NOTIFY for the zones of (c) with notify targets: (*out) NULL
 * when there are none; a target with `key K` gets signed NOTIFYs, with
 * K from (kr) (MAY be NULL: no keys).  Returns 0 or a TB_E* (logged). */
int dnsd_notify_open(struct dnsd_notifier **out, const struct svc_conf *c,
                     const struct dns_tsig_keyring *kr);
/* Set (z) replaced (old) (NULL at start): every zone of (z) with a newer
 * serial and targets starts a NOTIFY round (any thread). */
void dnsd_notify_published(struct dnsd_notifier *nt,
                           const struct dnsd_zones *old,
                           const struct dnsd_zones *z);
/* Starts the NOTIFY thread ((nt) MAY be NULL).  Returns 0 or TB_EIO. */
int dnsd_notify_start(struct dnsd_notifier *nt);
/* Stops the thread and frees (nt) (MAY be NULL). */
void dnsd_notify_close(struct dnsd_notifier *nt);

/* ---- files (xfrin.c) ------------------------------------------------ */

/* Replaces (path) atomically (temp, fsync, rename, directory fsync) by
 * what (fill) writes into the fd with (arg).  0, or -1 with errno. */
int dnsd_replace_file(const char *path, int (*fill)(int, const void *),
                      const void *arg);
/* A (fill) writing zone (arg) (const struct dns_zone_src *) as text. */
int dnsd_fill_zone(int fd, const void *arg);

/* ---- dynamic updates (update.c) -------------------------------------- */

struct dnsd_updater;

/*
 * Sets up the zones of (c) with allow-update (none: (*out) NULL, returns
 * 0): each zone file loaded, its journal (FILE.journal) replayed (a torn
 * last entry cut off), compiled and swapped into (*zones) before the
 * first publish.  Returns 0, or a TB_E* after logging FILE: message (a
 * journal that does not apply to its zone file stops the start: nothing
 * acknowledged is dropped).
 */
int dnsd_update_open(struct dnsd_updater **out, const struct svc_conf *c,
                     const struct dns_auth_opts *opts,
                     const struct dns_tsig_keyring *kr,
                     struct dnsd_zones **zones);
/* The hook for the workers' service cores (srv.update); NULL for (u)
 * NULL.  (udp_fd) is the listener an UPDATE arrived on (-1 for TCP). */
size_t dnsd_update_submit(struct dnsd_updater *u, int udp_fd,
                          const struct tb_addr *peer, const uint8_t *q,
                          size_t qlen, uint8_t *resp, size_t cap);
/* Gives (srv)'s workers the hook (before start). */
void dnsd_server_updater(struct dnsd_server *srv, struct dnsd_updater *u);
/* Starts the update thread, which publishes through (srv). */
int dnsd_update_start(struct dnsd_updater *u, struct dnsd_server *srv);
/* Stops the thread (queued updates are answered first), frees (u) (MAY
 * be NULL). */
void dnsd_update_close(struct dnsd_updater *u);
/* Stops the thread only ((u) MAY be NULL): queued updates are answered
 * first, later ones dropped (clients retry) until dnsd_update_start(). */
void dnsd_update_stop(struct dnsd_updater *u);

#endif /* DNSD_H */
