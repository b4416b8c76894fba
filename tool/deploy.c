/*
 * deploy.c -- tibra deploy systemd FILE: hardened systemd units for a
 * service, as a careful packager writes them.
 *
 *   service file --svc_load_file--> conf --target unix--> tibra-NAME.service
 *                                  (tibra-dnsd, DynamicUser, one capability)
 *                               --spt/hvt--> tibra-NAME-tap.service (root:
 *                                  TAP tb-NAME owned by the unit's user)
 *                                  + tibra-NAME.service (the tender, no
 *                                  root) + tibra-NAME.sysusers (the user)
 *
 * Nothing is started or installed: the files are written to a directory
 * and the commands that install them are printed.  Every path a unit names
 * is absolute and made only of characters that need no quoting in a unit
 * file (no spaces, '%', '$', quotes or backslashes); anything else is
 * refused rather than escaped.  docs/deploy.md explains each setting.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tibra/hosted.h>
#include <tibra/svc.h>

#include "tibra.h"

/* clang-format off */
const char deploy_text[] =
"NAME\n"
"    tibra deploy - write hardened systemd units for a DNS service\n"
"\n"
"SYNOPSIS\n"
"    tibra deploy systemd SERVICE-FILE [-o DIR] [--prefix PREFIX]\n"
"                 [--image IMAGE] [--conf PATH] [--user USER] [--target T]\n"
"                 [--manager BRIDGE [--group GROUP]] [--ip PATH]\n"
"\n"
"DESCRIPTION\n"
"    Reads and checks the service file and writes, into DIR, the systemd\n"
"    units that run it, as a careful packager writes them; then prints\n"
"    what it wrote and the commands that install and start the units.\n"
"    Nothing is installed or started.\n"
"\n"
"    Target unix: tibra-NAME.service runs PREFIX/bin/tibra-dnsd PATH\n"
"    (PATH: /etc/tibra/NAME.conf, or --conf) as a dynamic user\n"
"    (DynamicUser=yes) whose only capability is CAP_NET_BIND_SERVICE, in\n"
"    a read-only system (ProtectSystem=strict) with no home directories,\n"
"    a private /tmp and /dev, sockets of AF_INET, AF_INET6 and AF_UNIX\n"
"    only, and the system calls of @system-service without @privileged\n"
"    and @resources.  'systemctl reload' sends SIGHUP: the zones are\n"
"    reloaded.  Restart=on-failure.  With the default PATH the unit has\n"
"    ConfigurationDirectory=tibra and the printed commands copy the\n"
"    service file to /etc/tibra/NAME.conf and each zone file to the same\n"
"    path relative to it (copy $INCLUDE files the same way).  A pidfile\n"
"    in the service file becomes PIDFile= (and RuntimeDirectory= when it\n"
"    is /run/DIR/FILE, the only place the dynamic user can write).\n"
"\n"
"    Targets spt and hvt, standalone (no manager):\n"
"      tibra-NAME-tap.service  oneshot, as root: creates TAP device\n"
"                              tb-NAME owned by USER, gives it the\n"
"                              service's gateway addresses, brings it up;\n"
"                              stopping it deletes the device.\n"
"      tibra-NAME.service      requires the TAP unit; runs\n"
"                              PREFIX/bin/tibra-spt or tibra-hvt\n"
"                              --mem=MiB (the service's memory)\n"
"                              --net:service0=tb-NAME IMAGE as USER, with\n"
"                              no capabilities, /dev/net/tun (and for hvt\n"
"                              /dev/kvm, group kvm) its only devices, and\n"
"                              the sandbox above.\n"
"      tibra-NAME.sysusers     the user, for /etc/sysusers.d/.\n"
"    USER is tibra-NAME unless --user says otherwise: a static user,\n"
"    because the TAP device is made for it before the tender starts.\n"
"    A service that keeps state (secondary or allow-update zones, its\n"
"    state SIZE) gets StateDirectory=tibra-NAME, ExecStartPre=truncate\n"
"    -s >SIZE /var/lib/tibra-NAME/state (creates, never shrinks) and\n"
"    --block:state=/var/lib/tibra-NAME/state.\n"
"\n"
"    Targets spt and hvt through the manager (--manager BRIDGE):\n"
"      tibra-NAME.service      oneshot, requires tibra-vmmd.service\n"
"                              (deploy/vmmd/): ExecStartPre= 'tibra\n"
"                              destroy NAME' (ignoring failure), then\n"
"                              'tibra create NAME IMAGE --target T\n"
"                              [--mem MiB] --net service0=BRIDGE\n"
"                              --restart-on-fail'; ExecStop= destroys it.\n"
"                              It runs as a dynamic user in group tibra\n"
"                              (the daemon's socket group), with no\n"
"                              capabilities and only AF_UNIX sockets;\n"
"                              the daemon makes the TAP on BRIDGE and\n"
"                              runs and restarts the tender.\n"
"                              A service that keeps state also gets\n"
"                              ExecStartPre=-'tibra block create\n"
"                              NAME-state MiB' and --block\n"
"                              state=NAME-state.\n"
"\n"
"OPTIONS\n"
"    -o DIR           write the files there (default: the current\n"
"                     directory; created if missing)\n"
"    --prefix PREFIX  where tibra is installed (make install\n"
"                     PREFIX=...): the units run PREFIX/bin/tibra-dnsd,\n"
"                     tibra-spt or tibra-hvt (default /usr/local)\n"
"    --image IMAGE    the image tibra-spt or tibra-hvt runs (default:\n"
"                     dist/NAME.TARGET beside the service file, where\n"
"                     tibra build writes it)\n"
"    --conf PATH      the service file tibra-dnsd reads (default\n"
"                     /etc/tibra/NAME.conf); e.g. --conf SERVICE-FILE to\n"
"                     serve it where it is\n"
"    --user USER      the user the tender runs as (spt, hvt)\n"
"    --target T       unix, spt or hvt instead of the service file's\n"
"    --manager BRIDGE spt, hvt: a unit that runs the image through\n"
"                     tibra-vmmd on BRIDGE instead of standalone units\n"
"    --group GROUP    with --manager: the daemon's socket group\n"
"                     (default tibra, as deploy/vmmd/ sets it up)\n"
"    --ip PATH        the ip(8) the TAP unit runs (default: the first of\n"
"                     /usr/sbin/ip, /usr/bin/ip, /sbin/ip, /bin/ip; the\n"
"                     NixOS module passes iproute2's)\n"
"\n"
"    Paths are made absolute.  A path with characters a unit file\n"
"    would have to quote (spaces, %, $, quotes) is refused, and a\n"
"    warning names a file the unit cannot see (below /home, /root or\n"
"    /tmp) or that does not exist yet.  NAME (the service's name, else\n"
"    the file's name without its extension) must be at most 24 of\n"
"    a-z 0-9 - _.\n"
"\n"
"EXIT STATUS\n"
"    0 written; 1 the service file or a zone has errors (nothing\n"
"    written); 2 wrong usage or a path that cannot go in a unit; 3 a\n"
"    file could not be written.\n"
"\n"
"EXAMPLE\n"
"    tibra deploy systemd examples/ns1.conf -o units --prefix /usr/local\n"
"    tibra build examples/ns1-spt.conf\n"
"    tibra deploy systemd examples/ns1-spt.conf -o units\n"
"    systemd-analyze verify units/*.service\n"
"\n"
"SEE ALSO\n"
"    docs/deploy.md, systemd.exec(5), systemd.service(5),\n"
"    sysusers.d(5), tibra-dnsd --help\n";
/* clang-format on */

#define TAP_NAME_MAX 12 /* "tb-" + 12 < IFNAMSIZ, as tibra run names it */

struct deploy {
    const char *svc; /* the service file */
    char *outdir, *prefix, *image, *conf, *user; /* absolute */
    const char *target; /* unix, spt, hvt */
    const char *bridge; /* --manager BRIDGE: through tibra-vmmd */
    const char *group; /* the daemon's socket group (--manager) */
    const char *ip; /* --ip: the ip(8) the TAP unit runs, else found */
    char *name;
    bool default_conf; /* conf is /etc/tibra/NAME.conf */
    struct svc_conf c;
};

/* True if (s) needs no quoting or escaping in a unit file. */
static bool unit_safe(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (!(('a' <= *s && *s <= 'z') || ('A' <= *s && *s <= 'Z') ||
              ('0' <= *s && *s <= '9') || strchr("/._+,:@=-", *s) != NULL))
            return false;
    return true;
}

static void need_safe(const char *what, const char *s)
{
    if (!unit_safe(s))
        errx(TOOL_EXIT_USAGE,
             "%s '%s' has characters a unit file would need "
             "to quote (space, %%, $, quotes, ...): use a path of "
             "letters, digits and /._+,:@=-",
             what, s);
}

/* (p) made absolute (realpath when it exists), malloc'd. */
static char *abs_path(const char *p)
{
    char buf[PATH_MAX];

    if (realpath(p, buf) != NULL)
        return xstrdup(buf);
    if (p[0] == '/')
        return xstrdup(p);
    if (getcwd(buf, sizeof(buf)) == NULL)
        err(TOOL_EXIT_TOOL, "getcwd");
    return xasprintf("%s/%s", buf, p);
}

/* Directories a unit with ProtectHome=yes or PrivateTmp=yes cannot read. */
static void warn_hidden(const char *what, const char *p)
{
    static const char *const hidden[] = {"/home/", "/root/", "/run/user/",
                                         "/tmp/", "/var/tmp/"};
    for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
        if (!strncmp(p, hidden[i], strlen(hidden[i])))
            fprintf(stderr,
                    "tibra: warning: %s %s is below %s, which the unit "
                    "cannot see (ProtectHome=, PrivateTmp=): install it "
                    "elsewhere\n",
                    what, p, hidden[i]);
}

static void warn_missing(const char *what, const char *p, const char *hint)
{
    if (access(p, F_OK) != 0)
        fprintf(stderr,
                "tibra: warning: %s %s does not exist yet (%s); "
                "systemd-analyze verify fails until it does\n",
                what, p, hint);
}

/* The sandbox shared by every long-running unit. */
static void hardening(struct sbuf *b, bool guest)
{
    sb_puts(b, "NoNewPrivileges=yes\n"
               "ProtectSystem=strict\n"
               "ProtectHome=yes\n"
               "PrivateTmp=yes\n");
    if (guest)
        sb_puts(b, "DevicePolicy=closed\n"
                   "DeviceAllow=/dev/net/tun rw\n");
    else
        sb_puts(b, "PrivateDevices=yes\n");
    sb_puts(b, "ProtectKernelTunables=yes\n"
               "ProtectKernelModules=yes\n"
               "ProtectKernelLogs=yes\n"
               "ProtectControlGroups=yes\n"
               "ProtectClock=yes\n"
               "ProtectHostname=yes\n"
               "ProtectProc=invisible\n"
               "RestrictNamespaces=yes\n"
               "LockPersonality=yes\n"
               "RestrictRealtime=yes\n"
               "RestrictSUIDSGID=yes\n"
               "RemoveIPC=yes\n"
               "UMask=0077\n"
               "SystemCallArchitectures=native\n"
               "SystemCallFilter=@system-service\n"
               "SystemCallFilter=~@privileged @resources\n");
}

static void write_unit(const struct deploy *d, const char *file,
                       const struct sbuf *b)
{
    char *path = xasprintf("%s/%s", d->outdir, file);
    int rc = write_file(path, b->s, b->len, 0644);

    if (rc != 0)
        errx(TOOL_EXIT_TOOL, "%s: cannot write: %s", path, strerror(-rc));
    printf("wrote %s\n", path);
    free(path);
}

static void unit_unix(const struct deploy *d)
{
    struct sbuf b = {0};
    char *dnsd = xasprintf("%s/bin/tibra-dnsd", d->prefix);

    need_safe("PREFIX/bin/tibra-dnsd", dnsd);
    warn_missing("program", dnsd, "make install PREFIX=...");
    if (!d->default_conf)
        warn_hidden("service file", d->conf);
    sb_printf(&b,
              "# tibra-%s.service -- written by tibra deploy systemd from "
              "%s\n"
              "[Unit]\n"
              "Description=Tibra DNS server %s (tibra-dnsd)\n"
              "Wants=network-online.target\n"
              "After=network-online.target\n"
              "\n"
              "[Service]\n"
              "Type=exec\n"
              "ExecStart=%s %s\n"
              "ExecReload=/bin/kill -HUP $MAINPID\n"
              "Restart=on-failure\n",
              d->name, base_of(d->svc), d->name, dnsd, d->conf);
    if (d->c.pidfile != NULL) {
        need_safe("pidfile", d->c.pidfile);
        sb_printf(&b, "PIDFile=%s\n", d->c.pidfile);
        /* A directory of its own below /run, owned by the dynamic user. */
        if (!strncmp(d->c.pidfile, "/run/", 5) &&
            strchr(d->c.pidfile + 5, '/') != NULL) {
            const char *s = d->c.pidfile + 5;
            sb_printf(&b, "RuntimeDirectory=%.*s\n", (int)(strchr(s, '/') - s),
                      s);
        } else {
            char *dir = dir_of(d->c.pidfile);
            sb_printf(&b, "ReadWritePaths=%s\n", dir);
            fprintf(stderr,
                    "tibra: warning: pidfile %s: the dynamic user can "
                    "write only below /run/DIR/ (RuntimeDirectory=); "
                    "put it there (e.g. /run/tibra-%s/%s.pid)\n",
                    d->c.pidfile, d->name, d->name);
            free(dir);
        }
    }
    if (d->default_conf)
        sb_puts(&b, "ConfigurationDirectory=tibra\n");
    sb_puts(&b, "DynamicUser=yes\n"
                "AmbientCapabilities=CAP_NET_BIND_SERVICE\n"
                "CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n"
                "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX\n"
                "MemoryDenyWriteExecute=yes\n");
    hardening(&b, false);
    sb_puts(&b, "\n[Install]\nWantedBy=multi-user.target\n");
    char *unit = xasprintf("tibra-%s.service", d->name);
    write_unit(d, unit, &b);
    free(unit);
    free(dnsd);
    sb_free(&b);
}

/* The host side of the guest's subnet: "10.0.0.1/24" (gateway, the
 * prefix length of the guest's address). */
static char *host_side(const struct svc_addr *gw, const struct svc_addr *a)
{
    char t[SVC_ADDR_TEXT_MAX];

    if (gw->family == 0)
        return NULL;
    svc_addr_to_text(gw, false, t, sizeof(t));
    return xasprintf("%s/%u", t,
                     a->family != 0 ? a->plen : (gw->family == 4 ? 32 : 128));
}

static char *find_ip(void)
{
    static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin",
                                       "/bin"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char *p = xasprintf("%s/ip", dirs[i]);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    fprintf(stderr, "tibra: warning: ip not found (Debian package "
                    "iproute2); the TAP unit names /usr/sbin/ip\n");
    return xstrdup("/usr/sbin/ip");
}

static void unit_tap(const struct deploy *d, const char *tap)
{
    struct sbuf b = {0};
    char *ip = d->ip != NULL ? xstrdup(d->ip) : find_ip();
    char *h4 = host_side(&d->c.gateway4, &d->c.address4);
    char *h6 = host_side(&d->c.gateway6, &d->c.address6);

    sb_printf(&b,
              "# tibra-%s-tap.service -- written by tibra deploy systemd "
              "from %s\n"
              "[Unit]\n"
              "Description=TAP device %s of Tibra unikernel %s\n"
              "Wants=systemd-sysusers.service\n"
              "After=systemd-sysusers.service\n"
              "Before=network.target tibra-%s.service\n"
              "\n"
              "[Service]\n"
              "Type=oneshot\n"
              "RemainAfterExit=yes\n"
              "ExecStartPre=-%s link del %s\n"
              "ExecStart=%s tuntap add dev %s mode tap user %s\n",
              d->name, base_of(d->svc), tap, d->name, d->name, ip, tap, ip, tap,
              d->user);
    if (h4 != NULL)
        sb_printf(&b, "ExecStart=%s addr add %s dev %s\n", ip, h4, tap);
    if (h6 != NULL)
        sb_printf(&b, "ExecStart=%s -6 addr add %s dev %s nodad\n", ip, h6,
                  tap);
    if (h4 == NULL && h6 == NULL)
        fprintf(stderr,
                "tibra: warning: the service has no gateway: %s gets "
                "no address on the host side\n",
                tap);
    sb_printf(&b,
              "ExecStart=%s link set %s up\n"
              "ExecStop=%s link del %s\n"
              "CapabilityBoundingSet=CAP_NET_ADMIN\n"
              "RestrictAddressFamilies=AF_NETLINK AF_UNIX AF_INET AF_INET6\n"
              "ProtectSystem=strict\n"
              "ProtectHome=yes\n"
              "PrivateTmp=yes\n"
              "NoNewPrivileges=yes\n"
              "SystemCallArchitectures=native\n"
              "\n[Install]\nWantedBy=multi-user.target\n",
              ip, tap, ip, tap);
    char *unit = xasprintf("tibra-%s-tap.service", d->name);
    write_unit(d, unit, &b);
    free(unit);
    free(h4);
    free(h6);
    free(ip);
    sb_free(&b);
}

/* Whether the service's image keeps state (secondary or allow-update
 * zones): on its block device "state" (tibra build's --state-device). */
static bool keeps_state(const struct svc_conf *c)
{
    for (size_t i = 0; i < c->nzones; i++)
        if (c->zones[i].nprimary != 0 || c->zones[i].nallow_update != 0)
            return true;
    return false;
}

static void unit_guest(const struct deploy *d, const char *tap)
{
    struct sbuf b = {0};
    bool hvt = !strcmp(d->target, "hvt");
    char *tender = xasprintf("%s/bin/tibra-%s", d->prefix, d->target);
    char mem[32] = "";

    need_safe("the tender", tender);
    need_safe("the image", d->image);
    warn_missing("tender", tender, "make install PREFIX=...");
    warn_missing("image", d->image, "tibra build writes it");
    warn_hidden("image", d->image);
    if (d->c.memory != 0)
        snprintf(mem, sizeof(mem), " --mem=%llu",
                 (unsigned long long)((d->c.memory + (1u << 20) - 1) >> 20));
    /* The state file in the unit's StateDirectory, made (sparse) at the
     * service's state SIZE when missing and never shrunk (truncate -s
     * >SIZE), and attached as block device "state". */
    char *blk = xstrdup(""), *pre = xstrdup("");
    if (keeps_state(&d->c)) {
        free(blk);
        free(pre);
        blk = xasprintf(" --block:state=/var/lib/tibra-%s/state", d->name);
        pre = xasprintf("StateDirectory=tibra-%s\n"
                        "ExecStartPre=/usr/bin/truncate -s >%llu "
                        "/var/lib/tibra-%s/state\n",
                        d->name, (unsigned long long)d->c.state_size, d->name);
    }
    sb_printf(&b,
              "# tibra-%s.service -- written by tibra deploy systemd from "
              "%s\n"
              "[Unit]\n"
              "Description=Tibra DNS unikernel %s (%s)\n"
              "Requires=tibra-%s-tap.service\n"
              "After=tibra-%s-tap.service network.target\n"
              "\n"
              "[Service]\n"
              "Type=exec\n"
              "%s"
              "ExecStart=%s%s --net:service0=%s%s %s\n"
              "Restart=on-failure\n"
              "User=%s\n",
              d->name, base_of(d->svc), d->name, d->target, d->name, d->name,
              pre, tender, mem, tap, blk, d->image, d->user);
    free(blk);
    free(pre);
    if (hvt)
        sb_puts(&b, "SupplementaryGroups=kvm\n");
    sb_puts(&b, "CapabilityBoundingSet=\n"
                "RestrictAddressFamilies=AF_UNIX\n");
    /* tibra-spt maps the guest's code executable after loading it. */
    if (hvt)
        sb_puts(&b, "MemoryDenyWriteExecute=yes\n");
    hardening(&b, true);
    if (hvt)
        sb_puts(&b, "DeviceAllow=/dev/kvm rw\n");
    /* Both tenders confine themselves with seccomp(2) once set up. */
    sb_puts(&b, "SystemCallFilter=seccomp\n");
    sb_puts(&b, "\n[Install]\nWantedBy=multi-user.target\n");
    char *unit = xasprintf("tibra-%s.service", d->name);
    write_unit(d, unit, &b);
    free(unit);

    /* The unit's user, for systemd-sysusers. */
    sb_free(&b);
    sb_printf(&b,
              "# tibra-%s.sysusers -- written by tibra deploy systemd: the "
              "user tibra-%s.service runs as\n"
              "# install as /etc/sysusers.d/tibra-%s.conf, then run "
              "systemd-sysusers\n"
              "u %s - \"Tibra unikernel %s\" /nonexistent\n",
              d->name, d->name, d->name, d->user, d->name);
    if (hvt)
        sb_printf(&b, "m %s kvm\n", d->user);
    char *su = xasprintf("tibra-%s.sysusers", d->name);
    write_unit(d, su, &b);
    free(su);
    free(tender);
    sb_free(&b);
}

/*
 * Through the manager: the unit asks tibra-vmmd (deploy/vmmd/) to run the
 * image, which makes the TAP on the bridge, runs the tender as its own
 * unprivileged user and restarts it.  A oneshot unit: the unikernel is
 * the daemon's child, not this unit's.  The daemon keeps its record and
 * brings the unikernel back at its own start; this unit, started after
 * it, replaces that record with its image (destroy, then create), so the
 * unit file stays the one source of truth.
 */
static void unit_managed(const struct deploy *d)
{
    struct sbuf b = {0};
    char *tibra = xasprintf("%s/bin/tibra", d->prefix);
    char mem[32] = "";

    need_safe("tibra", tibra);
    need_safe("the image", d->image);
    need_safe("--manager", d->bridge);
    need_safe("--group", d->group);
    warn_missing("tibra", tibra, "make install PREFIX=...");
    warn_missing("image", d->image, "tibra build writes it");
    warn_hidden("image", d->image);
    if (d->c.memory != 0)
        snprintf(mem, sizeof(mem), " --mem %llu",
                 (unsigned long long)((d->c.memory + (1u << 20) - 1) >> 20));
    /* The state: the daemon's block NAME-state (made at the service's
     * state SIZE when missing: a create of an existing block fails, and
     * "-" lets the unit go on), attached as block device "state". */
    char *blk = xstrdup(""), *pre = xstrdup("");
    if (keeps_state(&d->c)) {
        free(blk);
        free(pre);
        blk = xasprintf(" --block state=%s-state", d->name);
        pre = xasprintf(
            "ExecStartPre=-%s block create %s-state %llu\n", tibra, d->name,
            (unsigned long long)((d->c.state_size + (1u << 20) - 1) >> 20));
    }
    sb_printf(&b,
              "# tibra-%s.service -- written by tibra deploy systemd "
              "--manager from %s\n"
              "[Unit]\n"
              "Description=Tibra DNS unikernel %s (%s, through tibra-vmmd)\n"
              "Requires=tibra-vmmd.service\n"
              "After=tibra-vmmd.service network.target\n"
              "\n"
              "[Service]\n"
              "Type=oneshot\n"
              "RemainAfterExit=yes\n"
              "ExecStartPre=-%s destroy %s\n"
              "%s"
              "ExecStart=%s create %s %s --target %s%s --net service0=%s%s "
              "--restart-on-fail\n"
              "ExecStop=%s destroy %s\n"
              "DynamicUser=yes\n"
              "SupplementaryGroups=%s\n"
              "CapabilityBoundingSet=\n"
              "RestrictAddressFamilies=AF_UNIX\n"
              "MemoryDenyWriteExecute=yes\n"
              "IPAddressDeny=any\n",
              d->name, base_of(d->svc), d->name, d->target, tibra, d->name, pre,
              tibra, d->name, d->image, d->target, mem, d->bridge, blk, tibra,
              d->name, d->group);
    free(blk);
    free(pre);
    hardening(&b, false);
    sb_puts(&b, "\n[Install]\nWantedBy=multi-user.target\n");
    char *unit = xasprintf("tibra-%s.service", d->name);
    write_unit(d, unit, &b);
    free(unit);
    free(tibra);
    sb_free(&b);
}

/* The commands that install the units, on stdout. */
static void print_install(const struct deploy *d)
{
    const char *o = d->outdir, *n = d->name;
    bool guest = strcmp(d->target, "unix") != 0;

    printf("\nto install and start (as root):\n");
    if (d->default_conf && !guest) {
        char *dir = dir_of(d->svc), *sdir = abs_path(dir);
        size_t sl = strlen(sdir);
        printf("    install -D -m 0644 %s /etc/tibra/%s.conf\n", d->svc, n);
        for (size_t i = 0; i < d->c.nzones; i++) {
            if (d->c.zones[i].file == NULL)
                continue; /* a secondary without a kept copy */
            char *z = abs_path(d->c.zones[i].file);
            if (!strncmp(z, sdir, sl) && z[sl] == '/')
                printf("    install -D -m 0644 %s /etc/tibra/%s\n", z,
                       z + sl + 1);
            else
                fprintf(stderr,
                        "tibra: note: zone file %s is outside the service "
                        "file's directory: the unit reads it there\n",
                        z);
            free(z);
        }
        free(dir);
        free(sdir);
    }
    if (guest && d->bridge != NULL)
        printf("    # tibra-vmmd.service and its users: deploy/vmmd/ "
               "(docs/deploy.md)\n"
               "    systemctl enable --now tibra-vmmd.service\n");
    else if (guest)
        printf("    install -m 0644 %s/tibra-%s.sysusers "
               "/etc/sysusers.d/tibra-%s.conf\n"
               "    systemd-sysusers /etc/sysusers.d/tibra-%s.conf\n"
               "    install -m 0644 %s/tibra-%s-tap.service "
               "/etc/systemd/system/\n",
               o, n, n, n, o, n);
    printf("    install -m 0644 %s/tibra-%s.service /etc/systemd/system/\n"
           "    systemctl daemon-reload\n"
           "    systemctl enable --now tibra-%s.service\n"
           "    systemctl status tibra-%s.service\n",
           o, n, n, n);
    if (!guest)
        printf("    systemctl reload tibra-%s.service    # after editing a "
               "zone\n",
               n);
}

static bool name_ok(const char *s)
{
    if (*s == '\0' || strlen(s) > 24)
        return false;
    for (; *s != '\0'; s++)
        if (!(('a' <= *s && *s <= 'z') || ('0' <= *s && *s <= '9') ||
              *s == '-' || *s == '_'))
            return false;
    return true;
}

static int deploy_systemd(struct deploy *d)
{
    struct dns_diag diag = {tool_report, NULL, 0, 0};

    svc_conf_init(&d->c, &tb_heap);
    if (svc_load_file(&d->c, d->svc, &diag) != 0)
        return TOOL_EXIT_INPUT;
    /* The name tibra build gives the image. */
    d->name = d->c.name ? xstrdup(d->c.name) : xstrdup(base_of(d->svc));
    char *dot = d->c.name ? NULL : strrchr(d->name, '.');
    if (dot != NULL && dot != d->name)
        *dot = '\0';
    if (!name_ok(d->name))
        errx(TOOL_EXIT_INPUT,
             "%s: service name '%s' cannot name a unit and a user: "
             "use at most 24 of a-z 0-9 - _ (service: name ...)",
             d->svc, d->name);
    if (d->target == NULL)
        d->target = svc_target_name(d->c.target);
    if (d->conf == NULL) {
        d->conf = xasprintf("/etc/tibra/%s.conf", d->name);
        d->default_conf = true;
    }
    need_safe("--conf", d->conf);
    if (mkdir_parents(xasprintf("%s/x", d->outdir)) != 0)
        err(TOOL_EXIT_TOOL, "cannot create %s", d->outdir);

    if (d->bridge != NULL && !strcmp(d->target, "unix"))
        errx(TOOL_EXIT_USAGE,
             "%s: --manager is for targets spt and hvt (tibra-vmmd runs "
             "unikernels; target unix is tibra-dnsd)",
             d->svc);
    if (!strcmp(d->target, "unix")) {
        unit_unix(d);
    } else {
        char *tap = xasprintf("tb-%.*s", TAP_NAME_MAX, d->name);
        if (d->image == NULL) {
            char *dir = dir_of(d->svc), *sdir = abs_path(dir);
            d->image = xasprintf("%s/dist/%s.%s", sdir, d->name, d->target);
            free(dir);
            free(sdir);
        }
        if (d->bridge != NULL) {
            unit_managed(d);
        } else {
            if (d->user == NULL)
                d->user = xasprintf("tibra-%s", d->name);
            need_safe("--user", d->user);
            unit_tap(d, tap);
            unit_guest(d, tap);
        }
        free(tap);
    }
    print_install(d);
    svc_conf_free(&d->c);
    return TOOL_EXIT_OK;
}

int cmd_deploy(int argc, char **argv)
{
    struct deploy d = {0};
    const char *kind = NULL;

    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            tool_help("deploy");
            return TOOL_EXIT_OK;
        } else if (i + 1 < argc && !strcmp(a, "-o")) {
            d.outdir = abs_path(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--prefix")) {
            d.prefix = abs_path(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--image")) {
            d.image = abs_path(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--conf")) {
            d.conf = abs_path(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--user")) {
            d.user = xstrdup(argv[++i]);
        } else if (i + 1 < argc && !strcmp(a, "--manager")) {
            d.bridge = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--group")) {
            d.group = argv[++i];
        } else if (i + 1 < argc && !strcmp(a, "--ip")) {
            d.ip = argv[++i];
            need_safe("--ip", d.ip);
        } else if (i + 1 < argc && !strcmp(a, "--target")) {
            d.target = argv[++i];
            if (strcmp(d.target, "unix") && strcmp(d.target, "spt") &&
                strcmp(d.target, "hvt"))
                return tool_usage("deploy");
        } else if (a[0] == '-' || (kind != NULL && d.svc != NULL)) {
            return tool_usage("deploy");
        } else if (kind == NULL) {
            kind = a;
        } else {
            d.svc = a;
        }
    }
    if (kind == NULL || d.svc == NULL)
        return tool_usage("deploy");
    if (strcmp(kind, "systemd") != 0) {
        fprintf(stderr,
                "tibra deploy: '%s': only 'systemd' units are "
                "written so far\n",
                kind);
        return TOOL_EXIT_USAGE;
    }
    if (d.outdir == NULL)
        d.outdir = abs_path(".");
    if (d.prefix == NULL)
        d.prefix = xstrdup("/usr/local");
    if (d.group == NULL)
        d.group = "tibra";
    int rc = deploy_systemd(&d);
    free(d.outdir);
    free(d.prefix);
    free(d.image);
    free(d.conf);
    free(d.user);
    free(d.name);
    return rc;
}
