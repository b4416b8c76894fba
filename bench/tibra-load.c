/*
 * bench/tibra-load.c -- a batching UDP load generator for DNS servers.
 *
 * Reads a query file ("NAME TYPE" per line, dnsperf's format), encodes every
 * query once, then keeps a fixed number of queries in flight against one
 * server for a fixed time (or a fixed count): sendmmsg() in batches,
 * recvmmsg() in batches, one 16-bit ID per outstanding query, a FIFO of
 * send times for timeouts.  Reports answered queries per second, latency
 * percentiles (1 us buckets), loss, rcodes, and its own CPU use as a share
 * of one core -- the number that shows the generator is not the
 * bottleneck (bench/run.sh pins it to its own core).
 *
 * Closed loop by design: a new query leaves only when an answer (or a
 * timeout) frees a slot, so the figure is the server's capacity at that
 * concurrency, not an offered load.  It does not do TCP, EDNS options or
 * DNSSEC, and it checks of each answer only the ID, QR and the echoed
 * question.  Hosted bench tool; never part of an image.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#define MAX_SOCKS 64
#define MAX_BATCH 256
#define MSG_MAX   512 /* our queries: header + name + OPT < 512 */
#define ANS_MAX   4096
#define NIDS      65536
#define HIST_US   1000000 /* 1 us buckets up to 1 s */
#define FIFO_N    (1u << 22) /* send-time FIFO: > max QPS x timeout */

struct query {
    uint32_t off; /* into qbuf */
    uint16_t len;
    uint16_t qlen; /* question section length (after header) */
};

struct slot {
    uint64_t sent_ns;
    uint32_t query;
    uint16_t gen;
    uint8_t sock;
    uint8_t busy;
};

struct fifo_ent {
    uint64_t sent_ns;
    uint16_t id;
    uint16_t gen;
};

static struct slot slots[NIDS];
static struct fifo_ent fifo[FIFO_N];
static uint16_t free_ids[NIDS];
static uint32_t hist[HIST_US];
static uint64_t hist_over;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "tibra-load: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: tibra-load [-s ADDR] [-p PORT] [-d SECONDS | -n COUNT]\n"
            "                  [-c INFLIGHT] [-b BATCH] [-S SOCKETS] "
            "[-t TIMEOUT_MS] [-e] [-r]\n"
            "                  QUERYFILE\n"
            "  -e adds an OPT record (EDNS 0, 1232 octets); "
            "-r sets RD\n");
    exit(2);
}

/* RR type mnemonics the bench query files use; TYPEnnn for the rest. */
static int type_code(const char *t)
{
    static const struct {
        const char *name;
        int code;
    } tab[] = {{"A", 1},     {"NS", 2},     {"CNAME", 5}, {"SOA", 6},
               {"PTR", 12},  {"MX", 15},    {"TXT", 16},  {"AAAA", 28},
               {"SRV", 33},  {"NAPTR", 35}, {"DS", 43},   {"DNSKEY", 48},
               {"ANY", 255}, {"CAA", 257}};
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcasecmp(t, tab[i].name) == 0)
            return tab[i].code;
    if (strncasecmp(t, "TYPE", 4) == 0) {
        long v = strtol(t + 4, NULL, 10);
        if (v > 0 && v < 65536)
            return (int)v;
    }
    return -1;
}

/* Text name (no escapes) to wire form in (out); returns the length or -1. */
static int name_to_wire(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        if (l == 0 || l > 63 || n + l + 2 > cap || n + l + 2 > 255)
            return -1;
        out[n++] = (uint8_t)l;
        memcpy(out + n, s, l);
        n += l;
        s += l;
        if (*s == '.')
            s++;
    }
    out[n++] = 0;
    return (int)n;
}

static struct query *load_queries(const char *path, int edns, int rd,
                                  uint8_t **qbuf_out, size_t *nq_out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        die(path);
    size_t cap = 1024, nq = 0, bcap = 1 << 20, blen = 0;
    struct query *q = malloc(cap * sizeof *q);
    uint8_t *buf = malloc(bcap);
    if (!q || !buf)
        die("malloc");
    char line[1024], name[512], type[64];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "%511s %63s", name, type) != 2) {
            fprintf(stderr, "tibra-load: %s:%u: want NAME TYPE\n", path,
                    lineno);
            exit(2);
        }
        if (nq == cap) {
            cap *= 2;
            q = realloc(q, cap * sizeof *q);
        }
        if (blen + MSG_MAX > bcap) {
            bcap *= 2;
            buf = realloc(buf, bcap);
        }
        if (!q || !buf)
            die("realloc");
        uint8_t *m = buf + blen;
        int t = type_code(type);
        if (strcmp(name, ".") == 0)
            name[0] = 0;
        int nl = name_to_wire(name, m + 12, MSG_MAX - 12 - 4 - 11);
        if (t < 0 || nl < 0) {
            fprintf(stderr, "tibra-load: %s:%u: bad name or type\n", path,
                    lineno);
            exit(2);
        }
        /* RFC 1035 4.1.1 header: ID set at send time. */
        memset(m, 0, 12);
        m[2] = rd ? 0x01 : 0x00;
        m[5] = 1; /* QDCOUNT */
        size_t l = 12 + (size_t)nl;
        m[l++] = (uint8_t)(t >> 8);
        m[l++] = (uint8_t)t;
        m[l++] = 0;
        m[l++] = 1; /* class IN */
        q[nq].qlen = (uint16_t)(l - 12);
        if (edns) { /* RFC 6891 6.1.2 OPT, payload 1232 */
            static const uint8_t opt[11] = {0, 0, 41, 0x04, 0xd0, 0,
                                            0, 0, 0,  0,    0};
            m[11] = 1; /* ARCOUNT */
            memcpy(m + l, opt, sizeof opt);
            l += sizeof opt;
        }
        q[nq].off = (uint32_t)blen;
        q[nq].len = (uint16_t)l;
        blen += l;
        nq++;
    }
    fclose(f);
    if (nq == 0) {
        fprintf(stderr, "tibra-load: %s: no queries\n", path);
        exit(2);
    }
    *qbuf_out = buf;
    *nq_out = nq;
    return q;
}

static uint32_t percentile(uint64_t total, double p)
{
    uint64_t want = (uint64_t)((double)total * p);
    uint64_t acc = 0;
    if (want >= total)
        want = total - 1;
    for (uint32_t i = 0; i < HIST_US; i++) {
        acc += hist[i];
        if (acc > want)
            return i;
    }
    return HIST_US;
}

int main(int argc, char **argv)
{
    const char *addr = "127.0.0.1";
    int port = 53, inflight = 100, batch = 32, nsock = 4, timeout_ms = 1000;
    int edns = 0, rd = 0, opt;
    double duration = 10;
    uint64_t count = 0;
    while ((opt = getopt(argc, argv, "s:p:d:n:c:b:S:t:er")) != -1) {
        switch (opt) {
        case 's':
            addr = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 'd':
            duration = atof(optarg);
            break;
        case 'n':
            count = strtoull(optarg, NULL, 10);
            break;
        case 'c':
            inflight = atoi(optarg);
            break;
        case 'b':
            batch = atoi(optarg);
            break;
        case 'S':
            nsock = atoi(optarg);
            break;
        case 't':
            timeout_ms = atoi(optarg);
            break;
        case 'e':
            edns = 1;
            break;
        case 'r':
            rd = 1;
            break;
        default:
            usage();
        }
    }
    if (optind + 1 != argc || inflight < 1 || inflight > NIDS - 1 ||
        batch < 1 || batch > MAX_BATCH || nsock < 1 || nsock > MAX_SOCKS ||
        port < 1 || port > 65535 || timeout_ms < 1 || duration <= 0)
        usage();

    uint8_t *qbuf;
    size_t nq;
    struct query *qs = load_queries(argv[optind], edns, rd, &qbuf, &nq);

    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "tibra-load: bad address %s\n", addr);
        return 2;
    }
    int socks[MAX_SOCKS];
    struct pollfd pfd[MAX_SOCKS];
    for (int i = 0; i < nsock; i++) {
        int bufsz = 4 << 20;
        socks[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (socks[i] < 0)
            die("socket");
        setsockopt(socks[i], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof bufsz);
        setsockopt(socks[i], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof bufsz);
        if (connect(socks[i], (struct sockaddr *)&sa, sizeof sa) < 0)
            die("connect");
        pfd[i].fd = socks[i];
        pfd[i].events = POLLIN;
    }
    for (uint32_t i = 0; i < NIDS; i++)
        free_ids[i] = (uint16_t)i;
    uint32_t free_head = 0, free_n = NIDS; /* ring of free IDs */
    uint32_t fifo_head = 0, fifo_n = 0;

    static uint8_t sbuf[MAX_BATCH][MSG_MAX];
    static uint8_t rbuf[MAX_BATCH][ANS_MAX];
    struct mmsghdr smsg[MAX_BATCH], rmsg[MAX_BATCH];
    struct iovec siov[MAX_BATCH], riov[MAX_BATCH];
    for (int i = 0; i < MAX_BATCH; i++) {
        siov[i].iov_base = sbuf[i];
        riov[i].iov_base = rbuf[i];
        riov[i].iov_len = ANS_MAX;
        memset(&smsg[i], 0, sizeof smsg[i]);
        memset(&rmsg[i], 0, sizeof rmsg[i]);
        smsg[i].msg_hdr.msg_iov = &siov[i];
        smsg[i].msg_hdr.msg_iovlen = 1;
        rmsg[i].msg_hdr.msg_iov = &riov[i];
        rmsg[i].msg_hdr.msg_iovlen = 1;
    }

    uint64_t sent = 0, answered = 0, in_window = 0, lost = 0, bad = 0;
    uint64_t send_err = 0, rcodes[16] = {0};
    uint32_t next_q = 0, out = 0;
    int rr_sock = 0;
    uint64_t timeout_ns = (uint64_t)timeout_ms * 1000000u;
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    uint64_t t0 = now_ns();
    uint64_t t_end = t0 + (uint64_t)(duration * 1e9);
    uint64_t t_stop = t_end; /* when sending stopped */
    int sending = 1;

    for (;;) {
        uint64_t now = now_ns();
        if (sending && ((count && sent >= count) || (!count && now >= t_end))) {
            sending = 0;
            t_stop = now;
        }
        if (!sending && out == 0)
            break;
        /*
         * Expire: the FIFO is in send order, so timeouts are at its head;
         * entries already answered are dropped from the head as we go.
         */
        while (fifo_n) {
            struct fifo_ent *e = &fifo[fifo_head];
            struct slot *s = &slots[e->id];
            int live = s->busy && s->gen == e->gen;
            if (live && e->sent_ns + timeout_ns > now)
                break;
            if (live) {
                s->busy = 0;
                lost++;
                out--;
                free_ids[(free_head + free_n) % NIDS] = e->id;
                free_n++;
            }
            fifo_head = (fifo_head + 1) % FIFO_N;
            fifo_n--;
        }
        /* Send: fill the window, one batch per socket in turn. */
        while (sending && out < (uint32_t)inflight &&
               fifo_n < FIFO_N - MAX_BATCH && (!count || sent < count)) {
            int n = 0, want = inflight - (int)out;
            if (want > batch)
                want = batch;
            if (count && (uint64_t)want > count - sent)
                want = (int)(count - sent);
            int s_i = rr_sock;
            rr_sock = (rr_sock + 1) % nsock;
            for (; n < want; n++) {
                uint16_t id = free_ids[free_head];
                struct query *q = &qs[next_q];
                memcpy(sbuf[n], qbuf + q->off, q->len);
                sbuf[n][0] = (uint8_t)(id >> 8);
                sbuf[n][1] = (uint8_t)id;
                siov[n].iov_len = q->len;
                slots[id].query = next_q;
                slots[id].sock = (uint8_t)s_i;
                next_q = (next_q + 1) % (uint32_t)nq;
                free_head = (free_head + 1) % NIDS;
                free_n--;
            }
            int r = sendmmsg(socks[s_i], smsg, (unsigned)n, 0);
            if (r < 0) {
                if (errno != EAGAIN && errno != ENOBUFS)
                    die("sendmmsg");
                r = 0;
            }
            uint64_t ts = now_ns();
            for (int k = 0; k < n; k++) {
                uint16_t id = (uint16_t)(sbuf[k][0] << 8 | sbuf[k][1]);
                if (k >= r) { /* not sent: give the ID back */
                    free_head = (free_head + NIDS - 1) % NIDS;
                    free_ids[free_head] = id;
                    free_n++;
                    continue;
                }
                slots[id].busy = 1;
                slots[id].gen++;
                slots[id].sent_ns = ts;
                fifo[(fifo_head + fifo_n) % FIFO_N] =
                    (struct fifo_ent){ts, id, slots[id].gen};
                fifo_n++;
                out++;
                sent++;
            }
            if (r < n) {
                /* The IDs given back above were pushed at the head in
                 * reverse, so the query order is only approximately kept;
                 * the query index is rewound to resend them next. */
                next_q =
                    (next_q + (uint32_t)nq - (uint32_t)(n - r)) % (uint32_t)nq;
                send_err++;
                break;
            }
        }
        /* Receive: wait at most 1 ms, then drain every readable socket. */
        int pr = poll(pfd, (nfds_t)nsock, 1);
        if (pr < 0 && errno != EINTR)
            die("poll");
        for (int i = 0; pr > 0 && i < nsock; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            for (;;) {
                int r = recvmmsg(socks[i], rmsg, (unsigned)batch, MSG_DONTWAIT,
                                 NULL);
                if (r <= 0)
                    break;
                uint64_t ts = now_ns();
                for (int k = 0; k < r; k++) {
                    const uint8_t *m = rbuf[k];
                    unsigned len = rmsg[k].msg_len;
                    if (len < 12 || !(m[2] & 0x80)) {
                        bad++;
                        continue;
                    }
                    uint16_t id = (uint16_t)(m[0] << 8 | m[1]);
                    struct slot *s = &slots[id];
                    if (!s->busy || s->sock != i) {
                        bad++; /* late (already timed out) or foreign */
                        continue;
                    }
                    const struct query *q = &qs[s->query];
                    if (len < 12u + q->qlen ||
                        memcmp(m + 12, qbuf + q->off + 12, q->qlen) != 0) {
                        bad++;
                        continue;
                    }
                    s->busy = 0;
                    out--;
                    free_ids[(free_head + free_n) % NIDS] = id;
                    free_n++;
                    answered++;
                    if (ts <= t_end || count)
                        in_window++;
                    rcodes[m[3] & 0xf]++;
                    uint64_t us = (ts - s->sent_ns) / 1000;
                    if (us < HIST_US)
                        hist[us]++;
                    else
                        hist_over++;
                }
                if (r < batch)
                    break;
            }
        }
    }
    uint64_t t1 = now_ns();
    getrusage(RUSAGE_SELF, &ru1);
    double wall = (double)(t_stop - t0) / 1e9;
    double all = (double)(t1 - t0) / 1e9;
    double cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                 (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                 (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                 (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    double qps = wall > 0 ? (double)in_window / wall : 0;
    uint64_t nh = answered - hist_over;
    uint32_t p50 = nh ? percentile(nh, 0.50) : 0;
    uint32_t p90 = nh ? percentile(nh, 0.90) : 0;
    uint32_t p99 = nh ? percentile(nh, 0.99) : 0;
    uint32_t p999 = nh ? percentile(nh, 0.999) : 0;
    uint32_t pmax = 0;
    for (uint32_t i = 0; i < HIST_US; i++)
        if (hist[i])
            pmax = i;

    printf("tibra-load: %s:%d, %.1f s sending, %d sockets, %d in flight, "
           "batch %d, %zu distinct queries\n",
           addr, port, wall, nsock, inflight, batch, nq);
    printf("sent %llu answered %llu lost %llu (%.3f%%) bad %llu "
           "send-stalls %llu\n",
           (unsigned long long)sent, (unsigned long long)answered,
           (unsigned long long)lost,
           sent ? 100.0 * (double)lost / (double)sent : 0.0,
           (unsigned long long)bad, (unsigned long long)send_err);
    printf("qps %.0f\n", qps);
    printf("latency us: p50 %u p90 %u p99 %u p99.9 %u max %u%s\n", p50, p90,
           p99, p999, pmax, hist_over ? " (some > 1 s)" : "");
    static const char *rc[16] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                 "NXDOMAIN", "NOTIMP",  "REFUSED"};
    printf("rcodes:");
    for (int i = 0; i < 16; i++)
        if (rcodes[i])
            printf(" %s=%llu", rc[i] ? rc[i] : "other",
                   (unsigned long long)rcodes[i]);
    printf("\ngenerator cpu: %.0f%% of one core\n", 100.0 * cpu / all);
    printf("RESULT qps=%.0f sent=%llu answered=%llu lost=%llu p50_us=%u "
           "p99_us=%u cpu_pct=%.0f\n",
           qps, (unsigned long long)sent, (unsigned long long)answered,
           (unsigned long long)lost, p50, p99, 100.0 * cpu / all);
    return 0;
}
