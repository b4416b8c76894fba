/*
 * build.c -- tibra build: one service file to one image and its record.
 *
 *   service file --svc_parse--> conf --dns_zonefile_compile, each zone-->
 *   blobs + default args --tb_bundle_write--> bundle --assemble (cc)-->
 *   bundle object --link.txt (cc, objcopy)--> image + build record
 *
 * Every problem with the service file or a zone is one line FILE:LINE:
 * message, all of them in one run, and then nothing is written.  The link
 * runs in a private temporary directory holding copies of the staged
 * library (hashed as they are copied) under fixed relative names, with the
 * clean environment of run_clean(): nothing of the user's directory,
 * session or clock reaches the image.  The image and the record are
 * written under temporary names and renamed into place last.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <tibra/bundle.h>
#include <tibra/dns/res.h>
#include <tibra/dns/tsig.h>
#include <tibra/dns/val.h>
#include <tibra/svc.h>
#include <tibra/version.h>
#include <tibra/zonefile.h>

#include "tibra.h"

/* What the build has read so far, for the record. */
struct inputs {
    struct sbuf in; /* "input KIND SHA PATH" lines */
    char *prefix; /* the service file's directory with its '/' */
    size_t plen;
    bool first; /* the next file seen is a zone file, not an include */
    uint64_t clock; /* DNSSEC signing time, taken once; 0: not yet */
};

/* (path) as the record names it: relative to the service file. */
static const char *rec_path(const struct inputs *in, const char *path)
{
    if (in->plen > 0 && strncmp(path, in->prefix, in->plen) == 0)
        return path + in->plen;
    return path;
}

static void seen(void *ctx, const char *path, const char *text, size_t len)
{
    struct inputs *in = ctx;
    char hex[SHA256_HEX];

    sha256_hex(text, len, hex);
    sb_printf(&in->in, "input %s %s %s\n", in->first ? "zone" : "include", hex,
              rec_path(in, path));
    in->first = false;
}

/* DNSSEC validation of an image's resolver: trust-anchor FILE read and
 * checked here (dns_val_anchors_parse, as tibra-dnsd does at start), each
 * DS or DNSKEY record a --trust-anchor=NAME:TYPE:FIELDS word (public
 * data; none: the guest's built-in root anchors, tibra-dnsd's); insecure
 * names as --resolver-insecure words; trust-anchor none as
 * --trust-anchor=none.  aarch64 images link no BearSSL and do not
 * validate: a warning.  Returns 0 or -1 (said why). */
static int anchor_args(const struct svc_conf *c, const char *file,
                       const char *arch, struct sbuf *a)
{
    const struct svc_resolver *r = &c->resolver;
    struct dns_val_anchors an;
    struct dns_diag d = {tool_report, NULL, 0, 0};
    char *text = NULL, *rd = NULL;
    size_t len = 0;
    int err;

    if (r->no_validation) {
        sb_printf(a, " --trust-anchor=none");
        return 0;
    }
    if (strcmp(arch, "x86_64") != 0) {
        fprintf(stderr,
                "%s:%u: warning: resolver: %s images do not validate DNSSEC "
                "(no BearSSL for %s; tibra-dnsd and x86_64 images do); "
                "trust-anchor none says so and silences this\n",
                file, r->line, arch, arch);
        return 0;
    }
    if (r->ninsecure > 16) {
        fprintf(stderr,
                "%s:%u: resolver: insecure: at most 16 domains in "
                "an image\n",
                file, r->line);
        return -1;
    }
    for (size_t i = 0; i < r->ninsecure; i++) {
        char n[DNS_NAME_TEXT_MAX];
        if (dns_name_to_text(r->insecure[i], n, sizeof(n)) < 0)
            return -1;
        sb_printf(a, " --resolver-insecure=%s", n);
    }
    if (r->trust_anchor == NULL)
        return 0;
    if ((err = dns_zonefile_read(r->trust_anchor, &text, &len)) != 0) {
        fprintf(stderr, "%s: trust-anchor %s: %s\n", file, r->trust_anchor,
                tb_strerror(err));
        return -1;
    }
    err = dns_val_anchors_parse(&an, text, len, r->trust_anchor, &tb_heap, &d);
    free(text);
    if (err != 0) {
        if (err == TB_ENOENT)
            fprintf(stderr, "%s: trust-anchor %s: no DS or DNSKEY record\n",
                    file, r->trust_anchor);
        return -1;
    }
    if ((rd = malloc(DNS_RDATA_TEXT_MAX)) == NULL)
        err = TB_ENOMEM;
    for (size_t i = 0; err == 0 && i < an.zone.nrr; i++) {
        const struct dns_zrr *z = &an.zone.rr[i];
        char n[DNS_NAME_TEXT_MAX];
        int k = dns_rdata_to_text(z->type, dns_zrr_rdata(&an.zone, z), z->rdlen,
                                  rd, DNS_RDATA_TEXT_MAX);
        if (k < 0 ||
            dns_name_to_text(dns_zrr_owner(&an.zone, z), n, sizeof(n)) < 0) {
            err = TB_EMALF;
            break;
        }
        /* the three numbers and the key or digest joined by ':' (a word
         * holds no space; base64 and hex chunks run together) */
        int out = 0, sp = 0;
        for (int j = 0; j < k; j++)
            if (rd[j] != ' ')
                rd[out++] = rd[j];
            else if (sp++ < 3)
                rd[out++] = ':';
        rd[out] = '\0';
        sb_printf(a, " --trust-anchor=%s:%s:%s", n,
                  z->type == DNS_TYPE_DS ? "DS" : "DNSKEY", rd);
    }
    free(rd);
    dns_val_anchors_free(&an);
    if (err != 0)
        fprintf(stderr, "%s: trust-anchor %s: %s\n", file, r->trust_anchor,
                tb_strerror(err));
    return err != 0 ? -1 : 0;
}

/* The resolver: section as boot arguments (bundle.h): listen, allow,
 * forward and stub addresses, sizes, and the root hints, read and checked
 * here (the file's servers as --root-hint words; none: the guest's
 * built-in copy of IANA's).  Returns 0 or -1 (said why). */
static int resolver_args(const struct svc_conf *c, const char *file,
                         const char *target, const char *arch, struct sbuf *a)
{
    const struct svc_resolver *r = &c->resolver;
    char t[SVC_ADDR_TEXT_MAX];

    if (!r->enabled)
        return 0;
    if (!strcmp(target, "unix")) {
        fprintf(stderr,
                "%s:%u: resolver: not supported in unix images yet (run "
                "the service with tibra-dnsd, or build for spt or hvt)\n",
                file, r->line);
        return -1;
    }
    if (anchor_args(c, file, arch, a) != 0)
        return -1;
    for (size_t i = 0; i < r->nlisten; i++) {
        svc_addr_to_text(&r->listen[i], false, t, sizeof(t));
        sb_printf(a, " --resolver-listen=%s@%u", t, r->listen[i].port);
    }
    for (size_t i = 0; i < r->nallow; i++) {
        svc_addr_to_text(&r->allow[i], false, t, sizeof(t));
        sb_printf(a, " --resolver-allow=%s/%u", t, r->allow[i].plen);
    }
    for (size_t i = 0; i < r->nfwd; i++) {
        char z[DNS_NAME_TEXT_MAX];
        if (dns_name_to_text(r->fwd[i].zone, z, sizeof(z)) < 0)
            return -1;
        for (size_t k = 0; k < r->fwd[i].naddr; k++) {
            svc_addr_to_text(&r->fwd[i].addr[k], false, t, sizeof(t));
            sb_printf(a, " --resolver-%s=%s:%s@%u",
                      r->fwd[i].recursive ? "forward" : "stub", z, t,
                      r->fwd[i].addr[k].port);
        }
    }
    if (r->cache_size != 0)
        sb_printf(a, " --resolver-cache-size=%llu",
                  (unsigned long long)r->cache_size);
    if (r->resolutions != 0)
        sb_printf(a, " --resolver-resolutions=%u", r->resolutions);
    if (r->ratelimit != 0)
        sb_printf(a, " --resolver-ratelimit=%u", r->ratelimit);
    if (r->serve_stale != 0)
        sb_printf(a, " --resolver-serve-stale=%u", r->serve_stale);
    if (r->prefetch)
        sb_printf(a, " --resolver-prefetch=on");
    if (r->use_0x20)
        sb_printf(a, " --resolver-use-0x20=on");
    if (r->root_hints != NULL) {
        struct dns_res_hints h;
        struct dns_diag d = {tool_report, NULL, 0, 0};
        char *text = NULL;
        size_t len = 0;
        int err;

        if ((err = dns_zonefile_read(r->root_hints, &text, &len)) != 0) {
            fprintf(stderr, "%s: root-hints %s: %s\n", file, r->root_hints,
                    tb_strerror(err));
            return -1;
        }
        err = dns_res_hints_parse(&h, text, len, r->root_hints, &tb_heap, &d);
        free(text);
        if (err != 0)
            return -1;
        for (unsigned i = 0; i < h.naddr; i++) {
            char n[DNS_NAME_TEXT_MAX], ip[TB_INET6_TEXT_MAX];
            const struct tb_addr *ad = &h.addr[i].addr;
            if (dns_name_to_text(h.ns[h.addr[i].ns], n, sizeof(n)) < 0)
                return -1;
            if (ad->af == TB_AF_INET)
                snprintf(ip, sizeof(ip), "%u.%u.%u.%u", ad->ip[0], ad->ip[1],
                         ad->ip[2], ad->ip[3]);
            else
                tb_inet_ntop6(ad->ip, ip, sizeof(ip));
            sb_printf(a, " --root-hint=%s:%s", n, ip);
        }
    }
    return 0;
}

/* Whether an image of (c) for (target) keeps state: secondary zones and
 * zones with allow-update live on block device "state" (svc requires
 * `state SIZE` for them in spt and hvt images; docs/DESIGN.md "store"). */
static bool needs_state(const struct svc_conf *c, const char *target)
{
    if (!strcmp(target, "unix"))
        return false;
    for (size_t i = 0; i < c->nzones; i++)
        if (c->zones[i].nprimary != 0 || c->zones[i].nallow_update != 0)
            return true;
    return false;
}

/* Secondary zones and dynamic updates as boot arguments: --primary,
 * --allow-update and --state-device words (the TSIG secrets stay out:
 * --tsig-key at run time).  Returns 0 or -1 (said why). */
static int state_args(const struct svc_conf *c, const char *file,
                      const char *target, struct sbuf *a)
{
    char t[SVC_ADDR_TEXT_MAX];
    bool sec = false;

    for (size_t i = 0; i < c->nzones; i++) {
        const struct svc_zone *z = &c->zones[i];
        if (z->catalog_role != SVC_CATALOG_NONE &&
            (z->nprimary != 0 || z->nallow_update != 0)) {
            fprintf(stderr,
                    "%s:%u: zone %s: catalog zones are not supported in "
                    "images yet (tibra-dnsd serves them)\n",
                    file, z->line, z->name);
            return -1;
        }
        for (unsigned k = 0; k < z->nprimary; k++) {
            if (z->primary_key[k] != NULL) {
                fprintf(stderr,
                        "%s:%u: zone %s: primary ... key %s: TSIG with "
                        "primaries is not supported in images yet "
                        "(tibra-dnsd signs it)\n",
                        file, z->primary[k].line, z->name, z->primary_key[k]);
                return -1;
            }
            /* ADDR@PORT, IPv6 without brackets (the last '@' splits). */
            svc_addr_to_text(&z->primary[k], false, t, sizeof(t));
            sb_printf(a, " --primary=%s:%s@%u", z->name, t, z->primary[k].port);
            sec = true;
        }
        if (z->nallow_update != 0 && !strcmp(target, "unix")) {
            fprintf(stderr,
                    "%s:%u: zone %s: allow-update in a unix image: it has "
                    "no block device to journal updates on (use target "
                    "spt or hvt, or tibra-dnsd)\n",
                    file, z->allow_update_line, z->name);
            return -1;
        }
        /* An image applies updates with serial policy increment, its
         * journal compacted at 1 MiB, and does not sign them. */
        const char *no = z->nallow_update == 0      ? NULL
                         : z->dnssec_dir != NULL    ? "dnssec"
                         : z->serial_policy != 0    ? "serial-policy"
                         : z->journal_max_size != 0 ? "journal-max-size"
                                                    : NULL;
        if (no != NULL) {
            fprintf(stderr,
                    "%s:%u: zone %s: %s with allow-update is not supported "
                    "in images yet (tibra-dnsd takes it)\n",
                    file, z->allow_update_line, z->name, no);
            return -1;
        }
        for (unsigned k = 0; k < z->nallow_update; k++)
            sb_printf(a, " --allow-update=%s:%s", z->name,
                      z->allow_update_key[k]);
    }
    if (sec && c->resolver.enabled) {
        fprintf(stderr,
                "%s:%u: resolver: secondary zones beside the resolver are "
                "not supported in images yet (tibra-dnsd serves both)\n",
                file, c->resolver.line);
        return -1;
    }
    if (needs_state(c, target))
        sb_puts(a, " --state-device=state");
    return 0;
}

/* The service's per-deployment values as boot arguments (bundle.h). */
static int make_args(const struct svc_conf *c, const char *file,
                     const char *target, const char *arch, const char *name,
                     struct sbuf *a)
{
    struct svc_conf d;
    char t[SVC_ADDR_TEXT_MAX];
    bool unix_t = !strcmp(target, "unix");

    svc_conf_init(&d, NULL);
    /* TSIG secrets never go into an image (nor its build record): the
     * tool does not read secret-files.  An image takes its keys at run
     * time (--tsig-key=NAME:ALG:BASE64): unix images and x86_64 spt and
     * hvt images link BearSSL; aarch64 guests cannot yet (no arm64
     * BearSSL on an amd64 host: docs/DESIGN.md "tsig"), so a service
     * with keys is refused for them rather than built to answer BADKEY. */
    if (c->nkeys != 0 && !unix_t && strcmp(arch, "x86_64") != 0) {
        fprintf(stderr,
                "%s:%u: key %s: TSIG keys are not supported in %s-%s "
                "images yet (tibra-dnsd, unix and x86_64 images serve them)\n",
                file, c->keys[0].line, c->keys[0].name, target, arch);
        return -1;
    }
    /* DNS over TLS is tibra-dnsd's: no image serves it yet (the service
     * file refuses it for hvt and spt; a unix image is refused here). */
    if (c->ntls_listen != 0) {
        fprintf(stderr,
                "%s:%u: tls-listen: DNS over TLS is not supported in images "
                "yet (run the service with tibra-dnsd)\n",
                file, c->tls_listen[0].line);
        return -1;
    }
    for (size_t i = 0; i < c->nkeys; i++)
        fprintf(stderr,
                "%s:%u: key %s: the secret is not put in the image: give it "
                "--tsig-key=%s:%s:BASE64 at run time\n",
                file, c->keys[i].line, c->keys[i].name, c->keys[i].name,
                dns_tsig_alg_text((enum dns_tsig_alg)c->keys[i].alg));
    /* An image's allow-transfer has no key: an entry that requires one
     * would be served to the address without it. */
    for (size_t i = 0; i < c->nzones; i++)
        for (size_t k = 0; k < c->zones[i].nallow_xfr; k++)
            if (c->zones[i].allow_xfr_key != NULL &&
                c->zones[i].allow_xfr_key[k] != NULL) {
                fprintf(stderr,
                        "%s:%u: zone %s: allow-transfer ... key %s is not "
                        "supported in images yet (tibra-dnsd serves it)\n",
                        file, c->zones[i].allow_xfr[k].line, c->zones[i].name,
                        c->zones[i].allow_xfr_key[k]);
                return -1;
            }
    /* Nor signed NOTIFY: it would go out unsigned. */
    for (size_t i = 0; i < c->nzones; i++)
        for (size_t k = 0; k < c->zones[i].nnotify; k++)
            if (c->zones[i].notify_key != NULL &&
                c->zones[i].notify_key[k] != NULL) {
                fprintf(stderr,
                        "%s:%u: zone %s: notify ... key %s is not supported "
                        "in images yet (tibra-dnsd signs it)\n",
                        file, c->zones[i].notify[k].line, c->zones[i].name,
                        c->zones[i].notify_key[k]);
                return -1;
            }
    sb_printf(a, "--name=%s", name);
    if (!unix_t) {
        const struct svc_addr *ad[] = {&c->address4, &c->gateway4, &c->address6,
                                       &c->gateway6};
        const char *key[] = {"ipv4", "ipv4-gateway", "ipv6", "ipv6-gateway"};
        for (int i = 0; i < 4; i++) {
            if (ad[i]->family == 0)
                continue;
            svc_addr_to_text(ad[i], false, t, sizeof(t));
            sb_printf(a, " --%s=%s", key[i], t);
            if (i % 2 == 0)
                sb_printf(a, "/%u", ad[i]->plen);
        }
        if (c->nlisten > 0 && c->listen[0].port != SVC_DEFAULT_PORT)
            sb_printf(a, " --port=%u", c->listen[0].port);
    } else {
        for (size_t i = 0; i < c->nlisten; i++) {
            /* ADDR@PORT, IPv6 without brackets (the last '@' splits). */
            svc_addr_to_text(&c->listen[i], false, t, sizeof(t));
            sb_printf(a, " --listen=%s@%u", t, c->listen[i].port);
        }
    }
    if (c->tcp_clients != d.tcp_clients)
        sb_printf(a, " --tcp-clients=%u", c->tcp_clients);
    if (c->tcp_clients_per_address != 0)
        sb_printf(a, " --tcp-clients-per-address=%u",
                  c->tcp_clients_per_address);
    if (c->tcp_idle_timeout != d.tcp_idle_timeout)
        sb_printf(a, " --tcp-idle-timeout=%u", c->tcp_idle_timeout);
    if (c->tcp_max_queries != d.tcp_max_queries)
        sb_printf(a, " --tcp-max-queries=%u", c->tcp_max_queries);
    if (c->udp_size != d.udp_size)
        sb_printf(a, " --udp-size=%u", c->udp_size);
    if (c->chaos != d.chaos)
        sb_printf(a, " --chaos=%s", c->chaos ? "on" : "off");
    if (c->rrl_rate != d.rrl_rate)
        sb_printf(a, " --rrl-rate=%u", c->rrl_rate);
    if (c->rrl_slip != d.rrl_slip)
        sb_printf(a, " --rrl-slip=%u", c->rrl_slip);
    if (c->rrl_ipv4_prefix != d.rrl_ipv4_prefix)
        sb_printf(a, " --rrl-ipv4-prefix=%u", c->rrl_ipv4_prefix);
    if (c->rrl_ipv6_prefix != d.rrl_ipv6_prefix)
        sb_printf(a, " --rrl-ipv6-prefix=%u", c->rrl_ipv6_prefix);
    if (c->rrl_table_size != d.rrl_table_size)
        sb_printf(a, " --rrl-table-size=%u", c->rrl_table_size);
    if (c->rrl_exempt_loopback != d.rrl_exempt_loopback)
        sb_printf(a, " --rrl-exempt-loopback=%s",
                  c->rrl_exempt_loopback ? "on" : "off");
    for (size_t i = 0; i < c->nzones; i++) {
        const struct svc_zone *z = &c->zones[i];
        for (size_t k = 0; k < z->nallow_xfr; k++) {
            svc_addr_to_text(&z->allow_xfr[k], false, t, sizeof(t));
            sb_printf(a, " --allow-transfer=%s:%s/%u", z->name, t,
                      z->allow_xfr[k].plen);
        }
        for (size_t k = 0; k < z->nnotify; k++) {
            /* ADDR@PORT, IPv6 without brackets (the last '@' splits). */
            svc_addr_to_text(&z->notify[k], false, t, sizeof(t));
            sb_printf(a, " --notify=%s:%s@%u", z->name, t, z->notify[k].port);
        }
    }
    if (state_args(c, file, target, a) != 0)
        return -1;
    if (c->cookies != d.cookies)
        sb_printf(a, " --cookies=%s", c->cookies ? "on" : "off");
    if (c->cookies_require != d.cookies_require)
        sb_printf(a, " --cookies-require=%s",
                  c->cookies_require ? "on" : "off");
    /* cookie-secret-file is never put in an image: a guest takes
     * --cookie-secret=HEX at run time, else a random secret. */
    if (c->cookie_secret_file != NULL)
        fprintf(stderr,
                "%s: cookie-secret-file is not put in the image: give the "
                "guest --cookie-secret=HEX at run time (else it makes a "
                "random secret at boot)\n",
                file);
    if (c->metrics.family != 0) {
        svc_addr_to_text(&c->metrics, false, t, sizeof(t));
        sb_printf(a, " --metrics=%s@%u", t, c->metrics.port);
    }
    const char *str[] = {c->identity, c->version};
    const char *skey[] = {"identity", "version"};
    for (int i = 0; i < 2; i++) {
        if (str[i] == NULL)
            continue;
        if (str[i][0] == '\0' || strpbrk(str[i], " \t\n") != NULL) {
            fprintf(stderr,
                    "%s: %s \"%s\": an image's boot arguments cannot carry "
                    "an empty value or spaces\n",
                    file, skey[i], str[i]);
            return -1;
        }
        sb_printf(a, " --%s=%s", skey[i], str[i]);
    }
    if (c->nsid_len != 0) {
        /* Always as hex: any bytes, never a space. */
        sb_printf(a, " --nsid=0x");
        for (size_t i = 0; i < c->nsid_len; i++)
            sb_printf(a, "%02x", c->nsid[i]);
    }
    if (c->memory != 0)
        sb_printf(a, " --memory=%llu", (unsigned long long)c->memory);
    if (resolver_args(c, file, target, arch, a) != 0)
        return -1;
    if (a->len > TB_BUNDLE_ARGS_MAX) {
        fprintf(stderr, "%s: the boot arguments exceed %u bytes\n", file,
                TB_BUNDLE_ARGS_MAX);
        return -1;
    }
    return 0;
}

/* A zone with `dnssec`: loaded, signed (sign.c), compiled, validated;
 * (*out) as dns_zonefile_compile() fills it. */
static int compile_signed(const struct build_req *r, const struct svc_zone *z,
                          struct inputs *in, struct sbuf *dl,
                          const struct dns_zonefile_limits *lim,
                          struct dns_diag *d, struct dns_zonefile_blob *out)
{
    struct sign_ctx sc = {.svc = r->svc,
                          .prefix = in->prefix,
                          .plen = in->plen,
                          .keys_base = r->keys_base,
                          .clock = r->clock,
                          .no_margin = r->keys_base != NULL};
    struct dns_zone_src src;
    struct tb_buf buf;
    int rc = dns_zone_load_file_seen(&src, z->file, z->origin, DNS_CLASS_IN,
                                     &tb_heap, d, seen, in, lim);

    memset(out, 0, sizeof(*out));
    if (in->clock == 0) /* one clock for every zone of the build */
        in->clock = sign_clock(&sc);
    sc.clock = in->clock;
    if (rc != 0)
        return rc;
    rc = sign_zone(&sc, z, &src, &in->in, dl, d);
    if (rc == 0 && r->zones_out != NULL)
        rc = sign_write_zone(&src, r->zones_out);
    tb_buf_init(&buf, &tb_heap);
    if (rc == 0)
        rc = dns_zone_compile_flags(&src, &buf, d, lim->compile_flags);
    if (rc == 0 && buf.err != 0)
        rc = buf.err;
    if (rc == 0 &&
        (rc = dns_zone_open(buf.data, buf.len, NULL, &out->serial)) != 0)
        dns_diag(d, DNS_DIAG_ERROR, z->file, 0,
                 "compiled zone does not validate: %s", tb_strerror(rc));
    if (rc == 0) {
        out->nrr = src.nrr;
        out->len = buf.len;
        out->data = buf.data;
    } else if (buf.data != NULL) {
        tb_buf_free(&buf);
    }
    dns_zone_src_free(&src);
    return rc;
}

/* Reads the service file and every zone; fills (*bundle) and the record
 * lines (in, zl).  Returns 0 or TOOL_EXIT_INPUT (all problems printed). */
static int read_service(const struct build_req *r, struct svc_conf *c,
                        struct inputs *in, struct sbuf *zl, struct sbuf *dl,
                        struct sbuf *args, struct tb_buf *bundle,
                        const char **target, const char **arch, char **name)
{
    struct dns_diag d = {tool_report, NULL, 0, 0};
    char *text, hex[SHA256_HEX];
    size_t len;
    int rc = dns_zonefile_read(r->svc, &text, &len);

    if (rc == TB_ENOTREG) {
        fprintf(stderr, "%s: %s\n", r->svc, tb_strerror(rc));
        return TOOL_EXIT_INPUT;
    }
    if (rc != 0) {
        fprintf(stderr, "%s: cannot read: %s\n", r->svc, strerror(-rc));
        return TOOL_EXIT_INPUT;
    }
    sha256_hex(text, len, hex);
    sb_printf(&in->in, "input service %s %s\n", hex, base_of(r->svc));
    if (r->target != NULL) {
        /* --target: the parser keeps it and checks for it. */
        const enum svc_target ts[] = {SVC_TARGET_UNIX, SVC_TARGET_SPT,
                                      SVC_TARGET_HVT};
        size_t i = 0;
        while (i < 3 && strcmp(r->target, svc_target_name(ts[i])) != 0)
            i++;
        if (i == 3) {
            fprintf(stderr, "tibra: unknown target '%s' (unix, spt or hvt)\n",
                    r->target);
            free(text);
            return TOOL_EXIT_USAGE;
        }
        c->target = ts[i];
        c->target_fixed = true;
    }
    svc_parse(c, r->svc, text, len, &d);
    free(text);
    if (d.errors != 0)
        return TOOL_EXIT_INPUT;

    *target = svc_target_name(c->target);
    *arch = r->arch ? r->arch : svc_arch_name(c->arch);
    if (!strcmp(*arch, "host")) {
        static struct utsname u;
        uname(&u);
        *arch = u.machine;
    }
    if (strcmp(*arch, "x86_64") && strcmp(*arch, "aarch64")) {
        fprintf(stderr, "tibra: unknown arch '%s' (x86_64 or aarch64)\n",
                *arch);
        return TOOL_EXIT_USAGE;
    }
    if (c->name != NULL) {
        *name = xstrdup(c->name);
    } else {
        *name = xstrdup(base_of(r->svc));
        char *dot = strrchr(*name, '.');
        if (dot != NULL && dot != *name)
            *dot = '\0';
    }

    const void **blobs = xmalloc((c->nzones + 1) * sizeof(*blobs));
    size_t *lens = xmalloc((c->nzones + 1) * sizeof(*lens));
    struct dns_zonefile_blob *zb = xmalloc((c->nzones + 1) * sizeof(*zb));
    uint32_t nb = 0; /* blobs: the zones compiled in */
    memset(zb, 0, (c->nzones + 1) * sizeof(*zb));
    for (size_t i = 0; i < c->nzones; i++) {
        const struct svc_zone *z = &c->zones[i];
        char origin[DNS_NAME_TEXT_MAX];
        /* A secondary zone is not compiled in: the image transfers it
         * from its primaries (--primary) and keeps it on its state
         * device. */
        if (z->nprimary > 0)
            continue;
        /* The records section where transfers are allowed, and for
         * allow-update (the journal's base: dns_zone_src_from_blob). */
        struct dns_zonefile_limits lim = {z->max_size, z->max_records,
                                          z->nallow_xfr != 0 ||
                                                  z->nallow_update != 0
                                              ? DNS_ZONE_COMPILE_RECORDS
                                              : 0,
                                          NULL};
        in->first = true;
        if (z->dnssec_dir != NULL) {
            if (compile_signed(r, z, in, dl, &lim, &d, &zb[i]) != 0)
                continue;
        } else if (dns_zonefile_compile(z->file, z->origin, DNS_CLASS_IN, &d,
                                        seen, in, &lim, &zb[i]) != 0) {
            continue;
        }
        blobs[nb] = zb[i].data;
        lens[nb++] = zb[i].len;
        if (dns_name_to_text(z->origin, origin, sizeof(origin)) < 0)
            snprintf(origin, sizeof(origin), "%s", z->name);
        sb_printf(zl, "zone %s serial %u records %zu bytes %zu\n", origin,
                  zb[i].serial, zb[i].nrr, zb[i].len);
    }
    if (d.errors == 0 && make_args(c, r->svc, *target, *arch, *name, args) != 0)
        d.errors++;
    if (d.errors == 0) {
        rc = tb_bundle_write(bundle, blobs, lens, nb, args->s);
        if (rc != 0) {
            fprintf(stderr, "%s: cannot make the bundle: %s\n", r->svc,
                    tb_strerror(rc));
            d.errors++;
        }
    }
    for (size_t i = 0; i < c->nzones; i++)
        free(zb[i].data);
    free(zb);
    free(blobs);
    free(lens);
    if (d.errors != 0) {
        fprintf(stderr, "%s: %u error%s; no image written\n", r->svc, d.errors,
                d.errors == 1 ? "" : "s");
        return TOOL_EXIT_INPUT;
    }
    return 0;
}

static const char bundle_asm[] =
    "# The bundle of compiled zones and default arguments (bundle.h),\n"
    "# written by tibra build.\n"
    "\t.section .rodata.tibra.bundle,\"a\"\n"
    "\t.balign 16\n"
    "\t.globl tb_bundle_start\n"
    "tb_bundle_start:\n"
    "\t.incbin \"tibra-bundle.bin\"\n"
    "\t.globl tb_bundle_end\n"
    "tb_bundle_end:\n"
    "\t.section .note.GNU-stack,\"\",%progbits\n";

/* (w) with the placeholders replaced, as a NULL-terminated argv whose
 * first word is (prog); appended to the record line (rec). */
static const char **make_argv(const char *prog, char *const *w, unsigned n,
                              const char *app, struct sbuf *rec)
{
    static const char *const ph[][2] = {
        {"@BUNDLE_S@", "tibra-bundle.s"},
        {"@BUNDLE_O@", "tibra-bundle.o"},
        {"@DEBUG@", "tibra-image.dbg"},
        {"@IMAGE@", "tibra-image"},
    };
    const char **argv = xmalloc((n + 2) * sizeof(*argv));

    argv[0] = prog;
    for (unsigned i = 0; i < n; i++) {
        argv[i + 1] = w[i];
        for (size_t j = 0; j < sizeof(ph) / sizeof(ph[0]); j++)
            if (!strcmp(w[i], ph[j][0]))
                argv[i + 1] = ph[j][1];
        if (!strcmp(w[i], "app.a"))
            argv[i + 1] = app;
        sb_printf(rec, " %s", argv[i + 1]);
    }
    argv[n + 1] = NULL;
    sb_puts(rec, "\n");
    return argv;
}

/* Runs one step; on failure says which and returns -1. */
static int step(const char *tmp, const char *sde, const char *what,
                const char **argv)
{
    int st = run_clean(tmp, sde, argv, NULL);
    free((void *)(uintptr_t)argv);
    if (st == 0)
        return 0;
    fprintf(stderr,
            "tibra: %s failed (%s %d); the command is in the "
            "link.txt of the library\n",
            what, st < 0 ? "killed or not run" : "status", st);
    return -1;
}

/* Copies the library into (tmp), assembles, links and strips there;
 * with (state), the application whose manifest declares block device
 * "state" (link.txt's state-app) in place of app.a. */
static int link_image(const struct linktxt *l, const char *ldir,
                      const char *tmp, const struct tb_buf *bundle, bool state,
                      struct sbuf *rec)
{
    char hex[SHA256_HEX], *p;
    const char *app = state ? l->state_app : "app.a";
    int rc;

    if (app == NULL) {
        fprintf(stderr,
                "tibra: the %s-%s library has no application with a state "
                "device (link.txt has no state-app: make install again)\n",
                l->target, l->arch);
        return -1;
    }

    sb_printf(rec, "input lib %s %s-%s/link.txt\n", l->hash, l->target,
              l->arch);
    for (unsigned i = 0; i < l->nfiles; i++) {
        const char *f = !strcmp(l->file[i], "app.a") ? app : l->file[i];
        char *from = xasprintf("%s/%s", ldir, f);
        char *to = xasprintf("%s/%s", tmp, f);
        rc = copy_file(from, to, hex);
        if (rc != 0)
            fprintf(stderr,
                    "tibra: %s: %s (the library is incomplete: "
                    "make install again)\n",
                    from, strerror(-rc));
        free(from);
        free(to);
        if (rc != 0)
            return -1;
        sb_printf(rec, "input lib %s %s-%s/%s\n", hex, l->target, l->arch, f);
    }
    p = xasprintf("%s/tibra-bundle.bin", tmp);
    rc = write_file(p, bundle->data, bundle->len, 0644);
    free(p);
    if (rc == 0) {
        p = xasprintf("%s/tibra-bundle.s", tmp);
        rc = write_file(p, bundle_asm, sizeof(bundle_asm) - 1, 0644);
        free(p);
    }
    if (rc != 0) {
        fprintf(stderr, "tibra: %s: %s\n", tmp, strerror(-rc));
        return -1;
    }
    if (record_toolchain(rec, l, tmp) != 0)
        return -1;
    char *cc = which_clean(l->cc), *oc = which_clean(l->objcopy);
    struct sbuf cmd = {0};
    sb_printf(&cmd, "assemble %s", l->cc);
    rc = step(tmp, l->sde, "assembling the bundle",
              make_argv(cc, l->assemble, l->nassemble, app, &cmd));
    sb_printf(&cmd, "link %s", l->cc);
    if (rc == 0)
        rc = step(tmp, l->sde, "the link",
                  make_argv(cc, l->link, l->nlink, app, &cmd));
    sb_printf(&cmd, "strip %s", l->objcopy);
    if (rc == 0)
        rc = step(tmp, l->sde, "stripping the image",
                  make_argv(oc, l->strip, l->nstrip, app, &cmd));
    sb_printf(&cmd, "env LC_ALL=C TZ=UTC SOURCE_DATE_EPOCH=%s PATH=%s\n",
              l->sde, TOOL_PATH);
    sb_puts(rec, cmd.s);
    sb_free(&cmd);
    free(cc);
    free(oc);
    return rc;
}

/* Writes (p, n) to (path) through a temporary name in its directory. */
static char *write_tmp(const char *path, const void *p, size_t n, unsigned mode)
{
    char *t = xasprintf("%s.tmp-%ld", path, (long)getpid());
    int rc = write_file(t, p, n, mode);
    if (rc != 0) {
        fprintf(stderr, "tibra: cannot write %s: %s\n", t, strerror(-rc));
        unlink(t);
        free(t);
        return NULL;
    }
    return t;
}

static int place(const struct build_req *r, const char *name,
                 const char *target, const char *tmp, struct sbuf *head,
                 struct sbuf *body, struct build_res *res)
{
    char *img, *svcdir = dir_of(r->svc), *outdir, *rel, *ti = NULL, *tr = NULL;
    size_t n;
    int rc = TOOL_EXIT_TOOL;

    char *ip = xasprintf("%s/tibra-image", tmp);
    if (read_file(ip, &img, &n) != 0) {
        fprintf(stderr, "tibra: the link left no image\n");
        free(ip);
        free(svcdir);
        return TOOL_EXIT_TOOL;
    }
    free(ip);
    if (r->out != NULL)
        res->image = xstrdup(r->out);
    else if (strchr(r->svc, '/') == NULL) /* not "./dist/" */
        res->image = xasprintf("dist/%s.%s", name, target);
    else
        res->image = xasprintf("%s/dist/%s.%s", svcdir, name, target);
    res->record = xasprintf("%s.record", res->image);
    res->size = n;
    sha256_hex(img, n, res->sha);
    if (mkdir_parents(res->image) != 0) {
        fprintf(stderr, "tibra: cannot create the directory of %s: %s\n",
                res->image, strerror(errno));
        goto out;
    }
    outdir = dir_of(res->image);
    rel = rel_path(outdir, svcdir);
    free(outdir);
    struct sbuf rec = {0};
    sb_puts(&rec, "# Tibra build record: docs/tibra.md, \"The build "
                  "record\".\n"
                  "tibra-build-record 1\n");
    sb_printf(&rec, "image %s\nimage-sha256 %s\nimage-size %zu\n",
              base_of(res->image), res->sha, n);
    sb_puts(&rec, head->s);
    sb_printf(&rec, "service-dir %s\n", rel ? rel : svcdir);
    sb_puts(&rec, body->s);
    free(rel);
    ti = write_tmp(res->image, img, n, 0755);
    tr = ti ? write_tmp(res->record, rec.s, rec.len, 0644) : NULL;
    sb_free(&rec);
    if (tr != NULL && rename(ti, res->image) == 0 &&
        rename(tr, res->record) == 0)
        rc = 0;
    else if (tr != NULL)
        fprintf(stderr, "tibra: cannot rename into %s: %s\n", res->image,
                strerror(errno));
out:
    if (ti)
        unlink(ti);
    if (tr)
        unlink(tr);
    free(ti);
    free(tr);
    free(img);
    free(svcdir);
    return rc;
}

int build(const struct build_req *r, struct build_res *res)
{
    struct svc_conf c;
    struct inputs in = {0};
    struct sbuf zl = {0}, dl = {0}, args = {0}, head = {0}, body = {0};
    struct tb_buf bundle;
    struct linktxt l = {0};
    const char *target = NULL, *arch = NULL;
    char *name = NULL, *lib = NULL, *ldir = NULL, *tmp = NULL, *svcdir,
         hex[SHA256_HEX];
    int rc;

    memset(res, 0, sizeof(*res));
    svc_conf_init(&c, &tb_heap);
    tb_buf_init(&bundle, &tb_heap);
    svcdir = dir_of(r->svc);
    in.prefix = strchr(r->svc, '/') ? xasprintf("%s/", svcdir) : xstrdup("");
    in.plen = strlen(in.prefix);
    rc = read_service(r, &c, &in, &zl, &dl, &args, &bundle, &target, &arch,
                      &name);
    if (rc != 0)
        goto out;
    rc = TOOL_EXIT_TOOL;
    lib = lib_dir();
    if (lib == NULL) {
        fprintf(stderr, "tibra: no library beside this program (expected "
                        "../lib/tibra: make install PREFIX=DIR installs "
                        "both)\n");
        goto out;
    }
    ldir = xasprintf("%s/%s-%s", lib, target, arch);
    char *lt = xasprintf("%s/link.txt", ldir);
    if (access(lt, R_OK) != 0) {
        fprintf(stderr, "tibra: no %s-%s library in %s%s\n", target, arch, lib,
                !strcmp(target, "hvt") && strcmp(arch, "x86_64")
                    ? " (hvt is built for x86_64 only)"
                : strcmp(arch, "x86_64")
                    ? " (build it with make CROSS=aarch64-linux-gnu- "
                      "install)"
                    : " (build it with make install)");
        free(lt);
        goto out;
    }
    if (linktxt_load(&l, lt) != 0) {
        free(lt);
        goto out;
    }
    free(lt);

    sha256_hex(bundle.data, bundle.len, hex);
    sb_printf(&head, "target %s\narch %s\napp %s\nname %s\n", target, arch,
              l.app, name);
    sb_puts(&body, in.in.s);
    if (zl.s)
        sb_puts(&body, zl.s);
    if (dl.s) /* DNSSEC: the clock of zones without dnssec-time */
        sb_printf(&body, "dnssec-clock %llu\n%s", (unsigned long long)in.clock,
                  dl.s);
    sb_printf(&body, "args %s\nbundle-sha256 %s\nbundle-size %zu\n", args.s,
              hex, bundle.len);
    sb_printf(&body,
              "tibra-version %s\ntibra-commit %s\nsource-date-epoch %s\n"
              "tool-version %s\n",
              l.version, l.commit, l.sde, TB_VERSION);
    tmp = make_temp_dir("build");
    if (link_image(&l, ldir, tmp, &bundle, needs_state(&c, target), &body) != 0)
        goto out;
    rc = place(r, name, target, tmp, &head, &body, res);
    if (rc == 0 && !r->quiet)
        printf("%s: %zu bytes, sha256 %s\n", res->image, res->size, res->sha);
out:
    if (tmp != NULL)
        remove_tree(tmp);
    free(tmp);
    linktxt_free(&l);
    free(lib);
    free(ldir);
    free(name);
    free(svcdir);
    free(in.prefix);
    sb_free(&in.in);
    sb_free(&zl);
    sb_free(&dl);
    sb_free(&args);
    sb_free(&head);
    sb_free(&body);
    if (bundle.data != NULL)
        tb_buf_free(&bundle);
    svc_conf_free(&c);
    return rc;
}

void build_res_free(struct build_res *res)
{
    free(res->image);
    free(res->record);
    memset(res, 0, sizeof(*res));
}

int cmd_build(int argc, char **argv)
{
    struct build_req r = {0};
    struct build_res res;
    int rc;

    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            tool_help("build");
            return TOOL_EXIT_OK;
        } else if ((!strcmp(a, "-o") || !strcmp(a, "--target") ||
                    !strcmp(a, "--arch")) &&
                   i + 1 < argc) {
            const char **v = a[1] == 'o'   ? &r.out
                             : a[2] == 't' ? &r.target
                                           : &r.arch;
            *v = argv[++i];
        } else if (!strcmp(a, "--signed-zones") && i + 1 < argc) {
            r.zones_out = argv[++i];
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            r.quiet = true;
        } else if (a[0] == '-' || r.svc != NULL) {
            return tool_usage("build");
        } else {
            r.svc = a;
        }
    }
    if (r.svc == NULL)
        return tool_usage("build");
    rc = build(&r, &res);
    build_res_free(&res);
    return rc;
}
