/*
 * vm_show.c -- tibra-vmmd's answers about what it runs (list, info) and
 * its block files (STATE/blocks/NAME: create, destroy, list).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vmmd.h"

/* ---- list, info, blocks ---------------------------------------------------
 */

static void fmt_uptime(const struct vm *vm, char buf[32])
{
    if (vm->state != VM_RUNNING)
        snprintf(buf, 32, "-");
    else
        snprintf(buf, 32, "%llds",
                 (long long)((now_ms() - vm->started_ms) / 1000));
}

void vm_list(struct sbuf *out)
{
    char up[32];

    sb_printf(out, "%-20s %-8s %-6s %8s %10s %8s\n", "NAME", "STATE", "TARGET",
              "MEM", "UPTIME", "RESTARTS");
    for (struct vm *v = vmmd.vms; v != NULL; v = v->next) {
        fmt_uptime(v, up);
        sb_printf(out, "%-20s %-8s %-6s %6uMi %10s %8u\n", v->rec.name,
                  vm_state_name(v), v->rec.target, v->mem_mib, up, v->restarts);
    }
}

int vm_info(const char *name, struct sbuf *out, char *err, size_t errlen)
{
    struct vm *v = vm_find(name);
    char up[32], t[32];

    if (v == NULL) {
        snprintf(err, errlen, "no unikernel named %s", name);
        return -1;
    }
    fmt_uptime(v, up);
    sb_printf(out, "name:      %s\nstate:     %s\n", v->rec.name,
              vm_state_name(v));
    if (v->state == VM_RUNNING) {
        fmt_time(v->started_real_ms, t);
        sb_printf(out, "pid:       %d\nstarted:   %s\n", (int)v->pid, t);
    }
    if (v->state == VM_BACKOFF)
        sb_printf(out, "next start: in %lld ms\n",
                  (long long)(v->next_start_ms - now_ms()));
    sb_printf(out,
              "image:     sha256:%s\ntarget:    %s\nmemory:    %u MiB\n"
              "cpus:      %s\n",
              v->rec.image, v->rec.target, v->mem_mib,
              v->rec.cpus[0] ? v->rec.cpus : "any");
    for (unsigned i = 0; i < v->rec.nnet; i++) {
        const uint8_t *m = v->mac[i];
        sb_printf(out,
                  "net:       %s bridge %s tap %s mac "
                  "%02x:%02x:%02x:%02x:%02x:%02x\n",
                  v->rec.net[i].dev, v->rec.net[i].bridge,
                  v->tap_fd[i] >= 0 ? v->tap[i] : "-", m[0], m[1], m[2], m[3],
                  m[4], m[5]);
    }
    for (unsigned i = 0; i < v->rec.nblk; i++)
        sb_printf(out, "block:     %s = %s\n", v->rec.blk[i].dev,
                  v->rec.blk[i].block);
    sb_printf(out, "args:      %s\n", v->rec.args);
    if (!v->rec.restart) {
        sb_printf(out, "restart:   no\n");
    } else {
        sb_printf(out, "restart:   on failure");
        const char *sep = " (exit codes ";
        for (unsigned c = 1; c < 256; c++)
            if (v->rec.codes[c / 8] >> (c % 8) & 1) {
                sb_printf(out, "%s%u", sep, c);
                sep = ",";
            }
        sb_printf(out, "%s\n", *sep == ',' ? " and signals)" : "");
    }
    sb_printf(out, "startup:   %u\nuptime:    %s\nrestarts:  %u\n",
              v->rec.startup, up, v->restarts);
    if (v->last_status >= 0) {
        if (WIFSIGNALED(v->last_status))
            sb_printf(out, "last exit: signal %d\n", WTERMSIG(v->last_status));
        else
            sb_printf(out, "last exit: status %d\n",
                      WEXITSTATUS(v->last_status));
    }
    if (v->last_error[0])
        sb_printf(out, "error:     %s\n", v->last_error);
    return 0;
}

int block_create(const char *name, uint32_t mib, char *err, size_t errlen)
{
    char *p = vm_path("blocks", name);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0) {
        snprintf(err, errlen,
                 errno == EEXIST ? "block %s exists already" : "block %s: %s",
                 name, strerror(errno));
        free(p);
        return -1;
    }
    if (ftruncate(fd, (off_t)mib << 20) != 0 || fsync(fd) != 0) {
        snprintf(err, errlen, "block %s: %s", name, strerror(errno));
        close(fd);
        unlink(p);
        free(p);
        return -1;
    }
    close(fd);
    free(p);
    return 0;
}

int block_destroy(const char *name, char *err, size_t errlen)
{
    const struct vm *u = vm_block_user(name);
    char *p;

    if (u != NULL) {
        snprintf(err, errlen, "block %s is in use by %s", name, u->rec.name);
        return -1;
    }
    p = vm_path("blocks", name);
    if (unlink(p) != 0) {
        snprintf(err, errlen, "block %s: %s", name,
                 errno == ENOENT ? "no such block" : strerror(errno));
        free(p);
        return -1;
    }
    free(p);
    return 0;
}

void block_list(struct sbuf *out)
{
    char *dir = xasprintf("%s/blocks", vmmd.state_dir);
    DIR *d = opendir(dir);
    struct dirent *e;

    sb_printf(out, "%-20s %10s %s\n", "NAME", "SIZE", "USED BY");
    while (d != NULL && (e = readdir(d)) != NULL) {
        struct stat st;
        if (e->d_name[0] == '.')
            continue;
        char *p = vm_path("blocks", e->d_name);
        if (stat(p, &st) == 0) {
            const struct vm *u = vm_block_user(e->d_name);
            sb_printf(out, "%-20s %8lluMi %s\n", e->d_name,
                      (unsigned long long)st.st_size >> 20,
                      u ? u->rec.name : "-");
        }
        free(p);
    }
    if (d != NULL)
        closedir(d);
    free(dir);
}
