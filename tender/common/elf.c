/*
 * elf.c -- loads an untrusted static ELF64 guest image and reads its Tibra
 * manifest (contract in elf.h).  Pipeline: tender_elf_read_fd() -> bytes ->
 * check_ehdr() -> check_phdrs() (segments, page ranges, entry) ->
 * find_manifest() -> check_mft() -> tender_elf_load() copies segments.
 *
 * Every field of the file is read with memcpy from a bounds-checked offset
 * (never by casting file bytes in place), and every sum or product of
 * file-controlled values goes through tb_ckd_add/tb_ckd_mul.  The checks
 * are done once here, in full, before guest memory is written; callers then
 * trust (struct tender_elf_info).  This module does not set memory
 * protections, relocate, or know any hypervisor: tenders do that with the
 * page ranges it returns.  Modelled on Solo5's tenders/common/elf.c, with
 * the whole image validated before any byte is copied.
 */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tender/common/elf.c reads little-endian ELF in place; port me"
#endif

_Static_assert(sizeof(struct tb_mft_note) == 20 + sizeof(struct tb_mft),
               "struct tb_mft_note layout: header 12, name 8, desc");
_Static_assert(TENDER_ELF_SEGS_MAX <= TENDER_ELF_PHDRS_MAX, "limits");

#define NOTE_NAME "Tibra"
#define SHDRS_MAX 4096 /* sections scanned for the manifest, at most */

TB_PRINTF(4, 5)
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *tender_elf_machine_name(uint16_t machine)
{
    switch (machine) {
    case TENDER_ELF_X86_64:
        return "x86_64";
    case TENDER_ELF_AARCH64:
        return "aarch64";
    case EM_386:
        return "i386";
    case EM_ARM:
        return "arm";
    case EM_RISCV:
        return "riscv";
    case EM_PPC64:
        return "ppc64";
    default:
        return "unknown machine";
    }
}

const char *tender_mft_type_name(uint32_t type)
{
    switch (type) {
    case TB_MFT_NET_DEV:
        return "net";
    case TB_MFT_BLOCK_DEV:
        return "block";
    default:
        return "unknown";
    }
}

int tender_mft_find(const struct tb_mft *mft, const char *name, uint32_t type)
{
    size_t n = strnlen(name, TB_MFT_NAME_MAX);

    if (n == TB_MFT_NAME_MAX)
        return -1;
    for (uint32_t i = 0; i < mft->entries && i < TB_MFT_ENTRIES_MAX; i++)
        if (mft->e[i].type == type && strcmp(mft->e[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* True when [off, off + n) lies inside a file of (len) bytes. */
static bool in_file(uint64_t off, uint64_t n, size_t len)
{
    uint64_t end;

    return !tb_ckd_add(&end, off, n) && end <= len;
}

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

/* ---- ELF header -------------------------------------------------------- */

static int check_ehdr(const uint8_t *img, size_t len, uint16_t machine,
                      Elf64_Ehdr *eh, char *err, size_t errlen)
{
    if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG) != 0)
        return fail(err, errlen, TB_EMALF, "not an ELF file (bad magic)");
    if (img[EI_CLASS] != ELFCLASS64)
        return fail(err, errlen, TB_ENOTSUP,
                    "ELF class %u not supported (need ELF64)", img[EI_CLASS]);
    if (img[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, TB_ENOTSUP,
                    "ELF data encoding %u not supported (need little-endian)",
                    img[EI_DATA]);
    if (len < sizeof(*eh))
        return fail(err, errlen, TB_EMALF,
                    "file too short for an ELF64 header (%zu bytes)", len);
    memcpy(eh, img, sizeof(*eh));
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return fail(err, errlen, TB_EMALF, "bad ELF version %u", eh->e_version);
    if (eh->e_type != ET_EXEC)
        return fail(err, errlen, TB_ENOTSUP,
                    "ELF type %u not supported (need a static ET_EXEC image, "
                    "not PIE or shared)",
                    eh->e_type);
    if (eh->e_machine != machine)
        return fail(err, errlen, TB_ENOTSUP,
                    "image is for %s (e_machine %u), this tender runs %s",
                    tender_elf_machine_name(eh->e_machine), eh->e_machine,
                    tender_elf_machine_name(machine));
    if (eh->e_ehsize != sizeof(Elf64_Ehdr))
        return fail(err, errlen, TB_EMALF, "bad e_ehsize %u", eh->e_ehsize);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return fail(err, errlen, TB_EMALF, "bad e_phentsize %u",
                    eh->e_phentsize);
    if (eh->e_phnum == 0 || eh->e_phnum > TENDER_ELF_PHDRS_MAX)
        return fail(err, errlen, TB_EMALF, "%u program headers (need 1..%u)",
                    eh->e_phnum, TENDER_ELF_PHDRS_MAX);
    if (!in_file(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
        return fail(err, errlen, TB_EMALF,
                    "program headers at offset %llu outside the file",
                    (unsigned long long)eh->e_phoff);
    return 0;
}

/* ---- program headers: segments and entry ------------------------------- */

static int check_load(const Elf64_Phdr *ph, unsigned i, size_t len,
                      uint64_t min_addr, uint64_t mem_size,
                      struct tender_elf_seg *s, char *err, size_t errlen)
{
    const uint64_t mask = TENDER_ELF_PAGE - 1;
    uint64_t end;

    if (ph->p_filesz > ph->p_memsz)
        return fail(err, errlen, TB_EMALF,
                    "segment %u: p_filesz %llu > p_memsz %llu", i,
                    (unsigned long long)ph->p_filesz,
                    (unsigned long long)ph->p_memsz);
    if (!in_file(ph->p_offset, ph->p_filesz, len))
        return fail(err, errlen, TB_EMALF,
                    "segment %u: file bytes [%llu, +%llu) outside the file "
                    "(%zu bytes)",
                    i, (unsigned long long)ph->p_offset,
                    (unsigned long long)ph->p_filesz, len);
    if (ph->p_align > 1 &&
        (!is_pow2(ph->p_align) || (ph->p_vaddr & (ph->p_align - 1)) !=
                                      (ph->p_offset & (ph->p_align - 1))))
        return fail(err, errlen, TB_EMALF,
                    "segment %u: bad alignment %llu for vaddr 0x%llx offset "
                    "0x%llx",
                    i, (unsigned long long)ph->p_align,
                    (unsigned long long)ph->p_vaddr,
                    (unsigned long long)ph->p_offset);
    if ((ph->p_flags & PF_W) && (ph->p_flags & PF_X))
        return fail(err, errlen, TB_ENOTSUP,
                    "segment %u: both writable and executable", i);
    if (tb_ckd_add(&end, ph->p_vaddr, ph->p_memsz) ||
        tb_ckd_add(&s->page_end, end, mask))
        return fail(err, errlen, TB_EMALF,
                    "segment %u: vaddr 0x%llx + memsz %llu overflows", i,
                    (unsigned long long)ph->p_vaddr,
                    (unsigned long long)ph->p_memsz);
    s->page_end &= ~mask;
    s->page_start = ph->p_vaddr & ~mask;
    if (s->page_start < min_addr || s->page_end > mem_size)
        return fail(err, errlen, TB_ERANGE,
                    "segment %u: [0x%llx, 0x%llx) outside guest memory "
                    "[0x%llx, 0x%llx)",
                    i, (unsigned long long)ph->p_vaddr, (unsigned long long)end,
                    (unsigned long long)min_addr, (unsigned long long)mem_size);
    s->vaddr = ph->p_vaddr;
    s->memsz = ph->p_memsz;
    s->filesz = ph->p_filesz;
    s->offset = ph->p_offset;
    s->flags = ph->p_flags & (TENDER_ELF_R | TENDER_ELF_W | TENDER_ELF_X);
    return 0;
}

static int check_phdrs(const uint8_t *img, size_t len, const Elf64_Ehdr *eh,
                       uint64_t min_addr, uint64_t mem_size,
                       struct tender_elf_info *info, char *err, size_t errlen)
{
    Elf64_Phdr ph;
    int rc;

    info->nsegs = 0;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        memcpy(&ph, img + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        switch (ph.p_type) {
        case PT_INTERP:
        case PT_DYNAMIC:
            return fail(err, errlen, TB_ENOTSUP,
                        "dynamically linked image (program header %u); "
                        "link it static",
                        i);
        case PT_TLS:
            return fail(err, errlen, TB_ENOTSUP,
                        "image uses thread-local storage (program header %u)",
                        i);
        case PT_LOAD:
            break;
        default:
            continue;
        }
        if (ph.p_memsz == 0)
            continue;
        if (info->nsegs == TENDER_ELF_SEGS_MAX)
            return fail(err, errlen, TB_ENOTSUP,
                        "more than %u loadable segments", TENDER_ELF_SEGS_MAX);
        rc = check_load(&ph, i, len, min_addr, mem_size,
                        &info->seg[info->nsegs], err, errlen);
        if (rc != 0)
            return rc;
        info->nsegs++;
    }
    if (info->nsegs == 0)
        return fail(err, errlen, TB_EMALF, "no loadable segment");

    /* Sort by address (insertion sort, n <= 16), then forbid shared pages:
     * each page gets exactly one segment's permissions. */
    for (unsigned i = 1; i < info->nsegs; i++) {
        struct tender_elf_seg t = info->seg[i];
        unsigned j = i;
        for (; j > 0 && info->seg[j - 1].vaddr > t.vaddr; j--)
            info->seg[j] = info->seg[j - 1];
        info->seg[j] = t;
    }
    for (unsigned i = 1; i < info->nsegs; i++)
        if (info->seg[i].page_start < info->seg[i - 1].page_end)
            return fail(err, errlen, TB_EMALF,
                        "segments at 0x%llx and 0x%llx share a page or "
                        "overlap",
                        (unsigned long long)info->seg[i - 1].vaddr,
                        (unsigned long long)info->seg[i].vaddr);
    info->lo = info->seg[0].page_start;
    info->end = info->seg[info->nsegs - 1].page_end;

    info->entry = eh->e_entry;
    for (unsigned i = 0; i < info->nsegs; i++) {
        const struct tender_elf_seg *s = &info->seg[i];
        if ((s->flags & TENDER_ELF_X) && eh->e_entry >= s->vaddr &&
            eh->e_entry - s->vaddr < s->filesz)
            return 0;
    }
    return fail(err, errlen, TB_EMALF,
                "entry point 0x%llx is not in an executable segment",
                (unsigned long long)eh->e_entry);
}

/* ---- manifest ----------------------------------------------------------- */

static int check_mft(const struct tb_mft *m, char *err, size_t errlen)
{
    if (m->entries > TB_MFT_ENTRIES_MAX)
        return fail(err, errlen, TB_EINVAL, "manifest: %u entries (at most %u)",
                    m->entries, TB_MFT_ENTRIES_MAX);
    for (uint32_t i = 0; i < m->entries; i++) {
        const struct tb_mft_entry *e = &m->e[i];
        size_t n = strnlen(e->name, TB_MFT_NAME_MAX);

        if (n == TB_MFT_NAME_MAX)
            return fail(err, errlen, TB_EINVAL,
                        "manifest entry %u: name not NUL-terminated", i);
        if (n == 0)
            return fail(err, errlen, TB_EINVAL, "manifest entry %u: empty name",
                        i);
        for (size_t k = 0; k < n; k++) {
            char c = e->name[k];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
                return fail(err, errlen, TB_EINVAL,
                            "manifest entry %u: bad character 0x%02x in "
                            "name",
                            i, (unsigned char)c);
        }
        if (e->type != TB_MFT_NET_DEV && e->type != TB_MFT_BLOCK_DEV)
            return fail(err, errlen, TB_EINVAL,
                        "manifest entry %u (%s): unknown type %u", i, e->name,
                        e->type);
        if (e->reserved != 0)
            return fail(err, errlen, TB_EINVAL,
                        "manifest entry %u (%s): reserved field not 0", i,
                        e->name);
        for (uint32_t j = 0; j < i; j++)
            if (strcmp(m->e[j].name, e->name) == 0)
                return fail(err, errlen, TB_EINVAL,
                            "manifest: device name \"%s\" declared twice",
                            e->name);
    }
    return 0;
}

/* Reads one Tibra note's descriptor at (desc, descsz) into (*info). */
static int take_mft(const uint8_t *desc, uint32_t descsz,
                    struct tender_elf_info *info, char *err, size_t errlen)
{
    uint32_t abi;

    if (descsz < sizeof(abi))
        return fail(err, errlen, TB_EINVAL, "manifest: note too short (%u)",
                    descsz);
    memcpy(&abi, desc, sizeof(abi));
    if (abi != TB_ABI_VERSION)
        return fail(err, errlen, TB_EPERM,
                    "image built for Tibra ABI version %u, this tender "
                    "implements version %u",
                    abi, TB_ABI_VERSION);
    if (descsz != sizeof(struct tb_mft))
        return fail(err, errlen, TB_EINVAL,
                    "manifest: note size %u, expected %zu", descsz,
                    sizeof(struct tb_mft));
    memcpy(&info->mft, desc, sizeof(info->mft));
    return check_mft(&info->mft, err, errlen);
}

/*
 * Walks the notes in file bytes [off, off + size) (already bounds-checked)
 * with alignment (align) for name and descriptor padding.  Counts Tibra
 * manifest notes in (*found); a second one is an error.
 */
static int scan_notes(const uint8_t *img, uint64_t off, uint64_t size,
                      uint64_t align, struct tender_elf_info *info,
                      unsigned *found, char *err, size_t errlen)
{
    uint64_t pos = 0;

    align = (align == 8) ? 8 : 4;
    while (size - pos >= sizeof(Elf64_Nhdr)) {
        Elf64_Nhdr nh;
        uint64_t name_off, desc_off, next;
        const uint8_t *p = img + off + pos;

        memcpy(&nh, p, sizeof(nh));
        /* Offsets relative to the note start; 32-bit sizes cannot
         * overflow 64-bit sums. */
        name_off = sizeof(nh);
        desc_off = (name_off + nh.n_namesz + align - 1) & ~(align - 1);
        next = (desc_off + nh.n_descsz + align - 1) & ~(align - 1);
        if (desc_off + nh.n_descsz > size - pos)
            return fail(err, errlen, TB_EMALF,
                        "note at file offset %llu runs past its segment",
                        (unsigned long long)(off + pos));
        if (nh.n_namesz == sizeof(NOTE_NAME) &&
            memcmp(p + name_off, NOTE_NAME, sizeof(NOTE_NAME)) == 0 &&
            nh.n_type == TB_MFT_NOTE_TYPE) {
            if (++*found > 1)
                return fail(err, errlen, TB_EINVAL,
                            "more than one Tibra manifest note");
            int rc = take_mft(p + desc_off, nh.n_descsz, info, err, errlen);
            if (rc != 0)
                return rc;
        }
        if (next >= size - pos)
            break;
        pos += next;
    }
    return 0;
}

static int find_manifest(const uint8_t *img, size_t len, const Elf64_Ehdr *eh,
                         struct tender_elf_info *info, char *err, size_t errlen)
{
    unsigned found = 0, note_segs = 0;
    int rc;

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        memcpy(&ph, img + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_NOTE)
            continue;
        note_segs++;
        if (!in_file(ph.p_offset, ph.p_filesz, len))
            return fail(err, errlen, TB_EMALF,
                        "note segment %u outside the file", i);
        rc = scan_notes(img, ph.p_offset, ph.p_filesz, ph.p_align, info, &found,
                        err, errlen);
        if (rc != 0)
            return rc;
    }
    /* No PT_NOTE at all: the linker script dropped it; look at sections. */
    if (note_segs == 0 && eh->e_shnum != 0) {
        if (eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shnum > SHDRS_MAX ||
            !in_file(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr),
                     len))
            return fail(err, errlen, TB_EMALF, "bad section header table");
        for (unsigned i = 0; i < eh->e_shnum; i++) {
            Elf64_Shdr sh;
            memcpy(&sh, img + eh->e_shoff + (uint64_t)i * sizeof(sh),
                   sizeof(sh));
            if (sh.sh_type != SHT_NOTE)
                continue;
            if (!in_file(sh.sh_offset, sh.sh_size, len))
                return fail(err, errlen, TB_EMALF,
                            "note section %u outside the file", i);
            rc = scan_notes(img, sh.sh_offset, sh.sh_size, sh.sh_addralign,
                            info, &found, err, errlen);
            if (rc != 0)
                return rc;
        }
    }
    if (found == 0)
        return fail(err, errlen, TB_ENOENT,
                    "no Tibra manifest note (declare TB_MANIFEST(...) in the "
                    "application)");
    return 0;
}

/* ---- public ------------------------------------------------------------- */

int tender_elf_check(const uint8_t *img, size_t len, uint16_t machine,
                     uint64_t min_addr, uint64_t mem_size,
                     struct tender_elf_info *info, char *err, size_t errlen)
{
    Elf64_Ehdr eh;
    int rc;

    memset(info, 0, sizeof(*info));
    rc = check_ehdr(img, len, machine, &eh, err, errlen);
    if (rc == 0)
        rc = check_phdrs(img, len, &eh, min_addr, mem_size, info, err, errlen);
    if (rc == 0)
        rc = find_manifest(img, len, &eh, info, err, errlen);
    if (rc == 0)
        info->machine = eh.e_machine;
    return rc;
}

int tender_elf_load(const uint8_t *img, size_t len, uint16_t machine,
                    uint8_t *mem, uint64_t mem_size, uint64_t min_addr,
                    struct tender_elf_info *info, char *err, size_t errlen)
{
    int rc = tender_elf_check(img, len, machine, min_addr, mem_size, info, err,
                              errlen);
    if (rc != 0)
        return rc;
    for (unsigned i = 0; i < info->nsegs; i++) {
        const struct tender_elf_seg *s = &info->seg[i];
        /* Checked: offset + filesz <= len, vaddr + memsz <= mem_size. */
        memcpy(mem + s->vaddr, img + s->offset, s->filesz);
        memset(mem + s->vaddr + s->filesz, 0, s->memsz - s->filesz);
    }
    return 0;
}

int tender_elf_read_fd(int fd, uint8_t **img, size_t *len, char *err,
                       size_t errlen)
{
    struct stat st;
    uint8_t *buf, extra;
    size_t got = 0, size;
    ssize_t n;
    int e;

    if (fstat(fd, &st) != 0)
        return fail(err, errlen, TB_EIO, "stat: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(err, errlen, TB_EINVAL, "not a regular file");
    if (st.st_size < 0 || (uint64_t)st.st_size > TENDER_ELF_FILE_MAX)
        return fail(err, errlen, TB_EINVAL, "file too large (%lld bytes)",
                    (long long)st.st_size);
    size = (size_t)st.st_size;
    buf = malloc(size ? size : 1);
    if (buf == NULL)
        return fail(err, errlen, TB_ENOMEM, "out of memory (%zu bytes)", size);
    while (got < size) {
        n = pread(fd, buf + got, size - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out_short;
        got += (size_t)n;
    }
    /* The file must not have grown under us either. */
    do
        n = pread(fd, &extra, 1, (off_t)got);
    while (n < 0 && errno == EINTR);
    if (n != 0)
        goto out_short;
    *img = buf;
    *len = size;
    return 0;

out_short:
    e = errno;
    free(buf);
    if (n < 0)
        return fail(err, errlen, TB_EIO, "read: %s", strerror(e));
    return fail(err, errlen, TB_EIO, "file changed size while being read");
}
