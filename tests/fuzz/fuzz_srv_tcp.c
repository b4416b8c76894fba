/*
 * fuzz_srv_tcp.c -- the service core's TCP session (lib/dns/srv.c) on an
 * arbitrary byte stream cut into arbitrary reads, with sends of arbitrary
 * sizes, EOF and clock jumps in between.  Input: a script of commands,
 * each one byte:
 *
 *   0x00-0x7f  read: the next (c + 1) input bytes are the stream's next
 *              bytes (as many as the session has room for)
 *   0x80-0xbf  send: the transport accepts (c & 0x3f) * 97 + 1 bytes
 *   0xc0-0xdf  time: the clock moves by (c & 0x1f) seconds, then expire
 *   0xe0-0xff  eof
 *
 * DNS Cookies are on (a fixed secret, an IPv4 peer), so COOKIE options in
 * the stream take the cookie path.
 *
 * Invariants: the session never offers more room than its buffer, output
 * is always a sequence of whole framed responses each of which parses with
 * dns_msg_parse() and has QR set, a done session offers no room, and no
 * byte outside the buffers is touched (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include "zone_fix.h"
#include <tibra/dns/srv.h>

static struct dns_zoneset *zs;
static uint8_t *rbuf, *wbuf;

static void init(void)
{
    size_t len;
    uint8_t *blob = ta_zone("example.com.", fix_zone, &len);
    const void *b[1] = {blob};

    if (dns_zoneset_build(&zs, b, &len, 1, NULL, &ta) != 0)
        abort();
    rbuf = malloc(DNS_TCP_RBUF);
    wbuf = malloc(DNS_TCP_WBUF);
    /* blob and zs live for the process: libFuzzer never returns */
}

/* Checks the framing of the pending output (p, n), whose first (skip)
 * bytes are the rest of a frame partly sent already. */
static void check_output(const uint8_t *p, size_t n, size_t skip)
{
    size_t off = skip < n ? skip : n;

    while (off + 2 <= n) {
        size_t m = tb_get16(p + off);
        REQUIRE(m >= DNS_HDR_LEN);
        REQUIRE(off + 2 + m <= n); /* whole messages only */
        struct dns_msg msg;
        REQUIRE(dns_msg_parse(&msg, p + off + 2, m) == 0);
        REQUIRE(msg.flags & DNS_FLAG_QR);
        off += 2 + m;
    }
    REQUIRE(off == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_srv srv;
    static const struct dns_srv_conf conf = {.tcp_idle_ns = 10000000000ull,
                                             .tcp_max_queries = 50};
    static const uint8_t secret[DNS_COOKIE_SECRET_LEN] = {9, 8, 7};
    static const struct tb_addr peer = {.af = TB_AF_INET,
                                        .ip = {198, 51, 100, 7}};
    static struct dns_cookie ck;
    struct dns_tcp t;
    uint64_t now = 1;
    size_t i = 0, skip = 0;

    if (zs == NULL)
        init();
    dns_srv_init(&srv, zs, &conf);
    dns_cookie_init(&ck, secret, 1700000000ll * 1000000000ll, true);
    srv.cookie = &ck;
    dns_tcp_open(&t, &srv, &peer, rbuf, wbuf, now);
    while (i < size) {
        uint8_t c = data[i++];
        const uint8_t *out;
        size_t n = dns_tcp_output(&t, &out);
        if (n)
            check_output(out, n, skip);
        if (c < 0x80) {
            uint8_t *dst;
            size_t room = dns_tcp_rspace(&t, &dst), k = (size_t)c + 1;
            REQUIRE(room <= DNS_TCP_RBUF);
            if (dns_tcp_done(&t))
                REQUIRE(room == 0);
            k = k < size - i ? k : size - i;
            k = k < room ? k : room;
            if (k == 0)
                continue;
            memcpy(dst, data + i, k);
            i += k;
            dns_tcp_received(&t, k, now);
        } else if (c < 0xc0) {
            size_t k = (size_t)(c & 0x3f) * 97 + 1;
            k = k < n ? k : n;
            if (k == 0)
                continue;
            /* Where the first frame boundary after the sent bytes is:
             * frames start at (skip), past a partly sent one. */
            size_t off = skip;
            if (k <= off) {
                skip = off - k;
            } else {
                while (off + 2 + tb_get16(out + off) <= k)
                    off += 2 + tb_get16(out + off);
                skip = off < k ? off + 2 + tb_get16(out + off) - k : 0;
            }
            dns_tcp_sent(&t, k, now);
        } else if (c < 0xe0) {
            now += (uint64_t)(c & 0x1f) * 1000000000ull;
            dns_tcp_expire(&t, now);
            /* Not expired: the deadline lies ahead. */
            REQUIRE(dns_tcp_done(&t) || dns_tcp_deadline(&t) > now);
        } else {
            dns_tcp_eof(&t, now);
        }
        if (dns_tcp_done(&t)) {
            uint8_t *dst;
            REQUIRE(dns_tcp_rspace(&t, &dst) == 0);
        }
    }
    return 0;
}
