/*
 * libscope: a Prometheus HTTP API client (api/v1): range and instant
 * queries, series and label metadata, returned as series sets.
 *
 * Range and instant query bodies are parsed while they arrive (inside the
 * libcurl write callback) by a small purpose-built scanner that writes the
 * points straight into the columns of the result's series set: no DOM of
 * the body is ever built, so memory stays at the size of the output (16
 * bytes per point plus labels). Long ranges are split into requests of at
 * most 11,001 points per series (Prometheus refuses more), fetched in
 * parallel and merged by label set.
 *
 * Data model: every series of a result is named after its "__name__" label,
 * or after the query's fallback name (default "value") when the server drops
 * the name (rate(), sum()...). Other labels become series labels. Timestamps
 * are wall-clock ns (Prometheus sends ms), values doubles ("NaN", "+Inf",
 * "-Inf" decoded). Series are SCOPE_GAUGE with no unit. A scalar result is
 * one series without labels holding one point.
 *
 * Native-histogram samples are not decoded: by default a result holding any
 * fails with SCOPE_ENOTSUP; with SCOPE_PROM_HIST_WARN they are skipped and
 * a warning saying how many were skipped is added to the result.
 *
 * Thread-safety: a scope_prom handle is used by one thread at a time (each
 * call runs its requests on the calling thread with curl multi). Distinct
 * handles may be used from distinct threads. Results are immutable once
 * returned and may be read from many threads.
 *
 * Since: 0.1
 */
#ifndef SCOPE_PROM_H
#define SCOPE_PROM_H

#include "common.h"
#include "series.h"

SCOPE_BEGIN_DECLS

typedef struct scope_prom scope_prom;
typedef struct scope_prom_result scope_prom_result;

/** Client options. Zero (or NULL) means default for every field; strings
 * are copied by scope_prom_new(). */
typedef struct scope_prom_opts {
    size_t size;              /**< sizeof(scope_prom_opts) */
    const char *url;          /**< base URL, e.g. "http://127.0.0.1:9090" or
                                   "https://gw/prometheus" (a path prefix is kept);
                                   default "http://127.0.0.1:9090" */
    int32_t connect_timeout_ms; /**< TCP/TLS connect limit per attempt; default 5000 */
    int32_t timeout_ms;       /**< whole-request limit per attempt; default 120000 */
    const char *ca_file;      /**< PEM CA bundle used to verify the server */
    const char *client_cert;  /**< PEM client certificate (mTLS) */
    const char *client_key;   /**< PEM key of @client_cert */
    const char *username;     /**< HTTP basic auth user (with @password) */
    const char *password;     /**< HTTP basic auth password */
    const char *bearer_token; /**< sent as "Authorization: Bearer <token>" */
    const char *bearer_token_file; /**< file holding the token; re-read for every
                                        request, so rotated tokens are picked up */
    const char *proxy;        /**< proxy URL (libcurl syntax); default: libcurl's
                                   environment variables (http_proxy...) */
    const char *user_agent;   /**< default "libscope/<version>" */
    int32_t max_retries;      /**< retries of a failed request (connection errors,
                                   HTTP 429, 502, 503 except query timeouts, 504);
                                   default 3; -1 for none */
    int32_t retry_base_ms;    /**< first backoff, doubled per retry; default 200 */
    int32_t retry_max_ms;     /**< backoff cap (also caps Retry-After); default 5000 */
    int32_t post_threshold;   /**< URLs longer than this many bytes are sent as a
                                   form-encoded POST; default 4096 */
    int32_t max_concurrency;  /**< requests in flight for one call; default 2 */
    int32_t tls_insecure;     /**< 1: do not verify the server certificate (default 0:
                                   verify, with the system CAs or @ca_file) */
} scope_prom_opts;

#define SCOPE_PROM_OPTS_INIT { sizeof(scope_prom_opts), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, \
                               0, 0, 0, 0, 0, 0, 0 }

/**
 * scope_prom_opts_init - zeroes @opts and sets its size (for FFI callers).
 * @opts: the struct; must not be NULL. @size: sizeof the caller's struct.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_prom_opts_init(scope_prom_opts *opts, size_t size);

/**
 * scope_prom_new - creates a client. Nothing is sent yet.
 *
 * @out: receives the handle, freed with scope_prom_free(); must not be NULL.
 * @opts: options or NULL for defaults.
 * libcurl is initialised once per process (pthread_once) on first use.
 * Returns: 0, SCOPE_EINVAL (bad options: URL not http(s), negative values,
 * a client key without a certificate, a password without a user),
 * SCOPE_ENOTSUP (libcurl lacks TLS and the URL is https) or SCOPE_ENOMEM.
 * Thread-safety: any thread.
 * Since: 0.1
 */
SCOPE_API int scope_prom_new(scope_prom **out, const scope_prom_opts *opts);

/**
 * scope_prom_free - frees the client. NULL is allowed.
 * Thread-safety: no other thread may use the handle. Since: 0.1
 */
SCOPE_API void scope_prom_free(scope_prom *p);

/**
 * scope_prom_add_header - adds a header sent with every request, e.g.
 * ("X-Scope-OrgID", "tenant1") for Mimir/Cortex/Thanos. Both strings are
 * copied. Adding a name again adds a second header line.
 *
 * Returns: 0, SCOPE_EINVAL (NULL, empty name, or CR/LF/':' where not
 * allowed) or SCOPE_ENOMEM.
 * Thread-safety: as the handle. Since: 0.1
 */
SCOPE_API int scope_prom_add_header(scope_prom *p, const char *name, const char *value);

/** What to do with native-histogram samples (which are not decoded). */
enum scope_prom_hist_policy {
    SCOPE_PROM_HIST_ERROR = 0, /**< fail with SCOPE_ENOTSUP (default) */
    SCOPE_PROM_HIST_WARN = 1   /**< skip them and add a warning saying how many */
};

/** Options of one query. Zero means default for every field. */
typedef struct scope_prom_query_opts {
    size_t size;            /**< sizeof(scope_prom_query_opts) */
    const char *name;       /**< series name when the result has no __name__;
                                 default "value" */
    int32_t align;          /**< 1: floor start and end to a multiple of step
                                 (as Grafana does, so caching frontends hit);
                                 the result reports the window used */
    int32_t hist_policy;    /**< enum scope_prom_hist_policy */
    int32_t max_points;     /**< points per series per request, 2..1000000;
                                 default 11001 (Prometheus' limit; other backends,
                                 e.g. VictoriaMetrics, allow more) */
    int32_t max_concurrency;/**< overrides the client's setting when > 0 */
    int64_t server_timeout_ms; /**< sent as the "timeout" parameter when > 0 */
    int32_t split_on_timeout; /**< 1: when the server answers 503 errorType
                                 "timeout", fetch the range again in requests
                                 of half the points (at most 6 times); the
                                 result then carries a warning saying so */
    int32_t no_split;       /**< 1: never split a range that fits in one request
                                 (by default a range of 2000+ points per series
                                 that would take fewer requests than
                                 max_concurrency is split into that many, at
                                 least 1000 points each, fetched in parallel) */
} scope_prom_query_opts;

#define SCOPE_PROM_QUERY_OPTS_INIT { sizeof(scope_prom_query_opts), 0, 0, 0, 0, 0, 0, 0, 0 }

/** scope_prom_query_opts_init - as scope_prom_opts_init(). Since: 0.1 */
SCOPE_API int scope_prom_query_opts_init(scope_prom_query_opts *opts, size_t size);

/**
 * scope_prom_query_range - runs /api/v1/query_range.
 *
 * @out: receives the result (scope_prom_result_free); must not be NULL.
 * @p: the client. @query: PromQL (sent URL/form-encoded).
 * @start_ns, @end_ns: the window, wall-clock ns, whole milliseconds
 *       (Prometheus' resolution); end >= start.
 * @step_ns: the step, > 0, whole milliseconds.
 * @opts: NULL or options.
 * The grid is start + k*step <= end. When it holds more than max_points
 * points (or, unless no_split, 2000+ points while fewer requests than
 * max_concurrency would run), requests cover consecutive parts of the grid
 * (each starts one step after the previous one's end, so no point is fetched
 * twice), run with bounded concurrency and are merged by label set: the
 * result equals what a single request would give.
 * Returns: 0, SCOPE_EINVAL (arguments), SCOPE_ENET (connection), SCOPE_ETIMEDOUT
 * (client limit or the server's query timeout), SCOPE_EHTTP (an HTTP error
 * without a Prometheus JSON body; the message quotes the body's start),
 * SCOPE_ESERVER (a Prometheus API error: the message holds the HTTP status,
 * errorType and error), SCOPE_EPARSE (malformed or truncated body),
 * SCOPE_ENOTSUP (native histograms with SCOPE_PROM_HIST_ERROR, or labels the
 * series model cannot hold) or SCOPE_ENOMEM. On error *out is NULL: partial
 * data is never returned.
 * Thread-safety: as the handle.
 * Since: 0.1
 */
SCOPE_API int scope_prom_query_range(scope_prom_result **out, scope_prom *p, const char *query,
                                     int64_t start_ns, int64_t end_ns, int64_t step_ns,
                                     const scope_prom_query_opts *opts);

/**
 * scope_prom_query - runs an instant query (/api/v1/query) at @time_ns
 * (whole ms; 0 means the server's current time). The result type is one of
 * vector, matrix (range selectors: raw samples), scalar or string.
 * Returns: as scope_prom_query_range().
 * Thread-safety: as the handle. Since: 0.1
 */
SCOPE_API int scope_prom_query(scope_prom_result **out, scope_prom *p, const char *query,
                               int64_t time_ns, const scope_prom_query_opts *opts);

/**
 * scope_prom_series - runs /api/v1/series: the series matching any of the
 * @nmatch selectors in @match (at least one), within [start_ns, end_ns]
 * (0 and 0: the server's default window). The result's series set holds one
 * series per label set, without points.
 * Returns: as scope_prom_query_range(), and SCOPE_ELIMIT when the body
 * (parsed as a whole, with jansson) exceeds 512 MiB: narrow the selectors.
 * Thread-safety: as the handle. Since: 0.1
 */
SCOPE_API int scope_prom_series(scope_prom_result **out, scope_prom *p, const char *const *match,
                                size_t nmatch, int64_t start_ns, int64_t end_ns);

/**
 * scope_prom_labels - runs /api/v1/labels (label names); @match may be NULL
 * when @nmatch is 0. Names are read with scope_prom_result_string_count/at.
 * Returns: as scope_prom_series().
 * Thread-safety: as the handle. Since: 0.1
 */
SCOPE_API int scope_prom_labels(scope_prom_result **out, scope_prom *p, const char *const *match,
                                size_t nmatch, int64_t start_ns, int64_t end_ns);

/**
 * scope_prom_label_values - runs /api/v1/label/<name>/values (the name is
 * path-encoded). Values are read with scope_prom_result_string_count/at.
 * Returns: as scope_prom_series().
 * Thread-safety: as the handle. Since: 0.1
 */
SCOPE_API int scope_prom_label_values(scope_prom_result **out, scope_prom *p, const char *name,
                                      const char *const *match, size_t nmatch,
                                      int64_t start_ns, int64_t end_ns);

/** The kinds of results. Values are part of the ABI. */
enum scope_prom_result_type {
    SCOPE_PROM_MATRIX = 1,
    SCOPE_PROM_VECTOR = 2,
    SCOPE_PROM_SCALAR = 3,
    SCOPE_PROM_STRING = 4,
    SCOPE_PROM_SERIES = 5,  /**< /api/v1/series: label sets, no points */
    SCOPE_PROM_STRINGS = 6  /**< label names or label values */
};

/** scope_prom_result_type_name - "matrix", "vector", ...; "unknown" for
 * other values. Static, never NULL. Since: 0.1 */
SCOPE_API const char *scope_prom_result_type_name(int type);

/** scope_prom_result_free - frees a result; NULL is allowed. Since: 0.1 */
SCOPE_API void scope_prom_result_free(scope_prom_result *r);

/** scope_prom_result_type - enum scope_prom_result_type, 0 for NULL. */
SCOPE_API int scope_prom_result_type(const scope_prom_result *r);

/**
 * scope_prom_result_series - the series set (matrix, vector, scalar, series
 * results; an empty set for the others), borrowed: valid until the result
 * is freed. NULL for a NULL result or after scope_prom_result_take_series().
 * Since: 0.1
 */
SCOPE_API const scope_series_set *scope_prom_result_series(const scope_prom_result *r);

/**
 * scope_prom_result_take_series - moves the series set out of the result:
 * the caller owns it (scope_series_set_free). Later calls return NULL.
 * Since: 0.1
 */
SCOPE_API scope_series_set *scope_prom_result_take_series(scope_prom_result *r);

/** Strings of a SCOPE_PROM_STRINGS result, or the one value of a
 * SCOPE_PROM_STRING result. _at returns NULL out of range; strings live
 * as long as the result. Since: 0.1 */
SCOPE_API size_t scope_prom_result_string_count(const scope_prom_result *r);
SCOPE_API const char *scope_prom_result_string_at(const scope_prom_result *r, size_t i);

/** Time of a scalar or string result (ns), 0 otherwise. Since: 0.1 */
SCOPE_API int64_t scope_prom_result_time(const scope_prom_result *r);

/** Warnings (partial or suspicious data; the data is still valid) and infos
 * (PromQL annotations) sent by the server, in order, across all requests,
 * plus libscope's own (e.g. skipped histograms). _at returns NULL out of
 * range; strings live as long as the result. Since: 0.1 */
SCOPE_API size_t scope_prom_result_warning_count(const scope_prom_result *r);
SCOPE_API const char *scope_prom_result_warning_at(const scope_prom_result *r, size_t i);
SCOPE_API size_t scope_prom_result_info_count(const scope_prom_result *r);
SCOPE_API const char *scope_prom_result_info_at(const scope_prom_result *r, size_t i);

/**
 * scope_prom_result_window - the window a range query used (after
 * alignment), its step and the number of HTTP requests it took (retries not
 * counted). Any pointer may be NULL. For other results the times are 0.
 * Since: 0.1
 */
SCOPE_API void scope_prom_result_window(const scope_prom_result *r, int64_t *start_ns,
                                        int64_t *end_ns, int64_t *step_ns, size_t *requests);

/* --- helpers for the usual questions ------------------------------------ */

/** Usage questions answered from cAdvisor metrics. Values are ABI. */
enum scope_prom_usage {
    SCOPE_PROM_CPU_CORES = 1,   /**< rate(container_cpu_usage_seconds_total) per
                                     namespace/pod/container: cores used */
    SCOPE_PROM_NET_MBITS = 2,   /**< receive and transmit Mbit/s per namespace/pod
                                     (series net_receive_mbits, net_transmit_mbits) */
    SCOPE_PROM_DISK_BYTES = 3   /**< read and write bytes/s per namespace/pod/container
                                     (series disk_read_bytes_per_second,
                                     disk_write_bytes_per_second) */
};

/**
 * scope_prom_usage_name - "cpu_cores", "net_mbits", "disk_bytes"; "unknown"
 * for other values. Static. Since: 0.1
 */
SCOPE_API const char *scope_prom_usage_name(int what);

/**
 * scope_prom_usage_query - writes the PromQL behind a usage question into
 * @buf (capacity @cap, NUL-terminated), so callers can see or tweak it.
 * @what: enum scope_prom_usage. @direction: 0 for the first query (cpu,
 * receive, read), 1 for the second (transmit, write; not for CPU).
 * @selector: label matchers without braces, e.g. `namespace="shop"`; NULL or
 * "" for all. @rate_window_ms: the rate() window; 0 means 60000.
 * Returns: the length written, SCOPE_EINVAL or SCOPE_ENOSPC.
 * Since: 0.1
 */
SCOPE_API int scope_prom_usage_query(char *buf, size_t cap, int what, int direction,
                                     const char *selector, int64_t rate_window_ms);

/**
 * scope_prom_usage - answers a usage question over a window as a range query
 * (two for network and disk, merged into one set). Series are named as in
 * enum scope_prom_usage and carry the grouping labels.
 * @out: the result; @selector, @rate_window_ms as for scope_prom_usage_query;
 * @start_ns, @end_ns, @step_ns, @opts as for scope_prom_query_range (opts'
 * name is ignored).
 * Returns: as scope_prom_query_range().
 * Thread-safety: as the handle. Since: 0.1
 */
SCOPE_API int scope_prom_usage(scope_prom_result **out, scope_prom *p, int what,
                               const char *selector, int64_t rate_window_ms, int64_t start_ns,
                               int64_t end_ns, int64_t step_ns, const scope_prom_query_opts *opts);

/* --- time parsing ------------------------------------------------------- */

/**
 * scope_prom_parse_time - parses a time as unix seconds ("1700000000",
 * "1700000000.5"), RFC 3339 ("2023-11-15T07:00:00Z", "...07:00:00.25+01:00")
 * or relative to @now_ns ("now", "-1h", "-90s", "-1h30m", "+5m").
 * @out_ns: receives wall-clock ns. Returns: 0 or SCOPE_EINVAL.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_prom_parse_time(const char *s, int64_t now_ns, int64_t *out_ns);

/**
 * scope_prom_parse_duration - parses a duration as (fractional) seconds
 * ("15", "0.5") or Prometheus units ("250ms", "1m30s", "1h", "1d", "1w", "1y").
 * @out_ns: receives ns. Returns: 0 or SCOPE_EINVAL.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_prom_parse_duration(const char *s, int64_t *out_ns);

SCOPE_END_DECLS

#endif /* SCOPE_PROM_H */
