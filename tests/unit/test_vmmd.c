/*
 * test_vmmd.c -- unit tests of tibra-vmmd's pure parts: the request
 * format (tool/vmmd/proto.c: a full create survives encode/decode, each
 * value check refuses what it must, the decoder's structural refusals)
 * and the console ring (tool/vmmd/console.c: oldest lines dropped whole,
 * order kept across the wrap, --since, long lines cut).  The daemon as a
 * whole is tests/integration/vmmd_*.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tool/vmmd/vmmd.h"
#include "check.h"

static void test_roundtrip(void)
{
    struct vmmd_req a, b;
    static uint8_t buf[VMMD_FRAME_MAX];
    char err[256];
    int n;

    vmmd_req_init(&a, VMMD_OP_RECORD);
    strcpy(a.name, "ns1.example-1_");
    strcpy(a.target, "hvt");
    a.mem_mib = 64;
    strcpy(a.cpus, "0-3,6");
    REQUIRE(vmmd_parse_net("service0=br0@02:00:00:00:00:07", &a.net[0], err,
                           sizeof(err)) == 0);
    REQUIRE(vmmd_parse_net("mgmt=br1", &a.net[1], err, sizeof(err)) == 0);
    a.nnet = 2;
    REQUIRE(vmmd_parse_block("data=disk1", &a.blk[0], err, sizeof(err)) == 0);
    a.nblk = 1;
    REQUIRE(vmmd_req_add_arg(&a, "--verbose=1", err, sizeof(err)) == 0);
    REQUIRE(vmmd_req_add_arg(&a, "--nsid=0x01", err, sizeof(err)) == 0);
    a.restart = true;
    a.codes[0] = 0x06; /* 1, 2 */
    a.codes[31] = 0x80; /* 255 */
    a.startup = 7;
    a.create_bridge = true;
    memset(a.image, 'a', 64);
    n = vmmd_req_encode(&a, buf, sizeof(buf));
    REQUIRE(n > 0);
    CHECK(vmmd_req_decode(buf, (size_t)n, &b, err, sizeof(err)) == 0);
    CHECK(memcmp(&a, &b, sizeof(a)) == 0);
    CHECK(!strcmp(b.args, "--verbose=1 --nsid=0x01") && b.nargs == 2);
    CHECK(b.net[0].has_mac && b.net[0].mac[5] == 7 && !b.net[1].has_mac);
    /* Every proper prefix is refused, never read past. */
    for (int k = 0; k < n; k++) {
        int rc = vmmd_req_decode(buf, (size_t)k, &b, err, sizeof(err));
        CHECK(rc != 0 || k == 4 + 0); /* 4 bytes: a record without fields */
        if (rc != 0)
            CHECK(err[0] != 0);
    }
    CHECK(vmmd_req_encode(&a, buf, 10) < 0); /* no room */
}

static void test_checks(void)
{
    char err[256];
    uint64_t set[VMMD_CPUS_MAX / 64];
    struct vmmd_net nt;
    struct vmmd_blk bk;

    CHECK(vmmd_check_name("a", err, sizeof(err)) == 0);
    CHECK(vmmd_check_name("", err, sizeof(err)) < 0);
    CHECK(vmmd_check_name(".hidden", err, sizeof(err)) < 0);
    CHECK(vmmd_check_name("-opt", err, sizeof(err)) < 0);
    CHECK(vmmd_check_name("a/b", err, sizeof(err)) < 0);
    CHECK(vmmd_check_name("a b", err, sizeof(err)) < 0);
    CHECK(vmmd_check_name("x.tmp", err, sizeof(err)) < 0);
    CHECK(vmmd_check_name("x.tmpl", err, sizeof(err)) == 0);
    CHECK(vmmd_check_name("0123456789012345678901234567890123456789012345678",
                          err, sizeof(err)) < 0); /* 49 */
    CHECK(vmmd_check_name("012345678901234567890123456789012345678901234567",
                          err, sizeof(err)) == 0); /* 48 */
    CHECK(vmmd_check_ifname("br0", err, sizeof(err)) == 0);
    CHECK(vmmd_check_ifname("0123456789abcdef", err, sizeof(err)) < 0);
    CHECK(vmmd_check_ifname("br:0", err, sizeof(err)) < 0);
    CHECK(vmmd_check_ifname("..", err, sizeof(err)) < 0);
    CHECK(vmmd_parse_net("service0", &nt, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_net("=br0", &nt, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_net("s=", &nt, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_net("s=br0@", &nt, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_net("s=br0@03:00:00:00:00:01", &nt, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_block("data=../x", &bk, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_cpus("0", set, err, sizeof(err)) == 0 && set[0] == 1);
    CHECK(vmmd_parse_cpus("1-2,64", set, err, sizeof(err)) == 0 &&
          set[0] == 6 && set[1] == 1);
    CHECK(vmmd_parse_cpus("1023", set, err, sizeof(err)) == 0);
    CHECK(vmmd_parse_cpus("1024", set, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_cpus("3-1", set, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_cpus("1,", set, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_cpus("", set, err, sizeof(err)) < 0);
    CHECK(vmmd_parse_cpus("00000001", set, err, sizeof(err)) < 0);
    CHECK(vmmd_check_arg("--a=b", err, sizeof(err)) == 0);
    CHECK(vmmd_check_arg("a b", err, sizeof(err)) < 0);
    CHECK(vmmd_check_arg("a\tb", err, sizeof(err)) < 0);
}

static void test_decoder_refusals(void)
{
    struct vmmd_req r;
    char err[256];
    static const struct {
        const char *what;
        size_t n;
        const char *bytes, *want;
    } cases[] = {
        {"magic", 4, "XV\1\4", "not a tibra-vmmd"},
        {"version", 4, "TV\2\4", "version 2"},
        {"op 0", 4, "TV\1\0", "unknown request"},
        {"op 12", 4, "TV\1\14", "unknown request"},
        {"need name", 4, "TV\1\2", "lacks"},
        {"field past end", 8, "TV\1\2\1\0\5a", "past the end"},
        {"truncated header", 6, "TV\1\2\1\0", "truncated"},
        {"foreign field", 12, "TV\1\2\1\0\1a\3\0\0\0", "not part of"},
        {"twice", 12, "TV\1\2\1\0\1a\1\0\1b", "twice"},
        {"mem width", 15, "TV\1\1\1\0\1a\3\0\3\0\0\1", "want 4 bytes"},
        {"mem zero", 16, "TV\1\1\1\0\1a\3\0\4\0\0\0\0", "memory 0"},
        {"restart 0", 12, "TV\1\1\1\0\1a\10\0\1\0", "not a failure"},
        {"startup", 13, "TV\1\1\1\0\1a\11\0\2\7\351", "startup"},
        {"follow value", 12, "TV\1\6\1\0\1a\14\0\1x", "no value"},
        {"nul", 10, "TV\1\2\1\0\3a\0b", "NUL"},
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = 0;
        int rc = vmmd_req_decode((const uint8_t *)cases[i].bytes, cases[i].n,
                                 &r, err, sizeof(err));
        CHECK(rc < 0);
        if (strstr(err, cases[i].want) == NULL)
            printf("  case %s: got '%s', want '%s'\n", cases[i].what, err,
                   cases[i].want);
        CHECK(strstr(err, cases[i].want) != NULL);
    }
}

static void test_ring(void)
{
    struct ring r = {0};
    struct sbuf out = {0};
    char line[64], t[32];
    unsigned first = 0, count = 0, last = 0, prev = 0;
    bool ordered = true;

    /* 10,000 numbered lines of ~30 bytes: far more than 64 KiB. */
    for (unsigned i = 0; i < 10000; i++) {
        int n = snprintf(line, sizeof(line), "line %05u of the console", i);
        ring_push(&r, 1000 + i, line, (size_t)n);
    }
    ring_dump(&r, 0, &out);
    for (const char *p = out.s; p && *p;) {
        unsigned v;
        const char *nl = strchr(p, '\n');
        REQUIRE(nl != NULL);
        CHECK(sscanf(p, "%31s line %u of the console", t, &v) == 2);
        if (count == 0)
            first = v;
        else
            ordered &= v == prev + 1;
        prev = last = v;
        count++;
        p = nl + 1;
    }
    CHECK(ordered);
    CHECK(last == 9999);
    CHECK(count > 1000 && count < 3000); /* ~64 KiB / 35 bytes */
    CHECK(first == 10000 - count);
    sb_free(&out);
    /* --since: only lines at or after the time. */
    ring_dump(&r, 1000 + 9990, &out);
    CHECK(out.s != NULL && strstr(out.s, "line 09989") == NULL &&
          strstr(out.s, "line 09990") != NULL);
    sb_free(&out);
    /* A long line is cut at VMMD_LINE_MAX, not lost or overflowing. */
    char big[2000];
    memset(big, 'x', sizeof(big));
    ring_push(&r, 99999, big, sizeof(big));
    ring_dump(&r, 99999, &out);
    CHECK(out.len == 24 + 1 + VMMD_LINE_MAX + 1); /* time line\n */
    sb_free(&out);
    fmt_time(1700000000123, t);
    CHECK(!strcmp(t, "2023-11-14T22:13:20.123Z"));
    ring_free(&r);
}

int main(void)
{
    RUN(test_roundtrip);
    RUN(test_checks);
    RUN(test_decoder_refusals);
    RUN(test_ring);
    return check_done();
}
