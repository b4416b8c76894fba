/*
 * block.c -- exercises block device "storage": writes a pattern over the
 * first blocks=N blocks (default: the whole device, at most 4096) with
 * multi-block writes of 7 blocks, reads it back with single-block and
 * 5-block reads, rewrites one block, checks the contract's refusals
 * (misaligned offset and length, past the end, offset overflow, bad
 * handle, double acquire) and finally writes "TIBRA-BLOCK-OK" at the start
 * of block 1 so the test can see that writes reached the file.  Buffers
 * come from the application heap.
 */
#include "app.h"

TB_MANIFEST(1, TB_MFT_BLOCK("storage"));

static uint8_t pattern(uint64_t blk, size_t i)
{
    return (uint8_t)(blk * 131u + i * 7u + (blk >> 8));
}

static void fill(uint8_t *p, uint64_t first, size_t nblk, size_t bs)
{
    for (size_t b = 0; b < nblk; b++)
        for (size_t i = 0; i < bs; i++)
            p[b * bs + i] = pattern(first + b, i);
}

static size_t verify(const uint8_t *p, uint64_t first, size_t nblk, size_t bs)
{
    size_t bad = 0;

    for (size_t b = 0; b < nblk; b++)
        for (size_t i = 0; i < bs; i++)
            bad += p[b * bs + i] != pattern(first + b, i);
    return bad;
}

int tb_app_main(const struct tb_start_info *si)
{
    struct tb_block_info info, info2;
    tb_handle_t h, h2;
    uint8_t *buf = (uint8_t *)si->heap_start;
    uint64_t nblk, bs;
    size_t bad = 0;
    int r;

    r = tb_block_acquire("storage", &h, &info);
    APP_CHECK(r == TB_OK, "acquire storage: %s", app_strerror(r));
    if (r != TB_OK)
        return check_end();
    bs = info.block_size;
    say("block: capacity %llu bytes, block size %llu\n",
        (unsigned long long)info.capacity, (unsigned long long)bs);
    APP_CHECK(bs >= 512 && (bs & (bs - 1)) == 0, "block size %llu",
              (unsigned long long)bs);
    APP_CHECK(info.capacity % bs == 0 && info.capacity >= 16 * bs,
              "capacity %llu", (unsigned long long)info.capacity);
    APP_CHECK(si->heap_size >= 8 * bs, "heap too small");
    if (app_failures)
        return check_end();
    nblk = TB_MIN(arg_u64(si->cmdline, "blocks", info.capacity / bs),
                  TB_MIN(info.capacity / bs, 4096));

    for (uint64_t b = 0; b < nblk; b += 7) {
        size_t n = (size_t)TB_MIN(7, nblk - b);
        fill(buf, b, n, bs);
        r = tb_block_write(h, b * bs, buf, n * bs);
        APP_CHECK(r == TB_OK, "write %zu blocks at %llu: %s", n,
                  (unsigned long long)b, app_strerror(r));
    }
    for (uint64_t b = 0; b < nblk; b++) {
        memset(buf, 0, bs);
        r = tb_block_read(h, b * bs, buf, bs);
        APP_CHECK(r == TB_OK, "read block %llu: %s", (unsigned long long)b,
                  app_strerror(r));
        bad += verify(buf, b, 1, bs);
    }
    for (uint64_t b = 0; b < nblk; b += 5) {
        size_t n = (size_t)TB_MIN(5, nblk - b);
        memset(buf, 0, n * bs);
        r = tb_block_read(h, b * bs, buf, n * bs);
        APP_CHECK(r == TB_OK, "read %zu blocks at %llu", n,
                  (unsigned long long)b);
        bad += verify(buf, b, n, bs);
    }
    APP_CHECK(bad == 0, "%zu bytes differ", bad);

    /* The last block is readable; one past it, and overflows, are not. */
    uint64_t last = info.capacity - bs;
    APP_CHECK(tb_block_read(h, last, buf, bs) == TB_OK, "last block");
    APP_CHECK(tb_block_read(h, info.capacity, buf, bs) == TB_EINVAL,
              "read past the end");
    APP_CHECK(tb_block_read(h, last, buf, 2 * bs) == TB_EINVAL,
              "read spanning the end");
    APP_CHECK(tb_block_write(h, info.capacity, buf, bs) == TB_EINVAL,
              "write past the end");
    APP_CHECK(tb_block_read(h, UINT64_MAX - bs + 1, buf, 2 * bs) == TB_EINVAL,
              "offset overflow");
    APP_CHECK(tb_block_read(h, 1, buf, bs) == TB_EINVAL, "misaligned offset");
    APP_CHECK(tb_block_read(h, 0, buf, bs - 1) == TB_EINVAL,
              "misaligned length");
    APP_CHECK(tb_block_read(h + 1, 0, buf, bs) == TB_EBADF, "bad handle");
    APP_CHECK(tb_block_acquire("storage", &h2, &info2) == TB_EEXIST,
              "second acquire");
    APP_CHECK(tb_block_acquire("nosuch", &h2, &info2) == TB_ENOENT,
              "unknown device");

    memset(buf, 0, bs);
    memcpy(buf, "TIBRA-BLOCK-OK", 14);
    APP_CHECK(tb_block_write(h, bs, buf, bs) == TB_OK, "marker write");
    memset(buf, 0xff, bs);
    APP_CHECK(tb_block_read(h, bs, buf, bs) == TB_OK &&
                  memcmp(buf, "TIBRA-BLOCK-OK", 14) == 0 && buf[14] == 0,
              "marker read back");
    say("block: %llu blocks written and verified\n", (unsigned long long)nblk);
    return check_end();
}
