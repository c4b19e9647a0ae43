/* Exporters: exact output for hand-built sets, promtool's verdict on the
 * Prometheus text, errors from real failing files. */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <scope/scope.h>

static scope_series_set *set;

static void setup(void)
{
    scope_series_set_new(&set);
    const char *k[2] = {"container", "path"}, *v[2] = {"envoy", "a\"b\\c,d\ne"};
    scope_series *c, *g, *e;
    scope_series_set_add(&c, set, "container_cpu_usage_seconds_total", k, v, 1, "seconds",
                         SCOPE_COUNTER, "Cumulative CPU time");
    scope_series_append(c, 1700000000000000000LL, 1.5);
    scope_series_append(c, 1700000000100000000LL, 2.25);
    scope_series_set_add(&g, set, "odd_value", k, v, 2, "1", SCOPE_GAUGE, "Line one\nline \\two");
    scope_series_append(g, 1700000000000000000LL, NAN);
    scope_series_append(g, 1700000000100000000LL, -INFINITY);
    scope_series_append(g, 1700000000200000000LL, 0.1);
    /* A series without points is left out of the Prometheus output. */
    scope_series_set_add(&e, set, "empty_gauge", NULL, NULL, 0, "", SCOPE_GAUGE, NULL);
}

static void teardown(void) { scope_series_set_free(set); }

static char *render(int format, const scope_export_opts *o)
{
    char *out;
    size_t len;
    ck_assert_int_eq(scope_export_buffer(&out, &len, set, format, o), 0);
    ck_assert_uint_eq(len, strlen(out));
    return out;
}

START_TEST(csv_exact)
{
    char *s = render(SCOPE_EXPORT_CSV, NULL);
    ck_assert_str_eq(s,
                     "timestamp_ns,metric,labels,value\n"
                     "1700000000000000000,container_cpu_usage_seconds_total,"
                     "\"{container=\"\"envoy\"\"}\",1.5\n"
                     "1700000000100000000,container_cpu_usage_seconds_total,"
                     "\"{container=\"\"envoy\"\"}\",2.25\n"
                     "1700000000000000000,odd_value,\"{container=\"\"envoy\"\",path=\"\"a\\\"\"b"
                     "\\\\c,d\\ne\"\"}\",NaN\n"
                     "1700000000100000000,odd_value,\"{container=\"\"envoy\"\",path=\"\"a\\\"\"b"
                     "\\\\c,d\\ne\"\"}\",-Inf\n"
                     "1700000000200000000,odd_value,\"{container=\"\"envoy\"\",path=\"\"a\\\"\"b"
                     "\\\\c,d\\ne\"\"}\",0.1\n");
    scope_buffer_free(s);
    scope_export_opts o = SCOPE_EXPORT_OPTS_INIT;
    o.no_header = 1;
    s = render(SCOPE_EXPORT_CSV, &o);
    ck_assert(strncmp(s, "1700000000000000000,", 20) == 0);
    scope_buffer_free(s);
}
END_TEST

START_TEST(jsonl_exact)
{
    char *s = render(SCOPE_EXPORT_JSONL, NULL);
    const char *lab = "\"labels\":{\"container\":\"envoy\",\"path\":\"a\\\"b\\\\c,d\\ne\"}";
    char expect[2048];
    snprintf(expect, sizeof expect,
             "{\"timestamp_ns\":1700000000000000000,\"metric\":\"container_cpu_usage_seconds_"
             "total\",\"labels\":{\"container\":\"envoy\"},\"value\":1.5}\n"
             "{\"timestamp_ns\":1700000000100000000,\"metric\":\"container_cpu_usage_seconds_"
             "total\",\"labels\":{\"container\":\"envoy\"},\"value\":2.25}\n"
             "{\"timestamp_ns\":1700000000000000000,\"metric\":\"odd_value\",%s,\"value\":\"NaN\"}\n"
             "{\"timestamp_ns\":1700000000100000000,\"metric\":\"odd_value\",%s,\"value\":\"-Inf\"}\n"
             "{\"timestamp_ns\":1700000000200000000,\"metric\":\"odd_value\",%s,\"value\":0.1}\n",
             lab, lab, lab);
    ck_assert_str_eq(s, expect);
    scope_buffer_free(s);
}
END_TEST

START_TEST(prometheus_exact_and_promtool)
{
    char *s = render(SCOPE_EXPORT_PROMETHEUS, NULL);
    ck_assert_str_eq(s, "# HELP container_cpu_usage_seconds_total Cumulative CPU time\n"
                        "# TYPE container_cpu_usage_seconds_total counter\n"
                        "container_cpu_usage_seconds_total{container=\"envoy\"} 2.25\n"
                        "# HELP odd_value Line one\\nline \\\\two\n"
                        "# TYPE odd_value gauge\n"
                        "odd_value{container=\"envoy\",path=\"a\\\"b\\\\c,d\\ne\"} "
                        "0.1\n");
    /* promtool is the judge of validity. */
    char path[] = "/tmp/scope-export-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "promtool check metrics < %s", path);
    int rc = system(cmd);
    unlink(path);
    ck_assert_msg(rc == 0, "promtool check metrics rejected the output (rc %d)", rc);
    scope_buffer_free(s);

    scope_export_opts o = SCOPE_EXPORT_OPTS_INIT;
    o.timestamps = 1;
    s = render(SCOPE_EXPORT_PROMETHEUS, &o);
    ck_assert_ptr_nonnull(strstr(s, "{container=\"envoy\"} 2.25 1700000000100\n"));
    scope_buffer_free(s);
}
END_TEST

START_TEST(openmetrics_all_points)
{
    char *s = render(SCOPE_EXPORT_OPENMETRICS, NULL);
    ck_assert_str_eq(s, "# HELP container_cpu_usage_seconds Cumulative CPU time\n"
                        "# TYPE container_cpu_usage_seconds counter\n"
                        "container_cpu_usage_seconds_total{container=\"envoy\"} 1.5 "
                        "1700000000.000000000\n"
                        "container_cpu_usage_seconds_total{container=\"envoy\"} 2.25 "
                        "1700000000.100000000\n"
                        "# HELP odd_value Line one\\nline \\\\two\n"
                        "# TYPE odd_value gauge\n"
                        "odd_value{container=\"envoy\",path=\"a\\\"b\\\\c,d\\ne\"} NaN "
                        "1700000000.000000000\n"
                        "odd_value{container=\"envoy\",path=\"a\\\"b\\\\c,d\\ne\"} -Inf "
                        "1700000000.100000000\n"
                        "odd_value{container=\"envoy\",path=\"a\\\"b\\\\c,d\\ne\"} "
                        "0.1 1700000000.200000000\n"
                        "# EOF\n");
    scope_buffer_free(s);
}
END_TEST

START_TEST(files_and_errors)
{
    char dir[] = "/tmp/scope-exp-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/out.csv", dir);
    ck_assert_int_eq(scope_export_path(set, SCOPE_EXPORT_CSV, path, NULL), 0);
    char *mem = NULL;
    scope_export_buffer(&mem, NULL, set, SCOPE_EXPORT_CSV, NULL);
    FILE *f = fopen(path, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    ck_assert_str_eq(buf, mem); /* the file holds what the buffer holds */
    scope_buffer_free(mem);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    ck_assert_int_ne(access(tmp, F_OK), 0); /* renamed, not left behind */
    unlink(path);
    rmdir(dir);

    ck_assert_int_eq(scope_export_path(set, SCOPE_EXPORT_CSV, "/nonexistent-dir/x.csv", NULL),
                     SCOPE_ENOENT);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "/nonexistent-dir/x.csv"));
    /* Special files are written in place, never replaced by a rename. */
    ck_assert_int_eq(scope_export_path(set, SCOPE_EXPORT_CSV, "/dev/null", NULL), 0);
    struct stat st;
    ck_assert_int_eq(stat("/dev/null", &st), 0);
    ck_assert(S_ISCHR(st.st_mode));
    ck_assert_int_eq(access("/dev/null.tmp", F_OK), -1);
    ck_assert_int_eq(scope_export_path(set, SCOPE_EXPORT_CSV, "/dev/full", NULL), SCOPE_EIO);
    ck_assert_int_eq(scope_export_path(set, SCOPE_EXPORT_CSV, "/tmp", NULL), SCOPE_EINVAL);
    FILE *full = fopen("/dev/full", "w");
    ck_assert_ptr_nonnull(full);
    ck_assert_int_eq(scope_export_write(set, SCOPE_EXPORT_JSONL, full, NULL), SCOPE_EIO);
    ck_assert_int_eq(scope_error_errno(), ENOSPC);
    fclose(full);
    ck_assert_int_eq(scope_export_write(set, 99, stdout, NULL), SCOPE_EINVAL);
    ck_assert_int_eq(scope_export_write(set, SCOPE_EXPORT_CSV, NULL, NULL), SCOPE_EINVAL);
    char *out = (char *)1;
    ck_assert_int_eq(scope_export_buffer(&out, NULL, NULL, SCOPE_EXPORT_CSV, NULL), SCOPE_EINVAL);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(scope_export_format_name(SCOPE_EXPORT_OPENMETRICS), "openmetrics");
    ck_assert_str_eq(scope_export_format_name(0), "unknown");
    scope_export_opts bad;
    memset(&bad, 0, sizeof bad);
    ck_assert_int_eq(scope_export_buffer(&out, NULL, set, SCOPE_EXPORT_CSV, &bad), SCOPE_EINVAL);
    ck_assert_int_eq(scope_export_opts_init(&bad, sizeof bad), 0);
    ck_assert_int_eq(scope_export_buffer(&out, NULL, set, SCOPE_EXPORT_CSV, &bad), 0);
    scope_buffer_free(out);
}
END_TEST

START_TEST(shortest_exact_numbers)
{
    scope_series_set *e;
    scope_series_set_new(&e);
    scope_series *s;
    scope_series_set_add(&s, e, "v", NULL, NULL, 0, "", SCOPE_GAUGE, NULL);
    double vals[] = {0.1, 1.0 / 3.0, 5669.4577233489999, 1e300, -2.5e-310, 123456789012345678.0};
    for (int i = 0; i < 6; i++)
        scope_series_append(s, i, vals[i]);
    char *out;
    ck_assert_int_eq(scope_export_buffer(&out, NULL, e, SCOPE_EXPORT_CSV, NULL), 0);
    /* Every value reads back as the same double. */
    char *line = strchr(out, '\n') + 1;
    for (int i = 0; i < 6; i++) {
        char *comma = strrchr(strtok(i ? NULL : line, "\n"), ',');
        ck_assert_double_eq(strtod(comma + 1, NULL), vals[i]);
    }
    scope_buffer_free(out);
    ck_assert_int_eq(scope_export_buffer(&out, NULL, e, SCOPE_EXPORT_JSONL, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "\"value\":0.1}"));
    ck_assert_ptr_nonnull(strstr(out, "\"value\":0.3333333333333333}"));
    ck_assert_ptr_nonnull(strstr(out, "\"value\":5669.457723349}"));
    scope_buffer_free(out);
    scope_series_set_free(e);
}
END_TEST

START_TEST(empty_set)
{
    scope_series_set *e;
    scope_series_set_new(&e);
    char *out;
    ck_assert_int_eq(scope_export_buffer(&out, NULL, e, SCOPE_EXPORT_PROMETHEUS, NULL), 0);
    ck_assert_str_eq(out, "");
    scope_buffer_free(out);
    ck_assert_int_eq(scope_export_buffer(&out, NULL, e, SCOPE_EXPORT_OPENMETRICS, NULL), 0);
    ck_assert_str_eq(out, "# EOF\n");
    scope_buffer_free(out);
    scope_series_set_free(e);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("export");
    TCase *t = tcase_create("export");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, csv_exact);
    tcase_add_test(t, jsonl_exact);
    tcase_add_test(t, prometheus_exact_and_promtool);
    tcase_add_test(t, openmetrics_all_points);
    tcase_add_test(t, files_and_errors);
    tcase_add_test(t, shortest_exact_numbers);
    tcase_add_test(t, empty_set);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
