/*
 * fuzz_store.c -- the block-device store (lib/dns/store.c) on untrusted
 * device contents, as a guest finds its state device at boot: superblock,
 * directory, zone copies and journals.
 *
 * Input: byte 0 flags; u16 n; n bytes laid at offset 0 (superblock copy
 * 0); the rest laid at DNS_STORE_DATA_OFF (extents) of a 256 KiB device.
 * Flag bit 0: the fuzzer fixes the CRCs (each directory entry's copy CRC,
 * then the superblock's) so that inputs reach the copy and journal
 * decoders.  Bit 1: the device's block size is 4096.
 *
 * Invariants: nothing read or written outside the device (ASan, and the
 * device's own checks abort); a loaded zone passed dns_zone_check and
 * has the serial the meta says; after any open, a put of a known zone
 * either fails or is what a reopen loads (with no journal entries), and
 * an append on it is then what a reopen loads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include <tibra/dns/store.h>
#include <tibra/dns/update.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

#define CAP (256u << 10)

static const uint8_t ORIGIN[] = "\7example\4test";

struct fdev {
    uint8_t *mem;
    uint32_t bs;
};

static int fread_(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct fdev *d = ctx;
    REQUIRE(off % d->bs == 0 && len % d->bs == 0 && off <= CAP &&
            len <= CAP - off);
    memcpy(buf, d->mem + off, len);
    return 0;
}

static int fwrite_(void *ctx, uint64_t off, const void *buf, size_t len)
{
    struct fdev *d = ctx;
    REQUIRE(off % d->bs == 0 && len % d->bs == 0 && off <= CAP &&
            len <= CAP - off);
    memcpy(d->mem + off, buf, len);
    return 0;
}

static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n-- != 0) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    return ~crc;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)tb_get32(p) << 32 | tb_get32(p + 4);
}

/* Makes the CRCs of superblock copy 0 and its copies hold. */
static void fix_crcs(uint8_t *mem)
{
    uint32_t n = tb_get32(mem + 12);

    if (n > DNS_STORE_ZONES_MAX)
        n = DNS_STORE_ZONES_MAX;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *e = mem + 32 + (size_t)i * DNS_STORE_ENTRY;
        uint64_t off = get64(e + 256), len = get64(e + 264);
        if (off <= CAP && len <= CAP - off)
            tb_put32(e + 292, crc32c(0, mem + off, (size_t)len));
    }
    tb_put32(mem + 8, 1);
    tb_put32(mem + 24, 32 + n * DNS_STORE_ENTRY);
    tb_put32(mem + 28, 0);
    tb_put32(mem + 28, crc32c(0, mem, 32 + n * DNS_STORE_ENTRY));
}

static void version(struct dns_zone_src *z, uint32_t n)
{
    char text[512];
    struct dns_diag dg = {NULL, NULL, 0, 0};
    int len = snprintf(text, sizeof(text),
                       "$ORIGIN example.test.\n$TTL 300\n"
                       "@ SOA ns1 host %u 3600 900 604800 60\n"
                       "@ NS ns1\nns1 A 192.0.2.1\nw%u A 192.0.2.9\n",
                       n, n);

    dns_zone_src_init(z, ORIGIN, &ta);
    REQUIRE(dns_zone_parse(z, text, (size_t)len, "f", NULL, &dg) == 0);
    REQUIRE(dns_zone_check(z, &dg) == 0);
}

static void put_rr(struct tb_buf *b, const struct dns_zone_src *z, size_t i)
{
    const struct dns_zrr *r = &z->rr[i];
    const uint8_t *o = z->data.data + r->owner;
    uint8_t h[8];

    tb_put16(h, r->type);
    tb_put16(h + 2, r->rdlen);
    tb_put32(h + 4, r->ttl);
    tb_buf_append(b, o, dns_name_len(o));
    tb_buf_append(b, h, 8);
    tb_buf_append(b, z->data.data + r->rdata, r->rdlen);
}

/* The record of (z) of type (t) whose owner's first label starts with
 * (c) ('@': the apex). */
static size_t rr_of(const struct dns_zone_src *z, uint16_t t, char c)
{
    for (size_t i = 0; i < z->nrr; i++) {
        const uint8_t *o = z->data.data + z->rr[i].owner;
        if (z->rr[i].type == t &&
            (c == '@' ? dns_name_equal(o, ORIGIN) : o[1] == c))
            return i;
    }
    abort();
}

/* The delta from version (n) to n + 1 into (b, d). */
static void mkdelta(struct tb_buf *b, struct dns_ixfr_delta *d, uint32_t n)
{
    struct dns_zone_src x, y;

    version(&x, n);
    version(&y, n + 1);
    tb_buf_init(b, &ta);
    put_rr(b, &x, rr_of(&x, DNS_TYPE_SOA, '@'));
    put_rr(b, &x, rr_of(&x, DNS_TYPE_A, 'w'));
    put_rr(b, &y, rr_of(&y, DNS_TYPE_SOA, '@'));
    put_rr(b, &y, rr_of(&y, DNS_TYPE_A, 'w'));
    *d = (struct dns_ixfr_delta){n, n + 1, 4, b->data, b->len};
    dns_zone_src_free(&x);
    dns_zone_src_free(&y);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fdev fd;
    struct dns_store_dev dev;
    struct dns_store st;
    struct dns_zone_src z, v;
    struct dns_store_meta m;
    size_t n;
    int rc;

    if (size < 3)
        return 0;
    n = tb_get16(data + 1);
    if (n > size - 3 || n > DNS_STORE_SB_SIZE ||
        size - 3 - n > CAP - DNS_STORE_DATA_OFF)
        return 0;
    fd.bs = (data[0] & 2) ? 4096 : 512;
    fd.mem = calloc(1, CAP);
    REQUIRE(fd.mem != NULL);
    memcpy(fd.mem, data + 3, n);
    memcpy(fd.mem + DNS_STORE_DATA_OFF, data + 3 + n, size - 3 - n);
    if ((data[0] & 1) && n >= 32)
        fix_crcs(fd.mem);
    dev = (struct dns_store_dev){CAP, fd.bs, fread_, fwrite_, &fd};

    if (dns_store_open(&st, &dev, &ta) != 0)
        goto out;
    rc = dns_store_load(&st, ORIGIN, &z, &m, NULL);
    REQUIRE(rc == 0 || rc == TB_ENOENT || rc == TB_EMALF || rc == TB_ENOMEM);
    if (rc == 0)
        REQUIRE(z.nrr > 0 && dns_zone_src_serial(&z) == m.serial);
    else
        REQUIRE(z.nrr == 0);
    dns_zone_src_free(&z);

    /* Whatever was found, a put then holds. */
    version(&v, 41);
    rc = dns_store_put(&st, &v, 9, 8, 4096);
    dns_store_close(&st);
    if (rc == 0) {
        REQUIRE(dns_store_open(&st, &dev, &ta) == 0);
        REQUIRE(dns_store_load(&st, ORIGIN, &z, &m, NULL) == 0);
        REQUIRE(m.serial == 41 && m.entries == 0 && m.expire_at == 9 &&
                z.nrr == v.nrr);
        dns_zone_src_free(&z);
        struct tb_buf b;
        struct dns_ixfr_delta d;
        mkdelta(&b, &d, 41);
        REQUIRE(dns_store_append(&st, ORIGIN, &d) == 0);
        tb_buf_free(&b);
        dns_store_close(&st);
        REQUIRE(dns_store_open(&st, &dev, &ta) == 0);
        REQUIRE(dns_store_load(&st, ORIGIN, &z, &m, NULL) == 0);
        REQUIRE(m.serial == 42 && m.entries == 1);
        dns_zone_src_free(&z);
        dns_store_close(&st);
    }
    dns_zone_src_free(&v);
out:
    free(fd.mem);
    return 0;
}

#ifdef FUZZ_STORE_GEN
/* Seeds: cc -DFUZZ_STORE_GEN ... ; ./a.out DIR.  A store with a zone,
 * a second zone and journal entries, as the input format lays it. */
#include <stdio.h>
int main(int argc, char **argv)
{
    struct fdev fd = {calloc(1, CAP), 512};
    struct dns_store_dev dev = {CAP, 512, fread_, fwrite_, &fd};
    struct dns_store st;
    struct dns_zone_src z;
    uint8_t *out = malloc(CAP);
    char path[512];

    if (argc != 2)
        return 2;
    REQUIRE(dns_store_open(&st, &dev, &ta) == 0);
    version(&z, 5);
    REQUIRE(dns_store_put(&st, &z, 100, 90, 4096) == 0);
    dns_zone_src_free(&z);
    version(&z, 6);
    REQUIRE(dns_store_put(&st, &z, 200, 190, 2048) == 0);
    dns_zone_src_free(&z);
    {
        struct tb_buf b;
        struct dns_ixfr_delta d;
        mkdelta(&b, &d, 6);
        REQUIRE(dns_store_append(&st, ORIGIN, &d) == 0);
        tb_buf_free(&b);
        mkdelta(&b, &d, 7);
        REQUIRE(dns_store_append(&st, ORIGIN, &d) == 0);
        tb_buf_free(&b);
    }
    dns_store_close(&st);
    /* The current superblock is copy 1 (gen 2): lay it as copy 0. */
    for (int k = 0; k < 3; k++) {
        size_t sb = 32 + DNS_STORE_ENTRY, data = 16384;
        FILE *f;
        out[0] = k == 2 ? 1 : 0;
        tb_put16(out + 1, (uint16_t)sb);
        memcpy(out + 3, fd.mem + DNS_STORE_SB_SIZE, sb);
        memcpy(out + 3 + sb, fd.mem + DNS_STORE_DATA_OFF, data);
        if (k == 1) /* a torn journal tail: the last entry cut */
            memset(out + 3 + sb + 4608 + 512 + 1024 + 40, 0, 100);
        snprintf(path, sizeof(path), "%s/seed-%d", argv[1], k);
        f = fopen(path, "wb");
        REQUIRE(f != NULL);
        fwrite(out, 1, 3 + sb + data, f);
        fclose(f);
    }
    free(out);
    free(fd.mem);
    return 0;
}
#endif
