/* Cost of one uncore collector sample against the named peer "raw read()
 * loop" (what perf stat -I does per interval: one read() per counter fd,
 * no conversion), in the same run, on the loopback fixture tree (whose
 * uncore_imc_0 is the software PMU, so this runs without uncore hardware:
 * 2 counters). Prints median and min ns per sample and the ratio.
 *
 *   build/bench/bench_uncore [FIXTURES_DIR]   (default tests/fixtures) */
#include "uncore/uncore_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    char root[1024];
    snprintf(root, sizeof root, "%s/uncore/swloop", argc > 1 ? argv[1] : "tests/fixtures");
    scope_uncore_opts o = SCOPE_UNCORE_OPTS_INIT;
    o.sysfs_root = root;
    scope_uncore_plan *p;
    scope_collector *c;
    if (scope_uncore_plan_new(&p, &o) || scope_uncore_open(&c, &o) || scope_collector_start(c)) {
        fprintf(stderr, "bench_uncore: %s\n", scope_error_message());
        return 1;
    }
    size_t n = p->nctr;
    int fd[16];
    for (size_t i = 0; i < n; i++) {
        struct perf_event_attr a;
        memset(&a, 0, sizeof a);
        a.size = sizeof a;
        a.type = p->ctr[i].type;
        a.config = p->ctr[i].config;
        a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
        fd[i] = (int)syscall(SYS_perf_event_open, &a, -1, p->ctr[i].cpu, -1, PERF_FLAG_FD_CLOEXEC);
        if (fd[i] < 0) {
            perror("perf_event_open");
            return 1;
        }
    }
    enum { ROUNDS = 7, ITERS = 20000 };
    double raw[ROUNDS], lib[ROUNDS];
    uint64_t buf[3], sink = 0;
    for (int r = 0; r < ROUNDS; r++) {
        int64_t t0 = now_ns();
        for (int k = 0; k < ITERS; k++)
            for (size_t i = 0; i < n; i++)
                if (read(fd[i], buf, sizeof buf) == (ssize_t)sizeof buf)
                    sink += buf[0];
        int64_t t1 = now_ns();
        for (int k = 0; k < ITERS; k++)
            c->ops->sample(c, 0);
        int64_t t2 = now_ns();
        raw[r] = (double)(t1 - t0) / ITERS;
        lib[r] = (double)(t2 - t1) / ITERS;
    }
    qsort(raw, ROUNDS, sizeof *raw, cmp);
    qsort(lib, ROUNDS, sizeof *lib, cmp);
    printf("uncore sample, %zu counters, %d x %d samples (ns per sample, median [min])\n", n, ROUNDS,
           ITERS);
    printf("  raw read() loop (peer)    %8.0f [%8.0f]\n", raw[ROUNDS / 2], raw[0]);
    printf("  scope uncore collector    %8.0f [%8.0f]\n", lib[ROUNDS / 2], lib[0]);
    printf("  ratio scope/raw           %8.3f [%8.3f]\n", lib[ROUNDS / 2] / raw[ROUNDS / 2],
           lib[0] / raw[0]);
    for (size_t i = 0; i < n; i++)
        close(fd[i]);
    scope_collector_free(c);
    scope_uncore_plan_free(p);
    return sink == 42 ? 2 : 0;
}
