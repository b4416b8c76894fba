/*
 * fuzz_sign_zone.c -- the signer and its NSEC/NSEC3 chain code
 * (lib/dns/sign.c) on arbitrary zones: the first byte picks NSEC or NSEC3
 * (with or without opt-out, salt and iterations), the rest is zone text
 * for example.org.  A zone that parses and passes dns_zone_check() and
 * holds no DNSSEC records of its own MUST sign (the signer refuses
 * nothing else), and then: the result passes dns_zone_check() again
 * without errors; the NSEC chain is one cycle through every NSEC owner
 * (from the apex, next names in canonical order, back to the apex), or
 * the NSEC3 records sorted by hash each name the next one's hash as next
 * (one cycle) with the NSEC3PARAM's parameters; every RRSIG verifies
 * with the key's public half (BearSSL) over the canonical RRset; and the
 * zone compiles (dns_zone_compile).  Then an update dropping records the
 * input picks is re-signed against it (dns_sign_resign): the chain is one
 * cycle again and every RRSIG, carried over or made, verifies.  ASan: no
 * read outside the buffers;
 * the counting allocator is back to zero.
 */
#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tibra/dns.h>
#include <tibra/dns/sign.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

#include "count_alloc.h"
static const struct tb_alloc fa = {f_alloc, f_realloc, f_free, NULL};

static const uint8_t org[] = "\7example\3org";
static struct dns_sign_key key;

static uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The RRSIG (s) verifies over its RRset in (z). */
static bool verify(const struct dns_zone_src *z, const struct dns_zrr *s)
{
    static uint8_t canon[65536];
    const uint8_t *rd = dns_zrr_rdata(z, s), *o = dns_zrr_owner(z, s);
    size_t hdr = 18 + dns_name_len(rd + 18), n = 0;
    uint8_t lc[DNS_NAME_MAXLEN], hash[32], q[65] = {4};
    br_ec_public_key pk = {BR_EC_secp256r1, q, 65};
    br_sha256_context h;

    memcpy(lc, o, dns_name_len(o));
    dns_name_lower(lc);
    br_sha256_init(&h);
    br_sha256_update(&h, rd, hdr);
    /* The zone is in canonical order: the RRset's records are in order. */
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        uint8_t fix[10];
        if (r->type != ld16(rd) || !dns_name_equal(dns_zrr_owner(z, r), o))
            continue;
        fix[0] = (uint8_t)(r->type >> 8), fix[1] = (uint8_t)r->type;
        fix[2] = (uint8_t)(r->rclass >> 8), fix[3] = (uint8_t)r->rclass;
        memcpy(fix + 4, rd + 4, 4);
        fix[8] = (uint8_t)(r->rdlen >> 8), fix[9] = (uint8_t)r->rdlen;
        dns_rdata_canon(r->type, dns_zrr_rdata(z, r), r->rdlen, canon);
        br_sha256_update(&h, lc, dns_name_len(lc));
        br_sha256_update(&h, fix, 10);
        br_sha256_update(&h, canon, r->rdlen);
        n++;
    }
    br_sha256_out(&h, hash);
    memcpy(q + 1, key.dnskey + 4, 64);
    return n > 0 && s->rdlen == hdr + 64 &&
           br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, 32, &pk, rd + hdr,
                                 64) == 1;
}

/* Index of the NSEC owned by (name), or SIZE_MAX. */
static size_t nsec_at(const struct dns_zone_src *z, const uint8_t *name)
{
    for (size_t i = 0; i < z->nrr; i++)
        if (z->rr[i].type == DNS_TYPE_NSEC &&
            dns_name_equal(dns_zrr_owner(z, &z->rr[i]), name))
            return i;
    return SIZE_MAX;
}

/* The NSEC3 (a) names (b)'s owner hash as next (base32hex, RFC 4648 7),
 * and (b) sorts after (a) unless (b) is the first. */
static bool next_is(const struct dns_zone_src *z, const struct dns_zrr *a,
                    const struct dns_zrr *b)
{
    static const char b32[] = "0123456789abcdefghijklmnopqrstuv";
    const uint8_t *rd = dns_zrr_rdata(z, a), *ob = dns_zrr_owner(z, b);
    size_t h = 5 + (size_t)rd[4];
    const uint8_t *nx = rd + h + 1;
    char enc[32];

    if (a->rdlen < h + 21 || rd[h] != 20 || ob[0] != 32)
        return false;
    for (unsigned i = 0; i < 32; i++) {
        unsigned bit = i * 5, byte = bit / 8, sh = bit % 8;
        unsigned v =
            (unsigned)nx[byte] << 8 | (byte + 1 < 20 ? nx[byte + 1] : 0);
        enc[i] = b32[(v >> (11 - sh)) & 31];
    }
    return memcmp(enc, ob + 1, 32) == 0;
}

static void check_chain(const struct dns_zone_src *z, bool nsec3)
{
    size_t nn = 0, seen = 0, i;
    const struct dns_zrr *prev = NULL, *first = NULL;

    for (i = 0; i < z->nrr; i++)
        nn += z->rr[i].type == (nsec3 ? DNS_TYPE_NSEC3 : DNS_TYPE_NSEC);
    REQUIRE(nn > 0);
    if (!nsec3) {
        /* Follow the cycle from the apex. */
        size_t at = nsec_at(z, org);
        const uint8_t *cur = org;
        REQUIRE(at != SIZE_MAX);
        do {
            const uint8_t *next = dns_zrr_rdata(z, &z->rr[at]);
            REQUIRE(++seen <= nn);
            REQUIRE(dns_name_equal(next, org) || dns_name_cmp(cur, next) < 0);
            cur = next;
            at = nsec_at(z, next);
            REQUIRE(at != SIZE_MAX);
        } while (!dns_name_equal(cur, org));
        REQUIRE(seen == nn);
        return;
    }
    /* NSEC3 owners are in canonical order = hash order (same length,
     * lower-case base32hex sorts as the hashes do). */
    for (i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        if (r->type != DNS_TYPE_NSEC3)
            continue;
        if (first == NULL)
            first = r;
        if (prev != NULL)
            REQUIRE(next_is(z, prev, r));
        prev = r;
    }
    REQUIRE(first != NULL && next_is(z, prev, first)); /* the cycle */
}

/*
 * Online signing (tibra-dnsd): an update dropping the records the input's
 * bits pick (RRSIGs and chain records too, as an update may leave them;
 * never the SOA) re-signed against signed (z): the chain is one cycle
 * again, every RRSIG verifies, and each is either carried over or made.
 */
static void resign(const struct dns_zone_src *z,
                   const struct dns_sign_params *p, const uint8_t *data,
                   size_t size)
{
    struct dns_diag d = {NULL, NULL, 0, 0};
    struct dns_sign_params p2 = *p;
    struct dns_sign_stats st;
    struct dns_zone_src u;
    size_t nsig = 0;
    int rc;

    dns_zone_src_init(&u, org, &fa);
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        if (r->type != DNS_TYPE_SOA && (data[(i * 7 + 1) % size] & 0x40))
            continue;
        REQUIRE(dns_zone_src_add(&u, dns_zrr_owner(z, r), r->type, r->rclass,
                                 r->ttl, dns_zrr_rdata(z, r), r->rdlen, 0,
                                 0) == 0);
    }
    if (dns_zone_check(&u, &d) != 0)
        goto out;
    p2.inception += 100, p2.expiration += 100;
    rc = dns_sign_resign(&u, z, &p2, p->inception + 200, p->inception + 300,
                         &st, &d);
    REQUIRE(rc == 0 || (rc == TB_EINVAL && p->nsec3));
    if (rc != 0)
        goto out;
    check_chain(&u, p->nsec3);
    for (size_t i = 0; i < u.nrr; i++)
        if (u.rr[i].type == DNS_TYPE_RRSIG) {
            REQUIRE(verify(&u, &u.rr[i]));
            nsig++;
        }
    REQUIRE(st.made + st.kept == nsig);
out:
    dns_zone_src_free(&u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_diag d = {NULL, NULL, 0, 0};
    struct dns_zone_src z;
    struct dns_sign_params p;
    struct tb_buf blob;
    char *text;
    bool dnssec = false;

    if (size < 1 || size > 16384)
        return 0;
    if (key.alg == 0) {
        uint8_t seed[32] = {1, 2, 3};
        REQUIRE(dns_sign_key_generate(&key, DNS_ALG_ECDSAP256SHA256,
                                      DNS_DNSKEY_KSK, 0, seed, 32) == 0);
    }
    memset(&p, 0, sizeof(p));
    p.keys = &key;
    p.nkeys = 1;
    p.inception = 1700000000;
    p.expiration = 1702592000;
    p.nsec3 = data[0] & 1;
    p.optout = data[0] & 2;
    p.iterations = (data[0] >> 2) & 3;
    p.saltlen = (data[0] >> 4) & 3;
    memset(p.salt, 0xAB, p.saltlen);
    text = malloc(size - 1 ? size - 1 : 1);
    memcpy(text, data + 1, size - 1);
    dns_zone_src_init(&z, org, &fa);
    z.max_records = 500;
    if (dns_zone_parse(&z, text, size - 1, "f.zone", NULL, &d) != 0 ||
        dns_zone_check(&z, &d) != 0)
        goto out;
    for (size_t i = 0; i < z.nrr; i++) {
        uint16_t t = z.rr[i].type;
        dnssec |= t == DNS_TYPE_RRSIG || t == DNS_TYPE_NSEC ||
                  t == DNS_TYPE_NSEC3 || t == DNS_TYPE_NSEC3PARAM;
    }
    int rc = dns_sign_zone(&z, &p, &d);
    if (dnssec) {
        REQUIRE(rc == TB_ESEMANTIC);
        goto out;
    }
    REQUIRE(rc == 0 || (rc == TB_EINVAL && p.nsec3)); /* hash collision */
    if (rc != 0)
        goto out;
    d.errors = 0;
    REQUIRE(dns_zone_check(&z, &d) == 0 && d.errors == 0);
    check_chain(&z, p.nsec3);
    for (size_t i = 0; i < z.nrr; i++)
        if (z.rr[i].type == DNS_TYPE_RRSIG)
            REQUIRE(verify(&z, &z.rr[i]));
    tb_buf_init(&blob, &fa);
    REQUIRE(dns_zone_compile(&z, &blob, &d) == 0 && blob.err == 0);
    tb_buf_free(&blob);
    resign(&z, &p, data, size);
out:
    dns_zone_src_free(&z);
    free(text);
    REQUIRE(live == 0);
    return 0;
}
