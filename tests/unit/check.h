/*
 * check.h -- the unit-test harness: no framework, just macros.  A test file
 * defines static void functions and lists them in main() with RUN(fn).
 * CHECK(cond) records a failure with file:line and goes on; REQUIRE(cond)
 * also returns from the current test function.  main() ends with
 * `return check_done();`, which prints "N checks, N failed" and returns the
 * exit status the runner expects (0 pass, 1 fail).
 */
#ifndef TB_TEST_CHECK_H
#define TB_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_total, check_failed;
static const char *check_current = "";

#define CHECK(cond)                                                            \
    do {                                                                       \
        check_total++;                                                         \
        if (!(cond)) {                                                         \
            check_failed++;                                                    \
            fprintf(stderr, "%s:%d: %s: CHECK(%s) failed\n", __FILE__,         \
                    __LINE__, check_current, #cond);                           \
        }                                                                      \
    } while (0)

#define REQUIRE(cond)                                                          \
    do {                                                                       \
        check_total++;                                                         \
        if (!(cond)) {                                                         \
            check_failed++;                                                    \
            fprintf(stderr, "%s:%d: %s: REQUIRE(%s) failed\n", __FILE__,       \
                    __LINE__, check_current, #cond);                           \
            return;                                                            \
        }                                                                      \
    } while (0)

/* Compare integers and print both values on failure. */
#define CHECK_EQ(a, b)                                                         \
    do {                                                                       \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);        \
        check_total++;                                                         \
        if (check_a_ != check_b_) {                                            \
            check_failed++;                                                    \
            fprintf(stderr, "%s:%d: %s: CHECK_EQ(%s, %s): %lld != %lld\n",     \
                    __FILE__, __LINE__, check_current, #a, #b, check_a_,       \
                    check_b_);                                                 \
        }                                                                      \
    } while (0)

#define CHECK_MEM(a, b, n)                                                     \
    do {                                                                       \
        check_total++;                                                         \
        if (memcmp((a), (b), (n)) != 0) {                                      \
            check_failed++;                                                    \
            fprintf(stderr, "%s:%d: %s: CHECK_MEM(%s, %s) differ\n", __FILE__, \
                    __LINE__, check_current, #a, #b);                          \
        }                                                                      \
    } while (0)

#define CHECK_STR(a, b)                                                        \
    do {                                                                       \
        const char *check_sa_ = (a), *check_sb_ = (b);                         \
        check_total++;                                                         \
        if (strcmp(check_sa_, check_sb_) != 0) {                               \
            check_failed++;                                                    \
            fprintf(stderr, "%s:%d: %s: CHECK_STR: \"%s\" != \"%s\"\n",        \
                    __FILE__, __LINE__, check_current, check_sa_, check_sb_);  \
        }                                                                      \
    } while (0)

#define RUN(fn)                                                                \
    do {                                                                       \
        int check_before_ = check_failed;                                      \
        check_current = #fn;                                                   \
        fn();                                                                  \
        printf("%s %s\n", check_failed == check_before_ ? "ok" : "not ok",     \
               #fn);                                                           \
    } while (0)

static inline int check_done(void)
{
    printf("%d checks, %d failed\n", check_total, check_failed);
    return check_failed ? 1 : 0;
}

#endif /* TB_TEST_CHECK_H */
