/*
 * seccomp.c -- tibra-spt's seccomp filter, as raw classic BPF (no
 * libseccomp: nothing to load or compile at start-up, and the whole
 * policy fits on one screen).  The allowlist is exactly what the hosted
 * platform (platform/unix/host.h) needs once the guest runs:
 *
 *     readv          fd in the TAP descriptors
 *     write          fd 1, 2, a TAP descriptor or the stop eventfd
 *     pread64        fd in the block descriptors
 *     pwrite64       fd in the block descriptors
 *     epoll_pwait2   fd == the epoll descriptor   (or epoll_pwait)
 *     clock_gettime  clock CLOCK_REALTIME or CLOCK_MONOTONIC
 *     getrandom      flags == 0
 *     exit_group     any status
 *     setitimer      which == ITIMER_REAL (the stop grace timer)
 *     rt_sigreturn   (returning from the stop handler)
 *
 * Everything else -- and any call made under another architecture's
 * convention (x32 on x86_64, or a foreign AUDIT_ARCH) -- is
 * SECCOMP_RET_KILL_PROCESS.  Layout of the program: an architecture
 * check, then one block per rule:
 *
 *     ld  nr ; jeq NR ? next : skip-block
 *     ld  arg.hi ; jeq 0 ? next : kill      (64-bit args: high half 0)
 *     ld  arg.lo ; jeq v1 ? allow : next ; ... ; jeq vn ? allow : next
 *     ret KILL ; ret ALLOW
 *
 * Arguments are compared as 64-bit values (both halves), since the
 * kernel hands the filter the full registers.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "spt_tender.h"

#if defined(__x86_64__)
#define SPT_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SPT_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "tibra-spt: unsupported host architecture"
#endif

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tibra-spt: argument offsets assume a little-endian host"
#endif

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

struct prog {
    struct sock_filter *ins;
    size_t n;
    bool full;
};

static void emit(struct prog *p, uint16_t code, uint8_t jt, uint8_t jf,
                 uint32_t k)
{
    if (p->n >= SPT_FILTER_MAX) {
        p->full = true;
        return;
    }
    p->ins[p->n++] = (struct sock_filter)BPF_JUMP(code, k, jt, jf);
}

/*
 * Emits the block for system call (nr): allowed when argument (arg) is
 * one of (vals) (n of them), or always when (n) is 0 and (arg) is -1.
 * A rule with (arg) >= 0 and no values allows nothing and is omitted.
 */
static void rule(struct prog *p, long nr, int arg, const uint32_t *vals,
                 size_t n)
{
    /* Body: [ld hi, jeq 0, ld lo, n x jeq, ret kill] ret allow. */
    size_t body = arg < 0 ? 1 : 3 + n + 2;

    if (arg >= 0 && n == 0)
        return;
    emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)body, (uint32_t)nr);
    if (arg >= 0) {
        emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)ARG_HI(arg));
        /* High half non-zero: jump to "ret kill" past the value tests. */
        emit(p, BPF_JMP | BPF_JEQ | BPF_K, 0, (uint8_t)(n + 1), 0);
        emit(p, BPF_LD | BPF_W | BPF_ABS, 0, 0, (uint32_t)ARG_LO(arg));
        for (size_t i = 0; i < n; i++)
            emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint8_t)(n - i), 0, vals[i]);
        emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    }
    emit(p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_ALLOW);
}

static size_t fds(uint32_t *out, const int *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (uint32_t)in[i];
    return n;
}

size_t spt_filter_build(const struct spt_allow *a, void *prog)
{
    struct prog p = {.ins = prog};
    uint32_t v[3 + 16];
    size_t n;
    static const uint32_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
    static const uint32_t zero[] = {0};
    static const uint32_t itimer_real[] = {ITIMER_REAL};

    if (a->n_net > 16 || a->n_block > 16)
        return 0;
    emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0,
         offsetof(struct seccomp_data, arch));
    emit(&p, BPF_JMP | BPF_JEQ | BPF_K, 1, 0, SPT_AUDIT_ARCH);
    emit(&p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
#if defined(__x86_64__)
    /* x32 calls share AUDIT_ARCH_X86_64; refuse them by number. */
    emit(&p, BPF_LD | BPF_W | BPF_ABS, 0, 0, offsetof(struct seccomp_data, nr));
    emit(&p, BPF_JMP | BPF_JGE | BPF_K, 0, 1, 0x40000000u);
    emit(&p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
#endif
    rule(&p, SYS_readv, 0, v, fds(v, a->net_fds, a->n_net));
    v[0] = 1;
    v[1] = 2;
    n = 2 + fds(v + 2, a->net_fds, a->n_net);
    if (a->stop_fd >= 0)
        v[n++] = (uint32_t)a->stop_fd;
    rule(&p, SYS_write, 0, v, n);
    rule(&p, SYS_pread64, 0, v, fds(v, a->block_fds, a->n_block));
    rule(&p, SYS_pwrite64, 0, v, fds(v, a->block_fds, a->n_block));
    v[0] = (uint32_t)a->epfd;
    rule(&p, a->pwait2 ? SYS_epoll_pwait2 : SYS_epoll_pwait, 0, v, 1);
    rule(&p, SYS_clock_gettime, 0, clocks, 2);
    rule(&p, SYS_getrandom, 2, zero, 1);
    rule(&p, SYS_exit_group, -1, NULL, 0);
    rule(&p, SYS_setitimer, 0, itimer_real, 1);
    rule(&p, SYS_rt_sigreturn, -1, NULL, 0);
    emit(&p, BPF_RET | BPF_K, 0, 0, SECCOMP_RET_KILL_PROCESS);
    return p.full ? 0 : p.n;
}

int spt_filter_install(const void *prog, size_t len)
{
    struct sock_fprog fp = {
        .len = (unsigned short)len,
        .filter = (struct sock_filter *)(uintptr_t)prog,
    };

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC,
                &fp) != 0)
        return -errno;
    return 0;
}
