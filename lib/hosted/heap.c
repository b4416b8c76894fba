/*
 * heap.c -- the C library's heap as a struct tb_alloc (see hosted.h), the
 * one allocator context hosted programs pass to lib/ cold paths.
 */
#include <stdlib.h>
#include <tibra/hosted.h>

static void *heap_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n ? n : 1);
}

static void *heap_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    (void)o;
    return realloc(p, n ? n : 1);
}

static void heap_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    (void)n;
    free(p);
}

const struct tb_alloc tb_heap = {heap_alloc, heap_realloc, heap_free, NULL};
