/*
 * res_conn.c -- clients of the resolver over TCP (RFC 7766, RFC 1035
 * 4.2.2): framing, pipelining with answers sent as they are ready, the
 * limit on queries resolved at once per connection, back-pressure and
 * the idle rule, in a caller-placed session the driver feeds and drains
 * (the shape of the authoritative side's struct dns_tcp in srv.c; no
 * callback, no I/O).
 *
 *   driver read -> dns_res_conn_received -> dns_res_conn_next ->
 *   dns_res_query (tcp) -> answer appended | task -> driver ->
 *   dns_res_conn_answer -> dns_res_conn_output -> driver write
 */
#include <tibra/dns.h>
#include <tibra/dns/res.h>

#define FRAME (2 + DNS_RES_CONN_ANSMAX)

void dns_res_conn_open(struct dns_res_conn *c, struct dns_res *r,
                       const struct tb_addr *peer, uint8_t *rbuf, uint8_t *wbuf,
                       uint64_t now)
{
    memset(c, 0, sizeof(*c));
    c->r = r;
    if (peer != NULL) {
        c->peer = *peer;
        c->has_peer = true;
    }
    c->rbuf = rbuf;
    c->wbuf = wbuf;
    c->last = now;
}

/* Room left in the output for answers still owed plus one more. */
static bool room_for_one(const struct dns_res_conn *c)
{
    return c->pending < DNS_RES_CONN_PENDING &&
           DNS_RES_CONN_WBUF - c->wlen >= (c->pending + 1) * FRAME;
}

size_t dns_res_conn_rspace(struct dns_res_conn *c, uint8_t **p)
{
    size_t need;

    if (c->closing)
        return 0;
    /* read only up to the end of the next message: queries are taken one
       at a time, and bytes after it wait in the socket */
    need = c->rlen < 2 ? 2 : 2 + (size_t)tb_get16(c->rbuf);
    if (c->rlen >= need || need > DNS_RES_CONN_RBUF ||
        (c->rlen >= 2 && !room_for_one(c)))
        return 0;
    *p = c->rbuf + c->rlen;
    return need - c->rlen;
}

void dns_res_conn_received(struct dns_res_conn *c, size_t n, uint64_t now)
{
    (void)now;
    if (n == 0)
        c->closing = true;
    c->rlen += n;
}

/* Appends (msg, len) framed; the caller made sure of the room. */
static void put_frame(struct dns_res_conn *c, const uint8_t *msg, size_t len)
{
    if (NEVER(len > DNS_RES_CONN_ANSMAX ||
              DNS_RES_CONN_WBUF - c->wlen < 2 + len))
        return;
    tb_put16(c->wbuf + c->wlen, (uint16_t)len);
    memcpy(c->wbuf + c->wlen + 2, msg, len);
    c->wlen += 2 + len;
}

int dns_res_conn_next(struct dns_res_conn *c, uint64_t now,
                      struct dns_res_task **t)
{
    size_t len, n = 0;
    int rc;

    *t = NULL;
    if (c->rlen < 2)
        return 0;
    len = tb_get16(c->rbuf);
    if (len < DNS_HDR_LEN || len > DNS_RES_CONN_QMAX) {
        c->closing = true; /* RFC 7766 8: unusable framing */
        c->rlen = 0;
        return 0;
    }
    if (c->rlen < 2 + len || !room_for_one(c))
        return 0;
    /* The answer is written straight into the output, after the room
       kept for the answers still owed (they fit in FRAME each). */
    uint8_t *out = c->wbuf + c->wlen + 2;
    rc = dns_res_query(c->r, c->rbuf + 2, len, c->has_peer ? &c->peer : NULL,
                       true, now, out, DNS_RES_CONN_ANSMAX, &n, t);
    c->rlen = 0;
    c->last = now;
    if (rc == DNS_RES_ANSWERED && n > 0) {
        tb_put16(out - 2, (uint16_t)n);
        c->wlen += 2 + n;
        return 1;
    }
    if (rc == DNS_RES_STARTED) {
        c->pending++;
        return 2;
    }
    return 1; /* dropped: nothing owed */
}

void dns_res_conn_answer(struct dns_res_conn *c, struct dns_res_task *t,
                         uint64_t now)
{
    const uint8_t *msg;
    size_t n = dns_res_task_response(t, &msg);

    if (ALWAYS(c->pending > 0))
        c->pending--;
    if (n > 0)
        put_frame(c, msg, n);
    dns_res_task_free(t);
    c->last = now;
}

size_t dns_res_conn_output(const struct dns_res_conn *c, const uint8_t **p)
{
    *p = c->wbuf + c->woff;
    return c->wlen - c->woff;
}

void dns_res_conn_sent(struct dns_res_conn *c, size_t n, uint64_t now)
{
    if (NEVER(n > c->wlen - c->woff))
        n = c->wlen - c->woff;
    c->woff += n;
    if (c->woff == c->wlen) {
        c->woff = c->wlen = 0;
        c->last = now;
    } else if (c->woff > DNS_RES_CONN_WBUF / 2) {
        /* keep the free room at the end, where answers are appended */
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
        c->wlen -= c->woff;
        c->woff = 0;
    }
}

bool dns_res_conn_done(const struct dns_res_conn *c, uint64_t now,
                       uint64_t idle_ns)
{
    if (c->pending > 0 || c->wlen > c->woff)
        return false;
    return c->closing || (idle_ns > 0 && now - c->last >= idle_ns);
}
