/*
 * res_stale.c -- the resolver's answers around expiry: serve-stale (RFC
 * 8767) when a resolution fails, and prefetch (as Unbound's) of popular
 * names before they expire.
 *
 *   task DONE with SERVFAIL -> res_stale_answer -> dns_cache_answer_stale:
 *       entries expired at most conf.serve_stale_s ago, TTL 30, EDE 3
 *   cache hit on an entry with < 10% of its TTL left -> res_prefetch_hit
 *       (queued) -> the driver's dns_res_prefetch_next -> a task with no
 *       client that asks upstream although the cache still answers
 *       (t->refresh) and fills the cache as any resolution does
 *   no root NS set cached (conf.prime) -> the same, for ". NS" (RFC 8109
 *       priming: the root's own NS set and glue replace the hints)
 *
 * Stale data is what the ring log still holds: expired entries are not
 * erased, only reclaimed when the room is needed (res_cache.c), so the
 * memory bound is untouched and stale answers are best effort.  A
 * validation failure (BOGUS, INDETERMINATE) is not an upstream failure
 * and is never papered over with stale data.  Not here: RFC 8767's
 * client response timer (answering stale while a slow resolution goes
 * on: a failing zone is answered at once anyway once its servers are
 * held down, res.c) and its failure recheck timer.
 */
#include "res_int.h"

#define PRIME_RETRY_NS (10 * 1000000000ull)

/*
 * The client query of (t) again, as dns_res_query parsed it: its ID,
 * flags, question (as written: from the response) and EDNS.  Returns
 * the length in (q), 0 if it cannot.
 */
static size_t client_query(const struct dns_res_task *t, uint8_t *q, size_t cap)
{
    size_t qn = dns_name_len(t->resp + DNS_HDR_LEN) + 4;
    size_t len = DNS_HDR_LEN + qn;

    if (len + DNS_RR_MIN_LEN > cap)
        return 0;
    memset(q, 0, DNS_HDR_LEN);
    tb_put16(q, t->cid);
    tb_put16(q + 2, t->cflags);
    tb_put16(q + 4, 1);
    memcpy(q + DNS_HDR_LEN, t->resp + DNS_HDR_LEN, qn);
    if (t->has_opt) { /* RFC 6891 6.1.2: the client's size, DO */
        tb_put16(q + 10, 1);
        q[len] = 0;
        tb_put16(q + len + 1, DNS_TYPE_OPT);
        tb_put16(q + len + 3, (uint16_t)TB_MIN(t->cap, 0xffffu));
        tb_put32(q + len + 5, t->edns_do);
        tb_put16(q + len + 9, 0);
        len += DNS_RR_MIN_LEN;
    }
    return len;
}

bool res_stale_answer(struct dns_res_task *t, uint64_t now)
{
    struct dns_res *r = t->r;
    uint8_t q[DNS_HDR_LEN + DNS_NAME_MAXLEN + 4 + DNS_RR_MIN_LEN];
    struct dns_query qu;
    size_t len, n;

    if (r->conf.serve_stale_s == 0 || t->background ||
        t->rcode != DNS_RCODE_SERVFAIL)
        return false;
    if (r->validating &&
        (t->sec == DNS_VAL_BOGUS || t->sec == DNS_VAL_INDETERMINATE))
        return false; /* not an upstream failure */
    len = client_query(t, q, sizeof(q));
    if (len == 0 || dns_query_parse(&qu, q, len) != 0)
        return false;
    /* Written aside first: SERVFAIL (a bogus entry) keeps the task's own. */
    n = dns_cache_answer_stale(r->cache, q, &qu, t->tcp, now,
                               r->conf.serve_stale_s, r->payload, RESP_MAX);
    if (n < DNS_HDR_LEN || (r->payload[3] & 0x0f) == DNS_RCODE_SERVFAIL)
        return false;
    memcpy(t->resp, r->payload, n);
    t->resp_len = n;
    r->st.stale++;
    return true;
}

void res_prefetch_hit(struct dns_res *r, const struct dns_query *qu)
{
    struct prefetch *p;

    for (unsigned i = 0; i < r->npf; i++)
        if (r->pf[i].qtype == qu->qtype &&
            dns_name_equal(r->pf[i].qname, qu->qname))
            return;
    if (r->npf == PREFETCH_QUEUE)
        return; /* full: a later hit asks again */
    p = &r->pf[r->npf++];
    memcpy(p->qname, qu->qname, qu->qname_len);
    dns_name_lower(p->qname);
    p->qtype = qu->qtype;
}

/* Whether a prefetch of (p) is running; counts the tasks in use. */
static bool running(const struct dns_res *r, const struct prefetch *p,
                    unsigned *used)
{
    bool found = false;

    *used = 0;
    for (unsigned i = 0; i < r->conf.max_tasks; i++) {
        const struct dns_res_task *t = &r->task[i];
        if (!t->used)
            continue;
        (*used)++;
        if (t->background && t->f[0].qtype == p->qtype &&
            dns_name_equal(t->f[0].qname, p->qname))
            found = true;
    }
    return found;
}

/* RFC 8109: priming is due when no answer for the root's NS set is
 * cached (nor asked for the last 10 s), unless "." is forwarded or a
 * stub zone. */
static bool prime_due(struct dns_res *r, uint64_t now)
{
    static const uint8_t root[1] = {0};
    struct dns_cache_view v;

    if (!r->conf.prime || now < r->prime_at)
        return false;
    for (size_t i = 0; i < r->conf.nfwd; i++)
        if (r->conf.fwd[i].zone[0] == 0)
            return false;
    r->prime_at = now + PRIME_RETRY_NS;
    return !dns_cache_get(r->cache, root, DNS_TYPE_NS, now, DNS_RANK_ANSWER,
                          &v);
}

struct dns_res_task *dns_res_prefetch_next(struct dns_res *r, uint64_t now)
{
    if (prime_due(r, now)) {
        struct prefetch p = {.qname = {0}, .qtype = DNS_TYPE_NS};
        unsigned used;
        if (running(r, &p, &used) ||
            (r->conf.max_tasks - used) * 2 < r->conf.max_tasks)
            r->prime_at = 0; /* later */
        else if (r->npf < PREFETCH_QUEUE) {
            r->pf[r->npf++] = p; /* started below, first */
            r->st.primes++;
        }
    }
    while (r->npf > 0) {
        struct prefetch p = r->pf[--r->npf];
        uint8_t q[DNS_HDR_LEN + DNS_NAME_MAXLEN + 4];
        size_t qn = dns_name_len(p.qname), len = DNS_HDR_LEN + qn + 4;
        struct dns_res_task *t;
        struct dns_query qu;
        unsigned used;

        if (running(r, &p, &used))
            continue;
        if ((r->conf.max_tasks - used) * 2 < r->conf.max_tasks) {
            r->npf = 0; /* busy: clients first; hits will ask again */
            return NULL;
        }
        memset(q, 0, DNS_HDR_LEN);
        tb_put16(q, (uint16_t)r->conf.random(r->conf.random_ctx));
        tb_put16(q + 2, DNS_FLAG_RD);
        tb_put16(q + 4, 1);
        memcpy(q + DNS_HDR_LEN, p.qname, qn);
        tb_put16(q + DNS_HDR_LEN + qn, p.qtype);
        tb_put16(q + DNS_HDR_LEN + qn + 2, DNS_CLASS_IN);
        if (dns_query_parse(&qu, q, len) != 0 || (t = res_task_get(r)) == NULL)
            continue;
        t->r = r;
        res_task_init(t, q, &qu, NULL, false);
        t->background = t->refresh = true;
        /* priming is counted in primes */
        r->st.prefetch += !(p.qname[0] == 0 && p.qtype == DNS_TYPE_NS);
        res_frame_start(t, &t->f[0], now);
        return t;
    }
    return NULL;
}

bool dns_res_task_background(const struct dns_res_task *t)
{
    return t->background;
}
