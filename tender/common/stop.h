/*
 * stop.h -- SIGTERM and SIGINT as a stop request (plat.h, "stop"), shared
 * by the hosted platform (platform/unix/stop.c: unix programs and
 * tibra-spt) and tibra-hvt, which differ only in how the guest learns of
 * the request (a flag it polls through a call, or a word in the hvt boot
 * page) and in how the process ends.
 */
#ifndef TB_TENDER_STOP_H
#define TB_TENDER_STOP_H

#include <stdint.h>

/*
 * Installs the handlers.  The first SIGTERM or SIGINT records the signal,
 * sets *(flag) to 1 ((flag) MAY be NULL), writes 1 to the eventfd (efd)
 * (a wait that polls it wakes, even for a request that came just before
 * it) and arms a TB_STOP_GRACE_MS timer whose SIGALRM writes "(who):
 * still running N ms after the stop request; ended" on stderr and calls
 * (end)(128 + signal), which MUST NOT return.  Later requests change
 * nothing (timeout(1), for one, signals the process and its group).  The
 * handlers are async-signal-safe and make only these system calls: write
 * on (efd) and 2, setitimer(ITIMER_REAL), rt_sigreturn, and what (end)
 * makes.  (who) is copied.  Call once.  Returns 0, or -errno when a
 * handler cannot be installed.
 */
int tb_stop_install(const char *who, int efd, volatile uint64_t *flag,
                    void (*end)(int status));

/* The signal of the first request, 0 while there is none. */
int tb_stop_signal(void);

#endif /* TB_TENDER_STOP_H */
