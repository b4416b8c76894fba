/*
 * test_pool.c -- the region allocator (lib/base/pool.c): random
 * allocations, reallocations and frees with every block's contents
 * checked and the tags and free list walked after each step; freeing
 * everything gives the whole region back as one block.
 */
#include "check.h"
#include <tibra/pool.h>

#define N 200

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static void test_random(void)
{
    static uint8_t mem[1 << 20];
    struct tb_pool p;
    uint8_t *ptr[N] = {0};
    size_t len[N] = {0};
    size_t whole;
    unsigned fails = 0;

    REQUIRE(tb_pool_init(&p, mem + 3, sizeof(mem) - 3) == 0);
    whole = tb_pool_largest(&p);
    CHECK(whole > sizeof(mem) - 64);
    for (int step = 0; step < 20000; step++) {
        unsigned i = rnd() % N;
        size_t n = (rnd() % 4 == 0) ? rnd() % 40000 : rnd() % 200;
        if (ptr[i] == NULL) {
            ptr[i] = tb_alloc(&p.a, n);
            if (ptr[i] == NULL) {
                fails++;
                continue;
            }
            CHECK(((uintptr_t)ptr[i] & 15) == 0);
            len[i] = n;
            memset(ptr[i], (int)i, n);
        } else if (rnd() % 2) {
            uint8_t *q = tb_realloc(&p.a, ptr[i], len[i], n);
            if (q == NULL) {
                fails++;
                continue;
            }
            for (size_t k = 0; k < TB_MIN(n, len[i]); k++)
                if (q[k] != (uint8_t)i) {
                    CHECK(q[k] == (uint8_t)i);
                    break;
                }
            ptr[i] = q;
            len[i] = n;
            memset(ptr[i], (int)i, n);
        } else {
            for (size_t k = 0; k < len[i]; k++)
                if (ptr[i][k] != (uint8_t)i) {
                    CHECK(ptr[i][k] == (uint8_t)i);
                    break;
                }
            tb_free(&p.a, ptr[i], len[i]);
            ptr[i] = NULL;
        }
        if (step % 50 == 0)
            CHECK_EQ(tb_pool_check(&p), 0);
    }
    CHECK_EQ(tb_pool_check(&p), 0);
    for (unsigned i = 0; i < N; i++)
        tb_free(&p.a, ptr[i], len[i]);
    CHECK_EQ(tb_pool_check(&p), 0);
    CHECK_EQ(p.used, 0);
    CHECK_EQ(tb_pool_largest(&p), whole);
    CHECK(fails > 0); /* the region did fill up at times */
    CHECK(tb_alloc(&p.a, sizeof(mem)) == NULL);
}

int main(void)
{
    RUN(test_random);
    return check_done();
}
