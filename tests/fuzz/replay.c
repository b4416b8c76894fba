/*
 * replay.c -- runs a libFuzzer target over stored inputs without libFuzzer,
 * so every corpus and crash reproducer replays in `make check` under
 * ASan+UBSan.  Usage: replay_NAME DIR... (files, or directories of files;
 * a missing directory is fine).  Exits non-zero if any input crashes, or if
 * no input at all was found (a target must ship a corpus).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    uint8_t *buf;
    size_t n;

    if (f == NULL || fstat(fileno(f), &st) != 0) {
        perror(path);
        exit(2);
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        abort();
    n = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    /* Exact-size heap copy: ASan sees any read past the input. */
    uint8_t *exact = malloc(n ? n : 1);
    if (exact == NULL)
        abort();
    memcpy(exact, buf, n);
    free(buf);
    LLVMFuzzerTestOneInput(exact, n);
    free(exact);
    return 1;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_path(const char *path)
{
    struct stat st;
    DIR *d;
    struct dirent *e;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int count = 0;

    if (stat(path, &st) != 0)
        return 0;
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    d = opendir(path);
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            names = realloc(names, cap * sizeof(*names));
            if (names == NULL)
                abort();
        }
        if (asprintf(&names[n++], "%s/%s", path, e->d_name) < 0)
            abort();
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof(*names), cmp);
    for (size_t i = 0; i < n; i++) {
        count += run_path(names[i]);
        free(names[i]);
    }
    free(names);
    return count;
}

int main(int argc, char **argv)
{
    int total = 0;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++)
        total += run_path(argv[i]);
    printf("replayed %d inputs\n", total);
    if (total == 0) {
        fprintf(stderr, "no inputs found: a fuzz target must ship a corpus\n");
        return 1;
    }
    return 0;
}
