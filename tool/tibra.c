/*
 * tibra.c -- the tibra command line: the one program a user types to
 * check, build, inspect, verify and run a DNS service described by a
 * service file.
 *
 *   tibra check FILE        -> tibra-dnsd --check FILE (service and zones)
 *   tibra build FILE        -> dist/NAME.TARGET + its build record (build.c)
 *   tibra verify IMAGE      -> rebuild from the record, compare (verify.c)
 *   tibra inspect IMAGE     -> what the image holds (inspect.c)
 *   tibra run FILE|IMAGE    -> build if needed, then run it (run.c)
 *   tibra deploy systemd F  -> hardened systemd units (deploy.c)
 *   tibra create|list|...   -> requests to tibra-vmmd (vmm.c)
 *
 * This file holds the dispatch and the manual (--help of each command,
 * man-page style: docs/tibra.md says the same at more length).  A host
 * tool: hosted C, never linked into a guest; exit statuses TOOL_EXIT_*.
 */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tibra/version.h>

#include "tibra.h"

/* clang-format off */
static const char usage_text[] =
"NAME\n"
"    tibra - check, build, verify, inspect and run Tibra DNS services\n"
"\n"
"SYNOPSIS\n"
"    tibra check SERVICE-FILE\n"
"    tibra build SERVICE-FILE [-o IMAGE] [--target T] [--arch A] [-q]\n"
"    tibra verify [--source DIR] IMAGE\n"
"    tibra inspect IMAGE\n"
"    tibra run SERVICE-FILE|IMAGE [--target T] [--tap NAME]\n"
"              [-- IMAGE-ARGS...]\n"
"    tibra deploy systemd SERVICE-FILE [-o DIR] [--prefix PREFIX]\n"
"              [--image IMAGE] [--conf PATH] [--user USER] [--target T]\n"
"    tibra key generate --algorithm 13|8 [--bits N] [--ksk] ZONE DIR\n"
"    tibra key ds KEYFILE\n"
"    tibra create|destroy|restart|list|info|console|stats|block ...\n"
"              (unikernels run by tibra-vmmd: tibra create --help)\n"
"    tibra COMMAND --help\n"
"    tibra -h | --help | -V | --version\n"
"\n"
"DESCRIPTION\n"
"    A service file (docs/service-file.md) declares a DNS service: its\n"
"    zones, addresses and target.  tibra turns it into an image, a small\n"
"    program with the zones compiled in, for one target and architecture:\n"
"\n"
"        unix   a Linux process (host sockets)\n"
"        spt    a guest under tibra-spt, the seccomp tender\n"
"        hvt    a KVM guest under tibra-hvt (x86_64 only)\n"
"\n"
"    on x86_64 or aarch64.  Builds are reproducible: the same service\n"
"    file, zones and Tibra give the same image, bit for bit, whoever\n"
"    builds it, wherever and whenever; the build record beside each image\n"
"    lets anyone check that (tibra verify).\n"
"\n"
"COMMANDS\n"
"    check   Check the service file and every zone it names (parse,\n"
"            zone checks, compile); print each problem as FILE:LINE:\n"
"            MESSAGE.\n"
"    build   Build the image dist/NAME.TARGET next to the service file\n"
"            and its build record dist/NAME.TARGET.record.\n"
"    verify  Check an image against its build record: the inputs' hashes,\n"
"            then a rebuild in a clean temporary directory.\n"
"    inspect Show an image's target, architecture, devices, zones,\n"
"            default arguments and build record.\n"
"    run     Build if needed and run: target unix as a process, spt and\n"
"            hvt under their tender.\n"
"    deploy  Write hardened systemd units that run the service: tibra-dnsd\n"
"            for target unix, a TAP unit and the tender for spt and hvt.\n"
"    key     Make DNSSEC signing keys (BIND's files) and their DS records.\n"
"\n"
"    'tibra COMMAND --help' describes each command in full.\n"
"\n"
"FILES\n"
"    DIR/bin/tibra, DIR/bin/tibra-dnsd, DIR/bin/tibra-spt, DIR/bin/tibra-hvt\n"
"    DIR/lib/tibra/TARGET-ARCH/    what images are linked from: archives,\n"
"                                  objects, link script, link.txt\n"
"    (make install PREFIX=DIR puts them there; tibra finds its library at\n"
"    ../lib/tibra from its own directory.)\n"
"\n"
"EXIT STATUS\n"
"    0  success (verify: identical)\n"
"    1  the service file or a zone has errors (verify: something differs)\n"
"    2  wrong usage\n"
"    3  tibra could not do its work: library or toolchain missing, I/O\n"
"       error, the link failed\n"
"    'run' of target unix becomes the service (its status is the\n"
"    service's); check exits with tibra-dnsd --check's status (0 or 1).\n"
"\n"
"EXAMPLE\n"
"    tibra check examples/ns1.conf\n"
"    tibra build examples/ns1.conf\n"
"    tibra verify examples/dist/ns1.unix\n"
"    tibra run examples/ns1.conf\n"
"    dig @127.0.0.1 -p 5353 www.example.org A\n"
"\n"
"SEE ALSO\n"
"    docs/tibra.md, docs/service-file.md, tibra-dnsd --help,\n"
"    tibra-spt --help, tibra-hvt --help\n";

static const char build_text[] =
"NAME\n"
"    tibra build - build a DNS service's image and its build record\n"
"\n"
"SYNOPSIS\n"
"    tibra build SERVICE-FILE [-o IMAGE] [--target T] [--arch A] [-q]\n"
"\n"
"DESCRIPTION\n"
"    Reads and checks the service file, reads, checks and compiles every\n"
"    zone it names (with each $INCLUDE), and links an image for the\n"
"    service's target and architecture from the library installed with\n"
"    tibra (../lib/tibra/TARGET-ARCH/, whose link.txt gives the exact\n"
"    recipe) and Debian's toolchain.  The image holds the compiled zones\n"
"    and the service's per-deployment values as default boot arguments\n"
"    (--name, --ipv4=, --listen=, ...: arguments given when it is run\n"
"    override them).\n"
"\n"
"    The link runs in a private temporary directory, on copies of the\n"
"    library under fixed names, with a fixed environment (LC_ALL=C,\n"
"    TZ=UTC, PATH=/usr/bin:/bin, SOURCE_DATE_EPOCH of the Tibra build,\n"
"    nothing of yours): the image does not depend on where, when or by\n"
"    whom it is built.  No network is used.\n"
"\n"
"    Writes IMAGE (default: dist/NAME.TARGET in the service file's\n"
"    directory; NAME is the service's name, else the file's name without\n"
"    its extension) and IMAGE.record, the build record: every input with\n"
"    its SHA-256 (service file, zone files, includes, library files,\n"
"    link.txt, compiler, assembler, linker, libraries), the Debian\n"
"    packages involved, the Tibra version and commit, the commands and\n"
"    environment of the link, and the image's SHA-256 (docs/tibra.md).\n"
"    Prints the image's path, size and SHA-256.\n"
"\n"
"    Every problem in the service file or a zone is printed as\n"
"    FILE:LINE: MESSAGE, all of them in one run, and then nothing is\n"
"    written: an existing image is left as it was.\n"
"\n"
"OPTIONS\n"
"    -o IMAGE      write the image (and IMAGE.record) there\n"
"    --target T    unix, spt or hvt, instead of the service file's\n"
"    --arch A      x86_64 or aarch64, instead of the service file's (or\n"
"                  the host's); aarch64 needs the aarch64 library (make\n"
"                  CROSS=aarch64-linux-gnu- install) and\n"
"                  gcc-aarch64-linux-gnu\n"
"    -q, --quiet   print nothing on success\n"
"\n"
"EXIT STATUS\n"
"    0 built; 1 errors in the service file or a zone (nothing written);\n"
"    2 wrong usage; 3 library or toolchain missing, I/O error, the link\n"
"    failed (nothing written).\n"
"\n"
"EXAMPLE\n"
"    tibra build examples/ns1.conf\n"
"    tibra build examples/ns1-spt.conf --arch aarch64 -o ns1.spt.aarch64\n";

static const char verify_text[] =
"NAME\n"
"    tibra verify - check that an image is what its build record says\n"
"\n"
"SYNOPSIS\n"
"    tibra verify [--source DIR] IMAGE\n"
"\n"
"DESCRIPTION\n"
"    Reads IMAGE.record and checks, in order: the image's own SHA-256;\n"
"    every recorded input (the service file and zones, found through the\n"
"    record's service-dir, relative to the record; the library files of\n"
"    this tibra; the toolchain's files); the Tibra version.  The first\n"
"    difference is named, e.g.\n"
"\n"
"        zones/example.org.zone: sha256 differs from the build record\n"
"\n"
"    Then it rebuilds the image in a fresh temporary directory, from\n"
"    copies of the service file and zones at the same relative paths,\n"
"    for the recorded target and architecture, with the clean\n"
"    environment of tibra build, and compares the hashes.  Prints\n"
"    'identical' when the rebuild gives the recorded image.\n"
"\n"
"OPTIONS\n"
"    --source DIR  Then also rebuild the library from the git repository\n"
"                  DIR at the recorded commit (git archive into a\n"
"                  temporary directory, make stage-lib there with the\n"
"                  recorded version and SOURCE_DATE_EPOCH) and compare\n"
"                  every library file with the record.  Needs git, make\n"
"                  and the toolchain; takes as long as building Tibra.\n"
"                  A library built from a modified tree (version ending\n"
"                  in -dirty) cannot be expected to match.\n"
"\n"
"EXIT STATUS\n"
"    0 identical; 1 something differs (said on one line); 2 wrong usage;\n"
"    3 the record is missing or unreadable, or the rebuild could not run.\n";

static const char inspect_text[] =
"NAME\n"
"    tibra inspect - show what a Tibra image holds\n"
"\n"
"SYNOPSIS\n"
"    tibra inspect IMAGE\n"
"\n"
"DESCRIPTION\n"
"    Prints, from the image itself: its target and architecture (from\n"
"    the ELF header and the image's kind), the devices its manifest\n"
"    declares (hvt, spt), its zones (origin, serial, compiled size) and\n"
"    its default boot arguments (the bundle tibra build linked in); and\n"
"    from IMAGE.record when present: the record counts of the zones, the\n"
"    Tibra version and commit, the compiler, and whether the image still\n"
"    has the recorded SHA-256.\n"
"\n"
"EXIT STATUS\n"
"    0 shown; 1 not a Tibra image (no valid bundle); 2 wrong usage;\n"
"    3 the image cannot be read.\n";

static const char run_text[] =
"NAME\n"
"    tibra run - build if needed, then run a DNS service\n"
"\n"
"SYNOPSIS\n"
"    tibra run SERVICE-FILE [--target T] [--tap NAME] [--state FILE]\n"
"              [-- IMAGE-ARGS...]\n"
"    tibra run IMAGE [--tap NAME] [--state FILE] [-- IMAGE-ARGS...]\n"
"\n"
"DESCRIPTION\n"
"    Given a service file, builds its image as tibra build does when the\n"
"    image is missing or any recorded input (service file, zone, include,\n"
"    library) has changed since, then runs it; given an image, runs it.\n"
"\n"
"    Target unix: the image becomes this process (exec), serving on the\n"
"    service file's listen addresses; Ctrl-C or SIGTERM stops it.\n"
"\n"
"    Targets spt and hvt: the image runs under tibra-spt or tibra-hvt\n"
"    (beside tibra, or on PATH) with --mem from the service's memory and\n"
"    its network device service0 attached to a TAP device.  Without\n"
"    --tap, tibra creates one (tibra-NAME), gives it the service's\n"
"    gateway address and brings it up, saying what it did; that needs\n"
"    CAP_NET_ADMIN (root), and tibra names what is missing when it cannot.\n"
"    --tap NAME uses an existing TAP device as it is.\n"
"\n"
"    An image with secondary or allow-update zones keeps them on its\n"
"    block device (the service's state SIZE; its boot word\n"
"    --state-device): tibra attaches the file FILE (--state), by default\n"
"    IMAGE.state beside the image, and creates it (sparse, zeros) when\n"
"    missing, of the service's state SIZE (64 MiB for an image run as\n"
"    it is), saying so.  The file is the service's data: keep it across\n"
"    runs; a restart serves what it holds before the primaries answer.\n"
"\n"
"    --target T builds and runs the service file for target T instead\n"
"    of its own (as tibra build --target).  IMAGE-ARGS after -- are\n"
"    passed to the image and override its defaults (e.g. --\n"
"    --ipv4=10.0.0.3/24).\n"
"\n"
"    A user without CAP_NET_ADMIN can run spt and hvt images on a TAP\n"
"    device root created for them once (ip tuntap add dev tb-NAME mode\n"
"    tap user USER; tibra prints the commands) with --tap tb-NAME, when\n"
"    /dev/net/tun is open to them (mode 0666, as Debian ships it).\n"
"\n"
"EXIT STATUS\n"
"    The service's own status once it runs; before that 1 (errors in\n"
"    the service or zones), 2 (usage) or 3 (build, TAP or tender\n"
"    problem).\n";

static const char key_text[] =
"NAME\n"
"    tibra key - DNSSEC signing keys for dnssec zones\n"
"\n"
"SYNOPSIS\n"
"    tibra key generate --algorithm 13|8 [--bits N] [--ksk] ZONE DIR\n"
"    tibra key ds KEYFILE\n"
"\n"
"DESCRIPTION\n"
"    generate writes a key pair for ZONE into DIR in BIND's format:\n"
"    DIR/KZONE.+ALG+TAG.key (the DNSKEY record, mode 0644) and\n"
"    DIR/KZONE.+ALG+TAG.private (the private key, mode 0600; an existing\n"
"    file is never overwritten), and prints KZONE.+ALG+TAG.  Algorithm\n"
"    13 is ECDSA P-256 with SHA-256, 8 RSA with SHA-256 (--bits, 1024 to\n"
"    4096, default 2048).  --ksk makes a key-signing key (flags 257);\n"
"    without it the key is a zone-signing key (flags 256).  A zone with\n"
"    one key, or only KSKs, is signed by them all (a CSK: use --ksk).\n"
"    The randomness is 48 bytes of getrandom(2) seeding an HMAC-DRBG for\n"
"    BearSSL's key generator.  Keys by dnssec-keygen, ldns-keygen or\n"
"    keymgr are read too.\n"
"\n"
"    ds prints the DS record (digest type 2, SHA-256) of the DNSKEY in\n"
"    KEYFILE, a .key file, to publish in the parent zone.\n"
"\n"
"EXIT STATUS\n"
"    0 done; 1 the key file has errors (FILE:LINE: MESSAGE); 2 wrong\n"
"    usage; 3 the files could not be written or random bytes read.\n";

static const char check_text[] =
"NAME\n"
"    tibra check - check a service file and its zones\n"
"\n"
"SYNOPSIS\n"
"    tibra check SERVICE-FILE\n"
"\n"
"DESCRIPTION\n"
"    Runs tibra-dnsd --check SERVICE-FILE: parses the service file,\n"
"    reads, checks and compiles every zone, and prints each problem as\n"
"    FILE:LINE: MESSAGE.  Nothing is written.\n"
"\n"
"EXIT STATUS\n"
"    0 all is well; 1 problems were found; 2 wrong usage.\n";
/* clang-format on */

static const struct {
    const char *cmd, *text, *usage;
} manual[] = {
    {"check", check_text, "tibra check SERVICE-FILE"},
    {"key", key_text,
     "tibra key generate --algorithm 13|8 [--bits N] [--ksk] ZONE DIR | "
     "key ds KEYFILE"},
    {"build", build_text,
     "tibra build SERVICE-FILE [-o IMAGE] [--target T] [--arch A] [-q]"},
    {"verify", verify_text, "tibra verify [--source DIR] IMAGE"},
    {"inspect", inspect_text, "tibra inspect IMAGE"},
    {"run", run_text,
     "tibra run SERVICE-FILE|IMAGE [--target T] [--tap NAME] [--state FILE] "
     "[-- ARGS...]"},
    {"deploy", deploy_text,
     "tibra deploy systemd SERVICE-FILE [-o DIR] [--prefix PREFIX] "
     "[--image IMAGE] [--conf PATH] [--user USER] [--target T]"},
    {"create", vmm_text,
     "tibra create NAME IMAGE|SERVICE-FILE [--target T] [--mem MIB] "
     "[--cpus LIST] [--net DEV=BRIDGE[@MAC]] [--create-bridge] "
     "[--block DEV=BLOCK] [--arg WORD] [--restart-on-fail[=CODES]] "
     "[--startup N]"},
    {"destroy", vmm_text, "tibra destroy NAME"},
    {"restart", vmm_text, "tibra restart NAME"},
    {"list", vmm_text, "tibra list"},
    {"info", vmm_text, "tibra info NAME"},
    {"console", vmm_text, "tibra console NAME [--since SECONDS] [--follow]"},
    {"stats", vmm_text, "tibra stats [NAME]"},
    {"block", vmm_text,
     "tibra block create NAME MIB | block list | block destroy NAME"},
};

void tool_help(const char *cmd)
{
    for (size_t i = 0; i < sizeof(manual) / sizeof(manual[0]); i++)
        if (!strcmp(manual[i].cmd, cmd))
            fputs(manual[i].text, stdout);
}

int tool_usage(const char *cmd)
{
    for (size_t i = 0; i < sizeof(manual) / sizeof(manual[0]); i++)
        if (!strcmp(manual[i].cmd, cmd))
            fprintf(stderr, "usage: %s (tibra %s --help for more)\n",
                    manual[i].usage, cmd);
    return TOOL_EXIT_USAGE;
}

/* Execs tibra-dnsd with (args): beside us, in the build tree's
 * unix-ARCH beside host-ARCH, or on PATH. */
void exec_dnsd(char **args)
{
    char *rel = xasprintf("../unix-%s", TOOL_HOST_ARCH);
    char *p = find_program("tibra-dnsd", rel);

    free(rel);
    if (p == NULL)
        errx(TOOL_EXIT_TOOL, "tibra-dnsd not found beside tibra or on PATH "
                             "(make install PREFIX=DIR installs both)");
    execv(p, args);
    err(TOOL_EXIT_TOOL, "cannot run %s", p);
}

int main(int argc, char **argv)
{
    const char *cmd = argc >= 2 ? argv[1] : "";

    if (argc == 2 && (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") ||
                      !strcmp(cmd, "help"))) {
        fputs(usage_text, stdout);
        return TOOL_EXIT_OK;
    }
    if (argc == 3 && !strcmp(cmd, "help")) {
        tool_help(argv[2]);
        return TOOL_EXIT_OK;
    }
    if (argc == 2 && (!strcmp(cmd, "-V") || !strcmp(cmd, "--version"))) {
        printf("tibra %s\n", TB_VERSION);
        return TOOL_EXIT_OK;
    }
    if (!strcmp(cmd, "check")) {
        if (argc == 3 &&
            (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
            tool_help("check");
            return TOOL_EXIT_OK;
        }
        if (argc != 3 || argv[2][0] == '-')
            return tool_usage("check");
        static char prog[] = "tibra-dnsd", check[] = "--check";
        char *args[] = {prog, check, argv[2], NULL};
        exec_dnsd(args);
    }
    if (!strcmp(cmd, "build"))
        return cmd_build(argc, argv);
    if (!strcmp(cmd, "verify"))
        return cmd_verify(argc, argv);
    if (!strcmp(cmd, "inspect"))
        return cmd_inspect(argc, argv);
    if (!strcmp(cmd, "run"))
        return cmd_run(argc, argv);
    if (!strcmp(cmd, "deploy"))
        return cmd_deploy(argc, argv);
    if (!strcmp(cmd, "key"))
        return cmd_key(argc, argv);
    static const char *const vmm_cmds[] = {"create", "destroy", "restart",
                                           "list",   "info",    "console",
                                           "stats",  "block"};
    for (size_t i = 0; i < sizeof(vmm_cmds) / sizeof(vmm_cmds[0]); i++)
        if (!strcmp(cmd, vmm_cmds[i]))
            return cmd_vmm(argc, argv);
    fprintf(stderr,
            "usage: tibra check|build|verify|inspect|run|deploy|"
            "key|create|destroy|restart|list|info|console|stats|block ... "
            "(tibra --help for more)\n");
    return TOOL_EXIT_USAGE;
}
