/*
 * hvt_abi.h -- the binary interface between an hvt guest (platform/hvt)
 * and its tender (tender/hvt, tibra-hvt), x86_64.  Private to those two:
 * applications see only <tibra/plat.h>.  Versioned with TB_ABI_VERSION
 * (the tender refuses an image whose manifest names another version).
 *
 * Boot: the tender loads the image at HVT_IMAGE_BASE, builds the GDT, page
 * tables and struct hvt_boot_info below it, and enters the ELF entry point
 * in 64-bit long mode with paging on, interrupts off, %rdi = guest-physical
 * address of the boot info and %rsp = top of guest memory.  Guest memory
 * is identity-mapped: guest virtual == guest physical.  Every byte of
 * guest memory the tender does not write is zero, and the loader zeroes
 * each segment's [filesz, memsz) tail, so the guest MAY rely on a zeroed
 * .bss without clearing it (where KVM emulates the guest, as on PVM hosts,
 * clearing it again would cost milliseconds).
 *
 * Hypercalls: the guest writes the 32-bit guest-physical address of an
 * argument struct with `outl` to port HVT_PIO_BASE + nr.  Every struct
 * below is made of 64-bit fields and MUST be 8-byte aligned; the tender
 * checks that it (and every buffer it names) lies wholly in guest memory
 * and stops the guest with a message otherwise.  Results are written back
 * into the struct's out-fields before the guest resumes.
 *
 * Guest-physical memory map (addresses in hex):
 *
 *     0        +-----------------------+  not mapped (NULL page)
 *     1000     | GDT                   |  not mapped in the guest
 *     2000     | PML4, PDPT, PD x4     |  not mapped in the guest
 *     8000     | struct hvt_boot_info  |  read-only
 *     9000     | command line          |  read-only, NUL-terminated
 *     10000    | PTs for 4 KiB pages   |  not mapped in the guest
 *     100000   | image (ELF segments)  |  text R+X, rodata R, data RW+NX
 *     kernel_end +--------------------+
 *              | heap                  |  RW+NX
 *              | guard page            |  not mapped
 *     mem_size - HVT_STACK_SIZE        |  stack (grows down), RW+NX
 *     mem_size +-----------------------+
 */
#ifndef TB_HVT_ABI_H
#define TB_HVT_ABI_H

#include <stdint.h>

#include <tibra/plat.h>

#define HVT_PAGE_SIZE      0x1000u
#define HVT_GDT_BASE       0x1000u
#define HVT_PML4_BASE      0x2000u
#define HVT_PDPT_BASE      0x3000u
#define HVT_PD_BASE        0x4000u /* four pages: up to 4 GiB */
#define HVT_BOOT_INFO_BASE 0x8000u
#define HVT_CMDLINE_BASE   0x9000u
#define HVT_CMDLINE_MAX    0x1000u /* including the NUL */
#define HVT_PT_BASE        0x10000u /* page tables for 4 KiB mappings */
#define HVT_IMAGE_BASE     0x100000u
#define HVT_STACK_SIZE     0x10000u /* below mem_size, guard page under it */
#define HVT_MEM_MIN        (2u << 20)
#define HVT_MEM_MAX        (4096ull << 20) /* 32-bit hypercall pointers */

/* GDT selectors set up by the tender. */
#define HVT_GDT_CODE 0x08
#define HVT_GDT_DATA 0x10

/* Hypercall ports: outl(HVT_PIO_BASE + nr, gpa of the argument struct). */
#define HVT_PIO_BASE 0x500
enum hvt_hc {
    HVT_HC_CONSOLE = 0,
    HVT_HC_EXIT = 1,
    HVT_HC_YIELD = 2,
    HVT_HC_NET_READ = 3,
    HVT_HC_NET_WRITE = 4,
    HVT_HC_BLOCK_READ = 5,
    HVT_HC_BLOCK_WRITE = 6,
    HVT_HC_ENTROPY = 7,
    HVT_HC_MAX = 8
};

/* Most frames moved by one net hypercall; the guest loops for more. */
#define HVT_NET_BATCH_MAX 64
/* Block size of every block device. */
#define HVT_BLOCK_SIZE 512u

/* One device, indexed like the manifest's entries (index == handle). */
struct hvt_dev_info {
    uint32_t type; /* enum tb_mft_type; 0 if the entry does not exist */
    uint32_t mtu; /* net: payload MTU, not counting the Ethernet header */
    uint8_t mac[8]; /* net: first 6 bytes */
    uint64_t capacity; /* block: bytes, a multiple of block_size */
    uint64_t block_size; /* block: HVT_BLOCK_SIZE */
};

/* Filled by the tender at HVT_BOOT_INFO_BASE before the guest starts. */
struct hvt_boot_info {
    uint64_t mem_size; /* bytes of guest memory (a multiple of 2 MiB) */
    uint64_t kernel_end; /* first page after the loaded image */
    uint64_t cmdline; /* gpa of the NUL-terminated command line */
    uint64_t tsc_hz; /* guest TSC frequency, from KVM_GET_TSC_KHZ */
    uint64_t wall_ns; /* CLOCK_REALTIME (ns) when the guest TSC read ... */
    uint64_t wall_tsc; /* ... this value (taken just before entry) */
    uint64_t entropy[4]; /* 32 random bytes: stack canary, early seeds */
    uint64_t ndevs; /* number of entries in dev[] (== manifest's) */
    struct hvt_dev_info dev[TB_MFT_ENTRIES_MAX];
    /* Set to 1 by the tender, at any time, when it is asked to stop the
     * guest (SIGTERM, SIGINT): plat.h's tb_stop_requested() reads it
     * without a VM exit (ABI 2). */
    uint64_t stop;
};

/* HVT_HC_CONSOLE: writes (len) bytes at (data).  No result. */
struct hvt_hc_console {
    uint64_t data;
    uint64_t len;
};

/* HVT_HC_EXIT: the tender exits with (status) (0..255); does not return.
 * (abort) non-zero means tb_abort(): the tender says so on stderr. */
struct hvt_hc_exit {
    uint64_t status;
    uint64_t abort;
};

/*
 * HVT_HC_YIELD: waits up to (timeout_ns) for input on any net device and
 * returns the handles with input in (ready) (out).  Returns at once,
 * (ready) possibly 0, once the boot info's (stop) is set.
 */
struct hvt_hc_yield {
    uint64_t timeout_ns;
    uint64_t ready;
};

/*
 * HVT_HC_NET_READ / _WRITE: (frames) is the gpa of (n) descriptors laid
 * out as struct tb_frame on x86_64 ({u64 buf, u64 cap, u64 len}); the
 * tender reads into or writes from each buffer and, for reads, stores each
 * frame's length in its (len).  (ret) (out) is the number of frames moved
 * or a negative TB_E* as tb_net_read()/tb_net_write() return it.  (n) is
 * clamped to HVT_NET_BATCH_MAX.
 */
struct hvt_hc_net {
    uint64_t handle;
    uint64_t frames;
    uint64_t n;
    int64_t ret;
};

/* HVT_HC_BLOCK_READ / _WRITE: as tb_block_read()/tb_block_write(), with
 * (buf) a gpa; (ret) (out) is TB_OK or a negative TB_E*. */
struct hvt_hc_block {
    uint64_t handle;
    uint64_t off;
    uint64_t buf;
    uint64_t len;
    int64_t ret;
};

/* HVT_HC_ENTROPY: fills (len) bytes at (buf) from getrandom(2);
 * (ret) (out) is TB_OK or TB_EIO. */
struct hvt_hc_entropy {
    uint64_t buf;
    uint64_t len;
    int64_t ret;
};

#endif /* TB_HVT_ABI_H */
