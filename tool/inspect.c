/*
 * inspect.c -- tibra inspect IMAGE: what an image holds, read from the
 * image itself, then from its build record when there is one.
 *
 *   ELF header --> arch; PT_INTERP or not, spt header or not --> target
 *   tender_elf_check (tender/common/elf.c, the tenders' own reader)
 *       --> the manifest's devices (guests)
 *   tb_bundle_find --> default args; dns_zone_open per blob --> zones
 *   IMAGE.record --> record counts, version, commit, toolchain
 *
 * The image is untrusted input: the bundle and every blob are validated
 * (tb_bundle_open, dns_zone_open) before a byte of them is shown.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tibra/bundle.h>

#include "../tender/common/elf.h"
#include "tibra.h"

#define SPT_MAGIC "TIBRASPT" /* platform/spt/spt_abi.h, TB_SPT_MAGIC */

/* The target of a well-formed ELF64 image: "unix", "spt", "hvt" or NULL. */
const char *image_target(const uint8_t *img, size_t len)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph;
    uint64_t first = UINT64_MAX;

    memcpy(&eh, img, sizeof(eh));
    if (eh.e_type == ET_DYN)
        return "unix"; /* a PIE Linux executable */
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        uint64_t off = eh.e_phoff + (uint64_t)i * sizeof(ph);
        if (off > len || len - off < sizeof(ph))
            return NULL;
        memcpy(&ph, img + off, sizeof(ph));
        if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
            return "unix";
        if (ph.p_type == PT_LOAD && ph.p_filesz > 0 && first == UINT64_MAX)
            first = ph.p_offset;
    }
    /* An spt image starts with its header (struct tb_spt_header). */
    if (first < len && len - first >= 8 &&
        memcmp(img + first, SPT_MAGIC, 8) == 0)
        return "spt";
    return "hvt";
}

static void show_devices(const uint8_t *img, size_t len, uint16_t machine)
{
    struct tender_elf_info *info = xmalloc(sizeof(*info));
    char err[TENDER_ELF_ERRLEN];

    if (tender_elf_check(img, len, machine, 0, UINT64_MAX, info, err,
                         sizeof(err)) != 0) {
        printf("devices:   unknown (%s)\n", err);
        free(info);
        return;
    }
    printf("abi:       %u\n", info->mft.abi_version);
    if (info->mft.entries == 0)
        printf("devices:   none\n");
    for (uint32_t i = 0; i < info->mft.entries; i++)
        printf("device:    %s %s\n", tender_mft_type_name(info->mft.e[i].type),
               info->mft.e[i].name);
    free(info);
}

/* The "zone ORIGIN serial S records N bytes B" line of (origin), or NULL. */
static const char *zone_line(const struct record *r, const char *origin)
{
    size_t n = strlen(origin);

    for (size_t i = 0; r != NULL && i < r->n; i++)
        if (!strcmp(r->key[i], "zone") && !strncmp(r->val[i], origin, n) &&
            r->val[i][n] == ' ')
            return r->val[i] + n + 1;
    return NULL;
}

static int show_bundle(const uint8_t *img, size_t len, const struct record *r)
{
    struct tb_bundle b;
    size_t off;

    if (tb_bundle_find(&b, img, len, &off) != 0) {
        printf("bundle:    none (not an image made by tibra build)\n");
        return -1;
    }
    printf("args:      %.*s\n", (int)b.args_len, b.args);
    printf("zones:     %u\n", b.nzones);
    for (uint32_t i = 0; i < b.nzones; i++) {
        const uint8_t *blob, *origin;
        size_t blen;
        uint32_t serial;
        char name[DNS_NAME_TEXT_MAX];
        tb_bundle_zone(&b, i, &blob, &blen);
        int rc = dns_zone_open(blob, blen, &origin, &serial);
        if (rc != 0 || dns_name_to_text(origin, name, sizeof(name)) < 0) {
            printf("zone:      #%u damaged (%s)\n", i, tb_strerror(rc));
            continue;
        }
        const char *zl = zone_line(r, name);
        const char *recs = zl ? strstr(zl, "records ") : NULL;
        unsigned long nrr = recs ? strtoul(recs + 8, NULL, 10) : 0;
        if (recs != NULL)
            printf("zone:      %s serial %u, %lu records, %zu bytes\n", name,
                   serial, nrr, blen);
        else
            printf("zone:      %s serial %u, %zu bytes (records: no build "
                   "record)\n",
                   name, serial, blen);
    }
    return 0;
}

static void show_record(const struct record *r, const char *image,
                        const uint8_t *img, size_t len)
{
    static const char *const keys[] = {"tibra-version", "tibra-commit", "app",
                                       "cc-version"};
    char hex[SHA256_HEX];
    const char *want = record_get(r, "image-sha256");
    const char *sde = record_get(r, "source-date-epoch");

    sha256_hex(img, len, hex);
    printf("record:    %s.record\n", image);
    printf("  image sha256 %s (%s)\n", hex,
           want && !strcmp(want, hex) ? "as recorded"
                                      : "DIFFERS from the record");
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (record_get(r, keys[i]) != NULL)
            printf("  %s %s\n", keys[i], record_get(r, keys[i]));
    if (sde != NULL) {
        time_t t = (time_t)strtoll(sde, NULL, 10);
        char when[64];
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&t));
        printf("  built at %s (the Tibra build's SOURCE_DATE_EPOCH %s)\n", when,
               sde);
    }
    size_t nin = 0, nlib = 0, ntool = 0, npkg = 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!strcmp(r->key[i], "package"))
            npkg++;
        if (strcmp(r->key[i], "input") != 0)
            continue;
        if (!strncmp(r->val[i], "lib ", 4))
            nlib++;
        else if (!strncmp(r->val[i], "tool ", 5))
            ntool++;
        else
            nin++;
    }
    printf("  inputs: %zu service and zone files, %zu library files, %zu "
           "toolchain files, %zu packages\n",
           nin, nlib, ntool, npkg);
}

int cmd_inspect(int argc, char **argv)
{
    char *p;
    size_t len;
    struct record r, *rp = NULL;

    if (argc == 3 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
        tool_help("inspect");
        return TOOL_EXIT_OK;
    }
    if (argc != 3 || argv[2][0] == '-')
        return tool_usage("inspect");
    const char *image = argv[2];
    int rc = read_file(image, &p, &len);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot read: %s\n", image, strerror(-rc));
        return TOOL_EXIT_TOOL;
    }
    const uint8_t *img = (const uint8_t *)p;
    if (len < sizeof(Elf64_Ehdr) || memcmp(img, ELFMAG, SELFMAG) != 0 ||
        img[EI_CLASS] != ELFCLASS64 || img[EI_DATA] != ELFDATA2LSB) {
        fprintf(stderr,
                "%s: not a Tibra image (not a little-endian ELF64 "
                "file)\n",
                image);
        free(p);
        return TOOL_EXIT_INPUT;
    }
    Elf64_Ehdr eh;
    memcpy(&eh, img, sizeof(eh));
    const char *target = image_target(img, len);
    char *rpath = xasprintf("%s.record", image);
    if (access(rpath, R_OK) == 0 && record_load(&r, rpath) == 0)
        rp = &r;
    free(rpath);

    printf("image:     %s, %zu bytes\n", image, len);
    printf("target:    %s\n", target ? target : "unknown");
    printf("arch:      %s\n", tender_elf_machine_name(eh.e_machine));
    if (target != NULL && strcmp(target, "unix") != 0)
        show_devices(img, len, eh.e_machine);
    else if (target != NULL)
        printf("devices:   the host's sockets (a Linux process)\n");
    rc = show_bundle(img, len, rp) == 0 ? TOOL_EXIT_OK : TOOL_EXIT_INPUT;
    if (rp != NULL) {
        show_record(rp, image, img, len);
        record_free(rp);
    } else {
        printf("record:    none (%s.record not found)\n", image);
    }
    free(p);
    return rc;
}
