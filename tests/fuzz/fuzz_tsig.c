/*
 * fuzz_tsig.c -- TSIG (lib/dns/tsig.c) and base64 (lib/base/base64.c) on
 * untrusted bytes.  The first input byte picks what the rest is:
 *
 *   0  base64 text for tb_base64_decode (a secret file, --tsig-key)
 *   1  a request: dns_tsig_find + dns_tsig_verify_request against the
 *      key "tsig-key." (hmac-sha256, secret 00 01 .. 1f), then
 *      dns_tsig_sign of a response when the check allows one
 *   2  responses to a request we signed: 2-byte lengths, each followed by
 *      a message for dns_tsig_verify_response (a transfer stream)
 *   3  a query for the service core's signed path (dns_tsig_answer) over
 *      a small zone, UDP and TCP
 *   4  a TCP stream into a service core with that key set and transfers
 *      allowed (allow-transfer 127.0.0.0/8 with the key, 192.0.2.0/24
 *      without): signed AXFR/IXFR requests verified, streams signed
 *
 * The second byte moves the fake clock by (b - 128) * 4 seconds from the
 * vectors' time.  Invariants: nothing is read or written outside the
 * buffers (ASan), decoded base64 never exceeds its capacity, a request
 * found authentic names our key, signing a response always fits the room
 * DNS_TSIG_RR_MAX promises, a failed stream stays failed, and a response
 * dns_tsig_answer() returns parses with dns_msg_parse() and, unless it is
 * FORMERR, ends with a TSIG RR when the query had one.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include <tibra/dns/auth.h>
#include <tibra/dns/srv.h>
#include <tibra/dns/tsig.h>
#include <tibra/dns/wire.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

#define T0 1700000000ull

static const char *const zone[] = {
    "@ 3600 SOA ns1 hostmaster 1 7200 3600 1209600 300", "@ 3600 NS ns1",
    "ns1 3600 A 192.0.2.53", "www 3600 A 192.0.2.80", NULL};

static struct dns_zoneset *zs;
static struct dns_srv_conf sconf;
static struct dns_acl acl[2];
static struct dns_xfr_zone xz;
static struct dns_xfr_conf xc;
static uint8_t *rbuf, *wbuf;
static struct dns_tsig_key key;
static struct dns_tsig_keyring kr;

static void init(void)
{
    static const uint8_t name[] = "\x08tsig-key";
    uint8_t secret[32];
    size_t len;
    uint8_t *blob, o[DNS_NAME_MAXLEN];
    struct dns_zone_src z;
    struct tb_buf out;
    const void *b[1];

    /* The zone with its records section, for transfers. */
    ta_name("example.com.", NULL, o);
    dns_zone_src_init(&z, o, &ta);
    for (size_t i = 0; zone[i] != NULL; i++)
        ta_rr(&z, zone[i]);
    tb_buf_init(&out, &ta);
    if (dns_zone_compile_flags(&z, &out, NULL, DNS_ZONE_COMPILE_RECORDS) != 0)
        abort();
    dns_zone_src_free(&z);
    blob = out.data;
    len = out.len;
    b[0] = blob;

    for (int i = 0; i < 32; i++)
        secret[i] = (uint8_t)i;
    if (dns_zoneset_build(&zs, b, &len, 1, NULL, &ta) != 0 ||
        dns_tsig_key_init(&key, name, sizeof(name), DNS_TSIG_HMAC_SHA256,
                          secret, sizeof(secret)) != 0)
        abort();
    dns_tsig_keyring_init(&kr, &key, 1);
    acl[0] = (struct dns_acl){.addr = {.af = TB_AF_INET, .ip = {127}},
                              .plen = 8,
                              .key = key.name};
    acl[1] = (struct dns_acl){.addr = {.af = TB_AF_INET, .ip = {192, 0, 2}},
                              .plen = 24};
    memcpy(xz.origin, o, sizeof(o));
    xz.allow = acl;
    xz.nallow = 2;
    xc.zones = &xz;
    xc.n = 1;
    rbuf = malloc(DNS_TCP_RBUF);
    wbuf = malloc(DNS_TCP_WBUF);
    /* blob and zs live for the process: libFuzzer never returns */
}

static void base64(const uint8_t *p, size_t n)
{
    uint8_t out[64 + 8];
    int r;

    memset(out + 64, 0xa5, 8);
    r = tb_base64_decode((const char *)p, n, out, 64);
    REQUIRE(r <= 64 && (r >= 0 || r == TB_EMALF || r == TB_ESPACE));
    for (int i = 64; i < 72; i++)
        REQUIRE(out[i] == 0xa5);
}

static void request(const uint8_t *p, size_t n, uint64_t now)
{
    static uint8_t resp[DNS_HDR_LEN + DNS_TSIG_RR_MAX];
    struct dns_tsig_ctx ctx, again;
    size_t off, len;

    if (dns_tsig_find(p, n, &off) != 0)
        return;
    REQUIRE(off >= DNS_HDR_LEN && off < n);
    if (dns_tsig_verify_request(&kr, p, n, off, now, &ctx) != 0)
        return;
    if (ctx.error == 0)
        REQUIRE(ctx.key == &key);
    memcpy(resp, p, DNS_HDR_LEN);
    resp[2] |= 0x80;
    memset(resp + 4, 0, 8);
    len = dns_tsig_sign(&ctx, resp, DNS_HDR_LEN, sizeof(resp), now);
    REQUIRE(len > DNS_HDR_LEN && len <= sizeof(resp));
    REQUIRE(dns_tsig_find(resp, len, &off) == 0);
    /* A second message of a stream, when the first was signed. */
    again = ctx;
    len = dns_tsig_sign(&again, resp, DNS_HDR_LEN, sizeof(resp), now);
    REQUIRE(len != 0);
}

static void stream(const uint8_t *p, size_t n, uint64_t now)
{
    uint8_t q[512];
    struct dns_tsig_ctx ctx;
    size_t qn =
        ta_query(q, "example.com.", DNS_TYPE_AXFR, DNS_CLASS_IN, -1, false);

    REQUIRE(dns_tsig_sign_request(&ctx, &key, q, qn, sizeof(q), T0) != 0);
    while (n >= 2) {
        size_t m = tb_get16(p);
        int r;
        p += 2;
        n -= 2;
        if (m > n)
            m = n;
        r = dns_tsig_verify_response(&ctx, p, m, now);
        REQUIRE(r == DNS_TSIG_VERIFIED || r == DNS_TSIG_UNSIGNED ||
                r == TB_EPERM || r == TB_EMALF);
        if (r < 0)
            REQUIRE(dns_tsig_verify_response(&ctx, p, m, now) == r);
        p += m;
        n -= m;
    }
}

static void answer(const uint8_t *p, size_t n, uint64_t now)
{
    static uint8_t resp[DNS_MSG_MAXLEN];
    struct dns_auth_stats st = {0};
    struct dns_msg m;
    size_t off;

    for (unsigned flags = 0; flags <= DNS_AUTH_TCP; flags += DNS_AUTH_TCP) {
        size_t len = kr.answer(&kr, zs, p, n, resp, flags ? sizeof(resp) : 1232,
                               flags, NULL, now, &st);
        if (len == 0)
            continue;
        REQUIRE(len <= (flags ? sizeof(resp) : 1232));
        REQUIRE(dns_msg_parse(&m, resp, len) == 0);
        if (dns_tsig_find(p, n, &off) == 0 &&
            DNS_RCODE(tb_get16(resp + 2)) != DNS_RCODE_FORMERR)
            REQUIRE(m.tsig_off != 0);
    }
}

/* A TCP session of a service core with keys and transfers: the input is
 * the stream (framed queries), read in one go, then drained; every
 * output frame parses. */
static void session(const uint8_t *p, size_t n, uint64_t now_s, bool doc)
{
    struct dns_srv s;
    struct dns_tcp t;
    struct tb_addr peer = {.af = TB_AF_INET, .port = 5000};
    uint8_t *in;
    const uint8_t *out;
    size_t room, k;

    peer.ip[0] = doc ? 192 : 127;
    peer.ip[1] = doc ? 0 : 0;
    peer.ip[2] = doc ? 2 : 0;
    peer.ip[3] = 1;
    dns_srv_init(&s, zs, &sconf);
    s.keys = &kr;
    s.xfr = &xc;
    s.wall_off_ns = (int64_t)(now_s * 1000000000ull) - 1000000000;
    dns_tcp_open(&t, &s, &peer, rbuf, wbuf, 1000000000);
    for (int round = 0; round < 64 && !dns_tcp_done(&t); round++) {
        if ((room = dns_tcp_rspace(&t, &in)) > 0 && n > 0) {
            k = room < n ? room : n;
            memcpy(in, p, k);
            p += k;
            n -= k;
            dns_tcp_received(&t, k, 1000000000);
        } else if (n == 0 && round > 0) {
            dns_tcp_eof(&t, 1000000000);
        }
        while ((k = dns_tcp_output(&t, &out)) > 0) {
            size_t off = 0;
            struct dns_msg m;
            while (k - off >= 2 && k - off - 2 >= tb_get16(out + off)) {
                REQUIRE(dns_msg_parse(&m, out + off + 2, tb_get16(out + off)) ==
                        0);
                off += 2u + tb_get16(out + off);
            }
            REQUIRE(off == k); /* whole frames only */
            dns_tcp_sent(&t, k, 1000000000);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    uint64_t now;

    if (!ready) {
        init();
        ready = true;
    }
    if (size < 2)
        return 0;
    now = T0 + (uint64_t)((int64_t)data[1] - 128) * 4;
    switch (data[0] & 7) {
    case 0:
        base64(data + 2, size - 2);
        break;
    case 1:
        request(data + 2, size - 2, now);
        break;
    case 2:
        stream(data + 2, size - 2, now);
        break;
    case 4:
    case 5:
        session(data + 2, size - 2, now, data[0] & 1);
        break;
    default:
        answer(data + 2, size - 2, now);
        break;
    }
    return 0;
}
