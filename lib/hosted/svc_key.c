/*
 * svc_key.c -- a TSIG key's secret, read at run time from the file the
 * service file names (`key: NAME; algorithm ALG; secret-file PATH`) into a
 * struct dns_tsig_key.  Hosted only (tibra-dnsd); a guest gets its
 * secrets from a boot argument (--tsig-key), never from its image.
 *
 * Two forms: the base64 secret alone (what `tsig-keygen`/`keymgr` print
 * after "secret", Knot's `secret:` value; whitespace and line breaks
 * allowed), or a BIND key file
 *
 *     key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
 *
 * whose algorithm must be the service file's.  The file is untrusted
 * text: its size is bounded, every token checked, and the decoded secret
 * is wiped once dns_tsig_key_init() has derived the HMAC state.  Nothing
 * of the secret is ever printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tibra/dns/tsig.h>
#include <tibra/hosted.h>
#include <tibra/svc.h>

#define KEYFILE_MAX 65536

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    for (size_t i = 0; i < n; i++)
        v[i] = 0;
}

/* Line of offset (off) in (t). */
static unsigned line_of(const char *t, size_t off)
{
    unsigned l = 1;
    for (size_t i = 0; i < off; i++)
        l += t[i] == '\n';
    return l;
}

/* Next token of (t, n) from (*p): a word, a "string" (quotes stripped),
 * or one of { } ;.  Comments (#, //, to the end of the line) skipped.
 * Returns false at the end or at an unterminated string. */
static bool token(const char *t, size_t n, size_t *p, size_t *ts, size_t *tl,
                  bool *quoted)
{
    size_t i = *p;

    for (;;) {
        while (i < n &&
               (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n'))
            i++;
        if (i < n &&
            (t[i] == '#' || (t[i] == '/' && i + 1 < n && t[i + 1] == '/'))) {
            while (i < n && t[i] != '\n')
                i++;
            continue;
        }
        break;
    }
    if (i >= n)
        return false;
    *quoted = t[i] == '"';
    if (*quoted) {
        size_t e = i + 1;
        while (e < n && t[e] != '"' && t[e] != '\n')
            e++;
        if (e >= n || t[e] != '"')
            return false;
        *ts = i + 1;
        *tl = e - i - 1;
        *p = e + 1;
        return true;
    }
    *ts = i;
    if (t[i] == '{' || t[i] == '}' || t[i] == ';') {
        *tl = 1;
        *p = i + 1;
        return true;
    }
    while (i < n && t[i] != ' ' && t[i] != '\t' && t[i] != '\r' &&
           t[i] != '\n' && t[i] != ';' && t[i] != '{' && t[i] != '}' &&
           t[i] != '"')
        i++;
    *tl = i - *ts;
    *p = i;
    return true;
}

/*
 * A BIND key file: finds `algorithm X` and `secret "Y"`.  Returns 0 with
 * the base64 text in (*b64, *b64len) and its line, 1 when (t) is not in
 * that form (no `key` word first), or TB_EMALF (reported).
 */
static int bind_form(const char *t, size_t n, const char *path, int alg,
                     const char **b64, size_t *b64len, unsigned *b64line,
                     struct dns_diag *diag)
{
    size_t p = 0, s, l;
    bool q, have_secret = false;

    if (!token(t, n, &p, &s, &l, &q) || q || l != 3 ||
        memcmp(t + s, "key", 3) != 0)
        return 1;
    while (token(t, n, &p, &s, &l, &q)) {
        if (!q && l == 9 && memcmp(t + s, "algorithm", 9) == 0) {
            enum dns_tsig_alg a;
            size_t as = 0, al = 0;
            if (!token(t, n, &p, &as, &al, &q) ||
                dns_tsig_alg_from_text(t + as, al, &a) != 0) {
                dns_diag(diag, DNS_DIAG_ERROR, path, line_of(t, s),
                         "unknown algorithm in the key file");
                return TB_EMALF;
            }
            if ((int)a != alg) {
                dns_diag(diag, DNS_DIAG_ERROR, path, line_of(t, s),
                         "the key file's algorithm is %s, the service "
                         "file's %s",
                         dns_tsig_alg_text(a),
                         dns_tsig_alg_text((enum dns_tsig_alg)alg));
                return TB_EMALF;
            }
        } else if (!q && l == 6 && memcmp(t + s, "secret", 6) == 0) {
            if (!token(t, n, &p, &s, &l, &q) || !q) {
                dns_diag(diag, DNS_DIAG_ERROR, path, line_of(t, s),
                         "secret: expected a \"quoted\" base64 string");
                return TB_EMALF;
            }
            *b64 = t + s;
            *b64len = l;
            *b64line = line_of(t, s);
            have_secret = true;
        }
    }
    if (!have_secret) {
        dns_diag(diag, DNS_DIAG_ERROR, path, 1,
                 "no secret \"...\" in the "
                 "key file");
        return TB_EMALF;
    }
    return 0;
}

/* Reads (path), at most KEYFILE_MAX bytes, into a malloc'd buffer. */
static int read_file(const char *path, char **out, size_t *len,
                     struct dns_diag *diag)
{
    size_t size, n;
    int fd, rc = tb_hosted_open_file(path, &fd, &size);
    char *buf;

    if (rc != 0) {
        dns_diag(diag, DNS_DIAG_ERROR, path, 0, "cannot read: %s",
                 rc == TB_ENOTREG ? tb_strerror(rc) : strerror(-rc));
        return rc == -ENOENT ? TB_ENOENT : rc == -EACCES ? TB_EACCES : TB_EIO;
    }
    if (size > KEYFILE_MAX) {
        close(fd);
        dns_diag(diag, DNS_DIAG_ERROR, path, 0,
                 "larger than %d bytes: is this a key file?", KEYFILE_MAX);
        return TB_ERANGE;
    }
    buf = malloc(KEYFILE_MAX + 1);
    if (buf == NULL) {
        close(fd);
        return TB_ENOMEM;
    }
    n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, KEYFILE_MAX + 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            dns_diag(diag, DNS_DIAG_ERROR, path, 0, "cannot read: %s",
                     strerror(errno));
            close(fd);
            wipe(buf, n);
            free(buf);
            return TB_EIO;
        }
        if (r == 0 || (n += (size_t)r) > KEYFILE_MAX)
            break;
    }
    close(fd);
    if (n > KEYFILE_MAX) {
        wipe(buf, n);
        free(buf);
        dns_diag(diag, DNS_DIAG_ERROR, path, 0,
                 "larger than %d bytes: is this a key file?", KEYFILE_MAX);
        return TB_ERANGE;
    }
    *out = buf;
    *len = n;
    return 0;
}

int svc_key_load(const struct svc_conf *c, const struct svc_key *k,
                 struct dns_tsig_key *out, struct dns_diag *diag)
{
    const char *path = k->secret_file, *b64;
    uint8_t secret[DNS_TSIG_SECRET_MAX];
    unsigned b64line = 1;
    size_t len, b64len;
    char *text;
    int rc, n;

    (void)c;
    rc = read_file(path, &text, &len, diag);
    if (rc != 0)
        return rc;
    b64 = text;
    b64len = len;
    rc = bind_form(text, len, path, k->alg, &b64, &b64len, &b64line, diag);
    if (rc < 0)
        goto out;
    n = tb_base64_decode(b64, b64len, secret, sizeof(secret));
    if (n == TB_ESPACE || n == 0) {
        if (n == 0)
            dns_diag(diag, DNS_DIAG_ERROR, path, b64line,
                     "the secret is empty");
        else
            dns_diag(diag, DNS_DIAG_ERROR, path, b64line,
                     "the secret is longer than %d bytes", DNS_TSIG_SECRET_MAX);
        rc = TB_ERANGE;
        goto out;
    }
    if (n < 0) {
        dns_diag(diag, DNS_DIAG_ERROR, path, b64line,
                 "the secret is not base64 (RFC 4648; e.g. what "
                 "tsig-keygen or keymgr -t print)");
        rc = TB_EMALF;
        goto out;
    }
    rc = dns_tsig_key_init(out, k->wire, k->wire_len, (enum dns_tsig_alg)k->alg,
                           secret, (size_t)n);
    if (rc != 0)
        dns_diag(diag, DNS_DIAG_ERROR, path, b64line, "key %s: %s", k->name,
                 tb_strerror(rc));
out:
    wipe(secret, sizeof(secret));
    wipe(text, len);
    free(text);
    return rc;
}
