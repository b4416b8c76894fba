/*
 * hosted.h -- what lib/hosted/ gives hosted programs (the unix target,
 * tenders, tools, tests) and never guests: today the C library's heap as a
 * struct tb_alloc, for cold paths that take one (zone loading, service
 * files).  Zone files: <tibra/zonefile.h>.
 */
#ifndef TB_HOSTED_H
#define TB_HOSTED_H

#include <tibra/base.h>

/*
 * A struct tb_alloc over malloc/realloc/free.  A request for 0 bytes
 * returns a unique pointer (as for 1 byte), never NULL on success.
 */
TB_API extern const struct tb_alloc tb_heap;

/*
 * Opens (path) for reading as an input file (zone, $INCLUDE, service file):
 * the open MUST NOT block (O_NONBLOCK, so a FIFO with no writer or a device
 * cannot hang the caller), anything but a regular file is refused, then
 * O_NONBLOCK is cleared.  Returns 0 with the descriptor (close-on-exec) in
 * (*fd), which the caller closes, and the file's size in (*size); else
 * TB_ENOTREG for a FIFO, directory, device or socket, or a negative errno.
 */
TB_API int tb_hosted_open_file(const char *path, int *fd, size_t *size);

/*
 * A socket address (sa) (AF_INET or AF_INET6) as a struct tb_addr in (*a):
 * an IPv4-mapped IPv6 address (a dual-stack socket's peer) becomes the
 * IPv4 address it is.  Any other family gives an all-zero (*a).
 */
struct sockaddr;
TB_API void tb_addr_from_sockaddr(const struct sockaddr *sa, struct tb_addr *a);

/* The other way: (a) (IPv4 or IPv6) as an AF_INET or AF_INET6 socket
 * address in (*ss); returns its length (for connect(2), sendto(2)). */
struct sockaddr_storage;
TB_API size_t tb_addr_to_sockaddr(const struct tb_addr *a,
                                  struct sockaddr_storage *ss);

#endif /* TB_HOSTED_H */
