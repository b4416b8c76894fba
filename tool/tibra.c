/*
 * tibra.c -- the tibra command line: the one program a user types to check
 * and run a DNS service described by a service file.
 *
 *   tibra check FILE  -> tibra-dnsd --check FILE (service file and zones)
 *   tibra run FILE    -> target unix: exec tibra-dnsd FILE
 *                        target hvt/spt: not built yet (says so)
 *
 * It reads the service file itself (lib/svc) to learn the target, and
 * leaves zone loading to tibra-dnsd, found beside this program or on
 * PATH.  `build` and `verify` come with the unikernel images.  A host
 * tool: hosted C, errx(3) on failure, never linked into a guest.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <tibra/hosted.h>
#include <tibra/svc.h>
#include <tibra/version.h>

/* clang-format off */
static const char usage_text[] =
"NAME\n"
"    tibra - check and run Tibra DNS services\n"
"\n"
"SYNOPSIS\n"
"    tibra check SERVICE-FILE\n"
"    tibra run SERVICE-FILE\n"
"    tibra -h | --help | -V | --version\n"
"\n"
"COMMANDS\n"
"    check   Check the service file and every zone it names (parse,\n"
"            zone checks, compile); print each problem as FILE:LINE:\n"
"            MESSAGE.  Exit status 0 if all is well, 1 if not.\n"
"    run     Run the service in the foreground.  Target unix: runs\n"
"            tibra-dnsd SERVICE-FILE (see tibra-dnsd --help).  Targets hvt\n"
"            and spt: not built yet; tibra says so and exits with 1.\n"
"\n"
"    tibra runs tibra-dnsd from its own directory (or the build tree's\n"
"    unix-ARCH beside it), or else from PATH.\n"
"    Not yet: build (unikernel images) and verify (reproducibility).\n"
"\n"
"EXIT STATUS\n"
"    0 success; 1 a problem with the service (the message says which);\n"
"    2 wrong usage.  'run' exits with tibra-dnsd's status.\n"
"\n"
"EXAMPLE\n"
"    tibra check examples/ns1.conf\n"
"    tibra run examples/ns1.conf\n"
"    dig @127.0.0.1 -p 5353 www.example.org A\n";
/* clang-format on */


static void report(void *ctx, int level, const char *file, unsigned line,
                   const char *msg)
{
    (void)ctx;
    if (line != 0)
        fprintf(stderr, "%s:%u: %s%s\n", file, line,
                level == DNS_DIAG_WARNING ? "warning: " : "", msg);
    else
        fprintf(stderr, "%s: %s%s\n", file,
                level == DNS_DIAG_WARNING ? "warning: " : "", msg);
}

/* Execs tibra-dnsd with (args): beside us first, then PATH. */
static void exec_dnsd(char **args)
{
    char self[PATH_MAX], path[PATH_MAX + 96];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash != NULL) {
            *slash = '\0';
            snprintf(path, sizeof(path), "%s/tibra-dnsd", self);
            if (access(path, X_OK) == 0) {
                execv(path, args);
                err(1, "cannot run %s", path);
            }
            /* In the build tree: $(O)/host-ARCH/tibra beside
             * $(O)/unix-ARCH/tibra-dnsd. */
            struct utsname u;
            if (uname(&u) == 0) {
                snprintf(path, sizeof(path), "%s/../unix-%s/tibra-dnsd", self,
                         u.machine);
                if (access(path, X_OK) == 0) {
                    execv(path, args);
                    err(1, "cannot run %s", path);
                }
            }
        }
    }
    execvp("tibra-dnsd", args);
    if (errno == ENOENT)
        errx(1, "tibra-dnsd not found beside tibra or on PATH (make "
                "install PREFIX=DIR installs both)");
    err(1, "cannot run tibra-dnsd");
}

static int cmd_run(char *file)
{
    struct svc_conf c;
    struct dns_diag d = {report, NULL, 0, 0};
    enum svc_target t;

    svc_conf_init(&c, &tb_heap);
    if (svc_load_file(&c, file, &d) != 0) {
        svc_conf_free(&c);
        errx(1, "%s: %u error%s; not started", file, d.errors,
             d.errors == 1 ? "" : "s");
    }
    t = c.target;
    svc_conf_free(&c);
    if (t != SVC_TARGET_UNIX)
        errx(1,
             "%s: target %s is not built yet: Tibra runs services as "
             "Linux processes (target unix) for now; set 'target unix' "
             "and a 'listen' address to run this one with tibra-dnsd",
             file, svc_target_name(t));
    static char prog[] = "tibra-dnsd";
    char *args[] = {prog, file, NULL};
    exec_dnsd(args);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") ||
                      !strcmp(argv[1], "help"))) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (argc == 2 &&
        (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version"))) {
        printf("tibra %s\n", TB_VERSION);
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "check")) {
        static char prog[] = "tibra-dnsd", check[] = "--check";
        char *args[] = {prog, check, argv[2], NULL};
        exec_dnsd(args);
    }
    if (argc == 3 && !strcmp(argv[1], "run"))
        return cmd_run(argv[2]);
    if (argc >= 2 && (!strcmp(argv[1], "build") || !strcmp(argv[1], "verify") ||
                      !strcmp(argv[1], "deploy")))
        errx(1,
             "'%s' is not built yet (it comes with the unikernel "
             "images); use 'tibra run' for target unix",
             argv[1]);
    fprintf(stderr, "usage: tibra check|run SERVICE-FILE (tibra --help for "
                    "more)\n");
    return 2;
}
