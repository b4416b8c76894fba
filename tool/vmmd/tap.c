/*
 * tap.c -- the host side of unikernel networking: a TAP per net device,
 * made by the daemon (so the tender needs no CAP_NET_ADMIN: it gets the
 * descriptor, tender/common/attach.c's "fd:N"), added to a bridge, and a
 * MAC and TAP name derived from the unikernel's and device's names, so a
 * restarted unikernel keeps its MAC and its neighbours' ARP caches stay
 * right.  TAPs are not persistent: the kernel removes one when its last
 * descriptor closes (the daemon's and the tender's), so nothing is left
 * when both are gone, whatever happened.  Everything is ioctl(2) on the
 * current network namespace; no ip(8).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bearssl.h>

#include "vmmd.h"

static void name_hash(const char *vm, const char *dev, uint8_t d[32])
{
    br_sha256_context c;

    br_sha256_init(&c);
    br_sha256_update(&c, vm, strlen(vm));
    br_sha256_update(&c, "/", 1);
    br_sha256_update(&c, dev, strlen(dev));
    br_sha256_out(&c, d);
}

void tap_mac(const char *vm, const char *dev, uint8_t mac[6])
{
    uint8_t d[32];

    name_hash(vm, dev, d);
    mac[0] = 0x02; /* locally administered, unicast */
    memcpy(mac + 1, d, 5);
}

void tap_name(const char *vm, const char *dev, char name[16])
{
    uint8_t d[32];

    name_hash(vm, dev, d);
    snprintf(name, 16, "tbv%02x%02x%02x%02x%02x", d[5], d[6], d[7], d[8], d[9]);
}

bool if_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

static int set_up(int s, const char *name, bool up)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        return -1;
    if (up)
        ifr.ifr_flags |= IFF_UP;
    else
        ifr.ifr_flags &= ~IFF_UP;
    return ioctl(s, SIOCSIFFLAGS, &ifr);
}

int tap_create(const char *name, const char *bridge, char *err, size_t errlen)
{
    struct ifreq ifr;
    int fd, s, e;
    unsigned idx;

    if (!if_exists(bridge)) {
        snprintf(err, errlen,
                 "bridge %s does not exist (create it, e.g. ip link add %s "
                 "type bridge, or pass --create-bridge)",
                 bridge, bridge);
        return -1;
    }
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        snprintf(err, errlen, "TAP %s: %s%s", name, strerror(errno),
                 errno == EPERM ? " (tibra-vmmd needs CAP_NET_ADMIN)" : "");
        close(fd);
        return -1;
    }
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    idx = if_nametoindex(name);
    if (s < 0 || idx == 0 || set_up(s, name, true) != 0) {
        snprintf(err, errlen, "TAP %s: cannot bring it up: %s", name,
                 strerror(errno));
        goto out;
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, IFNAMSIZ, "%s", bridge);
    ifr.ifr_ifindex = (int)idx;
    if (ioctl(s, SIOCBRADDIF, &ifr) != 0) {
        e = errno;
        if (e == EOPNOTSUPP || e == EINVAL)
            snprintf(err, errlen, "%s is not a bridge", bridge);
        else
            snprintf(err, errlen, "cannot add TAP %s to bridge %s: %s", name,
                     bridge, strerror(e));
        goto out;
    }
    close(s);
    return fd;

out:
    if (s >= 0)
        close(s);
    close(fd); /* not persistent: the TAP goes with it */
    return -1;
}

int bridge_create(const char *name, char *err, size_t errlen)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (s < 0 || ioctl(s, SIOCBRADDBR, name) != 0 ||
        set_up(s, name, true) != 0) {
        snprintf(err, errlen, "cannot create bridge %s: %s", name,
                 strerror(errno));
        if (s >= 0)
            close(s);
        return -1;
    }
    close(s);
    return 0;
}

void bridge_delete(const char *name)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

    if (s < 0)
        return;
    set_up(s, name, false);
    if (ioctl(s, SIOCBRDELBR, name) != 0 && errno != ENXIO)
        fprintf(stderr, "tibra-vmmd: cannot delete bridge %s: %s\n", name,
                strerror(errno));
    close(s);
}
