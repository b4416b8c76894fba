/*
 * run.c -- tibra run FILE|IMAGE: build if needed, then run.
 *
 *   service file --(image missing, or a recorded input changed)--> build
 *   image --unix--> exec the image itself
 *         --spt/hvt--> TAP device (created, or --tap NAME) + exec of
 *                      tibra-spt / tibra-hvt --mem --net:service0=TAP
 *                      (+ --block:DEV=FILE when the image keeps state:
 *                      its --state-device=DEV; FILE created if missing)
 *
 * Everything run needs to know about an image comes from the image: its
 * target from the ELF file (image_target), its memory and addresses from
 * the default boot arguments in its bundle.  A created TAP device is left
 * in place for the next run (ip link del NAME removes it).  Every step is
 * said on stderr before it is taken; a missing privilege or program is
 * named with the command that would provide it.
 */
#include <err.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tibra/bundle.h>
#include <tibra/hosted.h>
#include <tibra/svc.h>

#include "tibra.h"

#define CAP_NET_ADMIN_BIT 12 /* linux/capability.h */
/* A state file's size when the service file gives no `state SIZE` (an
 * image run as it is): room for a few large zones and their journals. */
#define RUN_STATE_DEFAULT (64ull << 20)

/* The value of --KEY= in the bundle's default arguments, or NULL. */
static char *arg_value(const struct tb_bundle *b, const char *key)
{
    size_t kl = strlen(key);
    const char *p = b->args, *end = b->args + b->args_len;

    while (p < end) {
        const char *sp = memchr(p, ' ', (size_t)(end - p));
        const char *we = sp ? sp : end;
        if ((size_t)(we - p) > kl + 3 && !strncmp(p, "--", 2) &&
            !strncmp(p + 2, key, kl) && p[2 + kl] == '=') {
            size_t n = (size_t)(we - p) - kl - 3;
            char *v = xmalloc(n + 1);
            memcpy(v, p + kl + 3, n);
            v[n] = '\0';
            return v;
        }
        p = we + 1;
    }
    return NULL;
}

static bool have_net_admin(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long eff = 0;

    if (f == NULL)
        return geteuid() == 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "CapEff: %llx", &eff) == 1)
            break;
    fclose(f);
    return (eff >> CAP_NET_ADMIN_BIT) & 1;
}

/* Runs "ip ARGS..." (said first); exits with a message if it fails. */
static void ip(const char *ipbin, const char *const *args)
{
    const char *argv[16] = {ipbin};
    unsigned n = 1;

    fprintf(stderr, "tibra: ip");
    for (; args[n - 1] != NULL && n < 15; n++) {
        argv[n] = args[n - 1];
        fprintf(stderr, " %s", argv[n]);
    }
    fprintf(stderr, "\n");
    argv[n] = NULL;
    if (run_clean("/", "0", argv, NULL) != 0)
        errx(TOOL_EXIT_TOOL, "'ip %s ...' failed (above)", args[0]);
}

/* Creates TAP (name) with the host side of the guest's subnet. */
static void make_tap(const char *name, const struct tb_bundle *b)
{
    char *ipbin = which_clean("ip");
    char *gw4 = arg_value(b, "ipv4-gateway"), *a4 = arg_value(b, "ipv4");
    char *gw6 = arg_value(b, "ipv6-gateway"), *a6 = arg_value(b, "ipv6");
    char *p4 = a4 ? strchr(a4, '/') : NULL, *p6 = a6 ? strchr(a6, '/') : NULL;

    if (ipbin == NULL)
        errx(TOOL_EXIT_TOOL,
             "creating TAP device %s needs the ip command "
             "(Debian package iproute2: apt-get install "
             "iproute2)",
             name);
    if (!have_net_admin())
        errx(TOOL_EXIT_TOOL,
             "creating TAP device %s needs CAP_NET_ADMIN, which this "
             "process lacks: run tibra as root (sudo tibra run ...), or "
             "let root create it once for you:\n"
             "    ip tuntap add dev %s mode tap user %s\n"
             "    ip addr add %s%s dev %s\n"
             "    ip link set %s up\n"
             "and run: tibra run ... --tap %s",
             name, name, getenv("USER") ? getenv("USER") : "$USER",
             gw4 ? gw4 : "GATEWAY", p4 ? p4 : "/24", name, name, name);
    ip(ipbin, (const char *const[]){"tuntap", "add", "dev", name, "mode", "tap",
                                    NULL});
    if (gw4 != NULL) {
        char *h = xasprintf("%s%s", gw4, p4 ? p4 : "/32");
        ip(ipbin, (const char *const[]){"addr", "add", h, "dev", name, NULL});
        free(h);
    }
    if (gw6 != NULL) {
        char *h = xasprintf("%s%s", gw6, p6 ? p6 : "/128");
        ip(ipbin, (const char *const[]){"-6", "addr", "add", h, "dev", name,
                                        "nodad", NULL});
        free(h);
    }
    ip(ipbin, (const char *const[]){"link", "set", name, "up", NULL});
    if (gw4 == NULL && gw6 == NULL)
        fprintf(stderr,
                "tibra: the service has no gateway: %s has no "
                "address on the host side\n",
                name);
    free(ipbin);
    free(gw4);
    free(a4);
    free(gw6);
    free(a6);
}

/* The state file (path) of a guest with --state-device: created (zeros,
 * sparse) of (size) bytes when missing, and said either way. */
static void make_state(const char *path, uint64_t size)
{
    if (access(path, F_OK) == 0) {
        fprintf(stderr,
                "tibra: using state file %s (kept zones and "
                "journals)\n",
                path);
        return;
    }
    FILE *f = fopen(path, "wx");
    if (f == NULL || ftruncate(fileno(f), (off_t)size) != 0 || fclose(f) != 0)
        err(TOOL_EXIT_TOOL, "cannot create state file %s", path);
    fprintf(stderr, "tibra: created state file %s (%llu MiB, empty)\n", path,
            (unsigned long long)(size >> 20));
}

/* In this network namespace (not /sys, which may show another one). */
static bool tap_exists(const char *name)
{
    return if_nametoindex(name) != 0;
}

/* Runs a guest image under its tender; never returns. */
static void run_guest(const char *image, const char *target, const char *tap,
                      const char *state, uint64_t state_size, char **extra,
                      int nextra)
{
    char *p;
    size_t len;
    struct tb_bundle b;
    size_t off;
    int rc = read_file(image, &p, &len);

    if (rc != 0)
        errx(TOOL_EXIT_TOOL, "%s: cannot read: %s", image, strerror(-rc));
    if (tb_bundle_find(&b, p, len, &off) != 0)
        errx(TOOL_EXIT_INPUT,
             "%s: no bundle: not an image made by tibra "
             "build",
             image);
    char *tender_name = xasprintf("tibra-%s", target);
    char *rel = xasprintf("tender/%s", target);
    char *tender = find_program(tender_name, rel);
    if (tender == NULL)
        errx(TOOL_EXIT_TOOL,
             "%s not found beside tibra or on PATH (make "
             "install PREFIX=DIR installs it)",
             tender_name);
    if (!strcmp(target, "hvt") && access("/dev/kvm", R_OK | W_OK) != 0)
        errx(TOOL_EXIT_TOOL,
             "target hvt needs /dev/kvm (%s): KVM is not available to "
             "this user here (load kvm_intel or kvm_amd, or join group "
             "kvm); target spt runs without it",
             strerror(errno));

    char *name = arg_value(&b, "name"), *mem = arg_value(&b, "memory");
    char *sdev = arg_value(&b, "state-device"), *sfile = NULL;
    if (sdev != NULL) {
        sfile = state ? xstrdup(state) : xasprintf("%s.state", image);
        make_state(sfile, state_size ? state_size : RUN_STATE_DEFAULT);
    } else if (state != NULL) {
        errx(TOOL_EXIT_USAGE,
             "--state %s: %s keeps no state (no secondary or "
             "allow-update zone)",
             state, image);
    }
    char *tapname = NULL;
    if (tap != NULL) {
        if (!tap_exists(tap))
            errx(TOOL_EXIT_TOOL, "--tap %s: no such network device", tap);
        tapname = xstrdup(tap);
        fprintf(stderr, "tibra: using TAP device %s as it is\n", tapname);
    } else {
        tapname = xasprintf("tb-%.12s", name ? name : "tibra");
        if (tap_exists(tapname))
            fprintf(stderr,
                    "tibra: using TAP device %s (created before; "
                    "ip link del %s removes it)\n",
                    tapname, tapname);
        else
            make_tap(tapname, &b);
    }
    unsigned long long mib =
        mem ? (strtoull(mem, NULL, 10) + (1u << 20) - 1) >> 20 : 0;
    const char **argv = xmalloc(((size_t)nextra + 9) * sizeof(*argv));
    int n = 0;
    argv[n++] = tender;
    if (mib != 0)
        argv[n++] = xasprintf("--mem=%llu", mib);
    argv[n++] = xasprintf("--net:service0=%s", tapname);
    if (sdev != NULL)
        argv[n++] = xasprintf("--block:%s=%s", sdev, sfile);
    argv[n++] = image;
    for (int i = 0; i < nextra; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    fprintf(stderr, "tibra: running");
    for (int i = 0; i < n; i++) {
        /* Secrets given to the image are not shown (nor logged). */
        const char *w = argv[i], *c = strrchr(w, ':');
        if (!strncmp(w, "--tsig-key=", 11) && c != NULL)
            fprintf(stderr, " %.*s:(secret)", (int)(c - w), w);
        else if (!strncmp(w, "--cookie-secret=", 16))
            fprintf(stderr, " --cookie-secret=(secret)");
        else
            fprintf(stderr, " %s", w);
    }
    fprintf(stderr, "\n");
    fflush(NULL);
    /* execv() does not write argv: the cast only drops const. */
    execv(tender, (char *const *)(uintptr_t)argv);
    err(TOOL_EXIT_TOOL, "cannot run %s", tender);
}

/* The image of service file (file), built when missing or out of date. */
char *ensure_built(const char *file, const char *target_override,
                   uint64_t *state_size)
{
    struct svc_conf c;
    struct dns_diag d = {NULL, NULL, 0, 0};
    char *image = NULL, *svcdir, *rp, *lib = lib_dir();
    struct record r;
    bool fresh = false;

    svc_conf_init(&c, &tb_heap);
    if (svc_load_file(&c, file, &d) == 0) {
        if (state_size != NULL)
            *state_size = c.state_size;
        /* The default image name, as build.c gives it. */
        const char *target =
            target_override ? target_override : svc_target_name(c.target);
        char *name = c.name ? xstrdup(c.name) : xstrdup(base_of(file));
        char *dot = c.name ? NULL : strrchr(name, '.');
        if (dot != NULL && dot != name)
            *dot = '\0';
        svcdir = dir_of(file);
        image = strchr(file, '/') == NULL
                    ? xasprintf("dist/%s.%s", name, target)
                    : xasprintf("%s/dist/%s.%s", svcdir, name, target);
        rp = xasprintf("%s.record", image);
        if (access(image, F_OK) == 0 && record_load(&r, rp) == 0) {
            char *sd = record_service_dir(&r, image);
            fresh = record_check_inputs(&r, image, sd, lib, true) == 0;
            free(sd);
            record_free(&r);
        }
        free(rp);
        free(svcdir);
        free(name);
    }
    svc_conf_free(&c);
    free(lib);
    if (fresh) {
        fprintf(stderr, "tibra: %s is up to date\n", image);
        return image;
    }
    /* Build (again): build() reports every problem with the file. */
    struct build_req req = {.svc = file, .target = target_override};
    struct build_res res;
    int rc = build(&req, &res);
    if (rc != 0)
        exit(rc);
    free(image);
    image = xstrdup(res.image);
    build_res_free(&res);
    return image;
}

int cmd_run(int argc, char **argv)
{
    const char *what = NULL, *tap = NULL, *target = NULL, *state = NULL;
    uint64_t state_size = 0;
    int i;

    for (i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            tool_help("run");
            return TOOL_EXIT_OK;
        } else if (!strcmp(argv[i], "--tap") && i + 1 < argc) {
            tap = argv[++i];
        } else if (!strcmp(argv[i], "--target") && i + 1 < argc) {
            target = argv[++i];
        } else if (!strcmp(argv[i], "--state") && i + 1 < argc) {
            state = argv[++i];
        } else if (!strcmp(argv[i], "--")) {
            i++;
            break;
        } else if (argv[i][0] == '-' || what != NULL) {
            return tool_usage("run");
        } else {
            what = argv[i];
        }
    }
    if (what == NULL)
        return tool_usage("run");

    char *p, *image;
    size_t len;
    int rc = read_file(what, &p, &len);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot read: %s\n", what, strerror(-rc));
        return TOOL_EXIT_INPUT;
    }
    bool is_elf = len >= 64 && !memcmp(p, "\177ELF", 4);
    free(p);
    image = is_elf ? xstrdup(what) : ensure_built(what, target, &state_size);

    rc = read_file(image, &p, &len);
    if (rc != 0 || len < 64 || memcmp(p, "\177ELF", 4) != 0 || p[4] != 2)
        errx(TOOL_EXIT_INPUT, "%s: not a Tibra image", image);
    const char *t = image_target((const uint8_t *)p, len);
    if (t == NULL)
        errx(TOOL_EXIT_INPUT, "%s: not a Tibra image", image);
    t = xstrdup(t);
    free(p);
    sign_warn_expiry(image);
    if (!strcmp(t, "unix")) {
        const char **av = xmalloc(((size_t)(argc - i) + 2) * sizeof(*av));
        int n = 0;
        av[n++] = image;
        for (; i < argc; i++)
            av[n++] = argv[i];
        av[n] = NULL;
        fflush(NULL);
        execv(image, (char *const *)(uintptr_t)av);
        err(TOOL_EXIT_TOOL, "cannot run %s", image);
    }
    run_guest(image, t, tap, state, state_size, argv + i, argc - i);
    return TOOL_EXIT_TOOL;
}
