/*
 * test_val.c -- DNSSEC validation (lib/dns/val*.c).
 *
 * Two sources of signatures: keys made here with BearSSL's key generators
 * from a seeded HMAC-DRBG (RSA 1024/2048, P-256, P-384) and libsodium's
 * Ed25519 (when linked, mk/val.mk), signing RRsets the test builds with
 * its own (independent, simple) signed-data code; and zones signed once by
 * ldns-signzone (tests/data/val/README), an independent implementation,
 * each of whose RRSIGs must verify.  Time is fixed (2026-01-01).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>
#include <tibra/dns.h>
#include <tibra/dns/val.h>
#include <tibra/hosted.h>
#ifdef TB_HAVE_SODIUM
#include <sodium.h>
#endif

#include "check.h"
#include "test_auth_util.h"

#define NOW 1767225600u /* 2026-01-01T00:00:00Z */

static uint8_t scratch[72 * 1024];

#ifdef TB_HAVE_SODIUM
static bool ed_verify(const uint8_t *sig, const uint8_t *msg, size_t len,
                      const uint8_t *pk)
{
    return crypto_sign_ed25519_verify_detached(sig, msg, len, pk) == 0;
}
#define ED_VERIFY ed_verify
#else
#define ED_VERIFY NULL
#endif

static struct dns_val_conf conf(void)
{
    struct dns_val_conf c = {scratch, sizeof(scratch), NOW, ED_VERIFY, 0, NULL};
    return c;
}

/* Wire name from text, in one of 256 rotating buffers (plenty for one test
 * function). */
static const uint8_t *N(const char *t)
{
    static uint8_t b[256][DNS_NAME_MAXLEN];
    static unsigned k;
    uint8_t *o = b[k++ % 256];
    size_t l;

    if (dns_name_from_text(t, strlen(t), NULL, o, &l) != 0)
        abort();
    return o;
}

/* ---- keys and signing (the test's own) -------------------------------- */

struct key {
    uint8_t alg;
    uint8_t rdata[4 + 600];
    size_t rdlen;
    uint16_t tag;
    br_rsa_private_key rsk;
    uint8_t rbuf[BR_RSA_KBUF_PRIV_SIZE(2048)];
    br_ec_private_key esk;
    uint8_t ebuf[BR_EC_KBUF_PRIV_MAX_SIZE];
    uint8_t edsk[64];
};

static br_hmac_drbg_context drbg;

static void rng_init(void)
{
    static const char seed[] = "tibra test_val deterministic seed";
    br_hmac_drbg_init(&drbg, &br_sha256_vtable, seed, sizeof(seed));
}

static bool keygen(struct key *k, uint8_t alg, uint16_t flags)
{
    memset(k, 0, sizeof(*k));
    k->alg = alg;
    tb_put16(k->rdata, flags);
    k->rdata[2] = 3;
    k->rdata[3] = alg;
    if (alg == DNS_ALG_RSASHA256 || alg == DNS_ALG_RSASHA512) {
        static uint8_t pbuf[BR_RSA_KBUF_PUB_SIZE(2048)];
        br_rsa_public_key pk;
        unsigned bits = alg == DNS_ALG_RSASHA256 ? 1024 : 2048;
        if (!br_rsa_keygen_get_default()(&drbg.vtable, &k->rsk, k->rbuf, &pk,
                                         pbuf, bits, 65537))
            return false;
        k->rdata[4] = (uint8_t)pk.elen;
        memcpy(k->rdata + 5, pk.e, pk.elen);
        memcpy(k->rdata + 5 + pk.elen, pk.n, pk.nlen);
        k->rdlen = 5 + pk.elen + pk.nlen;
    } else if (alg == DNS_ALG_ECDSAP256SHA256 ||
               alg == DNS_ALG_ECDSAP384SHA384) {
        uint8_t pbuf[BR_EC_KBUF_PUB_MAX_SIZE];
        br_ec_public_key pk;
        int curve =
            alg == DNS_ALG_ECDSAP256SHA256 ? BR_EC_secp256r1 : BR_EC_secp384r1;
        if (br_ec_keygen(&drbg.vtable, br_ec_get_default(), &k->esk, k->ebuf,
                         curve) == 0 ||
            br_ec_compute_pub(br_ec_get_default(), &pk, pbuf, &k->esk) == 0)
            return false;
        memcpy(k->rdata + 4, pk.q + 1, pk.qlen - 1);
        k->rdlen = 4 + pk.qlen - 1;
    } else if (alg == DNS_ALG_ED25519) {
#ifdef TB_HAVE_SODIUM
        uint8_t seed[32];
        drbg.vtable->generate(&drbg.vtable, seed, sizeof(seed));
        crypto_sign_ed25519_seed_keypair(k->rdata + 4, k->edsk, seed);
        k->rdlen = 4 + 32;
#else
        return false;
#endif
    } else {
        memset(k->rdata + 4, 0xAB, 32); /* an algorithm we do not do */
        k->rdlen = 4 + 32;
    }
    k->tag = dns_val_keytag(k->rdata, k->rdlen);
    return true;
}

static int cmp_rd(const void *a, const void *b)
{
    const struct dns_val_rdata *x = a, *y = b;
    int c = memcmp(x->p, y->p, TB_MIN(x->len, y->len));
    return c != 0 ? c : (int)x->len - (int)y->len;
}

struct sigp {
    uint8_t labels; /* 0: the owner's */
    uint32_t inception, expiration;
    int tag_delta; /* added to the key tag */
    const char *signer;
    uint16_t covered; /* 0: the set's */
};

/*
 * Signs (rd, n) at (owner) (already lowercase, as given: the caller picks
 * the wildcard owner) with (k); writes RRSIG rdata to (out).  The rdatas
 * MUST already be canonical (lowercase names); sorted here.
 */
static size_t sign_set(const struct key *k, const char *owner, uint16_t type,
                       const struct dns_val_rdata *rd, size_t n,
                       const struct sigp *sp, uint8_t *out)
{
    static uint8_t msg[16384];
    struct dns_val_rdata s[16];
    const uint8_t *on = N(owner), *sn = N(sp->signer);
    size_t ol = dns_name_len(on), sl = dns_name_len(sn), m = 0, i, hl;
    uint8_t h[64], *sig;
    size_t siglen = 0;

    memcpy(s, rd, n * sizeof(*rd));
    qsort(s, n, sizeof(*s), cmp_rd);
    tb_put16(out, sp->covered ? sp->covered : type);
    out[2] = k->alg;
    out[3] = sp->labels ? sp->labels : (uint8_t)dns_name_labels(on);
    tb_put32(out + 4, 3600);
    tb_put32(out + 8, sp->expiration);
    tb_put32(out + 12, sp->inception);
    tb_put16(out + 16, (uint16_t)(k->tag + sp->tag_delta));
    memcpy(out + 18, sn, sl);
    memcpy(msg, out, 18 + sl);
    m = 18 + sl;
    for (i = 0; i < n; i++) {
        if (i > 0 && cmp_rd(&s[i], &s[i - 1]) == 0)
            continue;
        memcpy(msg + m, on, ol);
        m += ol;
        tb_put16(msg + m, type);
        tb_put16(msg + m + 2, DNS_CLASS_IN);
        tb_put32(msg + m + 4, 3600);
        tb_put16(msg + m + 8, s[i].len);
        memcpy(msg + m + 10, s[i].p, s[i].len);
        m += 10 + s[i].len;
    }
    sig = out + 18 + sl;
    if (k->alg == DNS_ALG_RSASHA256 || k->alg == DNS_ALG_RSASHA512) {
        bool s256 = k->alg == DNS_ALG_RSASHA256;
        if (s256) {
            br_sha256_context c;
            br_sha256_init(&c);
            br_sha256_update(&c, msg, m);
            br_sha256_out(&c, h);
            hl = 32;
        } else {
            br_sha512_context c;
            br_sha512_init(&c);
            br_sha512_update(&c, msg, m);
            br_sha512_out(&c, h);
            hl = 64;
        }
        if (!br_rsa_pkcs1_sign_get_default()(s256 ? BR_HASH_OID_SHA256
                                                  : BR_HASH_OID_SHA512,
                                             h, hl, &k->rsk, sig))
            abort();
        siglen = (k->rsk.n_bitlen + 7) / 8;
    } else if (k->alg == DNS_ALG_ECDSAP256SHA256) {
        br_sha256_context c;
        br_sha256_init(&c);
        br_sha256_update(&c, msg, m);
        br_sha256_out(&c, h);
        siglen = br_ecdsa_sign_raw_get_default()(
            br_ec_get_default(), &br_sha256_vtable, h, &k->esk, sig);
    } else if (k->alg == DNS_ALG_ECDSAP384SHA384) {
        br_sha384_context c;
        br_sha384_init(&c);
        br_sha384_update(&c, msg, m);
        br_sha384_out(&c, h);
        siglen = br_ecdsa_sign_raw_get_default()(
            br_ec_get_default(), &br_sha384_vtable, h, &k->esk, sig);
    } else if (k->alg == DNS_ALG_ED25519) {
#ifdef TB_HAVE_SODIUM
        unsigned long long sl2;
        crypto_sign_ed25519_detached(sig, &sl2, msg, m, k->edsk);
        siglen = (size_t)sl2;
#endif
    } else {
        memset(sig, 0x5A, 64);
        siglen = 64;
    }
    if (siglen == 0)
        abort();
    return 18 + sl + siglen;
}

static const struct sigp SP = {0, NOW - 86400, NOW + 86400, 0, "example.", 0};

/* An A RRset of three records and an MX whose target is mixed case. */
static const uint8_t A1[] = {192, 0, 2, 1}, A2[] = {192, 0, 2, 2},
                     A3[] = {10, 0, 0, 1};
static const struct dns_val_rdata ARD[] = {{A1, 4}, {A2, 4}, {A3, 4}};

static void one_alg(uint8_t alg)
{
    struct dns_val_conf c = conf();
    static struct key k;
    uint8_t sig[1024], mx_lc[32], mx_uc[32];
    struct dns_val_rdata keys[1], sigs[1], rd[4];
    struct dns_val_rrset set = {N("www.example."), DNS_TYPE_A, DNS_CLASS_IN, 3,
                                ARD};
    enum dns_val_reason r;
    struct sigp sp = SP;
    size_t sl, ml;
    unsigned wc;

    REQUIRE(keygen(&k, alg, DNS_DNSKEY_F_ZONE));
    keys[0] = (struct dns_val_rdata){k.rdata, (uint16_t)k.rdlen};
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    sigs[0] = (struct dns_val_rdata){sig, (uint16_t)sl};
    CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_OK);
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("Example."), keys, 1, &r, &wc),
             DNS_VAL_SECURE);
    CHECK_EQ(wc, 0);
    /* The caller's budget of verifications: counted down, none left is
       a signature that does not verify. */
    {
        unsigned budget = 1;
        c.budget = &budget;
        CHECK_EQ(
            dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, NULL),
            DNS_VAL_SECURE);
        CHECK_EQ(budget, 0);
        CHECK_EQ(
            dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, NULL),
            DNS_VAL_BOGUS);
        CHECK_EQ(r, DNS_VAL_R_BAD_SIG);
        c.budget = NULL;
    }
    /* Owner case and record order do not matter. */
    rd[0] = ARD[2];
    rd[1] = ARD[0];
    rd[2] = ARD[1];
    rd[3] = ARD[0]; /* a duplicate (RFC 4034 6.3) */
    set.owner = N("WwW.eXample.");
    set.rd = rd;
    set.n = 4;
    CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_OK);
    /* A record more or less: bad signature. */
    set.n = 2;
    CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_BAD_SIG);
    set.rd = ARD;
    set.n = 3;
    /* Class is signed. */
    set.rclass = DNS_CLASS_CH;
    CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_BAD_SIG);
    set.rclass = DNS_CLASS_IN;
    /* A flipped byte anywhere in the signature, the key or a field. */
    sig[sl - 5] ^= 0x01;
    CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_BAD_SIG);
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, NULL),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_BAD_SIG);
    sig[sl - 5] ^= 0x01;
    sig[4] ^= 0x01; /* original TTL */
    CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_BAD_SIG);
    sig[4] ^= 0x01;
    k.rdata[k.rdlen - 3] ^= 0x10; /* the key (tag changes too) */
    CHECK(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen) !=
          DNS_VAL_R_OK);
    k.rdata[k.rdlen - 3] ^= 0x10;
    /* MX: the target's case is not signed (RFC 4034 6.2). */
    memcpy(mx_lc,
           "\x00\x0a\x04mail\x07"
           "example",
           16);
    memcpy(mx_uc,
           "\x00\x0a\x04MaIl\x07"
           "EXAMPLE",
           16);
    ml = 16;
    rd[0] = (struct dns_val_rdata){mx_lc, (uint16_t)ml};
    sl = sign_set(&k, "example.", DNS_TYPE_MX, rd, 1, &sp, sig);
    rd[0].p = mx_uc;
    set =
        (struct dns_val_rrset){N("EXAMPLE."), DNS_TYPE_MX, DNS_CLASS_IN, 1, rd};
    CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_OK);
    /* But a TXT's case is. */
    mx_lc[0] = 5;
    memcpy(mx_lc + 1, "hello", 5);
    memcpy(mx_uc, mx_lc, 6);
    mx_uc[1] = 'H';
    rd[0] = (struct dns_val_rdata){mx_lc, 6};
    sl = sign_set(&k, "example.", DNS_TYPE_TXT, rd, 1, &sp, sig);
    set.type = DNS_TYPE_TXT;
    CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_OK);
    rd[0].p = mx_uc;
    CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_BAD_SIG);
}

static void test_algorithms(void)
{
    rng_init();
    one_alg(DNS_ALG_RSASHA256);
    one_alg(DNS_ALG_RSASHA512);
    one_alg(DNS_ALG_ECDSAP256SHA256);
    one_alg(DNS_ALG_ECDSAP384SHA384);
#ifdef TB_HAVE_SODIUM
    one_alg(DNS_ALG_ED25519);
#else
    printf("SKIP algorithms: Ed25519 (not linked with libsodium)\n");
#endif
}

/* Everything around the signature: tags, times, labels, signer, flags. */
static void test_rrsig_fields(void)
{
    struct dns_val_conf c = conf();
    static struct key k;
    struct dns_val_rrset set = {N("www.example."), DNS_TYPE_A, DNS_CLASS_IN, 3,
                                ARD};
    struct dns_val_rdata keys[1], sigs[1];
    enum dns_val_reason r;
    struct sigp sp;
    uint8_t sig[512];
    size_t sl;

    rng_init();
    REQUIRE(keygen(&k, DNS_ALG_ECDSAP256SHA256, DNS_DNSKEY_F_ZONE));
    keys[0] = (struct dns_val_rdata){k.rdata, (uint16_t)k.rdlen};
#define V(zone) dns_val_verify(&c, &set, sig, sl, N(zone), k.rdata, k.rdlen)
    /* Wrong key tag: no key. */
    sp = SP;
    sp.tag_delta = 1;
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_NO_KEY);
    sigs[0] = (struct dns_val_rdata){sig, (uint16_t)sl};
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, NULL),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_NO_KEY);
    CHECK_EQ(dns_val_ede(r), 9);
    /* Expired, not yet valid, and the edges. */
    sp = SP;
    sp.expiration = NOW - 1;
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_EXPIRED);
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, NULL),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_EXPIRED);
    CHECK_EQ(dns_val_ede(r), 7);
    sp.expiration = NOW;
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_OK);
    sp = SP;
    sp.inception = NOW + 1;
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_NOT_YET);
    CHECK_EQ(dns_val_ede(DNS_VAL_R_NOT_YET), 8);
    sp.inception = NOW;
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_OK);
    /* RFC 1982: a window across the 32-bit wrap. */
    c.now = 0x10;
    sp.inception = 0xFFFFFF00u;
    sp.expiration = 0x100;
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_OK);
    c.now = 0x101;
    CHECK_EQ(V("example."), DNS_VAL_R_EXPIRED);
    c.now = 0xFFFFFE00u;
    CHECK_EQ(V("example."), DNS_VAL_R_NOT_YET);
    c.now = NOW;
    /* More labels than the owner has. */
    sp = SP;
    sp.labels = 3;
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_LABELS);
    /* Signer other than the zone, or not above the owner. */
    sp = SP;
    sp.signer = "other.";
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_SIGNER);
    CHECK_EQ(V("other."), DNS_VAL_R_SIGNER);
    /* Type covered. */
    sp = SP;
    sp.covered = DNS_TYPE_AAAA;
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_NO_SIG);
    sigs[0].len = (uint16_t)sl;
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, NULL),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_NO_SIG);
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 0, N("example."), keys, 1, &r, NULL),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_NO_SIG);
    /* Key flags: no ZONE bit, REVOKE bit, protocol not 3. */
    sp = SP;
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    CHECK_EQ(V("example."), DNS_VAL_R_OK);
    {
        struct key k2 = k;
        tb_put16(k2.rdata, 0);
        k2.tag = dns_val_keytag(k2.rdata, k2.rdlen);
        sl = sign_set(&k2, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
        CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k2.rdata,
                                k2.rdlen),
                 DNS_VAL_R_NO_KEY);
        tb_put16(k2.rdata, DNS_DNSKEY_F_ZONE | DNS_DNSKEY_F_REVOKE);
        k2.tag = dns_val_keytag(k2.rdata, k2.rdlen);
        sl = sign_set(&k2, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
        CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k2.rdata,
                                k2.rdlen),
                 DNS_VAL_R_NO_KEY);
        tb_put16(k2.rdata, DNS_DNSKEY_F_ZONE);
        k2.rdata[2] = 2;
        k2.tag = dns_val_keytag(k2.rdata, k2.rdlen);
        sl = sign_set(&k2, "www.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
        CHECK_EQ(dns_val_verify(&c, &set, sig, sl, N("example."), k2.rdata,
                                k2.rdlen),
                 DNS_VAL_R_NO_KEY);
    }
    /* Truncated RRSIG rdata. */
    CHECK_EQ(dns_val_verify(&c, &set, sig, 18, N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_MALFORMED);
#undef V
}

static void test_unsupported_alg(void)
{
    struct dns_val_conf c = conf();
    static struct key k;
    struct dns_val_rrset set = {N("www.example."), DNS_TYPE_A, DNS_CLASS_IN, 3,
                                ARD};
    struct dns_val_rdata keys[1], sigs[1];
    enum dns_val_reason r;
    uint8_t sig[512];
    size_t sl;

    REQUIRE(keygen(&k, 5 /* RSASHA1 */, DNS_DNSKEY_F_ZONE));
    keys[0] = (struct dns_val_rdata){k.rdata, (uint16_t)k.rdlen};
    sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &SP, sig);
    sigs[0] = (struct dns_val_rdata){sig, (uint16_t)sl};
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, NULL),
             DNS_VAL_INSECURE);
    CHECK_EQ(r, DNS_VAL_R_UNSUP_ALG);
    CHECK_EQ(dns_val_ede(r), 1);
    CHECK(!dns_val_alg_supported(&c, 5));
    CHECK(!dns_val_alg_supported(&c, 16));
    c.ed25519 = NULL;
    CHECK(!dns_val_alg_supported(&c, DNS_ALG_ED25519));
}

/* Bounded work: failed verifications stop at DNS_VAL_CRYPTO_FAIL_MAX
 * (KeyTrap); RRsets over the record limit or the scratch are refused. */
static void test_limits(void)
{
    struct dns_val_conf c = conf();
    static struct key k;
    static uint8_t sig[DNS_VAL_CRYPTO_FAIL_MAX + 1][256];
    static struct dns_val_rdata many[DNS_VAL_RRSET_MAX + 1];
    struct dns_val_rrset set = {N("www.example."), DNS_TYPE_A, DNS_CLASS_IN, 3,
                                ARD};
    struct dns_val_rdata keys[1], sigs[DNS_VAL_CRYPTO_FAIL_MAX + 1];
    enum dns_val_reason r;
    size_t i, sl = 0;

    rng_init();
    REQUIRE(keygen(&k, DNS_ALG_ECDSAP256SHA256, DNS_DNSKEY_F_ZONE));
    keys[0] = (struct dns_val_rdata){k.rdata, (uint16_t)k.rdlen};
    for (i = 0; i <= DNS_VAL_CRYPTO_FAIL_MAX; i++) {
        sl = sign_set(&k, "www.example.", DNS_TYPE_A, ARD, 3, &SP, sig[i]);
        sigs[i] = (struct dns_val_rdata){sig[i], (uint16_t)sl};
        if (i < DNS_VAL_CRYPTO_FAIL_MAX)
            sig[i][sl - 1] ^= 0x01;
    }
    /* The good signature after the budget is spent: not looked at. */
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, DNS_VAL_CRYPTO_FAIL_MAX + 1,
                           N("example."), keys, 1, &r, NULL),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_BAD_SIG);
    /* One failure fewer and it is. */
    CHECK_EQ(dns_val_rrset(&c, &set, sigs + 1, DNS_VAL_CRYPTO_FAIL_MAX,
                           N("example."), keys, 1, &r, NULL),
             DNS_VAL_SECURE);
    /* Too many records, or a scratch too small. */
    for (i = 0; i <= DNS_VAL_RRSET_MAX; i++)
        many[i] = ARD[0];
    set.rd = many;
    set.n = DNS_VAL_RRSET_MAX + 1;
    CHECK_EQ(dns_val_verify(&c, &set, sig[DNS_VAL_CRYPTO_FAIL_MAX], sl,
                            N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_TOO_BIG);
    set.rd = ARD;
    set.n = 3;
    c.scratch_len = 40;
    CHECK_EQ(dns_val_verify(&c, &set, sig[DNS_VAL_CRYPTO_FAIL_MAX], sl,
                            N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_TOO_BIG);
    c.scratch_len = sizeof(scratch);
    CHECK_EQ(dns_val_verify(&c, &set, sig[DNS_VAL_CRYPTO_FAIL_MAX], sl,
                            N("example."), k.rdata, k.rdlen),
             DNS_VAL_R_OK);
}

/* A wildcard's signature over an expanded name (RFC 4035 5.3.2). */
static void test_wildcard(void)
{
    struct dns_val_conf c = conf();
    static struct key k;
    struct dns_val_rrset set = {N("a.b.example."), DNS_TYPE_A, DNS_CLASS_IN, 3,
                                ARD};
    struct dns_val_rdata keys[1], sigs[1];
    enum dns_val_reason r;
    struct sigp sp = SP;
    uint8_t sig[512];
    unsigned wc = 99;
    size_t sl;

    rng_init();
    REQUIRE(keygen(&k, DNS_ALG_ECDSAP384SHA384, DNS_DNSKEY_F_ZONE));
    keys[0] = (struct dns_val_rdata){k.rdata, (uint16_t)k.rdlen};
    sp.labels = 1;
    sl = sign_set(&k, "*.example.", DNS_TYPE_A, ARD, 3, &sp, sig);
    sigs[0] = (struct dns_val_rdata){sig, (uint16_t)sl};
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, &wc),
             DNS_VAL_SECURE);
    CHECK_EQ(wc, 1);
    set.owner = N("x.example.");
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, &wc),
             DNS_VAL_SECURE);
    CHECK_EQ(wc, 1);
    set.owner = N("*.example.");
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, &wc),
             DNS_VAL_SECURE);
    CHECK_EQ(wc, 0);
    /* Labels 2 on a.b.example. would mean *.b.example.: not what was
     * signed. */
    sig[3] = 2;
    set.owner = N("a.b.example.");
    CHECK_EQ(dns_val_rrset(&c, &set, sigs, 1, N("example."), keys, 1, &r, &wc),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_BAD_SIG);
}

/* DS digests of the three types, computed here with BearSSL directly. */
static void test_ds(void)
{
    static struct key k;
    const uint8_t *owner = N("Example.");
    uint8_t ds[4 + 48], buf[DNS_NAME_MAXLEN + 700];
    size_t ol = dns_name_len(owner);
    struct dns_val_ds d;

    rng_init();
    REQUIRE(keygen(&k, DNS_ALG_ECDSAP256SHA256, 257));
    memcpy(buf,
           "\x07"
           "example",
           9);
    memcpy(buf + ol, k.rdata, k.rdlen);
    tb_put16(ds, k.tag);
    ds[2] = k.alg;
    ds[3] = DNS_DS_SHA1;
    {
        br_sha1_context h;
        br_sha1_init(&h);
        br_sha1_update(&h, buf, ol + k.rdlen);
        br_sha1_out(&h, ds + 4);
    }
    CHECK(dns_val_ds_match(owner, ds, 24, k.rdata, k.rdlen));
    ds[3] = DNS_DS_SHA256;
    {
        br_sha256_context h;
        br_sha256_init(&h);
        br_sha256_update(&h, buf, ol + k.rdlen);
        br_sha256_out(&h, ds + 4);
    }
    CHECK(dns_val_ds_match(owner, ds, 36, k.rdata, k.rdlen));
    CHECK_EQ(dns_val_ds_parse(ds, 36, &d), 0);
    CHECK_EQ(d.keytag, k.tag);
    CHECK_EQ(dns_val_ds_parse(ds, 35, &d), TB_EMALF);
    ds[10] ^= 1;
    CHECK(!dns_val_ds_match(owner, ds, 36, k.rdata, k.rdlen));
    ds[10] ^= 1;
    ds[2] = 8; /* algorithm differs */
    CHECK(!dns_val_ds_match(owner, ds, 36, k.rdata, k.rdlen));
    ds[2] = k.alg;
    CHECK(!dns_val_ds_match(N("other."), ds, 36, k.rdata, k.rdlen));
    ds[3] = DNS_DS_SHA384;
    {
        br_sha384_context h;
        br_sha384_init(&h);
        br_sha384_update(&h, buf, ol + k.rdlen);
        br_sha384_out(&h, ds + 4);
    }
    CHECK(dns_val_ds_match(owner, ds, 52, k.rdata, k.rdlen));
    ds[3] = 3; /* GOST: not supported */
    CHECK(!dns_val_ds_match(owner, ds, 52, k.rdata, k.rdlen));
    CHECK(!dns_val_digest_supported(3));
}

/* The chain: anchor -> . DNSKEY -> test. DS -> test. DNSKEY -> an RRset. */
static void test_chain(void)
{
    struct dns_val_conf c = conf();
    static struct key rk, rz, tk;
    static uint8_t s1[1024], s2[1024], s3[1024], s4[1024];
    uint8_t ds[36], buf[700];
    struct dns_val_rdata rkeys[2], tkeys[1], dsr[1], sg[2], anc[4];
    struct dns_val_rrset kset = {N("."), DNS_TYPE_DNSKEY, DNS_CLASS_IN, 2,
                                 rkeys};
    struct dns_val_rrset dset = {N("test."), DNS_TYPE_DS, DNS_CLASS_IN, 1, dsr};
    struct dns_val_rrset tset = {N("test."), DNS_TYPE_DNSKEY, DNS_CLASS_IN, 1,
                                 tkeys};
    struct dns_val_rrset aset = {N("www.test."), DNS_TYPE_A, DNS_CLASS_IN, 3,
                                 ARD};
    struct dns_val_anchors a;
    enum dns_val_reason r;
    struct sigp sp = SP;
    char text[512];
    size_t l1, l2, l3, l4, na;
    br_sha256_context h;

    rng_init();
    REQUIRE(keygen(&rk, DNS_ALG_RSASHA256, 257));
    REQUIRE(keygen(&rz, DNS_ALG_ECDSAP256SHA256, 256));
    REQUIRE(keygen(&tk, DNS_ALG_ECDSAP384SHA384, 257));
    rkeys[0] = (struct dns_val_rdata){rk.rdata, (uint16_t)rk.rdlen};
    rkeys[1] = (struct dns_val_rdata){rz.rdata, (uint16_t)rz.rdlen};
    tkeys[0] = (struct dns_val_rdata){tk.rdata, (uint16_t)tk.rdlen};
    /* The root's DS, as an anchor file would give it. */
    buf[0] = 0;
    memcpy(buf + 1, rk.rdata, rk.rdlen);
    br_sha256_init(&h);
    br_sha256_update(&h, buf, 1 + rk.rdlen);
    br_sha256_out(&h, ds + 4);
    {
        int o = snprintf(text, sizeof(text), ". 3600 IN DS %u 8 2 ", rk.tag);
        for (int i = 0; i < 32; i++)
            o +=
                snprintf(text + o, sizeof(text) - (size_t)o, "%02X", ds[4 + i]);
        snprintf(text + o, sizeof(text) - (size_t)o, "\n");
    }
    REQUIRE(dns_val_anchors_parse(&a, text, strlen(text), "anchor", &tb_heap,
                                  NULL) == 0);
    na = dns_val_anchors_get(&a, N("."), DNS_TYPE_DS, anc, 4);
    CHECK_EQ(na, 1);
    sp.signer = ".";
    l1 = sign_set(&rk, ".", DNS_TYPE_DNSKEY, rkeys, 2, &sp, s1);
    sg[0] = (struct dns_val_rdata){s1, (uint16_t)l1};
    CHECK_EQ(dns_val_dnskey(&c, &kset, sg, 1, anc, na, NULL, 0, &r),
             DNS_VAL_SECURE);
    /* A DNSKEY anchor works as well. */
    CHECK_EQ(dns_val_dnskey(&c, &kset, sg, 1, NULL, 0, rkeys, 1, &r),
             DNS_VAL_SECURE);
    /* Signed only by the ZSK, which no DS names: bogus. */
    l4 = sign_set(&rz, ".", DNS_TYPE_DNSKEY, rkeys, 2, &sp, s4);
    sg[0] = (struct dns_val_rdata){s4, (uint16_t)l4};
    CHECK_EQ(dns_val_dnskey(&c, &kset, sg, 1, anc, na, NULL, 0, &r),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_NO_SIG);
    /* A DS matching no key. */
    {
        uint8_t bad[36];
        struct dns_val_rdata b = {bad, 36};
        memcpy(bad, anc[0].p, 36);
        bad[20] ^= 1;
        sg[0] = (struct dns_val_rdata){s1, (uint16_t)l1};
        CHECK_EQ(dns_val_dnskey(&c, &kset, sg, 1, &b, 1, NULL, 0, &r),
                 DNS_VAL_BOGUS);
        CHECK_EQ(r, DNS_VAL_R_DS_MISMATCH);
        /* Only unsupported algorithms or digests in the DS set: the zone
         * is insecure (RFC 4035 5.2). */
        bad[2] = 3;
        CHECK_EQ(dns_val_dnskey(&c, &kset, sg, 1, &b, 1, NULL, 0, &r),
                 DNS_VAL_INSECURE);
        CHECK_EQ(r, DNS_VAL_R_UNSUP_ALG);
        bad[2] = 8;
        bad[3] = 3;
        CHECK_EQ(dns_val_dnskey(&c, &kset, sg, 1, &b, 1, NULL, 0, &r),
                 DNS_VAL_INSECURE);
        CHECK_EQ(r, DNS_VAL_R_UNSUP_DIGEST);
        CHECK_EQ(dns_val_ede(r), 2);
    }
    /* test.'s DS, signed by the root's ZSK. */
    tb_put16(ds, tk.tag);
    ds[2] = tk.alg;
    ds[3] = 2;
    memcpy(buf, "\x04test", 6);
    memcpy(buf + 6, tk.rdata, tk.rdlen);
    br_sha256_init(&h);
    br_sha256_update(&h, buf, 6 + tk.rdlen);
    br_sha256_out(&h, ds + 4);
    dsr[0] = (struct dns_val_rdata){ds, 36};
    l2 = sign_set(&rz, "test.", DNS_TYPE_DS, dsr, 1, &sp, s2);
    sg[0] = (struct dns_val_rdata){s2, (uint16_t)l2};
    CHECK_EQ(dns_val_rrset(&c, &dset, sg, 1, N("."), rkeys, 2, &r, NULL),
             DNS_VAL_SECURE);
    /* test.'s DNSKEY against it, then data. */
    sp.signer = "test.";
    l3 = sign_set(&tk, "test.", DNS_TYPE_DNSKEY, tkeys, 1, &sp, s3);
    sg[0] = (struct dns_val_rdata){s3, (uint16_t)l3};
    CHECK_EQ(dns_val_dnskey(&c, &tset, sg, 1, dsr, 1, NULL, 0, &r),
             DNS_VAL_SECURE);
    l4 = sign_set(&tk, "www.test.", DNS_TYPE_A, ARD, 3, &sp, s4);
    sg[0] = (struct dns_val_rdata){s4, (uint16_t)l4};
    CHECK_EQ(dns_val_rrset(&c, &aset, sg, 1, N("test."), tkeys, 1, &r, NULL),
             DNS_VAL_SECURE);
    /* The root's keys cannot sign test.'s data. */
    CHECK_EQ(dns_val_rrset(&c, &aset, sg, 1, N("."), rkeys, 2, &r, NULL),
             DNS_VAL_BOGUS);
    /* A tampered DS breaks the next link. */
    ds[30] ^= 1;
    CHECK_EQ(dns_val_rrset(&c, &dset, (struct dns_val_rdata[]){{s2, l2}}, 1,
                           N("."), rkeys, 2, &r, NULL),
             DNS_VAL_BOGUS);
    sg[0] = (struct dns_val_rdata){s3, (uint16_t)l3};
    CHECK_EQ(dns_val_dnskey(&c, &tset, sg, 1, dsr, 1, NULL, 0, &r),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_DS_MISMATCH);
    dns_val_anchors_free(&a);
}

/* ---- files ----------------------------------------------------------- */

static char *slurp(const char *rel, size_t *len)
{
    const char *src = getenv("TIBRA_SRC");
    char path[1024];
    FILE *f;
    char *b;
    long n;

    snprintf(path, sizeof(path), "%s/tests/data/val/%s", src ? src : ".", rel);
    f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b = malloc((size_t)n + 1);
    if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
        abort();
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

static struct dns_diag quiet;

static bool load(struct dns_zone_src *z, const char *rel, const char *origin)
{
    size_t len;
    char *t = slurp(rel, &len);
    int rc;

    if (t == NULL)
        return false;
    dns_zone_src_init(z, N(origin), &tb_heap);
    rc = dns_zone_parse(z, t, len, rel, NULL, &quiet);
    free(t);
    return rc == 0;
}

/* The built-in root anchors match the root's published DNSKEYs. */
static void test_root_anchors(void)
{
    struct dns_val_anchors a, k;
    struct dns_val_rdata ds[4], keys[4];
    size_t nds, nk, len, i;
    char *t = slurp("root.key", &len);
    unsigned matched = 0;

    REQUIRE(t != NULL);
    REQUIRE(dns_val_anchors_parse(&a, dns_val_root_anchors,
                                  strlen(dns_val_root_anchors), "builtin",
                                  &tb_heap, NULL) == 0);
    REQUIRE(dns_val_anchors_parse(&k, t, len, "root.key", &tb_heap, NULL) == 0);
    nds = dns_val_anchors_get(&a, N("."), DNS_TYPE_DS, ds, 4);
    nk = dns_val_anchors_get(&k, N("."), DNS_TYPE_DNSKEY, keys, 4);
    CHECK_EQ(nds, 2);
    CHECK_EQ(nk, 2);
    CHECK_EQ(dns_val_anchors_get(&a, N("."), DNS_TYPE_DNSKEY, keys + 2, 2), 0);
    CHECK_EQ(dns_val_keytag(keys[0].p, keys[0].len) +
                 dns_val_keytag(keys[1].p, keys[1].len),
             20326 + 38696);
    for (i = 0; i < 4; i++)
        if (dns_val_ds_match(N("."), ds[i / 2].p, ds[i / 2].len, keys[i % 2].p,
                             keys[i % 2].len))
            matched++;
    CHECK_EQ(matched, 2);
    dns_val_anchors_free(&a);
    dns_val_anchors_free(&k);
    free(t);
    /* Not anchors. */
    CHECK_EQ(dns_val_anchors_parse(&a, ". IN A 192.0.2.1\n", 17, "x", &tb_heap,
                                   NULL),
             TB_EMALF);
    CHECK_EQ(dns_val_anchors_parse(&a, "; nothing\n", 10, "x", &tb_heap, NULL),
             TB_ENOENT);
    CHECK_EQ(
        dns_val_anchors_parse(&a, ". IN DS 1 2\n", 12, "x", &tb_heap, NULL),
        TB_EMALF);
}

struct zset {
    struct dns_zone_src z;
    struct dns_val_rdata keys[16];
    size_t nkeys;
};

/* Every RRSIG of an ldns-signed zone verifies with one of its keys, and
 * the DNSKEY RRset with the KSK's DS of every digest type. */
static void check_ldns_zone(const char *file, unsigned *nsig)
{
    struct dns_val_conf c = conf();
    static struct zset s;
    struct dns_val_rdata rd[16], sigs[16], ds[4];
    enum dns_val_reason r;
    size_t i, j, len;
    const uint8_t *apex = N("example.test.");
    char *dst = slurp("example.test.ds", &len);
    struct dns_val_anchors da;

    *nsig = 0;
    REQUIRE(dst != NULL);
    REQUIRE(load(&s.z, file, "example.test."));
    REQUIRE(dns_zone_check(&s.z, &quiet) == 0);
    s.nkeys = 0;
    for (i = 0; i < s.z.nrr; i++)
        if (s.z.rr[i].type == DNS_TYPE_DNSKEY && s.nkeys < 16)
            s.keys[s.nkeys++] = (struct dns_val_rdata){
                dns_zrr_rdata(&s.z, &s.z.rr[i]), s.z.rr[i].rdlen};
    REQUIRE(s.nkeys >= 2);
    REQUIRE(dns_val_anchors_parse(&da, dst, len, "ds", &tb_heap, NULL) == 0);
    free(dst);
    REQUIRE(dns_val_anchors_get(&da, apex, DNS_TYPE_DS, ds, 4) == 3);
    for (i = 0; i < s.z.nrr;) {
        const struct dns_zrr *f = &s.z.rr[i];
        const uint8_t *owner = dns_zrr_owner(&s.z, f);
        struct dns_val_rrset set = {owner, f->type, DNS_CLASS_IN, 0, rd};
        size_t ns = 0;
        for (j = i; j < s.z.nrr && s.z.rr[j].type == f->type &&
                    dns_name_equal(dns_zrr_owner(&s.z, &s.z.rr[j]), owner);
             j++)
            if (set.n < 16)
                rd[set.n++] = (struct dns_val_rdata){
                    dns_zrr_rdata(&s.z, &s.z.rr[j]), s.z.rr[j].rdlen};
        i = j;
        if (f->type == DNS_TYPE_RRSIG)
            continue;
        for (j = 0; j < s.z.nrr; j++) {
            const struct dns_zrr *g = &s.z.rr[j];
            const uint8_t *p = dns_zrr_rdata(&s.z, g);
            if (g->type == DNS_TYPE_RRSIG && tb_get16(p) == f->type &&
                dns_name_equal(dns_zrr_owner(&s.z, g), owner) && ns < 16)
                sigs[ns++] = (struct dns_val_rdata){p, g->rdlen};
        }
        for (j = 0; j < ns; j++) {
            size_t k;
            int ok = 0;
            uint8_t alg = sigs[j].p[2];
            for (k = 0; k < s.nkeys; k++)
                if (dns_val_verify(&c, &set, sigs[j].p, sigs[j].len, apex,
                                   s.keys[k].p, s.keys[k].len) == DNS_VAL_R_OK)
                    ok++;
            if (alg == DNS_ALG_ED25519 && c.ed25519 == NULL)
                continue;
            CHECK_EQ(ok, 1);
            if (ok != 1) {
                char b[DNS_NAME_TEXT_MAX];
                dns_name_to_text(owner, b, sizeof(b));
                fprintf(stderr, "  %s %s type %u alg %u\n", file, b, f->type,
                        alg);
            }
            (*nsig)++;
        }
        if (ns > 0) {
            static uint8_t copy[4096];
            CHECK_EQ(dns_val_rrset(&c, &set, sigs, ns, apex, s.keys, s.nkeys,
                                   &r, NULL),
                     DNS_VAL_SECURE);
            /* A byte flipped in the first record: every signature fails. */
            const uint8_t *orig = rd[0].p;
            REQUIRE(rd[0].len <= sizeof(copy) && rd[0].len > 0);
            memcpy(copy, rd[0].p, rd[0].len);
            copy[rd[0].len - 1] ^= 0x01;
            rd[0].p = copy;
            CHECK_EQ(dns_val_rrset(&c, &set, sigs, ns, apex, s.keys, s.nkeys,
                                   &r, NULL),
                     DNS_VAL_BOGUS);
            CHECK_EQ(r, DNS_VAL_R_BAD_SIG);
            rd[0].p = orig;
        }
        if (f->type == DNS_TYPE_DNSKEY) {
            size_t d;
            for (d = 0; d < 3; d++)
                CHECK_EQ(
                    dns_val_dnskey(&c, &set, sigs, ns, &ds[d], 1, NULL, 0, &r),
                    DNS_VAL_SECURE);
        }
    }
    dns_val_anchors_free(&da);
    dns_zone_src_free(&s.z);
}

static void test_ldns_zones(void)
{
    unsigned n1, n2, n3;

    check_ldns_zone("example.test.signed", &n1);
    check_ldns_zone("example.test.nsec3", &n2);
    check_ldns_zone("example.test.optout", &n3);
    printf("  ldns signatures verified: %u + %u + %u\n", n1, n2, n3);
#ifdef TB_HAVE_SODIUM
    CHECK(n1 >= 80);
#else
    printf("SKIP ldns_zones: Ed25519 signatures (not linked with libsodium)\n");
    CHECK(n1 >= 60);
#endif
    CHECK(n2 >= 20);
    CHECK(n3 >= 20);
}

/* Collects the NSEC or NSEC3 records of a loaded zone. */
static size_t nrrs(const struct dns_zone_src *z, uint16_t type,
                   struct dns_val_nrr *out, size_t cap)
{
    size_t i, n = 0;

    for (i = 0; i < z->nrr && n < cap; i++)
        if (z->rr[i].type == type)
            out[n++] = (struct dns_val_nrr){dns_zrr_owner(z, &z->rr[i]),
                                            dns_zrr_rdata(z, &z->rr[i]),
                                            z->rr[i].rdlen};
    return n;
}

static void test_nsec(void)
{
    static struct dns_zone_src z;
    struct dns_val_nrr v[64], one[2];
    enum dns_val_reason r;
    const uint8_t *apex;
    size_t n, i;

    REQUIRE(load(&z, "example.test.signed", "example.test."));
    REQUIRE(dns_zone_check(&z, &quiet) == 0);
    n = nrrs(&z, DNS_TYPE_NSEC, v, 64);
    REQUIRE(n == 7); /* apex a.b.c ns1 sec sub *.w www */
    apex = N("example.test.");
#define P(q, t, w) dns_val_nsec(apex, v, n, N(q), t, DNS_VAL_DENY_##w, 0, &r)
    CHECK_EQ(P("nope.example.test.", 0, NXDOMAIN), DNS_VAL_SECURE);
    CHECK_EQ(P("zzz.example.test.", 0, NXDOMAIN), DNS_VAL_SECURE);
    CHECK_EQ(P("0.example.test.", 0, NXDOMAIN), DNS_VAL_SECURE);
    CHECK_EQ(P("x.y.www.example.test.", 0, NXDOMAIN), DNS_VAL_SECURE);
    /* Names that exist, ENTs, and names under the wildcard or a
     * delegation cannot be denied. */
    CHECK_EQ(P("www.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_NO_PROOF);
    CHECK_EQ(dns_val_ede(r), 12);
    CHECK_EQ(P("c.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(P("b.c.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(P("foo.w.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(P("x.sub.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(P("nope.other.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    /* NODATA. */
    CHECK_EQ(P("www.example.test.", DNS_TYPE_MX, NODATA), DNS_VAL_SECURE);
    CHECK_EQ(P("www.example.test.", DNS_TYPE_A, NODATA), DNS_VAL_BOGUS);
    CHECK_EQ(P("www.example.test.", DNS_TYPE_AAAA, NODATA), DNS_VAL_BOGUS);
    CHECK_EQ(P("example.test.", DNS_TYPE_A, NODATA), DNS_VAL_SECURE);
    CHECK_EQ(P("example.test.", DNS_TYPE_MX, NODATA), DNS_VAL_BOGUS);
    CHECK_EQ(P("c.example.test.", DNS_TYPE_A, NODATA), DNS_VAL_SECURE);
    CHECK_EQ(P("b.c.example.test.", DNS_TYPE_A, NODATA), DNS_VAL_SECURE);
    CHECK_EQ(P("nope.example.test.", DNS_TYPE_A, NODATA), DNS_VAL_BOGUS);
    /* Wildcard NODATA: the name is covered, *.w has no A. */
    CHECK_EQ(P("foo.w.example.test.", DNS_TYPE_A, NODATA), DNS_VAL_SECURE);
    CHECK_EQ(P("foo.w.example.test.", DNS_TYPE_TXT, NODATA), DNS_VAL_BOGUS);
    /* Delegations: no DS at the unsigned one, nothing else proven. */
    CHECK_EQ(P("sub.example.test.", DNS_TYPE_DS, NODATA), DNS_VAL_SECURE);
    CHECK_EQ(P("sub.example.test.", DNS_TYPE_A, NODATA), DNS_VAL_BOGUS);
    CHECK_EQ(P("sec.example.test.", DNS_TYPE_DS, NODATA), DNS_VAL_BOGUS);
    /* The child's apex NSEC cannot deny its DS. */
    CHECK_EQ(P("example.test.", DNS_TYPE_DS, NODATA), DNS_VAL_BOGUS);
    /* A wildcard answer: foo.w does not exist, *.w (3 labels) applies. */
    CHECK_EQ(dns_val_nsec(apex, v, n, N("foo.w.example.test."), DNS_TYPE_TXT,
                          DNS_VAL_DENY_WILDCARD, 3, &r),
             DNS_VAL_SECURE);
    CHECK_EQ(dns_val_nsec(apex, v, n, N("www.example.test."), DNS_TYPE_A,
                          DNS_VAL_DENY_WILDCARD, 2, &r),
             DNS_VAL_BOGUS);
    CHECK_EQ(dns_val_nsec(apex, v, n, N("w.example.test."), DNS_TYPE_TXT,
                          DNS_VAL_DENY_WILDCARD, 3, &r),
             DNS_VAL_BOGUS);
    /* NXDOMAIN needs the wildcard cover too: the name's NSEC alone is
     * not enough. */
    for (i = 0; i < n; i++) {
        struct dns_val_nrr x = v[i];
        size_t nl = dns_name_len(x.rdata);
        if (dns_name_cmp(x.owner, N("nope.example.test.")) < 0 &&
            dns_name_cmp(N("nope.example.test."), x.rdata) < 0 && nl <= x.rdlen)
            one[0] = x;
    }
    CHECK_EQ(dns_val_nsec(apex, one, 1, N("nope.example.test."), 0,
                          DNS_VAL_DENY_NXDOMAIN, 0, &r),
             DNS_VAL_BOGUS);
#undef P
    dns_zone_src_free(&z);
}

/* A wildcard answer needs the next closer name covered, not only the
 * query name: here b.w.example. exists, so *.w.example. cannot answer
 * a.b.w.example. although an NSEC covers a.b.w.example. */
static void test_nsec_wildcard_next_closer(void)
{
    static uint8_t r1[64], r2[64], r3[64];
    struct dns_val_nrr v[3];
    enum dns_val_reason r;
    size_t l;
    const uint8_t *n1 = N("example."), *n2 = N("*.w.example."),
                  *n3 = N("b.w.example.");

    /* example. -> *.w.example. -> b.w.example. -> example. (bitmap: A) */
    l = dns_name_len(n2);
    memcpy(r1, n2, l);
    memcpy(r1 + l, "\x00\x01\x40", 3);
    v[0] = (struct dns_val_nrr){n1, r1, (uint16_t)(l + 3)};
    l = dns_name_len(n3);
    memcpy(r2, n3, l);
    memcpy(r2 + l, "\x00\x01\x40", 3);
    v[1] = (struct dns_val_nrr){n2, r2, (uint16_t)(l + 3)};
    l = dns_name_len(n1);
    memcpy(r3, n1, l);
    memcpy(r3 + l, "\x00\x01\x40", 3);
    v[2] = (struct dns_val_nrr){n3, r3, (uint16_t)(l + 3)};
    CHECK_EQ(dns_val_nsec(n1, v, 3, N("a.b.w.example."), DNS_TYPE_A,
                          DNS_VAL_DENY_WILDCARD, 2, &r),
             DNS_VAL_BOGUS);
    /* c.w.example. does not exist: the wildcard applies. */
    CHECK_EQ(dns_val_nsec(n1, v, 3, N("c.w.example."), DNS_TYPE_A,
                          DNS_VAL_DENY_WILDCARD, 2, &r),
             DNS_VAL_SECURE);
    CHECK_EQ(dns_val_nsec(n1, v, 3, N("a.c.w.example."), DNS_TYPE_A,
                          DNS_VAL_DENY_WILDCARD, 2, &r),
             DNS_VAL_SECURE);
}

static void test_nsec3(void)
{
    struct dns_val_conf c = conf();
    static struct dns_zone_src z, zo;
    struct dns_val_nrr v[64], vo[64];
    enum dns_val_reason r;
    const uint8_t *apex;
    size_t n, no;
    uint8_t h[20];

    REQUIRE(load(&z, "example.test.nsec3", "example.test."));
    REQUIRE(load(&zo, "example.test.optout", "example.test."));
    REQUIRE(dns_zone_check(&z, &quiet) == 0);
    REQUIRE(dns_zone_check(&zo, &quiet) == 0);
    n = nrrs(&z, DNS_TYPE_NSEC3, v, 64);
    no = nrrs(&zo, DNS_TYPE_NSEC3, vo, 64);
    REQUIRE(n >= 8);
    REQUIRE(no >= 8);
    apex = N("example.test.");
    /* RFC 5155 Appendix A: H(example) with salt aabbccdd, 12 iterations
     * is 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom. */
    dns_val_nsec3_hash(N("EXAMPLE."), (const uint8_t *)"\xaa\xbb\xcc\xdd", 4,
                       12, h);
    CHECK_MEM(h,
              "\x06\x53\x68\xab\xee\xd7\xec\x6e\x9f\xeb\xa9\x6b\x8c\x8b\xc3\xe8"
              "\xb7\x91\xf7\x16",
              20);
#define P(vv, nn, q, t, w)                                                     \
    dns_val_nsec3(&c, apex, vv, nn, N(q), t, DNS_VAL_DENY_##w, 0, &r)
    CHECK_EQ(P(v, n, "nope.example.test.", 0, NXDOMAIN), DNS_VAL_SECURE);
    CHECK_EQ(P(v, n, "x.y.www.example.test.", 0, NXDOMAIN), DNS_VAL_SECURE);
    CHECK_EQ(P(v, n, "www.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(P(v, n, "c.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(P(v, n, "x.sub.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(P(v, n, "www.example.test.", DNS_TYPE_MX, NODATA), DNS_VAL_SECURE);
    CHECK_EQ(P(v, n, "www.example.test.", DNS_TYPE_A, NODATA), DNS_VAL_BOGUS);
    CHECK_EQ(P(v, n, "c.example.test.", DNS_TYPE_A, NODATA), DNS_VAL_SECURE);
    CHECK_EQ(P(v, n, "foo.w.example.test.", DNS_TYPE_A, NODATA),
             DNS_VAL_SECURE);
    CHECK_EQ(P(v, n, "foo.w.example.test.", DNS_TYPE_TXT, NODATA),
             DNS_VAL_BOGUS);
    CHECK_EQ(P(v, n, "sub.example.test.", DNS_TYPE_DS, NODATA), DNS_VAL_SECURE);
    CHECK_EQ(P(v, n, "sub.example.test.", DNS_TYPE_A, NODATA), DNS_VAL_BOGUS);
    CHECK_EQ(P(v, n, "sec.example.test.", DNS_TYPE_DS, NODATA), DNS_VAL_BOGUS);
    CHECK_EQ(P(v, n, "example.test.", DNS_TYPE_DS, NODATA), DNS_VAL_BOGUS);
    CHECK_EQ(dns_val_nsec3(&c, apex, v, n, N("foo.w.example.test."),
                           DNS_TYPE_TXT, DNS_VAL_DENY_WILDCARD, 3, &r),
             DNS_VAL_SECURE);
    CHECK_EQ(dns_val_nsec3(&c, apex, v, n, N("www.example.test."), DNS_TYPE_A,
                           DNS_VAL_DENY_WILDCARD, 2, &r),
             DNS_VAL_BOGUS);
    /* Opt-out: the proof holds but is not secure (RFC 5155 9.2). */
    CHECK_EQ(P(vo, no, "nope.example.test.", 0, NXDOMAIN), DNS_VAL_INSECURE);
    CHECK_EQ(r, DNS_VAL_R_OK);
    CHECK_EQ(P(vo, no, "www.example.test.", DNS_TYPE_MX, NODATA),
             DNS_VAL_SECURE);
    CHECK_EQ(P(vo, no, "www.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(P(vo, no, "zz.example.test.", DNS_TYPE_DS, NODATA),
             DNS_VAL_INSECURE);
    /* Missing the wildcard cover, or all of it. */
    CHECK_EQ(P(v, 1, "nope.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    CHECK_EQ(P(v, 0, "nope.example.test.", 0, NXDOMAIN), DNS_VAL_BOGUS);
    /* RFC 9276: over the limit is insecure, whatever the records say. */
    c.nsec3_iter_max = 4;
    CHECK_EQ(P(v, n, "www.example.test.", DNS_TYPE_A, NODATA),
             DNS_VAL_INSECURE);
    CHECK_EQ(r, DNS_VAL_R_NSEC3_ITER);
    CHECK_EQ(dns_val_ede(r), 27);
    c.nsec3_iter_max = 5;
    CHECK_EQ(P(v, n, "nope.example.test.", 0, NXDOMAIN), DNS_VAL_SECURE);
#undef P
    dns_zone_src_free(&z);
    dns_zone_src_free(&zo);
}

static void test_keytag(void)
{
    size_t len, n, i;
    char *t = slurp("example.test.keys", &len);
    struct dns_val_anchors a;
    struct dns_val_rdata k[8];
    unsigned want[] = {32586, 55508, 54659, 64856, 54291, 40824}, found = 0;

    REQUIRE(t != NULL);
    REQUIRE(dns_val_anchors_parse(&a, t, len, "keys", &tb_heap, NULL) == 0);
    free(t);
    n = dns_val_anchors_get(&a, N("example.test."), DNS_TYPE_DNSKEY, k, 8);
    CHECK_EQ(n, 6);
    for (i = 0; i < n && i < 8; i++)
        for (size_t j = 0; j < 6; j++)
            if (dns_val_keytag(k[i].p, k[i].len) == want[j])
                found |= 1u << j;
    CHECK_EQ(found, 0x3f);
    dns_val_anchors_free(&a);
}

/* ---- whole responses: our authoritative engine serves the ldns zones */

static uint8_t work[DNS_MSG_MAXLEN + 16384];

struct served {
    struct dns_zone_src z;
    struct dns_zoneset *zs;
    struct tb_buf blob;
    struct dns_val_rdata keys[8];
    size_t nkeys;
};

static bool serve(struct served *s, const char *file)
{
    struct dns_auth_opts op = {.udp_max = 4096};
    const void *b[1];
    size_t i, l[1];

    if (!load(&s->z, file, "example.test.") ||
        dns_zone_check(&s->z, &quiet) != 0)
        return false;
    s->nkeys = 0;
    for (i = 0; i < s->z.nrr && s->nkeys < 8; i++)
        if (s->z.rr[i].type == DNS_TYPE_DNSKEY)
            s->keys[s->nkeys++] = (struct dns_val_rdata){
                dns_zrr_rdata(&s->z, &s->z.rr[i]), s->z.rr[i].rdlen};
    tb_buf_init(&s->blob, &tb_heap);
    if (dns_zone_compile(&s->z, &s->blob, NULL) != 0)
        return false;
    b[0] = s->blob.data;
    l[0] = s->blob.len;
    return dns_zoneset_build(&s->zs, b, l, 1, &op, &tb_heap) == 0;
}

static void unserve(struct served *s)
{
    dns_zoneset_free(s->zs, &tb_heap);
    tb_buf_free(&s->blob);
    dns_zone_src_free(&s->z);
}

static uint8_t resp[65536];
static size_t resp_len;

/* Asks (s) with DO and validates the response. */
static enum dns_val_state ask(struct served *s, const struct dns_val_conf *c,
                              const char *name, const char *type,
                              enum dns_val_reason *r)
{
    static struct dns_auth_stats st;
    uint8_t q[512];
    uint16_t t = 0;
    size_t ql;

    if (dns_type_from_text(type, strlen(type), &t) != 0)
        abort();
    ql = ta_query(q, name, t, DNS_CLASS_IN, 4096, true);

    resp_len = dns_auth_answer(s->zs, q, ql, resp, sizeof(resp), 0, &st);
    if (resp_len == 0)
        return 0;
    return dns_val_response(c, resp, resp_len, N(name), t, N("example.test."),
                            s->keys, s->nkeys, work, sizeof(work), r);
}

/* Offset of the last byte of the (k)th record of (type) in (sec). */
static size_t rdata_end(uint16_t type, uint8_t sec, unsigned k)
{
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;

    if (dns_msg_parse(&m, resp, resp_len) != 0)
        return 0;
    dns_rr_iter_init(&it, &m, DNS_SEC_ANSWER);
    while (dns_rr_next(&it, &rr))
        if (rr.section == sec && rr.type == type && k-- == 0)
            return rr.rdoff + rr.rdlen - 1;
    return 0;
}

static void one_response_zone(const char *file, bool optout)
{
    struct dns_val_conf c = conf();
    static struct served s;
    enum dns_val_reason r;
    enum dns_val_state nx = optout ? DNS_VAL_INSECURE : DNS_VAL_SECURE;
    size_t o;

    REQUIRE(serve(&s, file));
#define A(name, type, want)                                                    \
    do {                                                                       \
        enum dns_val_state got_ = ask(&s, &c, name, type, &r);                 \
        CHECK_EQ(got_, want);                                                  \
        if (got_ != (want))                                                    \
            fprintf(stderr, "  %s %s %s: %s\n", file, name, type,              \
                    dns_val_reason_str(r));                                    \
    } while (0)
    A("www.example.test.", "A", DNS_VAL_SECURE);
    A("WWW.Example.TEST.", "AAAA", DNS_VAL_SECURE);
    A("example.test.", "DNSKEY", DNS_VAL_SECURE);
    A("example.test.", "MX", DNS_VAL_SECURE);
    A("www.example.test.", "MX", DNS_VAL_SECURE);
    A("c.example.test.", "A", DNS_VAL_SECURE);
    A("nope.example.test.", "A", nx);
    A("foo.w.example.test.", "TXT", optout ? DNS_VAL_INSECURE : DNS_VAL_SECURE);
    A("foo.w.example.test.", "A", DNS_VAL_SECURE);
    A("x.sec.example.test.", "A", DNS_VAL_SECURE);
    A("x.sub.example.test.", "A", DNS_VAL_INSECURE);
    /* A changed address, a changed signature in a proof. */
    CHECK_EQ(ask(&s, &c, "www.example.test.", "A", &r), DNS_VAL_SECURE);
    o = rdata_end(DNS_TYPE_A, DNS_SEC_ANSWER, 0);
    REQUIRE(o > 0);
    resp[o] ^= 1;
    CHECK_EQ(dns_val_response(&c, resp, resp_len, N("www.example.test."),
                              DNS_TYPE_A, N("example.test."), s.keys, s.nkeys,
                              work, sizeof(work), &r),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_BAD_SIG);
    CHECK_EQ(ask(&s, &c, "www.example.test.", "MX", &r), DNS_VAL_SECURE);
    /* (Every RRSIG of the NSEC: the signed zone has six per RRset.) */
    o = rdata_end(optout || strstr(file, "nsec3") ? DNS_TYPE_NSEC3
                                                  : DNS_TYPE_NSEC,
                  DNS_SEC_AUTHORITY, 0);
    REQUIRE(o > 0);
    resp[o] ^= 0x01;
    CHECK_EQ(dns_val_response(&c, resp, resp_len, N("www.example.test."),
                              DNS_TYPE_MX, N("example.test."), s.keys, s.nkeys,
                              work, sizeof(work), &r),
             DNS_VAL_BOGUS);
    /* The proof of another question proves nothing. */
    CHECK_EQ(ask(&s, &c, "www.example.test.", "MX", &r), DNS_VAL_SECURE);
    CHECK_EQ(dns_val_response(&c, resp, resp_len, N("www.example.test."),
                              DNS_TYPE_AAAA, N("example.test."), s.keys,
                              s.nkeys, work, sizeof(work), &r),
             DNS_VAL_BOGUS);
    /* No keys, or past the expiration. */
    CHECK_EQ(ask(&s, &c, "www.example.test.", "A", &r), DNS_VAL_SECURE);
    CHECK_EQ(dns_val_response(&c, resp, resp_len, N("www.example.test."),
                              DNS_TYPE_A, N("example.test."), s.keys, 0, work,
                              sizeof(work), &r),
             DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_NO_KEY);
    c.now = 3786912000u + 1; /* 2090-01-01T00:00:01Z */
    A("www.example.test.", "A", DNS_VAL_BOGUS);
    CHECK_EQ(r, DNS_VAL_R_EXPIRED);
#undef A
    unserve(&s);
}

/* A DNAME zone signed here: the DNAME verified, the synthesized CNAME
 * checked against it, the target's data verified. */
static bool serve_dname(struct served *s, bool sign_dname, bool sign_target)
{
    static const char text[] =
        "example. 3600 IN SOA ns.example. h.example. 1 3600 900 604800 300\n"
        "example. 3600 IN NS ns.example.\n"
        "ns.example. 3600 IN A 192.0.2.1\n"
        "d.example. 3600 IN DNAME t.example.\n"
        "www.t.example. 3600 IN A 192.0.2.9\n";
    static const uint8_t dn[] = "\x01t\x07"
                                "example",
                         a[] = {192, 0, 2, 9};
    static struct key k;
    struct dns_auth_opts op = {.udp_max = 4096};
    struct dns_val_rdata rd[1];
    struct sigp sp = SP;
    uint8_t sig[512];
    const void *b[1];
    size_t l[1], sl;

    rng_init();
    if (!keygen(&k, DNS_ALG_ECDSAP256SHA256, 257))
        return false;
    dns_zone_src_init(&s->z, N("example."), &tb_heap);
    if (dns_zone_parse(&s->z, text, strlen(text), "dname", NULL, &quiet) != 0)
        return false;
    dns_zone_src_add(&s->z, N("example."), DNS_TYPE_DNSKEY, DNS_CLASS_IN, 3600,
                     k.rdata, (uint16_t)k.rdlen, 0, 0);
    if (sign_dname) {
        rd[0] = (struct dns_val_rdata){dn, sizeof(dn)};
        sl = sign_set(&k, "d.example.", DNS_TYPE_DNAME, rd, 1, &sp, sig);
        dns_zone_src_add(&s->z, N("d.example."), DNS_TYPE_RRSIG, DNS_CLASS_IN,
                         3600, sig, (uint16_t)sl, 0, 0);
    }
    if (sign_target) {
        rd[0] = (struct dns_val_rdata){a, 4};
        sl = sign_set(&k, "www.t.example.", DNS_TYPE_A, rd, 1, &sp, sig);
        dns_zone_src_add(&s->z, N("www.t.example."), DNS_TYPE_RRSIG,
                         DNS_CLASS_IN, 3600, sig, (uint16_t)sl, 0, 0);
    }
    if (dns_zone_check(&s->z, &quiet) != 0)
        return false;
    s->keys[0] = (struct dns_val_rdata){k.rdata, (uint16_t)k.rdlen};
    s->nkeys = 1;
    tb_buf_init(&s->blob, &tb_heap);
    if (dns_zone_compile(&s->z, &s->blob, NULL) != 0)
        return false;
    b[0] = s->blob.data;
    l[0] = s->blob.len;
    return dns_zoneset_build(&s->zs, b, l, 1, &op, &tb_heap) == 0;
}

static void test_dname(void)
{
    struct dns_val_conf c = conf();
    static struct served s;
    static struct dns_auth_stats st;
    enum dns_val_reason r;
    uint8_t q[512];
    size_t ql;
    int i;

    for (i = 0; i < 3; i++) {
        enum dns_val_state want = i == 0 ? DNS_VAL_SECURE : DNS_VAL_BOGUS;
        REQUIRE(serve_dname(&s, i != 1, i != 2));
        ql =
            ta_query(q, "www.d.example.", DNS_TYPE_A, DNS_CLASS_IN, 4096, true);
        resp_len = dns_auth_answer(s.zs, q, ql, resp, sizeof(resp), 0, &st);
        REQUIRE(resp_len > 0);
        CHECK_EQ(dns_val_response(&c, resp, resp_len, N("www.d.example."),
                                  DNS_TYPE_A, N("example."), s.keys, s.nkeys,
                                  work, sizeof(work), &r),
                 want);
        if (i == 0) {
            /* The same answer read for another name under the DNAME:
             * no CNAME there says what the DNAME synthesizes. */
            CHECK_EQ(dns_val_response(&c, resp, resp_len, N("ftp.d.example."),
                                      DNS_TYPE_A, N("example."), s.keys,
                                      s.nkeys, work, sizeof(work), &r),
                     DNS_VAL_BOGUS);
        }
        if (i == 1)
            CHECK_EQ(r, DNS_VAL_R_NO_SIG);
        unserve(&s);
    }
}

static void test_response(void)
{
    one_response_zone("example.test.signed", false);
    one_response_zone("example.test.nsec3", false);
    one_response_zone("example.test.optout", true);
}

/* ---- fuzz seeds (TIBRA_FUZZ_WRITE_SEED=DIR: tests/fuzz/corpus/val) ---- */

static void seed_write(const char *dir, const char *name, const uint8_t *b,
                       size_t n)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (f == NULL || fwrite(b, 1, n, f) != n)
        abort();
    fclose(f);
}

static size_t put_item(uint8_t *b, size_t o, uint8_t kind, const uint8_t *p,
                       size_t n)
{
    b[o] = kind;
    tb_put16(b + o + 1, (uint16_t)n);
    memcpy(b + o + 3, p, n);
    return o + 3 + n;
}

/* RRset seeds: each signed RRset of a zone with its RRSIGs, the keys and
 * the DS records; denial seeds: each NSEC/NSEC3 chain with a query. */
static void seeds_zone(const char *dir, const char *file, unsigned *k)
{
    static struct dns_zone_src z;
    static uint8_t b[65536];
    size_t i, j, o, dl;
    char nm[64], *dst = slurp("example.test.ds", &dl);
    struct dns_val_anchors da;
    struct dns_val_rdata ds[4];
    const uint8_t *apex = N("example.test.");

    REQUIRE(dst != NULL && load(&z, file, "example.test."));
    REQUIRE(dns_zone_check(&z, &quiet) == 0);
    REQUIRE(dns_val_anchors_parse(&da, dst, dl, "ds", &tb_heap, NULL) == 0);
    free(dst);
    REQUIRE(dns_val_anchors_get(&da, apex, DNS_TYPE_DS, ds, 4) == 3);
    for (i = 0; i < z.nrr; i++) {
        const struct dns_zrr *f = &z.rr[i];
        const uint8_t *owner = dns_zrr_owner(&z, f);
        size_t ol = dns_name_len(owner);
        if (f->type != DNS_TYPE_RRSIG ||
            (i > 0 && z.rr[i - 1].type == DNS_TYPE_RRSIG &&
             dns_name_equal(dns_zrr_owner(&z, &z.rr[i - 1]), owner)))
            continue;
        /* One seed per owner: its first covered type. */
        uint16_t t = tb_get16(dns_zrr_rdata(&z, f));
        b[0] = 0;
        memcpy(b + 1, owner, ol);
        o = 1 + ol;
        tb_put16(b + o, t);
        tb_put32(b + o + 2, NOW);
        o += 6;
        for (j = 0; j < z.nrr; j++) {
            const struct dns_zrr *g = &z.rr[j];
            const uint8_t *p = dns_zrr_rdata(&z, g);
            bool here = dns_name_equal(dns_zrr_owner(&z, g), owner);
            if (o > sizeof(b) - 4096)
                break;
            if (here && g->type == t)
                o = put_item(b, o, 0, p, g->rdlen);
            else if (here && g->type == DNS_TYPE_RRSIG && tb_get16(p) == t)
                o = put_item(b, o, 1, p, g->rdlen);
            else if (g->type == DNS_TYPE_DNSKEY)
                o = put_item(b, o, 2, p, g->rdlen);
        }
        for (j = 0; j < 3; j++)
            o = put_item(b, o, 3, ds[j].p, ds[j].len);
        snprintf(nm, sizeof(nm), "rrset-%02u", (*k)++);
        seed_write(dir, nm, b, o);
    }
    {
        static const char *const q[] = {
            "nope.example.test.", "www.example.test.", "foo.w.example.test.",
            "sub.example.test.", "c.example.test."};
        for (i = 0; i < 5; i++) {
            const uint8_t *qn = N(q[i]);
            b[0] = 1;
            memcpy(b + 1, apex, dns_name_len(apex));
            o = 1 + dns_name_len(apex);
            memcpy(b + o, qn, dns_name_len(qn));
            o += dns_name_len(qn);
            tb_put16(b + o, i == 3 ? DNS_TYPE_DS : DNS_TYPE_MX);
            b[o + 2] = 3;
            b[o + 3] = 0;
            o += 4;
            for (j = 0; j < z.nrr; j++) {
                const struct dns_zrr *g = &z.rr[j];
                const uint8_t *ow = dns_zrr_owner(&z, g);
                if (g->type != DNS_TYPE_NSEC && g->type != DNS_TYPE_NSEC3)
                    continue;
                memcpy(b + o, ow, dns_name_len(ow));
                o += dns_name_len(ow);
                tb_put16(b + o, g->rdlen);
                memcpy(b + o + 2, dns_zrr_rdata(&z, g), g->rdlen);
                o += 2 + g->rdlen;
            }
            snprintf(nm, sizeof(nm), "denial-%02u", (*k)++);
            seed_write(dir, nm, b, o);
        }
    }
    dns_val_anchors_free(&da);
    dns_zone_src_free(&z);
}

/* Response seeds: our engine's answers to the questions test_response
 * asks, with the zone's keys. */
static void seeds_responses(const char *dir, const char *file, unsigned *k)
{
    static const char *const q[][2] = {
        {"www.example.test.", "A"},   {"example.test.", "DNSKEY"},
        {"www.example.test.", "MX"},  {"c.example.test.", "A"},
        {"nope.example.test.", "A"},  {"foo.w.example.test.", "TXT"},
        {"foo.w.example.test.", "A"}, {"x.sec.example.test.", "A"},
        {"x.sub.example.test.", "A"},
    };
    static struct served s;
    static uint8_t b[65536 + 4096];
    struct dns_val_conf c = conf();
    enum dns_val_reason r;
    size_t i, j, o;
    char nm[64];

    REQUIRE(serve(&s, file));
    for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        const uint8_t *zn = N("example.test."), *qn = N(q[i][0]);
        uint16_t t = 0;
        (void)ask(&s, &c, q[i][0], q[i][1], &r);
        dns_type_from_text(q[i][1], strlen(q[i][1]), &t);
        b[0] = 3;
        o = 1;
        memcpy(b + o, zn, dns_name_len(zn));
        o += dns_name_len(zn);
        memcpy(b + o, qn, dns_name_len(qn));
        o += dns_name_len(qn);
        tb_put16(b + o, t);
        b[o + 2] = (uint8_t)s.nkeys;
        o += 3;
        for (j = 0; j < s.nkeys; j++) {
            tb_put16(b + o, s.keys[j].len);
            memcpy(b + o + 2, s.keys[j].p, s.keys[j].len);
            o += 2 + s.keys[j].len;
        }
        memcpy(b + o, resp, resp_len);
        o += resp_len;
        snprintf(nm, sizeof(nm), "response-%02u", (*k)++);
        seed_write(dir, nm, b, o);
    }
    unserve(&s);
}

/* A DNAME answer seed (test_dname's zone). */
static void seeds_dname(const char *dir)
{
    static struct served s;
    static struct dns_auth_stats st;
    static uint8_t b[8192];
    uint8_t q[512];
    size_t ql, o;
    const uint8_t *zn = N("example."), *qn = N("www.d.example.");

    REQUIRE(serve_dname(&s, true, true));
    ql = ta_query(q, "www.d.example.", DNS_TYPE_A, DNS_CLASS_IN, 4096, true);
    resp_len = dns_auth_answer(s.zs, q, ql, resp, sizeof(resp), 0, &st);
    REQUIRE(resp_len > 0 && resp_len < 4096);
    b[0] = 3;
    o = 1;
    memcpy(b + o, zn, dns_name_len(zn));
    o += dns_name_len(zn);
    memcpy(b + o, qn, dns_name_len(qn));
    o += dns_name_len(qn);
    tb_put16(b + o, DNS_TYPE_A);
    b[o + 2] = 1;
    o += 3;
    tb_put16(b + o, s.keys[0].len);
    memcpy(b + o + 2, s.keys[0].p, s.keys[0].len);
    o += 2 + s.keys[0].len;
    memcpy(b + o, resp, resp_len);
    seed_write(dir, "response-dname", b, o + resp_len);
    unserve(&s);
}

static void write_seeds(const char *dir)
{
    static uint8_t b[4096];
    size_t len, n;
    unsigned k = 0;
    char *t;

    seeds_zone(dir, "example.test.signed", &k);
    seeds_zone(dir, "example.test.nsec3", &k);
    seeds_zone(dir, "example.test.optout", &k);
    seeds_responses(dir, "example.test.signed", &k);
    seeds_responses(dir, "example.test.nsec3", &k);
    seeds_responses(dir, "example.test.optout", &k);
    seeds_dname(dir);
    n = strlen(dns_val_root_anchors);
    b[0] = 2;
    memcpy(b + 1, dns_val_root_anchors, n);
    seed_write(dir, "anchor-builtin", b, n + 1);
    t = slurp("root.key", &len);
    REQUIRE(t != NULL && len < sizeof(b) - 1);
    memcpy(b + 1, t, len);
    seed_write(dir, "anchor-rootkey", b, len + 1);
    free(t);
    printf("  wrote %u seeds to %s\n", k + 2, dir);
}

int main(void)
{
    const char *seed_dir = getenv("TIBRA_FUZZ_WRITE_SEED");

    if (seed_dir != NULL) {
        write_seeds(seed_dir);
        return check_done();
    }
    RUN(test_algorithms);
    RUN(test_rrsig_fields);
    RUN(test_unsupported_alg);
    RUN(test_limits);
    RUN(test_wildcard);
    RUN(test_ds);
    RUN(test_chain);
    RUN(test_root_anchors);
    RUN(test_keytag);
    RUN(test_ldns_zones);
    RUN(test_nsec);
    RUN(test_nsec_wildcard_next_closer);
    RUN(test_nsec3);
    RUN(test_response);
    RUN(test_dname);
    return check_done();
}
