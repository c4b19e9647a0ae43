/*
 * libscope: top-down microarchitecture analysis (TMA) level 1, and level 2
 * where the CPU and the formulas allow, as toplev (pmu-tools) and the
 * kernel's perf metrics compute it.
 *
 * A scope_topdown holds one recipe (the events to count and the formulas):
 *   skylake, skylakex  Intel up to Cascade Lake: 4-wide, generic counters,
 *                      SMT-aware (THREAD_ANY halved when SMT is on); L2:
 *                      Fetch_Latency/Bandwidth, Branch_Mispredicts,
 *                      Machine_Clears, Memory_Bound, Core_Bound,
 *                      Heavy/Light_Operations
 *   icelake, icelakex  Intel Ice/Tiger Lake: slots-led perf-metrics group
 *                      (width 5, CLEARS_COUNT term); L2 from generic events
 *                      (the hardware has no L2 fields): Fetch_Latency/
 *                      Bandwidth, Branch_Mispredicts, Machine_Clears,
 *                      Memory_Bound, Core_Bound, Heavy/Light_Operations
 *   sapphirerapids     SPR/EMR: perf metrics incl. the L2 fields (width 6)
 *   alderlake          hybrid: cpu_core as sapphirerapids and cpu_atom
 *                      (5-wide, ordinary events); nodes carry the core type
 *   amdzen4, amdzen5   AMD pipeline utilisation, 6 / 8 dispatch slots per
 *                      cycle, with SMT_Contention; L2 (Zen 5 splits
 *                      Bad_Speculation with bp_redirects.resync)
 * Node names are pmu-tools': Frontend_Bound, Bad_Speculation,
 * Backend_Bound, Retiring, SMT_Contention (AMD), and level-2 names
 * (Fetch_Latency, Memory_Bound, Heavy_Operations, ...). Values are fractions
 * of all slots (0..1).
 *
 * The recipe comes from CPUID vendor/family/model plus sysfs probes, or is
 * named (the kernel's pmu-events directory names above). On a CPU it does
 * not know, scope_topdown_new fails with SCOPE_ENOTSUP and names the
 * nearest recipe to pass explicitly.
 *
 * Counts come from a live scope_pmu (scope_topdown_pmu_new +
 * scope_topdown_read_pmu) or from recorded data (scope_topdown_add,
 * scope_topdown_add_raw, scope_topdown_add_perf_metrics,
 * scope_topdown_replay_csv for `perf stat -x, [-I N]` output,
 * scope_topdown_replay_csv_rows for its --per-thread and -A forms): both feed
 * the same accumulate-then-compute path. Counts accumulate: adding the
 * counts of several intervals gives the slot-weighted whole, which is the
 * right way to combine Icelake-style reset-on-read readings (never average
 * fractions).
 *
 * Thread-safety: one handle per thread at a time. Since: 0.1
 */
#ifndef SCOPE_TOPDOWN_H
#define SCOPE_TOPDOWN_H

#include "common.h"
#include "pmu.h"

SCOPE_BEGIN_DECLS

typedef struct scope_topdown scope_topdown;

/** Options for scope_topdown_new(). Zero means default for every field. */
typedef struct scope_topdown_opts {
    size_t size;            /**< sizeof(scope_topdown_opts), set by the _INIT macro */
    const char *cpu;        /**< recipe name (skylake, ..., amdzen5); NULL: detect */
    int32_t level;          /**< 1 (default) or 2 */
    int32_t smt;            /**< 0: detect (/sys/devices/system/cpu/smt/active), 1: off, 2: on */
    const char *sysfs_root; /**< PMU sysfs root for probes and encodings; NULL: default */
    const char *cpuid;      /**< "GenuineIntel-6-55" / "AuthenticAMD-25-17" (family and
                                 model decimal or 0x hex) instead of this CPU's CPUID */
} scope_topdown_opts;

#define SCOPE_TOPDOWN_OPTS_INIT { sizeof(scope_topdown_opts), NULL, 0, 0, NULL, NULL }

/**
 * scope_topdown_opts_init - initialises @opts for FFI callers.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_topdown_opts_init(scope_topdown_opts *opts, size_t size);

/**
 * scope_topdown_detect - the recipe for a CPU.
 * @recipe: out, the recipe name or NULL when none fits; static string.
 * @nearest: out, the closest recipe (set also when none fits); may be NULL.
 * @cpuid: as scope_topdown_opts.cpuid, NULL for this CPU.
 * @sysfs_root: NULL for the default.
 * Returns: 0; SCOPE_ENOTSUP when no recipe fits (the message names the CPU
 * and the nearest recipe); SCOPE_EINVAL for a malformed @cpuid.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_topdown_detect(const char **recipe, const char **nearest, const char *cpuid,
                                   const char *sysfs_root);

/**
 * scope_topdown_new - creates a top-down computation.
 * Returns: 0; SCOPE_ENOTSUP (unknown CPU: the message names the nearest
 * recipe; or level 2 asked of a recipe without it); SCOPE_EINVAL (unknown
 * recipe name: the message lists them; bad opts); SCOPE_ENOMEM.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_topdown_new(scope_topdown **out, const scope_topdown_opts *opts);

/** scope_topdown_free - frees; NULL is accepted. Since: 0.1 */
SCOPE_API void scope_topdown_free(scope_topdown *td);

/** scope_topdown_recipe - the recipe name (static string), NULL for NULL. Since: 0.1 */
SCOPE_API const char *scope_topdown_recipe(const scope_topdown *td);

/** scope_topdown_level - 1 or 2. Since: 0.1 */
SCOPE_API int scope_topdown_level(const scope_topdown *td);

/**
 * scope_topdown_events - the perf event list of the recipe, with groups, in
 * the form scope_pmu_new() and `perf stat -e` accept, e.g.
 * "{cpu/event=0x0,umask=0x4/,cpu/event=0x0,umask=0x80/,...},{...}".
 * Owned by @td, valid until scope_topdown_free. Since: 0.1
 */
SCOPE_API const char *scope_topdown_events(const scope_topdown *td);

/** scope_topdown_event_count - number of events the recipe counts. Since: 0.1 */
SCOPE_API size_t scope_topdown_event_count(const scope_topdown *td);

/**
 * scope_topdown_event_at - event @i: @key (libscope's short name, e.g.
 * "uops_issued.any"), @spec (its perf form on the core PMU, as in
 * scope_topdown_events). Out pointers may be NULL; strings owned by @td.
 * Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_topdown_event_at(const scope_topdown *td, size_t i, const char **key,
                                     const char **spec);

/**
 * scope_topdown_reset - zeroes the accumulated counts (start of an
 * interval). Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_topdown_reset(scope_topdown *td);

/**
 * scope_topdown_add - adds @count to event @event.
 * @event: the key, the perf spec, a perf alias or JSON name
 * (topdown-fe-bound, slots, ls_not_halted_cyc, uops_issued.any,
 * cpu/event=0x3c,umask=0x0/, cpu_core/topdown-retiring/), or a raw rNNNN of
 * the same config; case-insensitive; modifiers (:u) ignored.
 * Returns: 0; SCOPE_ENOENT when the recipe has no such event (the message
 * lists its events); SCOPE_EINVAL (NULL, negative or NaN count). Since: 0.1
 */
SCOPE_API int scope_topdown_add(scope_topdown *td, const char *event, double count);

/**
 * scope_topdown_add_raw - adds a multiplexed reading: @raw scaled by
 * @enabled_ns / @running_ns (nothing when @running_ns is 0).
 * Returns: as scope_topdown_add. Since: 0.1
 */
SCOPE_API int scope_topdown_add_raw(scope_topdown *td, const char *event, uint64_t raw,
                                    uint64_t enabled_ns, uint64_t running_ns);

/**
 * scope_topdown_add_perf_metrics - adds one Icelake+ reading taken with
 * rdpmc or any reset-on-read path: @slots (fixed counter 3) and the raw
 * PERF_METRICS value (byte i = field i / 255: retiring, bad speculation,
 * frontend, backend, heavy ops, branch mispredict, fetch latency, memory
 * bound). Each field becomes slots x byte/255 (normalised by the sum of the
 * four level-1 bytes, as the kernel does) and accumulates.
 * @core: "cpu_core" for hybrids, NULL otherwise.
 * Returns: 0; SCOPE_ENOTSUP when the recipe has no perf metrics.
 * Since: 0.1
 */
SCOPE_API int scope_topdown_add_perf_metrics(scope_topdown *td, const char *core,
                                             uint64_t slots, uint64_t metrics);

/**
 * scope_topdown_compute - computes every node from the accumulated counts.
 * Returns: 0; SCOPE_ENOENT when an event the formulas need has no count
 * (the message names it); SCOPE_EINVAL when the slots (cycles) count is 0:
 * nothing ran. Since: 0.1
 */
SCOPE_API int scope_topdown_compute(scope_topdown *td);

/** scope_topdown_node_count - nodes computed by the last compute. Since: 0.1 */
SCOPE_API size_t scope_topdown_node_count(const scope_topdown *td);

/**
 * scope_topdown_node_at - node @i of the last compute.
 * @name: pmu-tools node name; @level: 1 or 2; @parent: level-1 parent name
 * or NULL; @core: "cpu_core" / "cpu_atom" for hybrids, NULL otherwise;
 * @value: fraction of slots. Out pointers may be NULL; strings are static.
 * Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_topdown_node_at(const scope_topdown *td, size_t i, const char **name,
                                    int *level, const char **parent, const char **core,
                                    double *value);

/**
 * scope_topdown_value - the value of node @name (and @core for hybrids,
 * NULL for the first match) from the last compute.
 * Returns: 0 or SCOPE_ENOENT. Since: 0.1
 */
SCOPE_API int scope_topdown_value(const scope_topdown *td, const char *name, const char *core,
                                  double *value);

/**
 * scope_topdown_pmu_new - a counter set for the recipe's events
 * (scope_pmu_new with scope_topdown_events(td)). Add targets, start, read,
 * then scope_topdown_read_pmu.
 * Returns: as scope_pmu_new. Since: 0.1
 */
SCOPE_API int scope_topdown_pmu_new(scope_pmu **out, const scope_topdown *td,
                                    const scope_pmu_opts *opts);

/**
 * scope_topdown_read_pmu - resets the counts, adds row @row's scaled values
 * of @p (made by scope_topdown_pmu_new) and computes. For interval output
 * pass the difference of two readings instead: see
 * scope_topdown_read_pmu_delta.
 * Returns: as scope_topdown_compute, or SCOPE_EINVAL (not the recipe's set).
 * Since: 0.1
 */
SCOPE_API int scope_topdown_read_pmu(scope_topdown *td, const scope_pmu *p, size_t row);

/**
 * scope_topdown_read_pmu_delta - like scope_topdown_read_pmu over the
 * interval since the previous call with the same @td (the first call covers
 * everything since start). Keeps the previous values inside @td.
 * Returns: as scope_topdown_read_pmu; SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_topdown_read_pmu_delta(scope_topdown *td, const scope_pmu *p, size_t row);

/**
 * Called by scope_topdown_replay_csv after each interval was computed.
 * @t_s: the interval's end time in seconds as perf printed it (-1 for a
 * file without -I: the whole run). Returns non-zero to stop (SCOPE_EUSER).
 * Called on the caller's thread.
 */
typedef int (*scope_topdown_interval_cb)(scope_topdown *td, double t_s, void *user_data);

/**
 * scope_topdown_replay_csv - reads `perf stat -x, [-I N] -e ...` output
 * (CSV: [time,]value,unit,event,run_time,pcnt_running[,metric,unit]) from
 * @path and computes each interval (and, for -I files, finally the whole run
 * from the summed counts, with t_s = -1). Lines for events outside the
 * recipe, comments and <not counted> / <not supported> values are skipped;
 * a needed event that never appears fails the compute.
 * Returns: the number of intervals computed (>= 1); SCOPE_ENOENT (no
 * file); SCOPE_EPARSE (malformed line: the message gives its number);
 * compute errors; SCOPE_EUSER. Since: 0.1
 */
SCOPE_API int scope_topdown_replay_csv(scope_topdown *td, const char *path,
                                       scope_topdown_interval_cb cb, void *user_data);

/** What a replayed row stands for. Since: 0.1 */
typedef enum scope_topdown_row_kind {
    SCOPE_TOPDOWN_ROW_TOTAL = 0,  /**< all threads / CPUs of the file together */
    SCOPE_TOPDOWN_ROW_THREAD = 1, /**< one thread (`perf stat --per-thread`) */
    SCOPE_TOPDOWN_ROW_CPU = 2     /**< one CPU (`perf stat -A`) */
} scope_topdown_row_kind;

/**
 * One row of a replay, handed to scope_topdown_row_cb. Valid during the
 * callback only; strings owned by the replay. Fields may be appended in
 * later versions: read only up to @size. Since: 0.1
 */
typedef struct scope_topdown_row {
    size_t size;       /**< sizeof(scope_topdown_row) of the library */
    int32_t kind;      /**< a scope_topdown_row_kind */
    int32_t interval;  /**< 0, 1, ... for the intervals of a -I file; -1 for the
                            whole run (and for the one result of a file without -I) */
    int64_t id;        /**< the thread id or CPU number; -1 for the total */
    const char *label; /**< as perf printed it ("worker_0-2660", "CPU3"); "total" for
                            the total of a per-thread / per-CPU file; NULL for the
                            total of a file without rows */
    const char *comm;  /**< the thread name ("worker_0") for thread rows, else NULL */
} scope_topdown_row;

/**
 * Called by scope_topdown_replay_csv_rows after a row of an interval was
 * computed: the nodes are @td's (scope_topdown_node_at and friends).
 * @t_s: as in scope_topdown_interval_cb (-1: the whole run). Returns non-zero
 * to stop (SCOPE_EUSER). Called on the caller's thread.
 */
typedef int (*scope_topdown_row_cb)(scope_topdown *td, double t_s, const scope_topdown_row *row,
                                    void *user_data);

/**
 * scope_topdown_replay_csv_rows - scope_topdown_replay_csv that also reads
 * `perf stat -x, --per-thread` (rows "comm-tid") and `perf stat -x, -A`
 * (rows "CPUn") output, with or without -I, and computes every row on its
 * own as well as the total of all rows (the process, the system), through
 * the same accumulate-then-compute path as live counts.
 * Per interval, @cb sees each row in the order of first appearance, then the
 * total; for -I files the whole run follows (t_s -1), per row and in total,
 * from the summed counts. A row whose interval lacks a needed count or saw
 * no cycles (the thread did not run: perf prints <not counted>) is left out
 * of that interval; the total must compute. Files without rows give only
 * the total (label NULL), exactly as scope_topdown_replay_csv.
 * Lines of other aggregation modes (--per-socket, --per-die, --per-core) are
 * refused as malformed; -G output (a cgroup column after the event) is not
 * understood.
 * Returns: the number of intervals computed (>= 1); errors as
 * scope_topdown_replay_csv, plus SCOPE_EPARSE for a file mixing lines with
 * and without rows, and SCOPE_ENOMEM. Thread-safety: as @td. Since: 0.1
 */
SCOPE_API int scope_topdown_replay_csv_rows(scope_topdown *td, const char *path,
                                            scope_topdown_row_cb cb, void *user_data);

/**
 * scope_topdown_collector_new - a collector (recorder.h samples it) that
 * reads @p and appends, per row of @p and per node, the fraction of the
 * interval since the previous sample:
 *   topdown_fraction   gauge, labels node, level, parent (level 2),
 *                      core (hybrids), recipe, target and pid / tid /
 *                      thread / comm / cgroup / cpus as scope_pmu's collector
 * A row whose interval saw no slots (nothing ran) gets no point.
 * @td: the recipe; @p: made by scope_topdown_pmu_new(td, ...), targets added,
 * not started. Takes ownership of both (freed with the collector).
 * Returns: 0; SCOPE_EINVAL (NULL, @p started or not made for @td: then both
 * stay the caller's); SCOPE_ENOMEM.
 * Thread-safety: any thread; then collector.h's rules. Since: 0.1
 */
SCOPE_API int scope_topdown_collector_new(scope_collector **out, scope_topdown *td,
                                          scope_pmu *p);

SCOPE_END_DECLS

#endif /* SCOPE_TOPDOWN_H */
