/*
 * dot.c -- DNS over TLS in tibra-dnsd (dot.h): the credentials read from
 * the service's tls-certificate and tls-key at start-up (PEM text read,
 * parsed by lib/dns/tls.c, the key's text wiped), and each accepted
 * connection's session seeded with getrandom().  Built without BearSSL
 * (TB_HAVE_TLS unset: a cross build without libbearssl-dev), tls-listen
 * is refused here.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <tibra/zonefile.h>
#include "dnsd.h"
#include "dot.h"

#if defined(TB_HAVE_TLS)
int dnsd_dot_cred(const struct svc_conf *c, struct dns_tls_cred **out)
{
    char *cert = NULL, *key = NULL;
    size_t certlen = 0, keylen = 0;
    const char *why = "";
    int rc;

    *out = NULL;
    if ((rc = dns_zonefile_read(c->tls_certificate, &cert, &certlen)) != 0 ||
        (rc = dns_zonefile_read(c->tls_key, &key, &keylen)) != 0) {
        dnsd_log("%s:%u: tls: %s: %s", c->path, c->tls_line,
                 cert == NULL ? c->tls_certificate : c->tls_key,
                 tb_strerror(rc));
        free(cert);
        return -1;
    }
    rc = dns_tls_cred_load(out, cert, certlen, key, keylen, &tb_heap, &why);
    memset(key, 0, keylen);
    free(key);
    free(cert);
    if (rc != 0) {
        dnsd_log("%s:%u: tls: %s, %s: %s", c->path, c->tls_line,
                 c->tls_certificate, c->tls_key, why);
        return -1;
    }
    return 0;
}

const char *dnsd_dot_cred_type(const struct dns_tls_cred *cred)
{
    return dns_tls_cred_type(cred);
}

void dnsd_dot_cred_free(struct dns_tls_cred *cred)
{
    dns_tls_cred_free(cred);
}

bool dnsd_dot_accept(struct dns_tls *t, const struct dns_tls_cred *cred,
                     uint8_t *iobuf)
{
    uint8_t seed[DNS_TLS_SEED_LEN];

    if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        return false;
    dns_tls_server_open(t, cred, iobuf, seed);
    memset(seed, 0, sizeof(seed));
    return true;
}
#else
int dnsd_dot_cred(const struct svc_conf *c, struct dns_tls_cred **out)
{
    *out = NULL;
    dnsd_log("%s: tls-listen: this tibra-dnsd was built without BearSSL",
             c->path);
    return -1;
}

const char *dnsd_dot_cred_type(const struct dns_tls_cred *cred)
{
    (void)cred;
    return "";
}

void dnsd_dot_cred_free(struct dns_tls_cred *cred)
{
    (void)cred;
}

bool dnsd_dot_accept(struct dns_tls *t, const struct dns_tls_cred *cred,
                     uint8_t *iobuf)
{
    (void)t;
    (void)cred;
    (void)iobuf;
    return false;
}
#endif
