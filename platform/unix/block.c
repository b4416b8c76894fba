/*
 * block.c -- block devices backed by a host file for the hosted platform
 * (unix target, tender/spt).  One tb_block_read/write is one pread/pwrite
 * (repeated only on a short transfer), however many blocks it spans.
 * Offsets and lengths are checked against the device once, here, with
 * overflow-checked arithmetic, because they come from the application or
 * guest.
 */
#include <errno.h>
#include <unistd.h>

#include "host.h"

static struct tb_host_dev *check(tb_handle_t h, uint64_t off, size_t len,
                                 int *r)
{
    struct tb_host_dev *d;
    uint64_t end;

    if (h >= tb_host.ndev || tb_host.dev[h].type != TB_MFT_BLOCK_DEV ||
        !tb_host.dev[h].acquired) {
        *r = TB_EBADF;
        return NULL;
    }
    d = &tb_host.dev[h];
    if (((off | len) & (d->blk.block_size - 1)) != 0 ||
        tb_ckd_add(&end, off, (uint64_t)len) || end > d->blk.capacity ||
        len > (size_t)0x7ffff000) {
        *r = TB_EINVAL;
        return NULL;
    }
    return d;
}

/* One pread/pwrite, repeated only on a short transfer or EINTR. */
static int xfer(struct tb_host_dev *d, uint64_t off, uint8_t *p, size_t len,
                bool write)
{
    while (len > 0) {
        ssize_t n = write ? pwrite(d->fd, p, len, (off_t)off)
                          : pread(d->fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return TB_EIO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return TB_OK;
}

int tb_block_read(tb_handle_t h, uint64_t off, void *buf, size_t len)
{
    int r;
    struct tb_host_dev *d = check(h, off, len, &r);

    return d == NULL ? r : xfer(d, off, buf, len, false);
}

int tb_block_write(tb_handle_t h, uint64_t off, const void *buf, size_t len)
{
    int r;
    struct tb_host_dev *d = check(h, off, len, &r);

    /* xfer() only reads from (buf) when (write) is true. */
    return d == NULL ? r : xfer(d, off, (uint8_t *)(uintptr_t)buf, len, true);
}
