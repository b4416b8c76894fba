/*
 * svc_file.c -- reads a service file from disk and hands it to the
 * freestanding parser (lib/svc/svc.c).  Hosted only: archived into the
 * unix and check contexts, never into guest images (a guest gets its
 * configuration compiled in by `tibra build`).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tibra/hosted.h>
#include <tibra/svc.h>

static int errno_to_tb(int e)
{
    switch (e) {
    case ENOENT:
        return TB_ENOENT;
    case EACCES:
        return TB_EACCES;
    case ENOMEM:
        return TB_ENOMEM;
    default:
        return TB_EIO;
    }
}

int svc_load_file(struct svc_conf *c, const char *path, struct dns_diag *diag)
{
    FILE *f;
    char *buf;
    size_t n;
    int fd, rc;

    rc = tb_hosted_open_file(path, &fd, &n);
    if (rc == TB_ENOTREG) {
        dns_diag(diag, DNS_DIAG_ERROR, path, 0, "%s", tb_strerror(rc));
        return rc;
    }
    f = rc == 0 ? fdopen(fd, "rb") : NULL;
    if (f == NULL) {
        int e = rc != 0 ? -rc : errno;
        if (rc == 0)
            close(fd);
        dns_diag(diag, DNS_DIAG_ERROR, path, 0, "cannot read: %s", strerror(e));
        return errno_to_tb(e);
    }
    /* One byte more than allowed, to see that a file is too large. */
    buf = malloc(SVC_TEXT_MAX + 1);
    if (buf == NULL) {
        fclose(f);
        dns_diag(diag, DNS_DIAG_ERROR, path, 0, "out of memory");
        return TB_ENOMEM;
    }
    n = fread(buf, 1, SVC_TEXT_MAX + 1, f);
    if (ferror(f)) {
        rc = errno_to_tb(errno);
        dns_diag(diag, DNS_DIAG_ERROR, path, 0, "cannot read: %s",
                 strerror(errno));
        goto out_free;
    }
    if (n > SVC_TEXT_MAX) {
        dns_diag(diag, DNS_DIAG_ERROR, path, 0,
                 "larger than %u bytes: is this a service file?", SVC_TEXT_MAX);
        rc = TB_ERANGE;
        goto out_free;
    }
    rc = svc_parse(c, path, buf, n, diag);
out_free:
    free(buf);
    fclose(f);
    return rc;
}
