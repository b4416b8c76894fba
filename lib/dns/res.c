/*
 * res.c -- the iterative resolver (RFC 1034 5.3.3), sans I/O: a client
 * query is answered from the cache (res_cache.c) or becomes a task that
 * walks down from the closest known zone cut (or the root hints) by
 * asking one server at a time, and is fed the replies and timeouts by the
 * driver:
 *
 *   dns_res_query -> task -> dns_res_task_next -> SEND -> driver
 *                              ^                            |
 *                              +-- dns_res_task_input <-----+ (reply)
 *                              +-- dns_res_task_timeout <---+ (deadline)
 *
 * This file: tasks, server selection by smoothed RTT, the outbound query,
 * matching replies, client queries.  res_iter.c: frames and replies.
 * A task holds a small stack of frames: frame 0 resolves the client's
 * question (following CNAMEs across zones), deeper frames resolve the
 * addresses of glueless NS names for the frame below them.  Only one query
 * per task is outstanding at a time.
 *
 * Trust (RFC 5452, RFC 2181 5.4.1): a reply is taken only from the address
 * and port asked, over the transport asked, with the ID and question
 * asked.  From a reply of a server we asked for zone Z we take only
 * records under Z: the answer chain from the question name, a negative
 * answer whose SOA is under Z, or a referral to a cut strictly below Z
 * with glue under Z for the NS names it lists.  Everything else is
 * ignored and counted.
 *
 * Work per client query is bounded (dns_res_conf): outbound queries,
 * referrals per name, nesting of NS-name lookups, CNAMEs, tries per
 * server.  QNAME minimisation (RFC 9156) is on unless conf.no_qmin.
 * Forward and stub zones (conf.fwd) replace the root as the start for
 * the names under them (res_iter.c frame_closest).  Serve-stale and
 * prefetch: res_stale.c.  Not done here yet: 0x20, DNAME, parallel
 * queries.
 */
#include <tibra/dns/srv.h>

#include "res_int.h"

int dns_res_init(struct dns_res **rp, const struct dns_res_conf *conf,
                 const struct dns_res_hints *hints, struct dns_cache *cache,
                 const struct tb_alloc *a)
{
    struct dns_res *r;
    struct dns_res_conf c = *conf;

    if (c.random == NULL || hints == NULL || hints->naddr == 0 ||
        c.max_depth > DNS_RES_DEPTH_MAX || cache == NULL)
        return TB_EINVAL;
    for (size_t i = 0; i < c.nfwd; i++)
        if (c.fwd[i].naddr == 0 || c.fwd[i].naddr > DNS_RES_FWD_ADDRS)
            return TB_EINVAL;
    c.max_tasks = c.max_tasks ? c.max_tasks : 64;
    c.max_queries = c.max_queries ? c.max_queries : 48;
    c.max_referrals = c.max_referrals ? c.max_referrals : 16;
    c.max_depth = c.max_depth ? c.max_depth : 3;
    c.max_cname = c.max_cname ? c.max_cname : 8;
    c.max_tries = c.max_tries ? c.max_tries : 2;
    c.timeout_min_ns = c.timeout_min_ns ? c.timeout_min_ns : 100 * MS;
    c.timeout_max_ns = c.timeout_max_ns ? c.timeout_max_ns : 1500 * MS;
    r = tb_alloc(a, sizeof(*r));
    if (r == NULL)
        return TB_ENOMEM;
    memset(r, 0, sizeof(*r));
    r->task = tb_alloc(a, c.max_tasks * sizeof(*r->task));
    if (r->task == NULL) {
        tb_free(a, r, sizeof(*r));
        return TB_ENOMEM;
    }
    memset(r->task, 0, c.max_tasks * sizeof(*r->task));
    r->validating = c.val != NULL && c.val->anchors != NULL;
    if (r->validating) {
        if (c.val->response == NULL || c.val->dnskey == NULL ||
            c.val->anchors_get == NULL || c.val->ede == NULL ||
            c.val->alg_supported == NULL || c.val->digest_supported == NULL ||
            c.val->delegation == NULL) {
            tb_free(a, r->task, c.max_tasks * sizeof(*r->task));
            tb_free(a, r, sizeof(*r));
            return TB_EINVAL; /* dns_res_val_init() not called */
        }
        r->vwork = tb_alloc(a, VAL_WORK);
        r->vscratch = tb_alloc(a, VAL_SCRATCH);
        if (r->vwork == NULL || r->vscratch == NULL) {
            if (r->vwork != NULL)
                tb_free(a, r->vwork, VAL_WORK);
            if (r->vscratch != NULL)
                tb_free(a, r->vscratch, VAL_SCRATCH);
            tb_free(a, r->task, c.max_tasks * sizeof(*r->task));
            tb_free(a, r, sizeof(*r));
            return TB_ENOMEM;
        }
    }
    /* frames: a validating resolver's key fetches take KEY_FRAMES more */
    r->nframes = DNS_RES_DEPTH_MAX + 1 + (r->validating ? KEY_FRAMES : 0);
    r->frames =
        tb_alloc(a, (size_t)c.max_tasks * r->nframes * sizeof(struct frame));
    if (r->frames == NULL) {
        if (r->validating) {
            tb_free(a, r->vwork, VAL_WORK);
            tb_free(a, r->vscratch, VAL_SCRATCH);
        }
        tb_free(a, r->task, c.max_tasks * sizeof(*r->task));
        tb_free(a, r, sizeof(*r));
        return TB_ENOMEM;
    }
    memset(r->frames, 0,
           (size_t)c.max_tasks * r->nframes * sizeof(struct frame));
    for (unsigned i = 0; i < c.max_tasks; i++)
        r->task[i].f = r->frames + (size_t)i * r->nframes;
    dns_cache_set_validating(cache, r->validating);
    r->unix_at_zero = r->validating ? c.val->unix_at_zero : 0;
    r->a = *a;
    r->conf = c;
    r->hints = *hints;
    r->cache = cache;
    *rp = r;
    return 0;
}

void dns_res_set_unix_time(struct dns_res *r, int64_t unix_at_zero)
{
    r->unix_at_zero = unix_at_zero;
}

void dns_res_free(struct dns_res *r)
{
    if (r == NULL)
        return;
    struct tb_alloc a = r->a;
    if (r->validating) {
        tb_free(&a, r->vwork, VAL_WORK);
        tb_free(&a, r->vscratch, VAL_SCRATCH);
    }
    tb_free(&a, r->frames,
            (size_t)r->conf.max_tasks * r->nframes * sizeof(struct frame));
    tb_free(&a, r->task, r->conf.max_tasks * sizeof(*r->task));
    tb_free(&a, r, sizeof(*r));
}

void dns_res_stats(const struct dns_res *r, struct dns_res_stats *st)
{
    *st = r->st;
    st->inflight = 0;
    for (unsigned i = 0; i < r->conf.max_tasks; i++)
        st->inflight += r->task[i].used;
}

/* Both structs are counters only: summed field by field. */
static void add_u64(uint64_t *sum, const uint64_t *one, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sum[i] += one[i];
}

void dns_res_stats_add(struct dns_res_stats *sum,
                       const struct dns_res_stats *one)
{
    _Static_assert(sizeof(*sum) % 8 == 0, "counters only");
    add_u64((uint64_t *)sum, (const uint64_t *)one, sizeof(*sum) / 8);
}

void dns_cache_stats_add(struct dns_cache_stats *sum,
                         const struct dns_cache_stats *one)
{
    _Static_assert(sizeof(*sum) % 8 == 0, "counters only");
    add_u64((uint64_t *)sum, (const uint64_t *)one, sizeof(*sum) / 8);
}

/* ---- server RTT (RFC 6298 smoothing, as Unbound's infra cache) -------- */

static struct infra *infra_slot(struct dns_res *r, const struct tb_addr *a)
{
    uint64_t h = tb_hash64(a->ip, 16, a->port);
    return &r->infra[h % INFRA_SLOTS];
}

static uint32_t srtt(struct dns_res *r, const struct tb_addr *a)
{
    struct infra *s = infra_slot(r, a);
    return s->used && res_addr_eq(&s->addr, a) ? s->srtt_ms : SRTT_INIT_MS;
}

static void srtt_update(struct dns_res *r, const struct tb_addr *a,
                        uint32_t sample_ms, bool timeout, uint64_t now)
{
    struct infra *s = infra_slot(r, a);
    uint32_t old = srtt(r, a);

    if (!s->used || !res_addr_eq(&s->addr, a)) {
        s->used = true;
        s->addr = *a;
        s->fails = 0;
        s->down_until = s->probe_at = 0;
        old = timeout ? SRTT_INIT_MS : sample_ms;
    }
    /* A server that times out DOWN_FAILS times in a row is held down for
       DOWN_NS: not asked while another server can be, else one probe per
       PROBE_NS (as Unbound's infra cache holds a host down): a dead zone
       then costs its clients little waiting. */
    if (!timeout) {
        s->fails = 0;
        s->down_until = 0;
    } else if (s->fails < 255 && ++s->fails >= DOWN_FAILS) {
        if (s->down_until <= now)
            r->st.held_down++;
        s->down_until = now + DOWN_NS;
        s->probe_at = now + PROBE_NS;
    }
    if (timeout)
        s->srtt_ms = TB_MIN(SRTT_MAX_MS, TB_MAX(old * 2, sample_ms));
    else
        s->srtt_ms = (7 * old + sample_ms) / 8;
}

static uint64_t rto(struct dns_res *r, const struct tb_addr *a)
{
    uint64_t t = (uint64_t)srtt(r, a) * 2 * MS;
    return TB_MIN(TB_MAX(t, r->conf.timeout_min_ns), r->conf.timeout_max_ns);
}

/* ---- the client's response ------------------------------------------- */

void res_response_start(struct dns_res_task *t, const uint8_t *question)
{
    dns_writer_init(&t->w, t->resp, t->cap, t->cid,
                    (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA |
                               (t->cflags & (DNS_FLAG_RD | DNS_FLAG_CD))));
    if (t->has_opt)
        dns_writer_reserve(&t->w, DNS_RR_MIN_LEN);
    if (question != NULL) {
        size_t n = dns_name_len(question);
        dns_writer_question(&t->w, question, tb_get16(question + n),
                            tb_get16(question + n + 2));
    }
}

static void response_finish(struct dns_res_task *t)
{
    uint8_t ede[6];
    uint16_t ede_len = 0;
    bool val = t->r->validating;

    /* RFC 4035 5.5: bogus data is SERVFAIL, unless the client set CD
       (RFC 4035 3.2.2: then it gets the data, RFC 6840 5.9); why in an
       Extended DNS Error (RFC 8914).  Indeterminate likewise. */
    if (val && (t->sec == DNS_VAL_BOGUS || t->sec == DNS_VAL_INDETERMINATE) &&
        t->rcode != DNS_RCODE_SERVFAIL && !(t->cflags & DNS_FLAG_CD)) {
        uint8_t q[DNS_NAME_MAXLEN + 4];
        size_t n = dns_name_len(t->resp + DNS_HDR_LEN) + 4;
        memcpy(q, t->resp + DNS_HDR_LEN, n);
        res_response_start(t, q);
        t->soa_len = t->proof_len = 0;
        t->trunc = false;
        t->rcode = DNS_RCODE_SERVFAIL;
        t->r->st.servfail++;
    }
    if (val && t->rcode == DNS_RCODE_SERVFAIL &&
        (t->sec == DNS_VAL_BOGUS || t->sec == DNS_VAL_INDETERMINATE)) {
        tb_put16(ede, EDE_OPTION);
        tb_put16(ede + 2, 2);
        tb_put16(ede + 4, t->ede ? t->ede : EDE_BOGUS);
        ede_len = 6;
    }
    uint16_t flags = (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA | t->rcode |
                                (t->cflags & (DNS_FLAG_RD | DNS_FLAG_CD)));

    if ((t->soa_len > 0 || t->proof_len > 0) && !t->trunc)
        dns_writer_section(&t->w, DNS_SEC_AUTHORITY);
    if (t->soa_len > 0 && !t->trunc) {
        size_t on = dns_name_len(t->soa);
        if (dns_writer_rr(&t->w, t->soa, DNS_TYPE_SOA, DNS_CLASS_IN, t->soa_ttl,
                          t->soa + on + 2, tb_get16(t->soa + on)) != 0)
            t->trunc = true;
    }
    if (val && t->edns_do) { /* the denial proof (RFC 4035 3.1.3) */
        for (size_t o = 0; o < t->proof_len && !t->trunc;) {
            const uint8_t *x = t->proof + o;
            size_t on = dns_name_len(x);
            uint16_t rl = tb_get16(x + on + 2);
            if (dns_writer_rr(&t->w, x, tb_get16(x + on), DNS_CLASS_IN,
                              t->proof_ttl, x + on + 4, rl) != 0)
                t->trunc = true;
            o += on + 4 + rl;
        }
    }
    if (t->trunc)
        flags |= DNS_FLAG_TC;
    /* RFC 6840 5.7: AD for secure data to a client that set AD or DO */
    if (val && t->sec == DNS_VAL_SECURE && t->rcode != DNS_RCODE_SERVFAIL &&
        !t->trunc && (t->edns_do || (t->cflags & DNS_FLAG_AD)))
        flags |= DNS_FLAG_AD;
    dns_writer_set_flags(&t->w, flags);
    if (t->has_opt)
        dns_writer_opt(&t->w, DNS_EDNS_DEFAULT_UDP, 0, 0, t->edns_do,
                       ede_len ? ede : NULL, ede_len);
    t->resp_len = dns_writer_finish(&t->w);
}

/* Is (a) held down at (now)?  With (probe), one whose probe is due (every
 * PROBE_NS) is not. */
static bool held_down(struct dns_res *r, const struct tb_addr *a, uint64_t now,
                      bool probe)
{
    struct infra *s = infra_slot(r, a);
    if (!s->used || !res_addr_eq(&s->addr, a) || s->down_until <= now)
        return false;
    return !probe || s->probe_at > now;
}

/* One pass of pick(): the best usable address of (f), or -1. */
static int pick_pass(struct dns_res_task *t, struct frame *f, unsigned start,
                     uint64_t now, bool probe)
{
    int best = -1;
    uint32_t best_rtt = 0;
    unsigned best_tries = 0;

    for (unsigned k = 0; k < f->naddr; k++) {
        unsigned i = (start + k) % f->naddr;
        struct srvaddr *a = &f->addr[i];
        if (a->bad || a->tries >= t->r->conf.max_tries ||
            held_down(t->r, &a->addr, now, probe))
            continue;
        uint32_t rtt = srtt(t->r, &a->addr);
        if (best < 0 || a->tries < best_tries ||
            (a->tries == best_tries && rtt < best_rtt)) {
            best = (int)i;
            best_rtt = rtt;
            best_tries = a->tries;
        }
    }
    return best;
}

/* Picks the next address of the top frame: fewest tries, then lowest
 * smoothed RTT, from a random start (spreads equal servers).  Servers held
 * down only when nothing else is left and their probe is due: a dead zone
 * gets SERVFAIL at once, a server back is found within PROBE_NS. */
static int pick(struct dns_res_task *t, uint64_t now)
{
    struct frame *f = &t->f[t->depth];
    unsigned start;
    int best;

    if (f->naddr == 0)
        return -1;
    start = t->r->conf.random(t->r->conf.random_ctx) % f->naddr;
    best = pick_pass(t, f, start, now, false);
    if (best < 0) {
        best = pick_pass(t, f, start, now, true);
        if (best >= 0)
            infra_slot(t->r, &f->addr[best].addr)->probe_at = now + PROBE_NS;
    }
    return best;
}

/* Writes the query for the top frame to address (i). */
/* draft-vixie-dnsext-dns0x20: each letter of (name) upper or lower case
 * by a random bit, so that a forger must also guess the case (a reply
 * is taken only with the question in exactly the case sent). */
static void case_random(struct dns_res *r, uint8_t *name)
{
    uint32_t bits = 0;
    unsigned left = 0;

    for (uint8_t *p = name; *p != 0; p += 1 + *p)
        for (unsigned k = 1; k <= *p; k++) {
            uint8_t c = p[k] | 0x20;
            if (c < 'a' || c > 'z')
                continue;
            if (left == 0) {
                bits = r->conf.random(r->conf.random_ctx);
                left = 32;
            }
            p[k] = (bits & 1) ? (uint8_t)(c & ~0x20) : c;
            bits >>= 1;
            left--;
        }
}

static void build_query(struct dns_res_task *t, int i, uint64_t now)
{
    struct frame *f = &t->f[t->depth];
    struct dns_writer w;
    unsigned labels = dns_name_labels(f->qname);
    const uint8_t *name = f->qname;

    /* RFC 9156 2.3: one label below the cut at a time, type A (what
       servers answer best); the whole question once it is reached */
    t->minimised = f->qmin && f->mlabels < labels && f->msteps < QMIN_STEPS;
    if (t->minimised) {
        name = dns_name_skip(f->qname, labels - f->mlabels);
        f->msteps++;
    }
    memcpy(t->sent, name, dns_name_len(name));
    memcpy(t->sent_case, name, dns_name_len(name));
    if (t->r->conf.use_0x20)
        case_random(t->r, t->sent_case);
    t->sent_type = t->minimised ? DNS_TYPE_A : f->qtype;
    t->id = (uint16_t)t->r->conf.random(t->r->conf.random_ctx);
    dns_writer_init(&w, t->out, sizeof(t->out), t->id,
                    f->fwd ? DNS_FLAG_RD : 0);
    dns_writer_question(&w, t->sent_case, t->sent_type, DNS_CLASS_IN);
    t->edns = !f->addr[i].noedns;
    if (t->edns) /* DO: a validating resolver wants the RRSIGs */
        dns_writer_opt(&w, DNS_EDNS_DEFAULT_UDP, 0, 0,
                       t->r->validating ? DNS_EDNS_DO : 0, NULL, 0);
    t->outlen = dns_writer_finish(&w);
    t->cur = i;
    t->srv = f->addr[i].addr;
    t->transport = f->addr[i].tls ? DNS_RES_TLS
                   : t->want_tcp  ? DNS_RES_TCP
                                  : DNS_RES_UDP;
    t->sent_at = now;
    t->deadline = now + rto(t->r, &t->srv);
    t->waiting = true;
    t->queries++;
    if (t->transport != DNS_RES_UDP) {
        t->deadline += rto(t->r, &t->srv); /* the handshake */
        t->r->st.sent_tcp++;
    } else {
        f->addr[i].tries++;
        t->r->st.sent_udp++;
    }
}

static void fill_send(const struct dns_res_task *t, struct dns_res_send *s)
{
    s->server = t->srv;
    s->transport = t->transport;
    s->msg = t->out;
    s->len = t->outlen;
    s->deadline = t->deadline;
}

/* Frames looking up NS names' addresses (bounded by conf.max_depth). */
static unsigned ns_depth(const struct dns_res_task *t)
{
    unsigned n = 0;
    for (unsigned d = 1; d <= t->depth; d++)
        n += t->f[d].kind == FR_NSADDR;
    return n;
}

int dns_res_task_next(struct dns_res_task *t, uint64_t now,
                      struct dns_res_send *s)
{
    /* Each turn sends, ends the task, pushes a frame (at most NS_MAX per
       frame and DEPTH_MAX deep) or pops one. */
    for (unsigned guard = 0; guard < 4096; guard++) {
        struct frame *f;
        int i;

        if (t->waiting) {
            fill_send(t, s);
            return DNS_RES_SEND;
        }
        if (t->done) {
            if (t->resp_len == 0 && !res_stale_answer(t, now))
                response_finish(t);
            return DNS_RES_DONE;
        }
        if (t->queries >= t->r->conf.max_queries) {
            t->depth = 0;
            res_fail_limit(t);
            continue;
        }
        f = &t->f[t->depth];
        /* the key state of the zone asked; its DS or DNSKEY first */
        if (t->r->validating && !t->want_tcp && res_val_keys(t, now))
            continue;
        if (t->want_tcp) {
            build_query(t, t->cur, now);
            fill_send(t, s);
            return DNS_RES_SEND;
        }
        i = pick(t, now);
        if (i >= 0) {
            build_query(t, i, now);
            fill_send(t, s);
            return DNS_RES_SEND;
        }
        if (ns_depth(t) < t->r->conf.max_depth &&
            t->depth + 1 < t->r->nframes) {
            unsigned k;
            for (k = 0; k < f->nns && !res_lookup_ok(t, k); k++)
                ;
            if (k < f->nns) {
                res_frame_push(t, k, now);
                continue;
            }
        }
        if (t->depth == 0 && f->bogus_ede != 0) /* all bogus or silent */
            res_val_merge(t, DNS_VAL_BOGUS, f->bogus_ede);
        res_frame_done(t, DNS_RCODE_SERVFAIL); /* no server left */
    }
    t->depth = 0;
    res_fail_limit(t);
    if (!res_stale_answer(t, now))
        response_finish(t);
    return DNS_RES_DONE;
}

void dns_res_task_timeout(struct dns_res_task *t, uint64_t now)
{
    if (!t->waiting)
        return;
    t->waiting = false;
    t->r->st.timeouts++;
    srtt_update(t->r, &t->srv, (uint32_t)((now - t->sent_at) / MS), true, now);
    if (t->transport != DNS_RES_UDP) {
        t->want_tcp = false;
        t->f[t->depth].addr[t->cur].bad = true;
    }
}

int dns_res_task_input(struct dns_res_task *t, const struct tb_addr *from,
                       unsigned transport, const uint8_t *msg, size_t len,
                       uint64_t now)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr q;
    if (!t->waiting || transport != t->transport ||
        !res_addr_eq(from, &t->srv) || dns_msg_parse(&m, msg, len) != 0 ||
        m.id != t->id || !(m.flags & DNS_FLAG_QR) ||
        DNS_OPCODE(m.flags) != DNS_OPCODE_QUERY ||
        m.count[DNS_SEC_QUESTION] != 1)
        goto reject;
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    if (!dns_rr_next(&it, &q) || q.type != t->sent_type ||
        q.rclass != DNS_CLASS_IN || !dns_name_equal(q.owner, t->sent))
        goto reject;
    if (t->r->conf.use_0x20) {
        size_t qn = dns_name_len(t->sent_case);
        /* the question, first in the message: the case sent, exactly */
        if (len < DNS_HDR_LEN + qn || len > sizeof(t->r->reply) ||
            memcmp(msg + DNS_HDR_LEN, t->sent_case, qn) != 0) {
            t->r->st.case_mismatch++;
            goto reject;
        }
        /* Names compressed to the question (a CNAME's target, owners)
           would carry the random case into the cache and to clients. */
        memcpy(t->r->reply, msg, len);
        memcpy(t->r->reply + DNS_HDR_LEN, t->sent, qn);
        if (dns_msg_parse(&m, t->r->reply, len) != 0)
            goto reject;
    }
    t->waiting = false;
    t->r->st.replies++;
    /* (tries) counts unanswered queries: an answer gives the try back,
       so a server that answers is asked again (minimised steps) */
    if (t->transport == DNS_RES_UDP && t->f[t->depth].addr[t->cur].tries > 0)
        t->f[t->depth].addr[t->cur].tries--;
    srtt_update(t->r, &t->srv, (uint32_t)((now - t->sent_at) / MS), false, now);
    res_process(t, &m, now);
    return 0;
reject:
    t->r->st.rejected++;
    return TB_EINVAL;
}

/* ---- client queries --------------------------------------------------- */

static bool meta_type(uint16_t t)
{
    return t == 0 || t == DNS_TYPE_OPT || (t >= DNS_TYPE_TKEY && t <= 255);
}

/* A response of header and question only (the question when it parsed),
 * with an OPT if the query had one; (ext) the upper RCODE bits, (ede) an
 * Extended DNS Error info-code for the OPT (RFC 8914; 0: none). */
static size_t short_response(const struct dns_query *qu, const uint8_t *q,
                             uint16_t rcode, uint8_t ext, uint16_t ede,
                             uint8_t *out)
{
    size_t w = DNS_HDR_LEN;
    bool question = qu->qname_len > 0 && qu->question_end > DNS_HDR_LEN;

    memset(out, 0, DNS_HDR_LEN);
    tb_put16(out, qu->id);
    tb_put16(out + 2, (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA | rcode |
                                 (qu->flags & (DNS_FLAG_RD | DNS_FLAG_CD)) |
                                 (qu->flags & 0x7800)));
    if (question && qu->question_end - DNS_HDR_LEN <= DNS_NAME_MAXLEN + 4) {
        memcpy(out + w, q + DNS_HDR_LEN, qu->question_end - DNS_HDR_LEN);
        w = qu->question_end;
        out[5] = 1;
    }
    if (qu->has_opt) {
        out[w] = 0;
        tb_put16(out + w + 1, DNS_TYPE_OPT);
        tb_put16(out + w + 3, DNS_EDNS_DEFAULT_UDP);
        out[w + 5] = ext;
        out[w + 6] = 0;
        tb_put16(out + w + 7, qu->edns_flags & DNS_EDNS_DO);
        tb_put16(out + w + 9, ede ? 6 : 0);
        w += DNS_RR_MIN_LEN;
        if (ede) { /* OPTION-CODE 15, length 2, the info-code, no text */
            tb_put16(out + w, EDE_OPTION);
            tb_put16(out + w + 2, 2);
            tb_put16(out + w + 4, ede);
            w += 6;
        }
        out[11] = 1;
    }
    return w;
}

/* Is (client) allowed to ask (conf.allow; loopback when none given)? */
static bool client_allowed(const struct dns_res *r, const struct tb_addr *a)
{
    static const struct dns_acl loopback[2] = {
        {.addr = {.af = TB_AF_INET, .ip = {127}}, .plen = 8},
        {.addr = {.af = TB_AF_INET6, .ip = {[15] = 1}}, .plen = 128}};
    const struct dns_acl *acl = r->conf.nallow ? r->conf.allow : loopback;
    size_t n = r->conf.nallow ? r->conf.nallow : 2;

    for (size_t i = 0; i < n; i++)
        if (dns_acl_match(&acl[i], a))
            return true;
    return false;
}

struct dns_res_task *res_task_get(struct dns_res *r)
{
    for (unsigned i = 0; i < r->conf.max_tasks; i++)
        if (!r->task[i].used)
            return &r->task[i];
    return NULL;
}

void dns_res_set_local(struct dns_res *r, const struct dns_zoneset *zs)
{
    r->conf.local = zs;
}

/*
 * Local data: a name under one of conf.local's zones is answered by the
 * authoritative engine, with RA (we are the client's resolver), never
 * from the cache or upstream (Unbound's local-zone and auth-zone with
 * for-downstream).  The engine's REFUSED (a DS query at a local apex
 * whose parent is not local) lets the resolver answer it.  Returns true
 * with the response in (out, *outlen).
 */
static bool local_answer(struct dns_res *r, const uint8_t *q, size_t qlen,
                         const struct dns_query *qu, bool tcp, uint8_t *out,
                         size_t cap, size_t *outlen)
{
    struct dns_auth_stats ast;
    size_t n;

    if (!dns_zoneset_covers(r->conf.local, qu->qname))
        return false;
    memset(&ast, 0, sizeof(ast));
    n = dns_auth_answer(r->conf.local, q, qlen, out, cap,
                        tcp ? DNS_AUTH_TCP : 0, &ast);
    if (n < DNS_HDR_LEN || (out[3] & 0x0f) == DNS_RCODE_REFUSED)
        return false;
    out[3] |= 0x80; /* RA */
    r->st.local++;
    *outlen = n;
    return true;
}

/* Sets task (t) (free, its resolver set) up for the client query (q,
 * qu) from (client) (MAY be NULL) over (tcp); the caller starts frame 0
 * (res_frame_start).  Prefetch sets its own up. */
void res_task_init(struct dns_res_task *t, const uint8_t *q,
                   const struct dns_query *qu, const struct tb_addr *client,
                   bool tcp)
{
    struct dns_res *r = t->r;

    memset(t, 0, offsetof(struct dns_res_task, resp));
    t->r = r;
    t->resp_len = 0;
    t->soa_len = 0;
    t->sec = t->ede = t->vsec = t->vede = 0;
    t->proof_len = 0;
    t->budget = VAL_BUDGET;
    t->queries = t->cnames = t->depth = 0;
    t->used = true;
    t->tcp = tcp;
    if (client != NULL)
        t->client = *client;
    t->cid = qu->id;
    t->cflags = qu->flags;
    t->has_opt = qu->has_opt;
    t->edns_do = qu->edns_flags & DNS_EDNS_DO;
    t->cap = DNS_UDP_MINLEN;
    if (tcp)
        t->cap = RESP_MAX;
    else if (qu->has_opt && qu->udp_size > DNS_UDP_MINLEN)
        t->cap = TB_MIN(qu->udp_size, DNS_EDNS_DEFAULT_UDP);
    /* the question as the client wrote it (0x20 case kept) */
    res_response_start(t, q + DNS_HDR_LEN);
    memcpy(t->f[0].qname, qu->qname, qu->qname_len);
    t->f[0].qtype = qu->qtype;
    t->f[0].parent_ns = -1;
    t->f[0].kind = FR_NAME;
    r->st.tasks++;
}

int dns_res_query(struct dns_res *r, const uint8_t *q, size_t qlen,
                  const struct tb_addr *client, bool tcp, uint64_t now,
                  uint8_t *out, size_t cap, size_t *outlen,
                  struct dns_res_task **task)
{
    struct dns_query qu;
    struct dns_res_task *t;
    int rc;

    *task = NULL;
    if (cap < DNS_UDP_MINLEN)
        return DNS_RES_DROP;
    rc = dns_query_parse(&qu, q, qlen);
    if (dns_query_drop(rc))
        return DNS_RES_DROP;
    r->st.queries++;
    if (client != NULL && !client_allowed(r, client)) {
        r->st.refused_acl++;
        *outlen =
            short_response(&qu, q, DNS_RCODE_REFUSED, 0, EDE_PROHIBITED, out);
        return DNS_RES_ANSWERED;
    }
    if (rc != 0) {
        *outlen = short_response(&qu, q, DNS_RCODE_FORMERR, 0, 0, out);
        return DNS_RES_ANSWERED;
    }
    if (DNS_OPCODE(qu.flags) != DNS_OPCODE_QUERY) {
        *outlen = short_response(&qu, q, DNS_RCODE_NOTIMP, 0, 0, out);
        return DNS_RES_ANSWERED;
    }
    if (qu.has_opt && qu.edns_version != 0) { /* RFC 6891 6.1.3 BADVERS */
        *outlen = short_response(&qu, q, 0, 1, 0, out);
        return DNS_RES_ANSWERED;
    }
    if (qu.qclass != DNS_CLASS_IN) {
        *outlen = short_response(&qu, q, DNS_RCODE_REFUSED, 0, 0, out);
        return DNS_RES_ANSWERED;
    }
    if (r->conf.local != NULL &&
        local_answer(r, q, qlen, &qu, tcp, out, cap, outlen))
        return DNS_RES_ANSWERED;
    if (!(qu.flags & DNS_FLAG_RD)) {
        /* a resolver's cache is not for snooping: as Unbound's "allow"
           (without "allow_snoop") refuses non-recursive queries */
        *outlen = short_response(&qu, q, DNS_RCODE_REFUSED, 0, 0, out);
        return DNS_RES_ANSWERED;
    }
    if (meta_type(qu.qtype) || qu.tsig_off != 0) {
        *outlen = short_response(&qu, q, DNS_RCODE_NOTIMP, 0, 0, out);
        return DNS_RES_ANSWERED;
    }
    if (r->conf.prefetch)
        res_cache_near_expiry(r->cache); /* forget older lookups' */
    *outlen = dns_cache_answer_parsed(r->cache, q, &qu, tcp, now, out, cap);
    if (*outlen > 0) {
        r->st.cache_hits++;
        if (r->conf.prefetch && res_cache_near_expiry(r->cache))
            res_prefetch_hit(r, &qu);
        return DNS_RES_ANSWERED;
    }
    r->st.cache_misses++;
    if (r->conf.ratelimit != NULL && client != NULL &&
        !dns_rrl_client(r->conf.ratelimit, client, now)) {
        r->st.ratelimited++;
        return DNS_RES_DROP;
    }
    t = res_task_get(r);
    if (t == NULL) {
        r->st.busy++;
        *outlen = short_response(&qu, q, DNS_RCODE_SERVFAIL, 0, 0, out);
        return DNS_RES_ANSWERED;
    }
    t->r = r;
    res_task_init(t, q, &qu, client, tcp);
    res_frame_start(t, &t->f[0], now);
    *task = t;
    return DNS_RES_STARTED;
}

size_t dns_res_task_response(const struct dns_res_task *t, const uint8_t **msg)
{
    *msg = t->resp;
    return t->done ? t->resp_len : 0;
}

const struct tb_addr *dns_res_task_client(const struct dns_res_task *t,
                                          bool *tcp)
{
    if (tcp != NULL)
        *tcp = t->tcp;
    return &t->client;
}

void dns_res_task_free(struct dns_res_task *t)
{
    if (t != NULL)
        t->used = false;
}
