/*
 * fuzz_auth.c -- the authoritative answer path on arbitrary query bytes.
 * A fixed zone set (two zones with CNAME chains, wildcards, a DNAME, a
 * delegation with glue, RRSIGs, an RRset too big for UDP, and the root;
 * and example., signed with NSEC3, for the DNSSEC proofs) is
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

/* example., signed by ldns-signzone -n -p -s ab -t 1 (NSEC3, opt-out,
 * 1 extra iteration) with a throw-away key: DO answers with NSEC3
 * proofs, RRSIGs, insecure and secure delegations, a DNAME. */
static const char zone_signed[] =
    "example. 300 IN SOA ns1.example. h.example. 1 3600 300 3600000 300\n"
    "example. 300 IN RRSIG SOA 13 1 300 20360101000000 20260101000000 5402 "
    "example. "
    "gwDJUl21DCiW2JNz4UmpMQrnZaB0oXOY1uk0PpHOssPiQRMtByeym24/"
    "eZRB3KpDSO2u0Bld9My7TuS3QelCBA==\n"
    "example. 300 IN NS ns1.example.\n"
    "example. 300 IN RRSIG NS 13 1 300 20360101000000 20260101000000 5402 "
    "example. "
    "moXbii3/wgVV+5eXj6KoKrw+rc5c3QsRxPKwbXMzqU8hnDCzu/"
    "Q53GFaDw4SaEAkI3eVzva3UJWSpkHEVHGB4Q==\n"
    "example. 300 IN DNSKEY 257 3 13 "
    "CZBnfA3Dk/MXQ6Di/"
    "k4WFJEkzQrSWdrkvDjgsQogTOeE2RzTqvQl9dTYdc69FDGWhuM6+Ple59F5DZVW/gDXBQ== "
    ";{id = 5402 (ksk), size = 256b}\n"
    "example. 300 IN RRSIG DNSKEY 13 1 300 20360101000000 20260101000000 5402 "
    "example. "
    "pR77xZ0x+rmPzg4gW3G1g1zRRYWzXD55lmn3iwwMexyPCXL50VbMouA43Ry+"
    "e9RAQ29y5D1UUTzgOOthPxeLhQ==\n"
    "example. 3600 IN NSEC3PARAM 1 0 1 ab \n"
    "example. 3600 IN RRSIG NSEC3PARAM 13 1 3600 20360101000000 20260101000000 "
    "5402 example. "
    "uVRRqUkG7WLxrtcXqxTI0ehu+M6jMA0OcjfaMYc81xkV0Jm+"
    "znGz4ObxtiCajjb1MZyRAOx6QWNmue1uAn4OeQ==\n"
    "voer6g5upasvpmnj4hdv9uc6odnbhnva.example. 300 IN NSEC3 1 1 1 ab  "
    "2eb25p9lqhtrsomih7sqrldfch1htoem NS SOA RRSIG DNSKEY NSEC3PARAM \n"
    "voer6g5upasvpmnj4hdv9uc6odnbhnva.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "C4QDPgc98ufLX4m4IvtirmW2xIHxjuWRGtvkZOjBXSiTOClfHj069ETzkWGGjz3VSJo06PZvLB"
    "1c5s7vZ3XO+A==\n"
    "7v6q21l70itrnnjgms4evkl8hcs7plvj.example. 300 IN NSEC3 1 1 1 ab  "
    "dr11a38nmfm7e8n1lvhiduj43emkoqpq\n"
    "7v6q21l70itrnnjgms4evkl8hcs7plvj.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "CPVN9V8+riWSlFvdlHQ2eM5wJ4yKLM+dJbbulMPnAnbH937e/y1x/"
    "c3LxU4NiuK5chDgVfivIj7nadWXfpHmIg==\n"
    "a.b.example. 300 IN TXT \"ent above\"\n"
    "a.b.example. 300 IN RRSIG TXT 13 3 300 20360101000000 20260101000000 5402 "
    "example. "
    "gEEal4kmg8Fw8/5lg/"
    "Y64F1ggOjs9K5doFoEAGGt+UAhF+X9FM+v6NXjPCLb2oBXNFVBWubFxN3UVRdpUfOlBQ==\n"
    "lf0q0edn363r89i8bgmid1udv1rjqa39.example. 300 IN NSEC3 1 1 1 ab  "
    "theb819or342mvneea4u1vopvg7rmg5h TXT RRSIG \n"
    "lf0q0edn363r89i8bgmid1udv1rjqa39.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "kCIlsyBtoWn1nCUrlyrjt8vB1kUOTAyYF4fL8fib3JilN7crbXnSu5Jn0UzUZgIT+"
    "qCS6ApB3QnbAxUhaaYHqw==\n"
    "dn.example. 300 IN DNAME b.example.\n"
    "dn.example. 300 IN RRSIG DNAME 13 2 300 20360101000000 20260101000000 "
    "5402 example. "
    "pH2BGoii/66L2kh8tkZD9YxXCM70XZwLmXmD7GJb3hcGopxG7ez6KOhZVXoNOE4BEvSJRG/"
    "X4XwXqrIjVEN8fw==\n"
    "i4a2c66dq27qrksa2o9abu1m81i5iuhe.example. 300 IN NSEC3 1 1 1 ab  "
    "lf0q0edn363r89i8bgmid1udv1rjqa39 DNAME RRSIG \n"
    "i4a2c66dq27qrksa2o9abu1m81i5iuhe.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "aCKVCa/JtyIhJPm61VmDPavkwqJJzQgfq/"
    "cqmqrBChqefag1YiSEFcOkV2qkdKbNJUSzJaRn6XkhwhDvUEw5cw==\n"
    "ns1.example. 300 IN A 192.0.2.1\n"
    "ns1.example. 300 IN RRSIG A 13 2 300 20360101000000 20260101000000 5402 "
    "example. "
    "f+cyZ0W0bhBihHg+XXT2QbPLMR+"
    "basQtxSCR5ttETZLFvQYrq2fWZ5aaLkJh3Mwfj1XsoMXCvmWOnhHuTDUMQg==\n"
    "theb819or342mvneea4u1vopvg7rmg5h.example. 300 IN NSEC3 1 1 1 ab  "
    "voer6g5upasvpmnj4hdv9uc6odnbhnva A RRSIG \n"
    "theb819or342mvneea4u1vopvg7rmg5h.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "5YkP/F4Tkmi/GWQuiRnM+BLF1pnI35iPnMLkJEuQwZJ4BgtC/"
    "Dqql7rRF59wAvYyI8WpgcPnm9nkbb0TvFnDJQ==\n"
    "sec.example. 300 IN NS ns1.example.\n"
    "sec.example. 300 IN DS 1 13 2 "
    "0011223344556677889900112233445566778899001122334455667788990011\n"
    "sec.example. 300 IN RRSIG DS 13 2 300 20360101000000 20260101000000 5402 "
    "example. "
    "uZA46iP/"
    "CXFrljYsi7bmkc35BgcGIZ4rY+PPoGsDpHPvujcI0jT5FZUrGHTc+zUFzThqCqZtXM8Px6/"
    "JbJuF8w==\n"
    "4863vbuugjovbg5ap8plj8rvum3r5f4l.example. 300 IN NSEC3 1 1 1 ab  "
    "7v6q21l70itrnnjgms4evkl8hcs7plvj NS DS RRSIG \n"
    "4863vbuugjovbg5ap8plj8rvum3r5f4l.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "2zo9smVBgzWa0MjVfQXzSHKvsncX8tLOx7Plbzq+"
    "9ctH77sMvquKYfiDj1cchGEVcA01FM36UAZgF+nBBibsnw==\n"
    "sub.example. 300 IN NS ns.sub.example.\n"
    "g23c1ccjinv4rnjee3a62gtca4veoqcq.example. 300 IN NSEC3 1 1 1 ab  "
    "i4a2c66dq27qrksa2o9abu1m81i5iuhe NS \n"
    "g23c1ccjinv4rnjee3a62gtca4veoqcq.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "9nZ1H+"
    "JC5PIxVKlLCeR3pkk4Gl0z5KecQ3UbEC5x97pkL7ygIDa5mfCzxc14YaaYILSg0yA6kt0XeZXF"
    "4djKYA==\n"
    "ns.sub.example. 300 IN A 192.0.2.3\n"
    "2eb25p9lqhtrsomih7sqrldfch1htoem.example. 300 IN NSEC3 1 1 1 ab  "
    "3lbfdhnep6kai6vd2pfv5ei1hss9glmm\n"
    "2eb25p9lqhtrsomih7sqrldfch1htoem.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "bE/rAr1X1js8hO85KG4TOhajPCmmxxJBH4/Jnzc/"
    "kCQ7P2H8WCIZtNP3KFnI9D4zuwotikLCGMPdFHbJr68Xvw==\n"
    "*.w.example. 300 IN MX 1 www.example.\n"
    "*.w.example. 300 IN RRSIG MX 13 2 300 20360101000000 20260101000000 5402 "
    "example. "
    "AEXJXWP6/Ca/"
    "4jKKIOPoe6bLPP5cSfl2NcJ4KRQbE+71CetNePG5F+"
    "7OKhmubb0g17SQeCwhflmiDYTyOZtHKg==\n"
    "3lbfdhnep6kai6vd2pfv5ei1hss9glmm.example. 300 IN NSEC3 1 1 1 ab  "
    "4863vbuugjovbg5ap8plj8rvum3r5f4l MX RRSIG \n"
    "3lbfdhnep6kai6vd2pfv5ei1hss9glmm.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "6Up4x5TsDQ4SLZwlJlxSca9SYCsY6MFlJXI83IGpFRSpuKoeYbzdKSdTiN2tLWS/"
    "+lM84oY1JfaY2j/b0pqS7Q==\n"
    "www.example. 300 IN A 192.0.2.2\n"
    "www.example. 300 IN RRSIG A 13 2 300 20360101000000 20260101000000 5402 "
    "example. "
    "GhMmCvVQvw5YZqZItkoUZtCzeeHPROUYZiT9Z2iU8iIkoa9escvIfMWEq19pds9LKdeNJ9q1ee"
    "pZm8LgEsgHWA==\n"
    "dr11a38nmfm7e8n1lvhiduj43emkoqpq.example. 300 IN NSEC3 1 1 1 ab  "
    "g23c1ccjinv4rnjee3a62gtca4veoqcq A RRSIG \n"
    "dr11a38nmfm7e8n1lvhiduj43emkoqpq.example. 300 IN RRSIG NSEC3 13 2 300 "
    "20360101000000 20260101000000 5402 example. "
    "AMncYDX91SvovPJ8l2rxOIyKXdxALsORM55Km5NNP8Vc0xNZc2uXOeS81X4R4WlTCvK4e/"
    "hsYGx9U297RRkjXw==\n";

static struct dns_zoneset *zs, *zs1;
static uint8_t resp[65536 + 1];

/* zone_signed compiled. */
static uint8_t *signed_zone(size_t *len)
{
    struct dns_zone_src z;
    struct dns_diag d = {0};
    struct tb_buf out;
    uint8_t o[16];

    ta_name("example.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    if (dns_zone_parse(&z, zone_signed, strlen(zone_signed), "signed", NULL,
                       &d) != 0 ||
        dns_zone_check(&z, &d) != 0)
        abort();
    tb_buf_init(&out, &ta);
    if (dns_zone_compile(&z, &out, NULL) != 0)
        abort();
    dns_zone_src_free(&z);
    *len = out.len;
    return out.data;
}

static void init(void)
{
    const void *b[3];
    size_t l[3];
    struct dns_auth_opts o = {.chaos = true,
                              .identity = "fuzz",
                              .version = "1",
                              .udp_max = 1232,
                              .nsid = (const uint8_t *)"fuzz-nsid",
                              .nsid_len = 9};

    b[0] = ta_zone("example.com.", zone_a, &l[0]);
    b[1] = ta_zone(".", zone_root, &l[1]);
    b[2] = signed_zone(&l[2]);
    if (dns_zoneset_build(&zs, b, l, 3, &o, &ta) != 0 ||
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
