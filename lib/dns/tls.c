/*
 * tls.c -- DNS over TLS (dns/tls.h): BearSSL's engine, which is already
 * sans-I/O (records in and out of one buffer, application data in and
 * out of the same), behind the calls of the rest of lib/dns, and the pump
 * that puts an RFC 7766 session (struct dns_tcp, srv.c) behind it.
 *
 *   driver recv -> dns_tls_received -> engine -> dns_tls_pump_tcp ->
 *   dns_tcp_received -> answers -> dns_tls_pump_tcp -> engine ->
 *   dns_tls_output -> driver send
 *
 * The loaders (PEM certificates and keys, CA certificates) are the cold
 * path and allocate once; a session allocates nothing: its contexts live
 * in the caller's struct dns_tls and its records in the caller's buffer.
 * Not done here: session resumption (tickets or a cache), TLS 1.3 (not in
 * BearSSL), OCSP, client certificates.
 */
#include <bearssl.h>
#include <string.h>
#include <tibra/dns/srv.h>
#include <tibra/dns/tls.h>

#define CHAIN_MAX   8 /* certificates sent by a server */
#define ANCHORS_MAX 1024 /* CA certificates in a trust file */

struct dns_tls_cred {
    const struct tb_alloc *a;
    size_t size; /* of the whole allocation (this, then mem) */
    br_x509_certificate chain[CHAIN_MAX];
    size_t nchain;
    int ktype; /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
    unsigned issuer; /* key type of the first certificate's signer */
    br_rsa_private_key rsa;
    br_ec_private_key ec;
    uint8_t *mem; /* DER certificates and key components */
    size_t cap, used;
};

struct dns_tls_trust {
    const struct tb_alloc *a;
    size_t size;
    br_x509_trust_anchor ta[ANCHORS_MAX];
    size_t n;
    uint8_t *mem;
    size_t cap, used;
};

/* What struct dns_tls holds. */
struct impl {
    union {
        br_ssl_server_context s;
        br_ssl_client_context c;
    } u;
    br_x509_minimal_context x; /* a client's certificate checks */
    bool closing; /* close_notify asked for */
};

_Static_assert(sizeof(struct impl) <= DNS_TLS_SESSION_SIZE, "session size");
_Static_assert(DNS_TLS_IOBUF == BR_SSL_BUFSIZE_BIDI, "record buffer size");

static struct impl *impl(struct dns_tls *t)
{
    return (struct impl *)(void *)t->u;
}

/* The engine, the first member of both a server's and a client's. */
static br_ssl_engine_context *eng(struct dns_tls *t)
{
    return &impl(t)->u.s.eng;
}

/* ---- PEM ------------------------------------------------------------- */

struct sink {
    uint8_t *buf;
    size_t len, cap;
    bool over;
};

static void sink_add(void *ctx, const void *data, size_t len)
{
    struct sink *s = ctx;

    if (len > s->cap - s->len) {
        s->over = true;
        return;
    }
    memcpy(s->buf + s->len, data, len);
    s->len += len;
}

/* (src) into (dst, cap) with a NUL, cut if longer. */
static void copy_name(char *dst, size_t cap, const char *src)
{
    size_t i = 0;

    for (; src[i] != '\0' && i + 1 < cap; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

typedef int (*pem_fn)(void *ctx, const char *name, uint8_t *der, size_t len);

/*
 * Calls (fn) for each object of PEM text (pem, len) with its name and
 * DER bytes, decoded into (scratch) (len bytes: DER is shorter than its
 * base64).  Returns the count of objects, or TB_EMALF, or what (fn)
 * returned when negative.
 */
static int pem_each(const char *pem, size_t len, uint8_t *scratch, pem_fn fn,
                    void *ctx)
{
    br_pem_decoder_context pc;
    struct sink s = {.buf = scratch, .cap = len};
    char name[128];
    bool inobj = false;
    int n = 0, rc;

    br_pem_decoder_init(&pc);
    /* A final line break is pushed after the text: BearSSL needs one
     * after the END line, which a file may lack. */
    for (size_t off = 0; off <= len;) {
        const char *p = off < len ? pem + off : "\n";
        size_t left = off < len ? len - off : 1;
        size_t k = br_pem_decoder_push(&pc, p, left);
        off += off < len ? k : 1;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            copy_name(name, sizeof(name), br_pem_decoder_name(&pc));
            s.len = 0;
            s.over = false;
            br_pem_decoder_setdest(&pc, sink_add, &s);
            inobj = true;
            break;
        case BR_PEM_END_OBJ:
            if (!inobj || s.over)
                return TB_EMALF;
            inobj = false;
            if ((rc = fn(ctx, name, s.buf, s.len)) < 0)
                return rc;
            n++;
            break;
        case BR_PEM_ERROR:
            return TB_EMALF;
        default:
            break;
        }
        if (off == len + 1)
            break;
    }
    return inobj ? TB_EMALF : n;
}

/* Bump allocation in a loader's block; NULL past its end. */
static uint8_t *take(uint8_t *mem, size_t cap, size_t *used, const void *src,
                     size_t len)
{
    if (len > cap - *used)
        return NULL;
    uint8_t *p = mem + *used;
    if (src != NULL)
        memcpy(p, src, len);
    *used += len;
    return p;
}

/* ---- server credentials ---------------------------------------------- */

struct cred_load {
    struct dns_tls_cred *c;
    const char *why;
    int keys;
    br_skey_decoder_context sk;
};

static int add_cert(void *ctx, const char *name, uint8_t *der, size_t len)
{
    struct cred_load *l = ctx;
    struct dns_tls_cred *c = l->c;

    if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE"))
        return 0; /* other objects are skipped */
    if (c->nchain == CHAIN_MAX) {
        l->why = "more than 8 certificates in the chain";
        return TB_EMALF;
    }
    uint8_t *p = take(c->mem, c->cap, &c->used, der, len);
    if (p == NULL)
        return TB_ENOMEM;
    c->chain[c->nchain].data = p;
    c->chain[c->nchain].data_len = len;
    c->nchain++;
    return 0;
}

static int add_key(void *ctx, const char *name, uint8_t *der, size_t len)
{
    struct cred_load *l = ctx;

    if (strcmp(name, "PRIVATE KEY") != 0 &&
        strcmp(name, "RSA PRIVATE KEY") != 0 &&
        strcmp(name, "EC PRIVATE KEY") != 0)
        return 0; /* "EC PARAMETERS" and the like */
    if (l->keys++ != 0) {
        l->why = "more than one private key";
        return TB_EMALF;
    }
    br_skey_decoder_init(&l->sk);
    br_skey_decoder_push(&l->sk, der, len);
    memset(der, 0, len);
    if (br_skey_decoder_last_error(&l->sk) != 0) {
        l->why = br_skey_decoder_last_error(&l->sk) == BR_ERR_X509_UNSUPPORTED
                     ? "unsupported private key type"
                     : "malformed private key";
        return br_skey_decoder_last_error(&l->sk) == BR_ERR_X509_UNSUPPORTED
                   ? TB_ENOTSUP
                   : TB_EMALF;
    }
    return 0;
}

/* Copies the decoded private key into (c) and checks that it is the key
 * of the first certificate (public key recomputed and compared). */
static int keep_key(struct cred_load *l, const br_x509_pkey *pub)
{
    struct dns_tls_cred *c = l->c;
    uint8_t
        tmp[BR_EC_KBUF_PUB_MAX_SIZE > 1024 ? BR_EC_KBUF_PUB_MAX_SIZE : 1024];

    c->ktype = br_skey_decoder_key_type(&l->sk);
    if (c->ktype == BR_KEYTYPE_RSA) {
        const br_rsa_private_key *k = br_skey_decoder_get_rsa(&l->sk);
        c->rsa = *k;
#define KEEP(f, fl)                                                            \
    if ((c->rsa.f = take(c->mem, c->cap, &c->used, k->f, k->fl)) == NULL)      \
        return TB_ENOMEM;
        KEEP(p, plen)
        KEEP(q, qlen)
        KEEP(dp, dplen)
        KEEP(dq, dqlen)
        KEEP(iq, iqlen)
#undef KEEP
        br_rsa_compute_modulus mod = br_rsa_compute_modulus_get_default();
        size_t nlen = mod(NULL, &c->rsa);
        if (pub->key_type != BR_KEYTYPE_RSA || nlen == 0 ||
            nlen > sizeof(tmp) || mod(tmp, &c->rsa) != nlen ||
            pub->key.rsa.nlen != nlen || memcmp(pub->key.rsa.n, tmp, nlen))
            goto mismatch;
        return 0;
    }
    const br_ec_private_key *k = br_skey_decoder_get_ec(&l->sk);
    br_ec_public_key pk;
    c->ec = *k;
    if ((c->ec.x = take(c->mem, c->cap, &c->used, k->x, k->xlen)) == NULL)
        return TB_ENOMEM;
    if (pub->key_type != BR_KEYTYPE_EC || pub->key.ec.curve != k->curve ||
        br_ec_compute_pub(br_ec_get_default(), &pk, tmp, k) == 0 ||
        pk.qlen != pub->key.ec.qlen || memcmp(pk.q, pub->key.ec.q, pk.qlen))
        goto mismatch;
    return 0;
mismatch:
    l->why = "the private key is not the certificate's";
    return TB_EINVAL;
}

int dns_tls_cred_load(struct dns_tls_cred **out, const char *cert,
                      size_t certlen, const char *key, size_t keylen,
                      const struct tb_alloc *a, const char **why)
{
    struct cred_load l = {.why = "malformed PEM"};
    br_x509_decoder_context xd;
    size_t cap = certlen + keylen + 64;
    size_t size = sizeof(struct dns_tls_cred) + cap + certlen + keylen;
    struct dns_tls_cred *c;
    uint8_t *scratch;
    int rc;

    *out = NULL;
    if (certlen > (1u << 20) || keylen > (1u << 20)) {
        *why = "file larger than 1 MiB";
        return TB_EINVAL;
    }
    if ((c = tb_alloc(a, size)) == NULL) {
        *why = "out of memory";
        return TB_ENOMEM;
    }
    memset(c, 0, sizeof(*c));
    c->a = a;
    c->size = size;
    c->mem = (uint8_t *)(c + 1);
    c->cap = cap;
    scratch = c->mem + cap; /* certlen + keylen bytes */
    l.c = c;
    rc = pem_each(cert, certlen, scratch, add_cert, &l);
    if (rc >= 0 && c->nchain == 0) {
        l.why = "no CERTIFICATE in the certificate file";
        rc = TB_EMALF;
    }
    if (rc >= 0) {
        l.why = "malformed PEM in the key file";
        rc = pem_each(key, keylen, scratch, add_key, &l);
    }
    if (rc >= 0 && l.keys == 0) {
        l.why = "no PRIVATE KEY in the key file";
        rc = TB_EMALF;
    }
    if (rc >= 0) {
        br_x509_decoder_init(&xd, NULL, NULL);
        br_x509_decoder_push(&xd, c->chain[0].data, c->chain[0].data_len);
        const br_x509_pkey *pub = br_x509_decoder_get_pkey(&xd);
        if (pub == NULL) {
            l.why = "the first certificate cannot be decoded";
            rc = TB_EMALF;
        } else {
            c->issuer = (unsigned)br_x509_decoder_get_signer_key_type(&xd);
            rc = keep_key(&l, pub);
        }
    }
    memset(&l.sk, 0, sizeof(l.sk));
    memset(scratch, 0, certlen + keylen);
    if (rc < 0) {
        *why = rc == TB_ENOMEM ? "out of memory" : l.why;
        dns_tls_cred_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

const char *dns_tls_cred_type(const struct dns_tls_cred *c)
{
    return c->ktype == BR_KEYTYPE_RSA ? "RSA" : "ECDSA";
}

void dns_tls_cred_free(struct dns_tls_cred *c)
{
    if (c == NULL)
        return;
    const struct tb_alloc *a = c->a;
    size_t size = c->size;
    memset(c, 0, size); /* the private key with the rest */
    tb_free(a, c, size);
}

/* ---- trust anchors --------------------------------------------------- */

struct trust_load {
    struct dns_tls_trust *t;
    const char *why;
    struct sink dn;
};

static int add_anchor(void *ctx, const char *name, uint8_t *der, size_t len)
{
    struct trust_load *l = ctx;
    struct dns_tls_trust *t = l->t;
    br_x509_decoder_context xd;
    br_x509_trust_anchor *ta = &t->ta[t->n];

    if (strcmp(name, "CERTIFICATE") != 0 && strcmp(name, "X509 CERTIFICATE"))
        return 0;
    if (t->n == ANCHORS_MAX) {
        l->why = "more than 1024 CA certificates";
        return TB_EMALF;
    }
    /* The subject DN goes straight into the block (never longer than
     * the certificate). */
    l->dn.buf = t->mem + t->used;
    l->dn.len = 0;
    l->dn.cap = t->cap - t->used;
    l->dn.over = false;
    br_x509_decoder_init(&xd, sink_add, &l->dn);
    br_x509_decoder_push(&xd, der, len);
    const br_x509_pkey *pk = br_x509_decoder_get_pkey(&xd);
    if (pk == NULL || l->dn.over)
        return 0; /* one BearSSL cannot read (a system bundle may hold
                     such): skipped, the others are used */
    memset(ta, 0, sizeof(*ta));
    ta->dn.data = take(t->mem, t->cap, &t->used, NULL, l->dn.len);
    ta->dn.len = l->dn.len;
    ta->flags = BR_X509_TA_CA;
    ta->pkey = *pk;
    if (pk->key_type == BR_KEYTYPE_RSA) {
        ta->pkey.key.rsa.n =
            take(t->mem, t->cap, &t->used, pk->key.rsa.n, pk->key.rsa.nlen);
        ta->pkey.key.rsa.e =
            take(t->mem, t->cap, &t->used, pk->key.rsa.e, pk->key.rsa.elen);
        if (ta->pkey.key.rsa.n == NULL || ta->pkey.key.rsa.e == NULL)
            return TB_ENOMEM;
    } else {
        ta->pkey.key.ec.q =
            take(t->mem, t->cap, &t->used, pk->key.ec.q, pk->key.ec.qlen);
        if (ta->pkey.key.ec.q == NULL)
            return TB_ENOMEM;
    }
    t->n++;
    return 0;
}

int dns_tls_trust_load(struct dns_tls_trust **out, const char *pem, size_t len,
                       const struct tb_alloc *a, const char **why)
{
    struct trust_load l = {.why = "malformed PEM"};
    size_t cap = 2 * len + 64;
    size_t size = sizeof(struct dns_tls_trust) + cap + len;
    struct dns_tls_trust *t;
    int rc;

    *out = NULL;
    if (len > (1u << 20)) {
        *why = "file larger than 1 MiB";
        return TB_EINVAL;
    }
    if ((t = tb_alloc(a, size)) == NULL) {
        *why = "out of memory";
        return TB_ENOMEM;
    }
    memset(t, 0, sizeof(*t));
    t->a = a;
    t->size = size;
    t->mem = (uint8_t *)(t + 1);
    t->cap = cap;
    l.t = t;
    rc = pem_each(pem, len, t->mem + cap, add_anchor, &l);
    if (rc >= 0 && t->n == 0) {
        l.why = "no CERTIFICATE BearSSL can decode";
        rc = TB_EMALF;
    }
    if (rc < 0) {
        *why = rc == TB_ENOMEM ? "out of memory" : l.why;
        dns_tls_trust_free(t);
        return rc;
    }
    *out = t;
    return 0;
}

void dns_tls_trust_free(struct dns_tls_trust *t)
{
    if (t != NULL)
        tb_free(t->a, t, t->size);
}

/* ---- sessions -------------------------------------------------------- */

/* TLS 1.2, ECDHE, AEAD: what RFC 7525 recommends and BearSSL has. */
static const uint16_t suites[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};

/* ALPN (RFC 7301): "dot", RFC 9103's for DNS over TLS.  A client that
 * offers other protocols only is still served (BearSSL's default). */
static const char *alpn[] = {"dot"};

static void common(struct dns_tls *t, uint8_t *iobuf, const uint8_t *seed)
{
    br_ssl_engine_context *e = eng(t);

    br_ssl_engine_set_versions(e, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(e, suites, TB_ARRAY_SIZE(suites));
    br_ssl_engine_set_protocol_names(e, alpn, TB_ARRAY_SIZE(alpn));
    br_ssl_engine_set_buffer(e, iobuf, DNS_TLS_IOBUF, 1);
    br_ssl_engine_inject_entropy(e, seed, DNS_TLS_SEED_LEN);
}

void dns_tls_server_open(struct dns_tls *t, const struct dns_tls_cred *c,
                         uint8_t *iobuf, const uint8_t *seed)
{
    struct impl *m = impl(t);

    memset(m, 0, sizeof(*m));
    if (c->ktype == BR_KEYTYPE_RSA)
        br_ssl_server_init_full_rsa(&m->u.s, c->chain, c->nchain, &c->rsa);
    else
        br_ssl_server_init_full_ec(&m->u.s, c->chain, c->nchain, c->issuer,
                                   &c->ec);
    common(t, iobuf, seed);
    br_ssl_server_reset(&m->u.s);
}

int dns_tls_client_open(struct dns_tls *t, const struct dns_tls_trust *tr,
                        const char *name, int64_t unix_s, uint8_t *iobuf,
                        const uint8_t *seed)
{
    struct impl *m = impl(t);

    if (strlen(name) > DNS_TLS_NAME_MAX || tr == NULL)
        return TB_EINVAL;
    memset(m, 0, sizeof(*m));
    br_ssl_client_init_full(&m->u.c, &m->x, tr->ta, tr->n);
    /* BearSSL counts days from January 1st, year 0 (719528 to 1970). */
    if (unix_s < 0)
        unix_s = 0;
    br_x509_minimal_set_time(&m->x, (uint32_t)(unix_s / 86400 + 719528),
                             (uint32_t)(unix_s % 86400));
    common(t, iobuf, seed);
    return br_ssl_client_reset(&m->u.c, name, 0) ? 0 : TB_EINVAL;
}

size_t dns_tls_rspace(struct dns_tls *t, uint8_t **p)
{
    size_t n = 0;

    if (!(br_ssl_engine_current_state(eng(t)) & BR_SSL_RECVREC))
        return 0;
    *p = br_ssl_engine_recvrec_buf(eng(t), &n);
    return *p != NULL ? n : 0;
}

void dns_tls_received(struct dns_tls *t, size_t n)
{
    br_ssl_engine_recvrec_ack(eng(t), n);
}

size_t dns_tls_output(struct dns_tls *t, const uint8_t **p)
{
    size_t n = 0;

    if (!(br_ssl_engine_current_state(eng(t)) & BR_SSL_SENDREC))
        return 0;
    *p = br_ssl_engine_sendrec_buf(eng(t), &n);
    return *p != NULL ? n : 0;
}

void dns_tls_sent(struct dns_tls *t, size_t n)
{
    br_ssl_engine_sendrec_ack(eng(t), n);
}

size_t dns_tls_app_input(struct dns_tls *t, const uint8_t **p)
{
    size_t n = 0;

    if (!(br_ssl_engine_current_state(eng(t)) & BR_SSL_RECVAPP))
        return 0;
    *p = br_ssl_engine_recvapp_buf(eng(t), &n);
    return *p != NULL ? n : 0;
}

void dns_tls_app_consumed(struct dns_tls *t, size_t n)
{
    br_ssl_engine_recvapp_ack(eng(t), n);
}

size_t dns_tls_app_space(struct dns_tls *t, uint8_t **p)
{
    size_t n = 0;

    if (impl(t)->closing ||
        !(br_ssl_engine_current_state(eng(t)) & BR_SSL_SENDAPP))
        return 0;
    *p = br_ssl_engine_sendapp_buf(eng(t), &n);
    return *p != NULL ? n : 0;
}

void dns_tls_app_written(struct dns_tls *t, size_t n)
{
    br_ssl_engine_sendapp_ack(eng(t), n);
}

void dns_tls_app_flush(struct dns_tls *t)
{
    br_ssl_engine_flush(eng(t), 0);
}

void dns_tls_close(struct dns_tls *t)
{
    struct impl *m = impl(t);

    if (m->closing)
        return;
    m->closing = true;
    br_ssl_engine_flush(eng(t), 0);
    br_ssl_engine_close(eng(t));
}

bool dns_tls_ready(struct dns_tls *t)
{
    unsigned st = br_ssl_engine_current_state(eng(t));
    return st != BR_SSL_CLOSED && (st & BR_SSL_SENDAPP) != 0;
}

bool dns_tls_closed(struct dns_tls *t)
{
    return br_ssl_engine_current_state(eng(t)) == BR_SSL_CLOSED;
}

int dns_tls_error(struct dns_tls *t)
{
    return br_ssl_engine_last_error(eng(t));
}

/* ---- the DNS session behind it --------------------------------------- */

void dns_tls_pump_tcp(struct dns_tls *t, struct dns_tcp *tcp, uint64_t now)
{
    /* Each turn moves bytes out of a bounded buffer (answers produced,
     * records decrypted): it ends when neither side can move. */
    for (;;) {
        const uint8_t *src;
        uint8_t *dst;
        size_t n, room;
        bool moved = false;

        if ((n = dns_tcp_output(tcp, &src)) > 0 &&
            (room = dns_tls_app_space(t, &dst)) > 0) {
            n = TB_MIN(n, room);
            memcpy(dst, src, n);
            dns_tls_app_written(t, n);
            dns_tcp_sent(tcp, n, now);
            moved = true;
        }
        if ((n = dns_tls_app_input(t, &src)) > 0 &&
            (room = dns_tcp_rspace(tcp, &dst)) > 0) {
            n = TB_MIN(n, room);
            memcpy(dst, src, n);
            dns_tls_app_consumed(t, n);
            dns_tcp_received(tcp, n, now);
            moved = true;
        }
        if (!moved)
            break;
    }
    if (!dns_tls_closed(t))
        dns_tls_app_flush(t);
    if (dns_tcp_done(tcp) && !dns_tls_closed(t))
        dns_tls_close(t);
}

bool dns_tls_tcp_done(struct dns_tls *t, const struct dns_tcp *tcp)
{
    const uint8_t *p;

    return dns_tls_closed(t) ||
           (dns_tcp_done(tcp) && dns_tls_output(t, &p) == 0);
}
