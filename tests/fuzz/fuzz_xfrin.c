/*
 * fuzz_xfrin.c -- transfer streams into the secondary (lib/dns/xfrin.c,
 * xfrin_rx.c): a struct dns_xfrin is driven to the point where it has
 * opened a transfer, then the input is its TCP stream.
 *
 *   byte 0: bit 0: the secondary already has serial 1 (the transfer is an
 *           IXFR from it, so deltas are applied); bits 1-7: read size
 *           (1 + value, 0 = everything at once)
 *   rest:   the stream, RFC 1035 4.2.2 framing; the harness writes the
 *           query's ID into every whole message so the receiver parses
 *           its records rather than stopping at the ID check.
 *
 * Whatever the stream, the secondary must end serving serial 1 (or no
 * zone), or a checked version whose SOA is at the apex; never crash, leak
 * or read out of bounds.
 *
 * The same bytes (without byte 0) are also a query to the service core
 * with this secondary (NOTIFY in, SERVFAIL for a zone not served): an
 * answer never exceeds its buffer and echoes the query's ID.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tibra/dns/srv.h>
#include <tibra/dns/xfrin.h>
#include <tibra/hosted.h>

static const uint8_t origin[] = "\7example\3org";
static const struct dns_xfrin_conf conf = {.udp_tries = 1};

/* An SOA answer for (id), serial (serial). */
static size_t soa_answer(uint8_t *buf, uint16_t id, uint32_t serial)
{
    static const uint8_t rd_names[] =
        "\3ns1\7example\3org\0\4host\7example\3org";
    uint8_t rd[sizeof(rd_names) + 20];
    struct dns_writer w;

    memcpy(rd, rd_names, sizeof(rd_names));
    memset(rd + sizeof(rd_names), 0, 20);
    tb_put32(rd + sizeof(rd_names), serial);
    tb_put32(rd + sizeof(rd_names) + 4, 100);
    tb_put32(rd + sizeof(rd_names) + 8, 10);
    tb_put32(rd + sizeof(rd_names) + 12, 1000);
    dns_writer_init(&w, buf, 512, id, DNS_FLAG_QR | DNS_FLAG_AA);
    dns_writer_question(&w, origin, DNS_TYPE_SOA, DNS_CLASS_IN);
    dns_writer_rr(&w, origin, DNS_TYPE_SOA, DNS_CLASS_IN, 3600, rd, sizeof(rd));
    return dns_writer_finish(&w);
}

static void restore_v1(struct dns_xfrin *x)
{
    struct dns_zone_src z;
    struct dns_diag d = {NULL, NULL, 0, 0};
    uint8_t buf[512], *rd;
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t n = soa_answer(buf, 1, 1), rdlen;

    dns_zone_src_init(&z, origin, &tb_heap);
    if (dns_msg_parse(&m, buf, n) != 0)
        abort();
    dns_rr_iter_init(&it, &m, DNS_SEC_ANSWER);
    dns_rr_next(&it, &rr);
    rd = malloc(DNS_RDATA_MAXLEN);
    if (rd == NULL ||
        dns_rdata_unpack(buf, n, rr.rdoff, rr.rdlen, rr.type, rd,
                         DNS_RDATA_MAXLEN, &rdlen) != 0 ||
        dns_zone_src_add(&z, origin, DNS_TYPE_SOA, DNS_CLASS_IN, 3600, rd,
                         (uint16_t)rdlen, 0, 1) != 0 ||
        dns_zone_src_add(&z, (const uint8_t *)"\3www\7example\3org", DNS_TYPE_A,
                         DNS_CLASS_IN, 60, (const uint8_t *)"\xc0\0\2\1", 4, 0,
                         2) != 0 ||
        dns_zone_check(&z, &d) != 0 || dns_xfrin_restore(x, &z, 100, 0) != 0)
        abort();
    free(rd);
    dns_zone_src_free(&z);
}

/* (q, len) as a datagram to a service core with one secondary, not
 * served (an empty zone set), from one of its primaries. */
static void core(const uint8_t *q, size_t len)
{
    static struct dns_zoneset *zs;
    static struct dns_xfrin x;
    static struct dns_xfrin *set[1] = {&x};
    static const struct dns_srv_conf sc;
    static const struct tb_addr p = {.af = TB_AF_INET,
                                     .port = 5353,
                                     .ip = {192, 0, 2, 1}};
    struct dns_srv srv;
    uint8_t resp[1232];
    size_t n;

    if (zs == NULL &&
        (dns_zoneset_build(&zs, NULL, NULL, 0, NULL, &tb_heap) != 0 ||
         dns_xfrin_init(&x, origin, &p, 1, &conf, 1, &tb_heap) != 0))
        abort();
    dns_srv_init(&srv, zs, &sc);
    srv.xfrin = set;
    srv.nxfrin = 1;
    n = dns_srv_udp(&srv, &p, q, len, resp, sizeof(resp), 1);
    if (n > sizeof(resp) || (n != 0 && (n < 12 || memcmp(resp, q, 2) != 0)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_xfrin x;
    struct dns_xfrin_io io;
    struct tb_addr p = {.af = TB_AF_INET, .port = 53, .ip = {192, 0, 2, 1}};
    uint8_t buf[512], *s, *room;
    size_t n, chunk, off = 0;
    uint16_t id = 0;
    bool have;

    if (size < 1 || size > 1 << 20)
        return 0;
    core(data + 1, size - 1);
    have = data[0] & 1;
    chunk = data[0] >> 1;
    if (dns_xfrin_init(&x, origin, &p, 1, &conf, 7, &tb_heap) != 0)
        abort();
    if (have)
        restore_v1(&x);
    if (dns_xfrin_poll(&x, 0, &io) != DNS_XFRIN_UDP)
        abort();
    n = soa_answer(buf, tb_get16(io.out), 5);
    dns_xfrin_udp_input(&x, &p, buf, n, 0);
    while (dns_xfrin_poll(&x, 0, &io) == DNS_XFRIN_LOG)
        ;
    if (io.act != DNS_XFRIN_TCP)
        abort();
    id = tb_get16(io.out + 2);
    /* The stream, with the query's ID in every whole message. */
    s = malloc(size);
    if (s == NULL)
        abort();
    memcpy(s, data + 1, size - 1);
    for (size_t m = 0; m + 4 <= size - 1;) {
        size_t ml = tb_get16(s + m);
        if (ml >= 2 && m + 2 + ml <= size - 1)
            tb_put16(s + m + 2, id);
        m += 2 + ml;
    }
    while (off < size - 1 && (n = dns_xfrin_tcp_rspace(&x, &room)) != 0) {
        size_t k = size - 1 - off;
        if (chunk != 0 && k > chunk)
            k = chunk;
        if (k > n)
            k = n;
        memcpy(room, s + off, k);
        off += k;
        dns_xfrin_tcp_received(&x, k, 0);
    }
    if (dns_xfrin_tcp_rspace(&x, &room) != 0)
        dns_xfrin_tcp_closed(&x, 0);
    for (int i = 0; i < 20 && dns_xfrin_poll(&x, 0, &io) != DNS_XFRIN_NONE;
         i++) {
        if (io.act == DNS_XFRIN_ZONE) {
            const struct dns_zone_src *z = dns_xfrin_zone(&x);
            size_t k = 0;
            if (z == NULL)
                abort();
            while (k < z->nrr && z->rr[k].type != DNS_TYPE_SOA &&
                   dns_name_equal(dns_zrr_owner(z, &z->rr[k]), origin))
                k++; /* sorted: the apex's records come first */
            if (k == z->nrr || z->rr[k].type != DNS_TYPE_SOA)
                abort();
            dns_xfrin_commit(&x, true, 0);
            if (dns_xfrin_serial(&x) == 1 && !have)
                abort();
        }
    }
    free(s);
    dns_xfrin_free(&x);
    return 0;
}
