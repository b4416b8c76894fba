/*
 * sign.c -- tibra build's DNSSEC signing of a zone with `dnssec KEYDIR`
 * (lib/dns/sign.c signs; this is the file-system and clock edge).
 *
 *   KEYDIR/K<zone>+<alg>+<tag>.key + .private, in name order
 *     --dns_sign_key_read--> keys (the private halves stay in memory)
 *   signing time T: the zone's dnssec-time, else the build's clock
 *     (tibra verify: the recorded one; else $SOURCE_DATE_EPOCH; else now)
 *   inception T - 1h, expiration T + dnssec-validity; refused when that
 *     is within dnssec-margin of now
 *     --dns_sign_zone--> the signed zone, compiled by build.c
 *
 * The build record gets each .key file as an input (its hash: the public
 * key; a changed key is named by tibra verify) and lines with the times,
 * the chain's parameters and every key's tag and public key.  The
 * .private files are read, never recorded, hashed, copied or logged.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tibra/dns/sign.h>
#include <tibra/dns/signdir.h>
#include <tibra/hosted.h>
#include <tibra/svc.h>

#include "tibra.h"

#define SIGN_KEYS_MAX 8

/* Where KEYDIR is: as the service file says, or (verify) the same
 * relative path from the original service file's directory. */
static char *key_dir(const struct sign_ctx *sc, const struct svc_zone *z)
{
    if (sc->keys_base != NULL && sc->plen > 0 &&
        strncmp(z->dnssec_dir, sc->prefix, sc->plen) == 0)
        return xasprintf("%s/%s", sc->keys_base, z->dnssec_dir + sc->plen);
    return xstrdup(z->dnssec_dir);
}

struct seen_ctx {
    const struct sign_ctx *sc;
    struct sbuf *inputs;
};

/* Records a .key file read as an input (its path as the service file
 * names it, relative to the keys' base under tibra verify). */
static void key_seen(void *ctx, const char *kp, const char *pub, size_t pl)
{
    const struct seen_ctx *x = ctx;
    const struct sign_ctx *sc = x->sc;
    const char *rp = kp;
    char hex[SHA256_HEX];

    sha256_hex(pub, pl, hex);
    if (sc->plen > 0 && strncmp(kp, sc->prefix, sc->plen) == 0)
        rp = kp + sc->plen;
    else if (sc->keys_base != NULL &&
             strncmp(kp, sc->keys_base, strlen(sc->keys_base)) == 0 &&
             kp[strlen(sc->keys_base)] == '/')
        rp = kp + strlen(sc->keys_base) + 1;
    sb_printf(x->inputs, "input dnssec-key %s %s\n", hex, rp);
}

/* Reads the keys (lib/hosted/sign_keydir.c); records the .key files.
 * Returns how many, 0 on error (reported). */
static size_t read_keys(const struct sign_ctx *sc, const struct svc_zone *z,
                        struct dns_sign_key *keys, struct sbuf *inputs,
                        struct dns_diag *d)
{
    char *dir = key_dir(sc, z);
    struct seen_ctx x = {sc, inputs};
    size_t nk = 0;

    if (dns_sign_keydir_read(dir, z->origin, keys, SIGN_KEYS_MAX, &nk, key_seen,
                             &x, d, sc->svc, z->dnssec_line) != 0)
        nk = 0;
    free(dir);
    return nk;
}

static const char *utc(uint64_t t, char *buf, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;

    gmtime_r(&tt, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

uint64_t sign_clock(const struct sign_ctx *sc)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    char *end;

    if (sc->clock != 0)
        return sc->clock;
    if (sde != NULL && *sde != '\0') {
        unsigned long long v = strtoull(sde, &end, 10);
        if (*end == '\0' && v > 0 && v < UINT32_MAX)
            return v;
        errx(TOOL_EXIT_USAGE, "SOURCE_DATE_EPOCH='%s' is not UNIX seconds",
             sde);
    }
    return (uint64_t)time(NULL);
}

int sign_zone(const struct sign_ctx *sc, const struct svc_zone *z,
              struct dns_zone_src *src, struct sbuf *inputs, struct sbuf *rec,
              struct dns_diag *d)
{
    struct dns_sign_key *keys = xmalloc(SIGN_KEYS_MAX * sizeof(*keys));
    struct dns_sign_params p;
    char zone[DNS_NAME_TEXT_MAX], b1[40], b2[40];
    uint64_t t = z->dnssec_time ? z->dnssec_time : sign_clock(sc);
    uint64_t now = (uint64_t)time(NULL), exp = t + z->dnssec_validity;
    unsigned e0 = d->errors;
    size_t nk;
    int rc = -1;

    dns_name_to_text(z->origin, zone, sizeof(zone));
    nk = read_keys(sc, z, keys, inputs, d);
    if (nk == 0)
        goto out;
    if (exp > UINT32_MAX) {
        dns_diag(d, DNS_DIAG_ERROR, sc->svc, z->dnssec_line,
                 "zone %s: signatures would expire after 2106", z->name);
        goto out;
    }
    if (!sc->no_margin && exp < now + z->dnssec_margin) {
        dns_diag(d, DNS_DIAG_ERROR, sc->svc, z->dnssec_line,
                 "zone %s: signatures made at %s would expire at %s, within "
                 "dnssec-margin (%u s) of now: set dnssec-time or "
                 "SOURCE_DATE_EPOCH to a recent time",
                 z->name, utc(t, b1, sizeof(b1)), utc(exp, b2, sizeof(b2)),
                 z->dnssec_margin);
        goto out;
    }
    memset(&p, 0, sizeof(p));
    p.keys = keys;
    p.nkeys = nk;
    p.inception = (uint32_t)(t > 3600 ? t - 3600 : 0);
    p.expiration = (uint32_t)exp;
    p.nsec3 = z->dnssec_nsec3;
    p.optout = z->dnssec_optout;
    p.iterations = z->dnssec_iterations;
    p.saltlen = z->dnssec_saltlen;
    memcpy(p.salt, z->dnssec_salt, z->dnssec_saltlen);
    rc = dns_sign_zone(src, &p, d);
    if (rc != 0) {
        if (d->errors == e0)
            dns_diag(d, DNS_DIAG_ERROR, sc->svc, z->dnssec_line,
                     "zone %s: signing failed: %s", z->name, tb_strerror(rc));
        goto out;
    }
    sb_printf(rec,
              "dnssec %s time %llu inception %u expiration %u margin %u %s",
              zone, (unsigned long long)t, p.inception, p.expiration,
              z->dnssec_margin, p.nsec3 ? "nsec3" : "nsec");
    if (p.nsec3) {
        char salt[2 * SVC_DNSSEC_SALT_MAX + 2] = "-";
        for (unsigned i = 0; i < p.saltlen; i++)
            snprintf(salt + 2 * i, 3, "%02x", p.salt[i]);
        sb_printf(rec, " iterations %u salt %s opt-out %d", p.iterations, salt,
                  p.optout);
    }
    sb_puts(rec, "\n");
    for (size_t i = 0; i < nk; i++) {
        char rd[2 * DNS_SIGN_DNSKEY_MAXLEN + 64];
        dns_rdata_to_text(DNS_TYPE_DNSKEY, keys[i].dnskey, keys[i].dnskey_len,
                          rd, sizeof(rd));
        sb_printf(rec, "dnssec-key %s %u %s\n", zone, keys[i].tag, rd);
    }
out:
    for (size_t i = 0; i < SIGN_KEYS_MAX; i++)
        dns_sign_key_wipe(&keys[i]);
    free(keys);
    return rc;
}

int sign_write_zone(const struct dns_zone_src *src, const char *dir)
{
    char zone[DNS_NAME_TEXT_MAX], *line = xmalloc(DNS_RDATA_TEXT_MAX + 1024);
    struct sbuf b = {0};
    int rc = 0;

    dns_name_to_text(src->origin, zone, sizeof(zone));
    for (size_t i = 0; i < src->nrr && rc >= 0; i++) {
        rc = dns_zone_rr_to_text(src, &src->rr[i], line,
                                 DNS_RDATA_TEXT_MAX + 1024);
        if (rc >= 0) {
            sb_add(&b, line, (size_t)rc);
            sb_puts(&b, "\n");
        }
    }
    free(line);
    char *path = xasprintf("%s/%szone", dir, zone);
    if (rc >= 0)
        rc = write_file(path, b.s ? b.s : "", b.len, 0644);
    if (rc != 0)
        fprintf(stderr, "%s: cannot write: %s\n", path,
                rc < 0 ? strerror(-rc) : "?");
    free(path);
    sb_free(&b);
    return rc != 0 ? -1 : 0;
}

void sign_warn_expiry(const char *image)
{
    char *rp = xasprintf("%s.record", image), b[40];
    uint64_t now = (uint64_t)time(NULL);
    struct record r;
    int rc = -1;

    /* An image without a record (copied alone) has nothing to say. */
    if (access(rp, R_OK) == 0)
        rc = record_load(&r, rp);
    free(rp);
    if (rc != 0)
        return;
    for (size_t i = 0; i < r.n; i++) {
        char zone[1040]; /* %1024s */
        unsigned long long t;
        unsigned inc, exp, margin;
        if (strcmp(r.key[i], "dnssec") != 0 ||
            sscanf(r.val[i],
                   "%1024s time %llu inception %u expiration %u margin %u",
                   zone, &t, &inc, &exp, &margin) != 5)
            continue;
        if (exp <= now)
            fprintf(stderr,
                    "tibra: WARNING: %s: zone %s: its DNSSEC signatures "
                    "EXPIRED at %s: validating resolvers fail the zone; "
                    "rebuild it with a new signing time (SOURCE_DATE_EPOCH "
                    "or dnssec-time)\n",
                    image, zone, utc(exp, b, sizeof(b)));
        else if (exp < now + margin)
            fprintf(stderr,
                    "tibra: WARNING: %s: zone %s: its DNSSEC signatures "
                    "expire at %s, within its dnssec-margin (%u s): "
                    "validating resolvers fail the zone then; rebuild it "
                    "with a new signing time (SOURCE_DATE_EPOCH or "
                    "dnssec-time)\n",
                    image, zone, utc(exp, b, sizeof(b)), margin);
    }
    record_free(&r);
}
