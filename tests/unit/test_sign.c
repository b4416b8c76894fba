/*
 * test_sign.c -- lib/dns/sign*.c: zones signed with ECDSA P-256 and RSA
 * keys (CSK, KSK+ZSK), NSEC and NSEC3, then every RRSIG checked here with
 * BearSSL's verify functions over canonical data this test builds itself
 * (its own lower-casing and RR ordering, not the library's); which RRsets
 * carry signatures (not glue, not delegation NS), the chains' sizes,
 * determinism (same inputs, records in another order -> same bytes), the
 * RFC 6979 A.2.5 vectors through dns_sign_digest (BearSSL's
 * br_ecdsa_i31_sign_raw is RFC 6979's deterministic ECDSA), key tags and
 * DS against a key of RFC 4034 5.4, and refusal of an already signed zone.
 */
#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <bearssl_rsa.h>
#include <stdlib.h>
#include <tibra/dns.h>
#include <tibra/dns/sign.h>
#include <tibra/dns/update.h>

#include "check.h"

static void *h_alloc(void *c, size_t n)
{
    (void)c;
    return malloc(n ? n : 1);
}
static void *h_realloc(void *c, void *p, size_t o, size_t n)
{
    (void)c, (void)o;
    return realloc(p, n ? n : 1);
}
static void h_free(void *c, void *p, size_t n)
{
    (void)c, (void)n;
    free(p);
}
static const struct tb_alloc heap = {h_alloc, h_realloc, h_free, NULL};

static const uint8_t org[] = "\7example\3org";

static char last_err[512];
static unsigned last_line;

static void report(void *ctx, int level, const char *file, unsigned line,
                   const char *msg)
{
    (void)ctx;
    if (level != DNS_DIAG_ERROR || last_err[0] != '\0')
        return; /* the first error only */
    last_line = line;
    snprintf(last_err, sizeof(last_err), "%s:%u: %s", file ? file : "-", line,
             msg);
}

/* Names of every kind: apex, plain, mixed case, wildcard, empty
 * non-terminals (y.z, b.c), CNAME, a secure delegation (DS) and an
 * insecure one with glue below it. */
#define ZONE_A                                                                 \
    "$TTL 300\n"                                                               \
    "@ 3600 SOA NS1.Example.org. host.example.org. 1 7200 900 1209600 600\n"   \
    "@ NS ns1\n"                                                               \
    "@ MX 10 Mail.Example.ORG.\n"                                              \
    "ns1 A 192.0.2.1\n"                                                        \
    "Mail A 192.0.2.2\n"
#define ZONE_B                                                                 \
    "www CNAME Mail\n"                                                         \
    "*.wild TXT \"w\"\n"                                                       \
    "x.y.z AAAA 2001:db8::1\n"                                                 \
    "a.b.c TXT \"deep\"\n"                                                     \
    "sec NS ns.other.net.\n"                                                   \
    "sec DS 12345 13 2 "                                                       \
    "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF\n"       \
    "sub NS ns.sub\n"                                                          \
    "ns.sub A 192.0.2.9\n"

static int load(struct dns_zone_src *z, const char *text)
{
    struct dns_diag d = {report, NULL, 0, 0};
    int rc;

    dns_zone_src_init(z, org, &heap);
    rc = dns_zone_parse(z, text, strlen(text), "t.zone", NULL, &d);
    if (rc == 0)
        rc = dns_zone_check(z, &d);
    return rc;
}

static uint16_t ld16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t ld32(const uint8_t *p)
{
    return (uint32_t)ld16(p) << 16 | ld16(p + 2);
}

/* The test's own canonical form: names lower-cased in the rdata of the
 * types this test's zones use (NS, CNAME, SOA, MX) and NSEC. */
static size_t lower_name(uint8_t *p)
{
    size_t i = 0;

    while (p[i] != 0) {
        for (size_t j = 1; j <= p[i]; j++)
            if (p[i + j] >= 'A' && p[i + j] <= 'Z')
                p[i + j] += 32;
        i += (size_t)p[i] + 1;
    }
    return i + 1;
}

static void canon(uint16_t type, uint8_t *rd)
{
    size_t o;

    switch (type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_NSEC:
        lower_name(rd);
        break;
    case DNS_TYPE_SOA:
        o = lower_name(rd);
        lower_name(rd + o);
        break;
    case DNS_TYPE_MX:
        lower_name(rd + 2);
        break;
    default:
        break;
    }
}

struct crr {
    uint8_t rd[1024];
    size_t len;
};

static int crr_cmp(const void *a, const void *b)
{
    const struct crr *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->rd, y->rd, n);

    return r != 0 ? r : (x->len > y->len) - (x->len < y->len);
}

/* Verifies the RRSIG (sig) of (z) with the DNSKEY (key). */
static bool verify(const struct dns_zone_src *z, const struct dns_zrr *sig,
                   const uint8_t *key, size_t keylen)
{
    const uint8_t *s = dns_zrr_rdata(z, sig), *o = dns_zrr_owner(z, sig);
    size_t signer = dns_name_len(s + 18), hdr = 18 + signer, n = 0;
    uint16_t covered = ld16(s);
    uint8_t owner[DNS_NAME_MAXLEN], hash[32];
    static struct crr rrs[64];
    br_sha256_context h;

    memcpy(owner, o, dns_name_len(o));
    lower_name(owner);
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        if (r->type != covered || !dns_name_equal(dns_zrr_owner(z, r), o))
            continue;
        if (n == 64 || r->rdlen > sizeof(rrs[0].rd))
            return false;
        memcpy(rrs[n].rd, dns_zrr_rdata(z, r), r->rdlen);
        rrs[n].len = r->rdlen;
        canon(covered, rrs[n].rd);
        n++;
    }
    if (n == 0)
        return false;
    qsort(rrs, n, sizeof(rrs[0]), crr_cmp);
    br_sha256_init(&h);
    br_sha256_update(&h, s, hdr);
    for (size_t i = 0; i < n; i++) {
        uint8_t fix[10] = {(uint8_t)(covered >> 8), (uint8_t)covered, 0, 1};
        memcpy(fix + 4, s + 4, 4); /* original TTL */
        fix[8] = (uint8_t)(rrs[i].len >> 8);
        fix[9] = (uint8_t)rrs[i].len;
        br_sha256_update(&h, owner, dns_name_len(owner));
        br_sha256_update(&h, fix, 10);
        br_sha256_update(&h, rrs[i].rd, rrs[i].len);
    }
    br_sha256_out(&h, hash);
    if (s[2] == DNS_ALG_ECDSAP256SHA256) {
        uint8_t q[65] = {4};
        br_ec_public_key pk = {BR_EC_secp256r1, q, 65};
        if (keylen != 4 + 64)
            return false;
        memcpy(q + 1, key + 4, 64);
        return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, 32, &pk, s + hdr,
                                     sig->rdlen - hdr) == 1;
    }
    if (s[2] == DNS_ALG_RSASHA256) {
        uint8_t out[32];
        size_t el = key[4], eo = 5;
        br_rsa_public_key pk;
        pk.e = (unsigned char *)(uintptr_t)(key + eo);
        pk.elen = el;
        pk.n = (unsigned char *)(uintptr_t)(key + eo + el);
        pk.nlen = keylen - eo - el;
        return br_rsa_i31_pkcs1_vrfy(s + hdr, sig->rdlen - hdr,
                                     BR_HASH_OID_SHA256, 32, &pk, out) == 1 &&
               memcmp(out, hash, 32) == 0;
    }
    return false;
}

/* Checks every RRSIG of (z) against the DNSKEYs in (z); returns how many
 * verified.  (flip) corrupts one signature byte first (must then fail). */
static size_t verify_all(struct dns_zone_src *z, uint32_t inc, uint32_t exp,
                         size_t *failed)
{
    size_t ok = 0;

    *failed = 0;
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        const uint8_t *s = dns_zrr_rdata(z, r);
        bool good = false;
        if (r->type != DNS_TYPE_RRSIG)
            continue;
        if (inc != 0) {
            CHECK_EQ(ld32(s + 8), exp);
            CHECK_EQ(ld32(s + 12), inc);
        }
        for (size_t k = 0; k < z->nrr && !good; k++) {
            const struct dns_zrr *kr = &z->rr[k];
            const uint8_t *kd = dns_zrr_rdata(z, kr);
            if (kr->type == DNS_TYPE_DNSKEY && kd[3] == s[2] &&
                dns_sign_key_tag(kd, kr->rdlen) == ld16(s + 16))
                good = verify(z, r, kd, kr->rdlen);
        }
        if (good)
            ok++;
        else
            (*failed)++;
    }
    return ok;
}

static size_t count(const struct dns_zone_src *z, uint16_t type)
{
    size_t n = 0;

    for (size_t i = 0; i < z->nrr; i++)
        n += z->rr[i].type == type;
    return n;
}

/* RRSIGs at (name) covering (type). */
static size_t sigs_at(const struct dns_zone_src *z, const char *name,
                      uint16_t type)
{
    uint8_t w[DNS_NAME_MAXLEN];
    size_t wl, n = 0;

    if (dns_name_from_text(name, strlen(name), org, w, &wl) != 0)
        return 999;
    for (size_t i = 0; i < z->nrr; i++) {
        const struct dns_zrr *r = &z->rr[i];
        if (r->type == DNS_TYPE_RRSIG && ld16(dns_zrr_rdata(z, r)) == type &&
            dns_name_equal(dns_zrr_owner(z, r), w))
            n++;
    }
    return n;
}

static uint8_t seed_of(unsigned i, uint8_t seed[32])
{
    for (unsigned j = 0; j < 32; j++)
        seed[j] = (uint8_t)(i * 37 + j);
    return seed[0];
}

static struct dns_sign_key keys[4];

static void make_keys(void)
{
    uint8_t seed[32];

    seed_of(1, seed);
    CHECK_EQ(dns_sign_key_generate(&keys[0], DNS_ALG_ECDSAP256SHA256,
                                   DNS_DNSKEY_KSK, 0, seed, 32),
             0);
    seed_of(2, seed);
    CHECK_EQ(dns_sign_key_generate(&keys[1], DNS_ALG_ECDSAP256SHA256,
                                   DNS_DNSKEY_ZSK, 0, seed, 32),
             0);
    seed_of(3, seed);
    CHECK_EQ(dns_sign_key_generate(&keys[2], DNS_ALG_RSASHA256, DNS_DNSKEY_KSK,
                                   1024, seed, 32),
             0);
    seed_of(4, seed);
    CHECK_EQ(dns_sign_key_generate(&keys[3], DNS_ALG_RSASHA256, DNS_DNSKEY_ZSK,
                                   1024, seed, 32),
             0);
    CHECK_EQ(dns_sign_key_generate(&keys[3], 15, DNS_DNSKEY_ZSK, 0, seed, 32),
             TB_EINVAL);
    CHECK_EQ(dns_sign_key_generate(&keys[3], DNS_ALG_RSASHA256, DNS_DNSKEY_ZSK,
                                   1024, seed, 16),
             TB_EINVAL);
    CHECK_EQ(dns_sign_key_generate(&keys[3], DNS_ALG_RSASHA256, DNS_DNSKEY_ZSK,
                                   1024, seed, 32),
             0);
}

#define INC 1700000000u
#define EXP 1702592000u

static int sign(struct dns_zone_src *z, const char *text,
                const struct dns_sign_key *k, size_t nk, bool nsec3)
{
    struct dns_sign_params p = {k, nk, INC, EXP, nsec3, false, 0, 0, {0}};
    struct dns_diag d = {report, NULL, 0, 0};
    int rc = load(z, text);

    if (nsec3) {
        p.saltlen = 4;
        memcpy(p.salt, "\xAA\xBB\xCC\xDD", 4);
    }
    return rc != 0 ? rc : dns_sign_zone(z, &p, &d);
}

/* Signs with (k, nk) and checks the result; returns the RRSIG count. */
static size_t check_signed(const struct dns_sign_key *k, size_t nk, bool nsec3,
                           size_t per_rrset_zsk, size_t per_dnskey)
{
    struct dns_zone_src z;
    size_t failed, ok, nsig;

    if (sign(&z, ZONE_A ZONE_B, k, nk, nsec3) != 0) {
        CHECK(0);
        fprintf(stderr, "%s\n", last_err);
        dns_zone_src_free(&z);
        return 0;
    }
    nsig = count(&z, DNS_TYPE_RRSIG);
    ok = verify_all(&z, INC, EXP, &failed);
    CHECK_EQ(failed, 0);
    CHECK_EQ(ok, nsig);
    CHECK_EQ(count(&z, DNS_TYPE_DNSKEY), nk);
    /* Signed: authoritative RRsets, DS; not delegation NS, not glue. */
    CHECK_EQ(sigs_at(&z, "@", DNS_TYPE_SOA), per_rrset_zsk);
    CHECK_EQ(sigs_at(&z, "@", DNS_TYPE_DNSKEY), per_dnskey);
    CHECK_EQ(sigs_at(&z, "Mail", DNS_TYPE_A), per_rrset_zsk);
    CHECK_EQ(sigs_at(&z, "*.wild", DNS_TYPE_TXT), per_rrset_zsk);
    CHECK_EQ(sigs_at(&z, "sec", DNS_TYPE_DS), per_rrset_zsk);
    CHECK_EQ(sigs_at(&z, "sec", DNS_TYPE_NS), 0);
    CHECK_EQ(sigs_at(&z, "sub", DNS_TYPE_NS), 0);
    CHECK_EQ(sigs_at(&z, "ns.sub", DNS_TYPE_A), 0);
    /* The wildcard's labels field leaves out the "*" (RFC 4034 3.1.3). */
    for (size_t i = 0; i < z.nrr; i++)
        if (z.rr[i].type == DNS_TYPE_RRSIG &&
            dns_name_is_wildcard(dns_zrr_owner(&z, &z.rr[i])))
            CHECK_EQ(dns_zrr_rdata(&z, &z.rr[i])[3], 3);
    if (!nsec3) {
        /* apex ns1 mail www *.wild x.y.z a.b.c sec sub: 9 names. */
        CHECK_EQ(count(&z, DNS_TYPE_NSEC), 9);
        CHECK_EQ(sigs_at(&z, "sub", DNS_TYPE_NSEC), per_rrset_zsk);
        CHECK_EQ(count(&z, DNS_TYPE_NSEC3), 0);
    } else {
        /* The 9 names, and wild, y.z, z, b.c, c (empty non-terminals). */
        CHECK_EQ(count(&z, DNS_TYPE_NSEC3), 14);
        CHECK_EQ(count(&z, DNS_TYPE_NSEC3PARAM), 1);
        CHECK_EQ(count(&z, DNS_TYPE_NSEC), 0);
    }
    /* A corrupted signature must fail: the verifier can say no. */
    for (size_t i = 0; i < z.nrr; i++)
        if (z.rr[i].type == DNS_TYPE_RRSIG) {
            z.data.data[z.rr[i].rdata + z.rr[i].rdlen - 1] ^= 1;
            break;
        }
    verify_all(&z, INC, EXP, &failed);
    CHECK_EQ(failed, 1);
    dns_zone_src_free(&z);
    return nsig;
}

static void test_sign_verify(void)
{
    make_keys();
    /* CSK (one ECDSA KSK signs everything). */
    CHECK(check_signed(&keys[0], 1, false, 1, 1) > 0);
    CHECK(check_signed(&keys[0], 1, true, 1, 1) > 0);
    /* KSK + ZSK, ECDSA: DNSKEY by the KSK only, the rest by the ZSK. */
    CHECK(check_signed(&keys[0], 2, false, 1, 1) > 0);
    /* RSA KSK + ZSK, NSEC3. */
    CHECK(check_signed(&keys[2], 2, true, 1, 1) > 0);
    /* Two algorithms, one key each: both sign everything (RFC 6840). */
    struct dns_sign_key two[2] = {keys[0], keys[3]};
    CHECK(check_signed(two, 2, false, 2, 2) > 0);
}

/* Same zone (records in another order), keys and times -> same bytes. */
static void test_determinism(void)
{
    struct dns_zone_src a, b;

    REQUIRE(sign(&a, ZONE_A ZONE_B, keys, 4, true) == 0);
    REQUIRE(sign(&b, ZONE_A "a.b.c TXT \"deep\"\n" ZONE_B, keys, 4, true) == 0);
    REQUIRE(a.nrr == b.nrr);
    for (size_t i = 0; i < a.nrr; i++) {
        const struct dns_zrr *x = &a.rr[i], *y = &b.rr[i];
        CHECK(x->type == y->type && x->ttl == y->ttl && x->rdlen == y->rdlen);
        CHECK(dns_name_equal(dns_zrr_owner(&a, x), dns_zrr_owner(&b, y)));
        if (x->rdlen == y->rdlen)
            CHECK_MEM(dns_zrr_rdata(&a, x), dns_zrr_rdata(&b, y), x->rdlen);
    }
    dns_zone_src_free(&a);
    dns_zone_src_free(&b);
    /* Another key gives other signatures. */
    REQUIRE(sign(&a, ZONE_A ZONE_B, &keys[0], 1, false) == 0);
    REQUIRE(sign(&b, ZONE_A ZONE_B, &keys[1], 1, false) == 0);
    bool differ = false;
    for (size_t i = 0; i < a.nrr && i < b.nrr; i++)
        if (a.rr[i].type == DNS_TYPE_RRSIG && a.rr[i].rdlen == b.rr[i].rdlen)
            differ |= memcmp(dns_zrr_rdata(&a, &a.rr[i]),
                             dns_zrr_rdata(&b, &b.rr[i]), a.rr[i].rdlen) != 0;
    CHECK(differ);
    dns_zone_src_free(&a);
    dns_zone_src_free(&b);
}

static void unhex(const char *s, uint8_t *out)
{
    for (size_t i = 0; s[2 * i] != '\0'; i++)
        out[i] = (uint8_t)(tb_hexval(s[2 * i]) << 4 | tb_hexval(s[2 * i + 1]));
}

/* RFC 6979 A.2.5: P-256, SHA-256, messages "sample" and "test". */
static void test_rfc6979(void)
{
    static const char *msg[2] = {"sample", "test"};
    static const char *rs[2] = {
        "EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716"
        "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8",
        "F1ABB023518351CD71D881567B1EA663ED3EFCF6C5132B354F28D3B0B7D38367"
        "019F4113742A2B14BD25926B49C649155F267E60D3814B4C0CC84250E46F0083"};
    struct dns_sign_key k;
    uint8_t hash[32], sig[DNS_SIGN_SIG_MAXLEN], want[64];

    memset(&k, 0, sizeof(k));
    k.alg = DNS_ALG_ECDSAP256SHA256;
    k.bits = 256;
    unhex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721",
          k.priv);
    for (int i = 0; i < 2; i++) {
        br_sha256_context h;
        br_sha256_init(&h);
        br_sha256_update(&h, msg[i], strlen(msg[i]));
        br_sha256_out(&h, hash);
        unhex(rs[i], want);
        CHECK_EQ(dns_sign_digest(&k, hash, sig), 64);
        CHECK_MEM(sig, want, 64);
    }
}

/* RFC 4034 5.4: the DNSKEY of dskey.example.com and its DS (SHA-1
 * there; our digest type 2 checked against the same input by hand). */
static void test_tag_ds(void)
{
    static const char *b64 =
        "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYC"
        "mZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM"
        "9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==";
    static const uint8_t owner[] = "\5dskey\7example\3com";
    uint8_t rd[300], ds[DNS_DS_SHA256_LEN], want[32];
    br_sha256_context h;
    int n;

    rd[0] = 1, rd[1] = 0, rd[2] = 3, rd[3] = 5;
    n = tb_base64_decode(b64, strlen(b64), rd + 4, sizeof(rd) - 4);
    REQUIRE(n > 0);
    CHECK_EQ(dns_sign_key_tag(rd, 4 + (size_t)n), 60485);
    CHECK_EQ(dns_sign_ds(owner, rd, 4 + (size_t)n, ds), 36);
    CHECK_EQ(ld16(ds), 60485);
    CHECK_EQ(ds[2], 5);
    CHECK_EQ(ds[3], 2);
    br_sha256_init(&h);
    br_sha256_update(&h, owner, sizeof(owner));
    br_sha256_update(&h, rd, 4 + (size_t)n);
    br_sha256_out(&h, want);
    CHECK_MEM(ds + 4, want, 32);
    /* The input is RFC 4034 5.4's: its SHA-1 DS digest. */
    br_sha1_context h1;
    uint8_t d1[20], w1[20];
    br_sha1_init(&h1);
    br_sha1_update(&h1, owner, sizeof(owner));
    br_sha1_update(&h1, rd, 4 + (size_t)n);
    br_sha1_out(&h1, d1);
    unhex("2BB183AF5F22588179A53B0A98631FAD1A292118", w1);
    CHECK_MEM(d1, w1, 20);
}

static void test_refuse_signed(void)
{
    struct dns_zone_src z;

    last_err[0] = '\0';
    CHECK_EQ(sign(&z,
                  ZONE_A "www NSEC ns1.example.org. A\n"
                         "Mail RRSIG A 13 3 300 20240101000000 "
                         "20230101000000 1 example.org. AAAA\n",
                  keys, 1, false),
             TB_ESEMANTIC);
    CHECK(strstr(last_err, "t.zone:8: RRSIG record in a zone to sign") != NULL);
    dns_zone_src_free(&z);
    /* Bad parameters. */
    REQUIRE(load(&z, ZONE_A) == 0);
    struct dns_sign_params p = {keys, 1, EXP, INC, false, false, 0, 0, {0}};
    struct dns_diag d = {report, NULL, 0, 0};
    CHECK_EQ(dns_sign_zone(&z, &p, &d), TB_EINVAL);
    dns_zone_src_free(&z);
}

static int read_key(struct dns_sign_key *k, const char *pub, const char *priv)
{
    struct dns_diag d = {report, NULL, 0, 0};

    last_err[0] = '\0';
    return dns_sign_key_read(k, org, pub, strlen(pub), "K.key", priv,
                             priv ? strlen(priv) : 0, "K.private", &heap, &d);
}

/* Written BIND files read back to the same key (and sign alike); a
 * private half of another key, bad fields and other algorithms refused
 * with FILE:LINE. */
static void test_keyfiles(void)
{
    static char pub[4096], priv[8192], pub2[4096], priv2[8192];
    struct dns_sign_key k;

    for (int i = 0; i < 4; i += 2) {
        uint8_t h[32] = {7}, s1[DNS_SIGN_SIG_MAXLEN], s2[DNS_SIGN_SIG_MAXLEN];
        REQUIRE(dns_sign_key_write(&keys[i], org, pub, sizeof(pub), priv,
                                   sizeof(priv)) == 0);
        CHECK(strstr(pub, "example.org. IN DNSKEY 257 3 ") != NULL);
        CHECK(strstr(priv, "Private-key-format: v1.3\n") == priv);
        CHECK_EQ(read_key(&k, pub, priv), 0);
        CHECK_EQ(k.tag, keys[i].tag);
        CHECK_EQ(k.flags, DNS_DNSKEY_KSK);
        CHECK_EQ(k.dnskey_len, keys[i].dnskey_len);
        CHECK_MEM(k.dnskey, keys[i].dnskey, k.dnskey_len);
        int n = dns_sign_digest(&k, h, s1);
        CHECK(n > 0);
        CHECK_EQ(dns_sign_digest(&keys[i], h, s2), n);
        CHECK_MEM(s1, s2, (size_t)(n > 0 ? n : 0));
        /* Public only (tibra key ds). */
        CHECK_EQ(read_key(&k, pub, NULL), 0);
        CHECK_EQ(k.tag, keys[i].tag);
        /* The private half of the ZSK with the KSK's DNSKEY. */
        REQUIRE(dns_sign_key_write(&keys[i + 1], org, pub2, sizeof(pub2), priv2,
                                   sizeof(priv2)) == 0);
        CHECK_EQ(read_key(&k, pub, priv2), TB_EMALF);
        CHECK(strstr(last_err, "K.private:") == last_err);
        CHECK_EQ(k.dnskey_len, 0); /* wiped */
    }
    /* Damaged files. */
    REQUIRE(dns_sign_key_write(&keys[0], org, pub, sizeof(pub), priv,
                               sizeof(priv)) == 0);
    CHECK_EQ(read_key(&k, "; nothing\n", priv), TB_EMALF);
    CHECK(strstr(last_err, "K.key:1: no DNSKEY record") != NULL);
    CHECK_EQ(read_key(&k, "other.net. IN DNSKEY 257 3 13 AAAA\n", priv),
             TB_EMALF);
    CHECK(strstr(last_err, "K.key:1: DNSKEY of another zone") != NULL);
    CHECK_EQ(read_key(&k, "example.org. IN DNSKEY 257 3 15 AAAA\n", priv),
             TB_ENOTSUP);
    CHECK(strstr(last_err, "algorithm 15 is not supported") != NULL);
    CHECK_EQ(read_key(&k, pub,
                      "Private-key-format: v1.3\nAlgorithm: 13\n"
                      "PrivateKey: !!!!\n"),
             TB_EMALF);
    CHECK(strstr(last_err, "K.private:3: PrivateKey: not base64") != NULL);
    CHECK_EQ(read_key(&k, pub, "Private-key-format: v1.3\nAlgorithm: 8\n"),
             TB_EMALF);
    CHECK(strstr(last_err, "K.private:2: Algorithm is not") != NULL);
    CHECK_EQ(read_key(&k, pub, "Algorithm: 13\nno colon here\n"), TB_EMALF);
    CHECK(strstr(last_err, "K.private:2: expected") != NULL);
    dns_sign_key_wipe(&k);
    memset(priv, 0, sizeof(priv));
    memset(priv2, 0, sizeof(priv2));
}

/* ---- online signing: dns_sign_resign, dns_sign_refresh ------------- */

#define INC2 1700500000u
#define EXP2 1703092000u

static bool optout_case; /* NSEC3 with opt-out in rparams() */

static void rparams(struct dns_sign_params *p, const struct dns_sign_key *k,
                    size_t nk, bool nsec3, uint32_t inc, uint32_t exp)
{
    memset(p, 0, sizeof(*p));
    p->keys = k, p->nkeys = nk, p->inception = inc, p->expiration = exp;
    p->nsec3 = nsec3;
    p->optout = nsec3 && optout_case;
    if (nsec3) {
        p->saltlen = 2;
        memcpy(p->salt, "\x01\x02", 2);
    }
}

static void add_rr(struct dns_zone_src *z, const struct dns_zone_src *from,
                   const struct dns_zrr *r)
{
    CHECK_EQ(dns_zone_src_add(z, dns_zrr_owner(from, r), r->type, r->rclass,
                              r->ttl, dns_zrr_rdata(from, r), r->rdlen, 0, 0),
             0);
}

/* A version made from signed (old) as an update leaves it: its records
 * (RRSIGs and chain too) but those owned by (del) (NULL: none), plus the
 * records of (add), serial (serial). */
static int derive(struct dns_zone_src *out, const struct dns_zone_src *old,
                  const char *del, const char *add, uint32_t serial)
{
    struct dns_diag d = {report, NULL, 0, 0};
    struct dns_zone_src t;
    uint8_t w[DNS_NAME_MAXLEN];
    size_t wl = 0;
    char text[512];
    int rc;

    if (del != NULL && dns_name_from_text(del, strlen(del), org, w, &wl) != 0)
        return -1;
    dns_zone_src_init(out, org, &heap);
    for (size_t i = 0; i < old->nrr; i++) {
        const struct dns_zrr *r = &old->rr[i];
        if (wl == 0 || !dns_name_equal(dns_zrr_owner(old, r), w))
            add_rr(out, old, r);
    }
    snprintf(text, sizeof(text), "$TTL 300\n%s", add != NULL ? add : "");
    dns_zone_src_init(&t, org, &heap);
    rc = dns_zone_parse(&t, text, strlen(text), "add.zone", NULL, &d);
    for (size_t i = 0; i < t.nrr && rc == 0; i++)
        add_rr(out, &t, &t.rr[i]);
    dns_zone_src_free(&t);
    for (size_t i = 0; i < out->nrr; i++)
        if (out->rr[i].type == DNS_TYPE_SOA) {
            uint8_t *rd = out->data.data + out->rr[i].rdata;
            size_t o = out->rr[i].rdlen - 20u;
            rd[o] = (uint8_t)(serial >> 24),
            rd[o + 1] = (uint8_t)(serial >> 16);
            rd[o + 2] = (uint8_t)(serial >> 8), rd[o + 3] = (uint8_t)serial;
        }
    return rc != 0 ? rc : dns_zone_check(out, &d);
}

/* Whether the RRset (owner, type) of (a) is in (b) byte for byte. */
static bool same_rrset(const struct dns_zone_src *a,
                       const struct dns_zone_src *b, const uint8_t *owner,
                       uint16_t type)
{
    size_t na = 0, nb = 0, match = 0;

    for (size_t i = 0; i < a->nrr; i++) {
        const struct dns_zrr *x = &a->rr[i];
        if (x->type != type || !dns_name_equal(dns_zrr_owner(a, x), owner))
            continue;
        na++;
        for (size_t j = 0; j < b->nrr; j++) {
            const struct dns_zrr *y = &b->rr[j];
            if (y->type == type && y->ttl == x->ttl && y->rdlen == x->rdlen &&
                dns_name_equal(dns_zrr_owner(b, y), owner) &&
                memcmp(dns_zrr_rdata(a, x), dns_zrr_rdata(b, y), x->rdlen) == 0)
                match++;
        }
    }
    for (size_t j = 0; j < b->nrr; j++)
        nb += b->rr[j].type == type &&
              dns_name_equal(dns_zrr_owner(b, &b->rr[j]), owner);
    return na == nb && match == na;
}

/* (z)'s records other than RRSIGs equal (f)'s, in order. */
static bool same_unsigned(const struct dns_zone_src *z,
                          const struct dns_zone_src *f)
{
    size_t i = 0, j = 0;

    for (;;) {
        while (i < z->nrr && z->rr[i].type == DNS_TYPE_RRSIG)
            i++;
        while (j < f->nrr && f->rr[j].type == DNS_TYPE_RRSIG)
            j++;
        if (i == z->nrr || j == f->nrr)
            return i == z->nrr && j == f->nrr;
        const struct dns_zrr *x = &z->rr[i++], *y = &f->rr[j++];
        if (x->type != y->type || x->ttl != y->ttl || x->rdlen != y->rdlen ||
            !dns_name_equal(dns_zrr_owner(z, x), dns_zrr_owner(f, y)) ||
            memcmp(dns_zrr_rdata(z, x), dns_zrr_rdata(f, y), x->rdlen) != 0)
            return false;
    }
}

/* The chain of re-signed (z) is the one dns_sign_zone() makes from its
 * data alone. */
static bool chain_as_fresh(const struct dns_zone_src *z,
                           const struct dns_sign_params *p)
{
    struct dns_diag d = {report, NULL, 0, 0};
    struct dns_zone_src f;
    bool ok;

    dns_zone_src_init(&f, org, &heap);
    for (size_t i = 0; i < z->nrr; i++) {
        uint16_t t = z->rr[i].type;
        if (t != DNS_TYPE_RRSIG && t != DNS_TYPE_NSEC && t != DNS_TYPE_NSEC3 &&
            t != DNS_TYPE_NSEC3PARAM)
            add_rr(&f, z, &z->rr[i]);
    }
    ok = dns_zone_check(&f, &d) == 0 && dns_sign_zone(&f, p, &d) == 0 &&
         same_unsigned(z, &f);
    dns_zone_src_free(&f);
    return ok;
}

/*
 * Signs ZONE_A ZONE_B online, applies (del, add) as an update would and
 * re-signs against the previous version: every RRSIG verifies, the chain
 * is what a fresh signing makes, the RRsets that changed (data, chain,
 * SOA) and only those have new signatures, and their count is what was
 * made (the cost of the change).
 */
static void resign_case(bool nsec3, const struct dns_sign_key *k, size_t nk,
                        const char *del, const char *add)
{
    struct dns_diag d = {report, NULL, 0, 0};
    struct dns_sign_params p1, p2;
    struct dns_sign_stats st;
    struct dns_zone_src z0, z1;
    size_t failed, nsig, fresh = 0, changed = 0;

    rparams(&p1, k, nk, nsec3, INC, EXP);
    rparams(&p2, k, nk, nsec3, INC2, EXP2);
    last_err[0] = '\0';
    REQUIRE(load(&z0, ZONE_A ZONE_B) == 0);
    REQUIRE(dns_sign_resign(&z0, NULL, &p1, INC + 3600, INC + 7200, &st, &d) ==
            0);
    CHECK_EQ(st.kept, 0);
    CHECK_EQ(st.made, count(&z0, DNS_TYPE_RRSIG));
    CHECK_EQ(st.expire_min, EXP);
    CHECK(chain_as_fresh(&z0, &p1));
    REQUIRE(derive(&z1, &z0, del, add, 2) == 0);
    REQUIRE(dns_sign_resign(&z1, &z0, &p2, INC2 + 3600, INC2 + 7200, &st, &d) ==
            0);
    nsig = count(&z1, DNS_TYPE_RRSIG);
    CHECK_EQ(verify_all(&z1, 0, 0, &failed), nsig);
    CHECK_EQ(failed, 0);
    CHECK(chain_as_fresh(&z1, &p2));
    for (size_t i = 0; i < z1.nrr; i++) {
        const struct dns_zrr *r = &z1.rr[i];
        const uint8_t *rd = dns_zrr_rdata(&z1, r);
        if (r->type != DNS_TYPE_RRSIG)
            continue;
        bool same = same_rrset(&z1, &z0, dns_zrr_owner(&z1, r), ld16(rd));
        fresh += ld32(rd + 12) == INC2;
        changed += !same;
        CHECK_EQ(ld32(rd + 12), same ? INC : INC2);
    }
    CHECK(changed >= 1); /* the SOA at least */
    CHECK_EQ(st.made, changed);
    CHECK_EQ(st.made, fresh);
    CHECK_EQ(st.kept, nsig - fresh);
    CHECK_EQ(st.expire_min, EXP);
    if (check_failed != 0 && last_err[0] != '\0')
        fprintf(stderr, "%s\n", last_err);
    dns_zone_src_free(&z0);
    dns_zone_src_free(&z1);
}

static void test_resign_changes(void)
{
    static const char *const cases[][2] = {
        {NULL, "new A 192.0.2.50\n"}, /* a name */
        {"Mail", NULL}, /* a name goes */
        {NULL, "q.r.s TXT \"x\"\n"}, /* with two empty non-terminals */
        {"a.b.c", NULL}, /* its empty non-terminals go */
        {NULL, "deleg NS ns.other.net.\n"}, /* an insecure delegation */
        {"sec", NULL}, /* a secure delegation goes */
        {NULL,
         "sub DS 1 13 2 "
         "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
         "\n"}, /* insecure -> secure */
        {NULL, "ns1 A 192.0.2.77\n"}, /* an RRset grows */
        {NULL, "a.b.c NS ns.other.net.\n"}, /* a name becomes a cut */
        {NULL, NULL}, /* the serial alone */
    };

    make_keys();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_current = cases[i][0] != NULL ? cases[i][0] : cases[i][1];
        resign_case(false, keys, 1, cases[i][0], cases[i][1]);
        resign_case(true, keys, 1, cases[i][0], cases[i][1]);
        resign_case(true, keys, 2, cases[i][0], cases[i][1]); /* KSK+ZSK */
        optout_case = true; /* insecure delegations out of the chain */
        resign_case(true, keys, 1, cases[i][0], cases[i][1]);
        optout_case = false;
    }
    check_current = "resign_changes";
    resign_case(false, &keys[2], 2, "www", "www2 CNAME Mail\n"); /* RSA */
}

/* Refresh: only signatures expiring before the refresh time (and the
 * SOA's: a new serial) are made again. */
static void test_refresh(void)
{
    struct dns_diag d = {report, NULL, 0, 0};
    struct dns_sign_params p1, p2;
    struct dns_sign_stats st;
    struct dns_zone_src z0, z1;
    size_t n, failed;

    rparams(&p1, keys, 2, true, INC, EXP);
    rparams(&p2, keys, 2, true, INC2, EXP2);
    REQUIRE(load(&z0, ZONE_A ZONE_B) == 0);
    REQUIRE(dns_sign_resign(&z0, NULL, &p1, INC, INC + 1, &st, &d) == 0);
    n = st.made;
    /* Not yet due: the SOA's signature alone. */
    REQUIRE(dns_sign_refresh(&z0, 5, &z1, &p2, INC2, EXP - 1, false, &st, &heap,
                             &d) == 0);
    CHECK_EQ(st.made, 1);
    CHECK_EQ(st.kept, n - 1);
    CHECK_EQ(dns_zone_src_serial(&z1), 5);
    CHECK_EQ(st.expire_min, EXP);
    CHECK_EQ(verify_all(&z1, 0, 0, &failed), n);
    CHECK_EQ(failed, 0);
    dns_zone_src_free(&z1);
    /* Due: every one. */
    REQUIRE(dns_sign_refresh(&z0, 6, &z1, &p2, INC2, EXP + 1, false, &st, &heap,
                             &d) == 0);
    CHECK_EQ(st.made, n);
    CHECK_EQ(st.kept, 0);
    CHECK_EQ(st.expire_min, EXP2);
    CHECK_EQ(verify_all(&z1, INC2, EXP2, &failed), n);
    CHECK_EQ(failed, 0);
    dns_zone_src_free(&z1);
    /* Not valid yet (inception after now): made again. */
    REQUIRE(dns_sign_refresh(&z0, 7, &z1, &p2, INC - 1, INC, false, &st, &heap,
                             &d) == 0);
    CHECK_EQ(st.kept, 0);
    dns_zone_src_free(&z1);
    /* Expiration before the refresh time: refused. */
    CHECK_EQ(dns_sign_refresh(&z0, 8, &z1, &p2, INC2, EXP2 + 1, false, &st,
                              &heap, &d),
             TB_EINVAL);
    dns_zone_src_free(&z1);
    dns_zone_src_free(&z0);
}

/* Without a previous version, a zone's own RRSIGs (a signed zone file
 * tibra-dnsd wrote) are kept only when they verify; another key's are
 * dropped. */
static void test_resign_own(void)
{
    struct dns_diag d = {report, NULL, 0, 0};
    struct dns_sign_params p1, p2;
    struct dns_sign_stats st;
    struct dns_zone_src z0, z1;
    size_t n, failed;

    rparams(&p1, keys, 1, false, INC, EXP);
    rparams(&p2, keys, 1, false, INC2, EXP2);
    REQUIRE(load(&z0, ZONE_A ZONE_B) == 0);
    REQUIRE(dns_sign_resign(&z0, NULL, &p1, INC, INC + 1, &st, &d) == 0);
    n = st.made;
    REQUIRE(derive(&z1, &z0, NULL, NULL, 1) == 0); /* the same zone */
    REQUIRE(dns_sign_resign(&z1, NULL, &p2, INC2, INC2 + 1, &st, &d) == 0);
    CHECK_EQ(st.made, 0);
    CHECK_EQ(st.kept, n);
    dns_zone_src_free(&z1);
    REQUIRE(derive(&z1, &z0, NULL, NULL, 1) == 0);
    for (size_t i = 0, flipped = 0; i < z1.nrr && flipped < 2; i++)
        if (z1.rr[i].type == DNS_TYPE_RRSIG && i % 2 == 0) {
            z1.data.data[z1.rr[i].rdata + z1.rr[i].rdlen - 1] ^= 1;
            flipped++;
        }
    REQUIRE(dns_sign_resign(&z1, NULL, &p2, INC2, INC2 + 1, &st, &d) == 0);
    CHECK_EQ(st.made, 2);
    CHECK_EQ(st.kept, n - 2);
    CHECK_EQ(verify_all(&z1, 0, 0, &failed), n);
    CHECK_EQ(failed, 0);
    dns_zone_src_free(&z1);
    /* A refresh of an untrusted version: the SOA's alone is made (a new
     * serial), the rest verify and are kept. */
    REQUIRE(dns_sign_refresh(&z0, 9, &z1, &p2, INC2, INC2 + 1, true, &st, &heap,
                             &d) == 0);
    CHECK_EQ(st.made, 1);
    CHECK_EQ(st.kept, n - 1);
    dns_zone_src_free(&z1);
    /* Another key: nothing kept; the old DNSKEY stays published. */
    rparams(&p2, &keys[1], 1, false, INC2, EXP2);
    REQUIRE(derive(&z1, &z0, NULL, NULL, 1) == 0);
    REQUIRE(dns_sign_resign(&z1, &z0, &p2, INC2, INC2 + 1, &st, &d) == 0);
    CHECK_EQ(st.kept, 0);
    CHECK_EQ(st.made, n);
    CHECK_EQ(count(&z1, DNS_TYPE_DNSKEY), 2);
    CHECK_EQ(verify_all(&z1, INC2, EXP2, &failed), n);
    CHECK_EQ(failed, 0);
    dns_zone_src_free(&z1);
    dns_zone_src_free(&z0);
}

int main(void)
{
    RUN(test_rfc6979);
    RUN(test_tag_ds);
    RUN(test_sign_verify);
    RUN(test_determinism);
    RUN(test_refuse_signed);
    RUN(test_keyfiles);
    RUN(test_resign_changes);
    RUN(test_refresh);
    RUN(test_resign_own);
    for (size_t i = 0; i < 4; i++)
        dns_sign_key_wipe(&keys[i]);
    return check_done();
}
