/*
 * hvt_kvm_x86_64.c -- the virtual machine of tibra-hvt on Linux/KVM,
 * x86_64: guest memory, the GDT and page tables the guest boots with, the
 * vCPU state for direct entry in 64-bit long mode, and the KVM_RUN loop
 * that turns exits into hypercalls (contracts in hvt.h).
 *
 * The guest never runs 16- or 32-bit code: the tender writes a GDT and
 * identity-mapping page tables into guest memory and sets CR0/CR3/CR4/EFER
 * so that the first instruction executed is the ELF entry point.  Unlike
 * Solo5 (all memory RWX) the page tables carry the ELF segment
 * permissions: text R+X, everything else NX, read-only data and the boot
 * info read-only, a not-present guard page under the stack, and nothing
 * mapped at 0.  There is no interrupt controller: the guest runs with
 * interrupts off and waits in the yield hypercall.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hvt.h"

/* CR0, CR4, EFER bits (Intel SDM vol. 3A, 2.5 and 2.2.1). */
#define CR0_PE         (1ull << 0)
#define CR0_MP         (1ull << 1)
#define CR0_ET         (1ull << 4)
#define CR0_NE         (1ull << 5)
#define CR0_WP         (1ull << 16)
#define CR0_PG         (1ull << 31)
#define CR4_PAE        (1ull << 5)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define EFER_LME       (1ull << 8)
#define EFER_LMA       (1ull << 10)
#define EFER_NXE       (1ull << 11)

/* Page-table entry bits (SDM vol. 3A, 4.5). */
#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define PTE_NX (1ull << 63)

#define MB2          (2ull << 20)
#define GB1          (1ull << 30)
#define MSR_IA32_TSC 0x10

/* Where the guest's stack and the guard page under it are. */
static uint64_t guard_page(const struct hvt *h)
{
    return h->mem_size - HVT_STACK_SIZE - HVT_PAGE_SIZE;
}

void hvt_vm_create(struct hvt *h)
{
    struct kvm_userspace_memory_region region;
    int rc;

    /* --kvm=fd:N gave us /dev/kvm already open (tibra-vmmd). */
    if (h->kvm_fd < 0)
        h->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (h->kvm_fd < 0) {
        if (errno == ENOENT)
            hvt_die(h, 1,
                    "/dev/kvm does not exist: KVM is not available "
                    "(no hardware virtualization, or the kvm module "
                    "is not loaded); try tibra-spt instead");
        if (errno == EACCES || errno == EPERM)
            hvt_die(h, 1,
                    "/dev/kvm: permission denied (add your user to "
                    "group 'kvm', or run as root)");
        hvt_die(h, 1, "/dev/kvm: %s", strerror(errno));
    }
    rc = ioctl(h->kvm_fd, KVM_GET_API_VERSION, 0);
    if (rc != KVM_API_VERSION)
        hvt_die(h, 1, "KVM API version %d, need %d", rc, KVM_API_VERSION);
    if (ioctl(h->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) != 1)
        hvt_die(h, 1, "KVM: host lacks KVM_CAP_GET_TSC_KHZ");
    h->vm_fd = ioctl(h->kvm_fd, KVM_CREATE_VM, 0);
    if (h->vm_fd < 0)
        hvt_die(h, 1, "KVM_CREATE_VM: %s", strerror(errno));

    h->mem = mmap(NULL, h->mem_size, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (h->mem == MAP_FAILED)
        hvt_die(h, 1, "cannot map %llu bytes of guest memory: %s",
                (unsigned long long)h->mem_size, strerror(errno));
    region = (struct kvm_userspace_memory_region){
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = h->mem_size,
        .userspace_addr = (uint64_t)(uintptr_t)h->mem,
    };
    if (ioctl(h->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) != 0)
        hvt_die(h, 1, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

    h->vcpu_fd = ioctl(h->vm_fd, KVM_CREATE_VCPU, 0);
    if (h->vcpu_fd < 0)
        hvt_die(h, 1, "KVM_CREATE_VCPU: %s", strerror(errno));
    rc = ioctl(h->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (rc < (int)sizeof(struct kvm_run))
        hvt_die(h, 1, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
    h->run_size = (size_t)rc;
    h->run = mmap(NULL, h->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                  h->vcpu_fd, 0);
    if (h->run == MAP_FAILED)
        hvt_die(h, 1, "mmap(kvm_run): %s", strerror(errno));

    rc = ioctl(h->vcpu_fd, KVM_GET_TSC_KHZ, 0);
    if (rc <= 0)
        hvt_die(h, 1, "KVM_GET_TSC_KHZ: %s (host TSC unstable?)",
                rc < 0 ? strerror(errno) : "zero");
    h->tsc_hz = (uint64_t)rc * 1000;
}

/* Permissions of the 4 KiB page at (gpa), as PTE bits (0: not present). */
static uint64_t page_bits(const struct hvt *h,
                          const struct tender_elf_info *img, uint64_t gpa)
{
    if (gpa < HVT_IMAGE_BASE) {
        if (gpa == HVT_BOOT_INFO_BASE || gpa == HVT_CMDLINE_BASE)
            return PTE_P | PTE_NX;
        return 0; /* NULL page, GDT, page tables, reserved */
    }
    if (gpa < img->end) {
        for (unsigned i = 0; i < img->nsegs; i++) {
            const struct tender_elf_seg *s = &img->seg[i];
            if (gpa < s->page_start || gpa >= s->page_end)
                continue;
            return PTE_P | ((s->flags & TENDER_ELF_W) ? PTE_RW : 0) |
                   ((s->flags & TENDER_ELF_X) ? 0 : PTE_NX);
        }
        return 0; /* gap between segments */
    }
    if (gpa == guard_page(h))
        return 0;
    return PTE_P | PTE_RW | PTE_NX;
}

/*
 * Identity-maps [0, mem_size): 2 MiB pages where all of a region has the
 * same permissions (heap), 4 KiB pages in region 0, the image's regions
 * and the stack's region.  The tables live below HVT_IMAGE_BASE, outside
 * the guest's own mappings.
 */
static void setup_pagetables(struct hvt *h, const struct tender_elf_info *img)
{
    uint64_t *pml4 = (uint64_t *)(void *)(h->mem + HVT_PML4_BASE);
    uint64_t *pdpt = (uint64_t *)(void *)(h->mem + HVT_PDPT_BASE);
    uint64_t *pd = (uint64_t *)(void *)(h->mem + HVT_PD_BASE);
    uint64_t next_pt = HVT_PT_BASE;
    uint64_t nregions = h->mem_size / MB2;

    pml4[0] = HVT_PDPT_BASE | PTE_P | PTE_RW;
    for (uint64_t i = 0; i < (h->mem_size + GB1 - 1) / GB1; i++)
        pdpt[i] = (HVT_PD_BASE + i * HVT_PAGE_SIZE) | PTE_P | PTE_RW;
    for (uint64_t r = 0; r < nregions; r++) {
        uint64_t base = r * MB2;
        bool small = r == 0 || r == nregions - 1 ||
                     (base < img->end && base + MB2 > img->lo);
        if (!small) {
            pd[r] = base | PTE_P | PTE_RW | PTE_PS | PTE_NX;
            continue;
        }
        if (next_pt >= HVT_IMAGE_BASE)
            hvt_die(h, 1, "image too large: out of page-table space");
        uint64_t *pt = (uint64_t *)(void *)(h->mem + next_pt);
        for (unsigned i = 0; i < 512; i++) {
            uint64_t gpa = base + (uint64_t)i * HVT_PAGE_SIZE;
            uint64_t bits = page_bits(h, img, gpa);
            pt[i] = bits ? (gpa | bits) : 0;
        }
        pd[r] = next_pt | PTE_P | PTE_RW;
        next_pt += HVT_PAGE_SIZE;
    }
}

static void set_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
    *s = (struct kvm_segment){
        .base = 0,
        .limit = 0xffffffff,
        .selector = sel,
        .type = type,
        .present = 1,
        .dpl = 0,
        .db = code ? 0 : 1,
        .s = 1,
        .l = code ? 1 : 0,
        .g = 1,
    };
}

void hvt_vm_boot(struct hvt *h, const struct tender_elf_info *img,
                 struct hvt_boot_info *bi)
{
    uint64_t *gdt = (uint64_t *)(void *)(h->mem + HVT_GDT_BASE);
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    struct {
        struct kvm_msrs m;
        struct kvm_msr_entry e;
    } msr;
    struct timespec ts;

    /* Null, 64-bit code (type 0xa, L), data (type 2, D/B); SDM 3.4.5. */
    gdt[0] = 0;
    gdt[HVT_GDT_CODE / 8] = 0x00af9a000000ffffull;
    gdt[HVT_GDT_DATA / 8] = 0x00cf92000000ffffull;
    setup_pagetables(h, img);
    /* No KVM_SET_CPUID2: the guest never executes CPUID, KVM_SET_SREGS
     * does not check EFER against it, and the two ioctls would cost
     * ~0.5 ms of a ~3 ms boot. */

    if (ioctl(h->vcpu_fd, KVM_GET_SREGS, &sregs) != 0)
        hvt_die(h, 1, "KVM_GET_SREGS: %s", strerror(errno));
    sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    sregs.cr3 = HVT_PML4_BASE;
    sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    sregs.efer = EFER_LME | EFER_LMA | EFER_NXE;
    set_seg(&sregs.cs, HVT_GDT_CODE, 0xb, 1);
    set_seg(&sregs.ds, HVT_GDT_DATA, 0x3, 0);
    sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
    sregs.gdt.base = HVT_GDT_BASE;
    sregs.gdt.limit = 3 * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0; /* any fault before the guest's IDT: shutdown */
    sregs.tr = (struct kvm_segment){.type = 11, .present = 1, .limit = 0x67};
    sregs.ldt = (struct kvm_segment){.unusable = 1};
    if (ioctl(h->vcpu_fd, KVM_SET_SREGS, &sregs) != 0)
        hvt_die(h, 1, "KVM_SET_SREGS: %s", strerror(errno));

    memset(&regs, 0, sizeof(regs));
    regs.rip = img->entry;
    regs.rflags = 0x2; /* reserved bit 1; interrupts off */
    regs.rsp = h->mem_size;
    regs.rdi = HVT_BOOT_INFO_BASE;
    if (ioctl(h->vcpu_fd, KVM_SET_REGS, &regs) != 0)
        hvt_die(h, 1, "KVM_SET_REGS: %s", strerror(errno));

    /* Pair the guest TSC with the wall clock, as late as possible. */
    memset(&msr, 0, sizeof(msr));
    msr.m.nmsrs = 1;
    msr.e.index = MSR_IA32_TSC;
    if (ioctl(h->vcpu_fd, KVM_GET_MSRS, &msr) != 1)
        hvt_die(h, 1, "KVM_GET_MSRS(TSC): %s", strerror(errno));
    clock_gettime(CLOCK_REALTIME, &ts);
    bi->wall_tsc = msr.e.data;
    bi->wall_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void hvt_vm_dump(struct hvt *h)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;

    if (ioctl(h->vcpu_fd, KVM_GET_REGS, &regs) != 0 ||
        ioctl(h->vcpu_fd, KVM_GET_SREGS, &sregs) != 0)
        return;
    /* snprintf + write only: this runs under the seccomp filter. */
    char buf[128];
    int n = snprintf(buf, sizeof(buf),
                     "tibra-hvt: guest rip=0x%llx rsp=0x%llx cr2=0x%llx\n",
                     (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
                     (unsigned long long)sregs.cr2);
    if (n > 0 && write(2, buf, (size_t)n) < 0)
        return;
}

void hvt_vm_run(struct hvt *h, unsigned *nr, uint32_t *gpa)
{
    struct kvm_run *run = h->run;

    for (;;) {
        if (ioctl(h->vcpu_fd, KVM_RUN, 0) != 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            if (errno == EFAULT) {
                hvt_vm_dump(h);
                hvt_die(h, HVT_EXIT_GUEST_FAULT,
                        "guest fault: host/guest translation fault");
            }
            hvt_die(h, 1, "KVM_RUN: %s", strerror(errno));
        }
        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
                run->io.count != 1 || run->io.port < HVT_PIO_BASE ||
                run->io.port >= HVT_PIO_BASE + HVT_HC_MAX) {
                hvt_vm_dump(h);
                hvt_die(h, HVT_EXIT_GUEST_FAULT,
                        "guest fault: bad port access (port 0x%x, size %u, "
                        "%s)",
                        run->io.port, run->io.size,
                        run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in");
            }
            *nr = run->io.port - HVT_PIO_BASE;
            memcpy(gpa, (uint8_t *)run + run->io.data_offset, sizeof(*gpa));
            return;
        case KVM_EXIT_SHUTDOWN:
            hvt_vm_dump(h);
            hvt_die(h, HVT_EXIT_GUEST_FAULT,
                    "guest fault: triple fault (a fault with no working "
                    "exception handler)");
        case KVM_EXIT_HLT:
            hvt_vm_dump(h);
            hvt_die(h, HVT_EXIT_GUEST_FAULT,
                    "guest fault: halted with interrupts off");
        case KVM_EXIT_MMIO:
            hvt_vm_dump(h);
            hvt_die(h, HVT_EXIT_GUEST_FAULT,
                    "guest fault: access to unbacked address 0x%llx",
                    (unsigned long long)run->mmio.phys_addr);
        case KVM_EXIT_FAIL_ENTRY:
            hvt_die(h, 1, "KVM: entry failure, reason 0x%llx",
                    (unsigned long long)
                        run->fail_entry.hardware_entry_failure_reason);
        case KVM_EXIT_INTERNAL_ERROR:
            hvt_vm_dump(h);
            hvt_die(h, HVT_EXIT_GUEST_FAULT, "KVM: internal error, suberror %u",
                    run->internal.suberror);
        default:
            hvt_vm_dump(h);
            hvt_die(h, 1, "KVM: unexpected exit reason %u", run->exit_reason);
        }
    }
}
