/*
 * mkbundle.c -- test helper: writes the zones-and-arguments bundle
 * (<tibra/bundle.h>) that the DNS unikernel's test images link, the way
 * `tibra build` does for real images, without a service file:
 *
 *     mkbundle OUT 'DEFAULT ARGS' ORIGIN ZONEFILE [ORIGIN ZONEFILE ...]
 *
 * Each zone file is loaded, checked and compiled (dns_zonefile_compile);
 * problems are printed as FILE:LINE: message and exit 1.  mk/dnsg.mk
 * turns OUT into an object with an assembler .incbin.  Hosted, tests
 * only: real images get their bundle from `tibra build`.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tibra/bundle.h>
#include <tibra/dns.h>
#include <tibra/zonefile.h>

static void report(void *ctx, int level, const char *file, unsigned line,
                   const char *msg)
{
    (void)ctx;
    fprintf(stderr, "%s:%u: %s%s\n", file ? file : "-", line,
            level == DNS_DIAG_WARNING ? "warning: " : "", msg);
}

int main(int argc, char **argv)
{
    struct dns_diag d = {.report = report};
    struct tb_buf out;
    FILE *f;
    int rc;

    if (argc < 3 || (argc - 3) % 2 != 0)
        errx(2, "usage: mkbundle OUT 'ARGS' [ORIGIN ZONEFILE]...");
    uint32_t n = (uint32_t)(argc - 3) / 2;
    const void **blobs = calloc(n + 1, sizeof(*blobs));
    size_t *lens = calloc(n + 1, sizeof(*lens));
    if (blobs == NULL || lens == NULL)
        err(1, "calloc");
    for (uint32_t i = 0; i < n; i++) {
        const char *origin = argv[3 + 2 * i], *path = argv[4 + 2 * i];
        uint8_t name[DNS_NAME_MAXLEN];
        struct dns_zonefile_blob b;
        /* with the records section, as `tibra build` compiles a zone
         * that allows transfers or updates: test images take both */
        struct dns_zonefile_limits lim = {.compile_flags =
                                              DNS_ZONE_COMPILE_RECORDS};
        size_t nlen;

        if (dns_name_from_text(origin, strlen(origin), (const uint8_t *)"",
                               name, &nlen) != 0)
            errx(1, "%s: not a domain name", origin);
        if (dns_zonefile_compile(path, name, DNS_CLASS_IN, &d, NULL, NULL, &lim,
                                 &b) != 0)
            exit(1);
        blobs[i] = b.data;
        lens[i] = b.len;
    }
    tb_buf_init(&out, &tb_heap);
    rc = tb_bundle_write(&out, blobs, lens, n, argv[2]);
    if (rc != 0)
        errx(1, "bundle: %s", tb_strerror(rc));
    f = fopen(argv[1], "wb");
    if (f == NULL || fwrite(out.data, 1, out.len, f) != out.len ||
        fclose(f) != 0)
        err(1, "%s", argv[1]);
    return 0;
}
