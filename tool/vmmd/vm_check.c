/*
 * vm_check.c -- what tibra-vmmd checks before it makes a unikernel: the
 * image (ELF, manifest, ABI, devices, memory; tender/common/elf.c) and
 * the daemon's policies (--max-unikernels, --max-mem, --allow-cpus,
 * --allow-bridge, blocks that exist and are not in use).  Every refusal
 * says why, in words a client prints as they are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tibra/bundle.h>

#include "../../platform/hvt/hvt_abi.h"
#include "../../platform/spt/spt_abi.h"
#include "../../tender/common/elf.h"
#include "vmmd.h"

/* ---- images and checks ---------------------------------------------------
 */

/* Reads the image (fd) whole; -1 with a message. */
int vm_read_image(int fd, uint8_t **img, size_t *len, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < 64 ||
        (uint64_t)st.st_size > VMMD_IMAGE_MAX) {
        snprintf(err, errlen,
                 "the image is not a regular file of 64 bytes "
                 "to 256 MiB");
        return -1;
    }
    *len = (size_t)st.st_size;
    *img = xmalloc(*len);
    for (size_t done = 0; done < *len;) {
        ssize_t r = pread(fd, *img + done, *len - done, (off_t)done);
        if (r <= 0) {
            snprintf(err, errlen, "cannot read the image: %s",
                     r < 0 ? strerror(errno) : "short file");
            free(*img);
            return -1;
        }
        done += (size_t)r;
    }
    return 0;
}

/* The image's default --memory (bytes) as MiB, or 0. */
static uint32_t bundle_mem(const uint8_t *img, size_t len)
{
    struct tb_bundle b;
    size_t off;

    if (tb_bundle_find(&b, img, len, &off) != 0)
        return 0;
    for (const char *p = b.args, *end = b.args + b.args_len; p < end;) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *we = sp ? sp : end;
        if (we - p > 9 && !strncmp(p, "--memory=", 9)) {
            unsigned long long v = strtoull(p + 9, NULL, 10);
            return v == 0 ? 0 : (uint32_t)((v + (1u << 20) - 1) >> 20);
        }
        p = we + 1;
    }
    return 0;
}

/*
 * Checks image (img, len) against request (r): target, ELF, manifest and
 * ABI (tender_elf_check), every device asked declared with its type and
 * every declared one given, and that it fits in its memory.  Sets (*target)
 * and (*mem).
 */
int vm_check_image(const struct vmmd_req *r, const uint8_t *img, size_t len,
                   const char **target, uint32_t *mem, char *err, size_t errlen)
{
    static struct tender_elf_info info;
    char msg[TENDER_ELF_ERRLEN];
    uint64_t bytes;
    int rc;

    *mem = r->mem_mib ? r->mem_mib : bundle_mem(img, len);
    if (*mem == 0)
        *mem = 32;
    if (*mem > VMMD_MEM_MAX) {
        snprintf(err, errlen, "the image asks for %u MiB, more than %u", *mem,
                 VMMD_MEM_MAX);
        return -1;
    }
    bytes = (uint64_t)*mem << 20;
    rc = tender_elf_check(img, len, TENDER_ELF_X86_64, HVT_IMAGE_BASE, bytes,
                          &info, msg, sizeof(msg));
    if (rc == TB_ERANGE) {
        snprintf(err, errlen, "the image does not fit in --mem %u MiB (%s)",
                 *mem, msg);
        return -1;
    }
    if (rc != 0 && img[16] == 3 && img[17] == 0) /* e_type ET_DYN */ {
        snprintf(err, errlen,
                 "a Linux program (a unix-target image?), not a unikernel: "
                 "run a unix image with tibra run or tibra deploy systemd, "
                 "or build it with --target spt or hvt");
        return -1;
    }
    if (rc == TB_EPERM) {
        snprintf(err, errlen,
                 "wrong ABI: %s (rebuild it with this Tibra: tibra build)",
                 msg);
        return -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, "not a guest image for this host: %s", msg);
        return -1;
    }
    /* An spt image starts with the spt header (spt_abi.h). */
    bool spt = info.seg[0].filesz >= 8 &&
               !memcmp(img + info.seg[0].offset, TB_SPT_MAGIC, 8);
    *target = spt ? "spt" : "hvt";
    /* Room for the stack and its guard page, as each tender wants. */
    uint64_t top = bytes - (spt ? TB_SPT_STACK_SIZE : HVT_STACK_SIZE) - 4096;
    if (info.end > top) {
        snprintf(err, errlen,
                 "the image does not fit in --mem %u MiB (it needs %llu KiB "
                 "plus its stack)",
                 *mem, (unsigned long long)info.end >> 10);
        return -1;
    }
    if (r->target[0] && strcmp(r->target, *target)) {
        snprintf(err, errlen, "the image is a %s image, not %s", *target,
                 r->target);
        return -1;
    }
    for (unsigned i = 0; i < r->nnet + r->nblk; i++) {
        bool net = i < r->nnet;
        const char *dev = net ? r->net[i].dev : r->blk[i - r->nnet].dev;
        int k = tender_mft_find(&info.mft, dev,
                                net ? TB_MFT_NET_DEV : TB_MFT_BLOCK_DEV);
        if (k < 0) {
            snprintf(err, errlen,
                     "the image declares no %s device '%s' (see tibra "
                     "inspect)",
                     net ? "net" : "block", dev);
            return -1;
        }
    }
    for (uint32_t k = 0; k < info.mft.entries; k++) {
        const struct tb_mft_entry *e = &info.mft.e[k];
        bool given = false;
        for (unsigned i = 0; i < r->nnet; i++)
            given |=
                e->type == TB_MFT_NET_DEV && !strcmp(r->net[i].dev, e->name);
        for (unsigned i = 0; i < r->nblk; i++)
            given |=
                e->type == TB_MFT_BLOCK_DEV && !strcmp(r->blk[i].dev, e->name);
        if (!given) {
            snprintf(err, errlen,
                     "the image needs %s device '%s': give --%s %s=%s",
                     e->type == TB_MFT_NET_DEV ? "net" : "block", e->name,
                     e->type == TB_MFT_NET_DEV ? "net" : "block", e->name,
                     e->type == TB_MFT_NET_DEV ? "BRIDGE" : "BLOCK");
            return -1;
        }
    }
    return 0;
}

/* ---- policies ------------------------------------------------------------ */

bool vm_bridge_used(const char *br, const struct vm *except)
{
    for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
        for (unsigned i = 0; v != except && i < v->rec.nnet; i++)
            if (!strcmp(v->rec.net[i].bridge, br))
                return true;
    return false;
}

const struct vm *vm_block_user(const char *block)
{
    for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
        for (unsigned i = 0; i < v->rec.nblk; i++)
            if (!strcmp(v->rec.blk[i].block, block))
                return v;
    return NULL;
}

int vm_check_policy(const struct vmmd_req *r, uint32_t mem, char *err,
                    size_t errlen)
{
    unsigned n = 0;
    uint64_t used = 0;

    for (struct vm *v = vmmd.vms; v != NULL; v = v->next) {
        n++;
        used += v->mem_mib;
    }
    if (vmmd.max_vms && n >= vmmd.max_vms) {
        snprintf(err, errlen,
                 "refused by policy: --max-unikernels %u reached (%u "
                 "unikernels)",
                 vmmd.max_vms, n);
        return -1;
    }
    if (vmmd.max_mem_mib && used + mem > vmmd.max_mem_mib) {
        snprintf(err, errlen,
                 "refused by policy: --max-mem %u MiB: %llu MiB in use, "
                 "%u MiB more asked",
                 vmmd.max_mem_mib, (unsigned long long)used, mem);
        return -1;
    }
    if (r->cpus[0] && vmmd.cpus_limited) {
        uint64_t set[VMMD_CPUS_MAX / 64];
        vmmd_parse_cpus(r->cpus, set, err, errlen);
        for (unsigned c = 0; c < VMMD_CPUS_MAX; c++)
            if ((set[c / 64] >> (c % 64)) & 1 &&
                !((vmmd.allow_cpus[c / 64] >> (c % 64)) & 1)) {
                snprintf(err, errlen,
                         "refused by policy: CPU %u is not in --allow-cpus", c);
                return -1;
            }
    }
    for (unsigned i = 0; i < r->nnet; i++) {
        bool ok = vmmd.nallow_bridge == 0;
        for (unsigned k = 0; k < vmmd.nallow_bridge; k++)
            ok |= !strcmp(vmmd.allow_bridge[k], r->net[i].bridge);
        if (!ok) {
            snprintf(err, errlen,
                     "refused by policy: bridge %s is not in --allow-bridge",
                     r->net[i].bridge);
            return -1;
        }
        if (!r->create_bridge && !if_exists(r->net[i].bridge)) {
            snprintf(err, errlen,
                     "bridge %s does not exist (create it, e.g. ip link add "
                     "%s type bridge, or pass --create-bridge)",
                     r->net[i].bridge, r->net[i].bridge);
            return -1;
        }
    }
    for (unsigned i = 0; i < r->nblk; i++) {
        char *p = vm_path("blocks", r->blk[i].block);
        bool there = access(p, F_OK) == 0;
        free(p);
        if (!there) {
            snprintf(err, errlen,
                     "no block '%s' (tibra block create %s MIB makes one)",
                     r->blk[i].block, r->blk[i].block);
            return -1;
        }
        const struct vm *u = vm_block_user(r->blk[i].block);
        if (u != NULL) {
            snprintf(err, errlen, "block '%s' is in use by %s", r->blk[i].block,
                     u->rec.name);
            return -1;
        }
    }
    return 0;
}
