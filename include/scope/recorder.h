/*
 * libscope: the recorder. Samples a set of collectors every interval on its
 * own thread, all on one timeline, into one series set.
 *
 * Timing: ticks follow an absolute schedule on CLOCK_MONOTONIC (a timerfd
 * with TFD_TIMER_ABSTIME), so the interval does not drift with the cost of
 * sampling. A tick that could not be served in time (the machine was busy)
 * is counted as missed, in the series scope_recorder_missed_ticks_total, and
 * never silently stretched into a longer interval. Timestamps are wall-clock
 * ns anchored once at start and advanced by the monotonic clock: they line
 * up with Prometheus and never go backwards, even if NTP steps the clock.
 *
 * Marks: scope_recorder_mark(r, "rate", "2000") adds the label rate="2000"
 * to every series of every sample taken from then on until the mark is
 * changed or cleared, so phases of an experiment can be told apart.
 *
 * Series the recorder adds itself: scope_recorder_missed_ticks_total
 * (counter) and scope_recorder_sample_seconds (gauge: how long each pass over
 * the collectors took).
 *
 * Thread-safety: new/add/set_callback/start/wait/free from one controlling
 * thread; stop, mark and the count getters from any thread (stop also from a
 * signal handler). The series set is written by the recorder thread while
 * recording: read it after scope_recorder_wait(), or inside the callback.
 *
 * Since: 0.1
 */
#ifndef SCOPE_RECORDER_H
#define SCOPE_RECORDER_H

#include "common.h"
#include "collector.h"
#include "series.h"

SCOPE_BEGIN_DECLS

typedef struct scope_recorder scope_recorder;

/** Options for scope_recorder_new(). Zero means default for every field. */
typedef struct scope_recorder_opts {
    size_t size;          /**< sizeof(scope_recorder_opts) */
    int64_t interval_ns;  /**< sampling interval; 0 = 1 s; at least 1 ms */
    int64_t duration_ns;  /**< stop by itself after this long; 0 = until stopped */
    int32_t rescan_every; /**< call scope_collector_rescan() every N ticks; 0 = never */
    int32_t no_self_series; /**< non-zero: leave out the recorder's own series */
    int64_t keep_last;    /**< > 0: keep only about the last N points of each series
                               (between N and 2N; a long-running agent's memory stays
                               bounded); 0 = keep everything */
} scope_recorder_opts;

#define SCOPE_RECORDER_OPTS_INIT { sizeof(scope_recorder_opts), 0, 0, 0, 0, 0 }

/**
 * scope_recorder_cb - called on the recorder thread after every sample.
 * @set: the series set so far (read-only; valid during the call).
 * @wall_ns: the sample's timestamp.
 * Returns: 0 to go on; non-zero stops the recording, and
 * scope_recorder_wait() then returns SCOPE_EUSER.
 */
typedef int (*scope_recorder_cb)(scope_recorder *r, const scope_series_set *set,
                                 int64_t wall_ns, void *user_data);

/**
 * scope_recorder_opts_init - zeroes @size bytes of @opts and records the size.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_recorder_opts_init(scope_recorder_opts *opts, size_t size);

/**
 * scope_recorder_new - creates a recorder.
 * @out: receives it, owned by the caller (scope_recorder_free).
 * @opts: NULL for defaults.
 * Returns: 0, SCOPE_EINVAL (bad opts: size, unknown trailing bytes, interval
 * below 1 ms, negative duration) or SCOPE_ENOMEM.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_recorder_new(scope_recorder **out, const scope_recorder_opts *opts);

/**
 * scope_recorder_free - stops and joins the recorder if it runs, stops its
 * collectors, frees it and its series set. The collectors are not freed.
 * @r: the recorder or NULL.
 * Thread-safety: controlling thread only. Since: 0.1
 */
SCOPE_API void scope_recorder_free(scope_recorder *r);

/**
 * scope_recorder_add - adds a collector (borrowed: it must outlive the
 * recorder, or at least its last scope_recorder_wait()).
 * Returns: 0, SCOPE_EINVAL (NULL), SCOPE_EEXIST (added already),
 * SCOPE_ESTATE (recording) or SCOPE_ENOMEM.
 * Thread-safety: controlling thread only. Since: 0.1
 */
SCOPE_API int scope_recorder_add(scope_recorder *r, scope_collector *c);

/**
 * scope_recorder_set_callback - sets (or with NULL clears) the per-sample
 * callback. @user_data is passed through untouched.
 * Returns: 0, SCOPE_EINVAL or SCOPE_ESTATE (recording).
 * Thread-safety: controlling thread only. Since: 0.1
 */
SCOPE_API int scope_recorder_set_callback(scope_recorder *r, scope_recorder_cb cb,
                                          void *user_data);

/**
 * scope_recorder_start - starts every collector and the recorder thread.
 * The first sample is taken at once, then one every interval.
 * Returns: 0; SCOPE_ESTATE (already started and not yet waited for);
 * a collector's start error (then no collector stays started);
 * SCOPE_ELIMIT / SCOPE_EIO when the timer or thread cannot be created.
 * Thread-safety: controlling thread only. Since: 0.1
 */
SCOPE_API int scope_recorder_start(scope_recorder *r);

/**
 * scope_recorder_mark - sets label @key to @value on all later samples, or
 * removes it when @value is NULL. Strings are copied.
 * Returns: 0, SCOPE_EINVAL (bad key) or SCOPE_ENOMEM.
 * Thread-safety: any thread (not a signal handler). Since: 0.1
 */
SCOPE_API int scope_recorder_mark(scope_recorder *r, const char *key, const char *value);

/**
 * scope_recorder_stop - asks the recorder thread to stop; returns at once.
 * The thread finishes the sample it may be taking and exits. Stopping a
 * recorder that is not running does nothing.
 * Returns: 0 or SCOPE_EINVAL (NULL).
 * Thread-safety: any thread, and async-signal-safe. Since: 0.1
 */
SCOPE_API int scope_recorder_stop(scope_recorder *r);

/**
 * scope_recorder_wait - waits until the recording ends (stop, duration, or
 * callback), joins the thread and stops the collectors.
 * Returns: 0; SCOPE_EUSER (the callback stopped it); SCOPE_ESTATE (never
 * started); a fatal error of the recorder thread (SCOPE_ENOMEM). A
 * collector that failed or vanished does not end the recording: see
 * scope_recorder_error_count().
 * Thread-safety: controlling thread only. Since: 0.1
 */
SCOPE_API int scope_recorder_wait(scope_recorder *r);

/**
 * scope_recorder_series - the recorded series set, borrowed from the
 * recorder, valid until scope_recorder_free() or the next start (which
 * starts a fresh set). Read it only after scope_recorder_wait().
 * Returns: the set (never NULL for a valid recorder).
 * Thread-safety: see the file comment. Errors: none. Since: 0.1
 */
SCOPE_API const scope_series_set *scope_recorder_series(const scope_recorder *r);

/**
 * Counters of the current or last recording: samples taken, ticks missed,
 * and collector errors (a failed read; a vanished target is not an error).
 * Thread-safety: any thread. Errors: none (0 for NULL). Since: 0.1
 */
SCOPE_API uint64_t scope_recorder_sample_count(const scope_recorder *r);
SCOPE_API uint64_t scope_recorder_missed_count(const scope_recorder *r);
SCOPE_API uint64_t scope_recorder_error_count(const scope_recorder *r);

/**
 * scope_recorder_last_error - the message of the last collector error of the
 * last recording ("" when none), owned by the recorder, valid until the next
 * start or free. Read it after scope_recorder_wait().
 * Thread-safety: controlling thread. Errors: none. Since: 0.1
 */
SCOPE_API const char *scope_recorder_last_error(const scope_recorder *r);

SCOPE_END_DECLS

#endif /* SCOPE_RECORDER_H */
