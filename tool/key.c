/*
 * key.c -- tibra key: DNSSEC signing keys for `dnssec` zones (lib/dns
 * sign_key*.c does the work; this is the file-system edge).
 *
 *   tibra key generate --algorithm 13|8 [--bits N] [--ksk] ZONE DIR
 *       writes DIR/K<zone>+<alg>+<tag>.key (mode 0644) and .private
 *       (mode 0600, created exclusively: never overwritten), BIND's
 *       format, and prints the base name.  The key comes from BearSSL's
 *       key generator over an HMAC-DRBG seeded with 48 bytes of
 *       getrandom(2).
 *   tibra key ds KEYFILE
 *       prints the DS record (digest type 2, SHA-256) of the DNSKEY in
 *       KEYFILE (a .key file) for the parent zone.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <tibra/dns/sign.h>

#include "tibra.h"

static void *h_alloc(void *c, size_t n)
{
    (void)c;
    return xmalloc(n ? n : 1);
}
static void *h_realloc(void *c, void *p, size_t o, size_t n)
{
    (void)c, (void)o;
    void *q = realloc(p, n ? n : 1);
    if (q == NULL)
        errx(TOOL_EXIT_TOOL, "out of memory");
    return q;
}
static void h_free(void *c, void *p, size_t n)
{
    (void)c, (void)n;
    free(p);
}
static const struct tb_alloc heap = {h_alloc, h_realloc, h_free, NULL};

static void report(void *ctx, int level, const char *file, unsigned line,
                   const char *msg)
{
    (void)ctx;
    if (line > 0)
        fprintf(stderr, "%s:%u: %s%s\n", file ? file : "-", line,
                level == DNS_DIAG_ERROR ? "" : "warning: ", msg);
    else
        fprintf(stderr, "%s: %s%s\n", file ? file : "-",
                level == DNS_DIAG_ERROR ? "" : "warning: ", msg);
}

static void write_new(const char *path, const char *text, mode_t mode)
{
    size_t n = strlen(text), off = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);

    if (fd < 0)
        err(TOOL_EXIT_TOOL, "%s", path);
    while (off < n) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            err(TOOL_EXIT_TOOL, "%s", path);
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0)
        err(TOOL_EXIT_TOOL, "%s", path);
}

static void get_seed(uint8_t *seed, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = getrandom(seed + got, n - got, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            err(TOOL_EXIT_TOOL, "getrandom");
        got += (size_t)r;
    }
}

static int key_generate(int argc, char **argv)
{
    static char pub[4096], priv[8192];
    unsigned alg = 0, bits = 2048;
    uint16_t flags = DNS_DNSKEY_ZSK;
    uint8_t origin[DNS_NAME_MAXLEN], seed[48];
    char name[DNS_NAME_TEXT_MAX];
    struct dns_sign_key k;
    size_t olen;
    int i = 3;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--ksk"))
            flags = DNS_DNSKEY_KSK;
        else if (!strcmp(argv[i], "--algorithm") && i + 1 < argc)
            alg = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--bits") && i + 1 < argc)
            bits = (unsigned)strtoul(argv[++i], NULL, 10);
        else
            return tool_usage("key");
    }
    if (argc - i != 2 || (alg != 8 && alg != 13))
        return tool_usage("key");
    if (dns_name_from_text(argv[i], strlen(argv[i]), (const uint8_t *)"",
                           origin, &olen) != 0)
        errx(TOOL_EXIT_USAGE, "%s: not a zone name", argv[i]);
    dns_name_lower(origin);
    get_seed(seed, sizeof(seed));
    int rc = dns_sign_key_generate(&k, (uint8_t)alg, flags, bits, seed,
                                   sizeof(seed));
    memset(seed, 0, sizeof(seed));
    if (rc == TB_EINVAL)
        errx(TOOL_EXIT_USAGE, "--bits %u: RSA keys have %u to %u bits", bits,
             DNS_SIGN_RSA_MINBITS, DNS_SIGN_RSA_MAXBITS);
    if (rc != 0 ||
        dns_sign_key_write(&k, origin, pub, sizeof(pub), priv, sizeof(priv)))
        errx(TOOL_EXIT_TOOL, "key generation failed");
    dns_name_to_text(origin, name, sizeof(name));
    char *base = xasprintf("K%s+%03u+%05u", name, alg, k.tag);
    char *pp = xasprintf("%s/%s.private", argv[i + 1], base);
    char *kp = xasprintf("%s/%s.key", argv[i + 1], base);
    write_new(pp, priv, 0600);
    write_new(kp, pub, 0644);
    memset(priv, 0, sizeof(priv));
    dns_sign_key_wipe(&k);
    printf("%s\n", base);
    free(base), free(pp), free(kp);
    return TOOL_EXIT_OK;
}

/* The owner of the first record line of a .key file (BIND names the
 * zone there). */
static int key_owner(const char *t, size_t n, uint8_t *origin, size_t *olen)
{
    size_t i = 0;

    while (i < n) {
        size_t s = i;
        while (i < n && t[i] != '\n')
            i++;
        if (s < i && t[s] != ';' && t[s] != ' ' && t[s] != '\t' &&
            t[s] != '\r') {
            size_t e = s;
            while (e < i && t[e] != ' ' && t[e] != '\t')
                e++;
            return dns_name_from_text(t + s, e - s, (const uint8_t *)"", origin,
                                      olen);
        }
        i++;
    }
    return TB_EMALF;
}

static int key_ds(int argc, char **argv)
{
    uint8_t origin[DNS_NAME_MAXLEN], ds[DNS_DS_SHA256_LEN];
    char name[DNS_NAME_TEXT_MAX], text[256];
    struct dns_diag d = {report, NULL, 0, 0};
    struct dns_sign_key k;
    size_t n, olen;
    char *t;
    int rc;

    if (argc != 4 || argv[3][0] == '-')
        return tool_usage("key");
    rc = read_file(argv[3], &t, &n);
    if (rc != 0)
        errx(TOOL_EXIT_TOOL, "%s: %s", argv[3], strerror(-rc));
    if (key_owner(t, n, origin, &olen) != 0)
        errx(TOOL_EXIT_INPUT, "%s:1: no DNSKEY record", argv[3]);
    rc = dns_sign_key_read(&k, origin, t, n, argv[3], NULL, 0, NULL, &heap, &d);
    free(t);
    if (rc != 0)
        return TOOL_EXIT_INPUT;
    dns_sign_ds(origin, k.dnskey, k.dnskey_len, ds);
    dns_name_to_text(origin, name, sizeof(name));
    dns_rdata_to_text(DNS_TYPE_DS, ds, sizeof(ds), text, sizeof(text));
    printf("%s IN DS %s\n", name, text);
    return TOOL_EXIT_OK;
}

int cmd_key(int argc, char **argv)
{
    if (argc >= 3 && (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help"))) {
        tool_help("key");
        return TOOL_EXIT_OK;
    }
    if (argc >= 3 && !strcmp(argv[2], "generate"))
        return key_generate(argc, argv);
    if (argc >= 3 && !strcmp(argv[2], "ds"))
        return key_ds(argc, argv);
    return tool_usage("key");
}
