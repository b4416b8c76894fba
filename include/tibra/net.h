/*
 * net.h -- lib/net, the direct TCP/IP stack: Ethernet, ARP, IPv4 (with
 * reassembly), ICMP, IPv6 (NDP, DAD, extension headers, reassembly),
 * ICMPv6, UDP and TCP.  It knows nothing of the platform: frames come in
 * through net_input(), frames go out through the (tx) callback given in
 * struct net_config, and time is passed in through net_advance().  The
 * glue to plat.h (lib/net/plat/netif.c: tb_stack_poll, tb_stack_wait) is
 * a separate object linked only into real images, so unit tests and fuzz
 * targets drive the stack with crafted frames and a fake clock.
 *
 * Applications use the endpoint API of <tibra/stack.h> on the stack this
 * header creates.  All memory is taken once, at net_stack_create(), from
 * the caller's allocator and sized from the config; the packet path never
 * allocates.
 */
#ifndef TB_NET_H
#define TB_NET_H

#include <tibra/base.h>
#include <tibra/plat.h>
#include <tibra/stack.h>

#define NET_IP6_ADDRS_MAX 4

/*
 * Transmit callback: hands (n) frames to the link.  Returns how many were
 * accepted (0..n); the stack keeps the rest queued and retries at the next
 * net_flush().  The frames' buffers belong to the stack and MUST NOT be
 * kept after the call returns (plat.h's tb_net_write copies).
 */
typedef int (*net_tx_fn)(void *ctx, const struct tb_frame *frames, size_t n);

struct net_config {
    uint8_t mac[6];
    uint32_t mtu; /* IP MTU, without the Ethernet header (576..9000) */

    /* IPv4: address, prefix length, default gateway (0.0.0.0 = none).
     * ip4_prefix 0 disables IPv4. */
    uint8_t ip4[4];
    uint8_t ip4_prefix;
    uint8_t ip4_gw[4];

    /* IPv6: static addresses with prefix lengths, plus the link-local
     * address derived from (mac) (RFC 4862 5.3, modified EUI-64), which is
     * always added unless ip6_disable.  ip6_gw: default router (link-local
     * or global; all zero = none). */
    bool ip6_disable;
    uint8_t ip6_count;
    uint8_t ip6[NET_IP6_ADDRS_MAX][16];
    uint8_t ip6_prefix[NET_IP6_ADDRS_MAX];
    uint8_t ip6_gw[16];
    bool ip6_dad; /* run DAD (RFC 4862 5.4) before using addresses */

    /* Pools and limits. */
    uint32_t pkts; /* frame buffers (mtu + 14 bytes each) */
    uint32_t neigh; /* ARP + ND cache entries */
    uint32_t neigh_pending; /* frames waiting for resolution, total */
    uint32_t reasm_slots; /* datagrams being reassembled at once */
    uint32_t reasm_max; /* largest reassembled datagram (bytes) */
    uint32_t udp_eps; /* UDP endpoints */
    uint32_t udp_queue; /* datagrams queued per UDP endpoint */
    uint32_t tcp_listeners;
    uint32_t tcp_conns; /* TCP connections incl. half-open, TIME_WAIT */
    uint32_t tcp_rcvbuf; /* per connection receive buffer (bytes) */
    uint32_t tcp_sndbuf; /* per connection send buffer (bytes) */
    uint32_t tcp_msl_ms; /* maximum segment lifetime; TIME_WAIT = 2 MSL */
    uint32_t icmp_rate; /* ICMP errors per second (token bucket) */

    uint64_t secret; /* from tb_entropy(): ISNs, ephemeral ports, ids */

    net_tx_fn tx;
    void *tx_ctx;
};

/* Fills (c) with defaults (no addresses, no tx); the caller sets the rest. */
TB_API void net_config_default(struct net_config *c);

/*
 * Creates a stack from (c), taking all its memory from (a) (kept for
 * net_stack_destroy()).  (now) is the current monotonic time.  Sends a
 * gratuitous ARP and starts DAD / unsolicited NA through c->tx.  Returns
 * 0 with the stack in (*sp), TB_EINVAL (bad config: no tx, MTU out of
 * range, zero-sized pool) or TB_ENOMEM.
 */
TB_API int net_stack_create(struct tb_stack **sp, const struct net_config *c,
                            const struct tb_alloc *a, tb_time_t now);

/*
 * Returns the bytes net_stack_create() takes from its allocator for (c)
 * (the allocator's own alignment padding not included), or SIZE_MAX if
 * (c)'s pools are too large to count.  (c->mtu) is used as given: the
 * device MAY lower it (net_plat_open()), never raise it, so with a
 * non-zero mtu this is an upper bound.  Lets an application size its
 * other pools from what the stack leaves.
 */
TB_API size_t net_stack_memory(const struct net_config *c);

/* Frees everything (s) holds; endpoints become invalid.  NULL is fine. */
TB_API void net_stack_destroy(struct tb_stack *s);

/*
 * Zero-copy receive: net_rxbuf_get() lends a frame buffer of (*cap) bytes
 * (>= mtu + 14) or returns NULL when the pool is empty; the driver reads a
 * frame into it and passes it to net_input_rxbuf() with its length, which
 * takes the buffer back whatever happens.  net_rxbuf_put() returns an
 * unused one.
 */
TB_API uint8_t *net_rxbuf_get(struct tb_stack *s, size_t *cap);
TB_API void net_input_rxbuf(struct tb_stack *s, uint8_t *buf, size_t len);
TB_API void net_rxbuf_put(struct tb_stack *s, uint8_t *buf);

/*
 * Processes one received Ethernet frame (copied into a stack buffer).
 * Bad frames are counted drops; this never fails.  Replies are queued and
 * leave at the next net_flush().
 */
TB_API void net_input(struct tb_stack *s, const uint8_t *frame, size_t len);

/*
 * Sets the stack's clock to (now) (monotonic ns; MUST NOT go backwards)
 * and runs every timer due by then.
 */
TB_API void net_advance(struct tb_stack *s, tb_time_t now);

/*
 * Sends pending ACKs and queued frames through the tx callback.  Returns
 * the number of frames still queued (the link refused them).
 */
TB_API size_t net_flush(struct tb_stack *s);

/*
 * Collects up to (n) ready endpoints into (ev), as tb_stack_poll() does
 * after its I/O.  Returns the count.
 */
TB_API int net_events(struct tb_stack *s, struct tb_event *ev, size_t n);

/* The stack's counters: every drop has one.  Read-only snapshot. */
struct net_stats {
    uint64_t rx_frames, tx_frames, tx_dropped;
    uint64_t eth_drop; /* short, not for us, unknown type */
    uint64_t arp_rx, arp_drop, arp_pending_drop;
    uint64_t ip4_rx, ip4_drop_hdr, ip4_drop_csum, ip4_drop_addr;
    uint64_t ip6_rx, ip6_drop_hdr, ip6_drop_addr, ip6_drop_ext;
    uint64_t frag_rx, frag_drop, frag_overlap, frag_timeout, frag_done;
    uint64_t icmp_rx, icmp_drop, icmp_err_tx, icmp_rate_limited;
    uint64_t udp_rx, udp_drop_csum, udp_drop_noport, udp_drop_full;
    uint64_t tcp_rx, tcp_drop_csum, tcp_drop_hdr, tcp_rst_tx;
    uint64_t tcp_retrans, tcp_fast_retrans, tcp_rto, tcp_challenge_ack;
    uint64_t tcp_syn_evict, tcp_accept_overflow, tcp_ooo;
    uint64_t tcp_orphan_evict; /* closing connections reset for a SYN */
    uint64_t nomem; /* a pool was empty */
};
TB_API const struct net_stats *net_stats(const struct tb_stack *s);

/* Pool occupancy, for tests (every teardown asserts zero in use). */
TB_API uint32_t net_pkts_in_use(const struct tb_stack *s);

/* The MAC / first IPv6 address the stack uses (tests, logs). */
TB_API void net_ip6_linklocal(const uint8_t mac[6], uint8_t out[16]);

/*
 * Glue to plat.h (lib/net/plat/netif.c, not in libtibra.a): acquires net
 * device (name), fills c->mac, c->mtu, c->tx, c->tx_ctx and c->secret
 * (tb_entropy) and creates the stack.  Returns what tb_net_acquire() or
 * net_stack_create() returns.  The stack's tb_stack_poll() then reads
 * that device and tb_stack_wait() calls tb_yield().
 */
TB_API int net_plat_open(struct tb_stack **sp, const char *name,
                         struct net_config *c, const struct tb_alloc *a);

#endif /* TB_NET_H */
