/*
 * main.c -- tibra-vmmd, the unikernel manager: one daemon per host that
 * runs spt and hvt images under their tenders, restarts them, keeps
 * their consoles and counts them (docs/deploy.md, docs/DESIGN.md "vmmd").
 *
 *   Unix socket (0660, --group) --frame--> proto.c decoder --> dispatch
 *     --> vm.c (create, destroy, ...) --> response frames --> client
 *   signalfd: SIGCHLD --> vm_reap; SIGTERM/SIGINT --> stop all, exit 0
 *   console pipes --> rings (and followers); back-off timers --> vm_tick
 *
 * One thread and one poll(2) loop; clients are non-blocking and one
 * request per connection (console --follow keeps it open).  A request
 * that is malformed or larger than VMMD_FRAME_MAX gets an error frame and
 * the connection is closed; nothing a client sends ends the daemon.
 * Stopping a tender blocks the loop for at most VMMD_STOP_MS.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <tibra/version.h>

#include "metrics_http.h"
#include "vmmd.h"

#define CONN_MAX     64
#define CONN_OUT_MAX (1u << 20) /* a follower this far behind is dropped */
#define CONN_IDLE_MS 10000 /* a request must arrive whole within this */

struct vmmd vmmd = {.kvm_fd = -1};

struct conn {
    int fd, img_fd;
    uint8_t *in; /* 4 + VMMD_FRAME_MAX */
    size_t inlen;
    struct sbuf out;
    size_t outoff;
    bool done; /* close once out is sent */
    int64_t deadline; /* the request must be in by then (now_ms) */
    char follow[VMMD_NAME_MAX]; /* console --follow of this unikernel */
    struct conn *next;
};

static struct conn *conns;
static unsigned nconns;

static const char usage_text[] =
    "usage: tibra-vmmd [--state DIR] [--socket PATH] [--group GROUP]\n"
    "                  [--user USER] [--max-mem MIB] [--max-unikernels N]\n"
    "                  [--allow-cpus LIST] [--allow-bridge BRIDGE]...\n"
    "                  [--metrics ADDR:PORT] [--tender-dir DIR]\n"
    "Runs Tibra unikernels (spt, hvt) for the tibra create/destroy/list/...\n"
    "commands, which reach it on its Unix socket.\n"
    "  --state DIR         records, images, blocks (default "
    "/var/lib/tibra-vmmd)\n"
    "  --socket PATH       default /run/tibra-vmmd.sock\n"
    "  --group GROUP       who may use the socket (mode 0660; default: root "
    "only)\n"
    "  --user USER         tenders run as USER (default nobody)\n"
    "  --max-mem MIB       total guest memory of all unikernels\n"
    "  --max-unikernels N  how many unikernels\n"
    "  --allow-cpus LIST   CPUs --cpus may name (0-3,6)\n"
    "  --allow-bridge BR   bridges --net may name (repeatable; default any)\n"
    "  --metrics ADDR:PORT serve tibra stats' text on GET /metrics\n"
    "  --tender-dir DIR    where tibra-spt and tibra-hvt are (default: beside "
    "this program, or PATH)\n"
    "See docs/deploy.md.  Exit: 0 after SIGTERM/SIGINT, 1 on a start-up "
    "error.\n";

static void frame(struct sbuf *out, int kind, const char *text, size_t n)
{
    uint8_t h[5];

    if (n > VMMD_FRAME_MAX - 1)
        n = VMMD_FRAME_MAX - 1; /* frames() splits longer texts */
    vmmd_put32(h, (uint32_t)n + 1);
    h[4] = (uint8_t)kind;
    sb_add(out, (const char *)h, 5);
    sb_add(out, text, n);
}

/* Sends (text) in as many frames as it needs. */
static void frames(struct sbuf *out, int kind, const char *text)
{
    size_t n = text ? strlen(text) : 0;

    while (n > VMMD_FRAME_MAX - 1) {
        frame(out, VMMD_R_MORE, text, VMMD_FRAME_MAX - 1);
        text += VMMD_FRAME_MAX - 1;
        n -= VMMD_FRAME_MAX - 1;
    }
    frame(out, kind, text ? text : "", n);
}

static void on_line(struct vm *vm, const char *text)
{
    char t[32], line[VMMD_LINE_MAX + 40];

    for (struct conn *c = conns; c != NULL; c = c->next) {
        if (strcmp(c->follow, vm->rec.name) != 0 || c->done)
            continue;
        fmt_time(real_ms(), t);
        snprintf(line, sizeof(line), "%s %s\n", t, text);
        if (c->out.len - c->outoff > CONN_OUT_MAX) {
            c->done = true; /* too slow: it ends here */
            c->follow[0] = 0;
            continue;
        }
        frame(&c->out, VMMD_R_MORE, line, strlen(line));
    }
}

static void end_followers(const char *name)
{
    for (struct conn *c = conns; c != NULL; c = c->next)
        if (!strcmp(c->follow, name)) {
            frames(&c->out, VMMD_R_OK, "[tibra-vmmd] destroyed\n");
            c->follow[0] = 0;
            c->done = true;
        }
}

static void handle(struct conn *c, const uint8_t *body, size_t n)
{
    struct vmmd_req r;
    struct sbuf out = {0};
    char err[512];
    int rc = 0;

    int bad = vmmd_req_decode(body, n, &r, err, sizeof(err));
    if (bad == 0 && r.op == VMMD_OP_RECORD) {
        snprintf(err, sizeof(err), "not a request (a state record)");
        bad = -1;
    }
    if (bad != 0) {
        frames(&c->out, VMMD_R_ERR, err);
        c->done = true;
        return;
    }
    /* Changes are logged with who asked (journal/syslog audit trail). */
    if (r.op == VMMD_OP_CREATE || r.op == VMMD_OP_DESTROY ||
        r.op == VMMD_OP_RESTART || r.op == VMMD_OP_BLOCK_CREATE ||
        r.op == VMMD_OP_BLOCK_DESTROY) {
        struct ucred cr = {0, (uid_t)-1, (gid_t)-1};
        socklen_t cl = sizeof(cr);
        static const char *const names[] = {
            [VMMD_OP_CREATE] = "create",
            [VMMD_OP_DESTROY] = "destroy",
            [VMMD_OP_RESTART] = "restart",
            [VMMD_OP_BLOCK_CREATE] = "block create",
            [VMMD_OP_BLOCK_DESTROY] = "block destroy"};
        getsockopt(c->fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
        fprintf(stderr, "tibra-vmmd: %s: %s asked by uid %d (pid %d)\n", r.name,
                names[r.op], (int)cr.uid, (int)cr.pid);
    }
    switch (r.op) {
    case VMMD_OP_CREATE:
        rc = vm_create(&r, c->img_fd, err, sizeof(err));
        if (rc == 0) {
            struct vm *v = vm_find(r.name);
            sb_printf(&out, "created %s: %s, %u MiB, image sha256:%s\n", r.name,
                      v->rec.target, v->mem_mib, v->rec.image);
        }
        break;
    case VMMD_OP_DESTROY:
        rc = vm_destroy(r.name, err, sizeof(err));
        if (rc == 0) {
            end_followers(r.name);
            sb_printf(&out, "destroyed %s\n", r.name);
        }
        break;
    case VMMD_OP_RESTART:
        rc = vm_restart(r.name, err, sizeof(err));
        if (rc == 0)
            sb_printf(&out, "restarted %s\n", r.name);
        break;
    case VMMD_OP_LIST:
        vm_list(&out);
        break;
    case VMMD_OP_INFO:
        rc = vm_info(r.name, &out, err, sizeof(err));
        break;
    case VMMD_OP_CONSOLE: {
        struct vm *v = vm_find(r.name);
        if (v == NULL) {
            snprintf(err, sizeof(err), "no unikernel named %s", r.name);
            rc = -1;
            break;
        }
        ring_dump(&v->ring,
                  r.since_s ? real_ms() - (int64_t)r.since_s * 1000 : 0, &out);
        if (r.follow) {
            frames(&c->out, VMMD_R_MORE, out.s);
            sb_free(&out);
            snprintf(c->follow, sizeof(c->follow), "%s", r.name);
            return;
        }
        break;
    }
    case VMMD_OP_STATS:
        if (r.name[0] && vm_find(r.name) == NULL) {
            snprintf(err, sizeof(err), "no unikernel named %s", r.name);
            rc = -1;
            break;
        }
        stats_text(r.name[0] ? r.name : NULL, &out);
        break;
    case VMMD_OP_BLOCK_CREATE:
        rc = block_create(r.name, r.size_mib, err, sizeof(err));
        if (rc == 0)
            sb_printf(&out, "created block %s, %u MiB\n", r.name, r.size_mib);
        break;
    case VMMD_OP_BLOCK_LIST:
        block_list(&out);
        break;
    case VMMD_OP_BLOCK_DESTROY:
        rc = block_destroy(r.name, err, sizeof(err));
        if (rc == 0)
            sb_printf(&out, "destroyed block %s\n", r.name);
        break;
    }
    if (rc != 0)
        frames(&c->out, VMMD_R_ERR, err);
    else
        frames(&c->out, VMMD_R_OK, out.s);
    sb_free(&out);
    c->done = true;
}

static void conn_close(struct conn *c)
{
    for (struct conn **p = &conns; *p != NULL; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            break;
        }
    close(c->fd);
    if (c->img_fd >= 0)
        close(c->img_fd);
    sb_free(&c->out);
    free(c->in);
    free(c);
    nconns--;
}

/* Reads what there is; handles a complete request.  false: close. */
static bool conn_read(struct conn *c)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct iovec iov = {c->in + c->inlen, 4 + VMMD_FRAME_MAX - c->inlen};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = cm.buf,
                       .msg_controllen = sizeof(cm.buf)};
    ssize_t n;

    if (c->done || c->follow[0]) { /* nothing more is read: until EOF */
        n = recv(c->fd, cm.buf, sizeof(cm.buf), MSG_DONTWAIT);
        return n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR));
    }
    n = recvmsg(c->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h != NULL;
         h = CMSG_NXTHDR(&m, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
            h->cmsg_len == CMSG_LEN(sizeof(int))) {
            int fd;
            memcpy(&fd, CMSG_DATA(h), sizeof(fd));
            if (c->img_fd >= 0)
                close(fd); /* one image per request */
            else
                c->img_fd = fd;
        }
    }
    if (n == 0)
        return false;
    c->inlen += (size_t)n;
    if (c->inlen < 4)
        return true;
    uint32_t len = vmmd_get32(c->in);
    if (len < 4 || len > VMMD_FRAME_MAX) {
        char e[96];
        snprintf(e, sizeof(e), "request of %u bytes: want 4..%u", len,
                 VMMD_FRAME_MAX);
        frames(&c->out, VMMD_R_ERR, e);
        c->done = true;
        return true;
    }
    if (c->inlen > 4 + (size_t)len) {
        frames(&c->out, VMMD_R_ERR, "bytes after the request");
        c->done = true;
        return true;
    }
    if (c->inlen == 4 + (size_t)len)
        handle(c, c->in + 4, len);
    return true;
}

static bool conn_write(struct conn *c)
{
    while (c->outoff < c->out.len) {
        ssize_t n = send(c->fd, c->out.s + c->outoff, c->out.len - c->outoff,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR;
        c->outoff += (size_t)n;
    }
    c->out.len = c->outoff = 0;
    return !(c->done && c->follow[0] == 0);
}

static int listen_unix(const char *path, const char *group)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct stat st;

    if (strlen(path) >= sizeof(a.sun_path))
        errx(1, "--socket %s: path too long", path);
    memcpy(a.sun_path, path, strlen(path));
    if (s < 0)
        err(1, "socket");
    /* A stale socket of a crashed daemon (the state lock is ours). */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
        unlink(path);
    mode_t old = umask(0177);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) != 0)
        err(1, "%s", path);
    umask(old);
    if (group != NULL) {
        struct group *g = getgrnam(group);
        if (g == NULL)
            errx(1, "--group %s: no such group", group);
        if (chown(path, 0, g->gr_gid) != 0 || chmod(path, 0660) != 0)
            err(1, "%s", path);
    }
    if (listen(s, 16) != 0)
        err(1, "listen");
    return s;
}

static unsigned long num(const char *opt, const char *s, unsigned long max)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s < '0' || *s > '9' || *end != 0 || v > max)
        errx(1, "%s %s: want a number up to %lu", opt, s, max);
    return v;
}

static void options(int argc, char **argv, const char **metrics)
{
    char e[256];

    vmmd.state_dir = "/var/lib/tibra-vmmd";
    vmmd.socket_path = "/run/tibra-vmmd.sock";
    vmmd.user = "nobody";
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (!strcmp(o, "--version")) {
            printf("tibra-vmmd %s\n", TB_VERSION);
            exit(0);
        }
        if (v == NULL || o[0] != '-') {
            fputs(usage_text, stderr);
            exit(1);
        }
        i++;
        if (!strcmp(o, "--state"))
            vmmd.state_dir = v;
        else if (!strcmp(o, "--socket"))
            vmmd.socket_path = v;
        else if (!strcmp(o, "--group"))
            vmmd.group = v;
        else if (!strcmp(o, "--user"))
            vmmd.user = v;
        else if (!strcmp(o, "--tender-dir"))
            vmmd.tender_dir = v;
        else if (!strcmp(o, "--metrics"))
            *metrics = v;
        else if (!strcmp(o, "--max-mem"))
            vmmd.max_mem_mib = (uint32_t)num(o, v, 1u << 30);
        else if (!strcmp(o, "--max-unikernels"))
            vmmd.max_vms = (uint32_t)num(o, v, 1u << 20);
        else if (!strcmp(o, "--allow-cpus")) {
            if (vmmd_parse_cpus(v, vmmd.allow_cpus, e, sizeof(e)) != 0)
                errx(1, "--allow-cpus: %s", e);
            vmmd.cpus_limited = true;
        } else if (!strcmp(o, "--allow-bridge")) {
            if (vmmd_check_ifname(v, e, sizeof(e)) != 0)
                errx(1, "--allow-bridge: %s", e);
            if (vmmd.nallow_bridge == 16)
                errx(1, "--allow-bridge: at most 16");
            snprintf(vmmd.allow_bridge[vmmd.nallow_bridge++], VMMD_IFNAME_MAX,
                     "%s", v);
        } else {
            fprintf(stderr, "tibra-vmmd: unknown option %s\n", o);
            fputs(usage_text, stderr);
            exit(1);
        }
    }
}

int main(int argc, char **argv)
{
    const char *metrics = NULL;
    sigset_t sigs;
    int lfd, sfd, lock, mfd = -1;

    options(argc, argv, &metrics);
    vmmd.on_line = on_line;
    if (geteuid() == 0 && strcmp(vmmd.user, "root") != 0) {
        struct passwd *pw = getpwnam(vmmd.user);
        if (pw == NULL)
            errx(1, "--user %s: no such user", vmmd.user);
        vmmd.uid = pw->pw_uid;
        vmmd.gid = pw->pw_gid;
        vmmd.drop = true;
    }
    if (mkdir(vmmd.state_dir, 0711) != 0 && errno != EEXIST)
        err(1, "%s", vmmd.state_dir);
    char *lp = xasprintf("%s/lock", vmmd.state_dir);
    lock = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0)
        errx(1, "%s: another tibra-vmmd uses this state directory", lp);
    free(lp);
    vm_dirs();
    vmmd.kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGCHLD);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0)
        err(1, "signalfd");
    vm_reconcile();
    /* Tenders inherit the blocked mask; vm.c's child() clears it. */
    vm_load_all();
    /* The socket appears once the state is reconciled, loaded and swept
     * of leftovers: a client (or a unit's ExecStartPost) that sees it
     * sees the daemon's whole state. */
    lfd = listen_unix(vmmd.socket_path, vmmd.group);
    if (metrics != NULL)
        mfd = metrics_listen(metrics);
    fprintf(stderr, "tibra-vmmd %s: state %s, socket %s%s%s\n", TB_VERSION,
            vmmd.state_dir, vmmd.socket_path, metrics ? ", metrics " : "",
            metrics ? metrics : "");

    for (;;) {
        static struct pollfd *pf;
        static struct vm **pv;
        static size_t cap;
        struct conn *pc[CONN_MAX];
        size_t nvm = 0;
        nfds_t n = 0, nc = 0, nv = 0;
        int64_t dl = vm_next_deadline(), wait = -1;

        /* Every console pipe is polled, however many unikernels. */
        for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
            nvm++;
        if (nvm + 3 + CONN_MAX + METRICS_CONN_MAX > cap) {
            cap = 2 * (nvm + 3 + CONN_MAX + METRICS_CONN_MAX);
            free(pf);
            free(pv);
            pf = xmalloc(cap * sizeof(*pf));
            pv = xmalloc(cap * sizeof(*pv));
        }
        pf[n++] = (struct pollfd){sfd, POLLIN, 0};
        pf[n++] = (struct pollfd){lfd, POLLIN, 0};
        for (struct conn *c = conns; c != NULL; c = c->next) {
            pc[nc++] = c;
            pf[n++] = (struct pollfd){
                c->fd, (short)(POLLIN | (c->out.len > c->outoff ? POLLOUT : 0)),
                0};
        }
        for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
            if (v->con_fd >= 0) {
                pv[nv++] = v;
                pf[n++] = (struct pollfd){v->con_fd, POLLIN, 0};
            }
        nfds_t mbase = n;
        n += metrics_pollfds(mfd, pf + n);
        if (dl >= 0)
            wait = dl > now_ms() ? dl - now_ms() : 0;
        if (nc > 0 && (wait < 0 || wait > 1000))
            wait = 1000; /* client deadlines */
        if (poll(pf, n, wait > 60000 ? 60000 : (int)wait) < 0 && errno != EINTR)
            err(1, "poll");
        if (pf[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            bool quit = false;
            while (read(sfd, &si, sizeof(si)) == sizeof(si))
                quit |= si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT;
            vm_reap();
            if (quit)
                break;
        }
        for (nfds_t i = 0; i < nv; i++)
            if (pf[2 + nc + i].revents)
                vm_console_read(pv[i]);
        for (nfds_t i = 0; i < nc; i++) {
            short ev = pf[2 + i].revents;
            bool keep = true;
            if (ev & (POLLIN | POLLHUP | POLLERR))
                keep = conn_read(pc[i]);
            if (keep && pc[i]->out.len > pc[i]->outoff)
                keep = conn_write(pc[i]);
            else if (keep && pc[i]->done && pc[i]->follow[0] == 0)
                keep = false;
            /* A client that does not finish its request in time (or does
             * not read its answer) loses its slot. */
            if (keep && pc[i]->follow[0] == 0 && now_ms() > pc[i]->deadline)
                keep = false;
            if (!keep)
                conn_close(pc[i]);
        }
        if (pf[1].revents & POLLIN) {
            int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
            if (fd >= 0 && nconns >= CONN_MAX) {
                close(fd);
            } else if (fd >= 0) {
                struct conn *c = xmalloc(sizeof(*c));
                memset(c, 0, sizeof(*c));
                c->fd = fd;
                c->img_fd = -1;
                c->deadline = now_ms() + CONN_IDLE_MS;
                c->in = xmalloc(4 + VMMD_FRAME_MAX);
                c->next = conns;
                conns = c;
                nconns++;
            }
        }
        metrics_serve(mfd, pf + mbase);
        vm_reap();
        vm_tick();
    }
    fprintf(stderr, "tibra-vmmd: stopping every unikernel (they come back "
                    "at the next start)\n");
    vm_stop_all();
    unlink(vmmd.socket_path);
    return 0;
}
