/*
 * proto.h -- the tibra-vmmd request format, shared by the daemon
 * (tool/vmmd/) and the tibra CLI (tool/vmm.c), and the daemon's record of
 * a unikernel on disk (the create request it accepted, plus its image's
 * hash).  One encoder, one decoder; the decoder takes untrusted bytes
 * (any local user of the socket's group, a damaged state file) and is
 * fuzzed (tests/fuzz/fuzz_vmmd_req.c).
 *
 * A frame is a 4-byte big-endian length N (at most VMMD_FRAME_MAX) and N
 * bytes.  A request body:
 *
 *   +----+----+---------+----+  then fields, each
 *   | 'T'| 'V'| version | op |  +-----+--------------+------------+
 *   +----+----+---------+----+  | tag | length (BE16)| value      |
 *                               +-----+--------------+------------+
 *
 * Text values carry no NUL and are checked as the CLI checks its command
 * line (names, DEV=BRIDGE[@MAC], CPU lists); integers are big-endian of
 * their exact width.  A response body is one kind byte (VMMD_R_*) and
 * text.  The image of a create travels as a descriptor (SCM_RIGHTS)
 * beside the request, never in it.
 */
#ifndef TOOL_VMMD_PROTO_H
#define TOOL_VMMD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tibra/plat.h> /* TB_MFT_NAME_MAX */

#define VMMD_VERSION         1
#define VMMD_FRAME_MAX       65536u /* bytes after the length */
#define VMMD_NAME_MAX        49 /* 48 characters and a NUL */
#define VMMD_IFNAME_MAX      16 /* IFNAMSIZ */
#define VMMD_NET_MAX         8
#define VMMD_BLOCK_MAX       8
#define VMMD_ARGS_MAX        2048 /* the guest's words, space-joined, with NUL */
#define VMMD_CPUS_MAX        1024 /* CPU numbers 0..1023 */
#define VMMD_MEM_MAX         65536u /* MiB */
#define VMMD_STARTUP_DEFAULT 500
#define VMMD_STARTUP_MAX     1000

enum vmmd_op {
    VMMD_OP_CREATE = 1,
    VMMD_OP_DESTROY,
    VMMD_OP_RESTART,
    VMMD_OP_LIST,
    VMMD_OP_INFO,
    VMMD_OP_CONSOLE,
    VMMD_OP_STATS,
    VMMD_OP_BLOCK_CREATE,
    VMMD_OP_BLOCK_LIST,
    VMMD_OP_BLOCK_DESTROY,
    VMMD_OP_RECORD, /* a state file: a create with its image hash */
    VMMD_OP_LAST = VMMD_OP_RECORD
};

enum vmmd_tag {
    VMMD_T_NAME = 1, /* text */
    VMMD_T_TARGET, /* "spt" or "hvt" */
    VMMD_T_MEM, /* u32 MiB, 1..VMMD_MEM_MAX */
    VMMD_T_CPUS, /* text: CPU list */
    VMMD_T_NET, /* text: DEV=BRIDGE[@MAC], repeatable */
    VMMD_T_BLOCK, /* text: DEV=BLOCK, repeatable */
    VMMD_T_ARG, /* text: one word, repeatable */
    VMMD_T_RESTART, /* exit codes, one byte each; empty: any failure */
    VMMD_T_STARTUP, /* u16, 0..VMMD_STARTUP_MAX */
    VMMD_T_CREATE_BRIDGE, /* empty */
    VMMD_T_SINCE, /* u32 seconds */
    VMMD_T_FOLLOW, /* empty */
    VMMD_T_SIZE, /* u32 MiB, 1..VMMD_MEM_MAX * 16 */
    VMMD_T_IMAGE, /* 64 lower-case hex digits (records only) */
    VMMD_T_LAST = VMMD_T_IMAGE
};

/* Response kinds: the first byte of a response body. */
#define VMMD_R_OK   0 /* done; text is the answer */
#define VMMD_R_ERR  1 /* refused; text is the reason, one line */
#define VMMD_R_MORE 2 /* text follows, more frames to come (console -f) */

struct vmmd_net {
    char dev[TB_MFT_NAME_MAX];
    char bridge[VMMD_IFNAME_MAX];
    uint8_t mac[6];
    bool has_mac;
};

struct vmmd_blk {
    char dev[TB_MFT_NAME_MAX];
    char block[VMMD_NAME_MAX];
};

/* A decoded request.  Fields a request does not carry are zero. */
struct vmmd_req {
    uint8_t op; /* enum vmmd_op */
    char name[VMMD_NAME_MAX];
    char target[4]; /* "", "spt", "hvt" */
    uint32_t mem_mib; /* 0: the image's default */
    char cpus[64]; /* "" or a checked CPU list */
    struct vmmd_net net[VMMD_NET_MAX];
    unsigned nnet;
    struct vmmd_blk blk[VMMD_BLOCK_MAX];
    unsigned nblk;
    char args[VMMD_ARGS_MAX]; /* words joined by single spaces */
    unsigned nargs;
    bool restart; /* --restart-on-fail given */
    uint8_t codes[32]; /* bitmap of exit codes; all zero: any failure */
    uint16_t startup; /* VMMD_STARTUP_DEFAULT unless given */
    bool create_bridge, follow;
    uint32_t since_s, size_mib;
    char image[65]; /* SHA-256 hex (records) */
};

/* (r) with no fields: op (op), startup VMMD_STARTUP_DEFAULT. */
void vmmd_req_init(struct vmmd_req *r, uint8_t op);

/*
 * Decodes body (p, n) (untrusted) into (*r).  Returns 0, or -1 with one
 * line in (err, errlen) naming the first problem: bad magic or version,
 * unknown op or tag, a field past the end, a wrong integer width, a
 * repeated single field, too many nets/blocks/args, a value failing its
 * check, a field the op does not take, a required one missing.
 */
int vmmd_req_decode(const uint8_t *p, size_t n, struct vmmd_req *r, char *err,
                    size_t errlen);

/*
 * Encodes (r) into (buf, cap).  Returns the body length, or -1 if it
 * does not fit (cap VMMD_FRAME_MAX always fits a valid request).
 */
int vmmd_req_encode(const struct vmmd_req *r, uint8_t *buf, size_t cap);

/* ---- value checks, shared by the CLI, the decoder and the daemon ---------
 * Each returns 0, or -1 with a message in (err, errlen). */

/* NAME: 1..48 of [A-Za-z0-9_.-], not starting with '.' or '-', not
 * ending in ".tmp" (the daemon's temporary files). */
int vmmd_check_name(const char *s, char *err, size_t errlen);
/* A Linux interface name: 1..15 bytes, no '/', ':', space, control. */
int vmmd_check_ifname(const char *s, char *err, size_t errlen);
/* "DEV=BRIDGE[@MAC]" into (*n). */
int vmmd_parse_net(const char *s, struct vmmd_net *n, char *err, size_t errlen);
/* "DEV=BLOCK" into (*b). */
int vmmd_parse_block(const char *s, struct vmmd_blk *b, char *err,
                     size_t errlen);
/* A CPU list "0", "0-3", "1,3,5-6" into (set) (VMMD_CPUS_MAX bits). */
int vmmd_parse_cpus(const char *s, uint64_t set[VMMD_CPUS_MAX / 64], char *err,
                    size_t errlen);
/* One guest argument: 1..255 printable bytes, no space. */
int vmmd_check_arg(const char *s, char *err, size_t errlen);

/* Appends one word to (r)'s arguments; -1 with a message if it is bad
 * or there is no room. */
int vmmd_req_add_arg(struct vmmd_req *r, const char *w, char *err,
                     size_t errlen);

/* Big-endian helpers for frame lengths. */
static inline uint32_t vmmd_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}
static inline void vmmd_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

#endif /* TOOL_VMMD_PROTO_H */
