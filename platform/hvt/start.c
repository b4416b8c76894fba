/*
 * start.c -- an hvt guest from boot to exit: hvt_start() (called by
 * boot.S with the boot info) seeds the stack protector, installs the
 * exception handlers, sets up the clock and runs tb_app_main(); plus the
 * small plat.h calls that are one hypercall each (console, exit, abort,
 * entropy) and the device table shared by net.c and block.c.  Devices are
 * found by name in the image's own manifest: handle == manifest index ==
 * the tender's device index, so acquiring needs no hypercall.
 */
#include <stddef.h>

#include "hvt.h"

_Static_assert(offsetof(struct hvt_boot_info, entropy) == 48,
               "boot.S reads entropy[0] at offset 48");

void hvt_start(const struct hvt_boot_info *bi) __attribute__((noreturn, used));

const struct hvt_boot_info *hvt_bi;
static uint64_t acquired; /* bit per handle */

/*
 * The FS base's block.  Tibra's own code keeps its canary in the global
 * __stack_chk_guard (-mstack-protector-guard=global), but objects built
 * for glibc that guests link (Debian's libbearssl.a: TSIG, NSEC3's SHA-1)
 * read the canary where glibc keeps it, at %fs:0x28 (the TCB's
 * stack_guard).  The FS base is set to this block and its word at 0x28
 * to the guest's canary, so their frames are checked too.  (spt guests
 * run on the tender's thread, whose FS is glibc's TCB: nothing to do.)
 */
extern uintptr_t __stack_chk_guard; /* platform/common/ssp.c */
static uint64_t hvt_tcb[8] __attribute__((aligned(64)));
#define MSR_FS_BASE 0xc0000100u

TB_NO_SSP static void tcb_init(void)
{
    uint64_t a = (uint64_t)(uintptr_t)hvt_tcb;

    hvt_tcb[0] = a; /* glibc's tcb->tcb: %fs:0 is the block itself */
    hvt_tcb[0x28 / 8] = (uint64_t)__stack_chk_guard;
    __asm__ __volatile__("wrmsr" ::"c"(MSR_FS_BASE), "a"((uint32_t)a),
                         "d"((uint32_t)(a >> 32)));
}

TB_NO_SSP void hvt_start(const struct hvt_boot_info *bi)
{
    struct tb_start_info si;
    uint64_t guard;

    hvt_bi = bi;
    tb_ssp_init(bi->entropy[1]);
    tcb_init();
    hvt_traps_init();
    hvt_time_init();
    guard = bi->mem_size - HVT_STACK_SIZE - HVT_PAGE_SIZE;
    si.cmdline = (const char *)(uintptr_t)bi->cmdline;
    si.heap_start = (uintptr_t)bi->kernel_end;
    si.heap_size =
        guard > bi->kernel_end ? (size_t)(guard - bi->kernel_end) : 0;
    tb_exit(tb_app_main(&si));
}

void tb_console_write(const char *buf, size_t len)
{
    struct hvt_hc_console a = {(uint64_t)(uintptr_t)buf, len};

    hvt_hypercall(HVT_HC_CONSOLE, &a);
}

void tb_exit(int status)
{
    struct hvt_hc_exit a = {(uint64_t)status & 0xff, 0};

    hvt_hypercall(HVT_HC_EXIT, &a);
    for (;;)
        __asm__ __volatile__("ud2");
}

void tb_abort(void)
{
    struct hvt_hc_exit a = {255, 1};

    hvt_hypercall(HVT_HC_EXIT, &a);
    for (;;)
        __asm__ __volatile__("ud2");
}

int tb_entropy(void *buf, size_t len)
{
    struct hvt_hc_entropy a = {(uint64_t)(uintptr_t)buf, len, 0};

    hvt_hypercall(HVT_HC_ENTROPY, &a);
    return a.ret == TB_OK ? TB_OK : TB_EIO;
}

bool tb_stop_requested(void)
{
    /* The tender writes it from outside at any time: read it afresh. */
    return *(const volatile uint64_t *)&hvt_bi->stop != 0;
}

int hvt_dev_acquire(const char *name, uint32_t type)
{
    const struct tb_mft *m = &tb_manifest_note.desc;

    for (uint32_t i = 0; i < m->entries && i < hvt_bi->ndevs; i++) {
        if (m->e[i].type != type || hvt_bi->dev[i].type != type ||
            strncmp(m->e[i].name, name, TB_MFT_NAME_MAX) != 0)
            continue;
        if (acquired & (1ull << i))
            return TB_EEXIST;
        acquired |= 1ull << i;
        return (int)i;
    }
    return TB_ENOENT;
}

bool hvt_dev_ok(tb_handle_t h, uint32_t type)
{
    return h < TB_MFT_ENTRIES_MAX && (acquired & (1ull << h)) &&
           hvt_bi->dev[h].type == type;
}
