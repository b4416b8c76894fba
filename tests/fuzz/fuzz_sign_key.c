/*
 * fuzz_sign_key.c -- BIND key files (lib/dns/sign_keyfile.c) on untrusted
 * bytes: the input is a ".key" text, a NUL byte, then a ".private" text
 * (no NUL: the .key alone, read as `tibra key ds` reads it).  Invariants:
 * nothing is read outside the input (ASan), nothing leaks (a counting
 * allocator back to zero), a key that is accepted is whole -- algorithm 8
 * or 13, flags 256 or 257, its tag that of its DNSKEY -- and, with a
 * private half, signs a digest (so the checks the reader made were enough
 * for BearSSL); a refused key is wiped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <tibra/dns.h>
#include <tibra/dns/sign.h>

#define REQUIRE(x)                                                             \
    do {                                                                       \
        if (!(x))                                                              \
            abort();                                                           \
    } while (0)

#include "count_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct tb_alloc a = {f_alloc, f_realloc, f_free, NULL};
    static const uint8_t org[] = "\7example\3org";
    static struct dns_sign_key k;
    struct dns_diag d = {NULL, NULL, 0, 0};
    const uint8_t *nul = memchr(data, 0, size);
    size_t publen = nul != NULL ? (size_t)(nul - data) : size;
    /* Copies, so that ASan sees reads past either text. */
    char *pub = malloc(publen ? publen : 1), *priv = NULL;
    size_t privlen = 0;
    int rc;

    memcpy(pub, data, publen);
    if (nul != NULL) {
        privlen = size - publen - 1;
        priv = malloc(privlen ? privlen : 1);
        memcpy(priv, nul + 1, privlen);
    }
    rc = dns_sign_key_read(&k, org, pub, publen, "K.key", priv, privlen,
                           "K.private", &a, &d);
    if (rc == 0) {
        uint8_t h[32] = {0}, sig[DNS_SIGN_SIG_MAXLEN];
        REQUIRE(k.alg == DNS_ALG_ECDSAP256SHA256 || k.alg == DNS_ALG_RSASHA256);
        REQUIRE(k.flags == DNS_DNSKEY_ZSK || k.flags == DNS_DNSKEY_KSK);
        REQUIRE(k.tag == dns_sign_key_tag(k.dnskey, k.dnskey_len));
        if (priv != NULL)
            REQUIRE(dns_sign_digest(&k, h, sig) > 0);
    } else {
        REQUIRE(k.dnskey_len == 0 && k.alg == 0);
        REQUIRE(d.errors > 0 || rc == TB_ENOMEM);
    }
    dns_sign_key_wipe(&k);
    REQUIRE(live == 0);
    free(pub);
    free(priv);
    return 0;
}
