/* Uncore bandwidth internals: the plan's layout, shared by plan.c,
 * collector.c and the internal test suite. Never installed. */
#ifndef SCOPE_UNCORE_PRIV_H
#define SCOPE_UNCORE_PRIV_H

#include "../pmu/pmu_internal.h"

struct scope__uncore_counter {
    char *pmu;     /* borrowed from the plan's PMU list */
    char *event;   /* alias name or terms (owned) */
    int cpu, socket, sidx, channel, dir, width;
    uint32_t type;
    uint64_t config, config1;
    double scale;       /* sysfs .scale or 1 */
    const char *unit;   /* borrowed: alias unit or "" */
    double bpc;         /* bytes per count */
};

struct scope__uncore_pmu {
    scope__pmu_info *info;
    char **fspec; /* one "config:0-7,32-35" per info->formats[i] */
};

struct scope_uncore_plan {
    char *sysroot, *pmuroot;
    int kind;
    struct scope__uncore_pmu *pmus;
    size_t npmus;
    struct scope__uncore_counter *ctr;
    size_t nctr;
    int *socket_ids; /* ascending, nsockets of them */
    size_t nsockets, nchannels;
};

/* Parses a sysfs CPU list ("0,28", "0-3,8"), returning up to @cap CPUs in
 * @cpus; the count (>= 0) or SCOPE_EPARSE / SCOPE_ENOSPC. Pure. */
int scope__uncore_cpulist(const char *text, int *cpus, size_t cap);

/* Bytes one count stands for, from an alias's .scale and .unit: MiB -> 2^20,
 * MB -> 1e6, KiB/kB, B/bytes; 64 (one cache line) when the unit is absent or
 * unknown. Pure. */
double scope__uncore_bytes_per_count(double scale, const char *unit);

/* Formats @f back into sysfs syntax into @buf. */
void scope__uncore_format_spec(const struct scope__pmu_format *f, char *buf, size_t cap);

#endif
