/*
 * spt.c -- the plat.h calls of an spt guest: each is one indirect call
 * into tender/spt's hosted implementation (platform/unix/host.h), which
 * makes the system call the seccomp filter allows.  Arguments are passed
 * through unchanged; the host side validates handles, lengths and offsets,
 * so the guest and unix targets share one set of checks.
 */
#include "spt.h"

void tb_console_write(const char *buf, size_t len)
{
    tb_spt_ops->console_write(buf, len);
}

void tb_exit(int status)
{
    tb_spt_ops->exit(status);
}

void tb_abort(void)
{
    tb_spt_ops->abort();
}

tb_time_t tb_clock_monotonic(void)
{
    return tb_spt_ops->clock_monotonic();
}

tb_time_t tb_clock_wall(void)
{
    return tb_spt_ops->clock_wall();
}

void tb_yield(tb_time_t deadline, tb_handle_set_t *ready)
{
    tb_spt_ops->yield(deadline, ready);
}

int tb_net_acquire(const char *name, tb_handle_t *h, struct tb_net_info *info)
{
    return tb_spt_ops->net_acquire(name, h, info);
}

int tb_net_read(tb_handle_t h, struct tb_frame *frames, size_t n)
{
    return tb_spt_ops->net_read(h, frames, n);
}

int tb_net_write(tb_handle_t h, const struct tb_frame *frames, size_t n)
{
    return tb_spt_ops->net_write(h, frames, n);
}

int tb_block_acquire(const char *name, tb_handle_t *h,
                     struct tb_block_info *info)
{
    return tb_spt_ops->block_acquire(name, h, info);
}

int tb_block_read(tb_handle_t h, uint64_t off, void *buf, size_t len)
{
    return tb_spt_ops->block_read(h, off, buf, len);
}

int tb_block_write(tb_handle_t h, uint64_t off, const void *buf, size_t len)
{
    return tb_spt_ops->block_write(h, off, buf, len);
}

int tb_entropy(void *buf, size_t len)
{
    return tb_spt_ops->entropy(buf, len);
}

bool tb_stop_requested(void)
{
    return tb_spt_ops->stop_requested();
}
