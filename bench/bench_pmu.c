/*
 * bench_pmu: the cost of reading one 4-event software group
 * ({task-clock,context-switches,page-faults,cpu-migrations}, this thread)
 * through scope_pmu_read() versus a raw read() of the very same group
 * leader descriptor, interleaved in the same run. The raw read is the
 * physical floor (one system call); the ratio is libscope's overhead.
 *
 *   bench_pmu [reads_per_round] [rounds]      (defaults 200000 and 9)
 *
 * Prints ns per read (median and min over rounds) in thread CPU time and
 * wall time, and the ratios libscope/raw.
 */
#include "pmu/pmu_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 200000;
    int rounds = argc > 2 ? atoi(argv[2]) : 9;
    if (n <= 0 || rounds <= 0 || rounds > 99) {
        fprintf(stderr, "usage: bench_pmu [reads_per_round] [rounds<=99]\n");
        return 2;
    }
    scope_pmu *p;
    if (scope_pmu_new(&p, "{task-clock,context-switches,page-faults,cpu-migrations}", NULL) ||
        scope_pmu_start(p)) {
        fprintf(stderr, "bench_pmu: %s\n", scope_error_message());
        return 1;
    }
    /* the same group's leader, read directly */
    int fd = p->sets[0].fds[0];
    uint64_t buf[3 + 2 * 4];
    size_t want = sizeof buf;
    double cpu[2][99], wall[2][99];
    for (int r = 0; r < rounds; r++) {
        for (int v = 0; v < 2; v++) { /* alternate which goes first */
            int which = (r + v) % 2;
            double c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), w0 = now_ns(CLOCK_MONOTONIC);
            if (which == 0) {
                for (long i = 0; i < n; i++)
                    if (read(fd, buf, want) != (ssize_t)want) {
                        perror("bench_pmu: read");
                        return 1;
                    }
            } else {
                for (long i = 0; i < n; i++)
                    if (scope_pmu_read(p)) {
                        fprintf(stderr, "bench_pmu: %s\n", scope_error_message());
                        return 1;
                    }
            }
            cpu[which][r] = (now_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / (double)n;
            wall[which][r] = (now_ns(CLOCK_MONOTONIC) - w0) / (double)n;
        }
    }
    /* sanity: both saw the same counts layout */
    uint64_t raw;
    scope_pmu_value(p, 0, 0, &raw, NULL, NULL);
    if (buf[0] != 4 || raw == 0) {
        fprintf(stderr, "bench_pmu: unexpected group read (nr %llu, task-clock %llu)\n",
                (unsigned long long)buf[0], (unsigned long long)raw);
        return 1;
    }
    for (int v = 0; v < 2; v++) {
        qsort(cpu[v], (size_t)rounds, sizeof(double), cmp);
        qsort(wall[v], (size_t)rounds, sizeof(double), cmp);
    }
    int m = rounds / 2;
    printf("bench_pmu: one read of a 4-event software group, %ld reads x %d rounds\n", n, rounds);
    printf("%-28s %12s %12s %12s %12s\n", "", "cpu median", "cpu min", "wall median",
           "wall min");
    printf("%-28s %10.0fns %10.0fns %10.0fns %10.0fns\n", "raw read() (peer: syscall)",
           cpu[0][m], cpu[0][0], wall[0][m], wall[0][0]);
    printf("%-28s %10.0fns %10.0fns %10.0fns %10.0fns\n", "scope_pmu_read()", cpu[1][m],
           cpu[1][0], wall[1][m], wall[1][0]);
    printf("ratio libscope/raw: cpu median %.3f, cpu min %.3f, wall median %.3f, wall min "
           "%.3f (target <= 1.10)\n",
           cpu[1][m] / cpu[0][m], cpu[1][0] / cpu[0][0], wall[1][m] / wall[0][m],
           wall[1][0] / wall[0][0]);
    scope_pmu_free(p);
    return 0;
}
