/*
 * tls_res.c -- DNS over TLS for the resolver's clients (dns/tls.h): the
 * pump between a TLS session (tls.c) and a resolver's TCP session
 * (struct dns_res_conn, res_conn.c), which answers pipelined queries as
 * they are resolved.  A file of its own so that a program serving only
 * zones over TLS does not link the resolver.
 *
 *   driver recv -> dns_tls_received -> dns_tls_pump_res ->
 *   dns_res_conn_received -> dns_res_conn_next (driver: tasks) ->
 *   dns_res_conn_answer -> dns_tls_pump_res -> dns_tls_output -> send
 */
#include <string.h>
#include <tibra/dns/res.h>
#include <tibra/dns/tls.h>

bool dns_tls_pump_res(struct dns_tls *t, struct dns_res_conn *c, uint64_t now)
{
    bool any = false;

    /* Each turn empties a bounded buffer: it ends when nothing moves. */
    for (;;) {
        const uint8_t *src;
        uint8_t *dst;
        size_t n, room;
        bool moved = false;

        if ((n = dns_res_conn_output(c, &src)) > 0 &&
            (room = dns_tls_app_space(t, &dst)) > 0) {
            n = TB_MIN(n, room);
            memcpy(dst, src, n);
            dns_tls_app_written(t, n);
            dns_res_conn_sent(c, n, now);
            moved = true;
        }
        if ((n = dns_tls_app_input(t, &src)) > 0 &&
            (room = dns_res_conn_rspace(c, &dst)) > 0) {
            n = TB_MIN(n, room);
            memcpy(dst, src, n);
            dns_tls_app_consumed(t, n);
            dns_res_conn_received(c, n, now); /* n > 0: not an EOF */
            moved = true;
        }
        if (!moved)
            break;
        any = true;
    }
    return any; /* the caller flushes (dns_tls_app_flush) */
}

bool dns_tls_res_done(struct dns_tls *t, const struct dns_res_conn *c,
                      uint64_t now, uint64_t idle_ns)
{
    const uint8_t *p;

    return dns_tls_closed(t) ||
           (dns_res_conn_done(c, now, idle_ns) && dns_tls_output(t, &p) == 0);
}
