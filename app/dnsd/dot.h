/*
 * dot.h -- DNS over TLS in tibra-dnsd (app/dnsd/dot.c): what both of its
 * TLS servers share -- the authoritative workers (server.c, tls-listen)
 * and the resolver's (resolver.c, resolver: tls-listen).  The protocol
 * is lib/dns's (dns/tls.h); this reads the files and seeds sessions.
 */
#ifndef DNSD_DOT_H
#define DNSD_DOT_H

#include <tibra/dns/tls.h>
#include <tibra/svc.h>

/*
 * Reads and parses (c)'s tls-certificate and tls-key (PEM) into (*out).
 * Returns 0, or -1 after logging FILE:LINE and what is wrong (also when
 * this tibra-dnsd was built without BearSSL).
 */
int dnsd_dot_cred(const struct svc_conf *c, struct dns_tls_cred **out);
/* "RSA" or "ECDSA", for logs. */
const char *dnsd_dot_cred_type(const struct dns_tls_cred *cred);
/* Frees (cred) (MAY be NULL). */
void dnsd_dot_cred_free(struct dns_tls_cred *cred);
/* Opens server session (t) over (cred) with record buffer (iobuf),
 * seeded from the kernel's generator.  False without entropy. */
bool dnsd_dot_accept(struct dns_tls *t, const struct dns_tls_cred *cred,
                     uint8_t *iobuf);

/*
 * forward-tls: reads the CA certificates of tls-ca (path, PEM) into
 * (*out).  Returns 0, or -1 after logging what is wrong.
 */
int dnsd_dot_trust(const char *path, struct dns_tls_trust **out);
/* Frees (t) (MAY be NULL). */
void dnsd_dot_trust_free(struct dns_tls_trust *t);
/* Opens client session (t) to a server whose certificate (as of now)
 * must chain to (trust) and carry (name), with record buffer (iobuf),
 * seeded from the kernel's generator.  False if it cannot. */
bool dnsd_dot_connect(struct dns_tls *t, const struct dns_tls_trust *trust,
                      const char *name, uint8_t *iobuf);

#endif /* DNSD_DOT_H */
