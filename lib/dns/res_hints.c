/*
 * res_hints.c -- root hints for the resolver: a named.root file (IANA's
 * format, a zone file of ". NS x.root-servers.net." and address records)
 * read with the zone parser, and a built-in copy of IANA's file for when
 * the service names none.  Cold path (start-up); the result is a plain
 * struct dns_res_hints the resolver copies.  Priming (asking a root
 * server for the current root NS set, RFC 8109) is not done yet: the
 * hints are used as they are.
 */
#include <tibra/dns.h>
#include <tibra/dns/res.h>

/* IANA named.root (https://www.internic.net/domain/named.root), last
 * changed 2023-11-27 (b.root-servers.net renumbered). */
static const char iana_root[] =
    ".                        3600000      NS    A.ROOT-SERVERS.NET.\n"
    "A.ROOT-SERVERS.NET.      3600000      A     198.41.0.4\n"
    "A.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:ba3e::2:30\n"
    ".                        3600000      NS    B.ROOT-SERVERS.NET.\n"
    "B.ROOT-SERVERS.NET.      3600000      A     170.247.170.2\n"
    "B.ROOT-SERVERS.NET.      3600000      AAAA  2801:1b8:10::b\n"
    ".                        3600000      NS    C.ROOT-SERVERS.NET.\n"
    "C.ROOT-SERVERS.NET.      3600000      A     192.33.4.12\n"
    "C.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2::c\n"
    ".                        3600000      NS    D.ROOT-SERVERS.NET.\n"
    "D.ROOT-SERVERS.NET.      3600000      A     199.7.91.13\n"
    "D.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2d::d\n"
    ".                        3600000      NS    E.ROOT-SERVERS.NET.\n"
    "E.ROOT-SERVERS.NET.      3600000      A     192.203.230.10\n"
    "E.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:a8::e\n"
    ".                        3600000      NS    F.ROOT-SERVERS.NET.\n"
    "F.ROOT-SERVERS.NET.      3600000      A     192.5.5.241\n"
    "F.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:2f::f\n"
    ".                        3600000      NS    G.ROOT-SERVERS.NET.\n"
    "G.ROOT-SERVERS.NET.      3600000      A     192.112.36.4\n"
    "G.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:12::d0d\n"
    ".                        3600000      NS    H.ROOT-SERVERS.NET.\n"
    "H.ROOT-SERVERS.NET.      3600000      A     198.97.190.53\n"
    "H.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:1::53\n"
    ".                        3600000      NS    I.ROOT-SERVERS.NET.\n"
    "I.ROOT-SERVERS.NET.      3600000      A     192.36.148.17\n"
    "I.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fe::53\n"
    ".                        3600000      NS    J.ROOT-SERVERS.NET.\n"
    "J.ROOT-SERVERS.NET.      3600000      A     192.58.128.30\n"
    "J.ROOT-SERVERS.NET.      3600000      AAAA  2001:503:c27::2:30\n"
    ".                        3600000      NS    K.ROOT-SERVERS.NET.\n"
    "K.ROOT-SERVERS.NET.      3600000      A     193.0.14.129\n"
    "K.ROOT-SERVERS.NET.      3600000      AAAA  2001:7fd::1\n"
    ".                        3600000      NS    L.ROOT-SERVERS.NET.\n"
    "L.ROOT-SERVERS.NET.      3600000      A     199.7.83.42\n"
    "L.ROOT-SERVERS.NET.      3600000      AAAA  2001:500:9f::42\n"
    ".                        3600000      NS    M.ROOT-SERVERS.NET.\n"
    "M.ROOT-SERVERS.NET.      3600000      A     202.12.27.33\n"
    "M.ROOT-SERVERS.NET.      3600000      AAAA  2001:dc3::35\n";

/* Adds the address records of (z) owned by hint (i). */
static void add_addrs(struct dns_res_hints *h, const struct dns_zone_src *z,
                      unsigned i)
{
    for (size_t k = 0; k < z->nrr && h->naddr < DNS_RES_ADDRS_MAX; k++) {
        const struct dns_zrr *r = &z->rr[k];
        struct tb_addr *ad = &h->addr[h->naddr].addr;
        if (!dns_name_equal(dns_zrr_owner(z, r), h->ns[i]))
            continue;
        memset(ad, 0, sizeof(*ad));
        if (r->type == DNS_TYPE_A && r->rdlen == 4) {
            ad->af = TB_AF_INET;
            memcpy(ad->ip, dns_zrr_rdata(z, r), 4);
        } else if (r->type == DNS_TYPE_AAAA && r->rdlen == 16) {
            ad->af = TB_AF_INET6;
            memcpy(ad->ip, dns_zrr_rdata(z, r), 16);
        } else {
            continue;
        }
        ad->port = 53;
        h->addr[h->naddr++].ns = (uint8_t)i;
    }
}

int dns_res_hints_parse(struct dns_res_hints *h, const char *text, size_t len,
                        const char *file, const struct tb_alloc *a,
                        struct dns_diag *d)
{
    static const uint8_t root[1] = {0};
    struct dns_zone_src z;
    struct dns_diag quiet = {0};
    int err;

    if (d == NULL)
        d = &quiet;
    if (text == NULL) {
        text = iana_root;
        len = sizeof(iana_root) - 1;
        file = "(built-in root hints)";
    }
    memset(h, 0, sizeof(*h));
    dns_zone_src_init(&z, root, a);
    err = dns_zone_parse(&z, text, len, file, NULL, d);
    if (err != 0)
        goto out;
    for (size_t k = 0; k < z.nrr && h->nns < DNS_RES_HINTS_MAX; k++) {
        const struct dns_zrr *r = &z.rr[k];
        if (r->type != DNS_TYPE_NS || dns_zrr_owner(&z, r)[0] != 0 ||
            dns_name_check(dns_zrr_rdata(&z, r), r->rdlen) != r->rdlen)
            continue;
        memcpy(h->ns[h->nns], dns_zrr_rdata(&z, r), r->rdlen);
        dns_name_lower(h->ns[h->nns]);
        add_addrs(h, &z, h->nns);
        h->nns++;
    }
    if (h->naddr == 0) {
        dns_diag(d, DNS_DIAG_ERROR, file, 0,
                 "root hints: no root name server with an address");
        err = TB_ESEMANTIC;
    }
out:
    dns_zone_src_free(&z);
    return err;
}
