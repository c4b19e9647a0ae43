/*
 * scope-record: run a command (or attach to a pid) and record its CPU time,
 * memory, page faults, context switches and threads on one timeline, like
 * /usr/bin/time with a time series. Prints a summary; writes every point
 * with -o.
 *
 *   scope-record [-I ms] [-d seconds] [-t] [-o FILE] [-f csv|jsonl|prom|openmetrics]
 *                [-m key=value] (-p PID | -- COMMAND [ARGS...])
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <scope/scope.h>

static scope_recorder *active;

static void on_signal(int sig)
{
    (void)sig;
    scope_recorder_stop(active); /* async-signal-safe */
}

static void usage(FILE *f)
{
    fprintf(f, "usage: scope-record [-I ms] [-d seconds] [-t] [-o FILE] [-f csv|jsonl|prom|openmetrics]\n"
               "                    [-m key=value] (-p PID | -- COMMAND [ARGS...])\n"
               "  -I ms        sampling interval (default 100)\n"
               "  -d seconds   stop after this long (default: when the process exits)\n"
               "  -t           one series per thread (with thread names)\n"
               "  -o FILE      write every point to FILE (format from -f, default csv)\n"
               "  -m key=value label every sample with key=value\n");
}

static int fmt_of(const char *s)
{
    if (!strcmp(s, "csv")) return SCOPE_EXPORT_CSV;
    if (!strcmp(s, "jsonl")) return SCOPE_EXPORT_JSONL;
    if (!strcmp(s, "prom")) return SCOPE_EXPORT_PROMETHEUS;
    if (!strcmp(s, "openmetrics")) return SCOPE_EXPORT_OPENMETRICS;
    return 0;
}

/* Sums the last value of @name over every series with label @k=@v (or all). */
static double last_sum(const scope_series_set *set, const char *name, const char *k, const char *v,
                       double *first_sum)
{
    double sum = 0, first = 0;
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        size_t n = scope_series_count(s);
        if (!n || strcmp(scope_series_name(s), name))
            continue;
        const char *lv = k ? scope_series_label(s, k) : NULL;
        if (k && (!lv || strcmp(lv, v)))
            continue;
        sum += scope_series_values(s)[n - 1];
        first += scope_series_values(s)[0];
    }
    if (first_sum)
        *first_sum = first;
    return sum;
}

static double max_of(const scope_series_set *set, const char *name)
{
    double m = 0;
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        if (strcmp(scope_series_name(s), name))
            continue;
        for (size_t j = 0; j < scope_series_count(s); j++)
            if (scope_series_values(s)[j] > m)
                m = scope_series_values(s)[j];
    }
    return m;
}

int main(int argc, char **argv)
{
    long interval_ms = 100;
    double duration = 0;
    int threads = 0, format = SCOPE_EXPORT_CSV;
    const char *out = NULL;
    pid_t pid = 0;
    char *marks[8];
    int nmarks = 0, opt;
    while ((opt = getopt(argc, argv, "+I:d:to:f:m:p:h")) != -1) {
        switch (opt) {
        case 'I': interval_ms = strtol(optarg, NULL, 10); break;
        case 'd': duration = strtod(optarg, NULL); break;
        case 't': threads = 1; break;
        case 'o': out = optarg; break;
        case 'f':
            if (!(format = fmt_of(optarg))) {
                fprintf(stderr, "scope-record: unknown format %s\n", optarg);
                return 2;
            }
            break;
        case 'm':
            if (nmarks < 8 && strchr(optarg, '='))
                marks[nmarks++] = optarg;
            else {
                fprintf(stderr, "scope-record: -m wants key=value (at most 8)\n");
                return 2;
            }
            break;
        case 'p': pid = (pid_t)strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!pid && optind >= argc) {
        usage(stderr);
        return 2;
    }
    int child = 0;
    if (!pid) {
        /* fork + exec (never a shell). A close-on-exec pipe tells us when
         * the exec happened (EOF) or why it failed (an errno), so recording
         * starts on the command itself, named as it is. */
        int ex[2];
        if (pipe2(ex, O_CLOEXEC)) {
            perror("scope-record: pipe");
            return 1;
        }
        pid = fork();
        if (pid < 0) {
            perror("scope-record: fork");
            return 1;
        }
        if (pid == 0) {
            close(ex[0]);
            execvp(argv[optind], argv + optind);
            int e = errno;
            if (write(ex[1], &e, sizeof e) != (ssize_t)sizeof e)
                _exit(126);
            _exit(127);
        }
        close(ex[1]);
        int e = 0;
        ssize_t n;
        while ((n = read(ex[0], &e, sizeof e)) < 0 && errno == EINTR)
            ;
        close(ex[0]);
        if (n == (ssize_t)sizeof e) {
            fprintf(stderr, "scope-record: cannot run %s: %s\n", argv[optind], strerror(e));
            waitpid(pid, NULL, 0);
            return 127;
        }
        child = 1;
    }

    scope_recorder_opts ro = SCOPE_RECORDER_OPTS_INIT;
    ro.interval_ns = interval_ms * 1000000LL;
    ro.duration_ns = (int64_t)(duration * 1e9);
    ro.rescan_every = threads ? 10 : 0;
    scope_proc_opts po = SCOPE_PROC_OPTS_INIT;
    po.threads = threads;
    scope_recorder *r = NULL;
    scope_collector *c = NULL;
    int rc = scope_recorder_new(&r, &ro);
    if (!rc)
        rc = scope_proc_open(&c, pid, &po);
    if (!rc)
        rc = scope_recorder_add(r, c);
    for (int i = 0; !rc && i < nmarks; i++) {
        char *eq = strchr(marks[i], '=');
        *eq = '\0';
        rc = scope_recorder_mark(r, marks[i], eq + 1);
    }
    if (!rc)
        rc = scope_recorder_start(r);
    if (rc) {
        fprintf(stderr, "scope-record: %s\n", scope_error_message());
        if (child) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        return 1;
    }
    active = r;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    int status = 0;
    if (child) {
        /* The recorder ends by itself when the process is gone (its
         * collector reports EGONE); wait for the child meanwhile so that it
         * does not linger as a zombie that /proc still shows. */
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        if (!duration)
            scope_recorder_stop(r);
    }
    rc = scope_recorder_wait(r);
    if (rc && rc != SCOPE_EUSER)
        fprintf(stderr, "scope-record: %s\n", scope_error_message());
    const scope_series_set *set = scope_recorder_series(r);
    const scope_series *any = NULL;
    for (size_t i = 0; i < scope_series_set_count(set); i++)
        if (!strcmp(scope_series_name(scope_series_set_at(set, i)), "process_cpu_seconds_total"))
            any = scope_series_set_at(set, i);
    double wall = 0;
    if (any && scope_series_count(any) > 1)
        wall = (double)(scope_series_timestamps(any)[scope_series_count(any) - 1] -
                        scope_series_timestamps(any)[0]) / 1e9;
    double u0, s0, v0, i0, f0;
    double u = last_sum(set, "process_cpu_seconds_total", "mode", "user", &u0);
    double s = last_sum(set, "process_cpu_seconds_total", "mode", "system", &s0);
    double vol = last_sum(set, "process_context_switches_total", "kind", "voluntary", &v0);
    double inv = last_sum(set, "process_context_switches_total", "kind", "involuntary", &i0);
    double flt = last_sum(set, "process_minor_page_faults_total", NULL, NULL, &f0);
    printf("scope-record: pid %d, %llu samples every %ld ms (%llu missed), %.2f s observed\n",
           (int)pid, (unsigned long long)scope_recorder_sample_count(r), interval_ms,
           (unsigned long long)scope_recorder_missed_count(r), wall);
    printf("  %-28s %14s\n", "metric", "during run");
    printf("  %-28s %14.3f\n", "cpu user seconds", u - u0);
    printf("  %-28s %14.3f\n", "cpu system seconds", s - s0);
    if (wall > 0)
        printf("  %-28s %13.1f%%\n", "cpu utilisation (1 core=100)", 100 * (u - u0 + s - s0) / wall);
    printf("  %-28s %14.0f\n", "voluntary ctx switches", vol - v0);
    printf("  %-28s %14.0f\n", "involuntary ctx switches", inv - i0);
    printf("  %-28s %14.0f\n", "minor page faults", flt - f0);
    printf("  %-28s %14.1f\n", "peak RSS (MiB)", max_of(set, "process_resident_memory_bytes") / 1048576.0);
    printf("  %-28s %14.0f\n", "peak threads", max_of(set, "process_threads"));
    printf("  %-28s %14.1f\n", "max sample cost (us)", max_of(set, "scope_recorder_sample_seconds") * 1e6);
    int ret = 0;
    if (out && scope_export_path(set, format, out, NULL)) {
        fprintf(stderr, "scope-record: %s\n", scope_error_message());
        ret = 1;
    } else if (out) {
        printf("  series written to %s (%s)\n", out, scope_export_format_name(format));
    }
    scope_recorder_free(r);
    scope_collector_free(c);
    if (child && WIFEXITED(status) && WEXITSTATUS(status))
        ret = WEXITSTATUS(status);
    return ret;
}
