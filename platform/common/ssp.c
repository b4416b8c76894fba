/*
 * ssp.c -- the stack protector's failure path, and for guests its canary.
 * Code is compiled with -fstack-protector-strong; guests also use
 * -mstack-protector-guard=global on x86_64 (mk/platform.mk), so the canary
 * is the global __stack_chk_guard rather than %fs:0x28, which a guest has
 * not set up.  The unix target keeps the C library's canary but routes a
 * failure here too, so the message and exit status (255) match the guests.
 */
#include "rt.h"

#ifdef TB_GUEST
/* Non-zero before tb_ssp_init() so that early frames are still checked. */
uintptr_t __stack_chk_guard = (uintptr_t)0x595e9fbd94fda700ull;

void tb_ssp_init(uint64_t seed)
{
    /* A zero low byte stops C-string overflows from forging the canary. */
    __stack_chk_guard = (uintptr_t)(seed & ~(uint64_t)0xff);
    if (__stack_chk_guard == 0)
        __stack_chk_guard = (uintptr_t)0x595e9fbd94fda700ull;
}
#endif

void __stack_chk_fail(void) __attribute__((noreturn, used));
void __stack_chk_fail(void)
{
    tb_log("tibra: stack smashing detected\n");
    tb_abort();
}
