/*
 * cookie.c -- tibra-dnsd's DNS Cookies context (RFC 7873, RFC 9018): one
 * for every worker (server.c, at start-up and on SIGHUP), with the secret
 * from cookie-secret-file (later lines: earlier secrets, still accepted)
 * or random, and the wall clock as an offset from the monotonic clock the
 * workers pass as (now).  (A clock step after start-up shifts the
 * cookies' timestamps by as much; the lifetime is an hour, so only steps
 * of minutes matter.)  The cookies themselves are lib/dns's.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dnsd.h"

static int read_cookie_secret(const struct svc_conf *c, uint8_t *out)
{
    const char *path = c->cookie_secret_file;
    char buf[1024];
    struct stat st;
    ssize_t n;
    unsigned line = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), rc;
    const char *why = NULL;

    if (fd < 0 || fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    if (why != NULL) {
        dnsd_log("%s:%u: cookie-secret-file %s: %s", c->path,
                 c->cookie_secret_line, path, why);
        if (fd >= 0)
            close(fd);
        return TB_EINVAL;
    }
    n = read(fd, buf, sizeof(buf));
    close(fd);
    if (n < 0 || (size_t)n == sizeof(buf)) {
        dnsd_log("%s:%u: cookie-secret-file %s: %s", c->path,
                 c->cookie_secret_line, path,
                 n < 0 ? strerror(errno) : "longer than 1024 bytes");
        return TB_EINVAL;
    }
    rc = dns_cookie_secrets_parse(buf, (size_t)n, out, &line);
    if (rc == TB_ESPACE)
        dnsd_log("%s:%u: more than %d cookie secrets", path, line,
                 DNS_COOKIE_SECRETS_MAX);
    else if (rc < 0)
        dnsd_log("%s:%u: cookie secret: want %d hex digits (%d bytes)", path,
                 line, 2 * DNS_COOKIE_SECRET_LEN, DNS_COOKIE_SECRET_LEN);
    return rc < 0 ? TB_EINVAL : rc;
}

int dnsd_cookie_make(const struct svc_conf *c, bool require,
                     struct dns_cookie *ck, int *nsecret)
{
    uint8_t secret[DNS_COOKIE_SECRETS_MAX * DNS_COOKIE_SECRET_LEN];
    struct timespec wall, mono;
    int64_t off;
    int nsec = 1;

    if (c->cookie_secret_file != NULL) {
        if ((nsec = read_cookie_secret(c, secret)) < 0)
            return TB_EINVAL;
    } else if (getrandom(secret, DNS_COOKIE_SECRET_LEN, 0) !=
               (ssize_t)DNS_COOKIE_SECRET_LEN) {
        dnsd_log("cookies: no random secret: %s", strerror(errno));
        return TB_EIO;
    }
    clock_gettime(CLOCK_REALTIME, &wall);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &mono);
    off = ((int64_t)wall.tv_sec - (int64_t)mono.tv_sec) * 1000000000 +
          ((int64_t)wall.tv_nsec - (int64_t)mono.tv_nsec);
    dns_cookie_init(ck, secret, off, require);
    for (int i = 1; i < nsec; i++) /* earlier secrets, still accepted */
        dns_cookie_accept(ck, secret + i * DNS_COOKIE_SECRET_LEN);
    memset(secret, 0, sizeof(secret));
    *nsecret = nsec;
    return 0;
}
