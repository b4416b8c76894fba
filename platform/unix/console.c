/*
 * console.c -- console, exit, abort and entropy for the hosted platform
 * (unix target, tender/spt).  The console is standard output, written
 * directly (no stdio buffer to lose at exit).  Exit is exit_group with no
 * atexit handlers, the same on unix as under seccomp.
 */
#include <errno.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host.h"

void tb_console_write(const char *buf, size_t len)
{
    /* Bounded: a stuck console loses output rather than hanging. */
    for (int tries = 0; len > 0 && tries < 64; tries++) {
        ssize_t n = write(1, buf, len);
        if (n < 0 && errno != EINTR && errno != EAGAIN)
            return;
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        }
    }
}

void tb_host_exit(int status)
{
    for (;;)
        syscall(SYS_exit_group, status & 0xff);
}

void tb_exit(int status)
{
    tb_host_exit(status);
}

void tb_abort(void)
{
    static const char msg[] = "tibra: abort\n";

    /* Standard error: the console may be what failed. */
    if (write(2, msg, sizeof(msg) - 1) < 0) {
        /* Nothing more to do. */
    }
    tb_host_exit(255);
}

int tb_entropy(void *buf, size_t len)
{
    uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return TB_EIO;
        p += n;
        len -= (size_t)n;
    }
    return TB_OK;
}
