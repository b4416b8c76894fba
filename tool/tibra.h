/*
 * tibra.h -- private to tool/: what the tibra CLI's modules share.
 *
 *   tibra.c    main: commands, usage texts, check and run
 *   util.c     strings, files, SHA-256, paths, the clean child environment
 *   linktxt.c  link.txt, the link recipe mk/stage.mk writes per target
 *   build.c    tibra build: service file -> zones -> bundle -> image
 *   record.c   the build record beside every image (write, read, toolchain)
 *   verify.c   tibra verify: re-hash the inputs, rebuild, compare
 *   inspect.c  tibra inspect: what an image holds
 *   deploy.c   tibra deploy systemd: hardened units for a service
 *   vmm.c      tibra create/destroy/list/...: requests to tibra-vmmd
 *   key.c      tibra key generate/ds: DNSSEC signing keys
 *   sign.c     tibra build's signing of `dnssec` zones
 *
 * A host tool: hosted C, errx(3) on failure of the tool itself, never
 * linked into a guest.  Exit statuses: TOOL_EXIT_* below.
 */
#ifndef TOOL_TIBRA_H
#define TOOL_TIBRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tibra/dns.h>

/* Exit statuses (documented in every --help and docs/tibra.md). */
#define TOOL_EXIT_OK 0 /* done; verify: identical */
#define TOOL_EXIT_INPUT                                                        \
    1 /* the service or a zone has errors; verify:                             \
         something differs */
#define TOOL_EXIT_USAGE 2 /* wrong command line */
#define TOOL_EXIT_TOOL                                                         \
    3 /* the tool could not work: library or                                   \
         toolchain missing, I/O error, link failed */

#define SHA256_HEX 65 /* 64 hex digits and a NUL */

/* ---- util.c -------------------------------------------------------------- */

/* A growing NUL-terminated string; the tool exits if memory runs out. */
struct sbuf {
    char *s;
    size_t len, cap;
};
void sb_add(struct sbuf *b, const char *p, size_t n);
void sb_puts(struct sbuf *b, const char *s);
__attribute__((format(printf, 2, 3))) void sb_printf(struct sbuf *b,
                                                     const char *fmt, ...);
void sb_free(struct sbuf *b);

void *xmalloc(size_t n);
char *xstrdup(const char *s);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

/* SHA-256 of (p, n) as 64 lower-case hex digits in (hex). */
void sha256_hex(const void *p, size_t n, char hex[SHA256_HEX]);
/* Reads (path) whole into (*p, *n) (malloc'd, NUL-terminated).  Returns
 * 0 or -errno. */
int read_file(const char *path, char **p, size_t *n);
/* SHA-256 of the file (path); returns 0 or -errno. */
int sha256_file(const char *path, char hex[SHA256_HEX]);
/* Writes (p, n) to (path) with (mode), creating or truncating it.
 * Returns 0 or -errno. */
int write_file(const char *path, const void *p, size_t n, unsigned mode);
/* Copies (from) to (to) (mode 0644), returning the SHA-256 of the bytes
 * copied in (hex).  Returns 0 or -errno. */
int copy_file(const char *from, const char *to, char hex[SHA256_HEX]);
/* mkdir -p of (path)'s directory part (up to the last '/').  0 or -errno. */
int mkdir_parents(const char *path);
/* rm -r (path); quiet. */
void remove_tree(const char *path);
/* A new private directory under $TMPDIR (or /tmp), mode 0700. */
char *make_temp_dir(const char *what);

/* Directory part of (path) ("." when there is none), malloc'd. */
char *dir_of(const char *path);
/* Last component of (path). */
const char *base_of(const char *path);
/* The relative path from directory (from) to directory (to), both
 * resolved with realpath(); NULL when one does not exist. */
char *rel_path(const char *from, const char *to);
/* This program's directory (readlink /proc/self/exe), malloc'd. */
char *self_dir(void);
/* The library: <self_dir>/../lib/tibra; NULL if it does not exist. */
char *lib_dir(void);
/* A program (name) beside this one, in the build tree's (rel) below this
 * one's directory, or on PATH; NULL if none is found. */
char *find_program(const char *name, const char *rel);

/* The clean environment of every child: LC_ALL=C TZ=UTC, SOURCE_DATE_EPOCH
 * (sde), PATH=TOOL_PATH, TMPDIR (tmp), HOME (tmp), nothing else. */
#define TOOL_PATH "/usr/bin:/bin"
/* Finds (cmd) (a name or a path) on TOOL_PATH; malloc'd absolute path or
 * NULL. */
char *which_clean(const char *cmd);
/*
 * Runs (argv) (argv[0] an absolute path) in directory (dir) with the clean
 * environment (sde, dir as TMPDIR) and umask 022, stdin from /dev/null.
 * Its stdout goes to (out) when not NULL, else to our stderr; its stderr
 * to our stderr.  Returns its exit status, or -1 if it could not run or
 * was killed.
 */
int run_clean(const char *dir, const char *sde, const char *const argv[],
              struct sbuf *out);

/* ---- linktxt.c ----------------------------------------------------------- */

#define LINK_FILES_MAX 64
#define LINK_WORDS_MAX 128

/* One parsed link.txt.  Strings point into (text). */
struct linktxt {
    char *text; /* owned */
    char hash[SHA256_HEX];
    const char *target, *arch, *app, *version, *commit, *sde, *cc, *objcopy;
    char *assemble[LINK_WORDS_MAX], *link[LINK_WORDS_MAX],
        *strip[LINK_WORDS_MAX];
    unsigned nassemble, nlink, nstrip;
    const char *file[LINK_FILES_MAX];
    unsigned nfiles;
    const char *state_app; /* app.a with block device "state", or NULL */
};

/* Reads (path); errors are one line "path:LINE: message" on stderr.
 * Returns 0 or -1. */
int linktxt_load(struct linktxt *l, const char *path);
void linktxt_free(struct linktxt *l);

/* ---- build.c ---------------------------------------------------------------
 */

struct build_req {
    const char *svc; /* the service file */
    const char *out; /* the image; NULL: DIR-OF-SVC/dist/NAME.TARGET */
    const char *target, *arch; /* overrides; NULL: the service file's */
    bool quiet; /* print nothing on success */
    /* DNSSEC (sign.c): tibra verify's rebuild sets (keys_base), the
     * original service file's directory, where relative KEYDIRs are,
     * and (clock), the recorded signing time; 0/NULL otherwise. */
    const char *keys_base;
    uint64_t clock;
    const char *zones_out; /* --signed-zones DIR: signed zones as text */
};

struct build_res {
    char *image; /* malloc'd path */
    char *record; /* malloc'd path */
    char sha[SHA256_HEX];
    size_t size;
};

/* Builds; every problem is printed.  Returns a TOOL_EXIT_* status. */
int build(const struct build_req *r, struct build_res *res);
void build_res_free(struct build_res *res);
int cmd_build(int argc, char **argv);

/* ---- sign.c -------------------------------------------------------------- */

struct svc_zone;

/* How build() signs the zones with `dnssec` (sign.c). */
struct sign_ctx {
    const char *svc; /* the service file, for messages */
    const char *prefix; /* its directory with '/' ("" if none) */
    size_t plen;
    const char *keys_base; /* build_req.keys_base */
    uint64_t clock; /* build_req.clock; 0: $SOURCE_DATE_EPOCH or now */
    bool no_margin; /* do not refuse old signatures (tibra verify) */
};
/* The signing time of zones without dnssec-time: (sc)->clock, else
 * $SOURCE_DATE_EPOCH (exits on a malformed one), else now. */
uint64_t sign_clock(const struct sign_ctx *sc);
/* Signs the checked zone (src) of (z) with the keys of its KEYDIR,
 * appending "input dnssec-key" lines to (inputs) and the dnssec and
 * dnssec-key lines to (rec).  Problems go to (d) as FILE:LINE.  Returns
 * 0 or -1. */
int sign_zone(const struct sign_ctx *sc, const struct svc_zone *z,
              struct dns_zone_src *src, struct sbuf *inputs, struct sbuf *rec,
              struct dns_diag *d);
/* tibra run: warns on stderr, loudly, about every signed zone of
 * (image) (its IMAGE.record's dnssec lines) whose signatures expire
 * within their dnssec-margin of now or have expired. */
void sign_warn_expiry(const char *image);
/* Writes (src) as text into DIR/ZONE.zone (e.g. example.org.zone).
 * Returns 0 or -1 (printed). */
int sign_write_zone(const struct dns_zone_src *src, const char *dir);

/* ---- record.c ------------------------------------------------------------ */

/* A build record, read back: its lines, split into key and rest. */
struct record {
    char *text; /* owned, lines NUL-terminated in place */
    char **key, **val;
    size_t n;
};
/* Reads (path); returns 0, or -1 with a message printed. */
int record_load(struct record *r, const char *path);
void record_free(struct record *r);
/* The value of the first line with (key), or NULL. */
const char *record_get(const struct record *r, const char *key);

/*
 * Appends the toolchain lines of a build with (l) to (b): every program
 * and library the link runs or reads, with its path and SHA-256, the
 * compiler's version line, and the Debian packages that own them (or
 * "unknown" without dpkg-query).  Returns 0, or -1 with a message printed
 * (the compiler or objcopy not found).
 */
int record_toolchain(struct sbuf *b, const struct linktxt *l, const char *tmp);

/* ---- verify.c, inspect.c ------------------------------------------------- */

/*
 * Checks (image) and every input recorded in (r) (service file, zones and
 * includes below (svcdir), library files below (lib), toolchain files)
 * against their recorded SHA-256, in record order.  Returns 0 when all
 * match; else -1, after naming the first difference on stdout unless
 * (quiet).
 */
int record_check_inputs(const struct record *r, const char *image,
                        const char *svcdir, const char *lib, bool quiet);
/* The service file's directory of the image (image) built with record
 * (r), malloc'd. */
char *record_service_dir(const struct record *r, const char *image);
/* "unix", "spt", "hvt" for an ELF64 image (img, len) (untrusted; at least
 * an ELF64 header long), or NULL. */
const char *image_target(const uint8_t *img, size_t len);

/* ---- the commands ----------------------------------------------------------
 */

int cmd_verify(int argc, char **argv);
int cmd_inspect(int argc, char **argv);

/* tibra.c: prints the --help text of (cmd) to stdout. */
void tool_help(const char *cmd);
/* tibra.c: prints a one-line usage of (cmd) to stderr; returns
 * TOOL_EXIT_USAGE. */
int tool_usage(const char *cmd);
int cmd_run(int argc, char **argv);
/* deploy.c: tibra deploy systemd; its manual (tibra.c's table). */
int cmd_deploy(int argc, char **argv);
/* key.c: tibra key generate | ds (DNSSEC keys). */
int cmd_key(int argc, char **argv);
extern const char deploy_text[];
/* vmm.c: the tibra-vmmd commands (create, destroy, restart, list, info,
 * console, stats, block), (argv[1]) says which; one manual for all. */
int cmd_vmm(int argc, char **argv);
extern const char vmm_text[];
/* run.c: the image of service file (file), built when missing or out of
 * date (exits with build's status if the build fails); malloc'd.
 * (*state_size), unless NULL: the service's `state SIZE`, 0 if none. */
char *ensure_built(const char *file, const char *target_override,
                   uint64_t *state_size);
/* tibra.c: execs tibra-dnsd with (args); exits if it cannot. */
__attribute__((noreturn)) void exec_dnsd(char **args);
/* The machine this tool runs on ("x86_64"), as uname -m says. */
#if defined(__x86_64__)
#define TOOL_HOST_ARCH "x86_64"
#elif defined(__aarch64__)
#define TOOL_HOST_ARCH "aarch64"
#else
#define TOOL_HOST_ARCH "unknown"
#endif

/* dns_diag report printing FILE:LINE: message to stderr. */
void tool_report(void *ctx, int level, const char *file, unsigned line,
                 const char *msg);

#endif /* TOOL_TIBRA_H */
