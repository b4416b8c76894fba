/*
 * vmmd.h -- private to tibra-vmmd, the unikernel manager:
 *
 *   main.c     options, the socket, the event loop, requests -> answers
 *   vm.c       a unikernel's life: checks, state files, start (fork +
 *              exec of the tender without privileges), reap, back-off,
 *              stop, destroy, reconcile after a crash
 *   tap.c      TAPs, bridges and stable MACs
 *   console.c  the per-unikernel console ring
 *   stats.c    Prometheus text from /proc
 *
 * One thread, one poll loop.  Host code: errors in requests are answered,
 * never fatal; only start-up problems end the daemon (errx).
 */
#ifndef TOOL_VMMD_VMMD_H
#define TOOL_VMMD_VMMD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../tibra.h"
#include "proto.h"

#define VMMD_RING_SIZE   65536u /* console bytes kept per unikernel */
#define VMMD_LINE_MAX    512u /* a longer console line is split */
#define VMMD_STOP_MS     5000 /* SIGTERM, then SIGKILL after this */
#define VMMD_BACKOFF_MIN 1000u /* first restart delay, ms */
#define VMMD_BACKOFF_MAX 60000u /* the delay doubles up to this */
#define VMMD_STABLE_MS   60000 /* a run this long resets the delay */
#define VMMD_IMAGE_MAX   (256u << 20) /* largest image accepted */

/* ---- console.c ----------------------------------------------------------- */

/* Lines with their UTC time in ms, oldest dropped first. */
struct ring {
    uint8_t *buf; /* VMMD_RING_SIZE bytes, allocated at first use */
    size_t head, used; /* next write offset; bytes held */
};
void ring_push(struct ring *r, int64_t ms, const char *line, size_t n);
/* Appends every line at or after (since_ms) to (out) as "TIME line\n". */
void ring_dump(const struct ring *r, int64_t since_ms, struct sbuf *out);
void ring_free(struct ring *r);
/* Formats (ms) as 2026-12-03T16:30:00.123Z. */
void fmt_time(int64_t ms, char buf[32]);

/* ---- vm.c ------------------------------------------------------------------
 */

enum vm_state { VM_RUNNING, VM_BACKOFF, VM_EXITED };

struct vm {
    struct vmmd_req rec; /* op VMMD_OP_RECORD: what was asked, + image */
    uint32_t mem_mib; /* resolved */
    enum vm_state state;
    pid_t pid; /* > 0 while RUNNING */
    unsigned long long pid_start; /* /proc/PID/stat starttime */
    int con_fd; /* console pipe, read end; -1 */
    char part[VMMD_LINE_MAX]; /* a line not yet ended */
    size_t partlen;
    struct ring ring;
    int tap_fd[VMMD_NET_MAX];
    char tap[VMMD_NET_MAX][16];
    uint8_t mac[VMMD_NET_MAX][6];
    int64_t started_ms, started_real_ms; /* monotonic, UTC */
    unsigned restarts;
    unsigned backoff_ms;
    int64_t next_start_ms; /* BACKOFF: when */
    int last_status; /* wait status of the last exit; -1 none */
    char last_error[256]; /* why the last start failed, if it did */
    struct vm *next;
};

/* The daemon's settings and state. */
struct vmmd {
    const char *state_dir, *socket_path, *group, *user, *tender_dir;
    uint32_t max_mem_mib, max_vms; /* 0: no limit */
    uint64_t allow_cpus[VMMD_CPUS_MAX / 64];
    bool cpus_limited;
    char allow_bridge[16][VMMD_IFNAME_MAX];
    unsigned nallow_bridge;
    uid_t uid;
    gid_t gid;
    bool drop; /* switch the tender to uid/gid (we are root) */
    int kvm_fd; /* /dev/kvm for hvt tenders, -1 */
    struct vm *vms;
    /* Called with each console line (console.c followers). */
    void (*on_line)(struct vm *vm, const char *text);
};

extern struct vmmd vmmd;

int64_t now_ms(void); /* CLOCK_MONOTONIC */
int64_t real_ms(void); /* CLOCK_REALTIME */

void vm_dirs(void); /* creates the state directory's layout; fatal */
void vm_reconcile(void); /* kills and forgets what a crashed run left */
void vm_load_all(void); /* reads every record, starts in startup order */
struct vm *vm_find(const char *name);
/* create: (img_fd) the image, owned by the caller.  Returns 0, or -1
 * with the refusal in (err). */
int vm_create(const struct vmmd_req *r, int img_fd, char *err, size_t errlen);
int vm_destroy(const char *name, char *err, size_t errlen);
int vm_restart(const char *name, char *err, size_t errlen);
void vm_reap(void); /* SIGCHLD */
void vm_tick(void); /* starts what is due */
int64_t vm_next_deadline(void); /* -1: none */
void vm_console_read(struct vm *vm); /* the console pipe is readable */
void vm_stop_all(void); /* daemon shutdown: stop, keep records */
void vm_list(struct sbuf *out);
int vm_info(const char *name, struct sbuf *out, char *err, size_t errlen);
const char *vm_state_name(const struct vm *vm);
int block_create(const char *name, uint32_t mib, char *err, size_t errlen);
int block_destroy(const char *name, char *err, size_t errlen);
void block_list(struct sbuf *out);

/* Writes (p, n) to (path) atomically: temp file, fsync, rename, fsync
 * of the directory.  Returns 0 or -errno. */
int write_atomic(const char *path, const void *p, size_t n, unsigned mode);
/* STATE/DIR/NAME, allocated. */
char *vm_path(const char *dir, const char *name);

/* ---- vm_check.c: the checks before a create ------------------------------
 */

/* Reads the image (fd) whole into (*img); -1 with a message. */
int vm_read_image(int fd, uint8_t **img, size_t *len, char *err, size_t errlen);
/* Checks image (img, len) against request (r); sets (*target), (*mem). */
int vm_check_image(const struct vmmd_req *r, const uint8_t *img, size_t len,
                   const char **target, uint32_t *mem, char *err,
                   size_t errlen);
/* The daemon's policies for request (r) asking (mem) MiB. */
int vm_check_policy(const struct vmmd_req *r, uint32_t mem, char *err,
                    size_t errlen);
/* Whether a unikernel but (except) has a TAP on bridge (br). */
bool vm_bridge_used(const char *br, const struct vm *except);
/* The unikernel using block file (block), or NULL. */
const struct vm *vm_block_user(const char *block);

/* ---- tap.c -----------------------------------------------------------------
 */

/* The stable MAC of (vm, dev): 02 + SHA-256("vm/dev")[0..4]. */
void tap_mac(const char *vm, const char *dev, uint8_t mac[6]);
/* The TAP name of (vm, dev): "tbv" + 10 hex digits of the same hash. */
void tap_name(const char *vm, const char *dev, char name[16]);
/* Creates TAP (name) (not persistent: it lives while a descriptor is
 * open), brings it up and adds it to (bridge).  Returns the descriptor,
 * or -1 with a message. */
int tap_create(const char *name, const char *bridge, char *err, size_t errlen);
/* True if (name) is an interface in our network namespace. */
bool if_exists(const char *name);
/* Creates bridge (name) and brings it up.  0 or -1 with a message. */
int bridge_create(const char *name, char *err, size_t errlen);
/* Brings bridge (name) down and deletes it; quiet. */
void bridge_delete(const char *name);

/* ---- stats.c ---------------------------------------------------------------
 */

/* Prometheus text for (only) or every unikernel when NULL. */
void stats_text(const char *only, struct sbuf *out);

#endif /* TOOL_VMMD_VMMD_H */
