/*
 * test_svc.c -- unit tests for the service-file parser (lib/svc): the
 * syntax (statements, continuation lines, `;`, comments, quoted strings),
 * every service and zone key with its bounds, file:line of every error,
 * relative paths, the whole-service checks, IP address text forms, and
 * that every allocation is freed (a counting allocator).
 */
#include <stdlib.h>
#include <string.h>
#include <tibra/svc.h>
#include <unistd.h>

#include "check.h"
#include "test_svc_util.h"

static size_t live_bytes;
static long fail_after = -1; /* fail the Nth allocation (0-based), -1 never */

static void *t_alloc(void *ctx, size_t n)
{
    (void)ctx;
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    live_bytes += n;
    return malloc(n ? n : 1);
}
static void *t_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    void *q = realloc(p, n ? n : 1);
    if (q != NULL)
        live_bytes = live_bytes - o + n;
    return q;
}
static void t_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    if (p != NULL)
        live_bytes -= n;
    free(p);
}
static const struct tb_alloc ta = {t_alloc, t_realloc, t_free, NULL};

static int parse(struct svc_conf *c, const char *path, const char *text,
                 struct dns_diag *d)
{
    diag_text[0] = '\0';
    memset(d, 0, sizeof(*d));
    d->report = collect;
    svc_conf_init(c, &ta);
    return svc_parse(c, path, text, strlen(text), d);
}

/* Parses (text) expecting failure with (want) in the messages. */
static void expect_error(const char *text, const char *want)
{
    struct svc_conf c;
    struct dns_diag d;
    int rc = parse(&c, "t.conf", text, &d);

    CHECK_EQ(rc, TB_EMALF);
    CHECK(d.errors > 0);
    if (strstr(diag_text, want) == NULL) {
        CHECK(!"expected message not found");
        fprintf(stderr, "  wanted: %s\n  got:    %s", want, diag_text);
    }
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
}

static const char example[] =
    "# ns1: the README's example\n"
    "service: name ns1; target unix\n"
    "         listen 127.0.0.1@5353; listen ::1@5353\n"
    "zone:    example.org; file zones/example.org.zone\n";

static void test_example(void)
{
    struct svc_conf c;
    struct dns_diag d;
    char buf[SVC_ADDR_TEXT_MAX];

    REQUIRE(parse(&c, "examples/ns1.conf", example, &d) == 0);
    CHECK_EQ(d.errors, 0);
    CHECK_EQ(d.warnings, 0);
    CHECK_STR(c.name, "ns1");
    CHECK_EQ(c.target, SVC_TARGET_UNIX);
    REQUIRE(c.nlisten == 2);
    CHECK_EQ(c.listen[0].family, 4);
    CHECK_EQ(c.listen[0].port, 5353);
    CHECK_EQ(c.listen[0].line, 3);
    CHECK(svc_addr_to_text(&c.listen[0], true, buf, sizeof(buf)) > 0);
    CHECK_STR(buf, "127.0.0.1@5353");
    CHECK_EQ(c.listen[1].family, 6);
    CHECK(svc_addr_to_text(&c.listen[1], true, buf, sizeof(buf)) > 0);
    CHECK_STR(buf, "[::1]@5353");
    REQUIRE(c.nzones == 1);
    CHECK_STR(c.zones[0].name, "example.org");
    CHECK_MEM(c.zones[0].origin, "\7example\3org", 13);
    CHECK_EQ(c.zones[0].origin_len, 13);
    CHECK_STR(c.zones[0].file, "examples/zones/example.org.zone");
    CHECK_EQ(c.zones[0].line, 4);
    /* Defaults. */
    CHECK_EQ(c.workers, 0);
    CHECK_EQ(c.tcp_clients, SVC_DEFAULT_TCP_CLIENTS);
    CHECK_EQ(c.tcp_idle_timeout, SVC_DEFAULT_TCP_IDLE_S);
    CHECK_EQ(c.udp_size, DNS_EDNS_DEFAULT_UDP);
    CHECK(c.chaos);
    CHECK(c.identity == NULL);
    CHECK_EQ(c.nsid_len, 0);
    CHECK_EQ(c.rrl_rate, 0); /* RRL off */
    CHECK_EQ(c.rrl_slip, 2);
    CHECK_EQ(c.rrl_ipv4_prefix, 24);
    CHECK_EQ(c.rrl_ipv6_prefix, 56);
    CHECK_EQ(c.rrl_table_size, 65536);
    CHECK(c.rrl_exempt_loopback);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
}

/* DNS Cookies: on by default; cookies, cookies-require, cookie-secret-file
 * (a path resolved like the others, its line kept for messages). */
static void test_cookie_keys(void)
{
    struct svc_conf c;
    struct dns_diag d;

    REQUIRE(parse(&c, "/etc/tibra/ns.conf", "service: listen ::1\n", &d) == 0);
    CHECK(c.cookies);
    CHECK(!c.cookies_require);
    CHECK(c.cookie_secret_file == NULL);
    svc_conf_free(&c);
    REQUIRE(parse(&c, "/etc/tibra/ns.conf",
                  "service: listen ::1\n"
                  "  cookies off; cookies-require on\n"
                  "  cookie-secret-file keys/cookie.hex\n",
                  &d) == 0);
    CHECK(!c.cookies);
    CHECK(c.cookies_require);
    CHECK_STR(c.cookie_secret_file, "/etc/tibra/keys/cookie.hex");
    CHECK_EQ(c.cookie_secret_line, 3);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
    expect_error("service: listen ::1; cookies maybe\n",
                 "cookies: expected on or off");
    expect_error("service: listen ::1; cookies-require 1\n",
                 "cookies-require: expected on or off");
    expect_error("service: listen ::1; cookies on\n  cookies off\n",
                 "t.conf:2: cookies given twice (first on line 1)");
    expect_error("service: listen ::1; cookie-secret-file \"\"\n",
                 "cookie-secret-file is empty");
    expect_error("service: listen ::1; cookie-secret-file\n",
                 "cookie-secret-file needs a value");
}

/* tcp-clients-per-address (issue 8): 0 when not given (the drivers take
 * dns_tcplim_default()), 1..1000000, once. */
static void test_tcp_per_addr(void)
{
    struct svc_conf c;
    struct dns_diag d;

    REQUIRE(parse(&c, "t.conf", "service: listen ::1\n", &d) == 0);
    CHECK_EQ(c.tcp_clients_per_address, 0);
    svc_conf_free(&c);
    REQUIRE(parse(&c, "t.conf",
                  "service: listen ::1; tcp-clients 40\n"
                  "  tcp-clients-per-address 4\n",
                  &d) == 0);
    CHECK_EQ(c.tcp_clients_per_address, 4);
    CHECK_EQ(c.tcp_clients, 40);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
    expect_error("service: listen ::1; tcp-clients-per-address 0\n",
                 "t.conf:1: ");
    expect_error("service: listen ::1; tcp-clients-per-address 1000001\n",
                 "tcp-clients-per-address");
    expect_error("service: listen ::1; tcp-clients-per-address 2\n"
                 "  tcp-clients-per-address 3\n",
                 "t.conf:2: tcp-clients-per-address given twice");
}

static void test_all_keys(void)
{
    struct svc_conf c;
    struct dns_diag d;
    const char *text = "service:\n"
                       "    name \"ns-2\" ; workers 4; tcp-clients 50\n"
                       "\ttcp-idle-timeout 3   # seconds\n"
                       "    tcp-max-queries 100; udp-size 1400; chaos off\n"
                       "    identity \"ns2 \\\"east\\\"\"; version \"\"\n"
                       "    pidfile /run/ns2.pid; nsid \"ns2 east\"\n"
                       "    listen [2001:db8::53]@53; listen 192.0.2.53\n"
                       "    rrl-rate 20; rrl-slip 3; rrl-ipv4-prefix 32\n"
                       "    rrl-ipv6-prefix 48; rrl-table-size 1000\n"
                       "    rrl-exempt-loopback off\n"
                       "\n"
                       "zone: Example.COM. file /srv/example.com.zone\n"
                       "zone: a.example\n"
                       "      file a.zone\n"
                       "zone: .; file root.zone\n";

    REQUIRE(parse(&c, "/etc/tibra/ns2.conf", text, &d) == 0);
    CHECK_STR(c.name, "ns-2");
    CHECK_EQ(c.workers, 4);
    CHECK_EQ(c.tcp_clients, 50);
    CHECK_EQ(c.tcp_idle_timeout, 3);
    CHECK_EQ(c.tcp_max_queries, 100);
    CHECK_EQ(c.udp_size, 1400);
    CHECK(!c.chaos);
    CHECK_STR(c.identity, "ns2 \"east\"");
    CHECK_STR(c.version, "");
    CHECK_STR(c.pidfile, "/run/ns2.pid");
    CHECK_EQ(c.nsid_len, 8);
    CHECK_MEM(c.nsid, "ns2 east", 8);
    REQUIRE(c.nlisten == 2);
    CHECK_EQ(c.listen[0].port, 53);
    CHECK_EQ(c.listen[1].port, 53);
    CHECK_EQ(c.listen[1].family, 4);
    REQUIRE(c.nzones == 3);
    CHECK_MEM(c.zones[0].origin, "\7example\3com", 13);
    CHECK_STR(c.zones[0].file, "/srv/example.com.zone");
    CHECK_STR(c.zones[1].file, "/etc/tibra/a.zone");
    CHECK_EQ(c.zones[1].line, 13);
    CHECK_EQ(c.rrl_rate, 20);
    CHECK_EQ(c.rrl_slip, 3);
    CHECK_EQ(c.rrl_ipv4_prefix, 32);
    CHECK_EQ(c.rrl_ipv6_prefix, 48);
    CHECK_EQ(c.rrl_table_size, 1000);
    CHECK(!c.rrl_exempt_loopback);
    CHECK_EQ(c.zones[2].origin_len, 1);
    CHECK_STR(c.zones[2].file, "/etc/tibra/root.zone");
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
}

static void test_guest_keys(void)
{
    struct svc_conf c;
    struct dns_diag d;
    const char *text =
        "service:  name ns1; target hvt; arch aarch64; memory 16M\n"
        "          address 10.0.0.2/24; gateway 10.0.0.1\n"
        "          address 2001:db8::2/64\n"
        "zone:     example.org   file zones/example.org.zone\n";

    REQUIRE(parse(&c, "ns1.conf", text, &d) == 0);
    CHECK_EQ(c.target, SVC_TARGET_HVT);
    CHECK_EQ(c.arch, SVC_ARCH_AARCH64);
    CHECK_EQ(c.memory, 16u << 20);
    CHECK_EQ(c.address4.family, 4);
    CHECK_EQ(c.address4.plen, 24);
    CHECK_EQ(c.address6.plen, 64);
    CHECK_EQ(c.gateway4.addr[3], 1);
    CHECK_STR(c.zones[0].file, "zones/example.org.zone");
    svc_conf_free(&c);

    /* A unikernel's resolver, on its own address, another port. */
    REQUIRE(parse(&c, "r.conf",
                  "service: target spt; address 10.0.0.2/24; listen "
                  "10.0.0.2@5353\n"
                  "resolver: listen 10.0.0.2@53; allow 10.0.0.0/24\n",
                  &d) == 0);
    CHECK(c.resolver.enabled);
    CHECK_EQ(c.resolver.listen[0].port, 53);
    svc_conf_free(&c);

    /* The same keys for target unix are warnings, not errors. */
    REQUIRE(parse(&c, "ns1.conf",
                  "service: memory 1G; listen 127.0.0.1\n"
                  "  address 10.0.0.2/24\n",
                  &d) == 0);
    CHECK_EQ(d.warnings, 3); /* memory, address, no zone */
    CHECK(strstr(diag_text, "ns1.conf:1: no zone: statements") != 0);
    CHECK(strstr(diag_text, "warning: ns1.conf:1: memory is ignored") != 0);
    CHECK(strstr(diag_text, "ns1.conf:2: address is ignored") != 0);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);

    /* state SIZE: the block device of images that keep state, required
     * for their secondary and allow-update zones (issue 10). */
    REQUIRE(parse(&c, "s.conf",
                  "service: target spt; address 10.0.0.2/24; state 64M\n"
                  "zone: a.; primary 10.0.0.1\n",
                  &d) == 0);
    CHECK_EQ(c.state_size, 64u << 20);
    CHECK_EQ(c.state_line, 1);
    svc_conf_free(&c);
    expect_error("service: target hvt; address 10.0.0.2/24\n"
                 "zone: a.\n  primary 10.0.0.1\n",
                 "t.conf:3: zone a.: a secondary zone needs a state device "
                 "in hvt images");
    expect_error("service: target spt; address 10.0.0.2/24\n"
                 "key: k hmac-sha256 secret-file k\n"
                 "zone: a.; file f; allow-update key k\n",
                 "t.conf:3: zone a.: allow-update needs a state device");
    expect_error("service: target spt; address 10.0.0.2/24; state 1M\n",
                 "t.conf:1: state");
    expect_error("service: target spt; address 10.0.0.2/24; state 8M\n"
                 "  state 8M\n",
                 "given twice");
    /* tibra-dnsd keeps zones in files: state is a warning for unix. */
    REQUIRE(parse(&c, "u.conf",
                  "service: listen 127.0.0.1; state 8M\n"
                  "zone: a.; primary 10.0.0.1\n",
                  &d) == 0);
    CHECK(strstr(diag_text, "warning: u.conf:1: state is ignored") != 0);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
}

static void test_errors(void)
{
    expect_error("service: listen 127.0.0.1\n  bogus 1\n",
                 "t.conf:2: unknown service key 'bogus'");
    expect_error("service: listen 127.0.0.1\nzone: x.; file f; colour red\n",
                 "t.conf:2: unknown zone key 'colour'");
    expect_error("service: listen 127.0.0.1\nlisten ::1\n",
                 "t.conf:2: expected 'section:' in column 0");
    expect_error("  listen ::1\n", "t.conf:1: 'listen' outside a section");
    expect_error("service: listen 127.0.0.1\nserver: x\n",
                 "t.conf:2: unknown section 'server:'");
    expect_error("service: listen 127.0.0.1\nkey: k1 hmac-sha256\n",
                 "t.conf:2: key k1 has no secret-file (add: secret-file "
                 "PATH)");
    expect_error("service: listen 127.0.0.1\n"
                 "zone: x.; primary 192.0.2.1 key k\n",
                 "t.conf:2: zone x.: primary: no key 'k' (add a key: "
                 "statement)");
    expect_error("service: listen 127.0.0.1\nzone: x.; primary 192.0.2\n",
                 "t.conf:2: primary: '192.0.2'");
    expect_error("service: listen 127.0.0.1\nzone: x.; primary\n",
                 "t.conf:2: primary needs one ADDR");
    expect_error("service: listen 127.0.0.1\nzone: x.\n",
                 "t.conf:2: zone x. has no file");
    expect_error("service: name a b\n", "name takes one value");
    expect_error("service: name\n", "name needs a value");
    expect_error("service: name a; name b\n",
                 "t.conf:1: name given twice (first on line 1)");
    expect_error("service: listen 127.0.0.1\nservice: name x\n",
                 "t.conf:2: a second service: statement");
    expect_error("service: workers 0; listen ::1\n",
                 "workers 0 is out of range (1..256)");
    expect_error("service: workers -1; listen ::1\n",
                 "workers: '-1' is not a number");
    expect_error("service: workers 99999999999999999999999; listen ::1\n",
                 "is not a number");
    expect_error("service: udp-size 511; listen ::1\n", "out of range");
    expect_error("service: rrl-rate 1000001; listen ::1\n",
                 "rrl-rate 1000001 is out of range (0..1000000)");
    expect_error("service: rrl-ipv4-prefix 0; listen ::1\n",
                 "out of range (1..32)");
    expect_error("service: rrl-ipv6-prefix 129; listen ::1\n",
                 "out of range (1..128)");
    expect_error("service: rrl-table-size 8; listen ::1\n",
                 "out of range (16..16777216)");
    expect_error("service: rrl-slip 2; rrl-slip 3; listen ::1\n",
                 "rrl-slip given twice");
    expect_error("service: rrl-exempt-loopback maybe; listen ::1\n",
                 "rrl-exempt-loopback: expected on or off");
    expect_error("service: chaos maybe; listen ::1\n",
                 "chaos: expected on or off, not 'maybe'");
    expect_error("service: listen 127.0.0.1@0\n", "out of range (1..65535)");
    expect_error("service: listen 127.0.0.1@65536\n", "out of range");
    expect_error("service: listen 127.0.0.256\n",
                 "listen: '127.0.0.256' is not an IP address");
    expect_error("service: listen localhost@53\n", "is not an IP address");
    expect_error("service: listen [127.0.0.1]@53\n", "is not an IP address");
    expect_error("service: listen ::1@53; listen [::1]@53\n",
                 "listen [::1]@53 given twice (first on line 1)");
    expect_error("service: name ns1\n",
                 "t.conf:1: no listen address (add e.g.");
    expect_error("service: target hvt\n", "target hvt needs an address");
    expect_error("service: target kvm; listen ::1\n", "unknown target 'kvm'");
    expect_error("service: arch riscv; listen ::1\n", "unknown arch 'riscv'");
    expect_error("service: memory 12Q; listen ::1\n", "is not a number");
    expect_error("service: memory 1K; listen ::1\n", "out of range");
    expect_error("service: address 10.0.0.2; listen ::1\n",
                 "address: '10.0.0.2' is not ADDR/PREFIXLEN");
    expect_error("service: address 10.0.0.2/33; listen ::1\n",
                 "out of range (1..32)");
    expect_error("service: identity \"abc; listen ::1\n",
                 "t.conf:1: unterminated string");
    expect_error("service: listen ::1\nzone: example.org\n",
                 "t.conf:2: zone example.org has no file");
    expect_error("service: listen ::1\nzone: a..b; file f\n",
                 "t.conf:2: zone: 'a..b' is not a domain name");
    expect_error("service: listen ::1\nzone: Example.org; file f\n"
                 "zone: example.ORG.; file g\n",
                 "t.conf:3: zone example.ORG. given twice (first on line 2)");
    expect_error("service: listen ::1\nzone:\n", "has no zone name");
    expect_error("service: listen ::1\nzone: file f\n",
                 "expected the zone name first");
    expect_error("service: \"name\" x; listen ::1\n", "expected a key");
    /* Errors on several lines are all reported. */
    expect_error("service: listen ::1\n  workers x\n  chaos y\n",
                 "t.conf:2: workers: 'x' is not a number\n"
                 "t.conf:3: chaos: expected on or off");
}

/* Issue 7: nsid, as Knot's nsid: takes it (text, or 0x and hex bytes). */
/* Secondary zones: primaries (no file needed) and the timer bounds. */
static void test_secondary(void)
{
    struct svc_conf c;
    struct dns_diag d;

    REQUIRE(parse(&c, "d/t.conf",
                  "service: listen 127.0.0.1\n"
                  "zone: s.; primary 192.0.2.1; primary [2001:db8::1]@5300\n"
                  "  refresh-min-interval 5; expire-max-interval 3600\n"
                  "zone: t.; primary 127.0.0.1@53; file t.zone\n",
                  &d) == 0);
    CHECK_EQ(c.zones[0].nprimary, 2);
    CHECK_EQ(c.zones[0].primary[0].port, 53);
    CHECK_EQ(c.zones[0].primary[1].family, 6);
    CHECK_EQ(c.zones[0].primary[1].port, 5300);
    CHECK(c.zones[0].file == NULL);
    CHECK_EQ(c.zones[0].refresh_min, 5);
    CHECK_EQ(c.zones[0].expire_max, 3600);
    CHECK_EQ(c.zones[0].retry_min, 0);
    CHECK_STR(c.zones[1].file, "d/t.zone");
    svc_conf_free(&c);
}

/* Dynamic updates: allow-update keys, serial-policy, journal-max-size;
 * what is refused, FILE:LINE. */
static void test_update_keys(void)
{
    struct svc_conf c;
    struct dns_diag d;

    REQUIRE(parse(&c, "d/t.conf",
                  "service: listen 127.0.0.1\n"
                  "zone: u.; file u.zone; allow-update key k1 k2\n"
                  "  serial-policy dateserial; journal-max-size 1M\n"
                  "zone: v.; file v.zone\n"
                  "key: k1; algorithm hmac-sha256; secret-file k\n"
                  "key: k2; algorithm hmac-sha256; secret-file k\n",
                  &d) == 0);
    CHECK_EQ(c.zones[0].nallow_update, 2);
    CHECK_STR(c.zones[0].allow_update_key[1], "k2");
    CHECK_EQ(c.zones[0].serial_policy, 2);
    CHECK_EQ(c.zones[0].journal_max_size, 1u << 20);
    CHECK_EQ(c.zones[1].nallow_update, 0);
    CHECK_EQ(c.zones[1].serial_policy, 0);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
    expect_error("service: listen ::1\nzone: a.; file a.zone\n"
                 "  allow-update key nokey\n",
                 "t.conf:3: zone a.: allow-update: no key 'nokey'");
    expect_error("service: listen ::1\nzone: a.; file a.zone\n"
                 "  allow-update 127.0.0.1\n",
                 "t.conf:3: allow-update needs key NAME...");
    expect_error("service: listen ::1\nzone: a.; primary 192.0.2.1\n"
                 "  allow-update key k\nkey: k; algorithm hmac-sha256; "
                 "secret-file k\n",
                 "t.conf:3: zone a.: allow-update on a secondary zone");
    expect_error("service: listen ::1\nzone: a.; file a.zone\n"
                 "  serial-policy sometimes\n",
                 "t.conf:3: serial-policy is increment, unixtime or "
                 "dateserial");
}

/* notify ADDR... [key NAME]: signed NOTIFY to those targets. */
static void test_notify_keys(void)
{
    struct svc_conf c;
    struct dns_diag d;

    REQUIRE(parse(&c, "d/t.conf",
                  "service: listen 127.0.0.1\n"
                  "zone: n.; file n.zone; notify 192.0.2.1 192.0.2.2@5300 "
                  "key k1\n"
                  "  notify 192.0.2.3\n"
                  "zone: v.; file v.zone; notify 192.0.2.4\n"
                  "key: k1; algorithm hmac-sha256; secret-file k\n",
                  &d) == 0);
    CHECK_EQ(c.zones[0].nnotify, 3);
    REQUIRE(c.zones[0].notify_key != NULL);
    CHECK_STR(c.zones[0].notify_key[0], "k1");
    CHECK_STR(c.zones[0].notify_key[1], "k1");
    CHECK_EQ(c.zones[0].notify[1].port, 5300);
    CHECK(c.zones[0].notify_key[2] == NULL);
    CHECK_EQ(c.zones[1].nnotify, 1);
    CHECK(c.zones[1].notify_key == NULL);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
    expect_error("service: listen ::1\nzone: a.; file a.zone\n"
                 "  notify 192.0.2.1 key nokey\n",
                 "t.conf:3: zone a.: notify: no key 'nokey'");
    expect_error("service: listen ::1\nzone: a.; file a.zone\n"
                 "  notify key k1\n",
                 "t.conf:3: notify needs at least one ADDR");
    expect_error("service: listen ::1\nzone: a.; file a.zone\n"
                 "  notify 192.0.2.1 key k1 192.0.2.2\n",
                 "t.conf:3: notify: key NAME comes last");
}

/* Catalog zones: a producer and its members; what is refused. */
static void test_catalog(void)
{
    struct svc_conf c;
    struct dns_diag d;

    REQUIRE(parse(&c, "d/t.conf",
                  "service: listen 127.0.0.1\n"
                  "zone: a.; file a.zone; catalog CAT.\n"
                  "zone: b.; primary 192.0.2.1; catalog cat; "
                  "catalog-group \"g 1\"\n"
                  "zone: cat; catalog producer; allow-transfer 127.0.0.1\n"
                  "zone: c.; file c.zone\n",
                  &d) == 0);
    CHECK_EQ(c.zones[2].catalog_role, SVC_CATALOG_PRODUCER);
    CHECK(c.zones[2].file == NULL);
    CHECK_EQ(c.zones[0].catalog_of, 2);
    CHECK_EQ(c.zones[1].catalog_of, 2);
    CHECK_STR(c.zones[1].catalog_group, "g 1");
    CHECK(c.zones[3].catalog_of == SIZE_MAX);
    CHECK_EQ(c.zones[3].catalog_role, SVC_CATALOG_NONE);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
    expect_error("service: listen ::1\nzone: a.; file a.zone\n"
                 "  catalog cat.\n",
                 "t.conf:3: zone a.: catalog cat.: no zone with `catalog "
                 "producer` of that name");
    expect_error("service: listen ::1\nzone: a.; file a.zone; catalog c.\n"
                 "zone: c.; file c.zone\n",
                 "t.conf:2: zone a.: catalog c.: no zone with");
    expect_error("service: listen ::1\nzone: c.; file c.zone\n"
                 "  catalog producer\n",
                 "t.conf:3: zone c.: a catalog producer is generated from "
                 "its members: no file or primary");
    expect_error("service: listen ::1\nzone: c.; catalog consumer\n"
                 "  primary 192.0.2.1\n",
                 "t.conf:2: zone c.: a catalog consumer is a secondary with a "
                 "file");
    expect_error("service: listen ::1\nzone: c.; catalog consumer\n"
                 "  file c.zone\n",
                 "t.conf:2: zone c.: a catalog consumer is a secondary with a "
                 "file");
    expect_error("service: target spt\nzone: c.; catalog producer\n",
                 "t.conf:2: zone c.: catalog zones are not supported in "
                 "unikernel images yet");
    expect_error("service: listen ::1\nzone: c.; catalog producer\n"
                 "  catalog producer\n",
                 "t.conf:3: zone c.: catalog given twice");
    expect_error("service: listen ::1\nzone: c.; catalog\n",
                 "t.conf:2: catalog needs exactly one value");
    expect_error("service: listen ::1\nzone: c.; file c; catalog-group "
                 "\"\"\n",
                 "t.conf:2: catalog-group: 1 to 255 bytes");
}

/* status-file: a path relative to the service file; given once. */
static void test_status_file(void)
{
    struct svc_conf c;
    struct dns_diag d;

    REQUIRE(parse(&c, "d/t.conf",
                  "service: listen 127.0.0.1; status-file run/s\n", &d) == 0);
    CHECK_STR(c.status_file, "d/run/s");
    svc_conf_free(&c);
    REQUIRE(parse(&c, "d/t.conf", "service: listen 127.0.0.1\n", &d) == 0);
    CHECK(c.status_file == NULL);
    svc_conf_free(&c);
    expect_error("service: listen ::1; status-file \"\"\n",
                 "t.conf:1: status-file is empty");
    expect_error("service: listen ::1; status-file a\n status-file b\n",
                 "t.conf:2: status-file given twice");
    CHECK_EQ(live_bytes, 0);
}

static void bug7_nsid(void)
{
    struct svc_conf c;
    struct dns_diag d;
    char text[700];

    REQUIRE(parse(&c, NULL, "service: listen ::1; nsid 0x00fFa0\n", &d) == 0);
    CHECK_EQ(c.nsid_len, 3);
    CHECK_MEM(c.nsid, "\0\xff\xa0", 3);
    svc_conf_free(&c);
    /* "0X" is text, as in Knot; so is a word that only starts like hex. */
    REQUIRE(parse(&c, NULL, "service: listen ::1; nsid 0XAB\n", &d) == 0);
    CHECK_EQ(c.nsid_len, 4);
    CHECK_MEM(c.nsid, "0XAB", 4);
    svc_conf_free(&c);
    /* Empty, or 0x alone: none (Knot's way to switch it off). */
    REQUIRE(parse(&c, NULL, "service: listen ::1; nsid \"\"\n", &d) == 0);
    CHECK_EQ(c.nsid_len, 0);
    svc_conf_free(&c);
    REQUIRE(parse(&c, NULL, "service: listen ::1; nsid 0x\n", &d) == 0);
    CHECK_EQ(c.nsid_len, 0);
    svc_conf_free(&c);
    /* 255 bytes at most, either way. */
    memcpy(text, "service: listen ::1; nsid 0x", 28);
    memset(text + 28, 'a', 510);
    memcpy(text + 538, "\n", 2);
    REQUIRE(parse(&c, NULL, text, &d) == 0);
    CHECK_EQ(c.nsid_len, 255);
    CHECK(c.nsid[254] == 0xaa);
    svc_conf_free(&c);
    memcpy(text + 538, "aa\n", 4);
    expect_error(text, "t.conf:1: nsid is longer than 255 bytes");
    memcpy(text, "service: listen ::1; nsid ", 26);
    memset(text + 26, 'n', 256);
    memcpy(text + 282, "\n", 2);
    expect_error(text, "t.conf:1: nsid is longer than 255 bytes");
    expect_error("service: listen ::1; nsid 0xabc\n",
                 "nsid: 0x needs an even number of hex digits");
    expect_error("service: listen ::1; nsid 0xzz\n",
                 "nsid: 'zz' is not a hex byte");
    expect_error("service: listen ::1; nsid a; nsid b\n", "given twice");
    CHECK_EQ(live_bytes, 0);
}

static void test_bytes(void)
{
    struct svc_conf c;
    struct dns_diag d;
    const char text[] = "service: listen ::1\n\0zone: x\n";

    diag_text[0] = '\0';
    memset(&d, 0, sizeof(d));
    d.report = collect;
    svc_conf_init(&c, &ta);
    CHECK_EQ(svc_parse(&c, "t.conf", text, sizeof(text) - 1, &d), TB_EMALF);
    CHECK(strstr(diag_text, "t.conf:2: NUL byte") != NULL);
    svc_conf_free(&c);

    /* No final newline, CRLF line ends, a lone ';', empty items. */
    REQUIRE(parse(&c, NULL,
                  "service: ;; listen 127.0.0.1@1 ;\r\n"
                  "zone: a.; file \"my zone\"",
                  &d) == 0);
    CHECK_STR(c.zones[0].file, "my zone");
    svc_conf_free(&c);

    /* Large input: bounded by SVC_TEXT_MAX. */
    {
        size_t n = SVC_TEXT_MAX + 1;
        char *big = malloc(n);
        REQUIRE(big != NULL);
        memset(big, '#', n);
        svc_conf_init(&c, &ta);
        CHECK_EQ(svc_parse(&c, "t.conf", big, n, &d), TB_ERANGE);
        svc_conf_free(&c);
        free(big);
    }
    CHECK_EQ(live_bytes, 0);
}

static void test_alloc_failure(void)
{
    struct svc_conf c;
    struct dns_diag d;
    const char *text = "service: name n; listen ::1; identity x; pidfile p\n"
                       "zone: a.; file a\nzone: b.; file b\nzone: c.; file c\n";
    int failures = 0;

    /* Fail each allocation in turn: never a crash, never a leak. */
    for (long n = 0; n < 40; n++) {
        fail_after = n;
        int rc = parse(&c, "t.conf", text, &d);
        if (rc == TB_ENOMEM)
            failures++;
        else
            CHECK_EQ(rc, 0);
        svc_conf_free(&c);
        CHECK_EQ(live_bytes, 0);
    }
    fail_after = -1;
    CHECK(failures > 5);
}

static void ip_round(const char *in, const char *out)
{
    struct svc_addr a = {0};
    char buf[SVC_ADDR_TEXT_MAX];

    if (svc_parse_ip(in, strlen(in), &a) != 0) {
        CHECK(!"parse failed");
        fprintf(stderr, "  input: %s\n", in);
        return;
    }
    CHECK(svc_addr_to_text(&a, false, buf, sizeof(buf)) > 0);
    if (strcmp(buf, out) != 0) {
        CHECK(!"round trip differs");
        fprintf(stderr, "  %s -> %s, wanted %s\n", in, buf, out);
    }
}

static void test_ip(void)
{
    static const char *bad[] = {
        "",
        "1",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.4 ",
        "256.1.1.1",
        ":",
        ":::",
        "1:::2",
        "1::2::3",
        "1:2:3:4:5:6:7:8:9",
        "12345::",
        "::1.2.3",
        "1:2:3:4:5:6:7:1.2.3.4",
        "g::1",
        "1:",
        ":1",
        "1::2:",
        "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8",
    };
    struct svc_addr a = {0};
    char buf[8];

    ip_round("0.0.0.0", "0.0.0.0");
    ip_round("192.0.2.255", "192.0.2.255");
    ip_round("::", "::");
    ip_round("::1", "::1");
    ip_round("1::", "1::");
    ip_round("2001:DB8:0:0:0:0:0:1", "2001:db8::1");
    ip_round("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    ip_round("2001:0db8:0000:0001:0001:0001:0001:0001", "2001:db8:0:1:1:1:1:1");
    /* RFC 5952 5: IPv4-mapped addresses keep the dotted tail. */
    ip_round("::ffff:192.0.2.1", "::ffff:192.0.2.1");
    ip_round("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0");
    ip_round("fe80::1:2", "fe80::1:2");
    for (size_t i = 0; i < TB_ARRAY_SIZE(bad); i++) {
        int rc = svc_parse_ip(bad[i], strlen(bad[i]), &a);
        if (rc != TB_EMALF) {
            CHECK(!"accepted a bad address");
            fprintf(stderr, "  input: '%s'\n", bad[i]);
        }
    }
    REQUIRE(svc_parse_ip("2001:db8::1", 11, &a) == 0);
    CHECK_EQ(svc_addr_to_text(&a, false, buf, sizeof(buf)), TB_ESPACE);
    CHECK_STR(svc_target_name(SVC_TARGET_SPT), "spt");
    CHECK_STR(svc_arch_name(SVC_ARCH_X86_64), "x86_64");
}

/* svc_load_file (lib/hosted): reads, parses, reports unreadable files. */
static void test_load_file(void)
{
    char dir[] = "/tmp/test_svc.XXXXXX", path[64];
    struct svc_conf c;
    struct dns_diag d = {collect, NULL, 0, 0};
    FILE *f;

    REQUIRE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/ns.conf", dir);
    f = fopen(path, "w");
    REQUIRE(f != NULL);
    fputs(example, f);
    fclose(f);
    svc_conf_init(&c, &ta);
    CHECK_EQ(svc_load_file(&c, path, &d), 0);
    REQUIRE(c.nzones == 1);
    /* Relative to the file's directory, wherever we run from. */
    CHECK(strncmp(c.zones[0].file, dir, strlen(dir)) == 0);
    CHECK(strstr(c.zones[0].file, "/zones/example.org.zone") != NULL);
    svc_conf_free(&c);

    diag_text[0] = '\0';
    svc_conf_init(&c, &ta);
    snprintf(path, sizeof(path), "%s/none.conf", dir);
    CHECK_EQ(svc_load_file(&c, path, &d), TB_ENOENT);
    CHECK(strstr(diag_text, "none.conf:0: cannot read: No such file") != NULL);
    svc_conf_free(&c);
    remove(path);
    snprintf(path, sizeof(path), "%s/ns.conf", dir);
    remove(path);
    rmdir(dir);
    CHECK_EQ(live_bytes, 0);
}

/* zone-max-size, zone-max-records (service default, per-zone override)
 * and zone-memory (service only). */
static void test_zone_limits(void)
{
    struct svc_conf c;
    struct dns_diag d;
    const char text[] = "zone: a.test; file a.zone; zone-max-records 10\n"
                        "service: listen ::1; zone-max-size 2M\n"
                        "         zone-max-records 1000; zone-memory 1G\n"
                        "zone: b.test; file b.zone; zone-max-size 64k\n"
                        "zone: c.test; file c.zone\n";

    CHECK_EQ(parse(&c, "t.conf", example, &d), 0);
    CHECK_EQ(c.zone_max_size, 1ull << 30); /* the defaults */
    CHECK_EQ(c.zone_max_records, 50000000);
    CHECK_EQ(c.zone_memory, 0);
    REQUIRE(c.nzones == 1);
    CHECK_EQ(c.zones[0].max_size, 1ull << 30);
    CHECK_EQ(c.zones[0].max_records, 50000000);
    svc_conf_free(&c);

    /* The service's values reach zones written before it. */
    CHECK_EQ(parse(&c, "t.conf", text, &d), 0);
    CHECK_EQ(c.zone_max_size, 2u << 20);
    CHECK_EQ(c.zone_max_records, 1000);
    CHECK_EQ(c.zone_memory, 1ull << 30);
    REQUIRE(c.nzones == 3);
    CHECK_EQ(c.zones[0].max_size, 2u << 20);
    CHECK_EQ(c.zones[0].max_records, 10);
    CHECK_EQ(c.zones[1].max_size, 64u << 10);
    CHECK_EQ(c.zones[1].max_records, 1000);
    CHECK_EQ(c.zones[2].max_size, 2u << 20);
    CHECK_EQ(c.zones[2].max_records, 1000);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);

    expect_error("service: listen ::1; zone-max-size 512\n",
                 "zone-max-size 512 is out of range (1K..1048576M)");
    expect_error("service: listen ::1; zone-max-records 0\n",
                 "zone-max-records 0 is out of range (1..4000000000)");
    expect_error("service: listen ::1; zone-memory 2M; zone-memory 3M\n",
                 "zone-memory given twice");
    expect_error("service: listen ::1; zone-memory lots\n",
                 "zone-memory: 'lots' is not a number");
    expect_error("service: listen ::1\nzone: a.; file f; zone-max-size 1K\n"
                 "      zone-max-size 2K\n",
                 "t.conf:3: zone a.: zone-max-size given twice");
    expect_error("service: listen ::1\nzone: a.; file f; zone-max-records\n",
                 "t.conf:2: zone-max-records needs exactly one value");
    expect_error("service: listen ::1\nzone: a.; file f; zone-memory 1G\n",
                 "unknown zone key 'zone-memory'");
    /* zone-memory means nothing to an image: a warning. */
    CHECK_EQ(parse(&c, "t.conf",
                   "service: target spt; address 10.0.0.2/24; "
                   "zone-memory 1G\nzone: a.; file f\n",
                   &d),
             0);
    CHECK(strstr(diag_text, "warning: t.conf:1: zone-memory is ignored") !=
          NULL);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
}

/* The resolver: statement (issue 11). */
static void test_resolver(void)
{
    struct svc_conf c;
    struct dns_diag d;

    CHECK_EQ(
        parse(&c, "/etc/t.conf",
              "service: listen 127.0.0.1@53\n"
              "resolver: listen 127.0.0.1@5300; listen [::1]@5300\n"
              "    root-hints hints/named.root; cache-size 64M\n"
              "    resolutions 1000; ratelimit 50\n"
              "    allow 10.0.0.0/8 192.168.1.7\n"
              "    allow 2001:db8::/32\n"
              "    forward . 192.0.2.53 [2001:db8::53]@5353\n"
              "    stub Private. 10.53.0.5\n"
              "    trust-anchor keys/root.ds; insecure Lab. corp.example.\n"
              "    insecure test.\n"
              "    serve-stale 86400; prefetch on; use-0x20 on\n",
              &d),
        0);
    CHECK_EQ(c.resolver.serve_stale, 86400);
    CHECK(c.resolver.prefetch);
    CHECK(c.resolver.use_0x20);
    CHECK(c.resolver.trust_anchor != NULL &&
          strcmp(c.resolver.trust_anchor, "/etc/keys/root.ds") == 0);
    CHECK(!c.resolver.no_validation);
    CHECK_EQ(c.resolver.ninsecure, 3);
    CHECK_MEM(c.resolver.insecure[0], "\3lab\0", 5);
    CHECK_MEM(c.resolver.insecure[2], "\4test\0", 6);
    CHECK_EQ(c.resolver.ratelimit, 50);
    CHECK_EQ(c.resolver.nfwd, 2);
    CHECK(c.resolver.fwd[0].recursive);
    CHECK_EQ(c.resolver.fwd[0].zone[0], 0);
    CHECK_EQ(c.resolver.fwd[0].naddr, 2);
    CHECK_EQ(c.resolver.fwd[0].addr[0].port, 53);
    CHECK_EQ(c.resolver.fwd[0].addr[1].family, 6);
    CHECK_EQ(c.resolver.fwd[0].addr[1].port, 5353);
    CHECK_EQ(c.resolver.fwd[0].line, 7);
    CHECK(!c.resolver.fwd[1].recursive);
    CHECK_MEM(c.resolver.fwd[1].zone, "\7private\0", 9);
    CHECK_EQ(c.resolver.fwd[1].naddr, 1);
    CHECK_EQ(d.warnings, 0); /* no zones: fine beside a resolver */
    CHECK_EQ(c.resolver.nallow, 3);
    CHECK_EQ(c.resolver.allow[0].family, 4);
    CHECK_EQ(c.resolver.allow[0].plen, 8);
    CHECK_EQ(c.resolver.allow[0].addr[0], 10);
    CHECK_EQ(c.resolver.allow[1].plen, 32);
    CHECK_EQ(c.resolver.allow[1].addr[3], 7);
    CHECK_EQ(c.resolver.allow[1].line, 5);
    CHECK_EQ(c.resolver.allow[2].family, 6);
    CHECK_EQ(c.resolver.allow[2].plen, 32);
    CHECK_EQ(c.resolver.allow[2].addr[1], 0x01);
    CHECK_EQ(c.resolver.allow[2].line, 6);
    CHECK(c.resolver.enabled);
    CHECK_EQ(c.resolver.line, 2);
    CHECK_EQ(c.resolver.nlisten, 2);
    CHECK_EQ(c.resolver.listen[1].family, 6);
    CHECK_EQ(c.resolver.listen[0].port, 5300);
    CHECK(c.resolver.root_hints != NULL &&
          strcmp(c.resolver.root_hints, "/etc/hints/named.root") == 0);
    CHECK_EQ(c.resolver.cache_size, 64u << 20);
    CHECK_EQ(c.resolver.resolutions, 1000);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
    expect_error("service: listen 127.0.0.1\nresolver: cache-size 1k\n",
                 "t.conf:2: cache-size");
    CHECK_EQ(parse(&c, "/etc/t.conf",
                   "service: listen 127.0.0.1@53\n"
                   "resolver: listen 127.0.0.1@5300; trust-anchor none\n",
                   &d),
             0);
    CHECK(c.resolver.no_validation);
    CHECK(c.resolver.trust_anchor == NULL);
    CHECK_EQ(c.resolver.ninsecure, 0);
    svc_conf_free(&c);
    CHECK_EQ(live_bytes, 0);
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    trust-anchor none; trust-anchor a.ds\n",
                 "t.conf:3: resolver: trust-anchor given twice");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    insecure ok. a..b\n",
                 "t.conf:3: resolver: insecure: 'a..b' is not a domain name");
    expect_error("service: listen 127.0.0.1\nresolver: root-hints a\n",
                 "t.conf:2: resolver: no listen address");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1; colour "
                 "red\n",
                 "t.conf:2: unknown resolver: key 'colour'");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    forward example. 10.0.0.1\n    stub EXAMPLE. 10.0.0.2\n",
                 "t.conf:4: resolver: stub EXAMPLE.: the zone has a forward "
                 "already (line 3)");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    ratelimit 0\n",
                 "t.conf:3: ratelimit");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    forward example.\n",
                 "t.conf:3: resolver: forward needs ZONE ADDR[@PORT]...");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    stub a..b 10.0.0.1\n",
                 "t.conf:3: resolver: stub: 'a..b' is not a domain name");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    forward . 10.0.0.1 ns.example.\n",
                 "t.conf:3: forward");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    allow 10.0.0.0/33\n",
                 "t.conf:3: allow prefix length");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    allow 10.0.0.0/8 lan\n",
                 "t.conf:3: allow: 'lan' is not ADDR or ADDR/LEN");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    allow\n",
                 "t.conf:3: resolver: allow needs a value");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "resolver: listen ::1\n",
                 "t.conf:3: a second resolver: statement (first on line 2)");
    expect_error("service: target spt; address 10.0.0.2/24\n"
                 "resolver: listen ::1\n",
                 "a unikernel's resolver listens on its own address");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    serve-stale 1d\n",
                 "t.conf:3: serve-stale");
    expect_error("service: listen 127.0.0.1\nresolver: listen ::1\n"
                 "    prefetch maybe\n",
                 "t.conf:3: prefetch: expected on or off");
    expect_error("service: target spt; address 10.0.0.2/24\n"
                 "resolver: listen 10.0.0.2@53\n",
                 "t.conf:2: resolver: listen 10.0.0.2@53: the port is the "
                 "authoritative port");
}

int main(void)
{
    RUN(test_example);
    RUN(test_all_keys);
    RUN(test_tcp_per_addr);
    RUN(test_cookie_keys);
    RUN(test_guest_keys);
    RUN(test_errors);
    RUN(test_secondary);
    RUN(test_catalog);
    RUN(test_update_keys);
    RUN(test_notify_keys);
    RUN(test_status_file);
    RUN(bug7_nsid);
    RUN(test_bytes);
    RUN(test_alloc_failure);
    RUN(test_ip);
    RUN(test_load_file);
    RUN(test_zone_limits);
    RUN(test_resolver);
    return check_done();
}
