/*
 * fuzz_elf.c -- fuzzes the tenders' ELF loader and manifest reader
 * (tender/common/elf.c) with arbitrary image files.  Each input is checked
 * and loaded for x86_64 and aarch64 into a 4 MiB guest memory whose
 * loadable range starts at 1 MiB, as tibra-hvt does; ASan catches any read
 * outside the input or write outside guest memory.  A successful load must
 * keep its promises: segments sorted, inside guest memory, pages unshared,
 * manifest names terminated and findable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tender/common/elf.h"

#define MEM_SIZE (4u << 20)
#define MIN_ADDR 0x100000u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t mem[MEM_SIZE];

static void check_info(const struct tender_elf_info *info)
{
    if (info->nsegs == 0 || info->nsegs > TENDER_ELF_SEGS_MAX)
        abort();
    for (unsigned i = 0; i < info->nsegs; i++) {
        const struct tender_elf_seg *s = &info->seg[i];
        if (s->page_start < MIN_ADDR || s->page_end > MEM_SIZE ||
            s->vaddr < s->page_start || s->vaddr + s->memsz > s->page_end ||
            s->filesz > s->memsz ||
            ((s->flags & TENDER_ELF_W) && (s->flags & TENDER_ELF_X)))
            abort();
        if (i > 0 && info->seg[i - 1].page_end > s->page_start)
            abort();
    }
    if (info->mft.abi_version != TB_ABI_VERSION ||
        info->mft.entries > TB_MFT_ENTRIES_MAX)
        abort();
    for (unsigned i = 0; i < info->mft.entries; i++) {
        const struct tb_mft_entry *e = &info->mft.e[i];
        if (tender_mft_find(&info->mft, e->name, e->type) != (int)i)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t machines[] = {TENDER_ELF_X86_64, TENDER_ELF_AARCH64};
    struct tender_elf_info info;
    char err[TENDER_ELF_ERRLEN];

    for (size_t i = 0; i < sizeof(machines) / sizeof(machines[0]); i++) {
        err[0] = 0;
        int rc = tender_elf_load(data, size, machines[i], mem, MEM_SIZE,
                                 MIN_ADDR, &info, err, sizeof(err));
        if (rc == 0)
            check_info(&info);
        else if (rc >= 0 || err[0] == 0 || strlen(err) >= sizeof(err))
            abort(); /* an error must come with a message */
    }
    return 0;
}
