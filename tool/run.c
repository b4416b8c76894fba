/*
 * run.c -- tibra run: build if needed, then run the image.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tibra/hosted.h>
#include <tibra/svc.h>

#include "tibra.h"

int cmd_run(int argc, char **argv)
{
    struct svc_conf c;
    struct dns_diag d = {tool_report, NULL, 0, 0};
    enum svc_target t;

    if (argc != 3)
        return tool_usage("run");
    char *file = argv[2];
    svc_conf_init(&c, &tb_heap);
    if (svc_load_file(&c, file, &d) != 0) {
        svc_conf_free(&c);
        errx(1, "%s: %u error%s; not started", file, d.errors,
             d.errors == 1 ? "" : "s");
    }
    t = c.target;
    svc_conf_free(&c);
    if (t != SVC_TARGET_UNIX)
        errx(1,
             "%s: target %s is not built yet: Tibra runs services as "
             "Linux processes (target unix) for now; set 'target unix' "
             "and a 'listen' address to run this one with tibra-dnsd",
             file, svc_target_name(t));
    static char prog[] = "tibra-dnsd";
    char *args[] = {prog, file, NULL};
    exec_dnsd(args);
}
