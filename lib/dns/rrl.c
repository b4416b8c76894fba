/*
 * rrl.c -- response rate limiting (dns/srv.h): the last step of a UDP
 * response, so that spoofed queries cannot turn the server into an
 * amplifier.
 *
 *   dns_srv_udp() -> dns_auth_answer() -> dns_rrl_apply() -> driver sends
 *                                          pass | drop | slip (TC=1)
 *
 * Each response is charged to one bucket, found by a keyed hash of
 *
 *   +----+-----+------------------+---------------------------+
 *   | af | cat | client prefix    | name (lowercase wire)     |
 *   +----+-----+------------------+---------------------------+
 *     1    1     16 (masked)        qname / zone / delegation
 *
 * (the name as Knot and NSD choose it: the qname for answers, the zone
 * for NXDOMAIN and NODATA, so that random-subdomain queries share one
 * bucket per zone, the delegation for referrals, none for errors).  The
 * table is one fixed array probed at one slot; an entry holds the
 * bucket's GCRA state (the "theoretical arrival time": the bucket is
 * full when tat <= now, and a response is allowed while tat + interval
 * stays within burst of now) and a 32-bit tag of the key.  A different
 * key takes a slot over only when the slot's bucket is full again (it
 * holds nothing worth keeping); otherwise the two keys share the bucket
 * until it refills.  This fails closed: an unlucky client is limited
 * with its neighbour (and still gets the slipped, truncated answers)
 * rather than letting a flood reset its own bucket by colliding.  The
 * secret seed keeps anyone from choosing those neighbours.
 *
 * What it does not do: TCP (never limited), per-zone settings, logging,
 * or exempting clients by cookie (RFC 7873; a later step).
 */
#include <stddef.h>
#include <string.h>
#include <tibra/dns/srv.h>

struct dns_rrl_entry {
    uint64_t tat; /* ns: the bucket is full when tat <= now */
    uint32_t tag; /* high bits of the key's hash; 0 with tat 0: unused */
    uint32_t nlimited; /* responses over the limit (for slip) */
};

void dns_rrl_conf_default(struct dns_rrl_conf *c)
{
    memset(c, 0, sizeof(*c));
    c->slip = DNS_RRL_DEFAULT_SLIP;
    c->ipv4_prefix = DNS_RRL_DEFAULT_IPV4_PREFIX;
    c->ipv6_prefix = DNS_RRL_DEFAULT_IPV6_PREFIX;
    c->exempt_loopback = true;
    c->table_size = DNS_RRL_DEFAULT_TABLE_SIZE;
    c->shares = 1;
}

/* The table size in use: (n) rounded down to a power of two. */
static uint32_t entries(uint32_t n)
{
    uint32_t e = 1;

    while (e <= n / 2)
        e *= 2;
    return e;
}

size_t dns_rrl_memory(const struct dns_rrl_conf *c)
{
    if (c->rate == 0 || c->table_size == 0 || c->table_size > DNS_RRL_TABLE_MAX)
        return 0;
    return (size_t)entries(c->table_size) * sizeof(struct dns_rrl_entry);
}

int dns_rrl_init(struct dns_rrl *r, const struct dns_rrl_conf *c, uint64_t seed,
                 const struct tb_alloc *a)
{
    uint32_t shares = c->shares ? c->shares : 1;

    memset(r, 0, sizeof(*r));
    if (c->rate == 0 || c->table_size == 0 ||
        c->table_size > DNS_RRL_TABLE_MAX || c->ipv4_prefix < 1 ||
        c->ipv4_prefix > 32 || c->ipv6_prefix < 1 || c->ipv6_prefix > 128)
        return TB_EINVAL;
    size_t bytes = dns_rrl_memory(c);
    r->tab = tb_alloc(a, bytes);
    if (r->tab == NULL)
        return TB_ENOMEM;
    memset(r->tab, 0, bytes);
    r->mask = entries(c->table_size) - 1;
    r->slip = c->slip;
    /* Split over (shares) tables, each bucket refills (shares) times
     * slower: the sum over a client's tables is the configured rate. */
    r->interval_ns = 1000000000ull * shares / c->rate;
    if (r->interval_ns == 0)
        r->interval_ns = 1;
    r->burst_ns = (uint64_t)DNS_RRL_BURST_S * 1000000000ull;
    if (r->burst_ns < r->interval_ns)
        r->burst_ns = r->interval_ns; /* at least one response */
    r->seed = seed;
    r->ipv4_prefix = c->ipv4_prefix;
    r->ipv6_prefix = c->ipv6_prefix;
    r->exempt_loopback = c->exempt_loopback;
    r->a = a;
    return 0;
}

void dns_rrl_free(struct dns_rrl *r)
{
    if (r->tab != NULL)
        tb_free(r->a, r->tab, (size_t)(r->mask + 1) * sizeof(*r->tab));
    r->tab = NULL;
}

/*
 * Skips the name at (off) in (m, len) and returns the offset after it,
 * or 0 if it runs past the end.  A pointer ends it (2 bytes).
 */
static size_t skip_name(const uint8_t *m, size_t len, size_t off)
{
    while (off < len) {
        unsigned c = m[off];
        if (c == 0)
            return off + 1;
        if ((c & 0xc0) == 0xc0)
            return off + 2 <= len ? off + 2 : 0;
        if (c > DNS_LABEL_MAXLEN)
            return 0;
        off += 1 + c;
    }
    return 0;
}

/*
 * Lowercases ASCII A-Z in (p, n) eight bytes at a time (SWAR): for each
 * byte below 0x80, bit 7 of (b & 0x7f) + (0x80 - 'A') says b >= 'A' and of
 * (b & 0x7f) + (0x7f - 'Z') says b > 'Z'; their difference is "upper
 * case", and 0x80 >> 2 is the 0x20 that lowercases.  Label lengths (1-63)
 * are below 'A' and stay.  (n) is rounded up to 8: (p) has the room.
 */
static void lower8(uint8_t *p, size_t n)
{
    const uint64_t h = 0x8080808080808080ull, l7 = 0x7f7f7f7f7f7f7f7full;

    for (size_t i = 0; i < n; i += 8) {
        uint64_t x, b;
        memcpy(&x, p + i, 8);
        b = x & l7;
        uint64_t ge_a = b + 0x3f3f3f3f3f3f3f3full;
        uint64_t gt_z = b + 0x2525252525252525ull;
        uint64_t up = (ge_a ^ gt_z) & ~x & h;
        x |= up >> 2;
        memcpy(p + i, &x, 8);
    }
}

/*
 * Copies the name at (off) in (m, len), following compression pointers
 * (strictly backwards, a bounded number of hops), lowercased, into (out)
 * (DNS_NAME_MAXLEN + 8 bytes: lowercasing works in 8-byte words).
 * Returns its length, 0 on anything malformed (the response is ours, so
 * only a defect gets there: the bucket then just has no name).
 */
static size_t copy_name(const uint8_t *m, size_t len, size_t off, uint8_t *out)
{
    size_t n = 0;

    for (unsigned hops = 0; hops < 64 && off < len;) {
        /* The labels up to the end or a pointer are copied in one go. */
        size_t run = off;
        unsigned c;
        while (run < len && (c = m[run]) != 0 && (c & 0xc0) == 0) {
            if (c > DNS_LABEL_MAXLEN || run + 1 + c > len ||
                n + (run - off) + 1 + c + 1 > DNS_NAME_MAXLEN)
                return 0;
            run += 1 + c;
        }
        if (run >= len)
            return 0;
        memcpy(out + n, m + off, run - off);
        n += run - off;
        c = m[run];
        if (c == 0) {
            out[n] = 0;
            lower8(out, n + 1);
            return n + 1;
        }
        if ((c & 0xc0) != 0xc0 || run + 2 > len)
            return 0;
        size_t to = (size_t)tb_get16(m + run) & 0x3fff;
        if (to >= run)
            return 0;
        off = to;
        hops++;
    }
    return 0;
}

enum dns_rrl_cat dns_rrl_category(const uint8_t *resp, size_t len)
{
    if (len < DNS_HDR_LEN)
        return DNS_RRL_ERROR;
    uint16_t flags = tb_get16(resp + 2);
    unsigned rcode = DNS_RCODE(flags);
    if (rcode == DNS_RCODE_NXDOMAIN)
        return DNS_RRL_NXDOMAIN;
    if (rcode != DNS_RCODE_NOERROR)
        return DNS_RRL_ERROR;
    if (tb_get16(resp + 6) != 0)
        return DNS_RRL_ANSWER;
    if (!(flags & DNS_FLAG_AA) && tb_get16(resp + 8) != 0)
        return DNS_RRL_REFERRAL;
    return DNS_RRL_NODATA;
}

/* The end of the question section (DNS_HDR_LEN if there is none), or 0. */
static size_t question_end(const uint8_t *resp, size_t len)
{
    if (tb_get16(resp + 4) == 0)
        return DNS_HDR_LEN;
    size_t e = skip_name(resp, len, DNS_HDR_LEN);
    return e != 0 && e + 4 <= len ? e + 4 : 0;
}

static bool is_loopback(const struct tb_addr *a)
{
    static const uint8_t v6lo[16] = {[15] = 1};
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

    if (a->af == TB_AF_INET)
        return a->ip[0] == 127;
    return memcmp(a->ip, v6lo, 16) == 0 ||
           (memcmp(a->ip, mapped, 12) == 0 && a->ip[12] == 127);
}

/* Writes the first (bits) bits of (ip) into (out), the rest zero. */
static void mask_prefix(uint8_t *out, const uint8_t *ip, unsigned bits)
{
    unsigned whole = bits / 8;

    memcpy(out, ip, whole);
    if (bits % 8)
        out[whole] = ip[whole] & (uint8_t)(0xff00u >> (bits % 8));
}

/* Key bytes: af, category, the masked prefix, the name. */
struct key {
    uint8_t af, cat;
    uint8_t ip[16];
    uint8_t name[DNS_NAME_MAXLEN + 8]; /* + 8: lower8() works in words */
};

/* The client part of a key: (peer)'s prefix, and (cat). */
static void key_client(const struct dns_rrl *r, const struct tb_addr *peer,
                       uint8_t cat, struct key *k)
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

    memset(k, 0, offsetof(struct key, name));
    k->cat = cat;
    if (peer->af == TB_AF_INET6 && memcmp(peer->ip, mapped, 12) != 0) {
        k->af = TB_AF_INET6;
        mask_prefix(k->ip, peer->ip, r->ipv6_prefix);
    } else {
        /* IPv4, or IPv4-mapped from a dual-stack socket: the same client. */
        k->af = TB_AF_INET;
        mask_prefix(k->ip, peer->af == TB_AF_INET ? peer->ip : peer->ip + 12,
                    r->ipv4_prefix);
    }
}

static size_t make_key(const struct dns_rrl *r, const struct tb_addr *peer,
                       const uint8_t *resp, size_t len, size_t qend,
                       struct key *k)
{
    enum dns_rrl_cat cat = dns_rrl_category(resp, len);
    size_t nlen = 0;

    key_client(r, peer, (uint8_t)cat, k);
    if (cat == DNS_RRL_ANSWER) {
        if (tb_get16(resp + 4) != 0)
            nlen = copy_name(resp, len, DNS_HDR_LEN, k->name);
    } else if (cat != DNS_RRL_ERROR) {
        /* The owner of the first authority record: the zone's SOA or the
         * delegation's NS (no answers in these responses).  Else qname. */
        if (qend != 0 && qend < len && tb_get16(resp + 8) != 0)
            nlen = copy_name(resp, len, qend, k->name);
        if (nlen == 0 && tb_get16(resp + 4) != 0)
            nlen = copy_name(resp, len, DNS_HDR_LEN, k->name);
    }
    return offsetof(struct key, name) + nlen;
}

/*
 * The GCRA bucket of key (k, klen): true if it takes one more at (now)
 * (charged), else false with the over-limit count bumped in (*ep)->
 * nlimited (the bucket is not charged further: a flood does not push its
 * refill further away).
 */
static bool bucket_take(struct dns_rrl *r, const struct key *k, size_t klen,
                        uint64_t now, struct dns_rrl_entry **ep)
{
    uint64_t h = tb_hash64(k, klen, r->seed);
    struct dns_rrl_entry *e = &r->tab[h & r->mask];
    uint32_t tag = (uint32_t)(h >> 32) | 1; /* never 0: 0 is unused */

    *ep = e;
    if (e->tag != tag && e->tat <= now) {
        e->tag = tag; /* free, or full again: take it over */
        e->nlimited = 0;
    }
    uint64_t tat = e->tat > now ? e->tat : now;
    if (tat + r->interval_ns - now <= r->burst_ns) {
        e->tat = tat + r->interval_ns;
        return true;
    }
    e->nlimited++;
    return false;
}

bool dns_rrl_client(struct dns_rrl *r, const struct tb_addr *peer, uint64_t now)
{
    struct dns_rrl_entry *e;
    struct key k;

    if (r->exempt_loopback && is_loopback(peer))
        return true;
    key_client(r, peer, DNS_RRL_CAT_COUNT, &k); /* a category of its own */
    return bucket_take(r, &k, offsetof(struct key, name), now, &e);
}

size_t dns_rrl_apply(struct dns_rrl *r, const struct tb_addr *peer,
                     uint8_t *resp, size_t len, uint64_t now,
                     struct dns_srv_stats *st)
{
    struct key k;

    if (len < DNS_HDR_LEN || (r->exempt_loopback && is_loopback(peer)))
        return len;
    size_t qend = question_end(resp, len);
    struct dns_rrl_entry *e;

    if (bucket_take(r, &k, make_key(r, peer, resp, len, qend, &k), now, &e))
        return len;
    if (r->slip == 0 || e->nlimited % r->slip != 0 || qend == 0) {
        st->rrl_drop++;
        return 0;
    }
    /* RFC 1035 4.1.1: TC; the header and question only, as NSD and Knot
     * send it.  The RCODE stays: the client learns nothing new. */
    resp[2] |= DNS_FLAG_TC >> 8;
    memset(resp + 6, 0, 6); /* ANCOUNT, NSCOUNT, ARCOUNT */
    st->rrl_slip++;
    return qend;
}
