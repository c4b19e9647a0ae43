/* The series model: identity, columns, merge, slice, rate. Expected values
 * are computed by hand in each test. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scope/scope.h>

static scope_series_set *set;

static void setup(void) { ck_assert_int_eq(scope_series_set_new(&set), 0); }
static void teardown(void) { scope_series_set_free(set); }

static scope_series *add2(const char *name, const char *k1, const char *v1, const char *k2,
                          const char *v2, int kind)
{
    const char *k[2] = {k1, k2}, *v[2] = {v1, v2};
    scope_series *s = NULL;
    ck_assert_int_eq(scope_series_set_add(&s, set, name, k, v, k2 ? 2 : (k1 ? 1 : 0), "seconds",
                                          kind, "help text"),
                     0);
    return s;
}

START_TEST(identity_and_lookup)
{
    scope_series *a = add2("cpu_seconds_total", "pod", "p1", "container", "envoy", SCOPE_COUNTER);
    /* Same labels in another order: the same series. */
    scope_series *b = add2("cpu_seconds_total", "container", "envoy", "pod", "p1", SCOPE_COUNTER);
    ck_assert_ptr_eq(a, b);
    ck_assert_uint_eq(scope_series_set_count(set), 1);
    /* Labels are stored sorted by key. */
    ck_assert_str_eq(scope_series_label_key(a, 0), "container");
    ck_assert_str_eq(scope_series_label_value(a, 1), "p1");
    ck_assert_str_eq(scope_series_label(a, "pod"), "p1");
    ck_assert_ptr_null(scope_series_label(a, "node"));
    ck_assert_ptr_null(scope_series_label_key(a, 2));
    ck_assert_str_eq(scope_series_unit(a), "seconds");
    ck_assert_str_eq(scope_series_help(a), "help text");
    ck_assert_int_eq(scope_series_kind(a), SCOPE_COUNTER);
    /* Different value, different series. */
    scope_series *c = add2("cpu_seconds_total", "container", "app", "pod", "p1", SCOPE_COUNTER);
    ck_assert_ptr_ne(a, c);
    /* Prefix collisions are different identities. */
    scope_series *d = add2("cpu_seconds_total", "container", "appp", "pod", "1", SCOPE_COUNTER);
    ck_assert_ptr_ne(c, d);
    ck_assert_uint_eq(scope_series_set_count(set), 3);
    ck_assert_ptr_eq(scope_series_set_at(set, 1), c);
    ck_assert_ptr_null(scope_series_set_at(set, 3));

    const char *k[2] = {"pod", "container"}, *v[2] = {"p1", "app"};
    scope_series *f;
    ck_assert_int_eq(scope_series_set_find(&f, set, "cpu_seconds_total", k, v, 2), 0);
    ck_assert_ptr_eq(f, c);
    ck_assert_int_eq(scope_series_set_find(&f, set, "cpu_seconds_total", k, v, 1), SCOPE_ENOENT);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(scope_error_code(), SCOPE_ENOENT);
}
END_TEST

START_TEST(many_series_hash)
{
    char val[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(val, sizeof val, "c%d", i);
        const char *k[1] = {"cgroup"}, *v[1] = {val};
        ck_assert_int_eq(scope_series_set_add(NULL, set, "m", k, v, 1, "", SCOPE_GAUGE, NULL), 0);
    }
    ck_assert_uint_eq(scope_series_set_count(set), 5000);
    for (int i = 0; i < 5000; i += 7) {
        snprintf(val, sizeof val, "c%d", i);
        const char *k[1] = {"cgroup"}, *v[1] = {val};
        scope_series *s;
        ck_assert_int_eq(scope_series_set_find(&s, set, "m", k, v, 1), 0);
        ck_assert_str_eq(scope_series_label(s, "cgroup"), val);
        ck_assert_ptr_eq(s, scope_series_set_at(set, (size_t)i));
    }
}
END_TEST

START_TEST(rejects_bad_identities)
{
    const char *k[2] = {"a", "a"}, *v[2] = {"1", "2"};
    ck_assert_int_eq(scope_series_set_add(NULL, set, "m", k, v, 2, "", SCOPE_GAUGE, NULL),
                     SCOPE_EINVAL);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "twice"));
    const char *bk[1] = {"__name__"};
    ck_assert_int_eq(scope_series_set_add(NULL, set, "m", bk, v, 1, "", SCOPE_GAUGE, NULL),
                     SCOPE_EINVAL);
    const char *ck[1] = {"a-b"};
    ck_assert_int_eq(scope_series_set_add(NULL, set, "m", ck, v, 1, "", SCOPE_GAUGE, NULL),
                     SCOPE_EINVAL);
    ck_assert_int_eq(scope_series_set_add(NULL, set, "1m", NULL, NULL, 0, "", SCOPE_GAUGE, NULL),
                     SCOPE_EINVAL);
    ck_assert_int_eq(scope_series_set_add(NULL, set, "", NULL, NULL, 0, "", SCOPE_GAUGE, NULL),
                     SCOPE_EINVAL);
    ck_assert_int_eq(scope_series_set_add(NULL, set, "m", NULL, NULL, 0, "", 7, NULL),
                     SCOPE_EINVAL);
    ck_assert_int_eq(scope_series_set_add(NULL, set, "ns:m", NULL, NULL, 0, "", SCOPE_GAUGE, NULL),
                     0);
    /* Same identity, another kind or unit: a clash. */
    ck_assert_int_eq(scope_series_set_add(NULL, set, "ns:m", NULL, NULL, 0, "", SCOPE_COUNTER,
                                          NULL),
                     SCOPE_EINVAL);
    ck_assert_int_eq(scope_series_set_add(NULL, set, "ns:m", NULL, NULL, 0, "bytes", SCOPE_GAUGE,
                                          NULL),
                     SCOPE_EINVAL);
    ck_assert_uint_eq(scope_series_set_count(set), 1);
}
END_TEST

START_TEST(append_columns)
{
    scope_series *s = add2("g", NULL, NULL, NULL, NULL, SCOPE_GAUGE);
    ck_assert_ptr_null(scope_series_timestamps(s));
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(scope_series_append(s, 1000 + i, i * 0.5), 0);
    ck_assert_int_eq(scope_series_append(s, 1999, NAN), 0); /* equal ts allowed */
    ck_assert_int_eq(scope_series_append(s, 10, 1.0), SCOPE_EINVAL);
    ck_assert_uint_eq(scope_series_count(s), 1001);
    const int64_t *t = scope_series_timestamps(s);
    const double *v = scope_series_values(s);
    ck_assert_int_eq(t[0], 1000);
    ck_assert_int_eq(t[999], 1999);
    ck_assert_double_eq(v[999], 499.5);
    ck_assert(isnan(v[1000]));

    int64_t ts[3] = {3000, 3000, 3001};
    double vs[3] = {1, 2, 3};
    ck_assert_int_eq(scope_series_append_n(s, ts, vs, 3), 0);
    int64_t bad[2] = {4000, 3999};
    ck_assert_int_eq(scope_series_append_n(s, bad, vs, 2), SCOPE_EINVAL);
    ck_assert_uint_eq(scope_series_count(s), 1004); /* nothing of the bad batch */
    ck_assert_int_eq(scope_series_reserve(s, 100000), 0);
    ck_assert_uint_eq(scope_series_count(s), 1004);
    ck_assert_double_eq(scope_series_values(s)[1003], 3);

    ck_assert_int_eq(scope_series_end_time(s), 0);
    ck_assert_int_eq(scope_series_end(s, 5000), 0);
    ck_assert_int_eq(scope_series_end(s, 6000), 0);
    ck_assert_int_eq(scope_series_end_time(s), 5000);
    ck_assert_int_eq(scope_series_append(s, 5001, 1), SCOPE_EINVAL);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "ended"));
}
END_TEST

START_TEST(merge_sets)
{
    scope_series *a = add2("m", "x", "1", NULL, NULL, SCOPE_GAUGE);
    scope_series_append(a, 10, 1);
    scope_series_append(a, 30, 3);
    scope_series_append(a, 50, 5);
    scope_series_set *o;
    scope_series_set_new(&o);
    const char *k[1] = {"x"}, *v1[1] = {"1"}, *v2[1] = {"2"};
    scope_series *b, *c;
    scope_series_set_add(&b, o, "m", k, v1, 1, "seconds", SCOPE_GAUGE, NULL);
    scope_series_append(b, 20, 2);
    scope_series_append(b, 30, 33); /* same timestamp: replaces a's 3 */
    scope_series_append(b, 60, 6);
    scope_series_set_add(&c, o, "m", k, v2, 1, "seconds", SCOPE_GAUGE, NULL);
    scope_series_append(c, 5, 9);
    scope_series_end(c, 7);
    ck_assert_int_eq(scope_series_set_merge(set, o), 0);
    ck_assert_uint_eq(scope_series_set_count(set), 2);
    int64_t et[] = {10, 20, 30, 50, 60};
    double ev[] = {1, 2, 33, 5, 6};
    ck_assert_uint_eq(scope_series_count(a), 5);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(scope_series_timestamps(a)[i], et[i]);
        ck_assert_double_eq(scope_series_values(a)[i], ev[i]);
    }
    scope_series *cc;
    ck_assert_int_eq(scope_series_set_find(&cc, set, "m", k, v2, 1), 0);
    ck_assert_int_eq(scope_series_end_time(cc), 7);
    ck_assert_double_eq(scope_series_values(cc)[0], 9);
    /* src unchanged */
    ck_assert_uint_eq(scope_series_count(b), 3);
    ck_assert_int_eq(scope_series_set_merge(set, set), SCOPE_EINVAL);
    /* Appending merge (fast path). */
    scope_series_set *p;
    scope_series_set_new(&p);
    scope_series *d;
    scope_series_set_add(&d, p, "m", k, v1, 1, "seconds", SCOPE_GAUGE, NULL);
    scope_series_append(d, 70, 7);
    ck_assert_int_eq(scope_series_set_merge(set, p), 0);
    ck_assert_uint_eq(scope_series_count(a), 6);
    ck_assert_int_eq(scope_series_timestamps(a)[5], 70);
    /* A kind clash fails. */
    scope_series_set *q;
    scope_series_set_new(&q);
    scope_series_set_add(NULL, q, "m", k, v1, 1, "seconds", SCOPE_COUNTER, NULL);
    ck_assert_int_eq(scope_series_set_merge(set, q), SCOPE_EINVAL);
    scope_series_set_free(o);
    scope_series_set_free(p);
    scope_series_set_free(q);
}
END_TEST

START_TEST(slice_window)
{
    scope_series *a = add2("m", NULL, NULL, NULL, NULL, SCOPE_GAUGE);
    scope_series *e = add2("empty", NULL, NULL, NULL, NULL, SCOPE_GAUGE);
    (void)e;
    for (int i = 0; i < 10; i++)
        scope_series_append(a, i * 10, i);
    scope_series_set *w;
    ck_assert_int_eq(scope_series_set_slice(&w, set, 25, 60), 0);
    ck_assert_uint_eq(scope_series_set_count(w), 2);
    scope_series *ws = scope_series_set_at(w, 0);
    ck_assert_uint_eq(scope_series_count(ws), 3); /* 30, 40, 50 */
    ck_assert_int_eq(scope_series_timestamps(ws)[0], 30);
    ck_assert_double_eq(scope_series_values(ws)[2], 5);
    ck_assert_uint_eq(scope_series_count(scope_series_set_at(w, 1)), 0);
    scope_series_set_free(w);
    ck_assert_int_eq(scope_series_set_slice(&w, set, 60, 25), SCOPE_EINVAL);
    ck_assert_ptr_null(w);
    ck_assert_int_eq(scope_series_set_slice(&w, set, 0, 0), 0); /* empty window */
    ck_assert_uint_eq(scope_series_count(scope_series_set_at(w, 0)), 0);
    scope_series_set_free(w);
}
END_TEST

START_TEST(rates_with_reset)
{
    scope_series *c = add2("bytes_total", "dev", "eth0", NULL, NULL, SCOPE_COUNTER);
    scope_series *g = add2("temp", NULL, NULL, NULL, NULL, SCOPE_GAUGE);
    scope_series_append(g, 0, 1);
    /* t in ns: 0, 1 s, 2 s, 2.5 s, 4 s; counter resets after 2 s. */
    scope_series_append(c, 0, 100);
    scope_series_append(c, 1000000000LL, 300);
    scope_series_append(c, 2000000000LL, 600);
    scope_series_append(c, 2500000000LL, 50);
    scope_series_append(c, 4000000000LL, 200);
    scope_series_set *r;
    ck_assert_int_eq(scope_series_set_rate(&r, set), 0);
    ck_assert_uint_eq(scope_series_set_count(r), 1); /* gauges are not rated */
    scope_series *s = scope_series_set_at(r, 0);
    ck_assert_str_eq(scope_series_name(s), "bytes_total");
    ck_assert_str_eq(scope_series_label(s, "dev"), "eth0");
    ck_assert_int_eq(scope_series_kind(s), SCOPE_GAUGE);
    ck_assert_str_eq(scope_series_unit(s), "seconds/s");
    double expect[] = {200, 300, 100 /* reset: 50 over 0.5 s */, 100};
    ck_assert_uint_eq(scope_series_count(s), 4);
    for (int i = 0; i < 4; i++)
        ck_assert_double_eq_tol(scope_series_values(s)[i], expect[i], 1e-9);
    ck_assert_int_eq(scope_series_timestamps(s)[2], 2500000000LL);
    scope_series_set_free(r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("series");
    TCase *t = tcase_create("series");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, identity_and_lookup);
    tcase_add_test(t, many_series_hash);
    tcase_add_test(t, rejects_bad_identities);
    tcase_add_test(t, append_columns);
    tcase_add_test(t, merge_sets);
    tcase_add_test(t, slice_window);
    tcase_add_test(t, rates_with_reset);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
