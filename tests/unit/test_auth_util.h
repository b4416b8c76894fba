/*
 * test_auth_util.h -- helpers shared by the auth tests, the perf driver and
 * fuzz_auth: a tiny zone builder ("owner ttl TYPE rdata" lines, a handful
 * of types, relative names against the origin), a query builder, and a
 * response printer that parses a response with dns_msg_parse() and prints
 * one line per RR, so tests compare whole responses as text.
 *
 * Hosted test code (malloc, snprintf, inet_pton); never linked into lib/.
 */
#ifndef TEST_AUTH_UTIL_H
#define TEST_AUTH_UTIL_H

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tibra/dns.h>

static void *ta_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return malloc(n ? n : 1);
}
static void *ta_realloc(void *ctx, void *p, size_t o, size_t n)
{
    (void)ctx;
    (void)o;
    return realloc(p, n ? n : 1);
}
static void ta_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    (void)n;
    free(p);
}
static const struct tb_alloc ta = {ta_alloc, ta_realloc, ta_free, NULL};

/* Text to wire name, relative to (origin) (MAY be NULL). */
static size_t ta_name(const char *txt, const uint8_t *origin, uint8_t *out)
{
    size_t len = 0;
    if (dns_name_from_text(txt, strlen(txt), origin, out, &len) != 0) {
        fprintf(stderr, "bad name %s\n", txt);
        abort();
    }
    return len;
}

TB_UNUSED static uint16_t ta_type(const char *t)
{
    static const struct {
        const char *n;
        uint16_t t;
    } tt[] = {{"A", 1},      {"NS", 2},     {"CNAME", 5},  {"SOA", 6},
              {"PTR", 12},   {"MX", 15},    {"TXT", 16},   {"AAAA", 28},
              {"SRV", 33},   {"DNAME", 39}, {"DS", 43},    {"RRSIG", 46},
              {"NSEC", 47},  {"ANY", 255},  {"AXFR", 252}, {"IXFR", 251},
              {"HINFO", 13}, {"CAA", 257}};
    for (size_t i = 0; i < sizeof(tt) / sizeof(tt[0]); i++)
        if (strcmp(tt[i].n, t) == 0)
            return tt[i].t;
    fprintf(stderr, "unknown type %s\n", t);
    abort();
}

/* Adds one record from a line "owner ttl TYPE rdata...". */
TB_UNUSED static void ta_rr(struct dns_zone_src *z, const char *line)
{
    char buf[2048], *tok[64];
    unsigned n = 0;
    uint8_t owner[256], rd[4096], *p = rd;
    uint16_t type;

    snprintf(buf, sizeof(buf), "%s", line);
    for (char *s = strtok(buf, " \t"); s && n < 64; s = strtok(NULL, " \t"))
        tok[n++] = s;
    if (n < 3)
        abort();
    ta_name(tok[0], z->origin, owner);
    type = ta_type(tok[2]);
    switch (type) {
    case 1:
        inet_pton(AF_INET, tok[3], p);
        p += 4;
        break;
    case 28:
        inet_pton(AF_INET6, tok[3], p);
        p += 16;
        break;
    case 2:
    case 5:
    case 12:
    case 39:
        p += ta_name(tok[3], z->origin, p);
        break;
    case 15:
        tb_put16(p, (uint16_t)atoi(tok[3]));
        p += 2;
        p += ta_name(tok[4], z->origin, p);
        break;
    case 33:
        for (int i = 0; i < 3; i++, p += 2)
            tb_put16(p, (uint16_t)atoi(tok[3 + i]));
        p += ta_name(tok[6], z->origin, p);
        break;
    case 6:
        p += ta_name(tok[3], z->origin, p);
        p += ta_name(tok[4], z->origin, p);
        for (int i = 0; i < 5; i++, p += 4)
            tb_put32(p, (uint32_t)strtoul(tok[5 + i], NULL, 10));
        break;
    case 16: /* each token one string; "_" is a 200-byte string */
        for (unsigned i = 3; i < n; i++) {
            size_t l = strcmp(tok[i], "_") == 0 ? 200 : strlen(tok[i]);
            *p++ = (uint8_t)l;
            if (strcmp(tok[i], "_") == 0)
                memset(p, 'x', l);
            else
                memcpy(p, tok[i], l);
            p += l;
        }
        break;
    case 46: /* RRSIG <covered>: fixed dummy fields, signer origin */
        tb_put16(p, ta_type(tok[3]));
        p[2] = 13;
        p[3] = (uint8_t)dns_name_labels(owner);
        tb_put32(p + 4, (uint32_t)atoi(tok[1]));
        tb_put32(p + 8, 2000000000u);
        tb_put32(p + 12, 1600000000u);
        tb_put16(p + 16, 4242);
        p += 18;
        memcpy(p, z->origin, z->origin_len);
        p += z->origin_len;
        memcpy(p, "SIGSIGSIG", 9);
        p += 9;
        break;
    default: /* hex bytes */
        for (unsigned i = 3; i < n; i++)
            for (const char *h = tok[i]; h[0] && h[1]; h += 2) {
                unsigned v;
                sscanf(h, "%2x", &v);
                *p++ = (uint8_t)v;
            }
        break;
    }
    if (dns_zone_src_add(z, owner, type, DNS_CLASS_IN,
                         (uint32_t)strtoul(tok[1], NULL, 10), rd,
                         (uint16_t)(p - rd), 0, 0) != 0)
        abort();
}

/* Starts (*z) with (a) for zone (origin) and adds (lines), NULL-terminated
 * (aborts on a bad line).  The caller frees (*z) (dns_zone_src_free). */
TB_UNUSED static void ta_src(struct dns_zone_src *z, const char *origin,
                             const char *const *lines, const struct tb_alloc *a)
{
    uint8_t o[256];

    ta_name(origin, NULL, o);
    dns_zone_src_init(z, o, a);
    for (size_t i = 0; lines[i] != NULL; i++)
        ta_rr(z, lines[i]);
}

/* Builds and compiles zone (origin) from (lines), NULL-terminated, with
 * dns_zone_compile_flags() (flags) into a malloc'd blob; returns it and
 * its length in (*len).  Aborts if it does not compile. */
TB_UNUSED static uint8_t *ta_zone_flags(const char *origin,
                                        const char *const *lines,
                                        uint32_t flags, size_t *len)
{
    struct dns_zone_src z;
    struct tb_buf out;
    int err;

    ta_src(&z, origin, lines, &ta);
    tb_buf_init(&out, &ta);
    err = dns_zone_compile_flags(&z, &out, NULL, flags);
    dns_zone_src_free(&z);
    if (err != 0) {
        fprintf(stderr, "compile %s: %s\n", origin, tb_strerror(err));
        abort();
    }
    *len = out.len;
    return out.data;
}

/* ta_zone_flags() without flags: the blob dns_zone_compile() makes. */
TB_UNUSED static uint8_t *ta_zone(const char *origin, const char *const *lines,
                                  size_t *len)
{
    return ta_zone_flags(origin, lines, 0, len);
}

/* Query for (name, type, class); (edns) < 0: no OPT, else OPT with that
 * payload size; (do_bit) sets DO.  Returns the length. */
TB_UNUSED static size_t ta_query(uint8_t *q, const char *name, uint16_t type,
                                 uint16_t qclass, int edns, bool do_bit)
{
    size_t n;

    memset(q, 0, 12);
    q[0] = 0x12;
    q[1] = 0x34;
    q[2] = 0x01; /* RD */
    q[5] = 1;
    n = 12 + ta_name(name, NULL, q + 12);
    tb_put16(q + n, type);
    tb_put16(q + n + 2, qclass);
    n += 4;
    if (edns >= 0) {
        q[11] = 1;
        q[n] = 0;
        tb_put16(q + n + 1, DNS_TYPE_OPT);
        tb_put16(q + n + 3, (uint16_t)edns);
        tb_put32(q + n + 5, do_bit ? DNS_EDNS_DO : 0);
        tb_put16(q + n + 9, 0);
        n += 11;
    }
    return n;
}

TB_UNUSED static const char *ta_rcode(unsigned r)
{
    static const char *n[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                              "NOTIMP",  "REFUSED", "YXDOMAIN"};
    return r < 7 ? n[r] : "RCODE?";
}

/* Prints the EDNS options of an OPT rdata (rd, n): " NSID=HEX",
 * " EDE=CODE", " OPTn=HEX" for others, " BADOPT" if malformed. */
static size_t ta_print_options(const uint8_t *rd, size_t n, char *out,
                               size_t cap)
{
    size_t o = 0;

    for (size_t p = 0; p < n && o < cap;) {
        uint16_t code, len;
        if (n - p < 4 || n - p - 4 < tb_get16(rd + p + 2))
            return o + (size_t)snprintf(out + o, cap - o, " BADOPT");
        code = tb_get16(rd + p);
        len = tb_get16(rd + p + 2);
        p += 4;
        if (code == 15 && len >= 2) {
            o +=
                (size_t)snprintf(out + o, cap - o, " EDE=%u", tb_get16(rd + p));
            if (len > 2)
                o += (size_t)snprintf(out + o, cap - o, "+%u", len - 2u);
        } else {
            if (code == 3)
                o += (size_t)snprintf(out + o, cap - o, " NSID=");
            else
                o += (size_t)snprintf(out + o, cap - o, " OPT%u=", code);
            for (uint16_t i = 0; i < len && o < cap; i++)
                o += (size_t)snprintf(out + o, cap - o, "%02x", rd[p + i]);
        }
        p += len;
    }
    return o;
}

/* Prints response (r, len) into (out): a header line, then one line per
 * RR "SEC owner ttl TYPE rdata".  Returns false if it does not parse. */
TB_UNUSED static bool ta_print(const uint8_t *r, size_t len, char *out,
                               size_t cap)
{
    static const char *sec[] = {"QD", "AN", "NS", "AR"};
    struct dns_msg m;
    struct dns_rr_iter it;
    struct dns_rr rr;
    size_t o = 0;

    out[0] = 0;
    if (dns_msg_parse(&m, r, len) != 0)
        return false;
    o += (size_t)snprintf(out + o, cap - o, "%s%s%s qd=%u an=%u ns=%u ar=%u\n",
                          ta_rcode(DNS_RCODE(m.flags)),
                          (m.flags & DNS_FLAG_AA) ? " aa" : "",
                          (m.flags & DNS_FLAG_TC) ? " tc" : "", m.count[0],
                          m.count[1], m.count[2], m.count[3]);
    dns_rr_iter_init(&it, &m, DNS_SEC_ANSWER);
    while (dns_rr_next(&it, &rr) && o < cap) {
        char nm[DNS_NAME_TEXT_MAX], tt[16], rd[8192];
        static uint8_t un[65535 + 255];
        size_t ul = 0;
        if (rr.type == DNS_TYPE_OPT) {
            o += (size_t)snprintf(out + o, cap - o,
                                  "OPT size=%u ext=%u flags=%04x", rr.rclass,
                                  rr.ttl >> 24, rr.ttl & 0xffff);
            o += ta_print_options(r + rr.rdoff, rr.rdlen, out + o, cap - o);
            o += (size_t)snprintf(out + o, cap - o, "\n");
            continue;
        }
        dns_name_to_text(rr.owner, nm, sizeof(nm));
        if (dns_type_to_text(rr.type, tt, sizeof(tt)) < 0)
            snprintf(tt, sizeof(tt), "TYPE%u", rr.type);
        if (dns_rdata_unpack(r, len, rr.rdoff, rr.rdlen, rr.type, un,
                             sizeof(un), &ul) != 0 ||
            dns_rdata_to_text(rr.type, un, ul, rd, sizeof(rd)) < 0)
            snprintf(rd, sizeof(rd), "?");
        o += (size_t)snprintf(out + o, cap - o, "%s %s %u %s %s\n",
                              sec[rr.section], nm, rr.ttl, tt, rd);
    }
    return true;
}

#endif /* TEST_AUTH_UTIL_H */
