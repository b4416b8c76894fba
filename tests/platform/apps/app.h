/*
 * app.h -- helpers shared by the platform test applications.  They use
 * only <tibra/plat.h> and the guest libc subset (snprintf, string
 * functions), so every app builds for unix, spt, hvt and the stub link
 * test alike.  Each app prints "SUCCESS" as its last line when all its
 * checks pass and returns 0; any failed check prints "FAILURE: why" and
 * returns 1.  The test scripts (tests/platform/NAME.sh) require both the exit
 * status and the marker, as Solo5's tests.bats does.
 */
#ifndef TB_TEST_APP_H
#define TB_TEST_APP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tibra/plat.h>

static inline void say(const char *fmt, ...) TB_PRINTF(1, 2);
static inline void say(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    tb_console_write(line, (size_t)n);
}

/* Names the TB_E* codes the platform calls return (no lib/ needed). */
static inline const char *app_strerror(int err)
{
    switch (err) {
    case TB_OK:
        return "ok";
    case TB_ENOENT:
        return "TB_ENOENT";
    case TB_EIO:
        return "TB_EIO";
    case TB_EBADF:
        return "TB_EBADF";
    case TB_EAGAIN:
        return "TB_EAGAIN";
    case TB_EEXIST:
        return "TB_EEXIST";
    case TB_EINVAL:
        return "TB_EINVAL";
    default:
        return "other error";
    }
}

/* Failed checks are counted; check_end() turns the count into a verdict. */
static int app_failures;

#define APP_CHECK(cond, ...)                                                   \
    do {                                                                       \
        if (!(cond)) {                                                         \
            app_failures++;                                                    \
            say("FAILURE: %s (line %d): ", #cond, __LINE__);                   \
            say(__VA_ARGS__);                                                  \
            say("\n");                                                         \
        }                                                                      \
    } while (0)

static inline int check_end(void)
{
    if (app_failures == 0) {
        say("SUCCESS\n");
        return 0;
    }
    say("FAILURE: %d check(s) failed\n", app_failures);
    return 1;
}

/*
 * Returns the unsigned value of "key=N" in (cmdline), or (dflt) if the key
 * is absent or not a decimal number.
 */
static inline uint64_t arg_u64(const char *cmdline, const char *key,
                               uint64_t dflt)
{
    size_t kl = strlen(key);

    for (const char *s = cmdline; *s;) {
        while (*s == ' ')
            s++;
        if (strncmp(s, key, kl) == 0 && s[kl] == '=') {
            uint64_t v = 0;
            const char *p = s + kl + 1;
            if (*p < '0' || *p > '9')
                return dflt;
            for (; *p >= '0' && *p <= '9'; p++)
                v = v * 10 + (uint64_t)(*p - '0');
            return v;
        }
        while (*s && *s != ' ')
            s++;
    }
    return dflt;
}

/* True if word (w) appears in (cmdline). */
static inline bool arg_has(const char *cmdline, const char *w)
{
    size_t wl = strlen(w);

    for (const char *s = cmdline; *s;) {
        while (*s == ' ')
            s++;
        if (strncmp(s, w, wl) == 0 && (s[wl] == ' ' || s[wl] == '\0'))
            return true;
        while (*s && *s != ' ')
            s++;
    }
    return false;
}

#endif /* TB_TEST_APP_H */
