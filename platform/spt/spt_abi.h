/*
 * spt_abi.h -- the binary interface between an spt guest (platform/spt)
 * and its tender (tender/spt, tibra-spt).  Private to those two:
 * applications see only <tibra/plat.h>.  Versioned with TB_ABI_VERSION,
 * which the tender checks in the image's manifest before loading it and
 * the guest checks again at entry.
 *
 * The guest is a static, non-PIE ELF linked at TB_SPT_BASE (spt.ld), whose
 * first bytes are a struct tb_spt_header: the manifest says which ABI an
 * image speaks but not which target it was linked for, and an hvt image
 * entered as spt would only crash.  The
 * tender maps guest memory [TB_SPT_BASE, mem_size) at those same
 * addresses in its own process (refusing if anything of its own is
 * there), copies the segments in, and calls the entry point on a stack at
 * the top of guest memory:
 *
 *     TB_SPT_BASE            image: text R+X, rodata R, data+bss RW
 *     image end (page)       heap (the application's), RW
 *     top - stack - 4 KiB    guard page, no access
 *     top - TB_SPT_STACK     stack, RW (grows down)
 *     top = mem_size
 *
 *     void _start(const struct tb_spt_boot *boot);   never returns
 *
 * Guest-to-platform calls are plain function calls through boot->ops,
 * the tender's hosted implementation of plat.h (platform/unix/host.h):
 * no traps, no copies.  Guest and tender share one address space, so the
 * isolation boundary is the seccomp filter the tender installs before the
 * call, not this table; the table only saves the guest from containing
 * system call code of its own.
 */
#ifndef TB_SPT_ABI_H
#define TB_SPT_ABI_H

#include <tibra/plat.h>

#define TB_SPT_BASE       0x100000u
#define TB_SPT_STACK_SIZE (256u * 1024u)
#define TB_SPT_PAGE       4096u

/* At TB_SPT_BASE, first in the image's text segment (section .tibra.spt). */
#define TB_SPT_MAGIC "TIBRASPT"
struct tb_spt_header {
    char magic[8]; /* TB_SPT_MAGIC, no NUL */
    uint32_t abi_version; /* TB_ABI_VERSION */
    uint32_t reserved; /* 0 */
};

/* The plat.h calls, in the order of plat.h; signatures identical. */
struct tb_spt_ops {
    void (*console_write)(const char *buf, size_t len);
    void (*exit)(int status) __attribute__((noreturn));
    void (*abort)(void) __attribute__((noreturn));
    tb_time_t (*clock_monotonic)(void);
    tb_time_t (*clock_wall)(void);
    void (*yield)(tb_time_t deadline, tb_handle_set_t *ready);
    int (*net_acquire)(const char *name, tb_handle_t *h,
                       struct tb_net_info *info);
    int (*net_read)(tb_handle_t h, struct tb_frame *frames, size_t n);
    int (*net_write)(tb_handle_t h, const struct tb_frame *frames, size_t n);
    int (*block_acquire)(const char *name, tb_handle_t *h,
                         struct tb_block_info *info);
    int (*block_read)(tb_handle_t h, uint64_t off, void *buf, size_t len);
    int (*block_write)(tb_handle_t h, uint64_t off, const void *buf,
                       size_t len);
    int (*entropy)(void *buf, size_t len);
    bool (*stop_requested)(void);
};

/* Passed to the entry point; lives in tender memory until exit. */
struct tb_spt_boot {
    uint32_t abi_version; /* TB_ABI_VERSION */
    uint32_t ops_size; /* sizeof(struct tb_spt_ops) */
    const struct tb_spt_ops *ops;
    const char *cmdline; /* NUL-terminated */
    uintptr_t heap_start; /* page-aligned */
    size_t heap_size;
};

#endif /* TB_SPT_ABI_H */
