/*
 * tsig_none.c -- TSIG in spt and hvt images: not available yet.  Their
 * guests link no BearSSL (Debian's libbearssl.a expects a TLS stack
 * protector and glibc's __memcpy_chk: docs/DESIGN.md, "tsig"), so a
 * --tsig-key is refused rather than ignored; signed queries get
 * NOTAUTH/BADKEY from the engine, as with no keys.  unix images link
 * tsig.c instead.
 */
#include "dnsg.h"

int dnsg_tsig_start(struct dnsg_conf *c, struct dns_srv *srv)
{
    (void)srv;
    for (unsigned i = 0; i < DNSG_TSIG_MAX; i++) {
        volatile uint8_t *p = c->tsig[i].secret;
        for (size_t k = 0; k < sizeof(c->tsig[i].secret); k++)
            p[k] = 0;
    }
    if (c->ntsig == 0)
        return 0;
    dnsg_say("dnsd: --tsig-key: this image has no TSIG (spt and hvt images "
             "link no BearSSL yet; a unix image has it)");
    return TB_ENOTSUP;
}
