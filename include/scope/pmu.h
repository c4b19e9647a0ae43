/*
 * libscope: hardware and software counter groups (perf_event_open).
 *
 * A scope_pmu holds an event list and a set of targets. Events are written
 * in perf's forms:
 *   - generic names: cycles, instructions, branch-misses, cache-misses, ...
 *   - software events: task-clock, context-switches (cs), page-faults
 *     (faults), cpu-migrations, minor-faults, major-faults, cpu-clock, ...
 *   - hardware cache events: L1-dcache-load-misses, LLC-loads, dTLB-loads, ...
 *   - sysfs PMU terms and aliases: cpu/event=0xc2,umask=0x2/,
 *     uncore_imc_0/cas_count_read/, any PMU under
 *     /sys/bus/event_source/devices, encoded through its format/ files;
 *     an alias's .scale and .unit are applied to scaled values
 *   - bare aliases of the core PMU (slots, topdown-retiring) or of a single
 *     other PMU
 *   - raw r01c2 (PERF_TYPE_RAW)
 *   - libpfm4 names (INST_RETIRED:ANY_P, amd64_fam19h_zen4::RETIRED_OPS)
 *     when libscope was built with libpfm4
 * Modifiers :u :k :h (count user / kernel / hypervisor only; combinations
 * like :uk), :G :H (guest / host), :D (pinned). Braces make a group:
 * "{cycles,instructions}:u,task-clock".
 *
 * Every group is read with ONE read() (PERF_FORMAT_GROUP |
 * TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING | ID). Events written outside
 * braces are packed into groups too (consecutive ones share a group) so that
 * a read costs one system call per group. A group the kernel refuses because
 * its hardware events do not fit the counters is split into smaller groups
 * that the kernel multiplexes; scope_pmu_notes() says so, and each value
 * comes with its running/enabled ratio: scaling is reported, never hidden.
 *
 * Targets (add before scope_pmu_start; with none, the calling thread):
 *   - a thread (scope_pmu_add_tid)
 *   - a process with all its threads, existing ones and those created
 *     later (scope_pmu_add_pid), summed into one row, or one row per
 *     thread with its name (opts.per_thread)
 *   - several processes (call scope_pmu_add_pid for each: one row each)
 *   - a cgroup (scope_pmu_add_cgroup: one group per online CPU with
 *     PERF_FLAG_PID_CGROUP, summed; needs perf_event_paranoid <= 0 or root)
 *   - CPUs system-wide (scope_pmu_add_cpus: one group per CPU, summed)
 *
 * Values are cumulative since scope_pmu_start(): raw counts, scaled counts
 * (raw x enabled/running, x the sysfs .scale) and the running/enabled ratio.
 *
 * Thread-safety: a scope_pmu is used by one thread at a time. Since: 0.1
 */
#ifndef SCOPE_PMU_H
#define SCOPE_PMU_H

#include "common.h"
#include "collector.h"

SCOPE_BEGIN_DECLS

typedef struct scope_pmu scope_pmu;

/** Options for scope_pmu_new(). Zero means default for every field. */
typedef struct scope_pmu_opts {
    size_t size;             /**< sizeof(scope_pmu_opts), set by the _INIT macro */
    const char *sysfs_root;  /**< PMU sysfs root; NULL: $SCOPE_SYSFS_ROOT or
                                  /sys/bus/event_source/devices. Copied. */
    int32_t per_thread;      /**< process targets: one row per thread (tid and thread
                                  name) instead of one summed row */
    int32_t no_inherit;      /**< process targets: do not count threads and children
                                  created after start */
    int32_t no_libpfm;       /**< never resolve names through libpfm4 */
    int32_t max_group_events;/**< split groups larger than this (0: as large as the
                                  kernel accepts) */
} scope_pmu_opts;

#define SCOPE_PMU_OPTS_INIT { sizeof(scope_pmu_opts), NULL, 0, 0, 0, 0 }

/** What a row of values counts (scope_pmu_row_info). Values are fixed. */
typedef enum scope_pmu_target {
    SCOPE_PMU_SELF = 0,    /**< the thread that called scope_pmu_start */
    SCOPE_PMU_THREAD = 1,  /**< one thread (scope_pmu_add_tid, or per_thread rows) */
    SCOPE_PMU_PROCESS = 2, /**< a process, all threads summed */
    SCOPE_PMU_CGROUP = 3,  /**< a cgroup, all CPUs summed */
    SCOPE_PMU_CPUS = 4     /**< CPUs system-wide, summed */
} scope_pmu_target;

/**
 * scope_pmu_target_name - "self", "thread", "process", "cgroup", "cpus".
 * Returns: a static string, never NULL ("unknown" for other values).
 * Thread-safety: any thread. Errors: none. Since: 0.1
 */
SCOPE_API const char *scope_pmu_target_name(int target);

/**
 * scope_pmu_opts_init - initialises @opts for FFI callers: zeroes @size bytes
 * and records the size.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_pmu_opts_init(scope_pmu_opts *opts, size_t size);

/**
 * scope_pmu_new - parses an event list and creates a counter set.
 *
 * @out: receives the handle; the caller owns it (scope_pmu_free).
 * @events: the event list (see the file comment); copied.
 * @opts: options or NULL.
 * Nothing is opened until scope_pmu_start().
 * Returns: 0; SCOPE_EINVAL (NULL argument, bad opts, bad modifier);
 * SCOPE_EPARSE (malformed list); SCOPE_ENOENT (unknown event: the message
 * lists the forms tried and the events and PMUs this machine offers);
 * SCOPE_ENOMEM.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_pmu_new(scope_pmu **out, const char *events, const scope_pmu_opts *opts);

/**
 * scope_pmu_free - closes (if started) and frees. @p may be NULL.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API void scope_pmu_free(scope_pmu *p);

/**
 * scope_pmu_add_tid - counts thread @tid (its row: SCOPE_PMU_THREAD).
 * Returns: 0, SCOPE_EINVAL (tid <= 0, NULL), SCOPE_ESTATE (started),
 * SCOPE_ENOMEM. Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_pmu_add_tid(scope_pmu *p, int tid);

/**
 * scope_pmu_add_pid - counts process @pid with all its threads: one summed
 * row, or one row per thread when opts.per_thread is set (threads created
 * later appear after scope_pmu_rescan()).
 * Returns: 0, SCOPE_EINVAL, SCOPE_ESTATE, SCOPE_ENOMEM.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_pmu_add_pid(scope_pmu *p, int pid);

/**
 * scope_pmu_add_cgroup - counts everything running in cgroup @path (and its
 * descendants), one event group per online CPU, summed into one row.
 * @path: an absolute cgroup directory (/sys/fs/cgroup/unified/x or
 *        /sys/fs/cgroup/perf_event/x), or a path relative to the cgroup
 *        mount (tried under /sys/fs/cgroup, /sys/fs/cgroup/unified and
 *        /sys/fs/cgroup/perf_event at start). Copied.
 * Returns: 0, SCOPE_EINVAL, SCOPE_ESTATE, SCOPE_ENOMEM.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_pmu_add_cgroup(scope_pmu *p, const char *path);

/**
 * scope_pmu_add_cpus - counts CPUs system-wide, summed into one row.
 * @cpus: a CPU list such as "0-3,8", or NULL / "" for every online CPU.
 * Returns: 0, SCOPE_EINVAL (malformed list), SCOPE_ESTATE, SCOPE_ENOMEM.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_pmu_add_cpus(scope_pmu *p, const char *cpus);

/**
 * scope_pmu_start - opens every group on every target and enables counting.
 * Returns: 0, or an error whose message explains the cause and the fix:
 * SCOPE_ENODEV (a hardware event on a machine without a core PMU: the
 * message lists the PMUs that exist); SCOPE_EPERM (perf_event_paranoid or
 * missing privileges: the message gives the current value and what the
 * target needs); SCOPE_ELIMIT (file-descriptor limit, with the number of
 * descriptors needed; counters held by another user or the NMI watchdog);
 * SCOPE_EGONE (the process or thread does not exist); SCOPE_ENOENT (no such
 * cgroup); SCOPE_EINVAL (the kernel refused an encoding); SCOPE_ESTATE
 * (already started). After a failure nothing stays open.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_pmu_start(scope_pmu *p);

/**
 * scope_pmu_read - reads every group (one read() per group per CPU or
 * thread) and updates the values. Never allocates.
 * Returns: 0; SCOPE_EGONE when every target has vanished (the last values
 * stay readable); SCOPE_ESTATE when not started; SCOPE_EIO.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_pmu_read(scope_pmu *p);

/**
 * scope_pmu_rescan - in per-thread mode, adds rows for threads of the
 * process targets created since start (allocates, opens descriptors).
 * Returns: the number of rows added (>= 0), SCOPE_ESTATE when not started,
 * or an open error as scope_pmu_start. Since: 0.1
 */
SCOPE_API int scope_pmu_rescan(scope_pmu *p);

/**
 * scope_pmu_stop - closes every descriptor. Values stay readable until the
 * next start. Returns: 0 or SCOPE_EINVAL (NULL). Since: 0.1
 */
SCOPE_API int scope_pmu_stop(scope_pmu *p);

/** scope_pmu_event_count - number of events in the list. Errors: none. Since: 0.1 */
SCOPE_API size_t scope_pmu_event_count(const scope_pmu *p);

/**
 * scope_pmu_event_name - event @i as written (without braces), or NULL when
 * out of range. Owned by @p, valid until scope_pmu_free. Since: 0.1
 */
SCOPE_API const char *scope_pmu_event_name(const scope_pmu *p, size_t i);

/**
 * scope_pmu_event_unit - the unit of event @i's scaled value from sysfs
 * (.unit, e.g. "MiB"), "" when none, NULL when out of range. Since: 0.1
 */
SCOPE_API const char *scope_pmu_event_unit(const scope_pmu *p, size_t i);

/**
 * scope_pmu_event_attr - the perf_event_attr encoding of event @i.
 * Each out pointer may be NULL.
 * Returns: 0 or SCOPE_EINVAL (out of range). Since: 0.1
 */
SCOPE_API int scope_pmu_event_attr(const scope_pmu *p, size_t i, uint32_t *type,
                                   uint64_t *config, uint64_t *config1, uint64_t *config2);

/**
 * scope_pmu_event_group - the group event @i is read with (0-based; after
 * start it reflects splits), or SCOPE_EINVAL when out of range. Since: 0.1
 */
SCOPE_API int scope_pmu_event_group(const scope_pmu *p, size_t i);

/** scope_pmu_group_count - number of groups (after start: after splits). Since: 0.1 */
SCOPE_API size_t scope_pmu_group_count(const scope_pmu *p);

/** scope_pmu_row_count - number of value rows (one per target, or per thread). Since: 0.1 */
SCOPE_API size_t scope_pmu_row_count(const scope_pmu *p);

/**
 * scope_pmu_row_info - describes row @row.
 * @target: out, a scope_pmu_target; @pid, @tid: out (0 when not
 * applicable); @name: out, the thread name (per-thread rows and tids), the
 * process name, the cgroup path or the CPU list; owned by @p, valid until the
 * next start, rescan (which refreshes thread names) or free. Each out pointer
 * may be NULL.
 * Returns: 0, SCOPE_EGONE when the row's target has exited (values are its
 * last ones), SCOPE_EINVAL (out of range). Since: 0.1
 */
SCOPE_API int scope_pmu_row_info(const scope_pmu *p, size_t row, int *target, int *pid,
                                 int *tid, const char **name);

/**
 * scope_pmu_value - event @event of row @row, as of the last read.
 * @raw: out, the sum of the raw counts; @scaled: out, the sum of
 * raw x time_enabled/time_running per descriptor, times the event's sysfs
 * .scale (0 when it never ran); @ratio: out, time_running/time_enabled
 * (1 = never multiplexed, 0 = never scheduled, NAN before any time passed).
 * Each out pointer may be NULL.
 * Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_pmu_value(const scope_pmu *p, size_t row, size_t event, uint64_t *raw,
                              double *scaled, double *ratio);

/**
 * scope_pmu_times - time_enabled and time_running (ns, summed over the
 * row's descriptors) of event @event in row @row. Out pointers may be NULL.
 * Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_pmu_times(const scope_pmu *p, size_t row, size_t event,
                              uint64_t *enabled_ns, uint64_t *running_ns);

/**
 * scope_pmu_notes - what the user should know about the last start/read:
 * groups split because they did not fit, multiplexed groups with their
 * ratios, groups never scheduled (counters held elsewhere, e.g. by the NMI
 * watchdog). Returns "" when nothing to say; owned by @p, valid until the
 * next call on @p. Never NULL. Since: 0.1
 */
SCOPE_API const char *scope_pmu_notes(scope_pmu *p);

/**
 * scope_pmu_encode - encodes one event (no braces) without creating a set.
 * @sysfs_root: NULL for the default. Out pointers may be NULL.
 * Returns: 0 or the errors of scope_pmu_new. Thread-safety: any thread.
 * Since: 0.1
 */
SCOPE_API int scope_pmu_encode(const char *event, const char *sysfs_root, uint32_t *type,
                               uint64_t *config, uint64_t *config1, uint64_t *config2);

/**
 * scope_pmu_collector_new - wraps @p in a collector (recorder.h samples it).
 * Takes ownership of @p (freed with the collector), which must not be
 * started. Each sample reads @p and appends, per row and event:
 *   perf_<event>_total           counter, the scaled value (event name with
 *                                every non-alphanumeric run as '_')
 *   perf_<event>_raw_total       counter, the raw count
 *   perf_<event>_running_ratio   gauge, time_running/time_enabled
 * with labels event (as written), target, and pid / tid / thread / comm /
 * cgroup / cpus as applicable. Per-thread rows appear after
 * scope_collector_rescan(); exited threads end their series.
 * Returns: 0, SCOPE_EINVAL (NULL, started @p), SCOPE_ENOMEM (then @p is
 * still the caller's).
 * Thread-safety: any thread; then collector.h's rules. Since: 0.1
 */
SCOPE_API int scope_pmu_collector_new(scope_collector **out, scope_pmu *p);

SCOPE_END_DECLS

#endif /* SCOPE_PMU_H */
