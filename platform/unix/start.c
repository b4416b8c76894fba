/*
 * start.c -- entry point of a unix-target program: parses the platform's
 * options, attaches the devices they name (checked against the manifest
 * the program was linked with), reserves the application heap and calls
 * tb_app_main() with the remaining arguments joined into its command
 * line, exactly as a tender would for a guest image.
 *
 *     PROG [--mem=MIB] [--net:NAME=TAP] [--block:NAME=FILE] [--] [ARGS]
 *
 * Unlike the tenders, a declared device may be left unattached (its
 * acquire then returns TB_ENOENT): the unix target can serve through host
 * sockets instead of a TAP device.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../common/rt.h"
#include "host.h"

#define DEFAULT_MEM_MIB 32u
#define MAX_MEM_MIB     (64u * 1024u)

/* Defined by TB_MANIFEST() in the application, if it declares devices. */
extern const struct tb_mft_note tb_manifest_note __attribute__((weak));

static const struct tb_mft empty_mft = {.abi_version = TB_ABI_VERSION};

static void usage(const char *prog)
{
    printf("usage: %s [--mem=MIB] [--net:NAME=TAP] [--block:NAME=FILE] "
           "[--] [ARGS]\n"
           "  --mem=MIB          application heap, default %u MiB\n"
           "  --net:NAME=TAP     attach TAP interface TAP as net device NAME\n"
           "  --block:NAME=FILE  attach FILE as block device NAME\n"
           "Devices must be declared in the program's manifest.  The first "
           "other argument,\nor all after --, form the application's "
           "command line.\n",
           prog, TB_HOST_MEM_DEFAULT_MIB);
    exit(0);
}

int main(int argc, char *argv[])
{
    const struct tb_mft *mft =
        &tb_manifest_note != NULL ? &tb_manifest_note.desc : &empty_mft;
    size_t mem = (size_t)TB_HOST_MEM_DEFAULT_MIB << 20;
    struct tb_start_info si;
    char *cmdline;
    void *heap;
    int i;

    tb_host_check_mft(mft, argv[0]);
    tb_host_init();
    tb_host_stop_install(argv[0]);
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        if (strncmp(argv[i], "--mem=", 6) == 0)
            mem = tb_host_parse_mem(argv[i] + 6);
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            usage(argv[0]);
        else if (!tb_host_attach_opt(mft, argv[i]))
            break;
    }
    cmdline = tb_host_cmdline(argc - i, argv + i);
    /* The heap: lazily backed, so an unused megabyte costs nothing. */
    heap = mmap(NULL, mem, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (heap == MAP_FAILED)
        err(1, "mmap %zu MiB heap", mem >> 20);
    tb_host_fault_install("tibra");
    si.cmdline = cmdline;
    si.heap_start = (uintptr_t)heap;
    si.heap_size = mem;
    tb_exit(tb_app_main(&si));
}
