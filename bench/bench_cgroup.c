/*
 * bench_cgroup: the cost of sampling N cgroups (default 1000), in ns per
 * cgroup per sample, for libscope's cgroup collector against two peers in
 * the same run, reading the same files and parsing the same values:
 *
 *   naive      open(path) / read / close per file, per sample
 *   libcgroup  libcgroup 2.0's stat reader: cgroup_read_value_begin/end for
 *              single-value files, cgroup_read_stats_begin/next/end for the
 *              .stat files (its documented way to read stats)
 *   libscope   scope_collector_sample() end to end (pread on kept-open fds,
 *              parse, append to a series set), its read+parse part alone
 *              (the collector's sample op, without the series set), and
 *              the reopen mode (openat on kept directory descriptors)
 *
 * v1 set (cpu, cpuacct and memory hierarchies): cpuacct.usage, cpuacct.stat,
 * cpu.stat, memory.usage_in_bytes, memory.stat (5 files). v2 set (the
 * cgroup2 mount, read through a root whose mountinfo lists only it):
 * cpu.stat (libcgroup reaches it through its "cgroup" pseudo-controller).
 *
 * Needs root. Creates <hierarchy>/scopebench_<pid>/cNNNN and removes them
 * (about 8 ms per mkdir and 10 ms per rmdir on the project VM).
 *
 *   bench_cgroup [N] [rounds]
 *
 * Figures: median over rounds of per-thread CPU time (robust to other load
 * on the machine) and of wall time, per cgroup per sample.
 */
#include "cgroup/cgroup_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef SCOPE_HAVE_LIBCGROUP
#include <libcgroup.h>
#endif

static int N = 1000, ROUNDS = 9;
static char base[64];
static const char *v1ctl[] = {"cpu", "cpuacct", "memory"};
static char v1dir[3][512], v2dir[512];
static int have_v2;
static char v2root[128];
static volatile uint64_t sink;
static uint64_t parsed; /* values found, to show every reader does the same work */

static double tcpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double twall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmpd);
    return v[n / 2];
}

/* ---- the same parse for every reader ---------------------------------- */

static void parse_v1(int file, const char *b, size_t n)
{
    uint64_t v = 0;
    const char *p = b;
    switch (file) {
    case 0: /* cpuacct.usage */
    case 3: /* memory.usage_in_bytes */
        if (scope__parse_u64(&p, b + n, &v) == 0)
            parsed++;
        sink += v;
        break;
    case 1:
        parsed += scope__kv_u64(b, n, "user", &v) == 0, sink += v;
        parsed += scope__kv_u64(b, n, "system", &v) == 0, sink += v;
        break;
    case 2:
        parsed += scope__kv_u64(b, n, "nr_periods", &v) == 0, sink += v;
        parsed += scope__kv_u64(b, n, "nr_throttled", &v) == 0, sink += v;
        parsed += scope__kv_u64(b, n, "throttled_time", &v) == 0, sink += v;
        break;
    case 4:
        parsed += scope__kv_u64(b, n, "total_inactive_file", &v) == 0, sink += v;
        parsed += scope__kv_u64(b, n, "total_rss", &v) == 0, sink += v;
        parsed += scope__kv_u64(b, n, "total_cache", &v) == 0, sink += v;
        break;
    }
}

static void parse_v2(const char *b, size_t n)
{
    uint64_t v = 0;
    parsed += scope__kv_u64(b, n, "usage_usec", &v) == 0, sink += v;
    parsed += scope__kv_u64(b, n, "user_usec", &v) == 0, sink += v;
    parsed += scope__kv_u64(b, n, "system_usec", &v) == 0, sink += v;
}

static const char *const v1files[5] = {"cpuacct.usage", "cpuacct.stat", "cpu.stat",
                                       "memory.usage_in_bytes", "memory.stat"};
static const int v1hier[5] = {1, 1, 0, 2, 2};

/* ---- naive: open/read/close ------------------------------------------- */

static void naive_v1(void)
{
    char path[2048], buf[8192];
    for (int i = 0; i < N; i++)
        for (int f = 0; f < 5; f++) {
            snprintf(path, sizeof path, "%s/%s/c%04d/%s", v1dir[v1hier[f]], base, i, v1files[f]);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                continue;
            ssize_t n = read(fd, buf, sizeof buf - 1);
            close(fd);
            if (n > 0) {
                buf[n] = '\0';
                parse_v1(f, buf, (size_t)n);
            }
        }
}

static void naive_v2(void)
{
    char path[2048], buf[8192];
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/%s/c%04d/cpu.stat", v2dir, base, i);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = '\0';
            parse_v2(buf, (size_t)n);
        }
    }
}

/* ---- libcgroup -------------------------------------------------------- */

#ifdef SCOPE_HAVE_LIBCGROUP
static void lcg_value(const char *ctl, const char *path, const char *file, int f)
{
    void *h = NULL;
    char buf[256];
    if (cgroup_read_value_begin(ctl, path, (char *)file, &h, buf, sizeof buf) == 0)
        parse_v1(f, buf, strlen(buf));
    if (h)
        cgroup_read_value_end(&h);
}

static void lcg_stats(const char *ctl, const char *path, int f)
{
    void *h = NULL;
    struct cgroup_stat st;
    int rc = cgroup_read_stats_begin(ctl, path, &h, &st);
    char line[256];
    while (rc == 0) {
        int n = snprintf(line, sizeof line, "%s %s", st.name, st.value);
        if (f >= 0)
            parse_v1(f, line, (size_t)n);
        else
            parse_v2(line, (size_t)n);
        rc = cgroup_read_stats_next(&h, &st);
    }
    if (h)
        cgroup_read_stats_end(&h);
}

static void lcg_v1(void)
{
    char path[256];
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/c%04d", base, i);
        lcg_value("cpuacct", path, "cpuacct.usage", 0);
        lcg_stats("cpuacct", path, 1);
        lcg_stats("cpu", path, 2);
        lcg_value("memory", path, "memory.usage_in_bytes", 3);
        lcg_stats("memory", path, 4);
    }
}

/* v2 cpu.stat through the "cgroup" pseudo-controller, line by line */
static void lcg_v2(void)
{
    char path[256], buf[256];
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/c%04d", base, i);
        void *h = NULL;
        int rc = cgroup_read_value_begin("cgroup", path, "cpu.stat", &h, buf, sizeof buf);
        while (rc == 0) {
            parse_v2(buf, strlen(buf));
            rc = cgroup_read_value_next(&h, buf, sizeof buf);
        }
        if (h)
            cgroup_read_value_end(&h);
    }
}
#endif

/* ---- setup ------------------------------------------------------------ */

static int mk_all(int create)
{
    char p[2048];
    int fails = 0;
    for (int h = 0; h < 3 + have_v2; h++) {
        const char *d = h < 3 ? v1dir[h] : v2dir;
        snprintf(p, sizeof p, "%s/%s", d, base);
        if (create && mkdir(p, 0755) && errno != EEXIST)
            return -1;
        for (int i = 0; i < N; i++) {
            snprintf(p, sizeof p, "%s/%s/c%04d", d, base, i);
            if (create ? mkdir(p, 0755) && errno != EEXIST : rmdir(p) && errno != ENOENT)
                fails++;
        }
        if (!create) {
            snprintf(p, sizeof p, "%s/%s", d, base);
            if (rmdir(p) && errno != ENOENT)
                fails++;
        }
    }
    return fails;
}

static void cleanup(void)
{
    int f = mk_all(0);
    if (f)
        fprintf(stderr, "bench_cgroup: %d cgroups could not be removed\n", f);
    if (v2root[0]) {
        char p[256];
        snprintf(p, sizeof p, "%s/cg2", v2root);
        unlink(p);
        snprintf(p, sizeof p, "%s/proc/self/mountinfo", v2root);
        unlink(p);
        snprintf(p, sizeof p, "%s/proc/self", v2root);
        rmdir(p);
        snprintf(p, sizeof p, "%s/proc", v2root);
        rmdir(p);
        rmdir(v2root);
    }
}

static void on_sig(int s)
{
    (void)s;
    cleanup();
    _exit(130);
}

static scope_cgroup_mounts *make_v2_view(void)
{
    char p[256];
    snprintf(v2root, sizeof v2root, "/tmp/%s_v2view", base);
    mkdir(v2root, 0700);
    snprintf(p, sizeof p, "%s/proc", v2root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/proc/self", v2root);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/proc/self/mountinfo", v2root);
    FILE *f = fopen(p, "w");
    if (!f)
        return NULL;
    fprintf(f, "40 30 0:37 / /cg2 rw,relatime - cgroup2 cgroup2 rw\n");
    fclose(f);
    snprintf(p, sizeof p, "%s/cg2", v2root);
    if (symlink(v2dir, p))
        return NULL;
    scope_cgroup_mounts *m;
    return scope_cgroup_mounts_new(&m, v2root) ? NULL : m;
}

struct result {
    double cpu[64], wall[64];
    double vals; /* values parsed per cgroup per sample */
};

#define TIME(res, r, stmt)                                                                    \
    do {                                                                                      \
        uint64_t p0 = parsed;                                                                 \
        double c0 = tcpu(), w0 = twall();                                                     \
        stmt;                                                                                 \
        (res).vals = (double)(parsed - p0) / N;                                               \
        (res).cpu[r] = (tcpu() - c0) / N;                                                     \
        (res).wall[r] = (twall() - w0) / N;                                           \
    } while (0)

static void report(const char *set, const char *name, struct result *x, struct result *ref)
{
    double c = median(x->cpu, ROUNDS), w = median(x->wall, ROUNDS);
    double rc = median(ref->cpu, ROUNDS);
    if (x->vals > 0)
        printf("  %-5s %-34s %9.0f ns cpu  %9.0f ns wall   %5.2fx libscope  (%.0f values)\n", set,
               name, c, w, c / rc, x->vals);
    else
        printf("  %-5s %-34s %9.0f ns cpu  %9.0f ns wall   %5.2fx libscope\n", set, name, c, w,
               c / rc);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        N = atoi(argv[1]);
    if (argc > 2)
        ROUNDS = atoi(argv[2]);
    if (N < 1 || N > 9999 || ROUNDS < 1 || ROUNDS > 64) {
        fprintf(stderr, "usage: bench_cgroup [N 1..9999] [rounds 1..64]\n");
        return 2;
    }
    if (geteuid() != 0) {
        fprintf(stderr, "bench_cgroup: needs root (it creates %d cgroups)\n", N);
        return 1;
    }
    scope_cgroup_mounts *m;
    if (scope_cgroup_mounts_new(&m, NULL)) {
        fprintf(stderr, "bench_cgroup: %s\n", scope_error_message());
        return 1;
    }
    for (int h = 0; h < 3; h++) {
        const char *d;
        int v;
        if (scope_cgroup_mounts_find(m, v1ctl[h], &d, &v) || v != 1) {
            fprintf(stderr, "bench_cgroup: needs v1 %s, cpuacct and memory hierarchies (this "
                            "host: %s)\n",
                    v1ctl[h], scope_cgroup_mode_name(scope_cgroup_mounts_mode(m)));
            return 1;
        }
        snprintf(v1dir[h], sizeof v1dir[h], "%s", d);
    }
    const char *d2;
    int v2;
    have_v2 = scope_cgroup_mounts_find(m, "", &d2, &v2) == 0;
    if (have_v2)
        snprintf(v2dir, sizeof v2dir, "%s", d2);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rlim_t need = (rlim_t)N * 6 + 64;
    if (rl.rlim_cur < need) {
        rl.rlim_cur = need < rl.rlim_max ? need : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    snprintf(base, sizeof base, "scopebench_%d", (int)getpid());
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    double t0 = twall();
    if (mk_all(1)) {
        fprintf(stderr, "bench_cgroup: mkdir failed: %s\n", strerror(errno));
        cleanup();
        return 1;
    }
    printf("bench_cgroup: %d cgroups x %d hierarchies created in %.1f s; %d rounds, medians\n", N,
           3 + have_v2, (twall() - t0) * 1e-9, ROUNDS);

    /* libscope: one collector over base/ with depth 1, skipping base itself */
    char parent[128];
    snprintf(parent, sizeof parent, "/%s", base);
    scope_cgroup_opts o = SCOPE_CGROUP_OPTS_INIT;
    o.depth = 1;
    o.skip_self = 1;
    o.groups = SCOPE_CGROUP_CPU | SCOPE_CGROUP_MEMORY;
    scope_collector *c = NULL, *c2 = NULL, *c3 = NULL;
    scope_cgroup_mounts *m2 = NULL;
    t0 = twall();
    if (scope_cgroup_open(&c, m, parent, &o) || scope_collector_start(c)) {
        fprintf(stderr, "bench_cgroup: %s\n", scope_error_message());
        scope_collector_free(c);
        cleanup();
        return 1;
    }
    printf("libscope v1 collector: %zu series, start (open %d x 5 files) %.1f ms\n",
           c->nslots, N, (twall() - t0) * 1e-6);
    {
        scope_cgroup_opts o3 = o;
        o3.reopen = 1;
        t0 = twall();
        if (scope_cgroup_open(&c3, m, parent, &o3) || scope_collector_start(c3)) {
            fprintf(stderr, "bench_cgroup: reopen: %s\n", scope_error_message());
            scope_collector_free(c3);
            c3 = NULL;
        } else {
            printf("libscope v1 collector, reopen mode: start %.1f ms\n", (twall() - t0) * 1e-6);
        }
    }
    if (have_v2 && (m2 = make_v2_view())) {
        scope_cgroup_opts o2 = o;
        o2.groups = SCOPE_CGROUP_CPU;
        if (scope_cgroup_open(&c2, m2, parent, &o2) || scope_collector_start(c2)) {
            fprintf(stderr, "bench_cgroup: v2: %s\n", scope_error_message());
            scope_collector_free(c2);
            c2 = NULL;
        }
    }
#ifdef SCOPE_HAVE_LIBCGROUP
    t0 = twall();
    int lrc = cgroup_init();
    if (lrc)
        fprintf(stderr, "bench_cgroup: cgroup_init: %s\n", cgroup_strerror(lrc));
    else
        printf("libcgroup %s: cgroup_init %.1f ms\n", "2.0", (twall() - t0) * 1e-6);
    int have_lcg = lrc == 0;
#else
    int have_lcg = 0;
    printf("libcgroup: not built in (libcgroup-dev missing at configure time)\n");
#endif
    scope_series_set *set;
    scope_series_set_new(&set);
    struct result rs1, rr1, rn1, rl1, rs2, rr2, rn2, rl2, ro1;
    memset(&rl1, 0, sizeof rl1);
    memset(&rl2, 0, sizeof rl2);
    for (int r = -1; r < ROUNDS; r++) { /* round -1 warms up */
        int k = r < 0 ? 0 : r;
        TIME(rs1, k, scope_collector_sample(c, set));
        TIME(rr1, k, memset(c->present, 0, c->nslots); c->ops->sample(c, scope__wall_ns()));
        TIME(rn1, k, naive_v1());
        if (c3)
            TIME(ro1, k, scope_collector_sample(c3, set));
#ifdef SCOPE_HAVE_LIBCGROUP
        if (have_lcg)
            TIME(rl1, k, lcg_v1());
#endif
        if (c2) {
            TIME(rs2, k, scope_collector_sample(c2, set));
            TIME(rr2, k, memset(c2->present, 0, c2->nslots); c2->ops->sample(c2, scope__wall_ns()));
            TIME(rn2, k, naive_v2());
#ifdef SCOPE_HAVE_LIBCGROUP
            if (have_lcg)
                TIME(rl2, k, lcg_v2());
#endif
        }
    }
    printf("ns per cgroup per sample (ratio: CPU time against libscope end to end)\n");
    report("v1", "libscope scope_collector_sample", &rs1, &rs1);
    report("v1", "libscope read+parse only", &rr1, &rs1);
    if (c3)
        report("v1", "libscope reopen mode (openat)", &ro1, &rs1);
    report("v1", "naive open/read/close", &rn1, &rs1);
    if (have_lcg)
        report("v1", "libcgroup read_value/read_stats", &rl1, &rs1);
    if (c2) {
        report("v2", "libscope scope_collector_sample", &rs2, &rs2);
        report("v2", "libscope read+parse only", &rr2, &rs2);
        report("v2", "naive open/read/close", &rn2, &rs2);
        if (have_lcg)
            report("v2", "libcgroup read_value (\"cgroup\")", &rl2, &rs2);
    }
    double s1 = median(rs1.cpu, ROUNDS), n1 = median(rn1.cpu, ROUNDS);
    printf("ratios (CPU): naive/libscope %.2fx (target >= 2)", n1 / s1);
    if (have_lcg)
        printf(", libcgroup/libscope %.2fx (target >= 3)", median(rl1.cpu, ROUNDS) / s1);
    printf("  [v1, 5 files per cgroup]\n");
    scope_series_set_free(set);
    scope_collector_free(c);
    scope_collector_free(c2);
    scope_collector_free(c3);
    scope_cgroup_mounts_free(m);
    scope_cgroup_mounts_free(m2);
    t0 = twall();
    cleanup();
    printf("removed in %.1f s (sink %llu)\n", (twall() - t0) * 1e-9, (unsigned long long)sink);
    return 0;
}
