/*
 * test_svc_tls.c -- DNS over TLS in the service file (lib/svc/svc.c):
 * tls-listen (port 853 by default) with tls-certificate and tls-key, the
 * resolver's tls-listen, forward-tls ZONE ADDR... name NAME with tls-ca,
 * and every refusal with its FILE:LINE: tls-listen without a certificate,
 * for an image, forward-tls without a name or without tls-ca, one server
 * address given two names.
 */
#include <stdlib.h>
#include <string.h>
#include <tibra/svc.h>

#include "check.h"
#include "test_svc_parse.h"

static void listeners(void)
{
    struct svc_conf c;

    CHECK_EQ(parse(&c, HEAD "  tls-listen 127.0.0.1; tls-listen [::1]@8853\n"
                            "  tls-certificate certs/ns1.pem\n"
                            "  tls-key /etc/keys/ns1.key\n"
                            "resolver: listen 127.0.0.1@5300\n"
                            "  tls-listen 127.0.0.1@8530 192.0.2.1\n"),
             0);
    REQUIRE(c.ntls_listen == 2);
    CHECK_EQ(c.tls_listen[0].port, 853);
    CHECK_EQ(c.tls_listen[1].port, 8853);
    CHECK_EQ(c.tls_listen[1].family, 6);
    CHECK_STR(c.tls_certificate, "/etc/tibra/certs/ns1.pem");
    CHECK_STR(c.tls_key, "/etc/keys/ns1.key");
    CHECK_EQ(c.tls_line, 3);
    REQUIRE(c.resolver.ntls_listen == 2);
    CHECK_EQ(c.resolver.tls_listen[0].port, 8530);
    CHECK_EQ(c.resolver.tls_listen[1].port, 853);
    svc_conf_free(&c);

    /* no certificate; a certificate without tls-listen (a warning) */
    CHECK(parse(&c, HEAD "  tls-listen 127.0.0.1\n") != 0);
    CHECK(strstr(diag_text, "ns1.conf:2: tls-listen needs tls-certificate") !=
          NULL);
    svc_conf_free(&c);
    CHECK_EQ(parse(&c, HEAD "  tls-certificate a.pem; tls-key a.key\n"), 0);
    CHECK(strstr(diag_text, "warning: /etc/tibra/ns1.conf:2: "
                            "tls-certificate and tls-key are unused") != NULL);
    svc_conf_free(&c);
    /* twice; an image */
    CHECK(parse(&c, HEAD "  tls-listen 127.0.0.1; tls-listen 127.0.0.1@853\n"
                         "  tls-certificate a.pem; tls-key a.key\n") != 0);
    CHECK(strstr(diag_text, "given twice") != NULL);
    svc_conf_free(&c);
    CHECK(parse(&c, "service: target hvt; address 10.0.0.2/24\n"
                    "  tls-listen 10.0.0.2\n"
                    "  tls-certificate a.pem; tls-key a.key\n") != 0);
    CHECK(strstr(diag_text, "ns1.conf:2: tls-listen: DNS over TLS is served "
                            "by target unix only") != NULL);
    svc_conf_free(&c);
}

static void forwarding(void)
{
    struct svc_conf c;

    CHECK_EQ(parse(&c, HEAD "resolver: listen 127.0.0.1@5300\n"
                            "  forward-tls . 192.0.2.1 192.0.2.2@8853 name "
                            "dns.example.net\n"
                            "  forward example.org 192.0.2.9\n"
                            "  tls-ca /etc/ssl/certs/ca-certificates.crt\n"),
             0);
    REQUIRE(c.resolver.nfwd == 2);
    CHECK(c.resolver.fwd[0].tls && c.resolver.fwd[0].recursive);
    REQUIRE(c.resolver.fwd[0].naddr == 2);
    CHECK_EQ(c.resolver.fwd[0].addr[0].port, 853);
    CHECK_EQ(c.resolver.fwd[0].addr[1].port, 8853);
    CHECK_STR(c.resolver.fwd[0].auth[0], "dns.example.net");
    CHECK_STR(c.resolver.fwd[0].auth[1], "dns.example.net");
    CHECK(!c.resolver.fwd[1].tls);
    CHECK_EQ(c.resolver.fwd[1].addr[0].port, 53);
    CHECK_STR(c.resolver.tls_ca, "/etc/ssl/certs/ca-certificates.crt");
    svc_conf_free(&c);

    /* no name; no tls-ca; two names for one server; an image */
    CHECK(parse(&c, HEAD "resolver: listen 127.0.0.1@5300\n"
                         "  forward-tls . 192.0.2.1\n"
                         "  tls-ca ca.pem\n") != 0);
    CHECK(strstr(diag_text, "ns1.conf:3: resolver: forward-tls needs ZONE "
                            "ADDR[@PORT]... name NAME") != NULL);
    svc_conf_free(&c);
    CHECK(parse(&c, HEAD "resolver: listen 127.0.0.1@5300\n"
                         "  forward-tls . 192.0.2.1 name a.example\n") != 0);
    CHECK(strstr(diag_text, "ns1.conf:3: resolver: forward-tls needs tls-ca") !=
          NULL);
    svc_conf_free(&c);
    CHECK(parse(&c,
                HEAD "resolver: listen 127.0.0.1@5300; tls-ca ca.pem\n"
                     "  forward-tls . 192.0.2.1 name a.example\n"
                     "  forward-tls org 192.0.2.1@853 name b.example\n") != 0);
    CHECK(strstr(diag_text, "ns1.conf:4: resolver: forward-tls: a server "
                            "given name a.example before") != NULL);
    svc_conf_free(&c);
    CHECK(parse(&c, "service: target spt; address 10.0.0.2/24\n"
                    "resolver: listen 10.0.0.2@5300; tls-ca ca.pem\n"
                    "  forward-tls . 192.0.2.1 name a.example\n") != 0);
    CHECK(strstr(diag_text, "ns1.conf:3: resolver: forward-tls: DNS over TLS "
                            "is for target unix only") != NULL);
    svc_conf_free(&c);
}

int main(void)
{
    RUN(listeners);
    RUN(forwarding);
    return check_done();
}
