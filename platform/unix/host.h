/*
 * host.h -- the hosted implementation of plat.h, shared by the unix target
 * (linked into every unix program with platform/unix/start.c) and by
 * tender/spt (which runs a guest image in its own process and hands it
 * these same functions through a table).  Devices are host file
 * descriptors: a TAP device per network, a file per block device, plus one
 * epoll descriptor that tb_yield() waits on.
 *
 * After tb_host_seal() the code here makes only these system calls, which
 * is what tender/spt's seccomp filter allows: readv and write on TAP
 * descriptors, write on 1 and 2, pread64/pwrite64 on block descriptors,
 * epoll_pwait2 (or epoll_pwait) on the epoll descriptor, clock_gettime
 * (CLOCK_MONOTONIC, CLOCK_REALTIME; normally served by the vDSO),
 * getrandom (flags 0) and exit_group; and, from the stop handlers
 * (stop.c), write on the stop eventfd, setitimer(ITIMER_REAL) and
 * rt_sigreturn.  Setup (tb_host_init, attach, tb_host_stop_install) may
 * make any call.  Host-side errors at setup are fatal: they print
 * "PROG: message" and exit 1, as err(3) does.
 */
#ifndef TB_HOST_H
#define TB_HOST_H

#include <stdbool.h>
#include <tibra/plat.h>

/* One attached device.  Handles are indices into tb_host.dev. */
struct tb_host_dev {
    char name[TB_MFT_NAME_MAX];
    uint32_t type; /* enum tb_mft_type */
    int fd;
    bool acquired;
    struct tb_net_info net; /* net only */
    struct tb_block_info blk; /* block only */
    uint64_t rx_oversize; /* frames dropped: larger than the buffer */
};

struct tb_host {
    struct tb_host_dev dev[TB_MFT_ENTRIES_MAX];
    unsigned ndev;
    int epfd;
    bool pwait2; /* epoll_pwait2 works (Linux >= 5.11) */
};

extern struct tb_host tb_host;

/*
 * Creates the epoll descriptor and probes epoll_pwait2.  MUST be called
 * once before any other tb_host_* call.  Fatal on failure.
 */
void tb_host_init(void);

/*
 * Attaches device (name) of (type) to (path) (a TAP interface name for
 * TB_MFT_NET_DEV, a file for TB_MFT_BLOCK_DEV).  (mft) is the image's
 * manifest: attaching a device it does not declare with that type, or
 * attaching one twice, is fatal with a message naming the device, as is
 * a missing TAP interface or file.
 */
void tb_host_attach(const struct tb_mft *mft, uint32_t type, const char *name,
                    const char *path);

/*
 * Parses one command-line option "--net:NAME=PATH" or "--block:NAME=PATH"
 * and attaches it, or "--net-mac:NAME=MAC" and sets that device's MAC
 * (whichever comes first).  Returns true if (arg) was such an option (a
 * malformed one is fatal), false if it is something else.
 */
bool tb_host_attach_opt(const struct tb_mft *mft, const char *arg);

/*
 * Fatal unless every device declared in (mft) is attached and every
 * --net-mac named an attached device (the tenders' rule; the unix target, which
 * may run in socket mode, does not call it).
 */
void tb_host_require_all(const struct tb_mft *mft);

/*
 * Validates a manifest read from an image (or linked into the unix
 * program): ABI version (TB_ABI_VERSION; a mismatch names both versions),
 * entry count, NUL-terminated unique names, known types.  Fatal on error;
 * (what) names the image in messages.
 */
void tb_host_check_mft(const struct tb_mft *mft, const char *what);

/*
 * Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP on an
 * alternate stack.  A fault prints "(who): fault: SIGNAL" with the
 * faulting address and a register dump to stderr, then exits with status
 * 255 (exit_group; nothing else is called, so it works under seccomp).
 */
void tb_host_fault_install(const char *who);

/*
 * Makes SIGTERM and SIGINT a stop request (plat.h's tb_stop_requested()):
 * the first sets the flag, wakes tb_yield() through an eventfd in the
 * epoll set and arms a TB_STOP_GRACE_MS timer after which the process
 * exits (status 128 + signal, with "(who): still running ..." on
 * stderr); later requests change nothing.  Call once, after
 * tb_host_init().
 * Fatal on failure.
 */
void tb_host_stop_install(const char *who);

/* The eventfd the stop handler writes (-1 before tb_host_stop_install):
 * tender/spt allows write(2) on it. */
int tb_host_stop_fd(void);

/* Default and largest memory (--mem=MIB) for an application or guest. */
#define TB_HOST_MEM_DEFAULT_MIB 32u
#define TB_HOST_MEM_MAX_MIB     (64u * 1024u)

/*
 * Parses the MIB of a --mem=MIB option (1..TB_HOST_MEM_MAX_MIB) and
 * returns it in bytes.  Fatal on anything else.
 */
size_t tb_host_parse_mem(const char *s);

/*
 * Joins (argc) arguments of (argv) with spaces into a new NUL-terminated
 * string (malloc'd, kept until exit): the application's command line.
 * Fatal on allocation failure.
 */
char *tb_host_cmdline(int argc, char *const argv[]);

/* Exits the process at once with (status) (exit_group). */
void tb_host_exit(int status) __attribute__((noreturn));

#endif /* TB_HOST_H */
