/*
 * fuzz_dns_name.c -- dns_name_unpack() and dns_name_check() on arbitrary
 * bytes (lib/dns/name.c).  The input is a whole message; names are
 * unpacked at the first offsets.  Invariants: a success yields a name
 * that dns_name_check() accepts with the same length (<= 255), (next)
 * lies after the start and inside the message, and the comparison
 * functions agree with themselves; a name dns_name_check() accepts in
 * place unpacks to itself.  Failures are only the documented errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tibra/dns.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static void check_name(const uint8_t *out, size_t n)
{
    uint8_t low[DNS_NAME_MAXLEN];
    unsigned labels;

    REQUIRE(n >= 1 && n <= DNS_NAME_MAXLEN);
    REQUIRE(dns_name_check(out, n) == (int)n);
    REQUIRE(dns_name_len(out) == n);
    labels = dns_name_labels(out);
    REQUIRE(labels <= 127);
    REQUIRE(dns_name_equal(out, out));
    REQUIRE(dns_name_cmp(out, out) == 0);
    REQUIRE(dns_name_is_sub(out, (const uint8_t *)""));
    REQUIRE(*dns_name_skip(out, labels) == 0);
    memcpy(low, out, n);
    dns_name_lower(low);
    REQUIRE(dns_name_equal(low, out));
    REQUIRE(dns_name_cmp(low, out) == 0);
    REQUIRE(dns_name_check(low, n) == (int)n);
    if (labels > 0) {
        const uint8_t *parent = dns_name_skip(out, 1);
        REQUIRE(dns_name_is_sub(out, parent));
        REQUIRE(!dns_name_is_sub(parent, out));
        REQUIRE(dns_name_cmp(parent, out) < 0);
        REQUIRE(dns_name_cmp(out, parent) > 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t out[DNS_NAME_MAXLEN], prev[DNS_NAME_MAXLEN];
    size_t n, next, prevn = 0;

    for (size_t off = 0; off < size && off < 32; off++) {
        int r = dns_name_unpack(data, size, off, out, &n, &next);
        if (r != 0) {
            REQUIRE(r == TB_ETRUNC || r == TB_EMALF || r == TB_ELOOP);
            continue;
        }
        REQUIRE(next > off && next <= size);
        check_name(out, n);
        if (prevn > 0) {
            /* canonical order is antisymmetric */
            int a = dns_name_cmp(prev, out), b = dns_name_cmp(out, prev);
            REQUIRE((a < 0 && b > 0) || (a > 0 && b < 0) || (a == 0 && b == 0));
            REQUIRE((a == 0) == dns_name_equal(prev, out));
        }
        memcpy(prev, out, n);
        prevn = n;
    }
    int c = dns_name_check(data, size);
    if (c > 0) {
        REQUIRE(dns_name_unpack(data, size, 0, out, &n, &next) == 0);
        REQUIRE(n == (size_t)c && next == n && memcmp(out, data, n) == 0);
    } else {
        REQUIRE(c == TB_ETRUNC || c == TB_EMALF);
    }
    return 0;
}
