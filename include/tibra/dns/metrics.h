/*
 * dns/metrics.h -- the service core's counters for Prometheus, and the
 * tiny HTTP responder that serves them: written once, shared by every
 * driver (tibra-dnsd on its `metrics` address, the unikernel app on a
 * port of its own address).
 *
 *   struct dns_srv_stats + zone serials --dns_metrics_text--> text 0.0.4
 *   TCP bytes --dns_http_received--> request parsed --dns_http_body-->
 *     response --dns_http_output--> TCP bytes, then close
 *
 * Sans-I/O like srv.h's TCP sessions: the driver reads into the span
 * dns_http_rspace() names, reports what it read, renders the body into
 * the span dns_http_want_body() names when the request asks for
 * /metrics, writes what dns_http_output() names and closes when
 * dns_http_done() says so.  The request is an untrusted decoder input:
 * at most DNS_HTTP_REQ_MAX bytes, one request per connection (HTTP/1.0
 * semantics: the response ends with the connection), and the whole
 * exchange bounded by the timeout given at open (tests/fuzz/fuzz_http.c).
 */
#ifndef DNS_METRICS_H
#define DNS_METRICS_H

#include <tibra/dns/res.h>
#include <tibra/dns/srv.h>

/* ---- the text exposition format ----------------------------------------
 *
 * Prometheus text format 0.0.4: "# HELP" and "# TYPE" lines, then one
 * sample per line.  Every counter of struct dns_srv_stats appears, always
 * (a zero is a sample too: rate() needs the series before it moves):
 *
 *   tibra_dns_queries_total{transport="udp|tcp"}       counter
 *   tibra_dns_query_types_total{type="A|...|other"}    counter
 *   tibra_dns_responses_total{rcode="NOERROR|..."}     counter
 *   tibra_dns_responses_truncated_total                counter
 *   tibra_dns_drops_total{reason="..."}                counter
 *   tibra_dns_tcp_connections_total{event="..."}       counter
 *   tibra_dns_rrl_slipped_total                        counter
 *   tibra_dns_cookie_queries_total                     counter
 *   tibra_dns_cookies_total{result="new|valid|..."}    counter
 *   tibra_dns_xfr_total{kind="axfr|ixfr|ixfr_current"} counter
 *   tibra_dns_xfr_{denied,cut,messages}_total          counter
 *   tibra_dns_zone_serial{zone="example.org."}         gauge
 *   tibra_dns_zone_load_time_seconds{zone="..."}       gauge (Unix time)
 */

/* A zone as the driver serves it, for the zone gauges. */
struct dns_metrics_zone {
    const char *name; /* presentation form with the final dot, NUL-ended */
    uint32_t serial;
    bool loaded; /* false: not served (failed to load): no serial sample */
    int64_t load_time; /* Unix seconds the served version was loaded;
                          0: unknown (no load-time sample) */
};

/*
 * Writes (st) and the (nz) zones of (z) (MAY be NULL when nz is 0) as
 * Prometheus text into (buf, cap) with a NUL.  Returns the length the
 * whole text needs (without the NUL): when it is >= (cap), (buf) holds a
 * truncated text that MUST NOT be served.  Label values are escaped
 * (backslash, double quote, newline) as the format requires.
 */
TB_API size_t dns_metrics_text(const struct dns_srv_stats *st,
                               const struct dns_metrics_zone *z, size_t nz,
                               char *buf, size_t cap);

/*
 * The resolver's counters (dns/res.h), summed over the driver's
 * resolvers and caches, as Prometheus text into (buf, cap) with a NUL,
 * to append to dns_metrics_text()'s: every field of struct
 * dns_res_stats and struct dns_cache_stats, always --
 *
 *   tibra_resolver_{queries,refused,cache_hits,cache_misses,
 *     resolutions,busy,servfail,limit,ratelimited}_total   counter
 *   tibra_resolver_inflight                         gauge
 *   tibra_resolver_upstream_queries_total{transport}  counter
 *   tibra_resolver_upstream_replies_total{result}     counter
 *   tibra_resolver_upstream_{timeouts,held_down,lame}_total counter
 *   tibra_resolver_out_of_bailiwick_total           counter
 *   tibra_resolver_cache_{entries,bytes}            gauge
 *   tibra_resolver_cache_events_total{event}        counter
 *
 * Returns the length the whole text needs (as dns_metrics_text());
 * DNS_METRICS_RES_TEXT_MAX always suffices.
 */
#define DNS_METRICS_RES_TEXT_MAX 8192
TB_API size_t dns_metrics_res_text(const struct dns_res_stats *st,
                                   const struct dns_cache_stats *cs, char *buf,
                                   size_t cap);

/* Bytes dns_metrics_text() needs at most for (nz) zones whose names are
 * at most DNS_NAME_TEXT_MAX long (a safe size for a fixed buffer). */
TB_API size_t dns_metrics_text_max(size_t nz);

/* ---- the HTTP responder -------------------------------------------------
 *
 * Answers one request per connection: GET (or HEAD) /metrics (a query
 * string is ignored) with 200 and the body the driver renders; another
 * path 404, another method 405, a version other than HTTP/1.0 or 1.1
 * 505, a request not ending its head within DNS_HTTP_REQ_MAX bytes 431,
 * anything malformed 400 (RFC 9112 3, 5).  The response is always
 * "HTTP/1.0 ..." with Content-Length and "Connection: close", and the
 * connection is closed after it.  The driver's output buffer holds
 * DNS_HTTP_HEAD_ROOM bytes of status line and headers before the body,
 * so the body is rendered in place, never copied.
 */
#define DNS_HTTP_REQ_MAX      4096 /* request line + headers, bytes */
#define DNS_HTTP_HEAD_ROOM    256 /* bytes before the body in the output */
#define DNS_HTTP_TIMEOUT_NS   (10ull * 1000000000u) /* a sane default */
#define DNS_HTTP_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* One connection: caller-placed, fields private. */
struct dns_http {
    /* private */
    uint8_t req[DNS_HTTP_REQ_MAX];
    uint32_t rlen; /* req: [0, rlen) received */
    uint8_t *out; /* the driver's buffer */
    size_t ocap;
    size_t ooff, oend; /* out: [ooff, oend) not yet sent */
    uint16_t status; /* 0 while reading */
    uint8_t state; /* DNS_HTTP_S_* (http.c) */
    bool head; /* HEAD: headers only */
    uint64_t deadline;
};

/*
 * Starts (h) for a connection accepted at (now) that must be done by
 * (now + timeout_ns), writing its response into (out, ocap), which MUST
 * stay valid until the connection is closed and SHOULD hold
 * DNS_HTTP_HEAD_ROOM + the largest body (ocap >= DNS_HTTP_HEAD_ROOM + 64
 * at least, for the error responses).
 */
TB_API void dns_http_open(struct dns_http *h, uint8_t *out, size_t ocap,
                          uint64_t now, uint64_t timeout_ns);

/* Where the driver may read the next bytes: sets (*p) and returns how
 * many (0: read nothing now -- the request is complete or refused). */
TB_API size_t dns_http_rspace(struct dns_http *h, uint8_t **p);

/* (n) bytes were read into the span dns_http_rspace() gave (n > 0, not
 * more than it returned): parses the request once its head is complete. */
TB_API void dns_http_received(struct dns_http *h, size_t n);

/* The peer closed its side: an incomplete request gets 400 (and a peer
 * that sent nothing gets nothing: the session is done). */
TB_API void dns_http_eof(struct dns_http *h);

/*
 * True when the request asked for /metrics and the body is wanted: sets
 * (*p, *cap) to where the driver MUST render it, then call
 * dns_http_body().  False otherwise.
 */
TB_API bool dns_http_want_body(struct dns_http *h, uint8_t **p, size_t *cap);

/* The body is the first (len) bytes of the span dns_http_want_body()
 * gave; (len) > its cap means it did not fit: 500 is sent instead. */
TB_API void dns_http_body(struct dns_http *h, size_t len);

/* Sets (*p) to the response bytes waiting to be sent; returns their
 * count (0: nothing now). */
TB_API size_t dns_http_output(struct dns_http *h, const uint8_t **p);

/* (n) bytes of the output were accepted (not more than offered). */
TB_API void dns_http_sent(struct dns_http *h, size_t n);

/* True when the connection must be closed: the response is sent, the
 * peer left without a request, or the timeout passed. */
TB_API bool dns_http_done(const struct dns_http *h);

/* The status decided (200, 400, ...), 0 while the request is read. */
TB_API unsigned dns_http_status(const struct dns_http *h);

/* When dns_http_expire() must be called. */
TB_API uint64_t dns_http_deadline(const struct dns_http *h);

/* Checks the timeout at (now); returns true when it passed (then
 * dns_http_done() is true and the driver closes). */
TB_API bool dns_http_expire(struct dns_http *h, uint64_t now);

#endif /* DNS_METRICS_H */
