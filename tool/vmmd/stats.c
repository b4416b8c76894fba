/*
 * stats.c -- what tibra-vmmd can count about its unikernels from the
 * host side, as Prometheus text (exposition format 0.0.4): the tender's
 * CPU time and resident memory (/proc/PID/stat, /proc/PID/status), its
 * storage I/O (/proc/PID/io: block files, nothing else a tender reads
 * touches storage), each TAP's counters (/proc/net/dev, which is per
 * network namespace, unlike /sys/class/net as mounted outside it), and
 * the daemon's own view (up, restarts, uptime, memory asked).  What the
 * guest counts itself (queries, answers) is its own metrics endpoint's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmmd.h"

struct tapc {
    unsigned long long rxb, rxp, rxd, txb, txp, txd;
};

/* (tap)'s counters from /proc/net/dev; false if absent. */
static bool tap_counters(const char *tap, struct tapc *c)
{
    FILE *f = fopen("/proc/net/dev", "r");
    char line[512];
    size_t n = strlen(tap);
    bool found = false;

    while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
        char *p = line + strspn(line, " ");
        if (strncmp(p, tap, n) != 0 || p[n] != ':')
            continue;
        found =
            sscanf(p + n + 1,
                   "%llu %llu %*u %llu %*u %*u %*u %*u %llu %llu %*u %llu",
                   &c->rxb, &c->rxp, &c->rxd, &c->txb, &c->txp, &c->txd) == 6;
    }
    if (f != NULL)
        fclose(f);
    return found;
}

/* utime + stime in seconds and the RSS in bytes of (pid). */
static void proc_cpu_rss(pid_t pid, double *cpu, unsigned long long *rss)
{
    char path[64], buf[1024], *p;
    FILE *f;
    unsigned long long ut = 0, st = 0;

    *cpu = 0;
    *rss = 0;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((f = fopen(path, "r")) != NULL) {
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        buf[n] = 0;
        fclose(f);
        p = strrchr(buf, ')');
        /* After ')': fields 3.., utime is 14, stime 15. */
        if (p != NULL && sscanf(p + 2,
                                "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u "
                                "%*u %llu %llu",
                                &ut, &st) == 2)
            *cpu = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
    }
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    if ((f = fopen(path, "r")) != NULL) {
        while (fgets(buf, sizeof(buf), f) != NULL)
            if (sscanf(buf, "VmRSS: %llu kB", rss) == 1)
                *rss <<= 10;
        fclose(f);
    }
}

static void proc_io(pid_t pid, unsigned long long *rd, unsigned long long *wr)
{
    char path[64], buf[256];
    FILE *f;

    *rd = *wr = 0;
    snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return;
    while (fgets(buf, sizeof(buf), f) != NULL) {
        sscanf(buf, "read_bytes: %llu", rd);
        sscanf(buf, "write_bytes: %llu", wr);
    }
    fclose(f);
}

/* The metric families, each printed whole in turn. */
enum fam {
    F_UP,
    F_RESTARTS,
    F_UPTIME,
    F_MEMLIM,
    F_CPU,
    F_RSS,
    F_BRD,
    F_BWR,
    F_RXB,
    F_RXP,
    F_RXD,
    F_TXB,
    F_TXP,
    F_N
};

static const struct {
    const char *name, *type, *help;
} fams[F_N] = {
    [F_UP] = {"up", "gauge", "1 if the unikernel's tender runs."},
    [F_RESTARTS] = {"restarts_total", "counter",
                    "Restarts after failures (back-off)."},
    [F_UPTIME] = {"uptime_seconds", "gauge",
                  "Seconds since the tender started; 0 if not running."},
    [F_MEMLIM] = {"memory_limit_bytes", "gauge", "Guest memory given."},
    [F_CPU] = {"cpu_seconds_total", "counter",
               "User and system CPU time of the tender (guest included)."},
    [F_RSS] = {"resident_memory_bytes", "gauge",
               "Resident memory of the tender."},
    [F_BRD] = {"block_read_bytes_total", "counter",
               "Bytes the tender read from storage (its block files)."},
    [F_BWR] = {"block_written_bytes_total", "counter",
               "Bytes the tender wrote to storage (its block files)."},
    [F_RXB] = {"net_rx_bytes_total", "counter",
               "Bytes the guest received, from its TAP."},
    [F_RXP] = {"net_rx_packets_total", "counter",
               "Frames the guest received, from its TAP."},
    [F_RXD] = {"net_rx_dropped_total", "counter",
               "Frames dropped on their way to the guest, from its TAP."},
    [F_TXB] = {"net_tx_bytes_total", "counter",
               "Bytes the guest sent, from its TAP."},
    [F_TXP] = {"net_tx_packets_total", "counter",
               "Frames the guest sent, from its TAP."},
};

void stats_text(const char *only, struct sbuf *out)
{
    struct sbuf f[F_N];

    memset(f, 0, sizeof(f));
    for (struct vm *v = vmmd.vms; v != NULL; v = v->next) {
        const char *n = v->rec.name;
        double c = 0;
        unsigned long long r = 0, rd = 0, wr = 0;
        bool run = v->state == VM_RUNNING;
        if (only != NULL && strcmp(only, n) != 0)
            continue;
        if (run) {
            proc_cpu_rss(v->pid, &c, &r);
            proc_io(v->pid, &rd, &wr);
        }
        sb_printf(&f[F_UP], "{name=\"%s\",target=\"%s\"} %d\n", n,
                  v->rec.target, run);
        sb_printf(&f[F_RESTARTS], "{name=\"%s\"} %u\n", n, v->restarts);
        sb_printf(&f[F_UPTIME], "{name=\"%s\"} %.3f\n", n,
                  run ? (double)(now_ms() - v->started_ms) / 1000.0 : 0.0);
        sb_printf(&f[F_MEMLIM], "{name=\"%s\"} %llu\n", n,
                  (unsigned long long)v->mem_mib << 20);
        sb_printf(&f[F_CPU], "{name=\"%s\"} %.2f\n", n, c);
        sb_printf(&f[F_RSS], "{name=\"%s\"} %llu\n", n, r);
        sb_printf(&f[F_BRD], "{name=\"%s\"} %llu\n", n, rd);
        sb_printf(&f[F_BWR], "{name=\"%s\"} %llu\n", n, wr);
        for (unsigned i = 0; i < v->rec.nnet; i++) {
            struct tapc t = {0};
            const char *d = v->rec.net[i].dev;
            if (v->tap_fd[i] < 0 || !tap_counters(v->tap[i], &t))
                continue;
            /* The TAP receives what the guest sends: the guest's tx is
             * the TAP's rx. */
            sb_printf(&f[F_RXB], "{name=\"%s\",dev=\"%s\"} %llu\n", n, d,
                      t.txb);
            sb_printf(&f[F_RXP], "{name=\"%s\",dev=\"%s\"} %llu\n", n, d,
                      t.txp);
            sb_printf(&f[F_RXD], "{name=\"%s\",dev=\"%s\"} %llu\n", n, d,
                      t.txd);
            sb_printf(&f[F_TXB], "{name=\"%s\",dev=\"%s\"} %llu\n", n, d,
                      t.rxb);
            sb_printf(&f[F_TXP], "{name=\"%s\",dev=\"%s\"} %llu\n", n, d,
                      t.rxp);
        }
    }
    /* The manager itself. */
    double c = 0;
    unsigned long long r = 0, n = 0;
    proc_cpu_rss(getpid(), &c, &r);
    for (struct vm *v = vmmd.vms; v != NULL; v = v->next)
        n++;
    sb_printf(out,
              "# HELP tibra_vmm_unikernels Unikernels the manager has.\n"
              "# TYPE tibra_vmm_unikernels gauge\n"
              "tibra_vmm_unikernels %llu\n"
              "# HELP tibra_vmm_manager_resident_memory_bytes Resident "
              "memory of tibra-vmmd.\n"
              "# TYPE tibra_vmm_manager_resident_memory_bytes gauge\n"
              "tibra_vmm_manager_resident_memory_bytes %llu\n",
              n, r);
    for (int k = 0; k < F_N; k++) {
        sb_printf(out, "# HELP tibra_vmm_%s %s\n# TYPE tibra_vmm_%s %s\n",
                  fams[k].name, fams[k].help, fams[k].name, fams[k].type);
        /* Each sample line is "{labels} value": prefix the name. */
        for (const char *p = f[k].s; p != NULL && *p;) {
            const char *nl = strchr(p, '\n');
            sb_printf(out, "tibra_vmm_%s%.*s\n", fams[k].name, (int)(nl - p),
                      p);
            p = nl + 1;
        }
        sb_free(&f[k]);
    }
}
