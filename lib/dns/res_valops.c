/*
 * res_valops.c -- the validator's entry points for a validating resolver
 * (struct dns_res_val): the one place the resolver names lib/dns/val*.c,
 * so that a program that never calls dns_res_val_init() (a guest without
 * BearSSL) links no cryptography.
 */
#include <tibra/dns/res.h>

void dns_res_val_init(struct dns_res_val *v)
{
    v->response = dns_val_response;
    v->dnskey = dns_val_dnskey;
    v->anchors_get = dns_val_anchors_get;
    v->ede = dns_val_ede;
    v->alg_supported = dns_val_alg_supported;
    v->digest_supported = dns_val_digest_supported;
    v->delegation = dns_val_delegation;
}
