/*
 * start.c -- entry point of an spt guest image.  tender/spt calls
 * _start(boot) on the guest's own stack with the ops table; this checks
 * the ABI, seeds the stack protector from the host's entropy (before any
 * protected frame exists) and runs the application.  The platform calls
 * themselves are in spt.c.
 */
#include "../common/rt.h"
#include "spt.h"

const struct tb_spt_ops *tb_spt_ops;

/* Marks the image as an spt image for the tender (spt_abi.h). */
__attribute__((used, section(".tibra.spt")))
const struct tb_spt_header tb_spt_header = {.magic = TB_SPT_MAGIC,
                                            .abi_version = TB_ABI_VERSION};

void _start(const struct tb_spt_boot *boot) __attribute__((noreturn));

TB_NO_SSP void _start(const struct tb_spt_boot *boot)
{
    struct tb_start_info si;
    uint64_t seed = 0;

    /* Without a matching table there is no safe way to even print. */
    if (boot->abi_version != TB_ABI_VERSION ||
        boot->ops_size != sizeof(struct tb_spt_ops))
        __builtin_trap();
    tb_spt_ops = boot->ops;
    if (tb_spt_ops->entropy(&seed, sizeof(seed)) != TB_OK)
        tb_panic("no entropy for the stack protector");
    tb_ssp_init(seed);
    si.cmdline = boot->cmdline;
    si.heap_start = boot->heap_start;
    si.heap_size = boot->heap_size;
    tb_exit(tb_app_main(&si));
}
