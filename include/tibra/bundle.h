/*
 * bundle.h -- what `tibra build` puts into a DNS image besides code: the
 * service's compiled zones and its default boot arguments, as one
 * read-only byte string (a "bundle") linked into the image, so that the
 * guest boots already serving and never parses zone text.
 *
 *   service file + zone files --tibra build--> bundle --linked--> image
 *   image boots --tb_bundle_open--> zone blobs + default arguments
 *
 * Layout (little-endian, offsets from the bundle's first byte; every
 * blob starts 16-byte aligned):
 *
 *   0   magic "TBBUNDL1"                         8 bytes
 *   8   u32 total length of the bundle
 *   12  u32 nzones
 *   16  u32 args offset     20  u32 args length  (NUL not included)
 *   24  u32 reserved (0)    28  u32 reserved (0)
 *   32  u64 check: tb_hash64(bytes [40, total), seed 0)
 *   40  nzones x { u32 offset, u32 length }       the compiled zones
 *   ...  args text, blobs (dns_zone_compile() output)
 *
 * The check makes a bundle found by scanning an image file (tibra inspect)
 * unmistakable; the guest validates the whole bundle (and each blob with
 * dns_zone_open()) before using it, as it would any untrusted input.
 *
 * The default arguments are the service file's per-deployment values in
 * the guest's boot-argument syntax (below); arguments given at run time
 * (the tender's command line) are applied after them and win, so one image
 * (one hash) can be deployed on several hosts, as MirageOS does with
 * --ipv4=.  Arguments are separated by spaces; values contain no spaces:
 *
 *   --name=NS1                 service name (identity default)
 *   --ipv4=A.B.C.D/N           --ipv4-gateway=A.B.C.D    (direct stack)
 *   --ipv6=X::Y/N              --ipv6-gateway=X::Y       (direct stack)
 *   --port=53                  the port served on the direct stack
 *   --listen=ADDR@PORT         host-socket stack (unix), repeatable; the
 *                              first one given at run time replaces all
 *                              defaults
 *   --tcp-clients=N  --tcp-idle-timeout=S  --tcp-max-queries=N
 *   --tcp-clients-per-address=N  (default: tcp-clients / 8, rounded up)
 *   --udp-size=N  --chaos=on|off  --identity=TEXT  --version=TEXT
 *   --nsid=TEXT|0xHEX
 *   --rrl-rate=N  --rrl-slip=N  --rrl-ipv4-prefix=N  --rrl-ipv6-prefix=N
 *   --rrl-table-size=N  --rrl-exempt-loopback=on|off
 *                              response rate limiting (dns/srv.h; rate 0,
 *                              the default, is off)
 *   --metrics=ADDR@PORT|off    Prometheus text over HTTP (dns/metrics.h)
 *                              on TCP ADDR@PORT (direct stack: one of the
 *                              guest's own addresses); off by default
 *   --allow-transfer=ZONE:ADDR[/N]  AXFR/IXFR allowed from that prefix
 *                              (repeatable; the zone's blob must have its
 *                              records: DNS_ZONE_COMPILE_RECORDS)
 *   --notify=ZONE:ADDR@PORT    NOTIFY sent to it at boot (repeatable)
 *   --resolver-listen=ADDR@PORT  the resolver (dns/res.h) on UDP and TCP
 *                              ADDR@PORT (repeatable, at most 4; none: no
 *                              resolver); its other words:
 *   --resolver-allow=ADDR[/N]  clients served (repeatable; none: loopback)
 *   --resolver-forward=ZONE:ADDR@PORT  --resolver-stub=ZONE:ADDR@PORT
 *                              forward and stub zones (a zone's words add
 *                              its addresses)
 *   --root-hint=NAME:ADDR      a root server's address (repeatable; none:
 *                              IANA's root hints, built in)
 *   --resolver-cache-size=BYTES  --resolver-resolutions=N
 *   --resolver-ratelimit=N  --resolver-serve-stale=S
 *   --resolver-prefetch=on|off  --resolver-use-0x20=on|off
 *                              as the service file's resolver: keys
 *   --trust-anchor=NAME:DS:TAG:ALG:TYPE:HEX
 *   --trust-anchor=NAME:DNSKEY:FLAGS:PROTO:ALG:BASE64
 *                              a DNSSEC trust anchor (repeatable; none:
 *                              the built-in root anchors); =none: no
 *                              validation (images without BearSSL never
 *                              validate)
 *   --resolver-insecure=DOMAIN  a negative trust anchor (repeatable)
 *   --memory=BYTES             the memory the service was declared with
 *                              (informative: the tender's --mem gives it)
 */
#ifndef TB_BUNDLE_H
#define TB_BUNDLE_H

#include <tibra/base.h>

#define TB_BUNDLE_MAGIC     "TBBUNDL1"
#define TB_BUNDLE_HDR_LEN   40
#define TB_BUNDLE_ZONES_MAX 65535
#define TB_BUNDLE_ARGS_MAX  4096

/* A validated bundle: pointers into the caller's bytes. */
struct tb_bundle {
    uint32_t nzones;
    const char *args; /* NOT NUL-terminated */
    size_t args_len;
    const uint8_t *table; /* private: nzones x (offset, length) */
    const uint8_t *base; /* private */
};

/*
 * Validates (p, len) (untrusted) as a bundle and fills (*b).  Checks the
 * magic, lengths, the hash, that every blob and the args lie inside the
 * bundle and that blobs are 16-aligned relative to (p).  Does NOT check
 * the blobs themselves (dns_zone_open(), dns_zoneset_build() do).
 * Returns 0, TB_EMALF (not a bundle, or damaged), TB_ENOTSUP (another
 * version's magic "TBBUNDLx").
 */
TB_API int tb_bundle_open(struct tb_bundle *b, const void *p, size_t len);

/* Blob (i) (i < b->nzones): sets (*blob, *len). */
TB_API void tb_bundle_zone(const struct tb_bundle *b, uint32_t i,
                           const uint8_t **blob, size_t *len);

/*
 * Appends a bundle to (out) (a struct tb_buf whose allocator the caller
 * set; blob alignment is relative to the bundle's first byte) made of
 * (n) blobs (blobs[i], lens[i]) and the default arguments (args, NUL
 * terminated, at most TB_BUNDLE_ARGS_MAX bytes).  Deterministic: the same
 * inputs give the same bytes.  Returns 0, TB_EINVAL (n or args too
 * large), TB_ERANGE (over 4 GiB), TB_ENOMEM.
 */
TB_API int tb_bundle_write(struct tb_buf *out, const void *const *blobs,
                           const size_t *lens, uint32_t n, const char *args);

/*
 * Finds a bundle inside (p, len) (an image file) by its magic and check:
 * returns 0 with (*b) filled and (*off) its offset, or TB_ENOENT.
 */
TB_API int tb_bundle_find(struct tb_bundle *b, const void *p, size_t len,
                          size_t *off);

#endif /* TB_BUNDLE_H */
