/*
 * test_tls.c -- DNS over TLS (lib/dns/tls.c): two BearSSL engines in
 * memory, a client session (dns_tls_client_open) and a server session
 * with an RFC 7766 session behind it (dns_tls_pump_tcp, srv.c), bytes
 * carried between them in chunks of varying sizes.  Checks: credentials
 * (ECDSA and RSA, PEM) load and a key that is not the certificate's is
 * refused; pipelined queries are answered in order over both key types;
 * a wrong authentication name or an unknown CA fails the client's
 * handshake; garbage instead of a ClientHello ends the server session;
 * a client that stalls in the handshake is closed at the idle deadline;
 * close_notify from the client ends the session; back-pressure: a client
 * that does not read stops the server's reading.  Pipelining inside one
 * record and across records is checked with reads cut at 1 and 7 bytes.
 */
#include "check.h"
#include "test_auth_util.h"
#include "tls_certs.h"
#include <tibra/dns/srv.h>
#include <tibra/dns/tls.h>

#define SEC    1000000000ull
#define UNIX_S 1900000000 /* 2030: within the test certificates */

static const char *const zone[] = {
    "@ 3600 SOA ns1 host 1 7200 3600 1209600 300", "@ 3600 NS ns1",
    "ns1 3600 A 192.0.2.1", "www 3600 A 192.0.2.80", NULL};

static struct dns_zoneset *zs;
static uint8_t *blob;
static size_t blob_len;
static struct dns_srv_conf conf = {.tcp_idle_ns = 10 * SEC};
static struct dns_srv srv;
static uint8_t rbuf[DNS_TCP_RBUF], wbuf[DNS_TCP_WBUF];
static uint8_t siob[DNS_TLS_IOBUF], ciob[DNS_TLS_IOBUF];
static struct dns_tls cs, ss;
static struct dns_tcp tcp;
static struct dns_tls_cred *cred_ec, *cred_rsa;
static struct dns_tls_trust *trust;
static const uint8_t seed[DNS_TLS_SEED_LEN] = {1, 2, 3};

static void setup(void)
{
    const void *b[1];
    size_t l[1];
    const char *why = NULL;

    blob = ta_zone("example.com.", zone, &blob_len);
    b[0] = blob;
    l[0] = blob_len;
    REQUIRE(dns_zoneset_build(&zs, b, l, 1, NULL, &ta) == 0);
    dns_srv_init(&srv, zs, &conf);
    REQUIRE(dns_tls_cred_load(&cred_ec, tls_ec_pem, strlen(tls_ec_pem),
                              tls_ec_key, strlen(tls_ec_key), &ta, &why) == 0);
    REQUIRE(dns_tls_cred_load(&cred_rsa, tls_rsa_pem, strlen(tls_rsa_pem),
                              tls_rsa_key, strlen(tls_rsa_key), &ta,
                              &why) == 0);
    REQUIRE(dns_tls_trust_load(&trust, tls_ca_pem, strlen(tls_ca_pem), &ta,
                               &why) == 0);
}

static void test_load(void)
{
    struct dns_tls_cred *c = NULL;
    struct dns_tls_trust *t = NULL;
    const char *why = NULL;

    CHECK_STR(dns_tls_cred_type(cred_ec), "ECDSA");
    CHECK_STR(dns_tls_cred_type(cred_rsa), "RSA");
    /* the EC key with the RSA certificate, and the other way round */
    CHECK_EQ(dns_tls_cred_load(&c, tls_rsa_pem, strlen(tls_rsa_pem), tls_ec_key,
                               strlen(tls_ec_key), &ta, &why),
             TB_EINVAL);
    CHECK(c == NULL && why != NULL);
    CHECK_EQ(dns_tls_cred_load(&c, tls_ec_pem, strlen(tls_ec_pem), tls_rsa_key,
                               strlen(tls_rsa_key), &ta, &why),
             TB_EINVAL);
    /* no certificate, no key, garbage */
    CHECK_EQ(dns_tls_cred_load(&c, tls_ec_key, strlen(tls_ec_key), tls_ec_key,
                               strlen(tls_ec_key), &ta, &why),
             TB_EMALF);
    CHECK_EQ(dns_tls_cred_load(&c, tls_ec_pem, strlen(tls_ec_pem), tls_ec_pem,
                               strlen(tls_ec_pem), &ta, &why),
             TB_EMALF);
    CHECK_EQ(dns_tls_cred_load(&c, "hello", 5, "x", 1, &ta, &why), TB_EMALF);
    CHECK_EQ(dns_tls_trust_load(&t,
                                "-----BEGIN CERTIFICATE-----\nAAAA\n"
                                "-----END CERTIFICATE-----\n",
                                63, &ta, &why),
             TB_EMALF);
    CHECK(t == NULL);
    /* a chain of the server certificate then the CA, without the final
     * line break: both certificates kept */
    char chain[8192];
    size_t n = strlen(tls_ec_pem);
    memcpy(chain, tls_ec_pem, n);
    memcpy(chain + n, tls_ca_pem, strlen(tls_ca_pem) - 1);
    n += strlen(tls_ca_pem) - 1;
    CHECK_EQ(dns_tls_cred_load(&c, chain, n, tls_ec_key, strlen(tls_ec_key),
                               &ta, &why),
             0);
    dns_tls_cred_free(c);
}

/* Moves ciphertext one way, at most (step) bytes per write. */
static bool carry(struct dns_tls *from, struct dns_tls *to, size_t step)
{
    const uint8_t *p;
    uint8_t *d;
    size_t n, room;
    bool moved = false;

    while ((n = dns_tls_output(from, &p)) > 0 &&
           (room = dns_tls_rspace(to, &d)) > 0) {
        n = TB_MIN(TB_MIN(n, room), step);
        memcpy(d, p, n);
        dns_tls_sent(from, n);
        dns_tls_received(to, n);
        moved = true;
    }
    return moved;
}

/* Runs both sides until nothing moves. */
static void run(size_t step, uint64_t now)
{
    for (unsigned i = 0; i < 10000; i++) {
        bool a = carry(&cs, &ss, step);
        dns_tls_pump_tcp(&ss, &tcp, now);
        bool b = carry(&ss, &cs, step);
        dns_tls_pump_tcp(&ss, &tcp, now);
        if (!a && !b)
            return;
    }
    CHECK(!"run: no end");
}

static void open_pair(const struct dns_tls_cred *cr, const char *name)
{
    static const struct tb_addr peer = {.af = TB_AF_INET,
                                        .ip = {198, 51, 100, 7}};

    dns_tls_server_open(&ss, cr, siob, seed);
    REQUIRE(dns_tls_client_open(&cs, trust, name, UNIX_S, ciob, seed) == 0);
    dns_tcp_open(&tcp, &srv, &peer, rbuf, wbuf, 0);
}

/* Writes (n) framed queries for www.example.com A as client data. */
static void send_queries(unsigned n)
{
    uint8_t q[512], *d;

    for (unsigned i = 0; i < n; i++) {
        size_t m = ta_query(q + 2, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN,
                            -1, false);
        tb_put16(q, (uint16_t)m);
        tb_put16(q + 2, (uint16_t)(0x100 + i)); /* ID */
        REQUIRE(dns_tls_app_space(&cs, &d) >= m + 2);
        memcpy(d, q, m + 2);
        dns_tls_app_written(&cs, m + 2);
    }
    dns_tls_app_flush(&cs);
}

/* Reads the client's plaintext: the count of framed answers with the
 * IDs in order and NOERROR with one answer each. */
static unsigned read_answers(void)
{
    static uint8_t acc[65536];
    static size_t alen;
    const uint8_t *p;
    size_t n;
    unsigned got = 0;

    alen = 0;
    while ((n = dns_tls_app_input(&cs, &p)) > 0) {
        if (alen + n > sizeof(acc))
            abort();
        memcpy(acc + alen, p, n);
        alen += n;
        dns_tls_app_consumed(&cs, n);
    }
    for (size_t off = 0; off + 2 <= alen;) {
        size_t m = tb_get16(acc + off);
        if (off + 2 + m > alen)
            break;
        const uint8_t *r = acc + off + 2;
        CHECK_EQ(tb_get16(r), 0x100 + got);
        CHECK_EQ(r[3] & 0xf, DNS_RCODE_NOERROR);
        CHECK_EQ(tb_get16(r + 6), 1);
        got++;
        off += 2 + m;
    }
    return got;
}

static void pipelined(const struct dns_tls_cred *cr, size_t step)
{
    open_pair(cr, "dns.example.test");
    run(step, 0);
    CHECK(dns_tls_ready(&cs));
    CHECK(dns_tls_ready(&ss));
    send_queries(3);
    run(step, 1);
    CHECK_EQ(read_answers(), 3);
    CHECK(!dns_tls_tcp_done(&ss, &tcp));
    /* close_notify from the client: the session ends */
    dns_tls_close(&cs);
    run(step, 2);
    CHECK(dns_tls_tcp_done(&ss, &tcp));
    CHECK_EQ(dns_tls_error(&ss), 0);
}

static void test_pipelined(void)
{
    pipelined(cred_ec, 100000);
    pipelined(cred_ec, 7); /* records cut into small reads */
    pipelined(cred_rsa, 100000);
    pipelined(cred_rsa, 1);
}

static void test_bad_name(void)
{
    open_pair(cred_ec, "other.example.test");
    run(100000, 0);
    CHECK(dns_tls_closed(&cs));
    CHECK(!dns_tls_ready(&cs));
    CHECK(dns_tls_error(&cs) != 0);
    /* BearSSL fails without an alert: the server waits for the rest of
     * the handshake until the idle timeout closes the connection */
    CHECK(!dns_tls_tcp_done(&ss, &tcp));
    CHECK(dns_tcp_expire(&tcp, 10 * SEC));
    dns_tls_pump_tcp(&ss, &tcp, 10 * SEC);
    CHECK(dns_tcp_done(&tcp));
}

static void test_unknown_ca(void)
{
    struct dns_tls_trust *other = NULL;
    const char *why;

    /* the server's own certificate as the only anchor is not its CA:
     * BearSSL accepts an anchor only as an issuer (BR_X509_TA_CA) */
    REQUIRE(dns_tls_trust_load(&other, tls_rsa_pem, strlen(tls_rsa_pem), &ta,
                               &why) == 0);
    dns_tls_server_open(&ss, cred_ec, siob, seed);
    REQUIRE(dns_tls_client_open(&cs, other, "dns.example.test", UNIX_S, ciob,
                                seed) == 0);
    dns_tcp_open(&tcp, &srv, NULL, rbuf, wbuf, 0);
    run(100000, 0);
    CHECK(dns_tls_closed(&cs));
    CHECK(dns_tls_error(&cs) != 0);
    dns_tls_trust_free(other);
}

/* Gives the server (p, n) as the network would, as far as it takes them;
 * returns how many it took. */
static size_t push(const uint8_t *p, size_t n, uint64_t now)
{
    size_t done = 0, room;
    uint8_t *d;

    while (done < n && (room = dns_tls_rspace(&ss, &d)) > 0) {
        room = TB_MIN(room, n - done);
        memcpy(d, p + done, room);
        dns_tls_received(&ss, room);
        dns_tls_pump_tcp(&ss, &tcp, now);
        done += room;
    }
    return done;
}

static void test_garbage(void)
{
    uint8_t q[512];
    uint64_t tcp0 = srv.st.tcp;

    open_pair(cred_ec, "dns.example.test");
    /* a plain DNS-over-TCP query where a ClientHello belongs */
    size_t m = ta_query(q + 2, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1,
                        false);
    tb_put16(q, (uint16_t)m);
    CHECK(push(q, m + 2, 0) < m + 2); /* refused before its end */
    CHECK(dns_tls_closed(&ss));
    CHECK(dns_tls_error(&ss) != 0);
    CHECK(dns_tls_tcp_done(&ss, &tcp));
    CHECK_EQ(srv.st.tcp, tcp0); /* nothing answered */
}

static void test_stalled_handshake(void)
{
    const uint8_t *p;

    open_pair(cred_ec, "dns.example.test");
    /* ten bytes of the ClientHello, then nothing */
    size_t n = dns_tls_output(&cs, &p);
    REQUIRE(n > 10);
    CHECK_EQ(push(p, 10, 1 * SEC), 10);
    CHECK(!dns_tls_tcp_done(&ss, &tcp));
    CHECK_EQ(dns_tcp_deadline(&tcp), 10 * SEC); /* from the accept */
    CHECK(!dns_tcp_expire(&tcp, 9 * SEC));
    CHECK(dns_tcp_expire(&tcp, 10 * SEC));
    dns_tls_pump_tcp(&ss, &tcp, 10 * SEC);
    CHECK(dns_tls_tcp_done(&ss, &tcp) || dns_tcp_done(&tcp));
}

static void test_backpressure(void)
{
    const uint8_t *p;
    uint8_t *d;
    unsigned sent = 0;

    open_pair(cred_ec, "dns.example.test");
    run(100000, 0);
    REQUIRE(dns_tls_ready(&cs));
    /* The client writes queries and never reads: the server's answers
     * fill its records, then its session, then it reads no more. */
    for (unsigned round = 0; round < 2000; round++) {
        uint8_t *a;
        if (dns_tls_app_space(&cs, &a) >= 64) {
            send_queries(1);
            sent++;
        }
        bool moved = carry(&cs, &ss, 100000);
        dns_tls_pump_tcp(&ss, &tcp, 1);
        if (!moved && dns_tls_app_space(&cs, &a) < 64)
            break;
    }
    /* BearSSL builds one outgoing record at a time: while a record of
     * answers waits for the network, no answer is taken, so reading
     * stops after the first answers that cannot leave */
    CHECK(sent >= 2);
    CHECK_EQ(dns_tls_rspace(&ss, &d), 0); /* stopped reading */
    CHECK(dns_tls_output(&ss, &p) > 0); /* answers waiting for the network */
    CHECK(!dns_tls_tcp_done(&ss, &tcp));
}

int main(void)
{
    setup();
    RUN(test_load);
    RUN(test_pipelined);
    RUN(test_bad_name);
    RUN(test_unknown_ca);
    RUN(test_garbage);
    RUN(test_stalled_handshake);
    RUN(test_backpressure);
    dns_tls_cred_free(cred_ec);
    dns_tls_cred_free(cred_rsa);
    dns_tls_trust_free(trust);
    dns_zoneset_free(zs, &ta);
    free(blob);
    return check_done();
}
