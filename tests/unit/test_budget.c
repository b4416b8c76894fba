/*
 * test_budget.c -- the counting allocator (struct tb_budget, lib/base)
 * and the zone loader over it (zone-memory): counts, refusals, realloc
 * both ways, charges for memory taken elsewhere; a zone file compiled
 * within a budget leaves exactly its blob counted, and one over it fails
 * with TB_ENOSPC, says "needs more than zone-memory", and gives every
 * byte back (the loader, parser, checks and compiler pass the sizes they
 * allocated when they free).
 */
#include "check.h"
#include <stdlib.h>
#include <unistd.h>
#include <tibra/zonefile.h>

static void counts_and_refuses(void)
{
    struct tb_budget b;

    tb_budget_init(&b, &tb_heap, 1000);
    void *p = tb_alloc(&b.a, 600);
    REQUIRE(p != NULL);
    CHECK_EQ(b.used, 600);
    CHECK(tb_alloc(&b.a, 401) == NULL);
    CHECK(b.over);
    CHECK_EQ(b.used, 600);
    void *q = tb_alloc(&b.a, 400);
    REQUIRE(q != NULL);
    CHECK_EQ(b.used, 1000);
    CHECK_EQ(b.peak, 1000);
    tb_free(&b.a, q, 400);
    p = tb_realloc(&b.a, p, 600, 900); /* grow within */
    REQUIRE(p != NULL);
    CHECK_EQ(b.used, 900);
    CHECK(tb_realloc(&b.a, p, 900, 1001) == NULL); /* p stays valid */
    CHECK_EQ(b.used, 900);
    p = tb_realloc(&b.a, p, 900, 100); /* shrink gives back */
    REQUIRE(p != NULL);
    CHECK_EQ(b.used, 100);
    CHECK(tb_budget_charge(&b, 900));
    CHECK(!tb_budget_charge(&b, 1));
    tb_budget_uncharge(&b, 900);
    tb_free(&b.a, p, 100);
    CHECK_EQ(b.used, 0);
    CHECK_EQ(b.peak, 1000);
    /* Limit 0: counting only. */
    tb_budget_init(&b, &tb_heap, 0);
    p = tb_alloc(&b.a, 1 << 20);
    CHECK(p != NULL && b.used == 1 << 20 && !b.over);
    tb_free(&b.a, p, 1 << 20);
}

static unsigned nerr;
static char lastmsg[512];

static void report(void *ctx, int level, const char *file, unsigned line,
                   const char *msg)
{
    (void)ctx;
    (void)file;
    (void)line;
    if (level == DNS_DIAG_ERROR) {
        nerr++;
        snprintf(lastmsg, sizeof(lastmsg), "%s", msg);
    }
}

static void zone_load_budget(void)
{
    char path[] = "/tmp/test_budget.XXXXXX";
    int fd = mkstemp(path);
    uint8_t origin[DNS_NAME_MAXLEN];
    size_t olen;
    struct dns_diag d = {report, NULL, 0, 0};
    struct tb_budget b;
    struct dns_zonefile_blob zb;
    struct dns_zonefile_limits lim = {0, 0, 0, &b};
    FILE *f;

    REQUIRE(fd >= 0);
    REQUIRE((f = fdopen(fd, "w")) != NULL);
    fprintf(f, "$ORIGIN example.test.\n$TTL 300\n"
               "@ SOA ns h 1 3600 900 604800 60\n@ NS ns\nns A 192.0.2.1\n");
    for (int i = 0; i < 3000; i++)
        fprintf(f, "h%d A 192.0.2.%d\nh%d TXT \"text %d\"\n", i, i % 250 + 1, i,
                i);
    fclose(f);
    REQUIRE(dns_name_from_text("example.test.", 13, NULL, origin, &olen) == 0);

    tb_budget_init(&b, &tb_heap, 16u << 20);
    CHECK_EQ(dns_zonefile_compile(path, origin, DNS_CLASS_IN, &d, NULL, NULL,
                                  &lim, &zb),
             0);
    CHECK_EQ(nerr, 0);
    CHECK(zb.len > 0);
    /* What stays counted is the blob (its buffer's capacity). */
    CHECK(b.used >= zb.len && b.used < zb.len + 4096);
    CHECK(b.peak > b.used);
    size_t need = b.peak;
    free(zb.data);

    /* One byte short of the peak: refused, said, everything given back. */
    tb_budget_init(&b, &tb_heap, need - 1);
    CHECK_EQ(dns_zonefile_compile(path, origin, DNS_CLASS_IN, &d, NULL, NULL,
                                  &lim, &zb),
             TB_ENOSPC);
    CHECK_EQ(nerr, 1);
    CHECK(strstr(lastmsg, "zone example.test needs more than zone-memory") !=
          NULL);
    CHECK_EQ(b.used, 0);
    CHECK(zb.data == NULL);

    /* Smaller than the text: refused before it is read. */
    tb_budget_init(&b, &tb_heap, 1024);
    CHECK_EQ(dns_zonefile_compile(path, origin, DNS_CLASS_IN, &d, NULL, NULL,
                                  &lim, &zb),
             TB_ENOSPC);
    CHECK_EQ(b.used, 0);
    CHECK_EQ(b.peak, 0);
    unlink(path);
}

int main(void)
{
    RUN(counts_and_refuses);
    RUN(zone_load_budget);
    return check_done();
}
