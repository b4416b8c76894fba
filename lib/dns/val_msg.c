/*
 * val_msg.c -- one server's response, validated against its zone's keys
 * (RFC 4035 5.3-5.4): the answer chain that starts at the question name
 * (RRsets and CNAMEs, wildcard expansions with their proofs), negative
 * answers with their NSEC/NSEC3 proofs, and referrals (a signed DS, or
 * proof there is none).  What a resolver calls for each reply once it
 * holds the zone's SECURE DNSKEY RRset.
 */
#include <string.h>

#include <tibra/dns/name.h>
#include <tibra/dns/val.h>
#include <tibra/dns/wire.h>

#include "val_int.h"

#define MSG_RR_MAX 64

struct mrr {
    const uint8_t *owner, *rd;
    uint16_t type, rdlen;
    uint8_t sec;
};

struct vm {
    const struct dns_val_conf *conf;
    const uint8_t *zone;
    const struct dns_val_rdata *keys;
    size_t nkeys;
    struct mrr rr[MSG_RR_MAX];
    size_t n;
    enum dns_val_reason reason;
};

/* Worst of two states: BOGUS > INDETERMINATE > INSECURE > SECURE. */
static enum dns_val_state worst(enum dns_val_state a, enum dns_val_state b)
{
    static const int w[] = {0, 0, 1, 3, 2};
    return w[b] > w[a] ? b : a;
}

/* Decompresses the answer and authority sections into (work). */
static int collect(struct vm *v, const struct dns_msg *m, uint8_t *work,
                   size_t cap)
{
    struct dns_rr_iter it;
    struct dns_rr r;
    size_t o = 0, l;

    dns_rr_iter_init(&it, m, DNS_SEC_ANSWER);
    while (dns_rr_next(&it, &r) && r.section != DNS_SEC_ADDITIONAL) {
        if (v->n == MSG_RR_MAX || r.owner_len > cap - o)
            return TB_ESPACE;
        memcpy(work + o, r.owner, r.owner_len);
        v->rr[v->n].owner = work + o;
        o += r.owner_len;
        if (dns_rdata_unpack(m->buf, m->len, r.rdoff, r.rdlen, r.type, work + o,
                             cap - o, &l) != 0 ||
            l > UINT16_MAX)
            return TB_ESPACE;
        v->rr[v->n].rd = work + o;
        v->rr[v->n].rdlen = (uint16_t)l;
        v->rr[v->n].type = r.type;
        v->rr[v->n].sec = r.section;
        v->n++;
        o += l;
    }
    return 0;
}

/* Rdatas of (owner, type) in (sec), or RRSIGs covering (type) if
 * (sigs). */
static size_t gather(const struct vm *v, const uint8_t *owner, uint16_t type,
                     uint8_t sec, bool sigs, struct dns_val_rdata *out)
{
    size_t i, n = 0;

    for (i = 0; i < v->n; i++) {
        const struct mrr *r = &v->rr[i];
        if (r->sec != sec || !dns_name_equal(r->owner, owner))
            continue;
        if (sigs ? (r->type == DNS_TYPE_RRSIG && r->rdlen >= 2 &&
                    tb_get16(r->rd) == type)
                 : r->type == type)
            out[n++] = (struct dns_val_rdata){r->rd, r->rdlen};
    }
    return n;
}

/* Validates the RRset (owner, type) of (sec); (*n) gets its size. */
static enum dns_val_state check_set(struct vm *v, const uint8_t *owner,
                                    uint16_t type, uint8_t sec, size_t *n,
                                    unsigned *wc)
{
    struct dns_val_rdata rd[MSG_RR_MAX], sg[MSG_RR_MAX];
    struct dns_val_rrset set = {owner, type, DNS_CLASS_IN, 0, rd};
    enum dns_val_reason r;
    enum dns_val_state st;
    size_t ns;

    set.n = gather(v, owner, type, sec, false, rd);
    *n = set.n;
    if (set.n == 0)
        return DNS_VAL_SECURE;
    ns = gather(v, owner, type, sec, true, sg);
    st = dns_val_rrset(v->conf, &set, sg, ns, v->zone, v->keys, v->nkeys, &r,
                       wc);
    if (st != DNS_VAL_SECURE && v->reason == DNS_VAL_R_OK)
        v->reason = r;
    return st;
}

/* Validates every NSEC/NSEC3 RRset of the authority section and lists
 * its records in (out); returns the worst state. */
static enum dns_val_state denial_set(struct vm *v, uint16_t type,
                                     struct dns_val_nrr *out, size_t *nout)
{
    enum dns_val_state st = DNS_VAL_SECURE;
    size_t i, n;

    *nout = 0;
    for (i = 0; i < v->n; i++) {
        const struct mrr *r = &v->rr[i];
        if (r->sec != DNS_SEC_AUTHORITY || r->type != type)
            continue;
        st = worst(st,
                   check_set(v, r->owner, type, DNS_SEC_AUTHORITY, &n, NULL));
        out[(*nout)++] = (struct dns_val_nrr){r->owner, r->rd, r->rdlen};
    }
    return st;
}

/* Proves (what) for (name, type) with the authority's NSEC or NSEC3. */
static enum dns_val_state deny(struct vm *v, const uint8_t *name, uint16_t type,
                               enum dns_val_denial what, unsigned wcl)
{
    struct dns_val_nrr d[MSG_RR_MAX];
    enum dns_val_reason r;
    enum dns_val_state st;
    size_t n;

    st = denial_set(v, DNS_TYPE_NSEC, d, &n);
    if (n == 0) {
        st = denial_set(v, DNS_TYPE_NSEC3, d, &n);
        if (st == DNS_VAL_SECURE)
            st = dns_val_nsec3(v->conf, v->zone, d, n, name, type, what, wcl,
                               &r);
    } else if (st == DNS_VAL_SECURE) {
        st = dns_val_nsec(v->zone, d, n, name, type, what, wcl, &r);
    } else {
        r = v->reason;
    }
    if (st != DNS_VAL_SECURE && v->reason == DNS_VAL_R_OK)
        v->reason = n == 0 ? DNS_VAL_R_NO_PROOF : r;
    return st;
}

/* A referral: the child's DS signed, or proof that there is none. */
static enum dns_val_state referral(struct vm *v, const uint8_t *child)
{
    size_t n;
    enum dns_val_state st =
        check_set(v, child, DNS_TYPE_DS, DNS_SEC_AUTHORITY, &n, NULL);

    if (n > 0)
        return st;
    st = deny(v, child, DNS_TYPE_DS, DNS_VAL_DENY_NODATA, 0);
    /* Proven absent: the delegation is insecure (RFC 4035 5.2). */
    return st == DNS_VAL_SECURE ? DNS_VAL_INSECURE : st;
}

/*
 * If the answer holds a DNAME at a proper ancestor of (cur) inside the
 * zone, verifies it and the CNAME at (cur) against it and moves (cur) to
 * the target: returns 1; 0 when there is no such DNAME; -1 when it fails
 * (the state is then in (*st)).
 */
static int dname_step(struct vm *v, uint8_t *cur, enum dns_val_state *st)
{
    uint8_t syn[DNS_NAME_MAXLEN + DNS_NAME_MAXLEN];
    const struct mrr *dn = NULL, *cn = NULL;
    unsigned cl = dns_name_labels(cur);
    size_t i, n, pl, tl;
    unsigned wc;

    for (i = 0; i < v->n; i++) {
        const struct mrr *r = &v->rr[i];
        if (r->sec != DNS_SEC_ANSWER)
            continue;
        if (r->type == DNS_TYPE_DNAME && dns_name_is_sub(cur, r->owner) &&
            !dns_name_equal(cur, r->owner) &&
            dns_name_is_sub(r->owner, v->zone))
            dn = r;
        if (r->type == DNS_TYPE_CNAME && dns_name_equal(r->owner, cur))
            cn = r;
    }
    if (dn == NULL)
        return 0;
    *st = worst(
        *st, check_set(v, dn->owner, DNS_TYPE_DNAME, DNS_SEC_ANSWER, &n, &wc));
    if (*st != DNS_VAL_SECURE)
        return -1;
    /* A DNAME never comes from a wildcard (RFC 6672 2.4 forbids). */
    if (wc != 0 || cn == NULL) {
        *st = DNS_VAL_BOGUS;
        if (v->reason == DNS_VAL_R_OK)
            v->reason = wc != 0 ? DNS_VAL_R_LABELS : DNS_VAL_R_NO_SIG;
        return -1;
    }
    pl = (size_t)(dns_name_skip(cur, cl - dns_name_labels(dn->owner)) - cur);
    tl = dns_name_len(dn->rd);
    memcpy(syn, cur, pl);
    memcpy(syn + pl, dn->rd, tl);
    if (pl + tl > DNS_NAME_MAXLEN || !dns_name_equal(syn, cn->rd)) {
        *st = DNS_VAL_BOGUS;
        if (v->reason == DNS_VAL_R_OK)
            v->reason = DNS_VAL_R_BAD_SIG;
        return -1;
    }
    memcpy(cur, syn, pl + tl);
    return 1;
}

enum dns_val_state dns_val_response(const struct dns_val_conf *conf,
                                    const uint8_t *msg, size_t len,
                                    const uint8_t *qname, uint16_t qtype,
                                    const uint8_t *zone,
                                    const struct dns_val_rdata *keys,
                                    size_t nkeys, uint8_t *work, size_t cap,
                                    enum dns_val_reason *reason)
{
    struct vm vm = {conf, zone, keys, nkeys, {{0}}, 0, DNS_VAL_R_OK};
    struct vm *v = &vm;
    struct dns_msg m;
    enum dns_val_state st = DNS_VAL_SECURE;
    uint8_t cur[DNS_NAME_MAXLEN];
    size_t n, i, steps;
    unsigned wc;

    *reason = DNS_VAL_R_MALFORMED;
    if (dns_msg_parse(&m, msg, len) != 0 || collect(v, &m, work, cap) != 0 ||
        !dns_name_is_sub(qname, zone))
        return DNS_VAL_BOGUS;
    memcpy(cur, qname, dns_name_len(qname));
    for (steps = 0; steps < 9; steps++) {
        st = worst(st, check_set(v, cur, qtype, DNS_SEC_ANSWER, &n, &wc));
        if (n > 0) {
            if (wc != 0 && st == DNS_VAL_SECURE)
                st = worst(st, deny(v, cur, qtype, DNS_VAL_DENY_WILDCARD, wc));
            goto done;
        }
        if (qtype == DNS_TYPE_CNAME)
            break;
        /* A DNAME above (cur): verified, and the unsigned CNAME it
         * synthesizes must say what it says (RFC 6672 5.3.3). */
        if (qtype != DNS_TYPE_DNAME) {
            int d = dname_step(v, cur, &st);
            if (d < 0)
                goto done;
            if (d > 0) {
                if (!dns_name_is_sub(cur, zone))
                    goto done;
                continue;
            }
        }
        st = worst(st,
                   check_set(v, cur, DNS_TYPE_CNAME, DNS_SEC_ANSWER, &n, &wc));
        if (n == 0)
            break;
        if (wc != 0 && st == DNS_VAL_SECURE)
            st = worst(st,
                       deny(v, cur, DNS_TYPE_CNAME, DNS_VAL_DENY_WILDCARD, wc));
        for (i = 0; i < v->n; i++)
            if (v->rr[i].sec == DNS_SEC_ANSWER &&
                v->rr[i].type == DNS_TYPE_CNAME &&
                dns_name_equal(v->rr[i].owner, cur))
                break;
        memcpy(cur, v->rr[i].rd, dns_name_len(v->rr[i].rd));
        /* The rest of the chain is another zone's to prove. */
        if (!dns_name_is_sub(cur, zone))
            goto done;
    }
    if (steps == 9) {
        st = DNS_VAL_BOGUS;
        v->reason = DNS_VAL_R_TOO_BIG;
        goto done;
    }
    /* No answer at (cur): a referral or a denial. */
    if (!(m.flags & DNS_FLAG_AA) && DNS_RCODE(m.flags) == DNS_RCODE_NOERROR) {
        for (i = 0; i < v->n; i++)
            if (v->rr[i].sec == DNS_SEC_AUTHORITY &&
                v->rr[i].type == DNS_TYPE_NS &&
                !dns_name_equal(v->rr[i].owner, zone) &&
                dns_name_is_sub(v->rr[i].owner, zone) &&
                dns_name_is_sub(cur, v->rr[i].owner)) {
                st = worst(st, referral(v, v->rr[i].owner));
                goto done;
            }
    }
    if (DNS_RCODE(m.flags) == DNS_RCODE_NXDOMAIN)
        st = worst(st, deny(v, cur, 0, DNS_VAL_DENY_NXDOMAIN, 0));
    else if (DNS_RCODE(m.flags) == DNS_RCODE_NOERROR)
        st = worst(st, deny(v, cur, qtype, DNS_VAL_DENY_NODATA, 0));
    else
        st = DNS_VAL_INDETERMINATE;
done:
    *reason = st == DNS_VAL_SECURE ? DNS_VAL_R_OK : v->reason;
    if (st == DNS_VAL_BOGUS && *reason == DNS_VAL_R_OK)
        *reason = DNS_VAL_R_NO_PROOF;
    return st;
}
