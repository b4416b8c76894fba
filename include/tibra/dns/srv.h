/*
 * dns/srv.h -- the DNS service core: everything a DNS server decides,
 * shared by every driver.  A driver only moves bytes and time:
 *
 *   tibra-dnsd (app/dnsd: threads, recvmmsg/sendmmsg, epoll) --+
 *                                                             +--> dns_srv_*
 *   the unikernel app (app/dnsd/guest: stack.h, one thread) ---+    dns_tcp_*
 *
 * Inbound datagrams go through dns_srv_udp(): bytes, the peer and the
 * time in, response bytes out (or nothing: a counted drop).  A TCP
 * connection is a struct dns_tcp session (RFC 7766): the driver reads
 * into the buffer the session names, reports what it read, writes out
 * what the session has produced and reports what was sent; the session
 * frames, answers pipelined queries in order, applies back-pressure,
 * limits and timeouts, and says when to close.  No call blocks, none
 * allocates, none knows about sockets: the core is tested with fake
 * peers and a fake clock (tests/unit/test_srv.c).
 *
 * Time is monotonic nanoseconds (plat.h's tb_clock_monotonic() in a
 * guest, CLOCK_MONOTONIC in tibra-dnsd).  Zone sets are published by the
 * driver (struct dns_srv.zs: an RCU swap in tibra-dnsd, a plain store in a
 * guest); the core reads the pointer once per message.
 *
 * Later protocols (transfers, NOTIFY, UPDATE, TSIG, the resolver) enter
 * through the same calls: a TCP session then streams several messages for
 * one request (the driver keeps pulling dns_tcp_output()), and outbound
 * work is polled with a deadline, the shape lib/net has.
 */
#ifndef DNS_SRV_H
#define DNS_SRV_H

#include <tibra/dns.h>
#include <tibra/dns/auth.h>

/* Largest query accepted: over UDP (a longer datagram is dropped and
 * counted) and over TCP (a longer length prefix closes the connection). */
#define DNS_SRV_QUERY_MAX 4096
/* Buffers a TCP session needs, owned by the driver (pools, no malloc). */
#define DNS_TCP_RBUF (2 + DNS_SRV_QUERY_MAX)
#define DNS_TCP_WBUF (2 + DNS_MSG_MAXLEN + 4096)

/* Settings from the service file, shared read-only by every session. */
struct dns_srv_conf {
    uint64_t tcp_idle_ns; /* RFC 7766 6.2.3: close after this long with no
                             complete message in or answer out; 0 = never */
    uint32_t tcp_max_queries; /* answers per connection, 0 = no limit */
};

/* Query types counted one by one; every other type counts as OTHER. */
enum dns_srv_qt {
    DNS_SRV_QT_A,
    DNS_SRV_QT_NS,
    DNS_SRV_QT_CNAME,
    DNS_SRV_QT_SOA,
    DNS_SRV_QT_PTR,
    DNS_SRV_QT_MX,
    DNS_SRV_QT_TXT,
    DNS_SRV_QT_AAAA,
    DNS_SRV_QT_SRV,
    DNS_SRV_QT_DS,
    DNS_SRV_QT_DNSKEY,
    DNS_SRV_QT_HTTPS,
    DNS_SRV_QT_ANY,
    DNS_SRV_QT_AXFR,
    DNS_SRV_QT_IXFR,
    DNS_SRV_QT_OTHER,
    DNS_SRV_QT_COUNT
};

/*
 * Counters, one set per driver thread (no locking); drivers sum them
 * with dns_srv_stats_add().  Every message received is counted once in
 * (udp) or (tcp); responses by RCODE are in (auth).
 */
struct dns_srv_stats {
    struct dns_auth_stats auth; /* responses by rcode, TC, engine drops */
    uint64_t udp, tcp; /* queries received, by transport */
    uint64_t qtype[DNS_SRV_QT_COUNT]; /* queries whose question parsed */
    /* drops, by reason */
    uint64_t drop_udp_size; /* datagram over DNS_SRV_QUERY_MAX */
    uint64_t drop_tcp_len; /* length prefix < 12 or > QUERY_MAX: closed */
    /* TCP connections */
    uint64_t tcp_open; /* sessions opened (accepted) */
    uint64_t tcp_refused; /* not accepted: connection limit (driver) */
    uint64_t tcp_idle; /* closed by the idle timeout */
    uint64_t tcp_limit; /* closed after tcp_max_queries answers */
};

/* One service core per driver thread: caller-placed, fields public. */
struct dns_srv {
    const struct dns_zoneset *zs; /* published by the driver; NOT NULL */
    const struct dns_srv_conf *conf; /* NOT NULL */
    struct dns_srv_stats st;
};

/* Sets (s) up over (zs) and (conf) (both kept, not copied), counters 0. */
TB_API void dns_srv_init(struct dns_srv *s, const struct dns_zoneset *zs,
                         const struct dns_srv_conf *conf);

/*
 * Answers one datagram (q, qlen) from (peer) (MAY be NULL) received at
 * (now) into (resp, cap) and returns the response length, or 0 when
 * nothing must be sent (counted: a datagram over DNS_SRV_QUERY_MAX bytes,
 * or what dns_auth_answer() drops).  (qlen) is the datagram's real length
 * (the driver MAY have kept only its first DNS_SRV_QUERY_MAX bytes when
 * it is longer).  (cap) SHOULD be at least the service's udp-size.
 */
TB_API size_t dns_srv_udp(struct dns_srv *s, const struct tb_addr *peer,
                          const uint8_t *q, size_t qlen, uint8_t *resp,
                          size_t cap, uint64_t now);

/* Adds (x) into (sum). */
TB_API void dns_srv_stats_add(struct dns_srv_stats *sum,
                              const struct dns_srv_stats *x);

/*
 * Writes (st) as text into (buf, cap) with a NUL: a few lines of
 * "key value" pairs, the same on every driver (tibra-dnsd logs them, a
 * guest prints them on its console when asked to stop).  Returns the
 * length (without the NUL), truncated to cap - 1.
 */
TB_API size_t dns_srv_stats_text(const struct dns_srv_stats *st, char *buf,
                                 size_t cap);

/* The name of query-type counter (i) ("A", ..., "other"). */
TB_API const char *dns_srv_qt_name(unsigned i);

/* ---- TCP sessions (RFC 7766) -------------------------------------------
 *
 * A driver's loop for one connection, until it would block:
 *
 *     while ((n = dns_tcp_output(t, &p)) > 0)         // answers to send
 *         if ((w = write(p, n)) > 0) dns_tcp_sent(t, w, now); else break;
 *     if ((n = dns_tcp_rspace(t, &p)) > 0)            // room to read
 *         r = read(p, n): r > 0 ? dns_tcp_received(t, r, now)
 *                       : r == 0 ? dns_tcp_eof(t, now) : (would block)
 *     if (dns_tcp_done(t)) close;
 *
 * and, on its timer, dns_tcp_expire(t, now) at dns_tcp_deadline(t).
 * While answers wait to be sent and there is no room for another
 * maximum-size answer, dns_tcp_rspace() returns 0: reading stops and the
 * peer's TCP window stops the peer (back-pressure, no unbounded queue).
 */
struct dns_tcp {
    /* private */
    struct dns_srv *srv;
    uint8_t *rbuf, *wbuf;
    uint32_t rlen; /* rbuf: [0, rlen) received, not yet answered */
    uint32_t woff, wlen; /* wbuf: [woff, wlen) not yet sent */
    uint32_t answered;
    uint8_t state; /* DNS_TCP_S_* (srv.c) */
    uint64_t last; /* time of the last complete message in or out */
    struct tb_addr peer;
};

/*
 * Starts session (t) for a connection from (peer) (MAY be NULL) accepted
 * at (now), answering through (s), with the driver's buffers (rbuf)
 * (DNS_TCP_RBUF bytes) and (wbuf) (DNS_TCP_WBUF bytes), which MUST stay
 * valid until the connection is closed.  Counts stats.tcp_open.
 */
TB_API void dns_tcp_open(struct dns_tcp *t, struct dns_srv *s,
                         const struct tb_addr *peer, uint8_t *rbuf,
                         uint8_t *wbuf, uint64_t now);

/*
 * Where the driver may read the next bytes: sets (*p) and returns how
 * many may be written there, or 0 if nothing must be read now
 * (back-pressure, end of input, or the session is done).
 */
TB_API size_t dns_tcp_rspace(struct dns_tcp *t, uint8_t **p);

/* (n) bytes were read into the space dns_tcp_rspace() gave (n > 0 and
 * not more than it returned).  Answers every complete query it can. */
TB_API void dns_tcp_received(struct dns_tcp *t, size_t n, uint64_t now);

/* The peer closed its side: what is complete is still answered, then
 * the session is done. */
TB_API void dns_tcp_eof(struct dns_tcp *t, uint64_t now);

/* Sets (*p) to the bytes waiting to be sent and returns their count
 * (0: nothing to send). */
TB_API size_t dns_tcp_output(struct dns_tcp *t, const uint8_t **p);

/* (n) bytes of the output were accepted by the transport (n not more
 * than dns_tcp_output() returned).  Answers queries that waited for room. */
TB_API void dns_tcp_sent(struct dns_tcp *t, size_t n, uint64_t now);

/* True when the connection must be closed now: a framing error, a
 * timeout, or end of input (EOF, query limit) with every answer sent. */
TB_API bool dns_tcp_done(const struct dns_tcp *t);

/* When dns_tcp_expire() must be called (UINT64_MAX: no timeout). */
TB_API uint64_t dns_tcp_deadline(const struct dns_tcp *t);

/* Checks the timeouts at (now); returns true (and counts it) if the
 * session timed out: then dns_tcp_done() is true and the driver closes. */
TB_API bool dns_tcp_expire(struct dns_tcp *t, uint64_t now);

#endif /* DNS_SRV_H */
