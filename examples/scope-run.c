/*
 * scope-run: one characterization experiment, end to end.
 *
 *   scope-run [EXPERIMENT.json] [options]       run an experiment
 *   scope-run                                   the built-in sidecar-overhead demo
 *   scope-run merge OUTDIR DIR...               merge the results of several nodes
 *
 * An experiment drives load at a series of rates (per configuration, e.g.
 * "direct" and "proxy"), records the chosen targets' cgroup, process and
 * counter series on one timeline during each step, optionally pulls a
 * Prometheus window per step, repeats, and writes a results directory:
 *   manifest.json  the experiment as run, host, kernel, CPU, PMUs, what could
 *                  not be measured and why, each step's start/end (ns)
 *   series.csv, series.jsonl   every recorded point, labelled config/rate/rep
 *   hist/steps.hlog            HdrHistogram log, one mergeable histogram per step
 *   hist/<step>.hgrm           percentile tables
 *   summary.csv    per step and repetition: offered/achieved rate, latency
 *                  percentiles (CO-corrected), errors by kind, CPU seconds per
 *                  1000 requests and context switches per request per target,
 *                  IPC where a PMU exists; then mean and stdev across reps
 *   prom/<step>_<query>.csv    Prometheus range query results per step
 *
 * Options (override the JSON file):
 *   -o DIR            results directory (default results/<UTC time>)
 *   --url URL         load target (one configuration named "default")
 *   --config NAME=URL a configuration (repeatable)
 *   --rates SPEC      "1000,2000", "1000:5000:1000" or "10%:100%:30%" of a
 *                     measured closed-loop maximum
 *   -d S, --warmup S  seconds per step and warm-up before each
 *   -c N, -t N        connections, threads
 *   --closed          closed loop (rates ignored)
 *   --reps N          repetitions
 *   --target SPEC     what to measure: cgroup:/path, pid:N, comm:NAME (repeatable)
 *   --events LIST     perf events per target (default context-switches,task-clock;
 *                     cycles,instructions added when a core PMU exists)
 *   -I MS             sampling interval (default 100)
 *   --prom URL --query NAME=PROMQL (repeatable)
 *   --start-at T      start the first step at unix time T (several nodes together)
 *   --payload-sizes L request body sizes to sweep (bytes; list or from:to:step)
 *   --topdown         level-1 top-down per target (where the CPU has a core PMU)
 *   --membw           uncore memory bandwidth (where the kernel has uncore PMUs)
 *   --push URL        push each step's results to a Prometheus Pushgateway
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <scope/scope.h>

#include "common/experiment.h"

struct target {
    char spec[256];   /* as given */
    char label[64];   /* short name used in columns */
    scope_collector *cpu;  /* cgroup or process collector */
    scope_collector *perf; /* software (+ hardware) events; may be NULL */
    int hw;                /* cycles/instructions were opened */
    scope_collector *td;   /* top-down fractions; may be NULL */
};

struct step {
    char config[64];
    double offered;
    int rep;
    int64_t start_ns, end_ns;
    double achieved;
    int64_t completed, sent, errors, in_flight, late;
    int64_t err_kind[SCOPE_LOAD_ERR_KINDS];
    double p50, p90, p99, p999, max, p99_uncorrected; /* ms */
    double cpu_cores[MAXN], cpu_s_per_1k[MAXN], ctx_per_req[MAXN], ipc[MAXN];
    long payload;        /* request body bytes (-1: none) */
    double td[MAXN][5];  /* level-1 top-down fractions per target (NAN: unmeasured) */
    double membw_read, membw_write; /* bytes per second, all sockets */
};

static const char *td_nodes[5] = {"Frontend_Bound", "Bad_Speculation", "Backend_Bound", "Retiring",
                                  "SMT_Contention"};

static volatile sig_atomic_t interrupted;
static scope_load *running_load;
static scope_recorder *running_rec;

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
    if (running_load)
        scope_load_stop(running_load);
    if (running_rec)
        scope_recorder_stop(running_rec);
}

static void die(const char *what)
{
    fprintf(stderr, "scope-run: %s: %s\n", what, scope_error_message());
    exit(1);
}

/* ---------------------------------------------------------------------- */
/* The built-in demo: nginx as upstream and as a reverse proxy, each in its
 * own cgroup, on 127.0.0.1 free ports, pinned to CPU 0 (the driver runs on
 * the other CPUs). */

struct server {
    pid_t pid;
    int port;
    char name[32];
    char cg[128];              /* hierarchy-relative cgroup path */
    char cgdirs[8][512];       /* created directories, to remove */
    int ncgdirs;
};

static char demo_dir[256];

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &l)) {
        perror("scope-run: free port");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Creates cgroup @rel in every hierarchy that accounts CPU, memory or pids
 * (and on the cgroup2 mount), found from mountinfo. */
static void make_cgroup(struct server *s, const scope_cgroup_mounts *m, const char *rel)
{
    static const char *ctrls[] = {"cpuacct", "cpu", "memory", "pids", ""};
    snprintf(s->cg, sizeof s->cg, "%s", rel);
    for (size_t i = 0; i < sizeof ctrls / sizeof *ctrls; i++) {
        const char *dir;
        int version;
        if (scope_cgroup_mounts_find(m, ctrls[i], &dir, &version))
            continue;
        if (*ctrls[i] && version != 1)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s%s", dir, rel);
        int dup = 0;
        for (int k = 0; k < s->ncgdirs; k++)
            dup |= strcmp(s->cgdirs[k], path) == 0;
        if (dup || s->ncgdirs == 8)
            continue;
        char parent[512];
        snprintf(parent, sizeof parent, "%s", path);
        *strrchr(parent, '/') = '\0';
        mkdir(parent, 0755);
        if (mkdir(path, 0755) == 0 || errno == EEXIST)
            snprintf(s->cgdirs[s->ncgdirs++], sizeof s->cgdirs[0], "%s", path);
    }
}

static void remove_cgroups(struct server *s)
{
    for (int k = 0; k < s->ncgdirs; k++) {
        for (int i = 0; i < 100 && rmdir(s->cgdirs[k]) && errno == EBUSY; i++)
            usleep(20000); /* workers still exiting */
        char parent[512];
        snprintf(parent, sizeof parent, "%s", s->cgdirs[k]);
        *strrchr(parent, '/') = '\0';
        rmdir(parent); /* only succeeds once the last child is gone */
    }
}

static void start_nginx(struct server *s, const char *conf)
{
    char prefix[300], confpath[320];
    snprintf(prefix, sizeof prefix, "%s/%s", demo_dir, s->name);
    mkdir(prefix, 0755);
    snprintf(confpath, sizeof confpath, "%s/nginx.conf", prefix);
    FILE *f = fopen(confpath, "w");
    if (!f) {
        perror("scope-run: nginx.conf");
        exit(1);
    }
    fputs(conf, f);
    fclose(f);
    s->pid = fork();
    if (s->pid == 0) {
        /* Into its cgroups and onto CPU 0, then exec (never a shell). */
        for (int k = 0; k < s->ncgdirs; k++) {
            char procs[600];
            snprintf(procs, sizeof procs, "%s/cgroup.procs", s->cgdirs[k]);
            write_file(procs, "0");
        }
        cpu_set_t cpus;
        CPU_ZERO(&cpus);
        CPU_SET(0, &cpus);
        sched_setaffinity(0, sizeof cpus, &cpus);
        char *argv[] = {"nginx", "-p", prefix, "-c", confpath, "-g", "daemon off;", NULL};
        execv("/usr/sbin/nginx", argv);
        execvp("nginx", argv);
        fprintf(stderr, "scope-run: cannot run nginx: %s (Debian package nginx-light)\n",
                strerror(errno));
        _exit(127);
    }
    for (int i = 0; i < 250 && !port_open(s->port); i++) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            fprintf(stderr, "scope-run: nginx (%s) exited at start; see %s/error.log\n", s->name,
                    prefix);
            exit(1);
        }
        usleep(20000);
    }
    if (!port_open(s->port)) {
        fprintf(stderr, "scope-run: nginx (%s) does not listen on port %d\n", s->name, s->port);
        exit(1);
    }
}

static void stop_nginx(struct server *s)
{
    if (s->pid <= 0)
        return;
    kill(s->pid, SIGTERM);
    int st;
    for (int i = 0; i < 250; i++) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            break;
        }
        usleep(20000);
    }
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, &st, 0);
        s->pid = 0;
    }
    remove_cgroups(s);
}

static struct server upstream, proxy;

static void demo_cleanup(void)
{
    stop_nginx(&proxy);
    stop_nginx(&upstream);
    if (demo_dir[0]) {
        /* nginx leaves only small files in its prefix: remove them. */
        const char *subs[] = {"upstream", "proxy"};
        for (int i = 0; i < 2; i++) {
            char d[300];
            snprintf(d, sizeof d, "%s/%s", demo_dir, subs[i]);
            DIR *dir = opendir(d);
            struct dirent *e;
            while (dir && (e = readdir(dir))) {
                if (e->d_name[0] == '.')
                    continue;
                char p[600];
                snprintf(p, sizeof p, "%s/%s", d, e->d_name);
                if (unlink(p) && errno == EISDIR)
                    rmdir(p);
            }
            if (dir)
                closedir(dir);
            rmdir(d);
        }
        rmdir(demo_dir);
    }
}

static void demo_setup(struct exp *x)
{
    if (geteuid() != 0)
        fprintf(stderr, "scope-run: the demo creates cgroups and is meant to run as root\n");
    snprintf(demo_dir, sizeof demo_dir, "/tmp/scope-run-demo-XXXXXX");
    if (!mkdtemp(demo_dir)) {
        perror("scope-run: mkdtemp");
        exit(1);
    }
    chmod(demo_dir, 0755);
    atexit(demo_cleanup);
    scope_cgroup_mounts *m;
    if (scope_cgroup_mounts_new(&m, NULL))
        die("cgroup mounts");
    char rel[128];
    snprintf(upstream.name, sizeof upstream.name, "upstream");
    snprintf(proxy.name, sizeof proxy.name, "proxy");
    snprintf(rel, sizeof rel, "/scope-run-%d/upstream", (int)getpid());
    make_cgroup(&upstream, m, rel);
    snprintf(rel, sizeof rel, "/scope-run-%d/proxy", (int)getpid());
    make_cgroup(&proxy, m, rel);
    scope_cgroup_mounts_free(m);
    upstream.port = free_port();
    proxy.port = free_port();
    char conf[4096];
    const char *common = "worker_processes 1;\nerror_log error.log warn;\npid nginx.pid;\n"
                         "events { worker_connections 1024; }\n";
    snprintf(conf, sizeof conf,
             "%shttp {\n access_log off;\n client_body_temp_path tmp;\n proxy_temp_path tmp;\n"
             " fastcgi_temp_path tmp;\n uwsgi_temp_path tmp;\n scgi_temp_path tmp;\n"
             " keepalive_requests 1000000;\n"
             " server {\n  listen 127.0.0.1:%d;\n  location / {\n   default_type text/plain;\n"
             "   return 200 \"%s\";\n  }\n }\n}\n",
             common, upstream.port,
             "libscope demo upstream: a 100-byte response body for the sidecar-overhead "
             "experiment..........\n");
    start_nginx(&upstream, conf);
    snprintf(conf, sizeof conf,
             "%shttp {\n access_log off;\n client_body_temp_path tmp;\n proxy_temp_path tmp;\n"
             " fastcgi_temp_path tmp;\n uwsgi_temp_path tmp;\n scgi_temp_path tmp;\n"
             " keepalive_requests 1000000;\n"
             " upstream up { server 127.0.0.1:%d; keepalive 64; }\n"
             " server {\n  listen 127.0.0.1:%d;\n  location / {\n   proxy_pass http://up;\n"
             "   proxy_http_version 1.1;\n   proxy_set_header Connection \"\";\n  }\n }\n}\n",
             common, upstream.port, proxy.port);
    start_nginx(&proxy, conf);
    x->nconfigs = 2;
    snprintf(x->configs[0].name, 64, "direct");
    snprintf(x->configs[0].url, 512, "http://127.0.0.1:%d/", upstream.port);
    snprintf(x->configs[1].name, 64, "proxy");
    snprintf(x->configs[1].url, 512, "http://127.0.0.1:%d/", proxy.port);
    x->ntargets = 2;
    snprintf(x->target_specs[0], 256, "cgroup:%s", upstream.cg);
    snprintf(x->target_specs[1], 256, "cgroup:%s", proxy.cg);
    /* The driver on the other CPUs. */
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 1; c < n; c++)
        CPU_SET(c, &cpus);
    if (n > 1)
        sched_setaffinity(0, sizeof cpus, &cpus);
}

/* ---------------------------------------------------------------------- */

static json_t *unmeasured;

static void note_unmeasured(const char *what, const char *target, const char *why)
{
    for (size_t i = 0; i < json_array_size(unmeasured); i++) {
        json_t *o = json_array_get(unmeasured, i);
        if (!strcmp(json_string_value(json_object_get(o, "what")), what) &&
            !strcmp(json_string_value(json_object_get(o, "target")), target))
            return;
    }
    json_array_append_new(unmeasured, json_pack("{s:s,s:s,s:s}", "what", what, "target", target,
                                                "why", why));
}

static void open_targets(struct exp *x, struct target *t)
{
    scope_cgroup_mounts *m = NULL;
    scope_cgroup_mounts_new(&m, NULL);
    for (int i = 0; i < x->ntargets; i++) {
        struct target *g = &t[i];
        snprintf(g->spec, sizeof g->spec, "%s", x->target_specs[i]);
        const char *base = strrchr(g->spec, '/');
        const char *colon = strchr(g->spec, ':');
        const char *lab = base ? base + 1 : colon ? colon + 1 : g->spec;
        size_t ll = strlen(lab);
        if (ll >= sizeof g->label)
            ll = sizeof g->label - 1; /* labels are short names: cut, never overflow */
        memcpy(g->label, lab, ll);
        g->label[ll] = '\0';
        for (char *p = g->label; *p; p++)
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
                *p = '_';
        int rc;
        if (!strncmp(g->spec, "cgroup:", 7)) {
            rc = scope_cgroup_open(&g->cpu, m, g->spec + 7, NULL);
        } else if (!strncmp(g->spec, "pid:", 4)) {
            rc = scope_proc_open(&g->cpu, atoi(g->spec + 4), NULL);
        } else {
            fprintf(stderr, "scope-run: target %s: use cgroup:/path or pid:N\n", g->spec);
            exit(2);
        }
        if (rc)
            die(g->spec);
        /* Counters: software events always; cycles/instructions only where a
         * core PMU exists (else the manifest says why). */
        const char *evs[2] = {"cycles,instructions", x->events};
        for (int k = 0; k < 2; k++) {
            scope_pmu *p = NULL;
            char list[512];
            snprintf(list, sizeof list, "%s%s%s", evs[k], k == 0 ? "," : "", k == 0 ? x->events : "");
            if (k == 1)
                snprintf(list, sizeof list, "%s", x->events);
            rc = scope_pmu_new(&p, list, NULL);
            if (!rc)
                rc = !strncmp(g->spec, "cgroup:", 7) ? scope_pmu_add_cgroup(p, g->spec + 7)
                                                      : scope_pmu_add_pid(p, atoi(g->spec + 4));
            if (!rc) {
                /* Open once here so that a refusal is known before the run. */
                rc = scope_pmu_start(p);
                if (!rc)
                    scope_pmu_stop(p);
            }
            if (!rc && !(rc = scope_pmu_collector_new(&g->perf, p))) {
                g->hw = k == 0;
                break;
            }
            char why[1024];
            snprintf(why, sizeof why, "%s", scope_error_message());
            scope_pmu_free(p);
            if (k == 0) {
                note_unmeasured("ipc", g->label, why);
            } else {
                note_unmeasured("perf_software_events", g->label, why);
            }
        }
    }
    scope_cgroup_mounts_free(m);
}

/* Level-1 top-down per target where the CPU has a core PMU and a recipe. */
static void open_topdown(struct exp *x, struct target *t)
{
    for (int i = 0; i < x->ntargets; i++) {
        struct target *g = &t[i];
        scope_topdown *td = NULL;
        scope_pmu *p = NULL;
        int rc = scope_topdown_new(&td, NULL);
        if (!rc)
            rc = scope_topdown_pmu_new(&p, td, NULL);
        if (!rc)
            rc = !strncmp(g->spec, "cgroup:", 7) ? scope_pmu_add_cgroup(p, g->spec + 7)
                                                  : scope_pmu_add_pid(p, atoi(g->spec + 4));
        if (!rc && !(rc = scope_pmu_start(p)))
            scope_pmu_stop(p);
        if (!rc)
            rc = scope_topdown_collector_new(&g->td, td, p);
        if (rc) {
            note_unmeasured("topdown", g->label, scope_error_message());
            scope_pmu_free(p);
            scope_topdown_free(td);
            g->td = NULL;
        }
    }
}

/* Mean of gauge @name over points in [start, end] of series whose label
 * @k ends with @v and label node == @node. NAN when there is none. */
static double gauge_mean(const scope_series_set *set, const char *name, const char *k,
                         const char *v, const char *node, int64_t start, int64_t end);

/* Rate (per second) of counter @name summed over the series of @set whose
 * label @k ends with @v (the PMU collector labels a cgroup with its full
 * directory, the cgroup collector with the hierarchy path), between the
 * first and last points inside [start, end]. NAN without two points. */
static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static double counter_rate(const scope_series_set *set, const char *name, const char *k,
                           const char *v, int64_t start, int64_t end)
{
    double sum = 0;
    int found = 0;
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        if (strcmp(scope_series_name(s), name))
            continue;
        const char *lv = k ? scope_series_label(s, k) : NULL;
        if (k && (!lv || !ends_with(lv, v)))
            continue;
        const int64_t *t = scope_series_timestamps(s);
        const double *val = scope_series_values(s);
        size_t n = scope_series_count(s), a = n, b = n;
        for (size_t j = 0; j < n; j++) {
            if (t[j] < start || t[j] > end)
                continue;
            if (a == n)
                a = j;
            b = j;
        }
        if (a == n || b == a)
            continue;
        sum += (val[b] - val[a]) / ((double)(t[b] - t[a]) / 1e9);
        found = 1;
    }
    return found ? sum : NAN;
}

static double gauge_mean(const scope_series_set *set, const char *name, const char *k,
                         const char *v, const char *node, int64_t start, int64_t end)
{
    double sum = 0;
    long n = 0;
    for (size_t i = 0; i < scope_series_set_count(set); i++) {
        scope_series *s = scope_series_set_at(set, i);
        const char *lv = scope_series_label(s, k), *nv = scope_series_label(s, "node");
        if (strcmp(scope_series_name(s), name) || !lv || !ends_with(lv, v) || !nv ||
            strcmp(nv, node))
            continue;
        for (size_t j = 0; j < scope_series_count(s); j++)
            if (scope_series_timestamps(s)[j] >= start && scope_series_timestamps(s)[j] <= end) {
                sum += scope_series_values(s)[j];
                n++;
            }
    }
    return n ? sum / (double)n : NAN;
}

static struct scope_load *new_load(const struct exp *x, const char *url, double rate,
                                   double seconds, int64_t start_wall, long payload)
{
    scope_load *l;
    const char *what;
    if (exp_new_load(x, url, rate, seconds, start_wall, payload, &l, &what))
        die(what);
    return l;
}

static double ms(int64_t ns) { return (double)ns / 1e6; }

static void step_name(char *buf, size_t cap, const struct step *s)
{
    if (s->payload >= 0)
        snprintf(buf, cap, "%s_rate%g_payload%ld_rep%d", s->config, s->offered, s->payload, s->rep);
    else
        snprintf(buf, cap, "%s_rate%g_rep%d", s->config, s->offered, s->rep);
}

static void write_summary(const struct exp *x, const struct target *t, struct step *st, int nst)
{
    char path[600];
    snprintf(path, sizeof path, "%s/summary.csv", x->outdir);
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fprintf(f, "config,rep,payload_bytes,offered_rps,achieved_rps,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,"
               "p99_uncorrected_ms,completed,errors,err_connect,err_read,err_write,err_timeout,"
               "err_parse,late_sends");
    for (int i = 0; i < x->ntargets; i++)
        fprintf(f, ",cpu_cores_%s,cpu_s_per_1k_%s,ctxsw_per_req_%s,ipc_%s", t[i].label,
                t[i].label, t[i].label, t[i].label);
    for (int i = 0; i < x->ntargets; i++)
        for (int n = 0; n < 5; n++)
            fprintf(f, ",td_%s_%s", td_nodes[n], t[i].label);
    fprintf(f, ",membw_read_Bps,membw_write_Bps\n");
    for (int i = 0; i < nst; i++) {
        struct step *s = &st[i];
        fprintf(f, "%s,%d,%ld,%g,%.3f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld",
                s->config, s->rep, s->payload, s->offered, s->achieved, s->p50, s->p90, s->p99, s->p999,
                s->max, s->p99_uncorrected, (long long)s->completed, (long long)s->errors,
                (long long)s->err_kind[SCOPE_LOAD_ERR_CONNECT],
                (long long)s->err_kind[SCOPE_LOAD_ERR_READ],
                (long long)s->err_kind[SCOPE_LOAD_ERR_WRITE],
                (long long)s->err_kind[SCOPE_LOAD_ERR_TIMEOUT],
                (long long)s->err_kind[SCOPE_LOAD_ERR_PARSE], (long long)s->late);
        for (int k = 0; k < x->ntargets; k++)
            fprintf(f, ",%.4f,%.5f,%.4f,%.4f", s->cpu_cores[k], s->cpu_s_per_1k[k],
                    s->ctx_per_req[k], s->ipc[k]);
        for (int k = 0; k < x->ntargets; k++)
            for (int n = 0; n < 5; n++)
                fprintf(f, ",%.4f", s->td[k][n]);
        fprintf(f, ",%.0f,%.0f\n", s->membw_read, s->membw_write);
    }
    /* Mean and sample standard deviation across repetitions of the same
     * (config, offered rate). */
    for (int i = 0; i < nst; i++) {
        if (st[i].rep != 1)
            continue;
        const char *what[2] = {"mean", "stdev"};
        for (int w = 0; w < 2; w++) {
            double v[9 + 4 * MAXN];
            int nv = 9 + 4 * x->ntargets;
            for (int c = 0; c < nv; c++) {
                double sum = 0, sq = 0;
                int n = 0;
                for (int j = 0; j < nst; j++) {
                    if (strcmp(st[j].config, st[i].config) || st[j].offered != st[i].offered ||
                        st[j].payload != st[i].payload)
                        continue;
                    struct step *s = &st[j];
                    double a[9] = {s->achieved, s->p50, s->p90, s->p99, s->p999, s->max,
                                   s->p99_uncorrected, (double)s->completed, (double)s->errors};
                    double val = c < 9 ? a[c]
                                       : (c - 9) % 4 == 0 ? s->cpu_cores[(c - 9) / 4]
                                       : (c - 9) % 4 == 1 ? s->cpu_s_per_1k[(c - 9) / 4]
                                       : (c - 9) % 4 == 2 ? s->ctx_per_req[(c - 9) / 4]
                                                          : s->ipc[(c - 9) / 4];
                    sum += val;
                    sq += val * val;
                    n++;
                }
                double mean = sum / n;
                v[c] = w == 0 ? mean : (n > 1 ? sqrt(fmax(0, (sq - n * mean * mean) / (n - 1))) : 0);
            }
            fprintf(f, "%s,%s,%ld,%g,%.3f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.1f,%.1f,,,,,,", st[i].config,
                    what[w], st[i].payload, st[i].offered, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
            for (int k = 0; k < x->ntargets; k++)
                fprintf(f, ",%.4f,%.5f,%.4f,%.4f", v[9 + 4 * k], v[10 + 4 * k], v[11 + 4 * k],
                        v[12 + 4 * k]);
            for (int k = 0; k < 5 * x->ntargets + 2; k++)
                fputc(',', f); /* top-down and bandwidth: per step only */
            fputc('\n', f);
        }
    }
    fclose(f);
}

static void print_row_header(const struct exp *x, const struct target *t)
{
    printf("%-10s %4s %9s %9s %8s %8s %8s %8s %6s", "config", "rep", "offered", "achieved",
           "p50 ms", "p90 ms", "p99 ms", "max ms", "errors");
    for (int i = 0; i < x->ntargets; i++)
        printf(" %12.12s", t[i].label);
    printf("\n%-10s %4s %9s %9s %8s %8s %8s %8s %6s", "", "", "req/s", "req/s", "", "", "", "",
           "");
    for (int i = 0; i < x->ntargets; i++)
        printf(" %12s", "CPU ms/1k");
    printf("\n");
}

static void print_row(const struct exp *x, const struct step *s)
{
    printf("%-10s %4d %9g %9.1f %8.3f %8.3f %8.3f %8.3f %6lld", s->config, s->rep, s->offered,
           s->achieved, s->p50, s->p90, s->p99, s->max, (long long)s->errors);
    for (int i = 0; i < x->ntargets; i++)
        printf(" %12.1f", s->cpu_s_per_1k[i] * 1000);
    printf("\n");
    fflush(stdout);
}

static json_t *manifest_base(const struct exp *x, json_t *experiment)
{
    struct utsname u;
    uname(&u);
    char cpu[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[512];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            snprintf(cpu, sizeof cpu, "%s", strchr(line, ':') + 2);
            cpu[strcspn(cpu, "\n")] = 0;
            break;
        }
    if (f)
        fclose(f);
    json_t *pmus = json_array();
    DIR *d = opendir("/sys/bus/event_source/devices");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            json_array_append_new(pmus, json_string(e->d_name));
    if (d)
        closedir(d);
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    (void)x;
    return json_pack("{s:s,s:o,s:s,s:s,s:s,s:s,s:o}", "libscope_version", scope_version(),
                     "experiment", experiment, "host", host, "kernel", u.release, "machine",
                     u.machine, "cpu_model", cpu, "pmus", pmus);
}

static void load_experiment(struct exp *x, const char *path)
{
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j) {
        fprintf(stderr, "scope-run: %s:%d: %s\n", path, err.line, err.text);
        exit(2);
    }
    int rc = exp_parse(x, j, path, stderr);
    json_decref(j);
    if (rc)
        exit(2);
}

/* ---------------------------------------------------------------------- */
/* Short runs push each step's results to a Prometheus Pushgateway: an HTTP
 * PUT of exposition text to <url>/metrics/job/scope-run/instance/<host>
 * (PUT replaces the group, so the gateway holds the latest step). Plain
 * http://host:port only; loopback or a gateway of your own. */
static int push_step(const char *url, const struct exp *x, const struct target *t,
                     const struct step *s)
{
    char host[256], path[512];
    int port = 9091;
    if (sscanf(url, "http://%255[^:/]:%d", host, &port) < 1) {
        fprintf(stderr, "scope-run: --push wants http://HOST:PORT\n");
        return -1;
    }
    char node[128] = "node";
    gethostname(node, sizeof node - 1);
    snprintf(path, sizeof path, "/metrics/job/scope-run/instance/%s", node);
    scope_series_set *set;
    scope_series_set_new(&set);
    int64_t now = scope_clock_wall_ns();
    char rate[32], rep[16];
    snprintf(rate, sizeof rate, "%g", s->offered);
    snprintf(rep, sizeof rep, "%d", s->rep);
    const char *k[4] = {"config", "rate", "rep", "target"}, *v[4] = {s->config, rate, rep, ""};
    struct {
        const char *name, *unit;
        double val;
    } m[] = {{"scope_run_achieved_requests_per_second", "1", s->achieved},
             {"scope_run_latency_p50_seconds", "seconds", s->p50 / 1e3},
             {"scope_run_latency_p99_seconds", "seconds", s->p99 / 1e3},
             {"scope_run_latency_max_seconds", "seconds", s->max / 1e3},
             {"scope_run_errors", "1", (double)s->errors}};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
        scope_series *se;
        scope_series_set_add(&se, set, m[i].name, k, v, 3, m[i].unit, SCOPE_GAUGE, NULL);
        scope_series_append(se, now, m[i].val);
    }
    for (int i = 0; i < x->ntargets; i++) {
        scope_series *se;
        v[3] = t[i].label;
        scope_series_set_add(&se, set, "scope_run_cpu_seconds_per_request", k, v, 4, "seconds",
                             SCOPE_GAUGE, NULL);
        scope_series_append(se, now, s->cpu_s_per_1k[i] / 1000);
    }
    char *body;
    size_t len;
    int rc = scope_export_buffer(&body, &len, set, SCOPE_EXPORT_PROMETHEUS, NULL);
    scope_series_set_free(set);
    if (rc)
        return -1;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    int fd = -1;
    if (getaddrinfo(host, ps, &hints, &ai) == 0) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
            close(fd);
            fd = -1;
        }
        freeaddrinfo(ai);
    }
    int ok = 0;
    if (fd >= 0) {
        char head[1024];
        int n = snprintf(head, sizeof head,
                         "PUT %s HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: text/plain; "
                         "version=0.0.4\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
                         path, host, port, len);
        if (write(fd, head, (size_t)n) == n && write(fd, body, len) == (ssize_t)len) {
            char resp[64] = "";
            ssize_t r = read(fd, resp, sizeof resp - 1);
            if (r > 12)
                ok = !strncmp(resp + 9, "200", 3) || !strncmp(resp + 9, "202", 3);
            if (!ok)
                fprintf(stderr, "scope-run: the Pushgateway answered: %.40s\n", r > 0 ? resp : "nothing");
        }
        close(fd);
    } else {
        fprintf(stderr, "scope-run: cannot reach the Pushgateway at %s:%d\n", host, port);
    }
    scope_buffer_free(body);
    return ok ? 0 : -1;
}

/* ---------------------------------------------------------------------- */
/* scope-run merge OUT DIR...: one results directory from several nodes. */

static int cmd_merge(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: scope-run merge OUTDIR DIR...\n");
        return 2;
    }
    const char *out = argv[1];
    char path[1024];
    mkdir(out, 0755);
    snprintf(path, sizeof path, "%s/hist", out);
    mkdir(path, 0755);
    /* Histograms: merged by tag, never averaged. */
    char tags[256][128];
    scope_hist *merged[256];
    double starts[256], lens[256];
    int ntags = 0;
    for (int d = 2; d < argc; d++) {
        snprintf(path, sizeof path, "%s/hist/steps.hlog", argv[d]);
        FILE *f = fopen(path, "r");
        if (!f) {
            fprintf(stderr, "scope-run merge: %s: %s\n", path, strerror(errno));
            return 1;
        }
        for (;;) {
            scope_hist *h;
            char tag[128];
            double st, len, base;
            int rc = scope_hist_log_read(&h, f, tag, sizeof tag, &st, &len, &base);
            if (rc == 0 || rc == SCOPE_ENOENT)
                break; /* end of log */
            if (rc < 0) {
                fprintf(stderr, "scope-run merge: %s: %s\n", path, scope_error_message());
                return 1;
            }
            int k;
            for (k = 0; k < ntags && strcmp(tags[k], tag); k++)
                ;
            if (k == ntags) {
                if (ntags == 256)
                    break;
                snprintf(tags[ntags], sizeof tags[0], "%s", tag);
                merged[ntags] = h;
                starts[ntags] = st + base;
                lens[ntags++] = len;
            } else {
                scope_hist_add(merged[k], h);
                if (st + base < starts[k]) {
                    lens[k] += starts[k] - (st + base);
                    starts[k] = st + base;
                }
                scope_hist_free(h);
            }
        }
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/hist/steps.hlog", out);
    FILE *hl = fopen(path, "w");
    snprintf(path, sizeof path, "%s/summary.csv", out);
    FILE *sf = fopen(path, "w");
    if (!hl || !sf) {
        perror("scope-run merge");
        return 1;
    }
    scope_hist_log_header(hl, (int64_t)(starts[0] * 1e9));
    fprintf(sf, "step,count,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,mean_ms\n");
    for (int k = 0; k < ntags; k++) {
        scope_hist_log_write(hl, tags[k], (int64_t)(starts[k] * 1e9), (int64_t)(lens[k] * 1e9),
                             merged[k]);
        fprintf(sf, "%s,%lld,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", tags[k],
                (long long)scope_hist_count(merged[k]), ms(scope_hist_percentile(merged[k], 50)),
                ms(scope_hist_percentile(merged[k], 90)), ms(scope_hist_percentile(merged[k], 99)),
                ms(scope_hist_percentile(merged[k], 99.9)), ms(scope_hist_max(merged[k])),
                scope_hist_mean(merged[k]) / 1e6);
        printf("%-40s n=%-8lld p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", tags[k],
               (long long)scope_hist_count(merged[k]), ms(scope_hist_percentile(merged[k], 50)),
               ms(scope_hist_percentile(merged[k], 99)), ms(scope_hist_max(merged[k])));
        scope_hist_free(merged[k]);
    }
    fclose(hl);
    fclose(sf);
    /* Series: every node's rows, each labelled with its node (directory). */
    snprintf(path, sizeof path, "%s/series.csv", out);
    FILE *so = fopen(path, "w");
    fprintf(so, "timestamp_ns,metric,labels,value\n");
    for (int d = 2; d < argc; d++) {
        char in[1024], line[8192];
        snprintf(in, sizeof in, "%s/series.csv", argv[d]);
        FILE *f = fopen(in, "r");
        if (!f)
            continue;
        const char *node = strrchr(argv[d], '/') && strrchr(argv[d], '/')[1] ? strrchr(argv[d], '/') + 1 : argv[d];
        if (!fgets(line, sizeof line, f)) { /* header */
            fclose(f);
            continue;
        }
        while (fgets(line, sizeof line, f)) {
            /* labels are the third field: "{...}" quoted, or {} */
            char *lb = strchr(line, '{');
            if (!lb) {
                fputs(line, so);
                continue;
            }
            fwrite(line, 1, (size_t)(lb - line + 1), so);
            int empty = lb[1] == '}';
            fprintf(so, "node=%s%s%s%s", lb[-1] == '"' ? "\"\"" : "\"", node,
                    lb[-1] == '"' ? "\"\"" : "\"", empty ? "" : ",");
            fputs(lb + 1, so);
        }
        fclose(f);
    }
    fclose(so);
    printf("scope-run merge: %d steps from %d nodes into %s\n", ntags, argc - 2, out);
    return 0;
}

/* ---------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "merge"))
        return cmd_merge(argc - 1, argv + 1);

    struct exp x;
    exp_defaults(&x);

    static const struct option longs[] = {
        {"url", required_argument, NULL, 'u'},    {"config", required_argument, NULL, 'C'},
        {"rates", required_argument, NULL, 'r'},  {"warmup", required_argument, NULL, 'w'},
        {"closed", no_argument, NULL, 'k'},       {"reps", required_argument, NULL, 'n'},
        {"target", required_argument, NULL, 'T'}, {"events", required_argument, NULL, 'e'},
        {"prom", required_argument, NULL, 'P'},   {"query", required_argument, NULL, 'q'},
        {"start-at", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {"payload-sizes", required_argument, NULL, 'B'}, {"topdown", no_argument, NULL, 'D'},
        {"membw", no_argument, NULL, 'M'},      {"push", required_argument, NULL, 'U'},
        {NULL, 0, NULL, 0}};
    /* The experiment file first (if any), then flags override it. */
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-' && strstr(argv[i], ".json")) {
            load_experiment(&x, argv[i]);
            break;
        }
    /* A flag's value longer than its field is an error, never cut. */
#define SET(dst, s, n, what)                                                   \
    do {                                                                       \
        if (exp_set(dst, sizeof(dst), s, n, what, stderr))                     \
            return 2;                                                          \
    } while (0)
    int opt;
    while ((opt = getopt_long(argc, argv, "o:d:c:t:I:h", longs, NULL)) != -1) {
        switch (opt) {
        case 'o': SET(x.outdir, optarg, strlen(optarg), "-o"); break;
        case 'd': x.duration = atof(optarg); break;
        case 'c': x.connections = atoi(optarg); break;
        case 't': x.threads = atoi(optarg); break;
        case 'I': x.interval_ms = atol(optarg); break;
        case 'u':
            x.nconfigs = 1;
            snprintf(x.configs[0].name, 64, "default");
            SET(x.configs[0].url, optarg, strlen(optarg), "--url");
            break;
        case 'C': {
            char *eq = strchr(optarg, '=');
            if (!eq || x.nconfigs == MAXN) {
                fprintf(stderr, "scope-run: --config wants NAME=URL\n");
                return 2;
            }
            SET(x.configs[x.nconfigs].name, optarg, (size_t)(eq - optarg), "--config NAME");
            SET(x.configs[x.nconfigs++].url, eq + 1, strlen(eq + 1), "--config URL");
            break;
        }
        case 'r': SET(x.rates, optarg, strlen(optarg), "--rates"); break;
        case 'w': x.warmup = atof(optarg); break;
        case 'k': x.closed = 1; break;
        case 'n': x.reps = atoi(optarg); break;
        case 'T':
            if (x.ntargets < MAXN)
                SET(x.target_specs[x.ntargets++], optarg, strlen(optarg), "--target");
            break;
        case 'e': SET(x.events, optarg, strlen(optarg), "--events"); break;
        case 'P': SET(x.prom_url, optarg, strlen(optarg), "--prom"); break;
        case 'q': {
            char *eq = strchr(optarg, '=');
            if (!eq || x.nqueries == MAXN) {
                fprintf(stderr, "scope-run: --query wants NAME=PROMQL\n");
                return 2;
            }
            SET(x.queries[x.nqueries].name, optarg, (size_t)(eq - optarg), "--query NAME");
            SET(x.queries[x.nqueries++].promql, eq + 1, strlen(eq + 1), "--query PROMQL");
            break;
        }
        case 's': x.start_at = atof(optarg); break;
        case 'B': SET(x.payloads, optarg, strlen(optarg), "--payload-sizes"); break;
        case 'D': x.topdown = 1; break;
        case 'M': x.membw = 1; break;
        case 'U': SET(x.push, optarg, strlen(optarg), "--push"); break;
        case 'h':
            printf("usage: scope-run [EXPERIMENT.json] [-o DIR] [--url URL | --config NAME=URL...]\n"
                   "       [--rates SPEC] [-d S] [--warmup S] [-c N] [-t N] [--closed] [--reps N]\n"
                   "       [--target cgroup:/path|pid:N]... [--events LIST] [-I MS]\n"
                   "       [--prom URL --query NAME=PROMQL...] [--start-at UNIX_TIME]\n"
                   "       [--payload-sizes LIST|FROM:TO:STEP] [--topdown] [--membw]\n"
                   "       [--push http://PUSHGATEWAY:PORT]\n"
                   "       scope-run merge OUTDIR DIR...\n"
                   "With no experiment and no URL: the sidecar-overhead demo (nginx direct vs\n"
                   "through an nginx reverse proxy).\n");
            return 0;
        default: return 2;
        }
    }
    if (x.nconfigs == 0) {
        x.demo = 1;
        x.topdown = 1; /* measured where possible; the manifest says why not */
        x.membw = 1;
        demo_setup(&x);
    }
    if (exp_validate(&x, stderr))
        return 2;
    double *payloads = NULL;
    size_t npayloads = 1;
    if (exp_payload_sizes(&x, &payloads, &npayloads, stderr))
        return 1;
    if (!x.outdir[0]) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        mkdir("results", 0755);
        strftime(x.outdir, sizeof x.outdir, "results/%Y%m%dT%H%M%SZ", &tm);
    }
    if (mkdir(x.outdir, 0755) && errno != EEXIST) {
        fprintf(stderr, "scope-run: cannot create %s: %s\n", x.outdir, strerror(errno));
        return 1;
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/hist", x.outdir);
    mkdir(path, 0755);
    if (x.nqueries) {
        snprintf(path, sizeof path, "%s/prom", x.outdir);
        mkdir(path, 0755);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    unmeasured = json_array();
    struct target targets[MAXN];
    memset(targets, 0, sizeof targets);
    open_targets(&x, targets);
    if (x.topdown)
        open_topdown(&x, targets);
    scope_collector *membw = NULL;
    if (x.membw && scope_uncore_open(&membw, NULL)) {
        note_unmeasured("memory_bandwidth", "node", scope_error_message());
        membw = NULL;
    }

    scope_recorder_opts ro = SCOPE_RECORDER_OPTS_INIT;
    ro.interval_ns = x.interval_ms * 1000000LL;
    scope_recorder *rec;
    if (scope_recorder_new(&rec, &ro))
        die("recorder");
    for (int i = 0; i < x.ntargets; i++) {
        scope_recorder_add(rec, targets[i].cpu);
        if (targets[i].perf)
            scope_recorder_add(rec, targets[i].perf);
        if (targets[i].td)
            scope_recorder_add(rec, targets[i].td);
    }
    if (membw)
        scope_recorder_add(rec, membw);
    scope_prom *prom = NULL;
    if (x.prom_url[0]) {
        scope_prom_opts po = SCOPE_PROM_OPTS_INIT;
        po.url = x.prom_url;
        if (scope_prom_new(&prom, &po))
            die("prometheus client");
    }
    scope_series_set *all;
    scope_series_set_new(&all);
    snprintf(path, sizeof path, "%s/hist/steps.hlog", x.outdir);
    FILE *hlog = fopen(path, "w");
    if (!hlog) {
        perror(path);
        return 1;
    }
    scope_hist_log_header(hlog, scope_clock_wall_ns());

    struct step *steps = calloc(4096, sizeof *steps);
    int nsteps = 0;
    json_t *jsteps = json_array();
    int64_t start_wall = x.start_at > 0 ? (int64_t)(x.start_at * 1e9) : 0;
    printf("scope-run: %d configuration(s), rates %s, %g s per step (+%g s warm-up), %d rep(s); "
           "results in %s\n",
           x.nconfigs, x.closed ? "closed loop" : x.rates, x.duration, x.warmup, x.reps, x.outdir);
    print_row_header(&x, targets);
    for (int rep = 1; rep <= x.reps && !interrupted; rep++) {
        for (int c = 0; c < x.nconfigs && !interrupted; c++) {
            struct config *cf = &x.configs[c];
            double *rates = NULL;
            size_t nrates = 1;
            if (!x.closed) {
                double max = 0;
                if (strchr(x.rates, '%')) { /* measure the maximum first, closed loop */
                    struct exp probe = x;
                    probe.closed = 1;
                    scope_load *l = new_load(&probe, cf->url, 0, 2.0 + x.warmup, 0, -1);
                    scope_load_result *r;
                    if (scope_load_run(&r, l))
                        die("measuring the maximum rate");
                    scope_load_stats s = SCOPE_LOAD_STATS_INIT;
                    scope_load_result_stats(r, -1, &s);
                    max = s.rate;
                    printf("%-10s maximum (closed loop, %d connections): %.0f req/s\n", cf->name,
                           x.connections, max);
                    scope_load_result_free(r);
                    scope_load_free(l);
                }
                if (scope_load_sweep_parse(&rates, &nrates, x.rates, max))
                    die("rates");
            }
            for (size_t step_i = 0; step_i < nrates * npayloads && !interrupted; step_i++) {
                size_t ri = step_i % nrates;
                long payload = npayloads > 1 || x.payloads[0] ? (long)payloads[step_i / nrates] : -1;
                double rate = rates ? rates[ri] : 0;
                struct step *s = &steps[nsteps];
                snprintf(s->config, sizeof s->config, "%s", cf->name);
                s->offered = rate;
                s->rep = rep;
                s->payload = payload;
                char rs[32], reps[16], ps[32];
                snprintf(rs, sizeof rs, "%g", rate);
                snprintf(reps, sizeof reps, "%d", rep);
                snprintf(ps, sizeof ps, "%ld", payload);
                scope_recorder_mark(rec, "config", cf->name);
                scope_recorder_mark(rec, "rate", rs);
                scope_recorder_mark(rec, "rep", reps);
                scope_recorder_mark(rec, "payload", payload >= 0 ? ps : NULL);
                if (x.warmup > 0 && !start_wall) {
                    scope_load *w = new_load(&x, cf->url, rate, x.warmup, 0, payload);
                    scope_load_result *wr;
                    running_load = w;
                    if (scope_load_run(&wr, w))
                        die("warm-up");
                    running_load = NULL;
                    scope_load_result_free(wr);
                    scope_load_free(w);
                }
                scope_load *l = new_load(&x, cf->url, rate, x.duration, start_wall, payload);
                start_wall = 0; /* only the first step waits for the agreed instant */
                if (scope_recorder_start(rec))
                    die("recorder start");
                running_rec = rec;
                running_load = l;
                scope_load_result *res;
                int rc = scope_load_run(&res, l);
                running_load = NULL;
                if (rc)
                    die("load");
                s->start_ns = scope_load_result_start(res);
                s->end_ns = scope_clock_wall_ns();
                scope_recorder_stop(rec);
                scope_recorder_wait(rec);
                running_rec = NULL;
                scope_load_stats st = SCOPE_LOAD_STATS_INIT;
                scope_load_result_stats(res, -1, &st);
                s->end_ns = s->start_ns + st.duration_ns;
                s->achieved = st.rate;
                s->completed = st.completed;
                s->sent = st.sent;
                s->errors = st.errors;
                s->in_flight = st.in_flight;
                s->late = st.late;
                for (int k = 1; k < SCOPE_LOAD_ERR_KINDS; k++)
                    scope_load_result_errors(res, k, NULL, NULL, 0, &s->err_kind[k]);
                const scope_hist *h = scope_load_result_hist(res, -1, 1);
                const scope_hist *hu = scope_load_result_hist(res, -1, 0);
                s->p50 = ms(scope_hist_percentile(h, 50));
                s->p90 = ms(scope_hist_percentile(h, 90));
                s->p99 = ms(scope_hist_percentile(h, 99));
                s->p999 = ms(scope_hist_percentile(h, 99.9));
                s->max = ms(scope_hist_max(h));
                s->p99_uncorrected = ms(scope_hist_percentile(hu, 99));
                char name[200];
                step_name(name, sizeof name, s);
                scope_hist_log_write(hlog, name, s->start_ns, st.duration_ns, h);
                snprintf(path, sizeof path, "%s/hist/%s.hgrm", x.outdir, name);
                FILE *hg = fopen(path, "w");
                if (hg) {
                    scope_hist_print(hg, h, 1e6, 5);
                    fclose(hg);
                }
                /* Per-target CPU and counters from this step's recording. */
                const scope_series_set *set = scope_recorder_series(rec);
                for (int k = 0; k < x.ntargets; k++) {
                    struct target *g = &targets[k];
                    int is_cg = !strncmp(g->spec, "cgroup:", 7);
                    double cores = counter_rate(set, is_cg ? "container_cpu_usage_seconds_total"
                                                           : "process_cpu_seconds_total",
                                                is_cg ? "cgroup" : "pid",
                                                is_cg ? g->spec + 7 : g->spec + 4, s->start_ns,
                                                s->end_ns);
                    s->cpu_cores[k] = cores;
                    s->cpu_s_per_1k[k] = s->achieved > 0 ? cores / s->achieved * 1000 : NAN;
                    double cs = NAN, cyc = NAN, ins = NAN;
                    if (g->perf) {
                        const char *lk = is_cg ? "cgroup" : "pid";
                        const char *lv = is_cg ? g->spec + 7 : g->spec + 4;
                        cs = counter_rate(set, "perf_context_switches_total", lk, lv, s->start_ns,
                                          s->end_ns);
                        if (g->hw) {
                            cyc = counter_rate(set, "perf_cycles_total", lk, lv, s->start_ns,
                                               s->end_ns);
                            ins = counter_rate(set, "perf_instructions_total", lk, lv,
                                               s->start_ns, s->end_ns);
                        }
                    }
                    s->ctx_per_req[k] = s->achieved > 0 ? cs / s->achieved : NAN;
                    s->ipc[k] = cyc > 0 ? ins / cyc : NAN;
                    for (int n = 0; n < 5; n++)
                        s->td[k][n] = g->td ? gauge_mean(set, "topdown_fraction",
                                                         is_cg ? "cgroup" : "pid",
                                                         is_cg ? g->spec + 7 : g->spec + 4,
                                                         td_nodes[n], s->start_ns, s->end_ns)
                                            : NAN;
                }
                s->membw_read = membw ? counter_rate(set, "uncore_memory_socket_read_bytes_total",
                                                     NULL, NULL, s->start_ns, s->end_ns)
                                      : NAN;
                s->membw_write = membw ? counter_rate(set, "uncore_memory_socket_write_bytes_total",
                                                      NULL, NULL, s->start_ns, s->end_ns)
                                       : NAN;
                if (scope_series_set_merge(all, set))
                    die("merging series");
                scope_series_set_merge(all, scope_load_result_series(res));
                /* The Prometheus window of this step. */
                for (int q = 0; q < x.nqueries && prom; q++) {
                    scope_prom_query_opts qo = SCOPE_PROM_QUERY_OPTS_INIT;
                    scope_prom_result *pr;
                    if (scope_prom_query_range(&pr, prom, x.queries[q].promql, s->start_ns,
                                               s->end_ns, 1000000000LL, &qo)) {
                        char what[128];
                        snprintf(what, sizeof what, "prometheus:%s", x.queries[q].name);
                        note_unmeasured(what, name, scope_error_message());
                        continue;
                    }
                    snprintf(path, sizeof path, "%s/prom/%s_%s.csv", x.outdir, name,
                             x.queries[q].name);
                    scope_export_path(scope_prom_result_series(pr), SCOPE_EXPORT_CSV, path, NULL);
                    scope_prom_result_free(pr);
                }
                json_array_append_new(
                    jsteps, json_pack("{s:s,s:s,s:f,s:i,s:I,s:I,s:f,s:I,s:I}", "name", name,
                                      "config", s->config, "offered_rps", s->offered, "rep",
                                      s->rep, "start_ns", (json_int_t)s->start_ns, "end_ns",
                                      (json_int_t)s->end_ns, "achieved_rps", s->achieved,
                                      "completed", (json_int_t)s->completed, "errors",
                                      (json_int_t)s->errors));
                if (x.push[0] && push_step(x.push, &x, targets, s))
                    note_unmeasured("pushgateway", name, "the push failed (see stderr)");
                print_row(&x, s);
                nsteps++;
                scope_load_result_free(res);
                scope_load_free(l);
            }
            scope_load_sweep_free(rates);
        }
    }
    scope_load_sweep_free(payloads);
    fclose(hlog);
    if (interrupted)
        printf("scope-run: interrupted; keeping the %d completed step(s)\n", nsteps);

    /* Results. */
    for (int k = 0; k < x.ntargets; k++)
        if (!targets[k].perf)
            note_unmeasured("context_switches_per_request", targets[k].label,
                            "no perf counters could be opened for this target (see above)");
    json_t *man = manifest_base(&x, exp_to_json(&x));
    json_object_set_new(man, "steps", jsteps);
    json_object_set_new(man, "unmeasured", unmeasured);
    json_object_set_new(man, "interrupted", json_boolean(interrupted));
    snprintf(path, sizeof path, "%s/manifest.json", x.outdir);
    if (json_dump_file(man, path, JSON_INDENT(2) | JSON_SORT_KEYS))
        fprintf(stderr, "scope-run: cannot write %s\n", path);
    json_decref(man);
    snprintf(path, sizeof path, "%s/series.csv", x.outdir);
    if (scope_export_path(all, SCOPE_EXPORT_CSV, path, NULL))
        die("series.csv");
    snprintf(path, sizeof path, "%s/series.jsonl", x.outdir);
    if (scope_export_path(all, SCOPE_EXPORT_JSONL, path, NULL))
        die("series.jsonl");
    write_summary(&x, targets, steps, nsteps);

    if (x.demo && nsteps >= 2) {
        /* What the proxy costs: per rate, proxy minus direct. */
        printf("\nWhat the proxy costs (proxy - direct, same offered rate):\n");
        printf("%9s %9s %12s %12s %16s\n", "req/s", "body B", "p50 +ms", "p99 +ms",
               "CPU ms/1k req +");
        for (int i = 0; i < nsteps; i++) {
            if (strcmp(steps[i].config, "direct"))
                continue;
            for (int j = 0; j < nsteps; j++) {
                if (strcmp(steps[j].config, "proxy") || steps[j].offered != steps[i].offered ||
                    steps[j].rep != steps[i].rep || steps[j].payload != steps[i].payload)
                    continue;
                double cd = steps[i].cpu_s_per_1k[0], cp = steps[j].cpu_s_per_1k[0] + steps[j].cpu_s_per_1k[1];
                char body[24] = "-";
                if (steps[i].payload >= 0)
                    snprintf(body, sizeof body, "%ld", steps[i].payload);
                printf("%9g %9s %12.3f %12.3f %16.1f\n", steps[i].offered, body,
                       steps[j].p50 - steps[i].p50,
                       steps[j].p99 - steps[i].p99, (cp - cd) * 1000);
            }
        }
        printf("(direct: the upstream's CPU; proxy: upstream + proxy CPU, both per 1000 requests)\n");
    }
    printf("scope-run: %d steps; summary.csv, manifest.json, series.csv/.jsonl, hist/ in %s\n",
           nsteps, x.outdir);
    scope_prom_free(prom);
    scope_series_set_free(all);
    scope_recorder_free(rec);
    for (int k = 0; k < x.ntargets; k++) {
        scope_collector_free(targets[k].cpu);
        scope_collector_free(targets[k].perf);
        scope_collector_free(targets[k].td);
    }
    scope_collector_free(membw);
    exp_release(&x);
    free(steps);
    return interrupted ? 130 : 0;
}
