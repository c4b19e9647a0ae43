/*
 * scope-exporter: a node agent serving /metrics in the Prometheus text
 * format for what libscope collects (processes now; cgroups, counter groups
 * and uncore bandwidth as those collectors are enabled), sampled every
 * interval by a recorder. A scrape copies the last rendered page: it never
 * blocks sampling.
 *
 *   scope-exporter [--address A] [--port N] [-I ms] [-d seconds] [-t] -p PID[,PID...]
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <scope/scope.h>

static scope_recorder *active;

static void on_signal(int sig)
{
    (void)sig;
    scope_recorder_stop(active);
}

static int publish(scope_recorder *r, const scope_series_set *set, int64_t wall, void *ud)
{
    (void)r;
    (void)wall;
    if (scope_exporter_publish(ud, set))
        fprintf(stderr, "scope-exporter: %s\n", scope_error_message());
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: scope-exporter [--address A] [--port N] [-I ms] [-d seconds] [-t] -p PID[,PID...]\n"
               "  --address A  address to listen on (default 127.0.0.1)\n"
               "  --port N     TCP port (default 9464; 0 = any free port, printed at start)\n"
               "  -I ms        sampling interval (default 1000)\n"
               "  -d seconds   exit after this long (default: until SIGINT/SIGTERM)\n"
               "  -t           per-thread series for the processes\n");
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"address", required_argument, NULL, 'a'}, {"port", required_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    scope_exporter_opts eo = SCOPE_EXPORTER_OPTS_INIT;
    eo.port = 9464;
    long interval_ms = 1000;
    double duration = 0;
    int threads = 0, opt;
    char *pids = NULL;
    while ((opt = getopt_long(argc, argv, "I:d:tp:h", longs, NULL)) != -1) {
        switch (opt) {
        case 'a': eo.address = optarg; break;
        case 'P': eo.port = atoi(optarg); break;
        case 'I': interval_ms = strtol(optarg, NULL, 10); break;
        case 'd': duration = strtod(optarg, NULL); break;
        case 't': threads = 1; break;
        case 'p': pids = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!pids) {
        usage(stderr);
        return 2;
    }
    scope_recorder_opts ro = SCOPE_RECORDER_OPTS_INIT;
    ro.interval_ns = interval_ms * 1000000LL;
    ro.duration_ns = (int64_t)(duration * 1e9);
    ro.keep_last = 1; /* an agent serves the latest values: memory stays flat */
    ro.rescan_every = threads ? 10 : 0;
    scope_recorder *r = NULL;
    scope_exporter *e = NULL;
    scope_collector *cs[64];
    int n = 0, rc = scope_recorder_new(&r, &ro);
    scope_proc_opts po = SCOPE_PROC_OPTS_INIT;
    po.threads = threads;
    for (char *tok = strtok(pids, ","); !rc && tok && n < 64; tok = strtok(NULL, ",")) {
        rc = scope_proc_open(&cs[n], atoi(tok), &po);
        if (!rc && (rc = scope_recorder_add(r, cs[n])))
            scope_collector_free(cs[n]);
        else if (!rc)
            n++;
    }
    if (!rc)
        rc = scope_exporter_open(&e, &eo);
    if (!rc)
        rc = scope_recorder_set_callback(r, publish, e);
    if (!rc)
        rc = scope_recorder_start(r);
    if (rc) {
        fprintf(stderr, "scope-exporter: %s\n", scope_error_message());
        scope_recorder_free(r);
        scope_exporter_free(e);
        for (int i = 0; i < n; i++)
            scope_collector_free(cs[i]);
        return 1;
    }
    printf("scope-exporter: serving http://%s:%d/metrics every %ld ms\n",
           eo.address ? eo.address : "127.0.0.1", scope_exporter_port(e), interval_ms);
    fflush(stdout);
    active = r;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    rc = scope_recorder_wait(r);
    if (rc)
        fprintf(stderr, "scope-exporter: %s\n", scope_error_message());
    printf("scope-exporter: %llu samples, %llu scrapes served\n",
           (unsigned long long)scope_recorder_sample_count(r),
           (unsigned long long)scope_exporter_scrape_count(e));
    scope_exporter_free(e);
    scope_recorder_free(r);
    for (int i = 0; i < n; i++)
        scope_collector_free(cs[i]);
    return rc ? 1 : 0;
}
