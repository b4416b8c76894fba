/*
 * srv.c -- the DNS service core (dns/srv.h): what every driver shares
 * between receiving bytes and sending bytes.
 *
 *   driver: recv --> dns_srv_udp() ----------------------> send
 *           read --> dns_tcp_received() -> frame -> answer -> dns_tcp_output()
 *
 * The answer itself is dns_auth_answer_env() (auth.c); this file adds
 * what a server needs around it: RFC 7766 framing, pipelining,
 * back-pressure, limits and timeouts for TCP, the peer and the time for
 * cookies and RRL, and the counters both drivers report.  No
 * I/O, no clock of its own, no allocation: a driver passes bytes and the
 * time and closes a connection when told.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <tibra/dns/srv.h>
#include <tibra/dns/xfrin.h>

enum {
    DNS_TCP_S_OPEN = 0, /* reading and answering */
    DNS_TCP_S_EOF, /* no more input (peer closed, query limit) */
    DNS_TCP_S_CLOSE /* close now (framing error, timeout) */
};

void dns_srv_init(struct dns_srv *s, const struct dns_zoneset *zs,
                  const struct dns_srv_conf *conf)
{
    memset(s, 0, sizeof(*s));
    s->zs = zs;
    s->conf = conf;
}

/* Counts what the answer engine found in a query's COOKIE option. */
static void count_cookie(struct dns_srv_stats *st, unsigned res,
                         const uint8_t *resp, size_t len)
{
    st->cookie++;
    if (res == DNS_COOKIE_NEW)
        st->cookie_new++;
    else if (res == DNS_COOKIE_VALID)
        st->cookie_valid++;
    else if (res == DNS_COOKIE_INVALID)
        st->cookie_invalid++;
    else
        st->cookie_formerr++;
    /* BADCOOKIE: header RCODE 7 with extended RCODE 1 in the OPT. */
    if (res != DNS_COOKIE_VALID && len >= DNS_HDR_LEN &&
        (resp[3] & 0xf) == (DNS_RCODE_BADCOOKIE & 0xf))
        st->cookie_badcookie++;
}

/*
 * A query REFUSED for a name inside a secondary zone that is not served
 * (no transfer yet, or expired): SERVFAIL, as NSD and Knot answer, with
 * the question only.  Off the common path: only REFUSED comes here.
 */
static size_t secondary_servfail(struct dns_srv *s, uint8_t *resp, size_t len)
{
    uint8_t name[DNS_NAME_MAXLEN];
    size_t nlen, next;

    if (len < DNS_HDR_LEN ||
        DNS_RCODE(tb_get16(resp + 2)) != DNS_RCODE_REFUSED ||
        DNS_OPCODE(tb_get16(resp + 2)) != DNS_OPCODE_QUERY ||
        tb_get16(resp + 4) != 1 ||
        dns_name_unpack(resp, len, DNS_HDR_LEN, name, &nlen, &next) != 0 ||
        next + 4 > len)
        return len;
    /* REFUSED for a transfer (allow-transfer) or another class is not
     * about the zone being served: only a name outside every served
     * zone gets REFUSED otherwise. */
    uint16_t qtype = tb_get16(resp + next), qclass = tb_get16(resp + next + 2);
    if (qtype == DNS_TYPE_AXFR || qtype == DNS_TYPE_IXFR ||
        (qclass != DNS_CLASS_IN && qclass != DNS_CLASS_ANY) ||
        dns_xfrin_find(s->xfrin, s->nxfrin, name) == NULL)
        return len;
    tb_put16(resp + 2, (uint16_t)((tb_get16(resp + 2) & ~(0xf | DNS_FLAG_AA)) |
                                  DNS_RCODE_SERVFAIL));
    memset(resp + 6, 0, 6); /* AN, NS, AR: the question alone */
    s->st.auth.refused--;
    s->st.auth.servfail++;
    return next + 4;
}

/* The answer, with the service's context: the peer and the time matter
 * only when cookies are on (peer NULL: as off).  NOTIFY for a secondary
 * zone is answered by lib/dns/xfrin_notify.c. */
/*
 * Whether query (q, qlen) may carry a TSIG: an additional section other
 * than the usual lone OPT without options (checked exactly, as auth.c's
 * common path does: a question, then 11 bytes of OPT ending the query).
 * Only asked when keys are published; a few compares per query then.
 */
static bool maybe_signed(const uint8_t *q, size_t qlen)
{
    size_t p = DNS_HDR_LEN;

    if (qlen < DNS_HDR_LEN || tb_get16(q + 10) == 0)
        return false;
    if (tb_get16(q + 10) != 1 || qlen < DNS_HDR_LEN + 5 + 11)
        return true;
    while (p < qlen - 11 && q[p] != 0 && q[p] <= DNS_LABEL_MAXLEN)
        p += q[p] + 1u;
    return !(p + 5 == qlen - 11 && q[p] == 0 && q[p + 5] == 0 &&
             tb_get16(q + p + 6) == DNS_TYPE_OPT &&
             tb_get16(q + qlen - 2) == 0);
}

/* Wall-clock seconds at monotonic (now) (TSIG's time signed). */
static uint64_t wall_s(const struct dns_srv *s, uint64_t now)
{
    int64_t t = (int64_t)now + s->wall_off_ns;
    return t > 0 ? (uint64_t)t / 1000000000u : 0;
}

/* answer() is inlined into both callers: as a call it cost ~40
 * instructions a query (callgrind, tibra-dnsd). */
#if defined(__GNUC__)
#define ANSWER_INLINE static inline __attribute__((always_inline))
#else
#define ANSWER_INLINE static inline
#endif

ANSWER_INLINE size_t answer(struct dns_srv *s, const struct tb_addr *peer,
                            const uint8_t *q, size_t qlen, uint8_t *resp,
                            size_t cap, unsigned flags, uint64_t now,
                            uint8_t *res)
{
    struct dns_auth_env env, *e = NULL;
    size_t len;
    bool marked;

    if (TB_UNLIKELY(s->update != NULL) && qlen >= DNS_HDR_LEN &&
        (tb_get16(q + 2) & (DNS_FLAG_QR | 0x7800)) == DNS_OPCODE_UPDATE << 11) {
        *res = DNS_COOKIE_NONE; /* the driver applies it (dns/update.h) */
        return s->update->submit(s->update->ctx, peer, q, qlen, resp, cap,
                                 (flags & DNS_AUTH_TCP) != 0);
    }
    if (TB_UNLIKELY(s->nxfrin != 0) &&
        (len = dns_xfrin_notify_in(s->xfrin, s->nxfrin, peer, q, qlen, resp,
                                   cap, &marked)) != 0) {
        s->notified |= marked;
        *res = DNS_COOKIE_NONE;
        return len == SIZE_MAX ? 0 : len;
    }
    if (s->cookie != NULL && peer != NULL && peer->af != TB_AF_UNSPEC) {
        env.cookie = s->cookie;
        env.peer = peer;
        env.now = now;
        env.cookie_res = DNS_COOKIE_NONE;
        e = &env;
    }
    if (TB_UNLIKELY(s->keys != NULL) && maybe_signed(q, qlen))
        /* RFC 8945: verified, answered without the TSIG (cookies as
         * below), signed (or the TSIG error); a query with options but
         * no TSIG is answered as below.  XXX: a signed query that gets
         * the secondary's SERVFAIL gets it unsigned. */
        len = s->keys->answer(s->keys, s->zs, q, qlen, resp, cap, flags, e,
                              wall_s(s, now), &s->st.auth);
    else
        len = dns_auth_answer_env(s->zs, q, qlen, resp, cap, flags, e,
                                  &s->st.auth);
    if (TB_UNLIKELY(s->nxfrin != 0))
        len = secondary_servfail(s, resp, len);
    *res = DNS_COOKIE_NONE;
    if (e != NULL && TB_UNLIKELY(env.cookie_res != DNS_COOKIE_NONE)) {
        count_cookie(&s->st, env.cookie_res, resp, len);
        *res = env.cookie_res;
    }
    return len;
}

size_t dns_srv_udp(struct dns_srv *s, const struct tb_addr *peer,
                   const uint8_t *q, size_t qlen, uint8_t *resp, size_t cap,
                   uint64_t now)
{
    size_t len;
    uint8_t res;

    s->st.udp++;
    if (qlen > DNS_SRV_QUERY_MAX) {
        s->st.drop_udp_size++;
        return 0;
    }
    if (TB_UNLIKELY(s->xfr != NULL)) {
        if (s->keys != NULL)
            s->tsig_now_s = wall_s(s, now); /* a signed IXFR (xfr.c) */
        if ((len = dns_xfr_udp(s, peer, q, qlen, resp, cap)) != 0)
            return len; /* IXFR over UDP: one SOA */
    }
    len = answer(s, peer, q, qlen, resp, cap, 0, now, &res);
    /* RRL after answering: the bucket depends on what the answer is.  A
     * client that returned a valid server cookie receives our answers at
     * its address (RFC 7873 5.3): it is not limited. */
    if (s->rrl != NULL && len != 0 && peer != NULL && res != DNS_COOKIE_VALID)
        len = dns_rrl_apply(s->rrl, peer, resp, len, now, &s->st);
    return len;
}

/* ---- TCP ----------------------------------------------------------- */

void dns_tcp_open(struct dns_tcp *t, struct dns_srv *s,
                  const struct tb_addr *peer, uint8_t *rbuf, uint8_t *wbuf,
                  uint64_t now)
{
    memset(t, 0, sizeof(*t));
    t->srv = s;
    t->rbuf = rbuf;
    t->wbuf = wbuf;
    t->last = now;
    if (peer)
        t->peer = *peer;
    s->st.tcp_open++;
}

static bool limit_reached(const struct dns_tcp *t)
{
    uint32_t maxq = t->srv->conf->tcp_max_queries;
    return maxq != 0 && t->answered >= maxq;
}

/* A whole query sits at the start of rbuf (its length prefix is valid). */
static bool query_complete(const struct dns_tcp *t)
{
    return t->rlen >= 2 && t->rlen >= 2u + tb_get16(t->rbuf);
}

/*
 * Streams the transfer in progress while wbuf has room for a message.
 * Returns true when it is over (the next query may be answered).
 */
static bool pump_xfr(struct dns_tcp *t, uint64_t now)
{
    struct dns_srv *s = t->srv;

    if (TB_UNLIKELY(s->keys != NULL))
        s->tsig_now_s = wall_s(s, now); /* xfr.c signs and verifies */
    while (dns_xfr_active(&t->xfr)) {
        size_t room = DNS_TCP_WBUF - t->wlen - 2, len;
        if (room > DNS_MSG_MAXLEN)
            room = DNS_MSG_MAXLEN;
        len = dns_xfr_next(&t->xfr, s, t->wbuf + t->wlen + 2, room);
        if (len == 0)
            break; /* no room: resume in dns_tcp_sent(); or over, or cut */
        tb_put16(t->wbuf + t->wlen, (uint16_t)len);
        t->wlen += 2 + (uint32_t)len;
        t->last = now;
    }
    if (dns_xfr_cut(&t->xfr)) {
        t->state = DNS_TCP_S_CLOSE; /* the secondary retries */
        return false;
    }
    return !dns_xfr_active(&t->xfr);
}

/*
 * Answers the complete queries at the start of rbuf, in order, while
 * wbuf has room for one more maximum-size answer (RFC 7766 6.2.1.1:
 * pipelined queries; answering in order is allowed and keeps a client's
 * own order).  A length outside [12, DNS_SRV_QUERY_MAX] closes the
 * connection (it cannot be a query we would answer, and skipping it
 * would mean reading up to 64 KiB of garbage).
 */
static void process(struct dns_tcp *t, uint64_t now)
{
    struct dns_srv *s = t->srv;
    uint32_t off = 0;

    while (t->state != DNS_TCP_S_CLOSE && pump_xfr(t, now) &&
           !limit_reached(t) && t->rlen - off >= 2) {
        uint32_t mlen = tb_get16(t->rbuf + off);
        if (mlen < DNS_HDR_LEN || mlen > DNS_SRV_QUERY_MAX) {
            s->st.drop_tcp_len++;
            t->state = DNS_TCP_S_CLOSE;
            break;
        }
        if (t->rlen - off < 2 + mlen)
            break;
        if (DNS_TCP_WBUF - t->wlen < 2 + DNS_MSG_MAXLEN)
            break; /* back-pressure: resume in dns_tcp_sent() */
        const uint8_t *q = t->rbuf + off + 2;
        uint8_t res;
        s->st.tcp++;
        if (TB_UNLIKELY(s->xfr != NULL) &&
            dns_xfr_start(&t->xfr, s, &t->peer, q, mlen)) {
            off += 2 + mlen;
            t->last = now;
            t->answered++;
            continue; /* streamed by pump_xfr() */
        }
        size_t len = answer(s, &t->peer, q, mlen, t->wbuf + t->wlen + 2,
                            DNS_MSG_MAXLEN, DNS_AUTH_TCP, now, &res);
        off += 2 + mlen;
        t->last = now;
        if (len != 0) {
            tb_put16(t->wbuf + t->wlen, (uint16_t)len);
            t->wlen += 2 + (uint32_t)len;
            t->answered++;
        }
    }
    if (t->state == DNS_TCP_S_OPEN && limit_reached(t)) {
        s->st.tcp_limit++;
        t->state = DNS_TCP_S_EOF; /* read no more; close once sent */
    }
    if (off != 0) {
        memmove(t->rbuf, t->rbuf + off, t->rlen - off);
        t->rlen -= off;
    }
}

size_t dns_tcp_rspace(struct dns_tcp *t, uint8_t **p)
{
    /* Nothing is read while answers wait for the transport: the peer's
     * TCP window then stops the peer.  A full rbuf always holds a whole
     * query (DNS_TCP_RBUF = 2 + the largest), which waits for room. */
    if (t->state != DNS_TCP_S_OPEN || t->woff < t->wlen ||
        t->rlen == DNS_TCP_RBUF)
        return 0;
    *p = t->rbuf + t->rlen;
    return DNS_TCP_RBUF - t->rlen;
}

void dns_tcp_received(struct dns_tcp *t, size_t n, uint64_t now)
{
    if (!ALWAYS(t->state == DNS_TCP_S_OPEN && n <= DNS_TCP_RBUF - t->rlen))
        return;
    t->rlen += (uint32_t)n;
    process(t, now);
}

void dns_tcp_eof(struct dns_tcp *t, uint64_t now)
{
    (void)now;
    if (t->state == DNS_TCP_S_OPEN)
        t->state = DNS_TCP_S_EOF;
}

size_t dns_tcp_output(struct dns_tcp *t, const uint8_t **p)
{
    if (t->state == DNS_TCP_S_CLOSE)
        return 0;
    *p = t->wbuf + t->woff;
    return t->wlen - t->woff;
}

void dns_tcp_sent(struct dns_tcp *t, size_t n, uint64_t now)
{
    if (!ALWAYS(n <= t->wlen - t->woff))
        return;
    t->woff += (uint32_t)n;
    if (t->woff < t->wlen)
        return;
    t->woff = t->wlen = 0; /* all sent: the whole buffer is free again */
    t->last = now;
    process(t, now); /* queries that waited for room */
}

bool dns_tcp_done(const struct dns_tcp *t)
{
    if (t->state == DNS_TCP_S_CLOSE)
        return true;
    /* At EOF, a complete query still buffered is answered first, unless
     * the query limit stopped the session. */
    return t->state == DNS_TCP_S_EOF && t->woff == t->wlen &&
           !dns_xfr_active(&t->xfr) && (limit_reached(t) || !query_complete(t));
}

uint64_t dns_tcp_deadline(const struct dns_tcp *t)
{
    uint64_t idle = t->srv->conf->tcp_idle_ns;

    if (idle == 0 || t->state == DNS_TCP_S_CLOSE)
        return UINT64_MAX;
    return t->last > UINT64_MAX - idle ? UINT64_MAX : t->last + idle;
}

bool dns_tcp_expire(struct dns_tcp *t, uint64_t now)
{
    if (t->state == DNS_TCP_S_CLOSE || now < dns_tcp_deadline(t))
        return false;
    t->srv->st.tcp_idle++;
    t->state = DNS_TCP_S_CLOSE;
    return true;
}

/* ---- counters ------------------------------------------------------ */

void dns_srv_stats_add(struct dns_srv_stats *sum, const struct dns_srv_stats *x)
{
    /* Every field is a uint64_t counter: add them as an array. */
    uint64_t a[sizeof(*sum) / 8], b[sizeof(*sum) / 8];

    _Static_assert(sizeof(*sum) % 8 == 0, "counters only");
    memcpy(a, sum, sizeof(a));
    memcpy(b, x, sizeof(b));
    for (size_t i = 0; i < sizeof(a) / 8; i++)
        a[i] += b[i];
    memcpy(sum, a, sizeof(a));
}

static const char *const qt_names[DNS_QT_COUNT] = {
    "A",   "NS", "CNAME",  "SOA",   "PTR", "MX",   "TXT",  "AAAA",
    "SRV", "DS", "DNSKEY", "HTTPS", "ANY", "AXFR", "IXFR", "other"};

const char *dns_srv_qt_name(unsigned i)
{
    return i < DNS_QT_COUNT ? qt_names[i] : "?";
}

/* Appends formatted text at (*len) of (buf, cap), never past cap - 1. */
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    TB_PRINTF(4, 5);
static void add(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;

    if (*len + 1 >= cap)
        return;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len = *len + (size_t)n < cap ? *len + (size_t)n : cap - 1;
}

size_t dns_srv_stats_text(const struct dns_srv_stats *st, char *buf, size_t cap)
{
    const struct dns_auth_stats *a = &st->auth;
    size_t len = 0;

    if (cap == 0)
        return 0;
    buf[0] = '\0';
    add(buf, cap, &len,
        "queries udp %llu tcp %llu\n"
        "rcode noerror %llu nxdomain %llu refused %llu formerr %llu "
        "notimp %llu other %llu truncated %llu\n"
        "qtype",
        (unsigned long long)st->udp, (unsigned long long)st->tcp,
        (unsigned long long)a->noerror, (unsigned long long)a->nxdomain,
        (unsigned long long)a->refused, (unsigned long long)a->formerr,
        (unsigned long long)a->notimp, (unsigned long long)a->servfail,
        (unsigned long long)a->truncated);
    for (unsigned i = 0; i < DNS_QT_COUNT; i++)
        if (a->qtype[i] != 0)
            add(buf, cap, &len, " %s %llu", qt_names[i],
                (unsigned long long)a->qtype[i]);
    add(buf, cap, &len,
        "\ndrops unanswered %llu udp-size %llu tcp-length %llu\n"
        "tcp open %llu refused %llu idle-closed %llu limit-closed %llu "
        "address-refused %llu\n"
        "rrl dropped %llu slipped %llu\n"
        "cookie queries %llu new %llu valid %llu invalid %llu "
        "badcookie %llu formerr %llu\n",
        (unsigned long long)a->dropped, (unsigned long long)st->drop_udp_size,
        (unsigned long long)st->drop_tcp_len, (unsigned long long)st->tcp_open,
        (unsigned long long)st->tcp_refused, (unsigned long long)st->tcp_idle,
        (unsigned long long)st->tcp_limit,
        (unsigned long long)st->tcp_refused_addr,
        (unsigned long long)st->rrl_drop, (unsigned long long)st->rrl_slip,
        (unsigned long long)st->cookie, (unsigned long long)st->cookie_new,
        (unsigned long long)st->cookie_valid,
        (unsigned long long)st->cookie_invalid,
        (unsigned long long)st->cookie_badcookie,
        (unsigned long long)st->cookie_formerr);
    add(buf, cap, &len,
        "xfr axfr %llu ixfr %llu current %llu denied %llu cut %llu "
        "messages %llu\n",
        (unsigned long long)st->xfr_axfr, (unsigned long long)st->xfr_ixfr,
        (unsigned long long)st->xfr_current, (unsigned long long)st->xfr_denied,
        (unsigned long long)st->xfr_cut, (unsigned long long)st->xfr_msgs);
    return len;
}
