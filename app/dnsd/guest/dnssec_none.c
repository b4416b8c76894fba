/*
 * dnssec_none.c -- DNSSEC validation where the image links no BearSSL
 * (aarch64 guests: no arm64 BearSSL on an amd64 host): the resolver
 * answers without validating, as `tibra build` warns (docs/DESIGN.md,
 * "guest").  It names no lib/dns/val*.c, so no cryptography is linked.
 */
#include "dnsg.h"

int dnsg_val_start(const struct dnsg_conf *c, struct dns_res_val *v, bool *on,
                   const struct tb_alloc *a, char *err, size_t cap)
{
    (void)v, (void)a, (void)err, (void)cap;
    *on = false;
    if (!c->res_no_val)
        dnsg_say("dnsd: resolver: this image does not validate DNSSEC (no "
                 "BearSSL for its architecture); answers carry no AD bit");
    return 0;
}

bool dnsg_val_ed25519(void)
{
    return false;
}
