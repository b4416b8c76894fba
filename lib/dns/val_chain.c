/*
 * val_chain.c -- one link of the chain of trust (RFC 4035 5.2): a DNSKEY
 * RRset against its parent's DS RRset or trust-anchor keys; and the trust
 * anchors themselves, read with the zone parser.
 */
#include <string.h>

#include <tibra/dns/name.h>
#include <tibra/dns/val.h>
#include <tibra/dns/zone.h>

#include "val_int.h"

/* IANA root-anchors.xml: KSK-2017 and KSK-2024. */
const char dns_val_root_anchors[] =
    ". IN DS 20326 8 2 "
    "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
    ". IN DS 38696 8 2 "
    "683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16\n";

static bool key_matched(const struct dns_val_conf *conf,
                        const struct dns_val_rrset *keys,
                        const struct dns_val_rdata *k,
                        const struct dns_val_rdata *ds, size_t nds,
                        const struct dns_val_rdata *ak, size_t nak)
{
    size_t i;

    for (i = 0; i < nak; i++)
        if (ak[i].len == k->len && memcmp(ak[i].p, k->p, k->len) == 0)
            return true;
    for (i = 0; i < nds; i++) {
        struct dns_val_ds d;
        if (dns_val_ds_parse(ds[i].p, ds[i].len, &d) == 0 &&
            dns_val_alg_supported(conf, d.alg) &&
            dns_val_ds_match(keys->owner, ds[i].p, ds[i].len, k->p, k->len))
            return true;
    }
    return false;
}

enum dns_val_state dns_val_dnskey(const struct dns_val_conf *conf,
                                  const struct dns_val_rrset *keys,
                                  const struct dns_val_rdata *sigs,
                                  size_t nsigs, const struct dns_val_rdata *ds,
                                  size_t nds, const struct dns_val_rdata *ak,
                                  size_t nak, enum dns_val_reason *reason)
{
    enum dns_val_reason best = DNS_VAL_R_DS_MISMATCH, r;
    bool any_alg = false, any_digest = false, matched = false;
    unsigned fails = 0;
    size_t i, j;

    for (i = 0; i < nds; i++) {
        struct dns_val_ds d;
        if (dns_val_ds_parse(ds[i].p, ds[i].len, &d) != 0)
            continue;
        if (dns_val_alg_supported(conf, d.alg)) {
            any_alg = true;
            if (dns_val_digest_supported(d.digest_type))
                any_digest = true;
        }
    }
    for (i = 0; i < nak; i++)
        if (ak[i].len >= 4 && dns_val_alg_supported(conf, ak[i].p[3]))
            any_alg = any_digest = true;
    if (!any_alg || !any_digest) {
        *reason = nds + nak == 0 ? DNS_VAL_R_NO_KEY
                  : !any_alg     ? DNS_VAL_R_UNSUP_ALG
                                 : DNS_VAL_R_UNSUP_DIGEST;
        return nds + nak == 0 ? DNS_VAL_BOGUS : DNS_VAL_INSECURE;
    }
    if (keys->type != DNS_TYPE_DNSKEY || keys->n > DNS_VAL_RRSET_MAX) {
        *reason = DNS_VAL_R_MALFORMED;
        return DNS_VAL_BOGUS;
    }
    for (i = 0; i < keys->n; i++) {
        const struct dns_val_rdata *k = &keys->rd[i];
        if (!key_matched(conf, keys, k, ds, nds, ak, nak))
            continue;
        matched = true;
        for (j = 0; j < nsigs; j++) {
            r = dns_val_verify(conf, keys, sigs[j].p, sigs[j].len, keys->owner,
                               k->p, k->len);
            if (r == DNS_VAL_R_OK) {
                *reason = DNS_VAL_R_OK;
                return DNS_VAL_SECURE;
            }
            if (r != DNS_VAL_R_NO_KEY && r != DNS_VAL_R_NO_SIG &&
                (best == DNS_VAL_R_DS_MISMATCH || best == DNS_VAL_R_NO_SIG))
                best = r;
            if (r == DNS_VAL_R_BAD_SIG && ++fails >= DNS_VAL_CRYPTO_FAIL_MAX)
                goto out;
        }
        if (best == DNS_VAL_R_DS_MISMATCH)
            best = DNS_VAL_R_NO_SIG;
    }
out:
    *reason = matched ? best : DNS_VAL_R_DS_MISMATCH;
    return DNS_VAL_BOGUS;
}

int dns_val_anchors_parse(struct dns_val_anchors *a, const char *text,
                          size_t len, const char *file,
                          const struct tb_alloc *al, struct dns_diag *d)
{
    static const uint8_t root[1] = {0};
    struct dns_diag quiet = {NULL, NULL, 0, 0};
    size_t i;
    int rc;

    if (d == NULL)
        d = &quiet;
    dns_zone_src_init(&a->zone, root, al);
    a->zone.max_records = 1024;
    rc = dns_zone_parse(&a->zone, text, len, file, NULL, d);
    if (rc != 0)
        goto fail;
    rc = TB_ENOENT;
    for (i = 0; i < a->zone.nrr; i++) {
        const struct dns_zrr *r = &a->zone.rr[i];
        if (r->type != DNS_TYPE_DS && r->type != DNS_TYPE_DNSKEY) {
            dns_diag(d, DNS_DIAG_ERROR, file, r->line,
                     "trust anchor: only DS and DNSKEY records");
            rc = TB_EMALF;
            goto fail;
        }
        rc = 0;
    }
    if (rc == 0)
        return 0;
fail:
    dns_zone_src_free(&a->zone);
    return rc;
}

void dns_val_anchors_free(struct dns_val_anchors *a)
{
    dns_zone_src_free(&a->zone);
}

size_t dns_val_anchors_get(const struct dns_val_anchors *a,
                           const uint8_t *owner, uint16_t type,
                           struct dns_val_rdata *out, size_t cap)
{
    size_t i, n = 0;

    for (i = 0; i < a->zone.nrr; i++) {
        const struct dns_zrr *r = &a->zone.rr[i];
        if (r->type != type ||
            !dns_name_equal(dns_zrr_owner(&a->zone, r), owner))
            continue;
        if (n < cap) {
            out[n].p = dns_zrr_rdata(&a->zone, r);
            out[n].len = r->rdlen;
        }
        n++;
    }
    return n;
}
