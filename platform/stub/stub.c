/*
 * stub.c -- the stub platform: every call in <tibra/plat.h> traps.  It is
 * never run; linking an application against it (with only the guest libc
 * and platform/common runtime besides) proves the application needs
 * nothing but the plat.h contract, so it will link on every target.
 * mk/platform.mk links each test application this way with
 * --no-undefined.
 */
#include <tibra/plat.h>


void _start(void) __attribute__((noreturn));
void _start(void)
{
    static const struct tb_start_info si = {.cmdline = ""};

    tb_exit(tb_app_main(&si));
}

void tb_console_write(const char *buf, size_t len)
{
    (void)buf;
    (void)len;
    __builtin_trap();
}

void tb_exit(int status)
{
    (void)status;
    __builtin_trap();
}

void tb_abort(void)
{
    __builtin_trap();
}

tb_time_t tb_clock_monotonic(void)
{
    __builtin_trap();
}

tb_time_t tb_clock_wall(void)
{
    __builtin_trap();
}

void tb_yield(tb_time_t deadline, tb_handle_set_t *ready)
{
    (void)deadline;
    (void)ready;
    __builtin_trap();
}

int tb_net_acquire(const char *name, tb_handle_t *h, struct tb_net_info *info)
{
    (void)name;
    (void)h;
    (void)info;
    __builtin_trap();
}

int tb_net_read(tb_handle_t h, struct tb_frame *frames, size_t n)
{
    (void)h;
    (void)frames;
    (void)n;
    __builtin_trap();
}

int tb_net_write(tb_handle_t h, const struct tb_frame *frames, size_t n)
{
    (void)h;
    (void)frames;
    (void)n;
    __builtin_trap();
}

int tb_block_acquire(const char *name, tb_handle_t *h,
                     struct tb_block_info *info)
{
    (void)name;
    (void)h;
    (void)info;
    __builtin_trap();
}

int tb_block_read(tb_handle_t h, uint64_t off, void *buf, size_t len)
{
    (void)h;
    (void)off;
    (void)buf;
    (void)len;
    __builtin_trap();
}

int tb_block_write(tb_handle_t h, uint64_t off, const void *buf, size_t len)
{
    (void)h;
    (void)off;
    (void)buf;
    (void)len;
    __builtin_trap();
}

int tb_entropy(void *buf, size_t len)
{
    (void)buf;
    (void)len;
    __builtin_trap();
}

bool tb_stop_requested(void)
{
    __builtin_trap();
}
