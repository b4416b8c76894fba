/*
 * stop.c -- tb_stop_requested() for the hosted platform (unix target,
 * tender/spt): SIGTERM and SIGINT become a stop request the application
 * polls, instead of killing the process outright, so that it can report
 * its counters and exit cleanly (plat.h, "stop").
 *
 * The handler sets a flag, writes an eventfd that sits in tb_yield()'s
 * epoll set (so a request arriving just before the wait still ends it:
 * no lost wakeup; the eventfd is never read, so every later tb_yield()
 * returns at once), and arms a TB_STOP_GRACE_MS timer whose SIGALRM
 * handler ends the process; later requests change nothing.  Every
 * step is async-signal-safe and uses only calls the spt seccomp filter
 * allows (write on the eventfd and on 2, setitimer(ITIMER_REAL),
 * exit_group, and rt_sigreturn to return from the handler).
 */
#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <unistd.h>

#include "host.h"

static volatile sig_atomic_t stop_sig; /* the first request, 0: none */
static int stop_fd = -1;
static char late_msg[160];
static size_t late_len;

bool tb_stop_requested(void)
{
    return stop_sig != 0;
}

int tb_host_stop_fd(void)
{
    return stop_fd;
}

static void on_stop(int sig)
{
    int saved = errno;
    uint64_t one = 1;
    struct itimerval grace = {
        .it_value = {.tv_sec = TB_STOP_GRACE_MS / 1000,
                     .tv_usec = (TB_STOP_GRACE_MS % 1000) * 1000}};

    /* A repeated request changes nothing: timeout(1), for one, signals
     * both the process and its group, so two may come at once. */
    if (stop_sig != 0)
        return;
    stop_sig = sig;
    if (write(stop_fd, &one, sizeof(one)) < 0) {
        /* The counter cannot overflow from one write; nothing to do. */
    }
    setitimer(ITIMER_REAL, &grace, NULL);
    errno = saved;
}

static void on_late(int sig)
{
    (void)sig;
    if (write(2, late_msg, late_len) < 0) {
        /* stderr is gone; exit anyway */
    }
    tb_host_exit(128 + stop_sig);
}

void tb_host_stop_install(const char *who)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = UINT64_MAX};
    struct sigaction sa;
    int n;

    stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0)
        err(1, "eventfd");
    /* Tagged UINT64_MAX: not a handle, so never in tb_yield's ready set. */
    if (epoll_ctl(tb_host.epfd, EPOLL_CTL_ADD, stop_fd, &ev) < 0)
        err(1, "epoll_ctl");
    n = snprintf(late_msg, sizeof(late_msg),
                 "%s: still running %u ms after the stop request; ended\n", who,
                 TB_STOP_GRACE_MS);
    late_len = n > 0 ? TB_MIN((size_t)n, sizeof(late_msg) - 1) : 0;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGALRM);
    /* No SA_RESTART: a blocking wait of the application returns EINTR. */
    sa.sa_handler = on_stop;
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        err(1, "sigaction");
    sa.sa_handler = on_late;
    if (sigaction(SIGALRM, &sa, NULL) != 0)
        err(1, "sigaction");
}
