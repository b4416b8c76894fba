/*
 * time.c -- clocks and yield for an hvt guest.  Monotonic time is the
 * TSC scaled by the frequency the tender read from KVM (KVM_GET_TSC_KHZ):
 * ns = tsc * mult >> 32 with a 64x64->128 multiply, exact to well under a
 * part per million.  Wall time is the tender's CLOCK_REALTIME sample plus
 * the TSC ticks since it was taken.  tb_yield() is one hypercall: the
 * tender polls the net devices until the deadline.
 */
#include "hvt.h"

static uint64_t mult; /* ns per tick, 32.32 fixed point */

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    /* lfence: the read is not hoisted above earlier loads. */
    __asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return (uint64_t)hi << 32 | lo;
}

static inline uint64_t ticks_to_ns(uint64_t t)
{
    return (uint64_t)(((unsigned __int128)t * mult) >> 32);
}

void hvt_time_init(void)
{
    /* 1e9 << 32 < 2^62: fits; tsc_hz >= 1 kHz from the tender. */
    mult = (1000000000ull << 32) / (hvt_bi->tsc_hz ? hvt_bi->tsc_hz : 1);
}

tb_time_t tb_clock_monotonic(void)
{
    return ticks_to_ns(rdtsc());
}

tb_time_t tb_clock_wall(void)
{
    uint64_t t = rdtsc();

    return hvt_bi->wall_ns +
           (t > hvt_bi->wall_tsc ? ticks_to_ns(t - hvt_bi->wall_tsc) : 0);
}

void tb_yield(tb_time_t deadline, tb_handle_set_t *ready)
{
    tb_time_t now = tb_clock_monotonic();
    struct hvt_hc_yield a = {deadline > now ? deadline - now : 0, 0};

    hvt_hypercall(HVT_HC_YIELD, &a);
    *ready = a.ready;
}
