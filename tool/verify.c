/*
 * verify.c -- tibra verify IMAGE: is this image what its build record
 * says, and does a rebuild from the record give it again?
 *
 *   IMAGE.record --record_load--> inputs with hashes
 *     1. the image's own hash; every input re-hashed, in record order
 *        (service file, zones, includes, library, toolchain): the first
 *        that differs is named on one line, and verify stops there;
 *     2. a rebuild (build.c) in a fresh temporary directory, from copies
 *        of the service file and zones at the same relative paths, for
 *        the recorded target and arch, in build's clean environment;
 *     3. the rebuilt image's hash against the record: "identical", or the
 *        first line where the two records differ.
 *
 *   4. with --source DIR: the library rebuilt from DIR's git repository
 *      at the recorded commit (git archive into a temporary directory,
 *      make stage-lib there with the recorded version, commit and
 *      SOURCE_DATE_EPOCH, in the clean environment), each file compared
 *      with the recorded hash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tibra.h"

/* "KIND SHA PATH" of an input line, split in place into (kind, sha, path). */
static int split_input(char *v, char **kind, char **sha, char **path)
{
    char *a = strchr(v, ' ');
    char *b = a ? strchr(a + 1, ' ') : NULL;

    if (b == NULL || b - a - 1 != 64)
        return -1;
    *a = *b = '\0';
    *kind = v;
    *sha = a + 1;
    *path = b + 1;
    return 0;
}

/* Where input (path) of (kind) is now. */
static char *input_path(const char *kind, const char *path, const char *svcdir,
                        const char *lib)
{
    if (path[0] == '/')
        return xstrdup(path);
    if (!strcmp(kind, "lib"))
        return lib ? xasprintf("%s/%s", lib, path) : NULL;
    return xasprintf("%s/%s", svcdir, path);
}

/* For a toolchain file that differs: which package moved, if one did. */
static void package_hint(const struct record *r)
{
    char *dq = which_clean("dpkg-query");

    for (size_t i = 0; dq != NULL && i < r->n; i++) {
        if (strcmp(r->key[i], "package") != 0)
            continue;
        char name[256];
        const char *ver = strchr(r->val[i], ' ');
        if (ver == NULL || (size_t)(ver - r->val[i]) >= sizeof(name))
            continue;
        memcpy(name, r->val[i], (size_t)(ver - r->val[i]));
        name[ver - r->val[i]] = '\0';
        const char *av[] = {dq, "-W", "-f=${Version}", name, NULL};
        struct sbuf out = {0};
        run_clean("/", "0", av, &out);
        const char *now = out.s && *out.s ? out.s : "none";
        if (strcmp(now, ver + 1) != 0) {
            fprintf(stderr, "  (package %s is %s here, %s in the record)\n",
                    name, now, ver + 1);
            sb_free(&out);
            break;
        }
        sb_free(&out);
    }
    free(dq);
}

int record_check_inputs(const struct record *r, const char *image,
                        const char *svcdir, const char *lib, bool quiet)
{
    char hex[SHA256_HEX];
    const char *want = record_get(r, "image-sha256");

    if (sha256_file(image, hex) != 0 || want == NULL || strcmp(hex, want)) {
        if (!quiet)
            printf("%s: sha256 differs from the build record (the image was "
                   "changed after it was built)\n",
                   image);
        return -1;
    }
    for (size_t i = 0; i < r->n; i++) {
        char *kind, *sha, *path, *v;
        if (strcmp(r->key[i], "input") != 0)
            continue;
        v = xstrdup(r->val[i]);
        if (split_input(v, &kind, &sha, &path) != 0) {
            if (!quiet)
                printf("build record: bad input line '%s'\n", r->val[i]);
            free(v);
            return -1;
        }
        char *p = input_path(kind, path, svcdir, lib);
        int rc = p ? sha256_file(p, hex) : -1;
        if ((rc != 0 || strcmp(hex, sha) != 0) && quiet) {
            free(p);
            free(v);
            return -1;
        }
        if (rc != 0 || strcmp(hex, sha) != 0) {
            const char *what = !strcmp(kind, "lib")    ? "library file "
                               : !strcmp(kind, "tool") ? "toolchain file "
                                                       : "";
            if (rc != 0)
                printf("%s%s: missing (%s), named in the build record\n", what,
                       path, p ? p : "no library");
            else
                printf("%s%s: sha256 differs from the build record\n", what,
                       path);
            if (!strcmp(kind, "tool"))
                package_hint(r);
            free(p);
            free(v);
            return -1;
        }
        free(p);
        free(v);
    }
    return 0;
}

/* Copies the service file and zones to (src) (at the same relative
 * paths; absolute ones stay where they are).  Returns the copy of the
 * service file, or NULL. */
static char *copy_sources(const struct record *r, const char *svcdir,
                          const char *tmp)
{
    unsigned depth = 0;
    char *svc = NULL, hex[SHA256_HEX];

    /* Deep enough that every "../" of a relative path stays inside. */
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->key[i], "input") != 0)
            continue;
        unsigned d = 0;
        const char *q = strstr(r->val[i], " ../");
        for (q = q ? q + 1 : NULL; q != NULL && !strncmp(q, "../", 3); q += 3)
            d++;
        if (d > depth)
            depth = d;
    }
    struct sbuf dir = {0};
    sb_printf(&dir, "%s/src", tmp);
    for (unsigned i = 0; i < depth; i++)
        sb_puts(&dir, "/d");
    for (size_t i = 0; i < r->n; i++) {
        char *kind, *sha, *path, *v;
        if (strcmp(r->key[i], "input") != 0)
            continue;
        v = xstrdup(r->val[i]);
        if (split_input(v, &kind, &sha, &path) == 0 && strcmp(kind, "lib") &&
            strcmp(kind, "tool") && path[0] != '/') {
            char *from = xasprintf("%s/%s", svcdir, path);
            char *to = xasprintf("%s/%s", dir.s, path);
            if (copy_file(from, to, hex) != 0 || strcmp(hex, sha) != 0) {
                printf("%s: changed while being copied\n", path);
                free(to);
                to = NULL;
            }
            if (!strcmp(kind, "service") && to != NULL)
                svc = xstrdup(to);
            free(from);
            free(to);
            if (to == NULL) {
                free(v);
                free(svc);
                sb_free(&dir);
                return NULL;
            }
        }
        free(v);
    }
    sb_free(&dir);
    if (svc == NULL)
        printf("build record: no service file among the inputs\n");
    return svc;
}

/* Step 3: the first line where two records differ (not the paths). */
static void first_difference(const struct record *a, const char *path_b)
{
    struct record b;

    if (record_load(&b, path_b) != 0)
        return;
    for (size_t i = 0, j = 0; i < a->n || j < b.n; i++, j++) {
        if (i < a->n && (!strcmp(a->key[i], "image") ||
                         !strcmp(a->key[i], "service-dir"))) {
            j--;
            continue;
        }
        if (j < b.n &&
            (!strcmp(b.key[j], "image") || !strcmp(b.key[j], "service-dir"))) {
            i--;
            continue;
        }
        if (i < a->n && j < b.n && !strcmp(a->key[i], b.key[j]) &&
            !strcmp(a->val[i], b.val[j]))
            continue;
        printf("  first difference: record '%s %s', rebuild '%s %s'\n",
               i < a->n ? a->key[i] : "", i < a->n ? a->val[i] : "(end)",
               j < b.n ? b.key[j] : "", j < b.n ? b.val[j] : "(end)");
        break;
    }
    record_free(&b);
}

/* Runs a shell command line (cmd) in (dir), clean environment. */
static int sh(const char *dir, const char *sde, const char *cmd)
{
    const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
    return run_clean(dir, sde, argv, NULL);
}

/* Step 4.  Returns 0 when every library file of the record is rebuilt
 * from (src) bit for bit; else names the first that is not. */
static int verify_source(const struct record *r, const char *src)
{
    const char *commit = record_get(r, "tibra-commit");
    const char *version = record_get(r, "tibra-version");
    const char *sde = record_get(r, "source-date-epoch");
    const char *arch = record_get(r, "arch");
    int rc = -1;

    if (!commit || !version || !sde || !arch) {
        printf("build record: no tibra-commit, tibra-version, "
               "source-date-epoch or arch\n");
        return -1;
    }
    if (strlen(version) > 6 && !strcmp(version + strlen(version) - 6, "-dirty"))
        printf("note: the library was built from a modified tree (version "
               "%s): commit %.12s alone may not give it back\n",
               version, commit);
    char *tmp = make_temp_dir("source");
    char *git = which_clean("git");
    if (git == NULL) {
        printf("--source needs git (Debian package git)\n");
        goto out;
    }
    /* (src) and (commit) go through the shell: quote (src); (commit) is
     * checked to be hex. */
    if (strspn(commit, "0123456789abcdef") != strlen(commit) ||
        strchr(src, '\'') != NULL) {
        printf("--source: cannot use '%s' at commit '%s'\n", src, commit);
        goto out;
    }
    char *cmd = xasprintf("mkdir src && git -C '%s' archive --format=tar %s "
                          "| tar -x -C src",
                          src, commit);
    int st = sh(tmp, sde, cmd);
    free(cmd);
    if (st != 0) {
        printf("--source: %s has no commit %.12s (git archive failed)\n", src,
               commit);
        goto out;
    }
    fprintf(stderr, "tibra: building the library of commit %.12s from %s\n",
            commit, src);
    cmd = xasprintf("make -s -C src -j%ld O=../build %s SOURCE_DATE_EPOCH=%s "
                    "TB_VERSION=%s STAGE_COMMIT=%s stage-lib >make.log 2>&1 "
                    "|| { tail -n 20 make.log >&2; exit 1; }",
                    sysconf(_SC_NPROCESSORS_ONLN),
                    strcmp(arch, TOOL_HOST_ARCH) ? "CROSS=aarch64-linux-gnu-"
                                                 : "",
                    sde, version, commit);
    st = sh(tmp, sde, cmd);
    free(cmd);
    if (st != 0) {
        printf("--source: make stage-lib at commit %.12s failed (above)\n",
               commit);
        goto out;
    }
    char *lib = xasprintf("%s/build/lib/tibra", tmp);
    rc = 0;
    unsigned n = 0;
    for (size_t i = 0; i < r->n && rc == 0; i++) {
        char *kind, *sha, *path, hex[SHA256_HEX];
        if (strcmp(r->key[i], "input") != 0)
            continue;
        char *v = xstrdup(r->val[i]);
        if (split_input(v, &kind, &sha, &path) == 0 && !strcmp(kind, "lib")) {
            char *p = xasprintf("%s/%s", lib, path);
            if (sha256_file(p, hex) != 0 || strcmp(hex, sha) != 0) {
                printf("library file %s: commit %.12s of %s builds "
                       "%s, the build record says %s\n",
                       path, commit, src, hex, sha);
                rc = -1;
            }
            n++;
            free(p);
        }
        free(v);
    }
    if (rc == 0)
        printf("library: the %u files are identical to a build of commit "
               "%.12s from %s\n",
               n, commit, src);
    free(lib);
out:
    free(git);
    remove_tree(tmp);
    free(tmp);
    return rc;
}

int cmd_verify(int argc, char **argv)
{
    struct record r;
    const char *image = NULL, *source = NULL;
    int rc = TOOL_EXIT_INPUT;

    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            tool_help("verify");
            return TOOL_EXIT_OK;
        }
        if (!strcmp(argv[i], "--source") && i + 1 < argc) {
            source = argv[++i];
            continue;
        }
        if (argv[i][0] == '-' || image != NULL)
            return tool_usage("verify");
        image = argv[i];
    }
    if (image == NULL)
        return tool_usage("verify");
    char *rp = xasprintf("%s.record", image);
    if (record_load(&r, rp) != 0) {
        free(rp);
        return TOOL_EXIT_TOOL;
    }
    free(rp);
    char *lib = lib_dir(), *tmp = NULL;
    char *svcdir = record_service_dir(&r, image);
    if (record_check_inputs(&r, image, svcdir, lib, false) != 0)
        goto out;

    tmp = make_temp_dir("verify");
    char *svc = copy_sources(&r, svcdir, tmp);
    if (svc == NULL)
        goto out;
    struct build_req req = {
        .svc = svc,
        .out = xasprintf("%s/out/%s", tmp, base_of(image)),
        .target = record_get(&r, "target"),
        .arch = record_get(&r, "arch"),
        .quiet = true,
        /* DNSSEC: the keys where the service file's KEYDIR says, from
         * the original directory (private keys are never copied or
         * recorded), and the recorded signing time. */
        .keys_base = svcdir,
        .clock = record_get(&r, "dnssec-clock")
                     ? strtoull(record_get(&r, "dnssec-clock"), NULL, 10)
                     : 0,
    };
    struct build_res res;
    int brc = build(&req, &res);
    const char *want = record_get(&r, "image-sha256");
    if (brc != 0) {
        printf("the rebuild failed (above)\n");
        rc = brc == TOOL_EXIT_INPUT ? TOOL_EXIT_INPUT : TOOL_EXIT_TOOL;
    } else if (want != NULL && !strcmp(res.sha, want)) {
        printf("identical: %s (sha256 %s) rebuilt from its record in a "
               "clean directory\n",
               image, res.sha);
        rc = TOOL_EXIT_OK;
        if (source != NULL && verify_source(&r, source) != 0)
            rc = TOOL_EXIT_INPUT;
    } else {
        printf("%s: the rebuild differs: sha256 %s, the record says %s\n",
               image, res.sha, want ? want : "nothing");
        first_difference(&r, res.record);
    }
    build_res_free(&res);
    free((char *)(uintptr_t)req.out);
    free(svc);
out:
    if (tmp != NULL)
        remove_tree(tmp);
    free(tmp);
    free(svcdir);
    free(lib);
    record_free(&r);
    return rc;
}

char *record_service_dir(const struct record *r, const char *image)
{
    const char *sd = record_get(r, "service-dir");
    char *recdir = dir_of(image), *d;

    if (sd == NULL)
        return recdir;
    d = sd[0] == '/' ? xstrdup(sd) : xasprintf("%s/%s", recdir, sd);
    free(recdir);
    return d;
}
