/*
 * xfrin_rx.c -- the receiving side of one zone transfer: the messages of
 * an AXFR (RFC 5936) or IXFR (RFC 1995) stream, one at a time, into a
 * struct dns_zone_src (AXFR) or a netted set of deletions and additions
 * (IXFR), then the new version of the zone.
 *
 *   TCP bytes --xfrin.c (framing)--> xfr_rx_msg (per message) --> records
 *     --xfr_rx_build--> AXFR: dns_zone_src --dns_zone_check-->
 *                       IXFR: the netted delta applied beside the current
 *                       version (update_int.h: O(delta * log zone) up to
 *                       one merge) --> (xfrin.c: ZONE)
 *
 * Every message is checked (ID, QR, opcode QUERY, RCODE, TC, a question,
 * if any, for the zone and the type asked) and every answer record
 * (class IN, owner in the zone, rdata layout via dns_msg_parse and
 * dns_rdata_unpack, SOA only at the apex and only as framing).  It does
 * no I/O and keeps no time: xfrin.c owns timeouts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tibra/dns/serial.h>

#include "update_int.h"
#include "xfrin_int.h"

#define DEAD_FILE  0xffffu /* dns_zrr.file of a cancelled record */
#define OPT_DELETE 1u /* dns_zrr.file: a deletion that may find nothing */

bool xfr_soa_fields(const uint8_t *soa, size_t len, uint32_t *serial,
                    uint32_t *refresh, uint32_t *retry, uint32_t *expire)
{
    int a = dns_name_check(soa, len), b;

    if (a < 0)
        return false;
    b = dns_name_check(soa + a, len - (size_t)a);
    if (b < 0 || len - (size_t)a - (size_t)b != 20)
        return false;
    soa += a + b;
    *serial = tb_get32(soa);
    if (refresh)
        *refresh = tb_get32(soa + 4);
    if (retry)
        *retry = tb_get32(soa + 8);
    if (expire)
        *expire = tb_get32(soa + 12);
    return true;
}

struct dns_xfrin_rx *xfr_rx_new(const uint8_t *origin, uint16_t id,
                                uint16_t qtype, uint32_t ours,
                                uint64_t max_records, const struct tb_alloc *a)
{
    struct dns_xfrin_rx *rx = tb_alloc(a, sizeof(*rx));

    if (rx == NULL)
        return NULL;
    memset(rx, 0, offsetof(struct dns_xfrin_rx, soa1));
    rx->a = a;
    memcpy(rx->origin, origin, dns_name_len(origin));
    rx->id = id;
    rx->qtype = qtype;
    rx->ours = ours;
    rx->max_records = max_records;
    rx->phase = XRX_FIRST;
    rx->incremental = false; /* after soa1: not zeroed above */
    rx->msg[0] = '\0';
    dns_zone_src_init(&rx->z, origin, a);
    memset(&rx->add, 0, sizeof(rx->add));
    memset(&rx->del, 0, sizeof(rx->del));
    dns_zone_src_init(&rx->add.z, origin, a);
    dns_zone_src_init(&rx->del.z, origin, a);
    return rx;
}

static void set_free(struct xfr_set *s)
{
    dns_zone_src_free(&s->z);
    if (s->slot != NULL)
        tb_free(s->z.a, s->slot, s->cap * sizeof(*s->slot));
    s->slot = NULL;
}

void xfr_rx_free(struct dns_xfrin_rx *rx)
{
    if (rx == NULL)
        return;
    dns_zone_src_free(&rx->z);
    set_free(&rx->add);
    set_free(&rx->del);
    tb_free(rx->a, rx, sizeof(*rx));
}

static int fail(struct dns_xfrin_rx *rx, int r, const char *why)
{
    size_t n = strlen(why);

    if (n >= sizeof(rx->msg))
        n = sizeof(rx->msg) - 1;
    memcpy(rx->msg, why, n);
    rx->msg[n] = '\0';
    rx->phase = XRX_DONE;
    return r;
}

/* ---- IXFR record sets ------------------------------------------------ */

/* Hash of a record: owner (lowercased) and type, and the rdata for types
 * whose canonical form is the bytes themselves (RFC 4034 6.2). */
static uint64_t rr_hash(const uint8_t *owner, uint16_t type, const uint8_t *rd,
                        size_t rdlen)
{
    uint8_t key[DNS_NAME_MAXLEN + 2];
    size_t n = dns_name_len(owner);
    const struct dns_rrtype *t = dns_rrtype_get(type);
    uint64_t h;

    memcpy(key, owner, n);
    dns_name_lower(key);
    tb_put16(key + n, type);
    h = tb_hash64(key, n + 2, 0x9e3779b97f4a7c15ull);
    if (t != NULL && !(t->flags & DNS_RRT_CANON))
        h = tb_hash64(rd, rdlen, h);
    return h;
}

static bool rr_equal(const struct dns_zone_src *z, const struct dns_zrr *r,
                     const uint8_t *owner, uint16_t type, const uint8_t *rd,
                     size_t rdlen)
{
    return r->type == type && r->file != DEAD_FILE &&
           dns_name_equal(dns_zrr_owner(z, r), owner) &&
           dns_rdata_cmp(type, dns_zrr_rdata(z, r), r->rdlen, rd, rdlen) == 0;
}

/* Slot of the record equal to (owner, type, rd) in (s), or of the empty
 * slot where it would go. */
static size_t set_probe(const struct xfr_set *s, const uint8_t *owner,
                        uint16_t type, const uint8_t *rd, size_t rdlen)
{
    size_t h = (size_t)rr_hash(owner, type, rd, rdlen) & (s->cap - 1);

    while (s->slot[h] != 0) {
        const struct dns_zrr *r = &s->z.rr[s->slot[h] - 1];
        if (rr_equal(&s->z, r, owner, type, rd, rdlen))
            return h;
        h = (h + 1) & (s->cap - 1);
    }
    return h;
}

static int set_grow(struct xfr_set *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 64;
    uint32_t *ns = tb_alloc(s->z.a, ncap * sizeof(*ns));

    if (ns == NULL)
        return TB_ENOMEM;
    memset(ns, 0, ncap * sizeof(*ns));
    for (size_t i = 0; i < s->z.nrr; i++) {
        const struct dns_zrr *r = &s->z.rr[i];
        size_t h;
        if (r->file == DEAD_FILE)
            continue;
        h = (size_t)rr_hash(dns_zrr_owner(&s->z, r), r->type,
                            dns_zrr_rdata(&s->z, r), r->rdlen) &
            (ncap - 1);
        while (ns[h] != 0)
            h = (h + 1) & (ncap - 1);
        ns[h] = (uint32_t)i + 1;
    }
    if (s->slot != NULL)
        tb_free(s->z.a, s->slot, s->cap * sizeof(*s->slot));
    s->slot = ns;
    s->cap = ncap;
    return 0;
}

/* Removes the record equal to the given one; true if there was one. */
static bool set_remove(struct xfr_set *s, const uint8_t *owner, uint16_t type,
                       const uint8_t *rd, size_t rdlen, uint16_t *flag)
{
    size_t h, j;

    if (s->cap == 0)
        return false;
    h = set_probe(s, owner, type, rd, rdlen);
    if (s->slot[h] == 0)
        return false;
    *flag = s->z.rr[s->slot[h] - 1].file;
    s->z.rr[s->slot[h] - 1].file = DEAD_FILE;
    s->live--;
    /* Backward-shift deletion keeps every probe chain intact. */
    s->slot[h] = 0;
    j = h;
    for (;;) {
        size_t home;
        const struct dns_zrr *r;
        j = (j + 1) & (s->cap - 1);
        if (s->slot[j] == 0)
            break;
        r = &s->z.rr[s->slot[j] - 1];
        home = (size_t)rr_hash(dns_zrr_owner(&s->z, r), r->type,
                               dns_zrr_rdata(&s->z, r), r->rdlen) &
               (s->cap - 1);
        /* Move j to h unless its home lies cyclically in (h, j]. */
        if ((h < j) ? (home <= h || home > j) : (home <= h && home > j)) {
            s->slot[h] = s->slot[j];
            s->slot[j] = 0;
            h = j;
        }
    }
    return true;
}

/* Inserts a record unless an equal one is there (its flag is raised to
 * (flag) if lower... kept simple: a present record stays as it is). */
static int set_insert(struct xfr_set *s, const uint8_t *owner, uint16_t type,
                      uint32_t ttl, const uint8_t *rd, size_t rdlen,
                      uint16_t flag, uint32_t line)
{
    size_t h;
    int rc;

    if ((s->live + 1) * 2 > s->cap && (rc = set_grow(s)) != 0)
        return rc;
    h = set_probe(s, owner, type, rd, rdlen);
    if (s->slot[h] != 0)
        return 0;
    if (s->z.nrr >= UINT32_MAX - 1)
        return TB_ERANGE;
    rc = dns_zone_src_add(&s->z, owner, type, DNS_CLASS_IN, ttl, rd,
                          (uint16_t)rdlen, flag, line);
    if (rc != 0)
        return rc;
    s->slot[h] = (uint32_t)s->z.nrr;
    s->live++;
    return 0;
}

/* RFC 1995: a deletion cancels an earlier addition of this transfer; an
 * addition cancels an earlier deletion.  A deletion that cancelled an
 * addition may find nothing in the zone (the record may have been new). */
static int ixfr_record(struct dns_xfrin_rx *rx, bool del, const uint8_t *owner,
                       uint16_t type, uint32_t ttl, const uint8_t *rd,
                       size_t rdlen)
{
    uint16_t flag = 0;
    uint32_t line = (uint32_t)rx->nrr;

    if (del) {
        bool was_added = set_remove(&rx->add, owner, type, rd, rdlen, &flag);
        return set_insert(&rx->del, owner, type, ttl, rd, rdlen,
                          was_added ? OPT_DELETE : 0, line);
    }
    set_remove(&rx->del, owner, type, rd, rdlen, &flag);
    return set_insert(&rx->add, owner, type, ttl, rd, rdlen, 0, line);
}

/* ---- messages -------------------------------------------------------- */

/* One answer record (owner, type, ttl, rd) in stream order. */
static int record(struct dns_xfrin_rx *rx, const uint8_t *owner, uint16_t type,
                  uint32_t ttl, const uint8_t *rd, size_t rdlen)
{
    bool soa = type == DNS_TYPE_SOA;
    uint32_t serial = 0;
    int rc = 0;

    if (soa && !dns_name_equal(owner, rx->origin))
        return fail(rx, XRX_R_FAIL, "an SOA record below the zone's apex");
    if (soa && !xfr_soa_fields(rd, rdlen, &serial, NULL, NULL, NULL))
        return fail(rx, XRX_R_FAIL, "a malformed SOA record");
    if (rx->max_records != 0 && rx->nrr >= rx->max_records)
        return fail(rx, XRX_R_FAIL, "zone exceeds zone-max-records");
    rx->nrr++;
    switch (rx->phase) {
    case XRX_FIRST:
        if (!soa)
            return fail(rx, XRX_R_FAIL,
                        "the transfer does not start with "
                        "the zone's SOA");
        memcpy(rx->soa1, rd, rdlen);
        rx->soa1_len = rdlen;
        rx->soa1_ttl = ttl;
        rx->last = serial;
        if (rx->qtype == DNS_TYPE_AXFR) {
            rx->phase = XRX_AXFR;
            return dns_zone_src_add(&rx->z, owner, type, DNS_CLASS_IN, ttl, rd,
                                    (uint16_t)rdlen, 0, (uint32_t)rx->nrr);
        }
        rx->phase = XRX_SECOND;
        return 0;
    case XRX_SECOND:
        if (soa && serial == rx->ours && serial != rx->last) {
            /* RFC 1995 4: incremental; this SOA opens the first delta. */
            rx->incremental = true;
            rx->ver = serial;
            rx->phase = XRX_DEL;
            return ixfr_record(rx, true, owner, type, ttl, rd, rdlen);
        }
        /* AXFR-style answer to an IXFR: the first SOA was the zone's. */
        rc = dns_zone_src_add(&rx->z, owner, DNS_TYPE_SOA, DNS_CLASS_IN,
                              rx->soa1_ttl, rx->soa1, (uint16_t)rx->soa1_len, 0,
                              1);
        if (rc != 0)
            return rc;
        rx->phase = XRX_AXFR;
        /* FALLTHROUGH */
    case XRX_AXFR:
        if (soa) {
            if (serial != rx->last)
                return fail(rx, XRX_R_FAIL,
                            "the closing SOA's serial differs "
                            "from the opening one");
            rx->phase = XRX_DONE;
            return 0;
        }
        return dns_zone_src_add(&rx->z, owner, type, DNS_CLASS_IN, ttl, rd,
                                (uint16_t)rdlen, 0, (uint32_t)rx->nrr);
    case XRX_DEL:
        if (soa) {
            if (!dns_serial_newer(serial, rx->ver))
                return fail(rx, XRX_R_FALLBACK,
                            "an IXFR delta does not "
                            "increase the serial");
            rx->ver = serial;
            rx->phase = XRX_ADD;
        }
        return ixfr_record(rx, !soa, owner, type, ttl, rd, rdlen);
    case XRX_ADD:
        if (soa) {
            if (serial == rx->last && rx->ver == rx->last) {
                rx->phase = XRX_DONE;
                return 0;
            }
            if (serial != rx->ver)
                return fail(rx, XRX_R_FALLBACK,
                            "an IXFR delta starts at "
                            "another serial");
            rx->phase = XRX_DEL;
            return ixfr_record(rx, true, owner, type, ttl, rd, rdlen);
        }
        return ixfr_record(rx, false, owner, type, ttl, rd, rdlen);
    default:
        return fail(rx, XRX_R_FAIL, "records after the closing SOA");
    }
}

/* The header and question of a transfer message. */
static int check_header(struct dns_xfrin_rx *rx, const struct dns_msg *m)
{
    struct dns_rr_iter it;
    struct dns_rr q;
    unsigned rcode = DNS_RCODE(m->flags);

    if (m->id != rx->id)
        return fail(rx, XRX_R_FAIL, "a message with another ID");
    if (!(m->flags & DNS_FLAG_QR) || DNS_OPCODE(m->flags) != DNS_OPCODE_QUERY)
        return fail(rx, XRX_R_FAIL, "not a response to our query");
    if (rcode != DNS_RCODE_NOERROR) {
        /* RFC 1995 and practice: a primary without IXFR answers NOTIMP,
         * FORMERR or REFUSED; ask for the whole zone instead. */
        if (rx->qtype == DNS_TYPE_IXFR && rx->nmsg == 0)
            return fail(rx, XRX_R_FALLBACK,
                        "IXFR answered with an error "
                        "RCODE");
        return fail(
            rx, XRX_R_FAIL,
            rcode == DNS_RCODE_REFUSED   ? "transfer refused by the primary"
            : rcode == DNS_RCODE_NOTAUTH ? "the primary is not authoritative "
                                           "(NOTAUTH)"
                                         : "the primary answered an error "
                                           "RCODE");
    }
    if (m->flags & DNS_FLAG_TC)
        return fail(rx, XRX_R_FAIL, "a truncated transfer message");
    if (m->count[DNS_SEC_QUESTION] > 1)
        return fail(rx, XRX_R_FAIL, "more than one question");
    if (m->count[DNS_SEC_QUESTION] == 1) {
        dns_rr_iter_init(&it, m, DNS_SEC_QUESTION);
        dns_rr_next(&it, &q);
        if (!dns_name_equal(q.owner, rx->origin) || q.type != rx->qtype ||
            q.rclass != DNS_CLASS_IN)
            return fail(rx, XRX_R_FAIL, "the question is not the one asked");
    } else if (rx->nmsg == 0 && rx->qtype == DNS_TYPE_IXFR) {
        /* RFC 5936 2.2.1 allows the question in later messages only
         * to be left out; the first must have it.  Accepted, as Knot
         * does, for AXFR; an IXFR's first message must echo it. */
        return fail(rx, XRX_R_FAIL, "the first message has no question");
    }
    return 0;
}

int xfr_rx_msg(struct dns_xfrin_rx *rx, const uint8_t *buf, size_t len)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t rdlen;
    int rc;

    if (rx->phase == XRX_DONE)
        return fail(rx, XRX_R_FAIL, "a message after the transfer ended");
    if (dns_msg_parse(&m, buf, len) != 0)
        return fail(rx, XRX_R_FAIL, "a malformed message");
    if ((rc = check_header(rx, &m)) != 0)
        return rc;
    rx->nmsg++;
    if (m.count[DNS_SEC_ANSWER] == 0)
        return fail(rx, XRX_R_FAIL, "a transfer message without records");
    dns_rr_iter_init(&it, &m, DNS_SEC_ANSWER);
    while (dns_rr_next(&it, &rr) && rr.section == DNS_SEC_ANSWER) {
        if (rx->phase == XRX_DONE)
            return fail(rx, XRX_R_FAIL, "records after the closing SOA");
        if (rr.rclass != DNS_CLASS_IN)
            return fail(rx, XRX_R_FAIL, "a record of another class");
        if (!dns_name_is_sub(rr.owner, rx->origin))
            return fail(rx, XRX_R_FAIL, "a record outside the zone");
        const struct dns_rrtype *t = dns_rrtype_get(rr.type);
        if (t != NULL && (t->flags & DNS_RRT_META))
            return fail(rx, XRX_R_FAIL, "a record of a meta type");
        if (dns_rdata_unpack(buf, len, rr.rdoff, rr.rdlen, rr.type, rx->rdbuf,
                             sizeof(rx->rdbuf), &rdlen) != 0 ||
            rdlen > DNS_RDATA_MAXLEN)
            return fail(rx, XRX_R_FAIL, "malformed rdata");
        rc = record(rx, rr.owner, rr.type, rr.ttl, rx->rdbuf, rdlen);
        if (rc == TB_ENOMEM)
            return fail(rx, XRX_R_FAIL, "out of memory");
        if (rc != 0)
            return rc;
    }
    if (rx->phase == XRX_DONE)
        return XRX_R_DONE;
    if (rx->phase == XRX_SECOND) {
        /* One SOA in a whole message: RFC 1995 4, "the client's version
         * is current" when not newer, else (a UDP-style answer) the
         * client must fetch the zone: ask for an AXFR. */
        if (!dns_serial_newer(rx->last, rx->ours))
            return XRX_R_UPTODATE;
        /* Newer: more messages may follow; a stream that ends here is
         * retried as an AXFR (xfrin.c). */
    }
    return 0;
}

/* ---- the new version ------------------------------------------------- */

static void report_first(void *ctx, int level, const char *file, unsigned line,
                         const char *msg)
{
    struct dns_xfrin_rx *rx = ctx;

    (void)file;
    if (level != DNS_DIAG_ERROR || rx->msg[0] != '\0')
        return;
    snprintf(rx->msg, sizeof(rx->msg), "record %u: %s", line, msg);
}

/* The IXFR's netted deletions and additions applied beside (cur) (no
 * copy of it, checks on the touched names: update_int.h). */
static int build_incremental(struct dns_xfrin_rx *rx,
                             const struct dns_zone_src *cur,
                             struct dns_zone_src *out, struct dns_diag *d)
{
    const struct dns_zone_src *del = &rx->del.z, *add = &rx->add.z;
    struct uset s;
    int rc;

    if (cur == NULL)
        return fail(rx, XRX_R_FALLBACK, "an IXFR and no zone to apply it to");
    if ((rc = uset_init(&s, cur, rx->a)) != 0)
        goto out;
    for (size_t i = 0; i < del->nrr; i++) {
        const struct dns_zrr *r = &del->rr[i];
        size_t h;
        if (r->file == DEAD_FILE)
            continue;
        h = uset_find(&s, dns_zrr_owner(del, r), r->type, dns_zrr_rdata(del, r),
                      r->rdlen);
        if (h == SIZE_MAX && r->file == 0) {
            uset_free(&s);
            return fail(rx, XRX_R_FALLBACK,
                        "an IXFR deletes a record the "
                        "zone does not have");
        }
        if (h != SIZE_MAX && (rc = uset_del(&s, h)) != 0)
            goto out;
    }
    for (size_t i = 0; i < add->nrr; i++) {
        const struct dns_zrr *r = &add->rr[i];
        if (r->file != DEAD_FILE &&
            (rc = uset_add(&s, dns_zrr_owner(add, r), r->type, r->ttl,
                           dns_zrr_rdata(add, r), r->rdlen)) != 0)
            goto out;
    }
    dns_zone_src_free(out);
    rc = uset_finish(&s, out, NULL, NULL, d);
out:
    uset_free(&s);
    return rc;
}

int xfr_rx_build(struct dns_xfrin_rx *rx, const struct dns_zone_src *cur,
                 struct dns_zone_src *out)
{
    struct dns_diag d = {report_first, rx, 0, 0};
    int rc;

    dns_zone_src_init(out, rx->origin, rx->a);
    if (!rx->incremental) {
        /* Move the AXFR's records: no copy. */
        dns_zone_src_free(out);
        *out = rx->z;
        dns_zone_src_init(&rx->z, rx->origin, rx->a);
        rc = dns_zone_check(out, &d);
    } else {
        rc = build_incremental(rx, cur, out, &d);
        if (rc > 0) {
            dns_zone_src_free(out);
            return rc; /* XRX_R_FALLBACK */
        }
    }
    if (rc != 0) {
        dns_zone_src_free(out);
        if (rx->msg[0] == '\0')
            snprintf(rx->msg, sizeof(rx->msg), "%s", tb_strerror(rc));
        return XRX_R_FAIL;
    }
    return 0;
}
