/*
 * sign_keydir.c -- a zone's DNSSEC keys from a directory (dns/signdir.h):
 * every K<zone>+<alg>+<tag>.key in KEYDIR, in name order, with its
 * .private beside it, read and checked by dns_sign_key_read().  Shared by
 * tibra build (tool/sign.c) and tibra-dnsd's online signer
 * (app/dnsd/signer.c).  The .private text is wiped after it is read and
 * never passed on, logged or hashed; only the .key files are shown to
 * the caller's (seen) callback (the build record hashes them).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tibra/dns/signdir.h>
#include <tibra/zonefile.h>

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .key files of (zone) in (dir), sorted, (*n) of them; NULL with
 * (*n) 0 when none or out of memory. */
static char **key_files(const char *dir, const char *zone, size_t *n)
{
    size_t zl = strlen(zone), cap = 0;
    char **v = NULL;
    DIR *dp = opendir(dir);
    struct dirent *e;

    *n = 0;
    if (dp == NULL)
        return NULL;
    while ((e = readdir(dp)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < zl + 5 || e->d_name[0] != 'K' ||
            strncmp(e->d_name + 1, zone, zl) != 0 || e->d_name[zl + 1] != '+' ||
            strcmp(e->d_name + l - 4, ".key") != 0)
            continue;
        if (*n == cap) {
            char **nv = realloc(v, (cap ? cap * 2 : 8) * sizeof(*v));
            if (nv == NULL)
                break;
            v = nv;
            cap = cap ? cap * 2 : 8;
        }
        if ((v[*n] = strdup(e->d_name)) == NULL)
            break;
        (*n)++;
    }
    closedir(dp);
    if (*n > 0)
        qsort(v, *n, sizeof(*v), name_cmp);
    return v;
}

int dns_sign_keydir_read(const char *dir, const uint8_t *origin,
                         struct dns_sign_key *keys, size_t cap, size_t *nkeys,
                         dns_sign_keydir_seen_fn seen, void *ctx,
                         struct dns_diag *d, const char *cfile, unsigned cline)
{
    char zone[DNS_NAME_TEXT_MAX];
    size_t nf, nk = 0;
    char **f;
    int rc = 0;

    *nkeys = 0;
    dns_name_to_text(origin, zone, sizeof(zone));
    f = key_files(dir, zone, &nf);
    if (nf == 0) {
        dns_diag(d, DNS_DIAG_ERROR, cfile, cline,
                 "zone %s: no key files K%s+*.key in %s (tibra key generate "
                 "--algorithm 13 --ksk %s %s)",
                 zone, zone, dir, zone, dir);
        return TB_ENOENT;
    }
    if (nf > cap) {
        dns_diag(d, DNS_DIAG_ERROR, cfile, cline,
                 "zone %s: %zu keys in %s (at most %zu)", zone, nf, dir, cap);
        rc = TB_ERANGE;
    }
    for (size_t i = 0; i < nf; i++) {
        size_t kl = strlen(dir) + strlen(f[i]) + 16, pl = 0, vl = 0;
        char *kp = malloc(kl), *pp = malloc(kl), *pub = NULL, *priv = NULL;
        int r = TB_ENOMEM;
        if (rc == 0 && kp != NULL && pp != NULL) {
            snprintf(kp, kl, "%s/%s", dir, f[i]);
            snprintf(pp, kl, "%.*s.private", (int)(strlen(kp) - 4), kp);
            if ((r = dns_zonefile_read(kp, &pub, &pl)) != 0)
                dns_diag(d, DNS_DIAG_ERROR, kp, 0, "cannot read: %s",
                         tb_strerror(r));
            else if ((r = dns_zonefile_read(pp, &priv, &vl)) != 0)
                dns_diag(d, DNS_DIAG_ERROR, pp, 0, "cannot read: %s",
                         tb_strerror(r));
            else
                r = dns_sign_key_read(&keys[nk], origin, pub, pl, kp, priv, vl,
                                      pp, &tb_heap, d);
            if (pub != NULL && seen != NULL)
                seen(ctx, kp, pub, pl);
            if (r == 0)
                nk++;
        }
        if (rc == 0 && r != 0)
            rc = r;
        if (priv != NULL) {
            volatile char *w = priv;
            for (size_t j = 0; j < vl; j++)
                w[j] = 0;
            free(priv);
        }
        free(pub), free(kp), free(pp), free(f[i]);
    }
    free(f);
    if (rc != 0) {
        for (size_t i = 0; i < nk; i++)
            dns_sign_key_wipe(&keys[i]);
        return rc;
    }
    *nkeys = nk;
    return 0;
}
