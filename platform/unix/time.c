/*
 * time.c -- clocks and tb_yield() for the hosted platform (unix target,
 * tender/spt).  Clocks are clock_gettime (the vDSO, normally no system
 * call).  tb_yield() waits on the one epoll descriptor holding every TAP
 * device, with epoll_pwait2's nanosecond timeout where the kernel has it
 * (Linux 5.11) and epoll_pwait's milliseconds, rounded up, otherwise; so a
 * deadline is never returned from early except for input or a signal.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "host.h"

static tb_time_t clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (tb_time_t)ts.tv_sec * 1000000000ull + (tb_time_t)ts.tv_nsec;
}

tb_time_t tb_clock_monotonic(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

tb_time_t tb_clock_wall(void)
{
    return clock_ns(CLOCK_REALTIME);
}

void tb_yield(tb_time_t deadline, tb_handle_set_t *ready)
{
    struct epoll_event ev[TB_MFT_ENTRIES_MAX];
    tb_time_t now = tb_clock_monotonic();
    tb_time_t wait = deadline > now ? deadline - now : 0;
    tb_handle_set_t set = 0;
    long n;

    if (tb_host.pwait2) {
        struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000u),
                              .tv_nsec = (long)(wait % 1000000000u)};
        n = syscall(SYS_epoll_pwait2, tb_host.epfd, ev, TB_MFT_ENTRIES_MAX, &ts,
                    NULL, 0);
    } else {
        /* Round up so that we never wake before the deadline. */
        tb_time_t ms = (wait + 999999u) / 1000000u;
        int timeout = ms > 0x7fffffff ? 0x7fffffff : (int)ms;
        n = syscall(SYS_epoll_pwait, tb_host.epfd, ev, TB_MFT_ENTRIES_MAX,
                    timeout, NULL, 0);
    }
    for (long i = 0; i < n; i++) {
        if (ev[i].data.u64 < TB_HANDLE_MAX)
            set |= (tb_handle_set_t)1 << ev[i].data.u64;
    }
    *ready = set;
}
