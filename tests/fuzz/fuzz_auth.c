/*
 * fuzz_auth.c -- the authoritative answer path on arbitrary query bytes.
 * A fixed zone set (two zones with CNAME chains, wildcards, a DNAME, a
 * delegation with glue, RRSIGs, an RRset too big for UDP, and the root) is
 * compiled once; each input is then answered as a UDP query (first byte
 * bit 0 clear) or a TCP query (set), by the two-zone set (bit 1 clear) or
 * by a set of example.com alone (set: the one-zone path), with DNS
 * Cookies on (bit 2: dns_auth_answer_env() with a cookie context and a
 * peer, IPv6 when bit 3 is set, cookies required when bit 4 is), the rest
 * of the input being the query.
 *
 * Invariants: the response fits (cap) and, over UDP, the largest size the
 * engine may choose (udp_max); it is empty (dropped) or parses with
 * dns_msg_parse(), carries the query's ID, has QR set, and its question
 * (when present) is the query's, byte for byte.  The sentinel after the
 * response is untouched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include <tibra/dns/srv.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static const char *const zone_a[] = {
    "@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300",
    "@ 3600 RRSIG SOA",
    "@ 3600 NS ns1",
    "@ 3600 NS ns2.example.net.",
    "@ 3600 MX 10 mail",
    "ns1 3600 A 192.0.2.53",
    "ns1 3600 AAAA 2001:db8::53",
    "ns1 3600 RRSIG A",
    "mail 3600 A 192.0.2.25",
    "www 3600 A 192.0.2.80",
    "alias 300 CNAME www",
    "chain 300 CNAME alias",
    "dangling 300 CNAME nothere",
    "loop1 300 CNAME loop2",
    "loop2 300 CNAME loop1",
    "*.wild 600 A 192.0.2.99",
    "*.wild 600 MX 5 mail",
    "*.wc 600 CNAME www",
    "a.b.c 3600 A 192.0.2.7",
    "sub 3600 NS ns1.sub",
    "sub 3600 NS ns.other.net.",
    "sub 3600 DS 04d2 08 02 00112233",
    "ns1.sub 3600 A 192.0.2.100",
    "dn 3600 DNAME example.net.",
    "*.wloop 300 CNAME x.wloop",
    "*.wself 300 CNAME *.wself",
    "*.wring 300 CNAME a.wring2",
    "*.wring2 300 CNAME b.wring",
    "d1 3600 DNAME d2",
    "d2 3600 DNAME d3.example.com.",
    "d3 3600 DNAME d1",
    "c.d4 300 CNAME x.d1",
    "dd 3600 DNAME sub",
    "_sip._udp 3600 SRV 0 5 5060 sip",
    "sip 3600 A 192.0.2.60",
    "big 3600 TXT _ _ _",
    "big 3600 TXT _ _ x",
    NULL};
static const char *const zone_root[] = {
    "@ 86400 SOA a.root. n. 1 1800 900 604800 86400", "@ 86400 NS a.root.",
    "a.root. 86400 A 198.41.0.4", NULL};

static struct dns_zoneset *zs, *zs1;
static uint8_t resp[65536 + 1];

static void init(void)
{
    const void *b[2];
    size_t l[2];
    struct dns_auth_opts o = {.chaos = true,
                              .identity = "fuzz",
                              .version = "1",
                              .udp_max = 1232,
                              .nsid = (const uint8_t *)"fuzz-nsid",
                              .nsid_len = 9};

    b[0] = ta_zone("example.com.", zone_a, &l[0]);
    b[1] = ta_zone(".", zone_root, &l[1]);
    if (dns_zoneset_build(&zs, b, l, 2, &o, &ta) != 0 ||
        dns_zoneset_build(&zs1, b, l, 1, &o, &ta) != 0)
        abort();
    /* the blobs stay alive for the process: the set points into them */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_auth_stats st = {0};
    static const uint8_t secret[DNS_COOKIE_SECRET_LEN] = {1, 2, 3};
    static const struct tb_addr p4 = {.af = TB_AF_INET, .ip = {192, 0, 2, 1}};
    static const struct tb_addr p6 = {.af = TB_AF_INET6, .ip = {0x20, 1}};
    struct dns_cookie ck;
    struct dns_auth_env env = {0};
    struct dns_msg m;
    unsigned flags;
    size_t n, cap;

    if (zs == NULL)
        init();
    if (size < 1)
        return 0;
    flags = (data[0] & 1) ? DNS_AUTH_TCP : 0;
    cap = flags ? 65535 : 4096;
    data++;
    size--;
    resp[cap] = 0x5a;
    if (data[-1] & 4) {
        dns_cookie_init(&ck, secret, 1700000000ll * 1000000000ll,
                        (data[-1] & 16) != 0);
        env.cookie = &ck;
        env.peer = data[-1] & 8 ? &p6 : &p4;
        env.now = 12345;
        n = dns_auth_answer_env(data[-1] & 2 ? zs1 : zs, data, size, resp, cap,
                                flags, &env, &st);
        REQUIRE(env.cookie_res <= DNS_COOKIE_MALFORMED);
    } else {
        n = dns_auth_answer(data[-1] & 2 ? zs1 : zs, data, size, resp, cap,
                            flags, &st);
    }
    REQUIRE(resp[cap] == 0x5a);
    REQUIRE(n <= cap);
    REQUIRE(st.queries == 1);
    if (n == 0) {
        REQUIRE(st.dropped == 1);
        return 0;
    }
    REQUIRE(flags || n <= 1232);
    REQUIRE(n >= 12 && size >= 12);
    REQUIRE(resp[0] == data[0] && resp[1] == data[1]);
    REQUIRE(resp[2] & 0x80);
    REQUIRE(dns_msg_parse(&m, resp, n) == 0);
    if (m.count[DNS_SEC_QUESTION] == 1) {
        size_t qe = m.sec_off[DNS_SEC_ANSWER];
        REQUIRE(qe <= size && memcmp(resp + 12, data + 12, qe - 12) == 0);
    }
    return 0;
}
