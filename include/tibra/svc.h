/*
 * svc.h -- lib/svc, the service file: one declarative text file that says
 * what a DNS service is (its zones, where it listens, how it runs, which
 * target it is built for).  docs/service-file.md is the user's reference;
 * this header is the parser's contract.
 *
 *   ns1.conf --svc_parse--> struct svc_conf --> tibra-dnsd / tibra build
 *
 * The syntax, in short (familiar to NSD and Knot users):
 *
 *   # comment
 *   service: name ns1; target unix
 *            listen 127.0.0.1@5353; listen ::1@5353
 *   zone:    example.org; file zones/example.org.zone
 *
 * A statement starts with `section:` in column 0.  Items `key value...`
 * follow, separated by `;` or newlines; an indented line continues the
 * statement above it.  Values are bare words or "quoted strings" (with \"
 * and \\ escapes).  Relative paths are relative to the service file.
 *
 * Freestanding: the parser reads a caller buffer, never opens files and
 * allocates only through the struct tb_alloc given at init.  Problems are
 * reported as file:line: message through a struct dns_diag; parsing goes
 * on after an error so that one run reports every problem it can.
 * lib/hosted/svc_file.c reads a file from disk and calls svc_parse().
 */
#ifndef TB_SVC_H
#define TB_SVC_H

#include <tibra/base.h>
#include <tibra/dns.h>

/* Limits that keep a configuration bounded (and the parser simple). */
#define SVC_DEFAULT_TLS_PORT        853 /* tls-listen without @PORT */
#define SVC_LISTEN_MAX              32 /* listen statements */
#define SVC_ZONES_MAX               65535 /* zone statements (a zone set) */
#define SVC_WORKERS_MAX             256
#define SVC_NSID_MAX                255 /* NSID payload, bytes */
#define SVC_TEXT_MAX                (1u << 20) /* largest service file, bytes */
#define SVC_DEFAULT_PORT            53
#define SVC_DEFAULT_TCP_CLIENTS     1000
#define SVC_DEFAULT_TCP_IDLE_S      10
#define SVC_DEFAULT_TCP_MAX_QUERIES 0 /* 0: no limit per connection */
#define SVC_DEFAULT_UDP_SIZE        DNS_EDNS_DEFAULT_UDP
/* Response rate limiting: off; as <tibra/dns/srv.h>'s DNS_RRL_DEFAULT_*. */
#define SVC_DEFAULT_RRL_SLIP        2
#define SVC_DEFAULT_RRL_IPV4_PREFIX 24
#define SVC_DEFAULT_RRL_IPV6_PREFIX 56
#define SVC_DEFAULT_RRL_TABLE_SIZE  65536
#define SVC_RRL_RATE_MAX            1000000
#define SVC_RRL_SLIP_MAX            100
#define SVC_RRL_TABLE_MIN           16
#define SVC_RRL_TABLE_MAX           16777216
/* What one zone may cost (docs/service-file.md says why these). */
#define SVC_DEFAULT_ZONE_MAX_SIZE    (1ull << 30) /* bytes of zone text */
#define SVC_DEFAULT_ZONE_MAX_RECORDS 50000000u
#define SVC_ZONE_MAX_SIZE_MAX        (1ull << 40)
#define SVC_ZONE_MAX_RECORDS_MAX     4000000000u
#define SVC_ZONE_MEMORY_MAX          (1ull << 40)
/* Outgoing transfers, per zone. */
#define SVC_ALLOW_XFR_MAX             64 /* allow-transfer entries */
#define SVC_NOTIFY_MAX                16 /* notify targets */
#define SVC_STATE_MIN                 (4ull << 20) /* state: a block device's bytes */
#define SVC_STATE_MAX                 (64ull << 30)
#define SVC_DEFAULT_IXFR_HISTORY      16 /* deltas per zone */
#define SVC_DEFAULT_IXFR_HISTORY_SIZE (64ull << 20) /* their bytes */
#define SVC_IXFR_HISTORY_MAX          100000
/* Dynamic updates, per zone. */
#define SVC_ALLOW_UPDATE_MAX         8 /* keys in allow-update */
#define SVC_DEFAULT_JOURNAL_MAX_SIZE (16ull << 20) /* compaction past it */

/* DNSSEC signing in tibra build, per zone (docs/service-file.md). */
#define SVC_DNSSEC_SALT_MAX         32 /* bytes (RFC 9276: none) */
#define SVC_DNSSEC_ITERATIONS_MAX   100 /* RFC 9276 3.2: validators stop */
#define SVC_DEFAULT_DNSSEC_VALIDITY (14u * 86400) /* as Knot's lifetime */
#define SVC_DEFAULT_DNSSEC_MARGIN   (7u * 86400) /* as Knot's refresh */

/* Secondary zones (as Knot's defaults: refresh-min-interval etc.). */
#define SVC_PRIMARIES_MAX       8 /* = DNS_XFRIN_PRIMARIES_MAX */
#define SVC_DEFAULT_REFRESH_MIN 2
#define SVC_DEFAULT_REFRESH_MAX 86400
#define SVC_DEFAULT_RETRY_MIN   1
#define SVC_DEFAULT_RETRY_MAX   86400
#define SVC_DEFAULT_EXPIRE_MIN  3
#define SVC_DEFAULT_EXPIRE_MAX  1209600

#define SVC_KEYS_MAX 1024 /* key: statements (TSIG) */

enum svc_target { SVC_TARGET_UNIX = 0, SVC_TARGET_HVT, SVC_TARGET_SPT };
enum svc_arch { SVC_ARCH_HOST = 0, SVC_ARCH_X86_64, SVC_ARCH_AARCH64 };

enum svc_catalog_role {
    SVC_CATALOG_NONE = 0,
    SVC_CATALOG_PRODUCER,
    SVC_CATALOG_CONSUMER
};

/* An IP address with a port (listen) or a prefix length (address). */
struct svc_addr {
    uint8_t family; /* 4 or 6 */
    uint8_t plen; /* prefix length (address), else 32 / 128 */
    uint16_t port; /* host order; listen only */
    uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
    unsigned line; /* where it was written */
};

struct svc_zone {
    uint8_t origin[DNS_NAME_MAXLEN]; /* wire form, lower case */
    size_t origin_len;
    char *name; /* as written, for messages (NUL-terminated) */
    char *file; /* resolved path (relative to the service file) */
    unsigned line; /* line of its `zone:` statement */
    uint64_t max_size; /* zone-max-size: its own, else the service's */
    uint64_t max_records; /* zone-max-records: likewise */
    /* A secondary (transfers in, lib/dns/xfrin.c): nprimary > 0; then
     * (file), when given, is where the transferred zone is kept. */
    struct svc_addr primary[SVC_PRIMARIES_MAX]; /* port: 53 by default */
    char *primary_key[SVC_PRIMARIES_MAX]; /* `key NAME` as written, owned;
                                             NULL: none (TSIG) */
    unsigned nprimary;
    /* Bounds on the SOA's refresh, retry, expire (seconds; 0: not
     * given, the driver uses SVC_DEFAULT_* below). */
    uint32_t refresh_min, refresh_max, retry_min, retry_max;
    uint32_t expire_min, expire_max;
    struct svc_addr *allow_xfr; /* allow-transfer: prefixes (plen), owned */
    size_t nallow_xfr;
    char **allow_xfr_key; /* [nallow_xfr]: the TSIG key (`key NAME` as
                             written, owned) the entry requires; NULL:
                             none.  `allow-transfer key NAME` alone is
                             0.0.0.0/0 and ::/0 with the key */
    struct svc_addr *notify; /* notify: secondaries (port), owned */
    size_t nnotify;
    char **notify_key; /* [SVC_NOTIFY_MAX] (NULL: none at all): the key
                          (`notify ADDR... key NAME`, owned) each NOTIFY
                          to that target is signed with; NULL: unsigned */
    unsigned ixfr_history; /* deltas kept for IXFR out, 0 = none */
    uint64_t ixfr_history_size; /* their bytes at most */
    /* Dynamic updates (RFC 2136/3007, lib/dns/update.c): `allow-update
     * key NAME...` (a key is required), journal FILE.journal. */
    char *allow_update_key[SVC_ALLOW_UPDATE_MAX]; /* as written, owned */
    unsigned nallow_update;
    unsigned allow_update_line;
    uint8_t serial_policy; /* enum dns_serial_policy; 0: increment */
    uint64_t journal_max_size; /* compaction past this; 0: the default */
    /* Catalog zones (RFC 9432): `catalog producer` (this zone is
     * generated from its members), `catalog consumer` (a secondary whose
     * members are followed; not done yet: refused), or a member's
     * `catalog NAME` naming its producer zone. */
    enum svc_catalog_role catalog_role;
    char *catalog; /* member: the producer as written, owned; NULL */
    size_t catalog_of; /* member: its producer's index; SIZE_MAX: none */
    char *catalog_group; /* member: `catalog-group TEXT`, owned; NULL */
    unsigned catalog_line; /* where `catalog` was given */
    /* DNSSEC signing by tibra build (lib/dns/sign.c, tool/sign.c):
     * `dnssec KEYDIR [nsec | nsec3 [iterations N] [salt HEX|-]
     * [opt-out]]`, `dnssec-validity`, `dnssec-margin`, `dnssec-time`. */
    char *dnssec_dir; /* resolved path; NULL: the zone is not signed */
    unsigned dnssec_line; /* where `dnssec` was given */
    bool dnssec_nsec3, dnssec_optout;
    uint16_t dnssec_iterations; /* NSEC3; 0 (RFC 9276) by default */
    uint8_t dnssec_saltlen;
    uint8_t dnssec_salt[SVC_DNSSEC_SALT_MAX];
    uint32_t dnssec_validity; /* seconds; 0: SVC_DEFAULT_DNSSEC_VALIDITY */
    uint32_t dnssec_margin; /* seconds; 0: SVC_DEFAULT_DNSSEC_MARGIN */
    uint64_t dnssec_time; /* dnssec-time, UNIX seconds; 0: not given */
};

/*
 * A TSIG key (RFC 8945; `key: NAME; algorithm ALG; secret-file PATH`).
 * The secret is NOT here: the service file only names the file it is
 * read from at run time (svc_key_load()), so it never enters an image,
 * a build record or a log.
 */
struct svc_key {
    char *name; /* as written, for messages (NUL-terminated) */
    uint8_t wire[DNS_NAME_MAXLEN]; /* the name, wire form, lower case */
    size_t wire_len;
    int alg; /* enum dns_tsig_alg (dns/tsig.h); 0 if not given */
    char *secret_file; /* resolved path (relative to the service file) */
    unsigned line; /* line of its `key:` statement */
};

/*
 * The resolver: statement (issue 11): a caching, iterating resolver beside
 * the authoritative service, on its own addresses.  Target unix only for
 * now (tibra-dnsd, app/dnsd/resolver.c).
 */
#define SVC_RES_ALLOW_MAX    256 /* allow entries */
#define SVC_RES_FWD_MAX      64 /* forward and stub zones */
#define SVC_RES_FWD_ADDRS    8 /* servers of one (= DNS_RES_FWD_ADDRS) */
#define SVC_RES_INSECURE_MAX 64 /* insecure domains */

/* forward ZONE ADDR[@PORT]... (recursive servers, asked with RD) or stub
 * ZONE ADDR[@PORT]... (authoritative servers, iterated from). */
struct svc_res_fwd {
    bool recursive; /* forward; false: stub */
    bool tls; /* forward-tls ZONE ADDR[@PORT]... name NAME: over TLS (RFC
                 7858, port 853 unless given), each server's certificate
                 checked against the resolver's tls-ca for (auth)[i] */
    char auth[SVC_RES_FWD_ADDRS][256];
    uint8_t zone[DNS_NAME_MAXLEN]; /* wire form, lower case */
    struct svc_addr addr[SVC_RES_FWD_ADDRS]; /* port 53 if not given */
    size_t naddr;
    unsigned line;
};

struct svc_resolver {
    bool enabled; /* a resolver: statement was given */
    unsigned line; /* where */
    struct svc_addr listen[SVC_LISTEN_MAX]; /* UDP, where clients ask */
    size_t nlisten;
    /* tls-listen ADDR[@PORT]...: DNS over TLS (port 853 unless given),
       with the service's tls-certificate and tls-key */
    struct svc_addr tls_listen[SVC_LISTEN_MAX];
    size_t ntls_listen;
    struct svc_addr *allow; /* allow ADDR[/LEN]...: client prefixes (plen),
                               owned; none: loopback only */
    size_t nallow;
    struct svc_res_fwd *fwd; /* [nfwd], owned, file order */
    size_t nfwd;
    char *root_hints; /* resolved path; NULL: IANA's, built in */
    char *tls_ca; /* tls-ca FILE: CA certificates (PEM) for forward-tls;
                     resolved path, NULL: not given */
    uint64_t cache_size; /* bytes, 0: 32 MiB */
    unsigned resolutions; /* at once, 0: 256 */
    unsigned ratelimit; /* resolutions a second per client (IPv4 address,
                           IPv6 /64); 0: no limit */
    uint32_t serve_stale; /* serve-stale SECONDS: RFC 8767's max stale
                             bound; 0 (off): no stale answers */
    bool prefetch; /* prefetch on: refresh names near expiry on a hit */
    bool use_0x20; /* use-0x20 on: random case in the names asked */
    /* DNSSEC validation (on by default): trust-anchor FILE (DS or DNSKEY
       records in zone-file syntax; resolved path; NULL: the IANA root's
       KSK-2017 and KSK-2024 DS, built in), trust-anchor none (off) */
    char *trust_anchor;
    bool no_validation;
    /* insecure DOMAIN...: negative trust anchors (Unbound's
       domain-insecure), wire form, lower case, owned */
    uint8_t (*insecure)[DNS_NAME_MAXLEN];
    size_t ninsecure;
};

/*
 * A parsed service file.  Every string is NUL-terminated and owned by the
 * conf (freed by svc_conf_free()).  Optional settings not given keep the
 * defaults set by svc_conf_init(); the *_set flags say what was written.
 */
struct svc_conf {
    const char *path; /* the service file's name; not owned */
    char *name; /* service name, NULL if not given */
    enum svc_target target; /* default unix */
    bool target_fixed; /* set by the caller before svc_parse(): (target)
                          is kept whatever the file says, and the checks
                          are those of (target) (tibra build --target) */
    enum svc_arch arch; /* default: the host's */
    uint64_t memory; /* bytes, 0 = not given (guests only) */
    struct svc_addr address4, address6; /* guests: family 0 if not given */
    struct svc_addr gateway4, gateway6;
    struct svc_addr listen[SVC_LISTEN_MAX];
    size_t nlisten;
    unsigned workers; /* 0 = one per CPU */
    unsigned tcp_clients; /* open TCP connections, per server */
    unsigned tcp_clients_per_address; /* of them from one IPv4 address or
                                         IPv6 /64; 0: not given, drivers
                                         take dns_tcplim_default() */
    unsigned tcp_idle_timeout; /* seconds */
    unsigned tcp_max_queries; /* per connection, 0 = no limit */
    uint16_t udp_size; /* largest UDP answer we send */
    unsigned rrl_rate; /* responses per second per bucket, 0 = RRL off */
    unsigned rrl_slip; /* every slip-th limited response truncated */
    uint8_t rrl_ipv4_prefix, rrl_ipv6_prefix;
    unsigned rrl_table_size; /* entries (per worker) */
    bool rrl_exempt_loopback;
    bool chaos; /* answer CH TXT id.server etc. */
    char *identity; /* NULL: the service name */
    char *version; /* NULL: "tibra " TB_VERSION */
    uint8_t nsid[SVC_NSID_MAX]; /* NSID payload (RFC 5001) */
    size_t nsid_len; /* 0: no NSID (the default) */
    char *pidfile; /* resolved path, NULL if not given */
    char *status_file; /* resolved path, NULL if not given: tibra-dnsd
                          writes its zones' state there (--status) */
    bool cookies; /* DNS Cookies (RFC 7873) answered; default on */
    bool cookies_require; /* BADCOOKIE to UDP queries without a valid
                             server cookie; default off */
    char *cookie_secret_file; /* resolved path; NULL: a random secret */
    unsigned cookie_secret_line; /* where cookie-secret-file was given */
    /* DNS over TLS (RFC 7858): tls-listen ADDR[@PORT] (port 853 unless
       given), answered as (listen) is; tls-certificate and tls-key FILE
       (PEM; resolved paths, read by tibra-dnsd at start-up; NULL: not
       given) */
    struct svc_addr tls_listen[SVC_LISTEN_MAX];
    size_t ntls_listen;
    char *tls_certificate, *tls_key;
    unsigned tls_line; /* where tls-certificate was given */
    uint64_t state_size; /* state SIZE: images keep secondary zones and
                            update journals on block device "state" of
                            this many bytes (tibra run creates it); 0 =
                            not given */
    unsigned state_line; /* where state was given, 0 = not given */
    struct svc_addr metrics; /* metrics ADDR@PORT: Prometheus over HTTP
                                (lib/dns/http.c); family 0: off */
    uint64_t zone_max_size; /* default for zones, bytes */
    uint64_t zone_max_records; /* default for zones */
    uint64_t zone_memory; /* compiled zone data at most, 0 = no cap */
    struct svc_zone *zones;
    size_t nzones;
    struct svc_resolver resolver; /* resolver: statement */
    struct svc_key *keys; /* key: statements, in file order */
    size_t nkeys;
    size_t keys_cap; /* private */
    size_t zones_cap; /* private */
    const struct tb_alloc *a; /* private */
};

/* Sets (c) to the defaults, with (a) for every allocation it will make. */
TB_API void svc_conf_init(struct svc_conf *c, const struct tb_alloc *a);

/*
 * Parses the service file text (text, len), named (path) in messages and
 * used to resolve relative paths (MAY be NULL: then "-" and the current
 * directory), into (c), which MUST have been initialised by svc_conf_init()
 * and not used since.  (text) need not be NUL-terminated and MAY contain
 * any bytes (a NUL byte is an error).  Every problem is reported through
 * (diag) with its line; warnings (settings meaningless for the target) do
 * not fail.  After the syntax, the whole service is checked (duplicate
 * zones, missing zone file, no listen address for target unix, ...).
 * Returns 0 when no error was reported, TB_EMALF when at least one was,
 * TB_ENOMEM if an allocation failed (also reported), TB_ERANGE if (len)
 * exceeds SVC_TEXT_MAX.  On error (c) holds what was parsed so far and
 * MUST still be freed with svc_conf_free().
 */
TB_API int svc_parse(struct svc_conf *c, const char *path, const char *text,
                     size_t len, struct dns_diag *diag);

/* Frees everything (c) owns and re-initialises it.  (c) MAY be empty. */
TB_API void svc_conf_free(struct svc_conf *c);

/*
 * Parses an IP address "192.0.2.1" or "2001:db8::1" (RFC 4291 2.2 text
 * forms, including "::ffff:192.0.2.1"), (len) bytes of (s), into (out):
 * family, addr, plen = 32/128.  Returns 0 or TB_EMALF.
 */
TB_API int svc_parse_ip(const char *s, size_t len, struct svc_addr *out);

/*
 * Formats (a) as text, "192.0.2.1@53" or "[2001:db8::1]@53" when
 * (with_port), into (buf, cap) with a NUL.  IPv6 is written in the
 * RFC 5952 form.  Returns the length, or TB_ESPACE (SVC_ADDR_TEXT_MAX
 * always suffices).
 */
#define SVC_ADDR_TEXT_MAX 56
TB_API int svc_addr_to_text(const struct svc_addr *a, bool with_port, char *buf,
                            size_t cap);

/*
 * Hosted only (lib/hosted/svc_file.c; not in guest images): reads the
 * service file (path) and parses it with svc_parse() into (c), which MUST
 * be freshly initialised.  A file that cannot be read is reported through
 * (diag) as "path: cannot read: reason" (line 0).  Returns what svc_parse()
 * returns, or TB_ENOENT / TB_EACCES / TB_EIO when the file cannot be read,
 * TB_ERANGE when it is larger than SVC_TEXT_MAX.
 */
TB_API int svc_load_file(struct svc_conf *c, const char *path,
                         struct dns_diag *diag);

/* The key named (name, len) (text, any case, final dot optional) in (c),
 * or NULL (for `primary ... key NAME`, `allow-transfer key NAME`). */
TB_API const struct svc_key *svc_key_find(const struct svc_conf *c,
                                          const char *name, size_t len);

struct dns_tsig_key;

/*
 * Hosted only (lib/hosted/svc_key.c; links BearSSL): reads the secret of
 * (k) from its secret-file -- base64 (Knot's `secret:` form; whitespace
 * and line breaks allowed), or a BIND key file `key "NAME" { algorithm
 * ALG; secret "BASE64"; };` whose algorithm MUST be the key's -- and sets
 * (out) up with it (dns_tsig_key_init).  The secret is wiped from memory
 * once used and never printed.  Problems go to (diag) as
 * "FILE:LINE: message" (the secret file's line; FILE the secret file,
 * or the service file's line when the file cannot be read).  Returns 0,
 * TB_ENOENT / TB_EACCES / TB_EIO (unreadable), TB_EMALF (not base64, no
 * secret, algorithm differs), TB_ERANGE (empty or over
 * DNS_TSIG_SECRET_MAX bytes).
 */
TB_API int svc_key_load(const struct svc_conf *c, const struct svc_key *k,
                        struct dns_tsig_key *out, struct dns_diag *diag);

/* "unix", "hvt", "spt"; "x86_64", "aarch64", "host". */
TB_API const char *svc_target_name(enum svc_target t);
TB_API const char *svc_arch_name(enum svc_arch a);

#endif /* TB_SVC_H */
