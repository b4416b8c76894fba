/* val_int.h -- shared between val.c, val_chain.c and val_denial.c. */
#ifndef DNS_VAL_INT_H
#define DNS_VAL_INT_H
#include <tibra/dns/val.h>

/* Verifies (sig) of (msg) by DNSKEY public key (key) of algorithm (alg). */
bool val_crypto_verify(const struct dns_val_conf *conf, uint8_t alg,
                       const uint8_t *key, size_t key_len, const uint8_t *sig,
                       size_t sig_len, const uint8_t *msg, size_t msg_len);

#endif /* DNS_VAL_INT_H */
