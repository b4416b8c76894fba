/*
 * plat.h -- the platform contract: everything an application or lib/net may
 * ask of the machine under it.  One implementation per target, chosen at
 * link time: platform/unix (Linux process), platform/hvt (KVM guest under
 * tender/hvt), platform/spt (seccomp-sandboxed process under tender/spt),
 * platform/stub (every call aborts: proves an app links against this file
 * alone).  Modelled on Solo5's solo5.h.
 *
 * Rules for every call:
 *  - Calls are made from one thread (the application's).  No call blocks
 *    except tb_yield().  No call allocates memory the caller must free.
 *  - Results are TB_OK (0) or a negative TB_E* from base.h; a call lists
 *    every error it can return.  Out-parameters are written only on TB_OK.
 *  - Buffers passed in remain owned by the caller; the platform copies.
 *
 * The ABI between a guest image and its tender is versioned by
 * TB_ABI_VERSION, recorded in the image's manifest; a tender MUST refuse an
 * image whose version it does not implement, with a message naming both.
 */
#ifndef TB_PLAT_H
#define TB_PLAT_H

#include <tibra/base.h>

#define TB_ABI_VERSION 2 /* 2: tb_stop_requested() */

/* Time in nanoseconds. */
typedef uint64_t tb_time_t;
/* A device handle: small integer assigned by the platform at acquire. */
typedef uint64_t tb_handle_t;
/* A set of handles, one bit per handle (handles are < 64). */
typedef uint64_t tb_handle_set_t;

#define TB_HANDLE_MAX 64

/*
 * Start info, passed to the application's entry point
 *
 *     int tb_app_main(const struct tb_start_info *si);
 *
 * whose return value is the exit status (as with tb_exit()).
 * (cmdline) is the NUL-terminated argument string given to the tender (or
 * the unix process's arguments joined by spaces).  [heap_start,
 * heap_start + heap_size) is memory the application owns outright: the
 * platform never touches it.  Both remain valid until exit.
 */
struct tb_start_info {
    const char *cmdline;
    uintptr_t heap_start;
    size_t heap_size;
};

int tb_app_main(const struct tb_start_info *si);

/* ---- console ---------------------------------------------------------- */

/*
 * Writes (len) bytes of (buf) to the console.  Best effort: output MAY be
 * lost, never blocks for long, never fails.
 */
void tb_console_write(const char *buf, size_t len);

/* ---- exit ------------------------------------------------------------- */

/* Exits with (status) (0..255).  Does not return. */
void tb_exit(int status) __attribute__((noreturn));

/*
 * Aborts: exits with status 255 after the platform has printed what it can
 * (a register dump and faulting address on a trap).  Does not return.
 */
void tb_abort(void) __attribute__((noreturn));

/* ---- stop ------------------------------------------------------------- */

/*
 * Returns true once the platform has been asked to stop the application:
 * SIGTERM or SIGINT sent to the unix process or to the tender (tibra-spt,
 * tibra-hvt).  Never blocks and costs no system call or VM exit, so the
 * application MAY call it on every turn of its loop.  A request wakes a
 * tb_yield() in progress, and from then on tb_yield() returns at once (on
 * the unix target it also interrupts the application's own blocking waits,
 * such as host-socket polling, with EINTR).  The application SHOULD then
 * finish promptly (print what it must on the console) and exit.
 *
 * The platform MUST end an application that has not exited
 * TB_STOP_GRACE_MS after the request, with status 128 + the request's
 * signal number (as the signal's default action would have), saying so on
 * standard error.  Further requests change nothing (timeout(1), for one,
 * signals both a process and its process group).
 */
#define TB_STOP_GRACE_MS 2000

bool tb_stop_requested(void);

/* ---- time ------------------------------------------------------------- */

/* Monotonic clock: nanoseconds since an arbitrary point before start. */
tb_time_t tb_clock_monotonic(void);
/* Wall clock: nanoseconds since the Unix epoch, UTC. */
tb_time_t tb_clock_wall(void);

/*
 * Suspends until (deadline) (monotonic) or until any device has input
 * ready, whichever is first.  Returns the set of handles that are ready in
 * (*ready) (0 if the deadline passed).  A deadline in the past polls.
 * Spurious wakeups (ready == 0 before the deadline) MAY happen.
 */
void tb_yield(tb_time_t deadline, tb_handle_set_t *ready);

/* ---- net -------------------------------------------------------------- */

#define TB_NET_ALEN 6
#define TB_NET_HLEN 14 /* Ethernet header */

struct tb_net_info {
    uint8_t mac[TB_NET_ALEN];
    size_t mtu; /* Not including the Ethernet header. */
};

/*
 * Acquires the network device (name), as declared in the image manifest
 * and attached by the tender (or, for unix, given on the command line as
 * --net:NAME=TAP).  Returns TB_OK with the handle in (*h) and its
 * addresses in (*info); TB_ENOENT if no such device is attached;
 * TB_EEXIST if it was already acquired.
 */
int tb_net_acquire(const char *name, tb_handle_t *h, struct tb_net_info *info);

/*
 * One frame buffer in a batch.  For reads, (buf, cap) is caller storage
 * and (len) is set by the platform; for writes (len) bytes of (buf) are
 * sent.  A frame is at most mtu + TB_NET_HLEN bytes.
 */
struct tb_frame {
    uint8_t *buf;
    size_t cap;
    size_t len;
};

/*
 * Reads up to (n) queued frames from (h) into (frames), in arrival order,
 * with one platform transition for the whole batch.  Returns the number of
 * frames read (1..n) on success, TB_EAGAIN if none is queued, TB_EBADF for
 * a bad handle.  A frame larger than its buffer is dropped and counted by
 * the platform; it does not fail the call.
 */
int tb_net_read(tb_handle_t h, struct tb_frame *frames, size_t n);

/*
 * Queues (n) frames for transmission on (h), with one platform transition
 * for the whole batch.  Returns the number of frames accepted (0..n; fewer
 * than n when the device queue is full -- the rest may be retried after
 * tb_yield()), TB_EINVAL if a frame is longer than mtu + TB_NET_HLEN,
 * TB_EBADF for a bad handle.
 */
int tb_net_write(tb_handle_t h, const struct tb_frame *frames, size_t n);

/* ---- block ------------------------------------------------------------ */

struct tb_block_info {
    uint64_t capacity; /* bytes; a multiple of block_size */
    uint64_t block_size; /* bytes; a power of two, at least 512 */
};

/*
 * Acquires block device (name) (declared in the manifest, attached as
 * --block:NAME=FILE).  Returns TB_OK, TB_ENOENT, TB_EEXIST as for net.
 */
int tb_block_acquire(const char *name, tb_handle_t *h,
                     struct tb_block_info *info);

/*
 * Reads (len) bytes at byte offset (off) into (buf).  (off) and (len) MUST
 * be multiples of block_size and [off, off + len) inside capacity; (len)
 * MAY span many blocks (one platform transition).  Returns TB_OK, TB_EINVAL
 * (misaligned or out of range), TB_EIO, TB_EBADF.
 */
int tb_block_read(tb_handle_t h, uint64_t off, void *buf, size_t len);
/*
 * Writes, with the same rules as tb_block_read().  The bytes are durable
 * when it returns TB_OK (the tenders and the unix platform open the
 * backing file O_DSYNC): an application may acknowledge what it wrote.
 */
int tb_block_write(tb_handle_t h, uint64_t off, const void *buf, size_t len);

/* ---- entropy ---------------------------------------------------------- */

/*
 * Fills (buf, len) with unpredictable bytes from the host (getrandom on
 * unix, the tender for guests, RDRAND/RNDR as a supplement).  Returns
 * TB_OK or TB_EIO if no source is available.
 */
int tb_entropy(void *buf, size_t len);

/* ---- manifest --------------------------------------------------------- */

/*
 * The manifest declares the devices an image needs; the tender attaches
 * exactly those (refusing attaches not declared, and refusing to start if a
 * declared device is not attached).  It lives in an ELF note (name "Tibra",
 * type TB_MFT_NOTE_TYPE) in section .note.tibra.manifest, so a tender can
 * read it without running the image.  Declare it once per image:
 *
 *     TB_MANIFEST(2, TB_MFT_NET("service0"), TB_MFT_BLOCK("storage"));
 */
#define TB_MFT_NOTE_TYPE   0x5442u /* "TB" */
#define TB_MFT_NAME_MAX    32
#define TB_MFT_ENTRIES_MAX 16

enum tb_mft_type { TB_MFT_NET_DEV = 1, TB_MFT_BLOCK_DEV = 2 };

struct tb_mft_entry {
    char name[TB_MFT_NAME_MAX]; /* NUL-terminated */
    uint32_t type; /* enum tb_mft_type */
    uint32_t reserved; /* 0 */
};

struct tb_mft {
    uint32_t abi_version; /* TB_ABI_VERSION */
    uint32_t entries; /* <= TB_MFT_ENTRIES_MAX */
    struct tb_mft_entry e[TB_MFT_ENTRIES_MAX];
};

struct tb_mft_note {
    uint32_t namesz; /* 6: "Tibra\0" */
    uint32_t descsz; /* sizeof(struct tb_mft) */
    uint32_t type; /* TB_MFT_NOTE_TYPE */
    char name[8]; /* "Tibra\0" padded to 4 */
    struct tb_mft desc;
};

#define TB_MFT_NET(n)                                                          \
    {                                                                          \
        .name = n, .type = TB_MFT_NET_DEV                                      \
    }
#define TB_MFT_BLOCK(n)                                                        \
    {                                                                          \
        .name = n, .type = TB_MFT_BLOCK_DEV                                    \
    }
#define TB_MANIFEST(count, ...)                                                \
    __attribute__((used, section(".note.tibra.manifest"), aligned(4)))         \
    const struct tb_mft_note tb_manifest_note = {                              \
        .namesz = 6,                                                           \
        .descsz = sizeof(struct tb_mft),                                       \
        .type = TB_MFT_NOTE_TYPE,                                              \
        .name = "Tibra",                                                       \
        .desc = {.abi_version = TB_ABI_VERSION,                                \
                 .entries = (count),                                           \
                 .e = {__VA_ARGS__}}}

#endif /* TB_PLAT_H */
