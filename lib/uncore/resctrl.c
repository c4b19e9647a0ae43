/* resctrl monitoring (Intel RDT / AMD PQoS): MBM total/local bytes and LLC
 * occupancy per L3 domain, for the default group, an existing monitoring
 * group, or one created for a set of tasks and removed at stop.
 *
 * Files (Documentation/filesystems/resctrl.rst): info/L3_MON/mon_features,
 * <group>/tasks, <group>/mon_data/mon_L3_<id>/{llc_occupancy,
 * mbm_total_bytes, mbm_local_bytes}; reads are decimal bytes or one of
 * "Unavailable", "Unassigned", "Error". */
#include "resctrl_priv.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const struct scope__resctrl_hooks *scope__resctrl_test_hooks;

enum { F_TOTAL, F_LOCAL, F_OCC, F_COUNT };
static const char *const feature_file[F_COUNT] = {"mbm_total_bytes", "mbm_local_bytes",
                                                  "llc_occupancy"};

struct rfile {
    int fd;
    size_t slot;
};

struct resctrl {
    scope_resctrl_opts opts;
    char *root, *group, *dir;
    int features[F_COUNT];
    int metric[F_COUNT];
    int *pids;
    size_t npids, pids_cap;
    int created;
    struct rfile *files;
    size_t nfiles, files_cap;
};

static const struct scope__collector_ops resctrl_ops;

SCOPE_API int scope_resctrl_opts_init(scope_resctrl_opts *opts, size_t size)
{
    return scope__opts_init(opts, size, sizeof *opts, "scope_resctrl_opts");
}

int scope__resctrl_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n < 1 || n > 64 || !strcmp(name, ".") || !strcmp(name, ".."))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-' &&
            name[i] != '.')
            return 0;
    return 1;
}

int scope__resctrl_parse(const char *text, size_t len, uint64_t *out)
{
    const char *p = text, *end = text + len;
    while (end > p && isspace((unsigned char)end[-1]))
        end--;
    if (p == end || !isdigit((unsigned char)*p))
        return -1;
    if (scope__parse_u64(&p, end, out) || p != end)
        return -1;
    return 0;
}

static void close_files(struct resctrl *r)
{
    for (size_t i = 0; i < r->nfiles; i++)
        if (r->files[i].fd >= 0)
            close(r->files[i].fd);
    r->nfiles = 0;
}

static void remove_group(struct resctrl *r)
{
    if (!r->created)
        return;
    if (scope__resctrl_test_hooks && scope__resctrl_test_hooks->before_rmdir)
        scope__resctrl_test_hooks->before_rmdir(r->dir, scope__resctrl_test_hooks->user_data);
    rmdir(r->dir);
    r->created = 0;
}

static int cmp_str_num(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    long u = strtol(x + 7, NULL, 10), v = strtol(y + 7, NULL, 10);
    return (u > v) - (u < v);
}

static int create_group(struct resctrl *r)
{
    if (mkdir(r->dir, 0755)) {
        int e = errno;
        if (e == EEXIST)
            return scope__error(SCOPE_EEXIST, e,
                                "resctrl group %s exists already: pick another name, or set "
                                "opts.existing to watch it without creating or removing it",
                                r->dir);
        if (e == ENOSPC)
            return scope__error_sys(SCOPE_ELIMIT, e,
                                    "mkdir %s: no free RMID (see info/L3_MON/num_rmids); remove "
                                    "unused monitoring groups",
                                    r->dir);
        return scope__error_sys(scope__code_from_errno(e), e, "mkdir %s", r->dir);
    }
    r->created = 1;
    if (scope__resctrl_test_hooks && scope__resctrl_test_hooks->after_mkdir &&
        scope__resctrl_test_hooks->after_mkdir(r->dir, scope__resctrl_test_hooks->user_data))
        return scope__error(SCOPE_EIO, 0, "test hook failed for %s", r->dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/tasks", r->dir);
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return scope__error_sys(scope__code_from_errno(errno), errno, "open %s", path);
    for (size_t i = 0; i < r->npids; i++) {
        char line[32];
        int n = snprintf(line, sizeof line, "%d\n", r->pids[i]);
        if (write(fd, line, (size_t)n) != n) {
            int e = errno;
            close(fd);
            if (e == ESRCH)
                return scope__error(SCOPE_EGONE, e,
                                    "adding task %d to resctrl group %s: no such task (it "
                                    "exited)",
                                    r->pids[i], r->dir);
            return scope__error_sys(scope__code_from_errno(e), e,
                                    "adding task %d to resctrl group %s (write %s)", r->pids[i],
                                    r->dir, path);
        }
    }
    close(fd);
    return 0;
}

static int open_domains(scope_collector *c, struct resctrl *r)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/mon_data", r->dir);
    DIR *d = opendir(path);
    if (!d)
        return scope__error_sys(SCOPE_ENOTSUP, errno,
                                "resctrl group %s has no mon_data (a control-only mount, or "
                                "monitoring is disabled)",
                                r->dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "mon_L3_", 7) || !isdigit((unsigned char)e->d_name[7]))
            continue;
        if (scope__grow((void **)&names, &cap, n + 1, sizeof *names) ||
            !(names[n] = scope__strdup(e->d_name))) {
            rc = scope__enomem("resctrl domains");
            break;
        }
        n++;
    }
    closedir(d);
    if (!rc && !n)
        rc = scope__error(SCOPE_ENOTSUP, 0, "%s lists no mon_L3_<id> domain", path);
    if (!rc)
        qsort(names, n, sizeof *names, cmp_str_num);
    const char *grp = r->group ? r->group : "/";
    for (size_t i = 0; i < n && !rc; i++) {
        char dom[16];
        snprintf(dom, sizeof dom, "%ld", strtol(names[i] + 7, NULL, 10));
        for (int f = 0; f < F_COUNT && !rc; f++) {
            if (!r->features[f])
                continue;
            char fp[4200];
            snprintf(fp, sizeof fp, "%s/%s/%s", path, names[i], feature_file[f]);
            int fd = open(fp, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
            if (fd < 0)
                continue; /* feature not in this domain */
            const char *keys[2] = {"group", "domain"}, *vals[2] = {grp, dom};
            int slot = scope__collector_add_slot(c, (size_t)r->metric[f], keys, vals, 2);
            if (slot < 0 ||
                scope__grow((void **)&r->files, &r->files_cap, r->nfiles + 1, sizeof *r->files)) {
                close(fd);
                rc = slot < 0 ? slot : scope__enomem("resctrl files");
                break;
            }
            r->files[r->nfiles].fd = fd;
            r->files[r->nfiles].slot = (size_t)slot;
            r->nfiles++;
        }
    }
    if (!rc && !r->nfiles)
        rc = scope__error(SCOPE_ENOTSUP, 0, "no monitoring file could be opened under %s", path);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static void resctrl_stop(scope_collector *c)
{
    struct resctrl *r = c->impl;
    close_files(r);
    remove_group(r);
}

static int resctrl_start(scope_collector *c)
{
    struct resctrl *r = c->impl;
    scope__collector_clear_slots(c);
    int rc = 0;
    if (r->group && !r->opts.existing)
        rc = create_group(r);
    else {
        struct stat st;
        if (stat(r->dir, &st) || !S_ISDIR(st.st_mode))
            rc = scope__error(SCOPE_ENOENT, errno,
                              "resctrl group %s does not exist: create it, or leave "
                              "opts.existing 0 so that libscope creates it",
                              r->dir);
    }
    if (!rc)
        rc = open_domains(c, r);
    if (rc) {
        resctrl_stop(c);
        scope__collector_clear_slots(c);
    }
    return rc;
}

static int resctrl_sample(scope_collector *c, int64_t wall_ns)
{
    struct resctrl *r = c->impl;
    size_t alive = 0;
    for (size_t i = 0; i < r->nfiles; i++) {
        struct rfile *f = &r->files[i];
        if (f->fd < 0)
            continue;
        char buf[64];
        ssize_t n = scope__pread_text(f->fd, buf, sizeof buf);
        if (n < 0) {
            /* the group was removed under us */
            close(f->fd);
            f->fd = -1;
            scope__collector_end_slot(c, f->slot, wall_ns);
            continue;
        }
        alive++;
        uint64_t v;
        if (!scope__resctrl_parse(buf, (size_t)n, &v))
            scope__collector_put(c, f->slot, (double)v);
        /* "Unavailable", "Unassigned", "Error": no value this sample */
    }
    if (!alive && r->nfiles)
        return scope__error(SCOPE_EGONE, ENOENT, "resctrl group %s vanished: its series ended",
                            r->dir);
    return 0;
}

static void resctrl_destroy(scope_collector *c)
{
    struct resctrl *r = c->impl;
    if (!r)
        return;
    close_files(r);
    remove_group(r);
    free(r->files);
    free(r->pids);
    free(r->root);
    free(r->group);
    free(r->dir);
    free(r);
}

static const struct scope__collector_ops resctrl_ops = {
    .type = "resctrl",
    .start = resctrl_start,
    .sample = resctrl_sample,
    .stop = resctrl_stop,
    .destroy = resctrl_destroy,
};

static int read_features(struct resctrl *r)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/info", r->root);
    struct stat st;
    if (stat(path, &st))
        return scope__error(SCOPE_ENODEV, errno,
                            "resctrl is not mounted at %s (%s is missing): mount it with "
                            "'mount -t resctrl resctrl %s'; it needs a CPU with RDT/PQoS "
                            "monitoring (cpu flags cqm_mbm_total, cqm_mbm_local, cqm_occup_llc) "
                            "and a kernel built with CONFIG_X86_CPU_RESCTRL",
                            r->root, path, r->root);
    snprintf(path, sizeof path, "%s/info/L3_MON/mon_features", r->root);
    FILE *f = fopen(path, "re");
    if (!f)
        return scope__error(SCOPE_ENOTSUP, errno,
                            "resctrl at %s has no L3 monitoring (%s is missing): this CPU "
                            "offers allocation only (no cqm_* cpu flags)",
                            r->root, path);
    char line[128];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        for (int i = 0; i < F_COUNT; i++)
            if (!strcmp(line, feature_file[i]))
                r->features[i] = 1;
    }
    fclose(f);
    if (!r->features[F_TOTAL] && !r->features[F_LOCAL] && !r->features[F_OCC])
        return scope__error(SCOPE_ENOTSUP, 0,
                            "%s lists none of mbm_total_bytes, mbm_local_bytes, llc_occupancy",
                            path);
    return 0;
}

SCOPE_API int scope_resctrl_open(scope_collector **out, const scope_resctrl_opts *opts)
{
    if (!out)
        return scope__error(SCOPE_EINVAL, 0, "scope_resctrl_open: out is NULL");
    *out = NULL;
    struct resctrl *r = calloc(1, sizeof *r);
    if (!r)
        return scope__enomem("a resctrl collector");
    int rc = scope__opts_copy(&r->opts, opts, sizeof r->opts, "scope_resctrl_opts");
    if (!rc && r->opts.reserved0)
        rc = scope__error(SCOPE_EINVAL, 0, "scope_resctrl_opts.reserved0 must be 0");
    if (rc) {
        free(r);
        return rc;
    }
    struct scope_collector tmp = {.impl = r};
    const char *root = r->opts.root && *r->opts.root ? r->opts.root : "/sys/fs/resctrl";
    const char *g = r->opts.group;
    if (g && !scope__resctrl_name_ok(g)) {
        resctrl_destroy(&tmp);
        return scope__error(SCOPE_EINVAL, 0,
                            "resctrl group name '%s' is not allowed: use 1-64 characters of "
                            "A-Z a-z 0-9 _ . - (not '.' or '..')",
                            g);
    }
    if (!(r->root = scope__strdup(root)) || (g && !(r->group = scope__strdup(g))) ||
        !(r->dir = g ? scope__asprintf("%s/mon_groups/%s", root, g) : scope__strdup(root))) {
        resctrl_destroy(&tmp);
        return scope__enomem("a resctrl collector");
    }
    r->opts.root = NULL;
    r->opts.group = NULL;
    if ((rc = read_features(r))) {
        resctrl_destroy(&tmp);
        return rc;
    }
    char name[128];
    snprintf(name, sizeof name, "resctrl:%s", g ? g : "default");
    scope_collector *c;
    if ((rc = scope__collector_new(&c, &resctrl_ops, r, name))) {
        resctrl_destroy(&tmp);
        return rc;
    }
    static const struct {
        const char *name, *help;
        int kind;
    } md[F_COUNT] = {
        {"resctrl_mbm_total_bytes_total", "DRAM bytes of the group's tasks (MBM total)",
         SCOPE_COUNTER},
        {"resctrl_mbm_local_bytes_total",
         "DRAM bytes of the group's tasks to local-node memory (MBM local)", SCOPE_COUNTER},
        {"resctrl_llc_occupancy_bytes", "L3 cache bytes held by the group's tasks (CMT)",
         SCOPE_GAUGE},
    };
    for (int i = 0; i < F_COUNT; i++) {
        int m = scope__collector_add_metric(c, md[i].name, "bytes", md[i].kind, md[i].help);
        if (m < 0) {
            scope_collector_free(c);
            return m;
        }
        r->metric[i] = m;
    }
    *out = c;
    return 0;
}

SCOPE_API int scope_resctrl_add_pid(scope_collector *c, int pid)
{
    if (!c || c->ops != &resctrl_ops)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_resctrl_add_pid: not a collector from scope_resctrl_open");
    struct resctrl *r = c->impl;
    if (!r->group || r->opts.existing)
        return scope__error(SCOPE_EINVAL, 0,
                            "scope_resctrl_add_pid: tasks go into a group libscope creates: set "
                            "opts.group (and leave opts.existing 0)");
    if (pid <= 0)
        return scope__error(SCOPE_EINVAL, 0, "scope_resctrl_add_pid: %d is not a task id", pid);
    if (c->started)
        return scope__error(SCOPE_ESTATE, 0,
                            "scope_resctrl_add_pid: the collector is started; add tasks before "
                            "scope_collector_start");
    if (scope__grow((void **)&r->pids, &r->pids_cap, r->npids + 1, sizeof *r->pids))
        return scope__enomem("resctrl tasks");
    r->pids[r->npids++] = pid;
    return 0;
}
