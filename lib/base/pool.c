/*
 * pool.c -- a first-fit allocator with boundary tags over one region
 * (pool.h).
 *
 *   block:  size_t size | USED    (this block, header included, 16-aligned)
 *           size_t prev           (the previous block's size; 0: first)
 *           payload               (free: next, prev free-list pointers)
 */
#include <string.h>
#include <tibra/pool.h>

#define HDR   16u
#define MIN   32u
#define USED  ((size_t)1)
#define SZ(h) ((h)->size & ~USED)

struct blk {
    size_t size, prev;
    struct blk *fnext, *fprev; /* free blocks only */
};

static struct blk *next_of(const struct tb_pool *p, struct blk *b)
{
    uint8_t *n = (uint8_t *)b + SZ(b);
    return n < p->end ? (struct blk *)(void *)n : NULL;
}

static struct blk *prev_of(struct blk *b)
{
    return b->prev ? (struct blk *)(void *)((uint8_t *)b - b->prev) : NULL;
}

static void unlink_free(struct tb_pool *p, struct blk *b)
{
    if (b->fprev != NULL)
        b->fprev->fnext = b->fnext;
    else
        p->free_head = b->fnext;
    if (b->fnext != NULL)
        b->fnext->fprev = b->fprev;
}

static void push_free(struct tb_pool *p, struct blk *b)
{
    b->size &= ~USED;
    b->fprev = NULL;
    b->fnext = p->free_head;
    if (b->fnext != NULL)
        b->fnext->fprev = b;
    p->free_head = b;
}

static void set_prev_of_next(struct tb_pool *p, struct blk *b)
{
    struct blk *n = next_of(p, b);
    if (n != NULL)
        n->prev = SZ(b);
}

static size_t need_of(size_t n)
{
    if (n > SIZE_MAX - HDR - 15)
        return 0;
    n = (n + HDR + 15) & ~(size_t)15;
    return n < MIN ? MIN : n;
}

static void *pool_alloc(void *ctx, size_t n)
{
    struct tb_pool *p = ctx;
    size_t need = need_of(n);

    if (need == 0)
        return NULL;
    for (struct blk *b = p->free_head; b != NULL; b = b->fnext) {
        size_t sz = SZ(b);
        if (sz < need)
            continue;
        unlink_free(p, b);
        if (sz - need >= MIN) { /* split: the rest stays free */
            struct blk *r = (struct blk *)(void *)((uint8_t *)b + need);
            r->size = sz - need;
            r->prev = need;
            set_prev_of_next(p, r);
            push_free(p, r);
            sz = need;
        }
        b->size = sz | USED;
        p->used += sz;
        if (p->used > p->peak)
            p->peak = p->used;
        return (uint8_t *)b + HDR;
    }
    return NULL;
}

static void pool_free(void *ctx, void *ptr, size_t n)
{
    struct tb_pool *p = ctx;
    struct blk *b, *x;

    (void)n;
    if (ptr == NULL)
        return;
    b = (struct blk *)(void *)((uint8_t *)ptr - HDR);
    p->used -= SZ(b);
    b->size &= ~USED;
    if ((x = next_of(p, b)) != NULL && !(x->size & USED)) {
        unlink_free(p, x);
        b->size += SZ(x);
    }
    if ((x = prev_of(b)) != NULL && !(x->size & USED)) {
        unlink_free(p, x);
        x->size += SZ(b);
        b = x;
    }
    set_prev_of_next(p, b);
    push_free(p, b);
}

static void *pool_realloc(void *ctx, void *ptr, size_t o, size_t n)
{
    struct tb_pool *p = ctx;
    struct blk *b, *x;
    size_t need = need_of(n);
    void *q;

    if (ptr == NULL)
        return pool_alloc(ctx, n);
    if (need == 0)
        return NULL;
    b = (struct blk *)(void *)((uint8_t *)ptr - HDR);
    if (SZ(b) >= need)
        return ptr;
    /* grow into a free next block */
    if ((x = next_of(p, b)) != NULL && !(x->size & USED) &&
        SZ(b) + SZ(x) >= need) {
        size_t sz = SZ(b) + SZ(x);
        unlink_free(p, x);
        p->used -= SZ(b);
        if (sz - need >= MIN) {
            struct blk *r = (struct blk *)(void *)((uint8_t *)b + need);
            r->size = sz - need;
            r->prev = need;
            set_prev_of_next(p, r);
            push_free(p, r);
            sz = need;
        }
        b->size = sz | USED;
        set_prev_of_next(p, b);
        p->used += sz;
        if (p->used > p->peak)
            p->peak = p->used;
        return ptr;
    }
    if ((q = pool_alloc(ctx, n)) == NULL)
        return NULL;
    memcpy(q, ptr, TB_MIN(o, SZ(b) - HDR));
    pool_free(ctx, ptr, o);
    return q;
}

int tb_pool_init(struct tb_pool *p, void *mem, size_t size)
{
    uintptr_t s = ((uintptr_t)mem + 15) & ~(uintptr_t)15;
    struct blk *b;

    memset(p, 0, sizeof(*p));
    if (mem == NULL || size < 64 + 15 || s - (uintptr_t)mem > size - 64)
        return TB_EINVAL;
    size = (size - (size_t)(s - (uintptr_t)mem)) & ~(size_t)15;
    p->base = (uint8_t *)s;
    p->end = p->base + size;
    p->a = (struct tb_alloc){pool_alloc, pool_realloc, pool_free, p};
    b = (struct blk *)(void *)p->base;
    b->size = size;
    b->prev = 0;
    push_free(p, b);
    return 0;
}

size_t tb_pool_largest(const struct tb_pool *p)
{
    size_t m = 0;

    for (struct blk *b = p->free_head; b != NULL; b = b->fnext)
        if (SZ(b) > m)
            m = SZ(b);
    return m > HDR ? m - HDR : 0;
}

int tb_pool_check(const struct tb_pool *p)
{
    size_t prev = 0, nfree = 0, used = 0;
    bool prev_free = false;

    for (uint8_t *q = p->base; q < p->end;) {
        struct blk *b = (struct blk *)(void *)q;
        size_t sz = SZ(b);
        if (sz < MIN || sz % 16 != 0 || sz > (size_t)(p->end - q) ||
            b->prev != prev)
            return TB_EMALF;
        if (!(b->size & USED)) {
            if (prev_free) /* two free neighbours: not merged */
                return TB_EMALF;
            nfree++;
        } else {
            used += sz;
        }
        prev_free = !(b->size & USED);
        prev = sz;
        q += sz;
    }
    if (used != p->used)
        return TB_EMALF;
    for (struct blk *b = p->free_head; b != NULL; b = b->fnext) {
        if (b->size & USED || nfree == 0)
            return TB_EMALF;
        nfree--;
    }
    return nfree == 0 ? 0 : TB_EMALF;
}
