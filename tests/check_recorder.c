/* The recorder: schedule, no lost or duplicated samples, stop from another
 * thread, marks, callbacks, vanishing collectors. */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <scope/scope.h>

#define MS 1000000LL

static const scope_series *find(const scope_series_set *set, const char *name, const char *k,
                                const char *v)
{
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        if (strcmp(scope_series_name(s), name))
            continue;
        const char *lv = k ? scope_series_label(s, k) : NULL;
        if (k && v && (!lv || strcmp(lv, v)))
            continue;
        if (k && !v && lv)
            continue; /* wanted: no such label */
        return s;
    }
    return NULL;
}

static void check_increasing(const scope_series *s)
{
    const int64_t *t = scope_series_timestamps(s);
    for (size_t i = 1; i < scope_series_count(s); i++)
        ck_assert_msg(t[i] > t[i - 1], "timestamps not strictly increasing at %zu", i);
}

START_TEST(no_sample_lost_or_duplicated)
{
    scope_recorder_opts o = SCOPE_RECORDER_OPTS_INIT;
    o.interval_ns = 10 * MS;
    o.duration_ns = 500 * MS;
    scope_recorder *r;
    ck_assert_int_eq(scope_recorder_new(&r, &o), 0);
    scope_collector *c;
    ck_assert_int_eq(scope_proc_open(&c, getpid(), NULL), 0);
    ck_assert_int_eq(scope_recorder_add(r, c), 0);
    int64_t before = scope_clock_wall_ns();
    ck_assert_int_eq(scope_recorder_start(r), 0);
    ck_assert_int_eq(scope_recorder_wait(r), 0);
    int64_t after = scope_clock_wall_ns();
    uint64_t n = scope_recorder_sample_count(r), missed = scope_recorder_missed_count(r);
    /* Ticks 0..50 inclusive: every one is either sampled or counted missed. */
    ck_assert_uint_eq(n + missed, 51);
    const scope_series_set *set = scope_recorder_series(r);
    const scope_series *dur = find(set, "scope_recorder_sample_seconds", NULL, NULL);
    const scope_series *ms = find(set, "scope_recorder_missed_ticks_total", NULL, NULL);
    const scope_series *cpu = find(set, "process_cpu_seconds_total", "mode", "user");
    ck_assert_ptr_nonnull(dur);
    ck_assert_ptr_nonnull(cpu);
    ck_assert_uint_eq(scope_series_count(dur), n);
    ck_assert_uint_eq(scope_series_count(cpu), n);
    ck_assert_double_eq(scope_series_values(ms)[n - 1], (double)missed);
    check_increasing(dur);
    check_increasing(cpu);
    /* Same timestamps for every series of one sample: one timeline. */
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(scope_series_timestamps(dur)[i], scope_series_timestamps(cpu)[i]);
    /* Wall-clock anchored: within the run's window. */
    ck_assert_int_ge(scope_series_timestamps(cpu)[0], before);
    ck_assert_int_le(scope_series_timestamps(cpu)[n - 1], after);
    /* The schedule is absolute: however late single samples were (the
     * machine is shared), the last one is no later than its tick plus the
     * time one late wake-up can take, and none comes before its tick. */
    const int64_t *t = scope_series_timestamps(cpu);
    ck_assert_int_ge(t[n - 1] - t[0], (int64_t)(n + missed - 1) * 10 * MS - 10 * MS);
    scope_recorder_free(r);
    scope_collector_free(c);
}
END_TEST

static void *stopper(void *arg)
{
    usleep(100000);
    scope_recorder_stop(arg);
    return NULL;
}

START_TEST(stop_from_another_thread)
{
    scope_recorder_opts o = SCOPE_RECORDER_OPTS_INIT;
    o.interval_ns = 2000 * MS; /* long: the stop must not wait for a tick */
    scope_recorder *r;
    ck_assert_int_eq(scope_recorder_new(&r, &o), 0);
    scope_collector *c;
    scope_proc_open(&c, getpid(), NULL);
    scope_recorder_add(r, c);
    int64_t t0 = scope_clock_mono_ns();
    ck_assert_int_eq(scope_recorder_start(r), 0);
    pthread_t th;
    pthread_create(&th, NULL, stopper, r);
    ck_assert_int_eq(scope_recorder_wait(r), 0);
    int64_t took = scope_clock_mono_ns() - t0;
    pthread_join(th, NULL);
    ck_assert_msg(took < 2000 * MS, "stop took %lld ms, more than one interval",
                  (long long)(took / MS));
    ck_assert_uint_eq(scope_recorder_sample_count(r), 1);
    /* A late stop after wait is harmless. */
    ck_assert_int_eq(scope_recorder_stop(r), 0);
    /* Restart: a fresh set. */
    o.duration_ns = 0;
    ck_assert_int_eq(scope_recorder_start(r), 0);
    ck_assert_int_eq(scope_recorder_start(r), SCOPE_ESTATE);
    ck_assert_int_eq(scope_recorder_stop(r), 0);
    ck_assert_int_eq(scope_recorder_wait(r), 0);
    ck_assert_int_eq(scope_recorder_wait(r), SCOPE_ESTATE);
    scope_recorder_free(r);
    scope_collector_free(c);
}
END_TEST

struct marks {
    scope_recorder *r;
    int64_t t1, t2, t3;
};

static void *marker(void *arg)
{
    struct marks *m = arg;
    usleep(100000);
    m->t1 = scope_clock_wall_ns();
    scope_recorder_mark(m->r, "rate", "1000");
    usleep(100000);
    m->t2 = scope_clock_wall_ns();
    scope_recorder_mark(m->r, "rate", "2000");
    usleep(100000);
    m->t3 = scope_clock_wall_ns();
    scope_recorder_mark(m->r, "rate", NULL);
    usleep(100000);
    scope_recorder_stop(m->r);
    return NULL;
}

START_TEST(marks_label_samples)
{
    scope_recorder_opts o = SCOPE_RECORDER_OPTS_INIT;
    o.interval_ns = 10 * MS;
    scope_recorder *r;
    ck_assert_int_eq(scope_recorder_new(&r, &o), 0);
    ck_assert_int_eq(scope_recorder_mark(r, "bad-key", "x"), SCOPE_EINVAL);
    ck_assert_int_eq(scope_recorder_mark(r, "run", "a"), 0); /* set before start */
    scope_collector *c;
    scope_proc_open(&c, getpid(), NULL);
    scope_recorder_add(r, c);
    struct marks m = {.r = r};
    ck_assert_int_eq(scope_recorder_start(r), 0);
    pthread_t th;
    pthread_create(&th, NULL, marker, &m);
    ck_assert_int_eq(scope_recorder_wait(r), 0);
    pthread_join(th, NULL);
    const scope_series_set *set = scope_recorder_series(r);
    const scope_series *none = find(set, "process_threads", "rate", NULL);
    const scope_series *r1 = find(set, "process_threads", "rate", "1000");
    const scope_series *r2 = find(set, "process_threads", "rate", "2000");
    ck_assert_ptr_nonnull(none);
    ck_assert_ptr_nonnull(r1);
    ck_assert_ptr_nonnull(r2);
    ck_assert_str_eq(scope_series_label(r1, "run"), "a");
    /* Each phase holds roughly its 100 ms, and its points lie inside it
     * (one interval of slack for a sample taken while the mark changed). */
    ck_assert_uint_ge(scope_series_count(r1), 3);
    ck_assert_uint_ge(scope_series_count(r2), 3);
    for (size_t i = 0; i < scope_series_count(r1); i++) {
        int64_t t = scope_series_timestamps(r1)[i];
        ck_assert(t >= m.t1 - 10 * MS && t <= m.t2 + 10 * MS);
    }
    for (size_t i = 0; i < scope_series_count(r2); i++) {
        int64_t t = scope_series_timestamps(r2)[i];
        ck_assert(t >= m.t2 - 10 * MS && t <= m.t3 + 10 * MS);
    }
    /* No sample is counted twice: the phases add up to the samples. */
    ck_assert_uint_eq(scope_series_count(none) + scope_series_count(r1) + scope_series_count(r2),
                      scope_recorder_sample_count(r));
    scope_recorder_free(r);
    scope_collector_free(c);
}
END_TEST

static int stop_after_five(scope_recorder *r, const scope_series_set *set, int64_t wall,
                           void *ud)
{
    (void)r;
    (void)wall;
    int *calls = ud;
    ck_assert_ptr_nonnull(set);
    if (++*calls == 3)
        usleep(45000); /* make the recorder miss ticks */
    return *calls == 5;
}

START_TEST(callback_and_missed_ticks)
{
    scope_recorder_opts o = SCOPE_RECORDER_OPTS_INIT;
    o.interval_ns = 10 * MS;
    scope_recorder *r;
    ck_assert_int_eq(scope_recorder_new(&r, &o), 0);
    int calls = 0;
    ck_assert_int_eq(scope_recorder_set_callback(r, stop_after_five, &calls), 0);
    ck_assert_int_eq(scope_recorder_start(r), 0);
    ck_assert_int_eq(scope_recorder_set_callback(r, NULL, NULL), SCOPE_ESTATE);
    ck_assert_int_eq(scope_recorder_wait(r), SCOPE_EUSER);
    ck_assert_int_eq(calls, 5);
    ck_assert_uint_eq(scope_recorder_sample_count(r), 5);
    ck_assert_uint_ge(scope_recorder_missed_count(r), 3); /* 45 ms at 10 ms */
    const scope_series *ms =
        find(scope_recorder_series(r), "scope_recorder_missed_ticks_total", NULL, NULL);
    ck_assert_double_eq(scope_series_values(ms)[4], (double)scope_recorder_missed_count(r));
    scope_recorder_free(r);
}
END_TEST

START_TEST(vanishing_collector_keeps_others)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    scope_recorder_opts o = SCOPE_RECORDER_OPTS_INIT;
    o.interval_ns = 10 * MS;
    scope_recorder *r;
    scope_recorder_new(&r, &o);
    scope_collector *self, *kid;
    scope_proc_open(&self, getpid(), NULL);
    scope_proc_open(&kid, pid, NULL);
    scope_recorder_add(r, self);
    scope_recorder_add(r, kid);
    ck_assert_int_eq(scope_recorder_add(r, kid), SCOPE_EEXIST);
    ck_assert_int_eq(scope_recorder_start(r), 0);
    /* Let a few samples of both happen, then make the child vanish. */
    for (int i = 0; i < 1000 && scope_recorder_sample_count(r) < 3; i++)
        usleep(5000);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0); /* reaped: /proc/<pid> disappears */
    uint64_t at_exit = scope_recorder_sample_count(r);
    for (int i = 0; i < 1000 && scope_recorder_sample_count(r) < at_exit + 5; i++)
        usleep(5000);
    scope_recorder_stop(r);
    ck_assert_int_eq(scope_recorder_wait(r), 0);
    char ps[16], me[16];
    snprintf(ps, sizeof ps, "%d", pid);
    snprintf(me, sizeof me, "%d", getpid());
    const scope_series_set *set = scope_recorder_series(r);
    const scope_series *k = find(set, "process_threads", "pid", ps);
    const scope_series *s = find(set, "process_threads", "pid", me);
    ck_assert_ptr_nonnull(k);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_gt(scope_series_end_time(k), 0);
    ck_assert_int_eq(scope_series_end_time(s), 0);
    ck_assert_uint_ge(scope_series_count(k), 3);
    ck_assert_uint_le(scope_series_count(k), at_exit + 1);
    ck_assert_uint_lt(scope_series_count(k), scope_series_count(s));
    ck_assert_uint_eq(scope_series_count(s), scope_recorder_sample_count(r));
    /* The child's last point is before its end. */
    ck_assert_int_lt(scope_series_timestamps(k)[scope_series_count(k) - 1],
                     scope_series_end_time(k));
    ck_assert_uint_eq(scope_recorder_error_count(r), 0);
    scope_recorder_free(r);
    scope_collector_free(self);
    scope_collector_free(kid);
}
END_TEST

static int count_calls(scope_recorder *r, const scope_series_set *set, int64_t wall, void *ud)
{
    (void)r;
    (void)wall;
    (void)set;
    return ++*(int *)ud == 40;
}

START_TEST(keep_last_bounds_memory)
{
    scope_recorder_opts o = SCOPE_RECORDER_OPTS_INIT;
    o.interval_ns = 2 * MS;
    o.keep_last = 5;
    o.no_self_series = 1;
    scope_recorder *r;
    ck_assert_int_eq(scope_recorder_new(&r, &o), 0);
    scope_collector *c;
    scope_proc_open(&c, getpid(), NULL);
    scope_recorder_add(r, c);
    int calls = 0;
    scope_recorder_set_callback(r, count_calls, &calls);
    ck_assert_int_eq(scope_recorder_start(r), 0);
    ck_assert_int_eq(scope_recorder_wait(r), SCOPE_EUSER);
    const scope_series_set *set = scope_recorder_series(r);
    ck_assert_ptr_null(find(set, "scope_recorder_sample_seconds", NULL, NULL));
    const scope_series *s = find(set, "process_threads", NULL, NULL);
    ck_assert_uint_ge(scope_series_count(s), 5);
    ck_assert_uint_le(scope_series_count(s), 10);
    check_increasing(s);
    scope_recorder_free(r);
    scope_collector_free(c);
}
END_TEST

START_TEST(bad_arguments)
{
    scope_recorder *r;
    scope_recorder_opts o = SCOPE_RECORDER_OPTS_INIT;
    o.interval_ns = 1000;
    ck_assert_int_eq(scope_recorder_new(&r, &o), SCOPE_EINVAL);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "1 ms"));
    o.interval_ns = 0;
    o.duration_ns = -1;
    ck_assert_int_eq(scope_recorder_new(&r, &o), SCOPE_EINVAL);
    ck_assert_int_eq(scope_recorder_new(NULL, NULL), SCOPE_EINVAL);
    ck_assert_int_eq(scope_recorder_new(&r, NULL), 0);
    ck_assert_int_eq(scope_recorder_wait(r), SCOPE_ESTATE);
    ck_assert_int_eq(scope_recorder_add(r, NULL), SCOPE_EINVAL);
    /* A collector that cannot start fails the start and leaves none started. */
    scope_collector *ok, *bad;
    scope_proc_open(&ok, getpid(), NULL);
    scope_proc_open(&bad, 4194311, NULL);
    scope_recorder_add(r, ok);
    scope_recorder_add(r, bad);
    ck_assert_int_eq(scope_recorder_start(r), SCOPE_EGONE);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "4194311"));
    ck_assert_int_eq(scope_collector_start(ok), 0); /* it was stopped again */
    scope_recorder_free(r);
    scope_collector_free(ok);
    scope_collector_free(bad);
    scope_recorder_free(NULL);
    ck_assert_int_eq(scope_recorder_stop(NULL), SCOPE_EINVAL);
    scope_recorder_opts f;
    ck_assert_int_eq(scope_recorder_opts_init(&f, sizeof f), 0);
    ck_assert_uint_eq(f.size, sizeof f);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("recorder");
    TCase *t = tcase_create("recorder");
    tcase_set_timeout(t, 60);
    tcase_add_test(t, no_sample_lost_or_duplicated);
    tcase_add_test(t, stop_from_another_thread);
    tcase_add_test(t, marks_label_samples);
    tcase_add_test(t, callback_and_missed_ticks);
    tcase_add_test(t, vanishing_collector_keeps_others);
    tcase_add_test(t, keep_last_bounds_memory);
    tcase_add_test(t, bad_arguments);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
