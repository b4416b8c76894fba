/*
 * fault.c -- CPU exceptions in an hvt guest: the guest's own GDT (with a
 * 64-bit TSS whose IST1 is a dedicated trap stack) and IDT, and the
 * handler every exception vector ends in.  The handler prints the vector,
 * error code, faulting address (CR2) and all general registers on the
 * console, then aborts through the exit hypercall (status 255).  There
 * are no interrupts (the guest runs with IF=0), so vectors 32..255 are
 * left absent.  A fault inside the handler itself skips the printing and
 * aborts at once.  Entry stubs are in boot.S.
 */
#include "hvt.h"

/* The frame boot.S builds on the trap stack (lowest address first). */
struct hvt_trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx,
        rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void hvt_trap(struct hvt_trap_frame *f) __attribute__((noreturn, used));
/* Vector v's stub is at TRAP_ENTRY + 16 * v (boot.S; hvt.ld asserts it). */
#define TRAP_ENTRY 0x100200ull

#define TRAP_STACK_SIZE 16384
#define GDT_TSS         0x18

/* 64-bit TSS (SDM vol. 3A, 8.7): IST1 at byte 36. */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

static uint8_t trap_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16))) = {
    .ist = {(uint64_t)(uintptr_t)(trap_stack + TRAP_STACK_SIZE)},
    .iomap_base = sizeof(struct tss64), /* no I/O bitmap */
};
/* Same code/data layout as the tender's GDT: no reload of CS needed. */
static uint64_t gdt[5] __attribute__((aligned(16))) = {
    0, 0x00af9a000000ffffull, 0x00cf92000000ffffull, 0, 0};

/*
 * 64-bit interrupt gate for vector (v) (SDM vol. 3A, 6.14.1): offset 15:0,
 * selector, IST 1, type 0x8e (present, DPL 0), offset 31:16; the upper
 * quadword (offset 63:32) is 0.  A constant table: building it at boot
 * would cost ~250 instructions, about a microsecond each where KVM
 * emulates the guest (PVM hosts).
 */
#define GATE(v)                                                                \
    (((TRAP_ENTRY + 16 * (v)) & 0xffff) | (uint64_t)HVT_GDT_CODE << 16 |       \
     1ull << 32 | 0x8eull << 40 |                                              \
     (((TRAP_ENTRY + 16 * (v)) >> 16) & 0xffff) << 48),                        \
        0
#define GATE4(v) GATE(v), GATE(v + 1), GATE(v + 2), GATE(v + 3)
static const uint64_t idt[2 * 32] __attribute__((aligned(16))) = {
    GATE4(0),  GATE4(4),  GATE4(8),  GATE4(12),
    GATE4(16), GATE4(20), GATE4(24), GATE4(28),
};
static volatile int in_trap;

static const char *const names[32] = {
    [0] = "divide error",
    [1] = "debug",
    [2] = "NMI",
    [3] = "breakpoint",
    [4] = "overflow",
    [5] = "bound range",
    [6] = "invalid opcode",
    [7] = "device not available",
    [8] = "double fault",
    [10] = "invalid TSS",
    [11] = "segment not present",
    [12] = "stack fault",
    [13] = "general protection",
    [14] = "page fault",
    [16] = "x87 FP error",
    [17] = "alignment check",
    [18] = "machine check",
    [19] = "SIMD FP error",
    [21] = "control protection",
};

void hvt_traps_init(void)
{
    uint64_t tss_base = (uint64_t)(uintptr_t)&tss;
    uint64_t tss_lim = sizeof(tss) - 1;
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) gdtr, idtr;

    /* Available 64-bit TSS descriptor, 16 bytes (SDM vol. 3A, 8.2.3). */
    gdt[3] = (tss_lim & 0xffff) | (tss_base & 0xffffff) << 16 | 0x89ull << 40 |
             ((tss_lim >> 16) & 0xf) << 48 | ((tss_base >> 24) & 0xff) << 56;
    gdt[4] = tss_base >> 32;
    gdtr.limit = sizeof(gdt) - 1;
    gdtr.base = (uint64_t)(uintptr_t)gdt;
    idtr.limit = sizeof(idt) - 1;
    idtr.base = (uint64_t)(uintptr_t)idt;
    __asm__ __volatile__("lgdt %0\n\t"
                         "ltr %w1\n\t"
                         "lidt %2"
                         :
                         : "m"(gdtr), "r"((uint16_t)GDT_TSS), "m"(idtr)
                         : "memory");
}

static void reg(const char *name, uint64_t v, const char *end)
{
    char hex[19];

    tb_log("%4s %s%s", name, tb_fmt_hex64(hex, v), end);
}

void hvt_trap(struct hvt_trap_frame *f)
{
    uint64_t cr2;
    const char *name;

    if (in_trap++)
        tb_abort(); /* faulted while reporting a fault */
    __asm__ __volatile__("mov %%cr2, %0" : "=r"(cr2));
    name = f->vector < 32 && names[f->vector] ? names[f->vector] : "reserved";
    tb_log("tibra: exception %llu (%s), error code 0x%llx\n",
           (unsigned long long)f->vector, name, (unsigned long long)f->error);
    if (f->vector == 14)
        tb_log("tibra: page fault at address 0x%llx (%s, %s)\n",
               (unsigned long long)cr2,
               (f->error & 1) ? "protection violation" : "page not present",
               (f->error & 16)  ? "instruction fetch"
               : (f->error & 2) ? "write"
                                : "read");
    reg("rip", f->rip, " ");
    reg("rsp", f->rsp, " ");
    reg("rflags", f->rflags, "\n");
    reg("rax", f->rax, " ");
    reg("rbx", f->rbx, " ");
    reg("rcx", f->rcx, "\n");
    reg("rdx", f->rdx, " ");
    reg("rsi", f->rsi, " ");
    reg("rdi", f->rdi, "\n");
    reg("rbp", f->rbp, " ");
    reg("r8", f->r8, " ");
    reg("r9", f->r9, "\n");
    reg("r10", f->r10, " ");
    reg("r11", f->r11, " ");
    reg("r12", f->r12, "\n");
    reg("r13", f->r13, " ");
    reg("r14", f->r14, " ");
    reg("r15", f->r15, "\n");
    reg("cr2", cr2, " ");
    reg("cs", f->cs, " ");
    reg("ss", f->ss, "\n");
    tb_abort();
}
