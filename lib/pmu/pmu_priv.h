/* The scope_pmu handle's layout, shared by the lib/pmu sources and lib/topdown. */
#ifndef SCOPE_PMU_PRIV_H
#define SCOPE_PMU_PRIV_H

#include "pmu_internal.h"


struct scope__pgroup {
    size_t first, n; /* events [first, first + n) */
    int split;       /* made by splitting a group the kernel refused */
};

struct scope__ptarget {
    int kind;   /* scope_pmu_target */
    int id;     /* pid or tid */
    char *path; /* cgroup */
    char *cpus; /* CPU list, NULL = online */
    int cgfd;   /* the cgroup directory while started */
};

/* One descriptor per event for one (task | cgroup+cpu | cpu). */
struct scope__fdset {
    size_t row;
    int pid, cpu;
    unsigned long flags;
    int inherit;
    int dead;
    int *fds;
    uint64_t *ids;
    uint64_t *raw, *en, *run; /* last read, per event */
    double *scaled;
};

struct scope__prow {
    int target, pid, tid;
    size_t tindex; /* index of the target; (size_t)-1 for self */
    char *name;
    int gone, live;
    uint64_t *raw, *en, *run;
    double *scaled;
};

struct scope_pmu {
    scope_pmu_opts opts;
    char *root;
    struct scope__evlist ev;
    int *evgroup;
    struct scope__pgroup *groups;
    size_t ngroups;
    struct scope__ptarget *targets;
    size_t ntargets, tcap;
    struct scope__prow *rows;
    size_t nrows, rcap;
    struct scope__fdset *sets;
    size_t nsets, scap;
    uint64_t *buf;
    size_t buflen;
    int started;
    scope__buf notes, split_notes;
};

void scope__pmu_layout(scope_pmu *p);
/* The identifying labels of row @r (target, then pid / tid / thread, comm,
 * cgroup or cpus) appended to @keys/@vals at *n (room for 5 more); @pid_s
 * and @tid_s are caller buffers of 16 bytes the values may point into. */
void scope__pmu_row_labels(const scope_pmu *p, size_t r, const char **keys, const char **vals,
                           size_t *n, char *pid_s, char *tid_s);
int scope__cpulist_parse(const char *s, int **out, size_t *n);
/* Builds the explaining error for a failed perf_event_open (errno @err).
 * @where names the target ("pid 12 (thread 13)"); @cpu_wide: a CPU-wide or
 * cgroup open; @need_fds: descriptors the set needs. Pure apart from
 * reading perf_event_paranoid, nmi_watchdog and the sysfs root. */
int scope__pmu_open_error(int err, const char *event, int hardware, const char *where,
                          const char *root, int cpu_wide, long need_fds);

#endif
