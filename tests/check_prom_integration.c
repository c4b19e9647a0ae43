/* Integration tests of the Prometheus client against a real Debian
 * prometheus on 127.0.0.1 (started here, stopped by PID) holding data
 * backfilled with promtool from an OpenMetrics file written below
 * (deterministic: NaN/+Inf/-Inf, a gap longer than the lookback, a counter
 * reset, label values with escapes and UTF-8).
 *
 * Every value libscope returns is compared with an independent parse: the
 * same request fetched with plain libcurl (URL built here) and parsed into
 * a jansson DOM. */
#include "prom_server.h"

#include <check.h>
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <scope/scope.h>

#define T0 1700000000LL
#define NS 1000000000LL
#define NSAMP 960 /* every 15 s for 4 h */
#define TEND (T0 + 15 * (NSAMP - 1))

static struct promsrv srv;
static char start_error[512];

static void write_series(FILE *f, const char *name, const char *labels, int kind)
{
    for (int i = 0; i < NSAMP; i++) {
        long long t = T0 + 15LL * i;
        char v[64];
        switch (kind) {
        case 0: snprintf(v, sizeof v, "%.17g", i * 0.5 - 100 + i / 7.0); break;
        case 1: {
            int m = i % 50;
            snprintf(v, sizeof v, "%s", m == 10 ? "NaN" : m == 20 ? "+Inf" : m == 30 ? "-Inf" : "");
            if (!v[0])
                snprintf(v, sizeof v, "%.17g", i * 1.25);
            break;
        }
        case 2:
            if (i >= 100 && i < 400)
                continue;
            snprintf(v, sizeof v, "%d", i);
            break;
        case 3: snprintf(v, sizeof v, "%d", i < 500 ? 10 * i : 10 * (i - 500) + 3); break;
        case 4: snprintf(v, sizeof v, "%d", i); break;
        case 5: snprintf(v, sizeof v, "%d", 2 * i); break;
        default: snprintf(v, sizeof v, "%.17g", (double)kind * 15.0 * i / 1000.0); break;
        }
        fprintf(f, "%s{%s} %s %lld\n", name, labels, v, t);
    }
}

static void setup(void)
{
    if (promsrv_init(&srv)) {
        snprintf(start_error, sizeof start_error, "mkdtemp failed");
        return;
    }
    char om[300];
    snprintf(om, sizeof om, "%s/data.om", srv.dir);
    FILE *f = fopen(om, "w");
    if (!f) {
        snprintf(start_error, sizeof start_error, "cannot write %s", om);
        return;
    }
    fputs("# TYPE scope_it_gauge gauge\n", f);
    write_series(f, "scope_it_gauge", "inst=\"a\",job=\"it\"", 0);
    write_series(f, "scope_it_gauge", "inst=\"quo\\\"te\\\\x \xc3\xa9\",job=\"it\"", 0);
    fputs("# TYPE scope_it_special gauge\n", f);
    write_series(f, "scope_it_special", "inst=\"b\",job=\"it\"", 1);
    fputs("# TYPE scope_it_gappy gauge\n", f);
    write_series(f, "scope_it_gappy", "inst=\"c\",job=\"it\"", 2);
    fputs("# TYPE scope_it_requests counter\n", f);
    write_series(f, "scope_it_requests_total", "inst=\"d\",job=\"it\"", 3);
    fputs("# TYPE scope_it_dup_a gauge\n", f);
    write_series(f, "scope_it_dup_a", "inst=\"x\",job=\"dup\"", 4);
    fputs("# TYPE scope_it_dup_b gauge\n", f);
    write_series(f, "scope_it_dup_b", "inst=\"x\",job=\"dup\"", 5);
    /* cAdvisor-like counters: kind k gives a slope of k/1000 per second */
    fputs("# TYPE container_cpu_usage_seconds counter\n", f);
    write_series(f, "container_cpu_usage_seconds_total",
                 "container=\"api\",namespace=\"shop\",pod=\"api-1\"", 500);
    write_series(f, "container_cpu_usage_seconds_total",
                 "container=\"api\",namespace=\"shop\",pod=\"api-2\"", 250);
    write_series(f, "container_cpu_usage_seconds_total",
                 "container=\"db\",namespace=\"other\",pod=\"db-1\"", 900);
    fputs("# TYPE container_network_receive_bytes counter\n", f);
    write_series(f, "container_network_receive_bytes_total",
                 "interface=\"eth0\",namespace=\"shop\",pod=\"api-1\"", 1000000000);
    fputs("# TYPE container_network_transmit_bytes counter\n", f);
    write_series(f, "container_network_transmit_bytes_total",
                 "interface=\"eth0\",namespace=\"shop\",pod=\"api-1\"", 250000000);
    fputs("# TYPE container_fs_reads_bytes counter\n", f);
    write_series(f, "container_fs_reads_bytes_total",
                 "container=\"api\",device=\"/dev/sda\",namespace=\"shop\",pod=\"api-1\"",
                 4096000);
    fputs("# TYPE container_fs_writes_bytes counter\n", f);
    write_series(f, "container_fs_writes_bytes_total",
                 "container=\"api\",device=\"/dev/sda\",namespace=\"shop\",pod=\"api-1\"",
                 8192000);
    fputs("# EOF\n", f);
    fclose(f);
    if (promsrv_start(&srv, start_error, sizeof start_error, 60))
        return;
    start_error[0] = '\0';
}

static void teardown(void) { promsrv_stop(&srv); }

/* --- the independent side: libcurl + jansson ------------------------------- */

static size_t grow_cb(char *d, size_t s, size_t n, void *ud)
{
    json_t *dummy = NULL;
    (void)dummy;
    char **buf = ud;
    size_t have = *buf ? strlen(*buf) : 0;
    char *nb = realloc(*buf, have + s * n + 1);
    ck_assert(nb);
    memcpy(nb + have, d, s * n);
    nb[have + s * n] = '\0';
    *buf = nb;
    return s * n;
}

/* GET base/api/v1/<path>?<params>; params are alternating key/value, NULL
 * terminated. Returns the DOM; *http gets the status. */
static json_t *fetch(const char *path, long *http, ...)
{
    CURL *h = curl_easy_init();
    ck_assert(h);
    char url[8192];
    int n = snprintf(url, sizeof url, "%s%s", srv.url, path);
    va_list ap;
    va_start(ap, http);
    const char *k;
    char sep = '?';
    while ((k = va_arg(ap, const char *))) {
        const char *v = va_arg(ap, const char *);
        char *e = curl_easy_escape(h, v, 0);
        n += snprintf(url + n, sizeof url - (size_t)n, "%c%s=%s", sep, k, e);
        curl_free(e);
        sep = '&';
    }
    va_end(ap);
    char *body = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, grow_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
    ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, http);
    curl_easy_cleanup(h);
    json_error_t je;
    json_t *root = json_loads(body, 0, &je);
    ck_assert_msg(root, "jansson: %s in %.200s", je.text, body);
    free(body);
    return root;
}

static void fmt_s(char *b, size_t cap, long long ms)
{
    snprintf(b, cap, "%lld.%03lld", ms / 1000, ms % 1000);
}

static json_t *fetch_range(const char *q, long long start_ms, long long end_ms, long long step_ms)
{
    char s[32], e[32], st[32];
    fmt_s(s, sizeof s, start_ms);
    fmt_s(e, sizeof e, end_ms);
    fmt_s(st, sizeof st, step_ms);
    long http;
    json_t *r = fetch("/api/v1/query_range", &http, "query", q, "start", s, "end", e, "step", st,
                      (char *)NULL);
    ck_assert_int_eq(http, 200);
    return r;
}

static int same_double(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return memcmp(&a, &b, sizeof a) == 0;
}

/* Every point of @nroots DOMs (consecutive chunks) equals the set, in
 * order, and the set holds nothing else. Returns the number of points. */
static size_t compare(const scope_series_set *set, json_t **roots, size_t nroots,
                      const char *fallback)
{
    size_t ns = scope_series_set_count(set);
    size_t *cursor = calloc(ns + 1, sizeof *cursor);
    size_t total = 0;
    for (size_t c = 0; c < nroots; c++) {
        json_t *res = json_object_get(json_object_get(roots[c], "data"), "result");
        ck_assert(json_is_array(res));
        size_t i;
        json_t *el;
        json_array_foreach(res, i, el)
        {
            const char *keys[64], *vals[64], *name = fallback;
            size_t nl = 0;
            const char *k;
            json_t *lv;
            json_object_foreach(json_object_get(el, "metric"), k, lv)
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
            size_t idx = 0;
            while (scope_series_set_at(set, idx) != s)
                idx++;
            json_t *values = json_object_get(el, "values");
            json_t *one = json_object_get(el, "value");
            size_t np = values ? json_array_size(values) : 1;
            const int64_t *ts = scope_series_timestamps(s);
            const double *vs = scope_series_values(s);
            for (size_t j = 0; j < np; j++) {
                json_t *pair = values ? json_array_get(values, j) : one;
                double t = json_number_value(json_array_get(pair, 0));
                double v = strtod(json_string_value(json_array_get(pair, 1)), NULL);
                size_t at = cursor[idx]++;
                ck_assert_uint_lt(at, scope_series_count(s));
                ck_assert_int_eq(llround(t * 1000) * 1000000LL, ts[at]);
                ck_assert_msg(same_double(v, vs[at]), "%s point %zu: %.17g vs %.17g", name, at,
                              v, vs[at]);
                total++;
            }
        }
    }
    for (size_t i = 0; i < ns; i++)
        ck_assert_uint_eq(cursor[i], scope_series_count(scope_series_set_at(set, i)));
    free(cursor);
    return total;
}

static scope_prom *client(const char *url)
{
    scope_prom *p;
    scope_prom_opts o = SCOPE_PROM_OPTS_INIT;
    o.url = url ? url : srv.url;
    o.max_retries = -1;
    ck_assert_int_eq(scope_prom_new(&p, &o), 0);
    return p;
}

#define REQUIRE_SERVER() ck_assert_msg(!start_error[0], "prometheus: %s", start_error)

static void sets_equal(const scope_series_set *a, const scope_series_set *b)
{
    ck_assert_uint_eq(scope_series_set_count(a), scope_series_set_count(b));
    for (size_t i = 0; i < scope_series_set_count(a); i++) {
        scope_series *x = scope_series_set_at(a, i), *y;
        size_t nl = scope_series_label_count(x);
        const char *k[64], *v[64];
        for (size_t j = 0; j < nl; j++) {
            k[j] = scope_series_label_key(x, j);
            v[j] = scope_series_label_value(x, j);
        }
        ck_assert_int_eq(scope_series_set_find(&y, b, scope_series_name(x), k, v, nl), 0);
        ck_assert_uint_eq(scope_series_count(x), scope_series_count(y));
        for (size_t j = 0; j < scope_series_count(x); j++) {
            ck_assert_int_eq(scope_series_timestamps(x)[j], scope_series_timestamps(y)[j]);
            ck_assert(same_double(scope_series_values(x)[j], scope_series_values(y)[j]));
        }
    }
}

START_TEST(test_range_equals_dom)
{
    REQUIRE_SERVER();
    scope_prom *p = client(NULL);
    const char *queries[] = {"scope_it_gauge",          "scope_it_special",
                             "scope_it_gappy",          "scope_it_requests_total",
                             "rate(scope_it_requests_total[1m])", "{job=\"it\"}"};
    const long long steps[] = {15000, 7000};
    const long long starts[] = {T0 * 1000, T0 * 1000 + 3500};
    for (size_t q = 0; q < sizeof queries / sizeof queries[0]; q++)
        for (int si = 0; si < 2; si++) {
            scope_prom_result *r;
            int rc = scope_prom_query_range(&r, p, queries[q], starts[si] * 1000000LL,
                                            TEND * NS, steps[si] * 1000000LL, NULL);
            ck_assert_msg(rc == 0, "%s: %s", queries[q], scope_error_message());
            ck_assert_int_eq(scope_prom_result_type(r), SCOPE_PROM_MATRIX);
            json_t *dom = fetch_range(queries[q], starts[si], TEND * 1000, steps[si]);
            size_t n = compare(scope_prom_result_series(r), &dom, 1, "value");
            ck_assert_uint_gt(n, 0);
            json_decref(dom);
            scope_prom_result_free(r);
        }
    /* the data's features are there */
    scope_prom_result *r;
    ck_assert_int_eq(scope_prom_query_range(&r, p, "scope_it_special", T0 * NS, TEND * NS,
                                            15 * NS, NULL), 0);
    scope_series *s = scope_series_set_at(scope_prom_result_series(r), 0);
    int nan = 0, pinf = 0, minf = 0;
    for (size_t i = 0; i < scope_series_count(s); i++) {
        double v = scope_series_values(s)[i];
        nan += isnan(v);
        pinf += isinf(v) && v > 0;
        minf += isinf(v) && v < 0;
    }
    ck_assert_int_eq(nan, NSAMP / 50 + (NSAMP % 50 > 10));
    ck_assert_int_gt(pinf, 0);
    ck_assert_int_gt(minf, 0);
    scope_prom_result_free(r);
    ck_assert_int_eq(scope_prom_query_range(&r, p, "scope_it_gappy", T0 * NS, TEND * NS,
                                             15 * NS, NULL), 0);
    s = scope_series_set_at(scope_prom_result_series(r), 0);
    /* 660 samples plus 20 steps of 5m lookback inside the gap */
    ck_assert_uint_eq(scope_series_count(s), 660 + 20);
    scope_prom_result_free(r);
    /* the escaped, UTF-8 label value survived */
    ck_assert_int_eq(scope_prom_query_range(&r, p, "scope_it_gauge", T0 * NS, TEND * NS,
                                             15 * NS, NULL), 0);
    const char *k[] = {"inst", "job"}, *v[] = {"quo\"te\\x \xc3\xa9", "it"};
    ck_assert_int_eq(scope_series_set_find(&s, scope_prom_result_series(r), "scope_it_gauge", k,
                                           v, 2), 0);
    ck_assert_uint_eq(scope_series_count(s), NSAMP);
    ck_assert(scope_series_values(s)[7] == 7 * 0.5 - 100 + 7 / 7.0);
    scope_prom_result_free(r);
    scope_prom_free(p);
}
END_TEST

START_TEST(test_chunked_equals_single)
{
    REQUIRE_SERVER();
    scope_prom *p = client(NULL);
    scope_prom_result *single, *chunked;
    ck_assert_int_eq(scope_prom_query_range(&single, p, "{job=\"it\"}", T0 * NS, TEND * NS,
                                            15 * NS, NULL), 0);
    size_t req;
    scope_prom_result_window(single, NULL, NULL, NULL, &req);
    ck_assert_uint_eq(req, 1);
    for (int conc = 1; conc <= 3; conc += 2) {
        scope_prom_query_opts qo = SCOPE_PROM_QUERY_OPTS_INIT;
        qo.max_points = 50;
        qo.max_concurrency = conc;
        ck_assert_int_eq(scope_prom_query_range(&chunked, p, "{job=\"it\"}", T0 * NS, TEND * NS,
                                                15 * NS, &qo), 0);
        scope_prom_result_window(chunked, NULL, NULL, NULL, &req);
        ck_assert_uint_eq(req, (NSAMP + 49) / 50);
        sets_equal(scope_prom_result_series(single), scope_prom_result_series(chunked));
        scope_prom_result_free(chunked);
    }
    scope_prom_result_free(single);

    /* 4 h at 1 s: 14,386 points per series, over Prometheus' limit: two
     * requests, which must equal two independent fetches split at
     * start + 11000 s and continuing one step later */
    scope_prom_result *r;
    ck_assert_int_eq(scope_prom_query_range(&r, p, "scope_it_gauge{inst=\"a\"}", T0 * NS,
                                            TEND * NS, NS, NULL), 0);
    scope_prom_result_window(r, NULL, NULL, NULL, &req);
    ck_assert_uint_eq(req, 2);
    json_t *dom[2] = {fetch_range("scope_it_gauge{inst=\"a\"}", T0 * 1000, (T0 + 11000) * 1000,
                                  1000),
                      fetch_range("scope_it_gauge{inst=\"a\"}", (T0 + 11001) * 1000, TEND * 1000,
                                  1000)};
    ck_assert_uint_eq(compare(scope_prom_result_series(r), dom, 2, "value"),
                      (size_t)(TEND - T0 + 1));
    json_decref(dom[0]);
    json_decref(dom[1]);
    /* and a chunking into 3 requests gives the same */
    scope_prom_query_opts qo = SCOPE_PROM_QUERY_OPTS_INIT;
    qo.max_points = 5000;
    ck_assert_int_eq(scope_prom_query_range(&chunked, p, "scope_it_gauge{inst=\"a\"}", T0 * NS,
                                            TEND * NS, NS, &qo), 0);
    sets_equal(scope_prom_result_series(r), scope_prom_result_series(chunked));
    scope_prom_result_free(chunked);
    scope_prom_result_free(r);

    /* by default a 5000-point range goes out as 2 parallel requests; with
     * no_split as one; same result */
    ck_assert_int_eq(scope_prom_query_range(&r, p, "scope_it_gauge{inst=\"a\"}", T0 * NS,
                                            (T0 + 4999) * NS, NS, NULL), 0);
    scope_prom_result_window(r, NULL, NULL, NULL, &req);
    ck_assert_uint_eq(req, 2);
    qo.max_points = 0;
    qo.no_split = 1;
    ck_assert_int_eq(scope_prom_query_range(&chunked, p, "scope_it_gauge{inst=\"a\"}", T0 * NS,
                                            (T0 + 4999) * NS, NS, &qo), 0);
    scope_prom_result_window(chunked, NULL, NULL, NULL, &req);
    ck_assert_uint_eq(req, 1);
    sets_equal(scope_prom_result_series(r), scope_prom_result_series(chunked));
    ck_assert_uint_eq(scope_series_count(scope_series_set_at(scope_prom_result_series(r), 0)),
                      5000);
    scope_prom_result_free(chunked);
    scope_prom_result_free(r);
    qo.no_split = 0;

    /* alignment floors start and end to the step and reports them */
    qo.max_points = 0;
    qo.align = 1;
    ck_assert_int_eq(scope_prom_query_range(&r, p, "scope_it_gauge", (T0 + 7) * NS,
                                            (T0 + 3607) * NS, 60 * NS, &qo), 0);
    int64_t s, e, st;
    scope_prom_result_window(r, &s, &e, &st, NULL);
    ck_assert_int_eq(s, (T0 + 7 - (T0 + 7) % 60) * NS);
    ck_assert_int_eq(e, (T0 + 3607 - (T0 + 3607) % 60) * NS);
    ck_assert_int_eq(st, 60 * NS);
    ck_assert_int_eq(scope_series_timestamps(scope_series_set_at(scope_prom_result_series(r),
                                                                 0))[0] % (60 * NS), 0);
    scope_prom_result_free(r);
    scope_prom_free(p);
}
END_TEST

START_TEST(test_instant)
{
    REQUIRE_SERVER();
    scope_prom *p = client(NULL);
    scope_prom_result *r;
    long http;
    char t[32];
    fmt_s(t, sizeof t, (T0 + 1000) * 1000 + 250);
    ck_assert_int_eq(scope_prom_query(&r, p, "{job=\"it\"}", ((T0 + 1000) * 1000 + 250) * 1000000,
                                      NULL), 0);
    ck_assert_int_eq(scope_prom_result_type(r), SCOPE_PROM_VECTOR);
    json_t *dom = fetch("/api/v1/query", &http, "query", "{job=\"it\"}", "time", t, (char *)NULL);
    ck_assert_uint_eq(compare(scope_prom_result_series(r), &dom, 1, "value"), 5);
    json_decref(dom);
    scope_prom_result_free(r);

    /* raw samples of a range selector: a matrix */
    fmt_s(t, sizeof t, TEND * 1000);
    ck_assert_int_eq(scope_prom_query(&r, p, "scope_it_special[5m]", TEND * NS, NULL), 0);
    ck_assert_int_eq(scope_prom_result_type(r), SCOPE_PROM_MATRIX);
    dom = fetch("/api/v1/query", &http, "query", "scope_it_special[5m]", "time", t, (char *)NULL);
    ck_assert_uint_ge(compare(scope_prom_result_series(r), &dom, 1, "value"), 20);
    json_decref(dom);
    scope_prom_result_free(r);

    /* scalars: NaN and +Inf */
    scope_prom_query_opts qo = SCOPE_PROM_QUERY_OPTS_INIT;
    qo.name = "ratio";
    ck_assert_int_eq(scope_prom_query(&r, p, "0/0", T0 * NS, &qo), 0);
    ck_assert_int_eq(scope_prom_result_type(r), SCOPE_PROM_SCALAR);
    ck_assert_int_eq(scope_prom_result_time(r), T0 * NS);
    scope_series *s = scope_series_set_at(scope_prom_result_series(r), 0);
    ck_assert_str_eq(scope_series_name(s), "ratio");
    ck_assert(isnan(scope_series_values(s)[0]));
    scope_prom_result_free(r);
    ck_assert_int_eq(scope_prom_query(&r, p, "1/0", T0 * NS, NULL), 0);
    s = scope_series_set_at(scope_prom_result_series(r), 0);
    ck_assert(isinf(scope_series_values(s)[0]) && scope_series_values(s)[0] > 0);
    scope_prom_result_free(r);
    /* a string */
    ck_assert_int_eq(scope_prom_query(&r, p, "\"h\xc3\xa9llo & ?=\"", T0 * NS, NULL), 0);
    ck_assert_int_eq(scope_prom_result_type(r), SCOPE_PROM_STRING);
    ck_assert_str_eq(scope_prom_result_string_at(r, 0), "h\xc3\xa9llo & ?=");
    scope_prom_result_free(r);
    scope_prom_free(p);
}
END_TEST

START_TEST(test_metadata)
{
    REQUIRE_SERVER();
    scope_prom *p = client(NULL);
    scope_prom_result *r;
    long http;
    const char *m[] = {"{job=\"it\"}"};
    ck_assert_int_eq(scope_prom_series(&r, p, m, 1, T0 * NS, TEND * NS), 0);
    char s[32], e[32];
    fmt_s(s, sizeof s, T0 * 1000);
    fmt_s(e, sizeof e, TEND * 1000);
    json_t *dom = fetch("/api/v1/series", &http, "match[]", m[0], "start", s, "end", e,
                        (char *)NULL);
    json_t *data = json_object_get(dom, "data");
    ck_assert_uint_eq(json_array_size(data), scope_series_set_count(scope_prom_result_series(r)));
    ck_assert_uint_eq(json_array_size(data), 5);
    size_t i;
    json_t *el;
    json_array_foreach(data, i, el)
    {
        const char *k[8], *v[8], *name = NULL, *key;
        size_t nl = 0;
        json_t *lv;
        json_object_foreach(el, key, lv)
        {
            if (!strcmp(key, "__name__"))
                name = json_string_value(lv);
            else {
                k[nl] = key;
                v[nl++] = json_string_value(lv);
            }
        }
        scope_series *ss;
        ck_assert_int_eq(scope_series_set_find(&ss, scope_prom_result_series(r), name, k, v, nl),
                         0);
    }
    json_decref(dom);
    scope_prom_result_free(r);

    ck_assert_int_eq(scope_prom_labels(&r, p, NULL, 0, T0 * NS, TEND * NS), 0);
    dom = fetch("/api/v1/labels", &http, "start", s, "end", e, (char *)NULL);
    data = json_object_get(dom, "data");
    ck_assert_uint_eq(json_array_size(data), scope_prom_result_string_count(r));
    json_array_foreach(data, i, el)
        ck_assert_str_eq(json_string_value(el), scope_prom_result_string_at(r, i));
    json_decref(dom);
    scope_prom_result_free(r);

    ck_assert_int_eq(scope_prom_label_values(&r, p, "inst", m, 1, 0, 0), 0);
    dom = fetch("/api/v1/label/inst/values", &http, "match[]", m[0], (char *)NULL);
    data = json_object_get(dom, "data");
    ck_assert_uint_eq(json_array_size(data), scope_prom_result_string_count(r));
    ck_assert_uint_eq(json_array_size(data), 5);
    json_array_foreach(data, i, el)
        ck_assert_str_eq(json_string_value(el), scope_prom_result_string_at(r, i));
    json_decref(dom);
    scope_prom_result_free(r);
    scope_prom_free(p);
}
END_TEST

START_TEST(test_errors)
{
    REQUIRE_SERVER();
    scope_prom *p = client(NULL);
    scope_prom_result *r = (scope_prom_result *)&r;
    /* 400 bad_data */
    ck_assert_int_eq(scope_prom_query_range(&r, p, "rate(x[1m]", T0 * NS, TEND * NS, 15 * NS,
                                            NULL), SCOPE_ESERVER);
    ck_assert_ptr_null(r);
    const char *msg = scope_error_message();
    ck_assert_msg(strstr(msg, "HTTP 400") && strstr(msg, "bad_data") &&
                  strstr(msg, "unclosed left parenthesis"), "%s", msg);
    /* 400: the 11,000-points limit, when a request asks for more */
    scope_prom_query_opts qo = SCOPE_PROM_QUERY_OPTS_INIT;
    qo.max_points = 20000;
    qo.no_split = 1;
    ck_assert_int_eq(scope_prom_query_range(&r, p, "scope_it_gauge", T0 * NS, (T0 + 12000) * NS,
                                            NS, &qo), SCOPE_ESERVER);
    msg = scope_error_message();
    ck_assert_msg(strstr(msg, "HTTP 400") && strstr(msg, "exceeded maximum resolution of "
                                                         "11,000 points per timeseries"), "%s",
                  msg);
    ck_assert(strstr(msg, "max_points"));
    /* 422 execution */
    ck_assert_int_eq(scope_prom_query(&r, p, "rate({__name__=~\"scope_it_dup_.*\"}[1m])",
                                      (T0 + 600) * NS, NULL), SCOPE_ESERVER);
    msg = scope_error_message();
    ck_assert_msg(strstr(msg, "HTTP 422") && strstr(msg, "execution") &&
                  strstr(msg, "same labelset"), "%s", msg);
    /* 503 timeout: the server's query timeout, not retried */
    qo.max_points = 0;
    qo.server_timeout_ms = 50;
    int rc = scope_prom_query_range(&r, p, "quantile_over_time(0.5, scope_it_special[4h]) + 1",
                                    (TEND - 11000) * NS, TEND * NS, NS, &qo);
    ck_assert_int_eq(rc, SCOPE_ETIMEDOUT);
    msg = scope_error_message();
    ck_assert_msg(strstr(msg, "HTTP 503") && strstr(msg, "timeout") &&
                  strstr(msg, "query timed out"), "%s", msg);
    scope_prom_free(p);
    /* a wrong path prefix: a plain-text 404, quoted */
    char url[128];
    snprintf(url, sizeof url, "%s/nope", srv.url);
    p = client(url);
    ck_assert_int_eq(scope_prom_query(&r, p, "up", 0, NULL), SCOPE_EHTTP);
    msg = scope_error_message();
    ck_assert_msg(strstr(msg, "HTTP 404") && strstr(msg, "\"404 page not found\\n\"") &&
                  strstr(msg, "/nope/api/v1/query"), "%s", msg);
    ck_assert_int_eq(scope_prom_labels(&r, p, NULL, 0, 0, 0), SCOPE_EHTTP);
    ck_assert(strstr(scope_error_message(), "404 page not found"));
    scope_prom_free(p);
}
END_TEST

START_TEST(test_long_query_is_posted)
{
    REQUIRE_SERVER();
    scope_prom *p;
    scope_prom_opts o = SCOPE_PROM_OPTS_INIT;
    o.url = srv.url;
    o.post_threshold = 64;
    ck_assert_int_eq(scope_prom_new(&p, &o), 0);
    /* a query far longer than the threshold (and than proxies' URL limits) */
    char q[20000];
    int n = snprintf(q, sizeof q, "scope_it_gauge{inst=\"a\"}");
    while (n < 15000)
        n += snprintf(q + n, sizeof q - (size_t)n, " + 0 * scope_it_gauge{inst=\"a\"}");
    scope_prom_result *r, *r2;
    ck_assert_int_eq(scope_prom_query_range(&r, p, q, T0 * NS, TEND * NS, 60 * NS, NULL), 0);
    ck_assert_int_eq(scope_prom_query_range(&r2, p, "scope_it_gauge{inst=\"a\"}", T0 * NS,
                                            TEND * NS, 60 * NS, NULL), 0);
    scope_series *a = scope_series_set_at(scope_prom_result_series(r), 0);
    scope_series *b = scope_series_set_at(scope_prom_result_series(r2), 0);
    ck_assert_uint_eq(scope_series_count(a), scope_series_count(b));
    for (size_t i = 0; i < scope_series_count(a); i++)
        ck_assert(scope_series_values(a)[i] == scope_series_values(b)[i]);
    scope_prom_result_free(r);
    scope_prom_result_free(r2);
    scope_prom_free(p);
}
END_TEST

START_TEST(test_usage_helpers)
{
    REQUIRE_SERVER();
    scope_prom *p = client(NULL);
    struct {
        int what;
        const char *name;
        const char *pod;
        double expect;
    } cases[] = {
        {SCOPE_PROM_CPU_CORES, "cpu_cores", "api-1", 0.5},
        {SCOPE_PROM_CPU_CORES, "cpu_cores", "api-2", 0.25},
        {SCOPE_PROM_NET_MBITS, "net_receive_mbits", "api-1", 8.0},
        {SCOPE_PROM_NET_MBITS, "net_transmit_mbits", "api-1", 2.0},
        {SCOPE_PROM_DISK_BYTES, "disk_read_bytes_per_second", "api-1", 4096.0},
        {SCOPE_PROM_DISK_BYTES, "disk_write_bytes_per_second", "api-1", 8192.0},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        scope_prom_result *r;
        int rc = scope_prom_usage(&r, p, cases[c].what, "namespace=\"shop\"", 0, (T0 + 300) * NS,
                                  (T0 + 3600) * NS, 30 * NS, NULL);
        ck_assert_msg(rc == 0, "%s", scope_error_message());
        const scope_series_set *set = scope_prom_result_series(r);
        size_t found = 0;
        for (size_t i = 0; i < scope_series_set_count(set); i++) {
            scope_series *s = scope_series_set_at(set, i);
            ck_assert_str_eq(scope_series_label(s, "namespace"), "shop");
            if (strcmp(scope_series_name(s), cases[c].name) ||
                strcmp(scope_series_label(s, "pod"), cases[c].pod))
                continue;
            found++;
            ck_assert_uint_eq(scope_series_count(s), 3300 / 30 + 1);
            for (size_t j = 0; j < scope_series_count(s); j++)
                ck_assert_msg(fabs(scope_series_values(s)[j] - cases[c].expect) <=
                                  1e-9 * cases[c].expect,
                              "%s %s: %.17g", cases[c].name, cases[c].pod,
                              scope_series_values(s)[j]);
        }
        ck_assert_uint_eq(found, 1);
        scope_prom_result_free(r);
    }
    scope_prom_free(p);
}
END_TEST


/* The example program, as a user runs it (skipped when examples are off). */
START_TEST(test_example_program)
{
    REQUIRE_SERVER();
    const char *bd = getenv("SCOPE_BUILD_DIR");
    char exe[1024];
    snprintf(exe, sizeof exe, "%s/examples/scope-prom", bd ? bd : ".");
    if (access(exe, X_OK) != 0)
        return; /* built without examples */
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "%s --url %s range 'scope_it_gauge{inst=\"a\"}' --start %lld "
             "--end 2023-11-14T22:23:20Z --step 1m --wide-csv",
             exe, srv.url, T0);
    FILE *f = popen(cmd, "r");
    ck_assert(f);
    char line[1024];
    int rows = 0;
    ck_assert(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "timestamp_ns,\"scope_it_gauge{inst=\"\"a\"\",job=\"\"it\"\"}\"\n");
    while (fgets(line, sizeof line, f)) {
        long long t;
        double v;
        ck_assert_int_eq(sscanf(line, "%lld,%lf", &t, &v), 2);
        ck_assert_int_eq(t, (T0 + 60LL * rows) * NS);
        int i = rows * 4; /* sample index: 15 s apart */
        ck_assert(v == i * 0.5 - 100 + i / 7.0);
        rows++;
    }
    ck_assert_int_eq(pclose(f), 0);
    ck_assert_int_eq(rows, 11); /* 22:13:20 .. 22:23:20 at 1 m */
    /* an error exits non-zero with the server's message on stderr */
    snprintf(cmd, sizeof cmd, "%s --url %s instant 'rate(x[1m]' 2>&1", exe, srv.url);
    f = popen(cmd, "r");
    ck_assert(f);
    ck_assert(fgets(line, sizeof line, f));
    ck_assert_msg(strstr(line, "HTTP 400, bad_data"), "%s", line);
    ck_assert_int_ne(pclose(f), 0);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("prom_integration");
    TCase *tc = tcase_create("server");
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_range_equals_dom);
    tcase_add_test(tc, test_chunked_equals_single);
    tcase_add_test(tc, test_instant);
    tcase_add_test(tc, test_metadata);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_long_query_is_posted);
    tcase_add_test(tc, test_usage_helpers);
    tcase_add_test(tc, test_example_program);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    teardown();
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
