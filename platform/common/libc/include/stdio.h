/* stdio.h -- the guest libc subset: formatting into buffers only. */
#ifndef TB_LIBC_STDIO_H
#define TB_LIBC_STDIO_H
#include <stdarg.h>
#include <stddef.h>
int snprintf(char *restrict buf, size_t n, const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buf, size_t n, const char *restrict fmt,
              va_list ap) __attribute__((format(printf, 3, 0)));
#endif
