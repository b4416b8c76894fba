/*
 * fuzz_update.c -- dynamic updates (lib/dns/update.c) on untrusted
 * UPDATE messages against a small zone that key "upd-key." may update.
 * The first input byte picks:
 *
 *   0  the rest is the message as received (TSIG as it comes)
 *   1  the rest is signed with upd-key first (dns_tsig_sign_request), so
 *      inputs reach the prerequisites and the update section
 *
 * Invariants: nothing read or written outside the buffers (ASan); the
 * RCODE is one RFC 2136 / 8945 allows; a change is only reported with
 * NOERROR, passes dns_zone_check() again and has a newer serial; the
 * reply fits its buffer, has the request's ID and parses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include <tibra/dns/serial.h>
#include <tibra/dns/update.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

#define NOW 1796313600ull

static const char ZONE[] = "$ORIGIN example.test.\n$TTL 300\n"
                           "@ SOA ns1 host 10 3600 900 604800 60\n"
                           "@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\n"
                           "www A 192.0.2.10\nwww A 192.0.2.11\n"
                           "alias CNAME www\nd TXT \"x\"\n";
static const uint8_t ORIGIN[] = "\7example\4test";
static struct dns_zone_src cur;
static struct dns_tsig_key key;
static struct dns_tsig_keyring kr;
static const uint8_t *allowed[1];
static struct dns_update_zone uz;

static void init(void)
{
    static const uint8_t kname[] = "\7upd-key";
    struct dns_diag d = {NULL, NULL, 0, 0};

    dns_zone_src_init(&cur, ORIGIN, &ta);
    REQUIRE(dns_zone_parse(&cur, ZONE, strlen(ZONE), "z", NULL, &d) == 0);
    REQUIRE(dns_zone_check(&cur, &d) == 0);
    REQUIRE(dns_tsig_key_init(&key, kname, sizeof(kname), DNS_TSIG_HMAC_SHA256,
                              (const uint8_t *)"fuzz-update-secret", 18) == 0);
    dns_tsig_keyring_init(&kr, &key, 1);
    allowed[0] = key.name;
    uz = (struct dns_update_zone){ORIGIN, &cur, allowed, 1,
                                  DNS_SERIAL_INCREMENT};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    static uint8_t msg[DNS_SRV_QUERY_MAX + DNS_TSIG_RR_MAX];
    uint8_t resp[1024];
    struct dns_update u;
    struct dns_zone_src out;
    struct dns_tsig_ctx ctx;
    struct dns_msg m;
    size_t len, rl;

    if (!ready) {
        init();
        ready = true;
    }
    if (size < 1 || size - 1 > DNS_SRV_QUERY_MAX)
        return 0;
    len = size - 1;
    memcpy(msg, data + 1, len);
    if (data[0] == 1 && len >= DNS_HDR_LEN) {
        size_t n =
            dns_tsig_sign_request(&ctx, &key, msg, len, sizeof(msg), NOW);
        if (n != 0)
            len = n;
    }
    dns_update_run(&u, &uz, 1, &kr, msg, len, NOW, &out, &ta);
    REQUIRE(u.rcode <= DNS_RCODE_NOTZONE);
    if (u.changed) {
        struct dns_diag d = {NULL, NULL, 0, 0};
        REQUIRE(u.rcode == DNS_RCODE_NOERROR);
        REQUIRE(dns_zone_check(&out, &d) == 0);
        REQUIRE(dns_serial_newer(dns_zone_src_serial(&out), 10));
    }
    dns_zone_src_free(&out);
    rl = dns_update_reply(&u, msg, len, u.rcode, resp, sizeof(resp), NOW, &kr);
    REQUIRE(rl <= sizeof(resp));
    if (rl != 0) {
        REQUIRE(tb_get16(resp) == tb_get16(msg));
        REQUIRE(dns_msg_parse(&m, resp, rl) == 0);
    }
    return 0;
}
