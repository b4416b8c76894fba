/*
 * hvt.h -- private header of platform/hvt, the Tibra guest for the
 * tibra-hvt KVM tender (x86_64): the hypercall primitive, the boot info
 * the tender left us, and the pieces shared between start.c, time.c,
 * net.c, block.c and fault.c.  The ABI itself is hvt_abi.h.
 */
#ifndef TB_PLATFORM_HVT_H
#define TB_PLATFORM_HVT_H

#include "../common/rt.h"
#include "hvt_abi.h"

/*
 * Makes hypercall (nr) with argument struct (arg): one `outl` of its
 * 32-bit guest-physical address (identity-mapped, below 4 GiB).  The
 * tender has read (and written) the struct when this returns.
 */
static inline void hvt_hypercall(unsigned nr, volatile void *arg)
{
    __asm__ __volatile__("outl %0, %w1"
                         :
                         : "a"((uint32_t)(uintptr_t)arg),
                           "Nd"((uint16_t)(HVT_PIO_BASE + nr))
                         : "memory");
}

/* The boot info (read-only page), set once by hvt_start(). */
extern const struct hvt_boot_info *hvt_bi;

/* The image's manifest: the application's TB_MANIFEST, or the empty
 * default from manifest.c when it declares none. */
extern const struct tb_mft_note tb_manifest_note;

/*
 * Finds device (name) of (type) in the manifest and the tender's device
 * table.  Returns its handle (>= 0), TB_ENOENT, or TB_EEXIST if it was
 * acquired before (and then marks it acquired).
 */
int hvt_dev_acquire(const char *name, uint32_t type);
/* True if (h) was acquired with type (type). */
bool hvt_dev_ok(tb_handle_t h, uint32_t type);

/* Sets up the clock from the boot info (before any tb_clock_*). */
void hvt_time_init(void);
/* Loads the guest's GDT, TSS and IDT so exceptions reach fault.c. */
void hvt_traps_init(void);

#endif /* TB_PLATFORM_HVT_H */
