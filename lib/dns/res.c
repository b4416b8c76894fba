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
 * server.  Not done here yet: QNAME minimisation, 0x20, EDNS fallback,
 * DNAME, DNSSEC, parallel queries, serve-stale, prefetch.
 */
#include <assert.h>
#include <tibra/dns.h>
#include <tibra/dns/res.h>

#define NS_MAX       16
#define RESP_MAX     16384 /* client responses, TCP included */
#define INFRA_SLOTS  256 /* server RTT table */
#define SRTT_INIT_MS 300 /* unknown servers: tried before slow ones */
#define SRTT_MAX_MS  10000
#define MS           1000000ull
#define SCRATCH      (DNS_MSG_MAXLEN + DNS_NAME_MAXLEN)

struct srvaddr {
    struct tb_addr addr;
    uint8_t ns; /* index into frame.ns */
    uint8_t tries;
    bool bad; /* answered REFUSED, SERVFAIL, lame */
};

struct frame {
    uint8_t qname[DNS_NAME_MAXLEN]; /* lowercased; moves along CNAMEs */
    uint16_t qtype;
    uint8_t zone[DNS_NAME_MAXLEN]; /* the cut the servers serve */
    unsigned nns, naddr, referrals;
    uint8_t ns[NS_MAX][DNS_NAME_MAXLEN];
    bool ns_looked[NS_MAX]; /* a lookup of its address was made */
    struct srvaddr addr[DNS_RES_ADDRS_MAX];
    int parent_ns; /* frames > 0: the parent's NS being resolved */
};

struct dns_res_task {
    struct dns_res *r;
    bool used, done, waiting, tcp, want_tcp, trunc;
    struct tb_addr client;
    /* the client's question and EDNS */
    uint16_t cid, cflags, udp_size, edns_do;
    bool has_opt;
    size_t cap;
    /* the response being written; negative answers keep their SOA */
    uint8_t resp[RESP_MAX];
    struct dns_writer w;
    size_t resp_len;
    uint16_t rcode;
    uint8_t soa[DNS_NAME_MAXLEN + 2 + 600];
    size_t soa_len;
    uint32_t soa_ttl;
    unsigned queries, cnames, depth;
    struct frame f[DNS_RES_DEPTH_MAX + 1];
    /* the outstanding query */
    int cur; /* address index in the top frame */
    struct tb_addr srv;
    uint8_t transport;
    uint16_t id;
    uint64_t sent_at, deadline;
    uint8_t out[DNS_UDP_MINLEN];
    size_t outlen;
};

struct infra {
    struct tb_addr addr;
    uint32_t srtt_ms;
    bool used;
};

struct dns_res {
    struct tb_alloc a;
    struct dns_res_conf conf;
    struct dns_res_hints hints;
    struct dns_cache *cache;
    struct dns_res_stats st;
    struct dns_res_task *task;
    struct infra infra[INFRA_SLOTS];
    uint8_t payload[SCRATCH]; /* an RRset being gathered */
    uint8_t rdata[SCRATCH]; /* one rdata decompressed */
};

int dns_res_init(struct dns_res **rp, const struct dns_res_conf *conf,
                 const struct dns_res_hints *hints, struct dns_cache *cache,
                 const struct tb_alloc *a)
{
    struct dns_res *r;
    struct dns_res_conf c = *conf;

    if (c.random == NULL || hints == NULL || hints->naddr == 0 ||
        c.max_depth > DNS_RES_DEPTH_MAX || cache == NULL)
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
    r->a = *a;
    r->conf = c;
    r->hints = *hints;
    r->cache = cache;
    *rp = r;
    return 0;
}

void dns_res_free(struct dns_res *r)
{
    if (r == NULL)
        return;
    struct tb_alloc a = r->a;
    tb_free(&a, r->task, r->conf.max_tasks * sizeof(*r->task));
    tb_free(&a, r, sizeof(*r));
}

void dns_res_stats(const struct dns_res *r, struct dns_res_stats *st)
{
    *st = r->st;
}

/* ---- server RTT (RFC 6298 smoothing, as Unbound's infra cache) -------- */

static bool addr_eq(const struct tb_addr *a, const struct tb_addr *b)
{
    return a->af == b->af && a->port == b->port &&
           memcmp(a->ip, b->ip, a->af == TB_AF_INET ? 4 : 16) == 0;
}

static struct infra *infra_slot(struct dns_res *r, const struct tb_addr *a)
{
    uint64_t h = tb_hash64(a->ip, 16, a->port);
    return &r->infra[h % INFRA_SLOTS];
}

static uint32_t srtt(struct dns_res *r, const struct tb_addr *a)
{
    struct infra *s = infra_slot(r, a);
    return s->used && addr_eq(&s->addr, a) ? s->srtt_ms : SRTT_INIT_MS;
}

static void srtt_update(struct dns_res *r, const struct tb_addr *a,
                        uint32_t sample_ms, bool timeout)
{
    struct infra *s = infra_slot(r, a);
    uint32_t old = srtt(r, a);

    if (!s->used || !addr_eq(&s->addr, a)) {
        s->used = true;
        s->addr = *a;
        old = timeout ? SRTT_INIT_MS : sample_ms;
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

static void response_start(struct dns_res_task *t, const uint8_t *question)
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
    uint16_t flags = (uint16_t)(DNS_FLAG_QR | DNS_FLAG_RA | t->rcode |
                                (t->cflags & (DNS_FLAG_RD | DNS_FLAG_CD)));

    if (t->soa_len > 0 && !t->trunc) {
        size_t on = dns_name_len(t->soa);
        dns_writer_section(&t->w, DNS_SEC_AUTHORITY);
        if (dns_writer_rr(&t->w, t->soa, DNS_TYPE_SOA, DNS_CLASS_IN, t->soa_ttl,
                          t->soa + on + 2, tb_get16(t->soa + on)) != 0)
            t->trunc = true;
    }
    if (t->trunc)
        flags |= DNS_FLAG_TC;
    dns_writer_set_flags(&t->w, flags);
    if (t->has_opt)
        dns_writer_opt(&t->w, DNS_EDNS_DEFAULT_UDP, 0, 0, t->edns_do, NULL, 0);
    t->resp_len = dns_writer_finish(&t->w);
}

/* ---- frames ---------------------------------------------------------- */

static void frame_done(struct dns_res_task *t, uint16_t rcode)
{
    if (t->depth > 0) {
        t->depth--;
        return;
    }
    t->rcode = rcode;
    t->done = true;
    if (rcode == DNS_RCODE_SERVFAIL) {
        /* RFC 1035 4.1.1: no partial chain with SERVFAIL */
        uint8_t q[DNS_NAME_MAXLEN + 4];
        size_t n = dns_name_len(t->resp + DNS_HDR_LEN) + 4;
        memcpy(q, t->resp + DNS_HDR_LEN, n);
        response_start(t, q);
        t->soa_len = 0;
        t->trunc = false;
        t->r->st.servfail++;
    }
}

static void fail_limit(struct dns_res_task *t)
{
    t->r->st.limit++;
    frame_done(t, DNS_RCODE_SERVFAIL);
}

/* Adds address (rd, rdlen) of a type A/AAAA record for NS (ns) to (f). */
static void frame_addr(struct dns_res *r, struct frame *f, unsigned ns,
                       uint16_t type, const uint8_t *rd, size_t rdlen)
{
    struct tb_addr a;

    memset(&a, 0, sizeof(a));
    if (type == DNS_TYPE_A && rdlen == 4) {
        a.af = TB_AF_INET;
    } else if (type == DNS_TYPE_AAAA && rdlen == 16 && r->conf.ipv6) {
        a.af = TB_AF_INET6;
    } else {
        return;
    }
    memcpy(a.ip, rd, rdlen);
    a.port = 53;
    for (unsigned i = 0; i < f->naddr; i++)
        if (addr_eq(&f->addr[i].addr, &a))
            return;
    if (f->naddr == DNS_RES_ADDRS_MAX)
        return;
    memset(&f->addr[f->naddr], 0, sizeof(f->addr[0]));
    f->addr[f->naddr].addr = a;
    f->addr[f->naddr].ns = (uint8_t)ns;
    f->naddr++;
}

/* Adds every address of an RRset in cache form (nrr, p). */
static void frame_addrs(struct dns_res *r, struct frame *f, unsigned ns,
                        uint16_t type, unsigned nrr, const uint8_t *p)
{
    for (unsigned i = 0; i < nrr; i++) {
        uint16_t rl = tb_get16(p);
        frame_addr(r, f, ns, type, p + 2, rl);
        p += 2 + rl;
    }
}

static void frame_addrs_cached(struct dns_res_task *t, struct frame *f,
                               uint64_t now)
{
    struct dns_cache_view v;

    for (unsigned i = 0; i < f->nns; i++) {
        if (dns_cache_get(t->r->cache, f->ns[i], DNS_TYPE_A, now, DNS_RANK_GLUE,
                          &v) &&
            v.kind == DNS_CACHE_RRSET)
            frame_addrs(t->r, f, i, DNS_TYPE_A, v.nrr, v.data);
        if (t->r->conf.ipv6 &&
            dns_cache_get(t->r->cache, f->ns[i], DNS_TYPE_AAAA, now,
                          DNS_RANK_GLUE, &v) &&
            v.kind == DNS_CACHE_RRSET)
            frame_addrs(t->r, f, i, DNS_TYPE_AAAA, v.nrr, v.data);
    }
}

/* Makes (zone) with the NS RRset (nrr, p) (cache form) the frame's cut. */
static void frame_cut(struct frame *f, const uint8_t *zone, unsigned nrr,
                      const uint8_t *p)
{
    memcpy(f->zone, zone, dns_name_len(zone));
    dns_name_lower(f->zone);
    f->nns = f->naddr = 0;
    for (unsigned i = 0; i < nrr; i++) {
        uint16_t rl = tb_get16(p);
        if (f->nns < NS_MAX) {
            memcpy(f->ns[f->nns], p + 2, rl);
            dns_name_lower(f->ns[f->nns]);
            f->ns_looked[f->nns] = false;
            f->nns++;
        }
        p += 2 + rl;
    }
}

/* Sets the frame's cut to the closest one in the cache, else the hints. */
static void frame_closest(struct dns_res_task *t, struct frame *f, uint64_t now)
{
    struct dns_res *r = t->r;
    struct dns_cache_view v;
    const uint8_t *n = f->qname;

    /* RFC 4035 4.2 (and 3.1.4.1): DS lives on the parent side */
    if (f->qtype == DNS_TYPE_DS && n[0] != 0)
        n = dns_name_skip(n, 1);
    for (;; n = dns_name_skip(n, 1)) {
        if (dns_cache_get(r->cache, n, DNS_TYPE_NS, now, DNS_RANK_REFERRAL,
                          &v) &&
            v.kind == DNS_CACHE_RRSET && v.nrr > 0) {
            frame_cut(f, n, v.nrr, v.data);
            frame_addrs_cached(t, f, now);
            if (f->naddr > 0 || n[0] == 0)
                return;
            /* no address known at all: still usable through lookups of
               its NS names, unless they are all under the cut */
            for (unsigned i = 0; i < f->nns; i++)
                if (!dns_name_is_sub(f->ns[i], f->zone))
                    return;
        }
        if (n[0] == 0)
            break;
    }
    memset(f->zone, 0, sizeof(f->zone));
    f->nns = r->hints.nns;
    for (unsigned i = 0; i < f->nns; i++) {
        memcpy(f->ns[i], r->hints.ns[i], dns_name_len(r->hints.ns[i]));
        f->ns_looked[i] = true; /* hints' addresses are all there is */
    }
    f->naddr = 0;
    for (unsigned i = 0; i < r->hints.naddr; i++)
        if (r->hints.addr[i].addr.af == TB_AF_INET || r->conf.ipv6) {
            memset(&f->addr[f->naddr], 0, sizeof(f->addr[0]));
            f->addr[f->naddr].addr = r->hints.addr[i].addr;
            f->addr[f->naddr].ns = r->hints.addr[i].ns;
            f->naddr++;
        }
}

/* The frame reached an RRset of (type) owned by (owner) (ttl, nrr, p in
 * cache form): frame 0 writes it to the client's answer, a deeper frame
 * hands addresses to its parent. */
static void emit_rrset(struct dns_res_task *t, const uint8_t *owner,
                       uint16_t type, uint32_t ttl, unsigned nrr,
                       const uint8_t *p)
{
    if (t->depth > 0) {
        struct frame *f = &t->f[t->depth];
        if (type == DNS_TYPE_A || type == DNS_TYPE_AAAA)
            frame_addrs(t->r, &t->f[t->depth - 1], (unsigned)f->parent_ns, type,
                        nrr, p);
        return;
    }
    for (unsigned i = 0; i < nrr && !t->trunc; i++) {
        uint16_t rl = tb_get16(p);
        if (dns_writer_rr(&t->w, owner, type, DNS_CLASS_IN, ttl, p + 2, rl) !=
            0)
            t->trunc = true;
        p += 2 + rl;
    }
}

/* A negative answer (SOA in cache form, MAY be empty) ends the frame. */
static void emit_negative(struct dns_res_task *t, uint16_t rcode,
                          const uint8_t *soa, size_t len, uint32_t ttl)
{
    if (t->depth == 0 && len > 0 && len <= sizeof(t->soa)) {
        memcpy(t->soa, soa, len);
        t->soa_len = len;
        t->soa_ttl = ttl;
    }
    frame_done(t, rcode);
}

/* Follows the cache for the frame's name; true if the frame ended. */
static bool frame_from_cache(struct dns_res_task *t, struct frame *f,
                             uint64_t now)
{
    struct dns_cache *c = t->r->cache;
    struct dns_cache_view v;

    for (;;) {
        if (dns_cache_get(c, f->qname, f->qtype, now, DNS_RANK_ANSWER, &v)) {
            if (v.kind == DNS_CACHE_NODATA) {
                emit_negative(t, DNS_RCODE_NOERROR, v.data, v.len, v.ttl);
            } else {
                emit_rrset(t, f->qname, f->qtype, v.ttl, v.nrr, v.data);
                frame_done(t, DNS_RCODE_NOERROR);
            }
            return true;
        }
        if (f->qtype != DNS_TYPE_CNAME &&
            dns_cache_get(c, f->qname, DNS_TYPE_CNAME, now, DNS_RANK_ANSWER,
                          &v) &&
            v.nrr == 1) {
            if (++t->cnames > t->r->conf.max_cname) {
                fail_limit(t);
                return true;
            }
            emit_rrset(t, f->qname, DNS_TYPE_CNAME, v.ttl, 1, v.data);
            memcpy(f->qname, v.data + 2, tb_get16(v.data));
            dns_name_lower(f->qname);
            continue;
        }
        if (dns_cache_get(c, f->qname, 0, now, DNS_RANK_ANSWER, &v)) {
            emit_negative(t, DNS_RCODE_NXDOMAIN, v.data, v.len, v.ttl);
            return true;
        }
        return false;
    }
}

/* (Re)starts frame (f) for its qname: the cache, then the closest cut. */
static void frame_start(struct dns_res_task *t, struct frame *f, uint64_t now)
{
    if (frame_from_cache(t, f, now))
        return;
    f->referrals = 0;
    frame_closest(t, f, now);
}

/* Pushes a frame resolving the address of NS (ns) of the top frame. */
static void frame_push(struct dns_res_task *t, unsigned ns, uint64_t now)
{
    struct frame *p = &t->f[t->depth], *f = &t->f[t->depth + 1];

    p->ns_looked[ns] = true;
    memcpy(f->qname, p->ns[ns], dns_name_len(p->ns[ns]));
    f->qtype = DNS_TYPE_A;
    f->parent_ns = (int)ns;
    t->depth++;
    frame_start(t, f, now);
}

/* May NS (i) of the top frame be looked up? Not when it lies under the
 * cut it serves (only glue can reach it), nor when a frame below is
 * already after that name (a loop). */
static bool lookup_ok(const struct dns_res_task *t, unsigned i)
{
    const struct frame *f = &t->f[t->depth];

    if (f->ns_looked[i] || dns_name_is_sub(f->ns[i], f->zone))
        return false;
    for (unsigned d = 0; d <= t->depth; d++)
        if (dns_name_equal(t->f[d].qname, f->ns[i]))
            return false;
    for (unsigned k = 0; k < f->naddr; k++)
        if (f->addr[k].ns == i)
            return false;
    return true;
}

/* Picks the next address of the top frame: fewest tries, then lowest
 * smoothed RTT, from a random start (spreads equal servers). */
static int pick(struct dns_res_task *t)
{
    struct frame *f = &t->f[t->depth];
    int best = -1;
    uint32_t best_rtt = 0;
    unsigned start, best_tries = 0;

    if (f->naddr == 0)
        return -1;
    start = t->r->conf.random(t->r->conf.random_ctx) % f->naddr;
    for (unsigned k = 0; k < f->naddr; k++) {
        unsigned i = (start + k) % f->naddr;
        struct srvaddr *a = &f->addr[i];
        if (a->bad || a->tries >= t->r->conf.max_tries)
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

/* Writes the query for the top frame to address (i). */
static void build_query(struct dns_res_task *t, int i, uint64_t now)
{
    struct frame *f = &t->f[t->depth];
    struct dns_writer w;

    t->id = (uint16_t)t->r->conf.random(t->r->conf.random_ctx);
    dns_writer_init(&w, t->out, sizeof(t->out), t->id, 0);
    dns_writer_question(&w, f->qname, f->qtype, DNS_CLASS_IN);
    dns_writer_opt(&w, DNS_EDNS_DEFAULT_UDP, 0, 0, 0, NULL, 0);
    t->outlen = dns_writer_finish(&w);
    t->cur = i;
    t->srv = f->addr[i].addr;
    t->transport = t->want_tcp ? DNS_RES_TCP : DNS_RES_UDP;
    t->sent_at = now;
    t->deadline = now + rto(t->r, &t->srv);
    t->waiting = true;
    t->queries++;
    if (t->transport == DNS_RES_TCP) {
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
            if (t->resp_len == 0)
                response_finish(t);
            return DNS_RES_DONE;
        }
        if (t->queries >= t->r->conf.max_queries) {
            t->depth = 0;
            fail_limit(t);
            continue;
        }
        f = &t->f[t->depth];
        if (t->want_tcp) {
            build_query(t, t->cur, now);
            fill_send(t, s);
            return DNS_RES_SEND;
        }
        i = pick(t);
        if (i >= 0) {
            build_query(t, i, now);
            fill_send(t, s);
            return DNS_RES_SEND;
        }
        if (t->depth < t->r->conf.max_depth) {
            unsigned k;
            for (k = 0; k < f->nns && !lookup_ok(t, k); k++)
                ;
            if (k < f->nns) {
                frame_push(t, k, now);
                continue;
            }
        }
        frame_done(t, DNS_RCODE_SERVFAIL); /* no server left */
    }
    t->depth = 0;
    fail_limit(t);
    response_finish(t);
    return DNS_RES_DONE;
}

void dns_res_task_timeout(struct dns_res_task *t, uint64_t now)
{
    if (!t->waiting)
        return;
    t->waiting = false;
    t->r->st.timeouts++;
    srtt_update(t->r, &t->srv, (uint32_t)((now - t->sent_at) / MS), true);
    if (t->transport == DNS_RES_TCP) {
        t->want_tcp = false;
        t->f[t->depth].addr[t->cur].bad = true;
    }
}

/* ---- replies ---------------------------------------------------------- */

/*
 * Gathers the RRset (owner, type) of section (sec) of (m) into the
 * resolver's payload buffer (cache form).  Returns the number of RRs
 * (0: none) with the length in (*len) and the smallest TTL in (*ttl).
 */
static unsigned gather(struct dns_res *r, const struct dns_msg *m,
                       enum dns_section sec, const uint8_t *owner,
                       uint16_t type, size_t *len, uint32_t *ttl)
{
    struct dns_rr_iter it;
    struct dns_rr rr;
    unsigned n = 0;
    size_t w = 0;

    *ttl = UINT32_MAX;
    dns_rr_iter_init(&it, m, sec);
    while (dns_rr_next(&it, &rr) && rr.section == sec) {
        size_t rl;
        if (rr.type != type || rr.rclass != DNS_CLASS_IN ||
            !dns_name_equal(rr.owner, owner))
            continue;
        if (dns_rdata_unpack(m->buf, m->len, rr.rdoff, rr.rdlen, rr.type,
                             r->rdata, sizeof(r->rdata), &rl) != 0 ||
            rl > 0xffff || w + 2 + rl > sizeof(r->payload) || n == 0xffff)
            continue;
        tb_put16(r->payload + w, (uint16_t)rl);
        memcpy(r->payload + w + 2, r->rdata, rl);
        w += 2 + rl;
        n++;
        /* RFC 2181 8: a TTL with the top bit set is 0 */
        uint32_t tl = rr.ttl > 0x7fffffffu ? 0 : rr.ttl;
        *ttl = TB_MIN(*ttl, tl);
    }
    *len = w;
    return n;
}

/* Finds the SOA of a negative answer in the authority section: its owner
 * MUST be under (zone) and (name) under it.  Writes it in cache form to
 * (out) and returns the length (0: none usable) and the negative TTL
 * (RFC 2308 5: min(SOA TTL, SOA MINIMUM)). */
static size_t neg_soa(struct dns_res *r, const struct dns_msg *m,
                      const uint8_t *zone, const uint8_t *name, uint8_t *out,
                      size_t cap, uint32_t *ttl)
{
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t rl;

    dns_rr_iter_init(&it, m, DNS_SEC_AUTHORITY);
    while (dns_rr_next(&it, &rr) && rr.section == DNS_SEC_AUTHORITY) {
        if (rr.type != DNS_TYPE_SOA || rr.rclass != DNS_CLASS_IN)
            continue;
        if (!dns_name_is_sub(rr.owner, zone) ||
            !dns_name_is_sub(name, rr.owner)) {
            r->st.out_of_bailiwick++;
            continue;
        }
        if (dns_rdata_unpack(m->buf, m->len, rr.rdoff, rr.rdlen, rr.type,
                             r->rdata, sizeof(r->rdata), &rl) != 0 ||
            rr.owner_len + 2 + rl > cap || rl < 22)
            continue;
        memcpy(out, rr.owner, rr.owner_len);
        tb_put16(out + rr.owner_len, (uint16_t)rl);
        memcpy(out + rr.owner_len + 2, r->rdata, rl);
        uint32_t t = rr.ttl > 0x7fffffffu ? 0 : rr.ttl;
        uint32_t min = tb_get32(r->rdata + rl - 4);
        *ttl = TB_MIN(t, min);
        return rr.owner_len + 2 + rl;
    }
    *ttl = 0;
    return 0;
}

/* A negative answer for the frame's name: cache it, end the frame. */
static void negative(struct dns_res_task *t, const struct dns_msg *m,
                     uint16_t rcode, uint64_t now)
{
    struct dns_res *r = t->r;
    struct frame *f = &t->f[t->depth];
    uint8_t soa[DNS_NAME_MAXLEN + 2 + 600];
    uint32_t ttl;
    size_t n = neg_soa(r, m, f->zone, f->qname, soa, sizeof(soa), &ttl);

    /* RFC 2308 5: without an SOA it is not cached */
    if (n > 0)
        dns_cache_put(
            r->cache, f->qname, rcode == DNS_RCODE_NXDOMAIN ? 0 : f->qtype,
            rcode == DNS_RCODE_NXDOMAIN ? DNS_CACHE_NXDOMAIN : DNS_CACHE_NODATA,
            DNS_RANK_ANSWER, ttl, 0, soa, n, now);
    emit_negative(t, rcode, soa, n, ttl);
}

/*
 * A referral (RFC 1034 4.3.2 step 3b) for the frame's name: an NS RRset
 * in the authority section owned by a cut strictly below the current
 * one and at or above the name.  Returns true if (m) is one and the frame
 * moved to the new cut (its glue taken if under the old cut).
 */
static bool referral(struct dns_res_task *t, const struct dns_msg *m,
                     uint64_t now)
{
    struct dns_res *r = t->r;
    struct frame *f = &t->f[t->depth];
    struct dns_rr_iter it;
    struct dns_rr rr;
    uint8_t cut[DNS_NAME_MAXLEN], old[DNS_NAME_MAXLEN];
    size_t len;
    uint32_t ttl;
    unsigned nrr;

    dns_rr_iter_init(&it, m, DNS_SEC_AUTHORITY);
    for (;;) {
        if (!dns_rr_next(&it, &rr) || rr.section != DNS_SEC_AUTHORITY)
            return false;
        if (rr.type == DNS_TYPE_NS && rr.rclass == DNS_CLASS_IN &&
            dns_name_is_sub(f->qname, rr.owner) &&
            dns_name_is_sub(rr.owner, f->zone) &&
            !dns_name_equal(rr.owner, f->zone))
            break;
    }
    if (f->qtype == DNS_TYPE_DS && dns_name_equal(rr.owner, f->qname))
        return false; /* the parent must answer DS itself */
    if (++f->referrals > r->conf.max_referrals) {
        fail_limit(t);
        return true;
    }
    memcpy(cut, rr.owner, rr.owner_len);
    memcpy(old, f->zone, dns_name_len(f->zone));
    nrr = gather(r, m, DNS_SEC_AUTHORITY, cut, DNS_TYPE_NS, &len, &ttl);
    dns_cache_put(r->cache, cut, DNS_TYPE_NS, DNS_CACHE_RRSET,
                  DNS_RANK_REFERRAL, ttl, (uint16_t)nrr, r->payload, len, now);
    frame_cut(f, cut, nrr, r->payload);
    /* Glue: addresses of the listed NS names, only under the old cut
       (what the server we asked is authoritative for, RFC 5452 6). */
    for (unsigned i = 0; i < f->nns; i++) {
        static const uint16_t types[2] = {DNS_TYPE_A, DNS_TYPE_AAAA};
        for (unsigned k = 0; k < 2; k++) {
            nrr = gather(r, m, DNS_SEC_ADDITIONAL, f->ns[i], types[k], &len,
                         &ttl);
            if (nrr == 0)
                continue;
            if (!dns_name_is_sub(f->ns[i], old)) {
                r->st.out_of_bailiwick += nrr;
                continue;
            }
            dns_cache_put(r->cache, f->ns[i], types[k], DNS_CACHE_RRSET,
                          DNS_RANK_GLUE, ttl, (uint16_t)nrr, r->payload, len,
                          now);
            frame_addrs(r, f, i, types[k], nrr, r->payload);
        }
    }
    frame_addrs_cached(t, f, now);
    return true;
}

/*
 * The answer chain of an authoritative reply: from the frame's name, the
 * RRset asked for or a CNAME (then on from its target), each owner under
 * the cut; (*taken) counts the records used.  Returns 1 if the
 * frame ended, 0 if nothing was taken, -1 if the chain moved the name
 * (written to the frame) without reaching the end.
 */
static int answer_chain(struct dns_res_task *t, const struct dns_msg *m,
                        unsigned *taken, uint64_t now)
{
    struct dns_res *r = t->r;
    struct frame *f = &t->f[t->depth];
    size_t len;
    uint32_t ttl;
    unsigned nrr;
    uint8_t rank = DNS_RANK_ANSWER;
    int moved = 0;

    for (;;) {
        if (!dns_name_is_sub(f->qname, f->zone))
            return moved;
        nrr = gather(r, m, DNS_SEC_ANSWER, f->qname, f->qtype, &len, &ttl);
        *taken += nrr;
        if (nrr > 0) {
            dns_cache_put(r->cache, f->qname, f->qtype, DNS_CACHE_RRSET, rank,
                          ttl, (uint16_t)nrr, r->payload, len, now);
            emit_rrset(t, f->qname, f->qtype, ttl, nrr, r->payload);
            frame_done(t, DNS_RCODE_NOERROR);
            return 1;
        }
        if (f->qtype == DNS_TYPE_CNAME)
            return moved;
        nrr =
            gather(r, m, DNS_SEC_ANSWER, f->qname, DNS_TYPE_CNAME, &len, &ttl);
        if (nrr != 1) /* RFC 2181 10.1: one CNAME only */
            return moved;
        *taken += 1;
        if (++t->cnames > r->conf.max_cname) {
            fail_limit(t);
            return 1;
        }
        dns_cache_put(r->cache, f->qname, DNS_TYPE_CNAME, DNS_CACHE_RRSET, rank,
                      ttl, 1, r->payload, len, now);
        emit_rrset(t, f->qname, DNS_TYPE_CNAME, ttl, 1, r->payload);
        memcpy(f->qname, r->payload + 2, tb_get16(r->payload));
        dns_name_lower(f->qname);
        moved = -1;
    }
}

/* Counts answer-section records the chain did not take. */
static void count_unused(struct dns_res *r, const struct dns_msg *m,
                         unsigned taken)
{
    if (m->count[DNS_SEC_ANSWER] > taken)
        r->st.out_of_bailiwick += m->count[DNS_SEC_ANSWER] - taken;
}

static void lame(struct dns_res_task *t)
{
    t->f[t->depth].addr[t->cur].bad = true;
    t->r->st.lame++;
}

static void process(struct dns_res_task *t, const struct dns_msg *m,
                    uint64_t now)
{
    struct frame *f = &t->f[t->depth];
    uint16_t rcode = DNS_RCODE(m->flags);
    bool aa = (m->flags & DNS_FLAG_AA) != 0;
    unsigned taken = 0;
    int c;

    if (m->flags & DNS_FLAG_TC) {
        if (t->transport == DNS_RES_UDP) {
            t->want_tcp = true; /* RFC 1035 4.2.1, RFC 7766 5 */
            return;
        }
        lame(t); /* TC over TCP: unusable */
        return;
    }
    t->want_tcp = false;
    if (rcode != DNS_RCODE_NOERROR && rcode != DNS_RCODE_NXDOMAIN) {
        lame(t); /* REFUSED, SERVFAIL, NOTIMP, FORMERR: try another */
        return;
    }
    c = aa ? answer_chain(t, m, &taken, now) : 0;
    count_unused(t->r, m, taken);
    if (c == 1)
        return;
    if (c == -1) {
        /* The chain stopped at a new name: an NXDOMAIN or NODATA for it
           from this server (its SOA under the cut), else resolve the new
           name afresh from the closest cut (another zone). */
        uint8_t soa[DNS_NAME_MAXLEN + 2 + 600];
        uint32_t ttl;
        if (dns_name_is_sub(f->qname, f->zone) &&
            (rcode == DNS_RCODE_NXDOMAIN ||
             neg_soa(t->r, m, f->zone, f->qname, soa, sizeof(soa), &ttl) > 0)) {
            negative(t, m, rcode, now);
            return;
        }
        frame_start(t, f, now);
        return;
    }
    if (rcode == DNS_RCODE_NXDOMAIN) {
        if (aa)
            negative(t, m, DNS_RCODE_NXDOMAIN, now);
        else
            lame(t);
        return;
    }
    if (!aa && referral(t, m, now))
        return;
    if (aa) {
        negative(t, m, DNS_RCODE_NOERROR, now); /* NODATA */
        return;
    }
    lame(t); /* neither answer nor referral: lame, or an upward referral */
}

int dns_res_task_input(struct dns_res_task *t, const struct tb_addr *from,
                       unsigned transport, const uint8_t *msg, size_t len,
                       uint64_t now)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr q;
    const struct frame *f = &t->f[t->depth];

    if (!t->waiting || transport != t->transport || !addr_eq(from, &t->srv) ||
        dns_msg_parse(&m, msg, len) != 0 || m.id != t->id ||
        !(m.flags & DNS_FLAG_QR) || DNS_OPCODE(m.flags) != DNS_OPCODE_QUERY ||
        m.count[DNS_SEC_QUESTION] != 1)
        goto reject;
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    if (!dns_rr_next(&it, &q) || q.type != f->qtype ||
        q.rclass != DNS_CLASS_IN || !dns_name_equal(q.owner, f->qname))
        goto reject;
    t->waiting = false;
    t->r->st.replies++;
    srtt_update(t->r, &t->srv, (uint32_t)((now - t->sent_at) / MS), false);
    process(t, &m, now);
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
 * with an OPT if the query had one; (ext) the upper RCODE bits. */
static size_t short_response(const struct dns_query *qu, const uint8_t *q,
                             uint16_t rcode, uint8_t ext, uint8_t *out)
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
        tb_put16(out + w + 9, 0);
        w += DNS_RR_MIN_LEN;
        out[11] = 1;
    }
    return w;
}

static struct dns_res_task *task_get(struct dns_res *r)
{
    for (unsigned i = 0; i < r->conf.max_tasks; i++)
        if (!r->task[i].used)
            return &r->task[i];
    return NULL;
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
    if (rc != 0) {
        *outlen = short_response(&qu, q, DNS_RCODE_FORMERR, 0, out);
        return DNS_RES_ANSWERED;
    }
    if (DNS_OPCODE(qu.flags) != DNS_OPCODE_QUERY) {
        *outlen = short_response(&qu, q, DNS_RCODE_NOTIMP, 0, out);
        return DNS_RES_ANSWERED;
    }
    if (qu.has_opt && qu.edns_version != 0) { /* RFC 6891 6.1.3 BADVERS */
        *outlen = short_response(&qu, q, 0, 1, out);
        return DNS_RES_ANSWERED;
    }
    if (qu.qclass != DNS_CLASS_IN) {
        *outlen = short_response(&qu, q, DNS_RCODE_REFUSED, 0, out);
        return DNS_RES_ANSWERED;
    }
    if (meta_type(qu.qtype) || qu.tsig_off != 0) {
        *outlen = short_response(&qu, q, DNS_RCODE_NOTIMP, 0, out);
        return DNS_RES_ANSWERED;
    }
    *outlen = dns_cache_answer(r->cache, q, qlen, tcp, now, out, cap);
    if (*outlen > 0) {
        r->st.cache_hits++;
        return DNS_RES_ANSWERED;
    }
    t = task_get(r);
    if (t == NULL) {
        r->st.busy++;
        *outlen = short_response(&qu, q, DNS_RCODE_SERVFAIL, 0, out);
        return DNS_RES_ANSWERED;
    }
    memset(t, 0, offsetof(struct dns_res_task, resp));
    t->resp_len = 0;
    t->soa_len = 0;
    t->queries = t->cnames = t->depth = 0;
    t->r = r;
    t->used = true;
    t->tcp = tcp;
    if (client != NULL)
        t->client = *client;
    t->cid = qu.id;
    t->cflags = qu.flags;
    t->has_opt = qu.has_opt;
    t->edns_do = qu.edns_flags & DNS_EDNS_DO;
    t->cap = DNS_UDP_MINLEN;
    if (tcp)
        t->cap = RESP_MAX;
    else if (qu.has_opt && qu.udp_size > DNS_UDP_MINLEN)
        t->cap = TB_MIN(qu.udp_size, DNS_EDNS_DEFAULT_UDP);
    /* the question as the client wrote it (0x20 case kept) */
    response_start(t, q + DNS_HDR_LEN);
    memcpy(t->f[0].qname, qu.qname, qu.qname_len);
    t->f[0].qtype = qu.qtype;
    t->f[0].parent_ns = -1;
    r->st.tasks++;
    frame_start(t, &t->f[0], now);
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
