/*
 * stack.h -- the endpoint API applications use for UDP and TCP: bind,
 * receive and send datagrams in batches; listen, accept, connect, read,
 * write and close streams; and one event loop integration.  Two
 * implementations sit behind it, chosen at link time like plat.h's targets:
 * lib/net ("direct": our own Ethernet/IPv4/IPv6/TCP over a plat.h net
 * device, created with net_stack_create() in <tibra/net.h>) and, on the
 * unix target, host sockets.  Everything is non-blocking.
 *
 * The application loop is:
 *
 *     for (;;) {
 *         n = tb_stack_poll(s, ev, N);          // device I/O, timers
 *         for (i = 0; i < n; i++) handle(ev[i]); // read/accept/write
 *         tb_stack_wait(s, tb_stack_deadline(s));
 *     }
 *
 * Endpoints are small non-negative integers (like file descriptors),
 * unique within one stack.  Events are level-triggered: an endpoint is
 * reported by every poll while its condition holds and its interest is set.
 *
 * Rules for every call: results are 0 (or a count) on success, else a
 * negative TB_E* (base.h) or one of the TB_E* below; out-parameters are
 * written only on success; nothing here allocates on the packet path.
 */
#ifndef TB_STACK_H
#define TB_STACK_H

#include <tibra/base.h>
#include <tibra/plat.h>

struct tb_stack; /* opaque */

/* ---- events ----------------------------------------------------------- */

#define TB_EV_READ  0x1u /* data, a datagram, a connection to accept, EOF */
#define TB_EV_WRITE 0x2u /* connected and send space available */
#define TB_EV_ERR   0x4u /* reset, refused or timed out (always reported) */
/* Peer closed its side: reported with read interest (a paused reader of a
 * half-closed connection is not woken for ever); a connection reset or
 * closed both ways is reported always. */
#define TB_EV_HUP 0x8u

struct tb_event {
    int ep;
    uint32_t events; /* TB_EV_* */
};

/*
 * Does the stack's work: reads every frame queued on the device, runs due
 * timers (retransmission, ARP/ND, reassembly, TIME_WAIT), transmits what is
 * pending, then writes up to (n) ready endpoints into (ev).  Returns the
 * number of events (0..n).  Never blocks.
 */
TB_API int tb_stack_poll(struct tb_stack *s, struct tb_event *ev, size_t n);

/*
 * Returns the monotonic time (ns) by which tb_stack_poll() must be called
 * again for timers, or 0 if it must be called again at once (work is
 * pending), or UINT64_MAX if no timer is armed.
 */
TB_API tb_time_t tb_stack_deadline(struct tb_stack *s);

/*
 * Blocks until (deadline) or until the device (or socket) has input,
 * whichever is first (plat.h's tb_yield for the direct stack).
 */
TB_API void tb_stack_wait(struct tb_stack *s, tb_time_t deadline);

/*
 * Sets which of TB_EV_READ / TB_EV_WRITE tb_stack_poll() reports for (ep)
 * (ERR always; HUP as its definition says: a paused reader of a
 * half-closed connection is not woken for ever).  New endpoints start with
 * TB_EV_READ; tb_tcp_connect() endpoints with TB_EV_READ | TB_EV_WRITE. Returns
 * 0 or TB_EBADF.
 */
TB_API int tb_stack_interest(struct tb_stack *s, int ep, uint32_t events);

/* ---- UDP -------------------------------------------------------------- */

/*
 * Opens a UDP endpoint bound to (local): its port MUST be non-zero; its
 * address may be one of the stack's or any (all zero; af TB_AF_UNSPEC
 * means both families).  Returns 0 with the endpoint in (*ep), TB_EINVAL,
 * TB_EADDRINUSE (port already bound for an overlapping address), TB_ENOSPC
 * (no endpoint left).
 */
TB_API int tb_udp_bind(struct tb_stack *s, const struct tb_addr *local,
                       int *ep);

/*
 * One datagram.  For tb_udp_recv() the stack fills every field; (data)
 * points into the stack's own packet buffer (wrapped, not copied) and
 * stays valid until the next tb_udp_recv() or tb_udp_close() on the same
 * endpoint or the next tb_stack_poll().  For tb_udp_send() the caller sets
 * (peer), (data), (len), and (local) to choose the source address (an
 * all-zero local.ip picks one; local.port is ignored).
 */
struct tb_dgram {
    struct tb_addr peer;
    struct tb_addr local;
    const uint8_t *data;
    size_t len;
};

/*
 * Receives up to (n) queued datagrams on (ep) into (d), oldest first.
 * Returns the count (1..n), TB_EAGAIN if none is queued, TB_EBADF.
 * Datagrams that arrive while the queue is full are dropped and counted.
 */
TB_API int tb_udp_recv(struct tb_stack *s, int ep, struct tb_dgram *d,
                       size_t n);

/*
 * Sends (n) datagrams from (ep); the payload is copied, the caller keeps
 * (d).  Returns the number handed to the link (0..n: fewer when packet
 * buffers run out; a datagram waiting for ARP/ND resolution counts as
 * sent and MAY be dropped later), TB_EBADF, TB_EINVAL (bad address family,
 * payload above the path maximum), TB_ENETUNREACH (no route).  Returns
 * TB_EINVAL only for the first datagram; later bad ones end the batch.
 */
TB_API int tb_udp_send(struct tb_stack *s, int ep, const struct tb_dgram *d,
                       size_t n);

/* Closes (ep), dropping queued datagrams.  Returns 0 or TB_EBADF. */
TB_API int tb_udp_close(struct tb_stack *s, int ep);

/* ---- TCP -------------------------------------------------------------- */

/*
 * Listens on (local) (address rules as tb_udp_bind) with up to (backlog)
 * connections completed or half-open and not yet accepted (clamped to the
 * stack's limits).  Returns 0 with the endpoint in (*ep), TB_EINVAL,
 * TB_EADDRINUSE, TB_ENOSPC.  The listener is readable when a connection
 * can be accepted.
 */
TB_API int tb_tcp_listen(struct tb_stack *s, const struct tb_addr *local,
                         int backlog, int *ep);

/*
 * Takes one established connection from listener (lep).  Returns 0 with
 * its endpoint in (*ep) and the peer in (*peer) (MAY be NULL), TB_EAGAIN
 * if none is ready, TB_EBADF (not a listener).
 */
TB_API int tb_tcp_accept(struct tb_stack *s, int lep, int *ep,
                         struct tb_addr *peer);

/*
 * Starts an active open to (remote) from an ephemeral port.  Returns 0
 * with the endpoint in (*ep) at once; the endpoint becomes writable when
 * established, or reports TB_EV_ERR (tb_tcp_read() then returns
 * TB_ECONNREFUSED or TB_ETIMEDOUT).  Errors: TB_EINVAL, TB_ENOSPC (no
 * connection slot), TB_ENETUNREACH.
 */
TB_API int tb_tcp_connect(struct tb_stack *s, const struct tb_addr *remote,
                          int *ep);

/*
 * Reads up to (cap) in-order bytes into (buf).  Returns the count (> 0),
 * 0 at end of stream (the peer sent FIN and everything was read),
 * TB_EAGAIN (nothing yet), TB_ENOTCONN (still opening), TB_ECONNRESET,
 * TB_ECONNREFUSED, TB_ETIMEDOUT, TB_EBADF.
 */
TB_API int tb_tcp_read(struct tb_stack *s, int ep, void *buf, size_t cap);

/*
 * Queues up to (len) bytes of (buf) for sending (copied into the
 * connection's send buffer).  Returns the count accepted (> 0), TB_EAGAIN
 * if the buffer is full or the connection still opening, TB_EPIPE after
 * tb_tcp_shutdown(), TB_ECONNRESET / TB_ETIMEDOUT, TB_EBADF.
 */
TB_API int tb_tcp_write(struct tb_stack *s, int ep, const void *buf,
                        size_t len);

/*
 * Sends FIN after the queued data (half close); reading goes on.
 * Returns 0, TB_ENOTCONN, TB_EBADF.
 */
TB_API int tb_tcp_shutdown(struct tb_stack *s, int ep);

/*
 * Releases (ep).  An open connection is closed gracefully (FIN after the
 * queued data; the stack finishes it on its own), unless unread data is
 * pending, in which case it is reset (RFC 9293 3.6, RFC 2525 2.17).
 * A listener also resets its unaccepted connections.  Returns 0, TB_EBADF.
 */
TB_API int tb_tcp_close(struct tb_stack *s, int ep);

/* Resets the connection (RST) and releases (ep).  Returns 0, TB_EBADF. */
TB_API int tb_tcp_abort(struct tb_stack *s, int ep);

#endif /* TB_STACK_H */
