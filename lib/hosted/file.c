/*
 * file.c -- opens input files (zones, $INCLUDE, service files) for hosted
 * readers without ever blocking in open(): a FIFO with no writer, a tty or
 * a device would otherwise hang the caller (tibra-dnsd's main thread on a
 * reload, `tibra build`).  Only regular files are read.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tibra/hosted.h>

int tb_hosted_open_file(const char *path, int *fd, size_t *size)
{
    struct stat st;
    int e, fl;
    int f = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

    if (f < 0)
        return -errno;
    if (fstat(f, &st) != 0)
        goto out_errno;
    if (!S_ISREG(st.st_mode)) {
        close(f);
        return TB_ENOTREG;
    }
    fl = fcntl(f, F_GETFL);
    if (fl < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) != 0)
        goto out_errno;
    *fd = f;
    *size = (size_t)st.st_size;
    return 0;
out_errno:
    e = -errno;
    close(f);
    return e;
}
