/*
 * elf.h -- the tenders' ELF loader and manifest reader (tender/common,
 * shared by tibra-hvt and tibra-spt).  A tender reads a guest image file
 * (tender_elf_read_fd), checks it and reads its manifest without touching
 * guest memory (tender_elf_check), then copies its PT_LOAD segments into
 * guest memory (tender_elf_load).  The image is UNTRUSTED: every header,
 * size, offset and alignment is bounds-checked with overflow-checked
 * arithmetic, and a malformed image yields a message, never a crash.
 *
 * Accepted images: ELF64, little-endian, ET_EXEC (static, non-PIE), for
 * x86_64 or aarch64, with 1..TENDER_ELF_SEGS_MAX non-empty PT_LOAD
 * segments whose page ranges do not overlap and are never both writable
 * and executable, no PT_INTERP/PT_DYNAMIC/PT_TLS, an entry point inside an
 * executable segment, and exactly one valid Tibra manifest note
 * (struct tb_mft_note in include/tibra/plat.h) in a PT_NOTE segment (or,
 * when the image has no PT_NOTE, in an SHT_NOTE section).  Guest address X
 * maps to host address mem + X; this module is architecture-neutral and
 * knows nothing of KVM or seccomp.
 */
#ifndef TENDER_ELF_H
#define TENDER_ELF_H

#include <stddef.h>
#include <stdint.h>

#include <tibra/plat.h>

/* Guest page size used for segment page ranges (4 KiB on both arches). */
#define TENDER_ELF_PAGE 4096u
/* At most this many non-empty PT_LOAD segments. */
#define TENDER_ELF_SEGS_MAX 16
/* At most this many program headers in all. */
#define TENDER_ELF_PHDRS_MAX 64
/* Largest image file tender_elf_read_fd accepts (debug info included). */
#define TENDER_ELF_FILE_MAX (256u << 20)
/* Size of a message buffer that always holds a full error message. */
#define TENDER_ELF_ERRLEN 256

/* ELF e_machine values accepted (EM_X86_64, EM_AARCH64). */
#define TENDER_ELF_X86_64  62
#define TENDER_ELF_AARCH64 183

/* Segment permission bits (the ELF PF_* values). */
#define TENDER_ELF_X 1u
#define TENDER_ELF_W 2u
#define TENDER_ELF_R 4u

/* One loadable segment. */
struct tender_elf_seg {
    uint64_t vaddr; /* first guest byte */
    uint64_t memsz; /* bytes in memory (>= filesz) */
    uint64_t filesz; /* bytes taken from the file */
    uint64_t offset; /* file offset of those bytes */
    uint64_t page_start; /* vaddr rounded down to TENDER_ELF_PAGE */
    uint64_t page_end; /* vaddr + memsz rounded up to TENDER_ELF_PAGE */
    uint32_t flags; /* TENDER_ELF_R/W/X */
};

/* What tender_elf_check learnt about an image. */
struct tender_elf_info {
    uint16_t machine; /* TENDER_ELF_X86_64 or TENDER_ELF_AARCH64 */
    uint64_t entry; /* guest address of the entry point */
    uint64_t lo; /* lowest page_start of any segment */
    uint64_t end; /* highest page_end of any segment */
    unsigned nsegs;
    struct tender_elf_seg seg[TENDER_ELF_SEGS_MAX]; /* sorted by vaddr */
    struct tb_mft mft; /* validated manifest: entries, names, types */
};

/*
 * Checks image (img, len) (untrusted, caller-owned, not modified) without
 * loading it.  (machine) is the e_machine the caller runs
 * (TENDER_ELF_X86_64 or TENDER_ELF_AARCH64).  Every segment MUST lie in
 * guest range [min_addr, mem_size) page-rounded.  Fills (*info) and returns
 * 0, or writes a one-line message (no trailing newline) into (err, errlen)
 * and returns:
 *   TB_EMALF    the image is not a well-formed ELF64 file: a header,
 *               segment or note lies outside the file or overflows, or
 *               two segments share a page;
 *   TB_ENOTSUP  well-formed but not loadable here: another machine or
 *               class, not ET_EXEC, dynamic, TLS, W+X, too many segments;
 *   TB_ERANGE   a segment lies outside [min_addr, mem_size);
 *   TB_ENOENT   no Tibra manifest note;
 *   TB_EINVAL   the manifest is malformed (size, entry count, a name not
 *               NUL-terminated or not [A-Za-z0-9_.-]+, a duplicate name,
 *               an unknown type, a non-zero reserved field, two notes);
 *   TB_EPERM    the manifest's ABI version is not TB_ABI_VERSION (the
 *               message names both versions).
 * (err) MAY be NULL when (errlen) is 0; a TENDER_ELF_ERRLEN buffer never
 * truncates.  (*info) is unspecified on error.
 */
int tender_elf_check(const uint8_t *img, size_t len, uint16_t machine,
                     uint64_t min_addr, uint64_t mem_size,
                     struct tender_elf_info *info, char *err, size_t errlen);

/*
 * Checks (img, len) as tender_elf_check() does, then copies each PT_LOAD
 * segment to (mem + vaddr) and zeroes its [filesz, memsz) tail.  (mem,
 * mem_size) is caller-owned guest memory; bytes outside the segments are
 * not touched.  Returns 0 with (*info) filled, or the errors of
 * tender_elf_check() (and then guest memory is not modified).
 */
int tender_elf_load(const uint8_t *img, size_t len, uint16_t machine,
                    uint8_t *mem, uint64_t mem_size, uint64_t min_addr,
                    struct tender_elf_info *info, char *err, size_t errlen);

/*
 * Reads the whole regular file open on (fd) (caller keeps the fd) into a
 * new malloc'd buffer returned in (*img, *len); the caller frees it.
 * Returns 0, or writes a message and returns TB_EINVAL (not a regular
 * file, or larger than TENDER_ELF_FILE_MAX), TB_ENOMEM, or TB_EIO (read
 * error, or the file changed size while being read).
 */
int tender_elf_read_fd(int fd, uint8_t **img, size_t *len, char *err,
                       size_t errlen);

/* Returns a static name for an e_machine value ("x86_64", "aarch64", ...). */
const char *tender_elf_machine_name(uint16_t machine);

/*
 * Returns the index in (mft) of the entry named (name) with type (type),
 * or -1 when there is none.  (name) need not be NUL-terminated within
 * TB_MFT_NAME_MAX: longer names simply do not match.
 */
int tender_mft_find(const struct tb_mft *mft, const char *name, uint32_t type);

/* Returns "net", "block" or "unknown" for an enum tb_mft_type value. */
const char *tender_mft_type_name(uint32_t type);

#endif /* TENDER_ELF_H */
