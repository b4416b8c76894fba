/*
 * cmdline.c -- the command line a platform hands to tb_app_main(): joining
 * argv into one string (unix, and the tenders building a guest's line) and
 * splitting it again into words or key=value pairs.  No quoting, no
 * escapes: a Tibra command line is a handful of key=value words.
 */
#include "rt.h"

int tb_cmdline_join(char *buf, size_t cap, int argc, char *const argv[])
{
    size_t n = 0;

    buf[0] = '\0';
    for (int i = 0; i < argc; i++) {
        size_t l = strlen(argv[i]);
        size_t need = l + (i > 0);
        if (need >= cap - n) {
            return TB_ESPACE;
        }
        if (i > 0)
            buf[n++] = ' ';
        memcpy(buf + n, argv[i], l);
        n += l;
        buf[n] = '\0';
    }
    return TB_OK;
}

int tb_cmdline_next(const char **p, char *tok, size_t cap)
{
    const char *s = *p, *e;
    size_t l;

    while (*s == ' ')
        s++;
    for (e = s; *e && *e != ' '; e++)
        ;
    *p = e;
    l = (size_t)(e - s);
    if (l >= cap)
        return TB_ESPACE;
    memcpy(tok, s, l);
    tok[l] = '\0';
    return (int)l;
}

const char *tb_cmdline_get(const char *cmdline, const char *key, size_t *len)
{
    size_t kl = strlen(key);
    const char *s = cmdline;

    while (*s) {
        const char *e;
        while (*s == ' ')
            s++;
        for (e = s; *e && *e != ' '; e++)
            ;
        if ((size_t)(e - s) > kl && memcmp(s, key, kl) == 0 && s[kl] == '=') {
            *len = (size_t)(e - s) - kl - 1;
            return s + kl + 1;
        }
        s = e;
    }
    return NULL;
}
