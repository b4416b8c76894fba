/*
 * test_store.c -- zones kept on a block device (lib/dns/store.c) over a
 * memory device: a copy and its journal survive a reopen; a crash at
 * every write of a sequence of puts, appends and time changes (the
 * write torn at several points, nothing written after it) leaves the
 * version acknowledged last or the one being written, never a mix, and
 * the store stays usable; a torn journal tail is cut and zeroed before
 * the next append; damaged copies and full devices are refused.
 */
#include "check.h"
#include "test_auth_util.h"
#include <tibra/dns/auth.h>
#include <tibra/dns/store.h>
#include <tibra/dns/update.h>

static const uint8_t ORIGIN[] = "\7example\4test";
static const uint8_t ORIGIN2[] = "\5other\4test";

/* ---- a memory device that can crash ----------------------------------- */

struct mdev {
    uint8_t *mem;
    uint64_t cap;
    unsigned writes; /* writes done */
    unsigned crash_at; /* 0: never; else the write (1-based) that is torn */
    size_t tear; /* bytes of the torn write that reach the device */
    bool dead; /* crashed: every later write fails, nothing written */
};

static int mread(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct mdev *m = ctx;
    if (off % 512 || len % 512 || off + len > m->cap)
        return TB_EINVAL;
    memcpy(buf, m->mem + off, len);
    return 0;
}

static int mwrite(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct mdev *m = ctx;
    if (off % 512 || len % 512 || off + len > m->cap)
        return TB_EINVAL;
    if (m->dead)
        return TB_EIO;
    m->writes++;
    if (m->crash_at != 0 && m->writes == m->crash_at) {
        memcpy(m->mem + off, buf, TB_MIN(m->tear, len));
        m->dead = true;
        return TB_EIO;
    }
    memcpy(m->mem + off, buf, len);
    return 0;
}

static void dev_init(struct dns_store_dev *d, struct mdev *m, uint64_t cap)
{
    memset(m, 0, sizeof(*m));
    m->mem = calloc(1, cap);
    m->cap = cap;
    d->capacity = cap;
    d->block_size = 512;
    d->read = mread;
    d->write = mwrite;
    d->ctx = m;
}

/* ---- zones and deltas ------------------------------------------------- */

/* Version (n) of the test zone: serial n, records w1..wn. */
static void version(struct dns_zone_src *z, uint32_t n)
{
    char text[8192];
    size_t len;
    struct dns_diag dg = {NULL, NULL, 0, 0};

    len = (size_t)snprintf(text, sizeof(text),
                           "$ORIGIN example.test.\n$TTL 300\n"
                           "@ SOA ns1 host %u 3600 900 604800 60\n"
                           "@ NS ns1\nns1 A 192.0.2.1\n",
                           n);
    for (uint32_t i = 1; i <= n; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "w%u A 192.0.2.%u\n", i, 10 + i);
    dns_zone_src_init(z, ORIGIN, &ta);
    if (dns_zone_parse(z, text, len, "t", NULL, &dg) != 0 ||
        dns_zone_check(z, &dg) != 0)
        abort();
}

static void other(struct dns_zone_src *z)
{
    static const char T[] = "$ORIGIN other.test.\n$TTL 60\n"
                            "@ SOA ns1 host 7 3600 900 604800 60\n"
                            "@ NS ns1\nns1 AAAA 2001:db8::1\n";
    struct dns_diag dg = {NULL, NULL, 0, 0};

    dns_zone_src_init(z, ORIGIN2, &ta);
    if (dns_zone_parse(z, T, strlen(T), "t", NULL, &dg) != 0 ||
        dns_zone_check(z, &dg) != 0)
        abort();
}

static void put_rr(struct tb_buf *b, const struct dns_zone_src *z,
                   const struct dns_zrr *r)
{
    uint8_t h[8];
    const uint8_t *o = z->data.data + r->owner;

    tb_put16(h, r->type);
    tb_put16(h + 2, r->rdlen);
    tb_put32(h + 4, r->ttl);
    tb_buf_append(b, o, dns_name_len(o));
    tb_buf_append(b, h, 8);
    tb_buf_append(b, z->data.data + r->rdata, r->rdlen);
}

static const struct dns_zrr *find_rr(const struct dns_zone_src *z,
                                     uint16_t type, const char *first_label)
{
    for (size_t i = 0; i < z->nrr; i++) {
        const uint8_t *o = z->data.data + z->rr[i].owner;
        if (z->rr[i].type == type &&
            (first_label == NULL ? dns_name_equal(o, z->origin)
                                 : (o[0] == strlen(first_label) &&
                                    memcmp(o + 1, first_label, o[0]) == 0)))
            return &z->rr[i];
    }
    abort();
}

/* The delta from version n - 1 to n: SOA(n-1) SOA(n) +wn, in (b). */
static void delta(struct tb_buf *b, struct dns_ixfr_delta *d, uint32_t n)
{
    struct dns_zone_src a, z;
    char label[16];

    version(&a, n - 1);
    version(&z, n);
    snprintf(label, sizeof(label), "w%u", n);
    tb_buf_init(b, &ta);
    put_rr(b, &a, find_rr(&a, DNS_TYPE_SOA, NULL));
    put_rr(b, &z, find_rr(&z, DNS_TYPE_SOA, NULL));
    put_rr(b, &z, find_rr(&z, DNS_TYPE_A, label));
    d->from = n - 1;
    d->to = n;
    d->nrrs = 3;
    d->rrs = b->data;
    d->len = b->len;
    dns_zone_src_free(&a);
    dns_zone_src_free(&z);
}

/* True when (x) and (y) hold the same records. */
static bool same(const struct dns_zone_src *x, const struct dns_zone_src *y)
{
    if (x->nrr != y->nrr)
        return false;
    for (size_t i = 0; i < x->nrr; i++) {
        const struct dns_zrr *a = &x->rr[i], *b = &y->rr[i];
        if (a->type != b->type || a->ttl != b->ttl || a->rdlen != b->rdlen ||
            !dns_name_equal(x->data.data + a->owner, y->data.data + b->owner) ||
            memcmp(x->data.data + a->rdata, y->data.data + b->rdata,
                   a->rdlen) != 0)
            return false;
    }
    return true;
}

/* Loads ORIGIN from a fresh open of (d) and checks it is version (n). */
static bool holds(const struct dns_store_dev *d, uint32_t n,
                  struct dns_store_meta *m)
{
    struct dns_store st;
    struct dns_zone_src z, want;
    bool ok;

    if (dns_store_open(&st, d, &ta) != 0)
        return false;
    ok = dns_store_load(&st, ORIGIN, &z, m, NULL) == 0;
    version(&want, n);
    ok = ok && m->serial == n && same(&z, &want);
    dns_zone_src_free(&z);
    dns_zone_src_free(&want);
    dns_store_close(&st);
    return ok;
}

/* ---- tests ------------------------------------------------------------ */

static void test_roundtrip(void)
{
    struct dns_store_dev d;
    struct mdev m;
    struct dns_store st;
    struct dns_zone_src z, o;
    struct dns_store_meta meta;
    struct tb_buf b;
    struct dns_ixfr_delta dl;

    dev_init(&d, &m, 4u << 20);
    REQUIRE(dns_store_open(&st, &d, &ta) == 0);
    CHECK_EQ(dns_store_generation(&st), 0);
    CHECK_EQ(dns_store_load(&st, ORIGIN, &z, &meta, NULL), TB_ENOENT);
    dns_zone_src_free(&z);
    version(&z, 1);
    REQUIRE(dns_store_put(&st, &z, 1000, 900, 64 << 10) == 0);
    dns_zone_src_free(&z);
    other(&o);
    REQUIRE(dns_store_put(&st, &o, 0, 0, 0) == 0);
    CHECK_EQ(dns_store_generation(&st), 2);
    for (uint32_t n = 2; n <= 4; n++) {
        delta(&b, &dl, n);
        CHECK_EQ(dns_store_append(&st, ORIGIN, &dl), 0);
        CHECK_EQ(dns_store_append(&st, ORIGIN2, &dl), TB_ENOSPC);
        tb_buf_free(&b);
    }
    dns_store_close(&st);

    CHECK(holds(&d, 4, &meta));
    CHECK_EQ(meta.entries, 3);
    CHECK_EQ(meta.expire_at, 1000);
    CHECK_EQ(meta.refreshed_at, 900);
    CHECK(!meta.journal_cut);

    /* The times change alone; the other zone is untouched. */
    REQUIRE(dns_store_open(&st, &d, &ta) == 0);
    CHECK_EQ(dns_store_times(&st, ORIGIN, 5000, 4000), 0);
    CHECK_EQ(dns_store_times(&st, (const uint8_t *)"\3not\4test", 1, 1),
             TB_ENOENT);
    /* an append without a load first finds the journal's end itself */
    delta(&b, &dl, 5);
    CHECK_EQ(dns_store_append(&st, ORIGIN, &dl), 0);
    tb_buf_free(&b);
    REQUIRE(dns_store_load(&st, ORIGIN2, &z, &meta, NULL) == 0);
    CHECK(same(&z, &o));
    CHECK_EQ(meta.serial, 7);
    dns_zone_src_free(&z);
    dns_store_close(&st);
    CHECK(holds(&d, 5, &meta));
    CHECK_EQ(meta.expire_at, 5000);
    CHECK_EQ(meta.entries, 4);

    /* A put (compaction) replaces copy and journal. */
    REQUIRE(dns_store_open(&st, &d, &ta) == 0);
    version(&z, 9);
    CHECK_EQ(dns_store_put(&st, &z, 7, 6, 4096), 0);
    dns_zone_src_free(&z);
    dns_store_close(&st);
    CHECK(holds(&d, 9, &meta));
    CHECK_EQ(meta.entries, 0);
    CHECK_EQ(meta.expire_at, 7);
    dns_zone_src_free(&o);
    free(m.mem);
}

/*
 * The sequence crashed at every write: from version 1 kept, appends
 * 2 and 3, a put of 6 (as a transfer would), a times change, append 7.
 * Each step's acknowledged state is what a reopen must find, or the
 * state the crashed step was making.
 */
static void test_crash_everywhere(void)
{
    const uint64_t cap = 1u << 20;
    struct dns_store_dev d;
    struct mdev m;
    uint8_t *base;
    unsigned total = 0, cases = 0;

    /* The base image: version 1 kept with a 16 KiB journal. */
    dev_init(&d, &m, cap);
    {
        struct dns_store st;
        struct dns_zone_src z;
        REQUIRE(dns_store_open(&st, &d, &ta) == 0);
        version(&z, 1);
        REQUIRE(dns_store_put(&st, &z, 100, 50, 16384) == 0);
        dns_zone_src_free(&z);
        dns_store_close(&st);
    }
    base = malloc(cap);
    memcpy(base, m.mem, cap);

    for (unsigned crash = 1;; crash++) {
        static const size_t tears[] = {0, 1, 512, 1024, 65536 - 512, 65536};
        bool reached = false;

        for (size_t t = 0; t < sizeof(tears) / sizeof(tears[0]); t++) {
            struct dns_store st;
            struct dns_store_meta meta;
            uint32_t acked = 1, next = 1; /* serials */
            int64_t acked_exp = 100, next_exp = 100;
            int step = 0, rc = 0;

            memcpy(m.mem, base, cap);
            m.writes = 0;
            m.crash_at = crash;
            m.tear = tears[t];
            m.dead = false;
            REQUIRE(dns_store_open(&st, &d, &ta) == 0);
            for (step = 0; step < 5 && rc == 0; step++) {
                struct tb_buf b;
                struct dns_ixfr_delta dl;
                struct dns_zone_src z;

                switch (step) {
                case 0:
                case 1:
                    next = acked + 1;
                    delta(&b, &dl, next);
                    rc = dns_store_append(&st, ORIGIN, &dl);
                    tb_buf_free(&b);
                    break;
                case 2:
                    next = 6;
                    next_exp = 200;
                    version(&z, 6);
                    rc = dns_store_put(&st, &z, 200, 150, 16384);
                    dns_zone_src_free(&z);
                    break;
                case 3:
                    next_exp = 300;
                    rc = dns_store_times(&st, ORIGIN, 300, 250);
                    break;
                case 4:
                    next = 7;
                    delta(&b, &dl, 7);
                    rc = dns_store_append(&st, ORIGIN, &dl);
                    tb_buf_free(&b);
                    break;
                }
                if (rc == 0) {
                    acked = next;
                    acked_exp = next_exp;
                }
            }
            dns_store_close(&st);
            if (rc == 0) /* the crash point is past the last write */
                break;
            reached = true;
            cases++;
            /* After the crash: the acknowledged state, or the next one. */
            m.crash_at = 0;
            m.dead = false;
            bool old = holds(&d, acked, &meta) && meta.expire_at == acked_exp;
            bool neu =
                !old && holds(&d, next, &meta) && meta.expire_at == next_exp;
            if (!old && !neu)
                fprintf(stderr,
                        "crash at write %u (tear %zu): neither %u "
                        "nor %u\n",
                        crash, tears[t], acked, next);
            CHECK(old || neu);
            /* ... and the store goes on: one more update lands. */
            REQUIRE(dns_store_open(&st, &d, &ta) == 0);
            {
                struct dns_zone_src z;
                struct tb_buf b;
                struct dns_ixfr_delta dl;
                uint32_t s;
                REQUIRE(dns_store_load(&st, ORIGIN, &z, &meta, NULL) == 0);
                s = meta.serial;
                dns_zone_src_free(&z);
                delta(&b, &dl, s + 1);
                CHECK_EQ(dns_store_append(&st, ORIGIN, &dl), 0);
                tb_buf_free(&b);
                dns_store_close(&st);
                CHECK(holds(&d, s + 1, &meta));
            }
        }
        if (!reached)
            break;
        total = crash;
    }
    CHECK(total >= 6); /* appends 2, puts 2 (+1 zeroing), times 1 */
    CHECK(cases >= 30);
    fprintf(stderr, "crash points %u, cases %u\n", total, cases);
    free(base);
    free(m.mem);
}

/* A torn last entry: cut at load, zeroed before the next append. */
static void test_torn_tail(void)
{
    struct dns_store_dev d;
    struct mdev m;
    struct dns_store st;
    struct dns_zone_src z;
    struct dns_store_meta meta;
    struct tb_buf b;
    struct dns_ixfr_delta dl;
    uint8_t *p;
    size_t jpos = 0;

    dev_init(&d, &m, 1u << 20);
    REQUIRE(dns_store_open(&st, &d, &ta) == 0);
    version(&z, 1);
    REQUIRE(dns_store_put(&st, &z, 1, 1, 8192) == 0);
    dns_zone_src_free(&z);
    delta(&b, &dl, 2);
    REQUIRE(dns_store_append(&st, ORIGIN, &dl) == 0);
    tb_buf_free(&b);
    dns_store_close(&st);
    /* Find the entry "TBJE" and write a torn copy of an entry after it. */
    for (size_t k = DNS_STORE_DATA_OFF; k + 4 < m.cap && jpos == 0; k += 512)
        if (memcmp(m.mem + k, "TBJE", 4) == 0)
            jpos = k;
    REQUIRE(jpos != 0);
    p = m.mem + jpos + 512;
    memcpy(p, m.mem + jpos, 40); /* a header and part of the records */
    tb_put32(p + 8, 2);
    tb_put32(p + 12, 3);
    CHECK(holds(&d, 2, &meta));
    CHECK_EQ(meta.entries, 1);
    /* the next append replaces the torn bytes */
    REQUIRE(dns_store_open(&st, &d, &ta) == 0);
    delta(&b, &dl, 3);
    CHECK_EQ(dns_store_append(&st, ORIGIN, &dl), 0);
    tb_buf_free(&b);
    dns_store_close(&st);
    CHECK(holds(&d, 3, &meta));
    CHECK_EQ(meta.entries, 2);
    /* A journal that fills up says so. */
    REQUIRE(dns_store_open(&st, &d, &ta) == 0);
    int rc = 0;
    uint32_t n;
    for (n = 4; n < 100 && rc == 0; n++) {
        delta(&b, &dl, n);
        rc = dns_store_append(&st, ORIGIN, &dl);
        tb_buf_free(&b);
    }
    CHECK_EQ(rc, TB_ENOSPC);
    dns_store_close(&st);
    CHECK(holds(&d, n - 2, &meta));
    free(m.mem);
}

static void test_damage(void)
{
    struct dns_store_dev d;
    struct mdev m;
    struct dns_store st;
    struct dns_zone_src z;
    struct dns_store_meta meta;

    /* geometry */
    dev_init(&d, &m, 64u << 10);
    CHECK_EQ(dns_store_open(&st, &d, &ta), TB_EINVAL);
    free(m.mem);
    /* a full device */
    dev_init(&d, &m, DNS_STORE_DATA_OFF + 4096);
    REQUIRE(dns_store_open(&st, &d, &ta) == 0);
    version(&z, 1);
    CHECK_EQ(dns_store_put(&st, &z, 1, 1, 8192), TB_ENOSPC);
    CHECK_EQ(dns_store_put(&st, &z, 1, 1, 0), 0);
    dns_zone_src_free(&z);
    dns_store_close(&st);
    /* a damaged copy: refused, not served */
    m.mem[DNS_STORE_DATA_OFF + 40] ^= 1;
    REQUIRE(dns_store_open(&st, &d, &ta) == 0);
    CHECK_EQ(dns_store_load(&st, ORIGIN, &z, &meta, NULL), TB_EMALF);
    CHECK_EQ(z.nrr, 0);
    dns_zone_src_free(&z);
    dns_store_close(&st);
    /* both superblocks damaged: an empty store */
    m.mem[100] ^= 1;
    REQUIRE(dns_store_open(&st, &d, &ta) == 0);
    CHECK_EQ(dns_store_generation(&st), 0);
    dns_store_close(&st);
    free(m.mem);
}

/* A compiled zone's records section back into a version. */
static void test_from_blob(void)
{
    struct dns_zone_src z, back;
    struct dns_diag dg = {NULL, NULL, 0, 0};
    struct tb_buf b;

    version(&z, 5);
    tb_buf_init(&b, &ta);
    REQUIRE(dns_zone_compile_flags(&z, &b, &dg, DNS_ZONE_COMPILE_RECORDS) == 0);
    CHECK_EQ(dns_zone_src_from_blob(&back, b.data, b.len, &ta), 0);
    CHECK(same(&z, &back));
    CHECK_EQ(dns_zone_src_serial(&back), 5);
    dns_zone_src_free(&back);
    b.data[b.len / 2] ^= 0x55; /* damaged: refused, or still a valid zone */
    int rc = dns_zone_src_from_blob(&back, b.data, b.len, &ta);
    CHECK(rc == 0 || rc == TB_EMALF);
    dns_zone_src_free(&back);
    tb_buf_free(&b);
    /* without the records section */
    tb_buf_init(&b, &ta);
    REQUIRE(dns_zone_compile_flags(&z, &b, &dg, 0) == 0);
    CHECK_EQ(dns_zone_src_from_blob(&back, b.data, b.len, &ta), TB_ENOENT);
    dns_zone_src_free(&back);
    tb_buf_free(&b);
    dns_zone_src_free(&z);
}

int main(void)
{
    RUN(test_from_blob);
    RUN(test_roundtrip);
    RUN(test_crash_everywhere);
    RUN(test_torn_tail);
    RUN(test_damage);
    return check_done();
}
