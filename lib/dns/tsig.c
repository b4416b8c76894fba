/*
 * tsig.c -- TSIG (RFC 8945): keys, MACs over messages, verifying and
 * signing, for the server (requests in, responses and transfer streams
 * out) and for the client (a secondary's queries, NOTIFY out, and the
 * responses they get).  See dns/tsig.h.
 *
 *   srv.c: signed query --keyring.answer = dns_tsig_answer()-->
 *          dns_tsig_verify_request -> dns_auth_answer(query without TSIG)
 *          -> dns_tsig_sign -> response
 *
 * A MAC (RFC 8945 4.3.3, 5.3.1) is HMAC over, in order:
 *
 *   [prior MAC: length (2) + MAC]   request MAC / previous message's MAC
 *   [unsigned messages]             verifying a stream only
 *   message with its original ID and ARCOUNT without the TSIG RR
 *   variables: first message        key name (canonical), class ANY,
 *                                   TTL 0, algorithm name (canonical),
 *                                   time (48 bits), fudge, error,
 *                                   other length, other data
 *              later messages       time, fudge ("timers")
 *
 * The message is fed to the HMAC in pieces, never copied or modified.
 * HMAC is BearSSL's; the key's inner and outer hash states are computed
 * once (br_hmac_key_init) and kept in the key.  What this does not do:
 * TKEY/GSS-TSIG, remembering the last time signed per key (RFC 8945 5.2.3
 * SHOULD; the fudge window bounds replays), keys that change at run time
 * (the driver publishes a new key set).
 */
#include <bearssl_hmac.h>
#include <tibra/dns/auth.h>
#include <tibra/dns/name.h>
#include <tibra/dns/tsig.h>
#include <tibra/dns/wire.h>

#include "tsig_int.h"
#include "zoneset.h"

_Static_assert(sizeof(br_hmac_key_context) <=
                   sizeof(((struct dns_tsig_key *)0)->priv),
               "dns_tsig_key.priv holds a br_hmac_key_context");
_Static_assert(sizeof(br_hmac_context) <=
                   sizeof(((struct dns_tsig_ctx *)0)->run),
               "dns_tsig_ctx.run holds a br_hmac_context");

/* ---- algorithms ----------------------------------------------------- */

/* BearSSL's hash for (id) (the names are tsig_alg.c's). */
static const br_hash_class *alg_hash(enum dns_tsig_alg id)
{
    switch (id) {
    case DNS_TSIG_HMAC_MD5:
        return &br_md5_vtable;
    case DNS_TSIG_HMAC_SHA1:
        return &br_sha1_vtable;
    case DNS_TSIG_HMAC_SHA224:
        return &br_sha224_vtable;
    case DNS_TSIG_HMAC_SHA256:
        return &br_sha256_vtable;
    case DNS_TSIG_HMAC_SHA384:
        return &br_sha384_vtable;
    case DNS_TSIG_HMAC_SHA512:
        return &br_sha512_vtable;
    }
    return NULL;
}

#define alg_get dns_tsig_alg_get
#define algs    dns_tsig_algs


/* ---- keys ----------------------------------------------------------- */

static const br_hmac_key_context *key_hmac(const struct dns_tsig_key *k)
{
    return (const br_hmac_key_context *)(const void *)k->priv;
}

int dns_tsig_key_init(struct dns_tsig_key *k, const uint8_t *name,
                      size_t name_len, enum dns_tsig_alg alg,
                      const uint8_t *secret, size_t len)
{
    const struct dns_tsig_alg_info *a = alg_get(alg);

    memset(k, 0, sizeof(*k));
    if (a == NULL)
        return TB_ENOTSUP;
    if (len == 0 || len > DNS_TSIG_SECRET_MAX || name_len == 0 ||
        name_len > DNS_NAME_MAXLEN ||
        dns_name_check(name, name_len) != (int)name_len)
        return TB_EINVAL;
    memcpy(k->name, name, name_len);
    dns_name_lower(k->name);
    k->name_len = (uint8_t)name_len;
    k->alg = alg;
    k->min_mac = a->maclen;
    br_hmac_key_init((br_hmac_key_context *)(void *)k->priv, alg_hash(alg),
                     secret, len);
    return 0;
}

void dns_tsig_key_wipe(struct dns_tsig_key *k)
{
    /* volatile: a store the compiler may not drop as dead. */
    volatile uint8_t *p = (volatile uint8_t *)k;
    for (size_t i = 0; i < sizeof(*k); i++)
        p[i] = 0;
}

void dns_tsig_keyring_init(struct dns_tsig_keyring *kr,
                           const struct dns_tsig_key *keys, size_t n)
{
    kr->keys = keys;
    kr->n = n;
    kr->answer = dns_tsig_answer;
    kr->verify = dns_tsig_verify_request;
    kr->sign = dns_tsig_sign;
}

/* Wire names equal ignoring ASCII case; (b) is lowercase. */
static bool name_eq(const uint8_t *a, size_t alen, const uint8_t *b,
                    size_t blen)
{
    if (alen != blen)
        return false;
    for (size_t i = 0; i < alen; i++) {
        uint8_t c = a[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c + 32);
        if (c != b[i])
            return false;
    }
    return true;
}

const struct dns_tsig_key *
dns_tsig_keyring_find(const struct dns_tsig_keyring *kr, const uint8_t *name,
                      size_t name_len)
{
    for (size_t i = 0; kr != NULL && i < kr->n; i++)
        if (name_eq(name, name_len, kr->keys[i].name, kr->keys[i].name_len))
            return &kr->keys[i];
    return NULL;
}

/* ---- the TSIG RR ---------------------------------------------------- */

/* Skips a name from (p) (compression allowed if (ptr)); returns the offset
 * after it or 0 if malformed: a label over 63 bytes, or more than 255
 * bytes before the end or the pointer (RFC 1035 3.1). */
static size_t skip_name(const uint8_t *m, size_t len, size_t p, bool ptr)
{
    size_t start = p;

    while (p < len && p - start < DNS_NAME_MAXLEN) {
        unsigned c = m[p];
        if (c == 0)
            return p + 1;
        if ((c & 0xc0) == 0xc0)
            return ptr && len - p >= 2 ? p + 2 : 0;
        if (c > DNS_LABEL_MAXLEN)
            return 0;
        p += c + 1;
    }
    return 0;
}

int dns_tsig_find(const uint8_t *msg, size_t len, size_t *off)
{
    size_t p = DNS_HDR_LEN, last = 0;
    unsigned qd, rrs;

    if (len < DNS_HDR_LEN)
        return TB_EMALF;
    if (tb_get16(msg + 10) == 0)
        return TB_ENOENT;
    qd = tb_get16(msg + 4);
    rrs = (unsigned)tb_get16(msg + 6) + tb_get16(msg + 8) + tb_get16(msg + 10);
    /* Each entry takes at least 5 (question) or 11 (RR) bytes, so the
     * loops below are bounded by (len) as well as by the counts. */
    for (unsigned i = 0; i < qd; i++) {
        if ((p = skip_name(msg, len, p, true)) == 0 || len - p < 4)
            return TB_EMALF;
        p += 4;
    }
    for (unsigned i = 0; i < rrs; i++) {
        last = p;
        if ((p = skip_name(msg, len, p, true)) == 0 || len - p < 10 ||
            len - p - 10 < tb_get16(msg + p + 8))
            return TB_EMALF;
        if (i + 1 == rrs && tb_get16(msg + p) == DNS_TYPE_TSIG) {
            *off = last;
            return 0;
        }
        p += 10 + (size_t)tb_get16(msg + p + 8);
    }
    return TB_ENOENT;
}

/* A parsed TSIG RR (RFC 8945 4.2), offsets into the message. */
struct trr {
    size_t off; /* owner */
    size_t owner_len;
    size_t alg_off, alg_len;
    uint64_t time;
    uint16_t fudge;
    size_t mac_off;
    uint16_t mac_len;
    uint16_t orig_id, error;
    size_t other_off;
    uint16_t other_len;
    size_t end; /* after the RR */
};

/* RFC 8945 4.2: owner uncompressed, class ANY, TTL 0; rdata exactly
 * algorithm (uncompressed), time, fudge, MAC, original ID, error, other. */
static int parse_trr(const uint8_t *m, size_t len, size_t off, struct trr *t)
{
    size_t p, r, e, n;

    if ((p = skip_name(m, len, off, false)) == 0 || len - p < 10 ||
        tb_get16(m + p) != DNS_TYPE_TSIG ||
        tb_get16(m + p + 2) != DNS_CLASS_ANY || tb_get32(m + p + 4) != 0 ||
        len - p - 10 < tb_get16(m + p + 8))
        return TB_EMALF;
    t->off = off;
    t->owner_len = p - off;
    r = p + 10;
    e = r + tb_get16(m + p + 8);
    if ((n = skip_name(m, e, r, false)) == 0 || e - n < 10)
        return TB_EMALF;
    t->alg_off = r;
    t->alg_len = n - r;
    t->time = (uint64_t)tb_get16(m + n) << 32 | tb_get32(m + n + 2);
    t->fudge = tb_get16(m + n + 6);
    t->mac_len = tb_get16(m + n + 8);
    t->mac_off = n + 10;
    if (e - t->mac_off < (size_t)t->mac_len + 6)
        return TB_EMALF;
    n = t->mac_off + t->mac_len;
    t->orig_id = tb_get16(m + n);
    t->error = tb_get16(m + n + 2);
    t->other_len = tb_get16(m + n + 4);
    t->other_off = n + 6;
    if (e - t->other_off != t->other_len)
        return TB_EMALF;
    t->end = e;
    return 0;
}

/* The algorithm (alg_off, alg_len) of (t) names: the entry, or NULL. */
static const struct dns_tsig_alg_info *trr_alg(const uint8_t *m,
                                               const struct trr *t)
{
    for (size_t i = 0; i < DNS_TSIG_NALGS; i++)
        if (name_eq(m + t->alg_off, t->alg_len, algs[i].wire, algs[i].wire_len))
            return &algs[i];
    return NULL;
}

/* ---- MACs ----------------------------------------------------------- */

static void put48(uint8_t *p, uint64_t v)
{
    tb_put16(p, (uint16_t)(v >> 32));
    tb_put32(p + 2, (uint32_t)v);
}

/* Starts (hc) with (k) and, if (mac_len) > 0, the prior MAC. */
static void mac_start(br_hmac_context *hc, const struct dns_tsig_key *k,
                      const uint8_t *mac, size_t mac_len)
{
    uint8_t l[2];

    br_hmac_init(hc, key_hmac(k), 0);
    if (mac_len != 0) {
        tb_put16(l, (uint16_t)mac_len);
        br_hmac_update(hc, l, 2);
        br_hmac_update(hc, mac, mac_len);
    }
}

/* The message (m) up to (tsig_off), with (id) as its ID and ARCOUNT one
 * less when (had_tsig) (RFC 8945 4.3.1: as it was before the TSIG RR was
 * added). */
static void mac_msg(br_hmac_context *hc, const uint8_t *m, size_t tsig_off,
                    uint16_t id, bool had_tsig)
{
    uint8_t h[DNS_HDR_LEN];

    memcpy(h, m, DNS_HDR_LEN);
    tb_put16(h, id);
    if (had_tsig)
        tb_put16(h + 10, (uint16_t)(tb_get16(m + 10) - 1));
    br_hmac_update(hc, h, DNS_HDR_LEN);
    br_hmac_update(hc, m + DNS_HDR_LEN, tsig_off - DNS_HDR_LEN);
}

/* RFC 8945 4.3.3: the TSIG variables, or only the timers (5.3.1). */
static void mac_vars(br_hmac_context *hc, const struct dns_tsig_key *k,
                     const struct dns_tsig_alg_info *a, bool timers_only,
                     uint64_t time, uint16_t fudge, uint16_t error,
                     const uint8_t *other, uint16_t other_len)
{
    uint8_t v[16];

    if (!timers_only) {
        br_hmac_update(hc, k->name, k->name_len);
        tb_put16(v, DNS_CLASS_ANY);
        tb_put32(v + 2, 0);
        br_hmac_update(hc, v, 6);
        br_hmac_update(hc, a->wire, a->wire_len);
    }
    put48(v, time);
    tb_put16(v + 6, fudge);
    if (timers_only) {
        br_hmac_update(hc, v, 8);
        return;
    }
    tb_put16(v + 8, error);
    tb_put16(v + 10, other_len);
    br_hmac_update(hc, v, 12);
    if (other_len != 0)
        br_hmac_update(hc, other, other_len);
}

/* Constant time: every byte is compared whatever the first differing. */
static bool mac_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    unsigned d = 0;

    for (size_t i = 0; i < n; i++)
        d |= (unsigned)(a[i] ^ b[i]);
    return d == 0;
}

/* RFC 8945 5.2.2.1: a MAC size over the hash length, or under the larger
 * of 10 and half of it, is malformed (FORMERR). */
static bool mac_size_ok(const struct dns_tsig_alg_info *a, uint16_t n)
{
    size_t floor = TB_MAX(10u, a->maclen / 2u);
    return n <= a->maclen && n >= floor;
}

static bool time_ok(uint64_t now, uint64_t t, uint16_t fudge)
{
    return (now > t ? now - t : t - now) <= fudge;
}

/* ---- server --------------------------------------------------------- */

int dns_tsig_verify_request(const struct dns_tsig_keyring *kr,
                            const uint8_t *msg, size_t len, size_t off,
                            uint64_t now_s, struct dns_tsig_ctx *ctx)
{
    const struct dns_tsig_key *k;
    const struct dns_tsig_alg_info *a;
    br_hmac_context hc;
    uint8_t out[DNS_TSIG_MAC_MAX];
    struct trr t;

    memset(ctx, 0, offsetof(struct dns_tsig_ctx, run));
    if (len < DNS_HDR_LEN || off < DNS_HDR_LEN || off > len ||
        tb_get16(msg + 10) == 0 || parse_trr(msg, len, off, &t) != 0 ||
        t.end != len)
        return TB_EMALF;
    memcpy(ctx->keyname, msg + off, t.owner_len);
    ctx->keyname_len = (uint8_t)t.owner_len;
    memcpy(ctx->alg, msg + t.alg_off, t.alg_len);
    ctx->alg_len = (uint8_t)t.alg_len;
    ctx->time_signed = t.time;
    ctx->fudge = t.fudge;
    /* 5.2.1: the key and its algorithm. */
    k = dns_tsig_keyring_find(kr, msg + off, t.owner_len);
    a = trr_alg(msg, &t);
    if (k == NULL || a == NULL || a->id != k->alg) {
        ctx->error = DNS_TSIG_BADKEY;
        return 0;
    }
    if (!mac_size_ok(a, t.mac_len))
        return TB_EMALF;
    /* 5.2.2: the MAC, over the request as it was before signing. */
    mac_start(&hc, k, NULL, 0);
    mac_msg(&hc, msg, off, t.orig_id, true);
    mac_vars(&hc, k, a, false, t.time, t.fudge, t.error, msg + t.other_off,
             t.other_len);
    br_hmac_out(&hc, out);
    if (!mac_equal(out, msg + t.mac_off, t.mac_len)) {
        ctx->error = DNS_TSIG_BADSIG;
        return 0;
    }
    ctx->key = k;
    /* 5.2.2.1: a reply is signed with the request MAC as received. */
    memcpy(ctx->mac, msg + t.mac_off, t.mac_len);
    ctx->mac_len = t.mac_len;
    /* 5.2.3, then 5.2.4. */
    if (!time_ok(now_s, t.time, t.fudge))
        ctx->error = DNS_TSIG_BADTIME;
    else if (t.mac_len < k->min_mac)
        ctx->error = DNS_TSIG_BADTRUNC;
    return 0;
}

/* Writes a TSIG RR at (p): owner (own), algorithm (alg), then the fields.
 * Returns its length. */
static size_t put_rr(uint8_t *p, const uint8_t *own, size_t own_len,
                     const uint8_t *alg, size_t alg_len, uint64_t time,
                     uint16_t fudge, const uint8_t *mac, uint16_t mac_len,
                     uint16_t id, uint16_t error, const uint8_t *other,
                     uint16_t other_len)
{
    size_t rd = alg_len + 16 + mac_len + other_len;
    uint8_t *o = p;

    memcpy(o, own, own_len);
    o += own_len;
    tb_put16(o, DNS_TYPE_TSIG);
    tb_put16(o + 2, DNS_CLASS_ANY);
    tb_put32(o + 4, 0);
    tb_put16(o + 8, (uint16_t)rd);
    o += 10;
    memcpy(o, alg, alg_len);
    o += alg_len;
    put48(o, time);
    tb_put16(o + 6, fudge);
    tb_put16(o + 8, mac_len);
    o += 10;
    if (mac_len != 0)
        memcpy(o, mac, mac_len);
    o += mac_len;
    tb_put16(o, id);
    tb_put16(o + 2, error);
    tb_put16(o + 4, other_len);
    o += 6;
    if (other_len != 0)
        memcpy(o, other, other_len);
    return (size_t)(o + other_len - p);
}

/* Length of the TSIG RR dns_tsig_sign() would append for (ctx). */
static size_t sign_len(const struct dns_tsig_ctx *ctx)
{
    const struct dns_tsig_alg_info *a;

    if (ctx->key == NULL || ctx->error == DNS_TSIG_BADKEY ||
        ctx->error == DNS_TSIG_BADSIG)
        return (size_t)ctx->keyname_len + 10 + ctx->alg_len + 16;
    a = alg_get(ctx->key->alg);
    return (size_t)ctx->key->name_len + 10 + a->wire_len + 16 + a->maclen +
           (ctx->error == DNS_TSIG_BADTIME ? 6 : 0);
}

size_t dns_tsig_sign(struct dns_tsig_ctx *ctx, uint8_t *msg, size_t len,
                     size_t cap, uint64_t now_s)
{
    const struct dns_tsig_key *k = ctx->key;
    const struct dns_tsig_alg_info *a;
    br_hmac_context hc;
    uint8_t mac[DNS_TSIG_MAC_MAX], other[6];
    uint16_t other_len = 0, id;
    uint64_t time = now_s;
    size_t n;

    if (ctx->client || len < DNS_HDR_LEN || len > cap ||
        cap - len < sign_len(ctx) || tb_get16(msg + 10) == 0xffff)
        return 0;
    id = tb_get16(msg);
    if (k == NULL || ctx->error == DNS_TSIG_BADKEY ||
        ctx->error == DNS_TSIG_BADSIG) {
        /* 5.3.2: unsigned, the request's key name, algorithm and time. */
        n = put_rr(msg + len, ctx->keyname, ctx->keyname_len, ctx->alg,
                   ctx->alg_len, ctx->time_signed, ctx->fudge, NULL, 0, id,
                   ctx->error, NULL, 0);
    } else {
        a = alg_get(k->alg);
        if (ctx->error == DNS_TSIG_BADTIME) {
            /* 5.2.3: the request's time, ours in Other Data. */
            time = ctx->time_signed;
            put48(other, now_s);
            other_len = 6;
        }
        mac_start(&hc, k, ctx->mac, ctx->mac_len);
        mac_msg(&hc, msg, len, id, false);
        mac_vars(&hc, k, a, ctx->nmsg != 0, time, ctx->fudge, ctx->error, other,
                 other_len);
        br_hmac_out(&hc, mac);
        n = put_rr(msg + len, k->name, k->name_len, a->wire, a->wire_len, time,
                   ctx->fudge, mac, a->maclen, id, ctx->error, other,
                   other_len);
        memcpy(ctx->mac, mac, a->maclen);
        ctx->mac_len = a->maclen;
    }
    tb_put16(msg + 10, (uint16_t)(tb_get16(msg + 10) + 1));
    ctx->nmsg++;
    return len + n;
}

/* ---- client --------------------------------------------------------- */

size_t dns_tsig_sign_request(struct dns_tsig_ctx *ctx,
                             const struct dns_tsig_key *key, uint8_t *msg,
                             size_t len, size_t cap, uint64_t now_s)
{
    const struct dns_tsig_alg_info *a = alg_get(key->alg);
    br_hmac_context hc;
    size_t n;

    memset(ctx, 0, offsetof(struct dns_tsig_ctx, run));
    ctx->key = key;
    ctx->client = true;
    ctx->fudge = DNS_TSIG_FUDGE;
    ctx->time_signed = now_s;
    if (a == NULL || len < DNS_HDR_LEN || len > cap ||
        cap - len < (size_t)key->name_len + 10 + a->wire_len + 16 + a->maclen ||
        tb_get16(msg + 10) == 0xffff) {
        ctx->failed = true;
        return 0;
    }
    mac_start(&hc, key, NULL, 0);
    mac_msg(&hc, msg, len, tb_get16(msg), false);
    mac_vars(&hc, key, a, false, now_s, ctx->fudge, 0, NULL, 0);
    br_hmac_out(&hc, ctx->mac);
    ctx->mac_len = a->maclen;
    n = put_rr(msg + len, key->name, key->name_len, a->wire, a->wire_len, now_s,
               ctx->fudge, ctx->mac, a->maclen, tb_get16(msg), 0, NULL, 0);
    tb_put16(msg + 10, (uint16_t)(tb_get16(msg + 10) + 1));
    /* The first response's MAC starts with the request MAC. */
    mac_start((br_hmac_context *)(void *)ctx->run, key, ctx->mac, ctx->mac_len);
    return len + n;
}

static int fail(struct dns_tsig_ctx *ctx, uint16_t error, int rc)
{
    ctx->failed = true;
    ctx->error = error;
    return rc;
}

int dns_tsig_verify_response(struct dns_tsig_ctx *ctx, const uint8_t *msg,
                             size_t len, uint64_t now_s)
{
    br_hmac_context *run = (br_hmac_context *)(void *)ctx->run;
    const struct dns_tsig_key *k = ctx->key;
    const struct dns_tsig_alg_info *a;
    uint8_t out[DNS_TSIG_MAC_MAX];
    struct trr t;
    size_t off;
    int rc;

    if (ctx->failed || !ctx->client || k == NULL)
        return ctx->error != 0 ? TB_EPERM : TB_EMALF;
    rc = dns_tsig_find(msg, len, &off);
    if (rc == TB_ENOENT) {
        /* 5.3.1: unsigned messages between signed ones, covered by the
         * next MAC; the first message and the 100th in a row are
         * signed. */
        if (ctx->nmsg == 0 || ctx->unsigned_run >= DNS_TSIG_UNSIGNED_MAX)
            return fail(ctx, DNS_TSIG_BADSIG, TB_EPERM);
        br_hmac_update(run, msg, len);
        ctx->unsigned_run++;
        return DNS_TSIG_UNSIGNED;
    }
    if (rc != 0 || parse_trr(msg, len, off, &t) != 0 || t.end != len)
        return fail(ctx, 0, TB_EMALF);
    a = trr_alg(msg, &t);
    if (a == NULL || a->id != k->alg ||
        !name_eq(msg + off, t.owner_len, k->name, k->name_len))
        return fail(ctx, DNS_TSIG_BADKEY, TB_EPERM);
    if (t.error != 0) /* the peer refused our request (5.3.2) */
        return fail(ctx, t.error, TB_EPERM);
    if (!mac_size_ok(a, t.mac_len))
        return fail(ctx, 0, TB_EMALF);
    mac_msg(run, msg, off, t.orig_id, true);
    mac_vars(run, k, a, ctx->nmsg != 0, t.time, t.fudge, t.error,
             msg + t.other_off, t.other_len);
    br_hmac_out(run, out);
    if (!mac_equal(out, msg + t.mac_off, t.mac_len))
        return fail(ctx, DNS_TSIG_BADSIG, TB_EPERM);
    if (!time_ok(now_s, t.time, t.fudge))
        return fail(ctx, DNS_TSIG_BADTIME, TB_EPERM);
    if (t.mac_len < k->min_mac)
        return fail(ctx, DNS_TSIG_BADTRUNC, TB_EPERM);
    memcpy(ctx->mac, msg + t.mac_off, t.mac_len);
    ctx->mac_len = t.mac_len;
    ctx->nmsg++;
    ctx->unsigned_run = 0;
    mac_start(run, k, ctx->mac, ctx->mac_len);
    return DNS_TSIG_VERIFIED;
}

/* ---- the service core's signed-query path --------------------------- */

/* Largest query dns_tsig_answer() copies (srv.h's DNS_SRV_QUERY_MAX plus
 * room for any TSIG RR). */
#define QCOPY_MAX (4096 + 512)

/* A response without records to (q, qlen) (the question copied when there
 * is exactly one and it parses), RCODE (rcode) (< 16), TC if (tc). */
static size_t bare_response(const uint8_t *q, size_t qlen, uint8_t *resp,
                            unsigned rcode, bool tc)
{
    uint16_t f = tb_get16(q + 2);
    size_t p = DNS_HDR_LEN, e;

    f = (uint16_t)(DNS_FLAG_QR | (f & (0x7800 | DNS_FLAG_RD | DNS_FLAG_CD)) |
                   (tc ? DNS_FLAG_TC : 0) | rcode);
    memcpy(resp, q, 2);
    tb_put16(resp + 2, f);
    memset(resp + 4, 0, 8);
    if (tb_get16(q + 4) == 1 && (e = skip_name(q, qlen, p, false)) != 0 &&
        qlen - e >= 4) {
        memcpy(resp + p, q + p, e + 4 - p);
        resp[5] = 1;
        return e + 4;
    }
    return DNS_HDR_LEN;
}

size_t dns_tsig_answer(const struct dns_tsig_keyring *kr,
                       const struct dns_zoneset *zs, const uint8_t *q,
                       size_t qlen, uint8_t *resp, size_t cap, unsigned flags,
                       struct dns_auth_env *env, uint64_t now_s,
                       struct dns_auth_stats *st)
{
    uint8_t qb[QCOPY_MAX];
    struct dns_tsig_ctx ctx;
    struct dns_query pq;
    size_t off, lim, room, n;
    int rc;

    if (qlen < DNS_HDR_LEN || (q[2] & (DNS_FLAG_QR >> 8)) ||
        dns_tsig_find(q, qlen, &off) != 0)
        return dns_auth_answer_env(zs, q, qlen, resp, cap, flags, env, st);
    if (cap < DNS_UDP_MINLEN) {
        st->queries++;
        st->dropped++;
        return 0;
    }
    rc = dns_tsig_verify_request(kr, q, qlen, off, now_s, &ctx);
    if (rc != 0 || off > sizeof(qb)) {
        /* RFC 8945 5.2.2.1 (MAC size), 4.2 (layout): FORMERR, unsigned. */
        st->queries++;
        st->formerr++;
        return bare_response(q, qlen, resp, DNS_RCODE_FORMERR, false);
    }
    if (ctx.error != 0) {
        /* 5.2: NOTAUTH, the TSIG error in the TSIG RR (5.3.2). */
        st->queries++;
        st->servfail++;
        n = bare_response(q, off, resp, DNS_RCODE_NOTAUTH, false);
        return dns_tsig_sign(&ctx, resp, n, cap, now_s);
    }
    /* Authentic: the answer to the query without its TSIG, signed. */
    memcpy(qb, q, off);
    tb_put16(qb + 10, (uint16_t)(tb_get16(q + 10) - 1));
    room = sign_len(&ctx);
    rc = dns_query_parse(&pq, qb, off);
    if (flags & DNS_AUTH_TCP)
        lim = DNS_MSG_MAXLEN;
    else if (rc == 0 && pq.has_opt)
        lim = TB_MAX(DNS_UDP_MINLEN, TB_MIN(pq.udp_size, zs->udp_max));
    else
        lim = DNS_UDP_MINLEN;
    lim = TB_MIN(lim, cap);
    /* Room for the TSIG inside the client's limit (the engine's own limit
     * is min(client's, cap)); at 512 there is none to give: answer, then
     * truncate if the TSIG does not fit. */
    n = dns_auth_answer_env(zs, qb, off, resp,
                            lim - room >= DNS_UDP_MINLEN ? lim - room : cap,
                            flags, env, st);
    if (n == 0)
        return 0;
    if (n + room > lim) {
        st->truncated++;
        n = bare_response(qb, off, resp, DNS_RCODE(tb_get16(resp + 2)), true);
    }
    return dns_tsig_sign(&ctx, resp, n, cap, now_s);
}
