/*
 * update.c -- dynamic updates (RFC 2136, RFC 3007): an UPDATE message
 * checked against the current version of its zone and applied into the
 * next one (dns/update.h).
 *
 *   dns_update_run: parse -> TSIG (the key set's verify) -> zone ->
 *     allow-update keys -> prerequisites (3.2) -> prescan (3.4.1) ->
 *     apply in order on a working copy (3.4.2) -> serial -> dns_zone_check
 *   dns_update_reply: header + zone section (+ TSIG, the key set's sign)
 *
 * The working set (struct uset, update_int.h, update_set.c) is the
 * version itself, read-only, plus the change: lookups are binary
 * searches of its canonical order, the zone checks run on the names the
 * change touches, and the IXFR delta is the change itself.  An update
 * costs O(change * log zone) up to the next version, which is written by
 * one merge (the compile that follows is still O(zone): DESIGN.md).
 */
#include <string.h>
#include <stdio.h>
#include <tibra/dns/serial.h>
#include <tibra/dns/update.h>
#include <tibra/dns/wire.h>

#include "update_int.h"

#define UPD_RR_MAX   1024 /* prerequisites + updates per message */
#define RD_CAP       (65535 + 255)
#define SECS_PER_DAY 86400u

/* ---- serial policy ----------------------------------------------------- */

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static uint32_t yyyymmdd(uint64_t days)
{
    int64_t z = (int64_t)days + 719468, era = z / 146097;
    uint64_t doe = (uint64_t)(z - era * 146097);
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    uint64_t m = mp < 10 ? mp + 3 : mp - 9, y = yoe + (uint64_t)era * 400;

    y += m <= 2;
    return (uint32_t)(y * 10000 + m * 100 + d);
}

uint32_t dns_serial_next(uint32_t cur, enum dns_serial_policy p,
                         uint64_t unix_s)
{
    uint32_t want = cur + 1;

    if (p == DNS_SERIAL_UNIXTIME)
        want = (uint32_t)unix_s;
    else if (p == DNS_SERIAL_DATESERIAL)
        want = yyyymmdd(unix_s / SECS_PER_DAY) * 100u;
    if (dns_serial_cmp(want, cur) != 1)
        want = cur + 1;
    if (want == 0 && p == DNS_SERIAL_INCREMENT)
        want = 1; /* as Knot: 0 is skipped when incrementing */
    return want;
}

/* ---- one update -------------------------------------------------------- */

/* What dns_update_run() works with. */
struct run {
    struct dns_update *u;
    const struct dns_update_zone *zone;
    struct dns_msg m;
    struct uset s;
    uint8_t *rd, *rd2; /* scratch rdata (RD_CAP each) */
    bool soa_set; /* the update set a newer SOA itself */
};

static void refuse(struct run *r, unsigned rcode, const char *why)
{
    r->u->rcode = (uint8_t)rcode;
    if (r->u->why[0] == '\0')
        snprintf(r->u->why, sizeof(r->u->why), "%s", why);
}

static void note_first(void *ctx, int level, const char *file, unsigned line,
                       const char *msg)
{
    struct dns_update *u = ctx;
    (void)file, (void)line;
    if (level == DNS_DIAG_ERROR && u->why[0] == '\0')
        snprintf(u->why, sizeof(u->why), "the result fails a zone check: %s",
                 msg);
}

/* True for types never in a zone (RFC 2136 3.4.1.2: AXFR IXFR MAILA
 * MAILB ANY, and OPT TSIG...). */
static bool meta(uint16_t type)
{
    const struct dns_rrtype *t = dns_rrtype_get(type);
    return (t != NULL && (t->flags & DNS_RRT_META)) ||
           (type >= 128 && type <= 255);
}

/* True if a live record of (type) (DNS_TYPE_ANY: any type) is at
 * (owner); with (not_type) set, of a type other than it and not DNSSEC
 * (what may sit beside a CNAME). */
static bool has(const struct uset *s, const uint8_t *owner, uint16_t type,
                bool not_type)
{
    struct uset_it it;
    size_t h;

    uset_iter(s, &it, owner);
    while (uset_next(s, &it, &h)) {
        const struct dns_zone_src *z;
        const struct dns_zrr *x = uset_rr(s, h, &z);
        if (not_type) {
            const struct dns_rrtype *t = dns_rrtype_get(x->type);
            if (x->type != type && !(t != NULL && (t->flags & DNS_RRT_DNSSEC)))
                return true;
        } else if (type == DNS_TYPE_ANY || x->type == type) {
            return true;
        }
    }
    return false;
}

static size_t count(const struct uset *s, const uint8_t *owner, uint16_t type)
{
    struct uset_it it;
    size_t n = 0, h;

    uset_iter(s, &it, owner);
    while (uset_next(s, &it, &h)) {
        const struct dns_zone_src *z;
        n += uset_rr(s, h, &z)->type == type;
    }
    return n;
}

/* Unpacks the rdata of (rr) into (out).  -1: malformed. */
static int rdata(const struct run *r, const struct dns_rr *rr, uint8_t *out)
{
    size_t n;

    if (rr->rdlen == 0)
        return 0;
    if (dns_rdata_unpack(r->m.buf, r->m.len, rr->rdoff, rr->rdlen, rr->type,
                         out, RD_CAP, &n) != 0 ||
        n > 65535)
        return -1;
    return (int)n;
}

/* Value-dependent prerequisite (RFC 2136 2.4.2): the RRset (p->owner,
 * p->type) equals the prerequisite records of that name and type. */
static bool rrset_equal(struct run *r, const struct dns_rr *p)
{
    struct dns_rr_iter it;
    struct dns_rr x;
    size_t distinct = 0;
    int n;

    dns_rr_iter_init(&it, &r->m, DNS_SEC_ANSWER);
    for (unsigned k = 0; k < r->m.count[DNS_SEC_ANSWER] && dns_rr_next(&it, &x);
         k++) {
        if (x.rclass != r->zone->cur->rclass || x.type != p->type ||
            !dns_name_equal(x.owner, p->owner))
            continue;
        if ((n = rdata(r, &x, r->rd)) < 0 ||
            uset_find(&r->s, x.owner, x.type, r->rd, (size_t)n) == SIZE_MAX)
            return false;
        /* Count it once: not if an earlier one has the same rdata. */
        struct dns_rr_iter it2;
        struct dns_rr y;
        bool dup = false;
        dns_rr_iter_init(&it2, &r->m, DNS_SEC_ANSWER);
        for (unsigned j = 0; j < k && dns_rr_next(&it2, &y); j++) {
            int m;
            if (y.rclass == x.rclass && y.type == x.type &&
                dns_name_equal(y.owner, x.owner) &&
                (m = rdata(r, &y, r->rd2)) >= 0 &&
                dns_rdata_cmp(x.type, r->rd, (size_t)n, r->rd2, (size_t)m) ==
                    0) {
                dup = true;
                break;
            }
        }
        distinct += !dup;
    }
    return distinct == count(&r->s, p->owner, p->type);
}

/* RFC 2136 3.2: the prerequisite section.  0: all hold. */
static int prerequisites(struct run *r)
{
    const struct dns_update_zone *z = r->zone;
    struct dns_rr_iter it;
    struct dns_rr p;

    dns_rr_iter_init(&it, &r->m, DNS_SEC_ANSWER);
    for (unsigned k = 0; k < r->m.count[DNS_SEC_ANSWER]; k++) {
        if (!dns_rr_next(&it, &p))
            return refuse(r, DNS_RCODE_FORMERR, "short section"), -1;
        if (p.ttl != 0)
            return refuse(r, DNS_RCODE_FORMERR, "prerequisite TTL not 0"), -1;
        if (!dns_name_is_sub(p.owner, z->origin))
            return refuse(r, DNS_RCODE_NOTZONE, "prerequisite out of zone"), -1;
        if (p.rclass == DNS_CLASS_ANY || p.rclass == DNS_CLASS_NONE) {
            bool want = p.rclass == DNS_CLASS_ANY;
            if (p.rdlen != 0 || (meta(p.type) && p.type != DNS_TYPE_ANY))
                return refuse(r, DNS_RCODE_FORMERR, "bad prerequisite"), -1;
            if (has(&r->s, p.owner, p.type, false) == want)
                continue;
            if (p.type == DNS_TYPE_ANY)
                return refuse(r, want ? DNS_RCODE_NXDOMAIN : DNS_RCODE_YXDOMAIN,
                              want ? "prerequisite: name not in use"
                                   : "prerequisite: name in use"),
                       -1;
            return refuse(r, want ? DNS_RCODE_NXRRSET : DNS_RCODE_YXRRSET,
                          want ? "prerequisite: RRset does not exist"
                               : "prerequisite: RRset exists"),
                   -1;
        }
        if (p.rclass != z->cur->rclass || meta(p.type))
            return refuse(r, DNS_RCODE_FORMERR, "bad prerequisite class"), -1;
        if (!rrset_equal(r, &p))
            return refuse(r, DNS_RCODE_NXRRSET, "prerequisite: RRset differs"),
                   -1;
    }
    return 0;
}

/* RFC 2136 3.4.1: the update section's records, before any is applied. */
static int prescan(struct run *r)
{
    struct dns_rr_iter it;
    struct dns_rr x;

    dns_rr_iter_init(&it, &r->m, DNS_SEC_AUTHORITY);
    for (unsigned k = 0; k < r->m.count[DNS_SEC_AUTHORITY]; k++) {
        if (!dns_rr_next(&it, &x))
            return refuse(r, DNS_RCODE_FORMERR, "short section"), -1;
        if (!dns_name_is_sub(x.owner, r->zone->origin))
            return refuse(r, DNS_RCODE_NOTZONE, "update out of zone"), -1;
        if (x.rclass == r->zone->cur->rclass) {
            if (meta(x.type) || rdata(r, &x, r->rd) < 0 ||
                (x.rdlen == 0 && dns_rdata_check(x.type, r->rd, 0) != 0))
                return refuse(r, DNS_RCODE_FORMERR, "bad record to add"), -1;
        } else if (x.rclass == DNS_CLASS_ANY) {
            if (x.ttl != 0 || x.rdlen != 0 ||
                (meta(x.type) && x.type != DNS_TYPE_ANY))
                return refuse(r, DNS_RCODE_FORMERR, "bad delete"), -1;
        } else if (x.rclass == DNS_CLASS_NONE) {
            if (x.ttl != 0 || meta(x.type) || rdata(r, &x, r->rd) < 0)
                return refuse(r, DNS_RCODE_FORMERR, "bad delete"), -1;
        } else {
            return refuse(r, DNS_RCODE_FORMERR, "bad update class"), -1;
        }
    }
    return 0;
}

/* Deletes every live record at (owner) of (type) (ANY: of every type but
 * the apex SOA and NS).  0, or -1 (out of memory). */
static int del_rrset(struct run *r, const uint8_t *owner, uint16_t type)
{
    struct uset *s = &r->s;
    bool apex = dns_name_equal(owner, r->zone->origin);
    struct uset_it it;
    size_t h;

    uset_iter(s, &it, owner);
    while (uset_next(s, &it, &h)) {
        const struct dns_zone_src *z;
        const struct dns_zrr *x = uset_rr(s, h, &z);
        if ((type == DNS_TYPE_ANY ? !(apex && (x->type == DNS_TYPE_SOA ||
                                               x->type == DNS_TYPE_NS))
                                  : x->type == type) &&
            uset_del(s, h) != 0)
            return -1;
    }
    return 0;
}

/* An addition (RFC 2136 3.4.2.2).  0, or -1 (out of memory). */
static int add(struct run *r, const struct dns_rr *x, const uint8_t *rd,
               uint16_t n)
{
    struct uset *s = &r->s;
    size_t i;

    if (x->type == DNS_TYPE_SOA) {
        size_t a = uset_soa(s), off = soa_serial_off(rd, n), o2;
        const struct dns_zone_src *z;
        const struct dns_zrr *cur;
        if (a == SIZE_MAX || off == 0 ||
            !dns_name_equal(x->owner, r->zone->origin))
            return 0;
        cur = uset_rr(s, a, &z);
        o2 = soa_serial_off(dns_zrr_rdata(z, cur), cur->rdlen);
        if (!dns_serial_newer(tb_get32(rd + off),
                              tb_get32(dns_zrr_rdata(z, cur) + o2)))
            return 0; /* 3.4.2.2: only a newer serial replaces it */
        if (uset_del(s, a) != 0)
            return -1;
        r->soa_set = true;
        return uset_add(s, x->owner, x->type, x->ttl, rd, n) ? -1 : 0;
    }
    if (x->type == DNS_TYPE_CNAME) {
        if (has(s, x->owner, DNS_TYPE_CNAME, true))
            return 0; /* other data there: ignored */
        if (del_rrset(r, x->owner, DNS_TYPE_CNAME) != 0) /* replaces it */
            return -1;
    } else if (has(s, x->owner, DNS_TYPE_CNAME, false)) {
        const struct dns_rrtype *t = dns_rrtype_get(x->type);
        if (!(t != NULL && (t->flags & DNS_RRT_DNSSEC)))
            return 0; /* a CNAME there: ignored */
    }
    if ((i = uset_find(s, x->owner, x->type, rd, n)) != SIZE_MAX) {
        const struct dns_zone_src *z;
        if (uset_rr(s, i, &z)->ttl == x->ttl)
            return 0; /* a duplicate */
        if (uset_del(s, i) != 0) /* the TTL changes */
            return -1;
    }
    return uset_add(s, x->owner, x->type, x->ttl, rd, n) ? -1 : 0;
}

/* RFC 2136 3.4.2: the update section, in order. */
static int apply(struct run *r)
{
    struct dns_rr_iter it;
    struct dns_rr x;
    const uint8_t *origin = r->zone->origin;

    dns_rr_iter_init(&it, &r->m, DNS_SEC_AUTHORITY);
    for (unsigned k = 0; k < r->m.count[DNS_SEC_AUTHORITY]; k++) {
        bool apex;
        int n;
        size_t i;

        dns_rr_next(&it, &x);
        dns_name_lower(x.owner);
        apex = dns_name_equal(x.owner, origin);
        if (x.rclass == r->zone->cur->rclass) {
            n = rdata(r, &x, r->rd);
            if (add(r, &x, r->rd, (uint16_t)n) != 0)
                return -1;
        } else if (x.rclass == DNS_CLASS_ANY) {
            if (!(apex && (x.type == DNS_TYPE_SOA || x.type == DNS_TYPE_NS)) &&
                del_rrset(r, x.owner, x.type) != 0)
                return -1;
        } else { /* NONE: one record */
            if (x.type == DNS_TYPE_SOA)
                continue;
            if (apex && x.type == DNS_TYPE_NS &&
                count(&r->s, x.owner, DNS_TYPE_NS) <= 1)
                continue; /* the apex NS set is never emptied */
            n = rdata(r, &x, r->rd);
            if ((i = uset_find(&r->s, x.owner, x.type, r->rd, (size_t)n)) !=
                    SIZE_MAX &&
                uset_del(&r->s, i) != 0)
                return -1;
        }
    }
    return 0;
}

/* Verifies the request's TSIG: 0 to go on, -1 answered (u->rcode). */
static int authenticate(struct run *r, const struct dns_tsig_keyring *kr,
                        uint64_t now_s)
{
    struct dns_update *u = r->u;

    if (r->m.tsig_off == 0)
        return 0;
    u->tsigned = true;
    if (kr == NULL) {
        u->tsig_bad = true; /* nothing to sign with: unsigned NOTAUTH */
        return refuse(r, DNS_RCODE_NOTAUTH, "signed, and no keys"), -1;
    }
    if (kr->verify(kr, r->m.buf, r->m.len, r->m.tsig_off, now_s, &u->tsig) !=
        0) {
        u->tsig_bad = true;
        return refuse(r, DNS_RCODE_FORMERR, "malformed TSIG"), -1;
    }
    if (u->tsig.error != 0)
        return refuse(r, DNS_RCODE_NOTAUTH,
                      u->tsig.error == DNS_TSIG_BADKEY    ? "TSIG: BADKEY"
                      : u->tsig.error == DNS_TSIG_BADSIG  ? "TSIG: BADSIG"
                      : u->tsig.error == DNS_TSIG_BADTIME ? "TSIG: BADTIME"
                                                          : "TSIG: BADTRUNC"),
               -1;
    return 0;
}

/* The zone section, the zone, the key.  0 to go on. */
static int find_zone(struct run *r, const struct dns_update_zone *zones,
                     size_t nz)
{
    struct dns_update *u = r->u;
    struct dns_rr_iter it;
    struct dns_rr zq;
    const struct dns_update_zone *z = NULL;
    size_t nlen, next;
    uint8_t nm[DNS_NAME_MAXLEN];

    if (r->m.count[DNS_SEC_QUESTION] != 1)
        return refuse(r, DNS_RCODE_FORMERR, "zone section not 1 entry"), -1;
    dns_rr_iter_init(&it, &r->m, DNS_SEC_QUESTION);
    dns_rr_next(&it, &zq);
    if (dns_name_unpack(r->m.buf, r->m.len, zq.off, nm, &nlen, &next) == 0) {
        u->zend = next + 4;
        memcpy(u->zname, nm, nlen);
        u->ztype = zq.type;
        u->zclass = zq.rclass;
    }
    if (zq.type != DNS_TYPE_SOA)
        return refuse(r, DNS_RCODE_FORMERR, "zone type not SOA"), -1;
    if (r->m.count[DNS_SEC_ANSWER] + r->m.count[DNS_SEC_AUTHORITY] > UPD_RR_MAX)
        return refuse(r, DNS_RCODE_REFUSED, "over 1024 records"), -1;
    for (size_t i = 0; i < nz; i++)
        if (dns_name_equal(zones[i].origin, zq.owner)) {
            z = &zones[i];
            u->zone = i;
        }
    if (z == NULL || (z->cur != NULL && zq.rclass != z->cur->rclass))
        return refuse(r, DNS_RCODE_NOTAUTH, "not a zone we update"), -1;
    r->zone = z;
    if (!u->tsigned || u->tsig.key == NULL)
        return refuse(r, DNS_RCODE_REFUSED, "not signed (allow-update)"), -1;
    for (size_t k = 0; k < z->nkeys; k++)
        if (dns_name_equal(z->keys[k], u->tsig.key->name))
            return z->cur != NULL
                       ? 0
                       : (refuse(r, DNS_RCODE_SERVFAIL, "zone not loaded"), -1);
    return refuse(r, DNS_RCODE_REFUSED, "key not allowed (allow-update)"), -1;
}

/* Bumps the serial if the update did not set a newer one: the SOA is
 * replaced by a copy with the next serial.  0, or -1 (out of memory). */
static int bump_serial(struct run *r, uint64_t now_s)
{
    size_t i = uset_soa(&r->s), off;
    const struct dns_zone_src *z;
    const struct dns_zrr *soa;
    uint8_t *rd = r->rd2;
    uint32_t ttl;
    uint16_t n;
    uint8_t own[DNS_NAME_MAXLEN];

    if (r->soa_set || i == SIZE_MAX)
        return 0;
    soa = uset_rr(&r->s, i, &z);
    n = soa->rdlen;
    ttl = soa->ttl;
    memcpy(rd, dns_zrr_rdata(z, soa), n);
    memcpy(own, dns_zrr_owner(z, soa), dns_name_len(dns_zrr_owner(z, soa)));
    if ((off = soa_serial_off(rd, n)) == 0)
        return 0;
    tb_put32(rd + off,
             dns_serial_next(tb_get32(rd + off), r->zone->policy, now_s));
    if (uset_del(&r->s, i) != 0 ||
        uset_add(&r->s, own, DNS_TYPE_SOA, ttl, rd, n) != 0)
        return -1;
    return 0;
}

void dns_update_run(struct dns_update *u, const struct dns_update_zone *zones,
                    size_t nz, const struct dns_tsig_keyring *kr,
                    const uint8_t *q, size_t qlen, uint64_t now_s,
                    struct dns_zone_src *out, const struct tb_alloc *a)
{
    dns_update_run_delta(u, zones, nz, kr, q, qlen, now_s, out, NULL, NULL, a);
}

void dns_update_run_delta(struct dns_update *u,
                          const struct dns_update_zone *zones, size_t nz,
                          const struct dns_tsig_keyring *kr, const uint8_t *q,
                          size_t qlen, uint64_t now_s, struct dns_zone_src *out,
                          struct tb_buf *delta, struct dns_ixfr_delta *dl,
                          const struct tb_alloc *a)
{
    struct run r = {.u = u};
    struct dns_diag d = {note_first, u, 0, 0};

    memset(u, 0, sizeof(*u));
    u->zone = SIZE_MAX;
    dns_zone_src_init(out, (const uint8_t *)"", a);
    if (qlen >= DNS_HDR_LEN) {
        u->id = tb_get16(q);
        u->flags = tb_get16(q + 2);
    }
    if (dns_msg_parse(&r.m, q, qlen) != 0)
        return refuse(&r, DNS_RCODE_FORMERR, "malformed message");
    if (DNS_OPCODE(u->flags) != DNS_OPCODE_UPDATE)
        return refuse(&r, DNS_RCODE_NOTIMP, "not an UPDATE");
    if (authenticate(&r, kr, now_s) != 0 || find_zone(&r, zones, nz) != 0)
        return;
    r.rd = tb_alloc(a, 2 * RD_CAP);
    if (r.rd == NULL || uset_init(&r.s, r.zone->cur, a) != 0) {
        refuse(&r, DNS_RCODE_SERVFAIL, "out of memory");
        goto out;
    }
    r.rd2 = r.rd + RD_CAP;
    if (prerequisites(&r) != 0 || prescan(&r) != 0)
        goto out;
    if (apply(&r) != 0) {
        refuse(&r, DNS_RCODE_SERVFAIL, "out of memory");
        goto out;
    }
    if (r.s.changed) {
        int rc = bump_serial(&r, now_s);
        if (rc == 0) {
            dns_zone_src_free(out);
            rc = uset_finish(&r.s, out, delta, dl, &d);
        }
        if (rc != 0) {
            refuse(&r,
                   rc == TB_ESEMANTIC ? DNS_RCODE_REFUSED : DNS_RCODE_SERVFAIL,
                   rc == TB_ESEMANTIC ? "the result fails a zone check"
                                      : "out of memory");
            goto out;
        }
        u->changed = true;
        u->serial = dns_zone_src_serial(out);
    }
    u->rcode = DNS_RCODE_NOERROR;
out:
    uset_free(&r.s);
    if (r.rd != NULL)
        tb_free(a, r.rd, 2 * RD_CAP);
}

size_t dns_update_reply(struct dns_update *u, const uint8_t *q, size_t qlen,
                        unsigned rcode, uint8_t *resp, size_t cap,
                        uint64_t now_s, const struct dns_tsig_keyring *kr)
{
    size_t len = DNS_HDR_LEN, zl = u->zend != 0 ? dns_name_len(u->zname) : 0;
    uint16_t flags;

    if (qlen < DNS_HDR_LEN || cap < 512 + DNS_NAME_MAXLEN + 4)
        return 0;
    flags = (uint16_t)(DNS_FLAG_QR | (DNS_OPCODE_UPDATE << 11) | (rcode & 0xf));
    tb_put16(resp, tb_get16(q));
    tb_put16(resp + 2, flags);
    memset(resp + 4, 0, 8);
    if (zl != 0) { /* the zone section, its name written uncompressed */
        tb_put16(resp + 4, 1);
        memcpy(resp + len, u->zname, zl);
        tb_put16(resp + len + zl, u->ztype);
        tb_put16(resp + len + zl + 2, u->zclass);
        len += zl + 4;
    }
    if (u->tsigned && !u->tsig_bad && kr != NULL) {
        size_t n = kr->sign(&u->tsig, resp, len, cap, now_s);
        if (n != 0)
            len = n;
    }
    return len;
}
