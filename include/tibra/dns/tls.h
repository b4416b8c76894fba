/*
 * dns/tls.h -- DNS over TLS (RFC 7858): a TLS 1.2 layer in the sans-I/O
 * shape of the rest of lib/dns, over BearSSL's engine (libbearssl-dev;
 * BearSSL has no TLS 1.3).  A session takes ciphertext bytes from the
 * driver and gives ciphertext bytes back; the plaintext in between is
 * DNS over TCP, handled by the same session objects as plain TCP:
 *
 *   socket -> dns_tls_rspace/received -> engine -> dns_tls_pump_tcp ->
 *     struct dns_tcp (srv.c: framing, pipelining, limits, timeouts) ->
 *   dns_tls_pump_tcp -> engine -> dns_tls_output/sent -> socket
 *
 * No call blocks, allocates (after the cold-path loaders) or reads a
 * clock: the driver passes the time, the randomness and the buffers.
 * Credentials (certificate chain and private key, RSA or ECDSA, PEM) and
 * trust anchors (CA certificates, PEM) are read by the driver at run time
 * and parsed once here; they are never part of an image.
 *
 * Only TLS 1.2 with ECDHE key exchange and AEAD suites (AES-GCM,
 * ChaCha20-Poly1305) is offered: forward secrecy, no CBC.
 */
#ifndef DNS_TLS_H
#define DNS_TLS_H

#include <tibra/dns.h>

/* Bytes of a session (struct dns_tls) and of its record buffer (both
 * directions at once: pipelined answers go out while queries come in;
 * BearSSL's BR_SSL_BUFSIZE_BIDI). */
#define DNS_TLS_SESSION_SIZE 8192
#define DNS_TLS_IOBUF        33178
#define DNS_TLS_SEED_LEN     32 /* entropy given to each session */
#define DNS_TLS_NAME_MAX     255 /* authentication name of a server */

struct dns_tcp;
struct dns_tls_cred; /* a server's chain and key: opaque, read-only */
struct dns_tls_trust; /* CA certificates a client accepts: likewise */

/* A session: caller-placed, fields private.  MUST NOT be moved or copied
 * while open (BearSSL's contexts point into themselves). */
struct dns_tls {
    /* private */
    uint64_t u[DNS_TLS_SESSION_SIZE / 8];
};

/*
 * Parses a server's credentials: (cert, certlen), PEM with one or more
 * CERTIFICATE objects (the server's first, then its intermediates), and
 * (key, keylen), PEM with the private key (PKCS#8 "PRIVATE KEY", "RSA
 * PRIVATE KEY" or "EC PRIVATE KEY"; RSA or ECDSA).  On success (*out)
 * holds them (allocated from (a), kept for dns_tls_cred_free()) and 0 is
 * returned; else TB_EMALF (not PEM, no certificate, not a key, a
 * certificate BearSSL cannot decode), TB_ENOTSUP (a key of another
 * type), TB_EINVAL (the key is not the first certificate's), TB_ENOMEM,
 * with a short reason in (*why) (static text).  Cold path.
 */
TB_API int dns_tls_cred_load(struct dns_tls_cred **out, const char *cert,
                             size_t certlen, const char *key, size_t keylen,
                             const struct tb_alloc *a, const char **why);

/* The key type of (c): "RSA" or "ECDSA" (for logs). */
TB_API const char *dns_tls_cred_type(const struct dns_tls_cred *c);

/* Frees (c) (MAY be NULL), wiping the private key first. */
TB_API void dns_tls_cred_free(struct dns_tls_cred *c);

/*
 * Parses trust anchors: every CERTIFICATE in PEM text (pem, len) becomes
 * one CA a client session accepts (a chain from the server ending in a
 * certificate signed by one of them); certificates BearSSL cannot decode
 * are skipped (a system bundle), at most 1024 are kept.  Returns 0 with
 * them in (*out) (from (a)), TB_EMALF with (*why) (no certificate it can
 * decode, malformed PEM, more than 1024), TB_ENOMEM.  Cold path.
 */
TB_API int dns_tls_trust_load(struct dns_tls_trust **out, const char *pem,
                              size_t len, const struct tb_alloc *a,
                              const char **why);
TB_API void dns_tls_trust_free(struct dns_tls_trust *t);

/*
 * Opens server session (t) with credentials (c) (kept: they MUST outlive
 * the session), record buffer (iobuf) (DNS_TLS_IOBUF bytes, kept) and
 * (seed) (DNS_TLS_SEED_LEN random bytes, copied into its generator).
 * The client's ClientHello is the first thing it expects.
 */
TB_API void dns_tls_server_open(struct dns_tls *t, const struct dns_tls_cred *c,
                                uint8_t *iobuf, const uint8_t *seed);

/*
 * Opens client session (t) to a server whose certificate MUST be issued
 * (directly or through the chain it sends) by one of (tr) (kept) and
 * name (name) (NUL-terminated host name, copied, checked against the
 * certificate's subjectAltName DNS names or common name; RFC 7858 4.2
 * and RFC 8310 8: the authentication name), valid at (unix_s) (seconds
 * since the epoch), with (iobuf) and (seed) as a server's.  (tr) NULL:
 * opportunistic privacy (RFC 7858 4.1), no authentication at all.
 * Returns 0, or TB_EINVAL (a name too long).  The ClientHello is then
 * the first output.
 */
TB_API int dns_tls_client_open(struct dns_tls *t,
                               const struct dns_tls_trust *tr, const char *name,
                               int64_t unix_s, uint8_t *iobuf,
                               const uint8_t *seed);

/* ---- ciphertext: the driver's side -------------------------------- */

/* Where the next bytes from the network go: sets (*p) and returns how
 * many fit (0: none now -- plaintext waits for its reader, or closed). */
TB_API size_t dns_tls_rspace(struct dns_tls *t, uint8_t **p);
/* (n) bytes (0 < n <= what dns_tls_rspace() gave) were put there. */
TB_API void dns_tls_received(struct dns_tls *t, size_t n);
/* The bytes to send to the network (0: none now). */
TB_API size_t dns_tls_output(struct dns_tls *t, const uint8_t **p);
/* (n) of them were sent. */
TB_API void dns_tls_sent(struct dns_tls *t, size_t n);

/* ---- plaintext: the DNS session's side ---------------------------- */

/* Plaintext received and not yet consumed: its length, bytes in (*p). */
TB_API size_t dns_tls_app_input(struct dns_tls *t, const uint8_t **p);
TB_API void dns_tls_app_consumed(struct dns_tls *t, size_t n);
/* Room for plaintext to send: its length, where in (*p) (0: none now,
 * e.g. during the handshake or while records wait for the network). */
TB_API size_t dns_tls_app_space(struct dns_tls *t, uint8_t **p);
/* (n) bytes were written there (a record goes out when full). */
TB_API void dns_tls_app_written(struct dns_tls *t, size_t n);
/* What was written goes out now, in a record, partly full or not. */
TB_API void dns_tls_app_flush(struct dns_tls *t);

/* Sends close_notify (RFC 5246 7.2.1) after what is buffered. */
TB_API void dns_tls_close(struct dns_tls *t);

/* True once the handshake is complete (application data may flow). */
TB_API bool dns_tls_ready(struct dns_tls *t);
/* True when the session is over: closed by either side or failed. */
TB_API bool dns_tls_closed(struct dns_tls *t);
/* BearSSL's error code (0: none; a closed session without error ended
 * with close_notify). */
TB_API int dns_tls_error(struct dns_tls *t);

/*
 * The server side of RFC 7858 over the TCP session: moves plaintext
 * between (t) and DNS session (tcp) (dns/srv.h) both ways until neither
 * moves -- queries into the session as it has room (back-pressure: the
 * engine then takes no more ciphertext), answers into records as the
 * engine has room -- at (now).  A session (tcp) that is done gets
 * close_notify.  Call after every dns_tls_received() or dns_tls_sent().
 */
TB_API void dns_tls_pump_tcp(struct dns_tls *t, struct dns_tcp *tcp,
                             uint64_t now);

/*
 * True when the driver must close the connection of (t) and (tcp): the
 * TLS session is over, or (tcp) is done and every byte of (t) (the
 * answers, close_notify) has been given to the network.
 */
TB_API bool dns_tls_tcp_done(struct dns_tls *t, const struct dns_tcp *tcp);

/*
 * The same for a resolver's client connection (struct dns_res_conn,
 * dns/res.h; lib/dns/tls_res.c): moves plaintext between (t) and (c)
 * both ways until neither moves, at (now); the driver then takes the
 * queries read with dns_res_conn_next() as over plain TCP, and calls
 * this again once it has added answers; the answers moved wait in the
 * engine until the driver calls dns_tls_app_flush() (once a turn: many
 * answers in one record).  Returns true if anything moved.
 */
struct dns_res_conn;
TB_API bool dns_tls_pump_res(struct dns_tls *t, struct dns_res_conn *c,
                             uint64_t now);

/* True when the driver must close the connection of (t) and (c): the
 * TLS session is over, or (c) is done (dns_res_conn_done() at (now)
 * with (idle_ns)) and (t) has nothing left to send. */
TB_API bool dns_tls_res_done(struct dns_tls *t, const struct dns_res_conn *c,
                             uint64_t now, uint64_t idle_ns);

#endif /* DNS_TLS_H */
