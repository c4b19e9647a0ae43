/*
 * libscope: the process collector. CPU time, memory, page faults, context
 * switches and thread count of one process (or of each of its threads),
 * read from /proc/<pid>/stat and /proc/<pid>/status, the numbers `ps`,
 * `top` and Prometheus client libraries' process_* metrics report.
 *
 * Series (labels: pid, comm; per-thread mode adds tid and thread):
 *   process_cpu_seconds_total{mode="user"|"system"}   counter, seconds
 *   process_resident_memory_bytes                     gauge, bytes
 *   process_minor_page_faults_total                   counter
 *   process_major_page_faults_total                   counter
 *   process_context_switches_total{kind="voluntary"|"involuntary"} counter
 *   process_threads                                   gauge
 * CPU times come in clock ticks (sysconf(_SC_CLK_TCK)) and are converted to
 * seconds; their resolution is one tick (10 ms at USER_HZ 100).
 *
 * Since: 0.1
 */
#ifndef SCOPE_PROC_H
#define SCOPE_PROC_H

#include "common.h"
#include "collector.h"

SCOPE_BEGIN_DECLS

/** Options for scope_proc_open(). Zero means default for every field. */
typedef struct scope_proc_opts {
    size_t size;       /**< sizeof(scope_proc_opts), set by the _INIT macro */
    int32_t threads;   /**< non-zero: one set of series per thread (tid, thread labels) */
    int32_t skip_status; /**< non-zero: do not read /proc/<pid>/status (no context-switch
                              series; halves the cost of a sample) */
} scope_proc_opts;

#define SCOPE_PROC_OPTS_INIT { sizeof(scope_proc_opts), 0, 0 }

/**
 * scope_proc_opts_init - initialises @opts for FFI callers that cannot use
 * the macro: zeroes @size bytes and records the size.
 * Returns: 0 or SCOPE_EINVAL (NULL, or size smaller than a size_t).
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_proc_opts_init(scope_proc_opts *opts, size_t size);

/**
 * scope_proc_open - creates a collector for process @pid.
 *
 * @out: receives the collector; the caller owns it (scope_collector_free).
 * @pid: the process id (> 0).
 * @opts: options or NULL for defaults.
 *
 * Nothing is opened until scope_collector_start(), which opens
 * /proc/<pid>/stat and /proc/<pid>/status (per thread in thread mode) and
 * fails with SCOPE_EGONE when the process does not exist. When the process
 * exits while sampled, its series end and sampling returns SCOPE_EGONE. In
 * thread mode, scope_collector_rescan() adds threads started since; threads
 * that exit end their series.
 * Returns: 0, SCOPE_EINVAL (pid <= 0, bad opts) or SCOPE_ENOMEM.
 * Thread-safety: any thread; the collector then follows collector.h.
 * Since: 0.1
 */
SCOPE_API int scope_proc_open(scope_collector **out, int pid, const scope_proc_opts *opts);

SCOPE_END_DECLS

#endif /* SCOPE_PROC_H */
