/*
 * Recorder timing accuracy at 10 ms over 5 s: median and p99 of
 * |interval - 10 ms|, and the drift of the last sample from its ideal time.
 * Peer, in the same run: the loop that shell scripts and naive samplers use,
 * "sample, then sleep the interval" (relative nanosleep), sampling the same
 * process collector.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <scope/scope.h>

#define INTERVAL_NS 10000000LL
#define DURATION_NS 5000000000LL

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *who, const int64_t *t, size_t n, double *med, double *drift)
{
    double *err = malloc((n - 1) * sizeof *err);
    for (size_t i = 1; i < n; i++) {
        double e = (double)(t[i] - t[i - 1] - INTERVAL_NS);
        err[i - 1] = e < 0 ? -e : e;
    }
    qsort(err, n - 1, sizeof *err, cmp);
    *med = err[(n - 1) / 2] / 1e3;
    double p99 = err[(size_t)((double)(n - 2) * 0.99)] / 1e3;
    *drift = (double)(t[n - 1] - t[0] - (int64_t)(n - 1) * INTERVAL_NS) / 1e6;
    printf("%-34s samples %4zu  median |err| %8.1f us  p99 |err| %8.1f us  drift after %zu "
           "intervals %8.2f ms\n",
           who, n, *med, p99, n - 1, *drift);
    free(err);
}

int main(void)
{
    scope_collector *c;
    if (scope_proc_open(&c, getpid(), NULL)) {
        fprintf(stderr, "%s\n", scope_error_message());
        return 1;
    }
    /* libscope's recorder */
    scope_recorder_opts o = SCOPE_RECORDER_OPTS_INIT;
    o.interval_ns = INTERVAL_NS;
    o.duration_ns = DURATION_NS;
    scope_recorder *r;
    if (scope_recorder_new(&r, &o) || scope_recorder_add(r, c) || scope_recorder_start(r) ||
        scope_recorder_wait(r)) {
        fprintf(stderr, "%s\n", scope_error_message());
        return 1;
    }
    const scope_series_set *set = scope_recorder_series(r);
    const scope_series *s = NULL;
    for (size_t i = 0; i < scope_series_set_count(set); i++)
        if (!strcmp(scope_series_name(scope_series_set_at(set, i)), "process_threads"))
            s = scope_series_set_at(set, i);
    double m1, d1, m2, d2;
    report("libscope recorder (absolute timer)", scope_series_timestamps(s), scope_series_count(s),
           &m1, &d1);
    printf("%-34s missed ticks %llu\n", "", (unsigned long long)scope_recorder_missed_count(r));

    /* peer: sample, then nanosleep(interval) */
    scope_series_set *ps;
    scope_series_set_new(&ps);
    scope_collector_start(c);
    int64_t start = scope_clock_mono_ns();
    while (scope_clock_mono_ns() - start <= DURATION_NS) {
        scope_collector_sample(c, ps);
        struct timespec ts = {0, INTERVAL_NS};
        nanosleep(&ts, NULL);
    }
    scope_collector_stop(c);
    for (size_t i = 0; i < scope_series_set_count(ps); i++)
        if (!strcmp(scope_series_name(scope_series_set_at(ps, i)), "process_threads"))
            s = scope_series_set_at(ps, i);
    report("peer: sample + nanosleep(interval)", scope_series_timestamps(s), scope_series_count(s),
           &m2, &d2);
    printf("ratio (peer / libscope): median interval error %.1fx, drift %.1fx; goal: libscope "
           "median error < 1000 us: %s\n",
           m2 / (m1 > 0 ? m1 : 1e-3), (d2 < 0 ? -d2 : d2) / ((d1 < 0 ? -d1 : d1) + 1e-3),
           m1 < 1000 ? "met" : "NOT met");
    scope_series_set_free(ps);
    scope_recorder_free(r);
    scope_collector_free(c);
    return 0;
}
