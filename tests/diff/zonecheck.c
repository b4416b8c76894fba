/*
 * zonecheck.c -- Tibra's zone checker as a small host program, for
 * tests/diff/zonecheck.sh (accept/reject against nsd-checkzone and
 * kzonecheck) and for measuring the loader:
 *
 *   zonecheck [-p] [-q] [-t] ORIGIN FILE
 *
 * loads FILE as zone ORIGIN through dns_zone_load_file() (parse + checks),
 * prints diagnostics as file:line: level: message on stderr, with -p the
 * canonical dump (one RR per line, sorted) on stdout, with -t the load
 * time and record count.  Exits 0 when the zone is accepted, 1 when it is
 * rejected, 2 on usage errors.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <tibra/zonefile.h>

int main(int argc, char **argv)
{
    struct dns_zone_src z;
    struct dns_diag d = {dns_zonefile_report, NULL, 0, 0};
    uint8_t origin[DNS_NAME_MAXLEN];
    size_t olen, i;
    bool dump = false, timing = false;
    struct timespec t0, t1;
    char *buf;
    int c, rc;

    while ((c = getopt(argc, argv, "pqt")) != -1) {
        switch (c) {
        case 'p':
            dump = true;
            break;
        case 'q':
            d.report = NULL;
            break;
        case 't':
            timing = true;
            break;
        default:
            return 2;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "usage: zonecheck [-p] [-q] [-t] ORIGIN FILE\n");
        return 2;
    }
    if (dns_name_from_text(argv[optind], strlen(argv[optind]),
                           (const uint8_t *)"", origin, &olen) != 0) {
        fprintf(stderr, "zonecheck: bad origin %s\n", argv[optind]);
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = dns_zone_load_file(&z, argv[optind + 1], origin, DNS_CLASS_IN,
                            &tb_heap, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (timing)
        fprintf(stderr, "zonecheck: %zu records in %.3f s\n",
                rc == 0 ? z.nrr : 0,
                (double)(t1.tv_sec - t0.tv_sec) +
                    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    if (rc != 0) {
        fprintf(stderr, "zonecheck: %s: rejected (%s)\n", argv[optind + 1],
                tb_strerror(rc));
        return 1;
    }
    if (dump) {
        buf = malloc(DNS_RDATA_TEXT_MAX + DNS_NAME_TEXT_MAX + 64);
        if (buf == NULL)
            return 2;
        for (i = 0; i < z.nrr; i++) {
            if (dns_zone_rr_to_text(&z, &z.rr[i], buf,
                                    DNS_RDATA_TEXT_MAX + DNS_NAME_TEXT_MAX +
                                        64) >= 0)
                puts(buf);
        }
        free(buf);
    }
    dns_zone_src_free(&z);
    return 0;
}
