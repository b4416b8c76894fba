/*
 * verify.c -- tibra verify (not written yet).
 */
#include <stdio.h>

#include "tibra.h"

int cmd_verify(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tibra: verify is not implemented yet\n");
    return TOOL_EXIT_TOOL;
}
