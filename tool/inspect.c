/*
 * inspect.c -- tibra inspect (not written yet).
 */
#include <stdio.h>

#include "tibra.h"

int cmd_inspect(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "tibra: inspect is not implemented yet\n");
    return TOOL_EXIT_TOOL;
}
