/*
 * bundle.c -- the zones-and-arguments bundle of a DNS image (bundle.h):
 * written by `tibra build` (host), validated by the guest at boot and by
 * `tibra inspect` when it finds one inside an image file.  Freestanding:
 * no I/O, allocation only through the caller's struct tb_buf.
 */
#include <string.h>
#include <tibra/bundle.h>

#define BLOB_ALIGN 16

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v)
{
    put_le32(p, (uint32_t)v);
    put_le32(p + 4, (uint32_t)(v >> 32));
}

int tb_bundle_open(struct tb_bundle *b, const void *p, size_t len)
{
    const uint8_t *s = p;

    if (len < TB_BUNDLE_HDR_LEN || memcmp(s, TB_BUNDLE_MAGIC, 7) != 0)
        return TB_EMALF;
    if (s[7] != TB_BUNDLE_MAGIC[7])
        return TB_ENOTSUP;
    uint32_t total = le32(s + 8), n = le32(s + 12);
    uint32_t aoff = le32(s + 16), alen = le32(s + 20);
    if (total < TB_BUNDLE_HDR_LEN || total > len || n > TB_BUNDLE_ZONES_MAX ||
        le32(s + 24) != 0 || le32(s + 28) != 0)
        return TB_EMALF;
    /* The table and args lie inside; the counts are bounded above, so
     * these sums cannot overflow 64 bits. */
    uint64_t tend = TB_BUNDLE_HDR_LEN + (uint64_t)n * 8;
    if (tend > total || alen > TB_BUNDLE_ARGS_MAX || aoff < tend ||
        (uint64_t)aoff + alen > total)
        return TB_EMALF;
    if (le64(s + 32) != tb_hash64(s + 40, total - 40, 0))
        return TB_EMALF;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t off = le32(s + 40 + 8 * i), l = le32(s + 44 + 8 * i);
        if (off < tend || (uint64_t)off + l > total ||
            ((uintptr_t)s + off) % BLOB_ALIGN != 0)
            return TB_EMALF;
    }
    b->nzones = n;
    b->args = (const char *)s + aoff;
    b->args_len = alen;
    b->table = s + 40;
    b->base = s;
    return 0;
}

void tb_bundle_zone(const struct tb_bundle *b, uint32_t i, const uint8_t **blob,
                    size_t *len)
{
    *blob = b->base + le32(b->table + 8 * i);
    *len = le32(b->table + 8 * i + 4);
}

/* Pads (out) so that the next byte is BLOB_ALIGN-aligned from (start). */
static void pad_from(struct tb_buf *out, size_t start)
{
    static const uint8_t zero[BLOB_ALIGN];
    size_t r = (out->len - start) % BLOB_ALIGN;
    if (r)
        tb_buf_append(out, zero, BLOB_ALIGN - r);
}

int tb_bundle_write(struct tb_buf *out, const void *const *blobs,
                    const size_t *lens, uint32_t n, const char *args)
{
    size_t alen = strlen(args), start = out->len;
    uint64_t total = TB_BUNDLE_HDR_LEN + (uint64_t)n * 8 + alen;
    uint8_t hdr[TB_BUNDLE_HDR_LEN] = {0};
    int rc;

    if (n > TB_BUNDLE_ZONES_MAX || alen > TB_BUNDLE_ARGS_MAX)
        return TB_EINVAL;
    for (uint32_t i = 0; i < n; i++)
        total += lens[i] + BLOB_ALIGN;
    if (total > UINT32_MAX)
        return TB_ERANGE;
    /* Header and table first (filled in below), then args, then blobs. */
    if ((rc = tb_buf_reserve(out, (size_t)total)) != 0)
        return rc;
    tb_buf_append(out, hdr, sizeof(hdr));
    for (uint32_t i = 0; i < n; i++)
        tb_buf_append(out, hdr, 8);
    size_t aoff = out->len - start;
    tb_buf_append(out, args, alen);
    for (uint32_t i = 0; i < n; i++) {
        pad_from(out, start);
        uint8_t *e = out->data + start + TB_BUNDLE_HDR_LEN + 8 * i;
        put_le32(e, (uint32_t)(out->len - start));
        put_le32(e + 4, (uint32_t)lens[i]);
        tb_buf_append(out, blobs[i], lens[i]);
    }
    if (out->err) {
        out->len = start;
        return out->err;
    }
    uint8_t *h = out->data + start;
    size_t len = out->len - start;
    memcpy(h, TB_BUNDLE_MAGIC, 8);
    put_le32(h + 8, (uint32_t)len);
    put_le32(h + 12, n);
    put_le32(h + 16, (uint32_t)aoff);
    put_le32(h + 20, (uint32_t)alen);
    put_le64(h + 32, tb_hash64(h + 40, len - 40, 0));
    return 0;
}

int tb_bundle_find(struct tb_bundle *b, const void *p, size_t len, size_t *off)
{
    const uint8_t *s = p;

    for (size_t i = 0; i + TB_BUNDLE_HDR_LEN <= len; i++) {
        const uint8_t *m = memchr(s + i, 'T', len - i);
        if (m == NULL)
            break;
        i = (size_t)(m - s);
        if (len - i >= TB_BUNDLE_HDR_LEN &&
            memcmp(m, TB_BUNDLE_MAGIC, 8) == 0) {
            /* Linked 16-aligned, so 16-aligned in the file too (a
             * loaded segment's file offsets and addresses are congruent
             * modulo the page size); (p) is a malloc'd copy. */
            struct tb_bundle t;
            if (((uintptr_t)m % BLOB_ALIGN) == 0 &&
                tb_bundle_open(&t, m, len - i) == 0) {
                *b = t;
                *off = i;
                return 0;
            }
        }
    }
    return TB_ENOENT;
}
