/*
 * test_update.c -- dynamic updates (lib/dns/update.c, RFC 2136/3007) and
 * the journal (lib/dns/journal.c): each prerequisite kind failing with
 * its RCODE and holding, each update operation, the SOA / CNAME / apex NS
 * rules, the zone checks on the result, TSIG and allow-update refusals,
 * the serial policies, and the journal written, replayed, and cut at
 * every byte of its last entry.
 */
#include <stdio.h>
#include <string.h>
#include <tibra/dns/update.h>
#include <tibra/hosted.h>

#include "check.h"

static const char ZONE[] = "$ORIGIN example.test.\n$TTL 300\n"
                           "@ SOA ns1 host 10 3600 900 604800 60\n"
                           "@ NS ns1\n@ NS ns2\n"
                           "ns1 A 192.0.2.1\nns2 A 192.0.2.2\n"
                           "www A 192.0.2.10\nwww A 192.0.2.11\n"
                           "alias CNAME www\n";
static const uint8_t ORIGIN[] = "\7example\4test";
static const uint64_t NOW = 1796313600; /* 2026-12-03 00:00:00 UTC */

static struct dns_zone_src cur;
static struct dns_tsig_key keys[2];
static struct dns_tsig_keyring kr;
static const uint8_t *allowed[1];
static struct dns_update_zone uz;

static void name(const char *txt, uint8_t *out)
{
    size_t n;
    REQUIRE(dns_name_from_text(txt, strlen(txt), ORIGIN, out, &n) == 0);
}

static void setup(void)
{
    struct dns_diag d = {NULL, NULL, 0, 0};
    uint8_t k1[DNS_NAME_MAXLEN], k2[DNS_NAME_MAXLEN];
    size_t n1, n2;

    dns_zone_src_init(&cur, ORIGIN, &tb_heap);
    REQUIRE(dns_zone_parse(&cur, ZONE, strlen(ZONE), "z", NULL, &d) == 0);
    REQUIRE(dns_zone_check(&cur, &d) == 0);
    REQUIRE(dns_name_from_text("upd-key.", 8, NULL, k1, &n1) == 0);
    REQUIRE(dns_name_from_text("other-key.", 10, NULL, k2, &n2) == 0);
    REQUIRE(dns_tsig_key_init(&keys[0], k1, n1, DNS_TSIG_HMAC_SHA256,
                              (const uint8_t *)"secret-one", 10) == 0);
    REQUIRE(dns_tsig_key_init(&keys[1], k2, n2, DNS_TSIG_HMAC_SHA256,
                              (const uint8_t *)"secret-two", 10) == 0);
    dns_tsig_keyring_init(&kr, keys, 2);
    allowed[0] = keys[0].name;
    uz = (struct dns_update_zone){ORIGIN, &cur, allowed, 1,
                                  DNS_SERIAL_INCREMENT};
}

/* An UPDATE being built: the zone section, then prerequisites (answer
 * section) and updates (authority section). */
struct msg {
    struct dns_writer w;
    uint8_t buf[4096];
    size_t len;
};

static void msg_start(struct msg *m)
{
    dns_writer_init(&m->w, m->buf, sizeof(m->buf), 0x1234,
                    DNS_OPCODE_UPDATE << 11);
    REQUIRE(dns_writer_question(&m->w, ORIGIN, DNS_TYPE_SOA, DNS_CLASS_IN) ==
            0);
}

static void rr(struct msg *m, enum dns_section sec, const char *owner,
               uint16_t type, uint16_t rclass, uint32_t ttl, const void *rd,
               uint16_t rdlen)
{
    uint8_t o[DNS_NAME_MAXLEN];
    name(owner, o);
    dns_writer_section(&m->w, sec);
    REQUIRE(dns_writer_rr(&m->w, o, type, rclass, ttl, rd, rdlen) == 0);
}

#define PRE(m, ...) rr(m, DNS_SEC_ANSWER, __VA_ARGS__)
#define UPD(m, ...) rr(m, DNS_SEC_AUTHORITY, __VA_ARGS__)

/* Finishes (m), signed with (key) (NULL: unsigned). */
static void msg_end(struct msg *m, const struct dns_tsig_key *key)
{
    struct dns_tsig_ctx ctx;

    m->len = dns_writer_finish(&m->w);
    if (key != NULL) {
        m->len = dns_tsig_sign_request(&ctx, key, m->buf, m->len,
                                       sizeof(m->buf), NOW);
        REQUIRE(m->len != 0);
    }
}

/* Runs (m) against the zone; the new version is left in (out). */
static unsigned run(struct msg *m, struct dns_update *u,
                    struct dns_zone_src *out)
{
    dns_update_run(u, &uz, 1, &kr, m->buf, m->len, NOW, out, &tb_heap);
    return u->rcode;
}

static bool has(const struct dns_zone_src *z, const char *owner, uint16_t type,
                const void *rd, size_t rdlen)
{
    uint8_t o[DNS_NAME_MAXLEN];
    name(owner, o);
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        if (r->type == type && dns_name_equal(dns_zrr_owner(z, r), o) &&
            (rd == NULL || (r->rdlen == rdlen &&
                            memcmp(dns_zrr_rdata(z, r), rd, rdlen) == 0)))
            return true;
    }
    return false;
}

#define NL(n) ((uint16_t)dns_name_len(n))

static const uint8_t A77[4] = {192, 0, 2, 77}, A10[4] = {192, 0, 2, 10},
                     A11[4] = {192, 0, 2, 11}, A99[4] = {192, 0, 2, 99};

/* One update signed with the allowed key: (rcode) expected. */
#define EXPECT(m, rcode, changed_)                                             \
    do {                                                                       \
        struct dns_update u_;                                                  \
        struct dns_zone_src o_;                                                \
        msg_end(m, &keys[0]);                                                  \
        CHECK_EQ(run(m, &u_, &o_), (rcode));                                   \
        CHECK_EQ(u_.changed, (changed_));                                      \
        dns_zone_src_free(&o_);                                                \
    } while (0)

static void test_add_and_serial(void)
{
    struct msg m;
    struct dns_update u;
    struct dns_zone_src out;

    msg_start(&m);
    UPD(&m, "new", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    msg_end(&m, &keys[0]);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_NOERROR);
    CHECK(u.changed);
    CHECK(has(&out, "new", DNS_TYPE_A, A77, 4));
    CHECK(has(&out, "www", DNS_TYPE_A, A10, 4));
    CHECK_EQ(u.serial, 11);
    CHECK_EQ(dns_zone_src_serial(&out), 11);
    CHECK_EQ(dns_zone_src_serial(&cur), 10); /* untouched */
    dns_zone_src_free(&out);

    /* The same record again: a duplicate, nothing changes. */
    msg_start(&m);
    UPD(&m, "www", DNS_TYPE_A, DNS_CLASS_IN, 300, A10, 4);
    EXPECT(&m, DNS_RCODE_NOERROR, false);
}

static void test_deletes(void)
{
    struct msg m;
    struct dns_update u;
    struct dns_zone_src out;

    /* Delete one RR, an RRset at the apex (NS: ignored), the SOA
     * (ignored), and a whole name. */
    msg_start(&m);
    UPD(&m, "www", DNS_TYPE_A, DNS_CLASS_NONE, 0, A10, 4);
    UPD(&m, "@", DNS_TYPE_NS, DNS_CLASS_ANY, 0, NULL, 0);
    UPD(&m, "@", DNS_TYPE_SOA, DNS_CLASS_ANY, 0, NULL, 0);
    UPD(&m, "ns2", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    msg_end(&m, &keys[0]);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_NOERROR);
    CHECK(!has(&out, "www", DNS_TYPE_A, A10, 4));
    CHECK(has(&out, "www", DNS_TYPE_A, A11, 4));
    CHECK(has(&out, "@", DNS_TYPE_NS, NULL, 0));
    CHECK(has(&out, "@", DNS_TYPE_SOA, NULL, 0));
    CHECK(!has(&out, "ns2", DNS_TYPE_A, NULL, 0));
    dns_zone_src_free(&out);

    /* Delete the whole apex: only SOA and NS stay. */
    msg_start(&m);
    UPD(&m, "@", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    EXPECT(&m, DNS_RCODE_NOERROR, false); /* nothing else there */

    /* The last apex NS is never deleted (RR by RR). */
    uint8_t ns1[DNS_NAME_MAXLEN], ns2[DNS_NAME_MAXLEN];
    name("ns1", ns1);
    name("ns2", ns2);
    msg_start(&m);
    UPD(&m, "@", DNS_TYPE_NS, DNS_CLASS_NONE, 0, ns1, NL(ns1));
    UPD(&m, "@", DNS_TYPE_NS, DNS_CLASS_NONE, 0, ns2, NL(ns2));
    msg_end(&m, &keys[0]);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_NOERROR);
    CHECK(!has(&out, "@", DNS_TYPE_NS, ns1, NL(ns1)));
    CHECK(has(&out, "@", DNS_TYPE_NS, ns2, NL(ns2)));
    dns_zone_src_free(&out);
}

static void test_cname_rules(void)
{
    struct msg m;
    uint8_t t[DNS_NAME_MAXLEN];

    /* Data beside a CNAME, a CNAME beside data: ignored. */
    msg_start(&m);
    UPD(&m, "alias", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    EXPECT(&m, DNS_RCODE_NOERROR, false);
    name("ns1", t);
    msg_start(&m);
    UPD(&m, "www", DNS_TYPE_CNAME, DNS_CLASS_IN, 300, t, NL(t));
    EXPECT(&m, DNS_RCODE_NOERROR, false);
    /* A CNAME replaces a CNAME. */
    struct dns_update u;
    struct dns_zone_src out;
    msg_start(&m);
    UPD(&m, "alias", DNS_TYPE_CNAME, DNS_CLASS_IN, 300, t, NL(t));
    msg_end(&m, &keys[0]);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_NOERROR);
    CHECK(has(&out, "alias", DNS_TYPE_CNAME, t, NL(t)));
    size_t n = 0;
    for (size_t i = 0; i < out.nrr; i++)
        n += out.rr[i].type == DNS_TYPE_CNAME;
    CHECK_EQ(n, 1);
    dns_zone_src_free(&out);
}

/* SOA rdata with (serial). */
static size_t soa(uint32_t serial, uint8_t *rd)
{
    size_t n = 0;
    name("ns1", rd);
    n += dns_name_len(rd);
    name("host", rd + n);
    n += dns_name_len(rd + n);
    tb_put32(rd + n, serial);
    for (int i = 1; i < 5; i++)
        tb_put32(rd + n + 4 * i, 60);
    return n + 20;
}

static void test_soa_rules(void)
{
    struct msg m;
    struct dns_update u;
    struct dns_zone_src out;
    uint8_t rd[128];
    size_t n = soa(500, rd);

    msg_start(&m);
    UPD(&m, "@", DNS_TYPE_SOA, DNS_CLASS_IN, 300, rd, (uint16_t)n);
    msg_end(&m, &keys[0]);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_NOERROR);
    CHECK_EQ(u.serial, 500); /* set by the update, not bumped again */
    dns_zone_src_free(&out);
    n = soa(9, rd);
    msg_start(&m);
    UPD(&m, "@", DNS_TYPE_SOA, DNS_CLASS_IN, 300, rd, (uint16_t)n);
    EXPECT(&m, DNS_RCODE_NOERROR, false); /* older: ignored */
}

static void test_prerequisites(void)
{
    struct msg m;
    struct dns_update u;
    struct dns_zone_src out;

    msg_start(&m); /* name in use: no */
    PRE(&m, "nothere", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    UPD(&m, "new", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    EXPECT(&m, DNS_RCODE_NXDOMAIN, false);
    msg_start(&m); /* name not in use: it is */
    PRE(&m, "www", DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL, 0);
    EXPECT(&m, DNS_RCODE_YXDOMAIN, false);
    msg_start(&m); /* RRset exists: no */
    PRE(&m, "www", DNS_TYPE_TXT, DNS_CLASS_ANY, 0, NULL, 0);
    EXPECT(&m, DNS_RCODE_NXRRSET, false);
    msg_start(&m); /* RRset does not exist: it does */
    PRE(&m, "www", DNS_TYPE_A, DNS_CLASS_NONE, 0, NULL, 0);
    EXPECT(&m, DNS_RCODE_YXRRSET, false);
    msg_start(&m); /* value-dependent: a subset is not equal */
    PRE(&m, "www", DNS_TYPE_A, DNS_CLASS_IN, 0, A10, 4);
    EXPECT(&m, DNS_RCODE_NXRRSET, false);
    msg_start(&m); /* one not there */
    PRE(&m, "www", DNS_TYPE_A, DNS_CLASS_IN, 0, A10, 4);
    PRE(&m, "www", DNS_TYPE_A, DNS_CLASS_IN, 0, A99, 4);
    EXPECT(&m, DNS_RCODE_NXRRSET, false);
    msg_start(&m); /* TTL not 0 */
    PRE(&m, "www", DNS_TYPE_A, DNS_CLASS_ANY, 5, NULL, 0);
    EXPECT(&m, DNS_RCODE_FORMERR, false);
    msg_start(&m); /* out of the zone */
    PRE(&m, "www.other.test.", DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL, 0);
    EXPECT(&m, DNS_RCODE_NOTZONE, false);

    /* Every kind holding (the exact set twice over: duplicates count
     * once), then the update is applied. */
    msg_start(&m);
    PRE(&m, "www", DNS_TYPE_ANY, DNS_CLASS_ANY, 0, NULL, 0);
    PRE(&m, "nothere", DNS_TYPE_ANY, DNS_CLASS_NONE, 0, NULL, 0);
    PRE(&m, "www", DNS_TYPE_A, DNS_CLASS_ANY, 0, NULL, 0);
    PRE(&m, "www", DNS_TYPE_TXT, DNS_CLASS_NONE, 0, NULL, 0);
    PRE(&m, "www", DNS_TYPE_A, DNS_CLASS_IN, 0, A11, 4);
    PRE(&m, "www", DNS_TYPE_A, DNS_CLASS_IN, 0, A10, 4);
    PRE(&m, "www", DNS_TYPE_A, DNS_CLASS_IN, 0, A11, 4);
    UPD(&m, "new", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    msg_end(&m, &keys[0]);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_NOERROR);
    CHECK(u.changed && has(&out, "new", DNS_TYPE_A, A77, 4));
    dns_zone_src_free(&out);
}

static void test_refusals(void)
{
    struct msg m;
    struct dns_update u;
    struct dns_zone_src out;
    uint8_t resp[1024];
    size_t len;

    /* Unsigned: REFUSED (allow-update needs a key). */
    msg_start(&m);
    UPD(&m, "new", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    msg_end(&m, NULL);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_REFUSED);
    CHECK(!u.changed);
    dns_zone_src_free(&out);
    /* A key of the key set, not allowed: REFUSED, answered signed. */
    msg_start(&m);
    UPD(&m, "new", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    msg_end(&m, &keys[1]);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_REFUSED);
    len = dns_update_reply(&u, m.buf, m.len, u.rcode, resp, sizeof(resp), NOW,
                           &kr);
    CHECK(len > DNS_HDR_LEN);
    CHECK_EQ(tb_get16(resp), 0x1234);
    CHECK_EQ(DNS_RCODE(tb_get16(resp + 2)), DNS_RCODE_REFUSED);
    CHECK_EQ(DNS_OPCODE(tb_get16(resp + 2)), DNS_OPCODE_UPDATE);
    CHECK_EQ(tb_get16(resp + 10), 1); /* the TSIG */
    dns_zone_src_free(&out);
    /* A key we do not have: NOTAUTH (BADKEY). */
    struct dns_tsig_key stranger;
    uint8_t sn[DNS_NAME_MAXLEN];
    size_t snl;
    REQUIRE(dns_name_from_text("stranger.", 9, NULL, sn, &snl) == 0);
    REQUIRE(dns_tsig_key_init(&stranger, sn, snl, DNS_TSIG_HMAC_SHA256,
                              (const uint8_t *)"x", 1) == 0);
    msg_start(&m);
    UPD(&m, "new", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    msg_end(&m, &stranger);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_NOTAUTH);
    dns_zone_src_free(&out);
    /* Another zone: NOTAUTH.  Two zone entries: FORMERR. */
    dns_writer_init(&m.w, m.buf, sizeof(m.buf), 1, DNS_OPCODE_UPDATE << 11);
    REQUIRE(dns_writer_question(&m.w, (const uint8_t *)"\5other\4test",
                                DNS_TYPE_SOA, DNS_CLASS_IN) == 0);
    EXPECT(&m, DNS_RCODE_NOTAUTH, false);
    msg_start(&m);
    REQUIRE(dns_writer_question(&m.w, ORIGIN, DNS_TYPE_SOA, DNS_CLASS_IN) == 0);
    EXPECT(&m, DNS_RCODE_FORMERR, false);
    /* Zone type not SOA: FORMERR; adding a meta type: FORMERR; an
     * update out of the zone: NOTZONE. */
    dns_writer_init(&m.w, m.buf, sizeof(m.buf), 1, DNS_OPCODE_UPDATE << 11);
    REQUIRE(dns_writer_question(&m.w, ORIGIN, DNS_TYPE_A, DNS_CLASS_IN) == 0);
    EXPECT(&m, DNS_RCODE_FORMERR, false);
    msg_start(&m);
    UPD(&m, "new", DNS_TYPE_ANY, DNS_CLASS_IN, 300, A77, 4);
    EXPECT(&m, DNS_RCODE_FORMERR, false);
    msg_start(&m);
    UPD(&m, "www.other.test.", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    EXPECT(&m, DNS_RCODE_NOTZONE, false);
    /* Garbage: FORMERR, and the reply is the header alone. */
    memset(m.buf, 0, 40);
    m.buf[2] = DNS_OPCODE_UPDATE << 3;
    m.buf[5] = 9;
    m.len = 40;
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_FORMERR);
    dns_zone_src_free(&out);
    CHECK_EQ(dns_update_reply(&u, m.buf, m.len, u.rcode, resp, sizeof(resp),
                              NOW, &kr),
             DNS_HDR_LEN);
}

static void test_zone_checks(void)
{
    struct msg m;
    uint8_t t[DNS_NAME_MAXLEN];

    /* A DNAME with a name below it fails dns_zone_check: REFUSED. */
    name("www", t);
    msg_start(&m);
    UPD(&m, "x.d", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    UPD(&m, "d", DNS_TYPE_DNAME, DNS_CLASS_IN, 300, t, NL(t));
    EXPECT(&m, DNS_RCODE_REFUSED, false);
}

static void test_serial_policy(void)
{
    CHECK_EQ(dns_serial_next(10, DNS_SERIAL_INCREMENT, NOW), 11);
    CHECK_EQ(dns_serial_next(0xffffffffu, DNS_SERIAL_INCREMENT, NOW), 1);
    CHECK_EQ(dns_serial_next(10, DNS_SERIAL_UNIXTIME, NOW), (uint32_t)NOW);
    CHECK_EQ(dns_serial_next((uint32_t)NOW + 5, DNS_SERIAL_UNIXTIME, NOW),
             (uint32_t)NOW + 6);
    CHECK_EQ(dns_serial_next(10, DNS_SERIAL_DATESERIAL, NOW), 2026120300u);
    CHECK_EQ(dns_serial_next(2026120307u, DNS_SERIAL_DATESERIAL, NOW),
             2026120308u);
    CHECK_EQ(dns_serial_next(2024022900u, DNS_SERIAL_DATESERIAL,
                             1709164800 + 86400), /* 2024-03-01 */
             2024030100u);
    /* Through an update. */
    struct msg m;
    struct dns_update u;
    struct dns_zone_src out;
    uz.policy = DNS_SERIAL_DATESERIAL;
    msg_start(&m);
    UPD(&m, "new", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    msg_end(&m, &keys[0]);
    CHECK_EQ(run(&m, &u, &out), DNS_RCODE_NOERROR);
    CHECK_EQ(u.serial, 2026120300u);
    dns_zone_src_free(&out);
    uz.policy = DNS_SERIAL_INCREMENT;
}

/* The delta from (a) to (b), as the driver journals it. */
static void delta(const struct dns_zone_src *a, const struct dns_zone_src *b,
                  struct tb_buf *j)
{
    struct tb_buf ba, bb, d;
    struct dns_diag dg = {NULL, NULL, 0, 0};
    struct dns_ixfr_delta dl;

    tb_buf_init(&ba, &tb_heap);
    tb_buf_init(&bb, &tb_heap);
    tb_buf_init(&d, &tb_heap);
    REQUIRE(dns_zone_compile_flags(a, &ba, &dg, DNS_ZONE_COMPILE_RECORDS) == 0);
    REQUIRE(dns_zone_compile_flags(b, &bb, &dg, DNS_ZONE_COMPILE_RECORDS) == 0);
    REQUIRE(dns_ixfr_diff(ba.data, ba.len, bb.data, bb.len, &d, &dl) == 0);
    dl.rrs = d.data;
    REQUIRE(dns_journal_entry(j, &dl) == 0);
    tb_buf_free(&ba);
    tb_buf_free(&bb);
    tb_buf_free(&d);
}

/* Replays journal (p, len) onto the zone; returns entries applied and
 * the next()'s last result in (*rc); the last version in (out). */
static unsigned replay(const uint8_t *p, size_t len, int *rc,
                       struct dns_zone_src *out, size_t *off)
{
    struct dns_ixfr_delta d;
    struct dns_zone_src v, next;
    unsigned n = 0;

    *off = 0;
    dns_zone_src_init(&v, ORIGIN, &tb_heap);
    CHECK(dns_journal_apply(&cur, &(struct dns_ixfr_delta){0}, &next, &tb_heap,
                            NULL) != 0);
    dns_zone_src_free(&next);
    /* (v) starts as a copy of the zone: apply an empty change. */
    dns_zone_src_free(&v);
    v = cur;
    bool own = false;
    while ((*rc = dns_journal_next(p, len, off, &d)) == 0) {
        if (dns_journal_apply(&v, &d, &next, &tb_heap, NULL) != 0) {
            dns_zone_src_free(&next);
            *rc = TB_ESEMANTIC;
            break;
        }
        if (own)
            dns_zone_src_free(&v);
        v = next;
        own = true;
        n++;
    }
    if (own)
        *out = v;
    else
        dns_zone_src_init(out, ORIGIN, &tb_heap);
    return n;
}

static void test_journal(void)
{
    struct tb_buf j;
    struct msg m;
    struct dns_update u1, u2;
    struct dns_zone_src v1, v2, r;
    uint8_t hdr[DNS_JOURNAL_HDR_LEN];
    size_t off, whole, first;
    int rc;

    /* Two updates, journaled. */
    msg_start(&m);
    UPD(&m, "new", DNS_TYPE_A, DNS_CLASS_IN, 300, A77, 4);
    UPD(&m, "www", DNS_TYPE_A, DNS_CLASS_NONE, 0, A10, 4);
    msg_end(&m, &keys[0]);
    REQUIRE(run(&m, &u1, &v1) == DNS_RCODE_NOERROR);
    uz.cur = &v1;
    msg_start(&m);
    UPD(&m, "new", DNS_TYPE_TXT, DNS_CLASS_IN, 300, "\3two", 4);
    msg_end(&m, &keys[0]);
    REQUIRE(run(&m, &u2, &v2) == DNS_RCODE_NOERROR);
    uz.cur = &cur;
    tb_buf_init(&j, &tb_heap);
    dns_journal_header(hdr);
    tb_buf_append(&j, hdr, sizeof(hdr));
    delta(&cur, &v1, &j);
    first = j.len;
    delta(&v1, &v2, &j);
    whole = j.len;

    CHECK_EQ(replay(j.data, whole, &rc, &r, &off), 2);
    CHECK_EQ(rc, TB_ENOENT);
    CHECK_EQ(off, whole);
    CHECK_EQ(dns_zone_src_serial(&r), 12);
    CHECK_EQ(r.nrr, v2.nrr);
    CHECK(has(&r, "new", DNS_TYPE_TXT, "\3two", 4));
    CHECK(has(&r, "new", DNS_TYPE_A, A77, 4));
    CHECK(!has(&r, "www", DNS_TYPE_A, A10, 4));
    dns_zone_src_free(&r);

    /* Cut at every byte of the last entry: the first replays, the tail
     * is torn, and the good part ends where the second began. */
    unsigned bad = 0;
    for (size_t cut = first + 1; cut < whole; cut++) {
        unsigned n = replay(j.data, cut, &rc, &r, &off);
        bad += n != 1 || rc != TB_ETRUNC || off != first ||
               dns_zone_src_serial(&r) != 11;
        dns_zone_src_free(&r);
    }
    CHECK_EQ(bad, 0);
    /* A flipped bit anywhere in the last entry: torn too. */
    for (size_t i = first; i < whole; i++) {
        j.data[i] ^= 0x10;
        unsigned n = replay(j.data, whole, &rc, &r, &off);
        bad += n != 1 || rc != TB_ETRUNC || off != first;
        dns_zone_src_free(&r);
        j.data[i] ^= 0x10;
    }
    CHECK_EQ(bad, 0);
    /* Not a journal. */
    j.data[0] = 'X';
    off = 0;
    struct dns_ixfr_delta d;
    CHECK_EQ(dns_journal_next(j.data, whole, &off, &d), TB_EMALF);
    j.data[0] = 'T';
    /* The second entry alone does not apply to the zone file (serial
     * 10, the entry's from 11): TB_ESEMANTIC, nothing applied. */
    memmove(j.data + DNS_JOURNAL_HDR_LEN, j.data + first, whole - first);
    CHECK_EQ(replay(j.data, DNS_JOURNAL_HDR_LEN + whole - first, &rc, &r, &off),
             0);
    CHECK_EQ(rc, TB_ESEMANTIC);
    dns_zone_src_free(&r);
    tb_buf_free(&j);
    dns_zone_src_free(&v1);
    dns_zone_src_free(&v2);
}

int main(void)
{
    setup();
    RUN(test_add_and_serial);
    RUN(test_deletes);
    RUN(test_cname_rules);
    RUN(test_soa_rules);
    RUN(test_prerequisites);
    RUN(test_refusals);
    RUN(test_zone_checks);
    RUN(test_serial_policy);
    RUN(test_journal);
    dns_zone_src_free(&cur);
    return check_done();
}
