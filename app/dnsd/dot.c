/*
 * dot.c -- DNS over TLS in tibra-dnsd (dot.h): the credentials read from
 * the service's tls-certificate and tls-key at start-up and again on
 * SIGHUP (PEM text read, parsed by lib/dns/tls.c, the key's text wiped),
 * published to the workers by one atomic pointer (a session keeps
 * pointers into the credentials it started with, so replaced ones are
 * never freed), and each accepted connection's session seeded with
 * getrandom().  Built without BearSSL
 * (TB_HAVE_TLS unset: a cross build without libbearssl-dev), tls-listen
 * is refused here.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <tibra/zonefile.h>
#include "dnsd.h"
#include "dot.h"

#if defined(TB_HAVE_TLS)
#include <stdatomic.h>

#define OLD_MAX 64 /* credentials replaced by SIGHUP, kept till exit */

static _Atomic(struct dns_tls_cred *) cur;
static struct dns_tls_cred *old[OLD_MAX];
static size_t nold;

/* Reads and parses (c)'s files into (*out). */
static int load(const struct svc_conf *c, struct dns_tls_cred **out)
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

int dnsd_dot_cred(const struct svc_conf *c, struct dns_tls_cred **out)
{
    if ((*out = atomic_load(&cur)) != NULL)
        return 0;
    if (load(c, out) != 0)
        return -1;
    atomic_store(&cur, *out);
    return 0;
}

int dnsd_dot_reload(const struct svc_conf *c)
{
    struct dns_tls_cred *n;

    if (atomic_load(&cur) == NULL || c->tls_certificate == NULL ||
        c->tls_key == NULL)
        return 0;
    if (nold == OLD_MAX) {
        dnsd_log("SIGHUP: tls: certificate replaced %d times already; "
                 "restart to replace it again",
                 OLD_MAX);
        return -1;
    }
    if (load(c, &n) != 0) {
        dnsd_log("SIGHUP: tls: the certificate and key in use are kept");
        return -1;
    }
    old[nold++] = atomic_exchange(&cur, n);
    dnsd_log("SIGHUP: tls: %s certificate and key re-read from %s",
             dns_tls_cred_type(n), c->tls_certificate);
    return 0;
}

void dnsd_dot_cred_free(struct dns_tls_cred *cred)
{
    (void)cred; /* shared, and sessions may hold it: kept till exit */
}

bool dnsd_dot_accept(struct dns_tls *t, uint8_t *iobuf)
{
    uint8_t seed[DNS_TLS_SEED_LEN];
    const struct dns_tls_cred *cred = atomic_load(&cur);

    if (cred == NULL ||
        getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        return false;
    dns_tls_server_open(t, cred, iobuf, seed);
    memset(seed, 0, sizeof(seed));
    return true;
}
int dnsd_dot_trust(const char *path, struct dns_tls_trust **out)
{
    char *pem = NULL;
    size_t len = 0;
    const char *why = "";
    int rc;

    *out = NULL;
    if ((rc = dns_zonefile_read(path, &pem, &len)) != 0) {
        dnsd_log("resolver: tls-ca %s: %s", path, tb_strerror(rc));
        return -1;
    }
    rc = dns_tls_trust_load(out, pem, len, &tb_heap, &why);
    free(pem);
    if (rc != 0) {
        dnsd_log("resolver: tls-ca %s: %s", path, why);
        return -1;
    }
    return 0;
}

void dnsd_dot_trust_free(struct dns_tls_trust *t)
{
    dns_tls_trust_free(t);
}

bool dnsd_dot_connect(struct dns_tls *t, const struct dns_tls_trust *trust,
                      const char *name, uint8_t *iobuf)
{
    uint8_t seed[DNS_TLS_SEED_LEN];
    bool ok;

    if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        return false;
    ok = dns_tls_client_open(t, trust, name, (int64_t)time(NULL), iobuf,
                             seed) == 0;
    memset(seed, 0, sizeof(seed));
    return ok;
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

int dnsd_dot_reload(const struct svc_conf *c)
{
    (void)c;
    return 0;
}

bool dnsd_dot_accept(struct dns_tls *t, uint8_t *iobuf)
{
    (void)t;
    (void)iobuf;
    return false;
}

int dnsd_dot_trust(const char *path, struct dns_tls_trust **out)
{
    *out = NULL;
    dnsd_log("resolver: tls-ca %s: this tibra-dnsd was built without "
             "BearSSL",
             path);
    return -1;
}

void dnsd_dot_trust_free(struct dns_tls_trust *t)
{
    (void)t;
}

bool dnsd_dot_connect(struct dns_tls *t, const struct dns_tls_trust *trust,
                      const char *name, uint8_t *iobuf)
{
    (void)t;
    (void)trust;
    (void)name;
    (void)iobuf;
    return false;
}
#endif
