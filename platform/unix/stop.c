/*
 * stop.c -- tb_stop_requested() for the hosted platform (unix target,
 * tender/spt): SIGTERM and SIGINT become a stop request the application
 * polls, instead of killing the process outright, so that it can report
 * its counters and exit cleanly (plat.h, "stop").
 *
 * The handlers are tender/common/stop.c's (shared with tibra-hvt): they
 * record the request, write an eventfd that sits in tb_yield()'s epoll set
 * (so a request arriving just before the wait still ends it: no lost
 * wakeup; the eventfd is never read, so every later tb_yield() returns at
 * once), and arm a TB_STOP_GRACE_MS timer that ends the process.  Every
 * step uses only calls the spt seccomp filter allows (write on the eventfd
 * and on 2, setitimer(ITIMER_REAL), exit_group, rt_sigreturn).
 */
#include <err.h>
#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "../../tender/common/stop.h"
#include "host.h"

static int stop_fd = -1;

bool tb_stop_requested(void)
{
    return tb_stop_signal() != 0;
}

int tb_host_stop_fd(void)
{
    return stop_fd;
}

void tb_host_stop_install(const char *who)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    int rc;

    stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0)
        err(1, "eventfd");
    /* Tagged UINT64_MAX: not a handle, so never in tb_yield's ready set. */
    if (epoll_ctl(tb_host.epfd, EPOLL_CTL_ADD, stop_fd, &ev) < 0)
        err(1, "epoll_ctl");
    if ((rc = tb_stop_install(who, stop_fd, NULL, tb_host_exit)) != 0) {
        errno = -rc;
        err(1, "sigaction");
    }
}
