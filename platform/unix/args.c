/*
 * args.c -- command-line helpers shared by the unix target's main() and
 * tibra-spt: the --mem option and the application's command line, joined
 * from the arguments that follow the platform's own.  Setup only; errors
 * are fatal, as everywhere in host programs.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "../common/rt.h"
#include "host.h"

size_t tb_host_parse_mem(const char *s)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s < '0' || *s > '9' || *end != '\0' || v < 1 ||
        v > TB_HOST_MEM_MAX_MIB)
        errx(1, "--mem=%s: expected MiB between 1 and %u", s,
             TB_HOST_MEM_MAX_MIB);
    return (size_t)v << 20;
}

char *tb_host_cmdline(int argc, char *const argv[])
{
    size_t cap = 1;
    char *line;

    for (int i = 0; i < argc; i++) {
        if (tb_ckd_add(&cap, cap, strlen(argv[i]) + 1))
            errx(1, "command line too long");
    }
    line = malloc(cap);
    if (line == NULL)
        err(1, "malloc");
    if (tb_cmdline_join(line, cap, argc, argv) != TB_OK)
        errx(1, "command line too long");
    return line;
}
