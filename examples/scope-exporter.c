/*
 * scope-exporter: a node agent serving /metrics in the Prometheus text
 * format for what libscope collects and cAdvisor lacks: the cgroup tree
 * (cAdvisor's metric names), processes and their threads, perf counter
 * groups, top-down fractions and uncore memory bandwidth, sampled every
 * interval by a recorder. A scrape copies the last rendered page: it never
 * blocks sampling. A collector that cannot run here (no PMU, no uncore) is
 * reported on stderr and left out; the agent serves the rest.
 *
 *   scope-exporter [--address A] [--port N] [-I ms] [-d seconds]
 *                  [--cgroup SPEC [--depth N]]... [-p PID[,PID...] [-t]]
 *                  [-e EVENTS [-a | -G CGROUP]] [--topdown] [--membw] [--record FILE]
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
    fprintf(f, "usage: scope-exporter [--address A] [--port N] [-I ms] [-d seconds]\n"
               "         [--cgroup SPEC [--depth N]]... [-p PID[,PID...] [-t]]\n"
               "         [-e EVENTS [-a | -G CGROUP]] [--topdown] [--membw] [--record FILE]\n"
               "  --address A    address to listen on (default 127.0.0.1)\n"
               "  --port N       TCP port (default 9464; 0 = any free port, printed at start)\n"
               "  -I ms          sampling interval (default 1000)\n"
               "  -d seconds     exit after this long (default: until SIGINT/SIGTERM)\n"
               "  --cgroup SPEC  a cgroup (path, pid:N, container:ID, pod:UID) and, with\n"
               "                 --depth N, its descendants (new ones picked up every 10 s)\n"
               "  -p PIDS        processes (-t: per thread)\n"
               "  -e EVENTS      perf events, system-wide (-a, default) or for a cgroup (-G)\n"
               "  --topdown      top-down level 1 fractions, system-wide\n"
               "  --membw        uncore memory bandwidth per socket and channel\n"
               "  --record FILE  also keep every point and write them to FILE (CSV) at exit\n");
}

#define MAXC 64
static scope_collector *cs[MAXC];
static int ncs;

/* Adds a collector, or reports why it cannot run here and goes on. */
static void add(scope_recorder *r, int rc, scope_collector *c, const char *what)
{
    if (rc) {
        fprintf(stderr, "scope-exporter: %s left out: %s\n", what, scope_error_message());
        return;
    }
    if (ncs == MAXC || scope_recorder_add(r, c)) {
        fprintf(stderr, "scope-exporter: %s left out: too many collectors\n", what);
        scope_collector_free(c);
        return;
    }
    cs[ncs++] = c;
}

int main(int argc, char **argv)
{
    static const struct option longs[] = {
        {"address", required_argument, NULL, 'A'}, {"port", required_argument, NULL, 'P'},
        {"cgroup", required_argument, NULL, 'g'},  {"depth", required_argument, NULL, 'D'},
        {"topdown", no_argument, NULL, 'T'},       {"membw", no_argument, NULL, 'M'},
        {"record", required_argument, NULL, 'R'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    scope_exporter_opts eo = SCOPE_EXPORTER_OPTS_INIT;
    eo.port = 9464;
    long interval_ms = 1000;
    double duration = 0;
    int threads = 0, depth = 0, topdown = 0, membw = 0, opt;
    char *pids = NULL, *events = NULL, *perf_cg = NULL, *record = NULL;
    char *cgroups[16];
    int ncg = 0;
    while ((opt = getopt_long(argc, argv, "I:d:tp:e:aG:h", longs, NULL)) != -1) {
        switch (opt) {
        case 'A': eo.address = optarg; break;
        case 'P': eo.port = atoi(optarg); break;
        case 'I': interval_ms = strtol(optarg, NULL, 10); break;
        case 'd': duration = strtod(optarg, NULL); break;
        case 't': threads = 1; break;
        case 'p': pids = optarg; break;
        case 'g':
            if (ncg < 16)
                cgroups[ncg++] = optarg;
            break;
        case 'D': depth = atoi(optarg); break;
        case 'e': events = optarg; break;
        case 'a': perf_cg = NULL; break;
        case 'G': perf_cg = optarg; break;
        case 'T': topdown = 1; break;
        case 'M': membw = 1; break;
        case 'R': record = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!pids && !ncg && !events && !topdown && !membw) {
        usage(stderr);
        return 2;
    }
    scope_recorder_opts ro = SCOPE_RECORDER_OPTS_INIT;
    ro.interval_ns = interval_ms * 1000000LL;
    ro.duration_ns = (int64_t)(duration * 1e9);
    ro.keep_last = record ? 0 : 1; /* an agent serves the latest values: memory stays flat */
    ro.rescan_every = (int32_t)(10000 / (interval_ms > 0 ? interval_ms : 1000));
    if (ro.rescan_every < 1)
        ro.rescan_every = 1;
    scope_recorder *r = NULL;
    scope_exporter *e = NULL;
    if (scope_recorder_new(&r, &ro)) {
        fprintf(stderr, "scope-exporter: %s\n", scope_error_message());
        return 2;
    }
    scope_collector *c = NULL;
    for (int i = 0; i < ncg; i++) {
        scope_cgroup_opts co = SCOPE_CGROUP_OPTS_INIT;
        co.depth = depth;
        int rc = scope_cgroup_open(&c, NULL, cgroups[i], &co);
        add(r, rc, c, cgroups[i]);
    }
    scope_proc_opts po = SCOPE_PROC_OPTS_INIT;
    po.threads = threads;
    for (char *tok = pids ? strtok(pids, ",") : NULL; tok; tok = strtok(NULL, ",")) {
        char what[64];
        snprintf(what, sizeof what, "process %s", tok);
        int rc = scope_proc_open(&c, atoi(tok), &po);
        add(r, rc, c, what);
    }
    if (events) {
        scope_pmu *p = NULL;
        int rc = scope_pmu_new(&p, events, NULL);
        if (!rc)
            rc = perf_cg ? scope_pmu_add_cgroup(p, perf_cg) : scope_pmu_add_cpus(p, NULL);
        if (!rc && (rc = scope_pmu_start(p)) == 0)
            scope_pmu_stop(p);
        if (!rc)
            rc = scope_pmu_collector_new(&c, p);
        if (rc)
            scope_pmu_free(p);
        add(r, rc, c, "perf events");
    }
    if (topdown) {
        scope_topdown *td = NULL;
        scope_pmu *p = NULL;
        int rc = scope_topdown_new(&td, NULL);
        if (!rc)
            rc = scope_topdown_pmu_new(&p, td, NULL);
        if (!rc)
            rc = scope_pmu_add_cpus(p, NULL);
        if (!rc && (rc = scope_pmu_start(p)) == 0)
            scope_pmu_stop(p);
        if (!rc)
            rc = scope_topdown_collector_new(&c, td, p);
        if (rc) {
            scope_pmu_free(p);
            scope_topdown_free(td);
        }
        add(r, rc, c, "top-down");
    }
    if (membw) {
        int rc = scope_uncore_open(&c, NULL);
        add(r, rc, c, "memory bandwidth");
    }
    int rc = ncs ? 0 : SCOPE_ENODEV;
    if (!ncs)
        fprintf(stderr, "scope-exporter: nothing to collect on this machine\n");
    if (!rc)
        rc = scope_exporter_open(&e, &eo);
    if (!rc)
        rc = scope_recorder_set_callback(r, publish, e);
    if (!rc)
        rc = scope_recorder_start(r);
    if (rc) {
        if (ncs)
            fprintf(stderr, "scope-exporter: %s\n", scope_error_message());
        scope_recorder_free(r);
        scope_exporter_free(e);
        for (int i = 0; i < ncs; i++)
            scope_collector_free(cs[i]);
        return 1;
    }
    printf("scope-exporter: serving http://%s:%d/metrics every %ld ms (%d collectors)\n",
           eo.address ? eo.address : "127.0.0.1", scope_exporter_port(e), interval_ms, ncs);
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
    if (record && scope_export_path(scope_recorder_series(r), SCOPE_EXPORT_CSV, record, NULL)) {
        fprintf(stderr, "scope-exporter: %s\n", scope_error_message());
        rc = 1;
    }
    printf("scope-exporter: %llu samples, %llu scrapes served\n",
           (unsigned long long)scope_recorder_sample_count(r),
           (unsigned long long)scope_exporter_scrape_count(e));
    scope_exporter_free(e);
    scope_recorder_free(r);
    for (int i = 0; i < ncs; i++)
        scope_collector_free(cs[i]);
    return rc ? 1 : 0;
}
