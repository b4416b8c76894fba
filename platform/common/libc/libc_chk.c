/*
 * libc_chk.c -- glibc's checked copies (_FORTIFY_SOURCE), for objects
 * built against glibc that guests link: Debian's libbearssl.a (TSIG's
 * HMACs, NSEC3's SHA-1; docs/DESIGN.md "tsig") calls __memcpy_chk,
 * __memset_chk and __memmove_chk.  Each checks the length against the
 * destination's size the compiler knew (dlen) and stops the guest, as
 * glibc's __chk_fail does, when it would overflow; else it is the guest's
 * memcpy/memset/memmove.  Guests only (the unix target has glibc's).
 */
#define TB_LIBC_IMPL 1
#include <string.h>

#include "../rt.h"

__attribute__((noreturn)) static void chk_fail(void)
{
    tb_log("tibra: buffer overflow detected\n");
    tb_abort();
}

void *__memcpy_chk(void *restrict d, const void *restrict s, size_t n,
                   size_t dlen)
{
    if (n > dlen)
        chk_fail();
    return memcpy(d, s, n);
}

void *__memmove_chk(void *d, const void *s, size_t n, size_t dlen)
{
    if (n > dlen)
        chk_fail();
    return memmove(d, s, n);
}

void *__memset_chk(void *d, int c, size_t n, size_t dlen)
{
    if (n > dlen)
        chk_fail();
    return memset(d, c, n);
}
