/*
 * sock_int.h -- private to platform/unix/sock: the socket stack's state,
 * shared by stack.c (create, endpoint table, events), udp.c and tcp.c.
 *
 * An endpoint is an index into s->ep.  Its epoll registration carries
 * (generation << 32 | index), so an event collected by tb_stack_wait()
 * for an endpoint closed (and its slot reused) before the next
 * tb_stack_poll() is recognised as stale and skipped.
 */
#ifndef TB_SOCK_INT_H
#define TB_SOCK_INT_H

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <tibra/hosted.h>
#include <tibra/sockstack.h>

enum sock_kind { EP_FREE = 0, EP_UDP, EP_LISTEN, EP_TCP };

struct sock_ep {
    int fd; /* -1 when free */
    uint32_t gen; /* bumped at every release */
    uint8_t kind; /* enum sock_kind */
    uint8_t family; /* AF_INET or AF_INET6: the socket's, not the peer's */
    bool wildcard; /* UDP bound to an all-zero address: pktinfo on */
    bool connecting; /* TCP connect() in progress */
    bool shut_wr; /* tb_tcp_shutdown() done */
    uint32_t interest; /* TB_EV_READ | TB_EV_WRITE */
    uint32_t epmask; /* events registered with epoll */
    int err; /* sticky TB_E* of a failed connection, or 0 */
    uint32_t ovfl; /* last SO_RXQ_OVFL count seen (UDP) */
    uint32_t set; /* UDP: index of its receive buffer set */
    struct tb_addr local; /* as bound (UDP, listeners) */
};

/* Room for one in6_pktinfo (or in_pktinfo) and one SO_RXQ_OVFL. */
#define SOCK_CTL_LEN                                                           \
    (CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint32_t)))

union sock_ctl {
    struct cmsghdr align;
    uint8_t buf[SOCK_CTL_LEN];
};

struct tb_stack {
    struct tb_sock_config cfg;
    const struct tb_alloc *a;
    int epfd;
    int spare_fd; /* /dev/null, given up to accept-and-reset on EMFILE */
    bool pwait2; /* epoll_pwait2 works (Linux >= 5.11) */

    struct sock_ep *ep; /* [cfg.endpoints] */
    uint32_t *ep_free; /* stack of free indices */
    uint32_t ep_nfree;

    /* Events collected by tb_stack_wait() for the next tb_stack_poll(). */
    struct epoll_event *evq; /* [cfg.endpoints] */
    uint32_t evq_len;
    uint32_t poll_max; /* (n) of the last poll, so the wait fetches that */

    /* One batch of message headers, used by recv and send in turn. */
    struct mmsghdr *msg; /* [cfg.udp_batch] */
    struct iovec *iov;
    struct sockaddr_in6 *name;
    union sock_ctl *ctl;

    /* Receive buffers: udp_endpoints sets of udp_batch x udp_max bytes. */
    uint8_t *bufs;
    size_t bufs_size;
    uint32_t *set_free;
    uint32_t set_nfree;

    size_t mem_size; /* of the block holding all the above but bufs */
    struct tb_sock_stats st;
};

/* Maps an errno value to a TB_E* (see sockstack.h). */
int sock_err(int e);

/* tb_addr <-> sockaddr.  sock_to_sa() writes (a) for a socket of
 * (family) (an IPv4 address becomes v4-mapped on an AF_INET6 socket) and
 * returns its length, or 0 if (a) cannot be reached from such a socket.
 * The other way is lib/hosted's tb_addr_from_sockaddr(). */
socklen_t sock_to_sa(const struct tb_addr *a, int family,
                     struct sockaddr_in6 *sa);

/* True if the (len) first bytes of (ip) are zero. */
bool sock_ip_zero(const uint8_t *ip, size_t len);

/*
 * Endpoint table.  sock_ep_get() returns the endpoint (ep) if it is in use
 * with (kind), else NULL.  sock_ep_next() names the slot the next
 * sock_ep_open() takes (-1: none left); the caller may fill its
 * kind-specific fields (wildcard, connecting, err, local, set) first.
 * sock_ep_open() puts (fd) in slot (i) and registers it with epoll; on
 * failure the descriptor is closed, the slot is cleared and stays free,
 * and a TB_E* is returned.  sock_ep_release() closes the descriptor and
 * frees the slot.  A free slot is all zero but for fd -1 and gen.
 */
struct sock_ep *sock_ep_get(struct tb_stack *s, int ep, enum sock_kind kind);
int sock_ep_next(struct tb_stack *s);
int sock_ep_open(struct tb_stack *s, int i, int fd, enum sock_kind kind,
                 int family, uint32_t interest);
void sock_ep_release(struct tb_stack *s, struct sock_ep *e);

/* Re-registers (e) with epoll if its wanted events changed. */
void sock_ep_rearm(struct tb_stack *s, struct sock_ep *e);

/* Checks (local) as tb_udp_bind() asks: non-zero port; af INET, INET6,
 * or UNSPEC with an all-zero address.  Returns 0 or TB_EINVAL. */
int sock_local_ok(const struct tb_addr *local);

/*
 * Opens a socket of (type) bound to (local) (address rules of
 * tb_udp_bind()), with the options both UDP and TCP want.  Returns the
 * descriptor, or a TB_E*; (*family) is the socket's address family.
 */
int sock_open_bound(const struct tb_addr *local, int type, int *family);

/* Turns epoll's report for UDP endpoint (e) into TB_EV_* (udp.c). */
uint32_t sock_udp_events(struct tb_stack *s, struct sock_ep *e, uint32_t ev);

/* The same for listeners and connections (tcp.c). */
uint32_t sock_tcp_events(struct tb_stack *s, struct sock_ep *e, uint32_t ev);

#endif /* TB_SOCK_INT_H */
