/*
 * console.c -- the console ring of one unikernel: what its tender wrote
 * on stdout and stderr, as lines with their UTC time, oldest dropped
 * first.  A record is [time ms: 8 bytes][length: 2][bytes], possibly
 * wrapping around the end of the buffer; the buffer is allocated when the
 * first line arrives, so a silent unikernel costs nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vmmd.h"

#define HDR 10u

static void put(struct ring *r, size_t at, const void *p, size_t n)
{
    size_t first = VMMD_RING_SIZE - at < n ? VMMD_RING_SIZE - at : n;

    memcpy(r->buf + at, p, first);
    memcpy(r->buf, (const uint8_t *)p + first, n - first);
}

static void get(const struct ring *r, size_t at, void *p, size_t n)
{
    size_t first = VMMD_RING_SIZE - at < n ? VMMD_RING_SIZE - at : n;

    memcpy(p, r->buf + at, first);
    memcpy((uint8_t *)p + first, r->buf, n - first);
}

/* Offset of the oldest record. */
static size_t tail(const struct ring *r)
{
    return (r->head + VMMD_RING_SIZE - r->used) % VMMD_RING_SIZE;
}

void ring_push(struct ring *r, int64_t ms, const char *line, size_t n)
{
    uint8_t hdr[HDR];

    if (n > VMMD_LINE_MAX)
        n = VMMD_LINE_MAX;
    if (r->buf == NULL && (r->buf = malloc(VMMD_RING_SIZE)) == NULL)
        return; /* best effort, as consoles are */
    while (VMMD_RING_SIZE - r->used < HDR + n) {
        uint8_t h[HDR];
        get(r, tail(r), h, HDR);
        r->used -= HDR + (size_t)(h[8] << 8 | h[9]);
    }
    memcpy(hdr, &ms, 8);
    hdr[8] = (uint8_t)(n >> 8);
    hdr[9] = (uint8_t)n;
    put(r, r->head, hdr, HDR);
    put(r, (r->head + HDR) % VMMD_RING_SIZE, line, n);
    r->head = (r->head + HDR + n) % VMMD_RING_SIZE;
    r->used += HDR + n;
}

void fmt_time(int64_t ms, char buf[32])
{
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    size_t n;

    gmtime_r(&s, &tm);
    n = strftime(buf, 24, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03uZ", (unsigned)(ms % 1000) % 1000u);
}

void ring_dump(const struct ring *r, int64_t since_ms, struct sbuf *out)
{
    size_t at = tail(r), left = r->used;
    char line[VMMD_LINE_MAX], t[32];

    while (left >= HDR) {
        uint8_t h[HDR];
        int64_t ms;
        size_t n;
        get(r, at, h, HDR);
        memcpy(&ms, h, 8);
        n = (size_t)(h[8] << 8 | h[9]);
        get(r, (at + HDR) % VMMD_RING_SIZE, line, n);
        if (ms >= since_ms) {
            fmt_time(ms, t);
            sb_printf(out, "%s %.*s\n", t, (int)n, line);
        }
        at = (at + HDR + n) % VMMD_RING_SIZE;
        left -= HDR + n;
    }
}

void ring_free(struct ring *r)
{
    free(r->buf);
    memset(r, 0, sizeof(*r));
}
