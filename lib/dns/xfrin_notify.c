/*
 * xfrin_notify.c -- NOTIFY in (RFC 1996) for secondary zones, called by
 * the service core (srv.c) in any worker thread before the authoritative
 * engine sees the message; and the lookup of a name's secondary zone.
 *
 *   dns_srv_udp / TCP session --opcode NOTIFY--> dns_xfrin_notify_in:
 *     a primary of the zone: NOERROR AA + mark (xfrin.c refreshes now)
 *     anyone else:           REFUSED (RFC 1996 3.10: only from masters)
 *
 * The secondaries are read only (their origins and primaries do not
 * change after init); the mark is one atomic word per zone.
 */
#include <tibra/dns/xfrin.h>

static int by_origin(const void *a, const void *b)
{
    const struct dns_xfrin *x = *(const struct dns_xfrin *const *)a;
    const struct dns_xfrin *y = *(const struct dns_xfrin *const *)b;

    return dns_name_cmp(x->origin, y->origin);
}

void dns_xfrin_sort(struct dns_xfrin **zones, size_t n)
{
    /* Insertion sort: cold, and lib/ has no qsort in every target. */
    for (size_t i = 1; i < n; i++) {
        struct dns_xfrin *v = zones[i];
        size_t j = i;
        while (j > 0 && by_origin(&zones[j - 1], &v) > 0) {
            zones[j] = zones[j - 1];
            j--;
        }
        zones[j] = v;
    }
}

/* The secondary whose origin is exactly (name), or NULL. */
static struct dns_xfrin *exact(struct dns_xfrin *const *zones, size_t n,
                               const uint8_t *name)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = dns_name_cmp(name, zones[mid]->origin);
        if (c == 0)
            return zones[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

struct dns_xfrin *dns_xfrin_find(struct dns_xfrin *const *zones, size_t n,
                                 const uint8_t *name)
{
    unsigned labels = dns_name_labels(name);

    for (unsigned skip = 0; skip <= labels; skip++) {
        struct dns_xfrin *x = exact(zones, n, dns_name_skip(name, skip));
        if (x != NULL)
            return x;
    }
    return NULL;
}

static bool is_primary(const struct dns_xfrin *x, const struct tb_addr *peer)
{
    /* RFC 1996 3.10 checks the source address; the port is the
     * primary's choice (an ephemeral one, usually). */
    for (unsigned i = 0; peer != NULL && i < x->nprimary; i++)
        if (x->primary[i].af == peer->af &&
            memcmp(x->primary[i].ip, peer->ip, sizeof(peer->ip)) == 0)
            return true;
    return false;
}

size_t dns_xfrin_notify_in(struct dns_xfrin *const *zones, size_t n,
                           const struct tb_addr *peer, const uint8_t *q,
                           size_t qlen, uint8_t *resp, size_t cap, bool *marked)
{
    struct dns_query pq;
    struct dns_xfrin *x;
    uint16_t flags;
    bool ok;
    int rc;

    *marked = false;
    if (n == 0 || qlen < DNS_HDR_LEN ||
        DNS_OPCODE(tb_get16(q + 2)) != DNS_OPCODE_NOTIFY ||
        (tb_get16(q + 2) & DNS_FLAG_QR))
        return 0;
    rc = dns_query_parse(&pq, q, qlen);
    if (rc != 0 || pq.qdcount != 1 || pq.qclass != DNS_CLASS_IN ||
        pq.qtype != DNS_TYPE_SOA)
        return 0; /* malformed or not ours: the engine answers */
    x = exact(zones, n, pq.qname);
    if (x == NULL)
        return 0;
    if (pq.question_end > cap)
        return SIZE_MAX;
    ok = is_primary(x, peer);
    /* RFC 1996 4.7: the response echoes the question, QR and AA set. */
    memmove(resp, q, pq.question_end);
    flags = DNS_FLAG_QR | (uint16_t)(DNS_OPCODE_NOTIFY << 11) |
            (ok ? DNS_FLAG_AA | DNS_RCODE_NOERROR : DNS_RCODE_REFUSED);
    tb_put16(resp + 2, flags);
    tb_put16(resp + 4, 1);
    tb_put16(resp + 6, 0);
    tb_put16(resp + 8, 0);
    tb_put16(resp + 10, 0);
    if (ok) {
        __atomic_store_n(&x->notify_mark, 1, __ATOMIC_RELEASE);
        *marked = true;
    }
    return pq.question_end;
}
