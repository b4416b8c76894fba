/*
 * update-cost.c -- where the time of one dynamic update goes on a big
 * zone, stage by stage, in one process (no network, no disk sync): what
 * bench/update.sh measures end to end, taken apart.
 *
 *   update-cost ZONEFILE ORIGIN [UPDATES]
 *
 * Loads the zone, then applies UPDATES (default 20) signed updates, each
 * adding one A record as bench/update.sh's client does, and prints the
 * median time of:
 *   run      dns_update_run_delta: the update beside the version, its
 *            checks, the next version (one merge) and the IXFR delta
 *   copy     what the replaced path did instead of `run`: the version
 *            copied record by record, then dns_zone_check() on the copy
 *   compile  dns_zone_compile_flags(DNS_ZONE_COMPILE_RECORDS), both paths
 *   diff     dns_ixfr_diff() of the two compiled versions: the replaced
 *            path's journal delta (and still the IXFR history's)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <tibra/dns/auth.h>
#include <tibra/dns/update.h>
#include <tibra/hosted.h>
#include <tibra/zonefile.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_d);
    return v[n / 2];
}

static void compile(const struct dns_zone_src *z, struct tb_buf *b)
{
    struct dns_diag q = {NULL, NULL, 0, 0};
    tb_buf_init(b, &tb_heap);
    if (dns_zone_compile_flags(z, b, &q, DNS_ZONE_COMPILE_RECORDS) != 0) {
        fprintf(stderr, "update-cost: the zone does not compile\n");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    struct dns_zone_src cur;
    struct dns_diag d = {NULL, NULL, 0, 0};
    struct dns_tsig_key key;
    struct dns_tsig_keyring kr;
    uint8_t origin[DNS_NAME_MAXLEN], kn[DNS_NAME_MAXLEN];
    const uint8_t *allowed[1];
    size_t ol, kl;
    int n = argc > 3 ? atoi(argv[3]) : 20;
    double *t_run, *t_copy, *t_comp, *t_diff;
    struct tb_buf ob;

    if (argc < 3 || n < 1) {
        fprintf(stderr, "usage: update-cost ZONEFILE ORIGIN [UPDATES]\n");
        return 2;
    }
    if (dns_name_from_text(argv[2], strlen(argv[2]), (const uint8_t *)"",
                           origin, &ol) != 0 ||
        dns_name_from_text("upd-key.", 8, NULL, kn, &kl) != 0 ||
        dns_tsig_key_init(&key, kn, kl, DNS_TSIG_HMAC_SHA256,
                          (const uint8_t *)"update-cost", 11) != 0)
        return 2;
    dns_tsig_keyring_init(&kr, &key, 1);
    allowed[0] = key.name;
    if (dns_zone_load_file(&cur, argv[1], origin, DNS_CLASS_IN, &tb_heap, &d) !=
        0) {
        fprintf(stderr, "update-cost: %s does not load\n", argv[1]);
        return 1;
    }
    t_run = calloc((size_t)n, sizeof(double));
    t_copy = calloc((size_t)n, sizeof(double));
    t_comp = calloc((size_t)n, sizeof(double));
    t_diff = calloc((size_t)n, sizeof(double));
    compile(&cur, &ob);
    for (int i = 0; i < n; i++) {
        struct dns_update_zone uz = {origin, &cur, allowed, 1,
                                     DNS_SERIAL_INCREMENT};
        struct dns_update u;
        struct dns_zone_src next, copy;
        struct dns_writer w;
        struct dns_tsig_ctx ctx;
        struct dns_ixfr_delta dl, e;
        struct tb_buf delta, nb, x;
        uint8_t msg[1024], owner[DNS_NAME_MAXLEN], a[4] = {10, 9, 0, 0};
        char txt[64];
        size_t len, on;
        double t0;

        snprintf(txt, sizeof(txt), "update-cost-%d", i);
        if (dns_name_from_text(txt, strlen(txt), origin, owner, &on) != 0)
            return 1;
        a[2] = (uint8_t)(i >> 8);
        a[3] = (uint8_t)i;
        dns_writer_init(&w, msg, sizeof(msg), (uint16_t)i,
                        DNS_OPCODE_UPDATE << 11);
        dns_writer_question(&w, origin, DNS_TYPE_SOA, DNS_CLASS_IN);
        dns_writer_section(&w, DNS_SEC_AUTHORITY);
        dns_writer_rr(&w, owner, DNS_TYPE_A, DNS_CLASS_IN, 300, a, 4);
        len = dns_writer_finish(&w);
        len = dns_tsig_sign_request(&ctx, &key, msg, len, sizeof(msg),
                                    1796313600);
        /* The new path. */
        tb_buf_init(&delta, &tb_heap);
        t0 = now_ms();
        dns_update_run_delta(&u, &uz, 1, &kr, msg, len, 1796313600, &next,
                             &delta, &dl, &tb_heap);
        t_run[i] = now_ms() - t0;
        if (!u.changed) {
            fprintf(stderr, "update-cost: update %d: rcode %u %s\n", i, u.rcode,
                    u.why);
            return 1;
        }
        /* What the replaced path did instead. */
        t0 = now_ms();
        dns_zone_src_init(&copy, origin, &tb_heap);
        for (size_t k = 0; k < next.nrr; k++) {
            const struct dns_zrr *r = &next.rr[k];
            dns_zone_src_add(&copy, dns_zrr_owner(&next, r), r->type, r->rclass,
                             r->ttl, dns_zrr_rdata(&next, r), r->rdlen, 0, 0);
        }
        dns_zone_check(&copy, &d);
        t_copy[i] = now_ms() - t0;
        dns_zone_src_free(&copy);
        t0 = now_ms();
        compile(&next, &nb);
        t_comp[i] = now_ms() - t0;
        tb_buf_init(&x, &tb_heap);
        t0 = now_ms();
        dns_ixfr_diff(ob.data, ob.len, nb.data, nb.len, &x, &e);
        t_diff[i] = now_ms() - t0;
        tb_buf_free(&x);
        tb_buf_free(&delta);
        tb_buf_free(&ob);
        ob = nb;
        dns_zone_src_free(&cur);
        cur = next;
    }
    printf("update-cost: %zu records, %d updates, median ms: run %.2f "
           "(copy+check it replaced %.1f), compile %.1f, diff %.1f\n",
           cur.nrr, n, median(t_run, n), median(t_copy, n), median(t_comp, n),
           median(t_diff, n));
    tb_buf_free(&ob);
    dns_zone_src_free(&cur);
    free(t_run);
    free(t_copy);
    free(t_comp);
    free(t_diff);
    return 0;
}
