/*
 * update.c -- tibra-dnsd's dynamic updates (RFC 2136/3007): the driver of
 * lib/dns/update.c and journal.c.  One thread applies every update, in
 * arrival order, so versions never race:
 *
 *   worker: srv core sees UPDATE --dnsd_update_submit--> queue (UDP: the
 *           worker goes on; TCP: the worker waits for the answer)
 *   update thread: dns_update_run_delta (next version + its delta,
 *           O(change) up to one merge) -> compile (records section) ->
 *           the delta --dns_journal_entry--> write + fsync FILE.journal
 *           -> dnsd_zones_swap + publish (IXFR history and NOTIFY follow
 *           from the publish) -> dns_update_reply -> send
 *
 * Past journal-max-size the zone is written out as text (temp, fsync,
 * rename) and the journal cut back to its header.  At start-up the zone
 * file is loaded and the journal replayed; entries not newer than the
 * file (a compaction cut short by a crash) are skipped.  The compile is
 * still a full one per update: O(zone), not yet O(change) as issue 10
 * asks (DESIGN.md, "update").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <tibra/dns/serial.h>
#include <tibra/dns/update.h>
#include <tibra/zonefile.h>

#include "dnsd.h"
#include "signer.h"

#define JOBS_MAX 256 /* queued updates; more are dropped (UDP retries) */
#define RESP_CAP (512 + DNS_NAME_MAXLEN + DNS_TSIG_RR_MAX)

struct job {
    struct job *next;
    int fd; /* UDP listener; -1: TCP (a worker waits for it) */
    bool done;
    struct tb_addr peer;
    size_t qlen, rlen;
    uint8_t q[DNS_SRV_QUERY_MAX];
    uint8_t resp[RESP_CAP];
};

struct uzone {
    const struct svc_zone *sz;
    size_t zi; /* index in the service's zones */
    struct dns_zone_src cur;
    struct dnsd_blob *blob; /* compiled (cur), one reference held */
    uint8_t keys[SVC_ALLOW_UPDATE_MAX][DNS_NAME_MAXLEN];
    const uint8_t *keyp[SVC_ALLOW_UPDATE_MAX];
    char jpath[4096];
    int jfd;
    uint64_t jsize, jmax;
    struct dnsd_zsign *zs; /* `dnssec`: signed online (signer.c); or NULL */
    int64_t due; /* with (zs): when signatures are next due, UNIX s */
};

struct dnsd_updater {
    const struct svc_conf *c;
    const struct dns_auth_opts *opts;
    const struct dns_tsig_keyring *kr;
    struct dnsd_server *srv;
    struct uzone *z;
    struct dns_update_zone *uz;
    size_t n;
    pthread_t th;
    bool started, stop;
    pthread_mutex_t mu;
    pthread_cond_t cv, done_cv;
    struct job *head, *tail, *free_list;
    struct job *jobs; /* [JOBS_MAX] */
};

/* ---- versions -------------------------------------------------------- */

static int compile(const struct dns_zone_src *z, struct dnsd_blob **out)
{
    return dnsd_blob_compile(z, DNS_ZONE_COMPILE_RECORDS, (int64_t)time(NULL),
                             out);
}

static int write_all(int fd, const void *p, size_t len)
{
    const uint8_t *b = p;

    while (len > 0) {
        ssize_t w = write(fd, b, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Appends delta (given) from (old) to (nb) to (z)'s journal and syncs
 * it; (given) NULL: the delta is computed from the compiled versions. */
static int journal_append(struct uzone *z, const struct dnsd_blob *old,
                          const struct dnsd_blob *nb,
                          const struct dns_ixfr_delta *given)
{
    struct tb_buf d, e;
    struct dns_ixfr_delta dl;
    int rc = 0;

    tb_buf_init(&d, &tb_heap);
    tb_buf_init(&e, &tb_heap);
    if (given != NULL) {
        dl = *given;
    } else {
        rc = dns_ixfr_diff(old->data, old->len, nb->data, nb->len, &d, &dl);
        dl.rrs = d.data;
    }
    if (rc == 0)
        rc = dns_journal_entry(&e, &dl);
    if (rc == 0 &&
        (write_all(z->jfd, e.data, e.len) != 0 || fdatasync(z->jfd) != 0)) {
        dnsd_log("%s: %s (the update is refused)", z->jpath, strerror(errno));
        /* Cut what may have been written: the next entry must follow a
         * whole one. */
        if (ftruncate(z->jfd, (off_t)z->jsize) != 0 ||
            lseek(z->jfd, (off_t)z->jsize, SEEK_SET) < 0)
            dnsd_log("%s: cannot cut back: %s", z->jpath, strerror(errno));
        rc = TB_EIO;
    }
    if (rc == 0)
        z->jsize += e.len;
    tb_buf_free(&d);
    tb_buf_free(&e);
    return rc;
}

/* Writes the zone text and cuts the journal back to its header. */
static void compact(struct uzone *z)
{
    if (dnsd_replace_file(z->sz->file, dnsd_fill_zone, &z->cur) != 0) {
        dnsd_log("zone %s: cannot write %s: %s (journal kept)", z->sz->name,
                 z->sz->file, strerror(errno));
        return;
    }
    if (ftruncate(z->jfd, DNS_JOURNAL_HDR_LEN) != 0 || fsync(z->jfd) != 0 ||
        lseek(z->jfd, DNS_JOURNAL_HDR_LEN, SEEK_SET) < 0) {
        dnsd_log("%s: cannot cut: %s", z->jpath, strerror(errno));
        return;
    }
    dnsd_log("zone %s: serial %u written to %s, journal compacted", z->sz->name,
             z->blob->serial, z->sz->file);
    z->jsize = DNS_JOURNAL_HDR_LEN;
}

/* Makes (next) zone (z)'s version: compiled, journaled (delta (dl) from
 * the current version, or NULL: diffed), published.  Takes (next) over
 * whatever happens.  0, or a TB_E* (nothing changed). */
static int commit(struct dnsd_updater *u, struct uzone *z,
                  struct dns_zone_src *next, const struct dns_ixfr_delta *dl)
{
    struct dnsd_blob *nb = NULL;
    struct dnsd_zones *nz, *old;
    int rc = compile(next, &nb);

    if (rc == 0)
        rc = journal_append(z, z->blob, nb, dl);
    /* The IXFR history takes the delta from the blob (xfrout.c). */
    if (rc == 0 && dl != NULL && (nb->delta = malloc(dl->len + 1)) != NULL) {
        memcpy(nb->delta, dl->rrs, dl->len);
        nb->d = *dl;
        nb->d.rrs = nb->delta;
    }
    if (rc != 0) {
        dnsd_blob_put(nb);
        dns_zone_src_free(next);
        return rc;
    }
    /* Durable from here: it is the zone's version, published or not. */
    dns_zone_src_free(&z->cur);
    z->cur = *next;
    memset(next, 0, sizeof(*next));
    pthread_mutex_lock(&dnsd_publish_lock);
    dnsd_blob_put(z->blob);
    z->blob = nb;
    rc = dnsd_zones_swap(u->c, dnsd_server_current(u->srv), z->zi, nb, u->opts,
                         &nz);
    if (rc == 0) {
        old = dnsd_server_publish(u->srv, nz);
        dnsd_zones_free(old);
    }
    pthread_mutex_unlock(&dnsd_publish_lock);
    if (rc != 0)
        dnsd_log("zone %s: cannot build the zone set: %s", z->sz->name,
                 tb_strerror(rc));
    if (z->jsize > z->jmax)
        compact(z);
    return rc;
}

/* ---- the thread -------------------------------------------------------- */

static void reply_udp(const struct job *j)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int dom = 0;
    socklen_t dl = sizeof(dom);

    memset(&ss, 0, sizeof(ss));
    getsockopt(j->fd, SOL_SOCKET, SO_DOMAIN, &dom, &dl);
    if (j->peer.af == TB_AF_INET && dom == AF_INET) {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(j->peer.port);
        memcpy(&s4->sin_addr, j->peer.ip, 4);
        sl = sizeof(*s4);
    } else {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(j->peer.port);
        if (j->peer.af == TB_AF_INET) { /* v4-mapped on a dual socket */
            s6->sin6_addr.s6_addr[10] = s6->sin6_addr.s6_addr[11] = 0xff;
            memcpy(&s6->sin6_addr.s6_addr[12], j->peer.ip, 4);
        } else {
            memcpy(&s6->sin6_addr, j->peer.ip, 16);
        }
        sl = sizeof(*s6);
    }
    if (sendto(j->fd, j->resp, j->rlen, 0, (struct sockaddr *)&ss, sl) < 0)
        dnsd_debug("update: answer not sent: %s", strerror(errno));
}

static void process(struct dnsd_updater *u, struct job *j)
{
    struct dns_update up;
    struct dns_zone_src next;
    struct tb_buf delta;
    struct dns_ixfr_delta dl;
    uint64_t now_s = (uint64_t)time(NULL);
    unsigned rcode;

    for (size_t i = 0; i < u->n; i++)
        u->uz[i].cur = &u->z[i].cur;
    tb_buf_init(&delta, &tb_heap);
    dns_update_run_delta(&up, u->uz, u->n, u->kr, j->q, j->qlen, now_s, &next,
                         &delta, &dl, &tb_heap);
    rcode = up.rcode;
    if (up.changed) {
        struct uzone *z = &u->z[up.zone];
        uint32_t from = z->blob->serial;
        int rc;
        /* Here (next) is the new version and (dl) the change from (z->cur):
         * a step that changes (next) (signing) adds its records to both,
         * or passes NULL to commit() to have the versions diffed. */
        dl.rrs = delta.data;
        rc = z->zs != NULL ? dnsd_zsign_version(z->zs, &next, &z->cur, &z->due)
                           : 0; /* signed: RRSIGs and chain change too */
        if (rc == 0)
            rc = commit(u, z, &next, z->zs != NULL ? NULL : &dl);
        /* Only a durable update is acknowledged: journaled, it is the
         * zone's version (even if the set could not be published). */
        if (z->blob->serial != up.serial)
            rcode = DNS_RCODE_SERVFAIL;
        else
            dnsd_debug("zone %s: updated, serial %u -> %u%s", z->sz->name, from,
                       up.serial, rc != 0 ? " (not published)" : "");
    } else if (up.why[0] != '\0') {
        dnsd_debug("update %s: %s",
                   up.zone < u->n ? u->z[up.zone].sz->name : "(no zone)",
                   up.why);
    }
    dns_zone_src_free(&next);
    tb_buf_free(&delta);
    j->rlen = dns_update_reply(&up, j->q, j->qlen, rcode, j->resp,
                               sizeof(j->resp), now_s, u->kr);
}

/* ---- online signing (signer.c) ------------------------------------- */

/* The earliest time a signed zone's signatures are due; INT64_MAX: none. */
static int64_t sign_due(const struct dnsd_updater *u)
{
    int64_t due = INT64_MAX;

    for (size_t i = 0; i < u->n; i++)
        if (u->z[i].zs != NULL)
            due = TB_MIN(due, u->z[i].due);
    return due;
}

/* Refreshes the signatures that are due: a version of its own, journaled
 * and published as an update's. */
static void sign_refresh(struct dnsd_updater *u)
{
    for (size_t i = 0; i < u->n; i++) {
        struct uzone *z = &u->z[i];
        struct dns_zone_src next;
        bool changed;
        if (z->zs == NULL || z->due > dnsd_zsign_now())
            continue;
        if (dnsd_zsign_refresh(z->zs, &z->cur, false, &next, &changed,
                               &z->due) != 0) {
            dns_zone_src_free(&next);
            z->due = dnsd_zsign_now() + 60; /* logged; try again */
            continue;
        }
        if (commit(u, z, &next, NULL) == 0)
            dnsd_log("zone %s: signatures refreshed, serial %u", z->sz->name,
                     z->blob->serial);
    }
}

static void *update_main(void *arg)
{
    struct dnsd_updater *u = arg;

    for (;;) {
        struct job *j;
        pthread_mutex_lock(&u->mu);
        while (u->head == NULL && !u->stop) {
            int64_t due = sign_due(u);
            if (due == INT64_MAX) {
                pthread_cond_wait(&u->cv, &u->mu);
            } else if (due <= dnsd_zsign_now()) {
                pthread_mutex_unlock(&u->mu);
                sign_refresh(u);
                pthread_mutex_lock(&u->mu);
            } else {
                struct timespec ts = {(time_t)due, 0};
                pthread_cond_timedwait(&u->cv, &u->mu, &ts);
            }
        }
        if (u->head == NULL) {
            pthread_mutex_unlock(&u->mu);
            return NULL;
        }
        j = u->head;
        u->head = j->next;
        if (u->head == NULL)
            u->tail = NULL;
        pthread_mutex_unlock(&u->mu);
        process(u, j);
        pthread_mutex_lock(&u->mu);
        if (j->fd >= 0) {
            if (j->rlen != 0)
                reply_udp(j);
            j->next = u->free_list;
            u->free_list = j;
        } else {
            j->done = true;
            pthread_cond_broadcast(&u->done_cv);
        }
        pthread_mutex_unlock(&u->mu);
    }
}

size_t dnsd_update_submit(struct dnsd_updater *u, int udp_fd,
                          const struct tb_addr *peer, const uint8_t *q,
                          size_t qlen, uint8_t *resp, size_t cap)
{
    struct job *j;
    size_t len = 0;

    if (qlen > DNS_SRV_QUERY_MAX)
        return 0;
    pthread_mutex_lock(&u->mu);
    if ((j = u->free_list) == NULL || u->stop) {
        pthread_mutex_unlock(&u->mu);
        return 0; /* full: dropped, the client retries */
    }
    u->free_list = j->next;
    j->next = NULL;
    j->fd = udp_fd;
    j->done = false;
    j->qlen = qlen;
    j->rlen = 0;
    memcpy(j->q, q, qlen);
    if (peer != NULL)
        j->peer = *peer;
    else
        memset(&j->peer, 0, sizeof(j->peer));
    if (u->tail != NULL)
        u->tail->next = j;
    else
        u->head = j;
    u->tail = j;
    pthread_cond_signal(&u->cv);
    if (udp_fd < 0) {
        while (!j->done)
            pthread_cond_wait(&u->done_cv, &u->mu);
        if (j->rlen <= cap) {
            memcpy(resp, j->resp, j->rlen);
            len = j->rlen;
        }
        j->next = u->free_list;
        u->free_list = j;
    }
    pthread_mutex_unlock(&u->mu);
    return len;
}

/* ---- start-up -------------------------------------------------------- */

/* Where replay() puts the versions the IXFR history keeps (start-up). */
struct stage {
    const struct svc_conf *c;
    const struct dns_auth_opts *opts;
    struct dnsd_zones **zones;
};

/* Compiles (z)'s current version and swaps it into (*st->zones): each
 * swap adds the delta from the previous one to the IXFR history
 * (dnsd_xfr_setup), as a publish does.  0 or a TB_E* (logged). */
static int stage_version(struct uzone *z, const struct stage *st)
{
    struct dnsd_blob *b = NULL;
    struct dnsd_zones *nz;
    int rc = compile(&z->cur, &b);

    if (rc != 0) {
        dnsd_log("zone %s: does not compile: %s", z->sz->name, tb_strerror(rc));
        return rc;
    }
    dnsd_blob_put(z->blob);
    z->blob = b;
    if ((rc = dnsd_zones_swap(st->c, *st->zones, z->zi, b, st->opts, &nz)) != 0)
        return rc;
    dnsd_zones_free(*st->zones);
    *st->zones = nz;
    return 0;
}

/* The entries of journal (p, len) that apply after serial (serial). */
static size_t count_newer(const uint8_t *p, size_t len, uint32_t serial)
{
    struct dns_ixfr_delta d;
    size_t off = 0, n = 0;

    while (dns_journal_next(p, len, &off, &d) == 0)
        if (dns_serial_newer(d.to, serial)) {
            serial = d.to;
            n++;
        }
    return n;
}

/*
 * Replays (z)'s journal onto its loaded version; the versions of its last
 * ixfr-history entries (with allow-transfer) are swapped into the zone set
 * in turn, so IXFR out serves the journal's deltas after a restart, and
 * the last one always is.  0 or a TB_E* (logged).
 */
static int replay(struct uzone *z, const struct stage *st)
{
    char *text = NULL;
    size_t len = 0, off = 0, n = 0, skipped = 0;
    struct dns_ixfr_delta d;
    struct dns_diag diag;
    uint8_t hdr[DNS_JOURNAL_HDR_LEN];
    struct stat sb;
    int rc;

    dnsd_diag_init(&diag);
    z->jfd = open(z->jpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (z->jfd < 0 || fstat(z->jfd, &sb) != 0) {
        dnsd_log("%s: %s", z->jpath, strerror(errno));
        return TB_EIO;
    }
    if (sb.st_size == 0) {
        dns_journal_header(hdr);
        if (write_all(z->jfd, hdr, sizeof(hdr)) != 0 || fsync(z->jfd) != 0) {
            dnsd_log("%s: %s", z->jpath, strerror(errno));
            return TB_EIO;
        }
        z->jsize = DNS_JOURNAL_HDR_LEN;
        return stage_version(z, st);
    }
    if ((rc = dns_zonefile_read(z->jpath, &text, &len)) != 0) {
        dnsd_log("%s: %s", z->jpath, tb_strerror(rc));
        return rc;
    }
    size_t total =
        count_newer((const uint8_t *)text, len, dns_zone_src_serial(&z->cur));
    size_t keep = z->sz->nallow_xfr != 0 ? z->sz->ixfr_history : 0;
    size_t first = total > keep ? total - keep : 0; /* first one staged */
    if (keep != 0 && first == 0 && (rc = stage_version(z, st)) != 0)
        goto out_text;
    while ((rc = dns_journal_next((const uint8_t *)text, len, &off, &d)) == 0) {
        struct dns_zone_src next;
        uint32_t serial = dns_zone_src_serial(&z->cur);
        if (!dns_serial_newer(d.to, serial)) {
            skipped++; /* already in the zone file (compaction) */
            continue;
        }
        rc = dns_journal_apply(&z->cur, &d, &next, &tb_heap, &diag);
        if (rc != 0) {
            dns_zone_src_free(&next);
            dnsd_log("%s: entry %zu (serial %u -> %u) does not apply to "
                     "serial %u of %s: %s; nothing started (move the "
                     "journal away to serve the file alone)",
                     z->jpath, n + skipped + 1, d.from, d.to, serial,
                     z->sz->file, tb_strerror(rc));
            free(text);
            return rc;
        }
        dns_zone_src_free(&z->cur);
        z->cur = next;
        n++;
        if (keep != 0 && n >= first && n != total &&
            (rc = stage_version(z, st)) != 0)
            goto out_text;
    }
    if (rc == TB_EMALF) {
        dnsd_log("%s: not a journal; nothing started", z->jpath);
        free(text);
        return rc;
    }
    if (rc == TB_ETRUNC) {
        dnsd_log("%s: a torn entry at byte %zu (%zu bytes) cut off: it was "
                 "never acknowledged",
                 z->jpath, off, len - off);
        if (ftruncate(z->jfd, (off_t)off) != 0 || fsync(z->jfd) != 0) {
            dnsd_log("%s: %s", z->jpath, strerror(errno));
            free(text);
            return TB_EIO;
        }
    }
    free(text);
    z->jsize = off;
    if (lseek(z->jfd, (off_t)off, SEEK_SET) < 0)
        return TB_EIO;
    if (n != 0 || skipped != 0)
        dnsd_log("zone %s: %zu journal entr%s replayed, %zu skipped "
                 "(serial %u)",
                 z->sz->name, n, n == 1 ? "y" : "ies", skipped,
                 dns_zone_src_serial(&z->cur));
    return stage_version(z, st);
out_text:
    free(text);
    return rc;
}

/* Start-up of a `dnssec` zone: its keys, and the version from the file and
 * journal signed (its own signatures verified and kept while not due); a
 * version that changed is journaled with a new serial. */
static int sign_open(struct dnsd_updater *u, struct uzone *z,
                     const struct stage *st)
{
    struct dns_zone_src next;
    struct dnsd_blob *nb = NULL;
    bool changed;
    int rc = dnsd_zsign_open(u->c, z->sz, &z->zs);

    if (rc != 0)
        return rc;
    rc = dnsd_zsign_refresh(z->zs, &z->cur, true, &next, &changed, &z->due);
    if (rc != 0 || !changed) { /* unchanged: served as journaled */
        dns_zone_src_free(&next);
        return rc;
    }
    rc = compile(&next, &nb);
    if (rc == 0)
        rc = journal_append(z, z->blob, nb, NULL);
    dnsd_blob_put(nb);
    if (rc != 0) {
        dns_zone_src_free(&next);
        return rc;
    }
    dns_zone_src_free(&z->cur);
    z->cur = next;
    dnsd_log("zone %s: signed, serial %u", z->sz->name,
             dns_zone_src_serial(&z->cur));
    return stage_version(z, st);
}

static int open_zone(struct dnsd_updater *u, struct uzone *z, size_t zi,
                     const struct stage *st)
{
    const struct svc_zone *sz = &u->c->zones[zi];
    struct dns_diag diag;
    int rc;

    dnsd_diag_init(&diag);
    z->sz = sz;
    z->zi = zi;
    z->jfd = -1;
    z->jmax = sz->journal_max_size ? sz->journal_max_size
                                   : SVC_DEFAULT_JOURNAL_MAX_SIZE;
    snprintf(z->jpath, sizeof(z->jpath), "%s.journal", sz->file);
    for (unsigned k = 0; k < sz->nallow_update; k++) {
        const struct svc_key *key = svc_key_find(
            u->c, sz->allow_update_key[k], strlen(sz->allow_update_key[k]));
        if (key != NULL)
            memcpy(z->keys[k], key->wire, key->wire_len);
        z->keyp[k] = z->keys[k];
    }
    rc = dns_zone_load_file(&z->cur, sz->file, sz->origin, DNS_CLASS_IN,
                            &tb_heap, &diag);
    if (rc != 0) {
        dnsd_log("zone %s: not loaded (errors above)", sz->name);
        return rc;
    }
    if ((rc = replay(z, st)) != 0)
        return rc;
    if (sz->dnssec_dir != NULL && (rc = sign_open(u, z, st)) != 0)
        return rc;
    dnsd_log("zone %s: serial %u, %zu records, updates allowed (journal %s)",
             sz->name, z->blob->serial, z->blob->nrr, z->jpath);
    return 0;
}

int dnsd_update_open(struct dnsd_updater **out, const struct svc_conf *c,
                     const struct dns_auth_opts *opts,
                     const struct dns_tsig_keyring *kr,
                     struct dnsd_zones **zones)
{
    struct dnsd_updater *u;
    size_t n = 0;
    int rc = 0;

    *out = NULL;
    for (size_t i = 0; i < c->nzones; i++)
        n += c->zones[i].nallow_update != 0;
    if (n == 0)
        return 0;
    if ((u = calloc(1, sizeof(*u))) == NULL ||
        (u->z = calloc(n, sizeof(*u->z))) == NULL ||
        (u->uz = calloc(n, sizeof(*u->uz))) == NULL ||
        (u->jobs = calloc(JOBS_MAX, sizeof(*u->jobs))) == NULL) {
        dnsd_update_close(u);
        return TB_ENOMEM;
    }
    u->c = c;
    u->opts = opts;
    u->kr = kr;
    pthread_mutex_init(&u->mu, NULL);
    pthread_cond_init(&u->cv, NULL);
    pthread_cond_init(&u->done_cv, NULL);
    for (size_t k = 0; k < JOBS_MAX; k++) {
        u->jobs[k].next = u->free_list;
        u->free_list = &u->jobs[k];
    }
    struct stage st = {c, opts, zones};
    for (size_t i = 0; i < c->nzones && rc == 0; i++) {
        struct uzone *z = &u->z[u->n];
        if (c->zones[i].nallow_update == 0)
            continue;
        u->n++;
        rc = open_zone(u, z, i, &st);
        u->uz[u->n - 1] = (struct dns_update_zone){
            c->zones[i].origin, NULL, z->keyp, c->zones[i].nallow_update,
            (enum dns_serial_policy)c->zones[i].serial_policy};
    }
    if (rc != 0) {
        dnsd_update_close(u);
        return rc;
    }
    *out = u;
    return 0;
}

int dnsd_update_start(struct dnsd_updater *u, struct dnsd_server *srv)
{
    if (u == NULL)
        return 0;
    u->srv = srv;
    return dnsd_plane_start(&u->th, &u->mu, &u->stop, &u->started, update_main,
                            u, "update");
}

void dnsd_update_stop(struct dnsd_updater *u)
{
    if (u != NULL)
        dnsd_plane_stop(u->th, &u->mu, &u->cv, &u->stop, &u->started);
}

void dnsd_update_close(struct dnsd_updater *u)
{
    if (u == NULL)
        return;
    dnsd_update_stop(u);
    for (size_t i = 0; u->z != NULL && i < u->n; i++) {
        dns_zone_src_free(&u->z[i].cur);
        dnsd_zsign_free(u->z[i].zs);
        dnsd_blob_put(u->z[i].blob);
        if (u->z[i].jfd >= 0)
            close(u->z[i].jfd);
    }
    free(u->z);
    free(u->uz);
    free(u->jobs);
    free(u);
}
