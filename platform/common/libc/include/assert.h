/* assert.h -- the guest libc subset; failures go to tb_assert_fail(). */
#ifndef TB_LIBC_ASSERT_H
#define TB_LIBC_ASSERT_H
void tb_assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));
#ifdef NDEBUG
#define assert(x) ((void)0)
#else
#define assert(x) ((x) ? (void)0 : tb_assert_fail(#x, __FILE__, __LINE__))
#endif
#define static_assert _Static_assert
#endif
