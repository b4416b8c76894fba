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
 * is read is taken from (*left).  With (bud) not NULL, the buffer is
 * counted in it before it is allocated (TB_ENOSPC if over: nothing is
 * read): (*len) + 1 bytes stay counted until the caller gives them back.
 */
static int read_within(const char *path, uint64_t *left, char **text,
                       size_t *len, struct tb_budget *bud)
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
    if (bud != NULL && !tb_budget_charge(bud, size + 1)) {
        close(fd);
        return TB_ENOSPC;
    }
    buf = malloc(size + 1);
    if (buf == NULL) {
        if (bud != NULL)
            tb_budget_uncharge(bud, size + 1);
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
    if (bud != NULL)
        tb_budget_uncharge(bud, size - got); /* (got + 1 stay counted) */
    if (left != NULL)
        *left -= got;
    *text = buf;
    *len = got;
    return 0;
}

int dns_zonefile_read(const char *path, char **text, size_t *len)
{
    return read_within(path, NULL, text, len, NULL);
}

static void say_too_big(struct dns_diag *d, const char *path, uint64_t max)
{
    dns_diag(d, DNS_DIAG_ERROR, path, 0,
             "zone exceeds zone-max-size (%llu bytes)",
             (unsigned long long)max);
}

/* "FILE: zone NAME needs more than zone-memory N to load": the budget
 * ran out (the whole of it, or what the zones loaded before left). */
static void say_over_budget(struct dns_diag *d, const char *path,
                            const uint8_t *origin, const struct tb_budget *b,
                            size_t before)
{
    char name[DNS_NAME_TEXT_MAX], lim[32], pre[80] = "";

    if (dns_name_to_text(origin, name, sizeof(name)) < 0)
        snprintf(name, sizeof(name), "?");
    else if (name[0] != '.' && name[strlen(name) - 1] == '.')
        name[strlen(name) - 1] = '\0'; /* as the service file names it */
    if (b->limit % (1u << 20) == 0)
        snprintf(lim, sizeof(lim), "%zu MiB", b->limit >> 20);
    else
        snprintf(lim, sizeof(lim), "%zu bytes", b->limit);
    if (before != 0)
        snprintf(pre, sizeof(pre),
                 " (%zu bytes of it held by the zones "
                 "loaded before it)",
                 before);
    dns_diag(d, DNS_DIAG_ERROR, path, 0,
             "zone %s needs more than zone-memory %s to load%s", name, lim,
             pre);
}

/* $INCLUDE from the file system: (name) holds the resolved path. */
struct inc_ctx {
    char name[4096];
    dns_zonefile_seen_fn seen;
    void *seen_ctx;
    uint64_t *left; /* zone-max-size budget, NULL: none */
    uint64_t max_size;
    struct tb_budget *bud; /* zone-memory: the texts count; NULL: none */
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
    rc = read_within(c->name, c->left, &buf, len, c->bud);
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
    struct inc_ctx *c = ctx;

    free((void *)(uintptr_t)text);
    if (c->bud != NULL)
        tb_budget_uncharge(c->bud, len + 1);
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
    if (lim != NULL)
        ic.bud = lim->budget;
    rc = read_within(path, ic.left, &text, &len, ic.bud);
    if (rc == TB_ERANGE) {
        say_too_big(d, path, ic.max_size);
        return rc;
    }
    if (rc == TB_ENOSPC)
        return rc; /* the caller names the budget */
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
    if (ic.bud != NULL)
        tb_budget_uncharge(ic.bud, len + 1);
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
    struct tb_budget *bud = lim != NULL ? lim->budget : NULL;
    const struct tb_alloc *a = bud != NULL ? &bud->a : &tb_heap;
    struct dns_zone_src src;
    struct tb_buf buf;
    unsigned e0 = d->errors;
    size_t before = bud != NULL ? bud->used : 0;
    int rc;

    memset(out, 0, sizeof(*out));
    if (bud != NULL)
        bud->over = false;
    rc = dns_zone_load_file_seen(&src, path, origin, rclass, a, d, seen, ctx,
                                 lim);
    if (rc != 0)
        goto out_said;
    tb_buf_init(&buf, a);
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
    if (bud != NULL && bud->over) {
        say_over_budget(d, path, origin, bud, before);
        rc = TB_ENOSPC;
    } else if (d->errors == e0)
        dns_diag(d, DNS_DIAG_ERROR, path, 0, "%s", tb_strerror(rc));
    memset(out, 0, sizeof(*out));
    return rc;
}
