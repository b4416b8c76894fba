/*
 * util.c -- the tibra CLI's plumbing: growing strings, whole-file reads
 * and writes, SHA-256 (BearSSL), paths relative to the program and to
 * each other, private temporary directories, and the one way the tool
 * runs another program: in a private directory with a clean, fixed
 * environment (LC_ALL=C, TZ=UTC, a fixed SOURCE_DATE_EPOCH and PATH, no
 * user variable), so that nothing of the user's session reaches a build.
 * Cold path, plain libc; running out of memory ends the tool.
 */
#include <bearssl.h>
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tibra/zonefile.h>

#include "tibra.h"

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL)
        errx(TOOL_EXIT_TOOL, "out of memory");
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(xmalloc(n), s, n);
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        errx(TOOL_EXIT_TOOL, "out of memory");
    va_end(ap);
    return s;
}

void sb_add(struct sbuf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (s == NULL)
            errx(TOOL_EXIT_TOOL, "out of memory");
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_puts(struct sbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

void sb_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        errx(TOOL_EXIT_TOOL, "out of memory");
    sb_add(b, s, (size_t)n);
    free(s);
}

void sb_free(struct sbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof(*b));
}

static void hex_of(const uint8_t d[32], char hex[SHA256_HEX])
{
    static const char x[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = x[d[i] >> 4];
        hex[2 * i + 1] = x[d[i] & 15];
    }
    hex[64] = '\0';
}

void sha256_hex(const void *p, size_t n, char hex[SHA256_HEX])
{
    br_sha256_context c;
    uint8_t d[32];

    br_sha256_init(&c);
    br_sha256_update(&c, p, n);
    br_sha256_out(&c, d);
    hex_of(d, hex);
}

int read_file(const char *path, char **p, size_t *n)
{
    /* lib/hosted's reader: regular files only, NUL-terminated. */
    int rc = dns_zonefile_read(path, p, n);
    if (rc == TB_ENOTREG)
        return -EINVAL;
    return rc; /* TB_E* of errno values are -errno */
}

int sha256_file(const char *path, char hex[SHA256_HEX])
{
    br_sha256_context c;
    uint8_t d[32], buf[65536];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t r;

    if (fd < 0)
        return -errno;
    br_sha256_init(&c);
    while ((r = read(fd, buf, sizeof(buf))) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        br_sha256_update(&c, buf, (size_t)r);
    }
    close(fd);
    br_sha256_out(&c, d);
    hex_of(d, hex);
    return 0;
}

int write_file(const char *path, const void *p, size_t n, unsigned mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    const char *s = p;

    if (fd < 0)
        return -errno;
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        s += w;
        n -= (size_t)w;
    }
    /* The mode as asked, whatever the umask. */
    if (fchmod(fd, mode) != 0 || close(fd) != 0)
        return -errno;
    return 0;
}

int copy_file(const char *from, const char *to, char hex[SHA256_HEX])
{
    char *p;
    size_t n;
    int rc = read_file(from, &p, &n);

    if (rc != 0)
        return rc;
    sha256_hex(p, n, hex);
    rc = mkdir_parents(to);
    if (rc == 0)
        rc = write_file(to, p, n, 0644);
    free(p);
    return rc;
}

int mkdir_parents(const char *path)
{
    char *p = xstrdup(path);
    int rc = 0;

    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = -errno;
            break;
        }
        *s = '/';
    }
    free(p);
    return rc;
}

void remove_tree(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;

    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode) && (d = opendir(path)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char *sub = xasprintf("%s/%s", path, e->d_name);
            remove_tree(sub);
            free(sub);
        }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

char *make_temp_dir(const char *what)
{
    const char *t = getenv("TMPDIR");
    char *p = xasprintf("%s/tibra-%s.XXXXXX", t && *t ? t : "/tmp", what);

    if (mkdtemp(p) == NULL)
        err(TOOL_EXIT_TOOL, "cannot create a temporary directory %s", p);
    return p;
}

char *dir_of(const char *path)
{
    const char *s = strrchr(path, '/');

    if (s == NULL)
        return xstrdup(".");
    if (s == path)
        return xstrdup("/");
    char *d = xmalloc((size_t)(s - path) + 1);
    memcpy(d, path, (size_t)(s - path));
    d[s - path] = '\0';
    return d;
}

const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

char *rel_path(const char *from, const char *to)
{
    char a[PATH_MAX], b[PATH_MAX];
    struct sbuf r = {0};
    size_t i = 0, common = 0;

    if (realpath(from, a) == NULL || realpath(to, b) == NULL)
        return NULL;
    /* The longest common prefix ending at a component boundary. */
    for (i = 0; a[i] && a[i] == b[i]; i++)
        if (a[i] == '/')
            common = i;
    if (a[i] == '\0' && (b[i] == '/' || b[i] == '\0'))
        common = i;
    else if (b[i] == '\0' && a[i] == '/')
        common = i;
    for (const char *s = a + common; *s; s++)
        if (*s == '/')
            sb_puts(&r, r.len ? "/.." : "..");
    const char *rest = b + common;
    if (*rest == '/')
        rest++;
    if (*rest) {
        if (r.len)
            sb_puts(&r, "/");
        sb_puts(&r, rest);
    }
    if (r.len == 0)
        sb_puts(&r, ".");
    return r.s;
}

char *self_dir(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

    if (n <= 0)
        err(TOOL_EXIT_TOOL, "cannot find this program (/proc/self/exe)");
    self[n] = '\0';
    return dir_of(self);
}

char *lib_dir(void)
{
    char *d = self_dir(), *l = xasprintf("%s/../lib/tibra", d);
    char r[PATH_MAX];
    struct stat st;

    free(d);
    if (realpath(l, r) == NULL || stat(r, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(l);
        return NULL;
    }
    free(l);
    return xstrdup(r);
}

char *find_program(const char *name, const char *rel)
{
    char *d = self_dir(), *p = xasprintf("%s/%s", d, name);

    if (access(p, X_OK) == 0)
        goto out;
    free(p);
    p = NULL;
    if (rel != NULL) {
        p = xasprintf("%s/%s/%s", d, rel, name);
        if (access(p, X_OK) == 0)
            goto out;
        free(p);
        p = NULL;
    }
    const char *path = getenv("PATH");
    while (path != NULL && *path) {
        const char *c = strchr(path, ':');
        size_t n = c ? (size_t)(c - path) : strlen(path);
        p = xasprintf("%.*s/%s", (int)n, n ? path : ".", name);
        if (access(p, X_OK) == 0)
            goto out;
        free(p);
        p = NULL;
        path = c ? c + 1 : NULL;
    }
out:
    free(d);
    return p;
}

char *which_clean(const char *cmd)
{
    if (strchr(cmd, '/') != NULL)
        return access(cmd, X_OK) == 0 ? xstrdup(cmd) : NULL;
    const char *dirs[] = {"/usr/bin", "/bin"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char *p = xasprintf("%s/%s", dirs[i], cmd);
        if (access(p, X_OK) == 0)
            return p;
        free(p);
    }
    return NULL;
}

int run_clean(const char *dir, const char *sde, const char *const argv[],
              struct sbuf *out)
{
    char *env[] = {
        xstrdup("LC_ALL=C"),
        xstrdup("TZ=UTC"),
        xasprintf("SOURCE_DATE_EPOCH=%s", sde),
        xstrdup("PATH=" TOOL_PATH),
        xasprintf("TMPDIR=%s", dir),
        xasprintf("HOME=%s", dir),
        NULL,
    };
    int pfd[2] = {-1, -1}, status = -1;
    pid_t pid;

    fflush(NULL);
    if (out != NULL && pipe2(pfd, O_CLOEXEC) != 0)
        err(TOOL_EXIT_TOOL, "pipe");
    pid = fork();
    if (pid < 0)
        err(TOOL_EXIT_TOOL, "fork");
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        dup2(out != NULL ? pfd[1] : 2, 1);
        /* A captured query's complaints are not ours to show. */
        int quiet = out != NULL ? open("/dev/null", O_WRONLY) : -1;
        if (quiet >= 0)
            dup2(quiet, 2);
        umask(022);
        if (chdir(dir) != 0)
            _exit(127);
        /* execve() does not write argv: the cast only drops const. */
        execve(argv[0], (char *const *)(uintptr_t)argv, env);
        fprintf(stderr, "tibra: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    if (out != NULL) {
        char buf[4096];
        ssize_t r;
        close(pfd[1]);
        while ((r = read(pfd[0], buf, sizeof(buf))) != 0) {
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                break;
            sb_add(out, buf, (size_t)r);
        }
        close(pfd[0]);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            err(TOOL_EXIT_TOOL, "waitpid");
    for (size_t i = 0; env[i] != NULL; i++)
        free(env[i]);
    if (!WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

void tool_report(void *ctx, int level, const char *file, unsigned line,
                 const char *msg)
{
    (void)ctx;
    const char *w = level == DNS_DIAG_WARNING ? "warning: " : "";
    if (file != NULL && line != 0)
        fprintf(stderr, "%s:%u: %s%s\n", file, line, w, msg);
    else if (file != NULL)
        fprintf(stderr, "%s: %s%s\n", file, w, msg);
    else
        fprintf(stderr, "tibra: %s%s\n", w, msg);
}
