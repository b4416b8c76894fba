/*
 * fuzz_journal.c -- the journal reader (lib/dns/journal.c) on untrusted
 * bytes: a journal file as found at start-up, replayed onto a small zone
 * with dns_journal_next() and dns_journal_apply() as tibra-dnsd does.
 * The first input byte: 0, the rest is the whole file; 1, the rest
 * follows a valid header (so inputs reach the entries).
 *
 * Invariants: nothing read outside the input (ASan); the offset only
 * moves forward and stays within the input; a torn tail ends the walk; an
 * applied entry's result passes dns_zone_check() again and has the
 * entry's serial; re-encoding an entry that was read gives its bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include <tibra/dns/update.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static const char ZONE[] = "$ORIGIN example.test.\n$TTL 300\n"
                           "@ SOA ns1 host 10 3600 900 604800 60\n"
                           "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.10\n";
static const uint8_t ORIGIN[] = "\7example\4test";
static struct dns_zone_src base;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    static uint8_t buf[1 << 16];
    struct dns_zone_src v, next;
    struct dns_ixfr_delta d;
    size_t len, off = 0, prev;
    bool own = false;
    int rc;

    if (!ready) {
        struct dns_diag dg = {NULL, NULL, 0, 0};
        dns_zone_src_init(&base, ORIGIN, &ta);
        REQUIRE(dns_zone_parse(&base, ZONE, strlen(ZONE), "z", NULL, &dg) == 0);
        REQUIRE(dns_zone_check(&base, &dg) == 0);
        ready = true;
    }
    if (size < 1 || size - 1 > sizeof(buf) - DNS_JOURNAL_HDR_LEN)
        return 0;
    len = 0;
    if (data[0] == 1) {
        dns_journal_header(buf);
        len = DNS_JOURNAL_HDR_LEN;
    }
    memcpy(buf + len, data + 1, size - 1);
    len += size - 1;
    v = base;
    for (;;) {
        prev = off;
        rc = dns_journal_next(buf, len, &off, &d);
        if (rc != 0) {
            REQUIRE(rc == TB_ENOENT || rc == TB_ETRUNC || rc == TB_EMALF);
            REQUIRE(off <= len);
            break;
        }
        REQUIRE(off > prev && off <= len);
        /* The entry re-encoded is the same bytes. */
        struct tb_buf e;
        tb_buf_init(&e, &ta);
        REQUIRE(dns_journal_entry(&e, &d) == 0);
        REQUIRE(e.len == off - (size_t)(d.rrs - buf) + 20 &&
                memcmp(e.data, d.rrs - 20, e.len) == 0);
        tb_buf_free(&e);
        if (dns_journal_apply(&v, &d, &next, &ta, NULL) != 0) {
            dns_zone_src_free(&next);
            break;
        }
        struct dns_diag dg = {NULL, NULL, 0, 0};
        REQUIRE(dns_zone_src_serial(&next) == d.to);
        REQUIRE(dns_zone_check(&next, &dg) == 0);
        if (own)
            dns_zone_src_free(&v);
        v = next;
        own = true;
    }
    if (own)
        dns_zone_src_free(&v);
    return 0;
}
