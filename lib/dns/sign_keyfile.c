/*
 * sign_keyfile.c -- BIND key files (dns/sign.h): "K<zone>+<alg>+<tag>.key"
 * (one DNSKEY record, read with the zone parser) and ".private" ("Key:
 * value" lines, "Private-key-format: v1.x"), the format dnssec-keygen,
 * ldns-keygen and keymgr write.  Reading is an untrusted-input decoder
 * (tests/fuzz/fuzz_sign_key.c): every field is bounded before BearSSL sees
 * it, and the private half is proved to match the DNSKEY by recomputing
 * the public key (ECDSA) or the modulus and a signature (RSA).
 */
#include <tibra/dns/sign.h>

#include <bearssl_ec.h>
#include <bearssl_hash.h>
#include <bearssl_rsa.h>
#include <stdio.h>
#include <string.h>

enum { RP, RQ, RDP, RDQ, RIQ };
#define PRIME_MAX (DNS_SIGN_RSA_MAXLEN / 2)

/* The fields of a .private file this reader knows. */
enum {
    F_FORMAT,
    F_ALG,
    F_PRIVKEY,
    F_MOD,
    F_PUBEXP,
    F_PRIVEXP,
    F_P,
    F_Q,
    F_DP,
    F_DQ,
    F_IQ,
    F_N
};
static const char *const fname[F_N] = {
    "Private-key-format", "Algorithm",       "PrivateKey", "Modulus",
    "PublicExponent",     "PrivateExponent", "Prime1",     "Prime2",
    "Exponent1",          "Exponent2",       "Coefficient"};

struct pf {
    const char *val[F_N];
    size_t len[F_N];
    unsigned line[F_N];
};

static unsigned char *uc(const uint8_t *p)
{
    return (unsigned char *)(uintptr_t)p;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Cuts (priv) into known fields; errors as FILE:LINE. */
static int split(struct pf *f, const char *t, size_t n, const char *file,
                 struct dns_diag *d)
{
    unsigned line = 0;
    size_t i = 0;

    memset(f, 0, sizeof(*f));
    while (i < n) {
        size_t s = i, e, c;
        line++;
        while (i < n && t[i] != '\n')
            i++;
        e = i++;
        while (s < e && blank(t[s]))
            s++;
        while (e > s && blank(t[e - 1]))
            e--;
        if (s == e)
            continue;
        for (c = s; c < e && t[c] != ':'; c++)
            ;
        if (c == e) {
            dns_diag(d, DNS_DIAG_ERROR, file, line,
                     "expected \"Field: value\"");
            return TB_EMALF;
        }
        for (int k = 0; k < F_N; k++)
            if (strlen(fname[k]) == c - s &&
                memcmp(fname[k], t + s, c - s) == 0) {
                if (f->val[k] != NULL) {
                    dns_diag(d, DNS_DIAG_ERROR, file, line, "second %s",
                             fname[k]);
                    return TB_EMALF;
                }
                for (c++; c < e && blank(t[c]); c++)
                    ;
                f->val[k] = t + c;
                f->len[k] = e - c;
                f->line[k] = line;
            }
        /* Other fields (Created, Publish, Activate...) are BIND's
         * timing metadata: ignored. */
    }
    return 0;
}

/* Decodes base64 field (k) into (out, cap), leading zeros stripped. */
static int field(const struct pf *f, int k, uint8_t *out, size_t cap,
                 size_t *len, const char *file, struct dns_diag *d)
{
    uint8_t tmp[DNS_SIGN_RSA_MAXLEN + 8];
    int n;
    size_t z = 0;

    if (f->val[k] == NULL) {
        dns_diag(d, DNS_DIAG_ERROR, file, 0, "no %s field", fname[k]);
        return TB_EMALF;
    }
    n = tb_base64_decode(f->val[k], f->len[k], tmp, sizeof(tmp));
    while (n > 0 && (size_t)n - z > 1 && tmp[z] == 0)
        z++;
    if (n <= 0 || (size_t)n - z > cap) {
        dns_diag(d, DNS_DIAG_ERROR, file, f->line[k],
                 n < 0 ? "%s: not base64" : "%s: bad length", fname[k]);
        return TB_EMALF;
    }
    *len = (size_t)n - z;
    memcpy(out, tmp + z, *len);
    memset(tmp, 0, sizeof(tmp));
    return 0;
}

static bool same_int(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
    while (al > 0 && a[0] == 0)
        a++, al--;
    while (bl > 0 && b[0] == 0)
        b++, bl--;
    return al == bl && memcmp(a, b, al) == 0;
}

static int read_ecdsa(struct dns_sign_key *k, const struct pf *f,
                      const char *file, struct dns_diag *d)
{
    uint8_t x[32], pb[BR_EC_KBUF_PUB_MAX_SIZE];
    size_t xl;
    br_ec_public_key pk;
    br_ec_private_key sk = {BR_EC_secp256r1, x, 32};
    int rc = field(f, F_PRIVKEY, x, 32, &xl, file, d);

    if (rc != 0)
        return rc;
    memmove(x + 32 - xl, x, xl);
    memset(x, 0, 32 - xl);
    if (br_ec_compute_pub(&br_ec_p256_m31, &pk, pb, &sk) != 65 ||
        k->dnskey_len != 4 + 64 || memcmp(pk.q + 1, k->dnskey + 4, 64) != 0) {
        dns_diag(d, DNS_DIAG_ERROR, file, f->line[F_PRIVKEY],
                 "PrivateKey does not match the DNSKEY");
        rc = TB_EMALF;
    } else {
        memcpy(k->priv, x, 32);
        k->bits = 256;
    }
    memset(x, 0, sizeof(x));
    return rc;
}

static unsigned bitlen(const uint8_t *p, size_t n)
{
    unsigned b = (unsigned)n * 8;

    for (uint8_t c = n > 0 ? p[0] : 0; b > 0 && !(c & 0x80);
         c = (uint8_t)(c << 1))
        b--;
    return b;
}

/* The DNSKEY's RSA key field (RFC 3110 2): exponent and modulus. */
static bool rsa_dnskey(const struct dns_sign_key *k, const uint8_t **e,
                       size_t *el, const uint8_t **n, size_t *nl)
{
    const uint8_t *p = k->dnskey + 4;
    size_t len = k->dnskey_len - 4, o = 1;

    if (len < 1)
        return false;
    *el = p[0];
    if (p[0] == 0) {
        if (len < 3)
            return false;
        *el = (size_t)p[1] << 8 | p[2];
        o = 3;
    }
    if (*el == 0 || len - o <= *el)
        return false;
    *e = p + o;
    *n = p + o + *el;
    *nl = len - o - *el;
    return true;
}

static int read_rsa(struct dns_sign_key *k, const struct pf *f,
                    const char *file, struct dns_diag *d)
{
    static const int comp[5] = {F_P, F_Q, F_DP, F_DQ, F_IQ};
    uint8_t mod[DNS_SIGN_RSA_MAXLEN], e[4], n2[DNS_SIGN_RSA_MAXLEN + 8];
    uint8_t hash[32] = {1}, sig[DNS_SIGN_SIG_MAXLEN], out[32];
    const uint8_t *de, *dn;
    size_t ml, el, del, dnl, off = 0;
    br_rsa_private_key sk;
    br_rsa_public_key pk;
    int rc = field(f, F_MOD, mod, sizeof(mod), &ml, file, d);

    if (rc == 0)
        rc = field(f, F_PUBEXP, e, sizeof(e), &el, file, d);
    for (int i = 0; i < 5 && rc == 0; i++) {
        rc = field(f, comp[i], k->priv + off, PRIME_MAX, &k->priv_len[i], file,
                   d);
        k->priv_off[i] = off;
        off += PRIME_MAX;
    }
    if (rc != 0)
        return rc;
    if (!rsa_dnskey(k, &de, &del, &dn, &dnl) || !same_int(e, el, de, del) ||
        !same_int(mod, ml, dn, dnl)) {
        dns_diag(d, DNS_DIAG_ERROR, file, f->line[F_MOD],
                 "Modulus or PublicExponent does not match the DNSKEY");
        return TB_EMALF;
    }
    k->bits = bitlen(mod, ml);
    if (k->bits < DNS_SIGN_RSA_MINBITS || k->bits > DNS_SIGN_RSA_MAXBITS) {
        dns_diag(d, DNS_DIAG_ERROR, file, f->line[F_MOD],
                 "RSA modulus of %u bits (1024 to 4096 are accepted)", k->bits);
        return TB_EMALF;
    }
    sk.n_bitlen = k->bits;
    sk.p = uc(k->priv + k->priv_off[RP]), sk.plen = k->priv_len[RP];
    sk.q = uc(k->priv + k->priv_off[RQ]), sk.qlen = k->priv_len[RQ];
    sk.dp = uc(k->priv + k->priv_off[RDP]), sk.dplen = k->priv_len[RDP];
    sk.dq = uc(k->priv + k->priv_off[RDQ]), sk.dqlen = k->priv_len[RDQ];
    sk.iq = uc(k->priv + k->priv_off[RIQ]), sk.iqlen = k->priv_len[RIQ];
    pk.n = uc(mod), pk.nlen = ml, pk.e = uc(e), pk.elen = el;
    /* p and q odd (BearSSL's modular code needs it), their product the
     * modulus, and a signature that verifies (dp, dq, iq right). */
    if (!(sk.p[sk.plen - 1] & 1) || !(sk.q[sk.qlen - 1] & 1) ||
        br_rsa_i31_compute_modulus(NULL, &sk) != ml ||
        br_rsa_i31_compute_modulus(n2, &sk) != ml || memcmp(n2, mod, ml) != 0 ||
        dns_sign_digest(k, hash, sig) != (int)ml ||
        !br_rsa_i31_pkcs1_vrfy(sig, ml, BR_HASH_OID_SHA256, 32, &pk, out) ||
        memcmp(out, hash, 32) != 0) {
        dns_diag(d, DNS_DIAG_ERROR, file, f->line[F_P],
                 "the primes and exponents do not make the DNSKEY's key");
        return TB_EMALF;
    }
    return 0;
}

struct fwd {
    struct dns_diag *d;
};

static void errors_only(void *ctx, int level, const char *file, unsigned line,
                        const char *msg)
{
    struct fwd *f = ctx;

    if (level == DNS_DIAG_ERROR)
        dns_diag(f->d, level, file, line, "%s", msg);
}

/* Finds the one DNSKEY of (origin) in the .key text; fills (k)'s public
 * half. */
static int read_pub(struct dns_sign_key *k, const uint8_t *origin,
                    const char *pub, size_t publen, const char *pubfile,
                    const struct tb_alloc *a, struct dns_diag *d)
{
    struct fwd fw = {d};
    struct dns_diag q = {errors_only, &fw, 0, 0};
    struct dns_zone_src z;
    const struct dns_zrr *r = NULL;
    int rc;

    dns_zone_src_init(&z, origin, a);
    z.max_records = 16;
    rc = dns_zone_parse(&z, pub, publen, pubfile, NULL, &q);
    for (size_t i = 0; rc == 0 && i < z.nrr; i++) {
        const struct dns_zrr *x = &z.rr[i];
        if (x->type != DNS_TYPE_DNSKEY)
            continue;
        if (r != NULL || !dns_name_equal(dns_zrr_owner(&z, x), origin)) {
            dns_diag(d, DNS_DIAG_ERROR, pubfile, x->line,
                     r != NULL ? "a second DNSKEY record"
                               : "DNSKEY of another zone");
            rc = TB_EMALF;
        }
        r = x;
    }
    if (rc == 0 && r == NULL) {
        dns_diag(d, DNS_DIAG_ERROR, pubfile, 1, "no DNSKEY record");
        rc = TB_EMALF;
    }
    if (rc == 0) {
        const uint8_t *rd = dns_zrr_rdata(&z, r);
        uint16_t flags = (uint16_t)(rd[0] << 8 | rd[1]);
        if (r->rdlen < 5 || r->rdlen > DNS_SIGN_DNSKEY_MAXLEN || rd[2] != 3 ||
            (flags != DNS_DNSKEY_ZSK && flags != DNS_DNSKEY_KSK)) {
            dns_diag(d, DNS_DIAG_ERROR, pubfile, r->line,
                     "DNSKEY: flags must be 256 or 257, protocol 3, key "
                     "at most %u bytes",
                     DNS_SIGN_DNSKEY_MAXLEN - 4);
            rc = TB_EMALF;
        } else if (rd[3] != DNS_ALG_ECDSAP256SHA256 &&
                   rd[3] != DNS_ALG_RSASHA256) {
            dns_diag(d, DNS_DIAG_ERROR, pubfile, r->line,
                     "DNSKEY algorithm %u is not supported (8 and 13 are)",
                     rd[3]);
            rc = TB_ENOTSUP;
        } else {
            k->flags = flags;
            k->alg = rd[3];
            memcpy(k->dnskey, rd, r->rdlen);
            k->dnskey_len = r->rdlen;
            k->tag = dns_sign_key_tag(rd, r->rdlen);
        }
    } else if (rc != TB_ENOMEM) {
        rc = TB_EMALF;
    }
    dns_zone_src_free(&z);
    return rc;
}

int dns_sign_key_read(struct dns_sign_key *k, const uint8_t *origin,
                      const char *pub, size_t publen, const char *pubfile,
                      const char *priv, size_t privlen, const char *privfile,
                      const struct tb_alloc *a, struct dns_diag *d)
{
    struct pf f;
    int rc;

    dns_sign_key_wipe(k);
    rc = read_pub(k, origin, pub, publen, pubfile, a, d);
    if (rc != 0 || priv == NULL)
        goto out;
    rc = split(&f, priv, privlen, privfile, d);
    if (rc == 0 && (f.val[F_FORMAT] == NULL || f.len[F_FORMAT] < 3 ||
                    memcmp(f.val[F_FORMAT], "v1.", 3) != 0)) {
        dns_diag(d, DNS_DIAG_ERROR, privfile, f.line[F_FORMAT],
                 "not a BIND private key (Private-key-format: v1.x)");
        rc = TB_EMALF;
    }
    if (rc == 0) {
        unsigned alg = 0;
        size_t i;
        for (i = 0; i < f.len[F_ALG] && i < 4 && f.val[F_ALG][i] >= '0' &&
                    f.val[F_ALG][i] <= '9';
             i++)
            alg = alg * 10 + (unsigned)(f.val[F_ALG][i] - '0');
        if (i == 0 || alg != k->alg) {
            dns_diag(d, DNS_DIAG_ERROR, privfile, f.line[F_ALG],
                     "Algorithm is not the DNSKEY's (%u)", k->alg);
            rc = TB_EMALF;
        }
    }
    if (rc == 0)
        rc = k->alg == DNS_ALG_ECDSAP256SHA256 ? read_ecdsa(k, &f, privfile, d)
                                               : read_rsa(k, &f, privfile, d);
out:
    if (rc != 0)
        dns_sign_key_wipe(k);
    return rc;
}

static bool b64(char **p, char *end, const uint8_t *v, size_t n)
{
    static const char al[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    if ((size_t)(end - *p) < (n + 2) / 3 * 4 + 1)
        return false;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)v[i] << 16 |
                     (i + 1 < n ? (uint32_t)v[i + 1] << 8 : 0) |
                     (i + 2 < n ? v[i + 2] : 0);
        *(*p)++ = al[w >> 18];
        *(*p)++ = al[(w >> 12) & 63];
        *(*p)++ = i + 1 < n ? al[(w >> 6) & 63] : '=';
        *(*p)++ = i + 2 < n ? al[w & 63] : '=';
    }
    **p = '\0';
    return true;
}

static bool put(char **p, char *end, const char *s)
{
    size_t n = strlen(s);

    if ((size_t)(end - *p) < n + 1)
        return false;
    memcpy(*p, s, n + 1);
    *p += n;
    return true;
}

static bool put_field(char **p, char *end, const char *name, const uint8_t *v,
                      size_t n)
{
    return put(p, end, name) && put(p, end, ": ") && b64(p, end, v, n) &&
           put(p, end, "\n");
}

static bool write_rsa(const struct dns_sign_key *k, char **p, char *end)
{
    static const char *const nm[5] = {"Prime1", "Prime2", "Exponent1",
                                      "Exponent2", "Coefficient"};
    const uint8_t *e, *n;
    size_t el, nl, dl;
    uint8_t dexp[DNS_SIGN_RSA_MAXLEN];
    uint32_t ev = 0;
    br_rsa_private_key sk;
    bool ok;

    if (!rsa_dnskey(k, &e, &el, &n, &nl) || el > 4)
        return false;
    for (size_t i = 0; i < el; i++)
        ev = ev << 8 | e[i];
    sk.n_bitlen = k->bits;
    sk.p = uc(k->priv + k->priv_off[RP]), sk.plen = k->priv_len[RP];
    sk.q = uc(k->priv + k->priv_off[RQ]), sk.qlen = k->priv_len[RQ];
    sk.dp = uc(k->priv + k->priv_off[RDP]), sk.dplen = k->priv_len[RDP];
    sk.dq = uc(k->priv + k->priv_off[RDQ]), sk.dqlen = k->priv_len[RDQ];
    sk.iq = uc(k->priv + k->priv_off[RIQ]), sk.iqlen = k->priv_len[RIQ];
    dl = br_rsa_i31_compute_privexp(dexp, &sk, ev);
    ok = dl > 0 && put(p, end, "Algorithm: 8 (RSASHA256)\n") &&
         put_field(p, end, "Modulus", n, nl) &&
         put_field(p, end, "PublicExponent", e, el) &&
         put_field(p, end, "PrivateExponent", dexp, dl);
    for (int i = 0; i < 5 && ok; i++)
        ok = put_field(p, end, nm[i], k->priv + k->priv_off[i], k->priv_len[i]);
    memset(dexp, 0, sizeof(dexp));
    return ok;
}

int dns_sign_key_write(const struct dns_sign_key *k, const uint8_t *origin,
                       char *pub, size_t pubcap, char *priv, size_t privcap)
{
    char name[DNS_NAME_TEXT_MAX], rd[2 * DNS_SIGN_DNSKEY_MAXLEN + 64];
    char line[128], *p = pub, *end = pub + pubcap;
    bool ok;

    if (dns_name_to_text(origin, name, sizeof(name)) < 0 ||
        dns_rdata_to_text(DNS_TYPE_DNSKEY, k->dnskey, k->dnskey_len, rd,
                          sizeof(rd)) < 0)
        return TB_ESPACE;
    snprintf(line, sizeof(line), "; %s-signing key, keyid %u, for ",
             k->flags == DNS_DNSKEY_KSK ? "key" : "zone", k->tag);
    ok = put(&p, end, line) && put(&p, end, name) && put(&p, end, "\n") &&
         put(&p, end, name) && put(&p, end, " IN DNSKEY ") &&
         put(&p, end, rd) && put(&p, end, "\n");
    if (!ok)
        return TB_ESPACE;
    p = priv, end = priv + privcap;
    ok = put(&p, end, "Private-key-format: v1.3\n");
    if (ok && k->alg == DNS_ALG_ECDSAP256SHA256)
        ok = put(&p, end, "Algorithm: 13 (ECDSAP256SHA256)\n") &&
             put_field(&p, end, "PrivateKey", k->priv, 32);
    else if (ok)
        ok = write_rsa(k, &p, end);
    return ok ? 0 : TB_ESPACE;
}
