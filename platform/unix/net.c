/*
 * net.c -- Ethernet frames over a TAP descriptor for the hosted platform
 * (unix target, tender/spt).  tb_net_read() drains up to n frames with one
 * readv per frame; the second, one-byte iovec detects a frame larger than
 * the caller's buffer (it is dropped and counted, as plat.h asks) without
 * a bounce buffer.  The descriptor is non-blocking, so an empty queue
 * reads EAGAIN and a full one writes EAGAIN.  Sits under lib/net or the
 * application; knows nothing of protocols.
 */
#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

#include "host.h"

static struct tb_host_dev *net_dev(tb_handle_t h)
{
    if (h >= tb_host.ndev || tb_host.dev[h].type != TB_MFT_NET_DEV ||
        !tb_host.dev[h].acquired)
        return NULL;
    return &tb_host.dev[h];
}

int tb_net_read(tb_handle_t h, struct tb_frame *frames, size_t n)
{
    struct tb_host_dev *d = net_dev(h);
    uint8_t extra;
    size_t got = 0;

    if (d == NULL)
        return TB_EBADF;
    /* Bounded: at most n frames, plus at most 64 oversize drops. */
    for (unsigned drops = 0; got < n && drops < 64;) {
        struct iovec iov[2] = {
            {.iov_base = frames[got].buf, .iov_len = frames[got].cap},
            {.iov_base = &extra, .iov_len = 1},
        };
        ssize_t r = readv(d->fd, iov, 2);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break; /* EAGAIN: queue empty; other errors: nothing to read */
        }
        if ((size_t)r > frames[got].cap) {
            d->rx_oversize++;
            drops++;
            continue;
        }
        frames[got++].len = (size_t)r;
    }
    return got > 0 ? (int)got : TB_EAGAIN;
}

int tb_net_write(tb_handle_t h, const struct tb_frame *frames, size_t n)
{
    struct tb_host_dev *d = net_dev(h);
    size_t sent = 0;

    if (d == NULL)
        return TB_EBADF;
    for (size_t i = 0; i < n; i++) {
        if (frames[i].len > d->net.mtu + TB_NET_HLEN)
            return TB_EINVAL;
    }
    while (sent < n) {
        ssize_t r = write(d->fd, frames[sent].buf, frames[sent].len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            /* Lost frame (e.g. interface down): drop it, as a wire would. */
        }
        sent++;
    }
    return (int)sent;
}
