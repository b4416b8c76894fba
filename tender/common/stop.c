/*
 * stop.c -- the stop request's signal handlers (stop.h), shared by
 * platform/unix/stop.c (unix programs, tibra-spt) and tender/hvt.  A stop
 * request instead of a kill lets the application report its counters and
 * exit cleanly; the grace timer bounds how long that may take.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <tibra/plat.h>
#include <unistd.h>

#include "stop.h"

static volatile sig_atomic_t stop_sig; /* the first request, 0: none */
static volatile uint64_t *stop_flag;
static int stop_fd = -1;
static void (*stop_end)(int);
static char late_msg[160];
static size_t late_len;

int tb_stop_signal(void)
{
    return stop_sig;
}

static void on_stop(int sig)
{
    int saved = errno;
    uint64_t one = 1;
    struct itimerval grace = {
        .it_value = {.tv_sec = TB_STOP_GRACE_MS / 1000,
                     .tv_usec = (TB_STOP_GRACE_MS % 1000) * 1000}};

    if (stop_sig != 0)
        return; /* repeated: changes nothing */
    stop_sig = sig;
    if (stop_flag != NULL)
        *stop_flag = 1;
    if (write(stop_fd, &one, sizeof(one)) < 0) {
        /* one write of an eventfd counter cannot overflow it */
    }
    setitimer(ITIMER_REAL, &grace, NULL);
    errno = saved;
}

static void on_late(int sig)
{
    (void)sig;
    if (write(2, late_msg, late_len) < 0) {
        /* stderr is gone; end anyway */
    }
    stop_end(128 + stop_sig);
}

int tb_stop_install(const char *who, int efd, volatile uint64_t *flag,
                    void (*end)(int status))
{
    struct sigaction sa;
    int n;

    stop_fd = efd;
    stop_flag = flag;
    stop_end = end;
    n = snprintf(late_msg, sizeof(late_msg),
                 "%s: still running %u ms after the stop request; ended\n", who,
                 TB_STOP_GRACE_MS);
    late_len =
        n > 0 ? (size_t)n < sizeof(late_msg) ? (size_t)n : sizeof(late_msg) - 1
              : 0;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGALRM);
    /* No SA_RESTART: a blocking wait returns EINTR and looks again. */
    sa.sa_handler = on_stop;
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -errno;
    sa.sa_handler = on_late;
    if (sigaction(SIGALRM, &sa, NULL) != 0)
        return -errno;
    return 0;
}
