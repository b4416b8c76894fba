/*
 * dns/signdir.h -- a zone's DNSSEC keys from a key directory
 * (lib/hosted/sign_keydir.c): hosted programs only (tibra build, tibra-dnsd).
 */
#ifndef DNS_SIGNDIR_H
#define DNS_SIGNDIR_H
#include <tibra/dns/sign.h>

/* Called with each .key file read (its path and text, valid during the
 * call): tibra build records its hash.  Never called with a .private. */
typedef void (*dns_sign_keydir_seen_fn)(void *ctx, const char *path,
                                        const char *text, size_t len);

/*
 * Reads the keys of zone (origin) from directory (dir): every
 * K<zone>+<alg>+<tag>.key there, in name order, and the .private beside
 * it (BIND's format, dns_sign_key_read()), at most (cap) of them, into
 * (keys).  Problems are reported through (d) as FILE:LINE (the key file's,
 * or (cfile, cline) -- the service file's `dnssec` -- when the directory
 * has no keys or too many).  The .private texts are wiped after reading;
 * the caller MUST wipe (keys) with dns_sign_key_wipe() when done.
 * Returns 0 with (*nkeys) >= 1, or TB_ENOENT (no keys), TB_ERANGE (more
 * than (cap)), TB_EMALF/TB_ENOTSUP (a key refused), TB_ENOMEM or a read
 * error; then no key is left in (keys).
 */
TB_API int dns_sign_keydir_read(const char *dir, const uint8_t *origin,
                                struct dns_sign_key *keys, size_t cap,
                                size_t *nkeys, dns_sign_keydir_seen_fn seen,
                                void *ctx, struct dns_diag *d,
                                const char *cfile, unsigned cline);

#endif /* DNS_SIGNDIR_H */
