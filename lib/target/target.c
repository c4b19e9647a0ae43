/* Targets: what to observe, and the tasks (with their cgroups) a target
 * covers now, read from /proc. */
#include "../cgroup/cgroup_int.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct scope_target {
    int kind;
    int id;       /* pid or tid */
    int threads;
    char *text;   /* cgroup spec, container id or pattern */
    int *cpus;
    size_t ncpus;
};

struct row {
    int pid, tid;
    char *comm, *cgroup, *container;
};

struct scope_target_list {
    struct row *rows;
    size_t n, cap;
};

SCOPE_API const char *scope_target_kind_name(int kind)
{
    switch (kind) {
    case SCOPE_TARGET_PID: return "pid";
    case SCOPE_TARGET_TID: return "tid";
    case SCOPE_TARGET_CGROUP: return "cgroup";
    case SCOPE_TARGET_CONTAINER: return "container";
    case SCOPE_TARGET_PATTERN: return "pattern";
    case SCOPE_TARGET_CPUS: return "cpus";
    default: return "unknown";
    }
}

SCOPE_API void scope_target_free(scope_target *t)
{
    if (!t)
        return;
    free(t->text);
    free(t->cpus);
    free(t);
}

SCOPE_API int scope_target_kind_of(const scope_target *t) { return t ? t->kind : 0; }

SCOPE_API size_t scope_target_cpu_count(const scope_target *t)
{
    return t && t->kind == SCOPE_TARGET_CPUS ? t->ncpus : 0;
}

SCOPE_API int scope_target_cpu_at(const scope_target *t, size_t i)
{
    return t && t->kind == SCOPE_TARGET_CPUS && i < t->ncpus ? t->cpus[i] : -1;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* "0-3,8,10-11" -> sorted unique list. */
static int parse_cpus(scope_target *t, const char *s)
{
    const char *p = s;
    size_t cap = 0;
    if (!*p)
        return -1;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b;
        if (end == p || a < 0 || a > 65535)
            return -1;
        b = a;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a || b > 65535)
                return -1;
            p = end;
        }
        for (long c = a; c <= b; c++) {
            if (scope__grow((void **)&t->cpus, &cap, t->ncpus + 1, sizeof *t->cpus))
                return -2;
            t->cpus[t->ncpus++] = (int)c;
        }
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    qsort(t->cpus, t->ncpus, sizeof *t->cpus, cmp_int);
    size_t w = 0;
    for (size_t i = 0; i < t->ncpus; i++)
        if (!w || t->cpus[w - 1] != t->cpus[i])
            t->cpus[w++] = t->cpus[i];
    t->ncpus = w;
    return 0;
}

static int parse_id(const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || v <= 0 || v > 0x7fffffff || errno)
        return -1;
    *out = (int)v;
    return 0;
}

SCOPE_API int scope_target_parse(scope_target **out, const char *spec)
{
    static const char forms[] = "pid:<n>[+threads], tid:<n>, cgroup:<path|pid:n|pod:uid>, "
                                "container:<id>, comm:<glob>[+threads], cpus:<list e.g. 0-3,8>";
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_target_parse: out is NULL");
    *out = NULL;
    if (!spec)
        return scope__error(SCOPE_EINVAL, 0, "scope_target_parse: spec is NULL; give %s", forms);
    scope_target *t = calloc(1, sizeof *t);
    if (!t)
        return scope__enomem("a target");
    const char *colon = strchr(spec, ':');
    char kind[16] = "";
    if (colon && (size_t)(colon - spec) < sizeof kind)
        memcpy(kind, spec, (size_t)(colon - spec));
    const char *val = colon ? colon + 1 : "";
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", val);
    size_t bl = strlen(buf);
    if (bl > 8 && strcmp(buf + bl - 8, "+threads") == 0 &&
        (strcmp(kind, "pid") == 0 || strcmp(kind, "comm") == 0)) {
        t->threads = 1;
        buf[bl - 8] = '\0';
    }
    int bad = 0;
    if (strcmp(kind, "pid") == 0 || strcmp(kind, "tid") == 0) {
        t->kind = kind[0] == 'p' ? SCOPE_TARGET_PID : SCOPE_TARGET_TID;
        bad = parse_id(buf, &t->id);
    } else if (strcmp(kind, "cgroup") == 0 || strcmp(kind, "container") == 0 ||
               strcmp(kind, "comm") == 0) {
        t->kind = kind[0] == 'c' && kind[1] == 'g' ? SCOPE_TARGET_CGROUP
                  : kind[1] == 'o' && kind[2] == 'n' ? SCOPE_TARGET_CONTAINER
                                                     : SCOPE_TARGET_PATTERN;
        bad = !buf[0];
        if (!bad && t->kind == SCOPE_TARGET_CONTAINER) {
            size_t l = strlen(buf);
            bad = l < 12 || l > 64;
            for (size_t i = 0; !bad && i < l; i++)
                bad = !isxdigit((unsigned char)buf[i]);
        }
        if (!bad) {
            t->text = scope__strdup(buf);
            if (!t->text) {
                scope_target_free(t);
                return scope__enomem("a target");
            }
        }
    } else if (strcmp(kind, "cpus") == 0) {
        t->kind = SCOPE_TARGET_CPUS;
        int r = parse_cpus(t, buf);
        if (r == -2) {
            scope_target_free(t);
            return scope__enomem("a CPU list");
        }
        bad = r != 0;
    } else {
        bad = 1;
    }
    if (bad) {
        scope_target_free(t);
        return scope__error(SCOPE_EINVAL, 0, "'%s' is not a target; give %s", spec, forms);
    }
    *out = t;
    return 0;
}

SCOPE_API void scope_target_list_free(scope_target_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        free(l->rows[i].comm);
        free(l->rows[i].cgroup);
        free(l->rows[i].container);
    }
    free(l->rows);
    free(l);
}

SCOPE_API size_t scope_target_list_count(const scope_target_list *l) { return l ? l->n : 0; }

SCOPE_API int scope_target_list_at(const scope_target_list *l, size_t i, int *pid, int *tid,
                                   const char **comm, const char **cgroup,
                                   const char **container)
{
    if (!l || i >= l->n)
        return scope__error(SCOPE_EINVAL, 0, "scope_target_list_at: index %zu out of range (%zu rows)",
                            i, l ? l->n : 0);
    const struct row *r = &l->rows[i];
    if (pid)
        *pid = r->pid;
    if (tid)
        *tid = r->tid;
    if (comm)
        *comm = r->comm;
    if (cgroup)
        *cgroup = r->cgroup;
    if (container)
        *container = r->container;
    return 0;
}

/* Reads a small /proc file; strips the trailing newline. -1 when absent. */
static int read_text(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    return (int)n;
}

static int add_row(scope_target_list *l, const scope_cgroup_mounts *m, int pid, int tid,
                   const char *comm)
{
    char cg[4096] = "", id[80] = "";
    if (m && scope_cgroup_pid_path(cg, sizeof cg, m, pid, NULL) == 0) {
        if (scope_cgroup_container_id(id, sizeof id, cg))
            id[0] = '\0';
    } else {
        cg[0] = '\0';
    }
    if (scope__grow((void **)&l->rows, &l->cap, l->n + 1, sizeof *l->rows))
        return scope__enomem("target rows");
    struct row *r = &l->rows[l->n];
    r->pid = pid;
    r->tid = tid;
    r->comm = scope__strdup(comm);
    r->cgroup = scope__strdup(cg);
    r->container = scope__strdup(id);
    if (!r->comm || !r->cgroup || !r->container) {
        free(r->comm);
        free(r->cgroup);
        free(r->container);
        return scope__enomem("target rows");
    }
    l->n++;
    return 0;
}

static int comm_of(int pid, int tid, char *buf, size_t cap)
{
    char path[64];
    if (tid > 0)
        snprintf(path, sizeof path, "/proc/%d/task/%d/comm", pid, tid);
    else
        snprintf(path, sizeof path, "/proc/%d/comm", pid);
    return read_text(path, buf, cap) < 0 ? -1 : 0;
}

/* Adds the process (one row) or each of its threads. 1 when added, 0 when
 * it vanished meanwhile, < 0 on error. */
static int add_process(scope_target_list *l, const scope_cgroup_mounts *m, int pid, int threads,
                       const char *pcomm)
{
    if (!threads)
        return add_row(l, m, pid, pid, pcomm) ? -1 : 1;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    int rc = 1;
    while ((e = readdir(d))) {
        int tid = atoi(e->d_name);
        char tc[64];
        if (tid <= 0 || comm_of(pid, tid, tc, sizeof tc))
            continue;
        if (add_row(l, m, pid, tid, tc)) {
            rc = -1;
            break;
        }
    }
    closedir(d);
    return rc;
}

/* The process name a pattern is matched against: comm, and when comm is
 * truncated (15 characters) the basename of argv[0] as well. */
static int name_matches(int pid, const char *pattern, char *comm, size_t cap)
{
    if (comm_of(pid, 0, comm, cap))
        return 0;
    if (fnmatch(pattern, comm, 0) == 0)
        return 1;
    if (strlen(comm) < 15)
        return 0;
    char path[64], argv0[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    if (read_text(path, argv0, sizeof argv0) <= 0)
        return 0;
    const char *base = strrchr(argv0, '/');
    return fnmatch(pattern, base ? base + 1 : argv0, 0) == 0;
}

SCOPE_API int scope_target_resolve(scope_target_list **out, const scope_target *t,
                                   const scope_cgroup_mounts *mounts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_target_resolve: out is NULL");
    *out = NULL;
    if (!t)
        return scope__error(SCOPE_EINVAL, 0, "scope_target_resolve: target is NULL");
    scope_cgroup_mounts *own = NULL;
    const scope_cgroup_mounts *m = mounts;
    int rc = 0;
    if (!m && t->kind != SCOPE_TARGET_CPUS) {
        rc = scope_cgroup_mounts_new(&own, NULL);
        if (rc && (t->kind == SCOPE_TARGET_CGROUP || t->kind == SCOPE_TARGET_CONTAINER))
            return rc;
        m = own; /* NULL when no cgroup is mounted: the cgroup column stays empty */
        rc = 0;
    }
    scope_target_list *l = calloc(1, sizeof *l);
    if (!l) {
        scope_cgroup_mounts_free(own);
        return scope__enomem("a target list");
    }
    char comm[64];
    switch (t->kind) {
    case SCOPE_TARGET_PID:
        if (comm_of(t->id, 0, comm, sizeof comm)) {
            rc = scope__error(SCOPE_EGONE, ESRCH, "process %d does not exist (no /proc/%d)", t->id,
                              t->id);
            break;
        }
        if (add_process(l, m, t->id, t->threads, comm) < 0)
            rc = SCOPE_ENOMEM;
        break;
    case SCOPE_TARGET_TID: {
        /* /proc/<tid> also resolves thread ids; its status names the tgid */
        char path[64], st[4096];
        snprintf(path, sizeof path, "/proc/%d/status", t->id);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, st, sizeof st - 1) : -1;
        if (fd >= 0)
            close(fd);
        uint64_t tgid;
        if (n <= 0 || scope__kv_u64(st, (size_t)n, "Tgid", &tgid)) {
            rc = scope__error(SCOPE_EGONE, ESRCH, "thread %d does not exist", t->id);
            break;
        }
        if (comm_of((int)tgid, t->id, comm, sizeof comm) ||
            add_row(l, m, (int)tgid, t->id, comm))
            rc = scope__error(SCOPE_EGONE, ESRCH, "thread %d exited", t->id);
        break;
    }
    case SCOPE_TARGET_CGROUP:
    case SCOPE_TARGET_CONTAINER: {
        char spec[4200], path[4096], dir[8192];
        if (t->kind == SCOPE_TARGET_CONTAINER)
            snprintf(spec, sizeof spec, "container:%s", t->text);
        else
            snprintf(spec, sizeof spec, "%s", t->text);
        if ((rc = scope_cgroup_resolve(path, sizeof path, m, spec)))
            break;
        /* cgroup.procs in the hierarchy the path was resolved in */
        const char *ctl;
        if ((rc = scope__cg_primary(m, NULL, NULL, &ctl)))
            break;
        if (scope__cg_dir(dir, sizeof dir - 16, m, *ctl ? ctl : NULL, path)) {
            rc = scope__error(SCOPE_ENOENT, 0, "cgroup %s lies outside the mounted hierarchy",
                              path);
            break;
        }
        strcat(dir, "/cgroup.procs");
        FILE *f = fopen(dir, "re");
        if (!f) {
            rc = scope__error_sys(SCOPE_EGONE, errno, "cannot read %s", dir);
            break;
        }
        char line[32];
        while (fgets(line, sizeof line, f)) {
            int pid = atoi(line);
            if (pid <= 0 || comm_of(pid, 0, comm, sizeof comm))
                continue;
            if (add_row(l, m, pid, pid, comm)) {
                rc = SCOPE_ENOMEM;
                break;
            }
        }
        fclose(f);
        break;
    }
    case SCOPE_TARGET_PATTERN: {
        DIR *d = opendir("/proc");
        if (!d) {
            rc = scope__error_sys(SCOPE_ENOENT, errno, "cannot list /proc (is it mounted?)");
            break;
        }
        struct dirent *e;
        while ((e = readdir(d))) {
            int pid = atoi(e->d_name);
            if (pid <= 0 || !name_matches(pid, t->text, comm, sizeof comm))
                continue;
            if (add_process(l, m, pid, t->threads, comm) < 0) {
                rc = SCOPE_ENOMEM;
                break;
            }
        }
        closedir(d);
        break;
    }
    case SCOPE_TARGET_CPUS:
        break;
    default:
        rc = scope__error(SCOPE_EINVAL, 0, "target of unknown kind %d", t->kind);
    }
    scope_cgroup_mounts_free(own);
    if (rc) {
        scope_target_list_free(l);
        return rc;
    }
    *out = l;
    return 0;
}
