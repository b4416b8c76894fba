/*
 * fuzz_catalog.c -- the catalog zone parser (lib/dns/catalog.c) on
 * arbitrary zone text for the catalog cat.example: dns_zone_parse(),
 * dns_zone_check(), then dns_catalog_parse().  When the catalog is
 * accepted, an oracle: the generator's zone from its members, checked
 * and parsed again, gives the same members, IDs and groups, and the diff
 * of the list with itself and with the empty list is what it must be.
 * A transferred catalog reaches the parser as the same struct
 * dns_zone_src (the transfer stream itself is fuzz_xfrin's).  Inputs are
 * capped at 64 KiB.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tibra/dns.h>
#include <tibra/dns/catalog.h>
#include <tibra/hosted.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t origin[] = "\3cat\7example";

static bool same_group(const struct dns_catalog *a, size_t i,
                       const struct dns_catalog *b, size_t j)
{
    const uint8_t *x, *y;

    if ((a->m[i].group == UINT32_MAX) != (b->m[j].group == UINT32_MAX))
        return false;
    if (a->m[i].group == UINT32_MAX)
        return true;
    x = a->data.data + a->m[i].group, y = b->data.data + b->m[j].group;
    return x[0] == y[0] && memcmp(x + 1, y + 1, x[0]) == 0;
}

static void oracle(const struct dns_catalog *c)
{
    struct dns_diag d = {0};
    struct dns_zone_src z;
    struct dns_catalog back, empty;
    size_t *add = malloc((c->n + 1) * sizeof(size_t));
    size_t *del = malloc((c->n + 1) * sizeof(size_t)), na, nd;

    if (add == NULL || del == NULL)
        abort();
    dns_zone_src_init(&z, origin, &tb_heap);
    dns_catalog_init(&back, &tb_heap);
    dns_catalog_init(&empty, &tb_heap);
    if (dns_catalog_generate(c, 1, &z) != 0 || dns_zone_check(&z, &d) != 0 ||
        dns_catalog_parse(&z, &back, &d) != 0 || back.n != c->n)
        abort();
    for (size_t i = 0; i < c->n; i++) {
        size_t l1, l2;
        const uint8_t *a = dns_catalog_id(c, i, &l1);
        const uint8_t *b = dns_catalog_id(&back, i, &l2);
        if (!dns_name_equal(dns_catalog_zone(c, i),
                            dns_catalog_zone(&back, i)) ||
            l1 != l2 || memcmp(a, b, l1) != 0 || !same_group(c, i, &back, i))
            abort();
    }
    dns_catalog_diff(c, &back, add, &na, del, &nd);
    if (na != 0 || nd != 0)
        abort();
    dns_catalog_diff(&empty, c, add, &na, del, &nd);
    if (na != c->n || nd != 0)
        abort();
    dns_catalog_diff(c, &empty, add, &na, del, &nd);
    if (na != 0 || nd != c->n)
        abort();
    dns_catalog_free(&back);
    dns_zone_src_free(&z);
    free(add);
    free(del);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_diag d = {0};
    struct dns_zone_src z;
    struct dns_catalog c;

    if (size > 65536)
        return 0;
    dns_zone_src_init(&z, origin, &tb_heap);
    z.max_records = 10000;
    dns_catalog_init(&c, &tb_heap);
    if (dns_zone_parse(&z, (const char *)data, size, "cat.zone", NULL, &d) ==
            0 &&
        dns_zone_check(&z, &d) == 0) {
        int rc = dns_catalog_parse(&z, &c, &d);
        if (rc == 0)
            oracle(&c);
        else if (rc != TB_ESEMANTIC || c.n != 0)
            abort();
    }
    dns_catalog_free(&c);
    dns_zone_src_free(&z);
    return 0;
}
