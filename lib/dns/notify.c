/*
 * notify.c -- NOTIFY out (RFC 1996), the state machine of dns/notify.h:
 *
 *   zone reloaded with a newer serial --> dns_notify_start
 *   driver loop: dns_notify_poll(now) --> sendto; recv -->
 *   dns_notify_input; sleep until dns_notify_deadline()
 *
 * Per target: PENDING (send at (next)), then ACKED on a matching
 * response, or FAILED after DNS_NOTIFY_TRIES unanswered sends spaced
 * DNS_NOTIFY_RTO_NS, 2x, 4x ... apart.  The request is built with the
 * message writer (wire_write.c); responses are parsed with
 * dns_msg_parse(), so nothing untrusted is read unchecked.  A keyed
 * target's NOTIFY is signed last (RFC 8945 5.1) and its response MUST
 * verify (5.3.1) before it counts.
 */
#include <tibra/dns/notify.h>
#include <tibra/dns/auth.h>
#include <tibra/dns/tsig.h>

/* xorshift64*: message IDs, seeded by the driver with a random value. */
static uint16_t next_id(struct dns_notify *n)
{
    uint64_t x = n->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    n->rng = x;
    return (uint16_t)((x * 0x2545f4914f6cdd1dull) >> 48);
}

int dns_notify_init(struct dns_notify *n, const uint8_t *origin,
                    const struct tb_addr *targets, size_t ntargets,
                    uint64_t seed)
{
    int len = dns_name_check(origin, DNS_NAME_MAXLEN);

    if (len <= 0 || ntargets > DNS_NOTIFY_TARGETS_MAX)
        return TB_EINVAL;
    memset(n, 0, sizeof(*n));
    memcpy(n->origin, origin, (size_t)len);
    n->olen = (size_t)len;
    n->rclass = DNS_CLASS_IN;
    n->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < ntargets; i++)
        n->t[i].addr = targets[i];
    n->n = ntargets;
    return 0;
}

int dns_notify_key(struct dns_notify *n, size_t i,
                   const struct dns_tsig_key *key, struct dns_tsig_ctx *ctx)
{
    if (i >= n->n || (key != NULL && ctx == NULL))
        return TB_EINVAL;
    n->t[i].key = key;
    n->t[i].tsig = ctx;
    return 0;
}

int dns_notify_start(struct dns_notify *n, const uint8_t *soa, size_t soalen,
                     uint32_t ttl, uint64_t now)
{
    if (soalen < 22 || soalen > sizeof(n->soa) ||
        dns_rdata_check(DNS_TYPE_SOA, soa, soalen) != 0)
        return TB_EINVAL;
    memcpy(n->soa, soa, soalen);
    n->soalen = (uint16_t)soalen;
    n->ttl = ttl;
    n->serial = tb_get32(soa + soalen - 20);
    for (size_t i = 0; i < n->n; i++) {
        n->t[i].state = DNS_NOTIFY_PENDING;
        n->t[i].tries = 0;
        n->t[i].next = now;
    }
    return 0;
}

int dns_notify_start_zs(struct dns_notify *n, const struct dns_zoneset *zs,
                        uint64_t now)
{
    uint8_t q[DNS_HDR_LEN + DNS_NAME_MAXLEN + 4], r[1024], soa[sizeof(n->soa)];
    struct dns_auth_stats st;
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t len, soalen;

    memset(q, 0, DNS_HDR_LEN);
    q[5] = 1; /* QDCOUNT */
    memcpy(q + DNS_HDR_LEN, n->origin, n->olen);
    tb_put16(q + DNS_HDR_LEN + n->olen, DNS_TYPE_SOA);
    tb_put16(q + DNS_HDR_LEN + n->olen + 2, n->rclass);
    memset(&st, 0, sizeof(st));
    len = dns_auth_answer(zs, q, DNS_HDR_LEN + n->olen + 4, r, sizeof(r),
                          DNS_AUTH_TCP, &st);
    if (len == 0 || dns_msg_parse(&m, r, len) != 0 || DNS_RCODE(m.flags) != 0 ||
        !(m.flags & DNS_FLAG_AA))
        return TB_ENOENT;
    dns_rr_iter_init(&it, &m, DNS_SEC_ANSWER);
    while (dns_rr_next(&it, &rr) && rr.section == DNS_SEC_ANSWER)
        if (rr.type == DNS_TYPE_SOA && dns_name_cmp(rr.owner, n->origin) == 0 &&
            dns_rdata_unpack(r, len, rr.rdoff, rr.rdlen, rr.type, soa,
                             sizeof(soa), &soalen) == 0)
            return dns_notify_start(n, soa, soalen, rr.ttl, now);
    return TB_ENOENT;
}

uint64_t dns_notify_deadline(const struct dns_notify *n)
{
    uint64_t d = UINT64_MAX;

    for (size_t i = 0; i < n->n; i++)
        if (n->t[i].state == DNS_NOTIFY_PENDING && n->t[i].next < d)
            d = n->t[i].next;
    return d;
}

bool dns_notify_busy(const struct dns_notify *n)
{
    return dns_notify_deadline(n) != UINT64_MAX;
}

/* The NOTIFY for target (t): RFC 1996 3.7, the SOA in the answer. */
static size_t build(struct dns_notify *n, struct dns_notify_target *t,
                    uint8_t *out, size_t cap)
{
    struct dns_writer w;

    t->id = next_id(n);
    dns_writer_init(&w, out, cap, t->id,
                    (uint16_t)(DNS_OPCODE_NOTIFY << 11) | DNS_FLAG_AA);
    if (dns_writer_question(&w, n->origin, DNS_TYPE_SOA, n->rclass) != 0 ||
        dns_writer_rr(&w, n->origin, DNS_TYPE_SOA, n->rclass, n->ttl, n->soa,
                      n->soalen) != 0)
        return 0;
    return dns_writer_finish(&w);
}

size_t dns_notify_poll(struct dns_notify *n, uint64_t now, struct tb_addr *to,
                       uint8_t *out, size_t cap)
{
    for (size_t i = 0; i < n->n; i++) {
        struct dns_notify_target *t = &n->t[i];
        size_t len;

        if (t->state != DNS_NOTIFY_PENDING || t->next > now)
            continue;
        if (t->tries == DNS_NOTIFY_TRIES) {
            t->state = DNS_NOTIFY_FAILED;
            n->failed++;
            continue;
        }
        /* Room for the TSIG RR when there is a key. */
        if (t->key != NULL && cap <= DNS_TSIG_RR_MAX)
            return 0; /* (cap) too small: contract broken */
        len = build(n, t, out, t->key != NULL ? cap - DNS_TSIG_RR_MAX : cap);
        if (len == 0)
            return 0; /* (cap) too small: contract broken */
        n->unix_now =
            (uint64_t)((int64_t)(now / 1000000000ull) + n->unix_offset_s);
        if (t->key != NULL) {
            /* No way to sign: fail closed (never an unsigned NOTIFY to a
             * target configured with a key). */
            len = n->tsig_sign != NULL ? n->tsig_sign(t->tsig, t->key, out, len,
                                                      cap, n->unix_now)
                                       : 0;
            if (len == 0) {
                t->state = DNS_NOTIFY_FAILED;
                n->failed++;
                continue;
            }
        }
        /* RFC 1996 3.6: retry, with the interval doubling each time. */
        t->next = now + (DNS_NOTIFY_RTO_NS << t->tries);
        t->tries++;
        n->sent++;
        *to = t->addr;
        return len;
    }
    return 0;
}

static bool same_addr(const struct tb_addr *a, const struct tb_addr *b)
{
    return a->af == b->af && a->port == b->port &&
           memcmp(a->ip, b->ip, a->af == TB_AF_INET ? 4 : 16) == 0;
}

bool dns_notify_input(struct dns_notify *n, const struct tb_addr *from,
                      const uint8_t *msg, size_t len)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr q;

    if (dns_msg_parse(&m, msg, len) != 0 || !(m.flags & DNS_FLAG_QR) ||
        DNS_OPCODE(m.flags) != DNS_OPCODE_NOTIFY ||
        m.count[DNS_SEC_QUESTION] != 1)
        goto ignored;
    dns_rr_iter_init(&it, &m, DNS_SEC_QUESTION);
    if (!dns_rr_next(&it, &q) || q.type != DNS_TYPE_SOA ||
        q.rclass != n->rclass || q.owner_len != n->olen ||
        dns_name_cmp(q.owner, n->origin) != 0)
        goto ignored;
    for (size_t i = 0; i < n->n; i++) {
        struct dns_notify_target *t = &n->t[i];
        if (t->state == DNS_NOTIFY_PENDING && t->tries != 0 && t->id == m.id &&
            same_addr(&t->addr, from)) {
            /* RFC 8945 5.3.1: the response to a signed request MUST be
             * signed with the same key; anything else is not an answer
             * (the NOTIFY goes again).  Checked on a copy of the
             * exchange: a forged datagram must not end it for the real
             * answer (the context remembers a failure). */
            if (t->key != NULL) {
                struct dns_tsig_ctx c = *t->tsig;
                if (n->tsig_verify == NULL ||
                    n->tsig_verify(&c, msg, len, n->unix_now) !=
                        DNS_TSIG_VERIFIED)
                    goto ignored;
            }
            t->state = DNS_NOTIFY_ACKED;
            t->rcode = (uint8_t)DNS_RCODE(m.flags);
            n->acked++;
            return true;
        }
    }
ignored:
    n->ignored++;
    return false;
}
