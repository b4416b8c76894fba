/*
 * fuzz_tls_server.c -- the server side of DNS over TLS (lib/dns/tls.c)
 * on arbitrary network bytes: what a client sends before and instead of
 * a ClientHello (records, handshake messages, alerts, garbage), cut into
 * reads of arbitrary sizes, with the RFC 7766 session behind it
 * (dns_tls_pump_tcp) and the answers' records drained as a network would.
 *
 * Input: byte 0 picks the credentials (bit 7: RSA, else ECDSA) and the
 * size of each read ((byte & 0x7f) + 1 bytes); the rest is the stream.
 *
 * Invariants: the session never offers more room than its record buffer,
 * output is drained without end only while the session lives, a closed
 * session is done for the driver, and no byte outside the buffers is
 * touched (ASan).  The seed corpus holds ClientHellos of BearSSL, GnuTLS
 * (kdig +tls) and OpenSSL (s_client), and plain DNS over TCP.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include "../unit/tls_certs.h"
#include "zone_fix.h"
#include <tibra/dns/srv.h>
#include <tibra/dns/tls.h>

static struct dns_zoneset *zs;
static struct dns_tls_cred *cred[2];
static uint8_t *rbuf, *wbuf, *iobuf;
static struct dns_tls *tls;

static void init(void)
{
    size_t len;
    uint8_t *blob = ta_zone("example.com.", fix_zone, &len);
    const void *b[1] = {blob};
    const char *why;

    if (dns_zoneset_build(&zs, b, &len, 1, NULL, &ta) != 0 ||
        dns_tls_cred_load(&cred[0], tls_ec_pem, strlen(tls_ec_pem), tls_ec_key,
                          strlen(tls_ec_key), &ta, &why) != 0 ||
        dns_tls_cred_load(&cred[1], tls_rsa_pem, strlen(tls_rsa_pem),
                          tls_rsa_key, strlen(tls_rsa_key), &ta, &why) != 0)
        abort();
    rbuf = malloc(DNS_TCP_RBUF);
    wbuf = malloc(DNS_TCP_WBUF);
    iobuf = malloc(DNS_TLS_IOBUF);
    tls = malloc(sizeof(*tls));
    /* live for the process: libFuzzer never returns */
}

/* Takes what the session has to send; false if it would not stop. */
static bool drain(void)
{
    const uint8_t *p;
    size_t n;

    for (unsigned i = 0; i < 64; i++) {
        if ((n = dns_tls_output(tls, &p)) == 0)
            return true;
        REQUIRE(n <= DNS_TLS_IOBUF);
        dns_tls_sent(tls, n);
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_srv srv;
    static const struct dns_srv_conf conf = {.tcp_idle_ns = 10000000000ull};
    static const uint8_t seed[DNS_TLS_SEED_LEN] = {7};
    struct dns_tcp t;
    size_t off = 1, step;

    if (zs == NULL)
        init();
    if (size < 1)
        return 0;
    step = (size_t)(data[0] & 0x7f) + 1;
    dns_srv_init(&srv, zs, &conf);
    dns_tcp_open(&t, &srv, NULL, rbuf, wbuf, 1);
    dns_tls_server_open(tls, cred[data[0] >> 7], iobuf, seed);
    while (off < size) {
        uint8_t *dst;
        size_t room = dns_tls_rspace(tls, &dst);
        if (room == 0)
            break; /* closed, or waiting for a reader we do not model */
        REQUIRE(room <= DNS_TLS_IOBUF);
        size_t n = TB_MIN(TB_MIN(room, step), size - off);
        memcpy(dst, data + off, n);
        dns_tls_received(tls, n);
        off += n;
        dns_tls_pump_tcp(tls, &t, 1);
        REQUIRE(drain());
        if (dns_tls_closed(tls))
            REQUIRE(dns_tls_tcp_done(tls, &t));
    }
    return 0;
}
