/*
 * bench/unikernel/firstans.c -- boot-to-first-answer: starts a DNS server
 * (a tender and its image, or any command) and asks it one question every
 * millisecond until the first correct answer arrives.
 *
 *   firstans [-s ADDR] [-p PORT] [-n NAME] [-a IPV4] [-i USEC] [-t MSEC]
 *            [-w] [-k SIG] [-C CPU] -- COMMAND [ARG...]
 *
 * The clock starts just before fork() + exec() of COMMAND.  From then on
 * a UDP query "NAME A" goes to ADDR:PORT (default 10.77.0.2:53) every
 * USEC microseconds (default 1000), each with a new ID, from one
 * non-blocking socket; between sends the socket is read.  An answer is
 * correct when its ID is one this client sent, QR is set, RCODE is
 * NOERROR, the question is ours and an A record in the answer section
 * holds IPV4 (default 192.0.2.10).  At the first correct answer it prints
 *
 *   first_answer_us=U ready_us=R sent=N answered_id=I t0_ns=T0 t1_ns=T1
 *   tready_ns=TR pid=P
 *
 * (R: when COMMAND's stdout, read through a pipe and copied to our
 * stderr, showed a line "READY", -1 if never; T0, T1, TR: the same three
 * moments in CLOCK_MONOTONIC, for matching against perf timestamps), then
 * sends SIG (default TERM; -k KILL, or -k 0 to leave it running) to the
 * server and waits for it (at most 10 s, then SIGKILL).  With -w, COMMAND
 * is a wrapper (perf) whose only child is the server: the signal goes to
 * that child and the wrapper is waited for.  Exits 0 on an answer, 1 if
 * COMMAND exited first or no answer came within MSEC (default 20000).
 * -C CPU pins COMMAND to that CPU (sched_setaffinity in the child, so no
 * taskset exec is timed).  Hosted bench tool; never part of an image.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void usage(void)
{
    fprintf(stderr, "usage: firstans [-s ADDR] [-p PORT] [-n NAME] [-a IPV4] "
                    "[-i USEC] [-t MSEC] [-w] [-k SIG] [-C CPU]\n"
                    "                -- COMMAND [ARG...]\n");
    exit(2);
}

/* "www.example.org" -> wire form; length or -1. */
static int name_wire(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;

    while (*s) {
        const char *dot = strchr(s, '.');
        size_t l = dot ? (size_t)(dot - s) : strlen(s);
        if (l == 0 || l > 63 || n + l + 2 > cap)
            return -1;
        out[n++] = (uint8_t)l;
        memcpy(out + n, s, l);
        n += l;
        s += l;
        if (*s == '.')
            s++;
    }
    out[n++] = 0;
    return (int)n;
}

/* Skips a (possibly compressed) name at (p) in (m, len); new offset or 0. */
static size_t skip_name(const uint8_t *m, size_t len, size_t p)
{
    for (int guard = 0; p < len && guard < 128; guard++) {
        uint8_t l = m[p];
        if (l == 0)
            return p + 1;
        if ((l & 0xc0) == 0xc0)
            return p + 2 <= len ? p + 2 : 0;
        if (l & 0xc0)
            return 0;
        p += 1u + l;
    }
    return 0;
}

static unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* Copies what COMMAND wrote to our stderr; notes when "READY" came. */
static void console(int *fd, uint64_t *t_ready)
{
    static char line[4096];
    static size_t len;
    char buf[4096];
    ssize_t n;

    while ((n = read(*fd, buf, sizeof(buf))) > 0) {
        uint64_t t = now_ns();
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (len < sizeof(line) - 1)
                    line[len++] = buf[i];
                continue;
            }
            line[len] = '\0';
            if (*t_ready == 0 && strcmp(line, "READY") == 0)
                *t_ready = t;
            fprintf(stderr, "%s\n", line);
            len = 0;
        }
    }
    if (n == 0) {
        close(*fd);
        *fd = -1;
    }
}

/* The server's PID: COMMAND itself, or (wrapper) its only child. */
static pid_t server_pid(pid_t pid, int wrapper)
{
    char path[64], buf[64];
    FILE *f;

    if (!wrapper)
        return pid;
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid,
             (int)pid);
    if ((f = fopen(path, "r")) == NULL)
        return -1;
    if (fgets(buf, sizeof(buf), f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    return (pid_t)atoi(buf);
}

static int console_fd = -1;
static uint64_t t_ready;

/* Waits for (pid) at most (ms), copying its console; returns 1 if it was
 * reaped. */
static int reap(pid_t pid, int ms)
{
    for (int i = 0; i < ms; i++) {
        pid_t r = waitpid(pid, NULL, WNOHANG);
        if (console_fd >= 0)
            console(&console_fd, &t_ready);
        if (r == pid || (r < 0 && errno == ECHILD))
            return 1;
        usleep(1000);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *addr = "10.77.0.2", *name = "www.example.org",
               *want = "192.0.2.10";
    int port = 53, wrapper = 0, sig = SIGTERM, cpu = -1, opt;
    long interval_us = 1000, timeout_ms = 20000;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    uint8_t q[300], wantb[4], m[4096];
    int qname_len;

    while ((opt = getopt(argc, argv, "s:p:n:a:i:t:wk:C:")) != -1) {
        switch (opt) {
        case 's':
            addr = optarg;
            break;
        case 'p':
            port = atoi(optarg);
            break;
        case 'n':
            name = optarg;
            break;
        case 'a':
            want = optarg;
            break;
        case 'i':
            interval_us = atol(optarg);
            break;
        case 't':
            timeout_ms = atol(optarg);
            break;
        case 'w':
            wrapper = 1;
            break;
        case 'C':
            cpu = atoi(optarg);
            break;
        case 'k':
            sig = strcmp(optarg, "KILL") == 0   ? SIGKILL
                  : strcmp(optarg, "TERM") == 0 ? SIGTERM
                  : strcmp(optarg, "INT") == 0  ? SIGINT
                                                : atoi(optarg);
            break;
        default:
            usage();
        }
    }
    if (optind >= argc || interval_us < 1 || timeout_ms < 1)
        usage();
    if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
        inet_pton(AF_INET, want, wantb) != 1) {
        fprintf(stderr, "firstans: bad address\n");
        return 2;
    }
    sa.sin_port = htons((uint16_t)port);

    /* The query: header (ID patched per send), question NAME A IN. */
    memset(q, 0, 12);
    q[5] = 1; /* QDCOUNT 1 */
    if ((qname_len = name_wire(name, q + 12, sizeof(q) - 16)) < 0) {
        fprintf(stderr, "firstans: bad name %s\n", name);
        return 2;
    }
    size_t qlen = 12 + (size_t)qname_len;
    q[qlen++] = 0, q[qlen++] = 1; /* A */
    q[qlen++] = 0, q[qlen++] = 1; /* IN */

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        perror("firstans: socket");
        return 2;
    }

    /* COMMAND's stdout comes through a pipe: its lines are copied to our
     * stderr, and the moment a line "READY" arrives is noted. */
    int po[2];
    if (pipe2(po, O_CLOEXEC) != 0) {
        perror("firstans: pipe");
        return 2;
    }
    fcntl(po[0], F_SETFL, O_NONBLOCK);
    fflush(NULL);
    uint64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        perror("firstans: fork");
        return 2;
    }
    if (pid == 0) {
        dup2(po[1], 1);
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            if (sched_setaffinity(0, sizeof(set), &set) != 0)
                perror("firstans: sched_setaffinity");
        }
        execvp(argv[optind], argv + optind);
        perror("firstans: exec");
        _exit(127);
    }

    close(po[1]);
    console_fd = po[0];
    uint64_t end = t0 + (uint64_t)timeout_ms * 1000000u, next = t0, t1 = 0;
    unsigned sent = 0, got_id = 0;
    int status, exited = 0;

    while (t1 == 0) {
        uint64_t now = now_ns();
        if (now >= end)
            break;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            exited = 1;
            break;
        }
        if (now >= next) {
            q[0] = (uint8_t)(sent >> 8), q[1] = (uint8_t)sent;
            /* Errors (no route yet, no neighbour) count as sent queries
             * that got lost: the point is the retry cadence. */
            (void)sendto(fd, q, qlen, 0, (struct sockaddr *)&sa, sizeof(sa));
            sent++;
            next += (uint64_t)interval_us * 1000u;
            if (next < now)
                next = now + (uint64_t)interval_us * 1000u;
        }
        now = now_ns();
        uint64_t w = next > now ? next - now : 0;
        struct timespec ts = {.tv_sec = (time_t)(w / 1000000000u),
                              .tv_nsec = (long)(w % 1000000000u)};
        struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
                              {.fd = console_fd, .events = POLLIN}};
        /* Sleep until an answer or the next send, whichever comes first. */
        if (ppoll(p, console_fd >= 0 ? 2 : 1, &ts, NULL) <= 0)
            continue;
        if (console_fd >= 0 && (p[1].revents & (POLLIN | POLLHUP)))
            console(&console_fd, &t_ready);
        for (;;) {
            ssize_t n = recv(fd, m, sizeof(m), 0);
            if (n < 0)
                break;
            uint64_t tr = now_ns();
            if (n < 12 || (size_t)n < qlen)
                continue;
            unsigned id = get16(m);
            /* Ours: sent, QR, NOERROR, our question. */
            if (id >= (sent & 0xffff) && sent < 65536)
                continue;
            if (!(m[2] & 0x80) || (m[3] & 0x0f) != 0 || get16(m + 4) != 1 ||
                memcmp(m + 12, q + 12, qlen - 12) != 0)
                continue;
            unsigned an = get16(m + 6);
            size_t off = qlen;
            int ok = 0;
            for (unsigned i = 0; i < an && !ok; i++) {
                off = skip_name(m, (size_t)n, off);
                if (off == 0 || off + 10 > (size_t)n)
                    break;
                unsigned type = get16(m + off), rdlen = get16(m + off + 8);
                off += 10;
                if (off + rdlen > (size_t)n)
                    break;
                if (type == 1 && rdlen == 4 && memcmp(m + off, wantb, 4) == 0)
                    ok = 1;
                off += rdlen;
            }
            if (ok) {
                t1 = tr;
                got_id = id;
                break;
            }
        }
    }

    if (t1 == 0) {
        fprintf(stderr, "firstans: %s after %.1f ms, %u queries sent\n",
                exited ? "the server exited" : "no answer",
                (double)(now_ns() - t0) / 1e6, sent);
        if (!exited) {
            pid_t s = server_pid(pid, wrapper);
            if (s > 0)
                kill(s, SIGKILL);
            if (!reap(pid, 10000)) {
                kill(pid, SIGKILL);
                reap(pid, 1000);
            }
        }
        return 1;
    }
    printf("first_answer_us=%.1f ready_us=%.1f sent=%u answered_id=%u "
           "t0_ns=%llu t1_ns=%llu tready_ns=%llu pid=%d\n",
           (double)(t1 - t0) / 1e3,
           t_ready ? (double)(t_ready - t0) / 1e3 : -1.0, sent, got_id,
           (unsigned long long)t0, (unsigned long long)t1,
           (unsigned long long)t_ready, (int)pid);
    fflush(stdout);
    if (sig != 0) {
        pid_t s = server_pid(pid, wrapper);
        if (s > 0)
            kill(s, sig);
        if (!reap(pid, 10000)) {
            if (s > 0)
                kill(s, SIGKILL);
            kill(pid, SIGKILL);
            reap(pid, 1000);
        }
    }
    return 0;
}
