/*
 * stop.c -- plat.h's tb_stop_requested(): prints READY and waits in
 * tb_yield() with a deadline a minute away until the platform is asked to
 * stop (tests/platform/stop.sh sends SIGTERM to the process or tender).
 * Checks that the request is not seen before it is made, that it ended
 * the wait long before its deadline, and that every later tb_yield()
 * returns at once; then prints SUCCESS.  Argument "ignore" keeps yielding
 * after the request and "spin" stops yielding (a busy loop): the platform
 * must end either after TB_STOP_GRACE_MS.
 */
#include "app.h"

TB_MANIFEST(0);

#define MS 1000000ull

int tb_app_main(const struct tb_start_info *si)
{
    tb_time_t deadline, now;
    tb_handle_set_t ready;
    int waits = 0;

    APP_CHECK(!tb_stop_requested(), "a stop request before any was made");
    say("READY\n");
    deadline = tb_clock_monotonic() + 60000 * MS;
    while (!tb_stop_requested() && waits < 100000) {
        tb_yield(deadline, &ready);
        waits++;
    }
    now = tb_clock_monotonic();
    APP_CHECK(tb_stop_requested(), "no stop request after %d waits", waits);
    APP_CHECK(now < deadline - 50000 * MS, "the request did not end the wait");
    say("stop requested (%d waits)\n", waits);
    if (arg_has(si->cmdline, "ignore"))
        for (;;)
            tb_yield(tb_clock_monotonic() + 1000 * MS, &ready);
    if (arg_has(si->cmdline, "spin"))
        for (volatile unsigned long i = 0;; i++)
            ;
    for (int i = 0; i < 3; i++) {
        tb_time_t t = tb_clock_monotonic();
        tb_yield(t + 10000 * MS, &ready);
        APP_CHECK(tb_clock_monotonic() - t < 1000 * MS,
                  "a yield after the request waited");
    }
    return check_end();
}
