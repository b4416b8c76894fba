/*
 * heap.c -- the init-time allocator: a bump pointer over the guest memory
 * left after the image, used while a platform boots and then retired.
 * What remains is handed to the application whole (tb_start_info.heap_*),
 * which by the plat.h contract the platform never touches again; so
 * nothing here may be called after tb_app_main() starts.
 */
#include "rt.h"

#define PAGE 4096u

void tb_heap_init(struct tb_heap *hp, uintptr_t start, size_t size)
{
    hp->cur = start;
    if (tb_ckd_add(&hp->end, start, size))
        hp->end = UINTPTR_MAX;
}

void *tb_heap_take(struct tb_heap *hp, size_t n, size_t align)
{
    uintptr_t p, e;

    if (align == 0 || (align & (align - 1)) != 0)
        return NULL;
    if (tb_ckd_add(&p, hp->cur, align - 1))
        return NULL;
    p &= ~(uintptr_t)(align - 1);
    if (tb_ckd_add(&e, p, n) || e > hp->end)
        return NULL;
    hp->cur = e;
    memset((void *)p, 0, n);
    return (void *)p;
}

void tb_heap_rest(const struct tb_heap *hp, uintptr_t *start, size_t *size)
{
    uintptr_t s = hp->cur, e = hp->end & ~(uintptr_t)(PAGE - 1);

    if (tb_ckd_add(&s, s, PAGE - 1))
        s = e;
    s &= ~(uintptr_t)(PAGE - 1);
    *start = s;
    *size = s < e ? (size_t)(e - s) : 0;
}

static void *heap_alloc(void *ctx, size_t size)
{
    return tb_heap_take(ctx, size, 16);
}

static void *heap_realloc(void *ctx, void *p, size_t old, size_t size)
{
    void *q;

    if (size <= old && p != NULL)
        return p;
    q = tb_heap_take(ctx, size, 16);
    if (q != NULL && p != NULL)
        memcpy(q, p, old);
    return q;
}

static void heap_free(void *ctx, void *p, size_t size)
{
    (void)ctx;
    (void)p;
    (void)size;
}

void tb_heap_alloc_ctx(struct tb_heap *hp, struct tb_alloc *a)
{
    a->alloc = heap_alloc;
    a->realloc = heap_realloc;
    a->free = heap_free;
    a->ctx = hp;
}
