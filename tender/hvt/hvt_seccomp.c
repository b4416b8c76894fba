/*
 * hvt_seccomp.c -- confines tibra-hvt once the VM is built (contract in
 * hvt.h).  The filter allows only what serving hypercalls needs, with the
 * file descriptor pinned wherever the system call takes one: KVM_RUN and
 * the register reads for fault reports on the vCPU fd; read/readv/write
 * on the TAP fds; pread64/pwrite64 on the block fds; write on stdout and
 * stderr; ppoll on at most as many fds as there are net devices plus the
 * stop eventfd, without a signal mask; getrandom without flags;
 * exit_group; and for the stop handlers (hvt_main.c) write on the stop
 * eventfd, setitimer(ITIMER_REAL) and rt_sigreturn.  No clock: yield
 * takes a relative timeout, and the guest reads the TSC itself.
 * Anything else kills the process.  Solo5's hvt_seccomp_linux.c allows a
 * longer list without argument checks (it keeps a net I/O thread); we
 * have no threads, so no futex, mmap or mprotect.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <string.h>
#include <sys/time.h>

#include "hvt.h"

static void allow(struct hvt *h, scmp_filter_ctx ctx, int nr, unsigned nargs,
                  const struct scmp_arg_cmp *args)
{
    int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, nargs, args);

    if (rc != 0)
        hvt_die(h, 1, "seccomp_rule_add(%d): %s", nr, strerror(-rc));
}

static void allow_fd(struct hvt *h, scmp_filter_ctx ctx, int nr, int fd)
{
    struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)fd);

    allow(h, ctx, nr, 1, &a);
}

void hvt_seccomp_confine(struct hvt *h)
{
    static const unsigned long vcpu_ioctls[] = {KVM_RUN, KVM_GET_REGS,
                                                KVM_GET_SREGS};
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    int rc;

    if (ctx == NULL)
        hvt_die(h, 1, "seccomp_init failed");
    for (size_t i = 0; i < TB_ARRAY_SIZE(vcpu_ioctls); i++) {
        struct scmp_arg_cmp a[2] = {
            SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)h->vcpu_fd),
            SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)vcpu_ioctls[i]),
        };
        allow(h, ctx, SCMP_SYS(ioctl), 2, a);
    }
    allow_fd(h, ctx, SCMP_SYS(write), 1);
    allow_fd(h, ctx, SCMP_SYS(write), 2);
    for (unsigned i = 0; i < h->ndevs; i++) {
        int fd = h->dev[i].fd;
        if (h->dev[i].type == TB_MFT_NET_DEV) {
            allow_fd(h, ctx, SCMP_SYS(read), fd);
            allow_fd(h, ctx, SCMP_SYS(readv), fd);
            allow_fd(h, ctx, SCMP_SYS(write), fd);
        } else {
            allow_fd(h, ctx, SCMP_SYS(pread64), fd);
            allow_fd(h, ctx, SCMP_SYS(pwrite64), fd);
        }
    }
    struct scmp_arg_cmp noflags = SCMP_A2(SCMP_CMP_EQ, 0);
    allow(h, ctx, SCMP_SYS(getrandom), 1, &noflags);
    /* ppoll: at most one pollfd per net device, no signal mask. */
    unsigned nnet = 0;
    for (unsigned i = 0; i < h->ndevs; i++)
        nnet += h->dev[i].type == TB_MFT_NET_DEV;
    if (h->stop_fd >= 0) {
        allow_fd(h, ctx, SCMP_SYS(write), h->stop_fd);
        nnet++;
    }
    struct scmp_arg_cmp real = SCMP_A0(SCMP_CMP_EQ, ITIMER_REAL);
    allow(h, ctx, SCMP_SYS(setitimer), 1, &real);
    allow(h, ctx, SCMP_SYS(rt_sigreturn), 0, NULL);
    struct scmp_arg_cmp pp[2] = {
        SCMP_A1(SCMP_CMP_LE, (scmp_datum_t)nnet),
        SCMP_A3(SCMP_CMP_EQ, 0),
    };
    allow(h, ctx, SCMP_SYS(ppoll), 2, pp);
    allow(h, ctx, SCMP_SYS(exit_group), 0, NULL);
    rc = seccomp_load(ctx);
    seccomp_release(ctx);
    if (rc != 0)
        hvt_die(h, 1, "seccomp_load: %s", strerror(-rc));
    h->confined = true;
}
