/*
 * net.c -- network devices of an hvt guest.  The application's array of
 * struct tb_frame is handed to the tender as is (its layout is the ABI's
 * frame descriptor), so one hypercall moves a whole batch with no copy of
 * descriptors: the tender reads or writes each frame's bytes directly in
 * guest memory.  Batches above HVT_NET_BATCH_MAX are split on writes.
 */
#include <stddef.h>

#include "hvt.h"

_Static_assert(sizeof(struct tb_frame) == 24 &&
                   offsetof(struct tb_frame, buf) == 0 &&
                   offsetof(struct tb_frame, cap) == 8 &&
                   offsetof(struct tb_frame, len) == 16,
               "struct tb_frame is the hvt frame descriptor");

int tb_net_acquire(const char *name, tb_handle_t *h, struct tb_net_info *info)
{
    int i = hvt_dev_acquire(name, TB_MFT_NET_DEV);

    if (i < 0)
        return i;
    memcpy(info->mac, hvt_bi->dev[i].mac, TB_NET_ALEN);
    info->mtu = hvt_bi->dev[i].mtu;
    *h = (tb_handle_t)i;
    return TB_OK;
}

int tb_net_read(tb_handle_t h, struct tb_frame *frames, size_t n)
{
    struct hvt_hc_net a = {h, (uint64_t)(uintptr_t)frames, n, 0};

    if (!hvt_dev_ok(h, TB_MFT_NET_DEV))
        return TB_EBADF;
    if (n == 0)
        return TB_EAGAIN;
    hvt_hypercall(HVT_HC_NET_READ, &a);
    return (int)a.ret;
}

int tb_net_write(tb_handle_t h, const struct tb_frame *frames, size_t n)
{
    size_t max, sent = 0;

    if (!hvt_dev_ok(h, TB_MFT_NET_DEV))
        return TB_EBADF;
    max = hvt_bi->dev[h].mtu + TB_NET_HLEN;
    for (size_t i = 0; i < n; i++)
        if (frames[i].len > max)
            return TB_EINVAL;
    while (sent < n) {
        size_t k = TB_MIN(n - sent, (size_t)HVT_NET_BATCH_MAX);
        struct hvt_hc_net a = {h, (uint64_t)(uintptr_t)(frames + sent), k, 0};
        hvt_hypercall(HVT_HC_NET_WRITE, &a);
        if (a.ret < 0)
            return sent ? (int)sent : (int)a.ret;
        sent += (size_t)a.ret;
        if ((size_t)a.ret < k)
            break; /* tender queue full */
    }
    return (int)sent;
}
