/*
 * fault.c -- the hosted platform's trap handler (unix target and
 * tender/spt, where the guest runs in the tender's process): on SIGSEGV,
 * SIGBUS, SIGILL, SIGFPE or SIGTRAP it prints the signal, the faulting
 * address and a register dump to standard error, then exits with 255.
 * The handler runs on an alternate stack (a stack overflow is a fault
 * too), formats without stdio or malloc, and makes only write(2) and
 * exit_group, so it works under tender/spt's seccomp filter.
 */
#define _GNU_SOURCE 1
#include <err.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "../common/rt.h"
#include "host.h"

#define ALTSTACK_SIZE (64 * 1024)

static const char *fault_who = "tibra";

/* A line buffer for the dump; no bounds surprises: (n) < sizeof(buf). */
struct dump {
    char buf[1536];
    size_t n;
};

static void put_str(struct dump *d, const char *s)
{
    while (*s && d->n < sizeof(d->buf) - 1)
        d->buf[d->n++] = *s++;
}

static void put_reg(struct dump *d, const char *name, uint64_t v, bool nl)
{
    char hex[19];

    put_str(d, name);
    put_str(d, " ");
    put_str(d, tb_fmt_hex64(hex, v));
    put_str(d, nl ? "\n" : "  ");
}

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV (page fault)";
    case SIGBUS:
        return "SIGBUS (bus error)";
    case SIGILL:
        return "SIGILL (illegal instruction)";
    case SIGFPE:
        return "SIGFPE (arithmetic exception)";
    case SIGTRAP:
        return "SIGTRAP (breakpoint)";
    default:
        return "signal";
    }
}

static void dump_regs(struct dump *d, const ucontext_t *uc)
{
#if defined(__x86_64__)
    static const struct {
        const char *n;
        int r;
    } regs[] = {
        {"rip", REG_RIP}, {"rsp", REG_RSP},    {"rbp", REG_RBP},
        {"rax", REG_RAX}, {"rbx", REG_RBX},    {"rcx", REG_RCX},
        {"rdx", REG_RDX}, {"rsi", REG_RSI},    {"rdi", REG_RDI},
        {"r8 ", REG_R8},  {"r9 ", REG_R9},     {"r10", REG_R10},
        {"r11", REG_R11}, {"r12", REG_R12},    {"r13", REG_R13},
        {"r14", REG_R14}, {"r15", REG_R15},    {"efl", REG_EFL},
        {"err", REG_ERR}, {"trp", REG_TRAPNO}, {"cr2", REG_CR2},
    };
    for (size_t i = 0; i < TB_ARRAY_SIZE(regs); i++)
        put_reg(d, regs[i].n, (uint64_t)uc->uc_mcontext.gregs[regs[i].r],
                i % 3 == 2);
#elif defined(__aarch64__)
    static const char *const xn[31] = {
        "x0 ", "x1 ", "x2 ", "x3 ", "x4 ", "x5 ", "x6 ", "x7 ",
        "x8 ", "x9 ", "x10", "x11", "x12", "x13", "x14", "x15",
        "x16", "x17", "x18", "x19", "x20", "x21", "x22", "x23",
        "x24", "x25", "x26", "x27", "x28", "x29", "x30"};
    put_reg(d, "pc ", uc->uc_mcontext.pc, false);
    put_reg(d, "sp ", uc->uc_mcontext.sp, false);
    put_reg(d, "pst", uc->uc_mcontext.pstate, true);
    for (int i = 0; i < 31; i++)
        put_reg(d, xn[i], uc->uc_mcontext.regs[i], i % 3 == 2 || i == 30);
#else
    (void)uc;
    put_str(d, "(no register dump for this architecture)\n");
#endif
}

static uint64_t fault_pc(const ucontext_t *uc)
{
#if defined(__x86_64__)
    return (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
    return uc->uc_mcontext.pc;
#else
    (void)uc;
    return 0;
#endif
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    struct dump d = {.n = 0};
    char hex[19];

    put_str(&d, fault_who);
    put_str(&d, ": fault: ");
    put_str(&d, sig_name(sig));
    put_str(&d, " at pc ");
    put_str(&d, tb_fmt_hex64(hex, fault_pc(ctx)));
    put_str(&d, ", address ");
    put_str(&d, tb_fmt_hex64(hex, (uint64_t)(uintptr_t)si->si_addr));
    put_str(&d, "\n");
    dump_regs(&d, ctx);
    if (write(2, d.buf, d.n) < 0) {
        /* Nothing more to do. */
    }
    tb_host_exit(255);
}

void tb_host_fault_install(const char *who)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
    stack_t ss;
    struct sigaction sa;

    fault_who = who;
    ss.ss_sp = mmap(NULL, ALTSTACK_SIZE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ss.ss_sp == MAP_FAILED)
        err(1, "mmap signal stack");
    ss.ss_size = ALTSTACK_SIZE;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, NULL) < 0)
        err(1, "sigaltstack");
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < TB_ARRAY_SIZE(sigs); i++) {
        if (sigaction(sigs[i], &sa, NULL) < 0)
            err(1, "sigaction");
    }
}
