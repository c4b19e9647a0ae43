/* The process collector against values read independently from /proc. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <scope/scope.h>

static void spin_ms(int ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    for (;;) {
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
        if ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= ms)
            return;
    }
}

static int go[2], ready[2];
static char *volatile keep; /* so the compiler cannot drop the touched memory */

static void *worker(void *arg)
{
    char name[16];
    snprintf(name, sizeof name, "worker_%d", (int)(intptr_t)arg);
    pthread_setname_np(pthread_self(), name);
    spin_ms(50);
    for (;;)
        pause();
    return NULL;
}

/* A child that burns @ms of CPU, starts @threads named threads, says it is
 * ready, then on a byte from the test starts one more thread; then waits. */
static pid_t child(int ms, int threads)
{
    ck_assert_int_eq(pipe(go), 0);
    ck_assert_int_eq(pipe(ready), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        spin_ms(ms);
        /* touch 8 MiB so that RSS is clearly visible */
        keep = malloc(8 << 20);
        memset(keep, 1, 8 << 20);
        pthread_t t;
        for (int i = 0; i < threads; i++)
            pthread_create(&t, NULL, worker, (void *)(intptr_t)i);
        usleep(100000);
        char c = 'r';
        if (write(ready[1], &c, 1) != 1)
            _exit(1);
        if (read(go[0], &c, 1) == 1)
            pthread_create(&t, NULL, worker, (void *)(intptr_t)threads);
        for (;;)
            pause();
    }
    char c;
    ck_assert_int_eq(read(ready[0], &c, 1), 1);
    return pid;
}

static void reap(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(go[0]);
    close(go[1]);
    close(ready[0]);
    close(ready[1]);
}

/* Independent parse: sscanf after the last ')'. */
static void read_stat(const char *path, double *user_s, double *sys_s, double *rss_b,
                      long *threads)
{
    char buf[4096];
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    unsigned long ut, st;
    long nt, rss;
    ck_assert_int_eq(sscanf(p + 2,
                            "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d "
                            "%ld %*d %*u %*u %ld",
                            &ut, &st, &nt, &rss),
                     4);
    double hz = (double)sysconf(_SC_CLK_TCK);
    *user_s = (double)ut / hz;
    *sys_s = (double)st / hz;
    *rss_b = (double)rss * (double)sysconf(_SC_PAGESIZE);
    *threads = nt;
}

static double last_value(scope_series_set *set, const char *name, const char *k,
                         const char *v, const char *tid)
{
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        if (strcmp(scope_series_name(s), name))
            continue;
        if (k && (!scope_series_label(s, k) || strcmp(scope_series_label(s, k), v)))
            continue;
        if (tid && (!scope_series_label(s, "tid") || strcmp(scope_series_label(s, "tid"), tid)))
            continue;
        ck_assert_uint_gt(scope_series_count(s), 0);
        return scope_series_values(s)[scope_series_count(s) - 1];
    }
    ck_abort_msg("no series %s", name);
    return 0;
}

START_TEST(process_values_match_proc)
{
    pid_t pid = child(300, 0);
    scope_collector *c;
    ck_assert_int_eq(scope_proc_open(&c, pid, NULL), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    scope_series_set *set;
    scope_series_set_new(&set);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    double u, s, rss;
    long nt;
    read_stat(path, &u, &s, &rss, &nt);
    /* The child sleeps now: its counters do not move between the reads. */
    ck_assert_double_eq_tol(last_value(set, "process_cpu_seconds_total", "mode", "user", NULL), u,
                            1e-9);
    ck_assert_double_eq_tol(last_value(set, "process_cpu_seconds_total", "mode", "system", NULL),
                            s, 1e-9);
    ck_assert(u + s >= 0.25); /* it burned 300 ms of CPU */
    ck_assert_double_eq_tol(last_value(set, "process_resident_memory_bytes", NULL, NULL, NULL),
                            rss, 1e-9);
    ck_assert(rss >= 8 << 20);
    ck_assert_double_eq(last_value(set, "process_threads", NULL, NULL, NULL), (double)nt);
    ck_assert(last_value(set, "process_context_switches_total", "kind", "voluntary", NULL) >= 1);
    char pid_s[16];
    snprintf(pid_s, sizeof pid_s, "%d", pid);
    scope_series *first = scope_series_set_at(set, 0);
    ck_assert_str_eq(scope_series_label(first, "pid"), pid_s);
    ck_assert_str_eq(scope_series_label(first, "comm"), "check_proc");
    ck_assert_str_eq(scope_collector_name(c), (snprintf(path, sizeof path, "proc:%d", pid), path));
    ck_assert_uint_eq(scope_collector_metric_count(c), 6);
    const char *name, *unit;
    int kind;
    ck_assert_int_eq(scope_collector_metric_at(c, 0, &name, &unit, &kind, NULL), 0);
    ck_assert_str_eq(name, "process_cpu_seconds_total");
    ck_assert_str_eq(unit, "seconds");
    ck_assert_int_eq(kind, SCOPE_COUNTER);
    ck_assert_int_eq(scope_collector_metric_at(c, 6, &name, NULL, NULL, NULL), SCOPE_EINVAL);

    /* The process goes away: its series end, sampling says so. */
    reap(pid);
    ck_assert_int_eq(scope_collector_sample(c, set), SCOPE_EGONE);
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *x = scope_series_set_at(set, i);
        ck_assert_int_gt(scope_series_end_time(x), 0);
        ck_assert_uint_eq(scope_series_count(x), 1); /* no point was invented */
    }
    ck_assert_int_eq(scope_collector_start(c), SCOPE_ESTATE);
    ck_assert_int_eq(scope_collector_stop(c), 0);
    ck_assert_int_eq(scope_collector_sample(c, set), SCOPE_ESTATE);
    ck_assert_int_eq(scope_collector_start(c), SCOPE_EGONE);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "does not exist"));
    scope_collector_free(c);
    scope_series_set_free(set);
}
END_TEST

START_TEST(per_thread_and_rescan)
{
    pid_t pid = child(10, 2);
    scope_proc_opts o = SCOPE_PROC_OPTS_INIT;
    o.threads = 1;
    scope_collector *c;
    ck_assert_int_eq(scope_proc_open(&c, pid, &o), 0);
    ck_assert_int_eq(scope_collector_start(c), 0);
    scope_series_set *set;
    scope_series_set_new(&set);
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    /* Three threads: main + worker_0 + worker_1, each with its name. */
    size_t nthreads = 0;
    int seen0 = 0, seen1 = 0;
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        if (strcmp(scope_series_name(s), "process_cpu_seconds_total") ||
            strcmp(scope_series_label(s, "mode"), "user"))
            continue;
        nthreads++;
        const char *tn = scope_series_label(s, "thread");
        seen0 |= strcmp(tn, "worker_0") == 0;
        seen1 |= strcmp(tn, "worker_1") == 0;
        char path[96];
        snprintf(path, sizeof path, "/proc/%d/task/%s/stat", pid, scope_series_label(s, "tid"));
        double u, sy, rss;
        long nt;
        read_stat(path, &u, &sy, &rss, &nt);
        ck_assert_double_eq_tol(scope_series_values(s)[0], u, 1e-9);
    }
    ck_assert_uint_eq(nthreads, 3);
    ck_assert(seen0 && seen1);
    ck_assert_int_eq(scope_collector_rescan(c), 0); /* nothing new yet */
    char g = 'g';
    ck_assert_int_eq(write(go[1], &g, 1), 1);
    for (int i = 0; i < 100; i++) { /* wait (bounded) for the 4th thread */
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        double u, sy, rss;
        long nt;
        read_stat(path, &u, &sy, &rss, &nt);
        if (nt == 4)
            break;
        usleep(10000);
    }
    usleep(20000); /* let it set its name */
    ck_assert_int_eq(scope_collector_rescan(c), 1);
    ck_assert_int_eq(scope_collector_rescan(c), 0); /* never duplicated */
    ck_assert_int_eq(scope_collector_sample(c, set), 0);
    ck_assert_double_eq(last_value(set, "process_threads", NULL, NULL, NULL), 4);
    ck_assert_uint_eq(scope_series_set_count(set), 4 * 8);
    reap(pid);
    scope_collector_free(c);
    scope_series_set_free(set);
}
END_TEST

START_TEST(rescan_not_started)
{
    scope_collector *c;
    ck_assert_int_eq(scope_proc_open(&c, getpid(), NULL), 0);
    ck_assert_int_eq(scope_collector_rescan(c), SCOPE_ESTATE);
    ck_assert_int_eq(scope_collector_sample(c, NULL), SCOPE_EINVAL);
    scope_collector_free(c);
    scope_collector_free(NULL);
    ck_assert_int_eq(scope_collector_start(NULL), SCOPE_EINVAL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("proc");
    TCase *t = tcase_create("proc");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, process_values_match_proc);
    tcase_add_test(t, per_thread_and_rescan);
    tcase_add_test(t, rescan_not_started);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
