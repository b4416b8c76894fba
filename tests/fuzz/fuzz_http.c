/*
 * fuzz_http.c -- the metrics HTTP responder (lib/dns/http.c) on an
 * arbitrary byte stream cut into arbitrary reads, with sends of
 * arbitrary sizes, EOF and the clock in between.  Input: one control
 * byte, then the stream.  Control bits 0-3: read size - 1 (1..16, or the
 * whole room when 15); bits 4-5: send size (1, 7, 100, all); bit 6: EOF
 * after the stream; bit 7: the body rendered is larger than the buffer.
 *
 * Invariants: the room offered never passes the request buffer; the
 * output is one response whose status line is "HTTP/1.0 NNN " with the
 * status dns_http_status() reports, whose Content-Length is the body
 * that follows (GET) or the body's length (HEAD), with the headers ended
 * by CR LF CR LF; a session always ends (done) by the deadline; no byte
 * outside the buffers is touched (ASan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tibra/dns/metrics.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static uint8_t out[DNS_HTTP_HEAD_ROOM + 512];
static uint8_t resp[sizeof(out) + 1];

static void check_response(const struct dns_http *h, size_t len, bool head)
{
    unsigned st = dns_http_status(h), code = 0;
    size_t clen = 0;
    const char *end, *cl;

    resp[len] = '\0';
    REQUIRE(st >= 200 && st <= 505);
    REQUIRE(sscanf((const char *)resp, "HTTP/1.0 %3u ", &code) == 1);
    REQUIRE(code == st);
    end = strstr((const char *)resp, "\r\n\r\n");
    REQUIRE(end != NULL);
    cl = strstr((const char *)resp, "\r\nContent-Length: ");
    REQUIRE(cl != NULL && cl < end);
    REQUIRE(sscanf(cl, "\r\nContent-Length: %zu", &clen) == 1);
    size_t body = len - (size_t)(end + 4 - (const char *)resp);
    if (head)
        REQUIRE(body == 0);
    else
        REQUIRE(body == clen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_http h;
    static const size_t sends[4] = {1, 7, 100, SIZE_MAX};
    uint64_t now = 0;
    size_t off = 1, rlen = 0;
    uint8_t ctl;

    if (size < 1)
        return 0;
    ctl = data[0];
    dns_http_open(&h, out, sizeof(out), now, 10);
    for (int guard = 0; guard < 100000 && !dns_http_done(&h); guard++) {
        uint8_t *p;
        size_t n = dns_http_rspace(&h, &p), cap;
        const uint8_t *o;

        if (n > 0 && off < size) {
            REQUIRE(p >= h.req && p + n == h.req + DNS_HTTP_REQ_MAX);
            size_t k = (ctl & 15) == 15 ? n : (size_t)(ctl & 15) + 1;
            k = k < n ? k : n;
            k = k < size - off ? k : size - off;
            memcpy(p, data + off, k);
            dns_http_received(&h, k);
            off += k;
            continue;
        }
        if (n > 0 && (ctl & 0x40)) {
            dns_http_eof(&h);
            continue;
        }
        if (dns_http_want_body(&h, &p, &cap)) {
            REQUIRE(p == out + DNS_HTTP_HEAD_ROOM &&
                    cap == sizeof(out) - DNS_HTTP_HEAD_ROOM);
            size_t blen = (ctl & 0x80) ? cap + 1 : cap / 2;
            if (blen <= cap)
                memset(p, 'm', blen);
            dns_http_body(&h, blen);
            continue;
        }
        if ((n = dns_http_output(&h, &o)) > 0) {
            size_t k = sends[(ctl >> 4) & 3];
            k = k < n ? k : n;
            REQUIRE(rlen + k <= sizeof(out));
            memcpy(resp + rlen, o, k);
            rlen += k;
            dns_http_sent(&h, k);
            continue;
        }
        /* nothing to do: time passes */
        now++;
        REQUIRE(now <= 11);
        dns_http_expire(&h, now);
    }
    REQUIRE(dns_http_done(&h));
    if (rlen > 0)
        check_response(&h, rlen, h.head);
    return 0;
}
