/*
 * spt_main.c -- tibra-spt, the seccomp tender: runs a Tibra guest image
 * as a sandboxed process.
 *
 *     tibra-spt [--mem=MIB] [--net:NAME=TAP|fd:N] [--net-mac:NAME=MAC]
 *               [--block:NAME=FILE] IMAGE [ARGS]
 *
 * Steps: read and check the image and its manifest (tender/common/elf.c:
 * ELF64 ET_EXEC for this machine, manifest ABI == TB_ABI_VERSION); attach
 * the devices the options name, each of which MUST be declared in the
 * manifest, and require every declared one; map guest memory at the
 * addresses the image was linked for, refusing any overlap with the
 * tender's own mappings (MAP_FIXED_NOREPLACE); copy the segments and set
 * their protections; install the fault handler and the seccomp filter
 * (seccomp.c); then switch to the guest's stack and call its entry point
 * with the ops table (platform/spt/spt_abi.h).  From then on the guest's
 * platform calls run the hosted plat.h implementation of platform/unix in
 * this process, under the filter.  Errors before the guest runs print
 * "tibra-spt: ..." and exit 1; guest faults exit 255; a forbidden system
 * call is killed by SIGSYS.
 */
#include <err.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../../platform/common/rt.h"
#include "../../platform/spt/spt_abi.h"
#include "../../platform/unix/host.h"
#include "../common/elf.h"
#include "spt_tender.h"

#include <linux/filter.h>

#define DEFAULT_MEM_MIB 32u
#define MAX_MEM_MIB     (64u * 1024u)
#define MAX_DEV_OPTS    32

#if defined(__x86_64__)
#define HOST_MACHINE TENDER_ELF_X86_64
#elif defined(__aarch64__)
#define HOST_MACHINE TENDER_ELF_AARCH64
#endif

static const struct tb_spt_ops ops = {
    .console_write = tb_console_write,
    .exit = tb_exit,
    .abort = tb_abort,
    .clock_monotonic = tb_clock_monotonic,
    .clock_wall = tb_clock_wall,
    .yield = tb_yield,
    .net_acquire = tb_net_acquire,
    .net_read = tb_net_read,
    .net_write = tb_net_write,
    .block_acquire = tb_block_acquire,
    .block_read = tb_block_read,
    .block_write = tb_block_write,
    .entropy = tb_entropy,
    .stop_requested = tb_stop_requested,
};

static struct tb_spt_boot boot;

/* Prints the usage; to stdout and status 0 when asked for (--help). */
static void usage(int status)
{
    fprintf(status ? stderr : stdout,
            "usage: tibra-spt [--mem=MIB] [--net:NAME=TAP] "
            "[--block:NAME=FILE] IMAGE [ARGS]\n"
            "  --mem=MIB          guest memory, default %u MiB\n"
            "  --net:NAME=TAP     attach TAP interface TAP as net device "
            "NAME\n"
            "  --net:NAME=fd:N    use descriptor N, a TAP opened for us\n"
            "  --net-mac:NAME=MAC set net device NAME's MAC (default: "
            "random 02:...)\n"
            "  --block:NAME=FILE  attach FILE as block device NAME\n"
            "Every device the image's manifest declares must be attached, "
            "and only those.\n",
            TB_HOST_MEM_DEFAULT_MIB);
    exit(status);
}

/* Switches to (sp) and jumps to (entry) with (b) as its argument. */
static void __attribute__((noreturn))
enter(uint64_t entry, uint64_t sp, const struct tb_spt_boot *b)
{
#if defined(__x86_64__)
    /* A zero return address: the guest's entry looks called, and a
     * return from it faults cleanly. */
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "xor %%ebp, %%ebp\n\t"
                     "pushq $0\n\t"
                     "jmp *%1"
                     :
                     : "r"(sp), "r"(entry), "D"(b)
                     : "memory");
#elif defined(__aarch64__)
    register const struct tb_spt_boot *x0 __asm__("x0") = b;
    __asm__ volatile("mov sp, %0\n\t"
                     "mov x29, xzr\n\t"
                     "mov x30, xzr\n\t"
                     "br %1"
                     :
                     : "r"(sp), "r"(entry), "r"(x0)
                     : "memory");
#endif
    __builtin_unreachable();
}

static uint8_t *read_image(const char *path, size_t *len)
{
    char msg[TENDER_ELF_ERRLEN];
    uint8_t *img;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        err(1, "%s", path);
    if (tender_elf_read_fd(fd, &img, len, msg, sizeof(msg)) != 0)
        errx(1, "%s: %s", path, msg);
    close(fd);
    return img;
}

/*
 * The image must start with the spt header (spt_abi.h): an image linked
 * for another target (hvt) has the same ELF shape and manifest.
 */
static void check_spt_header(const char *path, const uint8_t *img,
                             const struct tender_elf_info *info)
{
    const struct tender_elf_seg *s = &info->seg[0]; /* lowest vaddr */
    struct tb_spt_header h;

    if (s->vaddr != TB_SPT_BASE || s->filesz < sizeof(h) ||
        !(s->flags & TENDER_ELF_R))
        errx(1,
             "%s: not an spt image (it is not linked at %#x; an hvt "
             "image?)",
             path, TB_SPT_BASE);
    memcpy(&h, img + s->offset, sizeof(h));
    if (memcmp(h.magic, TB_SPT_MAGIC, sizeof(h.magic)) != 0)
        errx(1,
             "%s: not an spt image (no spt header at %#x; an hvt "
             "image?)",
             path, TB_SPT_BASE);
    if (h.abi_version != TB_ABI_VERSION)
        errx(1,
             "%s: spt header says ABI version %u, this tender implements "
             "version %u",
             path, h.abi_version, TB_ABI_VERSION);
}

/* Maps guest memory [lo, top) where the image asks for it. */
static void map_guest(const char *path, uint64_t lo, uint64_t top)
{
    void *want = (void *)(uintptr_t)lo;
    void *p =
        mmap(want, top - lo, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE,
             -1, 0);

    if (p == MAP_FAILED)
        err(1,
            "%s: cannot map guest memory [%#llx, %#llx) (it overlaps "
            "the tender, or exceeds the address space)",
            path, (unsigned long long)lo, (unsigned long long)top);
    if (p != want) {
        /* Kernels before 4.17 ignore MAP_FIXED_NOREPLACE. */
        munmap(p, top - lo);
        errx(1, "%s: guest memory [%#llx, %#llx) overlaps the tender", path,
             (unsigned long long)lo, (unsigned long long)top);
    }
}

static void load(const uint8_t *img, const struct tender_elf_info *info)
{
    for (unsigned i = 0; i < info->nsegs; i++) {
        const struct tender_elf_seg *s = &info->seg[i];
        memcpy((void *)(uintptr_t)s->vaddr, img + s->offset, s->filesz);
    }
    for (unsigned i = 0; i < info->nsegs; i++) {
        const struct tender_elf_seg *s = &info->seg[i];
        int prot = ((s->flags & TENDER_ELF_R) ? PROT_READ : 0) |
                   ((s->flags & TENDER_ELF_W) ? PROT_WRITE : 0) |
                   ((s->flags & TENDER_ELF_X) ? PROT_EXEC : 0);
        if (mprotect((void *)(uintptr_t)s->page_start,
                     s->page_end - s->page_start, prot) != 0)
            err(1, "mprotect");
    }
}

int main(int argc, char *argv[])
{
    static struct sock_filter filter[SPT_FILTER_MAX];
    const char *dev_opts[MAX_DEV_OPTS];
    unsigned n_dev_opts = 0;
    size_t mem = (size_t)TB_HOST_MEM_DEFAULT_MIB << 20, len, flen;
    struct tender_elf_info info;
    struct spt_allow allow;
    char msg[TENDER_ELF_ERRLEN];
    const char *path;
    uint8_t *img;
    uint64_t stack_lo;
    struct rlimit no_core = {0, 0};
    char *cmdline;
    int i, r;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strncmp(argv[i], "--mem=", 6) == 0) {
            mem = tb_host_parse_mem(argv[i] + 6);
        } else if (strncmp(argv[i], "--net:", 6) == 0 ||
                   strncmp(argv[i], "--net-mac:", 10) == 0 ||
                   strncmp(argv[i], "--block:", 8) == 0) {
            if (n_dev_opts == MAX_DEV_OPTS)
                errx(1, "too many devices");
            dev_opts[n_dev_opts++] = argv[i];
        } else if (strcmp(argv[i], "--help") == 0 ||
                   strcmp(argv[i], "-h") == 0) {
            usage(0);
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            warnx("unknown option '%s'", argv[i]);
            usage(1);
        } else {
            break;
        }
    }
    if (i >= argc)
        usage(1);
    path = argv[i++];

    img = read_image(path, &len);
    r = tender_elf_check(img, len, HOST_MACHINE, TB_SPT_BASE, mem, &info, msg,
                         sizeof(msg));
    if (r != 0)
        errx(1, "%s: %s", path, msg);
    check_spt_header(path, img, &info);
    /* Room for the image, a guard page and the stack. */
    if (info.end + TB_SPT_PAGE + TB_SPT_STACK_SIZE > mem)
        errx(1,
             "%s: --mem=%zu is too small for this image (it needs "
             "%llu KiB plus a %u KiB stack)",
             path, mem >> 20, (unsigned long long)(info.end >> 10),
             TB_SPT_STACK_SIZE >> 10);

    tb_host_init();
    for (unsigned j = 0; j < n_dev_opts; j++)
        tb_host_attach_opt(&info.mft, dev_opts[j]);
    tb_host_require_all(&info.mft);
    tb_host_stop_install("tibra-spt");

    cmdline = tb_host_cmdline(argc - i, argv + i);

    map_guest(path, info.lo, mem);
    load(img, &info);
    free(img);
    stack_lo = mem - TB_SPT_STACK_SIZE;
    if (mprotect((void *)(uintptr_t)(stack_lo - TB_SPT_PAGE), TB_SPT_PAGE,
                 PROT_NONE) != 0)
        err(1, "mprotect guard page");

    boot.abi_version = TB_ABI_VERSION;
    boot.ops_size = sizeof(ops);
    boot.ops = &ops;
    boot.cmdline = cmdline;
    boot.heap_start = info.end;
    boot.heap_size = stack_lo - TB_SPT_PAGE - info.end;

    memset(&allow, 0, sizeof(allow));
    for (unsigned j = 0; j < tb_host.ndev; j++) {
        if (tb_host.dev[j].type == TB_MFT_NET_DEV)
            allow.net_fds[allow.n_net++] = tb_host.dev[j].fd;
        else
            allow.block_fds[allow.n_block++] = tb_host.dev[j].fd;
    }
    allow.epfd = tb_host.epfd;
    allow.stop_fd = tb_host_stop_fd();
    allow.pwait2 = tb_host.pwait2;
    flen = spt_filter_build(&allow, filter);
    if (flen == 0)
        errx(1, "seccomp filter too large");

    /* A SIGSYS kill would dump core; a sandboxed guest leaves nothing. */
    setrlimit(RLIMIT_CORE, &no_core);
    tb_host_fault_install("tibra-spt");
#ifndef SPT_NO_FILTER
    r = spt_filter_install(filter, flen);
    if (r != 0)
        errx(1, "cannot install the seccomp filter: %s", strerror(-r));
#else
    (void)r;
    warnx("test build: running the guest WITHOUT the seccomp filter");
#endif
    enter(info.entry, mem, &boot);
}
