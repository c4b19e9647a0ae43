/* The cgroup collector: cAdvisor's per-container numbers from kept-open
 * cgroup files, re-read with pread at offset 0 on every sample. */
#include "cgroup_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files kept open per cgroup. */
enum {
    F_CPUACCT_USAGE, F_CPUACCT_STAT, F_CPU_STAT_V1, F_CPU_STAT_V2,
    F_MEM_USAGE, F_MEM_STAT, F_IO_BYTES, F_IO_OPS, F_IO_STAT,
    F_PIDS_CUR, F_PIDS_MAX, F_PSI_CPU, F_PSI_MEM, F_PSI_IO, F_NETDEV, F_COUNT
};

enum {
    M_USAGE, M_USER, M_SYS, M_PERIODS, M_THR_PERIODS, M_THR_SECS,
    M_MEM_USAGE, M_MEM_WS, M_MEM_RSS, M_MEM_CACHE,
    M_FS_RB, M_FS_WB, M_FS_RIO, M_FS_WIO,
    M_NET_RB, M_NET_RP, M_NET_TB, M_NET_TP,
    M_THREADS, M_THREADS_MAX,
    M_PSI, /* 3 resources x (waiting total, stalled total, waiting avg10, stalled avg10) */
    M_COUNT = M_PSI + 12
};

/* Per-cgroup slots: one per metric except network (per interface) and the
 * per-device I/O series. */
enum { S_COUNT = M_COUNT };

#define MAX_DEV 16
#define FD_LAZY (-2)
#define MAX_IF 16

#define MAX_MOUNTS 16

struct cg {
    char *path;
    char container[72], pod[40];
    int fd[F_COUNT];     /* -1: none; FD_LAZY: reopened on each sample */
    const char *fname[F_COUNT];
    signed char fmount[F_COUNT]; /* mount index of each file's hierarchy */
    const char *fctl[F_COUNT];   /* and its controller (NULL: cgroup2) */
    int dirfd[MAX_MOUNTS];       /* lazy mode: the cgroup's directory per mount */
    int nfds;                    /* descriptors this cgroup holds */
    int slot[S_COUNT];   /* -1: no such series */
    int mem_v2, io_v2, usage_v2, user_v2, thr_v2;
    size_t ndev;
    long dev_maj[MAX_DEV], dev_min[MAX_DEV];
    int dev_slot[MAX_DEV][4];
    size_t nif;
    char ifname[MAX_IF][32];
    int if_slot[MAX_IF][4];
    int gone;
};

/* Controllers whose hierarchy may place the watched process elsewhere. */
static const char *const hctl[] = {"cpuacct", "cpu", "memory", "blkio", "io", "pids", ""};
#define NHCTL (sizeof hctl / sizeof *hctl)

struct cgc {
    scope_cgroup_opts opts;
    char *base[NHCTL];           /* pid:<n> targets: the path in each hierarchy, or NULL */
    scope_cgroup_mounts *mounts; /* private copy */
    char *path;                  /* resolved root of the watch */
    int pid;                     /* pid:<n> targets: that process, for its network */
    int metric[M_COUNT];
    struct cg **cgs;
    size_t ncg, cap;
    char *buf;
    size_t bufcap;
    double tick_s;
    long nfds; /* descriptors held by all cgroups */
};

SCOPE_API const char *scope_cgroup_group_name(int group)
{
    switch (group) {
    case SCOPE_CGROUP_CPU: return "cpu";
    case SCOPE_CGROUP_MEMORY: return "memory";
    case SCOPE_CGROUP_IO: return "io";
    case SCOPE_CGROUP_NETWORK: return "network";
    case SCOPE_CGROUP_PIDS: return "pids";
    case SCOPE_CGROUP_PSI: return "psi";
    default: return "unknown";
    }
}

SCOPE_API int scope_cgroup_opts_init(scope_cgroup_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_cgroup_opts");
}

static void close_cg(struct cg *g)
{
    for (int f = 0; f < F_COUNT; f++) {
        if (g->fd[f] >= 0)
            close(g->fd[f]);
        g->fd[f] = -1;
    }
    for (int k = 0; k < MAX_MOUNTS; k++) {
        if (g->dirfd[k] >= 0)
            close(g->dirfd[k]);
        g->dirfd[k] = -1;
    }
    g->nfds = 0;
}

static void free_cg(struct cg *g)
{
    if (!g)
        return;
    close_cg(g);
    free(g->path);
    free(g);
}

/* Opens <dir of controller>/<path>/<file>. Returns the fd, -1 when the
 * file is not there (or the controller is not mounted), or a negative
 * SCOPE code below -1 for a hard error (fd limit). */
/* The path of watched cgroup @path in the hierarchy of @ctl: the same
 * relative path, except for pid:<n> targets whose process sits elsewhere in
 * that hierarchy (v1 and hybrid hosts). */
static const char *hier_path(const struct cgc *cc, const char *ctl, const char *path, char *buf,
                             size_t cap)
{
    const char *c = ctl ? ctl : "";
    for (size_t i = 0; i < NHCTL; i++) {
        if (!cc->base[i] || strcmp(hctl[i], c) != 0)
            continue;
        size_t rl = strlen(cc->path);
        const char *rest = strcmp(cc->path, "/") == 0 ? path : path + rl;
        if (strcmp(cc->path, "/") != 0 &&
            (strncmp(path, cc->path, rl) != 0 || (path[rl] != '/' && path[rl] != '\0')))
            return path;
        if (strcmp(rest, "/") == 0)
            rest = "";
        if ((size_t)snprintf(buf, cap, "%s%s", strcmp(cc->base[i], "/") ? cc->base[i] : "",
                             rest) >= cap)
            return path;
        if (!buf[0])
            snprintf(buf, cap, "/");
        return buf;
    }
    return path;
}

static int open_file(struct cgc *cc, const char *ctl, const char *path, const char *file,
                     int *midx)
{
    char dir[4096], full[4400], hp[4096];
    path = hier_path(cc, ctl, path, hp, sizeof hp);
    if (scope__cg_dir(dir, sizeof dir, cc->mounts, ctl, path))
        return -1;
    if (midx) {
        const char *mdir;
        *midx = -1;
        if (scope_cgroup_mounts_find(cc->mounts, ctl, &mdir, NULL) == 0)
            for (size_t i = 0; i < cc->mounts->n && i < MAX_MOUNTS; i++)
                if (cc->mounts->m[i].dir == mdir)
                    *midx = (int)i;
    }
    snprintf(full, sizeof full, "%s/%s", dir, file);
    int fd = open(full, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        return fd;
    if (errno == EMFILE || errno == ENFILE)
        return scope__error_sys(SCOPE_ELIMIT, errno,
                                "open %s: out of file descriptors (the cgroup collector keeps "
                                "up to 15 per cgroup); raise RLIMIT_NOFILE (ulimit -n), set "
                                "scope_cgroup_opts.max_fds or .reopen, or narrow .groups",
                                full);
    return -1;
}

/* Lazy mode: the cgroup's directory in mount @k, opened once (O_PATH). */
static int open_dir(struct cgc *cc, struct cg *g, int k, const char *ctl)
{
    if (g->dirfd[k] >= 0)
        return 0;
    char dir[4096], hp[4096];
    const char *path = hier_path(cc, ctl, g->path, hp, sizeof hp);
    if (scope__cg_dir(dir, sizeof dir, cc->mounts, ctl, path))
        return -1;
    g->dirfd[k] = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (g->dirfd[k] < 0 && (errno == EMFILE || errno == ENFILE))
        return scope__error_sys(SCOPE_ELIMIT, errno,
                                "open %s: out of file descriptors; raise RLIMIT_NOFILE", dir);
    return g->dirfd[k] >= 0 ? 0 : -1;
}

static int ctl_version(struct cgc *cc, const char *ctl)
{
    int v = 0;
    const char *d;
    if (scope_cgroup_mounts_find(cc->mounts, ctl, &d, &v))
        return 0;
    return v;
}

/* Adds one series for cgroup @g; extra label @k=@v when k != NULL. */
static int add_slot(scope_collector *c, struct cgc *cc, struct cg *g, int metric, const char *k,
                    const char *v)
{
    const char *keys[4], *vals[4];
    size_t n = 0;
    keys[n] = "cgroup";
    vals[n++] = g->path;
    if (g->container[0]) {
        keys[n] = "container";
        vals[n++] = g->container;
    }
    if (g->pod[0]) {
        keys[n] = "pod";
        vals[n++] = g->pod;
    }
    if (k) {
        keys[n] = k;
        vals[n++] = v;
    }
    return scope__collector_add_slot(c, (size_t)cc->metric[metric], keys, vals, n);
}

struct if_ctx {
    struct cg *g;
};

static void if_cb(const char *name, void *ud)
{
    struct cg *g = ((struct if_ctx *)ud)->g;
    for (size_t i = 0; i < g->nif; i++)
        if (strcmp(g->ifname[i], name) == 0)
            return;
    if (g->nif < MAX_IF && strlen(name) < sizeof g->ifname[0])
        snprintf(g->ifname[g->nif++], sizeof g->ifname[0], "%s", name);
}

/* The first pid listed in the cgroup's procs file (primary hierarchy). */
static int first_pid(struct cgc *cc, const char *path)
{
    const char *pctl;
    if (scope__cg_primary(cc->mounts, NULL, NULL, &pctl))
        return -1;
    int fd = open_file(cc, *pctl ? pctl : NULL, path, "cgroup.procs", NULL);
    if (fd < 0)
        return -1;
    char b[64];
    ssize_t n = scope__pread_text(fd, b, sizeof b);
    close(fd);
    if (n <= 0)
        return -1;
    return atoi(b);
}

static int has_key(const char *buf, size_t n, const char *key)
{
    uint64_t v;
    return scope__kv_u64(buf, n, key, &v) == 0;
}

static ssize_t rd(struct cgc *cc, struct cg *g, int f);

/* Registers per-device I/O series for devices that appeared in the
 * cgroup's I/O file since the last call; returns how many were added. */
static int add_devices(scope_collector *c, struct cgc *cc, struct cg *g)
{
    if (g->gone)
        return 0;
    ssize_t n = rd(cc, g, g->io_v2 ? F_IO_STAT : F_IO_BYTES);
    if (n <= 0)
        return 0;
    long maj[MAX_DEV], min[MAX_DEV];
    size_t nd = scope__cg_list_devices(cc->buf, (size_t)n, maj, min, MAX_DEV);
    int added = 0;
    for (size_t i = 0; i < nd && g->ndev < MAX_DEV; i++) {
        size_t d = 0;
        while (d < g->ndev && !(g->dev_maj[d] == maj[i] && g->dev_min[d] == min[i]))
            d++;
        if (d < g->ndev)
            continue;
        char dev[48];
        snprintf(dev, sizeof dev, "%ld:%ld", maj[i], min[i]);
        for (int k = 0; k < 4; k++) {
            int s = add_slot(c, cc, g, M_FS_RB + k, "device", dev);
            if (s < 0)
                return s;
            g->dev_slot[d][k] = s;
        }
        g->dev_maj[d] = maj[i];
        g->dev_min[d] = min[i];
        g->ndev++;
        added++;
    }
    return added;
}

/* Network of a process in the cgroup: opens /proc/<pid>/net/dev once a
 * process is there (containers get their cgroup before their first task),
 * and registers series for interfaces not seen before (lo skipped). Called
 * at open and on rescan; returns how many interfaces were added. */
static int add_network(scope_collector *c, struct cgc *cc, struct cg *g)
{
    if (g->gone)
        return 0;
    if (g->fd[F_NETDEV] < 0) {
        int pid = cc->pid > 0 && strcmp(g->path, cc->path) == 0 ? cc->pid : first_pid(cc, g->path);
        if (pid <= 0)
            return 0;
        char np[4200];
        snprintf(np, sizeof np, "%s/proc/%d/net/dev", cc->mounts->prefix, pid);
        int fd = open(np, O_RDONLY | O_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE))
            return scope__error_sys(SCOPE_ELIMIT, errno,
                                    "open %s: out of file descriptors; raise RLIMIT_NOFILE", np);
        if (fd < 0)
            return 0;
        g->fd[F_NETDEV] = fd;
        g->nfds++;
        cc->nfds++;
    }
    ssize_t n = scope__pread_text(g->fd[F_NETDEV], cc->buf, cc->bufcap);
    if (n <= 0)
        return 0;
    size_t had = g->nif;
    struct if_ctx ctx = {g};
    scope__cg_netdev_each(cc->buf, (size_t)n, if_cb, &ctx);
    for (size_t i = had; i < g->nif; i++)
        for (int k = 0; k < 4; k++) {
            int s = add_slot(c, cc, g, M_NET_RB + k, "interface", g->ifname[i]);
            if (s < 0) {
                g->nif = i; /* keep the table consistent with the slots */
                return s;
            }
            g->if_slot[i][k] = s;
        }
    return (int)(g->nif - had);
}

/* Opens the files of one cgroup and registers its series. Returns 0,
 * SCOPE_EGONE when the cgroup has no directory in the primary hierarchy,
 * or an error. */
static int open_cg(scope_collector *c, struct cgc *cc, const char *path, struct cg **out)
{
    *out = NULL;
    struct cg *g = calloc(1, sizeof *g);
    if (!g)
        return scope__enomem("a cgroup");
    for (int f = 0; f < F_COUNT; f++) {
        g->fd[f] = -1;
        g->fmount[f] = -1;
    }
    for (int k = 0; k < MAX_MOUNTS; k++)
        g->dirfd[k] = -1;
    for (int s = 0; s < S_COUNT; s++)
        g->slot[s] = -1;
    g->path = scope__strdup(path);
    if (!g->path) {
        free(g);
        return scope__enomem("a cgroup path");
    }
    if (scope_cgroup_container_id(g->container, sizeof g->container, path))
        g->container[0] = '\0';
    if (scope_cgroup_pod_uid(g->pod, sizeof g->pod, path))
        g->pod[0] = '\0';
    /* The cgroup must exist in at least one hierarchy the collector reads
     * (a path given under the memory mount may be absent from cpuacct). */
    {
        int found = 0;
        for (size_t i = 0; i < NHCTL && !found; i++) {
            char dir[4096], hp[4096];
            struct stat st;
            const char *hpath = hier_path(cc, hctl[i], path, hp, sizeof hp);
            found = scope__cg_dir(dir, sizeof dir, cc->mounts, *hctl[i] ? hctl[i] : NULL,
                                  hpath) == 0 &&
                    stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
        }
        if (!found) {
            free_cg(g);
            return scope__error(SCOPE_EGONE, ENOENT, "cgroup %s does not exist (or was removed)",
                                path);
        }
    }
    int groups = cc->opts.groups ? cc->opts.groups : 0x3f;
    char *b = cc->buf;
    size_t cap = cc->bufcap;
    int rc = 0;
#define OPEN(F, CTL, NAME)                                                                    \
    do {                                                                                      \
        int mi_;                                                                              \
        int fd_ = open_file(cc, CTL, path, NAME, &mi_);                                       \
        if (fd_ < -1) {                                                                       \
            rc = fd_;                                                                         \
            goto fail;                                                                        \
        }                                                                                     \
        g->fd[F] = fd_;                                                                       \
        g->fname[F] = NAME;                                                                   \
        g->fmount[F] = (signed char)mi_;                                                      \
        g->fctl[F] = CTL;                                                                     \
    } while (0)
#define SLOT(S, ...)                                                                          \
    do {                                                                                      \
        int s_ = add_slot(c, cc, g, S, __VA_ARGS__);                                          \
        if (s_ < 0) {                                                                         \
            rc = s_;                                                                          \
            goto fail;                                                                        \
        }                                                                                     \
        g->slot[S] = s_;                                                                      \
    } while (0)

    if (groups & SCOPE_CGROUP_CPU) {
        if (ctl_version(cc, "cpuacct") == 1) {
            OPEN(F_CPUACCT_USAGE, "cpuacct", "cpuacct.usage");
            OPEN(F_CPUACCT_STAT, "cpuacct", "cpuacct.stat");
        }
        int v2usage = g->fd[F_CPUACCT_USAGE] < 0, v2user = g->fd[F_CPUACCT_STAT] < 0;
        int cpu_v = ctl_version(cc, "cpu");
        if (cpu_v == 1)
            OPEN(F_CPU_STAT_V1, "cpu", "cpu.stat");
        if (v2usage || v2user || cpu_v == 2)
            OPEN(F_CPU_STAT_V2, NULL, "cpu.stat");
        ssize_t n;
        if (g->fd[F_CPUACCT_USAGE] >= 0 && scope__pread_text(g->fd[F_CPUACCT_USAGE], b, cap) > 0)
            SLOT(M_USAGE, NULL, NULL);
        if (g->fd[F_CPUACCT_STAT] >= 0 && (n = scope__pread_text(g->fd[F_CPUACCT_STAT], b, cap)) > 0 &&
            has_key(b, (size_t)n, "user")) {
            SLOT(M_USER, NULL, NULL);
            SLOT(M_SYS, NULL, NULL);
        }
        if (g->fd[F_CPU_STAT_V2] >= 0 && (n = scope__pread_text(g->fd[F_CPU_STAT_V2], b, cap)) > 0) {
            if (v2usage && has_key(b, (size_t)n, "usage_usec")) {
                g->usage_v2 = 1;
                SLOT(M_USAGE, NULL, NULL);
            }
            if (v2user && has_key(b, (size_t)n, "user_usec")) {
                g->user_v2 = 1;
                SLOT(M_USER, NULL, NULL);
                SLOT(M_SYS, NULL, NULL);
            }
            if (cpu_v == 2 && has_key(b, (size_t)n, "nr_periods")) {
                g->thr_v2 = 1;
                SLOT(M_PERIODS, NULL, NULL);
                SLOT(M_THR_PERIODS, NULL, NULL);
                SLOT(M_THR_SECS, NULL, NULL);
            }
        }
        if (g->fd[F_CPU_STAT_V1] >= 0 && (n = scope__pread_text(g->fd[F_CPU_STAT_V1], b, cap)) > 0 &&
            has_key(b, (size_t)n, "nr_periods")) {
            SLOT(M_PERIODS, NULL, NULL);
            SLOT(M_THR_PERIODS, NULL, NULL);
            SLOT(M_THR_SECS, NULL, NULL);
        }
    }
    if (groups & SCOPE_CGROUP_MEMORY) {
        int v = ctl_version(cc, "memory");
        g->mem_v2 = v == 2;
        if (v) {
            OPEN(F_MEM_USAGE, "memory", v == 1 ? "memory.usage_in_bytes" : "memory.current");
            OPEN(F_MEM_STAT, "memory", "memory.stat");
        }
        ssize_t n;
        if (g->fd[F_MEM_USAGE] >= 0 && scope__pread_text(g->fd[F_MEM_USAGE], b, cap) > 0) {
            SLOT(M_MEM_USAGE, NULL, NULL);
            if (g->fd[F_MEM_STAT] >= 0 && (n = scope__pread_text(g->fd[F_MEM_STAT], b, cap)) > 0) {
                const char *inact = v == 1 ? "total_inactive_file" : "inactive_file";
                if (has_key(b, (size_t)n, inact))
                    SLOT(M_MEM_WS, NULL, NULL);
                if (has_key(b, (size_t)n, v == 1 ? "total_rss" : "anon"))
                    SLOT(M_MEM_RSS, NULL, NULL);
                if (has_key(b, (size_t)n, v == 1 ? "total_cache" : "file"))
                    SLOT(M_MEM_CACHE, NULL, NULL);
            }
        }
    }
    if (groups & SCOPE_CGROUP_IO) {
        int ok = 0;
        if (ctl_version(cc, "blkio") == 1) {
            OPEN(F_IO_BYTES, "blkio", "blkio.throttle.io_service_bytes_recursive");
            OPEN(F_IO_OPS, "blkio", "blkio.throttle.io_serviced_recursive");
            ok = g->fd[F_IO_BYTES] >= 0 && g->fd[F_IO_OPS] >= 0;
        } else if (ctl_version(cc, "io") == 2) {
            OPEN(F_IO_STAT, "io", "io.stat");
            g->io_v2 = 1;
            ok = g->fd[F_IO_STAT] >= 0;
        }
        if (ok) {
            SLOT(M_FS_RB, NULL, NULL);
            SLOT(M_FS_WB, NULL, NULL);
            SLOT(M_FS_RIO, NULL, NULL);
            SLOT(M_FS_WIO, NULL, NULL);
            if (cc->opts.per_device && (rc = add_devices(c, cc, g)) < 0)
                goto fail;
            rc = 0;
        }
    }
    if (groups & SCOPE_CGROUP_PIDS && ctl_version(cc, "pids")) {
        OPEN(F_PIDS_CUR, "pids", "pids.current");
        OPEN(F_PIDS_MAX, "pids", "pids.max");
        if (g->fd[F_PIDS_CUR] >= 0)
            SLOT(M_THREADS, NULL, NULL);
        uint64_t mx;
        const char *p = b;
        ssize_t n;
        if (g->fd[F_PIDS_MAX] >= 0 && (n = scope__pread_text(g->fd[F_PIDS_MAX], b, cap)) > 0 &&
            scope__parse_u64(&p, b + n, &mx) == 0)
            SLOT(M_THREADS_MAX, NULL, NULL);
    }
    if (groups & SCOPE_CGROUP_PSI && ctl_version(cc, NULL) == 2) {
        static const char *const files[3] = {"cpu.pressure", "memory.pressure", "io.pressure"};
        for (int r = 0; r < 3; r++) {
            OPEN(F_PSI_CPU + r, NULL, files[r]);
            struct scope__cg_psi psi;
            ssize_t n;
            if (g->fd[F_PSI_CPU + r] < 0 || (n = scope__pread_text(g->fd[F_PSI_CPU + r], b, cap)) <= 0 ||
                scope__cg_parse_psi(b, (size_t)n, &psi))
                continue; /* PSI off (psi=0) reads EOPNOTSUPP */
            if (psi.has_some) {
                SLOT(M_PSI + r * 4 + 0, NULL, NULL);
                SLOT(M_PSI + r * 4 + 2, NULL, NULL);
            }
            if (psi.has_full) {
                SLOT(M_PSI + r * 4 + 1, NULL, NULL);
                SLOT(M_PSI + r * 4 + 3, NULL, NULL);
            }
        }
    }
    if (groups & SCOPE_CGROUP_NETWORK && (rc = add_network(c, cc, g)) < 0)
        goto fail;
    rc = 0;
#undef OPEN
#undef SLOT
    int held = 0; /* the network descriptor is counted already */
    for (int f = 0; f < F_COUNT; f++)
        held += g->fd[f] >= 0;
    /* Reopen mode: always, or when keeping these files would go past the
     * descriptor budget: keep the directories, open files per sample. */
    if (cc->opts.reopen || (cc->opts.max_fds > 0 && cc->nfds + held - g->nfds > cc->opts.max_fds))
        for (int f = 0; f < F_COUNT; f++) {
            if (f == F_NETDEV || g->fd[f] < 0 || g->fmount[f] < 0)
                continue;
            int r = open_dir(cc, g, g->fmount[f], g->fctl[f]);
            if (r < -1) {
                rc = r;
                goto fail;
            }
            if (r == 0) {
                close(g->fd[f]);
                g->fd[f] = FD_LAZY;
            }
        }
    held = 0;
    for (int f = 0; f < F_COUNT; f++)
        held += g->fd[f] >= 0;
    for (int k = 0; k < MAX_MOUNTS; k++)
        held += g->dirfd[k] >= 0;
    cc->nfds += held - g->nfds;
    g->nfds = held;
    *out = g;
    return 0;
fail:
    cc->nfds -= g->nfds;
    free_cg(g);
    return rc;
}

static int watched(const struct cgc *cc, const char *path)
{
    for (size_t i = 0; i < cc->ncg; i++)
        if (strcmp(cc->cgs[i]->path, path) == 0)
            return 1;
    return 0;
}

static int add_cg(scope_collector *c, struct cgc *cc, const char *path, int must_exist)
{
    if (watched(cc, path))
        return 0;
    if (scope__grow((void **)&cc->cgs, &cc->cap, cc->ncg + 1, sizeof *cc->cgs))
        return scope__enomem("the cgroup list");
    struct cg *g;
    int rc = open_cg(c, cc, path, &g);
    if (rc == SCOPE_EGONE && !must_exist)
        return 0; /* removed between readdir and open */
    if (rc)
        return rc;
    cc->cgs[cc->ncg++] = g;
    return 1;
}

/* Adds descendants of @rel (hierarchy-relative, directory @dir) up to
 * @depth levels; returns how many were added. */
static int scan(scope_collector *c, struct cgc *cc, const char *dir, const char *rel, int depth)
{
    if (depth <= 0)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int added = 0, rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN))
            continue;
        char sub[4096], srel[4096];
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name) >= sizeof sub ||
            (size_t)snprintf(srel, sizeof srel, "%s/%s", strcmp(rel, "/") ? rel : "",
                             e->d_name) >= sizeof srel)
            continue;
        struct stat st;
        if (e->d_type == DT_UNKNOWN && (stat(sub, &st) || !S_ISDIR(st.st_mode)))
            continue;
        rc = add_cg(c, cc, srel, 0);
        if (rc < 0)
            break;
        added += rc;
        rc = scan(c, cc, sub, srel, depth - 1);
        if (rc < 0)
            break;
        added += rc;
        rc = 0;
    }
    closedir(d);
    return rc < 0 ? rc : added;
}

static int scan_root(scope_collector *c, struct cgc *cc)
{
    const char *pctl;
    char dir[4096];
    int rc = scope__cg_primary(cc->mounts, NULL, NULL, &pctl);
    if (rc)
        return rc;
    if (scope__cg_dir(dir, sizeof dir, cc->mounts, *pctl ? pctl : NULL, cc->path))
        return 0;
    return scan(c, cc, dir, cc->path, cc->opts.depth);
}

static int cgc_start(scope_collector *c)
{
    struct cgc *cc = c->impl;
    cc->ncg = 0;
    if (!(cc->opts.depth > 0 && cc->opts.skip_self)) {
        int rc = add_cg(c, cc, cc->path, 1);
        if (rc < 0)
            return rc;
    }
    int rc = scan_root(c, cc);
    return rc < 0 ? rc : 0;
}

static int cgc_rescan(scope_collector *c)
{
    struct cgc *cc = c->impl;
    int added = 0;
    int groups = cc->opts.groups ? cc->opts.groups : 0x3f;
    for (size_t i = 0; i < cc->ncg; i++) {
        int rc = cc->opts.per_device ? add_devices(c, cc, cc->cgs[i]) : 0;
        if (rc >= 0 && groups & SCOPE_CGROUP_NETWORK) {
            int r2 = add_network(c, cc, cc->cgs[i]);
            rc = r2 < 0 ? r2 : rc + r2;
        }
        if (rc < 0)
            return rc;
        added += rc;
    }
    if (cc->opts.depth <= 0)
        return added;
    int rc = scan_root(c, cc);
    return rc < 0 ? rc : added + rc;
}

static void end_cg(scope_collector *c, struct cg *g, int64_t wall_ns)
{
    g->gone = 1;
    ((struct cgc *)c->impl)->nfds -= g->nfds;
    for (int s = 0; s < S_COUNT; s++)
        if (g->slot[s] >= 0)
            scope__collector_end_slot(c, (size_t)g->slot[s], wall_ns);
    for (size_t d = 0; d < g->ndev; d++)
        for (int k = 0; k < 4; k++)
            scope__collector_end_slot(c, (size_t)g->dev_slot[d][k], wall_ns);
    for (size_t i = 0; i < g->nif; i++)
        for (int k = 0; k < 4; k++)
            scope__collector_end_slot(c, (size_t)g->if_slot[i][k], wall_ns);
    close_cg(g);
}

static inline void put(scope_collector *c, const struct cg *g, int s, double v)
{
    if (g->slot[s] >= 0)
        scope__collector_put(c, (size_t)g->slot[s], v);
}

/* Reads one file; returns its length, 0 when it could not be read (value
 * skipped), -1 when the cgroup is gone. */
static ssize_t rd(struct cgc *cc, struct cg *g, int f)
{
    int fd = g->fd[f];
    if (fd == FD_LAZY) {
        fd = openat(g->dirfd[(int)g->fmount[f]], g->fname[f], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return errno == ENOENT || errno == ENODEV ? -1 : 0;
        ssize_t n = scope__pread_text(fd, cc->buf, cc->bufcap);
        int e = errno;
        close(fd);
        if (n < 0)
            return e == ENODEV || e == ENOENT ? -1 : 0;
        return n;
    }
    if (fd < 0)
        return 0;
    ssize_t n = scope__pread_text(fd, cc->buf, cc->bufcap);
    if (n < 0)
        return (errno == ENODEV || errno == ENOENT) && f != F_NETDEV ? -1 : 0;
    return n;
}

static int sample_cg(scope_collector *c, struct cgc *cc, struct cg *g)
{
    char *b = cc->buf;
    ssize_t n;
    uint64_t v, w;
    const char *p;
#define READ(F)                                                                               \
    do {                                                                                      \
        n = rd(cc, g, F);                                                                     \
        if (n < 0)                                                                            \
            return -1;                                                                        \
    } while (0)
    READ(F_CPUACCT_USAGE);
    p = b;
    if (n > 0 && scope__parse_u64(&p, b + n, &v) == 0)
        put(c, g, M_USAGE, (double)v * 1e-9);
    READ(F_CPUACCT_STAT);
    if (n > 0 && scope__kv_u64(b, (size_t)n, "user", &v) == 0 &&
        scope__kv_u64(b, (size_t)n, "system", &w) == 0) {
        put(c, g, M_USER, (double)v * cc->tick_s);
        put(c, g, M_SYS, (double)w * cc->tick_s);
    }
    READ(F_CPU_STAT_V1);
    if (n > 0 && scope__kv_u64(b, (size_t)n, "nr_periods", &v) == 0) {
        put(c, g, M_PERIODS, (double)v);
        if (scope__kv_u64(b, (size_t)n, "nr_throttled", &v) == 0)
            put(c, g, M_THR_PERIODS, (double)v);
        if (scope__kv_u64(b, (size_t)n, "throttled_time", &v) == 0)
            put(c, g, M_THR_SECS, (double)v * 1e-9);
    }
    READ(F_CPU_STAT_V2);
    if (n > 0) {
        if (g->usage_v2 && scope__kv_u64(b, (size_t)n, "usage_usec", &v) == 0)
            put(c, g, M_USAGE, (double)v * 1e-6);
        if (g->user_v2 && scope__kv_u64(b, (size_t)n, "user_usec", &v) == 0 &&
            scope__kv_u64(b, (size_t)n, "system_usec", &w) == 0) {
            put(c, g, M_USER, (double)v * 1e-6);
            put(c, g, M_SYS, (double)w * 1e-6);
        }
        if (g->thr_v2 && scope__kv_u64(b, (size_t)n, "nr_periods", &v) == 0) {
            put(c, g, M_PERIODS, (double)v);
            if (scope__kv_u64(b, (size_t)n, "nr_throttled", &v) == 0)
                put(c, g, M_THR_PERIODS, (double)v);
            if (scope__kv_u64(b, (size_t)n, "throttled_usec", &v) == 0)
                put(c, g, M_THR_SECS, (double)v * 1e-6);
        }
    }
    READ(F_MEM_USAGE);
    uint64_t usage = 0;
    int have_usage = 0;
    p = b;
    if (n > 0 && scope__parse_u64(&p, b + n, &usage) == 0) {
        have_usage = 1;
        put(c, g, M_MEM_USAGE, (double)usage);
    }
    READ(F_MEM_STAT);
    if (n > 0 && have_usage) {
        if (scope__kv_u64(b, (size_t)n, g->mem_v2 ? "inactive_file" : "total_inactive_file",
                          &v) == 0)
            put(c, g, M_MEM_WS, v < usage ? (double)(usage - v) : 0.0);
        if (scope__kv_u64(b, (size_t)n, g->mem_v2 ? "anon" : "total_rss", &v) == 0)
            put(c, g, M_MEM_RSS, (double)v);
        if (scope__kv_u64(b, (size_t)n, g->mem_v2 ? "file" : "total_cache", &v) == 0)
            put(c, g, M_MEM_CACHE, (double)v);
    }
    if (g->slot[M_FS_RB] >= 0) {
        if (g->io_v2) {
            READ(F_IO_STAT);
            uint64_t io[4];
            if (n >= 0) {
                scope__cg_parse_io_stat(b, (size_t)n, -1, -1, io);
                for (int k = 0; k < 4; k++)
                    put(c, g, M_FS_RB + k, (double)io[k]);
                for (size_t d = 0; d < g->ndev; d++) {
                    scope__cg_parse_io_stat(b, (size_t)n, g->dev_maj[d], g->dev_min[d], io);
                    for (int k = 0; k < 4; k++)
                        scope__collector_put(c, (size_t)g->dev_slot[d][k], (double)io[k]);
                }
            }
        } else {
            uint64_t by[2], ops[2];
            READ(F_IO_BYTES);
            if (n > 0) {
                scope__cg_parse_blkio(b, (size_t)n, -1, -1, by);
                put(c, g, M_FS_RB, (double)by[0]);
                put(c, g, M_FS_WB, (double)by[1]);
                for (size_t d = 0; d < g->ndev; d++) {
                    scope__cg_parse_blkio(b, (size_t)n, g->dev_maj[d], g->dev_min[d], by);
                    scope__collector_put(c, (size_t)g->dev_slot[d][0], (double)by[0]);
                    scope__collector_put(c, (size_t)g->dev_slot[d][1], (double)by[1]);
                }
            }
            READ(F_IO_OPS);
            if (n > 0) {
                scope__cg_parse_blkio(b, (size_t)n, -1, -1, ops);
                put(c, g, M_FS_RIO, (double)ops[0]);
                put(c, g, M_FS_WIO, (double)ops[1]);
                for (size_t d = 0; d < g->ndev; d++) {
                    scope__cg_parse_blkio(b, (size_t)n, g->dev_maj[d], g->dev_min[d], ops);
                    scope__collector_put(c, (size_t)g->dev_slot[d][2], (double)ops[0]);
                    scope__collector_put(c, (size_t)g->dev_slot[d][3], (double)ops[1]);
                }
            }
        }
    }
    READ(F_PIDS_CUR);
    p = b;
    if (n > 0 && scope__parse_u64(&p, b + n, &v) == 0)
        put(c, g, M_THREADS, (double)v);
    if (g->slot[M_THREADS_MAX] >= 0) {
        READ(F_PIDS_MAX);
        p = b;
        if (n > 0 && scope__parse_u64(&p, b + n, &v) == 0)
            put(c, g, M_THREADS_MAX, (double)v);
    }
    for (int r = 0; r < 3; r++) {
        if (g->slot[M_PSI + r * 4] < 0 && g->slot[M_PSI + r * 4 + 1] < 0)
            continue;
        READ(F_PSI_CPU + r);
        struct scope__cg_psi psi;
        if (n > 0 && scope__cg_parse_psi(b, (size_t)n, &psi) == 0) {
            if (psi.has_some) {
                put(c, g, M_PSI + r * 4 + 0, (double)psi.some_total * 1e-6);
                put(c, g, M_PSI + r * 4 + 2, psi.some_avg10 / 100.0);
            }
            if (psi.has_full) {
                put(c, g, M_PSI + r * 4 + 1, (double)psi.full_total * 1e-6);
                put(c, g, M_PSI + r * 4 + 3, psi.full_avg10 / 100.0);
            }
        }
    }
    if (g->nif) {
        READ(F_NETDEV);
        for (size_t i = 0; n > 0 && i < g->nif; i++) {
            uint64_t nd[4];
            if (scope__cg_parse_netdev(b, (size_t)n, g->ifname[i], nd) == 0)
                for (int k = 0; k < 4; k++)
                    scope__collector_put(c, (size_t)g->if_slot[i][k], (double)nd[k]);
        }
    }
#undef READ
    return 0;
}

static int cgc_sample(scope_collector *c, int64_t wall_ns)
{
    struct cgc *cc = c->impl;
    size_t alive = 0;
    for (size_t i = 0; i < cc->ncg; i++) {
        struct cg *g = cc->cgs[i];
        if (g->gone)
            continue;
        if (sample_cg(c, cc, g) < 0) {
            /* Values put before the failing read are dropped with the rest:
             * a cgroup's last point is all or nothing. */
            for (int s = 0; s < S_COUNT; s++)
                if (g->slot[s] >= 0)
                    c->present[g->slot[s]] = 0;
            end_cg(c, g, wall_ns);
            continue;
        }
        alive++;
    }
    if (cc->ncg && !alive)
        return scope__error(SCOPE_EGONE, ENODEV, "every watched cgroup under %s was removed",
                            cc->path);
    return 0;
}

static void cgc_stop(scope_collector *c)
{
    struct cgc *cc = c->impl;
    for (size_t i = 0; i < cc->ncg; i++)
        free_cg(cc->cgs[i]);
    cc->ncg = 0;
    cc->nfds = 0;
}

static void cgc_destroy(scope_collector *c)
{
    struct cgc *cc = c->impl;
    cgc_stop(c);
    free(cc->cgs);
    free(cc->buf);
    free(cc->path);
    for (size_t i = 0; i < NHCTL; i++)
        free(cc->base[i]);
    scope_cgroup_mounts_free(cc->mounts);
    free(cc);
}

static const struct scope__collector_ops cgc_ops = {
    .type = "cgroup",
    .start = cgc_start,
    .sample = cgc_sample,
    .rescan = cgc_rescan,
    .stop = cgc_stop,
    .destroy = cgc_destroy,
};

static scope_cgroup_mounts *copy_mounts(const scope_cgroup_mounts *m)
{
    scope_cgroup_mounts *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->prefix = scope__strdup(m->prefix);
    d->v2_controllers = m->v2_controllers ? scope__strdup(m->v2_controllers) : NULL;
    d->m = calloc(m->n ? m->n : 1, sizeof *d->m);
    if (!d->prefix || !d->m || (m->v2_controllers && !d->v2_controllers)) {
        scope_cgroup_mounts_free(d);
        return NULL;
    }
    for (size_t i = 0; i < m->n; i++) {
        d->m[i].dir = scope__strdup(m->m[i].dir);
        d->m[i].root = scope__strdup(m->m[i].root);
        d->m[i].opts = scope__strdup(m->m[i].opts);
        d->m[i].version = m->m[i].version;
        d->n++;
        if (!d->m[i].dir || !d->m[i].root || !d->m[i].opts) {
            scope_cgroup_mounts_free(d);
            return NULL;
        }
    }
    return d;
}

SCOPE_API int scope_cgroup_open(scope_collector **out, const scope_cgroup_mounts *mounts,
                                const char *cgroup, const scope_cgroup_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_cgroup_open: out is NULL");
    *out = NULL;
    if (!cgroup)
        return scope__error(SCOPE_EINVAL, 0, "scope_cgroup_open: cgroup is NULL");
    struct cgc *cc = calloc(1, sizeof *cc);
    if (!cc)
        return scope__enomem("a cgroup collector");
    int rc = scope__opts_copy(&cc->opts, opts, sizeof cc->opts, "scope_cgroup_opts");
    if (rc)
        goto fail;
    if (cc->opts.depth < 0 || cc->opts.max_fds < 0 || (cc->opts.groups & ~0x3f)) {
        rc = scope__error(SCOPE_EINVAL, 0,
                          "scope_cgroup_opts: depth %d and max_fds %d must be >= 0 and groups "
                          "0x%x an OR of SCOPE_CGROUP_* values",
                          (int)cc->opts.depth, (int)cc->opts.max_fds, (unsigned)cc->opts.groups);
        goto fail;
    }
    if (mounts) {
        cc->mounts = copy_mounts(mounts);
        if (!cc->mounts) {
            rc = scope__enomem("a cgroup mount table");
            goto fail;
        }
    } else if ((rc = scope_cgroup_mounts_new(&cc->mounts, NULL))) {
        goto fail;
    }
    char path[4096];
    if ((rc = scope_cgroup_resolve(path, sizeof path, cc->mounts, cgroup)))
        goto fail;
    cc->path = scope__strdup(path);
    if (strncmp(cgroup, "pid:", 4) == 0) {
        int pid = atoi(cgroup + 4);
        cc->pid = pid;
        for (size_t i = 0; i < NHCTL; i++) {
            char hp[4096];
            const char *d;
            if (scope_cgroup_mounts_find(cc->mounts, hctl[i], &d, NULL) ||
                scope_cgroup_pid_path(hp, sizeof hp, cc->mounts, pid, hctl[i]) ||
                strcmp(hp, path) == 0)
                continue;
            if (!(cc->base[i] = scope__strdup(hp))) {
                rc = scope__enomem("a cgroup collector");
                goto fail;
            }
        }
    }
    cc->bufcap = 64 * 1024;
    cc->buf = malloc(cc->bufcap);
    if (!cc->path || !cc->buf) {
        rc = scope__enomem("a cgroup collector");
        goto fail;
    }
    long hz = sysconf(_SC_CLK_TCK);
    cc->tick_s = 1.0 / (double)(hz > 0 ? hz : 100);
    char name[4200];
    snprintf(name, sizeof name, "cgroup:%s", path);
    scope_collector *c;
    if ((rc = scope__collector_new(&c, &cgc_ops, cc, name)))
        goto fail;
    static const struct {
        const char *name, *unit, *help;
        int kind;
    } md[M_PSI] = {
        {"container_cpu_usage_seconds_total", "seconds", "Cumulative CPU time consumed", SCOPE_COUNTER},
        {"container_cpu_user_seconds_total", "seconds", "Cumulative user CPU time", SCOPE_COUNTER},
        {"container_cpu_system_seconds_total", "seconds", "Cumulative system CPU time", SCOPE_COUNTER},
        {"container_cpu_cfs_periods_total", "1", "Elapsed CFS enforcement periods", SCOPE_COUNTER},
        {"container_cpu_cfs_throttled_periods_total", "1", "Throttled CFS periods", SCOPE_COUNTER},
        {"container_cpu_cfs_throttled_seconds_total", "seconds", "Time throttled by the CFS quota",
         SCOPE_COUNTER},
        {"container_memory_usage_bytes", "bytes", "Memory usage, including page cache", SCOPE_GAUGE},
        {"container_memory_working_set_bytes", "bytes", "Usage minus inactive file pages",
         SCOPE_GAUGE},
        {"container_memory_rss", "bytes", "Anonymous memory (v1 total_rss, v2 anon)", SCOPE_GAUGE},
        {"container_memory_cache", "bytes", "Page cache (v1 total_cache, v2 file)", SCOPE_GAUGE},
        {"container_fs_reads_bytes_total", "bytes", "Bytes read from block devices", SCOPE_COUNTER},
        {"container_fs_writes_bytes_total", "bytes", "Bytes written to block devices",
         SCOPE_COUNTER},
        {"container_fs_reads_total", "1", "Completed block reads", SCOPE_COUNTER},
        {"container_fs_writes_total", "1", "Completed block writes", SCOPE_COUNTER},
        {"container_network_receive_bytes_total", "bytes", "Bytes received", SCOPE_COUNTER},
        {"container_network_receive_packets_total", "1", "Packets received", SCOPE_COUNTER},
        {"container_network_transmit_bytes_total", "bytes", "Bytes transmitted", SCOPE_COUNTER},
        {"container_network_transmit_packets_total", "1", "Packets transmitted", SCOPE_COUNTER},
        {"container_threads", "1", "Tasks in the cgroup (pids.current)", SCOPE_GAUGE},
        {"container_threads_max", "1", "Task limit (pids.max)", SCOPE_GAUGE},
    };
    for (int i = 0; i < M_COUNT; i++) {
        char nm[96], help[128];
        const char *n = NULL, *u, *h;
        int kind;
        if (i < M_PSI) {
            n = md[i].name;
            u = md[i].unit;
            h = md[i].help;
            kind = md[i].kind;
        } else {
            static const char *const res[3] = {"cpu", "memory", "io"};
            int r = (i - M_PSI) / 4, k = (i - M_PSI) % 4;
            static const char *const sfx[4] = {"waiting_seconds_total", "stalled_seconds_total",
                                               "waiting_avg10", "stalled_avg10"};
            snprintf(nm, sizeof nm, "container_pressure_%s_%s", res[r], sfx[k]);
            snprintf(help, sizeof help, "PSI %s %s %s", res[r], k % 2 ? "full" : "some",
                     k < 2 ? "total stall time" : "10 s average share of time stalled");
            n = nm;
            u = k < 2 ? "seconds" : "ratio";
            h = help;
            kind = k < 2 ? SCOPE_COUNTER : SCOPE_GAUGE;
        }
        int m = scope__collector_add_metric(c, n, u, kind, h);
        if (m < 0) {
            scope_collector_free(c);
            return m;
        }
        cc->metric[i] = m;
    }
    *out = c;
    return 0;
fail:
    for (size_t i = 0; i < NHCTL; i++)
        free(cc->base[i]);
    scope_cgroup_mounts_free(cc->mounts);
    free(cc->path);
    free(cc->buf);
    free(cc);
    return rc;
}
