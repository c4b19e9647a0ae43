/*
 * libscope: uncore memory bandwidth ("PCM-style") and resctrl monitoring.
 *
 * Discovery reads the kernel's perf PMUs from a sysfs root (default /sys:
 * PMUs under <root>/bus/event_source/devices, CPU topology under
 * <root>/devices/system/cpu) and builds a bandwidth *plan*: one counter per
 * (memory-controller PMU, socket) with its perf encoding, the CPU to open it
 * on and the bytes one count stands for. Plans exist for
 *   - Intel server IMC: uncore_imc_<N> cas_count_read / cas_count_write
 *     (SNB-EP..CLX, ICX, SPR/EMR); on parts whose free-running IMC counters
 *     count bytes (ICX: uncore_imc_free_running_<N> read / write) those are
 *     used instead, as they take no programmable counter;
 *   - Intel client IMC: uncore_imc data_reads / data_writes (whole package);
 *   - AMD Zen 4/5: amd_umc_<N> umc_cas_cmd with rdwrmask 1 (read) / 2 (write);
 *   - AMD Zen 2/3: amd_df dram_channel_data_controller_<0..7> (event 0x07 +
 *     0x40 per channel, umask 0x38): read and write together, not separable.
 *
 * Units: every byte count and rate in this API is in bytes and bytes per
 * second. The kernel's .scale files give MiB (2^20 bytes); PCM and the
 * kernel's bandwidth metrics print MB/s (10^6). Convert with
 * SCOPE_UNCORE_MB or SCOPE_UNCORE_MIB, never mix them.
 *
 * Uncore counters are system-wide: opening them needs perf_event_paranoid
 * <= 0, CAP_PERFMON or CAP_SYS_ADMIN, and a machine whose kernel exposes the
 * PMUs (bare metal; most VMs have none). Per-container bandwidth only
 * exists through resctrl MBM (scope_resctrl_open).
 *
 * Thread-safety: a plan nobody frees may be read from many threads at once
 * (its getters only read); the *_name() helpers and the pure arithmetic
 * (scope_uncore_delta, scope_uncore_plan_rates) may be called from any
 * thread; a collector follows collector.h (one thread at a time).
 * Ownership: strings returned by plan getters belong to the plan and live
 * until scope_uncore_plan_free().
 *
 * Since: 0.1
 */
#ifndef SCOPE_UNCORE_H
#define SCOPE_UNCORE_H

#include "common.h"
#include "collector.h"

#include <stddef.h>
#include <stdint.h>

SCOPE_BEGIN_DECLS

/** Bytes in a decimal megabyte (PCM's and the kernel metrics' MB/s). */
#define SCOPE_UNCORE_MB 1000000.0
/** Bytes in a mebibyte (the unit of the kernel's .scale files). */
#define SCOPE_UNCORE_MIB 1048576.0

/** The kind of bandwidth plan a machine gets. Numbers are never reused. */
typedef enum scope_uncore_kind {
    SCOPE_UNCORE_NONE = 0,
    SCOPE_UNCORE_INTEL_IMC = 1,          /**< uncore_imc_<N> CAS counts */
    SCOPE_UNCORE_INTEL_IMC_FREERUN = 2,  /**< uncore_imc_free_running_<N> read/write */
    SCOPE_UNCORE_INTEL_IMC_CLIENT = 3,   /**< uncore_imc data_reads/data_writes */
    SCOPE_UNCORE_AMD_DF = 4,             /**< amd_df DRAM channel beats (Zen 2/3) */
    SCOPE_UNCORE_AMD_UMC = 5             /**< amd_umc_<N> CAS commands (Zen 4/5) */
} scope_uncore_kind;

/** What a planned counter counts. Numbers are never reused. */
typedef enum scope_uncore_dir {
    SCOPE_UNCORE_READ = 1,
    SCOPE_UNCORE_WRITE = 2,
    SCOPE_UNCORE_READ_WRITE = 3 /**< reads and writes together (amd_df) */
} scope_uncore_dir;

/**
 * scope_uncore_kind_name / scope_uncore_dir_name - static names ("intel_imc",
 * "read", ...); "unknown" for other values. Never NULL. Since: 0.1
 */
SCOPE_API const char *scope_uncore_kind_name(int kind);
SCOPE_API const char *scope_uncore_dir_name(int dir);

/** Options for scope_uncore_plan_new() and scope_uncore_open(). */
typedef struct scope_uncore_opts {
    size_t size;            /**< sizeof(scope_uncore_opts), set by the _INIT macro */
    const char *sysfs_root; /**< NULL or "": "/sys" (copied) */
    int32_t prefer_cas;     /**< non-zero: Intel CAS counters even where free-running ones exist */
    int32_t reserved0;      /**< must be 0 (keeps the struct free of padding) */
} scope_uncore_opts;

#define SCOPE_UNCORE_OPTS_INIT { sizeof(scope_uncore_opts), NULL, 0, 0 }

/**
 * scope_uncore_opts_init - initialises @opts for FFI callers: zeroes @size
 * bytes and records the size.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_uncore_opts_init(scope_uncore_opts *opts, size_t size);

/** A discovered machine: its uncore PMUs and its bandwidth plan. Immutable. */
typedef struct scope_uncore_plan scope_uncore_plan;

/**
 * scope_uncore_plan_new - discovers the uncore PMUs under the sysfs root and
 * plans the bandwidth counters. Opens no perf event.
 *
 * @out: receives the plan; the caller frees it with scope_uncore_plan_free.
 * @opts: options or NULL.
 *
 * An uncore PMU is any PMU directory with a cpumask file other than the core
 * PMUs (cpu, cpu_core, cpu_atom); one whose files do not parse is skipped
 * unless it is a memory-controller PMU (uncore_imc*, amd_umc_*, amd_df),
 * whose errors are returned. The socket of each counter is the CPU's
 * topology/physical_package_id (else the rank of the CPU among all planned
 * CPUs); channels are numbered per socket in PMU order.
 * Returns: 0; SCOPE_ENODEV when no memory-controller PMU exists (the message
 * lists what was probed and what exists, and names bare metal or resctrl as
 * the way out); SCOPE_EPARSE (a malformed sysfs file, named); SCOPE_EINVAL
 * (bad opts); SCOPE_ENOMEM.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_uncore_plan_new(scope_uncore_plan **out, const scope_uncore_opts *opts);

/** scope_uncore_plan_free - frees @p (NULL allowed). Since: 0.1 */
SCOPE_API void scope_uncore_plan_free(scope_uncore_plan *p);

/** scope_uncore_plan_kind - the plan's scope_uncore_kind. Since: 0.1 */
SCOPE_API int scope_uncore_plan_kind(const scope_uncore_plan *p);

/** scope_uncore_plan_sockets / _channels - the number of sockets and the
 * largest number of channels of one socket (grid sizes for
 * scope_uncore_plan_rates). Since: 0.1 */
SCOPE_API size_t scope_uncore_plan_sockets(const scope_uncore_plan *p);
SCOPE_API size_t scope_uncore_plan_channels(const scope_uncore_plan *p);

/** scope_uncore_plan_counter_count - the number of planned counters. Since: 0.1 */
SCOPE_API size_t scope_uncore_plan_counter_count(const scope_uncore_plan *p);

/**
 * scope_uncore_plan_counter - where and what counter @i is.
 *
 * Every out parameter may be NULL. Strings are borrowed until
 * scope_uncore_plan_free. @event is the sysfs alias name or the perf terms
 * used to encode it; @socket is the physical package id, @channel the index
 * within the socket; @dir a scope_uncore_dir.
 * Returns: 0 or SCOPE_EINVAL (@i out of range). Thread-safety: any thread.
 * Since: 0.1
 */
SCOPE_API int scope_uncore_plan_counter(const scope_uncore_plan *p, size_t i, const char **pmu,
                                        const char **event, int *cpu, int *socket, int *channel,
                                        int *dir);

/**
 * scope_uncore_plan_encoding - the perf_event_attr values of counter @i and
 * its conversion: count * @scale is in @unit (the sysfs .scale/.unit, or 1
 * and "" when sysfs has none); @bytes_per_count is what one count stands for
 * in bytes (64 for one cache line); @width the hardware counter width in bits.
 * Out parameters may be NULL; @unit is borrowed until scope_uncore_plan_free.
 * Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_uncore_plan_encoding(const scope_uncore_plan *p, size_t i, uint32_t *type,
                                         uint64_t *config, uint64_t *config1, double *scale,
                                         const char **unit, double *bytes_per_count,
                                         int *width);

/**
 * scope_uncore_plan_rates - bandwidth from two readings of every counter.
 *
 * @before, @after: raw counts, one per planned counter (index order).
 * @width: the width the values wrap at: 64 for perf's folded counts, or the
 *   hardware width (scope_uncore_plan_encoding) for raw readings; a reading
 *   that went down is taken as one wrap (after + 2^width - before).
 * @seconds: the interval (> 0).
 * @chan_read, @chan_write, @chan_total: NULL or arrays of sockets*channels
 *   doubles, index socket_index*channels + channel, in bytes per second;
 *   cells with no counter are 0. Counters of reads and writes together
 *   (SCOPE_UNCORE_READ_WRITE, Zen 2/3 amd_df) add to the totals only.
 * @sock_read, @sock_write, @sock_total: NULL or arrays of sockets doubles:
 *   per-socket sums in bytes per second.
 * Sockets are indexed in ascending socket id (0..sockets-1).
 * Returns: 0 or SCOPE_EINVAL (NULL plan or readings, seconds <= 0, width not
 * in 1..64). Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_uncore_plan_rates(const scope_uncore_plan *p, const uint64_t *before,
                                      const uint64_t *after, int width, double seconds,
                                      double *chan_read, double *chan_write, double *chan_total,
                                      double *sock_read, double *sock_write, double *sock_total);

/**
 * scope_uncore_delta - @after - @before modulo 2^@width (1..64): the count
 * between two raw readings of a @width-bit counter that wrapped at most once.
 * Returns 0 for a width out of range. Since: 0.1
 */
SCOPE_API uint64_t scope_uncore_delta(uint64_t before, uint64_t after, int width);

/** scope_uncore_pmu_count - the number of uncore PMUs discovered (memory
 * controllers and others: cha, upi, amd_l3, power, ...). Since: 0.1 */
SCOPE_API size_t scope_uncore_pmu_count(const scope_uncore_plan *p);

/**
 * scope_uncore_pmu_at - PMU @i: @name, perf @type, @cpumask (as sysfs lists
 * it, e.g. "0,28"), and how many formats and events it has. Strings borrowed
 * until scope_uncore_plan_free; outs may be NULL.
 * Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_uncore_pmu_at(const scope_uncore_plan *p, size_t i, const char **name,
                                  uint32_t *type, const char **cpumask, size_t *nformats,
                                  size_t *nevents);

/**
 * scope_uncore_pmu_format - format @j of PMU @i: @name ("umask") and its
 * @spec in sysfs syntax ("config:8-15,24-27"). Borrowed strings.
 * Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_uncore_pmu_format(const scope_uncore_plan *p, size_t i, size_t j,
                                      const char **name, const char **spec);

/**
 * scope_uncore_pmu_event - event @j of PMU @i: @name, @terms
 * ("event=0x04,umask=0x03"), @scale (1 without a .scale file) and @unit (""
 * without a .unit file). Borrowed strings.
 * Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_uncore_pmu_event(const scope_uncore_plan *p, size_t i, size_t j,
                                     const char **name, const char **terms, double *scale,
                                     const char **unit);

/**
 * scope_uncore_open - a collector of DRAM traffic from the plan of this
 * machine (discovered now, as scope_uncore_plan_new does).
 *
 * Series (counters, bytes since start; labels socket, channel, pmu):
 *   uncore_memory_read_bytes_total{socket,channel,pmu}
 *   uncore_memory_write_bytes_total{socket,channel,pmu}
 *   uncore_memory_bytes_total{socket,channel,pmu}     read + write
 *   uncore_memory_socket_read_bytes_total{socket}
 *   uncore_memory_socket_write_bytes_total{socket}
 *   uncore_memory_socket_bytes_total{socket}
 * (amd_df plans have only the read + write series). scope_collector_start()
 * opens one perf event per counter with pid -1 on the PMU's cpumask CPU of
 * the socket; counts are scaled by time_enabled/time_running when the kernel
 * multiplexed them.
 *
 * @out: receives the collector (scope_collector_free).
 * @opts: options or NULL.
 * Returns: as scope_uncore_plan_new. Start returns SCOPE_EPERM when
 * perf_event_paranoid or capabilities forbid system-wide counting (the
 * message gives the level and the fix), SCOPE_ENODEV when a PMU refuses the
 * event; on any start error nothing stays open.
 * Thread-safety: any thread; the collector then follows collector.h.
 * Since: 0.1
 */
SCOPE_API int scope_uncore_open(scope_collector **out, const scope_uncore_opts *opts);

/* --- resctrl (Intel RDT / AMD PQoS monitoring) ---------------------------- */

/** Options for scope_resctrl_open(). */
typedef struct scope_resctrl_opts {
    size_t size;              /**< sizeof(scope_resctrl_opts) */
    const char *root;         /**< NULL or "": "/sys/fs/resctrl" (copied) */
    const char *group;        /**< NULL: the default group; else a monitoring group name */
    int32_t existing;         /**< non-zero: @group exists already; watch it, never create or remove it */
    int32_t reserved0;        /**< must be 0 (keeps the struct free of padding) */
} scope_resctrl_opts;

#define SCOPE_RESCTRL_OPTS_INIT { sizeof(scope_resctrl_opts), NULL, NULL, 0, 0 }

/** scope_resctrl_opts_init - as scope_uncore_opts_init. Since: 0.1 */
SCOPE_API int scope_resctrl_opts_init(scope_resctrl_opts *opts, size_t size);

/**
 * scope_resctrl_open - a collector of resctrl monitoring data per L3 domain.
 *
 * Series (labels group = the group name, or "/" for the default group, and
 * domain = the L3 cache id of mon_L3_<id>):
 *   resctrl_mbm_total_bytes_total  counter, bytes (all DRAM traffic)
 *   resctrl_mbm_local_bytes_total  counter, bytes (local-node DRAM traffic)
 *   resctrl_llc_occupancy_bytes    gauge, bytes
 * only for the features listed in info/L3_MON/mon_features. The MBM values
 * are the kernel's byte counts since the group's RMID was allocated (the
 * kernel extends the hardware counters, so they do not wrap): bandwidth is
 * their rate. A reading of "Unavailable", "Unassigned" or "Error" leaves
 * that sample out; when the group is removed by someone else its series end
 * and sampling returns SCOPE_EGONE.
 *
 * With @opts->group set (and not existing), start creates
 * <root>/mon_groups/<group> (mode 0755), writes each pid given with
 * scope_resctrl_add_pid to its tasks file, and stop removes the directory
 * again (the kernel moves its tasks back to the parent group). Group names
 * are 1..64 characters of [A-Za-z0-9_.-], not "." or "..", so they cannot
 * leave mon_groups/; an existing directory of that name is never adopted
 * (SCOPE_EEXIST).
 *
 * @out: receives the collector.
 * @opts: options or NULL.
 * Returns: 0; SCOPE_ENODEV (resctrl is not mounted at the root: the message
 * says how to mount it and what hardware it needs); SCOPE_ENOTSUP (no
 * monitoring features); SCOPE_EINVAL (bad group name or opts); SCOPE_ENOMEM.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_resctrl_open(scope_collector **out, const scope_resctrl_opts *opts);

/**
 * scope_resctrl_add_pid - adds task @pid to the monitoring group that
 * @c (from scope_resctrl_open with a group) creates at start. Call before
 * scope_collector_start.
 * Returns: 0, SCOPE_EINVAL (not a resctrl collector, no group, pid <= 0),
 * SCOPE_ESTATE (already started) or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_resctrl_add_pid(scope_collector *c, int pid);

SCOPE_END_DECLS

#endif /* SCOPE_UNCORE_H */
