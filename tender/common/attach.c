/*
 * attach.c -- host side of guest devices for the tenders (contract in
 * attach.h): TAP interfaces via /dev/net/tun and block files.  Solo5's
 * tenders/common/{tap,block}_attach.c are the model; like them we refuse
 * to create a TAP interface (a typo would otherwise silently make a new,
 * unconnected one), and the messages say how to fix each failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attach.h"

/* "fd:N": a TAP descriptor opened for us (attach.h). */
static int tap_from_fd(const char *spec, char *err, size_t errlen)
{
    struct ifreq ifr;
    char *end;
    long n;
    int fl;

    errno = 0;
    n = strtol(spec + 3, &end, 10);
    if (spec[3] < '0' || spec[3] > '9' || *end != 0 || errno != 0 ||
        n > INT_MAX) {
        snprintf(err, errlen, "'%s': want fd:N, N a descriptor number", spec);
        return -1;
    }
    fl = fcntl((int)n, F_GETFL);
    if (fl < 0) {
        snprintf(err, errlen, "'%s': descriptor %ld is not open", spec, n);
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    if (ioctl((int)n, TUNGETIFF, &ifr) != 0) {
        snprintf(err, errlen, "'%s': descriptor %ld is not a TAP device", spec,
                 n);
        return -1;
    }
    if ((ifr.ifr_flags & (IFF_TAP | IFF_TUN | IFF_NO_PI)) !=
        (IFF_TAP | IFF_NO_PI)) {
        snprintf(err, errlen,
                 "'%s': descriptor %ld is a TUN device or was opened "
                 "without IFF_NO_PI",
                 spec, n);
        return -1;
    }
    if (fcntl((int)n, F_SETFL, fl | O_NONBLOCK) != 0 ||
        fcntl((int)n, F_SETFD, FD_CLOEXEC) != 0) {
        snprintf(err, errlen, "'%s': fcntl: %s", spec, strerror(errno));
        return -1;
    }
    return (int)n;
}

int tender_tap_open(const char *ifname, char *err, size_t errlen)
{
    struct ifreq ifr;
    int fd, e;

    if (strncmp(ifname, "fd:", 3) == 0)
        return tap_from_fd(ifname, err, errlen);
    if (strlen(ifname) >= IFNAMSIZ || ifname[0] == 0) {
        snprintf(err, errlen,
                 "TAP interface name '%s': empty or longer "
                 "than %d characters",
                 ifname, IFNAMSIZ - 1);
        return -1;
    }
    if (if_nametoindex(ifname) == 0) {
        snprintf(err, errlen,
                 "TAP interface '%s' does not exist (create "
                 "it: ip tuntap add %s mode tap)",
                 ifname, ifname);
        return -1;
    }
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        e = errno;
        close(fd);
        if (e == EPERM)
            snprintf(err, errlen,
                     "TAP interface '%s': permission denied "
                     "(need root or CAP_NET_ADMIN, or an interface created "
                     "with 'ip tuntap add %s mode tap user $USER')",
                     ifname, ifname);
        else if (e == EBUSY)
            snprintf(err, errlen,
                     "TAP interface '%s' is busy (attached "
                     "to another process?)",
                     ifname);
        else if (e == EINVAL)
            snprintf(err, errlen,
                     "'%s' is not a TAP interface (a TUN, or "
                     "another kind of interface?)",
                     ifname);
        else
            snprintf(err, errlen, "TAP interface '%s': %s", ifname,
                     strerror(e));
        return -1;
    }
    /* TUNSETIFF on an existing TUN device with IFF_TAP fails, but check
     * that the kernel gave us the interface we named. */
    if (strncmp(ifr.ifr_name, ifname, IFNAMSIZ) != 0) {
        close(fd);
        snprintf(err, errlen, "TAP interface '%s': kernel attached '%s'",
                 ifname, ifr.ifr_name);
        return -1;
    }
    return fd;
}

int tender_block_open(const char *path, uint64_t *capacity, char *err,
                      size_t errlen)
{
    struct stat st;
    uint64_t size;
    int fd = open(path, O_RDWR | O_CLOEXEC | O_DSYNC);

    if (fd < 0) {
        snprintf(err, errlen, "block file '%s': %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "block file '%s': %s", path, strerror(errno));
        goto out_close;
    }
    if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
    } else if (S_ISBLK(st.st_mode)) {
        if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
            snprintf(err, errlen, "block device '%s': %s", path,
                     strerror(errno));
            goto out_close;
        }
    } else {
        snprintf(err, errlen, "'%s' is not a regular file or block device",
                 path);
        goto out_close;
    }
    if (size == 0 || size % TENDER_BLOCK_SIZE != 0) {
        snprintf(err, errlen,
                 "block file '%s': size %llu is not a non-zero "
                 "multiple of %u bytes",
                 path, (unsigned long long)size, TENDER_BLOCK_SIZE);
        goto out_close;
    }
    *capacity = size;
    return fd;

out_close:
    close(fd);
    return -1;
}

int tender_mac_random(uint8_t mac[6])
{
    size_t got = 0;

    while (got < 6) {
        ssize_t n = getrandom(mac + got, 6 - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02);
    return 0;
}

int tender_mac_parse(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    int n = -1;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &n) != 6 ||
        n < 0 || s[n] != 0 || (v[0] & 1) != 0 ||
        (v[0] | v[1] | v[2] | v[3] | v[4] | v[5]) == 0)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}
