/*
 * tsig.c -- TSIG keys of a unix image (RFC 8945): the --tsig-key words
 * (args.c) made into keys and published to the service core (srv.keys),
 * which then verifies signed queries and signs their answers exactly as
 * in tibra-dnsd (lib/dns/tsig.c).  Linked where Debian's BearSSL is:
 * unix images (host processes) and x86_64 spt and hvt guests (the
 * archive's glibc needs -- the canary at %fs:0x28, __memcpy_chk -- are
 * met by platform/hvt/start.c and platform/common/libc/libc_chk.c);
 * aarch64 guests link tsig_none.c (docs/DESIGN.md, "tsig").
 */
#include <tibra/dns/tsig.h>
#include <tibra/plat.h>

#include "dnsg.h"

static struct dns_tsig_key keys[DNSG_TSIG_MAX];
static struct dns_tsig_keyring ring;

int dnsg_tsig_start(struct dnsg_conf *c, struct dns_srv *srv)
{
    int rc = 0;

    for (unsigned i = 0; i < c->ntsig && rc == 0; i++) {
        rc = dns_tsig_key_init(&keys[i], c->tsig[i].name, c->tsig[i].name_len,
                               (enum dns_tsig_alg)c->tsig[i].alg,
                               c->tsig[i].secret, c->tsig[i].secret_len);
        if (rc != 0)
            dnsg_say("dnsd: --tsig-key %u: %s", i + 1, tb_strerror(rc));
    }
    /* The secrets: no longer needed in any form but the keys'. */
    for (unsigned i = 0; i < DNSG_TSIG_MAX; i++) {
        volatile uint8_t *p = c->tsig[i].secret;
        for (size_t k = 0; k < sizeof(c->tsig[i].secret); k++)
            p[k] = 0;
    }
    if (rc != 0 || c->ntsig == 0)
        return rc;
    dns_tsig_keyring_init(&ring, keys, c->ntsig);
    srv->keys = &ring;
    srv->wall_off_ns = (int64_t)(tb_clock_wall() - tb_clock_monotonic());
    dnsg_say("dnsd: TSIG: %u key%s", c->ntsig, c->ntsig == 1 ? "" : "s");
    return 0;
}
