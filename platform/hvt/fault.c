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
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx,
        rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void hvt_trap(struct hvt_trap_frame *f) __attribute__((noreturn, used));
extern const uint64_t hvt_trap_stubs[32];

#define TRAP_STACK_SIZE 16384
#define GDT_TSS 0x18

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

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t ist, type;
    uint16_t off_mid;
    uint32_t off_hi, zero;
};

static uint8_t trap_stack[TRAP_STACK_SIZE] __attribute__((aligned(16)));
static struct tss64 tss __attribute__((aligned(16)));
static uint64_t gdt[5] __attribute__((aligned(16)));
static struct idt_gate idt[32] __attribute__((aligned(16)));
static volatile int in_trap;

static const char *const names[32] = {
    [0] = "divide error", [1] = "debug", [2] = "NMI", [3] = "breakpoint",
    [4] = "overflow", [5] = "bound range", [6] = "invalid opcode",
    [7] = "device not available", [8] = "double fault",
    [10] = "invalid TSS", [11] = "segment not present",
    [12] = "stack fault", [13] = "general protection",
    [14] = "page fault", [16] = "x87 FP error", [17] = "alignment check",
    [18] = "machine check", [19] = "SIMD FP error",
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

    tss.ist[0] = (uint64_t)(uintptr_t)(trap_stack + TRAP_STACK_SIZE);
    tss.iomap_base = sizeof(tss); /* no I/O bitmap */
    /* Same code/data layout as the tender's GDT: no reload of CS needed. */
    gdt[1] = 0x00af9a000000ffffull;
    gdt[2] = 0x00cf92000000ffffull;
    /* Available 64-bit TSS descriptor, 16 bytes (SDM vol. 3A, 8.2.3). */
    gdt[3] = (tss_lim & 0xffff) | (tss_base & 0xffffff) << 16 |
             0x89ull << 40 | ((tss_lim >> 16) & 0xf) << 48 |
             ((tss_base >> 24) & 0xff) << 56;
    gdt[4] = tss_base >> 32;
    for (unsigned v = 0; v < 32; v++) {
        uint64_t off = hvt_trap_stubs[v];
        idt[v] = (struct idt_gate){
            .off_lo = (uint16_t)off,
            .sel = HVT_GDT_CODE,
            .ist = 1,
            .type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
            .off_mid = (uint16_t)(off >> 16),
            .off_hi = (uint32_t)(off >> 32),
        };
    }
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
               (f->error & 16) ? "instruction fetch"
               : (f->error & 2) ? "write" : "read");
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
