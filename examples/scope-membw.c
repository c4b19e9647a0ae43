/* scope-membw: DRAM bandwidth per socket and memory channel, like
 * pcm-memory, from the kernel's uncore PMUs (Intel IMC, AMD DF/UMC).
 *
 *   scope-membw [-i SECONDS] [-n COUNT] [--csv] [--cas] [--sysfs-root DIR]
 *   scope-membw --list [--json] [--cas] [--sysfs-root DIR]
 *
 * Rates are decimal MB/s (10^6 bytes per second, as pcm-memory prints).
 * --list prints the counter plan without opening anything. Needs bare
 * metal (or a VM passing uncore PMUs through) and system-wide perf rights
 * (root, CAP_PERFMON or perf_event_paranoid <= 0). Public API only. */
#include <scope/scope.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: scope-membw [-i SECONDS] [-n COUNT] [--csv] [--cas] [--sysfs-root DIR]\n"
            "       scope-membw --list [--json] [--cas] [--sysfs-root DIR]\n"
            "  -i, --interval S   seconds between rows (default 1)\n"
            "  -n, --count N      rows to print (default: until interrupted)\n"
            "  --csv              CSV rows: time,socket,channel,read_MBps,write_MBps,total_MBps\n"
            "  --cas              Intel: CAS counters even where free-running ones exist\n"
            "  --list [--json]    print the counter plan and exit (opens nothing)\n"
            "  --sysfs-root DIR   discover on DIR instead of /sys\n"
            "Rates are MB/s (10^6 bytes/s).\n");
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static int list_plan(const scope_uncore_plan *p, int json)
{
    size_t n = scope_uncore_plan_counter_count(p);
    if (!json)
        printf("plan %s: %zu sockets, up to %zu channels, %zu counters\n",
               scope_uncore_kind_name(scope_uncore_plan_kind(p)), scope_uncore_plan_sockets(p),
               scope_uncore_plan_channels(p), n);
    else
        printf("[");
    for (size_t i = 0; i < n; i++) {
        const char *pmu, *event, *unit;
        int cpu, socket, channel, dir, width;
        uint32_t type;
        uint64_t config, config1;
        double scale, bpc;
        if (scope_uncore_plan_counter(p, i, &pmu, &event, &cpu, &socket, &channel, &dir) ||
            scope_uncore_plan_encoding(p, i, &type, &config, &config1, &scale, &unit, &bpc,
                                       &width))
            return -1;
        if (json) {
            printf("%s\n {\"pmu\": ", i ? "," : "");
            json_str(pmu);
            printf(", \"type\": %u, \"cpu\": %d, \"socket\": %d, \"channel\": %d, \"direction\": ",
                   type, cpu, socket, channel);
            json_str(scope_uncore_dir_name(dir));
            printf(", \"event\": ");
            json_str(event);
            printf(", \"config\": %llu, \"config1\": %llu, \"scale\": %.17g, \"unit\": ",
                   (unsigned long long)config, (unsigned long long)config1, scale);
            json_str(unit);
            printf(", \"bytes_per_count\": %.17g, \"width\": %d}", bpc, width);
        } else {
            printf("  socket %d channel %-2d %-10s %s/%s/ cpu %d type %u config 0x%llx "
                   "config1 0x%llx scale %g %s (%g B/count)\n",
                   socket, channel, scope_uncore_dir_name(dir), pmu, event, cpu, type,
                   (unsigned long long)config, (unsigned long long)config1, scale,
                   *unit ? unit : "-", bpc);
        }
    }
    if (json)
        printf("%s]\n", n ? "\n" : "");
    return 0;
}

/* Rates of the newest interval for one row, from the collector's series. */
struct row {
    int socket, channel; /* channel -1: socket sum */
    double v[3];         /* read, write, total in bytes/s; <0 when absent */
};

static double rate(const scope_series *s)
{
    size_t n = scope_series_count(s);
    if (n < 2)
        return -1;
    const int64_t *t = scope_series_timestamps(s);
    const double *v = scope_series_values(s);
    double dt = (double)(t[n - 1] - t[n - 2]) / 1e9;
    return dt > 0 ? (v[n - 1] - v[n - 2]) / dt : -1;
}

static int kind_of(const char *name, int *socket_level)
{
    static const char *const names[6] = {
        "uncore_memory_read_bytes_total",        "uncore_memory_write_bytes_total",
        "uncore_memory_bytes_total",             "uncore_memory_socket_read_bytes_total",
        "uncore_memory_socket_write_bytes_total", "uncore_memory_socket_bytes_total"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(name, names[i])) {
            *socket_level = i >= 3;
            return i % 3;
        }
    return -1;
}

static size_t collect_rows(const scope_series_set *set, struct row *rows, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        const scope_series *s = scope_series_set_at(set, i);
        int sock_level, k = kind_of(scope_series_name(s), &sock_level);
        if (k < 0)
            continue;
        const char *so = scope_series_label(s, "socket"), *ch = scope_series_label(s, "channel");
        int socket = so ? atoi(so) : 0, channel = sock_level || !ch ? -1 : atoi(ch);
        size_t j;
        for (j = 0; j < n; j++)
            if (rows[j].socket == socket && rows[j].channel == channel)
                break;
        if (j == n) {
            if (n == cap)
                continue;
            rows[n].socket = socket;
            rows[n].channel = channel;
            rows[n].v[0] = rows[n].v[1] = rows[n].v[2] = -1;
            n++;
        }
        rows[j].v[k] = rate(s);
    }
    /* order: socket, then channels, then the socket sum */
    for (size_t a = 1; a < n; a++)
        for (size_t b = a; b > 0; b--) {
            struct row *x = &rows[b - 1], *y = &rows[b];
            long kx = (long)x->socket * 100000 + (x->channel < 0 ? 99999 : x->channel);
            long ky = (long)y->socket * 100000 + (y->channel < 0 ? 99999 : y->channel);
            if (kx <= ky)
                break;
            struct row t = *x;
            *x = *y;
            *y = t;
        }
    return n;
}

static void fmt_mb(char *buf, size_t cap, double bps)
{
    if (bps < 0)
        snprintf(buf, cap, "%s", "-");
    else
        snprintf(buf, cap, "%.2f", bps / SCOPE_UNCORE_MB);
}

static void print_rows(const struct row *rows, size_t n, int csv, double now)
{
    char r[32], w[32], t[32];
    double sys[3] = {0, 0, 0};
    int sys_has[3] = {0, 0, 0};
    if (!csv)
        printf("%-7s %-8s %12s %12s %12s\n", "Socket", "Channel", "Read MB/s", "Write MB/s",
               "Total MB/s");
    for (size_t i = 0; i < n; i++) {
        fmt_mb(r, sizeof r, rows[i].v[0]);
        fmt_mb(w, sizeof w, rows[i].v[1]);
        fmt_mb(t, sizeof t, rows[i].v[2]);
        if (rows[i].channel < 0)
            for (int k = 0; k < 3; k++)
                if (rows[i].v[k] >= 0) {
                    sys[k] += rows[i].v[k];
                    sys_has[k] = 1;
                }
        if (csv) {
            if (rows[i].channel < 0)
                printf("%.3f,%d,all,%s,%s,%s\n", now, rows[i].socket, r, w, t);
            else
                printf("%.3f,%d,%d,%s,%s,%s\n", now, rows[i].socket, rows[i].channel, r, w, t);
        } else if (rows[i].channel < 0) {
            printf("%-7d %-8s %12s %12s %12s\n", rows[i].socket, "all", r, w, t);
        } else {
            printf("%-7d %-8d %12s %12s %12s\n", rows[i].socket, rows[i].channel, r, w, t);
        }
    }
    fmt_mb(r, sizeof r, sys_has[0] ? sys[0] : -1);
    fmt_mb(w, sizeof w, sys_has[1] ? sys[1] : -1);
    fmt_mb(t, sizeof t, sys_has[2] ? sys[2] : -1);
    if (csv)
        printf("%.3f,all,all,%s,%s,%s\n", now, r, w, t);
    else
        printf("%-7s %-8s %12s %12s %12s\n\n", "System", "all", r, w, t);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    double interval = 1.0;
    long count = -1;
    int csv = 0, list = 0, json = 0;
    scope_uncore_opts opts = SCOPE_UNCORE_OPTS_INIT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((!strcmp(a, "-i") || !strcmp(a, "--interval")) && i + 1 < argc) {
            char *end;
            interval = strtod(argv[++i], &end);
            if (*end || !(interval >= 0.01) || interval > 86400) {
                fprintf(stderr, "scope-membw: interval '%s' must be 0.01..86400 seconds\n",
                        argv[i]);
                return 2;
            }
        } else if ((!strcmp(a, "-n") || !strcmp(a, "--count")) && i + 1 < argc) {
            char *end;
            count = strtol(argv[++i], &end, 10);
            if (*end || count < 1) {
                fprintf(stderr, "scope-membw: count '%s' must be a positive number\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--csv")) {
            csv = 1;
        } else if (!strcmp(a, "--list")) {
            list = 1;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--cas")) {
            opts.prefer_cas = 1;
        } else if (!strcmp(a, "--sysfs-root") && i + 1 < argc) {
            opts.sysfs_root = argv[++i];
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "scope-membw: unknown or incomplete argument '%s'\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (json && !list) {
        fprintf(stderr, "scope-membw: --json goes with --list\n");
        return 2;
    }
    if (list) {
        scope_uncore_plan *p;
        if (scope_uncore_plan_new(&p, &opts)) {
            fprintf(stderr, "scope-membw: %s\n", scope_error_message());
            return 1;
        }
        int rc = list_plan(p, json);
        scope_uncore_plan_free(p);
        return rc ? 1 : 0;
    }

    scope_collector *c;
    if (scope_uncore_open(&c, &opts)) {
        fprintf(stderr, "scope-membw: %s\n", scope_error_message());
        return 1;
    }
    if (scope_collector_start(c)) {
        fprintf(stderr, "scope-membw: %s\n", scope_error_message());
        scope_collector_free(c);
        return 1;
    }
    scope_series_set *set;
    if (scope_series_set_new(&set) || scope_collector_sample(c, set)) {
        fprintf(stderr, "scope-membw: %s\n", scope_error_message());
        scope_collector_free(c);
        scope_series_set_free(set);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (csv)
        printf("time,socket,channel,read_MBps,write_MBps,total_MBps\n");
    struct row rows[1024];
    int rc = 0;
    for (long k = 0; (count < 0 || k < count) && !stop_flag; k++) {
        struct timespec ts = {(time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9)};
        while (nanosleep(&ts, &ts) && errno == EINTR && !stop_flag)
            ;
        if (stop_flag)
            break;
        if (scope_collector_sample(c, set)) {
            fprintf(stderr, "scope-membw: %s\n", scope_error_message());
            rc = 1;
            break;
        }
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        size_t n = collect_rows(set, rows, sizeof rows / sizeof *rows);
        print_rows(rows, n, csv, (double)now.tv_sec + (double)now.tv_nsec / 1e9);
    }
    scope_collector_free(c);
    scope_series_set_free(set);
    return rc;
}
