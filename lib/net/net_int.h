/*
 * net_int.h -- lib/net's private header: the stack object, packet buffers,
 * neighbour cache, reassembly slots, UDP endpoints and TCP control blocks,
 * and the prototypes modules call on each other.  Nothing outside lib/net
 * includes it (the plat glue in lib/net/plat/ is part of lib/net).
 *
 * Receive path:  net_input -> eth_input -> arp_input | ip4_input | ip6_input
 *                ip*_input -> [reasm] -> icmp*_input | udp_input | tcp_input
 * Transmit path: udp/tcp/icmp build a frame in a pkt, leaving room for the
 *                Ethernet header, then ip4_output/ip6_output -> eth_output
 *                (neighbour resolution, maybe queued) -> txq -> net_flush.
 */
#ifndef TB_NET_INT_H
#define TB_NET_INT_H

#include <assert.h>

#include <tibra/net.h>

#define ETH_HLEN    14
#define ETH_P_IP    0x0800
#define ETH_P_ARP   0x0806
#define ETH_P_IPV6  0x86dd
#define IP4_HLEN    20
#define IP6_HLEN    40
#define UDP_HLEN    8
#define TCP_HLEN    20
#define PROTO_ICMP  1
#define PROTO_TCP   6
#define PROTO_UDP   17
#define PROTO_ICMP6 58
#define NS_PER_MS   1000000ull
#define NS_PER_S    1000000000ull
#define TIME_NEVER  UINT64_MAX

/*
 * A packet buffer: (buf, cap) is the storage; (data, len) the bytes in use.
 * Refcounted so a received frame can sit in a UDP queue while the
 * application reads it in place.  Big buffers (reassembly) have their own
 * pool but the same header.
 */
struct pkt {
    struct pkt *next;
    uint8_t *buf;
    uint8_t *data;
    uint32_t len;
    uint32_t cap;
    uint16_t ref;
    uint8_t big; /* from the reassembly pool */
    uint8_t pad;
    /* For queued UDP datagrams: payload and addresses. */
    uint32_t pl_off, pl_len;
    struct tb_addr peer, local;
};

/* Neighbour cache entry (ARP for v4, ND for v6): RFC 826, RFC 4861 7.3. */
enum neigh_state { NB_FREE, NB_INCOMPLETE, NB_REACHABLE, NB_STALE };
struct neigh {
    uint8_t state;
    uint8_t af;
    uint8_t probes;
    uint8_t npend;
    uint8_t ip[16];
    uint8_t mac[6];
    tb_time_t expires; /* REACHABLE/STALE: entry timeout; INCOMPLETE: retry */
    tb_time_t used; /* LRU for eviction */
    struct pkt *pend; /* frames waiting for resolution (linked) */
};

/* Reassembly slot: RFC 791 3.2 / RFC 815, RFC 8200 4.5. */
struct reasm {
    bool used;
    uint8_t af, proto;
    uint32_t id;
    uint8_t src[16], dst[16];
    tb_time_t expires;
    uint32_t total; /* payload length once the last fragment came; 0 */
    uint32_t have; /* payload bytes received */
    uint32_t hdrlen; /* unfragmentable header bytes copied in front */
    uint8_t *map; /* one bit per 8-byte block received */
    struct pkt *p; /* big buffer: header + payload */
};

struct udp_ep {
    bool used;
    struct tb_addr local;
    uint32_t interest;
    uint32_t qlen;
    struct pkt *qhead, *qtail;
    struct pkt *held; /* handed to the app by the last recv (linked) */
};

enum tcp_state {
    TCP_CLOSED,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RCVD,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT
};

#define TCP_OOO_MAX 8

struct tcb {
    uint8_t state;
    bool app; /* the application holds an endpoint for it */
    bool fin_queued; /* shutdown: FIN follows the queued data */
    bool fin_sent;
    bool fin_rcvd;
    bool ack_now; /* send an ACK at the next flush */
    bool ws_ok; /* window scaling agreed (RFC 7323 2.2) */
    bool sack_ok; /* SACK permitted both ways (RFC 2018) */
    bool in_recovery;
    bool rtt_active;
    uint8_t snd_ws, rcv_ws;
    uint8_t retries;
    int err; /* sticky: TB_ECONNRESET, TB_ECONNREFUSED, ... */
    uint32_t interest;
    int listener; /* listener index while unaccepted, else -1 */
    struct tcb *aq_next; /* accept queue / syn queue link */
    tb_time_t born;

    struct tb_addr local, remote;

    /* RFC 9293 3.3.1 send and receive sequence variables. */
    uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
    uint32_t max_snd_wnd;
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge advertised */
    uint16_t mss; /* send MSS (peer's option, capped by our MTU) */

    /* SACK scoreboard: ranges the peer holds above snd_una, and how far
     * this recovery has retransmitted (RFC 6675, simplified). */
    uint8_t nsack;
    struct {
        uint32_t start, end;
    } sack[4];
    uint32_t rtx_hi;
    bool tlp_done; /* a tail loss probe is out (RFC 8985 7) */
    tb_time_t tlp_deadline; /* TIME_NEVER if not armed */

    /* Congestion control (RFC 5681, NewReno RFC 6582). */
    uint32_t cwnd, ssthresh, recover;
    uint8_t dupacks;

    /* RTO (RFC 6298), in ns. */
    uint64_t srtt, rttvar, rto;
    uint32_t rtt_seq;
    tb_time_t rtt_start;
    tb_time_t rtx_deadline; /* retransmit / persist; TIME_NEVER if off */
    tb_time_t tw_deadline; /* TIME_WAIT end; also SYN_RCVD/FIN_WAIT_2 */

    /* Receive ring: (rcap) bytes; in-order unread data [rhead, rhead+rlen);
     * out-of-order ranges (absolute sequence numbers) beyond it. */
    uint8_t *rbuf;
    uint32_t rcap, rhead, rlen;
    uint8_t nooo;
    struct {
        uint32_t start, end;
    } ooo[TCP_OOO_MAX];

    /* Send ring: data from snd_una on, [shead, shead + slen). */
    uint8_t *sbuf;
    uint32_t scap, shead, slen;
};

struct tcp_listener {
    bool used;
    struct tb_addr local;
    uint32_t interest;
    uint32_t backlog;
    uint32_t nsyn, nacc; /* half-open, completed */
    struct tcb *acc_head, *acc_tail;
};

struct tb_stack {
    struct net_config cfg;
    struct tb_alloc alloc;
    tb_time_t now;
    struct net_stats st;
    uint32_t frame_cap;

    /* Addresses. */
    uint8_t ip4_bcast[4];
    uint32_t ip4_mask;
    uint8_t nip6;
    uint8_t ip6[NET_IP6_ADDRS_MAX + 1][16];
    uint8_t ip6_plen[NET_IP6_ADDRS_MAX + 1];
    uint8_t ip6_tentative[NET_IP6_ADDRS_MAX + 1]; /* DAD probes left+1 */
    tb_time_t dad_next;
    uint16_t ip4_id;
    uint32_t frag6_id;

    /* Packet pools. */
    struct pkt *pkt_hdrs;
    uint8_t *pkt_mem;
    struct pkt *free_pkts;
    uint32_t pkts_used;
    struct pkt *big_hdrs;
    uint8_t *big_mem;
    struct pkt *free_big;

    /* Transmit queue (ring of pkt pointers). */
    struct pkt **txq;
    uint32_t txq_cap, txq_head, txq_len;

    struct neigh *nb;
    uint32_t nb_pending;
    tb_time_t nb_next_timer;

    struct reasm *rs;
    uint8_t *rs_maps;

    /* ICMP error token bucket (RFC 1122 3.2.2, RFC 4443 2.4(f)). */
    uint32_t icmp_tokens;
    tb_time_t icmp_refill;

    struct udp_ep *udp;
    struct tcp_listener *lst;
    struct tcb *tcb;
    uint8_t *tcp_mem;
    uint32_t chack_count; /* challenge ACKs sent in this second */
    tb_time_t chack_second;
    uint16_t eph_next;

    /* Set by the plat glue (lib/net/plat/netif.c). */
    tb_handle_t plat_handle;
    bool plat_attached;
};

/* Endpoint numbering: UDP [0, U), listeners [U, U+L), connections after. */
static inline int ep_udp(const struct tb_stack *s, int ep)
{
    return ep >= 0 && (uint32_t)ep < s->cfg.udp_eps ? ep : -1;
}
static inline int ep_lst(const struct tb_stack *s, int ep)
{
    long i = (long)ep - (long)s->cfg.udp_eps;
    return i >= 0 && i < (long)s->cfg.tcp_listeners ? (int)i : -1;
}
static inline int ep_tcb(const struct tb_stack *s, int ep)
{
    long i = (long)ep - (long)s->cfg.udp_eps - (long)s->cfg.tcp_listeners;
    return i >= 0 && i < (long)s->cfg.tcp_conns ? (int)i : -1;
}
static inline int tcb_ep(const struct tb_stack *s, const struct tcb *t)
{
    return (int)(s->cfg.udp_eps + s->cfg.tcp_listeners +
                 (uint32_t)(t - s->tcb));
}

/* pkt.c */
struct pkt *pkt_alloc(struct tb_stack *s);
struct pkt *pkt_alloc_big(struct tb_stack *s);
void pkt_ref(struct pkt *p);
void pkt_free(struct tb_stack *s, struct pkt *p);
/* Reserves room for link + network headers: data = buf + (headroom). */
struct pkt *pkt_alloc_tx(struct tb_stack *s, uint32_t headroom);
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t csum_fold(uint32_t sum);
uint32_t csum_pseudo(uint8_t af, const uint8_t *src, const uint8_t *dst,
                     uint8_t proto, uint32_t len);
void txq_push(struct tb_stack *s, struct pkt *p);
bool icmp_rate_ok(struct tb_stack *s);

/* eth.c */
void eth_input(struct tb_stack *s, struct pkt *p);
/* (p->data) starts at the IP header; prepends Ethernet and sends (or
 * queues for resolution of next hop (nh)).  Consumes (p). */
void eth_output(struct tb_stack *s, struct pkt *p, uint16_t type,
                const uint8_t *dst_mac);
void eth_output_ip(struct tb_stack *s, struct pkt *p, uint8_t af,
                   const uint8_t *nh);

/* neigh.c */
struct neigh *neigh_find(struct tb_stack *s, uint8_t af, const uint8_t *ip);
/* Records (ip -> mac); (create) adds an entry if there is none. */
void neigh_update(struct tb_stack *s, uint8_t af, const uint8_t *ip,
                  const uint8_t *mac, bool create, bool confirmed);
void neigh_resolve(struct tb_stack *s, struct pkt *p, uint8_t af,
                   const uint8_t *ip);
void neigh_timers(struct tb_stack *s);
tb_time_t neigh_deadline(const struct tb_stack *s);

/* arp.c */
void arp_input(struct tb_stack *s, struct pkt *p);
void arp_request(struct tb_stack *s, const uint8_t *tip, bool gratuitous);

/* ip4.c */
void ip4_input(struct tb_stack *s, struct pkt *p);
bool ip4_is_local(const struct tb_stack *s, const uint8_t *a);
/* (p->data) at the transport header; prepends IPv4 and routes. */
int ip4_output(struct tb_stack *s, struct pkt *p, const uint8_t *src,
               const uint8_t *dst, uint8_t proto, uint8_t ttl);
int ip4_route(const struct tb_stack *s, const uint8_t *dst, uint8_t *nh);
/* Sends (h, hl) ++ (d, dl) as IPv4 fragments (RFC 791 3.2). */
int ip4_output_frags(struct tb_stack *s, const uint8_t *src, const uint8_t *dst,
                     uint8_t proto, const uint8_t *h, uint32_t hl,
                     const uint8_t *d, uint32_t dl);

/* reasm.c: returns a (big) pkt holding the whole datagram, or NULL. */
struct pkt *reasm_add(struct tb_stack *s, uint8_t af, const uint8_t *src,
                      const uint8_t *dst, uint32_t id, uint8_t proto,
                      const uint8_t *hdr, uint32_t hdrlen, uint32_t off,
                      const uint8_t *frag, uint32_t len, bool more);
void reasm_timers(struct tb_stack *s);
tb_time_t reasm_deadline(const struct tb_stack *s);

/* icmp.c */
void icmp_input(struct tb_stack *s, struct pkt *p, const uint8_t *src,
                const uint8_t *dst, const uint8_t *l4, uint32_t len);
/* Sends an ICMP error quoting IPv4 datagram (ip, iplen). */
void icmp_error(struct tb_stack *s, uint8_t type, uint8_t code, uint32_t param,
                const uint8_t *ip, uint32_t iplen);

/* ip6.c */
void ip6_input(struct tb_stack *s, struct pkt *p);
int ip6_local_index(const struct tb_stack *s, const uint8_t *a);
bool ip6_is_local(const struct tb_stack *s, const uint8_t *a);
void ip6_pick_src(const struct tb_stack *s, const uint8_t *dst, uint8_t *src);
int ip6_output(struct tb_stack *s, struct pkt *p, const uint8_t *src,
               const uint8_t *dst, uint8_t proto, uint8_t hlim);
int ip6_output_frags(struct tb_stack *s, const uint8_t *src, const uint8_t *dst,
                     uint8_t proto, const uint8_t *h, uint32_t hl,
                     const uint8_t *d, uint32_t dl);
void ip6_dad_timer(struct tb_stack *s);
void ip6_start(struct tb_stack *s);

/* icmp6.c (ICMPv6 + NDP) */
void icmp6_input(struct tb_stack *s, struct pkt *p, const uint8_t *src,
                 const uint8_t *dst, const uint8_t *l4, uint32_t len,
                 uint8_t hlim);
void icmp6_error(struct tb_stack *s, uint8_t type, uint8_t code, uint32_t param,
                 const uint8_t *ip, uint32_t iplen);
void nd_solicit(struct tb_stack *s, const uint8_t *target, bool dad,
                const uint8_t *unicast_mac);
void nd_advert_unsolicited(struct tb_stack *s, const uint8_t *ip);

/* udp.c */
void udp_input(struct tb_stack *s, struct pkt *p, uint8_t af,
               const uint8_t *src, const uint8_t *dst, const uint8_t *l4,
               uint32_t len, const uint8_t *ip, uint32_t iplen);
int udp_events(struct tb_stack *s, struct tb_event *ev, size_t n);

/* tcp_in.c / tcp_out.c / tcp.c */
void tcp_input(struct tb_stack *s, uint8_t af, const uint8_t *src,
               const uint8_t *dst, const uint8_t *l4, uint32_t len);
void tcp_output(struct tb_stack *s, struct tcb *t);
/* A hard ICMP error about a segment we sent (quoted TCP header at th). */
void tcp_icmp_unreach(struct tb_stack *s, uint8_t af, const uint8_t *src,
                      const uint8_t *dst, const uint8_t *th);
void tcp_send_ack(struct tb_stack *s, struct tcb *t);
void tcp_send_rst(struct tb_stack *s, uint8_t af, const uint8_t *src,
                  const uint8_t *dst, uint16_t sport, uint16_t dport,
                  uint32_t seq, uint32_t ack, bool with_ack);
void tcp_send_syn(struct tb_stack *s, struct tcb *t);
int tcp_send_segment(struct tb_stack *s, struct tcb *t, uint32_t seq,
                     uint32_t len, uint8_t flags);
void tcp_timers(struct tb_stack *s);
tb_time_t tcp_deadline(const struct tb_stack *s);
void tcp_flush_acks(struct tb_stack *s);
int tcp_events(struct tb_stack *s, struct tb_event *ev, size_t n);
struct tcb *tcb_alloc(struct tb_stack *s);
bool tcb_reclaim_orphan(struct tb_stack *s);
void tcb_open_common(struct tb_stack *s, struct tcb *t);
void tcb_free(struct tb_stack *s, struct tcb *t);
void tcb_reset(struct tb_stack *s, struct tcb *t, int err);
uint32_t tcp_rcv_window(const struct tcb *t);
void tcp_rto_arm(struct tb_stack *s, struct tcb *t);
void tcp_send_tlp(struct tb_stack *s, struct tcb *t);

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

/* Sequence space comparisons (RFC 9293 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}
static inline bool seq_le(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) <= 0;
}
static inline bool seq_gt(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}
static inline bool seq_ge(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) >= 0;
}

/* Address helpers. */
static inline bool ip_zero(const uint8_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i])
            return false;
    return true;
}
static inline size_t af_len(uint8_t af)
{
    return af == TB_AF_INET6 ? 16 : 4;
}
static inline bool addr_match(const struct tb_addr *bound, uint8_t af,
                              const uint8_t *ip)
{
    if (bound->af != TB_AF_UNSPEC && bound->af != af)
        return false;
    return ip_zero(bound->ip, 16) || memcmp(bound->ip, ip, af_len(af)) == 0;
}

#endif /* TB_NET_INT_H */
