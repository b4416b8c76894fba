/*
 * rt.h -- the runtime shared by every platform implementation (unix, spt,
 * hvt): console logging with a formatted print, the panic and assertion
 * paths, the stack protector, command-line tokenising and the init-time
 * allocator that carves platform memory out of the guest's before the rest
 * is handed to the application as its heap.
 *
 * This is a private header of platform/: applications and lib/ never
 * include it (they see only <tibra/plat.h>).  Everything here is built on
 * plat.h and the guest libc subset, so it compiles hosted (unix) and
 * freestanding (guests) alike.
 */
#ifndef TB_RT_H
#define TB_RT_H

#include <stdarg.h>
#include <tibra/plat.h>

/* ---- log -------------------------------------------------------------- */

/* Longest line tb_log() writes; longer output is truncated with "...". */
#define TB_LOG_LINE_MAX 256

/*
 * Formats (fmt) with the guest vsnprintf and writes it to the console
 * with tb_console_write().  Uses only TB_LOG_LINE_MAX bytes of stack and
 * no other memory, so it MAY be called from a fault handler.  Never fails.
 */
void tb_log(const char *fmt, ...) TB_PRINTF(1, 2);
void tb_vlog(const char *fmt, va_list ap) TB_PRINTF(1, 0);

/*
 * Formats (v) as "0x" and 16 hex digits into (buf) (at least 19 bytes),
 * NUL-terminated, without vsnprintf: for register dumps where the stack
 * may be suspect.  Returns (buf).
 */
char *tb_fmt_hex64(char *buf, uint64_t v);

/* ---- panic ------------------------------------------------------------ */

/*
 * Logs "tibra: panic: " and the formatted message, then tb_abort().
 * Does not return.
 */
void tb_panic(const char *fmt, ...) TB_PRINTF(1, 2) __attribute__((noreturn));

/* ---- stack protector -------------------------------------------------- */

/*
 * Sets the guest's stack-protector canary (__stack_chk_guard) from (seed).
 * MUST be called once, first thing at boot, from a function compiled
 * without a stack protector (TB_NO_SSP) that never returns, because every
 * frame live at the call has the old canary.  The low byte of the canary
 * is forced to 0, so string overflows cannot reproduce it.  Guests only
 * (TB_GUEST): the unix target uses the C library's TLS canary.
 */
#define TB_NO_SSP __attribute__((no_stack_protector, noinline))
void tb_ssp_init(uint64_t seed);

/* ---- cmdline ---------------------------------------------------------- */

/*
 * Joins (argc) strings of (argv) with single spaces into (buf) of (cap)
 * bytes, NUL-terminated.  Returns TB_OK or TB_ESPACE (buf then holds the
 * truncated result, still NUL-terminated) when (cap) is too small.
 * (cap) MUST be at least 1.
 */
int tb_cmdline_join(char *buf, size_t cap, int argc, char *const argv[]);

/*
 * Tokeniser for a command line: skips spaces at (*p), copies the next
 * space-separated word into (tok) of (cap) bytes and advances (*p) past
 * it.  Returns the word's length, 0 at the end of the line, or TB_ESPACE
 * if the word does not fit (it is skipped).  No quoting: Tibra command
 * lines carry key=value words only.
 */
int tb_cmdline_next(const char **p, char *tok, size_t cap);

/*
 * Finds "key=value" for (key) in (cmdline) and returns a pointer to the
 * value (ending at the next space or NUL) with its length in (*len), or
 * NULL if absent.  (cmdline) is not modified.
 */
const char *tb_cmdline_get(const char *cmdline, const char *key, size_t *len);

/* ---- init-time allocator ---------------------------------------------- */

/*
 * A bump allocator over one region, used while a platform boots (device
 * rings, copies of boot data) and then retired: tb_heap_rest() hands what
 * is left to the application as tb_start_info.heap_*.  Allocations are
 * never freed individually.  Fields are private.
 */
struct tb_heap {
    uintptr_t cur; /* private: first free byte */
    uintptr_t end; /* private: one past the region */
};

/* Initialises (hp) over [start, start + size).  Overflowing ranges are
 * clipped to the address space. */
void tb_heap_init(struct tb_heap *hp, uintptr_t start, size_t size);

/*
 * Returns (n) bytes aligned to (align) (a power of two, at least 1),
 * zero-filled, or NULL if the region is exhausted or (align) is invalid.
 */
void *tb_heap_take(struct tb_heap *hp, size_t n, size_t align);

/* Page-aligns what remains and returns it in (*start, *size). */
void tb_heap_rest(const struct tb_heap *hp, uintptr_t *start, size_t *size);

/*
 * Fills (a) with a struct tb_alloc drawing from (hp) (16-byte aligned;
 * free is a no-op; realloc copies).  For cold paths during boot only.
 */
void tb_heap_alloc_ctx(struct tb_heap *hp, struct tb_alloc *a);

#endif /* TB_RT_H */
