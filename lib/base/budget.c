/*
 * budget.c -- a counting allocator (base.h's struct tb_budget): wraps
 * another struct tb_alloc, keeps the bytes handed out and refuses what
 * would pass a limit.  tibra-dnsd loads a zone through one, so that a
 * reload of a huge or hostile zone file stops when it has cost
 * zone-memory, instead of taking the process's memory with it (the
 * file's text, the parsed records, the checks' tables and the compiled
 * result all count).  No locking: one budget per load, one thread.
 */
#include <tibra/base.h>

bool tb_budget_charge(struct tb_budget *b, size_t n)
{
    if (b->limit != 0 && (n > b->limit || b->used > b->limit - n)) {
        b->over = true;
        return false;
    }
    b->used += n;
    if (b->used > b->peak)
        b->peak = b->used;
    return true;
}

void tb_budget_uncharge(struct tb_budget *b, size_t n)
{
    b->used = ALWAYS(n <= b->used) ? b->used - n : 0;
}

static void *budget_alloc(void *ctx, size_t n)
{
    struct tb_budget *b = ctx;
    void *p;

    if (!tb_budget_charge(b, n))
        return NULL;
    if ((p = tb_alloc(b->under, n)) == NULL)
        tb_budget_uncharge(b, n);
    return p;
}

static void *budget_realloc(void *ctx, void *p, size_t o, size_t n)
{
    struct tb_budget *b = ctx;
    void *q;

    if (n > o && !tb_budget_charge(b, n - o))
        return NULL;
    q = tb_realloc(b->under, p, o, n);
    if (q == NULL && n > o)
        tb_budget_uncharge(b, n - o);
    else if (q != NULL && n < o)
        tb_budget_uncharge(b, o - n);
    return q;
}

static void budget_free(void *ctx, void *p, size_t n)
{
    struct tb_budget *b = ctx;

    if (p == NULL)
        return;
    tb_free(b->under, p, n);
    tb_budget_uncharge(b, n);
}

void tb_budget_init(struct tb_budget *b, const struct tb_alloc *under,
                    size_t limit)
{
    b->a.alloc = budget_alloc;
    b->a.realloc = budget_realloc;
    b->a.free = budget_free;
    b->a.ctx = b;
    b->under = under;
    b->limit = limit;
    b->used = b->peak = 0;
    b->over = false;
}
