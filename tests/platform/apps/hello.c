/*
 * hello.c -- the smallest Tibra application: prints a greeting and its
 * command line, touches both ends of its heap, and exits 0 with SUCCESS.
 * Its image is the one bench/boot times against /bin/true, so it stays
 * tiny: one snprintf-free path for the greeting.
 */
#include "app.h"

TB_MANIFEST(0); /* no devices; the manifest still carries the ABI */

int tb_app_main(const struct tb_start_info *si)
{
    static const char hello[] = "Hello, Tibra\n";

    tb_console_write(hello, sizeof(hello) - 1);
    say("cmdline: '%s'\n", si->cmdline);
    APP_CHECK(si->heap_size >= 4096, "heap is %zu bytes", si->heap_size);
    if (si->heap_size >= 4096) {
        volatile uint8_t *lo = (uint8_t *)si->heap_start;
        volatile uint8_t *hi = lo + si->heap_size - 1;
        *lo = 0xa5;
        *hi = 0x5a;
        APP_CHECK(*lo == 0xa5 && *hi == 0x5a, "heap not writable");
    }
    return check_end();
}
