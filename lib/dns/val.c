/*
 * val.c -- DNSSEC signatures (RFC 4034, 4035 5.3, 6840): RRSIG, DNSKEY and
 * DS rdata, key tags, the canonical signed data, and the signature checks
 * with BearSSL (RSA PKCS#1 v1.5, ECDSA raw r|s) or the driver's Ed25519.
 */
#include <string.h>

#include <bearssl.h>
#include <tibra/dns/name.h>
#include <tibra/dns/rr.h>
#include <tibra/dns/val.h>

#include "val_int.h"

static const struct {
    int ede;
    const char *s;
} reasons[DNS_VAL_R_COUNT] = {
    [DNS_VAL_R_OK] = {-1, "ok"},
    [DNS_VAL_R_MALFORMED] = {6, "malformed DNSSEC record"},
    [DNS_VAL_R_NO_SIG] = {10, "RRSIG missing"},
    [DNS_VAL_R_NO_KEY] = {9, "DNSKEY missing"},
    [DNS_VAL_R_BAD_SIG] = {6, "signature does not verify"},
    [DNS_VAL_R_EXPIRED] = {7, "signature expired"},
    [DNS_VAL_R_NOT_YET] = {8, "signature not yet valid"},
    [DNS_VAL_R_LABELS] = {6, "RRSIG labels over the owner's"},
    [DNS_VAL_R_SIGNER] = {6, "RRSIG signer not the zone"},
    [DNS_VAL_R_UNSUP_ALG] = {1, "unsupported DNSKEY algorithm"},
    [DNS_VAL_R_UNSUP_DIGEST] = {2, "unsupported DS digest type"},
    [DNS_VAL_R_DS_MISMATCH] = {9, "no DNSKEY matches the DS"},
    [DNS_VAL_R_TOO_BIG] = {6, "RRset too large to validate"},
    [DNS_VAL_R_NO_PROOF] = {12, "denial of existence not proved"},
    [DNS_VAL_R_NSEC3_ITER] = {27, "NSEC3 iterations over the limit"},
};

int dns_val_ede(enum dns_val_reason r)
{
    return (unsigned)r < DNS_VAL_R_COUNT ? reasons[r].ede : -1;
}

const char *dns_val_reason_str(enum dns_val_reason r)
{
    return (unsigned)r < DNS_VAL_R_COUNT ? reasons[r].s : "?";
}

int dns_val_rrsig_parse(const uint8_t *rd, size_t len, struct dns_val_rrsig *o)
{
    int nl;

    if (len < 18 + 1)
        return TB_EMALF;
    o->covered = tb_get16(rd);
    o->alg = rd[2];
    o->labels = rd[3];
    o->orig_ttl = tb_get32(rd + 4);
    o->expiration = tb_get32(rd + 8);
    o->inception = tb_get32(rd + 12);
    o->keytag = tb_get16(rd + 16);
    nl = dns_name_check(rd + 18, len - 18);
    if (nl < 0 || (size_t)nl >= len - 18)
        return TB_EMALF;
    o->signer = rd + 18;
    o->signer_len = (size_t)nl;
    o->sig = rd + 18 + nl;
    o->sig_len = len - 18 - (size_t)nl;
    return 0;
}

int dns_val_dnskey_parse(const uint8_t *rd, size_t len,
                         struct dns_val_dnskey *o)
{
    if (len < 5)
        return TB_EMALF;
    o->flags = tb_get16(rd);
    o->protocol = rd[2];
    o->alg = rd[3];
    o->key = rd + 4;
    o->key_len = len - 4;
    o->keytag = dns_val_keytag(rd, len);
    return 0;
}

static size_t digest_len(uint8_t dt)
{
    switch (dt) {
    case DNS_DS_SHA1:
        return 20;
    case DNS_DS_SHA256:
        return 32;
    case DNS_DS_SHA384:
        return 48;
    default:
        return 0;
    }
}

int dns_val_ds_parse(const uint8_t *rd, size_t len, struct dns_val_ds *o)
{
    size_t dl;

    if (len < 5)
        return TB_EMALF;
    o->keytag = tb_get16(rd);
    o->alg = rd[2];
    o->digest_type = rd[3];
    o->digest = rd + 4;
    o->digest_len = len - 4;
    dl = digest_len(o->digest_type);
    if (dl != 0 && dl != o->digest_len)
        return TB_EMALF;
    return 0;
}

uint16_t dns_val_keytag(const uint8_t *rd, size_t len)
{
    uint32_t ac = 0;
    size_t i;

    for (i = 0; i < len; i++)
        ac += (i & 1) ? rd[i] : (uint32_t)rd[i] << 8;
    ac += (ac >> 16) & 0xFFFF;
    return (uint16_t)(ac & 0xFFFF);
}

bool dns_val_alg_supported(const struct dns_val_conf *conf, uint8_t alg)
{
    switch (alg) {
    case DNS_ALG_RSASHA256:
    case DNS_ALG_RSASHA512:
    case DNS_ALG_ECDSAP256SHA256:
    case DNS_ALG_ECDSAP384SHA384:
        return true;
    case DNS_ALG_ED25519:
        return conf->ed25519 != NULL;
    default:
        return false;
    }
}

bool dns_val_digest_supported(uint8_t dt)
{
    return digest_len(dt) != 0;
}

/* One hash over (p, n) with the algorithm's hash; returns its length. */
static size_t hash_alg(uint8_t alg, const uint8_t *p, size_t n, uint8_t *out)
{
    if (alg == DNS_ALG_RSASHA256 || alg == DNS_ALG_ECDSAP256SHA256) {
        br_sha256_context h;
        br_sha256_init(&h);
        br_sha256_update(&h, p, n);
        br_sha256_out(&h, out);
        return 32;
    }
    if (alg == DNS_ALG_ECDSAP384SHA384) {
        br_sha384_context h;
        br_sha384_init(&h);
        br_sha384_update(&h, p, n);
        br_sha384_out(&h, out);
        return 48;
    }
    br_sha512_context h;
    br_sha512_init(&h);
    br_sha512_update(&h, p, n);
    br_sha512_out(&h, out);
    return 64;
}

/* RSA public key in RFC 3110 2 form into (*pk). */
static bool rsa_key(const uint8_t *k, size_t n, br_rsa_public_key *pk)
{
    size_t el, off = 1;

    if (n < 1)
        return false;
    el = k[0];
    if (el == 0) {
        if (n < 3)
            return false;
        el = tb_get16(k + 1);
        off = 3;
    }
    if (el == 0 || el > n - off || n - off - el < 64 ||
        n - off - el > 512) /* BearSSL: 4096 bits at most */
        return false;
    pk->e = (unsigned char *)(uintptr_t)(k + off);
    pk->elen = el;
    pk->n = (unsigned char *)(uintptr_t)(k + off + el);
    pk->nlen = n - off - el;
    return true;
}

bool val_crypto_verify(const struct dns_val_conf *conf, uint8_t alg,
                       const uint8_t *key, size_t key_len, const uint8_t *sig,
                       size_t sig_len, const uint8_t *msg, size_t msg_len)
{
    uint8_t h[64], out[64], q[97];
    size_t hl;

    if (conf->budget != NULL) { /* the caller's bound (KeyTrap) */
        if (*conf->budget == 0)
            return false;
        (*conf->budget)--;
    }
    switch (alg) {
    case DNS_ALG_RSASHA256:
    case DNS_ALG_RSASHA512: {
        br_rsa_public_key pk;
        const unsigned char *oid =
            alg == DNS_ALG_RSASHA256 ? BR_HASH_OID_SHA256 : BR_HASH_OID_SHA512;
        if (!rsa_key(key, key_len, &pk) || sig_len != pk.nlen)
            return false;
        hl = hash_alg(alg, msg, msg_len, h);
        if (!br_rsa_pkcs1_vrfy_get_default()(sig, sig_len, oid, hl, &pk, out))
            return false;
        return memcmp(out, h, hl) == 0;
    }
    case DNS_ALG_ECDSAP256SHA256:
    case DNS_ALG_ECDSAP384SHA384: {
        size_t cl = alg == DNS_ALG_ECDSAP256SHA256 ? 32 : 48;
        br_ec_public_key pk;
        if (key_len != 2 * cl || sig_len != 2 * cl)
            return false;
        q[0] = 0x04;
        memcpy(q + 1, key, key_len);
        pk.curve = cl == 32 ? BR_EC_secp256r1 : BR_EC_secp384r1;
        pk.q = q;
        pk.qlen = key_len + 1;
        hl = hash_alg(alg, msg, msg_len, h);
        return br_ecdsa_vrfy_raw_get_default()(br_ec_get_default(), h, hl, &pk,
                                               sig, sig_len) == 1;
    }
    case DNS_ALG_ED25519:
        if (conf->ed25519 == NULL || key_len != 32 || sig_len != 64)
            return false;
        return conf->ed25519(sig, msg, msg_len, key);
    default:
        return false;
    }
}

/* Validity window, RFC 4034 3.1.5 with RFC 1982 serial arithmetic. */
static enum dns_val_reason window(const struct dns_val_rrsig *s, uint32_t now)
{
    if ((int32_t)(now - s->expiration) > 0)
        return DNS_VAL_R_EXPIRED;
    if ((int32_t)(s->inception - now) > 0)
        return DNS_VAL_R_NOT_YET;
    return DNS_VAL_R_OK;
}

/* Builds the RFC 4034 3.1.8.1 signed data in (conf)->scratch; returns its
 * offset in (*off) and length in (*len). */
static enum dns_val_reason signed_data(const struct dns_val_conf *conf,
                                       const struct dns_val_rrset *set,
                                       const uint8_t *rrsig,
                                       const struct dns_val_rrsig *s,
                                       size_t *off, size_t *len)
{
    uint8_t owner[DNS_NAME_MAXLEN + 2];
    uint32_t ro[DNS_VAL_RRSET_MAX];
    uint16_t rl[DNS_VAL_RRSET_MAX];
    uint8_t *b = conf->scratch;
    size_t cap = conf->scratch_len, o = 0, i, j, k, n = 0, ol, start;
    unsigned labels = dns_name_labels(set->owner);

    if (set->n > DNS_VAL_RRSET_MAX)
        return DNS_VAL_R_TOO_BIG;
    /* The owner: lowercased, "*." + the last (labels) labels when the
     * RRSIG says it was synthesised from a wildcard (RFC 4035 5.3.2). */
    if (s->labels > labels)
        return DNS_VAL_R_LABELS;
    if (s->labels < labels) {
        const uint8_t *w = dns_name_skip(set->owner, labels - s->labels);
        owner[0] = 1;
        owner[1] = '*';
        ol = dns_name_len(w);
        if (ol + 2 > DNS_NAME_MAXLEN)
            return DNS_VAL_R_LABELS;
        memcpy(owner + 2, w, ol);
        ol += 2;
    } else {
        ol = dns_name_len(set->owner);
        memcpy(owner, set->owner, ol);
    }
    dns_name_lower(owner);
    /* Canonical rdatas first, sorted by index, duplicates dropped. */
    for (i = 0; i < set->n; i++) {
        size_t l = set->rd[i].len;
        if (l > cap - o)
            return DNS_VAL_R_TOO_BIG;
        dns_rdata_canon(set->type, set->rd[i].p, l, b + o);
        for (j = 0; j < n; j++) {
            size_t m = TB_MIN(l, rl[j]);
            int c = memcmp(b + o, b + ro[j], m);
            if (c == 0)
                c = l < rl[j] ? -1 : l > rl[j];
            if (c <= 0)
                break;
        }
        if (j < n && l == rl[j] && memcmp(b + o, b + ro[j], l) == 0)
            continue;
        for (k = n; k > j; k--) {
            ro[k] = ro[k - 1];
            rl[k] = rl[k - 1];
        }
        ro[j] = (uint32_t)o;
        rl[j] = (uint16_t)l;
        n++;
        o += l;
    }
    start = o;
    /* RRSIG rdata without the signature, signer lowercased. */
    if (18 + s->signer_len > cap - o)
        return DNS_VAL_R_TOO_BIG;
    memcpy(b + o, rrsig, 18 + s->signer_len);
    dns_name_lower(b + o + 18);
    o += 18 + s->signer_len;
    for (i = 0; i < n; i++) {
        if (ol + 10 + rl[i] > cap - o)
            return DNS_VAL_R_TOO_BIG;
        memcpy(b + o, owner, ol);
        o += ol;
        tb_put16(b + o, set->type);
        tb_put16(b + o + 2, set->rclass);
        tb_put32(b + o + 4, s->orig_ttl);
        tb_put16(b + o + 8, rl[i]);
        o += 10;
        memcpy(b + o, b + ro[i], rl[i]);
        o += rl[i];
    }
    *off = start;
    *len = o - start;
    return DNS_VAL_R_OK;
}

enum dns_val_reason dns_val_verify(const struct dns_val_conf *conf,
                                   const struct dns_val_rrset *set,
                                   const uint8_t *rrsig, size_t rrsig_len,
                                   const uint8_t *zone, const uint8_t *key,
                                   size_t key_len)
{
    struct dns_val_rrsig s;
    struct dns_val_dnskey k;
    enum dns_val_reason r;
    size_t off, len;

    if (dns_val_rrsig_parse(rrsig, rrsig_len, &s) != 0 ||
        dns_val_dnskey_parse(key, key_len, &k) != 0)
        return DNS_VAL_R_MALFORMED;
    if (s.covered != set->type)
        return DNS_VAL_R_NO_SIG;
    if (!dns_name_equal(s.signer, zone) ||
        !dns_name_is_sub(set->owner, s.signer))
        return DNS_VAL_R_SIGNER;
    if (s.labels > dns_name_labels(set->owner))
        return DNS_VAL_R_LABELS;
    if (k.alg != s.alg || k.keytag != s.keytag || k.protocol != 3 ||
        !(k.flags & DNS_DNSKEY_F_ZONE) || (k.flags & DNS_DNSKEY_F_REVOKE))
        return DNS_VAL_R_NO_KEY;
    if (!dns_val_alg_supported(conf, s.alg))
        return DNS_VAL_R_UNSUP_ALG;
    r = window(&s, conf->now);
    if (r != DNS_VAL_R_OK)
        return r;
    r = signed_data(conf, set, rrsig, &s, &off, &len);
    if (r != DNS_VAL_R_OK)
        return r;
    if (!val_crypto_verify(conf, s.alg, k.key, k.key_len, s.sig, s.sig_len,
                           conf->scratch + off, len))
        return DNS_VAL_R_BAD_SIG;
    return DNS_VAL_R_OK;
}

/* Which failure says most: a real signature problem over a missing key. */
static int rank(enum dns_val_reason r)
{
    switch (r) {
    case DNS_VAL_R_BAD_SIG:
    case DNS_VAL_R_EXPIRED:
    case DNS_VAL_R_NOT_YET:
        return 4;
    case DNS_VAL_R_LABELS:
    case DNS_VAL_R_TOO_BIG:
    case DNS_VAL_R_MALFORMED:
        return 3;
    case DNS_VAL_R_NO_KEY:
    case DNS_VAL_R_SIGNER:
        return 2;
    default:
        return 1;
    }
}

enum dns_val_state
dns_val_rrset(const struct dns_val_conf *conf, const struct dns_val_rrset *set,
              const struct dns_val_rdata *sigs, size_t nsigs,
              const uint8_t *zone, const struct dns_val_rdata *keys,
              size_t nkeys, enum dns_val_reason *reason, unsigned *wildcard)
{
    enum dns_val_reason best = DNS_VAL_R_NO_SIG;
    bool covered = false, supported = false;
    unsigned fails = 0;
    size_t i, j;

    if (wildcard != NULL)
        *wildcard = 0;
    for (i = 0; i < nsigs; i++) {
        struct dns_val_rrsig s;
        if (dns_val_rrsig_parse(sigs[i].p, sigs[i].len, &s) != 0) {
            if (rank(DNS_VAL_R_MALFORMED) > rank(best))
                best = DNS_VAL_R_MALFORMED;
            continue;
        }
        if (s.covered != set->type)
            continue;
        covered = true;
        if (!dns_val_alg_supported(conf, s.alg))
            continue;
        supported = true;
        for (j = 0; j < nkeys; j++) {
            enum dns_val_reason r =
                dns_val_verify(conf, set, sigs[i].p, sigs[i].len, zone,
                               keys[j].p, keys[j].len);
            if (r == DNS_VAL_R_OK) {
                unsigned ol = dns_name_labels(set->owner);
                /* "*.example." itself has one label more than its
                 * RRSIG says (RFC 4034 3.1.3): not an expansion. */
                if (wildcard != NULL && s.labels < ol &&
                    !((unsigned)s.labels + 1 == ol &&
                      dns_name_is_wildcard(set->owner)))
                    *wildcard = s.labels;
                *reason = DNS_VAL_R_OK;
                return DNS_VAL_SECURE;
            }
            if (rank(r) > rank(best))
                best = r;
            if (r == DNS_VAL_R_BAD_SIG && ++fails >= DNS_VAL_CRYPTO_FAIL_MAX)
                goto out;
        }
        if (nkeys == 0 && rank(DNS_VAL_R_NO_KEY) > rank(best))
            best = DNS_VAL_R_NO_KEY;
    }
out:
    if (covered && !supported) {
        *reason = DNS_VAL_R_UNSUP_ALG;
        return DNS_VAL_INSECURE;
    }
    *reason = best;
    return DNS_VAL_BOGUS;
}

bool dns_val_ds_match(const uint8_t *owner, const uint8_t *ds, size_t ds_len,
                      const uint8_t *key, size_t key_len)
{
    struct dns_val_ds d;
    uint8_t name[DNS_NAME_MAXLEN], h[48];
    size_t nl = dns_name_len(owner);

    if (dns_val_ds_parse(ds, ds_len, &d) != 0 || key_len < 4 ||
        !dns_val_digest_supported(d.digest_type) ||
        d.keytag != dns_val_keytag(key, key_len) || d.alg != key[3])
        return false;
    memcpy(name, owner, nl);
    dns_name_lower(name);
    switch (d.digest_type) {
    case DNS_DS_SHA1: {
        br_sha1_context c;
        br_sha1_init(&c);
        br_sha1_update(&c, name, nl);
        br_sha1_update(&c, key, key_len);
        br_sha1_out(&c, h);
        break;
    }
    case DNS_DS_SHA256: {
        br_sha256_context c;
        br_sha256_init(&c);
        br_sha256_update(&c, name, nl);
        br_sha256_update(&c, key, key_len);
        br_sha256_out(&c, h);
        break;
    }
    default: {
        br_sha384_context c;
        br_sha384_init(&c);
        br_sha384_update(&c, name, nl);
        br_sha384_update(&c, key, key_len);
        br_sha384_out(&c, h);
        break;
    }
    }
    return memcmp(h, d.digest, d.digest_len) == 0;
}
