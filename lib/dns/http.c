/*
 * http.c -- the tiny HTTP/1.0 responder behind every driver's metrics
 * port (dns/metrics.h): one request per connection, GET or HEAD
 * /metrics, the body rendered by the driver into the output buffer.
 *
 *   driver: read --> dns_http_received() -> head complete? -> parse
 *     -> 200: dns_http_want_body() / dns_http_body() -> headers in front
 *     -> else: an error response
 *   --> dns_http_output() --> write; dns_http_done() --> close
 *
 * The request is untrusted: it is parsed once, strictly (RFC 9112 2-5:
 * one SP between the parts of the request line, a token method, an
 * origin-form target, HTTP/1.0 or 1.1, field lines "name: value" with no
 * whitespace before the colon, no obs-fold, no control characters, Host
 * present once in 1.1), within DNS_HTTP_REQ_MAX bytes and the timeout
 * given at open.  What is not a request for /metrics gets its 4xx/5xx.
 * Deliberately absent: persistent connections, request bodies, chunked
 * encoding, compression -- a scraper needs none of them.  No I/O, no
 * clock, no allocation.
 */
#include <stdio.h>
#include <string.h>
#include <tibra/dns/metrics.h>

enum {
    DNS_HTTP_S_READ = 0, /* reading the request head */
    DNS_HTTP_S_BODY, /* 200: waiting for the driver's body */
    DNS_HTTP_S_WRITE, /* the response is in out[ooff, oend) */
    DNS_HTTP_S_DONE /* close now */
};

void dns_http_open(struct dns_http *h, uint8_t *out, size_t ocap, uint64_t now,
                   uint64_t timeout_ns)
{
    h->rlen = 0;
    h->out = out;
    h->ocap = ocap;
    h->ooff = h->oend = 0;
    h->status = 0;
    h->head = false;
    h->state = ALWAYS(ocap >= DNS_HTTP_HEAD_ROOM + 64) ? DNS_HTTP_S_READ
                                                       : DNS_HTTP_S_DONE;
    h->deadline = now > UINT64_MAX - timeout_ns ? UINT64_MAX : now + timeout_ns;
}

static const char *reason(unsigned status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    default:
        return "HTTP Version Not Supported"; /* 505 */
    }
}

/* Writes the status line and headers for a body of (blen) bytes into
 * (buf, cap); returns their length. */
static size_t head_text(unsigned status, const char *type, size_t blen,
                        char *buf, size_t cap)
{
    int n = snprintf(buf, cap,
                     "HTTP/1.0 %u %s\r\n"
                     "Content-Type: %s\r\n"
                     "Content-Length: %zu\r\n"
                     "%s"
                     "Connection: close\r\n"
                     "\r\n",
                     status, reason(status), type, blen,
                     status == 405 ? "Allow: GET, HEAD\r\n" : "");
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/* An error response: head and a one-line body, from the buffer's start. */
static void error_response(struct dns_http *h, unsigned status)
{
    char body[64];
    int blen = snprintf(body, sizeof(body), "%u %s\n", status, reason(status));
    size_t hl = head_text(status, "text/plain; charset=utf-8", (size_t)blen,
                          (char *)h->out, h->ocap);

    h->status = (uint16_t)status;
    if (hl == 0 || hl + (size_t)blen > h->ocap) {
        h->state = DNS_HTTP_S_DONE; /* cannot happen: ocap checked */
        return;
    }
    if (!h->head)
        memcpy(h->out + hl, body, (size_t)blen);
    h->ooff = 0;
    h->oend = hl + (h->head ? 0 : (size_t)blen);
    h->state = DNS_HTTP_S_WRITE;
}

/* RFC 9110 5.6.2 tchar. */
static bool is_tchar(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') ||
           (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static bool eq_nocase(const uint8_t *p, size_t len, const char *s)
{
    if (strlen(s) != len)
        return false;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (uint8_t)(c - 'A' + 'a');
        if (c != (uint8_t)s[i])
            return false;
    }
    return true;
}

/* The next line of [*p, end): its start in (*line), its length without
 * CR LF in (*len); (*p) moves past it.  Returns false for a CR not
 * followed by LF. */
static bool next_line(const uint8_t **p, const uint8_t *end,
                      const uint8_t **line, size_t *len)
{
    const uint8_t *s = *p, *lf = memchr(s, '\n', (size_t)(end - s));
    size_t n;

    if (lf == NULL) /* cannot happen: the head ends with a blank line */
        return false;
    n = (size_t)(lf - s);
    if (n > 0 && s[n - 1] == '\r')
        n--;
    if (memchr(s, '\r', n) != NULL)
        return false;
    *line = s;
    *len = n;
    *p = lf + 1;
    return true;
}

/* Parses the request line (p, len): the status it decides, 0 if fine. */
static unsigned request_line(struct dns_http *h, const uint8_t *p, size_t len,
                             bool *v11)
{
    const uint8_t *sp1 = memchr(p, ' ', len), *sp2;
    size_t mlen, tlen, vlen;

    if (sp1 == NULL)
        return 400;
    mlen = (size_t)(sp1 - p);
    sp2 = memchr(sp1 + 1, ' ', len - mlen - 1);
    if (sp2 == NULL)
        return 400;
    tlen = (size_t)(sp2 - sp1 - 1);
    vlen = len - mlen - tlen - 2;
    const uint8_t *t = sp1 + 1, *v = sp2 + 1;
    if (mlen == 0 || tlen == 0)
        return 400;
    for (size_t i = 0; i < mlen; i++)
        if (!is_tchar(p[i]))
            return 400;
    for (size_t i = 0; i < tlen; i++)
        if (t[i] <= 0x20 || t[i] >= 0x7f)
            return 400;
    /* HTTP-version = "HTTP/" DIGIT "." DIGIT (case-sensitive) */
    if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' ||
        v[6] != '.' || v[7] < '0' || v[7] > '9')
        return 400;
    if (v[5] != '1')
        return 505;
    *v11 = v[7] != '0';
    h->head = mlen == 4 && memcmp(p, "HEAD", 4) == 0;
    if (!h->head && !(mlen == 3 && memcmp(p, "GET", 3) == 0))
        return 405;
    if (t[0] != '/')
        return 400; /* only the origin form (RFC 9112 3.2.1) */
    if ((tlen == 8 || (tlen > 8 && t[8] == '?')) &&
        memcmp(t, "/metrics", 8) == 0)
        return 0;
    return 404;
}

/* A field line (p, len): 0, or 400.  Counts Host fields in (*hosts). */
static unsigned field_line(const uint8_t *p, size_t len, unsigned *hosts)
{
    const uint8_t *colon = memchr(p, ':', len);
    size_t nlen;

    if (colon == NULL || colon == p)
        return 400; /* also obs-fold: a line starting with SP or HT */
    nlen = (size_t)(colon - p);
    for (size_t i = 0; i < nlen; i++)
        if (!is_tchar(p[i]))
            return 400; /* RFC 9112 5.1: no whitespace before the colon */
    for (size_t i = nlen + 1; i < len; i++)
        if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
            return 400;
    if (eq_nocase(p, nlen, "host"))
        (*hosts)++;
    return 0;
}

/* Parses the complete head (p, end): the status it decides. */
static unsigned parse(struct dns_http *h, const uint8_t *p, const uint8_t *end)
{
    const uint8_t *line;
    size_t len;
    unsigned st, hosts = 0;
    bool v11 = false;

    if (!next_line(&p, end, &line, &len))
        return 400;
    st = request_line(h, line, len, &v11);
    for (;;) {
        if (!next_line(&p, end, &line, &len))
            return 400;
        if (len == 0)
            break;
        unsigned f = field_line(line, len, &hosts);
        if (f != 0)
            return f;
    }
    if (st != 0)
        return st;
    /* RFC 9112 3.2: a 1.1 request without Host, or with two, is 400. */
    if ((v11 && hosts != 1) || hosts > 1)
        return 400;
    return 200;
}

size_t dns_http_rspace(struct dns_http *h, uint8_t **p)
{
    if (h->state != DNS_HTTP_S_READ || h->rlen == DNS_HTTP_REQ_MAX)
        return 0;
    *p = h->req + h->rlen;
    return DNS_HTTP_REQ_MAX - h->rlen;
}

/* The offset just past the head's blank line, searching from (from), or 0
 * if the head is not complete. */
static size_t head_end(const uint8_t *p, size_t len, size_t from)
{
    for (size_t i = from; i < len; i++) {
        if (p[i] != '\n')
            continue;
        size_t j = i + 1;
        if (j < len && p[j] == '\r')
            j++;
        if (j < len && p[j] == '\n')
            return j + 1;
    }
    return 0;
}

void dns_http_received(struct dns_http *h, size_t n)
{
    size_t start = 0, from, end;

    if (!ALWAYS(h->state == DNS_HTTP_S_READ && n > 0 &&
                n <= DNS_HTTP_REQ_MAX - h->rlen))
        return;
    from = h->rlen >= 2 ? h->rlen - 2 : 0;
    h->rlen += (uint32_t)n;
    /* RFC 9112 2.2: empty lines before the request line are ignored. */
    while (start < h->rlen && (h->req[start] == '\r' || h->req[start] == '\n'))
        start++;
    end = head_end(h->req, h->rlen, from > start ? from : start);
    if (end == 0) {
        if (h->rlen == DNS_HTTP_REQ_MAX)
            error_response(h, 431);
        return;
    }
    unsigned st = parse(h, h->req + start, h->req + end);
    if (st != 200) {
        h->head = h->head && st != 400 && st != 505;
        error_response(h, st);
        return;
    }
    h->status = 200;
    h->state = DNS_HTTP_S_BODY;
}

void dns_http_eof(struct dns_http *h)
{
    if (h->state != DNS_HTTP_S_READ)
        return;
    for (size_t i = 0; i < h->rlen; i++)
        if (h->req[i] != '\r' && h->req[i] != '\n') {
            error_response(h, 400); /* a request cut short */
            return;
        }
    h->state = DNS_HTTP_S_DONE; /* nothing asked, nothing said */
}

bool dns_http_want_body(struct dns_http *h, uint8_t **p, size_t *cap)
{
    if (h->state != DNS_HTTP_S_BODY)
        return false;
    *p = h->out + DNS_HTTP_HEAD_ROOM;
    *cap = h->ocap - DNS_HTTP_HEAD_ROOM;
    return true;
}

void dns_http_body(struct dns_http *h, size_t len)
{
    char head[DNS_HTTP_HEAD_ROOM];
    size_t hl;

    if (!ALWAYS(h->state == DNS_HTTP_S_BODY))
        return;
    if (len > h->ocap - DNS_HTTP_HEAD_ROOM) {
        error_response(h, 500);
        return;
    }
    hl = head_text(200, DNS_HTTP_CONTENT_TYPE, len, head, sizeof(head));
    if (!ALWAYS(hl != 0)) {
        error_response(h, 500);
        return;
    }
    /* The head goes right in front of the body: nothing is copied but
     * the head itself. */
    memcpy(h->out + DNS_HTTP_HEAD_ROOM - hl, head, hl);
    h->ooff = DNS_HTTP_HEAD_ROOM - hl;
    h->oend = DNS_HTTP_HEAD_ROOM + (h->head ? 0 : len);
    h->state = DNS_HTTP_S_WRITE;
}

size_t dns_http_output(struct dns_http *h, const uint8_t **p)
{
    if (h->state != DNS_HTTP_S_WRITE)
        return 0;
    *p = h->out + h->ooff;
    return h->oend - h->ooff;
}

void dns_http_sent(struct dns_http *h, size_t n)
{
    if (!ALWAYS(h->state == DNS_HTTP_S_WRITE && n <= h->oend - h->ooff))
        return;
    h->ooff += n;
    if (h->ooff == h->oend)
        h->state = DNS_HTTP_S_DONE;
}

bool dns_http_done(const struct dns_http *h)
{
    return h->state == DNS_HTTP_S_DONE;
}

unsigned dns_http_status(const struct dns_http *h)
{
    return h->status;
}

uint64_t dns_http_deadline(const struct dns_http *h)
{
    return h->state == DNS_HTTP_S_DONE ? UINT64_MAX : h->deadline;
}

bool dns_http_expire(struct dns_http *h, uint64_t now)
{
    if (h->state == DNS_HTTP_S_DONE || now < h->deadline)
        return false;
    h->state = DNS_HTTP_S_DONE;
    return true;
}
