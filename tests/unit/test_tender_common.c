/*
 * test_tender_common.c -- unit tests for the tenders' shared code,
 * tender/common: the ELF loader's guarantees beyond "no crash" (which
 * fuzz_elf covers): segments land byte for byte at mem + vaddr, the bss
 * tail is zeroed, guest memory outside the segments is untouched
 * (sentinel-filled), a failed load writes nothing, the manifest is read
 * back exactly; and attach.c's refusals (block file sizes, missing files,
 * TAP names) and random MACs.  Images come from the generated fuzz corpus
 * (tests/fuzz/corpus/elf, written by tests/platform/hvt_mkelf.py).
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../tender/common/attach.h"
#include "../../tender/common/elf.h"
#include "check.h"

#define MEM_SIZE (4u << 20)
#define BASE     0x100000u
#define SENTINEL 0xa5

static uint8_t *mem;
static char dir[512];

static uint8_t *load_file(const char *name, size_t *len)
{
    char path[768];
    char err[TENDER_ELF_ERRLEN];
    uint8_t *img = NULL;
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    if (tender_elf_read_fd(fd, &img, len, err, sizeof(err)) != 0)
        img = NULL;
    close(fd);
    return img;
}

static size_t count_not(const uint8_t *p, size_t n, uint8_t v)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += p[i] != v;
    return k;
}

static void test_load_exact(void)
{
    struct tender_elf_info info;
    char err[TENDER_ELF_ERRLEN];
    size_t len;
    uint8_t *img = load_file("ok_x86_64.elf", &len);

    REQUIRE(img != NULL);
    memset(mem, SENTINEL, MEM_SIZE);
    REQUIRE(tender_elf_load(img, len, TENDER_ELF_X86_64, mem, MEM_SIZE, BASE,
                            &info, err, sizeof(err)) == 0);
    CHECK_EQ(info.machine, TENDER_ELF_X86_64);
    CHECK_EQ(info.entry, BASE);
    CHECK_EQ(info.nsegs, 2);
    CHECK_EQ(info.lo, BASE);
    CHECK_EQ(info.end, BASE + 0x4000); /* data 0x1040 + bss 0x2000 */
    /* Text: 3 bytes of code from file offset 0x1000. */
    CHECK_EQ(info.seg[0].flags, TENDER_ELF_R | TENDER_ELF_X);
    CHECK_MEM(mem + BASE, img + 0x1000, 3);
    /* Data: 64 bytes of 0x2a, then 0x2000 bytes of zeroed bss. */
    CHECK_EQ(info.seg[1].flags, TENDER_ELF_R | TENDER_ELF_W);
    CHECK_EQ(count_not(mem + BASE + 0x1000, 64, 0x2a), 0);
    CHECK_EQ(count_not(mem + BASE + 0x1040, 0x2000, 0), 0);
    /* Everything else is untouched. */
    CHECK_EQ(count_not(mem, BASE, SENTINEL), 0);
    CHECK_EQ(count_not(mem + BASE + 3, 0x1000 - 3, SENTINEL), 0);
    CHECK_EQ(count_not(mem + BASE + 0x3040, MEM_SIZE - BASE - 0x3040, SENTINEL),
             0);
    /* The manifest, as hvt_mkelf.py wrote it. */
    CHECK_EQ(info.mft.abi_version, TB_ABI_VERSION);
    CHECK_EQ(info.mft.entries, 2);
    CHECK_EQ(tender_mft_find(&info.mft, "service0", TB_MFT_NET_DEV), 0);
    CHECK_EQ(tender_mft_find(&info.mft, "storage", TB_MFT_BLOCK_DEV), 1);
    CHECK_EQ(tender_mft_find(&info.mft, "storage", TB_MFT_NET_DEV), -1);
    CHECK_EQ(tender_mft_find(&info.mft, "nosuch", TB_MFT_NET_DEV), -1);
    free(img);
}

/* A refused image writes nothing into guest memory, and says why. */
static void test_refused_writes_nothing(void)
{
    static const char *const bad[] = {
        "bad_overlap.elf",          "bad_wx.elf",
        "bad_abi_version.elf",      "bad_segment_outside_mem.elf",
        "bad_mft_duplicate.elf",    "bad_no_manifest.elf",
        "bad_truncated_segment.elf"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tender_elf_info info;
        char err[TENDER_ELF_ERRLEN] = "";
        size_t len;
        uint8_t *img = load_file(bad[i], &len);

        REQUIRE(img != NULL);
        memset(mem, SENTINEL, MEM_SIZE);
        CHECK(tender_elf_load(img, len, TENDER_ELF_X86_64, mem, MEM_SIZE, BASE,
                              &info, err, sizeof(err)) < 0);
        CHECK(err[0] != 0);
        CHECK_EQ(count_not(mem, MEM_SIZE, SENTINEL), 0);
        free(img);
    }
}

/* Specific errors, and a tight memory bound at the exact image end. */
static void test_errors_and_bounds(void)
{
    struct tender_elf_info info;
    char err[TENDER_ELF_ERRLEN];
    size_t len;
    uint8_t *img = load_file("ok_x86_64.elf", &len);

    REQUIRE(img != NULL);
    CHECK_EQ(tender_elf_check(img, len, TENDER_ELF_X86_64, BASE, BASE + 0x4000,
                              &info, err, sizeof(err)),
             0);
    CHECK_EQ(tender_elf_check(img, len, TENDER_ELF_X86_64, BASE, BASE + 0x3fff,
                              &info, err, sizeof(err)),
             TB_ERANGE);
    CHECK_EQ(tender_elf_check(img, len, TENDER_ELF_X86_64, BASE + 0x1000,
                              MEM_SIZE, &info, err, sizeof(err)),
             TB_ERANGE);
    CHECK_EQ(tender_elf_check(img, len, TENDER_ELF_AARCH64, BASE, MEM_SIZE,
                              &info, err, sizeof(err)),
             TB_ENOTSUP);
    CHECK(strstr(err, "x86_64") != NULL && strstr(err, "aarch64") != NULL);
    /* Every prefix of a valid image is refused (no partial parse). */
    for (size_t n = 0; n < len; n += 97)
        CHECK(tender_elf_check(img, n, TENDER_ELF_X86_64, BASE, MEM_SIZE, &info,
                               err, sizeof(err)) < 0);
    /* A tiny message buffer truncates, never overflows. */
    char small[8];
    memset(small, 'x', sizeof(small));
    CHECK(tender_elf_check(img, 10, TENDER_ELF_X86_64, BASE, MEM_SIZE, &info,
                           small, 4) < 0);
    CHECK(strlen(small) == 3 && small[4] == 'x');
    free(img);

    img = load_file("bad_abi_version.elf", &len);
    REQUIRE(img != NULL);
    CHECK_EQ(tender_elf_check(img, len, TENDER_ELF_X86_64, BASE, MEM_SIZE,
                              &info, err, sizeof(err)),
             TB_EPERM);
    char want_img[32], want_ours[32];
    snprintf(want_img, sizeof(want_img), "version %d", TB_ABI_VERSION + 1);
    snprintf(want_ours, sizeof(want_ours), "version %d", TB_ABI_VERSION);
    CHECK(strstr(err, want_img) != NULL && strstr(err, want_ours));
    free(img);
    CHECK(strcmp(tender_elf_machine_name(TENDER_ELF_AARCH64), "aarch64") == 0);
    CHECK(strcmp(tender_mft_type_name(TB_MFT_BLOCK_DEV), "block") == 0);
    CHECK(strcmp(tender_mft_type_name(99), "unknown") == 0);
}

static void test_block_open(void)
{
    char path[] = "/tmp/tibra-test-block-XXXXXX";
    char err[256];
    uint64_t cap = 0;
    int fd = mkstemp(path);

    REQUIRE(fd >= 0);
    /* Empty, then not a multiple of 512, then 8 KiB. */
    CHECK(tender_block_open(path, &cap, err, sizeof(err)) < 0);
    CHECK(strstr(err, "multiple of 512") != NULL);
    REQUIRE(ftruncate(fd, 1000) == 0);
    CHECK(tender_block_open(path, &cap, err, sizeof(err)) < 0);
    REQUIRE(ftruncate(fd, 8192) == 0);
    int bfd = tender_block_open(path, &cap, err, sizeof(err));
    CHECK(bfd >= 0);
    CHECK_EQ(cap, 8192);
    if (bfd >= 0)
        close(bfd);
    close(fd);
    unlink(path);
    CHECK(tender_block_open(path, &cap, err, sizeof(err)) < 0);
    CHECK(strstr(err, "No such file") != NULL);
    CHECK(tender_block_open("/", &cap, err, sizeof(err)) < 0);
}

static void test_tap_and_mac(void)
{
    char err[256];
    uint8_t mac[6], prev[6] = {0};
    int differ = 0;

    CHECK(tender_tap_open("", err, sizeof(err)) < 0);
    CHECK(tender_tap_open("a-name-much-too-long-for-ifnamsiz", err,
                          sizeof(err)) < 0);
    CHECK(strstr(err, "longer than") != NULL);
    CHECK(tender_tap_open("tbnosuch9", err, sizeof(err)) < 0);
    CHECK(strstr(err, "does not exist") != NULL);
    for (int i = 0; i < 8; i++) {
        REQUIRE(tender_mac_random(mac) == 0);
        CHECK((mac[0] & 3) == 2); /* unicast, locally administered */
        differ += memcmp(mac, prev, 6) != 0;
        memcpy(prev, mac, 6);
    }
    CHECK(differ >= 7);
    CHECK(tender_mac_parse("02:00:00:00:00:01", mac) == 0);
    CHECK(mac[0] == 2 && mac[5] == 1);
    CHECK(tender_mac_parse("01:00:00:00:00:01", mac) < 0); /* multicast */
    CHECK(tender_mac_parse("00:00:00:00:00:00", mac) < 0);
    CHECK(tender_mac_parse("02:00:00:00:00", mac) < 0);
    CHECK(tender_mac_parse("02:00:00:00:00:01x", mac) < 0);
}

/* "fd:N": a TAP descriptor opened by someone else (tibra-vmmd). */
static void test_tap_fd(void)
{
    char err[256], spec[32];
    struct ifreq ifr;
    int p[2], fd, tfd;

    CHECK(tender_tap_open("fd:", err, sizeof(err)) < 0);
    CHECK(strstr(err, "want fd:N") != NULL);
    CHECK(tender_tap_open("fd:-1", err, sizeof(err)) < 0);
    CHECK(tender_tap_open("fd:3x", err, sizeof(err)) < 0);
    CHECK(tender_tap_open("fd:99999999999", err, sizeof(err)) < 0);
    CHECK(tender_tap_open("fd:1000000", err, sizeof(err)) < 0);
    CHECK(strstr(err, "not open") != NULL);
    REQUIRE(pipe(p) == 0);
    snprintf(spec, sizeof(spec), "fd:%d", p[0]);
    CHECK(tender_tap_open(spec, err, sizeof(err)) < 0);
    CHECK(strstr(err, "not a TAP") != NULL);
    close(p[0]);
    close(p[1]);
    /* A real TAP needs CAP_NET_ADMIN: as root, make a throw-away one
     * (not persistent: it goes with the descriptor). */
    fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0 || geteuid() != 0) {
        if (fd >= 0)
            close(fd);
        printf("  (test_tap_fd: not root or no /dev/net/tun: the accepted "
               "case is covered by tests/integration/vmmd_e2e.sh)\n");
        return;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    REQUIRE(ioctl(fd, TUNSETIFF, &ifr) == 0);
    snprintf(spec, sizeof(spec), "fd:%d", fd);
    CHECK(tender_tap_open(spec, err, sizeof(err)) < 0);
    CHECK(strstr(err, "TUN device") != NULL);
    close(fd);
    fd = open("/dev/net/tun", O_RDWR); /* blocking, inheritable */
    REQUIRE(fd >= 0);
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    REQUIRE(ioctl(fd, TUNSETIFF, &ifr) == 0);
    snprintf(spec, sizeof(spec), "fd:%d", fd);
    tfd = tender_tap_open(spec, err, sizeof(err));
    CHECK(tfd == fd);
    CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    close(fd);
}

int main(void)
{
    const char *src = getenv("TIBRA_SRC");

    snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/elf", src ? src : ".");
    mem = malloc(MEM_SIZE);
    if (mem == NULL)
        return 1;
    RUN(test_load_exact);
    RUN(test_refused_writes_nothing);
    RUN(test_errors_and_bounds);
    RUN(test_block_open);
    RUN(test_tap_and_mac);
    RUN(test_tap_fd);
    free(mem);
    return check_done();
}
