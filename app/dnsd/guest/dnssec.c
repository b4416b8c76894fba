/*
 * dnssec.c -- DNSSEC validation in the image's resolver (resolve.c): the
 * --trust-anchor and --resolver-insecure words made into struct
 * dns_res_val, whose entry points (dns_res_val_init) are lib/dns's
 * validator, the same code tibra-dnsd's resolver runs, with BearSSL's
 * RSA, ECDSA and digests.  Linked where Debian's BearSSL is: x86_64 spt
 * and hvt guests (platform/common/libc/libc_chk.c, platform/hvt/start.c
 * meet the archive's glibc needs) and unix images; aarch64 guests link
 * dnssec_none.c (docs/DESIGN.md, "guest").  Ed25519 (algorithm 15) is
 * libsodium's where DNSG_SODIUM is set (mk/dnsg.mk), else unsupported:
 * such zones are insecure, as RFC 4035 5.2 has it for unknown algorithms.
 */
#include <stdio.h>
#include <string.h>

#include <tibra/dns/val.h>
#include <tibra/plat.h>

#include "dnsg.h"

#ifndef DNSG_SODIUM
#define DNSG_SODIUM 0
#endif

#if DNSG_SODIUM
#include <sodium/crypto_sign_ed25519.h>
static bool ed25519_verify(const uint8_t *sig, const uint8_t *msg, size_t len,
                           const uint8_t *pk)
{
    return crypto_sign_ed25519_verify_detached(sig, msg, len, pk) == 0;
}
#endif

static struct dns_val_anchors anchors;

int dnsg_val_start(const struct dnsg_conf *c, struct dns_res_val *v, bool *on,
                   const struct tb_alloc *a, char *err, size_t cap)
{
    struct dns_diag diag = {0};
    const char *text = c->res_anchors;
    size_t len = c->res_anchors_len;
    const char *what = "--trust-anchor";
    int rc;

    *on = false;
    if (c->res_no_val)
        return 0;
    if (len == 0) {
        text = dns_val_root_anchors;
        len = strlen(text);
        what = "the built-in root anchors";
    }
    memset(v, 0, sizeof(*v));
    if ((rc = dns_val_anchors_parse(&anchors, text, len, what, a, &diag)) !=
        0) {
        snprintf(err, cap, "resolver: %s: %s", what,
                 rc == TB_ENOENT ? "no DS or DNSKEY record" : tb_strerror(rc));
        return rc;
    }
    v->anchors = &anchors;
    v->insecure = (const uint8_t(*)[DNS_NAME_MAXLEN])c->res_insecure;
    v->ninsecure = c->nres_insecure;
#if DNSG_SODIUM
    v->ed25519 = ed25519_verify;
#endif
    /* signature windows are UNIX time; the core gets monotonic ns */
    v->unix_at_zero = dnsg_unix_at_zero();
    dns_res_val_init(v);
    *on = true;
    return 0;
}

bool dnsg_val_ed25519(void)
{
    return DNSG_SODIUM != 0;
}
