/*
 * hvt.h -- private interface between the parts of tibra-hvt: hvt_main.c
 * (options, devices, the hypercall dispatcher), hvt_kvm_x86_64.c (the VM:
 * memory, page tables, vCPU, KVM_RUN) and hvt_seccomp.c (confinement).
 * The guest side of the ABI is platform/hvt/hvt_abi.h.
 *
 * Flow: main() parses options -> tender_elf_check() -> devices attached
 * (tender/common/attach.c) -> hvt_vm_create() -> tender_elf_load() into
 * guest memory -> hvt_vm_boot() (page tables, registers, boot info) ->
 * hvt_seccomp_confine() -> loop { hvt_vm_run() -> hypercall }.
 */
#ifndef TB_HVT_H
#define TB_HVT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "../../platform/hvt/hvt_abi.h"
#include "../common/elf.h"

struct kvm_run;

/* One attached device (index == manifest entry == guest handle). */
struct hvt_dev {
    int fd; /* TAP or block file; -1 if not attached */
    uint32_t type; /* enum tb_mft_type */
    const char *path; /* TAP name or file name, from the command line */
    struct hvt_dev_info info;
};

struct hvt {
    uint8_t *mem; /* guest memory: gpa X is mem + X */
    uint64_t mem_size; /* bytes, a multiple of 2 MiB */
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    size_t run_size;
    uint64_t tsc_hz;
    unsigned ndevs;
    struct hvt_dev dev[TB_MFT_ENTRIES_MAX];
    bool confined; /* seccomp is on: report errors without stdio */
    int stop_fd; /* eventfd the stop handler writes; -1: none */
    uint64_t rx_oversize; /* frames dropped: larger than the guest buffer */
};

/* A guest-caused stop: the message names what the guest did wrong. */
#define HVT_EXIT_GUEST_FAULT 1

/*
 * Reports a fatal error and exits with (status).  Before confinement
 * this is errx(3); after it, formatting uses a stack buffer and write(2)
 * only, so the seccomp filter never sees an unexpected system call.
 */
void hvt_die(struct hvt *h, int status, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));

/*
 * Opens /dev/kvm, creates the VM with (h->mem_size) bytes of guest memory
 * and one vCPU, and reads the TSC frequency.  Exits with a message naming
 * the cause (no /dev/kvm, no permission, KVM too old) on failure.
 */
void hvt_vm_create(struct hvt *h);

/*
 * Builds the GDT, page tables (permissions from (img) segments: text R+X,
 * the rest NX, guard page under the stack), and the vCPU state (long
 * mode, entry at img->entry, %rdi = HVT_BOOT_INFO_BASE, %rsp = mem_size).
 * Fills bi->wall_ns/wall_tsc last.  Exits with a message on failure.
 */
void hvt_vm_boot(struct hvt *h, const struct tender_elf_info *img,
                 struct hvt_boot_info *bi);

/*
 * Runs the vCPU until the guest makes a hypercall, and returns its number
 * and the 32-bit gpa it passed.  Any other exit (triple fault, halt, bad
 * port, entry failure) ends the tender with a message and the guest's
 * %rip; it never returns then.
 */
void hvt_vm_run(struct hvt *h, unsigned *nr, uint32_t *gpa);

/* Prints %rip, %rsp and CR2 of the vCPU to stderr (best effort). */
void hvt_vm_dump(struct hvt *h);

/*
 * Installs the seccomp filter: from here on the process may only run the
 * vCPU, move bytes on the attached devices and the console, poll them,
 * read clocks, draw random bytes and exit.  Exits with a message if the
 * filter cannot be installed.
 */
void hvt_seccomp_confine(struct hvt *h);

#endif /* TB_HVT_H */
