/*
 * status.c -- tibra-dnsd's status file and `tibra-dnsd --status`: what an
 * operator woken at 3 a.m. asks first -- is it running, which zones does
 * it serve at which serial, when did each secondary last transfer, when
 * does it check again, when does it expire, and what went wrong last.
 *
 * With `status-file PATH` in the service file, the file is rewritten
 * atomically (a temporary file renamed over it) whenever something in it
 * changes: every zone set published (start-up, SIGHUP, a transfer in: all
 * go through dnsd_server_publish), and every secondary's state after the
 * transfer thread ran it.  `tibra-dnsd --status SERVICE-FILE` prints it
 * and says whether the process that wrote it is still running (exit 0) or
 * not (exit 1: the file is the last run's).  No socket, no protocol: the
 * file can also be read with cat, scraped, or copied off a box.
 * Cold path: one mutex around the table; writers are the main thread and
 * the transfer thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tibra/dns/xfrin.h>

#include "dnsd.h"

/* One zone's line. */
struct zst {
    bool loaded;
    uint32_t serial;
    int64_t loaded_at; /* UNIX time of the version served */
    bool serving; /* secondaries: not expired */
    int64_t next_check, expires; /* secondaries: UNIX times, 0: none */
    char event[160]; /* the last transfer or problem, with its time */
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const struct svc_conf *conf;
static const char *spath; /* the start-up conf's status-file (lives on) */
static struct zst *tab; /* [conf->nzones]; NULL: no status file */
static int64_t started;

static void iso(int64_t t, char *buf, size_t cap)
{
    struct tm tm;
    time_t tt = (time_t)t;

    if (t == 0 || gmtime_r(&tt, &tm) == NULL)
        snprintf(buf, cap, "-");
    else
        strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *kind(const struct svc_zone *z)
{
    if (z->catalog_role == SVC_CATALOG_PRODUCER)
        return "catalog";
    return z->nprimary > 0 ? "secondary" : "primary";
}

/* Writes the table (under mu). */
static void write_status(void)
{
    char tmp[4096], t1[32], t2[32], t3[32];
    FILE *f;
    int fd;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp", spath) >= (int)sizeof(tmp))
        return;
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
        if (fd >= 0)
            close(fd);
        dnsd_log("cannot write status-file %s: %s", tmp, strerror(errno));
        return;
    }
    iso(started, t1, sizeof(t1));
    iso((int64_t)time(NULL), t2, sizeof(t2));
    fprintf(f, "tibra-dnsd pid %ld, up since %s, written %s\n", (long)getpid(),
            t1, t2);
    fprintf(f, "%-30s %-9s %-10s %-20s %-20s %-20s %s\n", "ZONE", "KIND",
            "SERIAL", "VERSION-FROM", "NEXT-CHECK", "EXPIRES", "LAST-EVENT");
    for (size_t i = 0; i < conf->nzones; i++) {
        const struct zst *z = &tab[i];
        char serial[16] = "-";
        if (z->loaded)
            snprintf(serial, sizeof(serial), "%u", z->serial);
        else
            snprintf(serial, sizeof(serial), "none");
        iso(z->loaded ? z->loaded_at : 0, t1, sizeof(t1));
        iso(z->next_check, t2, sizeof(t2));
        iso(z->expires, t3, sizeof(t3));
        fprintf(f, "%-30s %-9s %-10s %-20s %-20s %-20s %s\n",
                conf->zones[i].name, kind(&conf->zones[i]), serial, t1, t2, t3,
                z->event[0] ? z->event : "-");
    }
    if (fclose(f) != 0 || rename(tmp, spath) != 0) {
        dnsd_log("cannot write status-file %s: %s", spath, strerror(errno));
        unlink(tmp);
    }
}

int dnsd_status_open(const struct svc_conf *c)
{
    if (c->status_file == NULL)
        return 0;
    tab = calloc(c->nzones + 1, sizeof(*tab));
    if (tab == NULL)
        return TB_ENOMEM;
    conf = c;
    spath = c->status_file;
    started = (int64_t)time(NULL);
    return 0;
}

void dnsd_status_published(const struct dnsd_zones *z)
{
    if (tab == NULL)
        return;
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < z->n && i < conf->nzones; i++) {
        const struct dnsd_blob *b = z->blob[i];
        /* A transferred blob has no load time: it came now, unless it
         * is the version already shown. */
        int64_t at = b == NULL        ? 0
                     : b->loaded != 0 ? b->loaded
                     : tab[i].loaded && tab[i].serial == b->serial
                         ? tab[i].loaded_at
                         : (int64_t)time(NULL);
        tab[i].loaded = b != NULL;
        tab[i].serial = b != NULL ? b->serial : 0;
        tab[i].loaded_at = at;
    }
    write_status();
    pthread_mutex_unlock(&mu);
}

void dnsd_status_secondary(size_t zi, const struct dns_xfrin *x, uint64_t now,
                           const char *event)
{
    int64_t wall = (int64_t)time(NULL), next = 0, exp = 0;
    uint64_t dl = dns_xfrin_deadline(x);
    uint32_t ein = dns_xfrin_expire_in(x, now);
    struct zst *z;
    bool changed;

    if (tab == NULL || zi >= conf->nzones)
        return;
    if (dl != UINT64_MAX)
        next = wall + (int64_t)((dl > now ? dl - now : 0) / 1000000000u);
    if (ein != 0)
        exp = wall + ein;
    pthread_mutex_lock(&mu);
    z = &tab[zi];
    /* Deadlines that move by seconds during an exchange are not news. */
    changed = event != NULL || z->serving != dns_xfrin_serving(x) ||
              llabs(z->next_check - next) >= 5 || llabs(z->expires - exp) >= 5;
    z->serving = dns_xfrin_serving(x);
    z->next_check = next;
    z->expires = exp;
    if (event != NULL) {
        char t[32];
        iso(wall, t, sizeof(t));
        snprintf(z->event, sizeof(z->event), "%s %s", t, event);
        for (char *p = z->event; *p; p++) /* one line per zone */
            if (*p == '\n')
                *p = ' ';
    }
    if (changed)
        write_status();
    pthread_mutex_unlock(&mu);
}

void dnsd_status_reconf(const struct svc_conf *c)
{
    struct zst *nt;

    if (tab == NULL)
        return; /* status-file is set up once (a restart changes it) */
    nt = calloc(c->nzones + 1, sizeof(*nt));
    if (nt == NULL) {
        dnsd_log("status-file: out of memory; not updated");
        return;
    }
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < c->nzones; i++)
        for (size_t k = 0; k < conf->nzones; k++)
            if (conf->zones[k].origin_len == c->zones[i].origin_len &&
                memcmp(conf->zones[k].origin, c->zones[i].origin,
                       c->zones[i].origin_len) == 0) {
                nt[i] = tab[k];
                break;
            }
    free(tab);
    tab = nt;
    conf = c; /* the file stays (spath): the service's setting */
    pthread_mutex_unlock(&mu);
}

void dnsd_status_close(void)
{
    if (tab == NULL)
        return;
    unlink(spath);
    free(tab);
    tab = NULL;
}

int dnsd_status_print(const struct svc_conf *c)
{
    char line[512];
    long pid = 0;
    struct stat st;
    FILE *f;
    bool first = true;

    if (c->status_file == NULL) {
        fprintf(stderr,
                "tibra-dnsd: %s: no status-file (add `status-file PATH` to "
                "service:)\n",
                c->path);
        return 2;
    }
    f = fopen(c->status_file, "r");
    if (f == NULL) {
        fprintf(stderr,
                "tibra-dnsd: %s: %s (tibra-dnsd is not running, or has not "
                "started serving)\n",
                c->status_file, strerror(errno));
        return 1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        if (first && sscanf(line, "tibra-dnsd pid %ld", &pid) != 1)
            pid = 0;
        first = false;
        fputs(line, stdout);
    }
    fclose(f);
    if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
        printf("NOT RUNNING: pid %ld is gone; this is its last status\n", pid);
        return 1;
    }
    if (stat(c->status_file, &st) == 0)
        printf("running (status written %lld s ago)\n",
               (long long)(time(NULL) - st.st_mtime));
    return 0;
}
