/*
 * fuzz_auth_blob.c -- compiled zone blobs are untrusted (they come from
 * files and images): arbitrary bytes go to dns_zone_open() and
 * dns_zoneset_build(); a blob that is accepted is then asked a fixed set
 * of queries.  Invariants: no out-of-bounds access (ASan), open and build
 * agree, every response fits its buffer.  Wrong answers from a forged
 * blob are allowed; crashes are not.
 *
 * The corpus starts from real blobs: run a replay binary with
 * TIBRA_FUZZ_WRITE_SEED=DIR to write the compiled seed zones there
 * (tests/unit/test_dnssec does the same for signed zones: NSEC, NSEC3
 * and their denial tables, asked the names of RFC 5155 Appendix B).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static const char *const seed[] = {"@ 3600 SOA ns1 h 1 7200 3600 1209600 300",
                                   "@ 3600 NS ns1",
                                   "ns1 3600 A 192.0.2.53",
                                   "www 3600 A 192.0.2.80",
                                   "alias 300 CNAME www",
                                   "*.wild 600 MX 5 ns1",
                                   "a.b.c 3600 A 192.0.2.7",
                                   "sub 3600 NS ns1.sub",
                                   "ns1.sub 3600 A 192.0.2.100",
                                   "dn 3600 DNAME example.net.",
                                   "www 3600 RRSIG A",
                                   NULL};

static const char *const qnames[] = {
    "example.com.",        "www.example.com.", "alias.example.com.",
    "x.wild.example.com.", "nx.example.com.",  "a.sub.example.com.",
    "q.dn.example.com.",   "b.c.example.com.", ".",
    "a.c.x.w.example.",    "b.example.",       "y.w.example.",
    "a.z.w.example.",      "mc.c.example.",    "c.example."};

static uint8_t resp[65536];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("TIBRA_FUZZ_WRITE_SEED");
    char path[4096];
    size_t len;
    uint8_t *b;
    FILE *f;

    (void)argc;
    (void)argv;
    if (dir == NULL)
        return 0;
    b = ta_zone("example.com.", seed, &len);
    snprintf(path, sizeof(path), "%s/seed-example.com", dir);
    if ((f = fopen(path, "wb")) != NULL) {
        fwrite(b, 1, len, f);
        fclose(f);
    }
    free(b);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_zoneset *zs;
    struct dns_auth_stats st = {0};
    const void *b[1] = {data};
    int e1 = dns_zone_open(data, size, NULL, NULL);
    int e2 = dns_zoneset_build(&zs, b, &size, 1, NULL, &ta);

    REQUIRE(e1 == e2);
    if (e2 != 0)
        return 0;
    for (size_t i = 0; i < sizeof(qnames) / sizeof(qnames[0]); i++)
        for (unsigned t = 0; t < 6; t++) {
            static const uint16_t types[] = {DNS_TYPE_A,  DNS_TYPE_MX,
                                             DNS_TYPE_DS, DNS_TYPE_ANY,
                                             DNS_TYPE_A,  DNS_TYPE_MX};
            uint8_t q[512];
            size_t ql = ta_query(q, qnames[i], types[t], DNS_CLASS_IN,
                                 t & 1 ? 1232 : -1, t >= 2);
            size_t n = dns_auth_answer(zs, q, ql, resp, t ? 512 : 65535,
                                       t == 0 ? DNS_AUTH_TCP : 0, &st);
            REQUIRE(n <= (t ? 512u : 65535u));
        }
    dns_zoneset_free(zs, &ta);
    return 0;
}
