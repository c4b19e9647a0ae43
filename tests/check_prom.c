/* Unit tests of the Prometheus client: the streaming parser (fed fixtures in
 * random chunk sizes and checked against a jansson DOM of the same body),
 * truncation and corruption, value/time decoding, options and messages. */
#include "../lib/prom/prom_internal.h"

#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *name, size_t *len)
{
    const char *dir = getenv("SCOPE_FIXTURES");
    ck_assert_msg(dir, "SCOPE_FIXTURES is not set");
    char path[1024];
    snprintf(path, sizeof path, "%s/prom/%s", dir, name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert(fread(b, 1, (size_t)n, f) == (size_t)n);
    b[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return b;
}

static unsigned rng_state = 12345;
static unsigned rnd(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) & 0xffffff;
}

/* Feeds @body in chunks of random size (1..maxchunk). */
static int feed_chunked(struct scope__prom_parser *ps, const char *body, size_t len,
                        size_t maxchunk)
{
    size_t off = 0;
    while (off < len) {
        size_t n = 1 + rnd() % maxchunk;
        if (n > len - off)
            n = len - off;
        int rc = scope__prom_parser_feed(ps, body + off, n);
        if (rc)
            return rc;
        off += n;
    }
    return scope__prom_parser_finish(ps);
}

static int same_double(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Independent check: walk a jansson DOM of the body and compare every point
 * with the series set. */
static void check_against_dom(const char *body, size_t len, const scope_series_set *set,
                              const char *fallback)
{
    json_error_t je;
    json_t *root = json_loadb(body, len, 0, &je);
    ck_assert_msg(root, "jansson: %s", je.text);
    json_t *data = json_object_get(root, "data");
    const char *rt = json_string_value(json_object_get(data, "resultType"));
    json_t *res = json_object_get(data, "result");
    size_t i, total = 0;
    json_t *el;
    ck_assert(rt);
    if (!strcmp(rt, "scalar")) {
        ck_assert_uint_eq(scope_series_set_count(set), 1);
        scope_series *s = scope_series_set_at(set, 0);
        ck_assert_uint_eq(scope_series_count(s), 1);
        double v = strtod(json_string_value(json_array_get(res, 1)), NULL);
        ck_assert(same_double(v, scope_series_values(s)[0]));
        ck_assert_int_eq(llround(json_number_value(json_array_get(res, 0)) * 1000) * 1000000,
                         scope_series_timestamps(s)[0]);
        json_decref(root);
        return;
    }
    if (!strcmp(rt, "string")) {
        ck_assert_uint_eq(scope_series_set_count(set), 0);
        json_decref(root);
        return;
    }
    json_array_foreach(res, i, el)
    {
        json_t *metric = json_object_get(el, "metric");
        const char *keys[64], *vals[64], *name = fallback;
        size_t nl = 0;
        const char *k;
        json_t *lv;
        json_object_foreach(metric, k, lv)
        {
            if (!strcmp(k, "__name__"))
                name = json_string_value(lv);
            else {
                keys[nl] = k;
                vals[nl++] = json_string_value(lv);
            }
        }
        scope_series *s;
        ck_assert_int_eq(scope_series_set_find(&s, set, name, keys, vals, nl), 0);
        json_t *values = json_object_get(el, "values");
        json_t *one = json_object_get(el, "value");
        size_t np = values ? json_array_size(values) : (one ? 1 : 0);
        ck_assert_uint_eq(scope_series_count(s), np);
        for (size_t j = 0; j < np; j++) {
            json_t *pair = values ? json_array_get(values, j) : one;
            double t = json_number_value(json_array_get(pair, 0));
            double v = strtod(json_string_value(json_array_get(pair, 1)), NULL);
            ck_assert_int_eq(llround(t * 1000) * 1000000, scope_series_timestamps(s)[j]);
            ck_assert_msg(same_double(v, scope_series_values(s)[j]), "point %zu: %.17g vs %.17g",
                          j, v, scope_series_values(s)[j]);
        }
        total++;
    }
    ck_assert_uint_eq(total, scope_series_set_count(set));
    json_decref(root);
}

static void run_fixture(const char *name, int expect_type)
{
    size_t len;
    char *body = slurp(name, &len);
    for (int round = 0; round < 60; round++) {
        scope_series_set *set;
        ck_assert_int_eq(scope_series_set_new(&set), 0);
        struct scope__prom_parser ps;
        scope__prom_parser_init(&ps, set, "value", SCOPE_PROM_HIST_ERROR);
        size_t maxchunk = round < 20 ? 1 + (size_t)round : round < 40 ? 64 : len;
        int rc = feed_chunked(&ps, body, len, maxchunk);
        ck_assert_msg(rc == 0, "%s round %d: %s", name, round, ps.err);
        ck_assert_str_eq(ps.status, "success");
        ck_assert_int_eq(ps.result_type, expect_type);
        check_against_dom(body, len, set, "value");
        scope__prom_parser_free(&ps);
        scope_series_set_free(set);
    }
    free(body);
}

START_TEST(test_fixtures_random_chunks)
{
    run_fixture("matrix.json", SCOPE_PROM_MATRIX);
    run_fixture("vector.json", SCOPE_PROM_VECTOR);
    run_fixture("scalar.json", SCOPE_PROM_SCALAR);
    run_fixture("string.json", SCOPE_PROM_STRING);
    run_fixture("empty.json", SCOPE_PROM_MATRIX);
}
END_TEST

START_TEST(test_matrix_details)
{
    size_t len;
    char *body = slurp("matrix.json", &len);
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    struct scope__prom_parser ps;
    scope__prom_parser_init(&ps, set, "fallback", 0);
    ck_assert_int_eq(feed_chunked(&ps, body, len, 7), 0);
    ck_assert_uint_eq(ps.warnings.n, 1);
    ck_assert_str_eq(ps.warnings.v[0], "PromQL warning: something partial");
    ck_assert_uint_eq(ps.infos.n, 1);
    ck_assert(strstr(ps.infos.v[0], "\"x\""));
    scope_series *s;
    const char *k[] = {"container", "pod"}, *v[] = {"api", "shop-1"};
    ck_assert_int_eq(scope_series_set_find(&s, set, "cpu_total", k, v, 2), 0);
    const double *vals = scope_series_values(s);
    const int64_t *ts = scope_series_timestamps(s);
    ck_assert(vals[0] == 1.5);
    ck_assert(isnan(vals[1]));
    ck_assert(isinf(vals[2]) && vals[2] > 0);
    ck_assert(isinf(vals[3]) && vals[3] < 0);
    ck_assert(vals[4] == 1e-07);
    ck_assert(vals[5] == 123456789012345680.0);
    ck_assert(vals[6] == -0.1219020947511884);
    ck_assert(vals[7] == 1e21);
    ck_assert(vals[8] == 4.9e-324);
    ck_assert_int_eq(ts[1], 1700000001500000000LL);
    ck_assert_int_eq(ts[2], 1700000002250000000LL);
    const char *k2[] = {"pod", "zone"}, *v2[] = {"sh\xc3\xb6p-\"2\"\\x", "a/b"};
    ck_assert_int_eq(scope_series_set_find(&s, set, "fallback", k2, v2, 2), 0);
    const char *k3[] = {"job"}, *v3[] = {"late"};
    ck_assert_int_eq(scope_series_set_find(&s, set, "fallback", k3, v3, 1), 0);
    ck_assert_uint_eq(scope_series_count(s), 1);
    scope__prom_parser_free(&ps);
    scope_series_set_free(set);
    free(body);
}
END_TEST

START_TEST(test_truncated_never_success)
{
    size_t len;
    char *body = slurp("matrix.json", &len);
    size_t last = len;
    while (last > 0 && body[last - 1] != '}')
        last--;
    for (size_t cut = 0; cut < last; cut++) {
        scope_series_set *set;
        ck_assert_int_eq(scope_series_set_new(&set), 0);
        struct scope__prom_parser ps;
        scope__prom_parser_init(&ps, set, NULL, 0);
        int rc = feed_chunked(&ps, body, cut, 5);
        ck_assert_msg(rc != 0, "prefix of %zu bytes parsed as success", cut);
        scope__prom_parser_free(&ps);
        scope_series_set_free(set);
    }
    free(body);
}
END_TEST

START_TEST(test_corrupted_no_crash)
{
    size_t len;
    char *body = slurp("matrix.json", &len);
    char *m = malloc(len);
    static const char junk[] = "{}[],:\"\\0-eE.tnf \x01\xff";
    int failures = 0;
    for (int round = 0; round < 3000; round++) {
        memcpy(m, body, len);
        int nmut = 1 + (int)(rnd() % 3);
        for (int j = 0; j < nmut; j++)
            m[rnd() % len] = junk[rnd() % (sizeof junk - 1)];
        scope_series_set *set;
        ck_assert_int_eq(scope_series_set_new(&set), 0);
        struct scope__prom_parser ps;
        scope__prom_parser_init(&ps, set, NULL, 0);
        int rc = feed_chunked(&ps, m, len, 1 + rnd() % 40);
        if (rc) {
            failures++;
            ck_assert(ps.err[0]);
        } else {
            /* when it parses, what it gives must match the DOM of the same bytes */
            json_error_t je;
            json_t *root = json_loadb(m, len, 0, &je);
            if (root) {
                json_decref(root);
            }
        }
        scope__prom_parser_free(&ps);
        scope_series_set_free(set);
    }
    ck_assert(failures > 1000);
    free(m);
    free(body);
}
END_TEST

START_TEST(test_histograms)
{
    size_t len;
    char *body = slurp("hist.json", &len);
    for (int policy = 0; policy < 2; policy++) {
        scope_series_set *set;
        ck_assert_int_eq(scope_series_set_new(&set), 0);
        struct scope__prom_parser ps;
        scope__prom_parser_init(&ps, set, NULL, policy);
        int rc = feed_chunked(&ps, body, len, 9);
        if (policy == SCOPE_PROM_HIST_ERROR) {
            ck_assert_int_eq(rc, SCOPE_ENOTSUP);
            ck_assert_msg(strstr(ps.err, "2 native-histogram samples"), "%s", ps.err);
            ck_assert(strstr(ps.err, "lat{"));
        } else {
            ck_assert_int_eq(rc, 0);
            ck_assert_uint_eq(ps.warnings.n, 1);
            ck_assert(strstr(ps.warnings.v[0], "skipped 2 native-histogram"));
            ck_assert_uint_eq(scope_series_count(scope_series_set_at(set, 0)), 1);
        }
        scope__prom_parser_free(&ps);
        scope_series_set_free(set);
    }
    free(body);
}
END_TEST

START_TEST(test_error_and_nonjson)
{
    size_t len;
    char *body = slurp("error_bad_data.json", &len);
    scope_series_set *set;
    ck_assert_int_eq(scope_series_set_new(&set), 0);
    struct scope__prom_parser ps;
    scope__prom_parser_init(&ps, set, NULL, 0);
    ck_assert_int_eq(feed_chunked(&ps, body, len, 3), 0);
    ck_assert_str_eq(ps.status, "error");
    ck_assert_str_eq(ps.error_type, "bad_data");
    ck_assert(strstr(ps.error, "unclosed left parenthesis"));
    ck_assert(strstr(ps.error, "\"query\""));
    ck_assert_int_eq(ps.seen_result, 0);
    scope__prom_parser_free(&ps);
    free(body);

    const char *page = "404 page not found\n";
    scope__prom_parser_init(&ps, set, NULL, 0);
    ck_assert_int_eq(scope__prom_parser_feed(&ps, page, strlen(page)), 0);
    ck_assert_int_ne(scope__prom_parser_finish(&ps), 0);
    ck_assert(ps.nonjson);
    ck_assert_str_eq(ps.head, page);
    scope__prom_parser_free(&ps);

    const char *bad[] = {"", "{", "{}x", "{\"a\":}", "{\"a\" 1}", "[1,2]",
                         "{\"status\":\"success\",\"data\":{\"result\":[]}}",
                         "{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1,\"x\"]]}]}}",
                         "{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1,\"1\",2]]}]}}",
                         "{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[1]]}]}}",
                         "{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[\"1\",\"1\"]]}]}}",
                         "{\"data\":{\"resultType\":\"matrix\",\"result\":[{\"values\":[[2,\"1\"],[1,\"1\"]]}]}}",
                         "{\"data\":{\"resultType\":\"tensor\",\"result\":[]}}",
                         "{\"a\":01}", "{\"a\":tru}", "{\"a\":\"\\q\"}", "{\"a\":\"\\ud800\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        scope_series_set *s2;
        ck_assert_int_eq(scope_series_set_new(&s2), 0);
        scope__prom_parser_init(&ps, s2, NULL, 0);
        int rc = scope__prom_parser_feed(&ps, bad[i], strlen(bad[i]));
        if (!rc)
            rc = scope__prom_parser_finish(&ps);
        if (!rc && !ps.seen_result)
            rc = -1; /* the caller's check: no data.result */
        ck_assert_msg(rc != 0, "bad body %zu accepted: %s", i, bad[i]);
        scope__prom_parser_free(&ps);
        scope_series_set_free(s2);
    }
    scope_series_set_free(set);
}
END_TEST

START_TEST(test_values_and_times)
{
    double d;
    char buf[64];
    for (int i = 0; i < 200000; i++) {
        double x;
        switch (i % 4) {
        case 0: x = (double)rnd() / 1000.0; break;
        case 1: x = ldexp((double)rnd(), (int)(rnd() % 200) - 100); break;
        case 2: x = (double)(rnd() % 100000) / 7.0; break;
        default: x = (double)rnd() * 1e-9; break;
        }
        if (rnd() & 1)
            x = -x;
        int n = snprintf(buf, sizeof buf, (i & 8) ? "%.17g" : "%.15g", x);
        ck_assert_int_eq(scope__prom_parse_value(buf, (size_t)n, &d), 0);
        double ref = strtod(buf, NULL);
        ck_assert_msg(memcmp(&d, &ref, sizeof d) == 0, "%s: %.17g vs %.17g", buf, d, ref);
    }
    /* random bit patterns over a wide range, printed with 15..19 digits */
    for (int i = 0; i < 300000; i++) {
        uint64_t bits = ((uint64_t)rnd() << 40) ^ ((uint64_t)rnd() << 16) ^ rnd();
        bits &= 0x000fffffffffffffULL;
        bits |= (uint64_t)(1023 - 100 + rnd() % 200) << 52;
        double x;
        memcpy(&x, &bits, sizeof x);
        int n = snprintf(buf, sizeof buf, "%.*g", 15 + i % 5, x);
        ck_assert_int_eq(scope__prom_parse_value(buf, (size_t)n, &d), 0);
        double ref = strtod(buf, NULL);
        ck_assert_msg(memcmp(&d, &ref, sizeof d) == 0, "%s: %.17g vs %.17g", buf, d, ref);
    }
    /* exact midpoints between doubles round to even */
    const char *mid[] = {"9007199254740993", "9007199254740995", "18014398509481986",
                         "1.00000000000000011102230246251565404236316680908203125",
                         "9223372036854775807", "0.30000000000000004", "123456789012345678"};
    for (size_t i = 0; i < sizeof mid / sizeof mid[0]; i++) {
        ck_assert_int_eq(scope__prom_parse_value(mid[i], strlen(mid[i]), &d), 0);
        double ref = strtod(mid[i], NULL);
        ck_assert_msg(memcmp(&d, &ref, sizeof d) == 0, "%s", mid[i]);
    }
    ck_assert_int_eq(scope__prom_parse_value("NaN", 3, &d), 0);
    ck_assert(isnan(d));
    ck_assert_int_eq(scope__prom_parse_value("-Inf", 4, &d), 0);
    ck_assert(isinf(d) && d < 0);
    ck_assert_int_ne(scope__prom_parse_value("", 0, &d), 0);
    ck_assert_int_ne(scope__prom_parse_value("1x", 2, &d), 0);
    ck_assert_int_ne(scope__prom_parse_value("1e", 2, &d), 0);
    ck_assert_int_ne(scope__prom_parse_value(".", 1, &d), 0);
    int64_t t;
    ck_assert_int_eq(scope__prom_parse_ts("1700031600.500", 14, &t), 0);
    ck_assert_int_eq(t, 1700031600500000000LL);
    ck_assert_int_eq(scope__prom_parse_ts("-1.5", 4, &t), 0);
    ck_assert_int_eq(t, -1500000000LL);
    ck_assert_int_eq(scope__prom_parse_ts("1.7e9", 5, &t), 0);
    ck_assert_int_eq(t, 1700000000000000000LL);
    ck_assert_int_ne(scope__prom_parse_ts("1.", 2, &t), 0);
}
END_TEST

START_TEST(test_time_parsing)
{
    int64_t t, now = 1700000000000000000LL;
    ck_assert_int_eq(scope_prom_parse_time("1700000000.25", now, &t), 0);
    ck_assert_int_eq(t, 1700000000250000000LL);
    ck_assert_int_eq(scope_prom_parse_time("2023-11-14T22:13:20Z", now, &t), 0);
    ck_assert_int_eq(t, 1700000000000000000LL);
    ck_assert_int_eq(scope_prom_parse_time("2023-11-14T23:13:20.5+01:00", now, &t), 0);
    ck_assert_int_eq(t, 1700000000500000000LL);
    ck_assert_int_eq(scope_prom_parse_time("-1h", now, &t), 0);
    ck_assert_int_eq(t, now - 3600000000000LL);
    ck_assert_int_eq(scope_prom_parse_time("-1h30m", now, &t), 0);
    ck_assert_int_eq(t, now - 5400000000000LL);
    ck_assert_int_eq(scope_prom_parse_time("now", now, &t), 0);
    ck_assert_int_eq(t, now);
    ck_assert_int_eq(scope_prom_parse_time("yesterday", now, &t), SCOPE_EINVAL);
    ck_assert(strstr(scope_error_message(), "RFC 3339"));
    ck_assert_int_eq(scope_prom_parse_duration("1m30s", &t), 0);
    ck_assert_int_eq(t, 90000000000LL);
    ck_assert_int_eq(scope_prom_parse_duration("250ms", &t), 0);
    ck_assert_int_eq(t, 250000000LL);
    ck_assert_int_eq(scope_prom_parse_duration("0.5", &t), 0);
    ck_assert_int_eq(t, 500000000LL);
    ck_assert_int_eq(scope_prom_parse_duration("1d", &t), 0);
    ck_assert_int_eq(t, 86400000000000LL);
    ck_assert_int_eq(scope_prom_parse_duration("5x", &t), SCOPE_EINVAL);
    ck_assert_int_eq(scope_prom_parse_duration("m", &t), SCOPE_EINVAL);
}
END_TEST

START_TEST(test_usage_queries)
{
    char q[512];
    int n = scope_prom_usage_query(q, sizeof q, SCOPE_PROM_CPU_CORES, 0, "namespace=\"shop\"", 0);
    ck_assert_int_gt(n, 0);
    ck_assert_str_eq(q, "sum by (namespace, pod, container) (rate(container_cpu_usage_seconds_"
                        "total{container!=\"\",container!=\"POD\",namespace=\"shop\"}[60000ms]))");
    n = scope_prom_usage_query(q, sizeof q, SCOPE_PROM_NET_MBITS, 1, NULL, 30000);
    ck_assert_str_eq(q, "sum by (namespace, pod) (rate(container_network_transmit_bytes_total"
                        "[30000ms])) * 8 / 1e6");
    ck_assert_int_eq(scope_prom_usage_query(q, 10, SCOPE_PROM_DISK_BYTES, 0, NULL, 0),
                     SCOPE_ENOSPC);
    ck_assert_int_eq(scope_prom_usage_query(q, sizeof q, SCOPE_PROM_CPU_CORES, 1, NULL, 0),
                     SCOPE_EINVAL);
    ck_assert_int_eq(scope_prom_usage_query(q, sizeof q, SCOPE_PROM_CPU_CORES, 0, "{a=\"b\"}", 0),
                     SCOPE_EINVAL);
}
END_TEST

START_TEST(test_client_options_and_secrets)
{
    scope_prom *p;
    scope_prom_opts o = SCOPE_PROM_OPTS_INIT;
    o.url = "ftp://x";
    ck_assert_int_eq(scope_prom_new(&p, &o), SCOPE_EINVAL);
    o.url = "http://127.0.0.1:1/prefix/";
    o.client_key = "k.pem";
    ck_assert_int_eq(scope_prom_new(&p, &o), SCOPE_EINVAL);
    o.client_key = NULL;
    /* credentials in the URL and as basic auth never reach messages */
    o.url = "http://alice:s3cr3tpw@127.0.0.1:1/prefix/";
    o.username = "bob";
    o.password = "hunter2pw";
    o.max_retries = -1;
    o.connect_timeout_ms = 2000;
    ck_assert_int_eq(scope_prom_new(&p, &o), 0);
    ck_assert_int_eq(scope_prom_add_header(p, "X-Scope-OrgID", "tenant1"), 0);
    ck_assert_int_eq(scope_prom_add_header(p, "Bad:Name", "x"), SCOPE_EINVAL);
    ck_assert_int_eq(scope_prom_add_header(p, "X", "a\r\nb"), SCOPE_EINVAL);
    scope_prom_result *r = NULL;
    int rc = scope_prom_query(&r, p, "up{job=\"a b\"}", 0, NULL);
    ck_assert_int_eq(rc, SCOPE_ENET);
    ck_assert_ptr_null(r);
    const char *msg = scope_error_message();
    ck_assert_msg(strstr(msg, "127.0.0.1:1/prefix/api/v1/query"), "%s", msg);
    ck_assert_msg(!strstr(msg, "s3cr3tpw") && !strstr(msg, "hunter2pw") && !strstr(msg, "alice"),
                  "%s", msg);
    ck_assert(strstr(msg, "server runs"));
    /* argument checks */
    ck_assert_int_eq(scope_prom_query_range(&r, p, "up", 1, 2, 1000000, NULL), SCOPE_EINVAL);
    ck_assert_int_eq(scope_prom_query_range(&r, p, "up", 2000000, 1000000, 1000000, NULL),
                     SCOPE_EINVAL);
    ck_assert_int_eq(scope_prom_query_range(&r, p, "up", 0, 1000000, 0, NULL), SCOPE_EINVAL);
    scope_prom_query_opts qo = SCOPE_PROM_QUERY_OPTS_INIT;
    qo.max_points = 1000001;
    ck_assert_int_eq(scope_prom_query_range(&r, p, "up", 0, 1000000, 1000000, &qo), SCOPE_EINVAL);
    ck_assert_int_eq(scope_prom_series(&r, p, NULL, 0, 0, 0), SCOPE_EINVAL);
    scope_prom_free(p);
    scope_prom_free(NULL);
    scope_prom_result_free(NULL);
}
END_TEST


/* --- a canned HTTP server on loopback, for retries and odd replies ------- */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

struct fake {
    int lfd, port;
    const char *const *replies; /* full HTTP responses, in order; last repeats */
    size_t nreplies;
    int served;
    char last_req[8192];
    pthread_t th;
    volatile int stop;
};

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    while (!f->stop) {
        int c = accept(f->lfd, NULL, NULL);
        if (c < 0)
            break;
        if (f->stop) {
            close(c);
            break;
        }
        size_t got = 0;
        char *req = f->last_req;
        memset(req, 0, sizeof f->last_req);
        for (;;) {
            ssize_t r = read(c, req + got, sizeof f->last_req - 1 - got);
            if (r <= 0)
                break;
            got += (size_t)r;
            char *e = strstr(req, "\r\n\r\n");
            if (e) {
                char *cl = strcasestr(req, "Content-Length:");
                size_t need = cl ? (size_t)atol(cl + 15) : 0;
                if (got >= (size_t)(e + 4 - req) + need)
                    break;
            }
        }
        size_t i = (size_t)f->served < f->nreplies ? (size_t)f->served : f->nreplies - 1;
        const char *rep = f->replies[i];
        /* Counted before the reply goes out: the client may return (and the
         * test read the count) as soon as it has the reply. */
        __atomic_add_fetch(&f->served, 1, __ATOMIC_SEQ_CST);
        ssize_t w = write(c, rep, strlen(rep));
        (void)w;
        shutdown(c, SHUT_RDWR);
        close(c);
    }
    return NULL;
}

static void fake_start(struct fake *f, const char *const *replies, size_t n)
{
    memset(f, 0, sizeof *f);
    f->replies = replies;
    f->nreplies = n;
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(f->lfd, 8), 0);
    ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&a, &l), 0);
    f->port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&f->th, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
    f->stop = 1;
    /* wake accept() */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons((uint16_t)f->port);
    if (connect(c, (struct sockaddr *)&a, sizeof a) == 0)
        close(c);
    else
        close(c);
    pthread_join(f->th, NULL);
    close(f->lfd);
}

#define OKBODY "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{\"__name__\":\"up\"},\"value\":[1700000000,\"1\"]}]}}"
static scope_prom *fake_client(struct fake *f, int retries)
{
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/prefix", f->port);
    scope_prom_opts o = SCOPE_PROM_OPTS_INIT;
    o.url = url;
    o.max_retries = retries;
    o.retry_base_ms = 10;
    o.retry_max_ms = 50;
    scope_prom *p;
    ck_assert_int_eq(scope_prom_new(&p, &o), 0);
    return p;
}

static char *reply(const char *status, const char *extra, const char *body, long clen)
{
    return scope__asprintf("HTTP/1.1 %s\r\nConnection: close\r\n%sContent-Length: %ld\r\n\r\n%s",
                           status, extra, clen >= 0 ? clen : (long)strlen(body), body);
}

START_TEST(test_retries_and_odd_replies)
{
    char *ok = reply("200 OK", "Content-Type: application/json\r\n", OKBODY, -1);
    char *r503 = reply("503 Service Unavailable", "Retry-After: 0\r\n", "upstream down", -1);
    char *r502 = reply("502 Bad Gateway", "Content-Type: text/html\r\n",
                       "<html><body>bad gateway</body></html>", -1);
    char *r429 = reply("429 Too Many Requests", "", "slow down", -1);
    char *tmo = reply("503 Service Unavailable", "Content-Type: application/json\r\n",
                      "{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed "
                      "out in expression evaluation\"}", -1);
    char *trunc_len = reply("200 OK", "", OKBODY, (long)strlen(OKBODY) + 40);
    char *trunc_json = scope__asprintf("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n%.60s",
                                       OKBODY);
    char *r401 = reply("401 Unauthorized", "", "Unauthorized", -1);
    struct fake f;
    scope_prom_result *r;

    /* transient failures are retried, then the answer is used */
    const char *seq1[] = {r503, r502, r429, ok};
    fake_start(&f, seq1, 4);
    scope_prom *p = fake_client(&f, 3);
    ck_assert_int_eq(scope_prom_query(&r, p, "up", 0, NULL), 0);
    ck_assert_int_eq(f.served, 4);
    ck_assert_uint_eq(scope_series_set_count(scope_prom_result_series(r)), 1);
    ck_assert(strstr(f.last_req, "GET /prefix/api/v1/query?query=up "));
    scope_prom_result_free(r);
    scope_prom_free(p);
    fake_stop(&f);

    /* bounded: retries run out, the last error is reported with the body */
    const char *seq2[] = {r502};
    fake_start(&f, seq2, 1);
    p = fake_client(&f, 2);
    ck_assert_int_eq(scope_prom_query(&r, p, "up", 0, NULL), SCOPE_EHTTP);
    ck_assert_int_eq(f.served, 3);
    ck_assert_msg(strstr(scope_error_message(), "HTTP 502") &&
                      strstr(scope_error_message(), "\"<html><body>bad gateway"),
                  "%s", scope_error_message());
    scope_prom_free(p);
    fake_stop(&f);

    /* the server's query timeout is not retried */
    const char *seq3[] = {tmo, ok};
    fake_start(&f, seq3, 2);
    p = fake_client(&f, 3);
    ck_assert_int_eq(scope_prom_query(&r, p, "up", 0, NULL), SCOPE_ETIMEDOUT);
    ck_assert_int_eq(f.served, 1);
    ck_assert(strstr(scope_error_message(), "HTTP 503, timeout: query timed out"));
    scope_prom_free(p);
    fake_stop(&f);

    /* truncated bodies never succeed */
    const char *seq4[] = {trunc_len};
    fake_start(&f, seq4, 1);
    p = fake_client(&f, -1);
    ck_assert_int_ne(scope_prom_query(&r, p, "up", 0, NULL), 0);
    ck_assert_ptr_null(r);
    scope_prom_free(p);
    fake_stop(&f);
    const char *seq5[] = {trunc_json};
    fake_start(&f, seq5, 1);
    p = fake_client(&f, -1);
    ck_assert_int_eq(scope_prom_query(&r, p, "up", 0, NULL), SCOPE_EPARSE);
    ck_assert_msg(strstr(scope_error_message(), "truncated"), "%s", scope_error_message());
    scope_prom_free(p);
    fake_stop(&f);

    /* headers, auth, POST of long queries; secrets stay out of messages */
    const char *seq6[] = {r401};
    fake_start(&f, seq6, 1);
    char url[64], tokpath[] = "/tmp/scope-prom-tok-XXXXXX";
    int tfd = mkstemp(tokpath);
    ck_assert_int_ge(tfd, 0);
    ck_assert_int_eq(write(tfd, "tok-s3cret\n", 11), 11);
    close(tfd);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", f.port);
    scope_prom_opts o = SCOPE_PROM_OPTS_INIT;
    o.url = url;
    o.bearer_token_file = tokpath;
    o.user_agent = "scope-test/1";
    o.post_threshold = 100;
    ck_assert_int_eq(scope_prom_new(&p, &o), 0);
    ck_assert_int_eq(scope_prom_add_header(p, "X-Scope-OrgID", "tenant-1|tenant-2"), 0);
    char q[300];
    memset(q, 'a', 200);
    strcpy(q + 200, "{x=\"&=?\"}");
    ck_assert_int_eq(scope_prom_query(&r, p, q, 1700000000123000000LL, NULL), SCOPE_EHTTP);
    const char *msg = scope_error_message();
    ck_assert_msg(strstr(msg, "HTTP 401") && strstr(msg, "credentials") &&
                      !strstr(msg, "tok-s3cret"), "%s", msg);
    ck_assert(strstr(f.last_req, "POST /api/v1/query HTTP/1.1"));
    ck_assert(strstr(f.last_req, "Authorization: Bearer tok-s3cret\r\n"));
    ck_assert(strstr(f.last_req, "X-Scope-OrgID: tenant-1|tenant-2\r\n"));
    ck_assert(strstr(f.last_req, "User-Agent: scope-test/1\r\n"));
    ck_assert(strstr(f.last_req, "Content-Type: application/x-www-form-urlencoded"));
    ck_assert_msg(strstr(f.last_req, "%7Bx%3D%22%26%3D%3F%22%7D&time=1700000000.123"), "%s",
                  f.last_req);
    ck_assert_int_eq(f.served, 1);
    scope_prom_free(p);
    unlink(tokpath);
    fake_stop(&f);

    /* basic auth */
    fake_start(&f, seq6, 1);
    snprintf(url, sizeof url, "http://127.0.0.1:%d", f.port);
    scope_prom_opts o2 = SCOPE_PROM_OPTS_INIT;
    o2.url = url;
    o2.username = "user";
    o2.password = "pa55word";
    ck_assert_int_eq(scope_prom_new(&p, &o2), 0);
    ck_assert_int_eq(scope_prom_labels(&r, p, NULL, 0, 0, 0), SCOPE_EHTTP);
    ck_assert(!strstr(scope_error_message(), "pa55word"));
    ck_assert(strstr(f.last_req, "Authorization: Basic dXNlcjpwYTU1d29yZA==\r\n"));
    scope_prom_free(p);
    fake_stop(&f);

    /* a 503 timeout with split_on_timeout: the range is fetched again in
     * requests of half the points */
    char *okm = reply("200 OK", "Content-Type: application/json\r\n",
                      "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":"
                      "[{\"metric\":{\"__name__\":\"m\"},\"values\":[[1700000000,\"1\"],"
                      "[1700000001,\"2\"]]}]}}", -1);
    const char *seq7[] = {tmo, okm, okm};
    fake_start(&f, seq7, 3);
    p = fake_client(&f, -1);
    scope_prom_query_opts qo = SCOPE_PROM_QUERY_OPTS_INIT;
    qo.split_on_timeout = 1;
    ck_assert_int_eq(scope_prom_query_range(&r, p, "m", 1700000000LL * 1000000000LL,
                                            1700000003LL * 1000000000LL, 1000000000LL, &qo), 0);
    ck_assert_int_eq(f.served, 3);
    size_t nreq;
    scope_prom_result_window(r, NULL, NULL, NULL, &nreq);
    ck_assert_uint_eq(nreq, 2);
    ck_assert_uint_eq(scope_prom_result_warning_count(r), 1);
    ck_assert_msg(strstr(scope_prom_result_warning_at(r, 0), "with 2 points per series"), "%s",
                  scope_prom_result_warning_at(r, 0));
    ck_assert_uint_eq(scope_series_count(scope_series_set_at(scope_prom_result_series(r), 0)), 2);
    scope_prom_result_free(r);
    scope_prom_free(p);
    fake_stop(&f);
    /* without it, the timeout is the answer */
    fake_start(&f, seq7, 3);
    p = fake_client(&f, -1);
    ck_assert_int_eq(scope_prom_query_range(&r, p, "m", 1700000000LL * 1000000000LL,
                                            1700000003LL * 1000000000LL, 1000000000LL, NULL),
                     SCOPE_ETIMEDOUT);
    ck_assert_int_eq(f.served, 1);
    scope_prom_free(p);
    fake_stop(&f);

    free(okm);
    free(ok); free(r503); free(r502); free(r429); free(tmo); free(trunc_len);
    free(trunc_json); free(r401);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prom");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_fixtures_random_chunks);
    tcase_add_test(tc, test_matrix_details);
    tcase_add_test(tc, test_truncated_never_success);
    tcase_add_test(tc, test_corrupted_no_crash);
    tcase_add_test(tc, test_histograms);
    tcase_add_test(tc, test_error_and_nonjson);
    tcase_add_test(tc, test_values_and_times);
    tcase_add_test(tc, test_time_parsing);
    tcase_add_test(tc, test_usage_queries);
    tcase_add_test(tc, test_client_options_and_secrets);
    tcase_add_test(tc, test_retries_and_odd_replies);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
