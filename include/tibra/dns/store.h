/*
 * dns/store.h -- zones kept on a block device (a unikernel image's state
 * device): the copy a secondary last transferred, its expiry, and the
 * journal of a dynamically updated zone, so that a restart serves at once
 * and no acknowledged update is lost.  Sans-I/O over a read/write-blocks
 * interface (struct dns_store_dev): the guest passes tb_block_read and
 * tb_block_write, the tests a memory device that can "crash".
 *
 * One device per image holds every zone of the image.  Layout (block
 * size B, a power of two >= 512 and <= 64 KiB; integers big-endian):
 *
 *   [0, 64K)        superblock copy 0
 *   [64K, 128K)     superblock copy 1
 *   [128K, cap)     extents, one per zone version: the zone copy (its
 *                   records), then its journal
 *
 *   superblock:  "TBSTORE1" | u32 version (1) | u32 nzones | u64 gen |
 *                u32 used bytes | u32 CRC-32C of [0, used) with this
 *                field 0 | nzones directory entries of 320 bytes:
 *   entry:       origin (wire, 256 bytes zero-padded) | u64 extent off |
 *                u64 copy bytes | u64 journal off | u64 journal bytes |
 *                u32 serial | u32 CRC-32C of the copy | i64 expire_at |
 *                i64 refreshed_at (UNIX seconds; 0: unknown) | 4 zero
 *   zone copy:   "TBZONE01" | u32 class | u32 records | u32 serial |
 *                u32 data bytes | 8 zero | records, each: owner (wire) |
 *                u16 type | u16 rdlen | u32 ttl | rdata (the journal's
 *                record layout)
 *   journal:     block 0: the journal header (dns_journal_header); then
 *                entries (dns_journal_entry, lib/dns/journal.c), each
 *                starting on a block boundary, zero-padded to one; zeros
 *                after the last
 *
 * The superblock with the highest generation whose CRC holds is the
 * store.  A change is never written over anything that superblock names:
 *
 *   dns_store_put (a new version: a transfer, or a journal compacted):
 *     the new copy and an empty, zeroed journal are written to free
 *     space; then the OLDER superblock copy is overwritten with the
 *     directory naming them and generation + 1.  A crash before that
 *     write completes leaves the old directory (old zone); a torn
 *     superblock fails its CRC and the other copy (old zone) is used.
 *   dns_store_times: a superblock flip only.
 *   dns_store_append: one entry written into the zeroed space after the
 *     journal's last entry (its own blocks: no acknowledged entry shares
 *     a block with it); torn, it fails its length or CRC at the next
 *     load, was never acknowledged, and is zeroed before the next append.
 *
 * Every write is durable when dev->write returns (the tenders open state
 * devices O_DSYNC), so an answer sent after dns_store_append or
 * dns_store_put returned survives a power cut.
 *
 * Not here: the zone's compiled form (compiled again at load, as
 * tibra-dnsd does from its kept file); journal compaction is the
 * caller's (dns_store_append says TB_ENOSPC: put the new version).
 */
#ifndef DNS_STORE_H
#define DNS_STORE_H
#include <tibra/dns.h>
#include <tibra/dns/srv.h>
#include <tibra/dns/zone.h>

#define DNS_STORE_SB_SIZE         (64u << 10)
#define DNS_STORE_DATA_OFF        (2u * DNS_STORE_SB_SIZE)
#define DNS_STORE_ENTRY           320u
#define DNS_STORE_ZONES_MAX       ((DNS_STORE_SB_SIZE - 32u) / DNS_STORE_ENTRY)
#define DNS_STORE_JOURNAL_DEFAULT (1u << 20) /* bytes a new journal gets */

/* The device: every call reads or writes whole blocks; (write) returns
 * only once the bytes are durable.  Both return 0 or a TB_E*. */
struct dns_store_dev {
    uint64_t capacity; /* bytes, a multiple of block_size */
    uint32_t block_size;
    int (*read)(void *ctx, uint64_t off, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t off, const void *buf, size_t len);
    void *ctx;
};

/* What is kept of one zone. */
struct dns_store_meta {
    uint32_t serial; /* of the copy plus the journal replayed */
    int64_t expire_at, refreshed_at; /* UNIX seconds; 0: unknown */
    uint32_t entries; /* journal entries replayed */
    bool journal_cut; /* an entry that does not apply ended the replay */
};

/* Caller-placed; fields private. */
struct dns_store {
    const struct dns_store_dev *dev;
    const struct tb_alloc *a;
    uint8_t *sb; /* the current superblock (DNS_STORE_SB_SIZE) */
    uint64_t gen;
    unsigned cur; /* which copy (0, 1) holds gen */
    uint32_t nzones;
    /* per directory entry: the journal's end (bytes from its start) and
     * whether bytes after it must be zeroed before an append */
    uint64_t jend[DNS_STORE_ZONES_MAX];
    bool jdirty[DNS_STORE_ZONES_MAX];
    bool jknown[DNS_STORE_ZONES_MAX]; /* jend read (dns_store_load) */
};

/*
 * Reads the store on (dev) (kept, not copied) with memory from (a).  A
 * device without a valid superblock is an empty store (a new device; it
 * is formatted by the first dns_store_put).  Returns 0, TB_EINVAL (a
 * geometry the layout cannot use: block size, capacity), TB_EMALF (a
 * valid superblock that names extents outside the device), TB_ENOMEM,
 * or the device's error.
 */
TB_API int dns_store_open(struct dns_store *st, const struct dns_store_dev *dev,
                          const struct tb_alloc *a);

/* Frees what (st) holds. */
TB_API void dns_store_close(struct dns_store *st);

/* Generation of the current superblock (0: empty store). */
TB_API uint64_t dns_store_generation(const struct dns_store *st);

/*
 * The kept version of zone (origin) (trusted wire name): its copy read
 * (checked against its CRC, every record through dns_zone_check) and
 * its journal replayed (dns_journal_apply) into (out), initialised here
 * with (st)'s allocator (the caller frees it in every case; on error it
 * is empty), its times in (*m).  A journal entry that does not apply
 * ends the replay (m->journal_cut; the versions before it are kept).
 * Returns 0, TB_ENOENT (no copy of that zone), TB_EMALF (the copy is
 * damaged), TB_ENOMEM, or the device's error.
 */
TB_API int dns_store_load(struct dns_store *st, const uint8_t *origin,
                          struct dns_zone_src *out, struct dns_store_meta *m,
                          struct dns_diag *diag);

/*
 * Keeps (z) (checked, with its SOA) as zone z->origin's version, with
 * an empty journal of (journal_cap) bytes (0: none, rounded up to
 * blocks; DNS_STORE_JOURNAL_DEFAULT is a good size), expiring at
 * (expire_at), refreshed at (refreshed_at); replaces what was kept of
 * it.  Atomic (see above).  Returns 0, TB_ENOSPC (no free extent large
 * enough, or DNS_STORE_ZONES_MAX zones), TB_EINVAL (no SOA), TB_ENOMEM,
 * or the device's error (then the old version is what a load finds).
 */
TB_API int dns_store_put(struct dns_store *st, const struct dns_zone_src *z,
                         int64_t expire_at, int64_t refreshed_at,
                         size_t journal_cap);

/* Changes the kept times of zone (origin).  Atomic.  Returns 0,
 * TB_ENOENT, or the device's error. */
TB_API int dns_store_times(struct dns_store *st, const uint8_t *origin,
                           int64_t expire_at, int64_t refreshed_at);

/*
 * Appends the delta (d) (from the kept version's serial to the next) to
 * zone (origin)'s journal; durable when it returns 0.  Returns TB_ENOENT
 * (no copy of that zone), TB_ENOSPC (the journal is full: dns_store_put
 * the new version instead), TB_ENOMEM, or the device's error.
 */
TB_API int dns_store_append(struct dns_store *st, const uint8_t *origin,
                            const struct dns_ixfr_delta *d);

/*
 * The records of compiled zone (blob, len) (compiled with
 * DNS_ZONE_COMPILE_RECORDS; validated here) as a checked version in
 * (out), initialised here with (a) (the caller frees it in every case):
 * where an image's dynamically updated zone starts when its state device
 * has no copy.  Returns 0, TB_EMALF (not a valid blob, or its records do
 * not pass dns_zone_check), TB_ENOENT (no records section), TB_ENOMEM.
 * lib/dns/zone_blob.c.
 */
TB_API int dns_zone_src_from_blob(struct dns_zone_src *out, const void *blob,
                                  size_t len, const struct tb_alloc *a);

#endif /* DNS_STORE_H */
