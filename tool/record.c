/*
 * record.c -- the build record beside every image (docs/tibra.md, "The
 * build record"): a line-oriented text file, "key value..." per line,
 * that names every input of the image with its SHA-256 (service file,
 * zone files and $INCLUDEs, the staged library, link.txt, the toolchain's
 * programs and libraries), the Debian packages they come from, the Tibra
 * version and commit, the commands and environment of the link, and the
 * image's own hash.  build.c writes the image's part; this file adds the
 * toolchain's and reads records back for verify and inspect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tibra.h"

int record_load(struct record *r, const char *path)
{
    size_t len, cap = 0;
    int rc;

    memset(r, 0, sizeof(*r));
    rc = read_file(path, &r->text, &len);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot read the build record: %s\n", path,
                strerror(-rc));
        return -1;
    }
    for (char *p = r->text, *nl; p != NULL && *p; p = nl) {
        nl = strchr(p, '\n');
        if (nl != NULL)
            *nl++ = '\0';
        if (*p == '#' || *p == '\0')
            continue;
        if (r->n == cap) {
            cap = cap ? 2 * cap : 64;
            r->key = realloc(r->key, cap * sizeof(*r->key));
            r->val = realloc(r->val, cap * sizeof(*r->val));
            if (r->key == NULL || r->val == NULL) {
                fprintf(stderr, "tibra: out of memory\n");
                exit(TOOL_EXIT_TOOL);
            }
        }
        char *v = strchr(p, ' ');
        if (v != NULL)
            *v++ = '\0';
        r->key[r->n] = p;
        r->val[r->n] = v ? v : p + strlen(p);
        r->n++;
    }
    const char *f = record_get(r, "tibra-build-record");
    if (f == NULL || strcmp(f, "1") != 0) {
        fprintf(stderr, "%s: not a build record of format 1\n", path);
        record_free(r);
        return -1;
    }
    return 0;
}

void record_free(struct record *r)
{
    free(r->text);
    free(r->key);
    free(r->val);
    memset(r, 0, sizeof(*r));
}

const char *record_get(const struct record *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->key[i], key))
            return r->val[i];
    return NULL;
}

/* The first line of (argv)'s stdout, malloc'd, or NULL. */
static char *first_line(const char *tmp, const char *sde,
                        const char *const *argv)
{
    struct sbuf out = {0};

    if (run_clean(tmp, sde, argv, &out) != 0 || out.s == NULL) {
        sb_free(&out);
        return NULL;
    }
    out.s[strcspn(out.s, "\n")] = '\0';
    return out.s;
}

/* A program the compiler runs (ld, as), or a file it links (libgcc.a,
 * crt objects), resolved to a real path, or NULL. */
static char *cc_file(const char *cc, const char *tmp, const char *sde,
                     const char *opt)
{
    const char *argv[] = {cc, opt, NULL};
    char *p = first_line(tmp, sde, argv), *r = NULL;

    if (p == NULL)
        return NULL;
    if (strchr(p, '/') != NULL)
        r = realpath(p, NULL);
    else
        r = which_clean(p); /* not found by gcc itself: on PATH */
    if (r != NULL && strchr(r, '/') != NULL) {
        char *rr = realpath(r, NULL);
        free(r);
        r = rr;
    }
    free(p);
    return r;
}

/* Adds "input tool SHA PATH" and collects (path) for dpkg-query -S. */
static void add_tool(struct sbuf *b, struct sbuf *paths, char *path)
{
    char hex[SHA256_HEX];

    if (path == NULL)
        return;
    if (sha256_file(path, hex) == 0) {
        sb_printf(b, "input tool %s %s\n", hex, path);
        sb_printf(paths, "%s\n", path);
    }
    free(path);
}

/* "package NAME VERSION" for the packages owning (paths) and (named). */
static void packages(struct sbuf *b, const char *tmp, const char *sde,
                     const struct sbuf *paths, const char *const *named)
{
    char *dq = which_clean("dpkg-query");
    struct sbuf pk = {0}, out = {0};
    const char *argv[LINK_FILES_MAX + 8];
    unsigned n = 0;

    if (dq == NULL) {
        sb_puts(b, "package unknown (no dpkg-query)\n");
        return;
    }
    /* Owners of the files: "pkg[:arch][, pkg2]: /path" lines. */
    argv[n++] = dq;
    argv[n++] = "-S";
    char *list = xstrdup(paths->s ? paths->s : "");
    for (char *p = strtok(list, "\n"); p && n < LINK_FILES_MAX;
         p = strtok(NULL, "\n"))
        argv[n++] = p;
    argv[n] = NULL;
    if (n > 2)
        run_clean(tmp, sde, argv, &out);
    for (char *p = out.s; p != NULL && *p;) {
        char *nl = strchr(p, '\n'), *sep = strstr(p, ": /");
        if (nl != NULL)
            *nl = '\0';
        if (sep != NULL && strncmp(p, "diversion", 9) != 0) {
            *sep = '\0';
            for (char *q = strtok(p, ", "); q; q = strtok(NULL, ", ")) {
                q[strcspn(q, ":")] = '\0';
                sb_printf(&pk, "%s\n", q);
            }
        }
        p = nl ? nl + 1 : NULL;
    }
    for (size_t i = 0; named[i] != NULL; i++)
        sb_printf(&pk, "%s\n", named[i]);
    free(list);
    sb_free(&out);

    /* Sorted, unique, then their versions. */
    char *names[64];
    unsigned nn = 0;
    for (char *p = strtok(pk.s, "\n"); p && nn < 64; p = strtok(NULL, "\n")) {
        unsigned j = 0;
        while (j < nn && strcmp(names[j], p) < 0)
            j++;
        if (j < nn && !strcmp(names[j], p))
            continue;
        memmove(names + j + 1, names + j, (nn - j) * sizeof(*names));
        names[j] = p;
        nn++;
    }
    for (unsigned i = 0; i < nn; i++) {
        const char *av[] = {dq, "-W", "-f=${Version}", names[i], NULL};
        char *v = first_line(tmp, sde, av);
        sb_printf(b, "package %s %s\n", names[i], v && *v ? v : "none");
        free(v);
    }
    sb_free(&pk);
    free(dq);
}

int record_toolchain(struct sbuf *b, const struct linktxt *l, const char *tmp)
{
    bool cross = strncmp(l->cc, "aarch64-", 8) == 0;
    char *cc = which_clean(l->cc), *oc = which_clean(l->objcopy);
    struct sbuf paths = {0};

    if (cc == NULL || oc == NULL) {
        fprintf(stderr,
                "tibra: %s not found in %s (Debian package %s; sh "
                "scripts/deps ensure %s installs it)\n",
                cc == NULL ? l->cc : l->objcopy, TOOL_PATH,
                cc == NULL
                    ? (cross ? "gcc-aarch64-linux-gnu" : "gcc")
                    : (cross ? "binutils-aarch64-linux-gnu" : "binutils"),
                cross ? "test" : "build");
        free(cc);
        free(oc);
        return -1;
    }
    const char *av[] = {cc, "--version", NULL};
    char *ver = first_line(tmp, l->sde, av);
    sb_printf(b, "cc-version %s\n", ver ? ver : "unknown");
    free(ver);
    add_tool(b, &paths, realpath(cc, NULL));
    add_tool(b, &paths, cc_file(cc, tmp, l->sde, "-print-prog-name=as"));
    add_tool(b, &paths, cc_file(cc, tmp, l->sde, "-print-prog-name=collect2"));
    add_tool(b, &paths, cc_file(cc, tmp, l->sde, "-print-prog-name=ld"));
    add_tool(b, &paths, realpath(oc, NULL));
    add_tool(b, &paths, cc_file(cc, tmp, l->sde, "-print-libgcc-file-name"));
    if (!strcmp(l->target, "unix")) {
        /* What a hosted link adds: start files and the C library. */
        static const char *const f[] = {
            "-print-file-name=Scrt1.o",          "-print-file-name=crti.o",
            "-print-file-name=crtn.o",           "-print-file-name=crtbeginS.o",
            "-print-file-name=crtendS.o",        "-print-file-name=libc.so",
            "-print-file-name=libc_nonshared.a",
        };
        for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
            add_tool(b, &paths, cc_file(cc, tmp, l->sde, f[i]));
    }
    /* A library the link names from the toolchain's paths (BearSSL for
     * TSIG and SHA-1, -l:libbearssl.a): its bytes and package too. */
    for (unsigned i = 0; i < l->nlink; i++)
        if (!strncmp(l->link[i], "-l:", 3)) {
            char *q = xasprintf("-print-file-name=%s", l->link[i] + 3);
            add_tool(b, &paths, cc_file(cc, tmp, l->sde, q));
            free(q);
        }
    static const char *const native[] = {"gcc", "binutils", "libc6-dev", NULL};
    static const char *const aarch64[] = {"gcc-aarch64-linux-gnu",
                                          "binutils-aarch64-linux-gnu",
                                          "libc6-dev-arm64-cross", NULL};
    packages(b, tmp, l->sde, &paths, cross ? aarch64 : native);
    sb_free(&paths);
    free(cc);
    free(oc);
    return 0;
}
