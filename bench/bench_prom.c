/* bench_prom: range queries of 1,000,000 points (100 series x 10,000 steps)
 * and 10,000,000 points (1000 series x 10,000 steps) against a real
 * Prometheus started here (data backfilled with promtool), comparing in the
 * same run:
 *   - curl -s -o /dev/null <same URL>        the fetch floor
 *   - libscope scope_prom_query_range()      fetch + streaming parse into columns
 *     (default: the 10,000 steps go out as 2 parallel requests; and with
 *     no_split, as one request)
 *   - jansson json_load_file + walk + strtod  a DOM parse of the saved body
 * Each measurement runs in its own child process, so peak RSS (ru_maxrss) is
 * that of the measured work alone. Prints medians, ratios and peak RSS.
 *
 *   bench_prom [--quick] [--runs N]
 *     --quick   only the 1M case (the 10M one backfills ~700 MB of text)
 *     --runs N  repetitions per measurement (default 3; median reported) */
#include "../lib/internal.h"
#include "../tests/prom_server.h"

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <sys/resource.h>

extern char **environ;

#define T0 1700000000LL
#define STEPS 10000
#define NSERIES 1000

static double now_s(void) { return promsrv_now(); }

struct meas {
    double secs;
    long maxrss_kb;
    long long points;
    long long labels_bytes;
};

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int write_data(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    fputs("# TYPE bench_gauge gauge\n", f);
    uint64_t x = 88172645463325252ULL;
    for (int s = 0; s < NSERIES; s++) {
        char labels[160];
        snprintf(labels, sizeof labels,
                 "container=\"c-%d\",group=\"g%d\",namespace=\"bench-%d\",pod=\"pod-%04d\"",
                 s % 7, s / 100, s % 10, s);
        for (int i = 0; i < STEPS; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* rate()-like floats: 16-19 characters */
            double v = (double)(x % 1000000000000ULL) / 1e12 * (1 + s % 5);
            fprintf(f, "bench_gauge{%s} %.17g %lld\n", labels, v, T0 + i);
        }
    }
    fputs("# EOF\n", f);
    return fclose(f);
}

/* Runs @fn in a child; returns its measurement. */
static int in_child(int (*fn)(void *, struct meas *), void *arg, struct meas *m)
{
    int pfd[2];
    if (pipe(pfd))
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(pfd[0]);
        struct meas r;
        memset(&r, 0, sizeof r);
        int rc = fn(arg, &r);
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        r.maxrss_kb = ru.ru_maxrss;
        if (rc)
            r.secs = -1;
        ssize_t w = write(pfd[1], &r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    close(pfd[1]);
    ssize_t n = read(pfd[0], m, sizeof *m);
    close(pfd[0]);
    int st;
    waitpid(pid, &st, 0);
    return n == (ssize_t)sizeof *m && m->secs >= 0 ? 0 : -1;
}

struct job {
    const char *url, *query, *file, *body_url;
    int64_t start_ns, end_ns;
    int single; /* 1: one request (no_split) */
};

static int run_libscope(void *arg, struct meas *m)
{
    struct job *j = arg;
    scope_prom_opts o = SCOPE_PROM_OPTS_INIT;
    o.url = j->url;
    o.timeout_ms = 600000;
    scope_prom *p;
    if (scope_prom_new(&p, &o))
        return -1;
    double t = now_s();
    scope_prom_result *r;
    scope_prom_query_opts qo = SCOPE_PROM_QUERY_OPTS_INIT;
    qo.no_split = j->single;
    int rc = scope_prom_query_range(&r, p, j->query, j->start_ns, j->end_ns, 1000000000LL, &qo);
    m->secs = now_s() - t;
    if (rc) {
        fprintf(stderr, "libscope: %s\n", scope_error_message());
        scope_prom_free(p);
        return -1;
    }
    const scope_series_set *set = scope_prom_result_series(r);
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        m->points += (long long)scope_series_count(s);
        m->labels_bytes += (long long)strlen(scope_series_name(s));
        for (size_t k = 0; k < scope_series_label_count(s); k++)
            m->labels_bytes += (long long)(strlen(scope_series_label_key(s, k)) +
                                           strlen(scope_series_label_value(s, k)) + 2);
    }
    scope_prom_result_free(r);
    scope_prom_free(p);
    return 0;
}

static int run_jansson(void *arg, struct meas *m)
{
    struct job *j = arg;
    double t = now_s();
    json_error_t je;
    json_t *root = json_load_file(j->file, 0, &je);
    if (!root) {
        fprintf(stderr, "jansson: %s\n", je.text);
        return -1;
    }
    json_t *res = json_object_get(json_object_get(root, "data"), "result");
    size_t ns = json_array_size(res);
    int64_t **cols_t = calloc(ns + 1, sizeof *cols_t);
    double **cols_v = calloc(ns + 1, sizeof *cols_v);
    size_t i;
    json_t *el;
    json_array_foreach(res, i, el)
    {
        json_t *vals = json_object_get(el, "values");
        size_t n = json_array_size(vals);
        int64_t *ts = malloc(n * sizeof *ts);
        double *vs = malloc(n * sizeof *vs);
        for (size_t k = 0; k < n; k++) {
            json_t *pair = json_array_get(vals, k);
            ts[k] = llround(json_number_value(json_array_get(pair, 0)) * 1000) * 1000000;
            vs[k] = strtod(json_string_value(json_array_get(pair, 1)), NULL);
        }
        m->points += (long long)n;
        cols_t[i] = ts; /* kept, as a user would keep the columns */
        cols_v[i] = vs;
    }
    m->secs = now_s() - t;
    json_decref(root);
    for (i = 0; i < ns; i++) {
        free(cols_t[i]);
        free(cols_v[i]);
    }
    free(cols_t);
    free(cols_v);
    return 0;
}

static double run_curl(const char *url, const char *out)
{
    char *argv[] = {"curl", "-s", "-o", (char *)out, (char *)url, NULL};
    double t = now_s();
    pid_t pid;
    if (posix_spawn(&pid, "/usr/bin/curl", NULL, NULL, argv, environ))
        return -1;
    int st;
    waitpid(pid, &st, 0);
    double d = now_s() - t;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? d : -1;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

static void bench_case(struct promsrv *srv, const char *label, const char *query, int runs)
{
    char url[1024], file[400];
    char *q = curl_easy_escape(NULL, query, 0);
    snprintf(url, sizeof url, "%s/api/v1/query_range?query=%s&start=%lld&end=%lld&step=1",
             srv->url, q, T0, T0 + STEPS - 1);
    curl_free(q);
    snprintf(file, sizeof file, "%s/body.json", srv->dir);
    /* warm the server and save the body */
    if (run_curl(url, file) < 0) {
        printf("%s: curl failed\n", label);
        return;
    }
    struct stat sb;
    stat(file, &sb);
    struct job j = {srv->url, query, file, url, T0 * 1000000000LL,
                    (T0 + STEPS - 1) * 1000000000LL, 0};
    struct job j2 = j;
    j2.single = 1;
    double tc[16], tl[16], tj[16], tp[16];
    long rss_l = 0, rss_j = 0, rss_p = 0;
    struct meas ml, mj, mp;
    memset(&ml, 0, sizeof ml);
    memset(&mj, 0, sizeof mj);
    memset(&mp, 0, sizeof mp);
    for (int r = 0; r < runs; r++) {
        tc[r] = run_curl(url, "/dev/null");
        if (in_child(run_libscope, &j, &ml)) {
            printf("%s: libscope failed\n", label);
            return;
        }
        tl[r] = ml.secs;
        if (ml.maxrss_kb > rss_l)
            rss_l = ml.maxrss_kb;
        if (in_child(run_libscope, &j2, &mp)) {
            printf("%s: libscope (one request) failed\n", label);
            return;
        }
        tp[r] = mp.secs;
        if (mp.maxrss_kb > rss_p)
            rss_p = mp.maxrss_kb;
        if (in_child(run_jansson, &j, &mj)) {
            printf("%s: jansson failed\n", label);
            return;
        }
        tj[r] = mj.secs;
        if (mj.maxrss_kb > rss_j)
            rss_j = mj.maxrss_kb;
    }
    double c = median(tc, runs), l = median(tl, runs), js = median(tj, runs);
    double lp = median(tp, runs);
    double out_mb = (16.0 * (double)ml.points + (double)ml.labels_bytes) / 1048576.0;
    printf("\n%s: %s\n", label, query);
    printf("  body %.1f MB, %lld points (jansson saw %lld), output arrays %.1f MB\n",
           (double)sb.st_size / 1e6, ml.points, mj.points, out_mb);
    printf("  %-34s %8.3f s\n", "curl -o /dev/null (fetch floor)", c);
    printf("  %-34s %8.3f s   peak RSS %7.1f MB\n", "libscope query_range (default)", l,
           (double)rss_l / 1024.0);
    printf("  %-34s %8.3f s   peak RSS %7.1f MB\n", "libscope, one request (no_split)", lp,
           (double)rss_p / 1024.0);
    printf("  %-34s %8.3f s   peak RSS %7.1f MB\n", "jansson DOM of saved body (parse)", js,
           (double)rss_j / 1024.0);
    printf("  ratios: libscope/curl %.2fx (target <= 1.5x); jansson parse alone/libscope "
           "%.1fx;\n          libscope RSS/output arrays %.2fx (target <= 2x); jansson RSS/"
           "libscope RSS %.1fx\n",
           l / c, js / l, (double)rss_l / 1024.0 / out_mb, (double)rss_j / (double)rss_l);
    printf("          one request: libscope/curl %.2fx, RSS/output arrays %.2fx\n", lp / c,
           (double)rss_p / 1024.0 / out_mb);
    if (mp.points != ml.points)
        printf("  WARNING: the single-request query gave %lld points\n", mp.points);
    if (ml.points != mj.points)
        printf("  WARNING: point counts differ\n");
    unlink(file);
}

int main(int argc, char **argv)
{
    int quick = 0, runs = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_prom [--quick] [--runs N]\n");
            return 2;
        }
    }
    if (runs < 1 || runs > 15)
        runs = 3;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    struct promsrv srv;
    if (promsrv_init(&srv)) {
        perror("mkdtemp");
        return 1;
    }
    char om[400], why[512];
    snprintf(om, sizeof om, "%s/data.om", srv.dir);
    double t = now_s();
    if (write_data(om)) {
        perror(om);
        promsrv_stop(&srv);
        return 1;
    }
    printf("bench_prom: wrote %d series x %d samples of OpenMetrics in %.1f s\n", NSERIES, STEPS,
           now_s() - t);
    t = now_s();
    if (promsrv_start(&srv, why, sizeof why, 900)) {
        printf("bench_prom: %s\n", why);
        promsrv_stop(&srv);
        return 1;
    }
    unlink(om);
    printf("bench_prom: promtool backfill + prometheus start in %.1f s (%s)\n", now_s() - t,
           srv.url);
    printf("bench_prom: median of %d runs; each libscope/jansson run in a fresh child process\n",
           runs);
    bench_case(&srv, "1M points (100 series x 10,000 steps)", "bench_gauge{group=\"g0\"}", runs);
    if (!quick)
        bench_case(&srv, "10M points (1000 series x 10,000 steps)", "bench_gauge",
                   runs > 1 ? (runs + 1) / 2 : 1);
    promsrv_stop(&srv);
    curl_global_cleanup();
    return 0;
}
