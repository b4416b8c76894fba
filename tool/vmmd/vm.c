/*
 * vm.c -- the life of a unikernel under tibra-vmmd, and the state
 * directory that outlives the daemon:
 *
 *   STATE/vm/NAME       the accepted create request + image hash (proto.c
 *                       encoding, op RECORD), written atomically
 *   STATE/images/SHA    images by SHA-256 (0644: the tender reads them)
 *   STATE/blocks/NAME   block files (owned by the tender user)
 *   STATE/run/NAME      "pid P start T": a tender alive now
 *   STATE/bridges/NAME  a bridge the daemon created
 *
 *   create --checks--> record, image --start--> RUNNING --exit-->
 *     restart policy? BACKOFF --delay--> RUNNING : EXITED
 *   destroy: stop (SIGTERM, SIGKILL after VMMD_STOP_MS), TAPs closed,
 *   record, unused image and created bridge removed.
 *
 * At start the daemon first kills any tender a crashed run of it left
 * (run/ files, checked against /proc/PID/stat's start time so a reused
 * PID is never hit), then starts every record in startup order.  A TAP
 * is never persistent, so it disappears with the last process holding it.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <tibra/bundle.h>

#include "../../platform/hvt/hvt_abi.h"
#include "../../platform/spt/spt_abi.h"
#include "../../tender/common/elf.h"
#include "vmmd.h"

int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t real_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *vm_path(const char *dir, const char *name)
{
    return xasprintf("%s/%s/%s", vmmd.state_dir, dir, name);
}

int write_atomic(const char *path, const void *p, size_t n, unsigned mode)
{
    char *tmp = xasprintf("%s.tmp", path), *dir = dir_of(path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    int rc = 0;

    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    for (size_t done = 0; done < n;) {
        ssize_t w = write(fd, (const char *)p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = -errno;
            break;
        }
        done += (size_t)w;
    }
    if (rc == 0 && (fchmod(fd, mode) != 0 || fsync(fd) != 0))
        rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        goto out;
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
out:
    free(tmp);
    free(dir);
    return rc;
}

void vm_dirs(void)
{
    static const struct {
        const char *name;
        unsigned mode;
    } d[] = {{"", 0711},       {"vm", 0700},  {"images", 0711},
             {"blocks", 0711}, {"run", 0700}, {"bridges", 0700}};

    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        char *p = xasprintf("%s/%s", vmmd.state_dir, d[i].name);
        if (mkdir(p, d[i].mode) != 0 && errno != EEXIST)
            err(1, "%s", p);
        if (chmod(p, d[i].mode) != 0)
            err(1, "%s", p);
        free(p);
    }
}

struct vm *vm_find(const char *name)
{
    for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
        if (!strcmp(v->rec.name, name))
            return v;
    return NULL;
}

const char *vm_state_name(const struct vm *vm)
{
    return vm->state == VM_RUNNING   ? "running"
           : vm->state == VM_BACKOFF ? "backoff"
                                     : "exited";
}

/* Field 22 of /proc/PID/stat (start time in clock ticks); 0 if there
 * is no such process or it is a zombie. */
static unsigned long long proc_start(pid_t pid)
{
    char path[64], buf[1024], *p;
    unsigned long long v = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    p = strrchr(buf, ')'); /* the command may hold spaces */
    if (p == NULL || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
        return 0; /* a zombie is dead: its parent has not reaped it */
    /* After ')': state(3) ppid(4) ... starttime(22): 20 fields on. */
    for (int field = 2; field < 22 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    if (p != NULL)
        v = strtoull(p + 1, NULL, 10);
    return v;
}

/* ---- a crashed daemon's leftovers -------------------------------------- */

void vm_reconcile(void)
{
    char *dir = xasprintf("%s/run", vmmd.state_dir);
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = vm_path("run", e->d_name), *text = NULL;
        size_t n;
        int pid = 0;
        unsigned long long start = 0;
        if (read_file(p, &text, &n) == 0) {
            if (sscanf(text, "pid %d start %llu", &pid, &start) == 2 &&
                pid > 1 && proc_start(pid) == start) {
                fprintf(stderr,
                        "tibra-vmmd: %s: killing tender %d left by a "
                        "previous run\n",
                        e->d_name, pid);
                kill(pid, SIGKILL);
                /* Not our child: wait for /proc/PID to go (5 s). */
                for (int i = 0; i < 500 && proc_start(pid) == start; i++)
                    usleep(10000);
            }
            free(text);
        }
        unlink(p);
        free(p);
    }
    if (d != NULL)
        closedir(d);
    free(dir);
}

/* ---- start, reap, stop ----------------------------------------------------
 */

/* Makes (vm)'s TAPs that do not exist yet (and bridges it may create). */
static int make_taps(struct vm *vm, char *err, size_t errlen)
{
    for (unsigned i = 0; i < vm->rec.nnet; i++) {
        const struct vmmd_net *n = &vm->rec.net[i];
        if (vm->tap_fd[i] >= 0)
            continue;
        if (vm->rec.create_bridge && !if_exists(n->bridge)) {
            char *m = vm_path("bridges", n->bridge);
            if (bridge_create(n->bridge, err, errlen) != 0 ||
                write_atomic(m, "", 0, 0600) != 0) {
                free(m);
                return -1;
            }
            free(m);
        }
        tap_name(vm->rec.name, n->dev, vm->tap[i]);
        if (n->has_mac)
            memcpy(vm->mac[i], n->mac, 6);
        else
            tap_mac(vm->rec.name, n->dev, vm->mac[i]);
        vm->tap_fd[i] = tap_create(vm->tap[i], n->bridge, err, errlen);
        if (vm->tap_fd[i] < 0)
            return -1;
    }
    return 0;
}

static void close_taps(struct vm *vm)
{
    for (unsigned i = 0; i < VMMD_NET_MAX; i++) {
        if (vm->tap_fd[i] >= 0)
            close(vm->tap_fd[i]);
        vm->tap_fd[i] = -1;
    }
}

/* In the child: moves (fds) to 3, 4, ... and closes everything else. */
static void child_fds(const int *fds, unsigned n)
{
    int high[VMMD_NET_MAX + 1];

    for (unsigned i = 0; i < n; i++)
        if ((high[i] = fcntl(fds[i], F_DUPFD, 64)) < 0)
            _exit(127);
    for (unsigned i = 0; i < n; i++)
        if (dup2(high[i], 3 + (int)i) < 0)
            _exit(127);
    /* Everything else: close_range(2) (Linux 5.9), else one by one. */
    if (syscall(SYS_close_range, 3 + n, ~0u, 0) != 0)
        for (int fd = 3 + (int)n; fd < 1024; fd++)
            close(fd);
}

static __attribute__((noreturn)) void
child(struct vm *vm, int out, char *const *argv, const char *tender)
{
    int fds[VMMD_NET_MAX + 1];
    unsigned n = 0;
    int nul = open("/dev/null", O_RDONLY);

    sigset_t none;

    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL); /* the daemon blocks some */
    setsid();
    if (nul < 0 || dup2(nul, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(127);
    for (unsigned i = 0; i < vm->rec.nnet; i++)
        fds[n++] = vm->tap_fd[i];
    if (!strcmp(vm->rec.target, "hvt") && vmmd.kvm_fd >= 0)
        fds[n++] = vmmd.kvm_fd;
    child_fds(fds, n);
    if (vm->rec.cpus[0]) {
        uint64_t set[VMMD_CPUS_MAX / 64];
        cpu_set_t cs;
        char e[8];
        CPU_ZERO(&cs);
        vmmd_parse_cpus(vm->rec.cpus, set, e, sizeof(e));
        for (unsigned c = 0; c < CPU_SETSIZE && c < VMMD_CPUS_MAX; c++)
            if ((set[c / 64] >> (c % 64)) & 1)
                CPU_SET(c, &cs);
        if (sched_setaffinity(0, sizeof(cs), &cs) != 0)
            dprintf(2, "tibra-vmmd: cannot pin to CPUs %s: %s\n", vm->rec.cpus,
                    strerror(errno));
    }
    if (vmmd.drop && (setgroups(0, NULL) != 0 || setgid(vmmd.gid) != 0 ||
                      setuid(vmmd.uid) != 0)) {
        dprintf(2, "tibra-vmmd: cannot switch to user %s: %s\n", vmmd.user,
                strerror(errno));
        _exit(127);
    }
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    signal(SIGPIPE, SIG_DFL);
    execv(tender, argv);
    dprintf(2, "tibra-vmmd: cannot run %s: %s\n", tender, strerror(errno));
    _exit(127);
}

/* The tender's command line for (vm) (malloc'd strings). */
static char **tender_argv(struct vm *vm, const char *tender)
{
    char **av =
        xmalloc((8 + 2 * VMMD_NET_MAX + VMMD_BLOCK_MAX + VMMD_ARGS_MAX / 2) *
                sizeof(*av));
    unsigned n = 0, fd = 3;

    av[n++] = xstrdup(tender);
    av[n++] = xasprintf("--mem=%u", vm->mem_mib);
    for (unsigned i = 0; i < vm->rec.nnet; i++) {
        const uint8_t *m = vm->mac[i];
        av[n++] = xasprintf("--net:%s=fd:%u", vm->rec.net[i].dev, fd++);
        av[n++] =
            xasprintf("--net-mac:%s=%02x:%02x:%02x:%02x:%02x:%02x",
                      vm->rec.net[i].dev, m[0], m[1], m[2], m[3], m[4], m[5]);
    }
    if (!strcmp(vm->rec.target, "hvt") && vmmd.kvm_fd >= 0)
        av[n++] = xasprintf("--kvm=fd:%u", fd++);
    for (unsigned i = 0; i < vm->rec.nblk; i++)
        av[n++] = xasprintf("--block:%s=%s/blocks/%s", vm->rec.blk[i].dev,
                            vmmd.state_dir, vm->rec.blk[i].block);
    av[n++] = xasprintf("%s/images/%s", vmmd.state_dir, vm->rec.image);
    for (const char *w = vm->rec.args; *w;) {
        size_t l = strcspn(w, " ");
        av[n++] = xasprintf("%.*s", (int)l, w);
        w += l + (w[l] == ' ');
    }
    av[n] = NULL;
    return av;
}

static void free_argv(char **av)
{
    for (char **p = av; *p; p++)
        free(*p);
    free(av);
}

/* A line from the daemon itself into (vm)'s console. */
static void say(struct vm *vm, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(struct vm *vm, const char *fmt, ...)
{
    char line[VMMD_LINE_MAX];
    va_list ap;
    int n = snprintf(line, sizeof(line), "[tibra-vmmd] ");

    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    ring_push(&vm->ring, real_ms(), line, strlen(line));
    if (vmmd.on_line != NULL)
        vmmd.on_line(vm, line);
    fprintf(stderr, "tibra-vmmd: %s: %s\n", vm->rec.name, line + n);
}

static void backoff(struct vm *vm, int64_t ran);

static int vm_start(struct vm *vm, char *err, size_t errlen)
{
    char name[32], *tender, *rel, **av;
    int pfd[2];
    pid_t pid;

    vm->last_error[0] = 0;
    if (make_taps(vm, err, errlen) != 0)
        goto fail;
    for (unsigned i = 0; vmmd.drop && i < vm->rec.nblk; i++) {
        char *p = vm_path("blocks", vm->rec.blk[i].block);
        if (chown(p, vmmd.uid, vmmd.gid) != 0) {
            snprintf(err, errlen, "block %s: %s", vm->rec.blk[i].block,
                     strerror(errno));
            free(p);
            goto fail;
        }
        free(p);
    }
    snprintf(name, sizeof(name), "tibra-%s", vm->rec.target);
    rel = xasprintf("tender/%s", vm->rec.target);
    tender = vmmd.tender_dir ? xasprintf("%s/%s", vmmd.tender_dir, name)
                             : find_program(name, rel);
    free(rel);
    if (tender == NULL || access(tender, X_OK) != 0) {
        snprintf(err, errlen, "%s not found beside tibra-vmmd or on PATH",
                 name);
        free(tender);
        goto fail;
    }
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        free(tender);
        goto fail;
    }
    av = tender_argv(vm, tender);
    pid = fork();
    if (pid == 0)
        child(vm, pfd[1], av, tender);
    free_argv(av);
    free(tender);
    close(pfd[1]);
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(pfd[0]);
        goto fail;
    }
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    vm->con_fd = pfd[0];
    vm->pid = pid;
    vm->pid_start = proc_start(pid);
    vm->state = VM_RUNNING;
    vm->started_ms = now_ms();
    vm->started_real_ms = real_ms();
    char *rp = vm_path("run", vm->rec.name);
    char *text = xasprintf("pid %d start %llu\n", (int)pid, vm->pid_start);
    if (write_atomic(rp, text, strlen(text), 0600) != 0)
        fprintf(stderr, "tibra-vmmd: %s: cannot write %s\n", vm->rec.name, rp);
    free(rp);
    free(text);
    say(vm, "started %s tender, pid %d", vm->rec.target, (int)pid);
    return 0;

fail:
    snprintf(vm->last_error, sizeof(vm->last_error), "%s", err);
    say(vm, "cannot start: %s", err);
    vm->state = VM_EXITED;
    if (vm->rec.restart) {
        /* A missing bridge at boot may come: try again, backing off. */
        backoff(vm, 0);
        say(vm, "trying again in %u ms", vm->backoff_ms);
    }
    return -1;
}

void vm_console_read(struct vm *vm)
{
    char buf[4096];
    ssize_t n;

    while (vm->con_fd >= 0 && (n = read(vm->con_fd, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return;
            break;
        }
        for (ssize_t i = 0; i < n; i++) {
            bool nl = buf[i] == '\n';
            if (!nl)
                vm->part[vm->partlen++] = buf[i];
            if (nl || vm->partlen == sizeof(vm->part) - 1) {
                vm->part[vm->partlen] = 0;
                ring_push(&vm->ring, real_ms(), vm->part, vm->partlen);
                if (vmmd.on_line != NULL)
                    vmmd.on_line(vm, vm->part);
                vm->partlen = 0;
            }
        }
    }
    /* EOF: the tender and anything it started are gone. */
    close(vm->con_fd);
    vm->con_fd = -1;
}

/* Schedules (vm)'s next start after a failure of a run that lasted
 * (ran) ms: 1 s, doubling to 60 s; a long run starts again at 1 s. */
static void backoff(struct vm *vm, int64_t ran)
{
    if (ran >= VMMD_STABLE_MS || vm->backoff_ms == 0)
        vm->backoff_ms = VMMD_BACKOFF_MIN;
    else if (vm->backoff_ms < VMMD_BACKOFF_MAX)
        vm->backoff_ms = vm->backoff_ms * 2 > VMMD_BACKOFF_MAX
                             ? VMMD_BACKOFF_MAX
                             : vm->backoff_ms * 2;
    vm->state = VM_BACKOFF;
    vm->next_start_ms = now_ms() + vm->backoff_ms;
}

/* Records the end of (vm)'s tender with wait status (st). */
static void exited(struct vm *vm, int st)
{
    char *rp = vm_path("run", vm->rec.name);
    int64_t ran = now_ms() - vm->started_ms;
    bool fail = !WIFEXITED(st) || WEXITSTATUS(st) != 0, again = false;

    unlink(rp);
    free(rp);
    if (vm->con_fd >= 0) {
        fcntl(vm->con_fd, F_SETFL, 0); /* drain what is left */
        vm_console_read(vm);
    }
    if (vm->partlen > 0) {
        ring_push(&vm->ring, real_ms(), vm->part, vm->partlen);
        vm->partlen = 0;
    }
    vm->pid = 0;
    vm->last_status = st;
    if (WIFSIGNALED(st))
        say(vm, "tender killed by signal %d after %lld ms", WTERMSIG(st),
            (long long)ran);
    else
        say(vm, "tender exited with status %d after %lld ms", WEXITSTATUS(st),
            (long long)ran);
    if (fail && vm->rec.restart) {
        bool any = true;
        for (unsigned i = 0; i < sizeof(vm->rec.codes); i++)
            any &= vm->rec.codes[i] == 0;
        again =
            WIFSIGNALED(st) || any ||
            (vm->rec.codes[WEXITSTATUS(st) / 8] >> (WEXITSTATUS(st) % 8) & 1);
    }
    if (!again) {
        vm->state = VM_EXITED;
        return;
    }
    backoff(vm, ran);
    say(vm, "restarting in %u ms", vm->backoff_ms);
}

void vm_reap(void)
{
    int st;
    pid_t pid;

    while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
        for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
            if (v->pid == pid && v->state == VM_RUNNING) {
                exited(v, st);
                break;
            }
    }
}

/* Stops (vm)'s tender if it runs: SIGTERM, SIGKILL after VMMD_STOP_MS. */
static void stop(struct vm *vm)
{
    bool restart;
    int st;

    if (vm->state != VM_RUNNING) {
        vm->state = VM_EXITED;
        return;
    }
    kill(vm->pid, SIGTERM);
    for (int i = 0; i < VMMD_STOP_MS / 10; i++) {
        if (waitpid(vm->pid, &st, WNOHANG) == vm->pid)
            goto done;
        usleep(10000);
    }
    say(vm, "no exit %d ms after SIGTERM: SIGKILL", VMMD_STOP_MS);
    kill(vm->pid, SIGKILL);
    while (waitpid(vm->pid, &st, 0) < 0 && errno == EINTR)
        ;
done:
    restart = vm->rec.restart;
    vm->rec.restart = false; /* a stop is not a failure */
    exited(vm, st);
    vm->rec.restart = restart;
}

void vm_tick(void)
{
    int64_t now = now_ms();
    char err[256];

    for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
        if (v->state == VM_BACKOFF && v->next_start_ms <= now) {
            v->restarts++;
            vm_start(v, err, sizeof(err)); /* failed: backing off again */
        }
}

int64_t vm_next_deadline(void)
{
    int64_t t = -1;

    for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
        if (v->state == VM_BACKOFF && (t < 0 || v->next_start_ms < t))
            t = v->next_start_ms;
    return t;
}

/* ---- create, destroy, restart ----------------------------------------- */

static struct vm *vm_new(const struct vmmd_req *rec)
{
    struct vm *vm = xmalloc(sizeof(*vm));

    memset(vm, 0, sizeof(*vm));
    vm->rec = *rec;
    vm->rec.op = VMMD_OP_RECORD;
    vm->con_fd = -1;
    vm->last_status = -1;
    for (unsigned i = 0; i < VMMD_NET_MAX; i++)
        vm->tap_fd[i] = -1;
    return vm;
}

static void vm_unlink(struct vm *vm)
{
    for (struct vm **p = &vmmd.vms; *p != NULL; p = &(*p)->next)
        if (*p == vm) {
            *p = vm->next;
            break;
        }
}

/* Removes what only (vm) used: its image, bridges it created. */
static void release(struct vm *vm)
{
    bool img_used = false;

    for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
        img_used |= v != vm && !strcmp(v->rec.image, vm->rec.image);
    if (!img_used) {
        char *p = vm_path("images", vm->rec.image);
        unlink(p);
        free(p);
    }
    for (unsigned i = 0; i < vm->rec.nnet; i++) {
        const char *br = vm->rec.net[i].bridge;
        char *m = vm_path("bridges", br);
        if (!vm_bridge_used(br, vm) && access(m, F_OK) == 0) {
            bridge_delete(br);
            unlink(m);
        }
        free(m);
    }
}

int vm_create(const struct vmmd_req *r, int img_fd, char *err, size_t errlen)
{
    uint8_t *img;
    size_t len;
    const char *target;
    uint32_t mem;
    struct vm *vm;
    char *p;
    uint8_t rec[VMMD_FRAME_MAX];
    int n;

    if (vm_find(r->name) != NULL) {
        snprintf(err, errlen, "a unikernel named %s exists already", r->name);
        return -1;
    }
    if (img_fd < 0) {
        snprintf(err, errlen, "no image was passed with the request");
        return -1;
    }
    if (vm_read_image(img_fd, &img, &len, err, errlen) != 0)
        return -1;
    if (vm_check_image(r, img, len, &target, &mem, err, errlen) != 0 ||
        vm_check_policy(r, mem, err, errlen) != 0) {
        free(img);
        return -1;
    }
    if (!strcmp(target, "hvt") && vmmd.kvm_fd < 0) {
        snprintf(err, errlen,
                 "target hvt needs /dev/kvm, which tibra-vmmd "
                 "could not open at start");
        free(img);
        return -1;
    }
    vm = vm_new(r);
    vm->mem_mib = mem;
    vm->rec.mem_mib = mem;
    snprintf(vm->rec.target, sizeof(vm->rec.target), "%s", target);
    sha256_hex(img, len, vm->rec.image);
    p = vm_path("images", vm->rec.image);
    n = access(p, F_OK) == 0 ? 0 : write_atomic(p, img, len, 0644);
    free(p);
    free(img);
    if (n != 0) {
        snprintf(err, errlen, "cannot store the image: %s", strerror(-n));
        free(vm);
        return -1;
    }
    n = vmmd_req_encode(&vm->rec, rec, sizeof(rec));
    p = vm_path("vm", vm->rec.name);
    if (n < 0 || (n = write_atomic(p, rec, (size_t)n, 0600)) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", p, strerror(-n));
        free(p);
        release(vm);
        free(vm);
        return -1;
    }
    vm->next = vmmd.vms;
    vmmd.vms = vm;
    /* A first start that fails is a refusal, not a back-off. */
    bool restart = vm->rec.restart;
    vm->rec.restart = false;
    int started = vm_start(vm, err, errlen);
    vm->rec.restart = restart;
    if (started != 0) {
        /* Nothing half-done: the record, image and TAPs go again. */
        unlink(p);
        free(p);
        close_taps(vm);
        vm_unlink(vm);
        release(vm);
        ring_free(&vm->ring);
        free(vm);
        return -1;
    }
    free(p);
    return 0;
}

int vm_destroy(const char *name, char *err, size_t errlen)
{
    struct vm *vm = vm_find(name);
    char *p;

    if (vm == NULL) {
        snprintf(err, errlen, "no unikernel named %s", name);
        return -1;
    }
    stop(vm);
    close_taps(vm);
    p = vm_path("vm", name);
    unlink(p);
    free(p);
    vm_unlink(vm);
    release(vm);
    ring_free(&vm->ring);
    free(vm);
    return 0;
}

int vm_restart(const char *name, char *err, size_t errlen)
{
    struct vm *vm = vm_find(name);

    if (vm == NULL) {
        snprintf(err, errlen, "no unikernel named %s", name);
        return -1;
    }
    stop(vm);
    vm->backoff_ms = 0;
    return vm_start(vm, err, errlen);
}

void vm_stop_all(void)
{
    /* All stop at once: the waits below then overlap (5 s in all at
     * most, not 5 s each). */
    for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
        if (v->state == VM_RUNNING)
            kill(v->pid, SIGTERM);
    for (struct vm *v = vmmd.vms; v != NULL; v = v->next) {
        stop(v);
        close_taps(v);
    }
}

/* Startup order: priority, then name. */
static int by_startup(const void *a, const void *b)
{
    const struct vm *x = *(struct vm *const *)a, *y = *(struct vm *const *)b;

    if (x->rec.startup != y->rec.startup)
        return x->rec.startup < y->rec.startup ? -1 : 1;
    return strcmp(x->rec.name, y->rec.name);
}

void vm_load_all(void)
{
    char *dir = xasprintf("%s/vm", vmmd.state_dir), msg[256];
    DIR *d = opendir(dir);
    struct dirent *e;
    struct vm **list = NULL;
    size_t n = 0;

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strstr(e->d_name, ".tmp") != NULL)
            continue;
        char *p = vm_path("vm", e->d_name), *text = NULL;
        size_t len;
        struct vmmd_req r;
        snprintf(msg, sizeof(msg), "unreadable");
        if (read_file(p, &text, &len) != 0 ||
            vmmd_req_decode((uint8_t *)text, len, &r, msg, sizeof(msg)) != 0 ||
            r.op != VMMD_OP_RECORD || strcmp(r.name, e->d_name) != 0) {
            fprintf(stderr, "tibra-vmmd: %s: not a record (%s): skipped\n", p,
                    msg);
        } else {
            struct vm *vm = vm_new(&r);
            vm->mem_mib = r.mem_mib;
            list = realloc(list, (n + 1) * sizeof(*list));
            if (list == NULL)
                err(1, "out of memory");
            list[n++] = vm;
        }
        free(p);
        free(text);
    }
    if (d != NULL)
        closedir(d);
    free(dir);
    qsort(list, n, sizeof(*list), by_startup);
    /* Kept in startup order: the list is built back to front. */
    for (size_t i = n; i-- > 0;) {
        list[i]->next = vmmd.vms;
        vmmd.vms = list[i];
    }
    for (size_t i = 0; i < n; i++) {
        if (vm_start(list[i], msg, sizeof(msg)) != 0)
            fprintf(stderr, "tibra-vmmd: %s: %s\n", list[i]->rec.name, msg);
    }
    free(list);
    /* Images no record names (a crash between storing an image and its
     * record), and temporary files of interrupted writes. */
    static const char *const gc[] = {"images", "vm", "run"};
    for (size_t k = 0; k < sizeof(gc) / sizeof(gc[0]); k++) {
        dir = xasprintf("%s/%s", vmmd.state_dir, gc[k]);
        d = opendir(dir);
        while (d != NULL && (e = readdir(d)) != NULL) {
            bool used = e->d_name[0] == '.';
            size_t l = strlen(e->d_name);
            if (!used && l > 4 && !strcmp(e->d_name + l - 4, ".tmp"))
                used = false;
            else if (!used && k == 0)
                for (struct vm *v = vmmd.vms; v != NULL && !used; v = v->next)
                    used = !strcmp(v->rec.image, e->d_name);
            else
                used = true;
            if (!used) {
                char *p = vm_path(gc[k], e->d_name);
                fprintf(stderr, "tibra-vmmd: removing %s (unused)\n", p);
                unlink(p);
                free(p);
            }
        }
        if (d != NULL)
            closedir(d);
        free(dir);
    }
    /* Bridges we made that nothing uses any more. */
    dir = xasprintf("%s/bridges", vmmd.state_dir);
    d = opendir(dir);
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || vm_bridge_used(e->d_name, NULL))
            continue;
        char *m = vm_path("bridges", e->d_name);
        bridge_delete(e->d_name);
        unlink(m);
        free(m);
    }
    if (d != NULL)
        closedir(d);
    free(dir);
}
