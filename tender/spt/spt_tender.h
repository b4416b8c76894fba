/*
 * spt_tender.h -- private to tender/spt: the seccomp filter builder
 * (seccomp.c) used by the tender's main (spt_main.c).
 */
#ifndef TB_SPT_TENDER_H
#define TB_SPT_TENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Most instructions a filter may have; the real ones are ~60. */
#define SPT_FILTER_MAX 512

/*
 * The descriptors the guest may use, from which the allowlist is built:
 * (net_fds) for readv/write, (block_fds) for pread64/pwrite64, (epfd) for
 * the one epoll call (epoll_pwait2 if (pwait2), else epoll_pwait).
 * Descriptors 1 and 2 are always writable (console, fault reports), and
 * (stop_fd) is when >= 0; the stop handlers (platform/unix/stop.c) also
 * need setitimer(ITIMER_REAL) and rt_sigreturn.
 */
struct spt_allow {
    int net_fds[16];
    unsigned n_net;
    int block_fds[16];
    unsigned n_block;
    int epfd;
    bool pwait2;
    int stop_fd; /* the stop eventfd: write only (-1: none) */
};

/*
 * Builds the BPF program for (a) into (prog) (room for SPT_FILTER_MAX
 * instructions; struct sock_filter) and returns its length, or 0 if it
 * does not fit.  Every allowed call has an argument filter except
 * exit_group; anything else, or another architecture's calls, kills the
 * process (SECCOMP_RET_KILL_PROCESS).
 */
size_t spt_filter_build(const struct spt_allow *a, void *prog);

/*
 * Installs (prog, len) with no_new_privs.  Returns 0 or -errno.  After
 * this only the allowlisted calls work.
 */
int spt_filter_install(const void *prog, size_t len);

#endif /* TB_SPT_TENDER_H */
