/*
 * fuzz_res_conn.c -- the resolver's TCP client session (struct
 * dns_res_conn, lib/dns/res_conn.c) on arbitrary byte streams.  The
 * first input byte sets the read size (1..64) and how many tasks are held
 * back before being answered; the rest is the stream, fed through
 * rspace/received in reads of that size, with EOF at the end.  Tasks run
 * to DONE with timeouts only (the root hints point nowhere: SERVFAIL);
 * output is drained in reads of the same size.
 *
 * Invariants: rspace never names more than the buffer holds; at most
 * DNS_RES_CONN_PENDING tasks are out at once; the output is a sequence of
 * whole frames, each a message that parses with QR set; the session ends
 * (done) once the stream is over and everything owed is sent; the work is
 * bounded.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include <tibra/dns/res.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

static struct dns_cache *cache;
static struct dns_res *res;
static uint8_t rbuf[DNS_RES_CONN_RBUF], wbuf[DNS_RES_CONN_WBUF];
static uint8_t frame[2 + 65535]; /* the output frame being reassembled */
static size_t flen;

static uint32_t rng(void *ctx)
{
    (void)ctx;
    return 7;
}

static void run(struct dns_res_task *t, uint64_t *now)
{
    struct dns_res_send s;

    for (unsigned i = 0; dns_res_task_next(t, *now, &s) == DNS_RES_SEND; i++) {
        REQUIRE(i < 200);
        *now = s.deadline;
        dns_res_task_timeout(t, *now);
    }
}

/* Takes output bytes one at a time into (frame); checks each whole
 * frame: a message that parses, with QR set. */
static void take(uint8_t b)
{
    struct dns_msg m;

    frame[flen++] = b;
    if (flen < 2 || flen < 2 + (size_t)tb_get16(frame))
        return;
    REQUIRE(dns_msg_parse(&m, frame + 2, flen - 2) == 0);
    REQUIRE(m.flags & DNS_FLAG_QR);
    flen = 0;
}

/* Drains (step) bytes of output at a time. */
static void drain(struct dns_res_conn *c, size_t step, uint64_t now)
{
    const uint8_t *p;
    size_t n;

    while ((n = dns_res_conn_output(c, &p)) > 0) {
        n = TB_MIN(n, step);
        for (size_t i = 0; i < n; i++)
            take(p[i]);
        dns_res_conn_sent(c, n, now);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_res_conn c;
    struct dns_res_task *held[DNS_RES_CONN_PENDING + 1], *t;
    unsigned nheld = 0, hold;
    uint64_t now = 1000000000ull;
    size_t step, pos = 1;

    if (cache == NULL) {
        struct dns_cache_conf cc = {.mem_bytes = 1 << 16};
        struct dns_res_conf rc = {.random = rng,
                                  .max_tasks = DNS_RES_CONN_PENDING};
        struct dns_res_hints h;
        static const char hints[] = ". 1 NS a.\na. 1 A 192.0.2.53\n";
        REQUIRE(dns_cache_init(&cache, &cc, &ta) == 0);
        REQUIRE(dns_res_hints_parse(&h, hints, sizeof(hints) - 1, "h", &ta,
                                    NULL) == 0);
        REQUIRE(dns_res_init(&res, &rc, &h, cache, &ta) == 0);
    }
    if (size < 1)
        return 0;
    step = 1 + (data[0] & 63);
    hold = (data[0] >> 6) & 3;
    flen = 0;
    dns_res_conn_open(&c, res, NULL, rbuf, wbuf, now);
    for (unsigned turn = 0;; turn++) {
        uint8_t *dst;
        size_t room = dns_res_conn_rspace(&c, &dst);
        int rc;

        REQUIRE(turn < 4 * size + 100);
        REQUIRE(
            room <= DNS_RES_CONN_RBUF &&
            (room == 0 || (dst >= rbuf && dst + room <= rbuf + sizeof(rbuf))));
        if (room > 0 && pos < size) {
            size_t n = TB_MIN(TB_MIN(room, step), size - pos);
            memcpy(dst, data + pos, n);
            dns_res_conn_received(&c, n, now);
            pos += n;
        } else if (room > 0) {
            dns_res_conn_received(&c, 0, now); /* EOF */
        }
        while ((rc = dns_res_conn_next(&c, now, &t)) != 0)
            if (rc == 2) {
                REQUIRE(nheld <= DNS_RES_CONN_PENDING);
                held[nheld++] = t;
            }
        /* answer the held tasks once more than (hold) are out, or when
           nothing else can move */
        while (nheld > hold ||
               (nheld > 0 && dns_res_conn_rspace(&c, &dst) == 0)) {
            t = held[--nheld];
            run(t, &now);
            dns_res_conn_answer(&c, t, now);
        }
        drain(&c, step, now);
        if (dns_res_conn_done(&c, now, 0))
            break;
        now += 1000;
    }
    REQUIRE(nheld == 0);
    REQUIRE(flen == 0); /* only whole frames */
    return 0;
}
