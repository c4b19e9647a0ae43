/* Counter groups: perf_event_open per group per target descriptor set, one
 * read() per group, values summed per row. */
#include "pmu_internal.h"
#include "pmu_priv.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

SCOPE_API const char *scope_pmu_target_name(int target)
{
    switch (target) {
    case SCOPE_PMU_SELF: return "self";
    case SCOPE_PMU_THREAD: return "thread";
    case SCOPE_PMU_PROCESS: return "process";
    case SCOPE_PMU_CGROUP: return "cgroup";
    case SCOPE_PMU_CPUS: return "cpus";
    default: return "unknown";
    }
}

SCOPE_API int scope_pmu_opts_init(scope_pmu_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_pmu_opts");
}

static long sys_perf_event_open(struct perf_event_attr *attr, pid_t pid, int cpu, int group_fd,
                                unsigned long flags)
{
    return syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, flags);
}

/* --- small helpers ---------------------------------------------------------- */

static int read_int_file(const char *path, long *out)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int ok = fscanf(f, "%ld", out) == 1;
    fclose(f);
    return ok ? 0 : -1;
}

static void read_comm(char *dst, size_t cap, int pid, int tid)
{
    char path[64];
    if (tid > 0)
        snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid > 0 ? pid : tid, tid);
    else
        snprintf(path, sizeof path, "/proc/%d/comm", pid);
    dst[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(dst, (int)cap, f))
        dst[strcspn(dst, "\n")] = '\0';
    fclose(f);
}

int scope__cpulist_parse(const char *s, int **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    const char *p = s;
    while (*p) {
        while (*p == ' ' || *p == '\n')
            p++;
        if (!*p)
            break;
        if (!isdigit((unsigned char)*p))
            goto bad;
        char *e;
        long lo = strtol(p, &e, 10), hi = lo;
        p = e;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                goto bad;
            hi = strtol(p, &e, 10);
            p = e;
        }
        if (hi < lo || hi > 65535)
            goto bad;
        for (long c = lo; c <= hi; c++) {
            if (scope__grow((void **)out, &cap, *n + 1, sizeof **out)) {
                free(*out);
                *out = NULL;
                *n = 0;
                return scope__enomem("a CPU list");
            }
            (*out)[(*n)++] = (int)c;
        }
        while (*p == ' ' || *p == '\n')
            p++;
        if (*p == ',')
            p++;
        else if (*p)
            goto bad;
    }
    return 0;
bad:
    free(*out);
    *out = NULL;
    *n = 0;
    return scope__error(SCOPE_EINVAL, 0, "'%s' is not a CPU list (write e.g. 0-3,8)", s);
}

static int online_cpus(int **out, size_t *n)
{
    FILE *f = fopen("/sys/devices/system/cpu/online", "r");
    char buf[1024] = "";
    if (f) {
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
    }
    if (!buf[0]) {
        long nc = sysconf(_SC_NPROCESSORS_ONLN);
        snprintf(buf, sizeof buf, "0-%ld", nc > 0 ? nc - 1 : 0);
    }
    return scope__cpulist_parse(buf, out, n);
}

/* --- life cycle ---------------------------------------------------------------- */

SCOPE_API int scope_pmu_new(scope_pmu **out, const char *events, const scope_pmu_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_new: out is NULL");
    *out = NULL;
    if (!events)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_new: the event list is NULL");
    scope_pmu *p = calloc(1, sizeof *p);
    if (!p)
        return scope__enomem("a counter set");
    int rc = scope__opts_copy(&p->opts, opts, sizeof p->opts, "scope_pmu_opts");
    if (rc) {
        free(p);
        return rc;
    }
    if (p->opts.max_group_events < 0) {
        int v = (int)p->opts.max_group_events;
        free(p);
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_opts.max_group_events is %d: use 0 "
                            "(no limit) or a positive count", v);
    }
    p->root = scope__strdup(scope__pmu_sysfs_root(p->opts.sysfs_root));
    p->opts.sysfs_root = NULL;
    if (!p->root) {
        free(p);
        return scope__enomem("a counter set");
    }
    rc = scope__evlist_parse(&p->ev, events, p->root,
                             p->opts.no_libpfm ? SCOPE__EV_NO_LIBPFM : 0);
    if (rc) {
        free(p->root);
        free(p);
        return rc;
    }
    if (!(p->evgroup = calloc(p->ev.n, sizeof *p->evgroup)) ||
        !(p->groups = calloc(p->ev.n, sizeof *p->groups))) {
        scope_pmu_free(p);
        return scope__enomem("a counter set");
    }
    scope__pmu_layout(p);
    *out = p;
    return 0;
}

/* Which PMU an event lives on, for packing: 0 for software-like events
 * (they join any group), the extended type of hybrid generic events, the
 * core PMU (PERF_TYPE_RAW) for other generic ones, else the type. */
static uint64_t pmu_key(const struct perf_event_attr *a)
{
    if (a->type == PERF_TYPE_SOFTWARE || a->type == PERF_TYPE_TRACEPOINT ||
        a->type == PERF_TYPE_BREAKPOINT)
        return 0;
    if (a->type == PERF_TYPE_HARDWARE || a->type == PERF_TYPE_HW_CACHE)
        return (a->config >> 32) ? (a->config >> 32) : PERF_TYPE_RAW;
    return a->type;
}

/* The initial physical groups: explicit groups as written, consecutive
 * ungrouped events packed together (a new group where the PMU changes: a
 * group cannot span hardware PMUs), then cut at max_group_events. */
void scope__pmu_layout(scope_pmu *p)
{
    p->ngroups = 0;
    size_t i = 0;
    while (i < p->ev.n) {
        size_t j = i + 1;
        if (p->ev.ev[i].explicit_group) {
            while (j < p->ev.n && p->ev.ev[j].group == p->ev.ev[i].group)
                j++;
        } else {
            uint64_t key = pmu_key(&p->ev.ev[i].attr);
            while (j < p->ev.n && !p->ev.ev[j].explicit_group) {
                uint64_t k = pmu_key(&p->ev.ev[j].attr);
                if (k && key && k != key)
                    break;
                if (k)
                    key = k;
                j++;
            }
        }
        size_t max = p->opts.max_group_events > 0 ? (size_t)p->opts.max_group_events : j - i;
        for (size_t k = i; k < j; k += max) {
            struct scope__pgroup *g = &p->groups[p->ngroups++];
            g->first = k;
            g->n = (j - k) < max ? (j - k) : max;
            g->split = 0;
        }
        i = j;
    }
    for (size_t g = 0; g < p->ngroups; g++)
        for (size_t k = 0; k < p->groups[g].n; k++)
            p->evgroup[p->groups[g].first + k] = (int)g;
}

static void close_set(struct scope__fdset *s, size_t nev)
{
    for (size_t i = 0; i < nev; i++)
        if (s->fds[i] >= 0) {
            close(s->fds[i]);
            s->fds[i] = -1;
        }
}

static void free_runtime(scope_pmu *p)
{
    for (size_t i = 0; i < p->nsets; i++) {
        close_set(&p->sets[i], p->ev.n);
        free(p->sets[i].fds);
        free(p->sets[i].ids);
        free(p->sets[i].raw);
        free(p->sets[i].scaled);
        free(p->sets[i].en);
        free(p->sets[i].run);
    }
    free(p->sets);
    p->sets = NULL;
    p->nsets = p->scap = 0;
    for (size_t i = 0; i < p->ntargets; i++)
        if (p->targets[i].cgfd >= 0) {
            close(p->targets[i].cgfd);
            p->targets[i].cgfd = -1;
        }
    p->started = 0;
}

static void free_rows(scope_pmu *p)
{
    for (size_t i = 0; i < p->nrows; i++) {
        free(p->rows[i].name);
        free(p->rows[i].raw);
        free(p->rows[i].scaled);
        free(p->rows[i].en);
        free(p->rows[i].run);
    }
    free(p->rows);
    p->rows = NULL;
    p->nrows = p->rcap = 0;
}

SCOPE_API void scope_pmu_free(scope_pmu *p)
{
    if (!p)
        return;
    free_runtime(p);
    free_rows(p);
    for (size_t i = 0; i < p->ntargets; i++) {
        free(p->targets[i].path);
        free(p->targets[i].cpus);
    }
    free(p->targets);
    scope__evlist_free(&p->ev);
    free(p->evgroup);
    free(p->groups);
    free(p->buf);
    free(p->root);
    scope__buf_free(&p->notes);
    scope__buf_free(&p->split_notes);
    free(p);
}

static int add_target(scope_pmu *p, int kind, int id, const char *path, const char *cpus)
{
    if (!p)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu: the handle is NULL");
    if (p->started)
        return scope__error(SCOPE_ESTATE, 0, "scope_pmu: targets are added before "
                            "scope_pmu_start (stop it first)");
    if (scope__grow((void **)&p->targets, &p->tcap, p->ntargets + 1, sizeof *p->targets))
        return scope__enomem("a target");
    struct scope__ptarget *t = &p->targets[p->ntargets];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->id = id;
    t->cgfd = -1;
    if ((path && !(t->path = scope__strdup(path))) || (cpus && !(t->cpus = scope__strdup(cpus)))) {
        free(t->path);
        return scope__enomem("a target");
    }
    p->ntargets++;
    return 0;
}

SCOPE_API int scope_pmu_add_tid(scope_pmu *p, int tid)
{
    if (tid <= 0)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_add_tid: %d is not a thread id", tid);
    return add_target(p, SCOPE_PMU_THREAD, tid, NULL, NULL);
}

SCOPE_API int scope_pmu_add_pid(scope_pmu *p, int pid)
{
    if (pid <= 0)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_add_pid: %d is not a process id", pid);
    return add_target(p, SCOPE_PMU_PROCESS, pid, NULL, NULL);
}

SCOPE_API int scope_pmu_add_cgroup(scope_pmu *p, const char *path)
{
    if (!path || !*path)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_add_cgroup: the path is empty");
    return add_target(p, SCOPE_PMU_CGROUP, 0, path, NULL);
}

SCOPE_API int scope_pmu_add_cpus(scope_pmu *p, const char *cpus)
{
    if (cpus && *cpus) {
        int *v;
        size_t n;
        int rc = scope__cpulist_parse(cpus, &v, &n);
        if (rc)
            return rc;
        free(v);
        if (!n)
            return scope__error(SCOPE_EINVAL, 0, "scope_pmu_add_cpus: '%s' names no CPU", cpus);
    }
    return add_target(p, SCOPE_PMU_CPUS, 0, NULL, cpus && *cpus ? cpus : NULL);
}

/* --- opening ------------------------------------------------------------------- */

static void describe_set(char *dst, size_t cap, const scope_pmu *p, const struct scope__fdset *s)
{
    const struct scope__prow *r = &p->rows[s->row];
    switch (r->target) {
    case SCOPE_PMU_SELF: snprintf(dst, cap, "this thread"); break;
    case SCOPE_PMU_THREAD: snprintf(dst, cap, "tid %d", s->pid); break;
    case SCOPE_PMU_PROCESS: snprintf(dst, cap, "pid %d (thread %d)", r->pid, s->pid); break;
    case SCOPE_PMU_CGROUP: snprintf(dst, cap, "cgroup %s on cpu %d", r->name, s->cpu); break;
    default: snprintf(dst, cap, "cpu %d", s->cpu); break;
    }
}

static long count_open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return 16;
    long n = 0;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

int scope__pmu_open_error(int err, const char *event, int hardware, const char *where,
                          const char *root, int cpu_wide, long need_fds)
{
    long paranoid = 2;
    int have_paranoid = !read_int_file("/proc/sys/kernel/perf_event_paranoid", &paranoid);
    long watchdog = 0;
    int have_wd = !read_int_file("/proc/sys/kernel/nmi_watchdog", &watchdog);
    switch (err) {
    case ENOENT:
    case EOPNOTSUPP:
    case ENODEV:
        if (hardware && !scope__pmu_core_name(root)) {
            scope__buf b = {0};
            scope__pmu_describe_machine(&b, root);
            int rc = scope__error(SCOPE_ENODEV, err,
                                  "perf_event_open(%s, %s): no core PMU on this machine: %s",
                                  event, where, b.data ? b.data : "");
            scope__buf_free(&b);
            return rc;
        }
        return scope__error_sys(SCOPE_ENOTSUP, err,
                                "perf_event_open(%s, %s): the kernel or this CPU's PMU does not "
                                "support the event (check its encoding, or try it with perf "
                                "stat -e)",
                                event, where);
    case EACCES:
    case EPERM: {
        const char *need = cpu_wide ? "CPU-wide and cgroup counting need perf_event_paranoid "
                                      "<= 0 (or CAP_PERFMON / root)"
                                    : "counting other processes needs perf_event_paranoid <= 2 "
                                      "and ptrace access to them (same user, or CAP_PERFMON / "
                                      "root); kernel-side counts (:k or no modifier) need <= 1";
        if (have_paranoid)
            return scope__error_sys(SCOPE_EPERM, err,
                                    "perf_event_open(%s, %s): perf_event_paranoid is %ld; %s; "
                                    "run as root or set it with sysctl "
                                    "kernel.perf_event_paranoid=%d",
                                    event, where, paranoid, need, cpu_wide ? 0 : 1);
        return scope__error_sys(SCOPE_EPERM, err, "perf_event_open(%s, %s): %s", event, where,
                                need);
    }
    case EMFILE:
    case ENFILE: {
        struct rlimit rl = {0, 0};
        getrlimit(RLIMIT_NOFILE, &rl);
        return scope__error_sys(SCOPE_ELIMIT, err,
                                "perf_event_open(%s, %s): out of file descriptors; this counter "
                                "set needs %ld (one per event per thread or CPU) and "
                                "RLIMIT_NOFILE is %llu: raise it (ulimit -n %ld, or "
                                "setrlimit) or count fewer events or targets",
                                event, where, need_fds, (unsigned long long)rl.rlim_cur,
                                need_fds + 64);
    }
    case ESRCH:
        return scope__error(SCOPE_EGONE, err,
                            "perf_event_open(%s, %s): the process or thread does not exist "
                            "(it exited?): check the pid",
                            event, where);
    case EBUSY:
    case ENOSPC:
        return scope__error_sys(SCOPE_ELIMIT, err,
                                "perf_event_open(%s, %s): the hardware counters are taken%s%s; "
                                "free them (stop other profilers) or count fewer events",
                                event, where,
                                have_wd && watchdog ? ": the NMI watchdog holds one "
                                                      "(sysctl kernel.nmi_watchdog=0 frees it)"
                                                    : "",
                                have_wd && !watchdog ? " (the NMI watchdog is off)" : "");
    case EINVAL:
        return scope__error_sys(SCOPE_EINVAL, err,
                                "perf_event_open(%s, %s): the kernel refused the event: its "
                                "encoding, a modifier or the group is invalid for this PMU%s",
                                event, where,
                                hardware ? " (a group of hardware events that cannot fit the "
                                           "counters is refused too)"
                                         : "");
    default:
        return scope__error_sys(scope__code_from_errno(err), err, "perf_event_open(%s, %s)",
                                event, where);
    }
}

static int set_alloc(scope_pmu *p, size_t row, int pid, int cpu, unsigned long flags,
                     int inherit, size_t *idx)
{
    if (scope__grow((void **)&p->sets, &p->scap, p->nsets + 1, sizeof *p->sets))
        return scope__enomem("a descriptor set");
    struct scope__fdset *s = &p->sets[p->nsets];
    memset(s, 0, sizeof *s);
    size_t n = p->ev.n;
    s->fds = malloc(n * sizeof *s->fds);
    s->ids = calloc(n, sizeof *s->ids);
    s->raw = calloc(n, sizeof *s->raw);
    s->scaled = calloc(n, sizeof *s->scaled);
    s->en = calloc(n, sizeof *s->en);
    s->run = calloc(n, sizeof *s->run);
    if (!s->fds || !s->ids || !s->raw || !s->scaled || !s->en || !s->run) {
        free(s->fds);
        free(s->ids);
        free(s->raw);
        free(s->scaled);
        free(s->en);
        free(s->run);
        return scope__enomem("a descriptor set");
    }
    for (size_t i = 0; i < n; i++)
        s->fds[i] = -1;
    s->row = row;
    s->pid = pid;
    s->cpu = cpu;
    s->flags = flags;
    s->inherit = inherit;
    *idx = p->nsets++;
    return 0;
}

static int row_alloc(scope_pmu *p, int target, int pid, int tid, const char *name, size_t *idx)
{
    if (scope__grow((void **)&p->rows, &p->rcap, p->nrows + 1, sizeof *p->rows))
        return scope__enomem("a row");
    struct scope__prow *r = &p->rows[p->nrows];
    memset(r, 0, sizeof *r);
    size_t n = p->ev.n;
    r->name = scope__strdup(name ? name : "");
    r->raw = calloc(n, sizeof *r->raw);
    r->scaled = calloc(n, sizeof *r->scaled);
    r->en = calloc(n, sizeof *r->en);
    r->run = calloc(n, sizeof *r->run);
    if (!r->name || !r->raw || !r->scaled || !r->en || !r->run) {
        free(r->name);
        free(r->raw);
        free(r->scaled);
        free(r->en);
        free(r->run);
        return scope__enomem("a row");
    }
    r->target = target;
    r->pid = pid;
    r->tid = tid;
    *idx = p->nrows++;
    return 0;
}

static void fill_attr(const scope_pmu *p, size_t ev, int leader, int inherit,
                      struct perf_event_attr *a)
{
    *a = p->ev.ev[ev].attr;
    a->size = sizeof *a;
    a->read_format = PERF_FORMAT_GROUP | PERF_FORMAT_TOTAL_TIME_ENABLED |
                     PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID;
    a->disabled = leader ? 1 : 0;
    a->inherit = inherit ? 1 : 0;
    if (!leader)
        a->pinned = 0;
}

/* Splits group @g before member @k (relative index): [first, first+k) and
 * [first+k, first+n). */
static int split_group(scope_pmu *p, size_t g, size_t k)
{
    if (p->ngroups >= p->ev.n)
        return -1;
    memmove(&p->groups[g + 2], &p->groups[g + 1],
            (p->ngroups - g - 1) * sizeof *p->groups);
    p->groups[g + 1].first = p->groups[g].first + k;
    p->groups[g + 1].n = p->groups[g].n - k;
    p->groups[g + 1].split = 1;
    p->groups[g].n = k;
    p->ngroups++;
    for (size_t x = 0; x < p->ngroups; x++)
        for (size_t m = 0; m < p->groups[x].n; m++)
            p->evgroup[p->groups[x].first + m] = (int)x;
    return 0;
}

static int open_set(scope_pmu *p, size_t si, int may_split)
{
    struct scope__fdset *s = &p->sets[si];
    for (size_t g = 0; g < p->ngroups; g++) {
        int leader_fd = -1;
        for (size_t m = 0; m < p->groups[g].n; m++) {
            size_t e = p->groups[g].first + m;
            struct perf_event_attr a;
            fill_attr(p, e, m == 0, s->inherit, &a);
            long fd = sys_perf_event_open(&a, s->pid, s->cpu, m == 0 ? -1 : leader_fd,
                                          s->flags | PERF_FLAG_FD_CLOEXEC);
            if (fd < 0) {
                int err = errno;
                const struct scope__evspec *ev = &p->ev.ev[e];
                if (m > 0 && may_split && (err == EINVAL || err == ENOSPC) &&
                    !split_group(p, g, m)) {
                    scope__buf_printf(&p->split_notes,
                                      "group %zu was split before '%s': the kernel refused it "
                                      "in one group (%s), so the parts are multiplexed and "
                                      "scaled (see the running ratios); ",
                                      g, ev->name, strerror(err));
                    break; /* the next iteration opens the new group */
                }
                char where[160];
                describe_set(where, sizeof where, p, s);
                return scope__pmu_open_error(err, ev->name, ev->hardware, where, p->root,
                                             s->pid == -1 || (s->flags & PERF_FLAG_PID_CGROUP),
                                             (long)(p->ev.n * p->nsets));
            }
            s->fds[e] = (int)fd;
            if (m == 0)
                leader_fd = (int)fd;
            uint64_t id = 0;
            if (ioctl((int)fd, PERF_EVENT_IOC_ID, &id) == 0)
                s->ids[e] = id;
        }
    }
    return 0;
}

static int enable_set(scope_pmu *p, struct scope__fdset *s)
{
    for (size_t g = 0; g < p->ngroups; g++) {
        int fd = s->fds[p->groups[g].first];
        if (fd >= 0 && ioctl(fd, PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP) < 0)
            return scope__error_sys(SCOPE_EIO, errno, "enabling counter group %zu", g);
    }
    return 0;
}

/* Threads of @pid, ascending; NULL with n 0 when the process is gone. */
static int list_threads(int pid, int **tids, size_t *n)
{
    *tids = NULL;
    *n = 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return scope__error(SCOPE_EGONE, errno,
                            "process %d does not exist (%s cannot be read): it exited, or the "
                            "pid is wrong",
                            pid, path);
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int tid = atoi(e->d_name);
        if (tid <= 0)
            continue;
        if (scope__grow((void **)tids, &cap, *n + 1, sizeof **tids)) {
            closedir(d);
            free(*tids);
            *tids = NULL;
            return scope__enomem("a thread list");
        }
        (*tids)[(*n)++] = tid;
    }
    closedir(d);
    return 0;
}

/* A cgroup for PERF_FLAG_PID_CGROUP: a directory path as given, or a path
 * relative to the hierarchy that perf_event uses, found from mountinfo (the
 * v1 perf_event hierarchy, else the cgroup2 mount), never guessed. */
static int resolve_cgroup(const char *path, char *dst, size_t cap)
{
    snprintf(dst, cap, "%s", path);
    if (path[0] == '/' && !access(dst, F_OK) && strncmp(path, "/sys/fs/cgroup", 14) == 0)
        return 0;
    scope_cgroup_mounts *m;
    if (scope_cgroup_mounts_new(&m, NULL))
        return -1;
    const char *ctrls[] = {"perf_event", ""};
    int rc = -1;
    for (size_t i = 0; i < 2 && rc; i++) {
        const char *dir;
        int version;
        if (scope_cgroup_mounts_find(m, ctrls[i], &dir, &version) || (*ctrls[i] && version != 1))
            continue;
        snprintf(dst, cap, "%s%s%s", dir, path[0] == '/' ? "" : "/", path);
        rc = access(dst, F_OK) ? -1 : 0;
    }
    scope_cgroup_mounts_free(m);
    if (rc && path[0] == '/' && !access(path, F_OK)) {
        snprintf(dst, cap, "%s", path);
        rc = 0;
    }
    return rc;
}

static int has_row_tid(const scope_pmu *p, size_t target, int tid)
{
    for (size_t i = 0; i < p->nrows; i++)
        if (p->rows[i].tindex == target && p->rows[i].tid == tid && !p->rows[i].gone)
            return 1; /* a gone row's tid may be reused by a new thread */
    return 0;
}

/* Adds rows and sets for @t (index @ti). For per-thread processes only the
 * threads not yet present (rescan). Returns the number of rows added. */
static int plan_target(scope_pmu *p, size_t ti, size_t *first_new_set)
{
    struct scope__ptarget *t = &p->targets[ti];
    char name[4096];
    size_t row, si;
    int rc, added = 0;
    *first_new_set = p->nsets;
    switch (t->kind) {
    case SCOPE_PMU_THREAD:
        read_comm(name, sizeof name, 0, t->id);
        if (!name[0]) {
            char path[64];
            snprintf(path, sizeof path, "/proc/%d", t->id);
            if (access(path, F_OK))
                return scope__error(SCOPE_EGONE, ESRCH,
                                    "thread %d does not exist (no %s): it exited, or the tid "
                                    "is wrong", t->id, path);
        }
        if ((rc = row_alloc(p, SCOPE_PMU_THREAD, 0, t->id, name, &row)))
            return rc;
        p->rows[row].tindex = ti;
        return set_alloc(p, row, t->id, -1, 0, 0, &si) ? SCOPE_ENOMEM : 1;
    case SCOPE_PMU_PROCESS: {
        int *tids;
        size_t n;
        if ((rc = list_threads(t->id, &tids, &n)))
            return rc;
        char comm[64];
        read_comm(comm, sizeof comm, t->id, 0);
        if (!p->opts.per_thread) {
            if (p->started) { /* summed rows never grow: inherit covers new threads */
                free(tids);
                return 0;
            }
            if ((rc = row_alloc(p, SCOPE_PMU_PROCESS, t->id, 0, comm, &row))) {
                free(tids);
                return rc;
            }
            p->rows[row].tindex = ti;
            for (size_t i = 0; i < n; i++)
                if ((rc = set_alloc(p, row, tids[i], -1, 0, !p->opts.no_inherit, &si))) {
                    free(tids);
                    return rc;
                }
            free(tids);
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            if (has_row_tid(p, ti, tids[i]))
                continue;
            read_comm(name, sizeof name, t->id, tids[i]);
            if ((rc = row_alloc(p, SCOPE_PMU_THREAD, t->id, tids[i], name, &row)) ||
                (rc = set_alloc(p, row, tids[i], -1, 0, 0, &si))) {
                free(tids);
                return rc;
            }
            p->rows[row].tindex = ti;
            added++;
        }
        free(tids);
        return added;
    }
    case SCOPE_PMU_CGROUP: {
        if (p->started)
            return 0;
        if (resolve_cgroup(t->path, name, sizeof name))
            return scope__error(SCOPE_ENOENT, ENOENT,
                                "cgroup '%s' does not exist in the hierarchy perf_event uses "
                                "(the v1 perf_event mount, else the cgroup2 mount, from "
                                "/proc/self/mountinfo): check the path",
                                t->path);
        t->cgfd = open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (t->cgfd < 0)
            return scope__error_sys(scope__code_from_errno(errno), errno, "open cgroup %s",
                                    name);
        int *cpus;
        size_t nc;
        if ((rc = online_cpus(&cpus, &nc)))
            return rc;
        if ((rc = row_alloc(p, SCOPE_PMU_CGROUP, 0, 0, name, &row))) {
            free(cpus);
            return rc;
        }
        p->rows[row].tindex = ti;
        for (size_t i = 0; i < nc; i++)
            if ((rc = set_alloc(p, row, t->cgfd, cpus[i], PERF_FLAG_PID_CGROUP, 0, &si))) {
                free(cpus);
                return rc;
            }
        free(cpus);
        return 1;
    }
    case SCOPE_PMU_CPUS: {
        if (p->started)
            return 0;
        int *cpus;
        size_t nc;
        rc = t->cpus ? scope__cpulist_parse(t->cpus, &cpus, &nc) : online_cpus(&cpus, &nc);
        if (rc)
            return rc;
        if ((rc = row_alloc(p, SCOPE_PMU_CPUS, 0, 0, t->cpus ? t->cpus : "all", &row))) {
            free(cpus);
            return rc;
        }
        p->rows[row].tindex = ti;
        for (size_t i = 0; i < nc; i++)
            if ((rc = set_alloc(p, row, -1, cpus[i], 0, 0, &si))) {
                free(cpus);
                return rc;
            }
        free(cpus);
        return 1;
    }
    default:
        return scope__error(SCOPE_EINTERNAL, 0, "unknown target kind %d", t->kind);
    }
}

static int alloc_buf(scope_pmu *p)
{
    size_t max = 0;
    for (size_t g = 0; g < p->ngroups; g++)
        if (p->groups[g].n > max)
            max = p->groups[g].n;
    size_t len = 3 + 2 * max;
    if (len > p->buflen) {
        uint64_t *b = realloc(p->buf, len * sizeof *b);
        if (!b)
            return scope__enomem("a read buffer");
        p->buf = b;
        p->buflen = len;
    }
    return 0;
}

SCOPE_API int scope_pmu_start(scope_pmu *p)
{
    if (!p)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_start: the handle is NULL");
    if (p->started)
        return scope__error(SCOPE_ESTATE, 0, "scope_pmu_start: already started");
    free_rows(p);
    scope__buf_free(&p->split_notes);
    scope__pmu_layout(p);
    int rc = 0;
    size_t dummy;
    if (!p->ntargets) {
        char comm[64];
        read_comm(comm, sizeof comm, getpid(), (int)syscall(SYS_gettid));
        size_t row, si;
        if ((rc = row_alloc(p, SCOPE_PMU_SELF, getpid(), (int)syscall(SYS_gettid), comm, &row)) ||
            (rc = set_alloc(p, row, 0, -1, 0, 0, &si)))
            goto fail;
        p->rows[row].tindex = (size_t)-1;
    }
    for (size_t i = 0; i < p->ntargets; i++)
        if ((rc = plan_target(p, i, &dummy)) < 0)
            goto fail;
    /* Enough descriptors? Say how many before the kernel says EMFILE. */
    struct rlimit rl;
    long need = (long)(p->ev.n * p->nsets);
    if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur != RLIM_INFINITY &&
        (long)rl.rlim_cur < need + count_open_fds()) {
        rc = scope__error(SCOPE_ELIMIT, EMFILE,
                          "this counter set needs %ld file descriptors (%zu events x %zu "
                          "threads or CPUs) but RLIMIT_NOFILE is %llu with %ld in use: raise "
                          "it (ulimit -n %ld, or setrlimit) or count fewer events or targets",
                          need, p->ev.n, p->nsets, (unsigned long long)rl.rlim_cur,
                          count_open_fds(), need + count_open_fds() + 64);
        goto fail;
    }
    for (size_t i = 0; i < p->nsets; i++) {
        rc = open_set(p, i, i == 0);
        struct scope__fdset *s = &p->sets[i];
        struct scope__prow *row = &p->rows[s->row];
        /* a thread that exited between listing and opening: skip it (the
         * process itself must exist) */
        if (rc == SCOPE_EGONE && row->pid > 0 && s->pid != row->pid &&
            (row->target == SCOPE_PMU_PROCESS || row->target == SCOPE_PMU_THREAD)) {
            close_set(s, p->ev.n);
            s->dead = 1;
            if (row->target == SCOPE_PMU_THREAD)
                row->gone = 1;
            continue;
        }
        if (rc)
            goto fail;
    }
    if ((rc = alloc_buf(p)))
        goto fail;
    for (size_t i = 0; i < p->nsets; i++)
        if ((rc = enable_set(p, &p->sets[i])))
            goto fail;
    p->started = 1;
    return 0;
fail:
    free_runtime(p);
    return rc;
}

SCOPE_API int scope_pmu_rescan(scope_pmu *p)
{
    if (!p)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_rescan: the handle is NULL");
    if (!p->started)
        return scope__error(SCOPE_ESTATE, 0, "scope_pmu_rescan: not started");
    if (!p->opts.per_thread)
        return 0;
    /* threads rename themselves (exec, prctl): refresh the names */
    for (size_t r = 0; r < p->nrows; r++) {
        struct scope__prow *row = &p->rows[r];
        if (row->target != SCOPE_PMU_THREAD || row->gone)
            continue;
        char comm[64];
        read_comm(comm, sizeof comm, row->pid, row->tid);
        if (comm[0] && strcmp(comm, row->name)) {
            char *n = scope__strdup(comm);
            if (n) {
                free(row->name);
                row->name = n;
            }
        }
    }
    int added = 0;
    for (size_t i = 0; i < p->ntargets; i++) {
        if (p->targets[i].kind != SCOPE_PMU_PROCESS)
            continue;
        size_t first;
        int rc = plan_target(p, i, &first);
        if (rc == SCOPE_EGONE)
            continue;
        if (rc < 0)
            return rc;
        for (size_t s = first; s < p->nsets; s++) {
            rc = open_set(p, s, 0);
            if (rc == SCOPE_EGONE) { /* the new thread already exited */
                close_set(&p->sets[s], p->ev.n);
                p->rows[p->sets[s].row].gone = 1;
                p->sets[s].dead = 1;
                continue;
            }
            if (rc || (rc = enable_set(p, &p->sets[s])))
                return rc;
        }
        added += (int)(p->nsets - first);
    }
    return added;
}

SCOPE_API int scope_pmu_stop(scope_pmu *p)
{
    if (!p)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_stop: the handle is NULL");
    free_runtime(p);
    return 0;
}

/* --- reading ------------------------------------------------------------------- */

static void read_set(scope_pmu *p, struct scope__fdset *s)
{
    for (size_t g = 0; g < p->ngroups; g++) {
        const struct scope__pgroup *gr = &p->groups[g];
        int fd = s->fds[gr->first];
        if (fd < 0)
            continue;
        size_t want = (3 + 2 * gr->n) * sizeof(uint64_t);
        ssize_t got;
        do
            got = read(fd, p->buf, want);
        while (got < 0 && errno == EINTR);
        if (got < (ssize_t)(3 * sizeof(uint64_t))) {
            if (got == 0)
                s->dead = 1; /* the group is in error state or its task is gone */
            continue;
        }
        uint64_t nr = p->buf[0], en = p->buf[1], run = p->buf[2];
        if (nr > gr->n)
            nr = gr->n;
        for (size_t m = 0; m < nr; m++) {
            uint64_t val = p->buf[3 + 2 * m], id = p->buf[4 + 2 * m];
            size_t e = gr->first + m;
            if (s->ids[e] != id) /* the order is the kernel's; match by id */
                for (size_t k = 0; k < gr->n; k++)
                    if (s->ids[gr->first + k] == id) {
                        e = gr->first + k;
                        break;
                    }
            s->raw[e] = val;
            s->en[e] = en;
            s->run[e] = run;
            s->scaled[e] = run ? (double)val * ((double)en / (double)run) : 0.0;
        }
    }
}

SCOPE_API int scope_pmu_read(scope_pmu *p)
{
    if (!p)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_read: the handle is NULL");
    if (!p->started)
        return scope__error(SCOPE_ESTATE, 0, "scope_pmu_read: not started (call "
                            "scope_pmu_start first)");
    for (size_t i = 0; i < p->nsets; i++)
        if (!p->sets[i].dead)
            read_set(p, &p->sets[i]);
    size_t nev = p->ev.n;
    for (size_t r = 0; r < p->nrows; r++) {
        struct scope__prow *row = &p->rows[r];
        memset(row->raw, 0, nev * sizeof *row->raw);
        memset(row->en, 0, nev * sizeof *row->en);
        memset(row->run, 0, nev * sizeof *row->run);
        for (size_t e = 0; e < nev; e++)
            row->scaled[e] = 0;
        row->live = 0;
    }
    for (size_t i = 0; i < p->nsets; i++) {
        struct scope__fdset *s = &p->sets[i];
        struct scope__prow *row = &p->rows[s->row];
        if (!s->dead)
            row->live = 1;
        for (size_t e = 0; e < nev; e++) {
            row->raw[e] += s->raw[e];
            row->en[e] += s->en[e];
            row->run[e] += s->run[e];
            row->scaled[e] += s->scaled[e];
        }
    }
    size_t alive = 0;
    for (size_t r = 0; r < p->nrows; r++) {
        struct scope__prow *row = &p->rows[r];
        for (size_t e = 0; e < nev; e++)
            row->scaled[e] *= p->ev.ev[e].scale;
        /* Tasks that exited: perf descriptors of exited tasks still read
         * their final counts, so ask the kernel whether the task is there
         * (signal 0 sends nothing). */
        if (row->live && !row->gone &&
            ((row->target == SCOPE_PMU_THREAD &&
              (row->pid ? syscall(SYS_tgkill, row->pid, row->tid, 0)
                        : kill(row->tid, 0)) < 0 && errno == ESRCH) ||
             (row->target == SCOPE_PMU_PROCESS && kill(row->pid, 0) < 0 && errno == ESRCH)))
            row->live = 0;
        if (!row->live)
            row->gone = 1;
        else
            alive++;
    }
    if (p->nrows && !alive)
        return scope__error(SCOPE_EGONE, ESRCH,
                            "every counted process or thread has exited: the values are their "
                            "final counts");
    return 0;
}

/* --- accessors ----------------------------------------------------------------- */

SCOPE_API size_t scope_pmu_event_count(const scope_pmu *p)
{
    return p ? p->ev.n : 0;
}

SCOPE_API const char *scope_pmu_event_name(const scope_pmu *p, size_t i)
{
    return p && i < p->ev.n ? p->ev.ev[i].name : NULL;
}

SCOPE_API const char *scope_pmu_event_unit(const scope_pmu *p, size_t i)
{
    return p && i < p->ev.n ? p->ev.ev[i].unit : NULL;
}

SCOPE_API int scope_pmu_event_attr(const scope_pmu *p, size_t i, uint32_t *type,
                                   uint64_t *config, uint64_t *config1, uint64_t *config2)
{
    if (!p || i >= p->ev.n)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_event_attr: no event %zu", i);
    const struct perf_event_attr *a = &p->ev.ev[i].attr;
    if (type)
        *type = a->type;
    if (config)
        *config = a->config;
    if (config1)
        *config1 = a->config1;
    if (config2)
        *config2 = a->config2;
    return 0;
}

SCOPE_API int scope_pmu_event_group(const scope_pmu *p, size_t i)
{
    if (!p || i >= p->ev.n)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_event_group: no event %zu", i);
    return p->evgroup[i];
}

SCOPE_API size_t scope_pmu_group_count(const scope_pmu *p)
{
    return p ? p->ngroups : 0;
}

SCOPE_API size_t scope_pmu_row_count(const scope_pmu *p)
{
    return p ? p->nrows : 0;
}

SCOPE_API int scope_pmu_row_info(const scope_pmu *p, size_t row, int *target, int *pid,
                                 int *tid, const char **name)
{
    if (!p || row >= p->nrows)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_row_info: no row %zu", row);
    const struct scope__prow *r = &p->rows[row];
    if (target)
        *target = r->target;
    if (pid)
        *pid = r->pid;
    if (tid)
        *tid = r->tid;
    if (name)
        *name = r->name;
    return r->gone ? SCOPE_EGONE : 0;
}

SCOPE_API int scope_pmu_value(const scope_pmu *p, size_t row, size_t event, uint64_t *raw,
                              double *scaled, double *ratio)
{
    if (!p || row >= p->nrows || event >= p->ev.n)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_value: no row %zu / event %zu", row,
                            event);
    const struct scope__prow *r = &p->rows[row];
    if (raw)
        *raw = r->raw[event];
    if (scaled)
        *scaled = r->scaled[event];
    if (ratio)
        *ratio = r->en[event] ? (double)r->run[event] / (double)r->en[event] : NAN;
    return 0;
}

SCOPE_API int scope_pmu_times(const scope_pmu *p, size_t row, size_t event,
                              uint64_t *enabled_ns, uint64_t *running_ns)
{
    if (!p || row >= p->nrows || event >= p->ev.n)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_times: no row %zu / event %zu", row,
                            event);
    if (enabled_ns)
        *enabled_ns = p->rows[row].en[event];
    if (running_ns)
        *running_ns = p->rows[row].run[event];
    return 0;
}

SCOPE_API const char *scope_pmu_notes(scope_pmu *p)
{
    if (!p)
        return "";
    scope__buf_free(&p->notes);
    if (p->split_notes.data)
        scope__buf_puts(&p->notes, p->split_notes.data);
    long watchdog = 0;
    int wd = !read_int_file("/proc/sys/kernel/nmi_watchdog", &watchdog);
    for (size_t g = 0; g < p->ngroups; g++) {
        size_t e = p->groups[g].first;
        uint64_t en = 0, run = 0;
        for (size_t r = 0; r < p->nrows; r++) {
            en += p->rows[r].en[e];
            run += p->rows[r].run[e];
        }
        if (!en)
            continue;
        if (!run)
            scope__buf_printf(&p->notes,
                              "group %zu (%s...) was never scheduled: the PMU's counters are "
                              "taken by other events or users%s; its values are 0; ",
                              g, p->ev.ev[e].name,
                              wd && watchdog ? " (the NMI watchdog holds one: sysctl "
                                               "kernel.nmi_watchdog=0)"
                                             : "");
        else if (run < en)
            scope__buf_printf(&p->notes,
                              "group %zu (%s...) was multiplexed: it counted %.1f%% of the time "
                              "and its values are scaled by enabled/running; ",
                              g, p->ev.ev[e].name, 100.0 * (double)run / (double)en);
    }
    if (p->notes.len >= 2 && p->notes.data[p->notes.len - 2] == ';')
        p->notes.data[p->notes.len -= 2] = '\0';
    return p->notes.data ? p->notes.data : "";
}

SCOPE_API int scope_pmu_encode(const char *event, const char *sysfs_root, uint32_t *type,
                               uint64_t *config, uint64_t *config1, uint64_t *config2)
{
    if (!event)
        return scope__error(SCOPE_EINVAL, 0, "scope_pmu_encode: the event is NULL");
    struct scope__evspec e;
    int rc = scope__event_parse(&e, event, sysfs_root, 0);
    if (rc)
        return rc;
    if (type)
        *type = e.attr.type;
    if (config)
        *config = e.attr.config;
    if (config1)
        *config1 = e.attr.config1;
    if (config2)
        *config2 = e.attr.config2;
    scope__evspec_free(&e);
    return 0;
}
