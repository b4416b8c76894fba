/*
 * res_int.h -- private to the resolver core (res.c: tasks, server
 * selection, the client side; res_iter.c: frames and replies): the task
 * and resolver structures and the calls between the two files.
 */
#ifndef DNS_RES_INT_H
#define DNS_RES_INT_H

#include <tibra/dns.h>
#include <tibra/dns/res.h>

#define NS_MAX         16
#define RESP_MAX       16384 /* client responses, TCP included */
#define INFRA_SLOTS    256 /* server RTT table */
#define SRTT_INIT_MS   300 /* unknown servers: tried before slow ones */
#define SRTT_MAX_MS    10000
#define MS             1000000ull
#define SCRATCH        (DNS_MSG_MAXLEN + DNS_NAME_MAXLEN)
#define QMIN_STEPS     3 /* minimised queries per cut, then the whole name */
#define DOWN_FAILS     3 /* timeouts in a row that hold a server down */
#define DOWN_NS        (60 * 1000 * MS) /* for this long at most */
#define PROBE_NS       (5 * 1000 * MS) /* one probe of a down server */
#define EDE_OPTION     15 /* RFC 8914 EDNS option code */
#define EDE_PROHIBITED 18 /* info-code: the client is not allowed */
#define EDE_BOGUS      6 /* DNSSEC Bogus */
#define EDE_NO_DNSKEY  9 /* DNSKEY Missing */
#define KEY_FRAMES     4 /* frames for DS/DNSKEY fetches beyond max_depth */
#define XBUF           16384 /* RRSIGs or a denial proof kept with data */
#define PROOF_MAX      8192 /* a client answer's denial proofs */
#define VAL_WORK       (DNS_MSG_MAXLEN + 16384) /* dns_val_response's */
#define VAL_SCRATCH    (96 * 1024) /* signed data of one RRset */
#define BOGUS_RETRIES  2 /* other servers asked after a bogus reply */
#define VAL_BUDGET     256 /* signature verifications per client query */

/* What a frame resolves. */
enum frame_kind {
    FR_NAME = 0, /* the client's name (frame 0) */
    FR_NSADDR, /* the address of an NS name of the frame below */
    FR_KEY /* the DS or DNSKEY RRset a frame below needs to validate */
};
/* Key states of a frame's zone (frame.ks) besides enum dns_val_state. */
#define KS_UNKNOWN 0
#define KS_DNSKEY                                                              \
    16 /* the frame fetches its own zone's DNSKEY RRset:                       \
          validated against the DS set or the anchor */
#define KS_NONE 17 /* the frame's replies are not validated */

struct srvaddr {
    struct tb_addr addr;
    uint8_t ns; /* index into frame.ns */
    uint8_t tries; /* queries not answered (yet) */
    bool bad; /* answered REFUSED, SERVFAIL, lame */
    bool noedns; /* answered FORMERR to EDNS: asked without it */
    bool tls; /* a forward-tls forwarder: always DNS_RES_TLS */
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
    /* RFC 9156: the servers of (zone) are asked for the first (mlabels)
       labels of qname (type A) until a referral, or the whole name */
    bool qmin;
    uint8_t mlabels, msteps;
    bool fwd; /* (addr) are forwarders of (zone): RD set, AA not needed */
    /* DNSSEC (res_val.c): what the frame is for, the state of its zone's
       keys (KS_UNKNOWN until known for this cut), the EDE of a BOGUS one,
       and which key fetches were already made for this cut */
    uint8_t kind; /* enum frame_kind */
    uint8_t ks, kede;
    bool pushed_ds, pushed_dnskey;
    /* unsigned answers: the labels of the last name below (zone) found
       not to be a cut, and of the last whose DS a key frame fetched */
    uint8_t probe, probe_pushed;
    /* bogus replies dropped to ask another server, and the EDE of the
       last (given to the client if no server answers better) */
    uint8_t bogus_retries, bogus_ede;
};

struct dns_res_task {
    struct dns_res *r;
    bool used, done, waiting, tcp, want_tcp, trunc;
    /* prefetch (res_stale.c): no client; frame 0 asks upstream even
       though the cache still holds the answer (refresh, cleared then) */
    bool background, refresh;
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
    /* DNSSEC: the worst state of what the client's answer holds (0:
       nothing yet) and the EDE of a BOGUS one; the state of the reply
       being processed (what its cache entries are stored with); the
       denial proof of a negative answer (view.extra form) */
    uint8_t sec, ede, vsec, vede;
    unsigned budget; /* signature verifications left (VAL_BUDGET) */
    size_t proof_len;
    uint32_t proof_ttl;
    uint8_t proof[PROOF_MAX];
    struct frame *f; /* dns_res.nframes of them, from its pool */
    /* the outstanding query */
    int cur; /* address index in the top frame */
    struct tb_addr srv;
    uint8_t transport;
    uint16_t id;
    uint8_t sent[DNS_NAME_MAXLEN]; /* the question asked (minimised?) */
    uint8_t sent_case[DNS_NAME_MAXLEN]; /* as sent: conf.use_0x20's case */
    uint16_t sent_type;
    bool minimised;
    bool edns; /* the query carried an OPT */
    uint64_t sent_at, deadline;
    uint8_t out[DNS_UDP_MINLEN];
    size_t outlen;
};

struct infra {
    struct tb_addr addr;
    uint32_t srtt_ms;
    bool used;
    uint8_t fails; /* timeouts in a row */
    uint64_t down_until; /* held down (not asked) until then */
    uint64_t probe_at; /* held down: the next probe is due then */
};

/* A refresh asked for by a cache hit (conf.prefetch), not started yet. */
#define PREFETCH_QUEUE 16
struct prefetch {
    uint8_t qname[DNS_NAME_MAXLEN]; /* lower case */
    uint16_t qtype;
};

struct dns_res {
    struct tb_alloc a;
    struct dns_res_conf conf;
    struct dns_res_hints hints;
    struct dns_cache *cache;
    struct dns_res_stats st;
    struct dns_res_task *task;
    struct infra infra[INFRA_SLOTS];
    struct frame *frames; /* max_tasks x nframes, the tasks' */
    unsigned nframes; /* per task: DNS_RES_DEPTH_MAX + 1, + KEY_FRAMES
                         when validating */
    uint8_t payload[SCRATCH]; /* an RRset being gathered */
    uint8_t rdata[SCRATCH]; /* one rdata decompressed */
    /* conf.use_0x20: the reply being processed, its question back in the
       case of (sent), so names compressed to it read as without 0x20 */
    uint8_t reply[DNS_MSG_MAXLEN];
    struct prefetch pf[PREFETCH_QUEUE]; /* res_stale.c */
    unsigned npf;
    uint64_t prime_at; /* conf.prime: no priming before then */
    /* DNSSEC validation (conf.val; res_val.c) */
    bool validating;
    int64_t unix_at_zero; /* conf.val's, or dns_res_set_unix_time's */
    uint8_t xbuf[XBUF]; /* the RRSIGs of an RRset being gathered */
    uint8_t *vwork; /* VAL_WORK bytes: dns_val_response's records */
    uint8_t *vscratch; /* VAL_SCRATCH bytes: dns_val_conf.scratch */
};

static inline bool res_addr_eq(const struct tb_addr *a, const struct tb_addr *b)
{
    return a->af == b->af && a->port == b->port &&
           memcmp(a->ip, b->ip, a->af == TB_AF_INET ? 4 : 16) == 0;
}

/* res.c */
void res_response_start(struct dns_res_task *t, const uint8_t *question);
struct dns_res_task *res_task_get(struct dns_res *r);
void res_task_init(struct dns_res_task *t, const uint8_t *q,
                   const struct dns_query *qu, const struct tb_addr *client,
                   bool tcp);

/* res_cache.c: whether a hit since the last call read an entry with
 * less than 10% of its TTL left (and forget it) */
bool res_cache_near_expiry(struct dns_cache *c);

/* res_stale.c */
bool res_stale_answer(struct dns_res_task *t, uint64_t now);
void res_prefetch_hit(struct dns_res *r, const struct dns_query *qu);

/* res_val.c */
bool res_val_keys(struct dns_res_task *t, uint64_t now);
void res_val_reply(struct dns_res_task *t, const struct dns_msg *m,
                   uint64_t now);
void res_val_merge(struct dns_res_task *t, uint8_t sec, uint8_t ede);
bool res_val_retry(struct dns_res_task *t);
bool res_val_cut(struct dns_res_task *t, const struct dns_msg *m, uint64_t now);
size_t res_val_sigs(struct dns_res *r, const struct dns_msg *m,
                    enum dns_section sec, const uint8_t *owner, uint16_t type,
                    uint8_t *out, size_t cap);
size_t res_val_proof(struct dns_res *r, const struct dns_msg *m,
                     const uint8_t *zone, bool denial_only, uint8_t *out,
                     size_t cap);
uint32_t res_val_ttl(struct dns_res *r, const uint8_t *sigs, size_t slen,
                     uint32_t ttl, uint64_t now);
size_t res_val_wildcard(struct dns_res *r, const struct dns_msg *m,
                        const uint8_t *zone, const uint8_t *owner,
                        const uint8_t *sigs, size_t slen, uint8_t *out,
                        size_t cap);

/* res_iter.c */
void res_frame_push_key(struct dns_res_task *t, const uint8_t *name,
                        uint16_t type, uint64_t now);
void res_frame_done(struct dns_res_task *t, uint16_t rcode);
void res_fail_limit(struct dns_res_task *t);
void res_frame_start(struct dns_res_task *t, struct frame *f, uint64_t now);
void res_frame_push(struct dns_res_task *t, unsigned ns, uint64_t now);
bool res_lookup_ok(const struct dns_res_task *t, unsigned i);
void res_process(struct dns_res_task *t, const struct dns_msg *m, uint64_t now);

#endif /* DNS_RES_INT_H */
