/*
 * libscope: HTTP/1.1 load drivers.
 *
 * A scope_load describes a run against one server: the mode (open loop at a
 * constant or Poisson rate, or closed loop), connections, threads, duration,
 * keep-alive policy and a mix of weighted request types. scope_load_run()
 * performs the run on its own threads and returns an immutable
 * scope_load_result.
 *
 * Engine: HTTP/1.1 over TCP or TLS (OpenSSL). Each of the T threads owns C/T connections (spread evenly) and one
 * event loop: over plain TCP an io_uring (one io_uring_enter per wake-up
 * submits the sends and collects the reads; where liburing, the kernel or a
 * sandbox do not allow it, and for TLS, epoll: scope_load_result_engine()).
 * It waits with a nanosecond timeout on
 * CLOCK_MONOTONIC (timer slack 1 ns on those threads), so a request goes out
 * within microseconds of its intended time (where a thread's sends are dense,
 * it sleeps to each send, waking early by its measured timer lateness, and
 * reads responses then, timing them by the kernel's receive timestamps: see
 * docs/load.md). There is no process-global state
 * and no signal handler: sends use MSG_NOSIGNAL.
 *
 * Open loop (SCOPE_LOAD_OPEN): each thread follows a schedule of intended
 * send times at rate R/T (threads are phase-shifted by 1/R), constant or
 * exponential gaps. A due request goes out on an idle connection of the
 * thread; when none is idle it waits in the thread's backlog and goes out as
 * soon as one frees up. Latency is recorded twice: from the intended time
 * ("corrected": what a user arriving on schedule would see, free of
 * coordinated omission) and from the actual send ("uncorrected"). Sends
 * more than late_ns after their intended time are counted. The schedule
 * starts at the run's start: results are valid from the first second, and
 * rates below the thread or connection count are fine.
 *
 * Closed loop (SCOPE_LOAD_CLOSED): each connection sends its next request
 * when the previous completes, after an optional think time; both
 * histograms then measure from the send.
 *
 * Errors: a request ends either completed (a full response, whatever its
 * status) or with one error of a kind (connect, read, write, timeout, parse),
 * keeping the errno. A request older than the timeout is counted once as a
 * timeout, recorded in the histograms at its age (>= the timeout), and its
 * connection is closed and reopened. At the end:
 * sent = completed + errors (other than connect) + in flight.
 *
 * Thread-safety: a scope_load is configured by one thread; scope_load_run()
 * blocks that thread; scope_load_stop() may be called from any thread or a
 * signal handler while it runs. Callbacks run on the engine's threads (the
 * thread index is passed), concurrently with each other.
 *
 * Since: 0.1
 */
#ifndef SCOPE_LOAD_H
#define SCOPE_LOAD_H

#include "common.h"
#include "hist.h"
#include "series.h"

SCOPE_BEGIN_DECLS

typedef struct scope_load scope_load;
typedef struct scope_load_result scope_load_result;
/** The request being built in a request callback (opaque, borrowed). */
typedef struct scope_load_request scope_load_request;

/** Load modes. */
enum scope_load_mode {
    SCOPE_LOAD_OPEN = 1,   /**< open loop at a target rate */
    SCOPE_LOAD_CLOSED = 2  /**< closed loop: next request when the previous completes */
};

/** Arrival processes for the open loop. */
enum scope_load_arrival {
    SCOPE_LOAD_CONSTANT = 1, /**< evenly spaced */
    SCOPE_LOAD_POISSON = 2   /**< exponential gaps with the same mean */
};

/** Error kinds. */
enum scope_load_error_kind {
    SCOPE_LOAD_ERR_CONNECT = 1, /**< connect or TLS handshake failed (not a request error) */
    SCOPE_LOAD_ERR_READ = 2,    /**< receive failed or the peer closed mid-response */
    SCOPE_LOAD_ERR_WRITE = 3,   /**< send failed */
    SCOPE_LOAD_ERR_TIMEOUT = 4, /**< no complete response within the timeout */
    SCOPE_LOAD_ERR_PARSE = 5    /**< the response is not valid HTTP/1.x */
};
#define SCOPE_LOAD_ERR_KINDS 6 /**< one past the highest kind */

/** scope_load_error_kind_name - "connect", "read", ...; "unknown" otherwise. Since: 0.1 */
SCOPE_API const char *scope_load_error_kind_name(int kind);
/** scope_load_mode_name - "open", "closed"; "unknown" otherwise. Since: 0.1 */
SCOPE_API const char *scope_load_mode_name(int mode);

/** Run settings. Zero means the default for every field. */
typedef struct scope_load_opts {
    size_t size;                 /**< sizeof(scope_load_opts) */
    int32_t mode;                /**< SCOPE_LOAD_OPEN (default) or SCOPE_LOAD_CLOSED */
    int32_t arrival;             /**< SCOPE_LOAD_CONSTANT (default) or SCOPE_LOAD_POISSON */
    double rate;                 /**< open loop: requests per second over all threads (> 0) */
    int64_t duration_ns;         /**< run length; 0 = 10 s; at most 24 h */
    int32_t connections;         /**< 0 = 10 */
    int32_t threads;             /**< 0 = 1; at most connections */
    int64_t timeout_ns;          /**< per-request timeout; 0 = 2 s */
    int64_t think_ns;            /**< closed loop: pause between requests; 0 = none */
    int64_t requests_per_conn;   /**< 0 = keep-alive forever; N: the Nth request of a
                                      connection says "Connection: close" and the
                                      connection is reopened (1 = a new one each time) */
    int64_t interval_ns;         /**< per-interval series and histograms; 0 = 1 s */
    int64_t late_ns;             /**< a send later than this after its intended time
                                      counts as late; 0 = 1 ms */
    int64_t start_wall_ns;       /**< start at this CLOCK_REALTIME instant (agreed across
                                      nodes); 0 = now; at most 60 s ahead */
    uint64_t seed;               /**< random seed (mix, Poisson); 0 = a fixed default */
    int64_t reconnect_delay_ns;  /**< wait after a failed connect; 0 = 10 ms */
    int32_t tls_insecure;        /**< https: 1 = do not verify the server's certificate
                                      (self-signed test servers, like wrk or curl -k);
                                      0 (default) = verify chain and host name */
    int32_t reserved;            /**< must be 0 (keeps the struct free of padding) */
    const char *ca_file;         /**< https: PEM file of trusted CA certificates (copied
                                      at scope_load_new); NULL = the system's store */
    int64_t send_slack_ns;       /**< open loop: a thread may wait up to this long past a
                                      send's intended time to send it together with the
                                      ones due meanwhile: fewer wake-ups (driver CPU) for
                                      at most this much added latency, which the corrected
                                      histogram shows (wrk2's 1 ms timer is such a slack).
                                      0 (default) = every send on time; at most 1 s */
    int64_t poll_ns;             /**< before a thread blocks for events it polls for them
                                      (busy-waits) up to this long. Costs driver CPU but
                                      spares the server a wake-up of the driver per
                                      response, which on a VM (an IPI to an idle vCPU)
                                      can limit the server more than the driver does:
                                      closed loop, for the server's top throughput.
                                      0 (default) = block at once; at most 10 ms; not
                                      used in the open loop's tick mode */
} scope_load_opts;

#define SCOPE_LOAD_OPTS_INIT { sizeof(scope_load_opts), 0, 0, 0.0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, NULL, 0, 0 }

/**
 * scope_load_opts_init - zeroes @size bytes of @opts and records the size.
 * Returns: 0 or SCOPE_EINVAL. Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_load_opts_init(scope_load_opts *opts, size_t size);

/**
 * scope_load_new - creates a load description for @url.
 *
 * @out: receives the handle; free it with scope_load_free(). Not NULL.
 * @url: "http://HOST[:PORT][/PATH]" or "https://..."; HOST is a name or an
 *       IPv4/IPv6 address (resolved once, here); copied. https uses OpenSSL
 *       with SNI and session resumption on reconnects, and verifies the
 *       server's certificate chain (system store, or opts->ca_file) and that
 *       it names HOST (DNS name or IP address), unless opts->tls_insecure.
 *       A connection that fails verification counts as a connect error; its
 *       reason is in scope_load_result_error_message().

 * @opts: settings (copied), or NULL for defaults (open loop needs a rate,
 *       so NULL opts only suit a closed-loop run after scope_load_set_mode).
 * Returns: 0, SCOPE_EINVAL (bad URL or settings; the message names the
 * field), SCOPE_ENET (the host does not resolve) or SCOPE_ENOMEM.
 * Thread-safety: any thread. Since: 0.1
 */
SCOPE_API int scope_load_new(scope_load **out, const char *url, const scope_load_opts *opts);

/** scope_load_free - frees the handle (not while it runs); NULL is fine. Since: 0.1 */
SCOPE_API void scope_load_free(scope_load *l);

/**
 * scope_load_set_rate - changes the open-loop rate for later runs (sweeps).
 * Returns: 0, SCOPE_EINVAL (rate <= 0 or not finite) or SCOPE_ESTATE (running).
 * Since: 0.1
 */
SCOPE_API int scope_load_set_rate(scope_load *l, double rate);

/**
 * scope_load_set_mode - switches between SCOPE_LOAD_OPEN and
 * SCOPE_LOAD_CLOSED for later runs.
 * Returns: 0, SCOPE_EINVAL or SCOPE_ESTATE. Since: 0.1
 */
SCOPE_API int scope_load_set_mode(scope_load *l, int mode);

/**
 * scope_load_add_type - adds a weighted request type to the mix.
 *
 * Without any type, one type "default" sends GET to the URL's path.
 * @l: the handle (not running).
 * @name: the type's name ([A-Za-z0-9_.-]+, unique); copied.
 * @weight: its share of requests relative to the other types' (> 0).
 * @method: "GET", "POST", ...; NULL = "GET"; copied.
 * @path: the request target ("/search?q=1"); NULL = the URL's path; copied.
 * Returns: the type's index (>= 0), SCOPE_EINVAL, SCOPE_EEXIST (name
 * taken), SCOPE_ESTATE or SCOPE_ENOMEM.
 * Since: 0.1
 */
SCOPE_API int scope_load_add_type(scope_load *l, const char *name, double weight,
                                  const char *method, const char *path);

/**
 * scope_load_add_path - adds another path to a type: the type's requests
 * cycle through its paths in order, per thread.
 * @type: a type index. @path: copied.
 * Returns: 0, SCOPE_EINVAL, SCOPE_ESTATE or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_load_add_path(scope_load *l, int type, const char *path);

/**
 * scope_load_add_header - adds a request header ("Name: value").
 * @type: a type index, or -1 for every type (also those added later).
 * @name, @value: copied; no CR or LF allowed. "Host" replaces the default
 * Host header; "Connection: close" makes every request close its connection.
 * Returns: 0, SCOPE_EINVAL, SCOPE_ESTATE or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_load_add_header(scope_load *l, int type, const char *name,
                                    const char *value);

/**
 * scope_load_set_body - sets a type's request body (Content-Length is
 * added). @type: a type index or -1 for all. @body: @len bytes, copied; NULL
 * with @len > 0 fills @len bytes of 'x' (payload-size sweeps).
 * Returns: 0, SCOPE_EINVAL, SCOPE_ESTATE or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_load_set_body(scope_load *l, int type, const void *body, size_t len);

/**
 * scope_load_request_cb - builds a request. Called on engine thread
 * @thread for each request of @type before it is sent (when set), with the
 * type's default request already in @rq; change it with
 * scope_load_request_set_*(). Return 0, or non-zero to stop the run
 * (scope_load_run() then returns SCOPE_EUSER with a result).
 * Since: 0.1
 */
typedef int (*scope_load_request_cb)(scope_load_request *rq, uint32_t thread, int32_t type,
                                     void *user_data);

/**
 * scope_load_response_cb - sees each finished request on engine thread
 * @thread: its @type, HTTP @status (0 when it failed), error kind
 * (@error, 0 when completed), @latency_ns from the intended time and
 * @service_ns from the actual send, and the response body length.
 * Return 0, or non-zero to stop the run (SCOPE_EUSER). Since: 0.1
 */
typedef int (*scope_load_response_cb)(uint32_t thread, int32_t type, int32_t status,
                                      int32_t error, int64_t latency_ns, int64_t service_ns,
                                      int64_t body_len, void *user_data);

/**
 * scope_load_set_callbacks - installs callbacks (either may be NULL).
 * @user_data is passed back unchanged. Returns: 0, SCOPE_EINVAL or
 * SCOPE_ESTATE. Since: 0.1
 */
SCOPE_API int scope_load_set_callbacks(scope_load *l, scope_load_request_cb on_request,
                                       scope_load_response_cb on_response, void *user_data);

/** scope_load_request_set_path - the request target of this request; copied. Since: 0.1 */
SCOPE_API int scope_load_request_set_path(scope_load_request *rq, const char *path);
/** scope_load_request_set_body - this request's body (@len bytes, copied). Since: 0.1 */
SCOPE_API int scope_load_request_set_body(scope_load_request *rq, const void *body, size_t len);
/** scope_load_request_add_header - an extra header for this request; copied. Since: 0.1 */
SCOPE_API int scope_load_request_add_header(scope_load_request *rq, const char *name,
                                            const char *value);

/**
 * scope_load_run - performs one run and returns its result.
 *
 * @out: receives the result (owned by the caller, scope_load_result_free());
 *       set also when the run ends with SCOPE_EUSER or was stopped.
 * @l: the handle.
 * Blocks for the duration (or until scope_load_stop()). Needs one file
 * descriptor per connection plus 3 per thread.
 * Returns: 0; SCOPE_EINVAL (open loop without a rate), SCOPE_ESTATE
 * (already running), SCOPE_ELIMIT (file descriptors), SCOPE_ENOMEM,
 * SCOPE_EUSER (a callback stopped it; *out holds what was measured) or
 * SCOPE_EIO (a thread could not be created).
 * Since: 0.1
 */
SCOPE_API int scope_load_run(scope_load_result **out, scope_load *l);

/**
 * scope_load_stop - ends a run early; returns at once. Safe from any thread
 * and from a signal handler; a no-op when nothing runs. Since: 0.1
 */
SCOPE_API void scope_load_stop(scope_load *l);

/** Counts of one request type, or of all (type -1). */
typedef struct scope_load_stats {
    size_t size;          /**< set by the caller: sizeof(scope_load_stats) */
    int64_t sent;         /**< requests written (at least partly) */
    int64_t completed;    /**< full responses received (any status) */
    int64_t errors;       /**< requests that ended with an error (read, write, timeout, parse) */
    int64_t in_flight;    /**< sent but unfinished when the run ended */
    int64_t late;         /**< open loop: sends later than late_ns after their intended time */
    int64_t backlog;      /**< open loop: intended but never sent by the end */
    int64_t status_2xx, status_3xx, status_4xx, status_5xx, status_other;
    int64_t connects;     /**< successful connects (total only; 0 per type) */
    int64_t reconnects;   /**< connects after the first on a connection slot (total only) */
    int64_t bytes_read;   /**< response bytes (total only) */
    int64_t duration_ns;  /**< measured run length */
    double rate;          /**< completed per second over duration_ns */
    double target_rate;   /**< the asked rate (0 for closed loop) */
} scope_load_stats;

#define SCOPE_LOAD_STATS_INIT \
    { sizeof(scope_load_stats), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0.0, 0.0 }

/** scope_load_result_free - frees a result; NULL is fine. Since: 0.1 */
SCOPE_API void scope_load_result_free(scope_load_result *r);

/** scope_load_result_type_count - the number of request types. Since: 0.1 */
SCOPE_API int scope_load_result_type_count(const scope_load_result *r);
/** scope_load_result_type_name - type @type's name (borrowed, lives as long
 * as @r), NULL when out of range. Since: 0.1 */
SCOPE_API const char *scope_load_result_type_name(const scope_load_result *r, int type);

/**
 * scope_load_result_stats - copies counts of @type (-1: all types) into
 * @out (which the caller sized with SCOPE_LOAD_STATS_INIT).
 * Returns: 0 or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_load_result_stats(const scope_load_result *r, int type, scope_load_stats *out);

/**
 * scope_load_result_hist - the latency histogram (ns) of @type (-1: all).
 * @corrected: 1 for latency from the intended time, 0 from the actual send.
 * Returns: a histogram borrowed from @r, NULL when out of range. Since: 0.1
 */
SCOPE_API const scope_hist *scope_load_result_hist(const scope_load_result *r, int type,
                                                   int corrected);

/**
 * scope_load_result_status - the number of responses with HTTP status
 * @status of @type (-1: all). Since: 0.1
 */
SCOPE_API int64_t scope_load_result_status(const scope_load_result *r, int type, int status);

/**
 * scope_load_result_errors - errors of kind @kind (SCOPE_LOAD_ERR_*) over
 * all types, and which errno caused them.
 * @errnos, @counts: caller arrays of @cap entries (may be NULL with cap 0),
 *       filled with the distinct errno values (0 = the peer closed the
 *       connection, or not a system error) and their counts.
 * @total: out, all errors of that kind; may be NULL.
 * Returns: the number of distinct errno values (may exceed @cap: then only
 * @cap were written), or SCOPE_EINVAL. Since: 0.1
 */
SCOPE_API int scope_load_result_errors(const scope_load_result *r, int kind, int32_t *errnos,
                                       int64_t *counts, size_t cap, int64_t *total);

/**
 * scope_load_result_error_message - describes the first error of kind @kind
 * (SCOPE_LOAD_ERR_*) seen during the run: what failed, against which
 * address, why (the errno text, or for TLS the certificate check's verdict)
 * and, where one is known, the fix (e.g. "pass ca_file" for an untrusted
 * certificate).
 * Returns: a string borrowed from @r (valid until scope_load_result_free),
 * or NULL when no error of that kind happened or @kind is unknown.
 * Thread-safety: any thread (the result is immutable). Since: 0.1
 */
SCOPE_API const char *scope_load_result_error_message(const scope_load_result *r, int kind);

/**
 * scope_load_result_series - per-interval series on the wall-clock
 * timeline (one point per interval, stamped at its end):
 * scope_load_throughput{type} (completed per second), scope_load_errors{type}
 * (errors per second), scope_load_sent{type} (sends per second), and
 * scope_load_latency_seconds{quantile="0.5"|"0.9"|"0.99"|"1"} of all types
 * (corrected). Borrowed from @r. Since: 0.1
 */
SCOPE_API const scope_series_set *scope_load_result_series(const scope_load_result *r);

/** scope_load_result_interval_count - the number of intervals. Since: 0.1 */
SCOPE_API int scope_load_result_interval_count(const scope_load_result *r);

/**
 * scope_load_result_interval - a copy of the corrected histogram of type
 * @type (-1: all) for interval @i: requests that completed (or timed out)
 * in it. Intervals are kept encoded, so each call decodes and merges.
 * @out: receives a new histogram (owned by the caller).
 * @start_wall_ns: out, interval start (CLOCK_REALTIME); may be NULL.
 * @length_ns: out; may be NULL.
 * Returns: 0, SCOPE_EINVAL (out of range) or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_load_result_interval(scope_hist **out, const scope_load_result *r, int i,
                                         int type, int64_t *start_wall_ns, int64_t *length_ns);

/** scope_load_result_start - the run's start, CLOCK_REALTIME ns. Since: 0.1 */
SCOPE_API int64_t scope_load_result_start(const scope_load_result *r);

/**
 * scope_load_result_engine - how the run's threads did their socket I/O:
 * "io_uring" (every thread: one io_uring_enter per wake-up submits the sends
 * and collects the reads), "epoll" (every thread: TLS, opts.poll_ns, a
 * kernel or sandbox without io_uring, a build without liburing, or
 * SCOPE_LOAD_IO=epoll in the environment) or "mixed". Counts and latencies
 * mean the same either way.
 * Returns: a static string (never freed); "" for NULL. Thread-safe. Since: 0.1
 */
SCOPE_API const char *scope_load_result_engine(const scope_load_result *r);

/**
 * scope_load_result_write_hlog - writes the interval histograms as an
 * HdrHistogram log: one line per interval and type, tagged with the type
 * name, plus untagged lines for all types together.
 * Returns: 0, SCOPE_EINVAL, SCOPE_ENOMEM or SCOPE_EIO. Since: 0.1
 */
SCOPE_API int scope_load_result_write_hlog(const scope_load_result *r, FILE *f);

/**
 * scope_load_sweep_parse - expands a sweep specification into values:
 * "1000,2000,5000" (a list), "1000:5000:1000" (from:to:step, inclusive), or
 * the same with "%" on every number ("10%:100%:10%"), meaning percentages of
 * @max (e.g. a maximum measured in a closed-loop run).
 * @out: receives a malloc'ed array (free with scope_load_sweep_free()).
 * @n: receives the count (at most 10000).
 * Returns: 0, SCOPE_EINVAL (malformed; the message points at the spot, or
 * percentages without @max > 0) or SCOPE_ENOMEM. Since: 0.1
 */
SCOPE_API int scope_load_sweep_parse(double **out, size_t *n, const char *spec, double max);
/** scope_load_sweep_free - frees scope_load_sweep_parse()'s array. Since: 0.1 */
SCOPE_API void scope_load_sweep_free(double *values);

/** What a sweep varies. */
enum scope_load_sweep_kind {
    SCOPE_LOAD_SWEEP_RATE = 1, /**< the open-loop rate (req/s) */
    SCOPE_LOAD_SWEEP_BODY = 2  /**< the request body size (bytes) of every type */
};

/**
 * scope_load_sweep_cb - receives step @step (0-based) with its @value and
 * result; the callback owns @result (free it with scope_load_result_free).
 * Return 0 to go on, non-zero to end the sweep (SCOPE_EUSER). Called on the
 * sweeping thread. Since: 0.1
 */
typedef int (*scope_load_sweep_cb)(size_t step, double value, scope_load_result *result,
                                   void *user_data);

/**
 * scope_load_sweep - runs one step per value, one after the other, each a
 * full run with the handle's settings and @kind set to the value.
 * Returns: 0, SCOPE_EUSER (callback or request callback stopped it), or the
 * first run's error. scope_load_stop() ends the current step and the sweep.
 * Since: 0.1
 */
SCOPE_API int scope_load_sweep(scope_load *l, int kind, const double *values, size_t n,
                               scope_load_sweep_cb cb, void *user_data);

SCOPE_END_DECLS

#endif /* SCOPE_LOAD_H */
