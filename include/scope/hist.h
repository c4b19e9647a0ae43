/*
 * libscope: latency histograms (HdrHistogram semantics).
 *
 * A scope_hist counts integer values (libscope records latencies in
 * nanoseconds) in log-linear buckets: values are kept to a fixed number of
 * significant decimal digits (3 by default: every recorded value is known to
 * within 0.1 %) across a configurable range (1 .. 1 hour in ns by default,
 * which covers 1 us .. 60 s with room to spare). The layout, the index
 * arithmetic, the percentile rule and the serialised form are those of
 * HdrHistogram (Gil Tene's design, also used by wrk2), so:
 *   - merging histograms with the same settings is exact: merging the
 *     per-thread histograms gives the very counts one histogram of all
 *     samples would hold;
 *   - scope_hist_encode() writes HdrHistogram's compressed V2 encoding and
 *     scope_hist_log_write() its interval log format (.hlog), which
 *     HdrHistogram_c, the Java tools and HdrHistogram plotters read; both
 *     round-trip losslessly through scope_hist_decode()/scope_hist_log_read().
 *
 * Thread-safety: a histogram is used by one thread at a time; read-only
 * queries on a histogram nobody records into may run concurrently.
 *
 * Since: 0.1
 */
#ifndef SCOPE_HIST_H
#define SCOPE_HIST_H

#include <stdio.h>

#include "common.h"

SCOPE_BEGIN_DECLS

/** An HDR histogram (opaque). */
typedef struct scope_hist scope_hist;

/** Histogram settings. Zero means the default for every field. */
typedef struct scope_hist_opts {
    size_t size;     /**< sizeof(scope_hist_opts) */
    int64_t lowest;  /**< lowest discernible value, >= 1; 0 = 1 */
    int64_t highest; /**< highest trackable value, >= 2 * lowest; 0 = 3.6e12 (1 h in ns) */
    int32_t sigfigs; /**< significant decimal digits, 1..5; 0 = 3 */
    int32_t pad_;    /**< reserved, must be 0 */
} scope_hist_opts;

#define SCOPE_HIST_OPTS_INIT { sizeof(scope_hist_opts), 0, 0, 0, 0 }

/**
 * scope_hist_opts_init - zeroes @size bytes of @opts and records the size.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_hist_opts_init(scope_hist_opts *opts, size_t size);

/**
 * scope_hist_new - creates an empty histogram.
 *
 * @out: receives the histogram; free it with scope_hist_free(). Not NULL.
 * @opts: settings, or NULL for the defaults (1 .. 3.6e12, 3 digits).
 * Returns: 0, SCOPE_EINVAL (bad settings) or SCOPE_ENOMEM. The default
 * histogram takes about 270 KiB.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_hist_new(scope_hist **out, const scope_hist_opts *opts);

/**
 * scope_hist_dup - copies a histogram (settings and counts).
 * @out: receives the copy (owned by the caller). @h: the source.
 * Returns: 0, SCOPE_EINVAL or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_hist_dup(scope_hist **out, const scope_hist *h);

/**
 * scope_hist_free - frees a histogram; NULL is accepted. Since: 0.1
 */
SCOPE_API void scope_hist_free(scope_hist *h);

/**
 * scope_hist_reset - forgets every recorded value, keeping the settings.
 * Since: 0.1
 */
SCOPE_API void scope_hist_reset(scope_hist *h);

/**
 * scope_hist_record - records one value.
 *
 * @h: the histogram. @value: 0 .. the highest trackable value.
 * Returns: 0, or SCOPE_EINVAL when @value is negative or above the
 * highest trackable value (nothing is recorded; the value is counted in
 * scope_hist_overflow()). Errors set no thread-local message, so that the
 * recording path stays cheap.
 * Thread-safety: one thread at a time. Since: 0.1
 */
SCOPE_API int scope_hist_record(scope_hist *h, int64_t value);

/**
 * scope_hist_record_n - records @count occurrences of @value (@count >= 0).
 * Returns: as scope_hist_record(). Since: 0.1
 */
SCOPE_API int scope_hist_record_n(scope_hist *h, int64_t value, int64_t count);

/**
 * scope_hist_record_corrected - records @value and, when @interval > 0 and
 * @value > @interval, the samples a closed-loop measurement missed:
 * value - interval, value - 2*interval, ... down to > interval
 * (HdrHistogram's recordValueWithExpectedInterval).
 * Returns: as scope_hist_record(). Since: 0.1
 */
SCOPE_API int scope_hist_record_corrected(scope_hist *h, int64_t value, int64_t interval);

/**
 * scope_hist_add - adds every count of @src into @dst.
 *
 * When both have the same settings the merge is exact (counts are added
 * index by index). Otherwise each of @src's buckets is re-recorded into
 * @dst at its lowest equivalent value, as HdrHistogram's add does.
 * Returns: 0; SCOPE_EINVAL when an argument is NULL or some of @src's
 * values lie above @dst's range (those are counted in dst's overflow, the
 * rest is added).
 * Thread-safety: @dst used by this thread only; @src not written meanwhile.
 * Since: 0.1
 */
SCOPE_API int scope_hist_add(scope_hist *dst, const scope_hist *src);

/**
 * scope_hist_subtract - removes @src's counts from @dst, e.g. to turn two
 * cumulative snapshots into the histogram of the interval between them.
 * Both must have the same settings and @dst must hold at least @src's
 * count in every bucket.
 * Returns: 0 or SCOPE_EINVAL (different settings, or a bucket would go
 * negative; @dst is then unchanged). Since: 0.1
 */
SCOPE_API int scope_hist_subtract(scope_hist *dst, const scope_hist *src);

/** scope_hist_count - the number of recorded values (0 for NULL). Since: 0.1 */
SCOPE_API int64_t scope_hist_count(const scope_hist *h);
/** scope_hist_overflow - values rejected as out of range so far. Since: 0.1 */
SCOPE_API int64_t scope_hist_overflow(const scope_hist *h);
/** scope_hist_min - the lowest equivalent of the smallest recorded value;
 * 0 when empty. Since: 0.1 */
SCOPE_API int64_t scope_hist_min(const scope_hist *h);
/** scope_hist_max - the highest equivalent of the largest recorded value
 * (HdrHistogram's max); 0 when empty. Since: 0.1 */
SCOPE_API int64_t scope_hist_max(const scope_hist *h);
/** scope_hist_mean - the mean, each bucket counted at its median
 * equivalent value; 0 when empty. Since: 0.1 */
SCOPE_API double scope_hist_mean(const scope_hist *h);
/** scope_hist_stdev - the population standard deviation, computed as the
 * mean is; 0 when empty. Since: 0.1 */
SCOPE_API double scope_hist_stdev(const scope_hist *h);

/**
 * scope_hist_percentile - the value at percentile @p (0..100): the highest
 * equivalent value of the bucket where the cumulative count first reaches
 * round(p/100 * count) (at least 1), as HdrHistogram's
 * getValueAtPercentile. Percentile 0 gives the min, 100 the max.
 * Returns: the value, 0 when the histogram is empty or NULL. Since: 0.1
 */
SCOPE_API int64_t scope_hist_percentile(const scope_hist *h, double p);

/** scope_hist_count_at - the count in the bucket holding @value. Since: 0.1 */
SCOPE_API int64_t scope_hist_count_at(const scope_hist *h, int64_t value);
/** scope_hist_lowest_equivalent - the smallest value that shares @value's
 * bucket. Since: 0.1 */
SCOPE_API int64_t scope_hist_lowest_equivalent(const scope_hist *h, int64_t value);
/** scope_hist_highest_equivalent - the largest value that shares @value's
 * bucket. Since: 0.1 */
SCOPE_API int64_t scope_hist_highest_equivalent(const scope_hist *h, int64_t value);

/**
 * scope_hist_equal - 1 when both have the same settings and the same count
 * in every bucket, else 0. Since: 0.1
 */
SCOPE_API int scope_hist_equal(const scope_hist *a, const scope_hist *b);

/**
 * scope_hist_encode - serialises @h losslessly into HdrHistogram's
 * compressed V2 encoding (cookie 0x1c849314, zlib-deflated payload).
 *
 * @out: receives a malloc'ed buffer; release it with scope_hist_buf_free().
 * @len: receives its length in bytes.
 * Returns: 0, SCOPE_EINVAL or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_hist_encode(void **out, size_t *len, const scope_hist *h);

/**
 * scope_hist_encode_base64 - as scope_hist_encode(), then base64 (the text
 * that an .hlog line carries; it starts with "HISTF").
 * @out: receives a NUL-terminated string; release it with
 * scope_hist_buf_free(). Returns: as scope_hist_encode(). Since: 0.1
 */
SCOPE_API int scope_hist_encode_base64(char **out, const scope_hist *h);

/** scope_hist_buf_free - frees a buffer from scope_hist_encode*(); NULL is
 * accepted. Since: 0.1 */
SCOPE_API void scope_hist_buf_free(void *buf);

/**
 * scope_hist_decode - rebuilds a histogram from an encoding: HdrHistogram
 * V2, compressed (0x1c849314) or not (0x1c849313), as written by libscope,
 * HdrHistogram_c or HdrHistogram (Java) with 64-bit counts.
 *
 * @out: receives a new histogram (owned by the caller).
 * @data, @len: the bytes.
 * Returns: 0, SCOPE_EPARSE (not such an encoding, truncated, corrupt; the
 * message says which), SCOPE_EINVAL or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_hist_decode(scope_hist **out, const void *data, size_t len);

/**
 * scope_hist_decode_base64 - scope_hist_decode() of base64 text (@len
 * bytes; surrounding blanks are ignored). Returns: as scope_hist_decode().
 * Since: 0.1
 */
SCOPE_API int scope_hist_decode_base64(scope_hist **out, const char *text, size_t len);

/**
 * scope_hist_log_header - writes the header of an HdrHistogram interval log
 * (format version 1.3): StartTime and BaseTime at @start_wall_ns, and the
 * CSV legend. Interval lines written after it carry start times relative to
 * @start_wall_ns.
 * @f: an open stream (not closed). @start_wall_ns: CLOCK_REALTIME ns.
 * Returns: 0, SCOPE_EINVAL or SCOPE_EIO. Since: 0.1
 */
SCOPE_API int scope_hist_log_header(FILE *f, int64_t start_wall_ns);

/**
 * scope_hist_log_write - writes one interval line:
 * "[Tag=TAG,]start,length,max,HISTF...". Times are seconds (start relative
 * to the header's base time); max is printed in milliseconds when values
 * are nanoseconds (value / 1e6, HdrHistogram's default unit ratio).
 *
 * @f: the stream. @tag: a tag without ',', ' ' or newlines, or NULL.
 * @start_ns: interval start, relative to the base time, in ns.
 * @length_ns: interval length in ns. @h: the interval's histogram.
 * Returns: 0, SCOPE_EINVAL, SCOPE_ENOMEM or SCOPE_EIO. Since: 0.1
 */
SCOPE_API int scope_hist_log_write(FILE *f, const char *tag, int64_t start_ns,
                                   int64_t length_ns, const scope_hist *h);

/**
 * scope_hist_log_read - reads the next interval histogram of an .hlog
 * stream, skipping comment and legend lines (a "#[BaseTime: s]" line sets
 * the base added to later start times).
 *
 * @out: receives the histogram (owned by the caller) when 1 is returned.
 * @f: the stream.
 * @tag: buffer for the tag ("" when the line has none); may be NULL.
 * @tag_cap: its size.
 * @start_s: out, absolute start (base time + line start) in seconds; may be NULL.
 * @length_s: out, interval length in seconds; may be NULL.
 * @base_s: in/out, the base time in seconds; start it at 0 for a new stream.
 *       Must not be NULL.
 * Returns: 1 (a histogram), 0 (end of stream), SCOPE_EPARSE (a malformed
 * line; the message gives the line text), SCOPE_ENOSPC (tag too long),
 * SCOPE_EINVAL or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_hist_log_read(scope_hist **out, FILE *f, char *tag, size_t tag_cap,
                                  double *start_s, double *length_s, double *base_s);

/**
 * scope_hist_print - writes HdrHistogram's "percentile distribution" table
 * (.hgrm text: Value, Percentile, TotalCount, 1/(1-Percentile), then Mean,
 * StdDeviation, Max, Total count, Buckets, SubBuckets), as wrk2 -L prints.
 *
 * @f: the stream. @h: the histogram.
 * @scale: values are divided by it when printed (1e6: ns shown as ms).
 * @ticks: percentile ticks per half distance; 0 = 5.
 * Returns: 0, SCOPE_EINVAL or SCOPE_EIO. Since: 0.1
 */
SCOPE_API int scope_hist_print(FILE *f, const scope_hist *h, double scale, int32_t ticks);

SCOPE_END_DECLS

#endif /* SCOPE_HIST_H */
