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
 * The credentials both servers use: the first call reads and parses (c)'s
 * tls-certificate and tls-key (PEM) and makes them current; later calls
 * give the current ones.  Returns 0 with them in (*out), or -1 after
 * logging FILE:LINE and what is wrong (also when this tibra-dnsd was
 * built without BearSSL).  Main thread.
 */
int dnsd_dot_cred(const struct svc_conf *c, struct dns_tls_cred **out);
/*
 * SIGHUP: reads (c)'s tls-certificate and tls-key again (the same paths
 * or new ones); when they parse, they are current for every connection
 * accepted from then on (those in progress keep theirs: credentials
 * replaced stay in memory until exit, at most 64 times, then a restart is
 * asked for).  Nothing to do without credentials in use.  Returns 0, or
 * -1 after logging why the ones in use are kept.  Main thread.
 */
int dnsd_dot_reload(const struct svc_conf *c);
/* "RSA" or "ECDSA", for logs. */
const char *dnsd_dot_cred_type(const struct dns_tls_cred *cred);
/* Releases a server's use of (cred) (MAY be NULL): kept till exit. */
void dnsd_dot_cred_free(struct dns_tls_cred *cred);
/* Opens server session (t) over the current credentials with record
 * buffer (iobuf), seeded from the kernel's generator.  False without
 * entropy or credentials.  Any thread. */
bool dnsd_dot_accept(struct dns_tls *t, uint8_t *iobuf);

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
