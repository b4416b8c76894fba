/*
 * count_alloc.h -- the counting allocator fuzz targets hand the code they
 * drive: malloc/realloc/free with (live), the bytes outstanding, so a
 * target can require it back at zero after each input (no leak, and every
 * free given the size that was allocated).
 */
#ifndef FUZZ_COUNT_ALLOC_H
#define FUZZ_COUNT_ALLOC_H

#include <stdlib.h>

static size_t live;

static void *f_alloc(void *ctx, size_t n)
{
    (void)ctx;
    live += n;
    return malloc(n ? n : 1);
}
static void *f_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    void *q = realloc(p, n ? n : 1);
    if (q != NULL)
        live = live - o + n;
    return q;
}
static void f_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (p != NULL)
        live -= n;
    free(p);
}

#endif /* FUZZ_COUNT_ALLOC_H */
