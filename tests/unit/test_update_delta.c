/*
 * test_update_delta.c -- differential test of the O(change) update path
 * (lib/dns/update_set.c, issue 10): random update sequences and random
 * journal deltas applied beside the current version must give exactly
 * what the copy-based path they replaced gives -- the version copied,
 * changed record by record (RFC 2136 3.4.2 as update.c applies it), then
 * dns_zone_check() run on the whole result -- after every step:
 *
 *   - the same RCODE and "changed";
 *   - the same records, in the same order, byte for byte, TTLs included;
 *   - the same compiled blob (so every answer to every query is the one a
 *     full compile of those records gives);
 *   - a delta equal, as a set of records, to dns_ixfr_diff() of the two
 *     compiled versions, and one that dns_journal_apply() replays onto
 *     the previous version to the same records.
 *
 * The names and types are chosen to collide: CNAME beside data, DNAME
 * over existing names and names added below a DNAME, delegations with
 * glue, wildcards, empty non-terminals made and removed, owners written
 * in another case, TTL changes inside an RRset, duplicates.
 */
#include <stdio.h>
#include <string.h>
#include <tibra/dns/auth.h>
#include <tibra/dns/update.h>
#include <tibra/hosted.h>

#include "check.h"

static const uint8_t ORIGIN[] = "\7example\4test";
static const uint64_t NOW = 1796313600;

static struct dns_tsig_key key;
static struct dns_tsig_keyring kr;
static const uint8_t *allowed[1];

/* ---- the reference: the copy-based path ---------------------------------
 */

struct ref {
    struct dns_zone_src z;
    uint8_t *gone;
    size_t cap;
    bool changed, soa_set;
};

static bool rlive(const struct ref *r, size_t i)
{
    return !r->gone[i];
}

static void ref_init(struct ref *r, const struct dns_zone_src *cur)
{
    memset(r, 0, sizeof(*r));
    dns_zone_src_init(&r->z, cur->origin, &tb_heap);
    r->cap = cur->nrr + 4096;
    r->gone = calloc(1, r->cap);
    for (size_t i = 0; i < cur->nrr; i++) {
        const struct dns_zrr *x = &cur->rr[i];
        dns_zone_src_add(&r->z, dns_zrr_owner(cur, x), x->type, x->rclass,
                         x->ttl, dns_zrr_rdata(cur, x), x->rdlen, 0, 0);
    }
}

static void ref_add(struct ref *r, const uint8_t *o, uint16_t t, uint32_t ttl,
                    const uint8_t *rd, uint16_t n)
{
    if (r->z.nrr < r->cap)
        dns_zone_src_add(&r->z, o, t, DNS_CLASS_IN, ttl, rd, n, 0, 0);
    r->changed = true;
}

static size_t ref_find(const struct ref *r, const uint8_t *o, uint16_t t,
                       const uint8_t *rd, size_t n)
{
    for (size_t i = 0; i < r->z.nrr; i++) {
        const struct dns_zrr *x = &r->z.rr[i];
        if (rlive(r, i) && x->type == t &&
            dns_name_equal(dns_zrr_owner(&r->z, x), o) &&
            dns_rdata_cmp(t, dns_zrr_rdata(&r->z, x), x->rdlen, rd, n) == 0)
            return i;
    }
    return SIZE_MAX;
}

static bool ref_has(const struct ref *r, const uint8_t *o, uint16_t t,
                    bool not_type)
{
    for (size_t i = 0; i < r->z.nrr; i++) {
        const struct dns_zrr *x = &r->z.rr[i];
        if (!rlive(r, i) || !dns_name_equal(dns_zrr_owner(&r->z, x), o))
            continue;
        if (not_type) {
            const struct dns_rrtype *rt = dns_rrtype_get(x->type);
            if (x->type != t && !(rt != NULL && (rt->flags & DNS_RRT_DNSSEC)))
                return true;
        } else if (t == DNS_TYPE_ANY || x->type == t) {
            return true;
        }
    }
    return false;
}

static size_t ref_count(const struct ref *r, const uint8_t *o, uint16_t t)
{
    size_t n = 0;
    for (size_t i = 0; i < r->z.nrr; i++)
        n += rlive(r, i) && r->z.rr[i].type == t &&
             dns_name_equal(dns_zrr_owner(&r->z, &r->z.rr[i]), o);
    return n;
}

static void ref_del_rrset(struct ref *r, const uint8_t *o, uint16_t t)
{
    bool apex = dns_name_equal(o, ORIGIN);
    for (size_t i = 0; i < r->z.nrr; i++) {
        const struct dns_zrr *x = &r->z.rr[i];
        if (!rlive(r, i) || !dns_name_equal(dns_zrr_owner(&r->z, x), o))
            continue;
        if (t == DNS_TYPE_ANY
                ? !(apex && (x->type == DNS_TYPE_SOA || x->type == DNS_TYPE_NS))
                : x->type == t) {
            r->gone[i] = 1;
            r->changed = true;
        }
    }
}

static size_t ref_soa(const struct ref *r)
{
    for (size_t i = 0; i < r->z.nrr; i++)
        if (rlive(r, i) && r->z.rr[i].type == DNS_TYPE_SOA &&
            dns_name_equal(dns_zrr_owner(&r->z, &r->z.rr[i]), ORIGIN))
            return i;
    return SIZE_MAX;
}

/* One operation of an update section (RFC 2136 3.4.2, as update.c). */
struct op {
    uint8_t owner[DNS_NAME_MAXLEN];
    uint16_t type, rclass;
    uint32_t ttl;
    uint8_t rd[DNS_NAME_MAXLEN + 8];
    uint16_t rdlen;
};

static void ref_op(struct ref *r, const struct op *p)
{
    bool apex = dns_name_equal(p->owner, ORIGIN);
    size_t i;

    if (p->rclass == DNS_CLASS_ANY) {
        if (!(apex && (p->type == DNS_TYPE_SOA || p->type == DNS_TYPE_NS)))
            ref_del_rrset(r, p->owner, p->type);
        return;
    }
    if (p->rclass == DNS_CLASS_NONE) {
        if (apex && p->type == DNS_TYPE_NS &&
            ref_count(r, p->owner, DNS_TYPE_NS) <= 1)
            return;
        if ((i = ref_find(r, p->owner, p->type, p->rd, p->rdlen)) != SIZE_MAX) {
            r->gone[i] = 1;
            r->changed = true;
        }
        return;
    }
    if (p->type == DNS_TYPE_CNAME) {
        if (ref_has(r, p->owner, DNS_TYPE_CNAME, true))
            return;
        ref_del_rrset(r, p->owner, DNS_TYPE_CNAME);
    } else if (ref_has(r, p->owner, DNS_TYPE_CNAME, false)) {
        return;
    }
    if ((i = ref_find(r, p->owner, p->type, p->rd, p->rdlen)) != SIZE_MAX) {
        if (r->z.rr[i].ttl == p->ttl)
            return;
        r->gone[i] = 1;
    }
    ref_add(r, p->owner, p->type, p->ttl, p->rd, p->rdlen);
}

/* Serial +1, compaction, dns_zone_check: the reference's result. */
static int ref_finish(struct ref *r)
{
    struct dns_diag q = {NULL, NULL, 0, 0};
    size_t k = 0, s = ref_soa(r);

    if (s != SIZE_MAX) {
        uint8_t *rd = r->z.data.data + r->z.rr[s].rdata;
        size_t off = r->z.rr[s].rdlen - 20;
        tb_put32(rd + off, tb_get32(rd + off) + 1);
    }
    for (size_t i = 0; i < r->z.nrr; i++)
        if (rlive(r, i))
            r->z.rr[k++] = r->z.rr[i];
    r->z.nrr = k;
    return dns_zone_check(&r->z, &q);
}

static void ref_free(struct ref *r)
{
    free(r->gone);
    dns_zone_src_free(&r->z);
}

/* ---- random operations --------------------------------------------------
 */

static uint64_t rng = 0x2545f4914f6cdd1dull;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* Names that collide: wildcards, a delegation and its glue, DNAME
 * candidates with names below them, empty non-terminals. */
static const char *const NAMES[] = {
    "@",      "www",        "WWW",   "a",    "x.a",  "y.x.a", "*.a",     "*",
    "sub",    "ns.sub",     "c.sub", "d",    "*.d",  "e.d",   "f.e.d",   "mx",
    "alias",  "deep.ent.q", "ent.q", "q",    "ns1",  "B.Sub", "z.y.x.a", "host",
    "c.host", "*.host",     "dn",    "u.dn", "mail", "x",
};
#define NNAMES (sizeof(NAMES) / sizeof(NAMES[0]))

static void name(const char *txt, uint8_t *out)
{
    size_t n;
    REQUIRE(dns_name_from_text(txt, strlen(txt), ORIGIN, out, &n) == 0);
}

static void random_op(struct op *p)
{
    static const uint16_t types[] = {
        DNS_TYPE_A,     DNS_TYPE_A,  DNS_TYPE_A,     DNS_TYPE_AAAA,
        DNS_TYPE_CNAME, DNS_TYPE_MX, DNS_TYPE_NS,    DNS_TYPE_DNAME,
        DNS_TYPE_TXT,   DNS_TYPE_A,  DNS_TYPE_CNAME, DNS_TYPE_NS};
    unsigned k = rnd(10);
    uint8_t target[DNS_NAME_MAXLEN];

    memset(p, 0, sizeof(*p));
    name(NAMES[rnd(NNAMES)], p->owner);
    p->type = types[rnd(sizeof(types) / sizeof(types[0]))];
    p->ttl = rnd(4) == 0 ? 600 : 300;
    p->rclass = k < 6 ? DNS_CLASS_IN : k < 8 ? DNS_CLASS_NONE : DNS_CLASS_ANY;
    if (p->rclass == DNS_CLASS_ANY) {
        p->ttl = 0;
        if (rnd(3) == 0)
            p->type = DNS_TYPE_ANY;
        return;
    }
    if (p->rclass == DNS_CLASS_NONE)
        p->ttl = 0;
    name(NAMES[rnd(NNAMES)], target);
    switch (p->type) {
    case DNS_TYPE_A:
        p->rd[0] = 192;
        p->rd[1] = 0;
        p->rd[2] = 2;
        p->rd[3] = (uint8_t)rnd(4);
        p->rdlen = 4;
        break;
    case DNS_TYPE_AAAA:
        p->rd[0] = 0x20;
        p->rd[1] = 0x01;
        p->rd[15] = (uint8_t)rnd(3);
        p->rdlen = 16;
        break;
    case DNS_TYPE_MX:
        tb_put16(p->rd, (uint16_t)(10 * (1 + rnd(2))));
        p->rdlen = (uint16_t)(2 + dns_name_len(target));
        memcpy(p->rd + 2, target, dns_name_len(target));
        break;
    case DNS_TYPE_TXT:
        p->rd[0] = 1;
        p->rd[1] = (uint8_t)('a' + rnd(3));
        p->rdlen = 2;
        break;
    default: /* CNAME NS DNAME: a name */
        p->rdlen = (uint16_t)dns_name_len(target);
        memcpy(p->rd, target, p->rdlen);
    }
}

/* ---- comparing ----------------------------------------------------------
 */

static bool same_records(const struct dns_zone_src *a,
                         const struct dns_zone_src *b)
{
    if (a->nrr != b->nrr)
        return false;
    for (size_t i = 0; i < a->nrr; i++) {
        const struct dns_zrr *x = &a->rr[i], *y = &b->rr[i];
        size_t ol = dns_name_len(dns_zrr_owner(a, x));
        if (x->type != y->type || x->ttl != y->ttl || x->rdlen != y->rdlen ||
            x->rclass != y->rclass || ol != dns_name_len(dns_zrr_owner(b, y)) ||
            memcmp(dns_zrr_owner(a, x), dns_zrr_owner(b, y), ol) != 0 ||
            memcmp(dns_zrr_rdata(a, x), dns_zrr_rdata(b, y), x->rdlen) != 0)
            return false;
    }
    return true;
}

/* Prints the records of (a) and (b) side by side (on a mismatch). */
static void dump(const struct dns_zone_src *a, const struct dns_zone_src *b)
{
    char x[512], y[512];

    for (size_t i = 0; i < a->nrr || i < b->nrr; i++) {
        x[0] = y[0] = '\0';
        if (i < a->nrr)
            dns_zone_rr_to_text(a, &a->rr[i], x, sizeof(x));
        if (i < b->nrr)
            dns_zone_rr_to_text(b, &b->rr[i], y, sizeof(y));
        fprintf(stderr, "%c %-50s | %s\n", strcmp(x, y) ? '*' : ' ', x, y);
    }
}

static int compile(const struct dns_zone_src *z, struct tb_buf *b)
{
    struct dns_diag q = {NULL, NULL, 0, 0};
    tb_buf_init(b, &tb_heap);
    return dns_zone_compile_flags(z, b, &q, DNS_ZONE_COMPILE_RECORDS);
}

/* Splits a delta into its two halves, each as sorted record strings. */
struct half {
    const uint8_t *p[4096];
    size_t len[4096], n;
};

static int rec_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c != 0 ? c : (al < bl ? -1 : al > bl);
}

static void sort_half(struct half *h)
{
    for (size_t i = 1; i < h->n; i++)
        for (size_t j = i; j > 0 && rec_cmp(h->p[j - 1], h->len[j - 1], h->p[j],
                                            h->len[j]) > 0;
             j--) {
            const uint8_t *tp = h->p[j];
            size_t tl = h->len[j];
            h->p[j] = h->p[j - 1];
            h->len[j] = h->len[j - 1];
            h->p[j - 1] = tp;
            h->len[j - 1] = tl;
        }
}

static bool split(const struct dns_ixfr_delta *d, struct half *del,
                  struct half *add)
{
    size_t pos = 0;
    struct half *h = del;

    del->n = add->n = 0;
    for (uint32_t k = 0; k < d->nrrs; k++) {
        size_t nl = dns_name_len(d->rrs + pos), l;
        uint16_t type = tb_get16(d->rrs + pos + nl);
        l = nl + 8 + tb_get16(d->rrs + pos + nl + 2);
        if (k > 0 && type == DNS_TYPE_SOA &&
            dns_name_equal(d->rrs + pos, ORIGIN))
            h = add;
        if (h->n == 4096)
            return false;
        h->p[h->n] = d->rrs + pos;
        h->len[h->n++] = l;
        pos += l;
    }
    sort_half(del);
    sort_half(add);
    return pos == d->len;
}

static bool same_half(const struct half *a, const struct half *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (rec_cmp(a->p[i], a->len[i], b->p[i], b->len[i]) != 0)
            return false;
    return true;
}

static struct half h1, h2, h3, h4;

/* The delta (d) equals dns_ixfr_diff of the compiled (ob) and (nb). */
static bool same_delta(const struct dns_ixfr_delta *d, const struct tb_buf *ob,
                       const struct tb_buf *nb)
{
    struct tb_buf x;
    struct dns_ixfr_delta e;
    bool ok;

    tb_buf_init(&x, &tb_heap);
    if (dns_ixfr_diff(ob->data, ob->len, nb->data, nb->len, &x, &e) != 0)
        return false;
    e.rrs = x.data;
    ok = d->from == e.from && d->to == e.to && d->nrrs == e.nrrs &&
         split(d, &h1, &h2) && split(&e, &h3, &h4) && same_half(&h1, &h3) &&
         same_half(&h2, &h4);
    tb_buf_free(&x);
    return ok;
}

/* ---- the sequences ------------------------------------------------------
 */

static void load(struct dns_zone_src *z, const char *text)
{
    struct dns_diag d = {NULL, NULL, 0, 0};
    dns_zone_src_init(z, ORIGIN, &tb_heap);
    REQUIRE(dns_zone_parse(z, text, strlen(text), "z", NULL, &d) == 0);
    REQUIRE(dns_zone_check(z, &d) == 0);
}

static unsigned steps_ok, steps_refused, steps_nochange;

/* One random update against (*cur), checked against the reference; on
 * success (*cur) becomes the new version. */
static void one_update(struct dns_zone_src *cur)
{
    struct op ops[6];
    unsigned nops = 1 + rnd(6);
    struct dns_writer w;
    uint8_t msg[4096];
    size_t len;
    struct dns_tsig_ctx ctx;
    struct dns_update u;
    struct dns_update_zone uz = {ORIGIN, cur, allowed, 1, DNS_SERIAL_INCREMENT};
    struct dns_zone_src out, jout;
    struct tb_buf delta, ob, nb;
    struct dns_ixfr_delta dl;
    struct ref r;
    int rrc;

    dns_writer_init(&w, msg, sizeof(msg), 0x4242, DNS_OPCODE_UPDATE << 11);
    REQUIRE(dns_writer_question(&w, ORIGIN, DNS_TYPE_SOA, DNS_CLASS_IN) == 0);
    dns_writer_section(&w, DNS_SEC_AUTHORITY);
    for (unsigned k = 0; k < nops; k++) {
        random_op(&ops[k]);
        REQUIRE(dns_writer_rr(&w, ops[k].owner, ops[k].type, ops[k].rclass,
                              ops[k].ttl, ops[k].rd, ops[k].rdlen) == 0);
    }
    len = dns_writer_finish(&w);
    len = dns_tsig_sign_request(&ctx, &key, msg, len, sizeof(msg), NOW);
    REQUIRE(len != 0);

    tb_buf_init(&delta, &tb_heap);
    dns_update_run_delta(&u, &uz, 1, &kr, msg, len, NOW, &out, &delta, &dl,
                         &tb_heap);
    /* The reference, on a copy, with the records as the message carries
     * them (names in rdata compressed against earlier ones take their
     * case). */
    ref_init(&r, cur);
    {
        struct dns_msg m;
        struct dns_rr_iter it;
        struct dns_rr x;
        REQUIRE(dns_msg_parse(&m, msg, len) == 0);
        dns_rr_iter_init(&it, &m, DNS_SEC_AUTHORITY);
        for (unsigned k = 0; k < nops && dns_rr_next(&it, &x); k++) {
            size_t n = 0;
            if (x.rdlen != 0)
                REQUIRE(dns_rdata_unpack(m.buf, m.len, x.rdoff, x.rdlen, x.type,
                                         ops[k].rd, sizeof(ops[k].rd),
                                         &n) == 0);
            ops[k].rdlen = (uint16_t)n;
            dns_name_lower(ops[k].owner);
            ref_op(&r, &ops[k]);
        }
    }
    rrc = r.changed ? ref_finish(&r) : 0;
    if (u.changed != (r.changed && rrc == 0)) {
        fprintf(stderr, "diverged: %s\n", u.why);
        for (unsigned k = 0; k < nops; k++) {
            char t[512];
            dns_name_to_text(ops[k].owner, t, sizeof(t));
            fprintf(stderr, "op %s type %u class %u ttl %u\n", t, ops[k].type,
                    ops[k].rclass, ops[k].ttl);
        }
        dump(cur, cur);
    }
    CHECK_EQ(u.changed, r.changed && rrc == 0);
    CHECK_EQ(u.rcode, rrc == 0 ? DNS_RCODE_NOERROR : DNS_RCODE_REFUSED);
    if (u.rcode != DNS_RCODE_NOERROR || !u.changed) {
        steps_refused += u.rcode != DNS_RCODE_NOERROR;
        steps_nochange += u.rcode == DNS_RCODE_NOERROR;
        goto out;
    }
    steps_ok++;
    CHECK(same_records(&out, &r.z));
    if (!same_records(&out, &r.z)) {
        for (unsigned k = 0; k < nops; k++) {
            char t[512];
            dns_name_to_text(ops[k].owner, t, sizeof(t));
            fprintf(stderr, "op %s type %u class %u ttl %u\n", t, ops[k].type,
                    ops[k].rclass, ops[k].ttl);
        }
        dump(&out, &r.z);
    }
    /* The compiled forms: byte for byte, so every answer is equal. */
    REQUIRE(compile(cur, &ob) == 0);
    REQUIRE(compile(&out, &nb) == 0);
    {
        struct tb_buf rb;
        REQUIRE(compile(&r.z, &rb) == 0);
        CHECK(rb.len == nb.len && memcmp(rb.data, nb.data, nb.len) == 0);
        tb_buf_free(&rb);
    }
    dl.rrs = delta.data;
    CHECK(same_delta(&dl, &ob, &nb));
    /* The journal replays the delta onto the previous version. */
    CHECK_EQ(dns_journal_apply(cur, &dl, &jout, &tb_heap, NULL), 0);
    CHECK(same_records(&jout, &out));
    {
        struct tb_buf jb;
        REQUIRE(compile(&jout, &jb) == 0);
        CHECK(jb.len == nb.len && memcmp(jb.data, nb.data, nb.len) == 0);
        tb_buf_free(&jb);
    }
    dns_zone_src_free(&jout);
    tb_buf_free(&ob);
    tb_buf_free(&nb);
    dns_zone_src_free(cur);
    *cur = out;
    memset(&out, 0, sizeof(out));
out:
    ref_free(&r);
    dns_zone_src_free(&out);
    tb_buf_free(&delta);
}

static const char SEED_ZONE[] = "$ORIGIN example.test.\n$TTL 300\n"
                                "@ SOA ns1 host 10 3600 900 604800 60\n"
                                "@ NS ns1\n@ NS ns.sub\n"
                                "ns1 A 192.0.2.1\nwww A 192.0.2.10\n"
                                "sub NS ns.sub\nns.sub A 192.0.2.53\n"
                                "*.a A 192.0.2.5\nx.a TXT \"x\"\n"
                                "alias CNAME www\nmx MX 10 mail\n"
                                "mail A 192.0.2.25\ndn DNAME example.net.\n";

static void test_random_updates(void)
{
    struct dns_zone_src cur;

    load(&cur, SEED_ZONE);
    for (unsigned i = 0; i < 3000 && check_failed == 0; i++)
        one_update(&cur);
    fprintf(stderr,
            "random updates: %u applied, %u refused, %u without change; "
            "%zu records at the end\n",
            steps_ok, steps_refused, steps_nochange, cur.nrr);
    CHECK(steps_ok > 500 && steps_refused > 50);
    dns_zone_src_free(&cur);
}

/* The same against a zone of a few thousand names (binary searches of a
 * longer version, deletions far from the additions). */
static void test_random_updates_big(void)
{
    struct tb_buf t;
    struct dns_zone_src cur;
    char line[96];

    tb_buf_init(&t, &tb_heap);
    tb_buf_append(&t, SEED_ZONE, strlen(SEED_ZONE));
    for (unsigned i = 0; i < 3000; i++) {
        int n = snprintf(line, sizeof(line), "h%u.%c A 192.0.2.%u\n", i,
                         "abdhq"[i % 5], i % 250);
        tb_buf_append(&t, line, (size_t)n);
    }
    tb_buf_append(&t, "", 1);
    load(&cur, (const char *)t.data);
    tb_buf_free(&t);
    for (unsigned i = 0; i < 300 && check_failed == 0; i++)
        one_update(&cur);
    dns_zone_src_free(&cur);
}

/*
 * Random journal deltas (what an IXFR in builds too: xfrin_rx.c uses the
 * same set): deletions of present records, additions of anything,
 * duplicates and TTLs that differ inside an RRset included, against the
 * copy + dns_zone_check reference.
 */
static void test_random_deltas(void)
{
    struct dns_zone_src cur;
    unsigned applied = 0, refused = 0;

    load(&cur, SEED_ZONE);
    for (unsigned step = 0; step < 1500 && check_failed == 0; step++) {
        struct tb_buf b;
        struct dns_ixfr_delta d;
        struct dns_zone_src out, ref;
        struct dns_diag q = {NULL, NULL, 0, 0};
        uint32_t from = dns_zone_src_serial(&cur), nrrs = 0;
        unsigned ndel = rnd(4), nadd = rnd(5);
        size_t soa = SIZE_MAX;
        uint8_t *gone = calloc(1, cur.nrr + 1);
        int rc, rrc;

        for (size_t i = 0; i < cur.nrr; i++)
            if (cur.rr[i].type == DNS_TYPE_SOA)
                soa = i;
        REQUIRE(soa != SIZE_MAX);
        tb_buf_init(&b, &tb_heap);
        dns_zone_src_init(&ref, ORIGIN, &tb_heap);
#define PUT(o, t, ttl, rd, n)                                                  \
    do {                                                                       \
        uint8_t f_[8];                                                         \
        tb_put16(f_, (t));                                                     \
        tb_put16(f_ + 2, (uint16_t)(n));                                       \
        tb_put32(f_ + 4, (ttl));                                               \
        tb_buf_append(&b, (o), dns_name_len(o));                               \
        tb_buf_append(&b, f_, 8);                                              \
        tb_buf_append(&b, (rd), (n));                                          \
        nrrs++;                                                                \
    } while (0)
        PUT(dns_zrr_owner(&cur, &cur.rr[soa]), DNS_TYPE_SOA, cur.rr[soa].ttl,
            dns_zrr_rdata(&cur, &cur.rr[soa]), cur.rr[soa].rdlen);
        gone[soa] = 1;
        for (unsigned k = 0; k < ndel && cur.nrr > 1; k++) {
            size_t i = rnd((unsigned)cur.nrr);
            if (gone[i])
                continue;
            gone[i] = 1;
            PUT(dns_zrr_owner(&cur, &cur.rr[i]), cur.rr[i].type, cur.rr[i].ttl,
                dns_zrr_rdata(&cur, &cur.rr[i]), cur.rr[i].rdlen);
        }
        {
            uint8_t rd[600];
            uint16_t n = cur.rr[soa].rdlen;
            memcpy(rd, dns_zrr_rdata(&cur, &cur.rr[soa]), n);
            tb_put32(rd + n - 20, from + 1);
            PUT(dns_zrr_owner(&cur, &cur.rr[soa]), DNS_TYPE_SOA,
                cur.rr[soa].ttl, rd, n);
            for (size_t i = 0; i < cur.nrr; i++)
                if (!gone[i])
                    dns_zone_src_add(
                        &ref, dns_zrr_owner(&cur, &cur.rr[i]), cur.rr[i].type,
                        DNS_CLASS_IN, cur.rr[i].ttl,
                        dns_zrr_rdata(&cur, &cur.rr[i]), cur.rr[i].rdlen, 0, 0);
            dns_zone_src_add(&ref, dns_zrr_owner(&cur, &cur.rr[soa]),
                             DNS_TYPE_SOA, DNS_CLASS_IN, cur.rr[soa].ttl, rd, n,
                             0, 0);
        }
        for (unsigned k = 0; k < nadd; k++) {
            struct op p;
            do
                random_op(&p);
            while (p.rclass != DNS_CLASS_IN);
            if (rnd(3) == 0)
                dns_name_lower(p.owner);
            PUT(p.owner, p.type, p.ttl, p.rd, p.rdlen);
            dns_zone_src_add(&ref, p.owner, p.type, DNS_CLASS_IN, p.ttl, p.rd,
                             p.rdlen, 0, 0);
        }
#undef PUT
        d = (struct dns_ixfr_delta){from, from + 1, nrrs, b.data, b.len};
        rc = dns_journal_apply(&cur, &d, &out, &tb_heap, NULL);
        rrc = dns_zone_check(&ref, &q);
        CHECK_EQ(rc, rrc);
        if (rc == 0) {
            struct tb_buf x, y;
            CHECK(same_records(&out, &ref));
            REQUIRE(compile(&out, &x) == 0);
            REQUIRE(compile(&ref, &y) == 0);
            CHECK(x.len == y.len && memcmp(x.data, y.data, x.len) == 0);
            tb_buf_free(&x);
            tb_buf_free(&y);
            dns_zone_src_free(&cur);
            cur = out;
            memset(&out, 0, sizeof(out));
            applied++;
        } else {
            refused++;
        }
        dns_zone_src_free(&out);
        dns_zone_src_free(&ref);
        tb_buf_free(&b);
        free(gone);
    }
    fprintf(stderr, "random deltas: %u applied, %u refused\n", applied,
            refused);
    CHECK(applied > 300 && refused > 30);
    dns_zone_src_free(&cur);
}

int main(void)
{
    uint8_t k[DNS_NAME_MAXLEN];
    size_t n;

    if (dns_name_from_text("upd-key.", 8, NULL, k, &n) != 0 ||
        dns_tsig_key_init(&key, k, n, DNS_TSIG_HMAC_SHA256,
                          (const uint8_t *)"secret-one", 10) != 0)
        return 1;
    dns_tsig_keyring_init(&kr, &key, 1);
    allowed[0] = key.name;
    RUN(test_random_updates);
    RUN(test_random_updates_big);
    RUN(test_random_deltas);
    return check_done();
}
