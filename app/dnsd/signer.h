/*
 * signer.h -- tibra-dnsd's online DNSSEC signing (signer.c), the driver
 * of lib/dns/sign.c's dns_sign_resign()/dns_sign_refresh(): keys read at
 * start-up from the zone's `dnssec KEYDIR`, the clock, and the thread
 * that keeps the signed zones without dynamic updates signed.  Zones with
 * allow-update are signed by update.c's thread through dnsd_zsign_*.
 */
#ifndef DNSD_SIGNER_H
#define DNSD_SIGNER_H

#include <tibra/dns/zone.h>

#include "dnsd.h"

/* One signed zone's keys and timings (never logged: the private keys). */
struct dnsd_zsign;

/*
 * Reads the keys of zone (sz) (KEYDIR/K<zone>+*.key and .private, errors
 * logged FILE:LINE) of service (c).  Returns 0 with (*out), or a TB_E*.
 */
int dnsd_zsign_open(const struct svc_conf *c, const struct svc_zone *sz,
                    struct dnsd_zsign **out);
/* A copy of (zs) for zone (sz) of a reloaded service file (the same zone,
 * keys and chain: nothing is re-read).  Returns 0 or TB_ENOMEM. */
int dnsd_zsign_dup(const struct dnsd_zsign *zs, const struct svc_zone *sz,
                   struct dnsd_zsign **out);
/* Wipes the keys and frees (zs) (MAY be NULL). */
void dnsd_zsign_free(struct dnsd_zsign *zs);

/*
 * Signs (z), the zone's next version, now: signatures of RRsets unchanged
 * since (prev) (MAY be NULL: (z)'s own RRSIGs, verified) are kept unless
 * due for refresh.  (*due) gets the UNIX time of the next refresh.
 * Returns 0 or a TB_E* (logged); on error (z) MUST be freed, not used.
 */
int dnsd_zsign_version(struct dnsd_zsign *zs, struct dns_zone_src *z,
                       const struct dns_zone_src *prev, int64_t *due);

/*
 * The next version of (prev) with the signatures due for refresh made
 * again and the serial moved on by the zone's serial-policy, into (out)
 * (freed by the caller in every case); with (verify), (prev) came from
 * files and its RRSIGs are kept only if they verify, and (*changed) says
 * whether anything but the SOA's serial and signature changed.  (*due)
 * as above.  Returns 0 or a TB_E* (logged).
 */
int dnsd_zsign_refresh(struct dnsd_zsign *zs, const struct dns_zone_src *prev,
                       bool verify, struct dns_zone_src *out, bool *changed,
                       int64_t *due);

/* The wall clock, UNIX seconds (what signatures are made against). */
int64_t dnsd_zsign_now(void);

/* ---- signed zones without updates: the signer thread --------------- */

struct dnsd_signer;

/*
 * Loads and signs every `dnssec` zone of (c) that takes no updates (none:
 * (*out) NULL, returns 0), compiling each and swapping it into (*zones)
 * before it is published.  (old) (MAY be NULL; its thread stopped with
 * dnsd_signer_stop()) is the signer before a reload: a zone it has with
 * the same name, file, KEYDIR and chain parameters is continued (keys
 * not read again, the version served copied; the file read again and
 * signed against it when its serial changed: unchanged RRsets keep their
 * signatures).  (old) is left as it was: the caller closes it once the
 * new set is published, or starts it again if the reload is given up.
 * Returns 0 or a TB_E* (logged).
 */
int dnsd_signer_open(struct dnsd_signer **out, const struct svc_conf *c,
                     const struct dns_auth_opts *opts,
                     struct dnsd_zones **zones, struct dnsd_signer *old);
/*
 * A reload of the zones of (c) (the same service file as (*s)'s, or one
 * whose zone list was kept), under dnsd_publish_lock, (*s)'s thread
 * stopped: dnsd_signer_open() continuing (*s) into (*zones), then the old
 * signer closed and (*s) the new one.  On error (*s) is kept (and its
 * zones' versions in (*zones), as dnsd_zones_load() keeps them).
 */
int dnsd_signer_reload(struct dnsd_signer **s, const struct svc_conf *c,
                       const struct dns_auth_opts *opts,
                       struct dnsd_zones **zones);
/* Starts the thread that re-signs before expiry and publishes through
 * (srv).  (s) MAY be NULL. */
int dnsd_signer_start(struct dnsd_signer *s, struct dnsd_server *srv);
/* Stops the thread (MAY be NULL or not started); it can start again. */
void dnsd_signer_stop(struct dnsd_signer *s);
/* Stops the thread, wipes the keys, frees (s) (MAY be NULL). */
void dnsd_signer_close(struct dnsd_signer *s);

#endif /* DNSD_SIGNER_H */
