/*
 * fuzz_vmmd_req.c -- fuzzes the tibra-vmmd request decoder
 * (tool/vmmd/proto.c) with arbitrary request bodies, as any member of the
 * socket's group or a damaged state file may send them.  A body that
 * decodes must keep the decoder's promises (names and interface names
 * checked, counts in bounds, strings terminated) and survive a round
 * trip: encode(decode(x)) decodes to the same request.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../tool/vmmd/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[VMMD_FRAME_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct vmmd_req a, b;
    char err[256];
    int n;

    if (size > VMMD_FRAME_MAX)
        return 0;
    if (vmmd_req_decode(data, size, &a, err, sizeof(err)) != 0) {
        if (memchr(err, 0, sizeof(err)) == NULL || err[0] == 0)
            abort(); /* every refusal says why */
        return 0;
    }
    if (a.nnet > VMMD_NET_MAX || a.nblk > VMMD_BLOCK_MAX ||
        memchr(a.args, 0, sizeof(a.args)) == NULL ||
        (a.name[0] && vmmd_check_name(a.name, err, sizeof(err)) != 0))
        abort();
    for (unsigned i = 0; i < a.nnet; i++)
        if (vmmd_check_ifname(a.net[i].bridge, err, sizeof(err)) != 0)
            abort();
    n = vmmd_req_encode(&a, buf, sizeof(buf));
    if (n < 0 || vmmd_req_decode(buf, (size_t)n, &b, err, sizeof(err)) != 0 ||
        memcmp(&a, &b, sizeof(a)) != 0)
        abort();
    return 0;
}
