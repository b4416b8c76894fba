/* string.h -- the guest libc subset (platform/common/libc).  lib/ may use
 * exactly these; implementations are in platform/common/libc/string.c. */
#ifndef TB_LIBC_STRING_H
#define TB_LIBC_STRING_H
#include <stddef.h>
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t n);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
int strcasecmp(const char *a, const char *b);
int strncasecmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
/* glibc's checked copies, for glibc-built objects guests link (BearSSL):
 * stop the guest when (n) exceeds the destination's size (dlen). */
void *__memcpy_chk(void *restrict d, const void *restrict s, size_t n,
                   size_t dlen);
void *__memmove_chk(void *d, const void *s, size_t n, size_t dlen);
void *__memset_chk(void *d, int c, size_t n, size_t dlen);

/*
 * Guests are built -ffreestanding, which implies -fno-builtin: without
 * these, every small fixed-size copy (a 4-byte load in the zone reader, a
 * hash word) is a call to the loop in libc_string.c.  The builtins expand
 * what is small and constant inline and call the functions otherwise.
 * libc_string.c, which defines the functions, sets TB_LIBC_IMPL.
 */
#ifndef TB_LIBC_IMPL
#define memcpy(d, s, n)  __builtin_memcpy((d), (s), (n))
#define memmove(d, s, n) __builtin_memmove((d), (s), (n))
#define memset(d, c, n)  __builtin_memset((d), (c), (n))
#define memcmp(a, b, n)  __builtin_memcmp((a), (b), (n))
#endif
#endif
