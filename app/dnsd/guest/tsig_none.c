/*
 * tsig_none.c -- TSIG in images without BearSSL (aarch64 guests: no
 * arm64 libbearssl.a on an amd64 host; a unix image of an architecture
 * without it): not available, so a --tsig-key is refused rather than
 * ignored; signed queries get NOTAUTH/BADKEY from the engine, as with no
 * keys.  unix images and x86_64 spt/hvt guests link tsig.c instead
 * (docs/DESIGN.md, "tsig").
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
    dnsg_say("dnsd: --tsig-key: this image has no TSIG (no BearSSL for "
             "its architecture; unix and x86_64 images have it)");
    return TB_ENOTSUP;
}
