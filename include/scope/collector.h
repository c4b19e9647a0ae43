/*
 * libscope: the common face of every collector (process, cgroup, PMU counter
 * groups, top-down, uncore). A collector observes something, and each sample
 * appends one point per series it watches to a series set, stamped with the
 * wall-clock time of the sample.
 *
 * Life cycle: a collector comes from its area's constructor (for example
 * scope_proc_open()), is started with scope_collector_start() (which opens
 * every file descriptor it needs: sampling itself never opens files or
 * allocates except when a series appears for the first time), sampled any
 * number of times, stopped, and freed. It can be restarted after a stop.
 * Most users hand collectors to a scope_recorder (recorder.h), which samples
 * them on one timeline.
 *
 * Thread-safety: one collector is used by one thread at a time (the recorder
 * thread while it is recording).
 *
 * Since: 0.1
 */
#ifndef SCOPE_COLLECTOR_H
#define SCOPE_COLLECTOR_H

#include "common.h"
#include "series.h"

SCOPE_BEGIN_DECLS

typedef struct scope_collector scope_collector;

/**
 * scope_collector_start - opens what the collector reads and takes the
 * baseline.
 *
 * Returns: 0; SCOPE_ESTATE when already started; otherwise the collector's
 * own errors (SCOPE_ENOENT / SCOPE_EGONE for a target that does not exist,
 * SCOPE_EPERM, SCOPE_ELIMIT for too few file descriptors, ...), documented
 * with its constructor. After a failed start nothing stays open.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_collector_start(scope_collector *c);

/**
 * scope_collector_sample - reads every watched source once and appends one
 * point per series to @set, at the current wall-clock time.
 *
 * Series are created in @set on first use. A source that vanished (process
 * exited, cgroup removed) ends its series (scope_series_end) and the others
 * go on.
 * Returns: 0 when at least one source was read; SCOPE_EGONE when every source
 * has vanished (the collector has nothing more to give); SCOPE_ESTATE when
 * not started; SCOPE_EINVAL for a NULL argument; SCOPE_ENOMEM.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_collector_sample(scope_collector *c, scope_series_set *set);

/**
 * scope_collector_rescan - looks for new sources that match what the
 * collector was asked to watch (new threads of a process, new child
 * cgroups), and adds series for them. Existing series are never duplicated.
 * Allocates and reads directories: call it between samples, not on every one.
 *
 * Returns: the number of sources added (>= 0), SCOPE_ENOTSUP when this kind
 * of collector has nothing to rescan, SCOPE_ESTATE when not started.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_collector_rescan(scope_collector *c);

/**
 * scope_collector_stop - closes what start opened. Stopping a stopped
 * collector is a no-op returning 0.
 * Returns: 0 or SCOPE_EINVAL (NULL).
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_collector_stop(scope_collector *c);

/**
 * scope_collector_free - stops (if needed) and frees a collector.
 * @c: the collector or NULL. It must not be attached to a recorder that is
 * still recording.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API void scope_collector_free(scope_collector *c);

/**
 * scope_collector_name - a short name of the collector instance, such as
 * "proc:1234" or "cgroup:/kubepods.slice".
 * Returns: a string owned by the collector, valid until it is freed, never
 * NULL for a valid collector (NULL for NULL).
 * Thread-safety: see the file comment. Errors: none. Since: 0.1
 */
SCOPE_API const char *scope_collector_name(const scope_collector *c);

/**
 * scope_collector_metric_count - how many metrics the collector describes
 * (one metric is a name; it may have many series, one per label set).
 * Thread-safety: see the file comment. Errors: none. Since: 0.1
 */
SCOPE_API size_t scope_collector_metric_count(const scope_collector *c);

/**
 * scope_collector_metric_at - describes metric @i.
 *
 * @name, @unit, @help: out, strings owned by the collector (valid until it is
 *       freed); each may be NULL when not wanted.
 * @kind: out, SCOPE_GAUGE or SCOPE_COUNTER; may be NULL.
 * Returns: 0 or SCOPE_EINVAL (NULL collector or i out of range).
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_collector_metric_at(const scope_collector *c, size_t i,
                                        const char **name, const char **unit,
                                        int *kind, const char **help);

SCOPE_END_DECLS

#endif /* SCOPE_COLLECTOR_H */
