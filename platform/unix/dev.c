/*
 * dev.c -- the device table of the hosted platform (unix target and
 * tender/spt): manifest checks, attaching TAP interfaces and block files
 * given as --net:NAME=TAP / --block:NAME=FILE (a MAC chosen with
 * --net-mac:NAME=MAC, before or after its --net), and tb_*_acquire().  All
 * opening happens here (through tender/common/attach.c, shared with
 * tibra-hvt), before the application or guest runs; the packet and block
 * paths in net.c and block.c only use the descriptors.
 */
#include <err.h>
#include <net/if.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../../tender/common/attach.h"
#include "host.h"

struct tb_host tb_host = {.epfd = -1};

/* --net-mac options, applied when their device is attached. */
static struct {
    char name[TB_MFT_NAME_MAX];
    uint8_t mac[6];
    bool used;
} macs[TB_MFT_ENTRIES_MAX];
static unsigned nmacs;

void tb_host_init(void)
{
    struct epoll_event ev;
    struct timespec ts = {0, 0};

    tb_host.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (tb_host.epfd < 0)
        err(1, "epoll_create1");
    /* Nanosecond deadlines need epoll_pwait2 (Linux 5.11); else ms. */
    tb_host.pwait2 =
        syscall(SYS_epoll_pwait2, tb_host.epfd, &ev, 1, &ts, NULL, 0) >= 0;
}

void tb_host_check_mft(const struct tb_mft *mft, const char *what)
{
    if (mft->abi_version != TB_ABI_VERSION)
        errx(1,
             "%s: built for Tibra ABI version %u, this platform "
             "implements version %u",
             what, mft->abi_version, TB_ABI_VERSION);
    if (mft->entries > TB_MFT_ENTRIES_MAX)
        errx(1, "%s: bad manifest: %u entries (at most %u)", what, mft->entries,
             TB_MFT_ENTRIES_MAX);
    for (uint32_t i = 0; i < mft->entries; i++) {
        const struct tb_mft_entry *e = &mft->e[i];
        size_t l = strnlen(e->name, TB_MFT_NAME_MAX);
        if (l == 0 || l == TB_MFT_NAME_MAX)
            errx(1, "%s: bad manifest: entry %u has no valid name", what, i);
        if (e->type != TB_MFT_NET_DEV && e->type != TB_MFT_BLOCK_DEV)
            errx(1, "%s: bad manifest: device '%s' has unknown type %u", what,
                 e->name, e->type);
        for (uint32_t j = 0; j < i; j++) {
            if (strcmp(mft->e[j].name, e->name) == 0)
                errx(1, "%s: bad manifest: device '%s' declared twice", what,
                     e->name);
        }
    }
}

static const char *type_name(uint32_t type)
{
    return type == TB_MFT_NET_DEV ? "net" : "block";
}

/*
 * The interface's MTU, so that frames the host may send fit the buffers
 * the application sizes from tb_net_info.mtu.  1500 if it cannot be read;
 * clamped to [576, 9000] (RFC 791 minimum, jumbo frames).
 */
static size_t tap_mtu(const char *tap)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    size_t mtu = 1500;

    if (s < 0)
        return mtu;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, tap, strnlen(tap, IFNAMSIZ - 1));
    if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
        mtu = TB_MAX(576u, TB_MIN(9000u, (unsigned)ifr.ifr_mtu));
    close(s);
    return mtu;
}

static void attach_tap(struct tb_host_dev *d, const char *tap)
{
    char msg[256];
    struct epoll_event ev;

    d->fd = tender_tap_open(tap, msg, sizeof(msg));
    if (d->fd < 0)
        errx(1, "--net:%s: %s", d->name, msg);
    if (tender_mac_random(d->net.mac) < 0)
        err(1, "getrandom");
    for (unsigned i = 0; i < nmacs; i++) {
        if (strcmp(macs[i].name, d->name) == 0) {
            memcpy(d->net.mac, macs[i].mac, 6);
            macs[i].used = true;
        }
    }
    d->net.mtu = tap_mtu(tap);
    ev.events = EPOLLIN;
    ev.data.u64 = (uint64_t)(d - tb_host.dev);
    if (epoll_ctl(tb_host.epfd, EPOLL_CTL_ADD, d->fd, &ev) < 0)
        err(1, "epoll_ctl");
}

static void attach_file(struct tb_host_dev *d, const char *path)
{
    char msg[256];

    d->fd = tender_block_open(path, &d->blk.capacity, msg, sizeof(msg));
    if (d->fd < 0)
        errx(1, "--block:%s: %s", d->name, msg);
    d->blk.block_size = TENDER_BLOCK_SIZE;
}

void tb_host_attach(const struct tb_mft *mft, uint32_t type, const char *name,
                    const char *path)
{
    const struct tb_mft_entry *e = NULL;
    struct tb_host_dev *d;

    for (uint32_t i = 0; i < mft->entries; i++) {
        if (strcmp(mft->e[i].name, name) == 0)
            e = &mft->e[i];
    }
    if (e == NULL)
        errx(1,
             "--%s:%s: device '%s' is not declared in the image's "
             "manifest",
             type_name(type), name, name);
    if (e->type != type)
        errx(1, "--%s:%s: the manifest declares '%s' as a %s device",
             type_name(type), name, name, type_name(e->type));
    for (unsigned i = 0; i < tb_host.ndev; i++) {
        if (strcmp(tb_host.dev[i].name, name) == 0)
            errx(1, "--%s:%s: attached twice", type_name(type), name);
    }
    if (tb_host.ndev >= TB_MFT_ENTRIES_MAX)
        errx(1, "too many devices");
    d = &tb_host.dev[tb_host.ndev++];
    memset(d, 0, sizeof(*d));
    memcpy(d->name, name, strlen(name) + 1);
    d->type = type;
    if (type == TB_MFT_NET_DEV)
        attach_tap(d, path);
    else
        attach_file(d, path);
}

/* --net-mac:NAME=MAC, for a device attached before or after it. */
static bool set_mac(const char *arg)
{
    const char *name = arg + 10, *eq = strchr(name, '=');
    size_t n = eq ? (size_t)(eq - name) : 0;

    if (nmacs == TB_MFT_ENTRIES_MAX)
        errx(1, "%s: too many --net-mac options", arg);
    if (n == 0 || n >= TB_MFT_NAME_MAX ||
        tender_mac_parse(eq + 1, macs[nmacs].mac) != 0)
        errx(1,
             "%s: want --net-mac:NAME=MAC, MAC unicast like "
             "02:00:00:00:00:01",
             arg);
    memcpy(macs[nmacs].name, name, n);
    macs[nmacs].name[n] = '\0';
    for (unsigned i = 0; i < tb_host.ndev; i++) {
        if (tb_host.dev[i].type == TB_MFT_NET_DEV &&
            strcmp(tb_host.dev[i].name, macs[nmacs].name) == 0) {
            memcpy(tb_host.dev[i].net.mac, macs[nmacs].mac, 6);
            macs[nmacs].used = true;
        }
    }
    nmacs++;
    return true;
}

bool tb_host_attach_opt(const struct tb_mft *mft, const char *arg)
{
    uint32_t type;
    const char *name, *eq;
    char buf[TB_MFT_NAME_MAX];

    if (strncmp(arg, "--net-mac:", 10) == 0)
        return set_mac(arg);
    if (strncmp(arg, "--net:", 6) == 0) {
        type = TB_MFT_NET_DEV;
        name = arg + 6;
    } else if (strncmp(arg, "--block:", 8) == 0) {
        type = TB_MFT_BLOCK_DEV;
        name = arg + 8;
    } else {
        return false;
    }
    eq = strchr(name, '=');
    if (eq == NULL || eq == name || eq[1] == '\0')
        errx(1, "%s: expected --%s:NAME=%s", arg, type_name(type),
             type == TB_MFT_NET_DEV ? "TAP" : "FILE");
    if ((size_t)(eq - name) >= sizeof(buf))
        errx(1, "%s: device name too long", arg);
    memcpy(buf, name, (size_t)(eq - name));
    buf[eq - name] = '\0';
    tb_host_attach(mft, type, buf, eq + 1);
    return true;
}

void tb_host_require_all(const struct tb_mft *mft)
{
    for (unsigned i = 0; i < nmacs; i++) {
        if (!macs[i].used)
            errx(1, "--net-mac:%s: no net device '%s' is attached",
                 macs[i].name, macs[i].name);
    }
    for (uint32_t i = 0; i < mft->entries; i++) {
        bool found = false;
        for (unsigned j = 0; j < tb_host.ndev; j++)
            found |= strcmp(tb_host.dev[j].name, mft->e[i].name) == 0;
        if (!found)
            errx(1,
                 "the image declares %s device '%s' but it is not "
                 "attached (use --%s:%s=%s)",
                 type_name(mft->e[i].type), mft->e[i].name,
                 type_name(mft->e[i].type), mft->e[i].name,
                 mft->e[i].type == TB_MFT_NET_DEV ? "TAP" : "FILE");
    }
}

static int acquire(uint32_t type, const char *name, tb_handle_t *h)
{
    for (unsigned i = 0; i < tb_host.ndev; i++) {
        struct tb_host_dev *d = &tb_host.dev[i];
        if (d->type != type || strcmp(d->name, name) != 0)
            continue;
        if (d->acquired)
            return TB_EEXIST;
        d->acquired = true;
        *h = i;
        return TB_OK;
    }
    return TB_ENOENT;
}

int tb_net_acquire(const char *name, tb_handle_t *h, struct tb_net_info *info)
{
    int r = acquire(TB_MFT_NET_DEV, name, h);

    if (r == TB_OK)
        *info = tb_host.dev[*h].net;
    return r;
}

int tb_block_acquire(const char *name, tb_handle_t *h,
                     struct tb_block_info *info)
{
    int r = acquire(TB_MFT_BLOCK_DEV, name, h);

    if (r == TB_OK)
        *info = tb_host.dev[*h].blk;
    return r;
}
