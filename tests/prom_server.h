/* A real Prometheus for tests and benchmarks: backfills an OpenMetrics file
 * with `promtool tsdb create-blocks-from openmetrics` into a temporary data
 * directory, starts /usr/bin/prometheus on 127.0.0.1 on a free port, waits
 * until it is ready (bounded), and stops it by PID. Header-only (static). */
#ifndef SCOPE_TEST_PROM_SERVER_H
#define SCOPE_TEST_PROM_SERVER_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct promsrv {
    char dir[256];
    char url[64];
    int port;
    pid_t pid;
};

static double promsrv_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs argv with stdout/stderr to @log, waits up to @limit_s seconds. */
static int promsrv_run(char *const argv[], const char *log, double limit_s)
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    double t0 = promsrv_now();
    for (;;) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        if (promsrv_now() - t0 > limit_s) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -2;
        }
        usleep(20000);
    }
}

static int promsrv_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &l)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* 1 when GET /-/ready answers 200 (plain socket, no libcurl needed). */
static int promsrv_ready(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)port);
    if (fd < 0)
        return 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        close(fd);
        return 0;
    }
    const char req[] = "GET /-/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    char buf[64] = {0};
    int ok = write(fd, req, sizeof req - 1) == (ssize_t)(sizeof req - 1) &&
             read(fd, buf, sizeof buf - 1) > 12 && strncmp(buf + 9, "200", 3) == 0;
    close(fd);
    return ok;
}

static int promsrv_rm(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void promsrv_stop(struct promsrv *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        double t0 = promsrv_now();
        int st;
        while (waitpid(s->pid, &st, WNOHANG) == 0) {
            if (promsrv_now() - t0 > 10) {
                kill(s->pid, SIGKILL);
                waitpid(s->pid, &st, 0);
                break;
            }
            usleep(20000);
        }
        s->pid = 0;
    }
    if (s->dir[0]) {
        nftw(s->dir, promsrv_rm, 16, FTW_DEPTH | FTW_PHYS);
        s->dir[0] = '\0';
    }
}

/* Creates the temp dir; the caller writes <dir>/data.om, then calls
 * promsrv_start(). Returns 0 or -1. */
static int promsrv_init(struct promsrv *s)
{
    memset(s, 0, sizeof *s);
    const char *tmp = getenv("TMPDIR");
    snprintf(s->dir, sizeof s->dir, "%s/scope-prom-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(s->dir)) {
        s->dir[0] = '\0';
        return -1;
    }
    return 0;
}

/* Backfills <dir>/data.om and starts prometheus. Returns 0, or -1 with a
 * reason in @why. */
static int promsrv_start(struct promsrv *s, char *why, size_t whycap, double backfill_limit_s)
{
    char om[300], data[300], log[300], cfg[300];
    snprintf(om, sizeof om, "%s/data.om", s->dir);
    snprintf(data, sizeof data, "%s/data", s->dir);
    snprintf(log, sizeof log, "%s/log", s->dir);
    snprintf(cfg, sizeof cfg, "%s/prometheus.yml", s->dir);
    char *bf[] = {"/usr/bin/promtool", "tsdb", "create-blocks-from", "openmetrics", om, data,
                  NULL};
    int rc = promsrv_run(bf, log, backfill_limit_s);
    if (rc != 0) {
        snprintf(why, whycap, "promtool backfill failed (%d); see %s", rc, log);
        return -1;
    }
    FILE *f = fopen(cfg, "w");
    if (!f) {
        snprintf(why, whycap, "cannot write %s", cfg);
        return -1;
    }
    fputs("global:\n  scrape_interval: 15s\n", f);
    fclose(f);
    for (int attempt = 0; attempt < 3; attempt++) {
        s->port = promsrv_free_port();
        snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d", s->port);
        char cfgarg[320], dataarg[320], listen[64];
        snprintf(cfgarg, sizeof cfgarg, "--config.file=%s", cfg);
        snprintf(dataarg, sizeof dataarg, "--storage.tsdb.path=%s", data);
        snprintf(listen, sizeof listen, "--web.listen-address=127.0.0.1:%d", s->port);
        pid_t pid = fork();
        if (pid < 0)
            break;
        if (pid == 0) {
            int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
            execl("/usr/bin/prometheus", "prometheus", cfgarg, dataarg, listen,
                  "--storage.tsdb.retention.time=100y", "--log.level=warn", (char *)NULL);
            _exit(127);
        }
        s->pid = pid;
        double t0 = promsrv_now();
        while (promsrv_now() - t0 < 30) {
            int st;
            if (waitpid(pid, &st, WNOHANG) == pid) {
                s->pid = 0;
                break;
            }
            if (promsrv_ready(s->port))
                return 0;
            usleep(50000);
        }
        if (s->pid) {
            kill(s->pid, SIGKILL);
            waitpid(s->pid, NULL, 0);
            s->pid = 0;
        }
    }
    snprintf(why, whycap, "prometheus did not become ready; see %s", log);
    return -1;
}

#endif
