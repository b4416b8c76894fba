/*
 * pool.h -- a general allocator over one region of memory, for programs
 * without a C library heap (the unikernel guests): what a secondary
 * zone's transfers, compiles and journal replays allocate and free again
 * and again after boot, when the boot-time bump allocator is retired.
 *
 * First fit over one free list, blocks with boundary tags (16-byte
 * header: this block's size and use, the previous block's size), freed
 * blocks merged with free neighbours at once.  O(free blocks) per
 * allocation: cold paths only (a transfer allocates per record batch,
 * not per query).  Not thread-safe.
 */
#ifndef TB_POOL_H
#define TB_POOL_H
#include <tibra/base.h>

struct tb_pool {
    struct tb_alloc a; /* pass &pool->a down; ctx is the pool */
    uint8_t *base, *end;
    void *free_head; /* private */
    size_t used; /* bytes handed out, headers included */
    size_t peak;
};

/*
 * Sets (p) up over (mem, size) (the memory stays the caller's; at least
 * 64 bytes).  Returns 0 or TB_EINVAL.
 */
TB_API int tb_pool_init(struct tb_pool *p, void *mem, size_t size);

/* Bytes in the largest block an allocation could get now. */
TB_API size_t tb_pool_largest(const struct tb_pool *p);

/*
 * Walks every block and checks the tags and the free list (tests): 0,
 * or TB_EMALF when something is inconsistent.
 */
TB_API int tb_pool_check(const struct tb_pool *p);

#endif /* TB_POOL_H */
