/* Core: version, error codes and the thread-local last error, options. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <scope/scope.h>

START_TEST(version_matches_headers)
{
    ck_assert_str_eq(scope_version(), SCOPE_VERSION_STRING);
    ck_assert_int_eq(scope_version_number(), SCOPE_VERSION_NUMBER);
    ck_assert_int_eq(SCOPE_VERSION_NUMBER_OF(0, 1, 0), 100);
}
END_TEST

START_TEST(error_codes_are_fixed)
{
    /* The values are ABI: a change here is a break. */
    ck_assert_int_eq(SCOPE_EINVAL, -1);
    ck_assert_int_eq(SCOPE_ENOMEM, -2);
    ck_assert_int_eq(SCOPE_ENOENT, -3);
    ck_assert_int_eq(SCOPE_EPERM, -4);
    ck_assert_int_eq(SCOPE_ENOSPC, -6);
    ck_assert_int_eq(SCOPE_EUSER, -9);
    ck_assert_int_eq(SCOPE_EGONE, -14);
    ck_assert_int_eq(SCOPE_EINTERNAL, -19);
    for (int c = 0; c >= -19; c--) {
        ck_assert_ptr_nonnull(scope_strerror(c));
        ck_assert_str_ne(scope_strerror(c), "unknown error");
        ck_assert_str_ne(scope_error_name(c), "SCOPE_EUNKNOWN");
    }
    ck_assert_str_eq(scope_strerror(-1000), "unknown error");
    ck_assert_str_eq(scope_error_name(7), "SCOPE_EUNKNOWN");
    ck_assert_str_eq(scope_error_name(SCOPE_EGONE), "SCOPE_EGONE");
}
END_TEST

START_TEST(last_error_is_set_and_cleared)
{
    scope_error_clear();
    ck_assert_str_eq(scope_error_message(), "");
    ck_assert_int_eq(scope_error_code(), 0);
    scope_collector *c;
    ck_assert_int_eq(scope_proc_open(&c, -5, NULL), SCOPE_EINVAL);
    ck_assert_int_eq(scope_error_code(), SCOPE_EINVAL);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "-5"));
    scope_error_clear();
    ck_assert_int_eq(scope_error_code(), 0);
    ck_assert_str_eq(scope_error_message(), "");
}
END_TEST

START_TEST(errno_is_kept)
{
    scope_collector *c;
    /* pid_max is at most 4194304: this pid cannot exist. */
    ck_assert_int_eq(scope_proc_open(&c, 4194305 + 7, NULL), 0);
    ck_assert_int_eq(scope_collector_start(c), SCOPE_EGONE);
    ck_assert_int_eq(scope_error_errno(), ENOENT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "does not exist"));
    scope_collector_free(c);
}
END_TEST

static void *other_thread(void *arg)
{
    (void)arg;
    /* A fresh thread starts with no error, whatever the main thread has. */
    int clean = scope_error_code() == 0 && strcmp(scope_error_message(), "") == 0;
    scope_series_set *s;
    scope_series_set_new(&s);
    scope_series_set_add(NULL, s, "9bad", NULL, NULL, 0, NULL, SCOPE_GAUGE, NULL);
    scope_series_set_free(s);
    return (void *)(intptr_t)(clean && scope_error_code() == SCOPE_EINVAL);
}

START_TEST(last_error_is_per_thread)
{
    scope_error_clear();
    scope_collector *c;
    ck_assert_int_eq(scope_proc_open(&c, 0, NULL), SCOPE_EINVAL);
    char before[1024];
    snprintf(before, sizeof before, "%s", scope_error_message());
    pthread_t t;
    void *ok;
    pthread_create(&t, NULL, other_thread, NULL);
    pthread_join(t, &ok);
    ck_assert_int_eq((int)(intptr_t)ok, 1);
    ck_assert_str_eq(scope_error_message(), before);
}
END_TEST

START_TEST(opts_size_rules)
{
    scope_collector *c = NULL;
    /* Zero size: rejected with a message naming the fix. */
    scope_proc_opts o;
    memset(&o, 0, sizeof o);
    ck_assert_int_eq(scope_proc_open(&c, getpid(), &o), SCOPE_EINVAL);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "SCOPE_PROC_OPTS_INIT"));
    ck_assert_ptr_null(c);

    /* A newer caller's bigger struct with zero tail: accepted. */
    struct {
        scope_proc_opts o;
        int64_t future[2];
    } big;
    memset(&big, 0, sizeof big);
    big.o.size = sizeof big;
    ck_assert_int_eq(scope_proc_open(&c, getpid(), &big.o), 0);
    scope_collector_free(c);

    /* Non-zero bytes past what this library knows: rejected. */
    big.future[1] = 42;
    ck_assert_int_eq(scope_proc_open(&c, getpid(), &big.o), SCOPE_EINVAL);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "newer libscope"));

    /* An older caller's smaller struct (just size): accepted, rest default. */
    scope_proc_opts small;
    memset(&small, 0xff, sizeof small);
    small.size = sizeof(size_t);
    ck_assert_int_eq(scope_proc_open(&c, getpid(), &small), 0);
    scope_collector_free(c);

    /* opts_init for FFI callers. */
    scope_proc_opts f;
    memset(&f, 0xab, sizeof f);
    ck_assert_int_eq(scope_proc_opts_init(&f, sizeof f), 0);
    ck_assert_uint_eq(f.size, sizeof f);
    ck_assert_int_eq(f.threads, 0);
    ck_assert_int_eq(scope_proc_opts_init(&f, 3), SCOPE_EINVAL);
    ck_assert_int_eq(scope_proc_opts_init(NULL, sizeof f), SCOPE_EINVAL);
    scope_proc_opts m = SCOPE_PROC_OPTS_INIT;
    ck_assert_uint_eq(m.size, sizeof m);
}
END_TEST

/* Public opts structs have no padding: a caller's padding bytes need not be
 * zero, and a later version would read them as new fields. Every opts
 * struct of the public API is listed here. */
#define NO_PAD(type, last) \
    ck_assert_msg(sizeof(type) == offsetof(type, last) + sizeof(((type *)0)->last), \
                  #type " has padding: pair its int32_t fields")
START_TEST(opts_structs_have_no_padding)
{
    NO_PAD(scope_proc_opts, skip_status);
    NO_PAD(scope_recorder_opts, keep_last);
    NO_PAD(scope_export_opts, no_header);
    NO_PAD(scope_exporter_opts, timestamps);
}
END_TEST

START_TEST(clock_pairs)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t ref = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    int64_t w, m;
    scope_clock_now(&w, &m);
    ck_assert(w >= ref && w - ref < 1000000000LL);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t mref = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    ck_assert(m <= mref && mref - m < 1000000000LL);
    ck_assert(scope_clock_mono_ns() >= mref);
    ck_assert(scope_clock_wall_ns() >= w);
    scope_clock_now(NULL, NULL); /* both optional */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("core");
    TCase *t = tcase_create("core");
    tcase_add_test(t, version_matches_headers);
    tcase_add_test(t, error_codes_are_fixed);
    tcase_add_test(t, last_error_is_set_and_cleared);
    tcase_add_test(t, errno_is_kept);
    tcase_add_test(t, last_error_is_per_thread);
    tcase_add_test(t, opts_size_rules);
    tcase_add_test(t, clock_pairs);
    tcase_add_test(t, opts_structs_have_no_padding);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
