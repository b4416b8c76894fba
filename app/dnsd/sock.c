/*
 * sock.c -- the monotonic clock the deadlines of tibra-dnsd's threads
 * beside the workers are on (NOTIFY out: notify.c; secondary zones:
 * xfrin.c; the resolver: resolver.c; metrics.c).  Their socket addresses
 * convert with lib/hosted's tb_addr_to_sockaddr()/tb_addr_from_sockaddr().
 */
#include <netinet/in.h>
#include <string.h>
#include <time.h>

#include "dnsd.h"

uint64_t dnsd_mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
