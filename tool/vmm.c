/*
 * vmm.c -- the tibra commands that talk to tibra-vmmd (docs/tibra.md,
 * "The unikernel manager"): create, destroy, restart, list, info,
 * console, stats, block.  Each parses its command line with the checks
 * proto.c shares with the daemon, sends one request (a create sends its
 * image as a descriptor beside it) and prints the answer frames: text to
 * stdout, a refusal as "tibra: NAME: reason" on stderr with status 1.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tibra.h"
#include "vmmd/proto.h"

static const char *sock_path(const char *opt)
{
    const char *e = getenv("TIBRA_VMMD_SOCKET");

    return opt ? opt : e && *e ? e : "/run/tibra-vmmd.sock";
}

static int connect_vmmd(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (s < 0 || strlen(path) >= sizeof(a.sun_path))
        errx(TOOL_EXIT_TOOL, "%s: bad socket path", path);
    memcpy(a.sun_path, path, strlen(path));
    if (connect(s, (struct sockaddr *)&a, sizeof(a)) != 0)
        err(TOOL_EXIT_TOOL,
            "cannot reach tibra-vmmd at %s (is it running? are you in its "
            "--group? --socket or TIBRA_VMMD_SOCKET name another)",
            path);
    return s;
}

static void read_full(int s, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(s, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            errx(TOOL_EXIT_TOOL, "tibra-vmmd closed the connection");
        p += r;
        n -= (size_t)r;
    }
}

/* Sends (r) (and image fd (img), -1 none), prints the answer; returns
 * the exit status. */
static int request(const char *path, const struct vmmd_req *r, int img)
{
    static uint8_t buf[4 + VMMD_FRAME_MAX];
    int n = vmmd_req_encode(r, buf + 4, VMMD_FRAME_MAX), s;
    union {
        char b[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } cm;
    struct iovec iov;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

    if (n < 0)
        errx(TOOL_EXIT_USAGE, "request too large");
    vmmd_put32(buf, (uint32_t)n);
    s = connect_vmmd(path);
    iov = (struct iovec){buf, 4 + (size_t)n};
    if (img >= 0) {
        memset(&cm, 0, sizeof(cm));
        m.msg_control = cm.b;
        m.msg_controllen = sizeof(cm.b);
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(h), &img, sizeof(int));
    }
    if (sendmsg(s, &m, MSG_NOSIGNAL) != (ssize_t)(4 + (size_t)n))
        err(TOOL_EXIT_TOOL, "sending to tibra-vmmd");
    for (;;) {
        uint8_t h[4];
        read_full(s, h, 4);
        uint32_t len = vmmd_get32(h);
        if (len < 1 || len > VMMD_FRAME_MAX)
            errx(TOOL_EXIT_TOOL, "tibra-vmmd sent a bad frame");
        read_full(s, buf, len);
        if (buf[0] == VMMD_R_ERR) {
            fprintf(stderr, "tibra: %s%s%.*s\n", r->name,
                    r->name[0] ? ": " : "", (int)(len - 1), buf + 1);
            close(s);
            return TOOL_EXIT_INPUT;
        }
        fwrite(buf + 1, 1, len - 1, stdout);
        fflush(stdout);
        if (buf[0] == VMMD_R_OK)
            break;
    }
    close(s);
    return TOOL_EXIT_OK;
}

static void need_name(struct vmmd_req *r, const char *name, const char *cmd)
{
    char e[256];

    if (name == NULL)
        exit(tool_usage(cmd));
    if (vmmd_check_name(name, e, sizeof(e)) != 0)
        errx(TOOL_EXIT_USAGE, "%s", e);
    snprintf(r->name, sizeof(r->name), "%s", name);
}

static uint32_t num(const char *opt, const char *s, uint32_t max)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || v > max)
        errx(TOOL_EXIT_USAGE, "%s %s: want a number up to %u", opt, s, max);
    return (uint32_t)v;
}

static int create(int argc, char **argv, const char *sockp)
{
    struct vmmd_req r;
    const char *name = NULL, *what = NULL;
    char e[256];

    vmmd_req_init(&r, VMMD_OP_CREATE);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool has = v != NULL;
        if (!strcmp(a, "--mem") && has) {
            r.mem_mib = num(a, v, VMMD_MEM_MAX);
            if (r.mem_mib == 0)
                errx(TOOL_EXIT_USAGE, "--mem 0: want 1..%u", VMMD_MEM_MAX);
        } else if (!strcmp(a, "--target") && has) {
            if (strcmp(v, "spt") && strcmp(v, "hvt"))
                errx(TOOL_EXIT_USAGE, "--target %s: spt or hvt", v);
            snprintf(r.target, sizeof(r.target), "%s", v);
        } else if (!strcmp(a, "--cpus") && has) {
            uint64_t set[VMMD_CPUS_MAX / 64];
            if (vmmd_parse_cpus(v, set, e, sizeof(e)) != 0)
                errx(TOOL_EXIT_USAGE, "--cpus: %s", e);
            snprintf(r.cpus, sizeof(r.cpus), "%s", v);
        } else if (!strcmp(a, "--net") && has) {
            if (r.nnet == VMMD_NET_MAX)
                errx(TOOL_EXIT_USAGE, "at most %d --net", VMMD_NET_MAX);
            if (vmmd_parse_net(v, &r.net[r.nnet++], e, sizeof(e)) != 0)
                errx(TOOL_EXIT_USAGE, "--net: %s", e);
        } else if (!strcmp(a, "--block") && has) {
            if (r.nblk == VMMD_BLOCK_MAX)
                errx(TOOL_EXIT_USAGE, "at most %d --block", VMMD_BLOCK_MAX);
            if (vmmd_parse_block(v, &r.blk[r.nblk++], e, sizeof(e)) != 0)
                errx(TOOL_EXIT_USAGE, "--block: %s", e);
        } else if (!strcmp(a, "--arg") && has) {
            if (vmmd_req_add_arg(&r, v, e, sizeof(e)) != 0)
                errx(TOOL_EXIT_USAGE, "--arg: %s", e);
        } else if (!strcmp(a, "--startup") && has) {
            r.startup = (uint16_t)num(a, v, VMMD_STARTUP_MAX);
        } else if (!strcmp(a, "--socket") && has) {
            sockp = v;
        } else if (!strcmp(a, "--create-bridge")) {
            r.create_bridge = true;
            continue;
        } else if (!strncmp(a, "--restart-on-fail", 17) &&
                   (a[17] == 0 || a[17] == '=')) {
            r.restart = true;
            for (const char *p = a[17] ? a + 18 : ""; *p;) {
                char *end;
                unsigned long c = strtoul(p, &end, 10);
                if (end == p || c == 0 || c > 255 || (*end && *end != ','))
                    errx(TOOL_EXIT_USAGE,
                         "%s: want exit statuses 1..255, comma-separated", a);
                r.codes[c / 8] |= (uint8_t)(1u << (c % 8));
                p = *end ? end + 1 : end;
            }
            continue;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            tool_help("create");
            return TOOL_EXIT_OK;
        } else if (a[0] == '-' || (name && what)) {
            return tool_usage("create");
        } else {
            *(name ? &what : &name) = a;
            continue;
        }
        i++;
    }
    if (what == NULL)
        return tool_usage("create");
    need_name(&r, name, "create");

    /* An image starts with the ELF magic; anything else is a service
     * file (which tibra build checks). */
    char magic[4];
    int fd = open(what, O_RDONLY | O_CLOEXEC), rc;
    if (fd < 0)
        err(TOOL_EXIT_INPUT, "%s", what);
    bool elf = read(fd, magic, 4) == 4 && !memcmp(magic, "\177ELF", 4);
    close(fd);
    char *image = elf ? xstrdup(what)
                      : ensure_built(what, r.target[0] ? r.target : NULL, NULL);
    fd = open(image, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        err(TOOL_EXIT_INPUT, "%s", image);
    free(image);
    rc = request(sock_path(sockp), &r, fd);
    close(fd);
    return rc;
}

/* Commands of one NAME (or none) and a few flags. */
static int simple(int argc, char **argv, uint8_t op, const char *cmd, int first,
                  const char *sockp)
{
    struct vmmd_req r;
    const char *name = NULL;
    bool name_optional = op == VMMD_OP_STATS,
         no_name = op == VMMD_OP_LIST || op == VMMD_OP_BLOCK_LIST;

    vmmd_req_init(&r, op);
    for (int i = first; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            tool_help(cmd);
            return TOOL_EXIT_OK;
        } else if (!strcmp(a, "--socket") && v) {
            sockp = v;
            i++;
        } else if (op == VMMD_OP_CONSOLE && !strcmp(a, "--since") && v) {
            r.since_s = num(a, v, UINT32_MAX / 2);
            i++;
        } else if (op == VMMD_OP_CONSOLE &&
                   (!strcmp(a, "--follow") || !strcmp(a, "-f"))) {
            r.follow = true;
        } else if (op == VMMD_OP_BLOCK_CREATE && name && !r.size_mib &&
                   a[0] != '-') {
            r.size_mib = num("size", a, VMMD_MEM_MAX * 16);
            if (r.size_mib == 0)
                errx(TOOL_EXIT_USAGE, "block size 0: want 1 MiB or more");
        } else if (a[0] == '-' || name || no_name) {
            return tool_usage(cmd);
        } else {
            name = a;
        }
    }
    if (!no_name && !(name_optional && name == NULL))
        need_name(&r, name, cmd);
    if (op == VMMD_OP_BLOCK_CREATE && r.size_mib == 0)
        return tool_usage(cmd);
    if (r.follow)
        signal(SIGPIPE, SIG_DFL);
    return request(sock_path(sockp), &r, -1);
}

int cmd_vmm(int argc, char **argv)
{
    const char *c = argv[1];

    if (!strcmp(c, "create"))
        return create(argc, argv, NULL);
    if (!strcmp(c, "destroy"))
        return simple(argc, argv, VMMD_OP_DESTROY, c, 2, NULL);
    if (!strcmp(c, "restart"))
        return simple(argc, argv, VMMD_OP_RESTART, c, 2, NULL);
    if (!strcmp(c, "list"))
        return simple(argc, argv, VMMD_OP_LIST, c, 2, NULL);
    if (!strcmp(c, "info"))
        return simple(argc, argv, VMMD_OP_INFO, c, 2, NULL);
    if (!strcmp(c, "console"))
        return simple(argc, argv, VMMD_OP_CONSOLE, c, 2, NULL);
    if (!strcmp(c, "stats"))
        return simple(argc, argv, VMMD_OP_STATS, c, 2, NULL);
    /* block create|list|destroy */
    if (argc < 3)
        return tool_usage("block");
    if (!strcmp(argv[2], "create"))
        return simple(argc, argv, VMMD_OP_BLOCK_CREATE, "block", 3, NULL);
    if (!strcmp(argv[2], "list"))
        return simple(argc, argv, VMMD_OP_BLOCK_LIST, "block", 3, NULL);
    if (!strcmp(argv[2], "destroy"))
        return simple(argc, argv, VMMD_OP_BLOCK_DESTROY, "block", 3, NULL);
    if (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help")) {
        tool_help("block");
        return TOOL_EXIT_OK;
    }
    return tool_usage("block");
}

/* clang-format off */
const char vmm_text[] =
"NAME\n"
"    tibra create, destroy, restart, list, info, console, stats, block -\n"
"    manage unikernels run by tibra-vmmd\n"
"\n"
"SYNOPSIS\n"
"    tibra create NAME IMAGE|SERVICE-FILE [--target spt|hvt] [--mem MIB]\n"
"          [--cpus LIST] [--net DEV=BRIDGE[@MAC]]... [--create-bridge]\n"
"          [--block DEV=BLOCK]... [--arg WORD]...\n"
"          [--restart-on-fail[=CODE,...]] [--startup PRIORITY]\n"
"    tibra destroy NAME       tibra restart NAME\n"
"    tibra list               tibra info NAME\n"
"    tibra console NAME [--since SECONDS] [--follow]\n"
"    tibra stats [NAME]\n"
"    tibra block create NAME MIB | block list | block destroy NAME\n"
"    (each also takes --socket PATH)\n"
"\n"
"DESCRIPTION\n"
"    Requests to tibra-vmmd on its Unix socket: --socket PATH, else\n"
"    $TIBRA_VMMD_SOCKET, else /run/tibra-vmmd.sock.  create builds a\n"
"    service file first when needed (as tibra run does), passes the image\n"
"    to the daemon, which checks it (ELF, manifest, ABI, devices, memory)\n"
"    and its policies, makes a TAP per --net on BRIDGE with a MAC derived\n"
"    from NAME and DEV, and runs it under tibra-spt or tibra-hvt as an\n"
"    unprivileged user; it comes back when the daemon restarts, in\n"
"    --startup order (0..1000, default 500, lowest first).\n"
"    --restart-on-fail restarts after a non-zero exit or a signal (only\n"
"    the listed exit statuses with =CODES), backing off 1 s, 2 s, ... 60 s.\n"
"    --arg WORD is appended to the guest's command line.  console prints\n"
"    the unikernel's output kept by the daemon (64 KiB), --follow keeps\n"
"    printing.  stats prints Prometheus text: CPU, memory, TAP and block\n"
"    counters of each tender.  block create makes a MIB-sized block file\n"
"    for --block.  docs/tibra.md has every detail.\n"
"\n"
"EXIT STATUS\n"
"    0 done; 1 the daemon refused (its reason is printed); 2 wrong usage;\n"
"    3 the daemon could not be reached.\n";
/* clang-format on */
