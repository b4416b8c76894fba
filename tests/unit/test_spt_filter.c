/*
 * test_spt_filter.c -- tibra-spt's seccomp program (tender/spt/seccomp.c),
 * run in a small classic-BPF interpreter instead of the kernel, so every
 * decision can be checked: each allowlisted call with each permitted
 * argument is allowed; the same calls with another descriptor, clock or
 * flag, or with the argument's high 32 bits set, are killed; every other
 * system call number from 0 to 1023 is killed; calls under another audit
 * arch and (on x86_64) x32 numbers are killed.  The allowlist is at most
 * 10 calls.  The real kernel path is covered by tests/platform/
 * spt_seccomp.sh.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>

#include "../../tender/spt/seccomp.c"
#include "check.h"

/* Runs (prog) on (d); returns the action.  Only what the builder emits. */
static uint32_t run(const struct sock_filter *prog, size_t len,
                    const struct seccomp_data *d)
{
    uint32_t a = 0;
    size_t pc = 0;

    for (unsigned steps = 0; pc < len && steps < 10000; steps++) {
        const struct sock_filter *f = &prog[pc];
        switch (f->code) {
        case BPF_LD | BPF_W | BPF_ABS:
            if (f->k + 4 > sizeof(*d) || (f->k & 3))
                return 0xdeadu; /* the kernel would reject it */
            memcpy(&a, (const uint8_t *)d + f->k, 4);
            pc++;
            break;
        case BPF_JMP | BPF_JEQ | BPF_K:
            pc += 1 + (a == f->k ? f->jt : f->jf);
            break;
        case BPF_JMP | BPF_JGE | BPF_K:
            pc += 1 + (a >= f->k ? f->jt : f->jf);
            break;
        case BPF_RET | BPF_K:
            return f->k;
        default:
            return 0xbadu;
        }
    }
    return 0xf00u; /* fell off the end */
}

static struct sock_filter prog[SPT_FILTER_MAX];
static size_t plen;

static uint32_t call(long nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    struct seccomp_data d = {.nr = (int)nr, .arch = SPT_AUDIT_ARCH};

    d.args[0] = a0;
    d.args[1] = a1;
    d.args[2] = a2;
    return run(prog, plen, &d);
}

#define ALLOW SECCOMP_RET_ALLOW
#define KILL  SECCOMP_RET_KILL_PROCESS

static const struct spt_allow allow = {
    .net_fds = {5, 7},
    .n_net = 2,
    .block_fds = {6},
    .n_block = 1,
    .epfd = 4,
    .pwait2 = true,
    .stop_fd = 8,
};

static void test_allowed(void)
{
    plen = spt_filter_build(&allow, prog);
    REQUIRE(plen > 0);
    CHECK_EQ(call(SYS_readv, 5, 0, 2), ALLOW);
    CHECK_EQ(call(SYS_readv, 7, 0, 2), ALLOW);
    CHECK_EQ(call(SYS_write, 1, 0, 9), ALLOW);
    CHECK_EQ(call(SYS_write, 2, 0, 9), ALLOW);
    CHECK_EQ(call(SYS_write, 5, 0, 9), ALLOW);
    CHECK_EQ(call(SYS_write, 7, 0, 9), ALLOW);
    CHECK_EQ(call(SYS_pread64, 6, 0, 512), ALLOW);
    CHECK_EQ(call(SYS_pwrite64, 6, 0, 512), ALLOW);
    CHECK_EQ(call(SYS_epoll_pwait2, 4, 0, 16), ALLOW);
    CHECK_EQ(call(SYS_clock_gettime, CLOCK_MONOTONIC, 0, 0), ALLOW);
    CHECK_EQ(call(SYS_clock_gettime, CLOCK_REALTIME, 0, 0), ALLOW);
    CHECK_EQ(call(SYS_getrandom, 0, 8, 0), ALLOW);
    CHECK_EQ(call(SYS_exit_group, 3, 0, 0), ALLOW);
    /* The stop handlers (platform/unix/stop.c). */
    CHECK_EQ(call(SYS_write, 8, 0, 8), ALLOW);
    CHECK_EQ(call(SYS_setitimer, ITIMER_REAL, 0, 0), ALLOW);
    CHECK_EQ(call(SYS_rt_sigreturn, 0, 0, 0), ALLOW);
}

static void test_bad_arguments(void)
{
    plen = spt_filter_build(&allow, prog);
    REQUIRE(plen > 0);
    CHECK_EQ(call(SYS_readv, 0, 0, 2), KILL);
    CHECK_EQ(call(SYS_readv, 1, 0, 2), KILL);
    CHECK_EQ(call(SYS_readv, 6, 0, 2), KILL); /* block fd */
    CHECK_EQ(call(SYS_write, 0, 0, 9), KILL);
    CHECK_EQ(call(SYS_write, 3, 0, 9), KILL);
    CHECK_EQ(call(SYS_write, 4, 0, 9), KILL); /* the epoll fd */
    CHECK_EQ(call(SYS_write, 6, 0, 9), KILL); /* block fd */
    CHECK_EQ(call(SYS_write, 1ull << 32 | 1, 0, 9), KILL);
    CHECK_EQ(call(SYS_pread64, 5, 0, 512), KILL);
    CHECK_EQ(call(SYS_pwrite64, 7, 0, 512), KILL);
    CHECK_EQ(call(SYS_pwrite64, 1ull << 40 | 6, 0, 512), KILL);
    CHECK_EQ(call(SYS_epoll_pwait2, 5, 0, 16), KILL);
    CHECK_EQ(call(SYS_epoll_pwait, 4, 0, 16), KILL); /* pwait2 chosen */
    CHECK_EQ(call(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, 0, 0), KILL);
    CHECK_EQ(call(SYS_clock_gettime, CLOCK_BOOTTIME, 0, 0), KILL);
    CHECK_EQ(call(SYS_getrandom, 0, 8, 1), KILL);
    CHECK_EQ(call(SYS_getrandom, 0, 8, 1ull << 32), KILL);
    CHECK_EQ(call(SYS_setitimer, ITIMER_VIRTUAL, 0, 0), KILL);
    CHECK_EQ(call(SYS_setitimer, ITIMER_PROF, 0, 0), KILL);
}

static void test_everything_else(void)
{
    static const long allowed[] = {
        SYS_readv,        SYS_write,         SYS_pread64,   SYS_pwrite64,
        SYS_epoll_pwait2, SYS_clock_gettime, SYS_getrandom, SYS_exit_group,
        SYS_setitimer,    SYS_rt_sigreturn};
    unsigned n_allowed = 0;

    plen = spt_filter_build(&allow, prog);
    REQUIRE(plen > 0);
    for (long nr = 0; nr < 1024; nr++) {
        bool listed = false;
        for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
            listed |= allowed[i] == nr;
        /* With the most permissive arguments the builder could allow. */
        uint32_t r = call(nr, 1, 0, 0);
        if (r != KILL)
            n_allowed++;
        if (!listed)
            CHECK_EQ(call(nr, 5, 0, 0), KILL);
        if (!listed && r != KILL)
            fprintf(stderr, "  system call %ld allowed\n", nr);
    }
    CHECK(n_allowed <= 10);
    /* Another architecture's calling convention. */
    struct seccomp_data d = {.nr = SYS_write, .arch = AUDIT_ARCH_I386};
    d.args[0] = 1;
    CHECK_EQ(run(prog, plen, &d), KILL);
#if defined(__x86_64__)
    CHECK_EQ(call(0x40000000 | SYS_write, 1, 0, 0), KILL);
#endif
}

static void test_no_devices(void)
{
    struct spt_allow none = {.epfd = 3, .pwait2 = false, .stop_fd = -1};

    plen = spt_filter_build(&none, prog);
    REQUIRE(plen > 0);
    CHECK_EQ(call(SYS_readv, 3, 0, 0), KILL);
    CHECK_EQ(call(SYS_pread64, 3, 0, 0), KILL);
    CHECK_EQ(call(SYS_write, 1, 0, 0), ALLOW);
    CHECK_EQ(call(SYS_write, 3, 0, 0), KILL);
    CHECK_EQ(call(SYS_write, 0, 0, 0), KILL); /* no stop eventfd */
    CHECK_EQ(call(SYS_epoll_pwait, 3, 0, 0), ALLOW);
    CHECK_EQ(call(SYS_epoll_pwait2, 3, 0, 0), KILL);
    /* Too many descriptors: refused, not truncated. */
    none.n_net = 17;
    CHECK_EQ(spt_filter_build(&none, prog), 0);
}

int main(void)
{
    RUN(test_allowed);
    RUN(test_bad_arguments);
    RUN(test_everything_else);
    RUN(test_no_devices);
    return check_done();
}
