/*
 * scope-cgtop: a top-like table of the cgroups under a parent - CPU %,
 * CFS throttled %, memory working set, block I/O and network rates - built
 * on the cgroup collector (public API only).
 *
 *   scope-cgtop [options] [PARENT]
 *     PARENT            cgroup path, pid:<n>, container:<id> or pod:<uid>
 *                       (default "/")
 *     -d, --depth N     levels below PARENT to show (default 1)
 *     -i, --interval S  seconds between samples (default 1)
 *     -n, --count N     stop after N tables (default: until Ctrl-C)
 *         --once        one table from two samples, then exit
 *         --csv         comma-separated output (no screen clearing)
 *         --root DIR    read mounts and cgroups under DIR (a fixture tree)
 *
 * "-" marks a column whose controller is not available for that cgroup
 * (for example v2 throttling without the cpu controller).
 */
#include <scope/scope.h>

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum { C_CPU, C_THR, C_WS, C_RD, C_WR, C_RX, C_TX, C_N };

struct row {
    char *cgroup;
    double v[C_N];
    int have[C_N];
    double periods_d, thr_d; /* for the throttled share */
    int have_periods;
};

static volatile sig_atomic_t stop_flag;
static void on_sig(int s) { (void)s; stop_flag = 1; }

static struct row *rows;
static size_t nrows, caprows;

static struct row *row_for(const char *cg)
{
    for (size_t i = 0; i < nrows; i++)
        if (strcmp(rows[i].cgroup, cg) == 0)
            return &rows[i];
    if (nrows == caprows) {
        size_t nc = caprows ? caprows * 2 : 64;
        struct row *r = realloc(rows, nc * sizeof *r);
        if (!r)
            return NULL;
        rows = r;
        caprows = nc;
    }
    struct row *r = &rows[nrows];
    memset(r, 0, sizeof *r);
    r->cgroup = strdup(cg);
    if (!r->cgroup)
        return NULL;
    nrows++;
    return r;
}

static void clear_rows(void)
{
    for (size_t i = 0; i < nrows; i++)
        free(rows[i].cgroup);
    nrows = 0;
}

/* The rate of series @s between its twin in @prev and now, per second. */
static int rate_of(const scope_series *s, const scope_series_set *prev, double *rate,
                   double *delta)
{
    size_t nl = scope_series_label_count(s);
    const char *keys[16], *vals[16];
    if (nl > 16 || scope_series_count(s) == 0)
        return -1;
    for (size_t i = 0; i < nl; i++) {
        keys[i] = scope_series_label_key(s, i);
        vals[i] = scope_series_label_value(s, i);
    }
    scope_series *p;
    if (scope_series_set_find(&p, prev, scope_series_name(s), keys, vals, nl) ||
        scope_series_count(p) == 0)
        return -1;
    double v1 = scope_series_values(s)[scope_series_count(s) - 1];
    double v0 = scope_series_values(p)[scope_series_count(p) - 1];
    int64_t t1 = scope_series_timestamps(s)[scope_series_count(s) - 1];
    int64_t t0 = scope_series_timestamps(p)[scope_series_count(p) - 1];
    if (t1 <= t0 || v1 < v0) /* a counter reset: skip this round */
        return -1;
    *delta = v1 - v0;
    *rate = (v1 - v0) / ((double)(t1 - t0) * 1e-9);
    return 0;
}

static void build_rows(const scope_series_set *cur, const scope_series_set *prev)
{
    clear_rows();
    for (size_t i = 0; i < scope_series_set_count(cur); i++) {
        const scope_series *s = scope_series_set_at(cur, i);
        const char *cg = scope_series_label(s, "cgroup");
        if (!cg || scope_series_end_time(s))
            continue;
        struct row *r = row_for(cg);
        if (!r)
            return;
        const char *name = scope_series_name(s);
        double rate, d;
        int col = -1;
        if (strcmp(name, "container_memory_working_set_bytes") == 0) {
            r->v[C_WS] = scope_series_values(s)[scope_series_count(s) - 1];
            r->have[C_WS] = 1;
            continue;
        }
        if (rate_of(s, prev, &rate, &d))
            continue;
        if (strcmp(name, "container_cpu_usage_seconds_total") == 0)
            col = C_CPU, rate *= 100;
        else if (strcmp(name, "container_cpu_cfs_periods_total") == 0) {
            r->periods_d = d;
            r->have_periods = 1;
        } else if (strcmp(name, "container_cpu_cfs_throttled_periods_total") == 0) {
            r->thr_d = d;
            r->have[C_THR] = 1;
        } else if (scope_series_label(s, "device")) {
            continue; /* per-device series: the sums are enough here */
        } else if (strcmp(name, "container_fs_reads_bytes_total") == 0)
            col = C_RD;
        else if (strcmp(name, "container_fs_writes_bytes_total") == 0)
            col = C_WR;
        else if (strcmp(name, "container_network_receive_bytes_total") == 0)
            col = C_RX;
        else if (strcmp(name, "container_network_transmit_bytes_total") == 0)
            col = C_TX;
        if (col >= 0) {
            r->v[col] += rate; /* network: summed over interfaces */
            r->have[col] = 1;
        }
    }
    for (size_t i = 0; i < nrows; i++) {
        struct row *r = &rows[i];
        if (r->have[C_THR] && r->have_periods)
            r->v[C_THR] = r->periods_d > 0 ? 100.0 * r->thr_d / r->periods_d : 0.0;
        else
            r->have[C_THR] = 0;
    }
}

static int by_cpu(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    double cx = x->have[C_CPU] ? x->v[C_CPU] : -1, cy = y->have[C_CPU] ? y->v[C_CPU] : -1;
    if (cx != cy)
        return cx < cy ? 1 : -1;
    return strcmp(x->cgroup, y->cgroup);
}

static const char *const heads[C_N] = {"CPU%", "THR%", "WSET_MiB", "RD_KiB/s", "WR_KiB/s",
                                       "RX_KiB/s", "TX_KiB/s"};

static double scaled(int col, double v)
{
    if (col == C_WS)
        return v / 1048576.0;
    if (col >= C_RD)
        return v / 1024.0;
    return v;
}

static void print_table(int csv, int clear, size_t max_rows)
{
    qsort(rows, nrows, sizeof *rows, by_cpu);
    if (csv) {
        printf("cgroup");
        for (int c = 0; c < C_N; c++)
            printf(",%s", heads[c]);
        printf("\n");
        for (size_t i = 0; i < nrows; i++) {
            printf("\"%s\"", rows[i].cgroup);
            for (int c = 0; c < C_N; c++)
                if (rows[i].have[c])
                    printf(",%.3f", scaled(c, rows[i].v[c]));
                else
                    printf(",");
            printf("\n");
        }
        fflush(stdout);
        return;
    }
    if (clear)
        printf("\033[H\033[2J");
    printf("%-60s", "CGROUP");
    for (int c = 0; c < C_N; c++)
        printf(" %9s", heads[c]);
    printf("\n");
    for (size_t i = 0; i < nrows && i < max_rows; i++) {
        const char *cg = rows[i].cgroup;
        size_t l = strlen(cg);
        if (l > 60)
            printf("...%-57s", cg + l - 57);
        else
            printf("%-60s", cg);
        for (int c = 0; c < C_N; c++)
            if (rows[i].have[c])
                printf(" %9.1f", scaled(c, rows[i].v[c]));
            else
                printf(" %9s", "-");
        printf("\n");
    }
    fflush(stdout);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: scope-cgtop [-d depth] [-i seconds] [-n count] [--once] [--csv] "
               "[--root dir] [PARENT]\n");
}

/* A number within [lo, hi], or exit with usage. */
static double num(const char *s, double lo, double hi)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "scope-cgtop: '%s' is not a number in [%g, %g]\n", s, lo, hi);
        usage(stderr);
        exit(2);
    }
    return v;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
    while (!stop_flag && nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

int main(int argc, char **argv)
{
    int depth = 1, csv = 0, once = 0;
    long count = -1;
    double interval = 1.0;
    const char *root = NULL;
    static const struct option lo[] = {{"depth", required_argument, 0, 'd'},
                                       {"interval", required_argument, 0, 'i'},
                                       {"count", required_argument, 0, 'n'},
                                       {"once", no_argument, 0, 'o'},
                                       {"csv", no_argument, 0, 'c'},
                                       {"root", required_argument, 0, 'r'},
                                       {"help", no_argument, 0, 'h'},
                                       {0, 0, 0, 0}};
    int ch;
    while ((ch = getopt_long(argc, argv, "d:i:n:h", lo, NULL)) != -1) {
        switch (ch) {
        case 'd': depth = (int)num(optarg, 0, 64); break;
        case 'i': interval = num(optarg, 0.01, 3600); break;
        case 'n': count = (long)num(optarg, 1, 1e9); break;
        case 'o': once = 1; break;
        case 'c': csv = 1; break;
        case 'r': root = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 < argc) {
        usage(stderr);
        return 2;
    }
    const char *parent = optind < argc ? argv[optind] : "/";
    if (once)
        count = 1;

    scope_cgroup_mounts *m = NULL;
    if (scope_cgroup_mounts_new(&m, root)) {
        fprintf(stderr, "scope-cgtop: %s\n", scope_error_message());
        return 1;
    }
    scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
    o.depth = depth;
    o.groups = SCOPE_CGROUP_CPU | SCOPE_CGROUP_MEMORY | SCOPE_CGROUP_IO | SCOPE_CGROUP_NETWORK;
    scope_collector *c = NULL;
    int rc = scope_cgroup_open(&c, m, parent, &o);
    scope_cgroup_mounts_free(m);
    if (rc || (rc = scope_collector_start(c))) {
        fprintf(stderr, "scope-cgtop: %s\n", scope_error_message());
        scope_collector_free(c);
        return 1;
    }
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    scope_series_set *prev = NULL, *cur = NULL;
    if (scope_series_set_new(&prev) || scope_collector_sample(c, prev)) {
        fprintf(stderr, "scope-cgtop: %s\n", scope_error_message());
        scope_series_set_free(prev);
        scope_collector_free(c);
        return 1;
    }
    int status = 0;
    for (long n = 0; !stop_flag && (count < 0 || n < count); n++) {
        sleep_s(interval);
        if (stop_flag)
            break;
        if (scope_collector_rescan(c) < 0)
            fprintf(stderr, "scope-cgtop: rescan: %s\n", scope_error_message());
        if (scope_series_set_new(&cur)) {
            status = 1;
            break;
        }
        rc = scope_collector_sample(c, cur);
        if (rc && rc != SCOPE_EGONE) {
            fprintf(stderr, "scope-cgtop: %s\n", scope_error_message());
            scope_series_set_free(cur);
            status = 1;
            break;
        }
        build_rows(cur, prev);
        print_table(csv, !csv && !once, 40);
        scope_series_set_free(prev);
        prev = cur;
        cur = NULL;
        if (rc == SCOPE_EGONE) {
            fprintf(stderr, "scope-cgtop: %s\n", scope_error_message());
            break;
        }
    }
    clear_rows();
    free(rows);
    scope_series_set_free(prev);
    scope_collector_free(c);
    return status;
}
