/* scope-load: an HTTP/1.1 load generator with wrk2's flags, built on
 * libscope's load drivers. Open loop at -R req/s (coordinated-omission
 * corrected) or --closed; request mixes from a JSON file; wrk2-style report,
 * JSON, HdrHistogram interval logs, rate and payload sweeps.
 *
 *   scope-load -t2 -c100 -d30s -R10000 -L http://127.0.0.1:8080/index.html
 *   scope-load --closed -c50 -d10s http://127.0.0.1:8080/100b.txt
 *   scope-load -R2000 --mix mix.json --json http://127.0.0.1:8080/
 *   scope-load -d5s --sweep 10%:100%:10% http://127.0.0.1:8080/
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scope/scope.h>

#include "common/experiment.h"

static scope_load *g_load; /* for SIGINT: scope_load_stop is signal-safe */

static void on_sigint(int sig)
{
    (void)sig;
    if (g_load)
        scope_load_stop(g_load);
}

static void usage(FILE *f)
{
    fprintf(f,
        "Usage: scope-load [options] URL\n"
        "  -t, --threads N         threads (default 2)\n"
        "  -c, --connections N     connections (default 10)\n"
        "  -d, --duration T        run length: 10s, 500ms, 2m (default 10s)\n"
        "  -R, --rate N            open loop: requests per second over all connections\n"
        "      --closed            closed loop: next request when the previous completes\n"
        "      --think T           closed loop: pause between requests\n"
        "      --poisson           open loop with exponential gaps (default: constant)\n"
        "  -H, --header 'N: V'     add a header (repeatable)\n"
        "      --timeout T         request timeout (default 2s)\n"
        "      --slack T           open loop: batch sends due within T (fewer wake-ups,\n"
        "                          less driver CPU; up to T more latency, measured)\n"
        "      --poll T            busy-poll up to T before blocking (more driver CPU;\n"
        "                          the server is spared waking the driver: closed loop)\n"
        "  -k, --insecure          https: do not verify the server's certificate\n"
        "      --cacert FILE       https: trust the CA certificates in this PEM file\n"
        "      --requests-per-conn N  reopen connections after N requests (1: Connection: close)\n"
        "      --mix FILE          JSON request mix (see docs/load.md)\n"
        "      --body-size N       request body of N bytes (POST with --method)\n"
        "      --method M          method of the default request (default GET)\n"
        "  -L, --latency           print the detailed percentile spectrum\n"
        "  -U, --u_latency         print the uncorrected latency too\n"
        "      --percentiles LIST  percentiles to report (default 50,75,90,99,99.9,99.99,99.999,100)\n"
        "      --json              print the result as JSON\n"
        "      --hdr-log FILE      write per-second HdrHistogram interval logs (.hlog)\n"
        "      --sweep SPEC        rate sweep: 1000,2000 | 1000:5000:1000 | 10%%:100%%:10%%\n"
        "                          (percentages of a closed-loop maximum measured first)\n"
        "      --sweep-body SPEC   payload-size sweep in bytes, same syntax without %%\n"
        "  -h, --help\n");
}

static int parse_dur(const char *s, int64_t *ns)
{
    char *e;
    double v = strtod(s, &e);
    if (e == s || !(v >= 0))
        return -1;
    double mul = 1e9;
    if (!strcmp(e, "ms"))
        mul = 1e6;
    else if (!strcmp(e, "us"))
        mul = 1e3;
    else if (!strcmp(e, "m"))
        mul = 60e9;
    else if (!strcmp(e, "h"))
        mul = 3600e9;
    else if (*e && strcmp(e, "s"))
        return -1;
    *ns = (int64_t)(v * mul);
    return 0;
}

static void fmt_time(char *buf, size_t n, double ns)
{
    if (ns < 1e3)
        snprintf(buf, n, "%.0fns", ns);
    else if (ns < 1e6)
        snprintf(buf, n, "%.2fus", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, n, "%.2fms", ns / 1e6);
    else
        snprintf(buf, n, "%.2fs", ns / 1e9);
}

static void fmt_bytes(char *buf, size_t n, double b)
{
    const char *u[] = {"B", "KB", "MB", "GB", "TB"};
    int i = 0;
    while (b >= 1024 && i < 4)
        b /= 1024, i++;
    snprintf(buf, n, "%.2f%s", b, u[i]);
}

struct cfg {
    const char *url, *mix, *hlog, *sweep, *sweep_body, *method;
    double pct[32];
    int npct;
    int latency, u_latency, json;
    long body_size;
    const char *headers[64];
    int nheaders;
};

static int load_mix(scope_load *l, const char *file)
{
    json_error_t err;
    json_t *root = json_load_file(file, 0, &err);
    if (!root) {
        fprintf(stderr, "scope-load: %s:%d:%d: %s\n", file, err.line, err.column, err.text);
        return -1;
    }
    int rc = mix_apply(l, root, file, stderr);
    json_decref(root);
    return rc;
}

static json_t *hist_json(const scope_hist *h, const struct cfg *c)
{
    json_t *o = json_object(), *p = json_object();
    json_object_set_new(o, "count", json_integer(scope_hist_count(h)));
    json_object_set_new(o, "min_us", json_real((double)scope_hist_min(h) / 1e3));
    json_object_set_new(o, "mean_us", json_real(scope_hist_mean(h) / 1e3));
    json_object_set_new(o, "stdev_us", json_real(scope_hist_stdev(h) / 1e3));
    json_object_set_new(o, "max_us", json_real((double)scope_hist_max(h) / 1e3));
    for (int i = 0; i < c->npct; i++) {
        char k[32];
        snprintf(k, sizeof k, "%g", c->pct[i]);
        json_object_set_new(p, k, json_real((double)scope_hist_percentile(h, c->pct[i]) / 1e3));
    }
    json_object_set_new(o, "percentiles_us", p);
    return o;
}

static json_t *stats_json(const scope_load_result *r, int type, const struct cfg *c)
{
    scope_load_stats s = SCOPE_LOAD_STATS_INIT;
    scope_load_result_stats(r, type, &s);
    json_t *o = json_object();
    if (type >= 0)
        json_object_set_new(o, "name", json_string(scope_load_result_type_name(r, type)));
    json_object_set_new(o, "sent", json_integer(s.sent));
    json_object_set_new(o, "completed", json_integer(s.completed));
    json_object_set_new(o, "errors", json_integer(s.errors));
    json_object_set_new(o, "in_flight", json_integer(s.in_flight));
    json_object_set_new(o, "late", json_integer(s.late));
    json_object_set_new(o, "rate", json_real(s.rate));
    json_t *st = json_object();
    for (int code = 100; code < 1000; code++) {
        int64_t n = scope_load_result_status(r, type, code);
        if (n) {
            char k[8];
            snprintf(k, sizeof k, "%d", code);
            json_object_set_new(st, k, json_integer(n));
        }
    }
    json_object_set_new(o, "status", st);
    json_object_set_new(o, "latency", hist_json(scope_load_result_hist(r, type, 1), c));
    json_object_set_new(o, "latency_uncorrected", hist_json(scope_load_result_hist(r, type, 0), c));
    return o;
}

static json_t *result_json(const scope_load_result *r, const struct cfg *c, const char *mode)
{
    scope_load_stats s = SCOPE_LOAD_STATS_INIT;
    scope_load_result_stats(r, -1, &s);
    json_t *o = stats_json(r, -1, c);
    json_object_set_new(o, "url", json_string(c->url));
    json_object_set_new(o, "mode", json_string(mode));
    json_object_set_new(o, "engine", json_string(scope_load_result_engine(r)));
    json_object_set_new(o, "target_rate", json_real(s.target_rate));
    json_object_set_new(o, "duration_s", json_real((double)s.duration_ns / 1e9));
    json_object_set_new(o, "start_unix_s", json_real((double)scope_load_result_start(r) / 1e9));
    json_object_set_new(o, "backlog", json_integer(s.backlog));
    json_object_set_new(o, "connects", json_integer(s.connects));
    json_object_set_new(o, "reconnects", json_integer(s.reconnects));
    json_object_set_new(o, "bytes_read", json_integer(s.bytes_read));
    json_t *errs = json_object();
    for (int k = 1; k < SCOPE_LOAD_ERR_KINDS; k++) {
        int32_t en[16];
        int64_t cnt[16], total;
        int n = scope_load_result_errors(r, k, en, cnt, 16, &total);
        json_t *e = json_object(), *by = json_object();
        json_object_set_new(e, "total", json_integer(total));
        for (int i = 0; i < n && i < 16; i++)
            json_object_set_new(by, en[i] ? strerror(en[i]) : "closed by peer",
                                json_integer(cnt[i]));
        json_object_set_new(e, "by_errno", by);
        const char *first = scope_load_result_error_message(r, k);
        if (first)
            json_object_set_new(e, "first", json_string(first));
        json_object_set_new(errs, scope_load_error_kind_name(k), e);
    }
    json_object_set_new(o, "socket_errors", errs);
    json_t *types = json_array();
    for (int t = 0; t < scope_load_result_type_count(r); t++)
        json_array_append_new(types, stats_json(r, t, c));
    json_object_set_new(o, "types", types);
    /* per-second throughput, on the wall-clock timeline */
    const scope_series_set *set = scope_load_result_series(r);
    scope_series *thr;
    const char *lk[] = {"type"}, *lv[] = {"all"};
    if (!scope_series_set_find(&thr, set, "scope_load_throughput", lk, lv, 1)) {
        json_t *a = json_array();
        for (size_t i = 0; i < scope_series_count(thr); i++) {
            json_t *pt = json_array();
            json_array_append_new(pt, json_real((double)scope_series_timestamps(thr)[i] / 1e9));
            json_array_append_new(pt, json_real(scope_series_values(thr)[i]));
            json_array_append_new(a, pt);
        }
        json_object_set_new(o, "throughput_per_interval", a);
    }
    return o;
}

static void print_dist(const scope_hist *h, const struct cfg *c, const char *title)
{
    printf("  %s\n", title);
    for (int i = 0; i < c->npct; i++) {
        char b[32];
        fmt_time(b, sizeof b, (double)scope_hist_percentile(h, c->pct[i]));
        printf(" %7.3f%% %9s\n", c->pct[i], b);
    }
}

static void print_report(const scope_load_result *r, const struct cfg *c, const scope_load_opts *o)
{
    scope_load_stats s = SCOPE_LOAD_STATS_INIT;
    scope_load_result_stats(r, -1, &s);
    const scope_hist *h = scope_load_result_hist(r, -1, 1), *u = scope_load_result_hist(r, -1, 0);
    char a[32], b[32], d[32];
    fmt_time(a, sizeof a, scope_hist_mean(h));
    fmt_time(b, sizeof b, scope_hist_stdev(h));
    fmt_time(d, sizeof d, (double)scope_hist_max(h));
    printf("  %d threads and %d connections (%s loop%s)\n", (int)o->threads, (int)o->connections,
           o->mode == SCOPE_LOAD_CLOSED ? "closed" : "open",
           o->arrival == SCOPE_LOAD_POISSON ? ", Poisson arrivals" : "");
    printf("  Thread Stats   Avg      Stdev     Max\n");
    printf("    Latency   %8s %8s %8s\n", a, b, d);
    print_dist(h, c, "Latency Distribution (HdrHistogram - Recorded Latency)");
    if (c->latency) {
        printf("\n  Detailed Percentile spectrum:\n");
        scope_hist_print(stdout, h, 1e6, 0);
    }
    if (c->u_latency) {
        printf("\n");
        print_dist(u, c, "Latency Distribution (HdrHistogram - Uncorrected Latency (measured "
                         "without taking delayed starts into account))");
        if (c->latency) {
            printf("\n  Detailed Percentile spectrum:\n");
            scope_hist_print(stdout, u, 1e6, 0);
        }
    }
    int nt = scope_load_result_type_count(r);
    if (nt > 1) {
        printf("\n  Per request type   count    share     p50       p90       p99      max\n");
        for (int t = 0; t < nt; t++) {
            scope_load_stats ts = SCOPE_LOAD_STATS_INIT;
            scope_load_result_stats(r, t, &ts);
            const scope_hist *th = scope_load_result_hist(r, t, 1);
            char p50[16], p90[16], p99[16], mx[16];
            fmt_time(p50, sizeof p50, (double)scope_hist_percentile(th, 50));
            fmt_time(p90, sizeof p90, (double)scope_hist_percentile(th, 90));
            fmt_time(p99, sizeof p99, (double)scope_hist_percentile(th, 99));
            fmt_time(mx, sizeof mx, (double)scope_hist_max(th));
            printf("    %-14s %9lld %7.3f%% %9s %9s %9s %9s\n", scope_load_result_type_name(r, t),
                   (long long)ts.completed,
                   s.completed ? 100.0 * (double)ts.completed / (double)s.completed : 0.0, p50, p90,
                   p99, mx);
        }
    }
    printf("----------------------------------------------------------\n");
    fmt_bytes(a, sizeof a, (double)s.bytes_read);
    printf("  %lld requests in %.2fs, %s read\n", (long long)s.completed,
           (double)s.duration_ns / 1e9, a);
    int64_t tot[SCOPE_LOAD_ERR_KINDS] = {0};
    for (int k = 1; k < SCOPE_LOAD_ERR_KINDS; k++)
        scope_load_result_errors(r, k, NULL, NULL, 0, &tot[k]);
    if (tot[1] || tot[2] || tot[3] || tot[4] || tot[5]) {
        printf("  Socket errors: connect %lld, read %lld, write %lld, timeout %lld, parse %lld\n",
               (long long)tot[1], (long long)tot[2], (long long)tot[3], (long long)tot[4],
               (long long)tot[5]);
        for (int k = 1; k < SCOPE_LOAD_ERR_KINDS; k++) {
            int32_t en[16];
            int64_t cnt[16];
            int n = scope_load_result_errors(r, k, en, cnt, 16, NULL);
            for (int i = 0; i < n && i < 16; i++)
                printf("    %s: %s x %lld\n", scope_load_error_kind_name(k),
                       en[i] ? strerror(en[i]) : "closed by peer", (long long)cnt[i]);
            const char *first = scope_load_result_error_message(r, k);
            if (first)
                printf("    first %s error: %s\n", scope_load_error_kind_name(k), first);
        }
    }
    int64_t bad = s.status_4xx + s.status_5xx + s.status_other;
    if (bad)
        printf("  Non-2xx or 3xx responses: %lld\n", (long long)bad);
    if (o->mode == SCOPE_LOAD_OPEN)
        printf("  Late sends (> 1 ms behind schedule): %lld of %lld; never sent: %lld\n",
               (long long)s.late, (long long)s.sent, (long long)s.backlog);
    if (s.reconnects)
        printf("  Reconnects: %lld\n", (long long)s.reconnects);
    printf("Requests/sec: %10.2f", s.rate);
    if (o->mode == SCOPE_LOAD_OPEN)
        printf("   (target %.2f, %.2f%%)", s.target_rate, 100.0 * s.rate / s.target_rate);
    printf("\n");
    fmt_bytes(a, sizeof a, s.duration_ns ? (double)s.bytes_read * 1e9 / (double)s.duration_ns : 0);
    printf("Transfer/sec: %10s\n", a);
}

static int write_hlog(const scope_load_result *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "scope-load: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int rc = scope_load_result_write_hlog(r, f);
    if (fclose(f) || rc) {
        fprintf(stderr, "scope-load: writing %s: %s\n", path, scope_error_message());
        return -1;
    }
    return 0;
}

struct sweepctx {
    struct cfg *c;
    scope_load_opts *o;
    json_t *arr;
    const char *what;
};

static int on_step(size_t step, double value, scope_load_result *r, void *user)
{
    struct sweepctx *s = user;
    if (s->arr) {
        json_t *j = result_json(r, s->c, s->o->mode == SCOPE_LOAD_CLOSED ? "closed" : "open");
        json_object_set_new(j, "sweep_step", json_integer((json_int_t)step));
        json_object_set_new(j, "sweep_value", json_real(value));
        json_array_append_new(s->arr, j);
    } else {
        printf("\n=== step %zu: %s = %g ===\n", step, s->what, value);
        print_report(r, s->c, s->o);
    }
    scope_load_result_free(r);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option lo[] = {
        {"threads", required_argument, 0, 't'}, {"connections", required_argument, 0, 'c'},
        {"duration", required_argument, 0, 'd'}, {"rate", required_argument, 0, 'R'},
        {"header", required_argument, 0, 'H'}, {"latency", no_argument, 0, 'L'},
        {"u_latency", no_argument, 0, 'U'}, {"timeout", required_argument, 0, 1},
        {"mix", required_argument, 0, 2}, {"json", no_argument, 0, 3},
        {"hdr-log", required_argument, 0, 4}, {"percentiles", required_argument, 0, 5},
        {"closed", no_argument, 0, 6}, {"sweep", required_argument, 0, 7},
        {"poisson", no_argument, 0, 8}, {"think", required_argument, 0, 9},
        {"requests-per-conn", required_argument, 0, 10}, {"body-size", required_argument, 0, 11},
        {"method", required_argument, 0, 12}, {"sweep-body", required_argument, 0, 13},
        {"insecure", no_argument, 0, 'k'}, {"cacert", required_argument, 0, 14},
        {"slack", required_argument, 0, 15}, {"poll", required_argument, 0, 16},
        {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    scope_load_opts o = SCOPE_LOAD_OPTS_INIT;
    struct cfg c;
    memset(&c, 0, sizeof c);
    const double defpct[] = {50, 75, 90, 99, 99.9, 99.99, 99.999, 100};
    memcpy(c.pct, defpct, sizeof defpct);
    c.npct = 8;
    c.body_size = -1;
    o.threads = 2;
    o.connections = 10;
    int opt;
    char *e;
    while ((opt = getopt_long(argc, argv, "t:c:d:R:H:LUkh", lo, NULL)) != -1) {
        switch (opt) {
        case 't': o.threads = (int32_t)strtol(optarg, &e, 10); if (*e || o.threads < 1) goto bad; break;
        case 'c': o.connections = (int32_t)strtol(optarg, &e, 10); if (*e || o.connections < 1) goto bad; break;
        case 'd': if (parse_dur(optarg, &o.duration_ns) || !o.duration_ns) goto bad; break;
        case 'R': o.rate = strtod(optarg, &e); if (*e || !(o.rate > 0)) goto bad; break;
        case 'H': if (c.nheaders == 64) goto bad; c.headers[c.nheaders++] = optarg; break;
        case 'L': c.latency = 1; break;
        case 'U': c.u_latency = 1; break;
        case 1: if (parse_dur(optarg, &o.timeout_ns) || !o.timeout_ns) goto bad; break;
        case 2: c.mix = optarg; break;
        case 3: c.json = 1; break;
        case 4: c.hlog = optarg; break;
        case 5: {
            c.npct = 0;
            for (char *p = optarg; *p && c.npct < 32;) {
                c.pct[c.npct] = strtod(p, &e);
                if (e == p || c.pct[c.npct] < 0 || c.pct[c.npct] > 100) goto bad;
                c.npct++;
                p = *e == ',' ? e + 1 : e;
                if (*e && *e != ',') goto bad;
            }
            if (!c.npct) goto bad;
            break;
        }
        case 6: o.mode = SCOPE_LOAD_CLOSED; break;
        case 7: c.sweep = optarg; break;
        case 8: o.arrival = SCOPE_LOAD_POISSON; break;
        case 9: if (parse_dur(optarg, &o.think_ns)) goto bad; break;
        case 10: o.requests_per_conn = strtol(optarg, &e, 10); if (*e || o.requests_per_conn < 0) goto bad; break;
        case 11: c.body_size = strtol(optarg, &e, 10); if (*e || c.body_size < 0) goto bad; break;
        case 12: c.method = optarg; break;
        case 13: c.sweep_body = optarg; break;
        case 'k': o.tls_insecure = 1; break;
        case 14: o.ca_file = optarg; break;
        case 15: if (parse_dur(optarg, &o.send_slack_ns)) goto bad; break;
        case 16: if (parse_dur(optarg, &o.poll_ns)) goto bad; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        continue;
    bad:
        for (const struct option *q = lo; q->name; q++)
            if (q->val == opt)
                fprintf(stderr, "scope-load: invalid value for --%s: \"%s\"\n", q->name,
                        optarg ? optarg : "");
        return 2;
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    c.url = argv[optind];
    if (o.mode != SCOPE_LOAD_CLOSED && !(o.rate > 0) && !c.sweep) {
        fprintf(stderr, "scope-load: give a rate with -R (open loop) or use --closed\n");
        return 2;
    }
    if (o.threads > o.connections)
        o.threads = o.connections;
    scope_load *l;
    if (scope_load_new(&l, c.url, &o)) {
        fprintf(stderr, "scope-load: %s\n", scope_error_message());
        return 1;
    }
    int status = 1;
    if (c.mix && load_mix(l, c.mix))
        goto out;
    if (!c.mix && (c.method || c.body_size >= 0)) {
        int t = scope_load_add_type(l, "default", 1.0, c.method, NULL);
        if (t < 0 || (c.body_size >= 0 && scope_load_set_body(l, t, NULL, (size_t)c.body_size))) {
            fprintf(stderr, "scope-load: %s\n", scope_error_message());
            goto out;
        }
    }
    for (int i = 0; i < c.nheaders; i++) {
        char name[256];
        const char *colon = strchr(c.headers[i], ':');
        size_t n = colon ? (size_t)(colon - c.headers[i]) : 0;
        if (!colon || n >= sizeof name) {
            fprintf(stderr, "scope-load: header \"%s\": use 'Name: value'\n", c.headers[i]);
            goto out;
        }
        memcpy(name, c.headers[i], n);
        name[n] = '\0';
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        if (scope_load_add_header(l, -1, name, v)) {
            fprintf(stderr, "scope-load: %s\n", scope_error_message());
            goto out;
        }
    }
    g_load = l;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    if (c.sweep || c.sweep_body) {
        double max = 0;
        if (c.sweep && strchr(c.sweep, '%')) {
            /* measure the maximum with a closed-loop probe of the same length */
            scope_load_set_mode(l, SCOPE_LOAD_CLOSED);
            scope_load_result *probe;
            if (scope_load_run(&probe, l)) {
                fprintf(stderr, "scope-load: probe: %s\n", scope_error_message());
                goto out;
            }
            scope_load_stats s = SCOPE_LOAD_STATS_INIT;
            scope_load_result_stats(probe, -1, &s);
            max = s.rate;
            scope_load_result_free(probe);
            if (!c.json)
                printf("Measured maximum (closed loop, %d connections): %.1f req/s\n",
                       (int)o.connections, max);
            scope_load_set_mode(l, SCOPE_LOAD_OPEN);
            o.mode = SCOPE_LOAD_OPEN;
        }
        double *vals;
        size_t n;
        if (scope_load_sweep_parse(&vals, &n, c.sweep ? c.sweep : c.sweep_body, max)) {
            fprintf(stderr, "scope-load: %s\n", scope_error_message());
            goto out;
        }
        struct sweepctx sc = {&c, &o, c.json ? json_array() : NULL,
                              c.sweep ? "rate" : "body size"};
        int kind = c.sweep ? SCOPE_LOAD_SWEEP_RATE : SCOPE_LOAD_SWEEP_BODY;
        if (kind == SCOPE_LOAD_SWEEP_BODY && o.mode == SCOPE_LOAD_OPEN && !(o.rate > 0)) {
            fprintf(stderr, "scope-load: a payload sweep needs -R or --closed\n");
            scope_load_sweep_free(vals);
            goto out;
        }
        int rc = scope_load_sweep(l, kind, vals, n, on_step, &sc);
        scope_load_sweep_free(vals);
        if (sc.arr) {
            json_dumpf(sc.arr, stdout, JSON_INDENT(2));
            printf("\n");
            json_decref(sc.arr);
        }
        if (rc) {
            fprintf(stderr, "scope-load: %s\n", scope_error_message());
            goto out;
        }
        status = 0;
        goto out;
    }

    if (!c.json)
        printf("Running %.1fs test @ %s\n", o.duration_ns ? (double)o.duration_ns / 1e9 : 10.0,
               c.url);
    scope_load_result *r;
    int rc = scope_load_run(&r, l);
    if (rc && rc != SCOPE_EUSER) {
        fprintf(stderr, "scope-load: %s\n", scope_error_message());
        goto out;
    }
    if (c.json) {
        json_t *j = result_json(r, &c, o.mode == SCOPE_LOAD_CLOSED ? "closed" : "open");
        json_dumpf(j, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(j);
    } else {
        scope_load_opts eff = o;
        if (!eff.mode)
            eff.mode = SCOPE_LOAD_OPEN;
        print_report(r, &c, &eff);
    }
    status = c.hlog && write_hlog(r, c.hlog) ? 1 : 0;
    scope_load_result_free(r);
out:
    g_load = NULL;
    scope_load_free(l);
    return status;
}
