/*
 * libscope: the data model. Every collector, the Prometheus client and the
 * load drivers produce a series set; the recorder, the exporters and the
 * Python bindings consume one.
 *
 * A series is identified by its metric name and its labels (key/value
 * strings, kept sorted by key). It carries a unit ("seconds", "bytes", "1"
 * for ratios and counts), a kind (counter: cumulative, only goes up except on
 * reset; gauge: any value), a help text, and two parallel columns: int64_t
 * timestamps (wall-clock ns since the epoch) and double values, stored as
 * contiguous arrays that numpy can wrap without a copy. Timestamps within a
 * series never decrease.
 *
 * Ownership: a series belongs to its set; scope_series_set_free() frees every
 * series in it. Names, labels and text passed in are copied.
 *
 * Thread-safety: a set and its series are used by one thread at a time. A
 * set that nobody modifies any more may be read from many threads at once.
 *
 * Since: 0.1
 */
#ifndef SCOPE_SERIES_H
#define SCOPE_SERIES_H

#include "common.h"

SCOPE_BEGIN_DECLS

typedef struct scope_series_set scope_series_set;
typedef struct scope_series scope_series;

/** Metric kinds. Values are part of the ABI. */
enum scope_metric_kind {
    SCOPE_GAUGE = 1,   /**< a value that goes up and down */
    SCOPE_COUNTER = 2  /**< a cumulative value; a decrease is a reset */
};

/**
 * scope_metric_kind_name - "gauge" or "counter".
 * Returns: a static string, never NULL ("unknown" for other values).
 * Thread-safety: any thread. Errors: none. Since: 0.1
 */
SCOPE_API const char *scope_metric_kind_name(int kind);

/**
 * scope_series_set_new - creates an empty series set.
 *
 * @out: receives the new set; the caller owns it and frees it with
 *       scope_series_set_free(). Must not be NULL.
 * Returns: 0, SCOPE_EINVAL (out is NULL) or SCOPE_ENOMEM.
 * Thread-safety: any thread.
 * Since: 0.1
 */
SCOPE_API int scope_series_set_new(scope_series_set **out);

/**
 * scope_series_set_free - frees a set and every series in it. Pointers
 * obtained from it (series, columns, strings) become invalid.
 *
 * @set: the set, or NULL (then nothing happens).
 * Thread-safety: no other thread may use the set.
 * Since: 0.1
 */
SCOPE_API void scope_series_set_free(scope_series_set *set);

/**
 * scope_series_set_count - the number of series in the set.
 * @set: the set; NULL gives 0.
 * Thread-safety: see the file comment. Errors: none. Since: 0.1
 */
SCOPE_API size_t scope_series_set_count(const scope_series_set *set);

/**
 * scope_series_set_at - the i-th series, in the order they were added.
 *
 * @set: the set.
 * @i: index below scope_series_set_count().
 * Returns: a series borrowed from the set (valid until the set is freed), or
 * NULL when set is NULL or i is out of range.
 * Thread-safety: see the file comment. Errors: none. Since: 0.1
 */
SCOPE_API scope_series *scope_series_set_at(const scope_series_set *set, size_t i);

/**
 * scope_series_set_add - adds a series, or finds the one with the same
 * identity (name and label set).
 *
 * @out: receives the series, borrowed from the set; may be NULL.
 * @set: the set.
 * @name: metric name, [a-zA-Z_:][a-zA-Z0-9_:]*; copied.
 * @keys, @values: @nlabels label keys ([a-zA-Z_][a-zA-Z0-9_]*, not starting
 *       with "__", each at most once) and their values (any UTF-8); copied.
 *       May be NULL when nlabels is 0.
 * @unit: unit, e.g. "seconds", "bytes", "1"; NULL means "" (no unit); copied.
 * @kind: SCOPE_GAUGE or SCOPE_COUNTER.
 * @help: one-line description; NULL means none; copied.
 *
 * When a series with the same name and labels exists it is returned, provided
 * its kind and unit agree (else SCOPE_EINVAL); its help text is kept.
 * Returns: 0, SCOPE_EINVAL (bad name, label key, duplicate key, kind, or a
 * clash with an existing series) or SCOPE_ENOMEM.
 * Thread-safety: see the file comment.
 * Since: 0.1
 */
SCOPE_API int scope_series_set_add(scope_series **out, scope_series_set *set,
                                   const char *name, const char *const *keys,
                                   const char *const *values, size_t nlabels,
                                   const char *unit, int kind, const char *help);

/**
 * scope_series_set_find - looks a series up by name and exact label set.
 *
 * @out: receives the series (borrowed); must not be NULL.
 * @set, @name, @keys, @values, @nlabels: as for scope_series_set_add(); the
 *       labels may come in any order.
 * Returns: 0, SCOPE_ENOENT (no such series; *out is set to NULL) or
 * SCOPE_EINVAL.
 * Thread-safety: see the file comment.
 * Since: 0.1
 */
SCOPE_API int scope_series_set_find(scope_series **out, const scope_series_set *set,
                                    const char *name, const char *const *keys,
                                    const char *const *values, size_t nlabels);

/**
 * scope_series_set_merge - merges @src into @dst.
 *
 * Series of @src that @dst lacks are copied; points of series present in both
 * are merged in time order. Where both hold a point at the same timestamp,
 * the one from @src replaces the one in @dst. The end time of a series is
 * the later of the two. @src is not changed.
 * Returns: 0, SCOPE_EINVAL (NULL argument, dst == src, or a series whose kind
 * or unit differs between the sets) or SCOPE_ENOMEM (then @dst may hold part
 * of the merge: every point in it is still valid).
 * Thread-safety: @dst used by one thread; @src only read.
 * Since: 0.1
 */
SCOPE_API int scope_series_set_merge(scope_series_set *dst, const scope_series_set *src);

/**
 * scope_series_set_slice - a new set holding the points with
 * start_ns <= timestamp < end_ns of every series.
 *
 * @out: receives the new set, owned by the caller (scope_series_set_free).
 * @set: the source set, only read.
 * @start_ns, @end_ns: the window; end_ns must be >= start_ns.
 * Every series is kept, even when no point falls in the window, so the
 * result has the same identities as @set.
 * Returns: 0, SCOPE_EINVAL or SCOPE_ENOMEM.
 * Thread-safety: see the file comment.
 * Since: 0.1
 */
SCOPE_API int scope_series_set_slice(scope_series_set **out, const scope_series_set *set,
                                     int64_t start_ns, int64_t end_ns);

/**
 * scope_series_set_rate - per-second rates of every counter series.
 *
 * @out: receives a new set, owned by the caller. For each SCOPE_COUNTER
 *       series with n points it holds a SCOPE_GAUGE series of the same name
 *       and labels with n-1 points: at t[i], (v[i] - v[i-1]) / (t[i] - t[i-1])
 *       in units per second. A decrease is a counter reset: the delta is then
 *       v[i] (the counter restarted from zero), as Prometheus' rate() does.
 *       The unit becomes "<unit>/s" ("1/s" for unitless). Gauge series are
 *       not carried over. Points with equal timestamps are skipped.
 * @set: the source set, only read.
 * Returns: 0, SCOPE_EINVAL or SCOPE_ENOMEM.
 * Thread-safety: see the file comment.
 * Since: 0.1
 */
SCOPE_API int scope_series_set_rate(scope_series_set **out, const scope_series_set *set);

/* --- one series ---------------------------------------------------------- */

/**
 * Accessors. Each takes a series borrowed from a set; strings are owned by
 * the series and live as long as its set. None fails: a NULL series gives
 * NULL, 0 or "" as documented per function.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API const char *scope_series_name(const scope_series *s);  /**< never NULL for a valid series */
SCOPE_API const char *scope_series_unit(const scope_series *s);  /**< "" when none */
SCOPE_API const char *scope_series_help(const scope_series *s);  /**< "" when none */
SCOPE_API int scope_series_kind(const scope_series *s);          /**< SCOPE_GAUGE or SCOPE_COUNTER */
SCOPE_API size_t scope_series_label_count(const scope_series *s);
/** Label key at index i (labels sorted by key), NULL when out of range. */
SCOPE_API const char *scope_series_label_key(const scope_series *s, size_t i);
/** Label value at index i, NULL when out of range. */
SCOPE_API const char *scope_series_label_value(const scope_series *s, size_t i);
/** The value of label @key, or NULL when the series has no such label. */
SCOPE_API const char *scope_series_label(const scope_series *s, const char *key);

/**
 * scope_series_count - the number of points.
 * Thread-safety: see the file comment. Errors: none. Since: 0.1
 */
SCOPE_API size_t scope_series_count(const scope_series *s);

/**
 * scope_series_timestamps / scope_series_values - the columns, contiguous
 * arrays of scope_series_count() elements (NULL when there are none).
 *
 * Returns: pointers borrowed from the series, valid until the next append to
 * or merge into this series, or until its set is freed.
 * Thread-safety: see the file comment. Errors: none. Since: 0.1
 */
SCOPE_API const int64_t *scope_series_timestamps(const scope_series *s);
SCOPE_API const double *scope_series_values(const scope_series *s);

/**
 * scope_series_append - appends one point.
 *
 * @s: the series.
 * @ts_ns: wall-clock timestamp in ns; must not be below the last one's.
 * @value: the value; NaN and infinities are allowed.
 * Returns: 0, SCOPE_EINVAL (NULL series, timestamp out of order, or the
 * series has ended) or SCOPE_ENOMEM (the series is unchanged).
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_series_append(scope_series *s, int64_t ts_ns, double value);

/**
 * scope_series_append_n - appends @n points from two parallel arrays
 * (timestamps non-decreasing and not below the last stored one).
 *
 * Returns: 0, SCOPE_EINVAL or SCOPE_ENOMEM; on error nothing is appended.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_series_append_n(scope_series *s, const int64_t *ts_ns,
                                    const double *values, size_t n);

/**
 * scope_series_reserve - makes room for @n points in total so that appends up
 * to that count do not allocate.
 * Returns: 0, SCOPE_EINVAL or SCOPE_ENOMEM.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_series_reserve(scope_series *s, size_t n);

/**
 * scope_series_end - marks the series as ended at @end_ns (its source, a
 * process or a cgroup, went away). Later appends fail with SCOPE_EINVAL.
 * Ending an ended series keeps the first end time.
 * Returns: 0 or SCOPE_EINVAL (NULL series).
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_series_end(scope_series *s, int64_t end_ns);

/**
 * scope_series_end_time - the end time set by scope_series_end(), or 0 while
 * the series is open.
 * Thread-safety: see the file comment. Errors: none. Since: 0.1
 */
SCOPE_API int64_t scope_series_end_time(const scope_series *s);

SCOPE_END_DECLS

#endif /* SCOPE_SERIES_H */
