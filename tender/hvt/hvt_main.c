/*
 * hvt_main.c -- tibra-hvt, the KVM tender for Tibra hvt images:
 *
 *     tibra-hvt [--mem=MiB] [--net:NAME=TAP] [--block:NAME=FILE] IMAGE [ARGS]
 *
 * Reads and checks IMAGE (tender/common/elf.c) before touching KVM,
 * attaches exactly the devices its manifest declares, builds the VM
 * (hvt_kvm_x86_64.c), confines itself (hvt_seccomp.c) and then serves the
 * guest's hypercalls until it exits.  The guest is untrusted: every
 * guest-physical pointer and length in a hypercall is checked against
 * guest memory with overflow-checked arithmetic, and a guest that passes
 * a bad one is stopped with a message (exit status 1); the host process
 * is never at risk.  Net hypercalls move a batch of frames per VM exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <tibra/version.h>

#include "../../platform/spt/spt_abi.h"
#include "../common/attach.h"
#include "../common/stop.h"
#include "hvt.h"

#define MEM_DEFAULT_MB 32
#define NET_MTU        1500
#define SCRATCH_SIZE   65536 /* tail of an oversized frame lands here */

_Static_assert(HVT_BLOCK_SIZE == TENDER_BLOCK_SIZE, "one block size");

static const char *prog = "tibra-hvt";

void hvt_die(struct hvt *h, int status, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    (void)h;
    n = snprintf(buf, sizeof(buf), "%s: ", prog);
    va_start(ap, fmt);
    n += vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 2)
        n = (int)sizeof(buf) - 2;
    buf[n++] = '\n';
    if (write(2, buf, (size_t)n) != n) {
        /* Nothing more to do: stderr is gone. */
    }
    _exit(status);
}

static void usage(int status)
{
    dprintf(status ? 2 : 1,
            "usage: %s [--mem=MiB] [--net:NAME=TAP] [--block:NAME=FILE] "
            "IMAGE [ARGS]\n"
            "Runs the Tibra hvt unikernel IMAGE under KVM.\n"
            "  --mem=MiB          guest memory (default %d, 2..4096)\n"
            "  --net:NAME=TAP     attach TAP interface TAP as net device "
            "NAME\n"
            "  --net:NAME=fd:N    use descriptor N, a TAP opened for us\n"
            "  --block:NAME=FILE  attach FILE as block device NAME\n"
            "  --net-mac:NAME=MAC set net device NAME's MAC (default: "
            "random 02:...)\n"
            "  --kvm=fd:N         use descriptor N, /dev/kvm opened for us\n"
            "Every device the image declares must be attached; ARGS are "
            "joined into its command line.\n",
            prog, MEM_DEFAULT_MB);
    exit(status);
}

/* ---- guest memory access ------------------------------------------------ */

/*
 * Returns the host address of guest range [gpa, gpa + len), which MUST lie
 * in [HVT_IMAGE_BASE, mem_size); otherwise stops the guest naming the
 * hypercall (hc) and the argument (what).  A zero-length range is fine
 * anywhere and is never dereferenced.
 */
static uint8_t *guest_ptr(struct hvt *h, uint64_t gpa, uint64_t len,
                          const char *hc, const char *what)
{
    uint64_t end;

    if (len == 0)
        return h->mem;
    if (gpa < HVT_IMAGE_BASE || tb_ckd_add(&end, gpa, len) ||
        end > h->mem_size) {
        hvt_vm_dump(h);
        hvt_die(h, HVT_EXIT_GUEST_FAULT,
                "guest fault: %s hypercall: %s [0x%llx, +0x%llx) outside "
                "guest memory [0x%x, 0x%llx); guest stopped",
                hc, what, (unsigned long long)gpa, (unsigned long long)len,
                HVT_IMAGE_BASE, (unsigned long long)h->mem_size);
    }
    return h->mem + gpa;
}

/* Copies the argument struct of hypercall (hc) at (gpa) into (arg). */
static uint8_t *get_arg(struct hvt *h, uint32_t gpa, void *arg, size_t size,
                        const char *hc)
{
    uint8_t *p;

    if (gpa % 8 != 0) {
        hvt_vm_dump(h);
        hvt_die(h, HVT_EXIT_GUEST_FAULT,
                "guest fault: %s hypercall: argument at 0x%x not 8-byte "
                "aligned; guest stopped",
                hc, gpa);
    }
    p = guest_ptr(h, gpa, size, hc, "argument");
    memcpy(arg, p, size);
    return p;
}

/* ---- hypercalls ---------------------------------------------------------- */

static void hc_console(struct hvt *h, uint32_t gpa)
{
    struct hvt_hc_console a;
    const uint8_t *p;

    get_arg(h, gpa, &a, sizeof(a), "console");
    p = guest_ptr(h, a.data, a.len, "console", "buffer");
    while (a.len > 0) {
        ssize_t n = write(1, p, a.len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* best effort */
        p += n;
        a.len -= (uint64_t)n;
    }
}

static void hc_exit(struct hvt *h, uint32_t gpa)
{
    struct hvt_hc_exit a;

    get_arg(h, gpa, &a, sizeof(a), "exit");
    if (h->rx_oversize > 0)
        hvt_die(h, (int)(a.status & 0xff),
                "note: %llu received frames were larger than the guest's "
                "buffers and dropped",
                (unsigned long long)h->rx_oversize);
    _exit((int)(a.status & 0xff));
}

static void hc_yield(struct hvt *h, uint32_t gpa)
{
    struct hvt_hc_yield a;
    struct pollfd fds[TB_MFT_ENTRIES_MAX + 1];
    unsigned idx[TB_MFT_ENTRIES_MAX], n = 0;
    struct timespec ts;
    uint8_t *p = get_arg(h, gpa, &a, sizeof(a), "yield");

    for (unsigned i = 0; i < h->ndevs; i++) {
        if (h->dev[i].type != TB_MFT_NET_DEV)
            continue;
        fds[n] = (struct pollfd){.fd = h->dev[i].fd, .events = POLLIN};
        idx[n++] = i;
    }
    /* Last, and never a handle: a stop request ends the wait (and, never
     * read, every later one at once). */
    if (h->stop_fd >= 0)
        fds[n] = (struct pollfd){.fd = h->stop_fd, .events = POLLIN};
    ts.tv_sec = (time_t)(a.timeout_ns / 1000000000u);
    ts.tv_nsec = (long)(a.timeout_ns % 1000000000u);
    a.ready = 0;
    if (ppoll(fds, n + (h->stop_fd >= 0), &ts, NULL) > 0)
        for (unsigned i = 0; i < n; i++)
            if (fds[i].revents & POLLIN)
                a.ready |= 1ull << idx[i];
    memcpy(p + offsetof(struct hvt_hc_yield, ready), &a.ready, sizeof(a.ready));
}

/* ---- stop requests (plat.h's tb_stop_requested) ------------------------ */

/*
 * SIGTERM or SIGINT sets the boot info's (stop), which the guest reads
 * without a VM exit, wakes hc_yield() through an eventfd and arms a
 * TB_STOP_GRACE_MS timer after which the tender exits with 128 + the
 * signal (tender/common/stop.c, shared with the hosted platform).  A
 * signal during KVM_RUN interrupts it (EINTR) and the guest simply
 * resumes.  The handlers make only calls the seccomp filter allows
 * (hvt_seccomp.c).
 */
static void stop_end(int status)
{
    _exit(status);
}

static void stop_install(struct hvt *h, struct hvt_boot_info *bi)
{
    int rc;

    h->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (h->stop_fd < 0)
        hvt_die(h, 1, "eventfd: %s", strerror(errno));
    rc = tb_stop_install("tibra-hvt", h->stop_fd, &bi->stop, stop_end);
    if (rc != 0)
        hvt_die(h, 1, "sigaction: %s", strerror(-rc));
}

/* The guest's frame descriptors: struct tb_frame on x86_64. */
struct frame_desc {
    uint64_t buf, cap, len;
};

static struct hvt_dev *net_dev(struct hvt *h, uint64_t handle)
{
    if (handle >= h->ndevs || h->dev[handle].type != TB_MFT_NET_DEV)
        return NULL;
    return &h->dev[handle];
}

static void hc_net_read(struct hvt *h, uint32_t gpa)
{
    static uint8_t scratch[SCRATCH_SIZE];
    struct frame_desc fd[HVT_NET_BATCH_MAX];
    struct hvt_hc_net a;
    uint8_t *p = get_arg(h, gpa, &a, sizeof(a), "net_read");
    struct hvt_dev *d = net_dev(h, a.handle);
    uint8_t *descs;
    uint64_t n = TB_MIN(a.n, (uint64_t)HVT_NET_BATCH_MAX), got = 0;

    if (d == NULL) {
        a.ret = TB_EBADF;
        goto out;
    }
    descs = guest_ptr(h, a.frames, n * sizeof(fd[0]), "net_read", "frames");
    memcpy(fd, descs, n * sizeof(fd[0]));
    /* Bounded: oversize frames arriving without end cannot pin us here. */
    for (unsigned tries = 0; got < n && tries < 4 * HVT_NET_BATCH_MAX;
         tries++) {
        struct iovec iov[2] = {
            {guest_ptr(h, fd[got].buf, fd[got].cap, "net_read", "frame"),
             fd[got].cap},
            {scratch, sizeof(scratch)},
        };
        ssize_t r = readv(d->fd, iov, 2);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break; /* EAGAIN: queue empty; other errors: as empty */
        if ((uint64_t)r > fd[got].cap) {
            h->rx_oversize++; /* larger than its buffer: dropped (plat.h) */
            continue;
        }
        fd[got].len = (uint64_t)r;
        memcpy(descs + got * sizeof(fd[0]) + offsetof(struct frame_desc, len),
               &fd[got].len, sizeof(fd[got].len));
        got++;
    }
    a.ret = got > 0 ? (int64_t)got : TB_EAGAIN;
out:
    memcpy(p + offsetof(struct hvt_hc_net, ret), &a.ret, sizeof(a.ret));
}

static void hc_net_write(struct hvt *h, uint32_t gpa)
{
    struct frame_desc fd[HVT_NET_BATCH_MAX];
    const uint8_t *buf[HVT_NET_BATCH_MAX];
    struct hvt_hc_net a;
    uint8_t *p = get_arg(h, gpa, &a, sizeof(a), "net_write");
    struct hvt_dev *d = net_dev(h, a.handle);
    uint64_t n = TB_MIN(a.n, (uint64_t)HVT_NET_BATCH_MAX), sent = 0;

    if (d == NULL) {
        a.ret = TB_EBADF;
        goto out;
    }
    memcpy(fd, guest_ptr(h, a.frames, n * sizeof(fd[0]), "net_write", "frames"),
           n * sizeof(fd[0]));
    a.ret = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (fd[i].len > d->info.mtu + TB_NET_HLEN)
            a.ret = TB_EINVAL;
        buf[i] = guest_ptr(h, fd[i].buf, fd[i].len, "net_write", "frame");
    }
    if (a.ret != 0)
        goto out;
    while (sent < n) {
        ssize_t r = write(d->fd, buf[sent], fd[sent].len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && errno == EAGAIN)
            break; /* queue full: the guest retries after yielding */
        sent++; /* sent, or dropped by the host like a lost frame */
    }
    a.ret = (int64_t)sent;
out:
    memcpy(p + offsetof(struct hvt_hc_net, ret), &a.ret, sizeof(a.ret));
}

static void hc_block(struct hvt *h, uint32_t gpa, int write_op)
{
    const char *hc = write_op ? "block_write" : "block_read";
    struct hvt_hc_block a;
    uint8_t *p = get_arg(h, gpa, &a, sizeof(a), hc);
    struct hvt_dev *d;
    uint64_t end, done = 0;
    uint8_t *buf;

    if (a.handle >= h->ndevs || h->dev[a.handle].type != TB_MFT_BLOCK_DEV) {
        a.ret = TB_EBADF;
        goto out;
    }
    d = &h->dev[a.handle];
    if (a.off % HVT_BLOCK_SIZE != 0 || a.len % HVT_BLOCK_SIZE != 0 ||
        tb_ckd_add(&end, a.off, a.len) || end > d->info.capacity) {
        a.ret = TB_EINVAL;
        goto out;
    }
    buf = guest_ptr(h, a.buf, a.len, hc, "buffer");
    a.ret = TB_OK;
    while (done < a.len) {
        ssize_t r =
            write_op
                ? pwrite(d->fd, buf + done, a.len - done, (off_t)(a.off + done))
                : pread(d->fd, buf + done, a.len - done, (off_t)(a.off + done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            a.ret = TB_EIO;
            break;
        }
        done += (uint64_t)r;
    }
out:
    memcpy(p + offsetof(struct hvt_hc_block, ret), &a.ret, sizeof(a.ret));
}

static void hc_entropy(struct hvt *h, uint32_t gpa)
{
    struct hvt_hc_entropy a;
    uint8_t *p = get_arg(h, gpa, &a, sizeof(a), "entropy");
    uint8_t *buf = guest_ptr(h, a.buf, a.len, "entropy", "buffer");
    uint64_t done = 0;

    a.ret = TB_OK;
    while (done < a.len) {
        ssize_t r = getrandom(buf + done, a.len - done, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            a.ret = TB_EIO;
            break;
        }
        done += (uint64_t)r;
    }
    memcpy(p + offsetof(struct hvt_hc_entropy, ret), &a.ret, sizeof(a.ret));
}

/* ---- options and devices --------------------------------------------------
 */

struct attach {
    uint32_t type; /* enum tb_mft_type, or ATTACH_MAC */
    const char *name, *path;
};

#define ATTACH_MAC 0x100 /* --net-mac:NAME=MAC; (path) is the MAC */

static uint64_t parse_mem(const char *s)
{
    char *end;
    unsigned long long mb;

    errno = 0;
    mb = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != 0 || mb < 2 || mb > 4096)
        hvt_die(NULL, 1, "--mem=%s: need a number of MiB in 2..4096", s);
    mb = (mb + 1) & ~1ull; /* whole 2 MiB pages */
    return (uint64_t)mb << 20;
}

static void parse_attach(const char *arg, uint32_t type, struct attach *at,
                         unsigned *nat)
{
    const char *eq = strchr(arg, '=');

    if (eq == NULL || eq == arg || eq[1] == 0)
        hvt_die(NULL, 1, "bad device option '%s' (want --%s:NAME=%s)", arg,
                type == ATTACH_MAC ? "net-mac" : tender_mft_type_name(type),
                type == TB_MFT_NET_DEV ? "TAP"
                : type == ATTACH_MAC   ? "MAC"
                                       : "FILE");
    if (*nat == 2 * TB_MFT_ENTRIES_MAX)
        hvt_die(NULL, 1, "too many device options");
    char *name = strndup(arg, (size_t)(eq - arg));
    if (name == NULL)
        hvt_die(NULL, 1, "out of memory");
    at[*nat] = (struct attach){type, name, eq + 1};
    ++*nat;
}

/* --kvm=fd:N: an open /dev/kvm (KVM_GET_API_VERSION answers on it). */
static int parse_kvm_fd(const char *s)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(s, &end, 10);
    if (*s < '0' || *s > '9' || *end != 0 || errno != 0 || n > INT_MAX ||
        ioctl((int)n, KVM_GET_API_VERSION, 0) < 0 ||
        fcntl((int)n, F_SETFD, FD_CLOEXEC) != 0)
        hvt_die(NULL, 1, "--kvm=fd:%s: not an open /dev/kvm descriptor", s);
    return (int)n;
}

/* Lists the manifest's devices into (buf) for error messages. */
static const char *declared(const struct tb_mft *m, char *buf, size_t cap)
{
    size_t n = 0;

    buf[0] = 0;
    for (uint32_t i = 0; i < m->entries && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s (%s)", i ? ", " : "",
                              m->e[i].name, tender_mft_type_name(m->e[i].type));
    return m->entries ? buf : "none";
}

static void parse_mac(const char *name, const char *s, uint8_t mac[6])
{
    if (tender_mac_parse(s, mac) != 0)
        hvt_die(NULL, 1,
                "--net-mac:%s=%s: want a unicast MAC like 02:00:00:00:00:01",
                name, s);
}

/* Binds each attach to its manifest entry, then opens the devices. */
static void attach_devices(struct hvt *h, const char *image,
                           const struct tb_mft *m, const struct attach *at,
                           unsigned nat)
{
    char list[TB_MFT_ENTRIES_MAX * (TB_MFT_NAME_MAX + 12)];
    char err[256];

    h->ndevs = m->entries;
    for (unsigned i = 0; i < h->ndevs; i++) {
        h->dev[i].fd = -1;
        h->dev[i].type = m->e[i].type;
        h->dev[i].info.type = m->e[i].type;
    }
    for (unsigned k = 0; k < nat; k++) {
        if (at[k].type == ATTACH_MAC)
            continue;
        int i = tender_mft_find(m, at[k].name, at[k].type);
        if (i < 0)
            hvt_die(h, 1,
                    "%s: device '%s' (%s) is not declared in the "
                    "image's manifest (declared: %s)",
                    image, at[k].name, tender_mft_type_name(at[k].type),
                    declared(m, list, sizeof(list)));
        if (h->dev[i].path != NULL)
            hvt_die(h, 1, "device '%s' attached twice", at[k].name);
        h->dev[i].path = at[k].path;
    }
    for (unsigned i = 0; i < h->ndevs; i++) {
        struct hvt_dev *d = &h->dev[i];
        if (d->path == NULL)
            hvt_die(h, 1,
                    "%s: image needs %s device '%s': attach it with "
                    "--%s:%s=%s",
                    image, tender_mft_type_name(d->type), m->e[i].name,
                    tender_mft_type_name(d->type), m->e[i].name,
                    d->type == TB_MFT_NET_DEV ? "TAP" : "FILE");
        if (d->type == TB_MFT_NET_DEV) {
            d->fd = tender_tap_open(d->path, err, sizeof(err));
            if (d->fd >= 0 && tender_mac_random(d->info.mac) != 0)
                hvt_die(h, 1, "getrandom: %s", strerror(errno));
            d->info.mtu = NET_MTU;
        } else {
            d->fd =
                tender_block_open(d->path, &d->info.capacity, err, sizeof(err));
            d->info.block_size = HVT_BLOCK_SIZE;
        }
        if (d->fd < 0)
            hvt_die(h, 1, "%s", err);
    }
    for (unsigned k = 0; k < nat; k++) {
        if (at[k].type != ATTACH_MAC)
            continue;
        int i = tender_mft_find(m, at[k].name, TB_MFT_NET_DEV);
        if (i < 0)
            hvt_die(h, 1, "--net-mac:%s: no net device '%s' in the manifest",
                    at[k].name, at[k].name);
        parse_mac(at[k].name, at[k].path, h->dev[i].info.mac);
    }
}

/* Joins ARGS with spaces into the guest's command-line page. */
static void set_cmdline(struct hvt *h, int argc, char **argv)
{
    char *dst = (char *)h->mem + HVT_CMDLINE_BASE;
    size_t n = 0;

    for (int i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (n + len + (i > 0) >= HVT_CMDLINE_MAX)
            hvt_die(h, 1, "command line longer than %u bytes",
                    HVT_CMDLINE_MAX - 1);
        if (i > 0)
            dst[n++] = ' ';
        memcpy(dst + n, argv[i], len);
        n += len;
    }
    dst[n] = 0;
}

int main(int argc, char **argv)
{
    static struct hvt h;
    struct attach at[2 * TB_MFT_ENTRIES_MAX];
    struct tender_elf_info info;
    struct hvt_boot_info *bi;
    char err[TENDER_ELF_ERRLEN];
    unsigned nat = 0;
    uint8_t *img;
    size_t len;
    int i, fd, rc;

    h.mem_size = (uint64_t)MEM_DEFAULT_MB << 20;
    h.stop_fd = -1;
    h.kvm_fd = -1;
    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strncmp(a, "--mem=", 6) == 0) {
            h.mem_size = parse_mem(a + 6);
        } else if (strncmp(a, "--kvm=fd:", 9) == 0) {
            h.kvm_fd = parse_kvm_fd(a + 9);
        } else if (strncmp(a, "--net-mac:", 10) == 0) {
            parse_attach(a + 10, ATTACH_MAC, at, &nat);
        } else if (strncmp(a, "--net:", 6) == 0) {
            parse_attach(a + 6, TB_MFT_NET_DEV, at, &nat);
        } else if (strncmp(a, "--block:", 8) == 0) {
            parse_attach(a + 8, TB_MFT_BLOCK_DEV, at, &nat);
        } else if (strcmp(a, "--help") == 0) {
            usage(0);
        } else if (strcmp(a, "--version") == 0) {
            printf("tibra-hvt %s (ABI %d)\n", TB_VERSION, TB_ABI_VERSION);
            return 0;
        } else {
            dprintf(2, "%s: unknown option '%s'\n", prog, a);
            usage(1);
        }
    }
    if (i >= argc)
        usage(1);
    const char *image = argv[i++];

    fd = open(image, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        hvt_die(&h, 1, "%s: %s", image, strerror(errno));
    if (tender_elf_read_fd(fd, &img, &len, err, sizeof(err)) != 0)
        hvt_die(&h, 1, "%s: %s", image, err);
    close(fd);
    /* The image must end below the guard page under the stack. */
    uint64_t top = h.mem_size - HVT_STACK_SIZE - HVT_PAGE_SIZE;
    rc = tender_elf_check(img, len, TENDER_ELF_X86_64, HVT_IMAGE_BASE, top,
                          &info, err, sizeof(err));
    if (rc == TB_ERANGE)
        hvt_die(&h, 1, "%s: %s (does it fit in --mem=%llu?)", image, err,
                (unsigned long long)(h.mem_size >> 20));
    if (rc != 0)
        hvt_die(&h, 1, "%s: %s", image, err);
    /*
     * An spt image has the same ELF shape and manifest as an hvt image but
     * would triple-fault here; its first bytes are the spt header.
     */
    if (info.nsegs > 0 && info.seg[0].filesz >= sizeof(TB_SPT_MAGIC) - 1 &&
        memcmp(img + info.seg[0].offset, TB_SPT_MAGIC,
               sizeof(TB_SPT_MAGIC) - 1) == 0)
        hvt_die(&h, 1, "%s: an spt image (run it with tibra-spt)", image);
    attach_devices(&h, image, &info.mft, at, nat);

    hvt_vm_create(&h);
    rc = tender_elf_load(img, len, TENDER_ELF_X86_64, h.mem, top,
                         HVT_IMAGE_BASE, &info, err, sizeof(err));
    if (rc != 0)
        hvt_die(&h, 1, "%s: %s", image, err);
    free(img);

    bi = (struct hvt_boot_info *)(void *)(h.mem + HVT_BOOT_INFO_BASE);
    bi->mem_size = h.mem_size;
    bi->kernel_end = info.end;
    bi->cmdline = HVT_CMDLINE_BASE;
    bi->tsc_hz = h.tsc_hz;
    if (getrandom(bi->entropy, sizeof(bi->entropy), 0) !=
        (ssize_t)sizeof(bi->entropy))
        hvt_die(&h, 1, "getrandom: %s", strerror(errno));
    bi->ndevs = h.ndevs;
    for (unsigned k = 0; k < h.ndevs; k++)
        bi->dev[k] = h.dev[k].info;
    set_cmdline(&h, argc - i, argv + i);
    hvt_vm_boot(&h, &info, bi);
    /* A closed console pipe must not kill us with SIGPIPE: console
     * output is best effort (plat.h), the guest keeps running. */
    signal(SIGPIPE, SIG_IGN);
    stop_install(&h, bi);
    hvt_seccomp_confine(&h);

    for (;;) {
        unsigned nr;
        uint32_t gpa;

        hvt_vm_run(&h, &nr, &gpa);
        switch (nr) {
        case HVT_HC_CONSOLE:
            hc_console(&h, gpa);
            break;
        case HVT_HC_EXIT:
            hc_exit(&h, gpa);
            break;
        case HVT_HC_YIELD:
            hc_yield(&h, gpa);
            break;
        case HVT_HC_NET_READ:
            hc_net_read(&h, gpa);
            break;
        case HVT_HC_NET_WRITE:
            hc_net_write(&h, gpa);
            break;
        case HVT_HC_BLOCK_READ:
            hc_block(&h, gpa, 0);
            break;
        case HVT_HC_BLOCK_WRITE:
            hc_block(&h, gpa, 1);
            break;
        case HVT_HC_ENTROPY:
            hc_entropy(&h, gpa);
            break;
        default: /* hvt_vm_run() checked the port range */
            hvt_die(&h, 1, "internal error: hypercall %u", nr);
        }
    }
}
