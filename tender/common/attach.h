/*
 * attach.h -- opening the host side of guest devices, shared by the
 * tenders (tibra-hvt, tibra-spt): a TAP interface for a net device, a file
 * for a block device.  Both return an fd the tender keeps for the guest's
 * lifetime; errors come back as a one-line message naming the cause and
 * the fix, so `tibra-hvt` can print it as is.  Nothing here knows KVM,
 * seccomp or the manifest.
 */
#ifndef TENDER_ATTACH_H
#define TENDER_ATTACH_H

#include <stddef.h>
#include <stdint.h>

/* Block size of every block device (bytes). */
#define TENDER_BLOCK_SIZE 512u

/*
 * Opens the existing TAP interface (ifname) with IFF_TAP | IFF_NO_PI,
 * non-blocking and close-on-exec.  Never creates an interface.  Returns
 * the fd, or -1 with a message in (err, errlen): no such interface, name
 * too long, no permission (not root / no CAP_NET_ADMIN), busy (already
 * attached elsewhere), not a TAP device.
 *
 * (ifname) "fd:N" takes descriptor N, inherited already attached to a
 * TAP interface (tibra-vmmd opens the TAP and runs the tender without
 * CAP_NET_ADMIN); Linux interface names cannot contain ':', so the form
 * is unambiguous.  N MUST be a TAP opened with IFF_TAP | IFF_NO_PI; it is
 * made non-blocking and close-on-exec.  Errors: not a number, not an
 * open descriptor, not a TUN/TAP descriptor, a TUN or IFF_NO_PI missing.
 */
int tender_tap_open(const char *ifname, char *err, size_t errlen);

/*
 * Opens (path) (a regular file or block device) read-write, close-on-exec
 * and O_DSYNC (a pwrite returns once its bytes are durable, so a guest
 * that answers after tb_block_write returned loses nothing to a power
 * cut), and returns the fd with its size in (*capacity) (a non-zero multiple of
 * TENDER_BLOCK_SIZE), or -1 with a message in (err, errlen).
 */
int tender_block_open(const char *path, uint64_t *capacity, char *err,
                      size_t errlen);

/*
 * Fills (mac) with a random locally-administered unicast address
 * (02:xx:xx:xx:xx:xx).  Returns 0, or -1 if getrandom(2) fails.
 */
int tender_mac_random(uint8_t mac[6]);

/*
 * Parses (s), "xx:xx:xx:xx:xx:xx" (a unicast, non-zero MAC) into (mac).
 * Returns 0, or -1 if (s) is not one.
 */
int tender_mac_parse(const char *s, uint8_t mac[6]);

#endif /* TENDER_ATTACH_H */
