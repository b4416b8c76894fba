/*
 * block.c -- block devices of an hvt guest: one hypercall per read or
 * write of any number of whole blocks; the tender does a single
 * pread/pwrite on the backing file into guest memory.  Arguments are
 * checked here against plat.h's rules (and again by the tender, which
 * trusts nothing).
 */
#include "hvt.h"

int tb_block_acquire(const char *name, tb_handle_t *h,
                     struct tb_block_info *info)
{
    int i = hvt_dev_acquire(name, TB_MFT_BLOCK_DEV);

    if (i < 0)
        return i;
    info->capacity = hvt_bi->dev[i].capacity;
    info->block_size = hvt_bi->dev[i].block_size;
    *h = (tb_handle_t)i;
    return TB_OK;
}

static int block_io(tb_handle_t h, uint64_t off, uintptr_t buf, size_t len,
                    unsigned nr)
{
    uint64_t end;
    struct hvt_hc_block a = {h, off, buf, len, 0};

    if (!hvt_dev_ok(h, TB_MFT_BLOCK_DEV))
        return TB_EBADF;
    if (off % HVT_BLOCK_SIZE != 0 || len % HVT_BLOCK_SIZE != 0 ||
        tb_ckd_add(&end, off, (uint64_t)len) || end > hvt_bi->dev[h].capacity)
        return TB_EINVAL;
    hvt_hypercall(nr, &a);
    return (int)a.ret;
}

int tb_block_read(tb_handle_t h, uint64_t off, void *buf, size_t len)
{
    return block_io(h, off, (uintptr_t)buf, len, HVT_HC_BLOCK_READ);
}

int tb_block_write(tb_handle_t h, uint64_t off, const void *buf, size_t len)
{
    return block_io(h, off, (uintptr_t)buf, len, HVT_HC_BLOCK_WRITE);
}
