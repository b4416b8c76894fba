/*
 * tsig_alg.c -- TSIG algorithm names (RFC 8945 6, IANA "TSIG Algorithm
 * Names"): text and wire forms and MAC lengths, the one table tsig.c
 * signs with and the service-file parser checks `algorithm` against.  No
 * crypto here (tsig.c maps each algorithm to its BearSSL hash).
 */
#include "tsig_int.h"

#define W(s) (const uint8_t *)(s), (uint8_t)(sizeof(s))
const struct dns_tsig_alg_info dns_tsig_algs[DNS_TSIG_NALGS] = {
    {DNS_TSIG_HMAC_MD5, "hmac-md5", W("\x08hmac-md5\x07sig-alg\x03reg\x03int"),
     16},
    {DNS_TSIG_HMAC_SHA1, "hmac-sha1", W("\x09hmac-sha1"), 20},
    {DNS_TSIG_HMAC_SHA224, "hmac-sha224", W("\x0bhmac-sha224"), 28},
    {DNS_TSIG_HMAC_SHA256, "hmac-sha256", W("\x0bhmac-sha256"), 32},
    {DNS_TSIG_HMAC_SHA384, "hmac-sha384", W("\x0bhmac-sha384"), 48},
    {DNS_TSIG_HMAC_SHA512, "hmac-sha512", W("\x0bhmac-sha512"), 64},
};
#undef W

const struct dns_tsig_alg_info *dns_tsig_alg_get(enum dns_tsig_alg id)
{
    for (size_t i = 0; i < DNS_TSIG_NALGS; i++)
        if (dns_tsig_algs[i].id == id)
            return &dns_tsig_algs[i];
    return NULL;
}

static bool ieq(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char x = a[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (x != b[i])
            return false;
    }
    return true;
}

int dns_tsig_alg_from_text(const char *s, size_t len, enum dns_tsig_alg *alg)
{
    if (len > 0 && s[len - 1] == '.')
        len--;
    if (len == 24 && ieq(s, "hmac-md5.sig-alg.reg.int", 24)) {
        *alg = DNS_TSIG_HMAC_MD5;
        return 0;
    }
    for (size_t i = 0; i < DNS_TSIG_NALGS; i++)
        if (strlen(dns_tsig_algs[i].text) == len &&
            ieq(s, dns_tsig_algs[i].text, len)) {
            *alg = dns_tsig_algs[i].id;
            return 0;
        }
    return TB_ENOTSUP;
}

const char *dns_tsig_alg_text(enum dns_tsig_alg alg)
{
    const struct dns_tsig_alg_info *a = dns_tsig_alg_get(alg);
    return a ? a->text : "?";
}

size_t dns_tsig_alg_maclen(enum dns_tsig_alg alg)
{
    const struct dns_tsig_alg_info *a = dns_tsig_alg_get(alg);
    return a ? a->maclen : 0;
}
