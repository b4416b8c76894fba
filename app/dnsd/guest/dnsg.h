/*
 * dnsg.h -- private header of the DNS unikernel application (app/dnsd/
 * guest): Tibra's authoritative server as a plat.h application over
 * stack.h, the same program on every target.  The DNS logic is not here:
 * every answer, TCP session and counter is lib/dns's service core
 * (<tibra/dns/srv.h>), exactly as in tibra-dnsd; this is a driver that
 * moves bytes and time.  Parts:
 *
 *   main.c          boot: bundle -> arguments -> memory -> zone set ->
 *                   stack -> serve.c; the stop and its counters
 *   args.c          the boot arguments (syntax in <tibra/bundle.h>)
 *   serve.c         the loop: UDP batches through dns_srv_udp(), TCP
 *                   sessions (struct dns_tcp) from a fixed pool
 *   stack_direct.c  \  one of these is linked: dnsg_stack_*() over
 *   stack_sock.c    /  lib/net (spt, hvt) or host sockets (unix)
 *
 *   tb_bundle_start..end --tb_bundle_open--> blobs + default args
 *     --dns_zoneset_build--> zone set;  args + cmdline --> struct dnsg_conf
 *     --dnsg_stack_open--> struct tb_stack --dnsg_serve--> until stopped
 */
#ifndef DNSG_H
#define DNSG_H

#include <tibra/dns/res.h>
#include <tibra/dns/srv.h>
#include <tibra/plat.h>
#include <tibra/stack.h>

#define DNSG_TEXT_MAX         255 /* identity, version, name, nsid (TXT limits) */
#define DNSG_LISTEN_MAX       32
#define DNSG_XFR_MAX          64 /* --allow-transfer words */
#define DNSG_NOTIFY_MAX       64 /* --notify words */
#define DNSG_PRIMARY_MAX      64 /* --primary words */
#define DNSG_UPDATE_MAX       16 /* --allow-update words */
#define DNSG_TSIG_MAX         4 /* --tsig-key words */
#define DNSG_TSIG_SECRET_MAX  128 /* bytes (an HMAC block; BIND's are 32-64) */
#define DNSG_RES_LISTEN_MAX   4 /* --resolver-listen words */
#define DNSG_RES_ALLOW_MAX    64 /* --resolver-allow words */
#define DNSG_RES_FWD_MAX      16 /* --resolver-forward/--resolver-stub zones */
#define DNSG_RES_ANCHORS_MAX  4096 /* --trust-anchor words as zone-file text */
#define DNSG_RES_INSECURE_MAX 16 /* --resolver-insecure words */

/* The service as the boot arguments describe it (args.c). */
struct dnsg_conf {
    char name[DNSG_TEXT_MAX + 1]; /* "" if not given */
    char identity[DNSG_TEXT_MAX + 1];
    char version[DNSG_TEXT_MAX + 1];
    bool has_identity, has_version;
    uint8_t nsid[DNSG_TEXT_MAX];
    size_t nsid_len;
    bool has_nsid;

    /* The direct stack: addresses, gateways, one port for both. */
    bool has_ip4, has_ip4_gw, has_ip6, has_ip6_gw;
    uint8_t ip4[4], ip4_prefix, ip4_gw[4];
    uint8_t ip6[16], ip6_prefix, ip6_gw[16];
    uint16_t port;

    /* The host-socket stack: listen addresses (af and port set). */
    struct tb_addr listen[DNSG_LISTEN_MAX];
    unsigned nlisten;
    bool listen_cmdline; /* the command line has replaced the defaults */
    struct tb_addr metrics; /* Prometheus over HTTP (metrics.c) */
    bool has_metrics;

    uint32_t tcp_clients;
    uint32_t tcp_per_addr; /* per IPv4 address or IPv6 /64; 0: default */
    uint32_t tcp_idle_s;
    uint32_t tcp_max_queries; /* 0: no limit */
    uint16_t udp_size;
    struct dns_rrl_conf rrl; /* rate 0: off */
    bool cookies; /* DNS Cookies (RFC 7873); default on */
    bool cookies_require; /* BADCOOKIE over UDP without a valid cookie */
    unsigned ncookie_secrets; /* --cookie-secret given (command line only):
                                 the first active, the others accepted;
                                 0: a random one at boot */
    uint8_t cookie_secret[DNS_COOKIE_SECRETS_MAX * DNS_COOKIE_SECRET_LEN];
    bool chaos;
    /* allow-transfer, per zone: the zone's name as written (a span of
     * the argument text, which lives as long as the app) and a prefix */
    struct {
        const char *zone;
        size_t zlen;
        struct dns_acl acl;
    } xfr[DNSG_XFR_MAX];
    unsigned nxfr;
    /* notify, per zone: as (xfr), with the secondary's address */
    struct {
        const char *zone;
        size_t zlen;
        struct tb_addr to;
    } notify[DNSG_NOTIFY_MAX];
    unsigned nnotify;
    /* secondary zones (secondary.c): --primary=ZONE:ADDR@PORT, a word
     * per primary, as (notify); kept on --state-device=NAME (a block
     * device of the manifest; "": none); --secondary-memory bytes for
     * transfers (0: half of what the zones left) */
    struct {
        const char *zone;
        size_t zlen;
        struct tb_addr addr;
    } primary[DNSG_PRIMARY_MAX];
    unsigned nprimary;
    char state_device[32];
    uint64_t sec_memory;
    /* dynamic updates (secondary.c): --allow-update=ZONE:KEY, a word per
     * TSIG key allowed to update a zone of the image */
    struct {
        const char *zone;
        size_t zlen;
        uint8_t key[DNS_NAME_MAXLEN]; /* wire, lowercase */
    } upd[DNSG_UPDATE_MAX];
    unsigned nupd;
    /* TSIG keys: --tsig-key=NAME:ALG:BASE64, command line only (a secret
     * never comes from an image); the secret is wiped once tsig.c has
     * derived the key. */
    struct {
        uint8_t name[DNS_NAME_MAXLEN]; /* wire form */
        size_t name_len;
        int alg; /* enum dns_tsig_alg */
        uint8_t secret[DNSG_TSIG_SECRET_MAX];
        size_t secret_len;
    } tsig[DNSG_TSIG_MAX];
    unsigned ntsig;
    /* The resolver (resolve.c; --resolver-* and --root-hint words): on
     * when a --resolver-listen is given. */
    struct tb_addr res_listen[DNSG_RES_LISTEN_MAX];
    unsigned nres_listen;
    struct dns_acl res_allow[DNSG_RES_ALLOW_MAX]; /* none: loopback only */
    unsigned nres_allow;
    struct dns_res_fwd res_fwd[DNSG_RES_FWD_MAX];
    unsigned nres_fwd;
    struct dns_res_hints res_hints; /* --root-hint words (nns 0: IANA's) */
    uint64_t res_cache; /* bytes; 0: a quarter of the heap, at most 32 MiB */
    uint32_t res_tasks; /* resolutions at once; 0: 64 */
    uint32_t res_ratelimit; /* per client a second; 0: off */
    uint32_t res_serve_stale; /* RFC 8767 max stale, seconds; 0: off */
    bool res_prefetch;
    bool res_use_0x20;
    /* DNSSEC validation (dnssec.c): --trust-anchor=NAME:DS:TAG:ALG:TYPE:HEX
     * and NAME:DNSKEY:FLAGS:PROTO:ALG:BASE64 words as zone-file lines
     * (none: the built-in root anchors), --trust-anchor=none (off), and
     * --resolver-insecure=DOMAIN (negative trust anchors, wire form) */
    char res_anchors[DNSG_RES_ANCHORS_MAX];
    size_t res_anchors_len;
    bool res_no_val;
    bool res_anchors_cmdline; /* a run-time word replaced the image's */
    uint8_t res_insecure[DNSG_RES_INSECURE_MAX][DNS_NAME_MAXLEN];
    unsigned nres_insecure;
    uint64_t memory; /* informative: what the service file declared */
    uint64_t time_s; /* tests: stop after this long (0: never) */
};

/*
 * TSIG (tsig.c, linked into unix images; tsig_none.c elsewhere): makes
 * the keys of (c) (wiping their secrets) and publishes them to (srv)
 * with the wall clock's offset.  Returns 0 (also with no keys), or a TB_E*
 * after saying why on the console (tsig_none.c: any key, since guests
 * link no BearSSL yet).
 */
int dnsg_tsig_start(struct dnsg_conf *c, struct dns_srv *srv);

/*
 * DNSSEC validation of the resolver (dnssec.c, linked with BearSSL into
 * x86_64 spt and hvt images; dnssec_none.c elsewhere): fills (v) from (c)'s
 * --trust-anchor and --resolver-insecure words (the anchors parsed with
 * lib/dns's dns_val_anchors_parse, memory from (a)), the wall clock's
 * offset and the validator's entry points, and returns true; false with
 * (v) untouched if the resolver does not validate (--trust-anchor=none,
 * or dnssec_none.c).  Returns a TB_E* with (err) set on a bad anchor.
 */
int dnsg_val_start(const struct dnsg_conf *c, struct dns_res_val *v, bool *on,
                   const struct tb_alloc *a, char *err, size_t cap);
/* Whether dnsg_val_start's validator verifies Ed25519 (algorithm 15). */
bool dnsg_val_ed25519(void);
/* UNIX seconds at the platform's monotonic time 0 (tb_clock_wall() less
 * tb_clock_monotonic()): the resolver's dns_res_val.unix_at_zero. */
static inline int64_t dnsg_unix_at_zero(void)
{
    return ((int64_t)tb_clock_wall() - (int64_t)tb_clock_monotonic()) /
           1000000000;
}

/* Sets every field to tibra-dnsd's defaults (port 53, 1000 TCP clients,
 * 10 s idle, no query limit, udp-size 1232, chaos on). */
void dnsg_conf_default(struct dnsg_conf *c);

/*
 * Applies the space-separated arguments (s, len) (not NUL-terminated,
 * untrusted) to (c), in order, later ones winning.  (cmdline) is true for
 * the tender's command line (the first --listen there replaces every
 * default one), false for the bundle's defaults.  Returns 0, or -1 with a
 * one-line message naming the argument in (err, cap).
 */
int dnsg_args_apply(struct dnsg_conf *c, const char *s, size_t len,
                    bool cmdline, char *err, size_t cap);

/* Writes a console line (a newline is added). */
void dnsg_say(const char *fmt, ...) TB_PRINTF(1, 2);

/* ---- the stack (stack_direct.c or stack_sock.c) ----------------------- */

/*
 * Bytes dnsg_stack_open() takes from its allocator for (conns) TCP
 * connections (an upper bound, allocator padding not included), or
 * SIZE_MAX if it cannot tell.
 */
size_t dnsg_stack_memory(const struct dnsg_conf *c, uint32_t conns);

/*
 * Creates the stack for (c) with room for (conns) TCP connections, its
 * memory from (a).  Returns 0, or a TB_E* with a one-line reason in
 * (err, cap).
 */
int dnsg_stack_open(struct tb_stack **s, const struct dnsg_conf *c,
                    uint32_t conns, const struct tb_alloc *a, char *err,
                    size_t cap);

/*
 * The local addresses to serve on (UDP and TCP each): at most (max) into
 * (out).  Returns the count, or 0 with a reason in (err, cap) when there
 * is none.
 */
size_t dnsg_stack_locals(const struct dnsg_conf *c, struct tb_addr *out,
                         size_t max, char *err, size_t cap);

/*
 * The longest the loop may wait (ns): on host sockets a stop request
 * arriving between tb_stop_requested() and the stack's epoll_wait only
 * interrupts a wait already begun, so waits are bounded there.
 */
extern const uint64_t dnsg_stack_wait_max;

/* Describes where the service listens, for the boot line. */
void dnsg_stack_describe(const struct dnsg_conf *c, char *buf, size_t cap);

/* ---- serving (serve.c) ------------------------------------------------ */

/* One TCP session slot: a dns_tcp and its buffers. */
struct dnsg_sess {
    struct dns_tcp t;
    struct tb_addr peer; /* counted in dnsg.tcplim */
    int ep; /* -1: free */
    uint32_t next_free;
    uint8_t rbuf[DNS_TCP_RBUF];
    uint8_t wbuf[DNS_TCP_WBUF];
};

#define DNSG_UDP_BATCH 32

/* Everything the loop owns; placed by main.c, memory reserved at boot. */
struct dnsg {
    struct tb_stack *s;
    struct dns_srv srv;
    struct dns_srv_conf sconf;
    struct dns_rrl rrl; /* srv.rrl points here when RRL is on */
    struct dns_cookie cookie; /* srv.cookie, when cookies are on */

    int udp[DNSG_LISTEN_MAX], tcp[DNSG_LISTEN_MAX];
    unsigned nlocal;

    /* UDP: DNSG_UDP_BATCH response buffers of (resp_cap) bytes each. */
    uint8_t *resp;
    size_t resp_cap;

    /* TCP: a pool of (nsess) sessions, and a map endpoint -> session
     * (open addressing, (mapcap) a power of two >= 2 * nsess). */
    struct dnsg_sess *sess;
    uint32_t nsess, free_head, used;
    /* Sessions per client address: set (tcp_per_addr) (0: no limit) and
     * (tcplim_seed) before dnsg_init(); a session's peer is kept in
     * (peer) of its slot to give its count back on close. */
    struct dns_tcplim tcplim;
    uint32_t tcp_per_addr;
    uint64_t tcplim_seed;
    uint32_t *map;
    uint32_t mapcap;
    uint64_t next_expire; /* no session expires before this */
    struct dnsg_res *res; /* the resolver (resolve.c), NULL: none */
    uint64_t udp_send_short; /* responses the stack did not take */
};

/* ---- NOTIFY out (notify.c) -------------------------------------------- */

struct dns_zoneset;
/*
 * Starts NOTIFY for the --notify words of (c): every zone's secondaries
 * are told of the serial (zs) serves, through a UDP endpoint of (g)'s
 * stack on a high port and with message IDs drawn from (seed) (random:
 * RFC 5452); memory from (a).  Nothing without --notify.  Returns 0, or
 * a TB_E* with a one-line reason in (err, cap).
 */
int dnsg_notify_start(struct dnsg *g, const struct dnsg_conf *c,
                      const struct dns_zoneset *zs, uint64_t seed,
                      const struct tb_alloc *a, char *err, size_t cap);
/* Takes event (e) if it is NOTIFY's endpoint (responses). */
bool dnsg_notify_handle(struct dnsg *g, const struct tb_event *e);
/* Sends what is due at (now); returns when to call again. */
uint64_t dnsg_notify_run(struct dnsg *g, uint64_t now);

/* ---- the resolver (resolve.c) ---------------------------------------- */

struct dnsg_res;
/* Endpoints and connections the resolver needs from the stack beyond the
 * authoritative server's, for the conf (c). */
void dnsg_res_stack_needs(const struct dnsg_conf *c, uint32_t *udp_eps,
                          uint32_t *tcp_listeners, uint32_t *tcp_conns);
/*
 * Reserves the resolver of (c) (nothing without --resolver-listen): its
 * cache, tasks and buffers from (a), the local zones (zs) answered first
 * (borrowed).  Returns 0, or a TB_E* with a one-line reason in (err, cap).
 * Call before the stack is sized (dnsg_res_stack_needs() says what it
 * takes).
 */
int dnsg_res_init(struct dnsg *g, const struct dnsg_conf *c,
                  const struct dns_zoneset *zs, size_t heap_size,
                  const struct tb_alloc *a, char *err, size_t cap);
/* Binds the resolver's listeners in (g)'s stack. */
int dnsg_res_listen(struct dnsg *g, char *err, size_t cap);
/* Takes event (e) if one of the resolver's endpoints is its. */
bool dnsg_res_handle(struct dnsg *g, const struct tb_event *e, uint64_t now);
/* Times out what is due at (now); returns the next deadline. */
uint64_t dnsg_res_run(struct dnsg *g, uint64_t now);
/* Writes the resolver's counters to the console. */
void dnsg_res_report(struct dnsg *g);
/* The resolver's counters as Prometheus text (dns_metrics_res_text) into
 * (buf, cap); returns the length (0 without a resolver; at most
 * DNS_METRICS_RES_TEXT_MAX). */
size_t dnsg_res_metrics(struct dnsg *g, char *buf, size_t cap);

/* ---- secondary zones (secondary.c) ------------------------------------ */

struct tb_bundle;
struct dns_auth_opts;
/*
 * Starts the secondary zones of (c) (nothing without --primary): a pool
 * of c->sec_memory bytes from (a) ((heap_left) is what (a) has), the
 * zones kept on the state device loaded and published beside the
 * bundle's (b) (answered with (opts), kept), srv.xfrin set for NOTIFY.
 * Call before the TCP sessions are sized.  Returns 0, or a TB_E* with a
 * one-line reason in (err, cap).
 */
int dnsg_sec_start(struct dnsg *g, const struct dnsg_conf *c,
                   const struct tb_bundle *b, const struct dns_auth_opts *opts,
                   size_t heap_left, const struct tb_alloc *a, char *err,
                   size_t cap);
/* Binds the secondaries' UDP endpoint in (g)'s stack (after it opened). */
int dnsg_sec_listen(struct dnsg *g, char *err, size_t cap);
/* Takes event (e) if it is one of the secondaries' endpoints. */
bool dnsg_sec_handle(struct dnsg *g, const struct tb_event *e, uint64_t now);
/* Does what the zones want at (now); returns the next deadline. */
uint64_t dnsg_sec_run(struct dnsg *g, uint64_t now);

/* ---- the metrics port (metrics.c) ------------------------------------ */

struct tb_bundle;

/*
 * Reserves the metrics port's memory from (a) for the zones of (b) (their
 * load time: (boot_s), Unix seconds): a response buffer per connection
 * sized for them.  Returns 0 or TB_ENOMEM.
 * Call before the TCP sessions are sized, with (c->has_metrics) set.
 */
int dnsg_metrics_init(const struct dnsg_conf *c, const struct tb_bundle *b,
                      int64_t boot_s, const struct tb_alloc *a);
/* Listens on (c->metrics) in (g)'s stack.  Returns 0 or the error, with
 * a one-line reason in (err, cap). */
int dnsg_metrics_listen(struct dnsg *g, const struct dnsg_conf *c, char *err,
                        size_t cap);
/* Handles event (e) if its endpoint is the metrics port's; returns
 * whether it was. */
bool dnsg_metrics_handle(struct dnsg *g, const struct tb_event *e,
                         uint64_t now);
/* Closes connections past their deadline; returns the next deadline
 * (UINT64_MAX: none). */
uint64_t dnsg_metrics_expire(struct dnsg *g, uint64_t now);

/* Bytes of the per-session memory (pool entry + map share). */
size_t dnsg_sess_cost(void);

/*
 * Sets (g)'s pools up from (a) for (nsess) sessions and (resp_cap)-byte
 * UDP responses, and the table of sessions per address when
 * (g->tcp_per_addr) is set.  Returns 0 or TB_ENOMEM.
 */
int dnsg_init(struct dnsg *g, uint32_t nsess, size_t resp_cap,
              const struct tb_alloc *a);

/* Binds every address of (locals) for UDP and TCP.  Returns 0 or the
 * error, with a one-line reason in (err, cap). */
int dnsg_listen(struct dnsg *g, const struct tb_addr *locals, size_t n,
                char *err, size_t cap);

/*
 * Serves until tb_stop_requested() or (end) (monotonic ns; UINT64_MAX:
 * no end).
 */
void dnsg_serve(struct dnsg *g, uint64_t end);

#endif /* DNSG_H */
