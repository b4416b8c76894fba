/*
 * fuzz_zone.c -- the zone-file parser and checks on arbitrary text:
 * dns_zone_parse() (with $INCLUDE served by a callback from one fixed
 * in-memory file, "inc.zone"; any other name fails) then dns_zone_check().
 * When the zone is accepted, an oracle: its canonical dump, parsed and
 * checked again, gives back exactly the same records (owner, type, TTL,
 * rdata bytes), which exercises every rdata printer against its parser.
 * Inputs are capped at 64 KiB to keep iterations fast.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tibra/dns.h>
#include <tibra/hosted.h>

static const char inc_text[] =
    "inc A 192.0.2.7\n"
    " TXT \"included\" ( x\n y )\n"
    "$INCLUDE inc.zone\n"; /* recursion: stops at the depth limit */

static int inc_open(void *ctx, const char *path, const char *from,
                    const char **text, size_t *len, const char **name)
{
    (void)ctx;
    (void)from;
    if (strcmp(path, "inc.zone") != 0)
        return TB_ENOENT;
    *text = inc_text;
    *len = sizeof(inc_text) - 1;
    *name = "inc.zone";
    return 0;
}

static const struct dns_zone_include inc = {inc_open, NULL, NULL};

static const uint8_t origin[] = "\7example\3org";

/* Dumps (z) as zone text into a malloc'd buffer. */
static char *dump(const struct dns_zone_src *z, size_t *len)
{
    size_t cap = 1 << 16, n = 0, i;
    char *out = malloc(cap), *line = malloc(DNS_RDATA_TEXT_MAX + 1024);

    if (out == NULL || line == NULL)
        abort();
    for (i = 0; i < z->nrr; i++) {
        int l =
            dns_zone_rr_to_text(z, &z->rr[i], line, DNS_RDATA_TEXT_MAX + 1024);
        if (l < 0)
            abort();
        while (n + (size_t)l + 2 > cap) {
            cap *= 2;
            out = realloc(out, cap);
            if (out == NULL)
                abort();
        }
        memcpy(out + n, line, (size_t)l);
        n += (size_t)l;
        out[n++] = '\n';
    }
    free(line);
    *len = n;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_zone_src z, z2;
    struct dns_diag d = {NULL, NULL, 0, 0}, d2 = {NULL, NULL, 0, 0};
    size_t i, dl;
    char *text;

    if (size > 65536)
        return 0;
    dns_zone_src_init(&z, origin, &tb_heap);
    if (dns_zone_parse(&z, (const char *)data, size, "fuzz.zone", &inc, &d) !=
            0 ||
        dns_zone_check(&z, &d) != 0) {
        dns_zone_src_free(&z);
        return 0;
    }
    /* Oracle: dump -> parse -> check is the identity. */
    text = dump(&z, &dl);
    dns_zone_src_init(&z2, origin, &tb_heap);
    if (dns_zone_parse(&z2, text, dl, "dump", NULL, &d2) != 0 ||
        dns_zone_check(&z2, &d2) != 0) {
        fprintf(stderr, "re-parse of the dump failed:\n%.*s\n", (int)dl, text);
        abort();
    }
    if (z2.nrr != z.nrr)
        abort();
    for (i = 0; i < z.nrr; i++) {
        const struct dns_zrr *a = &z.rr[i], *b = &z2.rr[i];
        const uint8_t *oa = dns_zrr_owner(&z, a), *ob = dns_zrr_owner(&z2, b);
        if (a->type != b->type || a->ttl != b->ttl || a->rdlen != b->rdlen ||
            memcmp(dns_zrr_rdata(&z, a), dns_zrr_rdata(&z2, b), a->rdlen) ||
            !dns_name_equal(oa, ob)) {
            fprintf(stderr, "record %zu differs after round trip\n", i);
            abort();
        }
    }
    free(text);
    dns_zone_src_free(&z2);
    dns_zone_src_free(&z);
    return 0;
}
