/* The examples' JSON inputs (examples/common/experiment.c, shared by
 * scope-run, scope-load and fuzz/fuzz_experiment.c): the documented
 * experiment and mixes, and the regression inputs of the experiment fuzz
 * target (tests/fixtures/fuzz/experiment/regress-*.json). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/experiment.h"

#define URL "http://127.0.0.1:9/"

static json_t *fixture(const char *name)
{
    char path[1024];
    const char *dir = getenv("SCOPE_FIXTURES");
    ck_assert_msg(dir, "SCOPE_FIXTURES is not set (run through ctest)");
    snprintf(path, sizeof path, "%s/fuzz/experiment/%s", dir, name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    ck_assert_msg(j, "%s: %s", path, e.text);
    return j;
}

/* Parses @j with the defaults first; returns exp_parse's result and leaves
 * what it printed in @msg. */
static int parse(struct exp *x, json_t *j, char *msg, size_t cap)
{
    exp_defaults(x);
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    int rc = exp_parse(x, j, "t.json", f);
    rewind(f);
    size_t n = fread(msg, 1, cap - 1, f);
    msg[n] = '\0';
    fclose(f);
    return rc;
}

static int validate(const struct exp *x, char *msg, size_t cap)
{
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    int rc = exp_validate(x, f);
    rewind(f);
    size_t n = fread(msg, 1, cap - 1, f);
    msg[n] = '\0';
    fclose(f);
    return rc;
}

START_TEST(documented_experiment_round_trips)
{
    /* Every field of docs/scope-run.md's experiment reaches the manifest
     * unchanged. */
    json_t *j = fixture("docs-experiment.json");
    struct exp x;
    char msg[512];
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_str_eq(msg, "");
    ck_assert_int_eq(validate(&x, msg, sizeof msg), 0);
    json_t *load = json_object_get(j, "load");
    ck_assert_int_eq(x.nconfigs, 2);
    ck_assert_int_eq(x.connections, json_integer_value(json_object_get(load, "connections")));
    ck_assert_int_eq(x.threads, json_integer_value(json_object_get(load, "threads")));
    ck_assert_int_eq(x.reps, json_integer_value(json_object_get(j, "repetitions")));
    ck_assert(x.duration == json_number_value(json_object_get(load, "duration_s")));
    ck_assert(!x.closed);
    json_t *m = exp_to_json(&x);
    ck_assert_ptr_nonnull(m);
    ck_assert(json_equal(json_object_get(m, "configurations"), json_object_get(j, "configurations")));
    ck_assert(json_equal(json_object_get(m, "targets"), json_object_get(j, "targets")));
    ck_assert(json_equal(json_object_get(m, "prometheus"), json_object_get(j, "prometheus")));
    ck_assert(json_equal(json_object_get(m, "mix"), json_object_get(load, "mix")));
    ck_assert(json_equal(json_object_get(m, "rates"), json_object_get(load, "rates")));
    ck_assert(json_equal(json_object_get(m, "events"), json_object_get(j, "events")));
    json_decref(m);

    /* The mix becomes request types on a load handle; a payload sweep
     * value becomes every type's body. */
    scope_load *l;
    const char *what;
    ck_assert_int_eq(exp_new_load(&x, URL, 100, 1, 0, 64, &l, &what), 0);
    ck_assert_ptr_nonnull(l);
    scope_load_free(l);
    exp_release(&x);
    json_decref(j);

    /* https settings reach the manifest and the load handle: a ca_file that
     * is not PEM is refused when the handle is made, naming the file */
    j = json_pack("{s:s,s:{s:b,s:s}}", "url", "https://127.0.0.1:9/", "load", "tls_insecure", 1,
                  "ca_file", "/etc/hostname");
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_int_eq(x.tls_insecure, 1);
    ck_assert_str_eq(x.ca_file, "/etc/hostname");
    m = exp_to_json(&x);
    ck_assert(json_is_true(json_object_get(m, "tls_insecure")));
    ck_assert_str_eq(json_string_value(json_object_get(m, "ca_file")), "/etc/hostname");
    json_decref(m);
    x.tls_insecure = 0;
    ck_assert_int_eq(exp_new_load(&x, "https://127.0.0.1:9/", 100, 1, 0, -1, &l, &what), -1);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "/etc/hostname"));
    exp_release(&x);
    json_decref(j);

    /* send slack and polling, in us: to the manifest and the handle, whose
     * own range check (polling <= 10 ms) names the field */
    j = json_pack("{s:s,s:{s:f,s:f}}", "url", URL, "load", "send_slack_us", 100.0, "poll_us",
                  20.0);
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_int_eq(exp_validate(&x, NULL), 0);
    ck_assert_double_eq(x.send_slack_us, 100.0);
    ck_assert_double_eq(x.poll_us, 20.0);
    m = exp_to_json(&x);
    ck_assert_double_eq(json_real_value(json_object_get(m, "send_slack_us")), 100.0);
    ck_assert_double_eq(json_real_value(json_object_get(m, "poll_us")), 20.0);
    json_decref(m);
    ck_assert_int_eq(exp_new_load(&x, URL, 100, 1, 0, -1, &l, &what), 0);
    scope_load_free(l);
    x.poll_us = 20000;
    ck_assert_int_eq(exp_new_load(&x, URL, 100, 1, 0, -1, &l, &what), -1);
    ck_assert_ptr_nonnull(strstr(scope_error_message(), "poll_ns"));
    x.poll_us = NAN;
    ck_assert_int_eq(exp_validate(&x, NULL), -1);
    x.poll_us = 0;
    x.send_slack_us = -1;
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "send_slack_us -1"));
    x.send_slack_us = 1e300;
    ck_assert_int_eq(exp_validate(&x, NULL), -1);
    exp_release(&x);
    json_decref(j);
}
END_TEST

START_TEST(strings_too_long_are_errors_not_cuts)
{
    /* A name of 62 ASCII bytes and a 2-byte character: the old 63-byte cut
     * split the character, and the manifest silently lost the
     * configuration. Now the file is refused and says which field. */
    struct exp x;
    char msg[512];
    json_t *j = fixture("regress-utf8-cut-name.json");
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "t.json") && strstr(msg, "configurations[0].name") &&
                      strstr(msg, "64 bytes") && strstr(msg, "at most 63"), "%s", msg);
    exp_release(&x);
    json_decref(j);

    /* The same at the 255-byte cut of "rates": the manifest could not be
     * built at all. */
    j = fixture("regress-utf8-cut-rates.json");
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "\"rates\"") && strstr(msg, "at most 255"), "%s", msg);
    exp_release(&x);
    json_decref(j);

    /* Exactly what fits is kept whole, multi-byte characters included. */
    char name[64];
    memset(name, 'a', 61);
    memcpy(name + 61, "\xc3\xa9", 3); /* 61 + 2 bytes */
    j = json_pack("{s:[{s:s,s:s}]}", "configurations", "name", name, "url", URL);
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_str_eq(x.configs[0].name, name);
    json_t *m = exp_to_json(&x);
    ck_assert_ptr_nonnull(m);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(m, "configurations"), 0), "name")),
                     name);
    json_decref(m);
    exp_release(&x);
    json_decref(j);

    /* A query name (an object key) that does not fit. */
    char key[80];
    memset(key, 'q', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    j = json_pack("{s:s,s:{s:s,s:{s:s}}}", "url", URL, "prometheus", "url", "http://127.0.0.1:9090",
                  "queries", key, "up");
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "query name") && strstr(msg, "79 bytes"), "%s", msg);
    exp_release(&x);
    json_decref(j);
}
END_TEST

START_TEST(numbers_out_of_range_are_errors)
{
    struct exp x;
    char msg[512];
    /* connections 2^32 + 10 used to wrap to 10. */
    json_t *j = fixture("regress-huge-numbers.json");
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "\"connections\" 4294967306 is out of range"), "%s", msg);
    exp_release(&x);
    json_decref(j);

    /* duration_s 1e300: seconds * 1e9 overflowed the conversion to
     * nanoseconds (undefined behaviour, found under UBSan). */
    j = json_pack("{s:s,s:{s:f}}", "url", URL, "load", "duration_s", 1e300);
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "at most 86400 s"), "%s", msg);
    json_decref(j);
    j = json_pack("{s:s,s:{s:f,s:f}}", "url", URL, "load", "duration_s", 86400.0, "warmup_s", 1e10);
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    json_decref(j);
    j = json_pack("{s:s,s:{s:f}}", "url", URL, "load", "duration_s", 86400.0);
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_int_eq(validate(&x, msg, sizeof msg), 0);
    json_decref(j);

    /* interval_ms 2^62: the recorder interval in ns overflowed. */
    j = json_pack("{s:s,s:I}", "url", URL, "interval_ms", (json_int_t)1 << 62);
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "interval 4611686018427387904 ms"), "%s", msg);
    json_decref(j);
    j = json_pack("{s:s,s:i}", "url", URL, "interval_ms", -5);
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    json_decref(j);

    /* Flags can give what JSON cannot: NaN and infinities (atof). */
    exp_defaults(&x);
    x.nconfigs = 1;
    ck_assert_int_eq(validate(&x, msg, sizeof msg), 0);
    x.duration = NAN;
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    x.duration = 3;
    x.warmup = -INFINITY; /* 2 s + warm-up is the probe's length */
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    x.warmup = -1; /* negative: no warm-up, as before */
    ck_assert_int_eq(validate(&x, msg, sizeof msg), 0);
    x.start_at = INFINITY; /* --start-at, converted to ns */
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "start time inf"), "%s", msg);
    x.start_at = NAN;
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    x.start_at = 1.7e9;
    ck_assert_int_eq(validate(&x, msg, sizeof msg), 0);

    /* The positivity check scope-run always made. */
    j = json_pack("{s:s,s:i}", "url", URL, "repetitions", 0);
    ck_assert_int_eq(parse(&x, j, msg, sizeof msg), 0);
    ck_assert_int_eq(validate(&x, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "must be positive"), "%s", msg);
    json_decref(j);
}
END_TEST

START_TEST(payload_sizes_are_whole_bytes)
{
    struct exp x;
    exp_defaults(&x);
    double *v;
    size_t n;
    ck_assert_int_eq(exp_payload_sizes(&x, &v, &n, NULL), 0);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(n, 1);
    snprintf(x.payloads, sizeof x.payloads, "0:4096:1024");
    ck_assert_int_eq(exp_payload_sizes(&x, &v, &n, NULL), 0);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++)
        ck_assert(v[i] == 1024.0 * (double)i);
    scope_load_sweep_free(v);
    /* 1e300 was converted to long unchecked (undefined behaviour). */
    static const char *bad[] = {"1e300", "1073741825", "10.5", "-1", "x"};
    static double sentinel;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(x.payloads, sizeof x.payloads, "%s", bad[i]);
        v = &sentinel; /* must be reset to NULL */
        ck_assert_msg(exp_payload_sizes(&x, &v, &n, NULL) == -1, "%s", bad[i]);
        ck_assert_ptr_null(v);
    }
}
END_TEST

START_TEST(flag_values_are_never_cut)
{
    char dst[8], msg[256];
    ck_assert_int_eq(exp_set(dst, sizeof dst, "abcdefg", 7, "--x", NULL), 0);
    ck_assert_str_eq(dst, "abcdefg");
    ck_assert_int_eq(exp_set(dst, sizeof dst, "ab=rest", 2, "--x NAME", NULL), 0);
    ck_assert_str_eq(dst, "ab");
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(exp_set(dst, sizeof dst, "abcdef\xc3\xa9", 8, "--rates", f), -1);
    rewind(f);
    msg[fread(msg, 1, sizeof msg - 1, f)] = '\0';
    fclose(f);
    ck_assert_str_eq(msg, "scope-run: --rates is 8 bytes long; at most 7 fit: shorten it\n");
}
END_TEST

static int apply_mix(const char *name, char *msg, size_t cap)
{
    json_t *j = fixture(name);
    scope_load *l;
    ck_assert_int_eq(scope_load_new(&l, URL, NULL), 0);
    FILE *f = tmpfile();
    ck_assert_ptr_nonnull(f);
    int rc = mix_apply(l, j, name, f);
    rewind(f);
    size_t n = fread(msg, 1, cap - 1, f);
    msg[n] = '\0';
    fclose(f);
    scope_load_free(l);
    json_decref(j);
    return rc;
}

START_TEST(mixes)
{
    char msg[512];
    ck_assert_int_eq(apply_mix("hotel-mix.json", msg, sizeof msg), 0);
    ck_assert_str_eq(msg, "");
    ck_assert_int_eq(apply_mix("docs-mix.json", msg, sizeof msg), 0);
    ck_assert_int_eq(apply_mix("array-mix.json", msg, sizeof msg), 0);
    ck_assert_int_eq(apply_mix("bad-weight-mix.json", msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "bad-weight-mix.json: type 0 needs a \"name\" string and a numeric "
                              "\"weight\""), "%s", msg);
    /* An experiment is not a mix. */
    ck_assert_int_eq(apply_mix("docs-experiment.json", msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, "expected {\"types\": [...]}"), "%s", msg);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("experiment");
    TCase *tc = tcase_create("experiment");
    tcase_add_test(tc, documented_experiment_round_trips);
    tcase_add_test(tc, strings_too_long_are_errors_not_cuts);
    tcase_add_test(tc, numbers_out_of_range_are_errors);
    tcase_add_test(tc, payload_sizes_are_whole_bytes);
    tcase_add_test(tc, flag_values_are_never_cut);
    tcase_add_test(tc, mixes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
