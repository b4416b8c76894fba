/*
 * test_zone_golden.c -- golden zone cases: every tests/data/zone/NN_*.in
 * is loaded with dns_zone_load_file() (parse + checks, $INCLUDE from the
 * file system) and the result is compared byte for byte with NN_*.out:
 * the diagnostics, one per line as "file:line: level: message" (file
 * without its directory), then, when the zone is accepted, its canonical
 * dump (one RR per line, sorted).  A mismatch prints `diff -u expected
 * actual`.  The zone's origin is example.org. unless the .in file's first
 * line is "; origin: NAME".  TIBRA_GOLDEN_UPDATE=1 rewrites the .out
 * files (review them before committing).
 */
#include <dirent.h>
#include <stdarg.h>
#include <unistd.h>
#include <tibra/zonefile.h>

#include "check.h"

struct out {
    char *p;
    size_t len, cap;
};

static void out_add(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < o->cap - o->len)
            break;
        o->cap = o->cap * 2 + (size_t)n + 1;
        o->p = realloc(o->p, o->cap);
        if (o->p == NULL)
            abort();
    }
    o->len += (size_t)n;
}

static void report(void *ctx, int level, const char *file, unsigned line,
                   const char *msg)
{
    const char *base = file ? strrchr(file, '/') : NULL;

    base = base ? base + 1 : file ? file : "-";
    if (line > 0)
        out_add(ctx, "%s:%u: %s: %s\n", base, line,
                level == DNS_DIAG_ERROR ? "error" : "warning", msg);
    else
        out_add(ctx, "%s: %s: %s\n", base,
                level == DNS_DIAG_ERROR ? "error" : "warning", msg);
}

static char *slurp(const char *path, size_t *len)
{
    char *t = NULL;

    if (dns_zonefile_read(path, &t, len) != 0)
        return NULL;
    return t;
}

static void run_case(const char *dir, const char *name, bool update)
{
    char in[2048], outp[2048], origin_txt[256] = "example.org.";
    uint8_t origin[DNS_NAME_MAXLEN];
    struct out o = {NULL, 0, 0};
    struct dns_diag d = {report, &o, 0, 0};
    struct dns_zone_src z;
    size_t olen, elen = 0, i;
    char *text, *exp, *buf;
    int rc;

    o.cap = 4096;
    o.p = malloc(o.cap);
    snprintf(in, sizeof(in), "%s/%s", dir, name);
    snprintf(outp, sizeof(outp), "%s/%.*s.out", dir, (int)(strlen(name) - 3),
             name);
    text = slurp(in, &olen);
    REQUIRE(text != NULL);
    if (strncmp(text, "; origin: ", 10) == 0)
        sscanf(text + 10, "%255s", origin_txt);
    free(text);
    REQUIRE(dns_name_from_text(origin_txt, strlen(origin_txt),
                               (const uint8_t *)"", origin, &olen) == 0);
    rc = dns_zone_load_file(&z, in, origin, DNS_CLASS_IN, &tb_heap, &d);
    if (rc == 0) {
        buf = malloc(DNS_RDATA_TEXT_MAX + DNS_NAME_TEXT_MAX + 64);
        for (i = 0; i < z.nrr; i++) {
            int n = dns_zone_rr_to_text(
                &z, &z.rr[i], buf, DNS_RDATA_TEXT_MAX + DNS_NAME_TEXT_MAX + 64);
            CHECK(n >= 0);
            out_add(&o, "%s\n", buf);
        }
        free(buf);
        dns_zone_src_free(&z);
    } else {
        CHECK(d.errors > 0);
    }
    if (update) {
        FILE *f = fopen(outp, "w");
        REQUIRE(f != NULL);
        fwrite(o.p, 1, o.len, f);
        fclose(f);
    }
    exp = slurp(outp, &elen);
    check_total++;
    if (exp == NULL || elen != o.len || memcmp(exp, o.p, o.len) != 0) {
        char tmp[] = "/tmp/tibra-golden-XXXXXX", cmd[2200];
        int fd = mkstemp(tmp);
        check_failed++;
        fprintf(stderr, "golden mismatch: %s\n", name);
        if (fd >= 0) {
            FILE *f = fdopen(fd, "w");
            fwrite(o.p, 1, o.len, f);
            fclose(f);
            snprintf(cmd, sizeof(cmd), "diff -u '%s' '%s' >&2", outp, tmp);
            if (system(cmd) == -1)
                fprintf(stderr, "(diff not run)\n");
            unlink(tmp);
        }
    }
    free(exp);
    free(o.p);
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_golden(void)
{
    const char *src = getenv("TIBRA_SRC");
    bool update = getenv("TIBRA_GOLDEN_UPDATE") != NULL;
    char dir[1024];
    char *names[1024];
    size_t n = 0, i;
    struct dirent *e;
    DIR *dp;

    snprintf(dir, sizeof(dir), "%s/tests/data/zone", src ? src : ".");
    dp = opendir(dir);
    REQUIRE(dp != NULL);
    while ((e = readdir(dp)) != NULL && n < 1024) {
        size_t l = strlen(e->d_name);
        if (l > 3 && strcmp(e->d_name + l - 3, ".in") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    qsort(names, n, sizeof(*names), cmpstr);
    /* The corpus must exist: an empty run would pass vacuously. */
    CHECK(n >= 40);
    for (i = 0; i < n; i++) {
        run_case(dir, names[i], update);
        free(names[i]);
    }
    printf("%zu golden cases\n", n);
}

int main(void)
{
    RUN(test_golden);
    return check_done();
}
