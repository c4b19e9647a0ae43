/* The process collector: /proc/<pid>/stat and /status, kept open and
 * re-read with pread at offset 0 on every sample. */
#include "../internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { M_CPU, M_RSS, M_MINFLT, M_MAJFLT, M_CTX, M_THREADS, M_COUNT };
enum { S_USER, S_SYS, S_RSS, S_MINFLT, S_MAJFLT, S_VOL, S_INVOL, S_THREADS, S_PER_TASK };

struct task {
    int tid;
    int stat_fd, status_fd;
    size_t slot0; /* first of S_PER_TASK slots */
    int gone;
};

struct proc {
    int pid;
    scope_proc_opts opts;
    int metric[M_COUNT];
    struct task *tasks;
    size_t ntasks, cap;
    double tick_s;
    long page_size;
    char comm[64];
};

SCOPE_API int scope_proc_opts_init(scope_proc_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_proc_opts");
}

/* Fields of /proc/<pid>/stat after the ")" that closes comm (which may hold
 * spaces and parentheses itself). Field 3 (state) is index 0 here. */
int scope__proc_parse_stat(const char *text, size_t len, uint64_t *f, size_t nf, char *comm,
                      size_t comm_cap)
{
    const char *open = memchr(text, '(', len);
    const char *close = NULL;
    for (const char *p = text + len; p > text; p--)
        if (p[-1] == ')') {
            close = p - 1;
            break;
        }
    if (!open || !close || close < open)
        return -1;
    if (comm) {
        size_t cl = (size_t)(close - open - 1);
        if (cl >= comm_cap)
            cl = comm_cap - 1;
        memcpy(comm, open + 1, cl);
        comm[cl] = '\0';
    }
    const char *p = close + 1, *end = text + len;
    /* state is a letter: skip it, then parse numeric fields 4.. */
    while (p < end && *p == ' ')
        p++;
    if (p < end)
        p++;
    for (size_t i = 0; i < nf; i++) {
        while (p < end && *p == ' ')
            p++;
        if (p < end && *p == '-') { /* negative fields (priority): read as 0 */
            p++;
            uint64_t dummy;
            if (scope__parse_u64(&p, end, &dummy))
                return -1;
            f[i] = 0;
            continue;
        }
        if (scope__parse_u64(&p, end, &f[i]))
            return -1;
    }
    return 0;
}

static void close_task(struct task *t)
{
    if (t->stat_fd >= 0)
        close(t->stat_fd);
    if (t->status_fd >= 0)
        close(t->status_fd);
    t->stat_fd = t->status_fd = -1;
}

static int open_task(struct proc *pr, scope_collector *c, int tid, struct task *t)
{
    char path[64];
    memset(t, 0, sizeof *t);
    t->tid = tid;
    t->stat_fd = t->status_fd = -1;
    if (pr->opts.threads)
        snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pr->pid, tid);
    else
        snprintf(path, sizeof path, "/proc/%d/stat", pr->pid);
    t->stat_fd = open(path, O_RDONLY | O_CLOEXEC);
    if (t->stat_fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ESRCH)
            return scope__error(SCOPE_EGONE, e,
                                "process %d (thread %d) does not exist: %s is missing; check the "
                                "pid (it may have exited)",
                                pr->pid, tid, path);
        return scope__error_sys(scope__code_from_errno(e), e, "open %s", path);
    }
    strcpy(path + strlen(path) - 4, "status");
    t->status_fd = pr->opts.skip_status ? -2 : open(path, O_RDONLY | O_CLOEXEC);
    if (t->status_fd == -2) {
        t->status_fd = -1;
    } else if (t->status_fd < 0) {
        int e = errno;
        close(t->stat_fd);
        t->stat_fd = -1;
        return scope__error_sys(e == ENOENT ? SCOPE_EGONE : scope__code_from_errno(e), e,
                                "open %s", path);
    }
    /* Labels: pid, comm (and tid, thread). */
    char buf[1024], pid_s[16], tid_s[16], name[64] = "";
    ssize_t n = scope__pread_text(t->stat_fd, buf, sizeof buf);
    uint64_t f[1];
    if (n > 0)
        scope__proc_parse_stat(buf, (size_t)n, f, 0, name, sizeof name);
    if (tid == pr->pid) /* the main thread's comm is the process name */
        snprintf(pr->comm, sizeof pr->comm, "%s", name);
    snprintf(pid_s, sizeof pid_s, "%d", pr->pid);
    snprintf(tid_s, sizeof tid_s, "%d", tid);
    const char *keys[5] = {"pid", "comm", "tid", "thread", NULL};
    const char *vals[5] = {pid_s, pr->comm[0] ? pr->comm : name, tid_s, name, NULL};
    size_t nl = pr->opts.threads ? 4 : 2;
    static const struct {
        int metric;
        const char *k, *v;
    } spec[S_PER_TASK] = {
        {M_CPU, "mode", "user"},         {M_CPU, "mode", "system"},   {M_RSS, NULL, NULL},
        {M_MINFLT, NULL, NULL},          {M_MAJFLT, NULL, NULL},      {M_CTX, "kind", "voluntary"},
        {M_CTX, "kind", "involuntary"},  {M_THREADS, NULL, NULL},
    };
    for (int i = 0; i < S_PER_TASK; i++) {
        keys[nl] = spec[i].k;
        vals[nl] = spec[i].v;
        int rc = scope__collector_add_slot(c, (size_t)pr->metric[spec[i].metric], keys, vals,
                                           nl + (spec[i].k ? 1 : 0));
        if (rc < 0) {
            close_task(t);
            return rc;
        }
        if (i == 0)
            t->slot0 = (size_t)rc;
    }
    return 0;
}

static int has_task(const struct proc *pr, int tid)
{
    for (size_t i = 0; i < pr->ntasks; i++)
        if (pr->tasks[i].tid == tid)
            return 1;
    return 0;
}

static int add_task(struct proc *pr, scope_collector *c, int tid)
{
    if (scope__grow((void **)&pr->tasks, &pr->cap, pr->ntasks + 1, sizeof *pr->tasks))
        return scope__enomem("process tasks");
    int rc = open_task(pr, c, tid, &pr->tasks[pr->ntasks]);
    if (rc)
        return rc;
    pr->ntasks++;
    return 0;
}

/* Adds every thread not yet watched; returns how many were added. */
static int scan_threads(struct proc *pr, scope_collector *c)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pr->pid);
    DIR *d = opendir(path);
    if (!d)
        return scope__error(SCOPE_EGONE, errno, "process %d does not exist (%s): it exited",
                            pr->pid, path);
    int added = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        int tid = atoi(e->d_name);
        if (tid <= 0 || has_task(pr, tid))
            continue;
        int rc = add_task(pr, c, tid);
        if (rc == SCOPE_EGONE)
            continue; /* the thread exited between readdir and open */
        if (rc) {
            closedir(d);
            return rc;
        }
        added++;
    }
    closedir(d);
    return added;
}

static int proc_start(scope_collector *c)
{
    struct proc *pr = c->impl;
    pr->ntasks = 0;
    pr->comm[0] = '\0';
    if (!pr->opts.threads)
        return add_task(pr, c, pr->pid);
    /* The main thread first, so that comm is the process name. */
    int rc = add_task(pr, c, pr->pid);
    if (rc)
        return rc;
    rc = scan_threads(pr, c);
    return rc < 0 ? rc : 0;
}

static int proc_rescan(scope_collector *c)
{
    struct proc *pr = c->impl;
    if (!pr->opts.threads)
        return 0;
    return scan_threads(pr, c);
}

static int proc_sample(scope_collector *c, int64_t wall_ns)
{
    struct proc *pr = c->impl;
    char buf[4096];
    size_t alive = 0;
    for (size_t i = 0; i < pr->ntasks; i++) {
        struct task *t = &pr->tasks[i];
        if (t->gone)
            continue;
        ssize_t n = scope__pread_text(t->stat_fd, buf, sizeof buf);
        uint64_t f[22];
        /* f[k] is field k+4 of proc(5): minflt=10 ->6, majflt=12 ->8,
         * utime=14 ->10, stime=15 ->11, num_threads=20 ->16, rss=24 ->20 */
        if (n <= 0 || scope__proc_parse_stat(buf, (size_t)n, f, 21, NULL, 0)) {
            /* ESRCH / empty read: the task is gone (reaped or exited). */
            t->gone = 1;
            for (size_t s = 0; s < S_PER_TASK; s++)
                scope__collector_end_slot(c, t->slot0 + s, wall_ns);
            close_task(t);
            continue;
        }
        uint64_t vol = 0, invol = 0;
        ssize_t m = t->status_fd >= 0 ? scope__pread_text(t->status_fd, buf, sizeof buf) : -1;
        if (m > 0) {
            scope__kv_u64(buf, (size_t)m, "voluntary_ctxt_switches", &vol);
            scope__kv_u64(buf, (size_t)m, "nonvoluntary_ctxt_switches", &invol);
        }
        size_t s0 = t->slot0;
        scope__collector_put(c, s0 + S_USER, (double)f[10] * pr->tick_s);
        scope__collector_put(c, s0 + S_SYS, (double)f[11] * pr->tick_s);
        scope__collector_put(c, s0 + S_RSS, (double)f[20] * (double)pr->page_size);
        scope__collector_put(c, s0 + S_MINFLT, (double)f[6]);
        scope__collector_put(c, s0 + S_MAJFLT, (double)f[8]);
        if (m > 0) {
            scope__collector_put(c, s0 + S_VOL, (double)vol);
            scope__collector_put(c, s0 + S_INVOL, (double)invol);
        }
        scope__collector_put(c, s0 + S_THREADS, (double)f[16]);
        alive++;
    }
    if (!alive)
        return scope__error(SCOPE_EGONE, ESRCH, "process %d has exited: its series ended",
                            pr->pid);
    return 0;
}

static void proc_stop(scope_collector *c)
{
    struct proc *pr = c->impl;
    for (size_t i = 0; i < pr->ntasks; i++)
        close_task(&pr->tasks[i]);
    pr->ntasks = 0;
}

static void proc_destroy(scope_collector *c)
{
    struct proc *pr = c->impl;
    free(pr->tasks);
    free(pr);
}

static const struct scope__collector_ops proc_ops = {
    .type = "proc",
    .start = proc_start,
    .sample = proc_sample,
    .rescan = proc_rescan,
    .stop = proc_stop,
    .destroy = proc_destroy,
};

SCOPE_API int scope_proc_open(scope_collector **out, int pid, const scope_proc_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_proc_open: out is NULL");
    *out = NULL;
    if (pid <= 0)
        return scope__error(SCOPE_EINVAL, 0, "scope_proc_open: pid %d is not a process id", pid);
    struct proc *pr = calloc(1, sizeof *pr);
    if (!pr)
        return scope__enomem("a process collector");
    int rc = scope__opts_copy(&pr->opts, opts, sizeof pr->opts, "scope_proc_opts");
    if (rc) {
        free(pr);
        return rc;
    }
    pr->pid = pid;
    long hz = sysconf(_SC_CLK_TCK);
    pr->tick_s = 1.0 / (double)(hz > 0 ? hz : 100);
    pr->page_size = sysconf(_SC_PAGESIZE);
    char name[32];
    snprintf(name, sizeof name, "proc:%d", pid);
    scope_collector *c;
    if ((rc = scope__collector_new(&c, &proc_ops, pr, name))) {
        free(pr);
        return rc;
    }
    static const struct {
        const char *name, *unit, *help;
        int kind;
    } md[M_COUNT] = {
        {"process_cpu_seconds_total", "seconds", "CPU time spent by the process, by mode",
         SCOPE_COUNTER},
        {"process_resident_memory_bytes", "bytes", "Resident set size", SCOPE_GAUGE},
        {"process_minor_page_faults_total", "1", "Minor page faults", SCOPE_COUNTER},
        {"process_major_page_faults_total", "1", "Major page faults", SCOPE_COUNTER},
        {"process_context_switches_total", "1", "Context switches, by kind", SCOPE_COUNTER},
        {"process_threads", "1", "Number of threads", SCOPE_GAUGE},
    };
    for (int i = 0; i < M_COUNT; i++) {
        int m = scope__collector_add_metric(c, md[i].name, md[i].unit, md[i].kind, md[i].help);
        if (m < 0) {
            scope_collector_free(c);
            return m;
        }
        pr->metric[i] = m;
    }
    *out = c;
    return 0;
}
