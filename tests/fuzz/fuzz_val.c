/*
 * fuzz_val.c -- the DNSSEC validator (lib/dns/val*.c) on untrusted
 * records.  The first byte picks what the rest is:
 *
 *   0  an RRset and its keys: owner name (wire), type (2 bytes), the
 *      verification time (4), then items [kind][len 2][bytes]: kind 0 an
 *      rdata of the set, 1 an RRSIG rdata, 2 a DNSKEY rdata, 3 a DS rdata.
 *      Runs dns_val_verify for each RRSIG x DNSKEY, dns_val_rrset,
 *      dns_val_dnskey (the keys as a DNSKEY RRset, DS and keys as anchors)
 *      and dns_val_ds_match for each DS x DNSKEY.
 *   1  denial: zone name, query name, qtype (2), wildcard labels (1),
 *      iteration limit (1), then records [owner name][len 2][rdata], each
 *      given to dns_val_nsec and dns_val_nsec3 for all three proofs.
 *   2  trust-anchor text for dns_val_anchors_parse / _get.
 *   3  a response: zone name, query name, qtype (2), a key count (1),
 *      keys [len 2][DNSKEY rdata], then the message for
 *      dns_val_response at a fixed time (2026-01-01).
 *
 * Bounded work: at most 16 rdatas, 8 RRSIGs, 8 DNSKEYs, 8 DS records and
 * 32 denial records per input; the validator bounds the rest (RRset size,
 * NSEC3 iterations and names hashed).  Invariants: nothing read or written
 * out of bounds (ASan), states and reasons within their enums, SECURE
 * only with DNS_VAL_R_OK.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <tibra/dns.h>
#include <tibra/dns/val.h>
#include <tibra/hosted.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static uint8_t scratch[72 * 1024];

static bool fake_ed25519(const uint8_t *sig, const uint8_t *msg, size_t len,
                         const uint8_t *pk)
{
    /* Not a verifier: lets the algorithm-15 paths run. */
    return len > 0 && sig[0] == (uint8_t)(msg[0] ^ pk[0]);
}

static void check(enum dns_val_state st, enum dns_val_reason r)
{
    REQUIRE(st >= DNS_VAL_SECURE && st <= DNS_VAL_INDETERMINATE);
    REQUIRE((unsigned)r < DNS_VAL_R_COUNT);
    REQUIRE(st != DNS_VAL_SECURE || r == DNS_VAL_R_OK);
    (void)dns_val_reason_str(r);
    (void)dns_val_ede(r);
}

static bool take_name(const uint8_t **p, size_t *n, const uint8_t **name)
{
    int l = dns_name_check(*p, *n);

    if (l < 0)
        return false;
    *name = *p;
    *p += l;
    *n -= (size_t)l;
    return true;
}

static void rrset_mode(const uint8_t *p, size_t n)
{
    struct dns_val_conf c = {scratch, sizeof(scratch), 0, fake_ed25519, 0,
                             NULL};
    struct dns_val_rdata rd[16], sig[8], key[8], ds[8];
    size_t nrd = 0, nsig = 0, nkey = 0, nds = 0, i, j;
    struct dns_val_rrset set, keys;
    const uint8_t *owner;
    enum dns_val_reason r;
    enum dns_val_state st;
    unsigned wc;

    if (!take_name(&p, &n, &owner) || n < 6)
        return;
    set = (struct dns_val_rrset){owner, tb_get16(p), DNS_CLASS_IN, 0, rd};
    c.now = tb_get32(p + 2);
    p += 6;
    n -= 6;
    while (n >= 3) {
        uint8_t kind = p[0];
        size_t l = tb_get16(p + 1);
        if (l > n - 3)
            break;
        struct dns_val_rdata x = {p + 3, (uint16_t)l};
        if (kind == 0 && nrd < 16)
            rd[nrd++] = x;
        else if (kind == 1 && nsig < 8)
            sig[nsig++] = x;
        else if (kind == 2 && nkey < 8)
            key[nkey++] = x;
        else if (kind == 3 && nds < 8)
            ds[nds++] = x;
        p += 3 + l;
        n -= 3 + l;
    }
    set.n = nrd;
    for (i = 0; i < nsig; i++)
        for (j = 0; j < nkey; j++) {
            r = dns_val_verify(&c, &set, sig[i].p, sig[i].len, owner, key[j].p,
                               key[j].len);
            REQUIRE((unsigned)r < DNS_VAL_R_COUNT);
        }
    st = dns_val_rrset(&c, &set, sig, nsig, owner, key, nkey, &r, &wc);
    check(st, r);
    keys =
        (struct dns_val_rrset){owner, DNS_TYPE_DNSKEY, DNS_CLASS_IN, nkey, key};
    st = dns_val_dnskey(&c, &keys, sig, nsig, ds, nds, key, nkey / 2, &r);
    check(st, r);
    for (i = 0; i < nds; i++)
        for (j = 0; j < nkey; j++)
            (void)dns_val_ds_match(owner, ds[i].p, ds[i].len, key[j].p,
                                   key[j].len);
}

static void denial_mode(const uint8_t *p, size_t n)
{
    struct dns_val_conf c = {scratch, sizeof(scratch), 0, NULL, 0, NULL};
    struct dns_val_nrr v[32];
    const uint8_t *zone, *qname;
    size_t nv = 0;
    uint16_t qtype;
    unsigned wcl;
    enum dns_val_reason r;
    enum dns_val_state st;
    int w;

    if (!take_name(&p, &n, &zone) || !take_name(&p, &n, &qname) || n < 4)
        return;
    qtype = tb_get16(p);
    wcl = p[2];
    c.nsec3_iter_max = p[3];
    p += 4;
    n -= 4;
    while (nv < 32) {
        const uint8_t *owner;
        size_t l;
        if (!take_name(&p, &n, &owner) || n < 2)
            break;
        l = tb_get16(p);
        if (l > n - 2)
            break;
        v[nv++] = (struct dns_val_nrr){owner, p + 2, (uint16_t)l};
        p += 2 + l;
        n -= 2 + l;
    }
    for (w = DNS_VAL_DENY_NXDOMAIN; w <= DNS_VAL_DENY_WILDCARD; w++) {
        st = dns_val_nsec(zone, v, nv, qname, qtype, (enum dns_val_denial)w,
                          wcl, &r);
        check(st, r);
        st = dns_val_nsec3(&c, zone, v, nv, qname, qtype,
                           (enum dns_val_denial)w, wcl, &r);
        check(st, r);
    }
}

static void anchor_mode(const uint8_t *p, size_t n)
{
    struct dns_val_anchors a;
    struct dns_val_rdata out[4];
    static const uint8_t root[1] = {0};

    if (dns_val_anchors_parse(&a, (const char *)p, n, "fuzz", &tb_heap, NULL) !=
        0)
        return;
    REQUIRE(a.zone.nrr > 0);
    (void)dns_val_anchors_get(&a, root, DNS_TYPE_DS, out, 4);
    (void)dns_val_anchors_get(&a, root, DNS_TYPE_DNSKEY, out, 4);
    dns_val_anchors_free(&a);
}

static void response_mode(const uint8_t *p, size_t n)
{
    static uint8_t work[DNS_MSG_MAXLEN + 16384];
    struct dns_val_conf c = {
        scratch, sizeof(scratch), 1767225600u, fake_ed25519, 0, NULL};
    struct dns_val_rdata key[8];
    const uint8_t *zone, *qname;
    enum dns_val_reason r;
    enum dns_val_state st;
    size_t nk, i, l;
    uint16_t qtype;

    if (!take_name(&p, &n, &zone) || !take_name(&p, &n, &qname) || n < 3)
        return;
    qtype = tb_get16(p);
    nk = p[2] % 9;
    p += 3;
    n -= 3;
    for (i = 0; i < nk; i++) {
        if (n < 2 || (l = tb_get16(p)) > n - 2)
            return;
        key[i] = (struct dns_val_rdata){p + 2, (uint16_t)l};
        p += 2 + l;
        n -= 2 + l;
    }
    st = dns_val_response(&c, p, n, qname, qtype, zone, key, nk, work,
                          sizeof(work), &r);
    check(st, r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    switch (data[0] % 4) {
    case 0:
        rrset_mode(data + 1, size - 1);
        break;
    case 1:
        denial_mode(data + 1, size - 1);
        break;
    case 2:
        anchor_mode(data + 1, size - 1);
        break;
    default:
        response_mode(data + 1, size - 1);
        break;
    }
    return 0;
}
