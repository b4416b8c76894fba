/*
 * sockstack.h -- the second implementation of <tibra/stack.h>: UDP and TCP
 * endpoints over Linux host sockets, for the unix target (a plain Linux
 * process).  The application is the same one that runs on lib/net; only
 * the creation call differs (tb_sock_stack_create() here, net_plat_open()
 * for the direct stack) and the archive it is linked with
 * (platform/libtbsock.a, before libtibra.a; see mk/sock.mk).
 *
 * Every stack.h call behaves as stack.h documents.  What is specific to
 * host sockets:
 *
 * - Endpoints index a table of (endpoints) slots, each holding one socket;
 *   they are not the descriptors.  tb_stack_poll() is one epoll_wait with
 *   a zero timeout (none at all when the preceding tb_stack_wait() already
 *   collected the events); tb_stack_wait() is epoll_wait until the
 *   deadline (CLOCK_MONOTONIC, the clock of plat.h's tb_clock_monotonic on
 *   unix).  There are no timers: tb_stack_deadline() is UINT64_MAX, or 0
 *   when a wait has collected events no poll has reported yet.
 * - UDP: tb_udp_recv() is one recvmmsg of up to (udp_batch) datagrams into
 *   the endpoint's own (udp_batch) buffers of (udp_max) bytes, so received
 *   data stays valid until the next tb_udp_recv() or tb_udp_close() on
 *   that endpoint (longer than stack.h promises).  tb_udp_send() is
 *   sendmmsg in runs of (udp_batch).  An endpoint bound to an all-zero
 *   address learns each datagram's destination (IP_PKTINFO,
 *   IPV6_RECVPKTINFO) into its (local), and tb_udp_send() sends from
 *   (local) when it is set, so answers leave from the address the query
 *   was sent to.  af TB_AF_UNSPEC is one IPv6 socket with IPV6_V6ONLY off
 *   (an IPv4 socket where the host has no IPv6); IPv4 peers and local
 *   addresses are reported as TB_AF_INET, never as v4-mapped IPv6.
 * - TCP: the host's TCP.  tb_tcp_close() is close(2), which resets when
 *   unread data is pending, as stack.h says; tb_tcp_abort() sets SO_LINGER
 *   to zero first, so close(2) sends RST.  Errors (reset, refused, timed
 *   out) are sticky: once seen, every later read and write returns the
 *   same error and the endpoint reports TB_EV_ERR until it is closed.
 *   TB_EV_HUP for the peer's FIN is reported while read interest is set
 *   (as lib/net does: no wake-ups for a half-closed connection the
 *   application is not reading); a connection gone both ways (closed or
 *   reset) reports it whatever the interest, as epoll does.
 * - A host error no stack.h call names is mapped from errno: EMFILE and
 *   ENFILE (no descriptor) are TB_ENOSPC, ENOBUFS and ENOMEM TB_ENOMEM,
 *   EACCES (privileged port) TB_EACCES, anything unforeseen TB_EIO.
 *
 * Memory: everything is taken at tb_sock_stack_create() from the caller's
 * allocator; no call allocates afterwards.  One stack is used by one
 * thread at a time.
 */
#ifndef TB_SOCKSTACK_H
#define TB_SOCKSTACK_H

#include <tibra/base.h>
#include <tibra/stack.h>

struct tb_sock_config {
    uint32_t endpoints; /* endpoints of every kind (UDP, listeners,
                           connections), 1..1048576 */
    uint32_t udp_endpoints; /* UDP endpoints among them (each owns its
                               receive buffers), 0..endpoints */
    uint32_t udp_batch; /* datagrams per recvmmsg/sendmmsg, 1..1024 */
    uint32_t udp_max; /* largest datagram received (bytes, 1..65535);
                         larger ones are dropped and counted */
};

/*
 * Fills (c) with the defaults: 1024 endpoints, 8 of them UDP, batches of
 * 32, datagrams up to 65535 bytes (8 x 32 x 64 KiB of receive buffers,
 * touched only as far as datagrams fill them).
 */
TB_API void tb_sock_config_default(struct tb_sock_config *c);

/*
 * Creates a socket stack sized by (c) (NULL: the defaults), taking all its
 * memory from (a) (kept for tb_sock_stack_destroy()).  Returns 0 with the
 * stack in (*sp), TB_EINVAL (a limit out of range), TB_ENOMEM (allocation
 * failed) or TB_ENOSPC (no descriptor for the epoll set).  On failure
 * nothing is left allocated or open.
 */
TB_API int tb_sock_stack_create(struct tb_stack **sp,
                                const struct tb_sock_config *c,
                                const struct tb_alloc *a);

/*
 * Closes every endpoint of (s) as tb_tcp_close() / tb_udp_close() would,
 * then frees everything (s) holds.  Endpoints become invalid.  NULL is
 * fine.
 */
TB_API void tb_sock_stack_destroy(struct tb_stack *s);

/* The stack's counters: every drop has one.  Read-only, live. */
struct tb_sock_stats {
    uint64_t udp_rx; /* datagrams handed to tb_udp_recv() callers */
    uint64_t udp_tx; /* datagrams the host accepted from tb_udp_send() */
    uint64_t udp_rx_drop_full; /* dropped by the host: socket queue full
                                  (SO_RXQ_OVFL, learnt with the next
                                  datagram that gets through) */
    uint64_t udp_rx_drop_trunc; /* dropped: longer than udp_max */
    uint64_t udp_tx_drop; /* counted as sent, refused by the host
                             (EPERM, EACCES, ...) */
    uint64_t udp_tx_full; /* not sent: socket buffer full (the caller got
                             a short count) */
    uint64_t tcp_accepted; /* connections handed out by tb_tcp_accept() */
    uint64_t tcp_accept_err; /* accept4 failed (EMFILE, ENFILE, ENOBUFS,
                                ...); the connection was reset when a
                                spare descriptor allowed it */
    uint64_t tcp_accept_drop; /* accepted and reset: no endpoint left */
};

/* Returns (s)'s counters; the pointer stays valid until destroy. */
TB_API const struct tb_sock_stats *tb_sock_stats(const struct tb_stack *s);

/* Endpoints in use, for tests (every teardown asserts zero). */
TB_API uint32_t tb_sock_endpoints_in_use(const struct tb_stack *s);

#endif /* TB_SOCKSTACK_H */
