/*
 * main.c -- tibra-dnsd, Tibra's authoritative DNS server as a Linux
 * process (the unix target): command line, logging, the startup sequence
 * (service file -> zones -> sockets -> workers), and the main thread's
 * signal loop (SIGHUP reload, SIGTERM/SIGINT clean exit).  The main thread
 * never answers queries; server.c's workers do.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <tibra/version.h>

#include <tibra/zonefile.h>

#include "dnsd.h"
#include "resolver.h"
#include "signer.h"

#define PROG "tibra-dnsd"

int dnsd_verbose;

static void vlog(const char *fmt, va_list ap)
{
    char line[1024];
    int n = snprintf(line, sizeof(line), PROG ": ");
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    size_t len =
        (size_t)n + (m < 0 ? 0 : TB_MIN((size_t)m, sizeof(line) - n - 2));
    line[len++] = '\n';
    /* One write per line: lines from threads never interleave. */
    if (write(STDERR_FILENO, line, len) < 0)
        return;
}

void dnsd_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

void dnsd_debug(const char *fmt, ...)
{
    va_list ap;
    if (!dnsd_verbose)
        return;
    va_start(ap, fmt);
    vlog(fmt, ap);
    va_end(ap);
}

static void diag_print(void *ctx, int level, const char *file, unsigned line,
                       const char *msg)
{
    char loc[32] = "";
    (void)ctx;
    if (line != 0)
        snprintf(loc, sizeof(loc), ":%u", line);
    dnsd_log("%s%s: %s%s", file ? file : "-", loc,
             level == DNS_DIAG_WARNING ? "warning: " : "", msg);
}

void dnsd_diag_init(struct dns_diag *d)
{
    memset(d, 0, sizeof(*d));
    d->report = diag_print;
}


/* clang-format off */
static const char usage_text[] =
"NAME\n"
"    tibra-dnsd - Tibra's authoritative DNS server as a Linux process\n"
"\n"
"SYNOPSIS\n"
"    tibra-dnsd [-pv] [-w N] [-f] SERVICE-FILE\n"
"    tibra-dnsd -c [-v] SERVICE-FILE\n"
"    tibra-dnsd -h | -V\n"
"\n"
"DESCRIPTION\n"
"    Reads the service file (docs/service-file.md), loads, checks and\n"
"    compiles every zone it names, and answers DNS queries for them over\n"
"    UDP and TCP on every 'listen' address, IPv4 and IPv6.  One worker\n"
"    thread per CPU (of those the process may run on, see taskset(1))\n"
"    unless 'workers' or -w says otherwise; each worker has its own UDP\n"
"    socket per address and answers in batches.  Zones with 'dnssec\n"
"    KEYDIR' are signed with the keys there, their signatures refreshed\n"
"    before they expire and updates signed as they are applied.  With\n"
"    'tls-listen' (the zones) or 'resolver: tls-listen' it also answers\n"
"    DNS over TLS (RFC 7858, TLS 1.2) with the certificate and key of\n"
"    'tls-certificate' and 'tls-key', read at start-up.  Logs go to\n"
"    stderr.\n"
"    It runs in the foreground; use a service manager to run it in the\n"
"    background.\n"
"\n"
"OPTIONS\n"
"    -c, --check       Load and check the service file and every zone,\n"
"                      print each problem as FILE:LINE: MESSAGE, and exit:\n"
"                      0 if all is well, 1 if not.  Opens no socket.\n"
"    --status          Print the status-file of the tibra-dnsd running\n"
"                      SERVICE-FILE: every zone, its serial, when that\n"
"                      version came, the next check and expiry of a\n"
"                      secondary, its last transfer or problem; exit 0\n"
"                      if that tibra-dnsd runs, 1 if not.\n"
"    -f, --foreground  Run in the foreground (the default and only mode).\n"
"    -w, --workers N   Run N worker threads (1-256), overriding 'workers'.\n"
"    -p, --pin         Pin worker i to the i-th CPU the process may run on\n"
"                      (see taskset(1)); without it the kernel schedules.\n"
"    -v, --verbose     Log more (unchanged zones on reload, pinning).\n"
"    -h, --help        Print this help and exit.\n"
"    -V, --version     Print the version and exit.\n"
"\n"
"SIGNALS\n"
"    SIGHUP   Re-read the service file and reload every zone file.  A\n"
"             file with an error is logged FILE:LINE and changes nothing.\n"
"             Zones added (primary or secondary) are served, zones\n"
"             removed no longer, changed zone options (allow-transfer,\n"
"             notify, allow-update, primary, keys) apply; TSIG keys and\n"
"             the cookie-secret-file, tls-certificate and tls-key are\n"
"             read again.  Listen addresses,\n"
"             workers, limits, RRL, resolver, metrics and the like are\n"
"             logged as needing a restart.  A new zone set is built\n"
"             aside and published atomically, queries are answered\n"
"             throughout; a zone whose file fails to load keeps serving\n"
"             its previous version (the error is logged with FILE:LINE).\n"
"             Zones with a newer serial keep the difference for IXFR\n"
"             and NOTIFY their 'notify' secondaries.\n"
"    SIGUSR1  Apply the members of the catalogs as kept now (sent by\n"
"             tibra-dnsd itself when a consumed catalog changes).\n"
"    SIGTERM, SIGINT\n"
"             Stop answering, close every socket, exit with status 0.\n"
"\n"
"EXIT STATUS\n"
"    0  clean exit (SIGTERM or SIGINT), or --check found no problem\n"
"    1  the service file or a zone is bad, an address cannot be bound,\n"
"       or another startup error (the message says which)\n"
"    2  wrong command-line usage\n"
"\n"
"FILES\n"
"    SERVICE-FILE      the service: 'service:' (listen addresses, workers,\n"
"                      TCP limits, chaos, identity, version, nsid,\n"
"                      pidfile, RRL, DNS cookies) and\n"
"                      one 'zone:' per zone.  Relative paths in it are\n"
"                      relative to its own directory.\n"
"    pidfile           written after the sockets are bound, removed at exit\n"
"                      (only if 'pidfile' is set).\n"
"    status-file       rewritten atomically on every change, removed at\n"
"                      exit (only if 'status-file' is set; --status).\n"
"\n"
"EXAMPLE\n"
"    tibra-dnsd examples/ns1.conf\n"
"    dig @127.0.0.1 -p 5353 www.example.org A\n"
"    kill -HUP $(pidof tibra-dnsd)      # reload service file and zones\n";
/* clang-format on */

static void usage(FILE *f)
{
    fputs(usage_text, f);
}

/* CPUs this process may run on (taskset), at least 1. */
static unsigned cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Enough descriptors for every TCP client, socket and worker. */
static void raise_nofile(const struct svc_conf *c, unsigned workers)
{
    struct rlimit rl;
    rlim_t want =
        (rlim_t)c->tcp_clients + (rlim_t)(workers + 1) * (c->nlisten + 1) + 64;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want
                      ? want
                      : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < want)
        dnsd_log("warning: only %llu file descriptors for %u tcp-clients",
                 (unsigned long long)rl.rlim_cur, c->tcp_clients);
}

static void auth_opts(const struct svc_conf *c, struct dns_auth_opts *o)
{
    static char version[300];
    memset(o, 0, sizeof(*o));
    o->chaos = c->chaos;
    o->identity = c->identity ? c->identity : c->name ? c->name : "tibra";
    if (c->version != NULL) {
        o->version = c->version;
    } else {
        snprintf(version, sizeof(version), "tibra %s", TB_VERSION);
        o->version = version;
    }
    o->udp_max = c->udp_size;
    o->nsid = c->nsid;
    o->nsid_len = c->nsid_len;
}

static int write_pidfile(const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 ||
        fclose(f) != 0) {
        dnsd_log("cannot write pidfile %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The metrics port, when the service file has one (NULL: off). */
static struct dnsd_metrics *metrics;

/* The resolver, when the service file has a resolver: (NULL: none). */
static struct dnsd_resolver *resolver;

/* The zone plane: the zones served, their threads and keys (reconf.c). */
static struct dnsd_plane plane;

/* The main thread's life after startup: wait for signals. */
static int signal_loop(struct dnsd_server *srv, sigset_t *set)
{
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(set, &si);
        if (sig < 0)
            continue; /* EINTR */
        if (sig == SIGHUP || sig == SIGUSR1) {
            dnsd_reconf(&plane, srv, sig == SIGUSR1);
            continue;
        }
        dnsd_log("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        return 0;
    }
}

int main(int argc, char **argv)
{
    static const struct option lopts[] = {
        {"check", no_argument, NULL, 'c'},
        {"status", no_argument, NULL, 's'},
        {"foreground", no_argument, NULL, 'f'},
        {"workers", required_argument, NULL, 'w'},
        {"verbose", no_argument, NULL, 'v'},
        {"pin", no_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct svc_conf conf;
    struct dns_diag diag;
    struct dns_auth_opts opts;
    struct dnsd_zones *zones = NULL;
    struct dnsd_server *srv = NULL;
    struct dnsd_keys *keys = NULL;
    struct dnsd_xfrin *xfrin = NULL;
    struct dnsd_updater *updater = NULL;
    struct dnsd_signer *signer = NULL; /* signed zones without updates */
    struct dns_srv_stats st;
    struct dns_xfrin *const *sec;
    size_t nsec;
    bool check = false, pin = false, pid_written = false, status = false;
    unsigned workers = 0;
    sigset_t set;
    int opt, rc;

    while ((opt = getopt_long(argc, argv, "cfw:pvhV", lopts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            check = true;
            break;
        case 's':
            status = true;
            break;
        case 'f':
            break;
        case 'p':
            pin = true;
            break;
        case 'v':
            dnsd_verbose = 1;
            break;
        case 'w': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || n < 1 ||
                n > SVC_WORKERS_MAX) {
                fprintf(stderr,
                        PROG ": -w: '%s' is not a number of "
                             "workers (1-%d)\n",
                        optarg, SVC_WORKERS_MAX);
                return 2;
            }
            workers = (unsigned)n;
            break;
        }
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("tibra-dnsd %s\n", TB_VERSION);
            return 0;
        default:
            fprintf(stderr, "usage: tibra-dnsd [-cfpv] [-w N] SERVICE-FILE "
                            "(tibra-dnsd --help for more)\n");
            return 2;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr,
                PROG ": %s\nusage: tibra-dnsd [-cfpv] [-w N] "
                     "SERVICE-FILE (tibra-dnsd --help for more)\n",
                optind == argc ? "no service file given"
                               : "more than one service file given");
        return 2;
    }

    /* A SIGHUP while zones load must not kill us: hold it (the reload it
     * asks for then runs once the server is up). */
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    dnsd_diag_init(&diag);
    svc_conf_init(&conf, &tb_heap);
    if (svc_load_file(&conf, argv[optind], &diag) != 0) {
        dnsd_log("%s: %u error%s; nothing started", argv[optind], diag.errors,
                 diag.errors == 1 ? "" : "s");
        svc_conf_free(&conf);
        return 1;
    }
    if (!check && !status && dnsd_catalog_expand(&conf) != 0) {
        dnsd_log("%s: catalog members could not be set up; nothing "
                 "started",
                 argv[optind]);
        svc_conf_free(&conf);
        return 1;
    }
    if (!check && !status)
        dnsd_catalog_commit(true); /* the members in use */
    if (status) { /* --status: print the running server's status file */
        rc = dnsd_status_print(&conf);
        svc_conf_free(&conf);
        return rc;
    }
    if (!check && conf.target != SVC_TARGET_UNIX) {
        dnsd_log("%s: the service's target is %s, and tibra-dnsd runs "
                 "target unix only (see tibra run)",
                 argv[optind], svc_target_name(conf.target));
        svc_conf_free(&conf);
        return 1;
    }
    if (workers == 0)
        workers = conf.workers ? conf.workers : cpu_count();
    auth_opts(&conf, &opts);
    if (dnsd_zones_load(&conf, NULL, &opts, &zones) != 0) {
        dnsd_log("%s: zones failed to load; nothing started", argv[optind]);
        svc_conf_free(&conf);
        return 1;
    }
    if (dnsd_keys_load(&conf, &keys) != 0) {
        dnsd_log("%s: TSIG keys failed to load; nothing started", argv[optind]);
        dnsd_zones_free(zones);
        svc_conf_free(&conf);
        return 1;
    }
    if (check && conf.resolver.enabled && dnsd_resolver_check(&conf) != 0) {
        dnsd_log("%s: resolver root hints or trust anchors unusable",
                 argv[optind]);
        dnsd_keys_free(keys);
        dnsd_zones_free(zones);
        svc_conf_free(&conf);
        return 1;
    }
    if (dnsd_signer_open(&signer, &conf, &opts, &zones, NULL) != 0) {
        dnsd_log("%s: signed zones failed to load; nothing started",
                 argv[optind]);
        dnsd_keys_free(keys);
        dnsd_zones_free(zones);
        svc_conf_free(&conf);
        return 1;
    }
    if (check) {
        dnsd_log("%s: ok (%zu zone%s)", argv[optind], conf.nzones,
                 conf.nzones == 1 ? "" : "s");
        dnsd_signer_close(signer);
        dnsd_keys_free(keys);
        dnsd_zones_free(zones);
        svc_conf_free(&conf);
        return 0;
    }

    /* Signals are handled by this thread alone, synchronously: block them
     * before any worker exists so every worker inherits the mask. */
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1); /* a catalog changed (dnsd_reload_request) */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    dnsd_reconf_ready();
    signal(SIGPIPE, SIG_IGN);
    raise_nofile(&conf, workers);

    rc = dnsd_server_open(&srv, &conf, workers);
    if (rc != 0) {
        dnsd_log("%s: cannot listen; nothing started", argv[optind]);
        goto out_zones;
    }
    dnsd_server_keys(srv, dnsd_keys_ring(keys));
    if (dnsd_xfrin_open(&xfrin, &conf, &opts, dnsd_keys_ring(keys), &zones) !=
        0) {
        dnsd_log("secondary zones: out of memory");
        rc = 1;
        goto out_server;
    }
    if (dnsd_update_open(&updater, &conf, &opts, dnsd_keys_ring(keys),
                         &zones) != 0) {
        dnsd_log("%s: dynamic update zones failed to load; nothing started",
                 argv[optind]);
        rc = 1;
        goto out_server;
    }
    dnsd_server_updater(srv, updater);
    dnsd_xfrin_secondaries(xfrin, &sec, &nsec);
    dnsd_server_secondaries(srv, sec, nsec);
    if (dnsd_notify_open(&dnsd_notifier, &conf, dnsd_keys_ring(keys)) != 0) {
        rc = 1;
        goto out_server;
    }
    if (dnsd_status_open(&conf) != 0) {
        rc = 1;
        goto out_server;
    }
    dnsd_server_publish(srv, zones); /* NOTIFY for every zone: loaded */
    if (conf.metrics.family != 0) {
        rc = dnsd_metrics_open(&metrics, &conf, srv);
        if (rc != 0)
            goto out_server;
        dnsd_metrics_zones(metrics, zones);
    }
    zones = NULL;
    if (conf.pidfile != NULL) {
        if (write_pidfile(conf.pidfile) != 0) {
            rc = 1;
            goto out_server;
        }
        pid_written = true;
    }
    for (size_t i = 0; i < conf.nlisten; i++) {
        char txt[SVC_ADDR_TEXT_MAX];
        svc_addr_to_text(&conf.listen[i], true, txt, sizeof(txt));
        dnsd_log("listening on %s (udp, tcp)", txt);
    }
    rc = dnsd_server_start(srv, pin);
    if (rc == 0)
        rc = dnsd_xfrin_start(xfrin, srv);
    if (rc == 0)
        rc = dnsd_update_start(updater, srv);
    if (rc == 0)
        rc = dnsd_signer_start(signer, srv);
    if (rc == 0 && metrics != NULL)
        rc = dnsd_metrics_start(metrics);
    if (rc == 0)
        rc = dnsd_notify_start(dnsd_notifier);
    if (rc == 0 && conf.resolver.enabled)
        rc = dnsd_resolver_start(&conf, srv, &resolver);
    if (rc == 0 && metrics != NULL && resolver != NULL)
        dnsd_metrics_resolver(metrics, resolver); /* its counters too */
    if (rc != 0)
        goto out_server;
    dnsd_log("%s: serving %zu zone%s with %u worker%s (tibra %s)",
             conf.name ? conf.name : argv[optind], conf.nzones,
             conf.nzones == 1 ? "" : "s", workers, workers == 1 ? "" : "s",
             TB_VERSION);
    plane = (struct dnsd_plane){&conf, &conf,   NULL, 0,    &opts,   keys,
                                xfrin, updater, NULL, NULL, metrics, signer};
    keys = NULL;
    if (dns_zonefile_read(conf.path, &plane.text, &plane.len) != 0)
        dnsd_log("%s: cannot read it again: catalog changes need a SIGHUP",
                 conf.path);
    rc = signal_loop(srv, &set);
    xfrin = plane.xfrin;
    updater = plane.upd;
    signer = plane.sig;
    keys = plane.keys;
out_server:
    if (metrics != NULL)
        dnsd_metrics_resolver(metrics, NULL); /* before it goes */
    dnsd_resolver_stop(resolver);
    resolver = NULL;
    dnsd_xfrin_close(xfrin); /* before the set it publishes into goes */
    dnsd_update_close(updater); /* likewise */
    dnsd_signer_close(signer); /* likewise */
    signer = NULL;
    dnsd_notify_close(dnsd_notifier);
    dnsd_notifier = NULL;
    dnsd_metrics_stop(metrics);
    zones = dnsd_server_stop(srv, &st);
    if (rc == 0) {
        char text[1024];
        dns_srv_stats_text(&st, text, sizeof(text));
        for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
            dnsd_log("%s", l);
    }
    if (pid_written)
        unlink(conf.pidfile);
    dnsd_status_close();
out_zones:
    dnsd_signer_close(signer); /* not started (NULL once closed above) */
    dnsd_keys_free(keys); /* after the workers stopped */
    dnsd_zones_free(zones);
    if (plane.cookie != NULL)
        memset(plane.cookie, 0, sizeof(*plane.cookie));
    free(plane.cookie);
    free(plane.rt);
    free(plane.text);
    if (plane.c != NULL && plane.c != &conf) {
        svc_conf_free(plane.c);
        free(plane.c);
    }
    svc_conf_free(&conf);
    return rc == 0 ? 0 : 1;
}
