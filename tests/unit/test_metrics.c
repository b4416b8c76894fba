/*
 * test_metrics.c -- the Prometheus text (lib/dns/metrics.c) and the HTTP
 * responder (lib/dns/http.c): every family with HELP and TYPE, samples
 * with their values, label escaping, truncation reported; requests fed
 * whole and byte by byte, every status (200, HEAD, 400 variants, 404,
 * 405, 431, 500, 505), partial sends, EOF and the timeout.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include <tibra/dns/metrics.h>

#define SEC 1000000000ull

static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

static void text_counters(void)
{
    static char buf[16384];
    struct dns_srv_stats st;
    struct dns_metrics_zone z[2] = {
        {"example.org.", 2024010101, true, 1700000000},
        {"we\\\"ird\\.\n", 7, true, 0},
    };
    size_t n;

    memset(&st, 0, sizeof(st));
    st.udp = 5;
    st.tcp = 2;
    st.auth.qtype[0] = 4; /* A */
    st.auth.qtype[DNS_QT_COUNT - 1] = 3; /* other */
    st.auth.noerror = 6;
    st.auth.nxdomain = 1;
    st.drop_udp_size = 9;
    st.tcp_open = 2;
    st.rrl_slip = 11;
    st.cookie = 12;
    st.cookie_badcookie = 13;
    n = dns_metrics_text(&st, z, 2, buf, sizeof(buf));
    CHECK(n > 0 && n < sizeof(buf));
    CHECK_EQ(strlen(buf), n);
    CHECK(buf[n - 1] == '\n');
    CHECK(has_line(buf, "# TYPE tibra_dns_queries_total counter"));
    CHECK(has_line(buf, "tibra_dns_queries_total{transport=\"udp\"} 5"));
    CHECK(has_line(buf, "tibra_dns_queries_total{transport=\"tcp\"} 2"));
    CHECK(has_line(buf, "tibra_dns_query_types_total{type=\"A\"} 4"));
    CHECK(has_line(buf, "tibra_dns_query_types_total{type=\"AAAA\"} 0"));
    CHECK(has_line(buf, "tibra_dns_query_types_total{type=\"other\"} 3"));
    CHECK(has_line(buf, "tibra_dns_responses_total{rcode=\"NOERROR\"} 6"));
    CHECK(has_line(buf, "tibra_dns_responses_total{rcode=\"NXDOMAIN\"} 1"));
    CHECK(has_line(buf, "tibra_dns_drops_total{reason=\"udp_size\"} 9"));
    CHECK(has_line(buf, "tibra_dns_tcp_connections_total{event=\"accepted\"} "
                        "2"));
    CHECK(has_line(buf, "tibra_dns_rrl_slipped_total 11"));
    CHECK(has_line(buf, "tibra_dns_cookie_queries_total 12"));
    CHECK(has_line(buf, "tibra_dns_cookies_total{result=\"badcookie\"} 13"));
    CHECK(has_line(buf, "# TYPE tibra_dns_zone_serial gauge"));
    CHECK(has_line(buf, "tibra_dns_zone_serial{zone=\"example.org.\"} "
                        "2024010101"));
    CHECK(has_line(buf, "tibra_dns_zone_load_time_seconds{zone=\"example."
                        "org.\"} 1700000000"));
    /* backslash, quote and newline escaped; no load time for 0 */
    CHECK(has_line(buf, "tibra_dns_zone_serial{zone=\"we\\\\\\\"ird\\\\.\\n\"} "
                        "7"));
    CHECK(strstr(buf, "load_time_seconds{zone=\"we") == NULL);
    /* every sample's family was announced before it */
    for (const char *p = buf; *p; p = strchr(p, '\n') + 1) {
        if (*p != '#') {
            char fam[64], type[80];
            size_t k = strcspn(p, "{ ");
            REQUIRE(k < sizeof(fam));
            memcpy(fam, p, k);
            fam[k] = '\0';
            snprintf(type, sizeof(type), "# TYPE %s ", fam);
            const char *t = strstr(buf, type);
            CHECK(t != NULL && t < p);
        }
    }
    CHECK(dns_metrics_text_max(2) >= n);

    /* truncated: the length needed is still returned, buf NUL-ended */
    char small[100];
    memset(small, 'x', sizeof(small));
    CHECK_EQ(dns_metrics_text(&st, z, 2, small, sizeof(small)), n);
    CHECK_EQ(strlen(small), sizeof(small) - 1);
    CHECK_EQ(dns_metrics_text(&st, z, 2, NULL, 0), n);
    /* no zones: no zone families */
    n = dns_metrics_text(&st, NULL, 0, buf, sizeof(buf));
    CHECK(strstr(buf, "zone_serial") == NULL);
}

/* Every counter of struct dns_srv_stats is exported: each field gets a
 * value of its own and must appear as a sample's value.  A counter added
 * to srv.h without a family in metrics.c fails here (not the build). */
static void every_counter(void)
{
    static char buf[32768];
    struct dns_srv_stats st;
    uint64_t v[sizeof(st) / 8];
    size_t nf = sizeof(st) / 8;
    /* dns_auth_stats.queries ("every call") is udp + tcp: not a series. */
    size_t skip = offsetof(struct dns_auth_stats, queries) / 8;

    _Static_assert(sizeof(st) % 8 == 0, "counters only");
    for (size_t i = 0; i < nf; i++)
        v[i] = 9000000 + i;
    memcpy(&st, v, sizeof(st));
    REQUIRE(dns_metrics_text(&st, NULL, 0, buf, sizeof(buf)) < sizeof(buf));
    for (size_t i = 0; i < nf; i++) {
        char want[32];
        if (i == skip)
            continue;
        snprintf(want, sizeof(want), "} %llu\n", (unsigned long long)v[i]);
        bool found = strstr(buf, want) != NULL;
        snprintf(want, sizeof(want), " %llu\n", (unsigned long long)v[i]);
        found = found || strstr(buf, want) != NULL;
        if (!found)
            fprintf(stderr,
                    "counter %zu of struct dns_srv_stats (byte %zu) "
                    "is not in the metrics\n",
                    i, i * 8);
        CHECK(found);
    }
}

/* The same for the resolver: every field of struct dns_res_stats and of
 * struct dns_cache_stats is a sample, within DNS_METRICS_RES_TEXT_MAX. */
static void every_res_counter(void)
{
    static char buf[DNS_METRICS_RES_TEXT_MAX];
    struct dns_res_stats st;
    struct dns_cache_stats cs;
    uint64_t v[sizeof(st) / 8 + sizeof(cs) / 8];
    size_t nf = TB_ARRAY_SIZE(v);

    _Static_assert(sizeof(st) % 8 == 0 && sizeof(cs) % 8 == 0, "counters only");
    for (size_t i = 0; i < nf; i++)
        v[i] = 18446744073709551615ull - i; /* the widest numbers */
    memcpy(&st, v, sizeof(st));
    memcpy(&cs, v + sizeof(st) / 8, sizeof(cs));
    REQUIRE(dns_metrics_res_text(&st, &cs, buf, sizeof(buf)) < sizeof(buf));
    for (size_t i = 0; i < nf; i++) {
        char want[32];
        snprintf(want, sizeof(want), " %llu\n", (unsigned long long)v[i]);
        bool found = strstr(buf, want) != NULL;
        if (!found)
            fprintf(stderr,
                    "counter %zu of the resolver's stats is not in "
                    "the metrics\n",
                    i);
        CHECK(found);
    }
    CHECK(strstr(buf, "# TYPE tibra_resolver_inflight gauge\n") != NULL);
    CHECK_EQ(dns_metrics_res_text(&st, &cs, NULL, 0), strlen(buf));
}

/* ---- HTTP ----------------------------------------------------------- */

static uint8_t out[DNS_HTTP_HEAD_ROOM + 4096];
static struct dns_http h;
static char resp[8192];

/* Feeds (req) in pieces of (step) bytes; renders "hello\n" when asked;
 * collects the response in resp (sent in pieces of (wstep)). */
static void exchange(const char *req, size_t len, size_t step, size_t wstep)
{
    uint8_t *p;
    size_t off = 0, n, rl = 0;

    dns_http_open(&h, out, sizeof(out), 0, 10 * SEC);
    while (off < len && (n = dns_http_rspace(&h, &p)) > 0) {
        n = TB_MIN(n, TB_MIN(step, len - off));
        memcpy(p, req + off, n);
        dns_http_received(&h, n);
        off += n;
    }
    size_t cap;
    if (dns_http_want_body(&h, &p, &cap)) {
        CHECK(cap == sizeof(out) - DNS_HTTP_HEAD_ROOM);
        memcpy(p, "hello\n", 6);
        dns_http_body(&h, 6);
    }
    const uint8_t *o;
    while ((n = dns_http_output(&h, &o)) > 0) {
        n = TB_MIN(n, wstep);
        REQUIRE(rl + n < sizeof(resp));
        memcpy(resp + rl, o, n);
        rl += n;
        dns_http_sent(&h, n);
    }
    resp[rl] = '\0';
}

static unsigned status_of(const char *req)
{
    exchange(req, strlen(req), 4096, 4096);
    unsigned st = dns_http_status(&h);
    unsigned line = 0;
    sscanf(resp, "HTTP/1.0 %u ", &line);
    CHECK_EQ(line, st);
    CHECK(dns_http_done(&h));
    return st;
}

static void http_ok(void)
{
    static const char want[] = "HTTP/1.0 200 OK\r\n"
                               "Content-Type: text/plain; version=0.0.4; "
                               "charset=utf-8\r\n"
                               "Content-Length: 6\r\n"
                               "Connection: close\r\n\r\nhello\n";
    const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                      "User-Agent: Prometheus/2.45.3\r\n"
                      "Accept: text/plain;version=0.0.4\r\n\r\n";

    exchange(req, strlen(req), 4096, 4096);
    CHECK_STR(resp, want);
    CHECK(dns_http_done(&h));
    /* byte by byte in, byte by byte out: the same */
    exchange(req, strlen(req), 1, 1);
    CHECK_STR(resp, want);
    /* HTTP/1.0 without Host, bare LF, empty lines first, a query string */
    CHECK_EQ(status_of("\r\n\nGET /metrics?x=1 HTTP/1.0\n\n"), 200);
    CHECK(strstr(resp, "\r\n\r\nhello\n") != NULL);
    /* HEAD: the same head, no body */
    CHECK_EQ(status_of("HEAD /metrics HTTP/1.0\r\n\r\n"), 200);
    CHECK(strstr(resp, "Content-Length: 6\r\n") != NULL);
    CHECK(strstr(resp, "hello") == NULL);
    /* bytes after the head are not read */
    exchange("GET /metrics HTTP/1.0\r\n\r\nGET /x", 31, 4096, 4096);
    CHECK_EQ(dns_http_status(&h), 200);
}

static void http_errors(void)
{
    CHECK_EQ(status_of("GET / HTTP/1.0\r\n\r\n"), 404);
    CHECK_EQ(status_of("GET /metricsx HTTP/1.0\r\n\r\n"), 404);
    CHECK_EQ(status_of("POST /metrics HTTP/1.0\r\n\r\n"), 405);
    CHECK(strstr(resp, "Allow: GET, HEAD\r\n") != NULL);
    CHECK_EQ(status_of("GET /metrics HTTP/2.0\r\n\r\n"), 505);
    CHECK_EQ(status_of("GET /metrics HTTP/1.1\r\n\r\n"), 400); /* no Host */
    CHECK_EQ(status_of("GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
             400);
    CHECK_EQ(status_of("GET /metrics HTTP/1.0\r\nHost : a\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET /metrics HTTP/1.0\r\nA: b\r\n c\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET /metrics HTTP/1.0\r\nA: b\rc\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET /metrics HTTP/1.0\r\nA: \x01\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET  /metrics HTTP/1.0\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET /metrics HTTP/1.0 \r\n\r\n"), 400);
    CHECK_EQ(status_of("GET http://a/metrics HTTP/1.0\r\n\r\n"), 400);
    CHECK_EQ(status_of("GET /metrics http/1.0\r\n\r\n"), 400);
    CHECK_EQ(status_of("G@T /metrics HTTP/1.0\r\n\r\n"), 400);
    /* a head that does not end within the limit */
    static char big[DNS_HTTP_REQ_MAX + 100];
    memcpy(big, "GET /metrics HTTP/1.0\r\nX: ", 26);
    memset(big + 26, 'a', sizeof(big) - 26);
    exchange(big, sizeof(big), 1000, 4096);
    CHECK_EQ(dns_http_status(&h), 431);
    CHECK(strncmp(resp, "HTTP/1.0 431 ", 13) == 0);
}

static void http_session(void)
{
    uint8_t *p;
    size_t cap;
    const uint8_t *o;

    /* EOF before anything: done, nothing sent */
    dns_http_open(&h, out, sizeof(out), 0, 10 * SEC);
    dns_http_eof(&h);
    CHECK(dns_http_done(&h));
    CHECK_EQ(dns_http_output(&h, &o), 0);
    /* EOF mid-request: 400 */
    dns_http_open(&h, out, sizeof(out), 0, 10 * SEC);
    REQUIRE(dns_http_rspace(&h, &p) == DNS_HTTP_REQ_MAX);
    memcpy(p, "GET /met", 8);
    dns_http_received(&h, 8);
    dns_http_eof(&h);
    CHECK_EQ(dns_http_status(&h), 400);
    CHECK(dns_http_output(&h, &o) > 0);
    /* the timeout: at the deadline, not before */
    dns_http_open(&h, out, sizeof(out), 5 * SEC, 10 * SEC);
    CHECK_EQ(dns_http_deadline(&h), 15 * SEC);
    CHECK(!dns_http_expire(&h, 15 * SEC - 1));
    CHECK(dns_http_expire(&h, 15 * SEC));
    CHECK(dns_http_done(&h));
    CHECK_EQ(dns_http_rspace(&h, &p), 0);
    CHECK_EQ(dns_http_deadline(&h), UINT64_MAX);
    /* a body larger than the buffer: 500 */
    dns_http_open(&h, out, sizeof(out), 0, 10 * SEC);
    REQUIRE(dns_http_rspace(&h, &p) > 0);
    memcpy(p, "GET /metrics HTTP/1.0\r\n\r\n", 25);
    dns_http_received(&h, 25);
    CHECK_EQ(dns_http_rspace(&h, &p), 0);
    REQUIRE(dns_http_want_body(&h, &p, &cap));
    dns_http_body(&h, cap + 1);
    CHECK_EQ(dns_http_status(&h), 500);
    CHECK(!dns_http_want_body(&h, &p, &cap));
    size_t n = dns_http_output(&h, &o);
    CHECK(n > 0 && memcmp(o, "HTTP/1.0 500 ", 13) == 0);
    dns_http_sent(&h, n);
    CHECK(dns_http_done(&h));
}

int main(void)
{
    RUN(text_counters);
    RUN(every_counter);
    RUN(every_res_counter);
    RUN(http_ok);
    RUN(http_errors);
    RUN(http_session);
    return check_done();
}
