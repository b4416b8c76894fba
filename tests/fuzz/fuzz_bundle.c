/*
 * fuzz_bundle.c -- the image bundle decoder (lib/base/bundle.c) on
 * arbitrary bytes, as a guest sees its linked bundle and as
 * `tibra inspect` scans an image file.  Invariants: an accepted bundle's
 * args and every blob lie inside the input; a bundle written by
 * tb_bundle_write() from the accepted one's parts reads back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../unit/test_auth_util.h"
#include <tibra/bundle.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An aligned copy: blobs are checked for 16-byte alignment. */
    uint8_t *p = aligned_alloc(16, (size + 16) & ~(size_t)15);
    struct tb_bundle b;
    size_t off;

    REQUIRE(p != NULL);
    memcpy(p, data, size);
    if (tb_bundle_open(&b, p, size) == 0) {
        REQUIRE((const uint8_t *)b.args >= p &&
                (const uint8_t *)b.args + b.args_len <= p + size);
        const void **blobs = malloc((b.nzones + 1) * sizeof(*blobs));
        size_t *lens = malloc((b.nzones + 1) * sizeof(*lens));
        REQUIRE(blobs && lens);
        for (uint32_t i = 0; i < b.nzones; i++) {
            const uint8_t *z;
            tb_bundle_zone(&b, i, &z, &lens[i]);
            REQUIRE(z >= p && z + lens[i] <= p + size);
            REQUIRE(((uintptr_t)z & 15) == 0);
            blobs[i] = z;
        }
        char *args = malloc(b.args_len + 1);
        REQUIRE(args);
        memcpy(args, b.args, b.args_len);
        args[b.args_len] = '\0';
        struct tb_buf out;
        tb_buf_init(&out, &ta);
        /* Args with a NUL inside write back shorter: skip those. */
        if (strlen(args) == b.args_len &&
            tb_bundle_write(&out, blobs, lens, b.nzones, args) == 0) {
            struct tb_bundle b2;
            REQUIRE(tb_bundle_open(&b2, out.data, out.len) == 0);
            REQUIRE(b2.nzones == b.nzones && b2.args_len == b.args_len);
            for (uint32_t i = 0; i < b.nzones; i++) {
                const uint8_t *z;
                size_t l;
                tb_bundle_zone(&b2, i, &z, &l);
                REQUIRE(l == lens[i] && memcmp(z, blobs[i], l) == 0);
            }
        }
        tb_buf_free(&out);
        free(args);
        free(blobs);
        free(lens);
    }
    if (tb_bundle_find(&b, p, size, &off) == 0)
        REQUIRE(off < size && ((off & 15) == 0));
    free(p);
    return 0;
}
