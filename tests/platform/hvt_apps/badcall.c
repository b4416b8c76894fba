/*
 * badcall.c -- a misbehaving hvt guest for tests/platform/hvt_guest.sh.
 * It talks to tibra-hvt directly (raw `outl` hypercalls, hvt_abi.h) or
 * breaks its own memory rules, as chosen by one word on its command line:
 *
 *   console_oob     console buffer running past the end of guest memory
 *   console_wrap    console buffer whose end overflows 64 bits
 *   console_low     console buffer in the tender's page tables (< 1 MiB)
 *   arg_oob         argument struct beyond guest memory
 *   arg_unaligned   argument struct not 8-byte aligned
 *   block_oob       block read into a buffer past the end of memory
 *   frames_oob      net write whose frame descriptors run past memory
 *   bad_port        `outl` to a port that is no hypercall
 *   write_text      store into its own (read-only) code
 *   exec_data       jump into a (non-executable) data buffer
 *   write_bootinfo  store into the (read-only) boot info page
 *   stack_overflow  unbounded recursion into the guard page
 *
 * The tender must stop the hypercall cases with a "guest fault" message
 * and exit status 1; the memory cases must end in the guest's page-fault
 * report (status 255).  Getting past the bad action prints "NOT STOPPED"
 * and exits 1 with a different message, so a test cannot mistake it.
 */
#include "../apps/app.h"
#include "../../../platform/hvt/hvt_abi.h"

TB_MANIFEST(2, TB_MFT_BLOCK("storage"), TB_MFT_NET("service0"));

static void outl(unsigned nr, uint32_t gpa)
{
    __asm__ __volatile__("outl %0, %w1"
                         :
                         : "a"(gpa), "Nd"((uint16_t)(HVT_PIO_BASE + nr))
                         : "memory");
}

static uint8_t data_buf[64] __attribute__((aligned(16)));

/* Recurses until (limit), which the caller makes unreachable: the stack
 * (64 KiB) meets its guard page long before. */
static __attribute__((noinline)) uint64_t recurse(uint64_t n, uint64_t limit)
{
    volatile uint8_t pad[64];

    pad[0] = (uint8_t)n;
    if (n >= limit)
        return pad[0];
    return recurse(n + 1, limit) + pad[0];
}

int tb_app_main(const struct tb_start_info *si)
{
    const struct hvt_boot_info *bi =
        (const struct hvt_boot_info *)(uintptr_t)HVT_BOOT_INFO_BASE;
    uint64_t top = bi->mem_size;
    const char *c = si->cmdline;
    static struct hvt_hc_console con;
    static struct hvt_hc_block blk;
    static struct hvt_hc_net net;
    static uint64_t raw[4];

    say("badcall: %s (guest memory 0x%llx)\n", c, (unsigned long long)top);
    if (arg_has(c, "console_oob")) {
        con = (struct hvt_hc_console){top - 16, 64};
        outl(HVT_HC_CONSOLE, (uint32_t)(uintptr_t)&con);
    } else if (arg_has(c, "console_wrap")) {
        con = (struct hvt_hc_console){0xfffffffffffffff0ull, 0x20};
        outl(HVT_HC_CONSOLE, (uint32_t)(uintptr_t)&con);
    } else if (arg_has(c, "console_low")) {
        con = (struct hvt_hc_console){HVT_PML4_BASE, 64};
        outl(HVT_HC_CONSOLE, (uint32_t)(uintptr_t)&con);
    } else if (arg_has(c, "arg_oob")) {
        outl(HVT_HC_CONSOLE, (uint32_t)(top + 0x1000));
    } else if (arg_has(c, "arg_unaligned")) {
        outl(HVT_HC_EXIT, (uint32_t)(uintptr_t)raw + 4);
    } else if (arg_has(c, "block_oob")) {
        tb_handle_t h;
        struct tb_block_info info;
        if (tb_block_acquire("storage", &h, &info) != TB_OK)
            say("FAILURE: no block device\n");
        blk = (struct hvt_hc_block){h, 0, top - 512, 1024, 0};
        outl(HVT_HC_BLOCK_READ, (uint32_t)(uintptr_t)&blk);
    } else if (arg_has(c, "frames_oob")) {
        tb_handle_t h;
        struct tb_net_info info;
        if (tb_net_acquire("service0", &h, &info) != TB_OK)
            say("FAILURE: no net device\n");
        net = (struct hvt_hc_net){h, top - 24, 4, 0};
        outl(HVT_HC_NET_WRITE, (uint32_t)(uintptr_t)&net);
    } else if (arg_has(c, "bad_port")) {
        outl(HVT_HC_MAX + 7, (uint32_t)(uintptr_t)&con);
    } else if (arg_has(c, "write_text")) {
        *(volatile uint8_t *)(uintptr_t)&tb_app_main = 0xcc;
    } else if (arg_has(c, "exec_data")) {
        data_buf[0] = 0xc3; /* ret */
        ((void (*)(void))(uintptr_t)data_buf)();
    } else if (arg_has(c, "write_bootinfo")) {
        *(volatile uint64_t *)(uintptr_t)HVT_BOOT_INFO_BASE = 0;
    } else if (arg_has(c, "stack_overflow")) {
        say("depth %llu\n", (unsigned long long)recurse(0, top));
    } else {
        say("FAILURE: unknown case\n");
        return 2;
    }
    say("NOT STOPPED: %s returned\n", c);
    return 1;
}
