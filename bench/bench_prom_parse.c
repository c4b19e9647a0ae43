/* bench_prom_parse: the parser choice, measured. One synthetic matrix body of
 * 1,000,000 points (100 series x 10,000 steps, values in Go's shortest form
 * as Prometheus writes them), fed in 16 KiB pieces as libcurl delivers them,
 * decoded into int64 ns / double columns by:
 *   - libscope's purpose-built scanner (lib/prom/parse.c)
 *   - yajl's SAX parser (when libyajl-dev is installed) + strtod
 *   - a jansson DOM (json_loadb + walk + strtod)
 * Prints the best CPU time of 5 runs and the ratios. */
#include "../lib/prom/prom_internal.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef SCOPE_BENCH_HAVE_YAJL
#include <yajl/yajl_parse.h>
#endif

#define PIECE 16384

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static char *make_body(size_t *len)
{
    size_t cap = 64u << 20, n = 0;
    char *b = malloc(cap);
    if (!b)
        return NULL;
    n += (size_t)sprintf(b + n, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
    uint64_t x = 88172645463325252ULL;
    for (int s = 0; s < 100; s++) {
        n += (size_t)sprintf(b + n,
                             "%s{\"metric\":{\"__name__\":\"bench_gauge\",\"container\":\"c-%d\","
                             "\"namespace\":\"bench-%d\",\"pod\":\"pod-%04d\"},\"values\":[",
                             s ? "," : "", s % 7, s % 10, s);
        for (int i = 0; i < 10000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            double v = (double)(x % 1000000000000ULL) / 1e12 * (1 + s % 5);
            char vb[40];
            for (int p = 15; p <= 17; p++) { /* shortest round-trip form, as Go */
                snprintf(vb, sizeof vb, "%.*g", p, v);
                if (strtod(vb, NULL) == v)
                    break;
            }
            n += (size_t)sprintf(b + n, "%s[%lld,\"%s\"]", i ? "," : "", 1700000000LL + i, vb);
        }
        n += (size_t)sprintf(b + n, "]}");
    }
    n += (size_t)sprintf(b + n, "]}}");
    *len = n;
    return b;
}

static double run_scope(const char *b, size_t n, size_t *pts)
{
    scope_series_set *set;
    if (scope_series_set_new(&set))
        return -1;
    struct scope__prom_parser ps;
    double t = cpu_now();
    scope__prom_parser_init(&ps, set, NULL, 0);
    ps.expect_points = 10000; /* what query_range passes: the steps of the request */
    for (size_t off = 0; off < n; off += PIECE)
        if (scope__prom_parser_feed(&ps, b + off, n - off < PIECE ? n - off : PIECE))
            return -1;
    if (scope__prom_parser_finish(&ps))
        return -1;
    t = cpu_now() - t;
    *pts = ps.points;
    scope__prom_parser_free(&ps);
    scope_series_set_free(set);
    return t;
}

#ifdef SCOPE_BENCH_HAVE_YAJL
struct ys {
    int depth, in_values;
    char key[32];
    int64_t cur_ts, *ts;
    double *v;
    size_t n, cap;
};
static int y_num(void *c, const char *s, size_t l)
{
    struct ys *y = c;
    if (y->in_values && y->depth == y->in_values + 1 && l < 64) {
        char b[64];
        memcpy(b, s, l);
        b[l] = 0;
        y->cur_ts = llround(strtod(b, NULL) * 1000) * 1000000;
    }
    return 1;
}
static int y_str(void *c, const unsigned char *s, size_t l)
{
    struct ys *y = c;
    if (y->in_values && y->depth == y->in_values + 1 && l < 64) {
        char b[64];
        memcpy(b, s, l);
        b[l] = 0;
        if (y->n == y->cap) {
            y->cap = y->cap ? y->cap * 2 : 1024;
            y->ts = realloc(y->ts, y->cap * sizeof *y->ts);
            y->v = realloc(y->v, y->cap * sizeof *y->v);
        }
        y->ts[y->n] = y->cur_ts;
        y->v[y->n++] = strtod(b, NULL);
    }
    return 1;
}
static int y_key(void *c, const unsigned char *s, size_t l)
{
    struct ys *y = c;
    size_t k = l < 31 ? l : 31;
    memcpy(y->key, s, k);
    y->key[k] = 0;
    return 1;
}
static int y_sa(void *c)
{
    struct ys *y = c;
    y->depth++;
    if (!y->in_values && !strcmp(y->key, "values"))
        y->in_values = y->depth;
    return 1;
}
static int y_ea(void *c)
{
    struct ys *y = c;
    if (y->in_values == y->depth) {
        y->in_values = 0;
        y->key[0] = 0;
    }
    y->depth--;
    return 1;
}
static int y_sm(void *c)
{
    ((struct ys *)c)->depth++;
    return 1;
}
static int y_em(void *c)
{
    ((struct ys *)c)->depth--;
    return 1;
}
static double run_yajl(const char *b, size_t n, size_t *pts)
{
    static yajl_callbacks cb = {NULL, NULL, NULL, NULL, y_num, y_str, y_sm, y_key, y_em, y_sa, y_ea};
    struct ys y;
    memset(&y, 0, sizeof y);
    double t = cpu_now();
    yajl_handle h = yajl_alloc(&cb, NULL, &y);
    for (size_t off = 0; off < n; off += PIECE)
        if (yajl_parse(h, (const unsigned char *)b + off, n - off < PIECE ? n - off : PIECE) !=
            yajl_status_ok)
            return -1;
    if (yajl_complete_parse(h) != yajl_status_ok)
        return -1;
    t = cpu_now() - t;
    *pts = y.n;
    yajl_free(h);
    free(y.ts);
    free(y.v);
    return t;
}
#endif

static double run_jansson(const char *b, size_t n, size_t *pts)
{
    double t = cpu_now();
    json_error_t je;
    json_t *root = json_loadb(b, n, 0, &je);
    if (!root)
        return -1;
    json_t *res = json_object_get(json_object_get(root, "data"), "result"), *el;
    size_t i;
    *pts = 0;
    json_array_foreach(res, i, el)
    {
        json_t *vals = json_object_get(el, "values");
        size_t m = json_array_size(vals);
        int64_t *ts = malloc(m * sizeof *ts);
        double *vs = malloc(m * sizeof *vs);
        for (size_t k = 0; k < m; k++) {
            json_t *p = json_array_get(vals, k);
            ts[k] = llround(json_number_value(json_array_get(p, 0)) * 1000) * 1000000;
            vs[k] = strtod(json_string_value(json_array_get(p, 1)), NULL);
        }
        *pts += m;
        free(ts);
        free(vs);
    }
    json_decref(root);
    return cpu_now() - t;
}

static double best_of(double (*fn)(const char *, size_t, size_t *), const char *b, size_t n,
                      size_t *pts)
{
    double best = -1;
    for (int r = 0; r < 5; r++) {
        double t = fn(b, n, pts);
        if (t < 0)
            return -1;
        if (best < 0 || t < best)
            best = t;
    }
    return best;
}

int main(void)
{
    size_t n, p1 = 0, p3 = 0;
    char *b = make_body(&n);
    if (!b)
        return 1;
    printf("bench_prom_parse: %.1f MB matrix body, 1,000,000 points, %d-byte pieces; best CPU "
           "time of 5\n", (double)n / 1e6, PIECE);
    double ts = best_of(run_scope, b, n, &p1);
    printf("  %-28s %7.3f s  %6.0f MB/s  %zu points\n", "libscope scanner", ts,
           (double)n / 1e6 / ts, p1);
#ifdef SCOPE_BENCH_HAVE_YAJL
    size_t p2 = 0;
    double ty = best_of(run_yajl, b, n, &p2);
    printf("  %-28s %7.3f s  %6.0f MB/s  %zu points  (%.1fx libscope)\n", "yajl SAX + strtod", ty,
           (double)n / 1e6 / ty, p2, ty / ts);
#else
    printf("  yajl SAX: not built (install libyajl-dev to compare)\n");
#endif
    double tj = best_of(run_jansson, b, n, &p3);
    printf("  %-28s %7.3f s  %6.0f MB/s  %zu points  (%.1fx libscope)\n",
           "jansson DOM + walk + strtod", tj, (double)n / 1e6 / tj, p3, tj / ts);
    free(b);
    return 0;
}
