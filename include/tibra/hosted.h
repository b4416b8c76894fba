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

#endif /* TB_HOSTED_H */
