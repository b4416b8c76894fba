/*
 * clock.c -- clocks and tb_yield(): the monotonic clock never goes back
 * and advances; the wall clock is sane (after 2020, before 2100); a yield
 * with no devices returns no earlier than its deadline and soon after it
 * (within slack=MS, default 100 ms, generous for a loaded host); a
 * deadline in the past polls and returns at once.  It also checks
 * tb_entropy(): two 32-byte draws are not all zero and differ.
 */
#include "app.h"

TB_MANIFEST(0); /* no devices; the manifest still carries the ABI */

#define MS 1000000ull

int tb_app_main(const struct tb_start_info *si)
{
    uint64_t slack = arg_u64(si->cmdline, "slack", 100) * MS;
    tb_time_t t0 = tb_clock_monotonic(), prev = t0, wall;
    tb_handle_set_t ready = 1;
    int backwards = 0;

    for (int i = 0; i < 100000; i++) {
        tb_time_t t = tb_clock_monotonic();
        backwards += t < prev;
        prev = t;
    }
    APP_CHECK(backwards == 0, "monotonic went back %d times", backwards);
    wall = tb_clock_wall();
    /* 2020-01-01 and 2100-01-01 in seconds since the epoch. */
    APP_CHECK(wall / 1000000000u > 1577836800u &&
                  wall / 1000000000u < 4102444800u,
              "wall clock %llu s", (unsigned long long)(wall / 1000000000u));

    for (int i = 1; i <= 3; i++) {
        tb_time_t start = tb_clock_monotonic();
        tb_time_t deadline = start + (tb_time_t)i * 20 * MS, now;
        /* Spurious wakeups are allowed: yield until the deadline. */
        for (int n = 0; n < 1000; n++) {
            tb_yield(deadline, &ready);
            if (tb_clock_monotonic() >= deadline)
                break;
        }
        now = tb_clock_monotonic();
        APP_CHECK(ready == 0, "ready set %llx with no devices",
                  (unsigned long long)ready);
        APP_CHECK(now >= deadline, "woke %llu ns early",
                  (unsigned long long)(deadline - now));
        APP_CHECK(now < deadline + slack, "woke %llu us late",
                  (unsigned long long)((now - deadline) / 1000));
        say("yield %d ms: returned %llu us after the deadline\n", i * 20,
            (unsigned long long)((now - deadline) / 1000));
    }

    tb_time_t before = tb_clock_monotonic();
    tb_yield(before - 1, &ready);
    tb_time_t after = tb_clock_monotonic();
    APP_CHECK(after - before < slack, "past deadline took %llu us",
              (unsigned long long)((after - before) / 1000));
    APP_CHECK(after > t0, "monotonic did not advance");
    uint8_t e1[32], e2[32], any = 0;
    APP_CHECK(tb_entropy(e1, sizeof(e1)) == TB_OK, "entropy");
    APP_CHECK(tb_entropy(e2, sizeof(e2)) == TB_OK, "entropy");
    for (size_t i = 0; i < sizeof(e1); i++)
        any |= e1[i];
    APP_CHECK(any != 0 && memcmp(e1, e2, sizeof(e1)) != 0,
              "entropy is all zero or repeats");
    say("monotonic advanced %llu us, wall %llu s\n",
        (unsigned long long)((after - t0) / 1000),
        (unsigned long long)(wall / 1000000000u));
    return check_end();
}
