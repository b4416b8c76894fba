/*
 * proto.c -- tibra-vmmd requests: encoder, decoder and value checks
 * (contract and wire layout in proto.h).  The decoder is the daemon's
 * only reader of socket bytes and of its own state files: it checks
 * every length against what remains, every value as the CLI does, and
 * which fields each op takes, then the daemon trusts the struct.  It
 * does not know what exists (names in use, bridges): that is the
 * daemon's.
 */
#include <stdio.h>
#include <string.h>

#include "../../tender/common/attach.h"
#include "proto.h"

#define BIT(t) (1u << (t))
#define CREATE_FIELDS                                                          \
    (BIT(VMMD_T_NAME) | BIT(VMMD_T_TARGET) | BIT(VMMD_T_MEM) |                 \
     BIT(VMMD_T_CPUS) | BIT(VMMD_T_NET) | BIT(VMMD_T_BLOCK) |                  \
     BIT(VMMD_T_ARG) | BIT(VMMD_T_RESTART) | BIT(VMMD_T_STARTUP) |             \
     BIT(VMMD_T_CREATE_BRIDGE))

/* Fields each op takes, and those it requires. */
static const struct {
    uint32_t allow, need;
} ops[VMMD_OP_LAST + 1] = {
    [VMMD_OP_CREATE] = {CREATE_FIELDS, BIT(VMMD_T_NAME)},
    [VMMD_OP_DESTROY] = {BIT(VMMD_T_NAME), BIT(VMMD_T_NAME)},
    [VMMD_OP_RESTART] = {BIT(VMMD_T_NAME), BIT(VMMD_T_NAME)},
    [VMMD_OP_LIST] = {0, 0},
    [VMMD_OP_INFO] = {BIT(VMMD_T_NAME), BIT(VMMD_T_NAME)},
    [VMMD_OP_CONSOLE] = {BIT(VMMD_T_NAME) | BIT(VMMD_T_SINCE) |
                             BIT(VMMD_T_FOLLOW),
                         BIT(VMMD_T_NAME)},
    [VMMD_OP_STATS] = {BIT(VMMD_T_NAME), 0},
    [VMMD_OP_BLOCK_CREATE] = {BIT(VMMD_T_NAME) | BIT(VMMD_T_SIZE),
                              BIT(VMMD_T_NAME) | BIT(VMMD_T_SIZE)},
    [VMMD_OP_BLOCK_LIST] = {0, 0},
    [VMMD_OP_BLOCK_DESTROY] = {BIT(VMMD_T_NAME), BIT(VMMD_T_NAME)},
    [VMMD_OP_RECORD] = {CREATE_FIELDS | BIT(VMMD_T_IMAGE),
                        BIT(VMMD_T_NAME) | BIT(VMMD_T_IMAGE)},
};

/* Fields that may appear more than once. */
#define REPEATABLE (BIT(VMMD_T_NET) | BIT(VMMD_T_BLOCK) | BIT(VMMD_T_ARG))

void vmmd_req_init(struct vmmd_req *r, uint8_t op)
{
    memset(r, 0, sizeof(*r));
    r->op = op;
    r->startup = VMMD_STARTUP_DEFAULT;
}

static int fail(char *err, size_t errlen, const char *what, const char *s)
{
    snprintf(err, errlen, "%s '%.64s'", what, s);
    return -1;
}

int vmmd_check_name(const char *s, char *err, size_t errlen)
{
    size_t n = strlen(s);

    if (n == 0 || n >= VMMD_NAME_MAX || s[0] == '.' || s[0] == '-' ||
        (n >= 4 && !strcmp(s + n - 4, ".tmp")))
        return fail(err, errlen,
                    "want a name of 1..48 of [A-Za-z0-9_.-], not starting "
                    "with '.' or '-' nor ending in .tmp, not",
                    s);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return fail(err, errlen,
                        "want a name of 1..48 of [A-Za-z0-9_.-], not", s);
    }
    return 0;
}

int vmmd_check_ifname(const char *s, char *err, size_t errlen)
{
    size_t n = strlen(s);

    if (n == 0 || n >= VMMD_IFNAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
        return fail(err, errlen, "not an interface name (1..15 bytes):", s);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == '/' || c == ':' || c >= 0x7f)
            return fail(err, errlen, "not an interface name:", s);
    }
    return 0;
}

/* A manifest device name: what tender/common/elf.c accepts. */
static int check_dev(const char *s, size_t n, char *err, size_t errlen)
{
    if (n == 0 || n >= TB_MFT_NAME_MAX)
        return fail(err, errlen, "not a device name:", s);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
            return fail(err, errlen, "not a device name:", s);
    }
    return 0;
}

int vmmd_parse_net(const char *s, struct vmmd_net *n, char *err, size_t errlen)
{
    const char *eq = strchr(s, '='), *at;
    size_t bl;

    memset(n, 0, sizeof(*n));
    if (eq == NULL)
        return fail(err, errlen, "want DEV=BRIDGE[@MAC], not", s);
    if (check_dev(s, (size_t)(eq - s), err, errlen) != 0)
        return -1;
    memcpy(n->dev, s, (size_t)(eq - s));
    at = strchr(eq + 1, '@');
    bl = at ? (size_t)(at - eq - 1) : strlen(eq + 1);
    if (bl == 0 || bl >= VMMD_IFNAME_MAX)
        return fail(err, errlen, "want DEV=BRIDGE[@MAC], not", s);
    memcpy(n->bridge, eq + 1, bl);
    if (vmmd_check_ifname(n->bridge, err, errlen) != 0)
        return -1;
    if (at != NULL) {
        if (tender_mac_parse(at + 1, n->mac) != 0)
            return fail(err, errlen,
                        "want a unicast MAC like 02:00:00:00:00:01, not",
                        at + 1);
        n->has_mac = true;
    }
    return 0;
}

int vmmd_parse_block(const char *s, struct vmmd_blk *b, char *err,
                     size_t errlen)
{
    const char *eq = strchr(s, '=');

    memset(b, 0, sizeof(*b));
    if (eq == NULL)
        return fail(err, errlen, "want DEV=BLOCK, not", s);
    if (check_dev(s, (size_t)(eq - s), err, errlen) != 0 ||
        vmmd_check_name(eq + 1, err, errlen) != 0)
        return -1;
    memcpy(b->dev, s, (size_t)(eq - s));
    memcpy(b->block, eq + 1, strlen(eq + 1));
    return 0;
}

/* A decimal CPU number below VMMD_CPUS_MAX at (*p); advances (*p). */
static int cpu_num(const char **p, unsigned *v)
{
    unsigned x = 0;
    int digits = 0;

    while (**p >= '0' && **p <= '9' && digits < 5) {
        x = x * 10 + (unsigned)(**p - '0');
        ++*p;
        digits++;
    }
    if (digits == 0 || (**p >= '0' && **p <= '9') || x >= VMMD_CPUS_MAX)
        return -1;
    *v = x;
    return 0;
}

int vmmd_parse_cpus(const char *s, uint64_t set[VMMD_CPUS_MAX / 64], char *err,
                    size_t errlen)
{
    const char *p = s;

    memset(set, 0, VMMD_CPUS_MAX / 8);
    if (strlen(s) >= 64)
        return fail(err, errlen, "CPU list too long:", s);
    for (;;) {
        unsigned a, b;
        if (cpu_num(&p, &a) != 0)
            return fail(err, errlen,
                        "want a CPU list like 0-3,6 (CPUs below 1024), not", s);
        b = a;
        if (*p == '-') {
            p++;
            if (cpu_num(&p, &b) != 0 || b < a)
                return fail(err, errlen, "want a CPU list like 0-3,6, not", s);
        }
        for (unsigned c = a; c <= b; c++)
            set[c / 64] |= 1ull << (c % 64);
        if (*p == 0)
            return 0;
        if (*p++ != ',')
            return fail(err, errlen, "want a CPU list like 0-3,6, not", s);
    }
}

int vmmd_check_arg(const char *s, char *err, size_t errlen)
{
    size_t n = strlen(s);

    if (n == 0 || n > 255)
        return fail(err, errlen, "a guest argument is 1..255 bytes:", s);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f)
            return fail(err, errlen,
                        "a guest argument has no spaces or control bytes:", s);
    }
    return 0;
}

int vmmd_req_add_arg(struct vmmd_req *r, const char *w, char *err,
                     size_t errlen)
{
    size_t have = strlen(r->args), n = strlen(w);

    if (vmmd_check_arg(w, err, errlen) != 0)
        return -1;
    if (have + (have > 0) + n >= VMMD_ARGS_MAX)
        return fail(err, errlen, "guest arguments longer than 2047 bytes at",
                    w);
    if (have > 0)
        r->args[have++] = ' ';
    memcpy(r->args + have, w, n + 1);
    r->nargs++;
    return 0;
}

/* Copies text field (v, n) into (dst, cap) as a C string. */
static int text(const uint8_t *v, size_t n, char *dst, size_t cap, char *err,
                size_t errlen)
{
    if (n >= cap || memchr(v, 0, n) != NULL) {
        snprintf(err, errlen, "text field too long or with a NUL byte");
        return -1;
    }
    memcpy(dst, v, n);
    dst[n] = 0;
    return 0;
}

static int field(struct vmmd_req *r, unsigned tag, const uint8_t *v, size_t n,
                 char *err, size_t errlen)
{
    char buf[256];
    uint64_t cpus[VMMD_CPUS_MAX / 64];

    switch (tag) {
    case VMMD_T_NAME:
        if (text(v, n, r->name, sizeof(r->name), err, errlen) != 0)
            return -1;
        return vmmd_check_name(r->name, err, errlen);
    case VMMD_T_TARGET:
        if (text(v, n, r->target, sizeof(r->target), err, errlen) != 0)
            return -1;
        if (strcmp(r->target, "spt") && strcmp(r->target, "hvt"))
            return fail(err, errlen, "target must be spt or hvt, not",
                        r->target);
        return 0;
    case VMMD_T_MEM:
    case VMMD_T_SINCE:
    case VMMD_T_SIZE: {
        if (n != 4) {
            snprintf(err, errlen, "field %u: want 4 bytes, got %zu", tag, n);
            return -1;
        }
        uint32_t x = vmmd_get32(v);
        if (tag == VMMD_T_MEM && (x == 0 || x > VMMD_MEM_MAX)) {
            snprintf(err, errlen, "memory %u MiB: want 1..%u", x, VMMD_MEM_MAX);
            return -1;
        }
        if (tag == VMMD_T_SIZE && (x == 0 || x > VMMD_MEM_MAX * 16)) {
            snprintf(err, errlen, "block size %u MiB: want 1..%u", x,
                     VMMD_MEM_MAX * 16);
            return -1;
        }
        *(tag == VMMD_T_MEM     ? &r->mem_mib
          : tag == VMMD_T_SINCE ? &r->since_s
                                : &r->size_mib) = x;
        return 0;
    }
    case VMMD_T_CPUS:
        if (text(v, n, r->cpus, sizeof(r->cpus), err, errlen) != 0)
            return -1;
        return vmmd_parse_cpus(r->cpus, cpus, err, errlen);
    case VMMD_T_NET:
        if (r->nnet == VMMD_NET_MAX) {
            snprintf(err, errlen, "more than %d net devices", VMMD_NET_MAX);
            return -1;
        }
        if (text(v, n, buf, sizeof(buf), err, errlen) != 0 ||
            vmmd_parse_net(buf, &r->net[r->nnet], err, errlen) != 0)
            return -1;
        for (unsigned i = 0; i < r->nnet; i++)
            if (!strcmp(r->net[i].dev, r->net[r->nnet].dev))
                return fail(err, errlen,
                            "net device given twice:", r->net[i].dev);
        r->nnet++;
        return 0;
    case VMMD_T_BLOCK:
        if (r->nblk == VMMD_BLOCK_MAX) {
            snprintf(err, errlen, "more than %d block devices", VMMD_BLOCK_MAX);
            return -1;
        }
        if (text(v, n, buf, sizeof(buf), err, errlen) != 0 ||
            vmmd_parse_block(buf, &r->blk[r->nblk], err, errlen) != 0)
            return -1;
        for (unsigned i = 0; i < r->nblk; i++)
            if (!strcmp(r->blk[i].dev, r->blk[r->nblk].dev) ||
                !strcmp(r->blk[i].block, r->blk[r->nblk].block))
                return fail(err, errlen,
                            "block device or block given twice:", buf);
        r->nblk++;
        return 0;
    case VMMD_T_ARG:
        if (text(v, n, buf, sizeof(buf), err, errlen) != 0)
            return -1;
        return vmmd_req_add_arg(r, buf, err, errlen);
    case VMMD_T_RESTART:
        r->restart = true;
        for (size_t i = 0; i < n; i++) {
            if (v[i] == 0) {
                snprintf(err, errlen, "exit status 0 is not a failure");
                return -1;
            }
            r->codes[v[i] / 8] |= (uint8_t)(1u << (v[i] % 8));
        }
        return 0;
    case VMMD_T_STARTUP:
        if (n != 2 || (v[0] << 8 | v[1]) > VMMD_STARTUP_MAX) {
            snprintf(err, errlen, "startup priority: want 0..%d",
                     VMMD_STARTUP_MAX);
            return -1;
        }
        r->startup = (uint16_t)(v[0] << 8 | v[1]);
        return 0;
    case VMMD_T_CREATE_BRIDGE:
    case VMMD_T_FOLLOW:
        if (n != 0) {
            snprintf(err, errlen, "field %u takes no value", tag);
            return -1;
        }
        *(tag == VMMD_T_FOLLOW ? &r->follow : &r->create_bridge) = true;
        return 0;
    case VMMD_T_IMAGE:
        if (text(v, n, r->image, sizeof(r->image), err, errlen) != 0 ||
            n != 64 || strspn(r->image, "0123456789abcdef") != 64) {
            snprintf(err, errlen, "image hash: want 64 hex digits");
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "unknown field %u", tag);
    return -1;
}

int vmmd_req_decode(const uint8_t *p, size_t n, struct vmmd_req *r, char *err,
                    size_t errlen)
{
    uint32_t seen = 0;
    size_t off = 4;

    if (n < 4 || p[0] != 'T' || p[1] != 'V') {
        snprintf(err, errlen, "not a tibra-vmmd request");
        return -1;
    }
    if (p[2] != VMMD_VERSION) {
        snprintf(err, errlen,
                 "request format version %u, this daemon speaks %u "
                 "(tibra and tibra-vmmd from different releases?)",
                 p[2], VMMD_VERSION);
        return -1;
    }
    if (p[3] == 0 || p[3] > VMMD_OP_LAST) {
        snprintf(err, errlen, "unknown request %u", p[3]);
        return -1;
    }
    vmmd_req_init(r, p[3]);
    while (off < n) {
        unsigned tag = p[off];
        size_t len;
        if (n - off < 3) {
            snprintf(err, errlen, "truncated field at byte %zu", off);
            return -1;
        }
        len = (size_t)p[off + 1] << 8 | p[off + 2];
        off += 3;
        if (len > n - off) {
            snprintf(err, errlen, "field %u runs past the end", tag);
            return -1;
        }
        if (tag == 0 || tag > VMMD_T_LAST || !(ops[r->op].allow & BIT(tag))) {
            snprintf(err, errlen, "field %u is not part of request %u", tag,
                     r->op);
            return -1;
        }
        if ((seen & BIT(tag)) && !(REPEATABLE & BIT(tag))) {
            snprintf(err, errlen, "field %u given twice", tag);
            return -1;
        }
        seen |= BIT(tag);
        if (field(r, tag, p + off, len, err, errlen) != 0)
            return -1;
        off += len;
    }
    if ((seen & ops[r->op].need) != ops[r->op].need) {
        snprintf(err, errlen, "request %u lacks a required field", r->op);
        return -1;
    }
    return 0;
}

/* ---- encoder ------------------------------------------------------------ */

struct enc {
    uint8_t *buf;
    size_t cap, len;
    bool over;
};

static void put(struct enc *e, unsigned tag, const void *v, size_t n)
{
    if (e->over || n > 0xffff || e->cap - e->len < 3 + n) {
        e->over = true;
        return;
    }
    e->buf[e->len] = (uint8_t)tag;
    e->buf[e->len + 1] = (uint8_t)(n >> 8);
    e->buf[e->len + 2] = (uint8_t)n;
    if (n > 0)
        memcpy(e->buf + e->len + 3, v, n);
    e->len += 3 + n;
}

static void put_str(struct enc *e, unsigned tag, const char *s)
{
    put(e, tag, s, strlen(s));
}

static void put_u32(struct enc *e, unsigned tag, uint32_t x)
{
    uint8_t b[4];

    vmmd_put32(b, x);
    put(e, tag, b, 4);
}

int vmmd_req_encode(const struct vmmd_req *r, uint8_t *buf, size_t cap)
{
    struct enc e = {buf, cap, 4, cap < 4};
    uint32_t allow = r->op <= VMMD_OP_LAST ? ops[r->op].allow : 0;
    char tmp[256];

    if (e.over)
        return -1;
    buf[0] = 'T';
    buf[1] = 'V';
    buf[2] = VMMD_VERSION;
    buf[3] = r->op;
    if (r->name[0])
        put_str(&e, VMMD_T_NAME, r->name);
    if (r->target[0])
        put_str(&e, VMMD_T_TARGET, r->target);
    if (r->mem_mib)
        put_u32(&e, VMMD_T_MEM, r->mem_mib);
    if (r->cpus[0])
        put_str(&e, VMMD_T_CPUS, r->cpus);
    for (unsigned i = 0; i < r->nnet; i++) {
        const struct vmmd_net *n = &r->net[i];
        if (n->has_mac)
            snprintf(tmp, sizeof(tmp), "%s=%s@%02x:%02x:%02x:%02x:%02x:%02x",
                     n->dev, n->bridge, n->mac[0], n->mac[1], n->mac[2],
                     n->mac[3], n->mac[4], n->mac[5]);
        else
            snprintf(tmp, sizeof(tmp), "%s=%s", n->dev, n->bridge);
        put_str(&e, VMMD_T_NET, tmp);
    }
    for (unsigned i = 0; i < r->nblk; i++) {
        snprintf(tmp, sizeof(tmp), "%s=%s", r->blk[i].dev, r->blk[i].block);
        put_str(&e, VMMD_T_BLOCK, tmp);
    }
    for (const char *w = r->args; *w;) {
        size_t l = strcspn(w, " ");
        put(&e, VMMD_T_ARG, w, l);
        w += l + (w[l] == ' ');
    }
    if (r->restart) {
        uint8_t codes[256];
        size_t nc = 0;
        for (unsigned c = 1; c < 256; c++)
            if (r->codes[c / 8] & (1u << (c % 8)))
                codes[nc++] = (uint8_t)c;
        put(&e, VMMD_T_RESTART, codes, nc);
    }
    if (r->startup != VMMD_STARTUP_DEFAULT && (allow & BIT(VMMD_T_STARTUP)))
        put(&e, VMMD_T_STARTUP,
            (uint8_t[]){(uint8_t)(r->startup >> 8), (uint8_t)r->startup}, 2);
    if (r->create_bridge)
        put(&e, VMMD_T_CREATE_BRIDGE, NULL, 0);
    if (r->since_s)
        put_u32(&e, VMMD_T_SINCE, r->since_s);
    if (r->follow)
        put(&e, VMMD_T_FOLLOW, NULL, 0);
    if (r->size_mib)
        put_u32(&e, VMMD_T_SIZE, r->size_mib);
    if (r->image[0])
        put_str(&e, VMMD_T_IMAGE, r->image);
    return e.over || e.len > INT32_MAX ? -1 : (int)e.len;
}
