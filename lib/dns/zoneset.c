/*
 * zoneset.c -- an immutable set of compiled zones and the server options
 * the answer path needs: dns_zoneset_build() validates caller-owned blobs
 * (zero copy) -> struct dns_zoneset -> dns_auth_answer() (auth.c).
 *
 * Zones are kept in order of decreasing origin label count, so the first
 * zone whose origin is a suffix of the query name is the most specific
 * (longest match).  The set never changes after it is built; a new zone
 * set is built beside it to reload.
 */
#include "zoneset.h"

static size_t set_size(size_t n)
{
    return sizeof(struct dns_zoneset) + n * sizeof(struct zdb);
}

static int copy_str(char *dst, uint8_t *len, const char *src, const char *dflt)
{
    size_t n;

    if (src == NULL)
        src = dflt;
    n = strlen(src);
    if (n > 255)
        return TB_EINVAL;
    memcpy(dst, src, n);
    *len = (uint8_t)n;
    return 0;
}

int dns_zoneset_build(struct dns_zoneset **zsp, const void *const *blobs,
                      const size_t *lens, size_t n,
                      const struct dns_auth_opts *opts,
                      const struct tb_alloc *a)
{
    struct dns_zoneset *zs;
    int err = 0;

    *zsp = NULL;
    if (n > 65535)
        return TB_EINVAL;
    zs = tb_alloc(a, set_size(n));
    if (zs == NULL)
        return TB_ENOMEM;
    memset(zs, 0, set_size(n));
    zs->n = n;
    zs->chaos = opts != NULL && opts->chaos;
    zs->udp_max = opts != NULL && opts->udp_max != 0 ? opts->udp_max
                                                     : DNS_EDNS_DEFAULT_UDP;
    if (zs->udp_max < DNS_UDP_MINLEN)
        zs->udp_max = DNS_UDP_MINLEN;
    zs->opt[2] = DNS_TYPE_OPT;
    tb_put16(zs->opt + 3, zs->udp_max);
    if ((err = copy_str(zs->identity, &zs->identity_len,
                        opts ? opts->identity : NULL, "tibra")) != 0 ||
        (err = copy_str(zs->version, &zs->version_len,
                        opts ? opts->version : NULL, "")) != 0)
        goto fail;
    if (opts != NULL && opts->nsid != NULL && opts->nsid_len != 0) {
        if (opts->nsid_len > sizeof(zs->nsid)) {
            err = TB_EINVAL;
            goto fail;
        }
        memcpy(zs->nsid, opts->nsid, opts->nsid_len);
        zs->nsid_len = (uint8_t)opts->nsid_len;
    }
    for (size_t i = 0; i < n; i++) {
        struct zdb z;
        size_t j;
        if ((err = zdb_open(&z, blobs[i], lens[i])) != 0)
            goto fail;
        /* Insertion by decreasing label count: longest match first. */
        for (j = i; j > 0 && zs->z[j - 1].olabels < z.olabels; j--)
            zs->z[j] = zs->z[j - 1];
        zs->z[j] = z;
    }
    for (size_t i = 0; i + 1 < n; i++)
        for (size_t j = i + 1; j < n && zs->z[j].olabels == zs->z[i].olabels;
             j++)
            if (zs->z[i].olen == zs->z[j].olen &&
                memcmp(zs->z[i].origin, zs->z[j].origin, zs->z[i].olen) == 0) {
                err = TB_EEXIST;
                goto fail;
            }
    *zsp = zs;
    return 0;
fail:
    tb_free(a, zs, set_size(n));
    return err;
}

void dns_zoneset_free(struct dns_zoneset *zs, const struct tb_alloc *a)
{
    if (zs != NULL)
        tb_free(a, zs, set_size(zs->n));
}

bool dns_zoneset_covers(const struct dns_zoneset *zs, const uint8_t *name)
{
    unsigned nl;

    if (zs == NULL || zs->n == 0)
        return false;
    nl = dns_name_labels(name);
    for (size_t i = 0; i < zs->n; i++)
        if (zs->z[i].olabels <= nl &&
            dns_name_equal(dns_name_skip(name, nl - zs->z[i].olabels),
                           zs->z[i].origin))
            return true;
    return false;
}
