/* scope-prom: query a Prometheus HTTP API and print series.
 *
 *   scope-prom [client options] range QUERY --start T --end T --step S
 *              [--align] [--max-points N] [--concurrency N] [--csv|--jsonl|--wide-csv]
 *   scope-prom [client options] instant QUERY [--time T] [--csv|--jsonl|--wide-csv]
 *   scope-prom [client options] series MATCH... [--start T] [--end T]
 *   scope-prom [client options] labels [--match M]... [--start T] [--end T]
 *   scope-prom [client options] label-values NAME [--match M]... [--start T] [--end T]
 *   scope-prom [client options] usage cpu|net|disk [--selector S] --start T --end T --step S
 *
 * Client options: --url U (default $PROMETHEUS_URL or http://127.0.0.1:9090),
 * --header 'Name: value' (repeatable), --user U --password P, --bearer-token-file F,
 * --ca-file F, --cert F --key F, --insecure, --timeout SECONDS, --retries N.
 * Times: unix seconds, RFC 3339, "now" or relative ("-1h", "-90s").
 * Steps: seconds ("15") or durations ("1m30s").
 * Public API only. */
#include <scope/scope.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *f)
{
    fputs("usage: scope-prom [--url U] [--header 'K: V'] [--user U --password P]\n"
          "                  [--bearer-token-file F] [--ca-file F] [--cert F --key F]\n"
          "                  [--insecure] [--timeout S] [--retries N] COMMAND ...\n"
          "commands:\n"
          "  range QUERY --start T --end T --step S [--align] [--max-points N]\n"
          "        [--concurrency N] [--csv|--jsonl|--wide-csv]\n"
          "  instant QUERY [--time T] [--csv|--jsonl|--wide-csv]\n"
          "  series MATCH... [--start T] [--end T]\n"
          "  labels [--match M]... [--start T] [--end T]\n"
          "  label-values NAME [--match M]... [--start T] [--end T]\n"
          "  usage cpu|net|disk [--selector S] [--rate-window S] --start T --end T --step S\n"
          "times: unix seconds, RFC 3339, now, -1h; steps: 15, 1m30s\n",
          f);
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int die(const char *what)
{
    fprintf(stderr, "scope-prom: %s: %s\n", what, scope_error_message());
    return 1;
}

/* Prometheus works in ms: round user times down to whole ms. */
static int get_time(const char *s, int64_t *out)
{
    if (scope_prom_parse_time(s, now_ns(), out))
        return -1;
    *out -= ((*out % 1000000) + 1000000) % 1000000;
    return 0;
}

static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void selector(FILE *f, const scope_series *s, int csv)
{
    char buf[4096];
    size_t n = (size_t)snprintf(buf, sizeof buf, "%s{", scope_series_name(s));
    for (size_t i = 0; i < scope_series_label_count(s) && n < sizeof buf; i++) {
        n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s=\"", i ? "," : "",
                              scope_series_label_key(s, i));
        for (const char *v = scope_series_label_value(s, i); *v && n + 3 < sizeof buf; v++) {
            if (*v == '"' || *v == '\\')
                buf[n++] = '\\';
            if (*v == '\n') {
                buf[n++] = '\\';
                buf[n++] = 'n';
                continue;
            }
            buf[n++] = *v;
        }
        if (n + 1 < sizeof buf)
            buf[n++] = '"';
        buf[n < sizeof buf ? n : sizeof buf - 1] = '\0';
    }
    if (n + 1 < sizeof buf) {
        buf[n++] = '}';
        buf[n] = '\0';
    } else {
        buf[sizeof buf - 1] = '\0';
    }
    if (csv)
        csv_field(f, buf);
    else
        fputs(buf, f);
}

static void print_double(FILE *f, double v)
{
    if (v != v)
        fputs("NaN", f);
    else if (v > 1.7976931348623157e308)
        fputs("+Inf", f);
    else if (v < -1.7976931348623157e308)
        fputs("-Inf", f);
    else
        fprintf(f, "%.17g", v);
}

/* One row per distinct timestamp, one column per series; empty cells where a
 * series has no point. A k-way merge over the series' sorted columns. */
static int wide_csv(const scope_series_set *set, FILE *f)
{
    size_t n = scope_series_set_count(set);
    size_t *pos = calloc(n ? n : 1, sizeof *pos);
    if (!pos)
        return -1;
    fputs("timestamp_ns", f);
    for (size_t i = 0; i < n; i++) {
        fputc(',', f);
        selector(f, scope_series_set_at(set, i), 1);
    }
    fputc('\n', f);
    for (;;) {
        int64_t t = INT64_MAX;
        int any = 0;
        for (size_t i = 0; i < n; i++) {
            const scope_series *s = scope_series_set_at(set, i);
            if (pos[i] < scope_series_count(s) && scope_series_timestamps(s)[pos[i]] <= t) {
                t = scope_series_timestamps(s)[pos[i]];
                any = 1;
            }
        }
        if (!any)
            break;
        fprintf(f, "%lld", (long long)t);
        for (size_t i = 0; i < n; i++) {
            const scope_series *s = scope_series_set_at(set, i);
            fputc(',', f);
            if (pos[i] < scope_series_count(s) && scope_series_timestamps(s)[pos[i]] == t) {
                print_double(f, scope_series_values(s)[pos[i]]);
                pos[i]++;
            }
        }
        fputc('\n', f);
    }
    free(pos);
    return ferror(f) ? -1 : 0;
}

enum { OUT_CSV, OUT_JSONL, OUT_WIDE };

static int print_result(const scope_prom_result *r, int out)
{
    for (size_t i = 0; i < scope_prom_result_warning_count(r); i++)
        fprintf(stderr, "warning: %s\n", scope_prom_result_warning_at(r, i));
    for (size_t i = 0; i < scope_prom_result_info_count(r); i++)
        fprintf(stderr, "info: %s\n", scope_prom_result_info_at(r, i));
    int type = scope_prom_result_type(r);
    if (type == SCOPE_PROM_STRING || type == SCOPE_PROM_STRINGS) {
        for (size_t i = 0; i < scope_prom_result_string_count(r); i++)
            puts(scope_prom_result_string_at(r, i));
        return 0;
    }
    const scope_series_set *set = scope_prom_result_series(r);
    if (type == SCOPE_PROM_SERIES) {
        for (size_t i = 0; i < scope_series_set_count(set); i++) {
            selector(stdout, scope_series_set_at(set, i), 0);
            putchar('\n');
        }
        return 0;
    }
    if (out == OUT_WIDE)
        return wide_csv(set, stdout) ? die("writing") : 0;
    if (scope_export_write(set, out == OUT_JSONL ? SCOPE_EXPORT_JSONL : SCOPE_EXPORT_CSV,
                           stdout, NULL))
        return die("writing");
    return 0;
}

int main(int argc, char **argv)
{
    scope_prom_opts o = SCOPE_PROM_OPTS_INIT;
    const char *env = getenv("PROMETHEUS_URL");
    o.url = env && *env ? env : NULL;
    const char *headers[32];
    size_t nheaders = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--insecure")) {
            o.tls_insecure = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "scope-prom: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--url")) o.url = v;
        else if (!strcmp(a, "--user")) o.username = v;
        else if (!strcmp(a, "--password")) o.password = v;
        else if (!strcmp(a, "--bearer-token-file")) o.bearer_token_file = v;
        else if (!strcmp(a, "--ca-file")) o.ca_file = v;
        else if (!strcmp(a, "--cert")) o.client_cert = v;
        else if (!strcmp(a, "--key")) o.client_key = v;
        else if (!strcmp(a, "--timeout")) o.timeout_ms = (int32_t)(atof(v) * 1000);
        else if (!strcmp(a, "--retries")) o.max_retries = atoi(v) ? atoi(v) : -1;
        else if (!strcmp(a, "--header")) {
            if (nheaders == 32) {
                fputs("scope-prom: at most 32 --header\n", stderr);
                return 2;
            }
            headers[nheaders++] = v;
        } else {
            fprintf(stderr, "scope-prom: unknown option %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i++];
    /* command arguments */
    const char *pos[64];
    size_t npos = 0;
    const char *match[64];
    size_t nmatch = 0;
    const char *start = NULL, *end = NULL, *step = NULL, *at = NULL, *sel = NULL, *rw = NULL;
    int out = OUT_CSV;
    scope_prom_query_opts qo = SCOPE_PROM_QUERY_OPTS_INIT;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] != '-') {
            if (npos < 64)
                pos[npos++] = a;
            continue;
        }
        if (!strcmp(a, "--csv")) { out = OUT_CSV; continue; }
        if (!strcmp(a, "--jsonl")) { out = OUT_JSONL; continue; }
        if (!strcmp(a, "--wide-csv")) { out = OUT_WIDE; continue; }
        if (!strcmp(a, "--align")) { qo.align = 1; continue; }
        if (i + 1 >= argc) {
            fprintf(stderr, "scope-prom: %s needs a value\n", a);
            return 2;
        }
        const char *v = argv[++i];
        if (!strcmp(a, "--start")) start = v;
        else if (!strcmp(a, "--end")) end = v;
        else if (!strcmp(a, "--step")) step = v;
        else if (!strcmp(a, "--time")) at = v;
        else if (!strcmp(a, "--selector")) sel = v;
        else if (!strcmp(a, "--rate-window")) rw = v;
        else if (!strcmp(a, "--max-points")) qo.max_points = atoi(v);
        else if (!strcmp(a, "--concurrency")) qo.max_concurrency = atoi(v);
        else if (!strcmp(a, "--match")) {
            if (nmatch < 64)
                match[nmatch++] = v;
        } else {
            fprintf(stderr, "scope-prom: unknown option %s\n", a);
            return 2;
        }
    }
    int64_t s_ns = 0, e_ns = 0, step_ns = 0, t_ns = 0, rw_ns = 0;
    if ((start && get_time(start, &s_ns)) || (end && get_time(end, &e_ns)) ||
        (at && get_time(at, &t_ns)) || (step && scope_prom_parse_duration(step, &step_ns)) ||
        (rw && scope_prom_parse_duration(rw, &rw_ns)))
        return die("arguments");

    scope_prom *p;
    if (scope_prom_new(&p, &o))
        return die("client");
    for (size_t h = 0; h < nheaders; h++) {
        const char *c = strchr(headers[h], ':');
        char name[256];
        if (!c || (size_t)(c - headers[h]) >= sizeof name) {
            fprintf(stderr, "scope-prom: --header wants 'Name: value'\n");
            scope_prom_free(p);
            return 2;
        }
        memcpy(name, headers[h], (size_t)(c - headers[h]));
        name[c - headers[h]] = '\0';
        c++;
        while (*c == ' ')
            c++;
        if (scope_prom_add_header(p, name, c)) {
            scope_prom_free(p);
            return die("--header");
        }
    }
    scope_prom_result *r = NULL;
    int rc;
    if (!strcmp(cmd, "range")) {
        if (npos != 1 || !start || !end || !step) {
            fputs("scope-prom: range QUERY --start T --end T --step S\n", stderr);
            scope_prom_free(p);
            return 2;
        }
        rc = scope_prom_query_range(&r, p, pos[0], s_ns, e_ns, step_ns, &qo);
    } else if (!strcmp(cmd, "instant")) {
        if (npos != 1) {
            fputs("scope-prom: instant QUERY [--time T]\n", stderr);
            scope_prom_free(p);
            return 2;
        }
        rc = scope_prom_query(&r, p, pos[0], t_ns, &qo);
    } else if (!strcmp(cmd, "series")) {
        rc = scope_prom_series(&r, p, pos, npos, s_ns, e_ns);
    } else if (!strcmp(cmd, "labels")) {
        rc = scope_prom_labels(&r, p, match, nmatch, s_ns, e_ns);
    } else if (!strcmp(cmd, "label-values")) {
        if (npos != 1) {
            fputs("scope-prom: label-values NAME\n", stderr);
            scope_prom_free(p);
            return 2;
        }
        rc = scope_prom_label_values(&r, p, pos[0], match, nmatch, s_ns, e_ns);
    } else if (!strcmp(cmd, "usage")) {
        int what = npos == 1 && !strcmp(pos[0], "cpu")    ? SCOPE_PROM_CPU_CORES
                   : npos == 1 && !strcmp(pos[0], "net")  ? SCOPE_PROM_NET_MBITS
                   : npos == 1 && !strcmp(pos[0], "disk") ? SCOPE_PROM_DISK_BYTES
                                                          : 0;
        if (!what || !start || !end || !step) {
            fputs("scope-prom: usage cpu|net|disk --start T --end T --step S\n", stderr);
            scope_prom_free(p);
            return 2;
        }
        rc = scope_prom_usage(&r, p, what, sel, rw_ns / 1000000, s_ns, e_ns, step_ns, &qo);
    } else {
        fprintf(stderr, "scope-prom: unknown command %s\n", cmd);
        usage(stderr);
        scope_prom_free(p);
        return 2;
    }
    if (rc) {
        scope_prom_free(p);
        return die(cmd);
    }
    int ret = print_result(r, out);
    scope_prom_result_free(r);
    scope_prom_free(p);
    return ret;
}
