/*
 * keys.c -- tibra-dnsd's TSIG keys (RFC 8945): every `key:` of the
 * service file with its secret read now from its secret-file
 * (svc_key_load(), lib/hosted/svc_key.c), as one key set the workers'
 * service cores use (srv.keys).  Loaded once at start-up (and by
 * --check); SIGHUP re-reads zones, not keys.
 *
 * Built without BearSSL for the target architecture (a cross build whose
 * Debian has no libbearssl-dev for it: mk/tsig.mk), a service with keys is
 * refused with its key: line instead.
 */
#include <stdlib.h>
#include <string.h>
#include <tibra/dns/tsig.h>
#include <tibra/svc.h>

#include "dnsd.h"

struct dnsd_keys {
    struct dns_tsig_keyring kr;
    size_t n;
    struct dns_tsig_key keys[];
};

#if defined(TB_HAVE_TSIG)
int dnsd_keys_load(const struct svc_conf *c, struct dnsd_keys **out)
{
    struct dnsd_keys *k;
    struct dns_diag diag;

    *out = NULL;
    if (c->nkeys == 0)
        return 0;
    k = calloc(1, sizeof(*k) + c->nkeys * sizeof(k->keys[0]));
    if (k == NULL)
        return TB_ENOMEM;
    dnsd_diag_init(&diag);
    for (size_t i = 0; i < c->nkeys; i++) {
        int rc = svc_key_load(c, &c->keys[i], &k->keys[i], &diag);
        if (rc != 0) {
            dnsd_log("%s:%u: key %s: no secret (see above)", c->path,
                     c->keys[i].line, c->keys[i].name);
            k->n = i;
            dnsd_keys_free(k);
            return rc;
        }
        k->n = i + 1;
    }
    dns_tsig_keyring_init(&k->kr, k->keys, k->n);
    dnsd_log("TSIG: %zu key%s", k->n, k->n == 1 ? "" : "s");
    *out = k;
    return 0;
}
#else
int dnsd_keys_load(const struct svc_conf *c, struct dnsd_keys **out)
{
    *out = NULL;
    if (c->nkeys == 0)
        return 0;
    dnsd_log("%s:%u: key %s: this tibra-dnsd was built without TSIG "
             "(no BearSSL for its architecture)",
             c->path, c->keys[0].line, c->keys[0].name);
    return TB_ENOTSUP;
}
#endif

bool dnsd_keys_same(const struct dnsd_keys *a, const struct dnsd_keys *b)
{
    uint64_t d = 0;

    if (a == NULL || b == NULL)
        return a == b;
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        const struct dns_tsig_key *x = &a->keys[i], *y = &b->keys[i];
        if (x->name_len != y->name_len || x->alg != y->alg ||
            x->min_mac != y->min_mac ||
            memcmp(x->name, y->name, x->name_len) != 0)
            return false;
        /* The secrets' HMAC states (deterministic from the secret). */
        for (size_t k = 0; k < sizeof(x->priv) / sizeof(x->priv[0]); k++)
            d |= x->priv[k] ^ y->priv[k];
    }
    return d == 0;
}

const struct dns_tsig_keyring *dnsd_keys_ring(const struct dnsd_keys *k)
{
    return k != NULL ? &k->kr : NULL;
}

void dnsd_keys_free(struct dnsd_keys *k)
{
    if (k == NULL)
        return;
#if defined(TB_HAVE_TSIG)
    for (size_t i = 0; i < k->n; i++)
        dns_tsig_key_wipe(&k->keys[i]);
#endif
    free(k);
}
