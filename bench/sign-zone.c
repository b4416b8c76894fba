/*
 * sign-zone.c -- the signing benchmark's Tibra side (bench/sign.sh):
 * lib/dns's signer on a zone file, timed, as tibra build and tibra-dnsd
 * run it (dns_sign_zone), then one dynamic update re-signed as
 * tibra-dnsd does it (dns_sign_resign against the signed version: the
 * cost of a change).  Never run by `make check`.
 *
 *   sign-zone [--nsec3] ORIGIN ZONEFILE KEYDIR [OUT]
 *
 * Prints one line per stage (seconds of wall-clock time) and writes the
 * signed zone to OUT (presentation format) when given, for the
 * verifiers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tibra/dns/sign.h>
#include <tibra/dns/signdir.h>
#include <tibra/dns/update.h>
#include <tibra/zonefile.h>

#define KEYS_MAX 8

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t count(const struct dns_zone_src *z, uint16_t type)
{
    size_t n = 0;

    for (size_t i = 0; i < z->nrr; i++)
        n += z->rr[i].type == type;
    return n;
}

static int write_zone(const struct dns_zone_src *z, const char *path)
{
    FILE *f = fopen(path, "w");
    char *line = malloc(DNS_RDATA_TEXT_MAX + 1024);
    int rc = 0;

    if (f == NULL || line == NULL) {
        free(line);
        if (f != NULL)
            fclose(f);
        return -1;
    }
    for (size_t i = 0; i < z->nrr && rc >= 0; i++) {
        rc = dns_zone_rr_to_text(z, &z->rr[i], line, DNS_RDATA_TEXT_MAX + 1024);
        if (rc >= 0)
            fprintf(f, "%s\n", line);
    }
    free(line);
    return fclose(f) != 0 || rc < 0 ? -1 : 0;
}

/* (src) plus one A record at bench-update.ORIGIN, serial + 1: what one
 * dynamic update makes (RRSIGs and chain still the old ones). */
static int updated(const struct dns_zone_src *src, struct dns_zone_src *out,
                   struct dns_diag *d)
{
    static const uint8_t a[4] = {192, 0, 2, 200};
    uint8_t name[DNS_NAME_MAXLEN], soa[DNS_RDATA_MAXLEN];
    size_t nl;
    int rc = 0;

    if (dns_name_from_text("bench-update", 12, src->origin, name, &nl) != 0)
        return -1;
    dns_zone_src_init(out, src->origin, &tb_heap);
    for (size_t i = 0; i < src->nrr && rc == 0; i++) {
        const struct dns_zrr *r = &src->rr[i];
        const uint8_t *rd = dns_zrr_rdata(src, r);
        if (r->type == DNS_TYPE_SOA) {
            memcpy(soa, rd, r->rdlen);
            tb_put32(soa + r->rdlen - 20, tb_get32(rd + r->rdlen - 20) + 1);
            rd = soa;
        }
        rc = dns_zone_src_add(out, dns_zrr_owner(src, r), r->type, r->rclass,
                              r->ttl, rd, r->rdlen, 0, 0);
    }
    if (rc == 0)
        rc = dns_zone_src_add(out, name, DNS_TYPE_A, DNS_CLASS_IN, 300, a, 4, 0,
                              0);
    return rc != 0 ? rc : dns_zone_check(out, d);
}

int main(int argc, char **argv)
{
    static struct dns_sign_key keys[KEYS_MAX];
    struct dns_sign_params p;
    struct dns_sign_stats st;
    struct dns_zone_src z, u;
    struct dns_diag d = {dns_zonefile_report, NULL, 0, 0};
    uint8_t origin[DNS_NAME_MAXLEN];
    size_t ol, nk = 0, nin;
    bool nsec3 = argc > 1 && strcmp(argv[1], "--nsec3") == 0;
    uint32_t t = (uint32_t)time(NULL);
    double t0, t1, t2, t3;
    int rc;

    argv += nsec3, argc -= nsec3;
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: sign-zone [--nsec3] ORIGIN ZONEFILE KEYDIR "
                        "[OUT]\n");
        return 2;
    }
    char otext[DNS_NAME_TEXT_MAX];
    snprintf(otext, sizeof(otext), "%s%s", argv[1],
             argv[1][0] != '\0' && argv[1][strlen(argv[1]) - 1] == '.' ? ""
                                                                       : ".");
    if (dns_name_from_text(otext, strlen(otext), NULL, origin, &ol) != 0) {
        fprintf(stderr, "sign-zone: bad origin %s\n", argv[1]);
        return 2;
    }
    t0 = now_s();
    if (dns_zone_load_file(&z, argv[2], origin, DNS_CLASS_IN, &tb_heap, &d) !=
            0 ||
        dns_sign_keydir_read(argv[3], origin, keys, KEYS_MAX, &nk, NULL, NULL,
                             &d, NULL, 0) != 0)
        return 1;
    nin = z.nrr;
    t1 = now_s();
    memset(&p, 0, sizeof(p));
    p.keys = keys, p.nkeys = nk, p.nsec3 = nsec3;
    p.inception = t - 3600, p.expiration = t + 14 * 86400;
    rc = dns_sign_zone(&z, &p, &d);
    t2 = now_s();
    if (rc != 0) {
        fprintf(stderr, "sign-zone: %s\n", tb_strerror(rc));
        return 1;
    }
    printf("sign-zone: %zu records read in %.2f s\n", nin, t1 - t0);
    printf("sign-zone: signed in %.2f s: %zu records, %zu RRSIGs, %zu %s "
           "(%zu keys)\n",
           t2 - t1, z.nrr, count(&z, DNS_TYPE_RRSIG),
           count(&z, nsec3 ? DNS_TYPE_NSEC3 : DNS_TYPE_NSEC),
           nsec3 ? "NSEC3" : "NSEC", nk);
    if (argc == 5 && write_zone(&z, argv[4]) != 0) {
        fprintf(stderr, "sign-zone: cannot write %s\n", argv[4]);
        return 1;
    }
    /* One update: the version copied, the record added, then re-signed
     * against the signed version (tibra-dnsd's update path). */
    t2 = now_s();
    if (updated(&z, &u, &d) != 0)
        return 1;
    t3 = now_s();
    p.inception += 60, p.expiration += 60;
    rc = dns_sign_resign(&u, &z, &p, t + 60, t + 60 + 7 * 86400, &st, &d);
    if (rc != 0) {
        fprintf(stderr, "sign-zone: re-signing: %s\n", tb_strerror(rc));
        return 1;
    }
    printf("sign-zone: one update: copy and check %.2f s, re-signed in %.2f "
           "s: %zu signatures made, %zu kept\n",
           t3 - t2, now_s() - t3, st.made, st.kept);
    dns_zone_src_free(&u);
    dns_zone_src_free(&z);
    for (size_t i = 0; i < nk; i++)
        dns_sign_key_wipe(&keys[i]);
    return 0;
}
