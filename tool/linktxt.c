/*
 * linktxt.c -- reads link.txt, the link recipe of one target, which
 * mk/stage.mk generates from the same make variables the test images are
 * linked with (docs/tibra.md, "link.txt").  The tool hard-codes no link
 * flag: everything it runs to make an image comes from here.
 *
 *   format 1                 target spt          arch x86_64
 *   app dnsd                 version V           commit SHA
 *   source-date-epoch N      cc gcc              objcopy objcopy
 *   assemble WORDS...        link WORDS...       strip WORDS...
 *   file NAME                (one per staged input, relative to link.txt)
 *   state-app NAME           (optional: the app.a whose manifest declares
 *                            block device "state", linked in its place for
 *                            services that keep state)
 *
 * Words are separated by spaces (no quoting: no flag or staged name holds
 * a space); @BUNDLE_S@, @BUNDLE_O@, @DEBUG@, @IMAGE@ stand for the tool's
 * files.  Unknown keys are errors, so a newer format is never misread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tibra.h"

/* Splits (s) in place into at most (max) words; returns the count or -1. */
static int split(char *s, char **w, unsigned max)
{
    unsigned n = 0;

    for (char *t = strtok(s, " \t"); t != NULL; t = strtok(NULL, " \t")) {
        if (n == max)
            return -1;
        w[n++] = t;
    }
    return (int)n;
}

int linktxt_load(struct linktxt *l, const char *path)
{
    size_t len;
    unsigned line = 0;
    int rc;

    memset(l, 0, sizeof(*l));
    rc = read_file(path, &l->text, &len);
    if (rc != 0) {
        fprintf(stderr, "%s: cannot read: %s\n", path, strerror(-rc));
        return -1;
    }
    sha256_hex(l->text, len, l->hash);
    for (char *p = l->text, *nl; p != NULL && *p; p = nl) {
        nl = strchr(p, '\n');
        if (nl != NULL)
            *nl++ = '\0';
        line++;
        if (*p == '#' || *p == '\0')
            continue;
        char *v = strchr(p, ' ');
        if (v == NULL) {
            fprintf(stderr, "%s:%u: no value\n", path, line);
            return -1;
        }
        *v++ = '\0';
        int n = 0;
        if (!strcmp(p, "format")) {
            if (strcmp(v, "1") != 0) {
                fprintf(stderr,
                        "%s:%u: format %s; this tibra reads format 1 "
                        "(install the tibra of the same build)\n",
                        path, line, v);
                return -1;
            }
        } else if (!strcmp(p, "target")) {
            l->target = v;
        } else if (!strcmp(p, "arch")) {
            l->arch = v;
        } else if (!strcmp(p, "app")) {
            l->app = v;
        } else if (!strcmp(p, "version")) {
            l->version = v;
        } else if (!strcmp(p, "commit")) {
            l->commit = v;
        } else if (!strcmp(p, "source-date-epoch")) {
            l->sde = v;
        } else if (!strcmp(p, "cc")) {
            l->cc = v;
        } else if (!strcmp(p, "objcopy")) {
            l->objcopy = v;
        } else if (!strcmp(p, "assemble")) {
            n = split(v, l->assemble, LINK_WORDS_MAX - 1);
            l->nassemble = (unsigned)n;
        } else if (!strcmp(p, "link")) {
            n = split(v, l->link, LINK_WORDS_MAX - 1);
            l->nlink = (unsigned)n;
        } else if (!strcmp(p, "strip")) {
            n = split(v, l->strip, LINK_WORDS_MAX - 1);
            l->nstrip = (unsigned)n;
        } else if (!strcmp(p, "state-app")) {
            if (strchr(v, '/') != NULL || strstr(v, "..") != NULL) {
                fprintf(stderr, "%s:%u: bad state-app\n", path, line);
                return -1;
            }
            l->state_app = v;
        } else if (!strcmp(p, "file")) {
            if (l->nfiles == LINK_FILES_MAX || strstr(v, "..") != NULL ||
                v[0] == '/') {
                fprintf(stderr, "%s:%u: bad or too many files\n", path, line);
                return -1;
            }
            l->file[l->nfiles++] = v;
        } else {
            fprintf(stderr, "%s:%u: unknown key '%s'\n", path, line, p);
            return -1;
        }
        if (n < 0) {
            fprintf(stderr, "%s:%u: too many words\n", path, line);
            return -1;
        }
    }
    if (!l->target || !l->arch || !l->version || !l->commit || !l->sde ||
        !l->cc || !l->objcopy || !l->nassemble || !l->nlink || !l->nstrip) {
        fprintf(stderr, "%s: incomplete (a key is missing)\n", path);
        return -1;
    }
    if (l->app == NULL)
        l->app = "unknown";
    return 0;
}

void linktxt_free(struct linktxt *l)
{
    free(l->text);
    memset(l, 0, sizeof(*l));
}
