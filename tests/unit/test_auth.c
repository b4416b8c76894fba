/*
 * test_auth.c -- the authoritative engine end to end: zones built in code,
 * compiled (dns_zone_compile), put in a zone set, queried with hand-built
 * query bytes; each response is parsed with dns_msg_parse() and compared
 * as text, section by section, with what RFC 1034/2308/4592/6672/6891 and
 * NSD/Knot give.  Also: raw header bytes (ID, flags, 0x20 case of the
 * question), truncation, malformed queries, blob validation.
 */
#include "check.h"
#include "test_auth_util.h"

static const char *const zone_com[] = {
    "@ 3600 SOA ns1 hostmaster 2024010101 7200 3600 1209600 300",
    "@ 3600 NS ns1",
    "@ 3600 NS ns2.example.net.",
    "@ 3600 MX 10 mail",
    "@ 3600 A 192.0.2.1",
    "ns1 3600 A 192.0.2.53",
    "ns1 3600 AAAA 2001:db8::53",
    "mail 3600 A 192.0.2.25",
    "www 3600 A 192.0.2.80",
    "www 3600 A 192.0.2.81",
    "www 3600 AAAA 2001:db8::80",
    "alias 300 CNAME www",
    "chain 300 CNAME alias",
    "ext 300 CNAME www.example.net.",
    "dangling 300 CNAME nothere",
    "toent 300 CNAME c",
    "loop1 300 CNAME loop2",
    "loop2 300 CNAME loop1",
    "*.wild 600 A 192.0.2.99",
    "*.wild 600 MX 5 mail",
    "*.wc 600 CNAME www",
    "a.b.c 3600 A 192.0.2.7",
    "*.x 3600 A 192.0.2.8",
    "y.z.x 3600 A 192.0.2.9",
    "sub 3600 NS ns1.sub",
    "sub 3600 NS ns.other.net.",
    "sub 3600 DS 04d2 08 02 00112233",
    "ns1.sub 3600 A 192.0.2.100",
    "nods 3600 NS ns.other.net.",
    "dn 3600 DNAME example.net.",
    "dnin 3600 DNAME tgt",
    "www.tgt 3600 A 192.0.2.111",
    "cdn 300 CNAME www.dnin",
    "cdeleg 300 CNAME host.sub",
    "sib 3600 NS ns1.sub",
    "sib 3600 NS ns1",
    "_sip._udp 3600 SRV 0 5 5060 sip",
    "sip 3600 A 192.0.2.60",
    "big 3600 TXT _ _ _",
    "big 3600 TXT _ _ x",
    "many 3600 MX 10 hosts",
    "hosts 3600 A 10.0.0.1",
    "hosts 3600 A 10.0.0.2",
    "hosts 3600 A 10.0.0.3",
    "hosts 3600 A 10.0.0.4",
    "hosts 3600 A 10.0.0.5",
    "hosts 3600 A 10.0.0.6",
    "hosts 3600 A 10.0.0.7",
    "hosts 3600 A 10.0.0.8",
    "hosts 3600 A 10.0.0.9",
    "hosts 3600 A 10.0.0.10",
    "hosts 3600 A 10.0.0.11",
    "hosts 3600 A 10.0.0.12",
    "hosts 3600 A 10.0.0.13",
    "hosts 3600 A 10.0.0.14",
    "hosts 3600 A 10.0.0.15",
    "hosts 3600 A 10.0.0.16",
    "hosts 3600 A 10.0.0.17",
    "hosts 3600 A 10.0.0.18",
    "hosts 3600 A 10.0.0.19",
    "hosts 3600 A 10.0.0.20",
    "hosts 3600 A 10.0.0.21",
    "hosts 3600 A 10.0.0.22",
    "hosts 3600 A 10.0.0.23",
    "hosts 3600 A 10.0.0.24",
    "hosts 3600 A 10.0.0.25",
    "hosts 3600 A 10.0.0.26",
    "hosts 3600 A 10.0.0.27",
    "hosts 3600 A 10.0.0.28",
    "hosts 3600 A 10.0.0.29",
    "hosts 3600 A 10.0.0.30",
    NULL};

static struct dns_zoneset *zs;
static uint8_t *blob;
static size_t blob_len;
static struct dns_auth_stats st;
static uint8_t resp[65536];
static char txt[1 << 16];

/* Asks (zs) and prints the response into txt; returns the length. */
static size_t ask_raw(const struct dns_zoneset *set, const uint8_t *q,
                      size_t ql, unsigned flags, size_t cap)
{
    size_t n;
    memset(resp, 0xa5, sizeof(resp)); /* sentinel */
    n = dns_auth_answer(set, q, ql, resp, cap, flags, &st);
    CHECK(n <= cap);
    if (n > 0 && n < sizeof(resp))
        CHECK(resp[n] == 0xa5);
    txt[0] = 0;
    if (n > 0 && !ta_print(resp, n, txt, sizeof(txt)))
        snprintf(txt, sizeof(txt), "UNPARSEABLE\n");
    return n;
}

static const char *ask(const char *name, const char *type, int edns,
                       bool do_bit)
{
    uint8_t q[512];
    size_t ql = ta_query(q, name, ta_type(type), DNS_CLASS_IN, edns, do_bit);
    ask_raw(zs, q, ql, 0, 65535);
    return txt;
}

#define EXPECT(got, want)                                                      \
    do {                                                                       \
        const char *g_ = (got), *w_ = (want);                                  \
        check_total++;                                                         \
        if (strcmp(g_, w_) != 0) {                                             \
            check_failed++;                                                    \
            fprintf(stderr,                                                    \
                    "%s:%d: %s: response differs\n--- want\n%s"                \
                    "--- got\n%s---\n",                                        \
                    __FILE__, __LINE__, check_current, w_, g_);                \
        }                                                                      \
    } while (0)

static void setup(void)
{
    const void *b[1];
    size_t l[1];
    struct dns_auth_opts o = {.chaos = true,
                              .identity = "ns1.test",
                              .version = "tibra-test",
                              .udp_max = 1232};

    blob = ta_zone("example.com.", zone_com, &blob_len);
    b[0] = blob;
    l[0] = blob_len;
    if (dns_zoneset_build(&zs, b, l, 1, &o, &ta) != 0)
        abort();
}

static void test_exact(void)
{
    uint8_t q[512];
    size_t ql, n;

    EXPECT(ask("www.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=2 ns=0 ar=0\n"
           "AN www.example.com. 3600 A 192.0.2.80\n"
           "AN www.example.com. 3600 A 192.0.2.81\n");
    EXPECT(ask("www.example.com.", "AAAA", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN www.example.com. 3600 AAAA 2001:db8::80\n");
    /* Raw bytes: ID, QR|AA|RD, question copied with the client's case
     * (0x20), owner a pointer to it. */
    ql = ta_query(q, "WwW.ExAmPlE.cOm.", DNS_TYPE_A, DNS_CLASS_IN, -1, false);
    n = ask_raw(zs, q, ql, 0, 512);
    REQUIRE(n == ql + 2 * 16);
    CHECK(resp[0] == 0x12 && resp[1] == 0x34);
    CHECK(resp[2] == 0x85 && resp[3] == 0x00);
    CHECK_MEM(resp + 12, q + 12, ql - 12);
    CHECK(resp[ql] == 0xc0 && resp[ql + 1] == 0x0c);
}

static void test_additional(void)
{
    EXPECT(ask("example.com.", "MX", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
           "AN example.com. 3600 MX 10 mail.example.com.\n"
           "AR mail.example.com. 3600 A 192.0.2.25\n");
    EXPECT(ask("example.com.", "NS", -1, false),
           "NOERROR aa qd=1 an=2 ns=0 ar=2\n"
           "AN example.com. 3600 NS ns1.example.com.\n"
           "AN example.com. 3600 NS ns2.example.net.\n"
           "AR ns1.example.com. 3600 A 192.0.2.53\n"
           "AR ns1.example.com. 3600 AAAA 2001:db8::53\n");
    EXPECT(ask("_sip._udp.example.com.", "SRV", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
           "AN _sip._udp.example.com. 3600 SRV 0 5 5060 sip.example.com.\n"
           "AR sip.example.com. 3600 A 192.0.2.60\n");
}

static void test_negative(void)
{
    /* RFC 2308: SOA in authority, TTL min(SOA TTL, minimum) = 300. */
    const char *soa = "NS example.com. 300 SOA ns1.example.com. "
                      "hostmaster.example.com. 2024010101 7200 3600 "
                      "1209600 300\n";
    char want[512];

    snprintf(want, sizeof(want), "NOERROR aa qd=1 an=0 ns=1 ar=0\n%s", soa);
    EXPECT(ask("www.example.com.", "TXT", -1, false), want);
    EXPECT(ask("b.c.example.com.", "A", -1, false), want); /* ENT */
    EXPECT(ask("c.example.com.", "A", -1, false), want);
    EXPECT(ask("foo.wild.example.com.", "TXT", -1, false), want);
    snprintf(want, sizeof(want), "NXDOMAIN aa qd=1 an=0 ns=1 ar=0\n%s", soa);
    EXPECT(ask("nope.example.com.", "A", -1, false), want);
    EXPECT(ask("a.nope.example.com.", "A", -1, false), want);
    EXPECT(ask("x.a.b.c.example.com.", "A", -1, false), want);
    /* RFC 4592 2.2.2: the empty non-terminal z.x blocks *.x. */
    EXPECT(ask("q.z.x.example.com.", "A", -1, false), want);
    /* Negative answers for long names: fixups point into the question. */
    EXPECT(ask("a.very.long.name.below.nothing.example.com.", "A", -1, false),
           want);
}

static void test_cname(void)
{
    const char *soa = "NS example.com. 300 SOA ns1.example.com. "
                      "hostmaster.example.com. 2024010101 7200 3600 "
                      "1209600 300\n";
    char want[1024];

    EXPECT(ask("alias.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=3 ns=0 ar=0\n"
           "AN alias.example.com. 300 CNAME www.example.com.\n"
           "AN www.example.com. 3600 A 192.0.2.80\n"
           "AN www.example.com. 3600 A 192.0.2.81\n");
    EXPECT(ask("chain.example.com.", "AAAA", -1, false),
           "NOERROR aa qd=1 an=3 ns=0 ar=0\n"
           "AN chain.example.com. 300 CNAME alias.example.com.\n"
           "AN alias.example.com. 300 CNAME www.example.com.\n"
           "AN www.example.com. 3600 AAAA 2001:db8::80\n");
    EXPECT(ask("alias.example.com.", "CNAME", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN alias.example.com. 300 CNAME www.example.com.\n");
    snprintf(want, sizeof(want),
             "NOERROR aa qd=1 an=1 ns=1 ar=0\n"
             "AN alias.example.com. 300 CNAME www.example.com.\n%s",
             soa);
    EXPECT(ask("alias.example.com.", "TXT", -1, false), want);
    snprintf(want, sizeof(want),
             "NXDOMAIN aa qd=1 an=1 ns=1 ar=0\n"
             "AN dangling.example.com. 300 CNAME nothere.example.com.\n%s",
             soa);
    EXPECT(ask("dangling.example.com.", "A", -1, false), want);
    snprintf(want, sizeof(want),
             "NOERROR aa qd=1 an=1 ns=1 ar=0\n"
             "AN toent.example.com. 300 CNAME c.example.com.\n%s",
             soa);
    EXPECT(ask("toent.example.com.", "A", -1, false), want);
    EXPECT(ask("ext.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN ext.example.com. 300 CNAME www.example.net.\n");
    EXPECT(ask("loop1.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=2 ns=0 ar=0\n"
           "AN loop1.example.com. 300 CNAME loop2.example.com.\n"
           "AN loop2.example.com. 300 CNAME loop1.example.com.\n");
    /* The chain ends in data with additional-section processing. */
    EXPECT(ask("alias.example.com.", "MX", -1, false),
           "NOERROR aa qd=1 an=1 ns=1 ar=0\n"
           "AN alias.example.com. 300 CNAME www.example.com.\n"
           "NS "
           "example.com. 300 SOA ns1.example.com. hostmaster.example.com. "
           "2024010101 7200 3600 1209600 300\n");
}

static void test_wildcard(void)
{
    EXPECT(ask("foo.wild.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN foo.wild.example.com. 600 A 192.0.2.99\n");
    EXPECT(ask("a.b.c.wild.example.com.", "MX", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
           "AN a.b.c.wild.example.com. 600 MX 5 mail.example.com.\n"
           "AR mail.example.com. 3600 A 192.0.2.25\n");
    EXPECT(ask("*.wild.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN *.wild.example.com. 600 A 192.0.2.99\n");
    EXPECT(ask("q.wc.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=3 ns=0 ar=0\n"
           "AN q.wc.example.com. 600 CNAME www.example.com.\n"
           "AN www.example.com. 3600 A 192.0.2.80\n"
           "AN www.example.com. 3600 A 192.0.2.81\n");
    EXPECT(ask("other.x.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN other.x.example.com. 3600 A 192.0.2.8\n");
    /* An existing name under the wildcard's parent is not synthesized. */
    EXPECT(ask("y.z.x.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN y.z.x.example.com. 3600 A 192.0.2.9\n");
}

static void test_referral(void)
{
    /* RRsets are in canonical rdata order. */
    const char *ref = "NOERROR qd=1 an=0 ns=2 ar=1\n"
                      "NS sub.example.com. 3600 NS ns.other.net.\n"
                      "NS sub.example.com. 3600 NS ns1.sub.example.com.\n"
                      "AR ns1.sub.example.com. 3600 A 192.0.2.100\n";

    EXPECT(ask("www.sub.example.com.", "A", -1, false), ref);
    EXPECT(ask("sub.example.com.", "NS", -1, false), ref);
    EXPECT(ask("sub.example.com.", "A", -1, false), ref);
    EXPECT(ask("ns1.sub.example.com.", "A", -1, false), ref);
    EXPECT(ask("a.b.c.d.sub.example.com.", "ANY", -1, false), ref);
    /* DS is the parent's (RFC 4035 2.4). */
    EXPECT(ask("sub.example.com.", "DS", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN sub.example.com. 3600 DS 1234 8 2 00112233\n");
    EXPECT(ask("nods.example.com.", "DS", -1, false),
           "NOERROR aa qd=1 an=0 ns=1 ar=0\n"
           "NS example.com. 300 SOA ns1.example.com. hostmaster.example.com."
           " 2024010101 7200 3600 1209600 300\n");
    EXPECT(ask("x.nods.example.com.", "A", -1, false),
           "NOERROR qd=1 an=0 ns=1 ar=0\n"
           "NS nods.example.com. 3600 NS ns.other.net.\n");
}

static void test_chase(void)
{
    /* A chain into a delegation ends with the referral, AA kept. */
    EXPECT(ask("cdeleg.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=1 ns=2 ar=1\n"
           "AN cdeleg.example.com. 300 CNAME host.sub.example.com.\n"
           "NS sub.example.com. 3600 NS ns.other.net.\n"
           "NS sub.example.com. 3600 NS ns1.sub.example.com.\n"
           "AR ns1.sub.example.com. 3600 A 192.0.2.100\n");
    /* A chain through a DNAME: DNAME, synthesized CNAME, data. */
    EXPECT(ask("cdn.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=4 ns=0 ar=0\n"
           "AN cdn.example.com. 300 CNAME www.dnin.example.com.\n"
           "AN dnin.example.com. 3600 DNAME tgt.example.com.\n"
           "AN www.dnin.example.com. 3600 CNAME www.tgt.example.com.\n"
           "AN www.tgt.example.com. 3600 A 192.0.2.111\n");
    /* Sibling glue follows the required glue in a referral. */
    EXPECT(ask("x.sib.example.com.", "A", -1, false),
           "NOERROR qd=1 an=0 ns=2 ar=3\n"
           "NS sib.example.com. 3600 NS ns1.sub.example.com.\n"
           "NS sib.example.com. 3600 NS ns1.example.com.\n"
           "AR ns1.sub.example.com. 3600 A 192.0.2.100\n"
           "AR ns1.example.com. 3600 A 192.0.2.53\n"
           "AR ns1.example.com. 3600 AAAA 2001:db8::53\n");
}

static void test_dname(void)
{
    EXPECT(ask("www.dn.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=2 ns=0 ar=0\n"
           "AN dn.example.com. 3600 DNAME example.net.\n"
           "AN www.dn.example.com. 3600 CNAME www.example.net.\n");
    /* Inside the zone the new name is chased (NSD, Knot), to data or to
     * a negative answer with its RCODE (RFC 6604). */
    EXPECT(ask("www.dnin.example.com.", "A", -1, false),
           "NOERROR aa qd=1 an=3 ns=0 ar=0\n"
           "AN dnin.example.com. 3600 DNAME tgt.example.com.\n"
           "AN www.dnin.example.com. 3600 CNAME www.tgt.example.com.\n"
           "AN www.tgt.example.com. 3600 A 192.0.2.111\n");
    EXPECT(ask("NoNe.dnin.example.com.", "A", 1232, false),
           "NXDOMAIN aa qd=1 an=2 ns=1 ar=1\n"
           "AN dnin.example.com. 3600 DNAME tgt.example.com.\n"
           "AN NoNe.dnin.example.com. 3600 CNAME NoNe.tgt.example.com.\n"
           "NS example.com. 300 SOA ns1.example.com. hostmaster.example.com."
           " 2024010101 7200 3600 1209600 300\n"
           "OPT size=1232 ext=0 flags=0000\n");
    EXPECT(ask("www.dnin.example.com.", "MX", -1, false),
           "NOERROR aa qd=1 an=2 ns=1 ar=0\n"
           "AN dnin.example.com. 3600 DNAME tgt.example.com.\n"
           "AN www.dnin.example.com. 3600 CNAME www.tgt.example.com.\n"
           "NS example.com. 300 SOA ns1.example.com. hostmaster.example.com."
           " 2024010101 7200 3600 1209600 300\n");
    EXPECT(ask("dn.example.com.", "DNAME", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN dn.example.com. 3600 DNAME example.net.\n");
}

static void test_any(void)
{
    /* RFC 8482 4.1: one RRset, the first in type order (as Knot). */
    EXPECT(ask("www.example.com.", "ANY", -1, false),
           "NOERROR aa qd=1 an=2 ns=0 ar=0\n"
           "AN www.example.com. 3600 A 192.0.2.80\n"
           "AN www.example.com. 3600 A 192.0.2.81\n");
    /* No additional data for ANY (as NSD): SRV's own entry has it. */
    EXPECT(ask("_sip._udp.example.com.", "ANY", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN _sip._udp.example.com. 3600 SRV 0 5 5060 sip.example.com.\n");
    EXPECT(ask("foo.wild.example.com.", "ANY", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN foo.wild.example.com. 600 A 192.0.2.99\n");
    EXPECT(ask("c.example.com.", "ANY", -1, false),
           "NOERROR aa qd=1 an=0 ns=1 ar=0\n"
           "NS example.com. 300 SOA ns1.example.com. hostmaster.example.com."
           " 2024010101 7200 3600 1209600 300\n");
    EXPECT(ask("alias.example.com.", "ANY", -1, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN alias.example.com. 300 CNAME www.example.com.\n");
}

static void test_refused_chaos(void)
{
    uint8_t q[512];
    size_t ql;

    EXPECT(ask("www.example.org.", "A", -1, false),
           "REFUSED qd=1 an=0 ns=0 ar=0\n");
    EXPECT(ask("com.", "A", -1, false), "REFUSED qd=1 an=0 ns=0 ar=0\n");
    /* Transfers: NOTIMP over UDP (NSD, Knot), REFUSED over TCP (none
     * allowed yet). */
    EXPECT(ask("example.com.", "AXFR", -1, false),
           "NOTIMP qd=1 an=0 ns=0 ar=0\n");
    ql = ta_query(q, "example.com.", DNS_TYPE_IXFR, DNS_CLASS_IN, -1, 0);
    ask_raw(zs, q, ql, DNS_AUTH_TCP, 65535);
    EXPECT(txt, "REFUSED qd=1 an=0 ns=0 ar=0\n");
    /* Class ANY is answered as IN (as Knot). */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_AAAA, DNS_CLASS_ANY, -1, 0);
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
                "AN www.example.com. 3600 AAAA 2001:db8::80\n");
    ql = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_HS, -1, 0);
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "REFUSED qd=1 an=0 ns=0 ar=0\n");
    ql = ta_query(q, "ID.server.", DNS_TYPE_TXT, DNS_CLASS_CH, -1, 0);
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "NOERROR qd=1 an=1 ns=0 ar=0\n"
                "AN ID.server. 0 TXT \"ns1.test\"\n");
    ql = ta_query(q, "version.bind.", DNS_TYPE_TXT, DNS_CLASS_CH, -1, 0);
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "NOERROR qd=1 an=1 ns=0 ar=0\n"
                "AN version.bind. 0 TXT \"tibra-test\"\n");
    ql = ta_query(q, "version.bind.", DNS_TYPE_A, DNS_CLASS_CH, -1, 0);
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "REFUSED qd=1 an=0 ns=0 ar=0\n");
    ql = ta_query(q, "foo.bind.", DNS_TYPE_TXT, DNS_CLASS_CH, -1, 0);
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "REFUSED qd=1 an=0 ns=0 ar=0\n");
}

static void test_malformed(void)
{
    uint8_t q[512];
    size_t ql, n;
    uint64_t dropped = st.dropped;

    /* QR set: dropped.  Short: dropped. */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, 0);
    q[2] |= 0x80;
    CHECK_EQ(ask_raw(zs, q, ql, 0, 512), 0);
    CHECK_EQ(ask_raw(zs, q, 11, 0, 512), 0);
    CHECK_EQ(st.dropped, dropped + 2);
    /* Truncated question: FORMERR, header only, RD kept. */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, 0);
    n = ask_raw(zs, q, ql - 1, 0, 512);
    REQUIRE(n == 12);
    EXPECT(txt, "FORMERR qd=0 an=0 ns=0 ar=0\n");
    CHECK(resp[2] == 0x81);
    /* Two questions; an answer record; a compression pointer. */
    q[5] = 2;
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "FORMERR qd=0 an=0 ns=0 ar=0\n");
    q[5] = 1;
    q[7] = 1;
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "FORMERR qd=0 an=0 ns=0 ar=0\n");
    q[7] = 0;
    q[12] = 0xc0;
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "FORMERR qd=0 an=0 ns=0 ar=0\n");
    /* Two OPT RRs (RFC 6891 6.1.1): FORMERR with the question. */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 0);
    memcpy(q + ql, q + ql - 11, 11);
    q[11] = 2;
    ask_raw(zs, q, ql + 11, 0, 512);
    EXPECT(txt, "FORMERR qd=1 an=0 ns=0 ar=0\n");
    /* A non-zero RCODE in a query (NSD): FORMERR. */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, 0);
    q[3] = 0x03;
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "FORMERR qd=1 an=0 ns=0 ar=0\n");
    /* Opcode UPDATE, NOTIFY, STATUS: NOTIMP (later issues). */
    q[3] = 0;
    q[2] = (uint8_t)(DNS_OPCODE_UPDATE << 3);
    n = ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "NOTIMP qd=1 an=0 ns=0 ar=0\n");
    CHECK(n >= 3 && resp[2] == 0xa8);
    q[2] = (uint8_t)(DNS_OPCODE_NOTIFY << 3);
    n = ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "REFUSED qd=1 an=0 ns=0 ar=0\n");
    q[2] = (uint8_t)(DNS_OPCODE_STATUS << 3);
    n = ask_raw(zs, q, 12, 0, 512);
    EXPECT(txt, "NOTIMP qd=0 an=0 ns=0 ar=0\n");
    /* Trailing bytes after the records are ignored (NSD). */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_AAAA, DNS_CLASS_IN, -1, 0);
    q[ql] = 0x55;
    ask_raw(zs, q, ql + 1, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
                "AN www.example.com. 3600 AAAA 2001:db8::80\n");
    /* TSIG without a key (RFC 8945 5.2.1): NOTAUTH, TSIG error BADKEY,
     * no MAC, the original ID kept. */
    ql = ta_query(q, "example.com.", DNS_TYPE_SOA, DNS_CLASS_IN, -1, 0);
    {
        static const uint8_t tsig[] =
            "\2k1\0\0\xfa\0\xff\0\0\0\0\0\x21"
            "\x0bhmac-sha256\0\0\0\x65\x53\xf1\0\1\x2c"
            "\0\4abcd\xab\xcd\0\0\0\0";
        memcpy(q + ql, tsig, sizeof(tsig) - 1);
        q[11] = 1;
        n = ask_raw(zs, q, ql + sizeof(tsig) - 1, 0, 512);
        REQUIRE(n == ql + 43); /* the request's TSIG less its MAC */
        CHECK(DNS_RCODE(resp[3]) == DNS_RCODE_NOTAUTH);
        CHECK(resp[11] == 1);
        CHECK_MEM(resp + ql, "\2k1\0\0\xfa\0\xff\0\0\0\0\0\x1d", 14);
        CHECK_MEM(resp + n - 8, "\0\0\xab\xcd\0\x11\0\0", 8);
        /* A compressed owner: FORMERR. */
        memcpy(q + ql, "\xc0\x0c", 2);
        memcpy(q + ql + 2, tsig + 4, sizeof(tsig) - 1 - 4);
        ask_raw(zs, q, ql + sizeof(tsig) - 1 - 2, 0, 512);
        CHECK(strstr(txt, "FORMERR") == txt);
    }
    /* cap < 512: nothing. */
    CHECK_EQ(ask_raw(zs, q, ql, 0, 511), 0);
}

static void test_edns(void)
{
    uint8_t q[512];
    size_t ql;

    EXPECT(ask("www.example.com.", "AAAA", 4096, false),
           "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
           "AN www.example.com. 3600 AAAA 2001:db8::80\n"
           "OPT size=1232 ext=0 flags=0000\n");
    EXPECT(ask("www.example.com.", "AAAA", 4096, true),
           "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
           "AN www.example.com. 3600 AAAA 2001:db8::80\n"
           "OPT size=1232 ext=0 flags=8000\n");
    EXPECT(ask("www.example.org.", "A", 1232, false),
           "REFUSED qd=1 an=0 ns=0 ar=1\n"
           "OPT size=1232 ext=0 flags=0000 EDE=20\n");
    /* RFC 6891 6.1.3: version 1 -> BADVERS (ext 1, header 0). */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 0);
    q[ql - 5] = 1;
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "NOERROR qd=1 an=0 ns=0 ar=1\n"
                "OPT size=1232 ext=1 flags=0000\n");
    /* Malformed option TLV: FORMERR. */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 0);
    tb_put16(q + ql - 2, 3);
    memcpy(q + ql, "\0\1\0", 3);
    ask_raw(zs, q, ql + 3, 0, 512);
    EXPECT(txt, "FORMERR qd=1 an=0 ns=0 ar=0\n");
}

/*
 * Issue 7: REFUSED for a name outside our zones carries Extended DNS Error
 * 20, Not Authoritative (RFC 8914 4.21), when the query has EDNS, as NSD
 * 4.6.1 and Knot 3.2.6 send it: one option, info-code only.
 */
static void bug7_ede_not_auth(void)
{
    static const char *const child[] = {"@ 60 SOA ns1 h 1 2 3 4 5",
                                        "@ 60 NS ns1", NULL};
    const char *refused = "REFUSED qd=1 an=0 ns=0 ar=1\n"
                          "OPT size=1232 ext=0 flags=0000 EDE=20\n";
    struct dns_zoneset *set;
    uint8_t q[512];
    size_t ql, n, cl;
    uint8_t *cb = ta_zone("sub.example.net.", child, &cl);
    const void *b[2] = {blob, cb};
    size_t l[2] = {blob_len, cl};

    /* The bytes: OPT, RDLENGTH 6, option 15, length 2, info-code 20. */
    ql = ta_query(q, "www.example.org.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 1);
    n = ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "REFUSED qd=1 an=0 ns=0 ar=1\n"
                "OPT size=1232 ext=0 flags=8000 EDE=20\n");
    REQUIRE(n == ql + 6);
    CHECK_MEM(resp + n - 17,
              "\0\0\x29\x04\xd0\0\0\x80\0\0\x06\0\x0f\0\x02\0\x14", 17);
    /* Without EDNS: no OPT, nothing to carry it. */
    EXPECT(ask("www.example.org.", "A", -1, false),
           "REFUSED qd=1 an=0 ns=0 ar=0\n");
    EXPECT(ask("org.", "SOA", 4096, false), refused);
    EXPECT(ask(".", "NS", 512, false), refused);
    /* Several zones: a name under none of them; an empty set. */
    REQUIRE(dns_zoneset_build(&set, b, l, 2, NULL, &ta) == 0);
    ql = ta_query(q, "example.net.", DNS_TYPE_SOA, DNS_CLASS_IN, 1232, 0);
    ask_raw(set, q, ql, 0, 512);
    EXPECT(txt, refused);
    dns_zoneset_free(set, &ta);
    REQUIRE(dns_zoneset_build(&set, b, l, 0, NULL, &ta) == 0);
    ask_raw(set, q, ql, 0, 512);
    EXPECT(txt, refused);
    dns_zoneset_free(set, &ta);
    free(cb);
    /* A refused class carries none (as Knot), a refused transfer EDE 18
     * Prohibited (as NSD). */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_HS, 1232, 0);
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "REFUSED qd=1 an=0 ns=0 ar=1\n"
                "OPT size=1232 ext=0 flags=0000\n");
    ql = ta_query(q, "example.com.", DNS_TYPE_IXFR, DNS_CLASS_IN, 1232, 0);
    ask_raw(zs, q, ql, DNS_AUTH_TCP, 65535);
    EXPECT(txt, "REFUSED qd=1 an=0 ns=0 ar=1\n"
                "OPT size=1232 ext=0 flags=0000 EDE=18\n");
    ql = ta_query(q, "example.com.", DNS_TYPE_AXFR, DNS_CLASS_IN, 1232, 0);
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "NOTIMP qd=1 an=0 ns=0 ar=1\n"
                "OPT size=1232 ext=0 flags=0000\n");
}

/* A query for (name, type) with an OPT of payload (edns) holding an
 * empty NSID option (RFC 5001 2.1). */
static size_t nsid_query(uint8_t *q, const char *name, uint16_t type,
                         uint16_t qclass, int edns, bool do_bit)
{
    size_t ql = ta_query(q, name, type, qclass, edns, do_bit);

    tb_put16(q + ql - 2, 4);
    memcpy(q + ql, "\0\3\0\0", 4);
    return ql + 4;
}

/*
 * Issue 7: NSID (RFC 5001) in every response with an OPT to a query that
 * asks for it (as Knot 3.2.6 and NSD 4.6.1), BADVERS excepted (as NSD),
 * NSID before EDE, room kept for it; never without being asked or
 * configured.
 */
static void bug7_nsid(void)
{
    static const uint8_t id[] = "ns\0bin"; /* any bytes */
    struct dns_auth_opts o = {.chaos = true,
                              .identity = "ns1.test",
                              .version = "tibra-test",
                              .nsid = id,
                              .nsid_len = sizeof(id) - 1};
    const void *b[1] = {blob};
    size_t l[1] = {blob_len}, ql, n, n0;
    struct dns_zoneset *set;
    uint8_t q[512];
    char want[2048];
    const char *nsid = " NSID=6e730062696e";

    REQUIRE(dns_zoneset_build(&set, b, l, 1, &o, &ta) == 0);
    ql = nsid_query(q, "www.example.com.", DNS_TYPE_AAAA, DNS_CLASS_IN, 1232,
                    true);
    n = ask_raw(set, q, ql, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
                "AN www.example.com. 3600 AAAA 2001:db8::80\n"
                "OPT size=1232 ext=0 flags=8000 NSID=6e730062696e\n");
    REQUIRE(n > 21);
    CHECK_MEM(resp + n - 21,
              "\0\0\x29\x04\xd0\0\0\x80\0\0\x0a\0\x03\0\x06ns\0bin", 21);
    /* Not asked: none.  Without EDNS: no OPT at all. */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_AAAA, DNS_CLASS_IN, 1232, 0);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "NSID") == NULL);
    /* Every kind of answer: negative, wildcard, referral, DNAME, CNAME
     * chain, CHAOS, over TCP. */
    ql = nsid_query(q, "nx.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 0);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "NXDOMAIN aa qd=1 an=0 ns=1 ar=1\n") == txt);
    CHECK(strstr(txt, nsid) != NULL);
    ql = nsid_query(q, "a.wild.example.com.", DNS_TYPE_MX, DNS_CLASS_IN, 1232,
                    0);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "NOERROR aa qd=1 an=1 ns=0 ar=2\n") == txt);
    CHECK(strstr(txt, nsid) != NULL);
    ql = nsid_query(q, "x.sub.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 0);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "NOERROR qd=1 an=0 ns=2 ar=2\n") == txt);
    CHECK(strstr(txt, nsid) != NULL);
    ql = nsid_query(q, "www.dnin.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232,
                    0);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "NOERROR aa qd=1 an=3 ns=0 ar=1\n") == txt);
    CHECK(strstr(txt, nsid) != NULL);
    ql = nsid_query(q, "chain.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 0);
    ask_raw(set, q, ql, DNS_AUTH_TCP, 65535);
    CHECK(strstr(txt, "NOERROR aa qd=1 an=4 ns=0 ar=1\n") == txt);
    CHECK(strstr(txt, nsid) != NULL);
    ql = nsid_query(q, "id.server.", DNS_TYPE_TXT, DNS_CLASS_CH, 1232, 0);
    ask_raw(set, q, ql, 0, 512);
    snprintf(want, sizeof(want),
             "NOERROR qd=1 an=1 ns=0 ar=1\n"
             "AN id.server. 0 TXT \"ns1.test\"\n"
             "OPT size=1232 ext=0 flags=0000%s\n",
             nsid);
    EXPECT(txt, want);
    /* Errors with an OPT: NSID first, then the EDE. */
    ql = nsid_query(q, "www.example.org.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 0);
    n = ask_raw(set, q, ql, 0, 512);
    snprintf(want, sizeof(want),
             "REFUSED qd=1 an=0 ns=0 ar=1\n"
             "OPT size=1232 ext=0 flags=0000%s EDE=20\n",
             nsid);
    EXPECT(txt, want);
    CHECK(n == ql - 4 + 10 + 6);
    ql = nsid_query(q, "example.com.", DNS_TYPE_IXFR, DNS_CLASS_IN, 1232, 0);
    ask_raw(set, q, ql, DNS_AUTH_TCP, 65535);
    snprintf(want, sizeof(want),
             "REFUSED qd=1 an=0 ns=0 ar=1\n"
             "OPT size=1232 ext=0 flags=0000%s EDE=18\n",
             nsid);
    EXPECT(txt, want);
    ql = nsid_query(q, "example.com.", DNS_TYPE_AXFR, DNS_CLASS_IN, 1232, 0);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "NOTIMP") == txt && strstr(txt, nsid) != NULL);
    ql = nsid_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_HS, 1232, 0);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "REFUSED") == txt && strstr(txt, nsid) != NULL &&
          strstr(txt, "EDE") == NULL);
    q[2] = (uint8_t)(DNS_OPCODE_NOTIFY << 3);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "REFUSED") == txt && strstr(txt, nsid) != NULL);
    q[2] = 0;
    q[3] = 0x02; /* an RCODE in a query: FORMERR */
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "FORMERR qd=1") == txt && strstr(txt, nsid) != NULL);
    /* BADVERS: the options of an unknown version are not answered. */
    ql = nsid_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 0);
    q[ql - 9] = 1;
    ask_raw(set, q, ql, 0, 512);
    EXPECT(txt, "NOERROR qd=1 an=0 ns=0 ar=1\n"
                "OPT size=1232 ext=1 flags=0000\n");
    /* QDCOUNT 0 with an OPT: FORMERR with our OPT (as Knot). */
    memcpy(q + 12, "\0\0\x29\x04\xd0\0\0\0\0\0\4\0\3\0\0", 15);
    q[5] = 0;
    ask_raw(set, q, 27, 0, 512);
    snprintf(want, sizeof(want),
             "FORMERR qd=0 an=0 ns=0 ar=1\n"
             "OPT size=1232 ext=0 flags=0000%s\n",
             nsid);
    EXPECT(txt, want);
    q[5] = 1;
    /* An NSID request with data, and two of them: one NSID back. */
    ql = ta_query(q, "www.example.com.", DNS_TYPE_AAAA, DNS_CLASS_IN, 1232, 0);
    tb_put16(q + ql - 2, 10);
    memcpy(q + ql, "\0\3\0\2ab\0\3\0\0", 10);
    ask_raw(set, q, ql + 10, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
                "AN www.example.com. 3600 AAAA 2001:db8::80\n"
                "OPT size=1232 ext=0 flags=0000 NSID=6e730062696e\n");
    /* TC keeps the OPT and its NSID; room is kept for the NSID: an answer
     * that fits only without it is truncated. */
    ql = nsid_query(q, "big.example.com.", DNS_TYPE_TXT, DNS_CLASS_IN, 512, 0);
    n = ask_raw(set, q, ql, 0, 65535);
    CHECK(n <= 512);
    snprintf(want, sizeof(want),
             "NOERROR aa tc qd=1 an=0 ns=0 ar=1\n"
             "OPT size=1232 ext=0 flags=0000%s\n",
             nsid);
    EXPECT(txt, want);
    ql = ta_query(q, "big.example.com.", DNS_TYPE_TXT, DNS_CLASS_IN, 4096, 0);
    n0 = ask_raw(set, q, ql, 0, 65535);
    ql = nsid_query(q, "big.example.com.", DNS_TYPE_TXT, DNS_CLASS_IN,
                    (int)n0 + 9, 0);
    n = ask_raw(set, q, ql, 0, 65535);
    CHECK(n <= n0 + 9);
    CHECK(strstr(txt, "NOERROR aa tc qd=1 an=0 ns=0 ar=1\n") == txt);
    CHECK(strstr(txt, nsid) != NULL);
    ql = nsid_query(q, "big.example.com.", DNS_TYPE_TXT, DNS_CLASS_IN,
                    (int)n0 + 10, 0);
    n = ask_raw(set, q, ql, 0, 65535);
    CHECK_EQ(n, n0 + 10);
    CHECK(strstr(txt, "NOERROR aa qd=1 an=2 ns=0 ar=1\n") == txt);
    dns_zoneset_free(set, &ta);
    /* Asked but none configured: no NSID (as NSD by default). */
    ql =
        nsid_query(q, "www.example.com.", DNS_TYPE_AAAA, DNS_CLASS_IN, 1232, 0);
    ask_raw(zs, q, ql, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
                "AN www.example.com. 3600 AAAA 2001:db8::80\n"
                "OPT size=1232 ext=0 flags=0000\n");
    /* A 255-byte NSID and a 255-byte name cannot share 512 bytes with
     * the answer's room: the answer comes without the NSID. */
    {
        static uint8_t big[255];
        char name[300];
        size_t k = 0;
        memset(big, 'n', sizeof(big));
        o.nsid = big;
        o.nsid_len = 255;
        REQUIRE(dns_zoneset_build(&set, b, l, 1, &o, &ta) == 0);
        for (int i = 0; i < 3; i++)
            k += (size_t)snprintf(name + k, sizeof(name) - k, "%.63s.",
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                                  "aaaaaaaaaaaaaaaaaaaa");
        snprintf(name + k, sizeof(name) - k, "%.49s.example.com.",
                 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
        ql = nsid_query(q, name, DNS_TYPE_A, DNS_CLASS_IN, 512, 0);
        REQUIRE(ql == 12 + 255 + 4 + 15);
        n = ask_raw(set, q, ql, 0, 512);
        CHECK(n <= 512);
        CHECK(strstr(txt, "NXDOMAIN aa qd=1 an=0 ns=1 ar=1\n") == txt);
        CHECK(strstr(txt, "NSID") == NULL);
        ql =
            nsid_query(q, "www.example.com.", DNS_TYPE_A, DNS_CLASS_IN, 512, 0);
        ask_raw(set, q, ql, 0, 512);
        CHECK(strstr(txt, " NSID=6e6e6e") != NULL);
        dns_zoneset_free(set, &ta);
        o.nsid_len = 256;
        CHECK_EQ(dns_zoneset_build(&set, b, l, 1, &o, &ta), TB_EINVAL);
    }
}

/* Every RR of response (r, n) once: no two RRs with the same bytes,
 * names compared after decompression (ta_print's lines). */
static bool no_repeats(const char *t)
{
    const char *a = strchr(t, '\n'), *b;

    for (a = a ? a + 1 : t; *a != 0; a = strchr(a, '\n') + 1) {
        size_t la = (size_t)(strchr(a, '\n') - a);
        for (b = strchr(a, '\n') + 1; *b != 0; b = strchr(b, '\n') + 1)
            if ((size_t)(strchr(b, '\n') - b) == la && memcmp(a, b, la) == 0)
                return false;
    }
    return true;
}

static const char *const zone_loops[] = {
    "@ 300 SOA ns1 h 1 7200 3600 1209600 60", "@ 300 NS ns1",
    "ns1 300 A 192.0.2.1", "www 300 A 192.0.2.80",
    /* wildcard CNAME loops */
    "*.wloop 300 CNAME x.wloop", "*.wself 300 CNAME *.wself",
    "*.wa 300 CNAME a.wb", "*.wb 300 CNAME b.wa",
    "to-wloop 300 CNAME foo.wloop",
    /* DNAME chains at query time and from a CNAME */
    "dn4 300 DNAME dn5", "dn5 300 DNAME tgt", "x.tgt 300 A 192.0.2.10",
    "y.tgt 300 CNAME z.dn4", "z.tgt 300 A 192.0.2.11", "d1 300 DNAME d2",
    "d2 300 DNAME d1", "c9 300 CNAME x.d1", "dn7 300 DNAME deleg",
    "deleg 300 NS ns.deleg", "ns.deleg 300 A 192.0.2.12", "dloop 300 DNAME dl2",
    "*.dl2 300 CNAME x.dloop", "yx0 300 DNAME yx1",
    "yx1 300 DNAME "
    "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc."
    "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.tgt",
    NULL};

/*
 * Issue 7: wildcard CNAME loops (RFC 4592 with RFC 1034 4.3.2) answered
 * as NSD 4.6.1 and Knot 3.2.6 do -- the chain up to the first name that
 * already owns a record of it, NOERROR, no SOA -- each RR once (NSD and
 * Knot repeat some); the literal wildcard name included.
 */
static void bug7_wildcard_loops(void)
{
    struct dns_zoneset *set;
    size_t len;
    uint8_t *b = ta_zone("loop.test.", zone_loops, &len);
    const void *bb[1] = {b};
    uint8_t q[512];
    size_t ql;

    REQUIRE(dns_zoneset_build(&set, bb, &len, 1, NULL, &ta) == 0);
#define ASK(name, type)                                                        \
    (ql = ta_query(q, name, ta_type(type), DNS_CLASS_IN, -1, 0),               \
     ask_raw(set, q, ql, 0, 512), txt)
    EXPECT(ASK("foo.wloop.loop.test.", "A"),
           "NOERROR aa qd=1 an=2 ns=0 ar=0\n"
           "AN foo.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n"
           "AN x.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n");
    /* The query name is the loop's last owner: one record. */
    EXPECT(ASK("x.wloop.loop.test.", "A"),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN x.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n");
    /* (The target's suffix is compressed against the query name: its
     * case, RFC 4343.) */
    EXPECT(ASK("X.wLOOP.loop.test.", "TXT"),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN X.wLOOP.loop.test. 300 CNAME x.wLOOP.loop.test.\n");
    EXPECT(ASK("a.b.wloop.loop.test.", "A"),
           "NOERROR aa qd=1 an=2 ns=0 ar=0\n"
           "AN a.b.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n"
           "AN x.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n");
    /* A wildcard pointing at itself: the literal name, a synthesized one. */
    EXPECT(ASK("*.wself.loop.test.", "A"),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN *.wself.loop.test. 300 CNAME *.wself.loop.test.\n");
    EXPECT(ASK("foo.wself.loop.test.", "A"),
           "NOERROR aa qd=1 an=2 ns=0 ar=0\n"
           "AN foo.wself.loop.test. 300 CNAME *.wself.loop.test.\n"
           "AN *.wself.loop.test. 300 CNAME *.wself.loop.test.\n");
    /* Two wildcards in a ring. */
    EXPECT(ASK("foo.wa.loop.test.", "A"),
           "NOERROR aa qd=1 an=3 ns=0 ar=0\n"
           "AN foo.wa.loop.test. 300 CNAME a.wb.loop.test.\n"
           "AN a.wb.loop.test. 300 CNAME b.wa.loop.test.\n"
           "AN b.wa.loop.test. 300 CNAME a.wb.loop.test.\n");
    CHECK(no_repeats(txt));
    EXPECT(ASK("b.wa.loop.test.", "MX"),
           "NOERROR aa qd=1 an=2 ns=0 ar=0\n"
           "AN b.wa.loop.test. 300 CNAME a.wb.loop.test.\n"
           "AN a.wb.loop.test. 300 CNAME b.wa.loop.test.\n");
    EXPECT(ASK("a.wb.loop.test.", "A"),
           "NOERROR aa qd=1 an=2 ns=0 ar=0\n"
           "AN a.wb.loop.test. 300 CNAME b.wa.loop.test.\n"
           "AN b.wa.loop.test. 300 CNAME a.wb.loop.test.\n");
    /* Into a wildcard loop from an exact name. */
    EXPECT(ASK("to-wloop.loop.test.", "A"),
           "NOERROR aa qd=1 an=3 ns=0 ar=0\n"
           "AN to-wloop.loop.test. 300 CNAME foo.wloop.loop.test.\n"
           "AN foo.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n"
           "AN x.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n");
    /* The same with DO and over TCP. */
    ql = ta_query(q, "x.wloop.loop.test.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 1);
    ask_raw(set, q, ql, DNS_AUTH_TCP, 65535);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
                "AN x.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n"
                "OPT size=1232 ext=0 flags=8000\n");
    /* The CNAME type itself, and ANY: the one RRset. */
    EXPECT(ASK("foo.wloop.loop.test.", "CNAME"),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN foo.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n");
    EXPECT(ASK("x.wloop.loop.test.", "ANY"),
           "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
           "AN x.wloop.loop.test. 300 CNAME x.wloop.loop.test.\n");
#undef ASK
    dns_zoneset_free(set, &ta);
    free(b);
}

/*
 * Issue 7: DNAMEs followed as NSD 4.6.1 and Knot 3.2.6 do (RFC 6672 3.2):
 * a CNAME whose target is under a DNAME, a synthesized name under another
 * DNAME (at query time), into a referral (AA kept), DNAME loops (each RR
 * once), YXDOMAIN after a second DNAME (as NSD).
 */
static void bug7_dname_chains(void)
{
    struct dns_zoneset *set;
    size_t len, n;
    uint8_t *b = ta_zone("loop.test.", zone_loops, &len);
    const void *bb[1] = {b};
    uint8_t q[512];
    size_t ql;
    char name[300];

    REQUIRE(dns_zoneset_build(&set, bb, &len, 1, NULL, &ta) == 0);
#define ASK(name, type)                                                        \
    (ql = ta_query(q, name, ta_type(type), DNS_CLASS_IN, -1, 0),               \
     ask_raw(set, q, ql, 0, 512), txt)
    EXPECT(ASK("X.dn4.loop.test.", "A"),
           "NOERROR aa qd=1 an=5 ns=0 ar=0\n"
           "AN dn4.loop.test. 300 DNAME dn5.loop.test.\n"
           "AN X.dn4.loop.test. 300 CNAME X.dn5.loop.test.\n"
           "AN dn5.loop.test. 300 DNAME tgt.loop.test.\n"
           "AN X.dn5.loop.test. 300 CNAME X.tgt.loop.test.\n"
           "AN X.tgt.loop.test. 300 A 192.0.2.10\n");
    EXPECT(ASK("y.dn4.loop.test.", "A"),
           "NOERROR aa qd=1 an=8 ns=0 ar=0\n"
           "AN dn4.loop.test. 300 DNAME dn5.loop.test.\n"
           "AN y.dn4.loop.test. 300 CNAME y.dn5.loop.test.\n"
           "AN dn5.loop.test. 300 DNAME tgt.loop.test.\n"
           "AN y.dn5.loop.test. 300 CNAME y.tgt.loop.test.\n"
           "AN y.tgt.loop.test. 300 CNAME z.dn4.loop.test.\n"
           "AN z.dn4.loop.test. 300 CNAME z.dn5.loop.test.\n"
           "AN z.dn5.loop.test. 300 CNAME z.tgt.loop.test.\n"
           "AN z.tgt.loop.test. 300 A 192.0.2.11\n");
    EXPECT(ASK("nx.dn4.loop.test.", "A"),
           "NXDOMAIN aa qd=1 an=4 ns=1 ar=0\n"
           "AN dn4.loop.test. 300 DNAME dn5.loop.test.\n"
           "AN nx.dn4.loop.test. 300 CNAME nx.dn5.loop.test.\n"
           "AN dn5.loop.test. 300 DNAME tgt.loop.test.\n"
           "AN nx.dn5.loop.test. 300 CNAME nx.tgt.loop.test.\n"
           "NS loop.test. 60 SOA ns1.loop.test. h.loop.test. 1 7200 3600 "
           "1209600 60\n");
    /* A CNAME to a name under the DNAME chain (compiled). */
    EXPECT(ASK("y.tgt.loop.test.", "A"),
           "NOERROR aa qd=1 an=6 ns=0 ar=0\n"
           "AN y.tgt.loop.test. 300 CNAME z.dn4.loop.test.\n"
           "AN dn4.loop.test. 300 DNAME dn5.loop.test.\n"
           "AN z.dn4.loop.test. 300 CNAME z.dn5.loop.test.\n"
           "AN dn5.loop.test. 300 DNAME tgt.loop.test.\n"
           "AN z.dn5.loop.test. 300 CNAME z.tgt.loop.test.\n"
           "AN z.tgt.loop.test. 300 A 192.0.2.11\n");
    /* DNAME loops: at query time and behind a CNAME. */
    EXPECT(ASK("x.d1.loop.test.", "A"),
           "NOERROR aa qd=1 an=4 ns=0 ar=0\n"
           "AN d1.loop.test. 300 DNAME d2.loop.test.\n"
           "AN x.d1.loop.test. 300 CNAME x.d2.loop.test.\n"
           "AN d2.loop.test. 300 DNAME d1.loop.test.\n"
           "AN x.d2.loop.test. 300 CNAME x.d1.loop.test.\n");
    EXPECT(ASK("c9.loop.test.", "A"),
           "NOERROR aa qd=1 an=5 ns=0 ar=0\n"
           "AN c9.loop.test. 300 CNAME x.d1.loop.test.\n"
           "AN d1.loop.test. 300 DNAME d2.loop.test.\n"
           "AN x.d1.loop.test. 300 CNAME x.d2.loop.test.\n"
           "AN d2.loop.test. 300 DNAME d1.loop.test.\n"
           "AN x.d2.loop.test. 300 CNAME x.d1.loop.test.\n");
    /* A DNAME and a wildcard CNAME back to it. */
    EXPECT(ASK("x.dloop.loop.test.", "A"),
           "NOERROR aa qd=1 an=3 ns=0 ar=0\n"
           "AN dloop.loop.test. 300 DNAME dl2.loop.test.\n"
           "AN x.dloop.loop.test. 300 CNAME x.dl2.loop.test.\n"
           "AN x.dl2.loop.test. 300 CNAME x.dloop.loop.test.\n");
    EXPECT(ASK("a.dl2.loop.test.", "A"),
           "NOERROR aa qd=1 an=4 ns=0 ar=0\n"
           "AN a.dl2.loop.test. 300 CNAME x.dloop.loop.test.\n"
           "AN dloop.loop.test. 300 DNAME dl2.loop.test.\n"
           "AN x.dloop.loop.test. 300 CNAME x.dl2.loop.test.\n"
           "AN x.dl2.loop.test. 300 CNAME x.dloop.loop.test.\n");
    /* Into a delegation: the referral, AA kept (NSD, Knot). */
    EXPECT(ASK("a.dn7.loop.test.", "A"),
           "NOERROR aa qd=1 an=2 ns=1 ar=1\n"
           "AN dn7.loop.test. 300 DNAME deleg.loop.test.\n"
           "AN a.dn7.loop.test. 300 CNAME a.deleg.loop.test.\n"
           "NS deleg.loop.test. 300 NS ns.deleg.loop.test.\n"
           "AR ns.deleg.loop.test. 300 A 192.0.2.12\n");
    /* The second DNAME makes the name too long: YXDOMAIN after it. */
    snprintf(name, sizeof(name), "%.63s.%.63s.yx0.loop.test.",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
             "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    ql = ta_query(q, name, DNS_TYPE_A, DNS_CLASS_IN, -1, 0);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "YXDOMAIN aa qd=1 an=3 ns=0 ar=0\n") == txt);
    CHECK(strstr(txt, "AN yx1.loop.test. 300 DNAME cccc") != NULL);
    /* Truncation: the DNAMEs and CNAMEs that fit, TC. */
    snprintf(name, sizeof(name), "%.60s.%.60s.dn4.loop.test.",
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
             "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    ql = ta_query(q, name, DNS_TYPE_A, DNS_CLASS_IN, -1, 0);
    n = ask_raw(set, q, ql, 0, 512);
    CHECK(n <= 512);
    CHECK(strstr(txt, "NXDOMAIN aa tc") == txt ||
          strstr(txt, "NOERROR aa tc") == txt);
    n = ask_raw(set, q, ql, DNS_AUTH_TCP, 65535);
    CHECK(strstr(txt, "NXDOMAIN aa qd=1 an=4 ns=1 ar=0\n") == txt);
    CHECK(no_repeats(txt));
#undef ASK
    dns_zoneset_free(set, &ta);
    free(b);
}

static void test_truncation(void)
{
    uint8_t q[512];
    size_t ql, n;

    /* 1212 bytes of TXT: TC without EDNS, fits 1232 with it. */
    ql = ta_query(q, "big.example.com.", DNS_TYPE_TXT, DNS_CLASS_IN, -1, 0);
    n = ask_raw(zs, q, ql, 0, 65535);
    CHECK(n <= 512);
    EXPECT(txt, "NOERROR aa tc qd=1 an=0 ns=0 ar=0\n");
    ql = ta_query(q, "big.example.com.", DNS_TYPE_TXT, DNS_CLASS_IN, 4096, 0);
    n = ask_raw(zs, q, ql, 0, 65535);
    CHECK(n > 512 && n <= 1232);
    CHECK(strstr(txt, "NOERROR aa qd=1 an=2 ns=0 ar=1\n") == txt);
    ql = ta_query(q, "big.example.com.", DNS_TYPE_TXT, DNS_CLASS_IN, -1, 0);
    n = ask_raw(zs, q, ql, DNS_AUTH_TCP, 65535);
    CHECK(strstr(txt, "NOERROR aa qd=1 an=2 ns=0 ar=0\n") == txt);
    /* Additional that does not fit: left out, no TC (RFC 9471). */
    ql = ta_query(q, "many.example.com.", DNS_TYPE_MX, DNS_CLASS_IN, -1, 0);
    n = ask_raw(zs, q, ql, 0, 65535);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
                "AN many.example.com. 3600 MX 10 hosts.example.com.\n");
    ql = ta_query(q, "many.example.com.", DNS_TYPE_MX, DNS_CLASS_IN, 1232, 0);
    n = ask_raw(zs, q, ql, 0, 65535);
    CHECK(strstr(txt, "NOERROR aa qd=1 an=1 ns=0 ar=31\n") == txt);
}

static void test_multi_zone(void)
{
    static const char *const child[] = {
        "@ 7200 SOA ns1 h 7 7200 3600 1209600 60",
        "@ 7200 NS ns1",
        "@ 7200 DS 0001 01 01 ff",
        "ns1 7200 A 192.0.2.200",
        "www 7200 A 192.0.2.201",
        NULL};
    static const char *const root[] = {
        "@ 86400 SOA a.root. nstld.verisign-grs.com. 1 1800 900 604800 86400",
        "@ 86400 NS a.root.", "a.root. 86400 A 198.41.0.4", NULL};
    struct dns_zoneset *set;
    size_t cl, rl;
    uint8_t *cb = ta_zone("sub.example.com.", child, &cl);
    uint8_t *rb = ta_zone(".", root, &rl);
    const void *b[3] = {blob, cb, rb};
    size_t l[3] = {blob_len, cl, rl};
    uint8_t q[512];
    size_t ql;

    REQUIRE(dns_zoneset_build(&set, b, l, 3, NULL, &ta) == 0);
    ql = ta_query(q, "www.sub.example.com.", DNS_TYPE_A, DNS_CLASS_IN, -1, 0);
    ask_raw(set, q, ql, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
                "AN www.sub.example.com. 7200 A 192.0.2.201\n");
    /* DS at the child's apex comes from the parent (RFC 4035 3.1.4.1). */
    ql = ta_query(q, "sub.example.com.", DNS_TYPE_DS, DNS_CLASS_IN, -1, 0);
    ask_raw(set, q, ql, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
                "AN sub.example.com. 3600 DS 1234 8 2 00112233\n");
    ql = ta_query(q, "www.example.com.", DNS_TYPE_AAAA, DNS_CLASS_IN, -1, 0);
    ask_raw(set, q, ql, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=0\n"
                "AN www.example.com. 3600 AAAA 2001:db8::80\n");
    ql = ta_query(q, "example.org.", DNS_TYPE_A, DNS_CLASS_IN, -1, 0);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "NXDOMAIN aa qd=1 an=0 ns=1 ar=0\nNS . 86400 SOA") ==
          txt);
    ql = ta_query(q, ".", DNS_TYPE_NS, DNS_CLASS_IN, -1, 0);
    ask_raw(set, q, ql, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
                "AN . 86400 NS a.root.\n"
                "AR a.root. 86400 A 198.41.0.4\n");
    dns_zoneset_free(set, &ta);
    /* Same origin twice. */
    b[1] = blob;
    l[1] = blob_len;
    CHECK_EQ(dns_zoneset_build(&set, b, l, 2, NULL, &ta), TB_EEXIST);
    free(cb);
    free(rb);
}

static void test_dnssec(void)
{
    static const char *const zone[] = {
        "@ 3600 SOA ns1 h 1 7200 3600 1209600 300",
        "@ 3600 RRSIG SOA",
        "@ 3600 NS ns1",
        "@ 3600 RRSIG NS",
        "ns1 3600 A 192.0.2.1",
        "ns1 3600 RRSIG A",
        NULL};
    struct dns_zoneset *set;
    size_t len;
    uint8_t *b = ta_zone("signed.test.", zone, &len);
    const void *bb[1] = {b};
    uint8_t q[512];
    size_t ql;

    REQUIRE(dns_zoneset_build(&set, bb, &len, 1, NULL, &ta) == 0);
    ql = ta_query(q, "ns1.signed.test.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 0);
    ask_raw(set, q, ql, 0, 512);
    EXPECT(txt, "NOERROR aa qd=1 an=1 ns=0 ar=1\n"
                "AN ns1.signed.test. 3600 A 192.0.2.1\n"
                "OPT size=1232 ext=0 flags=0000\n");
    ql = ta_query(q, "ns1.signed.test.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 1);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "NOERROR aa qd=1 an=2 ns=0 ar=1\n"
                      "AN ns1.signed.test. 3600 A 192.0.2.1\n"
                      "AN ns1.signed.test. 3600 RRSIG A 13 3 3600 ") == txt);
    ql = ta_query(q, "nx.signed.test.", DNS_TYPE_A, DNS_CLASS_IN, 1232, 1);
    ask_raw(set, q, ql, 0, 512);
    CHECK(strstr(txt, "NXDOMAIN aa qd=1 an=0 ns=2 ar=1\n") == txt);
    CHECK(strstr(txt, "NS signed.test. 300 RRSIG SOA") != NULL);
    dns_zoneset_free(set, &ta);
    free(b);
}

/* Compiling is deterministic, and the blob survives a copy to another
 * address (position independence). */
static void test_blob(void)
{
    size_t l2;
    uint8_t *b2 = ta_zone("example.com.", zone_com, &l2);
    const uint8_t *origin = NULL;
    uint32_t serial = 0;

    REQUIRE(l2 == blob_len);
    CHECK_MEM(b2, blob, l2);
    CHECK_EQ(dns_zone_open(b2, l2, &origin, &serial), 0);
    CHECK_EQ(serial, 2024010101u);
    CHECK(origin != NULL && memcmp(origin, "\7example\3com", 13) == 0);
    CHECK_EQ(dns_zone_open(b2, l2 - 1, NULL, NULL), TB_EMALF);
    b2[4] = 9;
    CHECK_EQ(dns_zone_open(b2, l2, NULL, NULL), TB_ENOTSUP);
    free(b2);
}

/* Random corruption of a valid blob: open either fails or answers
 * without touching memory out of bounds (ASan watches). */
static void test_blob_corrupt(void)
{
    uint8_t *b2 = malloc(blob_len);
    uint64_t rng = 42;
    unsigned accepted = 0;
    static const char *const names[] = {
        "www.example.com.",      "nope.example.com.", "x.sub.example.com.",
        "a.b.wild.example.com.", "q.dn.example.com.", "chain.example.com."};

    for (int round = 0; round < 300; round++) {
        struct dns_zoneset *set;
        const void *b[1] = {b2};
        memcpy(b2, blob, blob_len);
        for (int k = 0; k < 1 + round % 8; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            size_t at = (size_t)(rng >> 33) % blob_len;
            b2[at] = (uint8_t)(rng >> 20);
        }
        if (dns_zoneset_build(&set, b, &blob_len, 1, NULL, &ta) != 0)
            continue;
        accepted++;
        for (size_t i = 0; i < 6; i++) {
            uint8_t q[512];
            size_t ql = ta_query(q, names[i], DNS_TYPE_A, DNS_CLASS_IN,
                                 i & 1 ? 1232 : -1, i & 2);
            size_t n = dns_auth_answer(set, q, ql, resp, 512, 0, &st);
            CHECK(n <= 512);
        }
        dns_zoneset_free(set, &ta);
    }
    CHECK(accepted > 0);
    free(b2);
}

int main(void)
{
    setup();
    RUN(test_exact);
    RUN(test_additional);
    RUN(test_negative);
    RUN(test_cname);
    RUN(test_wildcard);
    RUN(test_referral);
    RUN(test_chase);
    RUN(test_dname);
    RUN(test_any);
    RUN(test_refused_chaos);
    RUN(test_malformed);
    RUN(test_edns);
    RUN(bug7_ede_not_auth);
    RUN(bug7_nsid);
    RUN(bug7_wildcard_loops);
    RUN(bug7_dname_chains);
    RUN(test_truncation);
    RUN(test_multi_zone);
    RUN(test_dnssec);
    RUN(test_blob);
    RUN(test_blob_corrupt);
    dns_zoneset_free(zs, &ta);
    free(blob);
    return check_done();
}
