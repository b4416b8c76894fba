/*
 * test_svc_dnssec.c -- the service file's DNSSEC items (lib/svc/svc.c,
 * docs/service-file.md "DNSSEC signing"): `dnssec KEYDIR [nsec | nsec3
 * [iterations N] [salt HEX|-] [opt-out]]`, dnssec-validity,
 * dnssec-margin, dnssec-time; their defaults and every refusal as
 * FILE:LINE.
 */
#include <stdlib.h>
#include <string.h>
#include <tibra/svc.h>

#include "check.h"
#include "test_svc_parse.h"

static void accepted(void)
{
    struct svc_conf c;

    REQUIRE(parse(&c, HEAD "zone: a.example; file a.zone; dnssec keys/a\n"
                           "zone: b.example; file b.zone\n"
                           "      dnssec /k nsec3 iterations 5 salt "
                           "aabbCCdd opt-out\n"
                           "      dnssec-validity 3w; dnssec-margin 2d\n"
                           "      dnssec-time 1700000000\n"
                           "zone: c.example; file c.zone; dnssec k nsec\n"
                           "zone: d.example; file d.zone\n"
                           "zone: e.example; file e.zone\n"
                           "      dnssec k nsec3 salt -\n") == 0);
    REQUIRE(c.nzones == 5);
    CHECK(strcmp(c.zones[0].dnssec_dir, "/etc/tibra/keys/a") == 0);
    CHECK(!c.zones[0].dnssec_nsec3);
    CHECK_EQ(c.zones[0].dnssec_line, 2);
    CHECK_EQ(c.zones[0].dnssec_validity, SVC_DEFAULT_DNSSEC_VALIDITY);
    CHECK_EQ(c.zones[0].dnssec_margin, SVC_DEFAULT_DNSSEC_MARGIN);
    CHECK_EQ(c.zones[0].dnssec_time, 0);
    CHECK(strcmp(c.zones[1].dnssec_dir, "/k") == 0);
    CHECK(c.zones[1].dnssec_nsec3 && c.zones[1].dnssec_optout);
    CHECK_EQ(c.zones[1].dnssec_iterations, 5);
    CHECK_EQ(c.zones[1].dnssec_saltlen, 4);
    CHECK_MEM(c.zones[1].dnssec_salt, "\xAA\xBB\xCC\xDD", 4);
    CHECK_EQ(c.zones[1].dnssec_validity, 21 * 86400);
    CHECK_EQ(c.zones[1].dnssec_margin, 2 * 86400);
    CHECK_EQ(c.zones[1].dnssec_time, 1700000000);
    CHECK(c.zones[2].dnssec_dir != NULL && !c.zones[2].dnssec_nsec3);
    CHECK(c.zones[3].dnssec_dir == NULL);
    CHECK(c.zones[4].dnssec_nsec3 && c.zones[4].dnssec_saltlen == 0);
    svc_conf_free(&c);
}

static void refused(void)
{
    static const struct {
        const char *zone, *msg;
    } bad[] = {
        {"dnssec", "ns1.conf:2: dnssec needs a key directory"},
        {"dnssec k nsec5", "ns1.conf:2: dnssec: unexpected 'nsec5'"},
        {"dnssec k nsec opt-out", "ns1.conf:2: dnssec: unexpected 'opt-out'"},
        {"dnssec k nsec3 iterations 101", "ns1.conf:2: "},
        {"dnssec k nsec3 salt xyz", "ns1.conf:2: salt 'xyz' is not hex"},
        {"dnssec k nsec3 salt "
         "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00",
         "ns1.conf:2: salt '"},
        {"dnssec k; dnssec k",
         "ns1.conf:2: zone a.example: dnssec given twice"},
        {"dnssec k; dnssec-validity 30m",
         "ns1.conf:2: dnssec-validity '30m' is not a duration of 1h to 366d"},
        {"dnssec k; dnssec-validity 2d; dnssec-margin 3d",
         "ns1.conf:2: zone a.example: dnssec-margin (259200 s) must be "
         "shorter than dnssec-validity (172800 s)"},
        {"dnssec k; dnssec-time 0", "ns1.conf:2: "},
        {"dnssec-time 1700000000",
         "ns1.conf:2: zone a.example: dnssec-validity, dnssec-margin and "
         "dnssec-time need dnssec KEYDIR"},
    };
    char text[512];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct svc_conf c;
        snprintf(text, sizeof(text), HEAD "zone: a.example; file a.zone; %s\n",
                 bad[i].zone);
        CHECK(parse(&c, text) != 0);
        if (strstr(diag_text, bad[i].msg) == NULL) {
            CHECK(0);
            fprintf(stderr, "%s: got %s", bad[i].zone, diag_text);
        }
        svc_conf_free(&c);
    }
    /* A secondary cannot be signed. */
    struct svc_conf c;
    CHECK(parse(&c, HEAD "zone: a.example; primary 192.0.2.1; dnssec k\n") !=
          0);
    CHECK(strstr(diag_text, "a secondary or a catalog producer cannot be "
                            "signed") != NULL);
    svc_conf_free(&c);
}

int main(void)
{
    RUN(accepted);
    RUN(refused);
    return check_done();
}
