/*
 * sign_key.c -- DNSSEC signing keys (dns/sign.h): BIND key files in
 * (untrusted: fuzzed by tests/fuzz/fuzz_sign_key.c) and out, generation
 * over BearSSL's key generators, key tags, DS digests, and the one place
 * a digest is signed.
 *
 * ECDSA P-256 signatures come from br_ecdsa_i31_sign_raw, which derives
 * its nonce from the private key and the digest with HMAC-DRBG as RFC
 * 6979 3.2 describes (test_sign checks RFC 6979 A.2.5's vectors), so the
 * same key and data always give the same signature.  RSA PKCS#1 v1.5 is
 * deterministic by definition.
 */
#include <tibra/dns/sign.h>

#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <bearssl_rand.h>
#include <bearssl_rsa.h>
#include <string.h>

enum { RP, RQ, RDP, RDQ, RIQ };
#define COMP_MAX (DNS_SIGN_RSA_MAXLEN / 2 + 8)

void dns_sign_key_wipe(struct dns_sign_key *k)
{
    volatile uint8_t *p = (volatile uint8_t *)k;

    for (size_t i = 0; i < sizeof(*k); i++)
        p[i] = 0;
}

uint16_t dns_sign_key_tag(const uint8_t *rdata, size_t len)
{
    uint32_t ac = 0;

    for (size_t i = 0; i < len; i++)
        ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
    ac += (ac >> 16) & 0xFFFF;
    return (uint16_t)(ac & 0xFFFF);
}

/* BearSSL's key structures take non-const pointers it never writes. */
static unsigned char *uc(const uint8_t *p)
{
    return (unsigned char *)(uintptr_t)p;
}

static br_rsa_private_key rsa_sk(const struct dns_sign_key *k)
{
    br_rsa_private_key sk;

    sk.n_bitlen = k->bits;
    sk.p = uc(k->priv) + k->priv_off[RP];
    sk.plen = k->priv_len[RP];
    sk.q = uc(k->priv) + k->priv_off[RQ];
    sk.qlen = k->priv_len[RQ];
    sk.dp = uc(k->priv) + k->priv_off[RDP];
    sk.dplen = k->priv_len[RDP];
    sk.dq = uc(k->priv) + k->priv_off[RDQ];
    sk.dqlen = k->priv_len[RDQ];
    sk.iq = uc(k->priv) + k->priv_off[RIQ];
    sk.iqlen = k->priv_len[RIQ];
    return sk;
}

int dns_sign_digest(const struct dns_sign_key *k, const uint8_t hash[32],
                    uint8_t *sig)
{
    if (k->alg == DNS_ALG_ECDSAP256SHA256) {
        br_ec_private_key sk = {BR_EC_secp256r1, uc(k->priv), 32};
        size_t n = br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable,
                                         hash, &sk, sig);
        return n == 64 ? 64 : TB_EIO;
    }
    if (k->alg == DNS_ALG_RSASHA256) {
        br_rsa_private_key sk = rsa_sk(k);
        if (!br_rsa_i31_pkcs1_sign(BR_HASH_OID_SHA256, hash, 32, &sk, sig))
            return TB_EIO;
        return (int)((k->bits + 7) / 8);
    }
    return TB_EIO;
}

/* Strips leading zero bytes of a big-endian integer. */
static const uint8_t *trim(const uint8_t *p, size_t *n)
{
    while (*n > 1 && p[0] == 0)
        p++, (*n)--;
    return p;
}

/* DNSKEY rdata for (k) with the public key (pk, pklen) (key field). */
static void set_dnskey(struct dns_sign_key *k, const uint8_t *pk, size_t pklen)
{
    k->dnskey[0] = (uint8_t)(k->flags >> 8);
    k->dnskey[1] = (uint8_t)k->flags;
    k->dnskey[2] = 3;
    k->dnskey[3] = k->alg;
    memcpy(k->dnskey + 4, pk, pklen);
    k->dnskey_len = 4 + pklen;
    k->tag = dns_sign_key_tag(k->dnskey, k->dnskey_len);
}

/* RFC 3110 2: exponent length, exponent, modulus (no leading zeros). */
static size_t rsa_pub(uint8_t *out, const uint8_t *e, size_t elen,
                      const uint8_t *n, size_t nlen)
{
    size_t o = 0;

    e = trim(e, &elen);
    n = trim(n, &nlen);
    if (elen <= 255) {
        out[o++] = (uint8_t)elen;
    } else {
        out[o++] = 0;
        out[o++] = (uint8_t)(elen >> 8);
        out[o++] = (uint8_t)elen;
    }
    memcpy(out + o, e, elen);
    memcpy(out + o + elen, n, nlen);
    return o + elen + nlen;
}

static void put_comp(struct dns_sign_key *k, int i, size_t *off,
                     const uint8_t *v, size_t len)
{
    k->priv_off[i] = *off;
    k->priv_len[i] = len;
    memcpy(k->priv + *off, v, len);
    *off += len;
}

static void rsa_store(struct dns_sign_key *k, const br_rsa_private_key *sk)
{
    size_t off = 0;

    k->bits = sk->n_bitlen;
    put_comp(k, RP, &off, sk->p, sk->plen);
    put_comp(k, RQ, &off, sk->q, sk->qlen);
    put_comp(k, RDP, &off, sk->dp, sk->dplen);
    put_comp(k, RDQ, &off, sk->dq, sk->dqlen);
    put_comp(k, RIQ, &off, sk->iq, sk->iqlen);
}

int dns_sign_key_generate(struct dns_sign_key *k, uint8_t alg, uint16_t flags,
                          unsigned bits, const uint8_t *seed, size_t seedlen)
{
    br_hmac_drbg_context rng;
    int rc = 0;

    dns_sign_key_wipe(k);
    if (seedlen < 32 || (flags != DNS_DNSKEY_ZSK && flags != DNS_DNSKEY_KSK))
        return TB_EINVAL;
    k->alg = alg;
    k->flags = flags;
    br_hmac_drbg_init(&rng, &br_sha256_vtable, seed, seedlen);
    if (alg == DNS_ALG_ECDSAP256SHA256) {
        uint8_t kb[BR_EC_KBUF_PRIV_MAX_SIZE], pb[BR_EC_KBUF_PUB_MAX_SIZE];
        br_ec_private_key sk;
        br_ec_public_key pk;
        if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &sk, kb,
                         BR_EC_secp256r1) != 32 ||
            br_ec_compute_pub(&br_ec_p256_m31, &pk, pb, &sk) != 65) {
            rc = TB_EIO;
        } else {
            memcpy(k->priv, sk.x, 32);
            k->bits = 256;
            set_dnskey(k, pk.q + 1, 64);
        }
        memset(kb, 0, sizeof(kb));
    } else if (alg == DNS_ALG_RSASHA256 && bits >= DNS_SIGN_RSA_MINBITS &&
               bits <= DNS_SIGN_RSA_MAXBITS) {
        uint8_t kb[BR_RSA_KBUF_PRIV_SIZE(DNS_SIGN_RSA_MAXBITS)];
        uint8_t pb[BR_RSA_KBUF_PUB_SIZE(DNS_SIGN_RSA_MAXBITS)];
        uint8_t pub[DNS_SIGN_DNSKEY_MAXLEN];
        br_rsa_private_key sk;
        br_rsa_public_key pk;
        if (!br_rsa_i31_keygen(&rng.vtable, &sk, kb, &pk, pb, bits, 65537)) {
            rc = TB_EIO;
        } else {
            rsa_store(k, &sk);
            set_dnskey(k, pub, rsa_pub(pub, pk.e, pk.elen, pk.n, pk.nlen));
        }
        memset(kb, 0, sizeof(kb));
    } else {
        rc = TB_EINVAL;
    }
    memset(&rng, 0, sizeof(rng));
    if (rc != 0)
        dns_sign_key_wipe(k);
    return rc;
}

size_t dns_sign_ds(const uint8_t *origin, const uint8_t *dnskey, size_t len,
                   uint8_t out[DNS_DS_SHA256_LEN])
{
    uint8_t lc[DNS_NAME_MAXLEN];
    size_t ol = dns_name_len(origin);
    br_sha256_context h;
    uint16_t tag = dns_sign_key_tag(dnskey, len);

    memcpy(lc, origin, ol);
    dns_name_lower(lc);
    out[0] = (uint8_t)(tag >> 8);
    out[1] = (uint8_t)tag;
    out[2] = len >= 4 ? dnskey[3] : 0;
    out[3] = 2; /* SHA-256 */
    br_sha256_init(&h);
    br_sha256_update(&h, lc, ol);
    br_sha256_update(&h, dnskey, len);
    br_sha256_out(&h, out + 4);
    return DNS_DS_SHA256_LEN;
}

/* RFC 3110 2: exponent length (1 byte, or 0 then 2 bytes), exponent,
 * modulus; (k->dnskey) was checked when (k) was made. */
static bool dnskey_rsa(const struct dns_sign_key *k, br_rsa_public_key *pk)
{
    const uint8_t *p = k->dnskey + 4;
    size_t len = k->dnskey_len - 4, el, off = 1;

    if (len < 3)
        return false;
    el = p[0];
    if (el == 0) {
        el = (size_t)p[1] << 8 | p[2];
        off = 3;
    }
    if (el == 0 || off + el >= len)
        return false;
    pk->e = uc(p + off);
    pk->elen = el;
    pk->n = uc(p + off + el);
    pk->nlen = len - off - el;
    return true;
}

bool dns_sign_verify_digest(const struct dns_sign_key *k,
                            const uint8_t hash[32], const uint8_t *sig,
                            size_t len)
{
    if (k->alg == DNS_ALG_ECDSAP256SHA256) {
        uint8_t q[65];
        br_ec_public_key pk = {BR_EC_secp256r1, q, sizeof(q)};
        if (len != 64 || k->dnskey_len != 4 + 64)
            return false;
        q[0] = 0x04;
        memcpy(q + 1, k->dnskey + 4, 64);
        return br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, 32, &pk, sig,
                                     len) == 1;
    }
    if (k->alg == DNS_ALG_RSASHA256) {
        br_rsa_public_key pk;
        uint8_t out[32];
        if (!dnskey_rsa(k, &pk) || len != pk.nlen ||
            !br_rsa_i31_pkcs1_vrfy(sig, len, BR_HASH_OID_SHA256, 32, &pk, out))
            return false;
        return memcmp(out, hash, 32) == 0;
    }
    return false;
}
