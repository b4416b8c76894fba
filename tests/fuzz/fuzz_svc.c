/*
 * fuzz_svc.c -- libFuzzer target for the service-file parser (lib/svc):
 * any bytes through svc_parse(), then every address it accepted back to
 * text.  Checks that the parser never reads outside its input, never
 * leaks (a counting allocator must be back to zero), and that what it
 * accepted is within the documented bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <tibra/svc.h>

#include "count_alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct tb_alloc a = {f_alloc, f_realloc, f_free, NULL};
    struct svc_conf c;
    struct dns_diag d = {0};
    char buf[SVC_ADDR_TEXT_MAX];

    svc_conf_init(&c, &a);
    int rc = svc_parse(&c, "fuzz/dir/x.conf", (const char *)data, size, &d);
    if (rc == 0 && d.errors != 0)
        abort();
    if (c.nlisten > SVC_LISTEN_MAX || c.workers > SVC_WORKERS_MAX ||
        (rc == 0 && c.udp_size < DNS_UDP_MINLEN))
        abort();
    for (size_t i = 0; i < c.nlisten; i++)
        if (svc_addr_to_text(&c.listen[i], true, buf, sizeof(buf)) < 0)
            abort();
    for (size_t i = 0; i < c.nzones; i++)
        if (c.zones[i].origin_len == 0 ||
            c.zones[i].origin_len > DNS_NAME_MAXLEN)
            abort();
    svc_conf_free(&c);
    if (live != 0)
        abort();
    return 0;
}
