/*
 * zonefile.c -- zone files from the file system, for the unix target and
 * host tools: reads the file, serves $INCLUDE (relative to the including
 * file's directory, depth-limited by the parser), and runs
 * dns_zone_parse() then dns_zone_check().  lib/dns itself never opens a
 * file; this is its hosted edge.  Cold path, plain libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <tibra/zonefile.h>

void dns_zonefile_report(void *ctx, int level, const char *file, unsigned line,
                         const char *msg)
{
    FILE *f = ctx != NULL ? ctx : stderr;
    const char *what = level == DNS_DIAG_ERROR ? "error" : "warning";

    if (file != NULL && line > 0)
        fprintf(f, "%s:%u: %s: %s\n", file, line, what, msg);
    else if (file != NULL)
        fprintf(f, "%s: %s: %s\n", file, what, msg);
    else
        fprintf(f, "%s: %s\n", what, msg);
}

/*
 * Reads (path) whole; with (left) not NULL, a file larger than (*left)
 * bytes (its fstat size, before anything is read) is TB_ERANGE, and what
 * is read is taken from (*left).
 */
static int read_within(const char *path, uint64_t *left, char **text,
                       size_t *len)
{
    char *buf;
    size_t size, got = 0;
    int fd, rc = tb_hosted_open_file(path, &fd, &size);

    if (rc != 0)
        return rc;
    if (left != NULL && size > *left) {
        close(fd);
        return TB_ERANGE;
    }
    buf = malloc(size + 1);
    if (buf == NULL) {
        close(fd);
        return TB_ENOMEM;
    }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    if (left != NULL)
        *left -= got;
    *text = buf;
    *len = got;
    return 0;
}

int dns_zonefile_read(const char *path, char **text, size_t *len)
{
    return read_within(path, NULL, text, len);
}

static void say_too_big(struct dns_diag *d, const char *path, uint64_t max)
{
    dns_diag(d, DNS_DIAG_ERROR, path, 0,
             "zone exceeds zone-max-size (%llu bytes)",
             (unsigned long long)max);
}

/* $INCLUDE from the file system: (name) holds the resolved path. */
struct inc_ctx {
    char name[4096];
    dns_zonefile_seen_fn seen;
    void *seen_ctx;
    uint64_t *left; /* zone-max-size budget, NULL: none */
    uint64_t max_size;
    struct dns_diag *d;
};

static int inc_open(void *ctx, const char *path, const char *from,
                    const char **text, size_t *len, const char **name)
{
    struct inc_ctx *c = ctx;
    const char *slash = strrchr(from, '/');
    char *buf = NULL;
    int rc, n;

    if (path[0] == '/' || slash == NULL)
        n = snprintf(c->name, sizeof(c->name), "%s", path);
    else
        n = snprintf(c->name, sizeof(c->name), "%.*s/%s", (int)(slash - from),
                     from, path);
    if (n < 0 || (size_t)n >= sizeof(c->name))
        return TB_ERANGE;
    rc = read_within(c->name, c->left, &buf, len);
    if (rc == TB_ERANGE)
        say_too_big(c->d, c->name, c->max_size);
    if (rc != 0)
        return rc;
    if (c->seen != NULL)
        c->seen(c->seen_ctx, c->name, buf, *len);
    *text = buf;
    *name = c->name;
    return 0;
}

static void inc_close(void *ctx, const char *text, size_t len)
{
    (void)ctx;
    (void)len;
    free((void *)(uintptr_t)text);
}

int dns_zone_load_file(struct dns_zone_src *z, const char *path,
                       const uint8_t *origin, uint16_t rclass,
                       const struct tb_alloc *a, struct dns_diag *d)
{
    return dns_zone_load_file_seen(z, path, origin, rclass, a, d, NULL, NULL,
                                   NULL);
}

int dns_zone_load_file_seen(struct dns_zone_src *z, const char *path,
                            const uint8_t *origin, uint16_t rclass,
                            const struct tb_alloc *a, struct dns_diag *d,
                            dns_zonefile_seen_fn seen, void *ctx,
                            const struct dns_zonefile_limits *lim)
{
    uint64_t left = lim != NULL ? lim->max_size : 0;
    struct inc_ctx ic = {.seen = seen, .seen_ctx = ctx, .d = d};
    struct dns_zone_include inc = {inc_open, inc_close, &ic};
    char *text = NULL;
    size_t len = 0;
    int rc;

    dns_zone_src_init(z, origin, a);
    z->rclass = rclass;
    if (lim != NULL && lim->max_size != 0) {
        ic.left = &left;
        ic.max_size = lim->max_size;
    }
    if (lim != NULL && lim->max_records <= SIZE_MAX)
        z->max_records = (size_t)lim->max_records;
    rc = read_within(path, ic.left, &text, &len);
    if (rc == TB_ERANGE) {
        say_too_big(d, path, ic.max_size);
        return rc;
    }
    if (rc == TB_ENOTREG) {
        dns_diag(d, DNS_DIAG_ERROR, path, 0, "%s", tb_strerror(rc));
        return rc;
    }
    if (rc != 0) {
        dns_diag(d, DNS_DIAG_ERROR, path, 0, "cannot read: %s",
                 tb_strerror(rc));
        return rc;
    }
    if (seen != NULL)
        seen(ctx, path, text, len);
    rc = dns_zone_parse(z, text, len, path, &inc, d);
    free(text);
    if (rc == 0)
        rc = dns_zone_check(z, d);
    if (rc != 0)
        dns_zone_src_free(z);
    return rc;
}

int dns_zonefile_compile(const char *path, const uint8_t *origin,
                         uint16_t rclass, struct dns_diag *d,
                         dns_zonefile_seen_fn seen, void *ctx,
                         const struct dns_zonefile_limits *lim,
                         struct dns_zonefile_blob *out)
{
    struct dns_zone_src src;
    struct tb_buf buf;
    unsigned e0 = d->errors;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = dns_zone_load_file_seen(&src, path, origin, rclass, &tb_heap, d, seen,
                                 ctx, lim);
    if (rc != 0)
        goto out_said;
    tb_buf_init(&buf, &tb_heap);
    rc = dns_zone_compile_flags(&src, &buf, d,
                                lim != NULL ? lim->compile_flags : 0);
    if (rc == 0 && buf.err != 0)
        rc = buf.err;
    if (rc == 0) {
        rc = dns_zone_open(buf.data, buf.len, NULL, &out->serial);
        if (rc != 0)
            dns_diag(d, DNS_DIAG_ERROR, path, 0,
                     "compiled zone does not validate: %s", tb_strerror(rc));
    }
    if (rc != 0) {
        if (buf.data != NULL)
            tb_buf_free(&buf);
        dns_zone_src_free(&src);
        goto out_said;
    }
    out->nrr = src.nrr;
    out->len = buf.len;
    out->data = buf.data; /* tb_heap is malloc: free() releases it */
    dns_zone_src_free(&src);
    return 0;
out_said:
    if (d->errors == e0)
        dns_diag(d, DNS_DIAG_ERROR, path, 0, "%s", tb_strerror(rc));
    memset(out, 0, sizeof(*out));
    return rc;
}
