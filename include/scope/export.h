/*
 * libscope: exporters. Write a series set as tidy CSV, JSON lines, the
 * Prometheus text exposition format (last value of each series, what a
 * scrape returns) or OpenMetrics text with every point and its timestamp
 * (what `promtool tsdb create-blocks-from openmetrics` backfills).
 *
 * Formats:
 *  - SCOPE_EXPORT_CSV: header "timestamp_ns,metric,labels,value", one row per
 *    point; labels as {k="v",...} (Prometheus selector syntax), CSV-quoted.
 *  - SCOPE_EXPORT_JSONL: one object per point:
 *    {"timestamp_ns":N,"metric":"m","labels":{"k":"v"},"value":V}; values that
 *    JSON cannot hold are the strings "NaN", "+Inf", "-Inf" (as Prometheus'
 *    HTTP API writes them).
 *  - SCOPE_EXPORT_PROMETHEUS: text format 0.0.4: # HELP and # TYPE per metric
 *    name, then the last value of each series of that name (series without
 *    points are left out); with opts->timestamps, the point's time in ms.
 *  - SCOPE_EXPORT_OPENMETRICS: OpenMetrics 1.0 text: every point with its
 *    timestamp in seconds, families grouped, ending with "# EOF". Counters
 *    named *_total form the family without the suffix; other counters are
 *    written with type "unknown".
 * Numbers are written with the fewest digits (15 to 17) that read back as
 * the same double, so values round-trip exactly.
 *
 * Thread-safety: the set is only read; several exports of one set may run at
 * once on different threads.
 *
 * Since: 0.1
 */
#ifndef SCOPE_EXPORT_H
#define SCOPE_EXPORT_H

#include <stdio.h>

#include "common.h"
#include "series.h"

SCOPE_BEGIN_DECLS

/** Export formats. Values are part of the ABI. */
enum scope_export_format {
    SCOPE_EXPORT_CSV = 1,
    SCOPE_EXPORT_JSONL = 2,
    SCOPE_EXPORT_PROMETHEUS = 3,
    SCOPE_EXPORT_OPENMETRICS = 4
};

/** Options for the exporters. Zero means default for every field. */
typedef struct scope_export_opts {
    size_t size;        /**< sizeof(scope_export_opts) */
    int32_t timestamps; /**< PROMETHEUS: non-zero adds each value's timestamp (ms) */
    int32_t no_header;  /**< CSV: non-zero leaves the header row out (for appending) */
} scope_export_opts;

#define SCOPE_EXPORT_OPTS_INIT { sizeof(scope_export_opts), 0, 0 }

/**
 * scope_export_opts_init - zeroes @size bytes of @opts and records the size.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_export_opts_init(scope_export_opts *opts, size_t size);

/**
 * scope_export_format_name - "csv", "jsonl", "prometheus" or "openmetrics".
 * Returns: a static string, never NULL ("unknown" otherwise).
 * Thread-safety: any thread. Errors: none. Since: 0.1
 */
SCOPE_API const char *scope_export_format_name(int format);

/**
 * scope_export_write - writes @set in @format to the stdio stream @f.
 * @f: an open stream, not closed by libscope; flushed at the end.
 * @opts: NULL for defaults.
 * Returns: 0; SCOPE_EINVAL (NULL argument, unknown format, bad opts);
 * SCOPE_EIO (the stream reported a write error; errno kept);
 * SCOPE_ENOMEM.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_export_write(const scope_series_set *set, int format, FILE *f,
                                 const scope_export_opts *opts);

/**
 * scope_export_path - writes @set in @format to the file @path, created
 * with mode 0644 (before umask) or truncated. The data is written to
 * "<path>.tmp" first and renamed over @path, so readers never see half a
 * file. Symbolic links at @path.tmp are not followed. When @path is not a
 * regular file (/dev/null, /dev/stdout, a FIFO) it is written directly.
 * Returns: 0, SCOPE_EINVAL, SCOPE_ENOENT (directory missing), SCOPE_EPERM,
 * SCOPE_EIO or SCOPE_ENOMEM; the message names the path.
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_export_path(const scope_series_set *set, int format, const char *path,
                                const scope_export_opts *opts);

/**
 * scope_export_buffer - writes @set in @format into a new memory buffer.
 * @out: receives a NUL-terminated buffer owned by the caller, freed with
 *       scope_buffer_free().
 * @len: receives its length without the NUL; may be NULL.
 * Returns: 0, SCOPE_EINVAL or SCOPE_ENOMEM (then *out is NULL).
 * Thread-safety: see the file comment. Since: 0.1
 */
SCOPE_API int scope_export_buffer(char **out, size_t *len, const scope_series_set *set,
                                  int format, const scope_export_opts *opts);

/**
 * scope_buffer_free - frees a buffer returned by libscope (NULL is fine).
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API void scope_buffer_free(void *buf);

/* --- the scrape endpoint ------------------------------------------------ */

/*
 * A scope_exporter serves GET /metrics over HTTP (libmicrohttpd, its own
 * thread) in the Prometheus text format. What it serves is the page last
 * published with scope_exporter_publish(): typically called from a recorder
 * callback after each sample, so a scrape only copies a rendered page and
 * never waits for sampling, and sampling never waits for a scrape.
 */
typedef struct scope_exporter scope_exporter;

/** Options for scope_exporter_open(). Zero means default for every field. */
typedef struct scope_exporter_opts {
    size_t size;          /**< sizeof(scope_exporter_opts) */
    const char *address;  /**< IPv4 or IPv6 address to bind; NULL = "127.0.0.1" (copied) */
    int32_t port;         /**< TCP port; 0 = any free port (see scope_exporter_port) */
    int32_t timestamps;   /**< non-zero: each value carries its sample's timestamp */
} scope_exporter_opts;

#define SCOPE_EXPORTER_OPTS_INIT { sizeof(scope_exporter_opts), NULL, 0, 0 }

/**
 * scope_exporter_opts_init - zeroes @size bytes of @opts and records the size.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_exporter_opts_init(scope_exporter_opts *opts, size_t size);

/**
 * scope_exporter_open - starts serving /metrics (an empty page until the
 * first publish).
 * @out: receives the exporter, owned by the caller (scope_exporter_free).
 * @opts: NULL for defaults (127.0.0.1, a free port).
 * Returns: 0; SCOPE_EINVAL (bad address or opts); SCOPE_EEXIST (the port is
 * in use: the message names it); SCOPE_EPERM (a port below 1024 without
 * privileges); SCOPE_ENOMEM.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_exporter_open(scope_exporter **out, const scope_exporter_opts *opts);

/**
 * scope_exporter_port - the TCP port the exporter listens on.
 * Returns: the port, or 0 for NULL. Thread-safety: any thread. Errors:
 * none. Since: 0.1
 */
SCOPE_API int scope_exporter_port(const scope_exporter *e);

/**
 * scope_exporter_publish - renders the last value of every series of @set
 * (SCOPE_EXPORT_PROMETHEUS) and makes it the page that scrapes get. The set
 * is only read, and only during the call.
 * Returns: 0, SCOPE_EINVAL or SCOPE_ENOMEM (the previous page stays).
 * Thread-safety: any thread; calls are serialised internally and never
 * wait for a scrape in progress.
 * Since: 0.1
 */
SCOPE_API int scope_exporter_publish(scope_exporter *e, const scope_series_set *set);

/**
 * scope_exporter_scrape_count - how many /metrics requests were served.
 * Thread-safety: any thread. Errors: none (0 for NULL). Since: 0.1
 */
SCOPE_API uint64_t scope_exporter_scrape_count(const scope_exporter *e);

/**
 * scope_exporter_free - stops serving (waits for requests in progress) and
 * frees the exporter. @e may be NULL.
 * Thread-safety: not concurrently with other calls on @e. Since: 0.1
 */
SCOPE_API void scope_exporter_free(scope_exporter *e);

SCOPE_END_DECLS

#endif /* SCOPE_EXPORT_H */
